//! A client of Prometheus' HTTP API (`/api/v1/query`, `/api/v1/query_range`): bounded in time
//! (a connect timeout and one for the whole exchange) and in size (an answer larger than
//! [`MAX_ANSWER_BYTES`] is refused), with a bearer token or basic auth, TLS by rustls, and
//! errors that say whether the URL is unreachable, not Prometheus, or the query was refused.

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a connection may take to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one request may take, answer included.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// The largest answer read: one instance's whole tree (2,000 cgroups, two scrapes) is about
/// 20 MiB of JSON.
pub const MAX_ANSWER_BYTES: u64 = 128 << 20;

/// The environment variables of [`Auth::from_env`].
pub const TOKEN_VAR: &str = "CGTUI_PROMETHEUS_TOKEN";
pub const USER_VAR: &str = "CGTUI_PROMETHEUS_USER";
pub const PASSWORD_VAR: &str = "CGTUI_PROMETHEUS_PASSWORD";

/// How requests prove who sends them.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    Bearer(String),
    Basic { user: String, password: String },
}

// Never print a secret (errors and logs may show an `Auth`).
impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Bearer(_) => f.write_str("Bearer(…)"),
            Auth::Basic { user, .. } => write!(f, "Basic {{ user: {user:?}, password: … }}"),
        }
    }
}

impl Auth {
    /// `CGTUI_PROMETHEUS_TOKEN` (a bearer token), or `CGTUI_PROMETHEUS_USER` and
    /// `CGTUI_PROMETHEUS_PASSWORD` (basic auth); none of them: no authentication.
    pub fn from_env() -> Result<Option<Auth>> {
        Auth::from_vars(|name| std::env::var(name).ok())
    }

    /// [`Auth::from_env`] over any lookup (tests).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Option<Auth>> {
        let var = |name| var(name).filter(|v| !v.is_empty());
        match (var(TOKEN_VAR), var(USER_VAR), var(PASSWORD_VAR)) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                bail!("{TOKEN_VAR} and {USER_VAR}/{PASSWORD_VAR} are both set: keep one")
            }
            (Some(token), None, None) => Ok(Some(Auth::Bearer(token))),
            (None, Some(user), password) => Ok(Some(Auth::Basic {
                user,
                password: password.unwrap_or_default(),
            })),
            (None, None, Some(_)) => bail!("{PASSWORD_VAR} is set without {USER_VAR}"),
            (None, None, None) => Ok(None),
        }
    }

    /// The config file's `[prometheus]` table: a bearer token read from `token_file`, or
    /// basic auth as `user` with the password read from `password_file`. Relative files are
    /// relative to the config's directory (`config_dir`).
    pub fn from_files(files: &CredentialFiles, config_dir: &Path) -> Result<Option<Auth>> {
        let secret = |file: &Path| read_secret(&config_dir.join(file));
        match (&files.token_file, &files.user, &files.password_file) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                bail!("[prometheus] in the config: token_file, or user and password_file, not both")
            }
            (Some(token), None, None) => Ok(Some(Auth::Bearer(secret(token)?))),
            (None, Some(user), password) => Ok(Some(Auth::Basic {
                user: user.clone(),
                password: password
                    .as_deref()
                    .map(secret)
                    .transpose()?
                    .unwrap_or_default(),
            })),
            (None, None, Some(_)) => {
                bail!("[prometheus] in the config: password_file without user")
            }
            (None, None, None) => Ok(None),
        }
    }

    fn header(&self) -> String {
        match self {
            Auth::Bearer(token) => format!("Bearer {token}"),
            Auth::Basic { user, password } => {
                format!("Basic {}", base64(format!("{user}:{password}").as_bytes()))
            }
        }
    }
}

/// The config file's `[prometheus]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialFiles {
    pub token_file: Option<PathBuf>,
    pub user: Option<String>,
    pub password_file: Option<PathBuf>,
}

/// A secret's file, read as the config is (through directories only root or we may change,
/// ours or root's, not a symlink, writable by nobody else) and refused when others may read
/// it. Its first line is the secret.
pub fn read_secret(path: &Path) -> Result<String> {
    use std::os::unix::fs::PermissionsExt;
    let shown = crate::cgroup::escape::visible_path(path);
    let text = crate::trusted::read_trusted_config(path)
        .with_context(|| format!("the secret file {shown}"))?
        .ok_or_else(|| anyhow!("cannot read the secret file {shown}"))?;
    // The directories on the way are trusted: the file checked here is the one read.
    let mode = std::fs::symlink_metadata(path)
        .with_context(|| format!("cannot stat the secret file {shown}"))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        bail!(
            "refusing the secret file {shown}: others may read it (mode {:o}); chmod 600 it",
            mode & 0o7777
        );
    }
    let secret = text.lines().next().unwrap_or_default().trim_end();
    if secret.is_empty() {
        bail!("the secret file {shown} is empty");
    }
    Ok(secret.to_string())
}

/// Standard base64 with padding (RFC 4648), for basic auth's one header.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let word = chunk
            .iter()
            .enumerate()
            .fold(0u32, |w, (i, b)| w | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(word >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// One series of an answer: its labels (`__name__` among them) and its points, oldest first,
/// as (Unix seconds, value).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    pub points: Vec<(f64, f64)>,
}

impl Series {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.get(name).map(String::as_str)
    }

    /// The newest point's value.
    pub fn last(&self) -> Option<f64> {
        self.points.last().map(|(_, v)| *v)
    }
}

/// A Prometheus server, by its base URL (`http://prometheus:9090`, or with the path prefix
/// of a server behind a proxy).
pub struct Prometheus {
    url: String,
    agent: ureq::Agent,
    authorization: Option<String>,
}

#[derive(Deserialize)]
struct Answer {
    status: String,
    data: Option<Data>,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct RawSeries {
    metric: BTreeMap<String, String>,
    value: Option<(f64, String)>,
    values: Option<Vec<(f64, String)>>,
}

/// A sample value as the API writes it: a decimal, `+Inf`, `-Inf` or `NaN`.
fn value(text: &str) -> Result<f64> {
    text.parse::<f64>()
        .map_err(|_| anyhow!("Prometheus answered {text:?} where a number belongs"))
}

impl Prometheus {
    pub fn new(url: &str, auth: Option<Auth>) -> Result<Prometheus> {
        let url = url.trim_end_matches('/').to_string();
        let uri: ureq::http::Uri = url
            .parse()
            .with_context(|| format!("--prometheus {url:?} is not a URL"))?;
        match uri.scheme_str() {
            Some("http" | "https") => {}
            _ => bail!("--prometheus {url:?}: give an http:// or https:// URL"),
        }
        if uri.host().is_none_or(str::is_empty) {
            bail!("--prometheus {url:?} names no host");
        }
        if uri.query().is_some() {
            bail!("--prometheus {url:?}: give the server's base URL, without a query");
        }
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(TIMEOUT))
            // Errors are read from the body (Prometheus explains a refused query there).
            .http_status_as_error(false)
            // A redirect could carry the credentials elsewhere: say where, follow nothing.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(concat!("cgtui/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Prometheus {
            url,
            agent: ureq::Agent::new_with_config(config),
            authorization: auth.map(|a| a.header()),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// An instant query at `at` (Unix seconds; now without it): a vector, or the matrix of a
    /// range selector (every point in its window, with the scrapes' own times).
    pub fn query(&self, promql: &str, at: Option<f64>) -> Result<Vec<Series>> {
        let mut params = vec![("query", promql.to_string())];
        if let Some(at) = at {
            params.push(("time", format!("{at:.3}")));
        }
        self.get("/api/v1/query", &params)
            .with_context(|| format!("query {promql}"))
    }

    /// A range query: the expression evaluated every `step` from `start` to `end` (Unix
    /// seconds).
    pub fn query_range(
        &self,
        promql: &str,
        start: f64,
        end: f64,
        step: Duration,
    ) -> Result<Vec<Series>> {
        let params = [
            ("query", promql.to_string()),
            ("start", format!("{start:.3}")),
            ("end", format!("{end:.3}")),
            ("step", format!("{:.3}", step.as_secs_f64().max(0.001))),
        ];
        self.get("/api/v1/query_range", &params)
            .with_context(|| format!("range query {promql}"))
    }

    fn get(&self, path: &str, params: &[(&str, String)]) -> Result<Vec<Series>> {
        let endpoint = format!("{}{path}", self.url);
        let mut request = self.agent.get(&endpoint);
        for (key, value) in params {
            request = request.query(*key, value);
        }
        if let Some(authorization) = &self.authorization {
            request = request.header("Authorization", authorization);
        }
        let mut response = request.call().map_err(|e| unreachable(&self.url, e))?;
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            let to = response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .unwrap_or("elsewhere");
            bail!(
                "{} redirects to {to} (HTTP {status}): give that URL to --prometheus",
                self.url
            );
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_string()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => anyhow!(
                    "the answer is larger than {} MiB: ask for less (--prefix, --max-depth)",
                    MAX_ANSWER_BYTES >> 20
                ),
                other => anyhow!("reading the answer of {}: {other}", self.url),
            })?;
        let answer: Answer = match serde_json::from_str(&body) {
            Ok(answer) => answer,
            Err(_) if status == 401 || status == 403 => bail!(
                "{} refused the credentials (HTTP {status}): set {TOKEN_VAR}, or {USER_VAR} and \
                 {PASSWORD_VAR}",
                self.url
            ),
            Err(_) => bail!(
                "{endpoint} answered HTTP {status} with no Prometheus API answer: is {} a \
                 Prometheus server (its base URL, e.g. http://host:9090)?",
                self.url
            ),
        };
        if answer.status != "success" {
            bail!(
                "Prometheus refused it ({}, HTTP {status}): {}",
                answer.error_type.as_deref().unwrap_or("error"),
                answer.error.as_deref().unwrap_or("no reason given")
            );
        }
        let data = answer
            .data
            .ok_or_else(|| anyhow!("{endpoint} answered success without data"))?;
        match data.result_type.as_str() {
            "vector" | "matrix" => {}
            other => bail!("expected a vector or a matrix, Prometheus answered a {other}"),
        }
        let raw: Vec<RawSeries> = serde_json::from_value(data.result)
            .context("Prometheus' answer is not a list of series")?;
        raw.into_iter()
            .map(|series| {
                let points = series
                    .value
                    .into_iter()
                    .chain(series.values.into_iter().flatten())
                    .map(|(t, v)| Ok((t, value(&v)?)))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Series {
                    labels: series.metric,
                    points,
                })
            })
            .collect()
    }
}

/// A request that got no answer, said plainly.
fn unreachable(url: &str, error: ureq::Error) -> anyhow::Error {
    match error {
        ureq::Error::Timeout(_) => anyhow!("{url} did not answer within {} s", TIMEOUT.as_secs()),
        ureq::Error::HostNotFound => anyhow!("{url}: no such host"),
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            anyhow!("{url} refused the connection: is Prometheus listening there?")
        }
        other => anyhow!("cannot reach {url}: {other}"),
    }
}

/// A PromQL string literal holding `text`.
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `text` as a regular expression (RE2) matching exactly it.
pub fn regex_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_as_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(
            base64(b"Aladdin:open sesame"),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn auth_from_the_environment() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(Auth::from_vars(vars(&[])).unwrap(), None);
        assert_eq!(
            Auth::from_vars(vars(&[(TOKEN_VAR, "t0k")])).unwrap(),
            Some(Auth::Bearer("t0k".into()))
        );
        let basic = Auth::from_vars(vars(&[(USER_VAR, "ops"), (PASSWORD_VAR, "pw")]))
            .unwrap()
            .unwrap();
        assert_eq!(basic.header(), format!("Basic {}", base64(b"ops:pw")));
        assert!(
            !format!("{basic:?}").contains("pw"),
            "the password is never printed"
        );
        assert!(Auth::from_vars(vars(&[(TOKEN_VAR, "t"), (USER_VAR, "u")])).is_err());
        assert!(Auth::from_vars(vars(&[(PASSWORD_VAR, "p")])).is_err());
        // An empty variable is no variable.
        assert_eq!(Auth::from_vars(vars(&[(TOKEN_VAR, "")])).unwrap(), None);
    }

    #[test]
    fn auth_from_the_config_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str, mode: u32| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        };
        write("token", "t0k\n", 0o600);
        write("password", "pw\n", 0o600);
        write("open", "seen\n", 0o644);
        write("empty", "\n", 0o600);
        let files =
            |token: Option<&str>, user: Option<&str>, password: Option<&str>| CredentialFiles {
                token_file: token.map(PathBuf::from),
                user: user.map(str::to_string),
                password_file: password.map(PathBuf::from),
            };
        let auth = |f: CredentialFiles| Auth::from_files(&f, dir.path());
        assert_eq!(auth(files(None, None, None)).unwrap(), None);
        assert_eq!(
            auth(files(Some("token"), None, None)).unwrap(),
            Some(Auth::Bearer("t0k".into()))
        );
        assert_eq!(
            auth(files(None, Some("ops"), Some("password"))).unwrap(),
            Some(Auth::Basic {
                user: "ops".into(),
                password: "pw".into()
            })
        );
        let said = |f| format!("{:#}", auth(f).unwrap_err());
        let open = said(files(Some("open"), None, None));
        assert!(open.contains("others may read it (mode 644)"), "{open}");
        assert!(said(files(Some("empty"), None, None)).contains("is empty"));
        assert!(said(files(Some("missing"), None, None)).contains("cannot read"));
        assert!(said(files(Some("token"), Some("ops"), None)).contains("not both"));
        assert!(said(files(None, None, Some("password"))).contains("without user"));
    }

    #[test]
    fn urls_are_checked_before_any_request() {
        assert!(Prometheus::new("http://127.0.0.1:9090/", None).is_ok());
        assert_eq!(
            Prometheus::new("https://prom.example/prefix/", None)
                .unwrap()
                .url(),
            "https://prom.example/prefix"
        );
        for bad in [
            "127.0.0.1:9090",
            "ftp://host",
            "http://",
            "http://h/?q=1",
            "not a url",
        ] {
            assert!(Prometheus::new(bad, None).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn an_unreachable_server_is_a_clear_error() {
        // A port just freed: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let prometheus = Prometheus::new(&format!("http://127.0.0.1:{port}"), None).unwrap();
        let error = format!("{:#}", prometheus.query("up", None).unwrap_err());
        assert!(error.contains("refused the connection"), "{error}");
    }

    /// A server on loopback that answers each connection with the next of `answers` (status
    /// line and headers, then the body), and hands back the request heads it read.
    fn canned_server(answers: Vec<String>) -> (String, std::thread::JoinHandle<Vec<String>>) {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let mut heads = Vec::new();
            for answer in answers {
                let (mut stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                heads.push(head);
                stream.write_all(answer.as_bytes()).unwrap();
            }
            heads
        });
        (url, server)
    }

    fn http(status: &str, headers: &str, body: &str) -> String {
        format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n{body}",
            body.len()
        )
    }

    #[test]
    fn credentials_are_sent_and_answers_read() {
        let vector = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"instance":"a:1"},"value":[1700000000.5,"+Inf"]}]}}"#;
        let refused =
            r#"{"status":"error","errorType":"bad_data","error":"parse error at char 3"}"#;
        let (url, server) = canned_server(vec![
            http("200 OK", "Content-Type: application/json\r\n", vector),
            http("401 Unauthorized", "", "Unauthorized\n"),
            http("400 Bad Request", "", refused),
            http("302 Found", "Location: https://elsewhere/\r\n", ""),
        ]);
        let auth = Auth::Basic {
            user: "ops".into(),
            password: "pw".into(),
        };
        let prometheus = Prometheus::new(&url, Some(auth.clone())).unwrap();
        let answer = prometheus.query("up", Some(1700000000.5)).unwrap();
        assert_eq!(answer[0].label("instance"), Some("a:1"));
        assert_eq!(answer[0].points, vec![(1700000000.5, f64::INFINITY)]);
        let error = |e: anyhow::Error| format!("{e:#}");
        let said = error(prometheus.query("up", None).unwrap_err());
        assert!(said.contains("refused the credentials"), "{said}");
        let said = error(prometheus.query("up{", None).unwrap_err());
        assert!(
            said.contains("bad_data") && said.contains("parse error"),
            "{said}"
        );
        let said = error(prometheus.query("up", None).unwrap_err());
        assert!(said.contains("redirects to https://elsewhere/"), "{said}");
        let heads = server.join().unwrap();
        assert!(
            heads[0].starts_with("GET /api/v1/query?query=up&time=1700000000.500 "),
            "{}",
            heads[0]
        );
        // Header names are case-insensitive; the value is the credentials, exactly.
        let header = format!("authorization: {}\r\n", auth.header());
        assert!(
            heads[0]
                .to_ascii_lowercase()
                .contains(&header.to_ascii_lowercase()),
            "{}",
            heads[0]
        );
    }

    #[test]
    fn promql_literals_escape() {
        assert_eq!(quoted(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(regex_literal("/a.slice/x+(1)"), r"/a\.slice/x\+\(1\)");
    }

    #[test]
    fn values_as_the_api_writes_them() {
        assert_eq!(value("1.5").unwrap(), 1.5);
        assert_eq!(value("+Inf").unwrap(), f64::INFINITY);
        assert!(value("NaN").unwrap().is_nan());
        assert!(value("x").is_err());
    }
}
