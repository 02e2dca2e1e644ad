//! The readers' side: segments opened as they are, samples and events found by time.

use super::*;

/// A segment as a reader sees it.
pub(super) struct Segment {
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

pub(super) fn moment(
    time_ms: i64,
    state: &State,
) -> Result<Moment, crate::history::codec::DecodeError> {
    let mut cgroups = state
        .values()
        .map(|s| {
            Ok((
                s.path.clone(),
                crate::history::codec::sample_from_words(
                    s.inode,
                    &s.words,
                    crate::history::codec::anchor_of(time_ms),
                )?,
            ))
        })
        .collect::<Result<Vec<_>, crate::history::codec::DecodeError>>()?;
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

/// Where a reader's problems go, each once.
struct Log<'a> {
    segments: &'a [Segment],
    problems: &'a mut Vec<String>,
    reported: &'a mut std::collections::HashSet<(usize, u64)>,
}

impl Log<'_> {
    fn report(&mut self, seg: usize, base: u64, scan: &frame::Scan) {
        for d in &scan.damage {
            let offset = base + d.offset as u64;
            let then = match d.resumed_at {
                Some(at) => format!("skipped to offset {}", base + at as u64),
                None => "skipped the rest".into(),
            };
            self.problem(seg, offset, &format!("{}; {then}", d.what));
        }
    }

    fn problem(&mut self, seg: usize, offset: u64, what: &str) {
        if self.reported.insert((seg, offset)) {
            self.problems.push(format!(
                "{}: offset {offset}: {what}",
                visible_path(&self.segments[seg].path)
            ));
        }
    }
}

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
        self.log().report(seg, base, scan);
    }

    /// The segments, and where their problems go, borrowed apart.
    fn log(&mut self) -> Log<'_> {
        Log {
            segments: &self.segments,
            problems: &mut self.problems,
            reported: &mut self.reported,
        }
    }

    /// Scan segment `seg` from `from` to `to` a piece at a time ([`scan_pieces`]), damage
    /// reported: `visit(base, scan, log)` returns false to stop.
    fn scan_span(
        &mut self,
        seg: usize,
        from: u64,
        to: u64,
        visit: &mut dyn FnMut(u64, &frame::Scan, &mut Log) -> bool,
    ) {
        let mut log = self.log();
        let file = &log.segments[seg].file;
        let to = to.min(log.segments[seg].len);
        let _ = scan_pieces(file, from, to, &mut |base, scan| {
            log.report(seg, base, scan);
            visit(base, scan, &mut log)
        });
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
        self.scan_span(seg, from, len, &mut |base, scan, _| {
            for f in &scan.frames {
                let offset = base + f.offset as u64;
                if indexed(f.kind) && index.last().is_none_or(|e| e.offset < offset) {
                    index.push(IndexEntry {
                        time_ms: f.time_ms,
                        offset,
                        kind: f.kind,
                    });
                }
            }
            true
        });
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
                last = k.time_ms;
                let file = &self.segments[seg].file;
                let _ = scan_pieces(file, k.offset, self.segments[seg].len, &mut |_, scan| {
                    last = scan.frames.last().map_or(last, |f| f.time_ms);
                    true
                });
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
                    .filter(|e| e.kind.is_key())
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
        let mut paths = frame::Paths::default();
        let mut valid = false;
        let mut last_time = None;
        let mut done = false;
        for (k, (seg, key)) in keys.iter().enumerate().skip(start) {
            let end = keys
                .get(k + 1)
                .filter(|(s, _)| s == seg)
                .map_or(self.segments[*seg].len, |(_, e)| e.offset);
            // The span from this key frame to the next is read a piece at a time: a span
            // that a flood filled with events costs a piece of memory, not the span.
            let mut first = true;
            self.scan_span(*seg, key.offset, end, &mut |base, scan, log| {
                if std::mem::take(&mut first)
                    && scan
                        .frames
                        .first()
                        .is_none_or(|f| base + f.offset as u64 != key.offset || !f.kind.is_key())
                {
                    valid = false;
                }
                for f in &scan.frames {
                    if !f.kind.is_sample() {
                        continue;
                    }
                    if f.time_ms > to {
                        done = true;
                        return false;
                    }
                    if f.after_gap && !f.kind.is_key() {
                        valid = false;
                    }
                    if !f.kind.is_key() && !valid {
                        continue;
                    }
                    let previous = (want_previous && f.time_ms >= from && last_time.is_some())
                        .then(|| state.clone());
                    let applied = f
                        .body()
                        .and_then(|body| frame::apply(f.kind, &body, &mut state, &mut paths));
                    if let Err(e) = applied {
                        let offset = base + f.offset as u64;
                        log.problem(*seg, offset, &format!("{e}; skipped to the next key frame"));
                        valid = false;
                        continue;
                    }
                    valid = true;
                    let previous = previous.as_ref().zip(last_time).map(|(p, t)| (t, p));
                    last_time = Some(f.time_ms);
                    if f.time_ms >= from && !visit(f.time_ms, &state, previous) {
                        done = true;
                        return false;
                    }
                }
                true
            });
            if done {
                return;
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
                .filter(|e| e.kind.is_key() && e.time_ms <= time_ms)
                .copied()
                .collect();
            let Some(first) = keys.iter().position(|e| e.time_ms >= key) else {
                continue;
            };
            let end = self.segments[seg]
                .index
                .iter()
                .find(|e| e.kind.is_key() && e.time_ms > time_ms)
                .map_or(self.segments[seg].len, |e| e.offset);
            self.scan_span(seg, keys[first].offset, end, &mut |_, scan, _| {
                last = scan
                    .frames
                    .iter()
                    .rev()
                    .find(|f| f.kind.is_sample() && f.time_ms <= time_ms)
                    .map(|f| f.time_ms)
                    .or(last);
                true
            });
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
            .find(|e| e.kind.is_key() && e.time_ms <= time_ms)
            .map(|e| e.time_ms)
    }

    /// The time of the first key frame after `time_ms`.
    fn key_after(&self, time_ms: i64) -> Option<i64> {
        self.segments
            .iter()
            .flat_map(|s| s.index.iter())
            .find(|e| e.kind.is_key() && e.time_ms > time_ms)
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
