//! History: the recorder (`cgtui record`), its embedded store, and the readers
//! (`cgtui snapshot --store`, `cgtui events`, `cgtui replay`). docs/src/store-format.md has the
//! format's design.

pub mod backfill;
pub mod codec;
pub mod frame;
pub mod record;
pub mod replay;
pub mod store;

use crate::cgroup::sample::CgroupSample;
use crate::cgroup::{CgroupPath, Cgroupfs};
use crate::model::rates::RateRules;
use crate::model::{Model, TreeSample};
use crate::time;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::time::{Duration, Instant};
pub use store::{Moment, Pair, Store, Writer};

/// Something that happened to a cgroup, at its exact time (the frame's time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEvent {
    /// `created`, `removed`, `populated`, `unpopulated`, `frozen`, `thawed`, `oom`,
    /// `oom_kill`, `pids_max` (a fork refused by pids.max), `change` (cgtui's journal),
    /// `coalesced` (events beyond the rate, counted), `gap` (what the recorder could not
    /// write, counted: `total` frames lost, `coalesced` their span).
    pub kind: String,
    /// Display form (`/user.slice/...`, escaped).
    pub cgroup: String,
    /// Raw path bytes relative to the mount.
    #[serde(default)]
    pub cgroup_raw: Vec<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inode: Option<u64>,
    /// For counters (`oom`, `oom_kill`, `pids_max`): the new total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// For counters: how much it went up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub increase: Option<u64>,
    /// For `change`: the journal entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    /// For `coalesced`: what happened too often to record one by one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coalesced: Option<Coalesced>,
}

/// Events of one cgroup beyond the recorder's rate, counted instead of recorded one by one
/// (the first ones before and the last one after are recorded exactly).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coalesced {
    /// The first and the last counted event's time (ms).
    pub from_ms: i64,
    pub to_ms: i64,
    /// How many of each kind.
    pub kinds: std::collections::BTreeMap<String, u64>,
}

/// A change cgtui made, as its journal recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub id: String,
    pub uid: u32,
    pub op: String,
    pub file: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
    pub result: String,
    pub errno: Option<String>,
    pub via: String,
    /// The journal entry's own time (Unix seconds).
    pub journal_time: f64,
}

impl HistoryEvent {
    pub fn new(kind: &str, path: &CgroupPath) -> Self {
        HistoryEvent {
            kind: kind.to_string(),
            cgroup: path.to_string(),
            cgroup_raw: path.as_bytes().to_vec(),
            inode: None,
            total: None,
            increase: None,
            change: None,
            coalesced: None,
        }
    }

    pub fn journal_ms(&self) -> i64 {
        self.change
            .as_ref()
            .map_or(0, |c| (c.journal_time * 1000.0).round() as i64)
    }

    /// One line: what happened, for `cgtui events` and the replay footer. Each part from the
    /// system is escaped once: the cgroup is stored in its display form (already escaped), the
    /// journal's values are escaped here, and the line passes [`inert`](crate::cgroup::escape::inert),
    /// which never escapes twice.
    pub fn describe(&self) -> String {
        use crate::cgroup::escape::{inert, visible};
        let mut text = format!("{:<11} {}", visible(self.kind.as_bytes()), self.cgroup);
        if let (Some(total), Some(up)) = (self.total, self.increase) {
            text.push_str(&format!("  (+{up}, total {total})"));
        }
        if let Some(c) = &self.coalesced {
            let kinds: Vec<String> = c
                .kinds
                .iter()
                .map(|(kind, n)| format!("{} {n}", visible(kind.as_bytes())))
                .collect();
            text.push_str(&format!(
                "  {} between {} and {}",
                kinds.join(", "),
                time::format_ms(c.from_ms),
                time::format_ms(c.to_ms)
            ));
        }
        if let Some(c) = &self.change {
            let value = |v: &Option<String>| {
                v.as_deref()
                    .map_or_else(|| "-".to_string(), |v| visible(v.as_bytes()).into_owned())
            };
            text.push_str(&format!(
                "  {} {}: {} -> {}  {} (uid {}, via {})",
                visible(c.op.as_bytes()),
                value(&c.file),
                value(&c.old),
                value(&c.new),
                visible(c.result.as_bytes()),
                c.uid,
                visible(c.via.as_bytes())
            ));
            if let Some(errno) = &c.errno {
                text.push_str(&format!(" {}", visible(errno.as_bytes())));
            }
        }
        inert(&text).into_owned()
    }
}

/// A recorded sample as the sampler's [`TreeSample`], the cgroups under `base` only, timed
/// relative to `origin` (`origin_ms` is its Unix time) so the model's rates use the recorded
/// spacing.
pub fn tree_of(moment: &Moment, base: &CgroupPath, origin: Instant, origin_ms: i64) -> TreeSample {
    let at = origin + Duration::from_millis(moment.time_ms.saturating_sub(origin_ms).max(0) as u64);
    TreeSample {
        started: at,
        finished: at,
        complete: true,
        cgroups: moment
            .cgroups
            .iter()
            .filter(|(path, _)| path.starts_with(base))
            .map(|(path, sample): &(CgroupPath, CgroupSample)| {
                (path.clone(), Some(Box::new(sample.clone())))
            })
            .collect(),
    }
}

/// A model holding a recorded pair: the previous sample, then the current one (rates).
pub fn model_of(pair: &Pair, fs: &Cgroupfs, base: &CgroupPath) -> Model {
    // The recorder's interval is the samples' spacing.
    let spacing = pair
        .previous
        .as_ref()
        .map_or(0, |p| pair.current.time_ms - p.time_ms);
    let rules = RateRules::for_this_host(Duration::from_millis(spacing.max(0) as u64));
    let mut model = Model::new(base.clone(), fs.devices())
        .with_hierarchy_controllers(fs.hierarchy_controllers())
        .with_rate_rules(rules);
    apply_pair(&mut model, pair, base);
    model
}

/// Give `model` a recorded (or scraped) pair: the previous sample, then the current one, at
/// their recorded spacing (the rates).
pub fn apply_pair(model: &mut Model, pair: &Pair, base: &CgroupPath) {
    let origin = Instant::now();
    let origin_ms = pair
        .previous
        .as_ref()
        .map_or(pair.current.time_ms, |p| p.time_ms);
    if let Some(previous) = &pair.previous {
        model.apply_tree(tree_of(previous, base, origin, origin_ms));
    }
    model.apply_tree(tree_of(&pair.current, base, origin, origin_ms));
}

fn report_problems(store: &mut Store) {
    for problem in store.take_problems() {
        eprintln!("cgtui: store {problem}");
    }
}

/// Where the TIME range of a reader starts and ends.
pub struct Range {
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// `cgtui snapshot --store DIR --at TIME` (one iteration) or `--from T1 --to T2` (each sample
/// in the range), in the live snapshot's shape.
pub fn snapshot(
    store_dir: &std::path::Path,
    shape: &crate::snapshot::Shape,
    at: Option<i64>,
    range: Range,
    out: &mut dyn Write,
) -> Result<()> {
    let mut store = Store::open(store_dir)?;
    let (fs, base) = (shape.fs, shape.base);
    let mut devices = fs.devices();
    let mut names = crate::snapshot::Names::new(None);
    let mut iteration = 0;
    let mut write = |pair: Pair, store_devices: &mut crate::cgroup::devices::Devices| {
        iteration += 1;
        let model = model_of(&pair, fs, base);
        let elapsed = pair
            .previous
            .as_ref()
            .map(|p| (pair.current.time_ms - p.time_ms) as f64 / 1000.0);
        crate::snapshot::write_iteration(
            out,
            &model,
            store_devices,
            &mut names,
            shape,
            iteration,
            pair.current.time_ms as f64 / 1000.0,
            elapsed,
        )
    };
    if let Some(at) = at {
        let pair = store.at(at)?;
        report_problems(&mut store);
        let Some(pair) = pair else {
            anyhow::bail!(
                "the store {} holds no sample at or before {}{}",
                crate::cgroup::escape::visible_path(store_dir),
                time::format_ms(at),
                span_note(&mut store)
            );
        };
        return write(pair, &mut devices);
    }
    let from = range.from.unwrap_or(i64::MIN);
    let to = range.to.unwrap_or(i64::MAX);
    store.range(from, to, &mut |pair| write(pair, &mut devices))?;
    report_problems(&mut store);
    if iteration == 0 {
        anyhow::bail!(
            "the store {} holds no sample between {} and {}{}",
            crate::cgroup::escape::visible_path(store_dir),
            range.from.map_or("its start".into(), time::format_ms),
            range.to.map_or("its end".into(), time::format_ms),
            span_note(&mut store)
        );
    }
    Ok(())
}

fn span_note(store: &mut Store) -> String {
    match store.span() {
        Some((first, last)) => format!(
            " (it holds {} to {})",
            time::format_ms(first),
            time::format_ms(last)
        ),
        None => " (it is empty)".into(),
    }
}

#[derive(Serialize)]
struct EventLine<'a> {
    /// Unix seconds, millisecond precision.
    time: f64,
    time_utc: String,
    #[serde(flatten)]
    event: &'a HistoryEvent,
}

/// `cgtui events`: the timeline, one line (or JSON document) per event.
pub fn events(
    store_dir: &std::path::Path,
    base: &CgroupPath,
    range: Range,
    json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    // Streamed: each event is read, printed and dropped (a flooded day is not held).
    let mut store = Store::open_since(store_dir, range.from.unwrap_or(i64::MIN))?;
    let mut failed = None;
    store.each_event(
        range.from.unwrap_or(i64::MIN),
        range.to.unwrap_or(i64::MAX),
        &mut |t, event| {
            let in_base =
                crate::journal::raw_path(&event.cgroup_raw).is_none_or(|p| p.starts_with(base));
            if !in_base {
                return true;
            }
            let written = if json {
                let line = EventLine {
                    time: t as f64 / 1000.0,
                    time_utc: time::format_ms(t),
                    event: &event,
                };
                crate::output::json_line(&line)
                    .map_err(anyhow::Error::from)
                    .and_then(|line| writeln!(out, "{line}").map_err(anyhow::Error::from))
            } else {
                writeln!(out, "{}  {}", time::format_ms(t), event.describe())
                    .map_err(anyhow::Error::from)
            };
            match written {
                Ok(()) => true,
                Err(e) => {
                    failed = Some(e);
                    false
                }
            }
        },
    );
    report_problems(&mut store);
    if let Some(e) = failed {
        return Err(e);
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 23 item 9: a hostile name was escaped twice (`\\\\e[31m`).
    #[test]
    fn an_event_line_escapes_a_name_once() {
        let path = CgroupPath::from_relative(std::path::Path::new("evil\x1b[31m\\x")).unwrap();
        let line = HistoryEvent::new("created", &path).describe();
        assert_eq!(line, "created     /evil\\e[31m\\\\x");
        let mut change = HistoryEvent::new("change", &path);
        change.change = Some(Change {
            id: "1".into(),
            uid: 0,
            op: "write".into(),
            file: Some("memory.max".into()),
            old: Some("max".into()),
            new: Some("1\x07".into()),
            result: "ok".into(),
            errno: None,
            via: "tui".into(),
            journal_time: 0.0,
        });
        let line = change.describe();
        assert!(
            line.ends_with("memory.max: max -> 1\\x07  ok (uid 0, via tui)"),
            "{line}"
        );
        assert!(!line.contains('\x1b') && !line.contains('\x07'), "{line}");
    }
}
