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

mod grammars;
mod kernel;

pub use grammars::*;
pub use kernel::*;

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
