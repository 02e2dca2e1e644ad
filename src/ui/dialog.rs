//! Modal dialogs of the editor, drawn over the tree.

use crate::app::edit::Dialog;
use crate::cgroup::escape;
use crate::cgroup::predict::Prediction;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width.saturating_sub(2));
    let height = height.min(area.height.saturating_sub(2));
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

fn dim(text: impl Into<String>) -> Span<'static> {
    Span::styled(text.into(), Style::default().fg(Color::DarkGray))
}

fn selectable(text: String, selected: bool) -> Line<'static> {
    let style = if selected {
        Style::default().add_modifier(Modifier::REVERSED)
    } else {
        Style::default()
    };
    Line::from(Span::styled(text, style))
}

/// The kernel's predicted answer, as the last line of a dialog that is about to change something.
fn prediction_line(prediction: &Prediction) -> Line<'static> {
    match prediction.errno.as_deref() {
        None => Line::from(vec![
            Span::styled(" kernel: ", Style::default().add_modifier(Modifier::BOLD)),
            Span::styled("will allow this", Style::default().fg(Color::Green)),
        ]),
        Some(errno) => Line::from(vec![
            Span::styled(" kernel: ", Style::default().add_modifier(Modifier::BOLD)),
            Span::styled(
                format!(
                    "will refuse with {errno} [{}]: {}",
                    prediction.rule, prediction.explanation
                ),
                Style::default().fg(Color::Red),
            ),
        ]),
    }
}

pub fn render(dialog: &Dialog, prediction: Option<&Prediction>, frame: &mut Frame, area: Rect) {
    let (title, mut lines, border) = match dialog {
        Dialog::Limits {
            cgroup,
            rows,
            selected,
        } => {
            let mut lines: Vec<Line> = rows
                .iter()
                .enumerate()
                .map(|(i, r)| selectable(format!(" {:<28} {}", r.label, r.current), i == *selected))
                .collect();
            lines.push(Line::from(""));
            if let Some(row) = rows.get(*selected) {
                lines.push(Line::from(dim(format!(" {}", row.hint))));
            }
            lines.push(Line::from(dim(" ↑↓ choose · Enter edit · Esc close")));
            (format!(" limits of {cgroup} "), lines, Color::Cyan)
        }
        Dialog::Controllers {
            cgroup,
            rows,
            selected,
        } => {
            let mut lines: Vec<Line> = rows
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let state = if r.enabled {
                        "[x] enabled for children"
                    } else {
                        "[ ] available"
                    };
                    let users = if r.used_by.is_empty() {
                        String::new()
                    } else {
                        format!("  passed on by {}", r.used_by.join(", "))
                    };
                    selectable(format!(" {:<10} {state}{users}", r.name), i == *selected)
                })
                .collect();
            lines.push(Line::from(""));
            lines.push(Line::from(dim(
                " cgroup.controllers lists what the parent gives; cgroup.subtree_control what this passes on.",
            )));
            lines.push(Line::from(dim(" Space/Enter toggle · Esc close")));
            (format!(" controllers of {cgroup} "), lines, Color::Cyan)
        }
        Dialog::Input {
            title, hint, text, ..
        } => {
            let lines = vec![
                Line::from(vec![
                    Span::raw(" > "),
                    Span::styled(
                        escape::visible(text.as_bytes()).into_owned(),
                        Style::default().add_modifier(Modifier::BOLD),
                    ),
                    Span::styled("▏", Style::default().add_modifier(Modifier::SLOW_BLINK)),
                ]),
                Line::from(""),
                Line::from(dim(format!(" {hint}"))),
                Line::from(dim(
                    " Enter write (checked first) · Ctrl-U clear · Esc cancel",
                )),
            ];
            (format!(" {title} "), lines, Color::Cyan)
        }
        Dialog::Confirm { message, .. } => {
            let lines = vec![
                Line::from(format!(" {message}")),
                Line::from(""),
                Line::from(vec![
                    Span::styled(
                        " y ",
                        Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED),
                    ),
                    Span::raw(" yes   "),
                    dim("any other key: no"),
                ]),
            ];
            (" confirm ".to_string(), lines, Color::Yellow)
        }
        Dialog::Text {
            title,
            lines,
            scroll,
        } => {
            let mut out: Vec<Line> = lines
                .iter()
                .skip(*scroll)
                .map(|l| Line::from(format!(" {l}")))
                .collect();
            out.push(Line::from(dim(
                " ↑↓ PgUp PgDn scroll · any other key closes",
            )));
            (format!(" {title} "), out, Color::Magenta)
        }
        Dialog::Result { ok, lines, fix } => {
            let mut out: Vec<Line> = lines.iter().map(|l| Line::from(format!(" {l}"))).collect();
            if let Some(fix) = fix {
                out.push(Line::from(""));
                out.push(Line::from(vec![
                    Span::styled(
                        " F ",
                        Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED),
                    ),
                    Span::raw(format!(" fix it: {}", fix.describe())),
                ]));
            }
            out.push(Line::from(dim(" any key closes")));
            let (title, color) = if *ok {
                (" done ", Color::Green)
            } else {
                (" refused ", Color::Red)
            };
            (title.to_string(), out, color)
        }
    };
    if let Some(prediction) = prediction {
        lines.push(Line::from(""));
        lines.push(prediction_line(prediction));
        for warning in &prediction.warnings {
            lines.push(Line::from(Span::styled(
                format!(" {warning}"),
                Style::default().fg(Color::Yellow),
            )));
        }
    }
    let width = if matches!(dialog, Dialog::Text { .. }) {
        120
    } else {
        96
    };
    // Long lines wrap: count the rows they take inside the borders.
    let inner = width
        .min(area.width.saturating_sub(2))
        .saturating_sub(2)
        .max(1) as usize;
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    let height = rows as u16 + 2;
    let popup = centered(area, width, height.max(5));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(border))
        .title(title);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        popup,
    );
}
