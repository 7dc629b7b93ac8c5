//! Entries of the exchange's time-ordered queues (arrivals, reports): a `BinaryHeap` of
//! [`Timed`] pops the earliest time first, and among equal times the earliest sequence number, so
//! the order is total and deterministic.

use ladder_sdk::UnixNanos;
use std::cmp::Ordering;

/// `item`, due at `at`; `seq` breaks ties in insertion order.
#[derive(Debug, Clone, Copy)]
pub(super) struct Timed<T> {
    pub(super) at: UnixNanos,
    pub(super) seq: u64,
    pub(super) item: T,
}

impl<T> PartialEq for Timed<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl<T> Eq for Timed<T> {}

impl<T> PartialOrd for Timed<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Timed<T> {
    /// Reversed: the max-heap's greatest element is the earliest `(at, seq)`.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BinaryHeap;

    #[test]
    fn heap_pops_earliest_time_then_earliest_seq() {
        let mut h = BinaryHeap::new();
        for (at, seq) in [(5, 1), (3, 4), (5, 0), (3, 2), (9, 3)] {
            h.push(Timed {
                at: UnixNanos::from_nanos(at),
                seq,
                item: (),
            });
        }
        let order: Vec<(u64, u64)> = std::iter::from_fn(|| h.pop())
            .map(|t| (t.at.as_nanos(), t.seq))
            .collect();
        assert_eq!(order, [(3, 2), (3, 4), (5, 0), (5, 1), (9, 3)]);
    }
}
