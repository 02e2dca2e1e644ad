//! What each action does once its key resolved: the dispatch by what is open (help, a dialog,
//! the filter line, the main view), and the overlays the main view opens.

use super::dialog::{self, Dialog, InputForm, InputPurpose, Pending, Step};
use super::status::Tone;
use super::{Action, App, Context, Effect, Focus, help, layout};

impl App {
    pub(super) fn perform(&mut self, action: Action) -> Vec<Effect> {
        if self.help.is_some() {
            return self.help_action(action);
        }
        if self.dialog.is_some() {
            return self.dialog_action(action);
        }
        if self.tree.filter_editing {
            return self.filter_action(action);
        }
        self.main_action(action)
    }

    fn help_action(&mut self, action: Action) -> Vec<Effect> {
        if action == Action::Quit {
            // Ctrl-C: quit from anywhere.
            return vec![Effect::Quit];
        }
        let Some(scroll) = self.help.as_mut() else {
            return Vec::new();
        };
        let page = (self.layout.area.height as usize).saturating_sub(4).max(1);
        match action {
            Action::Up => *scroll = scroll.saturating_sub(1),
            Action::Down => *scroll += 1,
            Action::PageUp => *scroll = scroll.saturating_sub(page),
            Action::PageDown => *scroll += page,
            Action::First => *scroll = 0,
            Action::Last => *scroll = usize::MAX,
            _ => self.help = None,
        }
        // No further than the last page, as drawn at the latest size.
        if let Some(scroll) = self.help.as_mut() {
            let lines = help::text(&self.keymap, help::inner_width(self.layout.area.width));
            let visible = (self.layout.area.height as usize).saturating_sub(4);
            *scroll = (*scroll).min(lines.len().saturating_sub(visible));
        }
        Vec::new()
    }

    fn dialog_action(&mut self, action: Action) -> Vec<Effect> {
        if action == Action::Quit {
            // Ctrl-C: quit from anywhere.
            return vec![Effect::Quit];
        }
        let page = (self.layout.area.height as usize).saturating_sub(6).max(1);
        let Some(dialog) = self.dialog.as_mut() else {
            return Vec::new();
        };
        let step = dialog.on_action(action, page);
        let chosen = match &*dialog {
            Dialog::Columns(chooser) => Some(chooser.shown()),
            _ => None,
        };
        self.remember_limits_row();
        if let Some(columns) = chosen {
            // Shown or hidden at once, not only once saved.
            self.columns = columns;
            self.relayout();
        }
        match step {
            Step::Stay => Vec::new(),
            Step::SaveColumns(columns) => match &self.config_path {
                Some(path) => vec![Effect::SaveColumns(path.clone(), columns)],
                None => {
                    self.status.say(
                        Tone::Warning,
                        "no config file to save into: set HOME or XDG_CONFIG_HOME, or use --config",
                    );
                    Vec::new()
                }
            },
            Step::BackToLimits { cgroup, row } => {
                self.dialog = None;
                self.open_limits_of(cgroup, Some(row));
                Vec::new()
            }
            Step::Close => {
                self.dialog = None;
                Vec::new()
            }
            Step::Replace(next) => {
                let mut next = *next;
                if let Dialog::Input(InputForm {
                    purpose:
                        InputPurpose::SetFile {
                            cgroup,
                            usage: usage @ None,
                            ..
                        },
                    ..
                }) = &mut next
                {
                    *usage = self
                        .model
                        .get(cgroup)
                        .and_then(|n| n.sample.as_ref())
                        .and_then(|s| s.memory.current);
                }
                if matches!(next, Dialog::Confirm { .. }) && !self.can_write() {
                    self.dialog = None;
                } else {
                    self.dialog = Some(next);
                }
                Vec::new()
            }
            Step::Request(pending) => {
                if let Some(Dialog::Input(form)) = self.dialog.take() {
                    self.resume_form = Some(form);
                }
                self.dialog = None;
                self.request(pending)
            }
            Step::ReadOnly => {
                self.status.say(
                    Tone::Warning,
                    "read-only mode (--read-only): shown for reference, nothing is written",
                );
                Vec::new()
            }
            Step::Note(text) => {
                self.status.hint(text);
                Vec::new()
            }
            Step::Replay(step) => {
                self.dialog = None;
                vec![Effect::Replay(step)]
            }
        }
    }

    /// The limits list's selected row, where the form reopens.
    pub(super) fn remember_limits_row(&mut self) {
        if let Some(Dialog::Limits {
            rows: Some(rows),
            selected,
            ..
        }) = &self.dialog
        {
            self.limits_row = rows.get(*selected).map(|row| row.label.clone());
        }
    }

    /// `t` in replay: a prompt for the recorded time to go to, holding the time on screen.
    fn open_replay_prompt(&mut self) {
        let Some(replay) = &self.replay else {
            return;
        };
        let shown = replay.time_ms.map_or(String::new(), crate::time::format_ms);
        self.open_dialog(Dialog::Input(InputForm {
            title: "go to a recorded time".into(),
            hint: "RFC 3339 (2026-12-01T03:12:00Z), Unix time, -10m or -2h (before now), HH:MM, \
                   yesterday 03:00; UTC. The sample at or before it is shown."
                .into(),
            input: dialog::TextInput::prefilled(&shown),
            purpose: InputPurpose::ReplayTime,
            refusal: Vec::new(),
        }));
    }

    fn filter_action(&mut self, action: Action) -> Vec<Effect> {
        let before = self.tree.selected().clone();
        let mut text = self.tree.view.filter().to_string();
        let replace = std::mem::take(&mut self.tree.filter_selected);
        match action {
            Action::Quit => return vec![Effect::Quit],
            Action::FilterKeep => {
                self.tree.filter_editing = false;
                return Vec::new();
            }
            Action::FilterClear => {
                self.tree.filter_editing = false;
                text.clear();
            }
            Action::NextMatch | Action::PrevMatch => {
                self.tree
                    .jump_match(action == Action::PrevMatch, &self.model);
                self.tree.scroll_to_selection(self.layout.tree_rows());
                return self.focus_effect(&before);
            }
            Action::ClearText => text.clear(),
            Action::DeleteBack if replace => text.clear(),
            Action::DeleteBack => {
                text.pop();
            }
            Action::Type(c) => {
                if replace {
                    text.clear();
                }
                if text.chars().count() < dialog::MAX_FIELD_CHARS {
                    text.push(c);
                }
            }
            _ => {
                self.tree.filter_selected = replace;
                return Vec::new();
            }
        }
        self.tree.set_filter(text, &self.model);
        self.tree.scroll_to_selection(self.layout.tree_rows());
        self.focus_effect(&before)
    }

    /// Pasted text typed into the filter line, as one change of the filter.
    pub(super) fn paste_into_filter(&mut self, pasted: &str) -> Vec<Effect> {
        let replace = std::mem::take(&mut self.tree.filter_selected);
        let mut text = if replace {
            String::new()
        } else {
            self.tree.view.filter().to_string()
        };
        let room = dialog::MAX_FIELD_CHARS.saturating_sub(text.chars().count());
        if let Some(why) = dialog::paste_refusal(pasted, room) {
            self.tree.filter_selected = replace;
            self.status.say(Tone::Warning, why);
            return Vec::new();
        }
        let before = self.tree.selected().clone();
        text.push_str(pasted);
        self.tree.set_filter(text, &self.model);
        self.tree.scroll_to_selection(self.layout.tree_rows());
        self.focus_effect(&before)
    }

    fn main_action(&mut self, action: Action) -> Vec<Effect> {
        if let Action::Replay(step) = action {
            return if self.replay.is_some() {
                vec![Effect::Replay(step)]
            } else {
                Vec::new()
            };
        }
        if action == Action::ReplayGoTo {
            self.open_replay_prompt();
            return Vec::new();
        }
        let before = self.tree.selected().clone();
        let rows = self.layout.tree_rows();
        if self.focus == Focus::Processes
            && matches!(
                action,
                Action::Up
                    | Action::Down
                    | Action::PageUp
                    | Action::PageDown
                    | Action::First
                    | Action::Last
                    | Action::Activate
            )
        {
            self.process_action(action);
            return Vec::new();
        }
        self.status.clear();
        let page = rows.max(1) as isize;
        match action {
            Action::Quit => return vec![Effect::Quit],
            Action::Help => self.help = Some(0),
            Action::Cancel => self.cancel(),
            Action::Up => self.tree.view.move_selection(-1, &self.model),
            Action::Down => self.tree.view.move_selection(1, &self.model),
            Action::PageUp => self.tree.view.move_selection(-page, &self.model),
            Action::PageDown => self.tree.view.move_selection(page, &self.model),
            Action::First => self.tree.view.select_index(0, &self.model),
            Action::Last => self.tree.view.select_index(usize::MAX, &self.model),
            Action::Expand => self.expand_or_descend(),
            Action::Collapse => self.collapse_or_ascend(),
            Action::Activate if self.tree.view.selected_process().is_some() => {
                if let Some(row) = self.tree.selected_process().cloned() {
                    self.show_process(&row);
                }
            }
            // "… N more": the whole list is the process list's.
            Action::Activate if self.tree.more_selected() => self.focus = Focus::Processes,
            Action::Activate => {
                let selected = self.tree.selected().clone();
                let expanded = self.tree.view.is_expanded(&selected);
                self.tree
                    .view
                    .set_expanded(&selected, !expanded, &self.model);
            }
            Action::ExpandAll => {
                let selected = self.tree.selected().clone();
                self.tree.view.expand_all(&selected, &self.model);
            }
            Action::Filter => {
                self.tree.filter_editing = true;
                // An active filter's text is selected: typing replaces it, Backspace clears.
                self.tree.filter_selected = !self.tree.view.filter().is_empty();
                self.focus = Focus::Tree;
            }
            Action::NextMatch | Action::PrevMatch => {
                if !self
                    .tree
                    .jump_match(action == Action::PrevMatch, &self.model)
                {
                    self.status.hint("no row matches the filter");
                }
            }
            Action::SortNext if self.focus == Focus::Processes => {
                self.processes.sort_next();
                self.processes.scroll(self.layout.process_rows());
                self.status.hint(self.processes.sort_text());
            }
            Action::SortReverse if self.focus == Focus::Processes => {
                self.processes.sort_reverse();
                self.processes.scroll(self.layout.process_rows());
                self.status.hint(self.processes.sort_text());
            }
            Action::SortNext => self.sort_next(),
            Action::FlatView => {
                let flat = !self.tree.view.flat();
                self.tree.view.set_flat(flat, &self.model);
                self.tree.count_matches(&self.model);
                self.status.hint(if flat {
                    "flat: every cgroup below the top, sorted as a whole"
                } else {
                    "tree"
                });
            }
            Action::AllProcesses => return self.toggle_subtree_processes(),
            Action::ProcessesInTree => self.toggle_processes_in_tree(),
            Action::Signal => self.open_signal_picker(),
            Action::SortReverse => {
                let current = self.tree.view.sort;
                self.tree.view.set_sort(current, &self.model);
                self.status.hint(self.sort_text());
            }
            Action::Subtree => {
                let selected = self.tree.selected().clone();
                self.tree.view.push_top(selected, &self.model);
                self.tree.offset = 0;
            }
            Action::Back => {
                if !self.tree.view.pop_top(&self.model) {
                    self.status
                        .hint("already at the top of the tree given with --root");
                }
            }
            Action::Own => match self
                .own_cgroup
                .clone()
                .filter(|c| self.model.find(c).is_some())
            {
                Some(own) => self.tree.view.reveal(&own, &self.model),
                None => self.status.hint("cgtui's own cgroup is not in this view"),
            },
            Action::Slower | Action::Faster => return self.step_interval(action == Action::Slower),
            Action::SwitchPane => {
                self.focus = match self.focus {
                    Focus::Tree => Focus::Processes,
                    Focus::Processes => Focus::Tree,
                };
            }
            Action::MoveProcess => self.pick_process_to_move(),
            Action::MoveHere => return self.move_here(),
            Action::Edit => self.open_limits(),
            Action::Controllers => self.open_controllers(),
            Action::Freeze => return self.freeze(),
            Action::Kill => return self.kill(),
            Action::New => self.new_child(),
            Action::Remove => return self.remove(),
            Action::Undo => return self.undo(),
            Action::Persist => return self.persist_last_change(),
            Action::Playground => {
                // Read-only says so first (in `ask`), wherever it runs.
                if let Some(why) = (!self.read_only)
                    .then(|| no_playground(std::fs::read_to_string("/proc/1/comm")))
                    .flatten()
                {
                    // Without systemd, root can still delegate by hand to a student.
                    if rustix::process::geteuid().is_root() {
                        return self.ask_playground_by_hand();
                    }
                    self.status.say(
                        Tone::Refused,
                        format!("{why}; root can delegate one by hand: sudo cgtui delegate --student $USER"),
                    );
                    return Vec::new();
                }
                return self.ask(
                    "playground",
                    vec![
                        "Start a delegated playground? Your own systemd manager creates a scope \
                         with Delegate=yes holding one placeholder process; you own its subtree."
                            .into(),
                        "(systemd decides, not the kernel: there is no prediction for this)".into(),
                    ],
                    Pending::Playground,
                );
            }
            Action::Explain => {
                let selected = self.tree.selected().clone();
                self.status
                    .hint(format!("working out who can do what in {selected}…"));
                return vec![Effect::Explain(selected)];
            }
            Action::Lessons => {
                self.prefs.side_panel = !self.prefs.side_panel;
                self.lessons.panel = self.prefs.side_panel;
                if self.lessons.panel {
                    self.lessons.reload_answers();
                }
                self.relayout();
            }
            Action::Lesson(n) => self.lessons.open(usize::from(n.saturating_sub(1))),
            Action::LessonNext => self.lessons.next(false),
            Action::LessonPrev => self.lessons.next(true),
            Action::LessonList => self.lessons.list(),
            Action::LessonScrollUp | Action::LessonScrollDown => {
                let side = self.layout.side;
                // The panel's text is drawn right of its border, below its title.
                let (width, height) = (
                    usize::from(side.width.saturating_sub(1)),
                    usize::from(side.height.saturating_sub(1)),
                );
                let half = (height / 2).max(1) as isize;
                let rows = if action == Action::LessonScrollUp {
                    -half
                } else {
                    half
                };
                self.lessons.scroll_by(rows, width, height);
            }
            Action::Messages => self.open_messages(),
            Action::ToggleDetails => {
                self.prefs.details = !self.prefs.details;
                self.relayout();
            }
            Action::RawNames => {
                self.names.raw = !self.names.raw;
                self.status.hint(if self.names.raw {
                    "raw cgroup names (v: workload names)"
                } else {
                    "workload names: containers, pods, sessions (v: raw cgroup names)"
                });
            }
            Action::DetailsSmaller | Action::DetailsLarger => {
                self.prefs.details = true;
                let pct = if action == Action::DetailsLarger {
                    self.prefs.details_pct + 10
                } else {
                    self.prefs.details_pct.saturating_sub(10)
                };
                self.prefs.details_pct =
                    pct.clamp(layout::DETAILS_MIN_PCT, layout::DETAILS_MAX_PCT);
                self.relayout();
            }
            // Dialog and text actions mean nothing in the main self.tree.view.
            Action::Close
            | Action::FilterKeep
            | Action::FilterClear
            | Action::Confirm
            | Action::DirectWrite
            | Action::Submit
            | Action::Fix
            | Action::Type(_)
            | Action::DeleteBack
            | Action::DeleteForward
            | Action::CursorLeft
            | Action::CursorRight
            | Action::CursorHome
            | Action::CursorEnd
            | Action::ClearText
            | Action::Replay(_)
            | Action::ReplayGoTo
            | Action::ColumnEarlier
            | Action::ColumnLater
            | Action::SaveColumns => {}
            Action::ChooseColumns => {
                self.dialog = Some(Dialog::Columns(crate::app::dialog::ColumnChooser::new(
                    &self.columns,
                )));
            }
            Action::NextCritical => self.select_next_critical(),
        }
        self.tree.scroll_to_selection(self.layout.tree_rows());
        self.focus_effect(&before)
    }

    /// `!`: select the next cgroup over a critical threshold after the selection (wrapping).
    fn select_next_critical(&mut self) {
        let critical = crate::model::column::critical_paths(
            &self.model,
            &self.tree.view.top,
            &self.columns,
            &self.thresholds,
        );
        let selected = self.tree.selected();
        let next = critical
            .iter()
            .find(|p| **p > selected)
            .or(critical.first())
            .map(|p| (*p).clone());
        match next {
            Some(path) => self.tree.view.reveal(&path, &self.model),
            None => self
                .status
                .hint("no cgroup is over a critical threshold of the shown columns"),
        }
    }

    /// Esc in the main view: undo the latest mode, never quit.
    fn cancel(&mut self) {
        if self.moving.take().is_some() {
            self.status.hint("move cancelled");
        } else if self.focus == Focus::Processes {
            self.focus = Focus::Tree;
        } else if !self.tree.view.filter().is_empty() {
            self.tree.set_filter(String::new(), &self.model);
        } else {
            let cancel = self.keymap.keys_for(Context::Main, Action::Cancel);
            let quit = self.keymap.keys_for(Context::Main, Action::Quit);
            self.status
                .hint(format!("{cancel} closes and cancels; {quit} quits"));
        }
    }

    fn open_messages(&mut self) {
        let lines: Vec<String> = self
            .status
            .log()
            .map(|m| {
                let mark = match m.tone {
                    Tone::Info => "·",
                    Tone::Ok => "ok",
                    Tone::Warning => "warning",
                    Tone::Refused => "REFUSED",
                };
                format!("{mark} {}", m.text)
            })
            .collect();
        let count = lines.len();
        let lines = if lines.is_empty() {
            vec!["no messages yet".to_string()]
        } else {
            lines
        };
        let scroll = count.saturating_sub(1);
        self.open_dialog(Dialog::Text {
            title: format!("messages ({count}, newest last)"),
            tone: Tone::Info,
            lines,
            scroll,
            fix: None,
        });
    }
}

impl App {
    /// `D` as root without systemd: name the student and ask before delegating by hand.
    fn ask_playground_by_hand(&mut self) -> Vec<Effect> {
        match crate::exercises::Student::resolve(None) {
            Ok(student) if student.uid != 0 => self.ask(
                "playground by hand",
                vec![
                    format!(
                        "No systemd here: delegate a playground by hand to {} (uid {})? As root, \
                         cgtui creates /{}PID, chowns it with its cgroup.procs, cgroup.threads and \
                         cgroup.subtree_control to {0}, and starts a placeholder of theirs in it.",
                        student.name,
                        student.uid,
                        crate::playground::PREFIX
                    ),
                    "(the student is SUDO_UID, or the user or uid in CGTUI_STUDENT)".into(),
                ],
                Pending::Playground,
            ),
            Ok(_) => {
                self.status.say(
                    Tone::Refused,
                    "no playground: no systemd here, and a delegation by hand needs a student: \
                     run cgtui with sudo from their account, or set CGTUI_STUDENT=NAME",
                );
                Vec::new()
            }
            Err(e) => {
                self.status
                    .say(Tone::Refused, format!("no playground: {e:#}"));
                Vec::new()
            }
        }
    }
}

/// Why `D` cannot start a playground here, from what PID 1 is (`/proc/1/comm`): a playground
/// is a scope a systemd manager starts, so without systemd say what was found instead.
fn no_playground(init: std::io::Result<String>) -> Option<String> {
    match init {
        Ok(name) if name.trim() == "systemd" => None,
        Ok(name) => Some(format!(
            "no playground: it is a scope a systemd manager starts, and PID 1 here is {}, not \
             systemd",
            crate::cgroup::escape::visible(name.trim().as_bytes())
        )),
        Err(e) => Some(format!(
            "no playground: cannot tell whether systemd runs here (reading /proc/1/comm: {e})"
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn without_systemd_the_playground_says_what_pid_1_is() {
        assert_eq!(super::no_playground(Ok("systemd\n".into())), None);
        let why = super::no_playground(Ok("tini\n".into())).unwrap();
        assert!(why.contains("PID 1 here is tini, not systemd"), "{why}");
        let why = super::no_playground(Err(std::io::ErrorKind::NotFound.into())).unwrap();
        assert!(why.contains("/proc/1/comm"), "{why}");
    }
}
