//! Frames on disk, and the series state that sample frames carry.
//!
//! A segment file is a header (magic, format version, UTC day) and then frames, each:
//! `SYNC(4) kind(1) len(u32 LE) time_ms(i64 LE) crc32c(u32 LE) payload(len)`. The checksum
//! covers kind, len, time and payload. The payload is `uncompressed_len(u32 LE)` and the zstd
//! compression of the frame's body. The sync marker lets a reader find the next frame after
//! damage; the checksum tells a real frame from bytes that happen to look like one.

use super::codec::{Cursor, DecodeError, put_bytes, put_varint, unzigzag, zigzag};
use crate::cgroup::CgroupPath;
use std::collections::BTreeMap;

mod table;
pub use table::{MAX_TABLE_PATH_BYTES, NewNodes, PathIds, Paths};

pub const MAGIC: &[u8; 8] = b"CGTUIST\n";
/// Bumped when a reader of the previous version could not read what is written.
/// 2: samples end with their counter files' read times (format 1's end before them).
/// 3: sample frames store each path once, in a path table ([`Kind::TableKey`],
///    [`Kind::TableDelta`]), and samples end with memory.stat's `inactive_file`. A segment of
///    format 3 may begin with frames of formats 1 and 2 (a day the recorder upgraded).
pub const FORMAT_VERSION: u32 = 3;
/// magic, version (u32), day (i64)
pub const HEADER_LEN: usize = 20;
pub const SYNC: [u8; 4] = [0xf3, 0x9c, 0x4b, 0x1d];
pub const FRAME_HEADER_LEN: usize = 21;
/// No frame is larger; a length above it is damage.
pub const MAX_FRAME: usize = 256 << 20;
/// The largest body a writer encodes: [`MAX_FRAME`] less what zstd may add to data it
/// cannot compress, so the frame is never one readers refuse.
pub const MAX_BODY: usize = MAX_FRAME - (MAX_FRAME >> 7) - 4096;
/// No sample has more words (a cgroup with a thousand devices has fewer).
const MAX_WORDS: u64 = 1 << 16;
/// No state has more words in all (256 MiB): a delta's changed words cost a bit each in its
/// bitmap, so without a total a small frame could grow many series to [`MAX_WORDS`].
pub const MAX_STATE_WORDS: usize = MAX_FRAME / 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Every series in full, each with its whole path (formats 1 and 2).
    Key = 1,
    /// Changes since the previous sample frame, new series with their whole paths (formats
    /// 1 and 2).
    Delta = 2,
    /// One event (JSON).
    Event = 3,
    /// Every series in full, after the path table they name (format 3).
    TableKey = 4,
    /// Changes since the previous sample frame, after the path nodes new since (format 3).
    TableDelta = 5,
}

impl Kind {
    pub fn from_u8(b: u8) -> Option<Kind> {
        match b {
            1 => Some(Kind::Key),
            2 => Some(Kind::Delta),
            3 => Some(Kind::Event),
            4 => Some(Kind::TableKey),
            5 => Some(Kind::TableDelta),
            _ => None,
        }
    }
    pub fn is_sample(self) -> bool {
        !matches!(self, Kind::Event)
    }
    /// A key frame (every series in full): where a reader starts.
    pub fn is_key(self) -> bool {
        matches!(self, Kind::Key | Kind::TableKey)
    }
}

pub fn header(day: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&day.to_le_bytes());
    out
}

/// The header's format version and day, or why it is not a segment this cgtui can read.
pub fn parse_header(bytes: &[u8]) -> Result<(u32, i64), String> {
    if bytes.len() < HEADER_LEN {
        return Err(format!(
            "{} bytes, shorter than a segment header ({HEADER_LEN})",
            bytes.len()
        ));
    }
    if &bytes[..8] != MAGIC {
        return Err("not a cgtui store segment (wrong magic bytes)".into());
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or_default());
    let day = i64::from_le_bytes(bytes[12..20].try_into().unwrap_or_default());
    Ok((version, day))
}

/// A whole frame, ready to append with one write.
pub fn encode_frame(kind: Kind, time_ms: i64, body: &[u8]) -> Vec<u8> {
    let compressed = zstd::bulk::compress(body, 3).unwrap_or_default();
    let mut payload = Vec::with_capacity(compressed.len() + 4);
    payload.extend_from_slice(&(body.len() as u32).to_le_bytes());
    payload.extend_from_slice(&compressed);
    let mut out = Vec::with_capacity(FRAME_HEADER_LEN + payload.len());
    out.extend_from_slice(&SYNC);
    out.push(kind as u8);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&time_ms.to_le_bytes());
    let crc = crc32c::crc32c_append(crc32c::crc32c(&out[4..17]), &payload);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

/// A frame found in a buffer (offsets are the buffer's).
#[derive(Debug, Clone)]
pub struct RawFrame<'a> {
    pub offset: usize,
    pub kind: Kind,
    pub time_ms: i64,
    pub payload: &'a [u8],
    /// Damage was skipped just before this frame: a delta chain is broken here.
    pub after_gap: bool,
}

impl RawFrame<'_> {
    pub fn end(&self) -> usize {
        self.offset + FRAME_HEADER_LEN + self.payload.len()
    }

    pub fn body(&self) -> Result<Vec<u8>, DecodeError> {
        if self.payload.len() < 4 {
            return Err(DecodeError("a frame shorter than its length field".into()));
        }
        let len = u32::from_le_bytes(self.payload[..4].try_into().unwrap_or_default()) as usize;
        if len > MAX_FRAME {
            return Err(DecodeError(format!("a frame claims {len} bytes")));
        }
        // The compressed data says how much it expands to: a length field that claims more
        // is refused before anything that size is allocated.
        let content = zstd::zstd_safe::get_frame_content_size(&self.payload[4..])
            .map_err(|_| DecodeError("a frame that is not zstd data".into()))?;
        if content != Some(len as u64) {
            return Err(DecodeError(format!(
                "a frame claims {len} bytes but its data holds {}",
                content.map_or("an unstated size".to_string(), |n| n.to_string())
            )));
        }
        zstd::bulk::decompress(&self.payload[4..], len)
            .map_err(|e| DecodeError(format!("cannot decompress: {e}")))
    }
}

/// Damage found while reading frames: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub offset: usize,
    pub what: String,
    /// Where reading went on (the next good frame), or `None` at the end.
    pub resumed_at: Option<usize>,
}

/// What reading a buffer of frames found.
#[derive(Debug, Default)]
pub struct Scan<'a> {
    pub frames: Vec<RawFrame<'a>>,
    pub damage: Vec<Damage>,
    /// The buffer ends inside a frame: one being written, or torn by a crash.
    pub incomplete_tail: Option<usize>,
    /// Where the last good frame ends.
    pub good_end: usize,
}

/// Why the frame at `at` is not good, or `Ok(None)` when the buffer ends inside it.
fn check_frame(buf: &[u8], at: usize) -> Result<Option<RawFrame<'_>>, String> {
    let rest = &buf[at..];
    if rest.len() < FRAME_HEADER_LEN {
        return if SYNC.starts_with(&rest[..rest.len().min(4)]) {
            Ok(None)
        } else {
            Err("no frame marker".into())
        };
    }
    if rest[..4] != SYNC {
        return Err("no frame marker".into());
    }
    let Some(kind) = Kind::from_u8(rest[4]) else {
        return Err(format!("unknown frame kind {}", rest[4]));
    };
    let len = u32::from_le_bytes(rest[5..9].try_into().unwrap_or_default()) as usize;
    if len > MAX_FRAME {
        return Err(format!("a frame length of {len} bytes"));
    }
    if rest.len() < FRAME_HEADER_LEN + len {
        return Ok(None);
    }
    let time_ms = i64::from_le_bytes(rest[9..17].try_into().unwrap_or_default());
    let crc = u32::from_le_bytes(rest[17..21].try_into().unwrap_or_default());
    let payload = &rest[FRAME_HEADER_LEN..FRAME_HEADER_LEN + len];
    if crc32c::crc32c_append(crc32c::crc32c(&rest[4..17]), payload) != crc {
        return Err("checksum mismatch".into());
    }
    Ok(Some(RawFrame {
        offset: at,
        kind,
        time_ms,
        payload,
        after_gap: false,
    }))
}

/// Read every good frame in `buf`, which starts at a frame boundary. Damage is skipped by
/// looking for the next sync marker whose frame checks out; it never panics.
pub fn scan(buf: &[u8]) -> Scan<'_> {
    let mut out = Scan::default();
    let mut at = 0;
    let mut gap = false;
    while at < buf.len() {
        match check_frame(buf, at) {
            Ok(Some(mut frame)) => {
                frame.after_gap = std::mem::take(&mut gap);
                at = frame.end();
                out.good_end = at;
                out.frames.push(frame);
            }
            Ok(None) => {
                out.incomplete_tail = Some(at);
                break;
            }
            Err(what) => {
                gap = true;
                let next = resync(buf, at + 1);
                out.damage.push(Damage {
                    offset: at,
                    what,
                    resumed_at: next,
                });
                match next {
                    Some(next) => at = next,
                    None => break,
                }
            }
        }
    }
    out
}

/// The next offset from `from` where a whole good frame starts.
fn resync(buf: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while at + 4 <= buf.len() {
        let found = buf[at..].windows(4).position(|w| w == SYNC)?;
        at += found;
        if let Ok(Some(_)) = check_frame(buf, at) {
            return Some(at);
        }
        at += 1;
    }
    None
}

/// One cgroup's series: identity is path and inode (a cgroup made again is a new series).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    pub path: CgroupPath,
    pub inode: u64,
    pub words: Vec<u64>,
}

/// Every series at one sample, by series id.
pub type State = BTreeMap<u64, Series>;

fn put_series_full(out: &mut Vec<u8>, id: u64, s: &Series) {
    put_varint(out, id);
    put_bytes(out, s.path.as_bytes());
    put_varint(out, s.inode);
    put_varint(out, s.words.len() as u64);
    for w in &s.words {
        put_varint(out, *w);
    }
}

/// A series in full, its path as a node of the path table (format 3).
fn put_series_node(out: &mut Vec<u8>, id: u64, node: u64, s: &Series) {
    put_varint(out, id);
    put_varint(out, node);
    put_varint(out, s.inode);
    put_varint(out, s.words.len() as u64);
    for w in &s.words {
        put_varint(out, *w);
    }
}

/// A series in full: its path written out (`paths` is `None`, formats 1 and 2) or a node of
/// the path table.
fn get_series_full(c: &mut Cursor, paths: Option<&Paths>) -> Result<(u64, Series), DecodeError> {
    let id = c.varint()?;
    let path = match paths {
        Some(paths) => paths.get(c.varint()?)?.clone(),
        None => crate::journal::raw_path(c.bytes()?)
            .ok_or_else(|| DecodeError("a cgroup path with `..`".into()))?,
    };
    let inode = c.varint()?;
    let n = c.count()?;
    if n as u64 > MAX_WORDS {
        return Err(DecodeError(format!("a sample of {n} words")));
    }
    let words = (0..n).map(|_| c.varint()).collect::<Result<_, _>>()?;
    Ok((id, Series { path, inode, words }))
}

/// A key frame of format 1 or 2 ([`Kind::Key`]): every path written out in full. Readers
/// still read it; the recorder writes [`encode_table_key`].
pub fn encode_key(state: &State) -> Vec<u8> {
    let mut out = Vec::with_capacity(state.len() * 64);
    put_varint(&mut out, state.len() as u64);
    for (id, s) in state {
        put_series_full(&mut out, *id, s);
    }
    out
}

/// A key frame of format 3 ([`Kind::TableKey`]): the path table of every series, then the
/// series, each naming its path's node. `ids` starts afresh.
pub fn encode_table_key(state: &State, ids: &mut PathIds) -> Vec<u8> {
    ids.clear();
    let mut nodes = NewNodes::default();
    let mut series = Vec::with_capacity(state.len() * 64);
    put_varint(&mut series, state.len() as u64);
    for (id, s) in state {
        let node = ids.node(&s.path, &mut nodes);
        put_series_node(&mut series, *id, node, s);
    }
    let mut out = Vec::with_capacity(nodes.bytes.len() + series.len() + 8);
    nodes.put(&mut out);
    out.extend_from_slice(&series);
    out
}

/// A delta frame of format 3 ([`Kind::TableDelta`]): the path nodes its new series need
/// that `ids` does not have yet, then the changes as [`encode_delta`] writes them.
pub fn encode_table_delta(old: &State, new: &State, ids: &mut PathIds) -> Vec<u8> {
    let mut nodes = NewNodes::default();
    let body = encode_delta_with(old, new, &mut |out, id, s| {
        let node = ids.node(&s.path, &mut nodes);
        put_series_node(out, id, node, s);
    });
    let mut out = Vec::with_capacity(nodes.bytes.len() + body.len() + 8);
    nodes.put(&mut out);
    out.extend_from_slice(&body);
    out
}

/// The changes from `old` to `new` (format 1 and 2, [`Kind::Delta`]): removed series, added
/// series, and for each changed series a bitmap of the words that changed and their
/// differences (zigzag varints).
pub fn encode_delta(old: &State, new: &State) -> Vec<u8> {
    encode_delta_with(old, new, &mut |out, id, s| put_series_full(out, id, s))
}

fn encode_delta_with(
    old: &State,
    new: &State,
    put_added: &mut dyn FnMut(&mut Vec<u8>, u64, &Series),
) -> Vec<u8> {
    let mut out = Vec::new();
    let removed: Vec<u64> = old
        .keys()
        .filter(|id| !new.contains_key(id))
        .copied()
        .collect();
    put_varint(&mut out, removed.len() as u64);
    let mut last = 0;
    for id in removed {
        put_varint(&mut out, id - last);
        last = id;
    }
    let added: Vec<_> = new.iter().filter(|(id, _)| !old.contains_key(id)).collect();
    put_varint(&mut out, added.len() as u64);
    for (id, s) in added {
        put_added(&mut out, *id, s);
    }
    let mut changed = Vec::new();
    let mut count = 0u64;
    let mut last = 0;
    for (id, s) in new {
        let Some(before) = old.get(id) else { continue };
        if before.words == s.words {
            continue;
        }
        count += 1;
        put_varint(&mut changed, id - last);
        last = *id;
        put_varint(&mut changed, s.words.len() as u64);
        let mut bitmap = vec![0u8; s.words.len().div_ceil(8)];
        let mut diffs = Vec::new();
        for (i, w) in s.words.iter().enumerate() {
            let was = before.words.get(i).copied().unwrap_or(0);
            if *w != was {
                bitmap[i / 8] |= 1 << (i % 8);
                put_varint(&mut diffs, zigzag(w.wrapping_sub(was) as i64));
            }
        }
        changed.extend_from_slice(&bitmap);
        changed.extend_from_slice(&diffs);
    }
    put_varint(&mut out, count);
    out.extend_from_slice(&changed);
    out
}

/// Apply a sample frame's body to `state`; `paths` is the path table since the last key
/// frame (format 3), kept with the state.
pub fn apply(
    kind: Kind,
    body: &[u8],
    state: &mut State,
    paths: &mut Paths,
) -> Result<(), DecodeError> {
    let mut c = Cursor::new(body);
    let table = matches!(kind, Kind::TableKey | Kind::TableDelta);
    if kind.is_key() {
        state.clear();
        paths.clear();
    }
    if table {
        paths.read(&mut c)?;
    }
    let paths = table.then_some(&*paths);
    match kind {
        Kind::Key | Kind::TableKey => {
            let n = c.count()?;
            let mut total_words = 0usize;
            for _ in 0..n {
                let (id, s) = get_series_full(&mut c, paths)?;
                total_words += s.words.len();
                if total_words > MAX_STATE_WORDS {
                    return Err(DecodeError(format!(
                        "a state of more than {MAX_STATE_WORDS} words"
                    )));
                }
                state.insert(id, s);
            }
        }
        Kind::Delta | Kind::TableDelta => {
            let mut total_words: usize = state.values().map(|s| s.words.len()).sum();
            let n = c.count()?;
            let mut id = 0u64;
            for _ in 0..n {
                id = id.wrapping_add(c.varint()?);
                if let Some(gone) = state.remove(&id) {
                    total_words -= gone.words.len();
                }
            }
            let n = c.count()?;
            for _ in 0..n {
                let (id, s) = get_series_full(&mut c, paths)?;
                total_words = total_words.saturating_add(s.words.len());
                if total_words > MAX_STATE_WORDS {
                    return Err(DecodeError(format!(
                        "a state of more than {MAX_STATE_WORDS} words"
                    )));
                }
                state.insert(id, s);
            }
            let n = c.count()?;
            let mut id = 0u64;
            for _ in 0..n {
                id = id.wrapping_add(c.varint()?);
                // Unchanged words take no bytes: bound the length by a sane size instead.
                let len = c.varint()?;
                if len > MAX_WORDS {
                    return Err(DecodeError(format!("a sample of {len} words")));
                }
                let len = len as usize;
                // The bitmap must be there before the series grows to its length.
                let bitmap = c.take(len.div_ceil(8))?;
                let series = state
                    .get_mut(&id)
                    .ok_or_else(|| DecodeError(format!("a change to unknown series {id}")))?;
                let grows = len.saturating_sub(series.words.len());
                if grows > 0 {
                    total_words = total_words.saturating_add(grows);
                    if total_words > MAX_STATE_WORDS {
                        return Err(DecodeError(format!(
                            "a state of more than {MAX_STATE_WORDS} words"
                        )));
                    }
                }
                series.words.resize(len, 0);
                for i in 0..len {
                    if bitmap[i / 8] & (1 << (i % 8)) != 0 {
                        let d = unzigzag(c.varint()?);
                        series.words[i] = series.words[i].wrapping_add(d as u64);
                    }
                }
            }
        }
        Kind::Event => return Err(DecodeError("an event frame is not a sample".into())),
    }
    if !c.is_empty() {
        return Err(DecodeError("bytes left over after the frame".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn series(path: &str, inode: u64, words: &[u64]) -> Series {
        Series {
            path: CgroupPath::from_relative(Path::new(path)).unwrap(),
            inode,
            words: words.to_vec(),
        }
    }

    #[test]
    fn deltas_rebuild_the_new_state() {
        let mut old = State::new();
        old.insert(1, series("a", 10, &[1, 2, 3]));
        old.insert(2, series("b", 11, &[5, 5]));
        old.insert(3, series("c", 12, &[0; 20]));
        let mut new = old.clone();
        new.remove(&2);
        new.insert(4, series("b", 13, &[7]));
        new.get_mut(&1).unwrap().words = vec![1, 0, u64::MAX, 9];
        new.get_mut(&3).unwrap().words[17] = 4;
        let mut state = old.clone();
        apply(
            Kind::Delta,
            &encode_delta(&old, &new),
            &mut state,
            &mut Paths::default(),
        )
        .unwrap();
        assert_eq!(state, new);
        let mut state = State::new();
        apply(
            Kind::Key,
            &encode_key(&new),
            &mut state,
            &mut Paths::default(),
        )
        .unwrap();
        assert_eq!(state, new);
        // Nothing changed: a tiny frame.
        assert_eq!(encode_delta(&new, &new), vec![0, 0, 0]);
    }

    #[test]
    fn table_frames_rebuild_the_state_and_store_each_path_once() {
        let mut old = State::new();
        old.insert(1, series("", 1, &[1]));
        old.insert(2, series("a", 10, &[1, 2, 3]));
        old.insert(3, series("a/b", 11, &[5, 5]));
        let mut new = old.clone();
        new.remove(&3);
        // A new series whose parent is not a series (nor defined yet): defined on the way.
        new.insert(4, series("x/y/z", 13, &[7]));
        new.insert(5, series("a/c", 14, &[8]));
        new.get_mut(&2).unwrap().words[1] = 9;
        let mut ids = PathIds::default();
        let mut state = State::new();
        let mut paths = Paths::default();
        let key = encode_table_key(&old, &mut ids);
        apply(Kind::TableKey, &key, &mut state, &mut paths).unwrap();
        assert_eq!(state, old);
        let delta = encode_table_delta(&old, &new, &mut ids);
        apply(Kind::TableDelta, &delta, &mut state, &mut paths).unwrap();
        assert_eq!(state, new);
        // Nothing changed: no nodes, and the delta of formats 1 and 2 after them.
        assert_eq!(encode_table_delta(&new, &new, &mut ids), vec![0, 0, 0, 0]);

        // A chain of long names: each name once, not each path.
        let name = "n".repeat(255);
        let mut chain = State::new();
        let mut path = CgroupPath::root();
        for level in 0..1460u64 {
            path = path.join(name.as_ref());
            chain.insert(
                level + 1,
                Series {
                    path: path.clone(),
                    inode: level,
                    words: vec![0],
                },
            );
        }
        let body = encode_table_key(&chain, &mut ids);
        assert!(body.len() < 1460 * 270, "{} bytes", body.len());
        // Held in full, its paths are 273 MB: past what a reader holds, refused cleanly (the
        // writer records no path that long, see `MAX_RECORDED_PATH`).
        let (mut state, mut paths) = (State::new(), Paths::default());
        let err = apply(Kind::TableKey, &body, &mut state, &mut paths).unwrap_err();
        assert!(err.0.contains("bytes of paths"), "{err}");
        // 63 levels (16 KiB paths) read back.
        chain.retain(|id, _| *id <= 63);
        let body = encode_table_key(&chain, &mut ids);
        assert!(body.len() < 63 * 270, "{} bytes", body.len());
        apply(Kind::TableKey, &body, &mut state, &mut paths).unwrap();
        assert_eq!(state, chain);
    }

    /// A crafted table cannot name nodes it has not defined, loop, hold impossible names, or
    /// make the reader hold more than its bound of paths however few bytes it takes.
    #[test]
    fn a_crafted_path_table_is_refused() {
        let table = |nodes: &[(u64, &[u8])]| {
            let mut body = Vec::new();
            put_varint(&mut body, nodes.len() as u64);
            for (parent, name) in nodes {
                put_varint(&mut body, *parent);
                put_bytes(&mut body, name);
            }
            put_varint(&mut body, 0);
            body
        };
        let refused = |body: &[u8]| {
            let (mut state, mut paths) = (State::new(), Paths::default());
            apply(Kind::TableKey, body, &mut state, &mut paths).unwrap_err()
        };
        assert!(refused(&table(&[(1, b"self")])).0.contains("undefined"));
        assert!(
            refused(&table(&[(0, b"a"), (3, b"b")]))
                .0
                .contains("undefined")
        );
        for name in [&b".."[..], b".", b"", b"a/b", b"a\0"] {
            assert!(refused(&table(&[(0, name)])).0.contains("name"), "{name:?}");
        }
        // A chain of 12,000 one-byte names: 36 KB on disk, 144 MB of paths held in full;
        // the table's bound stops it first.
        let nodes: Vec<(u64, &[u8])> = (0..12_000u64).map(|i| (i, &b"x"[..])).collect();
        let body = table(&nodes);
        assert!(body.len() < 64 << 10);
        let err = refused(&body);
        assert!(err.0.contains("bytes of paths"), "{err}");
        // A series naming a node that is not there.
        let mut body = table(&[(0, b"a")]);
        body.pop();
        put_varint(&mut body, 1);
        for v in [1, 2, 1, 1, 0] {
            put_varint(&mut body, v);
        }
        assert!(refused(&body).0.contains("undefined path node 2"));
    }

    /// Issue 23 item 8: a delta claiming 2^20 words for each of 200 series, its bitmaps
    /// zeros that compress to nothing, grew the state to 1.67 GB. Now each series' growth is
    /// bounded (and its bitmap must be there first), and so is the whole state.
    #[test]
    fn a_delta_cannot_grow_the_state_past_its_bounds() {
        let mut key = State::new();
        for id in 1..=200 {
            key.insert(id, series("a", id, &[1]));
        }
        let mut body = Vec::new();
        put_varint(&mut body, 0);
        put_varint(&mut body, 0);
        put_varint(&mut body, 200);
        for _ in 1..=200 {
            put_varint(&mut body, 1);
            put_varint(&mut body, 1 << 20);
            body.extend(std::iter::repeat_n(0u8, (1 << 20) / 8));
        }
        let frame = encode_frame(Kind::Delta, 0, &body);
        assert!(frame.len() < 64 << 10, "{} bytes", frame.len());
        let mut state = key.clone();
        let err = apply(Kind::Delta, &body, &mut state, &mut Paths::default()).unwrap_err();
        assert!(err.0.contains("words"), "{err}");
        let words: usize = state.values().map(|s| s.words.len()).sum();
        assert_eq!(words, 200, "nothing grew");
        // At the largest sample allowed, the total stops the growth.
        let many = MAX_STATE_WORDS / MAX_WORDS as usize + 1;
        let mut state = State::new();
        for id in 1..=many as u64 {
            state.insert(id, series("a", id, &[1]));
        }
        let mut delta = Vec::new();
        put_varint(&mut delta, 0);
        put_varint(&mut delta, 0);
        put_varint(&mut delta, many as u64);
        for _ in 0..many {
            put_varint(&mut delta, 1);
            put_varint(&mut delta, MAX_WORDS);
            delta.extend(std::iter::repeat_n(0u8, MAX_WORDS as usize / 8));
        }
        let err = apply(Kind::Delta, &delta, &mut state, &mut Paths::default()).unwrap_err();
        assert!(err.0.contains("a state of more than"), "{err}");
        // A bitmap that is not there is refused before the series grows.
        let mut short = Vec::new();
        put_varint(&mut short, 0);
        put_varint(&mut short, 0);
        put_varint(&mut short, 1);
        put_varint(&mut short, 1);
        put_varint(&mut short, 1000);
        let mut state = key.clone();
        assert!(apply(Kind::Delta, &short, &mut state, &mut Paths::default()).is_err());
        assert_eq!(state[&1].words.len(), 1);
    }

    #[test]
    fn a_frame_claiming_more_than_its_data_holds_is_refused_before_allocating() {
        let mut frame = encode_frame(Kind::Event, 0, b"{}");
        let claimed = (MAX_FRAME as u32).to_le_bytes();
        frame[FRAME_HEADER_LEN..FRAME_HEADER_LEN + 4].copy_from_slice(&claimed);
        let crc = crc32c::crc32c_append(crc32c::crc32c(&frame[4..17]), &frame[FRAME_HEADER_LEN..]);
        frame[17..21].copy_from_slice(&crc.to_le_bytes());
        let scanned = scan(&frame);
        let err = scanned.frames[0].body().unwrap_err();
        assert!(err.0.contains("its data holds 2"), "{err}");
        assert_eq!(
            scan(&encode_frame(Kind::Event, 0, b"{}")).frames[0]
                .body()
                .unwrap(),
            b"{}"
        );
    }

    #[test]
    fn scan_skips_damage_and_resyncs() {
        let mut buf = Vec::new();
        for i in 0..5 {
            buf.extend(encode_frame(
                Kind::Event,
                i,
                format!("event {i}").as_bytes(),
            ));
        }
        let clean = scan(&buf);
        assert_eq!(clean.frames.len(), 5);
        assert!(clean.damage.is_empty());
        let second = clean.frames[1].offset;
        let third = clean.frames[2].offset;
        let mut bad = buf.clone();
        bad[second + 25] ^= 0xff;
        let s = scan(&bad);
        assert_eq!(s.frames.len(), 4);
        assert_eq!(s.damage[0].offset, second);
        assert_eq!(s.damage[0].resumed_at, Some(third));
        assert!(s.frames[1].after_gap);
        // Torn tail.
        let s = scan(&buf[..buf.len() - 3]);
        assert_eq!(s.frames.len(), 4);
        assert!(s.incomplete_tail.is_some());
        assert!(s.damage.is_empty());
        assert_eq!(
            s.frames[1].body().unwrap(),
            b"event 1".to_vec(),
            "bodies decompress"
        );
    }
}
