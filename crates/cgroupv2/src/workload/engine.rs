//! Container names and images from the engine that runs them (`--resolve-names`): the Docker
//! API (`GET /containers/json?all=1`), which Docker and Podman (its compat API) both answer,
//! over their unix sockets.
//!
//! Only on request, never as a side effect of monitoring. The sockets are checked like a
//! user's bus ([`crate::peer`]): a system engine's socket must be root's and listened on by
//! root; a user's (rootless Docker or Podman, `/run/user/UID/...`) that user's or root's, and
//! its answers name only that user's containers (those under `user@UID.service`), so a user
//! cannot rename anyone else's. Every exchange has a deadline and a size limit; a socket that
//! failed or timed out is not asked again for a while; answers are cached.

use super::{Kind, Workload};
use crate::escape::SysText;
use crate::peer::{Expect, PeerError};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Whose engine: the system's, or a user's rootless one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    System,
    User(u32),
}

impl Source {
    /// Whose engine may name `workload`: the user's for a container under `user@UID.service`
    /// or `user-UID.slice`, else the system's. `None` for what no engine asked here names.
    pub fn of(workload: &Workload) -> Option<Source> {
        match workload.kind? {
            Kind::Docker | Kind::Podman => {}
            _ => return None,
        }
        workload.full_id.as_ref()?;
        Some(workload.uid.map_or(Source::System, Source::User))
    }

    fn expect(self) -> Expect {
        match self {
            Source::System => Expect::Root,
            Source::User(uid) => Expect::User(uid),
        }
    }
}

/// One engine's API socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `docker` or `podman`, for messages.
    pub engine: &'static str,
    pub path: PathBuf,
    pub source: Source,
}

/// The sockets a source's engines listen on, at their fixed places (`DOCKER_HOST` is not
/// trusted: under `sudo -E` it is the invoking user's).
pub fn endpoints(source: Source) -> Vec<Endpoint> {
    let at = |engine, path: String| Endpoint {
        engine,
        path: PathBuf::from(path),
        source,
    };
    match source {
        Source::System => vec![
            at("docker", "/run/docker.sock".into()),
            at("podman", "/run/podman/podman.sock".into()),
        ],
        Source::User(uid) => vec![
            at("docker", format!("/run/user/{uid}/docker.sock")),
            at("podman", format!("/run/user/{uid}/podman/podman.sock")),
        ],
    }
}

/// What an engine says about a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// Its name, without Docker's leading `/`.
    pub name: SysText,
    pub image: SysText,
    /// Which engine said so.
    pub engine: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To connect (a full listen queue).
    pub connect: Duration,
    /// For the whole exchange: request sent, answer read.
    pub exchange: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(2),
            exchange: Duration::from_secs(5),
        }
    }
}

/// The most an answer may be (headers and body): about 4,000 containers.
pub const MAX_RESPONSE: usize = 8 << 20;
/// The most the headers may be.
const MAX_HEADERS: usize = 64 << 10;
/// At most this many containers are kept from one answer.
const MAX_CONTAINERS: usize = 20_000;

/// Why an engine could not be asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EngineError(pub String);

/// `GET /containers/json?all=1` from one endpoint: full id → container.
pub fn list_containers(
    endpoint: &Endpoint,
    timeouts: Timeouts,
) -> Result<HashMap<String, Container>, EngineError> {
    let shown = crate::escape::visible_os(endpoint.path.as_os_str()).into_owned();
    let fail = |why: String| EngineError(format!("{} at {shown}: {why}", endpoint.engine));
    let stream =
        crate::peer::connect_checked(&endpoint.path, endpoint.source.expect(), timeouts.connect)
            .map_err(|e| match e {
                PeerError::TimedOut => fail(format!(
                    "no answer within {} s (connecting)",
                    timeouts.connect.as_secs_f64()
                )),
                e => EngineError(format!("{}: {e}", endpoint.engine)),
            })?;
    let body = get(stream, "/containers/json?all=1", timeouts.exchange).map_err(fail)?;
    parse_containers(&body, endpoint.engine).map_err(fail)
}

/// One HTTP/1.1 GET on `stream` within `limit`, its body bounded by [`MAX_RESPONSE`].
fn get(
    mut stream: std::os::unix::net::UnixStream,
    target: &str,
    limit: Duration,
) -> Result<Vec<u8>, String> {
    let deadline = Instant::now() + limit;
    let remaining = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| format!("no answer within {} s", limit.as_secs_f64()))
    };
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            format!("no answer within {} s", limit.as_secs_f64())
        }
        _ => format!("cannot talk to it: {e}"),
    };
    stream.set_nonblocking(false).map_err(io)?;
    stream.set_write_timeout(Some(remaining()?)).map_err(io)?;
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: cgtui\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).map_err(io)?;
    let mut response = Vec::new();
    let mut reading = Reading::default();
    let mut buf = [0u8; 16 << 10];
    loop {
        stream.set_read_timeout(Some(remaining()?)).map_err(io)?;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if response.len() + n > MAX_RESPONSE {
                    return Err(format!(
                        "its answer is larger than {} MiB",
                        MAX_RESPONSE >> 20
                    ));
                }
                response.extend_from_slice(&buf[..n]);
                // Connection: close ends the body, but a server may keep the connection open
                // after a complete answer: stop as soon as the body is whole (each byte
                // parsed once, however many reads the answer takes).
                if let Some(body) = reading.advance(&response, false)? {
                    return Ok(body);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(e)),
        }
    }
    reading
        .advance(&response, true)?
        .ok_or_else(|| "its answer ended early".to_string())
}

/// The body of a complete HTTP/1.1 response, `None` if more is needed; `eof`: the connection
/// ended, which ends a body with neither length nor chunks. Errors for anything but a 200.
#[cfg(test)]
fn body_of(response: &[u8], eof: bool) -> Result<Option<Vec<u8>>, String> {
    Reading::default().advance(response, eof)
}

/// How a response's body ends.
#[derive(Clone, Copy)]
enum Framing {
    Chunked,
    Length(usize),
    ToEnd,
}

/// A response parsed as it arrives, each byte once: the head when it is whole, then each
/// chunk when it is whole (an answer of many small chunks is not parsed again from its start
/// on every read).
#[derive(Default)]
struct Reading {
    /// Where the body starts and how it ends, once the head is whole.
    head: Option<(usize, Framing)>,
    /// How far the head's end was looked for.
    searched: usize,
    /// The chunks so far, and where the next chunk's size line starts.
    body: Vec<u8>,
    next_chunk: usize,
}

impl Reading {
    /// The whole body once `response` (all bytes so far) holds it.
    fn advance(&mut self, response: &[u8], eof: bool) -> Result<Option<Vec<u8>>, String> {
        let (start, framing) = match self.head {
            Some(head) => head,
            None => {
                let from = self.searched.saturating_sub(3);
                let Some(end) = response[from..].windows(4).position(|w| w == b"\r\n\r\n") else {
                    self.searched = response.len();
                    if response.len() > MAX_HEADERS {
                        return Err("its headers are too long".into());
                    }
                    return Ok(None);
                };
                let end = from + end;
                let head = (end + 4, framing_of(&response[..end])?);
                self.head = Some(head);
                self.next_chunk = end + 4;
                head
            }
        };
        let rest = &response[start..];
        match framing {
            Framing::Chunked => self.dechunk(response),
            Framing::Length(n) if n > MAX_RESPONSE => Err("its answer is too large".into()),
            Framing::Length(n) if rest.len() >= n => Ok(Some(rest[..n].to_vec())),
            Framing::Length(_) => Ok(None),
            // Neither: the body runs to the end of the connection.
            Framing::ToEnd if eof => Ok(Some(rest.to_vec())),
            Framing::ToEnd => Ok(None),
        }
    }

    /// The chunks whole since the last call; the body when the last chunk arrived.
    fn dechunk(&mut self, response: &[u8]) -> Result<Option<Vec<u8>>, String> {
        loop {
            let data = &response[self.next_chunk..];
            let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") else {
                return Ok(None);
            };
            let size_text = std::str::from_utf8(&data[..line_end]).map_err(|_| "a bad chunk")?;
            let size_text = size_text.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size_text, 16).map_err(|_| "a bad chunk size")?;
            if size > MAX_RESPONSE || self.body.len() + size > MAX_RESPONSE {
                return Err("its answer is too large".into());
            }
            let data = &data[line_end + 2..];
            if size == 0 {
                return Ok(Some(std::mem::take(&mut self.body)));
            }
            if data.len() < size + 2 {
                return Ok(None);
            }
            self.body.extend_from_slice(&data[..size]);
            self.next_chunk += line_end + 2 + size + 2;
        }
    }
}

/// The status and framing of a response's head (without its blank line). Errors for anything
/// but a 200.
fn framing_of(head: &[u8]) -> Result<Framing, String> {
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default();
    let code = status.split(' ').nth(1).unwrap_or_default();
    if !status.starts_with("HTTP/1.") || code.len() != 3 {
        return Err(format!(
            "it does not speak HTTP ({})",
            crate::escape::visible(status.as_bytes())
        ));
    }
    if code != "200" {
        return Err(format!(
            "it answered {}",
            crate::escape::visible(status.as_bytes())
        ));
    }
    let mut length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| "a bad Content-Length".to_string())?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
        }
    }
    Ok(match (chunked, length) {
        (true, _) => Framing::Chunked,
        (false, Some(n)) => Framing::Length(n),
        (false, None) => Framing::ToEnd,
    })
}

#[derive(serde::Deserialize)]
struct Listed {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Names", default)]
    names: Vec<String>,
    #[serde(rename = "Image", default)]
    image: String,
}

/// The answer to `/containers/json`: full id → name and image.
pub fn parse_containers(
    body: &[u8],
    engine: &'static str,
) -> Result<HashMap<String, Container>, String> {
    let listed: Vec<Listed> =
        serde_json::from_slice(body).map_err(|e| format!("not a container list: {e}"))?;
    Ok(listed
        .into_iter()
        .take(MAX_CONTAINERS)
        .filter(|c| super::is_hex_id(&c.id))
        .map(|c| {
            let name = c.names.first().map_or("", |n| n.trim_start_matches('/'));
            (
                c.id.to_ascii_lowercase(),
                Container {
                    name: SysText::from(name),
                    image: SysText::from(c.image),
                    engine,
                },
            )
        })
        .collect())
}

/// What one source's engines said, and when.
struct Answer {
    at: Instant,
    containers: HashMap<String, Container>,
    /// Why an engine could not be asked (each socket that exists and failed).
    errors: Vec<String>,
}

/// Asks the engines, caches what they said, and does not ask a failing one again soon.
pub struct Resolver {
    pub timeouts: Timeouts,
    /// How long an answer is trusted; an id it does not hold waits for the next.
    pub ttl: Duration,
    /// The sockets of each source ([`endpoints`]; tests point these at fake engines).
    pub endpoints: Box<dyn Fn(Source) -> Vec<Endpoint> + Send>,
    answers: HashMap<Source, Answer>,
}

impl Default for Resolver {
    fn default() -> Self {
        Resolver {
            timeouts: Timeouts::default(),
            ttl: Duration::from_secs(15),
            endpoints: Box::new(endpoints),
            answers: HashMap::new(),
        }
    }
}

impl Resolver {
    /// A resolver that finds each source's sockets with `endpoints` instead of at their fixed
    /// places (tests).
    pub fn with_endpoints(endpoints: impl Fn(Source) -> Vec<Endpoint> + Send + 'static) -> Self {
        Resolver {
            endpoints: Box::new(endpoints),
            ..Resolver::default()
        }
    }

    /// Ask `source`'s engines now unless its answer is younger than the TTL. Sockets that do
    /// not exist are skipped quietly; the others' failures are kept for [`Resolver::errors`].
    pub fn refresh(&mut self, source: Source, now: Instant) {
        if self
            .answers
            .get(&source)
            .is_some_and(|a| now.saturating_duration_since(a.at) < self.ttl)
        {
            return;
        }
        let mut containers = HashMap::new();
        let mut errors = Vec::new();
        for endpoint in (self.endpoints)(source) {
            if std::fs::symlink_metadata(&endpoint.path).is_err() {
                continue;
            }
            match list_containers(&endpoint, self.timeouts) {
                Ok(listed) => containers.extend(listed),
                Err(e) => errors.push(e.0),
            }
        }
        self.answers.insert(
            source,
            Answer {
                at: now,
                containers,
                errors,
            },
        );
    }

    /// The engine's name for `workload`, asking its source if the cache is stale.
    pub fn lookup(&mut self, workload: &Workload, now: Instant) -> Option<&Container> {
        let source = Source::of(workload)?;
        self.refresh(source, now);
        let id = workload.full_id.as_ref()?;
        self.answers.get(&source)?.containers.get(id)
    }

    /// What is known for `workload` without asking anyone.
    pub fn cached(&self, workload: &Workload) -> Option<&Container> {
        let source = Source::of(workload)?;
        self.answers
            .get(&source)?
            .containers
            .get(workload.full_id.as_ref()?)
    }

    /// Every container the latest answer of `source` named.
    pub fn containers(&self, source: Source) -> impl Iterator<Item = (&String, &Container)> {
        self.answers
            .get(&source)
            .into_iter()
            .flat_map(|a| a.containers.iter())
    }

    /// Why engines could not be asked, for a status line.
    pub fn errors(&self) -> Vec<String> {
        let mut errors: Vec<String> = self
            .answers
            .values()
            .flat_map(|a| a.errors.iter().cloned())
            .collect();
        errors.sort();
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 23 item 9: a chunked answer was parsed again from its start on each read
    /// (2.46 s of CPU per query). Fed in small reads, each byte is parsed once.
    #[test]
    fn a_chunked_answer_is_parsed_once_however_it_arrives() {
        let mut response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        let mut expected = Vec::new();
        while expected.len() < 4 << 20 {
            let piece = format!("{{\"Id\":\"{}\"}}\n", expected.len());
            response.extend_from_slice(format!("{:x}\r\n{piece}\r\n", piece.len()).as_bytes());
            expected.extend_from_slice(piece.as_bytes());
        }
        response.extend_from_slice(b"0\r\n\r\n");
        for step in [1usize, 7, 100] {
            let took = std::time::Instant::now();
            let mut reading = Reading::default();
            let mut got = None;
            let mut end = 0;
            while got.is_none() && end < response.len() {
                end = (end + step).min(response.len());
                got = reading.advance(&response[..end], false).unwrap();
            }
            // Whole at its last chunk (the trailer's blank line is not waited for).
            assert!(end >= response.len() - 2, "whole at {end} (step {step})");
            assert!(got.as_deref() == Some(&expected[..]), "step {step}");
            assert!(
                took.elapsed() < Duration::from_secs(if step == 1 { 30 } else { 5 }),
                "{:?} for step {step}",
                took.elapsed()
            );
        }
    }

    #[test]
    fn bodies_by_length_and_chunks() {
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]";
        assert_eq!(body_of(ok, false).unwrap().unwrap(), b"[]");
        assert_eq!(body_of(&ok[..ok.len() - 1], false).unwrap(), None);
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n[\r\n1;x=y\r\n]\r\n0\r\n\r\n";
        assert_eq!(body_of(chunked, false).unwrap().unwrap(), b"[]");
        assert_eq!(body_of(&chunked[..60], true).unwrap(), None);
        let err = body_of(b"HTTP/1.1 404 Not Found\r\n\r\n", true).unwrap_err();
        assert!(err.contains("404"), "{err}");
        let to_eof = b"HTTP/1.1 200 OK\r\n\r\n[]";
        assert_eq!(body_of(to_eof, false).unwrap(), None);
        assert_eq!(body_of(to_eof, true).unwrap().unwrap(), b"[]");
        assert!(body_of(b"SSH-2.0-x\r\n\r\n", true).is_err());
        let huge = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
            MAX_RESPONSE + 1
        );
        assert!(body_of(huge.as_bytes(), false).is_err());
        let huge_chunk = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffff\r\n";
        assert!(body_of(huge_chunk, false).is_err());
    }

    #[test]
    fn container_lists_are_read_and_escaped() {
        let id = "a".repeat(64);
        let body = format!(
            r#"[{{"Id":"{id}","Names":["/web\u001b]0;x\u0007"],"Image":"nginx:1"}},{{"Id":"short","Names":["/x"]}}]"#
        );
        let listed = parse_containers(body.as_bytes(), "docker").unwrap();
        assert_eq!(listed.len(), 1);
        let c = &listed[&id];
        assert_eq!(c.name.to_string(), "web\\e]0;x\\x07");
        assert_eq!(c.image.to_string(), "nginx:1");
        assert!(parse_containers(b"{\"message\":\"no\"}", "docker").is_err());
    }

    #[test]
    fn sources_follow_the_path() {
        let id = "b".repeat(64);
        let at = |p: &str| {
            Workload::of(&crate::CgroupPath::from_relative(std::path::Path::new(p)).unwrap())
        };
        assert_eq!(
            Source::of(&at(&format!("system.slice/docker-{id}.scope"))),
            Some(Source::System)
        );
        assert_eq!(
            Source::of(&at(&format!(
                "user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{id}.scope"
            ))),
            Some(Source::User(1000))
        );
        assert_eq!(Source::of(&at("system.slice/cron.service")), None);
    }
}
