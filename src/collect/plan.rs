//! Which cgroups the TUI's sampler reads each pass: what the view needs ([`Reads`]), the
//! focused cgroup, cgroups inotify cannot watch; the tree is walked only to recover.

use super::pace::HIDDEN_EVERY;
use super::{Collector, PassStats, thread_cpu};
use crate::cgroup::CgroupPath;
use crate::cgroup::parse::{self, CgroupEvents};
use crate::cgroup::sample::{KnownEvents, Scope};
use crate::cgroup::stats;
use crate::cgroup::watch::WatchEvent;
use crate::model::TreeSample;
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

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
    /// A shown column is made from memory.stat (working set, anon): rows read it too.
    pub memory_stat: bool,
    /// Expanded cgroups on screen showing their processes in the tree (`p`): their own
    /// processes are read every pass.
    pub processes_of: Vec<CgroupPath>,
}

/// Which cgroups a pass reads: the focused one fully, and what the view needs
/// ([`Reads`]): the rows on screen every pass, some rows off screen in turns, each in its own
/// phase so the load spreads evenly. The rest is not read: new and removed cgroups,
/// populated/frozen and OOM kills arrive by inotify, and the tree is walked (every directory
/// listed) only to recover: after an inotify queue overflow or a write
/// ([`ViewPlan::walk_next_pass`]), and every pass without inotify
/// ([`ViewPlan::walk_every_pass`]). A cgroup inotify could not watch is polled alone
/// ([`ViewPlan::poll_alone`]) for what its watches would have told: its `cgroup.events`, and
/// its children where its directory is unwatched.
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
    /// Cgroups inotify does not watch, polled every pass.
    alone: HashMap<CgroupPath, Alone>,
    /// What polling those found, as the watcher would have reported it.
    events: Vec<WatchEvent>,
    /// CPU the latest pass spent on a walk made only to recover (zero otherwise): a one-off,
    /// not a cost of the passes to come.
    pub(super) walk_cpu: Duration,
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
    /// Its `cgroup.events` as last polled, and the file kept open to poll it with one read.
    events: Option<CgroupEvents>,
    events_file: Option<std::fs::File>,
}

/// At most this many polled cgroups have their `cgroup.events` kept open (each open file
/// that was read holds a page of kernel memory), and never more than an eighth of the
/// descriptor limit (the open-file cache may take half, held directories a quarter); the
/// others are opened at each poll.
const POLLED_OPEN_MAX: usize = 1024;

fn polled_open_max() -> usize {
    POLLED_OPEN_MAX.min(crate::cgroup::files::descriptor_share(8))
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

/// Is `path` one of `dir`'s children named in `names`, or below one?
fn path_under_any(path: &CgroupPath, dir: &CgroupPath, names: &HashSet<&[u8]>) -> bool {
    if !path.starts_with(dir) || path == dir {
        return false;
    }
    let rest = &path.as_bytes()[dir.as_bytes().len()..];
    let rest = rest.strip_prefix(b"/").unwrap_or(rest);
    let child = rest.split(|b| *b == b'/').next().unwrap_or(rest);
    names.contains(child)
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

    /// The cgroups whose own processes the tree shows ([`Reads::processes_of`]).
    pub fn process_cgroups(&self) -> &[CgroupPath] {
        self.reads
            .as_ref()
            .map_or(&[], |r| r.processes_of.as_slice())
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
    /// by [`ViewPlan::take_events`]: those not in `children` (the watcher's listing) at the
    /// first listing, those since at the next.
    pub fn poll_alone(
        &mut self,
        path: CgroupPath,
        directory: bool,
        children: Option<Vec<OsString>>,
    ) {
        let entry = self.alone.entry(path).or_default();
        entry.directory |= directory;
        if entry.children.is_none() {
            entry.children = children;
        }
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

    /// Read the `cgroup.events` of the cgroups polled alone, and report a change as the
    /// watcher would have. One gone is forgotten (its parent's watch or listing reports it).
    fn poll_events(&mut self, collector: &Collector, base: &CgroupPath) {
        let fs = collector.fs();
        let mut gone = Vec::new();
        let mut open = self
            .alone
            .values()
            .filter(|a| a.events_file.is_some())
            .count();
        let open_max = polled_open_max();
        for (path, alone) in self.alone.iter_mut().filter(|(p, _)| p.starts_with(base)) {
            // Through the file kept open (a removed cgroup's fails: then afresh).
            let read_kept = |file: &std::fs::File| {
                let mut buffer = [0u8; 256];
                let read = std::os::unix::fs::FileExt::read_at(file, &mut buffer, 0).ok()?;
                stats::read(read);
                parse::cgroup_events(&String::from_utf8_lossy(&buffer[..read])).ok()
            };
            let mut kept = alone.events_file.as_ref().and_then(read_kept);
            if kept.is_none() && alone.events_file.take().is_some() {
                open -= 1;
            }
            if kept.is_none() && open < open_max {
                alone.events_file = fs.open_file(path, "cgroup.events").ok();
                open += usize::from(alone.events_file.is_some());
                kept = alone.events_file.as_ref().and_then(read_kept);
            }
            let polled = match kept {
                Some(events) => Ok(Some(events)),
                None => fs.read(path, "cgroup.events", parse::cgroup_events),
            };
            match polled {
                Ok(Some(events)) if alone.events != Some(events) => {
                    alone.events = Some(events);
                    self.events.push(WatchEvent::EventsChanged {
                        path: path.clone(),
                        events,
                    });
                }
                Ok(Some(_)) => {}
                // No such file: the root has none (a fixture may lack it), or it is gone.
                Ok(None) if matches!(fs.stat(path), Ok(None)) => gone.push(path.clone()),
                Ok(None) => {}
                // Unreadable: nothing to compare.
                Err(_) => {}
            }
        }
        for path in gone {
            self.alone.remove(&path);
        }
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
        needed.then_some(self.columns_scope())
    }

    /// How a row is read: its columns, and memory.stat when a shown column needs it.
    fn columns_scope(&self) -> Scope {
        if self.reads.as_ref().is_some_and(|r| r.memory_stat) {
            Scope::ColumnsWithMemoryStat
        } else {
            Scope::Columns
        }
    }

    fn turn(&self, path: &CgroupPath) -> bool {
        let every = self.hidden_every;
        (self.pass + phase(path) % every).is_multiple_of(every)
    }

    /// List the children of unwatched directories, and report what changed since the last
    /// listing as the watcher would have: new children (polled alone too, since nothing watches
    /// them) and removed ones.
    fn list_unwatched(&mut self, collector: &Collector, base: &CgroupPath) {
        let dirs: Vec<CgroupPath> = self
            .alone
            .iter()
            .filter(|(path, alone)| alone.directory && path.starts_with(base))
            .map(|(path, _)| path.clone())
            .collect();
        for dir in dirs {
            let names = match collector.fs().children(&dir) {
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
                // The first listing, with no listing of the watcher's to compare: the walk
                // found these.
                continue;
            };
            let (made, removed) = super::changed_children(&before, &names);
            for name in made {
                let child = dir.join(name);
                let Some(sample) = collector.read_once(&child, Scope::Columns) else {
                    continue;
                };
                self.events.push(WatchEvent::Created {
                    path: child.clone(),
                    sample: Some(sample),
                });
                self.alone.insert(
                    child,
                    Alone {
                        children: Some(Vec::new()),
                        directory: true,
                        events: None,
                        events_file: None,
                    },
                );
            }
            // One pass over the polled cgroups for all the removed children (a subtree of
            // thousands removed at once must not cost a pass each).
            let removed: HashSet<&[u8]> = removed.iter().map(|n| n.as_bytes()).collect();
            if !removed.is_empty() {
                self.alone
                    .retain(|path, _| !path_under_any(path, &dir, &removed));
                for name in removed {
                    self.events.push(WatchEvent::Removed {
                        path: dir.join(std::ffi::OsStr::from_bytes(name)),
                    });
                }
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
                            Entry::Read(self.columns_scope())
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
        let wanted = self.focus.iter().chain(every_pass);
        for path in wanted {
            if path.starts_with(base) && seen.insert(path) {
                let scope = self.scope(path).unwrap_or(self.columns_scope());
                entries.push((path.clone(), Entry::Read(scope)));
            }
        }
        for path in in_turns {
            if path.starts_with(base) && seen.insert(path) {
                let entry = if self.turn(path) {
                    Entry::Read(self.columns_scope())
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
    pub fn sample(&mut self, collector: &mut Collector, base: &CgroupPath) -> TreeSample {
        let cpu_before = thread_cpu();
        let io_before = stats::thread_counts();
        self.pass += 1;
        // Before the walk: the model must not remove a cgroup created while the walk ran.
        let started = Instant::now();
        let walk = self.walk_due();
        self.walk_cpu = Duration::ZERO;
        let walked = walk.then(|| {
            let listed = collector.walk(base);
            // A walk made only to recover is a one-off, not a cost of the passes to come.
            if !self.walk_every_pass && self.reads.is_some() {
                self.walk_cpu = thread_cpu().saturating_sub(cpu_before);
            }
            self.walk_next = false;
            listed
        });
        if !self.alone.is_empty() {
            self.list_unwatched(collector, base);
            self.poll_events(collector, base);
        }
        let entries = self.entries(base, walked.as_deref());
        self.read_latest.clear();
        collector.begin_pass();
        let mut cgroups = Vec::with_capacity(if walk { entries.len() } else { 64 });
        let mut read = 0;
        for (path, entry) in entries {
            match entry {
                // A directory that vanished or cannot be read is left out until the next
                // pass; per-file problems are kept inside the sample.
                Entry::Read(scope) => {
                    read += 1;
                    if let Some(sample) = collector.read(&path, scope, &KnownEvents::default()) {
                        self.read_latest.insert(path.clone());
                        cgroups.push((path, Some(sample)));
                    }
                }
                Entry::Listed => {
                    collector.keep(&path);
                    cgroups.push((path, None));
                }
                Entry::Kept => collector.keep(&path),
            }
        }
        collector.end_pass();
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

    /// What is read every pass: the focus and the rows the view needs every pass (those on
    /// screen), whose counter files are worth a watch.
    pub fn followed(&self) -> impl Iterator<Item = &CgroupPath> {
        let every_pass = self.reads.iter().flat_map(|r| r.every_pass.iter());
        self.focus.iter().chain(every_pass)
    }

    /// Read at once what the view needs every pass and the latest pass did not read (the
    /// first screen, rows scrolled onto it), so a row never waits an interval on screen with
    /// old values. `None` when there is nothing new. The focus is read fully elsewhere.
    pub fn catch_up(&mut self, collector: &mut Collector, base: &CgroupPath) -> Option<TreeSample> {
        let scope = self.columns_scope();
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
            if let Some(sample) = collector.read(&path, scope, &KnownEvents::default()) {
                cgroups.push((path.clone(), Some(sample)));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::Cgroupfs;
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
            ..Reads::default()
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
    fn rows_read_memory_stat_only_while_a_column_needs_it() {
        let mut plan = ViewPlan {
            focus: Some(p("f")),
            ..ViewPlan::default()
        };
        let reads = Reads {
            every_pass: vec![p("v")],
            ..Reads::default()
        };
        plan.set_reads(reads.clone());
        let entries = plan.entries(&CgroupPath::root(), None);
        assert!(
            entries.contains(&(p("v"), Entry::Read(Scope::Columns))),
            "{entries:?}"
        );
        plan.set_reads(Reads {
            memory_stat: true,
            ..reads
        });
        let entries = plan.entries(&CgroupPath::root(), None);
        assert!(
            entries.contains(&(p("v"), Entry::Read(Scope::ColumnsWithMemoryStat))),
            "{entries:?}"
        );
        assert!(entries.contains(&(p("f"), Entry::Read(Scope::Full))));
    }

    #[test]
    fn the_plan_follows_a_thinner_schedule() {
        let hidden: Vec<CgroupPath> = (0..200).map(|i| p(&format!("h{i}"))).collect();
        let mut plan = ViewPlan::default();
        plan.set_reads(Reads {
            every_pass: Vec::new(),
            in_turns: hidden.clone(),
            ..Reads::default()
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
        let mut collector = Collector::new(fs.clone());
        let mut plan = ViewPlan {
            own_shape: false,
            ..ViewPlan::default()
        };
        assert!(!plan.has_work(), "nothing to do before the view says");
        plan.set_reads(Reads {
            every_pass: vec![p("a")],
            in_turns: Vec::new(),
            ..Reads::default()
        });
        for _ in 0..HIDDEN_EVERY * 3 {
            let tree = plan.sample(&mut collector, &root);
            assert!(!tree.complete, "no walk");
            assert_eq!(read(&tree), ["/a"]);
            assert_eq!(plan.latest.io.listed, 0, "no directory listed");
        }
        // After an overflow: one walk, which lists every cgroup and reads only /a.
        std::fs::create_dir(dir.path().join("d")).unwrap();
        plan.walk_next_pass();
        let walked = plan.sample(&mut collector, &root);
        assert!(walked.complete && plan.latest.walked);
        assert_eq!(walked.cgroups.len(), 5, "/, a, b, c and d listed");
        assert_eq!(read(&walked), ["/a"]);
        assert!(!plan.sample(&mut collector, &root).complete, "only once");
        // Without inotify: every pass.
        plan.walk_every_pass = true;
        assert!(plan.sample(&mut collector, &root).complete);
        assert!(plan.sample(&mut collector, &root).complete);
    }

    #[test]
    fn rows_new_on_screen_are_read_at_once_and_once() {
        let (_dir, fs) = fixture(&["a", "b", "c"]);
        let root = CgroupPath::root();
        let mut collector = Collector::new(fs.clone());
        let mut plan = ViewPlan {
            own_shape: false,
            focus: Some(p("c")),
            ..ViewPlan::default()
        };
        plan.set_reads(Reads {
            every_pass: vec![p("a")],
            in_turns: Vec::new(),
            ..Reads::default()
        });
        let first = plan
            .catch_up(&mut collector, &root)
            .expect("the first screen");
        assert_eq!(read(&first), ["/a"]);
        assert!(plan.catch_up(&mut collector, &root).is_none(), "once");
        plan.sample(&mut collector, &root);
        // /b scrolls on screen; the focus (/c) is read fully elsewhere.
        plan.set_reads(Reads {
            every_pass: vec![p("a"), p("b"), p("c")],
            in_turns: Vec::new(),
            ..Reads::default()
        });
        let scrolled = plan.catch_up(&mut collector, &root).expect("the new row");
        assert_eq!(read(&scrolled), ["/b"]);
        assert!(!scrolled.complete);
    }

    #[test]
    fn a_pass_costs_what_is_on_screen_whatever_the_tree_size() {
        let cost = |count: usize| {
            let names: Vec<String> = (0..count).map(|i| format!("p{}/c{i}", i % 10)).collect();
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let (_dir, fs) = fixture(&refs);
            let mut collector = Collector::new(fs.clone());
            let mut plan = ViewPlan {
                own_shape: false,
                ..ViewPlan::default()
            };
            plan.set_reads(Reads {
                every_pass: names.iter().take(50).map(|n| p(n)).collect(),
                in_turns: Vec::new(),
                ..Reads::default()
            });
            (0..3)
                .map(|_| {
                    plan.sample(&mut collector, &CgroupPath::root());
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

    /// A child made between the watcher's listing of an unwatched directory and the poller's
    /// first listing is new: the first listing is compared with the watcher's.
    #[test]
    fn a_child_made_before_the_first_poll_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b/old")).unwrap();
        let fs = Cgroupfs::fixture(dir.path()).unwrap();
        let mut collector = Collector::new(fs);
        let mut plan = ViewPlan::default();
        plan.set_reads(Reads::default());
        plan.poll_alone(p("b"), true, Some(vec!["old".into()]));
        std::fs::create_dir(dir.path().join("b/early")).unwrap();
        plan.sample(&mut collector, &CgroupPath::root());
        let created: Vec<String> = plan
            .take_events()
            .into_iter()
            .filter_map(|e| match e {
                WatchEvent::Created { path, .. } => Some(path.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(created, ["/b/early"]);
    }

    #[test]
    fn a_cgroup_polled_alone_has_its_events_and_children_reported() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a", "b"] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
            std::fs::write(
                dir.path().join(name).join("cgroup.events"),
                "populated 0\nfrozen 0\n",
            )
            .unwrap();
        }
        let fs = Cgroupfs::fixture(dir.path()).unwrap();
        let mut collector = Collector::new(fs.clone());
        let mut plan = ViewPlan::default();
        plan.set_reads(Reads::default());
        plan.poll_alone(p("b"), true, None);
        assert_eq!(plan.polled_alone(), 1);
        let read = |tree: &TreeSample, name: &str| {
            tree.cgroups
                .iter()
                .any(|(c, s)| c.to_string() == name && s.is_some())
        };
        let events_of = |events: &[WatchEvent]| -> Vec<(String, bool)> {
            events
                .iter()
                .filter_map(|e| match e {
                    WatchEvent::EventsChanged { path, events } => {
                        Some((path.to_string(), events.populated))
                    }
                    _ => None,
                })
                .collect()
        };
        plan.sample(&mut collector, &CgroupPath::root());
        assert_eq!(
            events_of(&plan.take_events()),
            [("/b".to_string(), false)],
            "the first listing reports no child; the first poll its events"
        );
        std::fs::write(
            dir.path().join("b/cgroup.events"),
            "populated 1\nfrozen 0\n",
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("b/new")).unwrap();
        std::fs::create_dir(dir.path().join("a/unseen")).unwrap();
        let mut created = Vec::new();
        let mut changed = Vec::new();
        for _ in 1..HIDDEN_EVERY {
            let tree = plan.sample(&mut collector, &CgroupPath::root());
            assert!(!tree.complete);
            assert!(
                !read(&tree, "/b"),
                "polled alone: only what its watches would tell"
            );
            let events = plan.take_events();
            changed.extend(events_of(&events));
            created.extend(events.into_iter().filter_map(|e| match e {
                WatchEvent::Created { path, sample } => Some((path.to_string(), sample.is_some())),
                _ => None,
            }));
        }
        assert_eq!(
            changed,
            [("/b".to_string(), true)],
            "a change of its cgroup.events is reported once"
        );
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
        plan.sample(&mut collector, &CgroupPath::root());
        assert!(matches!(
            &plan.take_events()[..],
            [WatchEvent::Removed { path }] if path.to_string() == "/b/new"
        ));
        assert_eq!(plan.polled_alone(), 1);
        // A polled cgroup removed is forgotten (by its poll, or a walk that does not find it).
        std::fs::remove_dir_all(dir.path().join("b")).unwrap();
        plan.walk_next_pass();
        plan.sample(&mut collector, &CgroupPath::root());
        assert_eq!(plan.polled_alone(), 0);
    }
}
