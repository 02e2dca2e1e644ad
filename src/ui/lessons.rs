//! The lessons panel (`L`): the list of lessons, or the current one with its steps ticked off.
//! The text is laid out by [`crate::app::lessons::LessonsState::panel`]; here each look gets
//! its style (`code` and commands, *emphasis*, steps done and to do), and the window onto it
//! scrolls.

use crate::app::App;
use crate::lessons::Look;
use crate::theme::{Role, Theme};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

fn style(theme: &Theme, look: Look) -> Style {
    let bold = theme.style(Role::Bold);
    match look {
        Look::Plain | Look::Pending => Style::default(),
        Look::Code => theme.style(Role::Code),
        Look::Emphasis => Style::default().add_modifier(Modifier::ITALIC),
        Look::Strong => bold,
        Look::Hint => theme.style(Role::Dim),
        Look::Done => theme.style(Role::Ok),
        Look::Current => theme.style(Role::Warning).patch(bold),
    }
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let theme = &app.theme;
    // Right of the left border, below the top one.
    let width = usize::from(area.width.saturating_sub(1));
    let height = usize::from(area.height.saturating_sub(1));
    let panel = app.lessons.panel(width);
    let offset = panel.offset(app.lessons.scroll, height);
    let rows = panel.text_rows(height);
    let mut lines: Vec<Line> = panel
        .lines
        .iter()
        .skip(offset)
        .take(rows)
        .map(|runs| {
            Line::from(
                runs.iter()
                    .map(|run| Span::styled(run.text.clone(), style(theme, run.look)))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    if rows < height {
        // Where the window is in a lesson longer than the panel.
        let end = (offset + rows).min(panel.lines.len());
        let at = crate::t!(
            "lessons-window",
            first = offset + 1,
            last = end,
            total = panel.lines.len()
        );
        lines.resize(rows, Line::from(""));
        lines.push(Line::from(Span::styled(at, theme.style(Role::Dim))));
    }
    let block = Block::default()
        .borders(Borders::LEFT | Borders::TOP)
        .title(panel.title.clone());
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
