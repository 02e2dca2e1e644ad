//! What a fixture tree keeps beside its files, so that it behaves like the host it was
//! captured from: owners and modes (`.owners`), extended attributes (`.xattrs`) and the users
//! they name (`.passwd`). A copied tree's own files belong to whoever copied them; these say
//! who owned them on the host.
//!
//! - `.owners`, in any directory: `USER GROUP MODE PATH` per line, as `stat -c '%U %G %a %n'`
//!   prints it, PATH from the hierarchy's root (`/user.slice/cgroup.procs`; empty for the root
//!   itself; a `/sys/fs/cgroup` prefix is dropped). USER and GROUP are names from `.passwd` or
//!   numbers.
//! - `.xattrs`, in any directory: `getfattr -d -m ''` output: `# file: PATH` then
//!   `NAME="VALUE"` (or `NAME=0xHEX`) lines.
//! - `.passwd`, at the root: `NAME:UID[:GID]` or passwd(5) lines (`alice:x:1000:1000:...`);
//!   `root` is 0 without one. A group name is the primary group of the user of that name.
//! - `.local-managers`, at the root (empty): the fixture stands in for this machine, so its
//!   systemd units may be asked about and changed through this machine's managers. Without
//!   it a fixture's units are the captured host's, and no manager is ever asked.

use crate::error::{Error, Result};
use crate::parse::ParseError;
use rustix::fs::{FileType, Mode, OFlags};
use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Owner and permission bits of one path, as the host had them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
    /// Permission bits only (0o7777).
    pub mode: u32,
}

/// A fixture's metadata, keyed by paths relative to its root (`` for the root).
#[derive(Debug, Default, Clone)]
pub struct Metadata {
    owners: HashMap<PathBuf, Owner>,
    xattrs: HashMap<PathBuf, Vec<(String, Vec<u8>)>>,
    /// uid → name, and name → (uid, gid).
    names: HashMap<u32, String>,
    users: HashMap<String, (u32, u32)>,
    /// `.local-managers` is there.
    pub local_managers: bool,
    /// The cgroup2 mount options of the captured host, from `.mountinfo` (its
    /// /proc/self/mountinfo line), so `explain` shows nsdelegate as the host had it.
    pub mount_options: Option<crate::mount::MountOptions>,
}

fn bad(path: &Path, line: usize, message: String) -> Error {
    Error::Parse {
        path: path.to_path_buf(),
        source: ParseError { line, message },
    }
}

/// A path as the metadata files write it, relative to the hierarchy's root.
fn relative(text: &str) -> PathBuf {
    let text = text.trim();
    let text = text
        .strip_prefix("/sys/fs/cgroup")
        .or_else(|| text.strip_prefix("sys/fs/cgroup"))
        .unwrap_or(text);
    PathBuf::from(text.trim_start_matches('/'))
}

impl Metadata {
    /// Read the metadata of the fixture at `root`: `.passwd` there, `.owners` and `.xattrs` in
    /// every directory. A malformed line or an unknown user name is an error naming the file
    /// and line.
    pub fn load(root: &Path) -> Result<Metadata> {
        let mut meta = Metadata::default();
        meta.users.insert("root".into(), (0, 0));
        meta.names.insert(0, "root".into());
        meta.local_managers = root.join(".local-managers").exists();
        let mountinfo = root.join(".mountinfo");
        if let Some(text) = read_optional(&mountinfo)? {
            let entries = crate::mount::parse_mountinfo(&text).map_err(|source| Error::Parse {
                path: mountinfo.clone(),
                source,
            })?;
            meta.mount_options = Some(crate::mount::find_cgroup2(&entries)?.options);
        }
        let passwd = root.join(".passwd");
        if let Some(text) = read_optional(&passwd)? {
            meta.parse_passwd(&passwd, &text)?;
        }
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(rustix::fs::CWD, root, flags, Mode::empty())
            .map_err(|e| Error::io(root, e.into()))?;
        meta.load_dir(fd, root)?;
        Ok(meta)
    }

    /// Read the metadata files of the directory `fd` (shown as `shown`) and, depth first, of
    /// its subdirectories, each opened relative to its parent: a fixture may be deeper than
    /// PATH_MAX, and only its depth in descriptors is held open at once.
    fn load_dir(&mut self, fd: OwnedFd, shown: &Path) -> Result<()> {
        let io = |e: rustix::io::Errno| Error::io(shown, e.into());
        for (name, parse) in [
            (
                ".owners",
                Metadata::parse_owners as fn(&mut Metadata, &Path, &str) -> Result<()>,
            ),
            (".xattrs", Metadata::parse_xattrs),
        ] {
            let path = shown.join(name);
            let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            match rustix::fs::openat(&fd, name, flags, Mode::empty()) {
                Ok(file) => {
                    let mut text = String::new();
                    std::io::Read::read_to_string(&mut std::fs::File::from(file), &mut text)
                        .map_err(|e| Error::io(&path, e))?;
                    parse(self, &path, &text)?;
                }
                Err(rustix::io::Errno::NOENT) => {}
                Err(e) => return Err(Error::io(&path, e.into())),
            }
        }
        let mut subdirs = Vec::new();
        let mut dir = rustix::fs::Dir::read_from(&fd).map_err(io)?;
        while let Some(entry) = dir.read() {
            let entry = entry.map_err(io)?;
            let name = entry.file_name().to_bytes();
            let kind = match entry.file_type() {
                FileType::Unknown => rustix::fs::statat(
                    &fd,
                    entry.file_name(),
                    rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
                )
                .map_or(FileType::Unknown, |st| FileType::from_raw_mode(st.st_mode)),
                kind => kind,
            };
            if name.starts_with(b".") || kind != FileType::Directory {
                continue;
            }
            subdirs.push(std::ffi::OsStr::from_bytes(name).to_os_string());
        }
        for name in subdirs {
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let child = rustix::fs::openat(&fd, name.as_os_str(), flags, Mode::empty())
                .map_err(|e| Error::io(shown.join(&name), e.into()))?;
            self.load_dir(child, &shown.join(&name))?;
        }
        Ok(())
    }

    fn parse_passwd(&mut self, path: &Path, text: &str) -> Result<()> {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split(':').collect();
            let number = |i: usize| fields.get(i).and_then(|f| f.parse::<u32>().ok());
            // NAME:UID[:GID], or passwd(5): NAME:x:UID:GID:...
            let ids = match (number(1), number(2)) {
                (Some(uid), gid) => Some((uid, gid.unwrap_or(uid))),
                (None, Some(uid)) => Some((uid, number(3).unwrap_or(uid))),
                (None, None) => None,
            };
            let (Some(name), Some((uid, gid))) = (fields.first().filter(|f| !f.is_empty()), ids)
            else {
                return Err(bad(
                    path,
                    n + 1,
                    format!("expected NAME:UID[:GID], found {line:?}"),
                ));
            };
            self.users.insert(name.to_string(), (uid, gid));
            self.names.insert(uid, name.to_string());
        }
        Ok(())
    }

    fn id(&self, path: &Path, line: usize, word: &str, group: bool) -> Result<u32> {
        if let Ok(number) = word.parse::<u32>() {
            return Ok(number);
        }
        self.users
            .get(word)
            .map(|(uid, gid)| if group { *gid } else { *uid })
            .ok_or_else(|| {
                bad(
                    path,
                    line,
                    format!(
                        "unknown {} {word:?}: add it to the fixture's .passwd (NAME:UID[:GID])",
                        if group { "group" } else { "user" }
                    ),
                )
            })
    }

    fn parse_owners(&mut self, path: &Path, text: &str) -> Result<()> {
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let mut fields = line.trim_start().splitn(4, ' ');
            let (Some(user), Some(group), Some(mode)) =
                (fields.next(), fields.next(), fields.next())
            else {
                return Err(bad(
                    path,
                    n + 1,
                    format!("expected USER GROUP MODE PATH, found {line:?}"),
                ));
            };
            let mode = u32::from_str_radix(mode, 8)
                .ok()
                .filter(|m| *m <= 0o7777)
                .ok_or_else(|| bad(path, n + 1, format!("{mode:?} is not an octal mode")))?;
            let owner = Owner {
                uid: self.id(path, n + 1, user, false)?,
                gid: self.id(path, n + 1, group, true)?,
                mode,
            };
            self.owners
                .insert(relative(fields.next().unwrap_or("")), owner);
        }
        Ok(())
    }

    fn parse_xattrs(&mut self, path: &Path, text: &str) -> Result<()> {
        let mut file: Option<PathBuf> = None;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if let Some(named) = line.strip_prefix("# file:") {
                file = Some(relative(named));
                continue;
            }
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (Some(target), Some((name, value))) = (&file, line.split_once('=')) else {
                return Err(bad(
                    path,
                    n + 1,
                    format!("expected NAME=VALUE after a `# file:` line, found {line:?}"),
                ));
            };
            let value = xattr_value(value)
                .ok_or_else(|| bad(path, n + 1, format!("cannot read the value of {name}")))?;
            self.xattrs
                .entry(target.clone())
                .or_default()
                .push((name.to_string(), value));
        }
        Ok(())
    }

    /// The owner of `relative` on the captured host, if the fixture says.
    pub fn owner(&self, relative: &Path) -> Option<Owner> {
        self.owners.get(relative).copied()
    }

    /// Extended attribute `name` of `relative`.
    pub fn xattr(&self, relative: &Path, name: &str) -> Option<&[u8]> {
        self.xattrs
            .get(relative)?
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// The name of `uid` on the captured host.
    pub fn user_name(&self, uid: u32) -> Option<&str> {
        self.names.get(&uid).map(String::as_str)
    }

    /// Every user the fixture names, uid and name.
    pub fn users(&self) -> impl Iterator<Item = (u32, &str)> {
        self.names.iter().map(|(uid, name)| (*uid, name.as_str()))
    }
}

fn read_optional(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// A getfattr value: `"text"` with octal escapes (`\012`), or `0x` hex.
fn xattr_value(text: &str) -> Option<Vec<u8>> {
    if let Some(hex) = text.strip_prefix("0x") {
        if hex.len() % 2 != 0 {
            return None;
        }
        return (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect();
    }
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    let bytes = inner.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            let digits = inner.get(i + 1..i + 4)?;
            out.push(u8::from_str_radix(digits, 8).ok()?);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_xattrs_and_users() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a.slice/b.service")).unwrap();
        std::fs::write(
            dir.path().join(".passwd"),
            "alice:1000\nbob:x:1001:100:Bob:/home/bob:/bin/sh\n",
        )
        .unwrap();
        std::fs::write(dir.path().join(".owners"), "root root 555 \n").unwrap();
        std::fs::write(
            dir.path().join("a.slice/b.service/.owners"),
            "alice bob 755 /a.slice/b.service\n1002 7 644 /sys/fs/cgroup/a.slice/b.service/cgroup.procs\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("a.slice/.xattrs"),
            "# file: sys/fs/cgroup/a.slice/b.service\ntrusted.delegate=\"1\"\nuser.x=\"a\\012b\"\nuser.h=0x0102\n\n",
        )
        .unwrap();
        let meta = Metadata::load(dir.path()).unwrap();
        assert_eq!(
            meta.owner(Path::new("")),
            Some(Owner {
                uid: 0,
                gid: 0,
                mode: 0o555
            })
        );
        assert_eq!(
            meta.owner(Path::new("a.slice/b.service")),
            Some(Owner {
                uid: 1000,
                gid: 100,
                mode: 0o755
            })
        );
        assert_eq!(
            meta.owner(Path::new("a.slice/b.service/cgroup.procs")),
            Some(Owner {
                uid: 1002,
                gid: 7,
                mode: 0o644
            })
        );
        let svc = Path::new("a.slice/b.service");
        assert_eq!(meta.xattr(svc, "trusted.delegate"), Some(&b"1"[..]));
        assert_eq!(meta.xattr(svc, "user.x"), Some(&b"a\nb"[..]));
        assert_eq!(meta.xattr(svc, "user.h"), Some(&[1u8, 2][..]));
        assert_eq!(meta.user_name(1001), Some("bob"));

        std::fs::write(dir.path().join(".owners"), "carol root 555 \n").unwrap();
        let err = Metadata::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains(".owners") && err.contains("unknown user \"carol\""),
            "{err}"
        );
        std::fs::write(dir.path().join(".owners"), "root root 9z9 /\n").unwrap();
        assert!(Metadata::load(dir.path()).is_err());
    }
}
