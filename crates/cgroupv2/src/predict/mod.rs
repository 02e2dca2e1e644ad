//! Predicting what the kernel will answer to a change, before making it.
//!
//! The checks follow the kernel's own order (kernel/cgroup/cgroup.c): the VFS permission of the
//! file or directory first, then nsdelegate, then the file's handler (value grammar, controller
//! availability, the no-internal-process rule, containment through the common ancestor). The
//! first check that fails is the verdict, as it is for the kernel.

use crate::fs::Cgroupfs;
use crate::interface;
use crate::op::Op;
use crate::parse::{CgroupType, Limit};
use crate::path::CgroupPath;
use crate::process::{ProcRef, cgroup_of, parse_proc_cgroup};
use crate::rules::{
    IMPLICIT_CONTROLLERS, Rule, SUBSYSTEM_ORDER, V1_ONLY_SUBSYSTEMS, controller_of,
    is_domain_controller,
};
use crate::systemd;
use crate::value;
use serde::Serialize;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// PATH_MAX (include/uapi/linux/limits.h): a path, with its NUL, is shorter.
const PATH_MAX: usize = 4096;

/// Who is asking: the credentials and cgroup namespace of this process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub uid: u32,
    pub gid: u32,
    pub user: String,
    /// Is this process in the initial cgroup namespace?
    pub init_namespace: bool,
    /// The root of this process's cgroup namespace, as a path from the mount; `None` when it
    /// cannot be told (then namespace rules are not predicted).
    pub namespace_root: Option<CgroupPath>,
}

impl Actor {
    /// The current process, as the kernel sees it.
    pub fn current(fs: &Cgroupfs) -> Actor {
        let uid = rustix::process::geteuid().as_raw();
        let gid = rustix::process::getegid().as_raw();
        let (init_namespace, namespace_root) = namespace(fs);
        Actor {
            uid,
            gid,
            // A fixture names its users itself (its .passwd), as its owners show them.
            user: fs.user_name(uid),
            init_namespace,
            namespace_root,
        }
    }
}

/// Find this process's cgroup namespace: whether it is the initial one, and where its root is.
///
/// Inside a namespace, /proc/self/cgroup shows paths from the namespace root, and a cgroup2
/// mount made outside shows its root in mountinfo as `/..` repeated once per level the namespace
/// root sits below it. The namespace root is then the ancestor of our own cgroup (found by our
/// PID in cgroup.procs) at that depth.
fn namespace(fs: &Cgroupfs) -> (bool, Option<CgroupPath>) {
    let mount_root = fs
        .mount()
        .map(|m| m.root.clone())
        .unwrap_or_else(|| "/".into());
    let up_levels = mount_root.split('/').filter(|c| *c == "..").count();
    // The initial cgroup namespace has a fixed inode (PROC_CGROUP_INIT_INO, include/linux/proc_ns.h).
    let init = match std::fs::read_link("/proc/self/ns/cgroup") {
        Ok(link) => link.as_os_str() == "cgroup:[4026531835]",
        Err(_) => up_levels == 0,
    };
    if init {
        return (true, Some(CgroupPath::root()));
    }
    if up_levels == 0 {
        // The mount was made inside the namespace: its root is the namespace root.
        return (false, Some(CgroupPath::root()));
    }
    let Some(own_relative) = std::fs::read("/proc/self/cgroup")
        .ok()
        .and_then(|t| parse_proc_cgroup(&t, &CgroupPath::root()))
    else {
        return (false, None);
    };
    let pid = std::process::id();
    let depth = up_levels + own_relative.depth();
    let own = fs.walk(&CgroupPath::root()).into_iter().find(|c| {
        c.depth() == depth
            && fs
                .get(c, interface::CGROUP_PROCS)
                .ok()
                .flatten()
                .is_some_and(|p| p.contains(&pid))
    });
    let root = own.and_then(|own| {
        let mut root = own;
        for _ in 0..own_relative.depth() {
            root = root.parent()?;
        }
        Some(root)
    });
    (false, root)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allowed,
    Denied,
}

/// The prediction for one operation, in the shape of `cgtui check --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    pub op: &'static str,
    pub cgroup: CgroupPath,
    pub file: Option<String>,
    pub value: Option<String>,
    pub verdict: Verdict,
    pub errno: Option<String>,
    pub rule: Rule,
    pub explanation: String,
    pub doc: &'static str,
    pub fix: Option<String>,
    pub warnings: Vec<String>,
    /// The same change as a shell command, so a learner sees the kernel interface (or the
    /// systemd call) and not only cgtui's keys: `echo +memory > .../cgroup.subtree_control`,
    /// `mkdir ...`, `busctl call ... SetUnitProperties ...`.
    pub command: Option<String>,
    /// The exact text cgtui writes (`1.5G` is written as `1610612736`, `50%` as `50000 100000`,
    /// a PID `0x1a2b` as `6699`); `None` for mkdir and rmdir, or a value refused before writing.
    pub writes: Option<String>,
}

impl Prediction {
    pub fn allowed(&self) -> bool {
        self.verdict == Verdict::Allowed
    }
}

/// A denial found by one of the checks.
struct Denial {
    errno: &'static str,
    rule: Rule,
    explanation: String,
    fix: Option<String>,
}

fn deny(
    errno: &'static str,
    rule: Rule,
    explanation: String,
    fix: Option<String>,
) -> Result<String, Denial> {
    Err(Denial {
        errno,
        rule,
        explanation,
        fix,
    })
}

/// ENOENT unless `cgroup` exists; `role` names it in the explanation ("the parent ").
fn must_exist(f: &Facts, cgroup: &CgroupPath, role: &str) -> Result<(), Denial> {
    if f.fs.exists(cgroup) {
        return Ok(());
    }
    deny(
        "ENOENT",
        Rule::NoSuchCgroup,
        format!("{role}{cgroup} does not exist"),
        None,
    )
    .map(drop)
}

mod controllers;
mod facts;
mod files;
mod tree;

use controllers::*;
use facts::*;
use files::*;
use tree::*;

fn parent_of(cgroup: &CgroupPath) -> CgroupPath {
    cgroup.parent().unwrap_or_default()
}

/// The deepest cgroup that contains both.
pub fn common_ancestor(a: &CgroupPath, b: &CgroupPath) -> CgroupPath {
    let mut common = CgroupPath::root();
    for (x, y) in a.as_path().iter().zip(b.as_path().iter()) {
        if x != y {
            break;
        }
        common = common.join(x);
    }
    common
}

/// Predict the kernel's answer to `op` for `actor`, without changing anything.
pub fn predict(fs: &Cgroupfs, actor: &Actor, op: &Op) -> Prediction {
    let facts = Facts { fs, actor };
    let (file, value, result) = match op {
        Op::Mkdir { cgroup } => (None, None, check_mkdir(&facts, cgroup)),
        Op::Rmdir { cgroup } => (None, None, check_rmdir(&facts, cgroup)),
        Op::Move { pid, cgroup } => (
            Some("cgroup.procs".to_string()),
            Some(pid.to_string()),
            check_move(&facts, *pid, cgroup, true),
        ),
        Op::Set {
            cgroup,
            file,
            value,
        } => (
            Some(file.clone()),
            Some(value.clone()),
            check_set(&facts, cgroup, file, value),
        ),
    };
    let mut warnings = Vec::new();
    let owner = systemd::ownership(fs, op.cgroup(), &|_, _| None);
    let writes_limits =
        matches!(op, Op::Set { file, .. } if !systemd::DELEGATEE_FILES.contains(&file.as_str()));
    if writes_limits && let Some(warning) = systemd_warning(&owner) {
        warnings.push(warning);
    }
    let command = Some(shell_command(fs, op, &owner));
    if result.is_ok() {
        warnings.extend(consequences(&facts, op));
    }
    let writes = match op {
        Op::Set {
            cgroup,
            file,
            value,
        } => value::check(fs, cgroup, file, value).ok(),
        Op::Move { pid, .. } => Some(pid.to_string()),
        Op::Mkdir { .. } | Op::Rmdir { .. } => None,
    };
    if let Op::Set { file, value, .. } = op
        && result.is_ok()
        && let Some(writes) = &writes
        && wraps_around(file, value)
    {
        warnings.push(format!(
            "the kernel's memparse() wraps {value:?} around 2^64: the size set is {writes} bytes, \
             not the size typed"
        ));
    }
    let (verdict, errno, rule, explanation, fix) = match result {
        Ok(why) => (Verdict::Allowed, None, Rule::Ok, why, None),
        Err(d) => (
            Verdict::Denied,
            Some(d.errno.to_string()),
            d.rule,
            d.explanation,
            d.fix,
        ),
    };
    Prediction {
        op: op.name(),
        cgroup: op.cgroup().clone(),
        file,
        value,
        verdict,
        errno,
        doc: rule.doc(),
        rule,
        explanation,
        fix,
        warnings,
        command,
        writes,
    }
}

/// What an allowed change does that its success does not say (issue 26, item 12): a zombie
/// "moved" stays where it is, a thread's id in cgroup.procs moves its whole process, and
/// threaded controllers alone on a cgroup with processes make it a thread root.
fn consequences(f: &Facts, op: &Op) -> Vec<String> {
    let mut warnings = Vec::new();
    let moved = match op {
        Op::Move { pid, .. } => Some((*pid, true)),
        Op::Set { file, value, .. } if file == "cgroup.procs" || file == "cgroup.threads" => {
            value::kernel_pid(value).map(|pid| (pid, file == "cgroup.procs"))
        }
        _ => None,
    };
    if let Some((pid, threadgroup)) = moved.filter(|(pid, _)| *pid != 0) {
        let status =
            f.fs.proc_root()
                .and_then(|root| {
                    std::fs::read_to_string(root.join(pid.to_string()).join("status")).ok()
                })
                .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| v.trim().to_string())
        };
        if field("State:").is_some_and(|s| s.starts_with('Z')) {
            warnings.push(format!(
                "process {pid} is a zombie: the kernel answers success, but an exited task is not \
                 migrated, so it stays where it is until its parent reaps it"
            ));
        }
        let tgid = field("Tgid:").and_then(|t| t.parse::<u32>().ok());
        if threadgroup && let Some(tgid) = tgid.filter(|t| *t != pid) {
            warnings.push(format!(
                "{pid} is a thread of process {tgid}: written to cgroup.procs it moves the whole \
                 process {tgid} with all its threads (to move one thread, write it to \
                 cgroup.threads of a threaded cgroup)"
            ));
        }
    }
    if let Op::Set {
        cgroup,
        file,
        value,
    } = op
        && file == "cgroup.subtree_control"
        && !cgroup.is_root()
        && !f.is_threaded(cgroup)
        && !f.is_thread_root(cgroup)
        && f.has_tasks(cgroup)
    {
        let enabling: Vec<&str> = value
            .split_whitespace()
            .filter_map(|t| t.strip_prefix('+'))
            .collect();
        if !enabling.is_empty() && enabling.iter().all(|c| !is_domain_controller(c)) {
            warnings.push(format!(
                "{cgroup} has processes of its own: enabling only threaded controllers ({}) makes \
                 it a thread root (cgroup.type \"domain threaded\"), and its children that are not \
                 threaded become \"domain invalid\" (no processes, no controllers)",
                enabling.join(" ")
            ));
        }
    }
    warnings
}

/// A size the kernel's memparse() reads past 2^64 (`16E`), in a file that reads sizes so.
fn wraps_around(file: &str, value: &str) -> bool {
    matches!(
        interface::lookup(file).map(|s| s.grammar),
        Some(interface::Grammar::SizeOrMax | interface::Grammar::Reclaim)
    ) && value::memparse_wraps(value)
}

/// The warning beside a direct write of a limit systemd owns; `None` when no manager owns the
/// cgroup. The unit is shown escaped.
pub fn systemd_warning(owner: &systemd::Ownership) -> Option<String> {
    let (Some(manager), Some(unit)) = (owner.manager, &owner.unit) else {
        return None;
    };
    Some(format!(
        "systemd-managed: {unit} belongs to {manager}; the kernel allows a direct write, but systemd's \
         single-writer rule says change it through SetUnitProperties (cgtui set does, by default)"
    ))
}

/// A word for a POSIX shell: quoted when it holds anything but plain characters, and shown
/// escaped (a name's control characters never reach the terminal, even inside quotes).
pub fn shell_word(word: &[u8]) -> String {
    let plain = !word.is_empty()
        && word
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./_-".contains(b));
    let shown = crate::escape::visible(word);
    if plain {
        shown.into_owned()
    } else {
        format!("'{}'", shown.replace('\'', "'\\''"))
    }
}

/// The change `op` as a shell command: the filesystem write, or (for a cgroup a systemd manager
/// owns, where systemd has a property for the file) the D-Bus call `cgtui set` makes.
pub fn shell_command(fs: &Cgroupfs, op: &Op, owner: &systemd::Ownership) -> String {
    let path = |cgroup: &CgroupPath, file: Option<&str>| {
        let mut dir = fs.dir(cgroup);
        if let Some(file) = file {
            dir.push(file);
        }
        shell_word(dir.as_os_str().as_bytes())
    };
    match op {
        Op::Mkdir { cgroup } => format!("mkdir {}", path(cgroup, None)),
        Op::Rmdir { cgroup } => format!("rmdir {}", path(cgroup, None)),
        Op::Move { pid, cgroup } => format!("echo {pid} > {}", path(cgroup, Some("cgroup.procs"))),
        Op::Set {
            cgroup,
            file,
            value,
        } => {
            // The value as cgtui writes it (512M → bytes, 50% → quota and period).
            let value = &value::check(fs, cgroup, file, value).unwrap_or_else(|_| value.clone());
            let managed_limit = !systemd::DELEGATEE_FILES.contains(&file.as_str());
            if let (Some(manager), Some(unit), true) = (owner.manager, &owner.unit, managed_limit)
                && let Some(Ok(props)) = systemd::unit_properties(file, value)
            {
                return busctl_set_unit_properties(fs, manager, unit, &props);
            }
            if value.is_empty() {
                // `echo ''` would write a newline; this opens the file and writes nothing.
                return format!(": > {}", path(cgroup, Some(file)));
            }
            format!(
                "echo {} > {}",
                shell_word(value.as_bytes()),
                path(cgroup, Some(file))
            )
        }
    }
}

/// `busctl call` for SetUnitProperties(unit, runtime=true, props), as `cgtui set` makes it.
fn busctl_set_unit_properties(
    fs: &Cgroupfs,
    manager: systemd::Manager,
    unit: &crate::escape::SysText,
    props: &[(String, systemd::PropertyValue)],
) -> String {
    let target = match manager {
        systemd::Manager::System => String::new(),
        systemd::Manager::User { uid } => {
            // The user as the hierarchy names them (a fixture's .passwd, not this machine's).
            format!(" --user --machine={}@.host", fs.user_name(uid))
        }
    };
    let mut args = Vec::new();
    for (name, value) in props {
        args.push(name.clone());
        args.push(value.signature().to_string());
        match value {
            systemd::PropertyValue::U64(v) => args.push(v.to_string()),
            systemd::PropertyValue::Devices(devices) => {
                args.push(devices.len().to_string());
                for (node, v) in devices {
                    args.push(shell_word(node.as_bytes()));
                    args.push(v.to_string());
                }
            }
        }
    }
    format!(
        "busctl{target} call org.freedesktop.systemd1 /org/freedesktop/systemd1 \
         org.freedesktop.systemd1.Manager SetUnitProperties 'sba(sv)' {} true {} {}",
        shell_word(unit.as_bytes()),
        props.len(),
        args.join(" ")
    )
}

/// A cgroup name for a not-yet-existing child, for "may I create children here?".
pub fn probe_child(cgroup: &CgroupPath) -> CgroupPath {
    cgroup.join(OsStr::new("cgtui-probe"))
}

#[cfg(test)]
mod tests;
