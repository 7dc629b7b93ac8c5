//! The top-N view: a small contiguous array of levels per side, refreshed lazily.
//!
//! Each side keeps its first `top_n` levels, best first, in a `Vec<Level>` reserved up front.
//! An update marks the side dirty only if it could change that prefix: when the array is full,
//! an update strictly worse than its last level cannot. [`super::L2Book::top`] refills dirty
//! sides and lends both arrays, which are `#[repr(C)]` `Level`s and can be handed to a plugin
//! as-is.

use ladder_sdk::Level;

/// The best levels of both sides, best first, at most `top_n` each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopLevels<'a> {
    /// Bids, highest price first.
    pub bids: &'a [Level],
    /// Asks, lowest price first.
    pub asks: &'a [Level],
}

/// One side's cached top-N levels.
pub(super) struct TopCache {
    levels: Vec<Level>,
    n: usize,
    dirty: bool,
    /// Updates ranked at or above this may change the cached prefix.
    floor: i64,
}

impl Clone for TopCache {
    /// Keeps the reserved capacity (a derived clone would shrink it to the length).
    fn clone(&self) -> Self {
        let mut levels = Vec::with_capacity(self.n);
        levels.extend_from_slice(&self.levels);
        Self {
            levels,
            n: self.n,
            dirty: self.dirty,
            floor: self.floor,
        }
    }
}

impl TopCache {
    /// An empty, dirty cache for `n` levels.
    pub(super) fn new(n: usize) -> Self {
        Self {
            levels: Vec::with_capacity(n),
            n,
            dirty: true,
            floor: i64::MIN,
        }
    }

    /// Notes an update at `rank`.
    ///
    /// # Hot path
    /// No allocation, no lock, O(1), branch-free.
    #[inline]
    pub(super) fn touch(&mut self, rank: i64) {
        self.dirty |= rank >= self.floor;
    }

    /// Marks the cache stale.
    pub(super) fn invalidate(&mut self) {
        self.dirty = true;
    }

    /// True when [`Self::refill`] is due.
    #[inline]
    pub(super) fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Starts a refill: the number of levels wanted and the emptied array (reserved for them,
    /// so pushing up to that many does not allocate).
    #[inline]
    pub(super) fn start_refill(&mut self) -> (usize, &mut Vec<Level>) {
        self.levels.clear();
        (self.n, &mut self.levels)
    }

    /// Ends a refill; `flip` maps prices back to ranks.
    #[inline]
    pub(super) fn finish_refill(&mut self, flip: i64) {
        self.floor = match self.levels.last() {
            Some(last) if self.levels.len() == self.n => last.price.ticks() ^ flip,
            // Not full: any new level belongs in the view.
            Some(_) => i64::MIN,
            // Empty: when `n == 0` nothing ever belongs in the view.
            None if self.n == 0 => i64::MAX,
            None => i64::MIN,
        };
        self.dirty = false;
    }

    /// The cached levels; current only after a refill with no update since.
    #[inline]
    pub(super) fn levels(&self) -> &[Level] {
        &self.levels
    }
}
