//! The tree pane: what is shown and selected (the view), and the scroll that keeps the
//! selection on screen; they change together.

use crate::cgroup::CgroupPath;
use crate::model::Model;
use crate::model::view::TreeView;

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
        }
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
