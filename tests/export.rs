//! `cgtui export` and `cgtui snapshot --format openmetrics`: the exposition of the fixture
//! (a snapshot, checked by promtool), of the live tree (promtool), and the server over TCP and
//! a unix socket: content types for both Accept forms, a removed cgroup gone from the next
//! scrape, a non-loopback address refused, bad and surplus requests refused, not hung.
//!
//! `promtool check metrics` (2.42) lints the Prometheus text format only (it reads an
//! OpenMetrics counter's `# HELP x` as a family without samples): it checks the same
//! exposition in that format; the OpenMetrics form is parsed by a real Prometheus in VM
//! scenario 11.
//!
//! promtool is Debian's `prometheus` package (.ci/run installs it; `PROMTOOL` may point at
//! one): without it the promtool checks skip with a reason, except in CI (`CI=true`).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";
/// What Prometheus 2.x sends.
const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

fn snapshot(args: &[&str], format: &str) -> String {
    let out = Command::new(common::binary())
        .args(args)
        .args(["snapshot", "--format", format])
        .output()
        .expect("run cgtui");
    assert!(
        out.status.success(),
        "cgtui {args:?} snapshot --format {format}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the exposition is UTF-8")
}

/// `promtool check metrics` on `text`: its complaints, if any.
fn promtool_check(promtool: &PathBuf, text: &str) -> Result<(), String> {
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start promtool");
    let mut stdin = child.stdin.take().unwrap();
    let input = text.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("promtool runs");
    writer.join().unwrap().expect("feed promtool");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() && said.trim().is_empty() {
        Ok(())
    } else {
        Err(said)
    }
}

/// The exposition without what changes from run to run (the read's duration).
fn stable(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("cgtui_export_read_duration_seconds "))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn fixture_exposition() {
    let fixture = common::fixture();
    let text = snapshot(&["--fixture", fixture.to_str().unwrap()], "openmetrics");
    assert!(text.ends_with("# EOF\n"), "OpenMetrics ends with # EOF");
    // Every family the fixture's controllers allow, with HELP and TYPE.
    for family in [
        "cgroup_cpu_usage_seconds",
        "cgroup_cpu_throttled_seconds",
        "cgroup_memory_usage_bytes",
        "cgroup_memory_max_bytes",
        "cgroup_memory_events",
        "cgroup_io_read_bytes",
        "cgroup_pids_current",
        "cgroup_pids_events",
        "cgroup_pressure_memory_stalled_seconds",
        "cgroup_populated",
        "cgroup_descendants",
    ] {
        assert!(
            text.contains(&format!("# HELP {family} ")),
            "no HELP for {family}"
        );
        assert!(
            text.contains(&format!("# TYPE {family} ")),
            "no TYPE for {family}"
        );
    }
    assert!(
        text.contains(r#"cgroup_memory_usage_bytes{cgroup="/system.slice/fxload.service",unit="fxload.service",slice="system.slice""#),
        "a service's memory, labelled by unit and slice:\n{text}"
    );
    insta::assert_snapshot!("fixture_openmetrics", stable(&text));
    let prometheus = snapshot(&["--fixture", fixture.to_str().unwrap()], "prometheus");
    assert!(prometheus.contains("# TYPE cgroup_cpu_usage_seconds_total counter\n"));
    if let Some(promtool) = common::promtool() {
        promtool_check(&promtool, &prometheus).expect("promtool accepts the fixture's exposition");
    }
}

#[test]
fn live_tree_passes_promtool() {
    let Some(promtool) = common::promtool() else {
        return;
    };
    if cgtui::cgroup::Cgroupfs::system().is_err() {
        println!("skipped: no cgroup2 hierarchy here");
        return;
    }
    // A busy tree: a cgroup with a process in it, next to everything the host has.
    let busy = match common::LiveCgroup::create("export-promtool") {
        Ok(cgroup) => Some(cgroup),
        Err(why) => {
            println!("no busy cgroup of our own ({why}); checking the host's tree alone");
            None
        }
    };
    let mut sleeper = busy
        .as_ref()
        .map(|c| common::LiveCgroup::spawn_in(&c.dir(), &["sleep", "60"]));
    let text = snapshot(&[], "prometheus");
    if let Some(child) = sleeper.as_mut() {
        let _ = child.kill();
        let _ = child.wait();
    }
    if let Some(busy) = &busy {
        let label = format!("cgroup=\"/{}\"", busy.relative.display());
        assert!(
            text.contains(&label),
            "the busy cgroup is exported:\n{text}"
        );
    }
    promtool_check(&promtool, &text).expect("promtool accepts the live tree's exposition");
}

/// A running `cgtui export`, stopped on drop.
struct Exporter {
    child: Child,
    /// What it said it serves: `http://ADDR/metrics` or `unix socket PATH ...`.
    serving: String,
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Exporter {
    fn start(args: &[&str]) -> Exporter {
        let (child, serving) = common::start_export(args);
        Exporter { child, serving }
    }

    fn addr(&self) -> String {
        self.serving
            .strip_prefix("http://")
            .and_then(|s| s.strip_suffix("/metrics"))
            .expect("a TCP address")
            .to_string()
    }
}

struct Response {
    status: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Send `request` and read the whole response (the server closes after one).
fn exchange(mut stream: impl Read + Write, request: &str) -> Response {
    stream
        .write_all(request.as_bytes())
        .expect("send the request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the response");
    let text = String::from_utf8(raw).expect("a UTF-8 response");
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    let mut lines = head.lines();
    let status = lines.next().unwrap_or_default().to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Response {
        status,
        headers,
        body: body.to_string(),
    }
}

fn tcp(addr: &str) -> std::net::TcpStream {
    let stream = std::net::TcpStream::connect(addr).expect("connect to cgtui export");
    // Wide: a busy 2-CPU machine; a hang still fails the test instead of blocking it.
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream
}

fn get(addr: &str, path: &str, accept: Option<&str>) -> Response {
    let accept = accept.map_or(String::new(), |a| format!("Accept: {a}\r\n"));
    exchange(
        tcp(addr),
        &format!("GET {path} HTTP/1.1\r\nHost: test\r\n{accept}\r\n"),
    )
}

#[test]
fn serves_both_formats_and_drops_removed_cgroups() {
    // The live tree where we can make cgroups, else the fixture (no churn part then).
    let live = common::LiveCgroup::create("export-serve").ok();
    let fixture = common::fixture();
    let mut args: Vec<String> = match &live {
        Some(cgroup) => vec!["--root".into(), cgroup.dir().display().to_string()],
        None => {
            println!("no cgroup of our own: serving the fixture, without the removal check");
            vec!["--fixture".into(), fixture.display().to_string()]
        }
    };
    args.extend(["export", "--listen", "127.0.0.1:0"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let exporter = Exporter::start(&args);
    let addr = exporter.addr();

    let om = get(&addr, "/metrics", Some(PROMETHEUS_ACCEPT));
    assert_eq!(om.status, "HTTP/1.1 200 OK");
    assert_eq!(om.header("content-type"), Some(OPENMETRICS));
    assert!(om.body.ends_with("# EOF\n"));
    assert!(
        om.body.contains("# TYPE cgroup_populated gauge"),
        "{}",
        om.body
    );

    let text = get(
        &addr,
        "/metrics",
        Some("text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
    );
    assert_eq!(text.status, "HTTP/1.1 200 OK");
    assert_eq!(text.header("content-type"), Some(PROMETHEUS_TEXT));
    assert!(
        !text.body.contains("# EOF"),
        "the Prometheus text format has no EOF marker"
    );

    let index = get(&addr, "/", None);
    assert_eq!(index.status, "HTTP/1.1 200 OK");
    assert!(index.body.contains("href=\"metrics\""), "{}", index.body);
    assert!(get(&addr, "/nope", None).status.starts_with("HTTP/1.1 404"));
    let post = exchange(
        tcp(&addr),
        "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    );
    assert!(post.status.starts_with("HTTP/1.1 405"), "{}", post.status);
    let garbage = exchange(tcp(&addr), "\x16\x03\x01 not http\r\n\r\n");
    assert!(
        garbage.status.starts_with("HTTP/1.1 400"),
        "{}",
        garbage.status
    );

    let Some(live) = live else { return };
    let child = live.child("export-doomed");
    std::fs::create_dir(&child).expect("mkdir a child cgroup");
    let label = format!("cgroup=\"/{}/export-doomed\"", live.relative.display());
    let before = get(&addr, "/metrics", None);
    assert!(
        before.body.contains(&label),
        "the new cgroup is exported:\n{}",
        before.body
    );
    std::fs::remove_dir(&child).expect("rmdir the child cgroup");
    let after = get(&addr, "/metrics", None);
    assert_eq!(after.status, "HTTP/1.1 200 OK");
    assert!(
        !after.body.contains(&label),
        "a removed cgroup leaves no series:\n{}",
        after.body
    );
}

#[test]
fn non_loopback_needs_allow_remote() {
    let fixture = common::fixture();
    let out = Command::new(common::binary())
        .args([
            "--fixture",
            fixture.to_str().unwrap(),
            "export",
            "--listen",
            "0.0.0.0:0",
        ])
        .output()
        .expect("run cgtui export");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "refused: {err}");
    assert!(
        err.contains("refusing to listen on 0.0.0.0:0") && err.contains("--allow-remote"),
        "{err}"
    );
    // With the flag it listens (on every address; the test talks to it over loopback only).
    let exporter = Exporter::start(&[
        "--fixture",
        fixture.to_str().unwrap(),
        "export",
        "--listen",
        "0.0.0.0:0",
        "--allow-remote",
    ]);
    let port = exporter.addr().rsplit_once(':').unwrap().1.to_string();
    let response = get(&format!("127.0.0.1:{port}"), "/metrics", None);
    assert_eq!(response.status, "HTTP/1.1 200 OK");
}

#[test]
fn unix_socket() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("export.sock");
    let fixture = common::fixture();
    let exporter = Exporter::start(&[
        "--fixture",
        fixture.to_str().unwrap(),
        "export",
        "--listen",
        socket.to_str().unwrap(),
    ]);
    assert!(
        exporter.serving.starts_with("unix socket "),
        "{}",
        exporter.serving
    );
    let stream = std::os::unix::net::UnixStream::connect(&socket).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let response = exchange(stream, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(response.status, "HTTP/1.1 200 OK");
    assert!(
        response
            .body
            .contains("cgroup_memory_usage_bytes{cgroup=\"/system.slice\""),
        "{}",
        response.body
    );
    drop(exporter);
    // A stale socket (its exporter gone) is replaced; another file never is.
    let again = Exporter::start(&[
        "--fixture",
        fixture.to_str().unwrap(),
        "export",
        "--listen",
        socket.to_str().unwrap(),
    ]);
    drop(again);
    let file = dir.path().join("plain");
    std::fs::write(&file, "keep me").unwrap();
    let out = Command::new(common::binary())
        .args(["--fixture", fixture.to_str().unwrap(), "export", "--listen"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
}

#[test]
fn idle_and_surplus_connections_do_not_hang_it() {
    let fixture = common::fixture();
    let exporter = Exporter::start(&[
        "--fixture",
        fixture.to_str().unwrap(),
        "export",
        "--listen",
        "127.0.0.1:0",
    ]);
    let addr = exporter.addr();
    // Fill every connection slot with clients that send nothing...
    let idle: Vec<_> = (0..16).map(|_| tcp(&addr)).collect();
    // ...and one that sends a never-ending header line.
    std::thread::sleep(Duration::from_millis(500));
    let surplus = get(&addr, "/metrics", None);
    assert!(
        surplus.status.starts_with("HTTP/1.1 503"),
        "{}",
        surplus.status
    );
    drop(idle);
    // The slots come back as the idle clients go: a scrape is served again.
    let started = Instant::now();
    loop {
        let response = get(&addr, "/metrics", None);
        if response.status == "HTTP/1.1 200 OK" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "still refused a minute after the idle clients left: {}",
            response.status
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // A head larger than the limit is refused, not read forever.
    let mut huge = String::from("GET /metrics HTTP/1.1\r\nX-Fill: ");
    huge.push_str(&"a".repeat(64 * 1024));
    let mut stream = tcp(&addr);
    let _ = stream.write_all(huge.as_bytes());
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 431"), "{text}");
}

// Issue 23 items 3-5: a delegated user (uid 65534) against root's exporter, on the real
// cgroup2 hierarchy where the machine has one, with the binary under test (CGTUI_TEST_BINARY
// points these at the release build).

/// `python3 -c SCRIPT ARGS` as uid/gid 65534 with no supplementary groups (`setpriv`), or
/// why it cannot run here.
fn spawn_as_nobody(script: &str, args: &[&str]) -> Result<Child, String> {
    if !rustix::process::geteuid().is_root() {
        return Err("not root: cannot act as uid 65534".into());
    }
    for tool in ["/usr/bin/setpriv", "/usr/bin/python3"] {
        if !std::path::Path::new(tool).exists() {
            return Err(format!("no {tool}"));
        }
    }
    Command::new("/usr/bin/setpriv")
        .args([
            "--reuid",
            "65534",
            "--regid",
            "65534",
            "--clear-groups",
            "--",
        ])
        .args(["/usr/bin/python3", "-c", script])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run setpriv: {e}"))
}

/// The value of an unlabelled or labelled series line `name` in an exposition.
fn series_value(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

fn get_with_timeout(addr: &str, timeout: &str) -> Response {
    exchange(
        tcp(addr),
        &format!(
            "GET /metrics HTTP/1.1\r\nHost: test\r\nX-Prometheus-Scrape-Timeout-Seconds: {timeout}\r\n\r\n"
        ),
    )
}

/// Item 3: four clients looping scrapes with a 0.02 s timeout header cut the read in flight
/// for everyone (`cgtui_export_cgroups 0`). Now each deadline bounds only its own wait:
/// every probe with Prometheus' 10 s sees the whole tree.
#[test]
fn a_tiny_scrape_timeout_does_not_empty_anyone_elses_scrape() {
    let cg = match common::LiveCgroup::create("export-deadline") {
        Ok(cg) => cg,
        Err(why) => {
            println!("SKIPPED: {why}");
            return;
        }
    };
    for i in 0..1500 {
        std::fs::create_dir(cg.child(&format!("c{i:04}"))).unwrap();
    }
    let root = cg.dir().display().to_string();
    let exporter = Exporter::start(&["--root", &root, "export", "--listen", "127.0.0.1:0"]);
    let addr = exporter.addr();
    // Four clients of uid 65534 looping scrapes with a 0.02 s timeout.
    let script = r#"
import socket, sys, threading, time
host, port = sys.argv[1], int(sys.argv[2])
end = time.time() + float(sys.argv[3])
count = [0]
def loop():
    while time.time() < end:
        try:
            s = socket.create_connection((host, port), timeout=5)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Prometheus-Scrape-Timeout-Seconds: 0.02\r\n\r\n")
            while s.recv(65536):
                pass
            s.close()
            count[0] += 1
        except OSError:
            time.sleep(0.01)
threads = [threading.Thread(target=loop) for _ in range(4)]
print("attacking", flush=True)
for t in threads: t.start()
for t in threads: t.join()
print(count[0], flush=True)
"#;
    let (host, port) = addr.rsplit_once(':').unwrap();
    let mut attacker = match spawn_as_nobody(script, &[host, port, "6"]) {
        Ok(child) => child,
        Err(why) => {
            println!("SKIPPED: {why}");
            return;
        }
    };
    let mut said = BufReader::new(attacker.stdout.take().unwrap());
    let mut line = String::new();
    said.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "attacking");
    let _attacker = common::Killed(vec![attacker]);
    std::thread::sleep(Duration::from_millis(300));
    let mut seen = Vec::new();
    for _ in 0..10 {
        let probe = get_with_timeout(&addr, "10");
        assert_eq!(probe.status, "HTTP/1.1 200 OK");
        let cgroups = series_value(&probe.body, "cgtui_export_cgroups").unwrap_or(-1.0);
        let cut = series_value(
            &probe.body,
            "cgtui_export_cgroups_omitted{reason=\"deadline\"}",
        )
        .unwrap_or(-1.0);
        seen.push((cgroups, cut));
        std::thread::sleep(Duration::from_millis(50));
    }
    line.clear();
    said.read_line(&mut line).unwrap();
    let scrapes: usize = line.trim().parse().unwrap_or(0);
    println!("probes (cgroups, omitted for the deadline): {seen:?}; attacker scrapes: {scrapes}");
    assert!(scrapes > 10, "the attackers ran ({scrapes} scrapes)");
    for (cgroups, cut) in seen {
        assert_eq!(cgroups, 1501.0, "every probe sees the whole tree");
        assert_eq!(cut, 0.0);
    }
}

/// Item 5: 48 connections held open by another user took every slot (every probe 503 or a
/// 10 s timeout). Now a peer holds at most 4 and idle ones are closed after 2 s: a scrape is
/// served at once while they are held.
#[test]
fn connections_another_user_holds_do_not_keep_a_scraper_out() {
    let fixture = common::fixture();
    let exporter = Exporter::start(&[
        "--fixture",
        fixture.to_str().unwrap(),
        "export",
        "--listen",
        "127.0.0.1:0",
    ]);
    let addr = exporter.addr();
    let (host, port) = addr.rsplit_once(':').unwrap();
    // Holders that reconnect as soon as they are closed, some sending half a head.
    let script = r#"
import socket, sys, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
held = []
print("ready", flush=True)
end = time.time() + 30
while time.time() < end:
    held = [s for s in held if s.fileno() >= 0]
    while len(held) < n:
        try:
            s = socket.create_connection((host, port), timeout=1)
            s.sendall(b"GET /metrics HTTP/1.1\r\n")
            held.append(s)
        except OSError:
            break
    time.sleep(0.05)
    for s in list(held):
        s.setblocking(False)
        try:
            if s.recv(1) == b"":
                s.close(); held.remove(s)
        except BlockingIOError:
            pass
        except OSError:
            s.close(); held.remove(s)
"#;
    let holder = match spawn_as_nobody(script, &[host, port, "48"]) {
        Ok(child) => child,
        Err(why) => {
            println!("SKIPPED: {why}");
            return;
        }
    };
    let mut holders = common::Killed(vec![holder]);
    let mut ready = String::new();
    BufReader::new(holders.0[0].stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready.trim(), "ready");
    std::thread::sleep(Duration::from_secs(1));
    let mut worst = Duration::ZERO;
    for _ in 0..20 {
        let started = Instant::now();
        let probe = get_with_timeout(&addr, "10");
        worst = worst.max(started.elapsed());
        assert_eq!(probe.status, "HTTP/1.1 200 OK", "{}", probe.body);
        std::thread::sleep(Duration::from_millis(200));
    }
    println!("20 probes while uid 65534 holds connections: slowest {worst:?}");
    assert!(worst < Duration::from_secs(3), "{worst:?}");
}

/// Item 4: 100 nested names of 255 x 0xff bytes in a user's delegated subtree made an 84 MB
/// exposition (each series repeats the escaped path), encoded once per connection. Now the
/// exposition stays under --max-bytes (what does not fit is counted), and 16 connections
/// that never read share one encoded body.
#[test]
fn long_names_a_user_makes_cannot_bloat_the_exposition() {
    let cg = match common::LiveCgroup::create("export-bloat") {
        Ok(cg) => cg,
        Err(why) => {
            println!("SKIPPED: {why}");
            return;
        }
    };
    std::os::unix::fs::chown(cg.dir(), Some(65534), Some(65534)).unwrap();
    let script = r#"
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
name = b"\xff" * 255
for _ in range(int(sys.argv[2])):
    os.mkdir(name, 0o755, dir_fd=fd)
    nxt = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    os.close(fd)
    fd = nxt
print("made", flush=True)
"#;
    let root = cg.dir().display().to_string();
    let maker = match spawn_as_nobody(script, &[&root, "100"]) {
        Ok(child) => child,
        Err(why) => {
            println!("SKIPPED: {why}");
            return;
        }
    };
    // The deep chain goes before the cgroup, even when the test fails (paths past PATH_MAX).
    struct Chain(String);
    impl Drop for Chain {
        fn drop(&mut self) {
            let remover = r#"
import os, sys
def rm(fd):
    name = b"\xff" * 255
    try:
        sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    except FileNotFoundError:
        return
    rm(sub)
    os.close(sub)
    os.rmdir(name, dir_fd=fd)
rm(os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY))
"#;
            if let Ok(child) = spawn_as_nobody(remover, &[&self.0]) {
                let _ = child.wait_with_output();
            }
        }
    }
    let _chain = Chain(root.clone());
    let out = maker.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "made");
    let max_bytes = 16 << 20;
    let exporter = Exporter::start(&[
        "--root",
        &root,
        "export",
        "--listen",
        "127.0.0.1:0",
        "--max-bytes",
        &max_bytes.to_string(),
    ]);
    let addr = exporter.addr();
    // 16 connections of uid 65534 that ask and never read.
    let staller = r#"
import socket, sys, time
held = []
for _ in range(16):
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    held.append(s)
print("asked", flush=True)
time.sleep(60)
"#;
    let (host, port) = addr.rsplit_once(':').unwrap();
    let mut stalled = common::Killed(vec![spawn_as_nobody(staller, &[host, port]).unwrap()]);
    let mut asked = String::new();
    BufReader::new(stalled.0[0].stdout.take().unwrap())
        .read_line(&mut asked)
        .unwrap();
    assert_eq!(asked.trim(), "asked");
    std::thread::sleep(Duration::from_secs(2));
    let started = Instant::now();
    let probe = get_with_timeout(&addr, "30");
    let took = started.elapsed();
    assert_eq!(probe.status, "HTTP/1.1 200 OK");
    let bytes = series_value(
        &probe.body,
        "cgtui_export_cgroups_omitted{reason=\"bytes\"}",
    )
    .unwrap_or(-1.0);
    let pid = exporter.child.id();
    let peak_kb = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap();
    println!(
        "exposition {} bytes in {took:?}, {bytes} cgroups left out for bytes, exporter peak RSS {peak_kb} kB",
        probe.body.len()
    );
    assert!(
        probe.body.len() <= max_bytes + (64 << 10),
        "{}",
        probe.body.len()
    );
    assert!(bytes > 0.0, "the deep names are left out and counted");
    assert!(series_value(&probe.body, "cgtui_export_cgroups").unwrap_or(0.0) >= 1.0);
    assert!(peak_kb < 512 << 10, "peak RSS {peak_kb} kB");
    drop(stalled);
}

/// The library's exporter on `live`, following it through inotify with at most `watches`
/// watches (`None`: the default), as `cgtui export` runs it.
fn watching_exporter(live: &common::LiveCgroup, watches: Option<usize>) -> cgtui::export::Exporter {
    use cgtui::export::{Exporter, Selection, SelectionArgs};
    let fs = cgtui::cgroup::Cgroupfs::system().expect("cgroup2");
    let base = fs.resolve(&live.dir()).expect("the test cgroup resolves");
    let selection = Selection::new(&SelectionArgs::default()).unwrap();
    Exporter::new(fs, base, selection).watching_at_most(watches)
}

/// `cgtui export` follows the tree through inotify: after its first scrape, a scrape takes the
/// watcher's tree instead of listing it, and still has a cgroup made just before it (nested
/// ones too) and not one removed just before it, as a listing would.
#[test]
fn a_watching_exporter_lists_the_tree_once_and_still_sees_every_change() {
    use cgtui::export::{Exporter, Format};
    use std::sync::Arc;
    let live = live_or_skip!("export-watch");
    let mut exporter = watching_exporter(&live, None);
    assert!(exporter.is_watching(), "inotify works on this cgroupfs");
    let label = |relative: &str| format!("cgroup=\"/{}/{relative}\"", live.relative.display());
    let scrape = |exporter: &mut Exporter| {
        let scrape = Arc::new(exporter.scrape(None));
        (scrape.listed_tree(), scrape.encode(Format::OpenMetrics))
    };
    let (listed, _) = scrape(&mut exporter);
    assert!(listed, "the first scrape lists the tree");
    std::fs::create_dir_all(live.child("a/b/c")).expect("mkdir -p a/b/c");
    let (listed, text) = scrape(&mut exporter);
    assert!(!listed, "the watcher's tree is taken");
    for made in ["a", "a/b", "a/b/c"] {
        assert!(text.contains(&label(made)), "{made} is exported:\n{text}");
    }
    std::fs::remove_dir(live.child("a/b/c")).expect("rmdir a/b/c");
    std::fs::remove_dir(live.child("a/b")).expect("rmdir a/b");
    std::fs::create_dir(live.child("d")).expect("mkdir d");
    let (listed, text) = scrape(&mut exporter);
    assert!(!listed);
    assert!(text.contains(&label("a")) && text.contains(&label("d")));
    assert!(
        !text.contains(&label("a/b")),
        "removed cgroups leave no series:\n{text}"
    );
}

/// Past its watch budget the exporter lists the directories it could not watch at each
/// scrape; a cgroup made under one and then found by a listing scrape (every 60th, or after a
/// flood) is still named unwatched, so that what is made under it later is exported too.
#[test]
fn past_the_watch_budget_cgroups_a_listing_finds_are_listed_again() {
    use cgtui::export::{Format, WALK_EVERY};
    use std::sync::Arc;
    let live = live_or_skip!("export-budget");
    std::fs::create_dir(live.child("watched")).unwrap();
    std::fs::create_dir(live.child("watched/u")).unwrap();
    // The base and `watched`: `watched/u` is past the budget.
    let mut exporter = watching_exporter(&live, Some(2));
    let label = |relative: &str| format!("cgroup=\"/{}/{relative}\"", live.relative.display());
    let mut scrape = || Arc::new(exporter.scrape(None)).encode(Format::OpenMetrics);
    // The first scrape lists the tree, the next WALK_EVERY take the watcher's.
    for _ in 0..=WALK_EVERY {
        scrape();
    }
    // Made just before the next listing scrape: found by the listing, not by a relisting.
    std::fs::create_dir(live.child("watched/u/y")).unwrap();
    assert!(scrape().contains(&label("watched/u/y")));
    std::fs::create_dir(live.child("watched/u/y/z")).unwrap();
    let text = scrape();
    assert!(
        text.contains(&label("watched/u/y/z")),
        "a cgroup made under an unwatched one found by a listing is exported:\n{text}"
    );
}

/// A scrape whose deadline has passed takes no queued events (a user's flood of them cannot
/// eat a scraper's timeout): it lists the tree and reads nothing; the events wait for the next
/// scrape, which takes them.
#[test]
fn a_scrape_past_its_deadline_leaves_the_queued_events_to_the_next() {
    use cgtui::export::Format;
    use std::sync::Arc;
    let live = live_or_skip!("export-deadline");
    let mut exporter = watching_exporter(&live, None);
    exporter.scrape(None);
    std::fs::create_dir(live.child("a")).unwrap();
    let past = Instant::now();
    let late = exporter.scrape_until(&|| Some(past));
    assert!(
        late.listed_tree(),
        "past its deadline a scrape lists the tree"
    );
    assert_eq!(late.cgroups(), 0, "and reads nothing");
    let next = Arc::new(exporter.scrape(None));
    assert!(!next.listed_tree());
    let label = format!("cgroup=\"/{}/a\"", live.relative.display());
    assert!(next.encode(Format::OpenMetrics).contains(&label));
}
