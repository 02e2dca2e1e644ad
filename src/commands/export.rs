//! `cgtui export`: serve the tree's counters to Prometheus until stopped.

use super::Hierarchy;
use crate::cli::ExportArgs;
use crate::export::server;
use anyhow::Result;

pub fn run(args: &ExportArgs, Hierarchy { fs, base }: Hierarchy) -> Result<i32> {
    let selection = crate::export::Selection::new(&args.selection)?;
    let listener = match server::systemd_listener()? {
        Some(listener) => listener,
        None => server::bind(&args.listen, args.allow_remote)?,
    };
    eprintln!("cgtui export: serving {}", listener.describe());
    let exporter = crate::export::Exporter::new(fs, base, selection).watching();
    server::serve(listener, exporter)?;
    Ok(0)
}
