//! Rates from two samples of the same cgroup: CPU%, IO bytes/s and IOPS, PSI stall %.

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

/// Everything the model derives from (previous sample, current sample, elapsed time).
/// All `None` for the first sample of a cgroup, or after its inode changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Rates {
    /// 100 % = one CPU fully busy.
    pub cpu_pct: Option<f64>,
    pub cpu_user_pct: Option<f64>,
    pub cpu_system_pct: Option<f64>,
    /// Share of CFS periods in which the cgroup was throttled (needs the cpu controller).
    pub cpu_throttled_pct: Option<f64>,
    pub io: Option<IoRates>,
    pub io_devices: Vec<DeviceRates>,
    pub psi: PsiRates,
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

fn pressure_rates(
    prev: &Option<Pressure>,
    cur: &Option<Pressure>,
    secs: f64,
) -> Option<PressureRates> {
    let (prev, cur) = (prev.as_ref()?, cur.as_ref()?);
    Some(PressureRates {
        some_pct: usec_pct(prev.some.total, cur.some.total, secs),
        full_pct: match (prev.full, cur.full) {
            (Some(p), Some(c)) => usec_pct(p.total, c.total, secs),
            _ => None,
        },
    })
}

impl Rates {
    /// Rates between two samples taken `elapsed` apart. The caller guarantees they are of the
    /// same cgroup; a different inode (removed and re-created) yields no rates at all.
    pub fn between(prev: &CgroupSample, cur: &CgroupSample, elapsed: Duration) -> Rates {
        let secs = elapsed.as_secs_f64();
        if prev.inode != cur.inode || secs <= 0.0 {
            return Rates::default();
        }
        let mut rates = Rates::default();
        if let (Some(p), Some(c)) = (&prev.cpu, &cur.cpu) {
            rates.cpu_pct = usec_pct(p.usage_usec, c.usage_usec, secs);
            rates.cpu_user_pct = usec_pct(p.user_usec, c.user_usec, secs);
            rates.cpu_system_pct = usec_pct(p.system_usec, c.system_usec, secs);
            if let (Some(pp), Some(cp), Some(pt), Some(ct)) =
                (p.nr_periods, c.nr_periods, p.nr_throttled, c.nr_throttled)
            {
                let periods = cp.saturating_sub(pp);
                rates.cpu_throttled_pct = Some(if periods == 0 {
                    0.0
                } else {
                    ct.saturating_sub(pt) as f64 * 100.0 / periods as f64
                });
            }
        }
        if let (Some(p), Some(c)) = (&prev.io, &cur.io) {
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
        rates.psi = PsiRates {
            cpu: pressure_rates(&prev.psi.cpu, &cur.psi.cpu, secs),
            memory: pressure_rates(&prev.psi.memory, &cur.psi.memory, secs),
            io: pressure_rates(&prev.psi.io, &cur.psi.io, secs),
        };
        rates
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::parse;

    fn sample(inode: u64, cpu: &str, io: &str, psi: &str) -> CgroupSample {
        let mut s = CgroupSample {
            inode,
            cpu: Some(parse::cpu_stat(cpu).unwrap()),
            io: Some(parse::io_stat(io).unwrap()),
            ..CgroupSample::default()
        };
        s.psi.memory = Some(parse::pressure(psi).unwrap());
        s
    }

    const PSI0: &str = "some avg10=0.00 avg60=0.00 avg300=0.00 total=1000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=500\n";
    const PSI1: &str = "some avg10=9.00 avg60=0.00 avg300=0.00 total=201000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=100500\n";

    #[test]
    fn cpu_io_and_psi_rates() {
        let a = sample(
            7,
            "usage_usec 1000000\nuser_usec 600000\nsystem_usec 400000\nnr_periods 10\nnr_throttled 1\nthrottled_usec 5\n",
            "254:0 rbytes=1000 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n",
            PSI0,
        );
        let b = sample(
            7,
            "usage_usec 2500000\nuser_usec 1600000\nsystem_usec 900000\nnr_periods 20\nnr_throttled 6\nthrottled_usec 9\n",
            "254:0 rbytes=3001000 wbytes=4096 rios=301 wios=2 dbytes=0 dios=0\n8:0 rbytes=2000 wbytes=0 rios=2 wios=0\n",
            PSI1,
        );
        let r = Rates::between(&a, &b, Duration::from_secs(2));
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
    }

    #[test]
    fn recreated_cgroup_gives_no_rates() {
        let a = sample(
            7,
            "usage_usec 9000000\nuser_usec 0\nsystem_usec 0\n",
            "",
            PSI1,
        );
        let b = sample(8, "usage_usec 10\nuser_usec 0\nsystem_usec 0\n", "", PSI0);
        assert_eq!(
            Rates::between(&a, &b, Duration::from_secs(1)),
            Rates::default()
        );
    }

    #[test]
    fn counter_going_backwards_is_not_a_huge_rate() {
        let a = sample(
            7,
            "usage_usec 9000000\nuser_usec 0\nsystem_usec 0\n",
            "",
            PSI1,
        );
        let b = sample(7, "usage_usec 10\nuser_usec 0\nsystem_usec 0\n", "", PSI0);
        let r = Rates::between(&a, &b, Duration::from_secs(1));
        assert_eq!(r.cpu_pct, None);
        assert_eq!(r.psi.memory.unwrap().some_pct, None);
    }
}
