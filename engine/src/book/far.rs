//! Levels of one side that lie outside its window: a sorted `Vec`, best at the end.
//!
//! Far levels are always worse than every level in the window (see the invariants in
//! [`super::side`]), so they are kept in ascending rank order with the best at the end: the
//! levels just outside the window, which move most, are the cheapest to insert and remove, and
//! the window hands levels over by pushing to or draining from the end. Capacity is reserved up
//! front; nothing allocates until it is exceeded. A far level is never dropped.

/// One far level, in rank space (`rank = price ^ flip`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FarLevel {
    /// Rank of the level; higher is better.
    pub(super) rank: i64,
    /// Lots resting there, always `> 0`.
    pub(super) lots: i64,
}

/// Far levels of one side, ascending by rank.
pub(super) struct Far {
    levels: Vec<FarLevel>,
}

impl Clone for Far {
    /// Keeps the reserved capacity (a derived clone would shrink it to the length).
    fn clone(&self) -> Self {
        let mut levels = Vec::with_capacity(self.levels.capacity());
        levels.extend_from_slice(&self.levels);
        Self { levels }
    }
}

impl Far {
    /// An empty store with room for `capacity` levels.
    pub(super) fn with_capacity(capacity: usize) -> Self {
        Self {
            levels: Vec::with_capacity(capacity),
        }
    }

    /// Number of far levels.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.levels.len()
    }

    /// The best (highest-ranked) far level.
    #[inline]
    pub(super) fn best(&self) -> Option<FarLevel> {
        self.levels.last().copied()
    }

    /// Lots at `rank`, `0` when absent. `O(log n)`.
    pub(super) fn get(&self, rank: i64) -> i64 {
        match self.search(rank) {
            Ok(i) => self.levels[i].lots,
            Err(_) => 0,
        }
    }

    /// Sets `rank` to `lots > 0`, inserting the level if new.
    ///
    /// # Hot path
    /// No lock; no allocation while under the reserved capacity. O(1) when `rank` is above every
    /// far level, else `O(log n)` plus a `memmove` of the better levels on insert.
    #[inline]
    pub(super) fn set(&mut self, rank: i64, lots: i64) {
        debug_assert!(lots > 0);
        match self.levels.last() {
            Some(last) if last.rank >= rank => match self.search(rank) {
                Ok(i) => self.levels[i].lots = lots,
                Err(i) => self.levels.insert(i, FarLevel { rank, lots }),
            },
            _ => self.levels.push(FarLevel { rank, lots }),
        }
    }

    /// Removes the level at `rank`; returns whether one was there.
    ///
    /// # Hot path
    /// No allocation, no lock. `O(log n)` plus a `memmove` of the better levels.
    #[inline]
    pub(super) fn remove(&mut self, rank: i64) -> bool {
        match self.search(rank) {
            Ok(i) => {
                self.levels.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// Removes and returns, lowest first, every level ranked `>= min_rank` (a suffix).
    pub(super) fn drain_from(&mut self, min_rank: i64) -> std::vec::Drain<'_, FarLevel> {
        let start = self.levels.partition_point(|l| l.rank < min_rank);
        self.levels.drain(start..)
    }

    /// Every far level, best first.
    #[inline]
    pub(super) fn iter_best_first(&self) -> std::iter::Rev<std::slice::Iter<'_, FarLevel>> {
        self.levels.iter().rev()
    }

    /// Removes every level; keeps the capacity.
    pub(super) fn clear(&mut self) {
        self.levels.clear();
    }

    #[inline]
    fn search(&self, rank: i64) -> Result<usize, usize> {
        self.levels.binary_search_by(|l| l.rank.cmp(&rank))
    }

    /// Reserved capacity; test builds only.
    #[cfg(test)]
    pub(super) fn capacity(&self) -> usize {
        self.levels.capacity()
    }

    /// Checks the store's invariants: strictly ascending, positive lots, all below `limit`.
    #[cfg(test)]
    pub(super) fn check(&self, limit: i64) {
        for pair in self.levels.windows(2) {
            assert!(
                pair[0].rank < pair[1].rank,
                "far levels not strictly ascending: {pair:?}"
            );
        }
        for l in &self.levels {
            assert!(l.lots > 0, "far level with no lots: {l:?}");
            assert!(
                l.rank < limit,
                "far level {l:?} not below the window base {limit}"
            );
        }
    }
}
