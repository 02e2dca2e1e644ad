//! Against the real cgroup2 hierarchy (root on this machine's /sys/fs/cgroup/unified, or a
//! delegated subtree). Each test makes its own uniquely named cgroup, removes it afterwards,
//! and skips with a printed reason where the machine has no writable cgroup2.

mod common;

use cgtui::cgroup::Cgroupfs;
use cgtui::cgroup::watch::{WatchEvent, Watcher};
use cgtui::model::Model;
use common::{LiveCgroup, Pty};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const EVENT_DEADLINE: Duration = Duration::from_secs(1);

/// Receive watch events, apply them to the model, until `done` holds or the deadline passes.
fn until(
    model: &mut Model,
    events: &mpsc::Receiver<WatchEvent>,
    what: &str,
    done: impl Fn(&Model) -> bool,
) -> Duration {
    let start = Instant::now();
    while !done(model) {
        let left = EVENT_DEADLINE
            .checked_sub(start.elapsed())
            .unwrap_or_else(|| panic!("{what}: not in the model within {EVENT_DEADLINE:?}"));
        match events.recv_timeout(left) {
            Ok(event) => {
                model.apply_watch(event, Instant::now());
            }
            Err(_) => panic!("{what}: not in the model within {EVENT_DEADLINE:?}"),
        }
    }
    start.elapsed()
}

#[test]
fn create_populate_and_delete_reach_the_model_by_inotify_alone() {
    let cg = live_or_skip!("watch");
    let fs = Cgroupfs::system().unwrap();
    let base = fs.resolve(&cg.dir()).unwrap();
    // No sampler runs in this test: only inotify can bring the changes in.
    let mut model = Model::new(base.clone(), fs.devices());
    model.apply_tree(cgtui::collect::sample_tree(&fs, &base, None, false));
    let (tx, rx) = mpsc::channel();
    let mut watcher = Watcher::new(fs.clone(), base.clone()).unwrap();
    let (ready_tx, ready_rx) = mpsc::channel();
    std::thread::spawn(move || {
        watcher.watch_existing(&mut |_| true);
        ready_tx.send(watcher.watch_count()).unwrap();
        let _ = watcher.run(move |e| tx.send(e).is_ok());
    });
    let watches = ready_rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(
        watches >= 2,
        "a directory and its cgroup.events must be watched, got {watches}"
    );

    let child = base.join("leaf".as_ref());
    std::fs::create_dir(cg.child("leaf")).unwrap();
    let took = until(&mut model, &rx, "created", |m| m.get(&child).is_some());
    eprintln!("create seen after {took:?}");
    assert_eq!(model.get(&child).unwrap().populated(), Some(false));

    let mut sleeper = LiveCgroup::spawn_in(&cg.child("leaf"), &["sleep", "30"]);
    let took = until(&mut model, &rx, "populated", |m| {
        m.get(&child).and_then(|n| n.populated()) == Some(true)
    });
    eprintln!("populated seen after {took:?}");

    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    until(&mut model, &rx, "emptied", |m| {
        m.get(&child).and_then(|n| n.populated()) == Some(false)
    });

    std::fs::remove_dir(cg.child("leaf")).unwrap();
    let took = until(&mut model, &rx, "removed", |m| m.get(&child).is_none());
    eprintln!("delete seen after {took:?}");

    // A nested create: the watcher must pick up children made before its watch was in place.
    std::fs::create_dir_all(cg.child("a/b/c")).unwrap();
    let deep = base.join("a/b/c".as_ref());
    until(&mut model, &rx, "nested create", |m| m.get(&deep).is_some());
    for dir in ["a/b/c", "a/b", "a"] {
        std::fs::remove_dir(cg.child(dir)).unwrap();
    }
    until(&mut model, &rx, "nested remove", |m| {
        m.get(&base.join("a".as_ref())).is_none()
    });
}

#[test]
fn watch_limit_falls_back_to_polling_with_a_note() {
    let cg = live_or_skip!("budget");
    let fs = Cgroupfs::system().unwrap();
    let base = fs.resolve(&cg.dir()).unwrap();
    std::fs::create_dir_all(cg.child("x/y")).unwrap();
    let mut watcher = Watcher::new(fs, base).unwrap().with_watch_budget(Some(2));
    let mut events = Vec::new();
    watcher.watch_existing(&mut |e| {
        events.push(e);
        true
    });
    assert!(watcher.is_exhausted());
    assert_eq!(watcher.watch_count(), 2);
    assert!(
        matches!(&events[..], [WatchEvent::Exhausted { reason }] if reason.contains("polling")),
        "{events:?}"
    );
}

#[test]
fn snapshot_json_shows_processes_and_cpu_usage() {
    let cg = live_or_skip!("snap");
    std::fs::create_dir(cg.child("busy")).unwrap();
    let mut busy = LiveCgroup::spawn_in(&cg.child("busy"), &["sh", "-c", "while :; do :; done"]);
    let output = std::process::Command::new(common::binary())
        .args([
            "snapshot",
            "--json",
            "--count",
            "2",
            "--interval",
            "0.5",
            "--root",
        ])
        .arg(cg.dir())
        .output()
        .unwrap();
    busy.kill().unwrap();
    busy.wait().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let docs: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(docs.len(), 2);
    let find = |doc: &serde_json::Value| {
        doc["cgroups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "busy")
            .cloned()
            .expect("the busy cgroup in the snapshot")
    };
    let (first, second) = (find(&docs[0]), find(&docs[1]));
    assert_eq!(first["nr_procs"], 1);
    assert_eq!(first["populated"], true);
    assert!(
        first["cpu"]["pct"].is_null(),
        "no rate in the first iteration"
    );
    assert!(first["cpu"]["usage_usec"].is_u64());
    assert!(
        second["cpu"]["usage_usec"].as_u64().unwrap()
            > first["cpu"]["usage_usec"].as_u64().unwrap()
    );
    let pct = second["cpu"]["pct"]
        .as_f64()
        .expect("a CPU rate in the second iteration");
    assert!(pct > 10.0, "a busy loop should use CPU, got {pct}%");
    assert_eq!(
        docs[1]["cgroups"][0]["path"].as_str().unwrap(),
        format!("/{}", cg.relative.display())
    );
}

#[test]
fn tui_shows_a_new_cgroup_without_waiting_for_the_poll() {
    let cg = live_or_skip!("tui");
    let root = cg.dir().display().to_string();
    let mut pty = Pty::spawn(&["--root", &root, "--interval", "60"], 120, 30);
    pty.wait_text("CGROUP", Duration::from_secs(10));
    std::fs::create_dir(cg.child("appeared.scope")).unwrap();
    // Collapsed parents would hide it: the base is expanded at start.
    let took = pty.wait_text("appeared.scope", Duration::from_secs(1));
    eprintln!("new row after {took:?}");
    std::fs::remove_dir(cg.child("appeared.scope")).unwrap();
    pty.wait_for("the row to disappear", Duration::from_secs(1), |s| {
        !s.contains("appeared.scope")
    });
    pty.send("q");
    assert!(pty.wait_exit(Duration::from_secs(5)));
}

#[test]
fn tui_edits_limits_creates_freezes_removes_and_undoes() {
    let cg = live_or_skip!("tuiedit");
    let state = tempfile::tempdir().unwrap();
    let root = cg.dir().display().to_string();
    let mut pty = Pty::spawn_env(
        &["--root", &root, "--interval", "0.5"],
        &[("XDG_STATE_HOME", state.path().to_str().unwrap())],
        140,
        40,
    );
    let step = Duration::from_secs(30);
    pty.wait_text("CGROUP", Duration::from_secs(10));

    // e: the limits form; pick cgroup.max.depth (second row), type 3, Enter.
    pty.send("e");
    pty.wait_text("limits of", step);
    pty.send("j\r");
    pty.wait_text("cgroup.max.depth of", step);
    pty.send("\x153\r"); // Ctrl-U clears the prefilled value
    pty.wait_text("set: confirm", step);
    pty.send("y");
    pty.wait_for("the write", step, |_| {
        std::fs::read_to_string(cg.dir().join("cgroup.max.depth")).is_ok_and(|v| v.trim() == "3")
    });
    pty.wait_text("wrote 3", step);

    // n: a new child.
    pty.send("n");
    pty.wait_text("new child cgroup of", step);
    pty.send("kid\r");
    pty.wait_for("kid to exist", step, |_| cg.child("kid").is_dir());
    pty.wait_text("kid", step);

    // Select kid, put a process in it, freeze it: frozen shows through cgroup.events.
    let mut sleeper = LiveCgroup::spawn_in(&cg.child("kid"), &["sleep", "60"]);
    pty.send("j");
    pty.send("f");
    // Every write shows the kernel's predicted answer and asks first.
    pty.wait_text("kernel: will allow this", step);
    pty.send("y");
    pty.wait_for("frozen", step, |_| {
        std::fs::read_to_string(cg.child("kid/cgroup.events")).is_ok_and(|t| t.contains("frozen 1"))
    });
    pty.wait_text("❄ kid", step);
    // inotify can show the freeze before the editor's answer ends the change: a second change
    // asked for meanwhile is refused ("still under way"), so ask again until it is offered.
    let started = std::time::Instant::now();
    loop {
        pty.send("f");
        pty.wait_for("the thaw confirmation or a refusal", step, |s| {
            s.contains("Thaw") || s.contains("still under way")
        });
        if pty.screen().contains("Thaw") {
            break;
        }
        assert!(
            started.elapsed() < step,
            "the freeze's change never ended: no Thaw confirmation within {step:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    pty.send("y");
    pty.wait_text("● kid", step);

    // d on a populated cgroup: confirmed, then refused with the rule.
    pty.send("d");
    pty.wait_text("Remove", step);
    pty.send("y");
    pty.wait_text("┌ refused", step);
    pty.wait_text("EBUSY [not-empty]", step);
    pty.send("x");
    pty.wait_for("the result to close", step, |s| !s.contains("┌ refused"));

    // K kills after a confirmation.
    pty.send("K");
    pty.wait_text("Kill every process", step);
    pty.send("y");
    let status = sleeper.wait().unwrap();
    assert!(!status.success());
    // One change at a time: wait for the kill's outcome before the next key.
    pty.wait_text("cgroup.kill: wrote 1", step);

    // u walks back through the changes that can be undone (the kill cannot): the thaw, the
    // freeze, the mkdir, the limit.
    pty.wait_for("kid to be empty", step, |_| {
        std::fs::read_to_string(cg.child("kid/cgroup.events"))
            .is_ok_and(|t| t.contains("populated 0"))
    });
    let freeze_file = cg.child("kid/cgroup.freeze");
    let frozen = |want: &'static str| {
        let file = freeze_file.clone();
        move |_: &str| std::fs::read_to_string(&file).is_ok_and(|t| t.trim() == want)
    };
    // u lists what can be undone, this session's latest selected; Enter asks; y does it.
    let undo = |pty: &mut Pty| {
        pty.send("u");
        pty.wait_text("latest first", step);
        pty.send("\r");
        pty.wait_text("undo: confirm", step);
        pty.wait_text("kernel: will allow this", step);
        pty.send("y");
    };
    undo(&mut pty);
    pty.wait_for("the thaw undone", step, frozen("1"));
    pty.wait_text("cgroup.freeze: wrote 1", step);
    undo(&mut pty);
    pty.wait_for("the freeze undone", step, frozen("0"));
    pty.wait_text("cgroup.freeze: wrote 0", step);
    undo(&mut pty);
    pty.wait_for("kid to be removed by undo", step, |_| {
        !cg.child("kid").exists()
    });
    pty.wait_text("removed", step);
    undo(&mut pty);
    pty.wait_for("max.depth restored", step, |_| {
        std::fs::read_to_string(cg.dir().join("cgroup.max.depth")).is_ok_and(|v| v.trim() == "max")
    });
    pty.send("q");
    assert!(pty.wait_exit(step));
}

#[test]
fn tui_shows_predictions_before_writing_and_who_can_do_what() {
    let cg = live_or_skip!("tuipredict");
    std::fs::create_dir_all(cg.child("parent/child")).unwrap();
    let state = tempfile::tempdir().unwrap();
    let root = cg.dir().display().to_string();
    let mut pty = Pty::spawn_env(
        &["--root", &root],
        &[("XDG_STATE_HOME", state.path().to_str().unwrap())],
        140,
        45,
    );
    let step = Duration::from_secs(5);
    pty.wait_text("parent", Duration::from_secs(10));
    // d on a cgroup with a child: the dialog predicts EBUSY before anything is written.
    pty.send("j");
    pty.send("d");
    pty.wait_text("kernel: will refuse with EBUSY [not-empty]", step);
    pty.send("n");
    assert!(cg.child("parent").exists());
    // n, then a name: the prediction follows the text.
    pty.send("n");
    pty.wait_text("new child cgroup of", step);
    pty.send("fresh");
    pty.wait_text("kernel: will allow this", step);
    pty.send("\x1b");
    // A lone ESC followed at once by a key reads as Alt+key: wait for the dialog to close.
    pty.wait_for("the input to close", step, |s| {
        !s.contains("new child cgroup of")
    });
    // w: who can do what.
    pty.send("w");
    pty.wait_text("who can do what", step);
    pty.wait_text("remove this cgroup — EBUSY [not-empty]", step);
    pty.send("q");
    pty.send("q");
    assert!(pty.wait_exit(step));
}

#[test]
fn without_watches_new_cgroups_still_appear_by_polling() {
    let cg = live_or_skip!("poll");
    let root = cg.dir().display().to_string();
    let mut pty = Pty::spawn(
        &["--root", &root, "--interval", "0.3", "--max-watches", "0"],
        140,
        30,
    );
    pty.wait_text("polling only", Duration::from_secs(10));
    std::fs::create_dir(cg.child("polled.scope")).unwrap();
    pty.wait_text("polled.scope", Duration::from_secs(3));
    pty.send("q");
    assert!(pty.wait_exit(Duration::from_secs(5)));
}

/// Past its watch budget the TUI polls only what it could not watch (the directory whose
/// children it must list, and `cgroup.events`), not the whole tree at every pass.
#[test]
fn past_the_watch_budget_only_the_unwatched_part_is_polled() {
    let cg = live_or_skip!("partly");
    for parent in ["a", "b"] {
        for leaf in 0..5 {
            std::fs::create_dir_all(cg.child(&format!("{parent}/leaf{leaf}"))).unwrap();
        }
    }
    let root = cg.dir().display().to_string();
    // A watch a cgroup (its directory; cgroup.events only for the rows on screen, within the
    // budget), parents first, by name: the top, a and a's leaves take 7; b and its leaves get
    // none.
    let mut pty = Pty::spawn(
        &[
            "--root",
            &root,
            "--interval",
            "0.3",
            "--max-watches",
            "7",
            "--stats",
        ],
        400,
        30,
    );
    pty.wait_text("polling only", Duration::from_secs(10));
    // A walk would list the top, a and b (leaves have no subdirectory to list); polling lists
    // b alone.
    pty.wait_text(", 1 dirs listed", Duration::from_secs(10));
    std::fs::create_dir(cg.child("b/made.scope")).unwrap();
    pty.send("*");
    pty.wait_text("made.scope", Duration::from_secs(5));
    pty.send("q");
    assert!(pty.wait_exit(Duration::from_secs(5)));
}

#[test]
fn hostile_names_and_command_lines_on_the_real_kernel() {
    use std::os::unix::ffi::OsStrExt;
    let cg = live_or_skip!("hostile");
    let evil = std::ffi::OsStr::from_bytes(b"evil\x1b]0;pwned\x07\x1b[2J.scope");
    let dir = cg.dir().join(evil);
    std::fs::create_dir(&dir).unwrap();
    // A process whose command line carries an escape sequence, and one 255-byte name.
    let mut child = std::process::Command::new("sh")
        .args(["-c", "sleep 60; :", "\x1b]0;owned\x07\x1b[31mred"])
        .spawn()
        .unwrap();
    std::fs::write(dir.join("cgroup.procs"), child.id().to_string()).unwrap();
    let long = "x".repeat(255);
    std::fs::create_dir(cg.child(&long)).unwrap();
    let root = cg.dir().display().to_string();
    let mut pty = Pty::spawn(&["--root", &root], 160, 40);
    pty.wait_text("evil\\e]0;pwned\\x07\\e[2J.scope", Duration::from_secs(10));
    // Select the evil cgroup to show its process list with the hostile command line.
    pty.send("j");
    pty.wait_text("\\e]0;owned\\x07\\e", Duration::from_secs(5));
    let raw = pty.raw_output();
    assert!(
        !raw.windows(4).any(|w| w == b"\x1b]0;"),
        "an OSC sequence reached the terminal"
    );
    assert!(!raw.contains(&0x07), "a BEL reached the terminal");
    assert!(
        !raw.windows(5).any(|w| w == b"\x1b[31m"),
        "a colour from a command line reached the terminal"
    );
    pty.send("q");
    assert!(pty.wait_exit(Duration::from_secs(5)));
    child.kill().unwrap();
    child.wait().unwrap();
    // snapshot --json escapes them too.
    let out = std::process::Command::new(common::binary())
        .args(["snapshot", "--json", "--root", &root])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!out.stdout.contains(&0x1b) && !out.stdout.contains(&0x07));
}

/// `cgtui snapshot --json EXTRA` run as nobody, parsed; `None` (test skipped) without setpriv.
fn snapshot_as_nobody(extra: &[&str]) -> Option<serde_json::Value> {
    let Ok(out) = std::process::Command::new("setpriv")
        .args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            common::binary(),
            "snapshot",
            "--json",
        ])
        .args(extra)
        .output()
    else {
        eprintln!("SKIPPED: no setpriv");
        return None;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn an_unprivileged_user_can_watch_the_whole_tree() {
    let _cg = live_or_skip!("nobody");
    let Some(doc) = snapshot_as_nobody(&[]) else {
        return;
    };
    assert!(doc["cgroups"].as_array().unwrap().len() > 1);
}

#[test]
fn a_file_you_may_not_read_is_a_dash_with_the_reason() {
    use std::os::unix::fs::PermissionsExt;
    let cg = live_or_skip!("unreadable");
    std::fs::create_dir(cg.child("secret")).unwrap();
    let file = cg.child("secret/cpu.stat");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let root = cg.dir().display().to_string();
    let Some(doc) = snapshot_as_nobody(&["--root", &root]) else {
        return;
    };
    let secret = doc["cgroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "secret")
        .unwrap()
        .clone();
    assert!(secret["cpu"]["usage_usec"].is_null(), "{secret}");
    let unreadable = secret["unreadable"].as_array().unwrap();
    assert!(
        unreadable.iter().any(|u| u["file"] == "cpu.stat"
            && u["reason"].as_str().unwrap().contains("Permission denied")),
        "{secret}"
    );
}

/// An open cgroup file that has been read pins a page of kernel memory until closed: the TUI
/// keeps files open only for the cgroups it reads every pass (the rows on screen), and reads
/// the others in turns, opening and closing them.
#[test]
fn the_tui_keeps_files_open_only_for_the_rows_on_screen() {
    let cg = live_or_skip!("fds");
    for i in 0..200 {
        std::fs::create_dir(cg.child(&format!("c{i:03}.scope"))).unwrap();
    }
    let root = cg.dir().display().to_string();
    let rows = 30;
    let mut pty = Pty::spawn(&["--root", &root, "--interval", "0.2"], 120, rows);
    pty.wait_text("c000.scope", Duration::from_secs(10));
    // Enough passes for every hidden cgroup to be read several times in its turn.
    std::thread::sleep(Duration::from_secs(3));
    let pid = pty.pid().expect("cgtui runs");
    let mut cgroups_with_open_files = std::collections::HashSet::new();
    let mut open_files = 0;
    for fd in std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
    {
        if let Ok(target) = std::fs::read_link(fd.path())
            && target.starts_with(cg.dir())
        {
            open_files += 1;
            cgroups_with_open_files.insert(target.parent().map(|p| p.to_path_buf()));
        }
    }
    eprintln!(
        "{open_files} files open in {} cgroups",
        cgroups_with_open_files.len()
    );
    assert!(open_files > 0, "the rows on screen keep their files open");
    assert!(
        cgroups_with_open_files.len() <= usize::from(rows),
        "only the rows on screen keep files open, not all 201 cgroups: {}",
        cgroups_with_open_files.len()
    );
    pty.send("q");
    assert!(pty.wait_exit(Duration::from_secs(5)));
}

/// `x` in the process list: a real `sleep` in a test cgroup gets SIGTERM from the TUI, after
/// the picker and a confirmation naming it; the result is said on screen.
#[test]
fn tui_sends_sigterm_to_a_process_of_the_process_list() {
    let cg = live_or_skip!("signal");
    std::fs::create_dir(cg.child("s")).unwrap();
    let sleeper = LiveCgroup::spawn_in(&cg.child("s"), &["sleep", "1000"]);
    let pid = sleeper.id();
    let state = tempfile::tempdir().unwrap();
    let root = cg.dir().display().to_string();
    let mut pty = Pty::spawn_env(
        &["--root", &root, "--interval", "0.5"],
        &[("XDG_STATE_HOME", state.path().to_str().unwrap())],
        140,
        40,
    );
    let step = Duration::from_secs(5);
    pty.wait_text("CGROUP", Duration::from_secs(10));
    // The child `s`, then its process list.
    pty.send("j");
    pty.send("\t");
    pty.wait_text("sleep 1000", step);
    pty.send("x");
    pty.wait_text("send a signal", step);
    pty.send("\r");
    pty.wait_text(&format!("Send SIGTERM to process {pid}?"), step);
    pty.send("y");
    // Reaped as it ends: the check runs until it has.
    let sleeper = std::cell::RefCell::new(sleeper);
    let ended = std::cell::RefCell::new(None);
    pty.wait_for("sleep to end", step, |_| {
        let mut ended = ended.borrow_mut();
        if ended.is_none() {
            *ended = sleeper.borrow_mut().try_wait().ok().flatten();
        }
        ended.is_some()
    });
    use std::os::unix::process::ExitStatusExt;
    let status = ended.into_inner().unwrap();
    assert_eq!(status.signal(), Some(15), "{status:?}");
    pty.wait_text(&format!("sent SIGTERM to {pid}"), step);
    pty.send("q");
    assert!(pty.wait_exit(Duration::from_secs(5)));
}

/// `p` on the real kernel: a real `sleep` shows under its cgroup in the tree once that cgroup
/// is expanded (the focused one and another), and `x` on its row signals it.
#[test]
fn tui_shows_processes_under_their_cgroup_and_signals_one_from_the_tree() {
    let cg = live_or_skip!("treeprocs");
    for name in ["alpha.scope", "beta.scope"] {
        std::fs::create_dir(cg.child(name)).unwrap();
    }
    let alpha = LiveCgroup::spawn_in(&cg.child("alpha.scope"), &["sleep", "1000"]);
    let beta = LiveCgroup::spawn_in(&cg.child("beta.scope"), &["sleep", "1001"]);
    let (alpha_pid, beta_pid) = (alpha.id(), beta.id());
    let mut beta = beta;
    let state = tempfile::tempdir().unwrap();
    let root = cg.dir().display().to_string();
    let mut pty = Pty::spawn_env(
        &["--root", &root, "--interval", "0.5"],
        &[("XDG_STATE_HOME", state.path().to_str().unwrap())],
        140,
        40,
    );
    let step = Duration::from_secs(5);
    pty.wait_text("beta.scope", Duration::from_secs(10));
    // Processes in the tree; alpha.scope expanded (and focused): its sleep under it.
    pty.send("p");
    pty.send("j");
    pty.send("l");
    pty.wait_text(&format!("{alpha_pid} sleep 1000"), step);
    // Down onto the process row, down to beta.scope, expanded while alpha.scope is not
    // focused any more: both lists keep coming.
    pty.send("j");
    pty.send("j");
    pty.send("l");
    pty.wait_text(&format!("{beta_pid} sleep 1001"), step);
    let screen = pty.screen();
    let line_of = |text: &str| {
        screen
            .lines()
            .position(|l| l.contains(text))
            .unwrap_or_else(|| panic!("{text} is not on the screen:\n{screen}"))
    };
    let (alpha_row, beta_row) = (line_of("alpha.scope"), line_of("beta.scope"));
    let alpha_process = line_of(&format!("{alpha_pid} sleep 1000"));
    let beta_process = line_of(&format!("{beta_pid} sleep 1001"));
    assert!(
        alpha_row < alpha_process && alpha_process < beta_row && beta_row < beta_process,
        "each process right under its cgroup:\n{screen}"
    );
    // Up onto alpha's sleep, and `x`: the signal picker, then SIGTERM confirmed.
    pty.send("k");
    pty.send("x");
    pty.wait_text("send a signal", step);
    pty.send("\r");
    pty.wait_text(&format!("Send SIGTERM to process {alpha_pid}?"), step);
    pty.send("y");
    let alpha = std::cell::RefCell::new(alpha);
    let ended = std::cell::RefCell::new(None);
    pty.wait_for("alpha's sleep to end", step, |_| {
        let mut ended = ended.borrow_mut();
        if ended.is_none() {
            *ended = alpha.borrow_mut().try_wait().ok().flatten();
        }
        ended.is_some()
    });
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(ended.into_inner().unwrap().signal(), Some(15));
    // Its row goes with the next read (the status line still names it); beta's stays.
    let tree_row = |s: &str, pid: u32| {
        s.lines()
            .any(|l| l.trim_start().starts_with(&format!("{pid} sleep")))
    };
    pty.wait_for("alpha's row to go", step, |s| !tree_row(s, alpha_pid));
    assert!(tree_row(&pty.screen(), beta_pid), "{}", pty.screen());
    assert!(beta.try_wait().unwrap().is_none(), "beta's sleep untouched");
    pty.send("q");
    assert!(pty.wait_exit(Duration::from_secs(5)));
    let _ = beta.kill();
    let _ = beta.wait();
}

/// The recorder's and exporter's reads hold each cgroup's directory between passes instead of
/// looking its path up again: a cgroup removed since, or removed and made again under its name,
/// must never be read through the old one.
#[test]
fn held_directories_never_read_a_removed_or_remade_cgroup() {
    let cg = live_or_skip!("held");
    let fs = Cgroupfs::system().unwrap();
    let top = cgtui::cgroup::CgroupPath::from_relative(&cg.relative).unwrap();
    let mut collector = cgtui::collect::Collector::new(fs).carrying();
    let child = cg.child("c");
    std::fs::create_dir(&child).unwrap();
    let pass = |collector: &mut cgtui::collect::Collector| {
        let tree = collector.read_tree(&top, None, true);
        tree.cgroups
            .into_iter()
            .find(|(path, _)| path.name() == "c")
            .and_then(|(_, sample)| sample)
    };
    for _ in 0..3 {
        pass(&mut collector).expect("c is read");
    }
    assert!(
        collector.held_dirs() >= 2,
        "the top and c are held after 3 passes"
    );
    let old = pass(&mut collector).expect("c is read through its held directory");

    // Made again under the same name, with a child this time: the new one is read.
    std::fs::remove_dir(&child).unwrap();
    std::fs::create_dir(&child).unwrap();
    std::fs::create_dir(child.join("grandchild")).unwrap();
    let new = pass(&mut collector).expect("the new c is read");
    assert_ne!(new.inode, old.inode, "the new c's directory");
    let descendants = new
        .detail
        .as_ref()
        .and_then(|d| d.stat)
        .map(|s| s.nr_descendants);
    assert_eq!(descendants, Some(1), "the new c's cgroup.stat");

    // Removed: gone from the pass, not read through the held directory.
    std::fs::remove_dir(child.join("grandchild")).unwrap();
    pass(&mut collector).expect("c is read");
    pass(&mut collector).expect("c is read");
    std::fs::remove_dir(&child).unwrap();
    assert!(
        pass(&mut collector).is_none(),
        "a removed cgroup has no sample"
    );
}

/// A leaf's children are known from one `stat` (its link count is 2); a child made in it is
/// found at the next call (and walk), a parent's are listed, and a removed cgroup has none.
#[test]
fn children_of_a_leaf_and_of_a_parent_on_the_real_kernel() {
    let cg = live_or_skip!("children");
    let fs = Cgroupfs::system().unwrap();
    let relative = cg.relative.to_str().unwrap().to_string();
    let path = |p: &str| cgtui::cgroup::CgroupPath::from_relative(std::path::Path::new(p)).unwrap();
    let top = path(&relative);
    let leaf = path(&format!("{relative}/leaf"));
    std::fs::create_dir(cg.child("leaf")).unwrap();
    assert_eq!(fs.children(&leaf).unwrap(), Some(Vec::new()));
    assert_eq!(fs.walk(&top), [top.clone(), leaf.clone()]);
    std::fs::create_dir(cg.child("leaf/inner")).unwrap();
    assert_eq!(fs.children(&leaf).unwrap(), Some(vec!["inner".into()]));
    // A walk learns a leaf from one stat beside its parent's listing: inner is no longer one.
    let inner = path(&format!("{relative}/leaf/inner"));
    assert_eq!(fs.walk(&top), [top.clone(), leaf.clone(), inner]);
    let mut names = fs.children(&top).unwrap().unwrap();
    names.sort();
    assert_eq!(names, vec![std::ffi::OsString::from("leaf")]);
    std::fs::remove_dir(cg.child("leaf/inner")).unwrap();
    std::fs::remove_dir(cg.child("leaf")).unwrap();
    assert_eq!(fs.children(&leaf).unwrap(), None, "gone");
}
