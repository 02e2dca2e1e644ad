//! A delegated playground without root: a transient scope with `Delegate=yes`, started by the
//! caller's own systemd manager (the user manager when not root), holding a placeholder process.
//! Inside it the caller owns a subtree: create children, enable controllers, set limits.

use crate::cgroup::systemd::{Client, Manager};
use crate::cgroup::{CgroupPath, Cgroupfs};
use anyhow::{Context, Result, bail};
use serde::Serialize;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Names of playground scopes start with this, so cgtui can recognise and stop them.
pub const PREFIX: &str = "cgtui-playground-";

#[derive(Debug, Clone, Serialize)]
pub struct Playground {
    pub unit: String,
    pub cgroup: CgroupPath,
    pub pid: u32,
    pub manager: Manager,
    /// cgroup.controllers of the scope: what the caller may enable inside it.
    pub controllers: Vec<String>,
}

/// The manager a playground is asked of: the system manager for root, else the user's own.
pub fn own_manager() -> Manager {
    match rustix::process::geteuid().as_raw() {
        0 => Manager::System,
        uid => Manager::User { uid },
    }
}

/// Is this cgroup a playground scope made by cgtui?
pub fn is_playground(cgroup: &CgroupPath) -> Option<String> {
    let name = cgroup.name().to_str()?;
    (name.starts_with(PREFIX) && name.ends_with(".scope")).then(|| name.to_string())
}

/// Start the placeholder: `command` if given, else a process that only waits.
fn spawn_placeholder(command: &[String]) -> Result<Child> {
    let (program, args) = match command.split_first() {
        Some((program, args)) => (program.clone(), args.to_vec()),
        None => ("sleep".to_string(), vec!["infinity".to_string()]),
    };
    let mut cmd = Command::new(&program);
    cmd.args(&args);
    if command.is_empty() {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
    }
    cmd.spawn()
        .with_context(|| format!("cannot start {program}"))
}

/// Create a playground holding `command` (or a placeholder), with only `controllers`
/// delegated if given. Returns it and the child process.
pub fn create(
    fs: &Cgroupfs,
    controllers: Option<&[String]>,
    command: &[String],
) -> Result<(Playground, Child)> {
    let manager = own_manager();
    let client = Client::connect(manager).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut child = spawn_placeholder(command)?;
    let pid = child.id();
    let unit = format!("{PREFIX}{pid}.scope");
    if let Err(err) = client.start_delegated_scope(&unit, &[pid], controllers) {
        let _ = child.kill();
        let _ = child.wait();
        bail!("{manager} would not start {unit}: {err}");
    }
    // The manager moves the process asynchronously; wait until the kernel shows it there.
    let start = Instant::now();
    let cgroup = loop {
        if let Some(cgroup) =
            crate::cgroup::edit::cgroup_of_pid(fs, pid).filter(|c| c.name() == unit.as_str())
        {
            break cgroup;
        }
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            bail!("{unit} was started but process {pid} never appeared in it");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let controllers = fs
        .read(
            &cgroup,
            "cgroup.controllers",
            crate::cgroup::parse::controllers,
        )
        .ok()
        .flatten()
        .unwrap_or_default();
    Ok((
        Playground {
            unit,
            cgroup,
            pid,
            manager,
            controllers,
        },
        child,
    ))
}

/// Stop a playground scope (its processes are killed by its manager).
pub fn stop(unit: &str) -> Result<()> {
    let manager = own_manager();
    let client = Client::connect(manager).map_err(|e| anyhow::anyhow!("{e}"))?;
    client
        .stop_unit(unit)
        .map_err(|e| anyhow::anyhow!("{manager} would not stop {unit}: {e}"))
}
