//! `--resolve-names` against fake container engines: unix listeners that answer the Docker
//! API's `GET /containers/json` over HTTP/1.1, one that never answers, one that floods, and
//! sockets of the wrong user. Needs root (to own sockets as another uid); skipped otherwise.

#[path = "support/peer_socket.rs"]
mod peer_socket;
use cgroupv2::CgroupPath;
use cgroupv2::workload::Workload;
use cgroupv2::workload::engine::{Endpoint, Resolver, Source, Timeouts, list_containers};
use peer_socket::listener;
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const USER: u32 = 4343;
const ID: &str = "3f2a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a";

fn root() -> bool {
    if rustix::process::geteuid().is_root() {
        return true;
    }
    println!("SKIPPED: the fake engines need root (sockets owned by other uids)");
    false
}

/// Read one request's head from `conn`, bounded.
fn read_request(conn: &mut UnixStream) -> String {
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 65536 {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&request).into_owned()
}

/// Answer every connection with `reply(request)`, recording the requests.
fn serve(listening: UnixListener, reply: fn(&str) -> Vec<u8>) -> Arc<Mutex<Vec<String>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for mut conn in listening.incoming().flatten() {
            let request = read_request(&mut conn);
            log.lock().unwrap().push(request.clone());
            let _ = conn.write_all(&reply(&request));
        }
    });
    seen
}

fn docker_answer(_: &str) -> Vec<u8> {
    // A chunked body, as Docker's Go server sends a large list.
    let body =
        format!(r#"[{{"Id":"{ID}","Names":["/web-1"],"Image":"nginx:1.25","State":"running"}}]"#);
    let (a, b) = body.split_at(10);
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
        a.len(),
        b.len()
    )
    .into_bytes()
}

/// A directory like /run/user/UID: owned by `uid`, 0700.
fn runtime_dir(base: &Path, uid: u32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = base.join(uid.to_string());
    std::fs::create_dir(&dir).unwrap();
    std::os::unix::fs::chown(&dir, Some(uid), Some(uid)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    dir
}

fn short() -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(2),
        exchange: Duration::from_secs(2),
    }
}

fn endpoint(path: &Path, source: Source) -> Endpoint {
    Endpoint {
        engine: "docker",
        path: path.to_path_buf(),
        source,
    }
}

fn workload(path: &str) -> Workload {
    Workload::of(&CgroupPath::from_relative(Path::new(path)).unwrap())
}

#[test]
fn a_users_engine_names_that_users_containers() {
    if !root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let socket = runtime_dir(tmp.path(), USER).join("docker.sock");
    let requests = serve(listener(&socket, USER, USER), docker_answer);
    let listed = list_containers(&endpoint(&socket, Source::User(USER)), short()).unwrap();
    assert_eq!(listed[ID].name.to_string(), "web-1");
    assert_eq!(listed[ID].image.to_string(), "nginx:1.25");
    let request = requests.lock().unwrap()[0].clone();
    assert!(
        request.starts_with("GET /containers/json?all=1 HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(request.contains("\r\nHost: "), "{request}");

    // Through the resolver: the user's containers get the user's names, cached...
    let mut resolver = Resolver::with_endpoints(move |source| match source {
        Source::User(USER) => vec![endpoint(&socket, source)],
        _ => Vec::new(),
    });
    resolver.timeouts = short();
    let theirs = workload(&format!(
        "user.slice/user-{USER}.slice/user@{USER}.service/user.slice/docker-{ID}.scope"
    ));
    let now = Instant::now();
    let found = resolver
        .lookup(&theirs, now)
        .expect("named by their engine");
    assert_eq!(found.name.to_string(), "web-1");
    resolver.lookup(&theirs, now + Duration::from_secs(1));
    assert_eq!(
        requests.lock().unwrap().len(),
        2,
        "asked again within the TTL"
    );
    // ... and no one else's: the same id under the system is not theirs to name.
    let system = workload(&format!("system.slice/docker-{ID}.scope"));
    assert!(resolver.lookup(&system, now).is_none());
    assert!(resolver.cached(&theirs).is_some());
}

#[test]
fn an_engine_that_never_answers_times_out() {
    if !root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let socket = runtime_dir(tmp.path(), USER).join("docker.sock");
    let listening = listener(&socket, USER, USER);
    // Accept and hold every connection, never writing a byte.
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = held.clone();
    std::thread::spawn(move || {
        for conn in listening.incoming().flatten() {
            keep.lock().unwrap().push(conn);
        }
    });
    let start = Instant::now();
    let err = list_containers(&endpoint(&socket, Source::User(USER)), short()).unwrap_err();
    assert!(err.0.contains("no answer within 2 s"), "{}", err.0);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    assert!(!held.lock().unwrap().is_empty(), "it did connect");

    // One that trickles a byte at a time never gets past the deadline either.
    let slow = runtime_dir(tmp.path(), USER + 1).join("docker.sock");
    let listening = listener(&slow, USER + 1, USER + 1);
    std::thread::spawn(move || {
        for mut conn in listening.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = read_request(&mut conn);
                let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
                for _ in 0..100_000 {
                    if conn.write_all(b" ").is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            });
        }
    });
    let start = Instant::now();
    let err = list_containers(&endpoint(&slow, Source::User(USER + 1)), short()).unwrap_err();
    assert!(err.0.contains("no answer within 2 s"), "{}", err.0);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn an_engine_that_floods_is_cut_off() {
    if !root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let socket = runtime_dir(tmp.path(), USER).join("docker.sock");
    let listening = listener(&socket, USER, USER);
    std::thread::spawn(move || {
        for mut conn in listening.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = read_request(&mut conn);
                let _ = conn.write_all(b"HTTP/1.1 200 OK\r\n\r\n[");
                let block = vec![b' '; 1 << 20];
                for _ in 0..64 {
                    if conn.write_all(&block).is_err() {
                        return;
                    }
                }
            });
        }
    });
    let timeouts = Timeouts {
        connect: Duration::from_secs(5),
        exchange: Duration::from_secs(30),
    };
    let err = list_containers(&endpoint(&socket, Source::User(USER)), timeouts).unwrap_err();
    assert!(err.0.contains("larger than 8 MiB"), "{}", err.0);
}

#[test]
fn sockets_of_the_wrong_user_get_nothing() {
    if !root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = runtime_dir(tmp.path(), USER);
    let nothing_sent = |listening: &UnixListener| {
        listening.set_nonblocking(true).unwrap();
        match listening.accept() {
            Ok((mut conn, _)) => {
                let mut sent = Vec::new();
                conn.set_nonblocking(true).unwrap();
                let _ = conn.read_to_end(&mut sent);
                sent.is_empty()
            }
            Err(_) => true,
        }
    };
    // The user's socket file, listened on by another uid.
    let socket = dir.join("docker.sock");
    let foreign = listener(&socket, USER, USER + 1);
    let err = list_containers(&endpoint(&socket, Source::User(USER)), short()).unwrap_err();
    assert!(
        err.0.contains("runs as uid 4344, not as uid 4343"),
        "{}",
        err.0
    );
    assert!(
        nothing_sent(&foreign),
        "sent a request to an unverified socket"
    );

    // A socket file of another user.
    let other = runtime_dir(tmp.path(), USER + 1).join("docker.sock");
    let by_other = listener(&other, USER + 1, USER);
    let err = list_containers(&endpoint(&other, Source::User(USER)), short()).unwrap_err();
    assert!(
        err.0.contains("the socket belongs to uid 4344"),
        "{}",
        err.0
    );
    assert!(nothing_sent(&by_other));

    // A "system" engine socket a user made, or that a user listens on: refused too.
    let fake_system = dir.join("system.sock");
    let users = listener(&fake_system, USER, USER);
    let err = list_containers(&endpoint(&fake_system, Source::System), short()).unwrap_err();
    assert!(
        err.0.contains("belongs to uid 4343, not to root"),
        "{}",
        err.0
    );
    assert!(nothing_sent(&users));
    let root_file = tmp.path().join("root.sock");
    let user_listens = listener(&root_file, 0, USER);
    let err = list_containers(&endpoint(&root_file, Source::System), short()).unwrap_err();
    assert!(err.0.contains("runs as uid 4343, not as root"), "{}", err.0);
    assert!(nothing_sent(&user_listens));

    // A symlink to root's socket is not followed.
    let roots = tmp.path().join("roots.sock");
    let _root_engine = serve(listener(&roots, 0, 0), docker_answer);
    std::os::unix::fs::symlink(&roots, dir.join("link.sock")).unwrap();
    let err = list_containers(
        &endpoint(&dir.join("link.sock"), Source::User(USER)),
        short(),
    )
    .unwrap_err();
    assert!(err.0.contains("is a symlink"), "{}", err.0);

    // And root's own engine is believed.
    let listed = list_containers(&endpoint(&roots, Source::System), short()).unwrap();
    assert_eq!(listed[ID].name.to_string(), "web-1");
}
