//! The store's compact encoding: LEB128 varints, and a cgroup sample flattened to a list of
//! integers ("words") in a fixed order, so that a delta between two samples of one cgroup is a
//! bitmap of the words that changed and their zigzag differences.

use crate::cgroup::parse::{
    CgroupEvents, CgroupStat, CgroupType, CpuMax, CpuStat, DeviceId, IoDeviceStat, IoMax, IoWeight,
    Limit, MemoryEvents, MemoryStat, PidsEvents, Pressure, PressureLine,
};
use crate::cgroup::sample::{
    CgroupSample, DetailSample, MemorySample, PidsSample, PsiSample, ReadTimes, Unreadable,
};

/// Why bytes could not be decoded: the frame is damaged (its checksum matched, so it was
/// written so by a buggy or newer writer) or the store is not ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

fn short() -> DecodeError {
    DecodeError("the data ends early".into())
}

pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

pub fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Reads varints and byte strings from a buffer, never past its end.
pub struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes, at: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.at >= self.bytes.len()
    }

    pub fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.bytes.get(self.at).ok_or_else(short)?;
            self.at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(DecodeError("a varint longer than 10 bytes".into()))
    }

    /// A count of items each taking at least one byte: never more than the bytes left, so a
    /// damaged count cannot make the reader allocate gigabytes.
    pub fn count(&mut self) -> Result<usize, DecodeError> {
        let n = self.varint()?;
        let left = (self.bytes.len() - self.at.min(self.bytes.len())) as u64;
        if n > left {
            return Err(DecodeError(format!(
                "a count of {n} with {left} bytes left"
            )));
        }
        Ok(n as usize)
    }

    pub fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = *self.bytes.get(self.at).ok_or_else(short)?;
        self.at += 1;
        Ok(b)
    }

    pub fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.count()?;
        self.take(n)
    }

    /// The next `n` bytes, or an error when fewer are left.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.at.checked_add(n).ok_or_else(short)?;
        let slice = self.bytes.get(self.at..end).ok_or_else(short)?;
        self.at = end;
        Ok(slice)
    }
}

/// A sample as words, written in a fixed order (the format version pins it).
#[derive(Default)]
struct Words(Vec<u64>);

impl Words {
    fn put(&mut self, v: u64) {
        self.0.push(v);
    }
    fn flag(&mut self, b: bool) {
        self.put(u64::from(b));
    }
    fn opt(&mut self, v: Option<u64>) {
        self.flag(v.is_some());
        self.put(v.unwrap_or(0));
    }
    fn limit(&mut self, v: Option<Limit>) {
        match v {
            None => self.0.extend([0, 0]),
            Some(Limit::Value(v)) => self.0.extend([1, v]),
            Some(Limit::Max) => self.0.extend([2, 0]),
        }
    }
    fn text(&mut self, s: &str) {
        self.put(s.len() as u64);
        for chunk in s.as_bytes().chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.put(u64::from_le_bytes(word));
        }
    }
    fn opt_text(&mut self, s: Option<&String>) {
        self.flag(s.is_some());
        if let Some(s) = s {
            self.text(s);
        }
    }
    fn texts(&mut self, list: Option<&Vec<String>>) {
        self.flag(list.is_some());
        if let Some(list) = list {
            self.put(list.len() as u64);
            list.iter().for_each(|s| self.text(s));
        }
    }
    /// PSI averages have two decimals: kept as hundredths, exactly.
    fn line(&mut self, l: &PressureLine) {
        for avg in [l.avg10, l.avg60, l.avg300] {
            self.put((avg * 100.0).round().max(0.0) as u64);
        }
        self.put(l.total);
    }
    fn pressure(&mut self, p: Option<&Pressure>) {
        self.flag(p.is_some());
        let p = p.copied().unwrap_or_default();
        self.line(&p.some);
        self.flag(p.full.is_some());
        self.line(&p.full.unwrap_or_default());
    }
    fn device(&mut self, d: DeviceId) {
        self.put(u64::from(d.major));
        self.put(u64::from(d.minor));
    }
}

/// The read times of a sample as words: cpu.stat's to the microsecond from `anchor` (the
/// sample's time on the same clock as the read times), the other counter files' to the
/// millisecond from cpu.stat's (or the anchor without it). Files of one cgroup are read within
/// a millisecond of each other, so those words are nearly always 0 and, being unchanged from
/// one sample to the next, cost nothing in a delta frame. 0 = no time; else zigzag + 1.
fn read_time_words(times: &ReadTimes, anchor: u64) -> [u64; 5] {
    let from = |base: u64, at: Option<u64>, unit: i128| {
        at.map_or(0, |at| {
            let offset = (i128::from(at) - i128::from(base) + unit / 2).div_euclid(unit);
            zigzag(i64::try_from(offset).unwrap_or(0)) + 1
        })
    };
    let base = times.cpu_stat.unwrap_or(anchor);
    [
        from(anchor, times.cpu_stat, 1_000),
        from(base, times.io_stat, 1_000_000),
        from(base, times.cpu_pressure, 1_000_000),
        from(base, times.memory_pressure, 1_000_000),
        from(base, times.io_pressure, 1_000_000),
    ]
}

/// [`read_time_words`] back to times on the clock of `anchor`.
fn read_times_from(words: [u64; 5], anchor: u64) -> ReadTimes {
    let at = |base: u64, word: u64, unit: i128| {
        let offset = i128::from(unzigzag(word.checked_sub(1)?)) * unit;
        u64::try_from(i128::from(base) + offset).ok()
    };
    let cpu_stat = at(anchor, words[0], 1_000);
    let base = cpu_stat.unwrap_or(anchor);
    ReadTimes {
        cpu_stat,
        io_stat: at(base, words[1], 1_000_000),
        cpu_pressure: at(base, words[2], 1_000_000),
        memory_pressure: at(base, words[3], 1_000_000),
        io_pressure: at(base, words[4], 1_000_000),
        memory_stat: None,
    }
}

/// A recorded sample's time in ms as the nanoseconds its decoded read times are on.
pub fn anchor_of(time_ms: i64) -> u64 {
    u64::try_from(time_ms)
        .unwrap_or(0)
        .saturating_mul(1_000_000)
}

/// Flatten a sample (all but its inode, which names the series) to words. `anchor`: the
/// moment the sample is recorded at, on the clock of its read times.
pub fn sample_words(s: &CgroupSample, anchor: u64) -> Vec<u64> {
    let mut w = Words::default();
    w.put(u64::from(s.owner_uid));
    w.put(u64::from(s.owner_gid));
    w.flag(s.events.is_some());
    let ev = s.events.unwrap_or_default();
    w.flag(ev.populated);
    w.flag(ev.frozen);
    w.flag(s.cpu.is_some());
    let cpu = s.cpu.unwrap_or_default();
    w.put(cpu.usage_usec);
    w.put(cpu.user_usec);
    w.put(cpu.system_usec);
    w.opt(cpu.nr_periods);
    w.opt(cpu.nr_throttled);
    w.opt(cpu.throttled_usec);
    let m = &s.memory;
    w.opt(m.current);
    w.opt(m.swap_current);
    for l in [m.max, m.high, m.low, m.min, m.swap_max] {
        w.limit(l);
    }
    w.flag(m.events.is_some());
    let me = m.events.unwrap_or_default();
    for v in [me.low, me.high, me.max, me.oom, me.oom_kill] {
        w.put(v);
    }
    w.opt(me.oom_group_kill);
    w.opt(s.pids.current);
    w.limit(s.pids.max);
    w.opt(s.pids.events.map(|e| e.max));
    w.pressure(s.psi.cpu.as_ref());
    w.pressure(s.psi.memory.as_ref());
    w.pressure(s.psi.io.as_ref());
    w.opt(s.nr_procs.map(|n| n as u64));
    // Sections of varying length last, so a change in one does not shift the counters above.
    w.flag(s.io.is_some());
    let io = s.io.as_deref().unwrap_or_default();
    w.put(io.len() as u64);
    for d in io {
        w.flag(d.device.is_some());
        w.device(d.device.unwrap_or(DeviceId { major: 0, minor: 0 }));
        for v in [d.rbytes, d.wbytes, d.rios, d.wios, d.dbytes, d.dios] {
            w.put(v);
        }
        w.put(d.extra.len() as u64);
        for (k, v) in &d.extra {
            w.text(k);
            w.text(v);
        }
    }
    w.texts(s.controllers.as_ref());
    w.texts(s.subtree_control.as_ref());
    w.flag(s.detail.is_some());
    if let Some(d) = &s.detail {
        w.opt(d.cgroup_type.map(|t| match t {
            CgroupType::Domain => 0,
            CgroupType::DomainThreaded => 1,
            CgroupType::DomainInvalid => 2,
            CgroupType::Threaded => 3,
        }));
        w.flag(d.stat.is_some());
        let st = d.stat.unwrap_or_default();
        w.put(st.nr_descendants);
        w.put(st.nr_dying_descendants);
        w.limit(d.max_depth);
        w.limit(d.max_descendants);
        w.flag(d.cpu_max.is_some());
        w.limit(d.cpu_max.map(|c| c.quota));
        w.put(d.cpu_max.map_or(0, |c| c.period_usec));
        w.opt(d.cpu_weight);
        w.flag(d.io_max.is_some());
        let io_max = d.io_max.as_deref().unwrap_or_default();
        w.put(io_max.len() as u64);
        for m in io_max {
            w.device(m.device);
            for l in [m.rbps, m.wbps, m.riops, m.wiops] {
                w.limit(Some(l));
            }
        }
        w.flag(d.io_weight.is_some());
        if let Some(iw) = &d.io_weight {
            w.put(iw.default);
            w.put(iw.devices.len() as u64);
            for (dev, weight) in &iw.devices {
                w.device(*dev);
                w.put(*weight);
            }
        }
        w.opt_text(d.cpuset_cpus.as_ref());
        w.opt_text(d.cpuset_mems.as_ref());
    }
    w.put(s.unreadable.len() as u64);
    for u in &s.unreadable {
        w.text(u.file);
        w.text(&u.reason);
    }
    // Last: a sample of format 1 ends before them (and has no read times).
    for word in read_time_words(&s.read_at, anchor) {
        w.put(word);
    }
    // After them (format 3): memory.stat's inactive_file, for the working set. The rest of
    // memory.stat is not recorded.
    w.opt(s.memory.stat.and_then(|stat| stat.inactive_file));
    w.0
}

/// Reads words back in the order [`sample_words`] wrote them.
struct Take<'a> {
    words: &'a [u64],
    at: usize,
}

impl Take<'_> {
    fn get(&mut self) -> Result<u64, DecodeError> {
        let v = *self.words.get(self.at).ok_or_else(short)?;
        self.at += 1;
        Ok(v)
    }
    fn flag(&mut self) -> Result<bool, DecodeError> {
        Ok(self.get()? != 0)
    }
    fn u32(&mut self) -> Result<u32, DecodeError> {
        let v = self.get()?;
        u32::try_from(v).map_err(|_| DecodeError(format!("{v} does not fit 32 bits")))
    }
    fn opt(&mut self) -> Result<Option<u64>, DecodeError> {
        let present = self.flag()?;
        let v = self.get()?;
        Ok(present.then_some(v))
    }
    fn limit(&mut self) -> Result<Option<Limit>, DecodeError> {
        let (kind, v) = (self.get()?, self.get()?);
        match kind {
            0 => Ok(None),
            1 => Ok(Some(Limit::Value(v))),
            2 => Ok(Some(Limit::Max)),
            other => Err(DecodeError(format!("unknown limit kind {other}"))),
        }
    }
    fn count(&mut self) -> Result<usize, DecodeError> {
        let n = self.get()?;
        let left = (self.words.len() - self.at) as u64;
        if n > left {
            return Err(DecodeError(format!(
                "a count of {n} with {left} words left"
            )));
        }
        Ok(n as usize)
    }
    fn text(&mut self) -> Result<String, DecodeError> {
        let len = self.get()?;
        let words = len.div_ceil(8);
        if words > (self.words.len() - self.at) as u64 {
            return Err(short());
        }
        let mut bytes = Vec::with_capacity(len as usize);
        for _ in 0..words {
            bytes.extend_from_slice(&self.get()?.to_le_bytes());
        }
        bytes.truncate(len as usize);
        String::from_utf8(bytes).map_err(|_| DecodeError("text that is not UTF-8".into()))
    }
    fn opt_text(&mut self) -> Result<Option<String>, DecodeError> {
        Ok(if self.flag()? {
            Some(self.text()?)
        } else {
            None
        })
    }
    fn texts(&mut self) -> Result<Option<Vec<String>>, DecodeError> {
        if !self.flag()? {
            return Ok(None);
        }
        let n = self.count()?;
        (0..n)
            .map(|_| self.text())
            .collect::<Result<_, _>>()
            .map(Some)
    }
    fn line(&mut self) -> Result<PressureLine, DecodeError> {
        let mut avg = || self.get().map(|v| v as f64 / 100.0);
        Ok(PressureLine {
            avg10: avg()?,
            avg60: avg()?,
            avg300: avg()?,
            total: self.get()?,
        })
    }
    fn pressure(&mut self) -> Result<Option<Pressure>, DecodeError> {
        let present = self.flag()?;
        let some = self.line()?;
        let has_full = self.flag()?;
        let full = self.line()?;
        Ok(present.then_some(Pressure {
            some,
            full: has_full.then_some(full),
        }))
    }
    fn device(&mut self) -> Result<DeviceId, DecodeError> {
        Ok(DeviceId {
            major: self.u32()?,
            minor: self.u32()?,
        })
    }
}

/// The interface file's own static name; a name this cgtui does not know reads as `unknown`.
fn file_name(name: &str) -> &'static str {
    crate::cgroup::interface::ALL
        .iter()
        .find(|spec| spec.name == name)
        .map_or("unknown", |spec| spec.name)
}

/// Rebuild a sample from its words and inode; `anchor` ([`anchor_of`] the sample's time) is
/// what its read times are counted from.
pub fn sample_from_words(
    inode: u64,
    words: &[u64],
    anchor: u64,
) -> Result<CgroupSample, DecodeError> {
    let mut t = Take { words, at: 0 };
    let owner_uid = t.u32()?;
    let owner_gid = t.u32()?;
    let has_events = t.flag()?;
    let events = CgroupEvents {
        populated: t.flag()?,
        frozen: t.flag()?,
    };
    let has_cpu = t.flag()?;
    let cpu = CpuStat {
        usage_usec: t.get()?,
        user_usec: t.get()?,
        system_usec: t.get()?,
        nr_periods: t.opt()?,
        nr_throttled: t.opt()?,
        throttled_usec: t.opt()?,
    };
    let current = t.opt()?;
    let swap_current = t.opt()?;
    let (max, high, low, min, swap_max) =
        (t.limit()?, t.limit()?, t.limit()?, t.limit()?, t.limit()?);
    let has_mem_events = t.flag()?;
    let mem_events = MemoryEvents {
        low: t.get()?,
        high: t.get()?,
        max: t.get()?,
        oom: t.get()?,
        oom_kill: t.get()?,
        oom_group_kill: t.opt()?,
    };
    let pids = PidsSample {
        current: t.opt()?,
        max: t.limit()?,
        events: t.opt()?.map(|max| PidsEvents { max }),
    };
    let psi = PsiSample {
        cpu: t.pressure()?,
        memory: t.pressure()?,
        io: t.pressure()?,
    };
    let nr_procs = t.opt()?.map(|n| n as usize);
    let has_io = t.flag()?;
    let n = t.count()?;
    let mut io = Vec::with_capacity(n);
    for _ in 0..n {
        let has_device = t.flag()?;
        let device = t.device()?;
        let mut d = IoDeviceStat {
            device: has_device.then_some(device),
            rbytes: t.get()?,
            wbytes: t.get()?,
            rios: t.get()?,
            wios: t.get()?,
            dbytes: t.get()?,
            dios: t.get()?,
            extra: Vec::new(),
        };
        let extras = t.count()?;
        for _ in 0..extras {
            d.extra.push((t.text()?, t.text()?));
        }
        io.push(d);
    }
    let controllers = t.texts()?;
    let subtree_control = t.texts()?;
    let detail = if t.flag()? {
        let cgroup_type = match t.opt()? {
            None => None,
            Some(0) => Some(CgroupType::Domain),
            Some(1) => Some(CgroupType::DomainThreaded),
            Some(2) => Some(CgroupType::DomainInvalid),
            Some(3) => Some(CgroupType::Threaded),
            Some(other) => return Err(DecodeError(format!("unknown cgroup type {other}"))),
        };
        let has_stat = t.flag()?;
        let stat = CgroupStat {
            nr_descendants: t.get()?,
            nr_dying_descendants: t.get()?,
        };
        let max_depth = t.limit()?;
        let max_descendants = t.limit()?;
        let has_cpu_max = t.flag()?;
        let quota = t.limit()?;
        let period_usec = t.get()?;
        let cpu_weight = t.opt()?;
        let has_io_max = t.flag()?;
        let n = t.count()?;
        let mut io_max = Vec::with_capacity(n);
        for _ in 0..n {
            let device = t.device()?;
            let mut l = || t.limit().map(|l| l.unwrap_or(Limit::Max));
            io_max.push(IoMax {
                device,
                rbps: l()?,
                wbps: l()?,
                riops: l()?,
                wiops: l()?,
            });
        }
        let io_weight = if t.flag()? {
            let default = t.get()?;
            let n = t.count()?;
            let mut devices = Vec::with_capacity(n);
            for _ in 0..n {
                devices.push((t.device()?, t.get()?));
            }
            Some(IoWeight { default, devices })
        } else {
            None
        };
        Some(Box::new(DetailSample {
            cgroup_type,
            stat: has_stat.then_some(stat),
            max_depth,
            max_descendants,
            cpu_max: has_cpu_max.then(|| CpuMax {
                quota: quota.unwrap_or(Limit::Max),
                period_usec,
            }),
            cpu_weight,
            io_max: has_io_max.then_some(io_max),
            io_weight,
            cpuset_cpus: t.opt_text()?,
            cpuset_mems: t.opt_text()?,
        }))
    } else {
        None
    };
    let n = t.count()?;
    let mut unreadable = Vec::with_capacity(n);
    for _ in 0..n {
        unreadable.push(Unreadable {
            file: file_name(&t.text()?),
            reason: t.text()?,
        });
    }
    // Format 1 kept no read times: its rates are timed by the passes.
    let read_at = if t.at == words.len() {
        ReadTimes::default()
    } else {
        read_times_from([t.get()?, t.get()?, t.get()?, t.get()?, t.get()?], anchor)
    };
    // Formats 1 and 2 kept no inactive_file.
    let inactive_file = if t.at == words.len() { None } else { t.opt()? };
    if t.at != words.len() {
        return Err(DecodeError(format!(
            "{} words left over after the sample",
            words.len() - t.at
        )));
    }
    Ok(CgroupSample {
        inode,
        owner_uid,
        owner_gid,
        events: has_events.then_some(events),
        cpu: has_cpu.then_some(cpu),
        memory: MemorySample {
            current,
            swap_current,
            max,
            high,
            low,
            min,
            swap_max,
            events: has_mem_events.then_some(mem_events),
            // Of memory.stat, only what the working set needs is recorded.
            stat: inactive_file.map(|inactive_file| MemoryStat {
                inactive_file: Some(inactive_file),
                ..MemoryStat::default()
            }),
        },
        io: has_io.then_some(io),
        pids,
        psi,
        nr_procs,
        controllers,
        subtree_control,
        detail,
        read_at,
        unreadable,
    })
}

#[cfg(test)]
mod tests;
