//! Talking to systemd managers over D-Bus (zbus; blocking calls wrapped in `zbus::block_on`,
//! to be made off any UI thread), with timeouts and a verified peer: a user's bus is theirs.

use super::*;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;
use zbus::OwnedVariant;

impl PropertyValue {
    fn to_variant(&self) -> zbus::Result<OwnedVariant> {
        match self {
            PropertyValue::U64(v) => Ok(OwnedVariant::from(*v)),
            PropertyValue::Devices(list) => {
                OwnedVariant::try_from(zbus::Variant::from(list.clone()))
            }
        }
    }
}

/// A D-Bus failure, with the error name systemd or the bus gave.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BusError {
    /// `org.freedesktop.DBus.Error.AccessDenied`, `org.freedesktop.systemd1.NoSuchUnit`, ...
    pub name: Option<String>,
    pub message: String,
}

/// An error's text as shown: a user's manager (or whatever that user runs on their bus) chooses
/// error names and messages, so they are escaped like any other name.
fn shown_text(text: &str) -> String {
    crate::escape::visible(text.as_bytes()).into_owned()
}

impl From<zbus::Error> for BusError {
    fn from(err: zbus::Error) -> Self {
        match &err {
            zbus::Error::MethodError(name, detail, _) => {
                let name = shown_text(name.as_str());
                BusError {
                    message: format!(
                        "{name}: {}",
                        shown_text(detail.as_deref().unwrap_or_default())
                    ),
                    name: Some(name),
                }
            }
            _ => BusError {
                name: None,
                message: shown_text(&err.to_string()),
            },
        }
    }
}

/// How long cgtui waits for a manager: to connect and authenticate, and for each call. A
/// user's bus is a socket that user controls; a listener that never answers must not hang a
/// root session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusTimeouts {
    pub connect: Duration,
    pub call: Duration,
}

impl Default for BusTimeouts {
    fn default() -> Self {
        BusTimeouts {
            connect: Duration::from_secs(5),
            call: Duration::from_secs(10),
        }
    }
}

/// The system bus, at its fixed place: `DBUS_SYSTEM_BUS_ADDRESS` is not trusted (under `sudo
/// -E` it is the invoking user's).
pub const SYSTEM_BUS: &str = "/run/dbus/system_bus_socket";

/// The bus of `uid`'s user manager.
pub fn user_bus_path(uid: u32) -> PathBuf {
    PathBuf::from(format!("/run/user/{uid}/bus"))
}

/// Whom a bus socket must belong to before cgtui sends it anything.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// The system bus: a socket made by root.
    Root,
    /// A user's bus: a socket of that user (or root), whose listener runs as that user (or
    /// root), checked with SO_PEERCRED.
    User(u32),
}

impl Expect {
    fn allows(self, uid: u32) -> bool {
        match self {
            Expect::Root => uid == 0,
            Expect::User(owner) => uid == owner || uid == 0,
        }
    }

    fn whom(self) -> String {
        match self {
            Expect::Root => "root".into(),
            Expect::User(owner) => {
                format!("uid {owner} (the owner of user@{owner}.service) or root")
            }
        }
    }
}

impl BusError {
    fn new(message: String) -> BusError {
        BusError {
            name: None,
            message,
        }
    }

    fn timed_out(what: &str, limit: Duration) -> BusError {
        BusError::new(format!(
            "systemd did not answer within {} s ({what})",
            limit.as_secs_f64()
        ))
    }
}

/// A timer on a helper thread for [`within`]; dropping it stops the thread at once.
struct Alarm {
    state: std::sync::Arc<std::sync::Mutex<(bool, Option<std::task::Waker>)>>,
    _cancel: std::sync::mpsc::Sender<()>,
}

impl Alarm {
    fn start(limit: Duration) -> std::io::Result<Alarm> {
        let state = std::sync::Arc::new(std::sync::Mutex::new((false, None::<std::task::Waker>)));
        let (cancel, cancelled) = std::sync::mpsc::channel::<()>();
        let shared = state.clone();
        std::thread::Builder::new()
            .name("cgtui-bus-timer".into())
            .spawn(move || {
                if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    cancelled.recv_timeout(limit)
                    && let Ok(mut state) = shared.lock()
                {
                    state.0 = true;
                    if let Some(waker) = state.1.take() {
                        waker.wake();
                    }
                }
            })?;
        Ok(Alarm {
            state,
            _cancel: cancel,
        })
    }

    fn poll(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        match self.state.lock() {
            Ok(mut state) if !state.0 => {
                state.1 = Some(cx.waker().clone());
                std::task::Poll::Pending
            }
            _ => std::task::Poll::Ready(()),
        }
    }
}

/// Run `fut` to completion, or give up after `limit` (dropping it closes its socket): `None`.
fn within<F: std::future::Future>(
    fut: F,
    limit: Duration,
    what: &str,
) -> Result<Option<F::Output>, BusError> {
    let alarm = Alarm::start(limit)
        .map_err(|e| BusError::new(format!("cannot start a timer for {what}: {e}")))?;
    let mut fut = std::pin::pin!(fut);
    Ok(zbus::block_on(std::future::poll_fn(|cx| {
        if let std::task::Poll::Ready(out) = fut.as_mut().poll(cx) {
            return std::task::Poll::Ready(Some(out));
        }
        alarm.poll(cx).map(|()| None)
    })))
}

/// Connect to the unix socket at `path`, bound to the inode that was checked (not to whatever
/// the path names a moment later), and check who listens on it. Nothing is sent before.
fn connect_checked(path: &Path, expect: Expect, limit: Duration) -> Result<UnixStream, BusError> {
    use rustix::fs::{FileType, Mode, OFlags};
    use rustix::io::Errno;
    let shown = crate::escape::visible_path(path);
    let refuse = |why: String| {
        BusError::new(format!(
            "refusing {shown}: {why}; cgtui sends nothing to a bus it cannot verify"
        ))
    };
    let node = rustix::fs::open(
        path,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| match e {
        Errno::LOOP => refuse("it is a symlink".into()),
        e => BusError::new(format!("no bus at {shown}: {}", std::io::Error::from(e))),
    })?;
    let stat = rustix::fs::fstat(&node)
        .map_err(|e| BusError::new(format!("cannot stat {shown}: {}", std::io::Error::from(e))))?;
    // O_PATH|O_NOFOLLOW opens a symlink itself.
    match FileType::from_raw_mode(stat.st_mode) {
        FileType::Socket => {}
        FileType::Symlink => return Err(refuse("it is a symlink".into())),
        _ => return Err(refuse("it is not a socket".into())),
    }
    if !expect.allows(stat.st_uid) {
        return Err(refuse(format!(
            "the socket belongs to uid {}, not to {}",
            stat.st_uid,
            expect.whom()
        )));
    }
    // Through /proc/self/fd the connection reaches exactly the inode checked above.
    let via = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&node));
    let addr = rustix::net::SocketAddrUnix::new(via.as_str()).map_err(|e| {
        BusError::new(format!(
            "cannot address {shown}: {}",
            std::io::Error::from(e)
        ))
    })?;
    let socket = rustix::net::socket_with(
        rustix::net::AddressFamily::UNIX,
        rustix::net::SocketType::STREAM,
        rustix::net::SocketFlags::CLOEXEC | rustix::net::SocketFlags::NONBLOCK,
        None,
    )
    .map_err(|e| BusError::new(format!("cannot make a socket: {}", std::io::Error::from(e))))?;
    let start = std::time::Instant::now();
    loop {
        match rustix::net::connect(&socket, &addr) {
            Ok(()) => break,
            // A listener whose queue is full: wait, but not for ever.
            Err(Errno::AGAIN) | Err(Errno::INTR) if start.elapsed() < limit => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(Errno::AGAIN) => {
                return Err(BusError::timed_out(
                    &format!("connecting to {shown}"),
                    limit,
                ));
            }
            Err(e) => {
                return Err(BusError::new(format!(
                    "cannot connect to {shown}: {}",
                    std::io::Error::from(e)
                )));
            }
        }
    }
    if let Expect::User(_) = expect {
        let peer = rustix::net::sockopt::socket_peercred(&socket).map_err(|e| {
            BusError::new(format!(
                "cannot ask who listens on {shown}: {}",
                std::io::Error::from(e)
            ))
        })?;
        let uid = peer.uid.as_raw();
        if !expect.allows(uid) {
            return Err(refuse(format!(
                "its listener (pid {}) runs as uid {uid}, not as {}",
                peer.pid.as_raw_nonzero(),
                expect.whom()
            )));
        }
    }
    Ok(UnixStream::from(socket))
}

/// A connection to one manager.
pub struct Client {
    conn: zbus::Connection,
    /// Which manager, for messages.
    label: String,
    timeouts: BusTimeouts,
    /// A call timed out: later calls fail at once instead of waiting again.
    silent: std::cell::Cell<bool>,
}

impl Client {
    /// Use an existing connection (tests hand in a peer-to-peer one).
    pub fn with_connection(conn: zbus::Connection) -> Client {
        Client {
            conn,
            label: "systemd".into(),
            timeouts: BusTimeouts::default(),
            silent: std::cell::Cell::new(false),
        }
    }

    /// Connect to `manager`'s bus: the system bus, or the user's bus at `/run/user/UID/bus`,
    /// after checking who it belongs to; with the default timeouts.
    pub fn connect(manager: Manager) -> Result<Client, BusError> {
        Client::connect_with(manager, BusTimeouts::default())
    }

    pub fn connect_with(manager: Manager, timeouts: BusTimeouts) -> Result<Client, BusError> {
        match manager {
            Manager::System => Client::connect_at(
                Path::new(SYSTEM_BUS),
                Expect::Root,
                manager.to_string(),
                timeouts,
            ),
            Manager::User { uid } => Client::connect_at(
                &user_bus_path(uid),
                Expect::User(uid),
                manager.to_string(),
                timeouts,
            ),
        }
    }

    /// The user manager of `uid` on the socket at `socket` instead of `/run/user/UID/bus`
    /// (tests), with the same checks.
    pub fn connect_user_at(
        uid: u32,
        socket: &Path,
        timeouts: BusTimeouts,
    ) -> Result<Client, BusError> {
        Client::connect_at(
            socket,
            Expect::User(uid),
            Manager::User { uid }.to_string(),
            timeouts,
        )
    }

    fn connect_at(
        path: &Path,
        expect: Expect,
        label: String,
        timeouts: BusTimeouts,
    ) -> Result<Client, BusError> {
        let context = |mut err: BusError| {
            err.message = format!("cannot reach {label}: {}", err.message);
            err
        };
        let stream = connect_checked(path, expect, timeouts.connect).map_err(context)?;
        let build = zbus::connection::Builder::unix_stream(stream)
            .method_timeout(timeouts.call)
            .build();
        let what = format!("authenticating on {}", crate::escape::visible_path(path));
        let conn = within(build, timeouts.connect, &what)
            .and_then(|done| done.ok_or_else(|| BusError::timed_out(&what, timeouts.connect)))
            .and_then(|built| built.map_err(BusError::from))
            .map_err(context)?;
        Ok(Client {
            conn,
            label,
            timeouts,
            silent: std::cell::Cell::new(false),
        })
    }

    /// Which manager this is, in words.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Run one exchange with the manager, within the call timeout.
    fn call<T>(
        &self,
        what: &str,
        fut: impl std::future::Future<Output = zbus::Result<T>>,
    ) -> Result<T, BusError> {
        let what = format!("{what}, asking {}", self.label);
        let timed_out = || {
            self.silent.set(true);
            BusError::timed_out(&what, self.timeouts.call)
        };
        if self.silent.get() {
            return Err(timed_out());
        }
        match within(fut, self.timeouts.call, &what)? {
            Some(Ok(value)) => Ok(value),
            Some(Err(zbus::Error::InputOutput(e))) if e.kind() == std::io::ErrorKind::TimedOut => {
                Err(timed_out())
            }
            Some(Err(e)) => Err(e.into()),
            None => Err(timed_out()),
        }
    }

    async fn manager(&self) -> zbus::Result<zbus_systemd::systemd1::ManagerProxy<'_>> {
        zbus_systemd::systemd1::ManagerProxy::builder(&self.conn)
            .cache_properties(zbus::proxy::CacheProperties::No)
            .build()
            .await
    }

    /// `SetUnitProperties(name, runtime, props)`: what `systemctl set-property [--runtime]` does.
    pub fn set_unit_properties(
        &self,
        unit: &str,
        runtime: bool,
        props: &[(String, PropertyValue)],
    ) -> Result<(), BusError> {
        let mut list = Vec::with_capacity(props.len());
        for (name, value) in props {
            list.push((name.clone(), value.to_variant()?));
        }
        self.call("SetUnitProperties", async {
            let proxy = self.manager().await?;
            proxy
                .set_unit_properties(unit.to_string(), runtime, list)
                .await
        })
    }

    /// Start a transient scope holding `pids`, with `Delegate=yes` (and, if given, only these
    /// controllers delegated): the D-Bus equivalent of `systemd-run --scope -p Delegate=yes`.
    pub fn start_delegated_scope(
        &self,
        unit: &str,
        pids: &[u32],
        controllers: Option<&[String]>,
    ) -> Result<(), BusError> {
        let mut props = vec![
            (
                "PIDs".to_string(),
                OwnedVariant::try_from(zbus::Variant::from(pids.to_vec()))?,
            ),
            ("Delegate".to_string(), OwnedVariant::from(true)),
        ];
        if let Some(list) = controllers {
            props.push((
                "DelegateControllers".to_string(),
                OwnedVariant::try_from(zbus::Variant::from(list.to_vec()))?,
            ));
        }
        self.call("StartTransientUnit", async {
            let proxy = self.manager().await?;
            proxy
                .start_transient_unit(unit.to_string(), "fail".to_string(), props, Vec::new())
                .await
        })?;
        Ok(())
    }

    pub fn stop_unit(&self, unit: &str) -> Result<(), BusError> {
        self.call("StopUnit", async {
            let proxy = self.manager().await?;
            proxy.stop_unit(unit.to_string(), "fail".to_string()).await
        })?;
        Ok(())
    }

    /// The unit's InvocationID (hex): which start of the unit this is.
    pub fn invocation_id(&self, unit: &str) -> Result<String, BusError> {
        let id = self.call("reading InvocationID", async {
            let path = self.manager().await?.get_unit(unit.to_string()).await?;
            zbus_systemd::systemd1::UnitProxy::builder(&self.conn)
                .path(path)
                .cache_properties(zbus::proxy::CacheProperties::No)
                .build()
                .await?
                .invocation_id()
                .await
        })?;
        Ok(id.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The unit's `Delegate` property (scopes and services), `None` if it cannot be read.
    pub fn delegate(&self, unit: &str) -> Option<bool> {
        let read = self.call("reading Delegate", async {
            let path = self.manager().await?.get_unit(unit.to_string()).await?;
            if unit.ends_with(".scope") {
                let scope = zbus_systemd::systemd1::ScopeProxy::builder(&self.conn)
                    .path(path)
                    .cache_properties(zbus::proxy::CacheProperties::No)
                    .build()
                    .await?;
                scope.delegate().await.map(Some)
            } else if unit.ends_with(".service") {
                let service = zbus_systemd::systemd1::ServiceProxy::builder(&self.conn)
                    .path(path)
                    .cache_properties(zbus::proxy::CacheProperties::No)
                    .build()
                    .await?;
                service.delegate().await.map(Some)
            } else {
                Ok(None)
            }
        });
        read.ok().flatten()
    }
}

/// A connection made, or why it could not be.
type Connected = Result<std::rc::Rc<Client>, BusError>;

/// The connections of one operation: each manager is connected to at most once, and one that
/// did not answer is not asked again (a hung bus costs one timeout, not one per question).
#[derive(Default)]
pub struct Buses {
    clients: std::cell::RefCell<Vec<(Manager, Connected)>>,
}

impl Buses {
    pub fn client(&self, manager: Manager) -> Result<std::rc::Rc<Client>, BusError> {
        if let Some((_, known)) = self.clients.borrow().iter().find(|(m, _)| *m == manager) {
            return known.clone();
        }
        let made = Client::connect(manager).map(std::rc::Rc::new);
        self.clients.borrow_mut().push((manager, made.clone()));
        made
    }

    /// A unit's `Delegate` property, for [`ownership`].
    pub fn delegate(&self, manager: Manager, unit: &str) -> Option<bool> {
        self.client(manager).ok()?.delegate(unit)
    }

    /// Why each manager that was asked could not be reached.
    pub fn failures(&self) -> Vec<String> {
        self.clients
            .borrow()
            .iter()
            .filter_map(|(_, made)| made.as_ref().err().map(|e| e.message.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_managers_error_text_is_escaped() {
        let err = BusError::from(zbus::Error::MethodError(
            zbus::names::OwnedErrorName::try_from("org.x.Evil").unwrap(),
            Some("\u{1b}]0;pwned\u{7}".into()),
            zbus::message::Message::method_call("/", "X")
                .build(&())
                .unwrap(),
        ));
        assert!(!err.message.contains('\u{1b}'), "{}", err.message);
        assert!(err.message.contains("\\e]0;pwned"), "{}", err.message);
    }
}
