//! Keys as the table, the config file and the screen name them: parsing (`Ctrl-c`, `PgDn`)
//! and printing (`↑`, `Ctrl-C`).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::fmt;

/// A key as the table names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    /// A key with Ctrl and/or Alt (Shift is part of the character: `K`, `?`).
    Code(KeyCode, KeyModifiers),
    /// Any printable character not bound otherwise (typing text).
    Text,
    /// Any key not bound otherwise in this context.
    Other,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key::Code(code, KeyModifiers::NONE)
    }

    pub const fn char(c: char) -> Key {
        Key::Code(KeyCode::Char(c), KeyModifiers::NONE)
    }

    pub const fn ctrl(c: char) -> Key {
        Key::Code(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    /// The key of an event, with Shift folded into the character and no other modifiers
    /// than Ctrl and Alt.
    pub fn of(event: &KeyEvent) -> Key {
        let modifiers = event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match event.code {
            KeyCode::Char(c) if modifiers.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            code => code,
        };
        Key::Code(code, modifiers)
    }

    /// Parse a key as the config file writes it: `q`, `K`, `Ctrl-c`, `Alt-x`, `F1`, `Enter`,
    /// `Esc`, `Tab`, `BackTab`, `Backspace`, `Delete`, `Space`, `Up`, `Down`, `Left`, `Right`,
    /// `PgUp`, `PgDn`, `Home`, `End`.
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            if let Some(tail) = ["ctrl-", "c-", "ctrl+"]
                .iter()
                .find_map(|p| lower.strip_prefix(p).map(|t| t.len()))
                .filter(|len| *len > 0)
            {
                modifiers |= KeyModifiers::CONTROL;
                rest = &rest[rest.len() - tail..];
            } else if let Some(tail) = ["alt-", "m-", "alt+"]
                .iter()
                .find_map(|p| lower.strip_prefix(p).map(|t| t.len()))
                .filter(|len| *len > 0)
            {
                modifiers |= KeyModifiers::ALT;
                rest = &rest[rest.len() - tail..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() => {
                if modifiers.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" | "shift-tab" => KeyCode::BackTab,
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" | "ins" => KeyCode::Insert,
                "space" => KeyCode::Char(' '),
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pgup" | "pageup" => KeyCode::PageUp,
                "pgdn" | "pagedown" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                f if f.starts_with('f')
                    && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) =>
                {
                    KeyCode::F(f[1..].parse().unwrap_or(1))
                }
                _ => {
                    return Err(format!(
                        "{text:?} is not a key (examples: \"q\", \"K\", \"Ctrl-c\", \"F1\", \"Enter\", \"PgDn\", \"Space\")"
                    ));
                }
            },
        };
        Ok(Key::Code(code, modifiers))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (code, modifiers) = match self {
            Key::Text => return f.write_str("text"),
            Key::Other => return f.write_str("other keys"),
            Key::Code(code, modifiers) => (code, modifiers),
        };
        if modifiers.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if modifiers.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        match code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) if modifiers.contains(KeyModifiers::CONTROL) => {
                write!(f, "{}", c.to_ascii_uppercase())
            }
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("BackTab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Delete"),
            KeyCode::Insert => f.write_str("Insert"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}
