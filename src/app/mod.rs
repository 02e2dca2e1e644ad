//! Application state and how each event changes it. No terminal I/O happens here: the runtime
//! feeds events in and carries the returned effects out, and tests do the same with scripted
//! events and actions.
//!
//! Keys become [`Action`]s through the one [`keymap::Keymap`] table; everything the app does is
//! an action's handler. The state is split by what it is about: the tree pane, the process
//! pane, the dialogs, the lessons, the status and message log, and the layout.

pub mod action;
pub mod dialog;
pub mod effect;
pub mod help;
pub mod keymap;
pub mod layout;
pub mod lessons;
pub mod names;
pub mod process_pane;
pub mod reads;
pub mod recorded;
pub mod status;
pub mod tree_pane;

pub use action::{Action, Context};
pub use effect::Effect;

use crate::cgroup::devices::{Devices, Disk};
use crate::cgroup::edit::{Op, Outcome};
use crate::cgroup::predict::Prediction;
use crate::cgroup::process::ProcessSample;
use crate::cgroup::watch::WatchEvent;
use crate::cgroup::{CgroupPath, CgroupSample};
use crate::editor::{Change, Route, UndoPlan, UndoScope};
use crate::model::view::Column;
use crate::model::{Affected, Model, TreeSample};
use crate::theme::Theme;
use crossterm::event::{KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};
use dialog::{Dialog, InputForm, InputPurpose, Pending, Step};
use keymap::Keymap;
use layout::{Layout, LayoutPrefs};
use lessons::LessonsState;
use process_pane::{ProcessPane, UserNames};
use ratatui::layout::{Position, Rect};
use status::{Status, Tone};
use std::time::{Duration, Instant};
use tree_pane::TreePane;

/// Everything the main loop reacts to. Threads only produce these.
#[derive(Debug)]
pub enum Event {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// A pass of the sampler: every cgroup when it walked the tree, else what it read.
    Tree(TreeSample),
    /// Rows the sampler read between passes, as soon as they came on screen.
    CaughtUp(TreeSample),
    /// What the latest pass read and cost (shown with `--stats`).
    PassStats(crate::sampler::PassStats),
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
    /// The sampler's pace changed (CPU budget) or cgroups are polled without a watch.
    Sampler(crate::sampler::SamplerStatus),
    Watch(WatchEvent),
    /// The watcher thread stopped; changes are seen by polling from now on.
    WatcherFailed(String),
    /// A change requested by an [`Effect::Edit`], [`Effect::Undo`] or [`Effect::Fix`] finished;
    /// `Err` when it could not even be attempted (read-only, journal unwritable).
    Edited(Result<Outcome, String>),
    /// What `u` would undo in `scope`.
    UndoPlanned {
        scope: UndoScope,
        plan: Result<UndoPlan, String>,
    },
    /// A playground scope was started: its cgroup and unit.
    PlaygroundReady(Result<(CgroupPath, String), String>),
    PlaygroundStopped(Result<String, String>),
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

#[derive(Debug)]
pub struct Replayed {
    pub time_ms: Option<i64>,
    pub previous: Option<TreeSample>,
    pub current: Option<TreeSample>,
    pub note: String,
}

/// Which pane the movement keys act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Tree,
    Processes,
}

pub const MIN_INTERVAL: Duration = Duration::from_millis(100);
pub const MAX_INTERVAL: Duration = Duration::from_secs(3600);

/// The poll periods `+` and `-` step through, in seconds: any of them is reachable from any
/// other, whatever the start.
const INTERVAL_STEPS: [f64; 17] = [
    0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0,
    3600.0,
];

/// A poll period as people write it: `0.25 s`, `1 s`, `2.5 s`.
pub fn interval_text(interval: Duration) -> String {
    let text = format!("{:.3}", interval.as_secs_f64());
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} s")
}

/// How the app starts: where, what to show, how it looks.
#[derive(Debug, Clone)]
pub struct Options {
    pub base: CgroupPath,
    pub devices: Devices,
    /// Whole disks, for io.max and io.weight.
    pub disks: Vec<Disk>,
    /// Where the hierarchy is, for the header: a mount point and its options.
    pub source: String,
    pub interval: Duration,
    /// The cgroup cgtui itself runs in.
    pub own_cgroup: Option<CgroupPath>,
    pub read_only: bool,
    pub keymap: Keymap,
    pub theme: Theme,
    /// Value columns of the tree, in order.
    pub columns: Vec<Column>,
    pub sort: Column,
    /// CPUs of the machine, for the header.
    pub cpus: usize,
    /// The effective uid cgtui runs as: rows where ownership changes to it are marked.
    pub uid: u32,
    /// This run's session in the journal: `u` offers its changes first.
    pub session: String,
    /// Ask Docker and Podman for container names (`--resolve-names`).
    pub resolve_names: bool,
    /// Show what each pass of the sampler reads and costs (`--stats`).
    pub stats: bool,
    /// User names known beforehand (a fixture's, from the host it was captured on), instead
    /// of this machine's passwd.
    pub known_users: Vec<(u32, String)>,
    /// cgroup.controllers of the hierarchy's root, which a tree shown from below the root
    /// (`--root`) does not hold: a controller missing there is missing everywhere.
    pub hierarchy_controllers: Option<Vec<String>>,
    /// `cgtui replay`: samples come from a store; the replay keys move through time.
    pub replay: bool,
    /// A reader of a recorder's store runs: the selected cgroup's sparklines reach back into
    /// it (`Effect::ReadRecorded`, answered by `Event::Recorded`); in replay, they show it.
    pub recorded_history: bool,
    /// The top of the CPU sparkline (config `cpu_scale`).
    pub cpu_scale: crate::model::series::CpuScale,
}

/// Where `cgtui replay` is in recorded time.
#[derive(Debug, Clone, Default)]
pub struct ReplayState {
    /// The recorded sample on screen (Unix ms), once one arrived.
    pub time_ms: Option<i64>,
    /// Events around it, or why the move went nowhere.
    pub note: String,
}

impl Options {
    pub fn new(base: CgroupPath, devices: Devices, source: impl Into<String>) -> Options {
        Options {
            disks: devices.whole_disks(),
            base,
            devices,
            source: source.into(),
            interval: Duration::from_secs(1),
            own_cgroup: None,
            read_only: false,
            keymap: Keymap::default(),
            theme: Theme::default(),
            columns: Column::DEFAULT.to_vec(),
            sort: Column::Name,
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            uid: rustix::process::geteuid().as_raw(),
            session: String::new(),
            resolve_names: false,
            stats: false,
            known_users: Vec::new(),
            hierarchy_controllers: None,
            replay: false,
            recorded_history: false,
            cpu_scale: Default::default(),
        }
    }
}

pub struct App {
    /// Keys typed into the limits form while it waits for the cgroup's limit files: replayed
    /// once they are read, so typing ahead (`e`, Enter, a value) is never lost.
    typed_ahead: Vec<KeyEvent>,
    pub(crate) model: Model,
    pub(crate) tree: TreePane,
    pub(crate) processes: ProcessPane,
    pub(crate) focus: Focus,
    pub(crate) dialog: Option<Dialog>,
    /// The prediction for the change the open dialog would make.
    pub(crate) prediction: Option<(Op, Prediction)>,
    /// A form whose value was submitted: reopened with the refusal if the kernel says no.
    resume_form: Option<InputForm>,
    /// Help is open, scrolled by this many lines.
    pub(crate) help: Option<usize>,
    pub(crate) lessons: LessonsState,
    pub(crate) status: Status,
    pub(crate) prefs: LayoutPrefs,
    /// The layout for the latest terminal size (rendering recomputes it from its frame).
    pub(crate) layout: Layout,
    pub(crate) keymap: Keymap,
    pub(crate) theme: Theme,
    pub(crate) columns: Vec<Column>,
    pub(crate) interval: Duration,
    /// The time the current frame is drawn for; set by the runtime, never read from the clock
    /// while rendering.
    pub(crate) now: Instant,
    pub(crate) source: String,
    pub(crate) own_cgroup: Option<CgroupPath>,
    pub(crate) uid: u32,
    pub(crate) cpus: usize,
    pub(crate) read_only: bool,
    /// The first tree sample has arrived (until then the tree holds only the base).
    pub(crate) loaded: bool,
    disks: Vec<Disk>,
    pub(crate) users: UserNames,
    /// Workload names of the rows.
    pub(crate) names: names::Names,
    /// A process being moved: the next Enter in the tree picks its destination.
    pub(crate) moving: Option<u32>,
    /// A change is being carried out; further changes wait for it.
    busy: bool,
    /// The latest successful `set`, which `P` can make permanent.
    last_set: Option<Outcome>,
    session: String,
    /// `u` found nothing of this session and looked further.
    undo_beyond_session: bool,
    /// Questions for the engines, sent with the next effects.
    names_pending: Vec<Effect>,
    /// What the sampler was last told to read.
    told_reads: crate::sampler::Reads,
    /// The interval the sampler keeps (longer than `interval` when its CPU budget stretched it).
    sampler_interval: Duration,
    /// Show the latest pass's figures in the header (`--stats`).
    pub(crate) show_stats: bool,
    pub(crate) pass_stats: Option<crate::sampler::PassStats>,
    /// Every pass's figures added up (`--stats` prints them on exit).
    pass_totals: crate::sampler::PassTotals,
    /// `cgtui replay`: the recorded time on screen.
    pub(crate) replay: Option<ReplayState>,
    /// The selected cgroup's recorded history, for its sparklines.
    pub(crate) recorded: recorded::RecordedHistory,
    /// The top of the CPU sparkline.
    pub(crate) cpu_scale: crate::model::series::CpuScale,
}

impl App {
    pub fn new(options: Options, now: Instant) -> Self {
        let mut tree = TreePane::new(options.base.clone());
        if options.sort != Column::Name {
            tree.view.sort = options.sort;
            tree.view.sort_descending = true;
        }
        let prefs = LayoutPrefs::default();
        let columns = options.columns;
        let names = names::Names::new(options.resolve_names, &options.known_users);
        App {
            typed_ahead: Vec::new(),
            model: Model::new(options.base, options.devices)
                .with_hierarchy_controllers(options.hierarchy_controllers),
            tree,
            processes: ProcessPane::default(),
            focus: Focus::Tree,
            dialog: None,
            prediction: None,
            resume_form: None,
            help: None,
            lessons: LessonsState::default(),
            status: Status::default(),
            layout: Layout::new(Rect::new(0, 0, 80, 24), &prefs, &columns),
            prefs,
            keymap: options.keymap,
            theme: options.theme,
            columns,
            interval: options.interval,
            now,
            source: options.source,
            own_cgroup: options.own_cgroup,
            uid: options.uid,
            cpus: options.cpus,
            read_only: options.read_only,
            loaded: false,
            disks: options.disks,
            users: UserNames::known(options.known_users),
            names,
            moving: None,
            busy: false,
            last_set: None,
            session: options.session,
            undo_beyond_session: false,
            names_pending: Vec::new(),
            told_reads: crate::sampler::Reads::default(),
            sampler_interval: options.interval,
            show_stats: options.stats,
            pass_stats: None,
            pass_totals: crate::sampler::PassTotals::default(),
            replay: options.replay.then(ReplayState::default),
            recorded: recorded::RecordedHistory::new(options.recorded_history),
            cpu_scale: options.cpu_scale,
        }
    }

    /// `cgtui replay`: the recorded time on screen.
    pub fn replay_state(&self) -> Option<&ReplayState> {
        self.replay.as_ref()
    }

    // Read-only views for the runtime and tests.

    pub fn selected(&self) -> &CgroupPath {
        self.tree.selected()
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The cgroups in the tree's rows on screen, top to bottom.
    pub fn rows_on_screen(&self) -> Vec<CgroupPath> {
        self.tree
            .view
            .rows()
            .iter()
            .skip(self.tree.offset)
            .take(self.layout.tree_rows())
            .map(|r| self.model.node(r.id).path.clone())
            .collect()
    }

    /// What the sampler's passes read so far, added up (with `--stats`).
    pub fn pass_totals(&self) -> crate::sampler::PassTotals {
        self.pass_totals
    }

    /// Cgroups in the tree (as known from samples and inotify).
    pub fn cgroup_count(&self) -> usize {
        self.model.len()
    }

    /// Is `path` in the tree?
    pub fn knows(&self, path: &CgroupPath) -> bool {
        self.model.find(path).is_some()
    }

    /// The latest message, in full.
    pub fn message(&self) -> Option<&str> {
        self.status.current().map(|m| m.text.as_str())
    }

    /// The sort column, and whether it is descending.
    pub fn sort(&self) -> (Column, bool) {
        (self.tree.view.sort, self.tree.view.sort_descending)
    }

    /// A dialog or help is open over the main view.
    pub fn overlay_open(&self) -> bool {
        self.dialog.is_some() || self.help.is_some()
    }

    /// Steps of the lesson being followed, done or not.
    pub fn lesson_steps(&self) -> Option<(usize, Vec<bool>)> {
        self.lessons
            .progress
            .as_ref()
            .map(|p| (p.index, p.done.clone()))
    }

    pub fn keymap(&self) -> &Keymap {
        &self.keymap
    }

    /// When the OOM flash on screen ends, if one does: the runtime redraws then.
    pub fn flash_ends(&self) -> Option<Instant> {
        Some(self.model.latest_oom_kill? + crate::model::OOM_FLASH)
    }

    pub fn set_now(&mut self, now: Instant) {
        self.now = now;
    }

    /// The contexts a key is looked up in, first match wins.
    pub fn contexts(&self) -> Vec<Context> {
        let mut contexts = vec![Context::Global];
        if self.help.is_some() {
            contexts.push(Context::Help);
        } else if let Some(dialog) = &self.dialog {
            contexts.push(match dialog {
                Dialog::Limits { .. } | Dialog::Controllers { .. } => Context::Form,
                Dialog::Input(_) => Context::Input,
                Dialog::Confirm { .. } => Context::Confirm,
                Dialog::Text { .. } => Context::Text,
            });
        } else if self.tree.filter_editing {
            contexts.push(Context::FilterInput);
        } else {
            if self.moving.is_some() {
                contexts.push(Context::Moving);
            }
            if self.lessons.panel {
                contexts.push(Context::Lessons);
            }
            if self.focus == Focus::Processes {
                contexts.push(Context::Processes);
            }
            if !self.tree.view.filter().is_empty() {
                contexts.push(Context::Filtered);
            }
            if self.replay.is_some() {
                contexts.push(Context::Replay);
            }
            contexts.push(Context::Main);
        }
        contexts
    }

    /// The keys the footer may offer now, most useful first: the innermost context's, then
    /// the main view's. Write keys are left out in read-only mode.
    pub fn footer_hints(&self) -> Vec<(String, &'static str)> {
        let mut contexts = self.contexts();
        contexts.retain(|c| *c != Context::Global);
        let mut hints: Vec<(String, &'static str)> = Vec::new();
        let mut actions = Vec::new();
        for context in contexts {
            for binding in self.keymap.in_context(context) {
                if (self.read_only && binding.action.writes())
                    || actions.contains(&binding.action)
                    || matches!(binding.action, Action::Lesson(n) if n > 1)
                {
                    continue;
                }
                actions.push(binding.action);
                let keys = match binding.action {
                    Action::Lesson(_) => "1-9".to_string(),
                    _ => binding
                        .keys
                        .first()
                        .map_or(String::new(), |k| k.to_string()),
                };
                hints.push((keys, binding.short));
            }
        }
        hints
    }

    pub fn resize(&mut self, width: u16, height: u16) {
        self.layout = Layout::new(Rect::new(0, 0, width, height), &self.prefs, &self.columns);
        self.tree.scroll_to_selection(self.layout.tree_rows());
        self.processes.scroll(self.layout.process_rows());
    }

    fn relayout(&mut self) {
        let area = self.layout.area;
        self.resize(area.width, area.height);
    }

    /// Apply one event; returns what the runtime must do.
    pub fn update(&mut self, event: Event) -> Vec<Effect> {
        let effects = self.apply(event);
        self.after(effects)
    }

    /// Do what `action` asks, as if its key had been pressed.
    pub fn act(&mut self, action: Action) -> Vec<Effect> {
        let effects = self.perform(action);
        self.after(effects)
    }

    fn after(&mut self, mut effects: Vec<Effect>) -> Vec<Effect> {
        // Names are resolved here, never while drawing.
        if let Some(uid) = self
            .model
            .get(self.tree.selected())
            .and_then(|n| n.sample.as_ref())
            .map(|s| s.owner_uid)
        {
            self.users.resolve(uid);
        }
        let world = lessons::World {
            model: &self.model,
            selected: self.tree.selected(),
            own_cgroup: self.own_cgroup.as_ref(),
            uid: self.uid,
        };
        self.lessons.tick(&world);
        effects.extend(self.predict_dialog());
        effects.extend(self.visible_changed());
        effects.extend(self.recorded_wanted());
        effects.append(&mut self.names_pending);
        effects
    }

    /// What the sampler must read for the tree's window (see [`reads`]), if it differs from
    /// what it was last told.
    fn visible_changed(&mut self) -> Option<Effect> {
        let reads = reads::plan(
            &self.model,
            &self.tree.view,
            self.tree.offset,
            self.layout.tree_rows(),
        );
        if reads == self.told_reads {
            return None;
        }
        self.told_reads = reads.clone();
        let ask = self.names.on_screen(&reads.every_pass);
        if !ask.is_empty() {
            self.names_pending.push(Effect::ResolveNames(ask));
        }
        Some(Effect::Visible(reads))
    }

    /// The read of the selected cgroup's recorded history that is due, if one is: the columns
    /// of its sparklines before their live part (in replay, up to the moment on screen).
    fn recorded_wanted(&mut self) -> Option<Effect> {
        let area = self.layout.history;
        if area.width == 0 || area.height == 0 {
            return None;
        }
        let node = self.model.get(self.tree.selected())?;
        let replay = self.replay.as_ref().map(|r| r.time_ms);
        let request = recorded::request(node, area.width, self.interval, replay)?;
        self.recorded
            .wanted(request, self.now)
            .map(Effect::ReadRecorded)
    }

    /// Values older than this are marked on screen as not current: rows on screen are read
    /// every interval, so only rows that were off screen (or a stalled sampler) get there.
    pub fn stale_after(&self) -> Duration {
        // Replay shows values as recorded at the moment on screen: none is out of date.
        if self.replay.is_some() {
            return Duration::MAX;
        }
        self.interval.max(self.sampler_interval) * 2 + Duration::from_secs(1)
    }

    /// Ask for the prediction of what the open dialog would do, if it would change anything.
    fn predict_dialog(&mut self) -> Option<Effect> {
        match self.dialog.as_ref().and_then(Dialog::pending_op) {
            Some(op) if self.prediction.as_ref().map(|(o, _)| o) != Some(&op) => {
                self.prediction = None;
                Some(Effect::Predict(op))
            }
            Some(_) => None,
            None => {
                self.prediction = None;
                None
            }
        }
    }

    fn apply(&mut self, event: Event) -> Vec<Effect> {
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
            Event::Replayed(replayed) => {
                let Replayed {
                    time_ms,
                    previous,
                    current,
                    note,
                } = *replayed;
                if let Some(state) = self.replay.as_mut() {
                    state.note = note;
                    if current.is_some() {
                        state.time_ms = time_ms;
                    }
                }
                let mut effects = Vec::new();
                for tree in [previous, current].into_iter().flatten() {
                    effects = self.apply(Event::Tree(tree));
                }
                effects
            }
            Event::Recorded(answer) => {
                if let Some(problem) = self.recorded.answered(*answer, self.now) {
                    self.status.say(Tone::Warning, problem);
                }
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
                let focused = self.focus == Focus::Processes;
                self.processes
                    .update(cgroup, processes, total, at, &mut self.users, focused);
                self.processes.scroll(self.layout.process_rows());
                Vec::new()
            }
            Event::Watch(WatchEvent::Exhausted { reason }) => {
                self.status.notices.watcher = Some(reason);
                vec![Effect::WalkEveryPass]
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
            Event::UndoPlanned { scope, plan } => self.on_undo_planned(scope, plan),
            Event::Explained(explanation) => {
                self.status.clear();
                self.lessons
                    .observed
                    .explained
                    .push(explanation.cgroup.clone());
                self.open_dialog(Dialog::text(
                    format!("who can do what: {}", explanation.cgroup),
                    Tone::Info,
                    explanation.lines(),
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
                        self.status.say(
                            Tone::Ok,
                            format!(
                                "{unit} is yours: create children (n), enable controllers (c), set limits (e); d stops it"
                            ),
                        );
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
        self.focus_effect(&before)
    }

    fn focused(&self) -> Vec<Effect> {
        vec![Effect::Focus(self.tree.selected().clone())]
    }

    fn focus_effect(&self, before: &CgroupPath) -> Vec<Effect> {
        if self.tree.selected() != before {
            self.focused()
        } else {
            Vec::new()
        }
    }

    fn open_dialog(&mut self, dialog: Dialog) {
        self.dialog = Some(dialog);
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
        let Some(Dialog::Limits {
            cgroup,
            rows: rows @ None,
            ..
        }) = self.dialog.as_mut()
        else {
            return;
        };
        if cgroup != path {
            return;
        }
        let found = self
            .model
            .get(path)
            .map(|n| dialog::limit_rows(n, &self.disks))
            .unwrap_or_default();
        if found.is_empty() {
            self.dialog = None;
            self.status.say(
                Tone::Info,
                format!("{path} has no limit files to edit (no controller enabled for it)"),
            );
        } else {
            *rows = Some(found);
        }
    }

    fn selected_node(&self) -> Option<&crate::model::Node> {
        self.model.get(self.tree.selected())
    }

    /// Does the selected cgroup contain cgtui itself? Freezing or killing it would stop us.
    fn selection_holds_cgtui(&self) -> bool {
        self.own_cgroup
            .as_ref()
            .is_some_and(|own| own.starts_with(self.tree.selected()))
    }

    /// May a change be asked for now? Says why not, if not.
    fn can_write(&mut self) -> bool {
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
    fn request(&mut self, pending: Pending) -> Vec<Effect> {
        if !self.can_write() {
            return Vec::new();
        }
        self.busy = true;
        self.status.hint("working…");
        vec![pending.into_effect()]
    }

    /// Ask before `pending`: a confirmation that shows the kernel's predicted answer.
    fn ask(&mut self, title: &str, lines: Vec<String>, pending: Pending) -> Vec<Effect> {
        if self.can_write() {
            self.open_dialog(dialog::confirm(title, lines, pending));
        }
        Vec::new()
    }

    fn perform(&mut self, action: Action) -> Vec<Effect> {
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
        match dialog.on_action(action, page) {
            Step::Stay => Vec::new(),
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

    /// `t` in replay: a prompt for the recorded time to go to, holding the time on screen.
    fn open_replay_prompt(&mut self) {
        let Some(replay) = &self.replay else {
            return;
        };
        let shown = replay
            .time_ms
            .map_or(String::new(), crate::history::time::format_ms);
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
            Action::DeleteBack => {
                text.pop();
            }
            Action::Type(c) => text.push(c),
            _ => return Vec::new(),
        }
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
            Action::SortNext => self.sort_next(),
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
            | Action::ReplayGoTo => {}
        }
        self.tree.scroll_to_selection(self.layout.tree_rows());
        self.focus_effect(&before)
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
            let quit = self.keymap.keys_for(Context::Main, Action::Quit);
            self.status
                .hint(format!("Esc closes and cancels; {quit} quits"));
        }
    }

    fn process_action(&mut self, action: Action) {
        let page = self.layout.process_rows().max(1);
        match action {
            Action::Up => self.processes.move_by(-1, page),
            Action::Down => self.processes.move_by(1, page),
            Action::PageUp => self.processes.move_by(-(page as isize), page),
            Action::PageDown => self.processes.move_by(page as isize, page),
            Action::First => self.processes.move_by(isize::MIN / 2, page),
            Action::Last => self.processes.move_by(isize::MAX / 2, page),
            Action::Activate => {
                if let Some(row) = self.processes.selected_row() {
                    let s = &row.sample;
                    let command = if s.cmdline.is_empty() {
                        format!(
                            "[{}] (a kernel thread, or it has exited)",
                            crate::cgroup::escape::visible(&s.comm)
                        )
                    } else {
                        crate::cgroup::escape::visible(&s.cmdline).into_owned()
                    };
                    let lines = vec![
                        format!("PID      {}", s.pid),
                        format!(
                            "user     {} ({})",
                            row.user,
                            s.uid.map_or("?".into(), |u| format!("uid {u}"))
                        ),
                        format!("state    {}", s.state),
                        format!("CPU%     {}", crate::format::percent(row.cpu_pct)),
                        format!("RSS      {}", crate::format::bytes(s.rss_bytes as f64)),
                        format!("name     {}", crate::cgroup::escape::visible(&s.comm)),
                        format!("command  {command}"),
                        format!("cgroup   {}", self.processes.cgroup),
                    ];
                    self.open_dialog(Dialog::text(
                        format!("process {}", s.pid),
                        Tone::Info,
                        lines,
                    ));
                }
            }
            _ => {}
        }
    }

    fn sort_text(&self) -> String {
        let (column, descending) = self.sort();
        format!(
            "sorted by {} {}",
            column.title(),
            if descending { "▼" } else { "▲" }
        )
    }

    /// `s`: the next of the columns on screen.
    fn sort_next(&mut self) {
        let shown: Vec<Column> = self.layout.columns.iter().map(|(c, _)| *c).collect();
        let current = shown
            .iter()
            .position(|c| *c == self.tree.view.sort)
            .unwrap_or(0);
        let next = shown.get((current + 1) % shown.len().max(1)).copied();
        self.tree
            .view
            .set_sort(next.unwrap_or(Column::Name), &self.model);
        self.status.hint(self.sort_text());
    }

    fn step_interval(&mut self, slower: bool) -> Vec<Effect> {
        let now = self.interval.as_secs_f64();
        let next = if slower {
            INTERVAL_STEPS.iter().find(|s| **s > now + 1e-9)
        } else {
            INTERVAL_STEPS.iter().rev().find(|s| **s < now - 1e-9)
        };
        match next {
            Some(secs) => {
                self.interval = Duration::from_secs_f64(*secs).clamp(MIN_INTERVAL, MAX_INTERVAL);
                self.status
                    .hint(format!("refresh every {}", interval_text(self.interval)));
                vec![Effect::SetInterval(self.interval)]
            }
            None => {
                self.status.hint(format!(
                    "refresh every {} already: the {} is {}",
                    interval_text(self.interval),
                    if slower { "ceiling" } else { "floor" },
                    interval_text(if slower { MAX_INTERVAL } else { MIN_INTERVAL })
                ));
                Vec::new()
            }
        }
    }

    fn expand_or_descend(&mut self) {
        let view = &mut self.tree.view;
        let Some(index) = view.selected_index() else {
            return;
        };
        let row = view.rows()[index];
        if !row.has_children {
            return;
        }
        if row.expanded {
            view.move_selection(1, &self.model);
        } else {
            let path = view.selected().clone();
            view.set_expanded(&path, true, &self.model);
        }
    }

    fn collapse_or_ascend(&mut self) {
        let view = &mut self.tree.view;
        let Some(index) = view.selected_index() else {
            return;
        };
        let row = view.rows()[index];
        let path = view.selected().clone();
        if row.expanded && row.has_children {
            view.set_expanded(&path, false, &self.model);
        } else if let Some(parent) = path.parent().filter(|p| p.starts_with(&view.top)) {
            view.reveal(&parent, &self.model);
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

    fn open_limits(&mut self) {
        let selected = self.tree.selected().clone();
        let node = self.selected_node();
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
                format!("{selected} has no limit files to edit (no controller enabled for it)"),
            );
            return;
        }
        self.lessons.observed.opened.insert("limits".into());
        self.open_dialog(Dialog::Limits {
            cgroup: selected,
            rows,
            selected: 0,
            read_only: self.read_only,
        });
    }

    fn open_controllers(&mut self) {
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

    fn freeze(&mut self) -> Vec<Effect> {
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

    fn kill(&mut self) -> Vec<Effect> {
        let selected = self.tree.selected().clone();
        let mut lines = vec![format!(
            "Kill every process in {selected} and below (cgroup.kill)? This cannot be undone."
        )];
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

    fn new_child(&mut self) {
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

    fn remove(&mut self) -> Vec<Effect> {
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

    fn undo(&mut self) -> Vec<Effect> {
        if !self.can_write() {
            return Vec::new();
        }
        self.undo_beyond_session = false;
        self.status.hint("looking for the latest change to undo…");
        vec![Effect::PlanUndo(UndoScope::Session(self.session.clone()))]
    }

    fn on_undo_planned(&mut self, scope: UndoScope, plan: Result<UndoPlan, String>) -> Vec<Effect> {
        match (plan, scope) {
            (Ok(plan), scope) => {
                let mut lines = vec![format!("Undo: {}?", plan.description)];
                if scope == UndoScope::Any && self.undo_beyond_session {
                    lines.push(
                        "This change was made from another cgtui or terminal: this session has \
                         made no change left to undo."
                            .into(),
                    );
                }
                self.status.clear();
                self.ask("undo", lines, Pending::Undo(plan))
            }
            (Err(_), UndoScope::Session(_)) => {
                self.undo_beyond_session = true;
                vec![Effect::PlanUndo(UndoScope::Any)]
            }
            (Err(reason), UndoScope::Any) => {
                self.status.say(Tone::Info, reason);
                Vec::new()
            }
        }
    }

    /// `P`: make the latest live change permanent, where systemd can keep it; elsewhere say
    /// what would.
    fn persist_last_change(&mut self) -> Vec<Effect> {
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

    fn pick_process_to_move(&mut self) {
        if self.focus != Focus::Processes {
            let tab = self.keymap.keys_for(Context::Main, Action::SwitchPane);
            self.status
                .hint(format!("{tab} to the process list, pick a process, then m"));
            return;
        }
        if !self.can_write() {
            return;
        }
        match self.processes.selected_row() {
            Some(row) => {
                let pid = row.sample.pid;
                self.moving = Some(pid);
                self.focus = Focus::Tree;
            }
            None => self.status.hint("no process selected"),
        }
    }

    fn move_here(&mut self) -> Vec<Effect> {
        let Some(pid) = self.moving.take() else {
            return Vec::new();
        };
        let cgroup = self.tree.selected().clone();
        self.ask(
            "move",
            vec![format!("Move process {pid} into {cgroup} (cgroup.procs)?")],
            Pending::Edit(Op::Move { pid, cgroup }, Change::default()),
        )
    }

    fn on_edited(&mut self, result: Result<Outcome, String>) -> Vec<Effect> {
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

    fn on_mouse(&mut self, mouse: MouseEvent) -> Vec<Effect> {
        let wheel = match mouse.kind {
            MouseEventKind::ScrollDown => Some(Action::Down),
            MouseEventKind::ScrollUp => Some(Action::Up),
            _ => None,
        };
        // Over a dialog or help, the wheel scrolls it and clicks go nowhere.
        if self.overlay_open() {
            return match wheel {
                Some(action) => (0..3).flat_map(|_| self.perform(action)).collect(),
                None => Vec::new(),
            };
        }
        let before = self.tree.selected().clone();
        let position = Position::new(mouse.column, mouse.row);
        let layout = &self.layout;
        let in_processes = layout.processes.contains(position);
        match (mouse.kind, wheel) {
            (_, Some(action)) if in_processes => {
                let delta = if action == Action::Down { 3 } else { -3 };
                self.processes.move_by(delta, layout.process_rows());
            }
            (_, Some(action)) => {
                let delta = if action == Action::Down { 3 } else { -3 };
                self.tree.view.move_selection(delta, &self.model);
            }
            (MouseEventKind::Down(MouseButton::Left), _) if in_processes => {
                // Title and column header take two lines.
                let line = (mouse.row - layout.processes.y) as usize;
                if line >= 2 {
                    let index = self.processes.offset + line - 2;
                    if index < self.processes.rows.len() {
                        self.focus = Focus::Processes;
                        self.processes.selected = index;
                    }
                }
            }
            (MouseEventKind::Down(MouseButton::Left), _) if layout.tree.contains(position) => {
                let line = (mouse.row - layout.tree.y) as usize;
                if line == 0 {
                    if let Some(column) = layout.column_at(mouse.column) {
                        self.tree.view.set_sort(column, &self.model);
                        self.status.hint(self.sort_text());
                    }
                } else {
                    self.focus = Focus::Tree;
                    let index = self.tree.offset + line - 1;
                    let view = &mut self.tree.view;
                    if index < view.rows().len() {
                        if view.selected_index() == Some(index) {
                            let path = view.selected().clone();
                            let expanded = view.is_expanded(&path);
                            view.set_expanded(&path, !expanded, &self.model);
                        } else {
                            view.select_index(index, &self.model);
                        }
                    }
                }
            }
            _ => return Vec::new(),
        }
        self.tree.scroll_to_selection(self.layout.tree_rows());
        self.focus_effect(&before)
    }
}
