//! The exporter's tree as inotify reports it ([`Exporter::watching`]), so that a scrape lists
//! nothing: one watch on each cgroup's directory, whose events the kernel queues between
//! scrapes and each scrape takes first (no thread, nothing to do between scrapes). A cgroup
//! made before a scrape began is in it, as with a listing. A scrape lists the tree itself
//! when events were lost or more are queued than it takes (a flood), when inotify failed,
//! and every [`WALK_EVERY`] scrapes as a check. Values (`cgroup.events` too) are read at
//! every scrape as before.

use super::Exporter;
use crate::cgroup::watch::{WatchEvent, Watcher};
use crate::cgroup::{CgroupPath, Cgroupfs};
use crate::collect::watched::{Trust, follow_tree, relist_unwatched, take_listing};
use std::collections::BTreeSet;
use std::io::Write;
use std::time::Instant;

/// A scrape lists the tree itself at least this often, whatever the watcher says.
pub const WALK_EVERY: usize = 60;

/// The most watch events a scrape takes before it reads; beyond (a flood of creations and
/// removals), it lists the tree instead, and the rest wait for the next scrape.
const MAX_EVENTS_A_SCRAPE: usize = 20_000;

pub(super) struct Followed {
    watcher: Watcher,
    trust: Trust,
    tree: BTreeSet<CgroupPath>,
    scrapes_since_walk: usize,
}

impl Followed {
    fn learn(trust: &mut Trust, tree: &mut BTreeSet<CgroupPath>, event: &WatchEvent) {
        if let WatchEvent::Exhausted { reason } = event {
            // Not eprintln: a closed stderr must not fail a scrape.
            let _ = writeln!(std::io::stderr(), "cgtui export: {reason}");
        }
        trust.learn(event);
        follow_tree(tree, event);
    }

    /// The cgroups a scrape reads: the watcher's tree after the events queued since the last
    /// scrape, or a listing of `base` when that tree cannot be trusted or is due its check.
    /// Whether it listed the tree comes with them. Events are taken until `deadline` (the
    /// scrape's): past it, the tree is listed and the rest wait for the next scrape.
    pub(super) fn paths(
        &mut self,
        fs: &Cgroupfs,
        base: &CgroupPath,
        deadline: Option<Instant>,
    ) -> (Vec<CgroupPath>, bool) {
        let (trust, tree) = (&mut self.trust, &mut self.tree);
        let taken = self
            .watcher
            .take_queued(MAX_EVENTS_A_SCRAPE, deadline, &mut |event| {
                Followed::learn(trust, tree, &event)
            });
        let all_taken = match taken {
            Ok(all_taken) => all_taken,
            Err(e) => {
                if self.trust.watching {
                    let _ = writeln!(
                        std::io::stderr(),
                        "cgtui export: inotify failed ({e}): every scrape lists the tree"
                    );
                }
                self.trust.watching = false;
                false
            }
        };
        if !all_taken || !self.trust.knows_the_tree() || self.scrapes_since_walk >= WALK_EVERY {
            self.scrapes_since_walk = 0;
            self.trust.reread = false;
            let walk = fs.walk(base);
            take_listing(&mut self.trust, &mut self.tree, &walk);
            return (walk, true);
        }
        self.scrapes_since_walk += 1;
        if !self.trust.unwatched_dirs.is_empty() {
            // Past the watch budget only the unwatched directories are listed, not the tree.
            for event in relist_unwatched(fs, &self.trust, &self.tree, usize::MAX) {
                Followed::learn(&mut self.trust, &mut self.tree, &event);
            }
        }
        (self.tree.iter().cloned().collect(), false)
    }
}

impl Exporter {
    /// Follow the tree through inotify from now on: one watch on each cgroup's directory, so
    /// that scrapes list nothing (see [`follow`](self)). Without inotify, or past the watch
    /// budget, scrapes list what is not watched as before.
    pub fn watching(self) -> Exporter {
        self.watching_at_most(None)
    }

    /// [`Exporter::watching`] with at most `watches` inotify watches (`None`: the default
    /// share of those free); past them, scrapes list the directories left unwatched.
    pub fn watching_at_most(mut self, watches: Option<usize>) -> Exporter {
        let mut watcher = match Watcher::new(self.fs.clone(), self.base.clone()) {
            Ok(watcher) => watcher
                .with_watch_budget_from(watches, "the exporter's budget")
                .without_counter_files()
                .with_cgroup_events_of_followed_only()
                .without_created_samples()
                .reporting_each_unwatched(),
            Err(e) => {
                eprintln!(
                    "cgtui export: inotify is not available ({e}): every scrape lists the tree"
                );
                return self;
            }
        };
        let mut trust = Trust::default();
        let mut tree = BTreeSet::new();
        watcher.watch_existing(&mut |event| {
            Followed::learn(&mut trust, &mut tree, &event);
            true
        });
        self.followed = Some(Followed {
            watcher,
            trust,
            tree,
            // The first scrape lists the tree: the watcher's tree is built from events only.
            scrapes_since_walk: WALK_EVERY,
        });
        self
    }

    /// Does the exporter follow the tree through inotify ([`Exporter::watching`])?
    pub fn is_watching(&self) -> bool {
        self.followed.as_ref().is_some_and(|f| f.trust.watching)
    }
}
