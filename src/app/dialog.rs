//! The dialogs: limits form, controllers list, text input, confirmations, scrolled text. Pure
//! state; what they ask for is carried out by the app through effects.

use crate::app::action::{Action, ReplayMove};
use crate::app::effect::Effect;
use crate::app::status::Tone;
use crate::cgroup::CgroupPath;
use crate::cgroup::devices::Disk;
use crate::cgroup::edit::{Op, Outcome};
use crate::cgroup::rules::Rule;
use crate::editor::{Change, Route, UndoItem, UndoPlan};
use crate::format::{exact_size_limit, plain_limit};
use crate::model::{Model, Node};

/// One editable file of the limits form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitRow {
    pub file: &'static str,
    /// Shown before the value and written with it (io.max/io.weight: the disk's `MAJ:MIN`).
    pub prefix: Option<String>,
    pub label: String,
    pub current: String,
    pub hint: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerRow {
    pub name: String,
    pub enabled: bool,
    /// Children whose own cgroup.subtree_control enables it too (they block disabling it).
    pub used_by: Vec<String>,
}

/// A sequence of changes offered as a one-key fix after a refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fixup {
    /// Move every process of `cgroup` into a new leaf `cgroup/leaf`, then retry `then`.
    LeafThenRetry {
        cgroup: CgroupPath,
        leaf: String,
        then: Op,
    },
}

impl Fixup {
    pub fn describe(&self) -> String {
        match self {
            Fixup::LeafThenRetry { cgroup, leaf, .. } => {
                format!("create leaf {leaf} in {cgroup}, move its processes there, then retry")
            }
        }
    }
}

/// A change waiting for its confirmation.
#[derive(Debug)]
pub enum Pending {
    Edit(Op, Change),
    Undo(UndoPlan),
    Fix(Fixup),
    Playground,
    StopPlayground(String),
}

impl Pending {
    /// The write whose kernel answer the dialog shows before it is made.
    pub fn predicted_op(&self) -> Option<Op> {
        match self {
            Pending::Edit(op, _) => Some(op.clone()),
            Pending::Undo(plan) => Some(plan.op.clone()),
            // The first step of the fix; the retry is predicted when it is refused again.
            Pending::Fix(Fixup::LeafThenRetry { cgroup, leaf, .. }) => Some(Op::Mkdir {
                cgroup: cgroup.join(std::ffi::OsStr::new(leaf)),
            }),
            Pending::Playground | Pending::StopPlayground(_) => None,
        }
    }

    pub fn into_effect(self) -> Effect {
        match self {
            Pending::Edit(op, change) => Effect::Edit(op, change),
            Pending::Undo(plan) => Effect::Undo(Box::new(plan)),
            Pending::Fix(fix) => Effect::Fix(fix),
            Pending::Playground => Effect::Playground,
            Pending::StopPlayground(unit) => Effect::StopPlayground(unit),
        }
    }
}

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

#[derive(Debug)]
pub enum Dialog {
    Limits {
        cgroup: CgroupPath,
        /// `None` while the cgroup's limit files are still being read.
        rows: Option<Vec<LimitRow>>,
        selected: usize,
        read_only: bool,
    },
    Controllers {
        cgroup: CgroupPath,
        rows: Vec<ControllerRow>,
        selected: usize,
        read_only: bool,
    },
    /// `u`: the changes that can be taken back, latest first.
    UndoList {
        items: Vec<UndoItem>,
        selected: usize,
        /// This run's session: its own changes are told from others'.
        session: String,
    },
    Input(InputForm),
    Confirm {
        title: String,
        lines: Vec<String>,
        pending: Pending,
        /// The form the value was typed in: `n` or Esc go back to it, and a refusal reopens it.
        back: Option<InputForm>,
    },
    /// Scrolled text: the `w` pane, the message log, a process, a result.
    Text {
        title: String,
        tone: Tone,
        lines: Vec<String>,
        scroll: usize,
        fix: Option<Fixup>,
    },
}

/// What a dialog asks of the app after an action.
#[derive(Debug)]
pub enum Step {
    Stay,
    Close,
    Replace(Box<Dialog>),
    /// Close the dialog and make this change (it was confirmed, or typed in a form that
    /// showed its prediction).
    Request(Pending),
    /// A write in a read-only session: say so, change nothing.
    ReadOnly,
    /// The action does nothing here; tell the person why.
    Note(String),
    /// Close a limit's field and show the limits list again, at its row.
    BackToLimits {
        cgroup: CgroupPath,
        row: usize,
    },
    /// Close the dialog and move through recorded time (`cgtui replay`).
    Replay(ReplayMove),
}

fn move_in(selected: &mut usize, len: usize, action: Action, page: usize) {
    let last = len.saturating_sub(1);
    *selected = match action {
        Action::Up => selected.saturating_sub(1),
        Action::Down => (*selected + 1).min(last),
        Action::PageUp => selected.saturating_sub(page),
        Action::PageDown => (*selected + page).min(last),
        Action::First => 0,
        Action::Last => last,
        _ => *selected,
    };
}

/// A confirmation of `pending`, whose prediction the app asks for.
pub fn confirm(title: impl Into<String>, lines: Vec<String>, pending: Pending) -> Dialog {
    Dialog::Confirm {
        title: title.into(),
        lines,
        pending,
        back: None,
    }
}

impl Dialog {
    pub fn text(title: impl Into<String>, tone: Tone, lines: Vec<String>) -> Dialog {
        Dialog::Text {
            title: title.into(),
            tone,
            lines,
            scroll: 0,
            fix: None,
        }
    }

    /// The change this dialog is about to ask for, so its prediction can be shown first.
    pub fn pending_op(&self) -> Option<Op> {
        match self {
            Dialog::Confirm { pending, .. } => pending.predicted_op(),
            Dialog::Input(form) => form.op(),
            _ => None,
        }
    }

    /// Handle an action of the dialog's context. `page`: rows a page moves.
    pub fn on_action(&mut self, action: Action, page: usize) -> Step {
        match self {
            Dialog::Limits {
                cgroup,
                rows,
                selected,
                read_only,
            } => {
                let Some(rows) = rows else {
                    return match action {
                        Action::Close => Step::Close,
                        _ => Step::Stay,
                    };
                };
                match action {
                    Action::Close => Step::Close,
                    Action::Activate | Action::DirectWrite if *read_only => Step::ReadOnly,
                    Action::Activate | Action::DirectWrite => match rows.get(*selected) {
                        Some(row) => {
                            let raw = action == Action::DirectWrite;
                            Step::Replace(Box::new(Dialog::Input(InputForm {
                                title: format!(
                                    "{}{} of {cgroup}",
                                    if raw { "direct write: " } else { "" },
                                    row.label
                                ),
                                hint: row.hint.to_string(),
                                input: TextInput::prefilled(&row.current),
                                purpose: InputPurpose::SetFile {
                                    cgroup: cgroup.clone(),
                                    file: row.file.to_string(),
                                    prefix: row.prefix.clone(),
                                    route: if raw { Route::Fs } else { Route::Auto },
                                    usage: None,
                                    current: row.current.clone(),
                                    row: *selected,
                                },
                                refusal: Vec::new(),
                            })))
                        }
                        None => Step::Close,
                    },
                    other => {
                        move_in(selected, rows.len(), other, page);
                        Step::Stay
                    }
                }
            }
            Dialog::Controllers {
                cgroup,
                rows,
                selected,
                read_only,
            } => match action {
                Action::Close => Step::Close,
                Action::Activate if *read_only => Step::ReadOnly,
                Action::Activate => match rows.get(*selected) {
                    Some(row) => {
                        let (sign, verb) = if row.enabled {
                            ("-", "Disable")
                        } else {
                            ("+", "Enable")
                        };
                        let value = format!("{sign}{}", row.name);
                        let mut lines = vec![format!(
                            "{verb} the {} controller for the children of {cgroup}?",
                            row.name
                        )];
                        lines.push(format!(
                            "writes {value:?} to {}",
                            cgroup.file_display("cgroup.subtree_control")
                        ));
                        if row.enabled && !row.used_by.is_empty() {
                            lines.push(format!(
                                "children that pass it on ({}) must disable it first",
                                row.used_by.join(", ")
                            ));
                        }
                        Step::Replace(Box::new(confirm(
                            "change controllers",
                            lines,
                            Pending::Edit(
                                Op::Set {
                                    cgroup: cgroup.clone(),
                                    file: "cgroup.subtree_control".into(),
                                    value,
                                },
                                Change::default(),
                            ),
                        )))
                    }
                    None => Step::Close,
                },
                Action::DirectWrite => Step::Stay,
                other => {
                    move_in(selected, rows.len(), other, page);
                    Step::Stay
                }
            },
            Dialog::UndoList {
                items,
                selected,
                session,
            } => match action {
                Action::Close => Step::Close,
                Action::Activate => match items.get(*selected) {
                    Some(UndoItem { plan: Ok(plan), .. }) => {
                        let mut lines = vec![format!("Undo: {}?", plan.description)];
                        if items[*selected].session.as_deref() != Some(session.as_str()) {
                            lines.push(
                                "This change was made from another cgtui or terminal.".into(),
                            );
                        }
                        Step::Replace(Box::new(confirm(
                            "undo",
                            lines,
                            Pending::Undo(plan.clone()),
                        )))
                    }
                    Some(UndoItem {
                        plan: Err(why),
                        description,
                        ..
                    }) => Step::Note(format!("{description} cannot be undone: {why}")),
                    None => Step::Close,
                },
                other => {
                    move_in(selected, items.len(), other, page);
                    Step::Stay
                }
            },
            Dialog::Input(form) => match action {
                Action::Close => match &form.purpose {
                    InputPurpose::SetFile { cgroup, row, .. } => Step::BackToLimits {
                        cgroup: cgroup.clone(),
                        row: *row,
                    },
                    _ => Step::Close,
                },
                Action::Submit if form.purpose == InputPurpose::ReplayTime => {
                    let now = crate::time::now_ms();
                    match crate::time::parse_time(form.input.text(), now) {
                        Ok(ms) => Step::Replay(ReplayMove::To(ms)),
                        // The prompt stays, with what was typed and why it is not a time.
                        Err(why) => {
                            form.refusal = vec![why];
                            Step::Stay
                        }
                    }
                }
                Action::Submit => {
                    let Some(op) = form.op() else {
                        return Step::Note("type a name first".into());
                    };
                    match &form.purpose {
                        InputPurpose::SetFile { .. } => {
                            let (title, lines, change) = form.confirmation();
                            Step::Replace(Box::new(Dialog::Confirm {
                                title,
                                lines,
                                pending: Pending::Edit(op, change),
                                back: Some(form.clone()),
                            }))
                        }
                        _ => Step::Request(Pending::Edit(op, Change::default())),
                    }
                }
                other => {
                    if form.input.edit(other) {
                        form.refusal.clear();
                    }
                    Step::Stay
                }
            },
            Dialog::Confirm { back, .. } => match action {
                Action::Confirm => {
                    match std::mem::replace(self, Dialog::text("", Tone::Info, Vec::new())) {
                        Dialog::Confirm { pending, back, .. } => {
                            // The form stays behind the write, to come back with a refusal.
                            if let Some(form) = back {
                                *self = Dialog::Input(form);
                            }
                            Step::Request(pending)
                        }
                        _ => Step::Close,
                    }
                }
                _ => match back.take() {
                    Some(form) => Step::Replace(Box::new(Dialog::Input(form))),
                    None => Step::Close,
                },
            },
            Dialog::Text {
                lines, scroll, fix, ..
            } => match action {
                Action::Fix => match fix.take() {
                    Some(fix) => Step::Replace(Box::new(confirm(
                        "fix",
                        vec![format!("Fix it: {}?", fix.describe())],
                        Pending::Fix(fix),
                    ))),
                    None => Step::Close,
                },
                Action::Close => Step::Close,
                other => {
                    move_in(scroll, lines.len(), other, page);
                    Step::Stay
                }
            },
        }
    }
}

/// The limits that exist for this cgroup (files absent because a controller is off are left
/// out), with their current values.
pub fn limit_rows(node: &Node, disks: &[Disk]) -> Vec<LimitRow> {
    let mut rows = Vec::new();
    let Some(sample) = node.sample.as_ref() else {
        return rows;
    };
    fn add(
        rows: &mut Vec<LimitRow>,
        file: &'static str,
        present: bool,
        current: String,
        hint: &'static str,
    ) {
        if present {
            rows.push(LimitRow {
                file,
                prefix: None,
                label: file.to_string(),
                current,
                hint,
            });
        }
    }
    let m = &sample.memory;
    const SIZE: &str = "bytes with K/M/G/T (512M, 1.5G) or max";
    add(
        &mut rows,
        "memory.max",
        m.max.is_some(),
        exact_size_limit(m.max),
        SIZE,
    );
    add(
        &mut rows,
        "memory.high",
        m.high.is_some(),
        exact_size_limit(m.high),
        SIZE,
    );
    add(
        &mut rows,
        "memory.low",
        m.low.is_some(),
        exact_size_limit(m.low),
        SIZE,
    );
    add(
        &mut rows,
        "memory.min",
        m.min.is_some(),
        exact_size_limit(m.min),
        SIZE,
    );
    add(
        &mut rows,
        "memory.swap.max",
        m.swap_max.is_some(),
        exact_size_limit(m.swap_max),
        SIZE,
    );
    if let Some(d) = sample.detail.as_ref() {
        add(
            &mut rows,
            "cpu.max",
            d.cpu_max.is_some(),
            d.cpu_max
                .map_or("-".into(), |c| format!("{} {}", c.quota, c.period_usec)),
            "QUOTA PERIOD in µs, max, or 50% (of one CPU)",
        );
        add(
            &mut rows,
            "cpu.weight",
            d.cpu_weight.is_some(),
            d.cpu_weight.map_or("-".into(), |w| w.to_string()),
            "1-10000 (default 100)",
        );
        if d.io_max.is_some() {
            for disk in disks {
                let current = d
                    .io_max
                    .iter()
                    .flatten()
                    .find(|e| e.device == disk.id)
                    .map_or("rbps=max wbps=max riops=max wiops=max".into(), |e| {
                        format!(
                            "rbps={} wbps={} riops={} wiops={}",
                            e.rbps, e.wbps, e.riops, e.wiops
                        )
                    });
                rows.push(LimitRow {
                    file: "io.max",
                    prefix: Some(disk.id.to_string()),
                    label: format!("io.max {} ({})", disk.name, disk.id),
                    current,
                    hint: "rbps=10M wbps=max riops=N wiops=N (bps take K/M/G)",
                });
            }
        }
        add(
            &mut rows,
            "io.weight",
            d.io_weight.is_some(),
            d.io_weight
                .as_ref()
                .map_or("-".into(), |w| w.default.to_string()),
            "1-10000 (default 100)",
        );
        add(
            &mut rows,
            "cpuset.cpus",
            d.cpuset_cpus.is_some(),
            d.cpuset_cpus.clone().unwrap_or_default(),
            "CPU list such as 0-3,5 (empty = inherit)",
        );
        add(
            &mut rows,
            "cpuset.mems",
            d.cpuset_mems.is_some(),
            d.cpuset_mems.clone().unwrap_or_default(),
            "memory node list such as 0 (empty = inherit)",
        );
    }
    add(
        &mut rows,
        "pids.max",
        sample.pids.max.is_some(),
        plain_limit(sample.pids.max),
        "a number of tasks, or max",
    );
    if let Some(d) = sample.detail.as_ref() {
        add(
            &mut rows,
            "cgroup.max.descendants",
            d.max_descendants.is_some(),
            plain_limit(d.max_descendants),
            "a number of descendant cgroups, or max",
        );
        add(
            &mut rows,
            "cgroup.max.depth",
            d.max_depth.is_some(),
            plain_limit(d.max_depth),
            "a depth, or max",
        );
    }
    rows
}

/// The controllers available here, whether each is enabled for the children, and which
/// children pass it further down.
pub fn controller_rows(model: &Model, node: &Node) -> Vec<ControllerRow> {
    let Some(sample) = node.sample.as_ref() else {
        return Vec::new();
    };
    let enabled = sample.subtree_control.clone().unwrap_or_default();
    sample
        .controllers
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|name| {
            let used_by = node
                .children
                .iter()
                .map(|c| model.node(*c))
                .filter(|child| {
                    child
                        .sample
                        .as_ref()
                        .and_then(|s| s.subtree_control.as_ref())
                        .is_some_and(|l| l.contains(&name))
                })
                .map(|child| crate::cgroup::escape::visible_os(child.path.name()).into_owned())
                .collect();
            ControllerRow {
                enabled: enabled.contains(&name),
                name,
                used_by,
            }
        })
        .collect()
}

/// The text of an outcome, with a fix where one is mechanical and safe.
pub fn outcome_text(outcome: &Outcome, processes: usize) -> (Vec<String>, Option<Fixup>) {
    let target = match &outcome.file {
        Some(f) => outcome.cgroup.file_display(f),
        None => outcome.cgroup.to_string(),
    };
    if outcome.ok() {
        let mut lines = vec![
            format!("{} {target}: done", outcome.op),
            outcome.explanation.clone(),
        ];
        if let Some(before) = &outcome.before {
            lines.push(format!("before: {before}"));
        }
        if let Some(after) = &outcome.after {
            lines.push(format!("now:    {after}"));
        }
        lines.extend(outcome.warnings.iter().cloned());
        return (lines, None);
    }
    let errno = outcome
        .errno
        .clone()
        .unwrap_or_else(|| "refused before writing".into());
    let mut lines = vec![
        format!("{} {target}: {errno} [{}]", outcome.op, outcome.rule),
        outcome.explanation.clone(),
    ];
    if let Some(fix) = &outcome.fix {
        lines.push(format!("what to do: {fix}"));
    }
    if !outcome.doc.is_empty() {
        lines.push(format!("see {}", outcome.doc));
    }
    if let Some(before) = &outcome.before {
        lines.push(format!("unchanged: {before}"));
    }
    lines.extend(outcome.warnings.iter().cloned());
    let fix = match (&outcome.rule, outcome.file.as_deref(), &outcome.value) {
        (Rule::NoInternalProcess, Some("cgroup.subtree_control"), Some(value)) if processes > 0 => {
            Some(Fixup::LeafThenRetry {
                cgroup: outcome.cgroup.clone(),
                leaf: "leaf".into(),
                then: Op::Set {
                    cgroup: outcome.cgroup.clone(),
                    file: "cgroup.subtree_control".into(),
                    value: value.clone(),
                },
            })
        }
        _ => None,
    };
    (lines, fix)
}

#[cfg(test)]
mod tests;
