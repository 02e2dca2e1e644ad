//! Any host's cgroups read back from Prometheus: what `cgtui export` on that host sent it.
//! [`client`] speaks Prometheus' HTTP API; [`tree`] turns the exporter's series back into
//! samples. Here: which instances export cgtui's metrics ([`instances`]), and one instance's
//! tree at a time ([`snapshot`]), printed through `snapshot`'s own writer: the same table and
//! JSON document as a local `cgtui snapshot`, for the fields the metrics carry.
//!
//! Queries ask for one instance, one subtree (a cgroup prefix and depth) and the last two
//! scrapes only: the exporter's own gauge `cgtui_export_cgroups` says when those were, then
//! one range selector just wide enough fetches every series at those two times.

pub mod client;
pub mod source;
pub mod tree;

use crate::cgroup::CgroupPath;
use crate::history::store::Pair;
use crate::model::Model;
use crate::model::rates::RateRules;
use anyhow::{Context, Result, bail};
use client::{Prometheus, Series, quoted, regex_literal};
use serde::Serialize;
use std::io::Write;
use std::time::Duration;
use tree::Scrapes;

/// The gauge every exposition has once (not per cgroup): its samples are the scrapes.
const SCRAPE_GAUGE: &str = "cgtui_export_cgroups";

/// The exporting host's online CPUs (exporters since this gauge; older ones leave it out).
const HOST_CPUS_GAUGE: &str = "cgtui_host_cpus";

/// How far back the newest scrapes are looked for: an instance not scraped in this long is
/// not there.
pub const LOOKBACK: Duration = Duration::from_secs(600);

/// Which cgroups of an instance to ask for.
#[derive(Debug, Clone)]
pub struct Subtree {
    /// The top cgroup (a path on the instance's host).
    pub prefix: CgroupPath,
    /// Levels below `prefix`; `None`: all.
    pub max_depth: Option<usize>,
}

impl Subtree {
    /// The regular expression of the `cgroup` label: `prefix` and its descendants down to
    /// `max_depth` (Prometheus anchors it at both ends).
    pub fn cgroup_regex(&self) -> String {
        let top = if self.prefix.is_root() {
            String::new()
        } else {
            regex_literal(&self.prefix.to_string())
        };
        let below = match self.max_depth {
            Some(depth) => format!("(/[^/]+){{0,{depth}}}"),
            None => "(/.+)?".to_string(),
        };
        if self.prefix.is_root() {
            // The root's label is `/`, its children's `/name`.
            match self.max_depth {
                Some(0) => "/".to_string(),
                Some(depth) => format!("/|(/[^/]+){{1,{depth}}}"),
                None => "/.*".to_string(),
            }
        } else {
            format!("{top}{below}")
        }
    }
}

/// The label matchers of one instance's series.
fn instance_matcher(instance: &str) -> String {
    format!("instance={}", quoted(instance))
}

/// The times (Unix ms) of an instance's last two scrapes at or before `at`, oldest first:
/// one when it was scraped once, an error naming the instances there are when none.
pub fn scrape_times(prometheus: &Prometheus, instance: &str, at: Option<f64>) -> Result<Vec<i64>> {
    scrapes_of(prometheus, instance, at).map(|(times, _)| times)
}

/// [`scrape_times`], and the host's CPUs at the newest of them (one query for both).
fn scrapes_of(
    prometheus: &Prometheus,
    instance: &str,
    at: Option<f64>,
) -> Result<(Vec<i64>, Option<usize>)> {
    let promql = format!(
        "{{__name__=~\"{SCRAPE_GAUGE}|{HOST_CPUS_GAUGE}\",{}}}[{}s]",
        instance_matcher(instance),
        LOOKBACK.as_secs()
    );
    let answer = prometheus.query(&promql, at)?;
    let named = |name: &'static str| {
        answer
            .iter()
            .filter(move |s| s.label("__name__") == Some(name))
    };
    let host_cpus = named(HOST_CPUS_GAUGE)
        .filter_map(|s| s.points.last())
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, cpus)| *cpus)
        .filter(|cpus| cpus.is_finite() && *cpus >= 1.0 && *cpus <= 1e6)
        .map(|cpus| cpus.round() as usize);
    let mut times: Vec<i64> = named(SCRAPE_GAUGE)
        .flat_map(|s| s.points.iter().map(|(t, _)| (t * 1000.0).round() as i64))
        .collect();
    times.sort_unstable();
    times.dedup();
    if times.is_empty() {
        let known = instances(prometheus, at)
            .map(|list| {
                list.iter()
                    .map(|i| i.instance.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        bail!(
            "{} has no scrape of cgtui's metrics from instance {instance:?} in the {} minutes {}{}",
            prometheus.url(),
            LOOKBACK.as_secs() / 60,
            if at.is_some() {
                "before --at"
            } else {
                "before now"
            },
            if known.is_empty() {
                String::new()
            } else {
                format!(" (instances: {known})")
            }
        );
    }
    let newest = times.len().saturating_sub(2);
    Ok((times.split_off(newest), host_cpus))
}

/// What [`fetch`] brings back.
pub struct Fetched {
    pub pair: Pair,
    pub scrapes: Scrapes,
    /// The host's online CPUs, when its exporter says.
    pub host_cpus: Option<usize>,
}

/// One instance's subtree at its last two scrapes at or before `at`: the pair the model
/// takes (no previous scrape: no rates, like a first iteration), and the labels.
pub fn fetch(
    prometheus: &Prometheus,
    instance: &str,
    subtree: &Subtree,
    at: Option<f64>,
) -> Result<Fetched> {
    let (times, host_cpus) = scrapes_of(prometheus, instance, at)?;
    let (Some(&oldest), Some(&newest)) = (times.first(), times.last()) else {
        bail!("no scrape of instance {instance:?}");
    };
    // Wide enough for the older scrape, too narrow for the one before it (at least half an
    // interval away); evaluated at the newer scrape.
    let half_interval = if newest > oldest {
        (newest - oldest) / 2
    } else {
        0
    };
    let window_ms = newest - oldest + half_interval.max(1);
    let promql = format!(
        "{{__name__=~\"cgroup_.+\",{},cgroup=~{}}}[{window_ms}ms]",
        instance_matcher(instance),
        quoted(&subtree.cgroup_regex())
    );
    let answer: Vec<Series> = prometheus.query(&promql, Some(newest as f64 / 1000.0))?;
    let scrapes = Scrapes::new(&answer, &times);
    let current = scrapes
        .moment(newest)
        .context("the newest scrape vanished from the answer")?;
    if current.cgroups.is_empty() {
        bail!(
            "instance {instance:?} exported no cgroup matching {} at its scrape of {}",
            subtree.prefix,
            crate::time::format_ms(newest)
        );
    }
    let previous = (oldest < newest).then(|| scrapes.moment(oldest)).flatten();
    Ok(Fetched {
        pair: Pair { previous, current },
        scrapes,
        host_cpus,
    })
}

/// The model of a fetched pair: rates over the time between the two scrapes.
pub fn model_of(pair: &Pair, base: &CgroupPath) -> Model {
    let rules = RateRules {
        min_window: RateRules::MIN_WINDOW,
        // The instance's CPUs are not exported: no cap.
        cpu_capacity_pct: f64::INFINITY,
    };
    let mut model =
        Model::new(base.clone(), crate::cgroup::devices::Devices::new(None)).with_rate_rules(rules);
    crate::history::apply_pair(&mut model, pair, base);
    model
}

/// What to print of one instance.
pub struct SnapshotRequest<'a> {
    pub instance: &'a str,
    pub subtree: Subtree,
    /// Unix seconds; `None`: now.
    pub at: Option<f64>,
    pub json: bool,
}

/// `cgtui snapshot --prometheus URL --instance NAME`: one iteration, in `snapshot`'s table
/// or JSON document. `fs` only frames the document: its mount fields are replaced by the
/// server and instance.
pub fn snapshot(
    out: &mut dyn Write,
    prometheus: &Prometheus,
    request: &SnapshotRequest,
    fs: &crate::cgroup::Cgroupfs,
) -> Result<()> {
    let Fetched { pair, scrapes, .. } =
        fetch(prometheus, request.instance, &request.subtree, request.at)?;
    let base = &request.subtree.prefix;
    let model = model_of(&pair, base);
    let shape = crate::snapshot::Shape {
        fs,
        base,
        json: request.json,
        // The query already asked for the prefix and depth.
        selection: None,
    };
    let elapsed = pair
        .previous
        .as_ref()
        .map(|p| (pair.current.time_ms - p.time_ms) as f64 / 1000.0);
    let mut written = Vec::new();
    crate::snapshot::write_iteration(
        &mut written,
        &model,
        &mut crate::cgroup::devices::Devices::new(None),
        &mut crate::snapshot::Names::new(None),
        &shape,
        1,
        pair.current.time_ms as f64 / 1000.0,
        elapsed,
    )?;
    if !request.json {
        out.write_all(&written)?;
        return Ok(());
    }
    let mut document: serde_json::Value =
        serde_json::from_slice(&written).context("snapshot wrote a JSON document")?;
    remote_document(&mut document, prometheus.url(), request.instance, &scrapes);
    writeln!(out, "{}", crate::output::json_line(&document)?)?;
    out.flush()?;
    Ok(())
}

/// A local document made remote: what the metrics do not carry is null, the names are the
/// instance's (its users, its devices), and the document says where it came from.
fn remote_document(document: &mut serde_json::Value, url: &str, instance: &str, scrapes: &Scrapes) {
    use serde_json::Value;
    document["mount_point"] = Value::Null;
    document["mount_options"] = Value::Null;
    document["prometheus"] = Value::from(url);
    document["instance"] = Value::from(instance);
    let Some(cgroups) = document["cgroups"].as_array_mut() else {
        return;
    };
    for cgroup in cgroups {
        for unknown in ["inode", "owner_uid", "owner_gid"] {
            cgroup[unknown] = Value::Null;
        }
        let labels = cgroup["path"]
            .as_str()
            .and_then(tree::cgroup_path)
            .and_then(|path| scrapes.labels.get(&path));
        if let Some(user) = labels.and_then(|l| l.get("user")) {
            cgroup["workload"]["user"] = Value::from(user.as_str());
        }
        if let Some(devices) = cgroup["io"]["devices"].as_array_mut() {
            for device in devices {
                let name = device["device"]
                    .as_str()
                    .and_then(|id| scrapes.device_names.get(id));
                device["name"] = name.map_or(Value::Null, |n| Value::from(n.as_str()));
            }
        }
    }
}

/// One instance exporting cgtui's metrics, summed over its top cgroups (the root, or where
/// the exporter does not export it, the first level).
#[derive(Debug, Clone, Serialize)]
pub struct Instance {
    pub instance: String,
    pub job: Option<String>,
    /// Cgroups in its latest exposition.
    pub cgroups: u64,
    /// CPUs in use over the last 5 minutes.
    pub cpu_cores: Option<f64>,
    /// Memory in use by its first-level cgroups.
    pub memory_bytes: Option<u64>,
    /// OOM kills in the last hour.
    pub oom_kills_1h: Option<u64>,
}

/// Every instance whose scrapes hold `cgtui_export_cgroups` at `at`, by name, with its
/// summary: four instant queries, each one value per instance.
pub fn instances(prometheus: &Prometheus, at: Option<f64>) -> Result<Vec<Instance>> {
    let by_instance = |promql: &str| -> Result<std::collections::HashMap<String, f64>> {
        Ok(prometheus
            .query(promql, at)?
            .into_iter()
            .filter_map(|s| Some((s.label("instance")?.to_string(), s.last()?)))
            .collect())
    };
    let top = "cgroup=~\"/[^/]+\"";
    let cpu = by_instance(&format!(
        "sum by (instance) (rate(cgroup_cpu_usage_seconds_total{{cgroup=\"/\"}}[5m])) or \
         sum by (instance) (rate(cgroup_cpu_usage_seconds_total{{{top}}}[5m]))"
    ))?;
    let memory = by_instance(&format!(
        "sum by (instance) (cgroup_memory_usage_bytes{{{top}}})"
    ))?;
    let oom = by_instance(&format!(
        "sum by (instance) (increase(cgroup_memory_events_total{{event=\"oom_kill\",{top}}}[1h]))"
    ))?;
    let whole = |v: f64| (v.is_finite() && v >= 0.0).then(|| v.round() as u64);
    let mut list: Vec<Instance> = prometheus
        .query(SCRAPE_GAUGE, at)?
        .into_iter()
        .filter_map(|series| {
            let instance = series.label("instance")?.to_string();
            Some(Instance {
                job: series.label("job").map(str::to_string),
                cgroups: whole(series.last()?)?,
                cpu_cores: cpu.get(&instance).copied().filter(|v| v.is_finite()),
                memory_bytes: memory.get(&instance).copied().and_then(whole),
                oom_kills_1h: oom.get(&instance).copied().and_then(whole),
                instance,
            })
        })
        .collect();
    list.sort_by(|a, b| a.instance.cmp(&b.instance).then(a.job.cmp(&b.job)));
    Ok(list)
}

#[derive(Serialize)]
struct InstanceList<'a> {
    prometheus: &'a str,
    /// Unix seconds the summary is for.
    timestamp: f64,
    instances: &'a [Instance],
}

/// `cgtui snapshot --prometheus URL` without `--instance`: the instances, a table or one
/// JSON document.
pub fn write_instances(
    out: &mut dyn Write,
    prometheus: &Prometheus,
    at: Option<f64>,
    json: bool,
) -> Result<()> {
    let list = instances(prometheus, at)?;
    let timestamp = at.unwrap_or_else(|| crate::time::now_ms() as f64 / 1000.0);
    if json {
        let document = InstanceList {
            prometheus: prometheus.url(),
            timestamp,
            instances: &list,
        };
        writeln!(out, "{}", crate::output::json_line(&document)?)?;
        out.flush()?;
        return Ok(());
    }
    let mut table = Vec::new();
    writeln!(
        table,
        "{} at {}: {} exporting cgtui's metrics",
        prometheus.url(),
        crate::time::utc_timestamp(timestamp),
        crate::format::plural(list.len(), "instance")
    )?;
    writeln!(
        table,
        "{:<28} {:<12} {:>7} {:>6} {:>8} {:>7}",
        "INSTANCE", "JOB", "CGROUPS", "CPUS", "MEMORY", "OOM/1h"
    )?;
    for i in &list {
        writeln!(
            table,
            "{:<28} {:<12} {:>7} {:>6} {:>8} {:>7}",
            i.instance,
            i.job.as_deref().unwrap_or("-"),
            i.cgroups,
            i.cpu_cores.map_or("-".into(), |c| format!("{c:.2}")),
            crate::format::opt_bytes(i.memory_bytes),
            i.oom_kills_1h.map_or("-".into(), |n| n.to_string()),
        )?;
    }
    out.write_all(crate::cgroup::escape::inert_bytes(&table).as_bytes())?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subtree(prefix: &str, max_depth: Option<usize>) -> Subtree {
        Subtree {
            prefix: tree::cgroup_path(prefix).unwrap(),
            max_depth,
        }
    }

    #[test]
    fn the_cgroup_regex_asks_for_the_subtree_only() {
        assert_eq!(subtree("/", None).cgroup_regex(), "/.*");
        assert_eq!(subtree("/", Some(0)).cgroup_regex(), "/");
        assert_eq!(subtree("/", Some(2)).cgroup_regex(), "/|(/[^/]+){1,2}");
        assert_eq!(
            subtree("/user.slice", Some(1)).cgroup_regex(),
            r"/user\.slice(/[^/]+){0,1}"
        );
        assert_eq!(subtree("/a.slice", None).cgroup_regex(), r"/a\.slice(/.+)?");
    }
}
