//! The help text: every key of the keymap table by where it works, the columns, the markers
//! and where the config file is. Wrapped to a width, so it reads at 80 columns too.

use crate::app::action::{Action, Context};
use crate::app::keymap::Keymap;
use crate::model::view::Column;

/// What every mark on screen means, by catalogue id: the `?` help's last section, and the
/// manual's (docs/src/keys.md, kept equal to the English by tests/ui.rs).
pub const LEGEND: &[&str] = &[
    "legend-states",
    "legend-yours",
    "legend-sort",
    "legend-dash",
    "legend-cut",
    "legend-oom",
    "legend-stale",
    "legend-sparklines",
    "legend-lessons",
    "legend-events",
    "legend-asks",
    "legend-mouse",
    "legend-config",
];

/// A context's id in the catalogue: `FilterInput` → `filter-input`.
fn context_id(context: Context) -> String {
    let mut id = String::new();
    for (i, ch) in format!("{context:?}").chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            id.push('-');
        }
        id.push(ch.to_ascii_lowercase());
    }
    id
}

/// The catalogue id of a binding's description (its translation): by context and action, the
/// lessons' keys as one.
pub fn key_message_id(context: Context, action: Action) -> String {
    let name = match action {
        Action::Lesson(_) => "lesson_n".to_string(),
        action => action.name(),
    };
    format!("key-{}-{name}", context_id(context))
}

/// A context's title in the current language.
pub fn context_title(context: Context) -> String {
    crate::i18n::translate(&format!("context-{}", context_id(context)), context.title())
        .into_owned()
}

/// The help text at `width` columns: (is a heading, text).
pub fn text(keymap: &Keymap, width: usize) -> Vec<(bool, String)> {
    use crate::i18n::translate;
    let mut lines = Vec::new();
    for context in Context::ALL {
        let mut rows: Vec<(String, &str, Action)> = Vec::new();
        for binding in keymap.in_context(context) {
            let keys = match binding.action {
                Action::Lesson(_) => crate::t!("help-lessons-keys"),
                _ => binding.keys_text(),
            };
            if !rows
                .iter()
                .any(|(k, d, _)| *k == keys && *d == binding.description)
            {
                rows.push((keys, binding.description, binding.action));
            }
        }
        if rows.is_empty() {
            continue;
        }
        lines.push((true, context_title(context)));
        for (keys, description, action) in rows {
            let description = translate(&key_message_id(context, action), description);
            push_wrapped(&mut lines, &format!("  {keys:<18} "), &description, width);
        }
    }
    lines.push((true, crate::t!("help-columns")));
    for column in Column::all() {
        let lead = format!("  {:<10} {:<10} ", column.id(), column.title());
        let meaning = translate(&format!("column-{}", column.id()), column.meaning());
        push_wrapped(&mut lines, &lead, &meaning, width);
    }
    lines.push((true, crate::t!("help-markers")));
    for id in LEGEND {
        push_wrapped(&mut lines, "  ", &crate::t!(id), width);
    }
    lines
}

/// `lead` then `text` wrapped to `width` (at spaces, and between CJK characters), continued
/// under the text.
fn push_wrapped(lines: &mut Vec<(bool, String)>, lead: &str, text: &str, width: usize) {
    let indent = crate::format::width(lead);
    let room = width.saturating_sub(indent).max(20);
    let mut current = String::new();
    let mut first = true;
    for piece in crate::i18n::pieces(text) {
        let piece_width = crate::format::width(&piece.text);
        if !current.is_empty() && crate::format::width(&current) + piece.spaces + piece_width > room
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
            current.push_str(&" ".repeat(piece.spaces));
        }
        current.push_str(&piece.text);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, message_ids, with};

    /// The ids of the translations the help needs: every binding's description, every
    /// context's title, every column's meaning (with the English, for a failure's message).
    fn wanted() -> Vec<(String, String)> {
        let keymap = Keymap::default();
        let mut out = Vec::new();
        for context in Context::ALL {
            out.push((
                format!("context-{}", context_id(context)),
                context.title().into(),
            ));
            for binding in keymap.in_context(context) {
                out.push((
                    key_message_id(context, binding.action),
                    binding.description.to_string(),
                ));
            }
        }
        for column in Column::all() {
            out.push((format!("column-{}", column.id()), column.meaning().into()));
        }
        out
    }

    #[test]
    fn every_key_context_and_column_has_its_chinese_and_no_translation_is_orphaned() {
        let wanted = wanted();
        let missing: Vec<String> = wanted
            .iter()
            .filter(|(id, _)| !crate::i18n::has(Lang::Zh, id))
            .map(|(id, english)| format!("{id} = {english}"))
            .collect();
        assert!(
            missing.is_empty(),
            "no Chinese for:\n{}",
            missing.join("\n")
        );
        for id in message_ids(Lang::Zh) {
            if ["key-", "context-", "column-"]
                .iter()
                .any(|p| id.starts_with(p))
            {
                assert!(
                    wanted.iter().any(|(w, _)| *w == id),
                    "{id} translates nothing the help shows"
                );
            }
        }
    }

    #[test]
    fn the_help_in_chinese_is_chinese_and_fits_its_width() {
        let keymap = Keymap::default();
        let english = with(Lang::En, || text(&keymap, 76));
        let chinese = with(Lang::Zh, || text(&keymap, 76));
        assert!(
            chinese
                .iter()
                .any(|(_, l)| l.contains("帮助") || l.contains("退出"))
        );
        // The same keys in the same order, under translated headings.
        let headings = |lines: &[(bool, String)]| lines.iter().filter(|(h, _)| *h).count();
        assert_eq!(headings(&english), headings(&chinese));
        for (lang, lines) in [("en", &english), ("zh", &chinese)] {
            for (_, line) in lines.iter() {
                assert!(
                    crate::format::width(line) <= 76,
                    "{lang}: wider than 76 columns: {line}"
                );
            }
        }
        // Every key still appears, in both languages.
        for binding in keymap.in_context(Context::Main) {
            let keys = binding.keys_text();
            assert!(chinese.iter().any(|(_, l)| l.contains(&keys)), "{keys}");
        }
    }
}
