//! Compact, fixed-width renderings of numbers, and text fitted to a width.

use crate::cgroup::Limit;
use unicode_width::UnicodeWidthChar;

/// Bytes in binary units: `512`, `4.0K`, `1.5G`.
pub fn bytes(value: f64) -> String {
    const UNITS: [&str; 6] = ["", "K", "M", "G", "T", "P"];
    let mut v = value.max(0.0);
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{v:.0}"),
        _ if v >= 100.0 => format!("{v:.0}{}", UNITS[unit]),
        _ => format!("{v:.1}{}", UNITS[unit]),
    }
}

pub fn opt_bytes(value: Option<u64>) -> String {
    value.map_or_else(|| "-".into(), |v| bytes(v as f64))
}

pub fn opt_rate(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), bytes)
}

pub fn limit(value: Option<Limit>) -> String {
    match value {
        None => "-".into(),
        Some(Limit::Max) => "max".into(),
        Some(Limit::Value(v)) => bytes(v as f64),
    }
}

/// A size limit in the tree's binary units where that is exact (`256M`, `max`), else in
/// bytes: a value to edit, which must mean exactly what the file holds.
pub fn exact_size_limit(value: Option<Limit>) -> String {
    const UNITS: [&str; 4] = ["T", "G", "M", "K"];
    match value {
        Some(Limit::Value(v)) if v > 0 => UNITS
            .iter()
            .zip([40u32, 30, 20, 10])
            .find(|(_, shift)| v % (1u64 << shift) == 0)
            .map_or_else(
                || v.to_string(),
                |(unit, shift)| format!("{}{unit}", v >> shift),
            ),
        other => plain_limit(other),
    }
}

pub fn plain_limit(value: Option<Limit>) -> String {
    value.map_or_else(|| "-".into(), |l| l.to_string())
}

pub fn percent(value: Option<f64>) -> String {
    match value {
        None => "-".into(),
        Some(v) if v >= 1000.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.1}"),
    }
}

pub fn count(value: Option<u64>) -> String {
    value.map_or_else(|| "-".into(), |v| v.to_string())
}

/// `1 cgroup`, `2 cgroups`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else if let Some(stem) = word.strip_suffix("ss") {
        format!("{n} {stem}sses")
    } else {
        format!("{n} {word}s")
    }
}

/// Cells `text` takes on a terminal.
pub fn width(text: &str) -> usize {
    text.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// `text` cut to `max` cells, ending in `…` when it was cut.
pub fn fit(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `text` cut to `max` cells at the end of a word (a space or a `/`), ending in `…` when it
/// was cut; inside a word only when no word fits.
pub fn fit_words(text: &str, max: usize) -> String {
    let cut = fit(text, max);
    if cut == text || max == 0 {
        return cut;
    }
    let kept = cut.trim_end_matches('…');
    match kept.rfind([' ', '/']) {
        Some(at) if at > 0 => format!("{}…", kept[..=at].trim_end()),
        _ => cut,
    }
}

/// `text` cut to `max` cells from the left, starting with `…` when it was cut (paths keep
/// their end).
pub fn fit_left(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        tail.push(c);
        used += w;
    }
    std::iter::once('…').chain(tail.into_iter().rev()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_size_limits_read_like_the_tree_and_mean_the_same_bytes() {
        for (bytes, text) in [
            (268_435_456, "256M"),
            (209_715_200, "200M"),
            (3 << 30, "3G"),
            (1 << 40, "1T"),
            (176_128, "172K"),
            (1_610_612_736, "1536M"),
            (4097, "4097"),
            (0, "0"),
        ] {
            let shown = exact_size_limit(Some(Limit::Value(bytes)));
            assert_eq!(shown, text);
            assert_eq!(crate::cgroup::value::parse_size(&shown), Some(bytes));
        }
        assert_eq!(exact_size_limit(Some(Limit::Max)), "max");
    }

    #[test]
    fn fitting_cuts_at_the_end_of_a_word_and_says_so() {
        let source = "cgroup2 at /sys/fs/cgroup/unified (rw)";
        assert_eq!(fit_words(source, 60), source);
        assert_eq!(fit_words(source, 24), "cgroup2 at /sys/fs/…");
        assert_eq!(fit_words(source, 12), "cgroup2 at…");
        assert_eq!(fit_words("abcdefghij", 5), "abcd…");
    }

    #[test]
    fn byte_units() {
        assert_eq!(bytes(512.0), "512");
        assert_eq!(bytes(4096.0), "4.0K");
        assert_eq!(bytes(209715200.0), "200M");
        assert_eq!(bytes(1.5 * 1024.0 * 1024.0 * 1024.0), "1.5G");
        assert_eq!(limit(Some(Limit::Max)), "max");
        assert_eq!(percent(Some(12.345)), "12.3");
        assert_eq!(percent(None), "-");
    }

    #[test]
    fn plurals_and_fitting() {
        assert_eq!(plural(1, "process"), "1 process");
        assert_eq!(plural(2, "process"), "2 processes");
        assert_eq!(plural(0, "cgroup"), "0 cgroups");
        assert_eq!(plural(1, "cgroup"), "1 cgroup");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
        assert_eq!(fit("漢字漢字", 5), "漢字…");
        assert_eq!(fit_left("/a/b/c.scope", 8), "…c.scope");
    }
}
