//! History: the store's format (round trip, damage, version), the recorder against the real
//! cgroupfs, SIGKILL at random moments, and the reading commands.

mod common;

use cgtui::cgroup::CgroupPath;
use cgtui::cgroup::parse::{CgroupEvents, CpuStat, Limit};
use cgtui::cgroup::sample::CgroupSample;
use cgtui::history::codec::anchor_of;
use cgtui::history::{HistoryEvent, Store, Writer};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn path(p: &str) -> CgroupPath {
    CgroupPath::from_relative(Path::new(p)).unwrap()
}

/// A tree of `n` cgroups at sample `i`: cgroup 0 and 3 busy, the rest idle.
fn tree(n: usize, i: u64) -> Vec<(CgroupPath, CgroupSample)> {
    (0..n)
        .map(|c| {
            let busy = c % 3 == 0;
            let sample = CgroupSample {
                inode: 1000 + c as u64,
                events: Some(CgroupEvents {
                    populated: busy,
                    frozen: false,
                }),
                cpu: Some(CpuStat {
                    usage_usec: if busy { i * 1000 } else { 5 },
                    user_usec: 3,
                    system_usec: 2,
                    ..CpuStat::default()
                }),
                memory: cgtui::cgroup::sample::MemorySample {
                    current: Some(4096 * (1 + if busy { i } else { 0 })),
                    max: Some(Limit::Max),
                    ..Default::default()
                },
                ..CgroupSample::default()
            };
            let name = if c == 0 {
                String::new()
            } else {
                format!("g{c}")
            };
            (path(&name), sample)
        })
        .collect()
}

fn write_samples(writer: &mut Writer, start_ms: i64, count: u64, step_ms: i64) {
    for i in 0..count {
        let t = tree(10, i);
        let refs: Vec<_> = t.iter().map(|(p, s)| (p.clone(), s)).collect();
        writer
            .append_sample(
                start_ms + i as i64 * step_ms,
                anchor_of(start_ms + i as i64 * step_ms),
                &refs,
            )
            .unwrap();
    }
}

const T0: i64 = 1_764_000_000_000;

fn new_writer(dir: &Path) -> Writer {
    let mut w = Writer::open(dir).unwrap();
    w.key_every = 7;
    w.sync = false;
    w
}

#[test]
fn samples_and_events_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let mut w = new_writer(&dir);
    write_samples(&mut w, T0, 30, 1000);
    let mut e = HistoryEvent::new("oom_kill", &path("g3"));
    e.total = Some(2);
    e.increase = Some(1);
    w.append_event(T0 + 12_345, &e).unwrap();
    drop(w);

    let mut store = Store::open(&dir).unwrap();
    let pair = store.at(T0 + 10_500).unwrap().unwrap();
    assert_eq!(pair.current.time_ms, T0 + 10_000);
    assert_eq!(pair.previous.as_ref().unwrap().time_ms, T0 + 9_000);
    let want = tree(10, 10);
    let mut want_sorted = want.clone();
    want_sorted.sort_by(|a, b| a.0.as_path().cmp(b.0.as_path()));
    assert_eq!(pair.current.cgroups, want_sorted);
    // Every sample, in order, each the one written.
    let mut seen = Vec::new();
    store
        .range(T0, T0 + 100_000, &mut |pair| {
            let i = (pair.current.time_ms - T0) / 1000;
            let mut want = tree(10, i as u64);
            want.sort_by(|a, b| a.0.as_path().cmp(b.0.as_path()));
            assert_eq!(pair.current.cgroups, want, "sample {i}");
            seen.push(i);
            Ok(())
        })
        .unwrap();
    assert_eq!(seen, (0..30).collect::<Vec<_>>());
    assert!(store.at(T0 - 1).unwrap().is_none());
    // Every moment: on a key frame (every 7th), just after it, and between samples, the pair
    // is the sample at or before it and the one before that (the seek starts one key earlier
    // only when the sample is a key frame).
    for i in 0..30i64 {
        for offset in [0, 1, 999] {
            let pair = store.at(T0 + i * 1000 + offset).unwrap().unwrap();
            assert_eq!(
                pair.current.time_ms,
                T0 + i * 1000,
                "at sample {i} + {offset} ms"
            );
            let mut want = tree(10, i as u64);
            want.sort_by(|a, b| a.0.as_path().cmp(b.0.as_path()));
            assert_eq!(pair.current.cgroups, want, "sample {i}");
            let previous = pair.previous.as_ref().map(|p| p.time_ms);
            assert_eq!(
                previous,
                (i > 0).then(|| T0 + (i - 1) * 1000),
                "the sample before {i}"
            );
        }
    }
    assert_eq!(store.sample_after(T0 + 10_000), Some(T0 + 11_000));
    assert_eq!(store.sample_before(T0 + 10_000), Some(T0 + 9_000));
    let events = store.events(T0, T0 + 100_000);
    assert_eq!(events, vec![(T0 + 12_345, e)]);
    assert!(store.take_problems().is_empty());
}

#[test]
fn a_recreated_cgroup_is_a_new_series() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let mut w = new_writer(&dir);
    let mut t = tree(3, 0);
    let refs: Vec<_> = t.iter().map(|(p, s)| (p.clone(), s)).collect();
    w.append_sample(T0, anchor_of(T0), &refs).unwrap();
    t[1].1.inode = 99_999;
    let refs: Vec<_> = t.iter().map(|(p, s)| (p.clone(), s)).collect();
    w.append_sample(T0 + 1000, anchor_of(T0 + 1000), &refs)
        .unwrap();
    drop(w);
    let mut store = Store::open(&dir).unwrap();
    let now = store.at(T0 + 1000).unwrap().unwrap();
    assert_eq!(now.current.cgroups[1].1.inode, 99_999);
    assert_eq!(now.previous.unwrap().cgroups[1].1.inode, 1001);
}

fn segment_of(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "cgtui"))
        .expect("a segment")
}

#[test]
fn a_newer_format_is_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let mut w = new_writer(&dir);
    write_samples(&mut w, T0, 3, 1000);
    drop(w);
    let segment = segment_of(&dir);
    let mut bytes = std::fs::read(&segment).unwrap();
    let newer = cgtui::history::frame::FORMAT_VERSION + 1;
    bytes[8..12].copy_from_slice(&newer.to_le_bytes());
    std::fs::write(&segment, bytes).unwrap();
    let err = format!("{:#}", Store::open(&dir).err().expect("refused"));
    assert!(
        err.contains(&format!("format version {newer}")) && err.contains("newer cgtui"),
        "{err}"
    );
    let err = format!("{:#}", Writer::open(&dir).err().expect("refused"));
    assert!(err.contains("newer cgtui"), "{err}");
}

/// A segment as an older cgtui wrote it: every path in full in each key frame (and in delta
/// frames for new series); samples of format 1 end before their read times, those of format 2
/// before memory.stat's inactive_file.
fn write_old_segment(dir: &Path, version: u32, samples: &[(i64, Vec<(CgroupPath, CgroupSample)>)]) {
    use cgtui::history::codec::sample_words;
    use cgtui::history::frame::{self, Kind, Series, State};
    std::fs::create_dir_all(dir).unwrap();
    let day = samples[0].0.div_euclid(86_400_000);
    let mut bytes = frame::header(day);
    bytes[8..12].copy_from_slice(&version.to_le_bytes());
    let cut = if version == 1 { 7 } else { 2 };
    let mut before: Option<State> = None;
    for (time_ms, cgroups) in samples {
        let state: State = cgroups
            .iter()
            .enumerate()
            .map(|(id, (path, sample))| {
                let mut words = sample_words(sample, anchor_of(*time_ms));
                words.truncate(words.len() - cut);
                let series = Series {
                    path: path.clone(),
                    inode: sample.inode,
                    words,
                };
                (id as u64 + 1, series)
            })
            .collect();
        bytes.extend(match &before {
            None => frame::encode_frame(Kind::Key, *time_ms, &frame::encode_key(&state)),
            Some(old) => {
                frame::encode_frame(Kind::Delta, *time_ms, &frame::encode_delta(old, &state))
            }
        });
        before = Some(state);
    }
    let name = format!("{}.cgtui", cgtui::history::store::day_name(day));
    std::fs::write(dir.join(name), bytes).unwrap();
}

#[test]
fn a_format_1_store_still_reads_its_rates_are_pass_timed_and_the_recorder_upgrades_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let cgroup = |usage: u64| {
        let mut s = recorded_sample(7, 1 << 20);
        s.cpu = Some(
            cgtui::cgroup::parse::cpu_stat(&format!(
                "usage_usec {usage}\nuser_usec 0\nsystem_usec 0\n"
            ))
            .unwrap(),
        );
        vec![(CgroupPath::root(), s)]
    };
    write_old_segment(&dir, 1, &[(T0, cgroup(0)), (T0 + 2000, cgroup(1_000_000))]);
    let mut store = Store::open(&dir).unwrap();
    let pair = store.at(T0 + 2000).unwrap().expect("the second sample");
    assert_eq!(store.take_problems(), Vec::<String>::new());
    let current = &pair.current.cgroups[0].1;
    assert_eq!(
        current.read_at,
        Default::default(),
        "format 1 kept no read times"
    );
    let fs = cgtui::cgroup::Cgroupfs::fixture(&common::fixture()).unwrap();
    let model = cgtui::history::model_of(&pair, &fs, &CgroupPath::root());
    let root = model.get(&CgroupPath::root()).unwrap();
    assert_eq!(
        root.rates().cpu_pct,
        Some(50.0),
        "1 CPU-second over the 2 s between samples"
    );
    assert!(root.rates().pass_timed);

    // The recorder appends in format 3: the header says so (an older cgtui refuses the file
    // clearly), and both kinds of samples read.
    let mut w = Writer::open(&dir).unwrap();
    assert!(
        w.notes
            .iter()
            .any(|n| n.contains("format version 3 (was 1)")),
        "{:?}",
        w.notes
    );
    let mut later = cgroup(2_000_000).remove(0);
    later.1.read_at.cpu_stat = Some(anchor_of(T0 + 4000) - 1_000_000);
    w.append_sample(
        T0 + 4000,
        anchor_of(T0 + 4000),
        &[(later.0.clone(), &later.1)],
    )
    .unwrap();
    drop(w);
    let segment = segment_of(&dir);
    let bytes = std::fs::read(&segment).unwrap();
    assert_eq!(&bytes[8..12], &3u32.to_le_bytes());
    let mut store = Store::open(&dir).unwrap();
    let pair = store.at(T0 + 4000).unwrap().expect("the appended sample");
    assert_eq!(
        pair.current.cgroups[0].1.read_at.cpu_stat,
        Some(anchor_of(T0 + 4000) - 1_000_000)
    );
    assert!(pair.previous.is_some());
}

/// A day of format 2 (paths in full, read times, no inactive_file) reads; the recorder goes
/// on in the same file in format 3 (a path table, inactive_file), and a reader reads both,
/// its series the same across the change.
#[test]
fn a_format_2_store_still_reads_and_the_recorder_goes_on_in_format_3() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let cgroups = |usage: u64| {
        let mut s = recorded_sample(7, 1 << 20);
        s.cpu = Some(
            cgtui::cgroup::parse::cpu_stat(&format!(
                "usage_usec {usage}\nuser_usec 0\nsystem_usec 0\nnr_periods 4\nnr_throttled 2\n\
                 throttled_usec 900\n"
            ))
            .unwrap(),
        );
        s.read_at.cpu_stat = Some(anchor_of(T0) - 1_000_000);
        s.memory.stat = Some(cgtui::cgroup::parse::MemoryStat {
            inactive_file: Some(4096),
            ..Default::default()
        });
        vec![(path("a/b"), s.clone()), (path("a/b/c"), s)]
    };
    write_old_segment(
        &dir,
        2,
        &[(T0, cgroups(0)), (T0 + 2000, cgroups(1_000_000))],
    );
    let mut store = Store::open(&dir).unwrap();
    let pair = store.at(T0 + 2000).unwrap().expect("the second sample");
    assert_eq!(store.take_problems(), Vec::<String>::new());
    let (p, old) = &pair.current.cgroups[1];
    assert_eq!(*p, path("a/b/c"));
    assert_eq!(old.cpu.unwrap().nr_throttled, Some(2));
    assert!(old.read_at.cpu_stat.is_some(), "format 2 kept read times");
    assert_eq!(old.memory.stat, None, "format 2 kept no inactive_file");

    let mut w = Writer::open(&dir).unwrap();
    assert!(
        w.notes
            .iter()
            .any(|n| n.contains("format version 3 (was 2)")),
        "{:?}",
        w.notes
    );
    let later = cgroups(2_000_000);
    let refs: Vec<(CgroupPath, &CgroupSample)> =
        later.iter().map(|(p, s)| (p.clone(), s)).collect();
    w.append_sample(T0 + 4000, anchor_of(T0 + 4000), &refs)
        .unwrap();
    drop(w);
    let bytes = std::fs::read(segment_of(&dir)).unwrap();
    assert_eq!(&bytes[8..12], &3u32.to_le_bytes());
    let mut store = Store::open(&dir).unwrap();
    let pair = store.at(T0 + 4000).unwrap().expect("the appended sample");
    assert_eq!(store.take_problems(), Vec::<String>::new());
    let paths: Vec<&CgroupPath> = pair.current.cgroups.iter().map(|(p, _)| p).collect();
    assert_eq!(paths, [&path("a/b"), &path("a/b/c")]);
    let now = &pair.current.cgroups[1].1;
    assert_eq!(now.memory.stat.and_then(|s| s.inactive_file), Some(4096));
    assert_eq!(now.cpu.unwrap().throttled_usec, Some(900));
    let before = pair.previous.expect("the sample before, of format 2");
    assert_eq!(before.cgroups[1].1.cpu.unwrap().usage_usec, 1_000_000);
}

/// Issue 23 item 2: a writer never writes a frame over what readers take. A sample that would
/// make one is written without the cgroups of the longest paths (then the newest), counted;
/// every other cgroup reads, sample after sample.
#[test]
fn a_sample_too_large_for_readers_is_written_without_its_longest_paths() {
    use cgtui::history::frame::{self, FRAME_HEADER_LEN};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let mut w = new_writer(&dir);
    // Frames of at most 16 KiB: ten ordinary cgroups fit, 400 under 200-byte names do not.
    w.max_body = 16 << 10;
    let deep = path(&"d".repeat(200));
    let mut cgroups = tree(10, 0);
    for i in 0..400u64 {
        let sample = CgroupSample {
            inode: 50_000 + i,
            ..tree(1, 0).remove(0).1
        };
        cgroups.push((deep.join(format!("{i:0>200}").as_ref()), sample));
    }
    let mut left_out = Vec::new();
    for i in 0..5i64 {
        let refs: Vec<_> = cgroups.iter().map(|(p, s)| (p.clone(), s)).collect();
        w.append_sample(T0 + i * 1000, anchor_of(T0 + i * 1000), &refs)
            .unwrap();
        assert!(w.left_out > 0 && w.left_out < 400, "{}", w.left_out);
        left_out.push(w.left_out);
    }
    assert!(
        w.notes.iter().any(|n| n.contains("are not recorded")),
        "{:?}",
        w.notes
    );
    drop(w);
    let bytes = std::fs::read(segment_of(&dir)).unwrap();
    let scan = frame::scan(&bytes[frame::HEADER_LEN..]);
    assert!(scan.damage.is_empty());
    assert_eq!(scan.frames.len(), 5);
    for f in &scan.frames {
        let body = f.body().unwrap();
        assert!(body.len() <= 16 << 10, "a body of {} bytes", body.len());
        assert!(f.end() - f.offset > FRAME_HEADER_LEN);
    }
    let mut store = Store::open(&dir).unwrap();
    for i in 0..5i64 {
        let pair = store.at(T0 + i * 1000).unwrap().expect("a sample");
        assert_eq!(pair.current.time_ms, T0 + i * 1000);
        let paths: Vec<&CgroupPath> = pair.current.cgroups.iter().map(|(p, _)| p).collect();
        for (p, _) in &cgroups[..10] {
            assert!(paths.contains(&p), "{p} is recorded");
        }
        assert_eq!(paths.len(), 410 - left_out[i as usize]);
    }
    assert_eq!(store.take_problems(), Vec::<String>::new());
}

/// Issue 24 item 9: the recorder keeps cpu.stat's throttling and the working set; `snapshot
/// --store --json` shows them under the names the live `snapshot --json` uses.
#[test]
fn recorded_throttling_and_working_set_read_as_the_live_snapshot_names_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let sample = |i: u64| {
        let mut s = recorded_sample(7, 1 << 20);
        s.cpu = Some(
            cgtui::cgroup::parse::cpu_stat(&format!(
                "usage_usec {}\nuser_usec 0\nsystem_usec 0\nnr_periods {}\nnr_throttled {}\n\
                 throttled_usec {}\n",
                i * 1_000_000,
                10 * i,
                3 * i,
                5000 * i
            ))
            .unwrap(),
        );
        s.memory.current = Some(300 << 20);
        s.memory.stat = Some(cgtui::cgroup::parse::MemoryStat {
            inactive_file: Some(100 << 20),
            ..Default::default()
        });
        s
    };
    let mut w = new_writer(&dir);
    for i in 0..3u64 {
        let s = sample(i);
        let t = T0 + i as i64 * 2000;
        w.append_sample(t, anchor_of(t), &[(CgroupPath::root(), &s)])
            .unwrap();
    }
    drop(w);
    let fixture = common::fixture();
    let fixture = fixture.to_str().unwrap();
    let at = format!("@{}", (T0 + 4000) / 1000);
    let json = |args: &[&str]| -> serde_json::Value {
        let out = cgtui(args, tmp.path());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        serde_json::from_str(text.lines().next().unwrap()).unwrap()
    };
    let recorded = json(&[
        "--fixture",
        fixture,
        "snapshot",
        "--store",
        dir.to_str().unwrap(),
        "--at",
        &at,
        "--json",
    ]);
    let root = &recorded["cgroups"][0];
    assert_eq!(root["cpu"]["nr_periods"], 20, "{root:#}");
    assert_eq!(root["cpu"]["nr_throttled"], 6);
    assert_eq!(root["cpu"]["throttled_usec"], 10_000);
    assert_eq!(root["memory"]["working_set"], 200u64 << 20);
    // The live snapshot names them so too.
    let live = json(&["--fixture", fixture, "snapshot", "--json"]);
    let live = &live["cgroups"][0];
    for (section, key) in [
        ("cpu", "nr_periods"),
        ("cpu", "nr_throttled"),
        ("cpu", "throttled_usec"),
        ("memory", "working_set"),
    ] {
        assert!(
            live[section].as_object().unwrap().contains_key(key),
            "live {section}.{key}: {live:#}"
        );
    }
}

#[test]
fn damage_is_reported_with_file_and_offset_and_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let mut w = new_writer(&dir);
    write_samples(&mut w, T0, 40, 1000);
    drop(w);
    let segment = segment_of(&dir);
    let clean = std::fs::read(&segment).unwrap();
    // Flip bytes at many places: every read finishes, reports, and still finds later samples.
    for (n, at) in (100..clean.len()).step_by(clean.len() / 13).enumerate() {
        let mut bad = clean.clone();
        for b in &mut bad[at..(at + 3).min(clean.len())] {
            *b ^= 0x5a;
        }
        std::fs::write(&segment, &bad).unwrap();
        let mut store = Store::open(&dir).unwrap();
        let mut times = Vec::new();
        store
            .range(i64::MIN, i64::MAX, &mut |p| {
                times.push(p.current.time_ms);
                Ok(())
            })
            .unwrap();
        let problems = store.take_problems();
        assert!(
            problems.iter().any(|p| p.contains(".cgtui: offset ")),
            "flip {n} at {at}: {problems:?}"
        );
        // At most one key interval (7 samples) is lost around the damage.
        assert!(times.len() >= 40 - 7 - 1, "flip {n} at {at}: {times:?}");
        assert!(times.windows(2).all(|w| w[0] < w[1]));
        // The newest sample is reachable unless the damage hit it.
        if at < clean.len() - 400 {
            assert_eq!(times.last(), Some(&(T0 + 39_000)), "flip {n} at {at}");
        }
    }
    // Truncated anywhere: no panic, and what is before the cut is read.
    for cut in (0..clean.len()).step_by(97) {
        std::fs::write(&segment, &clean[..cut]).unwrap();
        let index = segment.with_extension("idx");
        let _ = std::fs::remove_file(&index);
        match Store::open(&dir) {
            Ok(mut store) => {
                let mut n = 0;
                store
                    .range(i64::MIN, i64::MAX, &mut |_| {
                        n += 1;
                        Ok(())
                    })
                    .unwrap();
                if cut > clean.len() / 2 {
                    assert!(n > 10, "cut at {cut}: {n} samples");
                }
            }
            Err(e) => panic!("cut at {cut}: {e:#}"),
        }
    }
    // The recorder resumes a torn file: it cuts the tail and appends after it.
    std::fs::write(&segment, &clean[..clean.len() - 5]).unwrap();
    let mut w = new_writer(&dir);
    assert!(
        w.notes.iter().any(|n| n.contains("cut")),
        "notes: {:?}",
        w.notes
    );
    write_samples(&mut w, T0 + 100_000, 3, 1000);
    drop(w);
    let mut store = Store::open(&dir).unwrap();
    let mut n = 0;
    store
        .range(i64::MIN, i64::MAX, &mut |_| {
            n += 1;
            Ok(())
        })
        .unwrap();
    assert_eq!(n, 39 + 3);
    assert!(store.take_problems().is_empty());
}

const DAY: i64 = 86_400_000;

/// A store of four days, five samples a second apart at the same time of each.
fn four_days(dir: &Path) -> Writer {
    let mut w = new_writer(dir);
    for d in 0..4 {
        write_samples(&mut w, T0 + d * DAY, 5, 1000);
    }
    w
}

#[test]
fn retention_and_size_cap_drop_the_oldest_days() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let mut w = four_days(&dir);
    let removed = w
        .prune(T0 + 3 * DAY + 10, Duration::from_secs(2 * 86_400), None)
        .unwrap();
    assert_eq!(removed.len(), 1, "{removed:?}");
    // Today's segment alone over half the budget (a flood): older days stay.
    let removed = w
        .prune(T0 + 3 * DAY + 10, Duration::from_secs(30 * 86_400), Some(1))
        .unwrap();
    assert!(
        removed.is_empty(),
        "a flood today erases no older day: {removed:?}"
    );
    // Within its half, the oldest go until the store fits.
    let today_name = cgtui::history::store::day_name((T0 + 3 * DAY).div_euclid(DAY));
    let today: u64 = [".cgtui", ".idx"]
        .iter()
        .map(|suffix| {
            std::fs::metadata(dir.join(format!("{today_name}{suffix}")))
                .unwrap()
                .len()
        })
        .sum();
    let removed = w
        .prune(
            T0 + 3 * DAY + 10,
            Duration::from_secs(30 * 86_400),
            Some(2 * today),
        )
        .unwrap();
    assert!(!removed.is_empty(), "{removed:?}");
    assert!(w.store_size() <= 2 * today, "{removed:?}");
    let oldest = cgtui::history::store::day_name((T0 + DAY).div_euclid(DAY));
    assert_eq!(
        removed[0],
        format!("{oldest}.cgtui"),
        "the oldest goes first"
    );
    let mut store = Store::open(&dir).unwrap();
    assert!(store.at(T0 + 3 * DAY + 4000).unwrap().is_some());
    assert!(store.at(T0 + DAY + 4000).unwrap().is_none());
}

#[test]
fn a_reader_of_the_recent_past_opens_only_its_days() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    drop(four_days(&dir));
    let mut all = Store::open(&dir).unwrap();
    assert_eq!(all.span().map(|(first, _)| first), Some(T0));
    let mut recent = Store::open_since(&dir, T0 + 2 * DAY + 500).unwrap();
    let (first, last) = recent.span().unwrap();
    assert_eq!(first.div_euclid(DAY), (T0 + 2 * DAY).div_euclid(DAY));
    assert_eq!(last, T0 + 3 * DAY + 4000);
    assert!(recent.at(T0 + DAY + 4000).unwrap().is_none());
    assert_eq!(
        recent
            .at(T0 + 2 * DAY + 2500)
            .unwrap()
            .unwrap()
            .current
            .time_ms,
        T0 + 2 * DAY + 2000
    );
}

fn cgtui(args: &[&str], state: &Path) -> std::process::Output {
    Command::new(common::binary())
        .args(args)
        .env("XDG_STATE_HOME", state)
        .output()
        .unwrap()
}

fn events_json(store: &Path, state: &Path) -> Vec<serde_json::Value> {
    let out = cgtui(
        &["events", "--store", store.to_str().unwrap(), "--json"],
        state,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The newest recorded sample of `root` and below, as `snapshot --store --json` prints it.
fn snapshot_now(store: &Path, state: &Path, root: &str) -> serde_json::Value {
    let out = cgtui(
        &[
            "snapshot",
            "--store",
            store.to_str().unwrap(),
            "--json",
            "--root",
            root,
        ],
        state,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Wait for `check` (polling); panics with `what` after a generous limit.
fn wait_until(what: &str, check: impl FnMut() -> bool) {
    wait_within(what, Duration::from_secs(60), check);
}

/// Wait for `check` (polling) at most `limit`; panics with `what` past it.
fn wait_within(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < limit,
            "timed out after {} s waiting for {what}",
            limit.as_secs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `cgtui record` of `root` into `store` every 0.2 s, once it has made its first sample.
fn start_recorder(store: &Path, root: &str, state: &Path) -> Recorder {
    let recorder = Recorder(
        Command::new(common::binary())
            .args(["record", "--interval", "0.2", "--store"])
            .arg(store)
            .args(["--root", root])
            .env("XDG_STATE_HOME", state)
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_until("the first sample", || {
        Store::open(store).is_ok_and(|mut s| s.span().is_some())
    });
    recorder
}

/// A recorder that is killed if the test fails before it stops it.
struct Recorder(std::process::Child);

impl Drop for Recorder {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn now_ms() -> i64 {
    cgtui::time::now_ms()
}

#[test]
fn the_recorder_records_live_cgroups_and_their_events() {
    let cg = live_or_skip!("history");
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let root = cg.relative.to_str().unwrap();
    let mut recorder = start_recorder(&store, root, tmp.path());
    // Inotify watches are set up by now (the first sample follows the watcher's start closely;
    // give it a moment on a busy machine).
    std::thread::sleep(Duration::from_millis(500));
    let before = now_ms();
    std::fs::create_dir(cg.child("worker")).unwrap();
    let mut sleeper = common::LiveCgroup::spawn_in(&cg.child("worker"), &["sleep", "60"]);
    wait_until("the populated event", || {
        events_json(&store, tmp.path())
            .iter()
            .any(|e| e["kind"] == "populated" && e["cgroup"].as_str().unwrap().ends_with("/worker"))
    });
    // Samples take cgroup.events from what inotify reported (not read again), and a cgroup
    // known to be empty has no PID list to read: the recorded state follows the process.
    let worker_now = |populated: bool, procs: u64| {
        let doc = snapshot_now(&store, tmp.path(), &format!("{root}/worker"));
        doc["cgroups"][0]["populated"] == populated && doc["cgroups"][0]["nr_procs"] == procs
    };
    wait_until("a sample of the worker populated, 1 process", || {
        worker_now(true, 1)
    });
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    wait_until("the unpopulated event", || {
        events_json(&store, tmp.path())
            .iter()
            .any(|e| e["kind"] == "unpopulated")
    });
    wait_until("a sample of the worker empty, 0 processes", || {
        worker_now(false, 0)
    });
    // cgtui's own changes, from the journal the recorder shares: two in a row, each recorded.
    let worker = format!("{root}/worker");
    for depth in ["3", "4"] {
        let out = cgtui(&["set", &worker, "cgroup.max.depth", depth], tmp.path());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        wait_until(&format!("the change to {depth}"), || {
            events_json(&store, tmp.path())
                .iter()
                .any(|e| e["kind"] == "change" && e["change"]["new"] == depth)
        });
    }
    let after = now_ms();
    // A sample taken after the worker was made shows it, in the snapshot's shape (samples
    // come every 0.2 s; a busy machine may delay one).
    let mut doc = serde_json::Value::Null;
    wait_until("a recorded sample holding the worker", || {
        doc = snapshot_now(&store, tmp.path(), root);
        doc["cgroups"].as_array().unwrap().len() >= 2
    });
    assert!(doc["cgroups"][0]["cpu"].is_object());
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(recorder.0.id() as i32).unwrap(),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    let status = recorder.0.wait().unwrap();
    assert!(
        status.success(),
        "SIGTERM ends the recorder with 0: {status:?}"
    );

    let events = events_json(&store, tmp.path());
    let find = |kind: &str| {
        events
            .iter()
            .find(|e| e["kind"] == kind && e["cgroup"].as_str().unwrap().ends_with("/worker"))
            .unwrap_or_else(|| panic!("no {kind} event for worker in {events:#?}"))
    };
    for kind in ["created", "populated", "unpopulated"] {
        let t = (find(kind)["time"].as_f64().unwrap() * 1000.0) as i64;
        assert!(
            (before - 5..=after + 5).contains(&t),
            "{kind} at {t} outside {before}..{after}"
        );
    }
    assert!(find("created")["inode"].as_u64().is_some());
    let text = cgtui(&["events", "--store", store.to_str().unwrap()], tmp.path());
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("populated") && text.contains("/worker"),
        "{text}"
    );
}

#[test]
fn limits_written_by_anyone_are_recorded_at_the_next_sample() {
    // The recorder keeps limits until inotify reports a write (a watch of the directory), and
    // re-reads them only every 30 s where it cannot. Four changes in a row, each seen within
    // 15 s, take 60 s at most: a 30 s re-read could show them only in 90 s or more.
    let controller = match common::RootController::enable("hugetlb") {
        Ok(guard) => guard,
        Err(reason) => {
            eprintln!("SKIPPED: {reason}");
            return;
        }
    };
    let cg = live_or_skip!("written");
    std::fs::create_dir(cg.child("c")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let root = cg.relative.to_str().unwrap();
    let child = format!("{root}/c");
    let _recorder = start_recorder(&store, root, tmp.path());
    let recorded = |key: &str| snapshot_now(&store, tmp.path(), &child)["cgroups"][0][key].clone();
    // Written by someone else (not `cgtui set`, whose journal the recorder also follows).
    for depth in [3, 4, 5, 6] {
        std::fs::write(cg.child("c/cgroup.max.depth"), depth.to_string()).unwrap();
        wait_within(
            &format!("cgroup.max.depth {depth} in a recorded sample"),
            Duration::from_secs(15),
            || recorded("max_depth") == depth,
        );
    }
    // The parent's cgroup.subtree_control changes the child's controllers.
    let subtree_control = cg.dir().join("cgroup.subtree_control");
    for enable in [true, false, true, false] {
        let sign = if enable { "+" } else { "-" };
        std::fs::write(&subtree_control, format!("{sign}hugetlb")).unwrap();
        wait_within(
            &format!("the child's controllers after {sign}hugetlb"),
            Duration::from_secs(15),
            || {
                let has = recorded("controllers")
                    .as_array()
                    .is_some_and(|c| c.iter().any(|c| c == "hugetlb"));
                has == enable
            },
        );
    }
    drop(cg);
    drop(controller);
}

/// Each inotify watch of process `pid`: the watched inode and its mask (from fdinfo).
fn watch_masks(pid: u32) -> Vec<(u64, u32)> {
    let mut watches = Vec::new();
    for fd in std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
    {
        let info = format!("/proc/{pid}/fdinfo/{}", fd.file_name().to_string_lossy());
        for line in std::fs::read_to_string(info).unwrap_or_default().lines() {
            let field = |name: &str| {
                line.split_whitespace()
                    .find_map(|f| f.strip_prefix(name))
                    .and_then(|v| u64::from_str_radix(v, 16).ok())
            };
            if let (true, Some(ino), Some(mask)) = (
                line.starts_with("inotify wd:"),
                field("ino:"),
                field("mask:"),
            ) {
                watches.push((ino, mask as u32));
            }
        }
    }
    watches
}

#[test]
fn the_recorder_hears_event_files_through_one_watch_a_cgroup() {
    // cgroup.events is held open, not watched: its changes come to the directory's watch. An
    // interval of an hour: only inotify can tell the recorder in time. Only where root owns
    // the directory: another owner could flood a watch that reports writes.
    use std::os::unix::fs::MetadataExt;
    if !rustix::process::geteuid().is_root() {
        // Only root's directories report writes; as another user, none would.
        eprintln!("SKIPPED: not root, so no directory here is root's to watch for writes");
        return;
    }
    let cg = live_or_skip!("held");
    for name in ["a", "b", "c", "d"] {
        std::fs::create_dir(cg.child(name)).unwrap();
    }
    std::os::unix::fs::chown(cg.child("d"), Some(65534), Some(65534)).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let root = cg.relative.to_str().unwrap();
    let recorder = Recorder(
        Command::new(common::binary())
            .args(["record", "--interval", "3600", "--store"])
            .arg(&store)
            .args(["--root", root])
            .env("XDG_STATE_HOME", tmp.path())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_until("the first sample", || {
        Store::open(&store).is_ok_and(|mut s| s.span().is_some())
    });
    let pid = recorder.0.id();
    // The top and a, b, c: a watch each (their directories); d, not root's: its directory
    // and its cgroup.events, and no IN_MODIFY on the directory.
    assert_eq!(common::inotify_watches(pid), 6);
    const IN_MODIFY: u32 = 0x2;
    let mask_of = |name: &str| {
        let ino = std::fs::metadata(cg.child(name)).unwrap().ino();
        watch_masks(pid)
            .into_iter()
            .find(|(i, _)| *i == ino)
            .map(|(_, mask)| mask)
    };
    assert!(mask_of("a").is_some_and(|m| m & IN_MODIFY != 0));
    assert!(mask_of("d").is_some_and(|m| m & IN_MODIFY == 0));
    let populated = |name: &str| {
        events_json(&store, tmp.path()).iter().any(|e| {
            e["kind"] == "populated" && e["cgroup"].as_str().unwrap().ends_with(&format!("/{name}"))
        })
    };
    let mut sleeper = common::LiveCgroup::spawn_in(&cg.child("b"), &["sleep", "60"]);
    wait_within("b populated, by inotify", Duration::from_secs(15), || {
        populated("b")
    });
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    assert!(!populated("a") && !populated("c"));
    // c given away (as systemd does for Delegate=): its writes no longer reported, its
    // cgroup.events watched, and still heard.
    std::os::unix::fs::chown(cg.child("c"), Some(65534), Some(65534)).unwrap();
    wait_within(
        "c's watch without IN_MODIFY",
        Duration::from_secs(15),
        || mask_of("c").is_some_and(|m| m & IN_MODIFY == 0) && common::inotify_watches(pid) == 7,
    );
    let mut sleeper = common::LiveCgroup::spawn_in(&cg.child("c"), &["sleep", "60"]);
    wait_within("c populated, by inotify", Duration::from_secs(15), || {
        populated("c")
    });
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
}

#[test]
fn sigkill_at_random_moments_loses_nothing_but_the_sample_being_written() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let fixture = common::fixture();
    let mut seen: Vec<i64> = Vec::new();
    // A cheap deterministic "random" sequence of delays (200-1500 ms).
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15 ^ std::process::id() as u64;
    for round in 0..20 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_millis(200 + seed % 1300);
        let mut recorder = Recorder(
            Command::new(common::binary())
                .args([
                    "record",
                    "--store",
                    store.to_str().unwrap(),
                    "--interval",
                    "0.1",
                ])
                .args(["--fixture", fixture.to_str().unwrap()])
                .env("XDG_STATE_HOME", tmp.path())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        std::thread::sleep(delay);
        recorder.0.kill().unwrap(); // SIGKILL
        recorder.0.wait().unwrap();
        let mut reader = Store::open(&store).unwrap_or_else(|e| panic!("round {round}: {e:#}"));
        let mut times = Vec::new();
        reader
            .range(i64::MIN, i64::MAX, &mut |p| {
                assert!(!p.current.cgroups.is_empty());
                times.push(p.current.time_ms);
                Ok(())
            })
            .unwrap();
        let problems = reader.take_problems();
        assert!(problems.is_empty(), "round {round}: {problems:?}");
        // Every sample read before is still there.
        for t in &seen {
            assert!(times.contains(t), "round {round}: sample {t} was lost");
        }
        assert!(times.len() >= seen.len());
        seen = times;
    }
    assert!(seen.len() >= 20, "{} samples in 20 rounds", seen.len());
}

#[test]
fn reading_commands_explain_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    // The command fails and its error says each of `said`.
    let refused = |args: &[&str], said: &[&str]| {
        let out = cgtui(args, tmp.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && said.iter().all(|s| err.contains(s)),
            "{args:?}: {err}"
        );
    };
    let missing = tmp.path().join("nothing");
    refused(
        &["events", "--store", missing.to_str().unwrap()],
        &["no store at", "cgtui record"],
    );
    let store = tmp.path().join("store");
    let mut w = new_writer(&store);
    write_samples(&mut w, T0, 3, 1000);
    drop(w);
    let store_arg = store.to_str().unwrap();
    refused(
        &["snapshot", "--store", store_arg, "--at", "soon"],
        &["--at", "RFC 3339"],
    );
    refused(
        &[
            "snapshot",
            "--store",
            store_arg,
            "--at",
            "2020-01-01T00:00:00Z",
        ],
        &["no sample at or before", "it holds"],
    );
    let out = cgtui(
        &[
            "--fixture",
            common::fixture().to_str().unwrap(),
            "snapshot",
            "--store",
            store.to_str().unwrap(),
            "--from",
            "@1764000000",
            "--to",
            "@1764000001",
        ],
        tmp.path(),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text.matches("cgtui snapshot").count(), 2, "{text}");
    assert!(
        text.contains("cgtui snapshot 2 at 2025-11-24T16:00:01Z"),
        "{text}"
    );
    let out = cgtui(&["snapshot", "--at", "-1m"], tmp.path());
    assert!(String::from_utf8_lossy(&out.stderr).contains("add --store"));
}

#[test]
fn replay_shows_the_recorded_time_and_steps_through_it() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let mut w = new_writer(&store);
    write_samples(&mut w, T0, 30, 1000);
    let mut e = HistoryEvent::new("oom_kill", &path("g3"));
    e.total = Some(1);
    e.increase = Some(1);
    w.append_event(T0 + 12_345, &e).unwrap();
    drop(w);
    let fixture = common::fixture();
    let state = tmp.path().to_str().unwrap();
    let mut pty = common::Pty::spawn_env(
        &[
            "--fixture",
            fixture.to_str().unwrap(),
            "replay",
            "--store",
            store.to_str().unwrap(),
            "--at",
            "@1764000010.5",
        ],
        &[("XDG_STATE_HOME", state)],
        160,
        40,
    );
    let wait = Duration::from_secs(60);
    pty.wait_text("REPLAY 2025-11-24T16:00:10.000Z", wait);
    pty.send(".");
    pty.wait_text("REPLAY 2025-11-24T16:00:11.000Z", wait);
    pty.send(",");
    pty.send(",");
    pty.wait_text("REPLAY 2025-11-24T16:00:09.000Z", wait);
    // A minute back is before the first sample: the first one.
    pty.send("(");
    pty.wait_text("REPLAY 2025-11-24T16:00:00.000Z", wait);
    // The next event: the OOM kill, with the sample that follows it.
    pty.send("\x0e"); // Ctrl-N
    pty.wait_text("REPLAY 2025-11-24T16:00:13.000Z", wait);
    pty.wait_text("oom_kill", wait);
    pty.send(")");
    pty.wait_text("REPLAY 2025-11-24T16:00:29.000Z", wait);
    // Go to a time: `t`, the time as --at takes it, Enter.
    pty.send("t");
    pty.wait_text("go to a recorded time", wait);
    pty.send("2025-11-24T16:00:05Z\r");
    pty.wait_text("REPLAY 2025-11-24T16:00:05.000Z", wait);
    // One it cannot read: said in the prompt, and the time stays.
    pty.send("t");
    pty.wait_text("go to a recorded time", wait);
    pty.send("soon\r");
    pty.wait_text("not a time:", wait);
    pty.send("\x1b"); // Esc
    pty.wait_for("the prompt to close", wait, |s| {
        !s.contains("go to a recorded time")
    });
    assert!(pty.screen().contains("REPLAY 2025-11-24T16:00:05.000Z"));
    // Before the first sample: the first one, and the note says so.
    pty.send("t");
    pty.wait_text("go to a recorded time", wait);
    pty.send("@1700000000\r");
    pty.wait_text("REPLAY 2025-11-24T16:00:00.000Z", wait);
    pty.wait_text("before the first recorded sample", wait);
    // Writing keys are off: `n` (mkdir) offers nothing to write.
    pty.send("q");
    assert!(pty.wait_exit(wait), "q quits replay");
}

// ---------------------------------------------------------------------------------------
// The live TUI's sparklines, reaching back into a recorder's store.

const MIB: u64 = 1 << 20;
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;

/// A cgroup as recorded at minute `m` of three hours ending now: 50 % of a CPU and 100 MiB
/// until an hour ago, then idle at 10 MiB; it reads 1 MiB/s all along.
fn recorded_sample(inode: u64, m: u64) -> CgroupSample {
    let busy_minutes = m.min(120);
    CgroupSample {
        inode,
        cpu: Some(CpuStat {
            usage_usec: busy_minutes * 30_000_000,
            ..CpuStat::default()
        }),
        memory: cgtui::cgroup::sample::MemorySample {
            current: Some(if m < 120 { 100 * MIB } else { 10 * MIB }),
            ..Default::default()
        },
        io: Some(
            cgtui::cgroup::parse::io_stat(&format!(
                "8:0 rbytes={} wbytes=0 rios={m} wios=0 dbytes=0 dios=0",
                m * 60 * MIB
            ))
            .unwrap(),
        ),
        ..CgroupSample::default()
    }
}

/// Three hours of samples, one a minute, the last one now: each of `cgroups` (path, inode),
/// and the root.
fn record_three_hours(dir: &Path, cgroups: &[(CgroupPath, u64)]) -> i64 {
    record_three_hours_until(dir, cgroups, now_ms())
}

/// [`record_three_hours`], the last sample at `now`.
fn record_three_hours_until(dir: &Path, cgroups: &[(CgroupPath, u64)], now: i64) -> i64 {
    let mut w = new_writer(dir);
    let root = CgroupSample {
        inode: 1,
        ..CgroupSample::default()
    };
    for m in 0..=180u64 {
        let samples: Vec<CgroupSample> = cgroups
            .iter()
            .map(|(_, inode)| recorded_sample(*inode, m))
            .collect();
        let mut refs = vec![(CgroupPath::root(), &root)];
        refs.extend(cgroups.iter().map(|(p, _)| p.clone()).zip(&samples));
        let time = now - 3 * HOUR + m as i64 * MINUTE;
        w.append_sample(time, anchor_of(time), &refs).unwrap();
    }
    now
}

#[test]
fn recorded_history_is_read_for_one_series_by_path_and_inode() {
    // Columns are whole buckets of two minutes: the test is run at moments all over one.
    let start = now_ms();
    for offset in (0..120_000).step_by(13_000) {
        recorded_history_at(start - offset);
    }
}

fn recorded_history_at(now: i64) {
    use cgtui::history::backfill::{Request, read};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let cgroup = path("work.slice/job");
    let now = record_three_hours_until(&dir, &[(cgroup.clone(), 4242)], now);
    let request = Request {
        path: cgroup.clone(),
        inode: 4242,
        columns: 90,
        live_span_ms: 15_000,
        end_ms: None,
    };
    let recorded = read(&dir, true, &request, now).unwrap();
    assert_eq!(recorded.note, None);
    // Three hours over 90 columns: two minutes each.
    assert_eq!(recorded.bucket_ms, 2 * MINUTE);
    let points = &recorded.points;
    assert_eq!(points.len(), 90);
    // Columns end 15 s before now, every 2 min: column k ends at now - 15 s - (90 - k) * 2 min.
    // Busy until an hour ago (the columns before the last 30): 50 % and 100 MiB. Columns are
    // aligned to whole buckets, so the first recorded sample can fall in column 1 (or 0), with
    // no sample before it to make a rate: from column 2 on, every column has one.
    for (k, p) in points.iter().enumerate().take(57).skip(2) {
        let cpu = p.cpu_pct.unwrap_or_else(|| panic!("column {k}: {p:?}"));
        assert!((cpu - 50.0).abs() < 0.01, "column {k}: {p:?}");
        assert_eq!(p.memory, Some(100 * MIB), "column {k}");
        let io = p.io_bps.unwrap();
        assert!((io - MIB as f64).abs() < 1.0, "column {k}: {p:?}");
    }
    // The last half hour: idle at 10 MiB (columns are whole buckets: the one that holds the
    // change moves by up to a bucket with the time the test runs at).
    for (k, p) in points.iter().enumerate().skip(62) {
        assert_eq!(p.cpu_pct, Some(0.0), "column {k}: {p:?}");
        assert_eq!(p.memory, Some(10 * MIB), "column {k}");
    }

    // Another cgroup of the same name (another inode) has no recorded history.
    let other = read(
        &dir,
        true,
        &Request {
            inode: 4243,
            ..request.clone()
        },
        now,
    )
    .unwrap();
    assert!(
        other.points.iter().all(|p| *p == Default::default()),
        "{other:?}"
    );

    // No recorder is writing it any more (its newest sample is two hours old): nothing,
    // said only for a store that was named.
    let later = read(&dir, true, &request, now + 2 * HOUR).unwrap();
    assert!(later.points.is_empty());
    let note = later.note.unwrap();
    assert!(
        note.contains("no recorder is writing it") && note.contains("2h"),
        "{note}"
    );
    assert_eq!(
        read(&dir, false, &request, now + 2 * HOUR).unwrap().note,
        None
    );

    // No store: nothing to say for the default one, an error for a named one.
    let missing = tmp.path().join("none");
    let nothing = read(&missing, false, &request, now).unwrap();
    assert!(nothing.points.is_empty() && nothing.note.is_none());
    let err = format!("{:#}", read(&missing, true, &request, now).unwrap_err());
    assert!(err.contains("no store at"), "{err}");
}

#[test]
fn recorded_history_survives_a_damaged_store() {
    use cgtui::history::backfill::{Request, read};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let cgroup = path("job");
    let now = record_three_hours(&dir, &[(cgroup.clone(), 77)]);
    let request = Request {
        path: cgroup,
        inode: 77,
        columns: 60,
        live_span_ms: 0,
        end_ms: None,
    };
    let mut reported = 0;
    // The segments of today and maybe yesterday: damage each at many places.
    let segments: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "cgtui"))
        .collect();
    for segment in segments {
        let clean = std::fs::read(&segment).unwrap();
        for at in (24..clean.len()).step_by(clean.len() / 17 + 1) {
            let mut bad = clean.clone();
            for b in &mut bad[at..(at + 4).min(clean.len())] {
                *b ^= 0xa5;
            }
            std::fs::write(&segment, &bad).unwrap();
            let _ = std::fs::remove_file(segment.with_extension("idx"));
            // Read or refused with a reason; never a panic, and the columns are the ones asked.
            if let Ok(recorded) = read(&dir, true, &request, now) {
                assert!(
                    recorded.points.is_empty() || recorded.points.len() == 60,
                    "damage at {at}"
                );
                if recorded.note.is_some_and(|n| {
                    n.starts_with("store damage skipped: ") && n.contains(".cgtui")
                }) {
                    reported += 1;
                }
            }
        }
        for cut in (0..clean.len()).step_by(clean.len() / 11 + 1) {
            std::fs::write(&segment, &clean[..cut]).unwrap();
            let _ = read(&dir, true, &request, now);
        }
        std::fs::write(&segment, &clean).unwrap();
    }
    assert!(reported > 5, "damage is said ({reported} times)");
}

/// The title of the details pane's sparkline `name` (`CPU%`, `memory`, `IO`) and its bars
/// below it, as on screen (the graphs start at column `from`).
fn sparkline(screen: &str, name: &str, from: usize) -> Option<(String, String)> {
    let lines: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    for (row, line) in lines.iter().enumerate() {
        let text: String = line.iter().collect();
        let Some(byte) = text
            .match_indices(&format!("{name} "))
            .map(|(i, _)| i)
            .find(|i| text[..*i].chars().count() == from)
        else {
            continue;
        };
        let col = text[..byte].chars().count();
        let title: String = line[col..].iter().collect();
        let bars: String = lines
            .get(row + 1)
            .map(|l| l.iter().skip(col).collect())
            .unwrap_or_default();
        return Some((title.trim_end().to_string(), bars));
    }
    None
}

/// `2h 55m` as minutes.
fn minutes(span: &str) -> u64 {
    span.split(' ')
        .map(|part| {
            let (n, unit) = part.split_at(part.len() - 1);
            let n: u64 = n.parse().unwrap_or_else(|_| panic!("{span:?}"));
            match unit {
                "h" => n * 60,
                "m" => n,
                "d" => n * 1440,
                _ => 0,
            }
        })
        .sum()
}

#[test]
fn the_live_tui_draws_a_recorders_history_before_its_own_samples() {
    use std::os::unix::fs::MetadataExt;
    let cg = live_or_skip!("backfill");
    // Children in name order: one made again since it was recorded (another inode), one not.
    std::fs::create_dir(cg.child("a-recreated")).unwrap();
    std::fs::create_dir(cg.child("b-kept")).unwrap();
    let inode = |dir: &Path| std::fs::metadata(dir).unwrap().ino();
    let relative = |name: &str| {
        let p = cg.relative.join(name);
        CgroupPath::from_relative(&p).unwrap()
    };
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    record_three_hours(
        &store,
        &[
            (
                CgroupPath::from_relative(&cg.relative).unwrap(),
                inode(&cg.dir()),
            ),
            (relative("a-recreated"), inode(&cg.child("a-recreated")) + 1),
            (relative("b-kept"), inode(&cg.child("b-kept"))),
        ],
    );
    let state = tmp.path().to_str().unwrap();
    // The CPU graph scaled to its peak (config `cpu_scale`): 50 % of a CPU fills it.
    std::fs::create_dir_all(tmp.path().join("cgtui")).unwrap();
    std::fs::write(
        tmp.path().join("cgtui/config.toml"),
        "cpu_scale = \"peak\"\n",
    )
    .unwrap();
    let mut pty = common::Pty::spawn_env(
        &[
            "--root",
            cg.relative.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
            "--interval",
            "1",
        ],
        &[("XDG_STATE_HOME", state), ("XDG_CONFIG_HOME", state)],
        160,
        40,
    );
    let wait = Duration::from_secs(60);
    // The graphs are right of the facts (58 % of the width).
    let from = 160 * 58 / 100;
    let recorded = |screen: &str| {
        sparkline(screen, "CPU%", from).filter(|(title, _)| title.contains("(recorded "))
    };
    pty.wait_for("the recorded CPU history of the test cgroup", wait, |s| {
        recorded(s).is_some()
    });
    let screen = pty.screen();
    let (title, bars) = recorded(&screen).unwrap();
    // Three hours were recorded; the columns are 5 minutes each on this screen.
    let span = title
        .split("(recorded ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap();
    assert!(title.ends_with("· top 50% (peak)"), "{title:?}\n{screen}");
    assert!((150..=190).contains(&minutes(span)), "{title:?}\n{screen}");
    // Busy (50 %) for two hours, then idle an hour (12 columns), then the live samples of
    // an empty cgroup: full bars first; in the last hour and the live part none, and no gap
    // between the recorded columns and the live ones (each idle column is a zero: a dot).
    let bars: Vec<char> = bars.chars().collect();
    let full = bars.iter().filter(|c| **c == '█').count();
    assert!(
        (18..=30).contains(&full),
        "{full} full bars: {bars:?}\n{screen}"
    );
    let last = &bars[bars.len() - 10..];
    assert!(last.iter().all(|c| *c == '·'), "{bars:?}\n{screen}");
    // Memory was recorded too (this cgroup2 may have no memory controller live).
    let (memory, _) = sparkline(&screen, "memory", from).unwrap();
    assert!(memory.contains("(recorded "), "{memory}\n{screen}");

    // A child made again since (its inode differs from the recorded one) gets none; one
    // recorded with its own inode does. Reads are answered in order, one at a time: once
    // b-kept's has come, a-recreated's has too.
    pty.send("j");
    pty.wait_for("a-recreated selected", wait, |s| s.contains("/a-recreated"));
    pty.send("j");
    pty.wait_for("the recorded history of b-kept", wait, |s| {
        s.contains("/b-kept") && recorded(s).is_some()
    });
    pty.send("k");
    pty.wait_for("a-recreated selected again", wait, |s| {
        s.contains("/a-recreated") && sparkline(s, "CPU%", from).is_some()
    });
    let screen = pty.screen();
    let (title, _) = sparkline(&screen, "CPU%", from).unwrap();
    assert!(!title.contains("recorded"), "{title:?}\n{screen}");
    pty.send("q");
    assert!(pty.wait_exit(wait), "q quits");
}
