//! The change journal: every write cgtui makes is recorded before it happens and completed
//! after, with fsync, so a crash never loses the record. `undo` restores the old value of the
//! latest change that has not been undone yet.
//!
//! One JSON object per line in `$XDG_STATE_HOME/cgtui/journal.jsonl` (default
//! `~/.local/state/cgtui/journal.jsonl`).
//!
//! Root may run cgtui with `HOME` or `XDG_STATE_HOME` pointing into a user's home (`sudo -E`),
//! where that user could plant symlinks or entries. So the journal is reached through
//! [`crate::trusted`]: opened one directory at a time from `/` (never following a symlink that
//! someone else could have planted), every directory on the way must belong to root or to us
//! and be writable by nobody else, and the `cgtui` directory (0700) and the journal (0600) must
//! be ours, not symlinks, and the journal a regular file with one link. Anything else is
//! refused before a byte is written.
//! Writers hold an `flock` on the journal, so two cgtui processes never interleave a change
//! or undo the same entry twice.

use crate::cgroup::CgroupPath;
use crate::cgroup::edit::{Op, Outcome, Via};
use crate::cgroup::escape::visible_path;
use crate::trusted::{open_private_dir, open_private_file};
use anyhow::{Context, Result, bail};
use rustix::fs::FlockOperation;
use rustix::io::Errno;
use serde::{Deserialize, Serialize};
use std::ffi::OsStr;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
    /// The cgtui run (an [`crate::editor::Editor`]) that wrote the entry.
    #[serde(default)]
    pub session: Option<String>,
    /// What the file held after the change (end entries): undo restores only while it still
    /// holds this.
    #[serde(default)]
    pub after: Option<String>,
    /// A move's source cgroup, raw bytes relative to the mount (`old` is its display form).
    #[serde(default)]
    pub old_raw: Option<Vec<u8>>,
    /// A move's process start time (clock ticks after boot), to tell a reused PID.
    #[serde(default)]
    pub pid_start: Option<u64>,
    /// The inode of the directory a mkdir created, to tell it from one made again later.
    #[serde(default)]
    pub inode: Option<u64>,
    /// A playground started by `delegate`: its unit and its InvocationID (hex).
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub invocation_id: Option<String>,
}

impl Entry {
    /// The raw cgroup path of the entry, refusing `..`.
    pub fn cgroup_path(&self) -> Result<CgroupPath> {
        raw_path(&self.cgroup_raw).with_context(|| {
            format!(
                "the journal entry {} names a cgroup path with `..`",
                self.id
            )
        })
    }

    /// A successful change (end entry).
    pub fn succeeded(&self) -> bool {
        self.phase == Phase::End && self.result == "ok"
    }
}

/// A cgroup path from raw bytes relative to the mount; `None` with a `..` in it.
pub fn raw_path(bytes: &[u8]) -> Option<CgroupPath> {
    CgroupPath::from_relative(Path::new(OsStr::from_bytes(bytes)))
}

/// What a read of the journal found.
#[derive(Debug, Default)]
pub struct Entries {
    pub list: Vec<Entry>,
    /// Lines that could not be parsed (a write cut short by a crash or a full disk), skipped.
    pub skipped: Vec<String>,
}

pub struct Journal {
    /// Where the journal is, or why there is no place for it (reported on first use, so that
    /// what never writes — `--read-only`, `check`, `explain` — needs no home).
    location: Result<PathBuf, String>,
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A unique entry id: time, process and a counter (two entries may share a microsecond).
fn new_id() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{:.6}-{}-{n}", now(), std::process::id())
}

fn via_name(via: Via) -> &'static str {
    match via {
        Via::Fs => "fs",
        Via::Systemd => "systemd",
    }
}

const JOURNAL_FILE: &str = "journal.jsonl";
/// How long a writer waits for another cgtui to finish its change before giving up.
const LOCK_WAIT: Duration = Duration::from_secs(30);

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
        if !state.is_absolute() {
            bail!(
                "XDG_STATE_HOME or HOME is not an absolute path ({}); the journal needs one",
                visible_path(&state)
            );
        }
        Ok(state.join("cgtui").join(JOURNAL_FILE))
    }

    pub fn open(path: PathBuf) -> Journal {
        Journal { location: Ok(path) }
    }

    /// The journal of changes to `fs`: the user's, or for a fixture's private copy its own,
    /// which goes with it (a fixture's changes are never the user's).
    pub fn for_fs(fs: &crate::cgroup::Cgroupfs) -> Journal {
        match fs.private_journal() {
            Some(path) => Journal::open(path),
            None => Journal::open_default(),
        }
    }

    /// The journal at [`Journal::default_path`]; if there is no place for one, the error comes
    /// with the first read or write.
    pub fn open_default() -> Journal {
        Journal {
            location: Journal::default_path().map_err(|e| format!("{e:#}")),
        }
    }

    pub fn path(&self) -> Result<&Path> {
        match &self.location {
            Ok(path) => Ok(path),
            Err(why) => bail!("{why}"),
        }
    }

    /// The journal's directory and file name.
    fn parts(&self) -> Result<(&Path, &OsStr)> {
        let path = self.path()?;
        match (path.parent(), path.file_name()) {
            (Some(dir), Some(name)) if path.is_absolute() => Ok((dir, name)),
            _ => bail!("the journal path {} is not absolute", visible_path(path)),
        }
    }

    /// Open the journal for writing (creating it and its directories), and take its lock. The
    /// lock is held until the returned value is dropped.
    pub fn lock(&self) -> Result<Locked> {
        let (dir_path, name) = self.parts()?;
        let dir = open_private_dir(dir_path, true)?.context("the journal directory vanished")?;
        let (file, created) = open_private_file(&dir, dir_path, name, true)?
            .context("the journal vanished while it was opened")?;
        let path = dir_path.join(name);
        let start = Instant::now();
        loop {
            match rustix::fs::flock(&file, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => break,
                Err(Errno::WOULDBLOCK) if start.elapsed() < LOCK_WAIT => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(Errno::WOULDBLOCK) => bail!(
                    "another cgtui has held the journal {} for {} s; try again when it is done",
                    visible_path(&path),
                    LOCK_WAIT.as_secs()
                ),
                Err(e) => {
                    return Err(std::io::Error::from(e)).with_context(|| {
                        format!("cannot lock the journal {}", visible_path(&path))
                    });
                }
            }
        }
        if created {
            // Make the new file's directory entry durable too.
            rustix::fs::fsync(&dir).ok();
        }
        Ok(Locked {
            file: File::from(file),
            dir,
            path,
        })
    }

    /// Every entry, without taking the lock (appends are whole lines; a line being written is
    /// skipped like a torn one). A journal that does not exist yet is empty.
    pub fn entries(&self) -> Result<Entries> {
        let (dir_path, name) = self.parts()?;
        let Some(dir) = open_private_dir(dir_path, false)? else {
            return Ok(Entries::default());
        };
        match open_private_file(&dir, dir_path, name, false)? {
            Some((file, _)) => read_entries(File::from(file), &dir_path.join(name)),
            None => Ok(Entries::default()),
        }
    }
}

/// The journal, open and locked for writing.
pub struct Locked {
    file: File,
    dir: OwnedFd,
    path: PathBuf,
}

impl Locked {
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn entries(&self) -> Result<Entries> {
        let file = self
            .file
            .try_clone()
            .with_context(|| format!("cannot read the journal {}", visible_path(&self.path)))?;
        let mut reader = file;
        std::io::Seek::seek(&mut reader, std::io::SeekFrom::Start(0))
            .with_context(|| format!("cannot read the journal {}", visible_path(&self.path)))?;
        read_entries(reader, &self.path)
    }

    fn append(&self, entry: &Entry) -> Result<()> {
        let mut line = serde_json::to_string(entry)?;
        line.push('\n');
        let context = || format!("cannot write the journal {}", visible_path(&self.path));
        // A last line cut short (crash, full disk) is ended first, never glued to this entry.
        let size = rustix::fs::fstat(&self.file)
            .map_err(std::io::Error::from)?
            .st_size;
        if size > 0 {
            let mut last = [0u8; 1];
            let n = rustix::io::pread(&self.file, &mut last, (size - 1) as u64)
                .map_err(std::io::Error::from)
                .with_context(context)?;
            if n == 1 && last[0] != b'\n' {
                line.insert(0, '\n');
            }
        }
        (&self.file)
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data())
            .with_context(context)
    }

    /// Record that `op` is about to run. Returns the entry to complete with [`Locked::end`].
    pub fn begin(&self, op: &Op, before: Before, via: Via, tag: &Tag) -> Result<Entry> {
        let cgroup = op.cgroup();
        let entry = Entry {
            id: new_id(),
            phase: Phase::Begin,
            timestamp: now(),
            uid: rustix::process::geteuid().as_raw(),
            op: op.name().to_string(),
            cgroup: cgroup.to_string(),
            cgroup_raw: cgroup.as_bytes().to_vec(),
            file: op.file().map(str::to_string),
            old: before.value,
            new: match op {
                Op::Set { value, .. } => Some(value.clone()),
                Op::Move { pid, .. } => Some(pid.to_string()),
                _ => None,
            },
            result: "pending".into(),
            errno: None,
            rule: None,
            via: via_name(via).into(),
            undo_of: tag.undo_of.clone(),
            session: Some(tag.session.clone()),
            after: None,
            old_raw: before.cgroup.map(|c| c.as_bytes().to_vec()),
            pid_start: before.pid_start,
            inode: None,
            unit: None,
            invocation_id: None,
        };
        self.append(&entry)?;
        Ok(entry)
    }

    /// Complete a begun entry with what happened; `inode` is a created directory's.
    pub fn end(&self, mut entry: Entry, outcome: &Outcome, inode: Option<u64>) -> Result<()> {
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
        entry.after = outcome.after.clone();
        entry.inode = inode;
        self.append(&entry)
    }

    /// Record a playground cgtui started, so that only those are stopped without `--force`.
    pub fn record_playground(
        &self,
        cgroup: &CgroupPath,
        unit: &str,
        invocation_id: Option<String>,
        via: Via,
        session: &str,
    ) -> Result<()> {
        let entry = Entry {
            id: new_id(),
            phase: Phase::End,
            timestamp: now(),
            uid: rustix::process::geteuid().as_raw(),
            op: "delegate".into(),
            cgroup: cgroup.to_string(),
            cgroup_raw: cgroup.as_bytes().to_vec(),
            file: None,
            old: None,
            new: None,
            result: "ok".into(),
            errno: None,
            rule: None,
            via: via_name(via).into(),
            undo_of: None,
            session: Some(session.to_string()),
            after: None,
            old_raw: None,
            pid_start: None,
            inode: None,
            unit: Some(unit.to_string()),
            invocation_id,
        };
        self.append(&entry)
    }

    /// Record that `signal` is about to be sent to process `pid` (started at `start`, clock
    /// ticks) in `cgroup`: `new` is `kill`'s words for it (`TERM 1234`). Completed with
    /// [`Locked::end_signal`]; never undone (undo walks past it).
    pub fn begin_signal(
        &self,
        cgroup: &CgroupPath,
        signal: &str,
        pid: u32,
        start: u64,
        session: &str,
    ) -> Result<Entry> {
        let entry = Entry {
            id: new_id(),
            phase: Phase::Begin,
            timestamp: now(),
            uid: rustix::process::geteuid().as_raw(),
            op: "signal".into(),
            cgroup: cgroup.to_string(),
            cgroup_raw: cgroup.as_bytes().to_vec(),
            file: None,
            old: None,
            new: Some(format!("{signal} {pid}")),
            result: "pending".into(),
            errno: None,
            rule: None,
            via: "pidfd".into(),
            undo_of: None,
            session: Some(session.to_string()),
            after: None,
            old_raw: None,
            pid_start: Some(start),
            inode: None,
            unit: None,
            invocation_id: None,
        };
        self.append(&entry)?;
        Ok(entry)
    }

    /// Complete a signal's entry: sent, or refused with `errno` (`EPERM`) when there is one.
    pub fn end_signal(&self, mut entry: Entry, sent: bool, errno: Option<&str>) -> Result<()> {
        entry.phase = Phase::End;
        entry.timestamp = now();
        entry.result = if sent { "ok" } else { "failed" }.into();
        entry.errno = errno.map(str::to_string);
        self.append(&entry)
    }

    /// Append a line to another file of the journal's directory (`disagreements.log`), with
    /// the same care as the journal itself.
    pub fn append_beside(&self, name: &str, line: &str) -> Result<()> {
        let dir_path = self.path.parent().unwrap_or(Path::new("/"));
        let (file, _) = open_private_file(&self.dir, dir_path, OsStr::new(name), true)?
            .with_context(|| format!("cannot open {name} beside the journal"))?;
        let mut file = File::from(file);
        writeln!(file, "{line}").with_context(|| format!("cannot write {name}"))
    }
}

/// What an operation changes, read before it: the value, or a moved process's cgroup.
#[derive(Debug, Clone, Default)]
pub struct Before {
    pub value: Option<String>,
    pub cgroup: Option<CgroupPath>,
    pub pid_start: Option<u64>,
}

/// Who writes an entry, and what it undoes.
#[derive(Debug, Clone)]
pub struct Tag {
    pub session: String,
    pub undo_of: Option<String>,
}

/// Lines longer than this are not cgtui's and are skipped unread.
const MAX_LINE: usize = 1 << 20;

fn read_entries(file: File, path: &Path) -> Result<Entries> {
    let mut reader = BufReader::new(file);
    let mut entries = Entries::default();
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        line.clear();
        number += 1;
        let n = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .with_context(|| format!("cannot read the journal {}", visible_path(path)))?;
        if n == 0 {
            break;
        }
        if line.len() > MAX_LINE && line.last() != Some(&b'\n') {
            // Skip the rest of an overlong line.
            let mut rest = Vec::new();
            reader
                .read_until(b'\n', &mut rest)
                .with_context(|| format!("cannot read the journal {}", visible_path(path)))?;
            entries
                .skipped
                .push(format!("line {number}: longer than {MAX_LINE} bytes"));
            continue;
        }
        let text = line.trim_ascii();
        if text.is_empty() {
            continue;
        }
        // A line cut short by a crash is skipped, not fatal.
        match serde_json::from_slice::<Entry>(text) {
            Ok(entry) => entries.list.push(entry),
            Err(e) => entries
                .skipped
                .push(format!("line {number}: {e} (a torn or foreign line)")),
        }
    }
    Ok(entries)
}

/// Entries that undo can consider: successful changes of `uid`, not undoes themselves, not
/// undone yet, in `session` if given. Latest first.
pub fn undo_candidates<'a>(
    entries: &'a [Entry],
    uid: u32,
    session: Option<&'a str>,
) -> impl Iterator<Item = &'a Entry> + 'a {
    let undone: std::collections::HashSet<&str> = entries
        .iter()
        .filter(|e| e.succeeded())
        .filter_map(|e| e.undo_of.as_deref())
        .collect();
    entries.iter().rev().filter(move |e| {
        e.succeeded()
            && e.uid == uid
            && e.undo_of.is_none()
            && !undone.contains(e.id.as_str())
            && session.is_none_or(|s| e.session.as_deref() == Some(s))
            && reversible(e)
    })
}

/// Has an undo of `id` succeeded already?
pub fn is_undone(entries: &[Entry], id: &str) -> bool {
    entries
        .iter()
        .any(|e| e.succeeded() && e.undo_of.as_deref() == Some(id))
}

/// cgroup.kill cannot be taken back, a set or move without a recorded old state has nothing to
/// restore, and a playground is stopped, not undone: undo walks past those.
fn reversible(e: &Entry) -> bool {
    match e.op.as_str() {
        "set" => e.old.is_some() && e.file.as_deref() != Some("cgroup.kill"),
        "move" => e.old.is_some() || e.old_raw.is_some(),
        "mkdir" | "rmdir" => true,
        _ => false,
    }
}

/// The operation that undoes `entry`. A move recorded before its source was kept as raw bytes
/// is refused: its display form may be escaped, and replaying that could reach another cgroup.
pub fn inverse(entry: &Entry) -> Result<Op> {
    let cgroup = entry.cgroup_path()?;
    Ok(match (entry.op.as_str(), &entry.file, &entry.old) {
        ("set", Some(file), Some(old)) if file == "cgroup.subtree_control" => Op::Set {
            cgroup,
            file: file.clone(),
            value: controller_changes(old, entry.after.as_deref(), entry.new.as_deref())?,
        },
        ("set", Some(file), Some(old)) => Op::Set {
            cgroup,
            file: file.clone(),
            value: old.clone(),
        },
        ("mkdir", _, _) => Op::Rmdir { cgroup },
        ("rmdir", _, _) => Op::Mkdir { cgroup },
        ("move", _, _) => {
            let pid = entry
                .new
                .as_deref()
                .and_then(|p| p.parse().ok())
                .context("the journal's move has no pid")?;
            let Some(raw) = &entry.old_raw else {
                bail!(
                    "the move of process {pid} into {} was journaled by an older cgtui, which kept \
                     only the display form of its source ({}); cgtui will not guess the cgroup \
                     from it. Move the process back by hand",
                    entry.cgroup,
                    entry.old.as_deref().unwrap_or("?")
                );
            };
            let source = raw_path(raw).context("the journal's move names a source with `..`")?;
            Op::Move {
                pid,
                cgroup: source,
            }
        }
        (op, _, _) => bail!("cannot undo a {op} recorded in the journal"),
    })
}

/// cgroup.subtree_control takes `+c -d`, not the list it shows: the changes that turn what the
/// change left (`after`, else the inverse of what it wrote) back into `old`.
fn controller_changes(old: &str, after: Option<&str>, new: Option<&str>) -> Result<String> {
    let old: Vec<&str> = old.split_whitespace().collect();
    let changes: Vec<String> = match after {
        Some(after) => {
            let after: Vec<&str> = after.split_whitespace().collect();
            let enable = old
                .iter()
                .filter(|c| !after.contains(c))
                .map(|c| format!("+{c}"));
            let disable = after
                .iter()
                .filter(|c| !old.contains(c))
                .map(|c| format!("-{c}"));
            enable.chain(disable).collect()
        }
        None => new
            .context("the journal's subtree_control change has no value")?
            .split_whitespace()
            .map(|token| match token.split_at_checked(1) {
                Some(("+", c)) => format!("-{c}"),
                Some(("-", c)) => format!("+{c}"),
                _ => token.to_string(),
            })
            .collect(),
    };
    if changes.is_empty() {
        bail!("the subtree_control change left nothing to take back");
    }
    Ok(changes.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtree_control_is_undone_by_its_changes() {
        let undo = |old, after, new| controller_changes(old, after, new).unwrap();
        assert_eq!(undo("cpu io", Some("cpu io memory"), None), "-memory");
        assert_eq!(undo("cpu io", Some("cpu"), None), "+io");
        assert_eq!(undo("", Some("memory pids"), None), "-memory -pids");
        assert_eq!(undo("cpu", None, Some("+memory -io")), "-memory +io");
        assert!(controller_changes("cpu", Some("cpu"), None).is_err());
    }
}
