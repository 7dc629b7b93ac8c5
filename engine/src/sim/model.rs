//! The order-flow model behind one simulated symbol, in the spirit of Cont, Stoikov & Talreja,
//! "A stochastic model for order book dynamics" (Operations Research, 2010).
//!
//! The book is a set of FIFO queues of orders on an integer tick grid with integer lot sizes.
//! Independent Poisson processes drive it:
//!
//! - **limit orders** arrive on each side at distance `i = 1..=K` ticks from the *opposite* best
//!   quote at rate `λ(i) = k / i^α` (a bid lands at `best_ask − i`, so it never crosses);
//! - **cancellations** at distance `i` occur at rate `θ(i) · n(i)`, where `n(i)` is the number of
//!   orders in that queue (each order cancels independently); one random order goes;
//! - **market orders** arrive on each side at rate `μ` with a random size, fill against the
//!   opposite queues front first (one trade per maker order), and may walk several levels.
//!
//! After every event a side with fewer than `min_levels` price levels is refilled with limit
//! orders, so the book is never empty and (by construction) never crossed. The mid-price drifts
//! only through this flow: queues at the best quote deplete and the quote moves.
//!
//! The event *type* is drawn in proportion to these intensities, but the event *clock* is a
//! Poisson process with the configured rate (`events_per_sec`): CST's model in its own time
//! units, rescaled so the message rate is whatever a test or a load run needs. Every level
//! change consumes one update id, as on the venue. Everything is a pure function of the seed.

mod params;

pub use params::ModelParams;

use super::SimError;
use crate::rng::SeededRng as Rng;
use ladder_sdk::Side;
use std::collections::{BTreeMap, VecDeque};

/// Where a model starts: the instrument's grid in integer terms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelStart {
    /// Start mid-price in ticks.
    pub mid_ticks: i64,
    /// Start price in quote currency (for converting notional sizes to lots).
    pub price: f64,
    /// Lot size in base currency.
    pub lot_size: f64,
    /// The first update id the model hands out.
    pub first_update_id: u64,
    /// The first trade id the model hands out.
    pub first_trade_id: u64,
}

/// What a model event did to one price level: its new absolute quantity (0 = removed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// `Buy` = bid side, `Sell` = ask side.
    pub side: Side,
    /// Price in ticks.
    pub price: i64,
    /// New total quantity at the level in lots; 0 removes it.
    pub qty: i64,
}

/// One trade: a market order against one resting order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimTrade {
    /// Trade id (consecutive per symbol).
    pub id: u64,
    /// Price in ticks.
    pub price: i64,
    /// Quantity in lots.
    pub qty: i64,
    /// The taker's side (`Sell` means the buyer was the maker, `"m":true`).
    pub taker: Side,
}

/// What kind of order drove an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A limit order joined a queue.
    Limit(Side),
    /// A resting order was cancelled.
    Cancel(Side),
    /// A market order traded.
    Market(Side),
}

/// One model event: the level changes (update ids `first_update_id..=last_update_id`, one per
/// change, in order) and the trades it produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Event time, nanoseconds since the model's start.
    pub time_ns: u64,
    /// What happened.
    pub kind: EventKind,
    /// Update id of the first change.
    pub first_update_id: u64,
    /// Update id of the last change.
    pub last_update_id: u64,
    /// Level changes in update-id order (refills after the order itself included).
    pub changes: Vec<Change>,
    /// Trades, in match order.
    pub trades: Vec<SimTrade>,
}

impl Default for Event {
    fn default() -> Self {
        Self {
            time_ns: 0,
            kind: EventKind::Limit(Side::Buy),
            first_update_id: 0,
            last_update_id: 0,
            changes: Vec::new(),
            trades: Vec::new(),
        }
    }
}

#[derive(Debug, Default, Clone)]
struct Queue {
    total: i64,
    orders: VecDeque<i64>,
}

#[derive(Debug, Default, Clone)]
struct BookSide {
    levels: BTreeMap<i64, Queue>,
    orders: usize,
}

/// The simulated book of one symbol and the flow that moves it.
#[derive(Debug, Clone)]
pub struct Model {
    params: ModelParams,
    rng: Rng,
    bids: BookSide,
    asks: BookSide,
    /// Cumulative `λ(i)`, `i = 1..=K`.
    arrival_cdf: Vec<f64>,
    limit_lots: (i64, i64),
    market_lots: (i64, i64),
    events_per_sec: f64,
    clock_ns: f64,
    next_time_ns: u64,
    update_id: u64,
    next_trade_id: u64,
    reference_mid: i64,
    events: u64,
}

fn lots_for(notional: f64, start: &ModelStart) -> i64 {
    let lots = notional / (start.price * start.lot_size);
    if lots.is_finite() {
        (lots.round() as i64).max(1)
    } else {
        1
    }
}

impl Model {
    /// A model at `start`, seeded by `(seed, stream)`, producing `events_per_sec` events per
    /// second of model time on average. Runs the warm-up; the first published event is the
    /// next one.
    pub fn new(
        params: ModelParams,
        start: ModelStart,
        seed: u64,
        stream: u64,
        events_per_sec: f64,
    ) -> Result<Self, SimError> {
        params.validate()?;
        if !(events_per_sec.is_finite() && events_per_sec > 0.0) {
            return Err(SimError::Config(format!(
                "events per second must be positive, got {events_per_sec}"
            )));
        }
        if start.mid_ticks <= i64::from(params.max_distance) * 2 {
            return Err(SimError::Config(format!(
                "start price of {} ticks is too close to zero for max_distance {}",
                start.mid_ticks, params.max_distance
            )));
        }
        let mut acc = 0.0;
        let arrival_cdf = (1..=params.max_distance)
            .map(|i| {
                acc += params.arrival_k / f64::from(i).powf(params.arrival_alpha);
                acc
            })
            .collect();
        let limit_lots = (
            lots_for(params.limit_notional.0, &start),
            lots_for(params.limit_notional.1, &start),
        );
        let market_lots = (
            lots_for(params.market_notional.0, &start),
            lots_for(params.market_notional.1, &start),
        );
        let mut m = Self {
            rng: Rng::new(seed, stream),
            bids: BookSide::default(),
            asks: BookSide::default(),
            arrival_cdf,
            limit_lots,
            market_lots,
            events_per_sec,
            clock_ns: 0.0,
            next_time_ns: 0,
            update_id: start.first_update_id.saturating_sub(1),
            next_trade_id: start.first_trade_id,
            reference_mid: start.mid_ticks,
            events: 0,
            params,
        };
        m.seed_book(start.mid_ticks);
        let mut scratch = Event::default();
        for _ in 0..m.params.warmup_events {
            m.step(&mut scratch);
        }
        // Warm-up ids and trades are never published: restart both counters and the clock.
        m.update_id = start.first_update_id.saturating_sub(1);
        m.next_trade_id = start.first_trade_id;
        m.clock_ns = 0.0;
        m.events = 0;
        m.draw_next_time();
        Ok(m)
    }

    /// Steady-state-ish queues: about `λ(i)/θ(i)` orders at distance `i` on each side.
    fn seed_book(&mut self, mid: i64) {
        for i in 1..=i64::from(self.params.max_distance) {
            let lambda = self.lambda(i);
            let mean = lambda / self.params.theta(i + 1);
            for side in [Side::Buy, Side::Sell] {
                let n = (mean + self.rng.f64()) as usize;
                let price = mid - side.sign() * i;
                for _ in 0..n {
                    let size = self.rng.log_uniform(self.limit_lots.0, self.limit_lots.1);
                    self.push_order(side, price, size);
                }
            }
        }
    }

    fn lambda(&self, i: i64) -> f64 {
        self.params.arrival_k / (i as f64).powf(self.params.arrival_alpha)
    }

    fn draw_next_time(&mut self) {
        self.clock_ns += self.rng.exp(self.events_per_sec) * 1e9;
        self.next_time_ns = self.clock_ns as u64;
    }

    /// Time of the next event, nanoseconds since the model's start.
    pub fn next_time_ns(&self) -> u64 {
        self.next_time_ns
    }

    /// The last update id handed out (the book reflects every change up to it).
    pub fn update_id(&self) -> u64 {
        self.update_id
    }

    /// Published events so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Best bid `(price ticks, qty lots)`.
    pub fn best_bid(&self) -> Option<(i64, i64)> {
        self.bids
            .levels
            .last_key_value()
            .map(|(&p, q)| (p, q.total))
    }

    /// Best ask `(price ticks, qty lots)`.
    pub fn best_ask(&self) -> Option<(i64, i64)> {
        self.asks
            .levels
            .first_key_value()
            .map(|(&p, q)| (p, q.total))
    }

    /// Up to `limit` levels of one side, best first, as `(price ticks, qty lots)`.
    pub fn levels(&self, side: Side, limit: usize) -> Vec<(i64, i64)> {
        let map = &self.book(side).levels;
        let it: Box<dyn Iterator<Item = (&i64, &Queue)>> = match side {
            Side::Buy => Box::new(map.iter().rev()),
            Side::Sell => Box::new(map.iter()),
        };
        it.take(limit).map(|(&p, q)| (p, q.total)).collect()
    }

    /// Number of price levels on one side.
    pub fn depth(&self, side: Side) -> usize {
        self.book(side).levels.len()
    }

    fn book(&self, side: Side) -> &BookSide {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    fn book_mut(&mut self, side: Side) -> &mut BookSide {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    fn best(&self, side: Side) -> Option<i64> {
        match side {
            Side::Buy => self.best_bid().map(|b| b.0),
            Side::Sell => self.best_ask().map(|a| a.0),
        }
    }

    /// Distance in ticks of a `side` price from the opposite best (at least 1).
    fn distance(&self, side: Side, price: i64) -> i64 {
        let opp = self
            .best(side.opposite())
            .unwrap_or(self.reference_mid + side.opposite().sign());
        (side.sign() * (opp - price)).max(1)
    }

    fn push_order(&mut self, side: Side, price: i64, size: i64) -> i64 {
        let book = self.book_mut(side);
        let q = book.levels.entry(price).or_default();
        q.orders.push_back(size);
        q.total += size;
        book.orders += 1;
        q.total
    }

    fn change(&mut self, ev: &mut Event, side: Side, price: i64, qty: i64) {
        self.update_id += 1;
        ev.changes.push(Change { side, price, qty });
    }

    /// Cancellation intensity of one side: `Σ θ(i)·n(i)`. Levels beyond the `θ` table share its
    /// last value, so only the levels near the top are visited.
    fn cancel_intensity(&self, side: Side) -> f64 {
        let book = self.book(side);
        let table = self.params.cancel_rates.len() as i64;
        let last = self.params.theta(table);
        let mut near = 0.0;
        let mut near_orders = 0usize;
        for (&p, q) in self.near_levels(side, table) {
            near += self.params.theta(self.distance(side, p)) * q.orders.len() as f64;
            near_orders += q.orders.len();
        }
        near + last * (book.orders - near_orders) as f64
    }

    /// Levels of `side` within `table` ticks of the opposite best, best first.
    fn near_levels(&self, side: Side, table: i64) -> Box<dyn Iterator<Item = (&i64, &Queue)> + '_> {
        let map = &self.book(side).levels;
        match side {
            Side::Buy => {
                let lo = self.best(Side::Sell).map_or(i64::MIN, |a| a - table);
                Box::new(map.range(lo..).rev())
            }
            Side::Sell => {
                let hi = self.best(Side::Buy).map_or(i64::MAX, |b| b + table);
                Box::new(map.range(..=hi))
            }
        }
    }

    /// Runs one event and describes it in `ev` (cleared first).
    pub fn step(&mut self, ev: &mut Event) {
        ev.changes.clear();
        ev.trades.clear();
        ev.time_ns = self.next_time_ns;
        ev.first_update_id = self.update_id + 1;
        self.refill(ev);
        let limit_rate = self.arrival_cdf.last().copied().unwrap_or(0.0);
        let cancel_bid = self.cancel_intensity(Side::Buy);
        let cancel_ask = self.cancel_intensity(Side::Sell);
        let mu = self.params.market_rate;
        let weights = [
            (EventKind::Limit(Side::Buy), limit_rate),
            (EventKind::Limit(Side::Sell), limit_rate),
            (EventKind::Cancel(Side::Buy), cancel_bid),
            (EventKind::Cancel(Side::Sell), cancel_ask),
            (EventKind::Market(Side::Buy), mu),
            (EventKind::Market(Side::Sell), mu),
        ];
        let total: f64 = weights.iter().map(|w| w.1).sum();
        let mut u = self.rng.f64() * total;
        let mut kind = EventKind::Limit(Side::Buy);
        for (k, w) in weights {
            kind = k;
            if u < w {
                break;
            }
            u -= w;
        }
        ev.kind = kind;
        match kind {
            EventKind::Limit(side) => {
                let i = self.sample_distance();
                self.limit(ev, side, i);
            }
            EventKind::Cancel(side) => self.cancel(ev, side, u),
            EventKind::Market(side) => self.market(ev, side),
        }
        self.refill(ev);
        if let (Some((b, _)), Some((a, _))) = (self.best_bid(), self.best_ask()) {
            self.reference_mid = (a + b).div_euclid(2);
        }
        ev.last_update_id = self.update_id;
        self.events += 1;
        self.draw_next_time();
    }

    fn sample_distance(&mut self) -> i64 {
        let total = self.arrival_cdf.last().copied().unwrap_or(0.0);
        let u = self.rng.f64() * total;
        let idx = self.arrival_cdf.partition_point(|&c| c <= u);
        (idx.min(self.arrival_cdf.len() - 1) + 1) as i64
    }

    fn limit(&mut self, ev: &mut Event, side: Side, distance: i64) {
        let opp = self
            .best(side.opposite())
            .unwrap_or(self.reference_mid + side.opposite().sign());
        let price = (opp - side.sign() * distance).max(1);
        if side == Side::Buy && self.best_ask().is_some_and(|(a, _)| price >= a) {
            return; // only at a one-tick ask: no room for a bid; nothing happens
        }
        let size = self.rng.log_uniform(self.limit_lots.0, self.limit_lots.1);
        let total = self.push_order(side, price, size);
        self.change(ev, side, price, total);
    }

    /// Cancels the order that `u` (uniform in this side's cancel intensity) points at.
    fn cancel(&mut self, ev: &mut Event, side: Side, mut u: f64) {
        let table = self.params.cancel_rates.len() as i64;
        let mut target = None;
        let mut near_orders = 0usize;
        for (&p, q) in self.near_levels(side, table) {
            let w = self.params.theta(self.distance(side, p)) * q.orders.len() as f64;
            near_orders += q.orders.len();
            if u < w {
                target = Some(p);
                break;
            }
            u -= w;
        }
        if target.is_none() {
            // Beyond the table every order is equally likely: pick one uniformly.
            let far = self.book(side).orders - near_orders;
            if far > 0 {
                let mut k = self.rng.below(far);
                let book = self.book(side);
                let far_levels: Box<dyn Iterator<Item = (&i64, &Queue)>> = match side {
                    Side::Buy => {
                        let lo = self.best(Side::Sell).map_or(i64::MIN, |a| a - table);
                        Box::new(book.levels.range(..lo).rev())
                    }
                    Side::Sell => {
                        let hi = self.best(Side::Buy).map_or(i64::MAX, |b| b + table);
                        Box::new(book.levels.range(hi + 1..))
                    }
                };
                for (&p, q) in far_levels {
                    if k < q.orders.len() {
                        target = Some(p);
                        break;
                    }
                    k -= q.orders.len();
                }
            }
        }
        let Some(price) = target else { return };
        let pick = self.rng.below(self.book(side).levels[&price].orders.len());
        let book = self.book_mut(side);
        let mut new_total = 0;
        if let Some(q) = book.levels.get_mut(&price)
            && let Some(size) = q.orders.remove(pick)
        {
            q.total -= size;
            book.orders -= 1;
            new_total = q.total;
            if q.orders.is_empty() {
                book.levels.remove(&price);
            }
        }
        self.change(ev, side, price, new_total);
    }

    /// A market order of `side` fills against the opposite queues, front first.
    fn market(&mut self, ev: &mut Event, side: Side) {
        let mut remaining = self.rng.log_uniform(self.market_lots.0, self.market_lots.1);
        let maker = side.opposite();
        while remaining > 0 {
            let Some(price) = self.best(maker) else { break };
            let mut fills = Vec::new();
            let book = self.book_mut(maker);
            let Some(q) = book.levels.get_mut(&price) else {
                break;
            };
            while remaining > 0 {
                let Some(front) = q.orders.front_mut() else {
                    break;
                };
                let fill = remaining.min(*front);
                *front -= fill;
                q.total -= fill;
                remaining -= fill;
                fills.push(fill);
                if *front == 0 {
                    q.orders.pop_front();
                    book.orders -= 1;
                }
            }
            let left = q.total;
            if q.orders.is_empty() {
                book.levels.remove(&price);
            }
            for qty in fills {
                ev.trades.push(SimTrade {
                    id: self.next_trade_id,
                    price,
                    qty,
                    taker: side,
                });
                self.next_trade_id += 1;
            }
            self.change(ev, maker, price, left);
        }
    }

    /// Tops up any side with fewer than `min_levels` levels.
    fn refill(&mut self, ev: &mut Event) {
        for side in [Side::Buy, Side::Sell] {
            let mut guard = 0;
            while self.depth(side) < self.params.min_levels && guard < 1_000 {
                let i = self.sample_distance();
                self.limit(ev, side, i);
                guard += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests;
