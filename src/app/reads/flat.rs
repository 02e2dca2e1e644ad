//! The flat list's reads off screen (`t`), sorted by a value: the whole subtree under the top
//! is one ranking, so any cgroup in it could rise onto the screen.
//!
//! Largest first, by a value a parent bounds (cpu.stat, memory.current, io.stat, pids.current
//! count descendants; PSI stalls a parent with its child): no cgroup below one whose value is
//! at most the lowest on screen can pass it. So from the top down, the children of every
//! cgroup whose value is above the lowest on screen are read every pass (with a margin for
//! reads a few milliseconds apart), and nothing below a cgroup at or under it: a pass costs the
//! rows on screen plus the children of the cgroups that hold the hot ones (for CPU on a mostly
//! idle host, a few dozen reads of a 2,000-cgroup tree), and the top K is right within two
//! intervals (a cgroup that heats up is read the pass after its parent rises).
//! A value nothing bounds (limits, ratios) or the smallest first cannot be pruned: every other
//! row of the list is read in turns (every `HIDDEN_EVERY` passes), so the top K is right
//! within that many intervals at the cost of a full tree's reads spread over them.

use crate::model::column::Bound;
use crate::model::view::{Row, TreeView};
use crate::model::{Model, NodeId};
use std::collections::HashSet;

/// What a parent's value may fall short of the lowest shown and still be searched: reads of a
/// pass are a few milliseconds apart.
const MARGIN: f64 = 0.02;

/// Pass each cgroup to read beyond `window` to `take`, with `true` to read it every pass or
/// `false` to read it in turns.
pub(super) fn off_screen(
    model: &Model,
    view: &TreeView,
    window: &[Row],
    take: &mut dyn FnMut(NodeId, bool),
) {
    let rows = view.rows();
    let Some(top) = model.find(&view.top) else {
        return;
    };
    if window.len() == rows.len() {
        // Every row is on screen.
        return;
    }
    let prunable = view.sort_descending && view.sort.bound() != Bound::None;
    let Some(lowest) = lowest_shown(model, view, window).filter(|_| prunable) else {
        // Nothing bounds an unread cgroup: every row off screen, in turns.
        let shown: HashSet<NodeId> = window.iter().map(|r| r.id).collect();
        for row in rows.iter().filter(|r| !shown.contains(&r.id)) {
            take(row.id, false);
        }
        return;
    };
    let threshold = lowest - lowest.abs() * MARGIN;
    let mut stack = vec![top];
    while let Some(id) = stack.pop() {
        let node = model.node(id);
        // Unknown (never read): read now (as a child), searched below once its value is known.
        let open = id == top || view.sort.value(node).is_some_and(|v| v > threshold);
        if !open {
            continue;
        }
        for child in &node.children {
            take(*child, true);
            stack.push(*child);
        }
    }
}

/// The lowest value among the rows on screen; `None` when one has no value (any unread cgroup
/// could pass it) or the screen is empty.
fn lowest_shown(model: &Model, view: &TreeView, window: &[Row]) -> Option<f64> {
    let mut lowest: Option<f64> = None;
    for row in window {
        let value = view.sort.value(model.node(row.id))?;
        lowest = Some(lowest.map_or(value, |l| l.min(value)));
    }
    lowest
}
