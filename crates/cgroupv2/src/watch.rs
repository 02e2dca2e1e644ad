//! Event-driven changes from inotify: new and removed cgroups, populated/frozen flips, OOM kills.
//!
//! Watched per cgroup: the directory (IN_CREATE/IN_DELETE of children) and the files whose
//! kernel code calls `cgroup_file_notify()` (IN_MODIFY): cgroup.events, memory.events and
//! pids.events. A directory watch alone misses populated changes, so each file is watched
//! itself. Nothing here asks for IN_OPEN or IN_ACCESS, so reading a file never wakes anyone.
//!
//! A reader that needs the counter files' events of a few cgroups only (the TUI: the rows on
//! screen) watches every directory and cgroup.events ([`Watcher::without_counter_files`]) and
//! the counter files of the cgroups it names through [`CounterWatches`], on the same inotify
//! instance: the watcher's thread reports their events like its own.
//!
//! inotify_add_watch takes a path, and has no `*at` form. Watching a whole tree (at the start,
//! after lost events) runs on a helper thread that has a working directory of its own
//! (`unshare(CLONE_FS)`) and enters each cgroup's directory (opened relative to its parent's)
//! to watch it as `.` and its files by name: one name to look up a watch instead of the whole
//! path, which was four fifths of inotify_add_watch's cost (perf, on cgroupfs).
//!
//! Elsewhere (a cgroup made later, a thread that cannot have its own working directory) watches
//! are added by path, and a path of PATH_MAX (4,096 bytes) or more is refused (nested 250-byte
//! names get there at depth 17). Such a cgroup is opened with O_PATH and
//! O_NOFOLLOW relative to directory descriptors ([`Cgroupfs::open_path`]) and watched through
//! `/proc/self/fd/N`: the kernel resolves that magic link to the very inode the descriptor
//! holds (checked on cgroupfs: directory and file watches, IN_CREATE and IN_MODIFY arrive).
//! IN_DONT_FOLLOW must not be given there, or the link itself in procfs is watched.

use crate::fs::{CgroupDir, Cgroupfs};
use crate::parse::{self, CgroupEvents, MemoryEvents, PidsEvents};
use crate::path::CgroupPath;
use crate::sample::{CgroupSample, Scope, read_sample};
use inotify::{EventMask, Inotify, WatchDescriptor, WatchMask};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsStr;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Debug, Clone, PartialEq)]
pub enum WatchEvent {
    /// A cgroup appeared; `sample` was read after its watches were in place.
    Created {
        path: CgroupPath,
        sample: Option<Box<CgroupSample>>,
    },
    Removed {
        path: CgroupPath,
    },
    EventsChanged {
        path: CgroupPath,
        events: CgroupEvents,
    },
    MemoryEventsChanged {
        path: CgroupPath,
        events: MemoryEvents,
    },
    PidsEventsChanged {
        path: CgroupPath,
        events: PidsEvents,
    },
    /// The kernel dropped events (IN_Q_OVERFLOW): the tree must be re-read.
    Overflow,
    /// inotify ran out of watches (ENOSPC): from now on new and removed cgroups are only seen
    /// by polling the whole tree.
    Exhausted {
        reason: String,
    },
    /// A file of this cgroup that changes only when written (a limit, a controller list) was
    /// written, by anyone ([`Watcher::reporting_writes`]).
    Written {
        path: CgroupPath,
        file: WrittenFile,
    },
    /// Writes to this cgroup's files are not reported ([`Watcher::reporting_writes`]): its
    /// directory is not root's (its owner could flood the watch), or stopped being root's.
    WritesUnreported {
        path: CgroupPath,
    },
    /// One cgroup's directory or event files could not be watched for another reason (such as
    /// permission): it must be polled alone; the rest of the tree stays event-driven.
    Unwatched {
        path: CgroupPath,
        /// Its directory itself is unwatched: new and removed children are not reported.
        directory: bool,
        reason: String,
        /// With `directory`: its children as listed once the watch had failed (sorted), which a
        /// poller's first listing is compared with (a child made before that listing is new).
        children: Option<Vec<std::ffi::OsString>>,
    },
}

/// The caller's `emit` said to stop.
struct Stopped;

/// Which file a [`WatchEvent::Written`] names: what else its write may have changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WrittenFile {
    /// cgroup.subtree_control: the children's cgroup.controllers, and which interface files
    /// they have.
    SubtreeControl,
    /// cgroup.type: the parent's and the siblings' cgroup.type too.
    Type,
    /// Another file that changes only when written: itself only.
    Other,
}

impl WrittenFile {
    /// The file named in an IN_MODIFY of a directory watch, if it changes only when written.
    /// The files whose changes the kernel announces (cgroup.events, memory.events…) come too,
    /// when their inode is cached: they are not writes, nor are counters.
    fn of(name: &OsStr) -> Option<WrittenFile> {
        let name = name.to_str()?;
        match name {
            "cgroup.subtree_control" => Some(WrittenFile::SubtreeControl),
            "cgroup.type" => Some(WrittenFile::Type),
            _ => (crate::interface::lookup(name)?.changes == crate::interface::Changes::OnWrite)
                .then_some(WrittenFile::Other),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dir,
    Events,
    MemoryEvents,
    PidsEvents,
}

const FILES: [(&str, Kind); 3] = [
    ("cgroup.events", Kind::Events),
    ("memory.events", Kind::MemoryEvents),
    ("pids.events", Kind::PidsEvents),
];

/// The share of the inotify watches free to this uid when a watcher starts that it takes at
/// most by default (they are shared with every process of the uid: systemd, daemons).
pub const DEFAULT_WATCH_SHARE: f64 = 0.25;

/// This uid's inotify watches: `fs.inotify.max_user_watches` and how many its other processes
/// hold (counted in /proc/PID/fdinfo of each inotify descriptor we may read; this process
/// knows its own, and listing them would cost a line a watch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchUse {
    pub max: usize,
    pub used: usize,
}

impl WatchUse {
    pub fn now() -> Option<WatchUse> {
        let max = std::fs::read_to_string("/proc/sys/fs/inotify/max_user_watches")
            .ok()?
            .trim()
            .parse()
            .ok()?;
        let me = rustix::process::geteuid().as_raw();
        let own_pid = std::process::id().to_string();
        let mut used = 0;
        for entry in std::fs::read_dir("/proc").ok()?.flatten() {
            let name = entry.file_name();
            if !name
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()) && n != own_pid)
            {
                continue;
            }
            let proc_dir = entry.path();
            let owner =
                std::fs::metadata(&proc_dir).map(|m| std::os::unix::fs::MetadataExt::uid(&m));
            if owner.ok() == Some(me) {
                used += watches_of(&proc_dir);
            }
        }
        Some(WatchUse { max, used })
    }

    pub fn free(&self) -> usize {
        self.max.saturating_sub(self.used)
    }

    /// The default budget: [`DEFAULT_WATCH_SHARE`] of what is free.
    pub fn default_budget(&self) -> usize {
        (self.free() as f64 * DEFAULT_WATCH_SHARE) as usize
    }
}

/// The inotify watches a process holds (`proc_dir`: /proc/PID).
fn watches_of(proc_dir: &std::path::Path) -> usize {
    let Ok(fds) = std::fs::read_dir(proc_dir.join("fd")) else {
        return 0;
    };
    let mut used = 0;
    for fd in fds.flatten() {
        let is_inotify = std::fs::read_link(fd.path())
            .is_ok_and(|target| target.as_os_str() == "anon_inode:inotify");
        if is_inotify {
            let info = proc_dir.join("fdinfo").join(fd.file_name());
            used += std::fs::read_to_string(info).map_or(0, |text| count_watches(&text));
        }
    }
    used
}

/// The watches an inotify descriptor's fdinfo lists (one `inotify wd:` line each).
fn count_watches(fdinfo: &str) -> usize {
    fdinfo
        .lines()
        .filter(|l| l.starts_with("inotify wd:"))
        .count()
}

pub struct Watcher {
    inotify: Inotify,
    fs: Cgroupfs,
    base: CgroupPath,
    by_wd: HashMap<WatchDescriptor, (CgroupPath, Kind)>,
    /// Watch descriptors of each watched cgroup; ordered so a subtree is one contiguous range.
    by_cgroup: BTreeMap<CgroupPath, Vec<WatchDescriptor>>,
    /// The most watches this watcher takes (beyond, it reports [`WatchEvent::Exhausted`] and
    /// the tree is polled): [`WatchUse::default_budget`] unless set.
    budget: Option<usize>,
    /// Why the budget is what it is, for the message when it is reached.
    budget_source: String,
    /// The budget is final: set, or the default counted ([`Watcher::resolve_budget`]); until
    /// then it is the point where the default is counted.
    budget_resolved: bool,
    /// Watch memory.events and pids.events too (else a cgroup takes 2 watches, not 4, and its
    /// counters are read by the samples).
    counter_files: bool,
    /// Watch pids.events too (with the counter files).
    pids_events: bool,
    /// Watch every cgroup's cgroup.events (else only those its [`CounterWatches`] follow).
    events_everywhere: bool,
    exhausted: bool,
    /// Past the budget, report each cgroup left without its watches as
    /// [`WatchEvent::Unwatched`] too ([`Watcher::reporting_each_unwatched`]).
    report_each_unwatched: bool,
    /// Cgroups with a watch that failed: polled alone.
    unwatched: usize,
    /// Cgroups whose path (relative to the mount) is longer than this are neither watched nor
    /// reported, nor anything below them ([`Watcher::with_max_path`]).
    max_path: usize,
    /// What this watcher shares with its [`CounterWatches`].
    shared: Arc<Shared>,
    /// This thread has a working directory of its own to move ([`Watcher::with_own_cwd`]).
    own_cwd: bool,
    /// Directory watches ask for IN_MODIFY too ([`Watcher::reporting_writes`]).
    writes: bool,
    /// Event files held open instead of watched ([`Watcher::holding_event_files`]), by
    /// cgroup, and how many may be.
    held_files: HashMap<CgroupPath, Vec<(Kind, std::os::fd::OwnedFd)>>,
    held_count: usize,
    hold_max: usize,
    /// A cgroup reported created comes with a sample read after its watches
    /// ([`Watcher::without_created_samples`]).
    created_samples: bool,
}

/// What a [`Watcher`] shares with its [`CounterWatches`] (another thread).
struct Shared {
    /// The counter-file watches [`CounterWatches`] holds, by descriptor: the watcher's thread
    /// reads their events. Inserted under the lock together with the watch, so an event never
    /// arrives for a descriptor not found here.
    counters: Mutex<HashMap<WatchDescriptor, (CgroupPath, Kind)>>,
    /// The watches the [`Watcher`] itself holds.
    tree_held: AtomicUsize,
    /// The budget once it is final (`usize::MAX` while it is not, or without one): counter
    /// watches are not taken beyond it.
    limit: AtomicUsize,
    /// How many times a cgroup was left out for a path over `max_path` (found at the start,
    /// created, or found again by a rescan).
    beyond_max_path: Arc<AtomicUsize>,
}

impl Shared {
    fn counters(&self) -> MutexGuard<'_, HashMap<WatchDescriptor, (CgroupPath, Kind)>> {
        // A panic elsewhere while holding the map leaves it consistent (single inserts and
        // removes): keep using it.
        self.counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Longest absolute path given to inotify_add_watch as it is; longer ones go through
/// `/proc/self/fd/N` (PATH_MAX is 4,096 bytes with the NUL).
const WATCH_PATH_MAX: usize = 4000;

impl Watcher {
    pub fn new(fs: Cgroupfs, base: CgroupPath) -> io::Result<Self> {
        let inotify = Inotify::init()?;
        // Counting the uid's watches lists every process's descriptors: done only once this
        // watcher holds a few (most trees never get there), before it could matter.
        let max = std::fs::read_to_string("/proc/sys/fs/inotify/max_user_watches")
            .ok()
            .and_then(|text| text.trim().parse::<usize>().ok());
        let budget = max.map(|max| (max / 64).clamp(16, 1024));
        Ok(Watcher {
            inotify,
            fs,
            base,
            by_wd: HashMap::new(),
            by_cgroup: BTreeMap::new(),
            budget,
            budget_source: String::new(),
            budget_resolved: max.is_none(),
            counter_files: true,
            pids_events: true,
            events_everywhere: true,
            exhausted: false,
            report_each_unwatched: false,
            unwatched: 0,
            max_path: usize::MAX,
            shared: Arc::new(Shared {
                counters: Mutex::new(HashMap::new()),
                tree_held: AtomicUsize::new(0),
                limit: AtomicUsize::new(usize::MAX),
                beyond_max_path: Arc::new(AtomicUsize::new(0)),
            }),
            own_cwd: false,
            writes: false,
            held_files: HashMap::new(),
            held_count: 0,
            hold_max: 0,
            created_samples: true,
        })
    }

    /// Use at most `limit` watches (`--max-watches`) instead of the default share; `None`
    /// keeps the default.
    pub fn with_watch_budget(self, limit: Option<usize>) -> Self {
        self.with_watch_budget_from(limit, "--max-watches")
    }

    /// [`Watcher::with_watch_budget`], saying where the limit comes from (`source`: the flag,
    /// a config key) when it is reached.
    pub fn with_watch_budget_from(mut self, limit: Option<usize>, source: &str) -> Self {
        if let Some(limit) = limit {
            self.budget = Some(limit);
            self.budget_source = source.into();
            self.budget_resolved = true;
            self.shared.limit.store(limit, Ordering::Relaxed);
        }
        self
    }

    /// The watches held: this watcher's and its [`CounterWatches`]'.
    fn held(&self) -> usize {
        self.by_wd.len() + self.shared.counters().len()
    }

    /// Tell the [`CounterWatches`] how many watches the tree holds.
    fn share_held(&self) {
        self.shared
            .tree_held
            .store(self.by_wd.len(), Ordering::Relaxed);
    }

    /// The handle that watches the counter files (memory.events, and pids.events unless
    /// [`Watcher::without_pids_events`]) of the cgroups its owner names, from any thread; their
    /// events come from this watcher like its own. `None` when this watcher watches them in
    /// every cgroup already (no [`Watcher::without_counter_files`]).
    pub fn counter_watches(&self) -> Option<CounterWatches> {
        if self.counter_files {
            return None;
        }
        let kinds = FILES
            .iter()
            .filter(|(_, k)| *k != Kind::Events || !self.events_everywhere)
            .filter(|(_, k)| *k != Kind::PidsEvents || self.pids_events)
            .copied()
            .collect();
        Some(CounterWatches {
            shared: self.shared.clone(),
            watches: self.inotify.watches(),
            fs: self.fs.clone(),
            kinds,
            followed: HashMap::new(),
            syncs: 0,
        })
    }

    /// The default budget, counted when the provisional one is reached: a quarter of the
    /// watches free to this uid then, counting those this process holds as free.
    fn resolve_budget(&mut self) {
        self.budget_resolved = true;
        match WatchUse::now() {
            Some(use_) => {
                let free = use_.free();
                let budget = (free as f64 * DEFAULT_WATCH_SHARE) as usize;
                self.budget = Some(budget);
                self.shared.limit.store(budget, Ordering::Relaxed);
                self.budget_source = format!(
                    "a quarter of the {free} watches free of fs.inotify.max_user_watches ({})",
                    use_.max
                );
            }
            None => self.budget = None,
        }
    }

    /// Watch each cgroup's directory and cgroup.events only (2 watches, not 4): for a reader
    /// that reads memory.events and pids.events at every sample anyway.
    pub fn without_counter_files(mut self) -> Self {
        self.counter_files = false;
        self
    }

    /// Once out of watches (the budget, or ENOSPC), report each cgroup left without one of its
    /// watches as [`WatchEvent::Unwatched`], after the one [`WatchEvent::Exhausted`]: for a
    /// reader that polls only those (the recorder), not the whole tree.
    pub fn reporting_each_unwatched(mut self) -> Self {
        self.report_each_unwatched = true;
        self
    }

    /// Watch cgroup.events only in the cgroups its [`CounterWatches`] follow (with
    /// [`Watcher::without_counter_files`]; 1 watch a cgroup, not 2): for a reader that reads it
    /// every pass in the cgroups it shows and needs its changes at once only there (the TUI:
    /// a parent's `populated` counts its descendants, and a cgroup never shown has no state
    /// to update). The directories are still watched everywhere: new and removed cgroups.
    pub fn with_cgroup_events_of_followed_only(mut self) -> Self {
        self.events_everywhere = false;
        self
    }

    /// Report each write to a file of a watched cgroup that changes only when written, as
    /// [`WatchEvent::Written`]: the kernel reports every write(2) to a file (of any writer, in
    /// any namespace: a cgroup has one inode) to a watch of its directory, so a reader can keep
    /// limits it read until they are written instead of reading them again every few passes.
    /// It costs no watch: the directory watches ask for IN_MODIFY too. Only those of
    /// directories root owns: another owner could flood the watch with cheap writes; those
    /// cgroups are named by [`WatchEvent::WritesUnreported`].
    pub fn reporting_writes(mut self) -> Self {
        self.writes = true;
        self
    }

    /// Hold each event file open (O_PATH) instead of watching it, with
    /// [`Watcher::reporting_writes`]: 1 watch a cgroup, not 3. The kernel announces a change of
    /// an event file to a watch of its directory too (IN_MODIFY with the file's name), but only
    /// while the file's inode is in memory (`kernfs_notify` looks it up and skips it if not);
    /// an open descriptor keeps it there. Descriptors are a process's own, watches are shared
    /// by every process of the uid: at most an eighth of the descriptor limit is held (65,536
    /// at most); beyond, and where the directory has no watch or reports no writes (not root's),
    /// the files are watched as before.
    pub fn holding_event_files(mut self) -> Self {
        self.hold_max = crate::files::descriptor_share(8).min(65_536);
        self
    }

    /// Report a cgroup created without reading a sample of it ([`WatchEvent::Created`] with
    /// `sample: None`): for a reader that reads it anyway when it next reads the tree (the
    /// exporter), so that a user's flood of creations costs it no reads.
    pub fn without_created_samples(mut self) -> Self {
        self.created_samples = false;
        self
    }

    /// Leave pids.events unwatched (3 watches a cgroup, not 4): for a reader that compares it
    /// at every sample anyway and needs only OOM kills (memory.events) the moment they happen
    /// (the recorder).
    pub fn without_pids_events(mut self) -> Self {
        self.pids_events = false;
        self
    }

    /// Neither watch nor report cgroups whose path (relative to the mount) is longer than
    /// `bytes`, nor anything below them: each cgroup watched holds its path, and a chain of
    /// long names costs the sum of its paths (depth squared). How many were left out:
    /// [`Watcher::beyond_max_path`].
    pub fn with_max_path(mut self, bytes: usize) -> Self {
        self.max_path = bytes;
        self
    }

    /// How many times a cgroup was left out for its path ([`Watcher::with_max_path`]): found
    /// when the watcher started, created later, or found again by a rescan. The counter is
    /// shared, so it can be read while the watcher runs on another thread.
    pub fn beyond_max_path(&self) -> Arc<AtomicUsize> {
        self.shared.beyond_max_path.clone()
    }

    /// Is `parent`'s child `name` beyond [`Watcher::with_max_path`]? Counted if so.
    fn leaves_out(&self, parent: &CgroupPath, name: &OsStr) -> bool {
        let beyond = parent.joined_len(name) > self.max_path;
        if beyond {
            self.shared.beyond_max_path.fetch_add(1, Ordering::Relaxed);
        }
        beyond
    }

    /// The most watches it takes (counted now if it was not yet).
    pub fn watch_budget(&mut self) -> Option<usize> {
        if !self.budget_resolved {
            self.resolve_budget();
        }
        self.budget
    }

    /// Number of inotify watches held (with those of its [`CounterWatches`]).
    pub fn watch_count(&self) -> usize {
        self.held()
    }

    pub fn is_exhausted(&self) -> bool {
        self.exhausted
    }

    /// Every cgroup found so far (watched or not), parents before children.
    pub fn cgroups(&self) -> impl Iterator<Item = &CgroupPath> {
        self.by_cgroup.keys()
    }

    /// Cgroups found so far that could not be watched (other than for lack of watches).
    pub fn unwatched_count(&self) -> usize {
        self.unwatched
    }

    /// Watch every existing cgroup from the base down. Emits nothing but `Exhausted` and
    /// `Unwatched`.
    pub fn watch_existing(&mut self, emit: &mut dyn FnMut(WatchEvent) -> bool) {
        let base = self.base.clone();
        self.with_own_cwd(emit, |watcher, emit| {
            watcher.add_subtree(base.clone(), false, emit)
        });
    }

    /// Run `work` (which watches many cgroups) on a helper thread with a working directory of
    /// its own, so that each watch is added relative to its cgroup's directory (see the
    /// module note); its events are passed to `emit` once it is done. Where the thread
    /// cannot have one, watches are added by path.
    fn with_own_cwd(
        &mut self,
        emit: &mut dyn FnMut(WatchEvent) -> bool,
        work: impl Fn(&mut Watcher, &mut dyn FnMut(WatchEvent) -> bool) -> bool + Sync,
    ) -> bool {
        let mut events = Vec::new();
        let done = std::thread::scope(|scope| {
            let work = &work;
            let helper = std::thread::Builder::new()
                .name("cgroup-watch".into())
                .spawn_scoped(scope, || {
                    // SAFETY: CLONE_FS only gives this thread its own working directory, root and
                    // umask; no descriptor table is unshared.
                    self.own_cwd =
                        unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::FS) }
                            .is_ok();
                    let done = work(self, &mut |event| {
                        events.push(event);
                        true
                    });
                    self.own_cwd = false;
                    done
                });
            // No thread to be had: the work on this one, its watches added by path.
            helper.map(|helper| {
                helper
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
        });
        let done = match done {
            Ok(done) => done,
            Err(_) => return work(self, emit),
        };
        done && events.into_iter().all(emit)
    }

    /// Block reading events and pass them to `emit` until it returns false or inotify fails.
    pub fn run(mut self, mut emit: impl FnMut(WatchEvent) -> bool) -> io::Result<()> {
        self.watch_existing(&mut emit);
        self.watch_events(emit)
    }

    /// [`Watcher::run`] after [`Watcher::watch_existing`] was called: a caller that must know
    /// the existing tree is watched before it reads it (so that every later change is
    /// reported) calls that first, then this in a thread.
    pub fn watch_events(mut self, mut emit: impl FnMut(WatchEvent) -> bool) -> io::Result<()> {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let raw = owned(self.inotify.read_events_blocking(&mut buffer)?);
            for (wd, mask, name) in raw {
                if !self.handle(wd, mask, name.as_deref(), &mut emit) {
                    return Ok(());
                }
            }
        }
    }

    /// Pass the events queued now to `emit`, without waiting for more: for a reader that takes
    /// them at its own times (the exporter, at each scrape), with no thread of its own. The
    /// kernel holds what comes between (an overflow is reported as ever). At most `max_events`
    /// are taken, and none once `until` has passed: `Ok(false)` when some were left queued (a
    /// flood), `Ok(true)` when none is.
    pub fn take_queued(
        &mut self,
        max_events: usize,
        until: Option<std::time::Instant>,
        emit: &mut dyn FnMut(WatchEvent),
    ) -> io::Result<bool> {
        let mut buffer = vec![0u8; 64 * 1024];
        let mut taken = 0;
        while taken < max_events && until.is_none_or(|until| std::time::Instant::now() < until) {
            let raw = match self.inotify.read_events(&mut buffer) {
                Ok(events) => owned(events),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(true),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if raw.is_empty() {
                return Ok(true);
            }
            taken += raw.len();
            for (wd, mask, name) in raw {
                self.handle(wd, mask, name.as_deref(), &mut |event| {
                    emit(event);
                    true
                });
            }
        }
        Ok(false)
    }

    fn handle(
        &mut self,
        wd: WatchDescriptor,
        mask: EventMask,
        name: Option<&OsStr>,
        emit: &mut dyn FnMut(WatchEvent) -> bool,
    ) -> bool {
        if mask.contains(EventMask::Q_OVERFLOW) {
            // Events were lost: watch what was created meanwhile, then say so (the app walks
            // the tree once to recover what the lost events would have told).
            return self.rescan(emit) && emit(WatchEvent::Overflow);
        }
        if mask.contains(EventMask::IGNORED) {
            // The kernel dropped the watch (its file or directory is gone).
            if let Some((cgroup, kind)) = self.by_wd.remove(&wd) {
                if kind == Kind::Dir {
                    // Without it, changes of the files held there would go unreported.
                    self.release_files(&cgroup);
                }
                self.share_held();
            } else {
                self.shared.counters().remove(&wd);
            }
            return true;
        }
        let found = match self.by_wd.get(&wd) {
            Some(found) => Some(found.clone()),
            None => self.shared.counters().get(&wd).cloned(),
        };
        let Some((cgroup, kind)) = found else {
            return true;
        };
        match kind {
            Kind::Dir => {
                if mask.contains(EventMask::DELETE_SELF) {
                    // Removed: the files held there go (its IN_IGNORED waits for them).
                    self.release_files(&cgroup);
                    return true;
                }
                if mask.contains(EventMask::ATTRIB) {
                    // Its own owner or mode changed (a file's has a name): a directory given
                    // away (systemd's Delegate= chowns it after mkdir) no longer reports writes.
                    if name.is_none() && !self.owned_by_root(&cgroup, None) {
                        return self.stop_reporting_writes(&cgroup, emit);
                    }
                    return true;
                }
                if mask.contains(EventMask::MODIFY) && !mask.contains(EventMask::ISDIR) {
                    if let Some(kind) = name.and_then(|n| self.held_kind(&cgroup, n)) {
                        return self.report(cgroup, kind, emit);
                    }
                    return match name.and_then(WrittenFile::of) {
                        Some(file) => emit(WatchEvent::Written { path: cgroup, file }),
                        None => true,
                    };
                }
                let (Some(name), true) = (name, mask.contains(EventMask::ISDIR)) else {
                    return true;
                };
                if mask.contains(EventMask::CREATE) && self.leaves_out(&cgroup, name) {
                    return true;
                }
                if cgroup.joined_len(name) > self.max_path {
                    // Left out when it was made: nothing to forget or report.
                    return true;
                }
                let child = cgroup.join(name);
                if mask.contains(EventMask::CREATE) {
                    self.add_subtree(child, true, emit)
                } else if mask.contains(EventMask::DELETE) {
                    self.forget_subtree(&child);
                    emit(WatchEvent::Removed { path: child })
                } else {
                    true
                }
            }
            kind => self.report(cgroup, kind, emit),
        }
    }

    /// The kind of `name` if it is an event file of `cgroup` held open
    /// ([`Watcher::holding_event_files`]): its changes come to the directory's watch.
    fn held_kind(&self, cgroup: &CgroupPath, name: &OsStr) -> Option<Kind> {
        let (_, kind) = FILES.iter().find(|(file, _)| OsStr::new(file) == name)?;
        self.held_files
            .get(cgroup)?
            .iter()
            .any(|(k, _)| k == kind)
            .then_some(*kind)
    }

    /// Read the event file of `kind` of `cgroup`, which changed, and report it.
    fn report(
        &self,
        cgroup: CgroupPath,
        kind: Kind,
        emit: &mut dyn FnMut(WatchEvent) -> bool,
    ) -> bool {
        match kind {
            Kind::Dir => true,
            Kind::Events => match self.fs.read(&cgroup, "cgroup.events", parse::cgroup_events) {
                Ok(Some(events)) => emit(WatchEvent::EventsChanged {
                    path: cgroup,
                    events,
                }),
                _ => true,
            },
            Kind::MemoryEvents => {
                match self.fs.read(&cgroup, "memory.events", parse::memory_events) {
                    Ok(Some(events)) => emit(WatchEvent::MemoryEventsChanged {
                        path: cgroup,
                        events,
                    }),
                    _ => true,
                }
            }
            Kind::PidsEvents => match self.fs.read(&cgroup, "pids.events", parse::pids_events) {
                Ok(Some(events)) => emit(WatchEvent::PidsEventsChanged {
                    path: cgroup,
                    events,
                }),
                _ => true,
            },
        }
    }

    /// Watch `top` and everything below it. Children are listed after the directory watch is
    /// in place, so a child created in between is seen either way (duplicates are harmless).
    fn add_subtree(
        &mut self,
        top: CgroupPath,
        announce: bool,
        emit: &mut dyn FnMut(WatchEvent) -> bool,
    ) -> bool {
        let mut stack = vec![(top, None)];
        while let Some((cgroup, parent)) = stack.pop() {
            if self.by_cgroup.contains_key(&cgroup) {
                continue;
            }
            // Gone already: its IN_DELETE follows, or has passed (the watches fail alike).
            let dir = self.fs.open_dir(&cgroup, parent.as_deref()).ok();
            // With a working directory of its own, this thread enters the cgroup's directory
            // (nothing until its leaves are watched below moves it: reads go through
            // descriptors and paths, not the working directory).
            let inside = self.own_cwd && dir.as_ref().is_some_and(|d| d.enter().is_ok());
            let Ok(mut unwatched) = self.add_cgroup(&cgroup, dir.as_ref(), inside, emit) else {
                return false;
            };
            if announce {
                let sample = if self.created_samples {
                    read_sample(&self.fs, &cgroup, Scope::Columns)
                        .ok()
                        .flatten()
                        .map(Box::new)
                } else {
                    None
                };
                let gone = if self.created_samples {
                    sample.is_none()
                } else {
                    dir.is_none()
                };
                if gone {
                    // Gone already: its IN_DELETE follows, or has passed.
                    continue;
                }
                let event = WatchEvent::Created {
                    path: cgroup.clone(),
                    sample,
                };
                if !emit(event) {
                    return false;
                }
            }
            let listed = dir.map(|mut dir| {
                let names = dir.children().map(|mut names| {
                    names.sort();
                    names
                });
                (dir, names)
            });
            if let Some(WatchEvent::Unwatched {
                directory: true,
                children,
                ..
            }) = &mut unwatched
            {
                *children = listed.as_ref().and_then(|(_, n)| n.as_ref().ok()).cloned();
            }
            if let Some(event) = unwatched
                && !emit(event)
            {
                return false;
            }
            if let Some((dir, Ok(names))) = listed {
                // Leaves are watched from here, by name, without opening each (most cgroups
                // are leaves); only where a cgroup takes its directory's watch alone.
                let from_here =
                    !announce && inside && self.directories_only() && !self.fs.is_fixture();
                let dir = CgroupDir::for_children(dir, &cgroup);
                let mut within: Vec<(CgroupPath, Option<Arc<CgroupDir>>)> = Vec::new();
                for name in names.iter().rev() {
                    if self.leaves_out(&cgroup, name) {
                        continue;
                    }
                    let child = cgroup.join(name);
                    if from_here && self.watch_leaf_here(&child, name) {
                        continue;
                    }
                    within.push((child, dir.clone()));
                }
                stack.extend(within);
            }
        }
        true
    }

    /// A cgroup takes one watch, its directory's: no event file is watched or held by this
    /// watcher, and writes are not reported.
    fn directories_only(&self) -> bool {
        !self.counter_files && !self.events_everywhere && !self.writes
    }

    /// Watch `cgroup`, a child of this thread's working directory named `name`, if it is a
    /// leaf: its directory by name, then its link count (2: no subdirectory), read after the
    /// watch so that a child made in between is reported by it. (The parent's count of
    /// descendants would not do: a child removed after the listing hides a grandchild.) False
    /// when it is not a leaf, or its watch failed: the caller watches it the usual way (which
    /// reports a failure).
    fn watch_leaf_here(&mut self, cgroup: &CgroupPath, name: &OsStr) -> bool {
        if self.over_budget() {
            return false;
        }
        let mask = mask_of(Kind::Dir) | WatchMask::DONT_FOLLOW;
        let Ok(wd) = self.inotify.watches().add(name, mask) else {
            return false;
        };
        self.by_wd.insert(wd.clone(), (cgroup.clone(), Kind::Dir));
        let leaf = rustix::fs::statat(rustix::fs::CWD, name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|stat| crate::fs::is_leaf(&stat));
        if leaf {
            self.by_cgroup.insert(cgroup.clone(), vec![wd]);
            self.share_held();
        }
        // Not a leaf: watched again the usual way (the same inode gives the same descriptor).
        leaf
    }

    /// Watch one cgroup (`dir`: its directory, open; `inside`: this thread's working
    /// directory). `Ok` with the [`WatchEvent::Unwatched`] to report if a watch failed; `Err`
    /// when `emit` said stop.
    fn add_cgroup(
        &mut self,
        cgroup: &CgroupPath,
        dir: Option<&CgroupDir>,
        inside: bool,
        emit: &mut dyn FnMut(WatchEvent) -> bool,
    ) -> Result<Option<WatchEvent>, Stopped> {
        // Writes are reported only where only root can write: anyone else could flood the
        // watch with cheap writes (a change of owner later is an IN_ATTRIB, see `handle`).
        let writes_here = self.writes && self.owned_by_root(cgroup, dir);
        let mut wds = Vec::new();
        let mut failed = None;
        let mut directory = false;
        let (counter_files, pids_events, events_everywhere) =
            (self.counter_files, self.pids_events, self.events_everywhere);
        let targets = std::iter::once((None, Kind::Dir)).chain(
            FILES
                .iter()
                .filter(|(_, k)| counter_files || (*k == Kind::Events && events_everywhere))
                .filter(|(_, k)| pids_events || *k != Kind::PidsEvents)
                .map(|(f, k)| (Some(*f), *k)),
        );
        let mut over_budget = false;
        for (file, kind) in targets {
            if kind != Kind::Dir && writes_here && wds.len() == 1 && self.held_count < self.hold_max
            {
                // The directory is watched (it comes first): hold the file instead.
                let held = if inside {
                    rustix::fs::openat(
                        rustix::fs::CWD,
                        file.unwrap_or("."),
                        rustix::fs::OFlags::PATH
                            | rustix::fs::OFlags::NOFOLLOW
                            | rustix::fs::OFlags::CLOEXEC,
                        rustix::fs::Mode::empty(),
                    )
                    .map_err(io::Error::from)
                } else {
                    self.fs.open_path(cgroup, file)
                };
                match held {
                    Ok(fd) => {
                        self.held_files
                            .entry(cgroup.clone())
                            .or_default()
                            .push((kind, fd));
                        self.held_count += 1;
                        continue;
                    }
                    // Absent here (no memory controller, the root's cgroup.events).
                    Err(e) if crate::error::is_gone(&e) => continue,
                    // Out of descriptors, say: watched instead.
                    Err(_) => {}
                }
            }
            let result = if self.over_budget() {
                over_budget = true;
                Err(no_watch_left())
            } else if inside {
                add_watch_here(
                    &mut self.inotify.watches(),
                    file,
                    mask_for(kind, writes_here),
                )
            } else {
                let mask = mask_for(kind, writes_here);
                add_watch(&mut self.inotify.watches(), &self.fs, cgroup, file, mask)
            };
            match result {
                Ok(wd) => {
                    self.by_wd.insert(wd.clone(), (cgroup.clone(), kind));
                    wds.push(wd);
                }
                // The file does not exist here (no memory controller, or the root's cgroup.events).
                Err(e) if crate::error::is_gone(&e) => {}
                Err(e) => {
                    let out_of_watches =
                        e.raw_os_error() == Some(rustix::io::Errno::NOSPC.raw_os_error());
                    if out_of_watches && !self.exhausted {
                        self.exhausted = true;
                        let reason = if over_budget {
                            format!(
                                "polling only: past {} inotify watches ({}); changes there \
                                 show at the next poll",
                                self.held(),
                                self.budget_source
                            )
                        } else {
                            format!(
                                "polling only: inotify ran out of watches at {} \
                                 (fs.inotify.max_user_watches); changes show at the next poll",
                                self.held()
                            )
                        };
                        if !emit(WatchEvent::Exhausted { reason }) {
                            return Err(Stopped);
                        }
                    }
                    // Out of watches, each cgroup left without one is told only on request.
                    if !out_of_watches || self.report_each_unwatched {
                        directory |= kind == Kind::Dir;
                        let what =
                            file.map_or_else(|| cgroup.to_string(), |f| cgroup.file_display(f));
                        failed.get_or_insert_with(|| {
                            if out_of_watches {
                                format!("no inotify watch left for {what}")
                            } else {
                                format!("cannot watch {what}: {e}")
                            }
                        });
                    }
                }
            }
        }
        let unreported = self.writes && !writes_here && !wds.is_empty();
        self.by_cgroup.insert(cgroup.clone(), wds);
        self.share_held();
        if unreported
            && !emit(WatchEvent::WritesUnreported {
                path: cgroup.clone(),
            })
        {
            return Err(Stopped);
        }
        Ok(failed.map(|reason| {
            self.unwatched += 1;
            WatchEvent::Unwatched {
                path: cgroup.clone(),
                directory,
                reason,
                children: None,
            }
        }))
    }

    /// Close the event files held for `cgroup`.
    fn release_files(&mut self, cgroup: &CgroupPath) {
        if let Some(files) = self.held_files.remove(cgroup) {
            self.held_count -= files.len();
        }
    }

    /// The watches held reach the budget (the provisional one is counted first, once reached).
    fn over_budget(&mut self) -> bool {
        if !self.budget_resolved && self.budget.is_some_and(|b| self.held() >= b) {
            self.resolve_budget();
        }
        self.budget.is_some_and(|b| self.held() >= b)
    }

    /// Is `cgroup`'s directory root's (`dir`: it, open)? Unknown is no.
    fn owned_by_root(&self, cgroup: &CgroupPath, dir: Option<&CgroupDir>) -> bool {
        let uid = match dir {
            Some(dir) => dir.owner().ok(),
            None => self.fs.stat(cgroup).ok().flatten().map(|s| s.uid),
        };
        uid == Some(0)
    }

    /// `cgroup`'s directory is no longer root's: stop asking for its writes (the watch of the
    /// same inode is replaced), and watch the event files held there instead.
    fn stop_reporting_writes(
        &mut self,
        cgroup: &CgroupPath,
        emit: &mut dyn FnMut(WatchEvent) -> bool,
    ) -> bool {
        let mut watches = self.inotify.watches();
        let dir_mask = mask_for(Kind::Dir, false);
        if add_watch(&mut watches, &self.fs, cgroup, None, dir_mask).is_err() {
            // Gone: its IN_DELETE follows.
            return true;
        }
        let mut failed = None;
        for (kind, _held) in self.held_files.remove(cgroup).unwrap_or_default() {
            self.held_count -= 1;
            let file = FILES.iter().find(|(_, k)| *k == kind).map(|(f, _)| *f);
            let added = if self.over_budget() {
                Err(no_watch_left())
            } else {
                add_watch(&mut watches, &self.fs, cgroup, file, mask_of(kind))
            };
            match added {
                Ok(wd) => {
                    self.by_wd.insert(wd.clone(), (cgroup.clone(), kind));
                    self.by_cgroup.entry(cgroup.clone()).or_default().push(wd);
                }
                Err(e) if crate::error::is_gone(&e) => {}
                Err(e) => {
                    let what = cgroup.file_display(file.unwrap_or("."));
                    failed.get_or_insert_with(|| format!("cannot watch {what}: {e}"));
                }
            }
        }
        self.share_held();
        if let Some(reason) = failed {
            self.unwatched += 1;
            let event = WatchEvent::Unwatched {
                path: cgroup.clone(),
                directory: false,
                reason,
                children: None,
            };
            if !emit(event) {
                return false;
            }
        }
        emit(WatchEvent::WritesUnreported {
            path: cgroup.clone(),
        })
    }

    /// Recover from lost events (a queue overflow): list every directory once, watch and
    /// announce ([`WatchEvent::Created`]) cgroups not watched yet, and forget and announce
    /// ([`WatchEvent::Removed`]) those no longer there. False when `emit` says stop.
    pub fn rescan(&mut self, emit: &mut dyn FnMut(WatchEvent) -> bool) -> bool {
        self.with_own_cwd(emit, |watcher, emit| watcher.rescan_here(emit))
    }

    fn rescan_here(&mut self, emit: &mut dyn FnMut(WatchEvent) -> bool) -> bool {
        let mut found: std::collections::HashSet<CgroupPath> = std::collections::HashSet::new();
        let mut stack = vec![self.base.clone()];
        while let Some(cgroup) = stack.pop() {
            if !self.by_cgroup.contains_key(&cgroup) {
                if !self.add_subtree(cgroup.clone(), cgroup != self.base, emit) {
                    return false;
                }
                found.extend(
                    self.by_cgroup
                        .range(cgroup.clone()..)
                        .take_while(|(p, _)| p.starts_with(&cgroup))
                        .map(|(p, _)| p.clone()),
                );
                continue;
            }
            if let Ok(Some(names)) = self.fs.children(&cgroup) {
                let within: Vec<CgroupPath> = names
                    .iter()
                    .filter(|n| !self.leaves_out(&cgroup, n))
                    .map(|n| cgroup.join(n))
                    .collect();
                stack.extend(within);
            }
            found.insert(cgroup);
        }
        // Parents first (the map is ordered): a removed parent takes its children along.
        let gone: Vec<CgroupPath> = self
            .by_cgroup
            .keys()
            .filter(|c| !found.contains(*c))
            .cloned()
            .collect();
        for cgroup in gone {
            if self.by_cgroup.contains_key(&cgroup) {
                self.forget_subtree(&cgroup);
                if !emit(WatchEvent::Removed { path: cgroup }) {
                    return false;
                }
            }
        }
        true
    }

    fn forget_subtree(&mut self, top: &CgroupPath) {
        let doomed: Vec<CgroupPath> = self
            .by_cgroup
            .range(top.clone()..)
            .take_while(|(p, _)| p.starts_with(top))
            .map(|(p, _)| p.clone())
            .collect();
        for cgroup in doomed {
            self.release_files(&cgroup);
            for wd in self.by_cgroup.remove(&cgroup).unwrap_or_default() {
                // The kernel drops watches of removed inodes itself; removing here only matters
                // for a subtree that is still there (polling fallback). Errors mean "already gone".
                let _ = self.inotify.watches().remove(wd.clone());
                self.by_wd.remove(&wd);
            }
        }
        self.share_held();
    }
}

/// The error of a watch past the budget: as inotify's own when out of watches.
fn no_watch_left() -> io::Error {
    io::Error::from_raw_os_error(rustix::io::Errno::NOSPC.raw_os_error())
}

/// What a watch of `kind` asks for; a directory's, with `writes` (a cgroup whose writes are
/// reported): every write to a file in it, a change of its owner, and its removal (held files
/// keep it in memory, so the removal of its last watch would wait for them).
fn mask_for(kind: Kind, writes: bool) -> WatchMask {
    match kind {
        Kind::Dir if writes => {
            mask_of(kind) | WatchMask::MODIFY | WatchMask::ATTRIB | WatchMask::DELETE_SELF
        }
        _ => mask_of(kind),
    }
}

/// What a watch of `kind` asks for.
fn mask_of(kind: Kind) -> WatchMask {
    match kind {
        Kind::Dir => WatchMask::CREATE | WatchMask::DELETE | WatchMask::ONLYDIR,
        _ => WatchMask::MODIFY,
    }
}

/// Events read into a buffer, owned, so that handling them may touch the watcher again.
fn owned(
    events: inotify::Events<'_>,
) -> Vec<(WatchDescriptor, EventMask, Option<std::ffi::OsString>)> {
    events
        .map(|e| (e.wd, e.mask, e.name.map(OsStr::to_os_string)))
        .collect()
}

/// Watch the cgroup whose directory is this thread's working directory (`file` `None`) or
/// one of its files.
fn add_watch_here(
    watches: &mut inotify::Watches,
    file: Option<&str>,
    mask: WatchMask,
) -> io::Result<WatchDescriptor> {
    watches.add(file.unwrap_or("."), mask | WatchMask::DONT_FOLLOW)
}

/// Watch a cgroup's directory (`file` `None`) or one of its files: by path when it is short
/// enough, else through `/proc/self/fd/N` of an O_PATH descriptor (see the module note).
fn add_watch(
    watches: &mut inotify::Watches,
    fs: &Cgroupfs,
    cgroup: &CgroupPath,
    file: Option<&str>,
    mask: WatchMask,
) -> io::Result<WatchDescriptor> {
    let mut path = fs.dir(cgroup);
    if let Some(file) = file {
        path.push(file);
    }
    if path.as_os_str().len() <= WATCH_PATH_MAX {
        return watches.add(&path, mask | WatchMask::DONT_FOLLOW);
    }
    let fd = fs.open_path(cgroup, file)?;
    let magic = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&fd));
    watches.add(magic, mask)
}

/// The counter files (memory.events, pids.events) watched in the cgroups its owner follows
/// ([`CounterWatches::follow`]), on its [`Watcher`]'s inotify instance, whose thread reports
/// their events ([`WatchEvent::MemoryEventsChanged`], [`WatchEvent::PidsEventsChanged`]). A
/// file that is absent (its controller is off) or cannot be watched (the budget, ENOSPC) is
/// tried again every [`RETRY_EVERY`] calls: its owner reads it meanwhile.
pub struct CounterWatches {
    shared: Arc<Shared>,
    watches: inotify::Watches,
    fs: Cgroupfs,
    /// The files it watches in each cgroup it follows.
    kinds: Vec<(&'static str, Kind)>,
    /// Each followed cgroup's watches, and whether every file it follows is watched.
    followed: HashMap<CgroupPath, Followed>,
    syncs: u64,
}

#[derive(Default)]
struct Followed {
    wds: Vec<(WatchDescriptor, Kind)>,
    complete: bool,
}

/// Calls of [`CounterWatches::follow`] between two tries of a file that could not be watched.
pub const RETRY_EVERY: u64 = 10;

impl CounterWatches {
    /// Watch the counter files of exactly `cgroups` (and no others any more).
    pub fn follow<'a>(&mut self, cgroups: impl IntoIterator<Item = &'a CgroupPath>) {
        self.syncs += 1;
        let retry = self.syncs.is_multiple_of(RETRY_EVERY);
        let wanted: HashSet<&CgroupPath> = cgroups.into_iter().collect();
        let mut counters = self.shared.counters();
        let dropped: Vec<CgroupPath> = self
            .followed
            .keys()
            .filter(|c| !wanted.contains(c))
            .cloned()
            .collect();
        for cgroup in dropped {
            for (wd, _) in self.followed.remove(&cgroup).unwrap_or_default().wds {
                // An error means the kernel dropped it already (the file is gone).
                let _ = self.watches.remove(wd.clone());
                counters.remove(&wd);
            }
        }
        for cgroup in wanted {
            let new = !self.followed.contains_key(cgroup);
            let followed = self.followed.entry(cgroup.clone()).or_default();
            // A watch the kernel dropped (IN_IGNORED: the file went away) is tried again.
            let before = followed.wds.len();
            followed.wds.retain(|(wd, _)| counters.contains_key(wd));
            followed.complete &= followed.wds.len() == before;
            if !new && (followed.complete || !retry) {
                continue;
            }
            let mut complete = true;
            for (file, kind) in &self.kinds {
                if followed.wds.iter().any(|(_, k)| k == kind) {
                    continue;
                }
                let held = self.shared.tree_held.load(Ordering::Relaxed) + counters.len();
                if held >= self.shared.limit.load(Ordering::Relaxed) {
                    complete = false;
                    continue;
                }
                match add_watch(
                    &mut self.watches,
                    &self.fs,
                    cgroup,
                    Some(file),
                    mask_of(*kind),
                ) {
                    Ok(wd) => {
                        counters.insert(wd.clone(), (cgroup.clone(), *kind));
                        followed.wds.push((wd, *kind));
                    }
                    Err(_) => complete = false,
                }
            }
            followed.complete = complete;
        }
    }

    /// The watches it holds.
    pub fn count(&self) -> usize {
        self.followed.values().map(|f| f.wds.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::{WatchUse, count_watches, watches_of};

    #[test]
    fn the_default_budget_is_a_quarter_of_the_free_watches() {
        let info = "pos:\t0\nflags:\t02000000\nmnt_id:\t15\ninotify wd:2 ino:1 sdev:1c mask:300 ignored_mask:0\ninotify wd:1 ino:2 sdev:1c mask:2 ignored_mask:0\n";
        assert_eq!(count_watches(info), 2);
        let use_ = WatchUse {
            max: 8192,
            used: 192,
        };
        assert_eq!(use_.free(), 8000);
        assert_eq!(use_.default_budget(), 2000);
        // On this machine: a process's watches are counted (this one's are left out of
        // `now`, as its own to count); the default is under half the free.
        let me = std::path::Path::new("/proc/self");
        let before = watches_of(me);
        let inotify = inotify::Inotify::init().unwrap();
        inotify
            .watches()
            .add("/proc", inotify::WatchMask::CREATE)
            .unwrap();
        assert_eq!(watches_of(me), before + 1);
        let now = WatchUse::now().expect("/proc/sys/fs/inotify/max_user_watches");
        assert!(now.default_budget() < now.free() / 2, "{now:?}");
    }

    use super::*;

    #[test]
    fn a_rescan_watches_what_lost_events_created_and_forgets_what_they_removed() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a", "b/c"] {
            std::fs::create_dir_all(dir.path().join(name)).unwrap();
        }
        let fs = Cgroupfs::fixture(dir.path()).unwrap();
        let mut watcher = Watcher::new(fs, CgroupPath::root()).unwrap();
        watcher.watch_existing(&mut |_| true);
        assert_eq!(watcher.cgroups().count(), 4);
        // Changes whose events are never read, as when the queue overflowed.
        std::fs::create_dir_all(dir.path().join("a/new/deeper")).unwrap();
        std::fs::remove_dir(dir.path().join("b/c")).unwrap();
        std::fs::remove_dir(dir.path().join("b")).unwrap();
        let mut events = Vec::new();
        assert!(watcher.rescan(&mut |e| {
            events.push(match e {
                WatchEvent::Created { path, .. } => format!("created {path}"),
                WatchEvent::Removed { path } => format!("removed {path}"),
                other => format!("{other:?}"),
            });
            true
        }));
        assert_eq!(
            events,
            ["created /a/new", "created /a/new/deeper", "removed /b"]
        );
        let watched: Vec<String> = watcher.cgroups().map(ToString::to_string).collect();
        assert_eq!(watched, ["/", "/a", "/a/new", "/a/new/deeper"]);
    }
}

#[cfg(test)]
mod max_path_tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// Cgroups past the path limit are neither watched nor reported, at the start or made
    /// later, and their removal reports nothing; each one left out is counted.
    #[test]
    fn cgroups_past_the_path_limit_are_neither_watched_nor_reported() {
        let dir = tempfile::tempdir().unwrap();
        let name = "n".repeat(100);
        std::fs::create_dir_all(dir.path().join(&name).join(&name).join(&name)).unwrap();
        std::fs::create_dir(dir.path().join("ok")).unwrap();
        let fs = Cgroupfs::fixture(dir.path()).unwrap();
        let watcher = Watcher::new(fs, CgroupPath::root()).unwrap();
        let mut watcher = watcher.with_max_path(201);
        let left_out = watcher.beyond_max_path();
        watcher.watch_existing(&mut |_| true);
        let watched: Vec<usize> = watcher.cgroups().map(|c| c.as_bytes().len()).collect();
        assert_eq!(
            watched,
            [0, 100, 201, 2],
            "the root, two levels of the chain and ok"
        );
        assert_eq!(left_out.load(Ordering::Relaxed), 1);
        let (sender, events) = mpsc::channel();
        std::thread::spawn(move || watcher.watch_events(|e| sender.send(e).is_ok()));
        let second = dir.path().join(&name).join(&name);
        std::fs::create_dir(second.join("x")).unwrap();
        std::fs::remove_dir(second.join(&name)).unwrap();
        std::fs::create_dir(dir.path().join("ok/y")).unwrap();
        let mut seen = Vec::new();
        while let Ok(event) = events.recv_timeout(Duration::from_secs(2)) {
            seen.push(match event {
                WatchEvent::Created { path, .. } => format!("created {path}"),
                WatchEvent::Removed { path } => format!("removed {path}"),
                other => format!("{other:?}"),
            });
        }
        assert_eq!(seen, ["created /ok/y"]);
        assert_eq!(
            left_out.load(Ordering::Relaxed),
            2,
            "x was left out when made"
        );
    }
}

#[cfg(test)]
mod counter_tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    const OOM_KILLED: &str = "low 0\nhigh 0\nmax 1\noom 1\noom_kill 1\n";

    /// The cgroups whose memory.events changed, as the watcher reports them within `wait`
    /// (once each: a write that truncates first is two changes).
    fn oom_reports(events: &mpsc::Receiver<WatchEvent>, wait: Duration) -> Vec<String> {
        let mut paths = Vec::new();
        while let Ok(event) = events.recv_timeout(wait) {
            if let WatchEvent::MemoryEventsChanged { path, .. } = event {
                paths.push(path.to_string());
            }
        }
        paths.dedup();
        paths
    }

    #[test]
    fn counter_files_are_watched_only_in_the_cgroups_followed() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a", "b"] {
            let cgroup = dir.path().join(name);
            std::fs::create_dir(&cgroup).unwrap();
            std::fs::write(cgroup.join("cgroup.events"), "populated 0\nfrozen 0\n").unwrap();
            std::fs::write(cgroup.join("memory.events"), "oom_kill 0\n").unwrap();
            std::fs::write(cgroup.join("pids.events"), "max 0\n").unwrap();
        }
        std::fs::create_dir(dir.path().join("c")).unwrap();
        let fs = Cgroupfs::fixture(dir.path()).unwrap();
        let mut watcher = Watcher::new(fs, CgroupPath::root())
            .unwrap()
            .without_counter_files()
            .without_pids_events();
        watcher.watch_existing(&mut |_| true);
        // The directories (/, a, b, c) and cgroup.events of a and b.
        assert_eq!(watcher.watch_count(), 6);
        let mut counters = watcher.counter_watches().expect("counter files left out");
        let path = |name: &str| CgroupPath::root().join(OsStr::new(name));
        counters.follow([&path("a")]);
        assert_eq!(counters.count(), 1, "memory.events of /a only");
        assert_eq!(watcher.watch_count(), 7);
        let (sender, events) = mpsc::channel();
        std::thread::spawn(move || watcher.watch_events(|e| sender.send(e).is_ok()));
        let kill = |name: &str| {
            std::fs::write(dir.path().join(name).join("memory.events"), OOM_KILLED).unwrap()
        };
        kill("a");
        kill("b");
        assert_eq!(oom_reports(&events, Duration::from_secs(2)), ["/a"]);
        // /a leaves the screen and /b comes on it.
        counters.follow([&path("b")]);
        kill("a");
        kill("b");
        assert_eq!(oom_reports(&events, Duration::from_secs(2)), ["/b"]);
        assert_eq!(counters.count(), 1);
        // A cgroup without the file (no memory controller) has it watched once it appears,
        // within RETRY_EVERY calls.
        counters.follow([&path("c")]);
        assert_eq!(counters.count(), 0);
        std::fs::write(dir.path().join("c/memory.events"), "oom_kill 0\n").unwrap();
        for _ in 0..RETRY_EVERY {
            counters.follow([&path("c")]);
        }
        assert_eq!(counters.count(), 1);
        kill("c");
        assert_eq!(oom_reports(&events, Duration::from_secs(2)), ["/c"]);
    }

    #[test]
    fn counter_watches_stay_within_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a", "b"] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
            std::fs::write(dir.path().join(name).join("memory.events"), "oom_kill 0\n").unwrap();
        }
        let fs = Cgroupfs::fixture(dir.path()).unwrap();
        let mut watcher = Watcher::new(fs, CgroupPath::root())
            .unwrap()
            .with_watch_budget(Some(4))
            .without_counter_files();
        watcher.watch_existing(&mut |_| true);
        assert_eq!(watcher.watch_count(), 3, "the three directories");
        let mut counters = watcher.counter_watches().unwrap();
        let path = |name: &str| CgroupPath::root().join(OsStr::new(name));
        counters.follow([&path("a"), &path("b")]);
        assert_eq!(counters.count(), 1, "one watch left in the budget");
        assert_eq!(watcher.watch_count(), 4);
    }
}
