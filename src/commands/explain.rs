//! `cgtui explain CGROUP`: owners, what you can do, the delegation boundary, controllers.

use crate::cgroup::Cgroupfs;
use crate::cli::ExplainArgs;

/// `cgtui explain CGROUP`.
pub fn run(fs: Cgroupfs, args: &ExplainArgs) -> anyhow::Result<i32> {
    let json = args.json;
    let cgroup = fs.resolve(&args.cgroup)?;
    let e = crate::cgroup::explain::explain(&fs, &cgroup);
    if json {
        out!("{}", crate::output::json_line(&e)?);
        return Ok(0);
    }
    for line in crate::i18n::explanation_lines(&e) {
        out!("{line}");
    }
    Ok(0)
}
