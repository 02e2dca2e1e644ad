//! The grammars of the files whose values are more than a number: cpu.max, io.max, io.weight,
//! cpuset lists, PSI triggers, memory.reclaim, cgroup.subtree_control.

use super::*;

/// cpu.max: what cpu_period_quota_parse() and tg_set_bandwidth() accept (`max`, `QUOTA`,
/// `QUOTA PERIOD`, `max PERIOD` in µs, trailing text ignored), or cgtui's `N%` of one CPU (at
/// the current period, or 100 ms), converted to µs. Bounds: period 1 ms..1 s, quota at least
/// 1 ms and at most [`CPU_QUOTA_MAX`], burst no more than the quota.
pub(super) fn cpu_max(c: &Check, text: &str, ctx: &Context) -> Result<String, InvalidValue> {
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

pub(super) fn device(
    c: &Check,
    token: &str,
    devices: &dyn DeviceLookup,
) -> Result<DeviceId, InvalidValue> {
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
pub(super) fn io_max(
    c: &Check,
    text: &str,
    devices: &dyn DeviceLookup,
) -> Result<String, InvalidValue> {
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
pub(super) fn io_weight(
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
pub(super) struct Region {
    start: u32,
    end: u32,
    used: u32,
    group: u32,
}

/// bitmap_getnum(): `N` (the last bit), or a decimal `unsigned int` (EOVERFLOW past it).
pub(super) fn bitmap_getnum(text: &str, last: u32) -> Result<(u32, &str), &'static str> {
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
pub(super) fn end_of_list(c: Option<char>) -> bool {
    matches!(c, None | Some('\n'))
}

pub(super) fn end_of_region(c: Option<char>) -> bool {
    end_of_list(c) || c.is_some_and(|c| c == ',' || kernel_space(c))
}

/// bitmap_parselist(text, nbits): the regions of a cpu or node list, each checked by
/// bitmap_check_region() (EINVAL when reversed or a bad pattern, ERANGE past `nbits`).
pub(super) fn bitmap_parselist(text: &str, nbits: u32) -> Result<Vec<Region>, &'static str> {
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
pub(super) fn cpus_of(list: &str) -> Option<Vec<u32>> {
    let regions = bitmap_parselist(list.trim(), u32::MAX).ok()?;
    Some(region_bits(&regions).collect())
}

pub(super) fn region_bits(regions: &[Region]) -> impl Iterator<Item = u32> + '_ {
    regions
        .iter()
        .flat_map(|r| (r.start..=r.end).filter(move |bit| (bit - r.start) % r.group < r.used))
}

/// A cpuset list (`0-3,5`, `0-7:2/4`) as cpuset_write_resmask() takes it: strstrip(), empty for
/// none, else bitmap_parselist() over nr_cpu_ids bits (ERANGE past them), and every CPU in the
/// top cpuset (EINVAL for a CPU that is not there).
pub(super) fn cpu_list(
    c: &Check,
    text: &str,
    cpus: Option<&CpuFacts>,
) -> Result<String, InvalidValue> {
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
pub(super) fn psi_trigger(
    c: &Check,
    text: &str,
    irq: bool,
    ctx: &Context,
) -> Result<String, InvalidValue> {
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

pub(super) fn subtree_control(c: &Check, text: &str) -> Result<String, InvalidValue> {
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
