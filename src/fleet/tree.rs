//! The exporter's series (docs/src/export.md) turned back into the samples a local read
//! makes: one [`Moment`] per scrape, so the model, its rates and `snapshot`'s output are the
//! same code as for the kernel's files or a recorded store.
//!
//! What the metrics do not carry stays unknown: the inode and owner, processes, the PSI
//! averages (only the totals are exported: NaN here, `null` in JSON), memory.stat, cpu.max and
//! the other files only a full read has.

use super::client::Series;
use crate::cgroup::CgroupPath;
use crate::cgroup::parse::{
    CgroupEvents, CgroupStat, CpuStat, IoDeviceStat, Limit, Pressure, PressureLine, device_id,
};
use crate::cgroup::sample::{CgroupSample, DetailSample};
use crate::history::store::Moment;
use std::collections::{BTreeMap, HashMap};

/// Every metric name read here, as Prometheus stores it (with the unit and `_total`): the
/// test `every_metric_read_is_exported` holds them to the exporter's.
pub const METRICS: &[&str] = &[
    "cgroup_cpu_usage_seconds_total",
    "cgroup_cpu_user_seconds_total",
    "cgroup_cpu_system_seconds_total",
    "cgroup_cpu_periods_total",
    "cgroup_cpu_throttled_periods_total",
    "cgroup_cpu_throttled_seconds_total",
    "cgroup_memory_usage_bytes",
    "cgroup_memory_swap_bytes",
    "cgroup_memory_max_bytes",
    "cgroup_memory_high_bytes",
    "cgroup_memory_low_bytes",
    "cgroup_memory_min_bytes",
    "cgroup_memory_events_total",
    "cgroup_io_read_bytes_total",
    "cgroup_io_written_bytes_total",
    "cgroup_io_reads_total",
    "cgroup_io_writes_total",
    "cgroup_pids_current",
    "cgroup_pids_max",
    "cgroup_pids_events_total",
    "cgroup_pressure_cpu_waiting_seconds_total",
    "cgroup_pressure_cpu_stalled_seconds_total",
    "cgroup_pressure_memory_waiting_seconds_total",
    "cgroup_pressure_memory_stalled_seconds_total",
    "cgroup_pressure_io_waiting_seconds_total",
    "cgroup_pressure_io_stalled_seconds_total",
    "cgroup_populated",
    "cgroup_frozen",
    "cgroup_descendants",
    "cgroup_dying_descendants",
];

/// Labels that name a series within its cgroup, not the cgroup.
const SERIES_LABELS: &[&str] = &["__name__", "event", "device", "device_name", "job"];

/// One instance's cgroups at the scrapes asked for.
#[derive(Debug, Default)]
pub struct Scrapes {
    /// By scrape time (Unix ms): each cgroup's sample.
    moments: BTreeMap<i64, HashMap<CgroupPath, CgroupSample>>,
    /// Each cgroup's own labels (`cgroup`, `unit`, `user`, `workload_*`, `instance`), from
    /// its newest series.
    pub labels: HashMap<CgroupPath, BTreeMap<String, String>>,
    /// Block device names by `MAJ:MIN`, from `device_name`.
    pub device_names: HashMap<String, String>,
}

/// A cgroup's path from its `cgroup` label (`/`, `/system.slice/x.service`).
pub fn cgroup_path(label: &str) -> Option<CgroupPath> {
    let relative = label.trim_start_matches('/');
    if relative.is_empty() {
        return Some(CgroupPath::root());
    }
    CgroupPath::from_relative(std::path::Path::new(relative))
}

fn ms(unix_seconds: f64) -> i64 {
    (unix_seconds * 1000.0).round() as i64
}

impl Scrapes {
    /// The samples of `series` at the scrape times `times` (Unix ms); points at other times
    /// are ignored.
    pub fn new(series: &[Series], times: &[i64]) -> Scrapes {
        let mut scrapes = Scrapes {
            moments: times.iter().map(|t| (*t, HashMap::new())).collect(),
            ..Scrapes::default()
        };
        for one in series {
            let (Some(name), Some(path)) = (
                one.label("__name__"),
                one.label("cgroup").and_then(cgroup_path),
            ) else {
                continue;
            };
            if let (Some(device), Some(device_name)) =
                (one.label("device"), one.label("device_name"))
            {
                scrapes
                    .device_names
                    .insert(device.to_string(), device_name.to_string());
            }
            let mut seen = false;
            for (t, v) in &one.points {
                let time_ms = ms(*t);
                let Some(moment) = scrapes.moments.get_mut(&time_ms) else {
                    continue;
                };
                let sample = moment.entry(path.clone()).or_default();
                apply(sample, name, one, *v, time_ms);
                seen = true;
            }
            if seen {
                let own = one
                    .labels
                    .iter()
                    .filter(|(k, _)| !SERIES_LABELS.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()));
                scrapes.labels.entry(path).or_default().extend(own);
            }
        }
        scrapes
    }

    /// The scrape at `time_ms` as a recorded moment, parents first.
    pub fn moment(&self, time_ms: i64) -> Option<Moment> {
        let cgroups = self.moments.get(&time_ms)?;
        let mut cgroups: Vec<(CgroupPath, CgroupSample)> = cgroups
            .iter()
            .map(|(path, sample)| (path.clone(), sample.clone()))
            .collect();
        cgroups.sort_by(|(a, _), (b, _)| a.cmp(b));
        Some(Moment { time_ms, cgroups })
    }
}

/// Whole units of a counter or level (bytes, operations, events).
fn count(value: f64) -> u64 {
    if value.is_finite() && value > 0.0 {
        value.round() as u64
    } else {
        0
    }
}

/// Seconds back to the kernel's microseconds.
fn usec(seconds: f64) -> u64 {
    count(seconds * 1e6)
}

/// A limit gauge: `+Inf` is `max`.
fn limit(value: f64) -> Limit {
    if value.is_infinite() {
        Limit::Max
    } else {
        Limit::Value(count(value))
    }
}

/// The PSI averages are not exported: unknown, not zero.
fn pressure_line() -> PressureLine {
    PressureLine {
        avg10: f64::NAN,
        avg60: f64::NAN,
        avg300: f64::NAN,
        total: 0,
    }
}

fn pressure(slot: &mut Option<Pressure>) -> &mut Pressure {
    slot.get_or_insert_with(|| Pressure {
        some: pressure_line(),
        full: None,
    })
}

fn cgroup_stat(sample: &mut CgroupSample) -> &mut CgroupStat {
    sample
        .detail
        .get_or_insert_with(|| Box::new(DetailSample::default()))
        .stat
        .get_or_insert_with(CgroupStat::default)
}

fn device<'a>(sample: &'a mut CgroupSample, series: &Series) -> Option<&'a mut IoDeviceStat> {
    let id = device_id(series.label("device")?).ok()?;
    let lines = sample.io.get_or_insert_with(Vec::new);
    let index = match lines.iter().position(|d| d.device == Some(id)) {
        Some(index) => index,
        None => {
            lines.push(IoDeviceStat {
                device: Some(id),
                ..IoDeviceStat::default()
            });
            lines.len() - 1
        }
    };
    lines.get_mut(index)
}

/// One point of one series into the sample of its cgroup; a counter's read time is its
/// scrape's, so rates are over the time between two scrapes.
fn apply(sample: &mut CgroupSample, name: &str, series: &Series, value: f64, time_ms: i64) {
    let read_at = Some(crate::history::codec::anchor_of(time_ms));
    let event = series.label("event");
    fn cpu(sample: &mut CgroupSample, read_at: Option<u64>) -> &mut CpuStat {
        sample.read_at.cpu_stat = read_at;
        sample.cpu.get_or_insert_with(CpuStat::default)
    }
    let memory = &mut sample.memory;
    match name {
        "cgroup_cpu_usage_seconds_total" => cpu(sample, read_at).usage_usec = usec(value),
        "cgroup_cpu_user_seconds_total" => cpu(sample, read_at).user_usec = usec(value),
        "cgroup_cpu_system_seconds_total" => cpu(sample, read_at).system_usec = usec(value),
        "cgroup_cpu_periods_total" => cpu(sample, read_at).nr_periods = Some(count(value)),
        "cgroup_cpu_throttled_periods_total" => {
            cpu(sample, read_at).nr_throttled = Some(count(value))
        }
        "cgroup_cpu_throttled_seconds_total" => {
            cpu(sample, read_at).throttled_usec = Some(usec(value))
        }
        "cgroup_memory_usage_bytes" => memory.current = Some(count(value)),
        "cgroup_memory_swap_bytes" => memory.swap_current = Some(count(value)),
        "cgroup_memory_max_bytes" => memory.max = Some(limit(value)),
        "cgroup_memory_high_bytes" => memory.high = Some(limit(value)),
        "cgroup_memory_low_bytes" => memory.low = Some(limit(value)),
        "cgroup_memory_min_bytes" => memory.min = Some(limit(value)),
        "cgroup_memory_events_total" => {
            let events = memory.events.get_or_insert_with(Default::default);
            match event {
                Some("low") => events.low = count(value),
                Some("high") => events.high = count(value),
                Some("max") => events.max = count(value),
                Some("oom") => events.oom = count(value),
                Some("oom_kill") => events.oom_kill = count(value),
                Some("oom_group_kill") => events.oom_group_kill = Some(count(value)),
                _ => {}
            }
        }
        "cgroup_io_read_bytes_total"
        | "cgroup_io_written_bytes_total"
        | "cgroup_io_reads_total"
        | "cgroup_io_writes_total" => {
            sample.read_at.io_stat = read_at;
            if let Some(device) = device(sample, series) {
                let field = match name {
                    "cgroup_io_read_bytes_total" => &mut device.rbytes,
                    "cgroup_io_written_bytes_total" => &mut device.wbytes,
                    "cgroup_io_reads_total" => &mut device.rios,
                    _ => &mut device.wios,
                };
                *field = count(value);
            }
        }
        "cgroup_pids_current" => sample.pids.current = Some(count(value)),
        "cgroup_pids_max" => sample.pids.max = Some(limit(value)),
        "cgroup_pids_events_total" if event == Some("max") => {
            sample.pids.events.get_or_insert_with(Default::default).max = count(value);
        }
        "cgroup_populated" => {
            sample
                .events
                .get_or_insert_with(CgroupEvents::default)
                .populated = value != 0.0;
        }
        "cgroup_frozen" => {
            sample
                .events
                .get_or_insert_with(CgroupEvents::default)
                .frozen = value != 0.0;
        }
        "cgroup_descendants" => cgroup_stat(sample).nr_descendants = count(value),
        "cgroup_dying_descendants" => cgroup_stat(sample).nr_dying_descendants = count(value),
        _ => {
            let Some(rest) = name.strip_prefix("cgroup_pressure_") else {
                return;
            };
            let (resource, line) = match rest.split_once('_') {
                Some((resource, line)) => (resource, line),
                None => return,
            };
            let (slot, time) = match resource {
                "cpu" => (&mut sample.psi.cpu, &mut sample.read_at.cpu_pressure),
                "memory" => (&mut sample.psi.memory, &mut sample.read_at.memory_pressure),
                "io" => (&mut sample.psi.io, &mut sample.read_at.io_pressure),
                _ => return,
            };
            *time = read_at;
            let pressure = pressure(slot);
            match line {
                "waiting_seconds_total" => pressure.some.total = usec(value),
                "stalled_seconds_total" => {
                    pressure.full.get_or_insert_with(pressure_line).total = usec(value);
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(labels: &[(&str, &str)], points: &[(f64, f64)]) -> Series {
        Series {
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            points: points.to_vec(),
        }
    }

    #[test]
    fn series_become_the_samples_of_two_scrapes() {
        let cgroup = "/system.slice/a.service";
        let answer = [
            series(
                &[
                    ("__name__", "cgroup_cpu_usage_seconds_total"),
                    ("cgroup", cgroup),
                ],
                &[(100.0, 1.5), (115.0, 3.0), (130.0, 4.5)],
            ),
            series(
                &[
                    ("__name__", "cgroup_memory_max_bytes"),
                    ("cgroup", cgroup),
                    ("unit", "a.service"),
                ],
                &[(115.0, f64::INFINITY), (130.0, 1048576.0)],
            ),
            series(
                &[
                    ("__name__", "cgroup_memory_events_total"),
                    ("cgroup", cgroup),
                    ("event", "oom_kill"),
                ],
                &[(130.0, 2.0)],
            ),
            series(
                &[
                    ("__name__", "cgroup_io_read_bytes_total"),
                    ("cgroup", cgroup),
                    ("device", "8:0"),
                    ("device_name", "sda"),
                ],
                &[(130.0, 4096.0)],
            ),
            series(
                &[
                    ("__name__", "cgroup_pressure_memory_stalled_seconds_total"),
                    ("cgroup", "/"),
                ],
                &[(130.0, 0.25)],
            ),
        ];
        let scrapes = Scrapes::new(&answer, &[115_000, 130_000]);
        let previous = scrapes.moment(115_000).unwrap();
        let current = scrapes.moment(130_000).unwrap();
        let path = cgroup_path(cgroup).unwrap();
        let find = |m: &Moment, p: &CgroupPath| {
            m.cgroups
                .iter()
                .find(|(q, _)| q == p)
                .map(|(_, s)| s.clone())
                .unwrap()
        };
        let before = find(&previous, &path);
        let now = find(&current, &path);
        assert_eq!(before.cpu.unwrap().usage_usec, 3_000_000);
        assert_eq!(now.cpu.unwrap().usage_usec, 4_500_000);
        assert_eq!(before.memory.max, Some(Limit::Max));
        assert_eq!(now.memory.max, Some(Limit::Value(1 << 20)));
        assert_eq!(now.memory.events.unwrap().oom_kill, 2);
        assert_eq!(now.io.as_ref().unwrap()[0].rbytes, 4096);
        assert_eq!(
            now.read_at.cpu_stat,
            Some(crate::history::codec::anchor_of(130_000))
        );
        let root = find(&current, &CgroupPath::root());
        let memory = root.psi.memory.unwrap();
        assert_eq!(memory.full.unwrap().total, 250_000);
        assert!(memory.some.avg10.is_nan(), "averages are not exported");
        assert_eq!(scrapes.labels[&path]["unit"], "a.service");
        assert!(!scrapes.labels[&path].contains_key("__name__"));
        assert_eq!(scrapes.device_names["8:0"], "sda");
        // Parents first.
        assert_eq!(current.cgroups[0].0, CgroupPath::root());
        assert!(
            scrapes.moment(100_000).is_none(),
            "only the scrapes asked for"
        );
    }

    #[test]
    fn every_metric_read_is_exported() {
        let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("crates/cgroupv2/tests/fixtures/debian12");
        let Ok(fs) = crate::cgroup::Cgroupfs::fixture(&fixture) else {
            panic!("the fixture {} cannot be opened", fixture.display());
        };
        let selection =
            crate::export::Selection::new(&crate::export::SelectionArgs::default()).unwrap();
        let mut exporter = crate::export::Exporter::new(fs, CgroupPath::root(), selection);
        let scrape = std::sync::Arc::new(exporter.scrape(None));
        let text = scrape.encode(crate::export::Format::Prometheus);
        for name in METRICS {
            // The fixture has no swap and no throttling: those families are only declared
            // where a cgroup has them, so look for the name or its family's HELP.
            let family = name.trim_end_matches("_total");
            assert!(
                text.contains(&format!("\n{name}{{")) || text.contains(&format!("# HELP {family}")),
                "{name} is not in the exposition"
            );
        }
    }
}
