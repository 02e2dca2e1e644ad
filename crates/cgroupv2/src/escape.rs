//! Making kernel- and user-controlled strings safe to show.
//!
//! Cgroup names, process names, command lines and unit names are chosen by whoever created
//! them. They may hold ESC sequences, BEL, C1 controls, invalid UTF-8, or characters that are
//! invisible or reorder a line (bidi overrides, zero-width and fill characters). Everything
//! shown to a person goes through [`visible`], which turns each such character into an inert,
//! readable escape, so a name always shows every letter it has and nothing else.
//!
//! [`SysText`] holds such text: its only way to a screen, stdout or JSON is `Display` /
//! `Serialize`, which escape.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::fmt::{self, Write};
use std::os::unix::ffi::OsStrExt;
use unicode_width::UnicodeWidthChar;

/// Escape control characters, invisible characters and invalid UTF-8 so the result is
/// printable, inert and shows every character of the input.
///
/// C0 controls and DEL become `\xNN` (`\t`, `\n`, `\r` and `\e` for the common ones), other
/// escaped characters (C1 controls, format controls, zero-width, fill and unusual space
/// characters) become `\u{NNNN}`, bytes that are not UTF-8 become `\xNN`, and a backslash is
/// doubled so an escape can never be forged by the name itself.
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

/// [`visible`] for a `str` that embeds system text (an error message naming a path).
pub fn visible_str(text: &str) -> Cow<'_, str> {
    visible(text.as_bytes())
}

/// [`visible`] for a `Path` (a cgroup directory, a file under it).
pub fn visible_path(path: &std::path::Path) -> Cow<'_, str> {
    visible(path.as_os_str().as_bytes())
}

/// The last guard before a terminal, stdout or a JSON string: text already composed for a
/// person (its system-sourced parts escaped by [`visible`] or [`SysText`]) with anything that
/// still could steer or hide escaped the same way. Newlines and tabs stay (messages have
/// lines); backslashes stay (they are the escapes themselves), so `inert` is idempotent and
/// never escapes twice. Nothing from the system should reach a screen except through it.
pub fn inert(text: &str) -> Cow<'_, str> {
    let keep = |c: char| c == '\\' || c == '\n' || c == '\t';
    if !text.chars().any(|c| needs_escape(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if keep(c) {
            out.push(c);
        } else {
            push_char(&mut out, c);
        }
    }
    Cow::Owned(out)
}

/// [`inert`] for bytes that may not be UTF-8 (a child's output): invalid bytes become `\xNN`.
pub fn inert_bytes(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => inert(text),
        Err(_) => {
            let mut out = String::with_capacity(bytes.len() + 8);
            for chunk in bytes.utf8_chunks() {
                out.push_str(&inert(chunk.valid()));
                for b in chunk.invalid() {
                    let _ = write!(out, "\\x{b:02x}");
                }
            }
            Cow::Owned(out)
        }
    }
}

/// Whether `c` must not be drawn on a terminal as it is: [`needs_escape`] but for the
/// backslash, which is only escaped to keep escapes unforgeable.
pub fn needs_escape_on_screen(c: char) -> bool {
    c != '\\' && needs_escape(c)
}

/// Whether `c` is shown as an escape rather than as itself.
pub fn needs_escape(c: char) -> bool {
    // Printable ASCII, nearly every character of a frame (each cell is checked as it is
    // drawn), is itself but for the backslash: no table to look up.
    if c == ' ' || c.is_ascii_graphic() {
        return c == '\\';
    }
    c.is_control() || is_invisible(c)
}

/// Characters that are not controls but can still hide, overlay or reorder text on a
/// terminal: format controls (bidi, zero-width, tags, the soft hyphen), anything the terminal
/// draws zero columns wide (combining marks would overlay the previous letter), blank fill
/// characters and every space but U+0020 (they make two names look alike).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'                       // soft hyphen
            | '\u{34f}'                // combining grapheme joiner
            | '\u{61c}'                // Arabic letter mark
            | '\u{115f}'..='\u{1160}'  // Hangul fillers
            | '\u{17b4}'..='\u{17b5}'  // Khmer inherent vowels
            | '\u{180b}'..='\u{180f}'  // Mongolian variation selectors, vowel separator
            | '\u{200b}'..='\u{200f}'  // zero-width space/joiners, LRM/RLM
            | '\u{2028}'..='\u{2029}'  // line/paragraph separators
            | '\u{202a}'..='\u{202e}'  // bidi embeddings and overrides
            | '\u{2060}'..='\u{206f}'  // word joiner, invisible operators, bidi isolates
            | '\u{2800}'               // braille blank
            | '\u{3164}'               // Hangul filler
            | '\u{fe00}'..='\u{fe0f}'  // variation selectors
            | '\u{feff}'               // zero-width no-break space (BOM)
            | '\u{ffa0}'               // halfwidth Hangul filler
            | '\u{fff9}'..='\u{fffb}'  // interlinear annotation
            | '\u{1d173}'..='\u{1d17a}' // musical format controls
            | '\u{e0000}'..='\u{e007f}' // tags
            | '\u{e0100}'..='\u{e01ef}' // variation selectors supplement
    ) || (c.is_whitespace() && c != ' ')
        || c.width().is_none_or(|w| w == 0)
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
        c if needs_escape(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// Text that came from the system: a unit name, a process name or command line, a file's
/// contents, an error message that embeds a name. It keeps the raw bytes (for comparing and
/// for writing back exactly) and reaches a person only escaped: `Display`, `Debug` and
/// `Serialize` all go through [`visible`]; there is no `Deref` to `str`.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SysText(Box<[u8]>);

impl SysText {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        SysText(bytes.into().into_boxed_slice())
    }

    pub fn from_os(text: &OsStr) -> Self {
        SysText::new(text.as_bytes())
    }

    /// The raw bytes, for logic and for writing back; never for showing.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The raw text when it is UTF-8, for logic (comparing, parsing); never for showing.
    pub fn raw_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    pub fn as_os_str(&self) -> &OsStr {
        OsStr::from_bytes(&self.0)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The escaped form, as [`Display`](fmt::Display) writes it.
    pub fn visible(&self) -> Cow<'_, str> {
        visible(&self.0)
    }
}

impl From<&str> for SysText {
    fn from(text: &str) -> Self {
        SysText::new(text.as_bytes())
    }
}

impl From<String> for SysText {
    fn from(text: String) -> Self {
        SysText::new(text.into_bytes())
    }
}

impl From<&OsStr> for SysText {
    fn from(text: &OsStr) -> Self {
        SysText::from_os(text)
    }
}

impl fmt::Display for SysText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&visible(&self.0))
    }
}

impl fmt::Debug for SysText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SysText({:?})", visible(&self.0))
    }
}

impl serde::Serialize for SysText {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&visible(&self.0))
    }
}

/// The hostile set every output path is tested with: terminal escapes (CSI, OSC 0 title,
/// OSC 52 clipboard), BEL, C1 CSI, bidi overrides and isolates, zero-width and fill
/// characters, tags, a soft hyphen, invalid UTF-8 and a forged escape. Each entry is a name a
/// delegated user could give a cgroup (no `/`, no NUL).
pub const HOSTILE_NAMES: &[&[u8]] = &[
    b"csi\x1b[2J\x1b[31mred",
    b"osc\x1b]0;owned title\x07",
    b"clip\x1b]52;c;aGVsbG8=\x07",
    b"bell\x07\x07",
    "c1\u{9b}31mcsi".as_bytes(),
    "rlo\u{202e}gnp.exe".as_bytes(),
    "iso\u{2066}x\u{2069}".as_bytes(),
    "zw\u{200b}sp\u{200d}j\u{2060}wj\u{feff}".as_bytes(),
    "fill\u{3164}\u{115f}\u{ffa0}".as_bytes(),
    "tag\u{e0041}\u{e007f}".as_bytes(),
    "soft\u{ad}hy".as_bytes(),
    "ls\u{2028}ps\u{2029}".as_bytes(),
    "nbsp\u{a0}em\u{2003}".as_bytes(),
    "comb\u{20dd}ining".as_bytes(),
    b"bad\xff\xfeutf8",
    b"forged\\x1b",
];

/// True if `out` (bytes written to a terminal, stdout or a file) contains anything of the
/// hostile set that should have been escaped: a C0 control other than `\n`/`\t`/`\r`, DEL, a C1
/// control, or a character [`visible`] would escape. Tests use it on every output path.
pub fn has_raw_hostile(out: &[u8]) -> bool {
    out.utf8_chunks().any(|chunk| {
        !chunk.invalid().is_empty()
            || chunk
                .valid()
                .chars()
                .any(|c| c != '\n' && c != '\t' && c != '\r' && c != '\\' && needs_escape(c))
    })
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
        assert!(matches!(
            visible("日本語-café".as_bytes()),
            Cow::Borrowed(_)
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
    fn invisible_characters_are_shown() {
        assert_eq!(visible("a\u{200b}b".as_bytes()), "a\\u{200b}b");
        assert_eq!(visible("a\u{2064}b".as_bytes()), "a\\u{2064}b");
        assert_eq!(visible("a\u{e0041}".as_bytes()), "a\\u{e0041}");
        assert_eq!(visible("a\u{ad}b".as_bytes()), "a\\u{ad}b");
        assert_eq!(visible("a\u{3164}b".as_bytes()), "a\\u{3164}b");
        assert_eq!(visible("a\u{a0}b".as_bytes()), "a\\u{a0}b");
        assert_eq!(visible("e\u{301}".as_bytes()), "e\\u{301}");
        assert_eq!(visible("a\u{2029}b".as_bytes()), "a\\u{2029}b");
    }

    #[test]
    fn invalid_utf8_and_backslashes() {
        assert_eq!(visible(b"bad\xff\xfename"), "bad\\xff\\xfename");
        assert_eq!(visible(b"back\\x1b"), "back\\\\x1b");
    }

    #[test]
    fn inert_keeps_lines_and_escapes_and_is_idempotent() {
        assert_eq!(inert("a\nb\tc"), "a\nb\tc");
        assert!(matches!(inert("already \\e escaped"), Cow::Borrowed(_)));
        assert_eq!(
            inert("x\x1b]0;t\x07\u{9b}\u{202e}\r"),
            "x\\e]0;t\\x07\\u{9b}\\u{202e}\\r"
        );
        for name in HOSTILE_NAMES {
            let once = inert_bytes(name).into_owned();
            assert!(!has_raw_hostile(once.as_bytes()), "{once}");
            assert_eq!(inert(&once), once);
            let shown = visible(name);
            assert_eq!(inert(&shown), shown);
        }
    }

    #[test]
    fn output_never_contains_controls() {
        let all: Vec<u8> = (0u8..=255).collect();
        let out = visible(&all);
        assert!(!out.chars().any(|c| c.is_control()));
    }

    #[test]
    fn every_hostile_name_comes_out_inert() {
        for name in HOSTILE_NAMES {
            // A backslash is printable; the danger is a forged escape, so it is doubled.
            assert!(
                has_raw_hostile(name) || name.contains(&b'\\'),
                "{name:?} is not hostile"
            );
            let shown = visible(name);
            assert!(!has_raw_hostile(shown.as_bytes()), "{shown:?}");
            let text = SysText::new(*name);
            assert_eq!(text.to_string(), shown);
            let json = serde_json::to_string(&text).unwrap();
            assert!(!has_raw_hostile(json.as_bytes()), "{json}");
        }
    }

    #[test]
    fn every_escaped_character_of_the_bmp_is_inert() {
        for c in (0..=0x10ffffu32).filter_map(char::from_u32) {
            let mut buf = [0; 4];
            let shown = visible(c.encode_utf8(&mut buf).as_bytes()).into_owned();
            assert!(!has_raw_hostile(shown.as_bytes()), "U+{:04X}", c as u32);
        }
    }
}
