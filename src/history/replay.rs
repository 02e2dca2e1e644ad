//! `cgtui replay`: the TUI's sample source when it shows a store. A thread owns the store and
//! answers each move with the recorded sample at the new time and the one before it (rates),
//! as trees the App takes the same way as the sampler's.

use super::Store;
use crate::cgroup::CgroupPath;
use crate::model::TreeSample;
use crate::time;
use std::sync::mpsc::{self, Sender};
use std::time::{Duration, Instant};

/// The events recorded between two times, one line each (at most a few): the last three,
/// and how many more (read one at a time: a flooded span costs no memory).
fn events_between(store: &mut Store, from: i64, to: i64) -> String {
    let mut last = std::collections::VecDeque::with_capacity(4);
    let mut count = 0usize;
    store.each_event(from, to, &mut |t, e| {
        count += 1;
        if last.len() == 3 {
            last.pop_front();
        }
        last.push_back((t, e));
        true
    });
    let shown: Vec<String> = last
        .iter()
        .rev()
        .map(|(t, e)| format!("{} {}", &time::format_ms(*t)[11..23], e.describe()))
        .collect();
    match count {
        0 => String::new(),
        n if n > 3 => format!("{} (+{} more)", shown.join(" · "), n - 3),
        _ => shown.join(" · "),
    }
}

/// A move through a recorded store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplayMove {
    PrevSample,
    NextSample,
    /// Seconds back (negative) or forward.
    By(i32),
    PrevEvent,
    NextEvent,
    /// To the sample at or before this Unix time (ms): what the go-to prompt asks for.
    To(i64),
}

/// What the replay thread answers each move with: the sample before (for rates) and the one at
/// the new time; no samples when the move went nowhere (the note says why).
#[derive(Debug)]
pub struct Replayed {
    pub time_ms: Option<i64>,
    pub previous: Option<TreeSample>,
    pub current: Option<TreeSample>,
    pub note: String,
    /// The CPUs of the host the samples come from, when the source knows them (another
    /// host's exporter); `None`: unchanged.
    pub cpus: Option<usize>,
}

struct Replayer {
    store: Store,
    base: CgroupPath,
    report: Box<dyn Fn(Replayed) + Send>,
    /// The recorded time on screen.
    at: Option<i64>,
    /// The model's clock: it only moves forward, whichever way replay moves.
    clock: Instant,
}

impl Replayer {
    fn show(&mut self, target: i64, note: String) {
        let pair = match self.store.at(target) {
            Ok(pair) => pair,
            Err(e) => {
                self.send(None, None, format!("{e:#}"));
                return;
            }
        };
        let Some(pair) = pair else {
            self.send(
                None,
                None,
                format!("nothing recorded at or before {}", time::format_ms(target)),
            );
            return;
        };
        let current_ms = pair.current.time_ms;
        let previous_ms = pair.previous.as_ref().map_or(current_ms, |p| p.time_ms);
        let origin = self.clock;
        let previous = pair
            .previous
            .as_ref()
            .map(|p| super::tree_of(p, &self.base, origin, previous_ms));
        let current = super::tree_of(&pair.current, &self.base, origin, previous_ms);
        self.clock = current.finished + Duration::from_secs(1);
        let mut note = note;
        let around = events_between(&mut self.store, previous_ms + 1, current_ms);
        if !around.is_empty() {
            if !note.is_empty() {
                note.push_str(" · ");
            }
            note.push_str(&around);
        }
        for problem in self.store.take_problems() {
            note = format!("store damage: {problem}");
        }
        self.at = Some(current_ms);
        self.send(Some(current_ms), Some((previous, current)), note);
    }

    fn send(
        &self,
        time_ms: Option<i64>,
        trees: Option<(Option<TreeSample>, TreeSample)>,
        note: String,
    ) {
        let (previous, current) = match trees {
            Some((p, c)) => (p, Some(c)),
            None => (None, None),
        };
        (self.report)(Replayed {
            time_ms,
            previous,
            current,
            note,
            cpus: None,
        });
    }

    fn step(&mut self, step: ReplayMove) {
        if let ReplayMove::To(target) = step {
            return self.go_to(target);
        }
        let Some(at) = self.at else { return };
        let (target, note) = match step {
            ReplayMove::To(_) => return,
            ReplayMove::PrevSample => match self.store.sample_before(at) {
                Some(t) => (t, String::new()),
                None => return self.stay("the first recorded sample"),
            },
            ReplayMove::NextSample => match self.store.sample_after(at) {
                Some(t) => (t, String::new()),
                None => return self.stay("the newest recorded sample"),
            },
            ReplayMove::By(secs) => {
                let target = at + i64::from(secs) * 1000;
                match self.store.span() {
                    Some((first, _)) if target < first => {
                        (first, "the first recorded sample".into())
                    }
                    _ => (target, String::new()),
                }
            }
            ReplayMove::PrevEvent => {
                // The event shown with the sample before it is at `at`: go further back.
                let shown_since = self.store.sample_before(at).unwrap_or(i64::MIN);
                let mut last = None;
                self.store
                    .each_event(i64::MIN, shown_since.min(at - 1), &mut |t, e| {
                        last = Some((t, e));
                        true
                    });
                match last {
                    Some((t, e)) => (t, format!("event: {}", e.describe())),
                    None => return self.stay("no earlier event"),
                }
            }
            ReplayMove::NextEvent => {
                let mut first = None;
                self.store.each_event(at + 1, i64::MAX, &mut |t, e| {
                    first = Some((t, e));
                    false
                });
                match first {
                    // The first sample after the event shows its effect.
                    Some((t, e)) => (
                        self.store.sample_after(t - 1).unwrap_or(t),
                        format!("event at {}: {}", time::format_ms(t), e.describe()),
                    ),
                    None => return self.stay("no later event"),
                }
            }
        };
        self.show(target, note);
    }

    /// The sample at or before `target`; outside the store, its first or newest sample, said.
    fn go_to(&mut self, target: i64) {
        let Some((first, last)) = self.store.span() else {
            return self.stay("the store holds no samples");
        };
        let asked = time::format_ms(target);
        if target < first {
            let note = format!(
                "{asked} is before the first recorded sample ({}): showing it",
                time::format_ms(first)
            );
            return self.show(first, note);
        }
        let note = if target > last {
            format!(
                "{asked} is after the newest recorded sample ({}): showing it",
                time::format_ms(last)
            )
        } else {
            String::new()
        };
        self.show(target, note);
    }

    fn stay(&mut self, why: &str) {
        self.send(None, None, why.to_string());
    }
}

/// Open the store (errors before the terminal is taken) and start the replay thread at `at`
/// (default: the newest sample). Moves are sent to the returned channel.
pub fn spawn(
    store_dir: &std::path::Path,
    at: Option<i64>,
    base: CgroupPath,
    report: impl Fn(Replayed) + Send + 'static,
) -> anyhow::Result<Sender<ReplayMove>> {
    let mut store = Store::open(store_dir)?;
    let Some((first, last)) = store.span() else {
        anyhow::bail!(
            "the store {} holds no samples yet",
            crate::cgroup::escape::visible_path(store_dir)
        );
    };
    let start = at.unwrap_or(last).max(first);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut replayer = Replayer {
            store,
            base,
            report: Box::new(report),
            at: None,
            clock: Instant::now(),
        };
        replayer.show(start, String::new());
        for step in rx {
            replayer.step(step);
        }
    });
    Ok(tx)
}
