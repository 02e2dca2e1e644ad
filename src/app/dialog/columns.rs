//! The column chooser (`C`, `F2`): every column with its meaning, shown or hidden at once,
//! moved earlier or later, and saved into the config file on request.

use super::{Step, move_in};
use crate::app::action::Action;
use crate::model::view::Column;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnChooser {
    /// Every value column: the shown ones first in their order, then the hidden ones.
    pub rows: Vec<(Column, bool)>,
    pub selected: usize,
}

impl ColumnChooser {
    pub fn new(shown: &[Column]) -> ColumnChooser {
        let mut rows: Vec<(Column, bool)> = shown.iter().map(|c| (*c, true)).collect();
        rows.extend(
            Column::all()
                .filter(|c| *c != Column::Name && !shown.contains(c))
                .map(|c| (c, false)),
        );
        ColumnChooser { rows, selected: 0 }
    }

    /// The columns shown, in their order.
    pub fn shown(&self) -> Vec<Column> {
        self.rows
            .iter()
            .filter(|(_, shown)| *shown)
            .map(|(c, _)| *c)
            .collect()
    }

    pub fn on_action(&mut self, action: Action, page: usize) -> Step {
        match action {
            Action::Close => Step::Close,
            Action::Activate => {
                if let Some((_, shown)) = self.rows.get_mut(self.selected) {
                    *shown = !*shown;
                }
                Step::Stay
            }
            Action::ColumnEarlier if self.selected > 0 => {
                self.rows.swap(self.selected, self.selected - 1);
                self.selected -= 1;
                Step::Stay
            }
            Action::ColumnLater if self.selected + 1 < self.rows.len() => {
                self.rows.swap(self.selected, self.selected + 1);
                self.selected += 1;
                Step::Stay
            }
            Action::SaveColumns => Step::SaveColumns(self.shown()),
            other => {
                move_in(&mut self.selected, self.rows.len(), other, page);
                Step::Stay
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toggling_and_moving_change_the_shown_columns_in_order() {
        let mut chooser = ColumnChooser::new(&[Column::Cpu, Column::Memory]);
        assert_eq!(
            chooser.rows.len(),
            Column::all().count() - 1,
            "all but the name"
        );
        assert_eq!(chooser.shown(), [Column::Cpu, Column::Memory]);
        // Hide CPU, then show it again after MEM.
        chooser.on_action(Action::Activate, 10);
        assert_eq!(chooser.shown(), [Column::Memory]);
        chooser.on_action(Action::Activate, 10);
        chooser.on_action(Action::ColumnLater, 10);
        assert_eq!(chooser.shown(), [Column::Memory, Column::Cpu]);
        assert_eq!(chooser.selected, 1, "the selection moves with its row");
        // Pick a hidden one (the first after the shown) and move it to the front.
        chooser.on_action(Action::Down, 10);
        let hidden = chooser.rows[2].0;
        chooser.on_action(Action::Activate, 10);
        chooser.on_action(Action::ColumnEarlier, 10);
        chooser.on_action(Action::ColumnEarlier, 10);
        chooser.on_action(Action::ColumnEarlier, 10);
        assert_eq!(chooser.shown(), [hidden, Column::Memory, Column::Cpu]);
        match chooser.on_action(Action::SaveColumns, 10) {
            Step::SaveColumns(columns) => assert_eq!(columns, chooser.shown()),
            other => panic!("{other:?}"),
        }
        assert!(matches!(chooser.on_action(Action::Close, 10), Step::Close));
    }
}
