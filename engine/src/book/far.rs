//! Levels of one side that lie outside its window: a sorted `Vec` with holes, best at the end.
//!
//! Far levels are always worse than every level in the window (see the invariants in
//! [`super::side`]), so they are kept in ascending rank order with the best at the end: the
//! window hands levels over by pushing to and draining from the end.
//!
//! Deep levels of a real book flicker: the same prices are removed and re-added all the time.
//! A removal therefore leaves a *hole* (an entry with zero lots) instead of shifting the
//! entries after it, and an insert reuses the hole at its own rank or next to its position, or
//! shifts entries only up to a nearby hole. Holes are compacted away when they outnumber the
//! levels or fill the reserved capacity. The last entry is never a hole.
//!
//! Capacity is reserved up front; nothing allocates until more than `far_capacity` levels are
//! live. A far level is never dropped.

/// One far entry, in rank space (`rank = price ^ flip`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FarLevel {
    /// Rank of the level; higher is better.
    pub(super) rank: i64,
    /// Lots resting there; `0` marks a hole.
    pub(super) lots: i64,
}

/// Far levels best first, skipping holes.
pub(super) struct BestFirst<'a>(std::iter::Rev<std::slice::Iter<'a, FarLevel>>);

impl Iterator for BestFirst<'_> {
    type Item = FarLevel;

    #[inline]
    fn next(&mut self) -> Option<FarLevel> {
        self.0.find(|e| e.lots > 0).copied()
    }
}

/// How far an insert looks for a hole to shift into before falling back to `Vec::insert`.
const HOLE_PROBE: usize = 16;

/// Far levels of one side, ascending by rank, with holes.
pub(super) struct Far {
    entries: Vec<FarLevel>,
    /// Entries that are not holes.
    live: usize,
}

impl Clone for Far {
    /// Keeps the reserved capacity (a derived clone would shrink it to the length).
    fn clone(&self) -> Self {
        let mut entries = Vec::with_capacity(self.entries.capacity());
        entries.extend_from_slice(&self.entries);
        Self {
            entries,
            live: self.live,
        }
    }
}

impl Far {
    /// An empty store with room for `capacity` levels.
    pub(super) fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: Vec::with_capacity(capacity),
            live: 0,
        }
    }

    /// Number of far levels.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.live
    }

    /// The best (highest-ranked) far level.
    #[inline]
    pub(super) fn best(&self) -> Option<FarLevel> {
        self.entries.last().copied()
    }

    /// Lots at `rank`, `0` when absent. `O(log n)`.
    pub(super) fn get(&self, rank: i64) -> i64 {
        self.search(rank).map_or(0, |i| self.entries[i].lots)
    }

    /// Sets `rank` to `lots > 0`, inserting the level if new.
    ///
    /// # Hot path
    /// No lock; no allocation while no more than the reserved capacity is live. O(1) above every
    /// far level; else `O(log n)`, plus a short shift into a nearby hole or, failing that, a
    /// `memmove` of the better entries.
    #[inline]
    pub(super) fn set(&mut self, rank: i64, lots: i64) {
        debug_assert!(lots > 0);
        match self.entries.last() {
            Some(last) if last.rank >= rank => self.set_inner(rank, lots),
            _ => {
                self.make_room();
                self.entries.push(FarLevel { rank, lots });
                self.live += 1;
            }
        }
    }

    fn set_inner(&mut self, rank: i64, lots: i64) {
        let i = match self.search(rank) {
            Ok(i) => {
                let e = &mut self.entries[i];
                self.live += usize::from(e.lots == 0);
                e.lots = lots;
                return;
            }
            Err(i) => i,
        };
        // `entries[i - 1].rank < rank < entries[i].rank`: a hole on either side can take it.
        self.live += 1;
        let new = FarLevel { rank, lots };
        if i > 0 && self.entries[i - 1].lots == 0 {
            self.entries[i - 1] = new;
        } else if self.entries[i].lots == 0 {
            self.entries[i] = new;
        } else if let Some(h) = self.entries[i..]
            .iter()
            .take(HOLE_PROBE)
            .position(|e| e.lots == 0)
        {
            // Shift `[i, i + h)` up into the hole at `i + h`.
            self.entries.copy_within(i..i + h, i + 1);
            self.entries[i] = new;
        } else if let Some(h) = self.entries[..i]
            .iter()
            .rev()
            .take(HOLE_PROBE)
            .position(|e| e.lots == 0)
        {
            // Shift `(hole, i)` down into the hole at `i - 1 - h`.
            let hole = i - 1 - h;
            self.entries.copy_within(hole + 1..i, hole);
            self.entries[i - 1] = new;
        } else if self.make_room() {
            // Compaction moved everything and left no hole: find the spot again.
            self.live -= 1;
            self.set_inner(rank, lots);
        } else {
            self.entries.insert(i, new);
        }
    }

    /// Removes the level at `rank`; returns whether one was there.
    ///
    /// # Hot path
    /// No allocation, no lock. `O(log n)`; leaves a hole, compacting (`O(n)`, amortised) when
    /// holes outnumber levels.
    #[inline]
    pub(super) fn remove(&mut self, rank: i64) -> bool {
        let Ok(i) = self.search(rank) else {
            return false;
        };
        if self.entries[i].lots == 0 {
            return false;
        }
        self.entries[i].lots = 0;
        self.live -= 1;
        if i + 1 == self.entries.len() {
            while self.entries.last().is_some_and(|e| e.lots == 0) {
                self.entries.pop();
            }
        } else if self.entries.len() - self.live > self.live + 64 {
            self.compact();
        }
        true
    }

    /// Removes every level ranked `>= min_rank` (a suffix) and hands it to `f`, lowest first.
    pub(super) fn drain_from(&mut self, min_rank: i64, mut f: impl FnMut(FarLevel)) {
        let start = self.entries.partition_point(|l| l.rank < min_rank);
        for e in self.entries.drain(start..).filter(|e| e.lots > 0) {
            self.live -= 1;
            f(e);
        }
    }

    /// Every far level, best first.
    #[inline]
    pub(super) fn iter_best_first(&self) -> BestFirst<'_> {
        BestFirst(self.entries.iter().rev())
    }

    /// Removes every level; keeps the capacity.
    pub(super) fn clear(&mut self) {
        self.entries.clear();
        self.live = 0;
    }

    /// Before adding an entry: if the reserved capacity is full of entries but some are holes,
    /// compacts instead of letting the `Vec` grow. Returns whether it compacted.
    #[inline]
    fn make_room(&mut self) -> bool {
        let full = self.entries.len() == self.entries.capacity();
        let compact = full && self.live < self.entries.len();
        if compact {
            self.compact();
        }
        compact
    }

    #[cold]
    fn compact(&mut self) {
        self.entries.retain(|e| e.lots > 0);
    }

    #[inline]
    fn search(&self, rank: i64) -> Result<usize, usize> {
        self.entries.binary_search_by(|l| l.rank.cmp(&rank))
    }

    /// Reserved capacity; test builds only.
    #[cfg(test)]
    pub(super) fn capacity(&self) -> usize {
        self.entries.capacity()
    }

    /// Checks the store's invariants: strictly ascending, last entry live, live count right, all
    /// below `limit`.
    #[cfg(test)]
    pub(super) fn check(&self, limit: i64) {
        for pair in self.entries.windows(2) {
            assert!(
                pair[0].rank < pair[1].rank,
                "far entries not strictly ascending: {pair:?}"
            );
        }
        if let Some(last) = self.entries.last() {
            assert!(last.lots > 0, "far store ends with a hole");
        }
        assert_eq!(
            self.entries.iter().filter(|e| e.lots > 0).count(),
            self.live,
            "live count"
        );
        for l in &self.entries {
            assert!(l.lots >= 0, "far level with negative lots: {l:?}");
            assert!(
                l.rank < limit,
                "far level {l:?} not below the window base {limit}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranks(far: &Far) -> Vec<(i64, i64)> {
        far.iter_best_first().map(|l| (l.rank, l.lots)).collect()
    }

    #[test]
    fn remove_then_reinsert_reuses_holes_and_keeps_order() {
        let mut far = Far::with_capacity(8);
        for r in [10, 20, 30, 40] {
            far.set(r, r);
        }
        assert!(far.remove(20));
        assert!(!far.remove(20));
        far.check(i64::MAX);
        far.set(25, 1); // next to the hole at 20
        far.set(20, 2);
        far.set(15, 3);
        far.check(i64::MAX);
        assert_eq!(
            ranks(&far),
            vec![(40, 40), (30, 30), (25, 1), (20, 2), (15, 3), (10, 10)]
        );
        assert!(far.remove(40)); // the end: trailing holes are popped
        far.check(i64::MAX);
        assert_eq!(far.best().map(|l| l.rank), Some(30));
        assert_eq!(far.len(), 5);
    }

    #[test]
    fn full_capacity_with_holes_compacts_instead_of_growing() {
        let mut far = Far::with_capacity(4);
        let cap = far.capacity();
        for r in 0..cap as i64 {
            far.set(r * 10, 1);
        }
        for r in 1..cap as i64 - 1 {
            far.remove(r * 10);
        }
        far.set(cap as i64 * 10, 2); // a push onto a full store with holes
        far.check(i64::MAX);
        far.set(1, 3); // an insert with no hole nearby
        far.check(i64::MAX);
        assert_eq!(far.capacity(), cap);
        let last = (cap as i64 - 1) * 10;
        assert_eq!(
            ranks(&far),
            vec![(cap as i64 * 10, 2), (last, 1), (1, 3), (0, 1)]
        );
    }
}
