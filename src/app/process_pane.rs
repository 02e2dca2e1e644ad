//! The process list of the selected cgroup: rows with CPU% between two reads, user names
//! resolved when the rows arrive (never while drawing), a selection and a scroll.

use crate::cgroup::CgroupPath;
use crate::cgroup::process::{ProcessSample, ticks_per_second};
use std::collections::HashMap;
use std::time::Instant;

/// A process as the details pane shows it.
#[derive(Debug, Clone)]
pub struct ProcessRow {
    pub sample: ProcessSample,
    pub user: String,
    pub cpu_pct: Option<f64>,
}

/// uid → user name, resolved on update: /etc/passwd does not change while we watch.
#[derive(Debug, Default)]
pub struct UserNames(HashMap<u32, String>);

impl UserNames {
    /// Names known beforehand (a fixture's users); others are resolved from passwd.
    pub fn known(names: Vec<(u32, String)>) -> UserNames {
        UserNames(names.into_iter().collect())
    }

    pub fn resolve(&mut self, uid: u32) -> String {
        self.0
            .entry(uid)
            .or_insert_with(|| crate::cgroup::users::user_name(uid))
            .clone()
    }

    /// The name if it was resolved, else the number.
    pub fn get(&self, uid: u32) -> String {
        self.0.get(&uid).cloned().unwrap_or_else(|| uid.to_string())
    }
}

/// A process as a confirmation names it: `340 nginx`.
pub(crate) fn describe(sample: &ProcessSample) -> String {
    format!(
        "{} {}",
        sample.pid,
        crate::cgroup::escape::visible(&sample.comm)
    )
}

#[derive(Debug, Default)]
pub struct ProcessPane {
    pub(crate) cgroup: CgroupPath,
    pub(crate) rows: Vec<ProcessRow>,
    previous: HashMap<(u32, u64), (u64, Instant)>,
    pub(crate) selected: usize,
    pub(crate) offset: usize,
    /// Processes in the cgroup, of which only the first `rows.len()` were read.
    pub(crate) total: usize,
}

impl ProcessPane {
    /// The processes of `cgroup` in words, for a confirmation: how many, and the first few
    /// (`340 nginx`); `None` when the list shown is another cgroup's.
    pub(crate) fn named(&self, cgroup: &CgroupPath, first: usize) -> Option<String> {
        if &self.cgroup != cgroup {
            return None;
        }
        let names: Vec<String> = self
            .rows
            .iter()
            .take(first)
            .map(|row| describe(&row.sample))
            .collect();
        let more = self.total.saturating_sub(names.len());
        Some(match (self.total, more) {
            (0, _) => "no process of its own".to_string(),
            (_, 0) => format!(
                "{}: {}",
                crate::format::plural(self.total, "process"),
                names.join(", ")
            ),
            _ => format!(
                "{}: {} and {more} more",
                crate::format::plural(self.total, "process"),
                names.join(", ")
            ),
        })
    }

    pub(crate) fn update(
        &mut self,
        cgroup: CgroupPath,
        processes: Vec<ProcessSample>,
        total: usize,
        at: Instant,
        users: &mut UserNames,
        focused: bool,
    ) {
        self.total = total;
        let selected_pid = self.rows.get(self.selected).map(|r| r.sample.pid);
        if cgroup != self.cgroup {
            self.previous.clear();
            self.cgroup = cgroup;
            self.selected = 0;
            self.offset = 0;
        }
        let ticks = ticks_per_second().max(1) as f64;
        let mut next = HashMap::with_capacity(processes.len());
        self.rows = processes
            .into_iter()
            .map(|sample| {
                let key = (sample.pid, sample.start_ticks);
                let cpu_pct = self.previous.get(&key).and_then(|(ticks_before, when)| {
                    let secs = at.saturating_duration_since(*when).as_secs_f64();
                    (secs > 0.0).then(|| {
                        sample.cpu_ticks.saturating_sub(*ticks_before) as f64 / ticks / secs * 100.0
                    })
                });
                next.insert(key, (sample.cpu_ticks, at));
                ProcessRow {
                    user: sample
                        .uid
                        .map(|u| users.resolve(u))
                        .unwrap_or_else(|| "?".into()),
                    sample,
                    cpu_pct,
                }
            })
            .collect();
        self.rows.sort_by(|a, b| {
            b.cpu_pct
                .unwrap_or(0.0)
                .total_cmp(&a.cpu_pct.unwrap_or(0.0))
                .then(a.sample.pid.cmp(&b.sample.pid))
        });
        self.previous = next;
        // The picked process stays picked when the order changes; unpicked, the list shows
        // the busiest first.
        match selected_pid.filter(|_| focused) {
            Some(pid) => {
                if let Some(index) = self.rows.iter().position(|r| r.sample.pid == pid) {
                    self.selected = index;
                }
            }
            None => {
                self.selected = 0;
                self.offset = 0;
            }
        }
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    pub(crate) fn selected_row(&self) -> Option<&ProcessRow> {
        self.rows.get(self.selected)
    }

    /// Move the selection; `page` rows are on screen.
    pub(crate) fn move_by(&mut self, delta: isize, page: usize) {
        let last = self.rows.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
        self.scroll(page);
    }

    pub(crate) fn scroll(&mut self, page: usize) {
        let page = page.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + page {
            self.offset = self.selected + 1 - page;
        }
        self.offset = self.offset.min(self.rows.len().saturating_sub(page));
    }
}
