//! Connections and who is on the other end: the stream, the peer (uid or address) and the
//! slots shared fairly between peers.

use super::*;

pub(super) enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    pub(super) fn set_timeouts(&self, read: Duration, write: Duration) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => {
                s.set_read_timeout(Some(read))?;
                s.set_write_timeout(Some(write))
            }
            Stream::Unix(s) => {
                s.set_read_timeout(Some(read))?;
                s.set_write_timeout(Some(write))
            }
        }
    }

    /// Ends the connection under the thread serving it (its reads and writes fail at once).
    pub(super) fn shutdown_both(&self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.shutdown(std::net::Shutdown::Both),
            Stream::Unix(s) => s.shutdown(std::net::Shutdown::Both),
        }
    }

    pub(super) fn try_clone(&self) -> io::Result<Stream> {
        match self {
            Stream::Tcp(s) => s.try_clone().map(Stream::Tcp),
            Stream::Unix(s) => s.try_clone().map(Stream::Unix),
        }
    }

    pub(super) fn shutdown_write(&self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.shutdown(std::net::Shutdown::Write),
            Stream::Unix(s) => s.shutdown(std::net::Shutdown::Write),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Who is at the other end of a connection, for sharing the slots fairly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Peer {
    Uid(u32),
    Address(IpAddr),
    Unknown,
}

/// The uid owning the client end of a loopback TCP connection, from /proc/net/tcp (or tcp6):
/// the line whose local address is the peer's and whose remote address is ours.
pub(super) fn loopback_peer_uid(local: SocketAddr, peer: SocketAddr) -> Option<u32> {
    pub(super) fn hex(addr: SocketAddr) -> String {
        let ip = match addr.ip() {
            IpAddr::V4(ip) => format!("{:08X}", u32::from_le_bytes(ip.octets())),
            IpAddr::V6(ip) => ip
                .octets()
                .chunks_exact(4)
                .map(|w| format!("{:08X}", u32::from_le_bytes([w[0], w[1], w[2], w[3]])))
                .collect(),
        };
        format!("{ip}:{:04X}", addr.port())
    }
    let table = match peer {
        SocketAddr::V4(_) => "/proc/net/tcp",
        SocketAddr::V6(_) => "/proc/net/tcp6",
    };
    let (want_local, want_remote) = (hex(peer), hex(local));
    let text = std::fs::read_to_string(table).ok()?;
    text.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields.get(1) == Some(&want_local.as_str())
            && fields.get(2) == Some(&want_remote.as_str()))
        .then(|| fields.get(7)?.parse().ok())
        .flatten()
    })
}

/// The connections being served, by peer.
#[derive(Default)]
pub(super) struct Slots {
    pub(super) next: u64,
    pub(super) held: HashMap<u64, Slot>,
}

pub(super) struct Slot {
    pub(super) peer: Peer,
    /// A handle to end it when a peer with fewer connections needs its slot.
    pub(super) stream: Option<Stream>,
}

impl Slots {
    pub(super) fn of(&self, peer: Peer) -> usize {
        self.held.values().filter(|s| s.peer == peer).count()
    }

    /// A slot for a new connection of `peer`, or `None` (it is told 503). When every slot is
    /// taken, the oldest connection of a peer holding the most is ended to make room, if
    /// that peer holds more than `peer` would.
    pub(super) fn take(&mut self, peer: Peer, stream: &Stream) -> Option<u64> {
        let mine = self.of(peer);
        if mine >= PER_PEER {
            return None;
        }
        if self.held.len() >= MAX_CONNECTIONS {
            let mut counts: HashMap<Peer, usize> = HashMap::new();
            for slot in self.held.values() {
                *counts.entry(slot.peer).or_default() += 1;
            }
            let most = counts.values().copied().max()?;
            if most <= mine + 1 {
                return None;
            }
            // Slot ids grow: the smallest is the oldest.
            let oldest = self
                .held
                .iter()
                .filter(|(_, s)| counts.get(&s.peer) == Some(&most))
                .map(|(id, _)| *id)
                .min()?;
            if let Some(slot) = self.held.remove(&oldest)
                && let Some(stream) = slot.stream
            {
                let _ = stream.shutdown_both();
            }
        }
        self.next += 1;
        self.held.insert(
            self.next,
            Slot {
                peer,
                stream: stream.try_clone().ok(),
            },
        );
        Some(self.next)
    }
}
