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

impl Rule {
    /// What a refusal under this rule means, in one sentence (for a refusal no prediction
    /// explained).
    pub fn meaning(self) -> &'static str {
        match self {
            Rule::Ok => "allowed",
            Rule::Permission => {
                "you may not write this file or directory (its owner and mode, or a read-only file)"
            }
            Rule::MigrationContainment => {
                "moving a process needs write access to cgroup.procs of the common ancestor of its \
                 source and destination"
            }
            Rule::NamespaceScope => {
                "with nsdelegate, the source and destination of a move must both lie inside your \
                 cgroup namespace"
            }
            Rule::NsdelegateRootFile => {
                "with nsdelegate, only the files in /sys/kernel/cgroup/delegate may be written on \
                 the root of your cgroup namespace from inside"
            }
            Rule::ControllerUnavailable => {
                "a controller can be enabled only where the parent offers it (cgroup.controllers)"
            }
            Rule::ControllerNotEnabled => {
                "the file belongs to a controller the parent does not enable, so it does not exist \
                 here"
            }
            Rule::NoInternalProcess => {
                "a cgroup that passes domain controllers to its children may not hold processes \
                 itself"
            }
            Rule::ControllerInUseByChild => {
                "a controller cannot be disabled while a child still enables it"
            }
            Rule::InvalidValue => "the file's handler refused the value",
            Rule::NotEmpty => "a cgroup with processes or child cgroups cannot be removed",
            Rule::DescendantLimit => {
                "cgroup.max.descendants or cgroup.max.depth of this cgroup or an ancestor is reached"
            }
            Rule::ThreadedTopology => {
                "the change does not fit the threaded-mode state: threaded, thread root (domain \
                 threaded) or domain invalid"
            }
            Rule::NoSuchProcess => "there is no such process in your PID namespace",
            Rule::NoSuchDevice => {
                "there is no such block device, or it is a partition (limits apply to whole disks)"
            }
            Rule::NoSuchCgroup => "the cgroup (or its parent) does not exist",
        }
    }
}

/// The rule an errno of the kernel stands for, by operation (`set`, `mkdir`, `rmdir`, `move`)
/// and file: the fallback that explains a refusal the prediction did not foresee. Where the
/// prediction foresaw it, the prediction explains it.
pub fn rule_of_errno(op: &str, file: Option<&str>, errno: &str) -> Rule {
    let subtree_control = file == Some("cgroup.subtree_control");
    match (op, errno) {
        (_, "EACCES") => Rule::Permission,
        // cgroup_file_write: EPERM only for a namespace root's files under nsdelegate.
        ("set", "EPERM") => Rule::NsdelegateRootFile,
        (_, "EPERM") => Rule::Permission,
        // cgroup_procs_write_permission: a move out of the namespace is ENOENT.
        ("move", "ENOENT") => Rule::NamespaceScope,
        ("set", "ENOENT") if subtree_control => Rule::ControllerUnavailable,
        ("set", "ENOENT") if file.and_then(controller_of).is_some() => Rule::ControllerNotEnabled,
        ("set", "ENOENT") => Rule::InvalidValue,
        (_, "ENOENT") => Rule::NoSuchCgroup,
        ("mkdir", "EAGAIN") => Rule::DescendantLimit,
        ("mkdir", "EEXIST") => Rule::InvalidValue,
        ("rmdir", "EBUSY" | "ENOTEMPTY") => Rule::NotEmpty,
        ("move", "EBUSY") => Rule::NoInternalProcess,
        ("set", "EBUSY") if subtree_control => Rule::NoInternalProcess,
        (_, "EOPNOTSUPP") => Rule::ThreadedTopology,
        (_, "ESRCH") => Rule::NoSuchProcess,
        // io.max and io.weight name devices; any other write gets ENODEV from kernfs when its
        // cgroup was removed (a descriptor opened before the rmdir).
        ("set", "ENODEV") if file.is_some_and(|f| f.starts_with("io.")) => Rule::NoSuchDevice,
        (_, "ENODEV") => Rule::NoSuchCgroup,
        // memory.reclaim could not give back what was asked.
        ("set", "EAGAIN") => Rule::InvalidValue,
        (_, "EINVAL" | "ERANGE" | "E2BIG" | "EOVERFLOW" | "ENAMETOOLONG") => Rule::InvalidValue,
        _ => Rule::Permission,
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
        (Errno::ISDIR, "EISDIR"),
        (Errno::BADF, "EBADF"),
        (Errno::OVERFLOW, "EOVERFLOW"),
        (Errno::TOOBIG, "E2BIG"),
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
    fn an_unforeseen_errno_names_its_rule() {
        let r = |op, file, errno| rule_of_errno(op, file, errno);
        assert_eq!(r("rmdir", None, "EBUSY"), Rule::NotEmpty);
        assert_eq!(
            r("move", Some("cgroup.procs"), "EBUSY"),
            Rule::NoInternalProcess
        );
        assert_eq!(
            r("move", Some("cgroup.procs"), "ENOENT"),
            Rule::NamespaceScope
        );
        let sc = Some("cgroup.subtree_control");
        assert_eq!(r("set", sc, "ENOENT"), Rule::ControllerUnavailable);
        assert_eq!(r("set", sc, "EBUSY"), Rule::NoInternalProcess);
        assert_eq!(
            r("set", Some("memory.max"), "ENOENT"),
            Rule::ControllerNotEnabled
        );
        assert_eq!(
            r("set", Some("memory.max"), "EPERM"),
            Rule::NsdelegateRootFile
        );
        assert_eq!(
            r("set", Some("cgroup.type"), "EOPNOTSUPP"),
            Rule::ThreadedTopology
        );
        assert_eq!(r("mkdir", None, "EAGAIN"), Rule::DescendantLimit);
        assert_eq!(r("set", Some("pids.max"), "ERANGE"), Rule::InvalidValue);
        // ENODEV: a device for io files, else the cgroup was removed under an open descriptor.
        assert_eq!(r("set", Some("io.max"), "ENODEV"), Rule::NoSuchDevice);
        assert_eq!(
            r("set", Some("cgroup.max.depth"), "ENODEV"),
            Rule::NoSuchCgroup
        );
        assert_eq!(
            r("move", Some("cgroup.procs"), "ENODEV"),
            Rule::NoSuchCgroup
        );
        assert_eq!(
            r("set", Some("memory.reclaim"), "EAGAIN"),
            Rule::InvalidValue
        );
        assert_eq!(r("mkdir", None, "ENAMETOOLONG"), Rule::InvalidValue);
        for rule in Rule::ALL {
            assert!(!rule.meaning().is_empty());
        }
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
        assert_eq!(
            near_names("memory.maxx", crate::interface::names()),
            ["memory.max"]
        );
        assert_eq!(
            near_names("cpu.wieght", crate::interface::names()),
            ["cpu.weight"]
        );
    }
}
