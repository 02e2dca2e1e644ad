//! Every interface file of cgroup v2, bound in one table to how it is read (a parser from
//! [`crate::parse`]), how often its value changes, and how the kernel's write handler judges a
//! value (a [`Grammar`], with the handler's own errnos). Sample reading ([`crate::sample`]),
//! value checks ([`crate::value`]) and predictions ([`crate::predict`]) all look a file up
//! here, so a new file is one row of the table.
//!
//! Each row is also a typed constant, as procfs has a type per file:
//!
//! ```
//! use cgroupv2::interface::{self, MEMORY_MAX};
//! assert_eq!(MEMORY_MAX.spec.name, "memory.max");
//! assert_eq!((MEMORY_MAX.parse)("max\n").unwrap(), cgroupv2::Limit::Max);
//! assert!(interface::lookup("hugetlb.2MB.max").is_some());
//! assert!(interface::lookup("memory.maxx").is_none());
//! ```

use crate::parse::{
    self, CgroupEvents, CgroupStat, CgroupType, CpuMax, CpuStat, IoDeviceStat, IoMax, IoWeight,
    Limit, MemoryEvents, MemoryStat, ParseResult, PidsEvents, Pressure,
};

/// How a number is read: the kernel's kstrto* function of the handler, always with base 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kstrto {
    /// kstrtoull: no sign but `+`.
    Ull,
    /// kstrtoll.
    Ll,
    /// kstrtoint: kstrtoll that must fit an `int` (ERANGE otherwise).
    Int,
}

/// How a file's write handler parses and judges a value; each file's is in the table below,
/// and [`crate::value`] checks a value by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grammar {
    /// cgtui does not check it: the kernel judges the text as given.
    Unchecked,
    /// `max` or a size as page_counter_memparse() reads it (memparse: base 0, a K..E suffix,
    /// wrapping past 2^64), or cgtui's `1.5G` / `512MB` converted to bytes.
    SizeOrMax,
    /// memory.reclaim: a size as memparse() reads it, then `swappiness=N` options; EAGAIN
    /// when the cgroup cannot give back that much.
    Reclaim,
    /// A PSI trigger `some|full STALL WINDOW` (µs) in a pressure file; `irq`: only `full`.
    Psi { irq: bool },
    /// A number read as `parse` reads it, within `min..=max`, else `range_errno`; `max_word`:
    /// the word `max` is taken too.
    Integer {
        parse: Kstrto,
        min: i64,
        max: i64,
        range_errno: &'static str,
        max_word: bool,
    },
    /// cgroup.kill: only 1.
    Kill,
    /// cpu.max: `max`, `QUOTA`, `QUOTA PERIOD`, `max PERIOD` (µs), or `N%`.
    CpuMax,
    /// io.max: `MAJ:MIN rbps=N wbps=N riops=N wiops=N`.
    IoMax,
    /// io.weight and io.bfq.weight: `N`, `default N`, `MAJ:MIN N`.
    IoWeight { max: i64, range_errno: &'static str },
    /// A cpuset list: `0-3,5`.
    CpuList,
    /// One of these words (EINVAL otherwise).
    Words(&'static [&'static str]),
    /// `+name -name ...`.
    SubtreeControl,
    /// A PID (0: the writer itself), as cgroup_procs_write_start() reads it: kstrtoint(base 0)
    /// after strstrip(), EINVAL for anything else or below 0.
    Pid,
}

/// The largest pids.max below "max": PIDS_MAX - 1 (PID_MAX_LIMIT on 64-bit, kernel/cgroup/pids.c).
pub const PIDS_MAX_LIMIT: i64 = 4 * 1024 * 1024;

/// How often a file's value changes: on every read (counters, events), or only when someone
/// writes it (limits, controller lists), which a cache re-reads every few passes instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changes {
    Often,
    OnWrite,
}

/// What cgtui knows of one interface file, whatever its value's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// The file's name; hugetlb files as `hugetlb.<size>.max` (see [`lookup`]).
    pub name: &'static str,
    pub changes: Changes,
    /// How the kernel's write handler parses and judges a value.
    pub grammar: Grammar,
}

/// One interface file and its parser: `fs.get(&cgroup, MEMORY_MAX)` is a `Limit`.
#[derive(Debug)]
pub struct File<T> {
    pub spec: Spec,
    pub parse: fn(&str) -> ParseResult<T>,
}

impl<T> Clone for File<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for File<T> {}

/// The text of a file cgtui does not interpret, trimmed.
pub fn text(text: &str) -> ParseResult<String> {
    Ok(text.trim().to_string())
}

/// The size placeholder in the names of hugetlb files.
pub const HUGETLB_SIZE: &str = "<size>";

macro_rules! interface_files {
    ($($(#[$meta:meta])* $konst:ident: $ty:ty = $name:literal, $parse:expr, $changes:ident, $grammar:expr;)*) => {
        $(
            $(#[$meta])*
            pub const $konst: File<$ty> = File {
                spec: Spec { name: $name, changes: Changes::$changes, grammar: $grammar },
                parse: $parse,
            };
        )*
        /// Every interface file, in the order of Documentation/admin-guide/cgroup-v2.rst.
        pub const ALL: &[Spec] = &[$($konst.spec),*];
    };
}

use Grammar as G;

/// kstrtoint (cgroup.max.*, cgroup.freeze, memory.oom.group, ...).
const INT: Kstrto = Kstrto::Int;
/// kstrtoll (pids.max, cpu.weight.nice, cpu.idle).
const LL: Kstrto = Kstrto::Ll;
/// kstrtoull, the cftype's `write_u64` (cpu.weight, cpu.max.burst): a sign is EINVAL.
const ULL: Kstrto = Kstrto::Ull;

interface_files! {
    // core (kernel/cgroup/cgroup.c, cgroup_base_files)
    /// cgroup_type_write: only "threaded" (EINVAL otherwise).
    CGROUP_TYPE: CgroupType = "cgroup.type", parse::cgroup_type, OnWrite, G::Words(&["threaded"]);
    CGROUP_PROCS: Vec<u32> = "cgroup.procs", parse::pid_list, Often, G::Pid;
    CGROUP_THREADS: Vec<u32> = "cgroup.threads", parse::pid_list, Often, G::Pid;
    CGROUP_CONTROLLERS: Vec<String> = "cgroup.controllers", parse::controllers, OnWrite, G::Unchecked;
    CGROUP_SUBTREE_CONTROL: Vec<String> = "cgroup.subtree_control", parse::controllers, OnWrite, G::SubtreeControl;
    CGROUP_EVENTS: CgroupEvents = "cgroup.events", parse::cgroup_events, Often, G::Unchecked;
    /// cgroup_max_descendants_write: "max" or kstrtoint, ERANGE below 0.
    CGROUP_MAX_DESCENDANTS: Limit = "cgroup.max.descendants", parse::limit, OnWrite,
        G::Integer { parse: INT, min: 0, max: i32::MAX as i64, range_errno: "ERANGE", max_word: true };
    /// cgroup_max_depth_write: the same.
    CGROUP_MAX_DEPTH: Limit = "cgroup.max.depth", parse::limit, OnWrite,
        G::Integer { parse: INT, min: 0, max: i32::MAX as i64, range_errno: "ERANGE", max_word: true };
    CGROUP_STAT: CgroupStat = "cgroup.stat", parse::cgroup_stat, Often, G::Unchecked;
    /// cgroup_freeze_write: kstrtoint, ERANGE unless 0 or 1.
    CGROUP_FREEZE: String = "cgroup.freeze", text, OnWrite,
        G::Integer { parse: INT, min: 0, max: 1, range_errno: "ERANGE", max_word: false };
    /// cgroup_kill_write: kstrtoint, ERANGE unless 1.
    CGROUP_KILL: String = "cgroup.kill", text, Often, G::Kill;
    /// cgroup_pressure_write: kstrtoint, ERANGE unless 0 or 1.
    CGROUP_PRESSURE: String = "cgroup.pressure", text, OnWrite,
        G::Integer { parse: INT, min: 0, max: 1, range_errno: "ERANGE", max_word: false };
    CPU_STAT: CpuStat = "cpu.stat", parse::cpu_stat, Often, G::Unchecked;
    CPU_STAT_LOCAL: String = "cpu.stat.local", text, Often, G::Unchecked;
    /// pressure_write -> psi_trigger_create: a trigger (window rules by kernel version).
    CPU_PRESSURE: Pressure = "cpu.pressure", parse::pressure, Often, G::Psi { irq: false };
    MEMORY_PRESSURE: Pressure = "memory.pressure", parse::pressure, Often, G::Psi { irq: false };
    IO_PRESSURE: Pressure = "io.pressure", parse::pressure, Often, G::Psi { irq: false };
    IRQ_PRESSURE: String = "irq.pressure", text, Often, G::Psi { irq: true };
    // cpu (kernel/sched/core.c)
    /// cpu_weight_write_u64: kstrtoull (a sign is EINVAL), ERANGE outside 1..10000.
    CPU_WEIGHT: u64 = "cpu.weight", parse::single_u64, OnWrite,
        G::Integer { parse: ULL, min: 1, max: 10_000, range_errno: "ERANGE", max_word: false };
    /// cpu_weight_nice_write_s64: kstrtoll, ERANGE outside -20..19.
    CPU_WEIGHT_NICE: String = "cpu.weight.nice", text, OnWrite,
        G::Integer { parse: LL, min: -20, max: 19, range_errno: "ERANGE", max_word: false };
    CPU_MAX: CpuMax = "cpu.max", parse::cpu_max, OnWrite, G::CpuMax;
    /// cpu_max_burst: write_u64, kstrtoull.
    CPU_MAX_BURST: String = "cpu.max.burst", text, OnWrite,
        G::Integer { parse: ULL, min: 0, max: i64::MAX, range_errno: "EINVAL", max_word: false };
    CPU_UCLAMP_MIN: String = "cpu.uclamp.min", text, OnWrite, G::Unchecked;
    CPU_UCLAMP_MAX: String = "cpu.uclamp.max", text, OnWrite, G::Unchecked;
    /// cpu_idle_write_s64 -> sched_group_set_idle: EINVAL unless 0 or 1.
    CPU_IDLE: String = "cpu.idle", text, OnWrite,
        G::Integer { parse: LL, min: 0, max: 1, range_errno: "EINVAL", max_word: false };
    // memory (mm/memcontrol.c)
    MEMORY_CURRENT: u64 = "memory.current", parse::single_u64, Often, G::Unchecked;
    MEMORY_MIN: Limit = "memory.min", parse::limit, OnWrite, G::SizeOrMax;
    MEMORY_LOW: Limit = "memory.low", parse::limit, OnWrite, G::SizeOrMax;
    MEMORY_HIGH: Limit = "memory.high", parse::limit, OnWrite, G::SizeOrMax;
    MEMORY_MAX: Limit = "memory.max", parse::limit, OnWrite, G::SizeOrMax;
    MEMORY_RECLAIM: String = "memory.reclaim", text, Often, G::Reclaim;
    MEMORY_PEAK: u64 = "memory.peak", parse::single_u64, Often, G::Unchecked;
    /// memory_oom_group_write: kstrtoint, EINVAL unless 0 or 1.
    MEMORY_OOM_GROUP: String = "memory.oom.group", text, OnWrite,
        G::Integer { parse: INT, min: 0, max: 1, range_errno: "EINVAL", max_word: false };
    MEMORY_EVENTS: MemoryEvents = "memory.events", parse::memory_events, Often, G::Unchecked;
    MEMORY_EVENTS_LOCAL: MemoryEvents = "memory.events.local", parse::memory_events, Often, G::Unchecked;
    MEMORY_STAT: MemoryStat = "memory.stat", parse::memory_stat, Often, G::Unchecked;
    MEMORY_NUMA_STAT: String = "memory.numa_stat", text, Often, G::Unchecked;
    MEMORY_SWAP_CURRENT: u64 = "memory.swap.current", parse::single_u64, Often, G::Unchecked;
    MEMORY_SWAP_HIGH: Limit = "memory.swap.high", parse::limit, OnWrite, G::SizeOrMax;
    MEMORY_SWAP_MAX: Limit = "memory.swap.max", parse::limit, OnWrite, G::SizeOrMax;
    MEMORY_SWAP_PEAK: u64 = "memory.swap.peak", parse::single_u64, Often, G::Unchecked;
    MEMORY_SWAP_EVENTS: String = "memory.swap.events", text, Often, G::Unchecked;
    MEMORY_ZSWAP_CURRENT: u64 = "memory.zswap.current", parse::single_u64, Often, G::Unchecked;
    MEMORY_ZSWAP_MAX: Limit = "memory.zswap.max", parse::limit, OnWrite, G::SizeOrMax;
    MEMORY_ZSWAP_WRITEBACK: String = "memory.zswap.writeback", text, OnWrite, G::Unchecked;
    // io (block/blk-cgroup.c, blk-throttle.c, blk-iocost.c, bfq)
    IO_STAT: Vec<IoDeviceStat> = "io.stat", parse::io_stat, Often, G::Unchecked;
    /// ioc_weight_write: 1..10000, EINVAL outside.
    IO_WEIGHT: IoWeight = "io.weight", parse::io_weight, OnWrite, G::IoWeight { max: 10_000, range_errno: "EINVAL" };
    IO_MAX: Vec<IoMax> = "io.max", parse::io_max, OnWrite, G::IoMax;
    IO_LATENCY: String = "io.latency", text, OnWrite, G::Unchecked;
    IO_COST_QOS: String = "io.cost.qos", text, OnWrite, G::Unchecked;
    IO_COST_MODEL: String = "io.cost.model", text, OnWrite, G::Unchecked;
    IO_PRIO_CLASS: String = "io.prio.class", text, OnWrite, G::Unchecked;
    /// bfq_io_set_weight: 1..1000, ERANGE outside.
    IO_BFQ_WEIGHT: String = "io.bfq.weight", text, OnWrite, G::IoWeight { max: 1_000, range_errno: "ERANGE" };
    // pids (kernel/cgroup/pids.c)
    /// pids_max_write: "max" or kstrtoll, EINVAL outside 0..PIDS_MAX-1.
    PIDS_MAX: Limit = "pids.max", parse::limit, OnWrite,
        G::Integer { parse: LL, min: 0, max: PIDS_MAX_LIMIT, range_errno: "EINVAL", max_word: true };
    PIDS_CURRENT: u64 = "pids.current", parse::single_u64, Often, G::Unchecked;
    PIDS_PEAK: u64 = "pids.peak", parse::single_u64, Often, G::Unchecked;
    PIDS_EVENTS: PidsEvents = "pids.events", parse::pids_events, Often, G::Unchecked;
    PIDS_EVENTS_LOCAL: PidsEvents = "pids.events.local", parse::pids_events, Often, G::Unchecked;
    // cpuset (kernel/cgroup/cpuset.c)
    CPUSET_CPUS: String = "cpuset.cpus", text, OnWrite, G::CpuList;
    CPUSET_CPUS_EFFECTIVE: String = "cpuset.cpus.effective", text, OnWrite, G::Unchecked;
    CPUSET_MEMS: String = "cpuset.mems", text, OnWrite, G::CpuList;
    CPUSET_MEMS_EFFECTIVE: String = "cpuset.mems.effective", text, OnWrite, G::Unchecked;
    CPUSET_CPUS_EXCLUSIVE: String = "cpuset.cpus.exclusive", text, OnWrite, G::CpuList;
    CPUSET_CPUS_EXCLUSIVE_EFFECTIVE: String = "cpuset.cpus.exclusive.effective", text, OnWrite, G::Unchecked;
    CPUSET_CPUS_ISOLATED: String = "cpuset.cpus.isolated", text, OnWrite, G::Unchecked;
    CPUSET_CPUS_PARTITION: String = "cpuset.cpus.partition", text, OnWrite, G::Words(&["member", "root", "isolated"]);
    // hugetlb (mm/hugetlb_cgroup.c), one set per huge page size
    HUGETLB_MAX: Limit = "hugetlb.<size>.max", parse::limit, OnWrite, G::SizeOrMax;
    HUGETLB_CURRENT: u64 = "hugetlb.<size>.current", parse::single_u64, Often, G::Unchecked;
    HUGETLB_EVENTS: String = "hugetlb.<size>.events", text, Often, G::Unchecked;
    HUGETLB_EVENTS_LOCAL: String = "hugetlb.<size>.events.local", text, Often, G::Unchecked;
    HUGETLB_NUMA_STAT: String = "hugetlb.<size>.numa_stat", text, Often, G::Unchecked;
    HUGETLB_RSVD_MAX: Limit = "hugetlb.<size>.rsvd.max", parse::limit, OnWrite, G::SizeOrMax;
    HUGETLB_RSVD_CURRENT: u64 = "hugetlb.<size>.rsvd.current", parse::single_u64, Often, G::Unchecked;
    // rdma, misc, dmem
    RDMA_MAX: String = "rdma.max", text, OnWrite, G::Unchecked;
    RDMA_CURRENT: String = "rdma.current", text, Often, G::Unchecked;
    MISC_CAPACITY: String = "misc.capacity", text, OnWrite, G::Unchecked;
    MISC_CURRENT: String = "misc.current", text, Often, G::Unchecked;
    MISC_PEAK: String = "misc.peak", text, Often, G::Unchecked;
    MISC_MAX: String = "misc.max", text, OnWrite, G::Unchecked;
    MISC_EVENTS: String = "misc.events", text, Often, G::Unchecked;
    MISC_EVENTS_LOCAL: String = "misc.events.local", text, Often, G::Unchecked;
    DMEM_CAPACITY: String = "dmem.capacity", text, OnWrite, G::Unchecked;
    DMEM_CURRENT: String = "dmem.current", text, Often, G::Unchecked;
    DMEM_MIN: String = "dmem.min", text, OnWrite, G::Unchecked;
    DMEM_LOW: String = "dmem.low", text, OnWrite, G::Unchecked;
    DMEM_MAX: String = "dmem.max", text, OnWrite, G::Unchecked;
}

/// Files a process inside a cgroup namespace may write on its namespace root under nsdelegate
/// (CFTYPE_NS_DELEGATABLE), for when /sys/kernel/cgroup/delegate cannot be read.
pub const NS_DELEGATABLE: [&str; 5] = [
    "cgroup.procs",
    "cgroup.threads",
    "cgroup.subtree_control",
    "memory.oom.group",
    "memory.reclaim",
];

/// The file `name` names, as some kernel has it (not necessarily this one, nor in every
/// cgroup): `hugetlb.2MB.max` is [`HUGETLB_MAX`]. `None` for a name no kernel has.
pub fn lookup(name: &str) -> Option<&'static Spec> {
    if let Some(spec) = ALL.iter().find(|s| s.name == name) {
        return Some(spec);
    }
    // hugetlb.<size>.{max,current,...}: sizes such as 2MB, 1GB, 64KB.
    let rest = name.strip_prefix("hugetlb.")?;
    let (size, file) = rest.split_once('.')?;
    let size_ok = size.len() > 2
        && (size.ends_with("KB") || size.ends_with("MB") || size.ends_with("GB"))
        && size[..size.len() - 2].bytes().all(|b| b.is_ascii_digit());
    if !size_ok {
        return None;
    }
    ALL.iter().find(|s| {
        s.name
            .strip_prefix("hugetlb.<size>.")
            .is_some_and(|pattern| pattern == file)
    })
}

/// The names of every file, for suggesting near names (hugetlb patterns left out).
pub fn names() -> impl Iterator<Item = &'static str> {
    ALL.iter()
        .map(|s| s.name)
        .filter(|n| !n.contains(HUGETLB_SIZE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_unique_and_found() {
        for (i, spec) in ALL.iter().enumerate() {
            assert!(
                ALL[..i].iter().all(|s| s.name != spec.name),
                "{} twice",
                spec.name
            );
            if !spec.name.contains(HUGETLB_SIZE) {
                assert_eq!(lookup(spec.name), Some(spec));
            }
        }
        assert_eq!(lookup("hugetlb.2MB.max"), Some(&HUGETLB_MAX.spec));
        assert_eq!(lookup("hugetlb.1GB.rsvd.max"), Some(&HUGETLB_RSVD_MAX.spec));
        assert_eq!(lookup("hugetlb.2XB.max"), None);
        assert_eq!(lookup("hugetlb.2MB.bogus"), None);
        assert_eq!(lookup("bogus.file"), None);
        assert!(names().all(|n| !n.contains('<')));
    }

    #[test]
    fn typed_files_parse_kernel_text() {
        assert_eq!(
            (CPU_MAX.parse)("max 100000\n").unwrap().period_usec,
            100_000
        );
        assert_eq!(
            (CGROUP_TYPE.parse)("domain threaded\n").unwrap(),
            CgroupType::DomainThreaded
        );
        assert_eq!((CGROUP_PROCS.parse)("1\n42\n").unwrap(), [1, 42]);
        assert_eq!(CPU_WEIGHT.spec.changes, Changes::OnWrite);
        assert_eq!(CPU_STAT.spec.changes, Changes::Often);
    }
}
