//! Drawing. `render` is a pure function of `&App`: it reads no clock and no files.

pub mod details;
pub mod dialog;
pub mod format;
pub mod help;
pub mod lessons;
pub mod tree;

use crate::app::{App, Mode};
use ratatui::Frame;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(app: &App, frame: &mut Frame) {
    let layout = app.layout;
    render_header(app, frame);
    tree::render(app, frame, layout.tree);
    details::render(app, frame, layout.details);
    lessons::render(app, frame, layout.side);
    render_footer(app, frame);
    if let Some(dialog) = &app.dialog {
        // Only the prediction of what this very dialog would do.
        let pending = dialog.pending_op();
        let prediction = app
            .dialog_prediction
            .as_ref()
            .filter(|(op, _)| pending.as_ref() == Some(op))
            .map(|(_, p)| p);
        dialog::render(dialog, prediction, frame, frame.area());
    }
    if app.mode == Mode::Help {
        help::render(frame, frame.area());
    }
}

fn render_header(app: &App, frame: &mut Frame) {
    let mut spans = vec![
        Span::styled(
            " cgtui ",
            Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED),
        ),
        Span::raw(format!(
            " {} · {} cgroups · every {:.1}s",
            app.source,
            app.model.len(),
            app.interval.as_secs_f64()
        )),
    ];
    if !app.loaded {
        spans.push(Span::raw(" · reading…"));
    }
    if app.read_only {
        spans.push(Span::styled(
            " · READ-ONLY",
            Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        ));
    }
    for note in app.sampler.notes() {
        spans.push(Span::styled(
            format!(" · {note}"),
            Style::default().fg(Color::Yellow),
        ));
    }
    if let Some(notice) = &app.notice {
        spans.push(Span::styled(
            format!(" · {notice}"),
            Style::default().fg(Color::Yellow),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), app.layout.header);
}

fn render_footer(app: &App, frame: &mut Frame) {
    let line = match (&app.mode, &app.status) {
        (_, _) if app.moving.is_some() && app.status.is_none() => Line::from(Span::styled(
            format!(
                "moving {}: pick the destination and press Enter (Esc cancels)",
                app.moving.unwrap_or_default()
            ),
            Style::default().fg(Color::Yellow),
        )),
        (Mode::Filter, _) => Line::from(vec![
            Span::styled("/", Style::default().add_modifier(Modifier::BOLD)),
            Span::raw(crate::cgroup::escape::visible(app.view.filter().as_bytes()).into_owned()),
            Span::styled("▏", Style::default().add_modifier(Modifier::SLOW_BLINK)),
            Span::styled(
                "  Enter keep · Esc clear",
                Style::default().fg(Color::DarkGray),
            ),
        ]),
        (_, Some(status)) => Line::from(status.clone()),
        _ => {
            let mut spans = vec![Span::styled(
                "?:help /:filter s:sort r:subtree e:limits c:controllers f:freeze n:new d:remove K:kill u:undo Tab:processes q:quit",
                Style::default().fg(Color::DarkGray),
            )];
            if !app.view.filter().is_empty() {
                spans.push(Span::styled(
                    format!(
                        "  filter: {}",
                        crate::cgroup::escape::visible(app.view.filter().as_bytes())
                    ),
                    Style::default().fg(Color::Yellow),
                ));
            }
            Line::from(spans)
        }
    };
    frame.render_widget(Paragraph::new(line), app.layout.footer);
}
