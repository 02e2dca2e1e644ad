//! The sparkline series of a cgroup: its latest values, bounded, one point per pass that read
//! it. (The recorder and its store are [`crate::history`]; the store-backed columns before
//! these are the app's `recorded` series.)

use std::collections::VecDeque;

/// Points kept per series: a minute at the default 1 s interval.
pub const SERIES_LEN: usize = 60;

/// A fixed-capacity ring of the most recent points, each a value or "not known" (a pass that
/// read the cgroup but could not give this value): a missing point is drawn as a gap, never as
/// zero and never left out (which would pull the older points towards now).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ring {
    /// NaN where a point is not known: an `Option<f32>` would double the memory per point.
    values: VecDeque<f32>,
}

impl Ring {
    pub fn push(&mut self, value: Option<f32>) {
        if self.values.capacity() == 0 {
            // Exactly the points kept: growing by doubling would hold a quarter more.
            self.values = VecDeque::with_capacity(SERIES_LEN);
        }
        if self.values.len() == SERIES_LEN {
            self.values.pop_front();
        }
        self.values
            .push_back(value.filter(|v| !v.is_nan()).unwrap_or(f32::NAN));
    }

    /// Oldest first; `None` where the point is not known.
    pub fn iter(&self) -> impl Iterator<Item = Option<f32>> + '_ {
        self.values.iter().map(|v| (!v.is_nan()).then_some(*v))
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// CPU %, memory bytes and IO bytes/s (read + write) of one cgroup, one point each per pass.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    pub cpu_pct: Ring,
    pub memory: Ring,
    pub io_bps: Ring,
}

/// The top of a CPU sparkline (config `cpu_scale`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CpuScale {
    /// What the cgroup can use: online CPUs × 100 %, or its cpu.max quota when lower. Bars
    /// of two cgroups, or of one over time, compare; a busy one fills the graph.
    #[default]
    Capacity,
    /// The highest value shown: small changes show, but a 2 % peak fills the graph too.
    Peak,
}

impl CpuScale {
    pub const ALL: [(CpuScale, &'static str); 2] =
        [(CpuScale::Capacity, "capacity"), (CpuScale::Peak, "peak")];

    pub fn parse(name: &str) -> Option<CpuScale> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(s, _)| *s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_is_bounded() {
        let mut r = Ring::default();
        for i in 0..(SERIES_LEN * 3) {
            r.push(Some(i as f32));
        }
        assert_eq!(r.len(), SERIES_LEN);
        assert_eq!(r.iter().next(), Some(Some((SERIES_LEN * 2) as f32)));
    }

    #[test]
    fn a_missing_point_is_kept_as_missing_and_zero_as_zero() {
        let mut r = Ring::default();
        r.push(Some(0.0));
        r.push(None);
        r.push(Some(f32::NAN));
        r.push(Some(2.5));
        assert_eq!(
            r.iter().collect::<Vec<_>>(),
            [Some(0.0), None, None, Some(2.5)]
        );
    }
}
