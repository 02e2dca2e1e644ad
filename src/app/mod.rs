//! Application state and how each event changes it. No terminal I/O happens here: the runtime
//! feeds events in and carries the returned effects out, and tests do the same with scripted
//! events.

pub mod edit;

use crate::cgroup::devices::Disk;
use crate::cgroup::edit::{Op, Outcome};
use crate::cgroup::process::{ProcessSample, ticks_per_second};
use crate::cgroup::watch::WatchEvent;
use crate::cgroup::{CgroupPath, CgroupSample};
use crate::editor::{Change, Route};
use crate::model::view::{Column, TreeView};
use crate::model::{Affected, Model, TreeSample};
use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use edit::{Dialog, DialogAction, Fixup, InputPurpose};
use ratatui::layout::{Position, Rect};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Everything the main loop reacts to. Threads only produce these.
#[derive(Debug)]
pub enum Event {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// A full pass of the sampler over the tree.
    Tree(TreeSample),
    /// A full read of the focused cgroup, made as soon as the focus changed.
    Focused(CgroupPath, Box<CgroupSample>),
    Processes {
        cgroup: CgroupPath,
        /// The first of its processes (as many as a pane can show, and a margin).
        processes: Vec<ProcessSample>,
        /// How many it has.
        total: usize,
        at: Instant,
    },
    /// The sampler's pace (CPU budget) and the cgroups it polls for lack of an inotify watch.
    Sampler(crate::sampler::SamplerStatus),
    Watch(WatchEvent),
    /// The watcher thread stopped; changes are seen by polling from now on.
    WatcherFailed(String),
    /// A change requested by an [`Effect::Edit`], [`Effect::Undo`] or [`Effect::Fix`] finished;
    /// `Err` when it could not even be attempted (read-only, journal unwritable).
    Edited(Result<Outcome, String>),
    /// A playground scope was started: its cgroup and unit.
    PlaygroundReady(Result<(CgroupPath, String), String>),
    PlaygroundStopped(Result<String, String>),
    /// `explain` of a cgroup, for the `w` pane.
    Explained(Box<crate::cgroup::explain::Explanation>),
    /// The kernel's predicted answer to the change a dialog is about to make.
    Predicted(Op, Box<crate::cgroup::predict::Prediction>),
    Signal(i32),
}

/// What the runtime must do after an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Quit,
    SetInterval(Duration),
    Focus(CgroupPath),
    RefreshNow,
    /// Carry out a change through the editor (journaled, read back).
    Edit(Op, Change),
    Undo,
    Fix(Fixup),
    /// Start a delegated playground scope (no root needed).
    Playground,
    /// Stop a playground scope by its unit name.
    StopPlayground(String),
    /// Work out `explain` for a cgroup (the `w` pane).
    Explain(CgroupPath),
    /// Predict the kernel's answer to a change (shown in the dialog before it is made).
    Predict(Op),
    /// The cgroups on screen changed: the sampler reads these every pass, others less often.
    Visible(Vec<CgroupPath>),
    /// inotify no longer reports every new and removed cgroup: the sampler must walk the
    /// tree every pass to find them.
    WalkEveryPass,
}

/// Which pane the movement keys act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Tree,
    Processes,
}

pub const MIN_INTERVAL: Duration = Duration::from_millis(100);
pub const MAX_INTERVAL: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Typing a filter; the text is applied as it is typed.
    Filter,
    Help,
}

/// A process as the details pane shows it.
#[derive(Debug, Clone)]
pub struct ProcessRow {
    pub sample: ProcessSample,
    pub user: String,
    pub cpu_pct: Option<f64>,
}

#[derive(Debug, Default)]
pub struct ProcessTable {
    pub cgroup: CgroupPath,
    pub rows: Vec<ProcessRow>,
    /// Processes in the cgroup: more than `rows` when only the first were read.
    pub total: usize,
    previous: HashMap<(u32, u64), (u64, Instant)>,
}

impl ProcessTable {
    fn update(
        &mut self,
        cgroup: CgroupPath,
        processes: Vec<ProcessSample>,
        total: usize,
        at: Instant,
        users: &UserNames,
    ) {
        self.total = total;
        if cgroup != self.cgroup {
            self.previous.clear();
            self.cgroup = cgroup;
        }
        let ticks = ticks_per_second().max(1) as f64;
        let mut next = HashMap::with_capacity(processes.len());
        self.rows = processes
            .into_iter()
            .map(|sample| {
                let key = (sample.pid, sample.start_ticks);
                let cpu_pct = self.previous.get(&key).and_then(|(ticks_before, when)| {
                    let secs = at.saturating_duration_since(*when).as_secs_f64();
                    (secs > 0.0).then(|| {
                        sample.cpu_ticks.saturating_sub(*ticks_before) as f64 / ticks / secs * 100.0
                    })
                });
                next.insert(key, (sample.cpu_ticks, at));
                ProcessRow {
                    user: sample
                        .uid
                        .map(|u| users.name(u))
                        .unwrap_or_else(|| "?".into()),
                    sample,
                    cpu_pct,
                }
            })
            .collect();
        self.rows.sort_by(|a, b| {
            b.cpu_pct
                .unwrap_or(0.0)
                .total_cmp(&a.cpu_pct.unwrap_or(0.0))
                .then(a.sample.pid.cmp(&b.sample.pid))
        });
        self.previous = next;
    }
}

/// uid → user name, cached: /etc/passwd does not change while we watch. Interior mutability
/// lets rendering (which only has `&App`) resolve names too.
#[derive(Debug, Default)]
pub struct UserNames(std::cell::RefCell<HashMap<u32, String>>);

impl UserNames {
    pub fn name(&self, uid: u32) -> String {
        self.0
            .borrow_mut()
            .entry(uid)
            .or_insert_with(|| crate::cgroup::process::user_name(uid))
            .clone()
    }
}

/// Where the panes are on screen, so mouse clicks can be mapped to rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Layout {
    pub header: Rect,
    /// The lessons panel on the right, when it is open (zero-sized otherwise).
    pub side: Rect,
    /// The tree table including its column header line.
    pub tree: Rect,
    pub details: Rect,
    pub footer: Rect,
}

impl Layout {
    pub fn new(area: Rect, side_panel: bool) -> Self {
        let header = Rect { height: 1, ..area };
        let side_width = if side_panel {
            (area.width / 3).clamp(30, 60).min(area.width / 2)
        } else {
            0
        };
        let side = Rect {
            x: area.right().saturating_sub(side_width),
            y: area.y + 1,
            width: side_width,
            height: area.height.saturating_sub(2),
        };
        let area = Rect {
            width: area.width - side_width,
            ..area
        };
        let footer = Rect {
            y: area.bottom().saturating_sub(1),
            height: 1.min(area.height),
            ..area
        };
        let body_top = area.y + 1;
        let body_height = area.height.saturating_sub(2);
        let tree_height = if body_height > 24 {
            body_height * 11 / 20
        } else {
            body_height / 2
        };
        let tree = Rect {
            y: body_top,
            height: tree_height,
            ..area
        };
        let details = Rect {
            y: body_top + tree_height,
            height: body_height - tree_height,
            ..area
        };
        Layout {
            header,
            side,
            tree,
            details,
            footer,
        }
    }

    /// Tree rows that fit below the column header.
    pub fn tree_rows(&self) -> usize {
        self.tree.height.saturating_sub(1) as usize
    }
}

pub struct App {
    pub model: Model,
    pub view: TreeView,
    pub mode: Mode,
    pub interval: Duration,
    /// The time the current frame is drawn for; set by the runtime, never read from the clock
    /// while rendering.
    pub now: Instant,
    /// Where the hierarchy is, for the header: a mount point and its options.
    pub source: String,
    /// The cgroup cgtui itself runs in.
    pub own_cgroup: Option<CgroupPath>,
    /// A standing warning, such as polling because inotify ran out of watches.
    pub notice: Option<String>,
    /// The sampler's pace and polled cgroups, for the header.
    pub sampler: crate::sampler::SamplerStatus,
    /// A transient message in the footer.
    pub status: Option<String>,
    pub processes: ProcessTable,
    users: UserNames,
    pub layout: Layout,
    /// First tree row on screen.
    pub tree_offset: usize,
    pub mouse: bool,
    /// The first tree sample has arrived (until then the tree holds only the base).
    pub loaded: bool,
    /// Started with --read-only: every write path is disabled.
    pub read_only: bool,
    /// Whole disks, for io.max and io.weight.
    pub disks: Vec<Disk>,
    pub dialog: Option<Dialog>,
    pub focus: Focus,
    /// Selected row of the process list.
    pub process_selected: usize,
    /// A process being moved: the next Enter in the tree picks its destination.
    pub moving: Option<u32>,
    /// A change is being carried out; further edits wait for it.
    pub busy: bool,
    /// The latest successful `set`, which `P` can make permanent.
    pub last_set: Option<Outcome>,
    /// A cgroup to select as soon as it shows up in the tree (a new playground).
    pub pending_reveal: Option<CgroupPath>,
    /// The prediction for the change the open dialog would make.
    pub dialog_prediction: Option<(Op, crate::cgroup::predict::Prediction)>,
    /// The effective uid cgtui runs as: rows where ownership changes to it are marked.
    pub uid: u32,
    /// Terminal size, to lay out again when the lessons panel opens or closes.
    size: (u16, u16),
    pub lessons: Vec<crate::lessons::Lesson>,
    pub lesson_panel: bool,
    pub progress: Option<crate::lessons::Progress>,
    pub observed: crate::lessons::Observed,
    /// What the sampler was last told is on screen.
    told_visible: Vec<CgroupPath>,
}

impl App {
    pub fn new(
        base: CgroupPath,
        devices: crate::cgroup::devices::Devices,
        source: String,
        interval: Duration,
        own_cgroup: Option<CgroupPath>,
        now: Instant,
    ) -> Self {
        App {
            model: Model::new(base.clone(), devices),
            view: TreeView::new(base),
            mode: Mode::Normal,
            interval,
            now,
            source,
            own_cgroup,
            notice: None,
            sampler: Default::default(),
            status: None,
            processes: ProcessTable::default(),
            users: UserNames::default(),
            layout: Layout::new(Rect::new(0, 0, 80, 24), false),
            tree_offset: 0,
            mouse: true,
            loaded: false,
            read_only: false,
            disks: Vec::new(),
            dialog: None,
            focus: Focus::Tree,
            process_selected: 0,
            moving: None,
            busy: false,
            last_set: None,
            pending_reveal: None,
            dialog_prediction: None,
            uid: rustix::process::geteuid().as_raw(),
            size: (80, 24),
            lessons: crate::lessons::all(),
            lesson_panel: false,
            progress: None,
            observed: crate::lessons::Observed::default(),
            told_visible: Vec::new(),
        }
    }

    pub fn user_name(&self, uid: u32) -> String {
        self.users.name(uid)
    }

    pub fn resize(&mut self, width: u16, height: u16) {
        self.size = (width, height);
        self.layout = Layout::new(Rect::new(0, 0, width, height), self.lesson_panel);
        self.scroll_to_selection();
    }

    /// Apply one event; returns what the runtime must do.
    pub fn update(&mut self, event: Event) -> Vec<Effect> {
        let mut effects = self.apply(event);
        self.tick_lessons();
        effects.extend(self.visible_changed());
        effects
    }

    /// The cgroups in the tree's window, if they differ from what the sampler was last told.
    fn visible_changed(&mut self) -> Option<Effect> {
        let height = self.layout.tree_rows();
        let visible: Vec<CgroupPath> = self
            .view
            .rows()
            .iter()
            .skip(self.tree_offset)
            .take(height)
            .map(|r| self.model.node(r.id).path.clone())
            .collect();
        if visible == self.told_visible {
            return None;
        }
        self.told_visible = visible.clone();
        Some(Effect::Visible(visible))
    }

    /// Tick off the steps of the current lesson that what has happened satisfies.
    fn tick_lessons(&mut self) {
        let Some(progress) = self.progress.as_ref() else {
            return;
        };
        let done: Vec<bool> = progress
            .lesson
            .steps
            .iter()
            .zip(&progress.done)
            .map(|(step, done)| *done || self.satisfied(&step.check))
            .collect();
        if let Some(progress) = self.progress.as_mut() {
            progress.done = done;
        }
    }

    fn playgrounds(&self) -> impl Iterator<Item = &crate::model::Node> {
        self.model
            .nodes()
            .filter(|n| crate::playground::is_playground(&n.path).is_some())
    }

    fn satisfied(&self, check: &crate::lessons::Check) -> bool {
        use crate::lessons::Check;
        let selected = self.view.selected();
        let name_starts =
            |p: &CgroupPath, prefix: &str| p.name().to_string_lossy().starts_with(prefix);
        let seen = &self.observed;
        match check {
            Check::Selected(path) => selected == path,
            Check::SelectedName(prefix) => name_starts(selected, prefix),
            Check::SelectedMissingMemory => {
                !selected.is_root()
                    && self.selected_node().is_some_and(|n| {
                        crate::model::missing::missing_reason(
                            &self.model,
                            n,
                            crate::model::missing::Metric::Memory,
                        )
                        .is_some()
                    })
            }
            Check::Explained(path) => seen.explained.contains(path),
            Check::ExplainedOwn => self
                .own_cgroup
                .as_ref()
                .is_some_and(|own| seen.explained.contains(own)),
            Check::ExplainedName(prefix) => seen.explained.iter().any(|p| name_starts(p, prefix)),
            Check::ExplainedAny => !seen.explained.is_empty(),
            Check::ExplainedForeign => seen.explained.iter().any(|p| {
                self.model
                    .get(p)
                    .and_then(|n| n.sample.as_ref())
                    .is_some_and(|s| s.owner_uid != self.uid)
            }),
            Check::Opened(what) => seen.opened.contains(what),
            Check::Playground => self.playgrounds().next().is_some(),
            Check::PlaygroundChildren(n) => self.playgrounds().any(|p| p.children.len() >= *n),
            Check::PlaygroundController(which) => self.playgrounds().any(|p| {
                let enabled = p
                    .sample
                    .as_ref()
                    .and_then(|s| s.subtree_control.clone())
                    .unwrap_or_default();
                match which {
                    Some(name) => enabled.contains(name),
                    None => !enabled.is_empty(),
                }
            }),
            Check::Refused(rule) => seen.refused.contains(rule),
            Check::Done(op) => seen.done.contains(op),
        }
    }

    fn on_lesson_key(&mut self, code: KeyCode) -> bool {
        let count = self.lessons.len();
        let open = |app: &mut App, index: usize| {
            if let Some(lesson) = app.lessons.get(index).cloned() {
                app.progress = Some(crate::lessons::Progress::new(index, lesson));
            }
        };
        match code {
            KeyCode::Char('L') => {
                self.lesson_panel = !self.lesson_panel;
                let (w, h) = self.size;
                self.resize(w, h);
            }
            KeyCode::Char(c @ '1'..='9') if self.lesson_panel => {
                open(self, c as usize - '1' as usize)
            }
            KeyCode::Char(']') if self.lesson_panel => {
                let next = self
                    .progress
                    .as_ref()
                    .map_or(0, |p| (p.index + 1) % count.max(1));
                open(self, next);
            }
            KeyCode::Char('[') if self.lesson_panel => {
                let prev = self
                    .progress
                    .as_ref()
                    .map_or(0, |p| (p.index + count - 1) % count.max(1));
                open(self, prev);
            }
            KeyCode::Char('0') if self.lesson_panel => self.progress = None,
            _ => return false,
        }
        true
    }

    fn apply(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            Event::Key(_) => Vec::new(),
            Event::Mouse(mouse) => self.on_mouse(mouse),
            Event::Resize(w, h) => {
                self.resize(w, h);
                Vec::new()
            }
            Event::Tree(tree) => {
                let change = self.model.apply_tree(tree);
                let first = !self.loaded;
                self.loaded = true;
                if first {
                    // Start on the user's own cgroup, expanded down to it.
                    let target = self
                        .own_cgroup
                        .clone()
                        .filter(|own| self.model.find(own).is_some())
                        .unwrap_or_else(|| self.view.top.clone());
                    self.view.reveal(&target, &self.model);
                    self.scroll_to_selection();
                    return vec![Effect::Focus(self.view.selected().clone())];
                }
                self.after_model_change(change)
            }
            Event::Focused(path, sample) => {
                self.model.merge_full_sample(&path, sample);
                Vec::new()
            }
            Event::Processes {
                cgroup,
                processes,
                total,
                at,
            } => {
                self.processes
                    .update(cgroup, processes, total, at, &self.users);
                Vec::new()
            }
            Event::Sampler(status) => {
                self.sampler = status;
                Vec::new()
            }
            Event::Watch(WatchEvent::Exhausted { reason }) => {
                self.notice = Some(reason);
                vec![Effect::WalkEveryPass]
            }
            Event::Watch(WatchEvent::Overflow) => vec![Effect::RefreshNow],
            Event::Watch(event) => {
                let change = self.model.apply_watch(event, self.now);
                self.after_model_change(change)
            }
            Event::WatcherFailed(reason) => {
                self.notice = Some(format!(
                    "inotify stopped ({reason}): changes are seen by polling only"
                ));
                vec![Effect::WalkEveryPass]
            }
            Event::Signal(_) => vec![Effect::Quit],
            Event::Edited(result) => self.on_edited(result),
            Event::Explained(explanation) => {
                self.status = None;
                self.observed.explained.push(explanation.cgroup.clone());
                self.dialog = Some(Dialog::Text {
                    title: format!("who can do what: {}", explanation.cgroup),
                    lines: explanation.lines(),
                    scroll: 0,
                });
                Vec::new()
            }
            Event::Predicted(op, prediction) => {
                if self.dialog.as_ref().and_then(Dialog::pending_op).as_ref() == Some(&op) {
                    self.dialog_prediction = Some((op, *prediction));
                }
                Vec::new()
            }
            Event::PlaygroundReady(result) => {
                self.busy = false;
                match result {
                    Ok((cgroup, unit)) => {
                        self.status = Some(format!(
                            "{unit} is yours: create children (n), enable controllers (c), set limits (e); d stops it"
                        ));
                        self.pending_reveal = Some(cgroup);
                        self.reveal_pending();
                    }
                    Err(reason) => self.status = Some(format!("no playground: {reason}")),
                }
                vec![Effect::RefreshNow]
            }
            Event::PlaygroundStopped(result) => {
                self.busy = false;
                if result.is_ok() {
                    self.observed.done.insert("stop-playground".into());
                }
                self.status = Some(match result {
                    Ok(unit) => format!("stopped {unit}"),
                    Err(reason) => reason,
                });
                vec![Effect::RefreshNow]
            }
        }
    }

    fn on_edited(&mut self, result: Result<Outcome, String>) -> Vec<Effect> {
        self.busy = false;
        match result {
            Err(reason) => self.status = Some(reason),
            Ok(outcome) if outcome.ok() => {
                self.observed.done.insert(outcome.op.to_string());
                if outcome.op == "set" {
                    self.last_set = Some(outcome.clone());
                }
                let target = match &outcome.file {
                    Some(f) => outcome.cgroup.file_display(f),
                    None => outcome.cgroup.to_string(),
                };
                self.status = Some(format!("{} {target}: {}", outcome.op, outcome.explanation));
            }
            Ok(outcome) => {
                self.status = None;
                self.observed.refused.insert(outcome.rule);
                let processes = self
                    .model
                    .get(&outcome.cgroup)
                    .and_then(|n| n.sample.as_ref())
                    .and_then(|s| s.nr_procs)
                    .unwrap_or(0);
                self.dialog = Some(edit::result_dialog(&outcome, processes));
            }
        }
        vec![
            Effect::RefreshNow,
            Effect::Focus(self.view.selected().clone()),
        ]
    }

    /// `P`: make the latest live change permanent, where systemd can keep it; elsewhere say
    /// what would.
    fn persist_last_change(&mut self) -> Vec<Effect> {
        let Some(last) = self.last_set.clone() else {
            self.status =
                Some("no change to make permanent yet (P acts on the latest limit you set)".into());
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
            self.status = Some(match property {
                Some(names) => format!(
                    "{} is not a systemd unit's: cgroupfs settings do not survive a reboot; the unit \
                     property {names}= in a unit file would",
                    last.cgroup
                ),
                None => format!(
                    "cgroupfs settings do not survive a reboot, and systemd has no property for {file}"
                ),
            });
            return Vec::new();
        }
        let op = Op::Set {
            cgroup: last.cgroup.clone(),
            file,
            value,
        };
        self.request(Effect::Edit(
            op,
            Change {
                route: Route::Systemd,
                persist: true,
                unchecked: false,
            },
        ))
    }

    /// Ask for a change, unless writes are off or another change is under way.
    fn request(&mut self, effect: Effect) -> Vec<Effect> {
        if self.read_only {
            self.status = Some("read-only mode (--read-only): changes are disabled".into());
            return Vec::new();
        }
        if self.busy {
            self.status = Some("a change is still under way".into());
            return Vec::new();
        }
        self.busy = true;
        self.status = Some("working…".into());
        vec![effect]
    }

    /// Ask for the prediction of what the open dialog would do, if it would change anything.
    fn predict_dialog(&mut self) -> Vec<Effect> {
        match self.dialog.as_ref().and_then(Dialog::pending_op) {
            Some(op) if self.dialog_prediction.as_ref().map(|(o, _)| o) != Some(&op) => {
                self.dialog_prediction = None;
                vec![Effect::Predict(op)]
            }
            Some(_) => Vec::new(),
            None => {
                self.dialog_prediction = None;
                Vec::new()
            }
        }
    }

    fn on_dialog_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let mut effects = self.on_dialog_action(key);
        effects.extend(self.predict_dialog());
        effects
    }

    fn on_dialog_action(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(dialog) = self.dialog.as_mut() else {
            return Vec::new();
        };
        match dialog.on_key(key) {
            DialogAction::Stay => Vec::new(),
            DialogAction::Close => {
                self.dialog = None;
                Vec::new()
            }
            DialogAction::Replace(next) => {
                self.dialog = Some(next);
                Vec::new()
            }
            DialogAction::Request(effect) => {
                self.dialog = None;
                self.request(effect)
            }
        }
    }

    fn selected_node(&self) -> Option<&crate::model::Node> {
        self.model.get(self.view.selected())
    }

    /// Does the selected cgroup contain cgtui itself? Freezing or killing it would stop us.
    fn selection_holds_cgtui(&self) -> bool {
        self.own_cgroup
            .as_ref()
            .is_some_and(|own| own.starts_with(self.view.selected()))
    }

    fn on_edit_key(&mut self, code: KeyCode) -> Option<Vec<Effect>> {
        let selected = self.view.selected().clone();
        let effects = match code {
            KeyCode::Char('e') => {
                let rows = self
                    .selected_node()
                    .map(|n| edit::limit_rows(n, &self.disks))
                    .unwrap_or_default();
                if rows.is_empty() {
                    self.status = Some(format!(
                        "{selected} has no limit files to edit (no controller enabled for it)"
                    ));
                } else {
                    self.observed.opened.insert("limits".into());
                    self.dialog = Some(Dialog::Limits {
                        cgroup: selected,
                        rows,
                        selected: 0,
                    });
                }
                Vec::new()
            }
            KeyCode::Char('c') => {
                let rows = self
                    .selected_node()
                    .map(|n| edit::controller_rows(&self.model, n))
                    .unwrap_or_default();
                if rows.is_empty() {
                    self.status = Some(format!(
                        "{selected}: cgroup.controllers is empty, nothing to enable"
                    ));
                } else {
                    self.observed.opened.insert("controllers".into());
                    self.dialog = Some(Dialog::Controllers {
                        cgroup: selected,
                        rows,
                        selected: 0,
                    });
                }
                Vec::new()
            }
            KeyCode::Char('f') => {
                let frozen = self.selected_node().and_then(|n| n.frozen());
                let Some(frozen) = frozen else {
                    self.status = Some("the root cgroup cannot be frozen".into());
                    return Some(Vec::new());
                };
                let op = Op::Set {
                    cgroup: selected.clone(),
                    file: "cgroup.freeze".into(),
                    value: if frozen { "0" } else { "1" }.into(),
                };
                if !frozen && self.selection_holds_cgtui() {
                    self.dialog = Some(Dialog::Confirm {
                        message: format!(
                            "Freeze {selected}? It contains cgtui itself: this screen would stop \
                             responding until something outside thaws it."
                        ),
                        effect: Box::new(Effect::Edit(op, Change::default())),
                    });
                    Vec::new()
                } else {
                    self.request(Effect::Edit(op, Change::default()))
                }
            }
            KeyCode::Char('K') => {
                let mut message =
                    format!("Kill every process in {selected} and below (cgroup.kill)?");
                if self.selection_holds_cgtui() {
                    message.push_str(" This includes cgtui itself.");
                }
                let op = Op::Set {
                    cgroup: selected,
                    file: "cgroup.kill".into(),
                    value: "1".into(),
                };
                self.dialog = Some(Dialog::Confirm {
                    message,
                    effect: Box::new(Effect::Edit(op, Change::default())),
                });
                Vec::new()
            }
            KeyCode::Char('n') => {
                self.dialog = Some(Dialog::Input {
                    title: format!("new child cgroup of {selected}"),
                    hint: "a name (a .scope/.service suffix is only a convention outside systemd)"
                        .into(),
                    text: String::new(),
                    purpose: InputPurpose::NewChild { parent: selected },
                });
                Vec::new()
            }
            KeyCode::Char('d') => {
                self.dialog = Some(match crate::playground::is_playground(&selected) {
                    Some(unit) => Dialog::Confirm {
                        message: format!(
                            "Stop the playground {unit}? Its manager ends every process in it."
                        ),
                        effect: Box::new(Effect::StopPlayground(unit)),
                    },
                    None => Dialog::Confirm {
                        message: format!(
                            "Remove {selected} (rmdir)? It must have no processes and no children."
                        ),
                        effect: Box::new(Effect::Edit(
                            Op::Rmdir { cgroup: selected },
                            Change::default(),
                        )),
                    },
                });
                Vec::new()
            }
            KeyCode::Char('D') => self.request(Effect::Playground),
            KeyCode::Char('w') => {
                self.status = Some(format!("working out who can do what in {selected}…"));
                vec![Effect::Explain(selected)]
            }
            KeyCode::Char('P') => self.persist_last_change(),
            KeyCode::Char('u') => self.request(Effect::Undo),
            KeyCode::Char('m') => {
                if self.focus != Focus::Processes {
                    self.status = Some("Tab to the process list, pick a process, then m".into());
                    return Some(Vec::new());
                }
                match self.processes.rows.get(self.process_selected) {
                    Some(row) => {
                        let pid = row.sample.pid;
                        self.moving = Some(pid);
                        self.focus = Focus::Tree;
                        self.status = Some(format!(
                            "moving {pid}: pick the destination and press Enter (Esc cancels)"
                        ));
                    }
                    None => self.status = Some("no process selected".into()),
                }
                Vec::new()
            }
            _ => return None,
        };
        Some(effects)
    }

    /// Select the cgroup waiting to be revealed, once the tree has it.
    fn reveal_pending(&mut self) {
        if let Some(path) = self.pending_reveal.take() {
            if self.model.find(&path).is_some() {
                self.view.reveal(&path, &self.model);
                self.scroll_to_selection();
            } else {
                self.pending_reveal = Some(path);
            }
        }
    }

    fn after_model_change(&mut self, change: Affected) -> Vec<Effect> {
        let before = self.view.selected().clone();
        if change.structure {
            self.reveal_pending();
        }
        // Sorting by a value column reorders rows when values change; by name only on shape.
        if change.structure || (change.values && self.view.sort != Column::Name) {
            self.view.rebuild(&self.model);
            self.scroll_to_selection();
        }
        self.focus_effect(&before)
    }

    fn focus_effect(&self, before: &CgroupPath) -> Vec<Effect> {
        if self.view.selected() != before {
            vec![Effect::Focus(self.view.selected().clone())]
        } else {
            Vec::new()
        }
    }

    /// Keep the selected row inside the visible window.
    fn scroll_to_selection(&mut self) {
        let height = self.layout.tree_rows().max(1);
        let rows = self.view.rows().len();
        if let Some(selected) = self.view.selected_index() {
            if selected < self.tree_offset {
                self.tree_offset = selected;
            } else if selected >= self.tree_offset + height {
                self.tree_offset = selected + 1 - height;
            }
        }
        self.tree_offset = self.tree_offset.min(rows.saturating_sub(height));
    }

    fn set_interval(&mut self, interval: Duration) -> Vec<Effect> {
        self.interval = interval.clamp(MIN_INTERVAL, MAX_INTERVAL);
        self.status = Some(format!(
            "refresh every {:.1} s",
            self.interval.as_secs_f64()
        ));
        vec![Effect::SetInterval(self.interval)]
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.modifiers.contains(KeyModifiers::CONTROL) && matches!(key.code, KeyCode::Char('c')) {
            return vec![Effect::Quit];
        }
        if self.dialog.is_some() {
            return self.on_dialog_key(key);
        }
        self.status = None;
        match self.mode {
            Mode::Help => {
                match key.code {
                    KeyCode::Char('q') => return vec![Effect::Quit],
                    _ => self.mode = Mode::Normal,
                }
                Vec::new()
            }
            Mode::Filter => self.on_filter_key(key),
            Mode::Normal => self.on_normal_key(key),
        }
    }

    fn on_filter_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let before = self.view.selected().clone();
        let mut filter = self.view.filter().to_string();
        match key.code {
            KeyCode::Enter => {
                self.mode = Mode::Normal;
                return Vec::new();
            }
            KeyCode::Esc => {
                filter.clear();
                self.mode = Mode::Normal;
            }
            KeyCode::Backspace => {
                filter.pop();
            }
            KeyCode::Char(c) if !c.is_control() => filter.push(c),
            _ => return Vec::new(),
        }
        self.view.set_filter(filter, &self.model);
        self.scroll_to_selection();
        self.focus_effect(&before)
    }

    fn on_normal_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if let Some(pid) = self.moving {
            match key.code {
                KeyCode::Enter => {
                    self.moving = None;
                    let cgroup = self.view.selected().clone();
                    return self.request(Effect::Edit(Op::Move { pid, cgroup }, Change::default()));
                }
                KeyCode::Esc => {
                    self.moving = None;
                    self.status = Some("move cancelled".into());
                    return Vec::new();
                }
                _ => {}
            }
        }
        if key.code == KeyCode::Tab {
            self.focus = match self.focus {
                Focus::Tree => Focus::Processes,
                Focus::Processes => Focus::Tree,
            };
            return Vec::new();
        }
        if self.focus == Focus::Processes {
            let last = self.processes.rows.len().saturating_sub(1);
            match key.code {
                KeyCode::Up | KeyCode::Char('k') => {
                    self.process_selected = self.process_selected.saturating_sub(1)
                }
                KeyCode::Down | KeyCode::Char('j') => {
                    self.process_selected = (self.process_selected + 1).min(last)
                }
                KeyCode::Esc => self.focus = Focus::Tree,
                _ => {}
            }
            if matches!(
                key.code,
                KeyCode::Up | KeyCode::Down | KeyCode::Char('k' | 'j') | KeyCode::Esc
            ) {
                return Vec::new();
            }
        }
        if self.on_lesson_key(key.code) {
            return Vec::new();
        }
        if let Some(mut effects) = self.on_edit_key(key.code) {
            effects.extend(self.predict_dialog());
            return effects;
        }
        let before = self.view.selected().clone();
        let page = self.layout.tree_rows().max(1) as isize;
        match key.code {
            KeyCode::Char('q') => return vec![Effect::Quit],
            KeyCode::Esc => {
                if !self.view.filter().is_empty() {
                    self.view.set_filter(String::new(), &self.model);
                } else {
                    return vec![Effect::Quit];
                }
            }
            KeyCode::Char('?') | KeyCode::F(1) => self.mode = Mode::Help,
            KeyCode::Char('/') => self.mode = Mode::Filter,
            KeyCode::Up | KeyCode::Char('k') => self.view.move_selection(-1, &self.model),
            KeyCode::Down | KeyCode::Char('j') => self.view.move_selection(1, &self.model),
            KeyCode::PageUp => self.view.move_selection(-page, &self.model),
            KeyCode::PageDown => self.view.move_selection(page, &self.model),
            KeyCode::Home | KeyCode::Char('g') => self.view.select_index(0, &self.model),
            KeyCode::End | KeyCode::Char('G') => self.view.select_index(usize::MAX, &self.model),
            KeyCode::Right | KeyCode::Char('l') => self.expand_or_descend(),
            KeyCode::Left | KeyCode::Char('h') => self.collapse_or_ascend(),
            KeyCode::Enter | KeyCode::Char(' ') => {
                let selected = self.view.selected().clone();
                let expanded = self.view.is_expanded(&selected);
                self.view.set_expanded(&selected, !expanded, &self.model);
            }
            KeyCode::Char('s') => {
                let next = self.view.sort.next();
                self.view.set_sort(next, &self.model);
                self.status = Some(format!("sorted by {}", next.title()));
            }
            KeyCode::Char('S') => {
                let current = self.view.sort;
                self.view.set_sort(current, &self.model);
            }
            KeyCode::Char('r') => {
                let selected = self.view.selected().clone();
                self.view.push_top(selected, &self.model);
                self.tree_offset = 0;
            }
            KeyCode::Char('R') | KeyCode::Backspace => {
                if !self.view.pop_top(&self.model) {
                    self.status = Some("already at the top of the tree given with --root".into());
                }
            }
            KeyCode::Char('o') => match self
                .own_cgroup
                .clone()
                .filter(|c| self.model.find(c).is_some())
            {
                Some(own) => self.view.reveal(&own, &self.model),
                None => self.status = Some("cgtui's own cgroup is not in this view".into()),
            },
            KeyCode::Char('+') | KeyCode::Char('=') => return self.set_interval(self.interval * 2),
            KeyCode::Char('-') => return self.set_interval(self.interval / 2),
            _ => return Vec::new(),
        }
        self.scroll_to_selection();
        self.focus_effect(&before)
    }

    fn expand_or_descend(&mut self) {
        let Some(index) = self.view.selected_index() else {
            return;
        };
        let row = self.view.rows()[index];
        if !row.has_children {
            return;
        }
        if row.expanded {
            self.view.move_selection(1, &self.model);
        } else {
            let path = self.view.selected().clone();
            self.view.set_expanded(&path, true, &self.model);
        }
    }

    fn collapse_or_ascend(&mut self) {
        let Some(index) = self.view.selected_index() else {
            return;
        };
        let row = self.view.rows()[index];
        let path = self.view.selected().clone();
        if row.expanded && row.has_children {
            self.view.set_expanded(&path, false, &self.model);
        } else if let Some(parent) = path.parent().filter(|p| p.starts_with(&self.view.top)) {
            self.view.reveal(&parent, &self.model);
        }
    }

    fn on_mouse(&mut self, mouse: MouseEvent) -> Vec<Effect> {
        let before = self.view.selected().clone();
        let position = Position::new(mouse.column, mouse.row);
        match mouse.kind {
            MouseEventKind::ScrollDown => self.view.move_selection(3, &self.model),
            MouseEventKind::ScrollUp => self.view.move_selection(-3, &self.model),
            MouseEventKind::Down(MouseButton::Left) if self.layout.tree.contains(position) => {
                let line = (mouse.row - self.layout.tree.y) as usize;
                if line == 0 {
                    if let Some(column) = crate::ui::tree::column_at(self.layout.tree, mouse.column)
                    {
                        self.view.set_sort(column, &self.model);
                    }
                } else {
                    let index = self.tree_offset + line - 1;
                    if index < self.view.rows().len() {
                        if self.view.selected_index() == Some(index) {
                            let path = self.view.selected().clone();
                            let expanded = self.view.is_expanded(&path);
                            self.view.set_expanded(&path, !expanded, &self.model);
                        } else {
                            self.view.select_index(index, &self.model);
                        }
                    }
                }
            }
            _ => return Vec::new(),
        }
        self.scroll_to_selection();
        self.focus_effect(&before)
    }
}
