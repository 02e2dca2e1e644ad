//! The change journal: every write cgtui makes is recorded before it happens and completed
//! after, with fsync, so a crash never loses the record. `undo` restores the old value of the
//! latest change that has not been undone yet.
//!
//! One JSON object per line in `$XDG_STATE_HOME/cgtui/journal.jsonl` (default
//! `~/.local/state/cgtui/journal.jsonl`).

use crate::cgroup::CgroupPath;
use crate::cgroup::edit::{Op, Outcome, Via};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Written before the change: a crash leaves this behind as evidence.
    Begin,
    End,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    pub phase: Phase,
    pub timestamp: f64,
    pub uid: u32,
    pub op: String,
    /// Display form of the cgroup path (`/user.slice/...`).
    pub cgroup: String,
    /// The raw path relative to the mount, for replaying; display form may be escaped.
    pub cgroup_raw: Vec<u8>,
    pub file: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
    /// `pending` in a begin entry; `ok` or `failed` in an end entry.
    pub result: String,
    pub errno: Option<String>,
    pub rule: Option<String>,
    pub via: String,
    /// The id of the change this one undid.
    pub undo_of: Option<String>,
}

pub struct Journal {
    path: PathBuf,
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn via_name(via: Via) -> &'static str {
    match via {
        Via::Fs => "fs",
        Via::Systemd => "systemd",
    }
}

impl Journal {
    /// The journal of this user: `$XDG_STATE_HOME/cgtui/journal.jsonl`.
    pub fn default_path() -> Result<PathBuf> {
        let state = match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => {
                // Services run without HOME; the passwd entry still knows it.
                let home = std::env::var_os("HOME")
                    .filter(|h| !h.is_empty())
                    .map(PathBuf::from)
                    .or_else(|| {
                        let uid = rustix::process::geteuid().as_raw();
                        uzers::get_user_by_uid(uid)
                            .map(|u| uzers::os::unix::UserExt::home_dir(&u).to_path_buf())
                    })
                    .context("cannot find a place for the journal: set XDG_STATE_HOME or HOME")?;
                home.join(".local/state")
            }
        };
        Ok(state.join("cgtui/journal.jsonl"))
    }

    pub fn open(path: PathBuf) -> Journal {
        Journal { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn append(&self, entry: &Entry) -> Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let created = !self.path.exists();
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .with_context(|| format!("cannot open the journal {}", self.path.display()))?;
        let mut line = serde_json::to_string(entry)?;
        line.push('\n');
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_data())
            .with_context(|| format!("cannot write the journal {}", self.path.display()))?;
        if created {
            // Make the new file's directory entry durable too.
            File::open(dir).and_then(|d| d.sync_all()).ok();
        }
        Ok(())
    }

    /// Record that `op` is about to run. Returns the entry to complete with [`Journal::end`].
    pub fn begin(
        &self,
        op: &Op,
        old: Option<String>,
        via: Via,
        undo_of: Option<String>,
    ) -> Result<Entry> {
        let cgroup = op.cgroup();
        let id = format!("{:.6}-{}", now(), std::process::id());
        let entry = Entry {
            id,
            phase: Phase::Begin,
            timestamp: now(),
            uid: rustix::process::geteuid().as_raw(),
            op: op.name().to_string(),
            cgroup: cgroup.to_string(),
            cgroup_raw: cgroup.as_bytes().to_vec(),
            file: op.file().map(str::to_string),
            old,
            new: match op {
                Op::Set { value, .. } => Some(value.clone()),
                Op::Move { pid, .. } => Some(pid.to_string()),
                _ => None,
            },
            result: "pending".into(),
            errno: None,
            rule: None,
            via: via_name(via).into(),
            undo_of,
        };
        self.append(&entry)?;
        Ok(entry)
    }

    /// Complete a begun entry with what happened.
    pub fn end(&self, mut entry: Entry, outcome: &Outcome) -> Result<()> {
        entry.phase = Phase::End;
        entry.timestamp = now();
        entry.result = if outcome.ok() { "ok" } else { "failed" }.into();
        entry.errno = outcome.errno.clone();
        entry.rule = Some(outcome.rule.id().into());
        entry.via = via_name(outcome.via).into();
        if let Some(value) = &outcome.value {
            entry.new = Some(value.clone());
        }
        if outcome.before.is_some() {
            entry.old = outcome.before.clone();
        }
        self.append(&entry)
    }

    pub fn entries(&self) -> Result<Vec<Entry>> {
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot read the journal {}", self.path.display()));
            }
        };
        let mut entries = Vec::new();
        for (n, line) in BufReader::new(file).lines().enumerate() {
            let line =
                line.with_context(|| format!("cannot read the journal {}", self.path.display()))?;
            if line.trim().is_empty() {
                continue;
            }
            // A line cut short by a crash is skipped, not fatal.
            match serde_json::from_str::<Entry>(&line) {
                Ok(entry) => entries.push(entry),
                Err(e) => eprintln!(
                    "cgtui: skipping journal line {} of {}: {e}",
                    n + 1,
                    self.path.display()
                ),
            }
        }
        Ok(entries)
    }

    /// The latest successful change of this user that has not been undone, and the operation
    /// that undoes it.
    pub fn undo_plan(&self) -> Result<(Entry, Op)> {
        let entries = self.entries()?;
        let uid = rustix::process::geteuid().as_raw();
        let undone: std::collections::HashSet<&str> = entries
            .iter()
            .filter(|e| e.phase == Phase::End && e.result == "ok")
            .filter_map(|e| e.undo_of.as_deref())
            .collect();
        // cgroup.kill cannot be taken back, and a set without a readable old value has nothing
        // to restore: undo walks past those to the latest change it can reverse.
        let reversible = |e: &Entry| match e.op.as_str() {
            "set" => e.old.is_some() && e.file.as_deref() != Some("cgroup.kill"),
            "move" => e.old.is_some(),
            _ => true,
        };
        let Some(last) = entries.iter().rev().find(|e| {
            e.phase == Phase::End
                && e.result == "ok"
                && e.uid == uid
                && e.undo_of.is_none()
                && !undone.contains(e.id.as_str())
                && reversible(e)
        }) else {
            bail!("nothing to undo in {}", self.path.display());
        };
        let cgroup = {
            use std::os::unix::ffi::OsStrExt;
            CgroupPath::from_relative(Path::new(std::ffi::OsStr::from_bytes(&last.cgroup_raw)))
                .context("the journal names a cgroup path with `..`")?
        };
        let op = match (last.op.as_str(), &last.file, &last.old) {
            ("set", Some(file), Some(old)) => Op::Set {
                cgroup,
                file: file.clone(),
                value: old.clone(),
            },
            ("mkdir", _, _) => Op::Rmdir { cgroup },
            ("rmdir", _, _) => Op::Mkdir { cgroup },
            ("move", _, Some(old)) => {
                let pid = last
                    .new
                    .as_deref()
                    .and_then(|p| p.parse().ok())
                    .context("the journal's move has no pid")?;
                let source = CgroupPath::from_relative(Path::new(old))
                    .context("bad source cgroup in the journal")?;
                Op::Move {
                    pid,
                    cgroup: source,
                }
            }
            (op, _, _) => bail!("cannot undo a {op} recorded in the journal"),
        };
        Ok((last.clone(), op))
    }
}
