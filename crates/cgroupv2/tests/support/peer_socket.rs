//! Unix sockets of another user, for tests of peer checks (SO_PEERCRED and the socket file's
//! owner). Shared by the library's engine tests and cgtui's user-bus tests; needs root.

use std::os::unix::net::UnixListener;
use std::path::Path;

/// Run `f` on a thread whose effective uid is `uid` (the rest of the test process stays root):
/// a socket it binds belongs to `uid`, and one it listens on reports `uid` to SO_PEERCRED.
pub fn as_uid<T: Send>(uid: u32, f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                rustix::thread::set_thread_res_uid(
                    None,
                    Some(rustix::process::Uid::from_raw(uid)),
                    None,
                )
                .expect("switch this thread's uid (the tests run as root)");
                f()
            })
            .join()
            .unwrap()
    })
}

/// A socket file owned by `owner`, listened on by `listener_uid`.
pub fn listener(path: &Path, owner: u32, listener_uid: u32) -> UnixListener {
    use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
    let socket = rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    let addr = SocketAddrUnix::new(path).unwrap();
    as_uid(owner, || rustix::net::bind(&socket, &addr).unwrap());
    as_uid(listener_uid, || rustix::net::listen(&socket, 8).unwrap());
    UnixListener::from(socket)
}
