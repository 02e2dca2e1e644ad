//! cgtui: parse the command line, pick the hierarchy, run the TUI or a batch command.

use anyhow::{Context, Result, bail};
use cgtui::cgroup::escape::visible_path;
use cgtui::cgroup::{CgroupPath, Cgroupfs};
use cgtui::cli::{Cli, Command, Global};
use cgtui::commands::{self, Hierarchy};

fn main() {
    let parsed = cgtui::cli::parse(std::env::args_os().collect());
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

/// One handler per subcommand, and no catch-all arm: a new `Command` without a handler does
/// not compile.
fn run(cli: Cli) -> Result<i32> {
    let Cli { global, command } = cli;
    cgtui::i18n::set(global.lang.unwrap_or_else(cgtui::i18n::Lang::from_env));
    let Some(command) = command else {
        if let Some(url) = &global.prometheus {
            let hierarchy = Hierarchy {
                fs: commands::prometheus::hierarchy_fs(&global)?,
                base: CgroupPath::root(),
            };
            return commands::prometheus::live(&global, hierarchy, url, global.instance.as_deref());
        }
        let hierarchy = commands::for_writes(open_hierarchy(&global)?, &global)?;
        return commands::tui::run(&global, hierarchy, None);
    };
    if global.prometheus.is_some() {
        bail!(
            "--prometheus before a subcommand is the TUI's; snapshot and replay take their own              after their name (cgtui replay --prometheus URL --instance NAME)"
        );
    }
    let hierarchy = || subcommand_hierarchy(&global);
    let writable = || commands::for_writes(subcommand_hierarchy(&global)?, &global);
    let read_only = global.read_only;
    match command {
        Command::Snapshot(args) => commands::snapshot::run(&args, &global, hierarchy()?),
        Command::Record(args) => commands::record::run(&args, &global, hierarchy()?),
        // --root is a path on the remote host: the local tree is only the runtime's.
        Command::Replay(args) if args.prometheus.is_some() => {
            let local = Hierarchy {
                fs: commands::prometheus::hierarchy_fs(&global)?,
                base: CgroupPath::root(),
            };
            commands::replay::run(&args, &global, local)
        }
        Command::Replay(args) => commands::replay::run(&args, &global, hierarchy()?),
        Command::Events(args) => commands::events::run(&args, hierarchy()?),
        Command::Export(args) => commands::export::run(&args, hierarchy()?),
        Command::Set(args) => commands::edit::set(writable()?.fs, &args, read_only),
        Command::Mkdir(args) => commands::edit::mkdir(writable()?.fs, &args, read_only),
        Command::Rmdir(args) => commands::edit::rmdir(writable()?.fs, &args, read_only),
        Command::Move(args) => commands::edit::move_process(writable()?.fs, &args, read_only),
        Command::Undo(args) => commands::edit::undo(writable()?.fs, &args, read_only),
        Command::Check(args) => commands::check::run(hierarchy()?.fs, &args),
        Command::Explain(args) => commands::explain::run(hierarchy()?.fs, &args),
        Command::Delegate(args) => commands::delegate::run(&args, &global, hierarchy()?),
        Command::Lessons(args) => commands::lessons::run(&args, &global, hierarchy),
        // Before any hierarchy is looked for: they work without cgroup2 (when packaging).
        Command::Completions(args) => commands::install::completions(&args),
        Command::Manpage(args) => commands::install::manpage(&args),
        Command::Complete(args) => commands::install::complete(&args),
    }
}

/// The hierarchy of a subcommand, which takes no live TUI's flags.
fn subcommand_hierarchy(global: &Global) -> Result<Hierarchy> {
    if global.store.is_some() || global.no_store {
        bail!(
            "--store and --no-store before a subcommand are the live TUI's; a subcommand that \
             reads a store takes its own --store after its name (cgtui replay --store DIR)"
        );
    }
    open_hierarchy(global)
}

/// `--fixture` or the kernel's cgroup2 mount, and `--root` in it.
fn open_hierarchy(global: &Global) -> Result<Hierarchy> {
    // The sampler keeps up to 4,096 cgroup files open between refreshes.
    cgtui::cgroup::files::raise_fd_limit();
    let fs = match &global.fixture {
        Some(dir) => Cgroupfs::fixture(dir)
            .with_context(|| format!("cannot use fixture {}", visible_path(dir)))?,
        None => Cgroupfs::system().context("cannot find the cgroup2 hierarchy")?,
    };
    let base = match &global.root {
        Some(root) => fs
            .resolve(root)
            .with_context(|| format!("--root {}", visible_path(root)))?,
        None => CgroupPath::root(),
    };
    Ok(Hierarchy { fs, base })
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
