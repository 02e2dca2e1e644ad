//! Short, bounded histories for sparklines.

use std::collections::VecDeque;

/// Points kept per series: a minute at the default 1 s interval.
pub const HISTORY_LEN: usize = 60;

/// A fixed-capacity ring of the most recent values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ring {
    values: VecDeque<f32>,
}

impl Ring {
    pub fn push(&mut self, value: f32) {
        if self.values.capacity() == 0 {
            // Exactly the points kept: growing by doubling would hold a quarter more.
            self.values = VecDeque::with_capacity(HISTORY_LEN);
        }
        if self.values.len() == HISTORY_LEN {
            self.values.pop_front();
        }
        self.values.push_back(value);
    }

    pub fn iter(&self) -> impl Iterator<Item = f32> + '_ {
        self.values.iter().copied()
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// CPU %, memory bytes and IO bytes/s (read + write) of one cgroup.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    pub cpu_pct: Ring,
    pub memory: Ring,
    pub io_bps: Ring,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_is_bounded() {
        let mut r = Ring::default();
        for i in 0..(HISTORY_LEN * 3) {
            r.push(i as f32);
        }
        assert_eq!(r.len(), HISTORY_LEN);
        assert_eq!(r.iter().next(), Some((HISTORY_LEN * 2) as f32));
    }
}
