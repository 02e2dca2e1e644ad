//! No subcommand: the TUI on the live hierarchy (or, for `cgtui replay`, on a recorded store).

use super::{Hierarchy, store_dir};
use crate::cli::Global;
use anyhow::{Result, bail};
use std::path::PathBuf;
use std::time::Duration;

/// `replay`: the store to show and the time to start at (Unix ms; default the newest sample).
pub fn run(
    global: &Global,
    hierarchy: Hierarchy,
    replay: Option<(PathBuf, Option<i64>)>,
) -> Result<i32> {
    run_fed(global, hierarchy, replay, None).map(|_| 0)
}

/// The TUI fed by the kernel, a store (`replay`) or a `remote` source, until it quits.
pub fn run_fed(
    global: &Global,
    Hierarchy { fs, base }: Hierarchy,
    replay: Option<(PathBuf, Option<i64>)>,
    remote: Option<crate::tui::RemoteSource>,
) -> Result<crate::tui::Ended> {
    // Only the TUI reads the config: batch output does not change with a person's taste.
    let config = crate::config::load(global.config.as_deref())?;
    crate::config::check(&config)?;
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        bail!("the TUI needs a terminal on stdout; for batch output use `cgtui snapshot`");
    }
    let color = global.color.or(config.color).unwrap_or_default();
    let colour = color.use_colour(
        std::env::var_os("NO_COLOR").as_deref(),
        std::env::var("TERM").ok().as_deref(),
    );
    let theme = crate::theme::Theme::new(
        config.theme.unwrap_or(crate::theme::ThemeName::Default),
        colour,
    );
    // A fixture is not this machine's tree: the default store (this machine's) only
    // when it is named. --store DIR reads it whatever the config says.
    // Nor another host's tree (a remote source).
    let off = global.fixture.is_some() || remote.is_some() || config.store_history == Some(false);
    let store_history = if global.no_store || (global.store.is_none() && off) || remote.is_some() {
        None
    } else {
        match store_dir(&global.store) {
            Ok(dir) => Some((dir, global.store.is_some())),
            Err(e) if global.store.is_some() => return Err(e),
            // No place for a default store (no HOME): no recorder writes one either.
            Err(_) => None,
        }
    };
    // The threads that hold the tree outlive the loop until the process ends: a fixture's
    // private copy is removed when the loop does.
    let tree = fs.clone();
    // Another host's tree refreshes when that host is scraped.
    let remote_interval = remote.as_ref().and_then(|r| r.interval);
    let result = crate::tui::run_until(crate::tui::Options {
        fs,
        base,
        interval: remote_interval
            .or(global.interval)
            .or(config.interval)
            .unwrap_or(Duration::from_secs(1)),
        mouse: !global.no_mouse,
        max_watches: (global.max_watches.map(|n| (n, "--max-watches".to_string()))).or_else(|| {
            config
                .max_watches
                .map(|n| (n, "max_watches in the config".into()))
        }),
        resolve_names: global.resolve_names,
        cpu_budget: global.cpu_budget,
        keymap: config.keymap,
        theme,
        columns: config
            .columns
            .unwrap_or_else(|| crate::model::view::Column::DEFAULT.to_vec()),
        sort: config.sort.unwrap_or(crate::model::view::Column::Name),
        stats: global.stats,
        // Replay never writes: what is on screen is the past.
        read_only: global.read_only || replay.is_some() || remote.is_some(),
        replay,
        store_history,
        cpu_scale: config.cpu_scale.unwrap_or_default(),
        thresholds: config.thresholds,
        config_path: global.config.clone().or_else(crate::config::default_path),
        remote,
    });
    tree.discard_private_copy();
    result
}
