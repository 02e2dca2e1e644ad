use super::*;
use crate::cgroup::parse::{self, CgroupEvents};
use std::ffi::OsStr;

fn path(s: &str) -> CgroupPath {
    CgroupPath::from_relative(std::path::Path::new(s)).unwrap()
}

fn sample(inode: u64, usage: u64) -> CgroupSample {
    CgroupSample {
        inode,
        cpu: Some(
            parse::cpu_stat(&format!("usage_usec {usage}\nuser_usec 0\nsystem_usec 0\n")).unwrap(),
        ),
        ..CgroupSample::default()
    }
}

fn tree(started: Instant, secs: u64, items: &[(&str, u64, u64)]) -> TreeSample {
    TreeSample {
        started,
        finished: started + Duration::from_secs(secs),
        complete: true,
        cgroups: items
            .iter()
            .map(|(p, ino, u)| (path(p), Some(Box::new(sample(*ino, *u)))))
            .collect(),
    }
}

#[test]
fn rates_across_samples_and_not_across_recreate() {
    let t0 = Instant::now();
    let mut m = Model::new(CgroupPath::root(), Devices::default());
    m.apply_tree(tree(t0, 0, &[("", 1, 0), ("a", 2, 0), ("a/b", 3, 0)]));
    assert_eq!(m.len(), 3);
    assert_eq!(m.get(&path("a")).unwrap().rates().cpu_pct, None);

    m.apply_tree(tree(
        t0,
        1,
        &[("", 1, 0), ("a", 2, 500_000), ("a/b", 3, 100_000)],
    ));
    assert_eq!(m.get(&path("a")).unwrap().rates().cpu_pct, Some(50.0));
    assert_eq!(m.get(&path("a/b")).unwrap().rates().cpu_pct, Some(10.0));
    assert_eq!(m.get(&path("a")).unwrap().series.cpu_pct.len(), 1);

    // a/b removed and re-created with a new inode and a smaller counter: no rate at all.
    m.apply_tree(tree(t0, 2, &[("", 1, 0), ("a", 2, 600_000), ("a/b", 9, 5)]));
    assert_eq!(m.get(&path("a/b")).unwrap().rates().cpu_pct, None);
    m.apply_tree(tree(
        t0,
        3,
        &[("", 1, 0), ("a", 2, 600_000), ("a/b", 9, 200_005)],
    ));
    assert_eq!(m.get(&path("a/b")).unwrap().rates().cpu_pct, Some(20.0));
}

#[test]
fn tree_sample_removes_vanished_cgroups_with_children() {
    let t0 = Instant::now();
    let mut m = Model::new(CgroupPath::root(), Devices::default());
    m.apply_tree(tree(
        t0,
        0,
        &[("", 1, 0), ("a", 2, 0), ("a/b", 3, 0), ("c", 4, 0)],
    ));
    let change = m.apply_tree(tree(t0, 1, &[("", 1, 0), ("c", 4, 0)]));
    assert!(change.structure);
    assert_eq!(m.len(), 2);
    assert!(m.get(&path("a/b")).is_none());
    assert_eq!(m.node(m.base()).children.len(), 1);
}

#[test]
fn events_win_over_older_tree_samples() {
    let t0 = Instant::now();
    let mut m = Model::new(CgroupPath::root(), Devices::default());
    m.apply_tree(tree(t0, 0, &[("", 1, 0), ("gone", 2, 0)]));
    let t1 = t0 + Duration::from_secs(1);
    let created = WatchEvent::Created {
        path: path("new"),
        sample: Some(Box::new(sample(5, 0))),
    };
    let removed = WatchEvent::Removed { path: path("gone") };
    let change = m.apply_watches([created, removed], t1 + Duration::from_millis(10));
    assert!(change.structure);
    assert!(m.get(&path("new")).is_some());
    assert!(m.get(&path("gone")).is_none());

    // A pass that started before both events saw the old shape: it must not undo them.
    m.apply_tree(tree(t1, 1, &[("", 1, 0), ("gone", 2, 0)]));
    assert!(m.get(&path("new")).is_some());
    assert!(m.get(&path("gone")).is_none());

    // A pass that started later is the truth.
    m.apply_tree(tree(t1 + Duration::from_secs(1), 1, &[("", 1, 0)]));
    assert!(m.get(&path("new")).is_none());
}

#[test]
fn populated_and_oom_events_apply_between_samples() {
    let t0 = Instant::now();
    let mut m = Model::new(CgroupPath::root(), Devices::default());
    let mut s = sample(2, 0);
    s.memory.events =
        Some(parse::memory_events("low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n").unwrap());
    m.apply_tree(TreeSample {
        started: t0,
        finished: t0,
        complete: true,
        cgroups: vec![
            (CgroupPath::root(), Some(Box::new(sample(1, 0)))),
            (path("a"), Some(Box::new(s))),
        ],
    });
    let a = path("a");
    m.apply_watch(
        WatchEvent::EventsChanged {
            path: a.clone(),
            events: CgroupEvents {
                populated: true,
                frozen: false,
            },
        },
        t0,
    );
    assert_eq!(m.get(&a).unwrap().populated(), Some(true));
    let oom = parse::memory_events("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n").unwrap();
    let t1 = t0 + Duration::from_secs(1);
    m.apply_watch(
        WatchEvent::MemoryEventsChanged {
            path: a.clone(),
            events: oom,
        },
        t1,
    );
    assert!(m.get(&a).unwrap().oom_flashing(t1));
    assert!(!m.get(&a).unwrap().oom_flashing(t1 + OOM_FLASH));
}

#[test]
fn a_cgroup_not_read_this_pass_keeps_its_sample() {
    let t0 = Instant::now();
    let mut m = Model::new(CgroupPath::root(), Devices::default());
    m.apply_tree(tree(t0, 0, &[("", 1, 0), ("a", 2, 0)]));
    m.apply_tree(tree(t0, 1, &[("", 1, 0), ("a", 2, 500_000)]));
    let skipped = TreeSample {
        started: t0 + Duration::from_secs(2),
        finished: t0 + Duration::from_secs(2),
        complete: true,
        cgroups: vec![(path(""), Some(Box::new(sample(1, 0)))), (path("a"), None)],
    };
    m.apply_tree(skipped);
    let a = m.get(&path("a")).expect("still in the tree");
    assert_eq!(a.rates().cpu_pct, Some(50.0));
    // The next read computes its rate over the whole time since the last one.
    m.apply_tree(tree(t0, 3, &[("", 1, 0), ("a", 2, 1_500_000)]));
    assert_eq!(m.get(&path("a")).unwrap().rates().cpu_pct, Some(50.0));
}

#[test]
fn series_grow_only_while_a_cgroup_is_read_every_pass() {
    let t0 = Instant::now();
    let mut m = Model::new(CgroupPath::root(), Devices::default());
    let len = |m: &Model| m.get(&path("a")).unwrap().series.cpu_pct.len();
    for secs in 0..4 {
        m.apply_tree(tree(t0, secs, &[("", 1, 0), ("a", 2, secs * 1000)]));
    }
    assert_eq!(len(&m), 3, "one point per pass after the first");
    // A pass that does not read `a` (it scrolled off screen), then one that does.
    let mut skipped = tree(t0, 4, &[("", 1, 0)]);
    skipped.cgroups.push((path("a"), None));
    m.apply_tree(skipped);
    m.apply_tree(tree(t0, 9, &[("", 1, 0), ("a", 2, 9000)]));
    assert_eq!(
        len(&m),
        0,
        "points five seconds apart would draw a false curve"
    );
    assert!(m.get(&path("a")).unwrap().rates().cpu_pct.is_some());
    m.apply_tree(tree(t0, 10, &[("", 1, 0), ("a", 2, 10000)]));
    assert_eq!(len(&m), 1, "read every pass again: the series restart");
}

#[test]
fn a_partial_pass_updates_what_it_read_and_removes_nothing() {
    let t0 = Instant::now();
    let mut m = Model::new(CgroupPath::root(), Devices::default());
    m.apply_tree(tree(t0, 0, &[("", 1, 0), ("a", 2, 0), ("b", 3, 0)]));
    let mut partial = tree(t0, 1, &[("a", 2, 1000)]);
    partial.complete = false;
    let change = m.apply_tree(partial);
    assert!(!change.structure);
    assert!(m.get(&path("b")).is_some(), "not read is not removed");
    assert_eq!(m.get(&path("a")).unwrap().rates().cpu_pct, Some(0.1));
    m.apply_tree(tree(t0, 2, &[("", 1, 0), ("a", 2, 2000)]));
    assert!(
        m.get(&path("b")).is_none(),
        "a complete pass removes what it did not list"
    );
}

#[test]
fn a_row_caught_up_between_passes_shows_no_rate_until_its_window_is_its_parents() {
    let t0 = Instant::now();
    let mut m = Model::new(CgroupPath::root(), Devices::default());
    m.apply_tree(tree(t0, 0, &[("", 1, 0), ("a", 2, 0), ("a/new", 9, 0)]));
    // a/new is off screen: listed, not read.
    let mut pass = tree(t0, 1, &[("", 1, 0), ("a", 2, 500_000)]);
    pass.cgroups.push((path("a/new"), None));
    m.apply_tree(pass);
    // a/new came on screen: read at once, between passes.
    m.apply_caught_up(TreeSample {
        started: t0 + Duration::from_millis(1500),
        finished: t0 + Duration::from_millis(1500),
        complete: false,
        cgroups: vec![(path("a/new"), Some(Box::new(sample(9, 400_000))))],
    });
    m.apply_tree(tree(
        t0,
        2,
        &[("", 1, 0), ("a", 2, 1_000_000), ("a/new", 9, 900_000)],
    ));
    let new = m.get(&path("a/new")).unwrap();
    assert_eq!(
        new.rates().cpu_pct,
        Some(100.0),
        "it has a rate, for sorting"
    );
    assert!(new.rates_unlike_parent);
    assert_eq!(
        new.shown_rates().cpu_pct,
        None,
        "not shown beside its parent's"
    );
    m.apply_tree(tree(
        t0,
        3,
        &[("", 1, 0), ("a", 2, 1_500_000), ("a/new", 9, 1_400_000)],
    ));
    let new = m.get(&path("a/new")).unwrap();
    assert!(!new.rates_unlike_parent);
    assert_eq!(new.shown_rates().cpu_pct, Some(50.0));
    assert_eq!(new.rate_window, m.get(&path("a")).unwrap().rate_window);
}

#[test]
fn hostile_names_are_just_paths() {
    let mut m = Model::new(CgroupPath::root(), Devices::default());
    let evil = CgroupPath::root().join(OsStr::new("a\u{1b}[31m"));
    let t0 = Instant::now();
    m.apply_watch(
        WatchEvent::Created {
            path: evil.clone(),
            sample: None,
        },
        t0,
    );
    assert!(m.get(&evil).is_some());
}
