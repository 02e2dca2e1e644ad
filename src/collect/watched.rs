//! The tree as inotify reports it, for readers of a whole tree that list it only to check
//! (the recorder, the exporter): what the watcher found, plus what it reported created, minus
//! what it reported removed, and whether that can be trusted ([`Trust`]).

use crate::cgroup::CgroupPath;
use crate::cgroup::watch::WatchEvent;
use std::collections::{BTreeSet, HashSet};

/// What inotify reports completely, so that what it last said is current: which cgroups'
/// `cgroup.events`, and whether the tree itself (every directory watched).
pub(crate) struct Trust {
    /// The watcher runs (out of watches it still reports each cgroup it cannot watch).
    pub(crate) watching: bool,
    /// Cgroups whose event files could not be watched: always read.
    pub(crate) unwatched: HashSet<CgroupPath>,
    /// Cgroups whose directory could not be watched: their new children go unreported.
    pub(crate) unwatched_dirs: HashSet<CgroupPath>,
    /// Cgroups whose writes the watcher does not report (their directory is not root's).
    pub(crate) writes_unreported: HashSet<CgroupPath>,
    /// Events were lost (queue overflow): the next sample lists the tree and reads every
    /// event file.
    pub(crate) reread: bool,
}

impl Default for Trust {
    fn default() -> Self {
        Trust {
            watching: true,
            unwatched: HashSet::new(),
            unwatched_dirs: HashSet::new(),
            writes_unreported: HashSet::new(),
            reread: false,
        }
    }
}

impl Trust {
    pub(crate) fn learn(&mut self, event: &WatchEvent) {
        match event {
            WatchEvent::Overflow => self.reread = true,
            // Each cgroup left without watches follows as `Unwatched`
            // (`Watcher::reporting_each_unwatched`): only those are polled.
            WatchEvent::Exhausted { .. } => {}
            WatchEvent::Unwatched {
                path, directory, ..
            } => {
                self.unwatched.insert(path.clone());
                if *directory {
                    self.unwatched_dirs.insert(path.clone());
                }
            }
            WatchEvent::WritesUnreported { path } => {
                self.writes_unreported.insert(path.clone());
            }
            WatchEvent::Removed { path } => {
                self.unwatched.retain(|p| !p.starts_with(path));
                self.unwatched_dirs.retain(|p| !p.starts_with(path));
                self.writes_unreported.retain(|p| !p.starts_with(path));
            }
            _ => {}
        }
    }

    pub(crate) fn trusts(&self, path: &CgroupPath) -> bool {
        self.watching && !self.unwatched.contains(path)
    }

    /// A write to `path`'s files is reported: its directory is watched, and root's.
    pub(crate) fn reports_writes_of(&self, path: &CgroupPath) -> bool {
        self.watching
            && !self.unwatched_dirs.contains(path)
            && !self.writes_unreported.contains(path)
    }

    /// The watcher's tree, with the unwatched directories listed again, is the whole tree:
    /// it runs and lost nothing.
    pub(crate) fn knows_the_tree(&self) -> bool {
        self.watching && !self.reread
    }
}

/// The children of the directories inotify does not watch, listed again: what changed since
/// `tree` last said, as the watcher would have reported it. A new child is unwatched too (no
/// watch was asked for it), so its own children are listed from the next sample on.
pub(crate) fn relist_unwatched(
    fs: &crate::cgroup::Cgroupfs,
    trust: &Trust,
    tree: &BTreeSet<CgroupPath>,
    max_path: usize,
) -> Vec<WatchEvent> {
    let mut events = Vec::new();
    for dir in trust.unwatched_dirs.iter().filter(|d| tree.contains(*d)) {
        // Gone or unreadable: its parent's watch or listing says so.
        let Ok(Some(mut names)) = fs.children(dir) else {
            continue;
        };
        names.sort();
        let mut known: Vec<std::ffi::OsString> = children_in(tree, dir)
            .map(|p| p.name().to_os_string())
            .collect();
        known.sort();
        let (made, removed) = crate::collect::changed_children(&known, &names);
        for name in made {
            if dir.joined_len(name) > max_path {
                continue;
            }
            let path = dir.join(name);
            events.push(WatchEvent::Created {
                path: path.clone(),
                sample: None,
            });
            events.push(WatchEvent::Unwatched {
                path,
                directory: true,
                reason: "made under a directory without a watch".into(),
                children: None,
            });
        }
        for name in removed {
            events.push(WatchEvent::Removed {
                path: dir.join(name),
            });
        }
    }
    events
}

/// A listing of the tree (`listed`, parents first) is the truth now: `tree` becomes it (later
/// creations and removals come as events), and `trust` learns what it found that no watch
/// covers ([`unwatched_in_listing`]).
pub(crate) fn take_listing(
    trust: &mut Trust,
    tree: &mut BTreeSet<CgroupPath>,
    listed: &[CgroupPath],
) {
    for event in unwatched_in_listing(trust, tree, listed) {
        trust.learn(&event);
    }
    *tree = listed.iter().cloned().collect();
}

/// What a listing found that no watch covers: each cgroup it found that `tree` (the tree
/// before it) did not have, under a directory without a watch, named unwatched (the watcher
/// never saw it made, so nothing watches it either), so that its children are listed again
/// like its parent's. `listed` comes parents first.
fn unwatched_in_listing(
    trust: &Trust,
    tree: &BTreeSet<CgroupPath>,
    listed: &[CgroupPath],
) -> Vec<WatchEvent> {
    let mut unwatched_dirs = trust.unwatched_dirs.clone();
    let mut events = Vec::new();
    for path in listed {
        if tree.contains(path) || unwatched_dirs.contains(path) {
            continue;
        }
        let under_unwatched = path
            .parent()
            .is_some_and(|parent| unwatched_dirs.contains(&parent));
        if under_unwatched {
            unwatched_dirs.insert(path.clone());
            events.push(WatchEvent::Unwatched {
                path: path.clone(),
                directory: true,
                reason: "found by a listing under a directory without a watch".into(),
                children: None,
            });
        }
    }
    events
}

/// The children of `parent` in `tree`.
pub(crate) fn children_in<'a>(
    tree: &'a BTreeSet<CgroupPath>,
    parent: &'a CgroupPath,
) -> impl Iterator<Item = &'a CgroupPath> {
    tree.range(parent.clone()..)
        .take_while(move |p| p.starts_with(parent))
        .filter(move |p| p.parent_bytes() == Some(parent.as_bytes()))
}

/// The tree as the watcher reported it: what it found when it started, plus what it reported
/// created, minus what it reported removed (with everything below).
pub(crate) fn follow_tree(tree: &mut BTreeSet<CgroupPath>, event: &WatchEvent) {
    match event {
        WatchEvent::Created { path, .. } => {
            tree.insert(path.clone());
        }
        WatchEvent::Removed { path } => {
            let doomed: Vec<CgroupPath> = tree
                .range(path.clone()..)
                .take_while(|p| p.starts_with(path))
                .cloned()
                .collect();
            for p in doomed {
                tree.remove(&p);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> CgroupPath {
        CgroupPath::from_relative(std::path::Path::new(s)).unwrap()
    }

    /// `path`'s directory could not be watched (out of watches).
    fn unwatched_dir(path: &str) -> WatchEvent {
        WatchEvent::Unwatched {
            path: p(path),
            directory: true,
            reason: "no inotify watch left".into(),
            children: None,
        }
    }

    #[test]
    fn the_tree_follows_the_watcher_and_removal_takes_the_subtree_only() {
        let mut tree: BTreeSet<CgroupPath> = ["", "a", "a/b", "a-x", "c"].map(p).into();
        follow_tree(
            &mut tree,
            &WatchEvent::Created {
                path: p("a/b/new"),
                sample: None,
            },
        );
        assert!(tree.contains(&p("a/b/new")));
        follow_tree(&mut tree, &WatchEvent::Removed { path: p("a") });
        let left: Vec<CgroupPath> = tree.into_iter().collect();
        assert_eq!(left, ["", "a-x", "c"].map(p));
    }

    #[test]
    fn the_tree_is_trusted_while_nothing_was_lost_and_unwatched_cgroups_are_polled() {
        let mut trust = Trust::default();
        assert!(trust.knows_the_tree());
        trust.learn(&WatchEvent::Unwatched {
            path: p("a/b"),
            directory: false,
            reason: "EACCES".into(),
            children: None,
        });
        assert!(trust.knows_the_tree(), "its directory is watched");
        assert!(!trust.trusts(&p("a/b")));
        trust.learn(&WatchEvent::Unwatched {
            path: p("a/c"),
            directory: true,
            reason: "EACCES".into(),
            children: None,
        });
        // Its children are listed again at each sample (relist_unwatched), not the tree.
        assert!(trust.knows_the_tree());
        assert!(trust.unwatched_dirs.contains(&p("a/c")));
        trust.learn(&WatchEvent::Removed { path: p("a") });
        assert!(
            trust.unwatched_dirs.is_empty(),
            "the unwatched directory is gone"
        );
        assert!(trust.trusts(&p("a/b")));
        trust.learn(&WatchEvent::Overflow);
        assert!(!trust.knows_the_tree(), "events were lost: list once");
        trust.reread = false;
        // Out of watches: each cgroup left without one follows as Unwatched; the others stay
        // trusted.
        trust.learn(&WatchEvent::Exhausted {
            reason: "ENOSPC".into(),
        });
        trust.learn(&WatchEvent::Unwatched {
            path: p("d"),
            directory: true,
            reason: "no inotify watch left".into(),
            children: None,
        });
        assert!(trust.knows_the_tree() && trust.trusts(&p("c")) && !trust.trusts(&p("d")));
    }

    /// A directory without a watch is listed again at each sample: what appeared and what went
    /// since the tree last said, as the watcher would have reported it.
    #[test]
    fn an_unwatched_directory_is_listed_again_for_new_and_removed_children() {
        let dir = tempfile::tempdir().unwrap();
        for d in ["a", "a/old", "a/old/below", "a/kept", "w", "w/x"] {
            std::fs::create_dir(dir.path().join(d)).unwrap();
        }
        let fs = crate::cgroup::Cgroupfs::fixture(dir.path()).unwrap();
        let mut trust = Trust::default();
        trust.learn(&unwatched_dir("a"));
        let mut tree: BTreeSet<CgroupPath> =
            ["", "a", "a/old", "a/old/below", "a/kept", "w", "w/x"]
                .into_iter()
                .map(p)
                .collect();
        std::fs::remove_dir(dir.path().join("a/old/below")).unwrap();
        std::fs::remove_dir(dir.path().join("a/old")).unwrap();
        std::fs::create_dir(dir.path().join("a/new")).unwrap();
        // Under a watched directory: the watcher's to report, not listed.
        std::fs::create_dir(dir.path().join("w/y")).unwrap();
        let events = relist_unwatched(&fs, &trust, &tree, usize::MAX);
        assert_eq!(
            events,
            vec![
                WatchEvent::Created {
                    path: p("a/new"),
                    sample: None
                },
                WatchEvent::Unwatched {
                    path: p("a/new"),
                    directory: true,
                    reason: "made under a directory without a watch".into(),
                    children: None,
                },
                WatchEvent::Removed { path: p("a/old") },
            ]
        );
        for event in &events {
            trust.learn(event);
            follow_tree(&mut tree, event);
        }
        assert!(tree.contains(&p("a/new")) && !tree.contains(&p("a/old/below")));
        assert!(trust.unwatched_dirs.contains(&p("a/new")));
        assert!(
            relist_unwatched(&fs, &trust, &tree, usize::MAX).is_empty(),
            "nothing new the second time"
        );
    }

    /// A listing (the recorder's key frames, the exporter's check) finds cgroups the watcher
    /// never reported: those under a directory without a watch are unwatched too, at any
    /// depth, so that their children are listed again; the others have watches.
    #[test]
    fn what_a_listing_finds_under_an_unwatched_directory_is_unwatched_too() {
        let mut trust = Trust::default();
        trust.learn(&unwatched_dir("a"));
        let tree: BTreeSet<CgroupPath> = ["", "a", "b"].into_iter().map(p).collect();
        let listed: Vec<CgroupPath> = ["", "a", "a/x", "a/x/y", "b", "b/z"]
            .into_iter()
            .map(p)
            .collect();
        let named: Vec<CgroupPath> = unwatched_in_listing(&trust, &tree, &listed)
            .into_iter()
            .map(|event| match event {
                WatchEvent::Unwatched {
                    path,
                    directory: true,
                    ..
                } => path,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(named, [p("a/x"), p("a/x/y")]);
        let mut tree = tree;
        take_listing(&mut trust, &mut tree, &listed);
        assert!(trust.unwatched_dirs.contains(&p("a/x/y")));
        assert!(!trust.unwatched_dirs.contains(&p("b/z")));
        assert_eq!(
            tree,
            listed.iter().cloned().collect(),
            "the listing is the tree"
        );
        assert!(
            unwatched_in_listing(&trust, &tree, &listed).is_empty(),
            "nothing new the second time"
        );
    }
}
