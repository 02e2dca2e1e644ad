//! A sample: the raw counters of one cgroup at one moment. Rates are the model's business.

use crate::Error;
use crate::error::Result;
use crate::files::{CgroupReads, OpenFiles};
use crate::fs::Cgroupfs;
use crate::interface::*; // each file's typed constant
use crate::parse::{
    self, CgroupEvents, CgroupStat, CgroupType, CpuMax, CpuStat, IoDeviceStat, IoMax, IoWeight,
    Limit, MemoryEvents, MemoryStat, PidsEvents, Pressure,
};
use crate::path::CgroupPath;
use serde::Serialize;

/// How much of a cgroup to read: the tree's columns for every cgroup each tick, everything for
/// the cgroup a person is looking at (and for batch output).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Columns,
    /// [`Scope::Columns`] and `memory.stat`: rows showing a column made from it (working
    /// set, anonymous memory).
    ColumnsWithMemoryStat,
    /// Everything, `memory.stat` included: the cgroup a person is looking at, `snapshot`.
    Full,
    /// What the recorder keeps: [`Scope::Full`] (its `memory.stat` for the working set).
    Record,
    /// What an exporter reports: the columns plus memory.stat, memory.low/min/swap.max,
    /// pids.events, cgroup.stat, cpu.max, cpu.weight and io.max (`detail` holds only those);
    /// not the PID list nor the other details.
    Metrics,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MemorySample {
    pub current: Option<u64>,
    pub swap_current: Option<u64>,
    pub max: Option<Limit>,
    pub high: Option<Limit>,
    pub low: Option<Limit>,
    pub min: Option<Limit>,
    pub swap_max: Option<Limit>,
    pub events: Option<MemoryEvents>,
    /// Only for [`Scope::Full`], [`Scope::ColumnsWithMemoryStat`] and [`Scope::Metrics`], and
    /// [`Scope::Record`] where memory.current is not 0.
    pub stat: Option<MemoryStat>,
}

impl MemorySample {
    /// The working set (cAdvisor's): memory.current less the inactive page cache, which the
    /// kernel drops first. 0 when nothing is charged; unknown without `inactive_file`, never
    /// memory.current itself.
    pub fn working_set(&self) -> Option<u64> {
        match self.current? {
            0 => Some(0),
            current => Some(current.saturating_sub(self.stat?.inactive_file?)),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PidsSample {
    pub current: Option<u64>,
    pub max: Option<Limit>,
    pub events: Option<PidsEvents>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PsiSample {
    pub cpu: Option<Pressure>,
    pub memory: Option<Pressure>,
    pub io: Option<Pressure>,
}

/// Files read only for [`Scope::Full`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DetailSample {
    pub cgroup_type: Option<CgroupType>,
    pub stat: Option<CgroupStat>,
    pub max_depth: Option<Limit>,
    pub max_descendants: Option<Limit>,
    pub cpu_max: Option<CpuMax>,
    pub cpu_weight: Option<u64>,
    pub io_max: Option<Vec<IoMax>>,
    pub io_weight: Option<IoWeight>,
    pub cpuset_cpus: Option<String>,
    pub cpuset_mems: Option<String>,
}

/// When each counter file of a sample was read: `CLOCK_MONOTONIC` nanoseconds at the middle
/// of its read ([`monotonic_ns`]). A rate is the growth of one file between two reads of it
/// divided by the time between those two reads, never by the time between two passes: a pass
/// over thousands of cgroups on a loaded machine can take seconds, and one cgroup's files are
/// read at one moment of it. `None` where the file was not read (absent, unreadable), and in
/// samples of stores written before read times were kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadTimes {
    pub cpu_stat: Option<u64>,
    pub io_stat: Option<u64>,
    pub cpu_pressure: Option<u64>,
    pub memory_pressure: Option<u64>,
    pub io_pressure: Option<u64>,
    /// memory.stat; memory.events, read moments before in the same read of the cgroup, shares
    /// it. Only where memory.stat is read (its fault and event rates are shown there).
    pub memory_stat: Option<u64>,
}

/// `CLOCK_MONOTONIC` now, in nanoseconds: the clock of [`ReadTimes`].
pub fn monotonic_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    u64::try_from(t.tv_sec)
        .unwrap_or(0)
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::try_from(t.tv_nsec).unwrap_or(0))
}

pub use crate::fs::online_cpus;

/// A file that exists but could not be read or understood, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    pub file: &'static str,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CgroupSample {
    pub inode: u64,
    pub owner_uid: u32,
    pub owner_gid: u32,
    pub events: Option<CgroupEvents>,
    pub cpu: Option<CpuStat>,
    pub memory: MemorySample,
    pub io: Option<Vec<IoDeviceStat>>,
    pub pids: PidsSample,
    pub psi: PsiSample,
    pub nr_procs: Option<usize>,
    pub controllers: Option<Vec<String>>,
    pub subtree_control: Option<Vec<String>>,
    /// Boxed: most samples (the tree's columns) have none, and it is large.
    pub detail: Option<Box<DetailSample>>,
    /// When each counter file was read: what rates are computed over.
    #[serde(skip)]
    pub read_at: ReadTimes,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<Unreadable>,
}

/// A cgroup's `cgroup.events` as the caller already holds it, because inotify watched the
/// file before it was read (every change since was reported): it is not read again, and a
/// cgroup known to be empty (`populated 0`) has no processes, so its PID list is not read
/// either. Only for the cgroup with this inode (a cgroup made again under the same name is
/// another). `memory.events` and `pids.events` have no such shortcut: they appear and vanish
/// with their controllers, unannounced, so a watch on them can be missing without notice.
/// `Default` knows nothing: everything is read.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct KnownEvents {
    pub inode: u64,
    pub events: Option<CgroupEvents>,
    /// The caller is told of every write to this cgroup's files, and forgets its rare files
    /// then ([`crate::files::CgroupReads::writes_reported`]).
    pub writes_reported: bool,
}

/// Counter files of a cgroup that did not change since the caller last read them, because its
/// parent's did not: cpu.stat, io.stat and the PSI `some` totals count the whole subtree, so a
/// parent whose values stayed the same has no descendant whose values grew. They are not read
/// again; the sample takes these values, each timed when the parent's file was read (the
/// moment they are known to hold). Only for the cgroup with this inode. A PSI file is carried
/// only while its averages are all zero: without stalls they stay zero, but otherwise decay.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Unchanged {
    pub inode: u64,
    pub cpu_stat: Option<(CpuStat, u64)>,
    pub io_stat: Option<(Vec<IoDeviceStat>, u64)>,
    pub cpu_pressure: Option<(Pressure, u64)>,
    pub memory_pressure: Option<(Pressure, u64)>,
    pub io_pressure: Option<(Pressure, u64)>,
    /// `memory.current`, `memory.swap.current` and `pids.current` known to be 0: each counts
    /// the whole subtree, and the parent's was 0 (no child holds more than its parent).
    pub memory_current: Option<u64>,
    pub swap_current: Option<u64>,
    pub pids_current: Option<u64>,
    /// `memory.events` known to hold no event yet: it held none, and the parent's (which
    /// counts its descendants' events, unless `memory_localevents`) did not change.
    pub memory_events: Option<MemoryEvents>,
}

/// A carried value with its time, or the file read (and timed) when there is none.
fn carried_or<T: Clone>(
    carried: Option<&(T, u64)>,
    at: &mut Option<u64>,
    read: impl FnOnce(&mut Option<u64>) -> Option<T>,
) -> Option<T> {
    match carried {
        Some((value, when)) => {
            *at = Some(*when);
            Some(value.clone())
        }
        None => read(at),
    }
}

/// Reads files of one cgroup, turning "absent" into `None` and recording other failures.
struct Reader<'a> {
    fs: &'a Cgroupfs,
    cgroup: &'a CgroupPath,
    unreadable: Vec<Unreadable>,
    /// Files kept open between samples, when the caller keeps them.
    files: Option<CgroupReads<'a>>,
}

impl Reader<'_> {
    /// Read one interface file by its parser and how often it changes ([`crate::interface`]);
    /// a failure is recorded in `unreadable` and gives `None`.
    fn get<T>(&mut self, file: File<T>) -> Option<T> {
        self.get_as(file.spec.name, file.parse, file.spec.changes)
    }

    /// [`Reader::get`] for a counter file, with the moment it was read (the middle of the
    /// read) in `at` when it gave a value.
    fn get_timed<T>(&mut self, file: File<T>, at: &mut Option<u64>) -> Option<T> {
        let before = monotonic_ns();
        let value = self.get(file);
        let after = monotonic_ns();
        *at = value
            .is_some()
            .then(|| before + after.saturating_sub(before) / 2);
        value
    }

    /// Read and parse one file; a failure is recorded in `unreadable` and gives `None`.
    fn get_as<T>(
        &mut self,
        file: &'static str,
        parse: fn(&str) -> parse::ParseResult<T>,
        changes: Changes,
    ) -> Option<T> {
        match self.read(file, parse, changes) {
            Ok(value) => value,
            Err(err) => {
                let reason = match &err {
                    Error::Io { source, .. } => source.to_string(),
                    Error::Parse { source, .. } => format!("unexpected content: {source}"),
                    other => other.to_string(),
                };
                self.unreadable.push(Unreadable { file, reason });
                None
            }
        }
    }

    /// Read and parse one file, through the open-file cache when there is one.
    fn read<T>(
        &mut self,
        file: &'static str,
        parse: fn(&str) -> parse::ParseResult<T>,
        changes: Changes,
    ) -> Result<Option<T>> {
        let Some(files) = self.files.as_mut() else {
            return self.fs.read(self.cgroup, file, parse);
        };
        let parsed = match changes {
            Changes::Often => files.read_with(file, parse),
            Changes::OnWrite => files
                .read_rare(file)
                .map(|text| text.map(|text| parse(&text))),
        };
        let path = || self.fs.dir(self.cgroup).join(file);
        match parsed {
            Ok(None) => Ok(None),
            Ok(Some(parsed)) => parsed.map(Some).map_err(|source| Error::Parse {
                path: path(),
                source,
            }),
            Err(e) => Err(Error::io(path(), e)),
        }
    }
}

/// Read one cgroup. `Ok(None)` means it does not exist (any more).
pub fn read_sample(
    fs: &Cgroupfs,
    cgroup: &CgroupPath,
    scope: Scope,
) -> Result<Option<CgroupSample>> {
    read_sample_with(fs, cgroup, scope, None)
}

/// [`read_sample`], keeping the files open in `files` for the next pass.
pub fn read_sample_with(
    fs: &Cgroupfs,
    cgroup: &CgroupPath,
    scope: Scope,
    files: Option<&mut OpenFiles>,
) -> Result<Option<CgroupSample>> {
    read_sample_knowing(fs, cgroup, scope, files, &KnownEvents::default(), None)
}

/// [`read_sample_with`], taking `cgroup.events` from `known` when it holds it for this cgroup,
/// and the counter files `unchanged` holds for it.
pub fn read_sample_knowing(
    fs: &Cgroupfs,
    cgroup: &CgroupPath,
    scope: Scope,
    files: Option<&mut OpenFiles>,
    known: &KnownEvents,
    unchanged: Option<&Unchanged>,
) -> Result<Option<CgroupSample>> {
    let mut files = files;
    // Scopes that read cgroup.stat, which a held directory is checked with (OpenFiles::held),
    // on a real cgroupfs: only there does every read of a removed cgroup fail.
    let hold =
        matches!(scope, Scope::Full | Scope::Record | Scope::Metrics) && fs.mount().is_some();
    let held = match files.as_deref_mut() {
        Some(files) if hold => files.held(fs, cgroup),
        _ => None,
    };
    // With open files, the directory is opened (and its files opened relative to it) rather
    // than its path looked up twice.
    let (stat, dir) = match held {
        Some(stat) => (stat, None),
        None if files.is_some() => match fs.stat_opened(cgroup)? {
            Some((dir, stat)) => (stat, Some(dir)),
            None => return Ok(None),
        },
        None => match fs.stat(cgroup)? {
            Some(stat) => (stat, None),
            None => return Ok(None),
        },
    };
    let mut r = Reader {
        fs,
        cgroup,
        unreadable: Vec::new(),
        files: files.map(|files| {
            let reads = files
                .cgroup(fs, cgroup, stat.inode)
                .writes_reported(known.writes_reported);
            match dir {
                Some(dir) => reads.with_dir(dir, hold),
                None => reads,
            }
        }),
    };
    // The process count costs a read of the whole PID list: only for a full read (the
    // cgroup a person looks at, and batch output). cgroup.procs exists in every cgroup, so its
    // absence there means the cgroup is gone.
    let known_events = known.events.filter(|_| known.inode == stat.inode);
    let empty = known_events.is_some_and(|e| !e.populated);
    let procs = match scope {
        Scope::Columns | Scope::ColumnsWithMemoryStat | Scope::Metrics => None,
        Scope::Full | Scope::Record if empty => Some(0),
        Scope::Full | Scope::Record => {
            match r.read(CGROUP_PROCS.spec.name, CGROUP_PROCS.parse, Changes::Often) {
                Ok(None) => return Ok(None),
                Ok(Some(pids)) => Some(pids.len()),
                Err(err) => {
                    r.unreadable.push(Unreadable {
                        file: "cgroup.procs",
                        reason: err.to_string(),
                    });
                    None
                }
            }
        }
    };
    let unchanged = unchanged.filter(|u| u.inode == stat.inode);
    let mut read_at = ReadTimes::default();
    let cpu = carried_or(
        unchanged.and_then(|u| u.cpu_stat.as_ref()),
        &mut read_at.cpu_stat,
        |at| r.get_timed(CPU_STAT, at),
    );
    let mut sample = CgroupSample {
        inode: stat.inode,
        owner_uid: stat.uid,
        owner_gid: stat.gid,
        nr_procs: procs,
        events: known_events.or_else(|| r.get(CGROUP_EVENTS)),
        cpu,
        memory: MemorySample {
            current: unchanged
                .and_then(|u| u.memory_current)
                .or_else(|| r.get(MEMORY_CURRENT)),
            swap_current: unchanged
                .and_then(|u| u.swap_current)
                .or_else(|| r.get(MEMORY_SWAP_CURRENT)),
            max: r.get(MEMORY_MAX),
            high: r.get(MEMORY_HIGH),
            low: None,
            min: None,
            swap_max: None,
            events: unchanged
                .and_then(|u| u.memory_events)
                .or_else(|| r.get(MEMORY_EVENTS)),
            stat: None,
        },
        io: carried_or(
            unchanged.and_then(|u| u.io_stat.as_ref()),
            &mut read_at.io_stat,
            |at| r.get_timed(IO_STAT, at),
        ),
        pids: PidsSample {
            current: unchanged
                .and_then(|u| u.pids_current)
                .or_else(|| r.get(PIDS_CURRENT)),
            max: r.get(PIDS_MAX),
            events: None,
        },
        psi: PsiSample {
            cpu: carried_or(
                unchanged.and_then(|u| u.cpu_pressure.as_ref()),
                &mut read_at.cpu_pressure,
                |at| r.get_timed(CPU_PRESSURE, at),
            ),
            memory: carried_or(
                unchanged.and_then(|u| u.memory_pressure.as_ref()),
                &mut read_at.memory_pressure,
                |at| r.get_timed(MEMORY_PRESSURE, at),
            ),
            io: carried_or(
                unchanged.and_then(|u| u.io_pressure.as_ref()),
                &mut read_at.io_pressure,
                |at| r.get_timed(IO_PRESSURE, at),
            ),
        },
        controllers: r.get(CGROUP_CONTROLLERS),
        subtree_control: r.get(CGROUP_SUBTREE_CONTROL),
        detail: None,
        read_at: ReadTimes::default(),
        unreadable: Vec::new(),
    };
    sample.read_at = read_at;
    if scope == Scope::Metrics {
        sample.memory.low = r.get(MEMORY_LOW);
        sample.memory.min = r.get(MEMORY_MIN);
        sample.memory.swap_max = r.get(MEMORY_SWAP_MAX);
        sample.pids.events = r.get(PIDS_EVENTS);
        sample.detail = Some(Box::new(DetailSample {
            stat: r.get(CGROUP_STAT),
            cpu_max: r.get(CPU_MAX),
            cpu_weight: r.get(CPU_WEIGHT),
            io_max: r.get(IO_MAX),
            ..DetailSample::default()
        }));
    }
    // The recorder keeps only memory.stat's page counts (the working set): a cgroup charged no
    // memory (memory.current 0, the most common cgroup of a big tree) has none, so its largest
    // file is not parsed.
    let charged = sample.memory.current != Some(0);
    if matches!(
        scope,
        Scope::Full | Scope::ColumnsWithMemoryStat | Scope::Metrics
    ) || (scope == Scope::Record && charged)
    {
        sample.memory.stat = r.get_timed(MEMORY_STAT, &mut sample.read_at.memory_stat);
    }
    if matches!(scope, Scope::Full | Scope::Record) {
        // Limits and types change only when written: re-read every few passes like the
        // columns' limits (a batch run reads every cgroup fully every pass).
        sample.memory.low = r.get(MEMORY_LOW);
        sample.memory.min = r.get(MEMORY_MIN);
        sample.memory.swap_max = r.get(MEMORY_SWAP_MAX);
        sample.pids.events = r.get(PIDS_EVENTS);
        sample.detail = Some(Box::new(DetailSample {
            cgroup_type: r.get(CGROUP_TYPE),
            stat: r.get(CGROUP_STAT),
            max_depth: r.get(CGROUP_MAX_DEPTH),
            max_descendants: r.get(CGROUP_MAX_DESCENDANTS),
            cpu_max: r.get(CPU_MAX),
            cpu_weight: r.get(CPU_WEIGHT),
            io_max: r.get(IO_MAX),
            io_weight: r.get(IO_WEIGHT),
            cpuset_cpus: r.get(CPUSET_CPUS),
            cpuset_mems: r.get(CPUSET_MEMS),
        }));
    }
    sample.unreadable = r.unreadable;
    Ok(Some(sample))
}
