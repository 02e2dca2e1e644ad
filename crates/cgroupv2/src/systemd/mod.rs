//! systemd as the owner of most cgroups on a modern host.
//!
//! systemd's single-writer rule (docs/CGROUP_DELEGATION.md): every cgroup a manager creates is
//! its own, except below a unit with `Delegate=`. Limits of a managed cgroup are changed through
//! the manager (`SetUnitProperties`), never by writing its files. This module tells who owns a
//! cgroup, maps interface files to unit properties, and talks to the managers over D-Bus
//! (zbus; blocking calls wrapped in `zbus::block_on`, to be made off any UI thread).

use crate::escape::SysText;
use crate::fs::Cgroupfs;
use crate::parse;
use crate::path::CgroupPath;
use serde::Serialize;
use std::ffi::OsStr;

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
    /// Shown escaped, like every name (see [`SysText`]).
    pub unit: SysText,
    pub mark: DelegationMark,
}

/// Who may change a cgroup, according to systemd's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ownership {
    /// The manager that owns this cgroup's attributes; `None` when no manager does (not a
    /// systemd host, or inside a delegated subtree and not a unit of a nested manager).
    pub manager: Option<Manager>,
    /// The unit whose cgroup this is, when the manager owns it. Only a name
    /// [`is_unit_name`] accepts becomes a unit, and it is shown escaped all the same.
    pub unit: Option<SysText>,
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
    ["trusted.delegate", "user.delegate"]
        .into_iter()
        .find(|name| fs.xattr(cgroup, name).is_some_and(|v| v.starts_with(b"1")))
        .map(str::to_string)
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
                    unit: Some(unit.into()),
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
            // A delegated unit's own cgroup is the root of its delegation.
            let unit_delegated = mark.is_some();
            let delegation = match mark {
                Some(mark) => Some(Delegation {
                    root: path.clone(),
                    unit: unit.as_str().into(),
                    mark,
                }),
                None => delegation,
            };
            return Ownership {
                manager: Some(current),
                unit: Some(unit.into()),
                delegation,
                unit_delegated,
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
                unit: unit.into(),
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
}

fn limit_value(text: &str) -> Result<u64, String> {
    match parse::limit(text) {
        Ok(crate::Limit::Max) => Ok(u64::MAX),
        Ok(crate::Limit::Value(v)) => Ok(v),
        Err(e) => Err(format!("{text:?}: {e}")),
    }
}

/// The unit properties that set `file` to `value` (already normalised by
/// [`crate::value::normalize`]). `None` when systemd has no property for the file.
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
        crate::Limit::Max => u64::MAX,
        crate::Limit::Value(q) => q.saturating_mul(1_000_000) / cpu.period_usec.max(1),
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
pub fn persistent_location(manager: Manager, unit: &SysText) -> String {
    match manager {
        Manager::System => format!("/etc/systemd/system.control/{unit}.d/50-*.conf"),
        Manager::User { .. } => format!("~/.config/systemd/user.control/{unit}.d/50-*.conf"),
    }
}

#[cfg(feature = "dbus")]
mod bus;
#[cfg(feature = "dbus")]
pub use bus::*;

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
        let system = |unit: &str| (Some(Manager::System), Some(SysText::from(unit)));
        let user = |uid, unit: &str| (Some(Manager::User { uid }), Some(SysText::from(unit)));
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
