//! Exact L2 order books in integer ticks and lots.
//!
//! [`L2Book`] keeps both sides of one instrument's book from absolute level updates
//! ([`L2Book::apply`]) and lends a lazily refreshed top-N view ([`L2Book::top`]).
//!
//! # Representation (`docs/hotpath.md` §2.6)
//! Each side is a tick ladder over a window of `window_ticks` ticks: quantities indexed by
//! price (`u32` lots per slot; larger lots, exact, in a small store beside it), an occupancy
//! bitmap scanned with `leading_zeros`, and the tracked best level, so an update near the touch
//! is O(1), branch-light, with no allocation. Levels outside the window are kept, never
//! dropped, in a far store per side: a B+tree over a node pool reserved up front, `O(log n)` per
//! update whatever the order of prices. The window follows the best: it is re-centred when the
//! best leaves it, nears its edge, or is deleted with the next best only in the far store. Real
//! books need this: a Binance BTCUSDT snapshot spans hundreds of thousands of ticks, but only
//! the region near the touch is hot. Its width adapts to the instrument (price over tick) and to
//! where updates land (`side` module docs), within memory reserved when the book is built.
//!
//! Bids and asks are independent: data may leave the book momentarily locked or crossed, which
//! [`L2Book::is_crossed`] reports and nothing here treats as an error.
//!
//! Files: `side` (one side and its re-centring rules), `ladder` (the window and its
//! occupancy bitmap), `slots` (the window's storage, indexed without bounds checks: the book's
//! one `unsafe`), `far` (levels outside the window), `top` (the top-N view).

mod far;
mod ladder;
mod side;
mod slots;
mod top;

#[cfg(test)]
mod prop_tests;
#[cfg(test)]
mod tests;

use ladder_sdk::{Level, MarketEvent, Price, Quantity, Side};
use side::BookSide;
use thiserror::Error;

pub use top::TopLevels;

/// Sizes of an [`L2Book`]; all memory is reserved when the book is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookConfig {
    /// The widest each side's ladder window may grow, in ticks (reserved up front); a power of
    /// two, at least 64. Default `1 << 17` (131,072 ticks, 512 KiB of `u32` quantity slots per
    /// side, of which only the window in use is touched).
    pub window_ticks: usize,
    /// The narrowest window, in ticks; a power of two, `64 ..= window_ticks`. The window
    /// starts at a width set by the price of the side's first level (about 1.6 % of it) and
    /// doubles when updates keep landing just below it (`side` module docs). Equal to
    /// `window_ticks`, the window has that one width. Default `1 << 10`.
    pub min_window_ticks: usize,
    /// Levels per side in the [`L2Book::top`] view. Default 20.
    pub top_n: usize,
    /// Far levels per side reserved up front; beyond it the far store allocates. Default 8192
    /// (about 282 KiB of tree nodes per side: room for the worst case, every node half full).
    pub far_capacity: usize,
}

impl Default for BookConfig {
    fn default() -> Self {
        Self {
            window_ticks: 1 << 17,
            min_window_ticks: 1 << 10,
            top_n: 20,
            far_capacity: 8192,
        }
    }
}

/// A [`BookConfig`] that cannot build a book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BookConfigError {
    /// `window_ticks` is not a power of two of at least 64.
    #[error("book window_ticks must be a power of two of at least 64, got {got}")]
    WindowTicks {
        /// The value given.
        got: usize,
    },
    /// `min_window_ticks` is not a power of two between 64 and `window_ticks`.
    #[error(
        "book min_window_ticks must be a power of two from 64 to window_ticks ({max}), got {got}"
    )]
    MinWindowTicks {
        /// The value given.
        got: usize,
        /// `window_ticks`.
        max: usize,
    },
}

/// An L2 order book: the total quantity at each price on each side.
///
/// ```
/// use ladder_engine::book::{BookConfig, L2Book};
/// use ladder_sdk::{Price, Quantity, Side};
///
/// let mut book = L2Book::new(BookConfig::default());
/// book.apply(Side::Buy, Price::from_ticks(6_183_763), Quantity::from_lots(378_826));
/// book.apply(Side::Sell, Price::from_ticks(6_183_764), Quantity::from_lots(154_698));
/// assert_eq!(book.best_bid().map(|l| l.price.ticks()), Some(6_183_763));
/// let top = book.top();
/// assert_eq!((top.bids.len(), top.asks.len()), (1, 1));
/// ```
#[derive(Clone)]
pub struct L2Book {
    config: BookConfig,
    bids: BookSide,
    asks: BookSide,
}

impl L2Book {
    /// An empty book.
    ///
    /// # Panics
    /// If `config.window_ticks` or `config.min_window_ticks` is out of range; see
    /// [`L2Book::try_new`].
    pub fn new(config: BookConfig) -> Self {
        match Self::try_new(config) {
            Ok(book) => book,
            Err(e) => panic!("{e}"),
        }
    }

    /// An empty book, or an error if the config is invalid.
    pub fn try_new(config: BookConfig) -> Result<Self, BookConfigError> {
        let w = config.window_ticks;
        if !w.is_power_of_two() || w < 64 {
            return Err(BookConfigError::WindowTicks { got: w });
        }
        let min = config.min_window_ticks;
        if !min.is_power_of_two() || min < 64 || min > w {
            return Err(BookConfigError::MinWindowTicks { got: min, max: w });
        }
        Ok(Self {
            config,
            bids: BookSide::new(true, min, w, config.far_capacity, config.top_n),
            asks: BookSide::new(false, min, w, config.far_capacity, config.top_n),
        })
    }

    /// The sizes this book was built with.
    pub fn config(&self) -> &BookConfig {
        &self.config
    }

    /// Sets the level at `price` on `side` to `qty` (an absolute quantity, as venues send).
    /// Zero removes the level; removing an absent level is a no-op.
    ///
    /// # Hot path
    /// No lock; no allocation unless a side's far store outgrows `far_capacity`.
    /// Inside the window O(1), plus `O(gap / 64)` to find the next best when the best is
    /// removed; outside it `O(log far)` whatever the order of updates (a B+tree descent and a
    /// shift of at most 32 entries; a split or merge per tree level at worst).
    /// A re-centre of the window (rare) costs `O(window_ticks / 64 + levels moved)`.
    #[inline]
    pub fn apply(&mut self, side: Side, price: Price, qty: Quantity) {
        self.side_mut(side).apply(price.ticks(), qty.lots());
    }

    /// Applies one normalized event: a `SnapshotBegin` empties the book, a `BookDelta` sets its
    /// level; other events leave it as it is. Returns true when the event closes a consistent
    /// book (the last delta of a message, or a `SnapshotEnd`). The one place events meet a book.
    ///
    /// # Hot path
    /// As [`L2Book::apply`].
    #[inline]
    pub fn apply_event(&mut self, event: &MarketEvent) -> bool {
        match event {
            MarketEvent::BookDelta(d) => {
                self.apply(d.side, d.price, d.qty);
                d.last
            }
            MarketEvent::SnapshotBegin(_) => {
                self.clear();
                false
            }
            MarketEvent::SnapshotEnd(_) => true,
            _ => false,
        }
    }

    /// Removes every level; keeps all memory.
    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
    }

    /// The highest bid.
    ///
    /// # Hot path
    /// No allocation, no lock, O(1).
    #[inline]
    pub fn best_bid(&self) -> Option<Level> {
        self.bids.best()
    }

    /// The lowest ask.
    ///
    /// # Hot path
    /// No allocation, no lock, O(1).
    #[inline]
    pub fn best_ask(&self) -> Option<Level> {
        self.asks.best()
    }

    /// The quantity resting at `price` on `side`; zero if there is no level.
    pub fn qty_at(&self, side: Side, price: Price) -> Quantity {
        self.side(side).qty_at(price.ticks())
    }

    /// Number of levels on `side`.
    pub fn len(&self, side: Side) -> usize {
        self.side(side).len()
    }

    /// True when neither side has a level.
    pub fn is_empty(&self) -> bool {
        self.bids.len() == 0 && self.asks.len() == 0
    }

    /// True when the best bid is above the best ask. A *locked* book (best bid equal to best
    /// ask) is not crossed; see [`L2Book::is_locked`]. Venue data can be momentarily either.
    pub fn is_crossed(&self) -> bool {
        matches!((self.best_bid(), self.best_ask()), (Some(b), Some(a)) if b.price > a.price)
    }

    /// True when the best bid equals the best ask.
    pub fn is_locked(&self) -> bool {
        matches!((self.best_bid(), self.best_ask()), (Some(b), Some(a)) if b.price == a.price)
    }

    /// Every level of `side`, best first: bids by descending price, asks by ascending price.
    pub fn levels(&self, side: Side) -> impl Iterator<Item = Level> + '_ {
        self.side(side).levels()
    }

    /// The first `top_n` levels of each side, best first, as contiguous arrays. A side is
    /// recomputed only if an update could have changed its view since the last call.
    ///
    /// # Hot path
    /// No allocation, no lock. Free when nothing relevant changed; else `O(top_n)` plus a
    /// bitmap scan over the ticks the view spans.
    #[inline]
    pub fn top(&mut self) -> TopLevels<'_> {
        self.bids.refresh_top();
        self.asks.refresh_top();
        TopLevels {
            bids: self.bids.top.levels(),
            asks: self.asks.top.levels(),
        }
    }

    #[inline]
    fn side(&self, side: Side) -> &BookSide {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    #[inline]
    fn side_mut(&mut self, side: Side) -> &mut BookSide {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    /// Checks every internal invariant of both sides; test builds only.
    #[cfg(test)]
    fn check_invariants(&self) {
        self.bids.check();
        self.asks.check();
    }
}

impl std::fmt::Debug for L2Book {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("L2Book")
            .field("best_bid", &self.best_bid())
            .field("best_ask", &self.best_ask())
            .field("bid_levels", &self.bids.len())
            .field("ask_levels", &self.asks.len())
            .finish_non_exhaustive()
    }
}
