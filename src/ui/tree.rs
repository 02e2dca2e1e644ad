//! The tree table: one row per visible cgroup, only the rows on screen are built. Values are
//! styled by how alarming they are, so a 100 % row never looks like a 0 % row, with or without
//! colour.

use crate::app::App;
use crate::app::layout::Layout;
use crate::app::process_pane::ProcessRow;
use crate::cgroup::escape;
use crate::format;
use crate::model::view::{Column, RowKind};
use crate::model::{Node, fresh};
use crate::theme::Role;
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
    let view = &app.tree.view;
    let name = if node.path.is_root() {
        "/".to_string()
    } else if view.flat() && node.path != view.top {
        // Flat, a row is found by its path from the top (or its workload's name).
        app.names
            .label(&node.path)
            .unwrap_or_else(|| crate::app::process_pane::relative_path(&node.path, &view.top))
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

/// A line cut to `width` cells ending in `…`, so a cut name never passes for a whole one.
fn fit_line(line: Line<'_>, width: u16) -> Line<'_> {
    let mut room = usize::from(width);
    if line.width() <= room {
        return line;
    }
    let mut spans = Vec::new();
    for span in line.spans {
        let span_width = span.width();
        if span_width < room {
            room -= span_width;
            spans.push(span);
            continue;
        }
        // The cut falls here: with a `…` appended the text is always too long, so `fit` cuts
        // it and ends it with its own `…`, also when the span alone would just fit.
        spans.push(Span::styled(
            format::fit(&format!("{}…", span.content), room),
            span.style,
        ));
        break;
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

/// A process row under its cgroup (`p`): PID and command in the name column, CPU % and RSS
/// in the CPU and memory columns, `-` in the others (a cgroup's figure, not a process's).
fn process_cells(
    app: &App,
    process: Option<&ProcessRow>,
    pid: u32,
    depth: usize,
    layout: &Layout,
) -> Vec<Cell<'static>> {
    let dim = app.theme.style(Role::Dim);
    layout
        .columns
        .iter()
        .map(|(column, width)| match (column, process) {
            (Column::Name, _) => {
                let command = process.map_or_else(
                    || "(exited)".to_string(),
                    |p| {
                        if p.sample.cmdline.is_empty() {
                            format!("[{}]", escape::visible(&p.sample.comm))
                        } else {
                            escape::visible(&p.sample.cmdline).into_owned()
                        }
                    },
                );
                Cell::from(fit_line(
                    Line::from(vec![
                        Span::raw("  ".repeat(depth + 1)),
                        Span::styled(pid.to_string(), dim),
                        Span::raw(format!(" {command}")),
                    ]),
                    *width,
                ))
            }
            (Column::Cpu, Some(p)) => number(format::percent(p.cpu_pct), Style::default()),
            (Column::Memory, Some(p)) => {
                number(format::bytes(p.sample.rss_bytes as f64), Style::default())
            }
            _ => number("-".to_string(), dim),
        })
        .collect()
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
            let selected_style = || {
                if view.selected_index() == Some(index) {
                    theme.style(Role::Selected)
                } else {
                    Style::default()
                }
            };
            match row.kind {
                RowKind::Process { pid } => {
                    let process = app
                        .tree
                        .processes
                        .get(&node.path)
                        .and_then(|list| list.rows.iter().find(|p| p.sample.pid == pid));
                    return Row::new(process_cells(app, process, pid, row.depth, layout))
                        .style(selected_style());
                }
                RowKind::More { count } => {
                    let cells = layout.columns.iter().map(|(column, width)| {
                        if *column == Column::Name {
                            Cell::from(fit_line(
                                Line::from(vec![
                                    Span::raw("  ".repeat(row.depth + 1)),
                                    Span::styled(
                                        format!("… {count} more (Enter: the process list)"),
                                        theme.style(Role::Dim),
                                    ),
                                ]),
                                *width,
                            ))
                        } else {
                            Cell::from("")
                        }
                    });
                    return Row::new(cells).style(selected_style());
                }
                RowKind::Cgroup => {}
            }
            let stale_after = app.stale_after();
            let cells = layout.columns.iter().map(|(column, width)| match column {
                Column::Name => Cell::from(fit_line(
                    name_cell(app, node, row.depth, row.has_children, row.expanded),
                    *width,
                )),
                column if fresh::stale(*column, node, app.now, stale_after) => {
                    old_number(column.text(node), *width, app)
                }
                column => number(
                    column.text(node),
                    theme.style(Role::Level(
                        column.level_with(node, app.thresholds.get(*column)),
                    )),
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
