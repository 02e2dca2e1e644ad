//! The selected cgroup's recorded history, drawn in its sparklines before the live samples
//! (see [`crate::history::backfill`]), or in `cgtui replay` the whole sparkline up to the
//! moment on screen: what was asked of the reader, and its answers, cached per cgroup. One
//! read at a time; a cgroup's points are read again when time moves on by a column.

use crate::cgroup::CgroupPath;
use crate::history::backfill::{Answer, Recorded, Request};
use crate::model::Node;
use crate::model::series::SERIES_LEN;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// What a reader's answer changed ([`RecordedHistory::answered`]).
pub struct Answered {
    /// A problem to tell the person about (each once).
    pub problem: Option<String>,
    /// Nothing to draw, as before (nobody records): the screen stays as it is.
    pub nothing_new: bool,
}

/// Cgroups whose points are kept.
const CACHE_LEN: usize = 64;

/// A read that found nothing (nobody records) is tried again after this.
const RETRY: Duration = Duration::from_secs(60);

/// The columns of a sparkline `width` wide that may show live samples when recorded ones come
/// before them: a quarter, so that most of it reaches back.
pub fn live_columns(width: u16) -> usize {
    (usize::from(width) / 4).clamp(1, SERIES_LEN)
}

/// The live points a sparkline `width` wide shows of `node`: its latest ones, up to
/// [`live_columns`]. None in replay: the model's points there are the moves through recorded
/// time, not a series; the store's columns reach up to the moment instead.
pub fn live_points(node: &Node, width: u16, replaying: bool) -> usize {
    if replaying {
        return 0;
    }
    node.series.cpu_pct.len().min(live_columns(width))
}

/// The read of `node`'s recorded columns for a sparkline `width` wide: they end where its live
/// points begin (`interval` apart), or at the replayed moment `replay_at`. No read without a
/// sample (its inode) or, in replay, before a moment is on screen.
pub fn request(
    node: &Node,
    width: u16,
    interval: Duration,
    replay: Option<Option<i64>>,
) -> Option<Request> {
    let inode = node.sample.as_ref()?.inode;
    let end_ms = match replay {
        Some(at) => Some(at?),
        None => None,
    };
    let live = live_points(node, width, replay.is_some());
    Some(Request {
        path: node.path.clone(),
        inode,
        columns: usize::from(width),
        live_span_ms: live as i64 * interval.as_millis() as i64,
        end_ms,
    })
}

struct Cached {
    request: Request,
    recorded: Recorded,
    at: Instant,
}

#[derive(Default)]
pub struct RecordedHistory {
    /// A reader runs (`--store`, the default store, or replay's store; not `--no-store`).
    on: bool,
    cache: HashMap<(CgroupPath, u64), Cached>,
    in_flight: bool,
    /// The last problem said, so that it is said once.
    said: Option<String>,
}

impl RecordedHistory {
    pub fn new(on: bool) -> RecordedHistory {
        RecordedHistory {
            on,
            ..RecordedHistory::default()
        }
    }

    /// The points read for this cgroup (path and inode), if any.
    pub fn get(&self, path: &CgroupPath, inode: u64) -> Option<&Recorded> {
        self.cache
            .get(&(path.clone(), inode))
            .map(|c| &c.recorded)
            .filter(|r| !r.points.is_empty())
    }

    /// The read to ask for now, if one is due for this cgroup and none is under way: none was
    /// made, it asked for other columns or another moment, or the recorded part should now end
    /// a column or more later than the one read (live, as the clock moves or the live part
    /// shrinks). While the live part grows, the end it wants stays where it was.
    pub fn wanted(&mut self, request: Request, now: Instant) -> Option<Request> {
        if !self.on || self.in_flight || request.columns == 0 {
            return None;
        }
        let key = (request.path.clone(), request.inode);
        if let Some(cached) = self.cache.get(&key) {
            let same = cached.request.columns == request.columns
                && cached.request.end_ms == request.end_ms;
            let elapsed = now.saturating_duration_since(cached.at);
            let recorded = &cached.recorded;
            let due = if recorded.points.is_empty() {
                elapsed >= RETRY
            } else {
                let end = match request.end_ms {
                    Some(at) => at,
                    None => recorded.end_ms.saturating_add(elapsed.as_millis() as i64),
                };
                end - request.live_span_ms >= recorded.until_ms + recorded.bucket_ms
            };
            if same && !due {
                return None;
            }
        }
        self.in_flight = true;
        Some(request)
    }

    /// Take the reader's answer: a problem to tell the person about (each once), and whether
    /// it shows anything new.
    pub fn answered(&mut self, answer: Answer, now: Instant) -> Answered {
        self.in_flight = false;
        let shown_before = self
            .get(&answer.request.path, answer.request.inode)
            .is_some();
        let (recorded, problem) = match answer.result {
            Ok(recorded) => {
                let note = recorded.note.clone();
                (recorded, note)
            }
            Err(why) => (Recorded::default(), Some(why)),
        };
        let mut evicted = false;
        if self.cache.len() >= CACHE_LEN {
            let oldest = self
                .cache
                .iter()
                .min_by_key(|(_, c)| c.at)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                // Maybe points on screen (another cgroup's, selected before).
                evicted = self.cache.remove(&oldest).is_some();
            }
        }
        let key = (answer.request.path.clone(), answer.request.inode);
        let nothing_new = !shown_before && !evicted && recorded.points.is_empty();
        self.cache.insert(
            key,
            Cached {
                request: answer.request,
                recorded,
                at: now,
            },
        );
        let problem = problem.map(|p| format!("recorded history: {p}"));
        if problem.is_some() && problem != self.said {
            self.said = problem.clone();
            return Answered {
                problem,
                nothing_new: false,
            };
        }
        Answered {
            problem: None,
            nothing_new,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::backfill::Point;

    fn answer(points: usize, result_error: Option<&str>) -> Answer {
        let request = Request {
            path: CgroupPath::from_relative(std::path::Path::new("job")).unwrap(),
            inode: 7,
            columns: 10,
            live_span_ms: 0,
            end_ms: None,
        };
        let recorded = Recorded {
            bucket_ms: 1000,
            points: vec![
                Point {
                    cpu_pct: Some(1.0),
                    memory: None,
                    io_bps: None,
                };
                points
            ],
            ..Recorded::default()
        };
        Answer {
            request,
            result: result_error.map_or(Ok(recorded), |why| Err(why.to_string())),
        }
    }

    /// An empty answer where nothing was shown (nobody records) leaves the screen as it is:
    /// the runtime draws no frame for it. Points, points gone, or a problem to say change it.
    #[test]
    fn only_an_answer_that_shows_something_new_changes_the_screen() {
        let now = Instant::now();
        let mut history = RecordedHistory::new(true);
        assert!(history.answered(answer(0, None), now).nothing_new);
        assert!(!history.answered(answer(3, None), now).nothing_new);
        assert!(
            !history.answered(answer(0, None), now).nothing_new,
            "points gone"
        );
        assert!(history.answered(answer(0, None), now).nothing_new);
        let failed = history.answered(answer(0, Some("damaged")), now);
        assert!(failed.problem.is_some() && !failed.nothing_new);
    }
}
