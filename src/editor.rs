//! The one path every change takes, from the TUI and the CLI alike: refuse in read-only mode,
//! check the value, pick the route (the filesystem, or the systemd manager that owns the
//! cgroup), journal the intent, write, read back, journal the result.

use crate::cgroup::edit::{self, Op, Outcome, Prepared, Via};
use crate::cgroup::rules::Rule;
use crate::cgroup::systemd::{self, BusError, Client, Manager};
use crate::cgroup::{CgroupPath, Cgroupfs};
use crate::journal::Journal;
use anyhow::{Result, bail};

/// How a `set` should reach the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Route {
    /// Through systemd when it owns the cgroup and has a property for the file, else directly.
    #[default]
    Auto,
    /// Always write the file, even on a systemd-managed cgroup (systemd may revert it).
    Fs,
    /// Always through the owning systemd manager (refused where none owns the cgroup).
    Systemd,
}

/// Options of one change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Change {
    pub route: Route,
    /// For systemd: make it permanent (SetUnitProperties runtime=false), as `systemctl
    /// set-property` without `--runtime` does.
    pub persist: bool,
    /// Write the value exactly as given, without checking it first: for measuring predictions
    /// against what the kernel really answers.
    pub unchecked: bool,
}

pub struct Editor {
    pub fs: Cgroupfs,
    journal: Journal,
    read_only: bool,
    // TEMP: replaced by the trust-writes branch
    session: String,
    // TEMP: replaced by the trust-writes branch: journal entries this editor made.
    made: std::sync::Mutex<Vec<String>>,
    /// Who we are, for predicting each write before it is made (found once).
    actor: std::sync::OnceLock<crate::cgroup::predict::Actor>,
}

/// Where a prepared `set` goes.
enum Target {
    Fs {
        warning: Option<String>,
    },
    Systemd {
        manager: Manager,
        unit: String,
        props: Vec<(String, systemd::PropertyValue)>,
    },
}

impl Editor {
    pub fn new(fs: Cgroupfs, journal: Journal, read_only: bool) -> Editor {
        Editor {
            fs,
            journal,
            read_only,
            actor: std::sync::OnceLock::new(),
            session: format!("{}-{}", std::process::id(), now_secs()),
            made: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Carry out `op` by the default route. `Err` only when nothing could be attempted
    /// (read-only mode, or the journal cannot be written); a refusal by validation, systemd or
    /// the kernel is an `Outcome`.
    pub fn run(&self, op: &Op) -> Result<Outcome> {
        self.run_with(op, Change::default(), None)
    }

    pub fn run_with(&self, op: &Op, change: Change, undo_of: Option<String>) -> Result<Outcome> {
        if self.read_only {
            bail!("read-only mode: cgtui makes no changes (started with --read-only)");
        }
        let checked = if change.unchecked {
            Ok(edit::prepare_unchecked(&self.fs, op))
        } else {
            edit::prepare(&self.fs, op)
        };
        let prepared = match checked {
            Ok(prepared) => prepared,
            // Nothing was written, so there is nothing to journal.
            Err(refused) => return Ok(*refused),
        };
        let target = match self.route(&prepared, change) {
            Ok(target) => target,
            Err(refused) => return Ok(*refused),
        };
        let via = match target {
            Target::Fs { .. } => Via::Fs,
            Target::Systemd { .. } => Via::Systemd,
        };
        let entry = self
            .journal
            .begin(&prepared.op, prepared.before.clone(), via, undo_of)?;
        if let Ok(mut made) = self.made.lock() {
            made.push(entry.id.clone());
        }
        let outcome = match target {
            Target::Fs { warning } => {
                // Predict first (the write changes the state), then hold the kernel's answer
                // against the prediction: a disagreement is shown, and logged in debug builds.
                let actor = self
                    .actor
                    .get_or_init(|| crate::cgroup::predict::Actor::current(&self.fs));
                let predicted = crate::cgroup::predict::predict(&self.fs, actor, &prepared.op);
                let mut outcome = edit::execute(&self.fs, &prepared);
                outcome.warnings.extend(warning);
                if !outcome.ok() && outcome.errno == predicted.errno {
                    // The kernel refused as predicted: the prediction, made from the state
                    // before the write, knows which rule and what to do instead.
                    outcome.rule = predicted.rule;
                    outcome.explanation = predicted.explanation;
                    outcome.doc = predicted.doc;
                    outcome.fix = predicted.fix.or(outcome.fix);
                } else if let Some(note) = disagreement(&predicted, &outcome) {
                    if cfg!(debug_assertions) {
                        self.log_disagreement(&note);
                    }
                    outcome.warnings.push(note);
                }
                outcome
            }
            Target::Systemd {
                manager,
                unit,
                props,
            } => self.via_systemd(&prepared, manager, &unit, &props, change.persist),
        };
        self.journal.end(entry, &outcome)?;
        Ok(outcome)
    }

    fn route(&self, prepared: &Prepared, change: Change) -> Result<Target, Box<Outcome>> {
        let Op::Set {
            cgroup,
            file,
            value,
        } = &prepared.op
        else {
            return Ok(Target::Fs { warning: None });
        };
        let ask_manager = |manager: Manager, unit: &str| {
            // cgtui's own playgrounds are delegated by construction: no need to ask.
            if unit.starts_with(crate::playground::PREFIX) {
                return Some(true);
            }
            Client::connect(manager).ok()?.delegate(unit)
        };
        let owner = systemd::ownership(&self.fs, cgroup, &ask_manager);
        let mapped = systemd::unit_properties(file, value);
        let refuse = |why: String| {
            Box::new(Outcome::new(&prepared.op, Some(value.clone())).refuse(
                None,
                Rule::InvalidValue,
                why,
                None,
            ))
        };
        match (change.route, owner.manager, owner.unit.clone(), mapped) {
            (Route::Systemd | Route::Auto, Some(manager), Some(unit), Some(Ok(props))) => {
                Ok(Target::Systemd {
                    manager,
                    unit,
                    props,
                })
            }
            (Route::Systemd | Route::Auto, Some(_), Some(_), Some(Err(why))) => Err(refuse(why)),
            (Route::Systemd, None, _, _) | (Route::Systemd, _, None, _) => Err(refuse(format!(
                "no systemd manager owns {cgroup} (it is not a unit's cgroup, or lies in a delegated \
                 subtree): write it directly with --via fs"
            ))),
            (Route::Systemd, _, _, None) => Err(refuse(format!(
                "systemd has no unit property for {file}; only the filesystem can set it"
            ))),
            (Route::Fs | Route::Auto, Some(_), Some(_), _)
                if owner.unit_delegated && systemd::DELEGATEE_FILES.contains(&file.as_str()) =>
            {
                Ok(Target::Fs { warning: None })
            }
            (Route::Fs | Route::Auto, Some(manager), Some(unit), _) => Ok(Target::Fs {
                warning: Some(format!(
                    "systemd-managed: {unit} belongs to {manager}; this direct write breaks its \
                     single-writer rule and may be reverted on the next daemon-reload or unit change"
                )),
            }),
            _ => Ok(Target::Fs { warning: None }),
        }
    }

    fn via_systemd(
        &self,
        prepared: &Prepared,
        manager: Manager,
        unit: &str,
        props: &[(String, systemd::PropertyValue)],
        persist: bool,
    ) -> Outcome {
        let Op::Set {
            cgroup,
            file,
            value,
        } = &prepared.op
        else {
            unreachable!("only set is routed to systemd")
        };
        let mut outcome = Outcome::new(&prepared.op, Some(value.clone()));
        outcome.via = Via::Systemd;
        outcome.before = prepared.before.clone();
        let names: Vec<String> = props.iter().map(|(n, _)| n.clone()).collect();
        let result = Client::connect(manager)
            .and_then(|client| client.set_unit_properties(unit, !persist, props));
        if let Err(err) = result {
            return bus_refusal(outcome, &err, manager, unit);
        }
        outcome.after = self
            .fs
            .read_text(cgroup, file)
            .ok()
            .flatten()
            .map(|t| t.trim_end().to_string());
        let how = if persist {
            format!(
                "persistently ({})",
                systemd::persistent_location(manager, unit)
            )
        } else {
            "for this boot (runtime)".to_string()
        };
        outcome.explanation = format!("{manager} set {} on {unit} {how}", names.join(", "));
        if outcome.after.as_deref() != Some(value.as_str()) {
            outcome.explanation.push_str(&format!(
                "; {file} now reads {}",
                outcome.after.as_deref().unwrap_or("nothing")
            ));
        }
        outcome
    }

    /// Append a prediction that the kernel contradicted to `disagreements.log` beside the journal.
    fn log_disagreement(&self, note: &str) {
        use std::io::Write;
        let path = self.journal.path().with_file_name("disagreements.log");
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(file, "{note}");
        }
    }

    /// The one-key fix for the no-internal-process rule: create `cgroup/leaf`, move every
    /// process of `cgroup` into it, then run `then` (the write that was refused). Stops at the
    /// first refusal and returns it.
    pub fn leaf_then_retry(&self, cgroup: &CgroupPath, leaf: &str, then: &Op) -> Result<Outcome> {
        let leaf_path = cgroup.join(std::ffi::OsStr::new(leaf));
        if !matches!(self.fs.stat(&leaf_path), Ok(Some(_))) {
            let made = self.run(&Op::Mkdir {
                cgroup: leaf_path.clone(),
            })?;
            if !made.ok() {
                return Ok(made);
            }
        }
        let pids = self
            .fs
            .read(cgroup, "cgroup.procs", crate::cgroup::parse::pid_list)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .unwrap_or_default();
        for pid in pids {
            let moved = self.run(&Op::Move {
                pid,
                cgroup: leaf_path.clone(),
            })?;
            // A process that exited meanwhile is no obstacle.
            if !moved.ok() && moved.rule != Rule::NoSuchProcess {
                return Ok(moved);
            }
        }
        self.run(then)
    }

    /// Undo the latest change that has not been undone, by the route it took.
    pub fn undo(&self) -> Result<Outcome> {
        let (entry, op) = self.journal.undo_plan()?;
        let route = if entry.via == "systemd" {
            Route::Systemd
        } else {
            Route::Fs
        };
        self.run_with(
            &op,
            Change {
                route,
                persist: false,
                unchecked: false,
            },
            Some(entry.id),
        )
    }
}

// TEMP: replaced by the trust-writes branch (from here to the end of `impl Editor` below).
/// Which changes `u` may undo: any of this user's, or only those of one session (one run of
/// the TUI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UndoScope {
    Any,
    Session(String),
}

/// What an undo would do, for the person to confirm before it is done.
#[derive(Debug, Clone)]
pub struct UndoPlan {
    pub entry_id: String,
    pub op: Op,
    pub route: Route,
    pub description: String,
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Editor {
    pub fn session_id(&self) -> &str {
        &self.session
    }

    pub fn plan_undo(&self, scope: UndoScope) -> Result<UndoPlan> {
        let (entry, op) = self.journal.undo_plan()?;
        if let UndoScope::Session(session) = &scope {
            let mine = *session == self.session
                && self.made.lock().is_ok_and(|made| made.contains(&entry.id));
            if !mine {
                bail!("nothing to undo from this session");
            }
        }
        let route = if entry.via == "systemd" {
            Route::Systemd
        } else {
            Route::Fs
        };
        let target = match &entry.file {
            Some(file) => format!("{}/{file}", entry.cgroup),
            None => entry.cgroup.clone(),
        };
        let description = match &op {
            Op::Set { value, .. } => format!(
                "set {target} back to {value} (the {} changed it to {})",
                entry.op,
                entry.new.as_deref().unwrap_or("?")
            ),
            Op::Rmdir { .. } => format!("remove {target} again (rmdir), which was created"),
            Op::Mkdir { .. } => format!("create {target} again (mkdir), which was removed"),
            Op::Move { pid, cgroup } => format!("move process {pid} back to {cgroup}"),
        };
        Ok(UndoPlan {
            entry_id: entry.id,
            op,
            route,
            description,
        })
    }

    pub fn undo_planned(&self, plan: &UndoPlan) -> Result<Outcome> {
        self.run_with(
            &plan.op,
            Change {
                route: plan.route,
                persist: false,
                unchecked: false,
            },
            Some(plan.entry_id.clone()),
        )
    }
}

/// A D-Bus refusal as an outcome: polkit and bus policy denials are `permission`.
fn bus_refusal(outcome: Outcome, err: &BusError, manager: Manager, unit: &str) -> Outcome {
    let name = err.name.as_deref().unwrap_or("");
    let (rule, fix) = if name.ends_with("AccessDenied")
        || name.ends_with("InteractiveAuthorizationRequired")
    {
        (
            Rule::Permission,
            format!(
                "{manager} refused (polkit or bus policy): run as root, or as the owner of that user manager"
            ),
        )
    } else if name.ends_with("NoSuchUnit") || name.ends_with("LoadFailed") {
        (Rule::NoSuchCgroup, format!("{unit} is not loaded any more"))
    } else if name.ends_with("InvalidArgs") || name.ends_with("PropertyReadOnly") {
        (
            Rule::InvalidValue,
            "systemd did not accept the value".to_string(),
        )
    } else {
        (
            Rule::Permission,
            format!("is {manager} running and reachable?"),
        )
    };
    let errno = Some(if name.is_empty() {
        "D-Bus".to_string()
    } else {
        name.to_string()
    });
    outcome.refuse(errno, rule, err.message.clone(), Some(fix))
}

/// A note when the kernel's answer differs from the prediction made just before the write.
fn disagreement(
    predicted: &crate::cgroup::predict::Prediction,
    outcome: &Outcome,
) -> Option<String> {
    let kernel = if outcome.ok() {
        None
    } else {
        outcome.errno.clone()
    };
    if predicted.errno == kernel {
        return None;
    }
    let show = |errno: &Option<String>| errno.clone().unwrap_or_else(|| "allowed".into());
    Some(format!(
        "prediction disagreed: cgtui predicted {} [{}], the kernel answered {} ({} {}{})",
        show(&predicted.errno),
        predicted.rule,
        show(&kernel),
        outcome.op,
        outcome.cgroup,
        outcome
            .file
            .as_deref()
            .map(|f| format!("/{f}"))
            .unwrap_or_default()
    ))
}
