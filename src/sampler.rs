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
    /// inotify cannot report new and removed cgroups (no watches left): walk every pass.
    WalkEveryPass,
}

/// How often a cgroup the view does not show is read: every this many passes. Events (new
/// cgroups, populated, OOM kills) still arrive at once by inotify.
pub const HIDDEN_EVERY: u64 = 5;

/// Read the cgroups under `base` that `plan` asks for, at the scope it gives; the others are
/// listed with no sample. `files` keeps files open between passes.
fn sample_tree_planned(
    fs: &Cgroupfs,
    base: &CgroupPath,
    plan: &mut dyn FnMut(&CgroupPath) -> Option<Scope>,
    files: Option<&mut OpenFiles>,
) -> TreeSample {
    // Before the walk: the model must not remove a cgroup created while the walk ran.
    let started = Instant::now();
    sample_paths(fs, started, &fs.walk(base), true, plan, files)
}

/// Read those of `paths` that `plan` asks for. `complete`: `paths` is the whole tree, just
/// walked, and the sample lists every cgroup (the unread ones with no sample); otherwise it
/// holds only the cgroups read. `started`: when the pass began (before any walk).
fn sample_paths(
    fs: &Cgroupfs,
    started: Instant,
    paths: &[CgroupPath],
    complete: bool,
    plan: &mut dyn FnMut(&CgroupPath) -> Option<Scope>,
    mut files: Option<&mut OpenFiles>,
) -> TreeSample {
    if let Some(files) = files.as_deref_mut() {
        files.begin_pass();
    }
    let mut cgroups = Vec::with_capacity(if complete { paths.len() } else { 64 });
    for path in paths {
        match plan(path) {
            None => {
                if let Some(files) = files.as_deref_mut() {
                    files.still_there(path);
                }
                if complete {
                    cgroups.push((path.clone(), None));
                }
            }
            // A directory that vanished or cannot be read is left out until the next pass;
            // per-file problems are kept inside the sample.
            Some(scope) => {
                if let Ok(Some(sample)) = read_sample_with(fs, path, scope, files.as_deref_mut()) {
                    cgroups.push((path.clone(), Some(Box::new(sample))));
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
        complete,
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
/// The tree is walked (every directory listed) only every [`HIDDEN_EVERY`] passes too: between
/// walks, inotify reports new and removed cgroups to the model at once, and the passes read
/// from the latest walk's list. Without inotify ([`ViewPlan::walk_every_pass`]) every pass
/// walks.
#[derive(Default)]
pub struct ViewPlan {
    pub focus: Option<CgroupPath>,
    /// The cgroups on screen; `None` until the view says (then everything is read).
    pub visible: Option<std::collections::HashSet<CgroupPath>>,
    /// Walk the whole tree every pass: nothing reports new and removed cgroups in between.
    pub walk_every_pass: bool,
    pass: u64,
    /// Cgroups read at least once, and the pass that last saw them (to forget removed ones).
    known: std::collections::HashMap<CgroupPath, u64>,
    /// The cgroups found by the latest walk (parents first), and the pass that walked.
    listed: Vec<CgroupPath>,
    walked_at: Option<u64>,
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
    fn begin_pass(&mut self) {
        self.pass += 1;
    }

    fn end_pass(&mut self) {
        let pass = self.pass;
        self.known.retain(|_, seen| *seen == pass);
    }

    /// Walk the tree at the next pass (after an inotify queue overflow, or a write).
    pub fn walk_next_pass(&mut self) {
        self.walked_at = None;
    }

    fn walk_due(&self) -> bool {
        self.walk_every_pass
            || self.visible.is_none()
            || self
                .walked_at
                .is_none_or(|at| self.pass - at >= HIDDEN_EVERY)
    }

    fn scope(&mut self, path: &CgroupPath) -> Option<Scope> {
        let new = self.known.insert(path.clone(), self.pass).is_none();
        if self.focus.as_ref() == Some(path) {
            return Some(Scope::Full);
        }
        let shown = self.visible.as_ref().is_none_or(|v| v.contains(path));
        let turn = (self.pass + phase(path) % HIDDEN_EVERY).is_multiple_of(HIDDEN_EVERY);
        (shown || new || turn).then_some(Scope::Columns)
    }

    /// One pass: walk the tree when due, else read from the latest walk's list (plus cgroups
    /// on screen that appeared since). The sample is complete only when the pass walked.
    pub fn sample(
        &mut self,
        fs: &Cgroupfs,
        base: &CgroupPath,
        files: &mut OpenFiles,
    ) -> TreeSample {
        self.begin_pass();
        // Before the walk: the model must not remove a cgroup created while the walk ran.
        let started = Instant::now();
        let walk = self.walk_due();
        if walk {
            self.listed = fs.walk(base);
            self.walked_at = Some(self.pass);
        } else {
            // Rows on screen that appeared after the walk (inotify put them in the model).
            let known = &self.known;
            let unlisted: Vec<CgroupPath> = [&self.focus]
                .into_iter()
                .flatten()
                .chain(self.visible.iter().flatten())
                .filter(|p| !known.contains_key(*p) && p.starts_with(base))
                .cloned()
                .collect();
            self.listed.extend(unlisted);
        }
        let listed = std::mem::take(&mut self.listed);
        let tree = sample_paths(
            fs,
            started,
            &listed,
            walk,
            &mut |p| self.scope(p),
            Some(files),
        );
        self.listed = listed;
        self.end_pass();
        tree
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
            let tree = plan.sample(&self.fs, &self.base, &mut files);
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
                        // After a write or a lost inotify event: read limits and controller
                        // lists afresh, and walk the tree.
                        files.forget_rare();
                        plan.walk_next_pass();
                        break;
                    }
                    Ok(Command::WalkEveryPass) => plan.walk_every_pass = true,
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

    #[test]
    fn the_tree_is_walked_every_few_passes_and_rows_on_screen_are_read_at_once() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a", "b"] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
            std::fs::write(dir.path().join(name).join("cgroup.procs"), "").unwrap();
        }
        let fs = Cgroupfs::fixture(dir.path()).unwrap();
        let p = |s: &str| CgroupPath::from_relative(Path::new(s)).unwrap();
        let mut files = OpenFiles::new();
        let mut plan = ViewPlan {
            visible: Some([p("a")].into_iter().collect()),
            ..ViewPlan::default()
        };
        let read = |tree: &TreeSample| -> Vec<String> {
            let mut names: Vec<String> = tree
                .cgroups
                .iter()
                .filter(|(_, s)| s.is_some())
                .map(|(c, _)| c.to_string())
                .collect();
            names.sort();
            names
        };
        let first = plan.sample(&fs, &CgroupPath::root(), &mut files);
        assert!(first.complete, "the first pass walks");
        assert_eq!(
            read(&first),
            ["/", "/a", "/b"],
            "new cgroups are read at once"
        );
        // Created after the walk: `c` is not seen until the next walk, `d` is on screen.
        std::fs::create_dir(dir.path().join("c")).unwrap();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        plan.visible = Some([p("a"), p("d")].into_iter().collect());
        let mut walks = 0;
        for pass in 1..HIDDEN_EVERY {
            let tree = plan.sample(&fs, &CgroupPath::root(), &mut files);
            walks += usize::from(tree.complete);
            let names = read(&tree);
            assert!(names.contains(&"/a".to_string()) && names.contains(&"/d".to_string()));
            assert!(!names.contains(&"/c".to_string()), "pass {pass}: {names:?}");
        }
        assert_eq!(walks, 0, "no walk between the walks");
        let walked = plan.sample(&fs, &CgroupPath::root(), &mut files);
        assert!(walked.complete);
        assert!(
            read(&walked).contains(&"/c".to_string()),
            "the walk finds it"
        );
        // Without inotify every pass walks.
        plan.walk_every_pass = true;
        assert!(plan.sample(&fs, &CgroupPath::root(), &mut files).complete);
    }
}
