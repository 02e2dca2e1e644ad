//! `cgtui export` and `cgtui snapshot --format openmetrics`: the tree's raw counters, levels
//! and limits as an OpenMetrics (or Prometheus text) exposition, encoded by the official
//! client (`prometheus-client`) from one read of each file per scrape.
//!
//! A scrape takes the tree from inotify ([`Exporter::watching`], `cgtui export`) or lists it
//! (`snapshot`), keeps the cgroups the selection allows ([`Selection`]), reads each
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
    /// io.max's devices, the same way.
    io_max_devices: Vec<(String, Option<String>)>,
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
    /// CPUs online on this host when read (`None`: unknown).
    host_cpus: Option<usize>,
    /// The scrape listed the tree (else it took the watcher's, [`Exporter::watching`]).
    listed_tree: bool,
}

/// Reads the tree for scrapes, keeping files open and names cached between them.
pub struct Exporter {
    fs: Cgroupfs,
    base: CgroupPath,
    selection: Selection,
    collector: crate::collect::Collector,
    devices: Devices,
    users: HashMap<u32, String>,
    /// The tree as inotify reports it ([`Exporter::watching`]); `None`: each scrape lists it.
    followed: Option<follow::Followed>,
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
            followed: None,
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
        let (paths, listed_tree) = match self.followed.as_mut() {
            Some(followed) => followed.paths(&self.fs, &self.base, deadline()),
            None => (self.collector.walk(&self.base), true),
        };
        for path in paths {
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
            let io_max_devices = sample
                .detail
                .iter()
                .flat_map(|d| d.io_max.iter().flatten())
                .map(|entry| (entry.device.to_string(), self.devices.name(entry.device)))
                .collect();
            let row = Row {
                labels,
                sample,
                devices,
                io_max_devices,
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
            host_cpus: self.fs.host_cpus(),
            listed_tree,
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

mod follow;
mod metrics;

pub use follow::WALK_EVERY;
use metrics::*;

#[cfg(test)]
mod tests;
