//! cgtui: parse the command line, pick the hierarchy, run the TUI or a batch command.

use anyhow::{Context, Result, bail};
use cgtui::cgroup::escape::visible_path;
use cgtui::cgroup::{CgroupPath, Cgroupfs};
use clap::{CommandFactory, Parser, Subcommand, ValueHint};
use std::path::PathBuf;
use std::time::Duration;

/// The end of `--help` and the man page's FILES, ENVIRONMENT and EXAMPLES: one table each.
const FILES: &[(&str, &str)] = &[
    (
        "$XDG_CONFIG_HOME/cgtui/config.toml (default ~/.config/cgtui/config.toml)",
        "The TUI's settings: interval, columns, sort, theme, color, [keys]. Read only through directories of root's or yours.",
    ),
    (
        "$XDG_STATE_HOME/cgtui/journal.jsonl (default ~/.local/state/cgtui/journal.jsonl)",
        "Every change cgtui made, with the value before, for undo.",
    ),
];
const ENVIRONMENT: &[(&str, &str)] = &[
    ("NO_COLOR", "No colour under --color auto (unless empty)."),
    (
        "XDG_CONFIG_HOME, XDG_STATE_HOME, HOME",
        "Where the files above are.",
    ),
];
const EXAMPLES: &[(&str, &str)] = &[
    ("cgtui --root user.slice", "The TUI on one subtree."),
    (
        "cgtui snapshot --json --count 2",
        "Counters and rates as JSON, like top -b; each cgroup with its workload.",
    ),
    (
        "cgtui check set user.slice/x memory.max 1G",
        "Would the kernel allow it, and why.",
    ),
    (
        "cgtui --resolve-names snapshot --json",
        "Container names asked of Docker and Podman.",
    ),
    (
        "source <(cgtui completions bash)",
        "Completion in this shell.",
    ),
];

fn after_help() -> String {
    let mut text = String::new();
    for (title, table) in [
        ("Files", FILES),
        ("Environment", ENVIRONMENT),
        ("Examples", EXAMPLES),
    ] {
        text.push_str(&format!("{title}:\n"));
        for (item, meaning) in table {
            text.push_str(&format!("  {item}\n      {meaning}\n"));
        }
        text.push('\n');
    }
    text.push_str("Documentation: README.md (/usr/share/doc/cgtui/README.md from the package).");
    text
}

/// The command line as parsed, helped and documented: the derive's definitions plus the
/// text that ends `--help`.
fn cli_command() -> clap::Command {
    Cli::command().after_long_help(after_help())
}

/// The man page: clap_mangen's sections from the same definitions as `--help`, then FILES,
/// ENVIRONMENT and EXAMPLES as proper roff lists.
fn man_page(out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(Cli::command());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    man.render_subcommands_section(out)?;
    let mut roff = roff::Roff::new();
    for (title, table) in [
        ("FILES", FILES),
        ("ENVIRONMENT", ENVIRONMENT),
        ("EXAMPLES", EXAMPLES),
    ] {
        roff.control("SH", [title]);
        for (item, meaning) in table {
            roff.control("TP", []);
            roff.text([roff::bold(*item)]);
            roff.text([roff::roman(*meaning)]);
        }
    }
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roff::roman(
        "systemd-cgtop(1), systemctl(1), systemd.resource-control(5); the kernel's Documentation/admin-guide/cgroup-v2.rst; README.md in /usr/share/doc/cgtui.",
    )]);
    roff.to_writer(out)?;
    man.render_version_section(out)
}

#[derive(Parser)]
#[command(
    name = "cgtui",
    version,
    about = "Monitor and edit Linux cgroup v2 live; learn how delegation behaves",
    long_about = "Monitor and edit Linux cgroup v2 live; learn how delegation behaves.\n\nWithout a subcommand, cgtui opens a terminal UI on the cgroup2 hierarchy: a tree of cgroups with CPU, memory, IO, pids, pressure and OOM kills, containers and pods named by their workload (v shows the raw names), keys to change limits (checked, journaled, undoable), and an explanation of what the kernel will allow and why. Press ? for every key."
)]
struct Cli {
    /// Show only this cgroup and its descendants: a path relative to the cgroup2 mount
    /// (`user.slice`, `/user.slice`) or an absolute path under it.
    // AnyPath: bash completes it with `compgen -f` (DirPath would leave it to readline).
    #[arg(long, global = true, value_name = "PATH", value_hint = ValueHint::AnyPath)]
    root: Option<PathBuf>,

    /// Read a fake cgroup tree in DIR instead of the kernel's (tests and demos). Without it,
    /// anything that is not a cgroup2 filesystem is refused.
    #[arg(long, global = true, value_name = "DIR", value_hint = ValueHint::AnyPath)]
    fixture: Option<PathBuf>,

    /// Seconds between polls of the counters (cpu.stat, memory.current, io.stat, ...).
    /// Events (new cgroups, populated/frozen, OOM kills) never wait for it. Default: the
    /// config file's `interval`, else 1.
    #[arg(long, global = true, value_name = "SECS", value_parser = parse_interval)]
    interval: Option<Duration>,

    /// The TUI's config file, instead of $XDG_CONFIG_HOME/cgtui/config.toml.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    config: Option<PathBuf>,

    /// Colour: never, auto (unless NO_COLOR is set or TERM is dumb), always. Default: the
    /// config file's `color`, else auto.
    #[arg(long, value_enum, value_name = "WHEN")]
    color: Option<cgtui::theme::ColorChoice>,

    /// Do not capture the mouse (lets the terminal select text).
    #[arg(long)]
    no_mouse: bool,

    /// Make no changes: every write path is disabled, and the UI says so.
    #[arg(long, global = true)]
    read_only: bool,

    /// The share of one CPU the TUI's sampler may use, in percent: beyond it, rows off screen
    /// are read less often, then the refresh interval is stretched (the header says so).
    #[arg(long, value_name = "PERCENT", default_value = "5", value_parser = parse_cpu_budget)]
    cpu_budget: f64,

    /// Use at most N inotify watches, then fall back to polling (to try the fallback).
    #[arg(long, value_name = "N")]
    max_watches: Option<usize>,

    /// Ask Docker and Podman (their API sockets) for container names and images. Off by
    /// default: names then come from cgroup paths alone. A socket is used only if it and its
    /// listener are root's (system engines) or the user's whose containers it names (rootless
    /// engines under user@UID.service); each exchange is bounded in time and size.
    #[arg(long, global = true)]
    resolve_names: bool,
    /// Show in the header what the latest refresh read and cost: cgroups, files read and
    /// opened, directories listed, bytes, CPU time; on exit, print the means per refresh.
    #[arg(long)]
    stats: bool,

    /// While `cgtui record` writes this store, the selected cgroup's sparklines reach back
    /// into it (hours, not the minutes since start). Default: the recorder's default store
    /// (/var/lib/cgtui as root, $XDG_STATE_HOME/cgtui/store otherwise); not with --fixture.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    store: Option<PathBuf>,

    /// Sparklines from the live samples only: never read a recorder's store (the config
    /// file's `store_history = false` does the same).
    #[arg(long, conflicts_with = "store")]
    no_store: bool,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Print the tree's counters and rates, like `top -b`. Rates are null in the first iteration.
    Snapshot {
        /// One JSON document per iteration, one per line (fields: see README.md); the same
        /// as --format json.
        #[arg(long, conflicts_with = "format")]
        json: bool,
        /// text (a table), json (as --json), openmetrics: the exposition `cgtui export` serves,
        /// once (--count is ignored), or prometheus: the same in the Prometheus text format
        /// (what node_exporter's textfile collector reads).
        #[arg(long, value_enum, default_value = "text")]
        format: SnapshotFormat,
        /// With --format openmetrics: which cgroups (as for `cgtui export`).
        #[command(flatten)]
        selection: cgtui::export::SelectionArgs,
        /// Number of iterations; 0 runs until interrupted, like --follow.
        #[arg(long, value_name = "N", default_value_t = 1)]
        count: u64,
        /// Run until interrupted (Ctrl-C), one iteration per interval.
        #[arg(long, conflicts_with = "count")]
        follow: bool,
        /// Read recorded samples from this store (see `cgtui record`) instead of the kernel.
        #[arg(long, value_name = "DIR", conflicts_with_all = ["follow"])]
        store: Option<PathBuf>,
        /// With --store: the last sample at or before TIME (RFC 3339, Unix time, -10m, HH:MM,
        /// `yesterday 03:00`; UTC).
        #[arg(long, value_name = "TIME", allow_hyphen_values = true, conflicts_with_all = ["from", "to"])]
        at: Option<String>,
        /// With --store: every sample from TIME on.
        #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
        from: Option<String>,
        /// With --store: every sample up to TIME.
        #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
        to: Option<String>,
    },
    /// Record every cgroup's counters and events into a store, until SIGTERM or Ctrl-C.
    /// The interval is the global --interval (default 5 s here).
    Record {
        /// The store: default /var/lib/cgtui as root, $XDG_STATE_HOME/cgtui/store otherwise.
        #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
        store: Option<PathBuf>,
        /// Delete recorded days older than this (`7d`, `36h`).
        #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = parse_duration)]
        retain: Duration,
        /// Delete the oldest days while the store is larger than this (`500M`, `2G`).
        #[arg(long, value_name = "SIZE", value_parser = parse_size)]
        max_size: Option<u64>,
    },
    /// Browse a recorded store in the TUI: step through samples and events (read-only).
    Replay {
        /// The store to replay: default /var/lib/cgtui as root, $XDG_STATE_HOME/cgtui/store
        /// otherwise.
        #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
        store: Option<PathBuf>,
        /// Start at this time (default: the newest sample).
        #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
        at: Option<String>,
    },
    /// List the recorded events: created/removed cgroups, populated/frozen flips, OOM kills,
    /// pids.max refusals, and changes cgtui made.
    Events {
        /// The store to read: default /var/lib/cgtui as root, $XDG_STATE_HOME/cgtui/store
        /// otherwise.
        #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
        store: Option<PathBuf>,
        /// Events from TIME on (RFC 3339, Unix time, -10m, HH:MM, `yesterday 03:00`; UTC).
        /// Default: the oldest recorded.
        #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
        from: Option<String>,
        /// Events up to TIME. Default: the newest recorded.
        #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
        to: Option<String>,
        /// One JSON document per event.
        #[arg(long)]
        json: bool,
    },
    /// Serve the tree's counters to Prometheus: GET /metrics (OpenMetrics, or the Prometheus
    /// text format when Accept asks for it) and a short page at /. Read-only.
    Export {
        /// IP:PORT, localhost:PORT, or a path (with a /) for a unix socket. Ignored when
        /// systemd passes a socket (socket activation).
        #[arg(long, value_name = "ADDR", default_value = cgtui::export::server::DEFAULT_LISTEN,
              value_parser = cgtui::export::server::parse_listen)]
        listen: cgtui::export::server::Listen,
        /// Allow an address other machines can reach (not loopback): the metrics name every
        /// cgroup, unit and user of this host, with no authentication (see README.md).
        #[arg(long)]
        allow_remote: bool,
        #[command(flatten)]
        selection: cgtui::export::SelectionArgs,
    },
    /// Write FILE of CGROUP (named exactly as the kernel names it), checked first, read back after.
    Set {
        #[command(flatten)]
        target: SetArgs,
        /// auto: through systemd where it owns the cgroup, else the file; fs: always the file;
        /// systemd: always through the owning manager.
        #[arg(long, value_enum, default_value = "auto")]
        via: cgtui::editor::Route,
        /// With systemd: keep the change across reboots (like systemctl set-property without --runtime).
        #[arg(long)]
        persist: bool,
        /// Write VALUE exactly as given, unchecked (to compare `check` with the kernel's answer).
        #[arg(long, hide = true)]
        unchecked: bool,
    },
    /// Create a cgroup.
    Mkdir(CgroupArgs),
    /// Remove an empty cgroup.
    Rmdir(CgroupArgs),
    /// Move process PID into CGROUP (writes its cgroup.procs).
    Move(MoveArgs),
    /// Undo the latest change cgtui made that is not undone yet (from the journal).
    Undo {
        #[arg(long)]
        json: bool,
    },
    /// Predict whether the kernel will allow an operation, and why; never writes.
    Check {
        #[command(subcommand)]
        what: CheckOp,
    },
    /// Explain a cgroup for you: owners, what you can do, the delegation boundary, controllers.
    Explain {
        cgroup: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Create a delegated playground: a transient scope with Delegate=yes from your own systemd
    /// manager (no root needed), holding CMD or a placeholder process. Prints its cgroup.
    Delegate {
        /// Delegate only these controllers (comma-separated), e.g. memory,pids.
        #[arg(long, value_delimiter = ',')]
        controllers: Option<Vec<String>>,
        /// Stop the playground UNIT instead (it ends its processes). Only a playground cgtui
        /// started for you (its invocation is in your journal) is stopped, unless --force.
        #[arg(long, value_name = "UNIT", conflicts_with = "command")]
        stop: Option<String>,
        /// With --stop: stop UNIT even if cgtui did not start it.
        #[arg(long, requires = "stop")]
        force: bool,
        #[arg(long)]
        json: bool,
        /// Run this in the playground and wait for it; without it a placeholder keeps the scope.
        #[arg(last = true)]
        command: Vec<String>,
    },
    /// Print a shell completion script: `source <(cgtui completions bash)`, or install it
    /// where the shell looks (the Debian package does).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `cgtui manpage | man -l -`. With --dir, write cgtui.1 and a
    /// page per subcommand (cgtui-snapshot.1, ...) into DIR.
    Manpage {
        #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
        dir: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SnapshotFormat {
    Text,
    Json,
    Openmetrics,
    Prometheus,
}

/// The operations `check` predicts: the same arguments as the commands that do them.
#[derive(Subcommand)]
enum CheckOp {
    /// Would writing VALUE to FILE of CGROUP succeed?
    Set(SetArgs),
    /// Would creating CGROUP succeed?
    Mkdir(CgroupArgs),
    /// Would removing CGROUP succeed?
    Rmdir(CgroupArgs),
    /// Would moving PID into CGROUP succeed?
    Move(MoveArgs),
}

#[derive(clap::Args)]
struct SetArgs {
    /// The cgroup: relative to the cgroup2 mount (`user.slice/x`) or absolute under it.
    cgroup: PathBuf,
    /// An interface file, named as the kernel names it (memory.max, cpu.max, io.max, ...).
    file: String,
    /// The value; human units are accepted (512M, 1.5G, max, 50% for cpu.max).
    #[arg(allow_hyphen_values = true)]
    value: String,
    /// Print the result as JSON (fields: see README.md).
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct CgroupArgs {
    /// The cgroup: relative to the cgroup2 mount (`user.slice/x`) or absolute under it.
    cgroup: PathBuf,
    /// Print the result as JSON (fields: see README.md).
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct MoveArgs {
    /// The process to move.
    pid: u32,
    /// The cgroup: relative to the cgroup2 mount (`user.slice/x`) or absolute under it.
    cgroup: PathBuf,
    /// Print the result as JSON (fields: see README.md).
    #[arg(long)]
    json: bool,
}

impl CheckOp {
    fn request(&self) -> (cgtui::commands::Request<'_>, bool) {
        use cgtui::commands::Request;
        match self {
            CheckOp::Set(set) => (set.request(Default::default()), set.json),
            CheckOp::Mkdir(CgroupArgs { cgroup, json }) => (Request::Mkdir { cgroup }, *json),
            CheckOp::Rmdir(CgroupArgs { cgroup, json }) => (Request::Rmdir { cgroup }, *json),
            CheckOp::Move(MoveArgs { pid, cgroup, json }) => {
                (Request::Move { pid: *pid, cgroup }, *json)
            }
        }
    }
}

impl SetArgs {
    fn request(&self, change: cgtui::editor::Change) -> cgtui::commands::Request<'_> {
        cgtui::commands::Request::Set {
            cgroup: &self.cgroup,
            file: &self.file,
            value: &self.value,
            change,
        }
    }
}

fn parse_interval(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !secs.is_finite() || secs < 0.1 {
        return Err(format!("{text} s is too short: the floor is 0.1 s"));
    }
    if secs > 3600.0 {
        return Err(format!("{text} s is too long: at most 3600 s"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let ms = cgtui::history::time::parse_duration_ms(text)?;
    if ms <= 0 {
        return Err(format!("{text:?} is not a positive duration"));
    }
    Ok(Duration::from_millis(ms as u64))
}

fn parse_size(text: &str) -> Result<u64, String> {
    cgtui::history::time::parse_size(text)
}

fn store_dir(store: &Option<PathBuf>) -> Result<PathBuf> {
    match store {
        Some(dir) if dir.is_absolute() => Ok(dir.clone()),
        Some(dir) => Ok(std::env::current_dir()
            .context("cannot find the current directory")?
            .join(dir)),
        None => cgtui::history::store::default_dir(),
    }
}

fn time_arg(text: &Option<String>, flag: &str) -> Result<Option<i64>> {
    text.as_deref()
        .map(|t| {
            cgtui::history::time::parse_time(t, cgtui::history::record::now_ms())
                .map_err(|e| anyhow::anyhow!("{flag}: {e}"))
        })
        .transpose()
}

/// A CPU budget in percent of one CPU, as a fraction.
fn parse_cpu_budget(text: &str) -> Result<f64, String> {
    let percent: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a percentage"))?;
    if !(0.01..=100.0).contains(&percent) {
        return Err(format!("{text} % is out of range: 0.01 to 100"));
    }
    Ok(percent / 100.0)
}

fn open_hierarchy(cli: &Cli) -> Result<(Cgroupfs, CgroupPath)> {
    let fs = match &cli.fixture {
        Some(dir) => Cgroupfs::fixture(dir)
            .with_context(|| format!("cannot use fixture {}", visible_path(dir)))?,
        None => Cgroupfs::system().context("cannot find the cgroup2 hierarchy")?,
    };
    let base = match &cli.root {
        Some(root) => fs
            .resolve(root)
            .with_context(|| format!("--root {}", visible_path(root)))?,
        None => CgroupPath::root(),
    };
    Ok((fs, base))
}

fn delegate(
    fs: &Cgroupfs,
    controllers: Option<&[String]>,
    stop: Option<(&str, bool)>,
    json: bool,
    command: &[String],
    read_only: bool,
) -> Result<i32> {
    use cgtui::out;
    use cgtui::playground;
    if read_only {
        bail!("read-only mode: cgtui makes no changes (started with --read-only)");
    }
    if let Some((unit, force)) = stop {
        let manager = playground::own_manager();
        let client = cgtui::cgroup::systemd::Client::connect(manager)?;
        let journal = cgtui::journal::Journal::open_default();
        playground::stop_with(&client, &journal, unit, force)?;
        out!(
            "stopped {}",
            cgtui::cgroup::escape::visible(unit.as_bytes())
        );
        return Ok(0);
    }
    let (made, mut child) = playground::create(fs, controllers, command)?;
    if json {
        out!("{}", cgtui::output::json_line(&made)?);
    } else {
        out!("{}", made.cgroup);
        cgtui::errln!(
            "cgtui: {} holds process {}; you own this subtree (controllers: {}). Stop it with: cgtui delegate --stop {}",
            made.unit,
            made.pid,
            made.controllers.join(" "),
            made.unit
        );
    }
    if command.is_empty() {
        return Ok(0);
    }
    let status = child
        .wait()
        .context("waiting for the command in the playground")?;
    Ok(status.code().unwrap_or(1))
}

fn main() {
    use clap::FromArgMatches;
    let parsed = cli_command()
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        // Help and version as clap prints them (they hold no argument).
        Err(err) if !err.use_stderr() => err.exit(),
        // clap's errors quote the offending argument raw (`unexpected argument '…'`): a script
        // passing a cgroup's name would otherwise hand its escapes to the terminal.
        Err(err) => {
            cgtui::errln!("{}", err.render().to_string().trim_end());
            std::process::exit(err.exit_code());
        }
    };
    match run(cli) {
        Ok(code) => std::process::exit(code),
        // A reader that went away (`cgtui snapshot | head -1`) is not an error: stop quietly.
        Err(err) if broken_pipe(&err) => std::process::exit(0),
        Err(err) => {
            // The one way an error reaches the terminal: names in it are escaped where the
            // message was made, and the whole chain (causes included) once more here.
            cgtui::errln!("cgtui: {err:#}");
            std::process::exit(1);
        }
    }
}

fn broken_pipe(err: &anyhow::Error) -> bool {
    let pipe = Some(std::io::ErrorKind::BrokenPipe);
    err.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().map(|e| e.kind()) == pipe
            // JSON written straight to stdout keeps the io::Error inside its own.
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(|e| e.io_error_kind())
                == pipe
    })
}

/// `completions` and `manpage`: generated from the same definitions as `--help`, before any
/// hierarchy is looked for (they work on a machine without cgroup2, as when packaging).
fn install_files(command: &Command) -> Result<Option<i32>> {
    match command {
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut cli_command(), "cgtui", &mut std::io::stdout());
            Ok(Some(0))
        }
        Command::Manpage { dir: Some(dir) } => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", visible_path(dir)))?;
            clap_mangen::generate_to(Cli::command(), dir).with_context(|| {
                format!("cannot write the man pages into {}", visible_path(dir))
            })?;
            // The main page with its FILES, ENVIRONMENT and EXAMPLES.
            let main = dir.join("cgtui.1");
            let mut page = Vec::new();
            man_page(&mut page)?;
            std::fs::write(&main, page)
                .with_context(|| format!("cannot write {}", visible_path(&main)))?;
            Ok(Some(0))
        }
        Command::Manpage { dir: None } => {
            let mut page = Vec::new();
            man_page(&mut page)?;
            use std::io::Write;
            std::io::stdout().write_all(&page)?;
            Ok(Some(0))
        }
        _ => Ok(None),
    }
}

fn run(cli: Cli) -> Result<i32> {
    if let Some(command) = &cli.command
        && let Some(code) = install_files(command)?
    {
        return Ok(code);
    }
    if (cli.store.is_some() || cli.no_store) && cli.command.is_some() {
        bail!(
            "--store and --no-store before a subcommand are the live TUI's; a subcommand that \
             reads a store takes its own --store after its name (cgtui replay --store DIR)"
        );
    }
    // The sampler keeps up to 4,096 cgroup files open between refreshes.
    cgtui::cgroup::files::raise_fd_limit();
    use cgtui::commands::Request;
    let (fs, base) = open_hierarchy(&cli)?;
    let edit = |request: Request, json: bool| {
        cgtui::commands::run(fs.clone(), request, json, cli.read_only)
    };
    match &cli.command {
        Some(Command::Set {
            target,
            via,
            persist,
            unchecked,
        }) => {
            let change = cgtui::editor::Change {
                route: *via,
                persist: *persist,
                unchecked: *unchecked,
            };
            return edit(target.request(change), target.json);
        }
        Some(Command::Delegate {
            controllers,
            stop,
            force,
            json,
            command,
        }) => {
            return delegate(
                &fs,
                controllers.as_deref(),
                stop.as_deref().map(|unit| (unit, *force)),
                *json,
                command,
                cli.read_only,
            );
        }
        Some(Command::Mkdir(CgroupArgs { cgroup, json })) => {
            return edit(Request::Mkdir { cgroup }, *json);
        }
        Some(Command::Rmdir(CgroupArgs { cgroup, json })) => {
            return edit(Request::Rmdir { cgroup }, *json);
        }
        Some(Command::Move(MoveArgs { pid, cgroup, json })) => {
            return edit(Request::Move { pid: *pid, cgroup }, *json);
        }
        Some(Command::Undo { json }) => return edit(Request::Undo, *json),
        Some(Command::Check { what }) => {
            let (request, json) = what.request();
            return cgtui::commands::check(fs.clone(), request, json);
        }
        Some(Command::Explain { cgroup, json }) => {
            return cgtui::commands::explain(fs.clone(), cgroup, *json);
        }
        _ => {}
    }
    match &cli.command {
        Some(Command::Record {
            store,
            retain,
            max_size,
        }) => {
            if cli.read_only {
                bail!("read-only mode: the recorder writes its store (started with --read-only)");
            }
            cgtui::history::record::run(cgtui::history::record::Options {
                fs,
                base,
                store: store_dir(store)?,
                interval: cli
                    .interval
                    .unwrap_or(cgtui::history::record::DEFAULT_INTERVAL),
                retain: *retain,
                max_size: *max_size,
            })?;
            return Ok(0);
        }
        Some(Command::Events {
            store,
            from,
            to,
            json,
        }) => {
            let range = cgtui::history::Range {
                from: time_arg(from, "--from")?,
                to: time_arg(to, "--to")?,
            };
            cgtui::history::events(
                &store_dir(store)?,
                &base,
                range,
                *json,
                &mut std::io::stdout().lock(),
            )?;
            return Ok(0);
        }
        Some(Command::Snapshot {
            json,
            store: Some(store),
            at,
            from,
            to,
            ..
        }) => {
            let range = cgtui::history::Range {
                from: time_arg(from, "--from")?,
                to: time_arg(to, "--to")?,
            };
            let at = match (time_arg(at, "--at")?, &range) {
                (Some(at), _) => Some(at),
                (
                    None,
                    cgtui::history::Range {
                        from: None,
                        to: None,
                    },
                ) => Some(cgtui::history::record::now_ms()),
                (None, _) => None,
            };
            cgtui::history::snapshot(
                &store_dir(&Some(store.clone()))?,
                &fs,
                &base,
                *json,
                at,
                range,
                &mut std::io::stdout().lock(),
            )?;
            return Ok(0);
        }
        Some(Command::Snapshot { at, from, to, .. })
            if at.is_some() || from.is_some() || to.is_some() =>
        {
            bail!("--at, --from and --to read a recorded store: add --store DIR");
        }
        _ => {}
    }
    let replay = match &cli.command {
        Some(Command::Replay { store, at }) => Some((store_dir(store)?, time_arg(at, "--at")?)),
        _ => None,
    };
    match cli.command {
        Some(Command::Snapshot {
            format: format @ (SnapshotFormat::Openmetrics | SnapshotFormat::Prometheus),
            selection,
            ..
        }) => {
            let selection = cgtui::export::Selection::new(&selection)?;
            let mut exporter = cgtui::export::Exporter::new(fs, base, selection);
            let scrape = std::sync::Arc::new(exporter.scrape(None));
            let text = scrape.encode(match format {
                SnapshotFormat::Prometheus => cgtui::export::Format::Prometheus,
                _ => cgtui::export::Format::OpenMetrics,
            });
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(0)
        }
        Some(Command::Export {
            listen,
            allow_remote,
            selection,
        }) => {
            use cgtui::export::server;
            let selection = cgtui::export::Selection::new(&selection)?;
            let listener = match server::systemd_listener()? {
                Some(listener) => listener,
                None => server::bind(&listen, allow_remote)?,
            };
            eprintln!("cgtui export: serving {}", listener.describe());
            let exporter = cgtui::export::Exporter::new(fs, base, selection);
            server::serve(listener, exporter)?;
            Ok(0)
        }
        Some(Command::Snapshot {
            json,
            format,
            count,
            follow,
            ..
        }) => {
            let options = cgtui::snapshot::Options {
                fs,
                base,
                json: json || format == SnapshotFormat::Json,
                engines: cli
                    .resolve_names
                    .then(cgtui::cgroup::workload::engine::Resolver::default),
                count: if follow {
                    None
                } else {
                    Some(count).filter(|n| *n > 0)
                },
                interval: cli.interval.unwrap_or(Duration::from_secs(1)),
            };
            cgtui::snapshot::run(options, &mut std::io::stdout().lock())?;
            Ok(0)
        }
        _ => {
            // Only the TUI reads the config: batch output does not change with a person's taste.
            let config = cgtui::config::load(cli.config.as_deref())?;
            cgtui::config::check(&config)?;
            use std::io::IsTerminal;
            if !std::io::stdout().is_terminal() {
                bail!("the TUI needs a terminal on stdout; for batch output use `cgtui snapshot`");
            }
            let color = cli.color.or(config.color).unwrap_or_default();
            let colour = color.use_colour(
                std::env::var_os("NO_COLOR").as_deref(),
                std::env::var("TERM").ok().as_deref(),
            );
            let theme = cgtui::theme::Theme::new(
                config.theme.unwrap_or(cgtui::theme::ThemeName::Default),
                colour,
            );
            // A fixture is not this machine's tree: the default store (this machine's) only
            // when it is named. --store DIR reads it whatever the config says.
            let off = cli.fixture.is_some() || config.store_history == Some(false);
            let store_history = if cli.no_store || (cli.store.is_none() && off) {
                None
            } else {
                match store_dir(&cli.store) {
                    Ok(dir) => Some((dir, cli.store.is_some())),
                    Err(e) if cli.store.is_some() => return Err(e),
                    // No place for a default store (no HOME): no recorder writes one either.
                    Err(_) => None,
                }
            };
            cgtui::tui::run(cgtui::tui::Options {
                fs,
                base,
                interval: cli
                    .interval
                    .or(config.interval)
                    .unwrap_or(Duration::from_secs(1)),
                mouse: !cli.no_mouse,
                max_watches: cli.max_watches,
                resolve_names: cli.resolve_names,
                cpu_budget: cli.cpu_budget,
                keymap: config.keymap,
                theme,
                columns: config
                    .columns
                    .unwrap_or_else(|| cgtui::model::view::Column::DEFAULT.to_vec()),
                sort: config.sort.unwrap_or(cgtui::model::view::Column::Name),
                stats: cli.stats,
                // Replay never writes: what is on screen is the past.
                read_only: cli.read_only || replay.is_some(),
                replay,
                store_history,
                cpu_scale: config.cpu_scale.unwrap_or_default(),
            })?;
            Ok(0)
        }
    }
}
