//! The kernel's write rules as a fixed vocabulary: rule ids, the cgroup-v2.rst section behind
//! each, and what a refusal means. Scripts and tests depend on the ids; never rename one.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    Ok,
    Permission,
    MigrationContainment,
    NamespaceScope,
    NsdelegateRootFile,
    ControllerUnavailable,
    ControllerNotEnabled,
    NoInternalProcess,
    ControllerInUseByChild,
    InvalidValue,
    NotEmpty,
    DescendantLimit,
    ThreadedTopology,
    NoSuchProcess,
    NoSuchDevice,
    NoSuchCgroup,
}

impl Rule {
    pub const ALL: [Rule; 16] = [
        Rule::Ok,
        Rule::Permission,
        Rule::MigrationContainment,
        Rule::NamespaceScope,
        Rule::NsdelegateRootFile,
        Rule::ControllerUnavailable,
        Rule::ControllerNotEnabled,
        Rule::NoInternalProcess,
        Rule::ControllerInUseByChild,
        Rule::InvalidValue,
        Rule::NotEmpty,
        Rule::DescendantLimit,
        Rule::ThreadedTopology,
        Rule::NoSuchProcess,
        Rule::NoSuchDevice,
        Rule::NoSuchCgroup,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Rule::Ok => "ok",
            Rule::Permission => "permission",
            Rule::MigrationContainment => "migration-containment",
            Rule::NamespaceScope => "namespace-scope",
            Rule::NsdelegateRootFile => "nsdelegate-root-file",
            Rule::ControllerUnavailable => "controller-unavailable",
            Rule::ControllerNotEnabled => "controller-not-enabled",
            Rule::NoInternalProcess => "no-internal-process",
            Rule::ControllerInUseByChild => "controller-in-use-by-child",
            Rule::InvalidValue => "invalid-value",
            Rule::NotEmpty => "not-empty",
            Rule::DescendantLimit => "descendant-limit",
            Rule::ThreadedTopology => "threaded-topology",
            Rule::NoSuchProcess => "no-such-process",
            Rule::NoSuchDevice => "no-such-device",
            Rule::NoSuchCgroup => "no-such-cgroup",
        }
    }

    /// The section of Documentation/admin-guide/cgroup-v2.rst that states the rule.
    pub fn doc(self) -> &'static str {
        match self {
            Rule::Ok => "",
            Rule::Permission => "cgroup-v2.rst: Model of Delegation",
            Rule::MigrationContainment | Rule::NamespaceScope => {
                "cgroup-v2.rst: Delegation Containment"
            }
            Rule::NsdelegateRootFile => "cgroup-v2.rst: Delegation (nsdelegate mount option)",
            Rule::ControllerUnavailable
            | Rule::ControllerNotEnabled
            | Rule::ControllerInUseByChild => "cgroup-v2.rst: Enabling and Disabling",
            Rule::NoInternalProcess => "cgroup-v2.rst: No Internal Process Constraint",
            Rule::InvalidValue => "cgroup-v2.rst: Interface Files",
            Rule::NotEmpty => "cgroup-v2.rst: Creating cgroups and Migrating Processes",
            Rule::DescendantLimit => {
                "cgroup-v2.rst: Core Interface Files (cgroup.max.descendants, cgroup.max.depth)"
            }
            Rule::ThreadedTopology => "cgroup-v2.rst: Threads",
            Rule::NoSuchProcess => "cgroup-v2.rst: Processes",
            Rule::NoSuchDevice => "cgroup-v2.rst: IO Interface Files",
            Rule::NoSuchCgroup => "cgroup-v2.rst: Creating cgroups and Migrating Processes",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The symbolic name of an errno, as the kernel documentation writes it.
pub fn errno_name(code: i32) -> String {
    use rustix::io::Errno;
    let known = [
        (Errno::ACCESS, "EACCES"),
        (Errno::PERM, "EPERM"),
        (Errno::NOENT, "ENOENT"),
        (Errno::BUSY, "EBUSY"),
        (Errno::INVAL, "EINVAL"),
        (Errno::RANGE, "ERANGE"),
        (Errno::AGAIN, "EAGAIN"),
        (Errno::EXIST, "EEXIST"),
        (Errno::SRCH, "ESRCH"),
        (Errno::NODEV, "ENODEV"),
        (Errno::NOSPC, "ENOSPC"),
        (Errno::OPNOTSUPP, "EOPNOTSUPP"),
        (Errno::NOTDIR, "ENOTDIR"),
        (Errno::ROFS, "EROFS"),
        (Errno::NOTEMPTY, "ENOTEMPTY"),
        (Errno::NAMETOOLONG, "ENAMETOOLONG"),
        (Errno::LOOP, "ELOOP"),
    ];
    known
        .iter()
        .find(|(e, _)| e.raw_os_error() == code)
        .map_or_else(|| format!("errno {code}"), |(_, name)| (*name).to_string())
}

/// Controllers that work in threaded subtrees (`.threaded = true` in the kernel: cpu, cpuset,
/// perf_event, pids). Every other v2 controller is a domain controller (memory, io, hugetlb,
/// rdma, misc, dmem, and any added later), so the list kept is this one.
pub const THREADED_CONTROLLERS: [&str; 4] = ["cpu", "cpuset", "perf_event", "pids"];

/// A domain controller: it cannot be enabled on a cgroup that has processes of its own (the
/// no-internal-process rule) nor inside a threaded subtree.
pub fn is_domain_controller(name: &str) -> bool {
    !THREADED_CONTROLLERS.contains(&name)
}

/// Subsystems with no cgroup v2 interface (no `dfl_cftypes`): cgroup_init() puts them in
/// `cgrp_dfl_inhibit_ss_mask`, so `+name` in cgroup.subtree_control is EINVAL, although
/// /proc/cgroups lists them.
pub const V1_ONLY_SUBSYSTEMS: [&str; 5] = ["cpuacct", "devices", "freezer", "net_cls", "net_prio"];

/// perf_event is `implicit_on_dfl`: always on in v2, never listed in cgroup.controllers, so
/// `+perf_event` is ENOENT.
pub const IMPLICIT_CONTROLLERS: [&str; 1] = ["perf_event"];

/// The kernel's subsystem order (include/linux/cgroup_subsys.h): cgroup.subtree_control checks
/// the controllers of one write in this order, so the first refusal is the one for the earliest
/// of them, not for the first token.
pub const SUBSYSTEM_ORDER: [&str; 15] = [
    "cpuset",
    "cpu",
    "cpuacct",
    "io",
    "memory",
    "devices",
    "freezer",
    "net_cls",
    "perf_event",
    "net_prio",
    "hugetlb",
    "pids",
    "rdma",
    "misc",
    "dmem",
];

/// Interface files of cgroup v2 (Documentation/admin-guide/cgroup-v2.rst, kernel 6.x), for
/// telling a misspelt name from a file whose controller is not enabled. hugetlb files are
/// `hugetlb.<size>.<name>`, see [`is_interface_file`].
pub const INTERFACE_FILES: &[&str] = &[
    // core
    "cgroup.type",
    "cgroup.procs",
    "cgroup.threads",
    "cgroup.controllers",
    "cgroup.subtree_control",
    "cgroup.events",
    "cgroup.max.descendants",
    "cgroup.max.depth",
    "cgroup.stat",
    "cgroup.freeze",
    "cgroup.kill",
    "cgroup.pressure",
    "cpu.stat",
    "cpu.stat.local",
    "cpu.pressure",
    "memory.pressure",
    "io.pressure",
    "irq.pressure",
    // cpu
    "cpu.weight",
    "cpu.weight.nice",
    "cpu.max",
    "cpu.max.burst",
    "cpu.uclamp.min",
    "cpu.uclamp.max",
    "cpu.idle",
    // memory
    "memory.current",
    "memory.min",
    "memory.low",
    "memory.high",
    "memory.max",
    "memory.reclaim",
    "memory.peak",
    "memory.oom.group",
    "memory.events",
    "memory.events.local",
    "memory.stat",
    "memory.numa_stat",
    "memory.swap.current",
    "memory.swap.high",
    "memory.swap.max",
    "memory.swap.peak",
    "memory.swap.events",
    "memory.zswap.current",
    "memory.zswap.max",
    "memory.zswap.writeback",
    // io
    "io.stat",
    "io.weight",
    "io.max",
    "io.latency",
    "io.cost.qos",
    "io.cost.model",
    "io.prio.class",
    "io.bfq.weight",
    // pids
    "pids.max",
    "pids.current",
    "pids.peak",
    "pids.events",
    "pids.events.local",
    // cpuset
    "cpuset.cpus",
    "cpuset.cpus.effective",
    "cpuset.mems",
    "cpuset.mems.effective",
    "cpuset.cpus.exclusive",
    "cpuset.cpus.exclusive.effective",
    "cpuset.cpus.isolated",
    "cpuset.cpus.partition",
    // rdma, misc, dmem
    "rdma.max",
    "rdma.current",
    "misc.capacity",
    "misc.current",
    "misc.peak",
    "misc.max",
    "misc.events",
    "misc.events.local",
    "dmem.capacity",
    "dmem.current",
    "dmem.min",
    "dmem.low",
    "dmem.max",
];

/// Is `file` an interface file some kernel has (not necessarily this one, nor this cgroup)?
pub fn is_interface_file(file: &str) -> bool {
    if INTERFACE_FILES.contains(&file) {
        return true;
    }
    // hugetlb.<size>.{max,current,events,events.local,numa_stat,rsvd.max,rsvd.current}
    let Some(rest) = file.strip_prefix("hugetlb.") else {
        return false;
    };
    let Some((size, name)) = rest.split_once('.') else {
        return false;
    };
    let size_ok = size.len() > 2
        && (size.ends_with("KB") || size.ends_with("MB") || size.ends_with("GB"))
        && size[..size.len() - 2].bytes().all(|b| b.is_ascii_digit());
    size_ok
        && matches!(
            name,
            "max"
                | "current"
                | "events"
                | "events.local"
                | "numa_stat"
                | "rsvd.max"
                | "rsvd.current"
        )
}

/// Files whose names are close to `file` (a typo: one or two edits), best first.
pub fn near_names<'a>(file: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let d = edit_distance(file, c);
            (d <= 2 && d > 0).then_some((d, c))
        })
        .collect();
    scored.sort();
    scored.dedup();
    scored.into_iter().map(|(_, c)| c).take(4).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// The controller a file belongs to (`memory.max` → `memory`), `None` for core `cgroup.*` files.
pub fn controller_of(file: &str) -> Option<&str> {
    let prefix = file.split('.').next()?;
    (prefix != "cgroup" && !prefix.is_empty() && file.contains('.')).then_some(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_kebab_case() {
        let ids: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
        assert_eq!(ids.len(), 16);
        for rule in Rule::ALL {
            assert_eq!(serde_json::to_value(rule).unwrap(), rule.id());
        }
        assert!(ids.contains(&"no-internal-process"));
    }

    #[test]
    fn errno_names_and_controllers() {
        assert_eq!(errno_name(rustix::io::Errno::BUSY.raw_os_error()), "EBUSY");
        assert_eq!(errno_name(9999), "errno 9999");
        assert_eq!(controller_of("memory.max"), Some("memory"));
        assert_eq!(controller_of("hugetlb.2MB.max"), Some("hugetlb"));
        assert_eq!(controller_of("cgroup.procs"), None);
        assert!(is_domain_controller("dmem"));
        assert!(is_domain_controller("memory"));
        assert!(!is_domain_controller("pids"));
        assert!(is_interface_file("hugetlb.2MB.max"));
        assert!(is_interface_file("memory.max"));
        assert!(!is_interface_file("bogus.file"));
        assert!(!is_interface_file("hugetlb.2XB.max"));
        assert_eq!(
            near_names("memory.maxx", INTERFACE_FILES.iter().copied()),
            ["memory.max"]
        );
        assert_eq!(
            near_names("cpu.wieght", INTERFACE_FILES.iter().copied()),
            ["cpu.weight"]
        );
    }
}
