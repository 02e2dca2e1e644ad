//! Changing the hierarchy through the filesystem: write a file, create or remove a cgroup, move
//! a process. Each operation checks its value first, reads the value before and after, and
//! explains a refusal by the same rule engine that predicts it ([`crate::predict`]): the
//! prediction made from the state before the write says which rule and what to do instead;
//! where the kernel answered otherwise, [`crate::rules::rule_of_errno`] names the rule and the
//! disagreement is reported.

use crate::fs::Cgroupfs;
pub use crate::op::Op;
use crate::path::CgroupPath;
use crate::predict::{Actor, Prediction, predict};
use crate::process::{ProcRef, cgroup_of};
use crate::rules::{Rule, errno_name, rule_of_errno};
use crate::value;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Failed,
}

/// How a change was carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    Fs,
    Systemd,
}

/// What happened, in the shape of `cgtui set/mkdir/rmdir/move --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub op: &'static str,
    pub cgroup: CgroupPath,
    pub file: Option<String>,
    /// The value written: normalised (`512M` → `536870912`), or as given if it was refused.
    pub value: Option<String>,
    pub result: Status,
    pub errno: Option<String>,
    pub rule: Rule,
    pub explanation: String,
    pub doc: &'static str,
    pub fix: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub via: Via,
    /// Advice beside the result, such as writing a systemd-managed cgroup directly.
    pub warnings: Vec<String>,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.result == Status::Ok
    }

    pub fn new(op: &Op, value: Option<String>) -> Outcome {
        Outcome {
            op: op.name(),
            cgroup: op.cgroup().clone(),
            file: op.file().map(str::to_string),
            value,
            result: Status::Ok,
            errno: None,
            rule: Rule::Ok,
            explanation: String::new(),
            doc: "",
            fix: None,
            before: None,
            after: None,
            via: Via::Fs,
            warnings: Vec::new(),
        }
    }

    /// Mark this outcome as a refusal.
    pub fn refuse(
        mut self,
        errno: Option<String>,
        rule: Rule,
        explanation: String,
        fix: Option<String>,
    ) -> Outcome {
        self.result = Status::Failed;
        self.errno = errno;
        self.rule = rule;
        self.doc = rule.doc();
        self.explanation = explanation;
        self.fix = fix;
        self
    }
}

fn read_trimmed(fs: &Cgroupfs, cgroup: &CgroupPath, file: &str) -> Option<String> {
    fs.read_text(cgroup, file)
        .ok()
        .flatten()
        .map(|t| t.trim_end().to_string())
}

/// When a process started (clock ticks after boot, /proc/PID/stat): with the PID, it names one
/// process, where a PID alone may be reused.
pub fn start_ticks(fs: &Cgroupfs, pid: u32) -> Option<u64> {
    crate::process::start_ticks(fs.proc_root()?, pid)
}

/// An operation whose value has been checked and normalised, with the state before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub op: Op,
    /// The file's value (for `set`) or the process's cgroup (for `move`) before the change.
    pub before: Option<String>,
    /// For `move`: the process's cgroup before, lossless (`before` is its display form).
    pub before_cgroup: Option<CgroupPath>,
}

impl Prepared {
    fn new(op: Op, before: Option<String>) -> Prepared {
        Prepared {
            op,
            before,
            before_cgroup: None,
        }
    }

    /// A move, with the cgroup the process is in now.
    fn moving(fs: &Cgroupfs, op: &Op, pid: u32) -> Prepared {
        let from = cgroup_of(fs, ProcRef::Pid(pid), None);
        Prepared {
            op: op.clone(),
            before: from.as_ref().map(|c| c.to_string()),
            before_cgroup: from,
        }
    }
}

/// Check an operation before anything is written: the value's grammar and range. A refusal
/// comes back as a failed [`Outcome`] with rule `invalid-value`.
pub fn prepare(fs: &Cgroupfs, op: &Op) -> Result<Prepared, Box<Outcome>> {
    match op {
        Op::Set {
            cgroup,
            file,
            value,
        } => match value::check(fs, cgroup, file, value) {
            Ok(normalized) => Ok(Prepared::new(
                Op::Set {
                    cgroup: cgroup.clone(),
                    file: file.clone(),
                    value: normalized,
                },
                read_trimmed(fs, cgroup, file),
            )),
            Err(invalid) => {
                // What happened goes with the reason; "what to do" is always an action.
                let (why, fix) = if value.is_empty() {
                    // cgroup_file_write() returns at once for zero bytes.
                    (
                        format!("{invalid} (nothing was written: an empty write changes nothing)"),
                        "type the value to write".to_string(),
                    )
                } else {
                    (
                        format!(
                            "{invalid} (nothing was written: the kernel would have answered {})",
                            invalid.errno
                        ),
                        "correct the value and write it again".to_string(),
                    )
                };
                Err(Box::new(Outcome::new(op, Some(value.clone())).refuse(
                    None,
                    Rule::InvalidValue,
                    why,
                    Some(fix),
                )))
            }
        },
        Op::Move { pid, .. } if *pid > i32::MAX as u32 => {
            let why = format!(
                "{pid} is not a PID (PIDs are at most {}; nothing was written: the kernel would \
                 have answered EINVAL)",
                i32::MAX
            );
            let fix = Some("give the PID of a running process".into());
            Err(Box::new(Outcome::new(op, Some(pid.to_string())).refuse(
                None,
                Rule::InvalidValue,
                why,
                fix,
            )))
        }
        Op::Move { pid, .. } => Ok(Prepared::moving(fs, op, *pid)),
        Op::Mkdir { .. } | Op::Rmdir { .. } => Ok(Prepared::new(op.clone(), None)),
    }
}

/// Take an operation as given, with no check of its value (the kernel will judge it).
pub fn prepare_unchecked(fs: &Cgroupfs, op: &Op) -> Prepared {
    match op {
        Op::Set { cgroup, file, .. } => Prepared::new(op.clone(), read_trimmed(fs, cgroup, file)),
        Op::Move { pid, .. } => Prepared::moving(fs, op, *pid),
        _ => Prepared::new(op.clone(), None),
    }
}

/// What [`execute`] did, and whether the kernel answered as predicted.
#[derive(Debug, Clone)]
pub struct Executed {
    pub outcome: Outcome,
    /// The prediction made from the state before the write.
    pub prediction: Prediction,
    /// When the kernel's answer differed from the prediction, in words (also among the
    /// outcome's warnings).
    pub disagreement: Option<String>,
}

/// Carry out a prepared operation through the filesystem for `actor`, and read the result
/// back. The prediction is made first, from the state before the write: a refusal the kernel
/// gives as predicted is explained by it (rule, why, what to do instead); any other answer is
/// explained by the errno's rule and reported as a disagreement.
pub fn execute(fs: &Cgroupfs, actor: &Actor, prepared: &Prepared) -> Executed {
    let op = &prepared.op;
    let prediction = predict(fs, actor, op);
    let value = match op {
        Op::Set { value, .. } => Some(value.clone()),
        Op::Move { pid, .. } => Some(pid.to_string()),
        _ => None,
    };
    let mut outcome = Outcome::new(op, value);
    outcome.before = prepared.before.clone();
    if matches!(op, Op::Rmdir { cgroup } if cgroup.is_root()) {
        // Not even attempted: on a fixture it would be the fixture's own directory.
        let outcome = outcome.refuse(None, prediction.rule, prediction.explanation.clone(), None);
        return Executed {
            outcome,
            prediction,
            disagreement: None,
        };
    }
    let result = match op {
        Op::Set {
            cgroup,
            file,
            value,
        } => fs.write_file(cgroup, file, value).map(|()| {
            outcome.after = read_trimmed(fs, cgroup, file);
            outcome.explanation = written_note(file, value, outcome.after.as_deref());
        }),
        Op::Mkdir { cgroup } => fs
            .create_dir(cgroup)
            .map(|()| outcome.explanation = format!("created {cgroup}")),
        Op::Rmdir { cgroup } => fs
            .remove_dir(cgroup)
            .map(|()| outcome.explanation = format!("removed {cgroup}")),
        Op::Move { pid, cgroup } => {
            fs.write_file(cgroup, "cgroup.procs", &pid.to_string())
                .map(|()| {
                    outcome.after = cgroup_of(fs, ProcRef::Pid(*pid), None).map(|c| c.to_string());
                    outcome.explanation = format!("moved process {pid} into {cgroup}");
                })
        }
    };
    let kernel = match &result {
        Ok(()) => None,
        Err(err) => Some(
            err.errno()
                .map_or_else(|| "no errno".to_string(), errno_name),
        ),
    };
    if let Err(err) = &result {
        outcome = match (&kernel, err.errno()) {
            (Some(_), Some(_)) if kernel == prediction.errno => outcome.refuse(
                kernel.clone(),
                prediction.rule,
                prediction.explanation.clone(),
                prediction.fix.clone(),
            ),
            (Some(errno), Some(_)) => {
                let (rule, explanation) = unforeseen(fs, op, errno);
                outcome.refuse(kernel.clone(), rule, explanation, None)
            }
            _ => outcome.refuse(None, Rule::InvalidValue, err.to_string(), None),
        };
    }
    let disagreement = (kernel != prediction.errno).then(|| {
        let show = |errno: &Option<String>| errno.clone().unwrap_or_else(|| "allowed".into());
        format!(
            "prediction disagreed: cgtui predicted {} [{}], the kernel answered {} ({} {}{})",
            show(&prediction.errno),
            prediction.rule,
            show(&kernel),
            outcome.op,
            outcome.cgroup,
            outcome
                .file
                .as_deref()
                .map(|f| format!("/{f}"))
                .unwrap_or_default()
        )
    });
    outcome.warnings.extend(disagreement.clone());
    Executed {
        outcome,
        prediction,
        disagreement,
    }
}

/// A refusal the prediction did not foresee: the rule its errno stands for, in words. A cgroup
/// that vanished meanwhile is said so.
fn unforeseen(fs: &Cgroupfs, op: &Op, errno: &str) -> (Rule, String) {
    let cgroup = op.cgroup();
    let rule = rule_of_errno(op.name(), op.file(), errno);
    if errno == "ENODEV" && rule == Rule::NoSuchCgroup {
        return (rule, removed_cgroup(cgroup));
    }
    if !matches!(op, Op::Mkdir { .. }) && !fs.exists(cgroup) {
        return (
            Rule::NoSuchCgroup,
            format!("{cgroup} does not exist (any more)"),
        );
    }
    (
        rule,
        format!("the kernel answered {errno}: {}", rule.meaning()),
    )
}

/// ENODEV from a write to a cgroup's file other than a device's: kernfs answers it when the
/// cgroup was removed after the file was opened (the node is no longer active).
pub fn removed_cgroup(cgroup: &CgroupPath) -> String {
    format!(
        "the kernel answered ENODEV: the cgroup {cgroup} was removed (the file was opened before \
         its rmdir; a cgroup of that name may exist again, but it is another one)"
    )
}

/// What to tell a person after a successful write, e.g. that the kernel rounded the value.
fn written_note(file: &str, written: &str, after: Option<&str>) -> String {
    if written.is_empty() {
        return "wrote nothing (an empty write changes nothing)".into();
    }
    match after {
        Some(after) if after != written && file.starts_with("memory.") => {
            format!(
                "wrote {written}; the kernel holds {after} (memory limits are rounded down to whole pages)"
            )
        }
        Some(after) if after != written && file.starts_with("hugetlb.") => {
            format!(
                "wrote {written}; the kernel holds {after} (rounded down to whole huge pages of this size)"
            )
        }
        Some(after) if after != written => format!("wrote {written}; the kernel now shows {after}"),
        _ => format!("wrote {written}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn tree() -> (tempfile::TempDir, Cgroupfs, CgroupPath) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a")).unwrap();
        std::fs::write(dir.path().join("a/pids.max"), "max\n").unwrap();
        let fs = Cgroupfs::fixture(dir.path()).unwrap();
        (dir, fs, CgroupPath::from_relative(Path::new("a")).unwrap())
    }

    fn actor(fs: &Cgroupfs) -> Actor {
        Actor::current(fs)
    }

    #[test]
    fn a_refusal_as_predicted_is_explained_by_the_prediction() {
        let (_dir, fs, a) = tree();
        let op = Op::Rmdir {
            cgroup: a.join(std::ffi::OsStr::new("gone")),
        };
        let executed = execute(&fs, &actor(&fs), &prepare_unchecked(&fs, &op));
        assert_eq!(executed.outcome.errno.as_deref(), Some("ENOENT"));
        assert_eq!(executed.outcome.rule, Rule::NoSuchCgroup);
        assert_eq!(
            executed.outcome.explanation,
            executed.prediction.explanation
        );
        assert!(executed.disagreement.is_none());
        assert!(executed.outcome.warnings.is_empty());
    }

    #[test]
    fn an_answer_nothing_predicted_is_explained_by_its_errno_and_reported() {
        let (dir, fs, a) = tree();
        // A directory where a file should be: predicted writable, but open(O_WRONLY) is EISDIR.
        std::fs::create_dir(dir.path().join("a/memory.max")).unwrap();
        let op = Op::Set {
            cgroup: a.clone(),
            file: "memory.max".into(),
            value: "1".into(),
        };
        let executed = execute(&fs, &actor(&fs), &prepare_unchecked(&fs, &op));
        let outcome = &executed.outcome;
        assert!(!outcome.ok());
        assert_eq!(outcome.errno.as_deref(), Some("EISDIR"));
        assert!(
            outcome
                .explanation
                .starts_with("the kernel answered EISDIR: "),
            "{outcome:?}"
        );
        let note = executed.disagreement.as_deref().unwrap();
        assert!(
            note.starts_with(
                "prediction disagreed: cgtui predicted allowed [ok], the kernel answered EISDIR"
            ),
            "{note}"
        );
        assert!(outcome.warnings.iter().any(|w| w == note));
    }

    #[test]
    fn a_write_as_predicted_reads_back() {
        let (_dir, fs, a) = tree();
        let op = Op::Set {
            cgroup: a.clone(),
            file: "pids.max".into(),
            value: "64".into(),
        };
        let prepared = prepare(&fs, &op).unwrap();
        assert_eq!(prepared.before.as_deref(), Some("max"));
        let executed = execute(&fs, &actor(&fs), &prepared);
        assert!(executed.outcome.ok(), "{:?}", executed.outcome);
        assert_eq!(executed.outcome.after.as_deref(), Some("64"));
        assert!(executed.disagreement.is_none());
    }
}
