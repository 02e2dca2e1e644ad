//! The history store's figures, on synthetic data generated in-process:
//!
//! - size: a 2,000-cgroup tree with 50 busy cgroups (CPU, memory, IO and PSI changing every
//!   sample), 1 s interval, 10 minutes: bytes per cgroup per sample, and the ratio to the same
//!   samples as `snapshot --json` documents compressed with zstd (level 3) one by one;
//! - encode CPU per sample (the recorder's encoding and append, without fsync);
//! - seek: a store of 7 days at 5 s for 200 cgroups: time to open it and decode the sample at
//!   a random moment (`snapshot --at`), median and worst of 20.
//!
//! - the recorder on real cgroupfs (as root, on a 2,000-cgroup tree made under the cgroup2
//!   mount): `cgtui record --interval 1` left running, its CPU per sample in the steady state
//!   against the floor reader doing as many refreshes (list the tree, open/read/close five
//!   files per cgroup); and its event time: a process moved into a fresh cgroup at a known
//!   moment flips `populated` in cgroup.events, and the event's recorded time is compared with
//!   the moment the write returned (the same inotify path as memory.events' OOM kills).
//!
//! Run:
//!
//!     cargo bench --bench history
//!     CGTUI_BENCH_QUICK=1 cargo bench --bench history    (1 day instead of 7 for the seek)
//!     CGTUI_BENCH_SECONDS=60 cargo bench --bench history (the recorder's run; default 30)
//!     CGTUI_BENCH_PARTS=recorder cargo bench --bench history   (some of size, seek, recorder)
//!
//! CGTUI_BENCH_BINARY runs another cgtui build as the recorder (VM scenario 08 uses the
//! guest's copy).

use cgtui::cgroup::parse::{
    CgroupEvents, CgroupStat, CgroupType, CpuMax, CpuStat, DeviceId, IoDeviceStat, Limit,
    MemoryEvents, PidsEvents, Pressure, PressureLine,
};
use cgtui::cgroup::sample::{CgroupSample, DetailSample, MemorySample, PidsSample, PsiSample};
use cgtui::cgroup::{CgroupPath, Cgroupfs};
use cgtui::history::codec::anchor_of;
use cgtui::history::{Store, Writer};
use std::path::Path;
use std::time::{Duration, Instant};

mod common;

/// A tiny deterministic generator (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn paths(n: usize) -> Vec<CgroupPath> {
    // A realistic shape: slices holding services, a few levels deep.
    (0..n)
        .map(|i| {
            let p = match i {
                0 => String::new(),
                i if i < 20 => format!("slice-{i}.slice"),
                i => format!("slice-{}.slice/svc-{i}.service", i % 19 + 1),
            };
            CgroupPath::from_relative(Path::new(&p)).unwrap()
        })
        .collect()
}

fn line(avg: f64, total: u64) -> PressureLine {
    PressureLine {
        avg10: avg,
        avg60: (avg * 0.8 * 100.0).round() / 100.0,
        avg300: (avg * 0.5 * 100.0).round() / 100.0,
        total,
    }
}

fn initial(i: usize) -> CgroupSample {
    CgroupSample {
        inode: 5000 + i as u64,
        owner_uid: 0,
        owner_gid: 0,
        events: Some(CgroupEvents {
            populated: true,
            frozen: false,
        }),
        cpu: Some(CpuStat {
            usage_usec: 1_000_000 + i as u64 * 7919,
            user_usec: 700_000,
            system_usec: 300_000,
            nr_periods: Some(0),
            nr_throttled: Some(0),
            throttled_usec: Some(0),
        }),
        memory: MemorySample {
            current: Some(10 << 20),
            swap_current: Some(0),
            max: Some(Limit::Max),
            high: Some(Limit::Max),
            low: Some(Limit::Value(0)),
            min: Some(Limit::Value(0)),
            swap_max: Some(Limit::Max),
            events: Some(MemoryEvents::default()),
            // What the recorder keeps of memory.stat (for the working set).
            stat: Some(cgtui::cgroup::parse::MemoryStat {
                inactive_file: Some(4 << 20),
                ..Default::default()
            }),
        },
        io: Some(vec![IoDeviceStat {
            device: Some(DeviceId { major: 8, minor: 0 }),
            rbytes: 4096 * i as u64,
            wbytes: 8192,
            rios: 10,
            wios: 2,
            ..IoDeviceStat::default()
        }]),
        pids: PidsSample {
            current: Some(3),
            max: Some(Limit::Max),
            events: Some(PidsEvents { max: 0 }),
        },
        psi: PsiSample {
            cpu: Some(Pressure {
                some: line(0.0, 1000),
                full: Some(line(0.0, 500)),
            }),
            memory: Some(Pressure {
                some: line(0.0, 0),
                full: Some(line(0.0, 0)),
            }),
            io: Some(Pressure {
                some: line(0.0, 20),
                full: Some(line(0.0, 10)),
            }),
        },
        nr_procs: Some(3),
        controllers: Some(["cpu", "io", "memory", "pids"].map(String::from).to_vec()),
        subtree_control: Some(Vec::new()),
        detail: Some(Box::new(DetailSample {
            cgroup_type: Some(CgroupType::Domain),
            stat: Some(CgroupStat::default()),
            max_depth: Some(Limit::Max),
            max_descendants: Some(Limit::Max),
            cpu_max: Some(CpuMax {
                quota: Limit::Max,
                period_usec: 100_000,
            }),
            cpu_weight: Some(100),
            io_max: Some(Vec::new()),
            io_weight: None,
            cpuset_cpus: None,
            cpuset_mems: None,
        })),
        unreadable: Vec::new(),
        read_at: Default::default(),
    }
}

/// One second (or `secs`) of work for a busy cgroup.
/// Read times as a pass makes them: cgroup after cgroup, about 60 µs apart, ending at the
/// sample's time, with a little jitter; a cgroup's files within microseconds of each other.
fn stamp_reads(samples: &mut [CgroupSample], anchor: u64, rng: &mut Rng) {
    let pass_ns = samples.len() as u64 * 60_000;
    for (k, s) in samples.iter_mut().enumerate() {
        let cpu = anchor - pass_ns + k as u64 * 60_000 + rng.next() % 200_000;
        s.read_at = cgtui::cgroup::sample::ReadTimes {
            cpu_stat: Some(cpu),
            io_stat: Some(cpu + 15_000),
            cpu_pressure: Some(cpu + 25_000),
            memory_pressure: Some(cpu + 35_000),
            io_pressure: Some(cpu + 45_000),
            memory_stat: None,
        };
    }
}

fn step(s: &mut CgroupSample, rng: &mut Rng, secs: u64) {
    if let Some(cpu) = &mut s.cpu {
        let used = (rng.next() % 400_000 + 50_000) * secs;
        cpu.usage_usec += used;
        cpu.user_usec += used * 3 / 4;
        cpu.system_usec += used / 4;
    }
    if let Some(cur) = &mut s.memory.current {
        *cur = (*cur as i64 + (rng.next() % (2 << 20)) as i64 - (1 << 20)).max(1 << 20) as u64;
        if let Some(stat) = &mut s.memory.stat {
            stat.inactive_file = Some(*cur / 3 + (rng.next() % 64) * 4096);
        }
    }
    if let Some(io) = &mut s.io {
        io[0].rbytes += rng.next() % (1 << 20);
        io[0].wbytes += rng.next() % (1 << 19);
        io[0].rios += rng.next() % 64;
        io[0].wios += rng.next() % 32;
    }
    for p in [&mut s.psi.cpu, &mut s.psi.memory, &mut s.psi.io]
        .into_iter()
        .flatten()
    {
        let avg = (rng.next() % 2000) as f64 / 100.0;
        p.some = line(avg, p.some.total + rng.next() % 100_000);
        if let Some(full) = &mut p.full {
            *full = line(avg / 2.0, full.total + rng.next() % 50_000);
        }
    }
    s.pids.current = Some(3 + rng.next() % 5);
    s.nr_procs = s.pids.current.map(|n| n as usize);
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.metadata().unwrap().len())
        .sum()
}

fn size_and_encode() {
    const CGROUPS: usize = 2000;
    const BUSY: usize = 50;
    const SAMPLES: usize = 600;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let mut writer = Writer::open(&dir).unwrap();
    writer.sync = false;
    let paths = paths(CGROUPS);
    let mut samples: Vec<CgroupSample> = (0..CGROUPS).map(initial).collect();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let fixture = Cgroupfs::fixture(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/cgroupv2/tests/fixtures/debian12"),
    )
    .unwrap();
    let base = CgroupPath::root();
    let mut model = cgtui::model::Model::new(base.clone(), fixture.devices());
    let mut devices = fixture.devices();
    let shape = cgtui::snapshot::Shape {
        fs: &fixture,
        base: &base,
        json: true,
        selection: None,
    };
    let mut json_zstd = 0usize;
    let mut json_raw = 0usize;
    let mut encode = Duration::ZERO;
    let t0 = 1_764_000_000_000i64;
    let origin = Instant::now();
    for i in 0..SAMPLES {
        // The busy ones are spread over the tree.
        for b in 0..BUSY {
            step(&mut samples[b * (CGROUPS / BUSY) + 1], &mut rng, 1);
        }
        let time_ms = t0 + i as i64 * 1000;
        stamp_reads(&mut samples, anchor_of(time_ms), &mut rng);
        let refs: Vec<_> = paths.iter().cloned().zip(samples.iter()).collect();
        let start = Instant::now();
        writer
            .append_sample(time_ms, anchor_of(time_ms), &refs)
            .unwrap();
        encode += start.elapsed();
        // The same sample as `snapshot --json` prints it, compressed on its own.
        let at = origin + Duration::from_secs(i as u64);
        model.apply_tree(cgtui::model::TreeSample {
            started: at,
            finished: at,
            complete: true,
            cgroups: paths
                .iter()
                .cloned()
                .zip(samples.iter().map(|s| Some(Box::new(s.clone()))))
                .collect(),
        });
        let mut doc = Vec::new();
        cgtui::snapshot::write_iteration(
            &mut doc,
            &model,
            &mut devices,
            &mut cgtui::snapshot::Names::new(None),
            &shape,
            i as u64 + 1,
            time_ms as f64 / 1000.0,
            Some(1.0),
        )
        .unwrap();
        json_raw += doc.len();
        json_zstd += zstd::bulk::compress(&doc, 3).unwrap().len();
    }
    writer.flush();
    let bytes = dir_size(&dir);
    let per = bytes as f64 / (CGROUPS * SAMPLES) as f64;
    println!(
        "size: {CGROUPS} cgroups ({BUSY} busy), {SAMPLES} samples at 1 s: store {} KiB = {per:.2} bytes/cgroup/sample (target <= 16)",
        bytes / 1024
    );
    println!(
        "size: snapshot --json of the same samples: {} MiB raw, {} KiB zstd-compressed per document = {:.1} bytes/cgroup/sample; the store is {:.1}x smaller",
        json_raw >> 20,
        json_zstd / 1024,
        json_zstd as f64 / (CGROUPS * SAMPLES) as f64,
        json_zstd as f64 / bytes as f64
    );
    println!(
        "encode: {:.2} ms CPU per sample of {CGROUPS} cgroups (encode + compress + append, no fsync)",
        encode.as_secs_f64() * 1000.0 / SAMPLES as f64
    );
}

fn seek() {
    const CGROUPS: usize = 200;
    let days: i64 = if std::env::var_os("CGTUI_BENCH_QUICK").is_some() {
        1
    } else {
        7
    };
    let samples = days * 86_400 / 5;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let mut writer = Writer::open(&dir).unwrap();
    writer.sync = false;
    let paths = paths(CGROUPS);
    let mut state: Vec<CgroupSample> = (0..CGROUPS).map(initial).collect();
    let mut rng = Rng(7);
    let t0 = 1_764_000_000_000i64;
    let start = Instant::now();
    for i in 0..samples {
        for b in 0..10 {
            step(&mut state[b * 20 + 1], &mut rng, 5);
        }
        let refs: Vec<_> = paths.iter().cloned().zip(state.iter()).collect();
        writer
            .append_sample(t0 + i * 5000, anchor_of(t0 + i * 5000), &refs)
            .unwrap();
    }
    writer.flush();
    drop(writer);
    println!(
        "seek: wrote {days} days at 5 s for {CGROUPS} cgroups ({samples} samples, {} MiB) in {:.1} s",
        dir_size(&dir) >> 20,
        start.elapsed().as_secs_f64()
    );
    let mut times = Vec::new();
    for _ in 0..20 {
        let target = t0 + (rng.next() % samples as u64) as i64 * 5000 + 2500;
        let start = Instant::now();
        let mut store = Store::open(&dir).unwrap();
        let pair = store.at(target).unwrap().expect("a sample");
        times.push(start.elapsed());
        assert_eq!(pair.current.cgroups.len(), CGROUPS);
        assert!(pair.previous.is_some());
    }
    times.sort();
    println!(
        "seek: open the store and decode the sample at a random moment (with the one before, for rates): median {:.1} ms, worst {:.1} ms (target < 50 ms)",
        times[times.len() / 2].as_secs_f64() * 1000.0,
        times[times.len() - 1].as_secs_f64() * 1000.0
    );
    // As a user runs it: the binary, started, printing one moment's JSON.
    let binary = std::env::var_os("CGTUI_BENCH_BINARY")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_cgtui").into());
    let mut runs = Vec::new();
    for _ in 0..10 {
        let target = t0 + (rng.next() % samples as u64) as i64 * 5000 + 2500;
        let at = format!("@{}.{:03}", target / 1000, target % 1000);
        let start = Instant::now();
        let out = std::process::Command::new(&binary)
            .args(["snapshot", "--store"])
            .arg(&dir)
            .args(["--at", &at, "--json"])
            .env("XDG_STATE_HOME", tmp.path())
            .output()
            .expect("run cgtui snapshot --store --at");
        runs.push(start.elapsed());
        assert!(
            out.status.success(),
            "snapshot --at {at}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    runs.sort();
    println!(
        "seek: `cgtui snapshot --store DIR --at TIME --json` (the process, start to exit): median {:.1} ms, worst {:.1} ms of 10 (target < 100 ms)",
        runs[runs.len() / 2].as_secs_f64() * 1000.0,
        runs[runs.len() - 1].as_secs_f64() * 1000.0
    );
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Samples recorded in `from..=to`.
fn samples_between(store: &mut Store, from: i64, to: i64) -> u64 {
    let mut count = 0;
    let mut at = from - 1;
    while let Some(t) = store.sample_after(at) {
        if t > to {
            break;
        }
        count += 1;
        at = t;
    }
    count
}

/// Waits up to `limit` for `check`, polling; false if it never held.
fn poll(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn recorder() {
    let fs = match Cgroupfs::system() {
        Ok(fs) => fs,
        Err(e) => {
            println!("recorder: skipped: {e}");
            return;
        }
    };
    let tree = match common::BenchTree::create(fs.mount_point(), "history", 2000) {
        Ok(tree) => tree,
        Err(e) => {
            println!(
                "recorder: skipped: cannot create cgroups under {}: {e}",
                fs.mount_point().display()
            );
            return;
        }
    };
    let seconds: u64 = common::env_number("CGTUI_BENCH_SECONDS", 30);
    let tmp = tempfile::tempdir().unwrap();
    let store_dir = tmp.path().join("store");
    let binary = std::env::var_os("CGTUI_BENCH_BINARY")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_cgtui").into());
    let mut child = std::process::Command::new(binary)
        .args(["record", "--interval", "1", "--store"])
        .arg(&store_dir)
        .arg("--root")
        .arg(&tree.dir)
        .env("XDG_STATE_HOME", tmp.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn cgtui record");
    let pid = child.id();
    let first = poll(Duration::from_secs(120), || {
        Store::open(&store_dir).is_ok_and(|mut s| s.span().is_some())
    });
    if !first {
        let _ = child.kill();
        let _ = child.wait();
        println!("recorder: no sample within 120 s");
        return;
    }
    // The steady state: from the first sample on (the start watched and listed the tree).
    let (cpu0, t0) = (common::process_cpu(pid), now_ms());
    std::thread::sleep(Duration::from_secs(seconds));
    let (cpu1, t1) = (common::process_cpu(pid), now_ms());

    // Event time: move a sleeper into a fresh cgroup, stamp the moment the write returned.
    let mut latencies = Vec::new();
    for trial in 0..10 {
        let dir = tree.dir.join(format!("event-{trial}"));
        std::fs::create_dir(&dir).unwrap();
        let mut sleeper = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        // Let the recorder watch the new cgroup first (its creation is an event too).
        std::thread::sleep(Duration::from_millis(300));
        std::fs::write(dir.join("cgroup.procs"), sleeper.id().to_string()).unwrap();
        let written = now_ms();
        let suffix = format!("/event-{trial}");
        let mut recorded = None;
        poll(Duration::from_secs(30), || {
            let Ok(mut store) = Store::open(&store_dir) else {
                return false;
            };
            recorded = store
                .events(written - 5000, i64::MAX)
                .into_iter()
                .find(|(_, e)| e.kind == "populated" && e.cgroup.ends_with(&suffix))
                .map(|(t, _)| t);
            recorded.is_some()
        });
        let _ = sleeper.kill();
        let _ = sleeper.wait();
        if let Some(t) = recorded {
            latencies.push(t - written);
        }
        let _ = std::fs::remove_dir(&dir);
    }
    let _ = child.kill();
    let _ = child.wait();

    let mut store = Store::open(&store_dir).unwrap();
    let samples = samples_between(&mut store, t0, t1).max(1);
    let floor = {
        let start = common::thread_cpu();
        for _ in 0..samples {
            common::floor_refresh(&tree.dir);
        }
        common::thread_cpu() - start
    };
    let per_sample = (cpu1 - cpu0).as_secs_f64() / samples as f64;
    let floor_per = floor.as_secs_f64() / samples as f64;
    println!(
        "recorder: 2,000 cgroups at 1 s for {seconds} s: {samples} samples, {:.2} ms CPU per \
         sample; the floor {:.2} ms per refresh: {:.2}x (target <= 0.5x)",
        per_sample * 1e3,
        floor_per * 1e3,
        per_sample / floor_per
    );
    latencies.sort();
    match (latencies.first(), latencies.last()) {
        (Some(best), Some(worst)) => println!(
            "recorder: event time (populated, by inotify), recorded minus the write's return, \
             {} trials: median {} ms, worst {} ms, best {} ms (target: within 50 ms)",
            latencies.len(),
            latencies[latencies.len() / 2],
            worst,
            best
        ),
        _ => println!("recorder: no populated event was recorded in 10 trials"),
    }
}

fn main() {
    let parts: Vec<String> = common::env_list(
        "CGTUI_BENCH_PARTS",
        &["size".into(), "seek".into(), "recorder".into()],
    );
    let wants = |part: &str| parts.iter().any(|p| p == part);
    if wants("size") {
        size_and_encode();
    }
    if wants("seek") {
        seek();
    }
    if wants("recorder") {
        recorder();
    }
}
