//! [`PaperExchange`]: its state, the request side (`submit`, `cancel_all_for`), the report queue
//! and the account queries. Matching lives in `matching`.

use super::account::Account;
use super::config::{CancelModel, LatencyModel, PaperConfig};
use super::error::PaperError;
use super::liquidity::TakenLevels;
use super::orders::{Order, Orders, Stage};
use super::timed::Timed;
use super::{Report, StrategyIdx};
use crate::book::L2Book;
use crate::rng::SeededRng;
use ladder_sdk::{
    ClientOrderId, InstrumentId, InstrumentSpec, OpenOrder, OrderRequest, OrderStatus, OrderUpdate,
    Price, Quantity, RejectReason, RequestKind, UnixNanos,
};
use rust_decimal::Decimal;
use std::collections::BinaryHeap;

/// Levels per strategy and instrument whose taken liquidity is remembered before that memory
/// grows (allocates).
const TAKEN_LEVELS_PER_STRATEGY: usize = 64;

/// A request on its way to the exchange.
#[derive(Debug, Clone, Copy)]
pub(super) enum Arrival {
    /// A new order in slot `.0`.
    New(u32),
    /// Cancel the order in `slot` if it is still order `id`.
    Cancel { slot: u32, id: ClientOrderId },
    /// Cancel every resting order of the strategy in this instrument.
    CancelAll,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct ArrivalEntry {
    pub(super) strategy: StrategyIdx,
    pub(super) kind: Arrival,
}

/// A simulated matching engine per instrument that sees the real book and trades; see the
/// module docs of [`paper`](super) for the rules.
#[derive(Debug)]
pub struct PaperExchange {
    pub(super) specs: Vec<InstrumentSpec>,
    pub(super) n_strategies: usize,
    entry_latency: LatencyModel,
    response_latency: LatencyModel,
    pub(super) cancel_model: CancelModel,
    pub(super) maker_rate: Decimal,
    pub(super) taker_rate: Decimal,
    pub(super) rng: SeededRng,
    pub(super) orders: Orders,
    /// Per instrument: requests in flight, earliest arrival first.
    pub(super) arrivals: Vec<BinaryHeap<Timed<ArrivalEntry>>>,
    reports: BinaryHeap<Timed<(StrategyIdx, Report)>>,
    /// Per instrument: visible liquidity already taken.
    pub(super) taken: Vec<TakenLevels>,
    /// `strategy * n_instruments + instrument`.
    accounts: Vec<Account>,
    /// Per instrument: the mid of the last book seen.
    pub(super) mids: Vec<Option<Decimal>>,
    /// Per strategy: lots of the current trade already given to its orders.
    pub(super) trade_used: Vec<i64>,
    seq: u64,
    fill_seq: u64,
}

impl PaperExchange {
    /// An exchange for instruments `specs` (indexed by [`InstrumentId`]) and `n_strategies`
    /// strategies, with every queue sized up front from `config.max_orders`.
    ///
    /// # Panics
    /// If the config is invalid; see [`PaperExchange::try_new`].
    pub fn new(config: PaperConfig, specs: &[InstrumentSpec], n_strategies: usize) -> Self {
        match Self::try_new(config, specs, n_strategies) {
            Ok(x) => x,
            Err(e) => panic!("{e}"),
        }
    }

    /// An exchange, or an error if the config is invalid.
    pub fn try_new(
        config: PaperConfig,
        specs: &[InstrumentSpec],
        n_strategies: usize,
    ) -> Result<Self, PaperError> {
        config.validate()?;
        if n_strategies > usize::from(u16::MAX) + 1 {
            return Err(PaperError::TooManyStrategies { got: n_strategies });
        }
        let n = specs.len();
        let cap = config.max_orders;
        let bps = Decimal::new(1, 4);
        Ok(Self {
            specs: specs.to_vec(),
            n_strategies,
            entry_latency: config.entry_latency,
            response_latency: config.response_latency,
            cancel_model: config.cancel_model,
            maker_rate: config.maker_fee_bps * bps,
            taker_rate: config.taker_fee_bps * bps,
            rng: SeededRng::new(config.seed, 0),
            orders: Orders::new(cap),
            // Orders plus as many cancels in flight.
            arrivals: (0..n).map(|_| BinaryHeap::with_capacity(2 * cap)).collect(),
            // Ack, a few fills and a final update per order.
            reports: BinaryHeap::with_capacity(8 * cap + 64),
            taken: (0..n)
                .map(|_| {
                    TakenLevels::with_capacity(TAKEN_LEVELS_PER_STRATEGY * n_strategies.max(1))
                })
                .collect(),
            accounts: vec![Account::EMPTY; n * n_strategies],
            mids: vec![None; n],
            trade_used: vec![0; n_strategies],
            seq: 0,
            fill_seq: 0,
        })
    }

    /// Sends `req` from `strategy` at `now`: it reaches the exchange at `now` + an entry latency
    /// draw and acts on the first book or trade of its instrument at or after that time.
    /// Requests the exchange refuses outright (unknown instrument, zero quantity, an id already
    /// live, no free order slot, cancel of an unknown order) are refused at that arrival time.
    ///
    /// # Panics
    /// If `strategy` is not below the `n_strategies` the exchange was built with.
    ///
    /// # Hot path
    /// No allocation within `max_orders`; `O(live orders)` for the duplicate-id check.
    pub fn submit(&mut self, now: UnixNanos, strategy: StrategyIdx, req: &OrderRequest) {
        assert!(
            usize::from(strategy.0) < self.n_strategies,
            "unknown strategy {}",
            strategy.0
        );
        let at = now.saturating_add_nanos(self.entry_latency.draw(&mut self.rng));
        match req.kind {
            RequestKind::New => self.submit_new(at, strategy, req),
            RequestKind::Cancel => match self.orders.find(strategy, req.id) {
                Some(slot) => {
                    let i = self.orders.get(slot).instrument.index();
                    self.push_arrival(i, at, strategy, Arrival::Cancel { slot, id: req.id });
                }
                None => {
                    let response_ns = self.response_latency.draw(&mut self.rng);
                    let update = refused(
                        req,
                        OrderStatus::CancelRejected,
                        RejectReason::UnknownOrder,
                        at,
                    );
                    self.emit(strategy, response_ns, at, Report::Update(update));
                }
            },
            RequestKind::CancelAll => {
                let i = req.instrument.index();
                if i < self.specs.len() {
                    self.push_arrival(i, at, strategy, Arrival::CancelAll);
                } else {
                    let response_ns = self.response_latency.draw(&mut self.rng);
                    let update = refused(
                        req,
                        OrderStatus::CancelRejected,
                        RejectReason::UnknownInstrument,
                        at,
                    );
                    self.emit(strategy, response_ns, at, Report::Update(update));
                }
            }
        }
    }

    fn submit_new(&mut self, at: UnixNanos, strategy: StrategyIdx, req: &OrderRequest) {
        let response_ns = self.response_latency.draw(&mut self.rng);
        let i = req.instrument.index();
        let reason = if i >= self.specs.len() {
            Some(RejectReason::UnknownInstrument)
        } else if req.qty.is_zero() {
            Some(RejectReason::InvalidQuantity)
        } else if self.orders.find(strategy, req.id).is_some() {
            Some(RejectReason::DuplicateOrderId)
        } else {
            None
        };
        let order = Order::from_request(strategy, req, response_ns);
        let slot = match reason {
            None => self.orders.insert(order).ok_or(RejectReason::MaxOpenOrders),
            Some(r) => Err(r),
        };
        match slot {
            Ok(slot) => self.push_arrival(i, at, strategy, Arrival::New(slot)),
            Err(r) => {
                let update = order.update(OrderStatus::Rejected, at, Some(r));
                self.emit(strategy, response_ns, at, Report::Update(update));
            }
        }
    }

    fn push_arrival(&mut self, i: usize, at: UnixNanos, strategy: StrategyIdx, kind: Arrival) {
        let seq = self.next_seq();
        self.arrivals[i].push(Timed {
            at,
            seq,
            item: ArrivalEntry { strategy, kind },
        });
    }

    /// Cancels every order of `strategy` — resting or still in flight — at once, with no entry
    /// latency (the engine disabling a strategy), and drops its requests in flight. The
    /// `Canceled` updates reach the strategy after each order's response latency, as usual.
    pub fn cancel_all_for(&mut self, now: UnixNanos, strategy: StrategyIdx) {
        for heap in &mut self.arrivals {
            heap.retain(|e| e.item.strategy != strategy);
        }
        let mut k = 0;
        while k < self.orders.live().len() {
            let slot = self.orders.live()[k];
            if self.orders.get(slot).strategy == strategy {
                self.finish(slot, OrderStatus::Canceled, now, None);
            } else {
                k += 1;
            }
        }
    }

    /// Hands every report whose response time is at or before `now` to `out`, earliest first
    /// (ties in the order the exchange produced them).
    ///
    /// # Hot path
    /// No allocation; `O(log reports)` per report.
    pub fn poll_reports(&mut self, now: UnixNanos, out: &mut impl FnMut(StrategyIdx, Report)) {
        while self.reports.peek().is_some_and(|t| t.at <= now) {
            if let Some(t) = self.reports.pop() {
                out(t.item.0, t.item.1);
            }
        }
    }

    /// Response time of the earliest report not yet polled (for a timer).
    pub fn next_report_at(&self) -> Option<UnixNanos> {
        self.reports.peek().map(|t| t.at)
    }

    /// Orders of `strategy` that can still fill: in flight to the exchange or resting (as the
    /// exchange knows them now, which the strategy learns a response latency later).
    pub fn open_orders(&self, strategy: StrategyIdx) -> impl Iterator<Item = OpenOrder> + '_ {
        self.orders
            .live()
            .iter()
            .map(|s| self.orders.get(*s))
            .filter(move |o| o.strategy == strategy)
            .map(Order::open_order)
    }

    /// The account of `strategy` in `instrument` (an empty one for an unknown instrument).
    ///
    /// # Panics
    /// If `strategy` is not below `n_strategies`.
    pub fn account(&self, strategy: StrategyIdx, instrument: InstrumentId) -> &Account {
        assert!(
            usize::from(strategy.0) < self.n_strategies,
            "unknown strategy {}",
            strategy.0
        );
        let n = self.specs.len();
        match instrument.index() {
            i if i < n => &self.accounts[usize::from(strategy.0) * n + i],
            _ => &Account::EMPTY,
        }
    }

    /// Unrealized PnL of `strategy`'s position in `instrument` marked at `mark`.
    pub fn unrealized(
        &self,
        strategy: StrategyIdx,
        instrument: InstrumentId,
        mark: Price,
    ) -> Decimal {
        match self.specs.get(instrument.index()) {
            Some(spec) => self.account(strategy, instrument).unrealized(spec, mark),
            None => Decimal::ZERO,
        }
    }

    /// Equity of `strategy` as PnL since the start: Σ over instruments of realized − fees +
    /// unrealized at `marks[instrument]`. An instrument with no mark counts no unrealized PnL.
    pub fn equity(&self, strategy: StrategyIdx, marks: &[Option<Price>]) -> Decimal {
        let mut total = Decimal::ZERO;
        for (i, spec) in self.specs.iter().enumerate() {
            let a = self.account(strategy, InstrumentId::new(i as u32));
            total += a.net_realized();
            if let Some(Some(m)) = marks.get(i) {
                total += a.unrealized(spec, *m);
            }
        }
        total
    }

    /// [`PaperExchange::equity`] marked at the mid of the last book each instrument showed
    /// (exact, half a tick allowed).
    pub fn equity_at_mid(&self, strategy: StrategyIdx) -> Decimal {
        let mut total = Decimal::ZERO;
        for (i, spec) in self.specs.iter().enumerate() {
            let a = self.account(strategy, InstrumentId::new(i as u32));
            total += a.net_realized();
            if let Some(m) = self.mids[i] {
                total += a.unrealized_at(spec, m);
            }
        }
        total
    }

    /// The mid of the last book `on_book` saw for `instrument`.
    pub fn mid(&self, instrument: InstrumentId) -> Option<Decimal> {
        self.mids.get(instrument.index()).copied().flatten()
    }

    pub(super) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Queues `report` for `strategy`, due `response_ns` after exchange time `ts`.
    pub(super) fn emit(
        &mut self,
        strategy: StrategyIdx,
        response_ns: u64,
        ts: UnixNanos,
        report: Report,
    ) {
        let seq = self.next_seq();
        self.emit_seq(seq, strategy, response_ns, ts, report);
    }

    /// [`Self::emit`] with a sequence number taken earlier (an ack decided after its fills).
    pub(super) fn emit_seq(
        &mut self,
        seq: u64,
        strategy: StrategyIdx,
        response_ns: u64,
        ts: UnixNanos,
        report: Report,
    ) {
        self.reports.push(Timed {
            at: ts.saturating_add_nanos(response_ns),
            seq,
            item: (strategy, report),
        });
    }

    /// Reports a final `status` of the order in `slot` and frees it.
    pub(super) fn finish(
        &mut self,
        slot: u32,
        status: OrderStatus,
        ts: UnixNanos,
        reason: Option<RejectReason>,
    ) {
        let o = *self.orders.get(slot);
        self.emit(
            o.strategy,
            o.response_ns,
            ts,
            Report::Update(o.update(status, ts, reason)),
        );
        self.orders.remove(slot);
    }

    /// Books a fill of `lots` of the order in `slot` at `price` and reports it.
    pub(super) fn fill(
        &mut self,
        slot: u32,
        price: Price,
        lots: i64,
        liquidity: ladder_sdk::Liquidity,
        ts: UnixNanos,
    ) {
        let qty = Quantity::from_lots(lots);
        let o = self.orders.get_mut(slot);
        o.leaves = o.leaves.saturating_sub(qty);
        let o = *o;
        let i = o.instrument.index();
        let rate = match liquidity {
            ladder_sdk::Liquidity::Maker => self.maker_rate,
            ladder_sdk::Liquidity::Taker => self.taker_rate,
        };
        let account = &mut self.accounts[usize::from(o.strategy.0) * self.specs.len() + i];
        let fee = account.apply_fill(&self.specs[i], o.side, price, qty, rate);
        let position = account.position;
        self.fill_seq += 1;
        let fill = ladder_sdk::Fill {
            id: o.id,
            instrument: o.instrument,
            side: o.side,
            liquidity,
            _reserved: [0; 2],
            price,
            qty,
            leaves_qty: o.leaves,
            position,
            fill_id: self.fill_seq,
            ts,
        };
        self.emit(o.strategy, o.response_ns, ts, Report::Fill(fill, fee));
    }

    /// Is the order in `slot` still the live order `id` of `strategy`, resting?
    pub(super) fn is_resting(&self, slot: u32, strategy: StrategyIdx, id: ClientOrderId) -> bool {
        let o = self.orders.get(slot);
        o.live && o.strategy == strategy && o.id == id && o.stage == Stage::Resting
    }

    /// The mid of `book` as an exact decimal.
    pub(super) fn book_mid(spec: &InstrumentSpec, book: &L2Book) -> Option<Decimal> {
        let (b, a) = (book.best_bid()?, book.best_ask()?);
        Some((spec.price_to_decimal(b.price) + spec.price_to_decimal(a.price)) / Decimal::TWO)
    }
}

/// A refusal of a request that never became an order.
fn refused(
    req: &OrderRequest,
    status: OrderStatus,
    reason: RejectReason,
    ts: UnixNanos,
) -> OrderUpdate {
    OrderUpdate {
        id: req.id,
        instrument: req.instrument,
        status,
        side: req.side,
        reject_code: reason as u8,
        _reserved: 0,
        price: req.price,
        qty: req.qty,
        leaves_qty: Quantity::ZERO,
        ts,
    }
}
