//! The HTTP side of `cgtui export`: `GET /metrics` and `GET /`, nothing else, over TCP or a
//! unix socket (or a socket systemd passes).
//!
//! Anyone who can connect is untrusted (the brief's threat model): at most
//! [`MAX_CONNECTIONS`] at once and [`PER_PEER`] per peer (a uid on the unix socket or on
//! loopback TCP, else an address): when all are taken, a peer holding fewer than the busiest
//! one takes that one's oldest connection, so no number of local users can keep a scraper out.
//! A request head of at most [`MAX_HEAD`] bytes must arrive within [`HEAD_DEADLINE`], a
//! response must be taken within [`WRITE_DEADLINE`]. Requests are parsed by `httparse`. The
//! tree is read by one scrape at a time: scrapes that arrive while a read is in flight wait for
//! it and share its result, each for as long as its own deadline allows, and the read goes on
//! until the latest deadline of those waiting (never less than [`MIN_READ_BUDGET`]), so a
//! client's short deadline never cuts short what others get. Each read is encoded once per
//! format and that one body is sent to every connection.

use super::{Exporter, Format, Scrape};
use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The default `--listen`: loopback only, on a port free in Prometheus' default port
/// allocations (docs/src/export.md says when it was checked; 9256, the earlier default, is
/// process-exporter's).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9659";
/// Connections served at once; more are refused with 503.
pub const MAX_CONNECTIONS: usize = 64;
/// Connections one peer (a uid, else an address) holds at once; more are refused with 503.
pub const PER_PEER: usize = 4;
/// The longest request head (request line and headers) accepted.
pub const MAX_HEAD: usize = 8 * 1024;
/// The time a client has to send its request head (a scraper sends it at once).
pub const HEAD_DEADLINE: Duration = Duration::from_secs(2);
/// The time a client has to take the whole response.
pub const WRITE_DEADLINE: Duration = Duration::from_secs(60);
/// The longest a scrape reads without a scrape timeout header from the scraper.
pub const DEFAULT_SCRAPE_DEADLINE: Duration = Duration::from_secs(60);
/// A read of the tree runs at least this long before it leaves cgroups out for a deadline,
/// however short the deadline of the client that started it.
pub const MIN_READ_BUDGET: Duration = Duration::from_secs(1);

/// Where to listen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl std::fmt::Display for Listen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Listen::Tcp(addr) => write!(f, "http://{addr}/metrics"),
            Listen::Unix(path) => write!(
                f,
                "unix socket {} (GET /metrics)",
                crate::cgroup::escape::visible_os(path.as_os_str())
            ),
        }
    }
}

/// `--listen ADDR`: `IP:PORT` (`[::1]:9659`), `localhost:PORT`, or a path (with a `/`) for a
/// unix socket.
pub fn parse_listen(text: &str) -> Result<Listen, String> {
    if text.contains('/') {
        return Ok(Listen::Unix(PathBuf::from(text)));
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(Listen::Tcp(addr));
    }
    if let Some(port) = text.strip_prefix("localhost:")
        && let Ok(port) = port.parse::<u16>()
    {
        return Ok(Listen::Tcp(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            port,
        )));
    }
    Err(format!(
        "{text:?} is not IP:PORT (127.0.0.1:9659, [::1]:9659), localhost:PORT, or a socket path (with a /)"
    ))
}

/// A bound listening socket.
pub enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl Listener {
    /// What it listens on (the port the kernel chose for port 0).
    pub fn describe(&self) -> String {
        match self {
            Listener::Tcp(l) => l.local_addr().map_or_else(
                |e| format!("a TCP socket ({e})"),
                |a| Listen::Tcp(a).to_string(),
            ),
            Listener::Unix(l) => l
                .local_addr()
                .ok()
                .and_then(|a| {
                    a.as_pathname()
                        .map(|p| Listen::Unix(p.to_path_buf()).to_string())
                })
                .unwrap_or_else(|| "a unix socket".into()),
        }
    }

    fn accept(&self) -> io::Result<(Stream, Peer)> {
        match self {
            Listener::Tcp(l) => l.accept().map(|(s, addr)| {
                let peer = s
                    .local_addr()
                    .ok()
                    .filter(|_| addr.ip().is_loopback())
                    .and_then(|local| loopback_peer_uid(local, addr))
                    .map_or(Peer::Address(addr.ip()), Peer::Uid);
                (Stream::Tcp(s), peer)
            }),
            Listener::Unix(l) => l.accept().map(|(s, _)| {
                let peer = rustix::net::sockopt::socket_peercred(&s)
                    .map_or(Peer::Unknown, |cred| Peer::Uid(cred.uid.as_raw()));
                (Stream::Unix(s), peer)
            }),
        }
    }
}

/// Bind `listen`. An address other machines can reach needs `allow_remote`: the exposition
/// names every cgroup, unit and user on the host, and it has no authentication.
pub fn bind(listen: &Listen, allow_remote: bool) -> Result<Listener> {
    match listen {
        Listen::Tcp(addr) => {
            if !addr.ip().is_loopback() && !allow_remote {
                bail!(
                    "refusing to listen on {addr}: other machines could reach it, and the metrics name every cgroup, unit and user of this host with no authentication. Listen on 127.0.0.1 or a unix socket behind a proxy, or pass --allow-remote (and firewall the port)"
                );
            }
            let listener =
                TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
            Ok(Listener::Tcp(listener))
        }
        Listen::Unix(path) => {
            remove_stale_socket(path)?;
            let listener = UnixListener::bind(path)
                .with_context(|| format!("cannot listen on unix socket {}", path.display()))?;
            Ok(Listener::Unix(listener))
        }
    }
}

/// A socket file left by an exporter that is gone (nothing accepts on it) is removed; any
/// other file is not touched.
fn remove_stale_socket(path: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !meta.file_type().is_socket() {
        bail!(
            "{} exists and is not a socket: not replacing it",
            path.display()
        );
    }
    match UnixStream::connect(path) {
        Ok(_) => bail!("{} is in use by another server", path.display()),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => std::fs::remove_file(path)
            .with_context(|| format!("cannot remove the stale socket {}", path.display())),
        Err(e) => Err(e).with_context(|| format!("cannot check the socket {}", path.display())),
    }
}

/// The socket systemd passed (socket activation: `LISTEN_PID` is this process, one fd).
pub fn systemd_listener() -> Result<Option<Listener>> {
    use std::os::fd::{FromRawFd, OwnedFd};
    let ours = std::env::var("LISTEN_PID")
        .ok()
        .and_then(|pid| pid.parse::<u32>().ok())
        .is_some_and(|pid| pid == std::process::id());
    if !ours {
        return Ok(None);
    }
    let fds = std::env::var("LISTEN_FDS").unwrap_or_default();
    if fds != "1" {
        bail!("systemd passed LISTEN_FDS={fds:?}: cgtui export takes exactly one socket");
    }
    // SAFETY: systemd's protocol: fd 3 is the passed socket, owned by this process, and
    // nothing else in it has taken fd 3 (LISTEN_PID names us; the env is consumed once).
    let fd = unsafe { OwnedFd::from_raw_fd(3) };
    // SAFETY: unsetting in a single-threaded start, before any thread exists.
    unsafe {
        std::env::remove_var("LISTEN_PID");
        std::env::remove_var("LISTEN_FDS");
        std::env::remove_var("LISTEN_FDNAMES");
    }
    let addr = rustix::net::getsockname(&fd).context("the socket systemd passed")?;
    Ok(Some(match addr.address_family() {
        rustix::net::AddressFamily::UNIX => Listener::Unix(UnixListener::from(fd)),
        _ => Listener::Tcp(TcpListener::from(fd)),
    }))
}

/// One read of the tree, encoded at most once per format, shared by every connection.
struct Exposition {
    scrape: Arc<Scrape>,
    encoded: [std::sync::OnceLock<Arc<Vec<u8>>>; 2],
}

impl Exposition {
    fn body(&self, format: Format) -> Arc<Vec<u8>> {
        let slot = match format {
            Format::OpenMetrics => 0,
            Format::Prometheus => 1,
        };
        self.encoded[slot]
            .get_or_init(|| Arc::new(self.scrape.encode(format).into_bytes()))
            .clone()
    }
}

/// The latest read of the tree, and whether one is in flight.
struct Latest {
    /// Counts finished reads.
    generation: u64,
    reading: bool,
    /// The read in flight leaves cgroups out from then on: the latest deadline of the
    /// scrapes that wait for it.
    read_until: Instant,
    exposition: Option<Arc<Exposition>>,
}

struct Shared {
    /// Held only by the one reading scrape.
    exporter: Mutex<Exporter>,
    latest: Mutex<Latest>,
    read_done: Condvar,
    slots: Mutex<Slots>,
}

impl Shared {
    /// A fresh read of the tree: the one in flight if there is one (shared with every
    /// scrape that waits for it, each extending it to its own deadline), else a new one by
    /// this thread. `None` if `deadline` passes while waiting for another's read.
    fn scrape(&self, deadline: Instant) -> Option<Arc<Exposition>> {
        let mut latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        if latest.reading {
            latest.read_until = latest.read_until.max(deadline);
            let waiting_for = latest.generation + 1;
            while latest.generation < waiting_for {
                let left = deadline.checked_duration_since(Instant::now())?;
                latest = self
                    .read_done
                    .wait_timeout(latest, left)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            return latest.exposition.clone();
        }
        latest.reading = true;
        latest.read_until = deadline.max(Instant::now() + MIN_READ_BUDGET);
        drop(latest);
        // A panic in a read must not wedge later scrapes: the guard ends the read either way.
        struct Reading<'a>(&'a Shared, Option<Arc<Exposition>>);
        impl Drop for Reading<'_> {
            fn drop(&mut self) {
                let mut latest = self.0.latest.lock().unwrap_or_else(|p| p.into_inner());
                latest.reading = false;
                latest.generation += 1;
                latest.exposition = self.1.take();
                self.0.read_done.notify_all();
            }
        }
        let mut reading = Reading(self, None);
        let scrape = {
            let mut exporter = self.exporter.lock().unwrap_or_else(|p| p.into_inner());
            let until = || {
                let latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
                Some(latest.read_until)
            };
            Arc::new(exporter.scrape_until(&until))
        };
        let exposition = Arc::new(Exposition {
            scrape,
            encoded: Default::default(),
        });
        reading.1 = Some(exposition.clone());
        Some(exposition)
    }
}

/// Serve until the process is stopped.
pub fn serve(listener: Listener, exporter: Exporter) -> Result<()> {
    let shared = Arc::new(Shared {
        exporter: Mutex::new(exporter),
        latest: Mutex::new(Latest {
            generation: 0,
            reading: false,
            read_until: Instant::now(),
            exposition: None,
        }),
        read_done: Condvar::new(),
        slots: Mutex::new(Slots::default()),
    });
    let refuse = refuser();
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            // Out of descriptors or a connection reset before accept: keep serving.
            Err(e) => {
                eprintln!("cgtui export: accept failed: {e}");
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let slot = shared
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take(peer, &stream);
        let Some(slot) = slot else {
            // A full queue (a flood) drops the connection: closed at once.
            let _ = refuse.try_send(stream);
            continue;
        };
        let worker = shared.clone();
        let release = move |shared: &Shared| {
            shared
                .slots
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .held
                .remove(&slot);
        };
        let spawned = std::thread::Builder::new()
            .name("export-conn".into())
            .spawn(move || {
                handle(stream, &worker);
                release(&worker);
            });
        if let Err(e) = spawned {
            release(&shared);
            eprintln!("cgtui export: cannot start a connection thread: {e}");
        }
    }
}

/// Connections over [`MAX_CONNECTIONS`] waiting to be told 503; beyond these, they are closed
/// at once.
const REFUSE_QUEUE: usize = 64;

/// Over [`MAX_CONNECTIONS`]: one thread tells each 503, giving its client a second to send
/// its request (so closing does not reset the connection under the answer).
fn refuser() -> std::sync::mpsc::SyncSender<Stream> {
    let (queue, waiting) = std::sync::mpsc::sync_channel::<Stream>(REFUSE_QUEUE);
    let spawned = std::thread::Builder::new()
        .name("export-busy".into())
        .spawn(move || {
            for mut stream in waiting {
                let patience = Duration::from_secs(1);
                if stream.set_timeouts(patience, patience).is_err() {
                    continue;
                }
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf);
                let head = response_head(
                    "503 Service Unavailable",
                    "text/plain; charset=utf-8",
                    0,
                    &["Retry-After: 1"],
                );
                if stream.write_all(&head).is_ok() {
                    drain(&mut stream, Duration::from_millis(200));
                }
            }
        });
    if let Err(e) = spawned {
        eprintln!("cgtui export: cannot start the thread that refuses surplus connections: {e}");
    }
    queue
}

/// A parsed request: what the handler needs of it.
#[derive(Debug, PartialEq)]
pub struct Request {
    pub head_only: bool,
    pub path: String,
    pub accept: Option<String>,
    pub scrape_timeout: Option<Duration>,
}

/// Why a request gets no 200.
#[derive(Debug, PartialEq)]
pub enum Refusal {
    Status(&'static str, &'static str),
}

/// Parse a request head (all of it, up to the blank line).
pub fn parse_request(head: &[u8]) -> Result<Request, Refusal> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(Refusal::Status("400 Bad Request", "incomplete request\n"));
        }
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Refusal::Status(
                "431 Request Header Fields Too Large",
                "too many headers\n",
            ));
        }
        Err(_) => return Err(Refusal::Status("400 Bad Request", "malformed request\n")),
    }
    let head_only = match request.method {
        Some("GET") => false,
        Some("HEAD") => true,
        _ => {
            return Err(Refusal::Status(
                "405 Method Not Allowed",
                "only GET and HEAD: this exporter is read-only\n",
            ));
        }
    };
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| std::str::from_utf8(h.value).ok())
    };
    let has_body = header("content-length").is_some_and(|v| v.trim() != "0")
        || header("transfer-encoding").is_some();
    if has_body {
        return Err(Refusal::Status(
            "413 Content Too Large",
            "a GET here takes no body\n",
        ));
    }
    let target = request.path.unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/").to_string();
    let scrape_timeout = header("x-prometheus-scrape-timeout-seconds")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(|s| Duration::from_secs_f64(s.min(3600.0)));
    Ok(Request {
        head_only,
        path,
        accept: header("accept").map(str::to_string),
        scrape_timeout,
    })
}

/// Read the request head: up to the blank line, at most [`MAX_HEAD`] bytes, within
/// [`HEAD_DEADLINE`] in all (a client sending a byte at a time gets no longer).
fn read_head(stream: &mut Stream) -> Result<Vec<u8>, Refusal> {
    let started = Instant::now();
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    loop {
        if head.windows(4).any(|w| w == b"\r\n\r\n") || head.windows(2).any(|w| w == b"\n\n") {
            return Ok(head);
        }
        if head.len() >= MAX_HEAD {
            return Err(Refusal::Status(
                "431 Request Header Fields Too Large",
                "request head too large\n",
            ));
        }
        let Some(left) = HEAD_DEADLINE.checked_sub(started.elapsed()) else {
            return Err(Refusal::Status("408 Request Timeout", "request too slow\n"));
        };
        if let Err(e) = stream.set_timeouts(left.max(Duration::from_millis(1)), WRITE_DEADLINE) {
            eprintln!("cgtui export: {e}");
            return Err(Refusal::Status("500 Internal Server Error", "\n"));
        }
        let want = (MAX_HEAD - head.len()).min(buf.len());
        match stream.read(&mut buf[..want]) {
            Ok(0) => return Err(Refusal::Status("400 Bad Request", "incomplete request\n")),
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(Refusal::Status("408 Request Timeout", "request too slow\n"));
            }
            Err(_) => return Err(Refusal::Status("400 Bad Request", "\n")),
        }
    }
}

fn response_head(status: &str, content_type: &str, length: usize, extra: &[&str]) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\nConnection: close\r\nCache-Control: no-store\r\n"
    );
    for line in extra {
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    head.into_bytes()
}

const INDEX: &str = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>cgtui export</title></head>\n<body><h1>cgtui export</h1>\n<p>cgroup v2 metrics of this host, for Prometheus: <a href=\"metrics\">/metrics</a> (OpenMetrics; the Prometheus text format when <code>Accept</code> asks for <code>text/plain</code>).</p>\n<p>Read-only. Metric names and labels: cgtui's manual, chapter \"Prometheus\" (docs/src/export.md).</p>\n</body></html>\n";

fn text_body(text: &str) -> Arc<Vec<u8>> {
    Arc::new(text.as_bytes().to_vec())
}

/// Serve one request on `stream`, then close it.
fn handle(mut stream: Stream, shared: &Shared) {
    let started = Instant::now();
    let (status, content_type, body, head_only): (&str, &str, Arc<Vec<u8>>, bool) =
        match read_head(&mut stream).and_then(|head| parse_request(&head)) {
            Err(Refusal::Status(status, text)) => {
                (status, "text/plain; charset=utf-8", text_body(text), false)
            }
            Ok(request) => match request.path.as_str() {
                "/metrics" => {
                    // Leave a tenth of the scraper's timeout for encoding and sending.
                    let budget = request
                        .scrape_timeout
                        .map_or(DEFAULT_SCRAPE_DEADLINE, |t| t.mul_f64(0.9));
                    match shared.scrape(started + budget) {
                        Some(exposition) => {
                            let format = Format::from_accept(request.accept.as_deref());
                            let body = exposition.body(format);
                            ("200 OK", format.content_type(), body, request.head_only)
                        }
                        None => (
                            "503 Service Unavailable",
                            "text/plain; charset=utf-8",
                            text_body("the tree could not be read before the scrape timeout\n"),
                            request.head_only,
                        ),
                    }
                }
                "/" => (
                    "200 OK",
                    "text/html; charset=utf-8",
                    text_body(INDEX),
                    request.head_only,
                ),
                _ => (
                    "404 Not Found",
                    "text/plain; charset=utf-8",
                    text_body("not found: try /metrics\n"),
                    request.head_only,
                ),
            },
        };
    let head = response_head(status, content_type, body.len(), &[]);
    let body: &[u8] = if head_only { &[] } else { &body };
    // A client that stops reading loses its response, and never holds more than its thread.
    let deadline = started + HEAD_DEADLINE + WRITE_DEADLINE;
    if write_within(&mut stream, &head, deadline)
        .and_then(|()| write_within(&mut stream, body, deadline))
        .is_ok()
    {
        drain(&mut stream, DRAIN_FOR);
    }
}

/// After the response: end our side, then take what the client still sends (a refused
/// oversized head) for a moment, so closing does not reset the connection before the client
/// has read the response.
fn drain(stream: &mut Stream, patience: Duration) {
    if stream.shutdown_write().is_err() {
        return;
    }
    let started = Instant::now();
    let mut buf = [0u8; 16 * 1024];
    let mut taken = 0;
    while taken < 1024 * 1024 && started.elapsed() < patience {
        if stream.set_timeouts(patience, patience).is_err() {
            return;
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => taken += n,
        }
    }
}

/// How long a finished connection waits for its client to close.
const DRAIN_FOR: Duration = Duration::from_secs(2);

/// Write all of `data` before `deadline`, in chunks, each write bounded by the time left.
fn write_within(stream: &mut Stream, data: &[u8], deadline: Instant) -> io::Result<()> {
    for chunk in data.chunks(64 * 1024) {
        let mut rest = chunk;
        while !rest.is_empty() {
            let left = deadline
                .checked_duration_since(Instant::now())
                .filter(|d| !d.is_zero())
                .ok_or_else(|| io::Error::from(io::ErrorKind::TimedOut))?;
            stream.set_timeouts(HEAD_DEADLINE, left)?;
            match stream.write(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

mod peers;

use peers::*;

#[cfg(test)]
mod tests;
