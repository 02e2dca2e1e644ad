//! Footprint of cgtui running live on a tree of 10,000 cgroups: RSS over time, inotify watches
//! against what the tree needs, and wake-ups per second while nothing changes (they should
//! equal the polling ticks: nothing cgtui reads itself may wake it).
//!
//!     cargo bench --bench footprint                      (as root; 60 s)
//!     CGTUI_BENCH_SECONDS=600 cargo bench --bench footprint

mod common;

use common::{BenchTree, inotify_watches};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

fn status_field(pid: u32, task: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/task/{task}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

fn rss_kib(pid: u32) -> u64 {
    status_field(pid, &pid.to_string(), "VmRSS:")
}

/// Context switches per thread (name, voluntary + involuntary).
fn switches(pid: u32) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let tid = task.file_name().to_string_lossy().into_owned();
        let name = std::fs::read_to_string(task.path().join("comm"))
            .unwrap_or_default()
            .trim()
            .to_string();
        // Voluntary switches are the thread going to sleep and being woken: the wake-ups.
        let n = status_field(pid, &tid, "voluntary_ctxt_switches:");
        out.push((format!("{name}/{tid}"), n));
    }
    out.sort();
    out
}

/// Descriptors of `pid` open on files under `dir` (cgroup interface files kept open).
fn files_open_under(pid: u32, dir: &Path) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l.starts_with(dir)))
        .count()
}

fn main() {
    let Ok(fs) = cgtui::cgroup::Cgroupfs::system() else {
        println!("footprint bench skipped: no cgroup2 hierarchy");
        return;
    };
    let seconds: u64 = std::env::var("CGTUI_BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let count = 10_000;
    let tree = match BenchTree::create(fs.mount_point(), "footprint", count) {
        Ok(tree) => tree,
        Err(e) => {
            println!("footprint bench skipped: cannot create cgroups: {e}");
            return;
        }
    };
    let dir = tree.dir.clone();
    let binary = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/cgtui");
    if !binary.exists() {
        println!("footprint bench skipped: build the release binary first (cargo build --release)");
        return;
    }
    // The release profile's size (LTO, one codegen unit; line tables kept for backtraces, which
    // the Debian package strips).
    if let Ok(meta) = std::fs::metadata(&binary) {
        println!(
            "release binary: {} ({:.1} MiB)",
            binary.display(),
            meta.len() as f64 / (1 << 20) as f64
        );
    }
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 60,
            cols: 200,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut command = CommandBuilder::new(&binary);
    command.args(["--root", &dir.display().to_string(), "--interval", "1"]);
    command.env("TERM", "xterm-256color");
    let mut child = pair.slave.spawn_command(command).unwrap();
    let mut reader = pair.master.try_clone_reader().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while reader.read(&mut buf).is_ok_and(|n| n > 0) {}
    });
    let pid = child.process_id().unwrap();
    std::thread::sleep(Duration::from_secs(5));

    println!("footprint of cgtui on {count} cgroups, 1 s interval, 200x60");
    let watches = inotify_watches(pid);
    // What the tree needs: each cgroup's directory and its cgroup.events (hugetlb adds no
    // .events file here; memory.events and pids.events would add one each where enabled).
    let needed = count * 2;
    println!(
        "  inotify watches: {watches} (the tree needs {needed}: a directory and cgroup.events each)"
    );
    println!(
        "  cgroup files kept open: {} (read every pass: the rows on screen; each pins ~4.5 KiB of kernel memory)",
        files_open_under(pid, &dir)
    );
    let start = Instant::now();
    let before = switches(pid);
    std::thread::sleep(Duration::from_secs(10));
    let after = switches(pid);
    let secs = start.elapsed().as_secs_f64();
    println!("  idle wake-ups per second over {secs:.0} s (1 poll tick per second):");
    for ((name, b), (_, a)) in before.iter().zip(&after) {
        println!("    {name:<24} {:>6.2}/s", (a - b) as f64 / secs);
    }
    let mut rss = vec![rss_kib(pid)];
    let begin = Instant::now();
    while begin.elapsed() < Duration::from_secs(seconds) {
        std::thread::sleep(Duration::from_secs(10).min(Duration::from_secs(seconds)));
        rss.push(rss_kib(pid));
    }
    println!(
        "  RSS over {seconds} s: {} KiB at start, {} KiB at the end, {} KiB at most",
        rss[0],
        rss[rss.len() - 1],
        rss.iter().max().unwrap()
    );
    // One figure a minute, to show it stays flat.
    let by_minute: Vec<String> = rss.iter().step_by(6).map(u64::to_string).collect();
    println!("  RSS each minute (KiB): {}", by_minute.join(" "));
    let _ = child.kill();
    let _ = child.wait();
}
