//! systemd as the owner of most cgroups on a modern host.
//!
//! systemd's single-writer rule (docs/CGROUP_DELEGATION.md): every cgroup a manager creates is
//! its own, except below a unit with `Delegate=`. Limits of a managed cgroup are changed through
//! the manager (`SetUnitProperties`), never by writing its files. This module tells who owns a
//! cgroup, maps interface files to unit properties, and talks to the managers over D-Bus
//! (zbus; blocking calls wrapped in `zbus::block_on`, to be made off any UI thread).

use crate::cgroup::fs::Cgroupfs;
use crate::cgroup::parse;
use crate::cgroup::path::CgroupPath;
use serde::Serialize;
use std::ffi::OsStr;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;
use zbus::OwnedVariant;

/// A systemd manager: the system instance (PID 1), or a user's `user@UID.service`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Manager {
    System,
    User { uid: u32 },
}

impl std::fmt::Display for Manager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Manager::System => f.write_str("the system manager (systemd, PID 1; system bus)"),
            Manager::User { uid } => write!(
                f,
                "the user manager of uid {uid} (user@{uid}.service; its user bus)"
            ),
        }
    }
}

/// How a delegation was recognised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DelegationMark {
    /// The manager marked the unit's cgroup with this extended attribute.
    Xattr(String),
    /// The unit is `user@UID.service`, which systemd always delegates to its user manager.
    UserManager,
    /// The unit's `Delegate` property, read over D-Bus.
    Property,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delegation {
    /// The delegated unit's cgroup: everything below it belongs to the delegatee.
    pub root: CgroupPath,
    pub unit: String,
    pub mark: DelegationMark,
}

/// Who may change a cgroup, according to systemd's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ownership {
    /// The manager that owns this cgroup's attributes; `None` when no manager does (not a
    /// systemd host, or inside a delegated subtree and not a unit of a nested manager).
    pub manager: Option<Manager>,
    /// The unit whose cgroup this is, when the manager owns it.
    pub unit: Option<String>,
    /// The nearest delegation at or above this cgroup.
    pub delegation: Option<Delegation>,
    /// This cgroup is itself a delegated unit's: its cgroup.procs, cgroup.threads and
    /// cgroup.subtree_control belong to the delegatee, its limits still to the manager.
    pub unit_delegated: bool,
}

impl Ownership {
    /// True when writes should go through the manager, not the filesystem.
    pub fn managed(&self) -> bool {
        self.manager.is_some() && self.unit.is_some()
    }
}

const UNIT_SUFFIXES: [&str; 3] = [".slice", ".scope", ".service"];

/// Does this cgroup name look like a systemd unit (`foo.service`, `bar.slice`, `x.scope`)? Only
/// the characters systemd allows in unit names (letters, digits and `:-_.\@`, at most 255 bytes): a
/// directory named otherwise was made by hand, not by a manager.
pub fn is_unit_name(name: &OsStr) -> bool {
    name.to_str().is_some_and(|n| {
        n.len() <= 255
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b":-_.\\@".contains(&b))
            && UNIT_SUFFIXES
                .iter()
                .any(|s| n.len() > s.len() && n.ends_with(s))
    })
}

/// Can a slice named `name` sit directly in `parent` (a slice, or `None` at a manager's root)?
/// systemd places `a-b-c.slice` in `a-b.slice`, which is in `a.slice`, which is at the root.
fn slice_fits(parent: Option<&str>, name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".slice") else {
        return false;
    };
    match parent.and_then(|p| p.strip_suffix(".slice")) {
        None => !stem.contains('-'),
        Some(parent_stem) => stem
            .strip_prefix(parent_stem)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|rest| !rest.is_empty() && !rest.contains('-')),
    }
}

/// `user@1000.service` → 1000.
pub fn user_manager_uid(unit: &str) -> Option<u32> {
    unit.strip_prefix("user@")?
        .strip_suffix(".service")?
        .parse()
        .ok()
}

/// Is this hierarchy run by systemd? Its root then holds `init.scope` (PID 1's own cgroup).
pub fn is_systemd_hierarchy(fs: &Cgroupfs) -> bool {
    matches!(
        fs.stat(&CgroupPath::root().join(OsStr::new("init.scope"))),
        Ok(Some(_))
    )
}

/// The delegation xattr systemd sets on a delegated unit's cgroup, if any.
fn delegation_xattr(fs: &Cgroupfs, cgroup: &CgroupPath) -> Option<String> {
    let dir = fs.dir(cgroup);
    ["trusted.delegate", "user.delegate"]
        .into_iter()
        .find_map(|name| {
            let mut buf = [0u8; 8];
            let n = rustix::fs::lgetxattr(&dir, name, &mut buf).ok()?;
            (buf[..n].starts_with(b"1")).then(|| name.to_string())
        })
}

/// Decide who owns `cgroup`. `delegate_property` may ask a manager for a unit's `Delegate`
/// property (systemd 252's user manager marks its delegated scopes with no xattr); pass
/// `|_, _| None` to go by xattrs and structure alone.
///
/// A manager's units form one chain from its own cgroup: slices in slices (named by their
/// place, `a-b.slice` in `a.slice`), then one service or scope. A manager never creates units
/// below a service or scope, so whatever lies there belongs to a delegatee (`user@UID.service`
/// holds its user manager's tree; a container scope its own systemd's, whose `sshd.service` is
/// not the host's) or was made by hand: no manager the host can reach owns it, and it is
/// written directly.
pub fn ownership(
    fs: &Cgroupfs,
    cgroup: &CgroupPath,
    delegate_property: &dyn Fn(Manager, &str) -> Option<bool>,
) -> Ownership {
    let mut manager = is_systemd_hierarchy(fs).then_some(Manager::System);
    // The slice the walk is in, within the current manager's tree (`None`: at its root).
    let mut slice: Option<String> = None;
    let mut delegation = None;
    let mut path = CgroupPath::root();
    let components: Vec<&OsStr> = cgroup.as_path().iter().collect();
    let unmanaged = |delegation| Ownership {
        manager: None,
        unit: None,
        delegation,
        unit_delegated: false,
    };
    for (index, name) in components.iter().enumerate() {
        path = path.join(name);
        let last = index + 1 == components.len();
        let Some(current) = manager else { continue };
        let unit = name
            .to_str()
            .filter(|_| is_unit_name(name))
            .map(str::to_string);
        let Some(unit) = unit.filter(|u| !u.ends_with(".slice") || slice_fits(slice.as_deref(), u))
        else {
            // A directory someone made by hand, or a slice out of its place: no manager's.
            manager = None;
            if last {
                return unmanaged(delegation);
            }
            continue;
        };
        if unit.ends_with(".slice") {
            // Slices are never delegated.
            if last {
                return Ownership {
                    manager: Some(current),
                    unit: Some(unit),
                    delegation,
                    unit_delegated: false,
                };
            }
            slice = Some(unit);
            continue;
        }
        let mark = if let Some(xattr) = delegation_xattr(fs, &path) {
            Some(DelegationMark::Xattr(xattr))
        } else if current == Manager::System && user_manager_uid(&unit).is_some() {
            Some(DelegationMark::UserManager)
        } else if delegate_property(current, &unit) == Some(true) {
            Some(DelegationMark::Property)
        } else {
            None
        };
        if last {
            return Ownership {
                manager: Some(current),
                unit: Some(unit),
                delegation,
                unit_delegated: mark.is_some(),
            };
        }
        // Below a service or scope: a user manager's own tree, or nobody's.
        manager = match (current, user_manager_uid(&unit)) {
            (Manager::System, Some(uid)) => Some(Manager::User { uid }),
            _ => None,
        };
        slice = None;
        if let Some(mark) = mark {
            delegation = Some(Delegation {
                root: path.clone(),
                unit,
                mark,
            });
        }
    }
    // Only the root cgroup gets here with a manager; it is no unit's.
    unmanaged(delegation)
}

/// Files of a delegated unit's own cgroup that belong to the delegatee (systemd's
/// CGROUP_DELEGATION.md): writing them directly is the point of delegation.
pub const DELEGATEE_FILES: [&str; 3] = ["cgroup.procs", "cgroup.threads", "cgroup.subtree_control"];

/// A unit property value, as SetUnitProperties takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropertyValue {
    /// `t`: bytes, microseconds, a weight or a count; `u64::MAX` means "infinity".
    U64(u64),
    /// `a(st)`: per device node.
    Devices(Vec<(String, u64)>),
}

impl PropertyValue {
    pub fn signature(&self) -> &'static str {
        match self {
            PropertyValue::U64(_) => "t",
            PropertyValue::Devices(_) => "a(st)",
        }
    }

    fn to_variant(&self) -> zbus::Result<OwnedVariant> {
        match self {
            PropertyValue::U64(v) => Ok(OwnedVariant::from(*v)),
            PropertyValue::Devices(list) => {
                OwnedVariant::try_from(zbus::Variant::from(list.clone()))
            }
        }
    }
}

fn limit_value(text: &str) -> Result<u64, String> {
    match parse::limit(text) {
        Ok(crate::cgroup::Limit::Max) => Ok(u64::MAX),
        Ok(crate::cgroup::Limit::Value(v)) => Ok(v),
        Err(e) => Err(format!("{text:?}: {e}")),
    }
}

/// The unit properties that set `file` to `value` (already normalised by
/// [`crate::cgroup::value::normalize`]). `None` when systemd has no property for the file.
pub fn unit_properties(
    file: &str,
    value: &str,
) -> Option<Result<Vec<(String, PropertyValue)>, String>> {
    let one = |name: &str| {
        Some(limit_value(value).map(|v| vec![(name.to_string(), PropertyValue::U64(v))]))
    };
    match file {
        "memory.max" => one("MemoryMax"),
        "memory.high" => one("MemoryHigh"),
        "memory.low" => one("MemoryLow"),
        "memory.min" => one("MemoryMin"),
        "memory.swap.max" => one("MemorySwapMax"),
        "pids.max" => one("TasksMax"),
        "cpu.weight" => one("CPUWeight"),
        "cpu.max" => Some(cpu_max_properties(value)),
        "io.weight" => Some(io_weight_properties(value)),
        "io.max" => Some(io_max_properties(value)),
        _ => None,
    }
}

fn cpu_max_properties(value: &str) -> Result<Vec<(String, PropertyValue)>, String> {
    let cpu = parse::cpu_max(value).map_err(|e| e.to_string())?;
    // CPUQuotaPerSecUSec is CPU time per second of wall time: quota scaled to a 1 s period.
    let per_sec = match cpu.quota {
        crate::cgroup::Limit::Max => u64::MAX,
        crate::cgroup::Limit::Value(q) => q.saturating_mul(1_000_000) / cpu.period_usec.max(1),
    };
    Ok(vec![
        ("CPUQuotaPerSecUSec".into(), PropertyValue::U64(per_sec)),
        (
            "CPUQuotaPeriodUSec".into(),
            PropertyValue::U64(cpu.period_usec),
        ),
    ])
}

fn device_node(token: &str) -> Result<String, String> {
    let id = parse::device_id(token).map_err(|e| e.message)?;
    // systemd resolves a device node path; /dev/block/MAJ:MIN always names the device.
    Ok(format!("/dev/block/{}:{}", id.major, id.minor))
}

fn io_weight_properties(value: &str) -> Result<Vec<(String, PropertyValue)>, String> {
    let tokens: Vec<&str> = value.split_whitespace().collect();
    match tokens.as_slice() {
        ["default", n] => Ok(vec![(
            "IOWeight".into(),
            PropertyValue::U64(limit_value(n)?),
        )]),
        [dev, n] => Ok(vec![(
            "IODeviceWeight".into(),
            PropertyValue::Devices(vec![(device_node(dev)?, limit_value(n)?)]),
        )]),
        _ => Err(format!("unexpected io.weight value {value:?}")),
    }
}

fn io_max_properties(value: &str) -> Result<Vec<(String, PropertyValue)>, String> {
    let mut tokens = value.split_whitespace();
    let node = device_node(tokens.next().unwrap_or_default())?;
    let mut props = Vec::new();
    for token in tokens {
        let (key, v) = token
            .split_once('=')
            .ok_or_else(|| format!("bad io.max token {token:?}"))?;
        let name = match key {
            "rbps" => "IOReadBandwidthMax",
            "wbps" => "IOWriteBandwidthMax",
            "riops" => "IOReadIOPSMax",
            "wiops" => "IOWriteIOPSMax",
            other => return Err(format!("unknown io.max key {other:?}")),
        };
        props.push((
            name.to_string(),
            PropertyValue::Devices(vec![(node.clone(), limit_value(v)?)]),
        ));
    }
    Ok(props)
}

/// Where `systemctl set-property` without `--runtime` stores a property, for telling people.
pub fn persistent_location(manager: Manager, unit: &str) -> String {
    match manager {
        Manager::System => format!("/etc/systemd/system.control/{unit}.d/50-*.conf"),
        Manager::User { .. } => format!("~/.config/systemd/user.control/{unit}.d/50-*.conf"),
    }
}

/// A D-Bus failure, with the error name systemd or the bus gave.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BusError {
    /// `org.freedesktop.DBus.Error.AccessDenied`, `org.freedesktop.systemd1.NoSuchUnit`, ...
    pub name: Option<String>,
    pub message: String,
}

/// An error's text as shown: a user's manager (or whatever that user runs on their bus) chooses
/// error names and messages, so they are escaped like any other name.
fn shown_text(text: &str) -> String {
    crate::cgroup::escape::visible(text.as_bytes()).into_owned()
}

impl From<zbus::Error> for BusError {
    fn from(err: zbus::Error) -> Self {
        match &err {
            zbus::Error::MethodError(name, detail, _) => {
                let name = shown_text(name.as_str());
                BusError {
                    message: format!(
                        "{name}: {}",
                        shown_text(detail.as_deref().unwrap_or_default())
                    ),
                    name: Some(name),
                }
            }
            _ => BusError {
                name: None,
                message: shown_text(&err.to_string()),
            },
        }
    }
}

/// How long cgtui waits for a manager: to connect and authenticate, and for each call. A
/// user's bus is a socket that user controls; a listener that never answers must not hang a
/// root session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusTimeouts {
    pub connect: Duration,
    pub call: Duration,
}

impl Default for BusTimeouts {
    fn default() -> Self {
        BusTimeouts {
            connect: Duration::from_secs(5),
            call: Duration::from_secs(10),
        }
    }
}

/// The system bus, at its fixed place: `DBUS_SYSTEM_BUS_ADDRESS` is not trusted (under `sudo
/// -E` it is the invoking user's).
pub const SYSTEM_BUS: &str = "/run/dbus/system_bus_socket";

/// The bus of `uid`'s user manager.
pub fn user_bus_path(uid: u32) -> PathBuf {
    PathBuf::from(format!("/run/user/{uid}/bus"))
}

/// Whom a bus socket must belong to before cgtui sends it anything.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// The system bus: a socket made by root.
    Root,
    /// A user's bus: a socket of that user (or root), whose listener runs as that user (or
    /// root), checked with SO_PEERCRED.
    User(u32),
}

impl Expect {
    fn allows(self, uid: u32) -> bool {
        match self {
            Expect::Root => uid == 0,
            Expect::User(owner) => uid == owner || uid == 0,
        }
    }

    fn whom(self) -> String {
        match self {
            Expect::Root => "root".into(),
            Expect::User(owner) => {
                format!("uid {owner} (the owner of user@{owner}.service) or root")
            }
        }
    }
}

impl BusError {
    fn new(message: String) -> BusError {
        BusError {
            name: None,
            message,
        }
    }

    fn timed_out(what: &str, limit: Duration) -> BusError {
        BusError::new(format!(
            "systemd did not answer within {} s ({what})",
            limit.as_secs_f64()
        ))
    }
}

/// A timer on a helper thread for [`within`]; dropping it stops the thread at once.
struct Alarm {
    state: std::sync::Arc<std::sync::Mutex<(bool, Option<std::task::Waker>)>>,
    _cancel: std::sync::mpsc::Sender<()>,
}

impl Alarm {
    fn start(limit: Duration) -> std::io::Result<Alarm> {
        let state = std::sync::Arc::new(std::sync::Mutex::new((false, None::<std::task::Waker>)));
        let (cancel, cancelled) = std::sync::mpsc::channel::<()>();
        let shared = state.clone();
        std::thread::Builder::new()
            .name("cgtui-bus-timer".into())
            .spawn(move || {
                if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    cancelled.recv_timeout(limit)
                    && let Ok(mut state) = shared.lock()
                {
                    state.0 = true;
                    if let Some(waker) = state.1.take() {
                        waker.wake();
                    }
                }
            })?;
        Ok(Alarm {
            state,
            _cancel: cancel,
        })
    }

    fn poll(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        match self.state.lock() {
            Ok(mut state) if !state.0 => {
                state.1 = Some(cx.waker().clone());
                std::task::Poll::Pending
            }
            _ => std::task::Poll::Ready(()),
        }
    }
}

/// Run `fut` to completion, or give up after `limit` (dropping it closes its socket): `None`.
fn within<F: std::future::Future>(
    fut: F,
    limit: Duration,
    what: &str,
) -> Result<Option<F::Output>, BusError> {
    let alarm = Alarm::start(limit)
        .map_err(|e| BusError::new(format!("cannot start a timer for {what}: {e}")))?;
    let mut fut = std::pin::pin!(fut);
    Ok(zbus::block_on(std::future::poll_fn(|cx| {
        if let std::task::Poll::Ready(out) = fut.as_mut().poll(cx) {
            return std::task::Poll::Ready(Some(out));
        }
        alarm.poll(cx).map(|()| None)
    })))
}

/// Connect to the unix socket at `path`, bound to the inode that was checked (not to whatever
/// the path names a moment later), and check who listens on it. Nothing is sent before.
fn connect_checked(path: &Path, expect: Expect, limit: Duration) -> Result<UnixStream, BusError> {
    use rustix::fs::{FileType, Mode, OFlags};
    use rustix::io::Errno;
    let shown = path.display();
    let refuse = |why: String| {
        BusError::new(format!(
            "refusing {shown}: {why}; cgtui sends nothing to a bus it cannot verify"
        ))
    };
    let node = rustix::fs::open(
        path,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| match e {
        Errno::LOOP => refuse("it is a symlink".into()),
        e => BusError::new(format!("no bus at {shown}: {}", std::io::Error::from(e))),
    })?;
    let stat = rustix::fs::fstat(&node)
        .map_err(|e| BusError::new(format!("cannot stat {shown}: {}", std::io::Error::from(e))))?;
    // O_PATH|O_NOFOLLOW opens a symlink itself.
    match FileType::from_raw_mode(stat.st_mode) {
        FileType::Socket => {}
        FileType::Symlink => return Err(refuse("it is a symlink".into())),
        _ => return Err(refuse("it is not a socket".into())),
    }
    if !expect.allows(stat.st_uid) {
        return Err(refuse(format!(
            "the socket belongs to uid {}, not to {}",
            stat.st_uid,
            expect.whom()
        )));
    }
    // Through /proc/self/fd the connection reaches exactly the inode checked above.
    let via = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&node));
    let addr = rustix::net::SocketAddrUnix::new(via.as_str()).map_err(|e| {
        BusError::new(format!(
            "cannot address {shown}: {}",
            std::io::Error::from(e)
        ))
    })?;
    let socket = rustix::net::socket_with(
        rustix::net::AddressFamily::UNIX,
        rustix::net::SocketType::STREAM,
        rustix::net::SocketFlags::CLOEXEC | rustix::net::SocketFlags::NONBLOCK,
        None,
    )
    .map_err(|e| BusError::new(format!("cannot make a socket: {}", std::io::Error::from(e))))?;
    let start = std::time::Instant::now();
    loop {
        match rustix::net::connect(&socket, &addr) {
            Ok(()) => break,
            // A listener whose queue is full: wait, but not for ever.
            Err(Errno::AGAIN) | Err(Errno::INTR) if start.elapsed() < limit => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(Errno::AGAIN) => {
                return Err(BusError::timed_out(
                    &format!("connecting to {shown}"),
                    limit,
                ));
            }
            Err(e) => {
                return Err(BusError::new(format!(
                    "cannot connect to {shown}: {}",
                    std::io::Error::from(e)
                )));
            }
        }
    }
    if let Expect::User(_) = expect {
        let peer = rustix::net::sockopt::socket_peercred(&socket).map_err(|e| {
            BusError::new(format!(
                "cannot ask who listens on {shown}: {}",
                std::io::Error::from(e)
            ))
        })?;
        let uid = peer.uid.as_raw();
        if !expect.allows(uid) {
            return Err(refuse(format!(
                "its listener (pid {}) runs as uid {uid}, not as {}",
                peer.pid.as_raw_nonzero(),
                expect.whom()
            )));
        }
    }
    Ok(UnixStream::from(socket))
}

/// A connection to one manager.
pub struct Client {
    conn: zbus::Connection,
    /// Which manager, for messages.
    label: String,
    timeouts: BusTimeouts,
    /// A call timed out: later calls fail at once instead of waiting again.
    silent: std::cell::Cell<bool>,
}

impl Client {
    /// Use an existing connection (tests hand in a peer-to-peer one).
    pub fn with_connection(conn: zbus::Connection) -> Client {
        Client {
            conn,
            label: "systemd".into(),
            timeouts: BusTimeouts::default(),
            silent: std::cell::Cell::new(false),
        }
    }

    /// Connect to `manager`'s bus: the system bus, or the user's bus at `/run/user/UID/bus`,
    /// after checking who it belongs to; with the default timeouts.
    pub fn connect(manager: Manager) -> Result<Client, BusError> {
        Client::connect_with(manager, BusTimeouts::default())
    }

    pub fn connect_with(manager: Manager, timeouts: BusTimeouts) -> Result<Client, BusError> {
        match manager {
            Manager::System => Client::connect_at(
                Path::new(SYSTEM_BUS),
                Expect::Root,
                manager.to_string(),
                timeouts,
            ),
            Manager::User { uid } => Client::connect_at(
                &user_bus_path(uid),
                Expect::User(uid),
                manager.to_string(),
                timeouts,
            ),
        }
    }

    /// The user manager of `uid` on the socket at `socket` instead of `/run/user/UID/bus`
    /// (tests), with the same checks.
    pub fn connect_user_at(
        uid: u32,
        socket: &Path,
        timeouts: BusTimeouts,
    ) -> Result<Client, BusError> {
        Client::connect_at(
            socket,
            Expect::User(uid),
            Manager::User { uid }.to_string(),
            timeouts,
        )
    }

    fn connect_at(
        path: &Path,
        expect: Expect,
        label: String,
        timeouts: BusTimeouts,
    ) -> Result<Client, BusError> {
        let context = |mut err: BusError| {
            err.message = format!("cannot reach {label}: {}", err.message);
            err
        };
        let stream = connect_checked(path, expect, timeouts.connect).map_err(context)?;
        let build = zbus::connection::Builder::unix_stream(stream)
            .method_timeout(timeouts.call)
            .build();
        let what = format!("authenticating on {}", path.display());
        let conn = within(build, timeouts.connect, &what)
            .and_then(|done| done.ok_or_else(|| BusError::timed_out(&what, timeouts.connect)))
            .and_then(|built| built.map_err(BusError::from))
            .map_err(context)?;
        Ok(Client {
            conn,
            label,
            timeouts,
            silent: std::cell::Cell::new(false),
        })
    }

    /// Which manager this is, in words.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Run one exchange with the manager, within the call timeout.
    fn call<T>(
        &self,
        what: &str,
        fut: impl std::future::Future<Output = zbus::Result<T>>,
    ) -> Result<T, BusError> {
        let what = format!("{what}, asking {}", self.label);
        let timed_out = || {
            self.silent.set(true);
            BusError::timed_out(&what, self.timeouts.call)
        };
        if self.silent.get() {
            return Err(timed_out());
        }
        match within(fut, self.timeouts.call, &what)? {
            Some(Ok(value)) => Ok(value),
            Some(Err(zbus::Error::InputOutput(e))) if e.kind() == std::io::ErrorKind::TimedOut => {
                Err(timed_out())
            }
            Some(Err(e)) => Err(e.into()),
            None => Err(timed_out()),
        }
    }

    async fn manager(&self) -> zbus::Result<zbus_systemd::systemd1::ManagerProxy<'_>> {
        zbus_systemd::systemd1::ManagerProxy::builder(&self.conn)
            .cache_properties(zbus::proxy::CacheProperties::No)
            .build()
            .await
    }

    /// `SetUnitProperties(name, runtime, props)`: what `systemctl set-property [--runtime]` does.
    pub fn set_unit_properties(
        &self,
        unit: &str,
        runtime: bool,
        props: &[(String, PropertyValue)],
    ) -> Result<(), BusError> {
        let mut list = Vec::with_capacity(props.len());
        for (name, value) in props {
            list.push((name.clone(), value.to_variant()?));
        }
        self.call("SetUnitProperties", async {
            let proxy = self.manager().await?;
            proxy
                .set_unit_properties(unit.to_string(), runtime, list)
                .await
        })
    }

    /// Start a transient scope holding `pids`, with `Delegate=yes` (and, if given, only these
    /// controllers delegated): the D-Bus equivalent of `systemd-run --scope -p Delegate=yes`.
    pub fn start_delegated_scope(
        &self,
        unit: &str,
        pids: &[u32],
        controllers: Option<&[String]>,
    ) -> Result<(), BusError> {
        let mut props = vec![
            (
                "PIDs".to_string(),
                OwnedVariant::try_from(zbus::Variant::from(pids.to_vec()))?,
            ),
            ("Delegate".to_string(), OwnedVariant::from(true)),
        ];
        if let Some(list) = controllers {
            props.push((
                "DelegateControllers".to_string(),
                OwnedVariant::try_from(zbus::Variant::from(list.to_vec()))?,
            ));
        }
        self.call("StartTransientUnit", async {
            let proxy = self.manager().await?;
            proxy
                .start_transient_unit(unit.to_string(), "fail".to_string(), props, Vec::new())
                .await
        })?;
        Ok(())
    }

    pub fn stop_unit(&self, unit: &str) -> Result<(), BusError> {
        self.call("StopUnit", async {
            let proxy = self.manager().await?;
            proxy.stop_unit(unit.to_string(), "fail".to_string()).await
        })?;
        Ok(())
    }

    /// The unit's InvocationID (hex): which start of the unit this is.
    pub fn invocation_id(&self, unit: &str) -> Result<String, BusError> {
        let id = self.call("reading InvocationID", async {
            let path = self.manager().await?.get_unit(unit.to_string()).await?;
            zbus_systemd::systemd1::UnitProxy::builder(&self.conn)
                .path(path)
                .cache_properties(zbus::proxy::CacheProperties::No)
                .build()
                .await?
                .invocation_id()
                .await
        })?;
        Ok(id.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The unit's `Delegate` property (scopes and services), `None` if it cannot be read.
    pub fn delegate(&self, unit: &str) -> Option<bool> {
        let read = self.call("reading Delegate", async {
            let path = self.manager().await?.get_unit(unit.to_string()).await?;
            if unit.ends_with(".scope") {
                let scope = zbus_systemd::systemd1::ScopeProxy::builder(&self.conn)
                    .path(path)
                    .cache_properties(zbus::proxy::CacheProperties::No)
                    .build()
                    .await?;
                scope.delegate().await.map(Some)
            } else if unit.ends_with(".service") {
                let service = zbus_systemd::systemd1::ServiceProxy::builder(&self.conn)
                    .path(path)
                    .cache_properties(zbus::proxy::CacheProperties::No)
                    .build()
                    .await?;
                service.delegate().await.map(Some)
            } else {
                Ok(None)
            }
        });
        read.ok().flatten()
    }
}

/// A connection made, or why it could not be.
type Connected = Result<std::rc::Rc<Client>, BusError>;

/// The connections of one operation: each manager is connected to at most once, and one that
/// did not answer is not asked again (a hung bus costs one timeout, not one per question).
#[derive(Default)]
pub struct Buses {
    clients: std::cell::RefCell<Vec<(Manager, Connected)>>,
}

impl Buses {
    pub fn client(&self, manager: Manager) -> Result<std::rc::Rc<Client>, BusError> {
        if let Some((_, known)) = self.clients.borrow().iter().find(|(m, _)| *m == manager) {
            return known.clone();
        }
        let made = Client::connect(manager).map(std::rc::Rc::new);
        self.clients.borrow_mut().push((manager, made.clone()));
        made
    }

    /// A unit's `Delegate` property, for [`ownership`].
    pub fn delegate(&self, manager: Manager, unit: &str) -> Option<bool> {
        self.client(manager).ok()?.delegate(unit)
    }

    /// Why each manager that was asked could not be reached.
    pub fn failures(&self) -> Vec<String> {
        self.clients
            .borrow()
            .iter()
            .filter_map(|(_, made)| made.as_ref().err().map(|e| e.message.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_names() {
        assert!(is_unit_name(OsStr::new("user@1000.service")));
        assert!(is_unit_name(OsStr::new("app.slice")));
        assert!(!is_unit_name(OsStr::new("leaf")));
        assert!(!is_unit_name(OsStr::new(".scope")));
        assert_eq!(user_manager_uid("user@1000.service"), Some(1000));
        assert_eq!(user_manager_uid("user-1000.slice"), None);
    }

    /// A fake systemd hierarchy (only `init.scope` matters) and the ownership of `path` in it,
    /// with `delegated` as the units whose Delegate property says yes.
    fn owner_in(path: &str, delegated: &[&str]) -> Ownership {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("init.scope")).unwrap();
        std::fs::create_dir_all(dir.path().join(path)).unwrap();
        let fs = Cgroupfs::fixture(dir.path()).unwrap();
        let cgroup = CgroupPath::from_relative(std::path::Path::new(path)).unwrap();
        ownership(&fs, &cgroup, &|_, unit| Some(delegated.contains(&unit)))
    }

    #[test]
    fn units_map_to_a_manager_only_along_its_own_chain() {
        let managed = |path: &str| {
            let o = owner_in(path, &[]);
            (o.manager, o.unit)
        };
        let system = |unit: &str| (Some(Manager::System), Some(unit.to_string()));
        let user = |uid, unit: &str| (Some(Manager::User { uid }), Some(unit.to_string()));
        assert_eq!(managed("system.slice/sshd.service"), system("sshd.service"));
        assert_eq!(managed("system.slice"), system("system.slice"));
        assert_eq!(
            managed("system.slice/system-getty.slice/getty@tty1.service"),
            system("getty@tty1.service")
        );
        assert_eq!(managed("init.scope"), system("init.scope"));
        assert_eq!(
            managed("user.slice/user-1000.slice/user@1000.service/app.slice/foo.service"),
            user(1000, "foo.service")
        );
        assert_eq!(
            managed("user.slice/user-1000.slice/user@1000.service/init.scope"),
            user(1000, "init.scope")
        );
        assert_eq!(
            managed(
                "user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome.slice/x.scope"
            ),
            user(1000, "x.scope")
        );
        // A container's own systemd below its scope: not the host's units, whatever their
        // names, even when the host cannot tell that the scope is delegated.
        let nobody = (None, None);
        assert_eq!(
            managed("system.slice/docker-abc.scope/system.slice/sshd.service"),
            nobody
        );
        assert_eq!(managed("system.slice/docker-abc.scope/init.scope"), nobody);
        assert_eq!(
            managed("machine.slice/machine-vm.scope/system.slice/cron.service"),
            nobody
        );
        // Below a user's service: the user's delegatee, not the user manager.
        assert_eq!(
            managed(
                "user.slice/user-1000.slice/user@1000.service/app.slice/foo.service/sub.service"
            ),
            nobody
        );
        // Slices out of their place, and names systemd would not give a unit.
        assert_eq!(managed("system.slice/user-1000.slice"), nobody);
        assert_eq!(managed("system.slice/system-a-b.slice"), nobody);
        assert_eq!(managed("system-getty.slice"), nobody);
        assert_eq!(managed("system.slice/evil\u{1b}[31m.service"), nobody);
        assert_eq!(managed("system.slice/hand-made/sshd.service"), nobody);
        assert_eq!(managed(""), nobody);
    }

    #[test]
    fn a_delegated_scope_is_recorded_and_its_subtree_is_nobodys() {
        let scope = "system.slice/docker-abc.scope";
        let o = owner_in(scope, &["docker-abc.scope"]);
        assert_eq!(o.manager, Some(Manager::System));
        assert!(o.unit_delegated, "{o:?}");
        let below = owner_in(
            &format!("{scope}/system.slice/sshd.service"),
            &["docker-abc.scope"],
        );
        assert_eq!((below.manager, below.unit), (None, None));
        let d = below
            .delegation
            .expect("the container scope is the delegation");
        assert_eq!(d.root.to_string(), format!("/{scope}"));
        assert_eq!(d.mark, DelegationMark::Property);
        let user = owner_in(
            "user.slice/user-1000.slice/user@1000.service/app.slice",
            &[],
        );
        assert_eq!(user.manager, Some(Manager::User { uid: 1000 }));
        assert_eq!(
            user.delegation.map(|d| d.mark),
            Some(DelegationMark::UserManager)
        );
    }

    #[test]
    fn a_managers_error_text_is_escaped() {
        let err = BusError::from(zbus::Error::MethodError(
            zbus::names::OwnedErrorName::try_from("org.x.Evil").unwrap(),
            Some("\u{1b}]0;pwned\u{7}".into()),
            zbus::message::Message::method_call("/", "X")
                .build(&())
                .unwrap(),
        ));
        assert!(!err.message.contains('\u{1b}'), "{}", err.message);
        assert!(err.message.contains("\\e]0;pwned"), "{}", err.message);
    }

    #[test]
    fn slice_places() {
        assert!(slice_fits(None, "user.slice"));
        assert!(!slice_fits(None, "user-1000.slice"));
        assert!(slice_fits(Some("user.slice"), "user-1000.slice"));
        assert!(!slice_fits(Some("user.slice"), "users-1000.slice"));
        assert!(!slice_fits(Some("user.slice"), "user-.slice"));
        assert!(slice_fits(Some("app-gnome.slice"), "app-gnome-x.slice"));
        assert!(!slice_fits(Some("app.slice"), "app-gnome-x.slice"));
        assert!(!is_unit_name(OsStr::new("a\u{1b}b.service")));
        assert!(!is_unit_name(OsStr::new("a b.service")));
        assert!(is_unit_name(OsStr::new("dbus-:1.2-org.a@0.service")));
        assert!(is_unit_name(OsStr::new("sys-devices-x\\x2d1.slice")));
    }

    #[test]
    fn file_to_property_mapping() {
        let p = |f: &str, v: &str| unit_properties(f, v).unwrap().unwrap();
        assert_eq!(
            p("memory.max", "314572800"),
            [("MemoryMax".to_string(), PropertyValue::U64(314572800))]
        );
        assert_eq!(
            p("memory.high", "max"),
            [("MemoryHigh".to_string(), PropertyValue::U64(u64::MAX))]
        );
        assert_eq!(
            p("pids.max", "64"),
            [("TasksMax".to_string(), PropertyValue::U64(64))]
        );
        assert_eq!(
            p("cpu.max", "20000 100000"),
            [
                (
                    "CPUQuotaPerSecUSec".to_string(),
                    PropertyValue::U64(200_000)
                ),
                (
                    "CPUQuotaPeriodUSec".to_string(),
                    PropertyValue::U64(100_000)
                ),
            ]
        );
        assert_eq!(
            p("cpu.max", "max 100000")[0].1,
            PropertyValue::U64(u64::MAX)
        );
        assert_eq!(
            p("io.max", "254:0 rbps=1048576 wiops=max"),
            [
                (
                    "IOReadBandwidthMax".to_string(),
                    PropertyValue::Devices(vec![("/dev/block/254:0".into(), 1048576)])
                ),
                (
                    "IOWriteIOPSMax".to_string(),
                    PropertyValue::Devices(vec![("/dev/block/254:0".into(), u64::MAX)])
                ),
            ]
        );
        assert_eq!(
            p("io.weight", "default 50"),
            [("IOWeight".to_string(), PropertyValue::U64(50))]
        );
        assert!(unit_properties("cgroup.subtree_control", "+memory").is_none());
        assert!(unit_properties("cpuset.cpus", "0-1").is_none());
    }
}
