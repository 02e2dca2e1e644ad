//! `x` (or F9) in the process list: a signal picker, then a confirmation naming the process,
//! then the signal sent through a pidfd opened when the picker opened (so a PID reused in
//! between is never hit) and journaled. `--read-only` removes the key.

use super::dialog::{self, Dialog, Pending, Step};
use super::status::Tone;
use super::{Action, App, Effect};
use crate::cgroup::CgroupPath;
use crate::cgroup::escape;
use crate::cgroup::process::{ProcessHandle, ProcessSignal, SignalError};
use crate::editor::SignalRequest;
use std::path::Path;

/// The picker: the process as listed, held by its pidfd (or why it could not be), and the
/// signal chosen.
#[derive(Debug)]
pub struct SignalPicker {
    pub pid: u32,
    pub user: String,
    /// Its command line (or `[comm]`), escaped.
    pub command: String,
    pub cgroup: CgroupPath,
    pub handle: Result<ProcessHandle, SignalError>,
    /// Index into [`ProcessSignal::ALL`].
    pub selected: usize,
}

impl SignalPicker {
    /// The process in words for the confirmation and the result: `1234 sleep 1000, user root`.
    pub fn what(&self) -> String {
        format!("{} {}, user {}", self.pid, self.command, self.user)
    }

    pub fn on_action(&mut self, action: Action, page: usize) -> Step {
        match action {
            Action::Close => Step::Close,
            Action::Activate => {
                let signal = ProcessSignal::ALL[self.selected.min(ProcessSignal::ALL.len() - 1)];
                let what = self.what();
                // The pidfd goes with the confirmation; a refusal to hold it is said now.
                let handle =
                    std::mem::replace(&mut self.handle, Err(SignalError::Gone { pid: self.pid }));
                match handle {
                    Ok(handle) => Step::Replace(Box::new(dialog::confirm(
                        format!("send SIG{}", signal.name()),
                        vec![
                            format!("Send SIG{} to process {}?", signal.name(), self.pid),
                            format!("user     {}", self.user),
                            format!("command  {}", self.command),
                            format!("cgroup   {}", self.cgroup),
                            format!("SIG{}: {}.", signal.name(), signal.meaning()),
                            "(sent through a pidfd held since the picker opened: a PID reused \
                             meanwhile is never hit)"
                                .into(),
                        ],
                        Pending::Signal(Box::new(SignalRequest {
                            handle,
                            signal,
                            cgroup: self.cgroup.clone(),
                            what,
                        })),
                    ))),
                    Err(why) => Step::Replace(Box::new(Dialog::text(
                        "signal not sent",
                        Tone::Refused,
                        vec![format!("SIG{} to {what}: {why}", signal.name())],
                    ))),
                }
            }
            other => {
                dialog::move_in(&mut self.selected, ProcessSignal::ALL.len(), other, page);
                Step::Stay
            }
        }
    }

    /// The picker's lines: the process, then one line per signal with its meaning.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![
            format!("process  {}", self.pid),
            format!("user     {}", self.user),
            format!("command  {}", self.command),
            String::new(),
        ];
        lines.extend(
            ProcessSignal::ALL
                .iter()
                .map(|s| format!("SIG{:<5} {}", s.name(), s.meaning())),
        );
        lines
    }

    /// The line of [`SignalPicker::lines`] the selection is on.
    pub fn selected_line(&self) -> usize {
        4 + self.selected
    }
}

impl App {
    /// Open the picker on the process picked in the process list (or the tree's process row),
    /// holding it by a pidfd now.
    pub(super) fn open_signal_picker(&mut self) {
        if !self.can_write() {
            return;
        }
        let Some(row) = self.picked_process() else {
            self.status.hint("no process selected");
            return;
        };
        let sample = &row.sample;
        let command = if sample.cmdline.is_empty() {
            format!("[{}]", escape::visible(&sample.comm))
        } else {
            escape::visible(&sample.cmdline).into_owned()
        };
        // The pidfd is this machine's, so its /proc is the one to check the start time in
        // (a captured tree's processes are never held: their start times do not match).
        let handle = ProcessHandle::open(Path::new("/proc"), sample.pid, sample.start_ticks);
        self.open_dialog(Dialog::Signals(SignalPicker {
            pid: sample.pid,
            user: row.user.clone(),
            command: crate::format::fit(&command, 60),
            cgroup: row.cgroup.clone(),
            handle,
            selected: 0,
        }));
    }

    /// The kernel's answer to a signal (or why it was not attempted).
    pub(super) fn on_signalled(&mut self, result: Result<String, String>) -> Vec<Effect> {
        self.busy = false;
        match result {
            Ok(text) => self.status.say(Tone::Ok, text),
            Err(why) => {
                self.status.say(Tone::Refused, why.clone());
                self.open_dialog(Dialog::text("signal refused", Tone::Refused, vec![why]));
            }
        }
        vec![Effect::RefreshNow]
    }
}
