//! Interface files kept open between samples.
//!
//! Re-reading an open cgroup file with pread at offset 0 makes the kernel regenerate its
//! content (they are seq files), for one syscall and no path walk; open + read + close costs
//! three syscalls and a lookup of every path component. A sampler that polls the same files of
//! thousands of cgroups every second keeps them open here.

use crate::cgroup::error::is_gone;
use crate::cgroup::fs::Cgroupfs;
use crate::cgroup::path::CgroupPath;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};

/// How many passes a rarely changing file (a limit, a controller list) is not re-read: a write
/// through cgtui refreshes at once ([`OpenFiles::forget_rare`]), others show within this many.
const RARE_PASSES: u64 = 10;

/// How many passes a file found absent is not looked for again (controllers enabled later
/// make files appear; this bounds how long that goes unseen).
const ABSENT_PASSES: u64 = 10;

/// What is known of one interface file of one cgroup.
enum State {
    Unknown,
    Open(File),
    /// It did not exist, as found in this pass.
    Absent(u64),
}

struct Slot {
    file: &'static str,
    state: State,
    /// For a rarely changing file: its text, and the pass that read it.
    rare: Option<(Option<Box<str>>, u64)>,
}

/// A cgroup's files. A short list, searched in order: a cgroup has a dozen files of interest,
/// and a list costs far less memory than maps would, times thousands of cgroups.
#[derive(Default)]
struct CgroupFiles {
    inode: u64,
    /// The pass that last saw this cgroup.
    seen: u64,
    slots: Vec<Slot>,
}

impl CgroupFiles {
    fn slot(&mut self, file: &'static str) -> &mut Slot {
        let index = match self.slots.iter().position(|s| s.file == file) {
            Some(index) => index,
            None => {
                self.slots.push(Slot {
                    file,
                    state: State::Unknown,
                    rare: None,
                });
                self.slots.len() - 1
            }
        };
        &mut self.slots[index]
    }
}

#[derive(Default)]
pub struct OpenFiles {
    cgroups: HashMap<CgroupPath, CgroupFiles>,
    pass: u64,
    buffer: Vec<u8>,
    /// The process ran out of file descriptors: stop keeping more open.
    full: bool,
}

/// Read a whole file from offset 0 into `buffer`, returning its length. The buffer only grows
/// (doubling) and is never cleared, so a read costs no allocation and no memset.
fn read_at_zero(file: &File, buffer: &mut Vec<u8>) -> io::Result<usize> {
    if buffer.is_empty() {
        buffer.resize(16 * 1024, 0);
    }
    let mut filled = 0;
    loop {
        if filled == buffer.len() {
            buffer.resize(buffer.len() * 2, 0);
        }
        let n = file.read_at(&mut buffer[filled..], filled as u64)?;
        if n == 0 {
            return Ok(filled);
        }
        filled += n;
    }
}

impl OpenFiles {
    pub fn new() -> OpenFiles {
        OpenFiles::default()
    }

    /// Start a pass over the tree.
    pub fn begin_pass(&mut self) {
        self.pass += 1;
    }

    /// End a pass: close the files of cgroups the pass did not see (removed ones).
    pub fn end_pass(&mut self) {
        let pass = self.pass;
        self.cgroups.retain(|_, c| c.seen == pass);
    }

    /// Note that `cgroup` (with this directory inode) is being read in this pass. A new inode
    /// means the cgroup was removed and re-created: its old files are closed.
    pub fn enter(&mut self, cgroup: &CgroupPath, inode: u64) {
        let entry = self.cgroups.entry(cgroup.clone()).or_default();
        if entry.inode != inode {
            *entry = CgroupFiles {
                inode,
                ..CgroupFiles::default()
            };
        }
        entry.seen = self.pass;
    }

    /// Read every rarely changing file again on the next pass (after a write).
    pub fn forget_rare(&mut self) {
        for slot in self.cgroups.values_mut().flat_map(|c| c.slots.iter_mut()) {
            slot.rare = None;
        }
    }

    /// [`OpenFiles::read`] for a file that changes only when written: reuse what a recent
    /// pass read.
    pub fn read_rare(
        &mut self,
        fs: &Cgroupfs,
        cgroup: &CgroupPath,
        file: &'static str,
    ) -> io::Result<Option<String>> {
        let pass = self.pass;
        let cached = self
            .cgroups
            .get(cgroup)
            .and_then(|c| c.slots.iter().find(|s| s.file == file))
            .and_then(|s| s.rare.as_ref())
            .filter(|(_, at)| pass.saturating_sub(*at) < RARE_PASSES);
        if let Some((text, _)) = cached {
            return Ok(text.as_deref().map(str::to_string));
        }
        let text = self.read(fs, cgroup, file)?;
        if let Some(c) = self.cgroups.get_mut(cgroup) {
            c.slot(file).rare = Some((text.as_deref().map(Box::from), pass));
        }
        Ok(text)
    }

    /// Parse the text of `file` with `parse`; `None` if it (or its cgroup) does not exist.
    pub fn read_with<T>(
        &mut self,
        fs: &Cgroupfs,
        cgroup: &CgroupPath,
        file: &'static str,
        parse: impl FnOnce(&str) -> T,
    ) -> io::Result<Option<T>> {
        let pass = self.pass;
        if !self.cgroups.contains_key(cgroup) {
            self.cgroups.insert(cgroup.clone(), CgroupFiles::default());
        }
        let Some(entry) = self.cgroups.get_mut(cgroup) else {
            return Ok(None);
        };
        let slot = entry.slot(file);
        match &slot.state {
            State::Open(handle) => {
                return match read_at_zero(handle, &mut self.buffer) {
                    Ok(len) => Ok(Some(parse(&String::from_utf8_lossy(&self.buffer[..len])))),
                    Err(e) => {
                        slot.state = State::Unknown;
                        if is_gone(&e) { Ok(None) } else { Err(e) }
                    }
                };
            }
            State::Absent(at) if pass.saturating_sub(*at) < ABSENT_PASSES => return Ok(None),
            _ => {}
        }
        let path = fs.dir(cgroup).join(file);
        let opened = OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(&path);
        match opened {
            Ok(handle) => {
                let len = read_at_zero(&handle, &mut self.buffer)?;
                slot.state = if self.full {
                    State::Unknown
                } else {
                    State::Open(handle)
                };
                Ok(Some(parse(&String::from_utf8_lossy(&self.buffer[..len]))))
            }
            Err(e) if is_gone(&e) => {
                slot.state = State::Absent(pass);
                Ok(None)
            }
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::MFILE.raw_os_error()) => {
                // Out of descriptors: give some back and read this one the plain way.
                self.full = true;
                for slot in self.cgroups.values_mut().flat_map(|c| c.slots.iter_mut()) {
                    if matches!(slot.state, State::Open(_)) {
                        slot.state = State::Unknown;
                    }
                }
                let text = fs
                    .read_text(cgroup, file)
                    .map_err(|e| io::Error::other(e.to_string()))?;
                Ok(text.map(|t| parse(&t)))
            }
            Err(e) => Err(e),
        }
    }

    /// The text of `file`; `None` if it (or its cgroup) does not exist.
    pub fn read(
        &mut self,
        fs: &Cgroupfs,
        cgroup: &CgroupPath,
        file: &'static str,
    ) -> io::Result<Option<String>> {
        self.read_with(fs, cgroup, file, str::to_string)
    }
}

/// Raise this process's soft limit on open files to its hard limit, so thousands of cgroups'
/// files can stay open. Best effort.
pub fn raise_fd_limit() {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current < limit.maximum {
        limit.current = limit.maximum;
        let _ = setrlimit(Resource::Nofile, limit);
    }
}
