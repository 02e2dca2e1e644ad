//! The tree table: one row per visible cgroup, only the rows on screen are built.

use crate::app::App;
use crate::cgroup::escape;
use crate::model::Node;
use crate::model::view::{Column, effective_memory_limit};
use crate::ui::format;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

/// Widths of the value columns after the name, in [`Column::ALL`] order (name excluded).
const VALUE_WIDTHS: [u16; 7] = [6, 7, 7, 7, 7, 5, 14];

fn widths(area: Rect) -> Vec<u16> {
    let values: u16 = VALUE_WIDTHS.iter().sum::<u16>() + VALUE_WIDTHS.len() as u16;
    let mut widths = vec![area.width.saturating_sub(values).max(12)];
    widths.extend(VALUE_WIDTHS);
    widths
}

/// The column whose header is at screen column `x`, for sorting by mouse.
pub fn column_at(area: Rect, x: u16) -> Option<Column> {
    let mut start = area.x;
    for (width, column) in widths(area).into_iter().zip(Column::ALL) {
        if x >= start && x < start + width + 1 {
            return Some(column);
        }
        start += width + 1;
    }
    None
}

fn unit_style(name: &str) -> Style {
    if name.ends_with(".slice") {
        Style::default().add_modifier(Modifier::BOLD)
    } else if name.ends_with(".service") {
        Style::default().fg(Color::Green)
    } else if name.ends_with(".scope") {
        Style::default().fg(Color::Cyan)
    } else {
        Style::default()
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

fn name_cell<'a>(
    app: &App,
    node: &'a Node,
    depth: usize,
    has_children: bool,
    expanded: bool,
) -> Line<'a> {
    let fold = match (has_children, expanded) {
        (false, _) => "  ",
        (true, true) => "▾ ",
        (true, false) => "▸ ",
    };
    let (marker, marker_style) = match (node.frozen(), node.populated()) {
        (Some(true), _) => ("❄ ", Style::default().fg(Color::Blue)),
        (_, Some(true)) => ("● ", Style::default().fg(Color::Green)),
        (_, Some(false)) => ("○ ", Style::default().fg(Color::DarkGray)),
        (_, None) => ("  ", Style::default()),
    };
    let name = if node.path.is_root() {
        "/".to_string()
    } else if depth == 0 {
        node.path.to_string()
    } else {
        escape::visible_os(node.path.name()).into_owned()
    };
    let mut spans = vec![
        Span::raw("  ".repeat(depth)),
        Span::raw(fold),
        Span::styled(marker, marker_style),
        Span::styled(name.clone(), unit_style(&name)),
    ];
    // The delegation boundary: the row where ownership changes to the person running cgtui.
    let owner = |n: &Node| n.sample.as_ref().map(|s| s.owner_uid);
    let parent_owner = node.parent.map(|p| owner(app.model.node(p)));
    if app.uid != 0
        && owner(node) == Some(app.uid)
        && parent_owner.is_some_and(|p| p != Some(app.uid))
    {
        spans.push(Span::styled(
            " ⇦ yours",
            Style::default().fg(Color::Magenta),
        ));
    }
    if app.own_cgroup.as_ref() == Some(&node.path) {
        spans.push(Span::styled(" ◂ cgtui", Style::default().fg(Color::Yellow)));
    }
    Line::from(spans)
}

fn number(text: String) -> Cell<'static> {
    Cell::from(Line::from(text).right_aligned())
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let header_style = Style::default().add_modifier(Modifier::REVERSED);
    let header = Row::new(Column::ALL.iter().map(|c| {
        let mut title = c.title().to_string();
        if *c == app.view.sort {
            title.push(if app.view.sort_descending {
                '▼'
            } else {
                '▲'
            });
        }
        if *c == Column::Name {
            Cell::from(title)
        } else {
            number(title)
        }
    }))
    .style(header_style);

    let height = area.height.saturating_sub(1) as usize;
    let rows = app.view.rows();
    let window = rows.iter().enumerate().skip(app.tree_offset).take(height);
    let table_rows: Vec<Row> = window
        .map(|(index, row)| {
            let node = app.model.node(row.id);
            let sample = node.sample.as_ref();
            let cells = vec![
                Cell::from(name_cell(
                    app,
                    node,
                    row.depth,
                    row.has_children,
                    row.expanded,
                )),
                number(format::percent(node.rates.cpu_pct)),
                number(format::opt_bytes(sample.and_then(|s| s.memory.current))),
                number(format::limit(effective_memory_limit(node).map(|(l, _)| l))),
                number(format::opt_rate(node.rates.io.map(|io| io.read_bps))),
                number(format::opt_rate(node.rates.io.map(|io| io.write_bps))),
                number(
                    sample
                        .and_then(|s| s.pids.current)
                        .map_or("-".into(), |p| p.to_string()),
                ),
                number(psi_cell(node)),
            ];
            let mut style = Style::default();
            if node.oom_flashing(app.now) {
                style = style
                    .bg(Color::Red)
                    .fg(Color::White)
                    .add_modifier(Modifier::BOLD);
            }
            if app.view.selected_index() == Some(index) {
                style = style.add_modifier(Modifier::REVERSED);
            }
            Row::new(cells).style(style)
        })
        .collect();
    let constraints: Vec<Constraint> = widths(area).into_iter().map(Constraint::Length).collect();
    let table = Table::new(table_rows, constraints)
        .header(header)
        .column_spacing(1);
    frame.render_widget(table, area);
}
