//! Reading a cgroup2 hierarchy under an injectable root.
//!
//! [`Cgroupfs::system`] finds the real mount; [`Cgroupfs::fixture`] reads a copied tree for
//! tests. A cgroup that disappears while it is read is reported as `None` ("gone"), not as an
//! error, because that is a normal event on a live system.

use crate::cgroup::devices::Devices;
use crate::cgroup::error::{Error, Result, is_gone};
use crate::cgroup::mount::{self, CGROUP2_SUPER_MAGIC, Cgroup2Mount};
use crate::cgroup::parse::ParseResult;
use crate::cgroup::path::CgroupPath;
use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

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
    /// The real mount's description; `None` for a fixture tree.
    mount: Option<Cgroup2Mount>,
    /// Where /proc is for the processes of this hierarchy; `None` when there are none to show.
    proc_root: Option<PathBuf>,
    /// Where /sys is, for block device names; `None` to show devices by number only.
    sys_root: Option<PathBuf>,
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
            mount_point: mount.mount_point.clone(),
            mount: Some(mount),
            proc_root: Some(PathBuf::from("/proc")),
            sys_root: Some(PathBuf::from("/sys")),
        })
    }

    /// A fake tree of directories and files laid out like cgroupfs (tests, demos).
    /// Its processes are looked up in `ROOT/.proc` if that exists, and nowhere otherwise, so
    /// PIDs copied from another machine never show this machine's processes; likewise block
    /// devices in `ROOT/.sys`.
    pub fn fixture(root: &Path) -> Result<Self> {
        let mount_point = fs::canonicalize(root).map_err(|e| Error::io(root, e))?;
        if !mount_point.is_dir() {
            return Err(Error::NoSuchCgroup { path: root.into() });
        }
        let proc_root = Some(mount_point.join(".proc")).filter(|p| p.is_dir());
        let sys_root = Some(mount_point.join(".sys")).filter(|p| p.is_dir());
        Ok(Cgroupfs {
            mount_point,
            mount: None,
            proc_root,
            sys_root,
        })
    }

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
                let inside = CgroupPath::from_relative(arg).map(|c| self.dir(&c));
                let exists_inside = inside.is_some_and(|p| fs::symlink_metadata(p).is_ok());
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
        // Check each level without following symlinks, so nothing can lead out of the mount.
        let mut dir = self.mount_point.clone();
        for component in cgroup.as_path().components() {
            dir.push(component);
            match fs::symlink_metadata(&dir) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(outside("it goes through a symlink"));
                }
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => return Err(outside("it is a file, not a cgroup directory")),
                Err(e) if is_gone(&e) => return Err(Error::NoSuchCgroup { path: arg.into() }),
                Err(e) => return Err(Error::io(&dir, e)),
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
        let mut handle = OpenOptions::new()
            .write(true)
            .truncate(true)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(&path)
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

    /// Is the hierarchy mounted with nsdelegate (a fixture never is)?
    pub fn nsdelegate(&self) -> bool {
        self.mount.as_ref().is_some_and(|m| m.options.nsdelegate)
    }

    /// A controller list (cgroup.controllers, cgroup.subtree_control); empty when the file is
    /// absent or unreadable.
    pub fn controller_list(&self, cgroup: &CgroupPath, file: &str) -> Vec<String> {
        self.read(cgroup, file, crate::cgroup::parse::controllers)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// The PIDs in cgroup.procs; empty when absent or unreadable.
    pub fn pids(&self, cgroup: &CgroupPath) -> Vec<u32> {
        self.read(cgroup, "cgroup.procs", crate::cgroup::parse::pid_list)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Owner and inode of a cgroup's directory; `None` if it does not exist (any more).
    pub fn stat(&self, cgroup: &CgroupPath) -> Result<Option<DirStat>> {
        self.stat_path(&self.dir(cgroup))
    }

    /// Owner and inode of one of a cgroup's files; `None` if it does not exist.
    pub fn stat_file(&self, cgroup: &CgroupPath, file: &str) -> Result<Option<DirStat>> {
        self.stat_path(&self.dir(cgroup).join(file))
    }

    fn stat_path(&self, path: &Path) -> Result<Option<DirStat>> {
        match fs::symlink_metadata(path) {
            Ok(meta) => Ok(Some(DirStat {
                inode: meta.ino(),
                uid: meta.uid(),
                gid: meta.gid(),
                mode: meta.mode(),
            })),
            Err(e) if is_gone(&e) => Ok(None),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// The text of an interface file; `None` if the file (or its cgroup) does not exist.
    pub fn read_text(&self, cgroup: &CgroupPath, file: &str) -> Result<Option<String>> {
        let path = self.dir(cgroup).join(file);
        match read_nofollow(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if is_gone(&e) => Ok(None),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// An interface file parsed by one of [`crate::cgroup::parse`]'s parsers.
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

    /// Names of the child cgroups; `None` if the cgroup is gone.
    pub fn children(&self, cgroup: &CgroupPath) -> Result<Option<Vec<OsString>>> {
        let dir = self.dir(cgroup);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if is_gone(&e) => return Ok(None),
            Err(e) => return Err(Error::io(dir, e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) if is_gone(&e) => return Ok(None),
                Err(e) => return Err(Error::io(dir, e)),
            };
            // cgroupfs fills d_type, so this costs no extra stat; symlinks are never cgroups.
            // A fixture keeps its own metadata (.proc, .sys) in dot-directories.
            let fixture_meta =
                self.is_fixture() && entry.file_name().as_encoded_bytes().starts_with(b".");
            if !fixture_meta && entry.file_type().is_ok_and(|t| t.is_dir()) {
                names.push(entry.file_name());
            }
        }
        Ok(Some(names))
    }

    /// Every cgroup from `base` down, parents before children. Unreadable or vanished
    /// directories are skipped: their absence is what the caller sees.
    pub fn walk(&self, base: &CgroupPath) -> Vec<CgroupPath> {
        let mut out = Vec::new();
        let mut stack = vec![base.clone()];
        while let Some(cgroup) = stack.pop() {
            if let Ok(Some(mut names)) = self.children(&cgroup) {
                names.sort();
                stack.extend(names.iter().rev().map(|n| cgroup.join(n)));
            }
            out.push(cgroup);
        }
        out
    }
}

/// A name a new cgroup may have: not empty, not `.`/`..`, no `/`, at most 255 bytes.
pub fn check_name(name: &std::ffi::OsStr) -> std::result::Result<(), String> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes == b"." || bytes == b".." {
        return Err("a cgroup name cannot be empty, . or ..".into());
    }
    if bytes.contains(&b'/') || bytes.contains(&0) {
        return Err("a cgroup name cannot contain / or NUL".into());
    }
    if bytes.len() > 255 {
        return Err(format!(
            "a cgroup name is at most 255 bytes, this one has {}",
            bytes.len()
        ));
    }
    Ok(())
}

/// Read a whole file without following a symlink in its last component.
fn read_nofollow(path: &Path) -> io::Result<String> {
    let mut file = OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)?;
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_resolve_and_walk() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("a.slice/b.service")).unwrap();
        fs::write(dir.path().join("a.slice/memory.max"), "max\n").unwrap();
        std::os::unix::fs::symlink("/", dir.path().join("a.slice/escape")).unwrap();
        let fs = Cgroupfs::fixture(dir.path()).unwrap();

        let b = fs.resolve(Path::new("/a.slice/b.service")).unwrap();
        assert_eq!(b.to_string(), "/a.slice/b.service");
        let abs = fs.mount_point().join("a.slice");
        assert_eq!(fs.resolve(&abs).unwrap().to_string(), "/a.slice");
        assert!(matches!(
            fs.resolve(Path::new("a.slice/../..")),
            Err(Error::OutsideMount { .. })
        ));
        assert!(matches!(
            fs.resolve(Path::new("a.slice/escape")),
            Err(Error::OutsideMount { .. })
        ));
        assert!(matches!(
            fs.resolve(Path::new("a.slice/memory.max")),
            Err(Error::OutsideMount { .. })
        ));
        assert!(matches!(
            fs.resolve(Path::new("nope")),
            Err(Error::NoSuchCgroup { .. })
        ));

        let all: Vec<String> = fs
            .walk(&CgroupPath::root())
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(all, ["/", "/a.slice", "/a.slice/b.service"]);

        let a = fs.resolve(Path::new("a.slice")).unwrap();
        assert_eq!(
            fs.read(&a, "memory.max", crate::cgroup::parse::limit)
                .unwrap(),
            Some(crate::cgroup::Limit::Max)
        );
        assert_eq!(fs.read_text(&a, "memory.high").unwrap(), None);
    }
}
