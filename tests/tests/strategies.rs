//! The example strategies (`strategies/imbalance`, `strategies/microprice`) end to end on a real
//! capture: the Binance USDⓈ-M BTCUSDT capture goes through the engine's decoder, sequencer and
//! book; every applied depth diff calls `on_book` with the book's top levels, every trade
//! `on_trade`, every integrity fault `on_status`. Each strategy runs once as a plugin (its `cdylib`
//! built by cargo from the workspace and loaded through the vtable) and once statically linked;
//! the two runs must emit the same signals and order requests, and both must trade.
//!
//! The host answers orders like a small exchange: new orders are accepted at once, cancels
//! confirmed at once, and a resting order fills completely when a trade prints strictly through
//! its price. Along the way the test checks the rules the strategies promise: at most one
//! working order per side and a position within the cap.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use ladder_engine::book::{BookConfig, L2Book};
use ladder_engine::capture::merge::CaptureInput;
use ladder_engine::capture::pipeline::read_events;
use ladder_engine::feed::Venue;
use ladder_engine::plugin::{CallOutcome, HostConfig, InstanceKind, PluginError, StrategyInstance};
use ladder_sdk::{
    BookState, BookView, Fill, InstrumentId, Level, Liquidity, MarketEvent, OpenOrder,
    OrderRequest, OrderStatus, OrderType, OrderUpdate, RejectReason, RequestKind, Side,
    StatusEvent, Strategy, TradeEvent, UnixNanos,
};
use ladder_strategy_imbalance::ImbalanceStrategy;
use ladder_strategy_microprice::MicropriceStrategy;
use ladder_tests::build::{ladder_and_libraries, ladder_bin, newest_lib};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const CAPTURE: &str = "captures/binance-usdm_btcusdt_20240808.gz";
const SYMBOL: &str = "BTCUSDT";

// ---- building the plugins ------------------------------------------------------------------

struct Built {
    ladder: PathBuf,
    imbalance: PathBuf,
    microprice: PathBuf,
}

/// Builds the two strategy libraries and the `ladder` binary once per test binary, in the
/// profile of this test.
fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = ladder_and_libraries(
            env!("CARGO_TARGET_TMPDIR"),
            &["ladder-strategy-imbalance", "ladder-strategy-microprice"],
        );
        let built = Built {
            ladder: ladder_bin(&out),
            imbalance: newest_lib(&out, "ladder_strategy_imbalance"),
            microprice: newest_lib(&out, "ladder_strategy_microprice"),
        };
        for p in [&built.ladder, &built.imbalance, &built.microprice] {
            assert!(p.exists(), "{} was not built", p.display());
        }
        built
    })
}

// ---- the capture as strategy events --------------------------------------------------------

/// What the strategies are called with, in capture order.
enum Event {
    Book {
        update_id: u64,
        ts_exchange: UnixNanos,
        ts_recv: UnixNanos,
        bids: Vec<Level>,
        asks: Vec<Level>,
    },
    Trade(TradeEvent),
    Status(StatusEvent),
}

impl Event {
    fn ts_recv(&self) -> UnixNanos {
        match self {
            Self::Book { ts_recv, .. } => *ts_recv,
            Self::Trade(t) => t.ts_recv,
            Self::Status(s) => s.ts_recv,
        }
    }
}

/// The capture replayed once through decoder, sequencer and book; `None` (skip) without the
/// shared data.
fn events() -> Option<&'static [Event]> {
    static EVENTS: OnceLock<Option<Vec<Event>>> = OnceLock::new();
    EVENTS
        .get_or_init(|| ladder_tests::shared(CAPTURE).map(|p| replay(&p)))
        .as_deref()
}

/// The capture pipeline's events, applied to one book: a book event after every applied diff
/// (the top levels as `L2Book::top` gives them), trades, and a stale status on every fault.
fn replay(path: &Path) -> Vec<Event> {
    let input = [CaptureInput {
        path: path.to_path_buf(),
        venue: Venue::BinanceUsdm,
    }];
    let (registry, market) = read_events(&input, &[]).expect("capture");
    let [inst] = registry.iter().collect::<Vec<_>>()[..] else {
        panic!("one symbol expected in {}", path.display());
    };
    assert_eq!(inst.symbol, SYMBOL);
    let mut book = L2Book::new(BookConfig {
        top_n: 10,
        ..BookConfig::default()
    });
    let mut events = Vec::new();
    for e in &market {
        let closes = book.apply_event(e);
        match e {
            MarketEvent::BookDelta(d) if closes => {
                let top = book.top();
                events.push(Event::Book {
                    update_id: d.update_id,
                    ts_exchange: d.ts_exchange,
                    ts_recv: d.ts_recv,
                    bids: top.bids.to_vec(),
                    asks: top.asks.to_vec(),
                });
            }
            MarketEvent::Trade(t) => events.push(Event::Trade(TradeEvent::from(t))),
            MarketEvent::Status(st) if st.state == BookState::Stale => {
                events.push(Event::Status(StatusEvent {
                    instrument: st.instrument,
                    state: BookState::Stale,
                    reason_code: st.reason.map_or(0, |r| r as u8),
                    _reserved: [0; 2],
                    ts_recv: st.ts_recv,
                }));
            }
            _ => {}
        }
    }
    events
}

// ---- a small exchange around one instance --------------------------------------------------

/// One thing a strategy produced, in call order: a signal value (bit-exact) or an order request.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Rec {
    Signal { id: u32, bits: u64 },
    Order(OrderRequest),
}

#[derive(Debug, Default)]
struct Run {
    records: Vec<Rec>,
    signals: usize,
    new_orders: usize,
    cancels: usize,
    fills: usize,
    max_abs_position: i64,
    /// Allocations made on this thread inside the strategy calls (a plugin's own allocations go
    /// through its own std and are not seen).
    allocations: u64,
}

/// Accepts and cancels at once; fills a resting order completely on a trade strictly through its
/// price. Checks one order per side and the position cap as it goes.
struct Exchange {
    instrument: InstrumentId,
    open: Vec<OpenOrder>,
    position: i64,
    cap: i64,
    next_fill: u64,
    run: Run,
}

impl Exchange {
    fn new(cap: i64) -> Self {
        Self {
            instrument: InstrumentId::new(0),
            open: Vec::new(),
            position: 0,
            cap,
            next_fill: 1,
            run: Run::default(),
        }
    }

    /// Runs one strategy call, counting the allocations made during it.
    fn counted<T>(&mut self, call: impl FnOnce() -> T) -> T {
        let before = ladder_tests::alloc::thread_allocations();
        let result = call();
        self.run.allocations += ladder_tests::alloc::thread_allocations() - before;
        result
    }

    /// Records the last call's output and returns its order requests.
    fn take(&mut self, inst: &StrategyInstance, outcome: CallOutcome) -> Vec<OrderRequest> {
        assert_eq!(outcome, CallOutcome::Ok, "{:?}", inst.disabled_reason());
        let out = inst.output();
        for s in out.signals {
            self.run.records.push(Rec::Signal {
                id: s.id.index() as u32,
                bits: s.value.to_bits(),
            });
        }
        self.run.signals += out.signals.len();
        self.run
            .records
            .extend(out.orders.iter().map(|o| Rec::Order(*o)));
        out.orders.to_vec()
    }

    fn update(req: &OpenOrder, status: OrderStatus, reject: Option<RejectReason>) -> OrderUpdate {
        OrderUpdate {
            id: req.id,
            instrument: req.instrument,
            status,
            side: req.side,
            reject_code: reject.map_or(0, |r| r as u8),
            _reserved: 0,
            price: req.price,
            qty: req.qty,
            leaves_qty: if status == OrderStatus::Accepted {
                req.leaves_qty
            } else {
                ladder_sdk::Quantity::ZERO
            },
            ts: UnixNanos::ZERO,
        }
    }

    /// Executes requests (and whatever the strategy asks in answer) until none are left.
    fn settle(&mut self, inst: &mut StrategyInstance, now: UnixNanos, first: Vec<OrderRequest>) {
        let mut queue: VecDeque<OrderRequest> = first.into();
        while let Some(req) = queue.pop_front() {
            let mut answers = Vec::new();
            match req.kind {
                RequestKind::New => {
                    self.run.new_orders += 1;
                    assert_eq!(req.instrument, self.instrument);
                    assert_eq!(req.order_type, OrderType::Limit);
                    let order = OpenOrder {
                        id: req.id,
                        instrument: req.instrument,
                        side: req.side,
                        order_type: req.order_type,
                        time_in_force: req.time_in_force,
                        _reserved: 0,
                        price: req.price,
                        qty: req.qty,
                        leaves_qty: req.qty,
                    };
                    let same_side = self.open.iter().filter(|o| o.side == req.side).count();
                    assert_eq!(
                        same_side, 0,
                        "a second {:?} order while one works",
                        req.side
                    );
                    let worst = match req.side {
                        Side::Buy => self.position + req.qty.lots(),
                        Side::Sell => self.position - req.qty.lots(),
                    };
                    assert!(
                        worst.abs() <= self.cap,
                        "order could reach position {worst}"
                    );
                    self.open.push(order);
                    answers.push(Self::update(&order, OrderStatus::Accepted, None));
                }
                RequestKind::Cancel => {
                    self.run.cancels += 1;
                    match self.open.iter().position(|o| o.id == req.id) {
                        Some(i) => {
                            let o = self.open.remove(i);
                            answers.push(Self::update(&o, OrderStatus::Canceled, None));
                        }
                        None => {
                            let ghost = OpenOrder {
                                id: req.id,
                                instrument: self.instrument,
                                side: Side::Buy,
                                order_type: OrderType::Limit,
                                time_in_force: ladder_sdk::TimeInForce::Gtc,
                                _reserved: 0,
                                price: req.price,
                                qty: req.qty,
                                leaves_qty: req.qty,
                            };
                            answers.push(Self::update(
                                &ghost,
                                OrderStatus::CancelRejected,
                                Some(RejectReason::UnknownOrder),
                            ));
                        }
                    }
                }
                RequestKind::CancelAll => {
                    self.run.cancels += 1;
                    for o in std::mem::take(&mut self.open) {
                        answers.push(Self::update(&o, OrderStatus::Canceled, None));
                    }
                }
            }
            inst.set_open_orders(&self.open);
            for u in answers {
                let outcome = self.counted(|| inst.on_order_update(now, &u));
                queue.extend(self.take(inst, outcome));
            }
        }
    }

    /// Fills every resting order the trade went strictly through.
    fn match_trade(&mut self, inst: &mut StrategyInstance, t: &TradeEvent) {
        let through = |o: &OpenOrder| match o.side {
            Side::Buy => t.aggressor == Side::Sell && t.price < o.price,
            Side::Sell => t.aggressor == Side::Buy && t.price > o.price,
        };
        while let Some(i) = self.open.iter().position(through) {
            let o = self.open.remove(i);
            self.position += match o.side {
                Side::Buy => o.leaves_qty.lots(),
                Side::Sell => -o.leaves_qty.lots(),
            };
            self.run.fills += 1;
            self.run.max_abs_position = self.run.max_abs_position.max(self.position.abs());
            assert!(
                self.position.abs() <= self.cap,
                "position {}",
                self.position
            );
            inst.set_position(self.instrument, self.position);
            inst.set_open_orders(&self.open);
            let fill = Fill {
                id: o.id,
                instrument: o.instrument,
                side: o.side,
                liquidity: Liquidity::Maker,
                _reserved: [0; 2],
                price: o.price,
                qty: o.leaves_qty,
                leaves_qty: ladder_sdk::Quantity::ZERO,
                position: self.position,
                fill_id: self.next_fill,
                ts: t.ts_exchange,
            };
            self.next_fill += 1;
            let outcome = self.counted(|| inst.on_fill(t.ts_recv, &fill));
            let reqs = self.take(inst, outcome);
            self.settle(inst, t.ts_recv, reqs);
            let filled = Self::update(&o, OrderStatus::Filled, None);
            let outcome = self.counted(|| inst.on_order_update(t.ts_recv, &filled));
            let reqs = self.take(inst, outcome);
            self.settle(inst, t.ts_recv, reqs);
        }
    }
}

/// Runs one instance over the events.
fn drive(inst: &mut StrategyInstance, events: &[Event], cap: i64) -> Run {
    let mut ex = Exchange::new(cap);
    let instrument = ex.instrument;
    let start = events.first().map_or(UnixNanos::ZERO, Event::ts_recv);
    let outcome = ex.counted(|| inst.on_start(start));
    let reqs = ex.take(inst, outcome);
    ex.settle(inst, start, reqs);
    for ev in events {
        let now = ev.ts_recv();
        let outcome = ex.counted(|| match ev {
            Event::Book {
                update_id,
                ts_exchange,
                ts_recv,
                bids,
                asks,
            } => {
                let view = BookView::new(instrument, bids, asks)
                    .with_times(*update_id, *ts_exchange, *ts_recv)
                    .with_state(BookState::Synced);
                inst.on_book(now, &view)
            }
            Event::Trade(t) => inst.on_trade(now, t),
            Event::Status(s) => inst.on_status(now, s),
        });
        let reqs = ex.take(inst, outcome);
        ex.settle(inst, now, reqs);
        if let Event::Trade(t) = ev {
            ex.match_trade(inst, t);
        }
    }
    let end = events.last().map_or(UnixNanos::ZERO, Event::ts_recv);
    let outcome = ex.counted(|| inst.on_stop(end));
    let reqs = ex.take(inst, outcome);
    ex.settle(inst, end, reqs);
    assert!(
        ex.open.is_empty(),
        "orders left after on_stop: {:?}",
        ex.open
    );
    ex.run
}

fn host() -> HostConfig {
    HostConfig {
        instruments: vec![SYMBOL.to_owned()],
        ..HostConfig::default()
    }
}

/// The same strategy as a plugin and statically linked, over the whole capture.
fn plugin_and_static_agree<S: Strategy>(lib: &Path, name: &str, config: &str, cap: i64) {
    let Some(events) = events() else { return };
    let books = events
        .iter()
        .filter(|e| matches!(e, Event::Book { .. }))
        .count();
    assert!(books > 1000, "only {books} book updates replayed");

    let mut dynamic = StrategyInstance::load(lib, config, &host()).expect("plugin loads");
    let mut fixed = StrategyInstance::new_static::<S>(name, config, &host()).expect("static");
    assert_eq!(dynamic.kind(), InstanceKind::Dynamic);
    assert_eq!(fixed.kind(), InstanceKind::Static);
    assert_eq!(dynamic.name(), name);
    assert_eq!(dynamic.signal_names(), fixed.signal_names());

    let a = drive(&mut dynamic, events, cap);
    let b = drive(&mut fixed, events, cap);
    eprintln!(
        "{name}: {books} books, {} signals, {} new orders, {} cancels, {} fills, max |position| {}",
        a.signals, a.new_orders, a.cancels, a.fills, a.max_abs_position
    );
    if let Some(i) =
        (0..a.records.len().min(b.records.len())).find(|&i| a.records[i] != b.records[i])
    {
        panic!(
            "plugin and static differ at record {i}: {:?} vs {:?}",
            a.records[i], b.records[i]
        );
    }
    assert_eq!(a.records.len(), b.records.len(), "record counts differ");
    assert!(a.signals > books, "signals: {}", a.signals);
    assert!(a.new_orders > 10, "new orders: {}", a.new_orders);
    assert!(a.cancels > 0, "the strategy never re-quoted");
    assert!(a.fills > 0, "no order ever filled");
    assert_eq!((a.fills, a.max_abs_position), (b.fills, b.max_abs_position));
    assert_eq!(
        b.allocations, 0,
        "the statically linked strategy allocated during its calls"
    );
}

#[global_allocator]
static GLOBAL: ladder_tests::alloc::Counting = ladder_tests::alloc::Counting;

// ---- tests ---------------------------------------------------------------------------------

#[test]
fn imbalance_plugin_and_static_emit_the_same_signals_and_orders_on_the_capture() {
    plugin_and_static_agree::<ImbalanceStrategy>(
        &built().imbalance,
        "ladder-strategy-imbalance",
        "",
        5,
    );
}

#[test]
fn imbalance_with_rolling_mean_and_top_signal_agrees_too() {
    let config = r#"{"symbol": "BTCUSDT", "signal": "top", "smoothing": "mean", "window": 10,
        "threshold": 0.5, "exit_band": 0.2, "ofi_convention": "ccz", "max_position": 2}"#;
    plugin_and_static_agree::<ImbalanceStrategy>(
        &built().imbalance,
        "ladder-strategy-imbalance",
        config,
        2,
    );
}

#[test]
fn microprice_plugin_and_static_emit_the_same_signals_and_orders_on_the_capture() {
    plugin_and_static_agree::<MicropriceStrategy>(
        &built().microprice,
        "ladder-strategy-microprice",
        "",
        5,
    );
}

#[test]
fn strategy_config_errors_come_through_the_plugin_naming_the_key() {
    let err = StrategyInstance::load(&built().imbalance, "treshold = 0.2", &host())
        .expect_err("unknown key");
    let PluginError::Config { name, message } = &err else {
        panic!("expected a config error, got {err:?}");
    };
    assert_eq!(name, "ladder-strategy-imbalance");
    assert!(message.contains("unknown field `treshold`"), "{message}");
    let err = StrategyInstance::load(&built().microprice, r#"{"tick_size": "0.05"}"#, &host())
        .expect_err("tick mismatch")
        .to_string();
    assert!(err.contains("`tick_size` 0.05 does not match"), "{err}");
}

#[test]
fn ladder_plugins_check_accepts_both_strategies() {
    for (lib, name) in [
        (&built().imbalance, "ladder-strategy-imbalance"),
        (&built().microprice, "ladder-strategy-microprice"),
    ] {
        let out = Command::new(&built().ladder)
            .args(["plugins", "check"])
            .arg(lib)
            .assert()
            .success();
        let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        let want = format!("ok: {name} 0.1.0 can be loaded");
        assert!(stdout.contains(&want), "missing `{want}` in:\n{stdout}");
    }
}
