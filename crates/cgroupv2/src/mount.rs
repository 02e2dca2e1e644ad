//! Finding the cgroup2 mount in /proc/self/mountinfo, and telling cgroupfs from other filesystems.

use crate::error::{Error, Result};
use crate::parse::{ParseError, ParseResult};
use serde::Serialize;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

/// statfs(2) f_type of cgroup2 (include/uapi/linux/magic.h).
pub const CGROUP2_SUPER_MAGIC: u64 = 0x6367_7270;

/// One line of /proc/PID/mountinfo (proc(5)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    /// The part of the filesystem that forms the root of this mount. Inside a cgroup namespace,
    /// a cgroup2 mount made outside it shows how far the namespace root is below it (`/../..`).
    pub root: String,
    pub mount_point: PathBuf,
    pub mount_options: Vec<String>,
    pub fs_type: String,
    pub source: String,
    pub super_options: Vec<String>,
}

/// Undo mountinfo's octal escapes (`\040` for a space, `\134` for a backslash).
fn unescape(field: &str) -> Vec<u8> {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4]
                .iter()
                .all(|b| (b'0'..=b'7').contains(b))
        {
            let v = (bytes[i + 1] - b'0') as u32 * 64
                + (bytes[i + 2] - b'0') as u32 * 8
                + (bytes[i + 3] - b'0') as u32;
            out.push(v as u8);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

fn options(field: &str) -> Vec<String> {
    field
        .split(',')
        .filter(|o| !o.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn parse_mountinfo(text: &str) -> ParseResult<Vec<MountEntry>> {
    let mut entries = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let n = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(' ').collect();
        let separator = fields
            .iter()
            .position(|f| *f == "-")
            .ok_or_else(|| ParseError {
                line: n,
                message: "no \" - \" separator".into(),
            })?;
        if separator < 6 || fields.len() < separator + 4 {
            return Err(ParseError {
                line: n,
                message: "too few fields".into(),
            });
        }
        entries.push(MountEntry {
            root: String::from_utf8_lossy(&unescape(fields[3])).into_owned(),
            mount_point: PathBuf::from(OsString::from_vec(unescape(fields[4]))),
            mount_options: options(fields[5]),
            fs_type: fields[separator + 1].to_string(),
            source: fields[separator + 2].to_string(),
            super_options: options(fields[separator + 3]),
        });
    }
    Ok(entries)
}

/// The cgroup2 mount options that change behaviour (cgroup-v2.rst, "Mounting").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MountOptions {
    pub nsdelegate: bool,
    pub memory_recursiveprot: bool,
    pub memory_localevents: bool,
    pub favordynmods: bool,
    /// Every superblock option as the kernel lists it.
    pub all: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cgroup2Mount {
    pub mount_point: PathBuf,
    /// mountinfo's root field: `/` unless a cgroup namespace sits below the mount's root.
    pub root: String,
    pub options: MountOptions,
}

impl Cgroup2Mount {
    fn from_entry(entry: &MountEntry) -> Self {
        let has = |name: &str| entry.super_options.iter().any(|o| o == name);
        Cgroup2Mount {
            mount_point: entry.mount_point.clone(),
            root: entry.root.clone(),
            options: MountOptions {
                nsdelegate: has("nsdelegate"),
                memory_recursiveprot: has("memory_recursiveprot"),
                memory_localevents: has("memory_localevents"),
                favordynmods: has("favordynmods"),
                all: entry.super_options.clone(),
            },
        }
    }
}

/// Pick the cgroup2 mount: pure v2 at /sys/fs/cgroup, hybrid at /sys/fs/cgroup/unified,
/// otherwise the first one listed. A v1-only host gets an error naming what it does have.
pub fn find_cgroup2(entries: &[MountEntry]) -> Result<Cgroup2Mount> {
    let cgroup2: Vec<&MountEntry> = entries.iter().filter(|e| e.fs_type == "cgroup2").collect();
    let preferred = ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"];
    let chosen = preferred
        .iter()
        .find_map(|p| cgroup2.iter().rev().find(|e| e.mount_point == Path::new(p)))
        .or_else(|| cgroup2.first());
    if let Some(entry) = chosen {
        return Ok(Cgroup2Mount::from_entry(entry));
    }
    let v1: Vec<String> = entries
        .iter()
        .filter(|e| e.fs_type == "cgroup")
        .map(|e| crate::escape::visible_path(&e.mount_point).into_owned())
        .collect();
    let detail = if v1.is_empty() {
        "no cgroup filesystem at all in /proc/self/mountinfo; mount one with \
         `mount -t cgroup2 none /sys/fs/cgroup`"
            .to_string()
    } else {
        format!(
            "this host uses cgroup v1 only ({}); cgtui needs the unified hierarchy: boot with \
             systemd.unified_cgroup_hierarchy=1, or mount it with `mount -t cgroup2 none /sys/fs/cgroup/unified`",
            v1.join(", ")
        )
    };
    Err(Error::NoCgroup2 { detail })
}

/// Find this process's cgroup2 mount.
pub fn detect() -> Result<Cgroup2Mount> {
    let path = Path::new("/proc/self/mountinfo");
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let entries = parse_mountinfo(&text).map_err(|source| Error::Parse {
        path: path.into(),
        source,
    })?;
    find_cgroup2(&entries)
}

/// The statfs(2) filesystem type of `path`.
pub fn fs_type(path: &Path) -> Result<u64> {
    let st = rustix::fs::statfs(path).map_err(|e| Error::io(path, e.into()))?;
    // f_type is a signed type on some architectures; the magic numbers are all positive.
    #[allow(clippy::unnecessary_cast)]
    Ok(st.f_type as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

    const DEBIAN12: &str = "31 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";

    #[test]
    fn pure_v2_with_options() {
        let m = find_cgroup2(&parse_mountinfo(DEBIAN12).unwrap()).unwrap();
        assert_eq!(m.mount_point, Path::new("/sys/fs/cgroup"));
        assert!(m.options.nsdelegate);
        assert!(m.options.memory_recursiveprot);
        assert!(!m.options.favordynmods);
        assert_eq!(m.root, "/");
    }

    #[test]
    fn hybrid_finds_unified() {
        let m = find_cgroup2(&parse_mountinfo(HYBRID).unwrap()).unwrap();
        assert_eq!(m.mount_point, Path::new("/sys/fs/cgroup/unified"));
        assert!(!m.options.nsdelegate);
    }

    #[test]
    fn v1_only_says_what_is_missing() {
        let v1: String = HYBRID.lines().take(3).map(|l| format!("{l}\n")).collect();
        let err = find_cgroup2(&parse_mountinfo(&v1).unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("cgroup v1 only"), "{err}");
        assert!(err.contains("/sys/fs/cgroup/cpu"), "{err}");
    }

    #[test]
    fn namespace_root_and_escapes() {
        let line = "50 40 0:26 /../../.. /sys/fs/cgroup\\040x rw - cgroup2 cgroup2 rw,nsdelegate\n";
        let e = &parse_mountinfo(line).unwrap()[0];
        assert_eq!(e.root, "/../../..");
        assert_eq!(e.mount_point, Path::new("/sys/fs/cgroup x"));
        assert!(parse_mountinfo("garbage line\n").is_err());
    }
}
