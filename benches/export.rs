//! Scrape cost of `cgtui export` on a real cgroupfs tree: CPU time of one scrape (take the
//! tree from inotify, read every exported file once, label, encode as OpenMetrics) against the
//! same-data floor (walk the same tree and open, read and close every file a scrape reads,
//! nothing else), and the response size. `listing`: a scrape that lists the tree instead (an
//! exporter without inotify; `snapshot --format openmetrics`).
//!
//!     cargo bench --bench export             (as root, on a host with cgroup2)
//!     CGTUI_BENCH_CGROUPS=2000 CGTUI_BENCH_RUNS=3 cargo bench --bench export
//!
//! It builds its tree under a uniquely named cgroup on the cgroup2 mount, with every
//! controller the mount passes on enabled, and removes it after. Where a controller is
//! missing (this dev machine's hierarchy has only hugetlb), its files are absent for both
//! readers: the floor then pays a failed open for each, the exporter remembers the absence.

mod common;

use cgtui::cgroup::Cgroupfs;
use cgtui::export::{Exporter, Format, Selection, SelectionArgs};
use common::BenchTree;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Every file a scrape reads (Scope::Metrics).
const SCRAPE_FILES: [&str; 20] = [
    "cgroup.events",
    "cgroup.stat",
    "cgroup.controllers",
    "cgroup.subtree_control",
    "cpu.stat",
    "cpu.pressure",
    "memory.current",
    "memory.swap.current",
    "memory.max",
    "memory.high",
    "memory.low",
    "memory.min",
    "memory.events",
    "memory.pressure",
    "io.stat",
    "io.pressure",
    "pids.current",
    "pids.max",
    "pids.events",
    // The walk's listing is the floor's too (below); this is the stat the sample starts with.
    ".",
];

use common::measure_cpu as measure;

fn floor(fs: &Cgroupfs, base: &cgtui::cgroup::CgroupPath) {
    let dirs: Vec<PathBuf> = fs.walk(base).iter().map(|p| fs.dir(p)).collect();
    for dir in dirs {
        for file in SCRAPE_FILES {
            if file == "." {
                let _ = std::hint::black_box(std::fs::metadata(&dir));
            } else {
                let _ = std::hint::black_box(std::fs::read(dir.join(file)));
            }
        }
    }
}

fn main() {
    let fs = match Cgroupfs::system() {
        Ok(fs) => fs,
        Err(e) => {
            println!("export bench skipped: {e}");
            return;
        }
    };
    let sizes: Vec<usize> = common::env_list("CGTUI_BENCH_CGROUPS", &[2000, 10000]);
    let runs: usize = common::env_number("CGTUI_BENCH_RUNS", 5);
    // Time between scrapes (sleeping costs no CPU): Prometheus scrapes every 15 s or more,
    // and a PSI file is carried only once it rested 3 s (0: back to back).
    let gap = Duration::from_millis(common::env_number("CGTUI_BENCH_SCRAPE_GAP_MS", 0u64));
    cgtui::cgroup::files::raise_fd_limit();
    println!(
        "scrape cost on {} (median of {runs} runs {} ms apart, thread CPU time; controllers: {})",
        fs.mount_point().display(),
        gap.as_millis(),
        fs.hierarchy_controllers()
            .map_or("?".into(), |c| if c.is_empty() {
                "none".into()
            } else {
                c.join(" ")
            })
    );
    println!(
        "{:>8} | {:>10} {:>10} {:>10} | {:>10} | {:>10} | {:>6} | {:>10}",
        "cgroups", "scrape", "read", "encode", "listing", "floor", "ratio", "response"
    );
    for count in sizes {
        let tree = match BenchTree::create(fs.mount_point(), "export-bench", count) {
            Ok(tree) => tree,
            Err(e) => {
                println!(
                    "export bench skipped: cannot create cgroups on {}: {e}",
                    fs.mount_point().display()
                );
                return;
            }
        };
        let base = fs.resolve(&tree.dir).expect("bench tree resolves");
        let cgroups = fs.walk(&base).len();
        let selection = Selection::new(&SelectionArgs {
            max_cgroups: cgroups + 1,
            ..SelectionArgs::default()
        })
        .expect("selection");
        let mut listing = Exporter::new(fs.clone(), base.clone(), selection.clone());
        // Each alone: another exporter's open files slow every reader of the tree.
        let listing_scrape = measure(runs, || {
            std::thread::sleep(gap);
            let scrape = Arc::new(listing.scrape(None));
            std::hint::black_box(scrape.encode(Format::OpenMetrics));
        });
        drop(listing);
        let mut exporter = Exporter::new(fs.clone(), base.clone(), selection).watching();
        let mut size = 0;
        let mut exported = 0;
        let mut listed = 0;
        let scrape = measure(runs, || {
            std::thread::sleep(gap);
            let scrape = Arc::new(exporter.scrape(None));
            exported = scrape.cgroups();
            listed += usize::from(scrape.listed_tree());
            size = std::hint::black_box(scrape.encode(Format::OpenMetrics)).len();
        });
        let read = measure(runs, || {
            std::thread::sleep(gap);
            std::hint::black_box(exporter.scrape(None));
        });
        let last = Arc::new(exporter.scrape(None));
        let encode = measure(runs, || {
            std::hint::black_box(last.encode(Format::OpenMetrics));
        });
        let floor = measure(runs, || floor(&fs, &base));
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{:>8} | {:>7.2} ms {:>7.2} ms {:>7.2} ms | {:>7.2} ms | {:>7.2} ms | {:>5.2}x | {:>7.1} KiB ({exported} cgroups exported; {listed} of the scrapes listed the tree)",
            cgroups,
            ms(scrape),
            ms(read),
            ms(encode),
            ms(listing_scrape),
            ms(floor),
            scrape.as_secs_f64() / floor.as_secs_f64(),
            size as f64 / 1024.0,
        );
    }
}
