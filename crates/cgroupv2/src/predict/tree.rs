//! mkdir, rmdir and moving processes.

use super::*;

pub(super) fn check_mkdir(f: &Facts, cgroup: &CgroupPath) -> Result<String, Denial> {
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

pub(super) fn check_rmdir(f: &Facts, cgroup: &CgroupPath) -> Result<String, Denial> {
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
pub(super) fn check_move(
    f: &Facts,
    pid: u32,
    dst: &CgroupPath,
    threadgroup: bool,
) -> Result<String, Denial> {
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
    // 0 is the writer itself (cgroup_procs_write_start()).
    let process = if pid == 0 {
        ProcRef::Own
    } else {
        ProcRef::Pid(pid)
    };
    let pid = if pid == 0 { std::process::id() } else { pid };
    let Some(src) = cgroup_of(f.fs, process, f.actor.namespace_root.as_ref()) else {
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
                "move processes only between cgroups that share an ancestor whose cgroup.procs you can \
                 write; {dst} is writable but {common}/cgroup.procs is not"
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
pub(super) fn vet_destination(f: &Facts, dst: &CgroupPath) -> Result<(), Denial> {
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
pub(super) fn unmovable_task(f: &Facts, pid: u32) -> Option<&'static str> {
    const PF_NO_SETAFFINITY: u64 = 0x0400_0000;
    let path = f.fs.proc_root()?.join(pid.to_string()).join("stat");
    let mut text = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(std::fs::File::open(path).ok()?, 4096),
        &mut text,
    )
    .ok()?;
    let stat = crate::process::parse_stat(&text)?;
    if stat.flags & PF_NO_SETAFFINITY != 0 {
        Some("a kernel thread bound to CPUs (PF_NO_SETAFFINITY)")
    } else if stat.flags & crate::process::PF_KTHREAD != 0 && stat.ppid == 0 {
        Some("kthreadd, the kernel thread that starts the others (no_cgroup_migration)")
    } else {
        None
    }
}
