//! Reading a cgroup2 hierarchy under an injectable root.
//!
//! [`Cgroupfs::system`] finds the real mount; [`Cgroupfs::fixture`] reads a copied tree for
//! tests. A cgroup that disappears while it is read is reported as `None` ("gone"), not as an
//! error, because that is a normal event on a live system.
//!
//! Every file and directory is opened relative to a directory descriptor (`openat`), never by
//! an absolute path: nested names of 255 bytes pass PATH_MAX (4,096) after 16 levels, and a
//! path the kernel refuses as too long would hide those cgroups. Paths longer than
//! [`PATH_CHUNK`] are walked a chunk of components at a time ([`Cgroupfs::at`]).

use crate::devices::Devices;
use crate::error::{Error, Result, is_gone};
use crate::fixture::Metadata;
use crate::mount::{self, CGROUP2_SUPER_MAGIC, Cgroup2Mount};
use crate::parse::ParseResult;
use crate::path::CgroupPath;
use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The longest path (relative to a directory descriptor) handed to the kernel in one call;
/// PATH_MAX is 4,096 bytes with the terminating NUL. Longer paths are opened a chunk of whole
/// components at a time.
pub const PATH_CHUNK: usize = 3072;

/// The most cgtui reads of one interface file. The kernel's largest (cgroup.procs of a cgroup
/// holding every PID `pid_max` allows: 4,194,304 lines of up to 8 bytes) fits; a file that does
/// not (a fixture's) is an error, not a flood.
pub const MAX_FILE_BYTES: usize = 64 << 20;

/// An error for a file past [`MAX_FILE_BYTES`].
pub fn too_large() -> io::Error {
    io::Error::other(format!(
        "larger than {} MiB, not read",
        MAX_FILE_BYTES >> 20
    ))
}

/// All of `reader` as text, or [`too_large`] past `cap` bytes.
fn read_capped(reader: impl Read, cap: usize) -> io::Result<String> {
    let mut text = String::new();
    reader.take(cap as u64 + 1).read_to_string(&mut text)?;
    if text.len() > cap {
        return Err(too_large());
    }
    Ok(text)
}

/// Identity and ownership of a cgroup directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirStat {
    pub inode: u64,
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
}

#[derive(Debug, Clone)]
pub struct Cgroupfs {
    /// The directory that is the root of the hierarchy (the mount point, or a fixture's root).
    mount_point: PathBuf,
    /// That directory, opened once (O_PATH): every open, stat and listing is relative to it.
    root: Arc<OwnedFd>,
    /// The real mount's description; `None` for a fixture tree.
    mount: Option<Cgroup2Mount>,
    /// Where /proc is for the processes of this hierarchy; `None` when there are none to show.
    proc_root: Option<PathBuf>,
    /// Where /sys is, for block device names; `None` to show devices by number only.
    sys_root: Option<PathBuf>,
    /// A fixture's owners, xattrs and users, as on the host it was captured from.
    fixture: Option<Arc<Metadata>>,
    /// The private copy of a fixture that writes go to ([`Cgroupfs::private_copy`]).
    overlay: Option<Arc<Overlay>>,
}

impl Cgroupfs {
    /// The cgroup2 hierarchy this process sees.
    pub fn system() -> Result<Self> {
        let mount = mount::detect()?;
        Self::from_mount(mount)
    }

    /// A real mount, checked to be cgroup2 by statfs.
    pub fn from_mount(mount: Cgroup2Mount) -> Result<Self> {
        let fs_type = mount::fs_type(&mount.mount_point)?;
        if fs_type != CGROUP2_SUPER_MAGIC {
            return Err(Error::NotCgroup2 {
                path: mount.mount_point,
                fs_type,
            });
        }
        Ok(Cgroupfs {
            root: open_root(&mount.mount_point)?,
            mount_point: mount.mount_point.clone(),
            mount: Some(mount),
            proc_root: Some(PathBuf::from("/proc")),
            sys_root: Some(PathBuf::from("/sys")),
            fixture: None,
            overlay: None,
        })
    }

    /// A fake tree of directories and files laid out like cgroupfs (tests, demos).
    /// Its processes are looked up in `ROOT/.proc` if that exists, and nowhere otherwise, so
    /// PIDs copied from another machine never show this machine's processes; likewise block
    /// devices in `ROOT/.sys`. Owners, modes and xattrs are those the fixture's `.owners`,
    /// `.xattrs` and `.passwd` record (see [`crate::fixture`]), so it behaves like the host it
    /// was captured from.
    pub fn fixture(root: &Path) -> Result<Self> {
        let mount_point = fs::canonicalize(root).map_err(|e| Error::io(root, e))?;
        if !mount_point.is_dir() {
            return Err(Error::NoSuchCgroup { path: root.into() });
        }
        let proc_root = Some(mount_point.join(".proc")).filter(|p| p.is_dir());
        let sys_root = Some(mount_point.join(".sys")).filter(|p| p.is_dir());
        let fixture = Some(Arc::new(Metadata::load(&mount_point)?));
        Ok(Cgroupfs {
            root: open_root(&mount_point)?,
            mount_point,
            mount: None,
            proc_root,
            sys_root,
            fixture,
            overlay: None,
        })
    }

    /// This fixture as a private copy in memory, which writes go to and the tree shows: the
    /// fixture directory is never written, and the copy goes when the last handle does. A
    /// real hierarchy, or a copy already, is returned as it is.
    pub fn mount_point(&self) -> &Path {
        &self.mount_point
    }

    pub fn mount(&self) -> Option<&Cgroup2Mount> {
        self.mount.as_ref()
    }

    pub fn is_fixture(&self) -> bool {
        self.mount.is_none()
    }

    pub fn proc_root(&self) -> Option<&Path> {
        self.proc_root.as_deref()
    }

    /// Block devices as this hierarchy's machine knows them.
    pub fn devices(&self) -> Devices {
        Devices::new(self.sys_root.clone())
    }

    /// The directory of a cgroup.
    pub fn dir(&self, cgroup: &CgroupPath) -> PathBuf {
        self.mount_point.join(cgroup.as_path())
    }

    /// Turn a user's argument into a cgroup path. It may be absolute under the mount point
    /// (`/sys/fs/cgroup/user.slice`) or relative to it (`user.slice`, `/user.slice`). `..` and
    /// symlinks are refused, and the cgroup must exist.
    pub fn resolve(&self, arg: &Path) -> Result<CgroupPath> {
        let outside = |reason: &str| Error::OutsideMount {
            path: arg.into(),
            mount: self.mount_point.clone(),
            reason: reason.into(),
        };
        let relative = match arg.strip_prefix(&self.mount_point) {
            Ok(rest) => rest.to_path_buf(),
            // `/user.slice` means the cgroup, unless only a path outside the mount has that name.
            Err(_) => {
                let exists_inside = CgroupPath::from_relative(arg)
                    .is_some_and(|c| matches!(self.stat(&c), Ok(Some(_))));
                if !exists_inside && arg.is_absolute() && arg.exists() && !self.is_fixture() {
                    let fs_type = mount::fs_type(arg)?;
                    if fs_type != CGROUP2_SUPER_MAGIC {
                        return Err(Error::NotCgroup2 {
                            path: arg.into(),
                            fs_type,
                        });
                    }
                    return Err(outside("it is on another cgroup2 mount"));
                }
                arg.to_path_buf()
            }
        };
        let cgroup =
            CgroupPath::from_relative(&relative).ok_or_else(|| outside("`..` is not allowed"))?;
        // Check each level without following symlinks, so nothing can lead out of the mount:
        // one level at a time, each relative to the one above (any depth).
        let mut dir: Option<OwnedFd> = None;
        for component in cgroup.as_path().components() {
            let parent = dir.as_ref().map_or(self.root.as_fd(), |d| d.as_fd());
            let flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let opened = rustix::fs::openat(parent, component.as_os_str(), flags, Mode::empty())
                .map_err(io::Error::from)
                .and_then(|fd| Ok((rustix::fs::fstat(&fd)?, fd)));
            match opened {
                Ok((stat, _)) if FileType::from_raw_mode(stat.st_mode) == FileType::Symlink => {
                    return Err(outside("it goes through a symlink"));
                }
                Ok((stat, fd)) if FileType::from_raw_mode(stat.st_mode) == FileType::Directory => {
                    dir = Some(fd)
                }
                Ok(_) => return Err(outside("it is a file, not a cgroup directory")),
                Err(e) if is_gone(&e) => return Err(Error::NoSuchCgroup { path: arg.into() }),
                Err(e) => return Err(Error::io(self.dir(&cgroup), e)),
            }
        }
        Ok(cgroup)
    }

    /// Resolve the path of a cgroup that is about to be created: its parent must exist (as
    /// [`Cgroupfs::resolve`] checks) and its name must be a plain directory name.
    pub fn resolve_new(&self, arg: &Path) -> Result<CgroupPath> {
        let invalid = |reason: &str| Error::OutsideMount {
            path: arg.into(),
            mount: self.mount_point.clone(),
            reason: reason.into(),
        };
        let name = arg
            .file_name()
            .ok_or_else(|| invalid("it has no name to create"))?;
        check_name(name).map_err(|reason| invalid(&reason))?;
        let parent = arg.parent().unwrap_or(Path::new(""));
        let parent = if parent.as_os_str().is_empty() {
            Path::new("/")
        } else {
            parent
        };
        Ok(self.resolve(parent)?.join(name))
    }

    /// Write `value` to an interface file in one write(2), as the kernel expects. Never creates
    /// a file and never follows a symlink.
    pub fn write_file(&self, cgroup: &CgroupPath, file: &str, value: &str) -> Result<()> {
        use std::io::Write;
        let path = self.dir(cgroup).join(file);
        if file.is_empty() || file.contains('/') || file.starts_with('.') {
            return Err(Error::io(
                path,
                io::Error::from_raw_os_error(rustix::io::Errno::INVAL.raw_os_error()),
            ));
        }
        // O_TRUNC is a no-op on cgroupfs, and keeps a fixture's plain files exact.
        let flags = OFlags::WRONLY | OFlags::TRUNC | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let mut handle = self
            .open_at(&cgroup.as_path().join(file), flags)
            .map(File::from)
            .map_err(|e| Error::io(&path, e))?;
        let written = handle
            .write(value.as_bytes())
            .map_err(|e| Error::io(&path, e))?;
        if written != value.len() {
            return Err(Error::io(
                path,
                io::Error::other(format!("short write: {written} of {} bytes", value.len())),
            ));
        }
        Ok(())
    }

    /// Does the cgroup exist?
    pub fn exists(&self, cgroup: &CgroupPath) -> bool {
        matches!(self.stat(cgroup), Ok(Some(_)))
    }

    /// The mount's options: the live mount's, or those a fixture's `.mountinfo` recorded.
    pub fn mount_options(&self) -> Option<&crate::mount::MountOptions> {
        match &self.mount {
            Some(m) => Some(&m.options),
            None => self.fixture.as_ref()?.mount_options.as_ref(),
        }
    }

    /// Is the hierarchy mounted with nsdelegate (a fixture: was the captured host's)?
    pub fn nsdelegate(&self) -> bool {
        self.mount_options().is_some_and(|o| o.nsdelegate)
    }

    /// A controller list (cgroup.controllers, cgroup.subtree_control); empty when the file is
    /// absent or unreadable.
    pub fn controller_list(&self, cgroup: &CgroupPath, file: &str) -> Vec<String> {
        self.read(cgroup, file, crate::parse::controllers)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// The controllers of the whole hierarchy: its root's cgroup.controllers (`None` if it
    /// cannot be read). A controller missing there is in no cgroup of this mount.
    pub fn hierarchy_controllers(&self) -> Option<Vec<String>> {
        self.get(&CgroupPath::root(), crate::interface::CGROUP_CONTROLLERS)
            .ok()
            .flatten()
    }

    /// The PIDs in cgroup.procs; empty when absent or unreadable.
    pub fn pids(&self, cgroup: &CgroupPath) -> Vec<u32> {
        self.read(cgroup, "cgroup.procs", crate::parse::pid_list)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// An interface file, parsed by its own parser ([`crate::interface`]); `None` if the file
    /// (or its cgroup) does not exist.
    pub fn get<T>(
        &self,
        cgroup: &CgroupPath,
        file: crate::interface::File<T>,
    ) -> Result<Option<T>> {
        self.read(cgroup, file.spec.name, file.parse)
    }

    /// faccessat(AT_EACCESS): may this process write a cgroup's `file`, or (`None`) write and
    /// search its directory (to create or remove a cgroup in it)? Relative to the mount's
    /// descriptor, so any depth is judged. On a fixture, judged from the recorded owners and
    /// modes as the kernel would (root passes by CAP_DAC_OVERRIDE).
    pub fn may_write(&self, cgroup: &CgroupPath, file: Option<&str>) -> bool {
        use rustix::fs::{Access, accessat};
        let (relative, mode) = match file {
            Some(file) => (cgroup.as_path().join(file), Access::WRITE_OK),
            None => (
                cgroup.as_path().to_path_buf(),
                Access::WRITE_OK | Access::EXEC_OK,
            ),
        };
        if self.fixture.is_none() {
            return self
                .at(&relative, |dir, rest| {
                    Ok(accessat(dir, rest, mode, AtFlags::EACCESS)?)
                })
                .is_ok();
        }
        let Ok(Some(stat)) = self.stat_relative(&relative) else {
            return false;
        };
        let uid = rustix::process::geteuid().as_raw();
        let gid = rustix::process::getegid().as_raw();
        let in_group = stat.gid == gid
            || rustix::process::getgroups()
                .is_ok_and(|groups| groups.iter().any(|g| g.as_raw() == stat.gid));
        dac_allows(&stat, uid, in_group, file.is_none())
    }

    /// Extended attribute `name` of a cgroup's directory (`trusted.delegate`, ...); `None` if
    /// it has none or it cannot be read. On a fixture, from its `.xattrs`.
    pub fn xattr(&self, cgroup: &CgroupPath, name: &str) -> Option<Vec<u8>> {
        if let Some(fixture) = &self.fixture {
            return fixture.xattr(cgroup.as_path(), name).map(<[u8]>::to_vec);
        }
        // Through a descriptor opened like every other read (any depth; a path would fail
        // past PATH_MAX and so miss a delegation). Values are flags: 64 bytes bound the read.
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW;
        let dir = self.open_at(cgroup.as_path(), flags).ok()?;
        let mut buf = [0u8; 64];
        let n = rustix::fs::fgetxattr(&dir, name, &mut buf).ok()?;
        Some(buf[..n].to_vec())
    }

    /// The name of `uid`, escaped for display; on a fixture, as its `.passwd` names it.
    pub fn user_name(&self, uid: u32) -> String {
        match self.fixture.as_ref().and_then(|f| f.user_name(uid)) {
            Some(name) => crate::escape::visible(name.as_bytes()).into_owned(),
            None => crate::users::user_name(uid),
        }
    }

    /// May this hierarchy's systemd managers be asked over D-Bus? Those of a real mount are
    /// this machine's; a fixture's units are the captured host's, unless it says it stands
    /// in for this machine (`.local-managers`, see [`crate::fixture`]).
    pub fn managers_reachable(&self) -> bool {
        self.fixture.as_ref().is_none_or(|f| f.local_managers)
    }

    /// The CPUs of this hierarchy's machine: online CPUs for a real hierarchy; for a fixture,
    /// those its root's `cpuset.cpus.effective` lists (the captured host's), if it has one.
    pub fn host_cpus(&self) -> Option<usize> {
        if !self.is_fixture() {
            return online_cpus();
        }
        let text = self
            .read_text(&CgroupPath::root(), "cpuset.cpus.effective")
            .ok()??;
        cpu_count(&text)
    }

    /// The users a fixture's `.passwd` names (none for a real hierarchy, whose users are the
    /// system's).
    pub fn fixture_users(&self) -> Vec<(u32, String)> {
        self.fixture.as_ref().map_or_else(Vec::new, |f| {
            f.users()
                .map(|(uid, name)| (uid, name.to_string()))
                .collect()
        })
    }

    /// Owner and inode of a cgroup's directory; `None` if it does not exist (any more).
    pub fn stat(&self, cgroup: &CgroupPath) -> Result<Option<DirStat>> {
        self.stat_relative(cgroup.as_path())
    }

    /// Owner and inode of one of a cgroup's files; `None` if it does not exist.
    pub fn stat_file(&self, cgroup: &CgroupPath, file: &str) -> Result<Option<DirStat>> {
        self.stat_relative(&cgroup.as_path().join(file))
    }

    fn stat_relative(&self, relative: &Path) -> Result<Option<DirStat>> {
        let stat = self.at(relative, |dir, rest| {
            Ok(rustix::fs::statat(dir, rest, AtFlags::SYMLINK_NOFOLLOW)?)
        });
        match stat {
            Ok(stat) => Ok(Some(self.dir_stat(relative, &stat))),
            Err(e) if is_gone(&e) => Ok(None),
            Err(e) => Err(Error::io(self.mount_point.join(relative), e)),
        }
    }

    /// [`Cgroupfs::stat`] with the directory's [`Cgroupfs::open_path`] descriptor, for a
    /// reader that opens the cgroup's files relative to it next: one lookup of the path for
    /// both.
    pub fn stat_opened(&self, cgroup: &CgroupPath) -> Result<Option<(OwnedFd, DirStat)>> {
        let opened = self.open_path(cgroup, None).and_then(|dir| {
            let stat = rustix::fs::fstat(&dir)?;
            Ok((dir, stat))
        });
        match opened {
            Ok((dir, stat)) => Ok(Some((dir, self.dir_stat(cgroup.as_path(), &stat)))),
            Err(e) if is_gone(&e) => Ok(None),
            Err(e) => Err(Error::io(self.dir(cgroup), e)),
        }
    }

    /// [`Cgroupfs::stat`] of a cgroup's directory held open ([`Cgroupfs::open_path`]): no
    /// lookup. It says nothing of whether the cgroup still exists.
    pub fn stat_held(&self, cgroup: &CgroupPath, dir: BorrowedFd<'_>) -> io::Result<DirStat> {
        let stat = rustix::fs::fstat(dir)?;
        Ok(self.dir_stat(cgroup.as_path(), &stat))
    }

    /// What `stat` says of the cgroup file or directory at `relative`, with a fixture's owners.
    fn dir_stat(&self, relative: &Path, stat: &rustix::fs::Stat) -> DirStat {
        let mut found = DirStat {
            inode: stat.st_ino,
            uid: stat.st_uid,
            gid: stat.st_gid,
            mode: stat.st_mode,
        };
        if let Some(owner) = self.fixture.as_ref().and_then(|f| f.owner(relative)) {
            found.uid = owner.uid;
            found.gid = owner.gid;
            found.mode = (found.mode & !0o7777) | owner.mode;
        }
        found
    }

    /// Run `op` on the path `relative` to the mount point, given as a directory descriptor and
    /// a path below it short enough for one system call. Up to [`PATH_CHUNK`] bytes that is
    /// the mount point's descriptor and `relative` itself (`.` for the root); longer paths
    /// are opened a chunk of whole components at a time (O_PATH, each relative to the last),
    /// so any depth the kernel allows can be reached.
    pub fn at<T>(
        &self,
        relative: &Path,
        op: impl FnOnce(BorrowedFd<'_>, &Path) -> io::Result<T>,
    ) -> io::Result<T> {
        let bytes = relative.as_os_str().as_bytes();
        if bytes.is_empty() {
            return op(self.root.as_fd(), Path::new("."));
        }
        if bytes.len() <= PATH_CHUNK {
            return op(self.root.as_fd(), relative);
        }
        let mut dir: Option<OwnedFd> = None;
        let mut rest = bytes;
        while rest.len() > PATH_CHUNK {
            // The longest prefix of whole components within the chunk (a name is at most 255
            // bytes, so there is always one).
            let cut = rest[..=PATH_CHUNK]
                .iter()
                .rposition(|b| *b == b'/')
                .filter(|at| *at > 0)
                .ok_or_else(|| io::Error::from(rustix::io::Errno::NAMETOOLONG))?;
            let parent = dir.as_ref().map_or(self.root.as_fd(), |d| d.as_fd());
            let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            dir = Some(rustix::fs::openat(
                parent,
                OsStr::from_bytes(&rest[..cut]),
                flags,
                Mode::empty(),
            )?);
            rest = &rest[cut + 1..];
        }
        let parent = dir.as_ref().map_or(self.root.as_fd(), |d| d.as_fd());
        op(parent, Path::new(OsStr::from_bytes(rest)))
    }

    /// Open the path `relative` to the mount point with `flags` (CLOEXEC is always added).
    fn open_at(&self, relative: &Path, flags: OFlags) -> io::Result<OwnedFd> {
        self.at(relative, |dir, rest| {
            Ok(rustix::fs::openat(
                dir,
                rest,
                flags | OFlags::CLOEXEC,
                Mode::empty(),
            )?)
        })
    }

    /// Open one of a cgroup's files for reading, never following a symlink.
    pub fn open_file(&self, cgroup: &CgroupPath, file: &str) -> io::Result<File> {
        crate::stats::opened();
        self.open_at(
            &cgroup.as_path().join(file),
            OFlags::RDONLY | OFlags::NOFOLLOW,
        )
        .map(File::from)
    }

    /// Open one of the files of the cgroup whose directory `dir` is (an [`Cgroupfs::open_path`]
    /// descriptor) for reading, never following a symlink: one name to look up instead of the
    /// whole path, for a reader of many files of one cgroup.
    pub fn open_file_in(&self, dir: BorrowedFd<'_>, file: &str) -> io::Result<File> {
        crate::stats::opened();
        rustix::fs::openat(
            dir,
            file,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map(File::from)
        .map_err(io::Error::from)
    }

    /// An O_PATH descriptor of a cgroup's directory (`file` `None`) or of one of its files,
    /// not following a symlink: it names the inode without opening it, for inotify through
    /// `/proc/self/fd/N` where the path is too long to give.
    pub fn open_path(&self, cgroup: &CgroupPath, file: Option<&str>) -> io::Result<OwnedFd> {
        let relative = match file {
            Some(file) => cgroup.as_path().join(file),
            None => cgroup.as_path().to_path_buf(),
        };
        self.open_at(&relative, OFlags::PATH | OFlags::NOFOLLOW)
    }

    /// Create a cgroup (its parent must exist).
    pub fn create_dir(&self, cgroup: &CgroupPath) -> Result<()> {
        self.at(cgroup.as_path(), |dir, rest| {
            Ok(rustix::fs::mkdirat(dir, rest, Mode::from_raw_mode(0o755))?)
        })
        .map_err(|e| Error::io(self.dir(cgroup), e))
    }

    /// Remove an empty cgroup.
    pub fn remove_dir(&self, cgroup: &CgroupPath) -> Result<()> {
        self.at(cgroup.as_path(), |dir, rest| {
            Ok(rustix::fs::unlinkat(dir, rest, AtFlags::REMOVEDIR)?)
        })
        .map_err(|e| Error::io(self.dir(cgroup), e))
    }

    /// The text of an interface file; `None` if the file (or its cgroup) does not exist.
    pub fn read_text(&self, cgroup: &CgroupPath, file: &str) -> Result<Option<String>> {
        let read = self
            .open_file(cgroup, file)
            .and_then(|handle| read_capped(handle, MAX_FILE_BYTES));
        if let Ok(text) = &read {
            crate::stats::read(text.len());
        }
        match read {
            Ok(text) => Ok(Some(text)),
            Err(e) if is_gone(&e) => Ok(None),
            Err(e) => Err(Error::io(self.dir(cgroup).join(file), e)),
        }
    }

    /// An interface file parsed by one of [`crate::parse`]'s parsers.
    pub fn read<T>(
        &self,
        cgroup: &CgroupPath,
        file: &str,
        parse: fn(&str) -> ParseResult<T>,
    ) -> Result<Option<T>> {
        match self.read_text(cgroup, file)? {
            None => Ok(None),
            Some(text) => parse(&text).map(Some).map_err(|source| Error::Parse {
                path: self.dir(cgroup).join(file),
                source,
            }),
        }
    }

    /// Names of the child cgroups; `None` if the cgroup is gone. On cgroupfs a leaf (link
    /// count 2, see [`CgroupDir::children`]) costs one `stat`, not an open, a `stat` and a close:
    /// pollers list directories without a watch at every pass, and most are leaves.
    pub fn children(&self, cgroup: &CgroupPath) -> Result<Option<Vec<OsString>>> {
        if self.fixture.is_none() {
            let stat = self.at(cgroup.as_path(), |dir, rest| {
                Ok(rustix::fs::statat(dir, rest, AtFlags::SYMLINK_NOFOLLOW)?)
            });
            match stat {
                Ok(stat) if is_leaf(&stat) => return Ok(Some(Vec::new())),
                Ok(_) => {}
                Err(e) if is_gone(&e) => return Ok(None),
                Err(e) => return Err(Error::io(self.dir(cgroup), e)),
            }
        }
        let listed = self
            .open_dir(cgroup, None)
            .and_then(|mut dir| dir.children());
        match listed {
            Ok(names) => Ok(Some(names)),
            Err(e) if is_gone(&e) => Ok(None),
            Err(e) => Err(Error::io(self.dir(cgroup), e)),
        }
    }

    /// Names of a cgroup's regular files (its interface files), at most `limit`, opened like
    /// every other read (relative to the mount's descriptor, any depth); `None` if it is gone.
    pub fn files(&self, cgroup: &CgroupPath, limit: usize) -> Result<Option<Vec<OsString>>> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW;
        let listed = self
            .open_at(cgroup.as_path(), flags)
            .and_then(|fd| self.list(fd, FileType::RegularFile, limit));
        match listed {
            Ok(names) => Ok(Some(names)),
            Err(e) if is_gone(&e) => Ok(None),
            Err(e) => Err(Error::io(self.dir(cgroup), e)),
        }
    }

    /// A cgroup's directory opened for listing its children and for opening them relative to
    /// it: relative to its parent's (`parent`: one name to look up) when given, else from the
    /// mount.
    pub fn open_dir(
        &self,
        cgroup: &CgroupPath,
        parent: Option<&CgroupDir>,
    ) -> io::Result<CgroupDir> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW;
        let fd = match parent {
            Some(parent) => rustix::fs::openat(
                parent.fd()?,
                cgroup.name(),
                flags | OFlags::CLOEXEC,
                Mode::empty(),
            )?,
            None => self.open_at(cgroup.as_path(), flags)?,
        };
        Ok(CgroupDir {
            dir: rustix::fs::Dir::new(fd)?,
            fixture: self.is_fixture(),
        })
    }

    /// `cgroup` has no child, as one `stat` relative to its parent's open directory tells on
    /// cgroupfs (a link count of 2, see [`CgroupDir::children`]): most cgroups are leaves, and
    /// opening one to learn it costs an open, a `stat` and a close.
    fn is_leaf_in(&self, cgroup: &CgroupPath, parent: Option<&CgroupDir>) -> bool {
        let Some(parent) = parent.filter(|_| !self.is_fixture()) else {
            return false;
        };
        let Ok(parent) = parent.fd() else {
            return false;
        };
        rustix::fs::statat(parent, cgroup.name(), AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|stat| is_leaf(&stat))
    }

    /// The entries of type `want` in the open directory `fd`, at most `limit`.
    fn list(&self, fd: OwnedFd, want: FileType, limit: usize) -> io::Result<Vec<OsString>> {
        list_in(
            &mut rustix::fs::Dir::new(fd)?,
            self.is_fixture(),
            want,
            limit,
        )
    }

    /// Every cgroup from `base` down, parents before children. Unreadable or vanished
    /// directories are skipped: their absence is what the caller sees.
    pub fn walk(&self, base: &CgroupPath) -> Vec<CgroupPath> {
        self.walk_within(base, usize::MAX).cgroups
    }

    /// [`Cgroupfs::walk`] without the cgroups whose path (relative to the mount) is longer than
    /// `max_path` bytes, nor anything below them: a chain of long names costs the sum of its
    /// paths, depth squared, to hold, and a caller with a limit never allocates those paths.
    /// `base` itself is listed whatever its length.
    pub fn walk_within(&self, base: &CgroupPath, max_path: usize) -> Walk {
        let mut walk = Walk::default();
        let mut stack = vec![(base.clone(), None)];
        while let Some((cgroup, parent)) = stack.pop() {
            if self.is_leaf_in(&cgroup, parent.as_deref()) {
                walk.cgroups.push(cgroup);
                continue;
            }
            let opened = self.open_dir(&cgroup, parent.as_deref());
            if let Ok(mut dir) = opened
                && let Ok(mut names) = dir.children()
            {
                names.sort();
                let dir = CgroupDir::for_children(dir, &cgroup);
                for name in names.iter().rev() {
                    if cgroup.joined_len(name) > max_path {
                        walk.beyond_max_path += 1;
                    } else {
                        stack.push((cgroup.join(name), dir.clone()));
                    }
                }
            }
            walk.cgroups.push(cgroup);
        }
        walk
    }
}

/// The entries of type `want` in the open directory `dir`, at most `limit` (a fixture's
/// dot-directories are not cgroups).
fn list_in(
    dir: &mut rustix::fs::Dir,
    fixture: bool,
    want: FileType,
    limit: usize,
) -> io::Result<Vec<OsString>> {
    let mut names = Vec::new();
    while let Some(entry) = dir.read() {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        // A fixture keeps its own metadata (.proc, .sys) in dot-directories.
        if name == b"." || name == b".." || (fixture && name.starts_with(b".")) {
            continue;
        }
        // cgroupfs fills d_type, so this costs no extra stat; symlinks are never cgroups.
        let kind = match entry.file_type() {
            FileType::Unknown => {
                match rustix::fs::statat(dir.fd()?, entry.file_name(), AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(stat) => FileType::from_raw_mode(stat.st_mode),
                    Err(_) => continue,
                }
            }
            kind => kind,
        };
        if kind == want {
            names.push(OsStr::from_bytes(name).to_os_string());
            if names.len() >= limit {
                break;
            }
        }
    }
    Ok(names)
}

/// A cgroup without children, by its directory's `stat` on cgroupfs: kernfs counts a
/// directory's links as 2 plus its subdirectories.
pub(crate) fn is_leaf(stat: &rustix::fs::Stat) -> bool {
    FileType::from_raw_mode(stat.st_mode) == FileType::Directory && stat.st_nlink == 2
}

/// The depth down to which a walk opens children relative to their parent's directory.
const HELD_PARENTS_MAX: usize = 64;

/// A cgroup's directory, open ([`Cgroupfs::open_dir`]).
pub struct CgroupDir {
    dir: rustix::fs::Dir,
    fixture: bool,
}

impl CgroupDir {
    pub fn fd(&self) -> io::Result<BorrowedFd<'_>> {
        Ok(self.dir.fd()?)
    }

    /// Names of its child cgroups. On cgroupfs a directory's link count is 2 plus its
    /// subdirectories (kernfs), so one without any is not read: most cgroups are leaves, and a
    /// listing returns the names of all their interface files (70 with every controller). The
    /// count is taken now, not when it was opened: a watcher lists after its watch is in place,
    /// and a child made in between must be found by one or the other.
    pub fn children(&mut self) -> io::Result<Vec<OsString>> {
        if !self.fixture && is_leaf(&self.dir.stat()?) {
            return Ok(Vec::new());
        }
        crate::stats::listed();
        list_in(&mut self.dir, self.fixture, FileType::Directory, usize::MAX)
    }

    /// `dir` (of `cgroup`), shared by its children to be opened relative to it
    /// ([`Cgroupfs::open_dir`]); `None` deep down, where they are opened from the mount: a walk
    /// holds the directories of a cgroup's ancestors while it lists below it, and a chain of
    /// thousands would hold as many descriptors.
    pub fn for_children(dir: CgroupDir, cgroup: &CgroupPath) -> Option<Arc<CgroupDir>> {
        (cgroup.depth() < HELD_PARENTS_MAX).then(|| Arc::new(dir))
    }

    /// Its owner's uid.
    pub fn owner(&self) -> io::Result<u32> {
        Ok(self.dir.stat()?.st_uid)
    }

    /// Make it the working directory of the calling thread (see [`crate::watch`]).
    pub(crate) fn enter(&self) -> io::Result<()> {
        Ok(self.dir.chdir()?)
    }
}

/// What [`Cgroupfs::walk_within`] found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Walk {
    /// Every cgroup listed, parents before children.
    pub cgroups: Vec<CgroupPath>,
    /// Cgroups left out for a path over the limit (each the top of a subtree left out whole:
    /// what is below them is not listed, so not counted).
    pub beyond_max_path: usize,
}

/// The kernel's DAC check (generic_permission) for writing a file, or (`directory`) writing
/// and searching a directory, by `uid` (`in_group`: of the file's group). Root passes by
/// CAP_DAC_OVERRIDE, except searching a directory no one may search.
fn dac_allows(stat: &DirStat, uid: u32, in_group: bool, directory: bool) -> bool {
    if uid == 0 {
        return !directory || stat.mode & 0o111 != 0;
    }
    let bits = if stat.uid == uid {
        (stat.mode >> 6) & 0o7
    } else if in_group {
        (stat.mode >> 3) & 0o7
    } else {
        stat.mode & 0o7
    };
    let want = if directory { 0o3 } else { 0o2 };
    bits & want == want
}

/// A name a new cgroup may have: not empty, not `.`/`..`, no `/`. Its length is the kernel's
/// to judge (cgroupfs takes names over 255 bytes; [`crate::predict`] predicts ENAMETOOLONG).
pub fn check_name(name: &std::ffi::OsStr) -> std::result::Result<(), String> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes == b"." || bytes == b".." {
        return Err("a cgroup name cannot be empty, . or ..".into());
    }
    if bytes.contains(&b'/') || bytes.contains(&0) {
        return Err("a cgroup name cannot contain / or NUL".into());
    }
    Ok(())
}

/// The root of a hierarchy, opened once for every later `openat`.
fn open_root(mount_point: &Path) -> Result<Arc<OwnedFd>> {
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
    rustix::fs::openat(rustix::fs::CWD, mount_point, flags, Mode::empty())
        .map(Arc::new)
        .map_err(|e| Error::io(mount_point, e.into()))
}

mod overlay;

use overlay::Overlay;

#[cfg(test)]
mod tests;

/// How many CPUs are online (/sys/devices/system/cpu/online): 100 % each is the most CPU any
/// cgroup can use. `None` when the file cannot be read or understood.
pub fn online_cpus() -> Option<usize> {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/online").ok()?;
    cpu_count(&text)
}

/// How many CPUs a CPU list (`0-3,8`) names; `None` for none, or text that is not one.
fn cpu_count(list: &str) -> Option<usize> {
    crate::parse::cpu_list_count(list).ok().filter(|n| *n > 0)
}
