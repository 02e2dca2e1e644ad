//! How current a value is, and what a parent's value says of its children's.
//!
//! The sampler reads only what the view needs: a cgroup off screen keeps its latest values,
//! which may be minutes old, and a row must never show such a value as if it were current.

use crate::model::Node;
use crate::model::column::{Column, Kind};
use std::time::{Duration, Instant};

/// Is the value `column` shows for `node` at `now` older than `within`? For a rate, also when
/// it is the mean over more than `within` (a row read again after a long while off screen). A
/// missing value is never stale: it shows as `-`.
pub fn stale(column: Column, node: &Node, now: Instant, within: Duration) -> bool {
    if column.value(node).is_none() {
        return false;
    }
    let Some(at) = node.sampled_at else {
        return column.kind() != Kind::Event;
    };
    let old = now.saturating_duration_since(at) > within;
    match column.kind() {
        Kind::Event => false,
        Kind::Level => old,
        Kind::Rate => {
            old || node
                .rates_since
                .is_some_and(|since| at.saturating_duration_since(since) > within)
        }
    }
}

/// Were `a` and `b` read in the same pass, with rates over the same time? Only such values
/// may be compared or subtracted.
pub fn read_together(column: Column, a: &Node, b: &Node) -> bool {
    a.sampled_at.is_some()
        && a.sampled_at == b.sampled_at
        && (column.kind() != Kind::Rate || a.rates_since == b.rates_since)
}
