//! One side of the book: window ladder + far store + top-N cache, and the re-centring rules.
//!
//! # Rank space
//! A side works on `rank = price ^ flip` with `flip = 0` for bids and `flip = -1` (`!price`)
//! for asks. `x ^ -1` is an order-reversing bijection on `i64` with no overflow, so on both
//! sides a higher rank is a better level and all the code below is side-agnostic.
//!
//! # Invariants
//! 1. Every level whose rank is inside the window `[base, base + W)` is in the ladder.
//! 2. Every far level ranks below `base`; so all far levels are worse than all window levels.
//! 3. If the side has any level, its best is in the window (window empty ⇒ far empty).
//!
//! # Re-centring
//! The window sits mostly *below* the best: in a real book the depth (deep levels that keep
//! changing) matters more than room for the price to rise. After a move the best is at offset
//! [`anchor`] ≈ `3 W / 4` (the base is a multiple of 64), and the window moves again when
//! - a level arrives above the window (a new best outside it), or on an empty side;
//! - a new best lands at offset `>= W - W / 16` ([`high_mark`]);
//! - the best is removed and the next best is below offset `W / 2` ([`low_mark`]), or only in
//!   the far store.
//!
//! A move drains the ranks that leave the window into the far store (pushes at its end) and the
//! far levels that enter it from the far store's end: `O(distance / 64 + W / 64 + levels
//! moved)`; it is rare, because the best must travel `W / 4` ticks either way.
//!
//! # Width
//! The width adapts to the instrument and to where its levels are, between the book's
//! `min_window_ticks` and `window_ticks` (reserved up front, so adapting never allocates):
//! - **price and tick**: when the side first holds a level, `W` is the power of two nearest
//!   above `price / 64` in ticks ([`initial_width`]): about 1.6 % of the price, whatever the
//!   tick (BTCUSDT spot at 61,837.63 with a 0.01 tick: 131,072 ticks, the default maximum;
//!   USD-M with a 0.1 tick: 16,384). A quarter of that (`price / 256`) left 7.5-7.9 % of the
//!   shared captures' updates to the far store, most of them within four widths below the
//!   window; this width takes all but 4.0-5.5 %, and only the slots near the touch are hot;
//! - **observed spread**: updates that miss the window but would land in a window twice as wide
//!   (within `W` ticks below its base) are counted; when, over at least [`GROW_AFTER`] such
//!   misses, they are more than one update in [`GROW_SHARE`], the window doubles in place and
//!   re-centres ([`Ladder::grow`]). Levels far beyond that (a bid at 10 % of the price) do not
//!   grow it: they are what the far store is for. A width learnt this way is kept across
//!   clears (a resync is the same instrument).

use super::far::{BestFirst, Far, FarLevel};
use super::ladder::{Descending, Ladder, Settled};
use super::top::TopCache;
use ladder_sdk::{Level, Price, Quantity};

/// One side of an [`super::L2Book`].
#[derive(Clone)]
pub(super) struct BookSide {
    /// `0` for bids, `-1` for asks: `rank = price ^ flip` and `price = rank ^ flip`.
    flip: i64,
    ladder: Ladder,
    far: Far,
    pub(super) top: TopCache,
    /// Smallest width.
    min_width: u64,
    /// [`high_mark`] of the current width (set where the width changes: every re-centre).
    high: u64,
    /// True once the width was set from a first level's price.
    sized: bool,
    /// Updates applied (wrapping), and its value when the miss count last restarted.
    updates: u64,
    epoch: u64,
    /// Updates since `epoch` that missed the window by less than one width.
    near_misses: u64,
}

/// Near misses counted before the window may grow.
const GROW_AFTER: u64 = 256;

/// The window grows when more than one update in this many is a near miss.
const GROW_SHARE: u64 = 16;

/// The first width for a level at `price` ticks: the power of two nearest above `|price| / 64`,
/// within `min ..= max`.
#[inline]
pub(super) fn initial_width(price: i64, min: u64, max: u64) -> u64 {
    (price.unsigned_abs() / 64)
        .max(1)
        .checked_next_power_of_two()
        .unwrap_or(max)
        .clamp(min, max)
}

impl BookSide {
    /// An empty side; `bids` picks the rank orientation. Its window adapts between
    /// `min_window` and `max_window` ticks (both powers of two, `64 <= min <= max`).
    pub(super) fn new(
        bids: bool,
        min_window: usize,
        max_window: usize,
        far_capacity: usize,
        top_n: usize,
    ) -> Self {
        Self {
            flip: if bids { 0 } else { -1 },
            ladder: Ladder::new(min_window, max_window),
            far: Far::with_capacity(far_capacity),
            top: TopCache::new(top_n),
            min_width: min_window as u64,
            high: high_mark(min_window as u64),
            sized: min_window == max_window,
            updates: 0,
            epoch: 0,
            near_misses: 0,
        }
    }

    /// Sets the level at `price` to `lots` (`0` removes it; removing an absent level is a no-op).
    ///
    /// # Hot path
    /// No lock; no allocation unless the far store outgrows its reserved capacity.
    /// Inside the window O(1): below the best (94-97 % of the shared captures' updates) a
    /// store, a bit flip and a count, with no branch on insert, change or removal
    /// ([`Ladder::put`]); at or above it [`Self::apply_at_best`] (plus `O(gap / 64)` to find the
    /// next best when the best is removed). Outside it `O(log far)` in any order of updates
    /// (see [`Far::set`]); a re-centre (rare) `O(W / 64 + levels moved)`.
    ///
    /// Not inlined: `L2Book::apply` picks the side's address and calls this, whatever the
    /// caller. Inlined into a loop over a book held by value, the compiler split the book into
    /// its fields and selected each field of the side by its own conditional move (twenty more
    /// instructions per update in the peers bench's loop); the call costs about five.
    #[inline(never)]
    pub(super) fn apply(&mut self, price: i64, lots: i64) {
        let rank = price ^ self.flip;
        self.top.touch(rank);
        self.updates = self.updates.wrapping_add(1);
        if !self.ladder.holds(rank) {
            return self.apply_outside(rank, price, lots);
        }
        if !self.ladder.put(rank, lots) {
            self.apply_at_best(rank, lots);
        }
    }

    /// [`Self::apply`] of a level in the window at or above the best (or of a wide level).
    ///
    /// # Hot path
    /// As [`Ladder::put_at_best`], plus a re-centre (rare).
    #[inline(never)]
    fn apply_at_best(&mut self, rank: i64, lots: i64) {
        match self.ladder.put_at_best(rank, lots, self.high) {
            Settled::Done => {}
            Settled::BestRemoved => self.after_best_removed(),
            Settled::HighBest => self.recentre(rank),
        }
    }

    /// [`Self::apply`] of a level outside the window, or on an empty window: a new best above
    /// it re-centres the window on it; anything below goes to the far store.
    ///
    /// # Hot path
    /// As [`Self::apply`]: `O(log far)`, without the descent for a level in the far store's
    /// first or last leaf (see [`Far::set`]).
    #[inline(never)]
    fn apply_outside(&mut self, rank: i64, price: i64, lots: i64) {
        if lots > 0 {
            if self.ladder.count() == 0 || rank > self.ladder.top() {
                if !self.sized {
                    self.size_for(price);
                }
                self.recentre(rank);
                self.ladder.set(rank, lots);
            } else {
                self.far.set(rank, lots);
                self.far_hit(rank);
            }
        } else if rank < self.ladder.base() {
            self.far.remove(rank);
            self.far_hit(rank);
        }
    }

    /// Sets the first width from the price of the side's first level (the side is empty).
    #[cold]
    fn size_for(&mut self, price: i64) {
        let w = initial_width(price, self.min_width, self.ladder.capacity());
        self.ladder.set_width(w);
        self.sized = true;
    }

    /// An update at `rank` below the window went to the far store: count it if a window twice
    /// as wide would have held it, and grow the window when such misses are frequent.
    ///
    /// # Hot path
    /// No allocation, no lock; O(1), plus a grow (rare: at most `log2(max / min)` times per
    /// side) of `O(W / 64 + levels moved)`.
    #[inline]
    fn far_hit(&mut self, rank: i64) {
        if self.ladder.base().wrapping_sub(rank) as u64 > self.ladder.width() {
            return;
        }
        self.near_misses += 1;
        if self.near_misses >= GROW_AFTER {
            self.maybe_grow();
        }
    }

    /// Doubles the window (and re-centres it) if near misses were more than one update in
    /// [`GROW_SHARE`] since the count restarted; restarts the count.
    #[cold]
    #[inline(never)]
    fn maybe_grow(&mut self) {
        let seen = self.updates.wrapping_sub(self.epoch);
        let grow = self.near_misses * GROW_SHARE > seen
            && self.ladder.width() < self.ladder.capacity()
            && self.ladder.count() > 0;
        self.near_misses = 0;
        self.epoch = self.updates;
        if grow {
            self.ladder.grow();
            let best = self.ladder.best_rank();
            self.recentre(best);
        }
    }

    /// The best was just removed from the window: keep the best inside, away from the bottom.
    #[cold]
    fn after_best_removed(&mut self) {
        let w = self.ladder.width();
        match self.ladder.best() {
            Some((best, _)) => {
                if self.ladder.offset(best) < low_mark(w) {
                    self.recentre(best);
                }
            }
            None => {
                if let Some(FarLevel { rank, .. }) = self.far.best() {
                    self.recentre(rank);
                }
            }
        }
    }

    /// Moves the window so that `best` (the side's best rank after this update) sits at its
    /// centre, moving levels between the window and the far store.
    #[cold]
    #[inline(never)]
    fn recentre(&mut self, best: i64) {
        let w = self.ladder.width();
        self.high = high_mark(w);
        // The nearest multiple of 64 to `best - anchor`.
        let new_base = (best.saturating_sub(anchor(w) - 32) & !63).min(self.ladder.max_base());
        let far = &mut self.far;
        self.ladder.rebase(new_base, |rank, lots| {
            debug_assert!(
                rank < new_base,
                "only ranks below the new window may leave it"
            );
            far.set(rank, lots);
        });
        let ladder = &mut self.ladder;
        self.far
            .drain_from(new_base, |l| ladder.set(l.rank, l.lots));
    }

    /// Removes every level; keeps the window position and all memory.
    pub(super) fn clear(&mut self) {
        self.ladder.clear();
        self.far.clear();
        self.top.invalidate();
    }

    /// The best level, if any.
    ///
    /// # Hot path
    /// No allocation, no lock, O(1).
    #[inline]
    pub(super) fn best(&self) -> Option<Level> {
        self.ladder
            .best()
            .map(|(rank, lots)| level(rank, lots, self.flip))
    }

    /// Lots at `price`.
    pub(super) fn qty_at(&self, price: i64) -> Quantity {
        let rank = price ^ self.flip;
        let lots = if self.ladder.offset(rank) < self.ladder.width() {
            self.ladder.get(rank)
        } else if rank < self.ladder.base() {
            self.far.get(rank)
        } else {
            0
        };
        Quantity::from_lots(lots)
    }

    /// Number of levels.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.ladder.count() + self.far.len()
    }

    /// Every level, best first.
    pub(super) fn levels(&self) -> Levels<'_> {
        Levels::new(&self.ladder, &self.far, self.flip)
    }

    /// Refreshes the top-N cache if stale.
    ///
    /// # Hot path
    /// No allocation, no lock. Free when clean; else `O(N + span / 64)` where `span` is the
    /// ticks covered by the first `N` levels.
    #[inline]
    pub(super) fn refresh_top(&mut self) {
        if !self.top.is_dirty() {
            return;
        }
        let flip = self.flip;
        let (n, out) = self.top.start_refill();
        let mut window = self.ladder.descending();
        while out.len() < n {
            match window.next() {
                Some((rank, lots)) => out.push(level(rank, lots, flip)),
                None => break,
            }
        }
        let mut far = self.far.iter_best_first();
        while out.len() < n {
            match far.next() {
                Some(l) => out.push(level(l.rank, l.lots, flip)),
                None => break,
            }
        }
        self.top.finish_refill(flip);
    }

    /// Width of the window in ticks; test builds only.
    #[cfg(test)]
    pub(super) fn window_width(&self) -> u64 {
        self.ladder.width()
    }

    /// Lowest rank of the window (for bids, a price); test builds only.
    #[cfg(test)]
    pub(super) fn window_base(&self) -> i64 {
        self.ladder.base()
    }

    /// Reserved far capacity, in levels; test builds only.
    #[cfg(test)]
    pub(super) fn far_capacity(&self) -> usize {
        self.far.capacity()
    }

    /// Far entries copied since the last clear (inserts, removals, splits, merges); test builds
    /// only.
    #[cfg(test)]
    pub(super) fn far_moves(&self) -> u64 {
        self.far.moves()
    }

    /// Inner levels of the far store's tree; test builds only.
    #[cfg(test)]
    pub(super) fn far_height(&self) -> usize {
        self.far.height()
    }

    /// Checks every invariant of the side; test builds only.
    #[cfg(test)]
    pub(super) fn check(&self) {
        self.ladder.check();
        self.far.check(self.ladder.base());
        if self.ladder.count() == 0 {
            assert_eq!(self.far.len(), 0, "far levels while the window is empty");
        }
    }
}

/// Offset of the best after a re-centre, before the base is rounded to the nearest multiple of
/// 64 (so the best lands within `anchor - 32 ..= anchor + 31`, inside even a 64-tick window).
#[inline]
fn anchor(w: u64) -> i64 {
    (3 * w as i64 / 4 - 32).max(32)
}

/// A new best at or above this offset moves the window up.
#[inline]
fn high_mark(w: u64) -> u64 {
    w - w / 16
}

/// A best left below this offset by a removal moves the window down.
#[inline]
fn low_mark(w: u64) -> u64 {
    w / 2
}

/// Iterator over one side's levels, best first: the window by bitmap scan, then the far store.
pub(super) struct Levels<'a> {
    window: Descending<'a>,
    far: BestFirst<'a>,
    flip: i64,
}

impl<'a> Levels<'a> {
    fn new(ladder: &'a Ladder, far: &'a Far, flip: i64) -> Self {
        Self {
            window: ladder.descending(),
            far: far.iter_best_first(),
            flip,
        }
    }
}

impl Iterator for Levels<'_> {
    type Item = Level;

    #[inline]
    fn next(&mut self) -> Option<Level> {
        match self.window.next() {
            Some((rank, lots)) => Some(level(rank, lots, self.flip)),
            None => self.far.next().map(|l| level(l.rank, l.lots, self.flip)),
        }
    }
}

/// The public level for a rank and its lots.
#[inline]
pub(super) fn level(rank: i64, lots: i64, flip: i64) -> Level {
    Level::new(Price::from_ticks(rank ^ flip), Quantity::from_lots(lots))
}
