//! `cgtui snapshot`: the tree's counters once or every interval (text or JSON), its
//! OpenMetrics exposition once, samples a recorder stored, or any host's tree as Prometheus
//! holds it.

use super::{Hierarchy, store_dir, time_arg};
use crate::cli::{Global, SnapshotArgs, SnapshotFormat};
use crate::export::Format;
use anyhow::{Result, bail};
use std::time::Duration;

pub fn run(args: &SnapshotArgs, global: &Global, hierarchy: Hierarchy) -> Result<i32> {
    if let Some(url) = &args.prometheus {
        return remote(args, url, global, hierarchy);
    }
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

/// `--prometheus URL`: an instance's tree from the metrics its exporter sent (one iteration,
/// at `--at` or now), or without `--instance` the instances there are.
fn remote(args: &SnapshotArgs, url: &str, global: &Global, hierarchy: Hierarchy) -> Result<i32> {
    use crate::fleet::{self, client};
    if matches!(
        args.format,
        SnapshotFormat::Openmetrics | SnapshotFormat::Prometheus
    ) {
        bail!("--prometheus prints a table or JSON: the exposition is Prometheus' own");
    }
    let prometheus = client::Prometheus::new(url, super::prometheus::auth(global)?)?;
    let at = time_arg(&args.at, "--at")?.map(|ms| ms as f64 / 1000.0);
    let json = args.json || args.format == SnapshotFormat::Json;
    let mut out = std::io::stdout().lock();
    let Some(instance) = args.instance.as_deref().filter(|_| !args.list_instances) else {
        fleet::write_instances(&mut out, &prometheus, at, json)?;
        return Ok(0);
    };
    let prefix = match args.prefix.as_deref() {
        Some(text) => fleet::tree::cgroup_path(text)
            .ok_or_else(|| anyhow::anyhow!("--prefix {text:?} is not a cgroup path"))?,
        None => crate::cgroup::CgroupPath::root(),
    };
    let request = fleet::SnapshotRequest {
        instance,
        subtree: fleet::Subtree {
            prefix,
            max_depth: args.selection.max_depth,
        },
        at,
        json,
    };
    fleet::snapshot(&mut out, &prometheus, &request, &hierarchy.fs)?;
    Ok(0)
}
