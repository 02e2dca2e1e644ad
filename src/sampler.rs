//! The sampler thread: walks the tree on an interval, reads counters, and reports them as
//! events. Commands (new interval, new focus, refresh now) wake it early.
//!
//! It keeps to a CPU budget (a share of one CPU, measured on its own thread's CPU clock): when
//! passes cost more than their share of the interval it first reads hidden cgroups (and walks
//! the tree) less often, then stretches the interval, and says so ([`SamplerStatus`]). A user
//! who creates 100,000 cgroups slows root's refresh, never root's machine.

use crate::app::Event;
use crate::cgroup::files::OpenFiles;
use crate::cgroup::process::read_processes_up_to;
use crate::cgroup::sample::{Scope, read_sample, read_sample_with};
use crate::cgroup::watch::WatchEvent;
use crate::cgroup::{CgroupPath, Cgroupfs};
use crate::model::TreeSample;
use std::collections::{HashMap, HashSet, VecDeque};
use std::ffi::OsString;
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
    /// inotify could not watch this cgroup ([`WatchEvent::Unwatched`]): read it every pass,
    /// and when its `directory` is unwatched, list its children every pass and report new and
    /// removed ones as the watcher would.
    PollAlone {
        path: CgroupPath,
        directory: bool,
    },
    /// The terminal's height: no more processes are read than a pane of it can show.
    ScreenRows(u16),
}

/// How often a cgroup the view does not show is read: every this many passes (more when over
/// the CPU budget, up to [`MAX_HIDDEN_EVERY`]). Events (new cgroups, populated, OOM kills)
/// still arrive at once by inotify.
pub const HIDDEN_EVERY: u64 = 5;

/// The CPU budget first reads hidden cgroups less often, down to once in this many passes;
/// then it stretches the interval.
pub const MAX_HIDDEN_EVERY: u64 = 80;

/// The default share of one CPU the sampler may use.
pub const DEFAULT_CPU_BUDGET: f64 = 0.05;

/// The longest the CPU budget stretches the interval to.
pub const MAX_STRETCHED_INTERVAL: Duration = Duration::from_secs(3600);

/// Processes read per pass beyond the terminal's height (the list scrolls a little).
pub const PROCESS_MARGIN: usize = 16;

/// Processes read per pass before the terminal's height is known.
pub const DEFAULT_PROCESS_LIMIT: usize = 64;

/// The sampler's pace for the next pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Hidden cgroups are read, and the tree walked, every this many passes.
    pub hidden_every: u64,
    /// Time between passes: the configured interval, or longer over the CPU budget.
    pub interval: Duration,
}

impl Schedule {
    pub fn new(interval: Duration) -> Schedule {
        Schedule {
            hidden_every: HIDDEN_EVERY,
            interval,
        }
    }
}

/// The CPU budget's policy, as a pure function. `cost`: the CPU a pass costs (the mean of
/// recent passes); `configured`: the interval asked for; `budget`: the share of one CPU
/// allowed (0.05 = 5 %); `now`: the schedule those passes ran on.
///
/// Over the share (`budget × interval`), hidden cgroups are read half as often, down to
/// [`MAX_HIDDEN_EVERY`]; beyond that the interval is stretched so a pass fits its share with
/// a fifth to spare. Under half the share, the interval shrinks back to the configured one
/// first, then hidden cgroups are read more often again. In between nothing changes, so the
/// schedule does not swing back and forth.
pub fn next_schedule(cost: Duration, configured: Duration, budget: f64, now: Schedule) -> Schedule {
    let share = now.interval.mul_f64(budget);
    // The interval at which a pass costing `cost` uses `fraction` of the budget.
    let interval_for = |fraction: f64| {
        Duration::try_from_secs_f64(cost.as_secs_f64() / (budget * fraction))
            .unwrap_or(MAX_STRETCHED_INTERVAL)
            .clamp(configured, MAX_STRETCHED_INTERVAL.max(configured))
    };
    if cost > share {
        if now.hidden_every < MAX_HIDDEN_EVERY {
            return Schedule {
                hidden_every: (now.hidden_every * 2).min(MAX_HIDDEN_EVERY),
                ..now
            };
        }
        return Schedule {
            interval: interval_for(0.8).max(now.interval),
            ..now
        };
    }
    if cost * 2 < share {
        if now.interval > configured {
            return Schedule {
                interval: interval_for(0.66).min(now.interval),
                ..now
            };
        }
        if now.hidden_every > HIDDEN_EVERY {
            return Schedule {
                hidden_every: (now.hidden_every / 2).max(HIDDEN_EVERY),
                ..now
            };
        }
    }
    now
}

/// What the sampler tells the UI about its pace and about cgroups it polls for inotify.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SamplerStatus {
    /// The interval asked for.
    pub configured: Duration,
    /// The interval kept: longer than `configured` when the CPU budget stretched it.
    pub interval: Duration,
    /// Hidden cgroups are read every this many passes.
    pub hidden_every: u64,
    /// The share of one CPU the sampler may use (0.05 = 5 %).
    pub cpu_budget: f64,
    /// Cgroups inotify could not watch, read every pass instead.
    pub polled_alone: usize,
}

impl SamplerStatus {
    /// What the header says: nothing while the sampler keeps the configured pace and inotify
    /// watches every cgroup.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        // Rounded to hundredths: 0.024 × 100 is not exactly 2.4.
        let percent = (self.cpu_budget * 10_000.0).round() / 100.0;
        let budget = format!("CPU budget {percent} %");
        if self.interval > self.configured {
            notes.push(format!(
                "refresh {:.1} s ({budget})",
                self.interval.as_secs_f64()
            ));
        } else if self.hidden_every > HIDDEN_EVERY {
            let every = self.interval.as_secs_f64() * self.hidden_every as f64;
            notes.push(format!("rows off screen every {every:.0} s ({budget})"));
        }
        match self.polled_alone {
            0 => {}
            1 => notes.push("1 cgroup polled: no inotify watch".into()),
            n => notes.push(format!("{n} cgroups polled: no inotify watch")),
        }
        notes
    }
}

/// Passes over budget before the schedule tightens.
const TIGHTEN_AFTER: usize = 3;

/// Passes well under budget before the schedule relaxes.
const RELAX_AFTER: usize = 8;

/// Keeps the sampler within its CPU budget: the CPU of recent passes, and the schedule they
/// lead to through [`next_schedule`].
#[derive(Debug)]
struct Pacer {
    budget: f64,
    configured: Duration,
    schedule: Schedule,
    /// CPU of the passes since the schedule last changed, at most a cycle of them.
    costs: VecDeque<Duration>,
}

impl Pacer {
    fn new(interval: Duration, budget: f64) -> Pacer {
        Pacer {
            budget,
            configured: interval,
            schedule: Schedule::new(interval),
            costs: VecDeque::new(),
        }
    }

    fn set_interval(&mut self, interval: Duration) {
        self.configured = interval;
        self.schedule.interval = interval;
        self.costs.clear();
    }

    /// Note the CPU one pass cost (its walk spread over the passes between walks). Over
    /// budget the schedule tightens after [`TIGHTEN_AFTER`] passes; it relaxes only after
    /// [`RELAX_AFTER`] (or a whole cycle of hidden reads, if shorter).
    fn record(&mut self, cost: Duration) {
        let cycle = self.schedule.hidden_every as usize;
        self.costs.push_back(cost);
        while self.costs.len() > cycle.max(RELAX_AFTER) {
            self.costs.pop_front();
        }
        let mean = self.costs.iter().sum::<Duration>() / self.costs.len() as u32;
        let next = next_schedule(mean, self.configured, self.budget, self.schedule);
        let tighter = next.hidden_every > self.schedule.hidden_every
            || next.interval > self.schedule.interval;
        let enough = if tighter {
            self.costs.len() >= cycle.min(TIGHTEN_AFTER)
        } else {
            self.costs.len() >= cycle.min(RELAX_AFTER)
        };
        if next != self.schedule && enough {
            self.schedule = next;
            self.costs.clear();
        }
    }
}

/// CPU time this thread has used.
fn thread_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

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
/// the rest every [`HIDDEN_EVERY`] passes (or less often, over the CPU budget), each in its own
/// phase so the load spreads evenly. The tree is walked (every directory listed) as seldom:
/// between walks, inotify reports new and removed cgroups to the model at once, and the passes
/// read from the latest walk's list. Without inotify ([`ViewPlan::walk_every_pass`]) every
/// pass walks; a cgroup inotify could not watch is polled alone ([`ViewPlan::poll_alone`]).
pub struct ViewPlan {
    pub focus: Option<CgroupPath>,
    /// The cgroups on screen; `None` until the view says (then everything is read).
    pub visible: Option<HashSet<CgroupPath>>,
    /// Walk the whole tree every pass: nothing reports new and removed cgroups in between.
    pub walk_every_pass: bool,
    /// Hidden cgroups are read, and the tree walked, every this many passes.
    hidden_every: u64,
    pass: u64,
    /// Cgroups read at least once, and the pass that last saw them (to forget removed ones).
    known: HashMap<CgroupPath, u64>,
    /// The cgroups found by the latest walk (parents first), and the pass that walked.
    listed: Vec<CgroupPath>,
    walked_at: Option<u64>,
    /// Cgroups inotify does not watch, read every pass.
    alone: HashMap<CgroupPath, Alone>,
    /// What polling those found, as the watcher would have reported it.
    events: Vec<WatchEvent>,
    /// CPU the latest pass spent walking the tree, when walks come only every
    /// `hidden_every` passes (zero otherwise).
    walk_cpu: Duration,
}

/// A cgroup polled alone.
#[derive(Debug, Default)]
struct Alone {
    /// Its directory is unwatched: its children are listed every pass, and these are the
    /// latest listing (sorted; `None` before the first).
    children: Option<Vec<OsString>>,
    directory: bool,
}

impl Default for ViewPlan {
    fn default() -> Self {
        ViewPlan {
            focus: None,
            visible: None,
            walk_every_pass: false,
            hidden_every: HIDDEN_EVERY,
            pass: 0,
            known: HashMap::new(),
            listed: Vec::new(),
            walked_at: None,
            alone: HashMap::new(),
            events: Vec::new(),
            walk_cpu: Duration::ZERO,
        }
    }
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

    /// Read hidden cgroups, and walk the tree, every `passes` passes.
    pub fn set_hidden_every(&mut self, passes: u64) {
        self.hidden_every = passes.max(1);
    }

    /// Read `path` every pass: inotify does not watch it. `directory`: its directory is not
    /// watched, so its children are listed every pass too, and new and removed ones reported
    /// by [`ViewPlan::take_events`].
    pub fn poll_alone(&mut self, path: CgroupPath, directory: bool) {
        let entry = self.alone.entry(path).or_default();
        entry.directory |= directory;
    }

    /// Cgroups polled alone.
    pub fn polled_alone(&self) -> usize {
        self.alone.len()
    }

    /// New and removed cgroups that polling found since the last call, as inotify events.
    pub fn take_events(&mut self) -> Vec<WatchEvent> {
        std::mem::take(&mut self.events)
    }

    fn walk_due(&self) -> bool {
        self.walk_every_pass
            || self.visible.is_none()
            || self
                .walked_at
                .is_none_or(|at| self.pass - at >= self.hidden_every)
    }

    fn scope(&mut self, path: &CgroupPath) -> Option<Scope> {
        let new = self.known.insert(path.clone(), self.pass).is_none();
        if self.focus.as_ref() == Some(path) {
            return Some(Scope::Full);
        }
        let shown = self.visible.as_ref().is_none_or(|v| v.contains(path));
        let every = self.hidden_every;
        let turn = (self.pass + phase(path) % every).is_multiple_of(every);
        let alone = !self.alone.is_empty() && self.alone.contains_key(path);
        (shown || new || turn || alone).then_some(Scope::Columns)
    }

    /// List the children of unwatched directories, and report what changed since the last
    /// listing as the watcher would have: new children (polled alone too, since nothing watches
    /// them) and removed ones.
    fn list_unwatched(&mut self, fs: &Cgroupfs, base: &CgroupPath) {
        let dirs: Vec<CgroupPath> = self
            .alone
            .iter()
            .filter(|(path, alone)| alone.directory && path.starts_with(base))
            .map(|(path, _)| path.clone())
            .collect();
        for dir in dirs {
            let names = match fs.children(&dir) {
                Ok(Some(mut names)) => {
                    names.sort();
                    names
                }
                Ok(None) => {
                    self.alone.remove(&dir);
                    continue;
                }
                // Unreadable: nothing to compare.
                Err(_) => continue,
            };
            let Some(entry) = self.alone.get_mut(&dir) else {
                continue;
            };
            let Some(before) = entry.children.replace(names.clone()) else {
                // The first listing: the walk, or the watcher, found these.
                continue;
            };
            for name in names.iter().filter(|n| before.binary_search(n).is_err()) {
                let child = dir.join(name);
                let Some(sample) = read_sample(fs, &child, Scope::Columns).ok().flatten() else {
                    continue;
                };
                self.events.push(WatchEvent::Created {
                    path: child.clone(),
                    sample: Some(Box::new(sample)),
                });
                self.alone.insert(
                    child.clone(),
                    Alone {
                        children: Some(Vec::new()),
                        directory: true,
                    },
                );
                self.listed.push(child);
            }
            for name in before.iter().filter(|n| names.binary_search(n).is_err()) {
                let child = dir.join(name);
                self.alone.retain(|path, _| !path.starts_with(&child));
                self.events.push(WatchEvent::Removed { path: child });
            }
        }
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
        self.walk_cpu = Duration::ZERO;
        if walk {
            let before = thread_cpu();
            self.listed = fs.walk(base);
            // A walk made every pass is no cost to spread.
            if !self.walk_every_pass && self.visible.is_some() {
                self.walk_cpu = thread_cpu().saturating_sub(before);
            }
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
        if !self.alone.is_empty() {
            self.list_unwatched(fs, base);
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
        if walk {
            // Polled cgroups the walk did not find are gone.
            let known = &self.known;
            let pass = self.pass;
            self.alone
                .retain(|path, _| known.get(path) == Some(&pass) || !path.starts_with(base));
        }
        self.end_pass();
        tree
    }
}

pub struct Sampler {
    pub fs: Cgroupfs,
    pub base: CgroupPath,
    pub interval: Duration,
    pub focus: Option<CgroupPath>,
    /// The share of one CPU the sampler may use (0.05 = 5 %).
    pub cpu_budget: f64,
    /// Processes of the focused cgroup read per pass; the rest are counted.
    pub process_limit: usize,
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
        }
    }

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
        let list = read_processes_up_to(&self.fs, focus, self.process_limit)
            .ok()
            .flatten()
            .unwrap_or_default();
        let event = Event::Processes {
            cgroup: focus.clone(),
            processes: list.processes,
            total: list.total,
            at: Instant::now(),
        };
        events.send(event).is_ok()
    }

    /// Send the status if it changed since it was last `told`; false when nobody listens.
    fn tell_status(
        &self,
        pacer: &Pacer,
        plan: &ViewPlan,
        told: &mut Option<SamplerStatus>,
        events: &Sender<Event>,
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
        events.send(Event::Sampler(status)).is_ok()
    }

    /// Run until the receiving side of `events` is gone.
    pub fn run(mut self, commands: Receiver<Command>, events: Sender<Event>) {
        let mut files = OpenFiles::new();
        let mut plan = ViewPlan::default();
        let mut pacer = Pacer::new(self.interval, self.cpu_budget);
        let mut told = None;
        let mut cpu_mark = thread_cpu();
        let mut first = true;
        loop {
            let tick = Instant::now();
            plan.focus = self.focus.clone();
            plan.set_hidden_every(pacer.schedule.hidden_every);
            let tree = plan.sample(&self.fs, &self.base, &mut files);
            for event in plan.take_events() {
                if events.send(Event::Watch(event)).is_err() {
                    return;
                }
            }
            if events.send(Event::Tree(tree)).is_err() || !self.send_processes(&events) {
                return;
            }
            // The CPU since the last pass ended: this pass, and the commands before it, with
            // a walk spread over the passes it serves. The first pass reads every cgroup once,
            // whatever the plan: it says nothing of the passes to come.
            let cpu = thread_cpu();
            if !first {
                let cost = cpu.saturating_sub(cpu_mark);
                let walk = plan.walk_cpu.min(cost);
                pacer.record(cost - walk + walk / plan.hidden_every.max(1) as u32);
            }
            first = false;
            cpu_mark = cpu;
            if !self.tell_status(&pacer, &plan, &mut told, &events) {
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
                    Ok(Command::PollAlone { path, directory }) => {
                        plan.poll_alone(path, directory);
                        if !self.tell_status(&pacer, &plan, &mut told, &events) {
                            return;
                        }
                    }
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

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn over_budget_hidden_cgroups_are_read_less_often_first_then_the_interval_stretches() {
        let second = Duration::from_secs(1);
        let budget = 0.05; // a share of 50 ms per 1 s pass
        let mut now = Schedule::new(second);
        // 120 ms a pass: hidden cgroups half as often, again and again, the interval kept.
        for expected in [10, 20, 40, 80] {
            now = next_schedule(120 * MS, second, budget, now);
            assert_eq!(
                now,
                Schedule {
                    hidden_every: expected,
                    interval: second
                }
            );
        }
        // Nothing left to thin out: stretch so a pass uses 80 % of its share.
        now = next_schedule(120 * MS, second, budget, now);
        assert_eq!(now.hidden_every, MAX_HIDDEN_EVERY);
        assert_eq!(now.interval, Duration::from_secs(3));
        // Within the share (and above half of it): no change.
        assert_eq!(next_schedule(120 * MS, second, budget, now), now);
        assert_eq!(next_schedule(80 * MS, second, budget, now), now);
        // Cheaper passes: the interval shrinks back first (to use two thirds of the share)...
        now = next_schedule(40 * MS, second, budget, now);
        assert_eq!(now.hidden_every, MAX_HIDDEN_EVERY);
        assert!(
            now.interval > second && now.interval < Duration::from_secs(3),
            "{now:?}"
        );
        now = next_schedule(10 * MS, second, budget, now);
        assert_eq!(now.interval, second, "never below the configured interval");
        // ...then hidden cgroups are read more often again, down to the usual turns.
        for expected in [40, 20, 10, 5, 5] {
            now = next_schedule(10 * MS, second, budget, now);
            assert_eq!(
                now,
                Schedule {
                    hidden_every: expected,
                    interval: second
                }
            );
        }
    }

    #[test]
    fn the_stretch_has_a_ceiling_and_a_cheap_pass_changes_nothing() {
        let second = Duration::from_secs(1);
        let full = Schedule {
            hidden_every: MAX_HIDDEN_EVERY,
            interval: second,
        };
        let huge = next_schedule(Duration::from_secs(1000), second, 0.0001, full);
        assert_eq!(huge.interval, MAX_STRETCHED_INTERVAL);
        let idle = Schedule::new(second);
        assert_eq!(next_schedule(MS, second, 0.05, idle), idle);
        assert_eq!(next_schedule(Duration::ZERO, second, 0.05, idle), idle);
    }

    #[test]
    fn the_pacer_tightens_after_a_few_passes_and_relaxes_only_after_a_cycle() {
        let second = Duration::from_secs(1);
        let mut pacer = Pacer::new(second, 0.05);
        pacer.record(200 * MS);
        pacer.record(200 * MS);
        assert_eq!(
            pacer.schedule.hidden_every, HIDDEN_EVERY,
            "two passes are not enough"
        );
        pacer.record(200 * MS);
        assert_eq!(pacer.schedule.hidden_every, 2 * HIDDEN_EVERY);
        // Cheap again: RELAX_AFTER passes before relaxing.
        for _ in 1..RELAX_AFTER {
            pacer.record(MS);
        }
        assert_eq!(pacer.schedule.hidden_every, 2 * HIDDEN_EVERY);
        pacer.record(MS);
        assert_eq!(pacer.schedule.hidden_every, HIDDEN_EVERY);
        // A new interval starts afresh.
        pacer.set_interval(Duration::from_secs(2));
        assert_eq!(pacer.schedule.interval, Duration::from_secs(2));
    }

    #[test]
    fn the_status_says_what_the_budget_did_and_how_many_cgroups_are_polled() {
        let second = Duration::from_secs(1);
        let status = SamplerStatus {
            configured: second,
            interval: second,
            hidden_every: HIDDEN_EVERY,
            cpu_budget: 0.05,
            polled_alone: 0,
        };
        assert!(status.notes().is_empty());
        let stretched = SamplerStatus {
            interval: Duration::from_millis(2400),
            hidden_every: MAX_HIDDEN_EVERY,
            polled_alone: 3,
            ..status.clone()
        };
        assert_eq!(
            stretched.notes(),
            [
                "refresh 2.4 s (CPU budget 5 %)",
                "3 cgroups polled: no inotify watch"
            ]
        );
        let thinned = SamplerStatus {
            hidden_every: 20,
            cpu_budget: 0.024,
            polled_alone: 1,
            ..status
        };
        assert_eq!(
            thinned.notes(),
            [
                "rows off screen every 20 s (CPU budget 2.4 %)",
                "1 cgroup polled: no inotify watch"
            ]
        );
    }

    #[test]
    fn the_plan_follows_a_thinner_schedule() {
        let p = |s: &str| CgroupPath::from_relative(Path::new(s)).unwrap();
        let hidden: Vec<CgroupPath> = (0..200).map(|i| p(&format!("h{i}"))).collect();
        let mut plan = ViewPlan {
            visible: Some(HashSet::new()),
            ..ViewPlan::default()
        };
        plan.set_hidden_every(40);
        let mut reads = 0;
        for _ in 0..40 {
            plan.begin_pass();
            reads += hidden.iter().filter(|h| plan.scope(h).is_some()).count();
            plan.end_pass();
        }
        // Once each when new, then once in 40 passes.
        assert!((300..=500).contains(&reads), "{reads}");
    }

    #[test]
    fn a_cgroup_polled_alone_is_read_every_pass_and_its_children_reported() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a", "b"] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
        }
        let fs = Cgroupfs::fixture(dir.path()).unwrap();
        let p = |s: &str| CgroupPath::from_relative(Path::new(s)).unwrap();
        let mut files = OpenFiles::new();
        let mut plan = ViewPlan {
            visible: Some(HashSet::new()),
            ..ViewPlan::default()
        };
        plan.poll_alone(p("b"), true);
        assert_eq!(plan.polled_alone(), 1);
        let read = |tree: &TreeSample, name: &str| {
            tree.cgroups
                .iter()
                .any(|(c, s)| c.to_string() == name && s.is_some())
        };
        plan.sample(&fs, &CgroupPath::root(), &mut files);
        assert!(
            plan.take_events().is_empty(),
            "the first listing reports nothing"
        );
        std::fs::create_dir(dir.path().join("b/new")).unwrap();
        std::fs::create_dir(dir.path().join("a/unseen")).unwrap();
        let mut created = Vec::new();
        for _ in 1..HIDDEN_EVERY {
            let tree = plan.sample(&fs, &CgroupPath::root(), &mut files);
            assert!(!tree.complete);
            assert!(read(&tree, "/b"), "polled alone: read every pass");
            created.extend(plan.take_events().into_iter().filter_map(|e| match e {
                WatchEvent::Created { path, sample } => Some((path.to_string(), sample.is_some())),
                _ => None,
            }));
        }
        assert_eq!(
            created,
            [("/b/new".to_string(), true)],
            "a new child of an unwatched directory is reported once; /a is watched"
        );
        assert_eq!(
            plan.polled_alone(),
            2,
            "nothing watches the new child either"
        );
        std::fs::remove_dir(dir.path().join("b/new")).unwrap();
        plan.sample(&fs, &CgroupPath::root(), &mut files);
        assert!(matches!(
            &plan.take_events()[..],
            [WatchEvent::Removed { path }] if path.to_string() == "/b/new"
        ));
        assert_eq!(plan.polled_alone(), 1);
        // A walk that does not find a polled cgroup forgets it.
        std::fs::remove_dir(dir.path().join("b")).unwrap();
        plan.walk_next_pass();
        plan.sample(&fs, &CgroupPath::root(), &mut files);
        assert_eq!(plan.polled_alone(), 0);
    }

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
        let runner = std::thread::spawn(move || sampler.run(receiver, events));
        commands.send(Command::Visible(Vec::new())).unwrap();
        let mut partial = false;
        // Within a few passes: before the CPU budget could stretch the interval (it reads
        // hidden cgroups less often, in steps of several passes, first).
        let mut passes = 0;
        while !partial && passes < 6 {
            match tree_events.recv_timeout(Duration::from_secs(10)) {
                // Only once the rows on screen are known does a pass read less than all.
                Ok(Event::Tree(tree)) => {
                    passes += 1;
                    partial = !tree.complete;
                }
                Ok(_) => {}
                Err(e) => panic!("the sampler stopped: {e}"),
            }
        }
        drop(tree_events);
        drop(commands);
        runner.join().unwrap();
        assert!(partial, "the Visible command never reached the sampler");
    }
}
