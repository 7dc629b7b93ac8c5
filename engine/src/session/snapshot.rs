//! What the dashboard shows, published by the hot thread.
//!
//! The hot thread fills a [`Snapshot`] in place every 100 ms (reusing its buffers, so nothing
//! allocates once warm) behind a mutex it only ever `try_lock`s: if the dashboard is reading,
//! the hot thread skips that publication rather than wait.

use crate::hot::output::OutputSink;
use crate::hot::stamps::Stage;
use crate::hot::{HotEngine, RECENT_TRADES};
use crate::paper::StrategyIdx;
use hdrhistogram::Histogram;
use ladder_sdk::{BookState, InstrumentId, Level, OpenOrder, Trade, UnixNanos};
use rust_decimal::Decimal;

/// Levels per side shown.
pub const SHOWN_LEVELS: usize = 10;

/// One instrument.
#[derive(Debug, Clone)]
pub struct BookSnap {
    /// Book state as the hot thread sees it.
    pub state: BookState,
    /// Top bids, best first.
    pub bids: Vec<Level>,
    /// Top asks, best first.
    pub asks: Vec<Level>,
    /// Last trades, oldest first.
    pub trades: Vec<Trade>,
}

/// One strategy.
#[derive(Debug, Clone)]
pub struct StrategySnap {
    /// Last value of each signal (NaN until emitted).
    pub signals: Vec<f64>,
    /// Position per instrument, in lots.
    pub positions: Vec<i64>,
    /// Working orders.
    pub open_orders: Vec<OpenOrder>,
    /// Realized PnL, all instruments.
    pub realized: Decimal,
    /// Unrealized PnL at the mids.
    pub unrealized: Decimal,
    /// Fees.
    pub fees: Decimal,
    /// Fills.
    pub fills: u64,
    /// Why it was disabled, once it is.
    pub disabled: Option<String>,
}

/// Hot-thread latency figures, nanoseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct LatencySnap {
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Maximum.
    pub max: u64,
}

/// Everything the dashboard shows.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// When it was published (engine clock).
    pub at: UnixNanos,
    /// Events processed.
    pub events: u64,
    /// Book updates processed.
    pub book_updates: u64,
    /// Trades processed.
    pub trades: u64,
    /// Per instrument.
    pub books: Vec<BookSnap>,
    /// Per strategy.
    pub strategies: Vec<StrategySnap>,
    /// Frame received → hot thread done with it.
    pub tick_to_done: LatencySnap,
    /// Hot-thread processing time per event.
    pub processing: LatencySnap,
    /// Whether the publisher copies the whole latency histograms below (only the metrics
    /// exporter reads them; a copy is a few hundred kilobytes, every 100 ms).
    pub histograms: bool,
    /// The whole distribution behind [`Snapshot::tick_to_done`] (for the metrics exporter).
    pub tick_to_done_histogram: Option<Histogram<u64>>,
    /// The whole distribution behind [`Snapshot::processing`].
    pub processing_histogram: Option<Histogram<u64>>,
    /// The pipeline's stage histograms in TSC ticks ([`crate::hot::stamps`]), by
    /// [`Stage::ALL`] index; empty while stage latency is not recorded.
    pub stages: Vec<Option<Histogram<u64>>>,
    /// Strategy swaps so far (hot reload), refused ones included.
    pub swaps: usize,
    /// The last swap in one line.
    pub last_swap: Option<String>,
}

/// Copies `src` into `dst`, reusing `dst`'s buffer once it has one (histograms of the same
/// bounds: no allocation after the first copy).
pub fn copy_histogram(dst: &mut Option<Histogram<u64>>, src: &Histogram<u64>) {
    match dst {
        Some(d) => {
            d.reset();
            // Same bounds as `src`: every value fits.
            let _ = d.add(src);
        }
        None => *dst = Some(src.clone()),
    }
}

impl Snapshot {
    /// Fills the snapshot from the engine, reusing its buffers.
    ///
    /// # Hot path
    /// Runs every 100 ms, not per event; no allocation once its buffers have grown (a
    /// strategy's disable reason is copied once).
    pub fn publish<O: OutputSink>(&mut self, engine: &mut HotEngine<O>, at: UnixNanos) {
        self.at = at;
        if engine.swaps().len() != self.swaps {
            // Only when a swap happened: a line for the display.
            self.swaps = engine.swaps().len();
            self.last_swap = engine.swaps().last().map(|w| {
                format!(
                    "{} {}{}",
                    w.strategy,
                    w.mode.as_str(),
                    w.reason
                        .as_ref()
                        .map_or(String::new(), |r| format!(" ({r})"))
                )
            });
        }
        let stats = engine.stats();
        self.events = stats.events;
        self.book_updates = stats.book_updates;
        self.trades = stats.trades;
        let n = engine.instrument_count();
        self.books.resize_with(n, || BookSnap {
            state: BookState::Syncing,
            bids: Vec::with_capacity(SHOWN_LEVELS),
            asks: Vec::with_capacity(SHOWN_LEVELS),
            trades: Vec::with_capacity(RECENT_TRADES),
        });
        for (i, b) in self.books.iter_mut().enumerate() {
            let id = InstrumentId::new(i as u32);
            b.state = engine.book_state(id);
            b.trades.clear();
            b.trades.extend(engine.recent_trades(id).copied());
            let top = engine.book_top(id);
            b.bids.clear();
            b.bids.extend(top.bids.iter().take(SHOWN_LEVELS).copied());
            b.asks.clear();
            b.asks.extend(top.asks.iter().take(SHOWN_LEVELS).copied());
        }
        if self.histograms
            && let Some(rec) = engine.latency()
        {
            self.stages.resize_with(Stage::ALL.len(), || None);
            for (dst, stage) in self.stages.iter_mut().zip(Stage::ALL) {
                copy_histogram(dst, rec.stage(stage));
            }
        }
        let k = engine.strategy_count();
        self.strategies.resize_with(k, || StrategySnap {
            signals: Vec::new(),
            positions: vec![0; n],
            open_orders: Vec::with_capacity(64),
            realized: Decimal::ZERO,
            unrealized: Decimal::ZERO,
            fees: Decimal::ZERO,
            fills: 0,
            disabled: None,
        });
        for (s, snap) in self.strategies.iter_mut().enumerate() {
            snap.signals.clear();
            snap.signals.extend_from_slice(engine.last_signals(s));
            snap.open_orders.clear();
            snap.open_orders.extend_from_slice(engine.open_orders(s));
            let (mut realized, mut unrealized, mut fees, mut fills) =
                (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, 0);
            let paper = engine.paper();
            for i in 0..n {
                let id = InstrumentId::new(i as u32);
                let a = paper.account(StrategyIdx(s as u16), id);
                snap.positions[i] = a.position;
                realized += a.realized_pnl;
                fees += a.fees;
                fills += a.fills;
                if let (Some(m), Some(spec)) = (paper.mid(id), engine.spec(id)) {
                    unrealized += a.unrealized_at(spec, m);
                }
            }
            snap.realized = realized;
            snap.unrealized = unrealized;
            snap.fees = fees;
            snap.fills = fills;
            // A swap can replace a disabled instance by a working one.
            if snap.disabled.as_deref() != engine.disabled_reason(s) {
                snap.disabled = engine.disabled_reason(s).map(str::to_owned);
            }
        }
    }
}
