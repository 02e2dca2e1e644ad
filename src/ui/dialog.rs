//! Modal dialogs, drawn over the main view. A dialog that is about to change something shows
//! the kernel's predicted answer (or says it is read-only) before anything is written. Drawing a
//! dialog records where its rows and buttons went (`App::drawn_dialog`), for the mouse: the
//! one thing rendering leaves behind, since only the drawing knows how its text wrapped.

use crate::app::dialog::Dialog;
use crate::app::layout::{DialogTarget, DrawnDialog, dialog_identity};
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

/// The dialog's own keys for its last lines (`inner` columns wide), as the keymap binds them in `context`: each item
/// is the first key of each of its actions, then what they do ("↑↓ choose · r direct write");
/// an item without actions is its words alone. Generated, so a rebinding shows here too.
fn keys_lines(
    app: &App,
    context: Context,
    items: &[(&[Action], &str)],
    inner: usize,
) -> Vec<Line<'static>> {
    let texts: Vec<String> = items
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
        .collect();
    // Broken between items, never inside one (`Esc` apart from `cancel`).
    let mut rows: Vec<String> = Vec::new();
    for text in texts {
        match rows.last_mut() {
            Some(row) if crate::format::width(row) + 3 + crate::format::width(&text) <= inner => {
                row.push_str(" · ");
                row.push_str(&text);
            }
            _ => rows.push(format!(" {text}")),
        }
    }
    rows.into_iter()
        .map(|row| Line::from(Span::styled(row, app.theme.style(Role::Dim))))
        .collect()
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
    let width = if matches!(dialog, Dialog::Text { .. }) {
        120
    } else {
        96
    };
    let inner = width
        .min(area.width.saturating_sub(2))
        .saturating_sub(2)
        .max(1) as usize;
    let mut scroll = 0usize;
    // What a click on a line does, recorded once the lines are wrapped and placed.
    let mut targets: Vec<LineTarget> = Vec::new();
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
                    let first = lines.len();
                    targets.extend((0..rows.len()).map(|i| LineTarget::row(first + i, i)));
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
            lines.extend(keys_lines(app, Context::Form, items, inner));
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
            let first = lines.len();
            targets.extend((0..rows.len()).map(|i| LineTarget::row(first + i, i)));
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
            lines.extend(keys_lines(app, Context::Form, items, inner));
            (
                format!(" controllers of {cgroup} "),
                lines,
                Role::BorderForm,
            )
        }
        Dialog::Columns(chooser) => {
            let mut lines: Vec<Line> = chooser
                .rows
                .iter()
                .enumerate()
                .map(|(i, (column, shown))| {
                    let mark = if *shown { "[x]" } else { "[ ]" };
                    selectable(
                        format!(
                            " {mark} {:<9} {:<10} {}",
                            column.id(),
                            column.title(),
                            column.meaning()
                        ),
                        i == chooser.selected,
                    )
                })
                .collect();
            lines.push(Line::from(""));
            lines.push(dim(
                " shown at once; the order is the tree's, left to right".into(),
            ));
            let items: &[(&[Action], &str)] = &[
                (&[Action::Up, Action::Down], "choose"),
                (&[Action::Activate], "show/hide"),
                (&[Action::ColumnEarlier], "earlier"),
                (&[Action::ColumnLater], "later"),
                (&[Action::SaveColumns], "save to the config"),
                (&[Action::Close], "close"),
            ];
            lines.extend(keys_lines(app, Context::Columns, items, inner));
            (" columns ".to_string(), lines, Role::BorderForm)
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
            lines.extend(keys_lines(app, Context::Input, keys, inner));
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
                targets.push(LineTarget::row(lines.len(), i));
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
            lines.extend(keys_lines(
                app,
                Context::Form,
                &[
                    (&[Action::Up, Action::Down], "choose"),
                    (&[Action::Activate], "undo it (asks first)"),
                    (&[Action::Close], "close"),
                ],
                inner,
            ));
            (" undo ".to_string(), lines, Role::BorderForm)
        }
        Dialog::Signals(picker) => {
            let selected = picker.selected_line();
            let mut lines: Vec<Line> = picker
                .lines()
                .into_iter()
                .enumerate()
                .map(|(i, text)| selectable(format!(" {text}"), i == selected))
                .collect();
            lines.push(Line::from(""));
            let items: &[(&[Action], &str)] = &[
                (&[Action::Up, Action::Down], "choose"),
                (&[Action::Activate], "send it (asks first)"),
                (&[Action::Close], "close"),
            ];
            lines.extend(keys_lines(app, Context::Form, items, inner));
            (" send a signal ".to_string(), lines, Role::BorderForm)
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
            out.extend(keys_lines(
                app,
                Context::Text,
                &[
                    (
                        &[Action::Up, Action::Down, Action::PageUp, Action::PageDown],
                        "scroll",
                    ),
                    (&[], "any other key closes"),
                ],
                inner,
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
        // The answer last, after the kernel's: two buttons, for the keys and the mouse.
        lines.push(Line::from(""));
        let answer = Line::from(vec![
            Span::styled(
                badge(app, Context::Confirm, Action::Confirm),
                theme.style(Role::Badge),
            ),
            Span::raw(" yes    "),
            Span::styled(" no ", theme.style(Role::Badge)),
            Span::styled(" any other key", theme.style(Role::Dim)),
        ]);
        let span_columns = |index: usize| {
            let start: usize = answer.spans[..index].iter().map(Span::width).sum();
            // The button and the word after it.
            let end = start + answer.spans[index].width() + answer.spans[index + 1].width();
            (start as u16, end as u16)
        };
        targets.push(LineTarget {
            line: lines.len(),
            columns: Some(span_columns(0)),
            target: DialogTarget::Yes,
        });
        targets.push(LineTarget {
            line: lines.len(),
            columns: Some(span_columns(2)),
            target: DialogTarget::No,
        });
        lines.push(answer);
    }
    let pieces: Vec<Vec<Line<'static>>> = lines
        .into_iter()
        .map(|line| indent_wrapped(line, inner))
        .collect();
    // Long lines wrap: count the rows each takes inside the borders.
    let heights: Vec<usize> = pieces
        .iter()
        .map(|piece| piece.iter().map(|l| l.width().max(1).div_ceil(inner)).sum())
        .collect();
    let rows: usize = heights.iter().sum();
    let lines: Vec<Line<'static>> = pieces.into_iter().flatten().collect();
    let height = (rows as u16).saturating_add(2);
    let popup = centered(area, width, height.max(5));
    let mut drawn = DrawnDialog {
        identity: dialog_identity(dialog),
        popup,
        targets: Vec::new(),
    };
    if popup.width < 3 || popup.height < 3 {
        *app.drawn_dialog.borrow_mut() = Some(drawn);
        return;
    }
    // Scroll no further than the last page.
    let visible = popup.height.saturating_sub(2) as usize;
    let scroll = scroll.min(rows.saturating_sub(visible)) as u16;
    drawn.targets = place_targets(&targets, &heights, popup, scroll as usize);
    *app.drawn_dialog.borrow_mut() = Some(drawn);
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

/// A clickable line of a dialog, before it is wrapped and placed.
struct LineTarget {
    /// Its index among the dialog's lines.
    line: usize,
    /// The columns of a button in it, from the inner area's left; `None`: the whole line.
    columns: Option<(u16, u16)>,
    target: DialogTarget,
}

impl LineTarget {
    fn row(line: usize, row: usize) -> LineTarget {
        LineTarget {
            line,
            columns: None,
            target: DialogTarget::Row(row),
        }
    }
}

/// The screen areas of the clickable lines: `heights` are the rows each line takes, the
/// popup's inner area starts one cell inside its border, and lines scrolled out are left out.
fn place_targets(
    targets: &[LineTarget],
    heights: &[usize],
    popup: Rect,
    scroll: usize,
) -> Vec<(Rect, DialogTarget)> {
    let inner = Rect {
        x: popup.x + 1,
        y: popup.y + 1,
        width: popup.width.saturating_sub(2),
        height: popup.height.saturating_sub(2),
    };
    let mut placed = Vec::new();
    for LineTarget {
        line,
        columns,
        target,
    } in targets
    {
        let top: usize = heights[..*line].iter().sum();
        let height = heights[*line];
        // Only a line drawn whole, not one cut by the scroll or the border.
        if top < scroll || top + height > scroll + inner.height as usize {
            continue;
        }
        // A button's columns hold only while its line is not wrapped.
        let (x, width) = match columns {
            Some(_) if height > 1 => continue,
            Some((start, end)) if *end <= inner.width => (inner.x + start, end - start),
            Some(_) => continue,
            None => (inner.x, inner.width),
        };
        placed.push((
            Rect {
                x,
                y: inner.y + (top - scroll) as u16,
                width,
                height: height as u16,
            },
            *target,
        ));
    }
    placed
}

/// A line too long for `inner` columns, broken at spaces (or inside a path after a `/`) so
/// that every piece keeps the line's indent (its leading spaces) and each character its style;
/// the paragraph's own wrapping would start continuations at the border.
fn indent_wrapped(line: Line<'static>, inner: usize) -> Vec<Line<'static>> {
    if line.width() <= inner {
        return vec![line];
    }
    let styled: Vec<(char, Style)> = line
        .spans
        .iter()
        .flat_map(|span| span.content.chars().map(move |c| (c, span.style)))
        .collect();
    let indent = styled.iter().take_while(|(c, _)| *c == ' ').count();
    // A deep indent in a narrow dialog: keep the one-space margin only.
    let indent = if inner.saturating_sub(indent) < 16 {
        indent.min(1)
    } else {
        indent
    };
    let text: String = styled[indent..].iter().map(|(c, _)| *c).collect();
    let mut at = indent;
    let mut out = Vec::new();
    for piece in super::details::wrap(&text, inner.saturating_sub(indent)) {
        // A piece follows the space it was broken at, if it was broken at one.
        if !piece.starts_with(' ') && styled.get(at).is_some_and(|(c, _)| *c == ' ') && at > indent
        {
            at += 1;
        }
        let count = piece.chars().count();
        let chars = &styled[at.min(styled.len())..(at + count).min(styled.len())];
        at += count;
        let margin = styled.first().map_or(Style::default(), |(_, style)| *style);
        let mut spans = vec![Span::styled(" ".repeat(indent), margin)];
        for (c, style) in chars {
            // The margin stays a span of its own.
            let joins = spans.len() > 1 && spans.last().is_some_and(|last| last.style == *style);
            match spans.last_mut() {
                Some(last) if joins => last.content.to_mut().push(*c),
                _ => spans.push(Span::styled(c.to_string(), *style)),
            }
        }
        out.push(Line::from(spans).style(line.style));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::{Color, Modifier};

    fn text(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn wrapped_lines_keep_their_indent_their_styles_and_every_word() {
        let bold = Style::default().add_modifier(Modifier::BOLD);
        let red = Style::default().fg(Color::Red);
        let line = Line::from(vec![
            Span::styled("   kernel: ", bold),
            Span::styled(
                "will refuse with EBUSY [no-internal-process]: /system.slice/a-rather-long-name.service/cgroup.subtree_control has processes",
                red,
            ),
        ]);
        let original = text(&line);
        let pieces = indent_wrapped(line, 40);
        assert!(pieces.len() > 2, "{pieces:?}");
        for piece in &pieces {
            assert!(piece.width() <= 40, "{:?} is wider than 40", text(piece));
            let shown = text(piece);
            assert!(
                shown.starts_with("   ") && !shown[3..].starts_with(' '),
                "{shown:?} lost the indent"
            );
        }
        // Nothing lost or added but the breaks.
        let words = |s: &str| {
            s.split([' ', '/'])
                .filter(|w| !w.is_empty())
                .map(String::from)
                .collect::<Vec<_>>()
        };
        let joined: Vec<String> = pieces.iter().flat_map(|p| words(&text(p))).collect();
        assert_eq!(words(&original).concat(), joined.concat());
        // The label keeps its style, the refusal its own.
        assert_eq!(pieces[0].spans[1].style, bold);
        assert!(
            pieces[1..]
                .iter()
                .all(|p| p.spans[1..].iter().all(|s| s.style == red))
        );
        // A line that fits is left alone.
        let short = Line::from(" fits");
        assert_eq!(indent_wrapped(short.clone(), 40), vec![short]);
    }
}
