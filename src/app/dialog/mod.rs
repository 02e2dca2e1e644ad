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
    Signal(Box<crate::editor::SignalRequest>),
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
            Pending::Playground | Pending::StopPlayground(_) | Pending::Signal(_) => None,
        }
    }

    pub fn into_effect(self) -> Effect {
        match self {
            Pending::Edit(op, change) => Effect::Edit(op, change),
            Pending::Undo(plan) => Effect::Undo(Box::new(plan)),
            Pending::Fix(fix) => Effect::Fix(fix),
            Pending::Playground => Effect::Playground,
            Pending::StopPlayground(unit) => Effect::StopPlayground(unit),
            Pending::Signal(request) => Effect::Signal(request),
        }
    }
}

mod columns;
mod input;
mod rows;

pub use columns::ColumnChooser;
pub use input::*;
pub use rows::*;

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
    /// `x` in the process list: which signal to send.
    Signals(crate::app::signals::SignalPicker),
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
    /// `C`: the column chooser.
    Columns(ColumnChooser),
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
    /// Save these columns into the config file.
    SaveColumns(Vec<crate::model::view::Column>),
}

pub(crate) fn move_in(selected: &mut usize, len: usize, action: Action, page: usize) {
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

/// What a click on a row of a list did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowClick {
    /// The row is selected now.
    Selected,
    /// It was already: the click acts on it, as Enter.
    AlreadySelected,
    /// This dialog has no such row.
    Nothing,
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

    /// A click on row `index` of a list (limits, controllers, undo).
    pub fn select_row(&mut self, index: usize) -> RowClick {
        let (selected, len) = match self {
            Dialog::Limits {
                rows: Some(rows),
                selected,
                ..
            } => (selected, rows.len()),
            Dialog::Controllers { rows, selected, .. } => (selected, rows.len()),
            Dialog::UndoList {
                items, selected, ..
            } => (selected, items.len()),
            _ => return RowClick::Nothing,
        };
        if index >= len {
            RowClick::Nothing
        } else if *selected == index {
            RowClick::AlreadySelected
        } else {
            *selected = index;
            RowClick::Selected
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
            Dialog::Signals(picker) => picker.on_action(action, page),
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
                    // A name with `/`, or `.`/`..`, would name another place than a child.
                    if matches!(form.purpose, InputPurpose::NewChild { .. })
                        && !form.input.text().is_empty()
                        && let Err(why) =
                            crate::cgroup::fs::check_name(std::ffi::OsStr::new(form.input.text()))
                    {
                        form.refusal = vec![why];
                        return Step::Stay;
                    }
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
            Dialog::Columns(chooser) => chooser.on_action(action, page),
        }
    }
}

#[cfg(test)]
mod tests;
