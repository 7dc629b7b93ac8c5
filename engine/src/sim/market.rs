//! One simulated symbol: its model, its streams, and the task that steps the model in real
//! time and publishes frames.
//!
//! The model's event clock is mapped onto the wall clock from the sim's start. Each wake-up the
//! task runs every event and every batch boundary that is due, in time order, under the
//! model's lock, so a REST snapshot always sits between two events: at update id `L`, with the
//! diff covering `L+1` still to come. The task works in venue-neutral terms (changed levels,
//! trades, best quotes, update-id spans) and asks the venue's [`Encoder`] for the bytes. Frames
//! are only built for streams somebody subscribes to; the depth batches of every window the
//! venue serves are kept regardless so that any batch covers all of its ids. Book topics (Bybit,
//! OKX: snapshot in the stream) are kept in `topics`, under the model's lock, while somebody
//! subscribes.

use super::encode::{
    AggIds, DiffSpan, Encoder, Frame, PartialAt, Sides, SymbolWire, Tick, Top, TradePrint,
};
use super::model::{Event, Model, ModelStart};
use super::stream::{BookTopic, KINDS, PARTIAL_LEVELS, StreamKind, Window};
use super::topics::{Ctx, Image, TopicFrame, Topics};
use super::{Published, Shared, SimConfig, SimError, SimSymbol, SymbolStats};
use ladder_sdk::Side;
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;

/// One symbol of the sim.
#[derive(Debug)]
pub(crate) struct SymbolMarket {
    pub(crate) index: usize,
    pub(crate) symbol: SimSymbol,
    /// How the venue shows it.
    pub(crate) wire: SymbolWire,
    model: Mutex<Model>,
    /// The book topics; locked after `model`, never alone.
    topics: Mutex<Topics>,
    /// Subscribers per stream kind.
    subs: [AtomicUsize; KINDS],
    events: AtomicU64,
}

impl SymbolMarket {
    pub(crate) fn new(
        index: usize,
        symbol: &SimSymbol,
        config: &SimConfig,
        encoder: &Encoder,
        events_per_sec: f64,
    ) -> Result<Self, SimError> {
        let spec = symbol.spec()?;
        let wire = encoder.symbol_wire(symbol)?;
        let bad = |what: &str| SimError::Config(format!("symbol {}: {what}", symbol.symbol));
        let mid_ticks = spec
            .price_from_decimal(symbol.start_price.round_dp(spec.tick_size().scale()))
            .map_err(|e| bad(&format!("start price: {e}")))?
            .ticks();
        let start = ModelStart {
            mid_ticks,
            price: symbol
                .start_price
                .to_f64()
                .ok_or_else(|| bad("start price out of range"))?,
            lot_size: symbol
                .lot_size
                .to_f64()
                .ok_or_else(|| bad("lot size out of range"))?,
            // Large, distinct ids per symbol, like a venue that has been running for a while.
            first_update_id: 1_000_000_000 * (index as u64 + 1),
            first_trade_id: 100_000_000 * (index as u64 + 1),
        };
        let model = Model::new(
            config.model.clone(),
            start,
            config.seed,
            index as u64,
            events_per_sec,
        )?;
        Ok(Self {
            index,
            symbol: symbol.clone(),
            wire,
            model: Mutex::new(model),
            topics: Mutex::new(Topics::default()),
            subs: Default::default(),
            events: AtomicU64::new(0),
        })
    }

    pub(crate) fn model(&self) -> MutexGuard<'_, Model> {
        // A panic while holding the lock leaves a consistent model (events are atomic steps).
        self.model.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn topics(&self) -> MutexGuard<'_, Topics> {
        self.topics.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The snapshot a new subscription of `topic` starts with (the image last sent on it, or
    /// the model's book now if nobody subscribed) and the topic's publish number at it.
    pub(crate) fn book_snapshot(&self, topic: BookTopic, encoder: &Encoder) -> TopicFrame {
        let model = self.model();
        let now = super::now_ms();
        let ctx = Ctx {
            encoder,
            wire: &self.wire,
            event_ms: now,
            engine_ms: now,
        };
        self.topics().snapshot(&model, topic, &ctx)
    }

    /// Up to `depth` levels of the book a REST snapshot shows, with its sequence id: the image
    /// last sent on the first tracked topic of `topics` (so the topic's next delta joins it),
    /// else the model's book now at its update id (`wire_id`).
    pub(crate) fn rest_book(
        &self,
        topics: &[BookTopic],
        depth: usize,
        encoder: &Encoder,
    ) -> (Image, u64) {
        let model = self.model();
        let t = self.topics();
        match t.last_image(topics) {
            Some((image, seq)) => (
                Image {
                    bids: image.bids.iter().take(depth).copied().collect(),
                    asks: image.asks.iter().take(depth).copied().collect(),
                },
                seq,
            ),
            None => (Image::of(&model, depth), encoder.wire_id(model.update_id())),
        }
    }

    pub(crate) fn subscribe(&self, kind: StreamKind) {
        self.subs[kind.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn unsubscribe(&self, kind: StreamKind) {
        self.subs[kind.index()].fetch_sub(1, Ordering::Relaxed);
    }

    fn wanted(&self, kind: StreamKind) -> bool {
        self.subs[kind.index()].load(Ordering::Relaxed) > 0
    }

    pub(crate) fn stats(&self, encoder: &Encoder) -> SymbolStats {
        let m = self.model();
        let px = |p: Option<(i64, i64)>| {
            p.map_or_else(String::new, |(p, _)| self.wire.fmt.price_text(p))
        };
        SymbolStats {
            symbol: self.symbol.symbol.clone(),
            update_id: encoder.wire_id(m.update_id()),
            events: self.events.load(Ordering::Relaxed),
            best_bid: px(m.best_bid()),
            best_ask: px(m.best_ask()),
        }
    }
}

/// Model time to wall time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    pub(crate) t0: tokio::time::Instant,
    pub(crate) epoch_ns: u64,
}

impl Clock {
    fn ms(&self, sim_ns: u64) -> u64 {
        (self.epoch_ns + sim_ns) / 1_000_000
    }

    fn now_ns(&self) -> u64 {
        u64::try_from(self.t0.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// Level changes accumulated over one diff-depth window.
#[derive(Debug, Default)]
struct Batch {
    first: Option<u64>,
    last: u64,
    last_ns: u64,
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
}

impl Batch {
    fn add(&mut self, ev: &Event) {
        if ev.changes.is_empty() {
            return;
        }
        self.first.get_or_insert(ev.first_update_id);
        self.last = ev.last_update_id;
        self.last_ns = ev.time_ns;
        for c in &ev.changes {
            match c.side {
                Side::Buy => self.bids.insert(c.price, c.qty),
                Side::Sell => self.asks.insert(c.price, c.qty),
            };
        }
    }

    /// Closes the batch at `event_ms` and clears it; returns the ids it covered (if it holds
    /// changes) and, when `build`, the diff message of `kind`.
    fn take(
        &mut self,
        p: &Publisher<'_>,
        kind: StreamKind,
        event_ms: u64,
        build: bool,
    ) -> (Option<DiffSpan>, Option<Frame>) {
        let Some(first) = self.first.take() else {
            return (None, None);
        };
        let span = DiffSpan {
            event_ms,
            tx_ms: p.clock.ms(self.last_ns),
            first,
            last: self.last,
        };
        let frame = build
            .then(|| {
                let bids: Vec<(i64, i64)> = self.bids.iter().rev().map(|(&p, &q)| (p, q)).collect();
                let asks: Vec<(i64, i64)> = self.asks.iter().map(|(&p, &q)| (p, q)).collect();
                let changed = Sides {
                    bids: &bids,
                    asks: &asks,
                };
                p.encoder().diff(&p.market.wire, kind, span, changed)
            })
            .flatten();
        self.bids.clear();
        self.asks.clear();
        (Some(span), frame)
    }
}

struct Publisher<'a> {
    shared: &'a Shared,
    market: &'a SymbolMarket,
    clock: &'a Clock,
}

impl Publisher<'_> {
    fn encoder(&self) -> &Encoder {
        &self.shared.encoder
    }

    fn send(&self, kind: StreamKind, frame: Frame) {
        self.shared
            .counters
            .frames_published
            .fetch_add(1, Ordering::Relaxed);
        let _ = self.shared.tx.send(Arc::new(Published {
            symbol: self.market.index,
            kind,
            frame: Arc::new(frame),
            number: 0,
            faultable: kind.is_diff(),
        }));
    }

    fn send_topic(&self, topic: BookTopic, t: TopicFrame) {
        self.shared
            .counters
            .frames_published
            .fetch_add(1, Ordering::Relaxed);
        let _ = self.shared.tx.send(Arc::new(Published {
            symbol: self.market.index,
            kind: StreamKind::Book(topic),
            frame: Arc::new(t.frame),
            number: t.number,
            faultable: t.delta,
        }));
    }
}

/// The task of symbol `index`: runs until `stop` turns true.
pub(crate) async fn run(
    shared: Arc<Shared>,
    index: usize,
    clock: Clock,
    mut stop: watch::Receiver<bool>,
) {
    let market = &shared.markets[index];
    let publisher = Publisher {
        shared: &shared,
        market,
        clock: &clock,
    };
    let mut state = State::new(index, &shared.encoder);
    loop {
        let now = clock.now_ns();
        let deadline = {
            let mut model = market.model();
            state.advance(&mut model, now, &publisher)
        };
        if deadline <= clock.now_ns() {
            // Behind (a burst or a slow machine): let the other tasks run, then catch up.
            tokio::task::yield_now().await;
            if *stop.borrow() {
                break;
            }
            continue;
        }
        let wake = clock.t0 + Duration::from_nanos(deadline);
        tokio::select! {
            _ = tokio::time::sleep_until(wake) => {}
            _ = super::stopped(&mut stop) => break,
        }
    }
}

/// One batch window the venue serves: its batch and when it closes next (model ns).
struct WindowState {
    window: Window,
    batch: Batch,
    next_ns: u64,
}

/// One book topic the venue serves and when its interval closes next (model ns).
struct TopicTimer {
    topic: BookTopic,
    next_ns: u64,
}

/// The last trade price and the direction of the last price change (Bybit's `L`).
#[derive(Debug, Default)]
struct TickState {
    last: Option<i64>,
    up: bool,
}

impl TickState {
    /// The tick direction of a trade at `price`.
    fn next(&mut self, price: i64) -> Tick {
        let tick = match self.last {
            Some(l) if price > l => Tick::Plus,
            Some(l) if price < l => Tick::Minus,
            _ if self.up => Tick::ZeroPlus,
            Some(_) => Tick::ZeroMinus,
            None => Tick::ZeroPlus,
        };
        if let Some(l) = self.last
            && price != l
        {
            self.up = price > l;
        }
        self.last = Some(price);
        tick
    }
}

/// The publishing state of one symbol's task.
pub(crate) struct State {
    /// Shortest window first.
    windows: Vec<WindowState>,
    topics: Vec<TopicTimer>,
    /// Time of the last book event (ms).
    last_event_ms: u64,
    last_top: Option<(i64, i64, i64, i64)>,
    /// The tick direction of the trades so far.
    tick: TickState,
    next_agg_id: u64,
    ev: Event,
}

impl State {
    pub(crate) fn new(index: usize, encoder: &Encoder) -> Self {
        Self {
            windows: encoder
                .windows()
                .iter()
                .map(|&window| WindowState {
                    window,
                    batch: Batch::default(),
                    next_ns: window.ns(),
                })
                .collect(),
            topics: encoder
                .book_topics()
                .iter()
                .map(|&topic| TopicTimer {
                    topic,
                    next_ns: topic.ns(),
                })
                .collect(),
            last_event_ms: 0,
            tick: TickState::default(),
            last_top: None,
            next_agg_id: 10_000_000 * (index as u64 + 1),
            ev: Event::default(),
        }
    }

    /// [`State::advance`] for a test that drives the clock itself.
    #[cfg(test)]
    pub(crate) fn advance_to(&mut self, shared: &Shared, index: usize, now: u64, clock: &Clock) {
        let market = &shared.markets[index];
        let p = Publisher {
            shared,
            market,
            clock,
        };
        let mut model = market.model();
        self.advance(&mut model, now, &p);
    }

    /// Runs everything due up to `now` (model ns); returns when to wake next. Bounded work per
    /// call so a slow machine still yields.
    fn advance(&mut self, model: &mut Model, now: u64, p: &Publisher<'_>) -> u64 {
        let market = p.market;
        let mut budget = 50_000u32;
        loop {
            let te = model.next_time_ns();
            let tf = self
                .windows
                .iter()
                .map(|w| w.next_ns)
                .chain(self.topics.iter().map(|t| t.next_ns))
                .min()
                .unwrap_or(u64::MAX);
            let next = te.min(tf);
            if next > now || budget == 0 {
                return next;
            }
            budget -= 1;
            if tf <= te {
                let ms = p.clock.ms(tf);
                for w in self.windows.iter_mut().filter(|w| w.next_ns == tf) {
                    let kind = StreamKind::Diff(w.window);
                    let (span, frame) = w.batch.take(p, kind, ms, market.wanted(kind));
                    if let Some(f) = frame {
                        p.send(kind, f);
                    }
                    partials(model, w.window, ms, span, p);
                    w.next_ns += w.window.ns();
                }
                for t in self.topics.iter_mut().filter(|t| t.next_ns == tf) {
                    topic_update(model, t.topic, ms, self.last_event_ms.min(ms), p);
                    t.next_ns += t.topic.ns();
                }
                continue;
            }
            model.step(&mut self.ev);
            market.events.fetch_add(1, Ordering::Relaxed);
            p.shared.counters.events.fetch_add(1, Ordering::Relaxed);
            self.publish_event(model, p);
        }
    }

    fn publish_event(&mut self, model: &Model, p: &Publisher<'_>) {
        let market = p.market;
        let enc = p.encoder();
        let ev = &self.ev;
        let ms = p.clock.ms(ev.time_ns);
        if !ev.changes.is_empty() {
            self.last_event_ms = ms;
        }
        for w in &mut self.windows {
            w.batch.add(ev);
        }
        let per_event = StreamKind::Diff(Window::Event);
        if !ev.changes.is_empty() && market.wanted(per_event) {
            let mut one = Batch::default();
            one.add(ev);
            if let (_, Some(f)) = one.take(p, per_event, ms, true) {
                p.send(per_event, f);
            }
        }
        let trades_wanted = market.wanted(StreamKind::Trade);
        for t in &ev.trades {
            let tick = self.tick.next(t.price);
            if !trades_wanted {
                continue;
            }
            let print = TradePrint {
                event_ms: ms,
                trade_ms: ms,
                id: t.id,
                price: t.price,
                qty: t.qty,
                buyer_is_maker: t.taker == Side::Sell,
                seq: ev.last_update_id,
                tick,
            };
            if let Some(f) = enc.trade(&market.wire, &print) {
                p.send(StreamKind::Trade, f);
            }
        }
        // One aggTrade per price level per taker order.
        let mut i = 0;
        while i < ev.trades.len() {
            let first = ev.trades[i];
            let mut j = i;
            let mut qty = 0;
            while j < ev.trades.len() && ev.trades[j].price == first.price {
                qty += ev.trades[j].qty;
                j += 1;
            }
            let print = TradePrint {
                event_ms: ms,
                trade_ms: ms,
                id: self.next_agg_id,
                price: first.price,
                qty,
                buyer_is_maker: first.taker == Side::Sell,
                seq: ev.last_update_id,
                tick: Tick::ZeroPlus,
            };
            self.next_agg_id += 1;
            if market.wanted(StreamKind::AggTrade) {
                let ids = AggIds {
                    first: first.id,
                    last: ev.trades[j - 1].id,
                };
                if let Some(f) = enc.agg_trade(&market.wire, &print, ids) {
                    p.send(StreamKind::AggTrade, f);
                }
            }
            i = j;
        }
        if let (Some(bid), Some(ask)) = (model.best_bid(), model.best_ask()) {
            let key = (bid.0, bid.1, ask.0, ask.1);
            if self.last_top != Some(key) {
                self.last_top = Some(key);
                if market.wanted(StreamKind::BookTicker) {
                    let top = Top {
                        update_id: model.update_id(),
                        bid,
                        ask,
                        time_ms: ms,
                    };
                    if let Some(f) = enc.book_ticker(&market.wire, &top) {
                        p.send(StreamKind::BookTicker, f);
                    }
                }
            }
        }
    }
}

/// The partial-depth messages of `window` at its close.
fn partials(model: &Model, window: Window, ms: u64, span: Option<DiffSpan>, p: &Publisher<'_>) {
    let market = p.market;
    for levels in PARTIAL_LEVELS {
        let kind = StreamKind::Partial { levels, window };
        if !market.wanted(kind) {
            continue;
        }
        let bids = model.levels(Side::Buy, levels.into());
        let asks = model.levels(Side::Sell, levels.into());
        let at = PartialAt {
            event_ms: ms,
            update_id: model.update_id(),
            window: span,
        };
        let top = Sides {
            bids: &bids,
            asks: &asks,
        };
        if let Some(f) = p.encoder().partial(&market.wire, kind, at, top) {
            p.send(kind, f);
        }
    }
}

/// The message of a book topic at the close of its interval, if somebody subscribes and the
/// image changed; a topic nobody subscribes to any more is forgotten.
fn topic_update(model: &Model, topic: BookTopic, ms: u64, engine_ms: u64, p: &Publisher<'_>) {
    let market = p.market;
    let mut topics = market.topics();
    if !topics.tracked(topic) {
        return;
    }
    if !market.wanted(StreamKind::Book(topic)) {
        topics.forget(topic);
        return;
    }
    let ctx = Ctx {
        encoder: p.encoder(),
        wire: &market.wire,
        event_ms: ms,
        engine_ms,
    };
    let faults = (&p.shared.config.faults, &p.shared.faults);
    if let Some(t) = topics.update(model, topic, &ctx, faults) {
        p.send_topic(topic, t);
    }
}
