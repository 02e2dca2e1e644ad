//! The tree pane: what is shown and selected (the view), and the scroll that keeps the
//! selection on screen; they change together.

use super::process_pane::{ProcessPane, ProcessRow, UserNames};
use crate::cgroup::CgroupPath;
use crate::cgroup::process::SubtreeProcess;
use crate::model::Model;
use crate::model::rates::RateRules;
use crate::model::view::{ProcessRows, TreeView};
use std::collections::HashMap;
use std::time::Instant;

/// Processes an expanded cgroup shows in the tree (`p`): the busiest by CPU, then "… N more".
pub const TREE_PROCESSES_SHOWN: usize = 5;

#[derive(Debug)]
pub struct TreePane {
    pub(crate) view: TreeView,
    /// First row on screen.
    pub(crate) offset: usize,
    /// A cgroup to select as soon as it shows up (a new playground).
    pub(crate) pending_reveal: Option<CgroupPath>,
    /// The filter is being typed.
    pub(crate) filter_editing: bool,
    /// The filter's text is selected (`/` on an active filter): typing replaces it.
    pub(crate) filter_selected: bool,
    /// Rows matching the filter themselves, counted when the filter or the tree's shape
    /// changes (never while drawing).
    pub(crate) matches: usize,
    /// Processes in the tree (`p`): each expanded cgroup's latest list, kept between reads for
    /// its CPU % (the growth between two reads).
    pub(crate) processes: HashMap<CgroupPath, ProcessPane>,
}

impl TreePane {
    pub fn new(top: CgroupPath) -> TreePane {
        TreePane {
            view: TreeView::new(top),
            offset: 0,
            pending_reveal: None,
            filter_editing: false,
            filter_selected: false,
            matches: 0,
            processes: HashMap::new(),
        }
    }

    /// The process shown by the selected row, when it is a process row.
    pub fn selected_process(&self) -> Option<&ProcessRow> {
        let pid = self.view.selected_process()?;
        self.processes
            .get(self.view.selected())?
            .rows
            .iter()
            .find(|row| row.sample.pid == pid)
    }

    /// Is the selected row a cgroup's "… N more" row?
    pub fn more_selected(&self) -> bool {
        self.view.selected_index().is_some_and(|i| {
            matches!(
                self.view.rows()[i].kind,
                crate::model::view::RowKind::More { .. }
            )
        })
    }

    /// Does the tree show `cgroup`'s processes (it is expanded, with `p` on)?
    pub fn wants_processes(&self, cgroup: &CgroupPath) -> bool {
        self.view.processes_shown() && !self.view.flat() && self.view.is_expanded(cgroup)
    }

    /// `p`: processes in the tree, or not; off, their lists are forgotten.
    pub fn set_processes_shown(&mut self, shown: bool, model: &Model) {
        if !shown {
            self.processes.clear();
        }
        self.view.set_processes_shown(shown, model);
    }

    /// A list of `cgroup`'s own processes (the first read of cgroup.procs, `total` in all),
    /// for its rows in the tree: the busiest [`TREE_PROCESSES_SHOWN`] by CPU are shown.
    #[allow(clippy::too_many_arguments)]
    pub fn take_processes(
        &mut self,
        cgroup: &CgroupPath,
        processes: &[SubtreeProcess],
        total: usize,
        at: Instant,
        users: &mut UserNames,
        rules: RateRules,
        model: &Model,
    ) {
        if !self.wants_processes(cgroup) {
            return;
        }
        let pane = self.processes.entry(cgroup.clone()).or_default();
        pane.update(
            cgroup.clone(),
            processes.to_vec(),
            false,
            total,
            at,
            users,
            false,
            rules,
        );
        let pids: Vec<u32> = pane
            .rows
            .iter()
            .take(TREE_PROCESSES_SHOWN)
            .map(|row| row.sample.pid)
            .collect();
        let more = pane.total.max(pane.rows.len()).saturating_sub(pids.len());
        let view = &self.view;
        self.processes.retain(|path, _| view.is_expanded(path));
        self.view.set_process_rows(
            HashMap::from([(cgroup.clone(), ProcessRows { pids, more })]),
            model,
        );
    }

    pub fn selected(&self) -> &CgroupPath {
        self.view.selected()
    }

    /// Keep the selected row inside a window of `height` rows.
    pub fn scroll_to_selection(&mut self, height: usize) {
        let height = height.max(1);
        let rows = self.view.rows().len();
        if let Some(selected) = self.view.selected_index() {
            if selected < self.offset {
                self.offset = selected;
            } else if selected >= self.offset + height {
                self.offset = selected + 1 - height;
            }
        }
        self.offset = self.offset.min(rows.saturating_sub(height));
    }

    /// Select the cgroup waiting to be revealed, once the tree has it.
    pub fn reveal_pending(&mut self, model: &Model) {
        if let Some(path) = self.pending_reveal.take() {
            if model.find(&path).is_some() {
                self.view.reveal(&path, model);
            } else {
                self.pending_reveal = Some(path);
            }
        }
    }

    /// Set the filter's text; the selection moves to the first match unless it matches.
    pub fn set_filter(&mut self, text: String, model: &Model) {
        let clearing = text.is_empty() && !self.view.filter().is_empty();
        let selected = self.view.selected().clone();
        self.view.set_filter(text, model);
        self.count_matches(model);
        if clearing {
            // Stay on the cgroup that was selected, wherever it is in the whole tree.
            self.view.reveal(&selected, model);
            return;
        }
        let current = self.view.selected_index().unwrap_or(0);
        if !self.view.row_matches(current, model)
            && let Some(first) =
                self.view
                    .next_match(self.view.rows().len().saturating_sub(1), false, model)
        {
            self.view.select_index(first, model);
        }
    }

    /// Count the rows that match the filter themselves (not only hold a match below them).
    pub fn count_matches(&mut self, model: &Model) {
        self.matches = if self.view.filter().is_empty() {
            0
        } else {
            (0..self.view.rows().len())
                .filter(|i| self.view.row_matches(*i, model))
                .count()
        };
    }

    /// Go to the next (or previous) match; false if nothing matches.
    pub fn jump_match(&mut self, backwards: bool, model: &Model) -> bool {
        let from = self.view.selected_index().unwrap_or(0);
        match self.view.next_match(from, backwards, model) {
            Some(index) => {
                self.view.select_index(index, model);
                true
            }
            None => false,
        }
    }
}
