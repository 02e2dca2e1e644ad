//! The history store's figures, on synthetic data generated in-process:
//!
//! - size: a 2,000-cgroup tree with 50 busy cgroups (CPU, memory, IO and PSI changing every
//!   sample), 1 s interval, 10 minutes: bytes per cgroup per sample, and the ratio to the same
//!   samples as `snapshot --json` documents compressed with zstd (level 3) one by one;
//! - encode CPU per sample (the recorder's encoding and append, without fsync);
//! - seek: a store of 7 days at 5 s for 200 cgroups: time to open it and decode the sample at
//!   a random moment (`snapshot --at`), median and worst of 20.
//!
//! Run:
//!
//!     cargo bench --bench history
//!     CGTUI_BENCH_QUICK=1 cargo bench --bench history    (1 day instead of 7 for the seek)

use cgtui::cgroup::parse::{
    CgroupEvents, CgroupStat, CgroupType, CpuMax, CpuStat, DeviceId, IoDeviceStat, Limit,
    MemoryEvents, PidsEvents, Pressure, PressureLine,
};
use cgtui::cgroup::sample::{CgroupSample, DetailSample, MemorySample, PidsSample, PsiSample};
use cgtui::cgroup::{CgroupPath, Cgroupfs};
use cgtui::history::{Store, Writer};
use std::path::Path;
use std::time::{Duration, Instant};

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
    }
}

/// One second (or `secs`) of work for a busy cgroup.
fn step(s: &mut CgroupSample, rng: &mut Rng, secs: u64) {
    if let Some(cpu) = &mut s.cpu {
        let used = (rng.next() % 400_000 + 50_000) * secs;
        cpu.usage_usec += used;
        cpu.user_usec += used * 3 / 4;
        cpu.system_usec += used / 4;
    }
    if let Some(cur) = &mut s.memory.current {
        *cur = (*cur as i64 + (rng.next() % (2 << 20)) as i64 - (1 << 20)).max(1 << 20) as u64;
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
        let refs: Vec<_> = paths.iter().cloned().zip(samples.iter()).collect();
        let start = Instant::now();
        writer.append_sample(time_ms, &refs).unwrap();
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
        writer.append_sample(t0 + i * 5000, &refs).unwrap();
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
}

fn main() {
    size_and_encode();
    seek();
}
