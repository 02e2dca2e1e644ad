//! A delegated playground without root: a transient scope with `Delegate=yes`, started by the
//! caller's own systemd manager (the user manager when not root), holding a placeholder process.
//! Inside it the caller owns a subtree: create children, enable controllers, set limits.
//!
//! Each playground is journaled with its unit's InvocationID, and `stop` stops only a unit
//! whose current invocation is one cgtui started for this user: a cgroup a user named
//! `cgtui-playground-1.scope`, or `delegate --stop sshd.service`, stops nothing without
//! `--force`.
//!
//! Where no systemd manager runs (a container, a hybrid host without a user manager), root
//! delegates by hand instead ([`create_by_hand`]): it makes `cgtui-playground-PID` at the top
//! of the hierarchy and chowns the directory, cgroup.procs, cgroup.threads and
//! cgroup.subtree_control to a student, whose placeholder process it puts there. Stopping it
//! ends its processes and removes its cgroups.

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
    /// The manager that started the scope; root's (System) for a delegation by hand.
    pub manager: Manager,
    /// cgroup.controllers of the scope: what the caller may enable inside it.
    pub controllers: Vec<String>,
    /// For a delegation by hand: the uid it was handed to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delegated_by_hand_to: Option<u32>,
}

/// The manager a playground is asked of: the system manager for root, else the user's own.
pub fn own_manager() -> Manager {
    match rustix::process::geteuid().as_raw() {
        0 => Manager::System,
        uid => Manager::User { uid },
    }
}

/// Is this cgroup a playground made by cgtui: a scope `cgtui-playground-PID.scope`, or a
/// delegation by hand `cgtui-playground-PID`? Its unit name (the cgroup's name).
pub fn is_playground(cgroup: &CgroupPath) -> Option<String> {
    let name = cgroup.name().to_str()?;
    let pid = name.strip_prefix(PREFIX)?;
    let pid = pid.strip_suffix(".scope").unwrap_or(pid);
    (!pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit())).then(|| name.to_string())
}

/// A playground delegated by hand is named without a unit suffix.
pub fn is_by_hand(unit: &str) -> bool {
    !unit.ends_with(".scope")
}

/// sleep, by absolute path: under `sudo -E` PATH may be the invoking user's.
fn placeholder_program() -> &'static str {
    ["/usr/bin/sleep", "/bin/sleep"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("/bin/sleep")
}

/// Start the placeholder: `command` if given, else a process that only waits.
fn spawn_placeholder(command: &[String]) -> Result<Child> {
    let (program, args) = match command.split_first() {
        Some((program, args)) => (program.clone(), args.to_vec()),
        None => (
            placeholder_program().to_string(),
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
    let controllers = controllers_of(fs, &cgroup);
    Ok((
        Playground {
            unit,
            cgroup,
            pid,
            manager,
            controllers,
            delegated_by_hand_to: None,
        },
        child,
    ))
}

/// What `D` starts: a scope from the caller's systemd manager, or, as root where no systemd
/// runs, a delegation by hand to the student ([`crate::exercises::Student::resolve`]).
pub fn create_any(fs: &Cgroupfs) -> Result<(Playground, Child)> {
    if !systemd_runs() && rustix::process::geteuid().is_root() {
        let student = crate::exercises::Student::resolve(None)?;
        return create_by_hand(fs, &student, &[]);
    }
    create(fs, None, &[])
}

/// Is there a systemd manager to ask for a scope? PID 1 is systemd (a container's PID 1
/// without it, or this being root without a bus, means no).
pub fn systemd_runs() -> bool {
    std::fs::read_to_string("/proc/1/comm").is_ok_and(|name| name.trim() == "systemd")
}

/// Delegate by hand, as root: make `cgtui-playground-PID` at the top of the hierarchy, hand
/// the directory and its cgroup.procs, cgroup.threads and cgroup.subtree_control to `student`,
/// and put the student's placeholder (or `command`, run as the student) in it.
pub fn create_by_hand(
    fs: &Cgroupfs,
    student: &crate::exercises::Student,
    command: &[String],
) -> Result<(Playground, Child)> {
    create_by_hand_with(&Journal::open_default(), fs, student, command)
}

/// [`create_by_hand`] journaled in `journal`.
pub fn create_by_hand_with(
    journal: &Journal,
    fs: &Cgroupfs,
    student: &crate::exercises::Student,
    command: &[String],
) -> Result<(Playground, Child)> {
    if !rustix::process::geteuid().is_root() {
        bail!(
            "a delegation by hand needs root (it chowns a cgroup to the student); ask root for \
             one: sudo cgtui delegate --student {}",
            student.name
        );
    }
    if fs.is_fixture() {
        bail!("a fixture is not a kernel: there is nothing to delegate");
    }
    if student.uid == 0 {
        bail!(
            "a delegation by hand to root is no delegation: name the student (--student NAME, \
             SUDO_UID or CGTUI_STUDENT)"
        );
    }
    let journal = journal.lock()?;
    let mut child = spawn_as(command, student)?;
    let pid = child.id();
    let unit = format!("{PREFIX}{pid}");
    let dir = fs.mount_point().join(&unit);
    let made = (|| -> Result<()> {
        std::fs::create_dir(&dir).with_context(|| {
            format!(
                "cannot create {}",
                crate::cgroup::escape::visible_path(&dir)
            )
        })?;
        for path in std::iter::once(dir.clone()).chain(
            crate::cgroup::explain::DELEGATED_FILES
                .iter()
                .map(|f| dir.join(f)),
        ) {
            std::os::unix::fs::chown(&path, Some(student.uid), Some(student.gid)).with_context(
                || {
                    format!(
                        "cannot hand {} to {}",
                        crate::cgroup::escape::visible_path(&path),
                        student.name
                    )
                },
            )?;
        }
        std::fs::write(dir.join("cgroup.procs"), format!("{pid}\n"))
            .with_context(|| format!("cannot move the placeholder {pid} into {unit}"))?;
        Ok(())
    })();
    let cgroup = CgroupPath::root().join(std::ffi::OsStr::new(&unit));
    let recorded = made.and_then(|()| {
        journal.record_playground(
            &cgroup,
            &unit,
            None,
            Via::Fs,
            &format!("delegate-{}", std::process::id()),
        )
    });
    if let Err(err) = recorded {
        let _ = child.kill();
        let _ = child.wait();
        remove_by_hand(&dir);
        return Err(err);
    }
    let controllers = controllers_of(fs, &cgroup);
    Ok((
        Playground {
            unit,
            cgroup,
            pid,
            manager: Manager::System,
            controllers,
            delegated_by_hand_to: Some(student.uid),
        },
        child,
    ))
}

/// `command`, or a placeholder that only waits, started as `student`.
fn spawn_as(command: &[String], student: &crate::exercises::Student) -> Result<Child> {
    let (program, args) = match command.split_first() {
        Some((program, args)) => (program.clone(), args.to_vec()),
        None => (
            placeholder_program().to_string(),
            vec!["infinity".to_string()],
        ),
    };
    let mut cmd = Command::new(&program);
    std::os::unix::process::CommandExt::uid(&mut cmd, student.uid);
    std::os::unix::process::CommandExt::gid(&mut cmd, student.gid);
    cmd.args(&args);
    if command.is_empty() {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
    }
    cmd.spawn()
        .with_context(|| format!("cannot start {program} as {}", student.name))
}

/// Kill what is left in `dir` and below, then remove the cgroups, deepest first.
/// What a new playground's cgroup.controllers offers (none if it cannot be read: the playground
/// still works, its controllers are only not listed).
fn controllers_of(fs: &Cgroupfs, cgroup: &CgroupPath) -> Vec<String> {
    fs.read(
        cgroup,
        "cgroup.controllers",
        crate::cgroup::parse::controllers,
    )
    .ok()
    .flatten()
    .unwrap_or_default()
}

fn remove_by_hand(dir: &std::path::Path) {
    fn dirs(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        out.push(dir.to_path_buf());
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                dirs(&entry.path(), out);
            }
        }
    }
    let mut all = Vec::new();
    dirs(dir, &mut all);
    all.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for cgroup in &all {
        // cgroup.kill (5.14+) ends everything below; else each process by its PID.
        if std::fs::write(cgroup.join("cgroup.kill"), "1").is_err() {
            let procs = std::fs::read_to_string(cgroup.join("cgroup.procs")).unwrap_or_default();
            for pid in procs.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
                if let Some(pid) = rustix::process::Pid::from_raw(pid) {
                    let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
                }
            }
        }
    }
    for cgroup in &all {
        let start = Instant::now();
        while std::fs::remove_dir(cgroup).is_err()
            && cgroup.exists()
            && start.elapsed() < Duration::from_secs(5)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Stop a playground delegated by hand: only one this user (root) journaled, unless `force`.
pub fn stop_by_hand(journal: &Journal, unit: &str, force: bool) -> Result<()> {
    let shown = visible(unit.as_bytes());
    let me = rustix::process::geteuid().as_raw();
    if !force {
        let entries = journal.entries()?;
        let ours = entries
            .list
            .iter()
            .any(|e| e.op == "delegate" && e.uid == me && e.unit.as_deref() == Some(unit));
        if !ours {
            bail!(
                "{shown} was not delegated by hand by cgtui for you (uid {me}); to remove it \
                 anyway: cgtui delegate --stop {shown} --force"
            );
        }
    }
    let fs = Cgroupfs::system().context("cannot find the cgroup2 hierarchy")?;
    let dir = fs.mount_point().join(unit);
    if !dir.is_dir() {
        bail!("there is no cgroup {shown} at the top of the hierarchy");
    }
    remove_by_hand(&dir);
    if dir.exists() {
        bail!("{shown} could not be removed: a process in it survived SIGKILL");
    }
    Ok(())
}

/// Stop a playground scope that cgtui started for this user (its processes are killed by its
/// manager). Anything else is refused; see [`stop_with`] for `force`.
pub fn stop(unit: &str) -> Result<()> {
    if is_by_hand(unit) {
        return stop_by_hand(&Journal::open_default(), unit, false);
    }
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
