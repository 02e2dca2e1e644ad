//! The sampler thread: walks the tree on an interval, reads counters, and reports them as
//! events. Commands (new interval, new focus, refresh now) wake it early.

use crate::app::Event;
use crate::cgroup::files::OpenFiles;
use crate::cgroup::process::read_processes;
use crate::cgroup::sample::{Scope, read_sample, read_sample_with};
use crate::cgroup::{CgroupPath, Cgroupfs};
use crate::model::TreeSample;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub enum Command {
    Interval(Duration),
    Focus(CgroupPath),
    RefreshNow,
    /// The cgroups now on screen.
    Visible(Vec<CgroupPath>),
}

/// How often a cgroup the view does not show is read: every this many passes. Events (new
/// cgroups, populated, OOM kills) still arrive at once by inotify.
pub const HIDDEN_EVERY: u64 = 5;

/// Read the cgroups under `base` that `plan` asks for, at the scope it gives; the others are
/// listed with no sample. `files` keeps files open between passes.
pub fn sample_tree_planned(
    fs: &Cgroupfs,
    base: &CgroupPath,
    plan: &mut dyn FnMut(&CgroupPath) -> Option<Scope>,
    mut files: Option<&mut OpenFiles>,
) -> TreeSample {
    let started = Instant::now();
    if let Some(files) = files.as_deref_mut() {
        files.begin_pass();
    }
    let paths = fs.walk(base);
    let mut cgroups = Vec::with_capacity(paths.len());
    for path in paths {
        match plan(&path) {
            None => {
                if let Some(files) = files.as_deref_mut() {
                    files.still_there(&path);
                }
                cgroups.push((path, None));
            }
            // A directory that vanished or cannot be read is left out until the next pass;
            // per-file problems are kept inside the sample.
            Some(scope) => {
                if let Ok(Some(sample)) = read_sample_with(fs, &path, scope, files.as_deref_mut()) {
                    cgroups.push((path, Some(Box::new(sample))));
                }
            }
        }
    }
    if let Some(files) = files {
        files.end_pass();
    }
    TreeSample {
        started,
        finished: Instant::now(),
        cgroups,
    }
}

fn every(focus: Option<&CgroupPath>, all_full: bool) -> impl FnMut(&CgroupPath) -> Option<Scope> {
    move |path| {
        Some(if all_full || Some(path) == focus {
            Scope::Full
        } else {
            Scope::Columns
        })
    }
}

/// Read every cgroup under `base`, the `focus` one fully and the rest for the tree's columns,
/// keeping files open in `files`.
pub fn sample_tree_with(
    fs: &Cgroupfs,
    base: &CgroupPath,
    focus: Option<&CgroupPath>,
    all_full: bool,
    files: &mut OpenFiles,
) -> TreeSample {
    sample_tree_planned(fs, base, &mut every(focus, all_full), Some(files))
}

/// [`sample_tree_with`] without keeping files open (one-off reads and tests).
pub fn sample_tree(
    fs: &Cgroupfs,
    base: &CgroupPath,
    focus: Option<&CgroupPath>,
    all_full: bool,
) -> TreeSample {
    sample_tree_planned(fs, base, &mut every(focus, all_full), None)
}

/// Which cgroups a pass reads: the focused one fully, the ones on screen for the columns, and
/// the rest every [`HIDDEN_EVERY`] passes, each in its own phase so the load spreads evenly.
#[derive(Default)]
pub struct ViewPlan {
    pub focus: Option<CgroupPath>,
    /// The cgroups on screen; `None` until the view says (then everything is read).
    pub visible: Option<std::collections::HashSet<CgroupPath>>,
    pass: u64,
    /// Cgroups read at least once, and the pass that last saw them (to forget removed ones).
    known: std::collections::HashMap<CgroupPath, u64>,
}

fn phase(path: &CgroupPath) -> u64 {
    // FNV-1a: a stable spread of cgroups over the passes.
    path.as_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
        })
}

impl ViewPlan {
    pub fn begin_pass(&mut self) {
        self.pass += 1;
    }

    pub fn end_pass(&mut self) {
        let pass = self.pass;
        self.known.retain(|_, seen| *seen == pass);
    }

    pub fn scope(&mut self, path: &CgroupPath) -> Option<Scope> {
        let new = self.known.insert(path.clone(), self.pass).is_none();
        if self.focus.as_ref() == Some(path) {
            return Some(Scope::Full);
        }
        let shown = self.visible.as_ref().is_none_or(|v| v.contains(path));
        let turn = (self.pass + phase(path) % HIDDEN_EVERY).is_multiple_of(HIDDEN_EVERY);
        (shown || new || turn).then_some(Scope::Columns)
    }
}

pub struct Sampler {
    pub fs: Cgroupfs,
    pub base: CgroupPath,
    pub interval: Duration,
    pub focus: Option<CgroupPath>,
}

impl Sampler {
    fn send_focus(&self, events: &Sender<Event>) -> bool {
        let Some(focus) = &self.focus else {
            return true;
        };
        if let Ok(Some(sample)) = read_sample(&self.fs, focus, Scope::Full)
            && events
                .send(Event::Focused(focus.clone(), Box::new(sample)))
                .is_err()
        {
            return false;
        }
        self.send_processes(events)
    }

    fn send_processes(&self, events: &Sender<Event>) -> bool {
        let Some(focus) = &self.focus else {
            return true;
        };
        let processes = read_processes(&self.fs, focus)
            .ok()
            .flatten()
            .unwrap_or_default();
        let event = Event::Processes {
            cgroup: focus.clone(),
            processes,
            at: Instant::now(),
        };
        events.send(event).is_ok()
    }

    /// Run until the receiving side of `events` is gone.
    pub fn run(mut self, commands: Receiver<Command>, events: Sender<Event>) {
        let mut files = OpenFiles::new();
        let mut plan = ViewPlan::default();
        loop {
            let tick = Instant::now();
            plan.focus = self.focus.clone();
            plan.begin_pass();
            let tree = sample_tree_planned(
                &self.fs,
                &self.base,
                &mut |p| plan.scope(p),
                Some(&mut files),
            );
            plan.end_pass();
            if events.send(Event::Tree(tree)).is_err() || !self.send_processes(&events) {
                return;
            }
            // Wait out the interval; commands in between are applied at once.
            loop {
                let deadline = tick + self.interval;
                let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                    break;
                };
                match commands.recv_timeout(left) {
                    Ok(Command::Interval(interval)) => self.interval = interval,
                    Ok(Command::Focus(path)) => {
                        self.focus = Some(path);
                        if !self.send_focus(&events) {
                            return;
                        }
                    }
                    Ok(Command::Visible(paths)) => plan.visible = Some(paths.into_iter().collect()),
                    Ok(Command::RefreshNow) => {
                        // After a write: read limits and controller lists afresh.
                        files.forget_rare();
                        break;
                    }
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn hidden_cgroups_are_read_once_then_in_turns() {
        let p = |s: &str| CgroupPath::from_relative(Path::new(s)).unwrap();
        let hidden: Vec<CgroupPath> = (0..100).map(|i| p(&format!("h{i}"))).collect();
        let mut plan = ViewPlan {
            focus: Some(p("f")),
            visible: Some([p("v")].into_iter().collect()),
            ..ViewPlan::default()
        };
        let mut reads = vec![0; hidden.len()];
        for pass in 0..(HIDDEN_EVERY * 4) {
            plan.begin_pass();
            assert_eq!(plan.scope(&p("f")), Some(Scope::Full));
            assert_eq!(plan.scope(&p("v")), Some(Scope::Columns));
            for (i, h) in hidden.iter().enumerate() {
                if plan.scope(h).is_some() {
                    reads[i] += 1;
                }
            }
            plan.end_pass();
            if pass == 0 {
                assert!(
                    reads.iter().all(|r| *r == 1),
                    "every new cgroup is read at once"
                );
            }
        }
        // Afterwards each hidden cgroup is read once every HIDDEN_EVERY passes.
        assert!(reads.iter().all(|r| (4..=5).contains(r)), "{reads:?}");
    }
}
