//! Where the recorder's events go: coalesced per cgroup beyond a rate, then written; what
//! is queued when it stops.

use super::*;

/// Events of one cgroup recorded one by one in each [`RATE_WINDOW_MS`]; beyond, they are
/// counted, and the window's last one is recorded exactly when it ends.
pub const RATE_BURST: usize = 10;
/// While the store is over its size budget (a flood today), only the first event of a
/// cgroup in each window is recorded one by one.
pub const RATE_BURST_OVER_BUDGET: usize = 1;
pub const RATE_WINDOW_MS: i64 = 60_000;

/// What was counted instead of recorded in one window of one key.
pub(super) struct Held {
    pub(super) first_ms: i64,
    /// The counted events but the last, by kind.
    pub(super) kinds: std::collections::BTreeMap<String, u64>,
    pub(super) last: (i64, HistoryEvent),
}

#[derive(Default)]
pub(super) struct Window {
    pub(super) started_ms: i64,
    pub(super) recorded: usize,
    pub(super) held: Option<Held>,
}

/// Rate limits events per cgroup (created and removed: per parent, so that making many
/// children counts against one key): a user flooding their own cgroups costs the store a
/// bounded number of events per cgroup and window, and no one else's events are touched.
pub(super) struct Coalescer {
    pub(super) windows: HashMap<Vec<u8>, Window>,
    pub(super) burst: usize,
}

impl Coalescer {
    pub(super) fn new() -> Self {
        Coalescer {
            windows: HashMap::new(),
            burst: RATE_BURST,
        }
    }

    pub(super) fn key(event: &HistoryEvent) -> Vec<u8> {
        let raw = &event.cgroup_raw;
        if matches!(event.kind.as_str(), "created" | "removed") {
            let parent = raw.iter().rposition(|b| *b == b'/').unwrap_or(0);
            raw[..parent].to_vec()
        } else {
            raw.clone()
        }
    }

    /// What to record now of `event` at `ms` (nothing while its key is over the rate).
    pub(super) fn offer(
        &mut self,
        ms: i64,
        event: HistoryEvent,
        out: &mut Vec<(i64, HistoryEvent)>,
    ) {
        if event.kind == "change" {
            out.push((ms, event));
            return;
        }
        let window = self.windows.entry(Self::key(&event)).or_default();
        if ms - window.started_ms >= RATE_WINDOW_MS || ms < window.started_ms {
            out.extend(Self::release(window.held.take()));
            *window = Window {
                started_ms: ms,
                ..Window::default()
            };
        }
        if window.recorded < self.burst {
            window.recorded += 1;
            out.push((ms, event));
            return;
        }
        match &mut window.held {
            Some(held) => {
                let (_, before) = std::mem::replace(&mut held.last, (ms, event));
                *held.kinds.entry(before.kind).or_default() += 1;
            }
            None => {
                window.held = Some(Held {
                    first_ms: ms,
                    kinds: Default::default(),
                    last: (ms, event),
                })
            }
        }
    }

    /// The counts and last events of the windows that ended by `now_ms` (all with `None`).
    pub(super) fn due(&mut self, now_ms: Option<i64>, out: &mut Vec<(i64, HistoryEvent)>) {
        self.windows.retain(|_, window| {
            let ended = now_ms.is_none_or(|now| now - window.started_ms >= RATE_WINDOW_MS);
            if ended {
                out.extend(Self::release(window.held.take()));
            }
            !ended
        });
    }

    /// A window's held events: their count (when more than the last) and the last exactly.
    pub(super) fn release(held: Option<Held>) -> Vec<(i64, HistoryEvent)> {
        let Some(held) = held else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let counted: u64 = held.kinds.values().sum();
        if counted > 0 {
            let (last_ms, last) = &held.last;
            let path = crate::journal::raw_path(&last.cgroup_raw);
            let mut summary = match &path {
                Some(path) => HistoryEvent::new("coalesced", path),
                None => HistoryEvent {
                    kind: "coalesced".into(),
                    ..last.clone()
                },
            };
            summary.inode = last.inode;
            summary.total = Some(counted);
            summary.coalesced = Some(crate::history::Coalesced {
                from_ms: held.first_ms,
                to_ms: *last_ms,
                kinds: held.kinds,
            });
            out.push((*last_ms, summary));
        }
        out.push(held.last);
        out
    }
}

/// Where the recorder's samples and events go: the store, through the rate limit, staying up
/// when the store cannot be written (a full disk): what is lost is counted, and a `gap` event
/// records it once writing works again.
pub(super) struct Sink {
    pub(super) writer: Writer,
    pub(super) coalescer: Coalescer,
    pub(super) lost_samples: u64,
    pub(super) lost_events: u64,
    /// The first and last time of what was lost, while writing fails.
    pub(super) lost_span: Option<(i64, i64)>,
}

impl Sink {
    pub(super) fn event(&mut self, ms: i64, event: HistoryEvent) {
        let mut out = Vec::new();
        self.coalescer.offer(ms, event, &mut out);
        self.write_events(out);
    }

    /// The windows that ended by `now_ms` (all of them at `None`: stopping).
    pub(super) fn release_due(&mut self, now_ms: Option<i64>) {
        let mut out = Vec::new();
        self.coalescer.due(now_ms, &mut out);
        self.write_events(out);
    }

    pub(super) fn write_events(&mut self, events: Vec<(i64, HistoryEvent)>) {
        for (ms, e) in events {
            match self.writer.append_event(ms, &e) {
                Ok(()) => self.written(ms),
                Err(err) => {
                    self.lost(ms, &err);
                    self.lost_events += 1;
                }
            }
        }
    }

    pub(super) fn sample(
        &mut self,
        time_ms: i64,
        anchor: u64,
        cgroups: &[(CgroupPath, &CgroupSample)],
    ) {
        match self.writer.append_sample(time_ms, anchor, cgroups) {
            Ok(()) => {
                for note in std::mem::take(&mut self.writer.notes) {
                    eprintln!("cgtui record: {note}");
                }
                self.written(time_ms)
            }
            Err(err) => {
                self.lost(time_ms, &err);
                self.lost_samples += 1;
            }
        }
    }

    pub(super) fn lost(&mut self, ms: i64, err: &anyhow::Error) {
        match &mut self.lost_span {
            Some((_, last)) => *last = ms,
            None => {
                eprintln!(
                    "cgtui record: {err:#}; recording goes on, counting what is lost, and \
                     resumes when the store can be written"
                );
                self.lost_span = Some((ms, ms));
            }
        }
    }

    /// A write worked: after a loss, the gap is recorded.
    pub(super) fn written(&mut self, ms: i64) {
        let Some((from_ms, to_ms)) = self.lost_span else {
            return;
        };
        let mut gap = HistoryEvent::new("gap", &CgroupPath::root());
        gap.total = Some(self.lost_samples + self.lost_events);
        gap.coalesced = Some(crate::history::Coalesced {
            from_ms,
            to_ms,
            kinds: [
                ("samples".to_string(), self.lost_samples),
                ("events".to_string(), self.lost_events),
            ]
            .into(),
        });
        if self.writer.append_event(ms, &gap).is_ok() {
            eprintln!(
                "cgtui record: the store can be written again; {} samples and {} events were lost",
                self.lost_samples, self.lost_events
            );
            self.lost_span = None;
            self.lost_samples = 0;
            self.lost_events = 0;
        }
    }
}

/// A watch event: what the recorder trusts and knows of the tree follows it, and the events
/// it means are recorded at its time.
pub(super) fn take_watch(
    event: WatchEvent,
    ms: i64,
    trust: &mut Trust,
    tree: &mut BTreeSet<CgroupPath>,
    known: &mut HashMap<CgroupPath, Known>,
    sink: &mut Sink,
) {
    if let WatchEvent::Exhausted { reason } = &event {
        eprintln!("cgtui record: {reason}");
    }
    trust.learn(&event);
    follow_tree(tree, &event);
    for e in interpret(event, known) {
        sink.event(ms, e);
    }
}

/// After a stop signal, the watch events still queued or still coming from the watcher's
/// backlog: taken until none came for [`STOP_QUIET`] (at most [`STOP_DRAIN`] in all, well
/// inside a unit's stop timeout). Returns how many.
pub(super) fn drain_after_stop(
    rx: &mpsc::Receiver<Message>,
    take: &mut dyn FnMut(WatchEvent, i64) -> Result<()>,
) -> Result<usize> {
    let until = Instant::now() + STOP_DRAIN;
    let mut taken = 0;
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left.min(STOP_QUIET)) {
            Ok(Message::Watch(event, ms)) => {
                take(event, ms)?;
                taken += 1;
            }
            Ok(Message::Stop | Message::WatcherFailed(_)) => {}
            Err(_) => break,
        }
    }
    Ok(taken)
}

/// How long the watcher may be quiet before a stopping recorder stops.
pub(super) const STOP_QUIET: Duration = Duration::from_millis(300);
/// The longest a stopping recorder records queued events.
pub(super) const STOP_DRAIN: Duration = Duration::from_secs(10);
