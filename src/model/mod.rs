//! The model: a tree of cgroups built from samples and inotify events, holding rates.
//!
//! A tree sample replaces the raw counters of every cgroup and reconciles the tree's shape with
//! what is on disk; watch events change single cgroups between samples. Rates come only from
//! two samples of the same inode, so a removed-and-recreated cgroup never shows a bogus delta.

pub mod column;
pub mod fresh;
pub mod missing;
pub mod rates;
pub mod series;
pub mod view;

use crate::cgroup::devices::Devices;
use crate::cgroup::watch::WatchEvent;
use crate::cgroup::{CgroupPath, CgroupSample};
use rates::{RateRules, Rates};
use series::Series;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long a row flashes after an OOM kill.
pub const OOM_FLASH: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(usize);

#[derive(Debug, Clone)]
pub struct Node {
    pub path: CgroupPath,
    pub parent: Option<NodeId>,
    pub children: Vec<NodeId>,
    /// The latest raw counters; `None` until the first read succeeds. Boxed: it moves from
    /// the sampler's thread to here without a copy, and most of a node is its sample.
    pub sample: Option<Box<CgroupSample>>,
    pub sampled_at: Option<Instant>,
    /// When the sample the rates were computed from was taken: they are the mean over
    /// `sampled_at - rates_since`. `None` without rates.
    pub rates_since: Option<Instant>,
    /// Boxed, and none until the first: most of a large tree is never rated (off screen), and
    /// a node without them is less than half the size.
    rates: Option<Box<Rates>>,
    /// The passes ([`Model::passes`]) of the two reads `rates` come from: a parent's and a
    /// child's rates compare only over the same pair.
    pub rate_window: Option<(u64, u64)>,
    /// The pass of the latest read.
    pub read_pass: Option<u64>,
    /// `rates` cover other passes than the parent's (a row read between passes as it came on
    /// screen): the tree shows them as not known yet, so a child never seems busier than
    /// its parent only because it was measured over another window.
    pub rates_unlike_parent: bool,
    /// The sparklines' points, while the cgroup is read every pass.
    pub series: Series,
    /// When an OOM kill was last seen in this cgroup (memory.events oom_kill grew).
    pub oom_kill_at: Option<Instant>,
    /// When an inotify event last created this node: a tree sample begun earlier must not
    /// remove it again.
    created_at: Option<Instant>,
}

impl Node {
    fn new(path: CgroupPath, parent: Option<NodeId>) -> Self {
        Node {
            path,
            parent,
            children: Vec::new(),
            sample: None,
            sampled_at: None,
            rates_since: None,
            rates: None,
            rate_window: None,
            read_pass: None,
            rates_unlike_parent: false,
            series: Series::default(),
            oom_kill_at: None,
            created_at: None,
        }
    }

    pub fn populated(&self) -> Option<bool> {
        self.sample.as_ref()?.events.map(|e| e.populated)
    }

    pub fn frozen(&self) -> Option<bool> {
        self.sample.as_ref()?.events.map(|e| e.frozen)
    }

    /// The rates from the latest two reads (none yet: all unknown).
    pub fn rates(&self) -> &Rates {
        self.rates.as_deref().unwrap_or(&NOT_KNOWN_YET)
    }

    /// The rates the tree shows: none while they cover other passes than the parent's.
    pub fn shown_rates(&self) -> &Rates {
        if self.rates_unlike_parent {
            &NOT_KNOWN_YET
        } else {
            self.rates()
        }
    }

    pub fn oom_flashing(&self, now: Instant) -> bool {
        self.oom_kill_at
            .is_some_and(|t| now.saturating_duration_since(t) < OOM_FLASH)
    }
}

/// Rates not known yet: no two reads to compute them from.
static NOT_KNOWN_YET: Rates = Rates {
    cpu_pct: None,
    cpu_user_pct: None,
    cpu_system_pct: None,
    cpu_throttled_pct: None,
    cpu_throttled_usec_per_sec: None,
    memory: None,
    memory_events: None,
    io: None,
    io_devices: Vec::new(),
    psi: rates::PsiRates {
        cpu: None,
        memory: None,
        io: None,
    },
    pass_timed: false,
};

/// Every cgroup from the base down, read in one pass.
#[derive(Debug, Clone)]
pub struct TreeSample {
    /// When reading began: events newer than this win over what the pass saw.
    pub started: Instant,
    pub finished: Instant,
    /// It lists every cgroup (the tree was walked). Otherwise it holds only the cgroups read
    /// in this pass, and says nothing of the others: they stay as they are.
    pub complete: bool,
    /// Parents before children. `None`: the cgroup exists but was not read this pass (the
    /// sampler reads hidden cgroups less often); it keeps its previous sample.
    pub cgroups: Vec<(CgroupPath, Option<Box<CgroupSample>>)>,
}

/// What an update changed, so the view knows whether to rebuild its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Affected {
    pub structure: bool,
    pub values: bool,
}

impl Affected {
    fn merge(&mut self, other: Affected) {
        self.structure |= other.structure;
        self.values |= other.values;
    }
}

pub struct Model {
    nodes: Vec<Option<Node>>,
    free: Vec<usize>,
    index: HashMap<CgroupPath, NodeId>,
    base: NodeId,
    /// Removals seen by inotify, so an older tree sample does not resurrect them.
    removed_at: HashMap<CgroupPath, Instant>,
    devices: Devices,
    /// The most recent OOM kill anywhere, so the UI knows how long to keep redrawing a flash
    /// without scanning the tree.
    pub latest_oom_kill: Option<Instant>,
    /// When the previous tree sample was taken: a node read then and now extends its series.
    previous_tree_at: Option<Instant>,
    /// cgroup.controllers of the hierarchy's root, when the base is below it (see
    /// [`Model::hierarchy_controllers`]).
    hierarchy_controllers: Option<Vec<String>>,
    /// What a rate needs: the shortest window, the machine's CPU capacity.
    rules: RateRules,
    /// Passes applied so far (tree samples and rows caught up): numbers the reads, so two
    /// rates can be told to cover the same window.
    passes: u64,
}

impl Model {
    /// An empty model of the tree under `base`; `devices` names the block devices in io.stat.
    pub fn new(base: CgroupPath, devices: Devices) -> Self {
        let mut model = Model {
            nodes: Vec::new(),
            free: Vec::new(),
            index: HashMap::new(),
            base: NodeId(0),
            removed_at: HashMap::new(),
            devices,
            latest_oom_kill: None,
            previous_tree_at: None,
            hierarchy_controllers: None,
            rules: RateRules::for_this_host(Duration::from_secs(1)),
            passes: 0,
        };
        model.base = model.alloc(Node::new(base, None));
        model
    }

    /// Give the model the hierarchy root's cgroup.controllers, read by whoever builds it: a
    /// model rooted below the hierarchy's root (`--root /sub`) cannot see them otherwise.
    pub fn with_hierarchy_controllers(mut self, controllers: Option<Vec<String>>) -> Self {
        self.hierarchy_controllers = controllers;
        self
    }

    /// Rates from here on follow `rules` (the interval changed, or a store's spacing).
    pub fn set_rate_rules(&mut self, rules: RateRules) {
        self.rules = rules;
    }

    /// [`Model::set_rate_rules`] for a builder.
    pub fn with_rate_rules(mut self, rules: RateRules) -> Self {
        self.rules = rules;
        self
    }

    pub fn rate_rules(&self) -> RateRules {
        self.rules
    }

    /// The controllers of the whole hierarchy (its root's cgroup.controllers): the root's
    /// latest sample when the root is in the model, else what the builder gave.
    pub fn hierarchy_controllers(&self) -> Option<&[String]> {
        self.get(&CgroupPath::root())
            .and_then(|n| n.sample.as_ref())
            .and_then(|s| s.controllers.as_deref())
            .or(self.hierarchy_controllers.as_deref())
    }

    pub fn base(&self) -> NodeId {
        self.base
    }

    pub fn node(&self, id: NodeId) -> &Node {
        self.nodes[id.0].as_ref().expect("NodeId of a live node")
    }

    fn node_mut(&mut self, id: NodeId) -> &mut Node {
        self.nodes[id.0].as_mut().expect("NodeId of a live node")
    }

    pub fn find(&self, path: &CgroupPath) -> Option<NodeId> {
        self.index.get(path).copied()
    }

    pub fn get(&self, path: &CgroupPath) -> Option<&Node> {
        self.find(path).map(|id| self.node(id))
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Every node, in no particular order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().flatten()
    }

    /// Every node, parents before children, children in name order.
    pub fn preorder(&self) -> Vec<NodeId> {
        let mut out = Vec::with_capacity(self.len());
        let mut stack = vec![self.base];
        while let Some(id) = stack.pop() {
            out.push(id);
            let mut children = self.node(id).children.clone();
            children.sort_by(|a, b| self.node(*b).path.cmp(&self.node(*a).path));
            stack.extend(children);
        }
        out
    }

    fn alloc(&mut self, node: Node) -> NodeId {
        let path = node.path.clone();
        let id = match self.free.pop() {
            Some(slot) => {
                self.nodes[slot] = Some(node);
                NodeId(slot)
            }
            None => {
                self.nodes.push(Some(node));
                NodeId(self.nodes.len() - 1)
            }
        };
        self.index.insert(path, id);
        id
    }

    /// The node for `path`, created under its parent if missing. `None` if the parent is not
    /// in the model (or the path is outside the base).
    fn ensure(&mut self, path: &CgroupPath) -> Option<(NodeId, bool)> {
        if let Some(id) = self.find(path) {
            return Some((id, false));
        }
        let parent = self.find(&path.parent()?)?;
        let id = self.alloc(Node::new(path.clone(), Some(parent)));
        self.node_mut(parent).children.push(id);
        Some((id, true))
    }

    fn remove(&mut self, id: NodeId) {
        if id == self.base {
            return;
        }
        if let Some(parent) = self.node(id).parent {
            self.node_mut(parent).children.retain(|c| *c != id);
        }
        let mut stack = vec![id];
        while let Some(id) = stack.pop() {
            if let Some(node) = self.nodes[id.0].take() {
                self.index.remove(&node.path);
                stack.extend(node.children);
                self.free.push(id.0);
            }
        }
    }

    /// Store a fresh sample of one node, deriving rates from the previous one. `in_series`:
    /// it comes from a tree pass and the previous pass read this node too, so its values
    /// extend the series at the polling interval. Otherwise the series are dropped: points
    /// at uneven intervals would draw a false curve, and cgroups off screen (read only every
    /// few passes) then hold no series at all, which keeps memory flat at 10,000 cgroups.
    fn store_sample(
        &mut self,
        id: NodeId,
        sample: Box<CgroupSample>,
        at: Instant,
        in_series: bool,
    ) {
        let node = self.node(id);
        let pass = self.passes;
        let (mut rates, rates_since, rate_window) = match (&node.sample, node.sampled_at) {
            (Some(prev), Some(prev_at)) if prev.inode == sample.inode => (
                Rates::between(
                    prev,
                    &sample,
                    at.saturating_duration_since(prev_at),
                    &self.rules,
                ),
                Some(prev_at),
                node.read_pass.map(|prev_pass| (prev_pass, pass)),
            ),
            _ => (Rates::default(), None, None),
        };
        let oom_grew = match (&node.sample, &sample) {
            (Some(prev), cur) if prev.inode == cur.inode => {
                let kills = |s: &CgroupSample| s.memory.events.map(|e| e.oom_kill);
                matches!((kills(prev), kills(cur)), (Some(a), Some(b)) if b > a)
            }
            _ => false,
        };
        for dev in &mut rates.io_devices {
            dev.name = self.devices.name(dev.device);
        }
        let node = self.node_mut(id);
        if in_series {
            // A value this pass could not give is a gap in its series, not a point left out.
            node.series
                .cpu_pct
                .push(rates.cpu_pct.map(|cpu| cpu as f32));
            node.series
                .memory
                .push(sample.memory.current.map(|mem| mem as f32));
            node.series
                .io_bps
                .push(rates.io.map(|io| (io.read_bps + io.write_bps) as f32));
        } else {
            node.series = Series::default();
        }
        if oom_grew {
            node.oom_kill_at = Some(at);
        }
        match node.rates.as_mut() {
            Some(kept) => **kept = rates,
            None => node.rates = Some(Box::new(rates)),
        }
        node.rates_since = rates_since;
        node.rate_window = rate_window;
        node.read_pass = Some(pass);
        node.sample = Some(sample);
        node.sampled_at = Some(at);
        if oom_grew {
            self.latest_oom_kill = Some(at);
        }
    }

    /// Apply a full pass over the tree: new counters everywhere, and the tree's shape made equal
    /// to what the pass saw, except where inotify reported something newer.
    pub fn apply_tree(&mut self, tree: TreeSample) -> Affected {
        let mut change = Affected {
            structure: false,
            values: true,
        };
        self.removed_at.retain(|_, at| *at > tree.started);
        self.passes += 1;
        let mut seen = std::collections::HashSet::with_capacity(tree.cgroups.len());
        let mut read = Vec::new();
        for (path, sample) in tree.cgroups {
            if self.removed_at.contains_key(&path) {
                continue;
            }
            let Some((id, created)) = self.ensure(&path) else {
                continue;
            };
            change.structure |= created;
            seen.insert(id);
            if let Some(sample) = sample {
                let node = self.node(id);
                let in_series =
                    node.sampled_at.is_some() && node.sampled_at == self.previous_tree_at;
                self.store_sample(id, sample, tree.finished, in_series);
                read.push(id);
            }
        }
        self.compare_windows(&read);
        self.previous_tree_at = Some(tree.finished);
        if !tree.complete {
            return change;
        }
        let stale: Vec<NodeId> = self
            .index
            .values()
            .copied()
            .filter(|id| !seen.contains(id) && *id != self.base)
            .filter(|id| self.node(*id).created_at.is_none_or(|t| t < tree.started))
            .collect();
        for id in stale {
            // A parent removed earlier in this loop took its children with it.
            if self.nodes[id.0].is_some() {
                self.remove(id);
                change.structure = true;
            }
        }
        change
    }

    /// Store samples of cgroups read between passes (rows that just came on screen): new
    /// values and rates, but no point of a series (they are not read at the polling interval
    /// yet), and the tree's shape is left alone.
    pub fn apply_caught_up(&mut self, tree: TreeSample) -> Affected {
        let mut change = Affected::default();
        self.passes += 1;
        let mut read = Vec::new();
        for (path, sample) in tree.cgroups {
            let (Some(sample), Some(id)) = (sample, self.find(&path)) else {
                continue;
            };
            if self.removed_at.contains_key(&path) {
                continue;
            }
            self.store_sample(id, sample, tree.finished, false);
            read.push(id);
            change.values = true;
        }
        self.compare_windows(&read);
        change
    }

    /// After a pass read `read`: mark each of them, and their children, whose rates cover
    /// other passes than their parent's ([`Node::rates_unlike_parent`]).
    fn compare_windows(&mut self, read: &[NodeId]) {
        let marks: Vec<(NodeId, bool)> = read
            .iter()
            .flat_map(|&id| std::iter::once(id).chain(self.node(id).children.iter().copied()))
            .map(|node| (node, self.unlike_parent(node)))
            .collect();
        for (node, unlike) in marks {
            self.node_mut(node).rates_unlike_parent = unlike;
        }
    }

    /// Do `node`'s rates cover other passes than its parent's? Only a parent read since the
    /// node's window began is compared: one not read for longer (off screen while sorted by
    /// name) is shown as old anyway, and says nothing of its children's windows.
    fn unlike_parent(&self, node: NodeId) -> bool {
        let this = self.node(node);
        let Some((start, _)) = this.rate_window else {
            return false;
        };
        this.parent
            .map(|parent| self.node(parent))
            .filter(|parent| parent.read_pass >= Some(start))
            .and_then(|parent| parent.rate_window)
            .is_some_and(|parent| this.rate_window != Some(parent))
    }

    /// Apply one inotify event at time `now`.
    pub fn apply_watch(&mut self, event: WatchEvent, now: Instant) -> Affected {
        let mut change = Affected::default();
        match event {
            WatchEvent::Created { path, sample } => {
                self.removed_at.remove(&path);
                if let Some((id, created)) = self.ensure(&path) {
                    change.structure |= created;
                    self.node_mut(id).created_at = Some(now);
                    if let Some(sample) = sample {
                        // A fresh sample of a new inode: no rates until the next one.
                        let reused = self
                            .node(id)
                            .sample
                            .as_ref()
                            .is_some_and(|s| s.inode == sample.inode);
                        if !reused {
                            self.store_sample(id, sample, now, false);
                            change.values = true;
                        }
                    }
                }
            }
            WatchEvent::Removed { path } => {
                if let Some(id) = self.find(&path) {
                    self.remove(id);
                    change.structure = true;
                }
                self.removed_at.insert(path, now);
            }
            WatchEvent::EventsChanged { path, events } => {
                if let Some(sample) = self
                    .find(&path)
                    .and_then(|id| self.node_mut(id).sample.as_mut())
                {
                    change.values = sample.events != Some(events);
                    sample.events = Some(events);
                }
            }
            WatchEvent::MemoryEventsChanged { path, events } => {
                if let Some(id) = self.find(&path) {
                    let node = self.node_mut(id);
                    if let Some(sample) = node.sample.as_mut() {
                        let before = sample.memory.events.map(|e| e.oom_kill).unwrap_or(0);
                        sample.memory.events = Some(events);
                        change.values = true;
                        if events.oom_kill > before {
                            node.oom_kill_at = Some(now);
                            self.latest_oom_kill = Some(now);
                        }
                    }
                }
            }
            WatchEvent::PidsEventsChanged { path, events } => {
                if let Some(sample) = self
                    .find(&path)
                    .and_then(|id| self.node_mut(id).sample.as_mut())
                {
                    sample.pids.events = Some(events);
                    change.values = true;
                }
            }
            WatchEvent::Overflow
            | WatchEvent::Exhausted { .. }
            | WatchEvent::Unwatched { .. }
            | WatchEvent::Written { .. }
            | WatchEvent::WritesUnreported { .. } => {}
        }
        change
    }

    /// Add what only a full read has (the rarer limits, cgroup.type, ...) to a node's latest
    /// sample, leaving its rates alone: a full read on focus must not shorten the rate interval.
    /// `at`: when it was read; it dates the values only when there were none before.
    pub fn merge_full_sample(&mut self, path: &CgroupPath, full: Box<CgroupSample>, at: Instant) {
        let Some(id) = self.find(path) else { return };
        let node = self.node_mut(id);
        match node.sample.as_mut() {
            Some(current) if current.inode == full.inode => {
                let full = *full;
                // A full read is fresh: take the rarely re-read files from it too.
                current.memory.max = full.memory.max;
                current.memory.high = full.memory.high;
                current.pids.max = full.pids.max;
                current.controllers = full.controllers;
                current.subtree_control = full.subtree_control;
                current.nr_procs = full.nr_procs;
                current.memory.low = full.memory.low;
                current.memory.min = full.memory.min;
                current.memory.swap_max = full.memory.swap_max;
                current.memory.stat = full.memory.stat;
                // Its counters are the full read's, not of the pass's moment: no fault rate
                // from them (the next pass's read gives one).
                current.read_at.memory_stat = None;
                current.pids.events = full.pids.events;
                current.detail = full.detail;
                for problem in full.unreadable {
                    if !current.unreadable.contains(&problem) {
                        current.unreadable.push(problem);
                    }
                }
            }
            _ => {
                node.sample = Some(full);
                node.sampled_at = Some(at);
                node.rates_since = None;
                node.rates = None;
                node.rate_window = None;
                node.read_pass = None;
            }
        }
    }

    /// Apply several events, merging what they changed.
    pub fn apply_watches(
        &mut self,
        events: impl IntoIterator<Item = WatchEvent>,
        now: Instant,
    ) -> Affected {
        let mut change = Affected::default();
        for event in events {
            change.merge(self.apply_watch(event, now));
        }
        change
    }
}

#[cfg(test)]
mod tests;
