//! The lessons panel (`L`): the list of lessons, or the current one with its steps ticked off.

use crate::app::App;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    if area.width == 0 {
        return;
    }
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let dim = Style::default().fg(Color::DarkGray);
    let mut lines: Vec<Line> = Vec::new();
    let title = match &app.progress {
        None => {
            lines.push(Line::from(Span::styled(
                "Pick a lesson with its number:",
                bold,
            )));
            lines.push(Line::from(""));
            for (i, lesson) in app.lessons.iter().enumerate() {
                lines.push(Line::from(format!("{}  {}", i + 1, lesson.title)));
            }
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                "Steps tick off as you do them. [ ] previous/next · 0 back to this list · L close",
                dim,
            )));
            " lessons ".to_string()
        }
        Some(progress) => {
            let lesson = &progress.lesson;
            lines.push(Line::from(Span::styled(lesson.title.clone(), bold)));
            for text in lesson.intro.iter().filter(|l| !l.trim().is_empty()) {
                lines.push(Line::from(text.clone()));
            }
            lines.push(Line::from(""));
            let current = progress.done.iter().position(|d| !d);
            for (i, step) in lesson.steps.iter().enumerate() {
                let (mark, style) = match (progress.done[i], Some(i) == current) {
                    (true, _) => ("✓ ", Style::default().fg(Color::Green)),
                    (false, true) => (
                        "▶ ",
                        Style::default()
                            .fg(Color::Yellow)
                            .add_modifier(Modifier::BOLD),
                    ),
                    (false, false) => ("· ", Style::default()),
                };
                lines.push(Line::from(vec![
                    Span::styled(mark, style),
                    Span::styled(step.text.clone(), style),
                ]));
                if progress.done[i] {
                    for note in step.notes.iter().filter(|l| !l.trim().is_empty()) {
                        lines.push(Line::from(Span::styled(format!("  {note}"), dim)));
                    }
                }
            }
            if current.is_none() {
                lines.push(Line::from(""));
                lines.push(Line::from(Span::styled(
                    "Done. ] for the next lesson.",
                    Style::default().fg(Color::Green),
                )));
            }
            format!(" lesson {} of {} ", progress.index + 1, app.lessons.len())
        }
    };
    let block = Block::default()
        .borders(Borders::LEFT | Borders::TOP)
        .title(title);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
