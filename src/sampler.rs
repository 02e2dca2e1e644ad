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

use crate::app::Event;
use crate::cgroup::files::OpenFiles;
use crate::cgroup::process::read_processes_up_to;
use crate::cgroup::sample::{
    KnownEvents, Scope, read_sample, read_sample_knowing, read_sample_with,
};
use crate::cgroup::stats::{self, IoCounts};
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
    },
    /// The terminal's height: no more processes are read than a pane of it can show.
    ScreenRows(u16),
}

/// How often a row off screen that could still move onto it ([`Reads::in_turns`]) is read:
/// every this many passes (more when over the CPU budget, up to [`MAX_HIDDEN_EVERY`]). Events
/// (new cgroups, populated, OOM kills) still arrive at once by inotify.
pub const HIDDEN_EVERY: u64 = 5;

/// The CPU budget first reads rows off screen less often, down to once in this many passes;
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
    /// Rows off screen that could move onto it are read every this many passes.
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
    sample_paths(
        fs,
        started,
        &fs.walk(base),
        true,
        plan,
        files,
        &nothing_known,
    )
}

/// Every cgroup of `paths` fully (as `snapshot` reads), the whole tree as the caller knows it
/// (the recorder's, from its inotify watches), parents before children: no directory is
/// listed. `cgroup.events` is taken from `known` where it holds it instead of being read.
pub fn sample_listed_knowing(
    fs: &Cgroupfs,
    paths: &[CgroupPath],
    files: &mut OpenFiles,
    known: &dyn Fn(&CgroupPath) -> KnownEvents,
) -> TreeSample {
    let started = Instant::now();
    sample_paths(
        fs,
        started,
        paths,
        true,
        &mut every(None, true),
        Some(files),
        known,
    )
}

fn nothing_known(_: &CgroupPath) -> KnownEvents {
    KnownEvents::default()
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
    known: &dyn Fn(&CgroupPath) -> KnownEvents,
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
                let known = known(path);
                if let Ok(Some(sample)) =
                    read_sample_knowing(fs, path, scope, files.as_deref_mut(), &known)
                {
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

/// What the view needs read, as the app works it out (`app::reads`). Nothing else is read
/// periodically: a cgroup off screen keeps its latest values, which the UI marks as old.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reads {
    /// Read every pass, and at once when new to this list: the rows on screen and what their
    /// order or the header depends on (the top, parents of rows sorted by a value).
    pub every_pass: Vec<CgroupPath>,
    /// Rows off screen whose order could bring them on screen and that no bound rules out:
    /// read in turns, every [`HIDDEN_EVERY`] passes (or less often, over the CPU budget).
    pub in_turns: Vec<CgroupPath>,
}

/// What one pass cost and read (`cgtui --stats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassStats {
    /// Cgroups read.
    pub cgroups: usize,
    /// Files opened and read, bytes, directories listed.
    pub io: IoCounts,
    /// The sampler thread's CPU for the pass.
    pub cpu: Duration,
    /// The pass listed the whole tree.
    pub walked: bool,
}

impl PassStats {
    /// One line for the header.
    pub fn text(&self) -> String {
        format!(
            "pass {} cgroups: {} files read ({} opened), {} dirs listed, {:.1} KiB, {:.2} ms CPU{}",
            self.cgroups,
            self.io.read,
            self.io.opened,
            self.io.listed,
            self.io.bytes as f64 / 1024.0,
            self.cpu.as_secs_f64() * 1e3,
            if self.walked { ", walked" } else { "" }
        )
    }
}

/// What the passes of a run read, added up (printed on exit with `cgtui --stats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassTotals {
    pub passes: u64,
    pub cgroups: u64,
    pub io: IoCounts,
    pub cpu: Duration,
    /// Passes that listed the whole tree.
    pub walks: u64,
}

impl PassTotals {
    pub fn add(&mut self, pass: &PassStats) {
        self.passes += 1;
        self.cgroups += pass.cgroups as u64;
        self.io += pass.io;
        self.cpu += pass.cpu;
        self.walks += u64::from(pass.walked);
    }

    /// The means per pass, in one line.
    pub fn text(&self) -> String {
        let n = self.passes.max(1) as f64;
        format!(
            "{} passes, {} walking the tree; per pass: {:.1} cgroups, {:.1} files read \
             ({:.1} opened), {:.2} dirs listed, {:.1} KiB, {:.2} ms CPU",
            self.passes,
            self.walks,
            self.cgroups as f64 / n,
            self.io.read as f64 / n,
            self.io.opened as f64 / n,
            self.io.listed as f64 / n,
            self.io.bytes as f64 / 1024.0 / n,
            self.cpu.as_secs_f64() * 1e3 / n
        )
    }
}

/// Which cgroups a pass reads: the focused one fully, and what the view needs
/// ([`Reads`]): the rows on screen every pass, some rows off screen in turns, each in its own
/// phase so the load spreads evenly. The rest is not read: new and removed cgroups,
/// populated/frozen and OOM kills arrive by inotify, and the tree is walked (every directory
/// listed) only to recover: after an inotify queue overflow or a write
/// ([`ViewPlan::walk_next_pass`]), and every pass without inotify
/// ([`ViewPlan::walk_every_pass`]). A cgroup inotify could not watch is polled alone
/// ([`ViewPlan::poll_alone`]).
pub struct ViewPlan {
    pub focus: Option<CgroupPath>,
    /// What the view needs; `None` until it says.
    reads: Option<Reads>,
    /// `reads.every_pass` as a set.
    every_pass: HashSet<CgroupPath>,
    /// Walk the whole tree every pass: nothing reports new and removed cgroups in between.
    pub walk_every_pass: bool,
    /// Nothing else reports the tree's shape: until the view says what it needs, every pass
    /// walks and reads every cgroup. The TUI clears it: its watcher reports the shape once
    /// it watches the whole tree, and the sampler waits for the rows on screen.
    pub own_shape: bool,
    walk_next: bool,
    /// Rows off screen ([`Reads::in_turns`]) are read every this many passes.
    hidden_every: u64,
    pass: u64,
    /// Cgroups read by the latest pass, or caught up since.
    read_latest: HashSet<CgroupPath>,
    /// Cgroups inotify does not watch, read every pass.
    alone: HashMap<CgroupPath, Alone>,
    /// What polling those found, as the watcher would have reported it.
    events: Vec<WatchEvent>,
    /// CPU the latest pass spent on a walk made only to recover (zero otherwise): a one-off,
    /// not a cost of the passes to come.
    walk_cpu: Duration,
    /// What the latest pass read.
    pub latest: PassStats,
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
            reads: None,
            every_pass: HashSet::new(),
            walk_every_pass: false,
            own_shape: true,
            walk_next: false,
            hidden_every: HIDDEN_EVERY,
            pass: 0,
            read_latest: HashSet::new(),
            alone: HashMap::new(),
            events: Vec::new(),
            walk_cpu: Duration::ZERO,
            latest: PassStats::default(),
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

/// What a pass does with one cgroup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    Read(Scope),
    /// Walked and not read: listed in the (complete) sample without values.
    Listed,
    /// Not read in this turn: what the file cache knows of it is kept.
    Kept,
}

impl ViewPlan {
    /// Tell the plan what the view needs.
    pub fn set_reads(&mut self, reads: Reads) {
        self.every_pass = reads.every_pass.iter().cloned().collect();
        self.reads = Some(reads);
    }

    /// Walk the tree at the next pass (after an inotify queue overflow, or a write).
    pub fn walk_next_pass(&mut self) {
        self.walk_next = true;
    }

    /// Read rows off screen every `passes` passes.
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

    /// Is there anything to do: a walk due, or something the view needs?
    pub fn has_work(&self) -> bool {
        self.walk_due() || self.reads.is_some() || self.focus.is_some() || !self.alone.is_empty()
    }

    fn walk_due(&self) -> bool {
        self.walk_every_pass || self.walk_next || (self.reads.is_none() && self.own_shape)
    }

    fn scope(&self, path: &CgroupPath) -> Option<Scope> {
        if self.focus.as_ref() == Some(path) {
            return Some(Scope::Full);
        }
        let needed = match &self.reads {
            None => self.own_shape,
            Some(_) => self.every_pass.contains(path),
        };
        (needed || (!self.alone.is_empty() && self.alone.contains_key(path)))
            .then_some(Scope::Columns)
    }

    fn turn(&self, path: &CgroupPath) -> bool {
        let every = self.hidden_every;
        (self.pass + phase(path) % every).is_multiple_of(every)
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
                    child,
                    Alone {
                        children: Some(Vec::new()),
                        directory: true,
                    },
                );
            }
            for name in before.iter().filter(|n| names.binary_search(n).is_err()) {
                let child = dir.join(name);
                self.alone.retain(|path, _| !path.starts_with(&child));
                self.events.push(WatchEvent::Removed { path: child });
            }
        }
    }

    /// What this pass does, cgroup by cgroup: every cgroup of `walked` (a walk's list,
    /// parents first), or only those it reads (and the rows read in turns it keeps).
    fn entries(
        &self,
        base: &CgroupPath,
        walked: Option<&[CgroupPath]>,
    ) -> Vec<(CgroupPath, Entry)> {
        let in_turns = self.reads.as_ref().map_or(&[][..], |r| &r.in_turns[..]);
        if let Some(listed) = walked {
            let turns: HashSet<&CgroupPath> = in_turns.iter().collect();
            return listed
                .iter()
                .map(|path| {
                    let entry = match self.scope(path) {
                        Some(scope) => Entry::Read(scope),
                        None if turns.contains(path) && self.turn(path) => {
                            Entry::Read(Scope::Columns)
                        }
                        None => Entry::Listed,
                    };
                    (path.clone(), entry)
                })
                .collect();
        }
        let mut entries = Vec::new();
        let mut seen = HashSet::new();
        let every_pass = self.reads.iter().flat_map(|r| r.every_pass.iter());
        let wanted = self.focus.iter().chain(every_pass).chain(self.alone.keys());
        for path in wanted {
            if path.starts_with(base) && seen.insert(path) {
                let scope = self.scope(path).unwrap_or(Scope::Columns);
                entries.push((path.clone(), Entry::Read(scope)));
            }
        }
        for path in in_turns {
            if path.starts_with(base) && seen.insert(path) {
                let entry = if self.turn(path) {
                    Entry::Read(Scope::Columns)
                } else {
                    Entry::Kept
                };
                entries.push((path.clone(), entry));
            }
        }
        entries
    }

    /// One pass: read what the view needs, walking the tree first when a walk is due. The
    /// sample is complete (lists every cgroup) only when the pass walked.
    pub fn sample(
        &mut self,
        fs: &Cgroupfs,
        base: &CgroupPath,
        files: &mut OpenFiles,
    ) -> TreeSample {
        let cpu_before = thread_cpu();
        let io_before = stats::thread_counts();
        self.pass += 1;
        // Before the walk: the model must not remove a cgroup created while the walk ran.
        let started = Instant::now();
        let walk = self.walk_due();
        self.walk_cpu = Duration::ZERO;
        let walked = walk.then(|| {
            let listed = fs.walk(base);
            // A walk made only to recover is a one-off, not a cost of the passes to come.
            if !self.walk_every_pass && self.reads.is_some() {
                self.walk_cpu = thread_cpu().saturating_sub(cpu_before);
            }
            self.walk_next = false;
            listed
        });
        if !self.alone.is_empty() {
            self.list_unwatched(fs, base);
        }
        let entries = self.entries(base, walked.as_deref());
        self.read_latest.clear();
        files.begin_pass();
        let mut cgroups = Vec::with_capacity(if walk { entries.len() } else { 64 });
        let mut read = 0;
        for (path, entry) in entries {
            match entry {
                // A directory that vanished or cannot be read is left out until the next
                // pass; per-file problems are kept inside the sample.
                Entry::Read(scope) => {
                    read += 1;
                    if let Ok(Some(sample)) = read_sample_with(fs, &path, scope, Some(files)) {
                        self.read_latest.insert(path.clone());
                        cgroups.push((path, Some(Box::new(sample))));
                    }
                }
                Entry::Listed => {
                    files.still_there(&path);
                    cgroups.push((path, None));
                }
                Entry::Kept => files.still_there(&path),
            }
        }
        files.end_pass();
        if let Some(listed) = &walked {
            // Polled cgroups the walk did not find are gone.
            let found: HashSet<&CgroupPath> = listed.iter().collect();
            self.alone
                .retain(|path, _| found.contains(path) || !path.starts_with(base));
        }
        self.latest = PassStats {
            cgroups: read,
            io: stats::thread_counts() - io_before,
            cpu: thread_cpu().saturating_sub(cpu_before),
            walked: walk,
        };
        TreeSample {
            started,
            finished: Instant::now(),
            complete: walk,
            cgroups,
        }
    }

    /// Read at once what the view needs every pass and the latest pass did not read (the
    /// first screen, rows scrolled onto it), so a row never waits an interval on screen with
    /// old values. `None` when there is nothing new. The focus is read fully elsewhere.
    pub fn catch_up(
        &mut self,
        fs: &Cgroupfs,
        base: &CgroupPath,
        files: &mut OpenFiles,
    ) -> Option<TreeSample> {
        let reads = self.reads.as_ref()?;
        let new: Vec<CgroupPath> = reads
            .every_pass
            .iter()
            .filter(|p| {
                p.starts_with(base)
                    && !self.read_latest.contains(*p)
                    && self.focus.as_ref() != Some(*p)
            })
            .cloned()
            .collect();
        if new.is_empty() {
            return None;
        }
        let started = Instant::now();
        let mut cgroups = Vec::with_capacity(new.len());
        for path in new {
            if let Ok(Some(sample)) = read_sample_with(fs, &path, Scope::Columns, Some(files)) {
                cgroups.push((path.clone(), Some(Box::new(sample))));
            }
            self.read_latest.insert(path);
        }
        Some(TreeSample {
            started,
            finished: Instant::now(),
            complete: false,
            cgroups,
        })
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
    /// Nothing else reports the tree's shape ([`ViewPlan::own_shape`]).
    pub own_shape: bool,
    /// Send [`Event::PassStats`] after every pass.
    pub stats: bool,
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
        let mut plan = ViewPlan {
            own_shape: self.own_shape,
            ..ViewPlan::default()
        };
        let mut pacer = Pacer::new(self.interval, self.cpu_budget);
        let mut told = None;
        let mut cpu_mark = thread_cpu();
        let mut first = true;
        loop {
            let tick = Instant::now();
            plan.focus = self.focus.clone();
            plan.set_hidden_every(pacer.schedule.hidden_every);
            if plan.has_work() {
                let tree = plan.sample(&self.fs, &self.base, &mut files);
                for event in plan.take_events() {
                    if events.send(Event::Watch(event)).is_err() {
                        return;
                    }
                }
                if events.send(Event::Tree(tree)).is_err() || !self.send_processes(&events) {
                    return;
                }
                if self.stats && events.send(Event::PassStats(plan.latest)).is_err() {
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
                        plan.focus = self.focus.clone();
                        if !self.send_focus(&events) {
                            return;
                        }
                    }
                    Ok(Command::Visible(reads)) => {
                        plan.set_reads(reads);
                        if let Some(rows) = plan.catch_up(&self.fs, &self.base, &mut files)
                            && events.send(Event::CaughtUp(rows)).is_err()
                        {
                            return;
                        }
                    }
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

    fn p(s: &str) -> CgroupPath {
        CgroupPath::from_relative(Path::new(s)).unwrap()
    }

    /// How often each of `paths` is read over `passes` passes (without touching files).
    fn reads_over(plan: &mut ViewPlan, paths: &[CgroupPath], passes: u64) -> Vec<usize> {
        let mut reads = vec![0; paths.len()];
        for _ in 0..passes {
            plan.pass += 1;
            let entries = plan.entries(&CgroupPath::root(), None);
            for (i, path) in paths.iter().enumerate() {
                if entries
                    .iter()
                    .any(|(p, e)| p == path && matches!(e, Entry::Read(_)))
                {
                    reads[i] += 1;
                }
            }
        }
        reads
    }

    #[test]
    fn rows_on_screen_are_read_every_pass_and_rows_in_turns_every_few() {
        let hidden: Vec<CgroupPath> = (0..100).map(|i| p(&format!("h{i}"))).collect();
        let mut plan = ViewPlan {
            focus: Some(p("f")),
            ..ViewPlan::default()
        };
        plan.set_reads(Reads {
            every_pass: vec![p("v")],
            in_turns: hidden.clone(),
        });
        let passes = HIDDEN_EVERY * 4;
        let shown = reads_over(&mut plan, &[p("f"), p("v"), p("elsewhere")], passes);
        assert_eq!(
            shown,
            [passes as usize, passes as usize, 0],
            "the focus and the rows on screen every pass, nothing else"
        );
        let turns = reads_over(&mut plan, &hidden, passes);
        assert!(turns.iter().all(|r| *r == 4), "{turns:?}");
        assert_eq!(
            plan.entries(&CgroupPath::root(), None)[0],
            (p("f"), Entry::Read(Scope::Full)),
            "the focus is read fully"
        );
    }

    #[test]
    fn the_plan_follows_a_thinner_schedule() {
        let hidden: Vec<CgroupPath> = (0..200).map(|i| p(&format!("h{i}"))).collect();
        let mut plan = ViewPlan::default();
        plan.set_reads(Reads {
            every_pass: Vec::new(),
            in_turns: hidden.clone(),
        });
        plan.set_hidden_every(40);
        let reads: usize = reads_over(&mut plan, &hidden, 40).iter().sum();
        assert_eq!(reads, 200, "each once in 40 passes");
    }

    /// A fixture tree with `names` as cgroups (each with a cpu.stat).
    fn fixture(names: &[&str]) -> (tempfile::TempDir, Cgroupfs) {
        let dir = tempfile::tempdir().unwrap();
        for name in names {
            std::fs::create_dir_all(dir.path().join(name)).unwrap();
            std::fs::write(dir.path().join(name).join("cpu.stat"), "usage_usec 1\n").unwrap();
        }
        let fs = Cgroupfs::fixture(dir.path()).unwrap();
        (dir, fs)
    }

    fn read(tree: &TreeSample) -> Vec<String> {
        let mut names: Vec<String> = tree
            .cgroups
            .iter()
            .filter(|(_, s)| s.is_some())
            .map(|(c, _)| c.to_string())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn only_what_the_view_needs_is_read_and_the_tree_is_walked_only_to_recover() {
        let (dir, fs) = fixture(&["a", "b", "c"]);
        let root = CgroupPath::root();
        let mut files = OpenFiles::new();
        let mut plan = ViewPlan {
            own_shape: false,
            ..ViewPlan::default()
        };
        assert!(!plan.has_work(), "nothing to do before the view says");
        plan.set_reads(Reads {
            every_pass: vec![p("a")],
            in_turns: Vec::new(),
        });
        for _ in 0..HIDDEN_EVERY * 3 {
            let tree = plan.sample(&fs, &root, &mut files);
            assert!(!tree.complete, "no walk");
            assert_eq!(read(&tree), ["/a"]);
            assert_eq!(plan.latest.io.listed, 0, "no directory listed");
        }
        // After an overflow: one walk, which lists every cgroup and reads only /a.
        std::fs::create_dir(dir.path().join("d")).unwrap();
        plan.walk_next_pass();
        let walked = plan.sample(&fs, &root, &mut files);
        assert!(walked.complete && plan.latest.walked);
        assert_eq!(walked.cgroups.len(), 5, "/, a, b, c and d listed");
        assert_eq!(read(&walked), ["/a"]);
        assert!(!plan.sample(&fs, &root, &mut files).complete, "only once");
        // Without inotify: every pass.
        plan.walk_every_pass = true;
        assert!(plan.sample(&fs, &root, &mut files).complete);
        assert!(plan.sample(&fs, &root, &mut files).complete);
    }

    #[test]
    fn rows_new_on_screen_are_read_at_once_and_once() {
        let (_dir, fs) = fixture(&["a", "b", "c"]);
        let root = CgroupPath::root();
        let mut files = OpenFiles::new();
        let mut plan = ViewPlan {
            own_shape: false,
            focus: Some(p("c")),
            ..ViewPlan::default()
        };
        plan.set_reads(Reads {
            every_pass: vec![p("a")],
            in_turns: Vec::new(),
        });
        let first = plan
            .catch_up(&fs, &root, &mut files)
            .expect("the first screen");
        assert_eq!(read(&first), ["/a"]);
        assert!(plan.catch_up(&fs, &root, &mut files).is_none(), "once");
        plan.sample(&fs, &root, &mut files);
        // /b scrolls on screen; the focus (/c) is read fully elsewhere.
        plan.set_reads(Reads {
            every_pass: vec![p("a"), p("b"), p("c")],
            in_turns: Vec::new(),
        });
        let scrolled = plan.catch_up(&fs, &root, &mut files).expect("the new row");
        assert_eq!(read(&scrolled), ["/b"]);
        assert!(!scrolled.complete);
    }

    #[test]
    fn a_pass_costs_what_is_on_screen_whatever_the_tree_size() {
        let cost = |count: usize| {
            let names: Vec<String> = (0..count).map(|i| format!("p{}/c{i}", i % 10)).collect();
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let (_dir, fs) = fixture(&refs);
            let mut files = OpenFiles::new();
            let mut plan = ViewPlan {
                own_shape: false,
                ..ViewPlan::default()
            };
            plan.set_reads(Reads {
                every_pass: names.iter().take(50).map(|n| p(n)).collect(),
                in_turns: Vec::new(),
            });
            (0..3)
                .map(|_| {
                    plan.sample(&fs, &CgroupPath::root(), &mut files);
                    (plan.latest.cgroups, plan.latest.io)
                })
                .collect::<Vec<_>>()
        };
        let small = cost(200);
        let large = cost(2000);
        assert_eq!(small, large, "the same reads on 200 and on 2,000 cgroups");
        assert_eq!(small[2].0, 50);
        assert_eq!(small[2].1.listed, 0);
        assert!(small[2].1.read >= 50, "{:?}", small[2]);
        assert_eq!(small[2].1.opened, 0, "read again in place: files kept open");
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
    fn a_cgroup_polled_alone_is_read_every_pass_and_its_children_reported() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a", "b"] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
        }
        let fs = Cgroupfs::fixture(dir.path()).unwrap();
        let mut files = OpenFiles::new();
        let mut plan = ViewPlan::default();
        plan.set_reads(Reads::default());
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
        // Queued before the sampler starts: on a busy machine the sampler could otherwise
        // make its passes before this thread gets to send.
        commands.send(Command::Visible(Reads::default())).unwrap();
        let runner = std::thread::spawn(move || sampler.run(receiver, events));
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
