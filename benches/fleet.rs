//! The TUI over Prometheus at scale (issue 28 item 4): one Prometheus holding 10 instances of
//! 2,000 cgroups each. How long the instance picker takes to appear (its four summary queries:
//! target ≤ 2 s) and the CPU time cgtui spends on one refresh of a tree (the two queries, the
//! answer parsed into samples, the model with its rates: target ≤ 0.3 s). Figures are printed,
//! not asserted.
//!
//!     cargo bench --bench fleet
//!     CGTUI_BENCH_INSTANCES=10 CGTUI_BENCH_CGROUPS=2000 CGTUI_BENCH_RUNS=5 cargo bench --bench fleet
//!
//! Rather than 10 exporters scraped for minutes, it writes what they would have sent as
//! OpenMetrics text (4 scrapes 30 s apart, the newest a few seconds ago), turns it into TSDB
//! blocks with `promtool tsdb create-blocks-from openmetrics`, and starts Prometheus (Debian's
//! package: `prometheus`, `promtool` on PATH or in /opt/cgtui-ci/prometheus/usr/bin; or
//! `PROMETHEUS`, `PROMTOOL`) on those blocks, on loopback. Without them it says so and stops.

mod common;

use cgtui::cgroup::CgroupPath;
use cgtui::fleet::{self, Subtree, client::Prometheus};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Scrapes written per instance, and their spacing.
const SCRAPES: i64 = 4;
const SPACING_S: i64 = 30;

fn program(name: &str, env: &str) -> Option<PathBuf> {
    let candidates = std::env::var_os(env).map(PathBuf::from).into_iter().chain([
        PathBuf::from(format!("/usr/bin/{name}")),
        PathBuf::from(format!("/opt/cgtui-ci/prometheus/usr/bin/{name}")),
    ]);
    candidates.into_iter().find(|p| p.is_file())
}

/// The cgroups of one instance: the root, 20 slices, services below them.
fn cgroup_paths(count: usize) -> Vec<String> {
    let mut paths = vec!["/".to_string()];
    let slices = 20.min(count.saturating_sub(1)).max(1);
    for s in 0..slices {
        paths.push(format!("/s{s:02}.slice"));
    }
    let mut n = 0;
    while paths.len() < count {
        paths.push(format!("/s{:02}.slice/u{n:05}.service", n % slices));
        n += 1;
    }
    paths.truncate(count.max(1));
    paths
}

/// A family: its OpenMetrics type and name, the sample's name, extra labels, and the value of
/// cgroup `c` at scrape `k`.
struct Family {
    kind: &'static str,
    family: &'static str,
    sample: &'static str,
    labels: &'static str,
    value: fn(usize, i64) -> f64,
}

fn families() -> Vec<Family> {
    let f = |kind, family, sample, labels, value| Family {
        kind,
        family,
        sample,
        labels,
        value,
    };
    vec![
        f(
            "counter",
            "cgroup_cpu_usage_seconds",
            "cgroup_cpu_usage_seconds_total",
            "",
            |c, k| (c as f64 + 1.0) * 10.0 + k as f64 * 0.3,
        ),
        f(
            "counter",
            "cgroup_cpu_user_seconds",
            "cgroup_cpu_user_seconds_total",
            "",
            |c, k| (c as f64 + 1.0) * 6.0 + k as f64 * 0.2,
        ),
        f(
            "counter",
            "cgroup_cpu_system_seconds",
            "cgroup_cpu_system_seconds_total",
            "",
            |c, k| (c as f64 + 1.0) * 4.0 + k as f64 * 0.1,
        ),
        f(
            "gauge",
            "cgroup_memory_usage_bytes",
            "cgroup_memory_usage_bytes",
            "",
            |c, k| ((c % 97 + 1) * 1_048_576) as f64 + k as f64 * 4096.0,
        ),
        f(
            "gauge",
            "cgroup_memory_max_bytes",
            "cgroup_memory_max_bytes",
            "",
            |c, _| {
                if c % 3 == 0 {
                    f64::INFINITY
                } else {
                    (512 << 20) as f64
                }
            },
        ),
        f(
            "gauge",
            "cgroup_memory_high_bytes",
            "cgroup_memory_high_bytes",
            "",
            |_, _| f64::INFINITY,
        ),
        f(
            "counter",
            "cgroup_memory_events",
            "cgroup_memory_events_total",
            ",event=\"oom_kill\"",
            |c, k| if c % 500 == 7 { k as f64 } else { 0.0 },
        ),
        f(
            "counter",
            "cgroup_memory_events",
            "cgroup_memory_events_total",
            ",event=\"max\"",
            |c, k| (c % 5) as f64 * k as f64,
        ),
        f(
            "counter",
            "cgroup_io_read_bytes",
            "cgroup_io_read_bytes_total",
            ",device=\"8:0\",device_name=\"sda\"",
            |c, k| (c * 4096) as f64 + k as f64 * 8192.0,
        ),
        f(
            "counter",
            "cgroup_io_written_bytes",
            "cgroup_io_written_bytes_total",
            ",device=\"8:0\",device_name=\"sda\"",
            |c, k| (c * 8192) as f64 + k as f64 * 4096.0,
        ),
        f(
            "gauge",
            "cgroup_pids_current",
            "cgroup_pids_current",
            "",
            |c, _| (c % 13 + 1) as f64,
        ),
        f("gauge", "cgroup_pids_max", "cgroup_pids_max", "", |_, _| {
            f64::INFINITY
        }),
        f(
            "counter",
            "cgroup_pressure_cpu_waiting_seconds",
            "cgroup_pressure_cpu_waiting_seconds_total",
            "",
            |c, k| c as f64 * 0.01 + k as f64 * 0.05,
        ),
        f(
            "counter",
            "cgroup_pressure_memory_waiting_seconds",
            "cgroup_pressure_memory_waiting_seconds_total",
            "",
            |c, k| c as f64 * 0.001 + k as f64 * 0.01,
        ),
        f(
            "counter",
            "cgroup_pressure_memory_stalled_seconds",
            "cgroup_pressure_memory_stalled_seconds_total",
            "",
            |c, k| c as f64 * 0.0005 + k as f64 * 0.005,
        ),
        f(
            "counter",
            "cgroup_pressure_io_waiting_seconds",
            "cgroup_pressure_io_waiting_seconds_total",
            "",
            |c, k| c as f64 * 0.002 + k as f64 * 0.02,
        ),
        f(
            "counter",
            "cgroup_pressure_io_stalled_seconds",
            "cgroup_pressure_io_stalled_seconds_total",
            "",
            |c, k| c as f64 * 0.001 + k as f64 * 0.01,
        ),
        f(
            "gauge",
            "cgroup_populated",
            "cgroup_populated",
            "",
            |_, _| 1.0,
        ),
        f(
            "gauge",
            "cgroup_descendants",
            "cgroup_descendants",
            "",
            |c, _| if c == 0 { 1.0 } else { 0.0 },
        ),
    ]
}

fn number(v: f64) -> String {
    if v.is_infinite() {
        "+Inf".into()
    } else {
        format!("{v}")
    }
}

/// What `instances` exporters of `cgroups` cgroups each would have sent over the last two
/// minutes, as one OpenMetrics file (families contiguous, each series in time order).
fn write_openmetrics(path: &Path, instances: usize, cgroups: usize, newest_s: i64) -> u64 {
    let file = std::fs::File::create(path).expect("create the OpenMetrics file");
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let paths = cgroup_paths(cgroups);
    let times: Vec<i64> = (0..SCRAPES)
        .map(|k| newest_s - (SCRAPES - 1 - k) * SPACING_S)
        .collect();
    let instance = |i: usize| format!("host-{i:02}:9659");
    writeln!(out, "# TYPE cgtui_export_cgroups gauge").unwrap();
    for i in 0..instances {
        for t in &times {
            writeln!(
                out,
                "cgtui_export_cgroups{{instance=\"{}\",job=\"cgtui\"}} {} {t}",
                instance(i),
                paths.len()
            )
            .unwrap();
        }
    }
    let mut declared = std::collections::HashSet::new();
    for family in families() {
        // Two label sets of one family (memory events) share its TYPE line.
        if declared.insert(family.family) {
            writeln!(out, "# TYPE {} {}", family.family, family.kind).unwrap();
        }
        for i in 0..instances {
            let host = instance(i);
            for (c, cgroup) in paths.iter().enumerate() {
                for (k, t) in times.iter().enumerate() {
                    writeln!(
                        out,
                        "{}{{instance=\"{host}\",job=\"cgtui\",cgroup=\"{cgroup}\"{}}} {} {t}",
                        family.sample,
                        family.labels,
                        number((family.value)(c, k as i64))
                    )
                    .unwrap();
                }
            }
        }
    }
    writeln!(out, "# EOF").unwrap();
    out.flush().unwrap();
    std::fs::metadata(path).map_or(0, |m| m.len())
}

struct Stopped(Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a port on loopback")
        .port()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let (Some(prometheus), Some(promtool)) = (
        program("prometheus", "PROMETHEUS"),
        program("promtool", "PROMTOOL"),
    ) else {
        println!("fleet: skipped: no prometheus and promtool (Debian's prometheus package)");
        return;
    };
    let instances: usize = common::env_number("CGTUI_BENCH_INSTANCES", 10);
    let cgroups: usize = common::env_number("CGTUI_BENCH_CGROUPS", 2000);
    let runs: usize = common::env_number("CGTUI_BENCH_RUNS", 5);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let text = dir.path().join("fleet.om");
    let data = dir.path().join("data");

    let started = Instant::now();
    let newest_s = cgtui::time::now_ms() / 1000 - 5;
    let size = write_openmetrics(&text, instances, cgroups, newest_s);
    println!(
        "fleet: {instances} instances × {cgroups} cgroups × {SCRAPES} scrapes: {:.0} MiB of \
         OpenMetrics written in {:.1} s",
        size as f64 / (1 << 20) as f64,
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let status = Command::new(&promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&text)
        .arg(&data)
        .stdout(Stdio::null())
        .status()
        .expect("run promtool");
    assert!(
        status.success(),
        "promtool tsdb create-blocks-from openmetrics failed"
    );
    let _ = std::fs::remove_file(&text);
    println!(
        "fleet: promtool made the blocks in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let port = free_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, "global:\n  scrape_interval: 15s\n").unwrap();
    let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
    let _server = Stopped(
        Command::new(&prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start prometheus"),
    );
    let url = format!("http://127.0.0.1:{port}");
    let client = Prometheus::new(&url, None).unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    // Ready once the blocks are loaded: every instance is listed.
    loop {
        match fleet::instances(&client, None) {
            Ok(list) if list.len() == instances => break,
            Ok(_) | Err(_) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(500))
            }
            Ok(list) => panic!("Prometheus lists {} instances, not {instances}", list.len()),
            Err(e) => panic!(
                "Prometheus never answered: {e:#}; its log: {}",
                std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default()
            ),
        }
    }
    let age = cgtui::time::now_ms() / 1000 - newest_s;
    println!("fleet: Prometheus ready at {url}; the newest scrape is {age} s old");

    // The picker appears once its four summary queries are answered.
    let picker: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let list = fleet::instances(&client, None).expect("the instances");
            assert_eq!(list.len(), instances);
            start.elapsed()
        })
        .collect();
    let picker_cpu = common::measure_cpu(runs, || {
        std::hint::black_box(fleet::instances(&client, None).expect("the instances"));
    });
    println!(
        "fleet: the instance picker's queries: {} wall (median of {runs}; target ≤ 2 s), {} of \
         cgtui's CPU",
        ms(common::median(picker)),
        ms(picker_cpu)
    );
    // The whole command, process start included.
    let binary = env!("CARGO_BIN_EXE_cgtui");
    let start = Instant::now();
    let listed = Command::new(binary)
        .args(["snapshot", "--prometheus", &url, "--list-instances"])
        .output()
        .expect("run cgtui");
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    println!(
        "fleet: `cgtui snapshot --prometheus URL --list-instances`: {} wall",
        ms(start.elapsed())
    );

    // One refresh of one instance's whole tree: the queries, the samples, the model.
    let subtree = Subtree {
        prefix: CgroupPath::root(),
        max_depth: None,
    };
    let mut shown = 0;
    let mut walls = Vec::new();
    let refresh_cpu = common::measure_cpu(runs, || {
        let start = Instant::now();
        let fleet::Fetched { pair, .. } =
            fleet::fetch(&client, "host-00:9659", &subtree, None).expect("one instance's tree");
        let model = fleet::model_of(&pair, &subtree.prefix);
        shown = model.len();
        walls.push(start.elapsed());
    });
    println!(
        "fleet: one tree refresh ({shown} cgroups): {} of cgtui's CPU (median of {runs}; target \
         ≤ 0.3 s), {} wall",
        ms(refresh_cpu),
        ms(common::median(walls))
    );
}
