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

/// Controllers whose limits may not apply to a cgroup that also has processes (domain
/// controllers). The others (cpu, cpuset, pids, perf_event) may be threaded.
pub const DOMAIN_CONTROLLERS: [&str; 5] = ["memory", "io", "hugetlb", "rdma", "misc"];

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
    }
}
