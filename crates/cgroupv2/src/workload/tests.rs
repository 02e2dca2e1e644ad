use super::*;
use std::path::Path;

const ID: &str = "3f2a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a";
const SHORT: &str = "3f2a4b5c6d7e";
const POD: &str = "1b2c3d4e-5f6a-7b8c-9d0e-1f2a3b4c5d6e";

fn of(path: &str) -> Workload {
    let mut w = Workload::of(&CgroupPath::from_relative(Path::new(path)).unwrap());
    w.resolve_user(|uid| (uid == 1000).then(|| SysText::from("alice")));
    w
}

fn name(w: &Workload) -> Option<String> {
    w.name.as_ref().map(|n| n.to_string())
}

#[test]
fn systemd_units_with_escaped_names() {
    let w = of("system.slice/foo\\x2dbar.service");
    assert_eq!(w.kind, Some(Kind::Service));
    assert_eq!(name(&w).as_deref(), Some("foo-bar"));
    assert_eq!(w.user, None);
    let w = of("system.slice/system-serial\\x2dgetty.slice");
    assert_eq!(w.kind, Some(Kind::Slice));
    assert_eq!(name(&w).as_deref(), Some("system-serial-getty"));
    assert_eq!(
        w.short_label(OsStr::new("system-serial\\x2dgetty.slice"), None)
            .as_deref(),
        Some("system-serial-getty.slice")
    );
    // A name that reads the same unescaped keeps its own.
    assert_eq!(
        of("init.scope").short_label(OsStr::new("init.scope"), None),
        None
    );
    // An escape that makes a control character stays visible.
    let w = of("system.slice/evil\\x1b\\x5d0.service");
    assert_eq!(name(&w).as_deref(), Some("evil\\e]0"));
}

#[test]
fn sessions_and_user_managers() {
    let w = of("user.slice/user-1000.slice/session-3.scope");
    assert_eq!(w.kind, Some(Kind::Session));
    assert_eq!(
        w.session.as_ref().map(|s| s.to_string()).as_deref(),
        Some("3")
    );
    assert_eq!(
        w.user.as_ref().map(|s| s.to_string()).as_deref(),
        Some("alice")
    );
    assert_eq!(
        w.short_label(OsStr::new("session-3.scope"), None)
            .as_deref(),
        Some("session 3")
    );
    let w = of("user.slice/user-1000.slice/user@1000.service");
    assert_eq!(w.kind, Some(Kind::UserManager));
    assert_eq!(w.uid, Some(1000));
    let w = of("user.slice/user-1001.slice/user@1001.service/app.slice/foo.service");
    assert_eq!(w.kind, Some(Kind::Service));
    assert_eq!(
        w.user.as_ref().map(|s| s.to_string()).as_deref(),
        Some("1001")
    );
    // lightdm's greeter sessions are c1, c2...
    let w = of("user.slice/user-113.slice/session-c1.scope");
    assert_eq!(
        w.session.as_ref().map(|s| s.to_string()).as_deref(),
        Some("c1")
    );
}

#[test]
fn docker_with_both_drivers() {
    let w = of(&format!("system.slice/docker-{ID}.scope"));
    assert_eq!((w.kind, w.id.as_deref()), (Some(Kind::Docker), Some(SHORT)));
    assert_eq!(w.full_id.as_deref(), Some(ID));
    assert_eq!(
        w.short_label(OsStr::new(""), None).as_deref(),
        Some("docker 3f2a4b5c6d7e")
    );
    assert_eq!(
        w.short_label(OsStr::new(""), Some(&SysText::from("web-1")))
            .as_deref(),
        Some("docker web-1 (3f2a4b5c6d7e)")
    );
    let w = of(&format!("docker/{ID}"));
    assert_eq!((w.kind, w.id.as_deref()), (Some(Kind::Docker), Some(SHORT)));
    // Not an id: a scope like any other.
    let w = of("system.slice/docker-compose.scope");
    assert_eq!(w.kind, Some(Kind::Scope));
    // A hex name elsewhere is nobody's container.
    assert_eq!(of(&format!("somewhere/{ID}")).kind, None);
}

#[test]
fn podman_rootful_and_rootless() {
    let w = of(&format!("machine.slice/libpod-{ID}.scope"));
    assert_eq!((w.kind, w.id.as_deref()), (Some(Kind::Podman), Some(SHORT)));
    assert_eq!(w.user, None);
    let w = of(&format!("machine.slice/libpod-{ID}.scope/container"));
    assert_eq!(w.kind, None);
    let w = of(&format!("machine.slice/libpod-conmon-{ID}.scope"));
    assert_eq!(w.kind, Some(Kind::Conmon));
    // Rootless, nested under the user's manager.
    let w = of(&format!(
        "user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope"
    ));
    assert_eq!((w.kind, w.id.as_deref()), (Some(Kind::Podman), Some(SHORT)));
    assert_eq!(
        w.user.as_ref().map(|s| s.to_string()).as_deref(),
        Some("alice")
    );
    assert_eq!(w.uid, Some(1000));
    // cgroupfs manager and split cgroups.
    let w = of(&format!("libpod_parent/libpod-{ID}"));
    assert_eq!(w.kind, Some(Kind::Podman));
    let w = of(&format!(
        "user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope/libpod-payload-{ID}"
    ));
    assert_eq!((w.kind, w.id.as_deref()), (Some(Kind::Podman), Some(SHORT)));
    // Pods.
    let w = of(&format!("machine.slice/machine-libpod_pod_{ID}.slice"));
    assert_eq!(
        (w.kind, w.id.as_deref()),
        (Some(Kind::PodmanPod), Some(SHORT))
    );
    let w = of(&format!(
        "user.slice/user-1000.slice/user@1000.service/user.slice/user-libpod_pod_{ID}.slice"
    ));
    assert_eq!(w.kind, Some(Kind::PodmanPod));
}

#[test]
fn kubernetes_systemd_driver() {
    let pod = POD.replace('-', "_");
    let base = format!("kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{pod}.slice");
    let w = of("kubepods.slice");
    assert_eq!((w.kind, w.qos), (Some(Kind::Slice), None));
    let w = of("kubepods.slice/kubepods-burstable.slice");
    assert_eq!(
        (w.kind, w.qos),
        (Some(Kind::QosClass), Some(Qos::Burstable))
    );
    let w = of(&base);
    assert_eq!(w.kind, Some(Kind::Pod));
    assert_eq!(w.pod_uid.as_deref(), Some(POD));
    assert_eq!(w.qos, Some(Qos::Burstable));
    assert_eq!(
        w.short_label(OsStr::new(""), None).as_deref(),
        Some("pod 1b2c3d4e burstable")
    );
    for (prefix, kind) in [
        ("cri-containerd-", Kind::Containerd),
        ("crio-", Kind::CriO),
        ("docker-", Kind::Docker),
        ("crio-conmon-", Kind::Conmon),
    ] {
        let w = of(&format!("{base}/{prefix}{ID}.scope"));
        assert_eq!(w.kind, Some(kind), "{prefix}");
        assert_eq!(w.id.as_deref(), Some(SHORT));
        assert_eq!(w.pod_uid.as_deref(), Some(POD));
        assert_eq!(w.qos, Some(Qos::Burstable));
    }
    // Guaranteed pods sit in kubepods.slice directly.
    let w = of(&format!(
        "kubepods.slice/kubepods-pod{pod}.slice/cri-containerd-{ID}.scope"
    ));
    assert_eq!(
        (w.qos, w.pod_uid.as_deref()),
        (Some(Qos::Guaranteed), Some(POD))
    );
    let w = of(&format!(
        "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{pod}.slice"
    ));
    assert_eq!(w.qos, Some(Qos::BestEffort));
    // A kubelet --cgroup-root prefix (kind, k3s in docker).
    let w = of(&format!(
        "kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod{pod}.slice/cri-containerd-{ID}.scope"
    ));
    assert_eq!(
        (w.kind, w.qos),
        (Some(Kind::Containerd), Some(Qos::BestEffort))
    );
    assert_eq!(w.pod_uid.as_deref(), Some(POD));
}

#[test]
fn kubernetes_cgroupfs_driver() {
    let w = of(&format!("kubepods/burstable/pod{POD}/{ID}"));
    assert_eq!(
        (w.kind, w.id.as_deref()),
        (Some(Kind::Container), Some(SHORT))
    );
    assert_eq!(
        (w.qos, w.pod_uid.as_deref()),
        (Some(Qos::Burstable), Some(POD))
    );
    assert!(of("kubepods").is_empty());
    let w = of(&format!("kubepods/pod{POD}"));
    assert_eq!((w.kind, w.qos), (Some(Kind::Pod), Some(Qos::Guaranteed)));
    let w = of("kubepods/besteffort");
    assert_eq!(
        (w.kind, w.qos),
        (Some(Kind::QosClass), Some(Qos::BestEffort))
    );
    let w = of(&format!("kubepods/besteffort/pod{POD}/crio-{ID}"));
    assert_eq!((w.kind, w.qos), (Some(Kind::CriO), Some(Qos::BestEffort)));
}

#[test]
fn machines_lxc_and_apps() {
    let w = of("machine.slice/machine-qemu\\x2d1\\x2ddebian.scope");
    assert_eq!(w.kind, Some(Kind::Machine));
    assert_eq!(name(&w).as_deref(), Some("qemu-1-debian"));
    assert_eq!(
        w.short_label(OsStr::new(""), None).as_deref(),
        Some("machine qemu-1-debian")
    );
    let w = of("machine.slice/systemd-nspawn@web.service");
    assert_eq!(
        (w.kind, name(&w).as_deref()),
        (Some(Kind::Machine), Some("web"))
    );
    let w = of("lxc.payload.web01");
    assert_eq!(
        (w.kind, name(&w).as_deref()),
        (Some(Kind::Lxc), Some("web01"))
    );
    let w = of("lxc.monitor.web01");
    assert_eq!(w.kind, Some(Kind::LxcMonitor));
    let w = of("lxc/old");
    assert_eq!(
        (w.kind, name(&w).as_deref()),
        (Some(Kind::Lxc), Some("old"))
    );
    let app = "user.slice/user-1000.slice/user@1000.service/app.slice";
    let w = of(&format!(
        "{app}/app-flatpak-org.mozilla.firefox-12345.scope"
    ));
    assert_eq!(w.kind, Some(Kind::Flatpak));
    assert_eq!(name(&w).as_deref(), Some("org.mozilla.firefox"));
    assert_eq!(w.id.as_deref(), Some("12345"));
    assert_eq!(
        w.user.as_ref().map(|s| s.to_string()).as_deref(),
        Some("alice")
    );
    let w = of(&format!("{app}/app-gnome-org.gnome.Terminal-3214.scope"));
    assert_eq!(w.kind, Some(Kind::App));
    assert_eq!(name(&w).as_deref(), Some("org.gnome.Terminal"));
    let w = of(&format!("{app}/app-org.kde.konsole\\x2dnightly-77.scope"));
    assert_eq!(name(&w).as_deref(), Some("org.kde.konsole-nightly"));
    let w = of(&format!("{app}/app-gnome-org.gnome.Nautilus@a1b2.service"));
    assert_eq!((w.kind, w.id.as_deref()), (Some(Kind::App), Some("a1b2")));
}

#[test]
fn json_has_exactly_the_fields_with_nulls() {
    let w = of(&format!("system.slice/docker-{ID}.scope"));
    let json = serde_json::to_value(&w).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    let mut expected = vec!["kind", "id", "name", "pod_uid", "qos", "user", "session"];
    expected.sort();
    let mut keys = keys;
    keys.sort();
    assert_eq!(keys, expected);
    assert_eq!(json["kind"], "docker");
    assert_eq!(json["id"], SHORT);
    assert!(json["name"].is_null() && json["user"].is_null());
    let plain = serde_json::to_value(of("a/b")).unwrap();
    assert!(plain.as_object().unwrap().values().all(|v| v.is_null()));
}

#[test]
fn labels_are_the_known_fields_in_json_order() {
    let pod = format!(
        "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{}.slice",
        POD.replace('-', "_")
    );
    let w = of(&format!("{pod}/cri-containerd-{ID}.scope"));
    let expected: Vec<(&str, String)> = vec![
        ("kind", "containerd".into()),
        ("id", SHORT.into()),
        ("pod_uid", POD.into()),
        ("qos", "burstable".into()),
    ];
    assert_eq!(w.labels(), expected);
    let w = of("user.slice/user-1000.slice/session-3.scope");
    assert_eq!(
        w.labels(),
        vec![
            ("kind", "session".to_string()),
            ("user", "alice".into()),
            ("session", "3".into())
        ]
    );
    // Every label key is a JSON field, so an exporter and snapshot --json agree.
    let json = serde_json::to_value(&w).unwrap();
    for (key, value) in w.labels() {
        assert_eq!(json[key], value.as_str());
    }
    assert!(of("a/b").labels().is_empty());
}

#[test]
fn hostile_names_stay_escaped() {
    for hostile in crate::escape::HOSTILE_NAMES {
        let mut raw = b"lxc.payload.".to_vec();
        raw.extend_from_slice(hostile);
        let path =
            CgroupPath::root().join(<OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(&raw));
        let w = Workload::of(&path);
        let shown = format!(
            "{} {} {:?}",
            serde_json::to_string(&w).unwrap(),
            w.short_label(path.name(), None).unwrap_or_default(),
            w.labels()
        );
        assert!(!crate::escape::has_raw_hostile(shown.as_bytes()), "{shown}");
    }
}
