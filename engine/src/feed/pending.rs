//! Diffs held while a book waits for its snapshot, bounded in count **and** in levels (bytes).
//!
//! Every diff's levels go into one ring of [`Level`]s shared by all buffered diffs, so memory is
//! what is held now, not the largest diff each buffer slot ever saw: at most `max_levels`
//! levels (16 bytes each) plus `max_diffs` headers. Past either bound the oldest diffs are
//! discarded (and counted by the caller): a snapshot taken later covers them anyway. Once the
//! buffer is emptied by a snapshot its memory shrinks back to a small floor, so a long wait for a
//! snapshot does not leave its peak behind.
//!
//! Venue-neutral: a venue's sequencer stores its own header type `H` with each diff.

use ladder_sdk::Level;
use std::collections::VecDeque;

/// Capacity kept when the buffer empties: levels (64 KiB) and headers.
const FLOOR_LEVELS: usize = 4_096;
const FLOOR_DIFFS: usize = 256;

#[derive(Debug, Clone, Copy)]
struct Entry<H> {
    header: H,
    bids: u32,
    asks: u32,
}

impl<H> Entry<H> {
    fn levels(&self) -> usize {
        self.bids as usize + self.asks as usize
    }
}

/// Buffered diffs in arrival order, each a header and its bid and ask levels.
#[derive(Debug)]
pub struct PendingDiffs<H> {
    entries: VecDeque<Entry<H>>,
    levels: VecDeque<Level>,
    max_diffs: usize,
    max_levels: usize,
}

impl<H: Copy> PendingDiffs<H> {
    /// An empty buffer holding at most `max_diffs` diffs (at least 1) and `max_levels` levels.
    /// A single diff with more levels than `max_levels` is still held, alone.
    pub fn new(max_diffs: usize, max_levels: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            levels: VecDeque::new(),
            max_diffs: max_diffs.max(1),
            max_levels,
        }
    }

    /// Diffs held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no diff is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Levels held, over all diffs.
    pub fn levels_held(&self) -> usize {
        self.levels.len()
    }

    /// Bytes reserved for levels and headers (what the bound limits).
    pub fn reserved_bytes(&self) -> usize {
        self.levels.capacity() * std::mem::size_of::<Level>()
            + self.entries.capacity() * std::mem::size_of::<Entry<H>>()
    }

    /// The oldest diff's header.
    pub fn front(&self) -> Option<&H> {
        self.entries.front().map(|e| &e.header)
    }

    /// The newest diff's header.
    pub fn back(&self) -> Option<&H> {
        self.entries.back().map(|e| &e.header)
    }

    /// Appends a diff, discarding the oldest ones while a bound would be exceeded. Returns how
    /// many were discarded.
    pub fn push(&mut self, header: H, bids: &[Level], asks: &[Level]) -> u64 {
        let n = bids.len() + asks.len();
        let mut discarded = 0;
        while !self.entries.is_empty()
            && (self.entries.len() >= self.max_diffs || self.levels.len() + n > self.max_levels)
        {
            self.pop_front();
            discarded += 1;
        }
        self.levels.extend(bids.iter().chain(asks).copied());
        self.entries.push_back(Entry {
            header,
            bids: u32::try_from(bids.len()).unwrap_or(u32::MAX),
            asks: u32::try_from(asks.len()).unwrap_or(u32::MAX),
        });
        discarded
    }

    /// Removes the oldest `n` diffs (all of them if fewer are held), then gives memory back if
    /// the buffer is empty.
    pub fn discard_front(&mut self, n: usize) {
        for _ in 0..n.min(self.entries.len()) {
            self.pop_front();
        }
        if self.entries.is_empty() {
            self.shrink();
        }
    }

    /// Every diff, oldest first, as `(header, bids, asks)`. Moves the levels into one
    /// contiguous run first (no allocation).
    pub fn iter(&mut self) -> impl Iterator<Item = (H, &[Level], &[Level])> + '_ {
        let levels: &[Level] = self.levels.make_contiguous();
        let mut at = 0usize;
        self.entries.iter().map(move |e| {
            let (b, a) = (e.bids as usize, e.asks as usize);
            let bids = levels.get(at..at + b).unwrap_or(&[]);
            let asks = levels.get(at + b..at + b + a).unwrap_or(&[]);
            at += b + a;
            (e.header, bids, asks)
        })
    }

    fn pop_front(&mut self) {
        if let Some(e) = self.entries.pop_front() {
            self.levels.drain(..e.levels().min(self.levels.len()));
        }
    }

    fn shrink(&mut self) {
        self.levels.clear();
        self.entries.clear();
        self.levels.shrink_to(FLOOR_LEVELS);
        self.entries.shrink_to(FLOOR_DIFFS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ladder_sdk::{Price, Quantity};

    fn lv(n: usize) -> Vec<Level> {
        (0..n)
            .map(|i| Level::new(Price::from_ticks(i as i64 + 1), Quantity::from_lots(1)))
            .collect()
    }

    #[test]
    fn pending_diffs_keep_each_diffs_levels_in_order() {
        let mut p = PendingDiffs::new(10, 100);
        p.push(1u32, &lv(2), &lv(1));
        p.push(2u32, &[], &lv(3));
        let got: Vec<(u32, usize, usize)> =
            p.iter().map(|(h, b, a)| (h, b.len(), a.len())).collect();
        assert_eq!(got, vec![(1, 2, 1), (2, 0, 3)]);
        let (_, _, asks) = p.iter().nth(1).unwrap();
        assert_eq!(asks, &lv(3)[..]);
        assert_eq!(
            (p.front(), p.back(), p.levels_held()),
            (Some(&1), Some(&2), 6)
        );
    }

    #[test]
    fn pending_diffs_over_the_level_bound_discard_the_oldest() {
        let mut p = PendingDiffs::new(1_000, 10);
        assert_eq!(p.push(1u32, &lv(4), &[]), 0);
        assert_eq!(p.push(2u32, &lv(4), &[]), 0);
        assert_eq!(
            p.push(3u32, &lv(4), &[]),
            1,
            "12 levels > 10: the oldest goes"
        );
        assert_eq!((p.len(), p.levels_held(), p.front()), (2, 8, Some(&2)));
        // A diff larger than the whole bound is still held, alone.
        assert_eq!(p.push(4u32, &lv(25), &[]), 2);
        assert_eq!((p.len(), p.levels_held()), (1, 25));
    }

    #[test]
    fn pending_diffs_over_the_count_bound_discard_the_oldest() {
        let mut p = PendingDiffs::new(2, 1_000);
        let discarded: u64 = (0..5u32).map(|i| p.push(i, &lv(1), &[])).sum();
        assert_eq!(discarded, 3);
        assert_eq!((p.front(), p.back()), (Some(&3), Some(&4)));
    }

    #[test]
    fn pending_diffs_memory_shrinks_back_once_emptied() {
        let mut p = PendingDiffs::new(100_000, 1 << 20);
        for i in 0..2_000u32 {
            p.push(i, &lv(100), &[]);
        }
        assert!(p.reserved_bytes() >= 2_000 * 100 * 16);
        p.discard_front(usize::MAX);
        assert!(p.is_empty());
        assert!(
            p.reserved_bytes() <= FLOOR_LEVELS * 16 + FLOOR_DIFFS * 64,
            "{}",
            p.reserved_bytes()
        );
    }

    #[test]
    fn pending_diffs_memory_is_bounded_by_levels_whatever_the_diff_sizes() {
        let mut p = PendingDiffs::new(10_000, 1_000);
        for i in 0..5_000u32 {
            p.push(i, &lv(1 + (i as usize * 7) % 300), &[]);
            assert!(p.levels_held() <= 1_000);
        }
        // Growth is amortized: the ring never needs more than twice the bound.
        assert!(
            p.reserved_bytes() <= 2 * 1_024 * 16 + 10_000 * 16,
            "{}",
            p.reserved_bytes()
        );
    }
}
