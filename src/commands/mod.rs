//! What each subcommand does, one module per subcommand (or family of them). `main` parses the
//! command line ([`crate::cli`]), opens the hierarchy and calls one of them; each returns the
//! process's exit code.
//!
//! A new subcommand touches three files: its variant and arguments in src/cli.rs, its module
//! here, and its arm in main.rs's `run` (which does not compile until the arm is there).

pub mod check;
pub mod delegate;
pub mod edit;
pub mod events;
pub mod explain;
pub mod export;
pub mod install;
pub mod lessons;
pub mod prometheus;
pub mod record;
pub mod replay;
pub mod snapshot;
pub mod tui;

use crate::cgroup::{CgroupPath, Cgroupfs};
use anyhow::{Context, Result};
use std::path::PathBuf;

/// The tree a command works on: the cgroup2 filesystem (or `--fixture`), and `--root` in it.
pub struct Hierarchy {
    pub fs: Cgroupfs,
    pub base: CgroupPath,
}

/// A subcommand's `--store DIR` (relative to the current directory), else the default store.
fn store_dir(store: &Option<PathBuf>) -> Result<PathBuf> {
    match store {
        Some(dir) if dir.is_absolute() => Ok(dir.clone()),
        Some(dir) => Ok(std::env::current_dir()
            .context("cannot find the current directory")?
            .join(dir)),
        None => crate::history::store::default_dir(),
    }
}

/// A TIME argument (`--at`, `--from`, `--to`) as Unix milliseconds, its flag named in errors.
fn time_arg(text: &Option<String>, flag: &str) -> Result<Option<i64>> {
    text.as_deref()
        .map(|t| {
            crate::time::parse_time(t, crate::time::now_ms())
                .map_err(|e| anyhow::anyhow!("{flag}: {e}"))
        })
        .transpose()
}

/// The hierarchy of a command that may write: a `--fixture` becomes a private copy in memory
/// (the tree shows the changes; the fixture directory and the user's journal are never
/// written), unless `--read-only` writes nothing anyway or the hidden `--fixture-writable`
/// of the write path's tests asks for the directory itself.
pub fn for_writes(hierarchy: Hierarchy, global: &crate::cli::Global) -> Result<Hierarchy> {
    if global.read_only || global.fixture_writable || !hierarchy.fs.is_fixture() {
        return Ok(hierarchy);
    }
    let origin = hierarchy.fs.mount_point().to_path_buf();
    Ok(Hierarchy {
        fs: hierarchy.fs.private_copy().with_context(|| {
            format!(
                "cannot copy the fixture {} into memory for its changes",
                crate::cgroup::escape::visible_path(&origin)
            )
        })?,
        base: hierarchy.base,
    })
}
