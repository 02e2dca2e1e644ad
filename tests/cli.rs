//! The command line as a pipeline stage (`cgtui snapshot | head -1`) and for a user with no home
//! (a service, or a uid with no passwd entry): what never writes needs no journal.

mod common;

use common::Pty;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

const SVC: &str = "/system.slice/fxload.service";

#[test]
fn a_reader_that_goes_away_ends_batch_output_quietly() {
    for json in [false, true] {
        let fixture = common::fixture();
        let mut args = vec![
            "--fixture",
            fixture.to_str().unwrap(),
            "--interval",
            "0.2",
            "snapshot",
            "--count",
            "5",
        ];
        if json {
            args.push("--json");
        }
        let mut child = Command::new(common::binary())
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // `head -1`: read one line, then close the pipe.
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "json={json}: {err}");
        assert!(err.is_empty(), "json={json}: said {err:?}");
    }
}

/// cgtui as uid 4242, which has no passwd entry, with no HOME and no XDG_STATE_HOME.
fn homeless(args: &[&str]) -> Command {
    let mut command = Command::new("setpriv");
    command
        .args([
            "--reuid=4242",
            "--regid=4242",
            "--clear-groups",
            "env",
            "-i",
        ])
        .arg("PATH=/usr/bin:/bin")
        .arg(common::binary())
        .args(args);
    command
}

fn setpriv_or_skip() -> bool {
    let found = Command::new("setpriv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("SKIPPED: no setpriv");
    }
    found && rustix::process::geteuid().is_root()
}

#[test]
fn read_only_and_predictions_need_no_home() {
    if !setpriv_or_skip() {
        return;
    }
    let fixture = common::fixture();
    let f = fixture.to_str().unwrap();
    let out = homeless(&[
        "--fixture",
        f,
        "--read-only",
        "set",
        SVC,
        "memory.max",
        "1G",
    ])
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("read-only mode"), "{err}");
    assert!(!err.contains("journal"), "{err}");

    let out = homeless(&["--fixture", f, "check", "set", SVC, "memory.max", "1G"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("memory.max"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A write to a tree as on a host does need the journal, and says so.
    let out = homeless(&[
        "--fixture",
        f,
        "--fixture-writable",
        "set",
        SVC,
        "memory.max",
        "1G",
    ])
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("cannot find a place for the journal"), "{err}");
}

#[test]
fn the_tui_starts_read_only_without_a_home() {
    if !setpriv_or_skip() {
        return;
    }
    let fixture = common::fixture();
    let args = [
        "--reuid=4242",
        "--regid=4242",
        "--clear-groups",
        "env",
        "-i",
        "TERM=xterm-256color",
        common::binary(),
        "--fixture",
        fixture.to_str().unwrap(),
        "--read-only",
    ];
    let mut pty = Pty::spawn_program("setpriv", &args, 120, 30);
    pty.wait_text("READ-ONLY", Duration::from_secs(20));
    pty.send("q");
    assert!(pty.wait_exit(Duration::from_secs(10)));
}

/// The Debian 12 fixture behaves like its host: alice owns user@1000.service, which systemd
/// delegated to her (trusted.delegate), and systemd runs there (init.scope).
#[test]
fn explain_on_the_debian_fixture_shows_alices_delegation() {
    let fixture = common::fixture();
    let service = "/user.slice/user-1000.slice/user@1000.service";
    let out = Command::new(common::binary())
        .args(["--fixture", fixture.to_str().unwrap(), "explain", service])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "delegation root: {service}, delegated to alice (uid 1000) (by xattr trusted.delegate set by systemd on user@1000.service"
        )),
        "{text}"
    );
    assert!(text.contains("alice (uid 1000) mode 755"), "{text}");
    assert!(text.contains("managed by: the system manager"), "{text}");

    let out = Command::new(common::binary())
        .args([
            "--fixture",
            fixture.to_str().unwrap(),
            "explain",
            service,
            "--json",
        ])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["delegation"]["delegatee"], "alice");
    assert_eq!(json["delegation"]["delegatee_uid"], 1000);
    assert_eq!(json["systemd"]["unit_delegated"], true);
}

/// A fixture's units are the captured host's: `set` never asks this machine's systemd.
#[test]
fn a_fixture_is_never_written_through_this_machines_systemd() {
    let fixture = common::fixture();
    let state = tempfile::tempdir().unwrap();
    let out = Command::new(common::binary())
        .args([
            "--fixture",
            fixture.to_str().unwrap(),
            "set",
            SVC,
            "memory.max",
            "1G",
        ])
        .args(["--via", "systemd", "--json"])
        .env("XDG_STATE_HOME", state.path())
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["result"], "failed", "{json}");
    assert!(
        json["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("a fixture has no systemd manager")),
        "{json}"
    );
    assert_eq!(
        std::fs::read_to_string(fixture.join("system.slice/fxload.service/memory.max")).unwrap(),
        "209715200\n"
    );
}

/// clap's own consistency checks (every `conflicts_with`, `requires` and group names an
/// argument that exists, no two flags share a name), which it otherwise runs only when the
/// offending subcommand is parsed.
#[test]
fn the_command_line_definitions_are_consistent() {
    cgtui::cli::command().debug_assert();
}

/// main.rs dispatches every subcommand by name, with no catch-all arm that would quietly run
/// the TUI (or nothing) for a subcommand someone forgot.
#[test]
fn every_subcommand_has_its_own_arm_in_the_dispatch() {
    let main = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/main.rs"))
        .expect("src/main.rs");
    let start = main.find("\nfn run(").expect("main.rs has fn run");
    let end = start + main[start..].find("\n}\n").expect("fn run ends");
    let dispatch = &main[start..end];
    assert!(
        !dispatch.contains("_ =>"),
        "fn run has a catch-all arm:\n{dispatch}"
    );
    let names: Vec<String> = cgtui::cli::command()
        .get_subcommands()
        .map(|sub| sub.get_name().to_string())
        .collect();
    assert!(names.len() >= 15, "{names:?}");
    for name in names {
        // `__complete`, the scripts' hidden helper, is Command::Complete.
        let bare = name.trim_start_matches('_');
        let variant: String = bare[..1].to_uppercase() + &bare[1..];
        assert!(
            dispatch.contains(&format!("Command::{variant}(")),
            "no arm for `cgtui {name}` in main.rs's fn run"
        );
    }
}

/// `--interval` and the config file's `interval` accept the same range (the TUI's keys clamp
/// to it too), and their messages name its ends.
#[test]
fn the_flag_and_the_config_file_accept_the_same_intervals() {
    use clap::Parser;
    let flag = |secs: &str| cgtui::cli::Cli::try_parse_from(["cgtui", "--interval", secs]);
    let file = |secs: &str| cgtui::config::parse(&format!("interval = {secs}\n"));
    for (secs, allowed) in [
        ("0.099", false),
        ("0.1", true),
        ("1", true),
        ("3600", true),
        ("3600.5", false),
        ("-1", false),
        ("inf", false),
        ("nan", false),
    ] {
        let by_flag = flag(secs);
        assert_eq!(by_flag.is_ok(), allowed, "--interval {secs}");
        if let Ok(cli) = by_flag {
            assert_eq!(
                cli.global.interval.map(|d| d.as_secs_f64()),
                Some(secs.parse().unwrap())
            );
        }
        // TOML spells infinity and NaN without quotes, in lower case.
        assert_eq!(file(secs).is_ok(), allowed, "interval = {secs}");
    }
    let too_short = flag("0.05").err().unwrap().to_string();
    assert!(
        too_short.contains("0.05 s is too short: the floor is 0.1 s"),
        "{too_short}"
    );
    let too_long = flag("3601").err().unwrap().to_string();
    assert!(
        too_long.contains("3601 s is too long: at most 3600 s"),
        "{too_long}"
    );
    let in_file = format!("{:#}", file("0.05").err().unwrap());
    assert!(
        in_file.contains("interval: 0.05 is not between 0.1 and 3600 seconds"),
        "{in_file}"
    );
    assert_eq!(cgtui::app::MIN_INTERVAL, cgtui::interval::MIN_INTERVAL);
    assert_eq!(cgtui::app::MAX_INTERVAL, cgtui::interval::MAX_INTERVAL);
}

/// `cgtui completions SHELL | head -c 20`, 30 times for each shell: the reader going away
/// never makes cgtui panic, or say anything.
#[test]
fn completions_through_a_closed_pipe_never_panic() {
    use std::io::Read;
    for shell in ["bash", "zsh", "fish"] {
        for run in 0..30 {
            let mut child = Command::new(common::binary())
                .args(["completions", shell])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut first = [0u8; 20];
            child.stdout.take().unwrap().read_exact(&mut first).unwrap();
            let out = child.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "{shell} run {run}: {err}");
            assert!(err.is_empty(), "{shell} run {run}: said {err:?}");
        }
    }
}

/// What bash completes for `words` (the last one is being completed) with the script
/// `cgtui completions bash` prints, cgtui found on PATH as a user's shell finds it.
fn bash_completes(words: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let script = Command::new(common::binary())
        .args(["completions", "bash"])
        .output()
        .unwrap();
    let file = dir.path().join("cgtui.bash");
    std::fs::write(&file, script.stdout).unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(common::binary(), bin.join("cgtui")).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let current = words.len() - 1;
    let program = format!(
        "source '{}'; COMP_WORDS=(cgtui {}); COMP_CWORD={}; COMP_LINE='cgtui {}'; \
         COMP_POINT=${{#COMP_LINE}}; complete -p cgtui; _cgtui_live cgtui '{}' '{}'; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        file.display(),
        quoted.join(" "),
        current + 1,
        words.join(" "),
        words[current],
        if current == 0 {
            "cgtui"
        } else {
            words[current - 1]
        },
    );
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .env("PATH", path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines = stdout.lines();
    // `complete -p`: the live function is the one registered.
    let registered = lines.next().unwrap_or_default();
    assert!(registered.contains("-F _cgtui_live"), "{registered}");
    lines
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_cgroups_and_interface_files_from_the_tree() {
    if Command::new("bash").arg("--version").output().is_err() {
        return;
    }
    let fixture = common::fixture().display().to_string();
    let f = fixture.as_str();
    assert_eq!(
        bash_completes(&["--fixture", f, "--root", "sys"]),
        ["system.slice/"]
    );
    assert_eq!(
        bash_completes(&["--fixture", f, "set", "/system.slice/fx"]),
        ["/system.slice/fxload.service/"]
    );
    assert_eq!(
        bash_completes(&["--fixture", f, "check", "set", "system.slice/", "memory.m"]),
        ["memory.max", "memory.min"]
    );
    let files = bash_completes(&["--fixture", f, "set", SVC, "memory.m"]);
    assert_eq!(files, ["memory.max", "memory.min"]);
    assert_eq!(
        bash_completes(&[
            "--fixture",
            f,
            "move",
            "340",
            "user.slice/user-1000.slice/u"
        ]),
        ["user.slice/user-1000.slice/user@1000.service/"]
    );
    // Not a cgroup: clap's own completion.
    assert!(bash_completes(&["snapshot", "--js"]).contains(&"--json".to_string()));
    // --root's value is a cgroup, never a file of the current directory.
    let found = bash_completes(&["--fixture", f, "--root", "us"]);
    assert_eq!(found, ["user.slice/"]);
}

/// zsh and fish ask cgtui for the live tree too: zsh through `_cgtui` in front of clap's
/// function (kept as `_cgtui_static`), fish next to clap's rules.
#[test]
fn zsh_and_fish_scripts_ask_for_the_live_tree() {
    let script = |shell: &str| {
        let out = Command::new(common::binary())
            .args(["completions", shell])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let zsh = script("zsh");
    assert_eq!(zsh.matches("_cgtui_static() {").count(), 1, "{zsh}");
    assert_eq!(zsh.matches("\n_cgtui() {").count(), 1, "{zsh}");
    let live = zsh.find("\n_cgtui() {").unwrap();
    assert!(zsh[live..].contains("__complete --"), "{zsh}");
    // Defined before the file calls or registers it.
    let registration = zsh
        .rfind("if [ \"$funcstack[1]\" = \"_cgtui\" ]; then")
        .unwrap();
    assert!(live < registration, "{zsh}");
    assert!(zsh.trim_end().ends_with("fi"), "{zsh}");
    let fish = script("fish");
    assert!(
        fish.contains("complete -c cgtui -f -a '(cgtui __complete --"),
        "{fish}"
    );
}

/// Each subcommand's help lists only the flags that mean something to it, every one of them
/// described; the global flags a batch command does not read are not offered there.
#[test]
fn every_subcommand_lists_only_its_flags_each_described() {
    let mut command = cgtui::cli::command();
    command.build();
    let mut undescribed = Vec::new();
    for sub in command.get_subcommands() {
        if sub.is_hide_set() {
            continue;
        }
        for arg in sub.get_arguments().filter(|a| !a.is_hide_set()) {
            if arg.get_help().is_none() && arg.get_id() != "help" {
                undescribed.push(format!("{} {}", sub.get_name(), arg.get_id()));
            }
        }
    }
    assert!(undescribed.is_empty(), "no description: {undescribed:?}");
    let shown = |name: &str| {
        let out = Command::new(common::binary())
            .args([name, "--help"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{name} --help");
        String::from_utf8(out.stdout).unwrap()
    };
    for name in ["set", "undo", "explain", "check", "events", "completions"] {
        let help = shown(name);
        for flag in ["--interval", "--resolve-names"] {
            assert!(!help.contains(flag), "{name} --help offers {flag}:\n{help}");
        }
    }
    assert!(!shown("explain").contains("--read-only"));
    assert!(shown("set").contains("--read-only"));
    // Defaults stated once, and true of that subcommand.
    let record = shown("record");
    assert_eq!(record.matches("Default: 5").count(), 1, "{record}");
    assert!(!record.contains("else 1"), "{record}");
    assert!(
        !record.to_lowercase().contains("default 5 s here"),
        "{record}"
    );
    let snapshot = shown("snapshot");
    assert!(!snapshot.contains("config file's `interval`"), "{snapshot}");
}

/// The man page's KEYS come from the keymap table, every binding of it.
#[test]
fn the_man_page_lists_the_keys_from_the_keymap() {
    let out = Command::new(common::binary())
        .arg("manpage")
        .output()
        .unwrap();
    let page = String::from_utf8(out.stdout).unwrap();
    let keys = page.find(".SH KEYS").expect("a KEYS section");
    let see_also = page
        .find(".SH \"SEE ALSO\"")
        .or_else(|| page.find(".SH SEE ALSO"))
        .unwrap();
    let section = &page[keys..see_also];
    let listing = cgtui::app::keymap::Keymap::default().listing();
    assert!(listing.len() > 40, "{}", listing.len());
    for (context, _, description) in listing {
        assert!(section.contains(context.title()), "{}", context.title());
        // roff escapes some characters (quotes, dashes); the plain words are there.
        let words: Vec<&str> = description
            .split_whitespace()
            .filter(|w| w.chars().all(char::is_alphanumeric))
            .collect();
        assert!(!words.is_empty(), "{description:?}");
        for word in words {
            assert!(
                section.contains(word),
                "{word:?} of {description:?} missing from KEYS"
            );
        }
    }
}
