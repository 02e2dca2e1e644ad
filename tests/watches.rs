//! The TUI's inotify watches: every cgroup's directory, and `cgroup.events` and
//! `memory.events` only of the rows the sampler reads every pass (those on screen), yet a
//! process or an OOM kill in a collapsed child still shows at once on its ancestor on screen (a
//! parent's `populated` and `memory.events` count its descendants').

mod common;

use common::Pty;
use std::path::Path;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);

/// Siblings of `busy.slice` under the top: more than the screen shows.
const SIBLINGS: usize = 80;

/// A cgroup of the fixture, with the files the watcher and the sampler look at.
fn cgroup(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("cgroup.procs"), "").unwrap();
    std::fs::write(dir.join("cgroup.events"), "populated 0\nfrozen 0\n").unwrap();
    std::fs::write(
        dir.join("memory.events"),
        "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n",
    )
    .unwrap();
}

#[test]
fn memory_events_are_watched_on_screen_only_and_a_hidden_childs_oom_kill_shows_on_its_parent() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("cgroup.procs"), "").unwrap();
    cgroup(&root.join("busy.slice/leaf.scope"));
    cgroup(&root.join("busy.slice"));
    for i in 0..SIBLINGS {
        cgroup(&root.join(format!("s{i:02}.scope")));
    }
    // The fixture in place (read-only: no private copy), so that writes here reach the
    // watcher; an hour's interval, so that nothing but a watch can report the kill.
    let fixture = root.display().to_string();
    // The KILLS column keeps showing what the flash shows for 5 s.
    let config = tempfile::tempdir().unwrap();
    let config = config.path().join("config.toml");
    std::fs::write(&config, "columns = [\"oomkill\"]\n").unwrap();
    let config = config.display().to_string();
    let args = ["--fixture", &fixture, "--read-only", "--interval", "3600"];
    let mut pty = Pty::spawn(&[&args[..], &["--config", &config]].concat(), 120, 40);
    pty.wait_text("busy.slice", WAIT);
    let screen = pty.screen();
    assert!(!screen.contains("leaf.scope"), "collapsed:\n{screen}");
    assert!(!screen.contains("s79.scope"), "scrolled off:\n{screen}");
    // The directory of every cgroup, and cgroup.events and memory.events of the rows on screen
    // once the sampler follows them.
    let cgroups = SIBLINGS + 3;
    let tree = cgroups;
    let pid = pty.pid().expect("cgtui's pid");
    let start = Instant::now();
    let mut watches = common::inotify_watches(pid);
    while watches <= tree && start.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(50));
        watches = common::inotify_watches(pid);
    }
    let rows = screen.lines().count();
    assert!(
        watches > tree && watches <= tree + 2 * rows,
        "{watches} watches: the tree's {tree} and at most two a row on screen ({rows} lines)"
    );
    // A process in the collapsed child: busy.slice is populated too, and says so at once.
    let busy_row = |screen: &str, marker: &str| {
        screen
            .lines()
            .any(|l| l.contains("busy.slice") && l.contains(marker))
    };
    assert!(!busy_row(&pty.screen(), "● busy.slice"), "{}", pty.screen());
    let populated = "populated 1\nfrozen 0\n";
    std::fs::write(root.join("busy.slice/leaf.scope/cgroup.events"), populated).unwrap();
    std::fs::write(root.join("busy.slice/cgroup.events"), populated).unwrap();
    pty.wait_for("busy.slice populated", WAIT, |screen| {
        busy_row(screen, "● busy.slice")
    });
    // The kernel counts a child's kill in its ancestors' memory.events too.
    let killed = "low 0\nhigh 0\nmax 1\noom 1\noom_kill 1\n";
    std::fs::write(root.join("busy.slice/leaf.scope/memory.events"), killed).unwrap();
    std::fs::write(root.join("busy.slice/memory.events"), killed).unwrap();
    pty.wait_for("the OOM kill on busy.slice's row", WAIT, |screen| {
        screen.lines().any(|l| {
            l.contains("busy.slice")
                && (l.contains("OOM-KILL") || l.split_whitespace().last() == Some("1"))
        })
    });
    pty.send("q");
    assert!(pty.wait_exit(WAIT));
}

#[test]
fn the_config_key_sets_the_watch_budget_and_the_flag_wins() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "max_watches = 3\n").unwrap();
    let config = config.display().to_string();
    let fixture = common::fixture().display().to_string();
    let run = |extra: &[&str]| {
        let mut args = vec!["--fixture", &fixture, "--read-only", "--config", &config];
        args.extend(extra);
        args.push("--stats");
        let mut pty = Pty::spawn(&args, 120, 40);
        pty.wait_text("polling only", WAIT);
        pty.send("q");
        assert!(pty.wait_exit(WAIT));
        // `--stats` prints the notice on exit, whole.
        String::from_utf8_lossy(&pty.raw_output()).into_owned()
    };
    let said = run(&[]);
    assert!(
        said.contains("polling only: past 3 inotify watches (max_watches in the config)"),
        "{said}"
    );
    let said = run(&["--max-watches", "5"]);
    assert!(
        said.contains("polling only: past 5 inotify watches (--max-watches)"),
        "{said}"
    );
}

/// Watching a whole tree from its own working directory, the TUI's watcher (directories only)
/// watches leaves by name and tells them by their link count: every cgroup is watched, and a
/// cgroup made later at any depth is reported. On the real cgroupfs, where that path is taken.
#[test]
fn a_tree_watched_at_once_reports_cgroups_made_later_at_every_depth() {
    use cgtui::cgroup::watch::{WatchEvent, Watcher};
    let live = live_or_skip!("watch-leaves");
    // all: three leaves; mixed: a leaf and a parent of a leaf.
    for dir in [
        "all/l1",
        "all/l2",
        "all/l3",
        "mixed/leaf",
        "mixed/inner/deep",
    ] {
        std::fs::create_dir_all(live.child(dir)).expect("mkdir");
    }
    let fs = cgtui::cgroup::Cgroupfs::system().expect("cgroup2");
    let base = fs.resolve(&live.dir()).expect("the test cgroup resolves");
    let mut watcher = Watcher::new(fs.clone(), base.clone())
        .expect("inotify")
        .without_counter_files()
        .with_cgroup_events_of_followed_only();
    watcher.watch_existing(&mut |_| true);
    let watched: Vec<String> = watcher.cgroups().map(|p| p.to_string()).collect();
    let relative = |dir: &str| format!("/{}/{dir}", live.relative.display());
    for dir in [
        "all",
        "all/l1",
        "all/l2",
        "all/l3",
        "mixed",
        "mixed/leaf",
        "mixed/inner",
    ] {
        assert!(
            watched.contains(&relative(dir)),
            "{dir} is watched: {watched:?}"
        );
    }
    assert!(watched.contains(&relative("mixed/inner/deep")));
    let (sender, events) = std::sync::mpsc::channel();
    std::thread::spawn(move || watcher.watch_events(|e| sender.send(e).is_ok()));
    let made = ["all/l2/new", "mixed/leaf/new", "mixed/inner/deep/new"];
    for dir in made {
        std::fs::create_dir(live.child(dir)).expect("mkdir a new cgroup");
    }
    let mut reported = Vec::new();
    let deadline = Instant::now() + WAIT;
    while reported.len() < made.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            Ok(WatchEvent::Created { path, .. }) => reported.push(path.to_string()),
            Ok(_) => {}
            Err(e) => panic!("waiting for {made:?}, reported only {reported:?}: {e}"),
        }
    }
    reported.sort();
    let mut expected: Vec<String> = made.iter().map(|d| relative(d)).collect();
    expected.sort();
    assert_eq!(reported, expected);
}
