//! Where everything is on screen, computed from the terminal's size and the person's choices
//! (details pane shown and how tall, lessons panel open, columns). Rendering computes it from
//! the frame it draws into, so a stale size can never draw outside the buffer; the app keeps
//! the latest one to map mouse clicks and page sizes. A dialog's rows and buttons are placed by
//! its drawing, which records them here ([`DrawnDialog`]).

use crate::model::view::Column;
use ratatui::layout::Rect;

/// The person's layout choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayoutPrefs {
    pub details: bool,
    /// Share of the body the details pane takes, in percent.
    pub details_pct: u16,
    /// The lessons panel is open.
    pub side_panel: bool,
}

impl Default for LayoutPrefs {
    fn default() -> Self {
        LayoutPrefs {
            details: true,
            details_pct: 45,
            side_panel: false,
        }
    }
}

pub const DETAILS_MIN_PCT: u16 = 20;
pub const DETAILS_MAX_PCT: u16 = 80;
/// Below this many body rows the details pane gives way to the tree.
const DETAILS_MIN_BODY: u16 = 10;
/// The name column keeps at least this many cells before value columns are shown.
const NAME_MIN: u16 = 24;

/// The tree's columns that fit in `width`: the name first and at least [`NAME_MIN`] wide,
/// then as many of the shown value columns as fit, in their order.
pub fn fit_columns(width: u16, shown: &[Column]) -> Vec<(Column, u16)> {
    let mut values: Vec<(Column, u16)> = shown
        .iter()
        .filter(|c| **c != Column::Name)
        .map(|c| (*c, c.width()))
        .collect();
    let used = |values: &[(Column, u16)]| values.iter().map(|(_, w)| w + 1).sum::<u16>();
    while !values.is_empty()
        && (used(&values) > width || width - used(&values) < NAME_MIN.min(width))
    {
        values.pop();
    }
    let mut columns = vec![(Column::Name, width.saturating_sub(used(&values)))];
    columns.extend(values);
    columns
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Layout {
    pub area: Rect,
    pub header: Rect,
    /// The lessons panel on the right (zero-sized when closed).
    pub side: Rect,
    /// The tree table including its column header line.
    pub tree: Rect,
    /// The tree's columns that fit, with their widths (one cell between columns).
    pub columns: Vec<(Column, u16)>,
    /// The whole details pane (zero-sized when hidden).
    pub details: Rect,
    /// Inside the details pane: the facts on the left.
    pub facts: Rect,
    /// The history graphs on the right.
    pub history: Rect,
    /// The process table on the right, including its title line and column header.
    pub processes: Rect,
    pub footer: Rect,
}

impl Layout {
    pub fn new(area: Rect, prefs: &LayoutPrefs, shown: &[Column]) -> Layout {
        let header = Rect {
            height: 1.min(area.height),
            ..area
        };
        let side_width = if prefs.side_panel {
            (area.width / 3).clamp(30, 60).min(area.width / 2)
        } else {
            0
        };
        let body_top = area.y + header.height;
        let body_height = area.height.saturating_sub(2);
        let side = Rect {
            x: area.right().saturating_sub(side_width),
            y: body_top,
            width: side_width,
            height: body_height,
        };
        let main_width = area.width - side_width;
        let footer = Rect {
            x: area.x,
            y: area.bottom().saturating_sub(1).max(body_top),
            width: main_width,
            height: u16::from(area.height >= 2),
        };
        let details_height = if prefs.details && body_height >= DETAILS_MIN_BODY {
            (body_height as u32 * prefs.details_pct.clamp(DETAILS_MIN_PCT, DETAILS_MAX_PCT) as u32
                / 100) as u16
        } else {
            0
        };
        let tree = Rect {
            x: area.x,
            y: body_top,
            width: main_width,
            height: body_height - details_height,
        };
        let details = Rect {
            x: area.x,
            y: tree.bottom(),
            width: main_width,
            height: details_height,
        };
        // Inside the details pane: a title rule, then facts (58 %) beside graphs and processes.
        let inner = Rect {
            y: details.y + 1.min(details.height),
            height: details.height.saturating_sub(1),
            ..details
        };
        let left_width = inner.width * 58 / 100;
        let facts = Rect {
            width: left_width,
            ..inner
        };
        let right = Rect {
            x: inner.x + left_width,
            width: inner.width - left_width,
            ..inner
        };
        let history_height = 6.min(right.height / 2);
        let history = Rect {
            height: history_height,
            ..right
        };
        let processes = Rect {
            y: right.y + history_height,
            height: right.height - history_height,
            ..right
        };
        Layout {
            area,
            header,
            side,
            columns: fit_columns(tree.width, shown),
            tree,
            details,
            facts,
            history,
            processes,
            footer,
        }
    }

    /// Tree rows that fit below the column header.
    pub fn tree_rows(&self) -> usize {
        self.tree.height.saturating_sub(1) as usize
    }

    /// Process rows that fit below the table's title and column header.
    pub fn process_rows(&self) -> usize {
        self.processes.height.saturating_sub(2) as usize
    }

    /// The column whose header is at screen column `x`.
    pub fn column_at(&self, x: u16) -> Option<Column> {
        let mut start = self.tree.x;
        for (column, width) in &self.columns {
            if x >= start && x < start + width + 1 {
                return Some(*column);
            }
            start += width + 1;
        }
        None
    }
}

/// What a click on a drawn dialog does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogTarget {
    /// A row of a list (limits, controllers, undo): the first click selects it, a click on the
    /// selected row acts as Enter.
    Row(usize),
    /// A confirmation's yes.
    Yes,
    /// A confirmation's no.
    No,
}

/// Where the open dialog's rows and buttons were drawn in the last frame. Rendering records
/// it (the popup's size follows its wrapped text, known only there); the mouse handler reads
/// it, and only while the dialog is still the one drawn, so a click never lands on a dialog
/// the person has not seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrawnDialog {
    /// [`dialog_identity`] of the dialog as drawn.
    pub identity: u64,
    /// The whole popup, borders included.
    pub popup: Rect,
    pub targets: Vec<(Rect, DialogTarget)>,
}

impl DrawnDialog {
    /// What lies at `position`, if anything clickable.
    pub fn target_at(&self, position: ratatui::layout::Position) -> Option<DialogTarget> {
        self.targets
            .iter()
            .find(|(area, _)| area.contains(position))
            .map(|(_, target)| *target)
    }
}

/// Tells dialogs apart by everything they hold (what they would write, the row selected,
/// the text typed): a dialog that changed since it was drawn has another identity.
pub fn dialog_identity(dialog: &crate::app::dialog::Dialog) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    format!("{dialog:?}").hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rect_lies_inside_the_area_at_any_size() {
        let shown = Column::DEFAULT;
        for (w, h) in [
            (0, 0),
            (1, 1),
            (20, 5),
            (30, 6),
            (80, 24),
            (200, 60),
            (7, 300),
        ] {
            for side_panel in [false, true] {
                for details in [false, true] {
                    let area = Rect::new(0, 0, w, h);
                    let prefs = LayoutPrefs {
                        details,
                        details_pct: 45,
                        side_panel,
                    };
                    let l = Layout::new(area, &prefs, &shown);
                    for r in [
                        l.header,
                        l.side,
                        l.tree,
                        l.details,
                        l.facts,
                        l.history,
                        l.processes,
                        l.footer,
                    ] {
                        assert!(
                            r.area() == 0 || area.union(r) == area,
                            "{r:?} outside {area:?}"
                        );
                    }
                    let widths: u16 = l.columns.iter().map(|(_, w)| w + 1).sum();
                    assert!(widths <= l.tree.width + 1, "{w}x{h}: {:?}", l.columns);
                }
            }
        }
    }

    #[test]
    fn the_name_column_is_kept_readable_first() {
        let columns = fit_columns(80, &Column::DEFAULT);
        assert!(columns[0].1 >= NAME_MIN, "{columns:?}");
        assert!(columns.len() < 1 + Column::DEFAULT.len());
        let wide = fit_columns(200, &Column::DEFAULT);
        assert_eq!(wide.len(), 1 + Column::DEFAULT.len());
    }
}
