//! The events the main loop reacts to, and how each one changes the app: samples, reads,
//! watcher notes, answers of the worker threads, keys (looked up in the keymap) and the mouse.

use super::dialog::{self, Dialog};
use super::status::Tone;
use super::{Action, App, Context, Effect};
use crate::cgroup::CgroupPath;
use crate::cgroup::CgroupSample;
use crate::cgroup::edit::{Op, Outcome};
use crate::cgroup::predict::Prediction;
use crate::cgroup::process::{ProcessSample, SubtreeProcess};
use crate::cgroup::watch::WatchEvent;
use crate::editor::UndoItem;
use crate::model::view::Column;
use crate::model::{Affected, TreeSample};
use crossterm::event::{KeyEvent, KeyEventKind, MouseEvent};
use std::time::Instant;

/// Everything the main loop reacts to. Threads only produce these.
#[derive(Debug)]
pub enum Event {
    Key(KeyEvent),
    /// Text pasted into the terminal (bracketed paste): data for the focused text field,
    /// never keys.
    Paste(String),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// A pass of the sampler: every cgroup when it walked the tree, else what it read.
    Tree(TreeSample),
    /// Rows the sampler read between passes, as soon as they came on screen.
    CaughtUp(TreeSample),
    /// What the latest pass read and cost (shown with `--stats`).
    PassStats(crate::collect::PassStats),
    /// A full read of the focused cgroup, made as soon as the focus changed.
    Focused(CgroupPath, Box<CgroupSample>),
    Processes {
        cgroup: CgroupPath,
        /// The first processes of cgroup.procs, as many as the screen can show.
        processes: Vec<ProcessSample>,
        /// How many processes the cgroup has in all.
        total: usize,
        at: Instant,
    },
    /// The processes of the focused cgroup's whole subtree (`a` in the process list), each
    /// with its cgroup.
    SubtreeProcesses {
        cgroup: CgroupPath,
        /// The first processes of the subtree, as many as the sampler reads.
        processes: Vec<SubtreeProcess>,
        /// How many processes the subtree has in all.
        total: usize,
        at: Instant,
    },
    /// A signal's answer: sent, or why not (`Effect::Signal`).
    Signalled(Result<String, String>),
    /// The sampler's pace changed (CPU budget) or cgroups are polled without a watch.
    Sampler(crate::collect::pace::SamplerStatus),
    Watch(WatchEvent),
    /// Events produced together (a sampler's pass: its tree, processes and stats), handled in
    /// order before the next frame.
    Batch(Vec<Event>),
    /// The watcher thread stopped; changes are seen by polling from now on.
    WatcherFailed(String),
    /// A change requested by an [`Effect::Edit`], [`Effect::Undo`] or [`Effect::Fix`] finished;
    /// `Err` when it could not even be attempted (read-only, journal unwritable).
    Edited(Result<Outcome, String>),
    /// The changes `u` can take back, latest first (or why the journal cannot be read).
    UndoListed(Result<Vec<UndoItem>, String>),
    /// A playground scope was started: its cgroup and unit.
    PlaygroundReady(Result<(CgroupPath, String), String>),
    PlaygroundStopped(Result<String, String>),
    /// The column chooser's save: the file written, or why not.
    ColumnsSaved(Result<std::path::PathBuf, String>),
    /// `explain` of a cgroup, for the `w` pane.
    Explained(Box<crate::cgroup::explain::Explanation>),
    /// The kernel's predicted answer to the change a dialog is about to make.
    Predicted(Op, Box<Prediction>),
    /// Container names from the engines (`--resolve-names`), and why some could not be asked.
    Names {
        found: Vec<(
            crate::cgroup::workload::engine::Source,
            String,
            crate::cgroup::workload::engine::Container,
        )>,
        errors: Vec<String>,
    },
    Signal(i32),
    /// `cgtui replay` moved: the sample before (for rates) and the one at the new time; no
    /// samples when the move went nowhere (the note says why).
    Replayed(Box<Replayed>),
    /// The selected cgroup's recorded history, read from the store a recorder writes.
    Recorded(Box<crate::history::backfill::Answer>),
}

pub use crate::history::replay::Replayed;

impl App {
    pub(super) fn apply(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => {
                let action = self.keymap.resolve(&self.contexts(), &key);
                if self.limits_form_reading()
                    && !matches!(action, Some(Action::Close | Action::Cancel | Action::Quit))
                {
                    self.typed_ahead.push(key);
                    return Vec::new();
                }
                match action {
                    Some(action) => self.perform(action),
                    None => Vec::new(),
                }
            }
            Event::Key(_) => Vec::new(),
            Event::Batch(events) => {
                let effects = events.into_iter().flat_map(|e| self.apply(e)).collect();
                // Only a report alone can leave the screen as it was.
                self.screen_unchanged = false;
                effects
            }
            Event::Paste(text) => self.paste(&text),
            Event::Replayed(replayed) => {
                let Replayed {
                    time_ms,
                    previous,
                    current,
                    note,
                    cpus,
                } = *replayed;
                if let Some(cpus) = cpus {
                    self.cpus = cpus;
                }
                if let Some(state) = self.replay.as_mut() {
                    state.note = note;
                    if current.is_some() {
                        state.time_ms = time_ms;
                    }
                } else if !note.is_empty() {
                    // A live remote source: why the tree was not refreshed.
                    self.status.say(Tone::Warning, note);
                }
                let mut effects = Vec::new();
                for tree in [previous, current].into_iter().flatten() {
                    effects = self.apply(Event::Tree(tree));
                }
                effects
            }
            Event::Recorded(answer) => {
                let answered = self.recorded.answered(*answer, self.now);
                if let Some(problem) = answered.problem {
                    self.status.say(Tone::Warning, problem);
                }
                self.screen_unchanged = answered.nothing_new;
                Vec::new()
            }
            Event::Mouse(mouse) => self.on_mouse(mouse),
            Event::Resize(w, h) => {
                self.resize(w, h);
                Vec::new()
            }
            Event::Tree(tree) => {
                // Loaded once the whole tree's shape is known (the watcher's listing, or a
                // walk), not at a pass that read only the focus before it.
                let complete = tree.complete;
                let change = self.model.apply_tree(tree);
                let first = !self.loaded && complete;
                self.loaded |= complete;
                if first {
                    // Start on the user's own cgroup, expanded down to it.
                    let target = self
                        .own_cgroup
                        .clone()
                        .filter(|own| self.model.find(own).is_some())
                        .unwrap_or_else(|| self.tree.view.top.clone());
                    self.tree.view.reveal(&target, &self.model);
                    self.tree.scroll_to_selection(self.layout.tree_rows());
                    return self.focused();
                }
                self.after_model_change(change)
            }
            Event::CaughtUp(rows) => {
                let change = self.model.apply_caught_up(rows);
                self.after_model_change(change)
            }
            Event::PassStats(stats) => {
                self.pass_totals.add(&stats);
                self.pass_stats = Some(stats);
                Vec::new()
            }
            Event::ColumnsSaved(Ok(path)) => {
                let path = crate::cgroup::escape::visible_path(&path);
                self.status
                    .say(Tone::Ok, format!("columns saved in {path}"));
                Vec::new()
            }
            Event::ColumnsSaved(Err(why)) => {
                self.status
                    .say(Tone::Refused, format!("columns not saved: {why}"));
                Vec::new()
            }
            Event::Focused(path, sample) => {
                self.users.resolve(sample.owner_uid);
                self.model.merge_full_sample(&path, sample, self.now);
                self.fill_pending_limits(&path);
                self.replay_typed_ahead()
            }
            Event::Processes {
                cgroup,
                processes,
                total,
                at,
            } => {
                let own = processes
                    .into_iter()
                    .map(|sample| SubtreeProcess {
                        cgroup: cgroup.clone(),
                        sample,
                    })
                    .collect();
                self.take_processes(cgroup, own, false, total, at);
                Vec::new()
            }
            Event::SubtreeProcesses {
                cgroup,
                processes,
                total,
                at,
            } => {
                self.take_processes(cgroup, processes, true, total, at);
                Vec::new()
            }
            Event::Signalled(result) => self.on_signalled(result),
            // The watcher reports each cgroup it leaves unwatched (polled alone by the
            // sampler): the rest of the tree stays event-driven.
            Event::Watch(WatchEvent::Exhausted { reason }) => {
                self.status.notices.watcher = Some(reason);
                Vec::new()
            }
            Event::Watch(WatchEvent::Overflow) => vec![Effect::RefreshNow],
            Event::Sampler(status) => {
                self.sampler_interval = status.interval;
                let notes = status.notes();
                self.status.notices.sampler = (!notes.is_empty()).then(|| notes.join(" · "));
                Vec::new()
            }
            Event::Watch(event) => {
                let change = self.model.apply_watch(event, self.now);
                self.after_model_change(change)
            }
            Event::WatcherFailed(reason) => {
                self.status.notices.watcher = Some(format!(
                    "inotify stopped ({reason}): changes are seen by polling only"
                ));
                vec![Effect::WalkEveryPass]
            }
            Event::Signal(_) => vec![Effect::Quit],
            Event::Edited(result) => self.on_edited(result),
            Event::UndoListed(items) => self.on_undo_listed(items),
            Event::Explained(explanation) => {
                self.status.clear();
                self.lessons
                    .observed
                    .explained
                    .push(explanation.cgroup.clone());
                self.open_dialog(Dialog::text(
                    crate::t!("pane-explain-title", cgroup = explanation.cgroup),
                    Tone::Info,
                    crate::i18n::explanation_lines(&explanation),
                ));
                Vec::new()
            }
            Event::Names { found, errors } => {
                for error in self.names.answered(found, errors) {
                    self.status
                        .say(Tone::Warning, format!("--resolve-names: {error}"));
                }
                Vec::new()
            }
            Event::Predicted(op, prediction) => {
                if self.dialog.as_ref().and_then(Dialog::pending_op).as_ref() == Some(&op) {
                    self.prediction = Some((op, *prediction));
                }
                Vec::new()
            }
            Event::PlaygroundReady(result) => {
                self.busy = false;
                match result {
                    Ok((cgroup, unit)) => {
                        let key = |action| self.keymap.keys_for(Context::Main, action);
                        let text = format!(
                            "{unit} is yours: create children ({}), enable controllers ({}), set limits ({}); {} stops it",
                            key(Action::New),
                            key(Action::Controllers),
                            key(Action::Edit),
                            key(Action::Remove)
                        );
                        self.status.say(Tone::Ok, text);
                        self.tree.pending_reveal = Some(cgroup);
                        self.tree.reveal_pending(&self.model);
                        self.tree.scroll_to_selection(self.layout.tree_rows());
                    }
                    Err(reason) => self
                        .status
                        .say(Tone::Refused, format!("no playground: {reason}")),
                }
                vec![Effect::RefreshNow]
            }
            Event::PlaygroundStopped(result) => {
                self.busy = false;
                match result {
                    Ok(unit) => {
                        self.lessons.observed.done.insert("stop-playground".into());
                        self.status.say(Tone::Ok, format!("stopped {unit}"));
                    }
                    Err(reason) => self.status.say(Tone::Refused, reason),
                }
                vec![Effect::RefreshNow]
            }
        }
    }

    fn after_model_change(&mut self, change: Affected) -> Vec<Effect> {
        let before = self.tree.selected().clone();
        if change.structure {
            self.tree.reveal_pending(&self.model);
        }
        // Sorting by a value column reorders rows when values change; by name only on shape.
        if change.structure || (change.values && self.tree.view.sort != Column::Name) {
            self.tree.view.rebuild(&self.model);
            self.tree.scroll_to_selection(self.layout.tree_rows());
        }
        if change.structure {
            self.tree.count_matches(&self.model);
        }
        self.focus_effect(&before)
    }

    pub(super) fn focused(&self) -> Vec<Effect> {
        vec![Effect::Focus(self.tree.selected().clone())]
    }

    pub(super) fn focus_effect(&self, before: &CgroupPath) -> Vec<Effect> {
        if self.tree.selected() != before {
            self.focused()
        } else {
            Vec::new()
        }
    }

    /// A paste goes into the focused text field as one insertion, or nowhere: no pasted byte
    /// is ever taken for a key.
    fn paste(&mut self, text: &str) -> Vec<Effect> {
        if let Some(Dialog::Input(form)) = self.dialog.as_mut() {
            match form.input.paste(text) {
                Ok(()) => form.refusal.clear(),
                Err(why) => {
                    form.refusal = vec![why.clone()];
                    self.status.say(Tone::Warning, why);
                }
            }
            return Vec::new();
        }
        if self.tree.filter_editing && self.help.is_none() && self.dialog.is_none() {
            return self.paste_into_filter(text);
        }
        self.status
            .hint("paste ignored: only a text field (a form, the / filter) takes text");
        Vec::new()
    }

    /// The limits form is open but its cgroup's limit files are not read yet.
    fn limits_form_reading(&self) -> bool {
        matches!(self.dialog, Some(Dialog::Limits { rows: None, .. }))
    }

    /// Keys typed while the limits form was reading, now that it has rows (or is gone).
    fn replay_typed_ahead(&mut self) -> Vec<Effect> {
        if self.limits_form_reading() {
            return Vec::new();
        }
        let keys = std::mem::take(&mut self.typed_ahead);
        if !matches!(self.dialog, Some(Dialog::Limits { .. })) {
            return Vec::new();
        }
        let mut effects = Vec::new();
        for key in keys {
            effects.extend(self.apply(Event::Key(key)));
        }
        effects
    }

    /// The limits form opened before the cgroup's limit files were read: fill it now.
    fn fill_pending_limits(&mut self, path: &CgroupPath) {
        if !matches!(&self.dialog, Some(Dialog::Limits { cgroup, rows: None, .. }) if cgroup == path)
        {
            return;
        }
        let found = self
            .model
            .get(path)
            .map(|n| dialog::limit_rows(n, &self.disks))
            .unwrap_or_default();
        let remembered = self.remembered_limits_row(&found);
        let Some(Dialog::Limits {
            cgroup,
            rows: rows @ None,
            selected,
            ..
        }) = self.dialog.as_mut()
        else {
            return;
        };
        if cgroup != path {
            return;
        }
        if found.is_empty() {
            self.dialog = None;
            self.status.say(
                Tone::Info,
                format!("{path} has no limit files to edit (no controller enabled for it)"),
            );
        } else {
            *rows = Some(found);
            *selected = remembered;
        }
    }
}
