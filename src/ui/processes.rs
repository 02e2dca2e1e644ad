//! The process list of the details pane: the selected cgroup's own processes, or its whole
//! subtree's with the cgroup each is in (`a`), sorted by the column marked in the header.

use crate::app::App;
use crate::app::process_pane::{CGROUP_MAX, ProcessSort, relative_path};
use crate::cgroup::escape;
use crate::format;
use crate::model::Node;
use crate::theme::Role;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Row, Table};

pub fn render(app: &App, frame: &mut Frame, area: Rect, rows_on_screen: usize, node: &Node) {
    if area.height == 0 {
        return;
    }
    let theme = &app.theme;
    let pane = &app.processes;
    let shown = if pane.cgroup == node.path {
        pane.rows.as_slice()
    } else {
        &[]
    };
    let focused = app.focus == crate::app::Focus::Processes;
    let cgroups: Vec<String> = if pane.subtree {
        shown
            .iter()
            .skip(pane.offset)
            .take(rows_on_screen)
            .map(|p| relative_path(&p.cgroup, &pane.cgroup))
            .collect()
    } else {
        Vec::new()
    };
    let columns = pane.columns(shown, rows_on_screen, area.width);
    let width_of = |sort: ProcessSort| {
        columns
            .iter()
            .find(|(s, _)| *s == Some(sort))
            .map_or(0, |(_, w)| *w)
    };
    let user_width = width_of(ProcessSort::User);
    let command_width = usize::from(width_of(ProcessSort::Command));
    let rows = shown
        .iter()
        .enumerate()
        .skip(pane.offset)
        .take(rows_on_screen)
        .map(|(i, p)| {
            let command = if p.sample.cmdline.is_empty() {
                format!("[{}]", escape::visible(&p.sample.comm))
            } else if p.sample.cmdline_truncated {
                format!("{}…", escape::visible(&p.sample.cmdline))
            } else {
                escape::visible(&p.sample.cmdline).into_owned()
            };
            let style = if focused && i == pane.selected {
                theme.style(Role::Selected)
            } else {
                Style::default()
            };
            let mut cells = vec![
                Cell::from(Line::from(p.sample.pid.to_string()).right_aligned()),
                Cell::from(format::fit(&p.user, user_width as usize)),
                Cell::from(p.sample.state.to_string()),
                Cell::from(Line::from(format::percent(p.cpu_pct)).right_aligned()),
                Cell::from(Line::from(format::bytes(p.sample.rss_bytes as f64)).right_aligned()),
            ];
            if pane.subtree {
                let cgroup = cgroups
                    .get(i - pane.offset)
                    .map_or(String::new(), |c| format::fit_left(c, CGROUP_MAX));
                cells.push(Cell::from(cgroup));
            }
            cells.push(Cell::from(format::fit(&command, command_width)));
            Row::new(cells).style(style)
        });
    let position = if shown.len() > rows_on_screen {
        format!(
            "{}-{} of ",
            pane.offset + 1,
            (pane.offset + rows_on_screen).min(shown.len())
        )
    } else {
        String::new()
    };
    // Only the first processes are read (as many as fit, and a margin): say how many more.
    let count = match pane.total.saturating_sub(shown.len()) {
        more if more > 0 && !shown.is_empty() => format!("{} · {more} more", shown.len()),
        _ => shown.len().to_string(),
    };
    let what = if pane.subtree {
        "processes of the subtree"
    } else {
        "processes"
    };
    let keys = |action| {
        app.keymap()
            .keys_for(crate::app::Context::Processes, action)
    };
    let title = if focused {
        // `--read-only` has no signal key.
        let signal = keys(crate::app::Action::Signal);
        let signal = if signal.is_empty() {
            String::new()
        } else {
            format!(" · {signal} signal")
        };
        format!(
            "{what} ({position}{count}) · Enter show · m move{signal} · {} {} · {} sort · Tab back",
            keys(crate::app::Action::AllProcesses),
            if pane.subtree { "own" } else { "subtree" },
            keys(crate::app::Action::SortNext),
        )
    } else {
        format!("{what} ({position}{count}) · Tab to pick")
    };
    // The sort column's header carries the arrow, as the tree's does.
    let header = |sort: ProcessSort, text: &str| {
        if pane.sort == sort {
            format!("{text}{}", if pane.sort_descending { '▼' } else { '▲' })
        } else {
            text.to_string()
        }
    };
    let mut titles = vec![
        header(ProcessSort::Pid, "PID"),
        header(ProcessSort::User, "USER"),
        "S".to_string(),
        header(ProcessSort::Cpu, "CPU%"),
        header(ProcessSort::Rss, "RSS"),
    ];
    if pane.subtree {
        titles.push(header(ProcessSort::Cgroup, "CGROUP"));
    }
    titles.push(format::fit(
        &header(ProcessSort::Command, "COMMAND"),
        command_width,
    ));
    // The command's column fills the rest, as [`ProcessPane::columns`] says.
    let mut constraints: Vec<Constraint> = columns
        .iter()
        .map(|(_, width)| Constraint::Length(*width))
        .collect();
    if let Some(last) = constraints.last_mut() {
        *last = Constraint::Fill(1);
    }
    // CPU% and RSS are right-aligned under their headers (PID, as before, is not).
    let numeric = [false, false, false, true, true];
    let header_cells: Vec<Cell> = titles
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            if numeric.get(i) == Some(&true) {
                Cell::from(Line::from(t).right_aligned())
            } else {
                Cell::from(t)
            }
        })
        .collect();
    let widget = Table::new(rows, constraints)
        .header(Row::new(header_cells).style(theme.style(Role::Bold)))
        .block(Block::default().borders(Borders::TOP).title(title));
    frame.render_widget(widget, area);
}
