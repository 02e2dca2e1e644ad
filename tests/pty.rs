//! End to end: the real binary in a pseudo-terminal, on the fixture tree, driven by keys.

mod common;

use common::Pty;
use std::time::Duration;

const START: Duration = Duration::from_secs(10);
const STEP: Duration = Duration::from_secs(3);

fn fixture_args() -> Vec<String> {
    vec!["--fixture".into(), common::fixture().display().to_string()]
}

fn spawn(extra: &[&str]) -> Pty {
    let mut args = fixture_args();
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    Pty::spawn(&refs, 120, 40)
}

#[test]
fn navigate_help_filter_and_quit() {
    let mut pty = spawn(&[]);
    pty.wait_text("fxplay.scope ◂ cgtui", START);
    assert!(
        pty.alternate_screen(),
        "the TUI draws on the alternate screen"
    );
    let screen = pty.screen();
    assert!(
        screen.contains("/user.slice/user-1000.slice/user@1000.service/app.slice/fxplay.scope"),
        "{screen}"
    );

    pty.send("?");
    pty.wait_text("cgtui help", STEP);
    pty.send("x");
    pty.wait_for("help to close", STEP, |s| !s.contains("cgtui help"));

    pty.send("/journal\r");
    pty.wait_for("the filter to apply", STEP, |s| {
        s.contains("systemd-journald.service") && !s.contains("fxplay.scope")
    });
    pty.send("\x1b");
    pty.wait_text("fxplay.scope", STEP);

    // Clearing the filter keeps the place.
    pty.wait_for("journald to stay selected", STEP, |s| {
        s.lines()
            .any(|l| l.starts_with("/system.slice/systemd-journald.service"))
    });
    // Collapse alice's subtree from the top: the scope disappears.
    pty.send("g");
    pty.send("jhjh");
    pty.wait_for("user.slice to collapse", STEP, |s| {
        !s.contains("user-1000.slice")
    });

    pty.send("q");
    assert!(pty.wait_exit(STEP), "q exits with success");
    assert!(
        !pty.alternate_screen(),
        "the alternate screen is left on quit"
    );
    assert!(pty.cooked_mode(), "raw mode is left on quit");
}

#[test]
fn signals_restore_the_terminal() {
    use rustix::process::Signal;
    for (signal, name) in [
        (Signal::TERM, "SIGTERM"),
        (Signal::HUP, "SIGHUP"),
        (Signal::INT, "SIGINT"),
    ] {
        let mut pty = spawn(&[]);
        pty.wait_text("fxplay.scope", START);
        assert!(!pty.cooked_mode(), "the TUI runs in raw mode");
        let pid = pty.pid().expect("child pid");
        rustix::process::kill_process(rustix::process::Pid::from_raw(pid as i32).unwrap(), signal)
            .unwrap();
        pty.wait_exit(STEP);
        assert!(
            !pty.alternate_screen(),
            "alternate screen left after {name}"
        );
        assert!(pty.cooked_mode(), "raw mode left after {name}");
    }
}

#[test]
fn a_panic_restores_the_terminal() {
    let args = fixture_args();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut pty = Pty::spawn_env(&refs, &[("CGTUI_TEST_PANIC", "1")], 120, 40);
    assert!(!pty.wait_exit(STEP), "a panic is a failure exit");
    assert!(
        !pty.alternate_screen(),
        "alternate screen left after a panic"
    );
    assert!(pty.cooked_mode(), "raw mode left after a panic");
    let raw = String::from_utf8_lossy(&pty.raw_output()).into_owned();
    assert!(
        raw.contains("panicking on purpose"),
        "the panic message is shown: {raw}"
    );
}

#[test]
fn watch_limit_note_on_screen() {
    let mut pty = spawn(&["--max-watches", "3"]);
    pty.wait_text("polling only", START);
    pty.send("q");
    assert!(pty.wait_exit(STEP));
}

#[test]
fn read_only_says_so_and_refuses_changes() {
    let mut pty = spawn(&["--read-only"]);
    pty.wait_text("READ-ONLY", START);
    pty.send("u");
    pty.wait_text("read-only mode", STEP);
    pty.send("q");
    assert!(pty.wait_exit(STEP));
}

#[test]
fn hostile_cgroup_names_never_reach_the_terminal_raw() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("cgroup.procs"), "").unwrap();
    // A name that would set the window title and clear the screen if printed raw, and one
    // that is not UTF-8.
    use std::os::unix::ffi::OsStrExt;
    let evil = std::ffi::OsStr::from_bytes(b"evil\x1b]0;pwned\x07\x1b[2J\x9b31m.scope");
    let bad_utf8 = std::ffi::OsStr::from_bytes(b"bad\xff\xfe.slice");
    for name in [evil, bad_utf8] {
        std::fs::create_dir(root.join(name)).unwrap();
        std::fs::write(root.join(name).join("cgroup.procs"), "").unwrap();
    }
    let mut pty = Pty::spawn(&["--fixture", &root.display().to_string()], 120, 30);
    pty.wait_text("evil\\e]0;pwned\\x07\\e[2J", START);
    pty.wait_text("bad\\xff\\xfe.slice", STEP);
    let raw = pty.raw_output();
    assert!(
        !raw.windows(4).any(|w| w == b"\x1b]0;"),
        "the OSC title sequence reached the terminal"
    );
    assert!(!raw.contains(&0x07), "a BEL reached the terminal");
    assert!(
        !raw.windows(2).any(|w| w == b"\xc2\x9b"),
        "a C1 CSI reached the terminal"
    );
    assert!(
        !raw.windows(2).any(|w| w == b"\xff\xfe"),
        "invalid UTF-8 reached the terminal"
    );
    pty.send("q");
    assert!(pty.wait_exit(STEP));
}

#[test]
fn not_a_terminal_and_bad_arguments_are_clear_errors() {
    let run = |args: &[&str]| {
        std::process::Command::new(common::binary())
            .args(args)
            .output()
            .unwrap()
    };
    let fixture = common::fixture().display().to_string();

    let out = run(&["--fixture", &fixture]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a terminal"));

    let out = run(&[
        "--fixture",
        &fixture,
        "--root",
        "no/such/cgroup",
        "snapshot",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no/such/cgroup") && err.contains("does not exist"),
        "{err}"
    );

    let out = run(&[
        "--fixture",
        &fixture,
        "--root",
        "user.slice/../..",
        "snapshot",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`..` is not allowed"));

    let out = run(&["--interval", "0.01", "snapshot"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("floor is 0.1 s"));

    let out = run(&["--root", "/tmp", "snapshot"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not on a cgroup2 filesystem"));
}

#[test]
fn snapshot_text_and_json_on_the_fixture() {
    let fixture = common::fixture().display().to_string();
    let out = std::process::Command::new(common::binary())
        .args([
            "--fixture",
            &fixture,
            "snapshot",
            "--json",
            "--count",
            "2",
            "--interval",
            "0.1",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let docs: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(docs.len(), 2);
    let fxload = |doc: &serde_json::Value| {
        doc["cgroups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["path"] == "/system.slice/fxload.service")
            .cloned()
            .unwrap()
    };
    let (first, second) = (fxload(&docs[0]), fxload(&docs[1]));
    assert_eq!(first["memory"]["max"], 209715200);
    assert_eq!(first["memory"]["limit_source"], "memory.max");
    assert_eq!(first["memory"]["high"], "max");
    assert_eq!(first["nr_procs"], 2);
    assert_eq!(first["io"]["devices"][0]["device"], "254:0");
    assert_eq!(first["io"]["devices"][0]["name"], "vda");
    assert_eq!(first["io"]["devices"][0]["rbytes"], 209932288u64);
    assert!(first["io"]["read_bps"].is_null() && first["cpu"]["pct"].is_null());
    assert_eq!(second["io"]["read_bps"], 0.0);
    assert_eq!(second["cpu"]["pct"], 0.0);
    assert_eq!(first["cpu"]["pressure"]["some"]["avg10"], 0.32);
    let root = &docs[0]["cgroups"][0];
    assert!(
        root["missing"]["memory"]
            .as_str()
            .unwrap()
            .contains("root cgroup has no memory.current")
    );

    let out = std::process::Command::new(common::binary())
        .args(["--fixture", &fixture, "--root", "system.slice", "snapshot"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("3 cgroups") && text.contains("/system.slice/fxload.service"),
        "{text}"
    );
    assert!(!text.contains("user.slice"));
}

#[test]
fn mouse_selects_toggles_sorts_and_scrolls() {
    let mut pty = spawn(&[]);
    pty.wait_text("fxplay.scope ◂ cgtui", START);
    // SGR mouse reports, 1-based: row 4 is the second tree row (after the header lines).
    let click = |pty: &mut Pty, col: u16, row: u16| {
        pty.send(&format!("\x1b[<0;{col};{row}M\x1b[<0;{col};{row}m"))
    };
    click(&mut pty, 10, 4);
    pty.wait_for("system.slice selected", STEP, |s| {
        s.lines().any(|l| l.starts_with("/system.slice "))
    });
    click(&mut pty, 10, 4);
    pty.wait_text("fxload.service", STEP);
    // The MEM column header sorts by memory, biggest first.
    let screen = pty.screen();
    let header = screen.lines().nth(1).unwrap();
    let mem_col = header.find("MEM ").expect("MEM header") as u16 + 2;
    click(&mut pty, mem_col, 2);
    pty.wait_text("MEM▼", STEP);
    pty.send("\x1b[<65;10;6M");
    pty.wait_for("the wheel to move the selection", STEP, |s| {
        !s.lines().any(|l| l.starts_with("/system.slice "))
    });
    pty.send("q");
    assert!(pty.wait_exit(STEP));
}

#[test]
fn read_only_opens_nothing_for_writing_under_strace() {
    if std::process::Command::new("strace")
        .arg("-V")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: strace is not installed (apt-get install strace)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("trace");
    let tree = dir.path().join("tree");
    // A writable copy, so a write would succeed if cgtui tried one.
    std::process::Command::new("cp")
        .arg("-r")
        .arg(common::fixture())
        .arg(&tree)
        .status()
        .unwrap();
    let binary = common::binary().to_string();
    let log_arg = log.display().to_string();
    let tree_arg = tree.display().to_string();
    // strace follows every thread; cgtui is driven through the keys that would write.
    let mut pty = Pty::spawn_program(
        "strace",
        &[
            "-f",
            "-qq",
            "-e",
            "trace=open,openat,openat2,mkdir,mkdirat,rmdir,unlink,unlinkat,rename,renameat2",
            "-o",
            &log_arg,
            &binary,
            "--fixture",
            &tree_arg,
            "--read-only",
        ],
        120,
        40,
    );
    pty.wait_text("READ-ONLY", START);
    for keys in [
        "f", "y", "K", "y", "n", "x\r", "d", "y", "u", "e", "\r", "\x151G\r", "D", "c", " ",
    ] {
        pty.send(keys);
        std::thread::sleep(Duration::from_millis(50));
    }
    pty.send("\x1b");
    std::thread::sleep(Duration::from_millis(100));
    pty.send("q");
    pty.wait_exit(STEP);
    let trace = std::fs::read_to_string(&log).unwrap();
    let writes: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains(&tree_arg))
        .filter(|l| {
            l.contains("O_WRONLY")
                || l.contains("O_RDWR")
                || l.contains("mkdir")
                || l.contains("rmdir")
                || l.contains("unlink")
                || l.contains("rename")
        })
        .collect();
    assert!(
        trace.lines().any(|l| l.contains(&tree_arg)),
        "strace saw the reads: {}",
        &trace[..trace.len().min(2000)]
    );
    assert!(writes.is_empty(), "--read-only wrote: {writes:#?}");
}
