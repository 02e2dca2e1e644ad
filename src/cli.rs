//! The command line: clap's definitions of every flag and subcommand, the text that ends
//! `--help` and the man page, and the value parsers. What each subcommand does is in
//! [`crate::commands`]; `main` dispatches one to the other.

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
    text.push_str("Documentation: README.md and the manual, docs/src/ (/usr/share/doc/cgtui/ from the package).");
    text
}

/// The command line as parsed, helped and documented: the derive's definitions plus the
/// text that ends `--help`.
pub fn command() -> clap::Command {
    let mut command = Cli::command().after_long_help(after_help());
    // The flags before a subcommand are accepted after it too (`global`); each subcommand's
    // help shows only those that mean something to it, described for it: it gets its own
    // copy of each (still global, so its value reaches `Global`), hidden or re-described.
    let globals: Vec<clap::Arg> = command
        .get_arguments()
        .filter(|arg| arg.is_global_set())
        .cloned()
        .collect();
    for (name, shown) in SUBCOMMAND_GLOBALS {
        command = command.mut_subcommand(name, |mut sub| {
            for global in &globals {
                let id = global.get_id().as_str();
                let arg = global.clone();
                sub = sub.arg(match shown.iter().find(|(shown, _)| *shown == id) {
                    Some((_, Some(help))) => arg.help(*help).long_help(None::<&str>),
                    Some((_, None)) => arg,
                    None => arg.hide(true),
                });
            }
            sub
        });
    }
    command
}

/// The command line parsed: `args` with the program's name first, as `std::env::args_os`
/// gives it. Without a subcommand's name among them (the TUI, the common case) only the
/// top-level flags are built: building all the subcommands was a fifth of the TUI's start
/// under emulation. Help, the version and every error come from the whole command.
pub fn parse(args: Vec<std::ffi::OsString>) -> Result<Cli, clap::Error> {
    use clap::{Args, FromArgMatches};
    let names_a_subcommand = args
        .iter()
        .skip(1)
        .any(|arg| arg.to_str().is_some_and(is_subcommand));
    if !names_a_subcommand {
        let top_level = Global::augment_args(clap::Command::new("cgtui"));
        let global = top_level
            .try_get_matches_from(&args)
            .and_then(|matches| Global::from_arg_matches(&matches));
        if let Ok(global) = global {
            return Ok(Cli {
                global,
                command: None,
            });
        }
    }
    command()
        .try_get_matches_from(args)
        .and_then(|matches| Cli::from_arg_matches(&matches))
}

/// Whether `name` is a subcommand's: the derive's (a match on names, nothing built) or
/// clap's `help`.
fn is_subcommand(name: &str) -> bool {
    name == "help" || <Command as clap::Subcommand>::has_subcommand(name)
}

/// Which of the global flags each subcommand's help shows, with its own description where the
/// TUI's would not be true of it.
type Shown = &'static [(&'static str, Option<&'static str>)];
const SUBCOMMAND_GLOBALS: [(&str, Shown); 16] = [
    (
        "snapshot",
        &[
            ("root", None),
            ("fixture", None),
            (
                "interval",
                Some("Seconds between iterations (--count, --follow). Default: 1"),
            ),
            ("resolve_names", None),
        ],
    ),
    (
        "record",
        &[
            ("root", None),
            ("fixture", None),
            ("interval", Some("Seconds between samples. Default: 5")),
        ],
    ),
    ("replay", &[("root", None)]),
    ("events", &[("root", None)]),
    ("export", &[("root", None), ("fixture", None)]),
    ("set", &[("fixture", None), ("read_only", None)]),
    ("mkdir", &[("fixture", None), ("read_only", None)]),
    ("rmdir", &[("fixture", None), ("read_only", None)]),
    ("move", &[("fixture", None), ("read_only", None)]),
    ("undo", &[("fixture", None), ("read_only", None)]),
    ("check", &[("fixture", None), ("lang", None)]),
    ("explain", &[("fixture", None), ("lang", None)]),
    ("delegate", &[("read_only", None)]),
    ("completions", &[]),
    ("manpage", &[]),
    ("__complete", &[]),
];

/// The man page: clap_mangen's sections from the same definitions as `--help`, then FILES,
/// ENVIRONMENT and EXAMPLES as proper roff lists.
pub fn man_page(out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(command());
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
    // The TUI's keys, from the keymap table that help and the manual are made from.
    roff.control("SH", ["KEYS"]);
    let mut section = None;
    for (context, keys, description) in crate::app::keymap::Keymap::default().listing() {
        if section != Some(context) {
            roff.control("SS", [context.title()]);
            section = Some(context);
        }
        roff.control("TP", []);
        roff.text([roff::bold(keys.join(" "))]);
        roff.text([roff::roman(description)]);
    }
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roff::roman(
        "systemd-cgtop(1), systemctl(1), systemd.resource-control(5); the kernel's Documentation/admin-guide/cgroup-v2.rst; README.md and the manual (docs/src/) in /usr/share/doc/cgtui.",
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
pub struct Cli {
    #[command(flatten)]
    pub global: Global,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The flags before a subcommand's name (some of them also after it: `global = true`).
#[derive(clap::Args, Debug)]
pub struct Global {
    /// Show only this cgroup and its descendants: a path relative to the cgroup2 mount
    /// (`user.slice`, `/user.slice`) or an absolute path under it.
    // AnyPath: bash completes it with `compgen -f` (DirPath would leave it to readline).
    #[arg(long, global = true, value_name = "PATH", value_hint = ValueHint::AnyPath)]
    pub root: Option<PathBuf>,

    /// Read a fake cgroup tree in DIR instead of the kernel's (tests and demos); changes go to
    /// a private copy in memory, never into DIR or your journal. Without it,
    /// anything that is not a cgroup2 filesystem is refused.
    #[arg(long, global = true, value_name = "DIR", value_hint = ValueHint::AnyPath)]
    pub fixture: Option<PathBuf>,

    /// Tests of the write path only: changes to a --fixture are written into DIR and the
    /// user's journal, as on a host, instead of a private copy in memory.
    #[arg(long, global = true, hide = true, requires = "fixture")]
    pub fixture_writable: bool,

    /// Seconds between polls of the counters (cpu.stat, memory.current, io.stat, ...).
    /// Events (new cgroups, populated/frozen, OOM kills) never wait for it. Default: the
    /// config file's `interval`, else 1.
    #[arg(long, global = true, value_name = "SECS", value_parser = parse_interval)]
    pub interval: Option<Duration>,

    /// Show any host's tree from this Prometheus server (its base URL) instead of the kernel,
    /// read-only: what `cgtui export` on that host sent it, re-queried at the scrape interval
    /// (or --interval). Without --instance, pick one of the instances exporting cgtui's
    /// metrics first. --root is then a path on that host. Credentials: as for `snapshot
    /// --prometheus` (docs/src/fleet.md).
    #[arg(long, value_name = "URL", conflicts_with_all = ["store", "no_store"])]
    pub prometheus: Option<String>,

    /// With --prometheus: this instance (its `instance` label, e.g. web1:9659), no picker.
    #[arg(long, value_name = "NAME", requires = "prometheus")]
    pub instance: Option<String>,

    /// The TUI's config file, instead of $XDG_CONFIG_HOME/cgtui/config.toml.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub config: Option<PathBuf>,

    /// Colour: never, auto (unless NO_COLOR is set or TERM is dumb), always. Default: the
    /// config file's `color`, else auto.
    #[arg(long, value_enum, value_name = "WHEN")]
    pub color: Option<crate::theme::ColorChoice>,

    /// Do not capture the mouse (lets the terminal select text).
    #[arg(long)]
    pub no_mouse: bool,

    /// The language of the lessons and the teaching texts (rule meanings, `check`, `explain`,
    /// the `w` pane, help): en or zh (Simplified Chinese). Default: from LC_ALL, LC_MESSAGES or
    /// LANG (any zh_* locale, zh_TW included, gets Simplified Chinese), else English.
    #[arg(long, global = true, value_enum, value_name = "LANG")]
    pub lang: Option<crate::i18n::Lang>,

    /// Make no changes: every write path is disabled, and the UI says so.
    #[arg(long, global = true)]
    pub read_only: bool,

    /// The share of one CPU the TUI's sampler may use, in percent: beyond it, rows off screen
    /// are read less often, then the refresh interval is stretched (the header says so).
    #[arg(long, value_name = "PERCENT", default_value = "5", value_parser = parse_cpu_budget)]
    pub cpu_budget: f64,

    /// Use at most N inotify watches, then fall back to polling (to try the fallback).
    #[arg(long, value_name = "N")]
    pub max_watches: Option<usize>,

    /// Ask Docker and Podman (their API sockets) for container names and images. Off by
    /// default: names then come from cgroup paths alone. A socket is used only if it and its
    /// listener are root's (system engines) or the user's whose containers it names (rootless
    /// engines under user@UID.service); each exchange is bounded in time and size.
    #[arg(long, global = true)]
    pub resolve_names: bool,
    /// Show in the header what the latest refresh read and cost: cgroups, files read and
    /// opened, directories listed, bytes, CPU time; on exit, print the means per refresh.
    #[arg(long)]
    pub stats: bool,

    /// While `cgtui record` writes this store, the selected cgroup's sparklines reach back
    /// into it (hours, not the minutes since start). Default: the recorder's default store
    /// (/var/lib/cgtui as root, $XDG_STATE_HOME/cgtui/store otherwise); not with --fixture.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub store: Option<PathBuf>,

    /// Sparklines from the live samples only: never read a recorder's store (the config
    /// file's `store_history = false` does the same).
    #[arg(long, conflicts_with = "store")]
    pub no_store: bool,
}

/// Every subcommand. `main` matches on it with no catch-all arm: a variant without a handler
/// in [`crate::commands`] does not compile.
#[derive(Subcommand)]
pub enum Command {
    /// Print the tree's counters and rates, like `top -b`. Rates are null in the first iteration.
    /// In the text table a mark before a cgroup's name says its state: * populated, F frozen.
    Snapshot(SnapshotArgs),
    /// Record every cgroup's counters and events into a store, until SIGTERM or Ctrl-C.
    Record(RecordArgs),
    /// Browse a recorded store in the TUI: step through samples and events (read-only).
    Replay(ReplayArgs),
    /// List the recorded events: created/removed cgroups, populated/frozen flips, OOM kills,
    /// pids.max refusals, and changes cgtui made.
    Events(EventsArgs),
    /// Serve the tree's counters to Prometheus: GET /metrics (OpenMetrics, or the Prometheus
    /// text format when Accept asks for it) and a short page at /. Read-only.
    Export(ExportArgs),
    /// Write FILE of CGROUP (named exactly as the kernel names it), checked first, read back after.
    Set(SetCommandArgs),
    /// Create a cgroup.
    Mkdir(CgroupArgs),
    /// Remove an empty cgroup.
    Rmdir(CgroupArgs),
    /// Move process PID into CGROUP (writes its cgroup.procs).
    Move(MoveArgs),
    /// Undo a change of yours from the journal: the latest that can be undone (passing over
    /// those that cannot, and saying so), or the one with ID; --list shows them.
    Undo(UndoArgs),
    /// Predict whether the kernel will allow an operation, and why; never writes.
    Check(CheckArgs),
    /// Explain a cgroup for you: owners, what you can do, the delegation boundary, controllers.
    Explain(ExplainArgs),
    /// Create a delegated playground: a transient scope with Delegate=yes from your own systemd
    /// manager (no root needed), holding CMD or a placeholder process. Prints its cgroup.
    Delegate(DelegateArgs),
    /// List the lessons (id, title, languages, what they need, their exercises), or with
    /// --try make an exercise's write and grade your guess against the kernel's answer.
    Lessons(LessonsArgs),
    /// Print a shell completion script: `source <(cgtui completions bash)`, or install it
    /// where the shell looks (the Debian package does).
    Completions(CompletionsArgs),
    /// Print the man page (roff): `cgtui manpage | man -l -`. With --dir, write cgtui.1 and a
    /// page per subcommand (cgtui-snapshot.1, ...) into DIR.
    Manpage(ManpageArgs),
    /// What the completion scripts ask: the live cgroups or interface files that complete the
    /// last of WORDS (the command line after `cgtui`, up to the cursor); exit code 1 when the
    /// last word is not a cgroup or interface file argument.
    #[command(name = "__complete", hide = true)]
    Complete(CompleteArgs),
}

// The arguments of each subcommand. The subcommand's description is its variant's doc comment
// above (what --help, the man pages and the completions show), so these structs carry plain
// comments: a second description here could only drift from it.

// `cgtui snapshot`
#[derive(clap::Args)]
pub struct SnapshotArgs {
    /// One JSON document per iteration, one per line (fields: docs/src/snapshot.md); the same
    /// as --format json.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// text (a table), json (as --json), openmetrics: the exposition `cgtui export` serves,
    /// once (--count is ignored), or prometheus: the same in the Prometheus text format
    /// (what node_exporter's textfile collector reads).
    #[arg(long, value_enum, default_value = "text")]
    pub format: SnapshotFormat,
    /// With --format openmetrics: which cgroups (as for `cgtui export`).
    #[command(flatten)]
    pub selection: crate::export::SelectionArgs,
    /// Number of iterations; 0 runs until interrupted, like --follow.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub count: u64,
    /// Run until interrupted (Ctrl-C), one iteration per interval.
    #[arg(long, conflicts_with = "count")]
    pub follow: bool,
    /// Read recorded samples from this store (see `cgtui record`) instead of the kernel.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["follow"])]
    pub store: Option<PathBuf>,
    /// With --store: the last sample at or before TIME (RFC 3339, Unix time, -10m, HH:MM,
    /// `yesterday 03:00`; UTC).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true, conflicts_with_all = ["from", "to"])]
    pub at: Option<String>,
    /// With --store: every sample from TIME on.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub from: Option<String>,
    /// With --store: every sample up to TIME.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub to: Option<String>,
    /// Read the tree from this Prometheus server (its base URL) instead of the kernel: what
    /// `cgtui export` on --instance sent it (at --at, default now). Without --instance, list
    /// the instances exporting cgtui's metrics. Credentials: CGTUI_PROMETHEUS_TOKEN, or
    /// CGTUI_PROMETHEUS_USER and CGTUI_PROMETHEUS_PASSWORD.
    #[arg(long, value_name = "URL", conflicts_with_all = ["store", "follow", "from", "to"])]
    pub prometheus: Option<String>,
    /// With --prometheus: the instance (its `instance` label, e.g. web1:9659) to print.
    #[arg(long, value_name = "NAME", requires = "prometheus")]
    pub instance: Option<String>,
    /// With --prometheus: list the instances, with their cgroups, CPU, memory and OOM kills
    /// in the last hour (what it does without --instance).
    #[arg(long, requires = "prometheus", conflicts_with = "instance")]
    pub list_instances: bool,
    /// With --prometheus --instance: only this cgroup of the instance's host and its
    /// descendants (down to --max-depth levels).
    #[arg(long, value_name = "PATH", requires = "instance")]
    pub prefix: Option<String>,
}

// `cgtui record`
#[derive(clap::Args)]
pub struct RecordArgs {
    /// The store: default /var/lib/cgtui as root, $XDG_STATE_HOME/cgtui/store otherwise.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub store: Option<PathBuf>,
    /// Delete recorded days older than this (`7d`, `36h`).
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = parse_duration)]
    pub retain: Duration,
    /// Delete the oldest days while the store is larger than this (`500M`, `2G`).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_size: Option<u64>,
}

// `cgtui replay`
#[derive(clap::Args)]
pub struct ReplayArgs {
    /// The store to replay: default /var/lib/cgtui as root, $XDG_STATE_HOME/cgtui/store
    /// otherwise.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub store: Option<PathBuf>,
    /// Start at this time (default: the newest sample).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,
    /// Travel in the past of --instance's tree as this Prometheus server (its base URL) holds
    /// it, instead of a store: the same keys, one step a scrape.
    #[arg(
        long,
        value_name = "URL",
        conflicts_with = "store",
        requires = "instance"
    )]
    pub prometheus: Option<String>,
    /// With --prometheus: the instance (its `instance` label, e.g. web1:9659) to show.
    #[arg(long, value_name = "NAME", requires = "prometheus")]
    pub instance: Option<String>,
}

// `cgtui events`
#[derive(clap::Args)]
pub struct EventsArgs {
    /// The store to read: default /var/lib/cgtui as root, $XDG_STATE_HOME/cgtui/store
    /// otherwise.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub store: Option<PathBuf>,
    /// Events from TIME on (RFC 3339, Unix time, -10m, HH:MM, `yesterday 03:00`; UTC).
    /// Default: the oldest recorded.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub from: Option<String>,
    /// Events up to TIME. Default: the newest recorded.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub to: Option<String>,
    /// One JSON document per event.
    #[arg(long)]
    pub json: bool,
}

// `cgtui export`
#[derive(clap::Args)]
pub struct ExportArgs {
    /// IP:PORT, localhost:PORT, or a path (with a /) for a unix socket. Ignored when
    /// systemd passes a socket (socket activation).
    #[arg(long, value_name = "ADDR", default_value = crate::export::server::DEFAULT_LISTEN,
          value_parser = crate::export::server::parse_listen)]
    pub listen: crate::export::server::Listen,
    /// Allow an address other machines can reach (not loopback): the metrics name every
    /// cgroup, unit and user of this host, with no authentication (see docs/src/export.md).
    #[arg(long)]
    pub allow_remote: bool,
    #[command(flatten)]
    pub selection: crate::export::SelectionArgs,
}

// `cgtui set`: what to write (shared with `check set`) and how.
#[derive(clap::Args)]
pub struct SetCommandArgs {
    #[command(flatten)]
    pub target: SetArgs,
    /// auto: through systemd where it owns the cgroup, else the file; fs: always the file;
    /// systemd: always through the owning manager.
    #[arg(long, value_enum, default_value = "auto")]
    pub via: crate::editor::Route,
    /// With systemd: keep the change across reboots (like systemctl set-property without --runtime).
    #[arg(long)]
    pub persist: bool,
    /// Write VALUE exactly as given, unchecked (to compare `check` with the kernel's answer).
    #[arg(long, hide = true)]
    pub unchecked: bool,
}

// `cgtui undo`
#[derive(clap::Args)]
pub struct UndoArgs {
    /// The journal id of the change to undo (`cgtui undo --list` shows them); default the
    /// latest change of yours that can be undone.
    #[arg(value_name = "ID", conflicts_with = "list")]
    pub id: Option<String>,
    /// List your changes that are not undone yet, latest first, with their ids; those that
    /// cannot be undone now say why.
    #[arg(long)]
    pub list: bool,
    /// Print JSON instead of text: the outcome as one object, or with --list one object per
    /// change.
    #[arg(long)]
    pub json: bool,
}

// `cgtui check`
#[derive(clap::Args)]
pub struct CheckArgs {
    #[command(subcommand)]
    pub what: CheckOp,
}

// `cgtui explain`
#[derive(clap::Args)]
pub struct ExplainArgs {
    /// The cgroup: relative to the cgroup2 mount (`user.slice/x`) or absolute under it.
    pub cgroup: PathBuf,
    /// Print the explanation as JSON (fields: docs/src/check-explain.md).
    #[arg(long)]
    pub json: bool,
}

// `cgtui delegate`
#[derive(clap::Args)]
pub struct DelegateArgs {
    /// Delegate only these controllers (comma-separated), e.g. memory,pids.
    #[arg(long, value_delimiter = ',')]
    pub controllers: Option<Vec<String>>,
    /// Stop the playground UNIT instead (it ends its processes). Only a playground cgtui
    /// started for you (its invocation is in your journal) is stopped, unless --force.
    #[arg(long, value_name = "UNIT", conflicts_with = "command")]
    pub stop: Option<String>,
    /// With --stop: stop UNIT even if cgtui did not start it.
    #[arg(long, requires = "stop")]
    pub force: bool,
    /// As root, delegate by hand to this user (name or uid) instead of asking systemd: make
    /// cgtui-playground-PID and chown it, cgroup.procs, cgroup.threads and
    /// cgroup.subtree_control to them (the default where no systemd runs, for SUDO_UID).
    #[arg(long, value_name = "USER", conflicts_with_all = ["stop", "controllers"])]
    pub student: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Run this in the playground and wait for it; without it a placeholder keeps the scope.
    #[arg(last = true)]
    pub command: Vec<String>,
}

// `cgtui lessons`
#[derive(clap::Args)]
pub struct LessonsArgs {
    /// One JSON document: every lesson with its id, title, languages, needs and exercises.
    #[arg(long)]
    pub json: bool,
    /// Predict, then verify: set exercise ID up in a fresh cgroup, make its write as the
    /// student and grade GUESS (ok, or an errno such as EACCES) against the kernel's answer;
    /// the answer is kept in $XDG_STATE_HOME/cgtui/lessons.json.
    #[arg(long = "try", num_args = 2, value_names = ["ID", "GUESS"])]
    pub try_exercise: Option<Vec<String>>,
    /// With --try as root: the student the write is made as (user name or uid; default
    /// SUDO_UID, else CGTUI_STUDENT).
    #[arg(long, value_name = "USER", requires = "try_exercise")]
    pub student: Option<String>,
    /// With --try without root: a cgroup of yours (your playground) to set the exercise up in.
    #[arg(long = "in", value_name = "CGROUP", requires = "try_exercise")]
    pub inside: Option<PathBuf>,
}

// `cgtui completions`
#[derive(clap::Args)]
pub struct CompletionsArgs {
    /// The shell the script is for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

// `cgtui __complete`
#[derive(clap::Args)]
pub struct CompleteArgs {
    /// The words after `cgtui`, the last one being completed (may be empty).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub words: Vec<String>,
}

// `cgtui manpage`
#[derive(clap::Args)]
pub struct ManpageArgs {
    /// Write cgtui.1 and a page per subcommand into DIR instead of printing cgtui.1.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub dir: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SnapshotFormat {
    Text,
    Json,
    Openmetrics,
    Prometheus,
}

/// The operations `check` predicts: the same arguments as the commands that do them.
#[derive(Subcommand)]
pub enum CheckOp {
    /// Would writing VALUE to FILE of CGROUP succeed?
    Set(SetArgs),
    /// Would creating CGROUP succeed?
    Mkdir(CgroupArgs),
    /// Would removing CGROUP succeed?
    Rmdir(CgroupArgs),
    /// Would moving PID into CGROUP succeed?
    Move(MoveArgs),
}

// What `set` and `check set` write.
#[derive(clap::Args)]
pub struct SetArgs {
    /// The cgroup: relative to the cgroup2 mount (`user.slice/x`) or absolute under it.
    pub cgroup: PathBuf,
    /// An interface file, named as the kernel names it (memory.max, cpu.max, io.max, ...).
    pub file: String,
    /// The value; human units are accepted (512M, 1.5G, max, 50% for cpu.max).
    #[arg(allow_hyphen_values = true)]
    pub value: String,
    /// Print the result as JSON (fields: docs/src/changing.md; for check, check-explain.md).
    #[arg(long)]
    pub json: bool,
}

// The cgroup of `mkdir` and `rmdir` (and their `check`s).
#[derive(clap::Args)]
pub struct CgroupArgs {
    /// The cgroup: relative to the cgroup2 mount (`user.slice/x`) or absolute under it.
    pub cgroup: PathBuf,
    /// Print the result as JSON (fields: docs/src/changing.md; for check, check-explain.md).
    #[arg(long)]
    pub json: bool,
}

// The process and cgroup of `move` (and its `check`).
#[derive(clap::Args)]
pub struct MoveArgs {
    /// The process to move (read as the kernel reads it: 4242, 0x1092 and 010222 are one PID).
    #[arg(value_parser = crate::cgroup::value::pid_arg)]
    pub pid: u32,
    /// The cgroup: relative to the cgroup2 mount (`user.slice/x`) or absolute under it.
    pub cgroup: PathBuf,
    /// Print the result as JSON (fields: docs/src/changing.md; for check, check-explain.md).
    #[arg(long)]
    pub json: bool,
}

/// `--interval SECS`, within [`crate::interval`]'s bounds.
fn parse_interval(text: &str) -> Result<Duration, String> {
    use crate::interval::{MAX_INTERVAL, MIN_INTERVAL, OutOfRange, secs_text};
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    crate::interval::from_secs(secs).map_err(|bound| match bound {
        OutOfRange::TooShort => format!(
            "{text} s is too short: the floor is {} s",
            secs_text(MIN_INTERVAL)
        ),
        OutOfRange::TooLong => format!(
            "{text} s is too long: at most {} s",
            secs_text(MAX_INTERVAL)
        ),
    })
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let ms = crate::time::parse_duration_ms(text)?;
    if ms <= 0 {
        return Err(format!("{text:?} is not a positive duration"));
    }
    Ok(Duration::from_millis(ms as u64))
}

fn parse_size(text: &str) -> Result<u64, String> {
    match crate::cgroup::value::parse_size(text) {
        Some(0) => Err(format!("{text:?} is out of range")),
        Some(bytes) => Ok(bytes),
        None => Err(format!("{text:?} is not a size like 500M or 2G")),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::FromArgMatches;
    use std::ffi::OsString;

    fn args(line: &str) -> Vec<OsString> {
        line.split(' ').map(OsString::from).collect()
    }

    fn whole(line: &str) -> Result<Cli, clap::Error> {
        command()
            .try_get_matches_from(args(line))
            .and_then(|matches| Cli::from_arg_matches(&matches))
    }

    #[test]
    fn every_subcommand_name_is_known_to_the_parse_without_them() {
        let mut command = command();
        command.build();
        let names: Vec<&str> = command.get_subcommands().map(|s| s.get_name()).collect();
        assert!(names.len() > 10 && names.contains(&"help"), "{names:?}");
        for name in names {
            assert!(is_subcommand(name), "{name}");
        }
        for flag_or_value in ["--root", "user.slice", "snap", "Snapshot"] {
            assert!(!is_subcommand(flag_or_value), "{flag_or_value}");
        }
    }

    /// The TUI's flags parse to the same values with the subcommands built or not; a
    /// subcommand's name, help, the version and errors go to the whole command.
    #[test]
    fn the_top_level_flags_parse_alike_without_the_subcommands() {
        for line in [
            "cgtui",
            "cgtui --root user.slice --interval 2.5",
            "cgtui --lang zh --read-only --no-mouse --color never",
            "cgtui --root=snapshot",
            "cgtui --prometheus http://prom:9090 --instance web1:9659",
            "cgtui --fixture /tmp/f --fixture-writable --max-watches 7",
        ] {
            let fast = parse(args(line)).unwrap_or_else(|e| panic!("{line}: {e}"));
            let whole = whole(line).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert!(fast.command.is_none() && whole.command.is_none(), "{line}");
            assert_eq!(
                format!("{:?}", fast.global),
                format!("{:?}", whole.global),
                "{line}"
            );
        }
        let snapshot = parse(args("cgtui --root user.slice snapshot --json")).unwrap();
        assert!(matches!(snapshot.command, Some(Command::Snapshot(_))));
        for (line, kind) in [
            ("cgtui --bogus", clap::error::ErrorKind::UnknownArgument),
            ("cgtui stray", clap::error::ErrorKind::InvalidSubcommand),
            ("cgtui --version", clap::error::ErrorKind::DisplayVersion),
            ("cgtui --help", clap::error::ErrorKind::DisplayHelp),
            (
                "cgtui --instance a",
                clap::error::ErrorKind::MissingRequiredArgument,
            ),
        ] {
            let fast = parse(args(line))
                .err()
                .map(|e| (e.kind(), e.render().to_string()));
            let whole = whole(line)
                .err()
                .map(|e| (e.kind(), e.render().to_string()));
            assert_eq!(fast.as_ref().map(|e| e.0), Some(kind), "{line}");
            assert_eq!(fast, whole, "{line}");
        }
    }
}
