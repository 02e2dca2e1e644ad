//! The selected cgroup's recorded history, drawn in its sparklines before the live samples
//! (see [`crate::history::backfill`]): what was asked of the reader, and its answers, cached
//! per cgroup. One read at a time; a cgroup's points are read again as time moves on.

use crate::cgroup::CgroupPath;
use crate::history::backfill::{Answer, Recorded, Request};
use crate::model::history::HISTORY_LEN;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Cgroups whose points are kept.
const CACHE_LEN: usize = 64;

/// A cgroup's points are read again after this, or after one column's time if longer.
const REFRESH: Duration = Duration::from_secs(60);

/// The columns of a sparkline `width` wide that show live samples when recorded ones come
/// before them: a quarter, so that most of it reaches back.
pub fn live_columns(width: u16) -> usize {
    (usize::from(width) / 4).clamp(1, HISTORY_LEN)
}

struct Cached {
    request: Request,
    recorded: Recorded,
    at: Instant,
}

#[derive(Default)]
pub struct RecordedHistory {
    /// A reader runs (`--store`, or the default store; not `--no-store`, not replay).
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

    /// The read to ask for now, if one is due for this cgroup and none is under way.
    pub fn wanted(&mut self, request: Request, now: Instant) -> Option<Request> {
        if !self.on || self.in_flight || request.columns == 0 {
            return None;
        }
        let key = (request.path.clone(), request.inode);
        if let Some(cached) = self.cache.get(&key) {
            let refresh = REFRESH.max(Duration::from_millis(cached.recorded.bucket_ms as u64));
            if cached.request == request && now.saturating_duration_since(cached.at) < refresh {
                return None;
            }
        }
        self.in_flight = true;
        Some(request)
    }

    /// Take the reader's answer; returns a problem to tell the person about (each once).
    pub fn answered(&mut self, answer: Answer, now: Instant) -> Option<String> {
        self.in_flight = false;
        let (recorded, problem) = match answer.result {
            Ok(recorded) => {
                let note = recorded.note.clone();
                (recorded, note)
            }
            Err(why) => (Recorded::default(), Some(why)),
        };
        if self.cache.len() >= CACHE_LEN {
            let oldest = self
                .cache
                .iter()
                .min_by_key(|(_, c)| c.at)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.cache.remove(&oldest);
            }
        }
        let key = (answer.request.path.clone(), answer.request.inode);
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
            return problem;
        }
        None
    }
}
