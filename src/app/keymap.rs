//! The one keymap table: `(context, key) → action, description`. Dispatch, the help overlay, the
//! footer and the manual's key table are all read from it, and the config file's `[keys]`
//! table rebinds through it.

use crate::app::action::{Action, Context};
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

fn b(
    context: Context,
    keys: &[Key],
    action: Action,
    short: &'static str,
    description: &'static str,
) -> Binding {
    Binding {
        context,
        keys: keys.to_vec(),
        action,
        description,
        short,
    }
}

use Key as K;
use KeyCode as C;

const UP: Key = K::plain(C::Up);
const DOWN: Key = K::plain(C::Down);
const LEFT: Key = K::plain(C::Left);
const RIGHT: Key = K::plain(C::Right);
const PGUP: Key = K::plain(C::PageUp);
const PGDN: Key = K::plain(C::PageDown);
const HOME: Key = K::plain(C::Home);
const END: Key = K::plain(C::End);
const ENTER: Key = K::plain(C::Enter);
const ESC: Key = K::plain(C::Esc);
const SPACE: Key = K::char(' ');

impl Default for Keymap {
    fn default() -> Self {
        use Action as A;
        use Context as X;
        let mut bindings = vec![
            b(
                X::Global,
                &[K::ctrl('c')],
                A::Quit,
                "quit",
                "quit, from anywhere",
            ),
            // The main view, in the order the footer offers them.
            b(
                X::Main,
                &[K::char('?'), K::plain(C::F(1))],
                A::Help,
                "help",
                "help: every key (scrolls)",
            ),
            b(
                X::Main,
                &[K::char('q')],
                A::Quit,
                "quit",
                "quit (from the main view only)",
            ),
            b(
                X::Main,
                &[K::char('/')],
                A::Filter,
                "filter",
                "filter by name; matches keep their ancestors visible",
            ),
            b(
                X::Main,
                &[K::char('e')],
                A::Edit,
                "limits",
                "edit a limit: the limit files that exist here, with their values",
            ),
            b(
                X::Main,
                &[K::char('c')],
                A::Controllers,
                "controllers",
                "enable/disable controllers for the children (cgroup.subtree_control), confirmed",
            ),
            b(
                X::Main,
                &[K::char('w')],
                A::Explain,
                "explain",
                "who can do what here: owners, delegation, each action's predicted verdict",
            ),
            b(
                X::Main,
                &[K::char('L')],
                A::Lessons,
                "lessons",
                "lessons panel: guided walkthroughs that tick off as you go",
            ),
            b(
                X::Main,
                &[K::plain(C::Tab)],
                A::SwitchPane,
                "processes",
                "switch between the tree and the process list",
            ),
            b(
                X::Main,
                &[K::char('s')],
                A::SortNext,
                "sort",
                "sort by the next shown column",
            ),
            b(
                X::Main,
                &[K::char('S')],
                A::SortReverse,
                "reverse",
                "reverse the sort order",
            ),
            b(
                X::Main,
                &[K::char('f')],
                A::Freeze,
                "freeze",
                "freeze or thaw (cgroup.freeze), confirmed",
            ),
            b(
                X::Main,
                &[K::char('n')],
                A::New,
                "new",
                "new child cgroup (mkdir)",
            ),
            b(
                X::Main,
                &[K::char('d')],
                A::Remove,
                "remove",
                "remove the cgroup (rmdir) or stop a playground, confirmed",
            ),
            b(
                X::Main,
                &[K::char('K')],
                A::Kill,
                "kill",
                "kill every process in it and below (cgroup.kill), confirmed",
            ),
            b(
                X::Main,
                &[K::char('u')],
                A::Undo,
                "undo",
                "undo: this session's latest change first, confirmed",
            ),
            b(
                X::Main,
                &[K::char('M')],
                A::Messages,
                "messages",
                "message log: the full text of every result and refusal",
            ),
            b(
                X::Main,
                &[K::char('r')],
                A::Subtree,
                "subtree",
                "show only the selected subtree",
            ),
            b(
                X::Main,
                &[K::char('R'), K::plain(C::Backspace)],
                A::Back,
                "back",
                "back to the previous top",
            ),
            b(
                X::Main,
                &[K::char('i')],
                A::ToggleDetails,
                "details",
                "hide or show the details pane",
            ),
            b(
                X::Main,
                &[K::char('v')],
                A::RawNames,
                "raw names",
                "raw cgroup names instead of workload names (docker 3f2a4b5c6d7e, pod …, session 3)",
            ),
            b(
                X::Main,
                &[K::char('<')],
                A::DetailsSmaller,
                "smaller",
                "details pane smaller",
            ),
            b(
                X::Main,
                &[K::char('>')],
                A::DetailsLarger,
                "larger",
                "details pane larger",
            ),
            b(
                X::Main,
                &[K::char('+'), K::char('=')],
                A::Slower,
                "slower",
                "poll the counters less often",
            ),
            b(
                X::Main,
                &[K::char('-')],
                A::Faster,
                "faster",
                "poll the counters more often (floor 0.1 s)",
            ),
            b(
                X::Main,
                &[K::char('m')],
                A::MoveProcess,
                "move",
                "move the process picked in the process list: then Enter on the destination",
            ),
            b(
                X::Main,
                &[K::char('P')],
                A::Persist,
                "persist",
                "make the latest limit you set permanent (systemd), confirmed",
            ),
            b(
                X::Main,
                &[K::char('D')],
                A::Playground,
                "playground",
                "start a delegated playground: a scope of your own, no root needed",
            ),
            b(
                X::Main,
                &[K::char('o')],
                A::Own,
                "own",
                "jump to cgtui's own cgroup",
            ),
            b(
                X::Main,
                &[UP, K::char('k')],
                A::Up,
                "up",
                "move up (in the focused pane)",
            ),
            b(X::Main, &[DOWN, K::char('j')], A::Down, "down", "move down"),
            b(X::Main, &[PGUP], A::PageUp, "page up", "a page up"),
            b(X::Main, &[PGDN], A::PageDown, "page down", "a page down"),
            b(
                X::Main,
                &[HOME, K::char('g')],
                A::First,
                "first",
                "first row",
            ),
            b(X::Main, &[END, K::char('G')], A::Last, "last", "last row"),
            b(
                X::Main,
                &[RIGHT, K::char('l')],
                A::Expand,
                "expand",
                "expand, or go to the first child",
            ),
            b(
                X::Main,
                &[LEFT, K::char('h')],
                A::Collapse,
                "collapse",
                "collapse, or go to the parent",
            ),
            b(
                X::Main,
                &[ENTER, SPACE],
                A::Activate,
                "toggle",
                "expand or collapse the row",
            ),
            b(
                X::Main,
                &[K::char('*')],
                A::ExpandAll,
                "expand all",
                "expand everything below the row",
            ),
            b(
                X::Main,
                &[ESC],
                A::Cancel,
                "cancel",
                "cancel a move, leave the process list, clear the filter (never quits)",
            ),
            b(
                X::Filtered,
                &[K::char('n')],
                A::NextMatch,
                "next match",
                "next match",
            ),
            b(
                X::Filtered,
                &[K::char('N')],
                A::PrevMatch,
                "prev match",
                "previous match",
            ),
            b(
                X::Processes,
                &[ENTER],
                A::Activate,
                "show",
                "show the process: full command line, user, state",
            ),
            b(
                X::Moving,
                &[ENTER],
                A::MoveHere,
                "move here",
                "move the process into the selected cgroup, confirmed",
            ),
            b(
                X::FilterInput,
                &[ENTER],
                A::FilterKeep,
                "keep",
                "keep the filter and go back to the tree",
            ),
            b(
                X::FilterInput,
                &[ESC],
                A::FilterClear,
                "clear",
                "clear the filter, staying on the selected cgroup",
            ),
            b(
                X::FilterInput,
                &[DOWN],
                A::NextMatch,
                "next match",
                "next match",
            ),
            b(
                X::FilterInput,
                &[UP],
                A::PrevMatch,
                "prev match",
                "previous match",
            ),
            b(
                X::FilterInput,
                &[K::plain(C::Backspace)],
                A::DeleteBack,
                "delete",
                "delete a character",
            ),
            b(
                X::FilterInput,
                &[K::Text],
                A::Type(' '),
                "type",
                "type the filter; it applies as you type",
            ),
            b(X::Help, &[UP, K::char('k')], A::Up, "up", "scroll up"),
            b(
                X::Help,
                &[DOWN, K::char('j')],
                A::Down,
                "down",
                "scroll down",
            ),
            b(X::Help, &[PGUP], A::PageUp, "page up", "a page up"),
            b(
                X::Help,
                &[PGDN, SPACE],
                A::PageDown,
                "page down",
                "a page down",
            ),
            b(
                X::Help,
                &[HOME, K::char('g')],
                A::First,
                "top",
                "to the top",
            ),
            b(X::Help, &[END, K::char('G')], A::Last, "end", "to the end"),
            b(X::Help, &[K::Other], A::Close, "close", "close help"),
            b(X::Form, &[UP, K::char('k')], A::Up, "up", "previous row"),
            b(X::Form, &[DOWN, K::char('j')], A::Down, "down", "next row"),
            b(
                X::Form,
                &[HOME, K::char('g')],
                A::First,
                "first",
                "first row",
            ),
            b(X::Form, &[END, K::char('G')], A::Last, "last", "last row"),
            b(
                X::Form,
                &[ENTER, SPACE, K::char('e')],
                A::Activate,
                "choose",
                "edit the limit / toggle the controller (confirmed)",
            ),
            b(
                X::Form,
                &[K::char('r')],
                A::DirectWrite,
                "direct write",
                "limits: write the file directly even where systemd owns it (confirmed)",
            ),
            b(X::Form, &[ESC, K::char('q')], A::Close, "close", "close"),
            b(
                X::Input,
                &[ENTER],
                A::Submit,
                "write",
                "write the value (checked first; the kernel's predicted answer is shown)",
            ),
            b(X::Input, &[ESC], A::Close, "cancel", "cancel"),
            b(X::Input, &[LEFT], A::CursorLeft, "left", "cursor left"),
            b(X::Input, &[RIGHT], A::CursorRight, "right", "cursor right"),
            b(
                X::Input,
                &[HOME, K::ctrl('a')],
                A::CursorHome,
                "start",
                "cursor to the start",
            ),
            b(
                X::Input,
                &[END, K::ctrl('e')],
                A::CursorEnd,
                "end",
                "cursor to the end",
            ),
            b(
                X::Input,
                &[K::plain(C::Backspace)],
                A::DeleteBack,
                "delete",
                "delete before the cursor",
            ),
            b(
                X::Input,
                &[K::plain(C::Delete)],
                A::DeleteForward,
                "delete right",
                "delete at the cursor",
            ),
            b(
                X::Input,
                &[K::ctrl('u')],
                A::ClearText,
                "clear",
                "clear the field",
            ),
            b(
                X::Input,
                &[K::Text],
                A::Type(' '),
                "type",
                "type; the current value is selected, so typing replaces it",
            ),
            b(
                X::Confirm,
                &[K::char('y'), K::char('Y')],
                A::Confirm,
                "yes",
                "yes: make the change",
            ),
            b(
                X::Confirm,
                &[K::Other],
                A::Close,
                "no",
                "no: any other key cancels",
            ),
            b(X::Text, &[UP, K::char('k')], A::Up, "up", "scroll up"),
            b(
                X::Text,
                &[DOWN, K::char('j')],
                A::Down,
                "down",
                "scroll down",
            ),
            b(X::Text, &[PGUP], A::PageUp, "page up", "a page up"),
            b(
                X::Text,
                &[PGDN, SPACE],
                A::PageDown,
                "page down",
                "a page down",
            ),
            b(
                X::Text,
                &[HOME, K::char('g')],
                A::First,
                "top",
                "to the top",
            ),
            b(X::Text, &[END, K::char('G')], A::Last, "end", "to the end"),
            b(
                X::Text,
                &[K::char('F')],
                A::Fix,
                "fix",
                "after a refusal: apply the offered fix (confirmed)",
            ),
            b(X::Text, &[K::Other], A::Close, "close", "close"),
            // `cgtui replay`: recorded time.
            b(
                X::Replay,
                &[K::char(',')],
                A::Replay(crate::app::action::ReplayMove::PrevSample),
                "back",
                "one recorded sample back",
            ),
            b(
                X::Replay,
                &[K::char('.')],
                A::Replay(crate::app::action::ReplayMove::NextSample),
                "forward",
                "one recorded sample forward",
            ),
            b(
                X::Replay,
                &[K::char('(')],
                A::Replay(crate::app::action::ReplayMove::By(-60)),
                "-1 min",
                "one minute back",
            ),
            b(
                X::Replay,
                &[K::char(')')],
                A::Replay(crate::app::action::ReplayMove::By(60)),
                "+1 min",
                "one minute forward",
            ),
            b(
                X::Replay,
                &[K::ctrl('b')],
                A::Replay(crate::app::action::ReplayMove::By(-600)),
                "-10 min",
                "ten minutes back",
            ),
            b(
                X::Replay,
                &[K::ctrl('f')],
                A::Replay(crate::app::action::ReplayMove::By(600)),
                "+10 min",
                "ten minutes forward",
            ),
            b(
                X::Replay,
                &[K::ctrl('u')],
                A::Replay(crate::app::action::ReplayMove::By(-3600)),
                "-1 h",
                "one hour back",
            ),
            b(
                X::Replay,
                &[K::ctrl('d')],
                A::Replay(crate::app::action::ReplayMove::By(3600)),
                "+1 h",
                "one hour forward",
            ),
            b(
                X::Replay,
                &[K::ctrl('p')],
                A::Replay(crate::app::action::ReplayMove::PrevEvent),
                "prev event",
                "to the previous recorded event (an OOM kill, a limit change, ...)",
            ),
            b(
                X::Replay,
                &[K::ctrl('n')],
                A::Replay(crate::app::action::ReplayMove::NextEvent),
                "next event",
                "to the next recorded event",
            ),
            b(
                X::Replay,
                &[K::char('t')],
                A::ReplayGoTo,
                "go to",
                "go to a time, typed as --at takes it (2026-12-01T03:12:00Z, 03:12, -2h, yesterday 03:00; UTC)",
            ),
        ];
        bindings.push(b(
            X::Lessons,
            &[K::char('1')],
            A::Lesson(1),
            "lesson",
            "1-9: open that lesson",
        ));
        for n in 2..=9u8 {
            bindings.push(b(
                X::Lessons,
                &[K::char((b'0' + n) as char)],
                A::Lesson(n),
                "lesson",
                "1-9: open that lesson",
            ));
        }
        bindings.extend([
            b(
                X::Lessons,
                &[K::char(']')],
                A::LessonNext,
                "next",
                "next lesson",
            ),
            b(
                X::Lessons,
                &[K::char('[')],
                A::LessonPrev,
                "prev",
                "previous lesson",
            ),
            b(
                X::Lessons,
                &[K::char('0')],
                A::LessonList,
                "list",
                "back to the list of lessons",
            ),
            b(
                X::Lessons,
                &[K::char('}')],
                A::LessonScrollDown,
                "scroll",
                "scroll the lesson down (half a panel)",
            ),
            b(
                X::Lessons,
                &[K::char('{')],
                A::LessonScrollUp,
                "up",
                "scroll the lesson up",
            ),
        ]);
        Keymap { bindings }
    }
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
        self.in_context(context)
            .find(|b| b.action == action)
            .and_then(|b| b.keys.first())
            .map_or(String::new(), Key::to_string)
    }

    /// The manual's key table (docs/src/keys.md), generated from this table (defaults).
    pub fn markdown(&self) -> String {
        let mut out = String::from("| where | keys | what it does |\n|---|---|---|\n");
        for context in Context::ALL {
            let mut seen: Vec<(String, &str)> = Vec::new();
            for binding in self.in_context(context) {
                let keys = match binding.action {
                    Action::Lesson(_) => "`1`…`9`".to_string(),
                    _ => binding
                        .keys
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(" "),
                };
                if seen
                    .iter()
                    .any(|(k, d)| *k == keys && *d == binding.description)
                {
                    continue;
                }
                out.push_str(&format!(
                    "| {} | {keys} | {} |\n",
                    context.title(),
                    binding.description
                ));
                seen.push((keys, binding.description));
            }
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
