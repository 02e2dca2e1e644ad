//! Why a value is missing: a column shows `-`, and the details say which rule is behind it.

use crate::model::{Model, Node};

/// A kind of value the tree shows, with the controller and file it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Memory,
    MemoryLimit,
    Io,
    Pids,
    Psi,
}

impl Metric {
    fn source(self) -> (Option<&'static str>, &'static str) {
        match self {
            Metric::Memory => (Some("memory"), "memory.current"),
            Metric::MemoryLimit => (Some("memory"), "memory.max"),
            Metric::Io => (Some("io"), "io.stat"),
            Metric::Pids => (Some("pids"), "pids.current"),
            Metric::Psi => (None, "cpu.pressure"),
        }
    }
}

fn lacks(list: &Option<Vec<String>>, controller: &str) -> bool {
    list.as_ref()
        .is_some_and(|l| !l.iter().any(|c| c == controller))
}

/// A sentence saying why `metric` has no value for `node`, or `None` if it has one.
pub fn missing_reason(model: &Model, node: &Node, metric: Metric) -> Option<String> {
    let (controller, file) = metric.source();
    let Some(sample) = node.sample.as_ref() else {
        return Some("not read yet".into());
    };
    let present = match metric {
        Metric::Memory => sample.memory.current.is_some(),
        Metric::MemoryLimit => sample.memory.max.is_some() || sample.memory.high.is_some(),
        Metric::Io => sample.io.is_some(),
        Metric::Pids => sample.pids.current.is_some(),
        Metric::Psi => {
            sample.psi.cpu.is_some() || sample.psi.memory.is_some() || sample.psi.io.is_some()
        }
    };
    if present {
        return None;
    }
    if let Some(problem) = sample.unreadable.iter().find(|u| u.file == file) {
        return Some(format!("{file} cannot be read: {}", problem.reason));
    }
    let Some(controller) = controller else {
        return Some(format!(
            "{file} does not exist: the kernel was built or booted without PSI (psi=1 enables it)"
        ));
    };
    if let Some(root) = model.hierarchy_controllers()
        && !root.iter().any(|c| c == controller)
    {
        let available = root.join(" ");
        return Some(format!(
            "the {controller} controller is not in this cgroup2 hierarchy (root cgroup.controllers: \
             {available}); on a hybrid host it is bound to cgroup v1"
        ));
    }
    if node.path.is_root() {
        return Some(format!(
            "the root cgroup has no {file}: its resources are the whole machine's"
        ));
    }
    let parent = node.parent.map(|p| model.node(p));
    match parent.and_then(|p| p.sample.as_ref().map(|s| (p, s))) {
        Some((parent, parent_sample)) if lacks(&parent_sample.subtree_control, controller) => {
            let mut reason = format!(
                "{controller} controller not enabled by parent {} (its cgroup.subtree_control lacks {controller})",
                parent.path
            );
            if lacks(&parent_sample.controllers, controller) {
                reason.push_str(&format!(
                    "; {controller} is not even available there: an ancestor stopped it"
                ));
            }
            Some(reason)
        }
        // The top of a tree shown from below the hierarchy's root: its parent is not in the
        // model, but its own cgroup.controllers says what the parent passes down.
        None if lacks(&sample.controllers, controller) => Some(format!(
            "{controller} controller not enabled by parent {} (its cgroup.subtree_control lacks {controller})",
            node.path.parent().unwrap_or_default()
        )),
        _ => Some(format!("{file} does not exist in this cgroup")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::{CgroupPath, CgroupSample};
    use crate::model::TreeSample;
    use std::path::Path;
    use std::time::Instant;

    fn with_controllers(controllers: &str, subtree: &str) -> CgroupSample {
        CgroupSample {
            controllers: Some(controllers.split_whitespace().map(String::from).collect()),
            subtree_control: Some(subtree.split_whitespace().map(String::from).collect()),
            ..CgroupSample::default()
        }
    }

    #[test]
    fn explains_root_parent_and_hierarchy() {
        let p = |s: &str| CgroupPath::from_relative(Path::new(s)).unwrap();
        let mut m = Model::new(CgroupPath::root(), Default::default());
        let t = Instant::now();
        m.apply_tree(TreeSample {
            started: t,
            finished: t,
            complete: true,
            cgroups: vec![
                (
                    p(""),
                    Some(Box::new(with_controllers("cpu memory pids", "memory"))),
                ),
                (p("a"), Some(Box::new(with_controllers("memory", "")))),
                (p("a/b"), Some(Box::default())),
            ],
        });
        let root = m.get(&p("")).unwrap();
        assert!(
            missing_reason(&m, root, Metric::Memory)
                .unwrap()
                .contains("root cgroup has no memory.current")
        );
        let b = m.get(&p("a/b")).unwrap();
        let why = missing_reason(&m, b, Metric::Memory).unwrap();
        assert!(
            why.contains("memory controller not enabled by parent /a"),
            "{why}"
        );
        let why = missing_reason(&m, b, Metric::Io).unwrap();
        assert!(
            why.contains("io controller is not in this cgroup2 hierarchy"),
            "{why}"
        );
    }

    #[test]
    fn a_tree_shown_from_below_the_root_blames_the_hierarchy_not_its_top() {
        // --root /sub: the model has no hierarchy root; whoever builds it says which
        // controllers the hierarchy has.
        let p = |s: &str| CgroupPath::from_relative(Path::new(s)).unwrap();
        let mut m = Model::new(p("sub"), Default::default())
            .with_hierarchy_controllers(Some(vec!["cpu".into(), "memory".into()]));
        let t = Instant::now();
        m.apply_tree(TreeSample {
            started: t,
            finished: t,
            complete: true,
            cgroups: vec![
                (p("sub"), Some(Box::new(with_controllers("cpu", "cpu")))),
                (p("sub/leaf"), Some(Box::new(with_controllers("cpu", "")))),
            ],
        });
        let leaf = m.get(&p("sub/leaf")).unwrap();
        let why = missing_reason(&m, leaf, Metric::Io).unwrap();
        assert!(
            why.contains("io controller is not in this cgroup2 hierarchy")
                && why.contains("cpu memory"),
            "{why}"
        );
        // memory is in the hierarchy: the leaf's parent /sub does not pass it on...
        let why = missing_reason(&m, leaf, Metric::Memory).unwrap();
        assert!(why.contains("not enabled by parent /sub"), "{why}");
        // ...and /sub's own parent, outside the tree, does not pass it to /sub.
        let sub = m.get(&p("sub")).unwrap();
        let why = missing_reason(&m, sub, Metric::Memory).unwrap();
        assert!(why.contains("not enabled by parent /"), "{why}");
        let why = missing_reason(&m, sub, Metric::Pids).unwrap();
        assert!(
            why.contains("pids controller is not in this cgroup2 hierarchy"),
            "{why}"
        );
    }
}
