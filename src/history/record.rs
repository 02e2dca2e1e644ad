//! `cgtui record`: sample the tree on an interval (what `snapshot --json` reads), and record
//! events the moment inotify reports them, plus cgtui's own journal entries.

use super::store::{KEY_EVERY, MAX_RECORDED_PATH};
use super::{Change, HistoryEvent, Writer};
use crate::cgroup::escape::visible_path;
use crate::cgroup::parse::{CgroupEvents, MemoryEvents, PidsEvents};
use crate::cgroup::sample::{CgroupSample, KnownEvents};
use crate::cgroup::watch::{WatchEvent, Watcher, WrittenFile};
use crate::cgroup::{CgroupPath, Cgroupfs};
use crate::collect::watched::{Trust, children_in, follow_tree, relist_unwatched, take_listing};
use anyhow::{Context, Result};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
pub const DEFAULT_RETAIN: Duration = Duration::from_secs(7 * 86_400);
/// How often old segments are looked for.
const PRUNE_EVERY: Duration = Duration::from_secs(600);

pub struct Options {
    pub fs: Cgroupfs,
    pub base: CgroupPath,
    pub store: PathBuf,
    pub interval: Duration,
    pub retain: Duration,
    pub max_size: Option<u64>,
    /// `--max-watches`: at most this many inotify watches (else a quarter of the free ones).
    pub max_watches: Option<usize>,
}

/// The clock lives in [`crate::time`]; re-exported for the callers that know it here.
pub use crate::time::now_ms;

enum Message {
    Watch(WatchEvent, i64),
    WatcherFailed(String),
    Stop,
}

/// What the last sample or event said of a cgroup's event files, to tell what changed.
#[derive(Default, Clone, Copy)]
struct Known {
    events: Option<CgroupEvents>,
    memory: Option<MemoryEvents>,
    pids: Option<PidsEvents>,
    /// The cgroup `events` belongs to.
    inode: Option<u64>,
    /// Its cgroup.events was watched before `events` was read (it was in the tree when the
    /// watcher started, or the watcher reported its creation): `events` is current.
    watched: bool,
}

fn counter(kind: &str, path: &CgroupPath, before: u64, now: u64) -> Option<HistoryEvent> {
    (now > before).then(|| HistoryEvent {
        total: Some(now),
        increase: Some(now - before),
        ..HistoryEvent::new(kind, path)
    })
}

/// The events one watch event means, updating what is known.
fn interpret(event: WatchEvent, known: &mut HashMap<CgroupPath, Known>) -> Vec<HistoryEvent> {
    let mut out = Vec::new();
    match event {
        WatchEvent::Created { path, sample } => {
            let mut e = HistoryEvent::new("created", &path);
            e.inode = sample.as_ref().map(|s| s.inode);
            out.push(e);
            // What an earlier sample read may predate the watches: start again from the read
            // made after them (or from the next sample's).
            let k = known.entry(path).or_default();
            *k = Known {
                watched: true,
                ..Known::default()
            };
            if let Some(s) = sample {
                k.events = s.events;
                k.memory = s.memory.events;
                k.inode = Some(s.inode);
            }
        }
        WatchEvent::Removed { path } => {
            known.remove(&path);
            out.push(HistoryEvent::new("removed", &path));
        }
        WatchEvent::EventsChanged { path, events } => {
            let k = known.entry(path.clone()).or_default();
            let before = k.events.unwrap_or_default();
            if events.populated != before.populated || k.events.is_none() && events.populated {
                let kind = if events.populated {
                    "populated"
                } else {
                    "unpopulated"
                };
                out.push(HistoryEvent::new(kind, &path));
            }
            if events.frozen != before.frozen {
                let kind = if events.frozen { "frozen" } else { "thawed" };
                out.push(HistoryEvent::new(kind, &path));
            }
            k.events = Some(events);
        }
        WatchEvent::MemoryEventsChanged { path, events } => {
            let k = known.entry(path.clone()).or_default();
            let before = k.memory.unwrap_or_default();
            out.extend(counter("oom", &path, before.oom, events.oom));
            out.extend(counter("oom_kill", &path, before.oom_kill, events.oom_kill));
            // Counters only grow: an older reading arriving late (after a re-read) is not
            // taken, or the next increase would be counted twice.
            if k.memory.is_none() || events.oom >= before.oom && events.oom_kill >= before.oom_kill
            {
                k.memory = Some(events);
            }
        }
        WatchEvent::PidsEventsChanged { path, events } => {
            let k = known.entry(path.clone()).or_default();
            let before = k.pids.unwrap_or_default();
            out.extend(counter("pids_max", &path, before.max, events.max));
            if k.pids.is_none() || events.max >= before.max {
                k.pids = Some(events);
            }
        }
        WatchEvent::Overflow
        | WatchEvent::Exhausted { .. }
        | WatchEvent::Unwatched { .. }
        | WatchEvent::Written { .. }
        | WatchEvent::WritesUnreported { .. } => {}
    }
    out
}

/// How often the recorder reads a cgroup's limits and controller lists again.
const RARE_PERIOD: Duration = Duration::from_secs(30);

/// How often the limits of a cgroup whose writes inotify reports are read anyway: a safety net
/// for a change no write announced (a lost event is an overflow, which re-reads them all).
const WRITTEN_PERIOD: Duration = Duration::from_secs(600);

/// A sample's event files as the watch events that would report them.
fn reported(path: &CgroupPath, sample: &crate::cgroup::sample::CgroupSample) -> Vec<WatchEvent> {
    let path = || path.clone();
    let mut out = Vec::new();
    if let Some(events) = sample.events {
        out.push(WatchEvent::EventsChanged {
            path: path(),
            events,
        });
    }
    if let Some(events) = sample.memory.events {
        out.push(WatchEvent::MemoryEventsChanged {
            path: path(),
            events,
        });
    }
    if let Some(events) = sample.pids.events {
        out.push(WatchEvent::PidsEventsChanged {
            path: path(),
            events,
        });
    }
    out
}

/// New successful or failed changes in cgtui's journal since `after_ms`.
fn journal_changes(journal: &crate::journal::Journal, after_ms: i64) -> Vec<(i64, HistoryEvent)> {
    let Ok(entries) = journal.entries() else {
        return Vec::new();
    };
    entries
        .list
        .into_iter()
        .filter(|e| e.phase == crate::journal::Phase::End)
        .filter_map(|e| {
            let ms = (e.timestamp * 1000.0).round() as i64;
            if ms <= after_ms {
                return None;
            }
            let path = crate::journal::raw_path(&e.cgroup_raw)?;
            let mut event = HistoryEvent::new("change", &path);
            event.inode = e.inode;
            event.change = Some(Change {
                id: e.id,
                uid: e.uid,
                op: e.op,
                file: e.file,
                old: e.old,
                new: e.new,
                result: e.result,
                errno: e.errno,
                via: e.via,
                journal_time: e.timestamp,
            });
            Some((ms, event))
        })
        .collect()
}

pub fn run(options: Options) -> Result<()> {
    let mut writer = Writer::open(&options.store)?;
    for note in std::mem::take(&mut writer.notes) {
        eprintln!("cgtui record: {note}");
    }
    eprintln!(
        "cgtui record: recording {} every {} s into {} (retain {} h{})",
        options.base,
        options.interval.as_secs_f64(),
        visible_path(&options.store),
        options.retain.as_secs() / 3600,
        options
            .max_size
            .map_or(String::new(), |m| format!(", at most {} MiB", m >> 20))
    );
    let (tx, rx) = mpsc::channel();
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGINT])
            .context("cannot install signal handlers")?;
        let tx = tx.clone();
        std::thread::spawn(move || {
            if signals.forever().next().is_some() {
                let _ = tx.send(Message::Stop);
            }
        });
    }
    // The existing tree is watched before the first sample reads it: from then on every change
    // of an event file is reported, so samples take those values from what inotify said
    // instead of reading the files again.
    let mut startup = Vec::new();
    let mut watched_at_start = Vec::new();
    // Directories are watched, and cgroup.events and memory.events held open so that their
    // changes come to the directory's watch (1 watch a cgroup; 3 where descriptors run short),
    // so that an OOM kill is recorded the moment the kernel reports it; memory.events and pids.events are
    // also read by every sample and their counters compared there (a watch on them can be
    // missing unannounced, as the files come and go with their controllers).
    // Cgroups past the longest path recorded are not watched, walked or read either: each
    // costs its whole path to hold, and a chain of long names costs depth squared.
    let watcher = Watcher::new(options.fs.clone(), options.base.clone()).map(|w| {
        w.with_watch_budget(options.max_watches)
            .reporting_each_unwatched()
            .without_pids_events()
            .reporting_writes()
            .holding_event_files()
            .with_max_path(MAX_RECORDED_PATH)
    });
    let mut left_out = LeftOut::default();
    match watcher {
        Ok(mut watcher) => {
            if let Some(budget) = watcher.watch_budget() {
                eprintln!("cgtui record: at most {budget} inotify watches, polling beyond");
            }
            left_out.watched = Some(watcher.beyond_max_path());
            watcher.watch_existing(&mut |event| {
                startup.push(event);
                true
            });
            watched_at_start = watcher.cgroups().cloned().collect();
            let tx = tx.clone();
            std::thread::spawn(move || {
                let result =
                    watcher.watch_events(|event| tx.send(Message::Watch(event, now_ms())).is_ok());
                if let Err(e) = result {
                    let _ = tx.send(Message::WatcherFailed(e.to_string()));
                }
            });
        }
        Err(e) => {
            let _ = tx.send(Message::WatcherFailed(e.to_string()));
        }
    }
    let mut trust = Trust::default();
    for event in &startup {
        if let WatchEvent::Exhausted { reason } = event {
            eprintln!("cgtui record: {reason}");
        }
        trust.learn(event);
    }
    let mut tree: BTreeSet<CgroupPath> = watched_at_start.iter().cloned().collect();
    // Samples list the tree themselves this often, whatever the watcher says (a check that
    // costs one listing per key frame interval).
    let mut samples_since_walk = usize::MAX;
    let mut known: HashMap<CgroupPath, Known> = watched_at_start
        .into_iter()
        .map(|path| {
            let k = Known {
                watched: true,
                ..Known::default()
            };
            (path, k)
        })
        .collect();
    drop(tx);
    let journal = crate::journal::Journal::open_default();
    let mut journal_mark = if writer.last_journal_ms > 0 {
        writer.last_journal_ms
    } else {
        now_ms()
    };
    let mut sink = Sink {
        writer,
        coalescer: Coalescer::new(),
        lost_samples: 0,
        lost_events: 0,
        lost_span: None,
    };
    // The journal only grows: it is parsed again only when its size or time changed.
    let mut journal_seen = None;
    // Limits and controller lists change when someone writes them: re-read at the next sample
    // after inotify reported a write (or a change cgtui journaled), and otherwise every 30 s
    // where writes are not reported (no watch), every 10 minutes where they are.
    let mut collector = crate::collect::Collector::new(options.fs.clone())
        .carrying()
        .rereading_rare_every(RARE_PERIOD, options.interval)
        .rereading_written_every(WRITTEN_PERIOD, options.interval);
    // Writes reported since the last sample, applied once at the next (a flood of writes costs
    // one forgetting a cgroup a sample).
    let mut written: HashSet<(CgroupPath, WrittenFile)> = HashSet::new();
    let mut next_sample = Instant::now();
    let mut last_prune: Option<Instant> = None;
    loop {
        // The sample timer comes before queued watch messages: a flood of them never
        // delays a sample.
        let now = Instant::now();
        let message = if now >= next_sample {
            Err(RecvTimeoutError::Timeout)
        } else {
            rx.recv_timeout(next_sample - now)
        };
        match message {
            Ok(Message::Stop) => {
                // What the watcher already reported is recorded before stopping.
                let drained = drain_after_stop(&rx, &mut |event, ms| {
                    take_watch(event, ms, &mut trust, &mut tree, &mut known, &mut sink);
                    Ok(())
                })?;
                if drained > 0 {
                    eprintln!("cgtui record: recorded {drained} queued events before stopping");
                }
                break;
            }
            Err(RecvTimeoutError::Disconnected) => break,
            Ok(Message::WatcherFailed(why)) => {
                trust.watching = false;
                eprintln!("cgtui record: inotify stopped ({why}); events are not recorded");
            }
            Ok(Message::Watch(WatchEvent::Written { path, file }, _)) => {
                written.insert((path, file));
            }
            Ok(Message::Watch(event, ms)) => {
                take_watch(event, ms, &mut trust, &mut tree, &mut known, &mut sink);
            }
            Err(RecvTimeoutError::Timeout) => {
                next_sample += options.interval;
                // After a stall (suspend, a slow disk), do not sample in a burst to catch up.
                if next_sample < Instant::now() {
                    next_sample = Instant::now() + options.interval;
                }
                let walk = !trust.knows_the_tree() || samples_since_walk >= KEY_EVERY;
                if !walk && !trust.unwatched_dirs.is_empty() {
                    // Past the watch budget only the unwatched directories are listed, not
                    // the tree.
                    let ms = now_ms();
                    for event in relist_unwatched(collector.fs(), &trust, &tree, MAX_RECORDED_PATH)
                    {
                        take_watch(event, ms, &mut trust, &mut tree, &mut known, &mut sink);
                    }
                }
                let reread = std::mem::take(&mut trust.reread);
                if reread {
                    // Lost events may have been writes too.
                    collector.forget_rare();
                }
                for (path, file) in written.drain() {
                    collector.forget_written(&path, file, &mut |parent| {
                        children_in(&tree, parent).cloned().collect()
                    });
                }
                let paths: Vec<CgroupPath> = if walk {
                    samples_since_walk = 0;
                    let walk = collector.fs().walk_within(&options.base, MAX_RECORDED_PATH);
                    left_out.walked = Some(walk.beyond_max_path);
                    take_listing(&mut trust, &mut tree, &walk.cgroups);
                    walk.cgroups
                } else {
                    samples_since_walk += 1;
                    tree.iter().cloned().collect()
                };
                let known_events = |path: &CgroupPath| {
                    let watched = known.get(path).filter(|k| k.watched && !reread);
                    let writes_reported = watched.is_some() && trust.reports_writes_of(path);
                    match watched {
                        Some(k) if trust.trusts(path) => KnownEvents {
                            inode: k.inode.unwrap_or(0),
                            events: k.events,
                            writes_reported,
                        },
                        _ => KnownEvents {
                            writes_reported,
                            ..KnownEvents::default()
                        },
                    }
                };
                if let Some(note) = left_out.news() {
                    eprintln!("cgtui record: {note}");
                }
                let sample = collector.read_listed(&paths, &known_events);
                let (time_ms, anchor) = crate::time::now_ms_anchored();
                let cgroups: Vec<(CgroupPath, &crate::cgroup::sample::CgroupSample)> = sample
                    .cgroups
                    .iter()
                    .filter_map(|(path, sample)| Some((path.clone(), sample.as_deref()?)))
                    .collect();
                for (path, sample) in &cgroups {
                    if reread {
                        // Events were lost: what changed meanwhile is recorded now, at the
                        // sample's time, as the lost events would have been.
                        for event in reported(path, sample) {
                            for e in interpret(event, &mut known) {
                                sink.event(time_ms, e);
                            }
                        }
                    } else {
                        // What inotify does not report is compared sample to sample: the
                        // counters always (their files are not watched), cgroup.events where
                        // it is not watched (past the watch budget). Only from a known value:
                        // the first sample of a cgroup is where it starts.
                        let k = known.get(path).copied().unwrap_or_default();
                        let same = k.inode.is_none_or(|inode| inode == sample.inode);
                        let mut compared = Vec::new();
                        if same && k.memory.is_some() {
                            compared.extend(sample.memory.events.map(|events| {
                                WatchEvent::MemoryEventsChanged {
                                    path: path.clone(),
                                    events,
                                }
                            }));
                        }
                        if same && k.pids.is_some() {
                            compared.extend(sample.pids.events.map(|events| {
                                WatchEvent::PidsEventsChanged {
                                    path: path.clone(),
                                    events,
                                }
                            }));
                        }
                        if same && k.events.is_some() && !trust.trusts(path) {
                            compared.extend(sample.events.map(|events| {
                                WatchEvent::EventsChanged {
                                    path: path.clone(),
                                    events,
                                }
                            }));
                        }
                        for event in compared {
                            for e in interpret(event, &mut known) {
                                sink.event(time_ms, e);
                            }
                        }
                    }
                    let k = known.entry(path.clone()).or_default();
                    if k.inode.is_none_or(|inode| inode == sample.inode) {
                        k.inode = Some(sample.inode);
                        k.events = k.events.or(sample.events);
                    }
                    k.memory = k.memory.or(sample.memory.events);
                    k.pids = k.pids.or(sample.pids.events);
                }
                let stamp = journal
                    .path()
                    .ok()
                    .and_then(|path| std::fs::metadata(path).ok())
                    .map(|m| (m.len(), m.modified().ok()));
                if stamp != journal_seen {
                    journal_seen = stamp;
                    let mut changed = false;
                    for (ms, e) in journal_changes(&journal, journal_mark) {
                        journal_mark = journal_mark.max(ms);
                        sink.event(ms, e);
                        changed = true;
                    }
                    if changed {
                        // A limit cgtui changed is read again by the next sample.
                        collector.forget_rare();
                    }
                }
                sink.release_due(Some(time_ms));
                sink.sample(time_ms, anchor, &cgroups);
                if let Some(max) = options.max_size {
                    // Over the budget, events are counted more and recorded less, instead of
                    // older days being removed for them.
                    let over = sink.writer.current_len() > max / 2;
                    sink.coalescer.burst = if over {
                        RATE_BURST_OVER_BUDGET
                    } else {
                        RATE_BURST
                    };
                }
                if last_prune.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
                    last_prune = Some(Instant::now());
                    match sink.writer.prune(time_ms, options.retain, options.max_size) {
                        Ok(removed) => {
                            for name in removed {
                                eprintln!("cgtui record: removed the old segment {name}");
                            }
                        }
                        Err(e) => eprintln!("cgtui record: {e:#}"),
                    }
                }
            }
        }
    }
    sink.release_due(None);
    sink.writer.flush();
    eprintln!("cgtui record: stopped");
    Ok(())
}

/// The cgroups left out for a path over [`MAX_RECORDED_PATH`] (and all below them), as the
/// log tells them: when the watcher first leaves one out, and when a walk finds a number
/// other than the last one told.
#[derive(Default)]
struct LeftOut {
    /// The watcher's count (cumulative), shared with its thread.
    watched: Option<std::sync::Arc<std::sync::atomic::AtomicUsize>>,
    /// How many the latest walk left out.
    walked: Option<usize>,
    /// What was last told: the watcher had left some out; the walk's number.
    told_watched: bool,
    told_walked: usize,
}

impl LeftOut {
    /// A line for the log, when there is something new to tell.
    fn news(&mut self) -> Option<String> {
        let what = format!(
            "past {MAX_RECORDED_PATH} bytes of path (and all below): not watched, read or recorded"
        );
        if let Some(walked) = self.walked.take()
            && walked != self.told_walked
        {
            self.told_walked = walked;
            self.told_watched |= walked > 0;
            let cgroups = if walked == 1 { "cgroup" } else { "cgroups" };
            return Some(format!("{walked} {cgroups} {what}"));
        }
        let watched = self
            .watched
            .as_ref()
            .map_or(0, |count| count.load(std::sync::atomic::Ordering::Relaxed));
        if watched > 0 && !self.told_watched {
            self.told_watched = true;
            return Some(format!("cgroups {what}"));
        }
        None
    }
}

mod sink;

use sink::*;

#[cfg(test)]
mod tests;
