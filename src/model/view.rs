//! What part of the tree is shown, in what order, and which row is selected. Pure state, no
//! terminal: rows are rebuilt when the model's shape, the sort, the filter or the expansion
//! changes, never per frame.

use crate::cgroup::CgroupPath;
use crate::cgroup::escape;
use crate::model::{Model, Node, NodeId};
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

pub use super::column::{Column, effective_memory_limit, memory_pct};

/// Names compared as people read them: digit runs by value, so `job2` sorts before `job10`.
pub fn natural_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            let run = |s: &[u8], from: usize| {
                let end = s[from..]
                    .iter()
                    .position(|c| !c.is_ascii_digit())
                    .map_or(s.len(), |p| from + p);
                (from, end)
            };
            let ((ai, ae), (bj, be)) = (run(a, i), run(b, j));
            let strip = |s: &[u8]| {
                let zeros = s.iter().take_while(|c| **c == b'0').count();
                s[zeros..].to_vec()
            };
            let (na, nb) = (strip(&a[ai..ae]), strip(&b[bj..be]));
            let ordering = na.len().cmp(&nb.len()).then_with(|| na.cmp(&nb));
            if ordering != Ordering::Equal {
                return ordering;
            }
            i = ae;
            j = be;
        } else {
            let ordering = a[i].to_ascii_lowercase().cmp(&b[j].to_ascii_lowercase());
            if ordering != Ordering::Equal {
                return ordering;
            }
            i += 1;
            j += 1;
        }
    }
    (a.len() - i).cmp(&(b.len() - j)).then_with(|| a.cmp(b))
}

/// What a row of the tree shows: a cgroup, or (with processes in the tree, `p`) one of an
/// expanded cgroup's own processes, or how many more it has than are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Cgroup,
    Process { pid: u32 },
    More { count: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// The cgroup, or the cgroup the process is in.
    pub id: NodeId,
    pub depth: usize,
    pub has_children: bool,
    pub expanded: bool,
    pub kind: RowKind,
}

/// The processes an expanded cgroup shows in the tree: their PIDs in order, and how many more
/// it has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessRows {
    pub pids: Vec<u32>,
    pub more: usize,
}

#[derive(Debug, Clone)]
pub struct TreeView {
    /// The cgroup shown at the top; a stack of earlier tops to go back to.
    pub top: CgroupPath,
    top_history: Vec<CgroupPath>,
    expanded: HashSet<CgroupPath>,
    selected: CgroupPath,
    /// Which of `selected`'s rows is selected: its own, or one of its process rows.
    selected_kind: RowKind,
    /// Index of the selected row in `rows`, kept in step with `selected`.
    selected_row: Option<usize>,
    pub sort: Column,
    pub sort_descending: bool,
    filter: String,
    /// The filter in lower case, made once rather than for every row matched.
    filter_lower: String,
    rows: Vec<Row>,
    /// Every cgroup under the top in one list, sorted as a whole (`t`), instead of the tree.
    flat: bool,
    /// Expanded cgroups show their own processes under them (`p`).
    processes_shown: bool,
    /// The processes each expanded cgroup shows, as last read.
    process_rows: HashMap<CgroupPath, ProcessRows>,
}

impl TreeView {
    pub fn new(top: CgroupPath) -> Self {
        TreeView {
            expanded: HashSet::from([top.clone()]),
            selected: top.clone(),
            selected_kind: RowKind::Cgroup,
            selected_row: None,
            top,
            top_history: Vec::new(),
            sort: Column::Name,
            sort_descending: false,
            filter: String::new(),
            filter_lower: String::new(),
            rows: Vec::new(),
            flat: false,
            processes_shown: false,
            process_rows: HashMap::new(),
        }
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// Is every cgroup under the top listed flat, rather than as a tree?
    pub fn flat(&self) -> bool {
        self.flat
    }

    /// Show the flat list or the tree; the selected cgroup stays selected (the tree expands
    /// its ancestors to show it).
    pub fn set_flat(&mut self, flat: bool, model: &Model) {
        self.flat = flat;
        let selected = self.selected.clone();
        self.reveal(&selected, model);
    }

    /// Do expanded cgroups show their own processes as rows under them?
    pub fn processes_shown(&self) -> bool {
        self.processes_shown
    }

    /// Show or hide the processes under expanded cgroups; hidden, their rows are forgotten.
    pub fn set_processes_shown(&mut self, shown: bool, model: &Model) {
        self.processes_shown = shown;
        if !shown {
            self.process_rows.clear();
        }
        self.rebuild(model);
    }

    /// The cgroups whose processes the rows `offset..offset + height` show or would show:
    /// the expanded ones on screen (by their own row or one of their process rows).
    pub fn process_cgroups(&self, model: &Model, offset: usize, height: usize) -> Vec<CgroupPath> {
        if !self.processes_shown || self.flat {
            return Vec::new();
        }
        let mut cgroups: Vec<CgroupPath> = Vec::new();
        for row in self.rows.iter().skip(offset).take(height) {
            let path = &model.node(row.id).path;
            if self.expanded.contains(path) && !cgroups.contains(path) {
                cgroups.push(path.clone());
            }
        }
        cgroups
    }

    /// Take the processes expanded cgroups show (a cgroup missing keeps its rows until it
    /// is collapsed: rows off screen are not read, and must not vanish under the screen).
    pub fn set_process_rows(&mut self, rows: HashMap<CgroupPath, ProcessRows>, model: &Model) {
        let mut changed = false;
        for (path, list) in rows {
            if self.process_rows.get(&path) != Some(&list) {
                self.process_rows.insert(path, list);
                changed = true;
            }
        }
        let before = self.process_rows.len();
        let expanded = &self.expanded;
        self.process_rows.retain(|path, _| expanded.contains(path));
        if changed || self.process_rows.len() != before {
            self.rebuild(model);
        }
    }

    /// The process of the selected row, if it is a process row.
    pub fn selected_process(&self) -> Option<u32> {
        match self.selected_kind {
            RowKind::Process { pid } => Some(pid),
            _ => None,
        }
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
            self.selected_kind = self.rows[index].kind;
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
        self.selected_kind = RowKind::Cgroup;
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
            self.process_rows.remove(path);
        }
        self.rebuild(model);
    }

    pub fn set_filter(&mut self, filter: String, model: &Model) {
        self.filter_lower = filter.to_lowercase();
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

    /// Expand `path` and everything below it.
    pub fn expand_all(&mut self, path: &CgroupPath, model: &Model) {
        if let Some(id) = model.find(path) {
            let mut stack = vec![id];
            while let Some(id) = stack.pop() {
                let node = model.node(id);
                if !node.children.is_empty() {
                    self.expanded.insert(node.path.clone());
                }
                stack.extend(node.children.iter().copied());
            }
            self.rebuild(model);
        }
    }

    /// Does the row at `index` match the filter itself (not only hold a match below it)?
    pub fn row_matches(&self, index: usize, model: &Model) -> bool {
        !self.filter.is_empty()
            && self
                .rows
                .get(index)
                .is_some_and(|r| r.kind == RowKind::Cgroup && self.matches(model.node(r.id)))
    }

    /// The next row matching the filter after `from` (before it, when `backwards`), wrapping.
    pub fn next_match(&self, from: usize, backwards: bool, model: &Model) -> Option<usize> {
        let n = self.rows.len();
        (1..=n)
            .map(|step| {
                if backwards {
                    (from + n - step % n) % n
                } else {
                    (from + step) % n
                }
            })
            .find(|i| self.row_matches(*i, model))
    }

    fn matches(&self, node: &Node) -> bool {
        let name = escape::visible(node.path.as_bytes());
        let name = name.rsplit('/').next().unwrap_or_default();
        name.to_lowercase().contains(&self.filter_lower)
    }

    /// Less: `a` is shown before `b`.
    fn compare(&self, model: &Model, a: NodeId, b: NodeId) -> Ordering {
        use std::os::unix::ffi::OsStrExt;
        let (na, nb) = (model.node(a), model.node(b));
        // Flat, the whole path is the name: siblings stay together, as in the tree.
        let by_name = || {
            if self.flat {
                natural_cmp(na.path.as_bytes(), nb.path.as_bytes())
            } else {
                natural_cmp(na.path.name().as_bytes(), nb.path.name().as_bytes())
            }
        };
        let direction = |o: Ordering| if self.sort_descending { o.reverse() } else { o };
        match (self.sort.value(na), self.sort.value(nb)) {
            (Some(x), Some(y)) => {
                direction(x.partial_cmp(&y).unwrap_or(Ordering::Equal)).then_with(by_name)
            }
            // A row without the value goes below every row with one, in either direction.
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) if self.sort == Column::Name => direction(by_name()),
            (None, None) => by_name(),
        }
    }

    /// Recompute the visible rows. With a filter, a row is shown if it or a descendant matches,
    /// and matches are shown whatever the expansion.
    pub fn rebuild(&mut self, model: &Model) {
        self.rows.clear();
        let Some(top) = model.find(&self.top) else {
            return;
        };
        let filtering = !self.filter.is_empty();
        if self.flat {
            self.rebuild_flat(model, top);
            return;
        }
        let keep: Option<HashSet<NodeId>> =
            filtering.then(|| self.matching_with_ancestors(model, top));
        let mut stack = vec![(top, 0usize)];
        while let Some((id, depth)) = stack.pop() {
            let node = model.node(id);
            if keep.as_ref().is_some_and(|k| !k.contains(&id)) {
                continue;
            }
            let expanded = filtering || self.expanded.contains(&node.path);
            // With processes in the tree, a leaf with processes opens too.
            let has_processes = self.processes_shown && node.populated() == Some(true);
            self.rows.push(Row {
                id,
                depth,
                has_children: !node.children.is_empty() || has_processes,
                expanded,
                kind: RowKind::Cgroup,
            });
            if expanded {
                let mut children = node.children.clone();
                children.sort_by(|a, b| self.compare(model, *b, *a));
                stack.extend(children.into_iter().map(|c| (c, depth + 1)));
            }
            // A cgroup's own processes come right under it, before its children.
            if let Some(list) = self
                .process_rows
                .get(&node.path)
                .filter(|_| self.processes_shown && self.expanded.contains(&node.path))
            {
                let process_row = |kind| Row {
                    id,
                    depth: depth + 1,
                    has_children: false,
                    expanded: false,
                    kind,
                };
                self.rows.extend(
                    list.pids
                        .iter()
                        .map(|&pid| process_row(RowKind::Process { pid })),
                );
                if list.more > 0 {
                    self.rows
                        .push(process_row(RowKind::More { count: list.more }));
                }
            }
        }
        self.keep_selection(model);
    }

    /// Every cgroup under `top` (the top too) that matches the filter itself, in one list
    /// sorted as a whole.
    fn rebuild_flat(&mut self, model: &Model, top: NodeId) {
        let mut stack = vec![top];
        let mut ids = Vec::new();
        while let Some(id) = stack.pop() {
            let node = model.node(id);
            stack.extend(node.children.iter().copied());
            if self.filter.is_empty() || self.matches(node) {
                ids.push(id);
            }
        }
        ids.sort_by(|a, b| self.compare(model, *a, *b));
        self.rows = ids
            .into_iter()
            .map(|id| Row {
                id,
                depth: 0,
                has_children: false,
                expanded: false,
                kind: RowKind::Cgroup,
            })
            .collect();
        self.keep_selection(model);
    }

    /// Keep the selection on a shown row: the same process row, else its cgroup's row, the
    /// nearest shown ancestor, or the first row.
    fn keep_selection(&mut self, model: &Model) {
        let same_kind = |kind: RowKind, selected: RowKind| match (kind, selected) {
            (RowKind::More { .. }, RowKind::More { .. }) => true,
            (kind, selected) => kind == selected,
        };
        if !self.rows.iter().any(|r| {
            same_kind(r.kind, self.selected_kind) && model.node(r.id).path == self.selected
        }) {
            self.selected_kind = RowKind::Cgroup;
        }
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
        let kind = self.selected_kind;
        self.selected_row = self
            .rows
            .iter()
            .position(|r| same_kind(r.kind, kind) && model.node(r.id).path == self.selected);
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
    fn names_sort_naturally_and_reverse() {
        let m = model(&["job10", "job2", "Job1", "a"]);
        let mut v = TreeView::new(CgroupPath::root());
        v.rebuild(&m);
        assert_eq!(names(&v, &m), ["/", "/a", "/Job1", "/job2", "/job10"]);
        v.set_sort(Column::Name, &m);
        assert_eq!(names(&v, &m), ["/", "/job10", "/job2", "/Job1", "/a"]);
        assert_ne!(natural_cmp(b"c01", b"c1"), Ordering::Equal);
        assert_eq!(natural_cmp(b"x", b"x"), Ordering::Equal);
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

    #[test]
    fn flat_lists_every_cgroup_sorted_as_a_whole_and_keeps_the_selection() {
        let mut m = model(&["a", "a/deep", "b", "b/x"]);
        let t = Instant::now();
        m.apply_tree(crate::model::TreeSample {
            started: t,
            finished: t,
            complete: true,
            cgroups: [("", 50), ("a", 12), ("a/deep", 11), ("b", 30), ("b/x", 2)]
                .iter()
                .map(|(p, n)| {
                    let mut s = crate::cgroup::CgroupSample::default();
                    s.pids.current = Some(*n);
                    (path(p), Some(Box::new(s)))
                })
                .collect(),
        });
        let mut v = TreeView::new(CgroupPath::root());
        v.rebuild(&m);
        v.reveal(&path("a/deep"), &m);
        v.set_sort(Column::Pids, &m);
        v.set_flat(true, &m);
        assert!(v.flat());
        // A leaf under a parent sorted lower still ranks by its own value.
        assert_eq!(names(&v, &m), ["/", "/b", "/a", "/a/deep", "/b/x"]);
        assert!(v.rows().iter().all(|r| r.depth == 0 && !r.has_children));
        assert_eq!(v.selected().to_string(), "/a/deep");
        assert_eq!(v.selected_index(), Some(3));
        // By name, the whole path: siblings together.
        v.set_sort(Column::Name, &m);
        assert_eq!(names(&v, &m), ["/", "/a", "/a/deep", "/b", "/b/x"]);
        // The filter keeps only the rows that match themselves.
        v.set_filter("x".into(), &m);
        assert_eq!(names(&v, &m), ["/b/x"]);
        v.set_filter(String::new(), &m);
        // Back to the tree: the same cgroup is selected, its ancestors expanded.
        v.select_index(2, &m);
        v.set_flat(false, &m);
        assert_eq!(v.selected().to_string(), "/a/deep");
        assert_eq!(names(&v, &m), ["/", "/a", "/a/deep", "/b"]);
    }

    #[test]
    fn process_rows_follow_their_cgroup_and_keep_the_selection() {
        let m = model(&["a", "a/child", "b"]);
        let mut v = TreeView::new(CgroupPath::root());
        v.reveal(&path("a"), &m);
        v.set_expanded(&path("a"), true, &m);
        let lists = |pids: &[u32], more| {
            HashMap::from([(
                path("a"),
                ProcessRows {
                    pids: pids.to_vec(),
                    more,
                },
            )])
        };
        // Off: the lists are not shown.
        v.set_process_rows(lists(&[7, 9], 3), &m);
        assert_eq!(v.rows().len(), 4);
        v.set_processes_shown(true, &m);
        assert_eq!(v.process_cgroups(&m, 0, 10), [path(""), path("a")]);
        v.set_process_rows(lists(&[7, 9], 3), &m);
        let kinds: Vec<(String, RowKind)> = v
            .rows()
            .iter()
            .map(|r| (m.node(r.id).path.to_string(), r.kind))
            .collect();
        // Right under the cgroup, before its children, one deeper.
        assert_eq!(
            kinds,
            [
                ("/".to_string(), RowKind::Cgroup),
                ("/a".to_string(), RowKind::Cgroup),
                ("/a".to_string(), RowKind::Process { pid: 7 }),
                ("/a".to_string(), RowKind::Process { pid: 9 }),
                ("/a".to_string(), RowKind::More { count: 3 }),
                ("/a/child".to_string(), RowKind::Cgroup),
                ("/b".to_string(), RowKind::Cgroup),
            ]
        );
        assert_eq!(v.rows()[2].depth, 2);
        // The selection stays on a process row when its order changes...
        v.select_index(3, &m);
        assert_eq!(v.selected_process(), Some(9));
        v.set_process_rows(lists(&[9, 7], 3), &m);
        assert_eq!(v.selected_index(), Some(2));
        assert_eq!(v.selected().to_string(), "/a");
        // ...and falls back to its cgroup's row when the process is gone.
        v.set_process_rows(lists(&[7], 0), &m);
        assert_eq!(v.selected_process(), None);
        assert_eq!(v.selected_index(), Some(1));
        // A filter matches cgroups, never their process rows.
        v.set_filter("a".into(), &m);
        assert!(v.row_matches(1, &m));
        assert!(!v.row_matches(2, &m));
        v.set_filter(String::new(), &m);
        // Collapsed, the cgroup forgets its list; off, nothing is read.
        v.set_expanded(&path("a"), false, &m);
        assert!(v.rows().iter().all(|r| r.kind == RowKind::Cgroup));
        v.set_expanded(&path("a"), true, &m);
        assert!(v.rows().iter().all(|r| r.kind == RowKind::Cgroup));
        v.set_processes_shown(false, &m);
        assert!(v.process_cgroups(&m, 0, 10).is_empty());
    }
}
