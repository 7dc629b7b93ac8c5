//! Rule tests with a hand-built `Context` and `BookView`.

use super::*;
use ladder_sdk::testing::{Output as Out, TestHost, TestInit};
use ladder_sdk::{OrderType, RejectReason, RequestKind};

const BTC: InstrumentId = InstrumentId::new(0);
const ETH: InstrumentId = InstrumentId::new(1);

fn create(config: &str) -> Result<(ImbalanceStrategy, Vec<String>), StrategyError> {
    let mut registry = TestInit::new(&["x:BTC", "x:ETH"]);
    let s = ImbalanceStrategy::new(config, &mut InitContext::new(&mut registry))?;
    Ok((s, registry.names))
}

/// Trades on the raw top imbalance at once: no smoothing, no warm-up.
const RAW: &str = "signal = \"top\"\nema_alpha = 1.0\nwarmup = 1\nthreshold = 0.5\nexit_band = 0.2";

fn raw() -> ImbalanceStrategy {
    create(RAW).expect("valid config").0
}

/// The stand-in engine, with this strategy's calls.
struct Host(TestHost);

impl std::ops::Deref for Host {
    type Target = TestHost;
    fn deref(&self) -> &TestHost {
        &self.0
    }
}

impl std::ops::DerefMut for Host {
    fn deref_mut(&mut self) -> &mut TestHost {
        &mut self.0
    }
}

impl Host {
    fn new() -> Self {
        Self(TestHost::new(2))
    }

    /// One book update of `BTC`: best bid `bid` (price, lots), best ask `ask`.
    fn book(&mut self, s: &mut ImbalanceStrategy, bid: (i64, i64), ask: (i64, i64)) -> Out {
        self.book_of(s, BTC, BookState::Synced, bid, ask)
    }

    fn book_of(
        &mut self,
        s: &mut ImbalanceStrategy,
        instrument: InstrumentId,
        state: BookState,
        bid: (i64, i64),
        ask: (i64, i64),
    ) -> Out {
        let bids = [lvl(bid.0, bid.1), lvl(bid.0 - 1, 5)];
        let asks = [lvl(ask.0, ask.1), lvl(ask.0 + 1, 5)];
        let view = BookView::new(instrument, &bids, &asks).with_state(state);
        self.call(|ctx| s.on_book(ctx, &view))
    }

    fn update(&mut self, s: &mut ImbalanceStrategy, id: ClientOrderId, status: OrderStatus) -> Out {
        let u = OrderUpdate {
            id,
            instrument: BTC,
            status,
            side: Side::Buy,
            reject_code: 0,
            _reserved: 0,
            price: Price::from_ticks(0),
            qty: Quantity::from_lots(1),
            leaves_qty: Quantity::ZERO,
            ts: UnixNanos::from_nanos(1),
        };
        self.call(|ctx| s.on_order_update(ctx, &u))
    }
}

fn lvl(price: i64, lots: i64) -> Level {
    Level::new(Price::from_ticks(price), Quantity::from_lots(lots))
}

fn new_order(o: &OrderRequest) -> Option<(Side, i64, i64, TimeInForce)> {
    (o.kind == RequestKind::New).then(|| (o.side, o.price.ticks(), o.qty.lots(), o.time_in_force))
}

// ---- config ---------------------------------------------------------------------------------

#[test]
fn empty_config_uses_defaults_and_registers_every_signal_once() {
    let (s, names) = create("  \n").expect("empty config is valid");
    assert_eq!(s.config, Config::default());
    assert_eq!(
        names,
        [
            "top_imbalance",
            "depth_imbalance",
            "ofi",
            "smoothed_imbalance",
            "trade_flow"
        ]
    );
}

#[test]
fn config_toml_and_json_give_the_same_settings() {
    let toml =
        "signal = \"top\"\nlevels = 3\nsmoothing = \"mean\"\nwindow = 7\nofi_convention = \"ccz\"";
    let json = r#" {"signal": "top", "levels": 3, "smoothing": "mean", "window": 7, "ofi_convention": "ccz"}"#;
    let (a, _) = create(toml).expect("toml");
    let (b, _) = create(json).expect("json");
    assert_eq!(a.config, b.config);
    assert_eq!(a.config.levels, 3);
    assert_eq!(
        a.config.ofi_convention(),
        ladder_sdk::signal::OfiConvention::Ccz
    );
}

#[test]
fn config_unknown_key_is_an_error_naming_it() {
    for text in ["treshold = 0.2", r#"{"treshold": 0.2}"#] {
        let err = create(text).expect_err("unknown key").to_string();
        assert!(err.contains("unknown field `treshold`"), "{err}");
        assert!(err.starts_with("imbalance config"), "{err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    }
}

#[test]
fn config_errors_name_the_key_and_line() {
    let err = create("levels = 3\nsignal = \"mid\"")
        .expect_err("bad variant")
        .to_string();
    assert!(err.contains("line 2") && err.contains("`mid`"), "{err}");
    let err = create("threshold = 0.2\nexit_band = 0.3")
        .expect_err("band")
        .to_string();
    assert!(err.contains("`exit_band`"), "{err}");
    let err = create(r#"{"max_position": 0}"#)
        .expect_err("cap")
        .to_string();
    assert!(err.contains("`max_position`"), "{err}");
    let err = create("levels = 0").expect_err("levels").to_string();
    assert!(err.contains("`levels`"), "{err}");
    let err = create("symbol = \"x:DOGE\"")
        .expect_err("symbol")
        .to_string();
    assert!(err.contains("x:DOGE"), "{err}");
}

// ---- signals --------------------------------------------------------------------------------

#[test]
fn signals_match_the_sdk_functions_on_the_running_example() {
    let (mut s, names) = create("levels = 3\ndecay = 0.5").expect("valid");
    let bids = [lvl(10_000, 300), lvl(9_999, 200), lvl(9_998, 500)];
    let asks = [lvl(10_001, 100), lvl(10_002, 400), lvl(10_003, 300)];
    let view = BookView::new(BTC, &bids, &asks);
    let mut host = Host::new();
    let out = host.call(|ctx| s.on_book(ctx, &view));
    let got: Vec<(&str, f64)> = out
        .signals
        .iter()
        .map(|v| (names[v.id.index()].as_str(), v.value))
        .collect();
    assert_eq!(got[0], ("top_imbalance", 0.5));
    assert_eq!(got[1].0, "depth_imbalance");
    assert!((got[1].1 - 1.0 / 6.0).abs() < 1e-15);
    // The first observation has no OFI yet; the smoothed value starts at the raw one.
    assert_eq!(got[2].0, "smoothed_imbalance");
    assert_eq!(got.len(), 3);
    // Bid queue grows by 50 at the same price: e = +50 (CKS).
    let bids = [lvl(10_000, 350), lvl(9_999, 200), lvl(9_998, 500)];
    let view = BookView::new(BTC, &bids, &asks);
    let out = host.call(|ctx| s.on_book(ctx, &view));
    assert_eq!(out.signals[2], SignalValue::new(SignalId::new(2), 50.0));
}

#[test]
fn trade_flow_is_normalised_over_the_trade_window() {
    let (mut s, _) = create("trade_window = 2").expect("valid");
    let mut host = Host::new();
    let trade = |side, lots| TradeEvent {
        instrument: BTC,
        aggressor: side,
        _reserved: [0; 3],
        price: Price::from_ticks(100),
        qty: Quantity::from_lots(lots),
        trade_id: 1,
        ts_exchange: UnixNanos::from_nanos(1),
        ts_recv: UnixNanos::from_nanos(1),
    };
    let mut flow = |side, lots| {
        let t = trade(side, lots);
        host.call(|ctx| s.on_trade(ctx, &t)).signals[0].value
    };
    assert_eq!(flow(Side::Buy, 3), 1.0);
    assert_eq!(flow(Side::Sell, 1), 0.5);
    assert_eq!(flow(Side::Sell, 1), -1.0, "the first buy left the window");
}

// ---- trading rule ---------------------------------------------------------------------------

#[test]
fn imbalance_above_threshold_joins_best_bid_post_only() {
    let mut s = raw();
    let mut host = Host::new();
    // ρ = (9 − 1)/10 = 0.8 > 0.5.
    let out = host.book(&mut s, (100, 9), (101, 1));
    let news: Vec<_> = out.orders.iter().filter_map(new_order).collect();
    assert_eq!(news, [(Side::Buy, 100, 1, TimeInForce::PostOnly)]);
    assert_eq!(out.orders[0].order_type, OrderType::Limit);
    // Same book again: the order is working, nothing new.
    let out = host.book(&mut s, (100, 9), (101, 1));
    assert!(out.orders.is_empty(), "{out:?}");
}

#[test]
fn imbalance_below_minus_threshold_joins_best_ask() {
    let mut s = raw();
    let mut host = Host::new();
    let out = host.book(&mut s, (100, 1), (101, 9));
    let news: Vec<_> = out.orders.iter().filter_map(new_order).collect();
    assert_eq!(news, [(Side::Sell, 101, 1, TimeInForce::PostOnly)]);
}

#[test]
fn gtc_config_places_plain_limit_orders() {
    let (mut s, _) = create(&format!("{RAW}\ntime_in_force = \"gtc\"")).expect("valid");
    let out = Host::new().book(&mut s, (100, 9), (101, 1));
    assert_eq!(out.orders[0].time_in_force, TimeInForce::Gtc);
}

#[test]
fn between_band_and_threshold_holds_but_does_not_enter() {
    let mut s = raw();
    let mut host = Host::new();
    // ρ = 0.3: inside (exit_band, threshold]: no entry.
    let out = host.book(&mut s, (100, 13), (101, 7));
    assert!(out.orders.is_empty(), "{out:?}");
    // Enter at 0.8, then back to 0.3: the order is kept.
    assert_eq!(host.book(&mut s, (100, 9), (101, 1)).orders.len(), 1);
    let out = host.book(&mut s, (100, 13), (101, 7));
    assert!(out.orders.is_empty(), "held: {out:?}");
}

#[test]
fn inside_exit_band_cancels_the_resting_order() {
    let mut s = raw();
    let mut host = Host::new();
    let id = host.book(&mut s, (100, 9), (101, 1)).orders[0].id;
    // ρ = 0.0 ≤ exit_band.
    let out = host.book(&mut s, (100, 5), (101, 5));
    assert_eq!(out.cancels(), [id.get()]);
    assert_eq!(out.orders.len(), 1);
    // The cancel lands: no replacement, the signal no longer wants one.
    let out = host.update(&mut s, id, OrderStatus::Canceled);
    assert!(out.orders.is_empty(), "{out:?}");
}

#[test]
fn best_price_moving_away_requotes_after_the_cancel_lands() {
    let mut s = raw();
    let mut host = Host::new();
    let first = host.book(&mut s, (100, 9), (101, 1)).orders[0].id;
    // The best bid moves up to 101 (ask to 102): cancel first, no second order yet.
    let out = host.book(&mut s, (101, 9), (102, 1));
    assert_eq!(out.cancels(), [first.get()]);
    assert!(
        out.orders.iter().all(|o| o.kind != RequestKind::New),
        "{out:?}"
    );
    // While the cancel is pending, more updates do nothing.
    assert!(host.book(&mut s, (101, 9), (102, 1)).orders.is_empty());
    let out = host.update(&mut s, first, OrderStatus::Canceled);
    let news: Vec<_> = out.orders.iter().filter_map(new_order).collect();
    assert_eq!(news, [(Side::Buy, 101, 1, TimeInForce::PostOnly)]);
    assert_ne!(out.orders[0].id, first);
}

#[test]
fn position_cap_blocks_orders_that_could_exceed_it() {
    let (mut s, _) = create(&format!("{RAW}\nmax_position = 3\norder_qty = 2")).expect("valid");
    let mut host = Host::new();
    host.positions[0] = 2;
    // 2 + 2 > 3: no buy.
    assert!(host.book(&mut s, (100, 9), (101, 1)).orders.is_empty());
    // A sell is fine at the same position: 2 − 2 ≥ −3.
    let out = host.book(&mut s, (100, 1), (101, 9));
    assert_eq!(out.orders.iter().filter_map(new_order).count(), 1);
    assert_eq!(out.orders[0].side, Side::Sell);
    host.positions[0] = 1;
    let (mut s, _) = create(&format!("{RAW}\nmax_position = 3\norder_qty = 2")).expect("valid");
    assert_eq!(
        host.book(&mut s, (100, 9), (101, 1)).orders[0].side,
        Side::Buy
    );
}

#[test]
fn position_reaching_the_cap_cancels_the_working_order() {
    let mut s = raw();
    let mut host = Host::new();
    let id = host.book(&mut s, (100, 9), (101, 1)).orders[0].id;
    host.positions[0] = 5;
    let out = host.book(&mut s, (100, 9), (101, 1));
    assert_eq!(out.cancels(), [id.get()]);
}

#[test]
fn unsynced_book_places_nothing_and_cancels_working_orders() {
    let mut s = raw();
    let mut host = Host::new();
    let out = host.book_of(&mut s, BTC, BookState::Syncing, (100, 9), (101, 1));
    assert!(out.orders.is_empty() && out.signals.is_empty(), "{out:?}");
    let id = host.book(&mut s, (100, 9), (101, 1)).orders[0].id;
    let out = host.book_of(&mut s, BTC, BookState::Stale, (100, 9), (101, 1));
    assert_eq!(out.cancels(), [id.get()]);
    // The cancel lands while stale: no replacement.
    assert!(
        host.update(&mut s, id, OrderStatus::Canceled)
            .orders
            .is_empty()
    );
}

#[test]
fn stale_status_cancels_and_waits_for_warmup_after_resync() {
    let config = RAW.replace("warmup = 1", "warmup = 2");
    let (mut s, _) = create(&config).expect("valid");
    let mut host = Host::new();
    assert!(
        host.book(&mut s, (100, 9), (101, 1)).orders.is_empty(),
        "warming up"
    );
    let id = host.book(&mut s, (100, 9), (101, 1)).orders[0].id;
    let status = StatusEvent {
        instrument: BTC,
        state: BookState::Stale,
        reason_code: 1,
        _reserved: [0; 2],
        ts_recv: UnixNanos::from_nanos(2),
    };
    let out = host.call(|ctx| s.on_status(ctx, &status));
    assert_eq!(out.cancels(), [id.get()]);
    assert!(
        host.update(&mut s, id, OrderStatus::Canceled)
            .orders
            .is_empty()
    );
    assert!(
        host.book(&mut s, (100, 9), (101, 1)).orders.is_empty(),
        "warming up again"
    );
    assert_eq!(host.book(&mut s, (100, 9), (101, 1)).orders.len(), 1);
}

#[test]
fn rejected_order_frees_the_side_for_the_next_book_update() {
    let mut s = raw();
    let mut host = Host::new();
    let id = host.book(&mut s, (100, 9), (101, 1)).orders[0].id;
    let mut u = OrderUpdate {
        id,
        instrument: BTC,
        status: OrderStatus::Rejected,
        side: Side::Buy,
        reject_code: RejectReason::PostOnlyWouldCross as u8,
        _reserved: 0,
        price: Price::from_ticks(100),
        qty: Quantity::from_lots(1),
        leaves_qty: Quantity::ZERO,
        ts: UnixNanos::from_nanos(1),
    };
    assert!(
        host.call(|ctx| s.on_order_update(ctx, &u))
            .orders
            .is_empty()
    );
    let out = host.book(&mut s, (100, 9), (101, 1));
    assert_eq!(out.orders.iter().filter_map(new_order).count(), 1);
    // A cancel the engine refuses for an unknown order frees the side too.
    let id = out.orders[0].id;
    host.book(&mut s, (100, 5), (101, 5));
    u.id = id;
    u.status = OrderStatus::CancelRejected;
    u.reject_code = RejectReason::UnknownOrder as u8;
    assert!(
        host.call(|ctx| s.on_order_update(ctx, &u))
            .orders
            .is_empty()
    );
    assert_eq!(host.book(&mut s, (100, 9), (101, 1)).orders.len(), 1);
}

#[test]
fn other_instruments_are_ignored() {
    let (mut s, _) = create(&format!("{RAW}\nsymbol = \"x:ETH\"")).expect("valid");
    let mut host = Host::new();
    let out = host.book(&mut s, (100, 9), (101, 1));
    assert!(out.orders.is_empty() && out.signals.is_empty(), "{out:?}");
    let out = host.book_of(&mut s, ETH, BookState::Synced, (100, 9), (101, 1));
    assert_eq!(out.orders[0].instrument, ETH);
}

#[test]
fn crossed_book_places_nothing() {
    let mut s = raw();
    let out = Host::new().book(&mut s, (101, 9), (101, 1));
    assert!(out.orders.is_empty(), "locked: {out:?}");
}

// ---- state handoff ----------------------------------------------------------------------------

fn exported(s: &ImbalanceStrategy) -> Vec<u8> {
    let mut buf = Vec::new();
    s.export_state(&mut StateWriter::new(&mut buf));
    buf
}

/// A warm strategy: smoothing state, OFI and trade windows filled, a working bid.
fn warmed(config: &str, host: &mut Host) -> ImbalanceStrategy {
    let mut s = create(config).expect("valid config").0;
    for k in 0..30 {
        host.book(&mut s, (100, 10 + k % 7), (101, 3));
        let trade = TradeEvent {
            instrument: BTC,
            aggressor: if k % 3 == 0 { Side::Sell } else { Side::Buy },
            _reserved: [0; 3],
            price: Price::from_ticks(100),
            qty: Quantity::from_lots(1 + k % 4),
            trade_id: k as u64,
            ts_exchange: UnixNanos::from_nanos(k as u64),
            ts_recv: UnixNanos::from_nanos(k as u64),
        };
        host.call(|ctx| s.on_trade(ctx, &trade));
    }
    s
}

#[test]
fn handoff_import_continues_exactly_like_the_running_instance() {
    for config in ["", "smoothing = \"mean\"\nwindow = 7\nwarmup = 3", RAW] {
        let mut host = Host::new();
        let mut old = warmed(config, &mut host);
        let mut new = create(config).unwrap().0;
        new.import_state(STATE_VERSION, &mut StateReader::new(&exported(&old)))
            .unwrap();
        assert_eq!(exported(&new), exported(&old), "{config}");
        let mut twin = Host(host.0.clone());
        for k in 0..20 {
            let (bid, ask) = ((100, 2 + k % 9), (101, 1 + k % 5));
            let a = host.book(&mut old, bid, ask);
            let b = twin.book(&mut new, bid, ask);
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "{config}: step {k}");
        }
    }
}

#[test]
fn handoff_refuses_another_version_a_resized_window_and_trailing_bytes() {
    let mut host = Host::new();
    let old = warmed("", &mut host);
    let state = exported(&old);
    let mut new = create("").unwrap().0;
    let e = new
        .import_state(STATE_VERSION + 1, &mut StateReader::new(&state))
        .unwrap_err();
    assert!(e.message().contains("version 2"), "{e}");
    let mut resized = create("ofi_window = 10").unwrap().0;
    let e = resized
        .import_state(STATE_VERSION, &mut StateReader::new(&state))
        .unwrap_err();
    assert!(e.message().contains("ofi_window"), "{e}");
    let mut longer = state.clone();
    longer.push(0);
    let e = create("")
        .unwrap()
        .0
        .import_state(STATE_VERSION, &mut StateReader::new(&longer))
        .unwrap_err();
    assert!(e.message().contains("past its end"), "{e}");
    let e = create("")
        .unwrap()
        .0
        .import_state(
            STATE_VERSION,
            &mut StateReader::new(&state[..state.len() / 2]),
        )
        .unwrap_err();
    assert!(e.message().contains("ends early"), "{e}");
}
