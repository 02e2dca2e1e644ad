//! Modal dialogs, drawn over the main view. A dialog that is about to change something shows
//! the kernel's predicted answer (or says it is read-only) before anything is written.

use crate::app::dialog::Dialog;
use crate::app::status::Tone;
use crate::app::{Action, App, Context};
use crate::cgroup::escape;
use crate::cgroup::predict::Prediction;
use crate::theme::{Role, Theme};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
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

/// The kernel's predicted answer, as the last lines of a dialog that is about to change
/// something.
fn prediction_lines(prediction: &Prediction, theme: &Theme) -> Vec<Line<'static>> {
    let bold = theme.style(Role::Bold);
    let mut lines = vec![match prediction.errno.as_deref() {
        None => Line::from(vec![
            Span::styled(" kernel: ", bold),
            Span::styled("will allow this", theme.style(Role::Ok)),
        ]),
        Some(errno) => Line::from(vec![
            Span::styled(" kernel: ", bold),
            Span::styled(
                format!(
                    "will refuse with {errno} [{}]: {}",
                    prediction.rule, prediction.explanation
                ),
                theme.style(Role::Refused),
            ),
        ]),
    }];
    if let Some(meaning) =
        crate::i18n::translated_meaning(prediction.rule).filter(|_| prediction.errno.is_some())
    {
        lines.push(Line::from(Span::styled(
            format!(" {meaning}"),
            theme.style(Role::Refused),
        )));
    }
    if let Some(fix) = prediction
        .fix
        .as_ref()
        .filter(|_| prediction.errno.is_some())
    {
        lines.push(Line::from(Span::styled(
            format!(" what to do: {fix}"),
            theme.style(Role::Dim),
        )));
    }
    for warning in &prediction.warnings {
        lines.push(Line::from(Span::styled(
            format!(" warning: {warning}"),
            theme.style(Role::Warning),
        )));
    }
    lines
}

fn read_only_line(theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(
        " read-only (--read-only): shown for reference, nothing can be written",
        theme.style(Role::Warning),
    ))
}

/// The dialog's own keys for its last line, as the keymap binds them in `context`: each item
/// is the first key of each of its actions, then what they do ("↑↓ choose · r direct write");
/// an item without actions is its words alone. Generated, so a rebinding shows here too.
fn keys_line(app: &App, context: Context, items: &[(&[Action], &str)]) -> Line<'static> {
    let text = items
        .iter()
        .filter_map(|(actions, words)| {
            let keys: Vec<String> = actions
                .iter()
                .map(|action| app.keymap.keys_for(context, *action))
                .filter(|keys| !keys.is_empty())
                .collect();
            match (actions.is_empty(), keys.is_empty()) {
                (true, _) => Some(words.to_string()),
                (false, true) => None,
                (false, false) => Some(format!("{} {words}", join_keys(&keys))),
            }
        })
        .collect::<Vec<_>>()
        .join(" · ");
    Line::from(Span::styled(format!(" {text}"), app.theme.style(Role::Dim)))
}

/// Keys side by side: arrows as one pair (`↑↓`, `←→`), other keys apart (`PgUp PgDn`).
fn join_keys(keys: &[String]) -> String {
    let arrow = |key: &str| ["↑", "↓", "←", "→"].contains(&key);
    let mut out = String::new();
    for (i, key) in keys.iter().enumerate() {
        if i > 0 && !(arrow(&keys[i - 1]) && arrow(key)) {
            out.push(' ');
        }
        out.push_str(key);
    }
    out
}

/// A key of `action` in `context` for a badge (` y `, ` F `).
fn badge(app: &App, context: Context, action: Action) -> String {
    format!(" {} ", app.keymap.keys_for(context, action))
}

pub fn render(app: &App, dialog: &Dialog, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let dim = |text: String| Line::from(Span::styled(text, theme.style(Role::Dim)));
    let selectable = |text: String, selected: bool| {
        let style = if selected {
            theme.style(Role::Selected)
        } else {
            Style::default()
        };
        Line::from(Span::styled(text, style))
    };
    // Only the prediction of what this very dialog would do.
    let pending = dialog.pending_op();
    let prediction = app
        .prediction
        .as_ref()
        .filter(|(op, _)| pending.as_ref() == Some(op))
        .map(|(_, p)| p);
    let mut scroll = 0usize;
    let (title, mut lines, border) = match dialog {
        Dialog::Limits {
            cgroup,
            rows,
            selected,
            read_only,
        } => {
            let mut lines = Vec::new();
            if *read_only {
                lines.push(read_only_line(theme));
            }
            match rows {
                None => lines.push(dim(" reading the limit files…".into())),
                Some(rows) => {
                    lines.extend(rows.iter().enumerate().map(|(i, r)| {
                        selectable(format!(" {:<28} {}", r.label, r.current), i == *selected)
                    }));
                    lines.push(Line::from(""));
                    if let Some(row) = rows.get(*selected) {
                        lines.push(dim(format!(" {}", row.hint)));
                    }
                }
            }
            let items: &[(&[Action], &str)] = if *read_only {
                &[
                    (&[Action::Up, Action::Down], "choose"),
                    (&[Action::Close], "close"),
                ]
            } else {
                &[
                    (&[Action::Up, Action::Down], "choose"),
                    (&[Action::Activate], "edit"),
                    (&[Action::DirectWrite], "direct write"),
                    (&[Action::Close], "close"),
                ]
            };
            lines.push(keys_line(app, Context::Form, items));
            (format!(" limits of {cgroup} "), lines, Role::BorderForm)
        }
        Dialog::Controllers {
            cgroup,
            rows,
            selected,
            read_only,
        } => {
            let mut lines = Vec::new();
            if *read_only {
                lines.push(read_only_line(theme));
            }
            lines.extend(rows.iter().enumerate().map(|(i, r)| {
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
            }));
            lines.push(Line::from(""));
            lines.push(dim(
                " cgroup.controllers lists what the parent gives; cgroup.subtree_control what this passes on."
                    .into(),
            ));
            // Both of the first keys: Enter as in every form, Space as for a check box.
            let toggle = format!(
                "{} toggle (asks first)",
                app.keymap
                    .all_keys_for(Context::Form, Action::Activate)
                    .into_iter()
                    .take(2)
                    .collect::<Vec<_>>()
                    .join("/")
            );
            let items: &[(&[Action], &str)] = if *read_only {
                &[
                    (&[Action::Up, Action::Down], "choose"),
                    (&[Action::Close], "close"),
                ]
            } else {
                &[
                    (&[Action::Up, Action::Down], "choose"),
                    (&[], &toggle),
                    (&[Action::Close], "close"),
                ]
            };
            lines.push(keys_line(app, Context::Form, items));
            (
                format!(" controllers of {cgroup} "),
                lines,
                Role::BorderForm,
            )
        }
        Dialog::Input(form) => {
            let input = &form.input;
            let text = input.text();
            let chars: Vec<char> = text.chars().collect();
            let before: String = chars[..input.cursor().min(chars.len())].iter().collect();
            let after: String = chars[input.cursor().min(chars.len())..].iter().collect();
            let shown = |s: &str| escape::visible(s.as_bytes()).into_owned();
            let value_style = if input.selected() {
                theme.style(Role::Selected)
            } else {
                theme.style(Role::Bold)
            };
            let mut lines = vec![Line::from(vec![
                Span::raw(" > "),
                Span::styled(shown(&before), value_style),
                Span::styled("▏", theme.style(Role::Bold)),
                Span::styled(shown(&after), value_style),
            ])];
            let first = if form.writes() {
                "refused: "
            } else {
                "not a time: "
            };
            for (i, refusal) in form.refusal.iter().enumerate() {
                lines.push(Line::from(Span::styled(
                    format!(" {}{refusal}", if i == 0 { first } else { "  " }),
                    theme.style(if i == 0 { Role::Refused } else { Role::Dim }),
                )));
            }
            if let Some(warning) = form.warning() {
                lines.push(Line::from(Span::styled(
                    format!(" warning: {warning}"),
                    theme.style(Role::Warning),
                )));
            }
            lines.push(Line::from(""));
            lines.push(dim(format!(" {}", form.hint)));
            let submit = if form.writes() {
                "write (asks first)"
            } else {
                "go"
            };
            let cursor: &[Action] = &[
                Action::CursorLeft,
                Action::CursorRight,
                Action::CursorHome,
                Action::CursorEnd,
            ];
            let keys: &[(&[Action], &str)] = if input.selected() {
                &[
                    (&[Action::Submit], submit),
                    (&[], "typing replaces it"),
                    (cursor, "edit"),
                    (&[Action::Close], "cancel"),
                ]
            } else {
                &[
                    (&[Action::Submit], submit),
                    (cursor, "move"),
                    (&[Action::ClearText], "clear"),
                    (&[Action::Close], "cancel"),
                ]
            };
            lines.push(keys_line(app, Context::Input, keys));
            (format!(" {} ", form.title), lines, Role::BorderForm)
        }
        Dialog::UndoList {
            items,
            selected,
            session,
        } => {
            let mut lines = vec![dim(
                " your changes not undone yet, latest first (cgtui undo --list shows the same)"
                    .into(),
            )];
            for (i, item) in items.iter().enumerate() {
                // To the second, as people read it: 2025-11-24 16:00:00 (UTC).
                let when = crate::time::format_ms((item.timestamp * 1000.0) as i64);
                let when = when.get(..19).unwrap_or(&when).replace('T', " ");
                let whose = if item.session.as_deref() == Some(session.as_str()) {
                    " (this session)"
                } else {
                    ""
                };
                let text = match &item.plan {
                    Ok(_) => format!(" {when}  {}{whose}", item.description),
                    Err(_) => format!(" {when}  cannot be undone: {}{whose}", item.description),
                };
                lines.push(if i == *selected || item.plan.is_ok() {
                    selectable(text, i == *selected)
                } else {
                    dim(text)
                });
                if let Err(why) = &item.plan {
                    lines.push(dim(format!("                      why: {why}")));
                }
            }
            lines.push(Line::from(""));
            lines.push(keys_line(
                app,
                Context::Form,
                &[
                    (&[Action::Up, Action::Down], "choose"),
                    (&[Action::Activate], "undo it (asks first)"),
                    (&[Action::Close], "close"),
                ],
            ));
            (" undo ".to_string(), lines, Role::BorderForm)
        }
        Dialog::Confirm { title, lines, .. } => {
            let out: Vec<Line> = lines.iter().map(|l| Line::from(format!(" {l}"))).collect();
            (format!(" {title}: confirm "), out, Role::BorderConfirm)
        }
        Dialog::Text {
            title,
            tone,
            lines,
            scroll: offset,
            fix,
        } => {
            scroll = *offset;
            let mut out: Vec<Line> = lines.iter().map(|l| Line::from(format!(" {l}"))).collect();
            if let Some(fix) = fix {
                out.push(Line::from(""));
                out.push(Line::from(vec![
                    Span::styled(
                        badge(app, Context::Text, Action::Fix),
                        theme.style(Role::Badge),
                    ),
                    Span::raw(format!(" fix it: {}", fix.describe())),
                ]));
            }
            out.push(keys_line(
                app,
                Context::Text,
                &[
                    (
                        &[Action::Up, Action::Down, Action::PageUp, Action::PageDown],
                        "scroll",
                    ),
                    (&[], "any other key closes"),
                ],
            ));
            let border = match tone {
                Tone::Refused => Role::Refused,
                Tone::Ok => Role::Ok,
                _ => Role::BorderText,
            };
            (format!(" {title} "), out, border)
        }
    };
    let writes = match dialog {
        Dialog::Confirm { .. } => true,
        Dialog::Input(form) => form.writes(),
        _ => false,
    };
    if writes {
        lines.push(Line::from(""));
        if app.read_only {
            lines.push(read_only_line(theme));
        } else if let Some(prediction) = prediction {
            lines.extend(prediction_lines(prediction, theme));
        } else if pending.is_some() {
            lines.push(dim(" kernel: predicting…".into()));
        }
    }
    if matches!(dialog, Dialog::Confirm { .. }) {
        // The answer last, after the kernel's.
        lines.push(Line::from(""));
        lines.push(Line::from(vec![
            Span::styled(
                badge(app, Context::Confirm, Action::Confirm),
                theme.style(Role::Badge),
            ),
            Span::raw(" yes   "),
            Span::styled("any other key: no", theme.style(Role::Dim)),
        ]));
    }
    let width = if matches!(dialog, Dialog::Text { .. }) {
        120
    } else {
        96
    };
    let inner = width
        .min(area.width.saturating_sub(2))
        .saturating_sub(2)
        .max(1) as usize;
    let lines = indent_wrapped(lines, inner);
    // Long lines wrap: count the rows they take inside the borders.
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    let height = (rows as u16).saturating_add(2);
    let popup = centered(area, width, height.max(5));
    if popup.width < 3 || popup.height < 3 {
        return;
    }
    // Scroll no further than the last page.
    let visible = popup.height.saturating_sub(2) as usize;
    let scroll = scroll.min(rows.saturating_sub(visible)) as u16;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(border))
        .title(title)
        .title_style(theme.style(Role::Bold));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        popup,
    );
}

/// Lines of one style that start with the dialog's one-space margin and are too long for
/// `inner` columns, broken at spaces so that every piece keeps the margin (the paragraph's own
/// wrapping would start continuations at the border).
fn indent_wrapped(lines: Vec<Line<'static>>, inner: usize) -> Vec<Line<'static>> {
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let single = match line.spans.as_slice() {
            [span] if line.width() > inner && span.content.starts_with(' ') => Some(span.clone()),
            _ => None,
        };
        let Some(span) = single else {
            out.push(line);
            continue;
        };
        for piece in super::details::wrap(&span.content[1..], inner.saturating_sub(1)) {
            out.push(Line::from(Span::styled(format!(" {piece}"), span.style)).style(line.style));
        }
    }
    out
}
