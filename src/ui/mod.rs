//! Drawing. `render` is a pure function of `&App` and the frame: it reads no clock and no
//! files, and lays everything out from the frame's own size, so a terminal that shrank since
//! the last event cannot make it draw outside the buffer.

pub mod details;
/// Number and text formatting, shared with batch output.
pub use crate::format;
pub mod dialog;
pub mod help;
pub mod lessons;
pub mod processes;
pub mod tree;

use crate::app::App;
use crate::app::layout::Layout;
use crate::app::status::Tone;
use crate::cgroup::escape;
use crate::model::view::Column;
use crate::theme::Role;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let layout = Layout::new(area, &app.prefs, &app.columns);
    render_header(app, frame, layout.header);
    tree::render(app, frame, &layout);
    details::render(app, frame, &layout);
    lessons::render(app, frame, layout.side);
    render_footer(app, frame, layout.footer);
    if let Some(dialog) = &app.dialog {
        dialog::render(app, dialog, frame, area);
    }
    if let Some(scroll) = app.help {
        help::render(app, scroll, frame, area);
    }
    scrub(frame.buffer_mut());
}

/// The last guard before the terminal: every name is escaped where it is laid out
/// (`escape::visible`), and a cell that still holds a control or invisible character (a name
/// that reached a widget some other way) shows U+FFFD instead, so nothing in a frame can steer
/// the terminal or hide a letter.
pub fn scrub(buffer: &mut ratatui::buffer::Buffer) {
    for cell in buffer.content.iter_mut() {
        let symbol = cell.symbol();
        // Printable ASCII (nearly every cell) is itself: no character to decode.
        if symbol.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            continue;
        }
        if symbol.chars().any(escape::needs_escape_on_screen) {
            cell.set_symbol("\u{fffd}");
        }
    }
}

pub fn tone_role(tone: Tone) -> Role {
    match tone {
        Tone::Info => Role::Bold,
        Tone::Ok => Role::Ok,
        Tone::Warning => Role::Warning,
        Tone::Refused => Role::Refused,
    }
}

/// A total and whether any value in it is not current.
type Total<T> = Option<(T, bool)>;

/// CPU use and memory of what is shown: the top cgroup's own, or its children's together
/// (the root cgroup has no memory.current).
fn totals(app: &App) -> (Total<f64>, Total<u64>) {
    let Some(top) = app.model.get(&app.tree.view.top) else {
        return (None, None);
    };
    let stale_after = app.stale_after();
    let old = |column: Column, node: &crate::model::Node| {
        crate::model::fresh::stale(column, node, app.now, stale_after)
    };
    let children = || top.children.iter().map(|c| app.model.node(*c));
    let cpu = Column::Cpu
        .value(top)
        .map(|v| (v, old(Column::Cpu, top)))
        .or_else(|| {
            children()
                .filter_map(|c| c.rates().cpu_pct.map(|v| (v, old(Column::Cpu, c))))
                .reduce(|a, b| (a.0 + b.0, a.1 || b.1))
        });
    let memory_of = |n: &crate::model::Node| {
        n.sample
            .as_ref()
            .and_then(|s| s.memory.current)
            .map(|v| (v, old(Column::Memory, n)))
    };
    let memory = memory_of(top).or_else(|| {
        children()
            .filter_map(memory_of)
            .reduce(|a, b| (a.0 + b.0, a.1 || b.1))
    });
    (cpu, memory)
}

fn render_header(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let mut spans = vec![Span::styled(" cgtui ", theme.style(Role::Badge))];
    if let Some(replay) = &app.replay {
        let at = replay
            .time_ms
            .map_or("reading the store…".into(), crate::time::format_ms);
        // Replay never writes: the tree is the past, as recorded.
        spans.push(Span::styled(
            format!(" REPLAY {at} · READ-ONLY"),
            theme.style(Role::Warning),
        ));
    } else if app.read_only {
        spans.push(Span::styled(" READ-ONLY", theme.style(Role::Warning)));
    }
    let (cpu, memory) = totals(app);
    let mut facts = vec![format::plural(app.model.len(), "cgroup")];
    // 0: not known (another host's tree, from Prometheus).
    if app.cpus > 0 {
        facts.push(format::plural(app.cpus, "CPU"));
    }
    let mark = |old: bool| if old { "~" } else { "" };
    if let Some((cpu, old)) = cpu {
        facts.push(format!("CPU {}{}%", mark(old), format::percent(Some(cpu))));
    }
    if let Some((memory, old)) = memory {
        facts.push(format!("mem {}{}", mark(old), format::bytes(memory as f64)));
    }
    // Replay moves by keys, not by the refresh interval.
    if app.replay.is_none() {
        facts.push(format!("every {}", crate::app::interval_text(app.interval)));
    }
    // Whole facts only: one that does not fit is left out, never cut mid-word.
    let mut room = usize::from(area.width)
        .saturating_sub(spans.iter().map(|s| format::width(&s.content)).sum());
    let mut shown = String::new();
    for (i, fact) in facts.iter().enumerate() {
        let next = format!("{}{fact}", if i == 0 { " " } else { " · " });
        if format::width(&next) > room {
            break;
        }
        room -= format::width(&next);
        shown.push_str(&next);
    }
    spans.push(Span::raw(shown));
    if !app.loaded {
        spans.push(Span::raw(" · reading…"));
    }
    for notice in app.status.notices.iter() {
        spans.push(Span::styled(
            format!(" · {}", escape::visible(notice.as_bytes())),
            theme.style(Role::Warning),
        ));
    }
    if app.show_stats {
        let text = app
            .pass_stats
            .map_or_else(|| "no pass yet".to_string(), |s| s.text());
        spans.push(Span::styled(format!(" · {text}"), theme.style(Role::Dim)));
    }
    if let Some(replay) = app.replay.as_ref().filter(|r| !r.note.is_empty()) {
        spans.push(Span::styled(
            format!(" · {}", escape::visible(replay.note.as_bytes())),
            theme.style(Role::Warning),
        ));
    }
    // Where the tree comes from goes last: cut at the end of a word, with `…`, when the line
    // has no room for all of it, and left out when it has almost none.
    let used: usize = spans.iter().map(|s| format::width(&s.content)).sum();
    let room = usize::from(area.width).saturating_sub(used + 3);
    if room >= 8 {
        spans.push(Span::styled(
            format!(" · {}", format::fit_words(&app.source, room)),
            theme.style(Role::Dim),
        ));
    }
    // After where the tree comes from (which says whether changes are real), when it fits.
    let critical = crate::model::column::critical_count(
        &app.model,
        &app.tree.view.top,
        &app.columns,
        &app.thresholds,
    );
    if critical > 0 {
        let key = app
            .keymap
            .keys_for(crate::app::Context::Main, crate::app::Action::NextCritical);
        let text = format!(" · {critical} critical ({key}: next)");
        let used: usize = spans.iter().map(|s| format::width(&s.content)).sum();
        if used + format::width(&text) <= usize::from(area.width) {
            spans.push(Span::styled(
                text,
                theme.style(Role::Level(crate::theme::Level::High)),
            ));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn render_footer(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let width = area.width as usize;
    let filter = escape::visible(app.tree.view.filter().as_bytes()).into_owned();
    let mut parts: Vec<(String, Role)> = Vec::new();
    let matches = || match app.tree.matches {
        0 => "no match".to_string(),
        1 => "1 match".to_string(),
        n => format!("{n} matches"),
    };
    if app.tree.filter_editing {
        if app.tree.filter_selected {
            parts.push(("/".into(), Role::Bold));
            parts.push((filter.clone(), Role::Selected));
            parts.push(("▏ ".into(), Role::Bold));
        } else {
            parts.push((format!("/{filter}▏ "), Role::Bold));
        }
        if !filter.is_empty() {
            parts.push((format!("{} ", matches()), Role::Dim));
        }
    } else if !filter.is_empty() {
        parts.push((format!("filter: {filter} ({}) ", matches()), Role::Warning));
    }
    if let Some(pid) = app.moving {
        parts.push((
            format!("moving {pid}: pick the destination, Enter moves (Esc cancels) "),
            Role::Warning,
        ));
    }
    let used: usize = parts.iter().map(|(t, _)| format::width(t)).sum();
    let room = width.saturating_sub(used);
    if let Some(message) = app.status.current() {
        let text = message.text.replace('\n', " ");
        let text = if format::width(&text) > room {
            let key = app
                .keymap
                .keys_for(crate::app::Context::Main, crate::app::Action::Messages);
            let more = format!(" ({key}: full text)");
            let more = more.as_str();
            format!(
                "{}{more}",
                format::fit(&text, room.saturating_sub(format::width(more)))
            )
        } else {
            text
        };
        parts.push((text, tone_role(message.tone)));
    } else {
        let mut hints = String::new();
        for (keys, short) in app.footer_hints() {
            let hint = format!("{keys}:{short} ");
            if format::width(&hints) + format::width(&hint) > room {
                break;
            }
            hints.push_str(&hint);
        }
        parts.push((hints, Role::Dim));
    }
    let spans: Vec<Span> = parts
        .into_iter()
        .map(|(text, role)| Span::styled(text, theme.style(role)))
        .collect();
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The last guard: a control or invisible character in any cell becomes U+FFFD; printable
    /// ASCII (the backslash too) and visible letters stay.
    #[test]
    fn scrub_replaces_what_could_steer_or_hide_and_keeps_the_rest() {
        let area = Rect::new(0, 0, 7, 1);
        let mut buffer = ratatui::buffer::Buffer::empty(area);
        for (x, symbol) in ["a", "\\", "~", "\u{1b}", "\u{202e}", "\u{200b}", "é"]
            .into_iter()
            .enumerate()
        {
            buffer[(x as u16, 0)].set_symbol(symbol);
        }
        scrub(&mut buffer);
        let symbols: Vec<&str> = buffer.content.iter().map(|c| c.symbol()).collect();
        assert_eq!(
            symbols,
            ["a", "\\", "~", "\u{fffd}", "\u{fffd}", "\u{fffd}", "é"]
        );
    }
}
