//! Churn (short version; the VM suite runs a minute of it): cgroups created and removed by the
//! thousand per second, processes moved and killed, while cgtui runs live in a pty and
//! `snapshot` runs in a loop. Afterwards cgtui must still run, its tree must equal what is on
//! disk, its inotify watches must be back to the baseline, and its memory flat.

mod common;

use common::Pty;
use std::path::Path;
use std::time::{Duration, Instant};

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn cgroups_on_disk(dir: &Path) -> usize {
    1 + std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| cgroups_on_disk(&e.path()))
        .sum::<usize>()
}

/// What RSS may grow by during the churn beyond 10 %: tables keep the capacity of the most
/// cgroups alive at once, which rises with the churn's random peaks (a few thousand cgroups
/// are a few hundred KiB). A leak of 30 bytes per cgroup made would pass it.
const RSS_SLACK_KIB: u64 = 1024;

#[test]
fn churn_leaves_cgtui_running_consistent_and_flat() {
    let cg = live_or_skip!("churn");
    let root = cg.dir().display().to_string();
    let mut pty = Pty::spawn(&["--root", &root, "--interval", "0.5"], 140, 40);
    // Loaded: the header drops "reading…" once the watcher's listing (watches in place) is in.
    pty.wait_for("the tree to load", Duration::from_secs(10), |s| {
        s.contains(" 1 cgroup ·") && !s.contains("reading…")
    });
    let pid = pty.pid().unwrap();
    let baseline_watches = common::inotify_watches(pid);
    assert!(
        baseline_watches >= 2,
        "watching the root dir and its cgroup.events"
    );

    let churn_script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/stress/churn.sh");
    let seconds = 8;
    let churn = std::process::Command::new("bash")
        .arg(&churn_script)
        .arg(&root)
        .arg(seconds.to_string())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // snapshot in a loop meanwhile: every run must succeed.
    let snapshots = std::thread::spawn({
        let root = root.clone();
        move || {
            let end = Instant::now() + Duration::from_secs(seconds);
            let mut runs = 0;
            while Instant::now() < end {
                let out = std::process::Command::new(common::binary())
                    .args([
                        "snapshot",
                        "--json",
                        "--count",
                        "2",
                        "--interval",
                        "0.2",
                        "--root",
                        &root,
                    ])
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "snapshot failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                runs += 1;
            }
            runs
        }
    });
    std::thread::sleep(Duration::from_secs(3));
    let warm_rss = rss_kib(pid);
    let out = churn.wait_with_output().unwrap();
    eprintln!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(out.status.success());
    let runs = snapshots.join().unwrap();
    eprintln!("{runs} snapshot runs");

    // Still running, and back in step with the disk.
    assert!(pty.alternate_screen());
    let on_disk = cgroups_on_disk(&cg.dir());
    let count = cgtui::format::plural(on_disk, "cgroup");
    pty.wait_text(&format!(" {count} ·"), Duration::from_secs(5));
    let start = Instant::now();
    while common::inotify_watches(pid) != baseline_watches
        && start.elapsed() < Duration::from_secs(5)
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        common::inotify_watches(pid),
        baseline_watches,
        "watches back to the baseline"
    );
    let end_rss = rss_kib(pid);
    eprintln!("RSS {warm_rss} KiB warm, {end_rss} KiB after");
    assert!(
        end_rss <= warm_rss + (warm_rss / 10).max(RSS_SLACK_KIB),
        "RSS grew from {warm_rss} to {end_rss} KiB"
    );
    pty.send("q");
    assert!(
        pty.wait_exit(Duration::from_secs(5)),
        "cgtui exits cleanly after the churn"
    );
}
