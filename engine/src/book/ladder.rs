//! One side's tick ladder: a window of `W` consecutive ranks with O(1) updates.
//!
//! Ranks, not prices: a side stores `rank = price ^ flip` (see [`super::side`]), so a higher rank
//! is always a better level and the ladder does not know which side it is on.
//!
//! The window covers the ranks `[base, base + W)`. Storage is a ring: the rank `r` lives in
//! physical slot `r mod W` (`W` is a power of two, so `r as u64 & (W - 1)`, which is also right
//! for negative ranks). Moving the window therefore never moves the levels that stay inside it:
//! only the ranks that leave are drained and the ones that enter are filled, and the cost of a
//! move is `O(distance / 64 + levels moved)`.
//!
//! Per slot the ladder keeps the quantity in lots (`0` = empty) and one occupancy bit; the best
//! (highest) occupied rank is tracked, and found again with a bitmap scan only when the best
//! level itself is removed.

use super::bitmap;

/// The tick ladder of one side over a window of ranks.
#[derive(Clone)]
pub(super) struct Ladder {
    /// Rank at logical offset 0. Always `<= i64::MAX - (W - 1)`.
    base: i64,
    /// `W - 1`.
    mask: u64,
    /// Lots per physical slot; `0` means no level.
    qty: Box<[i64]>,
    /// Occupancy bits per physical slot.
    bits: Box<[u64]>,
    /// Number of occupied slots.
    count: usize,
    /// Rank of the best (highest) occupied slot; meaningful only when `count > 0`.
    best: i64,
}

/// A half-open physical slot range `[lo, hi)`.
type Span = (usize, usize);

impl Ladder {
    /// An empty ladder of `width` slots (a power of two, at least 64) based at rank 0.
    pub(super) fn new(width: usize) -> Self {
        debug_assert!(width.is_power_of_two() && width >= 64);
        Self {
            base: 0,
            mask: width as u64 - 1,
            qty: vec![0; width].into_boxed_slice(),
            bits: vec![0; width / 64].into_boxed_slice(),
            count: 0,
            best: 0,
        }
    }

    /// Window width `W` in ticks.
    #[inline]
    pub(super) fn width(&self) -> u64 {
        self.mask + 1
    }

    /// Lowest rank of the window.
    #[inline]
    pub(super) fn base(&self) -> i64 {
        self.base
    }

    /// Highest rank of the window.
    #[inline]
    pub(super) fn top(&self) -> i64 {
        self.base + self.mask as i64
    }

    /// Number of levels in the window.
    #[inline]
    pub(super) fn count(&self) -> usize {
        self.count
    }

    /// The best (highest) rank and its lots, if the window holds any level.
    #[inline]
    pub(super) fn best(&self) -> Option<(i64, i64)> {
        (self.count > 0).then(|| (self.best, self.qty[self.slot(self.best)]))
    }

    /// Rank of the best level; meaningful only when the window holds a level.
    #[inline]
    pub(super) fn best_rank(&self) -> i64 {
        self.best
    }

    /// Logical offset of `rank` from the window base; `>= W` when `rank` is outside the window
    /// (below it the subtraction wraps to a huge value).
    #[inline]
    pub(super) fn offset(&self, rank: i64) -> u64 {
        rank.wrapping_sub(self.base) as u64
    }

    /// Physical slot of a rank.
    #[inline]
    fn slot(&self, rank: i64) -> usize {
        (rank as u64 & self.mask) as usize
    }

    /// Lots at `rank`, which must be inside the window.
    #[inline]
    pub(super) fn get(&self, rank: i64) -> i64 {
        self.qty[self.slot(rank)]
    }

    /// Sets `rank` (inside the window) to `lots > 0`; tracks the best.
    ///
    /// # Hot path
    /// No allocation, no lock, O(1).
    #[inline]
    pub(super) fn set(&mut self, rank: i64, lots: i64) {
        debug_assert!(lots > 0 && self.offset(rank) < self.width());
        let slot = self.slot(rank);
        let old = std::mem::replace(&mut self.qty[slot], lots);
        if old == 0 {
            bitmap::set(&mut self.bits, slot);
            self.count += 1;
            if self.count == 1 || rank > self.best {
                self.best = rank;
            }
        }
    }

    /// Removes the level at `rank` (inside the window); returns whether one was there. When the
    /// best is removed, the next best in the window is found by a bitmap scan.
    ///
    /// # Hot path
    /// No allocation, no lock. O(1), plus `O(gap / 64)` when the best is removed, where `gap` is
    /// the distance in ticks to the next level.
    #[inline]
    pub(super) fn remove(&mut self, rank: i64) -> bool {
        let slot = self.slot(rank);
        if self.qty[slot] == 0 {
            return false;
        }
        self.qty[slot] = 0;
        bitmap::clear(&mut self.bits, slot);
        self.count -= 1;
        if rank == self.best
            && self.count > 0
            && let Some(next) = self.highest_below(self.offset(rank))
        {
            self.best = next;
        }
        true
    }

    /// The highest occupied rank whose offset is below `off` (`off <= W`).
    ///
    /// # Hot path
    /// No allocation, no lock, `O(gap / 64)`.
    #[inline]
    pub(super) fn highest_below(&self, off: u64) -> Option<i64> {
        let [first, second] = self.spans(0, off);
        let phys = bitmap::highest_in(&self.bits, second.0, second.1)
            .or_else(|| bitmap::highest_in(&self.bits, first.0, first.1))?;
        Some(self.rank_of(phys))
    }

    /// Empties the window, `O(W / 64 + levels)`.
    pub(super) fn clear(&mut self) {
        self.drain_offsets(0, self.width(), |_, _| {});
    }

    /// Moves the window so that it covers `[new_base, new_base + W)`. Levels that fall outside
    /// are handed to `evicted` lowest rank first and removed; the best is recomputed.
    /// `O(distance / 64 + levels evicted + W / 64)`.
    pub(super) fn rebase(&mut self, new_base: i64, mut evicted: impl FnMut(i64, i64)) {
        debug_assert!(new_base <= i64::MAX - self.mask as i64);
        let w = i128::from(self.width());
        let shift = i128::from(new_base) - i128::from(self.base);
        if self.count > 0 {
            if shift >= w || shift <= -w {
                self.drain_offsets(0, self.width(), &mut evicted);
            } else if shift > 0 {
                // The bottom `shift` ranks leave.
                self.drain_offsets(0, shift as u64, &mut evicted);
            } else if shift < 0 {
                // The top `-shift` ranks leave.
                self.drain_offsets((w + shift) as u64, self.width(), &mut evicted);
            }
        }
        self.base = new_base;
        if self.count > 0
            && let Some(best) = self.highest_below(self.width())
        {
            self.best = best;
        }
    }

    /// Removes every level with a logical offset in `[lo, hi)` and hands it to `f`, lowest
    /// first.
    fn drain_offsets(&mut self, lo: u64, hi: u64, mut f: impl FnMut(i64, i64)) {
        let base_slot = self.slot(self.base);
        let mask = self.mask as usize;
        let base = self.base;
        for (a, b) in self.spans(lo, hi) {
            let (qty, bits, count) = (&mut self.qty, &mut self.bits, &mut self.count);
            bitmap::drain_in(bits, a, b, |phys| {
                let rank = base + (phys.wrapping_sub(base_slot) & mask) as i64;
                f(rank, std::mem::take(&mut qty[phys]));
                *count -= 1;
            });
        }
    }

    /// Rank held by physical slot `phys`.
    #[inline]
    fn rank_of(&self, phys: usize) -> i64 {
        let off = (phys as u64).wrapping_sub(self.base as u64) & self.mask;
        self.base + off as i64
    }

    /// The physical spans of logical offsets `[lo, hi)` (`lo <= hi <= W`), in logical order;
    /// the second is empty unless the range wraps around the end of the ring.
    #[inline]
    fn spans(&self, lo: u64, hi: u64) -> [Span; 2] {
        let w = self.width();
        let start = (self.base as u64).wrapping_add(lo) & self.mask;
        let end = start + (hi - lo);
        if end <= w {
            [(start as usize, end as usize), (0, 0)]
        } else {
            [(start as usize, w as usize), (0, (end - w) as usize)]
        }
    }

    /// Checks the ladder's internal invariants; test builds only.
    #[cfg(test)]
    pub(super) fn check(&self) {
        let mut count = 0;
        let mut best = None;
        for (phys, &q) in self.qty.iter().enumerate() {
            let bit = self.bits[phys >> 6] >> (phys & 63) & 1 == 1;
            assert!(q >= 0, "negative lots in slot {phys}");
            assert_eq!(q != 0, bit, "bit and qty disagree at slot {phys}");
            if bit {
                count += 1;
                let rank = self.rank_of(phys);
                best = best.max(Some(rank));
            }
        }
        assert_eq!(count, self.count, "level count");
        if count > 0 {
            assert_eq!(best, Some(self.best), "tracked best");
        }
    }
}
