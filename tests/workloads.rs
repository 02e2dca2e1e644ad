//! Workload names end to end, on a fixture tree laid out like a host running Docker, rootless
//! Podman under alice's user manager, a Kubernetes pod and an escaped unit name: the tree's
//! labels and `v` for raw names, the details pane, names from an engine's answer, and
//! `snapshot --json`'s `workload` object.

mod common;

use cgtui::app::{Action, App, Effect, Event, Options};
use cgtui::cgroup::escape::{HOSTILE_NAMES, SysText, has_raw_hostile};
use cgtui::cgroup::workload::engine::{Container, Source};
use cgtui::cgroup::{CgroupPath, Cgroupfs};
use cgtui::collect::sample_tree;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Instant;

const DOCKER: &str = "3f2a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a";
const PODMAN: &str = "9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b";
const CONTAINERD: &str = "77ab3c1d2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b";
const POD: &str = "1b2c3d4e_5f6a_7b8c_9d0e_1f2a3b4c5d6e";

fn docker_scope() -> String {
    format!("system.slice/docker-{DOCKER}.scope")
}

fn podman_scope() -> String {
    format!("user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{PODMAN}.scope")
}

fn pod_slice() -> String {
    format!("kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{POD}.slice")
}

/// A fake cgroup tree with every shape, and a hostile LXC name.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let container = format!("{}/cri-containerd-{CONTAINERD}.scope", pod_slice());
    for path in [
        docker_scope(),
        podman_scope(),
        container,
        "system.slice/foo\\x2dbar.service".to_string(),
        "user.slice/user-1000.slice/session-3.scope".to_string(),
    ] {
        std::fs::create_dir_all(dir.path().join(path)).unwrap();
    }
    let mut hostile = b"lxc.payload.".to_vec();
    hostile.extend_from_slice(HOSTILE_NAMES[0]);
    std::fs::create_dir(dir.path().join(OsStr::from_bytes(&hostile))).unwrap();
    // Every cgroup has a cgroup.procs (a read of a cgroup without one finds it gone).
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(at) = stack.pop() {
        std::fs::write(at.join("cgroup.procs"), "").unwrap();
        for entry in std::fs::read_dir(&at).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            }
        }
    }
    dir
}

fn app(fs: &Cgroupfs, resolve_names: bool) -> App {
    let mut app = App::new(
        Options {
            uid: 0,
            cpus: 2,
            resolve_names,
            ..Options::new(CgroupPath::root(), fs.devices(), "fixture")
        },
        Instant::now(),
    );
    app.update(Event::Resize(160, 40));
    let tree = sample_tree(fs, &CgroupPath::root(), None, false);
    app.update(Event::Tree(tree));
    app.act(Action::First);
    app.act(Action::ExpandAll);
    app
}

fn render(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(160, 40)).unwrap();
    terminal
        .draw(|frame| cgtui::ui::render(app, frame))
        .unwrap();
    terminal.backend().to_string()
}

#[test]
fn the_tree_names_workloads_and_v_shows_raw_names() {
    let dir = fixture();
    let fs = Cgroupfs::fixture(dir.path()).unwrap();
    let mut app = app(&fs, false);
    let screen = render(&app);
    for label in [
        "docker 3f2a4b5c6d7e",
        "podman 9c8b7a6f5e4d",
        "pod 1b2c3d4e burstable",
        "containerd 77ab3c1d2e4f",
        "foo-bar.service",
        "session 3",
        "lxc csi\\e[2J\\e[31mred",
    ] {
        assert!(screen.contains(label), "{label} missing:\n{screen}");
    }
    assert!(!screen.contains(DOCKER), "{screen}");
    assert!(!has_raw_hostile(screen.as_bytes()));

    app.act(Action::RawNames);
    let raw = render(&app);
    assert!(raw.contains(&format!("docker-{DOCKER}")[..40]), "{raw}");
    assert!(raw.contains("foo\\\\x2dbar.service"), "{raw}");
    assert!(!raw.contains("docker 3f2a4b5c6d7e"), "{raw}");
    app.act(Action::RawNames);
    assert!(render(&app).contains("docker 3f2a4b5c6d7e"));
}

/// Select `path` by walking the rows.
fn select(app: &mut App, path: &str) {
    app.act(Action::First);
    for _ in 0..100 {
        if app.selected().to_string() == path {
            return;
        }
        app.act(Action::Down);
    }
    panic!("{path} is not in the tree");
}

#[test]
fn details_and_engine_names() {
    let dir = fixture();
    let fs = Cgroupfs::fixture(dir.path()).unwrap();
    let mut app = app(&fs, false);
    select(&mut app, &format!("/{}", pod_slice()));
    let screen = render(&app);
    assert!(
        screen
            .contains("Kubernetes pod · pod 1b2c3d4e-5f6a-7b8c-9d0e-1f2a3b4c5d6e · QoS burstable"),
        "{screen}"
    );

    // Without --resolve-names no engine is asked, whatever comes on screen.
    let asked = |effects: &[Effect]| effects.iter().any(|e| matches!(e, Effect::ResolveNames(_)));
    let mut quiet = App::new(
        Options {
            uid: 0,
            ..Options::new(CgroupPath::root(), fs.devices(), "fixture")
        },
        Instant::now(),
    );
    quiet.update(Event::Resize(160, 40));
    let mut effects = quiet.update(Event::Tree(sample_tree(
        &fs,
        &CgroupPath::root(),
        None,
        false,
    )));
    effects.extend(quiet.act(Action::First));
    effects.extend(quiet.act(Action::ExpandAll));
    assert!(!asked(&effects), "{effects:?}");

    // With it, the containers on screen are asked about, each once, by whose engine.
    let mut app = App::new(
        Options {
            uid: 0,
            resolve_names: true,
            ..Options::new(CgroupPath::root(), fs.devices(), "fixture")
        },
        Instant::now(),
    );
    app.update(Event::Resize(160, 40));
    let mut effects = app.update(Event::Tree(sample_tree(
        &fs,
        &CgroupPath::root(),
        None,
        false,
    )));
    effects.extend(app.act(Action::First));
    effects.extend(app.act(Action::ExpandAll));
    let questions: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::ResolveNames(w) => Some(w.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    let sources: Vec<Option<Source>> = questions.iter().map(Source::of).collect();
    assert!(sources.contains(&Some(Source::System)), "{questions:?}");
    assert!(sources.contains(&Some(Source::User(1000))), "{questions:?}");
    assert_eq!(
        questions.len(),
        2,
        "containerd is not Docker's or Podman's: {questions:?}"
    );
    let again = app.act(Action::Down);
    assert!(!asked(&again), "asked twice: {again:?}");

    // The engine's answer names the row and fills the details; a user's engine names only
    // that user's containers.
    let container = |name: &str| Container {
        name: SysText::from(name),
        image: SysText::from("nginx:1.25"),
        engine: "docker",
    };
    app.update(Event::Names {
        found: vec![
            (Source::System, DOCKER.to_string(), container("web-1")),
            (
                Source::User(1001),
                PODMAN.to_string(),
                container("not-alices"),
            ),
        ],
        errors: vec!["podman at /run/podman/podman.sock: no answer within 5 s".into()],
    });
    let screen = render(&app);
    assert!(screen.contains("docker web-1 (3f2a4b5c6d7e)"), "{screen}");
    assert!(!screen.contains("not-alices"), "{screen}");
    assert!(screen.contains("podman 9c8b7a6f5e4d"), "{screen}");
    select(&mut app, &format!("/{}", docker_scope()));
    let screen = render(&app);
    assert!(
        screen.contains("Docker container 3f2a4b5c6d7e · web-1 · image nginx:1.25 (docker)"),
        "{screen}"
    );
}

fn snapshot_json(dir: &Path) -> serde_json::Value {
    let out = std::process::Command::new(common::binary())
        .args(["--fixture"])
        .arg(dir)
        .args(["snapshot", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!has_raw_hostile(&out.stdout));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn workload_of(doc: &serde_json::Value, path: &str) -> serde_json::Value {
    doc["cgroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in the snapshot"))["workload"]
        .clone()
}

#[test]
fn snapshot_json_has_the_workload_object() {
    let dir = fixture();
    let doc = snapshot_json(dir.path());
    let docker = workload_of(&doc, &format!("/{}", docker_scope()));
    assert_eq!(
        docker,
        serde_json::json!({"kind": "docker", "id": "3f2a4b5c6d7e", "name": null,
            "pod_uid": null, "qos": null, "user": null, "session": null})
    );
    let podman = workload_of(&doc, &format!("/{}", podman_scope()));
    assert_eq!(podman["kind"], "podman");
    assert_eq!(podman["id"], "9c8b7a6f5e4d");
    // The user is uid 1000's name on this machine, or the number.
    let alice =
        cgtui::cgroup::workload::user_name(1000).map_or("1000".to_string(), |n| n.to_string());
    assert_eq!(podman["user"], alice.as_str());
    let container = workload_of(
        &doc,
        &format!("/{}/cri-containerd-{CONTAINERD}.scope", pod_slice()),
    );
    assert_eq!(container["kind"], "containerd");
    assert_eq!(container["pod_uid"], "1b2c3d4e-5f6a-7b8c-9d0e-1f2a3b4c5d6e");
    assert_eq!(container["qos"], "burstable");
    let unit = workload_of(&doc, "/system.slice/foo\\\\x2dbar.service");
    assert_eq!(unit["kind"], "service");
    assert_eq!(unit["name"], "foo-bar");
    let session = workload_of(&doc, "/user.slice/user-1000.slice/session-3.scope");
    assert_eq!(
        (&session["kind"], &session["session"]),
        (&"session".into(), &"3".into())
    );
    let root = workload_of(&doc, "/");
    assert!(
        root.as_object().unwrap().values().all(|v| v.is_null()),
        "{root}"
    );
    let lxc = doc["cgroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["workload"]["kind"] == "lxc")
        .unwrap();
    assert_eq!(lxc["workload"]["name"], "csi\\e[2J\\e[31mred");
}

/// A fake Docker API on a unix socket in `dir`, listened on by this process: every
/// `GET /containers/json` gets `containers` (id, name) as Docker's JSON. Returns the socket
/// and a count of requests.
fn fake_engine(
    dir: &Path,
    file: &str,
    containers: &[(&str, &str)],
) -> (
    std::path::PathBuf,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::io::{Read, Write};
    let socket = dir.join(file);
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let list: Vec<String> = containers
        .iter()
        .map(|(id, name)| {
            format!(r#"{{"Id":"{id}","Names":["/{name}"],"Image":"nginx:1.25","State":"running"}}"#)
        })
        .collect();
    let body = format!("[{}]", list.join(","));
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = asked.clone();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let _ = conn.set_read_timeout(Some(std::time::Duration::from_secs(30)));
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            if request.starts_with(b"GET /containers/json") {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            let _ = conn.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
        }
    });
    (socket, asked)
}

/// `snapshot --json` with `--resolve-names` against fake engines: the system's Docker names
/// the Docker scope, alice's Podman names her container (and cannot name the system's), and
/// each engine is asked once per snapshot, not once per cgroup.
#[test]
fn resolve_names_asks_fake_engines_for_the_snapshot() {
    if !rustix::process::geteuid().is_root() {
        println!("SKIPPED: the fake engines' sockets must be root's (the test is not root)");
        return;
    }
    use cgtui::cgroup::workload::engine::{Endpoint, Resolver};
    use std::sync::atomic::Ordering;
    let dir = fixture();
    let sockets = tempfile::tempdir().unwrap();
    let (docker, docker_asked) = fake_engine(sockets.path(), "docker.sock", &[(DOCKER, "web-1")]);
    // alice's engine claims the system's container too: it must not name it.
    let (podman, podman_asked) = fake_engine(
        sockets.path(),
        "podman.sock",
        &[(PODMAN, "alices-db"), (DOCKER, "not-alices")],
    );
    let engines = Resolver::with_endpoints(move |source| {
        let path = match source {
            Source::System => docker.clone(),
            Source::User(1000) => podman.clone(),
            Source::User(_) => return Vec::new(),
        };
        vec![Endpoint {
            engine: "docker",
            path,
            source,
        }]
    });
    let mut out = Vec::new();
    cgtui::snapshot::run(
        cgtui::snapshot::Options {
            fs: Cgroupfs::fixture(dir.path()).unwrap(),
            base: CgroupPath::root(),
            json: true,
            engines: Some(engines),
            count: Some(1),
            interval: std::time::Duration::from_secs(1),
            selection: None,
        },
        &mut out,
    )
    .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let docker = workload_of(&doc, &format!("/{}", docker_scope()));
    assert_eq!(docker["name"], "web-1", "{docker}");
    assert_eq!(docker["id"], "3f2a4b5c6d7e");
    let podman = workload_of(&doc, &format!("/{}", podman_scope()));
    assert_eq!(podman["name"], "alices-db", "{podman}");
    // containerd is not asked of Docker or Podman: no name.
    let container = workload_of(
        &doc,
        &format!("/{}/cri-containerd-{CONTAINERD}.scope", pod_slice()),
    );
    assert!(container["name"].is_null(), "{container}");
    assert_eq!(docker_asked.load(Ordering::SeqCst), 1);
    assert_eq!(podman_asked.load(Ordering::SeqCst), 1);
    assert!(!String::from_utf8_lossy(&out).contains("not-alices"));

    // Without --resolve-names the same snapshot asks no one and names no container.
    let doc = snapshot_json(dir.path());
    assert!(workload_of(&doc, &format!("/{}", docker_scope()))["name"].is_null());
    assert_eq!(docker_asked.load(Ordering::SeqCst), 1);
}

/// `--resolve-names` through the binary on a host without engines: the snapshot is the same,
/// names stay null, and nothing is said about sockets that do not exist.
#[test]
fn resolve_names_without_engines_changes_nothing() {
    if ["/run/docker.sock", "/run/podman/podman.sock"]
        .iter()
        .any(|s| Path::new(s).exists())
    {
        println!("SKIPPED: this machine runs a container engine");
        return;
    }
    let dir = fixture();
    let out = std::process::Command::new(common::binary())
        .arg("--resolve-names")
        .arg("--fixture")
        .arg(dir.path())
        .args(["snapshot", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let docker = workload_of(&doc, &format!("/{}", docker_scope()));
    assert_eq!(docker["kind"], "docker");
    assert!(docker["name"].is_null(), "{docker}");
}
