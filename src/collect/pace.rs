//! The sampler's CPU budget: how often rows off screen are read and how long the interval is,
//! from what recent passes cost.

use std::collections::VecDeque;
use std::time::Duration;

/// How often a row off screen that could still move onto it ([`Reads::in_turns`]) is read:
/// every this many passes (more when over the CPU budget, up to [`MAX_HIDDEN_EVERY`]). Events
/// (new cgroups, populated, OOM kills) still arrive at once by inotify.
pub const HIDDEN_EVERY: u64 = 5;

/// The CPU budget first reads rows off screen less often, down to once in this many passes;
/// then it stretches the interval.
pub const MAX_HIDDEN_EVERY: u64 = 80;

/// The default share of one CPU the sampler may use.
pub const DEFAULT_CPU_BUDGET: f64 = 0.05;

/// The longest the CPU budget stretches the interval to.
pub const MAX_STRETCHED_INTERVAL: Duration = Duration::from_secs(3600);

/// The sampler's pace for the next pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Rows off screen that could move onto it are read every this many passes.
    pub hidden_every: u64,
    /// Time between passes: the configured interval, or longer over the CPU budget.
    pub interval: Duration,
}

impl Schedule {
    pub fn new(interval: Duration) -> Schedule {
        Schedule {
            hidden_every: HIDDEN_EVERY,
            interval,
        }
    }
}

/// The CPU budget's policy, as a pure function. `cost`: the CPU a pass costs (the mean of
/// recent passes); `configured`: the interval asked for; `budget`: the share of one CPU
/// allowed (0.05 = 5 %); `now`: the schedule those passes ran on.
///
/// Over the share (`budget × interval`), hidden cgroups are read half as often, down to
/// [`MAX_HIDDEN_EVERY`]; beyond that the interval is stretched so a pass fits its share with
/// a fifth to spare. Under half the share, the interval shrinks back to the configured one
/// first, then hidden cgroups are read more often again. In between nothing changes, so the
/// schedule does not swing back and forth.
pub fn next_schedule(cost: Duration, configured: Duration, budget: f64, now: Schedule) -> Schedule {
    let share = now.interval.mul_f64(budget);
    // The interval at which a pass costing `cost` uses `fraction` of the budget.
    let interval_for = |fraction: f64| {
        Duration::try_from_secs_f64(cost.as_secs_f64() / (budget * fraction))
            .unwrap_or(MAX_STRETCHED_INTERVAL)
            .clamp(configured, MAX_STRETCHED_INTERVAL.max(configured))
    };
    if cost > share {
        if now.hidden_every < MAX_HIDDEN_EVERY {
            return Schedule {
                hidden_every: (now.hidden_every * 2).min(MAX_HIDDEN_EVERY),
                ..now
            };
        }
        return Schedule {
            interval: interval_for(0.8).max(now.interval),
            ..now
        };
    }
    if cost * 2 < share {
        if now.interval > configured {
            return Schedule {
                interval: interval_for(0.66).min(now.interval),
                ..now
            };
        }
        if now.hidden_every > HIDDEN_EVERY {
            return Schedule {
                hidden_every: (now.hidden_every / 2).max(HIDDEN_EVERY),
                ..now
            };
        }
    }
    now
}

/// What the sampler tells the UI about its pace and about cgroups it polls for inotify.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SamplerStatus {
    /// The interval asked for.
    pub configured: Duration,
    /// The interval kept: longer than `configured` when the CPU budget stretched it.
    pub interval: Duration,
    /// Hidden cgroups are read every this many passes.
    pub hidden_every: u64,
    /// The share of one CPU the sampler may use (0.05 = 5 %).
    pub cpu_budget: f64,
    /// Cgroups inotify could not watch, read every pass instead.
    pub polled_alone: usize,
}

impl SamplerStatus {
    /// What the header says: nothing while the sampler keeps the configured pace and inotify
    /// watches every cgroup.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        // Rounded to hundredths: 0.024 × 100 is not exactly 2.4.
        let percent = (self.cpu_budget * 10_000.0).round() / 100.0;
        let budget = format!("CPU budget {percent} %");
        if self.interval > self.configured {
            notes.push(format!(
                "refresh {:.1} s ({budget})",
                self.interval.as_secs_f64()
            ));
        } else if self.hidden_every > HIDDEN_EVERY {
            let every = self.interval.as_secs_f64() * self.hidden_every as f64;
            notes.push(format!("rows off screen every {every:.0} s ({budget})"));
        }
        match self.polled_alone {
            0 => {}
            1 => notes.push("1 cgroup polled: no inotify watch".into()),
            n => notes.push(format!("{n} cgroups polled: no inotify watch")),
        }
        notes
    }
}

/// Passes over budget before the schedule tightens.
const TIGHTEN_AFTER: usize = 3;

/// Passes well under budget before the schedule relaxes.
const RELAX_AFTER: usize = 8;

/// Keeps the sampler within its CPU budget: the CPU of recent passes, and the schedule they
/// lead to through [`next_schedule`].
#[derive(Debug)]
pub(super) struct Pacer {
    budget: f64,
    pub(super) configured: Duration,
    pub(super) schedule: Schedule,
    /// CPU of the passes since the schedule last changed, at most a cycle of them.
    costs: VecDeque<Duration>,
}

impl Pacer {
    pub(super) fn new(interval: Duration, budget: f64) -> Pacer {
        Pacer {
            budget,
            configured: interval,
            schedule: Schedule::new(interval),
            costs: VecDeque::new(),
        }
    }

    pub(super) fn set_interval(&mut self, interval: Duration) {
        self.configured = interval;
        self.schedule.interval = interval;
        self.costs.clear();
    }

    /// Note the CPU one pass cost (its walk spread over the passes between walks). Over
    /// budget the schedule tightens after [`TIGHTEN_AFTER`] passes; it relaxes only after
    /// [`RELAX_AFTER`] (or a whole cycle of hidden reads, if shorter).
    pub(super) fn record(&mut self, cost: Duration) {
        let cycle = self.schedule.hidden_every as usize;
        self.costs.push_back(cost);
        while self.costs.len() > cycle.max(RELAX_AFTER) {
            self.costs.pop_front();
        }
        let mean = self.costs.iter().sum::<Duration>() / self.costs.len() as u32;
        let next = next_schedule(mean, self.configured, self.budget, self.schedule);
        let tighter = next.hidden_every > self.schedule.hidden_every
            || next.interval > self.schedule.interval;
        let enough = if tighter {
            self.costs.len() >= cycle.min(TIGHTEN_AFTER)
        } else {
            self.costs.len() >= cycle.min(RELAX_AFTER)
        };
        if next != self.schedule && enough {
            self.schedule = next;
            self.costs.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn over_budget_hidden_cgroups_are_read_less_often_first_then_the_interval_stretches() {
        let second = Duration::from_secs(1);
        let budget = 0.05; // a share of 50 ms per 1 s pass
        let mut now = Schedule::new(second);
        // 120 ms a pass: hidden cgroups half as often, again and again, the interval kept.
        for expected in [10, 20, 40, 80] {
            now = next_schedule(120 * MS, second, budget, now);
            assert_eq!(
                now,
                Schedule {
                    hidden_every: expected,
                    interval: second
                }
            );
        }
        // Nothing left to thin out: stretch so a pass uses 80 % of its share.
        now = next_schedule(120 * MS, second, budget, now);
        assert_eq!(now.hidden_every, MAX_HIDDEN_EVERY);
        assert_eq!(now.interval, Duration::from_secs(3));
        // Within the share (and above half of it): no change.
        assert_eq!(next_schedule(120 * MS, second, budget, now), now);
        assert_eq!(next_schedule(80 * MS, second, budget, now), now);
        // Cheaper passes: the interval shrinks back first (to use two thirds of the share)...
        now = next_schedule(40 * MS, second, budget, now);
        assert_eq!(now.hidden_every, MAX_HIDDEN_EVERY);
        assert!(
            now.interval > second && now.interval < Duration::from_secs(3),
            "{now:?}"
        );
        now = next_schedule(10 * MS, second, budget, now);
        assert_eq!(now.interval, second, "never below the configured interval");
        // ...then hidden cgroups are read more often again, down to the usual turns.
        for expected in [40, 20, 10, 5, 5] {
            now = next_schedule(10 * MS, second, budget, now);
            assert_eq!(
                now,
                Schedule {
                    hidden_every: expected,
                    interval: second
                }
            );
        }
    }

    #[test]
    fn the_stretch_has_a_ceiling_and_a_cheap_pass_changes_nothing() {
        let second = Duration::from_secs(1);
        let full = Schedule {
            hidden_every: MAX_HIDDEN_EVERY,
            interval: second,
        };
        let huge = next_schedule(Duration::from_secs(1000), second, 0.0001, full);
        assert_eq!(huge.interval, MAX_STRETCHED_INTERVAL);
        let idle = Schedule::new(second);
        assert_eq!(next_schedule(MS, second, 0.05, idle), idle);
        assert_eq!(next_schedule(Duration::ZERO, second, 0.05, idle), idle);
    }

    #[test]
    fn the_pacer_tightens_after_a_few_passes_and_relaxes_only_after_a_cycle() {
        let second = Duration::from_secs(1);
        let mut pacer = Pacer::new(second, 0.05);
        pacer.record(200 * MS);
        pacer.record(200 * MS);
        assert_eq!(
            pacer.schedule.hidden_every, HIDDEN_EVERY,
            "two passes are not enough"
        );
        pacer.record(200 * MS);
        assert_eq!(pacer.schedule.hidden_every, 2 * HIDDEN_EVERY);
        // Cheap again: RELAX_AFTER passes before relaxing.
        for _ in 1..RELAX_AFTER {
            pacer.record(MS);
        }
        assert_eq!(pacer.schedule.hidden_every, 2 * HIDDEN_EVERY);
        pacer.record(MS);
        assert_eq!(pacer.schedule.hidden_every, HIDDEN_EVERY);
        // A new interval starts afresh.
        pacer.set_interval(Duration::from_secs(2));
        assert_eq!(pacer.schedule.interval, Duration::from_secs(2));
    }

    #[test]
    fn the_status_says_what_the_budget_did_and_how_many_cgroups_are_polled() {
        let second = Duration::from_secs(1);
        let status = SamplerStatus {
            configured: second,
            interval: second,
            hidden_every: HIDDEN_EVERY,
            cpu_budget: 0.05,
            polled_alone: 0,
        };
        assert!(status.notes().is_empty());
        let stretched = SamplerStatus {
            interval: Duration::from_millis(2400),
            hidden_every: MAX_HIDDEN_EVERY,
            polled_alone: 3,
            ..status.clone()
        };
        assert_eq!(
            stretched.notes(),
            [
                "refresh 2.4 s (CPU budget 5 %)",
                "3 cgroups polled: no inotify watch"
            ]
        );
        let thinned = SamplerStatus {
            hidden_every: 20,
            cpu_budget: 0.024,
            polled_alone: 1,
            ..status
        };
        assert_eq!(
            thinned.notes(),
            [
                "rows off screen every 20 s (CPU budget 2.4 %)",
                "1 cgroup polled: no inotify watch"
            ]
        );
    }
}
