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
        }
    }

    /// Turns on stage latency recording for [`HotEngine::on_stamped`]: allocates the
    /// histograms (call before the run).
    pub fn enable_latency(&mut self) {
        if self.latency.is_none() {
            self.latency = Some(Box::new(LatencyRecorder::new(self.slots.len())));
        }
    }

    /// The stage histograms, if enabled.
    pub fn latency(&self) -> Option<&LatencyRecorder> {
        self.latency.as_deref()
    }

    /// Takes the stage histograms out (recording stops).
    pub fn take_latency(&mut self) -> Option<Box<LatencyRecorder>> {
        self.latency.take()
    }

    /// Processes one event that came through a feed ring, `t3` being when it was popped.
    /// With latency recording on and an event that completes a venue message, records the
    /// feed stages carried in `ev` and stamps the hot stages as the event goes through.
    ///
    /// # Hot path
    /// As [`HotEngine::on_event`], plus a few TSC reads and histogram records per message
    /// (none per intermediate delta). No allocation.
    pub fn on_stamped(&mut self, ev: &StampedEvent, t3: u64) {
        let Some(lat) = self.latency.as_deref_mut() else {
            self.on_event(&ev.event);
            return;
        };
        if !closes_frame(&ev.event) || ev.t0 == 0 {
            self.on_event(&ev.event);
            return;
        }
        lat.record(Stage::ScheduleLag, ev.sched, ev.t0);
        lat.record(Stage::ReadDecoded, ev.t0, ev.t1);
        lat.record(Stage::DecodedEnqueued, ev.t1, ev.t2);
        lat.record(Stage::ReadEnqueued, ev.t0, ev.t2);
        lat.record(Stage::EnqueuedDequeued, ev.t2, t3);
        self.frame = FrameStamps {
            active: true,
            origin: ev.origin(),
            ..FrameStamps::default()
        };
        self.on_event(&ev.event);
        let done = tsc::now();
        let t4 = self.frame.t4;
        self.frame = FrameStamps::default();
        if let Some(lat) = self.latency.as_deref_mut() {
            lat.record(Stage::DequeuedApplied, t3, t4);
            lat.record(Stage::DequeuedDone, t3, done);
            lat.count_frame();
        }
    }

    /// `t4`: the book (or the trade) is applied; the strategies come next.
    #[inline]
    fn stamp_applied(&mut self) {
        if self.frame.active && self.frame.t4 == 0 {
            self.frame.t4 = tsc::now();
        }
    }

    /// `t5`: strategy `s` returned from its market-driven call; its orders are measured until
    /// [`HotEngine::end_call`].
    #[inline]
    fn stamp_returned(&mut self, s: usize) {
        if !self.frame.active {
            return;
        }
        let t5 = tsc::now();
        self.frame.t5 = t5;
        self.frame.in_call = true;
        let signalled = !self.slots[s].instance.output().signals.is_empty();
        if let Some(lat) = self.latency.as_deref_mut() {
            lat.record_strategy(s, StrategyStage::AppliedReturned, self.frame.t4, t5);
            if signalled {
                lat.record_strategy(s, StrategyStage::ReadSignal, self.frame.origin, t5);
            }
        }
    }

    #[inline]
    fn end_call(&mut self) {
        self.frame.in_call = false;
    }

    /// Stamps `t6`/`t7`/`t8` of an order of strategy `s` made in a measured call.
    #[inline]
    fn stamp_order(&mut self, s: usize, stage: StrategyStage) {
        if !self.frame.in_call {
            return;
        }
        let t = tsc::now();
        let f = &mut self.frame;
        let Some(lat) = self.latency.as_deref_mut() else {
            return;
        };
        match stage {
            StrategyStage::ReadOrder => {
                f.t6 = t;
                lat.record_strategy(s, StrategyStage::ReturnedOrder, f.t5, t);
                lat.record_strategy(s, StrategyStage::ReadOrder, f.origin, t);
            }
            StrategyStage::OrderRisk => {
                f.t7 = t;
                lat.record_strategy(s, StrategyStage::OrderRisk, f.t6, t);
            }
            StrategyStage::ReadAck => {
                lat.record_strategy(s, StrategyStage::RiskAck, f.t7, t);
                lat.record_strategy(s, StrategyStage::ReadAck, f.origin, t);
            }
            _ => {}
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
                self.books[i].apply(d.side, d.price, d.qty);
                if d.last {
                    self.book_updated(ev.instrument(), d.update_id, d.ts_exchange, d.ts_recv, now);
                }
            }
            MarketEvent::SnapshotBegin(_) => self.books[i].clear(),
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

    /// An instrument's spec.
    pub fn spec(&self, instrument: InstrumentId) -> Option<&InstrumentSpec> {
        self.specs.get(instrument.index())
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
        }
    }

    /// Signal names of strategy `s`.
    pub fn signal_name(&self, s: usize, id: ladder_sdk::SignalId) -> Option<&str> {
        self.slots.get(s)?.instance.signal_name(id)
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

    /// Records a call's output, routes its orders through risk to the exchange, or disables a
    /// faulted strategy.
    fn after_call(
        &mut self,
        s: usize,
        outcome: crate::plugin::CallOutcome,
        now: UnixNanos,
        _instrument: Option<InstrumentId>,
    ) {
        use crate::plugin::CallOutcome;
        match outcome {
            CallOutcome::Disabled => return,
            CallOutcome::Faulted => {
                self.disable(s, now);
                return;
            }
            CallOutcome::Ok => {}
        }
        let no = s as StrategyNo;
        let slot = &mut self.slots[s];
        let out = slot.instance.output();
        for v in out.signals {
            if let Some(last) = slot.last_signals.get_mut(v.id.index()) {
                *last = v.value;
            }
            self.out.push(OutputRecord::Signal {
                ts: now,
                strategy: no,
                signal: v.id,
                value: v.value,
            });
        }
        // Orders are copied out of the host buffer (it is reused by the next call).
        let n = out.orders.len();
        for k in 0..n {
            let req = self.slots[s].instance.output().orders[k];
            self.out.push(OutputRecord::Request {
                ts: now,
                strategy: no,
                request: req,
            });
            self.stamp_order(s, StrategyStage::ReadOrder);
            self.route(s, &req, now);
        }
    }

    fn route(&mut self, s: usize, req: &ladder_sdk::OrderRequest, now: UnixNanos) {
        let i = req.instrument.index();
        if req.kind == RequestKind::New && i >= self.specs.len() {
            self.reject(s, req, RejectReason::UnknownInstrument, now);
            return;
        }
        if req.kind == RequestKind::New && self.states[i] != BookState::Synced {
            self.reject(s, req, RejectReason::BookStale, now);
            return;
        }
        if req.kind == RequestKind::New {
            let slot = &self.slots[s];
            let view = RiskView {
                position: slot.position[i],
                open_orders: &slot.open,
                mid: mid(&self.books[i]),
                spec: &self.specs[i],
            };
            if let Err(reason) = self.risk.check(idx(s), now, req, view) {
                self.reject(s, req, reason, now);
                return;
            }
        }
        self.stamp_order(s, StrategyStage::OrderRisk);
        self.paper.submit(now, idx(s), req);
        self.stamp_order(s, StrategyStage::ReadAck);
    }

    fn reject(
        &mut self,
        s: usize,
        req: &ladder_sdk::OrderRequest,
        reason: RejectReason,
        now: UnixNanos,
    ) {
        let update = OrderUpdate {
            id: req.id,
            instrument: req.instrument,
            status: OrderStatus::Rejected,
            side: req.side,
            reject_code: reason as u8,
            _reserved: 0,
            price: req.price,
            qty: req.qty,
            leaves_qty: Quantity::ZERO,
            ts: now,
        };
        self.pending.push_back((idx(s), Report::Update(update)));
    }

    /// Delivers the paper exchange's due reports and local rejections to the strategies.
    fn deliver(&mut self, now: UnixNanos) {
        let pending = &mut self.pending;
        self.paper
            .poll_reports(now, &mut |s, r| pending.push_back((s, r)));
        let mut delivered = 0;
        while let Some((s, report)) = self.pending.pop_front() {
            if delivered == MAX_DELIVERIES_PER_EVENT {
                self.pending.push_front((s, report));
                self.stats.deferred_reports += 1;
                return;
            }
            delivered += 1;
            self.deliver_one(usize::from(s.0), report, now);
        }
    }

    fn deliver_one(&mut self, s: usize, report: Report, now: UnixNanos) {
        let no = s as StrategyNo;
        match report {
            Report::Update(u) => {
                self.out.push(OutputRecord::Update {
                    ts: now,
                    strategy: no,
                    update: u,
                });
                let slot = &mut self.slots[s];
                match u.status {
                    OrderStatus::Accepted => {
                        if let Some(req) = slot.open.iter_mut().find(|o| o.id == u.id) {
                            req.leaves_qty = u.leaves_qty;
                        } else if slot.open.len() < slot.open.capacity() {
                            slot.open.push(open_order(&u));
                        }
                    }
                    OrderStatus::Rejected
                    | OrderStatus::Canceled
                    | OrderStatus::Expired
                    | OrderStatus::Filled => {
                        slot.open.retain(|o| o.id != u.id);
                    }
                    OrderStatus::CancelRejected => {}
                }
                slot.instance.set_open_orders(&slot.open);
                let outcome = slot.instance.on_order_update(now, &u);
                self.after_call(s, outcome, now, Some(u.instrument));
            }
            Report::Fill(f, fee) => {
                self.out.push(OutputRecord::Fill {
                    ts: now,
                    strategy: no,
                    fill: f,
                    fee,
                });
                let slot = &mut self.slots[s];
                let i = f.instrument.index();
                slot.position[i] = f.position;
                slot.instance.set_position(f.instrument, f.position);
                if let Some(o) = slot.open.iter_mut().find(|o| o.id == f.id) {
                    o.leaves_qty = f.leaves_qty;
                }
                slot.open.retain(|o| !o.leaves_qty.is_zero());
                slot.instance.set_open_orders(&slot.open);
                let outcome = slot.instance.on_fill(now, &f);
                self.after_call(s, outcome, now, Some(f.instrument));
                self.mark_equity(f.instrument, now);
            }
        }
    }

    /// Updates equity, drawdown and the kill switch of every strategy holding `instrument`.
    fn mark_equity(&mut self, instrument: InstrumentId, now: UnixNanos) {
        for s in 0..self.slots.len() {
            if self.slots[s].position[instrument.index()] == 0
                && self.slots[s].peak_equity.is_zero()
            {
                continue;
            }
            let equity = self.paper.equity_at_mid(idx(s));
            let slot = &mut self.slots[s];
            if equity > slot.peak_equity {
                slot.peak_equity = equity;
            }
            let dd = slot.peak_equity - equity;
            if dd > slot.max_drawdown {
                slot.max_drawdown = dd;
            }
            if let Some(kill) = self.risk.on_equity(idx(s), now, equity) {
                self.kill(s, now, &kill.to_string());
            }
        }
    }

    fn kill(&mut self, s: usize, now: UnixNanos, reason: &str) {
        if self.slots[s].kill_reason.is_some() {
            return;
        }
        self.slots[s].kill_reason = Some(format!("kill switch: {reason}"));
        self.paper.cancel_all_for(now, idx(s));
        if self.flatten_on_kill {
            for i in 0..self.specs.len() {
                let position = self.slots[s].position[i];
                self.next_engine_order += 1;
                let id = ClientOrderId::new(self.next_engine_order);
                if let Some(req) = flatten_request(position, InstrumentId::new(i as u32), id) {
                    self.out.push(OutputRecord::Request {
                        ts: now,
                        strategy: s as StrategyNo,
                        request: req,
                    });
                    self.paper.submit(now, idx(s), &req);
                }
            }
        }
        let reason = self.slots[s].kill_reason.clone().unwrap_or_default();
        self.slots[s].instance.disable(&reason);
        self.out.push(OutputRecord::Disabled {
            ts: now,
            strategy: s as StrategyNo,
        });
    }

    /// A strategy faulted (its instance disabled itself): cancel its orders, record it.
    fn disable(&mut self, s: usize, now: UnixNanos) {
        self.paper.cancel_all_for(now, idx(s));
        self.out.push(OutputRecord::Disabled {
            ts: now,
            strategy: s as StrategyNo,
        });
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

fn open_order(u: &OrderUpdate) -> OpenOrder {
    OpenOrder {
        id: u.id,
        instrument: u.instrument,
        side: u.side,
        order_type: ladder_sdk::OrderType::Limit,
        time_in_force: ladder_sdk::TimeInForce::Gtc,
        _reserved: 0,
        price: u.price,
        qty: u.qty,
        leaves_qty: u.leaves_qty,
    }
}
