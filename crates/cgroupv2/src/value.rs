//! Validating and normalising values before they are written to interface files.
//!
//! A person types `512M`, `1.5G`, `max` or `50%`; the kernel wants bytes, microseconds and its
//! own grammars. Every value is checked here against the grammar and range the kernel enforces
//! (cgroup-v2.rst, "Interface Files" of each controller), so a bad value is refused with a
//! reason before anything is written.

/// Re-exported where they were first defined; they live beside the table of files.
pub use crate::interface::{Grammar, Kstrto, PIDS_MAX_LIMIT};
use crate::parse::{self, DeviceId};

/// Why a value was refused before writing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid value \"{}\" for {}: {}",
    crate::escape::visible_str(.value),
    crate::escape::visible_str(.file),
    crate::escape::inert(.reason)
)]
pub struct InvalidValue {
    pub file: String,
    pub value: String,
    pub reason: String,
    /// The errno the kernel would answer with, had the value been written.
    pub errno: &'static str,
}

/// What a checker may need to know about the machine: block devices for io.max.
pub trait DeviceLookup {
    /// `Some(true)` for a partition, `Some(false)` for a whole disk, `None` if absent.
    fn is_partition(&self, id: DeviceId) -> Option<bool>;
}

impl DeviceLookup for crate::devices::Devices {
    fn is_partition(&self, id: DeviceId) -> Option<bool> {
        crate::devices::Devices::is_partition(self, id)
    }
}

/// The largest size the kernel accepts before "max" (PAGE_COUNTER_MAX pages of 4 KiB).
const MAX_BYTES: u64 = (i64::MAX as u64 / 4096) * 4096;

/// cpu.max period limits in microseconds (kernel/sched/core.c).
pub const CPU_PERIOD_MIN: u64 = 1_000;
pub const CPU_PERIOD_MAX: u64 = 1_000_000;
pub const CPU_QUOTA_MIN: u64 = 1_000;
pub const CPU_DEFAULT_PERIOD: u64 = 100_000;
/// The largest quota (and quota + burst) in microseconds: MAX_BW = 2^44 - 1 (BW_SHIFT 20,
/// kernel/sched/sched.h), about 203 days; tg_set_bandwidth() answers EINVAL above it.
pub const CPU_QUOTA_MAX: u64 = (1 << 44) - 1;
/// PSI trigger windows (kernel/sched/psi.c): at most 10 s; before 6.4 at least 500 ms.
pub const PSI_WINDOW_MAX: u64 = 10_000_000;
pub const PSI_WINDOW_MIN_BEFORE_6_4: u64 = 500_000;
/// Since 6.5 a writer without CAP_SYS_RESOURCE may only use windows in multiples of 2 s.
pub const PSI_UNPRIVILEGED_WINDOW: u64 = 2_000_000;

struct Check<'a> {
    file: &'a str,
    value: &'a str,
}

impl Check<'_> {
    fn fail(&self, errno: &'static str, reason: impl Into<String>) -> InvalidValue {
        InvalidValue {
            file: self.file.to_string(),
            value: self.value.to_string(),
            reason: reason.into(),
            errno,
        }
    }
}

/// A size with an optional binary suffix: `4096`, `512K`, `1.5G`, `2T`. Returns bytes.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let multiplier: u64 = match suffix.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return None,
    };
    if number.is_empty() {
        return None;
    }
    if number.contains('.') {
        let value: f64 = number.parse().ok()?;
        let bytes = value * multiplier as f64;
        (bytes.is_finite() && bytes >= 0.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
    } else {
        number.parse::<u64>().ok()?.checked_mul(multiplier)
    }
}

/// The kernel's whitespace (isspace() of lib/ctype.c, ASCII part), which strstrip() removes.
fn kernel_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// simple_strntoull() of lib/vsprintf.c: the base from the prefix when `base` is 0 (`0x` and a
/// hex digit: 16, `0`: 8, else 10), then digits while they last, wrapping past 2^64 as the
/// kernel's loop does. Returns the value and the bytes read (0 when there is no digit at all).
pub fn simple_strtoull(text: &[u8], base: u32) -> (u64, usize) {
    let (base, skip) = match text {
        [b'0', x, h, ..] if base == 0 && x.eq_ignore_ascii_case(&b'x') && h.is_ascii_hexdigit() => {
            (16, 2)
        }
        [b'0', ..] if base == 0 => (8, 0),
        _ if base == 0 => (10, 0),
        _ => (base, 0),
    };
    let mut value: u64 = 0;
    let mut read = skip;
    for &b in &text[skip..] {
        let Some(digit) = (b as char).to_digit(16).filter(|d| *d < base) else {
            break;
        };
        value = value
            .wrapping_mul(u64::from(base))
            .wrapping_add(u64::from(digit));
        read += 1;
    }
    (value, if read == skip { 0 } else { read })
}

/// memparse() of lib/cmdline.c: a number read by [`simple_strtoull`] with base 0 (so `0x100000`
/// and octal `010` too), then one optional suffix K, M, G, T, P or E (either case), each a
/// shift by 10 more bits. Overflow wraps, as in the kernel: `16E` is 0. Returns the bytes and
/// how much of `text` was read.
pub fn memparse(text: &[u8]) -> (u64, usize) {
    let (mut bytes, mut read) = simple_strtoull(text, 0);
    let shift = text.get(read).map_or(0, |b| suffix_shift(*b));
    if shift > 0 {
        bytes <<= shift;
        read += 1;
    }
    (bytes, read)
}

/// The shift of a memparse() suffix, 0 for none.
fn suffix_shift(suffix: u8) -> u32 {
    match suffix.to_ascii_uppercase() {
        b'K' => 10,
        b'M' => 20,
        b'G' => 30,
        b'T' => 40,
        b'P' => 50,
        b'E' => 60,
        _ => 0,
    }
}

/// page_counter_memparse() of mm/page_counter.c after the handler's strstrip(): `max`, or
/// [`memparse`] that must read the whole text (an empty text is 0). `None` when the kernel
/// answers EINVAL; else the bytes, `None` inside for "max" (or a size at PAGE_COUNTER_MAX).
pub fn page_counter_memparse(text: &str) -> Option<Option<u64>> {
    if text == "max" {
        return Some(None);
    }
    let (bytes, read) = memparse(text.as_bytes());
    if read != text.len() {
        return None;
    }
    Some((bytes < MAX_BYTES).then_some(bytes))
}

/// Whether the kernel's [`memparse`] wraps `text` around 2^64 (`16E`, a 21-digit number): it
/// keeps the remainder, so the size set is far from the one typed.
pub fn memparse_wraps(text: &str) -> bool {
    let text = text.trim_matches(kernel_space).as_bytes();
    let (_, read) = memparse(text);
    let (_, digits_end) = simple_strtoull(text, 0);
    if read != text.len() || digits_end == 0 {
        return false;
    }
    let (start, radix) = match text {
        [b'0', x, h, ..] if x.eq_ignore_ascii_case(&b'x') && h.is_ascii_hexdigit() => (2, 16),
        [b'0', ..] => (0, 8),
        _ => (0, 10),
    };
    let mut exact: u128 = 0;
    for &b in &text[start..digits_end] {
        let digit = u128::from((b as char).to_digit(16).unwrap_or(0));
        match exact.checked_mul(radix).and_then(|v| v.checked_add(digit)) {
            Some(v) => exact = v,
            None => return true,
        }
    }
    let shift = text.get(digits_end).map_or(0, |b| suffix_shift(*b));
    exact > u128::from(u64::MAX) >> shift
}

/// A size in one of cgtui's own forms that memparse() refuses: a fraction (`1.5G`) or a suffix
/// with a B (`512MB`, `4KiB`, `100b`). A plain number is the kernel's to read (`08` is EINVAL
/// there, not 8).
fn friendly_size(text: &str) -> Option<u64> {
    let own_form = text.contains('.') || text.ends_with(['b', 'B']);
    own_form.then(|| parse_size(text)).flatten()
}

/// `max` or a size, as page_counter_memparse() reads it; failing that, cgtui's own forms the
/// kernel does not take (`1.5G`, `512MB`, `4KiB`), converted to bytes.
fn size_or_max(c: &Check, text: &str) -> Result<String, InvalidValue> {
    if let Some(parsed) = page_counter_memparse(text) {
        // A size at PAGE_COUNTER_MAX reads back as "max": write that, so the value read back
        // is the value written.
        return Ok(parsed.map_or_else(|| "max".into(), |bytes| bytes.to_string()));
    }
    let bytes = friendly_size(text).ok_or_else(|| {
        c.fail(
            "EINVAL",
            "expected \"max\" or a size such as 4096, 512M or 1.5G",
        )
    })?;
    if bytes >= MAX_BYTES {
        return Ok("max".into());
    }
    Ok(bytes.to_string())
}

/// The kernel's kstrtoull(text, 0): an optional `+`, a base from the prefix (`0x` hex, `0`
/// octal, else decimal), digits, at most one trailing newline. EINVAL for anything else, ERANGE
/// on overflow. Handlers that read numbers this way accept `0x1` and `+1` too.
pub fn kstrtoull(text: &str) -> Result<u64, &'static str> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_prefix('+').unwrap_or(text);
    let (digits, radix) = match text.as_bytes() {
        [b'0', x, h, ..] if x.eq_ignore_ascii_case(&b'x') && h.is_ascii_hexdigit() => {
            (&text[2..], 16)
        }
        [b'0', ..] => (text, 8),
        _ => (text, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err("EINVAL");
    }
    u64::from_str_radix(digits, radix).map_err(|_| "ERANGE")
}

/// A PID as cgroup_procs_write_start() reads one: kstrtoint(strstrip(text), 0), not below 0.
/// `0x1a2b`, `017` and ` 42 ` are PIDs; `None` is EINVAL.
pub fn kernel_pid(text: &str) -> Option<u32> {
    kstrtoint(text.trim_matches(kernel_space))
        .ok()
        .and_then(|pid| u32::try_from(pid).ok())
}

/// A PID on the command line (`cgtui move 0x1a2b ...`), in the kernel's forms (base 0, blanks
/// around). Any 32-bit number is taken, so that one past an `int` is predicted EINVAL with the
/// rule, as the kernel answers, rather than refused as an argument.
pub fn pid_arg(text: &str) -> Result<u32, String> {
    kstrtoull(text.trim_matches(kernel_space))
        .ok()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| {
            format!("{text:?} is not a PID (the kernel reads a whole number: 4242, 0x1092, 010222)")
        })
}

/// The kernel's kstrtoll(text, 0): [`kstrtoull`] with an optional `-`.
pub fn kstrtoll(text: &str) -> Result<i64, &'static str> {
    match text.strip_prefix('-') {
        Some(rest) => {
            let n = kstrtoull(rest)?;
            0i64.checked_sub_unsigned(n).ok_or("ERANGE")
        }
        None => i64::try_from(kstrtoull(text)?).map_err(|_| "ERANGE"),
    }
}

/// The kernel's kstrtoint(text, 0): [`kstrtoll`] that must fit an `int`.
pub fn kstrtoint(text: &str) -> Result<i32, &'static str> {
    i32::try_from(kstrtoll(text)?).map_err(|_| "ERANGE")
}

/// A number parsed as the kernel parses it, then checked against `min..=max`; `range_errno` is
/// what the handler answers for a number outside.
fn kernel_number(
    c: &Check,
    parsed: Result<i64, &'static str>,
    min: i64,
    max: i64,
    range_errno: &'static str,
) -> Result<String, InvalidValue> {
    let n = parsed.map_err(|errno| {
        c.fail(
            errno,
            if errno == "ERANGE" {
                format!("too large: expected {min} to {max}")
            } else {
                format!("expected a whole number from {min} to {max}")
            },
        )
    })?;
    if n < min || n > max {
        return Err(c.fail(range_errno, format!("{n} is not between {min} and {max}")));
    }
    Ok(n.to_string())
}

/// The kernel's vsscanf() `%llu`: blanks skipped, then a decimal digit is required, then
/// digits while they last (wrapping, as simple_strntoull() does). Returns the value and the
/// rest, or `None` when there is no number (the conversion fails, the rest is ignored).
fn scan_llu(text: &str) -> Option<(u64, &str)> {
    let text = text.trim_start_matches(kernel_space);
    if !text.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let (value, read) = simple_strtoull(text.as_bytes(), 10);
    Some((value, &text[read..]))
}

/// cpu_period_quota_parse() of kernel/sched/core.c: `sscanf(buf, "%20s %llu", tok, &period)`
/// (a token of at most 20 characters, then a period if a number follows; anything after is
/// ignored), then the token as `%llu` or `max`. `None` is EINVAL. The quota is `None` for max.
pub fn cpu_max_sscanf(text: &str, current_period: u64) -> Option<(Option<u64>, u64)> {
    let text = text.trim_start_matches(kernel_space);
    let token_len = text
        .char_indices()
        .take_while(|(_, c)| !kernel_space(*c))
        .take(20)
        .last()
        .map_or(0, |(i, c)| i + c.len_utf8());
    if token_len == 0 {
        return None;
    }
    let (token, rest) = text.split_at(token_len);
    let period = scan_llu(rest).map_or(current_period, |(p, _)| p);
    let quota = match scan_llu(token) {
        Some((q, _)) => Some(q),
        None if token == "max" => None,
        None => return None,
    };
    Some((quota, period))
}

/// cpu.max: what cpu_period_quota_parse() and tg_set_bandwidth() accept (`max`, `QUOTA`,
/// `QUOTA PERIOD`, `max PERIOD` in µs, trailing text ignored), or cgtui's `N%` of one CPU (at
/// the current period, or 100 ms), converted to µs. Bounds: period 1 ms..1 s, quota at least
/// 1 ms and at most [`CPU_QUOTA_MAX`], burst no more than the quota.
fn cpu_max(c: &Check, text: &str, ctx: &Context) -> Result<String, InvalidValue> {
    let period_default = ctx.cpu_period.unwrap_or(CPU_DEFAULT_PERIOD);
    let first = text.split(kernel_space).next().unwrap_or_default();
    let (quota, period) = if let Some(pct) = first.strip_suffix('%') {
        // cgtui's own form: the kernel would read "50%" as 50 µs.
        let period = match text.split(kernel_space).filter(|t| !t.is_empty()).nth(1) {
            None => period_default,
            Some(p) => p.parse::<u64>().map_err(|_| {
                c.fail(
                    "EINVAL",
                    format!("period {p:?} is not a number of microseconds"),
                )
            })?,
        };
        let pct: f64 = pct
            .parse()
            .ok()
            .filter(|p: &f64| p.is_finite() && *p > 0.0)
            .ok_or_else(|| {
                c.fail(
                    "EINVAL",
                    "a percentage must be a positive number, 100% = one CPU",
                )
            })?;
        (Some((pct / 100.0 * period as f64).round() as u64), period)
    } else {
        cpu_max_sscanf(text, period_default).ok_or_else(|| {
            c.fail(
                "EINVAL",
                "expected \"max\", \"QUOTA PERIOD\" (µs) or \"N%\"",
            )
        })?
    };
    if !(CPU_PERIOD_MIN..=CPU_PERIOD_MAX).contains(&period) {
        return Err(c.fail(
            "EINVAL",
            format!("period {period} µs is not between {CPU_PERIOD_MIN} and {CPU_PERIOD_MAX} µs"),
        ));
    }
    let Some(quota) = quota else {
        return Ok(format!("max {period}"));
    };
    if quota < CPU_QUOTA_MIN {
        return Err(c.fail(
            "EINVAL",
            format!("quota {quota} µs is below the kernel's minimum of {CPU_QUOTA_MIN} µs"),
        ));
    }
    if quota > CPU_QUOTA_MAX {
        return Err(c.fail(
            "EINVAL",
            format!(
                "quota {quota} µs is above the scheduler's maximum of {CPU_QUOTA_MAX} µs (MAX_BW, \
                 about 203 days)"
            ),
        ));
    }
    let burst = ctx.cpu_burst.unwrap_or(0);
    if burst > quota || burst + quota > CPU_QUOTA_MAX {
        return Err(c.fail(
            "EINVAL",
            format!(
                "cpu.max.burst is {burst} µs, and the burst may not exceed the quota ({quota} µs)"
            ),
        ));
    }
    Ok(format!("{quota} {period}"))
}

fn device(c: &Check, token: &str, devices: &dyn DeviceLookup) -> Result<DeviceId, InvalidValue> {
    let id = parse::device_id(token)
        .map_err(|_| c.fail("EINVAL", format!("{token:?} is not MAJ:MIN")))?;
    match devices.is_partition(id) {
        None => Err(c.fail("ENODEV", format!("there is no block device {id}"))),
        Some(true) => Err(c.fail(
            "ENODEV",
            format!("{id} is a partition; io limits apply to whole disks only"),
        )),
        Some(false) => Ok(id),
    }
}

/// io.max: `MAJ:MIN rbps=N wbps=N riops=N wiops=N` (any subset; `max` lifts a limit).
fn io_max(c: &Check, text: &str, devices: &dyn DeviceLookup) -> Result<String, InvalidValue> {
    let mut tokens = text.split_whitespace();
    let dev = device(c, tokens.next().unwrap_or_default(), devices)?;
    let mut out = vec![dev.to_string()];
    for token in tokens {
        let (key, value) = token
            .split_once('=')
            .ok_or_else(|| c.fail("EINVAL", format!("{token:?} is not KEY=VALUE")))?;
        if !matches!(key, "rbps" | "wbps" | "riops" | "wiops") {
            return Err(c.fail(
                "EINVAL",
                format!("unknown key {key:?}: use rbps, wbps, riops or wiops"),
            ));
        }
        let value = if value == "max" {
            "max".to_string()
        } else {
            let n = if key.ends_with("bps") {
                parse_size(value)
            } else {
                value.parse().ok()
            }
            .ok_or_else(|| {
                c.fail(
                    "EINVAL",
                    format!("{key}={value}: expected a number or \"max\""),
                )
            })?;
            if n == 0 {
                return Err(c.fail(
                    "ERANGE",
                    format!("{key}=0 would stop all IO; the kernel refuses 0"),
                ));
            }
            n.to_string()
        };
        out.push(format!("{key}={value}"));
    }
    if out.len() == 1 {
        return Err(c.fail("EINVAL", "name at least one of rbps, wbps, riops, wiops"));
    }
    Ok(out.join(" "))
}

/// io.weight (blk-iocost: 1..10000, EINVAL outside) and io.bfq.weight (BFQ: 1..1000, ERANGE
/// outside): `N` or `default N`, or `MAJ:MIN N` / `MAJ:MIN default`.
fn io_weight(
    c: &Check,
    text: &str,
    devices: &dyn DeviceLookup,
    max: i64,
    range_errno: &'static str,
) -> Result<String, InvalidValue> {
    let weight = |n: &str| kernel_number(c, Kstrto::Ull.parse(n), 1, max, range_errno);
    let tokens: Vec<&str> = text.split_whitespace().collect();
    match tokens.as_slice() {
        [n] | ["default", n] if !n.contains(':') => Ok(format!("default {}", weight(n)?)),
        [dev, n] => {
            let id = device(c, dev, devices)?;
            let n = if *n == "default" {
                "default".to_string()
            } else {
                weight(n)?
            };
            Ok(format!("{id} {n}"))
        }
        _ => Err(c.fail("EINVAL", "expected \"N\", \"default N\" or \"MAJ:MIN N\"")),
    }
}

/// One region of bitmap_parselist() (lib/bitmap-str.c): `A`, `A-B`, `A-B:USED/GROUP`, `all`,
/// `N` for the last bit.
struct Region {
    start: u32,
    end: u32,
    used: u32,
    group: u32,
}

/// bitmap_getnum(): `N` (the last bit), or a decimal `unsigned int` (EOVERFLOW past it).
fn bitmap_getnum(text: &str, last: u32) -> Result<(u32, &str), &'static str> {
    if let Some(rest) = text.strip_prefix('N') {
        return Ok((last, rest));
    }
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err("EINVAL");
    }
    let n = text[..digits].parse::<u32>().map_err(|_| "EOVERFLOW")?;
    Ok((n, &text[digits..]))
}

/// The end of a list (bitmap-str.c's end_of_str) and of a region (end_of_region).
fn end_of_list(c: Option<char>) -> bool {
    matches!(c, None | Some('\n'))
}

fn end_of_region(c: Option<char>) -> bool {
    end_of_list(c) || c.is_some_and(|c| c == ',' || kernel_space(c))
}

/// bitmap_parselist(text, nbits): the regions of a cpu or node list, each checked by
/// bitmap_check_region() (EINVAL when reversed or a bad pattern, ERANGE past `nbits`).
fn bitmap_parselist(text: &str, nbits: u32) -> Result<Vec<Region>, &'static str> {
    let last = nbits.saturating_sub(1);
    let mut regions = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || (kernel_space(c) && c != '\n'));
        if end_of_list(rest.chars().next()) {
            return Ok(regions);
        }
        let all =
            rest.len() >= 3 && rest.is_char_boundary(3) && rest[..3].eq_ignore_ascii_case("all");
        let (start, mut end, mut after) = if all {
            (0, last, &rest[3..])
        } else {
            let (start, after) = bitmap_getnum(rest, last)?;
            (start, start, after)
        };
        if !all && let Some(range_end) = after.strip_prefix('-') {
            (end, after) = bitmap_getnum(range_end, last)?;
        } else if !all && !end_of_region(after.chars().next()) {
            return Err("EINVAL");
        }
        let whole = end.saturating_sub(start).saturating_add(1);
        let (mut used, mut group) = (whole, whole);
        if let Some(pattern) = after.strip_prefix(':') {
            (used, after) = bitmap_getnum(pattern, last)?;
            after = after.strip_prefix('/').ok_or("EINVAL")?;
            (group, after) = bitmap_getnum(after, last)?;
        } else if !end_of_region(after.chars().next()) {
            return Err("EINVAL");
        }
        if start > end || group == 0 || used > group {
            return Err("EINVAL");
        }
        if end >= nbits {
            return Err("ERANGE");
        }
        regions.push(Region {
            start,
            end,
            used,
            group,
        });
        rest = after;
    }
}

/// What a cpuset's cpu list may name: nr_cpu_ids (the bits of a cpumask) and the CPUs of the
/// top cpuset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CpuFacts {
    pub nr_cpu_ids: u32,
    pub allowed: Vec<u32>,
}

impl CpuFacts {
    /// This machine's CPUs (/sys/devices/system/cpu): the possible ones size a cpumask, the
    /// online ones are the top cpuset's.
    pub fn of_this_machine() -> Option<CpuFacts> {
        let read =
            |name: &str| std::fs::read_to_string(format!("/sys/devices/system/cpu/{name}")).ok();
        let possible = cpus_of(&read("possible")?)?;
        let online = cpus_of(&read("online")?)?;
        Some(CpuFacts {
            nr_cpu_ids: possible.iter().max()? + 1,
            allowed: online,
        })
    }
}

/// The CPUs a list names (`0-3,8`), `None` if it is not one.
fn cpus_of(list: &str) -> Option<Vec<u32>> {
    let regions = bitmap_parselist(list.trim(), u32::MAX).ok()?;
    Some(region_bits(&regions).collect())
}

fn region_bits(regions: &[Region]) -> impl Iterator<Item = u32> + '_ {
    regions
        .iter()
        .flat_map(|r| (r.start..=r.end).filter(move |bit| (bit - r.start) % r.group < r.used))
}

/// A cpuset list (`0-3,5`, `0-7:2/4`) as cpuset_write_resmask() takes it: strstrip(), empty for
/// none, else bitmap_parselist() over nr_cpu_ids bits (ERANGE past them), and every CPU in the
/// top cpuset (EINVAL for a CPU that is not there).
fn cpu_list(c: &Check, text: &str, cpus: Option<&CpuFacts>) -> Result<String, InvalidValue> {
    if text.is_empty() {
        return Ok(String::new());
    }
    let nbits = cpus.map_or(u32::MAX, |f| f.nr_cpu_ids);
    let regions = bitmap_parselist(text, nbits).map_err(|errno| match errno {
        "ERANGE" => c.fail(
            errno,
            format!(
                "this machine has CPUs 0 to {} only (nr_cpu_ids)",
                nbits.saturating_sub(1)
            ),
        ),
        _ => c.fail(
            errno,
            "expected CPU numbers and ranges such as 0-3,5 (or 0-7:2/4)",
        ),
    })?;
    if let Some(facts) = cpus
        && let Some(absent) = region_bits(&regions).find(|cpu| !facts.allowed.contains(cpu))
    {
        return Err(c.fail(
            "EINVAL",
            format!("CPU {absent} is not online on this machine (the top cpuset lacks it)"),
        ));
    }
    Ok(text.to_string())
}

/// A PSI trigger (`some|full STALL_US WINDOW_US`) written to cpu/memory/io/irq.pressure, as
/// psi_trigger_create() of kernel/sched/psi.c checks it: `sscanf(buf, "some %u %u")` (text
/// after the numbers ignored), irq only `full`, a window of at most 10 s (before 6.4 also at
/// least 500 ms; for a writer without CAP_SYS_RESOURCE, since 6.5, a multiple of 2 s), and a
/// stall from 1 µs up to the window.
fn psi_trigger(c: &Check, text: &str, irq: bool, ctx: &Context) -> Result<String, InvalidValue> {
    let grammar = || {
        c.fail(
            "EINVAL",
            "expected a trigger \"some STALL WINDOW\" or \"full STALL WINDOW\" in µs",
        )
    };
    let (kind, rest) = ["some", "full"]
        .iter()
        .find_map(|k| text.strip_prefix(k).map(|rest| (*k, rest)))
        .ok_or_else(grammar)?;
    let (stall, rest) = scan_llu(rest).ok_or_else(grammar)?;
    let (window, _) = scan_llu(rest).ok_or_else(grammar)?;
    // `%u` keeps the low 32 bits.
    let (stall, window) = (stall & 0xffff_ffff, window & 0xffff_ffff);
    if irq && kind == "some" {
        return Err(c.fail("EINVAL", "irq.pressure takes only \"full\" triggers"));
    }
    let before_6_4 = ctx.kernel.is_some_and(|v| v < (6, 4));
    let min = if before_6_4 {
        PSI_WINDOW_MIN_BEFORE_6_4
    } else {
        1
    };
    if !(min..=PSI_WINDOW_MAX).contains(&window) {
        return Err(c.fail(
            "EINVAL",
            format!("the window {window} µs is not between {min} and {PSI_WINDOW_MAX} µs"),
        ));
    }
    let since_6_5 = ctx.kernel.is_none_or(|v| v >= (6, 5));
    if since_6_5 && !ctx.psi_privileged && window % PSI_UNPRIVILEGED_WINDOW != 0 {
        return Err(c.fail(
            "EINVAL",
            format!(
                "without CAP_SYS_RESOURCE the window must be a multiple of 2 s (2000000 µs) on \
                 kernels since 6.5; {window} µs is not"
            ),
        ));
    }
    if stall == 0 || stall > window {
        return Err(c.fail(
            "EINVAL",
            format!("the stall {stall} µs must be from 1 µs up to the window ({window} µs)"),
        ));
    }
    Ok(format!("{kind} {stall} {window}"))
}

/// memory.reclaim after strstrip(), by kernel version. Since 6.9 (memory_reclaim(), later
/// user_proactive_reclaim() of mm/vmscan.c): a size read by [`memparse`] that must read at
/// least one character, then options `swappiness=N` (0..200), or `swappiness=max` since 6.15.
/// Before 6.9: page_counter_memparse(buf, "") — the whole text a size, and a blank the most
/// there is. The bytes asked for, or `None` for EINVAL.
pub fn reclaim_request(text: &str, kernel: Option<(u32, u32)>) -> Option<u64> {
    if kernel.is_some_and(|v| v < (6, 9)) {
        if text.is_empty() {
            return Some(u64::MAX);
        }
        let (bytes, read) = memparse(text.as_bytes());
        return (read == text.len()).then_some(bytes);
    }
    let (bytes, read) = memparse(text.as_bytes());
    if read == 0 {
        return None;
    }
    let max_word = kernel.is_none_or(|v| v >= (6, 15));
    for option in text[read..].split(' ').filter(|o| !o.is_empty()) {
        let swappiness = option.strip_prefix("swappiness=")?;
        let ok = (max_word && swappiness == "max") || matches!(kstrtoint(swappiness), Ok(0..=200));
        if !ok {
            return None;
        }
    }
    Some(bytes)
}

fn subtree_control(c: &Check, text: &str) -> Result<String, InvalidValue> {
    let mut out = Vec::new();
    for token in text.split_whitespace() {
        let (sign, name) = token.split_at(token.chars().next().map_or(0, char::len_utf8));
        if !matches!(sign, "+" | "-") {
            return Err(c.fail("EINVAL", format!("{token:?}: each token is +NAME or -NAME")));
        }
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(c.fail("EINVAL", format!("{token:?}: not a controller name")));
        }
        out.push(token.to_string());
    }
    // An empty write is accepted by the kernel and changes nothing.
    Ok(out.join(" "))
}

impl Kstrto {
    fn parse(self, text: &str) -> Result<i64, &'static str> {
        match self {
            Kstrto::Ull => kstrtoull(text).and_then(|n| i64::try_from(n).map_err(|_| "ERANGE")),
            Kstrto::Ll => kstrtoll(text),
            Kstrto::Int => kstrtoint(text).map(i64::from),
        }
    }
}

/// Facts a checker may use beyond the value itself.
#[derive(Default)]
pub struct Context<'a> {
    /// The current cpu.max period, so `50%` keeps it (and a quota alone keeps it, as in the
    /// kernel).
    pub cpu_period: Option<u64>,
    pub devices: Option<&'a dyn DeviceLookup>,
    /// The current cpu.max.burst (µs): the quota may not be below it.
    pub cpu_burst: Option<u64>,
    /// The CPUs a cpuset may name; `None`: not checked.
    pub cpus: Option<CpuFacts>,
    /// The writer has CAP_SYS_RESOURCE (PSI trigger windows are free of the 2 s rule).
    pub psi_privileged: bool,
    /// The running kernel's (major, minor), for rules that changed; `None`: the newest rules.
    pub kernel: Option<(u32, u32)>,
}

/// The running kernel's (major, minor) version, from uname(2).
pub fn kernel_version() -> Option<(u32, u32)> {
    let uname = rustix::system::uname();
    let release = uname.release().to_str().ok()?;
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// Whether this process has CAP_SYS_RESOURCE in its effective set (/proc/self/status CapEff).
pub fn has_cap_sys_resource() -> bool {
    const CAP_SYS_RESOURCE: u32 = 24;
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let hex = status.lines().find_map(|l| l.strip_prefix("CapEff:"))?;
            u64::from_str_radix(hex.trim(), 16).ok()
        })
        .is_some_and(|caps| caps & (1 << CAP_SYS_RESOURCE) != 0)
}

struct NoDevices;

impl DeviceLookup for NoDevices {
    fn is_partition(&self, _: DeviceId) -> Option<bool> {
        None
    }
}

/// Check `value` for `file` of `cgroup` and return the exact text to write, with what the
/// machine tells: the cgroup's current cpu.max period and the block devices. The one place
/// where a value is checked before a write, and before a prediction.
pub fn check(
    fs: &crate::Cgroupfs,
    cgroup: &crate::CgroupPath,
    file: &str,
    value: &str,
) -> Result<String, InvalidValue> {
    let cpu_period = match crate::interface::lookup(file).map(|s| s.grammar) {
        Some(Grammar::CpuMax) => fs
            .get(cgroup, crate::interface::CPU_MAX)
            .ok()
            .flatten()
            .map(|m| m.period_usec),
        _ => None,
    };
    let grammar = crate::interface::lookup(file).map(|s| s.grammar);
    let cpu_burst = match grammar {
        Some(Grammar::CpuMax) => fs
            .read_text(cgroup, "cpu.max.burst")
            .ok()
            .flatten()
            .and_then(|t| t.trim().parse().ok()),
        _ => None,
    };
    let cpus = match grammar {
        Some(Grammar::CpuList) if file.starts_with("cpuset.cpus") => CpuFacts::of_this_machine(),
        _ => None,
    };
    let devices = fs.devices();
    let ctx = Context {
        cpu_period,
        devices: Some(&devices),
        cpu_burst,
        cpus,
        psi_privileged: has_cap_sys_resource(),
        kernel: kernel_version(),
    };
    normalize(file, value, &ctx)
}

/// Check `value` for `file` by the grammar of its handler ([`crate::interface`]) and return
/// the exact text to write.
pub fn normalize(file: &str, value: &str, ctx: &Context) -> Result<String, InvalidValue> {
    let c = Check { file, value };
    let text = value.trim();
    if text.chars().any(char::is_control) {
        return Err(c.fail("EINVAL", "control characters are not allowed"));
    }
    let devices = ctx.devices.unwrap_or(&NoDevices);
    let grammar = crate::interface::lookup(file).map_or(Grammar::Unchecked, |s| s.grammar);
    match grammar {
        // Zero bytes are never written (the kernel would change nothing); a blank is 0.
        Grammar::SizeOrMax if value.is_empty() => Err(c.fail("EINVAL", "empty value")),
        Grammar::SizeOrMax => size_or_max(&c, text),
        Grammar::Reclaim => match reclaim_request(text, ctx.kernel) {
            Some(_) => Ok(text.to_string()),
            // cgtui's own forms (1.5G, 64MB), converted to bytes.
            None => match friendly_size(text) {
                Some(bytes) => Ok(bytes.to_string()),
                None => Err(c.fail(
                    "EINVAL",
                    "expected a size to reclaim, such as 64M (then swappiness=N if wanted)",
                )),
            },
        },
        Grammar::Psi { irq } => psi_trigger(&c, text, irq, ctx),
        Grammar::Integer { max_word: true, .. } if text == "max" => Ok("max".into()),
        // Each number is parsed as its handler parses it (kstrto*: EINVAL, or ERANGE on
        // overflow), then checked against the handler's range with the handler's errno.
        Grammar::Integer {
            parse,
            min,
            max,
            range_errno,
            ..
        } => kernel_number(&c, parse.parse(text), min, max, range_errno),
        Grammar::Kill => {
            kernel_number(&c, Kstrto::Int.parse(text), 1, 1, "ERANGE").map_err(|mut e| {
                e.reason
                    .push_str(": only 1 is accepted, and it kills every process in the cgroup");
                e
            })
        }
        Grammar::CpuMax => cpu_max(&c, text, ctx),
        Grammar::IoMax => io_max(&c, text, devices),
        Grammar::IoWeight { max, range_errno } => io_weight(&c, text, devices, max, range_errno),
        Grammar::CpuList => cpu_list(&c, text, ctx.cpus.as_ref()),
        Grammar::Words(words) if words.contains(&text) => Ok(text.into()),
        Grammar::Words([only]) => Err(c.fail("EINVAL", format!("only {only:?} can be written"))),
        Grammar::Words(words) => {
            Err(c.fail("EINVAL", format!("expected one of: {}", words.join(", "))))
        }
        Grammar::SubtreeControl => subtree_control(&c, text),
        Grammar::Pid => match kernel_pid(text) {
            Some(pid) => Ok(pid.to_string()),
            None => Err(c.fail(
                "EINVAL",
                "expected a PID (0 means the writer itself; 0x1a2b and 017 are read as the kernel \
                 reads them)",
            )),
        },
        Grammar::Unchecked if text.is_empty() => Err(c.fail("EINVAL", "empty value")),
        // Files whose grammar cgtui does not know are left to the kernel.
        Grammar::Unchecked => Ok(text.to_string()),
    }
}

/// Whether cgtui knows the grammar of `file` (others are passed to the kernel unchecked).
pub fn is_known(file: &str) -> bool {
    crate::interface::lookup(file).is_some_and(|s| s.grammar != Grammar::Unchecked)
}

#[cfg(test)]
mod tests;
