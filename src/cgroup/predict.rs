//! Predicting what the kernel will answer to a change, before making it.
//!
//! The checks follow the kernel's own order (kernel/cgroup/cgroup.c): the VFS permission of the
//! file or directory first, then nsdelegate, then the file's handler (value grammar, controller
//! availability, the no-internal-process rule, containment through the common ancestor). The
//! first check that fails is the verdict, as it is for the kernel.

use crate::cgroup::edit::Op;
use crate::cgroup::fs::Cgroupfs;
use crate::cgroup::parse::{self, CgroupType, Limit};
use crate::cgroup::path::CgroupPath;
use crate::cgroup::process::user_name;
use crate::cgroup::rules::{DOMAIN_CONTROLLERS, Rule, controller_of};
use crate::cgroup::systemd;
use crate::cgroup::value::{self, Context};
use serde::Serialize;
use std::ffi::OsStr;
use std::path::Path;

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
    let Some(own_relative) = std::fs::read_to_string("/proc/self/cgroup")
        .ok()
        .and_then(|t| crate::cgroup::process::parse_proc_cgroup(&t))
    else {
        return (false, None);
    };
    let pid = std::process::id();
    let depth = up_levels + own_relative.depth();
    let own = fs.walk(&CgroupPath::root()).into_iter().find(|c| {
        c.depth() == depth
            && fs
                .read(c, "cgroup.procs", parse::pid_list)
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
            .read(cgroup, "cgroup.events", parse::cgroup_events)
            .ok()
            .flatten()
            .is_some_and(|e| e.populated)
    }

    /// The domain controllers this cgroup passes to its children.
    fn domain_enabled(&self, cgroup: &CgroupPath) -> Vec<String> {
        self.fs
            .controller_list(cgroup, "cgroup.subtree_control")
            .into_iter()
            .filter(|c| DOMAIN_CONTROLLERS.contains(&c.as_str()))
            .collect()
    }

    fn cgroup_type(&self, cgroup: &CgroupPath) -> Option<CgroupType> {
        self.fs
            .read(cgroup, "cgroup.type", parse::cgroup_type)
            .ok()
            .flatten()
    }

    /// faccessat(AT_EACCESS): may this process write `path`? (Root passes by capability.)
    fn writable(&self, path: &Path, directory: bool) -> bool {
        use rustix::fs::{Access, AtFlags, CWD, accessat};
        let mode = if directory {
            Access::WRITE_OK | Access::EXEC_OK
        } else {
            Access::WRITE_OK
        };
        accessat(CWD, path, mode, AtFlags::EACCESS).is_ok()
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
                user_name(s.uid),
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
            None => matches!(
                file,
                "cgroup.procs"
                    | "cgroup.threads"
                    | "cgroup.subtree_control"
                    | "memory.oom.group"
                    | "memory.reclaim"
            ),
        }
    }

    /// Controllers this kernel has and has enabled, from /proc/cgroups; `None` if unreadable.
    fn known_controllers(&self) -> Option<Vec<String>> {
        let text = std::fs::read_to_string(self.fs.proc_root()?.join("cgroups")).ok()?;
        Some(
            text.lines()
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| {
                    let fields: Vec<&str> = l.split_whitespace().collect();
                    // /proc/cgroups lists v1 names: the io controller appears as blkio.
                    let name = match fields.first()? {
                        &"blkio" => "io",
                        other => other,
                    };
                    (fields.len() >= 4 && fields[3] == "1").then(|| name.to_string())
                })
                .collect(),
        )
    }

    fn limit(&self, cgroup: &CgroupPath, file: &str) -> Option<Limit> {
        self.fs.read(cgroup, file, parse::limit).ok().flatten()
    }
}

fn parent_of(cgroup: &CgroupPath) -> CgroupPath {
    cgroup.parent().unwrap_or_default()
}

/// VFS: may the actor write this interface file?
fn check_file_access(f: &Facts, cgroup: &CgroupPath, file: &str) -> Result<String, Denial> {
    if f.writable(&f.fs.dir(cgroup).join(file), false) {
        return Ok(String::new());
    }
    let owner = f.owner(cgroup, Some(file));
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
    let parent = parent_of(cgroup);
    if !f.fs.exists(&parent) {
        return deny(
            "ENOENT",
            Rule::NoSuchCgroup,
            format!("the parent {parent} does not exist"),
            None,
        );
    }
    if !f.writable(&f.fs.dir(&parent), true) {
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
    if f.fs.stat(cgroup).ok().flatten().is_some()
        || f.fs
            .stat_file(&parent, &cgroup.name().to_string_lossy())
            .ok()
            .flatten()
            .is_some()
    {
        return deny(
            "EEXIST",
            Rule::InvalidValue,
            format!("{cgroup} already exists (as a cgroup or an interface file)"),
            Some("pick another name".into()),
        );
    }
    // cgroup.max.descendants and cgroup.max.depth of the parent and every ancestor.
    let new_depth = cgroup.depth();
    for ancestor in std::iter::once(parent.clone()).chain(parent.ancestors()) {
        if let Some(Limit::Value(max)) = f.limit(&ancestor, "cgroup.max.descendants") {
            let now =
                f.fs.read(&ancestor, "cgroup.stat", parse::cgroup_stat)
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
        if let Some(Limit::Value(max)) = f.limit(&ancestor, "cgroup.max.depth") {
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
    if !f.fs.exists(cgroup) {
        return deny(
            "ENOENT",
            Rule::NoSuchCgroup,
            format!("{cgroup} does not exist"),
            None,
        );
    }
    if cgroup.is_root() {
        return deny(
            "EBUSY",
            Rule::NotEmpty,
            "the root cgroup cannot be removed".into(),
            None,
        );
    }
    let parent = parent_of(cgroup);
    if !f.writable(&f.fs.dir(&parent), true) {
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

fn check_move(f: &Facts, pid: u32, dst: &CgroupPath) -> Result<String, Denial> {
    if !f.fs.exists(dst) {
        return deny(
            "ENOENT",
            Rule::NoSuchCgroup,
            format!("{dst} does not exist"),
            None,
        );
    }
    check_file_access(f, dst, "cgroup.procs")?;
    check_nsdelegate_root(f, dst, "cgroup.procs")?;
    if pid > i32::MAX as u32 {
        return deny(
            "EINVAL",
            Rule::InvalidValue,
            format!("{pid} is not a PID"),
            None,
        );
    }
    let pid = if pid == 0 { std::process::id() } else { pid };
    let Some(src) = source_cgroup(f, pid) else {
        return deny(
            "ESRCH",
            Rule::NoSuchProcess,
            format!("there is no process {pid} in your PID namespace"),
            None,
        );
    };
    let common = common_ancestor(&src, dst);
    if !f.writable(&f.fs.dir(&common).join("cgroup.procs"), false) {
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
    if f.cgroup_type(dst) == Some(CgroupType::DomainInvalid) {
        return deny(
            "EOPNOTSUPP",
            Rule::ThreadedTopology,
            format!(
                "{dst} is \"domain invalid\": it cannot hold processes until its parent's threaded subtree is sorted out"
            ),
            None,
        );
    }
    let threaded = f.cgroup_type(dst) == Some(CgroupType::Threaded);
    let domain_enabled: Vec<String> = f.domain_enabled(dst);
    if !dst.is_root() && !threaded && !domain_enabled.is_empty() {
        return deny(
            "EBUSY",
            Rule::NoInternalProcess,
            format!(
                "{dst} passes domain controllers ({}) to its children, so it may not hold processes itself",
                domain_enabled.join(" ")
            ),
            Some(format!("move the process into a leaf below {dst}")),
        );
    }
    Ok(format!(
        "you may write {} and cgroup.procs of the common ancestor {common}",
        dst.file_display("cgroup.procs")
    ))
}

/// The cgroup of a process, as a path from the mount. /proc/PID/cgroup names it relative to our
/// cgroup namespace root, with `..` for cgroups outside the namespace.
fn source_cgroup(f: &Facts, pid: u32) -> Option<CgroupPath> {
    let text =
        std::fs::read_to_string(f.fs.proc_root()?.join(pid.to_string()).join("cgroup")).ok()?;
    let relative = text.lines().find_map(|l| l.strip_prefix("0::"))?;
    let mut path: Vec<std::ffi::OsString> = f
        .actor
        .namespace_root
        .clone()
        .unwrap_or_default()
        .as_path()
        .iter()
        .map(|c| c.to_os_string())
        .collect();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                path.pop();
            }
            name => path.push(name.into()),
        }
    }
    let joined: std::path::PathBuf = path.iter().collect();
    CgroupPath::from_relative(&joined)
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

fn check_subtree_control(f: &Facts, cgroup: &CgroupPath, value: &str) -> Result<String, Denial> {
    let available = f.fs.controller_list(cgroup, "cgroup.controllers");
    let enabled = f.fs.controller_list(cgroup, "cgroup.subtree_control");
    let mut enabling = Vec::new();
    // The kernel knows the controllers compiled in and enabled (/proc/cgroups); any other name
    // is a syntax error (EINVAL), before availability is even looked at.
    let known = f.known_controllers();
    for token in value.split_whitespace() {
        let (_, name) = token.split_at(1);
        if let Some(known) = &known
            && !known.iter().any(|k| k == name)
        {
            return deny(
                "EINVAL",
                Rule::InvalidValue,
                format!("this kernel has no controller named {name:?} (see /proc/cgroups)"),
                None,
            );
        }
    }
    for token in value.split_whitespace() {
        let (sign, name) = token.split_at(1);
        let already = enabled.iter().any(|c| c == name);
        if sign == "+" {
            if already {
                continue;
            }
            if !available.iter().any(|c| c == name) {
                let parent = parent_of(cgroup);
                return deny(
                    "ENOENT",
                    Rule::ControllerUnavailable,
                    format!(
                        "{name} is not in {} ({}): the parent {parent} does not pass it down",
                        cgroup.file_display("cgroup.controllers"),
                        if available.is_empty() {
                            "empty".to_string()
                        } else {
                            available.join(" ")
                        }
                    ),
                    Some(if cgroup.is_root() {
                        format!(
                            "{name} is not in this cgroup2 hierarchy (bound to cgroup v1, or not built)"
                        )
                    } else if f
                        .fs
                        .controller_list(&parent, "cgroup.controllers")
                        .iter()
                        .any(|c| c == name)
                    {
                        format!(
                            "enable it in {} first",
                            parent.file_display("cgroup.subtree_control")
                        )
                    } else if parent.is_root() {
                        format!(
                            "{name} is not in this cgroup2 hierarchy (bound to cgroup v1, or not built)"
                        )
                    } else {
                        format!(
                            "{name} is not available in {parent} either: enable it from the top down"
                        )
                    }),
                );
            }
            enabling.push(name.to_string());
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
    let domain: Vec<&String> = enabling
        .iter()
        .filter(|c| DOMAIN_CONTROLLERS.contains(&c.as_str()))
        .collect();
    if !domain.is_empty() && !cgroup.is_root() {
        let threaded = matches!(
            f.cgroup_type(cgroup),
            Some(CgroupType::Threaded | CgroupType::DomainThreaded)
        );
        if threaded {
            return deny(
                "EOPNOTSUPP",
                Rule::ThreadedTopology,
                format!(
                    "{cgroup} is part of a threaded subtree: domain controllers ({}) cannot be enabled",
                    domain[0]
                ),
                None,
            );
        }
        let procs = f.fs.pids(cgroup);
        if !procs.is_empty() {
            return deny(
                "EBUSY",
                Rule::NoInternalProcess,
                format!(
                    "{cgroup} has {} process(es) of its own (such as {}), and a domain controller ({}) can only \
                     be enabled on a cgroup without them",
                    procs.len(),
                    procs[0],
                    domain
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                Some(format!(
                    "move its processes into a leaf below {cgroup} first, then enable"
                )),
            );
        }
    }
    Ok(format!(
        "{cgroup} offers these controllers and nothing below blocks the change"
    ))
}

fn check_cgroup_type(f: &Facts, cgroup: &CgroupPath) -> Result<String, Denial> {
    if f.cgroup_type(cgroup) == Some(CgroupType::Threaded) {
        return Ok(format!("{cgroup} is threaded already"));
    }
    let populated = f.populated(cgroup);
    let domain: Vec<String> = f.domain_enabled(cgroup);
    if populated || !domain.is_empty() {
        return deny(
            "EOPNOTSUPP",
            Rule::ThreadedTopology,
            format!(
                "{cgroup} cannot become threaded while it {}",
                if populated {
                    "has processes"
                } else {
                    "enables domain controllers for its children"
                }
            ),
            Some("make an empty leaf threaded instead".into()),
        );
    }
    // The parent becomes the thread root: unless it is the root cgroup, it may enable no domain
    // controller and have no populated domain child (cgroup_can_be_thread_root()).
    let parent = parent_of(cgroup);
    if !parent.is_root() {
        let parent_domain =
            f.fs.controller_list(&parent, "cgroup.subtree_control")
                .into_iter()
                .any(|c| DOMAIN_CONTROLLERS.contains(&c.as_str()));
        if parent_domain {
            return deny(
                "EOPNOTSUPP",
                Rule::ThreadedTopology,
                format!(
                    "its parent {parent} enables domain controllers, so it cannot be a thread root"
                ),
                None,
            );
        }
        let populated_domain_child = f.children(&parent).into_iter().find(|child| {
            child != cgroup
                && f.cgroup_type(child) != Some(CgroupType::Threaded)
                && f.populated(child)
        });
        if let Some(child) = populated_domain_child {
            return deny(
                "EOPNOTSUPP",
                Rule::ThreadedTopology,
                format!(
                    "its parent {parent} has a populated domain child ({child}): a thread root may have \
                     either domain or threaded children, not both"
                ),
                Some(format!(
                    "empty {child}, or make the threaded cgroup elsewhere"
                )),
            );
        }
    }
    Ok(format!(
        "{cgroup} is empty and its parent can be a thread root"
    ))
}

fn check_set(
    f: &Facts,
    cgroup: &CgroupPath,
    file: &str,
    raw_value: &str,
) -> Result<String, Denial> {
    if !f.fs.exists(cgroup) {
        return deny(
            "ENOENT",
            Rule::NoSuchCgroup,
            format!("{cgroup} does not exist"),
            None,
        );
    }
    if file.contains('/') || file.starts_with('.') || file.is_empty() {
        return deny(
            "EINVAL",
            Rule::InvalidValue,
            format!("{file:?} is not an interface file name"),
            None,
        );
    }
    if f.fs.stat_file(cgroup, file).ok().flatten().is_none() {
        return match controller_of(file) {
            Some(controller)
                if !f
                    .fs
                    .controller_list(cgroup, "cgroup.controllers")
                    .iter()
                    .any(|c| c == controller) =>
            {
                let parent = parent_of(cgroup);
                deny(
                    "ENOENT",
                    Rule::ControllerNotEnabled,
                    format!(
                        "{} does not exist: the {controller} controller is not enabled by the parent {parent}",
                        cgroup.file_display(file)
                    ),
                    Some(format!(
                        "write +{controller} to {}",
                        parent.file_display("cgroup.subtree_control")
                    )),
                )
            }
            _ => deny(
                "ENOENT",
                Rule::InvalidValue,
                format!("{cgroup} has no interface file {file}"),
                if cgroup.is_root() {
                    Some("the root cgroup has fewer files than the others".into())
                } else {
                    None
                },
            ),
        };
    }
    check_file_access(f, cgroup, file)?;
    check_nsdelegate_root(f, cgroup, file)?;
    if file == "cgroup.procs" || file == "cgroup.threads" {
        return match raw_value.trim().parse::<u32>() {
            Ok(pid) => check_move(f, pid, cgroup),
            Err(_) => deny(
                "EINVAL",
                Rule::InvalidValue,
                format!("{raw_value:?} is not a PID"),
                None,
            ),
        };
    }
    let current_period = if file == "cpu.max" {
        f.fs.read(cgroup, "cpu.max", parse::cpu_max)
            .ok()
            .flatten()
            .map(|m| m.period_usec)
    } else {
        None
    };
    let devices = f.fs.devices();
    let ctx = Context {
        cpu_period: current_period,
        devices: Some(&devices),
    };
    let value = match value::normalize(file, raw_value, &ctx) {
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

/// Predict the kernel's answer to `op` for `actor`, without changing anything.
pub fn predict(fs: &Cgroupfs, actor: &Actor, op: &Op) -> Prediction {
    let facts = Facts { fs, actor };
    let (file, value, result) = match op {
        Op::Mkdir { cgroup } => (None, None, check_mkdir(&facts, cgroup)),
        Op::Rmdir { cgroup } => (None, None, check_rmdir(&facts, cgroup)),
        Op::Move { pid, cgroup } => (
            Some("cgroup.procs".to_string()),
            Some(pid.to_string()),
            check_move(&facts, *pid, cgroup),
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
    if let (Some(manager), Some(unit), true) = (owner.manager, &owner.unit, writes_limits) {
        warnings.push(format!(
            "systemd-managed: {unit} belongs to {manager}; the kernel allows a direct write, but systemd's \
             single-writer rule says change it through SetUnitProperties (cgtui set does, by default)"
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
    }
}

/// A cgroup name for a not-yet-existing child, for "may I create children here?".
pub fn probe_child(cgroup: &CgroupPath) -> CgroupPath {
    cgroup.join(OsStr::new("cgtui-probe"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_ancestors() {
        let p = |s: &str| CgroupPath::from_relative(Path::new(s)).unwrap();
        assert_eq!(common_ancestor(&p("a/c0/c01"), &p("a/c1/c11")), p("a"));
        assert_eq!(common_ancestor(&p("x/y"), &p("z")), CgroupPath::root());
        assert_eq!(common_ancestor(&p("a/b"), &p("a/b/c")), p("a/b"));
    }
}
