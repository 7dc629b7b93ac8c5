//! The per-event core of the hot loop: book, strategies, risk, paper exchange, reports.
//!
//! [`HotEngine::on_event`] takes one normalized [`MarketEvent`] and does everything the event
//! implies, in a fixed order, on the calling thread:
//!
//! 1. the clock moves to the event's receive time (replay) or is read (live);
//! 2. book events update the instrument's [`L2Book`]; at the end of a venue message the paper
//!    exchange sees the new book (arrivals due, resting orders crossed), reports due by now are
//!    delivered, then every enabled strategy gets `on_book` with the top-N view;
//! 3. trades go to the paper exchange (queue advance, maker fills), then to the strategies;
//! 4. status markers (stale / synced) go to the strategies; no order matches on a stale book;
//! 5. signal values and order requests the strategies made are recorded; each request passes
//!    the risk checks, then goes to the paper exchange; a risk rejection reaches the strategy
//!    as an order update with its reason code;
//! 6. timers that are due fire.
//!
//! A strategy that panics is disabled; its open orders are cancelled at once and the engine
//! goes on. A kill switch (max loss / drawdown) cancels everything, flattens if configured, and
//! disables the strategy.
//!
//! [`HotEngine::on_stamped`] does the same for an event that came through a feed ring with its
//! stage stamps, and, once [`HotEngine::enable_latency`] was called, records the hot-side
//! stamps (`t4` book applied, `t5` strategy returned, `t6` order emitted, `t7` risk passed,
//! `t8` exchange ack; see `hot::stamps`) into pre-sized histograms per stage and strategy.
//!
//! Files: this one (state, event dispatch, book updates, timers), `orders` (strategy output →
//! risk → exchange, report delivery), `killswitch` (equity, drawdown, kill, disable), `latency`
//! (stage stamps), `sample` (one market sample per instrument per interval for the report's
//! charts), `swap` (hot swap of a strategy's library between two events, with state handoff),
//! `view` (read-only views and the final state for reports).
//!
//! # Hot path
//! Once warm: no allocation, lock or syscall per event (asserted by `tests/tests/hot_alloc.rs`,
//! stamping included).

use super::output::{OutputRecord, OutputSink, StrategyNo};
use super::stamps::{
    FrameStamps, LatencyRecorder, Stage, StampedEvent, StrategyStage, closes_frame,
};
use crate::book::{BookConfig, L2Book};
use crate::clock::Clock;
use crate::clock::tsc;
use crate::paper::{Account, PaperConfig, PaperExchange, Report, StrategyIdx};
use crate::plugin::StrategyInstance;
use crate::risk::{RiskEngine, RiskLimits, RiskView, flatten_request};
use ladder_sdk::{
    BookState, BookView, ClientOrderId, InstrumentId, InstrumentSpec, MarketEvent, OpenOrder,
    OrderStatus, OrderUpdate, Price, Quantity, RejectReason, RequestKind, StatusEvent, Trade,
    TradeEvent, UnixNanos,
};
use rust_decimal::Decimal;
use std::collections::VecDeque;

mod killswitch;
mod latency;
mod orders;
mod sample;
mod swap;
mod view;

pub use swap::{
    Replacement, SwapCost, SwapMode, SwapReceiver, SwapReport, SwapSender, swap_channel,
};
pub use view::{EngineFinal, FINAL_LEVELS, FinalBook, StrategySummary};

/// Reports delivered to strategies per event before the rest waits for the next event (stops
/// a strategy that re-sends a rejected order from looping forever inside one event).
const MAX_DELIVERIES_PER_EVENT: usize = 256;

/// Trades kept per instrument for dashboards.
pub const RECENT_TRADES: usize = 16;

/// One strategy as the engine runs it.
#[derive(Debug)]
struct Slot {
    instance: StrategyInstance,
    /// Orders the strategy has been told are working.
    open: Vec<OpenOrder>,
    /// Position per instrument, as last reported by a fill.
    position: Vec<i64>,
    peak_equity: Decimal,
    max_drawdown: Decimal,
    kill_reason: Option<String>,
    /// Last value of each of its signals (NaN until emitted), for dashboards.
    last_signals: Vec<f64>,
}

/// Counters of the hot loop.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HotStats {
    /// Events processed.
    pub events: u64,
    /// Completed book updates (venue messages and snapshots).
    pub book_updates: u64,
    /// Trades processed.
    pub trades: u64,
    /// Strategy calls made.
    pub strategy_calls: u64,
    /// Reports left for a later event by the per-event delivery bound.
    pub deferred_reports: u64,
}

/// Everything the hot thread owns.
pub struct HotEngine<O: OutputSink> {
    clock: Clock,
    specs: Vec<InstrumentSpec>,
    books: Vec<L2Book>,
    states: Vec<BookState>,
    recent_trades: Vec<VecDeque<Trade>>,
    slots: Vec<Slot>,
    paper: PaperExchange,
    risk: RiskEngine,
    pending: VecDeque<(StrategyIdx, Report)>,
    flatten_on_kill: bool,
    next_engine_order: u64,
    out: O,
    stats: HotStats,
    /// Stage histograms, when enabled.
    latency: Option<Box<LatencyRecorder>>,
    /// Stamps of the frame being processed.
    frame: FrameStamps,
    /// Each instrument's open market-sample interval.
    samples: Vec<Option<sample::OpenSample>>,
    /// Strategy swaps so far (`swap`).
    swaps: Vec<SwapReport>,
    /// The state bytes of the swap under way (reused).
    swap_state: Vec<u8>,
}

impl<O: OutputSink> std::fmt::Debug for HotEngine<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HotEngine")
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<O: OutputSink> HotEngine<O> {
    /// An engine over instruments `specs` (indexed by [`InstrumentId`]) running `strategies`.
    pub fn new(
        clock: Clock,
        specs: Vec<InstrumentSpec>,
        strategies: Vec<StrategyInstance>,
        paper: PaperConfig,
        limits: RiskLimits,
        top_levels: usize,
        out: O,
    ) -> Self {
        let n = specs.len();
        let book_config = BookConfig {
            top_n: top_levels.max(1),
            ..BookConfig::default()
        };
        let flatten_on_kill = limits.flatten_on_kill;
        let slots: Vec<Slot> = strategies
            .into_iter()
            .map(|instance| Slot {
                open: Vec::with_capacity(1024),
                position: vec![0; n],
                peak_equity: Decimal::ZERO,
                max_drawdown: Decimal::ZERO,
                kill_reason: None,
                last_signals: vec![f64::NAN; instance.signal_names().len()],
                instance,
            })
            .collect();
        let n_strategies = slots.len();
        Self {
            clock,
            books: (0..n).map(|_| L2Book::new(book_config)).collect(),
            states: vec![BookState::Syncing; n],
            recent_trades: (0..n)
                .map(|_| VecDeque::with_capacity(RECENT_TRADES))
                .collect(),
            paper: PaperExchange::new(paper, &specs, n_strategies),
            risk: RiskEngine::new(limits, n_strategies),
            specs,
            slots,
            pending: VecDeque::with_capacity(4096),
            flatten_on_kill,
            next_engine_order: 1 << 62,
            out,
            stats: HotStats::default(),
            latency: None,
            frame: FrameStamps::default(),
            samples: vec![None; n],
            swaps: Vec::new(),
            swap_state: Vec::new(),
        }
    }

    /// Calls every strategy's `on_start`.
    pub fn start(&mut self) {
        let now = self.clock.now();
        for s in 0..self.slots.len() {
            let outcome = self.slots[s].instance.on_start(now);
            self.after_call(s, outcome, now, None);
        }
        self.deliver(now);
    }

    /// Processes one event.
    ///
    /// # Hot path
    /// No allocation, lock or syscall once warm.
    pub fn on_event(&mut self, ev: &MarketEvent) {
        self.stats.events += 1;
        self.clock.advance_to(ev.ts_recv());
        let now = self.clock.now();
        let i = ev.instrument().index();
        if i >= self.books.len() {
            return;
        }
        match ev {
            MarketEvent::BookDelta(d) => {
                if self.books[i].apply_event(ev) {
                    self.book_updated(ev.instrument(), d.update_id, d.ts_exchange, d.ts_recv, now);
                }
            }
            MarketEvent::SnapshotBegin(_) => {
                self.books[i].apply_event(ev);
            }
            MarketEvent::SnapshotEnd(m) => {
                if self.states[i] != BookState::Synced {
                    self.set_state(ev.instrument(), BookState::Synced, 0, now);
                }
                self.book_updated(ev.instrument(), m.update_id, m.ts_exchange, m.ts_recv, now);
            }
            MarketEvent::Trade(t) => {
                self.stats.trades += 1;
                let recent = &mut self.recent_trades[i];
                if recent.len() == RECENT_TRADES {
                    recent.pop_front();
                }
                recent.push_back(*t);
                if self.states[i] == BookState::Synced {
                    self.paper.on_trade(now, t, &self.books[i]);
                }
                self.deliver(now);
                self.stamp_applied();
                let te = TradeEvent::from(t);
                for s in 0..self.slots.len() {
                    let outcome = self.slots[s].instance.on_trade(now, &te);
                    self.stamp_returned(s);
                    self.after_call(s, outcome, now, Some(ev.instrument()));
                    self.end_call();
                }
            }
            MarketEvent::Bbo(_) => {}
            MarketEvent::Status(st) => {
                let code = st.reason.map_or(0, |r| r as u8);
                self.set_state(st.instrument, st.state, code, now);
            }
        }
        self.deliver(now);
        self.fire_timers(now);
    }

    /// Advances time without an event (live: call when idle so latencies and timers elapse).
    pub fn tick(&mut self) {
        let now = self.clock.now();
        self.deliver(now);
        self.fire_timers(now);
    }

    /// Stops: strategies' `on_stop`, then every open paper order cancelled.
    pub fn stop(&mut self) {
        let now = self.clock.now();
        self.flush_samples();
        for s in 0..self.slots.len() {
            let outcome = self.slots[s].instance.on_stop(now);
            self.after_call(s, outcome, now, None);
        }
        for s in 0..self.slots.len() {
            self.paper.cancel_all_for(now, idx(s));
        }
        // Cancels are final at the exchange now; their acknowledgements are due later, but the
        // session is over: deliver everything that is already decided.
        self.deliver(UnixNanos::from_nanos(u64::MAX));
    }

    /// Counters so far.
    pub fn stats(&self) -> HotStats {
        self.stats
    }

    /// The output sink.
    pub fn output(&mut self) -> &mut O {
        &mut self.out
    }

    /// The paper exchange (accounts, open orders).
    pub fn paper(&self) -> &PaperExchange {
        &self.paper
    }

    /// An instrument's book.
    pub fn book(&self, instrument: InstrumentId) -> &L2Book {
        &self.books[instrument.index()]
    }

    /// An instrument's book state.
    pub fn book_state(&self, instrument: InstrumentId) -> BookState {
        self.states[instrument.index()]
    }

    /// An instrument's spec.
    pub fn spec(&self, instrument: InstrumentId) -> Option<&InstrumentSpec> {
        self.specs.get(instrument.index())
    }

    /// The mid price of an instrument, if both sides exist.
    pub fn mark(&self, instrument: InstrumentId) -> Option<Price> {
        mid(&self.books[instrument.index()])
    }

    fn set_state(
        &mut self,
        instrument: InstrumentId,
        state: BookState,
        reason_code: u8,
        now: UnixNanos,
    ) {
        let i = instrument.index();
        if self.states[i] == state {
            return;
        }
        if self.states[i] == BookState::Synced {
            self.flush_sample(instrument);
        }
        self.states[i] = state;
        let reason = ladder_sdk::StaleReason::from_u8(reason_code);
        let status = ladder_sdk::BookStatus {
            instrument,
            state,
            reason,
            ts_recv: now,
        };
        self.out.push(OutputRecord::Status { ts: now, status });
        let ev = StatusEvent {
            instrument,
            state,
            reason_code,
            _reserved: [0; 2],
            ts_recv: now,
        };
        for s in 0..self.slots.len() {
            let outcome = self.slots[s].instance.on_status(now, &ev);
            self.after_call(s, outcome, now, Some(instrument));
        }
    }

    fn book_updated(
        &mut self,
        instrument: InstrumentId,
        update_id: u64,
        ts_exchange: UnixNanos,
        ts_recv: UnixNanos,
        now: UnixNanos,
    ) {
        self.stats.book_updates += 1;
        self.stamp_applied();
        let i = instrument.index();
        let state = self.states[i];
        if state == BookState::Synced {
            self.paper.on_book(now, instrument, &self.books[i]);
            self.deliver(now);
            self.mark_equity(instrument, now);
            self.sample_market(instrument, now);
        }
        for s in 0..self.slots.len() {
            let top = self.books[i].top();
            let view = BookView::new(instrument, top.bids, top.asks)
                .with_times(update_id, ts_exchange, ts_recv)
                .with_state(state);
            self.stats.strategy_calls += 1;
            let outcome = self.slots[s].instance.on_book(now, &view);
            self.stamp_returned(s);
            self.after_call(s, outcome, now, Some(instrument));
            self.end_call();
        }
    }

    fn fire_timers(&mut self, now: UnixNanos) {
        for s in 0..self.slots.len() {
            if let Some(at) = self.slots[s].instance.pending_timer()
                && at <= now
            {
                let outcome = self.slots[s].instance.on_timer(now);
                self.after_call(s, outcome, now, None);
            }
        }
    }
}

fn idx(s: usize) -> StrategyIdx {
    StrategyIdx(s as u16)
}

fn mid(book: &L2Book) -> Option<Price> {
    let (b, a) = (book.best_bid()?, book.best_ask()?);
    Some(Price::from_ticks(
        (b.price.ticks() + a.price.ticks()).div_euclid(2),
    ))
}
