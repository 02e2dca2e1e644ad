//! Rates from two samples of the same cgroup: CPU%, IO bytes/s and IOPS, PSI stall %. The one
//! place any rate is computed: the live TUI, `snapshot`, the store's readers and replay all
//! come here, so the same two reads give the same numbers everywhere.

use crate::cgroup::CgroupSample;
use crate::cgroup::parse::{DeviceId, IoDeviceStat, Pressure};
use serde::Serialize;
use std::time::Duration;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct IoRates {
    pub read_bps: f64,
    pub write_bps: f64,
    pub read_iops: f64,
    pub write_iops: f64,
}

impl IoRates {
    fn add(&mut self, other: &IoRates) {
        self.read_bps += other.read_bps;
        self.write_bps += other.write_bps;
        self.read_iops += other.read_iops;
        self.write_iops += other.write_iops;
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceRates {
    pub device: DeviceId,
    /// The kernel's device name (`vda`), when /sys/dev/block knows it.
    pub name: Option<String>,
    #[serde(flatten)]
    pub rates: IoRates,
}

/// Share of wall time with at least one task stalled (`some`) or all stalled (`full`), in %,
/// from the growth of PSI `total`: unlike avg10 it covers exactly the last interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct PressureRates {
    pub some_pct: Option<f64>,
    pub full_pct: Option<f64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct PsiRates {
    pub cpu: Option<PressureRates>,
    pub memory: Option<PressureRates>,
    pub io: Option<PressureRates>,
}

/// Page faults and refaults per second, from memory.stat's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MemoryRates {
    pub pgfault: Option<f64>,
    pub pgmajfault: Option<f64>,
    pub workingset_refault_anon: Option<f64>,
    pub workingset_refault_file: Option<f64>,
}

/// memory.events per second: how often the cgroup ran into its limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MemoryEventRates {
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub max: Option<f64>,
    pub oom: Option<f64>,
    pub oom_kill: Option<f64>,
    pub oom_group_kill: Option<f64>,
}

/// Growth of a cumulative counter per second; `None` if it went backwards (it was reset).
fn per_second(prev: u64, cur: u64, secs: f64) -> Option<f64> {
    cur.checked_sub(prev).map(|d| d as f64 / secs)
}

fn usec_pct(prev: u64, cur: u64, secs: f64) -> Option<f64> {
    per_second(prev, cur, secs).map(|us| us / 1e4)
}

fn device_rates(prev: &IoDeviceStat, cur: &IoDeviceStat, secs: f64) -> Option<IoRates> {
    Some(IoRates {
        read_bps: per_second(prev.rbytes, cur.rbytes, secs)?,
        write_bps: per_second(prev.wbytes, cur.wbytes, secs)?,
        read_iops: per_second(prev.rios, cur.rios, secs)?,
        write_iops: per_second(prev.wios, cur.wios, secs)?,
    })
}

/// A share of wall time stalled: never above 100 % (the kernel's stall clock runs at most
/// as fast as the wall clock; more is accounting lag).
fn pressure_rates(
    prev: &Option<Pressure>,
    cur: &Option<Pressure>,
    secs: f64,
) -> Option<PressureRates> {
    let (prev, cur) = (prev.as_ref()?, cur.as_ref()?);
    let share = |p: u64, c: u64| usec_pct(p, c, secs).map(|pct| pct.min(100.0));
    Some(PressureRates {
        some_pct: share(prev.some.total, cur.some.total),
        full_pct: match (prev.full, cur.full) {
            (Some(p), Some(c)) => share(p.total, c.total),
            _ => None,
        },
    })
}

/// What a rate needs besides its two samples: the shortest window that gives a number, and the
/// most CPU a cgroup can use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateRules {
    /// Two reads closer than this give "not known yet", never a number: over a few
    /// milliseconds a counter's growth is mostly the kernel's accounting lag.
    pub min_window: Duration,
    /// Online CPUs × 100 %: no cgroup uses more. A reading above it can only be accounting
    /// lag (a running task's time is charged at its next tick), so it is shown at capacity.
    pub cpu_capacity_pct: f64,
}

impl RateRules {
    /// No window is shorter than this, whatever the interval.
    pub const MIN_WINDOW: Duration = Duration::from_millis(100);

    /// The rules for reads made every `interval` on a machine with `cpus` CPUs online: the
    /// window must be at least a quarter of the interval (and [`Self::MIN_WINDOW`]).
    pub fn new(interval: Duration, cpus: usize) -> RateRules {
        RateRules {
            min_window: (interval / 4).max(Self::MIN_WINDOW),
            cpu_capacity_pct: cpus.max(1) as f64 * 100.0,
        }
    }

    /// [`RateRules::new`] with this machine's online CPUs (or the CPUs this process may use,
    /// when /sys does not say).
    pub fn for_this_host(interval: Duration) -> RateRules {
        let cpus = crate::cgroup::sample::online_cpus()
            .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
            .unwrap_or(1);
        RateRules::new(interval, cpus)
    }
}

/// Everything the model derives from two samples of the same cgroup. All `None` for the first
/// sample of a cgroup, after its inode changed, or over a window shorter than the minimum.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Rates {
    /// 100 % = one CPU fully busy.
    pub cpu_pct: Option<f64>,
    pub cpu_user_pct: Option<f64>,
    pub cpu_system_pct: Option<f64>,
    /// Share of CFS periods in which the cgroup was throttled (needs the cpu controller).
    pub cpu_throttled_pct: Option<f64>,
    /// Microseconds throttled per second of wall time (cpu.stat `throttled_usec`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_throttled_usec_per_sec: Option<f64>,
    /// Faults and refaults per second, where memory.stat was read twice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<MemoryRates>,
    /// memory.events per second, where memory.stat was read twice (it times them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_events: Option<MemoryEventRates>,
    pub io: Option<IoRates>,
    pub io_devices: Vec<DeviceRates>,
    pub psi: PsiRates,
    /// Some rate was computed over the time between two passes instead of between two reads
    /// of its file: the samples carry no read times (a store written before they were kept).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pass_timed: bool,
}

/// The seconds between two reads of one file, when they are far enough apart to give a rate.
/// Without read times (an old store) the time between the passes stands in, and says so.
fn window(
    prev: Option<u64>,
    cur: Option<u64>,
    between_passes: Duration,
    rules: &RateRules,
    pass_timed: &mut bool,
) -> Option<f64> {
    let elapsed = match (prev, cur) {
        (Some(prev), Some(cur)) => Duration::from_nanos(cur.checked_sub(prev)?),
        _ => {
            *pass_timed = true;
            between_passes
        }
    };
    (elapsed >= rules.min_window && !elapsed.is_zero()).then_some(elapsed.as_secs_f64())
}

impl Rates {
    /// Rates between two samples of the same cgroup, each counter over the time between its
    /// two reads; `between_passes` stands in where the samples carry no read times. A
    /// different inode (removed and re-created) yields no rates at all, and a counter that
    /// went back (a reset) no rate for that counter: the next one starts from this sample.
    pub fn between(
        prev: &CgroupSample,
        cur: &CgroupSample,
        between_passes: Duration,
        rules: &RateRules,
    ) -> Rates {
        if prev.inode != cur.inode {
            return Rates::default();
        }
        let mut rates = Rates::default();
        let mut pass_timed = false;
        let (was, now) = (&prev.read_at, &cur.read_at);
        let mut secs =
            |p: Option<u64>, c: Option<u64>| window(p, c, between_passes, rules, &mut pass_timed);
        if let (Some(p), Some(c)) = (&prev.cpu, &cur.cpu)
            && let Some(secs) = secs(was.cpu_stat, now.cpu_stat)
        {
            let capped = |pct: Option<f64>| pct.map(|v| v.min(rules.cpu_capacity_pct));
            rates.cpu_pct = capped(usec_pct(p.usage_usec, c.usage_usec, secs));
            rates.cpu_user_pct = capped(usec_pct(p.user_usec, c.user_usec, secs));
            rates.cpu_system_pct = capped(usec_pct(p.system_usec, c.system_usec, secs));
            if let (Some(pp), Some(cp), Some(pt), Some(ct)) =
                (p.nr_periods, c.nr_periods, p.nr_throttled, c.nr_throttled)
            {
                let periods = cp.saturating_sub(pp);
                rates.cpu_throttled_pct = Some(if periods == 0 {
                    0.0
                } else {
                    (ct.saturating_sub(pt) as f64 * 100.0 / periods as f64).min(100.0)
                });
            }
            if let (Some(p), Some(c)) = (p.throttled_usec, c.throttled_usec) {
                rates.cpu_throttled_usec_per_sec = per_second(p, c, secs);
            }
        }
        if let (Some(p), Some(c)) = (&prev.io, &cur.io)
            && let Some(secs) = secs(was.io_stat, now.io_stat)
        {
            let mut total = IoRates::default();
            for cur_dev in c {
                let Some(device) = cur_dev.device else {
                    continue;
                };
                // A device that appeared since the last sample starts from zero.
                let zero = IoDeviceStat::default();
                let prev_dev = p.iter().find(|d| d.device == Some(device)).unwrap_or(&zero);
                if let Some(r) = device_rates(prev_dev, cur_dev, secs) {
                    total.add(&r);
                    rates.io_devices.push(DeviceRates {
                        device,
                        name: None,
                        rates: r,
                    });
                }
            }
            rates.io = Some(total);
        }
        let (pm, cm) = (&prev.memory, &cur.memory);
        // Only where memory.stat was timed both times: never over the time between passes,
        // which would mark every sample of the columns as pass-timed.
        if was.memory_stat.is_some()
            && now.memory_stat.is_some()
            && let Some(secs) = secs(was.memory_stat, now.memory_stat)
        {
            let counter = |p: Option<u64>, c: Option<u64>| per_second(p?, c?, secs);
            if let (Some(p), Some(c)) = (&pm.stat, &cm.stat) {
                rates.memory = Some(MemoryRates {
                    pgfault: counter(p.pgfault, c.pgfault),
                    pgmajfault: counter(p.pgmajfault, c.pgmajfault),
                    workingset_refault_anon: counter(
                        p.workingset_refault_anon,
                        c.workingset_refault_anon,
                    ),
                    workingset_refault_file: counter(
                        p.workingset_refault_file,
                        c.workingset_refault_file,
                    ),
                });
            }
            if let (Some(p), Some(c)) = (&pm.events, &cm.events) {
                rates.memory_events = Some(MemoryEventRates {
                    low: counter(Some(p.low), Some(c.low)),
                    high: counter(Some(p.high), Some(c.high)),
                    max: counter(Some(p.max), Some(c.max)),
                    oom: counter(Some(p.oom), Some(c.oom)),
                    oom_kill: counter(Some(p.oom_kill), Some(c.oom_kill)),
                    oom_group_kill: counter(p.oom_group_kill, c.oom_group_kill),
                });
            }
        }
        let mut psi = |p: &Option<Pressure>, c: &Option<Pressure>, was, now| {
            if p.is_none() || c.is_none() {
                return None;
            }
            pressure_rates(p, c, secs(was, now)?)
        };
        rates.psi = PsiRates {
            cpu: psi(
                &prev.psi.cpu,
                &cur.psi.cpu,
                was.cpu_pressure,
                now.cpu_pressure,
            ),
            memory: psi(
                &prev.psi.memory,
                &cur.psi.memory,
                was.memory_pressure,
                now.memory_pressure,
            ),
            io: psi(&prev.psi.io, &cur.psi.io, was.io_pressure, now.io_pressure),
        };
        rates.pass_timed = pass_timed;
        rates
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::parse;
    use crate::cgroup::sample::ReadTimes;
    use proptest::prelude::*;

    const SEC: u64 = 1_000_000_000;

    /// Rules for a 1 s interval on a 2-CPU machine.
    fn rules() -> RateRules {
        RateRules::new(Duration::from_secs(1), 2)
    }

    /// Every counter file read at `at` (ns).
    fn at(ns: u64) -> ReadTimes {
        ReadTimes {
            cpu_stat: Some(ns),
            io_stat: Some(ns),
            cpu_pressure: Some(ns),
            memory_pressure: Some(ns),
            io_pressure: Some(ns),
            memory_stat: Some(ns),
        }
    }

    fn sample(inode: u64, read_at: u64, cpu: &str, io: &str, psi: &str) -> CgroupSample {
        let mut s = CgroupSample {
            inode,
            cpu: Some(parse::cpu_stat(cpu).unwrap()),
            io: Some(parse::io_stat(io).unwrap()),
            read_at: at(read_at),
            ..CgroupSample::default()
        };
        s.psi.memory = Some(parse::pressure(psi).unwrap());
        s
    }

    fn cpu_sample(inode: u64, read_at: Option<u64>, usage: u64) -> CgroupSample {
        CgroupSample {
            inode,
            cpu: Some(CpuStatBuilder(usage).build()),
            read_at: ReadTimes {
                cpu_stat: read_at,
                ..ReadTimes::default()
            },
            ..CgroupSample::default()
        }
    }

    struct CpuStatBuilder(u64);
    impl CpuStatBuilder {
        fn build(&self) -> parse::CpuStat {
            parse::cpu_stat(&format!(
                "usage_usec {}\nuser_usec 0\nsystem_usec 0\n",
                self.0
            ))
            .unwrap()
        }
    }

    const PSI0: &str = "some avg10=0.00 avg60=0.00 avg300=0.00 total=1000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=500\n";
    const PSI1: &str = "some avg10=9.00 avg60=0.00 avg300=0.00 total=201000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=100500\n";

    #[test]
    fn cpu_io_and_psi_rates() {
        let a = sample(
            7,
            10 * SEC,
            "usage_usec 1000000\nuser_usec 600000\nsystem_usec 400000\nnr_periods 10\nnr_throttled 1\nthrottled_usec 5\n",
            "254:0 rbytes=1000 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n",
            PSI0,
        );
        let b = sample(
            7,
            12 * SEC,
            "usage_usec 2500000\nuser_usec 1600000\nsystem_usec 900000\nnr_periods 20\nnr_throttled 6\nthrottled_usec 9\n",
            "254:0 rbytes=3001000 wbytes=4096 rios=301 wios=2 dbytes=0 dios=0\n8:0 rbytes=2000 wbytes=0 rios=2 wios=0\n",
            PSI1,
        );
        // The passes were 5 s apart, but these files were read 2 s apart: that is the window.
        let r = Rates::between(&a, &b, Duration::from_secs(5), &rules());
        assert_eq!(r.cpu_pct, Some(75.0)); // 1.5 CPU-seconds over 2 s
        assert_eq!(r.cpu_user_pct, Some(50.0));
        assert_eq!(r.cpu_system_pct, Some(25.0));
        assert_eq!(r.cpu_throttled_pct, Some(50.0));
        let io = r.io.unwrap();
        assert_eq!(io.read_bps, 1_501_000.0);
        assert_eq!(io.write_bps, 2048.0);
        assert_eq!(io.read_iops, 151.0);
        assert_eq!(r.io_devices.len(), 2);
        let psi = r.psi.memory.unwrap();
        assert_eq!(psi.some_pct, Some(10.0)); // 200 ms stalled in 2 s
        assert_eq!(psi.full_pct, Some(5.0));
        assert!(r.psi.cpu.is_none());
        assert!(!r.pass_timed);
    }

    #[test]
    fn faults_refaults_memory_events_and_throttled_time_per_second() {
        let memory = |at: Option<u64>, faults: u64, events: &str| {
            let mut s = cpu_sample(7, at, 0);
            s.cpu = Some(
                parse::cpu_stat(&format!(
                    "usage_usec 0\nuser_usec 0\nsystem_usec 0\nnr_periods 10\nnr_throttled 0\nthrottled_usec {}\n",
                    faults * 10
                ))
                .unwrap(),
            );
            s.read_at.memory_stat = at;
            s.memory.stat = Some(
                parse::memory_stat(&format!(
                    "anon 4096\npgfault {faults}\npgmajfault {}\nworkingset_refault_anon 0\nworkingset_refault_file {}\n",
                    faults / 100,
                    faults / 10
                ))
                .unwrap(),
            );
            s.memory.events = Some(parse::memory_events(events).unwrap());
            s
        };
        let a = memory(Some(SEC), 1000, "low 0\nhigh 4\nmax 0\noom 0\noom_kill 0\n");
        let mut b = memory(
            Some(3 * SEC),
            5000,
            "low 0\nhigh 10\nmax 2\noom 1\noom_kill 1\n",
        );
        b.read_at.cpu_stat = Some(3 * SEC);
        let r = Rates::between(&a, &b, Duration::from_secs(9), &rules());
        let m = r.memory.expect("memory.stat read twice, timed");
        assert_eq!(m.pgfault, Some(2000.0));
        assert_eq!(m.pgmajfault, Some(20.0));
        assert_eq!(m.workingset_refault_file, Some(200.0));
        assert_eq!(m.workingset_refault_anon, Some(0.0));
        let e = r.memory_events.expect("events timed by memory.stat");
        assert_eq!(
            (e.high, e.max, e.oom_kill),
            (Some(3.0), Some(1.0), Some(0.5))
        );
        assert_eq!(e.oom_group_kill, None, "absent from this kernel's file");
        assert_eq!(r.cpu_throttled_usec_per_sec, Some(20_000.0));
        assert!(!r.pass_timed);
        // Without memory.stat's read time (rows that do not show it) no memory rate, and
        // the rest is not marked as timed by the passes.
        let (mut a, mut b) = (a, b);
        a.read_at.memory_stat = None;
        b.read_at.memory_stat = None;
        let r = Rates::between(&a, &b, Duration::from_secs(9), &rules());
        assert_eq!((r.memory, r.memory_events), (None, None));
        assert!(!r.pass_timed);
    }

    #[test]
    fn without_read_times_the_passes_time_the_rate_and_say_so() {
        let a = cpu_sample(7, None, 0);
        let b = cpu_sample(7, None, 500_000);
        let r = Rates::between(&a, &b, Duration::from_secs(1), &rules());
        assert_eq!(r.cpu_pct, Some(50.0));
        assert!(r.pass_timed);
    }

    #[test]
    fn a_window_below_the_minimum_is_not_known_yet() {
        let a = cpu_sample(7, Some(SEC), 0);
        let b = cpu_sample(7, Some(SEC + 249_000_000), 100_000);
        assert_eq!(
            Rates::between(&a, &b, Duration::from_secs(1), &rules()).cpu_pct,
            None,
            "249 ms is under a quarter of the 1 s interval"
        );
        let c = cpu_sample(7, Some(SEC + 250_000_000), 100_000);
        assert_eq!(
            Rates::between(&a, &c, Duration::from_secs(1), &rules()).cpu_pct,
            Some(40.0)
        );
        // Whatever the interval, never under 100 ms.
        let fast = RateRules::new(Duration::from_millis(100), 2);
        assert_eq!(fast.min_window, RateRules::MIN_WINDOW);
    }

    #[test]
    fn cpu_is_capped_at_the_machines_capacity() {
        // 2.1 CPU-seconds charged in 1 s on 2 CPUs: accounting lag, shown at capacity.
        let a = cpu_sample(7, Some(SEC), 0);
        let b = cpu_sample(7, Some(2 * SEC), 2_100_000);
        assert_eq!(
            Rates::between(&a, &b, Duration::from_secs(1), &rules()).cpu_pct,
            Some(200.0)
        );
    }

    #[test]
    fn recreated_cgroup_gives_no_rates() {
        let a = sample(
            7,
            SEC,
            "usage_usec 9000000\nuser_usec 0\nsystem_usec 0\n",
            "",
            PSI1,
        );
        let b = sample(
            8,
            2 * SEC,
            "usage_usec 10\nuser_usec 0\nsystem_usec 0\n",
            "",
            PSI0,
        );
        assert_eq!(
            Rates::between(&a, &b, Duration::from_secs(1), &rules()),
            Rates::default()
        );
    }

    #[test]
    fn counter_going_backwards_is_not_a_huge_rate() {
        let a = sample(
            7,
            SEC,
            "usage_usec 9000000\nuser_usec 0\nsystem_usec 0\n",
            "",
            PSI1,
        );
        let b = sample(
            7,
            2 * SEC,
            "usage_usec 10\nuser_usec 0\nsystem_usec 0\n",
            "",
            PSI0,
        );
        let r = Rates::between(&a, &b, Duration::from_secs(1), &rules());
        assert_eq!(r.cpu_pct, None);
        assert_eq!(r.psi.memory.unwrap().some_pct, None);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

        /// A cgroup using `load` CPUs (at most the machine's), read at jittered and delayed
        /// moments, sometimes reset or re-created: no rate above capacity, none negative, none
        /// from a window under the minimum, and an exact one otherwise.
        #[test]
        fn rates_are_never_impossible(
            cpus in 1usize..8,
            interval_ms in 100u64..10_000,
            load_permille in 0u64..=1000,
            first_read_ns in 0u64..1_000_000_000_000,
            window_ns in 0u64..30_000_000_000,
            pass_gap_ns in 0u64..30_000_000_000,
            lag_usec in 0u64..20_000,
            reset in any::<bool>(),
            recreated in any::<bool>(),
            timed in any::<bool>(),
        ) {
            let rules = RateRules::new(Duration::from_millis(interval_ms), cpus);
            let busy_usec = |ns: u64| {
                (ns as u128 * cpus as u128 * load_permille as u128 / 1000 / 1000) as u64
            };
            // A reset counter starts again below where it was.
            let before = busy_usec(first_read_ns) + if reset { 10 } else { 0 };
            let later = first_read_ns + window_ns;
            // The kernel charges a running task's time late (up to a tick per CPU).
            let after = if reset { 5 } else { busy_usec(later) + lag_usec };
            let a = cpu_sample(1, timed.then_some(first_read_ns), before);
            let b = cpu_sample(
                if recreated { 2 } else { 1 },
                timed.then_some(later),
                after,
            );
            let r = Rates::between(&a, &b, Duration::from_nanos(pass_gap_ns), &rules);
            let window = if timed { window_ns } else { pass_gap_ns };
            if let Some(pct) = r.cpu_pct {
                prop_assert!(pct >= 0.0, "negative: {pct}");
                prop_assert!(pct <= rules.cpu_capacity_pct, "{pct} over {}", rules.cpu_capacity_pct);
                prop_assert!(!recreated && !reset);
                prop_assert!(Duration::from_nanos(window) >= rules.min_window);
                prop_assert_eq!(r.pass_timed, !timed);
                if timed {
                    let exact = (after - before) as f64 / (window as f64 / 1e3) * 100.0;
                    prop_assert!((pct - exact.min(rules.cpu_capacity_pct)).abs() < 1e-6);
                }
            } else {
                prop_assert!(
                    recreated || reset || Duration::from_nanos(window) < rules.min_window
                        || window == 0,
                    "no rate over a window of {window} ns"
                );
            }
        }
    }
}
