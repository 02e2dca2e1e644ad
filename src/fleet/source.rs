//! One instance's tree as the TUI's sample source, the way `cgtui replay` feeds it from a
//! store: a thread owns the Prometheus client and answers with [`Replayed`] pairs (the scrape
//! before, for rates, and the one shown). Live, it re-queries at the scrape interval; in
//! replay, each move is an instant query at the chosen time. The app sees trees, never HTTP.

use super::client::Prometheus;
use super::{Subtree, fetch};
use crate::history::replay::{ReplayMove, Replayed};
use crate::history::{Pair, tree_of};
use crate::model::TreeSample;
use crate::time;
use anyhow::Result;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// The interval assumed when an instance was scraped once only (Prometheus' default).
pub const DEFAULT_SCRAPE_INTERVAL: Duration = Duration::from_secs(15);

/// Now, or a moment in the past.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// Re-query every `interval` (`None`: the instance's scrape interval).
    Live { interval: Option<Duration> },
    /// Start at this Unix time (ms; `None`: the newest scrape) and move by the replay keys.
    Replay { at: Option<i64> },
}

/// What to show: which server, instance and subtree.
pub struct Remote {
    pub prometheus: Prometheus,
    pub instance: String,
    pub subtree: Subtree,
}

/// What the first query found, known before the terminal is taken.
#[derive(Debug, Clone, Copy)]
pub struct Started {
    /// The time between the instance's last two scrapes (or the default).
    pub scrape_interval: Duration,
    /// How often the live tree is re-queried.
    pub refresh: Duration,
}

struct Source {
    remote: Remote,
    report: Box<dyn Fn(Replayed) + Send>,
    /// The scrape on screen (Unix ms).
    at: Option<i64>,
    scrape_interval: Duration,
    /// When the source started, on the model's clock.
    started: Instant,
    /// The scrape last given to the model (Unix ms) and when, on the model's clock: it only
    /// moves forward, whichever way replay moves.
    shown: Option<(i64, Instant)>,
}

/// The time between a pair's two scrapes, when it has two.
fn spacing(pair: &Pair) -> Option<Duration> {
    let previous = pair.previous.as_ref()?;
    let ms = pair.current.time_ms - previous.time_ms;
    (ms > 0).then(|| Duration::from_millis(ms as u64))
}

impl Source {
    /// A pair as trees on the model's clock. The scrape right after the one on screen (the
    /// live tree's next refresh) is applied alone, at its spacing, so the rates and
    /// sparklines go on; any other pair is applied whole, after the last one.
    fn trees(&mut self, pair: &Pair) -> (Option<TreeSample>, TreeSample) {
        let base = &self.remote.subtree.prefix;
        let current_ms = pair.current.time_ms;
        let previous_ms = pair.previous.as_ref().map_or(current_ms, |p| p.time_ms);
        if let Some((shown_ms, shown_at)) = self.shown
            && pair.previous.is_some()
            && previous_ms == shown_ms
        {
            let current = tree_of(&pair.current, base, shown_at, previous_ms);
            self.shown = Some((current_ms, current.finished));
            return (None, current);
        }
        let origin = self
            .shown
            .map_or(self.started, |(_, at)| at + Duration::from_secs(1));
        let previous = pair
            .previous
            .as_ref()
            .map(|p| tree_of(p, base, origin, previous_ms));
        let current = tree_of(&pair.current, base, origin, previous_ms);
        self.shown = Some((current_ms, current.finished));
        (previous, current)
    }

    fn show_pair(&mut self, pair: &Pair, host_cpus: Option<usize>, note: String) {
        if let Some(interval) = spacing(pair) {
            self.scrape_interval = interval;
        }
        let (previous, current) = self.trees(pair);
        self.at = Some(pair.current.time_ms);
        (self.report)(Replayed {
            time_ms: Some(pair.current.time_ms),
            previous,
            current: Some(current),
            note,
            cpus: host_cpus,
        });
    }

    fn show(&mut self, target: Option<i64>, note: String) {
        let at = target.map(|ms| ms as f64 / 1000.0);
        match fetch(
            &self.remote.prometheus,
            &self.remote.instance,
            &self.remote.subtree,
            at,
        ) {
            Ok(fetched) => self.show_pair(&fetched.pair, fetched.host_cpus, note),
            Err(e) => self.stay(format!("{e:#}")),
        }
    }

    fn stay(&self, why: String) {
        (self.report)(Replayed {
            time_ms: None,
            previous: None,
            current: None,
            note: why,
            cpus: None,
        });
    }

    /// The newest scrape, unless it is the one on screen: then `same` says so (if given).
    fn newest(&mut self, same: Option<&str>) {
        let prometheus = &self.remote.prometheus;
        match fetch(
            prometheus,
            &self.remote.instance,
            &self.remote.subtree,
            None,
        ) {
            Ok(fetched) if Some(fetched.pair.current.time_ms) == self.at => {
                if let Some(same) = same {
                    self.stay(same.to_string());
                }
            }
            Ok(fetched) => self.show_pair(&fetched.pair, fetched.host_cpus, String::new()),
            Err(e) => self.stay(format!("{e:#}")),
        }
    }

    fn step(&mut self, step: ReplayMove) {
        if let ReplayMove::To(target) = step {
            let now = time::now_ms();
            return if target > now {
                let note = format!(
                    "{} is in the future: showing the newest scrape",
                    time::format_ms(target)
                );
                self.show(None, note)
            } else {
                self.show(Some(target), String::new())
            };
        }
        let Some(at) = self.at else { return };
        let interval_ms = self.scrape_interval.as_millis() as i64;
        let target = match step {
            ReplayMove::To(_) => return,
            ReplayMove::PrevSample => at - 1,
            // Half an interval of slack: the next scrape, never the one after it.
            ReplayMove::NextSample => at + interval_ms + interval_ms / 2,
            ReplayMove::By(secs) => at + i64::from(secs) * 1000,
            ReplayMove::PrevEvent | ReplayMove::NextEvent => {
                return self.stay(
                    "Prometheus keeps no event timeline: step by scrapes (, .) or by time".into(),
                );
            }
        };
        if target > time::now_ms() {
            return self.newest(Some("the newest scrape"));
        }
        self.show(Some(target), String::new());
    }
}

/// The first query, made at once so that a wrong URL, instance or prefix is an error before
/// the terminal is taken; then the thread that answers the moves (replay) or re-queries
/// (live). Moves are sent to the returned channel.
pub fn spawn(
    remote: Remote,
    mode: Mode,
    report: impl Fn(Replayed) + Send + 'static,
) -> Result<(Sender<ReplayMove>, Started)> {
    let start_at = match mode {
        Mode::Live { .. } => None,
        Mode::Replay { at } => at.filter(|at| *at < time::now_ms()),
    };
    let fetched = fetch(
        &remote.prometheus,
        &remote.instance,
        &remote.subtree,
        start_at.map(|ms| ms as f64 / 1000.0),
    )?;
    let scrape_interval = spacing(&fetched.pair).unwrap_or(DEFAULT_SCRAPE_INTERVAL);
    let refresh = match mode {
        Mode::Live {
            interval: Some(interval),
        } => interval,
        _ => scrape_interval,
    };
    let live = matches!(mode, Mode::Live { .. });
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut source = Source {
            remote,
            report: Box::new(report),
            at: None,
            scrape_interval,
            started: Instant::now(),
            shown: None,
        };
        source.show_pair(&fetched.pair, fetched.host_cpus, String::new());
        loop {
            match rx.recv_timeout(refresh) {
                Ok(step) if !live => source.step(step),
                // Live shows now: the replay keys are not bound there.
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) if live => source.newest(None),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    });
    Ok((
        tx,
        Started {
            scrape_interval,
            refresh,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::CgroupPath;
    use crate::history::Moment;
    use std::sync::{Arc, Mutex};

    fn moment(time_ms: i64) -> Moment {
        Moment {
            time_ms,
            cgroups: vec![(CgroupPath::root(), Default::default())],
        }
    }

    fn pair(previous: i64, current: i64) -> Pair {
        Pair {
            previous: Some(moment(previous)),
            current: moment(current),
        }
    }

    #[test]
    fn the_next_scrape_goes_on_from_the_one_shown_and_any_other_pair_starts_after_it() {
        let sent = Arc::new(Mutex::new(Vec::new()));
        let into = sent.clone();
        let mut source = Source {
            remote: Remote {
                // Never asked: the pairs are given.
                prometheus: Prometheus::new("http://127.0.0.1:1", None).unwrap(),
                instance: "a:1".into(),
                subtree: Subtree {
                    prefix: CgroupPath::root(),
                    max_depth: None,
                },
            },
            report: Box::new(move |r: Replayed| into.lock().unwrap().push(r)),
            at: None,
            scrape_interval: DEFAULT_SCRAPE_INTERVAL,
            started: Instant::now(),
            shown: None,
        };
        source.show_pair(&pair(10_000, 12_000), None, String::new());
        source.show_pair(&pair(12_000, 14_000), None, String::new());
        // Back in time (replay): both again, after the last on the model's clock.
        source.show_pair(&pair(4_000, 6_000), None, String::new());
        let sent = sent.lock().unwrap();
        let times = |r: &Replayed| {
            (
                r.previous.as_ref().map(|t| t.finished),
                r.current.as_ref().unwrap().finished,
            )
        };
        let (first_previous, first) = times(&sent[0]);
        assert_eq!(first - first_previous.unwrap(), Duration::from_secs(2));
        let (none, second) = times(&sent[1]);
        assert!(none.is_none(), "the scrape before was shown already");
        assert_eq!(second - first, Duration::from_secs(2), "at its spacing");
        let (third_previous, third) = times(&sent[2]);
        assert!(
            third_previous.unwrap() > second,
            "the model's clock moves on"
        );
        assert_eq!(third - third_previous.unwrap(), Duration::from_secs(2));
        assert_eq!(sent[2].time_ms, Some(6_000));
        assert_eq!(source.at, Some(6_000));
        assert_eq!(source.scrape_interval, Duration::from_secs(2));
    }
}
