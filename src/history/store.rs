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
    matches!(kind, Kind::Key | Kind::Event)
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

/// Appends samples and events. One per store (the recorder).
pub struct Writer {
    dir: OwnedFd,
    dir_path: PathBuf,
    segment: Option<OpenSegment>,
    /// The series written in the last sample frame.
    state: State,
    ids: HashMap<(Vec<u8>, u64), u64>,
    next_id: u64,
    since_key: usize,
    pub key_every: usize,
    /// The newest journal change already recorded (ms), so a restart does not repeat them.
    pub last_journal_ms: i64,
    /// What resuming found (a torn tail cut off, damage skipped), for the log.
    pub notes: Vec<String>,
    /// Flush to disk after each sample frame.
    pub sync: bool,
    /// Cgroups left out of the last sample for a path over [`MAX_RECORDED_PATH`].
    pub too_long_paths: usize,
}

/// The longest cgroup path recorded (bytes): 64 levels of 255-byte names. Deeper cgroups of
/// such a chain are left out of the samples (a key frame repeats every path: a chain of 1,460
/// made one of 273 MB, past what readers take, and no sample of anyone could be read).
pub const MAX_RECORDED_PATH: usize = 16 << 10;

struct OpenSegment {
    day: i64,
    file: File,
    index: File,
    len: u64,
}

impl Writer {
    /// Open (creating, mode 0700) the store directory and be ready to append.
    pub fn open(dir_path: &Path) -> Result<Writer> {
        let dir = crate::trusted::open_private_dir(dir_path, true)
            .with_context(|| format!("cannot use the store {}", visible_path(dir_path)))?
            .context("the store directory vanished")?;
        let mut writer = Writer {
            dir,
            dir_path: dir_path.to_path_buf(),
            segment: None,
            state: State::new(),
            ids: HashMap::new(),
            next_id: 1,
            since_key: 0,
            key_every: KEY_EVERY,
            last_journal_ms: 0,
            notes: Vec::new(),
            sync: true,
            too_long_paths: 0,
        };
        // Resume the newest segment now: its tail is checked and the journal mark found.
        if let Some((day, _)) = segment_names(&writer.dir, dir_path)?.pop() {
            writer.open_segment(day)?;
        }
        Ok(writer)
    }

    pub fn dir(&self) -> &Path {
        &self.dir_path
    }

    fn open_segment(&mut self, day: i64) -> Result<()> {
        let name = format!("{}{SEGMENT_SUFFIX}", day_name(day));
        let path = self.dir_path.join(&name);
        let file = open_in(
            &self.dir,
            &self.dir_path,
            &name,
            OFlags::RDWR | OFlags::CREATE,
        )?
        .context("the segment vanished while it was opened")?;
        let len = file
            .metadata()
            .with_context(|| format!("cannot stat {}", visible_path(&path)))?
            .len();
        let mut entries: Vec<IndexEntry> = Vec::new();
        let keep;
        if len == 0 {
            file.write_all_at(&frame::header(day), 0)
                .with_context(|| format!("cannot write {}", visible_path(&path)))?;
            keep = frame::HEADER_LEN as u64;
        } else {
            let mut head = [0u8; frame::HEADER_LEN];
            let header = file
                .read_exact_at(&mut head, 0)
                .map_err(|e| e.to_string())
                .and_then(|()| frame::parse_header(&head));
            match header {
                Ok((version, _)) => {
                    refuse_newer(version, &path)?;
                    if version < frame::FORMAT_VERSION {
                        // Readers tell the older samples by their length: only the header's
                        // version changes, so an older cgtui refuses the file clearly.
                        file.write_all_at(&frame::header(day), 0)
                            .with_context(|| format!("cannot write {}", visible_path(&path)))?;
                        self.notes.push(format!(
                            "{}: now in format version {}; its samples from before have no \
                             read times (their rates are timed by the samples)",
                            visible_path(&path),
                            frame::FORMAT_VERSION
                        ));
                    }
                }
                Err(why) => bail!(
                    "{} is not a segment this recorder can append to ({why}); move it away",
                    visible_path(&path)
                ),
            }
            // Resuming reads the index and the frames after its last entry, not the day: a
            // day of hundreds of megabytes resumes in a moment and a few megabytes of memory.
            let index_name = format!("{}{INDEX_SUFFIX}", day_name(day));
            entries = match open_in(&self.dir, &self.dir_path, &index_name, OFlags::RDONLY) {
                Ok(Some(f)) => {
                    let mut bytes = Vec::new();
                    std::io::Read::read_to_end(&mut &f, &mut bytes).ok();
                    decode_index(&bytes)
                }
                _ => Vec::new(),
            };
            if !index_fits(&file, &entries, len) {
                entries.clear();
            }
            let from = entries.pop().map_or(frame::HEADER_LEN as u64, |e| e.offset);
            let good_end = scan_file(&file, from, len, &mut entries, &mut self.notes, &path)?;
            keep = good_end.max(frame::HEADER_LEN as u64);
            self.last_journal_ms = self.last_journal_ms.max(last_change(&file, &entries, len));
            if keep < len {
                self.notes.push(format!(
                    "{}: cut {} bytes of an unfinished frame at offset {keep}",
                    visible_path(&path),
                    len - keep
                ));
                file.set_len(keep)
                    .with_context(|| format!("cannot truncate {}", visible_path(&path)))?;
            }
        }
        let index_name = format!("{}{INDEX_SUFFIX}", day_name(day));
        let index = open_in(
            &self.dir,
            &self.dir_path,
            &index_name,
            OFlags::RDWR | OFlags::CREATE,
        )?
        .context("the index vanished while it was opened")?;
        index.set_len(0)?;
        index.write_all_at(&encode_index(&entries), 0)?;
        let file = reopen_append(file, &path)?;
        let index = reopen_append(index, &self.dir_path.join(&index_name))?;
        rustix::fs::fsync(&self.dir).ok();
        self.segment = Some(OpenSegment {
            day,
            file,
            index,
            len: keep,
        });
        // A new file (or a restart) begins with a key frame.
        self.state.clear();
        self.ids.clear();
        self.since_key = usize::MAX;
        Ok(())
    }

    fn segment_for(&mut self, time_ms: i64) -> Result<&mut OpenSegment> {
        let day = time_ms.div_euclid(DAY_MS);
        if self.segment.as_ref().is_none_or(|s| s.day != day) {
            self.open_segment(day)?;
        }
        self.segment.as_mut().context("no open segment")
    }

    fn append(&mut self, kind: Kind, time_ms: i64, body: &[u8]) -> Result<()> {
        if body.len() > frame::MAX_FRAME {
            bail!(
                "a frame of {} bytes is more than readers take ({}): not written",
                body.len(),
                frame::MAX_FRAME
            );
        }
        let bytes = frame::encode_frame(kind, time_ms, body);
        let dir_path = self.dir_path.clone();
        let segment = self.segment_for(time_ms)?;
        let offset = segment.len;
        if let Err(e) = segment.file.write_all(&bytes) {
            // A frame cut short (a full disk) is taken back, so the next one starts where
            // the readers expect a frame.
            let _ = segment.file.set_len(offset);
            return Err(anyhow::Error::new(e).context(format!(
                "cannot append to the store {} (disk full?)",
                visible_path(&dir_path)
            )));
        }
        segment.len += bytes.len() as u64;
        if indexed(kind) {
            let entry = IndexEntry {
                time_ms,
                offset,
                kind,
            };
            // The index is a cache a reader checks: a failed write is repaired by a scan.
            let _ = segment.index.write_all(&encode_index(&[entry]));
        }
        Ok(())
    }

    /// Append one sample of every cgroup (`time_ms`: Unix time in ms; `anchor`: that moment on
    /// the clock of the samples' read times, [`crate::cgroup::sample::monotonic_ns`]).
    pub fn append_sample(
        &mut self,
        time_ms: i64,
        anchor: u64,
        cgroups: &[(CgroupPath, &CgroupSample)],
    ) -> Result<()> {
        // Switch segments first: a new segment clears the state and starts with a key frame.
        self.segment_for(time_ms)?;
        let mut next = State::new();
        let mut too_long = 0;
        for (path, sample) in cgroups {
            // Every sample frame repeats each path: a chain of long names deep enough to pass
            // this is not recorded below it, so the frames stay far inside what readers take.
            if path.as_bytes().len() > MAX_RECORDED_PATH {
                too_long += 1;
                continue;
            }
            let key = (path.as_bytes().to_vec(), sample.inode);
            let id = *self.ids.entry(key).or_insert_with(|| {
                self.next_id += 1;
                self.next_id
            });
            next.insert(
                id,
                Series {
                    path: path.clone(),
                    inode: sample.inode,
                    words: sample_words(sample, anchor),
                },
            );
        }
        // Forget the ids of series that are gone (a new cgroup of the same name is new).
        if next.len() < self.ids.len() {
            self.ids.retain(|_, id| next.contains_key(id));
        }
        if too_long > 0 && self.too_long_paths == 0 {
            self.notes.push(format!(
                "{too_long} cgroups with paths longer than {MAX_RECORDED_PATH} bytes are not \
                 recorded"
            ));
        }
        self.too_long_paths = too_long;
        let key = self.since_key >= self.key_every;
        let (kind, body) = if key {
            (Kind::Key, frame::encode_key(&next))
        } else {
            (Kind::Delta, frame::encode_delta(&self.state, &next))
        };
        self.append(kind, time_ms, &body)?;
        self.since_key = if key { 1 } else { self.since_key + 1 };
        self.state = next;
        if self.sync
            && let Some(segment) = &self.segment
        {
            rustix::fs::fdatasync(&segment.file).ok();
        }
        Ok(())
    }

    /// Make everything appended durable.
    pub fn flush(&self) {
        if let Some(segment) = &self.segment {
            rustix::fs::fdatasync(&segment.file).ok();
        }
    }

    pub fn append_event(&mut self, time_ms: i64, event: &HistoryEvent) -> Result<()> {
        let body = serde_json::to_vec(event)?;
        self.append(Kind::Event, time_ms, &body)
    }

    /// The bytes of every segment and index in the store.
    pub fn store_size(&self) -> u64 {
        let Ok(names) = segment_names(&self.dir, &self.dir_path) else {
            return 0;
        };
        names
            .iter()
            .flat_map(|(day, name)| [name.clone(), format!("{}{INDEX_SUFFIX}", day_name(*day))])
            .map(|name| {
                rustix::fs::statat(
                    &self.dir,
                    name.as_str(),
                    rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
                )
                .map_or(0, |s| s.st_size as u64)
            })
            .sum()
    }

    /// The bytes of the segment being written.
    pub fn current_len(&self) -> u64 {
        self.segment.as_ref().map_or(0, |s| s.len)
    }

    /// Delete the oldest segments: those wholly older than `retain` before `now_ms`, then more
    /// until the store is at most `max_size` bytes. The segment being written stays, and
    /// while it alone takes more than half of `max_size` (a flood of events today) no older
    /// day is removed for the size: a flood never erases the history from before it (the
    /// recorder records its events as counts instead, see `record`).
    pub fn prune(
        &mut self,
        now_ms: i64,
        retain: Duration,
        max_size: Option<u64>,
    ) -> Result<Vec<String>> {
        let current = self.segment.as_ref().map(|s| s.day);
        let cutoff = now_ms - retain.as_millis() as i64;
        let mut removed = Vec::new();
        let mut sizes = Vec::new();
        for (day, name) in segment_names(&self.dir, &self.dir_path)? {
            let index_name = format!("{}{INDEX_SUFFIX}", day_name(day));
            let size = |name: &str| {
                rustix::fs::statat(&self.dir, name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)
                    .map_or(0, |s| s.st_size as u64)
            };
            sizes.push((
                day,
                name.clone(),
                index_name.clone(),
                size(&name) + size(&index_name),
            ));
        }
        let mut total: u64 = sizes.iter().map(|s| s.3).sum();
        let current_size = sizes
            .iter()
            .find(|s| Some(s.0) == current)
            .map_or(0, |s| s.3);
        let flooded = max_size.is_some_and(|max| current_size > max / 2);
        for (day, name, index_name, size) in sizes {
            if Some(day) == current {
                break;
            }
            let expired = (day + 1) * DAY_MS <= cutoff;
            let over = max_size.is_some_and(|max| total > max) && !flooded;
            if !expired && !over {
                break;
            }
            for n in [&name, &index_name] {
                match rustix::fs::unlinkat(&self.dir, n.as_str(), rustix::fs::AtFlags::empty()) {
                    Ok(()) | Err(Errno::NOENT) => {}
                    Err(e) => return Err(errno(e, "cannot remove", &self.dir_path.join(n))),
                }
            }
            total -= size;
            removed.push(name);
        }
        Ok(removed)
    }
}

/// Does the index agree with the segment of `len` bytes: entries in order, inside it, and the
/// last one naming the frame at its offset?
fn index_fits(file: &File, entries: &[IndexEntry], len: u64) -> bool {
    let ordered = entries.windows(2).all(|w| w[0].offset < w[1].offset);
    let inside = entries.iter().all(|e| {
        e.offset >= frame::HEADER_LEN as u64 && e.offset + frame::FRAME_HEADER_LEN as u64 <= len
    });
    let last_ok = entries.last().is_none_or(|e| {
        let mut head = [0u8; frame::FRAME_HEADER_LEN];
        file.read_exact_at(&mut head, e.offset).is_ok()
            && head[..4] == frame::SYNC
            && head[4] == e.kind as u8
            && head[9..17] == e.time_ms.to_le_bytes()
    });
    ordered && inside && last_ok
}

/// Frames are scanned in pieces of this size (one larger frame is read whole).
const SCAN_CHUNK: u64 = 8 << 20;

/// Scan the segment from `from` (a frame boundary) to `len` in pieces: the key and event
/// frames found are added to `entries`, damage to `notes`. Returns where the last good frame
/// ends (`from` when there is none).
fn scan_file(
    file: &File,
    from: u64,
    len: u64,
    entries: &mut Vec<IndexEntry>,
    notes: &mut Vec<String>,
    path: &Path,
) -> Result<u64> {
    let mut at = from;
    let mut good_end = from;
    let mut chunk = SCAN_CHUNK;
    while at < len {
        let to = at.saturating_add(chunk).min(len);
        let mut buf = vec![0; (to - at) as usize];
        file.read_exact_at(&mut buf, at)
            .with_context(|| format!("cannot read {}", visible_path(path)))?;
        let scan = frame::scan(&buf);
        chunk = SCAN_CHUNK;
        for d in &scan.damage {
            notes.push(format!(
                "{}: damage at offset {} ({}) skipped",
                visible_path(path),
                at + d.offset as u64,
                d.what
            ));
        }
        for f in &scan.frames {
            if indexed(f.kind) {
                entries.push(IndexEntry {
                    time_ms: f.time_ms,
                    offset: at + f.offset as u64,
                    kind: f.kind,
                });
            }
        }
        if !scan.frames.is_empty() {
            good_end = at + scan.good_end as u64;
        }
        if to == len {
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
                (to - frame::FRAME_HEADER_LEN as u64).max(at + d.offset as u64 + 1)
            }
            _ => at + scan.good_end.max(1) as u64,
        };
    }
    Ok(good_end)
}

/// How far back from the end a resuming recorder looks for the journal's changes it already
/// recorded (changes are recorded at the next sample; intervals are shorter than this).
const JOURNAL_LOOKBACK_MS: i64 = 10 * 60_000;

/// The newest journal change recorded in the segment's last [`JOURNAL_LOOKBACK_MS`] (or the
/// start of that window when none is: older changes are taken as recorded).
fn last_change(file: &File, entries: &[IndexEntry], len: u64) -> i64 {
    let Some(last) = entries.iter().map(|e| e.time_ms).max() else {
        return 0;
    };
    let since = last - JOURNAL_LOOKBACK_MS;
    let mut mark = since;
    for e in entries.iter().rev() {
        if e.kind != Kind::Event || e.time_ms < since {
            continue;
        }
        let mut head = [0u8; frame::FRAME_HEADER_LEN];
        if file.read_exact_at(&mut head, e.offset).is_err() {
            continue;
        }
        let payload = u64::from(u32::from_le_bytes([head[5], head[6], head[7], head[8]]));
        let end = (e.offset + frame::FRAME_HEADER_LEN as u64 + payload).min(len);
        let mut buf = vec![0; end.saturating_sub(e.offset) as usize];
        if file.read_exact_at(&mut buf, e.offset).is_err() {
            continue;
        }
        let scan = frame::scan(&buf);
        if let Some(f) = scan.frames.first()
            && let Ok(body) = f.body()
            && let Ok(event) = serde_json::from_slice::<HistoryEvent>(&body)
            && event.kind == "change"
        {
            mark = mark.max(event.journal_ms());
        }
    }
    mark
}

/// The same file, now opened for appending (every write lands at the end, in one piece).
fn reopen_append(file: File, path: &Path) -> Result<File> {
    let flags = rustix::fs::fcntl_getfl(&file)?;
    rustix::fs::fcntl_setfl(&file, flags | OFlags::APPEND)
        .map_err(|e| errno(e, "cannot append to", path))?;
    Ok(file)
}

/// A segment as a reader sees it.
struct Segment {
    path: PathBuf,
    file: File,
    len: u64,
    index: Vec<IndexEntry>,
}

/// One recorded sample: every cgroup, parents before children.
#[derive(Debug, Clone)]
pub struct Moment {
    pub time_ms: i64,
    pub cgroups: Vec<(CgroupPath, CgroupSample)>,
}

/// A sample and the one before it (for rates).
#[derive(Debug, Clone)]
pub struct Pair {
    pub previous: Option<Moment>,
    pub current: Moment,
}

fn moment(time_ms: i64, state: &State) -> Result<Moment, super::codec::DecodeError> {
    let mut cgroups = state
        .values()
        .map(|s| {
            Ok((
                s.path.clone(),
                super::codec::sample_from_words(
                    s.inode,
                    &s.words,
                    super::codec::anchor_of(time_ms),
                )?,
            ))
        })
        .collect::<Result<Vec<_>, super::codec::DecodeError>>()?;
    cgroups.sort_by(|a, b| a.0.as_path().cmp(b.0.as_path()));
    Ok(Moment { time_ms, cgroups })
}

/// One series in one recorded sample ([`Store::series_at`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesAt {
    pub time_ms: i64,
    /// The series' words; `None` when the sample does not hold it (not there yet, or a
    /// different inode: another cgroup of the same name).
    pub words: Option<Vec<u64>>,
}

/// What [`Store::walk`] calls for each sample: its time, its state, and the sample before it
/// (time and state) when asked for; false stops the walk.
pub type Visit<'a> = dyn FnMut(i64, &State, Option<(i64, &State)>) -> bool + 'a;

/// Reads a store while a recorder may be appending to it.
pub struct Store {
    dir_path: PathBuf,
    segments: Vec<Segment>,
    /// Damage found, each once: file, offset, what.
    pub problems: Vec<String>,
    reported: std::collections::HashSet<(usize, u64)>,
}

impl Store {
    pub fn open(dir_path: &Path) -> Result<Store> {
        Store::open_since(dir_path, i64::MIN)
    }

    /// [`Store::open`] with only the days from the one holding `since_ms` on: a reader of the
    /// recent past does not load a week of indexes (however many events a busy week made).
    pub fn open_since(dir_path: &Path, since_ms: i64) -> Result<Store> {
        let first_day = since_ms.div_euclid(DAY_MS);
        let dir = crate::trusted::open_private_dir(dir_path, false)
            .with_context(|| format!("cannot read the store {}", visible_path(dir_path)))?
            .with_context(|| {
                format!(
                    "there is no store at {}: start `cgtui record` first",
                    visible_path(dir_path)
                )
            })?;
        let mut store = Store {
            dir_path: dir_path.to_path_buf(),
            segments: Vec::new(),
            problems: Vec::new(),
            reported: Default::default(),
        };
        for (day, name) in segment_names(&dir, dir_path)? {
            if day < first_day {
                continue;
            }
            let path = dir_path.join(&name);
            let Some(file) = open_in(&dir, dir_path, &name, OFlags::RDONLY)? else {
                continue;
            };
            let len = file.metadata()?.len();
            let mut head = [0u8; frame::HEADER_LEN];
            let header = file
                .read_exact_at(&mut head, 0)
                .map_err(|e| e.to_string())
                .and_then(|()| frame::parse_header(&head));
            match header {
                Ok((version, _)) => refuse_newer(version, &path)?,
                Err(why) => {
                    store
                        .problems
                        .push(format!("{}: offset 0: {why}; skipped", visible_path(&path)));
                    continue;
                }
            }
            let index_name = format!("{}{INDEX_SUFFIX}", day_name(day));
            let index = match open_in(&dir, dir_path, &index_name, OFlags::RDONLY) {
                Ok(Some(f)) => {
                    let mut bytes = Vec::new();
                    std::io::Read::read_to_end(&mut &f, &mut bytes).ok();
                    decode_index(&bytes)
                }
                _ => Vec::new(),
            };
            store.segments.push(Segment {
                path,
                file,
                len,
                index,
            });
        }
        for i in 0..store.segments.len() {
            store.check_index(i);
        }
        Ok(store)
    }

    pub fn dir(&self) -> &Path {
        &self.dir_path
    }

    fn read(&self, seg: usize, from: u64, to: u64) -> Vec<u8> {
        let s = &self.segments[seg];
        let to = to.min(s.len);
        let mut buf = vec![0; to.saturating_sub(from) as usize];
        if s.file.read_exact_at(&mut buf, from).is_err() {
            buf.clear();
        }
        buf
    }

    fn report(&mut self, seg: usize, base: u64, scan: &frame::Scan) {
        for d in &scan.damage {
            let offset = base + d.offset as u64;
            if self.reported.insert((seg, offset)) {
                let then = match d.resumed_at {
                    Some(at) => format!("skipped to offset {}", base + at as u64),
                    None => "skipped the rest".into(),
                };
                self.problems.push(format!(
                    "{}: offset {offset}: {}; {then}",
                    visible_path(&self.segments[seg].path),
                    d.what
                ));
            }
        }
    }

    /// Make the index agree with the segment: entries must point inside it, in order, and
    /// frames after the last entry are found by scanning the tail. When an entry does not
    /// point at the frame it names, the whole segment is scanned.
    fn check_index(&mut self, seg: usize) {
        let len = self.segments[seg].len;
        let mut index = std::mem::take(&mut self.segments[seg].index);
        let ordered = index.windows(2).all(|w| w[0].offset < w[1].offset);
        let fits = index
            .iter()
            .all(|e| e.offset >= frame::HEADER_LEN as u64 && e.offset + 21 <= len);
        let last_ok = index.last().is_none_or(|e| {
            let buf = self.read(seg, e.offset, e.offset + frame::FRAME_HEADER_LEN as u64);
            buf.len() == frame::FRAME_HEADER_LEN
                && buf[..4] == frame::SYNC
                && buf[4] == e.kind as u8
                && buf[9..17] == e.time_ms.to_le_bytes()
        });
        if !(ordered && fits && last_ok) {
            index.clear();
        }
        let from = index.last().map_or(frame::HEADER_LEN as u64, |e| e.offset);
        let buf = self.read(seg, from, len);
        let scan = frame::scan(&buf);
        self.report(seg, from, &scan);
        for f in &scan.frames {
            let offset = from + f.offset as u64;
            if indexed(f.kind) && index.last().is_none_or(|e| e.offset < offset) {
                index.push(IndexEntry {
                    time_ms: f.time_ms,
                    offset,
                    kind: f.kind,
                });
            }
        }
        self.segments[seg].index = index;
    }

    /// The times of the first and the last frame.
    pub fn span(&mut self) -> Option<(i64, i64)> {
        let first = self
            .segments
            .iter()
            .find_map(|s| s.index.first().map(|e| e.time_ms))?;
        let mut last = first;
        for seg in (0..self.segments.len()).rev() {
            if let Some(k) = self.segments[seg].index.last().copied() {
                let buf = self.read(seg, k.offset, self.segments[seg].len);
                let scan = frame::scan(&buf);
                last = scan.frames.last().map_or(k.time_ms, |f| f.time_ms);
                break;
            }
        }
        Some((first, last))
    }

    /// Visit every sample frame with time in `from..=to`, in order: `visit(time, state,
    /// previous state)`; it returns false to stop. With `want_previous`, the state of the
    /// sample before is passed (for rates).
    pub fn walk(&mut self, from: i64, to: i64, want_previous: bool, visit: &mut Visit) {
        // Start at the last key frame at or before `from`; one earlier when previous states
        // are wanted and the first visited sample would be that key frame itself.
        let keys: Vec<(usize, IndexEntry)> = self
            .segments
            .iter()
            .enumerate()
            .flat_map(|(i, s)| {
                s.index
                    .iter()
                    .filter(|e| e.kind == Kind::Key)
                    .map(move |e| (i, *e))
            })
            .collect();
        let mut start = keys
            .partition_point(|(_, e)| e.time_ms <= from)
            .saturating_sub(1);
        if want_previous && keys.get(start).is_some_and(|(_, e)| e.time_ms >= from) {
            start = start.saturating_sub(1);
        }
        let mut state = State::new();
        let mut valid = false;
        let mut last_time = None;
        for (k, (seg, key)) in keys.iter().enumerate().skip(start) {
            let end = keys
                .get(k + 1)
                .filter(|(s, _)| s == seg)
                .map_or(self.segments[*seg].len, |(_, e)| e.offset);
            let buf = self.read(*seg, key.offset, end);
            let scan = frame::scan(&buf);
            self.report(*seg, key.offset, &scan);
            if scan
                .frames
                .first()
                .is_none_or(|f| f.offset != 0 || f.kind != Kind::Key)
            {
                valid = false;
            }
            for f in &scan.frames {
                if !f.kind.is_sample() {
                    continue;
                }
                if f.time_ms > to {
                    return;
                }
                if f.after_gap && f.kind == Kind::Delta {
                    valid = false;
                }
                if f.kind == Kind::Delta && !valid {
                    continue;
                }
                let previous = (want_previous && f.time_ms >= from && last_time.is_some())
                    .then(|| state.clone());
                let applied = f
                    .body()
                    .and_then(|body| frame::apply(f.kind, &body, &mut state));
                if let Err(e) = applied {
                    let offset = key.offset + f.offset as u64;
                    if self.reported.insert((*seg, offset)) {
                        self.problems.push(format!(
                            "{}: offset {offset}: {e}; skipped to the next key frame",
                            visible_path(&self.segments[*seg].path)
                        ));
                    }
                    valid = false;
                    continue;
                }
                valid = true;
                let previous = previous.as_ref().zip(last_time).map(|(p, t)| (t, p));
                last_time = Some(f.time_ms);
                if f.time_ms >= from && !visit(f.time_ms, &state, previous) {
                    return;
                }
            }
        }
    }

    /// The time of the last sample frame in `key..=time_ms` by its header (checksummed, not
    /// decoded), where `key` is a key frame's time.
    fn last_sample_header(&mut self, key: i64, time_ms: i64) -> Option<i64> {
        let mut last = None;
        for seg in 0..self.segments.len() {
            let keys: Vec<IndexEntry> = self.segments[seg]
                .index
                .iter()
                .filter(|e| e.kind == Kind::Key && e.time_ms <= time_ms)
                .copied()
                .collect();
            let Some(first) = keys.iter().position(|e| e.time_ms >= key) else {
                continue;
            };
            let end = self.segments[seg]
                .index
                .iter()
                .find(|e| e.kind == Kind::Key && e.time_ms > time_ms)
                .map_or(self.segments[seg].len, |e| e.offset);
            let buf = self.read(seg, keys[first].offset, end);
            let scan = frame::scan(&buf);
            self.report(seg, keys[first].offset, &scan);
            last = scan
                .frames
                .iter()
                .rev()
                .find(|f| f.kind.is_sample() && f.time_ms <= time_ms)
                .map(|f| f.time_ms)
                .or(last);
        }
        last
    }

    /// The last sample at or before `time_ms`, with the one before it.
    pub fn at(&mut self, time_ms: i64) -> Result<Option<Pair>> {
        let Some(key) = self.key_at_or_before(time_ms) else {
            return Ok(None);
        };
        // First find the sample's time from the frames' headers (nothing decoded), then
        // decode it with the one before.
        if let Some(t) = self.last_sample_header(key, time_ms)
            && let Some(pair) = self.pair_at(t)?
        {
            return Ok(Some(pair));
        }
        // That frame does not decode (damage): the last one before it that does.
        let mut last = None;
        self.walk(key, time_ms, false, &mut |t, _, _| {
            last = Some(t);
            true
        });
        match last {
            Some(t) => self.pair_at(t),
            None => Ok(None),
        }
    }

    /// The sample at exactly `t`, decoded, with the one before it.
    fn pair_at(&mut self, t: i64) -> Result<Option<Pair>> {
        let mut found = None;
        self.walk(t, t, true, &mut |t, state, prev| {
            found = Some(moment(t, state).and_then(|current| {
                let previous = prev.map(|(pt, p)| moment(pt, p)).transpose()?;
                Ok(Pair { previous, current })
            }));
            false
        });
        found
            .transpose()
            .context("a recorded sample cannot be decoded")
    }

    /// Every sample in `from..=to` with the one before each.
    pub fn range(
        &mut self,
        from: i64,
        to: i64,
        visit: &mut dyn FnMut(Pair) -> Result<()>,
    ) -> Result<()> {
        let mut err = None;
        self.walk(from, to, true, &mut |t, state, prev| {
            let current = match moment(t, state) {
                Ok(m) => m,
                Err(e) => {
                    err = Some(anyhow::Error::new(e));
                    return false;
                }
            };
            let previous = prev.and_then(|(pt, p)| moment(pt, p).ok());
            if let Err(e) = visit(Pair { previous, current }) {
                err = Some(e);
                return false;
            }
            true
        });
        err.map_or(Ok(()), Err)
    }

    fn key_at_or_before(&self, time_ms: i64) -> Option<i64> {
        self.segments
            .iter()
            .flat_map(|s| s.index.iter())
            .rev()
            .find(|e| e.kind == Kind::Key && e.time_ms <= time_ms)
            .map(|e| e.time_ms)
    }

    /// The time of the first key frame after `time_ms`.
    fn key_after(&self, time_ms: i64) -> Option<i64> {
        self.segments
            .iter()
            .flat_map(|s| s.index.iter())
            .find(|e| e.kind == Kind::Key && e.time_ms > time_ms)
            .map(|e| e.time_ms)
    }

    /// One series (by path and inode) in the last sample at or before each of `times`
    /// (ascending): that sample's time and the series' words, `None` where the series is not
    /// in it, nothing where there is no such sample. Times between the same two key frames
    /// share one walk, so the cost grows with the number of times (at most [`KEY_EVERY`]
    /// frames each), not with the span they cover.
    pub fn series_at(
        &mut self,
        path: &CgroupPath,
        inode: u64,
        times: &[i64],
    ) -> Vec<Option<SeriesAt>> {
        let mut out = vec![None; times.len()];
        let find = |state: &State| {
            state
                .values()
                .find(|s| s.inode == inode && s.path == *path)
                .map(|s| s.words.clone())
        };
        let mut i = 0;
        while i < times.len() {
            let Some(key) = self.key_at_or_before(times[i]) else {
                i += 1;
                continue;
            };
            let next_key = self.key_after(key);
            let end = i + times[i..]
                .iter()
                .take_while(|t| next_key.is_none_or(|k| **t < k))
                .count()
                .max(1);
            let group = &times[i..end];
            let answers = &mut out[i..end];
            let mut answered = 0;
            let mut last: Option<SeriesAt> = None;
            let to = group[group.len() - 1];
            self.walk(key, to, false, &mut |t, state, _| {
                while answered < group.len() && t > group[answered] {
                    answers[answered] = last.clone();
                    answered += 1;
                }
                last = Some(SeriesAt {
                    time_ms: t,
                    words: find(state),
                });
                true
            });
            for answer in &mut answers[answered..] {
                *answer = last.clone();
            }
            i = end;
        }
        out
    }

    /// The time of the last sample strictly before `time_ms`.
    pub fn sample_before(&mut self, time_ms: i64) -> Option<i64> {
        let key = self.key_at_or_before(time_ms - 1)?;
        let mut found = None;
        self.walk(key, time_ms - 1, false, &mut |t, _, _| {
            found = Some(t);
            true
        });
        found
    }

    /// The time of the first sample strictly after `time_ms`.
    pub fn sample_after(&mut self, time_ms: i64) -> Option<i64> {
        let mut found = None;
        self.walk(
            time_ms.saturating_add(1),
            i64::MAX,
            false,
            &mut |t, _, _| {
                found = Some(t);
                false
            },
        );
        found
    }

    /// Events with time in `from..=to`, in order.
    pub fn events(&mut self, from: i64, to: i64) -> Vec<(i64, HistoryEvent)> {
        let mut out = Vec::new();
        self.each_event(from, to, &mut |t, e| {
            out.push((t, e));
            true
        });
        out
    }

    /// [`Store::events`] one at a time, read as they are visited (in time order, from the
    /// index): a day of millions of events costs its index in memory, not its events.
    /// `visit` returns false to stop.
    pub fn each_event(
        &mut self,
        from: i64,
        to: i64,
        visit: &mut dyn FnMut(i64, HistoryEvent) -> bool,
    ) {
        let mut entries: Vec<(usize, IndexEntry)> = Vec::new();
        for seg in 0..self.segments.len() {
            entries.extend(
                self.segments[seg]
                    .index
                    .iter()
                    .filter(|e| e.kind == Kind::Event && (from..=to).contains(&e.time_ms))
                    .map(|e| (seg, *e)),
            );
        }
        // Stable: events of one time stay in the order they were written.
        entries.sort_by_key(|(_, e)| e.time_ms);
        for (seg, e) in entries {
            let head = self.read(seg, e.offset, e.offset + frame::FRAME_HEADER_LEN as u64);
            if head.len() < frame::FRAME_HEADER_LEN {
                continue;
            }
            let len = u32::from_le_bytes(head[5..9].try_into().unwrap_or_default()) as u64;
            let end = e.offset + frame::FRAME_HEADER_LEN as u64 + len;
            let buf = self.read(seg, e.offset, end);
            let scan = frame::scan(&buf);
            self.report(seg, e.offset, &scan);
            let Some(f) = scan.frames.first().filter(|f| f.offset == 0) else {
                continue;
            };
            match f
                .body()
                .map_err(|e| e.to_string())
                .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
            {
                Ok(event) => {
                    if !visit(f.time_ms, event) {
                        return;
                    }
                }
                Err(why) => {
                    if self.reported.insert((seg, e.offset)) {
                        self.problems.push(format!(
                            "{}: offset {}: an event that cannot be read ({why}); skipped",
                            visible_path(&self.segments[seg].path),
                            e.offset
                        ));
                    }
                }
            }
        }
    }

    /// Problems found since the last call, each once.
    pub fn take_problems(&mut self) -> Vec<String> {
        std::mem::take(&mut self.problems)
    }
}
