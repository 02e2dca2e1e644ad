//! `cgtui replay`: the TUI on a recorded store instead of the kernel, read-only.

use super::{Hierarchy, store_dir, time_arg};
use crate::cli::{Global, ReplayArgs};
use anyhow::Result;

pub fn run(args: &ReplayArgs, global: &Global, hierarchy: Hierarchy) -> Result<i32> {
    if let (Some(url), Some(instance)) = (&args.prometheus, &args.instance) {
        let at = time_arg(&args.at, "--at")?;
        return super::prometheus::replay(global, hierarchy, url, instance, at);
    }
    let replay = (store_dir(&args.store)?, time_arg(&args.at, "--at")?);
    super::tui::run(global, hierarchy, Some(replay))
}
