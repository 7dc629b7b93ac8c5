//! One side's tick ladder: a window of `W` consecutive ranks with O(1) updates.
//!
//! Ranks, not prices: a side stores `rank = price ^ flip` (see [`super::side`]), so a higher rank
//! is always a better level and the ladder does not know which side it is on.
//!
//! The window covers the ranks `[base, base + W)`. Storage is a ring: rank `r` lives in physical
//! slot `r mod W` (`W` is a power of two, so `r as u64 & (W - 1)`, also right for negative
//! ranks). The arrays are reserved for the largest width the book may take (its capacity); `W`
//! can change while the ladder is empty ([`Ladder::set_width`]) and can double in place while it
//! holds levels ([`Ladder::grow`]): doubling moves each level at most once, to `slot + W`. Moving the window never moves the levels that stay inside it; only the ranks that
//! leave are drained and those that enter are filled, so a move costs
//! `O(distance / 64 + levels moved)`.
//!
//! Per slot the ladder keeps the quantity in lots (`0` = empty) and an occupancy bit, 64 to a
//! `u64` word. A slot is a `u32`: half the bytes of an `i64`, so twice the window stays in each
//! cache level. Lots of `u32::MAX` ([`WIDE`]) or more do not fit: such a slot holds `WIDE` and
//! the exact lots live in a small exact store keyed by rank (`wide`), so no quantity is ever
//! truncated (a spot lot of 0.000001 BTC overflows at 4,294.967295 BTC on one price). `base` is always a multiple of 64, so logical word `k` (offsets `64k..64k + 64`)
//! is exactly one physical word and scans are plain word loops with `leading_zeros`. The best
//! (highest) occupied rank is tracked and searched for only when the best level is removed.
//!
//! An update splits on where it lands ([`Ladder::put`]): below the best (94-97 % of the shared
//! captures' updates) the best cannot change, so the update is a slot store, a bit flip and a
//! count, with no branch on insert, change or removal; at or above the best (or with a wide
//! level) [`Ladder::put_at_best`] also tracks the best. The slots live in [`Slots`], which
//! indexes them without bounds checks.

use super::far::Far;
use super::slots::Slots;

/// The slot value of a level whose lots do not fit a `u32` slot; its lots are in `wide`.
pub(super) const WIDE: u32 = u32::MAX;

/// Wide levels per side reserved up front; beyond it the wide store allocates.
const WIDE_CAPACITY: usize = 64;

/// The slot value for `lots >= 0` (a `Quantity` is never negative): `0` for no level, [`WIDE`]
/// when they do not fit.
#[inline]
fn narrow(lots: i64) -> u32 {
    debug_assert!(lots >= 0);
    (lots as u64).min(u64::from(WIDE)) as u32
}

/// What the side must do after a [`Ladder::put`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Settled {
    /// Nothing.
    Done,
    /// The best level was removed; the next best, if the window holds one, is tracked.
    BestRemoved,
    /// The best level is at or above the `high` offset given.
    HighBest,
}

/// The tick ladder of one side over a window of ranks.
#[derive(Clone)]
pub(super) struct Ladder {
    /// Rank at logical offset 0; a multiple of 64 and `<= i64::MAX - (W - 1)`.
    base: i64,
    /// `W - 1`.
    mask: u64,
    /// `W` while the window holds a level, else `0`: [`Ladder::holds`] in one comparison.
    span: u64,
    /// Physical word of logical word 0.
    base_word: usize,
    /// Lots per physical slot (`0` means no level, [`WIDE`] that the lots are in `wide`) and
    /// the occupancy bits, for the widest window.
    slots: Slots,
    /// The exact lots of the levels whose slot holds [`WIDE`], by rank.
    wide: Far,
    /// Number of occupied slots.
    count: usize,
    /// Rank of the best (highest) occupied slot; meaningful only when `count > 0`.
    best: i64,
}

impl Ladder {
    /// An empty ladder of `width` slots, with room to grow to `capacity` (both powers of two,
    /// at least 64, `width <= capacity`), based at rank 0.
    pub(super) fn new(width: usize, capacity: usize) -> Self {
        debug_assert!(width.is_power_of_two() && width >= 64 && width <= capacity);
        debug_assert!(capacity.is_power_of_two());
        Self {
            base: 0,
            mask: width as u64 - 1,
            span: 0,
            base_word: 0,
            slots: Slots::new(capacity),
            wide: Far::with_capacity(WIDE_CAPACITY),
            count: 0,
            best: 0,
        }
    }

    /// Window width `W` in ticks.
    #[inline]
    pub(super) fn width(&self) -> u64 {
        self.mask + 1
    }

    /// The largest width the reserved arrays allow.
    #[inline]
    pub(super) fn capacity(&self) -> u64 {
        self.slots.capacity() as u64
    }

    /// Occupancy words of the window (`W / 64`).
    #[inline]
    fn nwords(&self) -> usize {
        (self.mask as usize + 1) >> 6
    }

    /// Sets the width of an empty ladder (a power of two, `64 ..= capacity`); the base is kept.
    pub(super) fn set_width(&mut self, width: u64) {
        debug_assert!(self.count == 0);
        debug_assert!(width.is_power_of_two() && width >= 64 && width <= self.capacity());
        self.mask = width - 1;
        self.base_word = self.slot(self.base) >> 6;
        self.sync_span();
    }

    /// Doubles the width in place, keeping the base, so the window `[base, base + 2W)` holds
    /// every level it held; no-op at capacity. A level moves from slot `s` to `s + W` when its
    /// rank's bit `W` is set. `O(W / 64 + levels)`.
    pub(super) fn grow(&mut self) {
        let w = self.width();
        if w * 2 > self.capacity() {
            return;
        }
        let words = self.nwords();
        for word in 0..words {
            let mut bits = self.slots.bits()[word];
            while bits != 0 {
                let bit = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let slot = word * 64 + bit;
                let off = (slot as u64).wrapping_sub(self.base as u64) & self.mask;
                let rank = self.base + off as i64;
                if rank as u64 & w != 0 {
                    let to = slot + w as usize;
                    let q = std::mem::take(&mut self.slots.qty_mut()[slot]);
                    self.slots.qty_mut()[to] = q;
                    self.slots.bits_mut()[word] &= !(1u64 << bit);
                    self.slots.bits_mut()[to >> 6] |= 1u64 << (to & 63);
                }
            }
        }
        self.mask = 2 * w - 1;
        self.base_word = self.slot(self.base) >> 6;
        self.sync_span();
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

    /// The highest base a window may have (so that its top does not overflow), rounded down to
    /// a multiple of 64.
    #[inline]
    pub(super) fn max_base(&self) -> i64 {
        (i64::MAX - self.mask as i64) & !63
    }

    /// Number of levels in the window.
    #[inline]
    pub(super) fn count(&self) -> usize {
        self.count
    }

    /// The best (highest) rank and its lots, if the window holds any level.
    #[inline]
    pub(super) fn best(&self) -> Option<(i64, i64)> {
        (self.count > 0).then(|| (self.best, self.get(self.best)))
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

    /// Occupancy word of logical word `lw` (offsets `64 lw .. 64 lw + 64`).
    #[inline]
    fn word(&self, lw: usize) -> u64 {
        self.slots.bits()[(self.base_word + lw) & (self.nwords() - 1)]
    }

    /// Lots at `rank`, which must be inside the window.
    #[inline]
    pub(super) fn get(&self, rank: i64) -> i64 {
        self.lots_of(rank, self.slots.get(self.slot(rank)))
    }

    /// The lots of the level at `rank` whose slot holds `slot`.
    #[inline]
    fn lots_of(&self, rank: i64, slot: u32) -> i64 {
        if slot == WIDE {
            self.wide.get(rank)
        } else {
            i64::from(slot)
        }
    }

    /// Sets `rank` (inside the window) to `lots > 0`; tracks the best.
    ///
    /// # Hot path
    /// No allocation, no lock, O(1).
    #[inline]
    pub(super) fn set(&mut self, rank: i64, lots: i64) {
        debug_assert!(lots > 0 && self.offset(rank) < self.width());
        let slot = self.slot(rank);
        let new = narrow(lots);
        let old = self.slots.replace(slot, new);
        if old.max(new) == WIDE {
            self.put_wide(rank, old, new, lots);
        }
        if old == 0 {
            self.slots.flip(slot, 1);
            self.count += 1;
            if self.count == 1 || rank > self.best {
                self.best = rank;
            }
            self.sync_span();
        }
    }

    /// True when `rank` is inside the window and the window holds a level: the case for
    /// [`Self::put`].
    #[inline]
    pub(super) fn holds(&self, rank: i64) -> bool {
        self.offset(rank) < self.span
    }

    /// Sets `rank` (see [`Self::holds`]) to `lots` (`0` removes the level) if it ranks below
    /// the best and neither lots fill a [`WIDE`] slot; else changes nothing and returns false:
    /// the update is then for [`Self::put_at_best`].
    ///
    /// # Hot path
    /// No allocation, no lock, O(1). An update below the best (most of them, 94-97 % on the
    /// shared captures) stores the slot, flips its occupancy bit by `(was ^ is) << bit` and
    /// adjusts the count by `is - was`: no branch on insert, change or removal, and no best to
    /// track. At or above the best, or with a level of [`WIDE`] lots, [`Self::put_at_best`].
    #[inline]
    pub(super) fn put(&mut self, rank: i64, lots: i64) -> bool {
        debug_assert!(self.holds(rank) && lots >= 0);
        let slot = self.slot(rank);
        let new = narrow(lots);
        let old = self.slots.get(slot);
        if rank >= self.best || old.max(new) == WIDE {
            return false;
        }
        self.slots.set(slot, new);
        let was = u64::from(old != 0);
        let is = u64::from(new != 0);
        self.slots.flip(slot, was ^ is);
        self.count = (self.count + is as usize) - was as usize;
        true
    }

    /// Sets `rank` (see [`Self::holds`]) to `lots` (`0` removes the level), any rank, and tracks
    /// the best. Returns what the side must do: nothing, or a best removed (the next best, if
    /// the window holds one, is already tracked), or a best at an offset of at least `high`.
    ///
    /// # Hot path
    /// No allocation, no lock, O(1); plus `O(gap / 64)` when the best is removed, where `gap` is
    /// the distance to the next level, and `O(log wide)` for a level of [`WIDE`] lots or more.
    #[inline]
    pub(super) fn put_at_best(&mut self, rank: i64, lots: i64, high: u64) -> Settled {
        let slot = self.slot(rank);
        let new = narrow(lots);
        let old = self.slots.replace(slot, new);
        if old.max(new) == WIDE {
            self.put_wide(rank, old, new, lots);
        }
        let was = u64::from(old != 0);
        let is = u64::from(new != 0);
        self.slots.flip(slot, was ^ is);
        self.count = (self.count + is as usize) - was as usize;
        if is != 0 && rank > self.best {
            self.best = rank;
        }
        if rank != self.best {
            Settled::Done
        } else if is == 0 {
            // `rank` was the best (it is occupied), and is removed.
            self.best_removed(rank);
            Settled::BestRemoved
        } else if self.offset(rank) >= high {
            Settled::HighBest
        } else {
            Settled::Done
        }
    }

    /// The best level at `rank` was removed: find the next best below it.
    #[cold]
    #[inline(never)]
    fn best_removed(&mut self, rank: i64) {
        if self.count > 0
            && let Some(next) = self.highest_below(self.offset(rank))
        {
            self.best = next;
        }
        self.sync_span();
    }

    /// Keeps [`Self::holds`] in step with the width and the count.
    #[inline]
    fn sync_span(&mut self) {
        self.span = if self.count > 0 { self.mask + 1 } else { 0 };
    }

    /// Keeps `wide` in step with a slot that held `old` and now holds `new` (one of them
    /// [`WIDE`]); `lots` are the new exact lots.
    #[cold]
    #[inline(never)]
    fn put_wide(&mut self, rank: i64, old: u32, new: u32, lots: i64) {
        if new == WIDE {
            self.wide.set(rank, lots);
        } else if old == WIDE {
            self.wide.remove(rank);
        }
    }

    /// The highest occupied rank whose offset is below `off` (`off <= W`).
    ///
    /// # Hot path
    /// No allocation, no lock, `O(gap / 64)`.
    #[inline]
    pub(super) fn highest_below(&self, off: u64) -> Option<i64> {
        let last = off.checked_sub(1)?;
        let mut lw = (last >> 6) as usize;
        let mut word = self.word(lw) & (u64::MAX >> (63 - (last & 63)));
        loop {
            if word != 0 {
                let bit = 63 - word.leading_zeros() as i64;
                return Some(self.base + (lw as i64) * 64 + bit);
            }
            lw = lw.checked_sub(1)?;
            word = self.word(lw);
        }
    }

    /// The window's levels, best first.
    #[inline]
    pub(super) fn descending(&self) -> Descending<'_> {
        if self.count == 0 {
            return Descending {
                ladder: self,
                lw: 0,
                word: 0,
            };
        }
        let lw = (self.offset(self.best) >> 6) as usize;
        Descending {
            ladder: self,
            lw,
            word: self.word(lw),
        }
    }

    /// Empties the window, `O(W / 64 + levels)`.
    pub(super) fn clear(&mut self) {
        self.drain_words(0, self.nwords(), |_, _| {});
    }

    /// Moves the window to `[new_base, new_base + W)` (`new_base` a multiple of 64). Levels that
    /// fall outside are handed to `evicted`, lowest rank first, and removed; the best is
    /// recomputed. `O(distance / 64 + levels evicted + W / 64)`.
    pub(super) fn rebase(&mut self, new_base: i64, mut evicted: impl FnMut(i64, i64)) {
        debug_assert!(new_base & 63 == 0 && new_base <= self.max_base());
        let nwords = self.nwords();
        let words = nwords as i128;
        let shift = (i128::from(new_base) - i128::from(self.base)) / 64;
        if self.count > 0 {
            if shift >= words || shift <= -words {
                self.drain_words(0, nwords, &mut evicted);
            } else if shift > 0 {
                // The bottom `shift` words leave.
                self.drain_words(0, shift as usize, &mut evicted);
            } else if shift < 0 {
                // The top `-shift` words leave.
                self.drain_words((words + shift) as usize, nwords, &mut evicted);
            }
        }
        self.base = new_base;
        self.base_word = self.slot(new_base) >> 6;
        if self.count > 0
            && let Some(best) = self.highest_below(self.width())
        {
            self.best = best;
        }
        self.sync_span();
    }

    /// Removes every level in logical words `[lo, hi)` and hands it to `f`, lowest first.
    fn drain_words(&mut self, lo: usize, hi: usize, mut f: impl FnMut(i64, i64)) {
        let nwords = self.nwords();
        for lw in lo..hi {
            let phys_word = (self.base_word + lw) & (nwords - 1);
            let mut taken = std::mem::take(&mut self.slots.bits_mut()[phys_word]);
            while taken != 0 {
                let bit = taken.trailing_zeros() as usize;
                taken &= taken - 1;
                let slot = std::mem::take(&mut self.slots.qty_mut()[phys_word * 64 + bit]);
                self.count -= 1;
                let rank = self.base + (lw * 64 + bit) as i64;
                let lots = self.lots_of(rank, slot);
                if slot == WIDE {
                    self.wide.remove(rank);
                }
                f(rank, lots);
            }
        }
        self.sync_span();
    }

    /// Checks the ladder's internal invariants; test builds only.
    #[cfg(test)]
    pub(super) fn check(&self) {
        assert_eq!(self.base & 63, 0, "unaligned base");
        assert_eq!(self.base_word, self.slot(self.base) >> 6, "base word");
        let mut count = 0;
        let mut wide = 0;
        let mut best = None;
        for (phys, &q) in self.slots.qty().iter().enumerate() {
            let bit = self.slots.bits()[phys >> 6] >> (phys & 63) & 1 == 1;
            if phys as u64 > self.mask {
                assert!(q == 0 && !bit, "slot {phys} beyond the width is used");
                continue;
            }
            assert_eq!(q != 0, bit, "bit and qty disagree at slot {phys}");
            if bit {
                count += 1;
                let off = (phys as u64).wrapping_sub(self.base as u64) & self.mask;
                let rank = self.base + off as i64;
                best = best.max(Some(rank));
                if q == WIDE {
                    wide += 1;
                    let lots = self.wide.get(rank);
                    assert!(
                        lots >= i64::from(WIDE),
                        "wide slot {phys} holds {lots} lots"
                    );
                }
            }
        }
        assert_eq!(count, self.count, "level count");
        assert_eq!(wide, self.wide.len(), "wide levels");
        if count > 0 {
            assert_eq!(best, Some(self.best), "tracked best");
        }
    }
}

/// The levels of a window, best first, one occupancy word at a time.
pub(super) struct Descending<'a> {
    ladder: &'a Ladder,
    /// Current logical word.
    lw: usize,
    /// Bits of the current word not yet visited.
    word: u64,
}

impl Iterator for Descending<'_> {
    /// `(rank, lots)`.
    type Item = (i64, i64);

    /// # Hot path
    /// No allocation, no lock; O(1) per level plus one step per empty word skipped.
    #[inline]
    fn next(&mut self) -> Option<(i64, i64)> {
        while self.word == 0 {
            self.lw = self.lw.checked_sub(1)?;
            self.word = self.ladder.word(self.lw);
        }
        let bit = 63 - self.word.leading_zeros() as usize;
        self.word ^= 1u64 << bit;
        let rank = self.ladder.base + (self.lw * 64 + bit) as i64;
        Some((rank, self.ladder.get(rank)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One update as the side applies it; true when it removed the best.
    fn upd(ladder: &mut Ladder, rank: i64, lots: i64) -> bool {
        !ladder.put(rank, lots) && ladder.put_at_best(rank, lots, u64::MAX) == Settled::BestRemoved
    }

    #[test]
    fn highest_below_and_descending_cross_ring_wrap() {
        let mut ladder = Ladder::new(128, 128);
        // Base 64: logical words are physical words 1 then 0 (wrapped).
        ladder.rebase(64, |_, _| {});
        for rank in [64, 100, 127, 128, 190] {
            ladder.set(rank, rank);
        }
        ladder.check();
        assert_eq!(ladder.best(), Some((190, 190)));
        assert_eq!(ladder.highest_below(ladder.offset(190)), Some(128));
        assert_eq!(ladder.highest_below(ladder.offset(128)), Some(127));
        assert_eq!(ladder.highest_below(ladder.offset(64)), None);
        let seen: Vec<i64> = ladder.descending().map(|(r, _)| r).collect();
        assert_eq!(seen, vec![190, 128, 127, 100, 64]);
    }

    #[test]
    fn rebase_up_evicts_bottom_words_lowest_first_and_keeps_the_rest() {
        let mut ladder = Ladder::new(128, 128);
        for rank in [0, 5, 63, 64, 127] {
            ladder.set(rank, 1);
        }
        let mut evicted = Vec::new();
        ladder.rebase(64, |r, q| evicted.push((r, q)));
        ladder.check();
        assert_eq!(evicted, vec![(0, 1), (5, 1), (63, 1)]);
        assert_eq!(ladder.count(), 2);
        assert_eq!(ladder.best(), Some((127, 1)));
        ladder.set(191, 2); // the top of the moved window reuses the slots of 0..64
        assert_eq!(
            ladder.descending().collect::<Vec<_>>(),
            vec![(191, 2), (127, 1), (64, 1)]
        );
    }

    #[test]
    fn put_lots_at_the_u32_slot_boundary_stay_exact_in_the_wide_store() {
        let slot_max = i64::from(WIDE);
        let mut ladder = Ladder::new(128, 128);
        ladder.set(10, 1);
        // The largest narrow value, the first wide one, and the largest lots there are.
        assert!(!upd(&mut ladder, 20, slot_max - 1));
        assert!(!upd(&mut ladder, 30, slot_max));
        assert!(!upd(&mut ladder, 40, i64::MAX));
        ladder.check();
        assert_eq!(ladder.wide.len(), 2);
        assert_eq!(
            ladder.descending().collect::<Vec<_>>(),
            vec![(40, i64::MAX), (30, slot_max), (20, slot_max - 1), (10, 1)]
        );
        // Wide to wide, wide to narrow, narrow to wide: each exact, the wide store in step.
        assert!(!upd(&mut ladder, 30, slot_max + 1));
        assert!(!upd(&mut ladder, 40, 5));
        assert!(!upd(&mut ladder, 20, slot_max * 3));
        ladder.check();
        assert_eq!(ladder.get(30), slot_max + 1);
        assert_eq!(ladder.get(40), 5);
        assert_eq!(ladder.get(20), slot_max * 3);
        assert_eq!(ladder.best(), Some((40, 5)));
        // Removing a wide best finds the next best and empties its wide entry.
        assert!(upd(&mut ladder, 40, 0));
        assert_eq!(ladder.best(), Some((30, slot_max + 1)));
        assert!(upd(&mut ladder, 30, 0));
        ladder.check();
        assert_eq!(ladder.best(), Some((20, slot_max * 3)));
        assert_eq!(ladder.wide.len(), 1);
        // A wide level leaving the window is handed over exact.
        let mut evicted = Vec::new();
        ladder.rebase(64, |r, q| evicted.push((r, q)));
        ladder.check();
        assert_eq!(evicted, vec![(10, 1), (20, slot_max * 3)]);
        assert_eq!(ladder.wide.len(), 0);
    }

    #[test]
    fn put_returns_true_only_when_the_best_is_removed() {
        let mut ladder = Ladder::new(64, 64);
        ladder.set(5, 1);
        ladder.set(9, 2);
        assert!(!upd(&mut ladder, 5, 0), "not the best");
        assert!(!upd(&mut ladder, 7, 0), "absent");
        assert!(!upd(&mut ladder, 9, 3), "the best changed, not removed");
        assert!(upd(&mut ladder, 9, 0));
        assert_eq!(ladder.count(), 0);
        ladder.check();
    }

    #[test]
    fn grow_doubles_in_place_and_keeps_every_level_across_the_ring_wrap() {
        let mut ladder = Ladder::new(128, 512);
        ladder.rebase(64, |_, _| {});
        for rank in [64, 100, 127, 128, 190] {
            ladder.set(rank, rank);
        }
        ladder.grow();
        ladder.check();
        assert_eq!(ladder.width(), 256);
        assert_eq!(ladder.base(), 64);
        assert_eq!(
            ladder.descending().collect::<Vec<_>>(),
            [190, 128, 127, 100, 64].map(|r| (r, r))
        );
        ladder.set(319, 7); // the new top of [64, 320)
        ladder.grow();
        ladder.check();
        assert_eq!(ladder.best(), Some((319, 7)));
        assert_eq!(ladder.count(), 6);
        ladder.grow(); // 512 = capacity: stays
        ladder.grow();
        assert_eq!(ladder.width(), 512);
        ladder.check();
    }
}
