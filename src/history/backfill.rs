//! The live TUI's sparklines before its own samples. When a recorder is writing a store (the
//! default one, or `--store DIR`), the selected cgroup's CPU, memory and IO for the time before
//! the live samples come from it: one point per sparkline column, for that one cgroup (path and
//! inode: a cgroup made again under the same name is a new series, as in the store), read by a
//! thread of its own, never the UI's.

use super::Store;
use super::codec::{anchor_of, sample_from_words};
use crate::app::Event;
use crate::cgroup::CgroupPath;
use crate::cgroup::escape::visible_path;
use crate::cgroup::sample::CgroupSample;
use crate::model::rates::{RateRules, Rates};
use crate::time::{DAY_MS, format_span};
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::time::Duration;

/// How far back at most the columns reach (the store may hold days).
pub const MAX_REACH_MS: i64 = 24 * 3_600_000;

/// No sparkline is wider; a request for more columns gets this many.
const MAX_COLUMNS: usize = 1000;

/// What one column may cover, in seconds: the smallest that spreads the span over the
/// columns, and never less than the recorder's interval.
const BUCKETS_S: [i64; 18] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400,
];

/// Taken when the store holds one sample only (the recorder's default interval).
const DEFAULT_INTERVAL_MS: i64 = 5_000;

/// The recorded points of one cgroup's sparklines.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Request {
    pub path: CgroupPath,
    pub inode: u64,
    /// How many columns to fill (the sparkline's width less its live part).
    pub columns: usize,
    /// How long before now the live part reaches: the recorded part ends there.
    pub live_span_ms: i64,
}

/// One column: the mean CPU% and IO bytes/s over it, memory at its end.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Point {
    pub cpu_pct: Option<f64>,
    pub memory: Option<u64>,
    pub io_bps: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recorded {
    /// What each column covers (ms).
    pub bucket_ms: i64,
    /// Oldest first; the last ends where the live part begins. Empty when there is nothing to
    /// show.
    pub points: Vec<Point>,
    /// What to tell the person: damage that was skipped, or why a store given with `--store`
    /// shows nothing (that nobody records the default store goes unsaid).
    pub note: Option<String>,
}

/// The time of the newest sample and the recorder's interval, or why no recorder is writing
/// the store: its newest sample is older than three intervals and a minute.
fn recorder_running(store: &mut Store, now_ms: i64) -> Result<(i64, i64), String> {
    let newest = store
        .sample_before(i64::MAX)
        .ok_or("it holds no samples yet")?;
    let interval = store
        .sample_before(newest)
        .map_or(DEFAULT_INTERVAL_MS, |before| newest - before)
        .clamp(100, 3_600_000);
    let age = now_ms.saturating_sub(newest);
    if age > 3 * interval + 60_000 {
        return Err(format!(
            "no recorder is writing it (its newest sample is {} old)",
            format_span(age)
        ));
    }
    Ok((newest, interval))
}

/// The column width for `columns` columns over `span_ms`, at least `interval_ms`.
fn bucket_ms(span_ms: i64, columns: usize, interval_ms: i64) -> i64 {
    let wanted = (span_ms.clamp(0, MAX_REACH_MS) / columns.max(1) as i64).max(interval_ms);
    BUCKETS_S
        .iter()
        .map(|s| s * 1000)
        .find(|b| *b >= wanted)
        .unwrap_or(BUCKETS_S[BUCKETS_S.len() - 1] * 1000)
}

/// Read the recorded points for `request` from the store in `dir` at time `now_ms`. A default
/// store (`explicit` false) that does not exist is no error: nobody records. Damage is skipped
/// (and said in the note); nothing here panics on what the files hold.
pub fn read(dir: &Path, explicit: bool, request: &Request, now_ms: i64) -> Result<Recorded> {
    let absent = matches!(
        std::fs::symlink_metadata(dir),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound
    );
    if absent && !explicit {
        return Ok(Recorded::default());
    }
    // The graph reaches back MAX_REACH_MS, a little more with round column widths: three days
    // of segments hold it.
    let mut store = Store::open_since(dir, now_ms - 3 * DAY_MS)?;
    let (_, interval) = match recorder_running(&mut store, now_ms) {
        Ok(running) => running,
        Err(why) => {
            return Ok(Recorded {
                note: explicit.then(|| format!("{}: {why}", visible_path(dir))),
                ..Recorded::default()
            });
        }
    };
    let first = store.span().map_or(now_ms, |(first, _)| first);
    let until = now_ms - request.live_span_ms.max(0);
    let columns = request.columns.clamp(1, MAX_COLUMNS);
    let bucket = bucket_ms(until - first, columns, interval);
    // Column k covers (times[k-1], times[k]].
    let times: Vec<i64> = (0..=columns)
        .map(|k| until - (columns - k) as i64 * bucket)
        .collect();
    let samples: Vec<Option<(i64, CgroupSample)>> = store
        .series_at(&request.path, request.inode, &times)
        .into_iter()
        .map(|at| {
            let at = at?;
            let sample =
                sample_from_words(request.inode, at.words.as_deref()?, anchor_of(at.time_ms))
                    .ok()?;
            Some((at.time_ms, sample))
        })
        .collect();
    let rules = RateRules::for_this_host(Duration::from_millis(interval.max(0) as u64));
    let points = (1..=columns)
        .map(|k| {
            let Some((t, current)) = &samples[k] else {
                return Point::default();
            };
            // The newest sample at its end is older than the column: nothing was recorded in it.
            if *t <= times[k - 1] {
                return Point::default();
            }
            let mut point = Point {
                memory: current.memory.current,
                ..Point::default()
            };
            if let Some((before, previous)) = &samples[k - 1]
                && before < t
            {
                let rates = Rates::between(
                    previous,
                    current,
                    Duration::from_millis((t - before) as u64),
                    &rules,
                );
                point.cpu_pct = rates.cpu_pct;
                point.io_bps = rates.io.map(|io| io.read_bps + io.write_bps);
            }
            point
        })
        .collect();
    let problems = store.take_problems();
    let note = problems.first().map(|first| {
        let more = match problems.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        format!("store damage skipped: {first}{more}")
    });
    Ok(Recorded {
        bucket_ms: bucket,
        points,
        note,
    })
}

/// What the reader answers: the request, and its points or why they could not be read.
#[derive(Debug)]
pub struct Answer {
    pub request: Request,
    pub result: Result<Recorded, String>,
}

/// Start the reader of the store in `dir`. Requests go to the returned channel; answers come
/// back as [`Event::Recorded`]. Requests that queued up while one was read are skipped but
/// the newest.
pub fn spawn(dir: PathBuf, explicit: bool, events: Sender<Event>) -> Sender<Request> {
    let (requests, receiver) = mpsc::channel::<Request>();
    std::thread::spawn(move || {
        while let Ok(request) = receiver.recv() {
            let request = receiver.try_iter().last().unwrap_or(request);
            let result =
                read(&dir, explicit, &request, crate::time::now_ms()).map_err(|e| format!("{e:#}"));
            if events
                .send(Event::Recorded(Box::new(Answer { request, result })))
                .is_err()
            {
                return;
            }
        }
    });
    requests
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_spread_the_span_in_round_widths() {
        // Three hours over 90 columns: two minutes each.
        assert_eq!(bucket_ms(3 * 3_600_000, 90, 5_000), 120_000);
        // Ten minutes over 80 columns at 5 s: 10 s each (7.5 s rounded up).
        assert_eq!(bucket_ms(600_000, 80, 5_000), 10_000);
        // Never less than the recorder's interval.
        assert_eq!(bucket_ms(60_000, 80, 30_000), 30_000);
        // A week is cut to a day.
        assert_eq!(
            bucket_ms(7 * 86_400_000, 48, 5_000),
            bucket_ms(MAX_REACH_MS, 48, 5_000)
        );
        assert_eq!(bucket_ms(i64::MAX, 0, 5_000), 86_400_000);
        assert_eq!(bucket_ms(-5, 10, 5_000), 5_000);
    }
}
