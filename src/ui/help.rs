//! The `?` overlay: every key of the keymap table by where it works, what the markers and
//! columns mean, and where the config file is. It scrolls.

use crate::app::App;
use crate::app::action::Context;
use crate::app::keymap::Keymap;
use crate::model::view::Column;
use crate::theme::Role;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

const LEGEND: &[&str] = &[
    "● populated  ○ empty  ❄ frozen  ▸ collapsed  ▾ expanded  ◂ cgtui: cgtui's own cgroup",
    "⇦ yours: ownership changes to you here (the delegation boundary)",
    "OOM-KILL: an OOM kill in the last 5 s (the row is highlighted too)",
    "New cgroups, populated/frozen flips and OOM kills arrive by inotify at once;",
    "counters (cpu.stat, memory.current, io.stat...) are polled every interval.",
    "Every change shows the kernel's predicted answer and asks first.",
    "Config: $XDG_CONFIG_HOME/cgtui/config.toml (or --config FILE): interval, columns,",
    "sort, theme, color and a [keys] table that rebinds any key above by its action's name.",
];

/// The help text: (is a heading, text).
fn text(keymap: &Keymap) -> Vec<(bool, String)> {
    let mut lines = Vec::new();
    for context in Context::ALL {
        let mut rows: Vec<(String, &str)> = Vec::new();
        for binding in keymap.in_context(context) {
            let keys = match binding.action {
                crate::app::Action::Lesson(_) => "1…9".to_string(),
                _ => binding.keys_text(),
            };
            if !rows
                .iter()
                .any(|(k, d)| *k == keys && *d == binding.description)
            {
                rows.push((keys, binding.description));
            }
        }
        if rows.is_empty() {
            continue;
        }
        lines.push((true, context.title().to_string()));
        for (keys, description) in rows {
            lines.push((false, format!("  {keys:<18} {description}")));
        }
    }
    lines.push((true, "columns (config `columns`, in any order)".into()));
    for (column, id) in Column::ALL {
        lines.push((
            false,
            format!("  {id:<10} {:<10} {}", column.title(), column.meaning()),
        ));
    }
    lines.push((true, "markers".into()));
    lines.extend(LEGEND.iter().map(|l| (false, format!("  {l}"))));
    lines
}

/// Lines of help text, so scrolling can stop at the end.
pub fn line_count(keymap: &Keymap) -> usize {
    text(keymap).len()
}

/// The help text as plain lines (tests check every key is in it).
pub fn plain_text(keymap: &Keymap) -> Vec<String> {
    text(keymap).into_iter().map(|(_, l)| l).collect()
}

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
    let lines = text(&app.keymap);
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
        format!(
            " {}-{} of {} · ↑↓ PgUp PgDn scroll · any other key closes ",
            scroll + 1,
            (scroll + visible).min(lines.len()),
            lines.len()
        )
    } else {
        " any key closes ".to_string()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" cgtui help ")
        .title_bottom(position)
        .title_style(theme.style(Role::Bold));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(shown).block(block), popup);
}
