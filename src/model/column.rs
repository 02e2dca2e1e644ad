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
    /// Share of CFS periods throttled by cpu.max.
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
    /// How alarming a value is.
    pub level: fn(&Node, f64) -> Level,
}

/// Every column, in the order of [`Column`]'s variants.
pub const SPECS: [Spec; 14] = [
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
        level: |_, _| Level::Normal,
    },
    Spec {
        column: Column::Cpu,
        id: "cpu",
        title: "CPU%",
        meaning: "CPU use, 100 = one CPU",
        width: 6,
        kind: Kind::Rate,
        bound: Bound::Sum,
        value: |n| n.rates.cpu_pct,
        text: |n| format::percent(n.shown_rates().cpu_pct),
        level: |_, v| scale(v, 50.0, 90.0),
    },
    Spec {
        column: Column::Throttled,
        id: "throttled",
        title: "THR%",
        meaning: "share of cpu.max periods throttled",
        width: 5,
        kind: Kind::Rate,
        bound: Bound::None,
        value: |n| n.rates.cpu_throttled_pct,
        text: |n| format::percent(n.shown_rates().cpu_throttled_pct),
        level: |_, v| scale(v, 1.0, 25.0),
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
        level: |n, v| match of_limit(n) {
            Level::Normal if v <= 0.0 => Level::Idle,
            level => level,
        },
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
        level: |n, _| of_limit(n).max(Level::Normal),
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
        level: |n, v| match of_limit(n) {
            Level::Normal if v <= 0.0 => Level::Idle,
            level => level,
        },
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
        level: |_, v| scale(v, f64::MIN_POSITIVE, f64::INFINITY),
    },
    Spec {
        column: Column::IoRead,
        id: "ioread",
        title: "IO R/s",
        meaning: "bytes read per second (io.stat)",
        width: 7,
        kind: Kind::Rate,
        bound: Bound::Sum,
        value: |n| n.rates.io.map(|io| io.read_bps),
        text: |n| format::opt_rate(n.shown_rates().io.map(|io| io.read_bps)),
        level: io_level,
    },
    Spec {
        column: Column::IoWrite,
        id: "iowrite",
        title: "IO W/s",
        meaning: "bytes written per second (io.stat)",
        width: 7,
        kind: Kind::Rate,
        bound: Bound::Sum,
        value: |n| n.rates.io.map(|io| io.write_bps),
        text: |n| format::opt_rate(n.shown_rates().io.map(|io| io.write_bps)),
        level: io_level,
    },
    Spec {
        column: Column::IoTotal,
        id: "io",
        title: "IO/s",
        meaning: "bytes read and written per second",
        width: 7,
        kind: Kind::Rate,
        bound: Bound::Sum,
        value: |n| n.rates.io.map(|io| io.read_bps + io.write_bps),
        text: |n| format::opt_rate(n.shown_rates().io.map(|io| io.read_bps + io.write_bps)),
        level: io_level,
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
        level: |n, v| {
            let max = n.sample.as_ref().and_then(|s| match s.pids.max {
                Some(Limit::Value(m)) if m > 0 => Some(m as f64),
                _ => None,
            });
            match max {
                Some(max) => scale(v * 100.0 / max, 75.0, 90.0),
                None => scale(v, f64::INFINITY, f64::INFINITY),
            }
        },
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
        level: |_, v| scale(v, 1.0, 10.0),
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
        level: |_, v| scale(v, f64::INFINITY, f64::MIN_POSITIVE),
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
        level: |_, v| scale(v, f64::INFINITY, f64::MIN_POSITIVE),
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

    pub fn parse(id: &str) -> Option<Column> {
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

    /// How alarming the column's value for `node` is (idle without a value).
    pub fn level(self, node: &Node) -> Level {
        match self.value(node) {
            Some(value) => (self.spec().level)(node, value),
            None => Level::Idle,
        }
    }
}

fn scale(value: f64, elevated: f64, high: f64) -> Level {
    if value >= high {
        Level::High
    } else if value >= elevated {
        Level::Elevated
    } else if value <= 0.0 {
        Level::Idle
    } else {
        Level::Normal
    }
}

fn io_level(_: &Node, value: f64) -> Level {
    scale(value, 50.0 * 1048576.0, 500.0 * 1048576.0)
}

/// How close memory.current is to the effective limit.
fn of_limit(node: &Node) -> Level {
    memory_pct(node).map_or(Level::Normal, |pct| scale(pct, 75.0, 90.0))
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
    let memory = &node.sample.as_ref()?.memory;
    Some(memory.current?.saturating_sub(memory.stat?.inactive_file?))
}

/// memory.current as a percentage of the effective limit; `None` without a finite limit.
pub fn memory_pct(node: &Node) -> Option<f64> {
    let current = memory_current(node)?;
    match effective_memory_limit(node)?.0 {
        Limit::Value(0) => None,
        Limit::Value(limit) => Some(current as f64 * 100.0 / limit as f64),
        Limit::Max => None,
    }
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
}
