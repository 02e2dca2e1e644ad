//! Moving around: the tree's rows and levels, the process list, sorting, the poll interval,
//! and the mouse.

use super::dialog::{Dialog, RowClick};
use super::layout::{DialogTarget, dialog_identity};
use super::{
    Action, App, Effect, Focus, INTERVAL_STEPS, MAX_INTERVAL, MIN_INTERVAL, interval_text,
};
use crate::model::view::Column;
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Position;
use std::time::Duration;

impl App {
    pub(super) fn process_action(&mut self, action: Action) {
        let page = self.layout.process_rows().max(1);
        match action {
            Action::Up => self.processes.move_by(-1, page),
            Action::Down => self.processes.move_by(1, page),
            Action::PageUp => self.processes.move_by(-(page as isize), page),
            Action::PageDown => self.processes.move_by(page as isize, page),
            Action::First => self.processes.move_by(isize::MIN / 2, page),
            Action::Last => self.processes.move_by(isize::MAX / 2, page),
            Action::Activate => {
                if let Some(row) = self.processes.selected_row().cloned() {
                    self.show_process(&row);
                }
            }
            _ => {}
        }
    }

    pub(super) fn sort_text(&self) -> String {
        let (column, descending) = self.sort();
        format!(
            "sorted by {} {}",
            column.title(),
            if descending { "▼" } else { "▲" }
        )
    }

    /// `s`: the next of the columns on screen.
    pub(super) fn sort_next(&mut self) {
        let shown: Vec<Column> = self.layout.columns.iter().map(|(c, _)| *c).collect();
        let current = shown
            .iter()
            .position(|c| *c == self.tree.view.sort)
            .unwrap_or(0);
        let next = shown.get((current + 1) % shown.len().max(1)).copied();
        self.tree
            .view
            .set_sort(next.unwrap_or(Column::Name), &self.model);
        self.status.hint(self.sort_text());
    }

    pub(super) fn step_interval(&mut self, slower: bool) -> Vec<Effect> {
        let now = self.interval.as_secs_f64();
        let next = if slower {
            INTERVAL_STEPS.iter().find(|s| **s > now + 1e-9)
        } else {
            INTERVAL_STEPS.iter().rev().find(|s| **s < now - 1e-9)
        };
        match next {
            Some(secs) => {
                self.interval = Duration::from_secs_f64(*secs).clamp(MIN_INTERVAL, MAX_INTERVAL);
                self.model
                    .set_rate_rules(crate::model::rates::RateRules::for_this_host(self.interval));
                self.status
                    .hint(format!("refresh every {}", interval_text(self.interval)));
                vec![Effect::SetInterval(self.interval)]
            }
            None => {
                self.status.hint(format!(
                    "refresh every {} already: the {} is {}",
                    interval_text(self.interval),
                    if slower { "ceiling" } else { "floor" },
                    interval_text(if slower { MAX_INTERVAL } else { MIN_INTERVAL })
                ));
                Vec::new()
            }
        }
    }

    pub(super) fn expand_or_descend(&mut self) {
        let view = &mut self.tree.view;
        let Some(index) = view.selected_index() else {
            return;
        };
        let row = view.rows()[index];
        if !row.has_children {
            return;
        }
        if row.expanded {
            view.move_selection(1, &self.model);
        } else {
            let path = view.selected().clone();
            view.set_expanded(&path, true, &self.model);
        }
    }

    pub(super) fn collapse_or_ascend(&mut self) {
        let view = &mut self.tree.view;
        let Some(index) = view.selected_index() else {
            return;
        };
        let row = view.rows()[index];
        let path = view.selected().clone();
        if row.kind != crate::model::view::RowKind::Cgroup {
            // A process row (`p`): to its cgroup's row.
            view.reveal(&path, &self.model);
        } else if row.expanded && row.has_children {
            view.set_expanded(&path, false, &self.model);
        } else if let Some(parent) = path.parent().filter(|p| p.starts_with(&view.top)) {
            view.reveal(&parent, &self.model);
        }
    }

    pub(super) fn on_mouse(&mut self, mouse: MouseEvent) -> Vec<Effect> {
        let wheel = match mouse.kind {
            MouseEventKind::ScrollDown => Some(Action::Down),
            MouseEventKind::ScrollUp => Some(Action::Up),
            _ => None,
        };
        // Over a dialog or help, the wheel scrolls it; a click reaches only the dialog's rows
        // and buttons, never what lies under it.
        if self.overlay_open() {
            return match (wheel, mouse.kind) {
                (Some(action), _) => (0..3).flat_map(|_| self.perform(action)).collect(),
                (None, MouseEventKind::Down(MouseButton::Left)) => self.click_dialog(mouse),
                _ => Vec::new(),
            };
        }
        let before = self.tree.selected().clone();
        let position = Position::new(mouse.column, mouse.row);
        let layout = &self.layout;
        let in_processes = layout.processes.contains(position);
        match (mouse.kind, wheel) {
            (_, Some(action)) if in_processes => {
                let delta = if action == Action::Down { 3 } else { -3 };
                self.processes.move_by(delta, layout.process_rows());
            }
            (_, Some(action)) => {
                let delta = if action == Action::Down { 3 } else { -3 };
                self.tree.view.move_selection(delta, &self.model);
            }
            (MouseEventKind::Down(MouseButton::Left), _) if in_processes => {
                // Title and column header take two lines.
                let line = (mouse.row - layout.processes.y) as usize;
                if line == 1 {
                    // The column header: sort by the column clicked, as the tree's does.
                    let columns = self.processes.columns(
                        &self.processes.rows,
                        layout.process_rows(),
                        layout.processes.width,
                    );
                    let x = mouse.column - layout.processes.x;
                    if let Some(sort) = super::process_pane::ProcessPane::sort_at(&columns, x) {
                        self.processes.sort_by(sort);
                        self.status.hint(self.processes.sort_text());
                    }
                } else if line >= 2 {
                    let index = self.processes.offset + line - 2;
                    if index < self.processes.rows.len() {
                        self.focus = Focus::Processes;
                        self.processes.selected = index;
                    }
                }
            }
            (MouseEventKind::Down(MouseButton::Left), _) if layout.tree.contains(position) => {
                let line = (mouse.row - layout.tree.y) as usize;
                if line == 0 {
                    if let Some(column) = layout.column_at(mouse.column) {
                        self.tree.view.set_sort(column, &self.model);
                        self.status.hint(self.sort_text());
                    }
                } else {
                    self.focus = Focus::Tree;
                    let index = self.tree.offset + line - 1;
                    let view = &mut self.tree.view;
                    if index < view.rows().len() {
                        let cgroup_row =
                            view.rows()[index].kind == crate::model::view::RowKind::Cgroup;
                        if view.selected_index() == Some(index) && cgroup_row {
                            let path = view.selected().clone();
                            let expanded = view.is_expanded(&path);
                            view.set_expanded(&path, !expanded, &self.model);
                        } else if view.selected_index() != Some(index) {
                            view.select_index(index, &self.model);
                        }
                    }
                }
            }
            _ => return Vec::new(),
        }
        self.tree.scroll_to_selection(self.layout.tree_rows());
        self.focus_effect(&before)
    }

    /// A left click over an open dialog, as drawn in the last frame: a list's row is selected
    /// by the first click and acted on by a click on the selected row (as Enter); a
    /// confirmation's buttons answer it. Anything else, outside the dialog too, does nothing.
    fn click_dialog(&mut self, mouse: MouseEvent) -> Vec<Effect> {
        if self.help.is_some() {
            return Vec::new();
        }
        let Some(dialog) = self.dialog.as_mut() else {
            return Vec::new();
        };
        let target = {
            let drawn = self.drawn_dialog.borrow();
            // A dialog changed since it was drawn: the click was aimed at something else.
            match drawn.as_ref() {
                Some(drawn) if drawn.identity == dialog_identity(dialog) => {
                    drawn.target_at(Position::new(mouse.column, mouse.row))
                }
                _ => None,
            }
        };
        match target {
            Some(DialogTarget::Yes) if matches!(dialog, Dialog::Confirm { .. }) => {
                self.perform(Action::Confirm)
            }
            Some(DialogTarget::No) if matches!(dialog, Dialog::Confirm { .. }) => {
                self.perform(Action::Close)
            }
            Some(DialogTarget::Row(row)) => match dialog.select_row(row) {
                RowClick::AlreadySelected => self.perform(Action::Activate),
                RowClick::Selected => {
                    self.remember_limits_row();
                    Vec::new()
                }
                RowClick::Nothing => Vec::new(),
            },
            _ => Vec::new(),
        }
    }
}
