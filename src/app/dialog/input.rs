//! Text fields and the forms made of them: typing, pasting, the values they hold.

use super::*;

/// The longest text a field holds, in characters: more than any cgroup name (255 bytes) or
/// limit value needs, and the bound on what one paste can insert.
pub const MAX_FIELD_CHARS: usize = 1024;

/// Why pasted text cannot go into a one-line field, if it cannot: a field takes plain text,
/// never a line break or another control character (a pasted newline must not submit).
pub fn paste_refusal(pasted: &str, room: usize) -> Option<String> {
    if let Some(c) = pasted.chars().find(|c| c.is_control()) {
        let what = match c {
            '\n' | '\r' => "a line break".to_string(),
            '\t' => "a tab".to_string(),
            '\u{1b}' => "an escape sequence".to_string(),
            c => format!("the control character U+{:04X}", u32::from(c)),
        };
        return Some(format!(
            "the paste holds {what}, and a field takes one line of plain text: nothing was \
             inserted"
        ));
    }
    let count = pasted.chars().count();
    (count > room).then(|| {
        format!(
            "the paste holds {count} characters, and this field has room for {room} more (it \
             takes {MAX_FIELD_CHARS}): nothing was inserted"
        )
    })
}

/// A line of text being edited, with a cursor. A prefilled value starts selected: typing
/// replaces it, a cursor key keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
    /// In characters.
    cursor: usize,
    selected: bool,
}

impl TextInput {
    pub fn prefilled(text: &str) -> TextInput {
        TextInput {
            text: text.to_string(),
            cursor: text.chars().count(),
            selected: !text.is_empty(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn selected(&self) -> bool {
        self.selected
    }

    /// Insert pasted text at the cursor as one edit (replacing a selection); refused whole,
    /// with the reason, when it is not one line of plain text or would not fit.
    pub fn paste(&mut self, pasted: &str) -> Result<(), String> {
        let kept = if self.selected {
            0
        } else {
            self.text.chars().count()
        };
        if let Some(why) = paste_refusal(pasted, MAX_FIELD_CHARS.saturating_sub(kept)) {
            return Err(why);
        }
        if std::mem::take(&mut self.selected) {
            self.text.clear();
            self.cursor = 0;
        }
        let at = self.byte(self.cursor);
        self.text.insert_str(at, pasted);
        self.cursor += pasted.chars().count();
        Ok(())
    }

    fn byte(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }

    /// Apply an editing action; false if it is not one.
    pub fn edit(&mut self, action: Action) -> bool {
        let len = self.text.chars().count();
        let replace = std::mem::take(&mut self.selected);
        match action {
            Action::Type(_) if !replace && len >= MAX_FIELD_CHARS => {}
            Action::Type(c) => {
                if replace {
                    self.text.clear();
                    self.cursor = 0;
                }
                let at = self.byte(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
            }
            Action::DeleteBack | Action::ClearText if replace => {
                self.text.clear();
                self.cursor = 0;
            }
            Action::DeleteBack => {
                if self.cursor > 0 {
                    let at = self.byte(self.cursor - 1);
                    self.text.remove(at);
                    self.cursor -= 1;
                }
            }
            Action::DeleteForward => {
                if self.cursor < len {
                    let at = self.byte(self.cursor);
                    self.text.remove(at);
                }
            }
            Action::CursorLeft => self.cursor = self.cursor.saturating_sub(1),
            Action::CursorRight => self.cursor = (self.cursor + 1).min(len),
            Action::CursorHome => self.cursor = 0,
            Action::CursorEnd => self.cursor = len,
            Action::ClearText => {
                self.text.clear();
                self.cursor = 0;
            }
            _ => {
                self.selected = replace;
                return false;
            }
        }
        true
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputPurpose {
    SetFile {
        cgroup: CgroupPath,
        file: String,
        prefix: Option<String>,
        /// `Fs` forces a direct write even where systemd owns the cgroup (asked first).
        route: Route,
        /// memory.current when the form opened, to warn before a limit below it.
        usage: Option<u64>,
        /// What the file holds now, as the form showed it.
        current: String,
        /// The row of the limits list the form was opened from: Esc goes back to it.
        row: usize,
    },
    NewChild {
        parent: CgroupPath,
    },
    /// `cgtui replay`: the recorded time to go to, typed as `--at` takes it.
    ReplayTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputForm {
    pub title: String,
    pub hint: String,
    pub input: TextInput,
    pub purpose: InputPurpose,
    /// Why the last attempt was refused; the form stays open with what was typed.
    pub refusal: Vec<String>,
}

impl InputForm {
    /// The change the form would make with the text as it is.
    pub fn op(&self) -> Option<Op> {
        let text = self.input.text();
        match &self.purpose {
            InputPurpose::SetFile {
                cgroup,
                file,
                prefix,
                ..
            } => Some(Op::Set {
                cgroup: cgroup.clone(),
                file: file.clone(),
                value: match prefix {
                    Some(p) => format!("{p} {text}"),
                    None => text.to_string(),
                },
            }),
            InputPurpose::NewChild { .. } if text.is_empty() => None,
            InputPurpose::NewChild { parent } => Some(Op::Mkdir {
                cgroup: parent.join(std::ffi::OsStr::new(text)),
            }),
            InputPurpose::ReplayTime => None,
        }
    }

    /// The confirmation a typed limit asks before it is written: what, from what to what, and
    /// what the kernel will do beyond the write. The prediction is shown under it.
    pub fn confirmation(&self) -> (String, Vec<String>, Change) {
        let InputPurpose::SetFile {
            cgroup,
            file,
            route,
            current,
            ..
        } = &self.purpose
        else {
            return (String::new(), Vec::new(), Change::default());
        };
        let typed = self.input.text();
        let mut lines = vec![format!(
            "Set {file} of {cgroup} to {}? (now {current})",
            if typed.is_empty() {
                "nothing (empty)"
            } else {
                typed
            }
        )];
        if let Some(bytes) = crate::cgroup::value::parse_size(typed)
            .filter(|_| file.starts_with("memory.") && typed.ends_with(char::is_alphabetic))
        {
            lines.push(format!("{typed} is {bytes} bytes"));
        }
        if let Some(warning) = self.warning() {
            lines.push(format!("warning: {warning}"));
        }
        let title = if *route == Route::Fs {
            lines.push(
                "A direct write: where systemd owns this cgroup it may revert the value on its \
                 next reload (its single-writer rule)."
                    .into(),
            );
            "direct write"
        } else {
            "set"
        };
        (
            title.to_string(),
            lines,
            Change {
                route: *route,
                ..Change::default()
            },
        )
    }

    /// Does submitting the form change the system? (The replay's time prompt only moves.)
    pub fn writes(&self) -> bool {
        !matches!(self.purpose, InputPurpose::ReplayTime)
    }

    /// A warning the kernel would not give: a memory limit below what the cgroup uses now
    /// makes the kernel reclaim at once, and memory.max may OOM-kill.
    pub fn warning(&self) -> Option<String> {
        let InputPurpose::SetFile {
            file,
            usage: Some(usage),
            ..
        } = &self.purpose
        else {
            return None;
        };
        if file != "memory.max" && file != "memory.high" {
            return None;
        }
        let wanted = crate::cgroup::value::parse_size(self.input.text())?;
        (wanted < *usage).then(|| {
            let consequence = if file == "memory.max" {
                "the kernel reclaims at once and may OOM-kill processes that cannot shrink"
            } else {
                "the kernel throttles and reclaims at once"
            };
            format!(
                "below current usage ({}): {consequence}",
                crate::format::bytes(*usage as f64)
            )
        })
    }
}
