//! What a prediction knows of the hierarchy, the actor and the processes.

use super::*;

/// Everything a prediction reads, gathered once.
pub(super) struct Facts<'a> {
    pub(super) fs: &'a Cgroupfs,
    pub(super) actor: &'a Actor,
}

impl Facts<'_> {
    pub(super) fn children(&self, cgroup: &CgroupPath) -> Vec<CgroupPath> {
        let mut names = self.fs.children(cgroup).ok().flatten().unwrap_or_default();
        names.sort();
        names.iter().map(|n| cgroup.join(n)).collect()
    }

    /// cgroup.events says it (or a descendant) has processes.
    pub(super) fn populated(&self, cgroup: &CgroupPath) -> bool {
        self.fs
            .get(cgroup, interface::CGROUP_EVENTS)
            .ok()
            .flatten()
            .is_some_and(|e| e.populated)
    }

    /// The domain controllers this cgroup passes to its children.
    pub(super) fn domain_enabled(&self, cgroup: &CgroupPath) -> Vec<String> {
        self.fs
            .controller_list(cgroup, "cgroup.subtree_control")
            .into_iter()
            .filter(|c| is_domain_controller(c))
            .collect()
    }

    pub(super) fn cgroup_type(&self, cgroup: &CgroupPath) -> Option<CgroupType> {
        self.fs.get(cgroup, interface::CGROUP_TYPE).ok().flatten()
    }

    /// May this process write `file` of `cgroup` (or, `None`, its directory)?
    pub(super) fn writable(&self, cgroup: &CgroupPath, file: Option<&str>) -> bool {
        self.fs.may_write(cgroup, file)
    }

    /// `owner (uid) mode` of a cgroup's directory or one of its files, for explanations.
    pub(super) fn owner(&self, cgroup: &CgroupPath, file: Option<&str>) -> String {
        let stat = match file {
            Some(f) => self.fs.stat_file(cgroup, f),
            None => self.fs.stat(cgroup),
        };
        match stat {
            Ok(Some(s)) => format!(
                "{} (uid {}, mode {:o})",
                self.fs.user_name(s.uid),
                s.uid,
                s.mode & 0o7777
            ),
            _ => "unknown".into(),
        }
    }

    pub(super) fn me(&self) -> String {
        format!("you are {} (uid {})", self.actor.user, self.actor.uid)
    }

    /// Files that may be written on a namespace root under nsdelegate.
    pub(super) fn delegatable(&self, file: &str) -> bool {
        let listed = std::fs::read_to_string("/sys/kernel/cgroup/delegate").ok();
        match listed {
            Some(text) => text.lines().any(|l| l.trim() == file),
            None => interface::NS_DELEGATABLE.contains(&file),
        }
    }

    /// The kernel's subsystems from /proc/cgroups (v1 and v2 alike); `None` if unreadable.
    pub(super) fn subsystems(&self) -> Option<Vec<Subsystem>> {
        let text = std::fs::read_to_string(self.fs.proc_root()?.join("cgroups")).ok()?;
        Some(parse_proc_cgroups(&text))
    }

    /// Why `name` cannot be written as `+name` or `-name`: `None` when the kernel's parser
    /// accepts it (a v2 controller this kernel has and did not disable at boot).
    pub(super) fn unknown_controller(&self, name: &str) -> Option<String> {
        if V1_ONLY_SUBSYSTEMS.contains(&name) {
            return Some(format!(
                "{name} is a cgroup v1 controller with no cgroup v2 interface: the kernel inhibits it \
                 on v2, so \"{name}\" is not a controller name there (although /proc/cgroups lists it)"
            ));
        }
        let subsystems = self.subsystems()?;
        match subsystems.iter().find(|s| s.name == name) {
            None => Some(format!(
                "this kernel has no controller named {name:?} (see /proc/cgroups)"
            )),
            Some(s) if !s.enabled => Some(format!(
                "the {name} controller was disabled at boot (cgroup_disable={name} on the kernel \
                 command line)"
            )),
            Some(_) => None,
        }
    }

    /// Why a v2 controller is not in this hierarchy at all (the root's cgroup.controllers lacks
    /// it), and what would bring it in.
    pub(super) fn absent_from_hierarchy(&self, name: &str) -> (String, String) {
        if IMPLICIT_CONTROLLERS.contains(&name) {
            return (
                format!(
                    "{name} is implicit on cgroup v2: always active for every cgroup, never listed in \
                     cgroup.controllers, so it cannot be enabled"
                ),
                "nothing to do: it already applies everywhere".into(),
            );
        }
        let bound = self
            .subsystems()
            .and_then(|all| all.into_iter().find(|s| s.name == name))
            .filter(|s| s.hierarchy != 0);
        match bound {
            Some(s) => (
                format!(
                    "{name} is bound to a cgroup v1 hierarchy (hierarchy {} in /proc/cgroups): a \
                     controller can be in one hierarchy only, so this cgroup2 mount does not have it",
                    s.hierarchy
                ),
                format!(
                    "no write here can enable it: boot with cgroup_no_v1={name} (or \
                     systemd.unified_cgroup_hierarchy=1 for pure v2), or unmount its v1 hierarchy once \
                     it holds no cgroups"
                ),
            ),
            None => (
                format!("{name} is not in this cgroup2 hierarchy"),
                "it is not available on this kernel (disabled, or bound elsewhere)".into(),
            ),
        }
    }

    /// The advice for a controller a cgroup does not get from its parent: the highest ancestor
    /// that offers it but does not pass it down is where enabling starts.
    pub(super) fn enable_path(&self, cgroup: &CgroupPath, name: &str) -> String {
        let parent = parent_of(cgroup);
        let mut chain: Vec<CgroupPath> = parent.ancestors().collect();
        chain.reverse();
        chain.push(parent.clone());
        let start = chain.iter().find(|a| {
            !self
                .fs
                .controller_list(a, "cgroup.subtree_control")
                .iter()
                .any(|c| c == name)
        });
        match start {
            Some(a) if *a == parent => format!(
                "write +{name} to {} (echo +{name} > {})",
                parent.file_display("cgroup.subtree_control"),
                shell_word(
                    self.fs
                        .dir(&parent)
                        .join("cgroup.subtree_control")
                        .as_os_str()
                        .as_bytes()
                )
            ),
            Some(a) => format!(
                "enable it from the top down: write +{name} to {}, then to cgroup.subtree_control of \
                 each cgroup below it down to {parent}",
                a.file_display("cgroup.subtree_control")
            ),
            None => format!(
                "write +{name} to {}",
                parent.file_display("cgroup.subtree_control")
            ),
        }
    }

    pub(super) fn limit(&self, cgroup: &CgroupPath, file: interface::File<Limit>) -> Option<Limit> {
        self.fs.get(cgroup, file).ok().flatten()
    }
}

/// One line of /proc/cgroups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Subsystem {
    pub(super) name: String,
    /// 0 when not bound to a v1 hierarchy (on the v2 one, or nowhere).
    pub(super) hierarchy: u32,
    pub(super) enabled: bool,
}

pub(super) fn parse_proc_cgroups(text: &str) -> Vec<Subsystem> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            // /proc/cgroups lists v1 names: the io controller appears as blkio.
            let name = match *fields.first()? {
                "blkio" => "io",
                other => other,
            };
            Some(Subsystem {
                name: name.to_string(),
                hierarchy: fields.get(1)?.parse().ok()?,
                enabled: *fields.get(3)? == "1",
            })
        })
        .collect()
}

/// The threaded-mode state of cgroups, as kernel/cgroup/cgroup.c computes it. Each function
/// names the kernel function it follows; `cgroup.type` shows the kernel's own verdict on
/// threaded / valid domain / thread root, so it is read rather than recomputed.
impl Facts<'_> {
    pub(super) fn kind(&self, cgroup: &CgroupPath) -> CgroupType {
        if cgroup.is_root() {
            return CgroupType::Domain;
        }
        self.cgroup_type(cgroup).unwrap_or(CgroupType::Domain)
    }

    /// cgroup_is_threaded()
    pub(super) fn is_threaded(&self, cgroup: &CgroupPath) -> bool {
        self.kind(cgroup) == CgroupType::Threaded
    }

    /// cgroup_is_valid_domain(): not threaded, and no ancestor below the root is threaded or a
    /// thread root; `cgroup.type` says "domain invalid" otherwise.
    pub(super) fn is_valid_domain(&self, cgroup: &CgroupPath) -> bool {
        matches!(
            self.kind(cgroup),
            CgroupType::Domain | CgroupType::DomainThreaded
        )
    }

    /// cgroup_is_thread_root(): threaded children, or own threads with threaded controllers on.
    pub(super) fn is_thread_root(&self, cgroup: &CgroupPath) -> bool {
        if cgroup.is_root() {
            return self.children(cgroup).iter().any(|c| self.is_threaded(c));
        }
        self.kind(cgroup) == CgroupType::DomainThreaded
    }

    /// `cgrp->dom_cgrp`: a threaded cgroup's thread root, else the cgroup itself.
    pub(super) fn dom_cgroup(&self, cgroup: &CgroupPath) -> CgroupPath {
        let mut dom = cgroup.clone();
        while self.is_threaded(&dom) {
            match dom.parent() {
                Some(parent) => dom = parent,
                None => break,
            }
        }
        dom
    }

    /// cgroup_has_tasks(): threads in this very cgroup (not in descendants).
    pub(super) fn has_tasks(&self, cgroup: &CgroupPath) -> bool {
        self.fs
            .get(cgroup, interface::CGROUP_THREADS)
            .ok()
            .flatten()
            .is_some_and(|t| !t.is_empty())
            || !self.fs.pids(cgroup).is_empty()
    }

    /// Why cgroup_can_be_thread_root() is false, or `None` when it is true.
    pub(super) fn cannot_be_thread_root(&self, cgroup: &CgroupPath) -> Option<String> {
        if cgroup.is_root() {
            return None;
        }
        if self.is_threaded(cgroup) {
            return Some(format!("{cgroup} is threaded itself"));
        }
        let domain = self.domain_enabled(cgroup);
        if let Some(child) = self
            .children(cgroup)
            .into_iter()
            .find(|c| !self.is_threaded(c) && self.populated(c))
        {
            return Some(format!(
                "it has a populated domain child ({child}): a thread root has domain or threaded \
                 children, not both"
            ));
        }
        if !domain.is_empty() {
            return Some(format!(
                "it passes domain controllers ({}) to its children",
                domain.join(" ")
            ));
        }
        None
    }
}
