//! Turning actions into pending changes: the forms and confirmations that come before a write,
//! the checks that a write may be asked for now, and what the app does with the answer.

use super::dialog::{self, Dialog, InputForm, InputPurpose, Pending};
use super::status::Tone;
use super::{Action, App, Context, Effect, Focus};
use crate::cgroup::edit::{Op, Outcome};
use crate::editor::{Change, Route, UndoItem};

impl App {
    /// Does the selected cgroup contain cgtui itself? Freezing or killing it would stop us.
    fn selection_holds_cgtui(&self) -> bool {
        self.own_cgroup
            .as_ref()
            .is_some_and(|own| own.starts_with(self.tree.selected()))
    }

    /// May a change be asked for now? Says why not, if not.
    pub(super) fn can_write(&mut self) -> bool {
        if self.read_only {
            self.status.say(
                Tone::Warning,
                "read-only mode (--read-only): changes are disabled",
            );
            return false;
        }
        if self.busy {
            self.status
                .say(Tone::Warning, "a change is still under way");
            return false;
        }
        true
    }

    /// Carry out a confirmed change.
    pub(super) fn request(&mut self, pending: Pending) -> Vec<Effect> {
        if !self.can_write() {
            return Vec::new();
        }
        self.busy = true;
        self.status.hint("working…");
        vec![pending.into_effect()]
    }

    /// Ask before `pending`: a confirmation that shows the kernel's predicted answer.
    pub(super) fn ask(&mut self, title: &str, lines: Vec<String>, pending: Pending) -> Vec<Effect> {
        if self.can_write() {
            self.open_dialog(dialog::confirm(title, lines, pending));
        }
        Vec::new()
    }

    pub(super) fn open_limits(&mut self) {
        let selected = self.tree.selected().clone();
        self.open_limits_of(selected, None);
    }

    /// The limits list of `cgroup`, on `row` if given, else on the row last used.
    pub(super) fn open_limits_of(&mut self, cgroup: crate::cgroup::CgroupPath, row: Option<usize>) {
        let node = self.model.get(&cgroup);
        // Limits other than memory and pids come only with a full read of the cgroup, which
        // follows a change of selection: until it arrives the form says it is reading.
        let rows = match node.and_then(|n| n.sample.as_ref()) {
            Some(sample) if sample.detail.is_some() => {
                node.map(|n| dialog::limit_rows(n, &self.disks))
            }
            _ => None,
        };
        if rows.as_ref().is_some_and(Vec::is_empty) {
            self.status.say(
                Tone::Info,
                format!("{cgroup} has no limit files to edit (no controller enabled for it)"),
            );
            return;
        }
        let selected = match (row, &rows) {
            (Some(row), Some(rows)) => row.min(rows.len().saturating_sub(1)),
            (None, Some(rows)) => self.remembered_limits_row(rows),
            (_, None) => 0,
        };
        self.lessons.observed.opened.insert("limits".into());
        self.open_dialog(Dialog::Limits {
            cgroup,
            rows,
            selected,
            read_only: self.read_only,
        });
    }

    /// The row of `rows` the limits list was last on (by its label), else the first.
    pub(super) fn remembered_limits_row(&self, rows: &[dialog::LimitRow]) -> usize {
        self.limits_row
            .as_ref()
            .and_then(|label| rows.iter().position(|row| &row.label == label))
            .unwrap_or(0)
    }

    pub(super) fn open_controllers(&mut self) {
        let selected = self.tree.selected().clone();
        let rows = self
            .selected_node()
            .map(|n| dialog::controller_rows(&self.model, n))
            .unwrap_or_default();
        if rows.is_empty() {
            self.status.say(
                Tone::Info,
                format!("{selected}: cgroup.controllers is empty, nothing to enable"),
            );
            return;
        }
        self.lessons.observed.opened.insert("controllers".into());
        self.open_dialog(Dialog::Controllers {
            cgroup: selected,
            rows,
            selected: 0,
            read_only: self.read_only,
        });
    }

    pub(super) fn freeze(&mut self) -> Vec<Effect> {
        let selected = self.tree.selected().clone();
        let Some(frozen) = self.selected_node().and_then(|n| n.frozen()) else {
            self.status
                .say(Tone::Info, "the root cgroup cannot be frozen");
            return Vec::new();
        };
        let op = Op::Set {
            cgroup: selected.clone(),
            file: "cgroup.freeze".into(),
            value: if frozen { "0" } else { "1" }.into(),
        };
        let mut lines = vec![if frozen {
            format!("Thaw {selected}? Its processes run again.")
        } else {
            format!("Freeze {selected}? Every process in it and below stops until thawed.")
        }];
        if !frozen && self.selection_holds_cgtui() {
            lines.push(
                "It contains cgtui itself: this screen would stop responding until something \
                 outside thaws it."
                    .into(),
            );
        }
        let title = if frozen { "thaw" } else { "freeze" };
        self.ask(title, lines, Pending::Edit(op, Change::default()))
    }

    pub(super) fn kill(&mut self) -> Vec<Effect> {
        let selected = self.tree.selected().clone();
        let mut lines = vec![format!(
            "Kill every process in {selected} and below (cgroup.kill)? This cannot be undone."
        )];
        if let Some(named) = self.processes.named(&selected, 3) {
            lines.push(format!("In {selected} itself: {named}."));
        }
        if let Some(tasks) = self
            .selected_node()
            .and_then(|n| n.sample.as_ref())
            .and_then(|s| s.pids.current)
        {
            lines.push(format!(
                "{} in all, descendants included (pids.current).",
                crate::format::plural(tasks as usize, "task")
            ));
        }
        if self.selection_holds_cgtui() {
            lines.push("This includes cgtui itself.".into());
        }
        let op = Op::Set {
            cgroup: selected,
            file: "cgroup.kill".into(),
            value: "1".into(),
        };
        self.ask("kill", lines, Pending::Edit(op, Change::default()))
    }

    pub(super) fn new_child(&mut self) {
        if !self.can_write() {
            return;
        }
        let parent = self.tree.selected().clone();
        self.open_dialog(Dialog::Input(InputForm {
            title: format!("new child cgroup of {parent}"),
            hint: "a name (a .scope/.service suffix is only a convention outside systemd)".into(),
            input: dialog::TextInput::default(),
            purpose: InputPurpose::NewChild { parent },
            refusal: Vec::new(),
        }));
    }

    pub(super) fn remove(&mut self) -> Vec<Effect> {
        let selected = self.tree.selected().clone();
        match crate::playground::is_playground(&selected) {
            Some(unit) => self.ask(
                "stop playground",
                vec![format!(
                    "Stop the playground {unit}? Its manager ends every process in it."
                )],
                Pending::StopPlayground(unit),
            ),
            None => self.ask(
                "remove",
                vec![format!(
                    "Remove {selected} (rmdir)? It must have no processes and no children."
                )],
                Pending::Edit(Op::Rmdir { cgroup: selected }, Change::default()),
            ),
        }
    }

    pub(super) fn undo(&mut self) -> Vec<Effect> {
        if !self.can_write() {
            return Vec::new();
        }
        self.status.hint("reading the journal for changes to undo…");
        vec![Effect::ListUndo]
    }

    /// The list `u` offers: this session's latest change that can be undone is selected,
    /// else the latest that can.
    pub(super) fn on_undo_listed(&mut self, items: Result<Vec<UndoItem>, String>) -> Vec<Effect> {
        self.status.clear();
        let items = match items {
            Ok(items) if items.is_empty() => {
                self.status.say(
                    Tone::Info,
                    "nothing to undo: no change of yours that is not undone yet",
                );
                return Vec::new();
            }
            Ok(items) => items,
            Err(reason) => {
                self.status.say(Tone::Refused, reason);
                return Vec::new();
            }
        };
        let mine = |item: &UndoItem| item.session.as_deref() == Some(self.session.as_str());
        let selected = items
            .iter()
            .position(|item| item.plan.is_ok() && mine(item))
            .or_else(|| items.iter().position(|item| item.plan.is_ok()))
            .unwrap_or(0);
        self.open_dialog(Dialog::UndoList {
            items,
            selected,
            session: self.session.clone(),
        });
        Vec::new()
    }

    /// `P`: make the latest live change permanent, where systemd can keep it; elsewhere say
    /// what would.
    pub(super) fn persist_last_change(&mut self) -> Vec<Effect> {
        let Some(last) = self.last_set.clone() else {
            self.status.say(
                Tone::Info,
                "no change to make permanent yet (P acts on the latest limit you set)",
            );
            return Vec::new();
        };
        let (Some(file), Some(value)) = (last.file.clone(), last.value.clone()) else {
            return Vec::new();
        };
        let property = crate::cgroup::systemd::unit_properties(&file, &value)
            .and_then(Result::ok)
            .map(|props| {
                props
                    .iter()
                    .map(|(n, _)| n.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            });
        if last.via != crate::cgroup::edit::Via::Systemd {
            self.status.say(
                Tone::Info,
                match property {
                    Some(names) => format!(
                        "{} is not a systemd unit's: cgroupfs settings do not survive a reboot; the \
                         unit property {names}= in a unit file would",
                        last.cgroup
                    ),
                    None => format!(
                        "cgroupfs settings do not survive a reboot, and systemd has no property for {file}"
                    ),
                },
            );
            return Vec::new();
        }
        let op = Op::Set {
            cgroup: last.cgroup.clone(),
            file: file.clone(),
            value: value.clone(),
        };
        self.ask(
            "persist",
            vec![format!(
                "Make {file} = {value} of {} permanent (systemd writes a drop-in)?",
                last.cgroup
            )],
            Pending::Edit(
                op,
                Change {
                    route: Route::Systemd,
                    persist: true,
                    unchecked: false,
                },
            ),
        )
    }

    pub(super) fn pick_process_to_move(&mut self) {
        if self.focus != Focus::Processes {
            let tab = self.keymap.keys_for(Context::Main, Action::SwitchPane);
            let pick = self.keymap.keys_for(Context::Main, Action::MoveProcess);
            self.status.hint(format!(
                "{tab} to the process list, pick a process, then {pick}"
            ));
            return;
        }
        if !self.can_write() {
            return;
        }
        match self.processes.selected_row() {
            Some(row) => {
                let pid = row.sample.pid;
                self.moving_what = super::process_pane::describe(&row.sample);
                self.moving = Some(pid);
                self.focus = Focus::Tree;
            }
            None => self.status.hint("no process selected"),
        }
    }

    pub(super) fn move_here(&mut self) -> Vec<Effect> {
        let Some(pid) = self.moving.take() else {
            return Vec::new();
        };
        let cgroup = self.tree.selected().clone();
        self.ask(
            "move",
            vec![format!(
                "Move process {} into {cgroup} (cgroup.procs)?",
                self.moving_what
            )],
            Pending::Edit(Op::Move { pid, cgroup }, Change::default()),
        )
    }

    pub(super) fn on_edited(&mut self, result: Result<Outcome, String>) -> Vec<Effect> {
        self.busy = false;
        let form = self.resume_form.take();
        match result {
            Err(reason) => {
                self.status.say(Tone::Refused, reason.clone());
                if let Some(mut form) = form {
                    form.refusal = vec![reason];
                    self.dialog = Some(Dialog::Input(form));
                }
            }
            Ok(outcome) if outcome.ok() => {
                self.lessons.observed.done.insert(outcome.op.to_string());
                if outcome.op == "set" {
                    self.last_set = Some(outcome.clone());
                }
                let target = match &outcome.file {
                    Some(f) => outcome.cgroup.file_display(f),
                    None => outcome.cgroup.to_string(),
                };
                let mut text = format!("{} {target}: {}", outcome.op, outcome.explanation);
                for warning in &outcome.warnings {
                    text.push_str(&format!(" · {warning}"));
                }
                self.status.say(
                    if outcome.warnings.is_empty() {
                        Tone::Ok
                    } else {
                        Tone::Warning
                    },
                    text,
                );
            }
            Ok(outcome) => {
                self.lessons.observed.refused.insert(outcome.rule);
                let processes = self
                    .model
                    .get(&outcome.cgroup)
                    .and_then(|n| n.sample.as_ref())
                    .and_then(|s| s.nr_procs)
                    .unwrap_or(0);
                let (lines, fix) = dialog::outcome_text(&outcome, processes);
                self.status.say(Tone::Refused, lines.join(" · "));
                match form {
                    // A typed value that was refused: the form stays, with what was typed.
                    Some(mut form) => {
                        form.refusal = lines;
                        self.dialog = Some(Dialog::Input(form));
                    }
                    None => {
                        self.dialog = Some(Dialog::Text {
                            title: "refused".into(),
                            tone: Tone::Refused,
                            lines,
                            scroll: 0,
                            fix,
                        });
                    }
                }
            }
        }
        let mut effects = vec![Effect::RefreshNow];
        effects.extend(self.focused());
        effects
    }
}
