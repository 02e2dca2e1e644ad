//! `cgtui snapshot`: batch output like `top -b`, as a text table or one JSON document per
//! iteration. The JSON fields are documented in docs/src/snapshot.md.

use crate::cgroup::devices::Devices;
use crate::cgroup::escape::SysText;
use crate::cgroup::parse::{CpuStat, IoDeviceStat, Limit, MemoryEvents, PidsEvents, Pressure};
use crate::cgroup::workload::{self, Workload, engine::Resolver};
use crate::cgroup::{CgroupPath, Cgroupfs};
use crate::export::Selection;
use crate::format;
use crate::model::missing::{Metric, missing_reason};
use crate::model::rates::{IoRates, PressureRates, RateRules};
use crate::model::view::effective_memory_limit;
use crate::model::{Model, Node};
use crate::time::utc_timestamp;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Serialize)]
struct CpuReport {
    #[serde(flatten)]
    stat: Option<CpuStat>,
    pct: Option<f64>,
    user_pct: Option<f64>,
    system_pct: Option<f64>,
    throttled_pct: Option<f64>,
    max: Option<crate::cgroup::parse::CpuMax>,
    weight: Option<u64>,
    pressure: Option<PressureReport>,
}

#[derive(Serialize)]
struct MemoryReport {
    current: Option<u64>,
    swap_current: Option<u64>,
    max: Option<Limit>,
    high: Option<Limit>,
    low: Option<Limit>,
    min: Option<Limit>,
    swap_max: Option<Limit>,
    /// The lower of max and high, and which file it came from.
    limit: Option<Limit>,
    limit_source: Option<&'static str>,
    events: Option<MemoryEvents>,
    pressure: Option<PressureReport>,
    /// memory.current less memory.stat's inactive_file (cAdvisor's working set).
    working_set: Option<u64>,
    /// memory.stat, the keys this kernel has.
    stat: Option<crate::cgroup::parse::MemoryStat>,
}

/// IO rates with explicit nulls before the second iteration.
#[derive(Serialize, Default, Clone, Copy)]
struct IoRatesReport {
    read_bps: Option<f64>,
    write_bps: Option<f64>,
    read_iops: Option<f64>,
    write_iops: Option<f64>,
}

impl From<Option<IoRates>> for IoRatesReport {
    fn from(rates: Option<IoRates>) -> Self {
        IoRatesReport {
            read_bps: rates.map(|r| r.read_bps),
            write_bps: rates.map(|r| r.write_bps),
            read_iops: rates.map(|r| r.read_iops),
            write_iops: rates.map(|r| r.write_iops),
        }
    }
}

#[derive(Serialize)]
struct DeviceReport<'a> {
    #[serde(flatten)]
    stat: &'a IoDeviceStat,
    name: Option<String>,
    #[serde(flatten)]
    rates: IoRatesReport,
}

#[derive(Serialize)]
struct IoReport<'a> {
    #[serde(flatten)]
    rates: IoRatesReport,
    /// `null` when the cgroup has no io.stat.
    devices: Option<Vec<DeviceReport<'a>>>,
    max: Option<&'a Vec<crate::cgroup::parse::IoMax>>,
    weight: Option<&'a crate::cgroup::parse::IoWeight>,
    pressure: Option<PressureReport>,
}

#[derive(Serialize)]
struct PidsReport {
    current: Option<u64>,
    max: Option<Limit>,
    events: Option<PidsEvents>,
}

#[derive(Serialize)]
struct PressureReport {
    #[serde(flatten)]
    raw: Pressure,
    /// % of the last interval with some / all tasks stalled, from Δtotal.
    some_pct: Option<f64>,
    full_pct: Option<f64>,
}

fn pressure(raw: &Option<Pressure>, rates: Option<PressureRates>) -> Option<PressureReport> {
    raw.map(|raw| PressureReport {
        raw,
        some_pct: rates.and_then(|r| r.some_pct),
        full_pct: rates.and_then(|r| r.full_pct),
    })
}

#[derive(Serialize)]
struct CgroupReport<'a> {
    path: &'a CgroupPath,
    name: String,
    depth: usize,
    /// What runs here, from the path (and the engine, with `--resolve-names`).
    workload: Workload,
    inode: u64,
    owner_uid: u32,
    owner_gid: u32,
    populated: Option<bool>,
    frozen: Option<bool>,
    nr_procs: Option<usize>,
    #[serde(rename = "type")]
    cgroup_type: Option<crate::cgroup::parse::CgroupType>,
    controllers: Option<&'a Vec<String>>,
    subtree_control: Option<&'a Vec<String>>,
    nr_descendants: Option<u64>,
    nr_dying_descendants: Option<u64>,
    max_depth: Option<Limit>,
    max_descendants: Option<Limit>,
    cpuset_cpus: Option<&'a String>,
    cpuset_mems: Option<&'a String>,
    cpu: CpuReport,
    memory: MemoryReport,
    io: IoReport<'a>,
    pids: PidsReport,
    /// Why a group of values is absent, keyed by `memory`, `io`, `pids`, `psi`.
    missing: BTreeMap<&'static str, String>,
    unreadable: &'a [crate::cgroup::sample::Unreadable],
    /// The rates are timed by the two samples, not by the reads of each file: a store
    /// written before read times were kept (format 1). Absent otherwise.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    rates_pass_timed: bool,
}

fn report<'a>(
    model: &'a Model,
    node: &'a Node,
    base_depth: usize,
    devices: &mut Devices,
    names: &mut Names,
) -> Option<CgroupReport<'a>> {
    let s = node.sample.as_ref()?;
    let r = node.rates();
    let detail = s.detail.as_ref();
    let limit = effective_memory_limit(node);
    let mut missing = BTreeMap::new();
    for (key, metric) in [
        ("memory", Metric::Memory),
        ("io", Metric::Io),
        ("pids", Metric::Pids),
        ("psi", Metric::Psi),
    ] {
        if let Some(why) = missing_reason(model, node, metric) {
            missing.insert(key, why);
        }
    }
    Some(CgroupReport {
        path: &node.path,
        name: crate::cgroup::escape::visible_os(node.path.name()).into_owned(),
        depth: node.path.depth() - base_depth,
        workload: names.workload(&node.path),
        inode: s.inode,
        owner_uid: s.owner_uid,
        owner_gid: s.owner_gid,
        populated: s.events.map(|e| e.populated),
        frozen: s.events.map(|e| e.frozen),
        nr_procs: s.nr_procs,
        cgroup_type: detail.and_then(|d| d.cgroup_type),
        controllers: s.controllers.as_ref(),
        subtree_control: s.subtree_control.as_ref(),
        nr_descendants: detail.and_then(|d| d.stat).map(|st| st.nr_descendants),
        nr_dying_descendants: detail
            .and_then(|d| d.stat)
            .map(|st| st.nr_dying_descendants),
        max_depth: detail.and_then(|d| d.max_depth),
        max_descendants: detail.and_then(|d| d.max_descendants),
        cpuset_cpus: detail.and_then(|d| d.cpuset_cpus.as_ref()),
        cpuset_mems: detail.and_then(|d| d.cpuset_mems.as_ref()),
        cpu: CpuReport {
            stat: s.cpu,
            pct: r.cpu_pct,
            user_pct: r.cpu_user_pct,
            system_pct: r.cpu_system_pct,
            throttled_pct: r.cpu_throttled_pct,
            max: detail.and_then(|d| d.cpu_max),
            weight: detail.and_then(|d| d.cpu_weight),
            pressure: pressure(&s.psi.cpu, r.psi.cpu),
        },
        memory: MemoryReport {
            current: s.memory.current,
            swap_current: s.memory.swap_current,
            max: s.memory.max,
            high: s.memory.high,
            low: s.memory.low,
            min: s.memory.min,
            swap_max: s.memory.swap_max,
            limit: limit.map(|(l, _)| l),
            limit_source: limit.map(|(_, source)| source),
            events: s.memory.events,
            pressure: pressure(&s.psi.memory, r.psi.memory),
            working_set: crate::model::column::working_set(node),
            stat: s.memory.stat,
        },
        io: IoReport {
            rates: r.io.into(),
            devices: s.io.as_ref().map(|lines| {
                lines
                    .iter()
                    .map(|stat| {
                        let rated = r.io_devices.iter().find(|d| Some(d.device) == stat.device);
                        DeviceReport {
                            stat,
                            name: stat.device.and_then(|d| devices.name(d)),
                            rates: rated.map(|d| d.rates).into(),
                        }
                    })
                    .collect()
            }),
            max: detail.and_then(|d| d.io_max.as_ref()),
            weight: detail.and_then(|d| d.io_weight.as_ref()),
            pressure: pressure(&s.psi.io, r.psi.io),
        },
        pids: PidsReport {
            current: s.pids.current,
            max: s.pids.max,
            events: s.pids.events,
        },
        missing,
        unreadable: &s.unreadable,
        rates_pass_timed: r.pass_timed,
    })
}

#[derive(Serialize)]
struct Document<'a> {
    iteration: u64,
    /// Seconds since the Unix epoch when the pass finished.
    timestamp: f64,
    /// Seconds since the previous iteration; null in the first.
    elapsed: Option<f64>,
    mount_point: String,
    mount_options: Option<&'a crate::cgroup::mount::MountOptions>,
    root: &'a CgroupPath,
    cgroups: Vec<CgroupReport<'a>>,
}

/// Workloads of the cgroups reported: user names looked up once per uid, container names
/// asked of the engines only with `--resolve-names`.
pub struct Names {
    users: HashMap<u32, Option<SysText>>,
    engines: Option<Resolver>,
}

impl Names {
    /// Names for one run: engines are asked only with `Some` (`--resolve-names`).
    pub fn new(engines: Option<Resolver>) -> Names {
        Names {
            users: HashMap::new(),
            engines,
        }
    }

    fn workload(&mut self, path: &CgroupPath) -> Workload {
        let users = &mut self.users;
        let mut workload = workload::workload_with_user(path, |uid| {
            users
                .entry(uid)
                .or_insert_with(|| workload::user_name(uid))
                .clone()
        });
        if let Some(resolver) = self.engines.as_mut()
            && workload.name.is_none()
            && let Some(found) = resolver.lookup(&workload, Instant::now())
        {
            workload.name = Some(found.name.clone());
        }
        workload
    }
}

/// What every iteration's output shares, live or recorded.
pub struct Shape<'a> {
    pub fs: &'a Cgroupfs,
    pub base: &'a CgroupPath,
    pub json: bool,
    /// `--include`, `--exclude`, `--max-depth`: the cgroups shown (all without).
    pub selection: Option<&'a Selection>,
}

impl Shape<'_> {
    /// Is `path` shown?
    pub fn shows(&self, path: &CgroupPath) -> bool {
        self.selection
            .is_none_or(|s| s.admits(path, path.depth().saturating_sub(self.base.depth())))
    }
}

/// Print one iteration of the model's tree: the same text table or JSON document whether the
/// samples were just read or come from the store (`cgtui snapshot --store`).
#[allow(clippy::too_many_arguments)] // the output, what it shows, and its two lookups
pub fn write_iteration(
    out: &mut dyn Write,
    model: &Model,
    devices: &mut Devices,
    names: &mut Names,
    shape: &Shape,
    iteration: u64,
    unix: f64,
    elapsed: Option<f64>,
) -> anyhow::Result<()> {
    let base_depth = shape.base.depth();
    let reports: Vec<CgroupReport> = model
        .preorder()
        .into_iter()
        .map(|id| model.node(id))
        .filter(|node| shape.shows(&node.path))
        .filter_map(|node| report(model, node, base_depth, devices, names))
        .collect();
    if shape.json {
        let document = Document {
            iteration,
            timestamp: unix,
            elapsed,
            mount_point: crate::cgroup::escape::visible_path(shape.fs.mount_point()).into_owned(),
            mount_options: shape.fs.mount().map(|m| &m.options),
            root: shape.base,
            cgroups: reports,
        };
        writeln!(out, "{}", crate::output::json_line(&document)?)?;
    } else {
        // Composed in memory, then written inert like every other line of output.
        let mut table = Vec::new();
        write_table(&mut table, iteration, unix, &reports)?;
        out.write_all(crate::cgroup::escape::inert_bytes(&table).as_bytes())?;
    }
    out.flush()?;
    Ok(())
}

pub struct Options {
    pub fs: Cgroupfs,
    pub base: CgroupPath,
    pub json: bool,
    /// Who asks Docker and Podman for container names: `Some(Resolver::default())` with
    /// `--resolve-names`, `None` (nobody asked) without.
    pub engines: Option<Resolver>,
    /// Iterations; `None` runs until interrupted.
    pub count: Option<u64>,
    pub interval: Duration,
    /// The cgroups shown, and so read (all without).
    pub selection: Option<Selection>,
}

pub fn run(options: Options, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut model = Model::new(options.base.clone(), options.fs.devices())
        .with_hierarchy_controllers(options.fs.hierarchy_controllers())
        .with_rate_rules(RateRules::for_this_host(options.interval));
    let mut last_pass = None;
    let mut devices = options.fs.devices();
    let mut collector = crate::collect::Collector::new(options.fs.clone()).carrying();
    let mut names = Names::new(options.engines);
    let mut told = std::collections::HashSet::new();
    let shape = Shape {
        fs: &options.fs,
        base: &options.base,
        json: options.json,
        selection: options.selection.as_ref(),
    };
    for iteration in 1.. {
        if options.count.is_some_and(|count| iteration > count) {
            break;
        }
        if iteration > 1 {
            std::thread::sleep(options.interval);
        }
        // Only the cgroups shown are read.
        let tree = collector.read_tree_planned(&options.base, &mut |path| {
            shape.shows(path).then_some(crate::cgroup::Scope::Full)
        });
        let finished = tree.finished;
        if tree.cgroups.is_empty() {
            anyhow::bail!("cgroup {} vanished", options.base);
        }
        model.apply_tree(tree);
        let elapsed = last_pass.map(|t| finished.saturating_duration_since(t).as_secs_f64());
        last_pass = Some(finished);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        write_iteration(
            out,
            &model,
            &mut devices,
            &mut names,
            &shape,
            iteration,
            now,
            elapsed,
        )?;
        // Say once why an engine could not be asked; the names are then null.
        for error in names.engines.iter().flat_map(Resolver::errors) {
            if told.insert(error.clone()) {
                crate::errln!("cgtui: --resolve-names: {error}");
            }
        }
        out.flush()?;
    }
    Ok(())
}

/// The text table's mark of a cgroup with processes in it or below it.
const POPULATED_MARK: &str = "*";
/// The text table's mark of a frozen cgroup.
const FROZEN_MARK: &str = "F";

fn write_table(
    out: &mut dyn Write,
    iteration: u64,
    unix: f64,
    reports: &[CgroupReport],
) -> std::io::Result<()> {
    // The marks before a name, said where they are read.
    writeln!(
        out,
        "cgtui snapshot {iteration} at {}: {} (marks before a name: {POPULATED_MARK} populated, \
         {FROZEN_MARK} frozen)",
        utc_timestamp(unix),
        format::plural(reports.len(), "cgroup")
    )?;
    writeln!(
        out,
        "{:>6} {:>7} {:>7} {:>7} {:>7} {:>5} {:>5} {:>15}  CGROUP",
        "CPU%", "MEM", "MEMLIM", "IO R/s", "IO W/s", "PROCS", "PIDS", "PSI c/m/i"
    )?;
    for r in reports {
        let psi = |p: &Option<PressureReport>| {
            // NaN: averages the source does not carry (`snapshot --prometheus`).
            p.as_ref()
                .filter(|p| !p.raw.some.avg10.is_nan())
                .map_or("-".to_string(), |p| format!("{:.1}", p.raw.some.avg10))
        };
        let marker = match (r.frozen, r.populated) {
            (Some(true), _) => FROZEN_MARK,
            (_, Some(true)) => POPULATED_MARK,
            _ => " ",
        };
        writeln!(
            out,
            "{:>6} {:>7} {:>7} {:>7} {:>7} {:>5} {:>5} {:>15}  {}{marker}{}",
            format::percent(r.cpu.pct),
            format::opt_bytes(r.memory.current),
            format::limit(r.memory.limit),
            format::opt_rate(r.io.rates.read_bps),
            format::opt_rate(r.io.rates.write_bps),
            r.nr_procs.map_or("-".into(), |n| n.to_string()),
            r.pids.current.map_or("-".into(), |n| n.to_string()),
            format!(
                "{}/{}/{}",
                psi(&r.cpu.pressure),
                psi(&r.memory.pressure),
                psi(&r.io.pressure)
            ),
            "  ".repeat(r.depth),
            r.path,
        )?;
    }
    writeln!(out)
}
