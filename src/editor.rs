//! The one path every change takes, from the TUI and the CLI alike: refuse in read-only mode,
//! check the value, journal the intent, write, read back, journal the result.

use crate::cgroup::edit::{self, Op, Outcome};
use crate::cgroup::{CgroupPath, Cgroupfs};
use crate::journal::Journal;
use anyhow::{Result, bail};

pub struct Editor {
    pub fs: Cgroupfs,
    journal: Journal,
    read_only: bool,
}

impl Editor {
    pub fn new(fs: Cgroupfs, journal: Journal, read_only: bool) -> Editor {
        Editor {
            fs,
            journal,
            read_only,
        }
    }

    pub fn read_only(&self) -> bool {
        self.read_only
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Carry out `op`. `Err` only when nothing could be attempted (read-only mode, or the
    /// journal cannot be written); a refusal by validation or by the kernel is an `Outcome`.
    pub fn run(&self, op: &Op) -> Result<Outcome> {
        self.run_recorded(op, None)
    }

    fn run_recorded(&self, op: &Op, undo_of: Option<String>) -> Result<Outcome> {
        if self.read_only {
            bail!("read-only mode: cgtui makes no changes (started with --read-only)");
        }
        let prepared = match edit::prepare(&self.fs, op) {
            Ok(prepared) => prepared,
            // Nothing was written, so there is nothing to journal.
            Err(refused) => return Ok(*refused),
        };
        let entry = self.journal.begin(
            &prepared.op,
            prepared.before.clone(),
            edit::Via::Fs,
            undo_of,
        )?;
        let outcome = edit::execute(&self.fs, &prepared);
        self.journal.end(entry, &outcome)?;
        Ok(outcome)
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
            if !moved.ok() && moved.rule != crate::cgroup::rules::Rule::NoSuchProcess {
                return Ok(moved);
            }
        }
        self.run(then)
    }

    /// Undo the latest change that has not been undone.
    pub fn undo(&self) -> Result<Outcome> {
        let (entry, op) = self.journal.undo_plan()?;
        self.run_recorded(&op, Some(entry.id))
    }
}
