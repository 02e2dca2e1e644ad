//! The `?` overlay: every key, and what the markers mean.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// Every key of the monitor, as shown in the help overlay (and the README).
pub const KEYS: &[(&str, &str)] = &[
    ("↑ ↓  j k", "move the selection"),
    ("PgUp PgDn g G", "page up/down, first/last row"),
    ("→ l  ← h", "expand / collapse (or go to parent)"),
    ("Enter Space", "toggle expand"),
    ("/", "filter by name (Enter keeps it, Esc clears it)"),
    ("s  S", "sort by the next column / reverse the order"),
    ("r", "show only the selected subtree"),
    ("R  Backspace", "back to the previous top"),
    ("o", "jump to cgtui's own cgroup"),
    ("+  -", "poll counters less / more often (floor 0.1 s)"),
    (
        "e",
        "edit a limit (memory, cpu, io, pids, cpuset, cgroup.max.*)",
    ),
    (
        "c",
        "enable/disable controllers for the children (subtree_control)",
    ),
    ("f", "freeze / thaw"),
    (
        "K",
        "kill every process (cgroup.kill), after a confirmation",
    ),
    ("n  d", "new child cgroup / remove this cgroup (confirmed)"),
    (
        "Tab  m",
        "to the process list; m moves the picked process (Enter on the target)",
    ),
    ("u", "undo the latest change (from the journal)"),
    (
        "D",
        "new delegated playground: a scope of your own, no root needed",
    ),
    (
        "mouse",
        "click selects, click again toggles, click a header sorts, wheel scrolls",
    ),
    ("?  F1", "this help (any key closes it)"),
    ("q  Esc  Ctrl-C", "quit"),
];

const LEGEND: &[&str] = &[
    "● populated ○ empty ❄ frozen ▸ collapsed ▾ expanded ⇦ yours: delegated to you from here; red: OOM kill",
    "MEMLIM: the lower of memory.max and memory.high.  PSI: some avg10 of cpu/memory/io.",
    "New cgroups, populated/frozen flips and OOM kills arrive by inotify at once;",
    "counters (cpu.stat, memory.current, io.stat...) are polled every interval.",
];

pub fn render(frame: &mut Frame, area: Rect) {
    let width = area.width.saturating_sub(4).min(96);
    let height = (KEYS.len() + LEGEND.len() + 5) as u16;
    let popup = Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + (area.height.saturating_sub(height)) / 2,
        width,
        height: height.min(area.height),
    };
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(key, what)| Line::from(format!("  {key:<16} {what}")))
        .collect();
    lines.push(Line::from(""));
    lines.extend(LEGEND.iter().map(|l| Line::from(format!("  {l}"))));
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" cgtui help ")
        .title_style(Style::default().add_modifier(Modifier::BOLD));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
