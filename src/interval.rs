//! The poll interval's bounds: one definition for `--interval`, the config file's `interval`
//! and the TUI's `+`/`-` keys.

use std::time::Duration;

/// Below this, reading every cgroup's files would cost more than it shows.
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);
/// Above this, the screen would look stopped.
pub const MAX_INTERVAL: Duration = Duration::from_secs(3600);

/// Why a number of seconds is not an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutOfRange {
    /// Below [`MIN_INTERVAL`], or not a number at all (NaN, infinite).
    TooShort,
    /// Above [`MAX_INTERVAL`].
    TooLong,
}

/// `secs` as an interval, if it lies within [`MIN_INTERVAL`]..=[`MAX_INTERVAL`].
pub fn from_secs(secs: f64) -> Result<Duration, OutOfRange> {
    if !secs.is_finite() || secs < MIN_INTERVAL.as_secs_f64() {
        return Err(OutOfRange::TooShort);
    }
    if secs > MAX_INTERVAL.as_secs_f64() {
        return Err(OutOfRange::TooLong);
    }
    Ok(Duration::from_secs_f64(secs))
}

/// A bound as the messages write it: `0.1`, `3600`.
pub fn secs_text(bound: Duration) -> String {
    bound.as_secs_f64().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounds_are_inside_and_their_neighbours_outside() {
        assert_eq!(from_secs(0.1), Ok(MIN_INTERVAL));
        assert_eq!(from_secs(3600.0), Ok(MAX_INTERVAL));
        assert_eq!(from_secs(0.099), Err(OutOfRange::TooShort));
        assert_eq!(from_secs(3600.001), Err(OutOfRange::TooLong));
        assert_eq!(from_secs(f64::NAN), Err(OutOfRange::TooShort));
        assert_eq!(from_secs(f64::INFINITY), Err(OutOfRange::TooShort));
        assert_eq!(from_secs(-1.0), Err(OutOfRange::TooShort));
    }

    #[test]
    fn the_bounds_read_as_people_write_them() {
        assert_eq!(secs_text(MIN_INTERVAL), "0.1");
        assert_eq!(secs_text(MAX_INTERVAL), "3600");
    }
}
