//! The interactive runtime: terminal setup and restore, the producer threads, and the one loop
//! that receives events, updates the App and draws.

use crate::app::dialog::Fixup;
use crate::app::keymap::Keymap;
use crate::app::{App, Effect, Event};
use crate::cgroup::watch::{CounterWatches, WatchEvent, Watcher};
use crate::cgroup::{CgroupPath, Cgroupfs};
use crate::collect::sampler::{Command, Report, Sampler};
use crate::editor::Editor;
use crate::model::TreeSample;
use crate::model::view::Column;
use crate::theme::Theme;
use anyhow::{Context, Result};
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{Read, Stdout, stdout};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::{Duration, Instant};

pub struct Options {
    pub fs: Cgroupfs,
    pub base: CgroupPath,
    pub interval: Duration,
    pub mouse: bool,
    /// Cap inotify watches, and where the cap comes from (`--max-watches`, the config's
    /// `max_watches`).
    pub max_watches: Option<(usize, String)>,
    /// Ask Docker and Podman for container names (`--resolve-names`).
    pub resolve_names: bool,
    /// Disable every write path.
    pub read_only: bool,
    /// The share of one CPU the sampler may use (0.05 = 5 %).
    pub cpu_budget: f64,
    pub keymap: Keymap,
    pub theme: Theme,
    /// Value columns of the tree, in order.
    pub columns: Vec<Column>,
    pub sort: Column,
    /// Show what each pass of the sampler reads and costs in the header.
    pub stats: bool,
    /// `cgtui replay`: show this store from this time (Unix ms; default the newest sample)
    /// instead of the live tree.
    pub replay: Option<(std::path::PathBuf, Option<i64>)>,
    /// The live TUI's sparklines reach back into this store while a recorder writes it; true
    /// when it was given (`--store`), so that its problems are said. `None`: `--no-store`.
    pub store_history: Option<(std::path::PathBuf, bool)>,
    /// The top of the CPU sparkline.
    pub cpu_scale: crate::model::series::CpuScale,
    /// Each column's thresholds (config `[thresholds]`).
    pub thresholds: crate::model::column::ColumnThresholds,
    /// Where the column chooser saves `columns`.
    pub config_path: Option<std::path::PathBuf>,
    /// A source other than this host (`cgtui --prometheus`): it feeds the tree instead of the
    /// sampler, as a store does in replay.
    pub remote: Option<RemoteSource>,
}

/// Moves through time, as the replay keys send them.
pub type Moves = Sender<crate::app::action::ReplayMove>;

/// Trees from elsewhere, as a replay thread sends them.
pub type Feed = Box<dyn Fn(crate::app::Replayed) + Send>;

/// A source of trees other than the kernel and a store, known to the runtime only by what it
/// sends: the app never learns where (or over which protocol) the trees come from.
pub struct RemoteSource {
    /// Where the tree comes from, for the header.
    pub name: String,
    /// The replay keys move it through time; else it is live and they are not bound.
    pub replay: bool,
    /// How often it refreshes, for the header (live).
    pub interval: Option<Duration>,
    /// Start it (before the terminal is taken: its error reads plainly): it sends each tree to
    /// the feed, and takes the moves from the returned channel.
    pub start: Box<dyn FnOnce(Feed) -> Result<Moves>>,
}

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The quit key (or every producer went away).
    Quit,
    /// A signal (SIGTERM, SIGINT, SIGHUP), or the terminal went away.
    Signal,
}

/// Put the terminal back: leave the alternate screen, stop mouse reporting, cooked mode,
/// visible cursor. Safe to call more than once, and from a panic hook.
pub fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        stdout(),
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// [`restore_terminal`], and let go of ratatui's Terminal: it shows the cursor when dropped
/// and says so on stderr when it cannot; on a terminal that hung up, stderr is gone too, and
/// saying so would panic.
pub fn release_terminal(mut terminal: Terminal<CrosstermBackend<Stdout>>) {
    restore_terminal();
    if terminal.show_cursor().is_err() {
        std::mem::forget(terminal);
    }
}

pub fn setup_terminal(mouse: bool) -> Result<Terminal<CrosstermBackend<Stdout>>> {
    enable_raw_mode().context("cannot switch the terminal to raw mode (is stdin a terminal?)")?;
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        hook(info);
        // A panic on any thread (sampler, watcher) is a bug: leave with a sane terminal rather
        // than keep drawing over the restored screen.
        std::process::exit(101);
    }));
    let mut out = stdout();
    execute!(out, EnterAlternateScreen).context("cannot enter the alternate screen")?;
    // A paste arrives as one event of text, never as keys that could run actions.
    execute!(out, EnableBracketedPaste).context("cannot enable bracketed paste")?;
    if mouse {
        execute!(out, EnableMouseCapture).context("cannot enable mouse reporting")?;
    }
    let terminal = Terminal::new(CrosstermBackend::new(out)).context("cannot start drawing")?;
    Ok(terminal)
}

/// The terminal's input as events, until it is told to stop: then the thread ends without
/// taking another key (joined, so that what comes after the TUI, the instance picker, reads
/// them). Idle, it sleeps in `poll` until a key, a resize or the stop: no periodic wakeups.
fn spawn_input(events: Sender<Event>) -> (thread::JoinHandle<()>, InputStop) {
    let (terminal, stop) = TerminalInput::open_stoppable();
    let stopped = stop.flag.clone();
    let thread = crate::thread::spawn_named("cgtui-input", move || {
        loop {
            if stopped.load(std::sync::atomic::Ordering::Relaxed) {
                return;
            }
            let event = match terminal.next(None) {
                Next::Idle => continue,
                Next::Event(crossterm::event::Event::Key(key)) => Event::Key(key),
                Next::Event(crossterm::event::Event::Mouse(mouse)) => Event::Mouse(mouse),
                Next::Event(crossterm::event::Event::Paste(text)) => Event::Paste(text),
                Next::Event(crossterm::event::Event::Resize(w, h)) => Event::Resize(w, h),
                Next::Event(_) => continue,
                // stdin closed or hung up: behave as if the terminal went away.
                Next::Gone => Event::Signal(signal_hook::consts::SIGHUP),
            };
            let gone = matches!(event, Event::Signal(_));
            if events.send(event).is_err() || gone {
                return;
            }
        }
    });
    (thread, stop)
}

/// Tells the input thread to end, waking it from its wait.
struct InputStop {
    flag: Arc<std::sync::atomic::AtomicBool>,
    wake: Option<std::os::unix::net::UnixStream>,
}

impl InputStop {
    fn stop(&self) {
        use std::io::Write;
        self.flag.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(mut wake) = self.wake.as_ref() {
            let _ = wake.write(&[1]);
        }
    }
}

/// Whether `error` comes from writing to a terminal that is no longer there.
fn terminal_gone(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|e| {
            let errno = e.raw_os_error().map(rustix::io::Errno::from_raw_os_error);
            e.kind() == std::io::ErrorKind::BrokenPipe
                || errno == Some(rustix::io::Errno::IO)
                || errno == Some(rustix::io::Errno::NXIO)
        })
    })
}

/// Waits for the input thread to end, but not for long: a thread caught in crossterm's read
/// of a terminal that hung up never ends, and must not keep the process (spinning) after the
/// user is gone.
fn join_input(input: thread::JoinHandle<()>) {
    let deadline = Instant::now() + Duration::from_secs(1);
    while !input.is_finished() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    if input.is_finished() {
        let _ = input.join();
    }
}

/// Whether the terminal has input, asked of the kernel before crossterm is: crossterm's reader
/// spins forever reading 0 bytes from a terminal that hung up (its window closed, the ssh
/// connection dropped, its tmux server killed), so it is called only when there is input.
pub(crate) struct TerminalInput {
    /// The terminal crossterm reads: stdin, or `/dev/tty` when stdin is not one.
    tty: Option<std::os::fd::OwnedFd>,
    /// Readable when the window was resized: crossterm learns it from its own signal pipe,
    /// which this wait does not see. With the handler's id, removed when this goes.
    resized: Option<(std::os::unix::net::UnixStream, signal_hook::SigId)>,
    /// Readable when the waiter is told to stop ([`InputStop`]).
    woken: Option<std::os::unix::net::UnixStream>,
    /// crossterm may hold events it read with the last one: asked before waiting.
    maybe_buffered: std::cell::Cell<bool>,
    /// A resize seen by the wait, not yet given.
    resize_pending: std::cell::Cell<bool>,
}

enum Readiness {
    Idle,
    Ready,
    /// The window was resized (SIGWINCH).
    Resized,
    Gone,
}

/// What the terminal gave.
pub(crate) enum Next {
    /// Nothing within the time allowed (or the wait was woken).
    Idle,
    Event(crossterm::event::Event),
    /// It hung up, or its input cannot be read.
    Gone,
}

impl TerminalInput {
    pub(crate) fn open() -> Self {
        use std::io::IsTerminal;
        use std::os::fd::AsFd;
        let tty = if std::io::stdin().is_terminal() {
            std::io::stdin().as_fd().try_clone_to_owned().ok()
        } else {
            std::fs::File::open("/dev/tty").ok().map(Into::into)
        };
        let resized = std::os::unix::net::UnixStream::pair()
            .ok()
            .and_then(|(reader, writer)| {
                reader.set_nonblocking(true).ok()?;
                let id =
                    signal_hook::low_level::pipe::register(signal_hook::consts::SIGWINCH, writer)
                        .ok()?;
                Some((reader, id))
            });
        Self {
            tty,
            resized,
            woken: None,
            maybe_buffered: std::cell::Cell::new(true),
            resize_pending: std::cell::Cell::new(false),
        }
    }

    /// [`TerminalInput::open`], and what stops its waits.
    fn open_stoppable() -> (Self, InputStop) {
        let mut input = TerminalInput::open();
        let (woken, wake) = match std::os::unix::net::UnixStream::pair() {
            Ok((woken, wake)) => (Some(woken), Some(wake)),
            Err(_) => (None, None),
        };
        input.woken = woken;
        let stop = InputStop {
            flag: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            wake,
        };
        (input, stop)
    }

    /// The next event, waiting at most `timeout` for one (`None`: until there is one, or the
    /// wait is woken; 200 ms at a time without a way to be woken).
    pub(crate) fn next(&self, timeout: Option<Duration>) -> Next {
        let timeout = match (timeout, &self.woken) {
            (None, None) => Some(Duration::from_millis(200)),
            (timeout, _) => timeout,
        };
        // A millisecond, not zero: crossterm's reader does not look at the terminal at all
        // when given no time.
        let read = || {
            let next = match crossterm::event::poll(Duration::from_millis(1)) {
                Ok(true) => crossterm::event::read().map_or(Next::Gone, Next::Event),
                Ok(false) => Next::Idle,
                Err(_) => Next::Gone,
            };
            self.maybe_buffered.set(matches!(next, Next::Event(_)));
            next
        };
        // What crossterm holds already (it reads more than one event at a time), unless the
        // terminal hung up: then crossterm must not be asked at all.
        if self.maybe_buffered.get() {
            if let Readiness::Gone = self.wait(Some(Duration::ZERO)) {
                return Next::Gone;
            }
            match read() {
                Next::Idle => {}
                other => return other,
            }
        }
        // A resize is said from the terminal's size, not waited for from crossterm: it learns
        // of it from its own signal pipe, maybe only after this wait ends (its Resize then
        // comes too, and changes nothing).
        let resized = || {
            self.resize_pending.set(false);
            self.maybe_buffered.set(true);
            match crossterm::terminal::size() {
                Ok((width, height)) => Next::Event(crossterm::event::Event::Resize(width, height)),
                Err(_) => Next::Idle,
            }
        };
        if self.resize_pending.get() {
            return resized();
        }
        match self.wait(timeout) {
            Readiness::Idle => Next::Idle,
            Readiness::Gone => Next::Gone,
            Readiness::Ready => read(),
            Readiness::Resized => resized(),
        }
    }

    fn wait(&self, timeout: Option<Duration>) -> Readiness {
        use rustix::event::{PollFd, PollFlags, Timespec, poll};
        let Some(tty) = &self.tty else {
            // No descriptor to ask: crossterm's own wait, as before.
            return match crossterm::event::poll(timeout.unwrap_or(Duration::from_millis(200))) {
                Ok(false) => Readiness::Idle,
                Ok(true) => Readiness::Ready,
                Err(_) => Readiness::Gone,
            };
        };
        let timeout = timeout.map(|t| Timespec {
            tv_sec: t.as_secs() as _,
            tv_nsec: t.subsec_nanos() as _,
        });
        let mut fds = vec![PollFd::new(tty, PollFlags::IN)];
        let resized_at = self.resized.as_ref().map(|(resized, _)| {
            fds.push(PollFd::new(resized, PollFlags::IN));
            fds.len() - 1
        });
        let woken_at = self.woken.as_ref().map(|woken| {
            fds.push(PollFd::new(woken, PollFlags::IN));
            fds.len() - 1
        });
        let ready = poll(&mut fds, timeout.as_ref());
        let has = |at: Option<usize>| at.is_some_and(|i| !fds[i].revents().is_empty());
        let resized = has(resized_at);
        if resized {
            let mut drain = [0u8; 64];
            while let Some(Ok(1..)) = self.resized.as_ref().map(|(r, _)| (&*r).read(&mut drain)) {}
            self.resize_pending.set(true);
        }
        if has(woken_at) {
            return Readiness::Idle;
        }
        let tty = fds[0].revents();
        match ready {
            Err(rustix::io::Errno::INTR) | Ok(_) if tty.is_empty() && !resized => Readiness::Idle,
            Err(rustix::io::Errno::INTR) | Ok(_) if tty.is_empty() => Readiness::Resized,
            Err(rustix::io::Errno::INTR) => Readiness::Ready,
            Err(_) => Readiness::Gone,
            Ok(_) if tty.intersects(PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL) => {
                Readiness::Gone
            }
            // Input (with a resize: the input first, the resize at the next call).
            Ok(_) => Readiness::Ready,
        }
    }
}

impl Drop for TerminalInput {
    fn drop(&mut self) {
        if let Some((_, id)) = self.resized.take() {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// Whether SIGTERM, SIGINT or SIGHUP came, for a screen without the TUI's own signal thread
/// (the instance picker): handled from the first call on, so that the terminal is restored.
pub(crate) fn termination_requested() -> bool {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicBool, Ordering};
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        for signal in [
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGHUP,
        ] {
            // Without the handler the signal kills the process as before: the terminal is
            // left raw, but nothing else changes.
            let _ = signal_hook::flag::register(signal, flag.clone());
        }
        flag
    })
    .load(Ordering::Relaxed)
}

fn spawn_signals(events: Sender<Event>) -> Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGINT, SIGHUP])
        .context("cannot install signal handlers")?;
    crate::thread::spawn_named("cgtui-signals", move || {
        if let Some(signal) = signals.forever().next() {
            let _ = events.send(Event::Signal(signal));
        }
    });
    Ok(())
}

/// The watcher of the tree: every cgroup's directory, and the `cgroup.events` and
/// `memory.events` of the cgroups the sampler follows (the rows on screen, through the
/// returned [`CounterWatches`]): a parent's `populated` and its `memory.events` count its
/// descendants' processes and OOM kills, so a collapsed or scrolled-off child's change shows on
/// its ancestor on screen, and rows without a watch have both files read every pass. Under the
/// `memory_localevents` mount option a parent counts only its own OOM kills, and every
/// cgroup's `cgroup.events` and `memory.events` are watched. `pids.events` is shown nowhere in the TUI but the focus's details, read fully every
/// pass: it is not watched.
fn make_watcher(
    fs: &Cgroupfs,
    base: &CgroupPath,
    max_watches: Option<(usize, &str)>,
) -> std::io::Result<(Watcher, Option<CounterWatches>)> {
    let local_events = fs.mount().is_some_and(|m| m.options.memory_localevents);
    let watcher = Watcher::new(fs.clone(), base.clone())?
        .with_watch_budget_from(
            max_watches.map(|(n, _)| n),
            max_watches.map_or("", |(_, s)| s),
        )
        .without_pids_events()
        .reporting_each_unwatched();
    if local_events {
        return Ok((watcher, None));
    }
    let watcher = watcher
        .without_counter_files()
        .with_cgroup_events_of_followed_only();
    let counters = watcher.counter_watches();
    Ok((watcher, counters))
}

fn spawn_watcher(mut watcher: Watcher, events: Sender<Event>, sampler: Sender<Command>) {
    crate::thread::spawn_named("cgtui-watcher", move || {
        let sender = events.clone();
        let mut forward = move |event| match event {
            // A cgroup inotify cannot watch is the sampler's to poll.
            WatchEvent::Unwatched {
                path,
                directory,
                children,
                ..
            } => {
                let poll = Command::PollAlone {
                    path,
                    directory,
                    children,
                };
                sampler.send(poll).is_ok()
            }
            event => sender.send(Event::Watch(event)).is_ok(),
        };
        // Watching lists every directory once (each after its watch is in place, so nothing
        // created meanwhile is missed): that listing is the tree's shape, and the sampler
        // does not walk the tree again. Later changes arrive as events.
        let started = Instant::now();
        watcher.watch_existing(&mut forward);
        let shape = TreeSample {
            started,
            finished: Instant::now(),
            complete: true,
            cgroups: watcher.cgroups().map(|path| (path.clone(), None)).collect(),
        };
        if events.send(Event::Tree(shape)).is_err() {
            return;
        }
        if let Err(e) = watcher.watch_events(forward) {
            let _ = events.send(Event::WatcherFailed(e.to_string()));
        }
    });
}

/// The thread that asks the container engines (`--resolve-names`): one question at a time,
/// each bounded by the resolver's timeouts, answers cached there. Off the UI thread, so an
/// engine that never answers costs a few seconds of names, never a frozen screen.
fn spawn_names(events: Sender<Event>) -> Sender<Vec<crate::cgroup::workload::Workload>> {
    let (questions, receiver) = mpsc::channel::<Vec<crate::cgroup::workload::Workload>>();
    crate::thread::spawn_named("cgtui-names", move || {
        let mut resolver = crate::cgroup::workload::engine::Resolver::default();
        while let Ok(mut workloads) = receiver.recv() {
            // Questions that queued up while an engine was slow are answered together.
            workloads.extend(receiver.try_iter().flatten());
            let mut found = Vec::new();
            for workload in &workloads {
                let now = Instant::now();
                if let (Some(source), Some(id), Some(container)) = (
                    crate::cgroup::workload::engine::Source::of(workload),
                    workload.full_id.clone(),
                    resolver.lookup(workload, now).cloned(),
                ) {
                    found.push((source, id, container));
                }
            }
            let errors = resolver.errors();
            if events.send(Event::Names { found, errors }).is_err() {
                return;
            }
        }
    });
    questions
}

fn spawn_sampler(
    options: &Options,
    screen_rows: u16,
    counter_watches: Option<CounterWatches>,
    events: Sender<Event>,
) -> Sender<Command> {
    let (commands, receiver) = mpsc::channel();
    let mut sampler = Sampler::new(options.fs.clone(), options.base.clone(), options.interval);
    sampler.counter_watches = counter_watches;
    sampler.cpu_budget = options.cpu_budget;
    // The watcher reports the tree's shape; the sampler reads what the view asks for.
    sampler.own_shape = false;
    sampler.stats = options.stats;
    sampler.process_limit = usize::from(screen_rows) + crate::collect::sampler::PROCESS_MARGIN;
    crate::thread::spawn_named("cgtui-sampler", move || {
        sampler.run(receiver, move |report| events.send(sampled(report)).is_ok())
    });
    commands
}

/// The sampler's report as the loop's event.
fn sampled(report: Report) -> Event {
    match report {
        Report::Tree(tree) => Event::Tree(tree),
        Report::CaughtUp(rows) => Event::CaughtUp(rows),
        Report::PassStats(stats) => Event::PassStats(stats),
        Report::Focused(path, sample) => Event::Focused(path, sample),
        Report::Processes {
            cgroup,
            processes,
            total,
            at,
        } => Event::Processes {
            cgroup,
            processes,
            total,
            at,
        },
        Report::SubtreeProcesses {
            cgroup,
            processes,
            total,
            at,
        } => Event::SubtreeProcesses {
            cgroup,
            processes,
            total,
            at,
        },
        Report::Status(status) => Event::Sampler(status),
        Report::Watch(event) => Event::Watch(event),
        Report::Pass(reports) => Event::Batch(reports.into_iter().map(sampled).collect()),
    }
}

pub fn run(options: Options) -> Result<()> {
    run_until(options).map(|_| ())
}

/// The TUI until it quits, and why it did.
pub fn run_until(mut options: Options) -> Result<Ended> {
    let remote = options.remote.take();
    let own =
        crate::cgroup::process::cgroup_of(&options.fs, crate::cgroup::process::ProcRef::Own, None);
    let source = match (&options.replay, options.fs.mount()) {
        _ if remote.is_some() => remote.as_ref().map_or_else(String::new, |r| r.name.clone()),
        // Replay shows its store, not the hierarchy (nor the mount's `rw`).
        (Some((store, _)), _) => format!("store {}", crate::cgroup::escape::visible_path(store)),
        (None, Some(m)) => {
            let opts = m
                .options
                .all
                .iter()
                .filter(|o| *o != "rw")
                .cloned()
                .collect::<Vec<_>>()
                .join(",");
            format!(
                "cgroup2 at {} ({})",
                crate::cgroup::escape::visible_path(&m.mount_point),
                if opts.is_empty() { "rw".into() } else { opts }
            )
        }
        (None, None) => match options.fs.fixture_origin() {
            Some(origin) => format!(
                "fixture {} (changes in memory only)",
                crate::cgroup::escape::visible_path(origin)
            ),
            None => format!(
                "fixture {}",
                crate::cgroup::escape::visible_path(options.fs.mount_point())
            ),
        },
    };
    let editor = Arc::new(Editor::new(
        options.fs.clone(),
        crate::journal::Journal::for_fs(&options.fs),
        options.read_only,
    ));
    let mut app = App::new(
        crate::app::Options {
            own_cgroup: own,
            interval: options.interval,
            read_only: options.read_only,
            keymap: options.keymap.clone(),
            theme: options.theme,
            columns: options.columns.clone(),
            sort: options.sort,
            session: editor.session_id().to_string(),
            resolve_names: options.resolve_names,
            stats: options.stats,
            known_users: options.fs.fixture_users(),
            hierarchy_controllers: options.fs.hierarchy_controllers(),
            replay: options.replay.is_some() || remote.as_ref().is_some_and(|r| r.replay),
            recorded_history: options.store_history.is_some() || options.replay.is_some(),
            cpu_scale: options.cpu_scale,
            thresholds: options.thresholds.clone(),
            config_path: options.config_path.clone(),
            ..crate::app::Options::new(options.base.clone(), options.fs.devices(), source)
        },
        Instant::now(),
    );
    if remote.is_some() {
        // Another host's CPUs: unknown (0) until its exporter says, never this machine's.
        app.cpus = 0;
    } else if let Some(cpus) = options.fs.host_cpus() {
        // A fixture's are the captured host's.
        app.cpus = cpus;
    }

    let (events, receiver) = mpsc::channel();
    // Open the store before the terminal is taken, so that its errors read plainly.
    let replay = match &options.replay {
        Some((store, at)) => {
            let events = events.clone();
            Some(crate::history::replay::spawn(
                store,
                *at,
                options.base.clone(),
                move |replayed| {
                    let _ = events.send(Event::Replayed(Box::new(replayed)));
                },
            )?)
        }
        None => match remote {
            Some(remote) => {
                let events = events.clone();
                Some((remote.start)(Box::new(move |replayed| {
                    let _ = events.send(Event::Replayed(Box::new(replayed)));
                }))?)
            }
            None => None,
        },
    };
    spawn_signals(events.clone())?;
    let mut terminal = setup_terminal(options.mouse)?;
    let mut input_stop = None;
    let mut input = None;
    let result = (|| {
        // A hidden switch for the test that the terminal survives a panic.
        if std::env::var_os("CGTUI_TEST_PANIC").is_some() {
            panic!("CGTUI_TEST_PANIC is set: panicking on purpose");
        }
        let size = terminal.size().context("cannot read the terminal size")?;
        app.resize(size.width, size.height);
        let (thread, stop) = spawn_input(events.clone());
        input = Some(thread);
        input_stop = Some(stop);
        let commands = if replay.is_some() {
            // Replay: recorded samples only; the sampler's commands go nowhere.
            mpsc::channel().0
        } else {
            let max_watches = options
                .max_watches
                .as_ref()
                .map(|(n, source)| (*n, source.as_str()));
            match make_watcher(&options.fs, &options.base, max_watches) {
                Ok((watcher, counters)) => {
                    let commands = spawn_sampler(&options, size.height, counters, events.clone());
                    spawn_watcher(watcher, events.clone(), commands.clone());
                    commands
                }
                Err(e) => {
                    let _ = events.send(Event::WatcherFailed(e.to_string()));
                    spawn_sampler(&options, size.height, None, events.clone())
                }
            }
        };
        let actor = crate::cgroup::predict::Actor::current(&options.fs);
        let names = options.resolve_names.then(|| spawn_names(events.clone()));
        // Replay's sparklines are its store's, up to the moment on screen.
        let store = match &options.replay {
            Some((dir, _)) => Some((dir.clone(), true)),
            None => options.store_history.clone(),
        };
        let recorded = store.map(|(dir, explicit)| {
            let events = events.clone();
            crate::history::backfill::spawn(dir, explicit, move |answer| {
                events.send(Event::Recorded(Box::new(answer))).is_ok()
            })
        });
        let events_for_edits = events.clone();
        drop(events);
        event_loop(
            &mut app,
            &mut terminal,
            &receiver,
            &commands,
            &editor,
            &events_for_edits,
            &actor,
            names.as_ref(),
            replay.as_ref(),
            recorded.as_ref(),
        )
    })();
    if let Some(stop) = &input_stop {
        stop.stop();
    }
    if let Some(input) = input {
        join_input(input);
    }
    // A terminal that went away mid-frame ends the TUI as a hangup does, quietly: there is
    // no one to read an error.
    let result = match result {
        Err(e) if terminal_gone(&e) => Ok(Ended::Signal),
        result => result,
    };
    release_terminal(terminal);
    if options.stats {
        use std::io::Write;
        // Not println!: it panics when the terminal is gone.
        let mut out = stdout();
        let _ = writeln!(out, "cgtui --stats: {}", app.pass_totals().text());
        if let Some(watcher) = &app.status.notices.watcher {
            let _ = writeln!(out, "cgtui --stats: {watcher}");
        }
    }
    result
}

/// How long to wait for the next event: forever, unless an OOM flash must be taken off the
/// screen when it ends. Idle, the loop wakes only for the sampler's ticks.
fn wait_limit(app: &App) -> Option<Duration> {
    app.flash_ends()?
        .checked_duration_since(Instant::now())
        .map(|d| d + Duration::from_millis(10))
}

/// Carry out a change off the UI thread; its outcome comes back as an event.
fn spawn_edit(editor: &Arc<Editor>, effect: Effect, events: &Sender<Event>) {
    let (editor, events) = (editor.clone(), events.clone());
    crate::thread::spawn_named("cgtui-edit", move || {
        let event = match effect {
            Effect::Playground => Event::PlaygroundReady(
                crate::playground::create_any(&editor.fs)
                    .map(|(made, mut placeholder)| {
                        // Reap the placeholder when its scope is stopped.
                        thread::spawn(move || placeholder.wait());
                        (made.cgroup, made.unit)
                    })
                    .map_err(|e| format!("{e:#}")),
            ),
            Effect::Explain(cgroup) => Event::Explained(Box::new(crate::cgroup::explain::explain(
                &editor.fs, &cgroup,
            ))),
            Effect::StopPlayground(unit) => Event::PlaygroundStopped(
                crate::playground::stop(&unit)
                    .map(|()| unit)
                    .map_err(|e| format!("{e:#}")),
            ),
            Effect::Signal(request) => Event::Signalled(
                editor
                    .signal(&request)
                    .map_err(|e| format!("{e:#}"))
                    .and_then(|answer| answer),
            ),
            Effect::ListUndo => Event::UndoListed(
                editor
                    .undo_list(&crate::editor::UndoScope::Any)
                    .map_err(|e| format!("{e:#}")),
            ),
            effect => {
                let result = match effect {
                    Effect::Edit(op, change) => editor.run_with(&op, change, None),
                    Effect::Undo(plan) => editor.undo_planned(&plan),
                    Effect::Fix(Fixup::LeafThenRetry { cgroup, leaf, then }) => {
                        editor.leaf_then_retry(&cgroup, &leaf, &then)
                    }
                    _ => return,
                };
                Event::Edited(result.map_err(|e| format!("{e:#}")))
            }
        };
        let _ = events.send(event);
    });
}

/// Where the effects that leave the app go: the runtime's threads and channels, or a test's
/// stand-ins for them. Each is answered later, by an event.
pub trait Outlets {
    /// A command for the sampler.
    fn sampler(&mut self, command: Command);
    /// Work off the UI thread: an edit, an undo or its plan, a fix, a playground, `explain`.
    fn worker(&mut self, work: Effect);
    /// Containers to ask the engines about (`--resolve-names`).
    fn names(&mut self, workloads: Vec<crate::cgroup::workload::Workload>);
    /// A move through recorded time (`cgtui replay`).
    fn replay(&mut self, step: crate::app::action::ReplayMove);
    /// A read of the selected cgroup's recorded history.
    fn recorded(&mut self, request: crate::history::backfill::Request);
}

/// Whether the loop goes on after an update's effects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Go,
    Quit,
}

/// Carry out one update's effects, the one place that says where each goes. A prediction is
/// answered at once (a handful of stats and reads) and queued in `answers`, to be applied
/// before the next frame; everything else goes out through `outlets`.
pub fn carry_out(
    effects: Vec<Effect>,
    fs: &Cgroupfs,
    actor: &crate::cgroup::predict::Actor,
    answers: &mut Vec<Event>,
    outlets: &mut impl Outlets,
) -> Flow {
    for effect in effects {
        match effect {
            Effect::Quit => return Flow::Quit,
            Effect::Predict(op) => {
                let prediction = crate::cgroup::predict::predict(fs, actor, &op);
                answers.push(Event::Predicted(op, Box::new(prediction)));
            }
            work @ (Effect::Edit(..)
            | Effect::ListUndo
            | Effect::Undo(_)
            | Effect::Fix(_)
            | Effect::Playground
            | Effect::StopPlayground(_)
            | Effect::Explain(_)
            | Effect::Signal(_)) => outlets.worker(work),
            Effect::ProcessSubtree(subtree) => outlets.sampler(Command::ProcessSubtree(subtree)),
            Effect::ResolveNames(workloads) => outlets.names(workloads),
            Effect::Replay(step) => outlets.replay(step),
            Effect::ReadRecorded(request) => outlets.recorded(request),
            Effect::SaveColumns(path, columns) => {
                let saved = crate::config::save_columns(&path, &columns)
                    .map(|()| path)
                    .map_err(|e| format!("{e:#}"));
                answers.push(Event::ColumnsSaved(saved));
            }
            Effect::SetInterval(interval) => outlets.sampler(Command::Interval(interval)),
            Effect::Focus(path) => outlets.sampler(Command::Focus(path)),
            Effect::RefreshNow => outlets.sampler(Command::RefreshNow),
            Effect::Visible(reads) => outlets.sampler(Command::Visible(reads)),
            Effect::WalkEveryPass => outlets.sampler(Command::WalkEveryPass),
        }
    }
    Flow::Go
}

/// The runtime's outlets: the sampler's and the other threads' channels.
struct Threads<'a> {
    commands: &'a Sender<Command>,
    editor: &'a Arc<Editor>,
    events: &'a Sender<Event>,
    names: Option<&'a Sender<Vec<crate::cgroup::workload::Workload>>>,
    replay: Option<&'a Sender<crate::app::action::ReplayMove>>,
    recorded: Option<&'a Sender<crate::history::backfill::Request>>,
}

// A thread stops only when the loop does, so a send error is not actionable.
impl Outlets for Threads<'_> {
    fn sampler(&mut self, command: Command) {
        let _ = self.commands.send(command);
    }

    fn worker(&mut self, work: Effect) {
        spawn_edit(self.editor, work, self.events);
    }

    fn names(&mut self, workloads: Vec<crate::cgroup::workload::Workload>) {
        if let Some(names) = self.names {
            let _ = names.send(workloads);
        }
    }

    fn replay(&mut self, step: crate::app::action::ReplayMove) {
        if let Some(replay) = self.replay {
            let _ = replay.send(step);
        }
    }

    fn recorded(&mut self, request: crate::history::backfill::Request) {
        if let Some(recorded) = self.recorded {
            let _ = recorded.send(request);
        }
    }
}

// The loop's channels and services, each used directly; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
fn event_loop(
    app: &mut App,
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    receiver: &Receiver<Event>,
    commands: &Sender<Command>,
    editor: &Arc<Editor>,
    events: &Sender<Event>,
    actor: &crate::cgroup::predict::Actor,
    names: Option<&Sender<Vec<crate::cgroup::workload::Workload>>>,
    replay: Option<&Sender<crate::app::action::ReplayMove>>,
    recorded: Option<&Sender<crate::history::backfill::Request>>,
) -> Result<Ended> {
    let mut threads = Threads {
        commands,
        editor,
        events,
        names,
        replay,
        recorded,
    };
    let mut resized = false;
    // Live, the start's reports (the tree's shape, the rows' first reads, the focus) come
    // one by one: frames wait for the first whole screen, for a moment at most, or for a key.
    let mut hold_until = replay.is_none().then(|| Instant::now() + START_HOLD);
    // Whether the events since the last frame changed anything on screen.
    let mut changed = true;
    let mut drawn_at = Instant::now();
    loop {
        let now = Instant::now();
        app.set_now(now);
        // An OOM flash that ended since the last frame is taken off, whatever woke the loop.
        changed |= app
            .flash_ends()
            .is_some_and(|end| drawn_at < end && end <= now);
        let holding = hold_until.is_some_and(|until| now < until) && !app.first_screen_whole();
        if !holding {
            hold_until = None;
        }
        let draw = !holding && std::mem::take(&mut changed);
        if draw && std::mem::take(&mut resized) {
            // The terminal dropped or moved what it showed when it shrank; the previous frame
            // no longer says what is on screen, so draw everything (ratatui alone would skip
            // cells it believes unchanged after a shrink and grow back to the same size).
            // (`resize` clears without asking the terminal for its cursor, which the input
            // thread would swallow.)
            let size = terminal.size().context("cannot read the terminal size")?;
            terminal
                .resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))
                .context("cannot redraw the terminal")?;
        }
        if draw {
            drawn_at = Instant::now();
            terminal
                .draw(|frame| crate::ui::render(app, frame))
                .context("cannot draw")?;
        }
        let hold_left = hold_until.map(|until| until.saturating_duration_since(Instant::now()));
        let limit = match (wait_limit(app), hold_left) {
            (Some(flash), Some(hold)) => Some(flash.min(hold)),
            (flash, hold) => flash.or(hold),
        };
        let first = match limit {
            Some(limit) => match receiver.recv_timeout(limit) {
                Ok(event) => Some(event),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(Ended::Quit),
            },
            None => match receiver.recv() {
                Ok(event) => Some(event),
                Err(_) => return Ok(Ended::Quit),
            },
        };
        // Woken without an event: an OOM flash ends, or the start's hold.
        changed |= first.is_none();
        // Handle everything already queued before drawing again, so bursts cost one frame.
        let mut pending: Vec<Event> = first.into_iter().collect();
        pending.extend(std::iter::from_fn(|| receiver.try_recv().ok()));
        // What the threads report comes in bursts (the start: the tree, the first pass, the
        // rows caught up; a subtree made at once): the rest of a burst is waited for a moment,
        // so that it too costs one frame. A key, a paste or a resize is drawn at once.
        if !pending.is_empty() && !pending.iter().any(is_input) {
            let settled = Instant::now() + BURST_SETTLE;
            while let Some(left) = settled.checked_duration_since(Instant::now()) {
                match receiver.recv_timeout(left) {
                    Ok(event) => {
                        let input = is_input(&event);
                        pending.push(event);
                        if input {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        }
        // The first input of the batch, if it quits, quits now: not after the tree events
        // queued before it.
        let first_input = pending.iter().find(|e| {
            matches!(
                e,
                Event::Key(_) | Event::Paste(_) | Event::Mouse(_) | Event::Signal(_)
            )
        });
        if let Some(event) = first_input.filter(|event| app.quits(event)) {
            return Ok(ended_by(event));
        }
        if pending.iter().any(is_input) {
            hold_until = None;
        }
        while !pending.is_empty() {
            for event in std::mem::take(&mut pending) {
                app.set_now(Instant::now());
                if let Event::Resize(_, rows) = event {
                    resized = true;
                    // The process list reads no more processes than the screen can show.
                    let _ = commands.send(Command::ScreenRows(rows));
                }
                let ended = ended_by(&event);
                let effects = app.update(event);
                changed |= app.screen_changed();
                if carry_out(effects, &editor.fs, actor, &mut pending, &mut threads) == Flow::Quit {
                    return Ok(ended);
                }
            }
        }
    }
}

/// The longest the first frame waits for the first whole screen (see `event_loop`).
const START_HOLD: Duration = Duration::from_millis(500);

/// How long the rest of a burst of reports is waited for before a frame (see `event_loop`).
const BURST_SETTLE: Duration = Duration::from_millis(25);

/// A person's doing: drawn at once, never held for a burst to settle.
fn is_input(event: &Event) -> bool {
    matches!(
        event,
        Event::Key(_) | Event::Paste(_) | Event::Mouse(_) | Event::Resize(..) | Event::Signal(_)
    )
}

/// Why an event that quits does.
fn ended_by(event: &Event) -> Ended {
    match event {
        Event::Signal(_) => Ended::Signal,
        _ => Ended::Quit,
    }
}
