//! The editing verbs of the command line (`set`, `mkdir`, `rmdir`, `move`, `undo`): the same
//! engine as the TUI's keys, for scripts and tests.

use crate::cgroup::edit::{Op, Outcome, Status, Via};
use crate::cgroup::escape::visible_str;
use crate::cgroup::rules::Rule;
use crate::cgroup::{CgroupPath, Cgroupfs};
use crate::cli::{CgroupArgs, MoveArgs, SetArgs, SetCommandArgs, UndoArgs};
use crate::editor::{Change, Editor};
use std::path::Path;

/// What the command line asked to change, before its cgroup is resolved.
pub enum Request<'a> {
    Set {
        cgroup: &'a Path,
        file: &'a str,
        value: &'a str,
        change: Change,
    },
    Mkdir {
        cgroup: &'a Path,
    },
    Rmdir {
        cgroup: &'a Path,
    },
    Move {
        pid: u32,
        cgroup: &'a Path,
    },
    /// The latest change that can be undone, or the one with this journal id.
    Undo(Option<&'a str>),
}

impl Request<'_> {
    fn name(&self) -> &'static str {
        match self {
            Request::Set { .. } => "set",
            Request::Mkdir { .. } => "mkdir",
            Request::Rmdir { .. } => "rmdir",
            Request::Move { .. } => "move",
            Request::Undo(_) => "undo",
        }
    }

    pub(super) fn resolve(&self, fs: &Cgroupfs) -> Result<Op, crate::cgroup::Error> {
        Ok(match self {
            Request::Set {
                cgroup,
                file,
                value,
                ..
            } => Op::Set {
                cgroup: fs.resolve(cgroup)?,
                file: file.to_string(),
                value: value.to_string(),
            },
            Request::Mkdir { cgroup } => Op::Mkdir {
                cgroup: fs.resolve_new(cgroup)?,
            },
            Request::Rmdir { cgroup } => Op::Rmdir {
                cgroup: fs.resolve(cgroup)?,
            },
            Request::Move { pid, cgroup } => Op::Move {
                pid: *pid,
                cgroup: fs.resolve(cgroup)?,
            },
            Request::Undo(_) => unreachable!("undo is not resolved"),
        })
    }
}

/// An outcome for a request that never reached the kernel (unknown cgroup, bad path).
pub(super) fn unresolved(request: &Request, err: &crate::cgroup::Error) -> Outcome {
    let (cgroup, file, value) = match request {
        Request::Set {
            cgroup,
            file,
            value,
            ..
        } => (
            *cgroup,
            Some(visible_str(file).into_owned()),
            Some(visible_str(value).into_owned()),
        ),
        Request::Mkdir { cgroup } | Request::Rmdir { cgroup } => (*cgroup, None, None),
        Request::Move { pid, cgroup } => {
            (*cgroup, Some("cgroup.procs".into()), Some(pid.to_string()))
        }
        Request::Undo(_) => (Path::new(""), None, None),
    };
    let rule = match err {
        crate::cgroup::Error::NoSuchCgroup { .. } => Rule::NoSuchCgroup,
        crate::cgroup::Error::Io { source, .. }
            if source.kind() == std::io::ErrorKind::PermissionDenied =>
        {
            Rule::Permission
        }
        _ => Rule::InvalidValue,
    };
    Outcome {
        op: request.name(),
        cgroup: CgroupPath::from_relative(cgroup).unwrap_or_default(),
        file,
        value,
        result: Status::Failed,
        // A path that does not exist is what the kernel would answer ENOENT to.
        errno: (rule == Rule::NoSuchCgroup).then(|| "ENOENT".to_string()),
        rule,
        explanation: err.to_string(),
        doc: rule.doc(),
        fix: None,
        before: None,
        after: None,
        via: Via::Fs,
        warnings: Vec::new(),
    }
}

fn print_human(outcome: &Outcome) -> std::io::Result<()> {
    let target = match &outcome.file {
        Some(file) => outcome.cgroup.file_display(file),
        None => outcome.cgroup.to_string(),
    };
    if outcome.ok() {
        let mut line = format!("ok: {} {target}", outcome.op);
        if let Some(before) = &outcome.before {
            line.push_str(&format!(" (before: {before})"));
        }
        if let Some(after) = &outcome.after {
            line.push_str(&format!(" (now: {after})"));
        }
        out!("{line}: {}", outcome.explanation);
        for warning in &outcome.warnings {
            errln!("warning: {warning}");
        }
    } else {
        let errno = outcome.errno.as_deref().unwrap_or("refused before writing");
        errln!(
            "failed: {} {target}: {errno} [{}]",
            outcome.op,
            outcome.rule
        );
        errln!("  {}", outcome.explanation);
        if let Some(fix) = &outcome.fix {
            errln!("  what to do: {fix}");
        }
        if !outcome.doc.is_empty() {
            errln!("  see {}", outcome.doc);
        }
    }
    Ok(())
}

/// What `set` and `check set` name, with how `set` writes it.
pub(super) fn set_request(args: &SetArgs, change: Change) -> Request<'_> {
    Request::Set {
        cgroup: &args.cgroup,
        file: &args.file,
        value: &args.value,
        change,
    }
}

/// `cgtui set`.
pub fn set(fs: Cgroupfs, args: &SetCommandArgs, read_only: bool) -> anyhow::Result<i32> {
    let change = Change {
        route: args.via,
        persist: args.persist,
        unchecked: args.unchecked,
    };
    let request = set_request(&args.target, change);
    run(fs, request, args.target.json, read_only)
}

/// `cgtui mkdir`.
pub fn mkdir(fs: Cgroupfs, args: &CgroupArgs, read_only: bool) -> anyhow::Result<i32> {
    let request = Request::Mkdir {
        cgroup: &args.cgroup,
    };
    run(fs, request, args.json, read_only)
}

/// `cgtui rmdir`.
pub fn rmdir(fs: Cgroupfs, args: &CgroupArgs, read_only: bool) -> anyhow::Result<i32> {
    let request = Request::Rmdir {
        cgroup: &args.cgroup,
    };
    run(fs, request, args.json, read_only)
}

/// `cgtui move`.
pub fn move_process(fs: Cgroupfs, args: &MoveArgs, read_only: bool) -> anyhow::Result<i32> {
    let request = Request::Move {
        pid: args.pid,
        cgroup: &args.cgroup,
    };
    run(fs, request, args.json, read_only)
}

/// `cgtui undo`: the latest change of yours that can be undone, the one named by its id, or
/// (`--list`) the list of them.
pub fn undo(fs: Cgroupfs, args: &UndoArgs, read_only: bool) -> anyhow::Result<i32> {
    if args.list {
        return list_undo(fs, args.json);
    }
    run(fs, Request::Undo(args.id.as_deref()), args.json, read_only)
}

/// One line of `cgtui undo --list --json`.
#[derive(serde::Serialize)]
struct UndoLine<'a> {
    id: &'a str,
    /// RFC 3339, UTC.
    time: String,
    session: Option<&'a str>,
    /// What undoing it does, in words.
    undo: &'a str,
    undoable: bool,
    /// Why it cannot be undone now.
    why_not: Option<&'a str>,
}

/// `cgtui undo --list`: the changes of yours not undone yet, latest first; those that cannot
/// be undone now say why (an undo without an id passes over them).
fn list_undo(fs: Cgroupfs, json: bool) -> anyhow::Result<i32> {
    let journal = crate::journal::Journal::for_fs(&fs);
    // Listing writes nothing: read-only.
    let editor = Editor::new(fs, journal, true);
    let items = editor.undo_list(&crate::editor::UndoScope::Any)?;
    let time = |seconds: f64| crate::time::format_ms((seconds * 1000.0) as i64);
    if json {
        for item in &items {
            let line = UndoLine {
                id: &item.entry_id,
                time: time(item.timestamp),
                session: item.session.as_deref(),
                undo: &item.description,
                undoable: item.plan.is_ok(),
                why_not: item.plan.as_ref().err().map(String::as_str),
            };
            out!("{}", crate::output::json_line(&line)?);
        }
        return Ok(0);
    }
    if items.is_empty() {
        out!("nothing to undo: no change of yours that is not undone yet");
        return Ok(0);
    }
    let width = items
        .iter()
        .map(|i| i.entry_id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    out!("{:<width$}  {:<24}  UNDO", "ID", "MADE");
    for item in &items {
        let what = match &item.plan {
            Ok(_) => item.description.clone(),
            Err(why) => format!("cannot be undone: {}: {why}", item.description),
        };
        out!(
            "{:<width$}  {:<24}  {what}",
            visible_str(&item.entry_id),
            time(item.timestamp)
        );
    }
    Ok(0)
}

/// Run one editing request; returns the process exit code (0 done, 1 refused).
pub fn run(fs: Cgroupfs, request: Request, json: bool, read_only: bool) -> anyhow::Result<i32> {
    // Opened on first use: a refusal (read-only, a bad value) needs no journal.
    let journal = crate::journal::Journal::for_fs(&fs);
    let editor = Editor::new(fs, journal, read_only);
    let mut undid = None;
    let outcome = match &request {
        Request::Undo(id) => {
            let (plan, mut outcome) = match id {
                Some(id) => editor.undo_id(id)?,
                None => editor.undo_latest()?,
            };
            outcome.warnings.extend(
                plan.skipped
                    .iter()
                    .map(|s| format!("passed over, cannot be undone now: {s}")),
            );
            undid = Some(plan.description);
            outcome
        }
        other => match other.resolve(&editor.fs) {
            Ok(op) => {
                let change = match other {
                    Request::Set { change, .. } => *change,
                    _ => Change::default(),
                };
                editor.run_with(&op, change, None)?
            }
            Err(err) => unresolved(other, &err),
        },
    };
    if json {
        out!("{}", crate::output::json_line(&outcome)?);
    } else {
        if let Some(description) = undid {
            let verb = if outcome.ok() {
                "undid"
            } else {
                "could not undo"
            };
            out!("{verb}: {description}");
        }
        print_human(&outcome)?;
    }
    Ok(if outcome.ok() { 0 } else { 1 })
}
