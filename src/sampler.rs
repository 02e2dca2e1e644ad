//! The sampler thread: walks the tree on an interval, reads counters, and reports them as
//! events. Commands (new interval, new focus, refresh now) wake it early.

use crate::app::Event;
use crate::cgroup::process::read_processes;
use crate::cgroup::sample::{Scope, read_sample};
use crate::cgroup::{CgroupPath, Cgroupfs};
use crate::model::TreeSample;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub enum Command {
    Interval(Duration),
    Focus(CgroupPath),
    RefreshNow,
}

/// Read every cgroup under `base`, the `focus` one fully and the rest for the tree's columns.
pub fn sample_tree(
    fs: &Cgroupfs,
    base: &CgroupPath,
    focus: Option<&CgroupPath>,
    all_full: bool,
) -> TreeSample {
    let started = Instant::now();
    let cgroups = fs
        .walk(base)
        .into_iter()
        .filter_map(|path| {
            let scope = if all_full || Some(&path) == focus {
                Scope::Full
            } else {
                Scope::Columns
            };
            // An error reading the directory itself (not a file in it) leaves the cgroup out
            // until the next pass; per-file problems are kept inside the sample.
            let sample = read_sample(fs, &path, scope).ok().flatten()?;
            Some((path, sample))
        })
        .collect();
    TreeSample {
        started,
        finished: Instant::now(),
        cgroups,
    }
}

pub struct Sampler {
    pub fs: Cgroupfs,
    pub base: CgroupPath,
    pub interval: Duration,
    pub focus: Option<CgroupPath>,
}

impl Sampler {
    fn send_focus(&self, events: &Sender<Event>) -> bool {
        let Some(focus) = &self.focus else {
            return true;
        };
        if let Ok(Some(sample)) = read_sample(&self.fs, focus, Scope::Full)
            && events
                .send(Event::Focused(focus.clone(), Box::new(sample)))
                .is_err()
        {
            return false;
        }
        self.send_processes(events)
    }

    fn send_processes(&self, events: &Sender<Event>) -> bool {
        let Some(focus) = &self.focus else {
            return true;
        };
        let processes = read_processes(&self.fs, focus)
            .ok()
            .flatten()
            .unwrap_or_default();
        let event = Event::Processes {
            cgroup: focus.clone(),
            processes,
            at: Instant::now(),
        };
        events.send(event).is_ok()
    }

    /// Run until the receiving side of `events` is gone.
    pub fn run(mut self, commands: Receiver<Command>, events: Sender<Event>) {
        loop {
            let tick = Instant::now();
            let tree = sample_tree(&self.fs, &self.base, self.focus.as_ref(), false);
            if events.send(Event::Tree(tree)).is_err() || !self.send_processes(&events) {
                return;
            }
            // Wait out the interval; commands in between are applied at once.
            loop {
                let deadline = tick + self.interval;
                let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                    break;
                };
                match commands.recv_timeout(left) {
                    Ok(Command::Interval(interval)) => self.interval = interval,
                    Ok(Command::Focus(path)) => {
                        self.focus = Some(path);
                        if !self.send_focus(&events) {
                            return;
                        }
                    }
                    Ok(Command::RefreshNow) => break,
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        }
    }
}
