use super::*;
use std::path::Path;

fn p(path: &str) -> CgroupPath {
    CgroupPath::from_relative(Path::new(path)).unwrap()
}

/// Issue 23 item 9: a stop signal during a backlog dropped half of the queued `created`
/// events. The queued ones and those the watcher still reports are all taken.
#[test]
fn a_stop_records_the_queued_and_the_still_coming_events() {
    let (tx, rx) = mpsc::channel();
    let created = |i: usize| {
        Message::Watch(
            WatchEvent::Created {
                path: p(&format!("c{i}")),
                sample: None,
            },
            i as i64,
        )
    };
    for i in 0..350 {
        tx.send(created(i)).unwrap();
    }
    let late = std::thread::spawn(move || {
        for i in 350..700 {
            if i % 50 == 0 {
                std::thread::sleep(Duration::from_millis(100));
            }
            tx.send(created(i)).unwrap();
        }
    });
    let mut seen = Vec::new();
    let taken = drain_after_stop(&rx, &mut |event, ms| {
        assert!(matches!(event, WatchEvent::Created { .. }));
        seen.push(ms);
        Ok(())
    })
    .unwrap();
    late.join().unwrap();
    assert_eq!(taken, 700);
    assert_eq!(seen, (0..700).collect::<Vec<i64>>());
}

/// Issue 23 item 1: a cgroup flipping populated every few ms is recorded as its first
/// events, a count, and its last event, each window; another cgroup's events are all
/// recorded at their times.
#[test]
fn a_flood_of_one_cgroups_events_is_coalesced_and_no_one_elses() {
    let mut c = Coalescer::new();
    let mut out = Vec::new();
    let flooded = p("user/flood");
    let other = p("system/app");
    let mut offered = 0;
    // Every 10 ms for 123.45 s: three windows.
    for i in 0..12_345i64 {
        let kind = if i % 2 == 0 {
            "populated"
        } else {
            "unpopulated"
        };
        c.offer(i * 10, HistoryEvent::new(kind, &flooded), &mut out);
        offered += 1;
        if i % 1000 == 0 {
            let made = HistoryEvent::new("created", &other.join(format!("x{i}").as_ref()));
            c.offer(i * 10, made, &mut out);
        }
    }
    c.due(None, &mut out);
    let flood: Vec<&(i64, HistoryEvent)> = out
        .iter()
        .filter(|(_, e)| e.cgroup_raw == flooded.as_bytes())
        .collect();
    // Three windows: the first events exact, a count, the last, each.
    assert_eq!(flood.len(), 3 * (RATE_BURST + 2), "{flood:?}");
    let counted: u64 = flood
        .iter()
        .filter(|(_, e)| e.kind == "coalesced")
        .map(|(_, e)| e.total.unwrap())
        .sum();
    let exact = flood.iter().filter(|(_, e)| e.kind != "coalesced").count() as u64;
    assert_eq!(
        counted + exact,
        offered,
        "every event is recorded or counted"
    );
    let (first_ms, first) = flood[0];
    assert_eq!((*first_ms, first.kind.as_str()), (0, "populated"));
    let (last_ms, last) = flood.last().unwrap();
    assert_eq!((*last_ms, last.kind.as_str()), (123_440, "populated"));
    let summary = &flood[RATE_BURST].1;
    let span = summary.coalesced.as_ref().unwrap();
    assert_eq!((span.from_ms, span.to_ms), (100, 59_990));
    assert_eq!(span.kinds["populated"] + span.kinds["unpopulated"], 5_989);
    let line = summary.describe();
    assert!(
        line.contains("populated 2995, unpopulated 2994 between"),
        "{line}"
    );
    // The other cgroup's 13 creations, each at its time.
    let created: Vec<i64> = out
        .iter()
        .filter(|(_, e)| e.kind == "created")
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(created, (0..13).map(|i| i * 10_000).collect::<Vec<_>>());
}

/// Issue 23 item 2: cgroups past the longest path recorded are left out of the watcher and the
/// walks; the log says so once, and again when a walk finds another number.
#[test]
fn cgroups_left_out_for_their_path_are_told_once_and_on_change() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let watched = Arc::new(AtomicUsize::new(0));
    let mut left_out = LeftOut {
        watched: Some(watched.clone()),
        ..LeftOut::default()
    };
    assert_eq!(left_out.news(), None);
    left_out.walked = Some(0);
    assert_eq!(left_out.news(), None, "nothing left out yet");
    watched.store(1, Ordering::Relaxed);
    let told = left_out.news().expect("the watcher left one out");
    assert!(
        told.starts_with("cgroups past 16384 bytes of path"),
        "{told}"
    );
    watched.store(5, Ordering::Relaxed);
    assert_eq!(left_out.news(), None, "told already");
    left_out.walked = Some(1);
    assert_eq!(
        left_out.news().as_deref(),
        Some("1 cgroup past 16384 bytes of path (and all below): not watched, read or recorded")
    );
    left_out.walked = Some(1);
    assert_eq!(left_out.news(), None, "the same number");
    left_out.walked = Some(0);
    assert!(left_out.news().unwrap().starts_with("0 cgroups past"));
}
