//! What runs in a cgroup, named from its path alone: systemd units, login sessions, user
//! managers, Docker, Podman, containerd and CRI-O containers, Kubernetes pods and QoS classes,
//! systemd-nspawn machines, LXC containers and desktop/Flatpak apps.
//!
//! [`Workload::of`] reads nothing but the path: no privileges, no sockets, no files. Names in a
//! path are chosen by whoever made the cgroup, so they stay raw bytes ([`SysText`]) and reach a
//! screen or JSON only escaped. [`engine`] can add container names and images by asking Docker
//! or Podman (`--resolve-names`), never on its own.
//!
//! ```
//! use cgroupv2::CgroupPath;
//! use cgroupv2::workload::{Kind, Qos, Workload};
//! use std::path::Path;
//!
//! let path = CgroupPath::from_relative(Path::new(
//!     "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c3d4e_5f6a_7b8c_9d0e_1f2a3b4c5d6e.slice/cri-containerd-77ab3c1d2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b.scope",
//! )).unwrap();
//! let w = Workload::of(&path);
//! assert_eq!(w.kind, Some(Kind::Containerd));
//! assert_eq!(w.id.as_deref(), Some("77ab3c1d2e4f"));
//! assert_eq!(w.pod_uid.as_deref(), Some("1b2c3d4e-5f6a-7b8c-9d0e-1f2a3b4c5d6e"));
//! assert_eq!(w.qos, Some(Qos::Burstable));
//! // The labels a metrics exporter attaches (only the known fields).
//! assert_eq!(w.labels()[0], ("kind", "containerd".to_string()));
//! ```

pub mod engine;

use crate::escape::SysText;
use crate::path::CgroupPath;
use crate::systemd;
use serde::Serialize;
use std::ffi::OsStr;

/// What kind of workload a cgroup holds. JSON names are the kebab-case of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A systemd slice (`foo.slice`) not recognised as anything more specific.
    Slice,
    /// A systemd service (`foo.service`).
    Service,
    /// A systemd scope (`foo.scope`).
    Scope,
    /// A login session: `session-N.scope` under `user-UID.slice`.
    Session,
    /// A user's systemd manager: `user@UID.service`.
    UserManager,
    /// A Docker container: `docker-ID.scope` (systemd driver) or `/docker/ID` (cgroupfs).
    Docker,
    /// A Podman container: `libpod-ID.scope`, `libpod-ID`, `libpod-payload-ID`.
    Podman,
    /// A Podman pod: `machine-libpod_pod_ID.slice`, `user-libpod_pod_ID.slice`, `libpod_pod_ID`.
    PodmanPod,
    /// A container monitor (Podman's or CRI-O's conmon): `libpod-conmon-ID.scope`, `crio-conmon-ID.scope`.
    Conmon,
    /// A containerd container under Kubernetes: `cri-containerd-ID.scope`.
    Containerd,
    /// A CRI-O container: `crio-ID.scope` or `crio-ID`.
    CriO,
    /// A container of a pod whose engine the path does not tell (cgroupfs driver: `podUID/ID`).
    Container,
    /// A Kubernetes pod: `kubepods[-QOS]-podUID.slice` or `/kubepods[/QOS]/podUID`.
    Pod,
    /// A Kubernetes QoS class: `kubepods-burstable.slice`, `/kubepods/besteffort`.
    QosClass,
    /// A machine registered with systemd-machined: `machine-NAME.scope` (systemd-nspawn,
    /// libvirt), or `systemd-nspawn@NAME.service`.
    Machine,
    /// An LXC/LXD/Incus container: `lxc.payload.NAME` (older: `/lxc/NAME`).
    Lxc,
    /// LXC's monitor process of a container: `lxc.monitor.NAME`.
    LxcMonitor,
    /// A desktop app started by a launcher: `app[-LAUNCHER]-APPID-RANDOM.scope`,
    /// `app[-LAUNCHER]-APPID@RANDOM.service`.
    App,
    /// A Flatpak app: an app whose launcher is `flatpak`.
    Flatpak,
}

impl Kind {
    /// The JSON name: `docker`, `cri-o`, `user-manager`, ...
    pub fn id(self) -> &'static str {
        match self {
            Kind::Slice => "slice",
            Kind::Service => "service",
            Kind::Scope => "scope",
            Kind::Session => "session",
            Kind::UserManager => "user-manager",
            Kind::Docker => "docker",
            Kind::Podman => "podman",
            Kind::PodmanPod => "podman-pod",
            Kind::Conmon => "conmon",
            Kind::Containerd => "containerd",
            Kind::CriO => "cri-o",
            Kind::Container => "container",
            Kind::Pod => "pod",
            Kind::QosClass => "qos-class",
            Kind::Machine => "machine",
            Kind::Lxc => "lxc",
            Kind::LxcMonitor => "lxc-monitor",
            Kind::App => "app",
            Kind::Flatpak => "flatpak",
        }
    }

    /// A container an engine (Docker, Podman) can name when asked.
    pub fn is_container(self) -> bool {
        matches!(
            self,
            Kind::Docker | Kind::Podman | Kind::Containerd | Kind::CriO | Kind::Container
        )
    }

    /// Whose id is a 64-hex-digit container or pod id, shown short.
    fn has_hex_id(self) -> bool {
        self.is_container() || matches!(self, Kind::PodmanPod | Kind::Conmon)
    }
}

/// A Kubernetes pod's quality of service class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Qos {
    Guaranteed,
    Burstable,
    BestEffort,
}

impl Qos {
    fn parse(text: &str) -> Option<Qos> {
        match text {
            "burstable" => Some(Qos::Burstable),
            "besteffort" => Some(Qos::BestEffort),
            "guaranteed" => Some(Qos::Guaranteed),
            _ => None,
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Qos::Guaranteed => "guaranteed",
            Qos::Burstable => "burstable",
            Qos::BestEffort => "besteffort",
        }
    }
}

/// How many hex digits of a container id are shown (as `docker ps` does).
pub const SHORT_ID: usize = 12;

/// A cgroup's workload as its path tells it. Every field is `None` when the path does not say;
/// `Serialize` gives exactly `{kind, id, name, pod_uid, qos, user, session}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Workload {
    pub kind: Option<Kind>,
    /// A container's or Podman pod's id, 12 hex digits; an app's instance; a machine's or
    /// LXC container's name is in `name`, not here.
    pub id: Option<String>,
    /// A unit's name unescaped (`foo-bar` of `foo\x2dbar.service`), a machine's, an LXC
    /// container's or an app's. Chosen by whoever made the cgroup: shown escaped.
    pub name: Option<SysText>,
    /// The Kubernetes pod this cgroup is in, as a UID with dashes (the systemd driver's
    /// underscores turned back).
    pub pod_uid: Option<String>,
    pub qos: Option<Qos>,
    /// The user this cgroup belongs to (under `user-UID.slice` or `user@UID.service`): a name
    /// once [`Workload::resolve_user`] found one, else the uid.
    pub user: Option<SysText>,
    /// The login session (`session-N.scope`) this cgroup is, or is in.
    pub session: Option<SysText>,
    /// The container's full id, for asking its engine.
    #[serde(skip)]
    pub full_id: Option<String>,
    /// The uid the path names, whose user manager (and container engine) this is under.
    #[serde(skip)]
    pub uid: Option<u32>,
}

fn is_hex_id(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A 64-hex-digit id after `prefix` and before `suffix` (`suffix` may be absent).
fn hex_id<'a>(name: &'a str, prefix: &str, suffix: &str) -> Option<&'a str> {
    let rest = name.strip_prefix(prefix)?;
    let id = rest.strip_suffix(suffix).unwrap_or(rest);
    is_hex_id(id).then_some(id)
}

/// Undo systemd's unit name escaping: `\xNN` becomes the byte NN (`\x2d` is `-`).
pub fn unescape_unit(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && bytes.get(i + 1) == Some(&b'x')
            && let Some(byte) = bytes
                .get(i + 2..i + 4)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// A pod UID as Kubernetes writes it: hex digits and dashes (the systemd driver writes `_`).
fn pod_uid(text: &str) -> Option<String> {
    let uid = text.replace('_', "-");
    (!uid.is_empty() && uid.len() <= 64 && uid.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'))
        .then_some(uid)
}

/// A short, safe token (session ids, app instances): letters, digits, `_.:`.
fn token(text: &str) -> Option<&str> {
    (!text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.:".contains(&b)))
    .then_some(text)
}

/// The Kubernetes meaning of one slice name (`kubepods-burstable-podUID.slice`), found by its
/// `kubepods` segment so a kubelet `--cgroup-root` prefix (`kubelet-kubepods-...`) is allowed.
fn kube_slice(stem: &str) -> Option<(Option<Qos>, Option<String>)> {
    let parts: Vec<&str> = stem.split('-').collect();
    let at = parts.iter().position(|p| *p == "kubepods")?;
    let mut rest = &parts[at + 1..];
    let mut qos = None;
    if let Some(first) = rest.first()
        && let Some(q) = Qos::parse(first)
    {
        qos = Some(q);
        rest = &rest[1..];
    }
    match rest {
        [] => Some((qos, None)),
        [pod] => {
            let uid = pod_uid(pod.strip_prefix("pod")?)?;
            Some((Some(qos.unwrap_or(Qos::Guaranteed)), Some(uid)))
        }
        _ => None,
    }
}

/// Where the walk down the path is, for what a component means.
#[derive(Default)]
struct Walk {
    /// The previous component, for the cgroupfs drivers (`docker/ID`, `kubepods/QOS/podUID`).
    parent: Option<String>,
    /// Below `/kubepods` (cgroupfs driver).
    kubepods_dir: bool,
}

impl Workload {
    /// Name the workload of `path` from the path alone. Context (user, session, pod, QoS) comes
    /// from the ancestors; kind, id and name from the last component.
    pub fn of(path: &CgroupPath) -> Workload {
        let mut workload = Workload::default();
        let mut walk = Walk::default();
        for component in path.as_path().iter() {
            let Some(name) = component.to_str() else {
                // Not UTF-8: no engine or manager names cgroups so; nothing below it is theirs.
                workload.kind = None;
                workload.name = None;
                walk.parent = None;
                walk.kubepods_dir = false;
                continue;
            };
            workload.classify(name, &mut walk);
            walk.parent = Some(name.to_string());
        }
        workload
    }

    fn set(&mut self, kind: Kind, id: Option<&str>, name: Option<Vec<u8>>) {
        self.kind = Some(kind);
        self.full_id = id.map(str::to_string);
        self.id = id.map(|id| {
            if kind.has_hex_id() {
                id[..SHORT_ID.min(id.len())].to_ascii_lowercase()
            } else {
                id.to_string()
            }
        });
        self.name = name.map(SysText::new);
    }

    /// Read one component: context always, kind/id/name (kept only from the last one).
    fn classify(&mut self, name: &str, walk: &mut Walk) {
        let parent = walk.parent.as_deref();
        self.kind = None;
        self.id = None;
        self.full_id = None;
        self.name = None;
        // Kubernetes, cgroupfs driver: /kubepods[/QOS][/podUID[/ID]].
        if name == "kubepods" {
            // The root of every pod; guaranteed pods sit in it directly.
            walk.kubepods_dir = true;
            return;
        }
        if walk.kubepods_dir && self.pod_uid.is_none() {
            if let Some(q) = Qos::parse(name) {
                self.qos = Some(q);
                self.set(Kind::QosClass, None, None);
                return;
            }
            if let Some(uid) = name.strip_prefix("pod").and_then(pod_uid) {
                self.pod_uid = Some(uid);
                self.qos = Some(self.qos.unwrap_or(Qos::Guaranteed));
                self.set(Kind::Pod, None, None);
                return;
            }
        }
        // Containers, by engine prefix (systemd driver), anywhere.
        for (prefix, kind) in [
            ("cri-containerd-", Kind::Containerd),
            ("crio-conmon-", Kind::Conmon),
            ("crio-", Kind::CriO),
            ("docker-", Kind::Docker),
            ("libpod-conmon-", Kind::Conmon),
            ("libpod-payload-", Kind::Podman),
            ("libpod-", Kind::Podman),
        ] {
            if let Some(id) = hex_id(name, prefix, ".scope") {
                self.set(kind, Some(id), None);
                return;
            }
        }
        // Podman pods: machine-libpod_pod_ID.slice, user-libpod_pod_ID.slice, libpod_pod_ID.
        if let Some(at) = name.find("libpod_pod_")
            && let Some(id) = hex_id(&name[at..], "libpod_pod_", ".slice")
        {
            self.set(Kind::PodmanPod, Some(id), None);
            return;
        }
        // cgroupfs drivers: a bare id under its engine's directory or a pod.
        if is_hex_id(name) {
            let kind = match parent {
                Some("docker") => Some(Kind::Docker),
                Some(p) if p.starts_with("libpod_pod_") => Some(Kind::Podman),
                _ if self.pod_uid.is_some() => Some(Kind::Container),
                _ => None,
            };
            if let Some(kind) = kind {
                self.set(kind, Some(name), None);
                return;
            }
        }
        // LXC: lxc.payload.NAME, lxc.monitor.NAME; older /lxc/NAME and /lxc.payload/NAME.
        if let Some(rest) = name.strip_prefix("lxc.payload.") {
            self.set(Kind::Lxc, None, Some(rest.as_bytes().to_vec()));
            return;
        }
        if let Some(rest) = name.strip_prefix("lxc.monitor.") {
            self.set(Kind::LxcMonitor, None, Some(rest.as_bytes().to_vec()));
            return;
        }
        if matches!(parent, Some("lxc" | "lxc.payload")) {
            self.set(Kind::Lxc, None, Some(name.as_bytes().to_vec()));
            return;
        }
        if !systemd::is_unit_name(OsStr::new(name)) {
            return;
        }
        self.classify_unit(name);
    }

    fn classify_unit(&mut self, name: &str) {
        let (stem, kind) = if let Some(stem) = name.strip_suffix(".slice") {
            (stem, Kind::Slice)
        } else if let Some(stem) = name.strip_suffix(".service") {
            (stem, Kind::Service)
        } else if let Some(stem) = name.strip_suffix(".scope") {
            (stem, Kind::Scope)
        } else {
            return;
        };
        match kind {
            Kind::Slice => {
                match kube_slice(stem) {
                    Some((qos, Some(uid))) => {
                        self.pod_uid = Some(uid);
                        self.qos = qos;
                        self.set(Kind::Pod, None, None);
                        return;
                    }
                    Some((Some(qos), None)) => {
                        self.qos = Some(qos);
                        self.set(Kind::QosClass, None, None);
                        return;
                    }
                    // kubepods.slice itself: a slice, the root of every pod.
                    _ => {}
                }
                // user-UID.slice: everything below is that user's.
                if let Some(uid) = stem.strip_prefix("user-").and_then(|u| u.parse().ok()) {
                    self.uid = Some(uid);
                }
            }
            Kind::Service => {
                if let Some(uid) = systemd::user_manager_uid(name) {
                    self.uid = Some(uid);
                    self.set(Kind::UserManager, None, None);
                    return;
                }
                if let Some(machine) = stem.strip_prefix("systemd-nspawn@") {
                    self.set(Kind::Machine, None, Some(unescape_unit(machine)));
                    return;
                }
                if let Some(rest) = stem.strip_prefix("app-") {
                    let (app, instance) = rest.split_once('@').unwrap_or((rest, ""));
                    self.app(app, token(instance));
                    return;
                }
            }
            Kind::Scope => {
                if let Some(session) = stem.strip_prefix("session-").and_then(token) {
                    self.session = Some(SysText::from(session));
                    self.set(Kind::Session, None, None);
                    return;
                }
                if let Some(machine) = stem.strip_prefix("machine-") {
                    self.set(Kind::Machine, None, Some(unescape_unit(machine)));
                    return;
                }
                if let Some(rest) = stem.strip_prefix("app-") {
                    let (app, instance) = match rest.rsplit_once('-') {
                        Some((app, instance)) => (app, token(instance)),
                        None => (rest, None),
                    };
                    self.app(app, instance);
                    return;
                }
            }
            _ => {}
        }
        self.set(kind, None, Some(unescape_unit(stem)));
    }

    /// `[LAUNCHER-]APPID` of an app unit (the app id has its own dashes escaped).
    fn app(&mut self, app: &str, instance: Option<&str>) {
        let (launcher, app_id) = match app.split_once('-') {
            Some((launcher, app_id)) => (Some(launcher), app_id),
            None => (None, app),
        };
        let kind = if launcher == Some("flatpak") {
            Kind::Flatpak
        } else {
            Kind::App
        };
        self.set(kind, instance, Some(unescape_unit(app_id)));
    }

    /// Nothing is known.
    pub fn is_empty(&self) -> bool {
        *self == Workload::default()
    }

    /// Fill `user` with the name of `uid` (from `lookup`), or the uid when it has none.
    pub fn resolve_user(&mut self, lookup: impl FnOnce(u32) -> Option<SysText>) {
        if let Some(uid) = self.uid {
            self.user = Some(lookup(uid).unwrap_or_else(|| SysText::from(uid.to_string())));
        }
    }

    /// The labels a metrics exporter attaches to a cgroup's series: `(key, value)` for each
    /// known field, keys as in JSON (`kind`, `id`, `name`, `pod_uid`, `qos`, `user`,
    /// `session`), in that order; unknown fields are left out rather than empty. Values are
    /// escaped ([`SysText`]'s `Display`) but not quoted for any exposition format.
    pub fn labels(&self) -> Vec<(&'static str, String)> {
        let mut labels = Vec::new();
        let mut push = |key, value: Option<String>| {
            if let Some(value) = value {
                labels.push((key, value));
            }
        };
        push("kind", self.kind.map(|k| k.id().to_string()));
        push("id", self.id.clone());
        push("name", self.name.as_ref().map(SysText::to_string));
        push("pod_uid", self.pod_uid.clone());
        push("qos", self.qos.map(|q| q.id().to_string()));
        push("user", self.user.as_ref().map(SysText::to_string));
        push("session", self.session.as_ref().map(SysText::to_string));
        labels
    }

    /// A short name for a tree row, when it says more than the cgroup's own name `raw` (which
    /// stays available): `docker 3f2a4b5c6d7e`, `pod 1b2c3d4e burstable`, `session 3`,
    /// `machine web`, `foo-bar.service` for `foo\x2dbar.service`; `None` when the own name says
    /// it all. `engine_name` is the container's name its engine gave (`--resolve-names`).
    /// Escaped.
    pub fn short_label(&self, raw: &OsStr, engine_name: Option<&SysText>) -> Option<String> {
        let kind = self.kind?;
        let name = self.name.as_ref().map(SysText::to_string);
        let id = self.id.as_deref().unwrap_or("");
        Some(match kind {
            k if k.has_hex_id() => match engine_name {
                Some(engine) => format!("{} {engine} ({id})", k.id()),
                None => format!("{} {id}", k.id()),
            },
            Kind::Pod => {
                let uid = self.pod_uid.as_deref().unwrap_or("");
                let short = uid.split('-').next().unwrap_or(uid);
                let qos = self.qos.map_or("", Qos::id);
                format!("pod {short} {qos}").trim_end().to_string()
            }
            Kind::Session => {
                let session = self
                    .session
                    .as_ref()
                    .map_or(String::new(), |s| s.to_string());
                format!("session {session}")
            }
            Kind::Machine | Kind::Lxc | Kind::LxcMonitor | Kind::App | Kind::Flatpak => {
                format!("{} {}", kind.id(), name.unwrap_or_default())
            }
            Kind::Slice | Kind::Service | Kind::Scope => {
                // Only an escaped unit name reads differently unescaped.
                if !raw.as_encoded_bytes().windows(2).any(|w| w == b"\\x") {
                    return None;
                }
                let suffix = match kind {
                    Kind::Slice => ".slice",
                    Kind::Service => ".service",
                    _ => ".scope",
                };
                format!("{}{suffix}", name.unwrap_or_default())
            }
            _ => return None,
        })
    }

    /// One line for a details pane: `Docker container 3f2a4b5c6d7e`, `Kubernetes pod
    /// 1b2c…-… (QoS burstable)`, `login session 3 of alice`. Escaped.
    pub fn describe(&self) -> Option<String> {
        let kind = self.kind?;
        let id = self.id.as_deref().unwrap_or("?");
        let name = self
            .name
            .as_ref()
            .map_or_else(|| "?".to_string(), SysText::to_string);
        let mut text = match kind {
            Kind::Slice => format!("slice {name}"),
            Kind::Service => format!("service {name}"),
            Kind::Scope => format!("scope {name}"),
            Kind::Session => format!(
                "login session {}",
                self.session.as_ref().map_or("?".into(), |s| s.to_string())
            ),
            Kind::UserManager => "user manager (user@UID.service)".to_string(),
            Kind::Docker => format!("Docker container {id}"),
            Kind::Podman => format!("Podman container {id}"),
            Kind::PodmanPod => format!("Podman pod {id}"),
            Kind::Conmon => format!("container monitor (conmon) of {id}"),
            Kind::Containerd => format!("containerd container {id}"),
            Kind::CriO => format!("CRI-O container {id}"),
            Kind::Container => format!("container {id}"),
            Kind::Pod => "Kubernetes pod".to_string(),
            Kind::QosClass => "Kubernetes QoS class".to_string(),
            Kind::Machine => format!("machine {name} (systemd-machined)"),
            Kind::Lxc => format!("LXC container {name}"),
            Kind::LxcMonitor => format!("LXC monitor of {name}"),
            Kind::App => format!("app {name}"),
            Kind::Flatpak => format!("Flatpak app {name}"),
        };
        if let Some(uid) = &self.pod_uid {
            text.push_str(&format!(" · pod {uid}"));
        }
        if let Some(qos) = self.qos {
            text.push_str(&format!(" · QoS {}", qos.id()));
        }
        if let (Some(session), false) = (&self.session, kind == Kind::Session) {
            text.push_str(&format!(" · session {session}"));
        }
        if let Some(user) = &self.user {
            text.push_str(&format!(" · user {user}"));
        }
        Some(text)
    }
}

/// The user name of `uid` from the password database, raw (defined in [`crate::users`]).
pub use crate::users::raw_user_name as user_name;

/// [`Workload::of`] with the user's name looked up: what `snapshot --json` reports and a
/// metrics exporter labels with. Batch callers should cache `lookup` per uid.
pub fn workload_with_user(
    path: &CgroupPath,
    lookup: impl FnOnce(u32) -> Option<SysText>,
) -> Workload {
    let mut workload = Workload::of(path);
    workload.resolve_user(lookup);
    workload
}

#[cfg(test)]
mod tests;
