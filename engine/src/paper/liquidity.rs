//! Visible liquidity a strategy already took: taker fills walk the real book, which the paper
//! exchange cannot change, so it remembers per (strategy, side, price) how much of the displayed
//! quantity was used. The memory of a level is dropped as soon as the book shows a different
//! quantity there; from then on the new displayed quantity is all available again.

use super::StrategyIdx;
use crate::book::L2Book;
use ladder_sdk::{Price, Quantity, Side};

#[derive(Debug, Clone, Copy)]
struct Taken {
    strategy: StrategyIdx,
    side: Side,
    price: Price,
    /// The displayed quantity when the liquidity was taken.
    seen: i64,
    /// Lots taken out of `seen`.
    used: i64,
}

/// Taken levels of one instrument.
#[derive(Debug, Clone)]
pub(super) struct TakenLevels {
    entries: Vec<Taken>,
}

impl TakenLevels {
    /// Room for `capacity` levels before the list grows (allocates).
    pub(super) fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: Vec::with_capacity(capacity),
        }
    }

    /// Lots `strategy` may still take at a level of `side` at `price` displaying `displayed`.
    ///
    /// # Hot path
    /// No allocation; linear in the levels remembered (a handful).
    pub(super) fn available(
        &self,
        strategy: StrategyIdx,
        side: Side,
        price: Price,
        displayed: Quantity,
    ) -> i64 {
        let shown = displayed.lots();
        match self.find(strategy, side, price) {
            Some(i) if self.entries[i].seen == shown => (shown - self.entries[i].used).max(0),
            _ => shown,
        }
    }

    /// Records that `strategy` took `lots` at a level displaying `displayed`.
    pub(super) fn take(
        &mut self,
        strategy: StrategyIdx,
        side: Side,
        price: Price,
        displayed: Quantity,
        lots: i64,
    ) {
        let shown = displayed.lots();
        match self.find(strategy, side, price) {
            Some(i) if self.entries[i].seen == shown => self.entries[i].used += lots,
            Some(i) => {
                self.entries[i].seen = shown;
                self.entries[i].used = lots;
            }
            None => self.entries.push(Taken {
                strategy,
                side,
                price,
                seen: shown,
                used: lots,
            }),
        }
    }

    /// Forgets every level whose displayed quantity in `book` is no longer the one taken from.
    ///
    /// # Hot path
    /// No allocation; one `qty_at` per remembered level.
    pub(super) fn refresh(&mut self, book: &L2Book) {
        self.entries
            .retain(|e| book.qty_at(e.side, e.price).lots() == e.seen);
    }

    fn find(&self, strategy: StrategyIdx, side: Side, price: Price) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| e.strategy == strategy && e.side == side && e.price == price)
    }
}
