//! The scrape as metric families: names, help, labels and values, encoded as OpenMetrics or
//! the Prometheus text format.

use super::*;

/// The container/workload labels of a cgroup, from its path alone ([`Workload::of`]): the one
/// place where they are added. `kind`, `id` and `name` become `workload_kind`, `workload_id`,
/// `workload_name` (cAdvisor's `id` and `name` mean other things); `user` is already labelled.
pub(super) fn workload_labels(path: &CgroupPath) -> Vec<(&'static str, String)> {
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
pub(super) fn spell_infinity(text: String) -> String {
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

    /// Did this scrape list the tree, rather than take the watcher's?
    pub fn listed_tree(&self) -> bool {
        self.listed_tree
    }
}

/// A value of one series.
#[derive(Clone, Copy)]
pub(super) enum Value {
    Count(u64),
    Seconds(f64),
    Gauge(f64),
}

pub(super) fn usec(us: u64) -> Value {
    Value::Seconds(us as f64 / 1e6)
}

pub(super) fn limit(limit: Limit) -> Value {
    Value::Gauge(limit.value().map_or(f64::INFINITY, |v| v as f64))
}

pub(super) fn flag(on: bool) -> Value {
    Value::Gauge(if on { 1.0 } else { 0.0 })
}

/// A cgroup's labels followed by a series' own (`device`, `event`).
pub(super) struct Labels<'a> {
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
pub(super) type Series<'a> = Vec<(Vec<(&'static str, &'a str)>, Value)>;

/// One metric family: its name (without the unit and `_total`), help, unit and kind, and how
/// to get its series from a row.
pub(super) struct Family {
    pub(super) name: &'static str,
    help: &'static str,
    unit: Option<Unit>,
    kind: MetricType,
    pub(super) series: for<'a> fn(&'a Row) -> Series<'a>,
}

/// One unlabelled series from an optional value.
pub(super) fn one(value: Option<Value>) -> Series<'static> {
    value.map(|v| vec![(Vec::new(), v)]).unwrap_or_default()
}

pub(super) fn pressure_some(p: Option<Pressure>) -> Series<'static> {
    one(p.map(|p| usec(p.some.total)))
}

pub(super) fn pressure_full(p: Option<Pressure>) -> Series<'static> {
    one(p.and_then(|p| p.full).map(|full| usec(full.total)))
}

/// Per-device io.stat series.
pub(super) fn io_series<'a>(
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

/// memory.stat's sizes by kind: a fixed set of labels, whatever the kernel adds.
fn memory_stat_kinds(stat: &crate::cgroup::parse::MemoryStat) -> [(&'static str, Option<u64>); 21] {
    [
        ("anon", stat.anon),
        ("file", stat.file),
        ("kernel", stat.kernel),
        ("kernel_stack", stat.kernel_stack),
        ("pagetables", stat.pagetables),
        ("percpu", stat.percpu),
        ("sock", stat.sock),
        ("vmalloc", stat.vmalloc),
        ("shmem", stat.shmem),
        ("zswap", stat.zswap),
        ("file_mapped", stat.file_mapped),
        ("file_dirty", stat.file_dirty),
        ("file_writeback", stat.file_writeback),
        ("swapcached", stat.swapcached),
        ("active_anon", stat.active_anon),
        ("inactive_anon", stat.inactive_anon),
        ("active_file", stat.active_file),
        ("inactive_file", stat.inactive_file),
        ("unevictable", stat.unevictable),
        ("slab_reclaimable", stat.slab_reclaimable),
        ("slab_unreclaimable", stat.slab_unreclaimable),
    ]
}

/// io.max's limits by device (named like io.stat's) and direction.
fn io_max_series<'a>(
    row: &'a Row,
    limits: fn(&crate::cgroup::parse::IoMax) -> [(&'static str, Limit); 2],
) -> Series<'a> {
    let entries = row.sample.detail.as_ref().and_then(|d| d.io_max.as_ref());
    let mut out = Vec::new();
    for (entry, device) in entries.into_iter().flatten().zip(&row.io_max_devices) {
        for (direction, value) in limits(entry) {
            let mut labels = vec![("device", device.0.as_str()), ("direction", direction)];
            if let Some(name) = &device.1 {
                labels.push(("device_name", name.as_str()));
            }
            out.push((labels, limit(value)));
        }
    }
    out
}

pub(super) fn families() -> Vec<Family> {
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
            name: "cgroup_memory_working_set",
            help: "Memory in use less inactive page cache, which the kernel drops first (memory.current - memory.stat inactive_file; cAdvisor's working set).",
            unit: Some(Unit::Bytes),
            kind: Gauge,
            series: |r| {
                one(r
                    .sample
                    .memory
                    .working_set()
                    .map(|v| Value::Gauge(v as f64)))
            },
        },
        Family {
            name: "cgroup_memory_stat",
            help: "What the cgroup's memory is made of, by kind (memory.stat: anon, file, kernel, kernel_stack, pagetables, percpu, sock, vmalloc, shmem, zswap, file_mapped, file_dirty, file_writeback, swapcached, active_anon, inactive_anon, active_file, inactive_file, unevictable, slab_reclaimable, slab_unreclaimable).",
            unit: Some(Unit::Bytes),
            kind: Gauge,
            series: |r| {
                let Some(stat) = r.sample.memory.stat else {
                    return Vec::new();
                };
                memory_stat_kinds(&stat)
                    .into_iter()
                    .filter_map(|(kind, value)| {
                        value.map(|v| (vec![("kind", kind)], Value::Gauge(v as f64)))
                    })
                    .collect()
            },
        },
        Family {
            name: "cgroup_memory_swap_max",
            help: "Swap limit (memory.swap.max; +Inf for max).",
            unit: Some(Unit::Bytes),
            kind: Gauge,
            series: |r| one(r.sample.memory.swap_max.map(limit)),
        },
        Family {
            name: "cgroup_cpu_quota_seconds",
            help: "CPU time allowed per period (cpu.max quota; +Inf for max).",
            unit: None,
            kind: Gauge,
            series: |r| {
                let max = r.sample.detail.as_ref().and_then(|d| d.cpu_max);
                one(max.map(|m| match m.quota.value() {
                    Some(us) => usec(us),
                    None => Value::Gauge(f64::INFINITY),
                }))
            },
        },
        Family {
            name: "cgroup_cpu_period_seconds",
            help: "The period of cpu.max's quota (cpu.max period).",
            unit: None,
            kind: Gauge,
            series: |r| {
                let max = r.sample.detail.as_ref().and_then(|d| d.cpu_max);
                one(max.map(|m| usec(m.period_usec)))
            },
        },
        Family {
            name: "cgroup_cpu_weight",
            help: "Share of CPU under contention, relative to siblings (cpu.weight, 1-10000).",
            unit: None,
            kind: Gauge,
            series: |r| {
                let weight = r.sample.detail.as_ref().and_then(|d| d.cpu_weight);
                one(weight.map(|w| Value::Gauge(w as f64)))
            },
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
            name: "cgroup_io_max_bytes_per_second",
            help: "Bandwidth limit by device and direction (io.max rbps, wbps; +Inf for max).",
            unit: None,
            kind: Gauge,
            series: |r| io_max_series(r, |m| [("read", m.rbps), ("write", m.wbps)]),
        },
        Family {
            name: "cgroup_io_max_operations_per_second",
            help: "IOPS limit by device and direction (io.max riops, wiops; +Inf for max).",
            unit: None,
            kind: Gauge,
            series: |r| io_max_series(r, |m| [("read", m.riops), ("write", m.wiops)]),
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

pub(super) fn encode_value(
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
pub(super) fn own_gauge(
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
        // The capacity that CPU use is a share of: another host's TUI (`--prometheus`) shows
        // CPU % against it, as the local one does against its own CPUs.
        if let Some(cpus) = self.host_cpus {
            own_gauge(
                &mut encoder,
                "cgtui_host_cpus",
                "CPUs online on this host: the most CPU time per second its cgroups can use.",
                None,
                &[(None, cpus as f64)],
            )?;
        }
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
