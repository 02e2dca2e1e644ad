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
    model.apply_tree(cgtui::sampler::sample_tree(&fs, &base, None, false));
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
