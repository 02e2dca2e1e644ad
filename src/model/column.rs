//! The tree's columns, one row of [`SPECS`] each: its id in the config file, title, meaning,
//! width, where its value comes from (and so how it ages), how a parent's value bounds its
//! children's, its value for sorting, its text and how alarming it is. The tree, sorting, the
//! help, the layout and the reading plan all draw from this table: a new column is one row
//! (and its variant).

use crate::cgroup::parse::Limit;
use crate::format;
use crate::model::Node;
use crate::theme::Level;

/// The columns of the tree. Each can be shown (config `columns`) and be the sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Name,
    Cpu,
    /// Share of CFS periods throttled by cpu.max, and time throttled per second.
    Throttled,
    Memory,
    MemoryLimit,
    /// memory.current as a share of the effective limit.
    MemoryPct,
    Swap,
    IoRead,
    IoWrite,
    /// Read and write together.
    IoTotal,
    Pids,
    Psi,
    /// memory.events `oom`: times the limit was hit and the OOM killer was invoked.
    Oom,
    /// memory.events `oom_kill`: processes killed.
    OomKill,
    /// The working set: memory.current less inactive page cache (needs memory.stat).
    WorkingSet,
    /// memory.stat `anon`.
    Anon,
}

/// Where a column's value comes from, for its age.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The mean of a counter's growth between two reads: old when either read is.
    Rate,
    /// A value read at one moment.
    Level,
    /// Kept current by inotify (memory.events), or not a value (the name).
    Event,
}

/// How a parent's value bounds each child's, for a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// The parent's value is at least the sum of its children's (cpu.stat, memory.current,
    /// io.stat, pids.current, memory.events count descendants too).
    Sum,
    /// The parent's value is at least each child's (PSI: a task stalled in a child is
    /// stalled in the parent).
    Max,
    /// Nothing: limits, their ratios and throttling are each cgroup's own.
    None,
}

/// Everything about one column.
pub struct Spec {
    pub column: Column,
    /// Its name in the config file (`columns`, `sort`).
    pub id: &'static str,
    pub title: &'static str,
    /// What it shows, for help and the manual.
    pub meaning: &'static str,
    /// Cells it takes (its title and the sort arrow fit); the name takes what is left.
    pub width: u16,
    pub kind: Kind,
    pub bound: Bound,
    /// The value it sorts by, larger first (`None` for the name: sorted by name).
    pub value: fn(&Node) -> Option<f64>,
    /// Its text in the tree: rates only over the same passes as the parent's
    /// ([`Node::shown_rates`]).
    pub text: fn(&Node) -> String,
    /// What the thresholds compare, given the value: the value itself, or a share of a
    /// limit (memory, pids); `None` when there is nothing to compare (no limit).
    pub measure: fn(&Node, f64) -> Option<f64>,
    /// The unit of [`Spec::measure`], for the help and the manual.
    pub unit: &'static str,
    /// The thresholds when the config does not say.
    pub thresholds: Thresholds,
    /// A value of zero (or less) is idle, drawn dim.
    pub idle_at_zero: bool,
    /// Needs memory.stat, which rows read only while such a column is shown.
    pub needs_memory_stat: bool,
}

/// Where a column's measure turns alarming: elevated from `warn`, high from `crit`; `None`
/// never.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub warn: Option<f64>,
    pub crit: Option<f64>,
}

impl Thresholds {
    const fn new(warn: f64, crit: f64) -> Thresholds {
        Thresholds {
            warn: Some(warn),
            crit: Some(crit),
        }
    }

    /// The level `measure` reaches, if it reaches any.
    fn reached(&self, measure: f64) -> Option<Level> {
        if self.crit.is_some_and(|crit| measure >= crit) {
            Some(Level::High)
        } else if self.warn.is_some_and(|warn| measure >= warn) {
            Some(Level::Elevated)
        } else {
            None
        }
    }
}

/// Each column's thresholds: the table's, or the config's (`[thresholds]`).
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnThresholds([Thresholds; SPECS.len()]);

impl Default for ColumnThresholds {
    fn default() -> Self {
        ColumnThresholds(std::array::from_fn(|i| SPECS[i].thresholds))
    }
}

impl ColumnThresholds {
    pub fn get(&self, column: Column) -> Thresholds {
        self.0[column as usize]
    }

    pub fn set(&mut self, column: Column, thresholds: Thresholds) {
        self.0[column as usize] = thresholds;
    }
}

const NEVER: Thresholds = Thresholds {
    warn: None,
    crit: None,
};

/// Thresholds for shares of a limit (memory, pids): 75 % and 90 %.
const OF_LIMIT: Thresholds = Thresholds::new(75.0, 90.0);

const MIB: f64 = 1048576.0;

/// Every column, in the order of [`Column`]'s variants.
pub const SPECS: [Spec; 16] = [
    Spec {
        column: Column::Name,
        id: "name",
        title: "CGROUP",
        meaning: "the cgroup's name, indented by depth",
        width: 0,
        kind: Kind::Event,
        bound: Bound::None,
        value: |_| None,
        text: |_| String::new(),
        measure: |_, _| None,
        unit: "",
        thresholds: NEVER,
        idle_at_zero: false,
        needs_memory_stat: false,
    },
    Spec {
        column: Column::Cpu,
        id: "cpu",
        title: "CPU%",
        meaning: "CPU use, 100 = one CPU",
        width: 6,
        kind: Kind::Rate,
        bound: Bound::Sum,
        value: |n| n.rates().cpu_pct,
        text: |n| format::percent(n.shown_rates().cpu_pct),
        measure: |_, v| Some(v),
        unit: "% (100 = one CPU)",
        thresholds: Thresholds::new(50.0, 90.0),
        idle_at_zero: true,
        needs_memory_stat: false,
    },
    Spec {
        column: Column::Throttled,
        id: "throttled",
        title: "THROTTLE",
        meaning: "share of cpu.max periods throttled, and time throttled per second",
        width: 11,
        kind: Kind::Rate,
        bound: Bound::None,
        value: |n| n.rates().cpu_throttled_pct,
        text: throttle_text,
        measure: |_, v| Some(v),
        unit: "% of periods",
        thresholds: Thresholds::new(1.0, 25.0),
        idle_at_zero: true,
        needs_memory_stat: false,
    },
    Spec {
        column: Column::Memory,
        id: "mem",
        title: "MEM",
        meaning: "memory.current",
        width: 7,
        kind: Kind::Level,
        bound: Bound::Sum,
        value: |n| memory_current(n).map(|v| v as f64),
        text: |n| format::opt_bytes(memory_current(n)),
        measure: |n, _| memory_pct(n),
        unit: "% of the memory limit",
        thresholds: OF_LIMIT,
        idle_at_zero: true,
        needs_memory_stat: false,
    },
    Spec {
        column: Column::MemoryLimit,
        id: "memlim",
        title: "MEMLIM",
        meaning: "the lower of memory.max and memory.high",
        width: 7,
        kind: Kind::Level,
        bound: Bound::None,
        value: |n| {
            effective_memory_limit(n).map(|(l, _)| match l {
                Limit::Value(v) => v as f64,
                Limit::Max => f64::INFINITY,
            })
        },
        text: |n| format::limit(effective_memory_limit(n).map(|(l, _)| l)),
        measure: |n, _| memory_pct(n),
        unit: "% of the memory limit",
        thresholds: OF_LIMIT,
        idle_at_zero: false,
        needs_memory_stat: false,
    },
    Spec {
        column: Column::MemoryPct,
        id: "mempct",
        title: "MEM%L",
        meaning: "memory.current as % of that limit",
        width: 6,
        kind: Kind::Level,
        bound: Bound::None,
        value: memory_pct,
        text: |n| format::percent(memory_pct(n)),
        measure: |n, _| memory_pct(n),
        unit: "% of the memory limit",
        thresholds: OF_LIMIT,
        idle_at_zero: true,
        needs_memory_stat: false,
    },
    Spec {
        column: Column::Swap,
        id: "swap",
        title: "SWAP",
        meaning: "memory.swap.current",
        width: 7,
        kind: Kind::Level,
        bound: Bound::Sum,
        value: |n| swap_current(n).map(|v| v as f64),
        text: |n| format::opt_bytes(swap_current(n)),
        measure: |_, v| Some(v),
        unit: "bytes",
        thresholds: Thresholds {
            warn: Some(1.0),
            crit: None,
        },
        idle_at_zero: true,
        needs_memory_stat: false,
    },
    Spec {
        column: Column::IoRead,
        id: "ioread",
        title: "IO R/s",
        meaning: "bytes read per second (io.stat)",
        width: 7,
        kind: Kind::Rate,
        bound: Bound::Sum,
        value: |n| n.rates().io.map(|io| io.read_bps),
        text: |n| format::opt_rate(n.shown_rates().io.map(|io| io.read_bps)),
        measure: |_, v| Some(v),
        unit: "bytes/s",
        thresholds: Thresholds::new(50.0 * MIB, 500.0 * MIB),
        idle_at_zero: true,
        needs_memory_stat: false,
    },
    Spec {
        column: Column::IoWrite,
        id: "iowrite",
        title: "IO W/s",
        meaning: "bytes written per second (io.stat)",
        width: 7,
        kind: Kind::Rate,
        bound: Bound::Sum,
        value: |n| n.rates().io.map(|io| io.write_bps),
        text: |n| format::opt_rate(n.shown_rates().io.map(|io| io.write_bps)),
        measure: |_, v| Some(v),
        unit: "bytes/s",
        thresholds: Thresholds::new(50.0 * MIB, 500.0 * MIB),
        idle_at_zero: true,
        needs_memory_stat: false,
    },
    Spec {
        column: Column::IoTotal,
        id: "io",
        title: "IO/s",
        meaning: "bytes read and written per second",
        width: 7,
        kind: Kind::Rate,
        bound: Bound::Sum,
        value: |n| n.rates().io.map(|io| io.read_bps + io.write_bps),
        text: |n| format::opt_rate(n.shown_rates().io.map(|io| io.read_bps + io.write_bps)),
        measure: |_, v| Some(v),
        unit: "bytes/s",
        thresholds: Thresholds::new(50.0 * MIB, 500.0 * MIB),
        idle_at_zero: true,
        needs_memory_stat: false,
    },
    Spec {
        column: Column::Pids,
        id: "pids",
        title: "PIDS",
        meaning: "pids.current",
        width: 6,
        kind: Kind::Level,
        bound: Bound::Sum,
        value: |n| pids_current(n).map(|v| v as f64),
        text: |n| format::count(pids_current(n)),
        measure: |n, v| {
            n.sample.as_ref().and_then(|s| match s.pids.max {
                Some(Limit::Value(max)) if max > 0 => Some(v * 100.0 / max as f64),
                _ => None,
            })
        },
        unit: "% of pids.max",
        thresholds: OF_LIMIT,
        idle_at_zero: true,
        needs_memory_stat: false,
    },
    Spec {
        column: Column::Psi,
        id: "psi",
        title: "PSI c/m/i",
        meaning: "some avg10 of cpu/memory/io pressure",
        width: 14,
        kind: Kind::Level,
        bound: Bound::Max,
        value: |n| {
            n.sample.as_ref().and_then(|s| {
                [&s.psi.cpu, &s.psi.memory, &s.psi.io]
                    .iter()
                    .filter_map(|p| p.map(|p| p.some.avg10))
                    .reduce(f64::max)
            })
        },
        text: psi_text,
        measure: |_, v| Some(v),
        unit: "% (avg10)",
        thresholds: Thresholds::new(1.0, 10.0),
        idle_at_zero: true,
        needs_memory_stat: false,
    },
    Spec {
        column: Column::Oom,
        id: "oom",
        title: "OOM",
        meaning: "memory.events oom: the limit was hit, OOM killer invoked",
        width: 5,
        kind: Kind::Event,
        bound: Bound::Sum,
        value: |n| memory_events(n).map(|e| e.oom as f64),
        text: |n| format::count(memory_events(n).map(|e| e.oom)),
        measure: |_, v| Some(v),
        unit: "count",
        thresholds: Thresholds {
            warn: None,
            crit: Some(1.0),
        },
        idle_at_zero: true,
        needs_memory_stat: false,
    },
    Spec {
        column: Column::OomKill,
        id: "oomkill",
        title: "KILLS",
        meaning: "memory.events oom_kill: processes killed",
        width: 6,
        kind: Kind::Event,
        bound: Bound::Sum,
        value: |n| memory_events(n).map(|e| e.oom_kill as f64),
        text: |n| format::count(memory_events(n).map(|e| e.oom_kill)),
        measure: |_, v| Some(v),
        unit: "count",
        thresholds: Thresholds {
            warn: None,
            crit: Some(1.0),
        },
        idle_at_zero: true,
        needs_memory_stat: false,
    },
    Spec {
        column: Column::WorkingSet,
        id: "wss",
        title: "WSS",
        meaning: "working set: memory.current less inactive page cache (memory.stat)",
        width: 7,
        kind: Kind::Level,
        bound: Bound::Sum,
        value: |n| working_set(n).map(|v| v as f64),
        text: |n| format::opt_bytes(working_set(n)),
        measure: |n, v| share_of_memory_limit(n, v),
        unit: "% of the memory limit",
        thresholds: OF_LIMIT,
        idle_at_zero: true,
        needs_memory_stat: true,
    },
    Spec {
        column: Column::Anon,
        id: "anon",
        title: "ANON",
        meaning: "anonymous memory: heap, stacks, private mappings (memory.stat anon)",
        width: 7,
        kind: Kind::Level,
        bound: Bound::Sum,
        value: |n| anon(n).map(|v| v as f64),
        text: |n| format::opt_bytes(anon(n)),
        measure: |n, v| share_of_memory_limit(n, v),
        unit: "% of the memory limit",
        thresholds: OF_LIMIT,
        idle_at_zero: true,
        needs_memory_stat: true,
    },
];

impl Column {
    /// The value columns shown when the config does not say.
    pub const DEFAULT: [Column; 7] = [
        Column::Cpu,
        Column::Memory,
        Column::MemoryLimit,
        Column::IoRead,
        Column::IoWrite,
        Column::Pids,
        Column::Psi,
    ];

    /// Every column, in the table's order.
    pub fn all() -> impl Iterator<Item = Column> {
        SPECS.iter().map(|spec| spec.column)
    }

    pub fn spec(self) -> &'static Spec {
        &SPECS[self as usize]
    }

    pub fn id(self) -> &'static str {
        self.spec().id
    }

    /// The column named `id` in a config file; `throttle` (the column's title) names
    /// `throttled` too.
    pub fn parse(id: &str) -> Option<Column> {
        let id = if id == "throttle" { "throttled" } else { id };
        SPECS.iter().find(|s| s.id == id).map(|s| s.column)
    }

    pub fn title(self) -> &'static str {
        self.spec().title
    }

    pub fn meaning(self) -> &'static str {
        self.spec().meaning
    }

    pub fn width(self) -> u16 {
        self.spec().width
    }

    pub fn kind(self) -> Kind {
        self.spec().kind
    }

    pub fn bound(self) -> Bound {
        self.spec().bound
    }

    /// The value this column sorts by; larger first for everything but the name.
    pub fn value(self, node: &Node) -> Option<f64> {
        (self.spec().value)(node)
    }

    /// The text of the column's cell for `node`.
    pub fn text(self, node: &Node) -> String {
        (self.spec().text)(node)
    }

    /// How alarming the column's value for `node` is with the table's thresholds.
    pub fn level(self, node: &Node) -> Level {
        self.level_with(node, self.spec().thresholds)
    }

    /// How alarming the column's value for `node` is with `thresholds` (idle without a
    /// value).
    pub fn level_with(self, node: &Node, thresholds: Thresholds) -> Level {
        let spec = self.spec();
        let Some(value) = self.value(node) else {
            return Level::Idle;
        };
        match (spec.measure)(node, value).and_then(|m| thresholds.reached(m)) {
            Some(level) => level,
            None if spec.idle_at_zero && value <= 0.0 => Level::Idle,
            None => Level::Normal,
        }
    }

    /// Rows showing this column read memory.stat.
    pub fn needs_memory_stat(self) -> bool {
        self.spec().needs_memory_stat
    }
}

/// Is any of `columns` of `node` at or over its critical threshold?
pub fn over_critical(node: &Node, columns: &[Column], thresholds: &ColumnThresholds) -> bool {
    columns
        .iter()
        .any(|c| c.level_with(node, thresholds.get(*c)) == Level::High)
}

/// The cgroups from `top` down over a critical threshold of one of `columns`, in the model's
/// order.
fn critical_nodes<'m: 'a, 'a>(
    model: &'m crate::model::Model,
    top: &'a crate::cgroup::CgroupPath,
    columns: &'a [Column],
    thresholds: &'a ColumnThresholds,
) -> impl Iterator<Item = &'m Node> + 'a {
    // The usual top is the model's base, above every node: no path to compare (a frame
    // counts these over the whole tree).
    let everyone = model.node(model.base()).path == *top;
    model.nodes().filter(move |n| {
        (everyone || n.path.starts_with(top)) && over_critical(n, columns, thresholds)
    })
}

/// How many cgroups from `top` down are over a critical threshold of one of `columns` (the
/// header's count, drawn every frame: nothing collected or sorted).
pub fn critical_count(
    model: &crate::model::Model,
    top: &crate::cgroup::CgroupPath,
    columns: &[Column],
    thresholds: &ColumnThresholds,
) -> usize {
    critical_nodes(model, top, columns, thresholds).count()
}

/// The cgroups from `top` down over a critical threshold of one of `columns`, parents before
/// children (the order `!` visits them in).
pub fn critical_paths<'m>(
    model: &'m crate::model::Model,
    top: &crate::cgroup::CgroupPath,
    columns: &[Column],
    thresholds: &ColumnThresholds,
) -> Vec<&'m crate::cgroup::CgroupPath> {
    let mut paths: Vec<&crate::cgroup::CgroupPath> =
        critical_nodes(model, top, columns, thresholds)
            .map(|n| &n.path)
            .collect();
    paths.sort();
    paths
}

/// `value` bytes as a percentage of the effective memory limit; `None` without a finite one.
fn share_of_memory_limit(node: &Node, value: f64) -> Option<f64> {
    match effective_memory_limit(node)?.0 {
        Limit::Value(0) | Limit::Max => None,
        Limit::Value(limit) => Some(value * 100.0 / limit as f64),
    }
}

fn anon(node: &Node) -> Option<u64> {
    node.sample.as_ref()?.memory.stat?.anon
}

/// `12% 40ms`: the share of periods throttled, and milliseconds throttled per second.
fn throttle_text(node: &Node) -> String {
    let rates = node.shown_rates();
    let Some(pct) = rates.cpu_throttled_pct else {
        return "-".into();
    };
    match rates.cpu_throttled_usec_per_sec {
        Some(usec) => format!("{pct:.0}% {:.0}ms", usec / 1000.0),
        None => format!("{pct:.0}%"),
    }
}

fn memory_current(node: &Node) -> Option<u64> {
    node.sample.as_ref()?.memory.current
}

fn swap_current(node: &Node) -> Option<u64> {
    node.sample.as_ref()?.memory.swap_current
}

fn pids_current(node: &Node) -> Option<u64> {
    node.sample.as_ref()?.pids.current
}

fn memory_events(node: &Node) -> Option<crate::cgroup::parse::MemoryEvents> {
    node.sample.as_ref()?.memory.events
}

/// `some avg10` of each pressure file: `cpu/memory/io`.
fn psi_text(node: &Node) -> String {
    let Some(sample) = node.sample.as_ref() else {
        return "-".into();
    };
    let part = |p: &Option<crate::cgroup::parse::Pressure>| {
        p.map_or("-".to_string(), |p| format!("{:.1}", p.some.avg10))
    };
    if sample.psi.cpu.is_none() && sample.psi.memory.is_none() && sample.psi.io.is_none() {
        return "-".into();
    }
    format!(
        "{}/{}/{}",
        part(&sample.psi.cpu),
        part(&sample.psi.memory),
        part(&sample.psi.io)
    )
}

/// The working set: memory.current less the page cache not used lately (memory.stat's
/// `inactive_file`), which the kernel drops first (cAdvisor's definition).
pub fn working_set(node: &Node) -> Option<u64> {
    node.sample.as_ref()?.memory.working_set()
}

/// memory.current as a percentage of the effective limit; `None` without a finite limit.
pub fn memory_pct(node: &Node) -> Option<f64> {
    share_of_memory_limit(node, memory_current(node)? as f64)
}

/// The lower of memory.max and memory.high, with the file it came from.
pub fn effective_memory_limit(node: &Node) -> Option<(Limit, &'static str)> {
    let memory = &node.sample.as_ref()?.memory;
    match (memory.max, memory.high) {
        (Some(max), Some(high)) if high < max => Some((high, "memory.high")),
        (Some(max), _) => Some((max, "memory.max")),
        (None, Some(high)) => Some((high, "memory.high")),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_the_order_of_the_variants_and_ids_are_unique() {
        for (i, spec) in SPECS.iter().enumerate() {
            assert_eq!(spec.column as usize, i, "{} is out of place", spec.id);
            assert_eq!(Column::parse(spec.id), Some(spec.column));
        }
        let mut ids: Vec<&str> = SPECS.iter().map(|s| s.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), SPECS.len());
    }

    fn node_with_memory(current: u64, max: Option<u64>, stat: &str) -> Node {
        use crate::cgroup::parse;
        let mut node = Node::new(crate::cgroup::CgroupPath::root(), None);
        let mut sample = crate::cgroup::CgroupSample::default();
        sample.memory.current = Some(current);
        sample.memory.max = Some(max.map_or(Limit::Max, Limit::Value));
        sample.memory.stat = Some(parse::memory_stat(stat).unwrap());
        node.sample = Some(Box::new(sample));
        node
    }

    #[test]
    fn working_set_is_current_less_inactive_file_and_anon_is_memory_stats() {
        let node = node_with_memory(1000, Some(2000), "anon 300\ninactive_file 400\n");
        assert_eq!(Column::WorkingSet.value(&node), Some(600.0));
        assert_eq!(Column::Anon.value(&node), Some(300.0));
        assert!(Column::WorkingSet.needs_memory_stat() && Column::Anon.needs_memory_stat());
        assert!(!Column::Memory.needs_memory_stat());
        // Without inactive_file the working set is not known: never memory.current itself.
        let bare = node_with_memory(1000, None, "anon 300\n");
        assert_eq!(Column::WorkingSet.value(&bare), None);
        assert_eq!(Column::WorkingSet.level(&bare), Level::Idle);
        // Nothing charged: a working set of 0, memory.stat or not.
        let empty = node_with_memory(0, None, "");
        assert_eq!(Column::WorkingSet.value(&empty), Some(0.0));
    }

    #[test]
    fn thresholds_decide_the_level_of_a_row() {
        // 80 % of the limit: elevated with the table's 75/90, high once crit is 80.
        let node = node_with_memory(1600, Some(2000), "anon 1500\ninactive_file 0\n");
        assert_eq!(Column::Memory.level(&node), Level::Elevated);
        let mut thresholds = ColumnThresholds::default();
        thresholds.set(
            Column::Memory,
            Thresholds {
                warn: Some(50.0),
                crit: Some(80.0),
            },
        );
        assert_eq!(
            Column::Memory.level_with(&node, thresholds.get(Column::Memory)),
            Level::High
        );
        // Never alarming: only idle or normal.
        assert_eq!(Column::Memory.level_with(&node, NEVER), Level::Normal);
        // ANON compares its share of the limit: 75 %.
        assert_eq!(Column::Anon.level(&node), Level::Elevated);
        // The limit column is never idle, even without a limit.
        let unlimited = node_with_memory(0, None, "anon 0\n");
        assert_eq!(Column::MemoryLimit.level(&unlimited), Level::Normal);
        assert_eq!(Column::Memory.level(&unlimited), Level::Idle);
    }

    #[test]
    fn throttle_keeps_its_old_config_name() {
        assert_eq!(Column::parse("throttled"), Some(Column::Throttled));
        assert_eq!(Column::parse("throttle"), Some(Column::Throttled));
        assert_eq!(Column::Throttled.title(), "THROTTLE");
    }
}
