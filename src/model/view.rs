//! What part of the tree is shown, in what order, and which row is selected. Pure state, no
//! terminal: rows are rebuilt when the model's shape, the sort, the filter or the expansion
//! changes, never per frame.

use crate::cgroup::CgroupPath;
use crate::cgroup::escape;
use crate::cgroup::parse::Limit;
use crate::model::{Model, Node, NodeId};
use std::cmp::Ordering;
use std::collections::HashSet;

/// The columns of the tree, in display order. Each can be the sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Name,
    Cpu,
    Memory,
    MemoryLimit,
    IoRead,
    IoWrite,
    Pids,
    Psi,
}

impl Column {
    pub const ALL: [Column; 8] = [
        Column::Name,
        Column::Cpu,
        Column::Memory,
        Column::MemoryLimit,
        Column::IoRead,
        Column::IoWrite,
        Column::Pids,
        Column::Psi,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Column::Name => "CGROUP",
            Column::Cpu => "CPU%",
            Column::Memory => "MEM",
            Column::MemoryLimit => "MEMLIM",
            Column::IoRead => "IO R/s",
            Column::IoWrite => "IO W/s",
            Column::Pids => "PIDS",
            Column::Psi => "PSI c/m/i",
        }
    }

    pub fn next(self) -> Column {
        let i = Column::ALL.iter().position(|c| *c == self).unwrap_or(0);
        Column::ALL[(i + 1) % Column::ALL.len()]
    }

    /// The value this column sorts by; larger first for everything but the name.
    fn key(self, node: &Node) -> Option<f64> {
        let sample = node.sample.as_ref();
        match self {
            Column::Name => None,
            Column::Cpu => node.rates.cpu_pct,
            Column::Memory => sample.and_then(|s| s.memory.current).map(|v| v as f64),
            Column::MemoryLimit => effective_memory_limit(node).map(|(l, _)| match l {
                Limit::Value(v) => v as f64,
                Limit::Max => f64::INFINITY,
            }),
            Column::IoRead => node.rates.io.map(|io| io.read_bps),
            Column::IoWrite => node.rates.io.map(|io| io.write_bps),
            Column::Pids => sample.and_then(|s| s.pids.current).map(|v| v as f64),
            Column::Psi => sample.map(|s| {
                [&s.psi.cpu, &s.psi.memory, &s.psi.io]
                    .iter()
                    .filter_map(|p| p.map(|p| p.some.avg10))
                    .fold(0.0, f64::max)
            }),
        }
    }
}

/// The lower of memory.max and memory.high, with the file it came from.
pub fn effective_memory_limit(node: &Node) -> Option<(Limit, &'static str)> {
    let memory = &node.sample.as_ref()?.memory;
    match (memory.max, memory.high) {
        (Some(max), Some(high)) if high < max => Some((high, "memory.high")),
        (Some(max), _) => Some((max, "memory.max")),
        (None, Some(high)) => Some((high, "memory.high")),
        (None, None) => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub id: NodeId,
    pub depth: usize,
    pub has_children: bool,
    pub expanded: bool,
}

#[derive(Debug, Clone)]
pub struct TreeView {
    /// The cgroup shown at the top; a stack of earlier tops to go back to.
    pub top: CgroupPath,
    top_history: Vec<CgroupPath>,
    expanded: HashSet<CgroupPath>,
    selected: CgroupPath,
    /// Index of the selected row in `rows`, kept in step with `selected`.
    selected_row: Option<usize>,
    pub sort: Column,
    pub sort_descending: bool,
    filter: String,
    rows: Vec<Row>,
}

impl TreeView {
    pub fn new(top: CgroupPath) -> Self {
        TreeView {
            expanded: HashSet::from([top.clone()]),
            selected: top.clone(),
            selected_row: None,
            top,
            top_history: Vec::new(),
            sort: Column::Name,
            sort_descending: false,
            filter: String::new(),
            rows: Vec::new(),
        }
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn selected(&self) -> &CgroupPath {
        &self.selected
    }

    pub fn selected_index(&self) -> Option<usize> {
        self.selected_row
    }

    /// Select the row at `index`, clamped to the rows there are.
    pub fn select_index(&mut self, index: usize, model: &Model) {
        if let Some(last) = self.rows.len().checked_sub(1) {
            let index = index.min(last);
            self.selected_row = Some(index);
            self.selected = model.node(self.rows[index].id).path.clone();
        }
    }

    /// Move the selection by `delta` rows.
    pub fn move_selection(&mut self, delta: isize, model: &Model) {
        let current = self.selected_row.unwrap_or(0);
        self.select_index(current.saturating_add_signed(delta), model);
    }

    /// Select `path` and expand every ancestor so it is visible.
    pub fn reveal(&mut self, path: &CgroupPath, model: &Model) {
        for ancestor in path.ancestors() {
            if ancestor.starts_with(&self.top) {
                self.expanded.insert(ancestor);
            }
        }
        self.selected = path.clone();
        self.rebuild(model);
    }

    pub fn is_expanded(&self, path: &CgroupPath) -> bool {
        self.expanded.contains(path)
    }

    pub fn set_expanded(&mut self, path: &CgroupPath, expanded: bool, model: &Model) {
        if expanded {
            self.expanded.insert(path.clone());
        } else {
            self.expanded.remove(path);
        }
        self.rebuild(model);
    }

    pub fn set_filter(&mut self, filter: String, model: &Model) {
        self.filter = filter;
        self.rebuild(model);
    }

    pub fn set_sort(&mut self, column: Column, model: &Model) {
        if self.sort == column {
            self.sort_descending = !self.sort_descending;
        } else {
            self.sort = column;
            // Names read best A→Z, numbers biggest first.
            self.sort_descending = column != Column::Name;
        }
        self.rebuild(model);
    }

    /// Show only the subtree under `path`; [`TreeView::pop_top`] goes back.
    pub fn push_top(&mut self, path: CgroupPath, model: &Model) {
        if path != self.top {
            self.top_history
                .push(std::mem::replace(&mut self.top, path.clone()));
            self.expanded.insert(path);
            self.rebuild(model);
        }
    }

    pub fn pop_top(&mut self, model: &Model) -> bool {
        match self.top_history.pop() {
            Some(previous) => {
                self.top = previous;
                let selected = self.selected.clone();
                self.reveal(&selected, model);
                true
            }
            None => false,
        }
    }

    fn matches(&self, node: &Node) -> bool {
        let name = escape::visible(node.path.as_bytes());
        let name = name.rsplit('/').next().unwrap_or_default();
        name.to_lowercase().contains(&self.filter.to_lowercase())
    }

    fn compare(&self, model: &Model, a: NodeId, b: NodeId) -> Ordering {
        let (na, nb) = (model.node(a), model.node(b));
        let by_name = || na.path.name().cmp(nb.path.name());
        let ordering = match (self.sort.key(na), self.sort.key(nb)) {
            (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            (Some(_), None) => Ordering::Greater,
            (None, Some(_)) => Ordering::Less,
            (None, None) => Ordering::Equal,
        };
        let ordering = if self.sort_descending {
            ordering.reverse()
        } else {
            ordering
        };
        ordering.then_with(by_name)
    }

    /// Recompute the visible rows. With a filter, a row is shown if it or a descendant matches,
    /// and matches are shown whatever the expansion.
    pub fn rebuild(&mut self, model: &Model) {
        self.rows.clear();
        let Some(top) = model.find(&self.top) else {
            return;
        };
        let filtering = !self.filter.is_empty();
        let keep: Option<HashSet<NodeId>> =
            filtering.then(|| self.matching_with_ancestors(model, top));
        let mut stack = vec![(top, 0usize)];
        while let Some((id, depth)) = stack.pop() {
            let node = model.node(id);
            if keep.as_ref().is_some_and(|k| !k.contains(&id)) {
                continue;
            }
            let expanded = filtering || self.expanded.contains(&node.path);
            self.rows.push(Row {
                id,
                depth,
                has_children: !node.children.is_empty(),
                expanded,
            });
            if expanded {
                let mut children = node.children.clone();
                children.sort_by(|a, b| self.compare(model, *b, *a));
                stack.extend(children.into_iter().map(|c| (c, depth + 1)));
            }
        }
        // Keep the selection on a visible row: the nearest visible ancestor, or the first row.
        if !self
            .rows
            .iter()
            .any(|r| model.node(r.id).path == self.selected)
        {
            let fallback = self
                .selected
                .ancestors()
                .find(|a| self.rows.iter().any(|r| model.node(r.id).path == *a))
                .or_else(|| self.rows.first().map(|r| model.node(r.id).path.clone()));
            if let Some(path) = fallback {
                self.selected = path;
            }
        }
        self.selected_row = self
            .rows
            .iter()
            .position(|r| model.node(r.id).path == self.selected);
    }

    fn matching_with_ancestors(&self, model: &Model, top: NodeId) -> HashSet<NodeId> {
        let mut keep = HashSet::new();
        let mut stack = vec![top];
        while let Some(id) = stack.pop() {
            let node = model.node(id);
            stack.extend(node.children.iter().copied());
            if self.matches(node) {
                let mut cur = Some(id);
                while let Some(c) = cur {
                    if !keep.insert(c) || c == top {
                        break;
                    }
                    cur = model.node(c).parent;
                }
            }
        }
        keep.insert(top);
        keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::watch::WatchEvent;
    use std::path::Path;
    use std::time::Instant;

    fn path(s: &str) -> CgroupPath {
        CgroupPath::from_relative(Path::new(s)).unwrap()
    }

    fn model(paths: &[&str]) -> Model {
        let mut m = Model::new(CgroupPath::root(), Default::default());
        for p in paths {
            m.apply_watch(
                WatchEvent::Created {
                    path: path(p),
                    sample: None,
                },
                Instant::now(),
            );
        }
        m
    }

    fn names(view: &TreeView, m: &Model) -> Vec<String> {
        view.rows()
            .iter()
            .map(|r| m.node(r.id).path.to_string())
            .collect()
    }

    #[test]
    fn expand_collapse_and_reveal() {
        let m = model(&["b.slice", "a.slice", "a.slice/x.service", "a.slice/y.scope"]);
        let mut v = TreeView::new(CgroupPath::root());
        v.rebuild(&m);
        assert_eq!(names(&v, &m), ["/", "/a.slice", "/b.slice"]);
        v.reveal(&path("a.slice/y.scope"), &m);
        assert_eq!(
            names(&v, &m),
            [
                "/",
                "/a.slice",
                "/a.slice/x.service",
                "/a.slice/y.scope",
                "/b.slice"
            ]
        );
        assert_eq!(v.selected_index(), Some(3));
        // Collapsing a.slice moves the selection to it.
        v.set_expanded(&path("a.slice"), false, &m);
        assert_eq!(v.selected().to_string(), "/a.slice");
        v.move_selection(5, &m);
        assert_eq!(v.selected().to_string(), "/b.slice");
        v.move_selection(-10, &m);
        assert_eq!(v.selected().to_string(), "/");
    }

    #[test]
    fn filter_keeps_ancestors_of_matches() {
        let m = model(&[
            "a.slice",
            "a.slice/x.service",
            "b.slice",
            "b.slice/other.scope",
        ]);
        let mut v = TreeView::new(CgroupPath::root());
        v.set_filter("X.SERV".into(), &m);
        assert_eq!(names(&v, &m), ["/", "/a.slice", "/a.slice/x.service"]);
        v.set_filter(String::new(), &m);
        assert_eq!(names(&v, &m), ["/", "/a.slice", "/b.slice"]);
    }

    #[test]
    fn reroot_and_back() {
        let m = model(&["a.slice", "a.slice/x.service", "b.slice"]);
        let mut v = TreeView::new(CgroupPath::root());
        v.rebuild(&m);
        v.push_top(path("a.slice"), &m);
        assert_eq!(names(&v, &m), ["/a.slice", "/a.slice/x.service"]);
        assert!(v.pop_top(&m));
        assert_eq!(names(&v, &m)[0], "/");
        assert!(!v.pop_top(&m));
    }

    #[test]
    fn sort_by_pids_descending() {
        let mut m = model(&["a", "b", "c"]);
        let t = Instant::now();
        let tree = crate::model::TreeSample {
            started: t,
            finished: t,
            complete: true,
            cgroups: [("", 0), ("a", 1), ("b", 30), ("c", 7)]
                .iter()
                .map(|(p, n)| {
                    let mut s = crate::cgroup::CgroupSample::default();
                    s.pids.current = Some(*n);
                    (path(p), Some(Box::new(s)))
                })
                .collect(),
        };
        m.apply_tree(tree);
        let mut v = TreeView::new(CgroupPath::root());
        v.set_sort(Column::Pids, &m);
        assert_eq!(names(&v, &m), ["/", "/b", "/c", "/a"]);
        v.set_sort(Column::Pids, &m);
        assert_eq!(names(&v, &m), ["/", "/a", "/c", "/b"]);
    }
}
