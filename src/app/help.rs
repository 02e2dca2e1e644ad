//! The help text: every key of the keymap table by where it works, the columns, the markers
//! and where the config file is. Wrapped to a width, so it reads at 80 columns too.

use crate::app::action::{Action, Context};
use crate::app::keymap::Keymap;
use crate::model::view::Column;

/// What every mark on screen means: the `?` help's last section, and the manual's (docs/src/keys.md,
/// kept equal by tests/ui.rs).
pub const LEGEND: &[&str] = &[
    "● populated  ○ empty  ❄ frozen  ▸ collapsed  ▾ expanded  ◂ cgtui: cgtui's own cgroup",
    "⇦ yours: ownership changes to you here (the delegation boundary)",
    "▲ ▼ after a column's title: the tree is sorted by it, ascending or descending",
    "A lone - in a column: no value (not read yet, or this cgroup has no such file: its controller is off)",
    "…: text cut to fit (the details pane and the w pane show it whole)",
    "OOM-KILL: an OOM kill in the last 5 s (the row is highlighted too)",
    "~12.3 (dimmed): a value not read in the last few intervals (the row was off screen); replay shows every value as recorded, with no ~; ~ in the header's CPU or mem: a total that includes such a value",
    "Sparklines: ▁…█ up to the top in the title (CPU: the CPUs × 100 % or the cpu.max quota; config cpu_scale = \"peak\": the highest shown), · zero, blank: no sample; dimmed columns come from a recorder's store",
    "Lessons: ✓ a step done, ▶ the step to do now, · a step still ahead",
    "New cgroups, populated/frozen flips and OOM kills arrive by inotify at once; counters (cpu.stat, memory.current, io.stat...) are polled every interval.",
    "Every change shows the kernel's predicted answer and asks first.",
    "Mouse: a click selects a row (tree, processes, a dialog's list) and a click on the selected row expands it or, in a dialog, acts as Enter; a click on a column's title sorts by it; a confirmation's yes and no buttons answer it; clicks beside a dialog do nothing; the wheel scrolls (--no-mouse leaves the mouse to the terminal).",
    "Config: $XDG_CONFIG_HOME/cgtui/config.toml (or --config FILE): interval, columns, sort, theme, color, cpu_scale and a [keys] table that rebinds any key above by its action's name.",
];

/// The help text at `width` columns: (is a heading, text).
pub fn text(keymap: &Keymap, width: usize) -> Vec<(bool, String)> {
    let mut lines = Vec::new();
    for context in Context::ALL {
        let mut rows: Vec<(String, &str)> = Vec::new();
        for binding in keymap.in_context(context) {
            let keys = match binding.action {
                Action::Lesson(_) => "1…9".to_string(),
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
            push_wrapped(&mut lines, &format!("  {keys:<18} "), description, width);
        }
    }
    lines.push((true, "columns (config `columns`, in any order)".into()));
    for column in Column::all() {
        let lead = format!("  {:<10} {:<10} ", column.id(), column.title());
        push_wrapped(&mut lines, &lead, column.meaning(), width);
    }
    lines.push((true, "markers".into()));
    for line in LEGEND {
        push_wrapped(&mut lines, "  ", line, width);
    }
    lines
}

/// `lead` then `text` wrapped at spaces to `width`, continued under the text.
fn push_wrapped(lines: &mut Vec<(bool, String)>, lead: &str, text: &str, width: usize) {
    let indent = crate::format::width(lead);
    let room = width.saturating_sub(indent).max(20);
    let mut current = String::new();
    let mut first = true;
    for word in text.split(' ') {
        if !current.is_empty()
            && crate::format::width(&current) + 1 + crate::format::width(word) > room
        {
            let prefix = if first {
                lead.to_string()
            } else {
                " ".repeat(indent)
            };
            lines.push((false, format!("{prefix}{current}")));
            current.clear();
            first = false;
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    let prefix = if first {
        lead.to_string()
    } else {
        " ".repeat(indent)
    };
    lines.push((false, format!("{prefix}{current}")));
}

/// The help text as plain lines, unwrapped (tests check every key is in it).
pub fn plain_text(keymap: &Keymap) -> Vec<String> {
    text(keymap, usize::MAX / 2)
        .into_iter()
        .map(|(_, l)| l)
        .collect()
}

/// Inner width of the help overlay on a terminal `width` columns wide.
pub fn inner_width(width: u16) -> usize {
    width.saturating_sub(2).min(110).saturating_sub(2) as usize
}
