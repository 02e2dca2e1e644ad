//! The one collector: every consumer's reads of cgroupfs go through [`Collector`] — the TUI's
//! sampler thread ([`sampler`], following what is on screen through a [`plan::ViewPlan`]),
//! `cgtui record`, `cgtui export` and `cgtui snapshot`. Each reads what its plan asks for and
//! gets samples whose counter files carry the moment they were read
//! ([`crate::cgroup::sample::ReadTimes`]), from which [`crate::model::rates`] computes every
//! rate. Nothing here knows the app: the sampler reports through a callback of its own
//! message type.

pub mod pace;
pub mod plan;
pub mod sampler;
pub mod watched;

use crate::cgroup::files::OpenFiles;
use crate::cgroup::parse::{CpuStat, IoDeviceStat, MemoryEvents, Pressure, PressureLine};
use crate::cgroup::sample::{
    CgroupSample, KnownEvents, ReadTimes, Scope, Unchanged, read_sample, read_sample_knowing,
};
use crate::cgroup::stats::IoCounts;
use crate::cgroup::{CgroupPath, Cgroupfs};
use crate::model::TreeSample;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How a directory's children changed between two listings, each sorted: the names only in
/// `now` (made since), and those only in `before` (removed since). For readers that poll a
/// directory inotify does not watch (the TUI's sampler, the recorder).
pub(crate) fn changed_children<'a>(
    before: &'a [std::ffi::OsString],
    now: &'a [std::ffi::OsString],
) -> (Vec<&'a std::ffi::OsString>, Vec<&'a std::ffi::OsString>) {
    let made = now.iter().filter(|n| before.binary_search(n).is_err());
    let removed = before.iter().filter(|n| now.binary_search(n).is_err());
    (made.collect(), removed.collect())
}

/// CPU time this thread has used.
pub(crate) fn thread_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// Reads cgroups for one consumer, keeping their files open between passes. With
/// [`Collector::carrying`], a pass that reads parents before their children does not read again
/// the hierarchical counters of a subtree whose top did not change ([`Unchanged`]).
pub struct Collector {
    fs: Cgroupfs,
    files: OpenFiles,
    carry: Option<Carry>,
}

/// What a carrying collector knows of the hierarchical counters, to tell an unchanged subtree.
struct Carry {
    /// [`PSI_SETTLED_NS`], shorter in tests.
    psi_settled_ns: u64,
    /// The `memory_localevents` mount option: a parent's memory.events counts only its own
    /// events, and says nothing of its children's.
    local_events: bool,
    /// Each cgroup's counters as last read (or carried), by the pass before this one.
    last: HashMap<ByBytes, Counters>,
    /// Those of this pass so far.
    next: HashMap<ByBytes, Counters>,
    /// The cgroups of this pass whose counters equal their last ones: when each was read.
    still: HashMap<ByBytes, Still>,
    /// Reads so far, to number them ([`Counters::read_seq`]).
    reads: u64,
}

/// A path as a map key searched by its bytes: a cgroup's parent is found without building
/// the parent's path. (Only hashed and compared: `CgroupPath`'s order is not its bytes'.)
#[derive(Debug, PartialEq, Eq, Hash)]
struct ByBytes(CgroupPath);

impl std::borrow::Borrow<[u8]> for ByBytes {
    fn borrow(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// The hierarchical counters of one cgroup.
#[derive(Debug, Clone, PartialEq)]
struct Counters {
    inode: u64,
    /// Its read's place among this collector's reads: a child's counters carry only from a
    /// parent read before them, whatever order a reader takes them in (a count, not a clock:
    /// two reads never tie).
    read_seq: u64,
    cpu_stat: Option<CpuStat>,
    io_stat: Option<Vec<IoDeviceStat>>,
    pressure: [Option<Pressure>; 3],
    /// When each PSI file's `some` total was first seen at its value (read time).
    pressure_since: [Option<u64>; 3],
    memory_current: Option<u64>,
    swap_current: Option<u64>,
    pids_current: Option<u64>,
    memory_events: Option<MemoryEvents>,
}

/// Which counter files of a cgroup did not change in this pass, and when each was read. Only
/// for a cgroup whose directory is root's ([`Carry::read`]): PSI accounting can be switched
/// off and on in a cgroup (`cgroup.pressure`), which freezes its totals while its children's
/// grow, and controllers off in its children, and a delegated user may do both in the
/// cgroups they own.
#[derive(Debug, Clone, Copy, Default)]
struct Still {
    cpu_stat: Option<u64>,
    io_stat: Option<u64>,
    pressure: [Option<u64>; 3],
    /// memory.current, memory.swap.current and pids.current read 0 in this pass: so do its
    /// children's (each counter is charged to every ancestor too).
    memory_zero: bool,
    swap_zero: bool,
    pids_zero: bool,
    /// memory.events did not change (every child's event is counted in it too).
    memory_events: bool,
}

/// PSI averages are recomputed every 2 s: a file whose total has not moved for longer has
/// averages that already show its last stall (and so read zero only if it is long past).
const PSI_SETTLED_NS: u64 = 3_000_000_000;

impl Counters {
    /// `sample`'s counters, the collector's read number `read_seq`; `last` being the same
    /// cgroup's at the previous pass.
    fn of(sample: &CgroupSample, read_seq: u64, last: Option<&Counters>) -> Counters {
        let pressure = [sample.psi.cpu, sample.psi.memory, sample.psi.io];
        let times = [
            sample.read_at.cpu_pressure,
            sample.read_at.memory_pressure,
            sample.read_at.io_pressure,
        ];
        let mut pressure_since = [None; 3];
        for (i, since) in pressure_since.iter_mut().enumerate() {
            let total = |p: &Option<Pressure>| p.map(|p| p.some.total);
            *since = match last.filter(|l| l.inode == sample.inode) {
                Some(last) if total(&last.pressure[i]) == total(&pressure[i]) => {
                    last.pressure_since[i].or(times[i])
                }
                _ => times[i],
            };
        }
        Counters {
            inode: sample.inode,
            read_seq,
            cpu_stat: sample.cpu,
            io_stat: sample.io.clone(),
            pressure,
            pressure_since,
            memory_current: sample.memory.current,
            swap_current: sample.memory.swap_current,
            pids_current: sample.pids.current,
            memory_events: sample.memory.events,
        }
    }

    /// Which counters read 0 in this pass (whatever they read before).
    fn zeros(&self) -> Still {
        Still {
            memory_zero: self.memory_current == Some(0),
            swap_zero: self.swap_current == Some(0),
            pids_zero: self.pids_current == Some(0),
            ..Still::default()
        }
    }

    /// Which files hold the same values as `last` (the same cgroup's), with their read times.
    /// For PSI only the `some` total counts: it is what a descendant's stall would move.
    fn still_since(&self, last: &Counters, read_at: &ReadTimes) -> Still {
        if self.inode != last.inode {
            return Still::default();
        }
        let pressure_times = [
            read_at.cpu_pressure,
            read_at.memory_pressure,
            read_at.io_pressure,
        ];
        let mut pressure = [None; 3];
        for (i, slot) in pressure.iter_mut().enumerate() {
            let total = |p: &Option<Pressure>| p.map(|p| p.some.total);
            *slot = same(
                &total(&self.pressure[i]),
                &total(&last.pressure[i]),
                pressure_times[i],
            );
        }
        Still {
            cpu_stat: same(&self.cpu_stat, &last.cpu_stat, read_at.cpu_stat),
            io_stat: same(&self.io_stat, &last.io_stat, read_at.io_stat),
            pressure,
            memory_events: self.memory_events.is_some() && self.memory_events == last.memory_events,
            ..self.zeros()
        }
    }
}

/// No event counted yet: a memory cgroup made again (its controller switched off and on in the
/// parent, unannounced) starts so too, so such a value stays right whatever happened.
fn no_events(events: &MemoryEvents) -> bool {
    *events
        == MemoryEvents {
            oom_group_kill: events.oom_group_kill.map(|_| 0),
            ..MemoryEvents::default()
        }
}

/// `at` when a value is there and the same as before.
fn same<T: PartialEq>(now: &Option<T>, before: &Option<T>, at: Option<u64>) -> Option<u64> {
    (now.is_some() && now == before).then_some(at).flatten()
}

/// All three PSI averages of a pressure file are zero: without new stalls they stay so.
fn at_rest(pressure: &Pressure) -> bool {
    let zero = |line: &PressureLine| line.avg10 == 0.0 && line.avg60 == 0.0 && line.avg300 == 0.0;
    zero(&pressure.some) && pressure.full.as_ref().is_none_or(zero)
}

impl Default for Carry {
    fn default() -> Self {
        Carry {
            psi_settled_ns: PSI_SETTLED_NS,
            local_events: false,
            last: HashMap::new(),
            next: HashMap::new(),
            still: HashMap::new(),
            reads: 0,
        }
    }
}

impl Carry {
    /// What `path` may take without reading: the counters of its own last read whose files
    /// stayed the same in its parent during this pass.
    fn unchanged(&self, path: &CgroupPath) -> Option<Unchanged> {
        let parent_path = path.parent_bytes()?;
        let parent = self.still.get(parent_path)?;
        let last = self.last.get(path.as_bytes())?;
        // The parent's counters stayed the same since its last read: so did the child's since
        // a read made after that one, not since one made before (the rows of a view change
        // order, and rows are read between passes as they come on screen).
        if self
            .last
            .get(parent_path)
            .is_none_or(|parent_last| last.read_seq < parent_last.read_seq)
        {
            return None;
        }
        // A PSI file at rest, and long enough for its averages to show a stall.
        let pressure = |i: usize| {
            let at = parent.pressure[i]?;
            let settled = last.pressure_since[i]? + self.psi_settled_ns <= at;
            last.pressure[i]
                .filter(|p| settled && at_rest(p))
                .map(|p| (p, at))
        };
        // A zero where the file was there at the last read (its controller enabled).
        let zero =
            |parent_zero: bool, last: Option<u64>| (parent_zero && last.is_some()).then_some(0);
        let unchanged = Unchanged {
            inode: last.inode,
            cpu_stat: parent.cpu_stat.and_then(|at| Some((last.cpu_stat?, at))),
            io_stat: parent
                .io_stat
                .and_then(|at| Some((last.io_stat.clone()?, at))),
            cpu_pressure: pressure(0),
            memory_pressure: pressure(1),
            io_pressure: pressure(2),
            memory_current: zero(parent.memory_zero, last.memory_current),
            swap_current: zero(parent.swap_zero, last.swap_current),
            pids_current: zero(parent.pids_zero, last.pids_current),
            memory_events: last
                .memory_events
                .filter(|e| parent.memory_events && !self.local_events && no_events(e)),
        };
        // Nothing to carry is no `Unchanged` at all: the read takes its plain path.
        let carries = unchanged.cpu_stat.is_some()
            || unchanged.io_stat.is_some()
            || unchanged.cpu_pressure.is_some()
            || unchanged.memory_pressure.is_some()
            || unchanged.io_pressure.is_some()
            || unchanged.memory_current.is_some()
            || unchanged.swap_current.is_some()
            || unchanged.pids_current.is_some()
            || unchanged.memory_events.is_some();
        carries.then_some(unchanged)
    }

    fn read(&mut self, path: &CgroupPath, sample: &CgroupSample) {
        self.reads += 1;
        let last = self.last.get(path.as_bytes());
        let counters = Counters::of(sample, self.reads, last);
        let still = match last {
            // A delegated user can switch its children's controllers off (their files gone,
            // the carried values would stay) and its PSI accounting: only root's cgroups
            // vouch for their children.
            _ if sample.owner_uid != 0 => Still::default(),
            // The hierarchy's root counts CPU time by ticks and IO as the disks complete it,
            // not as the sum of its children's: a child's short bursts may leave it unchanged.
            Some(last) if path.is_root() => Still {
                cpu_stat: None,
                io_stat: None,
                ..counters.still_since(last, &sample.read_at)
            },
            Some(last) => counters.still_since(last, &sample.read_at),
            // Zeros say something without a last read.
            None => counters.zeros(),
        };
        self.still.insert(ByBytes(path.clone()), still);
        self.next.insert(ByBytes(path.clone()), counters);
    }

    /// A pass starts afresh: its children carry only from parents it read itself.
    fn begin_pass(&mut self) {
        self.still.clear();
    }

    fn end_pass(&mut self) {
        self.last = std::mem::take(&mut self.next);
        self.still.clear();
    }
}

impl Collector {
    pub fn new(fs: Cgroupfs) -> Collector {
        Collector {
            fs,
            files: OpenFiles::new(),
            carry: None,
        }
    }

    /// At most `max` files kept open between passes (the exporter's bound).
    pub fn keeping_open_at_most(fs: Cgroupfs, max: usize) -> Collector {
        Collector {
            files: OpenFiles::with_keep_open_max(max),
            ..Collector::new(fs)
        }
    }

    /// Do not read again the hierarchical counters of a subtree whose top did not change
    /// since the last pass ([`Unchanged`]): a child is carried where its parent was read
    /// before it in the same pass, and after its own last read (the recorder, the exporter,
    /// `snapshot`: every cgroup, parents first; the TUI: the rows on screen, in their order).
    pub fn carrying(mut self) -> Collector {
        self.carry = Some(Carry {
            local_events: self
                .fs
                .mount()
                .is_some_and(|m| m.options.memory_localevents),
            ..Carry::default()
        });
        self
    }

    /// Re-read limits and controller lists (and look again for absent files) at most every
    /// `period` of passes `interval` apart, and at least every 10 passes: for a reader of the
    /// whole tree at short intervals (the recorder), where re-reading them every 10 passes
    /// would cost more than reading the counters.
    pub fn rereading_rare_every(mut self, period: Duration, interval: Duration) -> Collector {
        self.files.set_rare_passes(passes_in(period, interval));
        self
    }

    /// Re-read those of cgroups whose writes are reported
    /// ([`crate::cgroup::sample::KnownEvents::writes_reported`]) only every `period`: a
    /// safety net, as each reported write is followed by [`Collector::forget_written`].
    pub fn rereading_written_every(mut self, period: Duration, interval: Duration) -> Collector {
        self.files.set_written_passes(passes_in(period, interval));
        self
    }

    /// A write to `file` of `cgroup` was reported: read what it may have changed again at the
    /// next pass. `children_of` lists a cgroup's children.
    pub fn forget_written(
        &mut self,
        cgroup: &CgroupPath,
        file: crate::cgroup::watch::WrittenFile,
        children_of: &mut dyn FnMut(&CgroupPath) -> Vec<CgroupPath>,
    ) {
        use crate::cgroup::watch::WrittenFile;
        self.files.forget_rare_of(cgroup);
        match file {
            WrittenFile::Other => {}
            WrittenFile::SubtreeControl => {
                // The children's controller lists, and which interface files they have.
                for child in children_of(cgroup) {
                    self.files.forget_rare_of(&child);
                    self.files.forget_absent_of(&child);
                }
            }
            WrittenFile::Type => {
                // The parent's type (domain threaded) and the siblings' (domain invalid).
                if let Some(parent) = cgroup.parent() {
                    self.files.forget_rare_of(&parent);
                    for sibling in children_of(&parent) {
                        self.files.forget_rare_of(&sibling);
                    }
                }
            }
        }
    }

    pub fn fs(&self) -> &Cgroupfs {
        &self.fs
    }

    /// Files kept open now.
    pub fn open_files(&self) -> usize {
        self.files.open_count()
    }

    /// Directories held open now (read every pass, at a scope that reads `cgroup.stat`).
    pub fn held_dirs(&self) -> usize {
        self.files.held_count()
    }

    /// Every cgroup under `base`, parents before children.
    pub fn walk(&self, base: &CgroupPath) -> Vec<CgroupPath> {
        self.fs.walk(base)
    }

    /// Start a pass: what is not read or kept ([`Collector::keep`]) before
    /// [`Collector::end_pass`] is forgotten.
    pub fn begin_pass(&mut self) {
        self.files.begin_pass();
        if let Some(carry) = self.carry.as_mut() {
            carry.begin_pass();
        }
    }

    /// Read one cgroup in this pass; `None` when it does not exist (any more) or its
    /// directory cannot be read (per-file problems are kept inside the sample).
    pub fn read(
        &mut self,
        path: &CgroupPath,
        scope: Scope,
        known: &KnownEvents,
    ) -> Option<Box<CgroupSample>> {
        let unchanged = self.carry.as_ref().and_then(|c| c.unchanged(path));
        let sample = read_sample_knowing(
            &self.fs,
            path,
            scope,
            Some(&mut self.files),
            known,
            unchanged.as_ref(),
        )
        .ok()
        .flatten()?;
        if let Some(carry) = self.carry.as_mut() {
            carry.read(path, &sample);
        }
        Some(Box::new(sample))
    }

    /// Read one cgroup afresh, its files opened for this read only (the focused cgroup's
    /// full read, a cgroup found by polling).
    pub fn read_once(&self, path: &CgroupPath, scope: Scope) -> Option<Box<CgroupSample>> {
        read_sample(&self.fs, path, scope)
            .ok()
            .flatten()
            .map(Box::new)
    }

    /// `path` exists but is not read in this pass: what is known of it is kept.
    pub fn keep(&mut self, path: &CgroupPath) {
        self.files.still_there(path);
    }

    pub fn end_pass(&mut self) {
        self.files.end_pass();
        if let Some(carry) = self.carry.as_mut() {
            carry.end_pass();
        }
    }

    /// Read files rarely changing (limits, controllers) again at the next pass: after a write.
    pub fn forget_rare(&mut self) {
        self.files.forget_rare();
    }

    /// Read those of `paths` (parents before children) that `plan` asks for. `complete`:
    /// `paths` is the whole tree, just listed, and the sample lists every cgroup (the unread
    /// ones with no sample); otherwise it holds only the cgroups read. `started`: when the
    /// pass began (before any listing). `cgroup.events` is taken from `known` where it holds
    /// it.
    pub fn read_paths(
        &mut self,
        started: Instant,
        paths: &[CgroupPath],
        complete: bool,
        plan: &mut dyn FnMut(&CgroupPath) -> Option<Scope>,
        known: &dyn Fn(&CgroupPath) -> KnownEvents,
    ) -> TreeSample {
        self.begin_pass();
        let mut cgroups = Vec::with_capacity(if complete { paths.len() } else { 64 });
        for path in paths {
            match plan(path) {
                None => {
                    self.keep(path);
                    if complete {
                        cgroups.push((path.clone(), None));
                    }
                }
                // A directory that vanished or cannot be read is left out until the next pass.
                Some(scope) => {
                    if let Some(sample) = self.read(path, scope, &known(path)) {
                        cgroups.push((path.clone(), Some(sample)));
                    }
                }
            }
        }
        self.end_pass();
        TreeSample {
            started,
            finished: Instant::now(),
            complete,
            cgroups,
        }
    }

    /// Every cgroup under `base`: the `focus` one fully (every one with `all_full`), the rest
    /// for the tree's columns.
    pub fn read_tree(
        &mut self,
        base: &CgroupPath,
        focus: Option<&CgroupPath>,
        all_full: bool,
    ) -> TreeSample {
        self.read_tree_planned(base, &mut every(focus, all_full))
    }

    /// Every cgroup under `base` listed, and those `plan` asks for read at its scope.
    pub fn read_tree_planned(
        &mut self,
        base: &CgroupPath,
        plan: &mut dyn FnMut(&CgroupPath) -> Option<Scope>,
    ) -> TreeSample {
        // Before the listing: the model must not remove a cgroup created while it ran.
        let started = Instant::now();
        let paths = self.walk(base);
        self.read_paths(started, &paths, true, plan, &nothing_known)
    }

    /// Every cgroup of `paths` as the recorder keeps them ([`Scope::Record`]), the whole tree
    /// as the caller knows it (from its inotify watches), parents before children: no
    /// directory is listed.
    pub fn read_listed(
        &mut self,
        paths: &[CgroupPath],
        known: &dyn Fn(&CgroupPath) -> KnownEvents,
    ) -> TreeSample {
        let started = Instant::now();
        self.read_paths(started, paths, true, &mut |_| Some(Scope::Record), known)
    }
}

/// How many passes `interval` apart make `period`: at least 10.
fn passes_in(period: Duration, interval: Duration) -> u64 {
    let passes = period.as_secs_f64() / interval.as_secs_f64().max(0.001);
    (passes.ceil() as u64).max(10)
}

fn nothing_known(_: &CgroupPath) -> KnownEvents {
    KnownEvents::default()
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

/// Every cgroup under `base` once, the `focus` one fully and the rest for the tree's columns,
/// with no files kept open (one-off reads and tests).
pub fn sample_tree(
    fs: &Cgroupfs,
    base: &CgroupPath,
    focus: Option<&CgroupPath>,
    all_full: bool,
) -> TreeSample {
    Collector::new(fs.clone()).read_tree(base, focus, all_full)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::stats;
    use std::path::Path;

    const CPU: &str = "usage_usec 100\nuser_usec 60\nsystem_usec 40\n";
    const IO: &str = "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n";
    const CALM: &str = "some avg10=0.00 avg60=0.00 avg300=0.00 total=7\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=3\n";
    const STALLING: &str = "some avg10=1.50 avg60=0.20 avg300=0.00 total=9000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=3\n";

    fn p(s: &str) -> CgroupPath {
        CgroupPath::from_relative(Path::new(s)).unwrap()
    }

    fn write(dir: &Path, cgroup: &str, file: &str, text: &str) {
        std::fs::write(dir.join(cgroup).join(file), text).unwrap();
    }

    /// `/a` with two children, every counter file present.
    fn tree() -> (tempfile::TempDir, Cgroupfs) {
        let dir = tempfile::tempdir().unwrap();
        for cgroup in ["", "a", "a/b", "a/c"] {
            std::fs::create_dir_all(dir.path().join(cgroup)).unwrap();
            write(dir.path(), cgroup, "cgroup.procs", "");
            write(dir.path(), cgroup, "cpu.stat", CPU);
            write(dir.path(), cgroup, "io.stat", IO);
            for psi in ["cpu.pressure", "memory.pressure", "io.pressure"] {
                write(dir.path(), cgroup, psi, CALM);
            }
        }
        let fs = Cgroupfs::fixture(dir.path()).unwrap();
        (dir, fs)
    }

    /// One pass of a carrying collector over the tree, and the files it read.
    fn pass(collector: &mut Collector) -> (TreeSample, u64) {
        let before = stats::thread_counts();
        let paths = collector.walk(&CgroupPath::root());
        let tree = collector.read_listed(&paths, &nothing_known);
        (tree, (stats::thread_counts() - before).read)
    }

    fn sample<'a>(tree: &'a TreeSample, path: &str) -> &'a CgroupSample {
        tree.cgroups
            .iter()
            .find(|(p2, _)| *p2 == p(path))
            .and_then(|(_, s)| s.as_deref())
            .expect("read")
    }

    /// A carrying collector that takes PSI files at rest as settled at once.
    fn carrying(fs: Cgroupfs) -> Collector {
        let mut collector = Collector::new(fs).carrying();
        if let Some(carry) = collector.carry.as_mut() {
            carry.psi_settled_ns = 0;
        }
        collector
    }

    #[test]
    fn a_subtree_whose_top_did_not_change_is_not_read_again_and_keeps_its_values() {
        let (dir, fs) = tree();
        let mut collector = carrying(fs);
        let (first, read_first) = pass(&mut collector);
        let (second, read_second) = pass(&mut collector);
        // /a/b and /a/c skip their five counter files each, known unchanged from /a's; /a
        // its three PSI files from the root's (whose cpu.stat and io.stat are not the sums
        // of its children's: CPU time counted by ticks, IO as the disks complete it).
        assert_eq!(
            read_first - read_second,
            3 + 5 + 5,
            "{read_first} then {read_second}"
        );
        for cgroup in ["/a", "/a/b", "/a/c"] {
            let (was, now) = (sample(&first, cgroup), sample(&second, cgroup));
            assert_eq!((was.cpu, &was.io, &was.psi), (now.cpu, &now.io, &now.psi));
        }
        // Timed when the parent's files were read: the moment they are known to hold.
        let a = sample(&second, "/a");
        assert_eq!(sample(&second, "/a/b").read_at, a.read_at);
        assert_eq!(
            a.read_at.io_pressure,
            sample(&second, "/").read_at.io_pressure
        );

        // Time passes in /a/b: it and its parent grow (cpu.stat counts the subtree).
        let grown = "usage_usec 500\nuser_usec 300\nsystem_usec 200\n";
        for cgroup in ["", "a", "a/b"] {
            write(dir.path(), cgroup, "cpu.stat", grown);
        }
        let (third, _) = pass(&mut collector);
        assert_eq!(sample(&third, "/a/b").cpu.map(|c| c.usage_usec), Some(500));
        assert_ne!(
            sample(&third, "/a/c").read_at.cpu_stat,
            a.read_at.cpu_stat,
            "/a changed: its children are read"
        );
    }

    #[test]
    fn pressure_is_carried_only_under_roots_cgroups_and_once_its_averages_settled() {
        // A delegated user can switch PSI accounting off and on in a cgroup they own
        // (cgroup.pressure), freezing its totals while its children's grow, and controllers
        // off in its children: under /a, owned by alice, everything is read.
        let (dir, _) = tree();
        std::fs::write(dir.path().join(".passwd"), "alice:1000:1000\n").unwrap();
        std::fs::write(dir.path().join(".owners"), "alice alice 755 /a\n").unwrap();
        let fs = Cgroupfs::fixture(dir.path()).unwrap();
        let mut collector = carrying(fs);
        let (_, read_first) = pass(&mut collector);
        let (_, read_second) = pass(&mut collector);
        // /a skips its three PSI files (its parent is root's); /a/b and /a/c nothing.
        assert_eq!(read_first - read_second, 3);
        // A PSI total seen changing just now is read until its averages had time to show it
        // (they are recomputed every 2 s), with the real settling time (a tree all root's).
        let (_dir, fs) = tree();
        let mut collector = Collector::new(fs).carrying();
        let (_, read_first) = pass(&mut collector);
        let (_, read_second) = pass(&mut collector);
        assert_eq!(
            read_first - read_second,
            2 + 2,
            "cpu.stat and io.stat of /a/b and /a/c only"
        );
    }

    #[test]
    fn pressure_that_is_decaying_is_read_even_under_a_still_parent() {
        let (dir, fs) = tree();
        write(dir.path(), "a/b", "memory.pressure", STALLING);
        let mut collector = carrying(fs);
        pass(&mut collector);
        // /a/b's averages are not zero: they decay without new stalls, so the file is read.
        write(
            dir.path(),
            "a/b",
            "memory.pressure",
            &STALLING.replace("1.50", "1.20"),
        );
        let (second, _) = pass(&mut collector);
        let memory = sample(&second, "/a/b").psi.memory.expect("read");
        assert_eq!(memory.some.avg10, 1.2);
    }

    const NO_EVENTS: &str = "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n";

    /// [`tree`] with the memory and pids counters, all at 0 and without events.
    fn tree_at_rest() -> (tempfile::TempDir, Cgroupfs) {
        let (dir, fs) = tree();
        for cgroup in ["", "a", "a/b", "a/c"] {
            for file in ["memory.current", "memory.swap.current", "pids.current"] {
                write(dir.path(), cgroup, file, "0\n");
            }
            write(dir.path(), cgroup, "memory.events", NO_EVENTS);
        }
        (dir, fs)
    }

    #[test]
    fn zeros_and_no_events_under_a_parent_that_has_none_are_not_read_again() {
        let (dir, fs) = tree_at_rest();
        let mut collector = carrying(fs);
        let (_, read_first) = pass(&mut collector);
        let (_, read_second) = pass(&mut collector);
        // /a/b and /a/c skip their five hierarchical counters and these four; /a all but the
        // root's cpu.stat and io.stat.
        assert_eq!(read_first - read_second, 3 * (5 + 4) - 2);
        // /a/b gets a process and an OOM kill: the kernel counts them in /a (and the top) too.
        let killed = "low 0\nhigh 0\nmax 1\noom 1\noom_kill 1\n";
        for cgroup in ["", "a", "a/b"] {
            write(dir.path(), cgroup, "pids.current", "1\n");
            write(dir.path(), cgroup, "memory.current", "4096\n");
            write(dir.path(), cgroup, "memory.events", killed);
        }
        // /a/c holds nothing and had no event, but its parent changed: read, not carried
        // (values no kernel would show, to tell a read from a carried value).
        write(dir.path(), "a/c", "memory.events", "garbage");
        write(dir.path(), "a/c", "pids.current", "7\n");
        let (third, _) = pass(&mut collector);
        let b = sample(&third, "/a/b");
        assert_eq!(b.pids.current, Some(1));
        assert_eq!(b.memory.current, Some(4096));
        assert_eq!(b.memory.events.map(|e| e.oom_kill), Some(1));
        assert_eq!(b.memory.swap_current, Some(0), "carried: /a's is still 0");
        let c = sample(&third, "/a/c");
        assert_eq!(c.pids.current, Some(7), "/a's 1 says nothing of /a/c");
        assert!(
            c.unreadable.iter().any(|u| u.file == "memory.events"),
            "read: {:?}",
            c.unreadable
        );
        // A child with an event counted keeps being read even while its parent is still.
        let (fifth, _) = pass(&mut collector);
        write(dir.path(), "a/b", "memory.events", "garbage");
        let (sixth, _) = pass(&mut collector);
        assert_eq!(
            sample(&fifth, "/a/b").memory.events.map(|e| e.oom_kill),
            Some(1)
        );
        assert!(
            sample(&sixth, "/a/b")
                .unreadable
                .iter()
                .any(|u| u.file == "memory.events"),
            "/a/b's memory.events, with a kill counted, is read"
        );
    }

    /// Rows on screen change order (and come between passes): a child read before its parent
    /// in the last pass may have changed before the parent's read, and is read again.
    #[test]
    fn a_child_read_before_its_parent_last_time_is_read_not_carried() {
        let (dir, fs) = tree();
        let mut collector = carrying(fs);
        let in_order = |collector: &mut Collector, order: &[&str]| {
            collector.begin_pass();
            let read: Vec<CgroupSample> = order
                .iter()
                .map(|path| {
                    *collector
                        .read(&p(path), Scope::Record, &KnownEvents::default())
                        .expect("read")
                })
                .collect();
            collector.end_pass();
            read
        };
        in_order(&mut collector, &["/a/b", "/a"]);
        // A value no kernel would show (the parent's did not move), to tell a read.
        write(dir.path(), "a/b", "cpu.stat", &CPU.replace("100", "150"));
        let second = in_order(&mut collector, &["/a", "/a/b"]);
        assert_eq!(second[1].cpu.map(|c| c.usage_usec), Some(150), "read");
        // Now read after its parent: carried.
        write(dir.path(), "a/b", "cpu.stat", &CPU.replace("100", "170"));
        let third = in_order(&mut collector, &["/a", "/a/b"]);
        assert_eq!(third[1].cpu.map(|c| c.usage_usec), Some(150), "carried");
    }

    #[test]
    fn a_cgroup_made_again_under_the_same_name_is_read_not_carried() {
        let (dir, fs) = tree();
        let mut collector = carrying(fs);
        let (first, _) = pass(&mut collector);
        // Made while the old one exists, so that it cannot reuse its inode number.
        std::fs::create_dir_all(dir.path().join("a/c.new")).unwrap();
        write(dir.path(), "a/c.new", "cgroup.procs", "");
        let cpu = "usage_usec 3\nuser_usec 2\nsystem_usec 1\n";
        write(dir.path(), "a/c.new", "cpu.stat", cpu);
        std::fs::remove_dir_all(dir.path().join("a/c")).unwrap();
        std::fs::rename(dir.path().join("a/c.new"), dir.path().join("a/c")).unwrap();
        let (second, _) = pass(&mut collector);
        let (was, now) = (sample(&first, "/a/c"), sample(&second, "/a/c"));
        assert_ne!(was.inode, now.inode);
        assert_eq!(now.cpu.map(|c| c.usage_usec), Some(3));
        assert_eq!(now.io, None, "no io.stat in the new one");
    }
}
