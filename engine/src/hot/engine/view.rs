//! Read-only views for the dashboard and the report: last signal values, working orders,
//! recent trades, the top of each book, and the engine's final state detached from the hot
//! thread.

use super::*;

/// A strategy's final state, for reports.
#[derive(Debug, Clone)]
pub struct StrategySummary {
    /// Name and version from its manifest.
    pub name: String,
    /// Why it was disabled, if it was.
    pub disabled: Option<String>,
    /// Largest fall of equity from a peak.
    pub max_drawdown: Decimal,
}

/// The engine's final state, for reports.
#[derive(Debug, Clone)]
pub struct EngineFinal {
    /// Counters.
    pub stats: HotStats,
    /// Each strategy's name, fault, drawdown.
    pub strategies: Vec<StrategySummary>,
    /// `[strategy][instrument]`: the account and its unrealized PnL at the last exact mid.
    pub accounts: Vec<Vec<(Account, Decimal)>>,
    /// Final mid (ticks, rounded down) per instrument.
    pub marks: Vec<Option<Price>>,
    /// Final state and top levels of each instrument's book.
    pub books: Vec<FinalBook>,
    /// Every strategy swap (hot reload, `replay --swap`), refused ones included.
    pub swaps: Vec<SwapReport>,
}

/// Levels per side kept in [`FinalBook`].
pub const FINAL_LEVELS: usize = 10;

/// An instrument's book at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinalBook {
    /// Its state.
    pub state: BookState,
    /// Top bids, best first.
    pub bids: Vec<ladder_sdk::Level>,
    /// Top asks, best first.
    pub asks: Vec<ladder_sdk::Level>,
}

impl<O: OutputSink> HotEngine<O> {
    /// Final state of each strategy.
    pub fn strategy_summaries(&self) -> Vec<StrategySummary> {
        self.slots
            .iter()
            .map(|s| StrategySummary {
                name: s.instance.name().to_owned(),
                disabled: s.instance.disabled_reason().map(str::to_owned),
                max_drawdown: s.max_drawdown,
            })
            .collect()
    }

    /// Last value of each signal of strategy `s` (NaN until emitted), by signal id.
    pub fn last_signals(&self, s: usize) -> &[f64] {
        self.slots.get(s).map_or(&[], |slot| &slot.last_signals)
    }

    /// Orders strategy `s` has been told are working.
    pub fn open_orders(&self, s: usize) -> &[OpenOrder] {
        self.slots.get(s).map_or(&[], |slot| &slot.open)
    }

    /// The last trades of an instrument, oldest first.
    pub fn recent_trades(&self, instrument: InstrumentId) -> impl Iterator<Item = &Trade> {
        self.recent_trades[instrument.index()].iter()
    }

    /// The top-N view of an instrument's book.
    pub fn book_top(&mut self, instrument: InstrumentId) -> crate::book::TopLevels<'_> {
        self.books[instrument.index()].top()
    }

    /// Why strategy `s` was disabled, if it was.
    pub fn disabled_reason(&self, s: usize) -> Option<&str> {
        self.slots.get(s)?.instance.disabled_reason()
    }

    /// Number of strategies.
    pub fn strategy_count(&self) -> usize {
        self.slots.len()
    }

    /// Number of instruments.
    pub fn instrument_count(&self) -> usize {
        self.books.len()
    }

    /// Everything a report needs, detached from the engine (which stays on the hot thread).
    pub fn final_state(&self) -> EngineFinal {
        let marks: Vec<Option<Price>> = (0..self.books.len())
            .map(|i| self.mark(InstrumentId::new(i as u32)))
            .collect();
        let mids: Vec<Option<Decimal>> = (0..self.books.len())
            .map(|i| self.paper.mid(InstrumentId::new(i as u32)))
            .collect();
        let accounts = (0..self.slots.len())
            .map(|s| {
                (0..self.books.len())
                    .map(|i| {
                        let id = InstrumentId::new(i as u32);
                        let account = *self.paper.account(idx(s), id);
                        let unrealized = mids[i]
                            .map_or(Decimal::ZERO, |m| account.unrealized_at(&self.specs[i], m));
                        (account, unrealized)
                    })
                    .collect()
            })
            .collect();
        let books = self
            .books
            .iter()
            .zip(&self.states)
            .map(|(b, state)| FinalBook {
                state: *state,
                bids: b.levels(ladder_sdk::Side::Buy).take(FINAL_LEVELS).collect(),
                asks: b
                    .levels(ladder_sdk::Side::Sell)
                    .take(FINAL_LEVELS)
                    .collect(),
            })
            .collect();
        EngineFinal {
            stats: self.stats,
            strategies: self.strategy_summaries(),
            accounts,
            marks,
            books,
            swaps: self.swaps.clone(),
        }
    }

    /// Signal names of strategy `s`.
    pub fn signal_name(&self, s: usize, id: ladder_sdk::SignalId) -> Option<&str> {
        self.slots.get(s)?.instance.signal_name(id)
    }
}
