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
    let (made, mut child) =
        playground::create(&hierarchy.fs, args.controllers.as_deref(), &args.command)?;
    if args.json {
        out!("{}", crate::output::json_line(&made)?);
    } else {
        out!("{}", made.cgroup);
        errln!(
            "cgtui: {} holds process {}; you own this subtree (controllers: {}). Stop it with: cgtui delegate --stop {}",
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
