//! `cgtui completions` and `cgtui manpage`: generated from the same definitions as `--help`,
//! before any hierarchy is looked for (they work on a machine without cgroup2, as when
//! packaging).

use crate::cgroup::escape::visible_path;
use crate::cli::{Cli, CompletionsArgs, ManpageArgs, man_page};
use anyhow::{Context, Result};
use clap::CommandFactory;

pub fn completions(args: &CompletionsArgs) -> Result<i32> {
    clap_complete::generate(
        args.shell,
        &mut crate::cli::command(),
        "cgtui",
        &mut std::io::stdout(),
    );
    Ok(0)
}

pub fn manpage(args: &ManpageArgs) -> Result<i32> {
    let Some(dir) = &args.dir else {
        let mut page = Vec::new();
        man_page(&mut page)?;
        use std::io::Write;
        std::io::stdout().write_all(&page)?;
        return Ok(0);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", visible_path(dir)))?;
    clap_mangen::generate_to(Cli::command(), dir)
        .with_context(|| format!("cannot write the man pages into {}", visible_path(dir)))?;
    // The main page with its FILES, ENVIRONMENT and EXAMPLES.
    let main = dir.join("cgtui.1");
    let mut page = Vec::new();
    man_page(&mut page)?;
    std::fs::write(&main, page).with_context(|| format!("cannot write {}", visible_path(&main)))?;
    Ok(0)
}
