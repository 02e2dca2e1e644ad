//! `cgtui snapshot`: the tree's counters once or every interval (text or JSON), its
//! OpenMetrics exposition once, or samples a recorder stored.

use super::{Hierarchy, store_dir, time_arg};
use crate::cli::{Global, SnapshotArgs, SnapshotFormat};
use crate::export::Format;
use anyhow::{Result, bail};
use std::time::Duration;

pub fn run(args: &SnapshotArgs, global: &Global, hierarchy: Hierarchy) -> Result<i32> {
    if args.store.is_some() {
        return recorded(args, hierarchy);
    }
    if args.at.is_some() || args.from.is_some() || args.to.is_some() {
        bail!("--at, --from and --to read a recorded store: add --store DIR");
    }
    match args.format {
        SnapshotFormat::Openmetrics => exposition(args, Format::OpenMetrics, hierarchy),
        SnapshotFormat::Prometheus => exposition(args, Format::Prometheus, hierarchy),
        SnapshotFormat::Text | SnapshotFormat::Json => live(args, global, hierarchy),
    }
}

/// `--store DIR`: the samples at `--at` (default now), or from `--from` to `--to`.
fn recorded(args: &SnapshotArgs, hierarchy: Hierarchy) -> Result<i32> {
    use crate::history::Range;
    let range = Range {
        from: time_arg(&args.from, "--from")?,
        to: time_arg(&args.to, "--to")?,
    };
    let at = match (time_arg(&args.at, "--at")?, &range) {
        (Some(at), _) => Some(at),
        (
            None,
            Range {
                from: None,
                to: None,
            },
        ) => Some(crate::time::now_ms()),
        (None, _) => None,
    };
    let selection = crate::export::Selection::new(&args.selection)?;
    let shape = crate::snapshot::Shape {
        fs: &hierarchy.fs,
        base: &hierarchy.base,
        json: args.json || args.format == SnapshotFormat::Json,
        selection: Some(&selection),
    };
    crate::history::snapshot(
        &store_dir(&args.store)?,
        &shape,
        at,
        range,
        &mut std::io::stdout().lock(),
    )?;
    Ok(0)
}

/// `--format openmetrics|prometheus`: one scrape, as `cgtui export` would serve it.
fn exposition(
    args: &SnapshotArgs,
    format: Format,
    Hierarchy { fs, base }: Hierarchy,
) -> Result<i32> {
    let selection = crate::export::Selection::new(&args.selection)?;
    let mut exporter = crate::export::Exporter::new(fs, base, selection);
    let scrape = std::sync::Arc::new(exporter.scrape(None));
    let text = scrape.encode(format);
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(0)
}

/// The kernel's counters now, `--count` times (or `--follow`), one interval apart.
fn live(args: &SnapshotArgs, global: &Global, Hierarchy { fs, base }: Hierarchy) -> Result<i32> {
    let options = crate::snapshot::Options {
        fs,
        base,
        json: args.json || args.format == SnapshotFormat::Json,
        engines: global
            .resolve_names
            .then(crate::cgroup::workload::engine::Resolver::default),
        count: if args.follow {
            None
        } else {
            Some(args.count).filter(|n| *n > 0)
        },
        interval: global.interval.unwrap_or(Duration::from_secs(1)),
        selection: Some(crate::export::Selection::new(&args.selection)?),
    };
    crate::snapshot::run(options, &mut std::io::stdout().lock())?;
    Ok(0)
}
