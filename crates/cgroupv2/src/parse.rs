//! Pure parsers for every cgroup v2 interface-file format cgtui reads.
//!
//! Each parser takes the file's text and returns a typed value. No I/O happens here, so every
//! parser is tested on text captured from a real kernel (see the tests at the bottom).

use serde::Serialize;
use std::fmt;

/// Why a piece of interface-file text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {}", crate::escape::inert(.message))]
pub struct ParseError {
    /// 1-based line number, 0 when the problem is not tied to a line.
    pub line: usize,
    pub message: String,
}

impl ParseError {
    fn new(line: usize, message: impl Into<String>) -> Self {
        ParseError {
            line,
            message: message.into(),
        }
    }
}

pub type ParseResult<T> = Result<T, ParseError>;

/// A limit that is either the literal `max` or a number. Never a sentinel value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Limit {
    Value(u64),
    Max,
}

impl Limit {
    pub fn value(self) -> Option<u64> {
        match self {
            Limit::Value(v) => Some(v),
            Limit::Max => None,
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Value(v) => write!(f, "{v}"),
            Limit::Max => f.write_str("max"),
        }
    }
}

impl Serialize for Limit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Limit::Value(v) => s.serialize_u64(*v),
            Limit::Max => s.serialize_str("max"),
        }
    }
}

fn parse_u64(token: &str, line: usize) -> ParseResult<u64> {
    token.parse::<u64>().map_err(|_| {
        ParseError::new(
            line,
            format!("expected an unsigned integer, found {token:?}"),
        )
    })
}

fn parse_f64(token: &str, line: usize) -> ParseResult<f64> {
    match token.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(ParseError::new(
            line,
            format!("expected a decimal number, found {token:?}"),
        )),
    }
}

/// Lines of `text` with their 1-based numbers, skipping blank lines.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
}

/// Flat keyed format: `KEY VALUE` per line (cpu.stat, cgroup.events, memory.events, ...).
pub fn flat_keyed(text: &str) -> ParseResult<Vec<(&str, u64)>> {
    lines(text)
        .map(|(n, line)| {
            let mut parts = line.split_whitespace();
            let (Some(key), Some(value), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(ParseError::new(
                    n,
                    format!("expected \"KEY VALUE\", found {line:?}"),
                ));
            };
            Ok((key, parse_u64(value, n)?))
        })
        .collect()
}

fn lookup(pairs: &[(&str, u64)], key: &str) -> Option<u64> {
    pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

fn require(pairs: &[(&str, u64)], key: &str) -> ParseResult<u64> {
    lookup(pairs, key).ok_or_else(|| ParseError::new(0, format!("missing key {key:?}")))
}

/// `cpu.stat`. The throttling keys exist only when the cpu controller is enabled for the cgroup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CpuStat {
    pub usage_usec: u64,
    pub user_usec: u64,
    pub system_usec: u64,
    pub nr_periods: Option<u64>,
    pub nr_throttled: Option<u64>,
    pub throttled_usec: Option<u64>,
}

pub fn cpu_stat(text: &str) -> ParseResult<CpuStat> {
    let pairs = flat_keyed(text)?;
    Ok(CpuStat {
        usage_usec: require(&pairs, "usage_usec")?,
        user_usec: require(&pairs, "user_usec")?,
        system_usec: require(&pairs, "system_usec")?,
        nr_periods: lookup(&pairs, "nr_periods"),
        nr_throttled: lookup(&pairs, "nr_throttled"),
        throttled_usec: lookup(&pairs, "throttled_usec"),
    })
}

/// `cgroup.events`: `populated` and `frozen` (the root cgroup has no such file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CgroupEvents {
    pub populated: bool,
    pub frozen: bool,
}

pub fn cgroup_events(text: &str) -> ParseResult<CgroupEvents> {
    let pairs = flat_keyed(text)?;
    Ok(CgroupEvents {
        populated: require(&pairs, "populated")? != 0,
        // Kernels before 5.2 have no freezer and therefore no `frozen` key.
        frozen: lookup(&pairs, "frozen").unwrap_or(0) != 0,
    })
}

/// `memory.events` (or `memory.events.local`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct MemoryEvents {
    pub low: u64,
    pub high: u64,
    pub max: u64,
    pub oom: u64,
    pub oom_kill: u64,
    pub oom_group_kill: Option<u64>,
}

pub fn memory_events(text: &str) -> ParseResult<MemoryEvents> {
    let pairs = flat_keyed(text)?;
    Ok(MemoryEvents {
        low: require(&pairs, "low")?,
        high: require(&pairs, "high")?,
        max: require(&pairs, "max")?,
        oom: require(&pairs, "oom")?,
        oom_kill: require(&pairs, "oom_kill")?,
        oom_group_kill: lookup(&pairs, "oom_group_kill"),
    })
}

/// Declares [`MemoryStat`] and its parser from one list of memory.stat keys.
macro_rules! memory_stat_keys {
    ($($(#[$doc:meta])* $key:ident),* $(,)?) => {
        /// `memory.stat`: what the cgroup's memory is made of (bytes) and its page events
        /// (counts). Every key is optional: they come and go with kernel versions and configs.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
        pub struct MemoryStat {
            $($(#[$doc])* #[serde(skip_serializing_if = "Option::is_none")] pub $key: Option<u64>,)*
        }

        pub fn memory_stat(text: &str) -> ParseResult<MemoryStat> {
            let pairs = flat_keyed(text)?;
            Ok(MemoryStat {
                $($key: lookup(&pairs, stringify!($key)),)*
            })
        }
    };
}

memory_stat_keys! {
    /// Anonymous memory: heap, stacks, private mappings.
    anon,
    /// The page cache.
    file,
    /// Kernel memory charged to the cgroup (stacks, page tables, slab, ...).
    kernel,
    kernel_stack,
    pagetables,
    percpu,
    sock,
    vmalloc,
    shmem,
    zswap,
    zswapped,
    file_mapped,
    file_dirty,
    file_writeback,
    swapcached,
    inactive_anon,
    active_anon,
    /// Page cache not used lately: the first to go under pressure. The working set is
    /// memory.current less this.
    inactive_file,
    active_file,
    unevictable,
    slab_reclaimable,
    slab_unreclaimable,
    slab,
    workingset_refault_anon,
    workingset_refault_file,
    pgfault,
    pgmajfault,
}

/// `pids.events`: how often a fork was refused by pids.max.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PidsEvents {
    pub max: u64,
}

pub fn pids_events(text: &str) -> ParseResult<PidsEvents> {
    let pairs = flat_keyed(text)?;
    Ok(PidsEvents {
        max: require(&pairs, "max")?,
    })
}

/// `cgroup.stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CgroupStat {
    pub nr_descendants: u64,
    pub nr_dying_descendants: u64,
}

pub fn cgroup_stat(text: &str) -> ParseResult<CgroupStat> {
    let pairs = flat_keyed(text)?;
    Ok(CgroupStat {
        nr_descendants: require(&pairs, "nr_descendants")?,
        nr_dying_descendants: require(&pairs, "nr_dying_descendants")?,
    })
}

/// A block device number, `MAJ:MIN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeviceId {
    pub major: u32,
    pub minor: u32,
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.major, self.minor)
    }
}

impl Serialize for DeviceId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

pub fn device_id(token: &str) -> ParseResult<DeviceId> {
    let bad = || ParseError::new(0, format!("expected MAJ:MIN, found {token:?}"));
    let (major, minor) = token.split_once(':').ok_or_else(bad)?;
    Ok(DeviceId {
        major: major.parse().map_err(|_| bad())?,
        minor: minor.parse().map_err(|_| bad())?,
    })
}

/// One device line of `io.stat`. Keys the kernel did not print are zero.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct IoDeviceStat {
    pub device: Option<DeviceId>,
    pub rbytes: u64,
    pub wbytes: u64,
    pub rios: u64,
    pub wios: u64,
    pub dbytes: u64,
    pub dios: u64,
    /// Keys this parser does not know, kept verbatim: iocost adds `cost.vrate=100.00` and others.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<(String, String)>,
}

/// Nested keyed format of `io.stat`: `MAJ:MIN key=value ...`; a line may be only `MAJ:MIN`.
pub fn io_stat(text: &str) -> ParseResult<Vec<IoDeviceStat>> {
    lines(text)
        .map(|(n, line)| {
            let mut tokens = line.split_whitespace();
            let device = tokens
                .next()
                .map(device_id)
                .transpose()
                .map_err(|e| ParseError::new(n, e.message))?;
            let mut stat = IoDeviceStat {
                device,
                ..IoDeviceStat::default()
            };
            for token in tokens {
                let (key, value) = token.split_once('=').ok_or_else(|| {
                    ParseError::new(n, format!("expected key=value, found {token:?}"))
                })?;
                let field = match key {
                    "rbytes" => &mut stat.rbytes,
                    "wbytes" => &mut stat.wbytes,
                    "rios" => &mut stat.rios,
                    "wios" => &mut stat.wios,
                    "dbytes" => &mut stat.dbytes,
                    "dios" => &mut stat.dios,
                    other => {
                        stat.extra.push((other.to_string(), value.to_string()));
                        continue;
                    }
                };
                *field = parse_u64(value, n)?;
            }
            Ok(stat)
        })
        .collect()
}

/// One line of a PSI file.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct PressureLine {
    pub avg10: f64,
    pub avg60: f64,
    pub avg300: f64,
    /// Cumulative stall time in microseconds.
    pub total: u64,
}

/// `cpu.pressure`, `memory.pressure`, `io.pressure`. `full` is absent on old kernels' cpu.pressure.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Pressure {
    pub some: PressureLine,
    pub full: Option<PressureLine>,
}

pub fn pressure(text: &str) -> ParseResult<Pressure> {
    let mut some = None;
    let mut full = None;
    for (n, line) in lines(text) {
        let mut tokens = line.split_whitespace();
        let kind = tokens.next().unwrap_or_default();
        let mut parsed = PressureLine::default();
        let mut seen = 0;
        for token in tokens {
            let (key, value) = token.split_once('=').ok_or_else(|| {
                ParseError::new(n, format!("expected key=value, found {token:?}"))
            })?;
            match key {
                "avg10" => parsed.avg10 = parse_f64(value, n)?,
                "avg60" => parsed.avg60 = parse_f64(value, n)?,
                "avg300" => parsed.avg300 = parse_f64(value, n)?,
                "total" => parsed.total = parse_u64(value, n)?,
                _ => continue,
            }
            seen += 1;
        }
        if seen != 4 {
            return Err(ParseError::new(
                n,
                "expected avg10, avg60, avg300 and total",
            ));
        }
        match kind {
            "some" => some = Some(parsed),
            "full" => full = Some(parsed),
            other => {
                return Err(ParseError::new(
                    n,
                    format!("expected \"some\" or \"full\", found {other:?}"),
                ));
            }
        }
    }
    Ok(Pressure {
        some: some.ok_or_else(|| ParseError::new(0, "missing the \"some\" line"))?,
        full,
    })
}

/// A single number, or `max` (memory.max/high/low/min, memory.swap.max, pids.max, ...).
pub fn limit(text: &str) -> ParseResult<Limit> {
    match text.trim() {
        "max" => Ok(Limit::Max),
        other => parse_u64(other, 1).map(Limit::Value),
    }
}

/// A single unsigned number (memory.current, pids.current, cpu.weight, ...).
pub fn single_u64(text: &str) -> ParseResult<u64> {
    parse_u64(text.trim(), 1)
}

/// `cpu.max`: `$MAX $PERIOD`, quota and period in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CpuMax {
    pub quota: Limit,
    pub period_usec: u64,
}

pub fn cpu_max(text: &str) -> ParseResult<CpuMax> {
    let mut tokens = text.split_whitespace();
    let (Some(quota), Some(period), None) = (tokens.next(), tokens.next(), tokens.next()) else {
        return Err(ParseError::new(
            1,
            format!("expected \"$MAX $PERIOD\", found {:?}", text.trim()),
        ));
    };
    Ok(CpuMax {
        quota: limit(quota)?,
        period_usec: parse_u64(period, 1)?,
    })
}

/// Space-separated controller names (cgroup.controllers, cgroup.subtree_control).
pub fn controllers(text: &str) -> ParseResult<Vec<String>> {
    text.split_whitespace()
        .map(|name| {
            if name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                Ok(name.to_string())
            } else {
                Err(ParseError::new(
                    1,
                    format!("not a controller name: {name:?}"),
                ))
            }
        })
        .collect()
}

/// `cgroup.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CgroupType {
    Domain,
    DomainThreaded,
    DomainInvalid,
    Threaded,
}

impl fmt::Display for CgroupType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CgroupType::Domain => "domain",
            CgroupType::DomainThreaded => "domain threaded",
            CgroupType::DomainInvalid => "domain invalid",
            CgroupType::Threaded => "threaded",
        })
    }
}

/// How many CPUs a kernel CPU list names (`0-3,5` is 5), as in
/// /sys/devices/system/cpu/online and cpuset.cpus.effective.
pub fn cpu_list_count(text: &str) -> ParseResult<usize> {
    let text = text.trim();
    let mut count = 0usize;
    if text.is_empty() {
        return Ok(0);
    }
    for part in text.split(',') {
        let (first, last) = match part.split_once('-') {
            Some((a, b)) => (parse_u64(a, 1)?, parse_u64(b, 1)?),
            None => {
                let n = parse_u64(part, 1)?;
                (n, n)
            }
        };
        let Some(span) = last.checked_sub(first) else {
            return Err(ParseError::new(
                1,
                format!("{part:?}: a range that runs backwards"),
            ));
        };
        count = count.saturating_add(
            usize::try_from(span)
                .unwrap_or(usize::MAX)
                .saturating_add(1),
        );
    }
    Ok(count)
}

pub fn cgroup_type(text: &str) -> ParseResult<CgroupType> {
    match text.trim() {
        "domain" => Ok(CgroupType::Domain),
        "domain threaded" => Ok(CgroupType::DomainThreaded),
        "domain invalid" => Ok(CgroupType::DomainInvalid),
        "threaded" => Ok(CgroupType::Threaded),
        other => Err(ParseError::new(1, format!("unknown cgroup type {other:?}"))),
    }
}

/// `cgroup.procs` / `cgroup.threads`: one PID per line.
pub fn pid_list(text: &str) -> ParseResult<Vec<u32>> {
    lines(text)
        .map(|(n, line)| {
            line.parse::<u32>()
                .map_err(|_| ParseError::new(n, format!("expected a PID, found {line:?}")))
        })
        .collect()
}

/// One line of `io.max`: `MAJ:MIN rbps=max wbps=max riops=max wiops=max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IoMax {
    pub device: DeviceId,
    pub rbps: Limit,
    pub wbps: Limit,
    pub riops: Limit,
    pub wiops: Limit,
}

pub fn io_max(text: &str) -> ParseResult<Vec<IoMax>> {
    lines(text)
        .map(|(n, line)| {
            let mut tokens = line.split_whitespace();
            let device = device_id(tokens.next().unwrap_or_default())
                .map_err(|e| ParseError::new(n, e.message))?;
            let mut entry = IoMax {
                device,
                rbps: Limit::Max,
                wbps: Limit::Max,
                riops: Limit::Max,
                wiops: Limit::Max,
            };
            for token in tokens {
                let (key, value) = token.split_once('=').ok_or_else(|| {
                    ParseError::new(n, format!("expected key=value, found {token:?}"))
                })?;
                let value = limit(value).map_err(|e| ParseError::new(n, e.message))?;
                match key {
                    "rbps" => entry.rbps = value,
                    "wbps" => entry.wbps = value,
                    "riops" => entry.riops = value,
                    "wiops" => entry.wiops = value,
                    other => {
                        return Err(ParseError::new(n, format!("unknown io.max key {other:?}")));
                    }
                }
            }
            Ok(entry)
        })
        .collect()
}

/// `io.weight`: `default N` then optional `MAJ:MIN N` lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IoWeight {
    pub default: u64,
    pub devices: Vec<(DeviceId, u64)>,
}

pub fn io_weight(text: &str) -> ParseResult<IoWeight> {
    let mut default = None;
    let mut devices = Vec::new();
    for (n, line) in lines(text) {
        let mut tokens = line.split_whitespace();
        let (Some(key), Some(value), None) = (tokens.next(), tokens.next(), tokens.next()) else {
            return Err(ParseError::new(
                n,
                format!("expected \"KEY WEIGHT\", found {line:?}"),
            ));
        };
        let value = parse_u64(value, n)?;
        if key == "default" {
            default = Some(value);
        } else {
            devices.push((
                device_id(key).map_err(|e| ParseError::new(n, e.message))?,
                value,
            ));
        }
    }
    Ok(IoWeight {
        default: default.ok_or_else(|| ParseError::new(0, "missing the \"default\" line"))?,
        devices,
    })
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fixture_tests {
    use super::*;
    use std::path::Path;

    /// Every interface file of the real Debian 12 capture parses with its parser.
    #[test]
    fn every_captured_file_parses() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/debian12");
        type Check = fn(&str) -> Result<(), ParseError>;
        let parsers: &[(&str, Check)] = &[
            ("cpu.stat", |t| cpu_stat(t).map(drop)),
            ("cgroup.events", |t| cgroup_events(t).map(drop)),
            ("memory.events", |t| memory_events(t).map(drop)),
            ("memory.events.local", |t| memory_events(t).map(drop)),
            ("memory.stat", |t| memory_stat(t).map(drop)),
            ("pids.events", |t| pids_events(t).map(drop)),
            ("cgroup.stat", |t| cgroup_stat(t).map(drop)),
            ("io.stat", |t| io_stat(t).map(drop)),
            ("cpu.pressure", |t| pressure(t).map(drop)),
            ("memory.pressure", |t| pressure(t).map(drop)),
            ("io.pressure", |t| pressure(t).map(drop)),
            ("memory.max", |t| limit(t).map(drop)),
            ("memory.high", |t| limit(t).map(drop)),
            ("memory.low", |t| limit(t).map(drop)),
            ("memory.min", |t| limit(t).map(drop)),
            ("memory.swap.max", |t| limit(t).map(drop)),
            ("memory.current", |t| single_u64(t).map(drop)),
            ("pids.max", |t| limit(t).map(drop)),
            ("pids.current", |t| single_u64(t).map(drop)),
            ("cgroup.max.depth", |t| limit(t).map(drop)),
            ("cgroup.max.descendants", |t| limit(t).map(drop)),
            ("cpu.max", |t| cpu_max(t).map(drop)),
            ("cpu.weight", |t| single_u64(t).map(drop)),
            ("cgroup.controllers", |t| controllers(t).map(drop)),
            ("cgroup.subtree_control", |t| controllers(t).map(drop)),
            ("cgroup.type", |t| cgroup_type(t).map(drop)),
            ("cgroup.procs", |t| pid_list(t).map(drop)),
            ("cgroup.threads", |t| pid_list(t).map(drop)),
            ("io.max", |t| io_max(t).map(drop)),
            ("io.weight", |t| io_weight(t).map(drop)),
        ];
        let mut parsed = 0;
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let entry = entry.unwrap();
                let path = entry.path();
                if path.is_dir() {
                    if !entry.file_name().to_string_lossy().starts_with('.') {
                        stack.push(path);
                    }
                    continue;
                }
                let name = entry.file_name().to_string_lossy().into_owned();
                if let Some((_, parse)) = parsers.iter().find(|(n, _)| *n == name) {
                    let text = std::fs::read_to_string(&path).unwrap();
                    parse(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", path.display()));
                    parsed += 1;
                }
            }
        }
        assert!(parsed > 150, "only {parsed} files parsed");
    }
}
