//! Interface files kept open between samples, for the cgroups read every pass.
//!
//! Re-reading an open cgroup file with pread at offset 0 makes the kernel regenerate its
//! content (they are seq files), for one syscall and no path walk; open + read + close costs
//! three syscalls and a lookup of every path component. But an open cgroup file that has been
//! read keeps its seq_file buffer (a page) in the kernel until it is closed: about 4.5 KiB of
//! kernel memory per file, measured. Every file of 10,000 cgroups held open would cost the host
//! hundreds of megabytes. So files stay open only for cgroups read in consecutive passes (the
//! rows on screen, the focused cgroup, or every cgroup of a batch run), and at most
//! [`KEEP_OPEN_MAX`] of them; the rest are opened, read and closed.
//!
//! For every cgroup it also remembers which files are absent and the text of files that
//! change only when written (limits, controller lists), so those are not read every pass.
//!
//! A reader of every cgroup every pass (the recorder, the exporter) also holds the directories
//! of those cgroups open (O_PATH: no kernel buffer, only a descriptor), so a pass does not look
//! up each cgroup's path again: [`OpenFiles::held`]. A held directory may be one that was
//! removed since (and maybe made again under its name); nothing read through it then succeeds,
//! so each pass reads `cgroup.stat`, which every live cgroup has, through it first, and looks
//! the path up afresh when that fails.

use crate::error::is_gone;
use crate::fs::Cgroupfs;
use crate::path::CgroupPath;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::sync::Arc;

/// How many passes a rarely changing file (a limit, a controller list) is not re-read: a write
/// through cgtui refreshes at once ([`OpenFiles::forget_rare`]), others show within this many.
const RARE_PASSES: u64 = 10;

/// How many passes a file found absent is not looked for again (controllers enabled later
/// make files appear; this bounds how long that goes unseen).
const ABSENT_PASSES: u64 = 10;

/// At most this many files are kept open: at most ~18 MiB of kernel memory, and far below
/// the usual descriptor limits.
pub const KEEP_OPEN_MAX: usize = 4096;

/// At most this many directories are held open ([`OpenFiles::held`]), and never more than a
/// quarter of the descriptor limit.
pub const HOLD_DIRS_MAX: usize = 65_536;

/// The file read first through a held directory: every live cgroup has it.
const PROBE: &str = "cgroup.stat";

/// What is known of one interface file of one cgroup (files not listed are unknown).
enum State {
    Open(File),
    /// It did not exist, as found in this pass.
    Absent(u64),
}

struct Slot {
    file: &'static str,
    state: State,
    /// The pass that last read it (an open file not read in a pass is closed at its end).
    used: u64,
}

/// The text of a rarely changing file, and the pass that read it. Texts are shared through
/// [`Shared::interned`]: thousands of cgroups have the same `max` or controller list.
struct Rare {
    file: &'static str,
    text: Option<Arc<str>>,
    pass: u64,
}

/// What is remembered of one cgroup's files. Short lists, searched in order: a cgroup has a
/// dozen files of interest, and lists cost far less memory than maps, times thousands.
#[derive(Default)]
struct CgroupFiles {
    inode: u64,
    /// The pass that first read it (this incarnation).
    born: u64,
    /// The pass that last read this cgroup.
    seen: u64,
    /// The pass that last found it on disk, read or not (see [`OpenFiles::still_there`]).
    listed: u64,
    /// It was also read in the pass before: keep its files open.
    hot: bool,
    slots: Vec<Slot>,
    rare: Vec<Rare>,
    /// Its directory, held between passes ([`OpenFiles::held`]).
    dir: Option<OwnedFd>,
    /// [`PROBE`]'s text as [`OpenFiles::held`] read it in this pass (the pass, the text).
    probed: Option<(u64, String)>,
    /// Its reader is told of every write to its files ([`CgroupReads::writes_reported`]).
    writes_reported: bool,
}

impl CgroupFiles {
    fn open_count(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| matches!(s.state, State::Open(_)))
            .count()
    }

    fn close_all(&mut self) -> usize {
        let open = self.open_count();
        self.slots.retain(|s| !matches!(s.state, State::Open(_)));
        open
    }

    /// Close the open files that `pass` did not read (a counter now carried from the parent,
    /// a file the reader no longer asks for): they would hold their kernel buffer and a place
    /// in the budget that a file read every pass could use. How many were closed.
    fn close_unread(&mut self, pass: u64) -> usize {
        let open = self.open_count();
        self.slots
            .retain(|s| !matches!(s.state, State::Open(_)) || s.used == pass);
        open - self.open_count()
    }

    /// Drop the held directory: how many were dropped (0 or 1).
    fn release_dir(&mut self) -> usize {
        usize::from(self.dir.take().is_some())
    }

    /// Close its files and drop its directory, as counted in `shared`.
    fn release(&mut self, shared: &mut Shared) {
        shared.open -= self.close_all();
        shared.held -= self.release_dir();
    }
}

/// What every cgroup's reads share.
struct Shared {
    pass: u64,
    buffer: Vec<u8>,
    /// Files open now, and how many may be.
    open: usize,
    keep_open_max: usize,
    /// Directories held now, and how many may be.
    held: usize,
    hold_max: usize,
    interned: HashSet<Arc<str>>,
    /// [`RARE_PASSES`] and [`ABSENT_PASSES`], unless set ([`OpenFiles::set_rare_passes`]).
    rare_passes: u64,
    absent_passes: u64,
    /// With a longer period ([`OpenFiles::set_rare_passes`]): a cgroup made after the first
    /// pass has its rare files read at each of its first [`YOUNG_PASSES`] passes, and each
    /// cgroup re-reads at its own phase of the period.
    young_rereads: bool,
    /// The period of a cgroup whose writes are reported ([`OpenFiles::set_written_passes`]).
    written_passes: u64,
}

/// The passes after its birth during which a new cgroup's limits are read at every pass, with
/// a longer period: whoever made it sets them now (systemd right after mkdir; a script with
/// `echo 64M > memory.max`), and a limit read before that must not stand for a whole period.
const YOUNG_PASSES: u64 = 3;

pub struct OpenFiles {
    cgroups: HashMap<CgroupPath, CgroupFiles>,
    shared: Shared,
}

impl Default for OpenFiles {
    fn default() -> Self {
        OpenFiles::new()
    }
}

/// Read a whole file from offset 0 into `buffer`, returning its length. The buffer only grows
/// (doubling) and is never cleared, so a read costs no allocation and no memset. A read that
/// returns less than it was offered is the end: an interface file is a seq_file, whose read
/// fills the buffer unless the content ends (one syscall a file instead of two, the second
/// only to learn the end).
fn read_at_zero(file: &File, buffer: &mut Vec<u8>) -> io::Result<usize> {
    if buffer.is_empty() {
        buffer.resize(16 * 1024, 0);
    }
    let mut filled = 0;
    loop {
        if filled == buffer.len() {
            if filled >= crate::fs::MAX_FILE_BYTES {
                return Err(crate::fs::too_large());
            }
            buffer.resize((buffer.len() * 2).min(crate::fs::MAX_FILE_BYTES), 0);
        }
        let offered = buffer.len() - filled;
        let n = file.read_at(&mut buffer[filled..], filled as u64)?;
        filled += n;
        if n < offered {
            crate::stats::read(filled);
            return Ok(filled);
        }
    }
}

impl OpenFiles {
    pub fn new() -> OpenFiles {
        OpenFiles::with_keep_open_max(KEEP_OPEN_MAX)
    }

    /// At most `max` files kept open, and never more than half the descriptor limit.
    pub fn with_keep_open_max(max: usize) -> OpenFiles {
        let (half, quarter) = (descriptor_share(2), descriptor_share(4));
        OpenFiles {
            cgroups: HashMap::new(),
            shared: Shared {
                pass: 0,
                buffer: Vec::new(),
                open: 0,
                keep_open_max: max.min(half),
                held: 0,
                hold_max: HOLD_DIRS_MAX.min(quarter),
                interned: HashSet::new(),
                rare_passes: RARE_PASSES,
                absent_passes: ABSENT_PASSES,
                young_rereads: false,
                written_passes: RARE_PASSES,
            },
        }
    }

    /// Files open now.
    pub fn open_count(&self) -> usize {
        self.shared.open
    }

    /// Directories held open now.
    pub fn held_count(&self) -> usize {
        self.shared.held
    }

    /// Start a pass over the tree.
    pub fn begin_pass(&mut self) {
        self.shared.pass += 1;
    }

    /// Note that `cgroup` still exists although this pass does not read it, so what is known
    /// of it is kept.
    pub fn still_there(&mut self, cgroup: &CgroupPath) {
        if let Some(entry) = self.cgroups.get_mut(cgroup) {
            entry.listed = self.shared.pass;
        }
    }

    /// End a pass: forget cgroups this pass neither read nor listed (removed ones), close the
    /// files of those it did not read (and of others while more are open than may be), and
    /// drop texts no cgroup holds any more.
    pub fn end_pass(&mut self) {
        let pass = self.shared.pass;
        let shared = &mut self.shared;
        self.cgroups.retain(|_, c| {
            if c.seen != pass || shared.open > shared.keep_open_max {
                shared.open -= c.close_all();
            } else {
                shared.open -= c.close_unread(pass);
            }
            if c.seen != pass {
                shared.held -= c.release_dir();
            }
            c.seen == pass || c.listed == pass
        });
        if pass.is_multiple_of(self.shared.rare_passes) {
            self.shared.interned.retain(|t| Arc::strong_count(t) > 1);
        }
    }

    /// Re-read rarely changing files, and look again for absent ones, every `passes` passes
    /// instead of every [`RARE_PASSES`]: for a reader of the whole tree at short intervals
    /// (the recorder), where those reads would cost more than the counters'.
    pub fn set_rare_passes(&mut self, passes: u64) {
        self.shared.rare_passes = passes.max(1);
        self.shared.absent_passes = passes.max(1);
        self.shared.written_passes = self.shared.written_passes.max(passes.max(1));
        self.shared.young_rereads = true;
    }

    /// Re-read the rarely changing files of a cgroup whose writes are reported (a watch of its
    /// directory, [`CgroupReads::writes_reported`]) every `passes` passes (at least the
    /// period of others): a safety net only, as each write makes its reader
    /// [`OpenFiles::forget_rare_of`] the cgroup.
    pub fn set_written_passes(&mut self, passes: u64) {
        self.shared.written_passes = passes.max(self.shared.rare_passes);
    }

    /// Read every rarely changing file again on the next pass (after a write).
    pub fn forget_rare(&mut self) {
        for c in self.cgroups.values_mut() {
            c.rare.clear();
        }
    }

    /// Read `cgroup`'s rarely changing files again at its next read (one was written).
    pub fn forget_rare_of(&mut self, cgroup: &CgroupPath) {
        if let Some(c) = self.cgroups.get_mut(cgroup) {
            c.rare.clear();
        }
    }

    /// Look again at its next read for the files `cgroup` lacked (its parent's
    /// cgroup.subtree_control was written: its controllers and their files may have come).
    pub fn forget_absent_of(&mut self, cgroup: &CgroupPath) {
        if let Some(c) = self.cgroups.get_mut(cgroup) {
            c.slots.retain(|s| !matches!(s.state, State::Absent(_)));
        }
    }

    /// Begin reading `cgroup` (with this directory inode) in this pass. A new inode means the
    /// cgroup was removed and re-created: what was known of the old one is dropped.
    pub fn cgroup<'a>(
        &'a mut self,
        fs: &'a Cgroupfs,
        cgroup: &'a CgroupPath,
        inode: u64,
    ) -> CgroupReads<'a> {
        let pass = self.shared.pass;
        let entry = self.cgroups.entry(cgroup.clone()).or_default();
        if entry.inode != inode {
            entry.release(&mut self.shared);
            *entry = CgroupFiles {
                inode,
                born: pass,
                ..CgroupFiles::default()
            };
        }
        // Passes count from 1: `seen` 0 is a cgroup not read before.
        entry.hot = entry.seen != 0 && entry.seen + 1 == pass;
        entry.seen = pass;
        entry.listed = pass;
        CgroupReads {
            fs,
            cgroup,
            entry,
            shared: &mut self.shared,
            dir: None,
        }
    }

    /// The owner and inode of `cgroup`, from its directory held since the last pass, which
    /// read it too: no path is looked up. `None` when none is held, or when the cgroup was
    /// removed since (its [`PROBE`] file, read now through the held directory, is gone): then
    /// everything held for it is dropped, and the caller looks the path up.
    pub fn held(&mut self, fs: &Cgroupfs, cgroup: &CgroupPath) -> Option<crate::fs::DirStat> {
        let pass = self.shared.pass;
        let entry = self.cgroups.get_mut(cgroup)?;
        if entry.seen + 1 != pass {
            return None;
        }
        let stat = fs.stat_held(cgroup, entry.dir.as_ref()?.as_fd()).ok()?;
        let mut reads = CgroupReads {
            fs,
            cgroup,
            entry,
            shared: &mut self.shared,
            dir: None,
        };
        match reads.read_keeping(PROBE, str::to_string, true) {
            Ok(Some(text)) => {
                reads.entry.probed = Some((pass, text));
                Some(stat)
            }
            // Gone: removed since. Another error is the fresh read's to report.
            _ => {
                if let Some(mut gone) = self.cgroups.remove(cgroup) {
                    gone.release(&mut self.shared);
                }
                None
            }
        }
    }
}

/// The reads of one cgroup in one pass, through [`OpenFiles`].
pub struct CgroupReads<'a> {
    fs: &'a Cgroupfs,
    cgroup: &'a CgroupPath,
    entry: &'a mut CgroupFiles,
    shared: &'a mut Shared,
    /// The cgroup's directory (O_PATH), opened at the first file not kept open: the files
    /// are opened relative to it, one name to look up each instead of the whole path.
    dir: Option<OwnedFd>,
}

impl CgroupReads<'_> {
    /// Parse the text of `file` with `parse`; `None` if it (or its cgroup) does not exist.
    pub fn read_with<T>(
        &mut self,
        file: &'static str,
        parse: impl FnOnce(&str) -> T,
    ) -> io::Result<Option<T>> {
        self.read_keeping(file, parse, true)
    }

    /// `read_with`; `keep_open`: the file is read every pass, so worth keeping open.
    fn read_keeping<T>(
        &mut self,
        file: &'static str,
        parse: impl FnOnce(&str) -> T,
        keep_open: bool,
    ) -> io::Result<Option<T>> {
        let pass = self.shared.pass;
        if file == PROBE
            && let Some((at, text)) = self.entry.probed.take()
            && at == pass
        {
            return Ok(Some(parse(&text)));
        }
        let known = self.entry.slots.iter().position(|s| s.file == file);
        if let Some(index) = known {
            self.entry.slots[index].used = pass;
            match &self.entry.slots[index].state {
                State::Open(handle) => match read_at_zero(handle, &mut self.shared.buffer) {
                    Ok(len) => return Ok(Some(parse(&text(&self.shared.buffer[..len])))),
                    Err(e) => {
                        self.entry.slots.swap_remove(index);
                        self.shared.open -= 1;
                        return if is_gone(&e) { Ok(None) } else { Err(e) };
                    }
                },
                State::Absent(at) if pass - at < self.shared.absent_passes => return Ok(None),
                State::Absent(_) => {
                    self.entry.slots.swap_remove(index);
                }
            }
        }
        let opened = self.open(file);
        match opened {
            Ok(handle) => {
                let len = read_at_zero(&handle, &mut self.shared.buffer)?;
                let parsed = parse(&text(&self.shared.buffer[..len]));
                if keep_open && self.entry.hot && self.shared.open < self.shared.keep_open_max {
                    self.entry.slots.push(Slot {
                        file,
                        state: State::Open(handle),
                        used: pass,
                    });
                    self.shared.open += 1;
                }
                Ok(Some(parsed))
            }
            Err(e) if is_gone(&e) => {
                self.entry.slots.push(Slot {
                    file,
                    state: State::Absent(pass),
                    used: pass,
                });
                Ok(None)
            }
            Err(e) => {
                if e.raw_os_error() == Some(rustix::io::Errno::MFILE.raw_os_error()) {
                    // Out of descriptors after all (others are using them): keep half as
                    // many open; the end of this pass closes the rest.
                    self.shared.keep_open_max = self.shared.open / 2;
                }
                Err(e)
            }
        }
    }

    /// Open the files relative to `dir`, the cgroup's directory as the caller opened it
    /// ([`Cgroupfs::stat_opened`]). `hold`: keep it for the next passes ([`OpenFiles::held`])
    /// if this cgroup is read every pass and the budget allows; only for a reader that reads
    /// [`PROBE`] every pass.
    pub fn with_dir(mut self, dir: OwnedFd, hold: bool) -> Self {
        if hold && self.entry.hot && self.shared.held < self.shared.hold_max {
            self.shared.held -= self.entry.release_dir();
            self.entry.dir = Some(dir);
            self.shared.held += 1;
        } else {
            self.dir = Some(dir);
        }
        self
    }

    /// Its reader is told of each write to its files (a watch of its directory,
    /// [`crate::watch::Watcher::reporting_writes`]), and forgets its rare files then: they
    /// are re-read at the longer period of [`OpenFiles::set_written_passes`].
    pub fn writes_reported(self, reported: bool) -> Self {
        if reported && !self.entry.writes_reported {
            // Read while no write was reported: a write since may never be.
            self.entry.rare.clear();
        }
        self.entry.writes_reported = reported;
        self
    }

    /// Open `file` of this cgroup relative to its directory (opened once, or held).
    fn open(&mut self, file: &str) -> io::Result<File> {
        if self.dir.is_none() && self.entry.dir.is_none() {
            self.dir = Some(self.fs.open_path(self.cgroup, None)?);
        }
        let dir = self.dir.as_ref().or(self.entry.dir.as_ref());
        let dir = dir.expect("opened above");
        self.fs.open_file_in(dir.as_fd(), file)
    }

    /// The text of `file`, a file that changes only when written: what a recent pass read,
    /// or read now. `None` if it does not exist.
    pub fn read_rare(&mut self, file: &'static str) -> io::Result<Option<Arc<str>>> {
        let pass = self.shared.pass;
        let known = self.entry.rare.iter().position(|r| r.file == file);
        if let Some(index) = known {
            let rare = &self.entry.rare[index];
            // Made after the first pass, and young: its maker may be setting it now.
            let young = self.shared.young_rereads
                && self.entry.born > 1
                && pass - self.entry.born < YOUNG_PASSES;
            let period = if young {
                1
            } else if self.entry.writes_reported {
                self.shared.written_passes
            } else {
                self.shared.rare_passes
            };
            // Each cgroup re-read at its own phase of the period (by its inode), so that a
            // tree read at once is not read again all at once.
            let phase = if self.shared.young_rereads {
                self.entry.inode % period
            } else {
                0
            };
            let still = if phase == 0 {
                pass - rare.pass < period
            } else {
                (pass + phase) / period == (rare.pass + phase) / period
            };
            if still {
                return Ok(rare.text.clone());
            }
            self.entry.rare.swap_remove(index);
        }
        let text = self
            .read_keeping(file, str::to_string, false)?
            .map(|t| self.intern(t));
        self.entry.rare.push(Rare {
            file,
            text: text.clone(),
            pass,
        });
        Ok(text)
    }

    fn intern(&mut self, text: String) -> Arc<str> {
        if let Some(known) = self.shared.interned.get(text.as_str()) {
            return known.clone();
        }
        let text: Arc<str> = Arc::from(text);
        self.shared.interned.insert(text.clone());
        text
    }
}

fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// This process's soft limit on open files (unlimited: `u64::MAX`), which the caches of open
/// files and directories take shares of.
pub fn descriptor_limit() -> u64 {
    rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX)
}

/// One `parts`-th of [`descriptor_limit`]: the caches of open files and directories each take
/// a share of their own.
pub fn descriptor_share(parts: u64) -> usize {
    usize::try_from(descriptor_limit() / parts.max(1)).unwrap_or(usize::MAX)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn a_file_longer_than_the_buffer_is_read_whole_and_a_short_read_ends_it() {
        let dir = tempfile::tempdir().unwrap();
        let long: String = (0..9000).map(|i| format!("{i}\n")).collect();
        std::fs::write(dir.path().join("cgroup.procs"), &long).unwrap();
        std::fs::write(dir.path().join("cpu.stat"), "usage_usec 1\n").unwrap();
        let mut buffer = Vec::new();
        for (name, text) in [
            ("cgroup.procs", long.as_str()),
            ("cpu.stat", "usage_usec 1\n"),
        ] {
            let file = File::open(dir.path().join(name)).unwrap();
            let n = read_at_zero(&file, &mut buffer).unwrap();
            assert_eq!(std::str::from_utf8(&buffer[..n]).unwrap(), text, "{name}");
        }
        assert!(long.len() > 16 * 1024, "longer than the first buffer");
    }

    /// A fixture tree of `count` cgroups, each with a counter and a limit.
    fn tree(count: usize) -> (tempfile::TempDir, Cgroupfs, Vec<CgroupPath>) {
        let dir = tempfile::tempdir().unwrap();
        let mut cgroups = Vec::new();
        for i in 0..count {
            let name = format!("c{i}");
            std::fs::create_dir(dir.path().join(&name)).unwrap();
            std::fs::write(dir.path().join(&name).join("cpu.stat"), "usage_usec 1\n").unwrap();
            std::fs::write(dir.path().join(&name).join("memory.max"), "max\n").unwrap();
            cgroups.push(CgroupPath::from_relative(Path::new(&name)).unwrap());
        }
        let fs = Cgroupfs::fixture(dir.path()).unwrap();
        (dir, fs, cgroups)
    }

    fn pass(files: &mut OpenFiles, fs: &Cgroupfs, cgroups: &[CgroupPath]) {
        files.begin_pass();
        for (i, c) in cgroups.iter().enumerate() {
            let mut reads = files.cgroup(fs, c, i as u64 + 1);
            assert_eq!(
                reads.read_with("cpu.stat", str::len).unwrap(),
                Some("usage_usec 1\n".len())
            );
            assert_eq!(reads.read_with("io.stat", str::len).unwrap(), None);
            assert_eq!(
                reads.read_rare("memory.max").unwrap().as_deref(),
                Some("max\n")
            );
        }
        files.end_pass();
    }

    #[test]
    fn files_stay_open_only_for_cgroups_read_every_pass_and_within_the_budget() {
        let (_dir, fs, cgroups) = tree(6);
        let mut files = OpenFiles::with_keep_open_max(4);
        pass(&mut files, &fs, &cgroups);
        assert_eq!(files.open_count(), 0, "read once: nothing kept open");
        pass(&mut files, &fs, &cgroups);
        assert_eq!(
            files.open_count(),
            4,
            "read again: kept open up to the budget"
        );
        pass(&mut files, &fs, &cgroups);
        assert_eq!(files.open_count(), 4);
        // Only the first two are read now: the others' files are closed at the pass's end.
        pass(&mut files, &fs, &cgroups[..2]);
        assert_eq!(files.open_count(), 2);
        pass(&mut files, &fs, &[]);
        assert_eq!(files.open_count(), 0);
        assert!(
            files.cgroups.is_empty(),
            "cgroups no pass lists are forgotten"
        );
    }

    #[test]
    fn cgroups_listed_but_not_read_keep_what_is_known() {
        let (_dir, fs, cgroups) = tree(2);
        let mut files = OpenFiles::new();
        pass(&mut files, &fs, &cgroups);
        files.begin_pass();
        files.still_there(&cgroups[0]);
        files.end_pass();
        assert!(files.cgroups.contains_key(&cgroups[0]));
        assert!(
            !files.cgroups.contains_key(&cgroups[1]),
            "removed: forgotten"
        );
        assert_eq!(
            files.cgroups[&cgroups[0]].rare.len(),
            1,
            "its limit text is kept"
        );
    }

    #[test]
    fn a_lower_budget_closes_files_at_the_end_of_the_pass() {
        let (_dir, fs, cgroups) = tree(4);
        let mut files = OpenFiles::with_keep_open_max(4);
        pass(&mut files, &fs, &cgroups);
        pass(&mut files, &fs, &cgroups);
        assert_eq!(files.open_count(), 4);
        // As after EMFILE: half as many may stay open.
        files.shared.keep_open_max = 2;
        pass(&mut files, &fs, &cgroups);
        assert_eq!(files.open_count(), 2);
    }

    #[test]
    fn rare_texts_are_shared_and_reread_after_forget() {
        let (dir, fs, cgroups) = tree(3);
        let mut files = OpenFiles::new();
        pass(&mut files, &fs, &cgroups);
        assert_eq!(
            files.shared.interned.len(),
            1,
            "one text for every cgroup's `max`"
        );
        std::fs::write(dir.path().join("c0/memory.max"), "4096\n").unwrap();
        files.begin_pass();
        let mut reads = files.cgroup(&fs, &cgroups[0], 1);
        assert_eq!(
            reads.read_rare("memory.max").unwrap().as_deref(),
            Some("max\n")
        );
        files.end_pass();
        files.forget_rare();
        files.begin_pass();
        let mut reads = files.cgroup(&fs, &cgroups[0], 1);
        assert_eq!(
            reads.read_rare("memory.max").unwrap().as_deref(),
            Some("4096\n")
        );
        files.end_pass();
    }

    /// With a longer period (the recorder), a cgroup made after the first pass has its limits
    /// read at each of its first passes, then once a period; one there from the start, once a
    /// period.
    #[test]
    fn a_new_cgroups_limits_are_read_at_its_first_passes_then_once_a_period() {
        let (dir, fs, cgroups) = tree(2);
        let mut files = OpenFiles::new();
        files.set_rare_passes(30);
        // A pass over the cgroups there: each one's memory.max as read in it.
        let pass_over = |files: &mut OpenFiles, there: &[CgroupPath]| -> Vec<String> {
            files.begin_pass();
            let texts = there
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let mut reads = files.cgroup(&fs, c, i as u64 + 1);
                    let text = reads.read_rare("memory.max").unwrap();
                    text.as_deref().unwrap_or_default().to_string()
                })
                .collect();
            files.end_pass();
            texts
        };
        // c0 from the first pass; c1 made before the second.
        assert_eq!(pass_over(&mut files, &cgroups[..1]), ["max\n"]);
        assert_eq!(pass_over(&mut files, &cgroups), ["max\n", "max\n"]);
        for name in ["c0", "c1"] {
            std::fs::write(dir.path().join(name).join("memory.max"), "65536\n").unwrap();
        }
        // c1 is young: read again at its next pass; c0 was there from the start: once a
        // period.
        assert_eq!(pass_over(&mut files, &cgroups), ["max\n", "65536\n"]);
        for _ in 0..30 {
            pass_over(&mut files, &cgroups);
        }
        assert_eq!(pass_over(&mut files, &cgroups), ["65536\n", "65536\n"]);
    }

    /// A cgroup whose writes are reported keeps its limits until one is reported (or the long
    /// period passes); one without re-reads them once a period, at its own phase.
    #[test]
    fn a_cgroup_whose_writes_are_reported_keeps_its_limits_until_written() {
        let (dir, fs, cgroups) = tree(2);
        let mut files = OpenFiles::new();
        files.set_rare_passes(30);
        files.set_written_passes(600);
        // c0's writes are reported, c1's are not: each one's memory.max as read in a pass.
        let pass_over = |files: &mut OpenFiles| -> Vec<String> {
            files.begin_pass();
            let texts = cgroups
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let mut reads = files.cgroup(&fs, c, i as u64 + 7).writes_reported(i == 0);
                    let text = reads.read_rare("memory.max").unwrap();
                    text.as_deref().unwrap_or_default().to_string()
                })
                .collect();
            files.end_pass();
            texts
        };
        assert_eq!(pass_over(&mut files), ["max\n", "max\n"]);
        for name in ["c0", "c1"] {
            std::fs::write(dir.path().join(name).join("memory.max"), "65536\n").unwrap();
        }
        // c1 at its phase within a period, then not again for a period; c0 not at all.
        let mut c1_changed_at = None;
        for pass in 2..=31 {
            let texts = pass_over(&mut files);
            assert_eq!(texts[0], "max\n", "c0 at pass {pass}");
            if texts[1] == "65536\n" {
                c1_changed_at.get_or_insert(pass);
            }
        }
        assert!(c1_changed_at.is_some(), "c1 re-read within a period");
        std::fs::write(dir.path().join("c1/memory.max"), "4096\n").unwrap();
        for pass in 32..=31 + 29 {
            let texts = pass_over(&mut files);
            let reread = texts[1] == "4096\n";
            assert!(
                !reread || pass - c1_changed_at.unwrap() >= 30,
                "c1 re-read at pass {pass}, {} passes after the last",
                pass - c1_changed_at.unwrap()
            );
        }
        // A reported write: c0 is read again at its next pass.
        files.forget_rare_of(&cgroups[0]);
        assert_eq!(pass_over(&mut files)[0], "65536\n");
    }

    #[test]
    fn a_recreated_cgroup_starts_afresh() {
        let (_dir, fs, cgroups) = tree(1);
        let mut files = OpenFiles::new();
        pass(&mut files, &fs, &cgroups);
        pass(&mut files, &fs, &cgroups);
        assert_eq!(files.open_count(), 1);
        files.begin_pass();
        // Another inode under the same name: the old cgroup's file is closed.
        let _ = files.cgroup(&fs, &cgroups[0], 99);
        assert_eq!(files.open_count(), 0);
    }
}
