//! The one keymap table: `(context, key) → action, description`. Dispatch, the help overlay, the
//! footer and the manual's key table are all read from it, and the config file's `[keys]`
//! table rebinds through it.
//!
//! The table itself (the defaults) is in `table`; keys as they are parsed and printed in `key`.

mod key;
mod table;

pub use key::Key;

use crate::app::action::{Action, Context};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub context: Context,
    pub keys: Vec<Key>,
    pub action: Action,
    /// What it does, for help and the manual.
    pub description: &'static str,
    /// A word or two for the footer.
    pub short: &'static str,
}

impl Binding {
    pub fn keys_text(&self) -> String {
        self.keys
            .iter()
            .map(Key::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

/// Typing and "any other key" rows are not keys to rebind, and Ctrl-C stays the way out.
fn rebindable(binding: &Binding) -> bool {
    binding.context != Context::Global
        && !binding
            .keys
            .iter()
            .any(|k| matches!(k, Key::Text | Key::Other))
}

/// A rebinding that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebindError(pub String);

impl Keymap {
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    pub fn in_context(&self, context: Context) -> impl Iterator<Item = &Binding> {
        self.bindings.iter().filter(move |b| b.context == context)
    }

    /// The action of `key` in the first of `contexts` that binds it. Exact keys win over
    /// `Text` (printable characters) and `Other` (anything else) within a context.
    pub fn resolve(&self, contexts: &[Context], event: &KeyEvent) -> Option<Action> {
        let key = Key::of(event);
        for context in contexts {
            let in_context = || self.in_context(*context);
            if let Some(binding) = in_context().find(|b| b.keys.contains(&key)) {
                return Some(binding.action);
            }
            if let Key::Code(KeyCode::Char(c), modifiers) = key
                && !c.is_control()
                && !modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                && in_context().any(|b| b.keys.contains(&Key::Text))
            {
                return Some(Action::Type(c));
            }
            if in_context().any(|b| b.keys.contains(&Key::Other)) {
                return in_context()
                    .find(|b| b.keys.contains(&Key::Other))
                    .map(|b| b.action);
            }
        }
        None
    }

    /// Take `action` out of every context: its keys do nothing, and neither help nor the footer
    /// offers it (`--read-only` has no signals).
    pub fn remove(&mut self, action: Action) {
        self.bindings.retain(|b| b.action != action);
    }

    /// Every action a config file may rebind, by name, with its default keys.
    pub fn action_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .bindings
            .iter()
            .filter(|b| rebindable(b))
            .map(|b| b.action.name())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Bind `action` (by its config name) to `keys` instead of its defaults, wherever it is
    /// bound. Refused if the name is unknown or a key would then do two things in one context.
    pub fn rebind(&mut self, name: &str, keys: &[Key]) -> Result<(), RebindError> {
        if keys.is_empty() {
            return Err(RebindError(format!("no key given for {name}")));
        }
        let targets: Vec<usize> = self
            .bindings
            .iter()
            .enumerate()
            .filter(|(_, b)| b.action.name() == name && rebindable(b))
            .map(|(i, _)| i)
            .collect();
        if targets.is_empty() {
            return Err(RebindError(format!(
                "no action called {name:?}; actions: {}",
                self.action_names().join(", ")
            )));
        }
        for &i in &targets {
            self.bindings[i].keys = keys.to_vec();
        }
        for &i in &targets {
            let binding = &self.bindings[i];
            for key in keys {
                if let Some(other) = self.bindings.iter().find(|o| {
                    o.context == binding.context
                        && o.action != binding.action
                        && o.keys.contains(key)
                }) {
                    return Err(RebindError(format!(
                        "{key} is already bound to {} ({}) {}",
                        other.action.name(),
                        other.description,
                        other.context.title()
                    )));
                }
            }
        }
        Ok(())
    }

    /// The keys of `action` in `context`, as the footer and messages name them ("" if unbound).
    pub fn keys_for(&self, context: Context, action: Action) -> String {
        self.all_keys_for(context, action)
            .into_iter()
            .next()
            .unwrap_or_default()
    }

    /// Every key of `action` in `context`, in the table's order, as the screen names them.
    pub fn all_keys_for(&self, context: Context, action: Action) -> Vec<String> {
        self.in_context(context)
            .find(|b| b.action == action)
            .map_or(Vec::new(), |b| b.keys.iter().map(Key::to_string).collect())
    }

    /// The manual's key table (docs/src/keys.md), generated from this table (defaults).
    /// Every binding as the manual lists it: where, its keys, what it does; the lessons' keys
    /// as one `1…9`, and a key bound twice to the same thing once. The manual's table and the
    /// man page's KEYS are made from it.
    pub fn listing(&self) -> Vec<(Context, Vec<String>, &'static str)> {
        let mut out = Vec::new();
        for context in Context::ALL {
            let mut seen: Vec<(Vec<String>, &str)> = Vec::new();
            for binding in self.in_context(context) {
                let keys = match binding.action {
                    Action::Lesson(_) => vec!["1…9".to_string()],
                    _ => binding.keys.iter().map(Key::to_string).collect(),
                };
                if seen
                    .iter()
                    .any(|(k, d)| *k == keys && *d == binding.description)
                {
                    continue;
                }
                seen.push((keys.clone(), binding.description));
                out.push((context, keys, binding.description));
            }
        }
        out
    }

    pub fn markdown(&self) -> String {
        let mut out = String::from("| where | keys | what it does |\n|---|---|---|\n");
        for (context, keys, description) in self.listing() {
            let keys = if keys == ["1…9"] {
                "`1`…`9`".to_string()
            } else {
                keys.iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            out.push_str(&format!(
                "| {} | {keys} | {description} |\n",
                context.title()
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn keys_parse_and_print() {
        for text in [
            "q", "K", "Ctrl-C", "F1", "Enter", "PgDn", "Space", "Alt-x", "BackTab",
        ] {
            let key = Key::parse(text).unwrap();
            assert_eq!(
                Key::parse(&key.to_string().replace('↑', "Up")).unwrap(),
                key,
                "{text}"
            );
        }
        assert_eq!(Key::parse("C-c").unwrap(), Key::ctrl('c'));
        assert!(Key::parse("Hyper-q").is_err());
        assert!(Key::parse("").is_err());
    }

    #[test]
    fn shift_is_part_of_the_character() {
        let keymap = Keymap::default();
        let shifted = event(KeyCode::Char('K'), KeyModifiers::SHIFT);
        assert_eq!(
            keymap.resolve(&[Context::Main], &shifted),
            Some(Action::Kill)
        );
        let ctrl_c = event(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(
            keymap.resolve(&[Context::Main, Context::Global], &ctrl_c),
            Some(Action::Quit)
        );
    }

    #[test]
    fn no_key_does_two_things_in_one_context() {
        let keymap = Keymap::default();
        for context in Context::ALL {
            let mut seen = std::collections::HashMap::new();
            for binding in keymap.in_context(context) {
                for key in &binding.keys {
                    if let Some(previous) = seen.insert(*key, binding.action) {
                        panic!(
                            "{key} in {context:?}: {previous:?} and {:?}",
                            binding.action
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn rebinding() {
        let mut keymap = Keymap::default();
        keymap.rebind("quit", &[Key::char('x')]).unwrap();
        let x = event(KeyCode::Char('x'), KeyModifiers::NONE);
        let q = event(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(keymap.resolve(&[Context::Main], &x), Some(Action::Quit));
        assert_eq!(keymap.resolve(&[Context::Main], &q), None);
        let err = keymap.rebind("edit", &[Key::char('j')]).unwrap_err();
        assert!(err.0.contains("already bound to down"), "{err:?}");
        assert!(keymap.rebind("fly", &[Key::char('z')]).is_err());
    }
}
