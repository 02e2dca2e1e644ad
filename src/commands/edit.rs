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
    Undo,
}

impl Request<'_> {
    fn name(&self) -> &'static str {
        match self {
            Request::Set { .. } => "set",
            Request::Mkdir { .. } => "mkdir",
            Request::Rmdir { .. } => "rmdir",
            Request::Move { .. } => "move",
            Request::Undo => "undo",
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
            Request::Undo => unreachable!("undo is not resolved"),
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
        Request::Undo => (Path::new(""), None, None),
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

/// `cgtui undo`.
pub fn undo(fs: Cgroupfs, args: &UndoArgs, read_only: bool) -> anyhow::Result<i32> {
    run(fs, Request::Undo, args.json, read_only)
}

/// Run one editing request; returns the process exit code (0 done, 1 refused).
pub fn run(fs: Cgroupfs, request: Request, json: bool, read_only: bool) -> anyhow::Result<i32> {
    // Opened on first use: a refusal (read-only, a bad value) needs no journal.
    let journal = crate::journal::Journal::for_fs(&fs);
    let editor = Editor::new(fs, journal, read_only);
    let mut undid = None;
    let outcome = match &request {
        Request::Undo => {
            let (plan, outcome) = editor.undo_latest()?;
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
