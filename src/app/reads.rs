//! What the sampler must read for the view: the rows on screen every pass; off screen, only
//! what could change what the screen shows.
//!
//! Sorted by name, rows off screen never move onto it by themselves: nothing off screen is
//! read (new and removed cgroups, populated/frozen and OOM kills arrive by inotify). Sorted
//! by a value, largest first, an unread row below the screen moves onto it only if its value
//! grew past the lowest sibling shown. cpu.stat, memory.current, io.stat and pids.current
//! count descendants too, so a parent's value bounds its children's: what the parent has
//! beyond the children read with it in the same pass is the most any unread child can have
//! (for PSI, the parent's own value). While that is below the lowest sibling on screen, no
//! unread sibling can take a place there and none is read; otherwise, and for values nothing
//! bounds, the siblings below the screen are read every pass (the top K must be right), and
//! those ranked above it in turns (they can only push the screen's rows down).

use crate::cgroup::CgroupPath;
use crate::collect::plan::Reads;
use crate::model::column::Bound;
use crate::model::fresh;
use crate::model::view::{Column, TreeView};
use crate::model::{Model, NodeId};
use std::collections::HashSet;

mod flat;

/// At most this many children of the top are read every pass for the header's memory total
/// when the top has no memory.current of its own (the root cgroup).
const TOP_CHILDREN_MAX: usize = 64;

/// The reads the view needs with rows `offset..offset + height` of `view` on screen.
pub fn plan(model: &Model, view: &TreeView, offset: usize, height: usize) -> Reads {
    let rows = view.rows();
    let end = offset.saturating_add(height).min(rows.len());
    let window = &rows[offset.min(end)..end];
    let shown: HashSet<NodeId> = window.iter().map(|r| r.id).collect();
    let mut taken: HashSet<NodeId> = HashSet::new();
    let mut every_pass: Vec<CgroupPath> = Vec::with_capacity(window.len() + 8);
    let mut take = |id: NodeId, list: &mut Vec<CgroupPath>| {
        if taken.insert(id) {
            list.push(model.node(id).path.clone());
        }
    };
    for row in window {
        take(row.id, &mut every_pass);
    }
    // The header's totals: the top's values, or its children's memory added up.
    if let Some(top) = model.find(&view.top) {
        take(top, &mut every_pass);
        let node = model.node(top);
        let no_memory = node
            .sample
            .as_ref()
            .is_some_and(|s| s.memory.current.is_none());
        if no_memory && node.children.len() <= TOP_CHILDREN_MAX {
            for child in &node.children {
                take(*child, &mut every_pass);
            }
        }
    }
    let mut in_turns = Vec::new();
    if view.sort == Column::Name {
        return Reads {
            every_pass,
            in_turns,
            ..Reads::default()
        };
    }
    if view.flat() {
        flat::off_screen(model, view, window, &mut |id, every| {
            take(
                id,
                if every {
                    &mut every_pass
                } else {
                    &mut in_turns
                },
            )
        });
        return Reads {
            every_pass,
            in_turns,
            ..Reads::default()
        };
    }
    // Parents of rows on screen: their children are sorted by the value.
    let mut parents: Vec<NodeId> = Vec::new();
    for row in window.iter().filter(|r| r.depth > 0) {
        if let Some(parent) = model.node(row.id).parent
            && !parents.contains(&parent)
        {
            parents.push(parent);
        }
    }
    let in_rows: Option<HashSet<NodeId>> =
        (!view.filter().is_empty()).then(|| rows.iter().map(|r| r.id).collect());
    for parent in parents {
        take(parent, &mut every_pass);
        let members: Vec<NodeId> = model
            .node(parent)
            .children
            .iter()
            .copied()
            .filter(|c| in_rows.as_ref().is_none_or(|r| r.contains(c)))
            .collect();
        let first_shown = window
            .iter()
            .position(|r| model.node(r.id).parent == Some(parent))
            .map(|at| window[at].id);
        let unread_cannot_rise =
            view.sort_descending && tail_is_bounded(model, view.sort, parent, &members, &shown);
        for member in members {
            if shown.contains(&member) {
                continue;
            }
            // Siblings ranked above the screen could fall onto it: read in turns. Those below
            // it that could rise onto it are read now: the screen's top K must be right within
            // the interval (the sampler reads rows new to `every_pass` at once).
            let above = first_shown.is_some_and(|first| ranked_before(model, view, member, first));
            if above {
                take(member, &mut in_turns);
            } else if !unread_cannot_rise {
                take(member, &mut every_pass);
            }
        }
    }
    Reads {
        every_pass,
        in_turns,
        ..Reads::default()
    }
}

/// Is `a` ranked before `b` among siblings sorted largest first?
fn ranked_before(model: &Model, view: &TreeView, a: NodeId, b: NodeId) -> bool {
    let value = |id: NodeId| view.sort.value(model.node(id));
    match (value(a), value(b)) {
        (Some(x), Some(y)) => {
            if view.sort_descending {
                x > y
            } else {
                x < y
            }
        }
        (Some(_), None) => true,
        _ => false,
    }
}

/// Can no child of `parent` that is not on screen have a value above the lowest sibling on
/// screen? True when the parent's value, less the children on screen read with it, is below
/// that.
fn tail_is_bounded(
    model: &Model,
    column: Column,
    parent: NodeId,
    members: &[NodeId],
    shown: &HashSet<NodeId>,
) -> bool {
    let parent_node = model.node(parent);
    let Some(total) = column.value(parent_node) else {
        return false;
    };
    // The lowest value on screen among the siblings; a sibling shown without a value could be
    // passed by any unread one.
    let mut lowest = f64::INFINITY;
    for member in members.iter().filter(|m| shown.contains(m)) {
        match column.value(model.node(*member)) {
            Some(v) => lowest = lowest.min(v),
            None => return false,
        }
    }
    let left = match column.bound() {
        Bound::None => return false,
        Bound::Max => total,
        Bound::Sum => {
            // Only the siblings on screen: what the others add up to now says whether they
            // could rise at the next pass, when they are not read (no flip-flop).
            let read: f64 = members
                .iter()
                .filter(|m| shown.contains(m))
                .map(|m| model.node(*m))
                .filter(|n| fresh::read_together(column, n, parent_node))
                .filter_map(|n| column.value(n))
                .sum();
            total - read
        }
    };
    // Reads a few milliseconds apart within a pass: leave a margin of 2 % of the parent's.
    let margin = total.abs() * 0.02;
    left <= 0.0 || left + margin < lowest
}
