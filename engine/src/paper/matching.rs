//! Matching: requests arriving at the exchange, taker fills walking the visible book, queue
//! position of resting orders, and maker fills from trades and from a book that moves through
//! them.

use super::Report;
use super::StrategyIdx;
use super::config::CancelModel;
use super::exchange::{Arrival, PaperExchange};
use super::orders::Stage;
use crate::book::L2Book;
use ladder_sdk::{
    InstrumentId, Liquidity, OrderStatus, OrderType, OrderUpdate, Price, Quantity, RejectReason,
    Side, TimeInForce, Trade, UnixNanos,
};

/// Does a level at `level` trade with an order on `side` limited at `limit`?
#[inline]
fn reaches(side: Side, limit: Price, level: Price) -> bool {
    match side {
        Side::Buy => level <= limit,
        Side::Sell => level >= limit,
    }
}

impl PaperExchange {
    /// Processes requests of `instrument` that arrived strictly before `now` against `book`, the
    /// book as it stands *before* the event at `now` is applied. Optional: a hot loop that calls
    /// it before applying each event gives every order exactly the book of its arrival time; one
    /// that does not gets the first book at or after it (see the module docs).
    ///
    /// # Hot path
    /// No allocation within `max_orders`.
    pub fn advance_to(&mut self, now: UnixNanos, instrument: InstrumentId, book: &L2Book) {
        let i = instrument.index();
        if i < self.specs.len() {
            self.process_arrivals(i, book, |at| at < now);
        }
    }

    /// The book of `instrument` changed at `now` (call it once per venue message, after the
    /// message's last level is applied). In order: taken-liquidity memory of levels whose
    /// quantity changed is dropped; resting orders' queues follow the displayed quantity (cancel
    /// model); resting orders the opposite side now reaches fill as makers at their limit price;
    /// then requests that arrived at or before `now` act on this book.
    ///
    /// # Hot path
    /// No allocation within `max_orders`. `O(live orders)` plus the levels walked by fills.
    pub fn on_book(&mut self, now: UnixNanos, instrument: InstrumentId, book: &L2Book) {
        let i = instrument.index();
        let Some(spec) = self.specs.get(i) else {
            return;
        };
        self.mids[i] = Self::book_mid(spec, book);
        self.taken[i].refresh(book);
        self.follow_queues(i, book);
        self.fill_through(i, now, book);
        self.process_arrivals(i, book, |at| at <= now);
    }

    /// A trade printed at `now`; `book` is its instrument's current book. Requests that arrived
    /// at or before `now` act first (so an order that arrived by the print is in the queue).
    /// Then, for each resting order on the passive side of the trade: a trade at its price
    /// advances its queue by the traded quantity and fills it with what is left once the queue
    /// is gone; a trade through its price (better for it) fills it without a queue. Fills are at
    /// the order's limit price, maker, at most the trade's quantity per strategy.
    ///
    /// # Hot path
    /// No allocation within `max_orders`; `O(live orders + strategies)`.
    pub fn on_trade(&mut self, now: UnixNanos, trade: &Trade, book: &L2Book) {
        let i = trade.instrument.index();
        if i >= self.specs.len() {
            return;
        }
        self.process_arrivals(i, book, |at| at <= now);
        self.trade_used.fill(0);
        let traded = trade.qty.lots();
        let mut k = 0;
        while k < self.orders.live().len() {
            let slot = self.orders.live()[k];
            k += 1;
            let o = *self.orders.get(slot);
            if o.instrument.index() != i || o.stage != Stage::Resting || trade.aggressor == o.side {
                continue;
            }
            let at_price = trade.price == o.price;
            if !at_price && !reaches(o.side.opposite(), trade.price, o.price) {
                continue;
            }
            let om = self.orders.get_mut(slot);
            let after_queue = if at_price {
                let passed = om.ahead.min(traded);
                om.ahead -= passed;
                om.seen = (om.seen - traded).max(0);
                traded - passed
            } else {
                om.ahead = 0;
                traded
            };
            let ahead = om.ahead;
            let used = &mut self.trade_used[usize::from(o.strategy.0)];
            let available = after_queue - *used;
            if ahead > 0 || available <= 0 {
                continue;
            }
            let lots = available.min(o.leaves.lots());
            *used += lots;
            self.fill(slot, o.price, lots, Liquidity::Maker, now);
            if self.orders.get(slot).leaves.is_zero() {
                self.finish(slot, OrderStatus::Filled, now, None);
                k -= 1;
            }
        }
    }

    /// Resting orders' queues follow the displayed quantity at their price.
    fn follow_queues(&mut self, i: usize, book: &L2Book) {
        for k in 0..self.orders.live().len() {
            let slot = self.orders.live()[k];
            let model = self.cancel_model;
            let o = *self.orders.get(slot);
            if o.instrument.index() != i || o.stage != Stage::Resting {
                continue;
            }
            let shown = book.qty_at(o.side, o.price).lots();
            let mut ahead = o.ahead;
            if shown < o.seen && ahead > 0 {
                let decrease = o.seen - shown;
                ahead -= match model {
                    CancelModel::NoAdvance => 0,
                    CancelModel::Proportional => {
                        (i128::from(decrease) * i128::from(ahead) / i128::from(o.seen)) as i64
                    }
                    CancelModel::Probabilistic => {
                        if self.rng.below(o.seen as u64) < ahead as u64 {
                            decrease.min(ahead)
                        } else {
                            0
                        }
                    }
                };
            }
            let om = self.orders.get_mut(slot);
            om.ahead = ahead.min(shown).max(0);
            om.seen = shown;
        }
    }

    /// Resting orders whose price the opposite side reaches take what is visible there and not
    /// yet taken, as makers at their own price.
    fn fill_through(&mut self, i: usize, now: UnixNanos, book: &L2Book) {
        let mut k = 0;
        while k < self.orders.live().len() {
            let slot = self.orders.live()[k];
            let o = *self.orders.get(slot);
            if o.instrument.index() != i || o.stage != Stage::Resting {
                k += 1;
                continue;
            }
            self.walk(slot, i, book, o.price, Some(o.price), Liquidity::Maker, now);
            if self.orders.get(slot).leaves.is_zero() {
                self.finish(slot, OrderStatus::Filled, now, None);
            } else {
                k += 1;
            }
        }
    }

    /// Takes from the opposite side of `book`, best level first, while levels reach `limit`
    /// (every level for `None`), skipping what the strategy already took. Fills at `fill_price`
    /// or, for `None`, at each level's price. Returns the lots filled.
    #[allow(clippy::too_many_arguments)]
    fn walk(
        &mut self,
        slot: u32,
        i: usize,
        book: &L2Book,
        fill_price: Price,
        limit: Option<Price>,
        liquidity: Liquidity,
        ts: UnixNanos,
    ) -> i64 {
        let o = *self.orders.get(slot);
        let opposite = o.side.opposite();
        let mut leaves = o.leaves.lots();
        let mut filled = 0;
        for level in book.levels(opposite) {
            if leaves == 0 || limit.is_some_and(|p| !reaches(o.side, p, level.price)) {
                break;
            }
            let available = self.taken[i].available(o.strategy, opposite, level.price, level.qty);
            if available <= 0 {
                continue;
            }
            let lots = available.min(leaves);
            self.taken[i].take(o.strategy, opposite, level.price, level.qty, lots);
            let price = if liquidity == Liquidity::Taker {
                level.price
            } else {
                fill_price
            };
            self.fill(slot, price, lots, liquidity, ts);
            leaves -= lots;
            filled += lots;
        }
        filled
    }

    /// Acts on every request of instrument `i` whose arrival time passes `due`, earliest first.
    fn process_arrivals(&mut self, i: usize, book: &L2Book, due: impl Fn(UnixNanos) -> bool) {
        while self.arrivals[i].peek().is_some_and(|t| due(t.at)) {
            let Some(t) = self.arrivals[i].pop() else {
                break;
            };
            let (at, strategy) = (t.at, t.item.strategy);
            match t.item.kind {
                Arrival::New(slot) => self.arrive(slot, i, at, book),
                Arrival::Cancel { slot, id } => {
                    if self.is_resting(slot, strategy, id) {
                        self.finish(slot, OrderStatus::Canceled, at, None);
                    } else {
                        // Finished, or not at the exchange yet: unknown to it.
                        let o = *self.orders.get(slot);
                        let reason = Some(RejectReason::UnknownOrder);
                        let update = if o.live && o.id == id && o.strategy == strategy {
                            o.update(OrderStatus::CancelRejected, at, reason)
                        } else {
                            OrderUpdate {
                                id,
                                instrument: InstrumentId::new(i as u32),
                                status: OrderStatus::CancelRejected,
                                side: Side::Buy,
                                reject_code: RejectReason::UnknownOrder as u8,
                                _reserved: 0,
                                price: Price::from_ticks(0),
                                qty: Quantity::ZERO,
                                leaves_qty: Quantity::ZERO,
                                ts: at,
                            }
                        };
                        self.emit(strategy, o.response_ns, at, Report::Update(update));
                    }
                }
                Arrival::CancelAll => self.cancel_resting(strategy, i, at),
            }
        }
    }

    fn cancel_resting(&mut self, strategy: StrategyIdx, i: usize, at: UnixNanos) {
        let mut k = 0;
        while k < self.orders.live().len() {
            let slot = self.orders.live()[k];
            let o = self.orders.get(slot);
            if o.strategy == strategy && o.instrument.index() == i && o.stage == Stage::Resting {
                self.finish(slot, OrderStatus::Canceled, at, None);
            } else {
                k += 1;
            }
        }
    }

    /// A new order reaches the exchange at `at` and meets `book`.
    fn arrive(&mut self, slot: u32, i: usize, at: UnixNanos, book: &L2Book) {
        let o = *self.orders.get(slot);
        let accepted = Report::Update(o.update(OrderStatus::Accepted, at, None));
        match (o.order_type, o.time_in_force) {
            (OrderType::Market, _) => {
                // The ack is only sent if something fills, but it must come before the fills.
                let ack = self.next_seq();
                let filled = self.walk(slot, i, book, o.price, None, Liquidity::Taker, at);
                if filled == 0 {
                    self.finish(
                        slot,
                        OrderStatus::Rejected,
                        at,
                        Some(RejectReason::NoLiquidity),
                    );
                } else {
                    self.emit_seq(ack, o.strategy, o.response_ns, at, accepted);
                    self.close_taker(slot, at);
                }
            }
            (OrderType::Limit, TimeInForce::PostOnly) => {
                let crosses = match o.side {
                    Side::Buy => book.best_ask().is_some_and(|l| l.price <= o.price),
                    Side::Sell => book.best_bid().is_some_and(|l| l.price >= o.price),
                };
                if crosses {
                    let reason = Some(RejectReason::PostOnlyWouldCross);
                    self.finish(slot, OrderStatus::Rejected, at, reason);
                } else {
                    self.emit(o.strategy, o.response_ns, at, accepted);
                    self.rest(slot, book);
                }
            }
            (OrderType::Limit, TimeInForce::Ioc) => {
                self.emit(o.strategy, o.response_ns, at, accepted);
                self.walk(slot, i, book, o.price, Some(o.price), Liquidity::Taker, at);
                self.close_taker(slot, at);
            }
            (OrderType::Limit, TimeInForce::Gtc) => {
                self.emit(o.strategy, o.response_ns, at, accepted);
                self.walk(slot, i, book, o.price, Some(o.price), Liquidity::Taker, at);
                if self.orders.get(slot).leaves.is_zero() {
                    self.finish(slot, OrderStatus::Filled, at, None);
                } else {
                    self.rest(slot, book);
                }
            }
        }
    }

    /// A market or IOC order after its walk: filled, or the rest expires.
    fn close_taker(&mut self, slot: u32, at: UnixNanos) {
        let status = if self.orders.get(slot).leaves.is_zero() {
            OrderStatus::Filled
        } else {
            OrderStatus::Expired
        };
        self.finish(slot, status, at, None);
    }

    /// The order joins the queue at its price, behind everything displayed there.
    fn rest(&mut self, slot: u32, book: &L2Book) {
        let o = self.orders.get_mut(slot);
        let shown = book.qty_at(o.side, o.price).lots();
        o.stage = Stage::Resting;
        o.ahead = shown;
        o.seen = shown;
        self.orders.move_to_back(slot);
    }
}
