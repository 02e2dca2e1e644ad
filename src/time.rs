//! Time for the whole app: the clock ([`now_ms`]), civil dates, and the text of times.
//!
//! TIME arguments: RFC 3339 (`2026-12-01T03:12:00Z`, `2026-12-01 03:12:00+01:00`), Unix time
//! (`1764558720`, `@1764558720.5`), relative (`-10m`, `-2h`, `-1h30m`, `now`), and clock times
//! `HH:MM[:SS]`, `today 03:00`, `yesterday 03:00`. Times without a zone are UTC (the store
//! and every timestamp cgtui prints are UTC). Durations: `90s`, `10m`, `2h`, `7d`, `1w`.

use std::time::{SystemTime, UNIX_EPOCH};

pub const DAY_MS: i64 = 86_400_000;

/// Now, in Unix milliseconds (0 if the clock is before 1970).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Now as Unix ms, and that same moment on the monotonic clock samples are read on: what a
/// recorded sample's read times are counted from.
pub fn now_ms_anchored() -> (i64, u64) {
    let mono = crate::cgroup::sample::monotonic_ns();
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let ms = wall.as_millis() as i64;
    let below_ms = u64::from(wall.subsec_nanos() % 1_000_000);
    (ms, mono.saturating_sub(below_ms))
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a day number since 1970-01-01 (the inverse of
/// [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Unix seconds as UTC ISO 8601: `2024-05-01T12:00:00Z` (before 1970 reads as 1970).
pub fn utc_timestamp(unix: f64) -> String {
    let secs = unix.max(0.0) as i64;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Unix milliseconds as `2026-12-01T03:12:00.123Z`.
pub fn format_ms(ms: i64) -> String {
    let secs = utc_timestamp(ms.div_euclid(1000) as f64);
    format!("{}.{:03}Z", secs.trim_end_matches('Z'), ms.rem_euclid(1000))
}

/// A span of time, as short as it reads: `45s`, `12m`, `2h`, `2h 30m`, `3d`, `1d 4h`.
pub fn format_span(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    let (d, h, m) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

fn number(text: &str, what: &str, max: i64) -> Result<i64, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{what} {text:?} is not a number"));
    }
    let v: i64 = text
        .parse()
        .map_err(|_| format!("{what} {text:?} is too large"))?;
    if v > max {
        return Err(format!("{what} {v} is out of range (at most {max})"));
    }
    Ok(v)
}

/// `HH:MM[:SS[.fff]]` as milliseconds after midnight.
fn clock(text: &str) -> Result<i64, String> {
    let mut parts = text.split(':');
    let h = number(parts.next().unwrap_or_default(), "hour", 23)?;
    let m = number(
        parts
            .next()
            .ok_or_else(|| format!("{text:?}: expected HH:MM"))?,
        "minute",
        59,
    )?;
    let s_ms = match parts.next() {
        None => 0,
        Some(s) => {
            let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
            let secs = number(whole, "second", 60)?;
            let frac_ms = if frac.is_empty() {
                0
            } else {
                let digits: String = frac.chars().chain("000".chars()).take(3).collect();
                number(&digits, "fraction", 999)?
            };
            secs * 1000 + frac_ms
        }
    };
    if parts.next().is_some() {
        return Err(format!("{text:?}: expected HH:MM or HH:MM:SS"));
    }
    Ok((h * 3600 + m * 60) * 1000 + s_ms)
}

/// RFC 3339 (a space may stand for the `T`; no zone means UTC) as Unix milliseconds.
pub fn parse_rfc3339(text: &str) -> Result<i64, String> {
    let bad = || format!("{text:?} is not a date and time like 2026-12-01T03:12:00Z");
    let (date, rest) = text.split_once(['T', 't', ' ']).ok_or_else(bad)?;
    let mut d = date.split('-');
    let y = number(d.next().ok_or_else(bad)?, "year", 9999)?;
    let mo = number(d.next().ok_or_else(bad)?, "month", 12)?;
    let day = number(d.next().ok_or_else(bad)?, "day", 31)?;
    if d.next().is_some() || mo == 0 || day == 0 {
        return Err(bad());
    }
    let (time, offset_ms) = if let Some(t) = rest.strip_suffix(['Z', 'z']) {
        (t, 0)
    } else if let Some(pos) = rest.rfind(['+', '-']) {
        let (t, zone) = rest.split_at(pos);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (zh, zm) = zone[1..].split_once(':').ok_or_else(bad)?;
        (
            t,
            sign * (number(zh, "zone hour", 23)? * 60 + number(zm, "zone minute", 59)?) * 60_000,
        )
    } else {
        (rest, 0)
    };
    Ok(days_from_civil(y, mo, day) * DAY_MS + clock(time)? - offset_ms)
}

/// `10m`, `2h`, `1h30m`, `7d`, `1w`, `90s`, `500ms` as milliseconds.
pub fn parse_duration_ms(text: &str) -> Result<i64, String> {
    let bad = |why: &str| format!("{text:?} is not a duration like 10m, 2h or 7d: {why}");
    if text.is_empty() {
        return Err(bad("it is empty"));
    }
    let mut total: i64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return Err(bad("a number must come before each unit"));
        }
        let n: i64 = rest[..digits].parse().map_err(|_| bad("too large"))?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
        let unit = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1000,
            "m" | "min" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 7 * 86_400_000,
            "" => return Err(bad("a unit is missing (s, m, h, d, w)")),
            other => return Err(bad(&format!("unknown unit {other:?} (s, m, h, d, w)"))),
        };
        rest = &rest[unit_len..];
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| bad("too large"))?;
    }
    Ok(total)
}

/// 9999-12-31T23:59:59Z: a Unix time past it (or infinite, or not a number) is refused.
const LAST_UNIX_SECOND: f64 = 253_402_300_799.0;

/// A TIME argument as Unix milliseconds; `now_ms` for relative times.
pub fn parse_time(text: &str, now_ms: i64) -> Result<i64, String> {
    let text = text.trim();
    let today = now_ms.div_euclid(DAY_MS) * DAY_MS;
    if text == "now" {
        return Ok(now_ms);
    }
    if let Some(ago) = text.strip_prefix('-') {
        return Ok(now_ms - parse_duration_ms(ago)?);
    }
    if let Some(unix) = text.strip_prefix('@').or_else(|| {
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.')).then_some(text)
    }) {
        let secs: f64 = unix
            .parse()
            .ok()
            .filter(|s: &f64| (0.0..=LAST_UNIX_SECOND).contains(s))
            .ok_or_else(|| format!("{text:?} is not a Unix time from 1970 to 9999"))?;
        return Ok((secs * 1000.0).round() as i64);
    }
    for (word, day) in [("today", today), ("yesterday", today - DAY_MS)] {
        if let Some(rest) = text.strip_prefix(word) {
            let rest = rest.trim();
            return Ok(day + if rest.is_empty() { 0 } else { clock(rest)? });
        }
    }
    if text.len() <= 12 && text.contains(':') && !text.contains('-') {
        return Ok(today + clock(text)?);
    }
    parse_rfc3339(text).map_err(|e| {
        format!(
            "{e}; TIME is RFC 3339 (2026-12-01T03:12:00Z), a Unix time (1764558720), relative \
             (-10m, -2h), HH:MM, `today 03:00` or `yesterday 03:00` (UTC)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_764_558_720_000; // 2025-12-01T03:12:00Z

    #[test]
    fn times() {
        assert_eq!(parse_time("2025-12-01T03:12:00Z", 0), Ok(NOW));
        for bad in ["@-inf", "@inf", "@nan", "@-1", "@1e300"] {
            assert!(parse_time(bad, NOW).is_err(), "{bad}");
        }
        assert_eq!(parse_time("2025-12-01 03:12:00", 0), Ok(NOW));
        assert_eq!(parse_time("2025-12-01T04:12:00+01:00", 0), Ok(NOW));
        assert_eq!(parse_time("2025-12-01T03:12:00.250Z", 0), Ok(NOW + 250));
        assert_eq!(parse_time("1764558720", 0), Ok(NOW));
        assert_eq!(parse_time("@1764558720.5", 0), Ok(NOW + 500));
        assert_eq!(parse_time("-10m", NOW), Ok(NOW - 600_000));
        assert_eq!(parse_time("-1h30m", NOW), Ok(NOW - 5_400_000));
        assert_eq!(parse_time("now", NOW), Ok(NOW));
        assert_eq!(parse_time("03:12", NOW + 5000), Ok(NOW));
        assert_eq!(parse_time("today 03:12", NOW), Ok(NOW));
        assert_eq!(parse_time("yesterday 03:12", NOW), Ok(NOW - 86_400_000));
        assert_eq!(format_ms(NOW + 7), "2025-12-01T03:12:00.007Z");
        assert_eq!(parse_time(&format_ms(NOW + 7), 0), Ok(NOW + 7));
        for bad in [
            "",
            "-",
            "-10",
            "-10x",
            "25:00",
            "yesterday 3",
            "2025-13-01T00:00:00Z",
            "soon",
        ] {
            let err = parse_time(bad, NOW).unwrap_err();
            assert!(!err.is_empty(), "{bad}");
        }
    }

    #[test]
    fn spans() {
        assert_eq!(format_span(45_000), "45s");
        assert_eq!(format_span(12 * 60_000 + 5_000), "12m");
        assert_eq!(format_span(2 * 3_600_000), "2h");
        assert_eq!(format_span(2 * 3_600_000 + 30 * 60_000), "2h 30m");
        assert_eq!(format_span(3 * 86_400_000 + 59_000), "3d");
        assert_eq!(format_span(86_400_000 + 4 * 3_600_000), "1d 4h");
        assert_eq!(format_span(-5), "0s");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("7d"), Ok(7 * 86_400_000));
        assert_eq!(parse_duration_ms("1w"), Ok(7 * 86_400_000));
        assert!(parse_duration_ms("7").is_err());
        assert!(parse_duration_ms("7y").is_err());
    }

    #[test]
    fn timestamps_in_utc() {
        assert_eq!(utc_timestamp(0.0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(951_782_400.0), "2000-02-29T00:00:00Z");
        assert_eq!(utc_timestamp(1_714_564_800.5), "2024-05-01T12:00:00Z");
        assert_eq!(utc_timestamp(-5.0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn civil_dates_round_trip() {
        for (days, date) in [
            (0, (1970, 1, 1)),
            (-1, (1969, 12, 31)),
            (11_016, (2000, 2, 29)),
            (19_844, (2024, 5, 1)),
            (2_932_896, (9999, 12, 31)),
        ] {
            assert_eq!(civil_from_days(days), date);
            assert_eq!(days_from_civil(date.0, date.1, date.2), days);
        }
        for days in -800_000..800_000 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn the_clock_is_unix_milliseconds() {
        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default();
        let now = now_ms();
        assert!(now >= before && now - before < 60_000, "{before} {now}");
    }
}
