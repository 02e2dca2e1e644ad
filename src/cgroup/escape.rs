//! Making kernel- and user-controlled strings safe to show.
//!
//! Cgroup names, process names and command lines are chosen by whoever created them. They may
//! hold ESC sequences, BEL, C1 controls or invalid UTF-8. Everything shown to a person goes
//! through [`visible`], which turns each such byte into an inert, readable escape.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::fmt::Write;
use std::os::unix::ffi::OsStrExt;

/// Escape control characters and invalid UTF-8 so the result is printable and inert.
///
/// C0 controls and DEL become `\xNN` (`\t`, `\n`, `\r` and `\e` for the common ones), C1
/// controls (U+0080..U+009F) become `\u{NN}`, bytes that are not UTF-8 become `\xNN`, and a
/// backslash is doubled so an escape can never be forged by the name itself.
pub fn visible(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(text) = std::str::from_utf8(bytes)
        && !text.chars().any(needs_escape)
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c);
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    Cow::Owned(out)
}

/// [`visible`] for an `OsStr` (file names).
pub fn visible_os(name: &OsStr) -> Cow<'_, str> {
    visible(name.as_bytes())
}

fn needs_escape(c: char) -> bool {
    c.is_control() || c == '\\' || is_format_trap(c)
}

/// Characters that are not controls but can still reorder or hide text on a terminal.
fn is_format_trap(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

fn push_char(out: &mut String, c: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\u{1b}' => out.push_str("\\e"),
        c if (c as u32) < 0x20 || c == '\u{7f}' => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if c.is_control() || is_format_trap(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_are_borrowed() {
        assert!(matches!(
            visible(b"user.slice"),
            Cow::Borrowed("user.slice")
        ));
    }

    #[test]
    fn controls_become_visible_escapes() {
        assert_eq!(visible(b"a\x1b[2Jb"), "a\\e[2Jb");
        assert_eq!(visible(b"bell\x07"), "bell\\x07");
        assert_eq!(visible(b"tab\tnl\n"), "tab\\tnl\\n");
        assert_eq!(visible("c1\u{9b}31m".as_bytes()), "c1\\u{9b}31m");
        assert_eq!(visible(b"del\x7f"), "del\\x7f");
        assert_eq!(visible("rtl\u{202e}x".as_bytes()), "rtl\\u{202e}x");
    }

    #[test]
    fn invalid_utf8_and_backslashes() {
        assert_eq!(visible(b"bad\xff\xfename"), "bad\\xff\\xfename");
        assert_eq!(visible(b"back\\x1b"), "back\\\\x1b");
    }

    #[test]
    fn output_never_contains_controls() {
        let all: Vec<u8> = (0u8..=255).collect();
        let out = visible(&all);
        assert!(!out.chars().any(|c| c.is_control()));
    }
}
