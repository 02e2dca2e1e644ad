//! End to end: the real binary in a pseudo-terminal, on the fixture tree, driven by keys.

mod common;

use common::Pty;
use std::time::Duration;

/// How long any step may take before the test fails, naming it. Generous, since the CI box has
/// 2 busy CPUs: a passing step takes milliseconds, and only a failure waits this long.
const WAIT: Duration = Duration::from_secs(30);

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
    pty.wait_text("fxplay.scope ◂ cgtui", WAIT);
    assert!(
        pty.alternate_screen(),
        "the TUI draws on the alternate screen"
    );
    // The details pane may come in the next chunk of the same frame.
    pty.wait_text(
        "/user.slice/user-1000.slice/user@1000.service/app.slice/fxplay.scope",
        WAIT,
    );

    pty.send("?");
    pty.wait_text("cgtui help", WAIT);
    pty.send("x");
    pty.wait_for("help to close", WAIT, |s| !s.contains("cgtui help"));

    pty.send("/journal\r");
    pty.wait_for("the filter to apply", WAIT, |s| {
        s.contains("systemd-journald.service") && !s.contains("fxplay.scope")
    });
    pty.send("\x1b");
    pty.wait_text("fxplay.scope", WAIT);

    // Clearing the filter keeps the place.
    pty.wait_for("journald to stay selected", WAIT, |s| {
        s.lines()
            .any(|l| l.starts_with("/system.slice/systemd-journald.service"))
    });
    // Collapse alice's subtree from the top: the scope disappears.
    pty.send("g");
    pty.send("jjhjh");
    pty.wait_for("user.slice to collapse", WAIT, |s| {
        !s.contains("user-1000.slice")
    });

    pty.send("q");
    assert!(pty.wait_exit(WAIT), "q exits with success");
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
        pty.wait_text("fxplay.scope", WAIT);
        assert!(!pty.cooked_mode(), "the TUI runs in raw mode");
        let pid = pty.pid().expect("child pid");
        rustix::process::kill_process(rustix::process::Pid::from_raw(pid as i32).unwrap(), signal)
            .unwrap();
        pty.wait_exit(WAIT);
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
    assert!(!pty.wait_exit(WAIT), "a panic is a failure exit");
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
    pty.wait_text("polling only", WAIT);
    pty.send("q");
    assert!(pty.wait_exit(WAIT));
}

#[test]
fn read_only_says_so_and_refuses_changes() {
    let mut pty = spawn(&["--read-only"]);
    pty.wait_text("READ-ONLY", WAIT);
    pty.send("u");
    pty.wait_text("read-only mode", WAIT);
    pty.send("q");
    assert!(pty.wait_exit(WAIT));
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
    pty.wait_text("evil\\e]0;pwned\\x07\\e[2J", WAIT);
    pty.wait_text("bad\\xff\\xfe.slice", WAIT);
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
    assert!(pty.wait_exit(WAIT));
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
    // memory.stat, and the working set: memory.current less inactive_file.
    let stat = &first["memory"]["stat"];
    let current = first["memory"]["current"].as_u64().expect("memory.current");
    let inactive = stat["inactive_file"].as_u64().expect("inactive_file");
    assert!(stat["anon"].as_u64().is_some(), "{stat}");
    assert_eq!(
        first["memory"]["working_set"].as_u64(),
        Some(current - inactive)
    );
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
    pty.wait_text("fxplay.scope ◂ cgtui", WAIT);
    // SGR mouse reports, 1-based: row 5 is the third tree row (after the header lines), below
    // / and init.scope.
    let click = |pty: &mut Pty, col: u16, row: u16| {
        pty.send(&format!("\x1b[<0;{col};{row}M\x1b[<0;{col};{row}m"))
    };
    click(&mut pty, 10, 5);
    pty.wait_for("system.slice selected", WAIT, |s| {
        s.lines().any(|l| l.starts_with("/system.slice "))
    });
    click(&mut pty, 10, 5);
    pty.wait_text("fxload.service", WAIT);
    // The MEM column header sorts by memory, biggest first.
    let screen = pty.screen();
    let header = screen.lines().nth(1).unwrap();
    let mem_col = header.find("MEM ").expect("MEM header") as u16 + 2;
    click(&mut pty, mem_col, 2);
    pty.wait_text("MEM▼", WAIT);
    pty.send("\x1b[<65;10;6M");
    pty.wait_for("the wheel to move the selection", WAIT, |s| {
        !s.lines().any(|l| l.starts_with("/system.slice "))
    });
    pty.send("q");
    assert!(pty.wait_exit(WAIT));
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
    pty.wait_text("READ-ONLY", WAIT);
    for keys in [
        "f", "y", "K", "y", "n", "x\r", "d", "y", "u", "e", "\r", "\x151G\r", "D", "c", " ",
    ] {
        pty.send(keys);
        std::thread::sleep(Duration::from_millis(50));
    }
    pty.send("\x1b");
    std::thread::sleep(Duration::from_millis(100));
    pty.send("q");
    pty.wait_exit(WAIT);
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

// ---------------------------------------------------------------------------------------
// Interactions that once went wrong, end to end at the three sizes people use, and a resize
// storm.

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (200, 60)];

/// A writable copy of the fixture, with a journal directory of its own.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("cp")
            .arg("-r")
            .arg(common::fixture())
            .arg(dir.path().join("tree"))
            .status()
            .unwrap();
        assert!(status.success(), "cp -r the fixture");
        std::fs::create_dir(dir.path().join("state")).unwrap();
        Scratch { dir }
    }

    fn tree(&self) -> std::path::PathBuf {
        self.dir.path().join("tree")
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![
            (
                "XDG_STATE_HOME".into(),
                self.dir.path().join("state").display().to_string(),
            ),
            (
                "XDG_CONFIG_HOME".into(),
                self.dir.path().join("config").display().to_string(),
            ),
        ]
    }

    fn spawn(&self, size: (u16, u16), extra: &[&str]) -> Pty {
        let tree = self.tree().display().to_string();
        // The tests read back what was written, and change the tree while cgtui runs.
        let mut args = vec!["--fixture", tree.as_str(), "--fixture-writable"];
        args.extend(extra);
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let pty = Pty::spawn_env(&args, &env, size.0, size.1);
        pty.wait_for("the tree to show fxplay.scope", WAIT, |s| {
            s.contains("fxplay.scope")
        });
        pty
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.tree().join(file)).unwrap()
    }

    /// `cgtui ARGS` on this tree, as from another terminal.
    fn cli(&self, args: &[&str]) -> std::process::Output {
        let tree = self.tree().display().to_string();
        std::process::Command::new(common::binary())
            .args(["--fixture", &tree, "--fixture-writable"])
            .args(args)
            .envs(self.env())
            .output()
            .unwrap()
    }
}

/// Esc alone: a key sent right after it in the same read would make it Alt+key.
fn esc(pty: &mut Pty) {
    pty.send("\x1b");
    std::thread::sleep(Duration::from_millis(300));
}

fn quit(pty: &mut Pty) {
    pty.send("q");
    let ok = pty.wait_exit(WAIT);
    assert!(
        ok,
        "q from the main view exits with success; screen:\n{}",
        pty.screen()
    );
}

/// cgtui still answers keys after `step`: help opens and closes again. (A cgtui that died
/// would leave its last screen behind, so a fresh answer is the proof of life.)
fn still_answers(pty: &mut Pty, step: &str) {
    pty.send("?");
    pty.wait_for(&format!("help to open after {step}"), WAIT, |s| {
        s.contains("cgtui help")
    });
    pty.send("x");
    pty.wait_for(&format!("help to close after {step}"), WAIT, |s| {
        !s.contains("cgtui help")
    });
}

/// The details pane's first line: the selected cgroup's path (cut from the left when long).
fn selected_line(screen: &str, tail: &str) -> bool {
    screen.lines().any(|l| {
        l.split_whitespace()
            .next()
            .is_some_and(|w| w.ends_with(tail))
    })
}

#[test]
fn resizing_while_keys_are_queued_never_panics() {
    for size in SIZES {
        let scratch = Scratch::new();
        let mut pty = scratch.spawn(size, &[]);
        // Keys that draw the sparklines, dialogs and help, sent with each shrink and growth.
        for (i, (w, h)) in [(30, 6), size, (20, 5), (120, 40), (1, 1), size]
            .into_iter()
            .enumerate()
        {
            pty.send(["jjj", "?", "x", "L", "e", "\x1b"][i % 6]);
            pty.resize(w, h);
            // Apart, so that each key lands between two resizes.
            std::thread::sleep(Duration::from_millis(50));
        }
        esc(&mut pty);
        still_answers(&mut pty, &format!("resizing at {size:?}"));
        quit(&mut pty);
    }
}

#[test]
fn resize_storm_between_200x60_and_20x5_never_panics() {
    let scratch = Scratch::new();
    let mut pty = scratch.spawn((200, 60), &[]);
    let keys = [
        "j", "k", "?", "x", "e", "\x1b", "L", "L", "i", "i", "G", "g", "/", "x", "\r",
    ];
    for round in 0..40 {
        let (w, h) = if round % 2 == 0 { (20, 5) } else { (200, 60) };
        pty.resize(w, h);
        pty.send(keys[round % keys.len()]);
        std::thread::sleep(Duration::from_millis(30));
    }
    // Out of any dialog or filter the keys left open.
    esc(&mut pty);
    esc(&mut pty);
    still_answers(&mut pty, "the resize storm");
    quit(&mut pty);
}

#[test]
fn esc_closes_and_cancels_but_never_quits() {
    for size in SIZES {
        let scratch = Scratch::new();
        let mut pty = scratch.spawn(size, &[]);
        esc(&mut pty);
        pty.wait_text("q quits", WAIT);
        assert!(pty.running(), "Esc quit at {size:?}");
        pty.send("?");
        pty.wait_text("cgtui help", WAIT);
        pty.send("q");
        pty.wait_for("q to close help", WAIT, |s| !s.contains("cgtui help"));
        still_answers(&mut pty, &format!("q closed help at {size:?}"));
        quit(&mut pty);
    }
}

#[test]
fn controllers_show_the_prediction_and_ask_before_writing() {
    for size in SIZES {
        let scratch = Scratch::new();
        let mut pty = scratch.spawn(size, &[]);
        let before = scratch.read("system.slice/cgroup.subtree_control");
        pty.send("gjj");
        pty.wait_for("system.slice selected", WAIT, |s| {
            selected_line(s, "/system.slice")
        });
        pty.send("c");
        pty.wait_text("controllers of /system.slice", WAIT);
        pty.send(" ");
        pty.wait_text("change controllers: confirm", WAIT);
        pty.wait_text("kernel: will", WAIT);
        assert_eq!(
            scratch.read("system.slice/cgroup.subtree_control"),
            before,
            "written before y"
        );
        pty.send("n");
        pty.wait_for("the confirmation to close", WAIT, |s| {
            !s.contains("change controllers")
        });
        assert_eq!(
            scratch.read("system.slice/cgroup.subtree_control"),
            before,
            "written after no"
        );
        quit(&mut pty);
    }
}

#[test]
fn pids_are_never_cut() {
    for size in SIZES {
        let scratch = Scratch::new();
        let tree = scratch.tree();
        let scope = "user.slice/user-1000.slice/user@1000.service/app.slice/fxplay.scope";
        std::fs::write(tree.join(scope).join("cgroup.procs"), "340\n4194301\n").unwrap();
        let proc = tree.join(".proc/4194301");
        std::fs::create_dir_all(&proc).unwrap();
        std::fs::write(
            proc.join("stat"),
            "4194301 (worker) S 1 1 1 0 -1 4194560 120 0 0 0 12 90 0 0 20 0 1 0 1200 12345678 350 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
        )
        .unwrap();
        std::fs::write(proc.join("comm"), "worker\n").unwrap();
        let long = format!("/usr/bin/worker{}", "\0--a-very-long-flag".repeat(20));
        std::fs::write(proc.join("cmdline"), long).unwrap();
        let mut pty = scratch.spawn(size, &[]);
        pty.wait_text("4194301", WAIT);
        pty.wait_text("…", WAIT);
        quit(&mut pty);
    }
}

#[test]
fn filter_selects_the_first_match_shows_new_ones_and_keeps_the_place() {
    for size in SIZES {
        let scratch = Scratch::new();
        let mut pty = scratch.spawn(size, &["--interval", "0.2"]);
        pty.send("g/fx");
        pty.wait_for("the first match selected", WAIT, |s| {
            selected_line(s, "/system.slice/fxload.service")
        });
        pty.send("\r");
        pty.wait_text("filter: fx", WAIT);
        pty.send("n");
        pty.wait_for("the next match", WAIT, |s| selected_line(s, "fxplay.scope"));
        let new = scratch.tree().join("system.slice/fxnew.service");
        std::fs::create_dir(&new).unwrap();
        std::fs::write(new.join("cgroup.procs"), "").unwrap();
        pty.wait_text("fxnew.service", WAIT);
        esc(&mut pty);
        pty.wait_for("the filter to clear", WAIT, |s| !s.contains("filter: fx"));
        pty.wait_for("the place kept", WAIT, |s| {
            selected_line(s, "fxplay.scope") && s.contains("system.slice")
        });
        quit(&mut pty);
    }
}

#[test]
fn reverse_name_sort_and_natural_order() {
    for size in SIZES {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cgroup.procs"), "").unwrap();
        for name in ["job10", "job2", "job1"] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
            std::fs::write(dir.path().join(name).join("cgroup.procs"), "").unwrap();
        }
        let root = dir.path().display().to_string();
        let mut pty = Pty::spawn(&["--fixture", &root], size.0, size.1);
        let order = |s: &str| {
            let mut found: Vec<(usize, &str)> = ["job1 ", "job2 ", "job10 "]
                .iter()
                .filter_map(|n| s.find(n).map(|i| (i, n.trim())))
                .collect();
            found.sort();
            found.into_iter().map(|(_, n)| n).collect::<Vec<_>>()
        };
        pty.wait_for("job1, job2, job10", WAIT, |s| {
            order(s) == ["job1", "job2", "job10"]
        });
        pty.send("S");
        pty.wait_for("job10, job2, job1", WAIT, |s| {
            order(s) == ["job10", "job2", "job1"]
        });
        quit(&mut pty);
    }
}

#[test]
fn undo_says_what_and_whose_and_asks() {
    for size in SIZES {
        let scratch = Scratch::new();
        let file = "system.slice/fxload.service/memory.high";
        let out = scratch.cli(&["set", "/system.slice/fxload.service", "memory.high", "300M"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(scratch.read(file).trim(), "314572800");
        let mut pty = scratch.spawn(size, &[]);
        pty.send("u");
        pty.wait_text("latest first", WAIT);
        pty.send("\r");
        pty.wait_text("undo: confirm", WAIT);
        pty.wait_text("another cgtui or terminal", WAIT);
        pty.wait_text("memory.high", WAIT);
        pty.wait_text("kernel: will", WAIT);
        pty.send("n");
        pty.wait_for("the confirmation to close", WAIT, |s| {
            !s.contains("undo: confirm")
        });
        assert_eq!(
            scratch.read(file).trim(),
            "314572800",
            "undone without a yes"
        );
        pty.send("u");
        pty.wait_text("latest first", WAIT);
        pty.send("\r");
        pty.wait_text("undo: confirm", WAIT);
        pty.send("y");
        pty.wait_for("memory.high restored", WAIT, |_| {
            scratch.read(file).trim() == "max"
        });
        quit(&mut pty);
    }
}

#[test]
fn the_limit_form_edits_text_and_keeps_a_refused_value() {
    for size in SIZES {
        let scratch = Scratch::new();
        let mut pty = scratch.spawn(size, &[]);
        pty.send("/fxload\r");
        pty.wait_for("fxload selected", WAIT, |s| {
            selected_line(s, "fxload.service")
        });
        pty.send("e");
        pty.wait_text("limits of /system.slice/fxload.service", WAIT);
        pty.send("j\r");
        pty.wait_text("> max", WAIT);
        pty.send("12");
        pty.wait_text("> 12▏", WAIT);
        pty.send("\x1b[D\x1b[D3\x1b[Fx");
        pty.wait_text("> 312x▏", WAIT);
        // Enter asks first, like every change; the prediction already says no.
        pty.send("\r");
        pty.wait_text("set: confirm", WAIT);
        pty.wait_text(
            "Set memory.high of /system.slice/fxload.service to 312x? (now max)",
            WAIT,
        );
        pty.wait_text("kernel: will refuse", WAIT);
        pty.send("y");
        pty.wait_text("refused: ", WAIT);
        pty.wait_text("> 312x", WAIT);
        assert_eq!(
            scratch
                .read("system.slice/fxload.service/memory.high")
                .trim(),
            "max"
        );
        // Esc in the field goes back to the list, on the row it came from.
        esc(&mut pty);
        pty.wait_for("the field to close", WAIT, |s| !s.contains("> 312x"));
        pty.wait_text("limits of /system.slice/fxload.service", WAIT);
        pty.send("\r");
        pty.wait_text("memory.high of /system.slice/fxload.service", WAIT);
        esc(&mut pty);
        esc(&mut pty);
        pty.wait_for("the list to close", WAIT, |s| !s.contains("limits of"));
        // The list reopens where it was.
        pty.send("e\r");
        pty.wait_text("memory.high of /system.slice/fxload.service", WAIT);
        esc(&mut pty);
        esc(&mut pty);
        pty.wait_for("the list to close", WAIT, |s| !s.contains("limits of"));
        quit(&mut pty);
    }
}

#[test]
fn limits_right_after_moving_wait_for_the_read() {
    for size in SIZES {
        let scratch = Scratch::new();
        let mut pty = scratch.spawn(size, &[]);
        // In one write: the root is selected and e pressed before its full read arrives.
        pty.send("ge");
        pty.wait_text("limits of /", WAIT);
        pty.wait_text("cgroup.max.depth", WAIT);
        assert!(!pty.screen().contains("no limit files"), "{}", pty.screen());
        esc(&mut pty);
        quit(&mut pty);
    }
}

#[test]
fn the_message_log_keeps_the_whole_text() {
    for size in SIZES {
        let scratch = Scratch::new();
        let mut pty = scratch.spawn(size, &[]);
        pty.send("/fxload\r");
        pty.wait_for("fxload selected", WAIT, |s| {
            selected_line(s, "fxload.service")
        });
        pty.send("e\r");
        pty.wait_text("> 200M", WAIT);
        pty.send("nonsense\r");
        pty.wait_text("set: confirm", WAIT);
        pty.send("y");
        pty.wait_text("refused: ", WAIT);
        esc(&mut pty);
        pty.wait_for("the form to close", WAIT, |s| !s.contains("refused: "));
        esc(&mut pty);
        pty.send("M");
        pty.wait_text("messages (1, newest last)", WAIT);
        // The end of the refusal, which the footer cannot hold at 80 columns.
        pty.wait_text("1.5G", WAIT);
        esc(&mut pty);
        quit(&mut pty);
    }
}

#[test]
fn interval_steps_come_back_and_show_exactly() {
    for size in SIZES {
        let scratch = Scratch::new();
        let mut pty = scratch.spawn(size, &[]);
        pty.send("-----");
        pty.wait_text("every 0.1 s", WAIT);
        pty.send("++");
        pty.wait_text("every 0.25 s", WAIT);
        pty.send("++");
        pty.wait_text("every 1 s", WAIT);
        quit(&mut pty);
    }
}

#[test]
fn small_terminals_keep_names_scroll_help_and_hide_details() {
    for size in SIZES {
        let scratch = Scratch::new();
        let mut pty = scratch.spawn(size, &[]);
        pty.wait_text("fxplay.scope ◂ cgtui", WAIT);
        pty.send("?");
        pty.wait_text("cgtui help", WAIT);
        pty.send("G");
        pty.wait_text("OOM-KILL", WAIT);
        pty.send("x");
        pty.wait_for("help to close", WAIT, |s| !s.contains("cgtui help"));
        pty.send("i");
        pty.wait_for("the details pane to hide", WAIT, |s| {
            !s.contains(" details ")
        });
        pty.send("i");
        pty.wait_text(" details ", WAIT);
        let row = |s: &str| s.lines().position(|l| l.contains(" details ─"));
        let before = row(&pty.screen());
        pty.send(">");
        pty.wait_for("the details pane to grow", WAIT, |s| row(s) < before);
        quit(&mut pty);
    }
}

#[test]
fn snapshot_says_one_cgroup_runs_until_interrupted_and_the_tui_one_process() {
    let fixture = common::fixture().display().to_string();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cgroup.procs"), "1\n").unwrap();
    let single = dir.path().display().to_string();
    let out = std::process::Command::new(common::binary())
        .args(["--fixture", &single, "snapshot"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("cgtui snapshot 1 at 20"), "{first}");
    assert!(
        first.ends_with("Z: 1 cgroup (marks before a name: * populated, F frozen)"),
        "{first}"
    );
    // --count 0 and --follow run until interrupted.
    for args in [["--count", "0"], ["--follow", "--json"]] {
        let mut child = std::process::Command::new(common::binary())
            .args(["--fixture", &fixture, "--interval", "0.1", "snapshot"])
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let reader = {
            let seen = seen.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = std::io::Read::read(&mut stdout, &mut buf) {
                    if n == 0 {
                        break;
                    }
                    seen.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            })
        };
        let iterations = || {
            let seen = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
            if args[0] == "--follow" {
                seen.lines().filter(|l| l.starts_with('{')).count()
            } else {
                seen.matches("cgtui snapshot ").count()
            }
        };
        // Three iterations where one is the default, and still running after them.
        let start = std::time::Instant::now();
        while iterations() < 3 {
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "snapshot {args:?} stopped by itself ({status}) after {} iterations: {}",
                    iterations(),
                    String::from_utf8_lossy(&child.wait_with_output().unwrap().stderr)
                );
            }
            assert!(
                start.elapsed() < WAIT,
                "snapshot {args:?}: {} iterations in {WAIT:?}, waiting for 3",
                iterations()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "snapshot {args:?} stopped by itself after 3 iterations: {}",
            String::from_utf8_lossy(&child.wait_with_output().unwrap().stderr)
        );
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
    }
    // The TUI says "1 process" at every size.
    for size in SIZES {
        let scratch = Scratch::new();
        let mut pty = scratch.spawn(size, &[]);
        pty.wait_text("1 process ", WAIT);
        quit(&mut pty);
    }
}

#[test]
fn no_color_and_color_never_draw_without_colour() {
    /// SGR parameters that set a colour: 30-37, 38, 40-47, 48, 90-97, 100-107.
    fn colours(raw: &[u8]) -> Vec<String> {
        let text = String::from_utf8_lossy(raw);
        let mut found = Vec::new();
        for part in text.split("\x1b[").skip(1) {
            let Some(end) = part.find(|c: char| !(c.is_ascii_digit() || c == ';')) else {
                continue;
            };
            if !part[end..].starts_with('m') {
                continue;
            }
            let params: Vec<u32> = part[..end]
                .split(';')
                .filter_map(|p| p.parse().ok())
                .collect();
            if params
                .iter()
                .any(|p| matches!(p, 30..=37 | 38 | 40..=47 | 48 | 90..=97 | 100..=107))
            {
                found.push(part[..end].to_string());
            }
        }
        found
    }
    let scratch = Scratch::new();
    let tree = scratch.tree().display().to_string();
    for (env, args) in [
        (vec![("NO_COLOR", "1")], vec![]),
        (vec![], vec!["--color", "never"]),
    ] {
        let mut all = vec!["--fixture", tree.as_str()];
        all.extend(args.iter());
        let mut pty = Pty::spawn_env(&all, &env, 120, 40);
        pty.wait_text("fxplay.scope", WAIT);
        pty.send("K");
        pty.wait_text("kernel: will", WAIT);
        pty.send("n");
        let found = colours(&pty.raw_output());
        assert!(found.is_empty(), "{env:?} {args:?}: colours {found:?}");
        quit(&mut pty);
    }
    // And colour by default, so the check above can fail.
    let mut pty = scratch.spawn((120, 40), &[]);
    pty.send("K");
    pty.wait_text("kernel: will", WAIT);
    assert!(
        !colours(&pty.raw_output()).is_empty(),
        "no colour at all by default"
    );
    pty.send("n");
    quit(&mut pty);
}

#[test]
fn config_file_sets_columns_and_keys_and_a_bad_one_names_line_and_key() {
    let scratch = Scratch::new();
    let config = scratch.dir.path().join("config/cgtui");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.toml"),
        "interval = 2.5\ncolumns = [\"cpu\", \"mem\", \"swap\", \"oomkill\"]\nsort = \"mem\"\n[keys]\nquit = \"x\"\n",
    )
    .unwrap();
    let mut pty = scratch.spawn((120, 40), &[]);
    pty.wait_text("every 2.5 s", WAIT);
    pty.wait_text("MEM▼", WAIT);
    pty.wait_text("KILLS", WAIT);
    // The column header (the details pane below may well mention PSI).
    let screen = pty.screen();
    let header = screen
        .lines()
        .find(|l| l.contains("KILLS"))
        .unwrap_or_default();
    assert!(!header.contains("PSI"), "{screen}");
    pty.send("q");
    still_answers(&mut pty, "q, which was rebound to x");
    pty.send("x");
    assert!(pty.wait_exit(WAIT));
    // Flags win over the file.
    let mut pty = scratch.spawn((120, 40), &["--interval", "0.5"]);
    pty.wait_text("every 0.5 s", WAIT);
    pty.send("x");
    assert!(pty.wait_exit(WAIT));
    // A bad file: a clear error naming the line and the key, before the terminal is touched.
    std::fs::write(
        config.join("config.toml"),
        "interval = 1\nsort = \"fastest\"\n",
    )
    .unwrap();
    let tree = scratch.tree().display().to_string();
    let mut pty = Pty::spawn_env(
        &["--fixture", &tree],
        &[(
            "XDG_CONFIG_HOME",
            &scratch.dir.path().join("config").display().to_string(),
        )],
        120,
        40,
    );
    assert!(!pty.wait_exit(WAIT), "a bad config is a failure");
    let raw = String::from_utf8_lossy(&pty.raw_output()).into_owned();
    assert!(
        raw.contains("line 2: sort: unknown column \"fastest\""),
        "{raw}"
    );
    // --config names another file; one that is missing is an error.
    let out = scratch.cli(&["--config", "/nonexistent/cgtui.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read config /nonexistent/cgtui.toml"),
        "{err}"
    );
}

/// Every file under `dir` with its bytes: equal before and after means nothing was written.
fn contents(dir: &std::path::Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    let mut found = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    found
}

/// `text` as a terminal sends a paste when bracketed paste is on.
fn paste(pty: &mut Pty, text: &str) {
    pty.send(&format!("\x1b[200~{text}\x1b[201~"));
}

#[test]
fn a_paste_is_data_for_the_field_and_never_keys() {
    for size in SIZES {
        let scratch = Scratch::new();
        let mut pty = scratch.spawn(size, &[]);
        pty.send("/fxload\r");
        pty.wait_for("fxload selected", WAIT, |s| {
            selected_line(s, "fxload.service")
        });
        let before = contents(&scratch.tree());
        pty.send("e");
        pty.wait_text("limits of /system.slice/fxload.service", WAIT);
        pty.send("j\r");
        pty.wait_text("> max", WAIT);
        // The newline would submit, and the rest run as keys of the main view (interval,
        // re-rooting, the filter prompt), if a paste were typed.
        paste(&mut pty, "12\x1b[31mRED\x07\tfoo\nbar 9999 ;rm -rf /");
        pty.wait_text("refused: the paste holds", WAIT);
        // A paste that would have killed the cgroup: `5`, Enter, K, y.
        paste(&mut pty, "5\nKy");
        std::thread::sleep(Duration::from_millis(500));
        let screen = pty.screen();
        assert!(
            screen.contains("> max"),
            "the field is unchanged:\n{screen}"
        );
        assert!(
            screen.contains("memory.high of /system.slice/fxload.service"),
            "the form stays open:\n{screen}"
        );
        assert!(
            !screen.contains("kill: confirm"),
            "no kill was asked for:\n{screen}"
        );
        assert!(
            screen.contains("every 1 s"),
            "the interval is unchanged:\n{screen}"
        );
        assert_eq!(
            contents(&scratch.tree()),
            before,
            "a paste wrote to the tree"
        );
        // Plain text goes in as one insertion, replacing the selected value.
        paste(&mut pty, "300M");
        pty.wait_text("> 300M▏", WAIT);
        assert!(!pty.screen().contains("refused:"), "{}", pty.screen());
        assert_eq!(
            contents(&scratch.tree()),
            before,
            "a paste submitted the form"
        );
        esc(&mut pty);
        esc(&mut pty);
        esc(&mut pty);
        pty.wait_for("the form to close", WAIT, |s| !s.contains("> 300M"));
        // Outside a text field a paste does nothing: `q` pasted does not quit.
        paste(&mut pty, "q");
        pty.wait_text("paste ignored", WAIT);
        still_answers(&mut pty, "a paste in the main view");
        // In the filter line, a paste is filter text.
        pty.send("/");
        paste(&mut pty, "journal");
        pty.wait_for("the pasted filter to apply", WAIT, |s| {
            s.contains("systemd-journald.service") && !s.contains("fxplay.scope")
        });
        pty.send("\r");
        esc(&mut pty);
        assert_eq!(contents(&scratch.tree()), before, "something was written");
        quit(&mut pty);
    }
}

#[test]
fn a_large_paste_into_the_filter_is_one_change() {
    let scratch = Scratch::new();
    let mut pty = scratch.spawn((120, 40), &[]);
    pty.send("/");
    // 8 KB is more than a field takes: refused whole, at once, and the screen keeps updating.
    paste(&mut pty, &"x".repeat(8192));
    pty.wait_text("the paste holds 8192 characters", WAIT);
    paste(&mut pty, &"fx".repeat(10));
    pty.wait_text("fxfxfxfxfxfxfxfxfxfx", WAIT);
    esc(&mut pty);
    quit(&mut pty);
}

#[test]
fn a_limit_asks_first_with_the_value_and_what_the_kernel_will_do() {
    let scratch = Scratch::new();
    let file = "user.slice/user-1000.slice/user@1000.service/app.slice/fxplay.scope/memory.max";
    let before = contents(&scratch.tree());
    let mut pty = scratch.spawn((120, 40), &[]);
    pty.send("/fxplay\r");
    pty.wait_for("fxplay selected", WAIT, |s| {
        selected_line(s, "fxplay.scope")
    });
    pty.send("e");
    pty.wait_text("limits of /user.slice", WAIT);
    pty.send("\r");
    pty.wait_text("> max", WAIT);
    pty.send("100K\r");
    pty.wait_text("set: confirm", WAIT);
    pty.wait_text("100K is 102400 bytes", WAIT);
    pty.wait_text("below current usage (172K)", WAIT);
    pty.wait_text("may OOM-kill", WAIT);
    pty.wait_text("kernel: will", WAIT);
    assert_eq!(contents(&scratch.tree()), before, "written before y");
    pty.send("n");
    pty.wait_text("> 100K▏", WAIT);
    assert_eq!(contents(&scratch.tree()), before, "written after n");
    pty.send("\r");
    pty.wait_text("set: confirm", WAIT);
    pty.send("y");
    pty.wait_for("memory.max written", WAIT, |_| {
        scratch.read(file).trim() == "102400"
    });
    quit(&mut pty);
}

#[test]
fn a_fixture_is_never_written_and_its_changes_never_reach_the_journal() {
    let scratch = Scratch::new();
    let tree = scratch.tree().display().to_string();
    let before = contents(&scratch.tree());
    let env = scratch.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut pty = Pty::spawn_env(&["--fixture", &tree], &env, 120, 40);
    pty.wait_text("changes in memory only", WAIT);
    pty.wait_text("fxplay.scope", WAIT);
    // Enable memory for system.slice's children: the tree shows it, the fixture keeps its own.
    pty.send("gjj");
    pty.wait_for("system.slice selected", WAIT, |s| {
        selected_line(s, "/system.slice")
    });
    pty.send("c");
    pty.wait_text("controllers of /system.slice", WAIT);
    pty.send("jj");
    pty.send(" ");
    pty.wait_text("change controllers: confirm", WAIT);
    pty.send("y");
    pty.wait_text("set /system.slice/cgroup.subtree_control", WAIT);
    // A limit, and a new cgroup.
    pty.send("/fxload\r");
    pty.wait_for("fxload selected", WAIT, |s| {
        selected_line(s, "fxload.service")
    });
    pty.send("e\r300M\r");
    pty.wait_text("set: confirm", WAIT);
    pty.send("y");
    pty.wait_text("300M", WAIT);
    esc(&mut pty);
    pty.wait_for("the filter to clear", WAIT, |s| {
        !s.contains("filter: fxload")
    });
    pty.send("n");
    pty.wait_text("new child cgroup", WAIT);
    pty.send("scratch\r");
    pty.wait_text("mkdir /system.slice/fxload.service/scratch", WAIT);
    pty.wait_text(" 11 cgroups ", WAIT);
    // Undo takes back the session's own latest change, in the copy.
    pty.send("u");
    pty.wait_text("latest first", WAIT);
    pty.send("\r");
    pty.wait_text("undo: confirm", WAIT);
    pty.send("y");
    pty.wait_text(" 10 cgroups ", WAIT);
    let pid = pty.pid().expect("child pid");
    quit(&mut pty);
    let copies: Vec<_> = ["/dev/shm".into(), std::env::temp_dir()]
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("cgtui-fixture-{pid}-"))
        })
        .collect();
    assert!(copies.is_empty(), "the private copy is left: {copies:?}");
    // Also from the command line.
    let out = std::process::Command::new(common::binary())
        .args(["--fixture", &tree, "set", "/system.slice", "pids.max", "5"])
        .envs(scratch.env())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(contents(&scratch.tree()), before, "the fixture was written");
    let state: Vec<_> = std::fs::read_dir(scratch.dir.path().join("state"))
        .unwrap()
        .collect();
    assert!(
        state.is_empty(),
        "the user's journal was written: {state:?}"
    );
}

/// The column chooser in the real binary: `C` opens it, Space hides CPU% at once, `s` saves
/// the choice into the `--config` file with its comments and other keys kept.
#[test]
fn the_column_chooser_saves_into_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "# mine\ncolumns = [\"cpu\", \"mem\"]  # two\n[keys]\nhelp = \"F1\"\n",
    )
    .unwrap();
    let mut pty = spawn(&["--config", &config.display().to_string()]);
    pty.wait_text("fxplay.scope", WAIT);
    let header = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("CGROUP"))
            .unwrap_or_default()
            .to_string()
    };
    pty.wait_for("CPU% in the header", WAIT, |s| header(s).contains("CPU%"));
    pty.send("C");
    pty.wait_text("working set: memory.current less inactive page cache", WAIT);
    pty.send(" ");
    pty.wait_for("CPU% hidden at once", WAIT, |s| {
        let header = header(s);
        header.contains("MEM") && !header.contains("CPU%")
    });
    pty.send("s");
    pty.wait_text("columns saved in", WAIT);
    pty.send("\x1b");
    pty.wait_for("the chooser to close", WAIT, |s| {
        !s.contains("working set:")
    });
    pty.send("q");
    assert!(pty.wait_exit(WAIT), "q exits");
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        "# mine\ncolumns = [\"mem\"]  # two\n[keys]\nhelp = \"F1\"\n"
    );
}

/// Where `text` is on `screen`, as the 1-based column and row an SGR mouse report names.
fn sgr_position(screen: &str, text: &str) -> Option<(usize, usize)> {
    screen.lines().enumerate().find_map(|(row, line)| {
        line.find(text)
            .map(|at| (line[..at].chars().count() + 1, row + 1))
    })
}

#[test]
fn a_click_on_a_confirmations_no_writes_nothing_and_one_on_yes_writes() {
    let scratch = Scratch::new();
    let mut pty = scratch.spawn((120, 40), &[]);
    let before = scratch.read("system.slice/cgroup.subtree_control");
    pty.send("gjj");
    pty.wait_for("system.slice selected", WAIT, |s| {
        selected_line(s, "/system.slice")
    });
    let click = |pty: &mut Pty, (col, row): (usize, usize)| {
        pty.send(&format!("\x1b[<0;{col};{row}M\x1b[<0;{col};{row}m"))
    };
    pty.send("c");
    pty.wait_text("controllers of /system.slice", WAIT);
    pty.send(" ");
    pty.wait_text("change controllers: confirm", WAIT);
    pty.wait_text("kernel: will", WAIT);
    let no = sgr_position(&pty.screen(), "no  any other key").expect("the no button");
    click(&mut pty, no);
    pty.wait_for("the confirmation to close", WAIT, |s| {
        !s.contains("change controllers")
    });
    still_answers(&mut pty, "after a click on no");
    assert_eq!(
        scratch.read("system.slice/cgroup.subtree_control"),
        before,
        "a click on no wrote"
    );
    // Yes, clicked, writes: the button the test finds is the one the mouse reaches.
    pty.send("f");
    pty.wait_text("Freeze /system.slice?", WAIT);
    pty.wait_text("kernel: will allow", WAIT);
    let yes = sgr_position(&pty.screen(), " yes ").expect("the yes button");
    click(&mut pty, yes);
    pty.wait_for("the freeze to be written", WAIT, |_| {
        scratch.read("system.slice/cgroup.freeze").trim() == "1"
    });
    quit(&mut pty);
}

/// A terminal that goes away (its window closed, the ssh connection dropped, its tmux server
/// killed) ends the TUI, whether or not the kernel sends SIGHUP (only a session leader on its
/// controlling terminal gets one): cgtui must never stay behind, spinning, as root.
#[test]
fn a_terminal_that_hangs_up_ends_the_tui() {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    use std::os::fd::{AsFd, OwnedFd};
    use std::os::unix::process::CommandExt;
    use std::time::Instant;
    for controlling in [true, false] {
        let what = if controlling {
            "its controlling terminal (SIGHUP)"
        } else {
            "a terminal that is not its controlling one (no SIGHUP)"
        };
        let master =
            rustix::pty::openpt(rustix::pty::OpenptFlags::RDWR | rustix::pty::OpenptFlags::NOCTTY)
                .expect("openpt");
        // Not inherited: a copy in cgtui would keep its own terminal from ever hanging up.
        rustix::io::fcntl_setfd(&master, rustix::io::FdFlags::CLOEXEC).expect("FD_CLOEXEC");
        rustix::pty::grantpt(&master).expect("grantpt");
        rustix::pty::unlockpt(&master).expect("unlockpt");
        let name = rustix::pty::ptsname(&master, Vec::new()).expect("ptsname");
        rustix::termios::tcsetwinsize(
            &master,
            rustix::termios::Winsize {
                ws_row: 40,
                ws_col: 120,
                ws_xpixel: 0,
                ws_ypixel: 0,
            },
        )
        .expect("window size");
        let slave: OwnedFd = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(name.to_str().expect("pts path"))
            .expect("open the pty's slave")
            .into();
        let mut command = std::process::Command::new(common::binary());
        command
            .args(fixture_args())
            .env("TERM", "xterm-256color")
            .stdin(slave.try_clone().expect("dup"))
            .stdout(slave.try_clone().expect("dup"))
            .stderr(slave);
        // Its own session either way (not the test's terminal); the slave becomes its
        // controlling terminal only when asked.
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(move || {
                rustix::process::setsid()?;
                if controlling {
                    rustix::process::ioctl_tiocsctty(std::io::stdin().as_fd())?;
                }
                Ok(())
            });
        }
        let mut child = command.spawn().expect("spawn cgtui");
        drop(command);
        // This thread is the only reader, so that closing `master` hangs the terminal up.
        let mut seen = Vec::new();
        let start = Instant::now();
        while !String::from_utf8_lossy(&seen).contains("fxplay.scope") {
            assert!(
                start.elapsed() < WAIT,
                "cgtui on {what} did not draw its tree within {WAIT:?}"
            );
            let mut fds = [PollFd::new(&master, PollFlags::IN)];
            let timeout = Timespec {
                tv_sec: 0,
                tv_nsec: 100_000_000,
            };
            if poll(&mut fds, Some(&timeout)).unwrap_or(0) > 0 {
                let mut buf = [0u8; 8192];
                match rustix::io::read(&master, &mut buf) {
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                    Err(e) => panic!("reading the pty: {e}"),
                }
            }
        }
        drop(master);
        let hung_up = Instant::now();
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                eprintln!(
                    "cgtui on {what} ended {} ms after it hung up ({status})",
                    hung_up.elapsed().as_millis()
                );
                // Quietly, as after SIGHUP: not a panic (101), nor an error about drawing.
                assert!(
                    status.success(),
                    "cgtui on {what} ended with {status} after its terminal hung up"
                );
                break;
            }
            if hung_up.elapsed() > WAIT {
                let _ = child.kill();
                let _ = child.wait();
                panic!("cgtui on {what} still ran {WAIT:?} after its terminal hung up");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
