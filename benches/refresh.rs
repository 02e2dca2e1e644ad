//! Refresh cost on a real cgroupfs tree: CPU time per refresh of cgtui's sampler, against a
//! floor reader that only opens, reads and closes cgroup.events, cpu.stat, memory.current,
//! io.stat and pids.current of every cgroup. Prints figures and ratios for: the TUI's refresh
//! (40 rows on screen, sorted by name: nothing else is read; see `cargo bench --bench
//! left_open` for the whole program), a full refresh (as `snapshot --count N` does),
//! and a full refresh opening every file each time; then a floor reading every file whose
//! values a full refresh reports (the same data), the files each reader keeps open (each pins
//! a page of kernel memory), and, where systemd-cgtop runs (a systemd host, the VM suite),
//! `systemd-cgtop -b -n K -d 0.1 --depth=100` on the same tree.
//!
//!     cargo bench --bench refresh            (as root, on a host with cgroup2)
//!     CGTUI_BENCH_CGROUPS=10000 cargo bench --bench refresh
//!
//! It builds its tree under a uniquely named cgroup on the cgroup2 mount, with every
//! controller the mount passes on enabled, and removes it after.
//! To profile one reader alone: CGTUI_BENCH_ONLY=tui|full|cold|floor|same (others print 0).

mod common;

use cgtui::cgroup::{CgroupPath, Cgroupfs};
use cgtui::collect::plan::{Reads, ViewPlan};
use cgtui::collect::{Collector, sample_tree};
use common::{BenchTree, FLOOR_FILES};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Every file whose values a full refresh of the tree's columns reports.
const SAME_DATA_FILES: [&str; 15] = [
    "cgroup.events",
    "cgroup.controllers",
    "cgroup.subtree_control",
    "cpu.stat",
    "cpu.pressure",
    "memory.current",
    "memory.swap.current",
    "memory.max",
    "memory.high",
    "memory.events",
    "memory.pressure",
    "io.stat",
    "io.pressure",
    "pids.current",
    "pids.max",
];

/// Refreshes systemd-cgtop makes per measurement.
const CGTOP_REFRESHES: u32 = 10;

use common::children_cpu;

/// CPU time of `f`, the median of `runs` runs after one warm-up; zero when CGTUI_BENCH_ONLY
/// names another reader.
fn measure(name: &str, runs: usize, f: impl FnMut()) -> Duration {
    if std::env::var("CGTUI_BENCH_ONLY").is_ok_and(|only| only != name) {
        return Duration::ZERO;
    }
    common::measure_cpu(runs, f)
}

/// CPU time of one refresh of systemd-cgtop over `group`, when it runs here.
fn cgtop(group: &CgroupPath) -> Option<Duration> {
    if !Path::new("/run/systemd/system").exists() {
        return None;
    }
    let before = children_cpu();
    let status = std::process::Command::new("systemd-cgtop")
        .args([
            "-b",
            "-n",
            &CGTOP_REFRESHES.to_string(),
            "-d",
            "0.1",
            "--depth=100",
        ])
        .arg(group.to_string())
        .stdout(std::process::Stdio::null())
        .status()
        .ok()?;
    status
        .success()
        .then(|| (children_cpu() - before) / CGTOP_REFRESHES)
}

fn read_all(paths: &[PathBuf], files: &[&str]) {
    for dir in paths {
        for file in files {
            let _ = std::hint::black_box(std::fs::read(dir.join(file)));
        }
    }
}

fn main() {
    let fs = match Cgroupfs::system() {
        Ok(fs) => fs,
        Err(e) => {
            println!("refresh bench skipped: {e}");
            return;
        }
    };
    let sizes: Vec<usize> = common::env_list("CGTUI_BENCH_CGROUPS", &[2000, 10000]);
    let runs: usize = common::env_number("CGTUI_BENCH_RUNS", 7);
    println!(
        "refresh cost on {} (median of {runs} runs, thread CPU time)",
        fs.mount_point().display()
    );
    cgtui::cgroup::files::raise_fd_limit();
    println!(
        "{:>8} | {:>10} {:>6} | {:>10} {:>6} | {:>10} {:>6} | {:>10}",
        "cgroups", "TUI", "ratio", "full", "ratio", "no cache", "ratio", "floor"
    );
    let mut notes = Vec::new();
    for count in sizes {
        let tree = match BenchTree::create(fs.mount_point(), "bench", count) {
            Ok(tree) => tree,
            Err(e) => {
                println!(
                    "refresh bench skipped: cannot create cgroups on {}: {e}",
                    fs.mount_point().display()
                );
                return;
            }
        };
        let base = fs.resolve(&tree.dir).expect("bench tree resolves");
        let walk = || -> Vec<PathBuf> { fs.walk(&base).iter().map(|p| fs.dir(p)).collect() };
        let cgroups = walk().len();
        // The sampler keeps files open across refreshes; the first pass (warm-up) opens them.
        let mut collector = Collector::new(fs.clone());
        let full = measure("full", runs, || {
            std::hint::black_box(collector.read_tree(&base, None, false));
        });
        // The TUI's refresh, sorted by name: 40 rows on screen read every pass, nothing else
        // (the tree's shape comes from the watcher, changes by inotify).
        let mut view_collector = Collector::new(fs.clone());
        let mut plan = ViewPlan::default();
        plan.set_reads(Reads {
            every_pass: fs.walk(&base).into_iter().take(40).collect(),
            in_turns: Vec::new(),
            memory_stat: false,
            processes_of: Vec::new(),
        });
        let tui = measure("tui", runs * 5, || {
            std::hint::black_box(plan.sample(&mut view_collector, &base));
        });
        let cold = measure("cold", runs, || {
            std::hint::black_box(sample_tree(&fs, &base, None, false));
        });
        let floor = measure("floor", runs, || read_all(&walk(), &FLOOR_FILES));
        let same = measure("same", runs, || read_all(&walk(), &SAME_DATA_FILES));
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let ratio = |d: Duration, to: Duration| d.as_secs_f64() / to.as_secs_f64();
        println!(
            "{:>8} | {:>7.2} ms {:>5.2}x | {:>7.2} ms {:>5.2}x | {:>7.2} ms {:>5.2}x | {:>7.2} ms",
            cgroups,
            ms(tui),
            ratio(tui, floor),
            ms(full),
            ratio(full, floor),
            ms(cold),
            ratio(cold, floor),
            ms(floor)
        );
        notes.push(format!(
            "{cgroups:>8} | same-data floor {:.2} ms: full refresh {:.2}x, TUI {:.2}x | files kept open: TUI {}, full {} (at most {})",
            ms(same),
            ratio(full, same),
            ratio(tui, same),
            view_collector.open_files(),
            collector.open_files(),
            cgtui::cgroup::files::KEEP_OPEN_MAX,
        ));
        if let Some(cgtop) = cgtop(&base) {
            notes.push(format!(
                "{cgroups:>8} | systemd-cgtop {:.2} ms per refresh: TUI {:.2}x, full refresh {:.2}x, floor {:.2}x",
                ms(cgtop),
                ratio(tui, cgtop),
                ratio(full, cgtop),
                ratio(floor, cgtop),
            ));
        }
    }
    for note in notes {
        println!("{note}");
    }
}
