//! Connecting to a unix socket someone else may control (a user's bus, a user's container
//! engine) only after checking whose it is: the socket file's owner, and who listens on it
//! (SO_PEERCRED), before a single byte is sent; bound to the inode that was checked; with a
//! connect timeout.

use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// Whom a socket must belong to before anything is sent to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expect {
    /// A socket file made by root; its listener is not asked (the system bus runs as
    /// `messagebus`).
    RootSocket,
    /// A socket file made by root, listened on by root (a system container engine).
    Root,
    /// A user's socket: a file of that user (or root), whose listener runs as that user (or
    /// root).
    User(u32),
}

impl Expect {
    fn allows(self, uid: u32) -> bool {
        match self {
            Expect::RootSocket | Expect::Root => uid == 0,
            Expect::User(owner) => uid == owner || uid == 0,
        }
    }

    fn checks_listener(self) -> bool {
        !matches!(self, Expect::RootSocket)
    }

    fn whom(self) -> String {
        match self {
            Expect::RootSocket | Expect::Root => "root".into(),
            Expect::User(owner) => {
                format!("uid {owner} (the owner of user@{owner}.service) or root")
            }
        }
    }
}

/// Why a socket was not connected to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerError {
    /// The socket is not whose it must be (or not a socket): nothing was sent.
    Refused(String),
    /// Its listener's queue stayed full for the whole connect timeout.
    TimedOut,
    /// It does not exist, or the connection failed.
    Failed(String),
}

impl std::fmt::Display for PeerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeerError::Refused(m) | PeerError::Failed(m) => f.write_str(m),
            PeerError::TimedOut => f.write_str("no answer to connect"),
        }
    }
}

/// Connect to the unix socket at `path`, bound to the inode that was checked (not to whatever
/// the path names a moment later), and check who listens on it. Nothing is sent before.
/// `limit` bounds the wait for a listener whose queue is full.
pub fn connect_checked(
    path: &Path,
    expect: Expect,
    limit: Duration,
) -> Result<UnixStream, PeerError> {
    use rustix::fs::{FileType, Mode, OFlags};
    use rustix::io::Errno;
    let shown = crate::escape::visible_os(path.as_os_str());
    let refuse = |why: String| {
        PeerError::Refused(format!(
            "refusing {shown}: {why}; cgtui sends nothing to a socket it cannot verify"
        ))
    };
    let failed = |what: &str, e: Errno| {
        PeerError::Failed(format!("{what} {shown}: {}", std::io::Error::from(e)))
    };
    let node = rustix::fs::open(
        path,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| match e {
        Errno::LOOP => refuse("it is a symlink".into()),
        e => failed("no socket at", e),
    })?;
    let stat = rustix::fs::fstat(&node).map_err(|e| failed("cannot stat", e))?;
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
    let addr =
        rustix::net::SocketAddrUnix::new(via.as_str()).map_err(|e| failed("cannot address", e))?;
    let socket = rustix::net::socket_with(
        rustix::net::AddressFamily::UNIX,
        rustix::net::SocketType::STREAM,
        rustix::net::SocketFlags::CLOEXEC | rustix::net::SocketFlags::NONBLOCK,
        None,
    )
    .map_err(|e| failed("cannot make a socket for", e))?;
    let start = std::time::Instant::now();
    loop {
        match rustix::net::connect(&socket, &addr) {
            Ok(()) => break,
            // A listener whose queue is full: wait, but not for ever.
            Err(Errno::AGAIN) | Err(Errno::INTR) if start.elapsed() < limit => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(Errno::AGAIN) => return Err(PeerError::TimedOut),
            Err(e) => return Err(failed("cannot connect to", e)),
        }
    }
    if expect.checks_listener() {
        let peer = rustix::net::sockopt::socket_peercred(&socket)
            .map_err(|e| failed("cannot ask who listens on", e))?;
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
