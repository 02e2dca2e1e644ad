//! The sampler thread: reads the counters the view needs on an interval, and reports them as
//! events. Its cost follows what is on screen, not the size of the tree: the app says which
//! cgroups it needs ([`Reads`]), the watcher reports new and removed cgroups, and the tree is
//! walked only to recover from a lost event. Commands (new interval, new focus, rows on
//! screen, refresh now) wake it early.
//!
//! It keeps to a CPU budget (a share of one CPU, measured on its own thread's CPU clock): when
//! passes cost more than their share of the interval it first reads hidden cgroups (and walks
//! the tree) less often, then stretches the interval, and says so ([`SamplerStatus`]). A user
//! who creates 100,000 cgroups slows root's refresh, never root's machine.

use super::pace::{DEFAULT_CPU_BUDGET, Pacer, SamplerStatus};
use super::plan::{Reads, ViewPlan};
use super::{Collector, PassStats, thread_cpu};
use crate::cgroup::process::{ProcessReader, ProcessSample, SubtreeProcess};
use crate::cgroup::sample::{CgroupSample, Scope, read_sample};
use crate::cgroup::watch::{CounterWatches, WatchEvent};
use crate::cgroup::{CgroupPath, Cgroupfs};
use crate::model::TreeSample;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// What the sampler reports, each through the callback its owner gave [`Sampler::run`].
#[derive(Debug)]
pub enum Report {
    /// A pass: every cgroup when it walked the tree, else what it read.
    Tree(TreeSample),
    /// Rows read between passes, as soon as they came on screen.
    CaughtUp(TreeSample),
    /// What the latest pass read and cost (with [`Sampler::stats`]).
    PassStats(PassStats),
    /// A full read of the focused cgroup, made as soon as the focus changed.
    Focused(CgroupPath, Box<CgroupSample>),
    Processes {
        cgroup: CgroupPath,
        /// The first processes of cgroup.procs, as many as the screen can show.
        processes: Vec<ProcessSample>,
        /// How many processes the cgroup has in all.
        total: usize,
        at: Instant,
    },
    /// The focused cgroup's whole subtree's processes ([`Sampler::process_subtree`]).
    SubtreeProcesses {
        cgroup: CgroupPath,
        processes: Vec<SubtreeProcess>,
        total: usize,
        at: Instant,
    },
    /// Its pace changed (CPU budget) or cgroups are polled without a watch.
    Status(SamplerStatus),
    /// A cgroup created or removed where inotify does not watch, found by polling.
    Watch(WatchEvent),
    /// What one pass found (its [`Report::Tree`], the processes, its stats), together so that
    /// a pass costs the screen one frame.
    Pass(Vec<Report>),
}

impl Report {
    /// This report, or the reports of a [`Report::Pass`], one by one.
    pub fn flatten(self) -> Vec<Report> {
        match self {
            Report::Pass(reports) => reports.into_iter().flat_map(Report::flatten).collect(),
            report => vec![report],
        }
    }
}

#[derive(Debug, Clone)]
pub enum Command {
    Interval(Duration),
    Focus(CgroupPath),
    RefreshNow,
    /// What the view needs read now: the rows on screen, and what their order depends on.
    Visible(Reads),
    /// inotify cannot report new and removed cgroups (no watches left): walk every pass.
    WalkEveryPass,
    /// inotify could not watch this cgroup ([`WatchEvent::Unwatched`]): read it every pass,
    /// and when its `directory` is unwatched, list its children every pass and report new and
    /// removed ones as the watcher would.
    PollAlone {
        path: CgroupPath,
        directory: bool,
        /// Its children as the watcher listed them: what the first listing is compared with.
        children: Option<Vec<std::ffi::OsString>>,
    },
    /// The terminal's height: no more processes are read than a pane of it can show.
    ScreenRows(u16),
    /// Read the focused cgroup's whole subtree's processes, or its own.
    ProcessSubtree(bool),
}

/// Processes read per pass beyond the terminal's height (the list scrolls a little).
pub const PROCESS_MARGIN: usize = 16;

/// Processes of a subtree read per pass (`a`), whatever the screen: they are sorted (by CPU,
/// say) before the screen's first rows are shown. Every cgroup.procs of the subtree is read and
/// counted; /proc/PID of the first this many (4 files each).
pub const SUBTREE_PROCESS_LIMIT: usize = 1000;

/// Processes read per pass of each cgroup that shows its processes in the tree (`p`): the
/// busiest of these are shown, the rest counted.
pub const TREE_PROCESS_LIMIT: usize = 64;

/// Processes read per pass before the terminal's height is known.
pub const DEFAULT_PROCESS_LIMIT: usize = 64;

pub struct Sampler {
    pub fs: Cgroupfs,
    pub base: CgroupPath,
    pub interval: Duration,
    pub focus: Option<CgroupPath>,
    /// The share of one CPU the sampler may use (0.05 = 5 %).
    pub cpu_budget: f64,
    /// Processes of the focused cgroup read per pass; the rest are counted.
    pub process_limit: usize,
    /// Nothing else reports the tree's shape ([`ViewPlan::own_shape`]).
    pub own_shape: bool,
    /// Report [`Report::PassStats`] after every pass.
    pub stats: bool,
    /// The focused cgroup's whole subtree's processes are read, not only its own.
    pub process_subtree: bool,
    /// Watches the counter files of what is read every pass ([`ViewPlan::followed`]): the
    /// watcher reports an OOM kill there the moment it happens, and in a descendant off
    /// screen through its ancestor's `memory.events` (hierarchical).
    pub counter_watches: Option<CounterWatches>,
    /// Keeps the /proc files of the processes shown open between passes.
    processes: ProcessReader,
}

impl Sampler {
    pub fn new(fs: Cgroupfs, base: CgroupPath, interval: Duration) -> Sampler {
        Sampler {
            fs,
            base,
            interval,
            focus: None,
            cpu_budget: DEFAULT_CPU_BUDGET,
            process_limit: DEFAULT_PROCESS_LIMIT,
            own_shape: true,
            stats: false,
            process_subtree: false,
            counter_watches: None,
            processes: ProcessReader::default(),
        }
    }

    /// Watch the counter files of what the plan reads every pass, and only those.
    fn follow(&mut self, plan: &ViewPlan) {
        if let Some(watches) = &mut self.counter_watches {
            watches.follow(plan.followed());
        }
    }

    fn send_focus(&mut self, report: &mut dyn FnMut(Report) -> bool) -> bool {
        let Some(focus) = &self.focus else {
            return true;
        };
        if let Ok(Some(sample)) = read_sample(&self.fs, focus, Scope::Full)
            && !report(Report::Focused(focus.clone(), Box::new(sample)))
        {
            return false;
        }
        self.send_processes(report)
    }

    fn send_processes(&mut self, report: &mut dyn FnMut(Report) -> bool) -> bool {
        let Some(focus) = &self.focus else {
            return true;
        };
        if self.process_subtree {
            let list = self
                .processes
                .read_subtree_processes_up_to(&self.fs, focus, SUBTREE_PROCESS_LIMIT)
                .ok()
                .flatten()
                .unwrap_or_default();
            return report(Report::SubtreeProcesses {
                cgroup: focus.clone(),
                processes: list.processes,
                total: list.total,
                at: Instant::now(),
            });
        }
        let list = self
            .processes
            .read_processes_up_to(&self.fs, focus, self.process_limit)
            .ok()
            .flatten()
            .unwrap_or_default();
        report(Report::Processes {
            cgroup: focus.clone(),
            processes: list.processes,
            total: list.total,
            at: Instant::now(),
        })
    }

    /// The own processes of `cgroups` (the tree's expanded rows with `p`), each as a
    /// [`Report::Processes`]. The focused cgroup's own list is sent anyway
    /// ([`Sampler::send_processes`]): the app gives it to the tree too.
    fn send_tree_processes(
        &mut self,
        cgroups: &[CgroupPath],
        report: &mut dyn FnMut(Report) -> bool,
    ) -> bool {
        for cgroup in cgroups {
            if !self.process_subtree && self.focus.as_ref() == Some(cgroup) {
                continue;
            }
            // A cgroup removed meanwhile has no list; the next Visible drops it.
            let Ok(Some(list)) =
                self.processes
                    .read_processes_up_to(&self.fs, cgroup, TREE_PROCESS_LIMIT)
            else {
                continue;
            };
            if !report(Report::Processes {
                cgroup: cgroup.clone(),
                processes: list.processes,
                total: list.total,
                at: Instant::now(),
            }) {
                return false;
            }
        }
        true
    }

    /// Send the status if it changed since it was last `told`; false when nobody listens.
    fn tell_status(
        &self,
        pacer: &Pacer,
        plan: &ViewPlan,
        told: &mut Option<SamplerStatus>,
        report: &mut dyn FnMut(Report) -> bool,
    ) -> bool {
        let status = SamplerStatus {
            configured: pacer.configured,
            interval: pacer.schedule.interval,
            hidden_every: pacer.schedule.hidden_every,
            cpu_budget: self.cpu_budget,
            polled_alone: plan.polled_alone(),
        };
        if told.as_ref() == Some(&status) {
            return true;
        }
        *told = Some(status.clone());
        report(Report::Status(status))
    }

    /// Run until `report` returns false (nobody listens any more) or the commands' sender is
    /// gone.
    pub fn run(mut self, commands: Receiver<Command>, mut report: impl FnMut(Report) -> bool) {
        let report: &mut dyn FnMut(Report) -> bool = &mut report;
        // Rows on screen under an idle parent (most of a host) are carried, not read.
        let mut collector = Collector::new(self.fs.clone()).carrying();
        let mut plan = ViewPlan::default();
        plan.own_shape = self.own_shape;
        let mut pacer = Pacer::new(self.interval, self.cpu_budget);
        let mut told = None;
        let mut cpu_mark = thread_cpu();
        let mut first = true;
        loop {
            let tick = Instant::now();
            plan.focus = self.focus.clone();
            plan.set_hidden_every(pacer.schedule.hidden_every);
            if plan.has_work() {
                // Each pass, so a watch that could not be placed is tried again.
                self.follow(&plan);
                let tree = plan.sample(&mut collector, &self.base);
                let mut pass: Vec<Report> =
                    plan.take_events().into_iter().map(Report::Watch).collect();
                pass.push(Report::Tree(tree));
                let mut add = |report| {
                    pass.push(report);
                    true
                };
                self.send_processes(&mut add);
                self.send_tree_processes(plan.process_cgroups(), &mut add);
                // What this pass did not read again (exited, scrolled away) is closed.
                self.processes.end_pass();
                if self.stats {
                    pass.push(Report::PassStats(plan.latest));
                }
                if !report(Report::Pass(pass)) {
                    return;
                }
                // The CPU since the last pass ended: this pass, and the commands (and rows
                // caught up) before it, less a walk made only to recover. The first pass says
                // nothing of the passes to come.
                let cpu = thread_cpu();
                if !first {
                    let cost = cpu.saturating_sub(cpu_mark);
                    pacer.record(cost.saturating_sub(plan.walk_cpu));
                }
                first = false;
                cpu_mark = cpu;
            }
            if !self.tell_status(&pacer, &plan, &mut told, report) {
                return;
            }
            // Wait out the interval; commands in between are applied at once. A pass that
            // overran the interval still takes the commands sent meanwhile (new focus, rows on
            // screen) before the next one: a zero timeout returns what is queued.
            loop {
                let deadline = tick + pacer.schedule.interval;
                let left = deadline.saturating_duration_since(Instant::now());
                match commands.recv_timeout(left) {
                    Ok(Command::Interval(interval)) => {
                        self.interval = interval;
                        pacer.set_interval(interval);
                    }
                    Ok(Command::Focus(path)) => {
                        self.focus = Some(path);
                        plan.focus = self.focus.clone();
                        self.follow(&plan);
                        if !self.send_focus(report) {
                            return;
                        }
                    }
                    Ok(Command::Visible(reads)) => {
                        // Cgroups new to show their processes are read at once, as new rows.
                        let new_processes: Vec<CgroupPath> = reads
                            .processes_of
                            .iter()
                            .filter(|c| !plan.process_cgroups().contains(c))
                            .cloned()
                            .collect();
                        plan.set_reads(reads);
                        // Watched before rows new on screen are read: no OOM kill between
                        // their read and their watch goes unseen until the next pass.
                        self.follow(&plan);
                        if let Some(rows) = plan.catch_up(&mut collector, &self.base)
                            && !report(Report::CaughtUp(rows))
                        {
                            return;
                        }
                        if !self.send_tree_processes(&new_processes, report) {
                            return;
                        }
                    }
                    Ok(Command::RefreshNow) => {
                        // After a write or a lost inotify event: read limits and controller
                        // lists afresh, and walk the tree.
                        collector.forget_rare();
                        plan.walk_next_pass();
                        break;
                    }
                    Ok(Command::WalkEveryPass) => plan.walk_every_pass = true,
                    Ok(Command::PollAlone {
                        path,
                        directory,
                        children,
                    }) => {
                        plan.poll_alone(path, directory, children);
                        if !self.tell_status(&pacer, &plan, &mut told, report) {
                            return;
                        }
                    }
                    Ok(Command::ProcessSubtree(subtree)) => self.process_subtree = subtree,
                    Ok(Command::ScreenRows(rows)) => {
                        self.process_limit = usize::from(rows) + PROCESS_MARGIN;
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

    /// A pass longer than the interval (a flooded machine) must not starve the commands: the
    /// rows on screen and the focus still reach the sampler.
    #[test]
    fn commands_reach_a_sampler_whose_passes_overrun_the_interval() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a", "b", "c"] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
        }
        let fs = Cgroupfs::fixture(dir.path()).unwrap();
        let (commands, receiver) = std::sync::mpsc::channel();
        let (events, tree_events) = std::sync::mpsc::channel();
        // Every pass overruns a zero interval.
        let sampler = Sampler::new(fs, CgroupPath::root(), Duration::ZERO);
        // Queued before the sampler starts: on a busy machine the sampler could otherwise
        // make its passes before this thread gets to send.
        commands.send(Command::Visible(Reads::default())).unwrap();
        let runner =
            std::thread::spawn(move || sampler.run(receiver, move |r| events.send(r).is_ok()));
        let mut partial = false;
        // Within a few passes: before the CPU budget could stretch the interval (it reads
        // hidden cgroups less often, in steps of several passes, first).
        let mut passes = 0;
        while !partial && passes < 6 {
            let reports = match tree_events.recv_timeout(Duration::from_secs(10)) {
                Ok(report) => report.flatten(),
                Err(e) => panic!("the sampler stopped: {e}"),
            };
            for report in reports {
                // Only once the rows on screen are known does a pass read less than all.
                if let Report::Tree(tree) = report {
                    passes += 1;
                    partial = !tree.complete;
                }
            }
        }
        drop(tree_events);
        drop(commands);
        runner.join().unwrap();
        assert!(partial, "the Visible command never reached the sampler");
    }

    /// The tree's expanded cgroups (`p`) have their own processes read: at once when new to
    /// the list, then every pass; a cgroup not in the list never.
    #[test]
    fn processes_are_read_for_the_cgroups_the_tree_shows_them_of() {
        let dir = tempfile::tempdir().unwrap();
        for (name, pids) in [("a", "11\n12\n"), ("b", "13\n")] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
            std::fs::write(dir.path().join(name).join("cgroup.procs"), pids).unwrap();
        }
        let fs = Cgroupfs::fixture(dir.path()).unwrap();
        let a = CgroupPath::from_relative(std::path::Path::new("a")).unwrap();
        let (commands, receiver) = std::sync::mpsc::channel();
        let (events, reports) = std::sync::mpsc::channel();
        let sampler = Sampler::new(fs, CgroupPath::root(), Duration::from_millis(50));
        commands
            .send(Command::Visible(Reads {
                processes_of: vec![a.clone()],
                ..Reads::default()
            }))
            .unwrap();
        let runner =
            std::thread::spawn(move || sampler.run(receiver, move |r| events.send(r).is_ok()));
        let mut lists = 0;
        while lists < 3 {
            let received = match reports.recv_timeout(Duration::from_secs(10)) {
                Ok(report) => report.flatten(),
                Err(e) => panic!("no process list: {e}"),
            };
            for report in received {
                if let Report::Processes { cgroup, total, .. } = report {
                    assert_eq!(cgroup, a, "only the cgroup the tree shows");
                    // The fixture has no /proc for them: counted, not listed.
                    assert_eq!(total, 2);
                    lists += 1;
                }
            }
        }
        drop(reports);
        drop(commands);
        runner.join().unwrap();
    }
}
