//! What reading the hierarchy costs, counted per thread: interface files opened and read,
//! bytes read, directories listed. A monitor shows its own pass's figures (`cgtui --stats`),
//! and tests assert on them instead of on wall-clock times.
//!
//! The counters are thread-local (no atomics, no contention): a thread takes
//! [`thread_counts`] before and after the work it wants to measure and subtracts.

use std::cell::Cell;

/// Reads of the hierarchy made by one thread, since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IoCounts {
    /// Interface files opened (`openat`).
    pub opened: u64,
    /// Interface files read, whether just opened or kept open and read again at offset 0.
    pub read: u64,
    /// Bytes those reads returned.
    pub bytes: u64,
    /// Directories listed (one `getdents` sweep each).
    pub listed: u64,
}

impl std::ops::Sub for IoCounts {
    type Output = IoCounts;

    fn sub(self, earlier: IoCounts) -> IoCounts {
        IoCounts {
            opened: self.opened.saturating_sub(earlier.opened),
            read: self.read.saturating_sub(earlier.read),
            bytes: self.bytes.saturating_sub(earlier.bytes),
            listed: self.listed.saturating_sub(earlier.listed),
        }
    }
}

impl std::ops::AddAssign for IoCounts {
    fn add_assign(&mut self, other: IoCounts) {
        self.opened += other.opened;
        self.read += other.read;
        self.bytes += other.bytes;
        self.listed += other.listed;
    }
}

thread_local! {
    static COUNTS: Cell<IoCounts> = const { Cell::new(IoCounts { opened: 0, read: 0, bytes: 0, listed: 0 }) };
}

/// This thread's counts so far.
pub fn thread_counts() -> IoCounts {
    COUNTS.with(Cell::get)
}

fn bump(change: impl FnOnce(&mut IoCounts)) {
    COUNTS.with(|counts| {
        let mut now = counts.get();
        change(&mut now);
        counts.set(now);
    });
}

pub(crate) fn opened() {
    bump(|c| c.opened += 1);
}

/// Count one file read of `bytes` (also for a reader outside this crate, such as a poll).
pub fn read(bytes: usize) {
    bump(|c| {
        c.read += 1;
        c.bytes += bytes as u64;
    });
}

pub(crate) fn listed() {
    bump(|c| c.listed += 1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_per_thread_and_subtract() {
        let before = thread_counts();
        opened();
        read(10);
        read(5);
        listed();
        let spent = thread_counts() - before;
        assert_eq!(
            spent,
            IoCounts {
                opened: 1,
                read: 2,
                bytes: 15,
                listed: 1
            }
        );
        let other = std::thread::spawn(thread_counts).join().unwrap();
        assert_eq!(other, IoCounts::default(), "another thread counts apart");
    }
}
