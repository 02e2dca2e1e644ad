//! `explain`: everything about delegation that matters for one cgroup and the current user —
//! who owns it, what you can do there (each with the kernel's predicted answer), where the
//! delegation boundary is and how it was made, how far each controller reaches, the
//! no-internal-process state, nsdelegate, and which systemd manager owns it.

use crate::edit::Op;
use crate::fs::Cgroupfs;
use crate::path::CgroupPath;
use crate::predict::{Actor, Prediction, predict, probe_child};
use crate::rules::is_domain_controller;
use crate::systemd::{self, Manager, Ownership};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct FileOwner {
    pub file: String,
    pub owner: String,
    pub uid: u32,
    pub mode: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ability {
    /// What the person wants to do, in words.
    pub action: String,
    pub prediction: Prediction,
}

#[derive(Debug, Clone, Serialize)]
pub struct DelegationRoot {
    pub cgroup: CgroupPath,
    /// `ownership` (the directory changes owner to you here), `xattr:NAME`, or `systemd:UNIT`.
    pub by: String,
    /// The controllers available inside (cgroup.controllers of the root).
    pub controllers: Vec<String>,
    /// Whom it is delegated to: the owner of its directory (systemd chowns a delegated unit's
    /// cgroup to the unit's user), as `name` and `uid`.
    pub delegatee: Option<String>,
    pub delegatee_uid: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ControllerReach {
    pub controller: String,
    /// Is it available in this cgroup (its cgroup.controllers)?
    pub available_here: bool,
    /// The ancestor whose cgroup.subtree_control stops passing it down, if it does not reach.
    pub stops_at: Option<CgroupPath>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InternalProcess {
    pub processes: usize,
    /// Domain controllers this cgroup passes to its children.
    pub domain_controllers_enabled: Vec<String>,
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub cgroup: CgroupPath,
    pub actor: Actor,
    pub owners: Vec<FileOwner>,
    pub abilities: Vec<Ability>,
    pub delegation: Option<DelegationRoot>,
    pub controllers: Vec<ControllerReach>,
    pub internal_process: InternalProcess,
    pub nsdelegate: bool,
    pub systemd: Ownership,
    pub managed_by: String,
}

fn owner_of(fs: &Cgroupfs, cgroup: &CgroupPath, file: Option<&str>) -> Option<(u32, u32)> {
    let stat = match file {
        Some(f) => fs.stat_file(cgroup, f),
        None => fs.stat(cgroup),
    };
    stat.ok().flatten().map(|s| (s.uid, s.mode & 0o7777))
}

/// What a delegation hands over besides the directory (cgroup-v2.rst "Delegation": chown the
/// directory, cgroup.procs, cgroup.threads and cgroup.subtree_control).
pub const DELEGATED_FILES: [&str; 3] = ["cgroup.procs", "cgroup.threads", "cgroup.subtree_control"];

const LIMIT_FILES: [&str; 11] = [
    "memory.max",
    "memory.high",
    "memory.low",
    "memory.min",
    "memory.swap.max",
    "cpu.max",
    "cpu.weight",
    "io.weight",
    "pids.max",
    "cgroup.max.descendants",
    "cgroup.max.depth",
];

/// A value that is valid for `file`, to ask "may I write it?" without caring which value.
fn sample_value(fs: &Cgroupfs, cgroup: &CgroupPath, file: &str) -> String {
    fs.read_text(cgroup, file)
        .ok()
        .flatten()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty() && !t.contains('\n'))
        .unwrap_or_else(|| "max".into())
}

/// Which manager owns a cgroup, in words (`explain`'s "managed by"). The unit is shown escaped.
pub fn managed_by(owner: &Ownership, systemd_hierarchy: bool) -> String {
    match (&owner.manager, &owner.unit) {
        (Some(m), Some(unit)) => format!("{m}, as the cgroup of {unit}: change its limits through it"),
        (Some(m), None) => format!("below {m}, but not a unit's cgroup"),
        (None, _) if systemd_hierarchy => {
            "no systemd manager: it lies in a delegated subtree (or is not a unit's cgroup); write it directly"
                .to_string()
        }
        (None, _) => "no systemd manager on this hierarchy; write it directly".to_string(),
    }
}

/// How a delegation was made, in words (`explain`'s "by"). The unit is shown escaped.
pub fn delegated_by(d: &systemd::Delegation) -> String {
    match &d.mark {
        systemd::DelegationMark::Xattr(name) => {
            format!(
                "xattr {} set by systemd on {}",
                crate::escape::visible_str(name),
                d.unit
            )
        }
        systemd::DelegationMark::UserManager => format!(
            "systemd unit {} (Delegate=yes for the user manager)",
            d.unit
        ),
        systemd::DelegationMark::Property => {
            format!("systemd unit {} with Delegate=yes", d.unit)
        }
    }
}

pub fn explain(fs: &Cgroupfs, cgroup: &CgroupPath) -> Explanation {
    let actor = Actor::current(fs);
    let mut owners = Vec::new();
    for file in [
        None,
        Some("cgroup.procs"),
        Some("cgroup.subtree_control"),
        Some("memory.max"),
        Some("cgroup.kill"),
    ] {
        if let Some((uid, mode)) = owner_of(fs, cgroup, file) {
            owners.push(FileOwner {
                file: file.unwrap_or("(directory)").to_string(),
                owner: fs.user_name(uid),
                uid,
                mode: format!("{mode:o}"),
            });
        }
    }

    let mut abilities = Vec::new();
    let mut ask = |action: String, op: Op| {
        abilities.push(Ability {
            action,
            prediction: predict(fs, &actor, &op),
        });
    };
    ask(
        "create a child cgroup".into(),
        Op::Mkdir {
            cgroup: probe_child(cgroup),
        },
    );
    if !cgroup.is_root() {
        ask(
            "remove this cgroup".into(),
            Op::Rmdir {
                cgroup: cgroup.clone(),
            },
        );
    }
    ask(
        format!("move your own process ({}) in", std::process::id()),
        Op::Move {
            pid: std::process::id(),
            cgroup: cgroup.clone(),
        },
    );
    let procs = fs.pids(cgroup);
    if let (Some(pid), Some(parent)) = (procs.first(), cgroup.parent()) {
        ask(
            format!("move its process {pid} out to the parent"),
            Op::Move {
                pid: *pid,
                cgroup: parent,
            },
        );
    }
    let available = fs.controller_list(cgroup, "cgroup.controllers");
    let enabled = fs.controller_list(cgroup, "cgroup.subtree_control");
    for controller in &available {
        let sign = if enabled.contains(controller) {
            '-'
        } else {
            '+'
        };
        let verb = if sign == '+' { "enable" } else { "disable" };
        ask(
            format!("{verb} {controller} for the children"),
            Op::Set {
                cgroup: cgroup.clone(),
                file: "cgroup.subtree_control".into(),
                value: format!("{sign}{controller}"),
            },
        );
    }
    for file in LIMIT_FILES {
        if matches!(fs.stat_file(cgroup, file), Ok(Some(_))) {
            ask(
                format!("write {file}"),
                Op::Set {
                    cgroup: cgroup.clone(),
                    file: file.into(),
                    value: sample_value(fs, cgroup, file),
                },
            );
        }
    }

    // systemd, asking the manager for Delegate= where xattrs are silent.
    // One connection per manager, with timeouts: a user's bus that never answers costs one
    // timeout, and an unverified one is not asked at all.
    #[cfg(feature = "dbus")]
    let buses = systemd::Buses::default();
    #[cfg(feature = "dbus")]
    let ask_manager = |manager: Manager, unit: &str| {
        // A fixture's units are the captured host's, not this machine's managers'.
        fs.managers_reachable()
            .then(|| buses.delegate(manager, unit))
            .flatten()
    };
    // Without D-Bus, delegation is told by xattrs and ownership alone.
    #[cfg(not(feature = "dbus"))]
    let ask_manager = |_: Manager, _: &str| None;
    let owner = systemd::ownership(fs, cgroup, &ask_manager);
    let managed_by = managed_by(&owner, systemd::is_systemd_hierarchy(fs));
    #[cfg(feature = "dbus")]
    let managed_by = match buses.failures() {
        failures if failures.is_empty() => managed_by,
        failures => format!("{managed_by} (not asked: {})", failures.join("; ")),
    };

    // The delegation boundary: an xattr/unit delegation, or where ownership changes to you.
    let ownership_root = std::iter::once(cgroup.clone())
        .chain(cgroup.ancestors())
        .take_while(|c| owner_of(fs, c, None).is_some_and(|(uid, _)| uid == actor.uid))
        .last()
        .filter(|_| actor.uid != 0);
    let delegatee_of = |root: &CgroupPath| owner_of(fs, root, None).map(|(uid, _)| uid);
    let delegation = match (&owner.delegation, ownership_root) {
        (Some(d), _) => Some(DelegationRoot {
            delegatee_uid: delegatee_of(&d.root),
            delegatee: delegatee_of(&d.root).map(|uid| fs.user_name(uid)),
            cgroup: d.root.clone(),
            by: delegated_by(d),
            controllers: fs.controller_list(&d.root, "cgroup.controllers"),
        }),
        (None, Some(root)) => {
            // A delegation is the directory and these three files; the directory alone lets
            // you create children but not move processes or pass controllers on.
            let not_yours: Vec<&str> = DELEGATED_FILES
                .into_iter()
                .filter(|f| owner_of(fs, &root, Some(f)).is_none_or(|(uid, _)| uid != actor.uid))
                .collect();
            let by = if not_yours.is_empty() {
                "ownership: the directory, its cgroup.procs, cgroup.threads and \
                 cgroup.subtree_control are yours"
                    .to_string()
            } else {
                format!(
                    "ownership: the directory is yours but not {}: you may create children, \
                     not move processes in or pass controllers on",
                    not_yours.join(", ")
                )
            };
            Some(DelegationRoot {
                delegatee_uid: Some(actor.uid),
                delegatee: Some(actor.user.clone()),
                controllers: fs.controller_list(&root, "cgroup.controllers"),
                cgroup: root,
                by,
            })
        }
        (None, None) => None,
    };

    // How far each controller of the hierarchy reaches towards this cgroup.
    let root_controllers = fs.controller_list(&CgroupPath::root(), "cgroup.controllers");
    let mut lineage: Vec<CgroupPath> = cgroup.ancestors().collect();
    lineage.reverse();
    let controllers = root_controllers
        .iter()
        .map(|controller| {
            let stops_at = lineage.iter().find(|a| {
                !fs.controller_list(a, "cgroup.subtree_control")
                    .contains(controller)
            });
            ControllerReach {
                controller: controller.clone(),
                available_here: available.contains(controller),
                stops_at: stops_at.cloned(),
            }
        })
        .collect();

    let domain: Vec<String> = enabled
        .iter()
        .filter(|c| is_domain_controller(c))
        .cloned()
        .collect();
    let note = match (procs.len(), domain.is_empty(), cgroup.is_root()) {
        (_, _, true) => "the root cgroup is exempt from the no-internal-process rule".to_string(),
        (0, true, _) => {
            "no processes, no domain controllers passed on: either may be added".to_string()
        }
        (0, false, _) => format!(
            "passes {} to its children, so processes may not be moved in (EBUSY)",
            domain.join(" ")
        ),
        (n, true, _) => format!(
            "{n} process(es) here, so domain controllers (memory, io, ...) cannot be enabled for children (EBUSY) \
             until they move to a leaf"
        ),
        (n, false, _) => format!(
            "{n} process(es) and domain controllers together: set up before the rule applied"
        ),
    };

    Explanation {
        cgroup: cgroup.clone(),
        owners,
        abilities,
        delegation,
        controllers,
        internal_process: InternalProcess {
            processes: procs.len(),
            domain_controllers_enabled: domain,
            note,
        },
        nsdelegate: fs.mount().is_some_and(|m| m.options.nsdelegate),
        systemd: owner,
        managed_by,
        actor,
    }
}

impl Explanation {
    /// The explanation as lines of text, as `cgtui explain` prints it and the TUI's `w` pane
    /// shows it.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "{} — as {} (uid {})",
            self.cgroup, self.actor.user, self.actor.uid
        )];
        out.push("owners:".into());
        for o in &self.owners {
            out.push(format!(
                "  {:<24} {} (uid {}) mode {}",
                o.file, o.owner, o.uid, o.mode
            ));
        }
        out.push(format!("managed by: {}", self.managed_by));
        out.push(match &self.delegation {
            Some(d) => format!(
                "delegation root: {}{} (by {}; controllers: {})",
                d.cgroup,
                match (&d.delegatee, d.delegatee_uid) {
                    (Some(name), Some(uid)) => format!(", delegated to {name} (uid {uid})"),
                    _ => String::new(),
                },
                d.by,
                d.controllers.join(" ")
            ),
            None => "delegation root: none at or above this cgroup for you".into(),
        });
        out.push(format!(
            "nsdelegate: {}; your cgroup namespace: {}",
            if self.nsdelegate { "on" } else { "off" },
            match (&self.actor.init_namespace, &self.actor.namespace_root) {
                (true, _) => "the initial one".to_string(),
                (false, Some(root)) => format!("rooted at {root}"),
                (false, None) => "not the initial one (root unknown)".to_string(),
            }
        ));
        out.push("controllers:".into());
        for c in &self.controllers {
            out.push(match (&c.stops_at, c.available_here) {
                (_, true) => format!("  {:<8} available here", c.controller),
                (Some(at), false) => format!(
                    "  {:<8} stops at {at} (its cgroup.subtree_control lacks it)",
                    c.controller
                ),
                (None, false) => format!("  {:<8} not available here", c.controller),
            });
        }
        out.push(format!(
            "no-internal-process: {}",
            self.internal_process.note
        ));
        out.push("what you can do here:".into());
        for a in &self.abilities {
            let p = &a.prediction;
            out.push(match p.errno.as_deref() {
                None => format!("  yes  {}", a.action),
                Some(errno) => format!(
                    "  no   {} — {errno} [{}]: {}",
                    a.action, p.rule, p.explanation
                ),
            });
        }
        out
    }
}
