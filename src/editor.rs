//! The one path every change takes, from the TUI and the CLI alike: refuse in read-only mode,
//! check the value, pick the route (the filesystem, or the systemd manager that owns the
//! cgroup), journal the intent, write, read back, journal the result.
//!
//! Undo is planned from the journal and carried out under its lock: only a change this user
//! made, not undone yet, and only while what it left is still there (a value someone changed
//! since, a process that moved on or exited, a cgroup made anew, is reported and left alone).

use crate::cgroup::edit::{self, Op, Outcome, Prepared, Via};
use crate::cgroup::escape::{SysText, visible};
use crate::cgroup::process::{ProcRef, cgroup_of};
use crate::cgroup::rules::Rule;
use crate::cgroup::systemd::{self, BusError, Buses, Manager};
use crate::cgroup::{CgroupPath, Cgroupfs};
use crate::journal::{self, Before, Entries, Entry, Journal, Locked, Tag};
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
    /// Who we are, for predicting each write before it is made (found once).
    actor: std::sync::OnceLock<crate::cgroup::predict::Actor>,
    /// This run of cgtui, recorded in each journal entry it writes.
    session: String,
}

/// Which changes an undo may take back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UndoScope {
    /// The latest change of this user, from any cgtui run.
    Any,
    /// Only changes written by this session ([`Editor::session_id`]).
    Session(String),
}

/// What an undo will do, to show before doing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoPlan {
    /// The journal entry of the change to take back.
    pub entry_id: String,
    /// The operation that takes it back.
    pub op: Op,
    /// The route of the original change.
    pub route: Route,
    /// In words, escaped: "set memory.max of /x from 2G back to 1G".
    pub description: String,
    /// Later changes that cannot be undone now (their cgroup is gone, their value changed
    /// since), passed over to reach this one: each in words with why.
    pub skipped: Vec<String>,
}

/// A change of yours that undo could take back, with why it cannot be now if so.
#[derive(Debug, Clone, PartialEq)]
pub struct UndoItem {
    /// The journal entry's id: `cgtui undo ID` takes it back.
    pub entry_id: String,
    /// When the change was made (Unix seconds).
    pub timestamp: f64,
    /// The cgtui run that made it.
    pub session: Option<String>,
    /// In words, escaped.
    pub description: String,
    /// The undo, or why this change cannot be undone now.
    pub plan: std::result::Result<UndoPlan, String>,
}

/// Where a prepared `set` goes.
enum Target {
    Fs {
        warning: Option<String>,
    },
    Systemd {
        manager: Manager,
        unit: SysText,
        props: Vec<(String, systemd::PropertyValue)>,
    },
}

impl Editor {
    pub fn new(fs: Cgroupfs, journal: Journal, read_only: bool) -> Editor {
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Editor {
            fs,
            journal,
            read_only,
            actor: std::sync::OnceLock::new(),
            session: format!("{}-{started:x}", std::process::id()),
        }
    }

    /// This run's id, recorded as `session` in every journal entry it writes.
    pub fn session_id(&self) -> &str {
        &self.session
    }

    fn refuse_read_only(&self) -> Result<()> {
        if self.read_only {
            bail!("read-only mode: cgtui makes no changes (started with --read-only)");
        }
        Ok(())
    }

    /// Carry out `op` by the default route. `Err` only when nothing could be attempted
    /// (read-only mode, or the journal cannot be written); a refusal by validation, systemd or
    /// the kernel is an `Outcome`.
    pub fn run(&self, op: &Op) -> Result<Outcome> {
        self.run_with(op, Change::default(), None)
    }

    pub fn run_with(&self, op: &Op, change: Change, undo_of: Option<String>) -> Result<Outcome> {
        self.refuse_read_only()?;
        self.run_journaled(op, change, undo_of, None)
    }

    /// Check, route, journal, write, read back. `held` is the journal when the caller already
    /// holds its lock (undo); otherwise it is locked for the write.
    fn run_journaled(
        &self,
        op: &Op,
        change: Change,
        undo_of: Option<String>,
        held: Option<&Locked>,
    ) -> Result<Outcome> {
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
        let buses = Buses::default();
        let target = match self.route(&prepared, change, &buses) {
            Ok(target) => target,
            Err(refused) => return Ok(*refused),
        };
        let via = match target {
            Target::Fs { .. } => Via::Fs,
            Target::Systemd { .. } => Via::Systemd,
        };
        let locked;
        let journal = match held {
            Some(journal) => journal,
            None => {
                locked = self.journal.lock()?;
                &locked
            }
        };
        let before = Before {
            value: prepared.before.clone(),
            cgroup: prepared.before_cgroup.clone(),
            pid_start: match &prepared.op {
                Op::Move { pid, .. } => edit::start_ticks(&self.fs, *pid),
                _ => None,
            },
        };
        let tag = Tag {
            session: self.session.clone(),
            undo_of,
        };
        let entry = journal.begin(&prepared.op, before, via, &tag)?;
        let outcome = match target {
            Target::Fs { warning } => {
                // The rule engine predicts, writes and explains the kernel's answer; a
                // disagreement with the prediction is shown, and logged in debug builds.
                let actor = self
                    .actor
                    .get_or_init(|| crate::cgroup::predict::Actor::current(&self.fs));
                let executed = edit::execute(&self.fs, actor, &prepared);
                if let (Some(note), true) = (&executed.disagreement, cfg!(debug_assertions)) {
                    let _ = journal.append_beside("disagreements.log", note);
                }
                let mut outcome = executed.outcome;
                outcome.warnings.extend(warning);
                outcome
            }
            Target::Systemd {
                manager,
                unit,
                props,
            } => self.via_systemd(&prepared, &buses, manager, &unit, &props, change.persist),
        };
        // A created directory is remembered by inode: undo removes that one, not a namesake.
        let inode = match &prepared.op {
            Op::Mkdir { cgroup } if outcome.ok() => {
                self.fs.stat(cgroup).ok().flatten().map(|s| s.inode)
            }
            _ => None,
        };
        journal.end(entry, &outcome, inode)?;
        Ok(outcome)
    }

    fn route(
        &self,
        prepared: &Prepared,
        change: Change,
        buses: &Buses,
    ) -> Result<Target, Box<Outcome>> {
        let Op::Set {
            cgroup,
            file,
            value,
        } = &prepared.op
        else {
            return Ok(Target::Fs { warning: None });
        };
        if !self.fs.managers_reachable() {
            // A fixture's units are the captured host's: this machine's managers must not be
            // asked to change units of the same names.
            return match change.route {
                Route::Systemd => Err(Box::new(
                    Outcome::new(&prepared.op, Some(value.clone())).refuse(
                        None,
                        Rule::InvalidValue,
                        "a fixture has no systemd manager to talk to: write it with --via fs"
                            .into(),
                        None,
                    ),
                )),
                Route::Auto | Route::Fs => Ok(Target::Fs { warning: None }),
            };
        }
        let ask_manager = |manager: Manager, unit: &str| {
            // cgtui's own playgrounds are delegated by construction: no need to ask.
            if unit.starts_with(crate::playground::PREFIX) {
                return Some(true);
            }
            buses.delegate(manager, unit)
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
        buses: &Buses,
        manager: Manager,
        unit: &SysText,
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
        // A unit is a name systemd accepts (ASCII); the bus gets it raw, people see it escaped.
        let result = buses.client(manager).and_then(|client| {
            let name = unit.raw_str().ok_or_else(|| BusError {
                name: None,
                message: format!("{unit} is not a unit name"),
            })?;
            client.set_unit_properties(name, !persist, props)
        });
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

    /// Undo the latest change of this user that has not been undone, by the route it took
    /// ([`UndoScope::Any`]), planned and carried out under the journal's lock.
    pub fn undo(&self) -> Result<Outcome> {
        self.undo_latest().map(|(_, outcome)| outcome)
    }

    /// [`Editor::undo`], also saying what it undid.
    pub fn undo_latest(&self) -> Result<(UndoPlan, Outcome)> {
        self.refuse_read_only()?;
        let journal = self.journal.lock()?;
        let entries = journal.entries()?;
        let plan = self.plan_from(&entries, &UndoScope::Any, journal.path())?;
        let outcome = self.undo_locked(&journal, &entries, &plan)?;
        Ok((plan, outcome))
    }

    /// What an undo in `scope` would do now; nothing is written. `Err` says why there is
    /// nothing to undo, or what changed since so that it will not be undone.
    pub fn plan_undo(&self, scope: UndoScope) -> Result<UndoPlan> {
        let entries = self.journal.entries()?;
        self.plan_from(&entries, &scope, self.journal.path()?)
    }

    /// Carry out a plan from [`Editor::plan_undo`]. Under the journal's lock it checks again
    /// that the change is not undone yet (by another cgtui meanwhile) and that what it left is
    /// still there.
    pub fn undo_planned(&self, plan: &UndoPlan) -> Result<Outcome> {
        self.refuse_read_only()?;
        let journal = self.journal.lock()?;
        let entries = journal.entries()?;
        self.undo_locked(&journal, &entries, plan)
    }

    fn plan_from(
        &self,
        entries: &Entries,
        scope: &UndoScope,
        path: &std::path::Path,
    ) -> Result<UndoPlan> {
        let items = self.items_from(entries, scope);
        let mut skipped = Vec::new();
        for item in items {
            match item.plan {
                Ok(mut plan) => {
                    plan.skipped = skipped;
                    return Ok(plan);
                }
                Err(why) => skipped.push(format!("{}: {why}", item.description)),
            }
        }
        let whose = if matches!(scope, UndoScope::Session(_)) {
            "made in this session"
        } else {
            "of yours"
        };
        if !skipped.is_empty() {
            bail!(
                "nothing can be undone: no change {whose} can be taken back now ({})",
                skipped.join("; ")
            );
        }
        let unreadable = match entries.skipped.len() {
            0 => String::new(),
            n => format!(" ({n} unreadable line(s) skipped)"),
        };
        bail!(
            "nothing to undo: no change {whose} that is not undone yet in {}{unreadable}",
            crate::cgroup::escape::visible_path(path)
        );
    }

    /// The changes of yours in `scope` that are not undone yet, latest first, each with its
    /// undo or why it cannot be undone now.
    pub fn undo_list(&self, scope: &UndoScope) -> Result<Vec<UndoItem>> {
        let entries = self.journal.entries()?;
        Ok(self.items_from(&entries, scope))
    }

    fn items_from(&self, entries: &Entries, scope: &UndoScope) -> Vec<UndoItem> {
        let uid = rustix::process::geteuid().as_raw();
        let session = match scope {
            UndoScope::Any => None,
            UndoScope::Session(id) => Some(id.as_str()),
        };
        journal::undo_candidates(&entries.list, uid, session)
            .map(|entry| {
                let op = journal::inverse(entry);
                let described = |now: Option<&str>| match &op {
                    Ok(op) => describe_undo(entry, op, now),
                    Err(_) => format!(
                        "{} {}",
                        visible(entry.op.as_bytes()),
                        visible(entry.cgroup.as_bytes())
                    ),
                };
                let plan = op.as_ref().map_err(|e| format!("{e:#}")).and_then(|op| {
                    let now = self
                        .still_as_left(entry, op)
                        .map_err(|e| format!("{e:#}"))?;
                    Ok(UndoPlan {
                        entry_id: entry.id.clone(),
                        description: described(now.as_deref()),
                        op: op.clone(),
                        route: if entry.via == "systemd" {
                            Route::Systemd
                        } else {
                            Route::Fs
                        },
                        skipped: Vec::new(),
                    })
                });
                UndoItem {
                    entry_id: entry.id.clone(),
                    timestamp: entry.timestamp,
                    session: entry.session.clone(),
                    description: match &plan {
                        Ok(plan) => plan.description.clone(),
                        Err(_) => described(None),
                    },
                    plan,
                }
            })
            .collect()
    }

    /// Undo the change with journal id `id`, planned and carried out under the journal's lock.
    pub fn undo_id(&self, id: &str) -> Result<(UndoPlan, Outcome)> {
        self.refuse_read_only()?;
        let journal = self.journal.lock()?;
        let entries = journal.entries()?;
        let Some(item) = self
            .items_from(&entries, &UndoScope::Any)
            .into_iter()
            .find(|item| item.entry_id == id)
        else {
            bail!(
                "no change {} of yours to undo in {} (cgtui undo --list shows them)",
                visible(id.as_bytes()),
                crate::cgroup::escape::visible_path(journal.path())
            );
        };
        let plan = item
            .plan
            .map_err(|why| anyhow::anyhow!("not undoing {}: {why}", item.description))?;
        let outcome = self.undo_locked(&journal, &entries, &plan)?;
        Ok((plan, outcome))
    }

    fn undo_locked(&self, journal: &Locked, entries: &Entries, plan: &UndoPlan) -> Result<Outcome> {
        let uid = rustix::process::geteuid().as_raw();
        let Some(entry) = entries
            .list
            .iter()
            .find(|e| e.id == plan.entry_id && e.succeeded())
        else {
            bail!(
                "the journal {} has no change {} to undo",
                crate::cgroup::escape::visible_path(journal.path()),
                plan.entry_id
            );
        };
        if entry.uid != uid {
            bail!(
                "not undoing {}: it was written by uid {}, not by you (uid {uid})",
                plan.description,
                entry.uid
            );
        }
        if journal::is_undone(&entries.list, &entry.id) {
            bail!(
                "not undoing {}: it has been undone already",
                plan.description
            );
        }
        let op = journal::inverse(entry)?;
        if op != plan.op {
            bail!(
                "not undoing {}: the journal says otherwise now",
                plan.description
            );
        }
        self.still_as_left(entry, &op)
            .map_err(|e| anyhow::anyhow!("not undoing {}: {e:#}", plan.description))?;
        let change = Change {
            route: plan.route,
            persist: false,
            unchecked: false,
        };
        let mut outcome = self.run_journaled(&op, change, Some(entry.id.clone()), Some(journal))?;
        outcome.warnings.extend(entries.skipped.iter().map(|line| {
            format!(
                "journal {}: skipped {line}",
                crate::cgroup::escape::visible_path(journal.path())
            )
        }));
        Ok(outcome)
    }

    /// Is what `entry` left still there? Returns the current value of a set (for the plan's
    /// words); `Err` says what changed.
    fn still_as_left(&self, entry: &Entry, undo: &Op) -> Result<Option<String>> {
        let cgroup = entry.cgroup_path()?;
        match undo {
            Op::Set { file, value, .. } => {
                let target = cgroup.file_display(&visible(file.as_bytes()));
                let now = self
                    .fs
                    .read_text(&cgroup, file)
                    .map_err(|e| anyhow::anyhow!("cannot read {target}: {e}"))?
                    .map(|t| t.trim_end().to_string());
                let left = entry.after.as_ref().or(entry.new.as_ref());
                match (&now, left) {
                    (Some(now), Some(left)) if now == left => Ok(Some(now.clone())),
                    (None, _) => bail!("{target} does not exist any more"),
                    (Some(now), left) => bail!(
                        "{} now holds {}, not {} as cgtui left it, so it was changed \
                         since. To set the old value anyway: cgtui set {cgroup} {} {}",
                        target,
                        visible(now.as_bytes()),
                        visible(left.map_or("(unknown)", String::as_str).as_bytes()),
                        visible(file.as_bytes()),
                        visible(value.as_bytes())
                    ),
                }
            }
            Op::Rmdir { .. } => match self.fs.stat(&cgroup) {
                Ok(Some(stat)) if entry.inode.is_none_or(|inode| inode == stat.inode) => Ok(None),
                Ok(Some(_)) => bail!(
                    "{cgroup} was removed and made again since cgtui created it; \
                     cgtui removes only the one it made"
                ),
                Ok(None) => bail!("{cgroup} does not exist any more"),
                Err(e) => bail!("cannot look at {cgroup}: {e}"),
            },
            Op::Mkdir { .. } => {
                if self.fs.exists(&cgroup) {
                    bail!("{cgroup} exists again");
                }
                Ok(None)
            }
            Op::Move { pid, .. } => {
                let Some(now) = cgroup_of(&self.fs, ProcRef::Pid(*pid), None) else {
                    bail!("process {pid} has exited");
                };
                if entry.pid_start.is_some() && edit::start_ticks(&self.fs, *pid) != entry.pid_start
                {
                    bail!(
                        "process {pid} is not the one cgtui moved (it exited and \
                         its PID was reused)"
                    );
                }
                if now != cgroup {
                    bail!(
                        "process {pid} is now in {now}, not in {cgroup} where cgtui \
                         moved it"
                    );
                }
                Ok(None)
            }
        }
    }
}

/// An undo in words, escaped for the screen.
fn describe_undo(entry: &Entry, undo: &Op, now: Option<&str>) -> String {
    let show = |text: &str| visible(text.as_bytes()).into_owned();
    let words = match undo {
        Op::Set {
            cgroup,
            file,
            value,
        } => format!(
            "set {} of {cgroup}{} back to {}",
            show(file),
            now.map(|n| format!(" from {}", show(n)))
                .unwrap_or_default(),
            show(value),
        ),
        Op::Rmdir { cgroup } => format!("remove {cgroup}, which cgtui created"),
        Op::Mkdir { cgroup } => format!("create {cgroup} again, which cgtui removed"),
        Op::Move { pid, cgroup } => format!(
            "move process {pid} back from {} to {cgroup}",
            journal::raw_path(&entry.cgroup_raw).unwrap_or_default()
        ),
    };
    if entry.via == "systemd" {
        format!("{words} (through systemd)")
    } else {
        words
    }
}

/// A D-Bus refusal as an outcome: polkit and bus policy denials are `permission`.
fn bus_refusal(outcome: Outcome, err: &BusError, manager: Manager, unit: &SysText) -> Outcome {
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

mod signal;
pub use signal::SignalRequest;

#[cfg(test)]
mod tests;
