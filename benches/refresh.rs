//! Refresh cost on a real cgroupfs tree: CPU time per refresh of cgtui's sampler, against a
//! floor reader that only opens, reads and closes cgroup.events, cpu.stat, memory.current,
//! io.stat and pids.current of every cgroup. Prints figures and ratios for: the TUI's refresh
//! (40 rows on screen, the rest read in turns), a full refresh keeping files open (as
//! `snapshot --count N` does), and a full refresh opening every file each time.
//!
//!     cargo bench --bench refresh            (as root, on a host with cgroup2)
//!     CGTUI_BENCH_CGROUPS=10000 cargo bench --bench refresh
//!
//! It builds its tree under a uniquely named cgroup on the cgroup2 mount and removes it after.

mod common;

use cgtui::cgroup::{CgroupPath, Cgroupfs};
use cgtui::sampler::{sample_tree, sample_tree_with};
use common::BenchTree;
use std::path::PathBuf;
use std::time::Duration;

const FLOOR_FILES: [&str; 5] = [
    "cgroup.events",
    "cpu.stat",
    "memory.current",
    "io.stat",
    "pids.current",
];

fn thread_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// CPU time of `f`, the median of `runs` runs after one warm-up.
fn measure(runs: usize, mut f: impl FnMut()) -> Duration {
    f();
    median(
        (0..runs)
            .map(|_| {
                let start = thread_cpu();
                f();
                thread_cpu() - start
            })
            .collect(),
    )
}

fn main() {
    let fs = match Cgroupfs::system() {
        Ok(fs) => fs,
        Err(e) => {
            println!("refresh bench skipped: {e}");
            return;
        }
    };
    let sizes: Vec<usize> = std::env::var("CGTUI_BENCH_CGROUPS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![2000, 10000]);
    let runs: usize = std::env::var("CGTUI_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    println!(
        "refresh cost on {} (median of {runs} runs, thread CPU time)",
        fs.mount_point().display()
    );
    cgtui::cgroup::files::raise_fd_limit();
    println!(
        "{:>8} | {:>10} {:>6} | {:>10} {:>6} | {:>10} {:>6} | {:>10}",
        "cgroups", "TUI", "ratio", "full", "ratio", "no cache", "ratio", "floor"
    );
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
        let paths: Vec<PathBuf> = fs.walk(&base).iter().map(|p| fs.dir(p)).collect();
        // The sampler keeps files open across refreshes; the first pass (warm-up) opens them.
        let mut files = cgtui::cgroup::files::OpenFiles::new();
        let cgtui = measure(runs, || {
            std::hint::black_box(sample_tree_with(&fs, &base, None, false, &mut files));
        });
        // The TUI's refresh: 40 rows on screen read every pass, the rest in turns.
        let mut view_files = cgtui::cgroup::files::OpenFiles::new();
        let mut plan = cgtui::sampler::ViewPlan::default();
        plan.visible = Some(fs.walk(&base).into_iter().take(40).collect());
        let tui = measure(runs * 5, || {
            plan.begin_pass();
            std::hint::black_box(cgtui::sampler::sample_tree_planned(
                &fs,
                &base,
                &mut |p| plan.scope(p),
                Some(&mut view_files),
            ));
            plan.end_pass();
        });
        let cold = measure(runs, || {
            std::hint::black_box(sample_tree(&fs, &base, None, false));
        });
        let floor = measure(runs, || {
            let mut fs_paths = Vec::with_capacity(paths.len());
            fs_paths.extend(fs.walk(&base).into_iter().map(|p: CgroupPath| fs.dir(&p)));
            for dir in &fs_paths {
                for file in FLOOR_FILES {
                    let _ = std::hint::black_box(std::fs::read(dir.join(file)));
                }
            }
        });
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let ratio = |d: Duration| d.as_secs_f64() / floor.as_secs_f64();
        println!(
            "{:>8} | {:>7.2} ms {:>5.2}x | {:>7.2} ms {:>5.2}x | {:>7.2} ms {:>5.2}x | {:>7.2} ms",
            paths.len(),
            ms(tui),
            ratio(tui),
            ms(cgtui),
            ratio(cgtui),
            ms(cold),
            ratio(cold),
            ms(floor)
        );
    }
}
