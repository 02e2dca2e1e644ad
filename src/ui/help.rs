//! The `?` overlay: the help text of [`crate::app::help`], scrolled.

use crate::app::App;
use crate::app::help::{inner_width, text};
use crate::theme::Role;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub use crate::app::help::plain_text;

pub fn render(app: &App, scroll: usize, frame: &mut Frame, area: Rect) {
    let width = area.width.saturating_sub(2).min(110);
    let height = area.height.saturating_sub(2);
    if width < 3 || height < 3 {
        return;
    }
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let lines = text(&app.keymap, inner_width(area.width));
    let visible = height.saturating_sub(2) as usize;
    let scroll = scroll.min(lines.len().saturating_sub(visible));
    let theme = &app.theme;
    let shown: Vec<Line> = lines
        .iter()
        .skip(scroll)
        .take(visible)
        .map(|(heading, text)| {
            if *heading {
                Line::from(Span::styled(text.clone(), theme.style(Role::Bold)))
            } else {
                Line::from(text.clone())
            }
        })
        .collect();
    let position = if lines.len() > visible {
        crate::t!(
            "help-scroll",
            first = scroll + 1,
            last = (scroll + visible).min(lines.len()),
            total = lines.len()
        )
    } else {
        crate::t!("help-any-key")
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {} ", crate::t!("help-title")))
        .title_bottom(format!(" {position} "))
        .title_style(theme.style(Role::Bold));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(shown).block(block), popup);
}
