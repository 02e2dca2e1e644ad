//! Files that must be trusted before cgtui reads or writes them: the journal and the history
//! store (private directories and files of ours) and the config (ours or root's). Root may run
//! cgtui with `HOME` or `XDG_STATE_HOME` pointing into a user's home (`sudo -E`), where that
//! user could plant symlinks or files. So a path is opened one directory at a time from `/`
//! with `O_NOFOLLOW` (a symlink is followed only where it sits in a directory root or we own),
//! every directory on the way must belong to root or to us and be writable by nobody else, and
//! a private file must be ours, a regular file with one link, not a symlink. Anything else is
//! refused, with the reason, before a byte is read or written.

use crate::cgroup::escape::visible_path;
use anyhow::{Context, Result};
use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// What a trusted path leads to: the journal (a private directory of ours, written), or the
/// config file (read; its directory may be root's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Journal,
    Config,
}

/// Why a directory or file on the way to the journal or the config is not trusted.
fn untrusted_as(kind: Kind, path: &Path, why: &str) -> anyhow::Error {
    match kind {
        Kind::Journal => anyhow::anyhow!(
            "refusing the journal at {}: {why}. A journal another user can replace could make cgtui \
             write where they choose or undo what they planted; set XDG_STATE_HOME to a directory of \
             your own (under sudo, do not keep the user's HOME: use sudo -H or sudo without -E)",
            visible_path(path)
        ),
        Kind::Config => anyhow::anyhow!(
            "refusing the config at {}: {why}. A config another user can replace could rebind \
             cgtui's keys; use --config with a file of your own, or set XDG_CONFIG_HOME (under \
             sudo, do not keep the user's HOME: use sudo -H or sudo without -E)",
            visible_path(path)
        ),
    }
}

fn untrusted(path: &Path, why: &str) -> anyhow::Error {
    untrusted_as(Kind::Journal, path, why)
}

fn errno_context(err: Errno, what: &str, path: &Path) -> anyhow::Error {
    anyhow::Error::new(std::io::Error::from(err)).context(format!("{what} {}", visible_path(path)))
}

/// Can nobody but root and us change this directory's entries?
fn check_trusted_dir(stat: &rustix::fs::Stat, path: &Path, kind: Kind) -> Result<()> {
    let me = rustix::process::geteuid().as_raw();
    let my_group = rustix::process::getegid().as_raw();
    if FileType::from_raw_mode(stat.st_mode) != FileType::Directory {
        return Err(untrusted_as(kind, path, "it is not a directory"));
    }
    if stat.st_uid != me && stat.st_uid != 0 && !outside_owner(stat.st_uid) {
        return Err(untrusted_as(
            kind,
            path,
            &format!(
                "the directory belongs to uid {}, not to you (uid {me}) or root",
                stat.st_uid
            ),
        ));
    }
    let sticky = stat.st_mode & 0o1000 != 0;
    let others_write = stat.st_mode & 0o002 != 0;
    let group_write = stat.st_mode & 0o020 != 0 && stat.st_gid != my_group;
    if (others_write || group_write) && !sticky {
        return Err(untrusted_as(
            kind,
            path,
            &format!(
                "the directory is writable by others (mode {:o})",
                stat.st_mode & 0o7777
            ),
        ));
    }
    Ok(())
}

/// In a user namespace (`unshare --user --map-root-user`), `/`, `/home` and the like belong to
/// uids it does not map, shown as the overflow uid: trusted as ancestors there, since a process
/// in such a namespace has no more power than its real uid anyway. Never in the initial one.
fn outside_owner(uid: u32) -> bool {
    static OVERFLOW: std::sync::OnceLock<Option<u32>> = std::sync::OnceLock::new();
    let overflow = *OVERFLOW.get_or_init(|| {
        let map = std::fs::read_to_string("/proc/self/uid_map").ok()?;
        let initial = map.split_whitespace().collect::<Vec<_>>() == ["0", "0", "4294967295"];
        if initial {
            return None;
        }
        std::fs::read_to_string("/proc/sys/kernel/overflowuid")
            .ok()?
            .trim()
            .parse()
            .ok()
    });
    overflow == Some(uid)
}

/// A symlink in a directory others may write (sticky, like /tmp) is followed only when it is
/// root's or ours: another user's link there could lead root's journal, store or config
/// anywhere (as the kernel's `protected_symlinks` does for links it follows, which it does not
/// apply to root's own directories or a link's owner being the directory's).
fn refuse_planted_link(
    parent: &OwnedFd,
    parent_path: &Path,
    link: &rustix::fs::Stat,
    here: &Path,
    kind: Kind,
) -> Result<()> {
    let me = rustix::process::geteuid().as_raw();
    if link.st_uid == me || link.st_uid == 0 {
        return Ok(());
    }
    let dir =
        rustix::fs::fstat(parent).map_err(|e| errno_context(e, "cannot stat", parent_path))?;
    let my_group = rustix::process::getegid().as_raw();
    let shared = dir.st_mode & 0o002 != 0 || dir.st_mode & 0o020 != 0 && dir.st_gid != my_group;
    if shared {
        return Err(untrusted_as(
            kind,
            here,
            &format!(
                "it is a symlink of uid {} in {}, a directory others may write: another user \
                 could have planted it",
                link.st_uid,
                visible_path(parent_path)
            ),
        ));
    }
    Ok(())
}

/// At most this many symlinks on the way (the kernel's own limit).
const MAX_SYMLINKS: usize = 40;

/// Open the directory `path` one component at a time from `/`, creating what is missing
/// (mode 0700) when `create`. Symlinks are followed only where they sit in a trusted directory
/// (so root or we made them); the last directory must be ours, not a symlink, and is made 0700.
/// `None` when it does not exist and `create` is false.
pub(crate) fn open_private_dir(path: &Path, create: bool) -> Result<Option<OwnedFd>> {
    open_trusted_dir(path, create, Kind::Journal)
}

/// [`open_private_dir`] for `kind`: the config's directory is only read, so it may be root's
/// (/etc-like) and is not made private.
fn open_trusted_dir(path: &Path, create: bool, kind: Kind) -> Result<Option<OwnedFd>> {
    let me = rustix::process::geteuid().as_raw();
    let dir_flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let root = rustix::fs::open("/", dir_flags, Mode::empty())
        .map_err(|e| errno_context(e, "cannot open", Path::new("/")))?;
    check_trusted_dir(
        &rustix::fs::fstat(&root).map_err(|e| errno_context(e, "cannot stat", Path::new("/")))?,
        Path::new("/"),
        kind,
    )?;
    // The directories opened so far (for `..` in a symlink) with their paths as resolved.
    let mut stack: Vec<(OwnedFd, PathBuf)> = vec![(root, PathBuf::from("/"))];
    let mut pending: Vec<OsString> = components_reversed(path);
    let mut hops = 0;
    while let Some(name) = pending.pop() {
        // A symlink's names are pushed on top of the rest, so an empty stack means this is the
        // path's own last name: the journal's directory.
        let is_last = pending.is_empty();
        let (parent, parent_path) = stack.last().expect("the root stays on the stack");
        let here = parent_path.join(&name);
        if name == ".." {
            if stack.len() > 1 {
                stack.pop();
            }
            continue;
        }
        let stat = match rustix::fs::statat(parent, name.as_os_str(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) => stat,
            Err(Errno::NOENT) if create => {
                match rustix::fs::mkdirat(parent, name.as_os_str(), Mode::from_raw_mode(0o700)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(errno_context(e, "cannot create", &here)),
                }
                pending.push(name);
                continue;
            }
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(errno_context(e, "cannot look at", &here)),
        };
        if FileType::from_raw_mode(stat.st_mode) == FileType::Symlink {
            if is_last {
                return Err(untrusted_as(kind, &here, "its directory is a symlink"));
            }
            refuse_planted_link(parent, parent_path, &stat, &here, kind)?;
            hops += 1;
            if hops > MAX_SYMLINKS {
                return Err(untrusted_as(kind, &here, "too many symlinks on the way"));
            }
            let target = rustix::fs::readlinkat(parent, name.as_os_str(), Vec::new())
                .map_err(|e| errno_context(e, "cannot read the symlink", &here))?;
            let target = PathBuf::from(OsStr::from_bytes(target.as_bytes()));
            if target.is_absolute() {
                stack.truncate(1);
            }
            let mut more = components_reversed(&target);
            // The link's own components come before the rest of the path.
            pending.append(&mut more);
            continue;
        }
        let fd = match rustix::fs::openat(parent, name.as_os_str(), dir_flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::LOOP) | Err(Errno::NOTDIR) => {
                return Err(untrusted_as(
                    kind,
                    &here,
                    "it changed into a symlink while it was opened",
                ));
            }
            Err(e) => return Err(errno_context(e, "cannot open", &here)),
        };
        let stat = rustix::fs::fstat(&fd).map_err(|e| errno_context(e, "cannot stat", &here))?;
        if is_last && kind == Kind::Journal {
            if stat.st_uid != me {
                return Err(untrusted_as(
                    kind,
                    &here,
                    &format!(
                        "the journal's directory belongs to uid {}, not to you (uid {me})",
                        stat.st_uid
                    ),
                ));
            }
            check_trusted_dir(&stat, &here, kind)?;
            if stat.st_mode & 0o077 != 0 {
                rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o700))
                    .map_err(|e| errno_context(e, "cannot make private", &here))?;
            }
        } else {
            check_trusted_dir(&stat, &here, kind)?;
        }
        stack.push((fd, here));
    }
    Ok(stack.pop().map(|(fd, _)| fd))
}

/// A path's names, last first (for popping), without the root and `.`.
fn components_reversed(path: &Path) -> Vec<OsString> {
    let mut names: Vec<OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect();
    names.reverse();
    names
}

/// Open (and when `create`, create with mode 0600) the file `name` in the trusted directory
/// `dir`: never a symlink, a regular file with one link, ours, made 0600. Returns it and whether
/// it was created; `None` if it does not exist and `create` is false.
pub(crate) fn open_private_file(
    dir: &OwnedFd,
    dir_path: &Path,
    name: &OsStr,
    create: bool,
) -> Result<Option<(OwnedFd, bool)>> {
    let path = dir_path.join(name);
    let me = rustix::process::geteuid().as_raw();
    // NONBLOCK: a FIFO planted here must not hang the open; it is refused below.
    let base = OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    let mut created = false;
    let fd = if create {
        match rustix::fs::openat(
            dir,
            name,
            base | OFlags::RDWR | OFlags::APPEND | OFlags::CREATE | OFlags::EXCL,
            Mode::from_raw_mode(0o600),
        ) {
            Ok(fd) => {
                created = true;
                Ok(fd)
            }
            Err(Errno::EXIST) => rustix::fs::openat(
                dir,
                name,
                base | OFlags::RDWR | OFlags::APPEND,
                Mode::empty(),
            ),
            Err(e) => Err(e),
        }
    } else {
        rustix::fs::openat(dir, name, base | OFlags::RDONLY, Mode::empty())
    };
    let fd = match fd {
        Ok(fd) => fd,
        Err(Errno::NOENT) if !create => return Ok(None),
        Err(Errno::LOOP) => return Err(untrusted(&path, "it is a symlink")),
        Err(e) => return Err(errno_context(e, "cannot open", &path)),
    };
    let stat = rustix::fs::fstat(&fd).map_err(|e| errno_context(e, "cannot stat", &path))?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(untrusted(&path, "it is not a regular file"));
    }
    if stat.st_uid != me {
        return Err(untrusted(
            &path,
            &format!("it belongs to uid {}, not to you (uid {me})", stat.st_uid),
        ));
    }
    if stat.st_nlink != 1 {
        return Err(untrusted(
            &path,
            &format!("it has {} hard links", stat.st_nlink),
        ));
    }
    if create && stat.st_mode & 0o077 != 0 {
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o600))
            .map_err(|e| errno_context(e, "cannot make private", &path))?;
    }
    Ok(Some((fd, created)))
}

/// The text of the config file at `path`, read only through directories root or we own that
/// nobody else may change, and only when the file is ours or root's and writable by nobody
/// else (a user's file must not rebind a root session's keys). `None` when it does not exist
/// or is not readable to us (another user's home).
pub fn read_trusted_config(path: &Path) -> Result<Option<String>> {
    const MAX_CONFIG: u64 = 1 << 20;
    let Some(parent) = path.parent() else {
        return Ok(None);
    };
    let Some(name) = path.file_name() else {
        return Ok(None);
    };
    let dir = match open_trusted_dir(parent, false, Kind::Config) {
        Ok(Some(dir)) => dir,
        Ok(None) => return Ok(None),
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::PermissionDenied) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    let fd = match rustix::fs::openat(&dir, name, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) | Err(Errno::ACCESS) => return Ok(None),
        Err(Errno::LOOP) => return Err(untrusted_as(Kind::Config, path, "it is a symlink")),
        Err(e) => return Err(errno_context(e, "cannot open", path)),
    };
    let stat = rustix::fs::fstat(&fd).map_err(|e| errno_context(e, "cannot stat", path))?;
    let me = rustix::process::geteuid().as_raw();
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(untrusted_as(Kind::Config, path, "it is not a regular file"));
    }
    if stat.st_uid != me && stat.st_uid != 0 {
        return Err(untrusted_as(
            Kind::Config,
            path,
            &format!(
                "it belongs to uid {}, not to you (uid {me}) or root",
                stat.st_uid
            ),
        ));
    }
    if stat.st_mode & 0o022 != 0 {
        return Err(untrusted_as(
            Kind::Config,
            path,
            &format!("others may write it (mode {:o})", stat.st_mode & 0o7777),
        ));
    }
    let mut text = String::new();
    File::from(fd)
        .take(MAX_CONFIG)
        .read_to_string(&mut text)
        .with_context(|| format!("cannot read the config {}", visible_path(path)))?;
    Ok(Some(text))
}

/// Replace the config file at `path` with `text` (the column chooser saves it): through the
/// directories [`read_trusted_config`] trusts (made 0700 where missing), never through a
/// symlink, and only over a regular file of ours; written beside it and renamed over it, so
/// a reader sees the old file or the new one, never half of one. A new file is 0644.
pub fn write_trusted_config(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        anyhow::bail!(
            "cannot write the config {}: no file name",
            visible_path(path)
        );
    };
    let dir = open_trusted_dir(parent, true, Kind::Config)?
        .with_context(|| format!("cannot open {}", visible_path(parent)))?;
    let me = rustix::process::geteuid().as_raw();
    let mode = match rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) => {
            if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
                return Err(untrusted_as(Kind::Config, path, "it is not a regular file"));
            }
            if stat.st_uid != me {
                return Err(untrusted_as(
                    Kind::Config,
                    path,
                    &format!("it belongs to uid {}, not to you (uid {me})", stat.st_uid),
                ));
            }
            stat.st_mode & 0o755
        }
        Err(Errno::NOENT) => 0o644,
        Err(e) => return Err(errno_context(e, "cannot look at", path)),
    };
    let mut temp_name = OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".cgtui-{}", std::process::id()));
    let temp_path = parent.join(&temp_name);
    let fd = rustix::fs::openat(
        &dir,
        temp_name.as_os_str(),
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )
    .map_err(|e| errno_context(e, "cannot create", &temp_path))?;
    let written = (|| -> Result<()> {
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode))
            .map_err(|e| errno_context(e, "cannot set the mode of", &temp_path))?;
        let mut file = File::from(fd);
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write {}", visible_path(&temp_path)))?;
        rustix::fs::renameat(&dir, temp_name.as_os_str(), &dir, name)
            .map_err(|e| errno_context(e, "cannot replace", path))
    })();
    if written.is_err() {
        let _ = rustix::fs::unlinkat(&dir, temp_name.as_os_str(), AtFlags::empty());
    }
    written
}
