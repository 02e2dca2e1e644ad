//! The recorder's side: one writer appends whole frames and keeps the day's index.

use super::*;

/// Appends samples and events. One per store (the recorder).
pub struct Writer {
    dir: OwnedFd,
    dir_path: PathBuf,
    segment: Option<OpenSegment>,
    /// The series written in the last sample frame.
    state: State,
    /// The path table the sample frames since the last key frame defined.
    path_ids: frame::PathIds,
    ids: HashMap<(CgroupPath, u64), u64>,
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
    /// Cgroups left out of the last sample because a frame holding them would have been more
    /// than readers take (see [`Writer::max_body`]).
    pub left_out: usize,
    /// The largest frame body written ([`frame::MAX_BODY`]; smaller in tests). A sample that
    /// would be larger is written without the cgroups of the longest paths, then the newest.
    pub max_body: usize,
}

/// The longest cgroup path recorded (bytes): 64 levels of 255-byte names. Deeper cgroups of
/// such a chain are left out of the samples: the store holds each name once, but readers hold
/// each path in full (a chain of 1,460 such names is 273 MB of paths).
pub const MAX_RECORDED_PATH: usize = 16 << 10;

pub(super) struct OpenSegment {
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
            path_ids: frame::PathIds::default(),
            ids: HashMap::new(),
            next_id: 1,
            since_key: 0,
            key_every: KEY_EVERY,
            last_journal_ms: 0,
            notes: Vec::new(),
            sync: true,
            too_long_paths: 0,
            left_out: 0,
            max_body: frame::MAX_BODY,
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
                        // The day goes on in the same file: readers tell a frame's format by
                        // its kind (paths in full or a path table) and a sample's by its
                        // length, so only the header's version changes, and an older cgtui
                        // refuses the file clearly instead of misreading the newer frames.
                        file.write_all_at(&frame::header(day), 0)
                            .with_context(|| format!("cannot write {}", visible_path(&path)))?;
                        let before = if version == 1 {
                            "have no read times (their rates are timed by the samples)"
                        } else {
                            "stay as they were"
                        };
                        self.notes.push(format!(
                            "{}: now in format version {} (was {version}); its samples from \
                             before {before}",
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
        self.path_ids.clear();
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
        if body.len() > frame::MAX_BODY {
            bail!(
                "a frame of {} bytes is more than readers take ({}): not written",
                body.len(),
                frame::MAX_BODY
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
            let key = (path.clone(), sample.inode);
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
        let (kind, body) = self.encode_fitting(&mut next, key);
        self.append(kind, time_ms, &body)?;
        self.since_key = if kind.is_key() { 1 } else { self.since_key + 1 };
        self.state = next;
        if self.sync
            && let Some(segment) = &self.segment
        {
            rustix::fs::fdatasync(&segment.file).ok();
        }
        Ok(())
    }

    /// The frame of the sample `next`: a key frame when `key`, else a delta. When that frame
    /// would be more than readers take (a body over [`Writer::max_body`], more words or bytes
    /// of paths than a reader holds), it is a key frame without the cgroups of the longest
    /// paths, then the newest, until it fits; they are counted in [`Writer::left_out`] and
    /// `next` loses them.
    fn encode_fitting(&mut self, next: &mut State, key: bool) -> (Kind, Vec<u8>) {
        let words = |state: &State| state.values().map(|s| s.words.len()).sum::<usize>();
        let encode = |state: &State, key: bool, ids: &mut frame::PathIds| {
            if key {
                (Kind::TableKey, frame::encode_table_key(state, ids))
            } else {
                (
                    Kind::TableDelta,
                    frame::encode_table_delta(&self.state, state, ids),
                )
            }
        };
        // How far over the bounds a frame is (at most 1.0 fits).
        let max_body = self.max_body;
        let over = |body: &[u8], state: &State, ids: &frame::PathIds| {
            [
                body.len() as f64 / max_body as f64,
                words(state) as f64 / frame::MAX_STATE_WORDS as f64,
                ids.path_bytes as f64 / frame::MAX_TABLE_PATH_BYTES as f64,
            ]
            .into_iter()
            .fold(0.0, f64::max)
        };
        let mut ids = std::mem::take(&mut self.path_ids);
        let (kind, body) = encode(next, key, &mut ids);
        let mut ratio = over(&body, next, &ids);
        if ratio <= 1.0 {
            self.path_ids = ids;
            self.left_out = 0;
            return (kind, body);
        }
        // Kept first: short paths, then old series (a flood's cgroups are deep or new).
        let mut order: Vec<(usize, u64)> = next
            .iter()
            .map(|(id, s)| (s.path.as_bytes().len(), *id))
            .collect();
        order.sort_by_key(|(len, id)| (*len, *id));
        let all = order.len();
        let mut keep = all;
        loop {
            keep = ((keep as f64 / ratio * 0.9) as usize).min(keep.saturating_sub(1));
            let kept: State = order[..keep]
                .iter()
                .filter_map(|(_, id)| Some((*id, next.get(id)?.clone())))
                .collect();
            let (kind, body) = encode(&kept, true, &mut ids);
            ratio = over(&body, &kept, &ids);
            if ratio <= 1.0 || keep == 0 {
                if self.left_out == 0 {
                    self.notes.push(format!(
                        "{} of {all} cgroups are not recorded: a sample of them all would be \
                         more than readers take",
                        all - keep
                    ));
                }
                self.left_out = all - keep;
                self.path_ids = ids;
                *next = kept;
                return (kind, body);
            }
        }
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
pub(super) fn index_fits(file: &File, entries: &[IndexEntry], len: u64) -> bool {
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

/// Scan the segment from `from` (a frame boundary) to `len` in pieces: the key and event
/// frames found are added to `entries`, damage to `notes`. Returns where the last good frame
/// ends (`from` when there is none).
pub(super) fn scan_file(
    file: &File,
    from: u64,
    len: u64,
    entries: &mut Vec<IndexEntry>,
    notes: &mut Vec<String>,
    path: &Path,
) -> Result<u64> {
    let mut good_end = from;
    scan_pieces(file, from, len, &mut |base, scan| {
        for d in &scan.damage {
            notes.push(format!(
                "{}: damage at offset {} ({}) skipped",
                visible_path(path),
                base + d.offset as u64,
                d.what
            ));
        }
        for f in &scan.frames {
            if indexed(f.kind) {
                entries.push(IndexEntry {
                    time_ms: f.time_ms,
                    offset: base + f.offset as u64,
                    kind: f.kind,
                });
            }
        }
        if !scan.frames.is_empty() {
            good_end = base + scan.good_end as u64;
        }
        true
    })
    .with_context(|| format!("cannot read {}", visible_path(path)))?;
    Ok(good_end)
}

/// How far back from the end a resuming recorder looks for the journal's changes it already
/// recorded (changes are recorded at the next sample; intervals are shorter than this).
pub(super) const JOURNAL_LOOKBACK_MS: i64 = 10 * 60_000;

/// The newest journal change recorded in the segment's last [`JOURNAL_LOOKBACK_MS`] (or the
/// start of that window when none is: older changes are taken as recorded).
pub(super) fn last_change(file: &File, entries: &[IndexEntry], len: u64) -> i64 {
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
pub(super) fn reopen_append(file: File, path: &Path) -> Result<File> {
    let flags = rustix::fs::fcntl_getfl(&file)?;
    rustix::fs::fcntl_setfl(&file, flags | OFlags::APPEND)
        .map_err(|e| errno(e, "cannot append to", path))?;
    Ok(file)
}
