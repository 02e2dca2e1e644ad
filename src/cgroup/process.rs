//! The processes of one cgroup: cgroup.procs, then /proc/PID for each. No full /proc scan.

use crate::cgroup::error::Result;
use crate::cgroup::fs::Cgroupfs;
use crate::cgroup::parse;
use crate::cgroup::path::CgroupPath;
use serde::Serialize;
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
    /// Arguments joined by spaces; empty for kernel threads and zombies.
    #[serde(serialize_with = "serialize_visible")]
    pub cmdline: Vec<u8>,
}

fn serialize_visible<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::cgroup::escape::visible(bytes))
}

/// The processes in `cgroup` (not its descendants). Processes that exit while they are read
/// are left out. `Ok(None)` if the cgroup is gone.
pub fn read_processes(fs: &Cgroupfs, cgroup: &CgroupPath) -> Result<Option<Vec<ProcessSample>>> {
    let Some(pids) = fs.read(cgroup, "cgroup.procs", parse::pid_list)? else {
        return Ok(None);
    };
    let Some(proc_root) = fs.proc_root() else {
        return Ok(Some(Vec::new()));
    };
    Ok(Some(
        pids.into_iter()
            .filter_map(|pid| read_process(proc_root, pid))
            .collect(),
    ))
}

/// One process from `PROC_ROOT/PID`; `None` if it has exited.
pub fn read_process(proc_root: &Path, pid: u32) -> Option<ProcessSample> {
    let dir = proc_root.join(pid.to_string());
    let process = procfs::process::Process::new_with_root(dir.clone()).ok()?;
    let stat = process.stat().ok()?;
    let comm = std::fs::read(dir.join("comm"))
        .map(|mut c| {
            if c.last() == Some(&b'\n') {
                c.pop();
            }
            c
        })
        .unwrap_or_else(|_| stat.comm.clone().into_bytes());
    let cmdline = std::fs::read(dir.join("cmdline"))
        .map(|raw| {
            let trimmed = raw.strip_suffix(b"\0").unwrap_or(&raw);
            trimmed
                .iter()
                .map(|&b| if b == 0 { b' ' } else { b })
                .collect()
        })
        .unwrap_or_default();
    Some(ProcessSample {
        pid,
        uid: process.uid().ok(),
        state: stat.state,
        cpu_ticks: stat.utime + stat.stime,
        start_ticks: stat.starttime,
        rss_bytes: stat.rss.saturating_mul(procfs::page_size()),
        comm,
        cmdline,
    })
}

/// The name of a user, escaped for display; the number when the user has no passwd entry.
pub fn user_name(uid: u32) -> String {
    uzers::get_user_by_uid(uid).map_or_else(
        || uid.to_string(),
        |u| crate::cgroup::escape::visible_os(u.name()).into_owned(),
    )
}

/// Clock ticks per second, for turning `cpu_ticks` into time.
pub fn ticks_per_second() -> u64 {
    procfs::ticks_per_second()
}

/// Parse the cgroup v2 line (`0::/path`) of a /proc/PID/cgroup file.
pub fn parse_proc_cgroup(text: &str) -> Option<CgroupPath> {
    let path = text.lines().find_map(|l| l.strip_prefix("0::"))?;
    CgroupPath::from_relative(Path::new(path))
}

/// The cgroup this process runs in, as /proc/self/cgroup says (`None` on a fixture without
/// `.proc/self/cgroup`, or when the path lies outside this cgroup namespace).
pub fn own_cgroup(fs: &Cgroupfs) -> Option<CgroupPath> {
    let text = std::fs::read_to_string(fs.proc_root()?.join("self/cgroup")).ok()?;
    parse_proc_cgroup(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_cgroup_v2_line() {
        let hybrid =
            "9:name=systemd:/\n4:memory:/x\n0::/user.slice/user-1000.slice/session-2.scope\n";
        assert_eq!(
            parse_proc_cgroup(hybrid).unwrap().to_string(),
            "/user.slice/user-1000.slice/session-2.scope"
        );
        assert!(parse_proc_cgroup("0::/\n").unwrap().is_root());
        assert!(parse_proc_cgroup("0::/../..\n").is_none());
        assert!(parse_proc_cgroup("1:cpu:/\n").is_none());
    }

    #[test]
    fn reads_this_process() {
        let me = read_process(Path::new("/proc"), std::process::id()).unwrap();
        assert_eq!(me.pid, std::process::id());
        assert!(me.rss_bytes > 0);
        assert!(!me.comm.is_empty());
        assert!(read_process(Path::new("/proc"), u32::MAX).is_none());
    }
}
