//! Changing the hierarchy through the filesystem: write a file, create or remove a cgroup, move
//! a process. Each operation validates first, reads the value before and after, and explains a
//! refusal with the errno and the rule behind it.

use crate::error::Error;
use crate::fs::Cgroupfs;
use crate::parse;
use crate::path::CgroupPath;
use crate::rules::{Rule, controller_of, errno_name, is_domain_controller};
use crate::value::{self, Context};
use rustix::io::Errno;
use serde::Serialize;

/// A change to the hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Set {
        cgroup: CgroupPath,
        file: String,
        value: String,
    },
    Mkdir {
        cgroup: CgroupPath,
    },
    Rmdir {
        cgroup: CgroupPath,
    },
    Move {
        pid: u32,
        cgroup: CgroupPath,
    },
}

impl Op {
    pub fn name(&self) -> &'static str {
        match self {
            Op::Set { .. } => "set",
            Op::Mkdir { .. } => "mkdir",
            Op::Rmdir { .. } => "rmdir",
            Op::Move { .. } => "move",
        }
    }

    pub fn cgroup(&self) -> &CgroupPath {
        match self {
            Op::Set { cgroup, .. }
            | Op::Mkdir { cgroup }
            | Op::Rmdir { cgroup }
            | Op::Move { cgroup, .. } => cgroup,
        }
    }

    /// The interface file the operation writes, if any.
    pub fn file(&self) -> Option<&str> {
        match self {
            Op::Set { file, .. } => Some(file),
            Op::Move { .. } => Some("cgroup.procs"),
            _ => None,
        }
    }
}

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

/// The cgroup a process is in, from /proc/PID/cgroup.
pub fn cgroup_of_pid(fs: &Cgroupfs, pid: u32) -> Option<CgroupPath> {
    let text =
        std::fs::read_to_string(fs.proc_root()?.join(pid.to_string()).join("cgroup")).ok()?;
    crate::process::parse_proc_cgroup(&text)
}

/// When a process started (clock ticks after boot, /proc/PID/stat): with the PID, it names one
/// process, where a PID alone may be reused.
pub fn start_ticks(fs: &Cgroupfs, pid: u32) -> Option<u64> {
    let dir = fs.proc_root()?.join(pid.to_string());
    let process = procfs::process::Process::new_with_root(dir).ok()?;
    process.stat().ok().map(|stat| stat.starttime)
}

/// Facts used to explain a refusal.
struct Scene<'a> {
    fs: &'a Cgroupfs,
    cgroup: &'a CgroupPath,
}

/// Explain a kernel refusal of `op` with `errno`, after the fact.
fn explain(op: &Op, errno: Errno, scene: &Scene) -> (Rule, String, Option<String>) {
    let cg = scene.cgroup;
    if !scene.fs.exists(scene.cgroup) && !matches!(op, Op::Mkdir { .. }) {
        return (
            Rule::NoSuchCgroup,
            format!("{cg} does not exist (any more)"),
            None,
        );
    }
    match (op, errno) {
        (Op::Mkdir { .. }, Errno::EXIST) => (
            Rule::InvalidValue,
            format!("{cg} already exists (as a cgroup or an interface file's name)"),
            Some("pick another name".into()),
        ),
        (Op::Mkdir { .. }, Errno::AGAIN) => (
            Rule::DescendantLimit,
            format!(
                "creating {cg} would pass cgroup.max.descendants or cgroup.max.depth of it or an ancestor"
            ),
            Some(
                "raise those limits on the ancestor that sets them, or remove unused cgroups"
                    .into(),
            ),
        ),
        (Op::Mkdir { .. } | Op::Rmdir { .. }, Errno::ACCESS | Errno::PERM) => {
            let parent = cg.parent().unwrap_or_default();
            (
                Rule::Permission,
                format!("you cannot write the directory of {parent}, which holds {cg}: it is not delegated to you"),
                Some("work inside a subtree delegated to you (systemd-run --user --scope -p Delegate=yes), or ask root".into()),
            )
        }
        (Op::Mkdir { .. }, Errno::NOENT) => (
            Rule::NoSuchCgroup,
            format!("the parent of {cg} does not exist"),
            None,
        ),
        (Op::Rmdir { .. }, Errno::BUSY | Errno::NOTEMPTY) => (
            Rule::NotEmpty,
            format!("{cg} still has processes or child cgroups"),
            Some("move or kill its processes (cgroup.kill) and remove its children first".into()),
        ),
        (Op::Move { pid, .. }, Errno::SRCH) => (
            Rule::NoSuchProcess,
            format!("there is no process {pid} (or it is not visible in your PID namespace)"),
            None,
        ),
        (Op::Move { .. }, Errno::ACCESS) => (
            Rule::MigrationContainment,
            format!(
                "moving a process needs write access to cgroup.procs of the destination {cg} and of the \
                 common ancestor of source and destination"
            ),
            Some("move processes only between cgroups below one you own".into()),
        ),
        (Op::Move { .. }, Errno::NOENT) if scene.fs.nsdelegate() => (
            Rule::NamespaceScope,
            "with nsdelegate, source and destination must both lie inside your cgroup namespace"
                .into(),
            None,
        ),
        (Op::Move { .. } | Op::Set { .. }, Errno::OPNOTSUPP) => (
            Rule::ThreadedTopology,
            format!(
                "{cg} is in a threaded subtree or is \"domain invalid\": this operation needs a domain cgroup"
            ),
            None,
        ),
        (Op::Move { .. }, Errno::BUSY) => {
            let enabled: Vec<String> = scene
                .fs
                .controller_list(cg, "cgroup.subtree_control")
                .into_iter()
                .filter(|c| is_domain_controller(c))
                .collect();
            (
                Rule::NoInternalProcess,
                format!(
                    "{cg} hands domain controllers ({}) to its children, so it may not hold processes itself",
                    enabled.join(" ")
                ),
                Some(format!("move the process into a leaf below {cg} instead")),
            )
        }
        (Op::Set { file, value, .. }, e) if file == "cgroup.subtree_control" => {
            subtree_control_refusal(cg, value, e, scene)
        }
        (Op::Set { file, .. }, Errno::NOENT) => match controller_of(file) {
            Some(controller)
                if !scene
                    .fs
                    .controller_list(cg, "cgroup.controllers")
                    .iter()
                    .any(|c| c == controller) =>
            {
                let parent = cg.parent().unwrap_or_default();
                let parent_has = scene
                    .fs
                    .controller_list(&parent, "cgroup.controllers")
                    .iter()
                    .any(|c| c == controller);
                let fix = if parent_has {
                    format!(
                        "write +{controller} to {}",
                        parent.file_display("cgroup.subtree_control")
                    )
                } else if parent.is_root() {
                    format!(
                        "the {controller} controller is not in this cgroup2 hierarchy (on a hybrid host it is bound to cgroup v1)"
                    )
                } else {
                    format!(
                        "{controller} is not even available in {parent}: enable it from the top down"
                    )
                };
                (
                    Rule::ControllerNotEnabled,
                    format!(
                        "{file} does not exist: the parent {parent} has not enabled the {controller} controller"
                    ),
                    Some(fix),
                )
            }
            _ => (
                Rule::InvalidValue,
                format!("{cg} has no interface file {file}"),
                None,
            ),
        },
        (Op::Set { file, .. }, Errno::PERM) if scene.fs.nsdelegate() => (
            Rule::NsdelegateRootFile,
            format!(
                "with nsdelegate, {file} of the root of your cgroup namespace belongs to the outside: only \
                 files listed in /sys/kernel/cgroup/delegate may be written there"
            ),
            Some("set it from outside the namespace, or on a child cgroup".into()),
        ),
        (Op::Set { file, .. }, Errno::ACCESS | Errno::PERM) => {
            let owner = scene
                .fs
                .stat_file(cg, file)
                .ok()
                .flatten()
                .map_or_else(|| "someone else".to_string(), |s| format!("uid {}", s.uid));
            (
                Rule::Permission,
                format!("{cg}/{file} belongs to {owner} and is not writable by you"),
                Some("limits of a delegation root belong to its parent's owner: set them there, or below it".into()),
            )
        }
        (Op::Set { file, .. }, Errno::NODEV) => (
            Rule::NoSuchDevice,
            format!(
                "{file}: no such block device, or it is a partition (limits apply to whole disks)"
            ),
            None,
        ),
        (Op::Set { file, .. }, Errno::INVAL | Errno::RANGE) => (
            Rule::InvalidValue,
            format!("the kernel refused the value for {file}"),
            None,
        ),
        (Op::Set { file, .. }, Errno::BUSY) if file == "cgroup.type" => (
            Rule::ThreadedTopology,
            format!(
                "{cg} cannot become threaded now (it has processes or domain controllers enabled)"
            ),
            None,
        ),
        (_, Errno::INVAL | Errno::RANGE) => (
            Rule::InvalidValue,
            format!(
                "the kernel refused the value ({})",
                errno_name(errno.raw_os_error())
            ),
            None,
        ),
        (_, e) => (
            Rule::Permission,
            format!("the kernel refused with {}", errno_name(e.raw_os_error())),
            None,
        ),
    }
}

fn subtree_control_refusal(
    cg: &CgroupPath,
    value: &str,
    errno: Errno,
    scene: &Scene,
) -> (Rule, String, Option<String>) {
    let available = scene.fs.controller_list(cg, "cgroup.controllers");
    let tokens: Vec<&str> = value.split_whitespace().collect();
    match errno {
        Errno::NOENT => {
            let missing: Vec<&str> = tokens
                .iter()
                .filter_map(|t| t.strip_prefix('+'))
                .filter(|c| !available.iter().any(|a| a == c))
                .collect();
            (
                Rule::ControllerUnavailable,
                format!(
                    "{} not in {cg}/cgroup.controllers ({}): a controller must be enabled by the parent first",
                    missing.join(" "),
                    available.join(" ")
                ),
                cg.parent().map(|p| {
                    format!(
                        "enable it in {} first",
                        p.file_display("cgroup.subtree_control")
                    )
                }),
            )
        }
        Errno::BUSY
            if tokens.iter().any(|t| t.starts_with('-')) && scene.fs.pids(cg).is_empty() =>
        {
            (
                Rule::ControllerInUseByChild,
                format!("a child of {cg} still enables it in its own cgroup.subtree_control"),
                Some("disable it in the children first, deepest first".into()),
            )
        }
        Errno::BUSY => (
            Rule::NoInternalProcess,
            format!(
                "{cg} has processes, and a domain controller ({}) can only be enabled on a cgroup without them",
                tokens
                    .iter()
                    .filter_map(|t| t.strip_prefix('+'))
                    .filter(|c| is_domain_controller(c))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            Some(format!(
                "move its processes into a leaf below {cg} first, then enable"
            )),
        ),
        Errno::PERM if scene.fs.nsdelegate() => (
            Rule::NsdelegateRootFile,
            "with nsdelegate, this file of your namespace root belongs to the outside".into(),
            None,
        ),
        Errno::ACCESS | Errno::PERM => (
            Rule::Permission,
            format!("{cg}/cgroup.subtree_control is not writable by you"),
            None,
        ),
        Errno::OPNOTSUPP => (
            Rule::ThreadedTopology,
            format!("{cg} is threaded: domain controllers cannot be enabled in a threaded subtree"),
            None,
        ),
        _ => (
            Rule::InvalidValue,
            format!("the kernel refused {value:?} (unknown controller?)"),
            None,
        ),
    }
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
        let from = cgroup_of_pid(fs, pid);
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
        } => {
            let current_period = if file == "cpu.max" {
                fs.read(cgroup, "cpu.max", parse::cpu_max)
                    .ok()
                    .flatten()
                    .map(|m| m.period_usec)
            } else {
                None
            };
            let devices = fs.devices();
            let ctx = Context {
                cpu_period: current_period,
                devices: Some(&devices),
            };
            match value::normalize(file, value, &ctx) {
                Ok(normalized) => Ok(Prepared::new(
                    Op::Set {
                        cgroup: cgroup.clone(),
                        file: file.clone(),
                        value: normalized,
                    },
                    read_trimmed(fs, cgroup, file),
                )),
                Err(invalid) => {
                    let fix = Some(format!(
                        "nothing was written; the kernel would have answered {}",
                        invalid.errno
                    ));
                    Err(Box::new(Outcome::new(op, Some(value.clone())).refuse(
                        None,
                        Rule::InvalidValue,
                        invalid.to_string(),
                        fix,
                    )))
                }
            }
        }
        Op::Move { pid, .. } if *pid > i32::MAX as u32 => {
            let why = format!("{pid} is not a PID (PIDs are at most {})", i32::MAX);
            let fix = Some("nothing was written; the kernel would have answered EINVAL".into());
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

/// Carry out a prepared operation through the filesystem, and read the result back.
pub fn execute(fs: &Cgroupfs, prepared: &Prepared) -> Outcome {
    let op = &prepared.op;
    let scene = Scene {
        fs,
        cgroup: op.cgroup(),
    };
    let value = match op {
        Op::Set { value, .. } => Some(value.clone()),
        Op::Move { pid, .. } => Some(pid.to_string()),
        _ => None,
    };
    let mut outcome = Outcome::new(op, value);
    outcome.before = prepared.before.clone();
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
        Op::Rmdir { cgroup } if cgroup.is_root() => {
            return outcome.refuse(
                None,
                Rule::Permission,
                "the root cgroup cannot be removed".into(),
                None,
            );
        }
        Op::Rmdir { cgroup } => fs
            .remove_dir(cgroup)
            .map(|()| outcome.explanation = format!("removed {cgroup}")),
        Op::Move { pid, cgroup } => {
            fs.write_file(cgroup, "cgroup.procs", &pid.to_string())
                .map(|()| {
                    outcome.after = cgroup_of_pid(fs, *pid).map(|c| c.to_string());
                    outcome.explanation = format!("moved process {pid} into {cgroup}");
                })
        }
    };
    match result {
        Ok(()) => outcome,
        Err(err) => refusal(outcome, op, &err, &scene),
    }
}

/// Check and carry out an operation through the filesystem.
pub fn apply(fs: &Cgroupfs, op: &Op) -> Outcome {
    match prepare(fs, op) {
        Ok(prepared) => execute(fs, &prepared),
        Err(refused) => *refused,
    }
}

fn refusal(outcome: Outcome, op: &Op, err: &Error, scene: &Scene) -> Outcome {
    match err.errno() {
        Some(code) => {
            let (rule, explanation, fix) = explain(op, Errno::from_raw_os_error(code), scene);
            outcome.refuse(Some(errno_name(code)), rule, explanation, fix)
        }
        None => outcome.refuse(None, Rule::InvalidValue, err.to_string(), None),
    }
}

/// What to tell a person after a successful write, e.g. that the kernel rounded the value.
fn written_note(file: &str, written: &str, after: Option<&str>) -> String {
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
