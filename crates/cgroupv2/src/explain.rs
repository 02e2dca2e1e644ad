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

/// Where a cgroup sits in the picture of a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    CommonAncestor,
    Source,
    Destination,
    /// Between the common ancestor and the source or the destination.
    OnTheWay,
}

/// One cgroup of the picture: its depth below the common ancestor, the owner of its
/// cgroup.procs, and whether the move's failing check is this cgroup's.
#[derive(Debug, Clone, Serialize)]
pub struct PictureNode {
    pub cgroup: CgroupPath,
    pub depth: usize,
    pub role: Role,
    /// The owner of its cgroup.procs (`None` when it cannot be read).
    pub procs_owner: Option<String>,
    pub procs_uid: Option<u32>,
    pub failing: bool,
}

/// The move of your own process into the cgroup, drawn: the common ancestor of source and
/// destination, the cgroups down to each, and which check fails (the kernel's order: the
/// destination's cgroup.procs, then the common ancestor's; cgroup_procs_write_permission()).
#[derive(Debug, Clone, Serialize)]
pub struct MovePicture {
    pub source: CgroupPath,
    pub destination: CgroupPath,
    pub common_ancestor: CgroupPath,
    /// In drawing order: the ancestor, the way to the source, the way to the destination.
    pub nodes: Vec<PictureNode>,
    /// The failing check's errno and rule, or `None` when the move is allowed.
    pub failing: Option<String>,
}

impl MovePicture {
    fn new(fs: &Cgroupfs, source: &CgroupPath, destination: &CgroupPath, p: &Prediction) -> Self {
        use crate::rules::Rule;
        let common = crate::predict::common_ancestor(source, destination);
        let failing_at = match p.errno.as_ref().map(|_| p.rule) {
            None => None,
            Some(Rule::MigrationContainment | Rule::NamespaceScope) => Some(common.clone()),
            Some(Rule::NoSuchProcess) => Some(source.clone()),
            Some(_) => Some(destination.clone()),
        };
        let depth_of =
            |c: &CgroupPath| c.as_path().iter().count() - common.as_path().iter().count();
        // The way from the common ancestor down to `to`, the ancestor itself left out.
        let way = |to: &CgroupPath| -> Vec<CgroupPath> {
            let mut down: Vec<CgroupPath> = std::iter::once(to.clone())
                .chain(to.ancestors())
                .take_while(|c| c != &common)
                .collect();
            down.reverse();
            down
        };
        let mut nodes = Vec::new();
        let mut push = |cgroup: &CgroupPath, role: Role| {
            let owner = owner_of(fs, cgroup, Some("cgroup.procs")).map(|(uid, _)| uid);
            nodes.push(PictureNode {
                depth: depth_of(cgroup),
                role,
                procs_owner: owner.map(|uid| fs.user_name(uid)),
                procs_uid: owner,
                failing: failing_at.as_ref() == Some(cgroup),
                cgroup: cgroup.clone(),
            });
        };
        let common_role = if &common == destination {
            Role::Destination
        } else if &common == source {
            Role::Source
        } else {
            Role::CommonAncestor
        };
        push(&common, common_role);
        for (end, role) in [(source, Role::Source), (destination, Role::Destination)] {
            for c in way(end) {
                push(&c, if &c == end { role } else { Role::OnTheWay });
            }
        }
        MovePicture {
            source: source.clone(),
            destination: destination.clone(),
            common_ancestor: common,
            nodes,
            failing: p.errno.as_ref().map(|e| format!("{e} [{}]", p.rule)),
        }
    }

    /// The picture as lines: a tree from the common ancestor (named in full on the first
    /// line), each cgroup with the owner of its cgroup.procs, `✗` on the failing check.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "the move of your own process, drawn (common ancestor {}):",
            self.common_ancestor
        )];
        let last_of_depth1 = self.nodes.iter().rposition(|n| n.depth == 1);
        let names: Vec<String> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, node)| {
                let name = match node.cgroup.name().to_string_lossy() {
                    n if n.is_empty() => "/".to_string(),
                    n => n.into_owned(),
                };
                if node.depth == 0 {
                    return name;
                }
                // The source's branch comes first; a `│` runs down its side while the
                // destination's branch is still to come.
                let branch_open = last_of_depth1.is_some_and(|last| i < last);
                let lead = if node.depth > 1 {
                    format!(
                        "{}{}",
                        if branch_open { "│  " } else { "   " },
                        "   ".repeat(node.depth - 2)
                    )
                } else {
                    String::new()
                };
                let elbow = if node.depth == 1 && branch_open {
                    "├─ "
                } else {
                    "└─ "
                };
                format!("{lead}{elbow}{name}")
            })
            .collect();
        let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
        for (node, name) in self.nodes.iter().zip(&names) {
            let role = match node.role {
                Role::CommonAncestor => "common ancestor",
                Role::Source => "source",
                Role::Destination if node.depth == 0 => "destination and common ancestor",
                Role::Destination => "destination",
                Role::OnTheWay => "",
            };
            let owner = match (&node.procs_owner, node.procs_uid) {
                (Some(name), Some(uid)) => format!("procs: {name} ({uid})"),
                _ => "procs: ?".to_string(),
            };
            let mark = match (&self.failing, node.failing) {
                (Some(why), true) => format!("  ✗ {why}"),
                _ => String::new(),
            };
            let pad = width - name.chars().count();
            let line = format!("  {name}{}  {owner:<20} {role}{mark}", " ".repeat(pad));
            out.push(line.trim_end().to_string());
        }
        if self.failing.is_none() {
            out.push("  ✓ every check passes".into());
        }
        out
    }
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
    /// The mount's options that change the rules (nsdelegate, memory_recursiveprot, ...).
    pub mount_options: Vec<String>,
    /// The move of your own process in, drawn; `None` when your own cgroup is not known.
    pub picture: Option<MovePicture>,
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
    // In a fixture "your own process" is the one its .proc/self names: PID 0, which the
    // kernel reads as the writer itself.
    let own_pid = if fs.is_fixture() {
        0
    } else {
        std::process::id()
    };
    ask(
        format!("move your own process ({}) in", std::process::id()),
        Op::Move {
            pid: own_pid,
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

    let own_cgroup = crate::process::cgroup_of(
        fs,
        crate::process::ProcRef::Own,
        actor.namespace_root.as_ref(),
    );
    let own_move = abilities
        .iter()
        .find(|a| a.action.starts_with("move your own process"))
        .map(|a| a.prediction.clone());
    let picture = own_cgroup
        .zip(own_move)
        .map(|(source, p)| MovePicture::new(fs, &source, cgroup, &p));
    let mount_options = fs
        .mount_options()
        .map(|o| {
            o.all
                .iter()
                .filter(|o| *o != "rw" && *o != "ro")
                .cloned()
                .collect()
        })
        .unwrap_or_default();

    Explanation {
        cgroup: cgroup.clone(),
        mount_options,
        picture,
        owners,
        abilities,
        delegation,
        controllers,
        internal_process: InternalProcess {
            processes: procs.len(),
            domain_controllers_enabled: domain,
            note,
        },
        nsdelegate: fs.nsdelegate(),
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
            "mount options: {}",
            if self.mount_options.is_empty() {
                "none (no nsdelegate, no memory_recursiveprot)".to_string()
            } else {
                self.mount_options.join(",")
            }
        ));
        out.push(format!(
            "nsdelegate: {}; your cgroup namespace: {}",
            if self.nsdelegate { "on" } else { "off" },
            match (&self.actor.init_namespace, &self.actor.namespace_root) {
                (true, _) => "the initial one".to_string(),
                (false, Some(root)) => format!("rooted at {root}"),
                (false, None) => "not the initial one (root unknown)".to_string(),
            }
        ));
        // The move drawn near the top, where the `w` pane shows it without scrolling.
        if let Some(picture) = &self.picture {
            out.extend(picture.lines());
        }
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
