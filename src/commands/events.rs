//! `cgtui events`: the events a recorder stored, as lines or JSON.

use super::{Hierarchy, store_dir, time_arg};
use crate::cli::EventsArgs;
use anyhow::Result;

pub fn run(args: &EventsArgs, hierarchy: Hierarchy) -> Result<i32> {
    let range = crate::history::Range {
        from: time_arg(&args.from, "--from")?,
        to: time_arg(&args.to, "--to")?,
    };
    crate::history::events(
        &store_dir(&args.store)?,
        &hierarchy.base,
        range,
        args.json,
        &mut std::io::stdout().lock(),
    )?;
    Ok(0)
}
