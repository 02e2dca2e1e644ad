//! `cgtui record`: every cgroup's counters and events into a store, until stopped.

use super::{Hierarchy, store_dir};
use crate::cli::{Global, RecordArgs};
use anyhow::{Result, bail};

pub fn run(args: &RecordArgs, global: &Global, Hierarchy { fs, base }: Hierarchy) -> Result<i32> {
    if global.read_only {
        bail!("read-only mode: the recorder writes its store (started with --read-only)");
    }
    crate::history::record::run(crate::history::record::Options {
        fs,
        base,
        store: store_dir(&args.store)?,
        interval: global
            .interval
            .unwrap_or(crate::history::record::DEFAULT_INTERVAL),
        retain: args.retain,
        max_size: args.max_size,
        max_watches: global.max_watches,
    })?;
    Ok(0)
}
