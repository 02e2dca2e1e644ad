//! `cgtui delegate`: a delegated playground from your own systemd manager, or `--stop` one.

use super::Hierarchy;
use crate::cli::{DelegateArgs, Global};
use crate::playground;
use anyhow::{Context, Result, bail};

pub fn run(args: &DelegateArgs, global: &Global, hierarchy: Hierarchy) -> Result<i32> {
    if global.read_only {
        bail!("read-only mode: cgtui makes no changes (started with --read-only)");
    }
    if let Some(unit) = &args.stop {
        if playground::is_by_hand(unit) {
            playground::stop_by_hand(&crate::journal::Journal::open_default(), unit, args.force)?;
            out!(
                "stopped {}",
                crate::cgroup::escape::visible(unit.as_bytes())
            );
            return Ok(0);
        }
        let manager = playground::own_manager();
        let client = crate::cgroup::systemd::Client::connect(manager)?;
        let journal = crate::journal::Journal::open_default();
        playground::stop_with(&client, &journal, unit, args.force)?;
        out!(
            "stopped {}",
            crate::cgroup::escape::visible(unit.as_bytes())
        );
        return Ok(0);
    }
    // By hand when asked, or as root without systemd for the user who ran sudo (root
    // delegating to itself would be no delegation: then systemd is asked, and says why not).
    let student = match &args.student {
        Some(name) => Some(crate::exercises::Student::resolve(Some(name))?),
        None if !playground::systemd_runs() && rustix::process::geteuid().is_root() => {
            crate::exercises::Student::resolve(None)
                .ok()
                .filter(|s| s.uid != 0)
        }
        None => None,
    };
    let (made, mut child) = if let Some(student) = student {
        playground::create_by_hand(&hierarchy.fs, &student, &args.command)?
    } else {
        playground::create(&hierarchy.fs, args.controllers.as_deref(), &args.command)?
    };
    if args.json {
        out!("{}", crate::output::json_line(&made)?);
    } else {
        out!("{}", made.cgroup);
        let owner = match made.delegated_by_hand_to {
            Some(uid) => format!("uid {uid} owns it (delegated by hand)"),
            None => "you own this subtree".to_string(),
        };
        errln!(
            "cgtui: {} holds process {}; {owner} (controllers: {}). Stop it with: cgtui delegate --stop {}",
            made.unit,
            made.pid,
            made.controllers.join(" "),
            made.unit
        );
    }
    if args.command.is_empty() {
        return Ok(0);
    }
    let status = child
        .wait()
        .context("waiting for the command in the playground")?;
    Ok(status.code().unwrap_or(1))
}
