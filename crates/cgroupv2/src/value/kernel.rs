//! The kernel's own number and size parsers, as they read text: memparse, kstrto*, simple_strtoull,
//! the sscanf of cpu.max.

use super::*;

/// The kernel's whitespace (isspace() of lib/ctype.c, ASCII part), which strstrip() removes.
pub(super) fn kernel_space(c: char) -> bool {
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
pub(super) fn suffix_shift(suffix: u8) -> u32 {
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
pub(super) fn friendly_size(text: &str) -> Option<u64> {
    let own_form = text.contains('.') || text.ends_with(['b', 'B']);
    own_form.then(|| parse_size(text)).flatten()
}

/// `max` or a size, as page_counter_memparse() reads it; failing that, cgtui's own forms the
/// kernel does not take (`1.5G`, `512MB`, `4KiB`), converted to bytes.
pub(super) fn size_or_max(c: &Check, text: &str) -> Result<String, InvalidValue> {
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
pub(super) fn kernel_number(
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
pub(super) fn scan_llu(text: &str) -> Option<(u64, &str)> {
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
