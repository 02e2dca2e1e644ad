//! `cgtui export` and `cgtui snapshot --format openmetrics`: the tree's raw counters, levels
//! and limits as an OpenMetrics (or Prometheus text) exposition, encoded by the official
//! client (`prometheus-client`) from one read of each file per scrape.
//!
//! A scrape walks the tree, keeps the cgroups the selection allows ([`Selection`]), reads each
//! once ([`Scope::Metrics`], files kept open between scrapes like the TUI's sampler), labels it
//! ([`labels_of`]) and encodes everything from that one read. Nothing is registered between
//! scrapes, so a cgroup that is gone is simply not in the next exposition. Metric names and
//! labels are listed in the manual, docs/src/export.md.

pub mod server;

use crate::cgroup::devices::Devices;
use crate::cgroup::parse::{Limit, Pressure};
use crate::cgroup::sample::{CgroupSample, KnownEvents, Scope};
use crate::cgroup::systemd;
use crate::cgroup::{CgroupPath, Cgroupfs};
use anyhow::{Context, Result};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::{Registry, Unit};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The default for `--max-cgroups`: a big host's whole tree, a bounded number of series.
pub const DEFAULT_MAX_CGROUPS: usize = 5000;
/// The default for `--max-bytes` (64 MiB): a big host's whole tree (5,000 cgroups with
/// ordinary names take about 20 MB), while long hostile names cannot bloat it.
pub const DEFAULT_MAX_BYTES: usize = 64 << 20;

/// Which cgroups are exported: `--include`, `--exclude`, `--max-depth`, `--max-cgroups`.
#[derive(clap::Args, Debug, Clone)]
pub struct SelectionArgs {
    /// Export only cgroups whose path matches GLOB (repeatable): relative to the mount, `*`
    /// within one name, `**` across names, e.g. `system.slice/*` or `user.slice/**`.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Leave out cgroups whose path matches GLOB (repeatable; wins over --include).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Export cgroups at most N levels below the root (--root, or the mount); 0: the root alone.
    #[arg(long, value_name = "N")]
    pub max_depth: Option<usize>,
    /// Export at most N cgroups (in tree order, parents first); the rest are counted in
    /// cgtui_export_cgroups_omitted.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CGROUPS)]
    pub max_cgroups: usize,
    /// Keep the exposition under about N bytes: a cgroup whose series would pass it is left
    /// out and counted in cgtui_export_cgroups_omitted{reason="bytes"}.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_BYTES)]
    pub max_bytes: usize,
}

impl Default for SelectionArgs {
    fn default() -> Self {
        SelectionArgs {
            include: Vec::new(),
            exclude: Vec::new(),
            max_depth: None,
            max_cgroups: DEFAULT_MAX_CGROUPS,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// [`SelectionArgs`], compiled.
#[derive(Debug, Clone)]
pub struct Selection {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
    max_depth: Option<usize>,
    max_cgroups: usize,
    max_bytes: usize,
}

fn glob_set(globs: &[String], flag: &str) -> Result<Option<GlobSet>> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut set = GlobSetBuilder::new();
    for glob in globs {
        // Paths are matched without the leading `/`; a pattern may have one.
        let pattern = glob.trim_start_matches('/');
        let glob = GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .with_context(|| format!("{flag} {glob:?} is not a valid glob"))?;
        set.add(glob);
    }
    Ok(Some(
        set.build().with_context(|| format!("{flag}: bad globs"))?,
    ))
}

impl Selection {
    pub fn new(args: &SelectionArgs) -> Result<Selection> {
        if args.max_cgroups == 0 {
            anyhow::bail!("--max-cgroups 0 would export nothing: give at least 1");
        }
        Ok(Selection {
            include: glob_set(&args.include, "--include")?,
            exclude: glob_set(&args.exclude, "--exclude")?,
            max_depth: args.max_depth,
            max_cgroups: args.max_cgroups,
            max_bytes: args.max_bytes,
        })
    }

    /// Is `path` (`depth` levels below the base) exported, before the --max-cgroups cap?
    pub fn admits(&self, path: &CgroupPath, depth: usize) -> bool {
        if self.max_depth.is_some_and(|max| depth > max) {
            return false;
        }
        let relative = path.as_path();
        if self
            .include
            .as_ref()
            .is_some_and(|set| !set.is_match(relative))
        {
            return false;
        }
        !self
            .exclude
            .as_ref()
            .is_some_and(|set| set.is_match(relative))
    }
}

/// The exposition formats, and which a scraper's `Accept` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    OpenMetrics,
    Prometheus,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Format::Prometheus => prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
        }
    }

    /// OpenMetrics unless `Accept` prefers the Prometheus text format (`text/plain`) to it.
    pub fn from_accept(accept: Option<&str>) -> Format {
        let Some(accept) = accept else {
            return Format::OpenMetrics;
        };
        let (mut openmetrics, mut text) = (None::<f32>, None::<f32>);
        for range in accept.split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let slot = match media.as_str() {
                "application/openmetrics-text" => &mut openmetrics,
                "text/plain" => &mut text,
                _ => continue,
            };
            *slot = Some(slot.map_or(q, |best| best.max(q)));
        }
        match (openmetrics, text) {
            (Some(om), Some(t)) if t > om => Format::Prometheus,
            (None | Some(0.0), Some(t)) if t > 0.0 => Format::Prometheus,
            _ => Format::OpenMetrics,
        }
    }
}

/// One exported cgroup: its labels and its one read.
#[derive(Debug)]
struct Row {
    labels: Vec<(&'static str, String)>,
    sample: CgroupSample,
    /// io.stat's devices as labels: `major:minor` and the name, where known.
    devices: Vec<(String, Option<String>)>,
}

/// The length of a label value as the exposition escapes it (`\\`, `\"`, `\n`).
fn escaped_len(value: &str) -> usize {
    value.len()
        + value
            .bytes()
            .filter(|b| matches!(b, b'\\' | b'"' | b'\n'))
            .count()
}

impl Row {
    /// About what this row's series take in the exposition (a little more than they do):
    /// each series repeats the metric's name and every label.
    fn encoded_len(&self) -> usize {
        let labels: usize = self
            .labels
            .iter()
            .map(|(key, value)| key.len() + 4 + escaped_len(value))
            .sum();
        families()
            .iter()
            .map(|family| {
                (family.series)(self)
                    .iter()
                    .map(|(extra, _)| {
                        let extra: usize = extra
                            .iter()
                            .map(|(key, value)| key.len() + 4 + escaped_len(value))
                            .sum();
                        family.name.len() + 16 + labels + extra + 32
                    })
                    .sum::<usize>()
            })
            .sum()
    }
}

/// One scrape's reads, ready to encode (in either format, any number of times).
#[derive(Debug)]
pub struct Scrape {
    rows: Vec<Row>,
    omitted_by_cap: usize,
    omitted_by_deadline: usize,
    omitted_by_bytes: usize,
    /// What the rows' series take in the exposition, about ([`Row::encoded_len`]).
    bytes: usize,
    unreadable_files: usize,
    read_seconds: f64,
}

/// Reads the tree for scrapes, keeping files open and names cached between them.
pub struct Exporter {
    fs: Cgroupfs,
    base: CgroupPath,
    selection: Selection,
    collector: crate::collect::Collector,
    devices: Devices,
    users: HashMap<u32, String>,
}

/// The files a scrape keeps open between scrapes at most: a cgroup has about 18, so the
/// default --max-cgroups fits; beyond it files are opened, read and closed each time.
const KEEP_OPEN: usize = 100_000;

impl Exporter {
    pub fn new(fs: Cgroupfs, base: CgroupPath, selection: Selection) -> Exporter {
        let devices = fs.devices();
        Exporter {
            collector: crate::collect::Collector::keeping_open_at_most(fs.clone(), KEEP_OPEN)
                .carrying(),
            fs,
            base,
            selection,
            devices,
            users: HashMap::new(),
        }
    }

    /// Read every selected cgroup once. Past `deadline` (the scraper's timeout) the rest are
    /// left out and counted, so a slow tree still answers in time.
    pub fn scrape(&mut self, deadline: Option<Instant>) -> Scrape {
        self.scrape_until(&|| deadline)
    }

    /// [`Exporter::scrape`] with a deadline that may move while the tree is read (others
    /// waiting for this read extend it to theirs).
    pub fn scrape_until(&mut self, deadline: &dyn Fn() -> Option<Instant>) -> Scrape {
        let started = Instant::now();
        let systemd_hierarchy = systemd::is_systemd_hierarchy(&self.fs);
        let base_depth = self.base.depth();
        let mut rows = Vec::new();
        let (mut omitted_by_cap, mut omitted_by_deadline, mut unreadable_files) = (0, 0, 0);
        let (mut omitted_by_bytes, mut bytes) = (0, 0usize);
        self.collector.begin_pass();
        for path in self.collector.walk(&self.base) {
            if !self.selection.admits(&path, path.depth() - base_depth) {
                self.collector.keep(&path);
                continue;
            }
            if rows.len() >= self.selection.max_cgroups {
                omitted_by_cap += 1;
                continue;
            }
            if deadline().is_some_and(|d| Instant::now() >= d) {
                omitted_by_deadline += 1;
                continue;
            }
            // A cgroup removed since the walk is simply not exported.
            let Some(sample) = self
                .collector
                .read(&path, Scope::Metrics, &KnownEvents::default())
            else {
                continue;
            };
            let sample = *sample;
            unreadable_files += sample.unreadable.len();
            let labels = self.labels_of(&path, systemd_hierarchy);
            let devices = sample
                .io
                .iter()
                .flatten()
                .filter_map(|stat| stat.device)
                .map(|id| (id.to_string(), self.devices.name(id)))
                .collect();
            let row = Row {
                labels,
                sample,
                devices,
            };
            // Long names repeat in every series: a row that would pass the budget is left
            // out (later, smaller ones may still fit).
            let len = row.encoded_len();
            if bytes.saturating_add(len) > self.selection.max_bytes {
                omitted_by_bytes += 1;
                continue;
            }
            bytes += len;
            rows.push(row);
        }
        self.collector.end_pass();
        Scrape {
            rows,
            omitted_by_cap,
            omitted_by_deadline,
            omitted_by_bytes,
            bytes,
            unreadable_files,
            read_seconds: started.elapsed().as_secs_f64(),
        }
    }

    /// The labels of every series of `path`: `cgroup`, then `unit`, `slice`, `user` where
    /// systemd's units say so, then the workload's.
    fn labels_of(
        &mut self,
        path: &CgroupPath,
        systemd_hierarchy: bool,
    ) -> Vec<(&'static str, String)> {
        let mut labels = vec![("cgroup", path.to_string())];
        let place = systemd::place(path, systemd_hierarchy);
        if let Some(unit) = place.unit {
            labels.push(("unit", unit));
        }
        if let Some(slice) = place.slice {
            labels.push(("slice", slice));
        }
        if let Some(uid) = place.uid {
            let fs = &self.fs;
            let name = self.users.entry(uid).or_insert_with(|| fs.user_name(uid));
            labels.push(("user", name.clone()));
        }
        labels.extend(workload_labels(path));
        labels
    }
}

/// The container/workload labels of a cgroup, from its path alone ([`Workload::of`]): the one
/// place where they are added. `kind`, `id` and `name` become `workload_kind`, `workload_id`,
/// `workload_name` (cAdvisor's `id` and `name` mean other things); `user` is already labelled.
fn workload_labels(path: &CgroupPath) -> Vec<(&'static str, String)> {
    crate::cgroup::workload::Workload::of(path)
        .labels()
        .into_iter()
        .filter_map(|(key, value)| {
            let key = match key {
                "kind" => "workload_kind",
                "id" => "workload_id",
                "name" => "workload_name",
                "user" => return None,
                other => other,
            };
            Some((key, value))
        })
        .collect()
}

/// prometheus-client writes an infinite value as Rust prints it (`inf`); both text formats
/// spell it `+Inf`, and strict parsers accept only that. A sample's value is the last field of
/// its line (label values escape newlines), so only line ends are rewritten.
fn spell_infinity(text: String) -> String {
    if !text.contains(" inf\n") && !text.contains(" -inf\n") {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        if let Some(head) = line.strip_suffix(" inf\n") {
            out.push_str(head);
            out.push_str(" +Inf\n");
        } else if let Some(head) = line.strip_suffix(" -inf\n") {
            out.push_str(head);
            out.push_str(" -Inf\n");
        } else {
            out.push_str(line);
        }
    }
    out
}

impl Scrape {
    /// The exposition, in `format`.
    pub fn encode(self: &Arc<Self>, format: Format) -> String {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(self.clone()));
        let mut out = String::with_capacity(self.bytes + 4096);
        let encoded = match format {
            Format::OpenMetrics => prometheus_client::encoding::text::encode(&mut out, &registry),
            Format::Prometheus => {
                prometheus_client::encoding::prometheus_text::encode(&mut out, &registry)
            }
        };
        // Writing to a String cannot fail; a label set that could not be encoded would be a
        // bug in the metric table below.
        debug_assert!(encoded.is_ok(), "encoding failed");
        spell_infinity(out)
    }

    pub fn cgroups(&self) -> usize {
        self.rows.len()
    }

    pub fn read_time(&self) -> Duration {
        Duration::from_secs_f64(self.read_seconds)
    }
}

/// A value of one series.
#[derive(Clone, Copy)]
enum Value {
    Count(u64),
    Seconds(f64),
    Gauge(f64),
}

fn usec(us: u64) -> Value {
    Value::Seconds(us as f64 / 1e6)
}

fn limit(limit: Limit) -> Value {
    Value::Gauge(limit.value().map_or(f64::INFINITY, |v| v as f64))
}

fn flag(on: bool) -> Value {
    Value::Gauge(if on { 1.0 } else { 0.0 })
}

/// A cgroup's labels followed by a series' own (`device`, `event`).
struct Labels<'a> {
    cgroup: &'a [(&'static str, String)],
    extra: &'a [(&'static str, &'a str)],
}

impl EncodeLabelSet for Labels<'_> {
    fn encode(
        &self,
        encoder: &mut prometheus_client::encoding::LabelSetEncoder,
    ) -> std::fmt::Result {
        for (key, value) in self.cgroup {
            prometheus_client::encoding::EncodeLabel::encode(
                &(*key, value.as_str()),
                encoder.encode_label(),
            )?;
        }
        for label in self.extra {
            prometheus_client::encoding::EncodeLabel::encode(label, encoder.encode_label())?;
        }
        Ok(())
    }
}

/// Series of one row: extra labels and a value each.
type Series<'a> = Vec<(Vec<(&'static str, &'a str)>, Value)>;

/// One metric family: its name (without the unit and `_total`), help, unit and kind, and how
/// to get its series from a row.
struct Family {
    name: &'static str,
    help: &'static str,
    unit: Option<Unit>,
    kind: MetricType,
    series: for<'a> fn(&'a Row) -> Series<'a>,
}

/// One unlabelled series from an optional value.
fn one(value: Option<Value>) -> Series<'static> {
    value.map(|v| vec![(Vec::new(), v)]).unwrap_or_default()
}

fn pressure_some(p: Option<Pressure>) -> Series<'static> {
    one(p.map(|p| usec(p.some.total)))
}

fn pressure_full(p: Option<Pressure>) -> Series<'static> {
    one(p.and_then(|p| p.full).map(|full| usec(full.total)))
}

/// Per-device io.stat series.
fn io_series<'a>(
    row: &'a Row,
    field: fn(&crate::cgroup::parse::IoDeviceStat) -> u64,
) -> Series<'a> {
    let mut out = Vec::new();
    let stats = row
        .sample
        .io
        .iter()
        .flatten()
        .filter(|s| s.device.is_some());
    for (stat, (device, name)) in stats.zip(&row.devices) {
        let mut labels = vec![("device", device.as_str())];
        if let Some(name) = name {
            labels.push(("device_name", name.as_str()));
        }
        out.push((labels, Value::Count(field(stat))));
    }
    out
}

fn families() -> Vec<Family> {
    use MetricType::{Counter, Gauge};
    vec![
        Family {
            name: "cgroup_cpu_usage_seconds",
            help: "CPU time used by the cgroup's tasks (cpu.stat usage_usec).",
            unit: None,
            kind: Counter,
            series: |r| one(r.sample.cpu.map(|c| usec(c.usage_usec))),
        },
        Family {
            name: "cgroup_cpu_user_seconds",
            help: "CPU time in user mode (cpu.stat user_usec).",
            unit: None,
            kind: Counter,
            series: |r| one(r.sample.cpu.map(|c| usec(c.user_usec))),
        },
        Family {
            name: "cgroup_cpu_system_seconds",
            help: "CPU time in kernel mode (cpu.stat system_usec).",
            unit: None,
            kind: Counter,
            series: |r| one(r.sample.cpu.map(|c| usec(c.system_usec))),
        },
        Family {
            name: "cgroup_cpu_periods",
            help: "Enforcement periods of cpu.max that elapsed (cpu.stat nr_periods).",
            unit: None,
            kind: Counter,
            series: |r| one(r.sample.cpu.and_then(|c| c.nr_periods).map(Value::Count)),
        },
        Family {
            name: "cgroup_cpu_throttled_periods",
            help: "Periods in which cpu.max throttled the cgroup (cpu.stat nr_throttled).",
            unit: None,
            kind: Counter,
            series: |r| one(r.sample.cpu.and_then(|c| c.nr_throttled).map(Value::Count)),
        },
        Family {
            name: "cgroup_cpu_throttled_seconds",
            help: "Time the cgroup's tasks were throttled by cpu.max (cpu.stat throttled_usec).",
            unit: None,
            kind: Counter,
            series: |r| one(r.sample.cpu.and_then(|c| c.throttled_usec).map(usec)),
        },
        Family {
            name: "cgroup_memory_usage",
            help: "Memory in use by the cgroup and its descendants (memory.current).",
            unit: Some(Unit::Bytes),
            kind: Gauge,
            series: |r| one(r.sample.memory.current.map(|v| Value::Gauge(v as f64))),
        },
        Family {
            name: "cgroup_memory_swap",
            help: "Swap in use by the cgroup and its descendants (memory.swap.current).",
            unit: Some(Unit::Bytes),
            kind: Gauge,
            series: |r| one(r.sample.memory.swap_current.map(|v| Value::Gauge(v as f64))),
        },
        Family {
            name: "cgroup_memory_max",
            help: "Hard memory limit (memory.max; +Inf for max).",
            unit: Some(Unit::Bytes),
            kind: Gauge,
            series: |r| one(r.sample.memory.max.map(limit)),
        },
        Family {
            name: "cgroup_memory_high",
            help: "Memory throttling limit (memory.high; +Inf for max).",
            unit: Some(Unit::Bytes),
            kind: Gauge,
            series: |r| one(r.sample.memory.high.map(limit)),
        },
        Family {
            name: "cgroup_memory_low",
            help: "Best-effort memory protection (memory.low).",
            unit: Some(Unit::Bytes),
            kind: Gauge,
            series: |r| one(r.sample.memory.low.map(limit)),
        },
        Family {
            name: "cgroup_memory_min",
            help: "Hard memory protection (memory.min).",
            unit: Some(Unit::Bytes),
            kind: Gauge,
            series: |r| one(r.sample.memory.min.map(limit)),
        },
        Family {
            name: "cgroup_memory_events",
            help: "memory.events counters by event: oom, oom_kill, oom_group_kill, high, max, low.",
            unit: None,
            kind: Counter,
            series: |r| {
                let Some(e) = r.sample.memory.events else {
                    return Vec::new();
                };
                let mut out = vec![
                    (vec![("event", "oom")], Value::Count(e.oom)),
                    (vec![("event", "oom_kill")], Value::Count(e.oom_kill)),
                    (vec![("event", "high")], Value::Count(e.high)),
                    (vec![("event", "max")], Value::Count(e.max)),
                    (vec![("event", "low")], Value::Count(e.low)),
                ];
                if let Some(group) = e.oom_group_kill {
                    out.push((vec![("event", "oom_group_kill")], Value::Count(group)));
                }
                out
            },
        },
        Family {
            name: "cgroup_io_read",
            help: "Bytes read, by device (io.stat rbytes).",
            unit: Some(Unit::Bytes),
            kind: Counter,
            series: |r| io_series(r, |s| s.rbytes),
        },
        Family {
            name: "cgroup_io_written",
            help: "Bytes written, by device (io.stat wbytes).",
            unit: Some(Unit::Bytes),
            kind: Counter,
            series: |r| io_series(r, |s| s.wbytes),
        },
        Family {
            name: "cgroup_io_reads",
            help: "Read operations, by device (io.stat rios).",
            unit: None,
            kind: Counter,
            series: |r| io_series(r, |s| s.rios),
        },
        Family {
            name: "cgroup_io_writes",
            help: "Write operations, by device (io.stat wios).",
            unit: None,
            kind: Counter,
            series: |r| io_series(r, |s| s.wios),
        },
        Family {
            name: "cgroup_pids_current",
            help: "Tasks in the cgroup and its descendants (pids.current).",
            unit: None,
            kind: Gauge,
            series: |r| one(r.sample.pids.current.map(|v| Value::Gauge(v as f64))),
        },
        Family {
            name: "cgroup_pids_max",
            help: "Task limit (pids.max; +Inf for max).",
            unit: None,
            kind: Gauge,
            series: |r| one(r.sample.pids.max.map(limit)),
        },
        Family {
            name: "cgroup_pids_events",
            help: "pids.events counters by event: max (a fork refused at pids.max).",
            unit: None,
            kind: Counter,
            series: |r| {
                let events = r.sample.pids.events;
                events.map_or_else(Vec::new, |e| {
                    vec![(vec![("event", "max")], Value::Count(e.max))]
                })
            },
        },
        Family {
            name: "cgroup_pressure_cpu_waiting_seconds",
            help: "Time some tasks waited for CPU (cpu.pressure some total).",
            unit: None,
            kind: Counter,
            series: |r| pressure_some(r.sample.psi.cpu),
        },
        Family {
            name: "cgroup_pressure_cpu_stalled_seconds",
            help: "Time all non-idle tasks stalled on CPU (cpu.pressure full total).",
            unit: None,
            kind: Counter,
            series: |r| pressure_full(r.sample.psi.cpu),
        },
        Family {
            name: "cgroup_pressure_memory_waiting_seconds",
            help: "Time some tasks waited for memory (memory.pressure some total).",
            unit: None,
            kind: Counter,
            series: |r| pressure_some(r.sample.psi.memory),
        },
        Family {
            name: "cgroup_pressure_memory_stalled_seconds",
            help: "Time all non-idle tasks stalled on memory (memory.pressure full total).",
            unit: None,
            kind: Counter,
            series: |r| pressure_full(r.sample.psi.memory),
        },
        Family {
            name: "cgroup_pressure_io_waiting_seconds",
            help: "Time some tasks waited for IO (io.pressure some total).",
            unit: None,
            kind: Counter,
            series: |r| pressure_some(r.sample.psi.io),
        },
        Family {
            name: "cgroup_pressure_io_stalled_seconds",
            help: "Time all non-idle tasks stalled on IO (io.pressure full total).",
            unit: None,
            kind: Counter,
            series: |r| pressure_full(r.sample.psi.io),
        },
        Family {
            name: "cgroup_populated",
            help: "1 if the cgroup or a descendant has a live process (cgroup.events populated).",
            unit: None,
            kind: Gauge,
            series: |r| one(r.sample.events.map(|e| flag(e.populated))),
        },
        Family {
            name: "cgroup_frozen",
            help: "1 if the cgroup is frozen (cgroup.events frozen).",
            unit: None,
            kind: Gauge,
            series: |r| one(r.sample.events.map(|e| flag(e.frozen))),
        },
        Family {
            name: "cgroup_descendants",
            help: "Live descendant cgroups (cgroup.stat nr_descendants).",
            unit: None,
            kind: Gauge,
            series: |r| {
                let stat = r.sample.detail.as_ref().and_then(|d| d.stat);
                one(stat.map(|s| Value::Gauge(s.nr_descendants as f64)))
            },
        },
        Family {
            name: "cgroup_dying_descendants",
            help: "Removed descendant cgroups the kernel still holds (cgroup.stat nr_dying_descendants).",
            unit: None,
            kind: Gauge,
            series: |r| {
                let stat = r.sample.detail.as_ref().and_then(|d| d.stat);
                one(stat.map(|s| Value::Gauge(s.nr_dying_descendants as f64)))
            },
        },
    ]
}

fn encode_value(
    value: Value,
    encoder: prometheus_client::encoding::MetricEncoder,
) -> std::fmt::Result {
    match value {
        Value::Count(v) => ConstCounter::new(v).encode(encoder),
        Value::Seconds(v) => ConstCounter::new(v).encode(encoder),
        Value::Gauge(v) => ConstGauge::new(v).encode(encoder),
    }
}

/// An exporter's own gauge, unlabelled or with one label.
fn own_gauge(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    series: &[(Option<(&'static str, &str)>, f64)],
) -> std::fmt::Result {
    let mut metric = encoder.encode_descriptor(name, help, unit, MetricType::Gauge)?;
    for (label, value) in series {
        let labels: Vec<(&str, &str)> = label.iter().copied().collect();
        ConstGauge::new(*value).encode(metric.encode_family(&labels)?)?;
    }
    Ok(())
}

impl Collector for Scrape {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        for family in families() {
            let per_row: Vec<(&Row, Series)> = self
                .rows
                .iter()
                .map(|row| (row, (family.series)(row)))
                .filter(|(_, series)| !series.is_empty())
                .collect();
            // A family no cgroup has (a controller the hierarchy lacks) is left out whole.
            if per_row.is_empty() {
                continue;
            }
            let mut metric = encoder.encode_descriptor(
                family.name,
                family.help,
                family.unit.as_ref(),
                family.kind,
            )?;
            for (row, series) in &per_row {
                for (extra, value) in series {
                    let labels = Labels {
                        cgroup: &row.labels,
                        extra,
                    };
                    encode_value(*value, metric.encode_family(&labels)?)?;
                }
            }
        }
        own_gauge(
            &mut encoder,
            "cgtui_export_cgroups",
            "Cgroups in this exposition.",
            None,
            &[(None, self.rows.len() as f64)],
        )?;
        own_gauge(
            &mut encoder,
            "cgtui_export_cgroups_omitted",
            "Selected cgroups left out: over --max-cgroups (reason max_cgroups), not read before the scrape timeout (reason deadline), or their series would pass --max-bytes (reason bytes).",
            None,
            &[
                (Some(("reason", "max_cgroups")), self.omitted_by_cap as f64),
                (
                    Some(("reason", "deadline")),
                    self.omitted_by_deadline as f64,
                ),
                (Some(("reason", "bytes")), self.omitted_by_bytes as f64),
            ],
        )?;
        own_gauge(
            &mut encoder,
            "cgtui_export_unreadable_files",
            "Files that exist but could not be read or parsed in this scrape.",
            None,
            &[(None, self.unreadable_files as f64)],
        )?;
        own_gauge(
            &mut encoder,
            "cgtui_export_read_duration",
            "Time this scrape took to walk and read the tree.",
            Some(&Unit::Seconds),
            &[(None, self.read_seconds)],
        )
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod infinity_tests {
    #[test]
    fn infinite_values_are_spelt_as_the_formats_say() {
        let text = "a{x=\"inf\"} inf\nb -inf\nc 1\nd{y=\" inf\"} 2\n".to_string();
        assert_eq!(
            super::spell_infinity(text),
            "a{x=\"inf\"} +Inf\nb -Inf\nc 1\nd{y=\" inf\"} 2\n"
        );
    }
}
