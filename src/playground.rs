//! A delegated playground without root: a transient scope with `Delegate=yes`, started by the
//! caller's own systemd manager (the user manager when not root), holding a placeholder process.
//! Inside it the caller owns a subtree: create children, enable controllers, set limits.
//!
//! Each playground is journaled with its unit's InvocationID, and `stop` stops only a unit
//! whose current invocation is one cgtui started for this user: a cgroup a user named
//! `cgtui-playground-1.scope`, or `delegate --stop sshd.service`, stops nothing without
//! `--force`.

use crate::cgroup::edit::Via;
use crate::cgroup::escape::visible;
use crate::cgroup::systemd::{Client, Manager};
use crate::cgroup::{CgroupPath, Cgroupfs};
use crate::journal::Journal;
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
        // By absolute path: under `sudo -E` PATH may be the invoking user's.
        None => (
            ["/usr/bin/sleep", "/bin/sleep"]
                .into_iter()
                .find(|p| std::path::Path::new(p).exists())
                .unwrap_or("/bin/sleep")
                .to_string(),
            vec!["infinity".to_string()],
        ),
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
/// delegated if given, from the caller's own manager, journaled in the caller's journal.
/// Returns it and the child process.
pub fn create(
    fs: &Cgroupfs,
    controllers: Option<&[String]>,
    command: &[String],
) -> Result<(Playground, Child)> {
    let manager = own_manager();
    let client = Client::connect(manager).map_err(|e| anyhow::anyhow!("{e}"))?;
    create_with(
        &client,
        manager,
        &Journal::open_default(),
        fs,
        controllers,
        command,
    )
}

/// [`create`] with a given manager connection and journal (tests use a fake systemd).
pub fn create_with(
    client: &Client,
    manager: Manager,
    journal: &Journal,
    fs: &Cgroupfs,
    controllers: Option<&[String]>,
    command: &[String],
) -> Result<(Playground, Child)> {
    // A playground that cannot be journaled could not be stopped later: check first.
    let journal = journal.lock()?;
    let mut child = spawn_placeholder(command)?;
    let pid = child.id();
    let unit = format!("{PREFIX}{pid}.scope");
    let give_up = |child: &mut Child, stop: bool| {
        if stop {
            let _ = client.stop_unit(&unit);
        }
        let _ = child.kill();
        let _ = child.wait();
    };
    if let Err(err) = client.start_delegated_scope(&unit, &[pid], controllers) {
        give_up(&mut child, false);
        bail!("{manager} would not start {unit}: {err}");
    }
    // The manager moves the process asynchronously; wait until the kernel shows it there.
    let start = Instant::now();
    let cgroup = loop {
        if let Some(cgroup) =
            crate::cgroup::process::cgroup_of(fs, crate::cgroup::process::ProcRef::Pid(pid), None)
                .filter(|c| c.name() == unit.as_str())
        {
            break cgroup;
        }
        if start.elapsed() > Duration::from_secs(10) {
            give_up(&mut child, true);
            bail!("{unit} was started but process {pid} never appeared in it");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let invocation = match client.invocation_id(&unit) {
        Ok(id) => id,
        Err(err) => {
            give_up(&mut child, true);
            bail!(
                "cannot read the InvocationID of {unit}, so it could not be stopped safely later: {err}"
            );
        }
    };
    let session = format!("delegate-{}", std::process::id());
    if let Err(err) =
        journal.record_playground(&cgroup, &unit, Some(invocation), Via::Systemd, &session)
    {
        give_up(&mut child, true);
        return Err(err);
    }
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

/// Stop a playground scope that cgtui started for this user (its processes are killed by its
/// manager). Anything else is refused; see [`stop_with`] for `force`.
pub fn stop(unit: &str) -> Result<()> {
    let manager = own_manager();
    let client = Client::connect(manager).map_err(|e| anyhow::anyhow!("{e}"))?;
    stop_with(&client, &Journal::open_default(), unit, false)
}

/// Stop `unit` through `client`. Unless `force`, only if its current InvocationID is one the
/// journal records for a playground this user started.
pub fn stop_with(client: &Client, journal: &Journal, unit: &str, force: bool) -> Result<()> {
    let shown = visible(unit.as_bytes());
    if !force {
        let current = client.invocation_id(unit).map_err(|e| {
            anyhow::anyhow!("cannot tell whether cgtui started {shown}, so it is not stopped: {e}")
        })?;
        let me = rustix::process::geteuid().as_raw();
        let entries = journal.entries()?;
        let ours = entries.list.iter().any(|e| {
            e.op == "delegate"
                && e.uid == me
                && e.unit.as_deref() == Some(unit)
                && e.invocation_id.as_deref() == Some(current.as_str())
        });
        if !ours {
            bail!(
                "{shown} was not started by cgtui for you (uid {me}): its invocation {current} is \
                 not in the journal {}. cgtui stops only its own playgrounds; to stop this unit \
                 anyway: cgtui delegate --stop {shown} --force",
                crate::cgroup::escape::visible_path(journal.path()?)
            );
        }
    }
    client
        .stop_unit(unit)
        .map_err(|e| anyhow::anyhow!("{} would not stop {shown}: {e}", client.label()))
}
