//! The tree table: one row per visible cgroup, only the rows on screen are built. Values are
//! styled by how alarming they are, so a 100 % row never looks like a 0 % row, with or without
//! colour.

use crate::app::App;
use crate::app::layout::Layout;
use crate::cgroup::escape;
use crate::format;
use crate::model::view::{Column, effective_memory_limit, memory_pct};
use crate::model::{Node, fresh};
use crate::theme::{Level, Role};
use ratatui::Frame;
use ratatui::layout::Constraint;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

fn unit_role(name: &str) -> Option<Role> {
    if name.ends_with(".slice") {
        Some(Role::Slice)
    } else if name.ends_with(".service") {
        Some(Role::Service)
    } else if name.ends_with(".scope") {
        Some(Role::Scope)
    } else {
        None
    }
}

fn psi_cell(node: &Node) -> String {
    let Some(sample) = node.sample.as_ref() else {
        return "-".into();
    };
    let part = |p: &Option<crate::cgroup::parse::Pressure>| {
        p.map_or("-".to_string(), |p| format!("{:.1}", p.some.avg10))
    };
    if sample.psi.cpu.is_none() && sample.psi.memory.is_none() && sample.psi.io.is_none() {
        return "-".into();
    }
    format!(
        "{}/{}/{}",
        part(&sample.psi.cpu),
        part(&sample.psi.memory),
        part(&sample.psi.io)
    )
}

/// The text of a value column.
pub fn cell_text(column: Column, node: &Node) -> String {
    let sample = node.sample.as_ref();
    let events = sample.and_then(|s| s.memory.events);
    let rates = node.shown_rates();
    match column {
        Column::Name => String::new(),
        Column::Cpu => format::percent(rates.cpu_pct),
        Column::Throttled => format::percent(rates.cpu_throttled_pct),
        Column::Memory => format::opt_bytes(sample.and_then(|s| s.memory.current)),
        Column::MemoryLimit => format::limit(effective_memory_limit(node).map(|(l, _)| l)),
        Column::MemoryPct => format::percent(memory_pct(node)),
        Column::Swap => format::opt_bytes(sample.and_then(|s| s.memory.swap_current)),
        Column::IoRead => format::opt_rate(rates.io.map(|io| io.read_bps)),
        Column::IoWrite => format::opt_rate(rates.io.map(|io| io.write_bps)),
        Column::IoTotal => format::opt_rate(rates.io.map(|io| io.read_bps + io.write_bps)),
        Column::Pids => format::count(sample.and_then(|s| s.pids.current)),
        Column::Psi => psi_cell(node),
        Column::Oom => format::count(events.map(|e| e.oom)),
        Column::OomKill => format::count(events.map(|e| e.oom_kill)),
    }
}

fn scale(value: f64, elevated: f64, high: f64) -> Level {
    if value >= high {
        Level::High
    } else if value >= elevated {
        Level::Elevated
    } else if value <= 0.0 {
        Level::Idle
    } else {
        Level::Normal
    }
}

/// How alarming a column's value is.
pub fn level(column: Column, node: &Node) -> Level {
    let Some(value) = column.value(node) else {
        return Level::Idle;
    };
    let of_limit = memory_pct(node).map_or(Level::Normal, |pct| scale(pct, 75.0, 90.0));
    match column {
        Column::Name => Level::Normal,
        Column::Cpu => scale(value, 50.0, 90.0),
        Column::Throttled => scale(value, 1.0, 25.0),
        Column::Memory | Column::MemoryPct => match of_limit {
            Level::Normal if value <= 0.0 => Level::Idle,
            level => level,
        },
        Column::MemoryLimit => of_limit.max(Level::Normal),
        Column::Swap => scale(value, f64::MIN_POSITIVE, f64::INFINITY),
        Column::IoRead | Column::IoWrite | Column::IoTotal => {
            scale(value, 50.0 * 1048576.0, 500.0 * 1048576.0)
        }
        Column::Pids => {
            let max = node.sample.as_ref().and_then(|s| match s.pids.max {
                Some(crate::cgroup::Limit::Value(m)) if m > 0 => Some(m as f64),
                _ => None,
            });
            match max {
                Some(max) => scale(value * 100.0 / max, 75.0, 90.0),
                None => scale(value, f64::INFINITY, f64::INFINITY),
            }
        }
        Column::Psi => scale(value, 1.0, 10.0),
        Column::Oom | Column::OomKill => scale(value, f64::INFINITY, f64::MIN_POSITIVE),
    }
}

fn name_cell<'a>(
    app: &App,
    node: &'a Node,
    depth: usize,
    has_children: bool,
    expanded: bool,
) -> Line<'a> {
    let theme = &app.theme;
    let fold = match (has_children, expanded) {
        (false, _) => "  ",
        (true, true) => "▾ ",
        (true, false) => "▸ ",
    };
    let (marker, marker_role) = match (node.frozen(), node.populated()) {
        (Some(true), _) => ("❄ ", Some(Role::Frozen)),
        (_, Some(true)) => ("● ", Some(Role::Populated)),
        (_, Some(false)) => ("○ ", Some(Role::Empty)),
        (_, None) => ("  ", None),
    };
    let raw_name = escape::visible_os(node.path.name());
    let name = if node.path.is_root() {
        "/".to_string()
    } else if depth == 0 {
        node.path.to_string()
    } else {
        // The workload's name (`docker 3f2a4b5c6d7e`) unless `x` asked for raw names.
        app.names
            .label(&node.path)
            .unwrap_or_else(|| raw_name.clone().into_owned())
    };
    let style = |role: Option<Role>| role.map_or(Style::default(), |r| theme.style(r));
    let mut spans = vec![
        Span::raw("  ".repeat(depth)),
        Span::raw(fold),
        Span::styled(marker, style(marker_role)),
        Span::styled(name, style(unit_role(&raw_name))),
    ];
    if node.frozen() == Some(true) {
        spans.push(Span::styled(" frozen", theme.style(Role::Frozen)));
    }
    if node.oom_flashing(app.now) {
        spans.push(Span::styled(" OOM-KILL", theme.style(Role::Oom)));
    }
    // The delegation boundary: the row where ownership changes to the person running cgtui.
    let owner = |n: &Node| n.sample.as_ref().map(|s| s.owner_uid);
    let parent_owner = node.parent.map(|p| owner(app.model.node(p)));
    if app.uid != 0
        && owner(node) == Some(app.uid)
        && parent_owner.is_some_and(|p| p != Some(app.uid))
    {
        spans.push(Span::styled(" ⇦ yours", theme.style(Role::Yours)));
    }
    if app.own_cgroup.as_ref() == Some(&node.path) {
        spans.push(Span::styled(" ◂ cgtui", theme.style(Role::Own)));
    }
    Line::from(spans)
}

fn number(text: String, style: Style) -> Cell<'static> {
    Cell::from(Line::from(text).right_aligned()).style(style)
}

/// A value that is not current (its row was off screen): dimmed, and marked `~` where the
/// column has room, so it never passes for a fresh one.
fn old_number(mut text: String, width: u16, app: &App) -> Cell<'static> {
    if format::width(&text) < usize::from(width) {
        text.insert(0, '~');
    }
    number(text, app.theme.style(Role::Dim))
}

pub fn render(app: &App, frame: &mut Frame, layout: &Layout) {
    let area = layout.tree;
    if area.height == 0 || area.width == 0 {
        return;
    }
    let theme = &app.theme;
    let view = &app.tree.view;
    let header = Row::new(layout.columns.iter().map(|(c, _)| {
        let mut title = c.title().to_string();
        if *c == view.sort {
            title.push(if view.sort_descending { '▼' } else { '▲' });
        }
        if *c == Column::Name {
            Cell::from(title)
        } else {
            number(title, Style::default())
        }
    }))
    .style(theme.style(Role::ColumnHeader));

    let height = layout.tree_rows();
    let rows = view.rows();
    // The app scrolls for the size it last heard of; keep the selection visible at this one.
    let mut offset = app.tree.offset.min(rows.len().saturating_sub(height));
    if let Some(selected) = view.selected_index() {
        if selected < offset {
            offset = selected;
        } else if height > 0 && selected >= offset + height {
            offset = selected + 1 - height;
        }
    }
    let table_rows: Vec<Row> = rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(index, row)| {
            let node = app.model.node(row.id);
            let stale_after = app.stale_after();
            let cells = layout.columns.iter().map(|(column, width)| match column {
                Column::Name => Cell::from(name_cell(
                    app,
                    node,
                    row.depth,
                    row.has_children,
                    row.expanded,
                )),
                column if fresh::stale(*column, node, app.now, stale_after) => {
                    old_number(cell_text(*column, node), *width, app)
                }
                column => number(
                    cell_text(*column, node),
                    theme.style(Role::Level(level(*column, node))),
                ),
            });
            let mut style = Style::default();
            if node.oom_flashing(app.now) {
                style = style.patch(theme.style(Role::Oom));
            }
            if view.selected_index() == Some(index) {
                style = style.patch(theme.style(Role::Selected));
            }
            Row::new(cells).style(style)
        })
        .collect();
    let constraints: Vec<Constraint> = layout
        .columns
        .iter()
        .map(|(_, w)| Constraint::Length(*w))
        .collect();
    let table = Table::new(table_rows, constraints)
        .header(header)
        .column_spacing(1);
    frame.render_widget(table, area);
}
