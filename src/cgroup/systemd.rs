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
use zbus::OwnedVariant;

/// A systemd manager: the system instance (PID 1), or a user's `user@UID.service`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

/// Does this cgroup name look like a systemd unit (`foo.service`, `bar.slice`, `x.scope`)?
pub fn is_unit_name(name: &OsStr) -> bool {
    name.to_str().is_some_and(|n| {
        UNIT_SUFFIXES
            .iter()
            .any(|s| n.len() > s.len() && n.ends_with(s))
    })
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
pub fn ownership(
    fs: &Cgroupfs,
    cgroup: &CgroupPath,
    delegate_property: &dyn Fn(Manager, &str) -> Option<bool>,
) -> Ownership {
    let mut manager = is_systemd_hierarchy(fs).then_some(Manager::System);
    let mut delegation = None;
    let mut path = CgroupPath::root();
    let components: Vec<&OsStr> = cgroup.as_path().iter().collect();
    for (index, name) in components.iter().enumerate() {
        path = path.join(name);
        let last = index + 1 == components.len();
        let Some(current) = manager else { continue };
        if !is_unit_name(name) {
            // A directory someone made by hand below a unit: no manager knows it.
            manager = None;
            if last {
                return Ownership {
                    manager: None,
                    unit: None,
                    delegation,
                    unit_delegated: false,
                };
            }
            continue;
        }
        let unit = name.to_string_lossy().into_owned();
        // Only services and scopes can be delegated; slices never are.
        let can_delegate = !unit.ends_with(".slice");
        let mark = if !can_delegate {
            None
        } else if let Some(xattr) = delegation_xattr(fs, &path) {
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
        if let Some(mark) = mark {
            manager = match (current, user_manager_uid(&unit)) {
                (Manager::System, Some(uid)) => Some(Manager::User { uid }),
                _ => None,
            };
            delegation = Some(Delegation {
                root: path.clone(),
                unit,
                mark,
            });
        }
    }
    Ownership {
        manager: if cgroup.is_root() { None } else { manager },
        unit: None,
        delegation,
        unit_delegated: false,
    }
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

impl From<zbus::Error> for BusError {
    fn from(err: zbus::Error) -> Self {
        match &err {
            zbus::Error::MethodError(name, detail, _) => BusError {
                name: Some(name.to_string()),
                message: format!("{name}: {}", detail.clone().unwrap_or_default()),
            },
            _ => BusError {
                name: None,
                message: err.to_string(),
            },
        }
    }
}

/// A connection to one manager.
pub struct Client {
    conn: zbus::Connection,
}

impl Client {
    /// Use an existing connection (tests hand in a peer-to-peer one).
    pub fn with_connection(conn: zbus::Connection) -> Client {
        Client { conn }
    }

    /// Connect to `manager`'s bus: the system bus, or the user's bus at
    /// `$XDG_RUNTIME_DIR/bus` (`/run/user/UID/bus`), which only that user may use.
    pub fn connect(manager: Manager) -> Result<Client, BusError> {
        let conn = zbus::block_on(async {
            match manager {
                Manager::System => zbus::Connection::system().await,
                Manager::User { uid } => {
                    let me = rustix::process::geteuid().as_raw();
                    if me == uid && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
                        zbus::Connection::session().await
                    } else {
                        let address = format!("unix:path=/run/user/{uid}/bus");
                        zbus::connection::Builder::address(address.as_str())
                            .build()
                            .await
                    }
                }
            }
        })
        .map_err(|e| {
            let mut err = BusError::from(e);
            err.message = format!("cannot reach {manager}: {}", err.message);
            err
        })?;
        Ok(Client { conn })
    }

    fn manager(&self) -> zbus::Result<zbus_systemd::systemd1::ManagerProxy<'_>> {
        zbus::block_on(zbus_systemd::systemd1::ManagerProxy::new(&self.conn))
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
        let proxy = self.manager()?;
        zbus::block_on(proxy.set_unit_properties(unit.to_string(), runtime, list))?;
        Ok(())
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
        let proxy = self.manager()?;
        zbus::block_on(proxy.start_transient_unit(
            unit.to_string(),
            "fail".to_string(),
            props,
            Vec::new(),
        ))?;
        Ok(())
    }

    pub fn stop_unit(&self, unit: &str) -> Result<(), BusError> {
        let proxy = self.manager()?;
        zbus::block_on(proxy.stop_unit(unit.to_string(), "fail".to_string()))?;
        Ok(())
    }

    /// The unit's `Delegate` property (scopes and services), `None` if it cannot be read.
    pub fn delegate(&self, unit: &str) -> Option<bool> {
        zbus::block_on(async {
            let manager = zbus_systemd::systemd1::ManagerProxy::new(&self.conn)
                .await
                .ok()?;
            let path = manager.get_unit(unit.to_string()).await.ok()?;
            if unit.ends_with(".scope") {
                let scope = zbus_systemd::systemd1::ScopeProxy::builder(&self.conn)
                    .path(path)
                    .build()
                    .await
                    .ok()?;
                scope.delegate().await.ok()
            } else if unit.ends_with(".service") {
                let service = zbus_systemd::systemd1::ServiceProxy::builder(&self.conn)
                    .path(path)
                    .build()
                    .await
                    .ok()?;
                service.delegate().await.ok()
            } else {
                None
            }
        })
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
