//! Application state and how each event changes it. No terminal I/O happens here: the runtime
//! feeds events in and carries the returned effects out, and tests do the same with scripted
//! events and actions.
//!
//! Keys become [`Action`]s through the one [`keymap::Keymap`] table; everything the app does is
//! an action's handler. The state is split by what it is about: the tree pane, the process
//! pane, the dialogs, the lessons, the status and message log, and the layout.
//!
//! The [`App`]'s code is split by what it does: [`event`] applies events, `dispatch` routes an
//! action by what is open, `navigation` moves around, and `changes` turns actions into pending
//! changes and handles their answers. This file holds the state, the read-only views and what
//! follows every event (`after`).

pub mod action;
mod changes;
pub mod dialog;
mod dispatch;
pub mod effect;
mod event;
pub mod help;
pub mod keymap;
pub mod layout;
pub mod lessons;
pub mod names;
mod navigation;
pub mod process_pane;
pub mod reads;
pub mod recorded;
pub mod signals;
pub mod status;
pub mod tree_pane;

pub use action::{Action, Context};
pub use effect::Effect;
pub use event::{Event, Replayed};

use crate::cgroup::CgroupPath;
use crate::cgroup::devices::{Devices, Disk};
use crate::cgroup::edit::{Op, Outcome};
use crate::cgroup::predict::Prediction;
use crate::model::Model;
use crate::model::rates::RateRules;
use crate::model::view::Column;
use crate::theme::Theme;
use crossterm::event::KeyEvent;
use dialog::{Dialog, InputForm};
use keymap::Keymap;
use layout::{Layout, LayoutPrefs};
use lessons::LessonsState;
use process_pane::{ProcessPane, UserNames};
use ratatui::layout::Rect;
use status::Status;
use std::time::{Duration, Instant};
use tree_pane::TreePane;

/// Which pane the movement keys act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Tree,
    Processes,
}

pub use crate::interval::{MAX_INTERVAL, MIN_INTERVAL};

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
    /// CPUs of the machine, for the header and the CPU sparkline's top; 0: not known (another host's tree).
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
    /// Each column's thresholds (config `[thresholds]`).
    pub thresholds: crate::model::column::ColumnThresholds,
    /// The config file the column chooser saves into (`--config`, or the default place).
    pub config_path: Option<std::path::PathBuf>,
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
            // Online CPUs, as the rates' capacity (not available_parallelism(): that is cut
            // by cgtui's own cgroup quota and affinity).
            cpus: crate::cgroup::sample::online_cpus()
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
            uid: rustix::process::geteuid().as_raw(),
            session: String::new(),
            resolve_names: false,
            stats: false,
            known_users: Vec::new(),
            hierarchy_controllers: None,
            replay: false,
            recorded_history: false,
            cpu_scale: Default::default(),
            thresholds: Default::default(),
            config_path: None,
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
    /// The limits list's latest row (its label): the list reopens there.
    limits_row: Option<String>,
    /// Help is open, scrolled by this many lines.
    pub(crate) help: Option<usize>,
    pub(crate) lessons: LessonsState,
    pub(crate) status: Status,
    pub(crate) prefs: LayoutPrefs,
    /// The layout for the latest terminal size (rendering recomputes it from its frame).
    pub(crate) layout: Layout,
    /// Where rendering last drew the open dialog's rows and buttons, for the mouse.
    pub(crate) drawn_dialog: std::cell::RefCell<Option<layout::DrawnDialog>>,
    pub(crate) keymap: Keymap,
    pub(crate) theme: Theme,
    pub(crate) columns: Vec<Column>,
    pub(crate) thresholds: crate::model::column::ColumnThresholds,
    pub(crate) config_path: Option<std::path::PathBuf>,
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
    /// That process in words (`340 nginx`), for the confirmation.
    moving_what: String,
    /// A change is being carried out; further changes wait for it.
    busy: bool,
    /// The latest successful `set`, which `P` can make permanent.
    last_set: Option<Outcome>,
    session: String,
    /// Questions for the engines, sent with the next effects.
    names_pending: Vec<Effect>,
    /// What the sampler was last told to read.
    told_reads: crate::collect::plan::Reads,
    /// The latest update changed nothing on screen: the runtime need not draw for it.
    screen_unchanged: bool,
    /// The interval the sampler keeps (longer than `interval` when its CPU budget stretched it).
    sampler_interval: Duration,
    /// Show the latest pass's figures in the header (`--stats`).
    pub(crate) show_stats: bool,
    pub(crate) pass_stats: Option<crate::collect::PassStats>,
    /// Every pass's figures added up (`--stats` prints them on exit).
    pass_totals: crate::collect::PassTotals,
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
        let mut keymap = options.keymap;
        if options.read_only {
            keymap.remove(Action::Signal);
        }
        App {
            typed_ahead: Vec::new(),
            model: Model::new(options.base, options.devices)
                .with_hierarchy_controllers(options.hierarchy_controllers)
                .with_rate_rules(RateRules::for_this_host(options.interval)),
            tree,
            processes: ProcessPane::default(),
            focus: Focus::Tree,
            dialog: None,
            prediction: None,
            resume_form: None,
            limits_row: None,
            help: None,
            lessons: LessonsState::default(),
            status: Status::default(),
            layout: Layout::new(Rect::new(0, 0, 80, 24), &prefs, &columns),
            drawn_dialog: Default::default(),
            prefs,
            keymap,
            theme: options.theme,
            columns,
            thresholds: options.thresholds,
            config_path: options.config_path,
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
            moving_what: String::new(),
            busy: false,
            last_set: None,
            session: options.session,
            names_pending: Vec::new(),
            told_reads: crate::collect::plan::Reads::default(),
            screen_unchanged: false,
            sampler_interval: options.interval,
            show_stats: options.stats,
            pass_stats: None,
            pass_totals: crate::collect::PassTotals::default(),
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
    pub fn pass_totals(&self) -> crate::collect::PassTotals {
        self.pass_totals
    }

    /// Cgroups in the tree (as known from samples and inotify).
    /// The tree and its values, as the screen draws them.
    pub fn model(&self) -> &Model {
        &self.model
    }

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

    /// The filter prompt (`/`) is open.
    pub fn filter_editing(&self) -> bool {
        self.tree.filter_editing
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
                Dialog::Limits { .. }
                | Dialog::Controllers { .. }
                | Dialog::UndoList { .. }
                | Dialog::Signals(_) => Context::Form,
                Dialog::Input(_) => Context::Input,
                Dialog::Confirm { .. } => Context::Confirm,
                Dialog::Text { .. } => Context::Text,
                Dialog::Columns(_) => Context::Columns,
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
            } else if self.tree.selected_process().is_some() {
                contexts.push(Context::TreeProcess);
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
                    || !self.does_something(binding.action)
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

    /// Does `action` do something in the dialog that is open (the footer offers only what
    /// does)? Outside a dialog every bound action does.
    pub fn does_something(&self, action: Action) -> bool {
        match (&self.dialog, action) {
            (Some(Dialog::Limits { read_only, .. }), Action::Activate | Action::DirectWrite) => {
                !read_only
            }
            (Some(Dialog::Controllers { read_only, .. }), Action::Activate) => !read_only,
            (
                Some(Dialog::Controllers { .. } | Dialog::UndoList { .. } | Dialog::Signals(_)),
                Action::DirectWrite,
            ) => false,
            (Some(Dialog::Text { fix, .. }), Action::Fix) => fix.is_some(),
            _ => true,
        }
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
    /// Is `event` a key that quits in the current state (`q` in the main view, Ctrl-C
    /// anywhere), or a signal? The loop looks at the first input of a batch of queued events
    /// before the rest: quitting never waits behind a backlog of tree events (after a storm of
    /// cgroups made and removed, on a slow machine).
    pub fn quits(&self, event: &Event) -> bool {
        match event {
            Event::Key(key) if key.kind != crossterm::event::KeyEventKind::Release => {
                self.keymap.resolve(&self.contexts(), key) == Some(Action::Quit)
            }
            Event::Signal(_) => true,
            _ => false,
        }
    }

    pub fn update(&mut self, event: Event) -> Vec<Effect> {
        self.screen_unchanged = false;
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

    /// Whether the latest update changed what is drawn (if not, no frame is needed for it).
    pub fn screen_changed(&self) -> bool {
        !self.screen_unchanged
    }

    /// Whether the first screen is whole: the tree's shape is known and every row the
    /// sampler was told to read has its first read. Until then the runtime holds its frames
    /// (for a moment at most): each report of the start would otherwise cost a frame.
    pub fn first_screen_whole(&self) -> bool {
        self.loaded
            && self.told_reads.every_pass.iter().all(|path| {
                self.model
                    .get(path)
                    .is_none_or(|node| node.sample.is_some())
            })
    }

    /// What the sampler must read for the tree's window (see [`reads`]), if it differs from
    /// what it was last told.
    fn visible_changed(&mut self) -> Option<Effect> {
        let mut reads = reads::plan(
            &self.model,
            &self.tree.view,
            self.tree.offset,
            self.layout.tree_rows(),
        );
        reads.memory_stat = self.columns.iter().any(|c| c.needs_memory_stat());
        reads.processes_of =
            self.tree
                .view
                .process_cgroups(&self.model, self.tree.offset, self.layout.tree_rows());
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

    fn open_dialog(&mut self, dialog: Dialog) {
        self.dialog = Some(dialog);
    }

    fn selected_node(&self) -> Option<&crate::model::Node> {
        self.model.get(self.tree.selected())
    }
}
