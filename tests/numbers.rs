//! Numbers you can trust: on the real cgroup2 mount, with more busy loops than CPUs inside and
//! outside the tree, every sample `snapshot` prints live and every sample the recorder stored
//! keeps CPU % within the machine's capacity, and every parent at least the sum of its
//! children (both read in the same pass, each rate over the time between its own two reads).
//! Before rates were timed by their reads, a loaded machine made a subtree show 267 % on two
//! CPUs, and a child more than its parent.

mod common;

use serde_json::Value;
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A parent may read below its children's sum by this much (percentage points of one CPU):
/// the recorder can be preempted between a parent's read and its children's.
const PARENT_SLACK: f64 = 10.0;

fn online_cpus() -> f64 {
    cgtui::cgroup::sample::online_cpus().expect("/sys/devices/system/cpu/online") as f64
}

/// A shell spinning on a CPU.
fn busy() -> Child {
    Command::new("sh")
        .args(["-c", "while :; do :; done"])
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn a busy loop")
}

/// Every cgroup's CPU % of one JSON document, by path.
fn cpu_by_path(document: &Value) -> HashMap<String, Option<f64>> {
    document["cgroups"]
        .as_array()
        .expect("cgroups")
        .iter()
        .map(|c| {
            let path = c["path"].as_str().expect("path").to_string();
            (path, c["cpu"]["pct"].as_f64())
        })
        .collect()
}

/// Check one document; returns how many rates it held.
fn check(document: &Value, what: &str, capacity: f64) -> usize {
    let cpu = cpu_by_path(document);
    let mut rates = 0;
    for (path, pct) in &cpu {
        let Some(pct) = pct else { continue };
        rates += 1;
        assert!(
            (0.0..=capacity).contains(pct),
            "{what}: {path} at {pct} % on {capacity} % of CPUs"
        );
        let prefix = format!("{path}/");
        let children: Vec<f64> = cpu
            .iter()
            .filter(|(p, _)| p.starts_with(&prefix) && !p[prefix.len()..].contains('/'))
            .filter_map(|(_, v)| *v)
            .collect();
        let sum: f64 = children.iter().sum();
        assert!(
            *pct + PARENT_SLACK >= sum,
            "{what}: {path} at {pct} % is below its children's {sum} % ({children:?})"
        );
    }
    rates
}

fn lines_of(output: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(output)
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON document per line"))
        .collect()
}

/// Idle cgroups after the busy ones: a pass takes long, and on a starved machine its length
/// varies from one pass to the next.
const IDLE: usize = 500;

#[test]
fn rates_stay_possible_on_an_overloaded_machine() {
    let cg = live_or_skip!("numbers");
    let dir = cg.dir();
    for child in ["busy", "idle"] {
        std::fs::create_dir(dir.join(child)).expect("mkdir in the test cgroup");
    }
    for i in 0..IDLE {
        std::fs::create_dir(dir.join(format!("idle/{i:04}"))).expect("mkdir an idle cgroup");
    }
    let capacity = online_cpus() * 100.0;
    // Three busy loops per CPU, all in the tree: the tree uses the whole machine, and the
    // readers get a small share of it. The top of the tree (read first in every pass, its
    // reads early in passes of varying length) holds two per CPU, `busy` the third.
    let cpus = online_cpus() as usize;
    let mut loops = common::Killed(Vec::new());
    for i in 0..3 * cpus {
        let child = busy();
        let target = if i % 3 == 2 {
            dir.join("busy")
        } else {
            dir.clone()
        };
        std::fs::write(target.join("cgroup.procs"), child.id().to_string())
            .expect("move a busy loop into the tree");
        loops.0.push(child);
    }
    let root = format!("/{}", cg.relative.display());
    let store = tempfile::tempdir().unwrap();
    let store_dir = store.path().join("store");
    // In the guard: killed even when an assertion fails.
    loops.0.push(
        Command::new(common::binary())
            .args(["--root", &root, "record", "--interval", "0.5", "--store"])
            .arg(&store_dir)
            .stderr(Stdio::null())
            .spawn()
            .expect("start the recorder"),
    );
    let live = Command::new(common::binary())
        .args(["--root", &root, "snapshot", "--json", "--count", "12"])
        .args(["--interval", "0.2"])
        .output()
        .expect("snapshot while loaded");
    assert!(live.status.success(), "snapshot: {live:?}");
    let documents = lines_of(&live.stdout);
    assert_eq!(documents.len(), 12, "step: the live snapshot");
    let mut top = Vec::new();
    for (i, document) in documents.iter().enumerate() {
        check(document, &format!("live sample {i}"), capacity);
        top.extend(cpu_by_path(document)[&root]);
    }
    assert_eq!(
        top.len(),
        11,
        "every sample after the first has the top's rate"
    );
    // The loops show (how much of the machine they get depends on what else runs).
    assert!(
        top.iter().any(|pct| *pct > 10.0),
        "the busy tree's top: {top:?}"
    );
    let last = cpu_by_path(documents.last().unwrap());
    assert_eq!(
        last[&format!("{root}/idle/{:04}", IDLE - 1)],
        Some(0.0),
        "an idle cgroup (its counters carried from its parent's) is at 0"
    );

    // What the recorder stored gives the same guarantees.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut recorded = Vec::new();
    while Instant::now() < deadline {
        let out = Command::new(common::binary())
            .args(["--root", &root, "snapshot", "--json", "--store"])
            .arg(&store_dir)
            .args(["--from", "-10m", "--to", "now"])
            .output()
            .expect("snapshot --store");
        if out.status.success() {
            recorded = lines_of(&out.stdout);
            if recorded.len() >= 8 {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(
        recorded.len() >= 8,
        "step: waiting for 8 recorded samples, got {}",
        recorded.len()
    );
    let mut stored_rates = 0;
    for (i, document) in recorded.iter().enumerate() {
        stored_rates += check(document, &format!("recorded sample {i}"), capacity);
        for cgroup in document["cgroups"].as_array().unwrap() {
            assert!(
                cgroup.get("rates_pass_timed").is_none(),
                "a store of this version keeps read times"
            );
        }
    }
    assert!(
        stored_rates >= IDLE * 5,
        "only {stored_rates} recorded rates"
    );
}
