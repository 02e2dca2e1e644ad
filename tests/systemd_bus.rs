//! cgtui's D-Bus calls, checked against a fake systemd served on a private peer-to-peer
//! connection: the exact method, its arguments, and the D-Bus type of every property, for every
//! interface file cgtui maps to a unit property.

//!
//! The user's bus is a socket that user controls: real unix-socket listeners here stand for it,
//! made with another uid by switching one thread's credentials (the tests run as root): one
//! that never answers, one of the wrong user, and a fake systemd that answers as the bus would.

mod common;

#[path = "../crates/cgroupv2/tests/support/peer_socket.rs"]
mod peer_socket;
use cgtui::cgroup::systemd::{BusTimeouts, Client, PropertyValue, unit_properties};
use cgtui::cgroup::value::{Context, normalize};
use peer_socket::listener;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zbus::{OwnedObjectPath, OwnedVariant};

#[derive(Debug, Clone, PartialEq)]
struct Call {
    method: &'static str,
    unit: String,
    /// runtime for SetUnitProperties, mode for the others.
    flag: String,
    /// (property name, D-Bus signature of its value, value rendered)
    props: Vec<(String, String, String)>,
    aux: usize,
}

#[derive(Clone, Default)]
struct FakeManager {
    calls: Arc<Mutex<Vec<Call>>>,
    /// Loaded units: name and InvocationID.
    units: Vec<(String, Vec<u8>)>,
}

fn unit_path(index: usize) -> OwnedObjectPath {
    OwnedObjectPath::try_from(format!("/org/freedesktop/systemd1/unit/u{index}")).unwrap()
}

/// A loaded unit, for its InvocationID.
struct FakeUnit {
    invocation: Vec<u8>,
}

#[zbus::interface(name = "org.freedesktop.systemd1.Unit")]
impl FakeUnit {
    #[zbus(property, name = "InvocationID")]
    fn invocation_id(&self) -> Vec<u8> {
        self.invocation.clone()
    }
}

/// The bus daemon's part: a client of a real bus says Hello first.
struct FakeBus;

#[zbus::interface(name = "org.freedesktop.DBus")]
impl FakeBus {
    fn hello(&self) -> String {
        ":1.7".into()
    }
}

fn describe(props: &[(String, OwnedVariant)]) -> Vec<(String, String, String)> {
    props
        .iter()
        .map(|(name, value)| {
            (
                name.clone(),
                value.value_signature().to_string(),
                format!("{:?}", &**value),
            )
        })
        .collect()
}

#[zbus::interface(name = "org.freedesktop.systemd1.Manager")]
impl FakeManager {
    fn set_unit_properties(
        &self,
        name: String,
        runtime: bool,
        properties: Vec<(String, OwnedVariant)>,
    ) {
        self.calls.lock().unwrap().push(Call {
            method: "SetUnitProperties",
            unit: name,
            flag: runtime.to_string(),
            props: describe(&properties),
            aux: 0,
        });
    }

    fn start_transient_unit(
        &self,
        name: String,
        mode: String,
        properties: Vec<(String, OwnedVariant)>,
        aux: Vec<(String, Vec<(String, OwnedVariant)>)>,
    ) -> OwnedObjectPath {
        self.calls.lock().unwrap().push(Call {
            method: "StartTransientUnit",
            unit: name,
            flag: mode,
            props: describe(&properties),
            aux: aux.len(),
        });
        OwnedObjectPath::try_from("/org/freedesktop/systemd1/job/1").unwrap()
    }

    fn get_unit(&self, name: String) -> zbus::fdo::Result<OwnedObjectPath> {
        match self.units.iter().position(|(n, _)| *n == name) {
            Some(index) => Ok(unit_path(index)),
            None => Err(zbus::fdo::Error::Failed(format!("Unit {name} not loaded."))),
        }
    }

    fn stop_unit(&self, name: String, mode: String) -> OwnedObjectPath {
        self.calls.lock().unwrap().push(Call {
            method: "StopUnit",
            unit: name,
            flag: mode,
            props: Vec::new(),
            aux: 0,
        });
        OwnedObjectPath::try_from("/org/freedesktop/systemd1/job/2").unwrap()
    }
}

/// The server end of a fake systemd (and bus daemon) on `stream`.
async fn serve_fake(stream: UnixStream, fake: FakeManager) -> zbus::Result<zbus::Connection> {
    let units: Vec<Vec<u8>> = fake.units.iter().map(|(_, id)| id.clone()).collect();
    let mut builder = zbus::connection::Builder::unix_stream(stream)
        .server(zbus::Guid::generate())
        .p2p()
        .serve_at("/org/freedesktop/systemd1", fake)
        .serve_at("/org/freedesktop/DBus", FakeBus);
    for (index, invocation) in units.into_iter().enumerate() {
        builder = builder.serve_at(unit_path(index), FakeUnit { invocation });
    }
    builder.build().await
}

/// A client connected to a fresh fake systemd with `units` loaded, and the fake's record of
/// calls.
fn fake_systemd_with(units: &[(&str, &[u8])]) -> (Client, Arc<Mutex<Vec<Call>>>, zbus::Connection) {
    let (server_end, client_end) = UnixStream::pair().unwrap();
    let fake = FakeManager {
        units: units
            .iter()
            .map(|(n, id)| (n.to_string(), id.to_vec()))
            .collect(),
        ..FakeManager::default()
    };
    let calls = fake.calls.clone();
    let (server, client) = zbus::block_on(async move {
        let server = serve_fake(server_end, fake);
        let client = zbus::connection::Builder::unix_stream(client_end)
            .p2p()
            .build();
        let (server, client) = futures_join(server, client).await;
        (server.unwrap(), client.unwrap())
    });
    (Client::with_connection(client), calls, server)
}

fn fake_systemd() -> (Client, Arc<Mutex<Vec<Call>>>, zbus::Connection) {
    fake_systemd_with(&[])
}

/// Both ends must authenticate at once, so build them concurrently.
async fn futures_join<A: std::future::Future, B: std::future::Future>(
    a: A,
    b: B,
) -> (A::Output, B::Output) {
    use std::pin::pin;
    use std::task::Poll;
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(|cx| {
        if ra.is_none()
            && let Poll::Ready(v) = a.as_mut().poll(cx)
        {
            ra = Some(v);
        }
        if rb.is_none()
            && let Poll::Ready(v) = b.as_mut().poll(cx)
        {
            rb = Some(v);
        }
        if ra.is_some() && rb.is_some() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    (ra.unwrap(), rb.unwrap())
}

#[test]
fn set_unit_properties_for_every_mapped_file() {
    let (client, calls, _server) = fake_systemd();
    /// (file, value typed, [(property, D-Bus signature, part of the value)])
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str, &'a str)]);
    let cases: &[Case] = &[
        ("memory.max", "300M", &[("MemoryMax", "t", "314572800")]),
        (
            "memory.high",
            "max",
            &[("MemoryHigh", "t", "18446744073709551615")],
        ),
        ("memory.low", "64M", &[("MemoryLow", "t", "67108864")]),
        ("memory.min", "0", &[("MemoryMin", "t", "0")]),
        (
            "memory.swap.max",
            "1G",
            &[("MemorySwapMax", "t", "1073741824")],
        ),
        ("cpu.weight", "250", &[("CPUWeight", "t", "250")]),
        (
            "cpu.max",
            "20%",
            &[
                ("CPUQuotaPerSecUSec", "t", "200000"),
                ("CPUQuotaPeriodUSec", "t", "100000"),
            ],
        ),
        ("io.weight", "300", &[("IOWeight", "t", "300")]),
        ("pids.max", "64", &[("TasksMax", "t", "64")]),
        (
            "pids.max",
            "max",
            &[("TasksMax", "t", "18446744073709551615")],
        ),
        (
            "io.max",
            "254:0 rbps=1M wbps=2M riops=100 wiops=200",
            &[
                ("IOReadBandwidthMax", "a(st)", "/dev/block/254:0"),
                ("IOWriteBandwidthMax", "a(st)", "2097152"),
                ("IOReadIOPSMax", "a(st)", "100"),
                ("IOWriteIOPSMax", "a(st)", "200"),
            ],
        ),
    ];
    struct Disk;
    impl cgtui::cgroup::value::DeviceLookup for Disk {
        fn is_partition(&self, _: cgtui::cgroup::parse::DeviceId) -> Option<bool> {
            Some(false)
        }
    }
    for (file, input, expected) in cases {
        let ctx = Context {
            devices: Some(&Disk),
            ..Context::default()
        };
        let value = normalize(file, input, &ctx).unwrap();
        let props = unit_properties(file, &value).expect("mapped").unwrap();
        client
            .set_unit_properties("fx.service", true, &props)
            .unwrap();
        let call = calls
            .lock()
            .unwrap()
            .pop()
            .expect("a call reached the fake systemd");
        assert_eq!(call.method, "SetUnitProperties");
        assert_eq!(call.unit, "fx.service");
        assert_eq!(call.flag, "true", "runtime=true for a live change");
        assert_eq!(call.props.len(), expected.len(), "{file}: {:?}", call.props);
        for ((name, sig, value), (want_name, want_sig, want_value)) in
            call.props.iter().zip(expected.iter())
        {
            assert_eq!(name, want_name, "{file}");
            assert_eq!(sig, want_sig, "{file}: {name}");
            assert!(
                value.contains(want_value),
                "{file}: {name} = {value}, expected {want_value}"
            );
        }
    }
    // Persisting is the same call with runtime=false.
    let props = vec![("MemoryMax".to_string(), PropertyValue::U64(1))];
    client
        .set_unit_properties("fx.service", false, &props)
        .unwrap();
    assert_eq!(calls.lock().unwrap().pop().unwrap().flag, "false");
}

#[test]
fn playground_scope_and_stop() {
    let (client, calls, _server) = fake_systemd();
    client
        .start_delegated_scope(
            "cgtui-playground-42.scope",
            &[42],
            Some(&["memory".to_string(), "pids".to_string()]),
        )
        .unwrap();
    client.stop_unit("cgtui-playground-42.scope").unwrap();
    let calls = calls.lock().unwrap().clone();
    let start = &calls[0];
    assert_eq!(start.method, "StartTransientUnit");
    assert_eq!(start.unit, "cgtui-playground-42.scope");
    assert_eq!(start.flag, "fail");
    assert_eq!(start.aux, 0);
    let sigs: Vec<(&str, &str)> = start
        .props
        .iter()
        .map(|(n, s, _)| (n.as_str(), s.as_str()))
        .collect();
    assert_eq!(
        sigs,
        [
            ("PIDs", "au"),
            ("Delegate", "b"),
            ("DelegateControllers", "as")
        ]
    );
    assert!(start.props[0].2.contains("42"));
    assert!(start.props[1].2.contains("true"));
    assert_eq!(
        (calls[1].method, calls[1].flag.as_str()),
        ("StopUnit", "fail")
    );
}

const USER: u32 = 4242;

/// A directory like /run/user/UID: owned by `uid`, 0700.
fn runtime_dir(base: &Path, uid: u32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = base.join(uid.to_string());
    std::fs::create_dir(&dir).unwrap();
    std::os::unix::fs::chown(&dir, Some(uid), Some(uid)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    dir
}

fn short() -> BusTimeouts {
    BusTimeouts {
        connect: Duration::from_secs(2),
        call: Duration::from_secs(2),
    }
}

#[test]
fn a_user_bus_that_never_answers_times_out() {
    let tmp = tempfile::tempdir().unwrap();
    let bus = runtime_dir(tmp.path(), USER).join("bus");
    let listening = listener(&bus, USER, USER);
    // Accept and hold every connection, never writing a byte.
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = held.clone();
    let acceptor = listening.try_clone().unwrap();
    std::thread::spawn(move || {
        for conn in acceptor.incoming().flatten() {
            keep.lock().unwrap().push(conn);
        }
    });
    let start = Instant::now();
    let err = match Client::connect_user_at(USER, &bus, short()) {
        Ok(_) => panic!("a silent bus was taken for systemd"),
        Err(err) => err,
    };
    assert!(
        err.message.contains("systemd did not answer within 2 s"),
        "{}",
        err.message
    );
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    assert!(!held.lock().unwrap().is_empty(), "it did connect");

    // One that never even accepts (connections wait in its queue) is no different.
    let quiet = runtime_dir(tmp.path(), USER + 1).join("bus");
    let _never = listener(&quiet, USER + 1, USER + 1);
    let start = Instant::now();
    let err = Client::connect_user_at(USER + 1, &quiet, short())
        .err()
        .unwrap();
    assert!(
        err.message.contains("did not answer within 2 s"),
        "{}",
        err.message
    );
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[test]
fn a_user_bus_of_the_wrong_user_gets_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = runtime_dir(tmp.path(), USER);
    let received = |listening: &UnixListener| {
        listening.set_nonblocking(true).unwrap();
        listening.accept().is_ok()
    };
    // Listened on by another uid (its socket file is the user's).
    let bus = dir.join("bus");
    let foreign = listener(&bus, USER, USER + 1);
    let err = Client::connect_user_at(USER, &bus, short()).err().unwrap();
    assert!(
        err.message.contains("runs as uid 4243, not as uid 4242"),
        "{}",
        err.message
    );
    // The check came before a single byte was sent.
    let mut sent = Vec::new();
    if let Ok((mut conn, _)) = {
        foreign.set_nonblocking(true).unwrap();
        foreign.accept()
    } {
        use std::io::Read;
        conn.set_nonblocking(true).unwrap();
        let _ = conn.read_to_end(&mut sent);
    }
    assert!(sent.is_empty(), "sent {sent:?} to an unverified bus");

    // A socket file of another user.
    let other = runtime_dir(tmp.path(), USER + 1).join("bus");
    let by_other = listener(&other, USER + 1, USER);
    let err = Client::connect_user_at(USER, &other, short())
        .err()
        .unwrap();
    assert!(
        err.message.contains("the socket belongs to uid 4243"),
        "{}",
        err.message
    );
    assert!(!received(&by_other));

    // A symlink to a socket (of root's, say the system bus's) is not followed.
    let roots = tmp.path().join("roots");
    let _root_bus = listener(&roots, 0, 0);
    std::os::unix::fs::symlink(&roots, dir.join("link")).unwrap();
    let err = Client::connect_user_at(USER, &dir.join("link"), short())
        .err()
        .unwrap();
    assert!(err.message.contains("is a symlink"), "{}", err.message);
}

#[test]
fn a_verified_user_bus_is_used() {
    let tmp = tempfile::tempdir().unwrap();
    let bus = runtime_dir(tmp.path(), USER).join("bus");
    let listening = listener(&bus, USER, USER);
    let fake = FakeManager::default();
    let calls = fake.calls.clone();
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        let (stream, _) = listening.accept().unwrap();
        let conn = zbus::block_on(serve_fake(stream, fake)).unwrap();
        let _ = finished.recv_timeout(Duration::from_secs(60));
        drop(conn);
    });
    let client = Client::connect_user_at(USER, &bus, short()).expect("the user's own bus");
    client
        .set_unit_properties(
            "app.service",
            true,
            &[("MemoryMax".into(), PropertyValue::U64(1))],
        )
        .unwrap();
    assert_eq!(calls.lock().unwrap()[0].method, "SetUnitProperties");
    drop(client);
    done.send(()).unwrap();
    server.join().unwrap();
}

#[test]
fn stop_refuses_units_cgtui_did_not_start() {
    use cgtui::journal::Journal;
    use cgtui::playground::stop_with;
    let state = tempfile::tempdir().unwrap();
    let journal = Journal::open(state.path().join("cgtui/journal.jsonl"));
    let ours = "cgtui-playground-42.scope";
    let (client, calls, _server) = fake_systemd_with(&[
        ("sshd.service", &[1; 16]),
        (ours, &[0xab; 16]),
        ("cgtui-playground-43.scope", &[0xcd; 16]),
    ]);
    let stops = || {
        calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.method == "StopUnit")
            .map(|c| c.unit.clone())
            .collect::<Vec<_>>()
    };
    // Not started by cgtui: refused, whatever its name.
    let err = stop_with(&client, &journal, "sshd.service", false).unwrap_err();
    assert!(
        format!("{err:#}").contains("was not started by cgtui"),
        "{err:#}"
    );
    let err = stop_with(&client, &journal, "cgtui-playground-43.scope", false).unwrap_err();
    assert!(format!("{err:#}").contains("--force"), "{err:#}");
    assert!(stops().is_empty(), "{:?}", stops());

    // Journaled with another invocation (the unit was started again since): refused too.
    let cgroup = cgtui::cgroup::CgroupPath::from_relative(Path::new(ours)).unwrap();
    let locked = journal.lock().unwrap();
    locked
        .record_playground(
            &cgroup,
            ours,
            Some("ab".repeat(15)),
            cgtui::cgroup::edit::Via::Systemd,
            "t",
        )
        .unwrap();
    drop(locked);
    assert!(stop_with(&client, &journal, ours, false).is_err());
    assert!(stops().is_empty());

    // Journaled with this invocation: stopped. --force stops any.
    journal
        .lock()
        .unwrap()
        .record_playground(
            &cgroup,
            ours,
            Some("ab".repeat(16)),
            cgtui::cgroup::edit::Via::Systemd,
            "t",
        )
        .unwrap();
    stop_with(&client, &journal, ours, false).unwrap();
    stop_with(&client, &journal, "sshd.service", true).unwrap();
    assert_eq!(stops(), [ours, "sshd.service"]);
}

/// /run/user/UID for a uid no one has, removed on drop.
struct RunUser {
    uid: u32,
    dir: PathBuf,
}

impl RunUser {
    fn create() -> Result<RunUser, String> {
        let base = Path::new("/run/user");
        if !base.is_dir() {
            return Err("no /run/user on this machine".into());
        }
        let uid = 3_900_000 + std::process::id() % 50_000;
        if base.join(uid.to_string()).exists() {
            return Err(format!("/run/user/{uid} exists already"));
        }
        let dir = runtime_dir(base, uid);
        Ok(RunUser { uid, dir })
    }
}

impl Drop for RunUser {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Run cgtui; kill it and fail if it has not finished within `limit`.
fn cgtui_within(limit: Duration, args: &[&str], state: &Path) -> (i32, String, Duration) {
    let start = Instant::now();
    let mut child = std::process::Command::new(common::binary())
        .args(args)
        .env("XDG_STATE_HOME", state)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut out = String::new();
            use std::io::Read;
            child
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            return (status.code().unwrap_or(-1), out, start.elapsed());
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("cgtui {args:?} still waiting for the user's bus after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn set_and_explain_do_not_hang_on_a_users_silent_bus() {
    let run_user = match RunUser::create() {
        Ok(r) => r,
        Err(why) => {
            eprintln!("SKIPPED: {why}");
            return;
        }
    };
    let uid = run_user.uid;
    let bus = run_user.dir.join("bus");
    let listening = listener(&bus, uid, uid);
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = held.clone();
    std::thread::spawn(move || {
        for conn in listening.incoming().flatten() {
            keep.lock().unwrap().push(conn);
        }
    });
    // A systemd host (init.scope at the root) with a unit of that user's manager.
    let tree = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    std::fs::create_dir(tree.path().join("init.scope")).unwrap();
    // It stands in for this machine: its units are asked about over this machine's buses.
    std::fs::write(tree.path().join(".local-managers"), "").unwrap();
    let unit = format!("user.slice/user-{uid}.slice/user@{uid}.service/app.slice/x.service");
    std::fs::create_dir_all(tree.path().join(&unit)).unwrap();
    std::fs::write(tree.path().join(&unit).join("memory.max"), "max\n").unwrap();
    let fixture = tree.path().to_str().unwrap();

    let limit = Duration::from_secs(60);
    let (code, out, took) = cgtui_within(
        limit,
        &[
            "--fixture",
            fixture,
            "set",
            &unit,
            "memory.max",
            "1G",
            "--json",
        ],
        state.path(),
    );
    let out: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        (out["result"].as_str(), out["rule"].as_str()),
        (Some("failed"), Some("permission")),
        "{out}"
    );
    assert!(
        out["explanation"]
            .as_str()
            .unwrap()
            .contains("systemd did not answer within 5 s"),
        "{out}"
    );
    assert!(
        took < Duration::from_secs(30),
        "one timeout, not one per question: {took:?}"
    );
    assert_eq!(
        std::fs::read_to_string(tree.path().join(&unit).join("memory.max")).unwrap(),
        "max\n"
    );

    let (code, out, _) = cgtui_within(
        limit,
        &["--fixture", fixture, "explain", &unit],
        state.path(),
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("did not answer within 5 s"), "{out}");
    assert!(
        !held.lock().unwrap().is_empty(),
        "cgtui did reach the listener"
    );
}
