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
use crate::users::user_name;
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
            user: user_name(uid),
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

/// Everything a prediction reads, gathered once.
struct Facts<'a> {
    fs: &'a Cgroupfs,
    actor: &'a Actor,
}

impl Facts<'_> {
    fn children(&self, cgroup: &CgroupPath) -> Vec<CgroupPath> {
        let mut names = self.fs.children(cgroup).ok().flatten().unwrap_or_default();
        names.sort();
        names.iter().map(|n| cgroup.join(n)).collect()
    }

    /// cgroup.events says it (or a descendant) has processes.
    fn populated(&self, cgroup: &CgroupPath) -> bool {
        self.fs
            .get(cgroup, interface::CGROUP_EVENTS)
            .ok()
            .flatten()
            .is_some_and(|e| e.populated)
    }

    /// The domain controllers this cgroup passes to its children.
    fn domain_enabled(&self, cgroup: &CgroupPath) -> Vec<String> {
        self.fs
            .controller_list(cgroup, "cgroup.subtree_control")
            .into_iter()
            .filter(|c| is_domain_controller(c))
            .collect()
    }

    fn cgroup_type(&self, cgroup: &CgroupPath) -> Option<CgroupType> {
        self.fs.get(cgroup, interface::CGROUP_TYPE).ok().flatten()
    }

    /// May this process write `file` of `cgroup` (or, `None`, its directory)?
    fn writable(&self, cgroup: &CgroupPath, file: Option<&str>) -> bool {
        self.fs.may_write(cgroup, file)
    }

    /// `owner (uid) mode` of a cgroup's directory or one of its files, for explanations.
    fn owner(&self, cgroup: &CgroupPath, file: Option<&str>) -> String {
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

    fn me(&self) -> String {
        format!("you are {} (uid {})", self.actor.user, self.actor.uid)
    }

    /// Files that may be written on a namespace root under nsdelegate.
    fn delegatable(&self, file: &str) -> bool {
        let listed = std::fs::read_to_string("/sys/kernel/cgroup/delegate").ok();
        match listed {
            Some(text) => text.lines().any(|l| l.trim() == file),
            None => interface::NS_DELEGATABLE.contains(&file),
        }
    }

    /// The kernel's subsystems from /proc/cgroups (v1 and v2 alike); `None` if unreadable.
    fn subsystems(&self) -> Option<Vec<Subsystem>> {
        let text = std::fs::read_to_string(self.fs.proc_root()?.join("cgroups")).ok()?;
        Some(parse_proc_cgroups(&text))
    }

    /// Why `name` cannot be written as `+name` or `-name`: `None` when the kernel's parser
    /// accepts it (a v2 controller this kernel has and did not disable at boot).
    fn unknown_controller(&self, name: &str) -> Option<String> {
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
    fn absent_from_hierarchy(&self, name: &str) -> (String, String) {
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
    fn enable_path(&self, cgroup: &CgroupPath, name: &str) -> String {
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

    fn limit(&self, cgroup: &CgroupPath, file: interface::File<Limit>) -> Option<Limit> {
        self.fs.get(cgroup, file).ok().flatten()
    }
}

/// One line of /proc/cgroups.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Subsystem {
    name: String,
    /// 0 when not bound to a v1 hierarchy (on the v2 one, or nowhere).
    hierarchy: u32,
    enabled: bool,
}

fn parse_proc_cgroups(text: &str) -> Vec<Subsystem> {
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
    fn kind(&self, cgroup: &CgroupPath) -> CgroupType {
        if cgroup.is_root() {
            return CgroupType::Domain;
        }
        self.cgroup_type(cgroup).unwrap_or(CgroupType::Domain)
    }

    /// cgroup_is_threaded()
    fn is_threaded(&self, cgroup: &CgroupPath) -> bool {
        self.kind(cgroup) == CgroupType::Threaded
    }

    /// cgroup_is_valid_domain(): not threaded, and no ancestor below the root is threaded or a
    /// thread root; `cgroup.type` says "domain invalid" otherwise.
    fn is_valid_domain(&self, cgroup: &CgroupPath) -> bool {
        matches!(
            self.kind(cgroup),
            CgroupType::Domain | CgroupType::DomainThreaded
        )
    }

    /// cgroup_is_thread_root(): threaded children, or own threads with threaded controllers on.
    fn is_thread_root(&self, cgroup: &CgroupPath) -> bool {
        if cgroup.is_root() {
            return self.children(cgroup).iter().any(|c| self.is_threaded(c));
        }
        self.kind(cgroup) == CgroupType::DomainThreaded
    }

    /// `cgrp->dom_cgrp`: a threaded cgroup's thread root, else the cgroup itself.
    fn dom_cgroup(&self, cgroup: &CgroupPath) -> CgroupPath {
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
    fn has_tasks(&self, cgroup: &CgroupPath) -> bool {
        self.fs
            .get(cgroup, interface::CGROUP_THREADS)
            .ok()
            .flatten()
            .is_some_and(|t| !t.is_empty())
            || !self.fs.pids(cgroup).is_empty()
    }

    /// Why cgroup_can_be_thread_root() is false, or `None` when it is true.
    fn cannot_be_thread_root(&self, cgroup: &CgroupPath) -> Option<String> {
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

fn parent_of(cgroup: &CgroupPath) -> CgroupPath {
    cgroup.parent().unwrap_or_default()
}

/// VFS: may the actor write this interface file?
fn check_file_access(f: &Facts, cgroup: &CgroupPath, file: &str) -> Result<String, Denial> {
    if f.writable(cgroup, Some(file)) {
        return Ok(String::new());
    }
    let owner = f.owner(cgroup, Some(file));
    if read_only(f, cgroup, file) {
        return deny(
            "EACCES",
            Rule::Permission,
            format!(
                "{} is read-only, owned by {owner}: it has no write handler, so the kernel gives \
                 it no write bit",
                cgroup.file_display(file)
            ),
            Some("read it; nothing can write it".into()),
        );
    }
    let mut fix = "write it as its owner, or in a subtree delegated to you".to_string();
    if controller_of(file).is_some() && f.owner(cgroup, None) != owner {
        fix = format!(
            "{file} of a delegation root belongs to whoever enabled the controller in the parent: \
             set limits on cgroups below it instead"
        );
    }
    deny(
        "EACCES",
        Rule::Permission,
        format!(
            "{} is owned by {owner}; {}",
            cgroup.file_display(file),
            f.me()
        ),
        Some(fix),
    )
}

/// A file cgroup_add_file() made without a write bit: its cftype has no write handler.
fn read_only(f: &Facts, cgroup: &CgroupPath, file: &str) -> bool {
    f.fs.stat_file(cgroup, file)
        .ok()
        .flatten()
        .is_some_and(|s| s.mode & 0o222 == 0)
}

/// nsdelegate: inside a non-initial namespace, only delegatable files of its root may be written.
fn check_nsdelegate_root(f: &Facts, cgroup: &CgroupPath, file: &str) -> Result<String, Denial> {
    if f.fs.nsdelegate()
        && !f.actor.init_namespace
        && f.actor.namespace_root.as_ref() == Some(cgroup)
        && !f.delegatable(file)
    {
        return deny(
            "EPERM",
            Rule::NsdelegateRootFile,
            format!(
                "{cgroup} is the root of your cgroup namespace and the mount has nsdelegate: from inside, \
                 only the files in /sys/kernel/cgroup/delegate may be written there, and {file} is not one"
            ),
            Some("set it from the parent namespace, or on a child of your namespace root".into()),
        );
    }
    Ok(String::new())
}

fn check_mkdir(f: &Facts, cgroup: &CgroupPath) -> Result<String, Denial> {
    let name = cgroup.as_path().file_name().unwrap_or_default().as_bytes();
    // getname(): a path of PATH_MAX bytes or more (with its NUL) never reaches the filesystem.
    // cgroupfs itself sets no 255-byte limit on a name (kernfs has none; checked on 6.18).
    if name.len() >= PATH_MAX {
        return deny(
            "ENAMETOOLONG",
            Rule::InvalidValue,
            format!(
                "the name has {} bytes: a path is at most {} bytes (PATH_MAX with its NUL)",
                name.len(),
                PATH_MAX - 1
            ),
            Some("pick a shorter name".into()),
        );
    }
    let parent = parent_of(cgroup);
    must_exist(f, &parent, "the parent ")?;
    // filename_create() looks the name up before vfs_mkdir() checks the directory's
    // permission: an existing name is EEXIST even where the user may not write.
    // A directory or a file of that name (statat without following: the same path either way;
    // never a lossy copy of the name, which could be another cgroup's).
    if f.fs.stat(cgroup).ok().flatten().is_some() {
        return deny(
            "EEXIST",
            Rule::InvalidValue,
            format!("{cgroup} already exists (as a cgroup or an interface file)"),
            Some("pick another name".into()),
        );
    }
    if !f.writable(&parent, None) {
        return deny(
            "EACCES",
            Rule::Permission,
            format!(
                "creating a cgroup writes the directory {parent}, owned by {}; {}",
                f.owner(&parent, None),
                f.me()
            ),
            Some("create it inside a subtree delegated to you, e.g. `cgtui delegate` (no root needed)".into()),
        );
    }
    // cgroup_mkdir(): a newline would make /proc/PID/cgroup unparsable.
    if name.contains(&b'\n') {
        return deny(
            "EINVAL",
            Rule::InvalidValue,
            "a cgroup name may not contain a newline (cgroup_mkdir refuses it, so that \
             /proc/PID/cgroup stays one line per hierarchy)"
                .into(),
            Some("pick a name without a newline".into()),
        );
    }
    // cgroup.max.descendants and cgroup.max.depth of the parent and every ancestor.
    let new_depth = cgroup.depth();
    for ancestor in std::iter::once(parent.clone()).chain(parent.ancestors()) {
        if let Some(Limit::Value(max)) = f.limit(&ancestor, interface::CGROUP_MAX_DESCENDANTS) {
            let now =
                f.fs.get(&ancestor, interface::CGROUP_STAT)
                    .ok()
                    .flatten()
                    .map_or(0, |s| s.nr_descendants);
            if now >= max {
                return deny(
                    "EAGAIN",
                    Rule::DescendantLimit,
                    format!(
                        "{ancestor} allows {max} descendants (cgroup.max.descendants) and has {now}"
                    ),
                    Some(format!(
                        "raise {} or remove unused cgroups",
                        ancestor.file_display("cgroup.max.descendants")
                    )),
                );
            }
        }
        if let Some(Limit::Value(max)) = f.limit(&ancestor, interface::CGROUP_MAX_DEPTH) {
            let depth = (new_depth - ancestor.depth()) as u64;
            if depth > max {
                return deny(
                    "EAGAIN",
                    Rule::DescendantLimit,
                    format!(
                        "{ancestor} allows cgroups {max} levels below it (cgroup.max.depth); this would be {depth}"
                    ),
                    Some(format!(
                        "raise {}",
                        ancestor.file_display("cgroup.max.depth")
                    )),
                );
            }
        }
    }
    Ok(format!(
        "you may write the directory {parent}, so you may create {cgroup}"
    ))
}

fn check_rmdir(f: &Facts, cgroup: &CgroupPath) -> Result<String, Denial> {
    must_exist(f, cgroup, "")?;
    if cgroup.is_root() {
        return deny(
            "EBUSY",
            Rule::NotEmpty,
            "the root cgroup cannot be removed".into(),
            None,
        );
    }
    let parent = parent_of(cgroup);
    if !f.writable(&parent, None) {
        return deny(
            "EACCES",
            Rule::Permission,
            format!(
                "removing {cgroup} writes its parent {parent}, owned by {}; {} (a delegatee cannot \
                 remove its own delegation root)",
                f.owner(&parent, None),
                f.me()
            ),
            None,
        );
    }
    let children = f.children(cgroup);
    if !children.is_empty() {
        return deny(
            "EBUSY",
            Rule::NotEmpty,
            format!(
                "{cgroup} has {} child cgroup(s), such as {}",
                children.len(),
                children[0]
            ),
            Some("remove its children first, deepest first".into()),
        );
    }
    let populated = f.populated(cgroup);
    if populated || !f.fs.pids(cgroup).is_empty() {
        return deny(
            "EBUSY",
            Rule::NotEmpty,
            format!("{cgroup} still has processes"),
            Some("move them out, or kill them (cgroup.kill), then remove it".into()),
        );
    }
    Ok(format!(
        "{cgroup} is empty and you may write its parent {parent}"
    ))
}

/// Writes to cgroup.procs (`threadgroup`) or cgroup.threads, in the order of
/// __cgroup_procs_write(): open (VFS), the PID (cgroup_procs_write_start), then
/// cgroup_attach_permissions(): the common ancestor, nsdelegate, cgroup_migrate_vet_dst(), and
/// for a single thread the same domain.
fn check_move(f: &Facts, pid: u32, dst: &CgroupPath, threadgroup: bool) -> Result<String, Denial> {
    let file = if threadgroup {
        "cgroup.procs"
    } else {
        "cgroup.threads"
    };
    must_exist(f, dst, "")?;
    check_file_access(f, dst, file)?;
    check_nsdelegate_root(f, dst, file)?;
    if pid > i32::MAX as u32 {
        return deny(
            "EINVAL",
            Rule::InvalidValue,
            format!("{pid} is not a PID"),
            None,
        );
    }
    let pid = if pid == 0 { std::process::id() } else { pid };
    let Some(src) = cgroup_of(f.fs, ProcRef::Pid(pid), f.actor.namespace_root.as_ref()) else {
        return deny(
            "ESRCH",
            Rule::NoSuchProcess,
            format!("there is no process {pid} in your PID namespace"),
            None,
        );
    };
    if let Some(why) = unmovable_task(f, pid) {
        return deny(
            "EINVAL",
            Rule::InvalidValue,
            format!("process {pid} is {why}: the kernel never migrates it, not even for root"),
            Some("leave kernel threads where they are; they are not a workload".into()),
        );
    }
    let common = common_ancestor(&src, dst);
    if !f.writable(&common, Some("cgroup.procs")) {
        return deny(
            "EACCES",
            Rule::MigrationContainment,
            format!(
                "moving process {pid} from {src} to {dst} needs write access to cgroup.procs of their \
                 common ancestor {common}, owned by {}; {}",
                f.owner(&common, Some("cgroup.procs")),
                f.me()
            ),
            Some(format!(
                "move processes only between cgroups that share an ancestor you own; {dst} is writable \
                 but {common} is not"
            )),
        );
    }
    if f.fs.nsdelegate()
        && !f.actor.init_namespace
        && let Some(root) = &f.actor.namespace_root
        && (!src.starts_with(root) || !dst.starts_with(root))
    {
        return deny(
            "ENOENT",
            Rule::NamespaceScope,
            format!(
                "with nsdelegate, source ({src}) and destination ({dst}) must both lie inside your cgroup \
                 namespace rooted at {root}"
            ),
            None,
        );
    }
    vet_destination(f, dst)?;
    if !threadgroup && f.dom_cgroup(&src) != f.dom_cgroup(dst) {
        return deny(
            "EOPNOTSUPP",
            Rule::ThreadedTopology,
            format!(
                "a single thread may move only within its threaded subtree: {src} belongs to the domain \
                 {}, {dst} to {}",
                f.dom_cgroup(&src),
                f.dom_cgroup(dst)
            ),
            Some(format!(
                "move the whole process through {}",
                dst.file_display("cgroup.procs")
            )),
        );
    }
    Ok(format!(
        "you may write {} and cgroup.procs of the common ancestor {common}",
        dst.file_display(file)
    ))
}

/// cgroup_migrate_vet_dst(): may `dst` take processes?
fn vet_destination(f: &Facts, dst: &CgroupPath) -> Result<(), Denial> {
    let dom = f.dom_cgroup(dst);
    if !f.is_valid_domain(&dom) {
        deny(
            "EOPNOTSUPP",
            Rule::ThreadedTopology,
            format!(
                "{dst} is \"domain invalid\": it sits below a threaded subtree's root without being \
                 threaded itself, so it cannot hold processes"
            ),
            Some(format!(
                "make it threaded (echo threaded > {}) and move threads, or move processes to the thread \
                 root",
                dst.file_display("cgroup.type")
            )),
        )?;
    }
    if dst.is_root() || f.is_threaded(dst) {
        return Ok(());
    }
    let Some(why) = f.cannot_be_thread_root(dst) else {
        // It can become a thread root: only threaded controllers (if any) are enabled.
        return Ok(());
    };
    let enabled = f.fs.controller_list(dst, "cgroup.subtree_control");
    if enabled.is_empty() {
        return Ok(());
    }
    deny(
        "EBUSY",
        Rule::NoInternalProcess,
        format!(
            "{dst} enables controllers for its children ({}) and cannot become a thread root ({why}), so \
             it may not hold processes itself",
            enabled.join(" ")
        ),
        Some(format!("move the process into a leaf below {dst}")),
    )
    .map(|_| ())
}

/// Why the kernel refuses to migrate a task (cgroup_procs_write_start): kthreadd and kernel
/// threads still starting are marked `no_cgroup_migration`, per-CPU kernel threads carry
/// PF_NO_SETAFFINITY. Read from /proc/PID/stat (flags, the 9th field).
fn unmovable_task(f: &Facts, pid: u32) -> Option<&'static str> {
    const PF_KTHREAD: u64 = 0x0020_0000;
    const PF_NO_SETAFFINITY: u64 = 0x0400_0000;
    let path = f.fs.proc_root()?.join(pid.to_string()).join("stat");
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut std::io::Read::take(std::fs::File::open(path).ok()?, 4096),
        &mut text,
    )
    .ok()?;
    let (ppid, flags) = stat_ppid_flags(&text)?;
    if flags & PF_NO_SETAFFINITY != 0 {
        Some("a kernel thread bound to CPUs (PF_NO_SETAFFINITY)")
    } else if flags & PF_KTHREAD != 0 && ppid == 0 {
        Some("kthreadd, the kernel thread that starts the others (no_cgroup_migration)")
    } else {
        None
    }
}

/// `(ppid, flags)` from the text of /proc/PID/stat; the name in parentheses may hold anything,
/// so fields are counted after its last `)`.
fn stat_ppid_flags(text: &str) -> Option<(u32, u64)> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state(3) ppid(4) pgrp session tty_nr tpgid flags(9).
    Some((fields.get(1)?.parse().ok()?, fields.get(6)?.parse().ok()?))
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

/// cgroup_subtree_control_write(): parse every token (EINVAL), then per controller in the
/// kernel's order: available to enable (ENOENT), not in use by a child to disable (EBUSY), then
/// cgroup_vet_subtree_control_enable(). A later token overrides an earlier one (`+x -x` only
/// disables); an empty write changes nothing and succeeds.
fn check_subtree_control(f: &Facts, cgroup: &CgroupPath, value: &str) -> Result<String, Denial> {
    let mut enable: Vec<&str> = Vec::new();
    let mut disable: Vec<&str> = Vec::new();
    for token in value.split(' ').filter(|t| !t.is_empty()) {
        let mut chars = token.chars();
        let sign = chars.next();
        let name = chars.as_str();
        if let Some(why) = f.unknown_controller(name) {
            return deny("EINVAL", Rule::InvalidValue, why, None);
        }
        match sign {
            Some('+') => {
                disable.retain(|c| *c != name);
                enable.push(name);
            }
            Some('-') => {
                enable.retain(|c| *c != name);
                disable.push(name);
            }
            _ => {
                return deny(
                    "EINVAL",
                    Rule::InvalidValue,
                    format!("{token:?}: each token is +NAME or -NAME"),
                    None,
                );
            }
        }
    }
    let available = f.fs.controller_list(cgroup, "cgroup.controllers");
    let enabled = f.fs.controller_list(cgroup, "cgroup.subtree_control");
    let order = |name: &str| {
        SUBSYSTEM_ORDER
            .iter()
            .position(|s| *s == name)
            .unwrap_or(SUBSYSTEM_ORDER.len())
    };
    let mut names: Vec<&str> = enable.iter().chain(&disable).copied().collect();
    names.sort_by_key(|n| order(n));
    names.dedup();
    let mut enabling = Vec::new();
    for name in names {
        let already = enabled.iter().any(|c| c == name);
        if enable.contains(&name) {
            if already {
                continue;
            }
            if !available.iter().any(|c| c == name) {
                let (explanation, fix) = unavailable(f, cgroup, name, &available);
                return deny(
                    "ENOENT",
                    Rule::ControllerUnavailable,
                    explanation,
                    Some(fix),
                );
            }
            enabling.push(name);
        } else if already
            && let Some(child) = f.children(cgroup).into_iter().find(|c| {
                f.fs.controller_list(c, "cgroup.subtree_control")
                    .iter()
                    .any(|x| x == name)
            })
        {
            return deny(
                "EBUSY",
                Rule::ControllerInUseByChild,
                format!("the child {child} still enables {name} in its own cgroup.subtree_control"),
                Some(format!(
                    "disable {name} in the children first, deepest first"
                )),
            );
        }
    }
    vet_subtree_control_enable(f, cgroup, &enabling)?;
    Ok(format!(
        "{cgroup} offers these controllers and nothing below blocks the change"
    ))
}

/// Why `name` is not in `cgroup`'s cgroup.controllers, and what to do.
fn unavailable(
    f: &Facts,
    cgroup: &CgroupPath,
    name: &str,
    available: &[String],
) -> (String, String) {
    let root_has =
        f.fs.controller_list(&CgroupPath::root(), "cgroup.controllers")
            .iter()
            .any(|c| c == name);
    if !root_has {
        return f.absent_from_hierarchy(name);
    }
    let parent = parent_of(cgroup);
    // cgroup_control(): a threaded cgroup gets only the threaded controllers of its parent.
    if f.is_threaded(cgroup) && is_domain_controller(name) {
        return (
            format!(
                "{cgroup} is threaded, and a threaded cgroup is offered only threaded controllers \
                 (cpu, cpuset, perf_event, pids); {name} is a domain controller"
            ),
            format!(
                "domain controllers apply to the whole threaded subtree at its thread root {}; \
                 they cannot be enabled inside it",
                f.dom_cgroup(cgroup)
            ),
        );
    }
    (
        format!(
            "{name} is not in {} ({}): the parent {parent} does not pass it down",
            cgroup.file_display("cgroup.controllers"),
            if available.is_empty() {
                "empty".to_string()
            } else {
                available.join(" ")
            }
        ),
        f.enable_path(cgroup, name),
    )
}

/// cgroup_vet_subtree_control_enable()
fn vet_subtree_control_enable(
    f: &Facts,
    cgroup: &CgroupPath,
    enabling: &[&str],
) -> Result<(), Denial> {
    if enabling.is_empty() {
        return Ok(());
    }
    let dom = f.dom_cgroup(cgroup);
    if !f.is_valid_domain(&dom) {
        deny(
            "EOPNOTSUPP",
            Rule::ThreadedTopology,
            format!(
                "{cgroup} is \"domain invalid\" (below a thread root without being threaded): it can host \
                 no controllers"
            ),
            Some(format!(
                "make it threaded first (echo threaded > {})",
                cgroup.file_display("cgroup.type")
            )),
        )?;
    }
    if cgroup.is_root() {
        return Ok(());
    }
    let domain: Vec<&str> = enabling
        .iter()
        .copied()
        .filter(|c| is_domain_controller(c))
        .collect();
    if !domain.is_empty() {
        if f.is_thread_root(cgroup) || f.is_threaded(cgroup) {
            deny(
                "EOPNOTSUPP",
                Rule::ThreadedTopology,
                format!(
                    "{cgroup} is {} of a threaded subtree: domain controllers ({}) cannot be enabled there, \
                     only threaded ones (cpu, cpuset, pids, perf_event)",
                    if f.is_threaded(cgroup) {
                        "part"
                    } else {
                        "the root"
                    },
                    domain.join(" ")
                ),
                None,
            )?;
        }
    } else if f.is_threaded(cgroup) || f.cannot_be_thread_root(cgroup).is_none() {
        // Threaded controllers handle processes next to children: the cgroup becomes (or is) a
        // thread root.
        return Ok(());
    }
    if f.has_tasks(cgroup) {
        let procs = f.fs.pids(cgroup);
        let names = enabling.join(" ");
        let why = if domain.is_empty() {
            format!(
                " (threaded controllers alone would be allowed, but {cgroup} cannot become a thread root: {})",
                f.cannot_be_thread_root(cgroup).unwrap_or_default()
            )
        } else {
            String::new()
        };
        deny(
            "EBUSY",
            Rule::NoInternalProcess,
            format!(
                "{cgroup} has processes of its own{}, and {names} can only be enabled on a cgroup without \
                 them{why}",
                procs
                    .first()
                    .map(|p| format!(" (such as {p})"))
                    .unwrap_or_default()
            ),
            Some(format!(
                "move its processes into a leaf below {cgroup} first, then enable"
            )),
        )?;
    }
    Ok(())
}

/// cgroup_enable_threaded(): writing "threaded" to cgroup.type.
fn check_cgroup_type(f: &Facts, cgroup: &CgroupPath) -> Result<String, Denial> {
    if f.is_threaded(cgroup) {
        return Ok(format!("{cgroup} is threaded already"));
    }
    let populated = f.populated(cgroup);
    let domain = f.domain_enabled(cgroup);
    if populated || !domain.is_empty() {
        return deny(
            "EOPNOTSUPP",
            Rule::ThreadedTopology,
            format!(
                "{cgroup} cannot become threaded while it {}",
                if populated {
                    "or a descendant has processes".to_string()
                } else {
                    format!(
                        "passes domain controllers ({}) to its children",
                        domain.join(" ")
                    )
                }
            ),
            Some("make an empty leaf threaded instead".into()),
        );
    }
    // It joins its parent's domain, which becomes (or is) the thread root.
    let dom = f.dom_cgroup(&parent_of(cgroup));
    if !f.is_valid_domain(&dom) {
        return deny(
            "EOPNOTSUPP",
            Rule::ThreadedTopology,
            format!(
                "its parent's domain {dom} is \"domain invalid\", so it cannot be a thread root"
            ),
            None,
        );
    }
    if let Some(why) = f.cannot_be_thread_root(&dom) {
        return deny(
            "EOPNOTSUPP",
            Rule::ThreadedTopology,
            format!("{dom} would become the thread root, but cannot: {why}"),
            Some(format!(
                "empty {dom}'s domain children, or make the threaded cgroup elsewhere"
            )),
        );
    }
    Ok(format!(
        "{cgroup} is empty and {dom} can be its thread root"
    ))
}

/// Why `file` does not exist in `cgroup` (open(2) answers ENOENT): a misspelt name, a
/// controller its parent does not enable, a controller this hierarchy lacks, or a file the
/// root cgroup or this kernel does not have.
fn missing_file(f: &Facts, cgroup: &CgroupPath, file: &str) -> (Rule, String, Option<String>) {
    let shown = cgroup.file_display(file);
    let core =
        file.starts_with("cgroup.") || file.ends_with(".pressure") || file.starts_with("cpu.stat");
    if interface::lookup(file).is_none() {
        // The files this cgroup has (a directory of at most a few hundred entries).
        let present: Vec<String> =
            f.fs.files(cgroup, 1024)
                .ok()
                .flatten()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|name| name.into_string().ok())
                .collect();
        let near = crate::rules::near_names(
            file,
            present
                .iter()
                .map(String::as_str)
                .chain(interface::names().map(|name| -> &str { name })),
        );
        let prefix = controller_of(file).unwrap_or("");
        let no_controller = !core
            && !prefix.is_empty()
            && f.unknown_controller(prefix).is_some()
            && !SUBSYSTEM_ORDER.contains(&prefix);
        let mut explanation =
            format!("{shown} does not exist: no kernel has an interface file named {file:?}");
        if no_controller {
            explanation.push_str(&format!(", and there is no controller named {prefix:?}"));
        }
        let fix = if near.is_empty() {
            format!(
                "list the files with: ls {}",
                shell_word(f.fs.dir(cgroup).as_os_str().as_bytes())
            )
        } else {
            format!("did you mean {}?", near.join(", "))
        };
        return (Rule::InvalidValue, explanation, Some(fix));
    }
    let controller = controller_of(file).filter(|_| !core);
    let offered = |c: &str| {
        f.fs.controller_list(cgroup, "cgroup.controllers")
            .iter()
            .any(|x| x == c)
    };
    match controller {
        Some(c) if !offered(c) => {
            let root_has =
                f.fs.controller_list(&CgroupPath::root(), "cgroup.controllers")
                    .iter()
                    .any(|x| x == c);
            if cgroup.is_root() || !root_has {
                let (why, fix) = f.absent_from_hierarchy(c);
                (
                    Rule::ControllerNotEnabled,
                    format!("{shown} does not exist: {why}"),
                    Some(fix),
                )
            } else {
                let parent = parent_of(cgroup);
                (
                    Rule::ControllerNotEnabled,
                    format!(
                        "{shown} does not exist: the {c} controller is not enabled by the parent {parent} \
                         (its cgroup.subtree_control lacks {c})"
                    ),
                    Some(f.enable_path(cgroup, c)),
                )
            }
        }
        _ if cgroup.is_root() => (
            Rule::InvalidValue,
            format!("{shown} does not exist: the root cgroup has no {file}"),
            Some(
                "the root cgroup has fewer files than the others: limits apply to its children"
                    .into(),
            ),
        ),
        _ => (
            Rule::InvalidValue,
            format!(
                "{shown} does not exist: this kernel does not provide {file} (a newer kernel, or a build \
                 option such as a scheduler or PSI feature, adds it)"
            ),
            None,
        ),
    }
}

fn check_set(
    f: &Facts,
    cgroup: &CgroupPath,
    file: &str,
    raw_value: &str,
) -> Result<String, Denial> {
    must_exist(f, cgroup, "")?;
    if file.contains('/') || file.starts_with('.') || file.is_empty() {
        return deny(
            "EINVAL",
            Rule::InvalidValue,
            format!("{file:?} is not an interface file name"),
            None,
        );
    }
    if f.fs.stat_file(cgroup, file).ok().flatten().is_none() {
        let (rule, explanation, fix) = missing_file(f, cgroup, file);
        return deny("ENOENT", rule, explanation, fix);
    }
    check_file_access(f, cgroup, file)?;
    // cgroup_file_write(): a write of no bytes returns at once, before any other check.
    if raw_value.is_empty() {
        return Ok(format!(
            "you may write {}, and an empty write changes nothing (the kernel returns at once)",
            cgroup.file_display(file)
        ));
    }
    check_nsdelegate_root(f, cgroup, file)?;
    // cgroup_file_write(): a file with no write handler refuses every write (root opens it by
    // CAP_DAC_OVERRIDE; others are stopped by its mode first).
    if read_only(f, cgroup, file) {
        return deny(
            "EINVAL",
            Rule::InvalidValue,
            format!(
                "{} is read-only: it has no write handler, so the kernel refuses any write with \
                 EINVAL (root may open it for writing, by capability)",
                cgroup.file_display(file)
            ),
            Some("read it; nothing can write it".into()),
        );
    }
    if file == "cgroup.procs" || file == "cgroup.threads" {
        return match value::kernel_pid(raw_value) {
            Some(pid) => check_move(f, pid, cgroup, file == "cgroup.procs"),
            None => deny(
                "EINVAL",
                Rule::InvalidValue,
                format!(
                    "{raw_value:?} is not a PID: the kernel reads one with kstrtoint(base 0) \
                     after stripping blanks (4242, 0x1092 and 010222 are the same PID)"
                ),
                None,
            ),
        };
    }
    let value = match value::check(f.fs, cgroup, file, raw_value) {
        Ok(v) => v,
        Err(invalid) => {
            let rule = if invalid.errno == "ENODEV" {
                Rule::NoSuchDevice
            } else {
                Rule::InvalidValue
            };
            return deny(invalid.errno, rule, invalid.to_string(), None);
        }
    };
    match file {
        "cgroup.subtree_control" => check_subtree_control(f, cgroup, &value),
        "cgroup.type" => check_cgroup_type(f, cgroup),
        "memory.reclaim" => check_reclaim(f, cgroup, &value),
        "cgroup.kill" if f.cgroup_type(cgroup) == Some(CgroupType::Threaded) => deny(
            "EOPNOTSUPP",
            Rule::ThreadedTopology,
            format!("{cgroup} is threaded: kill its thread-group root instead"),
            None,
        ),
        _ => Ok(format!(
            "you may write {} and {value:?} is valid",
            cgroup.file_display(file)
        )),
    }
}

/// memory_reclaim(): reclaim is retried a few times, then EAGAIN unless the pages asked for
/// were given back; a cgroup cannot give back more than it holds (memory.current).
fn check_reclaim(f: &Facts, cgroup: &CgroupPath, value: &str) -> Result<String, Denial> {
    const PAGE: u64 = 4096;
    let asked = value::reclaim_request(value, value::kernel_version()).unwrap_or(0) / PAGE;
    let current = f.fs.get(cgroup, interface::MEMORY_CURRENT).ok().flatten();
    match current {
        Some(current) if asked > current / PAGE => deny(
            "EAGAIN",
            Rule::InvalidValue,
            format!(
                "{cgroup} holds {current} bytes (memory.current) and cannot give back {} bytes: \
                 memory.reclaim tries a few times, then answers EAGAIN",
                asked * PAGE
            ),
            Some(format!(
                "ask for at most {current} bytes; less is reclaimable"
            )),
        ),
        _ if asked == 0 => Ok(format!(
            "you may write {}; it asks for less than a page, so nothing is reclaimed",
            cgroup.file_display("memory.reclaim")
        )),
        _ => Ok(format!(
            "you may write {} and {value:?} is valid (the kernel answers EAGAIN if it cannot \
             reclaim that much)",
            cgroup.file_display("memory.reclaim")
        )),
    }
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
                return busctl_set_unit_properties(manager, unit, &props);
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
    manager: systemd::Manager,
    unit: &crate::escape::SysText,
    props: &[(String, systemd::PropertyValue)],
) -> String {
    let target = match manager {
        systemd::Manager::System => String::new(),
        systemd::Manager::User { uid } => {
            format!(" --user --machine={}@.host", user_name(uid))
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
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn shell_words_are_quoted_and_inert() {
        assert_eq!(
            shell_word(b"/sys/fs/cgroup/a.slice"),
            "/sys/fs/cgroup/a.slice"
        );
        assert_eq!(shell_word(b"+memory -io"), "'+memory -io'");
        assert_eq!(shell_word(b"it's"), "'it'\\''s'");
        assert_eq!(shell_word(b"evil\x1b]0;x\x07"), "'evil\\e]0;x\\x07'");
    }

    #[test]
    fn threaded_controllers_on_a_cgroup_with_processes_warn_of_a_thread_root() {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("cgroup.controllers", "cpu memory\n");
        write("cgroup.subtree_control", "cpu memory\n");
        for (file, text) in [
            ("cgroup.controllers", "cpu memory\n"),
            ("cgroup.subtree_control", "\n"),
            ("cgroup.type", "domain\n"),
            ("cgroup.procs", "4242\n"),
            ("cgroup.threads", "4242\n"),
            ("cgroup.events", "populated 1\nfrozen 0\n"),
        ] {
            write(&format!("busy/{file}"), text);
        }
        let fs = Cgroupfs::fixture(dir.path()).unwrap();
        let busy = CgroupPath::from_relative(Path::new("busy")).unwrap();
        let set = |value: &str| Op::Set {
            cgroup: busy.clone(),
            file: "cgroup.subtree_control".into(),
            value: value.into(),
        };
        let actor = Actor::current(&fs);
        let threaded = predict(&fs, &actor, &set("+cpu"));
        assert!(threaded.allowed(), "{threaded:?}");
        assert!(
            threaded
                .warnings
                .iter()
                .any(|w| w.contains("makes it a thread root")),
            "{threaded:?}"
        );
        // A domain controller is refused there (no internal processes), with no such warning.
        let domain = predict(&fs, &actor, &set("+memory"));
        assert_eq!(domain.errno.as_deref(), Some("EBUSY"), "{domain:?}");
        assert!(domain.warnings.iter().all(|w| !w.contains("thread root")));
    }

    #[test]
    fn common_ancestors() {
        let p = |s: &str| CgroupPath::from_relative(Path::new(s)).unwrap();
        assert_eq!(common_ancestor(&p("a/c0/c01"), &p("a/c1/c11")), p("a"));
        assert_eq!(common_ancestor(&p("x/y"), &p("z")), CgroupPath::root());
        assert_eq!(common_ancestor(&p("a/b"), &p("a/b/c")), p("a/b"));
    }
}
