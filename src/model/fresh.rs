//! How current a value is, and what a parent's value says of its children's.
//!
//! The sampler reads only what the view needs: a cgroup off screen keeps its latest values,
//! which may be minutes old, and a row must never show such a value as if it were current.

use crate::model::Node;
use crate::model::view::Column;
use std::time::{Duration, Instant};

/// Where a column's value comes from, for its age.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The mean of a counter's growth between two reads: old when either read is.
    Rate,
    /// A value read at one moment.
    Level,
    /// Kept current by inotify (memory.events), or not a value (the name).
    Event,
}

fn kind(column: Column) -> Kind {
    match column {
        Column::Cpu | Column::Throttled | Column::IoRead | Column::IoWrite | Column::IoTotal => {
            Kind::Rate
        }
        Column::Name | Column::Oom | Column::OomKill => Kind::Event,
        Column::Memory
        | Column::MemoryLimit
        | Column::MemoryPct
        | Column::Swap
        | Column::Pids
        | Column::Psi => Kind::Level,
    }
}

/// Is the value `column` shows for `node` at `now` older than `within`? For a rate, also when
/// it is the mean over more than `within` (a row read again after a long while off screen). A
/// missing value is never stale: it shows as `-`.
pub fn stale(column: Column, node: &Node, now: Instant, within: Duration) -> bool {
    if column.value(node).is_none() {
        return false;
    }
    let Some(at) = node.sampled_at else {
        return kind(column) != Kind::Event;
    };
    let old = now.saturating_duration_since(at) > within;
    match kind(column) {
        Kind::Event => false,
        Kind::Level => old,
        Kind::Rate => {
            old || node
                .rates_since
                .is_some_and(|since| at.saturating_duration_since(since) > within)
        }
    }
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

pub fn bound(column: Column) -> Bound {
    match column {
        Column::Cpu
        | Column::IoRead
        | Column::IoWrite
        | Column::IoTotal
        | Column::Memory
        | Column::Swap
        | Column::Pids
        | Column::Oom
        | Column::OomKill => Bound::Sum,
        Column::Psi => Bound::Max,
        Column::Name | Column::Throttled | Column::MemoryLimit | Column::MemoryPct => Bound::None,
    }
}

/// Were `a` and `b` read in the same pass, with rates over the same time? Only such values
/// may be compared or subtracted.
pub fn read_together(column: Column, a: &Node, b: &Node) -> bool {
    a.sampled_at.is_some()
        && a.sampled_at == b.sampled_at
        && (kind(column) != Kind::Rate || a.rates_since == b.rates_since)
}
