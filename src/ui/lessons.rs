//! The lessons panel (`L`): the list of lessons, or the current one with its steps ticked off.

use crate::app::App;
use crate::theme::Role;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let theme = &app.theme;
    let bold = theme.style(Role::Bold);
    let dim = theme.style(Role::Dim);
    let mut lines: Vec<Line> = Vec::new();
    let lessons = &app.lessons;
    let title = match &lessons.progress {
        None => {
            lines.push(Line::from(Span::styled(
                "Pick a lesson with its number:",
                bold,
            )));
            lines.push(Line::from(""));
            for (i, lesson) in lessons.lessons.iter().enumerate() {
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
                    (true, _) => ("✓ ", theme.style(Role::Ok)),
                    (false, true) => ("▶ ", theme.style(Role::Warning).patch(bold)),
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
                    theme.style(Role::Ok),
                )));
            }
            format!(
                " lesson {} of {} ",
                progress.index + 1,
                lessons.lessons.len()
            )
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
