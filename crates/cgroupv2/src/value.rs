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

fn size_or_max(c: &Check, text: &str) -> Result<String, InvalidValue> {
    if text == "max" {
        return Ok("max".into());
    }
    let bytes = parse_size(text).ok_or_else(|| {
        c.fail(
            "EINVAL",
            "expected \"max\" or a size such as 4096, 512M or 1.5G",
        )
    })?;
    // page_counter_memparse() clamps a larger size to PAGE_COUNTER_MAX, which reads back as
    // "max": write that, so the value read back is the value written.
    if bytes > MAX_BYTES {
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

/// cpu.max: `max`, `QUOTA`, `QUOTA PERIOD`, `max PERIOD`, or `N%` of one CPU (at the current
/// period, or 100 ms). Quota and period in microseconds.
fn cpu_max(c: &Check, text: &str, current_period: Option<u64>) -> Result<String, InvalidValue> {
    let period_default = current_period.unwrap_or(CPU_DEFAULT_PERIOD);
    let mut tokens = text.split_whitespace();
    let (quota, period) = match (tokens.next(), tokens.next(), tokens.next()) {
        (Some(q), p, None) => (q, p),
        _ => {
            return Err(c.fail(
                "EINVAL",
                "expected \"max\", \"QUOTA PERIOD\" (µs) or \"N%\"",
            ));
        }
    };
    let period = match period {
        None => period_default,
        Some(p) => p.parse::<u64>().map_err(|_| {
            c.fail(
                "EINVAL",
                format!("period {p:?} is not a number of microseconds"),
            )
        })?,
    };
    if !(CPU_PERIOD_MIN..=CPU_PERIOD_MAX).contains(&period) {
        return Err(c.fail(
            "EINVAL",
            format!("period {period} µs is not between {CPU_PERIOD_MIN} and {CPU_PERIOD_MAX} µs"),
        ));
    }
    let quota = if quota == "max" {
        return Ok(format!("max {period}"));
    } else if let Some(pct) = quota.strip_suffix('%') {
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
        (pct / 100.0 * period as f64).round() as u64
    } else {
        quota.parse::<u64>().map_err(|_| {
            c.fail(
                "EINVAL",
                format!("quota {quota:?} is not a number of microseconds"),
            )
        })?
    };
    if quota < CPU_QUOTA_MIN {
        return Err(c.fail(
            "EINVAL",
            format!("quota {quota} µs is below the kernel's minimum of {CPU_QUOTA_MIN} µs"),
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

/// A cpuset list: `0-3,5,7-8`.
fn cpu_list(c: &Check, text: &str) -> Result<String, InvalidValue> {
    if text.is_empty() {
        return Ok(String::new());
    }
    for part in text.split(',') {
        let ok = match part.split_once('-') {
            Some((a, b)) => {
                matches!((a.parse::<u32>(), b.parse::<u32>()), (Ok(a), Ok(b)) if a <= b)
            }
            None => part.parse::<u32>().is_ok(),
        };
        if !ok {
            return Err(c.fail("EINVAL", format!("{part:?} is not N or N-M (as in 0-3,5)")));
        }
    }
    Ok(text.to_string())
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
    /// The current cpu.max period, so `50%` keeps it.
    pub cpu_period: Option<u64>,
    pub devices: Option<&'a dyn DeviceLookup>,
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
    let devices = fs.devices();
    let ctx = Context {
        cpu_period,
        devices: Some(&devices),
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
        Grammar::SizeOrMax => size_or_max(&c, text),
        Grammar::Size => match parse_size(text) {
            Some(b) if b > 0 => Ok(b.to_string()),
            _ => Err(c.fail("EINVAL", "expected a size to reclaim, such as 64M")),
        },
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
        Grammar::CpuMax => cpu_max(&c, text, ctx.cpu_period),
        Grammar::IoMax => io_max(&c, text, devices),
        Grammar::IoWeight { max, range_errno } => io_weight(&c, text, devices, max, range_errno),
        Grammar::CpuList => cpu_list(&c, text),
        Grammar::Words(words) if words.contains(&text) => Ok(text.into()),
        Grammar::Words([only]) => Err(c.fail("EINVAL", format!("only {only:?} can be written"))),
        Grammar::Words(words) => {
            Err(c.fail("EINVAL", format!("expected one of: {}", words.join(", "))))
        }
        Grammar::SubtreeControl => subtree_control(&c, text),
        Grammar::Pid => match text.parse::<u32>() {
            Ok(pid) if pid <= i32::MAX as u32 => Ok(pid.to_string()),
            _ => Err(c.fail("EINVAL", "expected a PID (0 means the writer itself)")),
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
mod tests {
    use super::*;

    struct Disks;
    impl DeviceLookup for Disks {
        fn is_partition(&self, id: DeviceId) -> Option<bool> {
            match (id.major, id.minor) {
                (254, 0) => Some(false),
                (254, 1) => Some(true),
                _ => None,
            }
        }
    }

    fn ok(file: &str, value: &str) -> String {
        let ctx = Context {
            cpu_period: None,
            devices: Some(&Disks),
        };
        normalize(file, value, &ctx).unwrap_or_else(|e| panic!("{e}"))
    }

    fn bad(file: &str, value: &str) -> InvalidValue {
        let ctx = Context {
            cpu_period: None,
            devices: Some(&Disks),
        };
        normalize(file, value, &ctx).expect_err("must be refused")
    }

    #[test]
    fn sizes_with_units() {
        assert_eq!(ok("memory.max", "512M"), "536870912");
        assert_eq!(ok("memory.max", "1.5G"), "1610612736");
        assert_eq!(ok("memory.high", "max"), "max");
        assert_eq!(ok("memory.low", " 4096 "), "4096");
        assert_eq!(ok("hugetlb.2MB.max", "4M"), "4194304");
        assert_eq!(bad("memory.max", "-1").errno, "EINVAL");
        assert_eq!(bad("memory.max", "12Q").errno, "EINVAL");
        assert!(bad("memory.max", "max\u{1b}").reason.contains("control"));
    }

    #[test]
    fn cpu_max_forms_and_limits() {
        assert_eq!(ok("cpu.max", "max"), "max 100000");
        assert_eq!(ok("cpu.max", "50%"), "50000 100000");
        assert_eq!(ok("cpu.max", "200%"), "200000 100000");
        assert_eq!(ok("cpu.max", "20000 50000"), "20000 50000");
        let ctx = Context {
            cpu_period: Some(10_000),
            devices: None,
        };
        assert_eq!(normalize("cpu.max", "50%", &ctx).unwrap(), "5000 10000");
        assert!(
            bad("cpu.max", "999 100000")
                .reason
                .contains("minimum of 1000")
        );
        assert!(bad("cpu.max", "5000 2000000").reason.contains("period"));
        assert_eq!(bad("cpu.max", "abc").errno, "EINVAL");
        assert_eq!(bad("cpu.max", "0.5%").errno, "EINVAL"); // 500 µs
    }

    #[test]
    fn weights_and_counts() {
        assert_eq!(ok("cpu.weight", "100"), "100");
        assert_eq!(bad("cpu.weight", "0").errno, "ERANGE");
        assert_eq!(bad("cpu.weight", "10001").errno, "ERANGE");
        assert_eq!(ok("pids.max", "max"), "max");
        assert_eq!(ok("pids.max", "42"), "42");
        assert_eq!(bad("pids.max", "-3").errno, "EINVAL");
        assert_eq!(ok("cgroup.max.descendants", "10"), "10");
        // Derived from each handler: kstrtoull refuses a sign, kstrtoint overflows to ERANGE.
        assert_eq!(bad("cpu.weight", "-1").errno, "EINVAL");
        assert_eq!(ok("cpu.weight", "0x10"), "16");
        assert_eq!(bad("cpu.weight.nice", "20").errno, "ERANGE");
        assert_eq!(ok("cpu.weight.nice", "-20"), "-20");
        assert_eq!(ok("pids.max", "4194304"), "4194304");
        assert_eq!(bad("pids.max", "4194305").errno, "EINVAL");
        assert_eq!(bad("cgroup.max.depth", "99999999999").errno, "ERANGE");
        assert_eq!(ok("cgroup.max.depth", "0x1"), "1");
        assert_eq!(bad("memory.oom.group", "2").errno, "EINVAL");
        assert_eq!(bad("memory.oom.group", "x").errno, "EINVAL");
        assert_eq!(bad("cpu.idle", "2").errno, "EINVAL");
        assert_eq!(bad("io.weight", "10001").errno, "EINVAL");
        assert_eq!(bad("io.bfq.weight", "1001").errno, "ERANGE");
        assert_eq!(ok("memory.max", "9223372036854775807"), "max");
    }

    #[test]
    fn kernel_integer_parsing() {
        assert_eq!(kstrtoull("0x1f"), Ok(31));
        assert_eq!(kstrtoull("017"), Ok(15));
        assert_eq!(kstrtoull("+5\n"), Ok(5));
        assert_eq!(kstrtoull("08"), Err("EINVAL"));
        assert_eq!(kstrtoull("0x"), Err("EINVAL"));
        assert_eq!(kstrtoull(""), Err("EINVAL"));
        assert_eq!(kstrtoull("-1"), Err("EINVAL"));
        assert_eq!(kstrtoull("99999999999999999999"), Err("ERANGE"));
        assert_eq!(kstrtoll("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(kstrtoll("9223372036854775808"), Err("ERANGE"));
        assert_eq!(kstrtoint("2147483648"), Err("ERANGE"));
        assert_eq!(kstrtoint("-0x10"), Ok(-16));
    }

    #[test]
    fn io_max_devices_and_zero() {
        assert_eq!(
            ok("io.max", "254:0 rbps=10M wiops=max"),
            "254:0 rbps=10485760 wiops=max"
        );
        assert_eq!(bad("io.max", "254:1 rbps=1").errno, "ENODEV");
        assert_eq!(bad("io.max", "9:9 rbps=1").errno, "ENODEV");
        assert_eq!(bad("io.max", "254:0 rbps=0").errno, "ERANGE");
        assert_eq!(bad("io.max", "254:0 foo=1").errno, "EINVAL");
        assert_eq!(bad("io.max", "254:0").errno, "EINVAL");
        assert_eq!(ok("io.weight", "200"), "default 200");
        assert_eq!(ok("io.weight", "254:0 50"), "254:0 50");
    }

    #[test]
    fn core_files() {
        assert_eq!(ok("cgroup.subtree_control", "+memory  -io"), "+memory -io");
        assert_eq!(bad("cgroup.subtree_control", "memory").errno, "EINVAL");
        assert_eq!(ok("cgroup.procs", "1234"), "1234");
        assert_eq!(bad("cgroup.procs", "abc").errno, "EINVAL");
        assert_eq!(ok("cgroup.freeze", "1"), "1");
        assert_eq!(bad("cgroup.freeze", "2").errno, "ERANGE");
        assert_eq!(bad("cgroup.freeze", "x").errno, "EINVAL");
        assert_eq!(ok("cgroup.freeze", "0x1"), "1");
        assert_eq!(bad("cgroup.kill", "x").errno, "EINVAL");
        assert_eq!(bad("cgroup.kill", "2").errno, "ERANGE");
        assert_eq!(ok("cgroup.subtree_control", "  "), "");
        assert_eq!(bad("cgroup.max.depth", "-1").errno, "ERANGE");
        assert_eq!(bad("cgroup.kill", "0").errno, "ERANGE");
        assert_eq!(ok("cgroup.type", "threaded"), "threaded");
        assert_eq!(ok("cpuset.cpus", "0-3,5"), "0-3,5");
        assert_eq!(bad("cpuset.cpus", "3-1").errno, "EINVAL");
        assert!(is_known("memory.max"));
        assert!(!is_known("memory.something_new"));
    }
}
