//! Writes to interface files: access, read-only files, values by their grammar.

use super::*;

/// VFS: may the actor write this interface file?
pub(super) fn check_file_access(
    f: &Facts,
    cgroup: &CgroupPath,
    file: &str,
) -> Result<String, Denial> {
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
pub(super) fn read_only(f: &Facts, cgroup: &CgroupPath, file: &str) -> bool {
    f.fs.stat_file(cgroup, file)
        .ok()
        .flatten()
        .is_some_and(|s| s.mode & 0o222 == 0)
}

/// nsdelegate: inside a non-initial namespace, only delegatable files of its root may be written.
pub(super) fn check_nsdelegate_root(
    f: &Facts,
    cgroup: &CgroupPath,
    file: &str,
) -> Result<String, Denial> {
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

/// Why `file` does not exist in `cgroup` (open(2) answers ENOENT): a misspelt name, a
/// controller its parent does not enable, a controller this hierarchy lacks, or a file the
/// root cgroup or this kernel does not have.
pub(super) fn missing_file(
    f: &Facts,
    cgroup: &CgroupPath,
    file: &str,
) -> (Rule, String, Option<String>) {
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

pub(super) fn check_set(
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
pub(super) fn check_reclaim(f: &Facts, cgroup: &CgroupPath, value: &str) -> Result<String, Denial> {
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
