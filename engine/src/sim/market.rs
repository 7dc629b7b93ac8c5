//! One simulated symbol: its model, its streams, and the task that steps the model in real
//! time and publishes frames.
//!
//! The model's event clock is mapped onto the wall clock from the sim's start. Each wake-up the
//! task runs every event and every batch boundary that is due, in time order, under the
//! model's lock, so a REST snapshot always sits between two events: at update id `L`, with the
//! diff covering `L+1` still to come. Frames are only built for streams somebody subscribes
//! to; the depth batches are kept regardless so that any batch covers all of `U..=u`.

use super::model::{Event, Model, ModelStart};
use super::wire::{self, DepthIds, Fmt8, Frame, Top, TradePrint};
use super::{Published, Shared, SimConfig, SimError, SimSymbol, SymbolStats};
use ladder_sdk::Side;
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;

/// The streams of one symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum StreamKind {
    /// `@depth`: diff depth every 1000 ms.
    Depth1000,
    /// `@depth@100ms`.
    Depth100,
    /// `@depth@0ms`: one diff per book event.
    Depth0,
    /// `@trade`.
    Trade,
    /// `@aggTrade`.
    AggTrade,
    /// `@bookTicker`.
    BookTicker,
    /// `@depth<N>` (1000 ms) or `@depth<N>@100ms`, N in 5, 10, 20.
    Partial { levels: u8, fast: bool },
}

pub(crate) const KINDS: usize = 12;

impl StreamKind {
    pub(crate) const ALL: [Self; KINDS] = [
        Self::Depth1000,
        Self::Depth100,
        Self::Depth0,
        Self::Trade,
        Self::AggTrade,
        Self::BookTicker,
        Self::Partial {
            levels: 5,
            fast: false,
        },
        Self::Partial {
            levels: 10,
            fast: false,
        },
        Self::Partial {
            levels: 20,
            fast: false,
        },
        Self::Partial {
            levels: 5,
            fast: true,
        },
        Self::Partial {
            levels: 10,
            fast: true,
        },
        Self::Partial {
            levels: 20,
            fast: true,
        },
    ];

    pub(crate) fn index(self) -> usize {
        match self {
            Self::Depth1000 => 0,
            Self::Depth100 => 1,
            Self::Depth0 => 2,
            Self::Trade => 3,
            Self::AggTrade => 4,
            Self::BookTicker => 5,
            Self::Partial { levels, fast } => {
                let l = match levels {
                    5 => 0,
                    10 => 1,
                    _ => 2,
                };
                6 + l + if fast { 3 } else { 0 }
            }
        }
    }

    /// The suffix after `<symbol>@`.
    pub(crate) fn suffix(self) -> String {
        match self {
            Self::Depth1000 => "depth".into(),
            Self::Depth100 => "depth@100ms".into(),
            Self::Depth0 => "depth@0ms".into(),
            Self::Trade => "trade".into(),
            Self::AggTrade => "aggTrade".into(),
            Self::BookTicker => "bookTicker".into(),
            Self::Partial { levels, fast } => {
                format!("depth{levels}{}", if fast { "@100ms" } else { "" })
            }
        }
    }

    /// True for the diff-depth streams (the ones depth faults act on).
    pub(crate) fn is_diff(self) -> bool {
        matches!(self, Self::Depth1000 | Self::Depth100 | Self::Depth0)
    }

    fn parse(suffix: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.suffix() == suffix)
            .or(match suffix {
                "depth@1000ms" => Some(Self::Depth1000),
                "depth5@1000ms" => Some(Self::Partial {
                    levels: 5,
                    fast: false,
                }),
                "depth10@1000ms" => Some(Self::Partial {
                    levels: 10,
                    fast: false,
                }),
                "depth20@1000ms" => Some(Self::Partial {
                    levels: 20,
                    fast: false,
                }),
                _ => None,
            })
    }
}

/// Resolves a stream name (`btcusdt@depth@100ms`) to `(symbol index, kind)`, or says why not.
pub(crate) fn parse_stream(
    markets: &[SymbolMarket],
    name: &str,
) -> Result<(usize, StreamKind), String> {
    let Some((sym, suffix)) = name.split_once('@') else {
        return Err(format!("invalid stream name {name:?}"));
    };
    if sym.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(format!("stream names are lowercase, got {name:?}"));
    }
    let Some(index) = markets.iter().position(|m| m.lower == sym) else {
        return Err(format!("unknown symbol in stream {name:?}"));
    };
    let kind =
        StreamKind::parse(suffix).ok_or_else(|| format!("unknown stream type in {name:?}"))?;
    Ok((index, kind))
}

/// One symbol of the sim.
#[derive(Debug)]
pub(crate) struct SymbolMarket {
    pub(crate) index: usize,
    pub(crate) symbol: SimSymbol,
    /// Lowercase symbol, for stream names.
    pub(crate) lower: String,
    pub(crate) fmt: Fmt8,
    model: Mutex<Model>,
    /// Subscribers per stream kind.
    subs: [AtomicUsize; KINDS],
    names: [String; KINDS],
    events: AtomicU64,
}

impl SymbolMarket {
    pub(crate) fn new(
        index: usize,
        symbol: &SimSymbol,
        config: &SimConfig,
        events_per_sec: f64,
    ) -> Result<Self, SimError> {
        let spec = symbol.spec()?;
        let fmt = Fmt8::new(&spec)?;
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
        let lower = symbol.symbol.to_ascii_lowercase();
        Ok(Self {
            index,
            names: StreamKind::ALL.map(|k| format!("{lower}@{}", k.suffix())),
            lower,
            symbol: symbol.clone(),
            fmt,
            model: Mutex::new(model),
            subs: Default::default(),
            events: AtomicU64::new(0),
        })
    }

    pub(crate) fn model(&self) -> MutexGuard<'_, Model> {
        // A panic while holding the lock leaves a consistent model (events are atomic steps).
        self.model.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn stream_name(&self, kind: StreamKind) -> &str {
        &self.names[kind.index()]
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

    pub(crate) fn stats(&self) -> SymbolStats {
        let m = self.model();
        let px = |p: Option<(i64, i64)>| {
            let mut s = String::new();
            if let Some((p, _)) = p {
                self.fmt.price(&mut s, p);
            }
            s.trim_matches('"').to_owned()
        };
        SymbolStats {
            symbol: self.symbol.symbol.clone(),
            update_id: m.update_id(),
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
        for c in &ev.changes {
            match c.side {
                Side::Buy => self.bids.insert(c.price, c.qty),
                Side::Sell => self.asks.insert(c.price, c.qty),
            };
        }
    }

    /// Takes the batch as a depth frame (if it holds changes and `build`), and clears it.
    fn take(
        &mut self,
        market: &SymbolMarket,
        kind: StreamKind,
        event_ms: u64,
        build: bool,
    ) -> Option<Frame> {
        let first = self.first.take()?;
        let frame = build.then(|| {
            let bids: Vec<(i64, i64)> = self.bids.iter().rev().map(|(&p, &q)| (p, q)).collect();
            let asks: Vec<(i64, i64)> = self.asks.iter().map(|(&p, &q)| (p, q)).collect();
            let ids = DepthIds {
                event_ms,
                first,
                last: self.last,
            };
            Frame::build(market.stream_name(kind), |o| {
                wire::depth_update(o, &market.symbol.symbol, &market.fmt, ids, &bids, &asks);
            })
        });
        self.bids.clear();
        self.asks.clear();
        frame
    }
}

struct Publisher<'a> {
    shared: &'a Shared,
    market: &'a SymbolMarket,
}

impl Publisher<'_> {
    fn send(&self, kind: StreamKind, frame: Frame) {
        self.shared
            .counters
            .frames_published
            .fetch_add(1, Ordering::Relaxed);
        let _ = self.shared.tx.send(Arc::new(Published {
            symbol: self.market.index,
            kind,
            frame: Arc::new(frame),
        }));
    }
}

const FAST: u64 = 100_000_000;
const SLOW: u64 = 1_000_000_000;

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
    };
    let mut state = State::new(index);
    loop {
        let now = clock.now_ns();
        let deadline = {
            let mut model = market.model();
            state.advance(&mut model, now, &publisher, &clock)
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

pub(crate) struct State {
    fast: Batch,
    slow: Batch,
    next_fast: u64,
    next_slow: u64,
    last_top: Option<Top>,
    next_agg_id: u64,
    ev: Event,
}

impl State {
    pub(crate) fn new(index: usize) -> Self {
        Self {
            fast: Batch::default(),
            slow: Batch::default(),
            next_fast: FAST,
            next_slow: SLOW,
            last_top: None,
            next_agg_id: 10_000_000 * (index as u64 + 1),
            ev: Event::default(),
        }
    }

    #[cfg(test)]
    pub(crate) fn advance_for_test(
        &mut self,
        shared: &Shared,
        index: usize,
        now: u64,
        clock: &Clock,
    ) {
        let market = &shared.markets[index];
        let p = Publisher { shared, market };
        let mut model = market.model();
        self.advance(&mut model, now, &p, clock);
    }

    /// Runs everything due up to `now` (model ns); returns when to wake next. Bounded work per
    /// call so a slow machine still yields.
    fn advance(&mut self, model: &mut Model, now: u64, p: &Publisher<'_>, clock: &Clock) -> u64 {
        let market = p.market;
        let mut budget = 50_000u32;
        loop {
            let te = model.next_time_ns();
            let tf = self.next_fast.min(self.next_slow);
            let next = te.min(tf);
            if next > now || budget == 0 {
                return next;
            }
            budget -= 1;
            if tf <= te {
                let ms = clock.ms(tf);
                if self.next_fast == tf {
                    if let Some(f) = self.fast.take(
                        market,
                        StreamKind::Depth100,
                        ms,
                        market.wanted(StreamKind::Depth100),
                    ) {
                        p.send(StreamKind::Depth100, f);
                    }
                    self.partials(model, true, p);
                    self.next_fast += FAST;
                }
                if self.next_slow == tf {
                    if let Some(f) = self.slow.take(
                        market,
                        StreamKind::Depth1000,
                        ms,
                        market.wanted(StreamKind::Depth1000),
                    ) {
                        p.send(StreamKind::Depth1000, f);
                    }
                    self.partials(model, false, p);
                    self.next_slow += SLOW;
                }
                continue;
            }
            model.step(&mut self.ev);
            market.events.fetch_add(1, Ordering::Relaxed);
            p.shared.counters.events.fetch_add(1, Ordering::Relaxed);
            self.publish_event(model, p, clock);
        }
    }

    fn partials(&self, model: &Model, fast: bool, p: &Publisher<'_>) {
        let market = p.market;
        for levels in [5u8, 10, 20] {
            let kind = StreamKind::Partial { levels, fast };
            if !market.wanted(kind) {
                continue;
            }
            let bids = model.levels(Side::Buy, levels.into());
            let asks = model.levels(Side::Sell, levels.into());
            let frame = Frame::build(market.stream_name(kind), |o| {
                wire::depth_snapshot(o, &market.fmt, model.update_id(), &bids, &asks);
            });
            p.send(kind, frame);
        }
    }

    fn publish_event(&mut self, model: &Model, p: &Publisher<'_>, clock: &Clock) {
        let market = p.market;
        let ev = &self.ev;
        let ms = clock.ms(ev.time_ns);
        self.fast.add(ev);
        self.slow.add(ev);
        if !ev.changes.is_empty() && market.wanted(StreamKind::Depth0) {
            let mut one = Batch::default();
            one.add(ev);
            if let Some(f) = one.take(market, StreamKind::Depth0, ms, true) {
                p.send(StreamKind::Depth0, f);
            }
        }
        if market.wanted(StreamKind::Trade) {
            for t in &ev.trades {
                let print = TradePrint {
                    event_ms: ms,
                    trade_ms: ms,
                    id: t.id,
                    price: t.price,
                    qty: t.qty,
                    buyer_is_maker: t.taker == Side::Sell,
                };
                let f = Frame::build(market.stream_name(StreamKind::Trade), |o| {
                    wire::trade(o, &market.symbol.symbol, &market.fmt, &print);
                });
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
            let last_id = ev.trades[j - 1].id;
            let print = TradePrint {
                event_ms: ms,
                trade_ms: ms,
                id: self.next_agg_id,
                price: first.price,
                qty,
                buyer_is_maker: first.taker == Side::Sell,
            };
            self.next_agg_id += 1;
            if market.wanted(StreamKind::AggTrade) {
                let f = Frame::build(market.stream_name(StreamKind::AggTrade), |o| {
                    wire::agg_trade(
                        o,
                        &market.symbol.symbol,
                        &market.fmt,
                        &print,
                        first.id,
                        last_id,
                    );
                });
                p.send(StreamKind::AggTrade, f);
            }
            i = j;
        }
        if let (Some(bid), Some(ask)) = (model.best_bid(), model.best_ask()) {
            let top = Top {
                update_id: model.update_id(),
                bid,
                ask,
            };
            let changed = self
                .last_top
                .is_none_or(|t| (t.bid, t.ask) != (top.bid, top.ask));
            if changed {
                self.last_top = Some(top);
                if market.wanted(StreamKind::BookTicker) {
                    let f = Frame::build(market.stream_name(StreamKind::BookTicker), |o| {
                        wire::book_ticker(o, &market.symbol.symbol, &market.fmt, &top);
                    });
                    p.send(StreamKind::BookTicker, f);
                }
            }
        }
    }
}
