//! The process list of the selected cgroup: rows with CPU% between two reads, user names
//! resolved when the rows arrive (never while drawing), a selection and a scroll.

use crate::cgroup::CgroupPath;
use crate::cgroup::process::{ProcessSample, SubtreeProcess, ticks_per_second};
use crate::model::rates::RateRules;
use std::collections::HashMap;
use std::time::Instant;

/// A process as the details pane shows it.
#[derive(Debug, Clone)]
pub struct ProcessRow {
    pub sample: ProcessSample,
    pub user: String,
    pub cpu_pct: Option<f64>,
    /// The cgroup it is in (the pane's own, unless the subtree's processes are shown).
    pub cgroup: CgroupPath,
}

/// The column the process list is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProcessSort {
    #[default]
    Cpu,
    Rss,
    Pid,
    User,
    /// Only in the subtree's list.
    Cgroup,
    Command,
}

impl ProcessSort {
    /// In the order `s` steps through them.
    pub const ALL: [ProcessSort; 6] = [
        ProcessSort::Cpu,
        ProcessSort::Rss,
        ProcessSort::Pid,
        ProcessSort::User,
        ProcessSort::Cgroup,
        ProcessSort::Command,
    ];

    /// Its header, as the list draws it.
    pub fn title(self) -> &'static str {
        match self {
            ProcessSort::Cpu => "CPU%",
            ProcessSort::Rss => "RSS",
            ProcessSort::Pid => "PID",
            ProcessSort::User => "USER",
            ProcessSort::Cgroup => "CGROUP",
            ProcessSort::Command => "COMMAND",
        }
    }

    /// Numbers read best largest first, names A→Z (as the tree sorts).
    fn numeric(self) -> bool {
        matches!(self, ProcessSort::Cpu | ProcessSort::Rss | ProcessSort::Pid)
    }
}

/// The process list's CGROUP column at its widest (a path is cut at its start, where it
/// repeats the selection's).
pub(crate) const CGROUP_MAX: usize = 28;

/// A column of the process list as drawn: what it sorts by (the state column: nothing) and
/// how wide it is.
pub(crate) type ProcessColumn = (Option<ProcessSort>, u16);

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

/// `path` as seen from `base`, escaped for the screen: `system.slice/nginx.service`, `.` for
/// `base` itself, the full path for one outside it.
pub(crate) fn relative_path(path: &CgroupPath, base: &CgroupPath) -> String {
    match path.as_path().strip_prefix(base.as_path()) {
        Ok(rest) if rest.as_os_str().is_empty() => ".".to_string(),
        Ok(rest) => crate::cgroup::escape::visible_path(rest).into_owned(),
        Err(_) => path.to_string(),
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

#[derive(Debug)]
pub struct ProcessPane {
    pub(crate) cgroup: CgroupPath,
    pub(crate) rows: Vec<ProcessRow>,
    previous: HashMap<(u32, u64), (u64, Instant)>,
    pub(crate) selected: usize,
    pub(crate) offset: usize,
    /// Processes in the cgroup, of which only the first `rows.len()` were read.
    pub(crate) total: usize,
    /// The whole subtree's processes (`a`), not only the cgroup's own.
    pub(crate) subtree: bool,
    pub(crate) sort: ProcessSort,
    pub(crate) sort_descending: bool,
}

impl Default for ProcessPane {
    fn default() -> Self {
        ProcessPane {
            cgroup: CgroupPath::root(),
            rows: Vec::new(),
            previous: HashMap::new(),
            selected: 0,
            offset: 0,
            total: 0,
            subtree: false,
            sort: ProcessSort::Cpu,
            sort_descending: true,
        }
    }
}

impl ProcessPane {
    /// The processes of `cgroup` in words, for a confirmation: how many, and the first few
    /// (`340 nginx`); `None` when the list shown is another cgroup's.
    pub(crate) fn named(&self, cgroup: &CgroupPath, first: usize) -> Option<String> {
        if &self.cgroup != cgroup || self.subtree {
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

    /// Take a new list of `cgroup`'s processes (`subtree`: of its whole subtree), read at `at`:
    /// CPU % is the growth of each process's utime + stime since the previous list, over the
    /// time between the two ([`RateRules`]: a window too short gives "not known yet", and no
    /// process uses more than the online CPUs). A list of the other kind (sent before `a`
    /// switched) is dropped.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn update(
        &mut self,
        cgroup: CgroupPath,
        processes: Vec<SubtreeProcess>,
        subtree: bool,
        total: usize,
        at: Instant,
        users: &mut UserNames,
        focused: bool,
        rules: RateRules,
    ) {
        if subtree != self.subtree {
            return;
        }
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
            .map(|SubtreeProcess { cgroup, sample }| {
                let key = (sample.pid, sample.start_ticks);
                let cpu_pct = self.previous.get(&key).and_then(|(ticks_before, when)| {
                    let window = at.saturating_duration_since(*when);
                    (window >= rules.min_window).then(|| {
                        let pct = sample.cpu_ticks.saturating_sub(*ticks_before) as f64
                            / ticks
                            / window.as_secs_f64()
                            * 100.0;
                        pct.min(rules.cpu_capacity_pct)
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
                    cgroup,
                }
            })
            .collect();
        self.previous = next;
        self.sort_rows();
        // The picked process stays picked when the order changes; unpicked, the list shows
        // the first by the sort.
        match selected_pid.filter(|_| focused) {
            Some(pid) => self.select_pid(pid),
            None => {
                self.selected = 0;
                self.offset = 0;
            }
        }
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    fn select_pid(&mut self, pid: u32) {
        if let Some(index) = self.rows.iter().position(|r| r.sample.pid == pid) {
            self.selected = index;
        }
    }

    /// Order the rows by the sort column; ties by PID.
    fn sort_rows(&mut self) {
        let sort = self.sort;
        let descending = self.sort_descending;
        let base = self.cgroup.clone();
        self.rows.sort_by(|a, b| {
            let order = match sort {
                ProcessSort::Cpu => a
                    .cpu_pct
                    .unwrap_or(0.0)
                    .total_cmp(&b.cpu_pct.unwrap_or(0.0)),
                ProcessSort::Rss => a.sample.rss_bytes.cmp(&b.sample.rss_bytes),
                ProcessSort::Pid => a.sample.pid.cmp(&b.sample.pid),
                ProcessSort::User => a.user.cmp(&b.user),
                ProcessSort::Cgroup => crate::model::view::natural_cmp(
                    relative_path(&a.cgroup, &base).as_bytes(),
                    relative_path(&b.cgroup, &base).as_bytes(),
                ),
                ProcessSort::Command => a.sample.comm.cmp(&b.sample.comm),
            };
            let order = if descending { order.reverse() } else { order };
            order.then(a.sample.pid.cmp(&b.sample.pid))
        });
    }

    /// `s`: sort by the next column (the cgroup's only in the subtree's list), keeping the
    /// picked process picked.
    pub(crate) fn sort_next(&mut self) {
        let at = ProcessSort::ALL
            .iter()
            .position(|s| *s == self.sort)
            .unwrap_or(0);
        let mut next = ProcessSort::ALL[(at + 1) % ProcessSort::ALL.len()];
        if next == ProcessSort::Cgroup && !self.subtree {
            next = ProcessSort::ALL[(at + 2) % ProcessSort::ALL.len()];
        }
        self.sort = next;
        self.sort_descending = next.numeric();
        self.resort();
    }

    /// The list's columns, drawn `width` cells wide showing `shown` from the offset on, one
    /// cell apart; the command takes what is left. The drawing and a click on the header both
    /// go by these.
    pub(crate) fn columns(
        &self,
        shown: &[ProcessRow],
        rows_on_screen: usize,
        width: u16,
    ) -> Vec<ProcessColumn> {
        // A header is whole, with the sort's arrow when it has it.
        let header = |sort: ProcessSort| sort.title().len() + usize::from(self.sort == sort);
        // Numbers are never cut: the PID column is as wide as the largest PID.
        let pid = shown
            .iter()
            .map(|p| p.sample.pid.to_string().len())
            .max()
            .unwrap_or(0)
            .max(header(ProcessSort::Pid)) as u16;
        let user = shown
            .iter()
            .map(|p| crate::format::width(&p.user))
            .max()
            .unwrap_or(0)
            .clamp(header(ProcessSort::User), 8) as u16;
        let mut columns = vec![
            (Some(ProcessSort::Pid), pid),
            (Some(ProcessSort::User), user),
            (None, 1),
            (Some(ProcessSort::Cpu), 5),
            (Some(ProcessSort::Rss), 6),
        ];
        if self.subtree {
            let cgroup = shown
                .iter()
                .skip(self.offset)
                .take(rows_on_screen)
                .map(|p| crate::format::width(&relative_path(&p.cgroup, &self.cgroup)))
                .max()
                .unwrap_or(0)
                .clamp(6, CGROUP_MAX) as u16;
            columns.push((Some(ProcessSort::Cgroup), cgroup));
        }
        let used: u16 = columns.iter().map(|(_, w)| w + 1).sum();
        columns.push((Some(ProcessSort::Command), width.saturating_sub(used)));
        columns
    }

    /// The column under `x` cells from the list's left edge, if it sorts by something.
    pub(crate) fn sort_at(columns: &[ProcessColumn], x: u16) -> Option<ProcessSort> {
        let mut left = 0u16;
        for (sort, width) in columns {
            // The command's column reaches the edge, whatever its width.
            if x < left.saturating_add(*width) || *sort == Some(ProcessSort::Command) {
                return (x >= left).then_some(*sort).flatten();
            }
            left = left.saturating_add(width + 1);
        }
        None
    }

    /// A click on a column's header: sort by it; on the sorted one, the other way round.
    pub(crate) fn sort_by(&mut self, sort: ProcessSort) {
        if self.sort == sort {
            self.sort_descending = !self.sort_descending;
        } else {
            self.sort = sort;
            self.sort_descending = sort.numeric();
        }
        self.resort();
    }

    /// `S`: the other way round.
    pub(crate) fn sort_reverse(&mut self) {
        self.sort_descending = !self.sort_descending;
        self.resort();
    }

    fn resort(&mut self) {
        let pid = self.selected_row().map(|r| r.sample.pid);
        self.sort_rows();
        if let Some(pid) = pid {
            self.select_pid(pid);
        }
    }

    /// `a`: the subtree's processes or the cgroup's own; the list empties until the next read.
    pub(crate) fn set_subtree(&mut self, subtree: bool) {
        self.subtree = subtree;
        self.rows.clear();
        self.previous.clear();
        self.total = 0;
        self.selected = 0;
        self.offset = 0;
        if !subtree && self.sort == ProcessSort::Cgroup {
            self.sort = ProcessSort::Cpu;
            self.sort_descending = true;
        }
    }

    /// The sort in words, for the status line.
    pub(crate) fn sort_text(&self) -> String {
        format!(
            "processes sorted by {} {}",
            self.sort.title().trim(),
            if self.sort_descending {
                "largest first"
            } else {
                "smallest first"
            }
        )
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

impl super::App {
    /// A list of processes arrived: the tree takes a cgroup's own list when it shows that
    /// cgroup's processes (`p`), and the pane takes the focused cgroup's, and scrolls to keep its
    /// selection.
    pub(super) fn take_processes(
        &mut self,
        cgroup: CgroupPath,
        processes: Vec<SubtreeProcess>,
        subtree: bool,
        total: usize,
        at: Instant,
    ) {
        let rules = self.model.rate_rules();
        if !subtree {
            self.tree.take_processes(
                &cgroup,
                &processes,
                total,
                at,
                &mut self.users,
                rules,
                &self.model,
            );
            self.tree.scroll_to_selection(self.layout.tree_rows());
            // The tree's expanded cgroups' lists come too: the pane is the focused cgroup's.
            if &cgroup != self.tree.selected() {
                return;
            }
        }
        let focused = self.focus == super::Focus::Processes;
        self.processes.update(
            cgroup,
            processes,
            subtree,
            total,
            at,
            &mut self.users,
            focused,
            rules,
        );
        self.processes.scroll(self.layout.process_rows());
    }

    /// The process picked: in the process list when it has the focus, else the tree's
    /// selected process row (`p`).
    pub(super) fn picked_process(&self) -> Option<&ProcessRow> {
        match self.focus {
            super::Focus::Processes => self.processes.selected_row(),
            super::Focus::Tree => self.tree.selected_process(),
        }
    }

    /// Enter on a process: what the process list knows of it, in a text pane.
    pub(super) fn show_process(&mut self, row: &ProcessRow) {
        let s = &row.sample;
        let command = if s.cmdline.is_empty() {
            format!(
                "[{}] (a kernel thread, or it has exited)",
                crate::cgroup::escape::visible(&s.comm)
            )
        } else {
            crate::cgroup::escape::visible(&s.cmdline).into_owned()
        };
        let lines = vec![
            format!("PID      {}", s.pid),
            format!(
                "user     {} ({})",
                row.user,
                s.uid.map_or("?".into(), |u| format!("uid {u}"))
            ),
            format!("state    {}", s.state),
            format!("CPU%     {}", crate::format::percent(row.cpu_pct)),
            format!("RSS      {}", crate::format::bytes(s.rss_bytes as f64)),
            format!("name     {}", crate::cgroup::escape::visible(&s.comm)),
            format!("command  {command}"),
            format!("cgroup   {}", row.cgroup),
        ];
        self.open_dialog(super::dialog::Dialog::text(
            format!("process {}", s.pid),
            super::status::Tone::Info,
            lines,
        ));
    }

    /// `p`: each expanded cgroup shows its own processes under it, or not.
    pub(super) fn toggle_processes_in_tree(&mut self) {
        let shown = !self.tree.view.processes_shown();
        self.tree.set_processes_shown(shown, &self.model);
        self.tree.scroll_to_selection(self.layout.tree_rows());
        self.status.hint(if shown {
            "processes in the tree: an expanded cgroup lists its busiest processes first"
        } else {
            "no processes in the tree"
        });
    }

    /// `a`: the subtree's processes, or the cgroup's own again; the sampler reads them next.
    pub(super) fn toggle_subtree_processes(&mut self) -> Vec<super::Effect> {
        let subtree = !self.processes.subtree;
        self.processes.set_subtree(subtree);
        self.status.hint(if subtree {
            "processes of the whole subtree, with the cgroup each is in"
        } else {
            "the cgroup's own processes"
        });
        vec![
            super::Effect::ProcessSubtree(subtree),
            super::Effect::Focus(self.tree.selected().clone()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn sample(pid: u32, cpu_ticks: u64, rss_bytes: u64) -> ProcessSample {
        ProcessSample {
            pid,
            uid: Some(0),
            state: 'R',
            cpu_ticks,
            start_ticks: 7,
            rss_bytes,
            comm: b"worker".to_vec(),
            cmdline: Vec::new(),
            cmdline_truncated: false,
        }
    }

    fn listed(cgroup: &str, samples: Vec<ProcessSample>) -> Vec<SubtreeProcess> {
        let cgroup = CgroupPath::from_relative(std::path::Path::new(cgroup)).unwrap();
        samples
            .into_iter()
            .map(|sample| SubtreeProcess {
                cgroup: cgroup.clone(),
                sample,
            })
            .collect()
    }

    /// CPU % by the numbers' rules: over the window between two lists, never over too short a
    /// window, never above the online CPUs; sorted, and the other kind of list is dropped.
    #[test]
    fn cpu_percent_follows_the_rate_rules_and_the_sort() {
        let ticks = ticks_per_second();
        let rules = RateRules::new(Duration::from_secs(1), 2);
        let base = CgroupPath::from_relative(std::path::Path::new("a")).unwrap();
        let mut users = UserNames::known(vec![(0, "root".into())]);
        let mut pane = ProcessPane::default();
        let start = Instant::now();
        let mut read = |pane: &mut ProcessPane, at: Duration, a: u64, b: u64, subtree: bool| {
            let list = listed("a/x", vec![sample(1, a, 10), sample(2, b, 20)]);
            pane.update(
                base.clone(),
                list,
                subtree,
                2,
                start + at,
                &mut users,
                false,
                rules,
            );
        };
        read(&mut pane, Duration::ZERO, 0, 0, false);
        assert!(pane.rows.iter().all(|r| r.cpu_pct.is_none()), "one read");
        // 10 ms later: too short a window to say (the minimum is a quarter of the interval).
        read(&mut pane, Duration::from_millis(10), ticks, 0, false);
        assert!(pane.rows.iter().all(|r| r.cpu_pct.is_none()));
        // A second on: 1 s of CPU is 100 %; 5 s of CPU in a second is capped at 2 CPUs.
        read(
            &mut pane,
            Duration::from_millis(1010),
            2 * ticks,
            5 * ticks,
            false,
        );
        let cpu: Vec<(u32, Option<f64>)> = pane
            .rows
            .iter()
            .map(|r| (r.sample.pid, r.cpu_pct))
            .collect();
        assert_eq!(cpu, [(2, Some(200.0)), (1, Some(100.0))]);
        // Sorted by RSS, then reversed.
        pane.sort_next();
        assert_eq!(pane.sort, ProcessSort::Rss);
        assert_eq!(pane.rows[0].sample.pid, 2);
        pane.sort_reverse();
        assert_eq!(pane.rows[0].sample.pid, 1);
        // A list of the subtree, sent before `a` switched back, is dropped.
        read(&mut pane, Duration::from_secs(3), 0, 0, true);
        assert_eq!(pane.rows[0].cpu_pct, Some(100.0), "kept");
        pane.set_subtree(true);
        assert!(pane.rows.is_empty());
        assert_eq!(relative_path(&base, &base), ".");
        read(&mut pane, Duration::from_secs(4), 0, 0, true);
        assert_eq!(relative_path(&pane.rows[0].cgroup, &base), "x");
    }
}
