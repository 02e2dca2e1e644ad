//! Compact, fixed-width renderings of numbers.

use crate::cgroup::Limit;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
