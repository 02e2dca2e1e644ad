//! The processes of one cgroup: cgroup.procs, then /proc/PID for each. No full /proc scan.

use crate::error::{Error, Result, is_gone};
use crate::fs::Cgroupfs;
use crate::parse::ParseError;
use crate::path::CgroupPath;
/// Re-exported where callers have always found it; defined in [`crate::users`].
pub use crate::users::user_name;
use serde::Serialize;
use std::collections::HashMap;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::Path;

/// Raw facts about one process. Names and command lines are bytes: they are whatever the
/// process's owner chose, and are escaped only when shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessSample {
    pub pid: u32,
    pub uid: Option<u32>,
    pub state: char,
    /// utime + stime, in clock ticks.
    pub cpu_ticks: u64,
    /// Start time after boot, in clock ticks: with the PID, identifies the process.
    pub start_ticks: u64,
    pub rss_bytes: u64,
    #[serde(serialize_with = "serialize_visible")]
    pub comm: Vec<u8>,
    /// Arguments joined by spaces, at most [`CMDLINE_MAX`] bytes of them; empty for kernel
    /// threads and zombies.
    #[serde(serialize_with = "serialize_visible")]
    pub cmdline: Vec<u8>,
    /// The command line goes on beyond [`CMDLINE_MAX`] bytes.
    pub cmdline_truncated: bool,
}

/// At most this much of a command line is read, as ps does: its owner chooses its length (up
/// to the argument limit, megabytes), and a monitor must not copy megabytes per process per
/// refresh.
pub const CMDLINE_MAX: usize = 4096;

/// Some of a cgroup's processes, and how many it has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessList {
    pub processes: Vec<ProcessSample>,
    /// Processes in cgroup.procs when it was read (more than `processes` holds when a limit
    /// left some unread, or some exited meanwhile).
    pub total: usize,
}

fn serialize_visible<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::escape::visible(bytes))
}

/// The processes in `cgroup` (not its descendants). Processes that exit while they are read
/// are left out. `Ok(None)` if the cgroup is gone.
pub fn read_processes(fs: &Cgroupfs, cgroup: &CgroupPath) -> Result<Option<Vec<ProcessSample>>> {
    Ok(read_processes_up_to(fs, cgroup, usize::MAX)?.map(|list| list.processes))
}

/// The first `limit` processes in `cgroup` (in cgroup.procs order) and how many there are:
/// the cost is that of `limit` processes, whatever the cgroup holds. `Ok(None)` if the cgroup
/// is gone.
pub fn read_processes_up_to(
    fs: &Cgroupfs,
    cgroup: &CgroupPath,
    limit: usize,
) -> Result<Option<ProcessList>> {
    ProcessReader::holding_at_most(0).read_processes_up_to(fs, cgroup, limit)
}

/// The first `limit` PIDs of `cgroup`'s cgroup.procs and how many it lists; `Ok(None)` if the
/// cgroup is gone.
fn read_pids_up_to(
    fs: &Cgroupfs,
    cgroup: &CgroupPath,
    limit: usize,
) -> Result<Option<(Vec<u32>, usize)>> {
    let path = || fs.dir(cgroup).join("cgroup.procs");
    let file = match fs.open_file(cgroup, "cgroup.procs") {
        Ok(file) => file,
        Err(e) if is_gone(&e) => return Ok(None),
        Err(e) => return Err(Error::io(path(), e)),
    };
    let mut pids = Vec::new();
    let mut counted = Counted {
        inner: file,
        bytes: 0,
    };
    let scanned = scan_pids(&mut counted, |pid| {
        if pids.len() < limit {
            pids.push(pid);
        }
    });
    crate::stats::read(counted.bytes);
    match scanned {
        Ok(total) => Ok(Some((pids, total))),
        Err(ScanError::Io(e)) if is_gone(&e) => Ok(None),
        Err(ScanError::Io(e)) => Err(Error::io(path(), e)),
        Err(ScanError::Parse(source)) => Err(Error::Parse {
            path: path(),
            source,
        }),
    }
}

/// A process of a subtree, with the cgroup it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubtreeProcess {
    pub cgroup: CgroupPath,
    pub sample: ProcessSample,
}

/// Some processes of a subtree, and how many it has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubtreeProcessList {
    pub processes: Vec<SubtreeProcess>,
    /// Processes in every cgroup.procs of the subtree when they were read.
    pub total: usize,
}

/// The processes of `cgroup` and every cgroup below it, each with its cgroup: every
/// cgroup.procs of the subtree is read (one file per cgroup) and counted, and /proc/PID of the
/// first `limit` processes, in the order the subtree is walked (the cgroup first). A cgroup
/// that vanishes meanwhile is passed over. `Ok(None)` if `cgroup` is gone.
pub fn read_subtree_processes_up_to(
    fs: &Cgroupfs,
    cgroup: &CgroupPath,
    limit: usize,
) -> Result<Option<SubtreeProcessList>> {
    ProcessReader::holding_at_most(0).read_subtree_processes_up_to(fs, cgroup, limit)
}

/// A reader that counts the bytes read through it (for [`crate::stats`]).
struct Counted<R> {
    inner: R,
    bytes: usize,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n;
        Ok(n)
    }
}

enum ScanError {
    Io(std::io::Error),
    Parse(ParseError),
}

/// Pass every PID of a cgroup.procs file to `each`, reading it through a fixed buffer (a
/// cgroup may hold any number of processes); returns how many there were.
fn scan_pids(mut file: impl Read, mut each: impl FnMut(u32)) -> Result<usize, ScanError> {
    let mut buffer = [0u8; 8192];
    // Bytes of a line cut at the end of the buffer; a PID has at most 10 digits.
    let mut carry = Vec::with_capacity(16);
    let mut count = 0;
    let mut line_number = 0;
    let mut line = |bytes: &[u8], count: &mut usize| -> Result<(), ScanError> {
        line_number += 1;
        let text = std::str::from_utf8(bytes).unwrap_or("").trim();
        if text.is_empty() {
            return Ok(());
        }
        let pid = text.parse::<u32>().map_err(|_| {
            ScanError::Parse(ParseError {
                line: line_number,
                message: format!("expected a PID, found {:?}", String::from_utf8_lossy(bytes)),
            })
        })?;
        each(pid);
        *count += 1;
        Ok(())
    };
    loop {
        let n = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ScanError::Io(e)),
        };
        let mut chunk = &buffer[..n];
        while let Some(end) = chunk.iter().position(|b| *b == b'\n') {
            if carry.is_empty() {
                line(&chunk[..end], &mut count)?;
            } else {
                carry.extend_from_slice(&chunk[..end]);
                line(&std::mem::take(&mut carry), &mut count)?;
            }
            chunk = &chunk[end + 1..];
        }
        if carry.len() + chunk.len() > 32 {
            return Err(ScanError::Parse(ParseError {
                line: line_number + 1,
                message: "a line too long for a PID".into(),
            }));
        }
        carry.extend_from_slice(chunk);
    }
    line(&carry, &mut count)?;
    Ok(count)
}

/// Read at most `max` bytes of `path`, and whether there was more: a bounded buffer, never a
/// read to the end of a file whose length someone else chooses.
fn read_bounded(path: &Path, max: usize) -> std::io::Result<(Vec<u8>, bool)> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::with_capacity(max.min(4096) + 1);
    // One byte more than kept tells whether the text goes on.
    file.take(max as u64 + 1).read_to_end(&mut bytes)?;
    let truncated = bytes.len() > max;
    bytes.truncate(max);
    Ok((bytes, truncated))
}

/// One process from `PROC_ROOT/PID`; `None` if it has exited.
pub fn read_process(proc_root: &Path, pid: u32) -> Option<ProcessSample> {
    ProcessFiles::open(proc_root, pid)?.sample(pid)
}

/// `PF_KTHREAD` in /proc/PID/stat's flags: a kernel thread (it has no command line to read).
pub(crate) const PF_KTHREAD: u64 = 0x0020_0000;

/// A process's /proc files, open: read again, they describe the same process (a descriptor
/// follows the process, not its PID), and fail once it has exited.
#[derive(Debug)]
struct ProcessFiles {
    /// `/proc/PID` itself (`O_PATH`): its owner is asked afresh at each `fstat`.
    dir: OwnedFd,
    stat: std::fs::File,
    /// Opened at the first read of a process that is not a kernel thread.
    cmdline: Option<std::fs::File>,
}

impl ProcessFiles {
    fn open(proc_root: &Path, pid: u32) -> Option<ProcessFiles> {
        use rustix::fs::{Mode, OFlags};
        let dir = rustix::fs::open(
            proc_root.join(pid.to_string()),
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .ok()?;
        let stat = rustix::fs::openat(
            &dir,
            "stat",
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .ok()?;
        Some(ProcessFiles {
            dir,
            stat: stat.into(),
            cmdline: None,
        })
    }

    /// Read the process again: /proc/PID/stat (its name, state, times and size), its owner and,
    /// unless it is a kernel thread, the first [`CMDLINE_MAX`] bytes of its command line.
    /// `None` once it has exited.
    fn sample(&mut self, pid: u32) -> Option<ProcessSample> {
        use std::os::unix::fs::FileExt;
        // The owner first: a process reaped after this reads as gone below, never as root's
        // (a directory whose process is gone is root's).
        let uid = rustix::fs::fstat(&self.dir).ok().map(|st| st.st_uid);
        // /proc/PID/stat is about 300 bytes; its name at most 64.
        let mut buffer = [0u8; 2048];
        let n = self.stat.read_at(&mut buffer, 0).ok()?;
        let stat = parse_stat(&buffer[..n])?;
        let (cmdline, cmdline_truncated) = if stat.flags & PF_KTHREAD != 0 {
            (Vec::new(), false)
        } else {
            self.read_cmdline().unwrap_or_default()
        };
        Some(ProcessSample {
            pid,
            uid,
            state: stat.state,
            cpu_ticks: stat.utime.saturating_add(stat.stime),
            start_ticks: stat.starttime,
            rss_bytes: stat.rss_pages.saturating_mul(procfs::page_size()),
            comm: stat.comm.to_vec(),
            cmdline,
            cmdline_truncated,
        })
    }

    /// The command line's arguments joined by spaces, at most [`CMDLINE_MAX`] bytes, and
    /// whether it goes on: a bounded buffer, never a read to the end of a length the
    /// process's owner chooses.
    fn read_cmdline(&mut self) -> Option<(Vec<u8>, bool)> {
        use std::os::unix::fs::FileExt;
        if self.cmdline.is_none() {
            let file = rustix::fs::openat(
                &self.dir,
                "cmdline",
                rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
                rustix::fs::Mode::empty(),
            )
            .ok()?;
            self.cmdline = Some(file.into());
        }
        let file = self.cmdline.as_ref()?;
        // One byte more than kept tells whether the text goes on.
        let mut raw = vec![0u8; CMDLINE_MAX + 1];
        let mut filled = 0;
        while filled < raw.len() {
            match file.read_at(&mut raw[filled..], filled as u64) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return None,
            }
        }
        raw.truncate(filled);
        let truncated = raw.len() > CMDLINE_MAX;
        raw.truncate(CMDLINE_MAX);
        let trimmed = raw.strip_suffix(b"\0").unwrap_or(&raw);
        let joined = trimmed
            .iter()
            .map(|&b| if b == 0 { b' ' } else { b })
            .collect();
        Some((joined, truncated))
    }
}

/// What cgtui takes from /proc/PID/stat.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ProcStat<'a> {
    /// Raw bytes: whatever the process named itself (spaces, parentheses, newlines).
    pub(crate) comm: &'a [u8],
    pub(crate) state: char,
    pub(crate) ppid: u32,
    pub(crate) flags: u64,
    pub(crate) utime: u64,
    pub(crate) stime: u64,
    pub(crate) starttime: u64,
    pub(crate) rss_pages: u64,
}

/// Parse /proc/PID/stat: `PID (COMM) STATE PPID ...`, COMM between the first `(` and the
/// last `)` (a name may hold either), then space-separated fields (proc(5)).
pub(crate) fn parse_stat(text: &[u8]) -> Option<ProcStat<'_>> {
    let open = text.iter().position(|&b| b == b'(')?;
    let close = text.iter().rposition(|&b| b == b')')?;
    let comm = text.get(open + 1..close)?;
    let rest = std::str::from_utf8(text.get(close + 1..)?).ok()?;
    let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
    // Field N of proc(5) is fields[N - 3].
    let number = |field: usize| -> Option<u64> { fields.get(field - 3)?.parse().ok() };
    Some(ProcStat {
        comm,
        state: fields.first()?.chars().next()?,
        ppid: fields.get(4 - 3)?.parse().ok()?,
        flags: number(9)?,
        utime: number(14)?,
        stime: number(15)?,
        starttime: number(22)?,
        // A signed long in the kernel; never below zero for a live process.
        rss_pages: fields.get(24 - 3)?.parse::<i64>().ok()?.max(0) as u64,
    })
}

/// Reads processes again and again (a monitor's refreshes), keeping each one's /proc files
/// open between reads: a process read again costs two or three reads of open files, not
/// seventeen calls to open, read and close them. Files of processes not read for a whole
/// pass ([`ProcessReader::end_pass`]) are closed.
#[derive(Debug)]
pub struct ProcessReader {
    held: HashMap<u32, HeldProcess>,
    max_held: usize,
    pass: u64,
}

#[derive(Debug)]
struct HeldProcess {
    files: ProcessFiles,
    /// The pass it was last read in.
    pass: u64,
}

/// Processes whose files a [`ProcessReader`] keeps open at most (three descriptors each):
/// a process pane and a few lists in the tree; beyond, files are opened and closed each time.
pub const MAX_HELD_PROCESSES: usize = 256;

impl Default for ProcessReader {
    /// At most [`MAX_HELD_PROCESSES`], and at most a 48th of the descriptor limit (three
    /// each): the cgroup files' caches take their shares too, and a user who fills a shown
    /// cgroup with processes must not take the descriptors the tree's reads need.
    fn default() -> Self {
        ProcessReader::holding_at_most(
            MAX_HELD_PROCESSES.min(crate::files::descriptor_share(16) / 3),
        )
    }
}

impl ProcessReader {
    /// A reader keeping the files of at most `max` processes open (0: none, each read opens).
    pub fn holding_at_most(max: usize) -> ProcessReader {
        ProcessReader {
            held: HashMap::new(),
            max_held: max,
            pass: 0,
        }
    }

    /// Processes whose files are open now.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// One process from `PROC_ROOT/PID`; `None` if it has exited.
    pub fn read(&mut self, proc_root: &Path, pid: u32) -> Option<ProcessSample> {
        if let Some(held) = self.held.get_mut(&pid) {
            if let Some(sample) = held.files.sample(pid) {
                held.pass = self.pass;
                return Some(sample);
            }
            // Exited: its PID may name another process now, opened afresh below.
            self.held.remove(&pid);
        }
        let mut files = ProcessFiles::open(proc_root, pid)?;
        let sample = files.sample(pid)?;
        if self.held.len() < self.max_held {
            let pass = self.pass;
            self.held.insert(pid, HeldProcess { files, pass });
        }
        Some(sample)
    }

    /// A pass (a refresh) ended: the files of processes it did not read are closed.
    pub fn end_pass(&mut self) {
        let pass = self.pass;
        self.held.retain(|_, held| held.pass == pass);
        self.pass += 1;
    }

    /// [`read_subtree_processes_up_to`], through this reader's open files.
    pub fn read_subtree_processes_up_to(
        &mut self,
        fs: &Cgroupfs,
        cgroup: &CgroupPath,
        limit: usize,
    ) -> Result<Option<SubtreeProcessList>> {
        let mut list = SubtreeProcessList::default();
        let mut stack = vec![cgroup.clone()];
        while let Some(current) = stack.pop() {
            let room = limit.saturating_sub(list.processes.len());
            let found = match self.read_processes_up_to(fs, &current, room) {
                Ok(Some(found)) => found,
                // Gone, or (below the top) unreadable: the rest of the subtree still counts.
                Ok(None) if &current == cgroup => return Ok(None),
                Err(e) if &current == cgroup => return Err(e),
                Ok(None) | Err(_) => continue,
            };
            list.total += found.total;
            list.processes
                .extend(found.processes.into_iter().map(|sample| SubtreeProcess {
                    cgroup: current.clone(),
                    sample,
                }));
            if let Ok(Some(mut names)) = fs.children(&current) {
                // Popped in name order.
                names.sort_by(|a, b| b.cmp(a));
                stack.extend(names.iter().map(|name| current.join(name)));
            }
        }
        Ok(Some(list))
    }

    /// [`read_processes_up_to`], through this reader's open files.
    pub fn read_processes_up_to(
        &mut self,
        fs: &Cgroupfs,
        cgroup: &CgroupPath,
        limit: usize,
    ) -> Result<Option<ProcessList>> {
        let Some((pids, total)) = read_pids_up_to(fs, cgroup, limit)? else {
            return Ok(None);
        };
        let processes = match fs.proc_root() {
            Some(proc_root) => pids
                .into_iter()
                .filter_map(|pid| self.read(proc_root, pid))
                .collect(),
            None => Vec::new(),
        };
        Ok(Some(ProcessList { processes, total }))
    }
}

/// A process's start time after boot, in clock ticks (/proc/PID/stat); `None` once it exited.
pub fn start_ticks(proc_root: &Path, pid: u32) -> Option<u64> {
    let text = std::fs::read(proc_root.join(pid.to_string()).join("stat")).ok()?;
    Some(parse_stat(&text)?.starttime)
}

/// The signals cgtui offers to send a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcessSignal {
    Term,
    Int,
    Hup,
    Kill,
    Stop,
    Cont,
    Usr1,
    Usr2,
}

impl ProcessSignal {
    pub const ALL: [ProcessSignal; 8] = [
        ProcessSignal::Term,
        ProcessSignal::Int,
        ProcessSignal::Hup,
        ProcessSignal::Kill,
        ProcessSignal::Stop,
        ProcessSignal::Cont,
        ProcessSignal::Usr1,
        ProcessSignal::Usr2,
    ];

    /// `TERM`, as `kill -TERM` takes it.
    pub fn name(self) -> &'static str {
        match self {
            ProcessSignal::Term => "TERM",
            ProcessSignal::Int => "INT",
            ProcessSignal::Hup => "HUP",
            ProcessSignal::Kill => "KILL",
            ProcessSignal::Stop => "STOP",
            ProcessSignal::Cont => "CONT",
            ProcessSignal::Usr1 => "USR1",
            ProcessSignal::Usr2 => "USR2",
        }
    }

    /// What it usually does, in words.
    pub fn meaning(self) -> &'static str {
        match self {
            ProcessSignal::Term => "ask it to end: most programs clean up and exit",
            ProcessSignal::Int => "interrupt, as Ctrl-C in its terminal would",
            ProcessSignal::Hup => "hang up: daemons often reload their configuration",
            ProcessSignal::Kill => "end it at once: it cannot catch this or clean up",
            ProcessSignal::Stop => "pause it (it cannot catch this); CONT resumes it",
            ProcessSignal::Cont => "resume a stopped process",
            ProcessSignal::Usr1 => "user-defined: its meaning is the program's",
            ProcessSignal::Usr2 => "user-defined: its meaning is the program's",
        }
    }

    fn number(self) -> rustix::process::Signal {
        use rustix::process::Signal;
        match self {
            ProcessSignal::Term => Signal::TERM,
            ProcessSignal::Int => Signal::INT,
            ProcessSignal::Hup => Signal::HUP,
            ProcessSignal::Kill => Signal::KILL,
            ProcessSignal::Stop => Signal::STOP,
            ProcessSignal::Cont => Signal::CONT,
            ProcessSignal::Usr1 => Signal::USR1,
            ProcessSignal::Usr2 => Signal::USR2,
        }
    }
}

/// Why a signal was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignalError {
    #[error("process {pid} has exited (ESRCH: no such process); nothing was sent")]
    Gone { pid: u32 },
    #[error(
        "process {pid} is no longer the one listed: it exited and its PID was reused by another \
         process (its start time changed); nothing was sent"
    )]
    Reused { pid: u32 },
    #[error(
        "not permitted (EPERM): only the process's owner, or root (CAP_KILL), may signal \
         process {pid}"
    )]
    NotPermitted { pid: u32 },
    #[error("signalling process {pid} failed: {errno}")]
    Other { pid: u32, errno: rustix::io::Errno },
}

impl SignalError {
    fn of(pid: u32, errno: rustix::io::Errno) -> SignalError {
        use rustix::io::Errno;
        match errno {
            Errno::SRCH => SignalError::Gone { pid },
            Errno::PERM => SignalError::NotPermitted { pid },
            errno => SignalError::Other { pid, errno },
        }
    }

    /// The errno's name for the journal (`EPERM`), when the kernel gave one.
    pub fn errno_name(&self) -> Option<&'static str> {
        match self {
            SignalError::Gone { .. } => Some("ESRCH"),
            SignalError::NotPermitted { .. } => Some("EPERM"),
            SignalError::Reused { .. } | SignalError::Other { .. } => None,
        }
    }
}

/// A process held by a pidfd: signals reach this very process, never one that took its PID
/// after it exited.
#[derive(Debug)]
pub struct ProcessHandle {
    pub pid: u32,
    pub start_ticks: u64,
    fd: std::os::fd::OwnedFd,
}

impl ProcessHandle {
    /// Hold process `pid` as it was listed (started at `start_ticks`): the pidfd is opened
    /// first, then the start time checked, so a match means the pidfd holds the listed process.
    pub fn open(proc_root: &Path, pid: u32, start_ticks: u64) -> Result<Self, SignalError> {
        let raw = i32::try_from(pid).map_err(|_| SignalError::Gone { pid })?;
        let target = rustix::process::Pid::from_raw(raw).ok_or(SignalError::Gone { pid })?;
        let fd = rustix::process::pidfd_open(target, rustix::process::PidfdFlags::empty())
            .map_err(|errno| SignalError::of(pid, errno))?;
        match self::start_ticks(proc_root, pid) {
            Some(now) if now == start_ticks => Ok(ProcessHandle {
                pid,
                start_ticks,
                fd,
            }),
            Some(_) => Err(SignalError::Reused { pid }),
            None => Err(SignalError::Gone { pid }),
        }
    }

    /// Send `signal` through the pidfd.
    pub fn send(&self, signal: ProcessSignal) -> Result<(), SignalError> {
        rustix::process::pidfd_send_signal(&self.fd, signal.number())
            .map_err(|errno| SignalError::of(self.pid, errno))
    }
}

/// Clock ticks per second, for turning `cpu_ticks` into time.
pub fn ticks_per_second() -> u64 {
    procfs::ticks_per_second()
}

/// Which process to look up in /proc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcRef {
    /// This process (`/proc/self`; a fixture's `.proc/self`).
    Own,
    Pid(u32),
}

/// The cgroup a process is in, as a path from the mount: the one place that reads
/// /proc/PID/cgroup. The file names the cgroup relative to the reader's cgroup namespace root,
/// with `..` for cgroups outside it; `namespace_root` is where that root lies on the mount
/// (`None`: the mount's root, as in the initial namespace). `None` when the process is gone
/// (or, in a fixture, not recorded in `.proc`), or the path leads out of the mount.
pub fn cgroup_of(
    fs: &Cgroupfs,
    process: ProcRef,
    namespace_root: Option<&CgroupPath>,
) -> Option<CgroupPath> {
    let dir = match process {
        ProcRef::Own => "self".to_string(),
        ProcRef::Pid(pid) => pid.to_string(),
    };
    let path = fs.proc_root()?.join(dir).join("cgroup");
    let (bytes, _) = read_bounded(&path, 64 * 1024).ok()?;
    let root = CgroupPath::root();
    parse_proc_cgroup(&bytes, namespace_root.unwrap_or(&root))
}

/// The cgroup v2 line (`0::/path`) of a /proc/PID/cgroup text, resolved against
/// `namespace_root` (where the reader's cgroup namespace root lies on the mount).
/// Names are bytes, as the kernel keeps them.
pub fn parse_proc_cgroup(text: &[u8], namespace_root: &CgroupPath) -> Option<CgroupPath> {
    use std::os::unix::ffi::OsStrExt;
    let relative = text
        .split(|b| *b == b'\n')
        .find_map(|l| l.strip_prefix(b"0::"))?;
    let mut parts: Vec<&std::ffi::OsStr> = namespace_root.as_path().iter().collect();
    for part in relative.split(|b| *b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                parts.pop()?;
            }
            name => parts.push(std::ffi::OsStr::from_bytes(name)),
        }
    }
    let joined: std::path::PathBuf = parts.iter().collect();
    CgroupPath::from_relative(&joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_cgroup_v2_line() {
        let hybrid =
            "9:name=systemd:/\n4:memory:/x\n0::/user.slice/user-1000.slice/session-2.scope\n";
        let root = CgroupPath::root();
        assert_eq!(
            parse_proc_cgroup(hybrid.as_bytes(), &root)
                .unwrap()
                .to_string(),
            "/user.slice/user-1000.slice/session-2.scope"
        );
        assert!(parse_proc_cgroup(b"0::/\n", &root).unwrap().is_root());
        assert!(parse_proc_cgroup(b"0::/../..\n", &root).is_none());
        assert!(parse_proc_cgroup(b"1:cpu:/\n", &root).is_none());
        // Inside a namespace rooted at /a/ns: paths from there, `..` above it.
        let ns = CgroupPath::from_relative(Path::new("a/ns")).unwrap();
        assert_eq!(
            parse_proc_cgroup(b"0::/inside\n", &ns).unwrap().to_string(),
            "/a/ns/inside"
        );
        assert_eq!(
            parse_proc_cgroup(b"0::/../../b/c\n", &ns)
                .unwrap()
                .to_string(),
            "/b/c"
        );
        assert!(parse_proc_cgroup(b"0::/../../..\n", &ns).is_none());
    }

    #[test]
    fn reads_this_process() {
        let me = read_process(Path::new("/proc"), std::process::id()).unwrap();
        assert_eq!(me.pid, std::process::id());
        assert!(me.rss_bytes > 0);
        assert!(!me.comm.is_empty());
        assert_eq!(me.uid, Some(rustix::process::getuid().as_raw()));
        assert!(read_process(Path::new("/proc"), u32::MAX).is_none());
    }

    #[test]
    fn stat_names_keep_whatever_bytes_a_process_chose() {
        let text = b"4242 (a) b) (c\n\xff) S 1 1 1 0 -1 4194560 120 0 0 0 12 90 0 0 20 0 1 0 1200 12345678 350 18446744073709551615 1 1\n";
        let stat = parse_stat(text).unwrap();
        assert_eq!(stat.comm, b"a) b) (c\n\xff");
        assert_eq!(stat.state, 'S');
        assert_eq!(stat.ppid, 1);
        assert_eq!((stat.utime, stat.stime), (12, 90));
        assert_eq!(stat.starttime, 1200);
        assert_eq!(stat.rss_pages, 350);
        assert_eq!(stat.flags & PF_KTHREAD, 0);
        assert!(parse_stat(b"4242 (cut").is_none());
        assert!(parse_stat(b"4242 (short) S 1 2").is_none());
    }

    /// A kernel thread's name is the same as in /proc/PID/comm, and it has no command line
    /// (none is read).
    #[test]
    fn a_kernel_thread_is_read_without_its_command_line() {
        // kthreadd: PID 2 wherever /proc is the host's.
        let Ok(comm) = std::fs::read("/proc/2/comm") else {
            println!("skipped: no PID 2 in this PID namespace");
            return;
        };
        let mut reader = ProcessReader::default();
        let kthreadd = reader.read(Path::new("/proc"), 2).unwrap();
        assert_eq!(kthreadd.comm, comm.strip_suffix(b"\n").unwrap());
        assert!(kthreadd.cmdline.is_empty());
        assert!(reader.held[&2].files.cmdline.is_none());
    }

    /// Files held open follow the process, not its PID: an exec shows its new command line,
    /// an exit reads as gone, and a process not read for a whole pass has its files closed.
    #[test]
    fn held_files_follow_the_process_through_exec_and_exit() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "read line; exec sleep 60"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let proc_root = Path::new("/proc");
        let mut reader = ProcessReader::default();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut before = reader.read(proc_root, pid).unwrap();
        // Until spawn's own exec, the command line is the test's.
        while !before.cmdline.starts_with(b"sh -c") && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
            before = reader.read(proc_root, pid).unwrap();
        }
        assert_eq!(before.cmdline, b"sh -c read line; exec sleep 60");
        assert_eq!(reader.held(), 1);
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"go\n").unwrap();
        let mut after = reader.read(proc_root, pid).unwrap();
        while after.cmdline != b"sleep 60" && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
            after = reader.read(proc_root, pid).unwrap();
        }
        assert_eq!(
            after.cmdline, b"sleep 60",
            "the exec is seen through the held files"
        );
        assert_eq!(after.comm, b"sleep");
        assert_eq!(after.start_ticks, before.start_ticks);
        assert_eq!(reader.held(), 1, "still the same files");
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(reader.read(proc_root, pid).is_none(), "gone once reaped");
        assert_eq!(reader.held(), 0);
        let me = std::process::id();
        reader.read(proc_root, me).unwrap();
        reader.end_pass();
        assert_eq!(reader.held(), 1, "read in the pass that ended");
        reader.end_pass();
        assert_eq!(reader.held(), 0, "not read in the next");
    }

    #[test]
    fn a_reader_holds_the_files_of_at_most_its_maximum() {
        let mut reader = ProcessReader::holding_at_most(0);
        let me = reader.read(Path::new("/proc"), std::process::id()).unwrap();
        assert_eq!(me.pid, std::process::id());
        assert_eq!(reader.held(), 0);
    }

    #[test]
    fn pid_lists_are_scanned_through_a_fixed_buffer() {
        // Lines cut at every buffer boundary: 30,000 PIDs of 6 digits and a newline.
        let text: String = (100_000..130_000).map(|p| format!("{p}\n")).collect();
        let mut first = Vec::new();
        let total = scan_pids(text.as_bytes(), |pid| {
            if first.len() < 3 {
                first.push(pid)
            }
        })
        .ok()
        .unwrap();
        assert_eq!(total, 30_000);
        assert_eq!(first, [100_000, 100_001, 100_002]);
        let mut all = Vec::new();
        assert_eq!(
            scan_pids(text.as_bytes(), |p| all.push(p)).ok(),
            Some(30_000)
        );
        assert_eq!(all.last(), Some(&129_999));
        assert!(
            all.windows(2).all(|w| w[1] == w[0] + 1),
            "no line lost at a cut"
        );
        assert_eq!(
            scan_pids(&b"7"[..], |_| {}).ok(),
            Some(1),
            "no final newline"
        );
        assert_eq!(scan_pids(&b""[..], |_| {}).ok(), Some(0));
        assert!(
            matches!(scan_pids(&b"12\nx1\n"[..], |_| {}), Err(ScanError::Parse(e)) if e.line == 2)
        );
        let endless = vec![b'1'; 100_000];
        assert!(matches!(
            scan_pids(&endless[..], |_| {}),
            Err(ScanError::Parse(_))
        ));
    }

    #[test]
    fn a_huge_command_line_is_read_only_up_to_its_first_4_kib() {
        use std::os::unix::process::CommandExt;
        // 16 arguments of 128 KiB (the most one argument may have): a 2 MB command line.
        // GNU sleep adds up its arguments, and zeros are zero seconds.
        let zeros = "0".repeat(128 * 1024 - 1);
        let mut command = std::process::Command::new("sleep");
        command.arg("60").args(std::iter::repeat_n(&zeros, 16));
        // SAFETY: setrlimit is async-signal-safe and allocates nothing. A larger stack limit
        // raises the kernel's limit on the size of the arguments (a quarter of it).
        unsafe {
            command.pre_exec(|| {
                let limit = rustix::process::Rlimit {
                    current: Some(64 << 20),
                    maximum: None,
                };
                let _ = rustix::process::setrlimit(rustix::process::Resource::Stack, limit);
                Ok(())
            });
        }
        let mut child = command.spawn().unwrap();
        let pid = child.id();
        // spawn returns once the child exists, maybe before its exec: until then its command
        // line is the test's (or empty). Wait for sleep's, as long as a busy machine needs.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !std::fs::read(format!("/proc/{pid}/cmdline"))
            .unwrap_or_default()
            .starts_with(b"sleep\0")
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let sample = read_process(Path::new("/proc"), pid);
        let _ = child.kill();
        let _ = child.wait();
        let sample = sample.unwrap();
        assert_eq!(sample.cmdline.len(), CMDLINE_MAX);
        assert!(sample.cmdline.starts_with(b"sleep 60 000"));
        assert!(sample.cmdline_truncated);
    }
}
