//! The store: a directory of append-only segment files, one per UTC day (`YYYY-MM-DD.cgtui`),
//! each with a sparse index beside it (`YYYY-MM-DD.idx`: the time, offset and kind of every key
//! frame and event frame). The index is a cache: a reader checks it against the segment and
//! rebuilds it by scanning when it disagrees; the recorder rewrites it when it resumes.
//!
//! One writer appends whole frames with one `write` each; readers never lock: they read up to
//! the length they saw, and a frame still being written is simply not there yet.

use super::HistoryEvent;
use super::codec::sample_words;
use super::frame::{self, Kind, Series, State};
use crate::cgroup::CgroupPath;
use crate::cgroup::escape::visible_path;
use crate::cgroup::sample::CgroupSample;
use crate::time::DAY_MS;
use anyhow::{Context, Result, bail};
use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno;
use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A key frame (every series in full) at least every this many samples: a reader seeking
/// decodes at most this many frames.
pub const KEY_EVERY: usize = 60;

const SEGMENT_SUFFIX: &str = ".cgtui";
const INDEX_SUFFIX: &str = ".idx";
const INDEX_ENTRY: usize = 17;

/// `YYYY-MM-DD` of a UTC day number.
pub fn day_name(day: i64) -> String {
    crate::time::utc_timestamp((day * 86_400) as f64)[..10].to_string()
}

fn day_of_name(name: &str) -> Option<i64> {
    let stem = name.strip_suffix(SEGMENT_SUFFIX)?;
    let ms = crate::time::parse_rfc3339(&format!("{stem}T00:00:00Z")).ok()?;
    Some(ms.div_euclid(DAY_MS))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct IndexEntry {
    time_ms: i64,
    offset: u64,
    kind: Kind,
}

fn encode_index(entries: &[IndexEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * INDEX_ENTRY);
    for e in entries {
        out.extend_from_slice(&e.time_ms.to_le_bytes());
        out.extend_from_slice(&e.offset.to_le_bytes());
        out.push(e.kind as u8);
    }
    out
}

fn decode_index(bytes: &[u8]) -> Vec<IndexEntry> {
    bytes
        .chunks_exact(INDEX_ENTRY)
        .filter_map(|c| {
            Some(IndexEntry {
                time_ms: i64::from_le_bytes(c[..8].try_into().ok()?),
                offset: u64::from_le_bytes(c[8..16].try_into().ok()?),
                kind: Kind::from_u8(c[16])?,
            })
        })
        .collect()
}

fn indexed(kind: Kind) -> bool {
    kind.is_key() || kind == Kind::Event
}

/// Frames are read in pieces of this size (a larger frame is read whole).
pub(super) const SCAN_CHUNK: u64 = 8 << 20;

/// Scan `file` from `from` (a frame boundary) to `to` one piece at a time: memory for one
/// piece (or one larger frame), however long the span. `visit(base, scan)` gets each piece's
/// frames and damage (offsets from `base`); a frame found after damage that ran to the end of
/// the piece before is marked `after_gap`. `visit` returns false to stop.
pub(super) fn scan_pieces(
    file: &File,
    from: u64,
    to: u64,
    visit: &mut dyn FnMut(u64, &frame::Scan) -> bool,
) -> std::io::Result<()> {
    let mut at = from;
    let mut chunk = SCAN_CHUNK;
    let mut gap = false;
    while at < to {
        let end = at.saturating_add(chunk).min(to);
        let mut buf = vec![0; (end - at) as usize];
        file.read_exact_at(&mut buf, at)?;
        let mut scan = frame::scan(&buf);
        if let Some(first) = scan.frames.first_mut() {
            first.after_gap |= std::mem::take(&mut gap);
        }
        chunk = SCAN_CHUNK;
        if !visit(at, &scan) || end == to {
            break;
        }
        at = match (scan.incomplete_tail, scan.damage.last()) {
            // A frame goes on past this piece: the next piece starts with it, whole.
            (Some(tail), _) => {
                if tail == 0 {
                    let frame_len = buf
                        .get(5..9)
                        .and_then(|b| b.try_into().ok())
                        .map_or(0, u32::from_le_bytes) as u64;
                    chunk = (frame::FRAME_HEADER_LEN as u64 + frame_len).max(SCAN_CHUNK);
                }
                at + tail as u64
            }
            // Damage ran to the end of the piece: look for the next frame from near its end.
            (None, Some(d)) if d.resumed_at.is_none() => {
                gap = true;
                (end - frame::FRAME_HEADER_LEN as u64).max(at + d.offset as u64 + 1)
            }
            _ => at + scan.good_end.max(1) as u64,
        };
    }
    Ok(())
}

fn errno(e: Errno, what: &str, path: &Path) -> anyhow::Error {
    anyhow::Error::new(std::io::Error::from(e)).context(format!("{what} {}", visible_path(path)))
}

/// Open `name` in the store directory: never through a symlink, only a regular file of ours.
fn open_in(dir: &OwnedFd, dir_path: &Path, name: &str, flags: OFlags) -> Result<Option<File>> {
    let path = dir_path.join(name);
    let flags = flags | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    let fd = match rustix::fs::openat(dir, name, flags, Mode::from_raw_mode(0o600)) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(None),
        Err(Errno::LOOP) => bail!("refusing {}: it is a symlink", visible_path(&path)),
        Err(e) => return Err(errno(e, "cannot open", &path)),
    };
    let stat = rustix::fs::fstat(&fd).map_err(|e| errno(e, "cannot stat", &path))?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        bail!("refusing {}: it is not a regular file", visible_path(&path));
    }
    let me = rustix::process::geteuid().as_raw();
    if stat.st_uid != me {
        bail!(
            "refusing {}: it belongs to uid {}, not to you (uid {me})",
            visible_path(&path),
            stat.st_uid
        );
    }
    Ok(Some(File::from(fd)))
}

/// Segment names in the directory, oldest first.
fn segment_names(dir: &OwnedFd, dir_path: &Path) -> Result<Vec<(i64, String)>> {
    let listing = rustix::fs::Dir::read_from(dir).map_err(|e| errno(e, "cannot list", dir_path))?;
    let mut names: Vec<(i64, String)> = listing
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_str().ok()?.to_string();
            Some((day_of_name(&name)?, name))
        })
        .collect();
    names.sort();
    Ok(names)
}

fn refuse_newer(version: u32, path: &Path) -> Result<()> {
    if version > frame::FORMAT_VERSION {
        bail!(
            "{} is in store format version {version}, written by a newer cgtui; this cgtui reads \
             format version {} and older: upgrade cgtui to read it (the recorder does not touch it)",
            visible_path(path),
            frame::FORMAT_VERSION
        );
    }
    Ok(())
}

/// The default store: /var/lib/cgtui as root, `$XDG_STATE_HOME/cgtui/store` otherwise.
pub fn default_dir() -> Result<PathBuf> {
    if rustix::process::geteuid().is_root() {
        return Ok(PathBuf::from("/var/lib/cgtui"));
    }
    let journal = crate::journal::Journal::default_path()?;
    Ok(journal
        .parent()
        .context("the journal path has no directory")?
        .join("store"))
}

mod reader;
mod writer;

pub use reader::*;
pub use writer::*;
