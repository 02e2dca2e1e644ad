//! Controllers: cgroup.subtree_control and cgroup.type.

use super::*;

/// cgroup_subtree_control_write(): parse every token (EINVAL), then per controller in the
/// kernel's order: available to enable (ENOENT), not in use by a child to disable (EBUSY), then
/// cgroup_vet_subtree_control_enable(). A later token overrides an earlier one (`+x -x` only
/// disables); an empty write changes nothing and succeeds.
pub(super) fn check_subtree_control(
    f: &Facts,
    cgroup: &CgroupPath,
    value: &str,
) -> Result<String, Denial> {
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
pub(super) fn unavailable(
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
pub(super) fn vet_subtree_control_enable(
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
pub(super) fn check_cgroup_type(f: &Facts, cgroup: &CgroupPath) -> Result<String, Denial> {
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
