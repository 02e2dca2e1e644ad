//! The live TUI's sparklines before its own samples, and replay's up to the moment on screen.
//! When a recorder is writing a store (the default one, or `--store DIR`), the selected
//! cgroup's CPU, memory and IO for the time before the live samples come from it; in `cgtui
//! replay`, from the replayed store up to the moment. One point per sparkline column, for that
//! one cgroup (path and inode: a cgroup made again under the same name is a new series, as in
//! the store), read by a thread of its own, never the UI's.

use super::Store;
use super::codec::{anchor_of, sample_from_words};
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
    /// How many columns to fill at most (the sparkline's width).
    pub columns: usize,
    /// How long before the end the live part reaches: the recorded part ends there.
    pub live_span_ms: i64,
    /// Where the graph ends: `None` now, while a recorder writes the store (the live TUI);
    /// `Some(t)` a recorded moment (`cgtui replay`), whether or not anything still records.
    pub end_ms: Option<i64>,
}

/// One column: the mean CPU% and IO bytes/s over it, memory at its end. A column that no
/// sample fell in, within an ordinary gap between two samples, takes their mean and the
/// level before it; `None` only where samples are really missing.
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
    /// Oldest first; the last ends at `until_ms`. Empty when there is nothing to show.
    pub points: Vec<Point>,
    /// The end of the last column: the end asked for less the live span, rounded down to
    /// whole columns, so that reads a little later give the same columns.
    pub until_ms: i64,
    /// The end the read was for (the clock then, or the replayed moment).
    pub end_ms: i64,
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

/// Two samples further apart than this many of the recorder's usual gaps have a time between
/// them that nothing was recorded in (the recorder stopped, or the machine slept).
const ORDINARY_GAPS: i64 = 3;

/// The recorder's usual gaps are measured over this much time before the end.
const USUAL_GAP_WINDOW_MS: i64 = 60_000;

/// The recorder's usual gap between samples before `end_ms`: the median gap over the last
/// minute, else the last gap (`fallback`). Not the last gap alone: under load, passes jitter
/// (0.2 s to 2.2 s at a 1 s interval), and one short gap would make columns narrower than
/// the recorder's steps.
fn usual_gap(store: &mut Store, end_ms: i64, fallback: i64) -> i64 {
    let mut times = Vec::new();
    store.walk(
        end_ms - USUAL_GAP_WINDOW_MS,
        end_ms,
        false,
        &mut |t, _, _| {
            times.push(t);
            true
        },
    );
    let mut gaps: Vec<i64> = times
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|gap| *gap > 0)
        .collect();
    gaps.sort_unstable();
    gaps.get(gaps.len() / 2)
        .copied()
        .unwrap_or(fallback)
        .clamp(100, 3_600_000)
}

/// Read the recorded points for `request` from the store in `dir`, ending at its `end_ms` or,
/// live, at `now_ms` (then only while a recorder writes the store). A default store
/// (`explicit` false) that does not exist is no error: nobody records. Damage is skipped (and
/// said in the note); nothing here panics on what the files hold.
pub fn read(dir: &Path, explicit: bool, request: &Request, now_ms: i64) -> Result<Recorded> {
    let absent = matches!(
        std::fs::symlink_metadata(dir),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound
    );
    if absent && !explicit {
        return Ok(Recorded::default());
    }
    let end = request.end_ms.unwrap_or(now_ms);
    // The graph reaches back MAX_REACH_MS, a little more with round column widths: three days
    // of segments hold it.
    let mut store = Store::open_since(dir, end - 3 * DAY_MS)?;
    let last_gap = match request.end_ms {
        // A recorded moment is shown whether or not anything still records.
        Some(at) => store
            .sample_before(at)
            .map_or(DEFAULT_INTERVAL_MS, |before| at - before),
        None => match recorder_running(&mut store, now_ms) {
            Ok((_, interval)) => interval,
            Err(why) => {
                return Ok(Recorded {
                    note: explicit.then(|| format!("{}: {why}", visible_path(dir))),
                    ..Recorded::default()
                });
            }
        },
    };
    let first = store.span().map_or(end, |(first, _)| first);
    let wanted_until = end - request.live_span_ms.max(0);
    let gap = usual_gap(&mut store, wanted_until, last_gap);
    let columns = request.columns.clamp(1, MAX_COLUMNS);
    let bucket = bucket_ms(wanted_until - first, columns, gap);
    let until = wanted_until.div_euclid(bucket) * bucket;
    let points = points(&mut store, request, until, bucket, columns, gap);
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
        until_ms: until,
        end_ms: end,
        note,
    })
}

/// The `columns` columns of `bucket` ms ending at `until`: column k covers (times[k-1],
/// times[k]]. A column with a sample in it shows that sample's level and the mean since the
/// sample before (the previous column's); a column with none, between two samples at most
/// [`ORDINARY_GAPS`] usual gaps apart, shows their mean and the level before it: a column
/// narrower than one of the recorder's (jittering) steps is not a time without samples.
fn points(
    store: &mut Store,
    request: &Request,
    until: i64,
    bucket: i64,
    columns: usize,
    gap: i64,
) -> Vec<Point> {
    let ordinary = ORDINARY_GAPS * gap;
    // One time past the last column: the sample that closes a last column that none fell in.
    let times: Vec<i64> = (0..=columns + 1)
        .map(|k| until - (columns as i64 - k as i64) * bucket)
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
    // A column's samples are the recorder's, whatever their spacing under load: any window of
    // at least the floor gives its rate (a column averages them anyway).
    let rules = RateRules::for_this_host(Duration::ZERO);
    let mean = |from: &(i64, CgroupSample), to: &(i64, CgroupSample), point: &mut Point| {
        let rates = Rates::between(
            &from.1,
            &to.1,
            Duration::from_millis((to.0 - from.0) as u64),
            &rules,
        );
        point.cpu_pct = rates.cpu_pct;
        point.io_bps = rates.io.map(|io| io.read_bps + io.write_bps);
    };
    (1..=columns)
        .map(|k| {
            let mut point = Point::default();
            match &samples[k] {
                Some(current) if current.0 > times[k - 1] => {
                    point.memory = current.1.memory.current;
                    // The one before, unless it is further back than the column and a step.
                    if let Some(previous) = &samples[k - 1]
                        && previous.0 < current.0
                        && current.0 - previous.0 <= bucket + ordinary
                    {
                        mean(previous, current, &mut point);
                    }
                }
                Some(previous) => {
                    let next = samples[k + 1..]
                        .iter()
                        .flatten()
                        .find(|(t, _)| *t > times[k]);
                    if let Some(next) = next
                        && next.0 - previous.0 <= ordinary
                    {
                        point.memory = previous.1.memory.current;
                        mean(previous, next, &mut point);
                    }
                }
                None => {}
            }
            point
        })
        .collect()
}

/// What the reader answers: the request, and its points or why they could not be read.
#[derive(Debug)]
pub struct Answer {
    pub request: Request,
    pub result: Result<Recorded, String>,
}

/// Start the reader of the store in `dir`. Requests go to the returned channel; answers come
/// to `answer`, until it returns false. Requests that queued up while one was read are skipped but
/// the newest.
pub fn spawn(
    dir: PathBuf,
    explicit: bool,
    answer: impl Fn(Answer) -> bool + Send + 'static,
) -> Sender<Request> {
    let (requests, receiver) = mpsc::channel::<Request>();
    crate::thread::spawn_named("cgtui-history", move || {
        while let Ok(request) = receiver.recv() {
            let request = receiver.try_iter().last().unwrap_or(request);
            let result =
                read(&dir, explicit, &request, crate::time::now_ms()).map_err(|e| format!("{e:#}"));
            if !answer(Answer { request, result }) {
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

    /// A store of one cgroup at a steady 50 % of a CPU, sampled at `times` (ms).
    fn steady_store(dir: &Path, times: &[i64]) {
        let mut writer = super::super::Writer::open(dir).unwrap();
        writer.sync = false;
        let cgroup = CgroupPath::from_relative(Path::new("job")).unwrap();
        for t in times {
            let sample = CgroupSample {
                inode: 7,
                cpu: Some(crate::cgroup::parse::CpuStat {
                    // 50 % of a CPU: half a µs of CPU per µs.
                    usage_usec: (*t as u64) * 500,
                    ..Default::default()
                }),
                ..CgroupSample::default()
            };
            writer
                .append_sample(*t, anchor_of(*t), &[(cgroup.clone(), &sample)])
                .unwrap();
        }
        writer.flush();
    }

    fn request(columns: usize) -> Request {
        Request {
            path: CgroupPath::from_relative(Path::new("job")).unwrap(),
            inode: 7,
            columns,
            live_span_ms: 0,
            end_ms: None,
        }
    }

    #[test]
    fn jittering_samples_leave_no_column_empty() {
        // A 1 s recorder under load: gaps of 0.2 s to 2.2 s (as measured on an overloaded
        // host), so that columns of 1 s often hold no sample.
        let start = 1_700_000_000_000_i64;
        // Their median is 1 s, the recorder's interval.
        let pattern = [
            200, 2_200, 300, 2_100, 1_000, 400, 1_900, 1_000, 500, 1_000, 600,
        ];
        let mut times = vec![start];
        for i in 0..120 {
            times.push(times[times.len() - 1] + pattern[i % pattern.len()]);
        }
        let tmp = tempfile::tempdir().unwrap();
        steady_store(tmp.path(), &times);
        let end = times[times.len() - 1];
        // About two minutes over 130 columns: a second each, the recorder's interval.
        let recorded = read(tmp.path(), true, &request(130), end).unwrap();
        assert_eq!(recorded.note, None);
        assert_eq!(recorded.bucket_ms, 1_000, "{recorded:?}");
        assert_eq!(recorded.points.len(), 130);
        // Every column since the first sample was recorded: each shows the steady 50 %, none
        // is a gap.
        let mut shown = 0;
        for (k, point) in recorded.points.iter().enumerate() {
            let column_start = recorded.until_ms - (130 - k as i64) * 1_000;
            if column_start < start {
                continue;
            }
            let cpu = point
                .cpu_pct
                .unwrap_or_else(|| panic!("column {k} is a gap"));
            assert!((cpu - 50.0).abs() < 0.01, "column {k}: {point:?}");
            shown += 1;
        }
        assert!(shown >= 120, "{shown} columns");
    }

    #[test]
    fn a_gap_shows_only_where_nothing_was_recorded() {
        // Every second, but nothing for 20 s in the middle (the recorder was stopped).
        let start = 1_700_000_000_000_i64;
        let times: Vec<i64> = (0..=30).chain(50..=80).map(|s| start + s * 1_000).collect();
        let tmp = tempfile::tempdir().unwrap();
        steady_store(tmp.path(), &times);
        let end = start + 80_000;
        let recorded = read(tmp.path(), true, &request(80), end).unwrap();
        assert_eq!(recorded.bucket_ms, 1_000);
        let points = &recorded.points;
        assert_eq!(points.len(), 80);
        // Column k covers (start + k s, start + (k + 1) s]: it holds second k + 1.
        for (k, point) in points.iter().enumerate() {
            let second = k + 1;
            if (31..=50).contains(&second) {
                assert_eq!(
                    point.cpu_pct, None,
                    "column {k} (second {second}): {point:?}"
                );
            } else {
                let cpu = point.cpu_pct.unwrap_or_else(|| panic!("column {k}: a gap"));
                assert!((cpu - 50.0).abs() < 0.01, "column {k}: {point:?}");
            }
        }
    }

    #[test]
    fn a_recorded_moment_is_read_without_a_running_recorder() {
        let start = 1_700_000_000_000_i64;
        let times: Vec<i64> = (0..=120).map(|s| start + s * 1_000).collect();
        let tmp = tempfile::tempdir().unwrap();
        steady_store(tmp.path(), &times);
        // Hours later, nothing records: live, nothing to show; at a recorded moment, the
        // columns leading up to it.
        let later = start + 5 * 3_600_000;
        assert!(
            read(tmp.path(), true, &request(30), later)
                .unwrap()
                .points
                .is_empty()
        );
        let moment = start + 60_000;
        let replayed = Request {
            end_ms: Some(moment),
            ..request(30)
        };
        let recorded = read(tmp.path(), true, &replayed, later).unwrap();
        assert_eq!(recorded.until_ms, moment);
        assert_eq!(recorded.end_ms, moment);
        assert_eq!(recorded.points.len(), 30);
        // 60 s of samples before the moment over 30 columns: 2 s each, all recorded.
        assert_eq!(recorded.bucket_ms, 2_000);
        assert!(
            recorded.points.iter().all(|p| p.cpu_pct.is_some()),
            "{recorded:?}"
        );
    }
}
