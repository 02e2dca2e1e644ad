use super::*;

#[test]
fn varints_round_trip() {
    for v in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
        let mut out = Vec::new();
        put_varint(&mut out, v);
        assert_eq!(Cursor::new(&out).varint().unwrap(), v);
    }
    for v in [0i64, -1, 1, i64::MIN, i64::MAX, -12345] {
        assert_eq!(unzigzag(zigzag(v)), v);
    }
    assert!(Cursor::new(&[0x80, 0x80]).varint().is_err());
    assert!(Cursor::new(&[0xff; 11]).varint().is_err());
}

#[test]
fn a_damaged_count_is_refused_not_allocated() {
    let mut out = Vec::new();
    put_varint(&mut out, u64::MAX);
    assert!(Cursor::new(&out).bytes().is_err());
}

pub(crate) fn full_sample() -> CgroupSample {
    let line = |x: f64| PressureLine {
        avg10: x,
        avg60: 0.07,
        avg300: 99.99,
        total: 123_456_789,
    };
    CgroupSample {
        inode: 42,
        owner_uid: 1000,
        owner_gid: 100,
        events: Some(CgroupEvents {
            populated: true,
            frozen: false,
        }),
        cpu: Some(CpuStat {
            usage_usec: 10,
            user_usec: 7,
            system_usec: 3,
            nr_periods: Some(5),
            nr_throttled: None,
            throttled_usec: Some(u64::MAX),
        }),
        memory: MemorySample {
            current: Some(1 << 30),
            swap_current: None,
            max: Some(Limit::Max),
            high: Some(Limit::Value(512 << 20)),
            low: None,
            min: Some(Limit::Value(0)),
            swap_max: Some(Limit::Max),
            events: Some(MemoryEvents {
                low: 0,
                high: 1,
                max: 2,
                oom: 3,
                oom_kill: 4,
                oom_group_kill: Some(0),
            }),
            stat: Some(MemoryStat {
                inactive_file: Some(300 << 20),
                ..MemoryStat::default()
            }),
        },
        io: Some(vec![IoDeviceStat {
            device: Some(DeviceId {
                major: 8,
                minor: 16,
            }),
            rbytes: 1,
            wbytes: 2,
            rios: 3,
            wios: 4,
            dbytes: 5,
            dios: 6,
            extra: vec![("cost.vrate".into(), "100.00".into())],
        }]),
        pids: PidsSample {
            current: Some(3),
            max: Some(Limit::Value(100)),
            events: Some(PidsEvents { max: 9 }),
        },
        psi: PsiSample {
            cpu: Some(Pressure {
                some: line(1.23),
                full: None,
            }),
            memory: Some(Pressure {
                some: line(0.0),
                full: Some(line(45.5)),
            }),
            io: None,
        },
        nr_procs: Some(2),
        controllers: Some(vec!["cpu".into(), "memory".into(), "pids".into()]),
        subtree_control: Some(vec![]),
        detail: Some(Box::new(DetailSample {
            cgroup_type: Some(CgroupType::DomainThreaded),
            stat: Some(CgroupStat {
                nr_descendants: 4,
                nr_dying_descendants: 1,
            }),
            max_depth: Some(Limit::Max),
            max_descendants: Some(Limit::Value(10)),
            cpu_max: Some(CpuMax {
                quota: Limit::Value(50_000),
                period_usec: 100_000,
            }),
            cpu_weight: Some(100),
            io_max: Some(vec![IoMax {
                device: DeviceId { major: 8, minor: 0 },
                rbps: Limit::Value(1 << 20),
                wbps: Limit::Max,
                riops: Limit::Max,
                wiops: Limit::Value(5),
            }]),
            io_weight: Some(IoWeight {
                default: 100,
                devices: vec![(DeviceId { major: 8, minor: 0 }, 200)],
            }),
            cpuset_cpus: Some("0-3,7".into()),
            cpuset_mems: None,
        })),
        read_at: ReadTimes {
            cpu_stat: Some(ANCHOR + 123_456_000),
            io_stat: Some(ANCHOR + 125_456_000),
            cpu_pressure: Some(ANCHOR + 123_456_000),
            memory_pressure: None,
            io_pressure: Some(ANCHOR + 122_456_000),
            memory_stat: None,
        },
        unreadable: vec![Unreadable {
            file: "memory.stat",
            reason: "Permission denied (os error 13) — ünïcode".into(),
        }],
    }
}

/// A recorded sample's time, as its read times are counted from.
const ANCHOR: u64 = 1_700_000_000_000 * 1_000_000;

#[test]
fn samples_round_trip_through_words() {
    let full = full_sample();
    let words = sample_words(&full, ANCHOR);
    assert_eq!(sample_from_words(42, &words, ANCHOR).unwrap(), full);
    let empty = CgroupSample {
        inode: 7,
        ..CgroupSample::default()
    };
    assert_eq!(
        sample_from_words(7, &sample_words(&empty, ANCHOR), ANCHOR).unwrap(),
        empty
    );
}

#[test]
fn read_times_keep_the_microsecond_for_cpu_and_the_millisecond_for_the_rest() {
    let mut s = full_sample();
    s.read_at.cpu_stat = Some(ANCHOR - 1_234_567); // read before the sample's time
    s.read_at.io_stat = Some(ANCHOR - 1_234_567 + 40_000); // 40 µs later
    let back = sample_from_words(1, &sample_words(&s, ANCHOR), ANCHOR).unwrap();
    assert_eq!(back.read_at.cpu_stat, Some(ANCHOR - 1_235_000));
    assert_eq!(back.read_at.io_stat, back.read_at.cpu_stat);
    // Decoded on another clock (the sample's wall time), the differences stay.
    let other = 5_000_000_000;
    let moved = sample_from_words(1, &sample_words(&s, ANCHOR), other).unwrap();
    assert_eq!(moved.read_at.cpu_stat, Some(other - 1_235_000));
}

#[test]
fn format_1_samples_have_no_read_times_and_format_2_no_inactive_file() {
    let words = sample_words(&full_sample(), ANCHOR);
    let format_1 = &words[..words.len() - 7];
    let old = sample_from_words(1, format_1, ANCHOR).unwrap();
    assert_eq!(old.read_at, ReadTimes::default());
    assert_eq!(old.cpu, full_sample().cpu);
    assert_eq!(old.memory.stat, None);
    let format_2 = &words[..words.len() - 2];
    let old = sample_from_words(1, format_2, ANCHOR).unwrap();
    assert_eq!(old.read_at, full_sample().read_at);
    assert_eq!(old.memory.stat, None);
    let now = sample_from_words(1, &words, ANCHOR).unwrap();
    assert_eq!(
        now.memory.stat.and_then(|s| s.inactive_file),
        Some(300 << 20)
    );
}

#[test]
fn damaged_words_are_an_error_not_a_panic() {
    let words = sample_words(&full_sample(), ANCHOR);
    // Cut where format 1 or 2 ends, it reads as a sample of that format.
    let older_ends = [words.len() - 7, words.len() - 2];
    for cut in (0..words.len()).filter(|cut| !older_ends.contains(cut)) {
        assert!(
            sample_from_words(1, &words[..cut], ANCHOR).is_err(),
            "cut at {cut}"
        );
    }
    let mut long = words.clone();
    long.push(0);
    assert!(sample_from_words(1, &long, ANCHOR).is_err());
    for i in 0..words.len() {
        let mut bad = words.clone();
        bad[i] = u64::MAX;
        let _ = sample_from_words(1, &bad, ANCHOR);
    }
}
