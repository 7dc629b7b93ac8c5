//! Rule tests with a hand-built `Context` and `BookView`.

use super::*;
use ladder_sdk::testing::{Output as Out, TestHost, TestInit};
use std::io::Write;

const BTC: InstrumentId = InstrumentId::new(0);

fn create(config: &str) -> Result<(MicropriceStrategy, Vec<String>), StrategyError> {
    let mut registry = TestInit::new(&["x:BTC"]);
    let s = MicropriceStrategy::new(config, &mut InitContext::new(&mut registry))?;
    Ok((s, registry.names))
}

/// A hand-made table, tick 0.1: two buckets split at I = 0.5, G* = ∓0.03 (∓0.3 ticks) for a
/// 1-tick spread.
const TABLE: &str = r#"{"tick": 0.1, "imbalance_edges": [0.0, 0.5, 1.0], "spread_ticks": [1],
    "g_star": [[-0.03, 0.03]]}"#;

fn table_file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(text.as_bytes()).expect("write table");
    f
}

/// A strategy on [`TABLE`] with `extra` config lines; the temp file lives as long as the test.
fn with_table(extra: &str) -> (MicropriceStrategy, tempfile::NamedTempFile) {
    let f = table_file(TABLE);
    let config = format!("table = {:?}\n{extra}", f.path().display().to_string());
    let (s, _) = create(&config).expect("valid config");
    (s, f)
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
        Self(TestHost::new(1))
    }

    fn book_in(
        &mut self,
        s: &mut MicropriceStrategy,
        state: BookState,
        bid: (i64, i64),
        ask: (i64, i64),
    ) -> Out {
        let bids = [lvl(bid.0, bid.1)];
        let asks = [lvl(ask.0, ask.1)];
        let view = BookView::new(BTC, &bids, &asks).with_state(state);
        self.call(|ctx| s.on_book(ctx, &view))
    }

    fn book(&mut self, s: &mut MicropriceStrategy, bid: (i64, i64), ask: (i64, i64)) -> Out {
        self.book_in(s, BookState::Synced, bid, ask)
    }

    fn cancelled(&mut self, s: &mut MicropriceStrategy, id: u64) -> Out {
        let u = OrderUpdate {
            id: ClientOrderId::new(id),
            instrument: BTC,
            status: OrderStatus::Canceled,
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

// ---- config and table -----------------------------------------------------------------------

#[test]
fn empty_config_loads_the_built_in_table_and_registers_signals() {
    let (s, names) = create("").expect("empty config is valid");
    assert_eq!(s.config, Config::default());
    assert_eq!(s.table.tick(), 0.1);
    assert_eq!((s.table.n_buckets(), s.table.n_spreads()), (10, 2));
    assert_eq!(names, ["weighted_mid", "microprice", "reservation"]);
}

#[test]
fn tick_size_different_from_the_table_fails_in_new() {
    let err = create("tick_size = \"0.05\"")
        .expect_err("mismatch")
        .to_string();
    assert!(
        err.contains("`tick_size` 0.05") && err.contains("tick 0.1") && err.contains("(built-in)"),
        "{err}"
    );
    // A tick with its own built-in table (spot BTCUSDT) picks that table.
    let (spot, _) = create("tick_size = \"0.01\"").expect("the spot table matches");
    assert_eq!(spot.table.tick(), 0.01);
    assert!(
        create(r#"{"tick_size": "0.10"}"#).is_ok(),
        "same tick, other spelling"
    );
    let err = create("tick_size = \"-1\"")
        .expect_err("negative")
        .to_string();
    assert!(err.contains("`tick_size`"), "{err}");
}

#[test]
fn config_unknown_key_and_bad_values_name_the_key() {
    for text in ["half_spread = 1.0", r#"{"half_spread": 1.0}"#] {
        let err = create(text).expect_err("unknown key").to_string();
        assert!(err.contains("unknown field `half_spread`"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let err = create("order_qty = 0").expect_err("qty").to_string();
    assert!(err.contains("`order_qty`"), "{err}");
    let err = create("tick_size = 0.1").expect_err("number").to_string();
    assert!(err.contains("line 1") && err.contains("string"), "{err}");
}

#[test]
fn table_errors_name_the_file() {
    let err = create("table = \"/nonexistent/gstar.json\"")
        .expect_err("missing")
        .to_string();
    assert!(err.contains("/nonexistent/gstar.json"), "{err}");
    let f = table_file(&TABLE.replace("[1]", "[2]"));
    let path = f.path().display().to_string();
    let err = create(&format!("table = {path:?}"))
        .expect_err("bad")
        .to_string();
    assert!(err.contains(&path) && err.contains("spread_ticks"), "{err}");
    let f = table_file("{\"tick\": 0.1");
    let err = create(&format!("table = {:?}", f.path().display().to_string()))
        .expect_err("json")
        .to_string();
    assert!(err.contains("not a G* table"), "{err}");
}

// ---- signals and quotes ---------------------------------------------------------------------

#[test]
fn signals_are_prices_in_price_units() {
    let (mut s, _f) = with_table("");
    // I = 0.9: G* = +0.3 ticks; M = 1000.5 ticks.
    let out = Host::new().book(&mut s, (1000, 9), (1001, 1));
    let values: Vec<f64> = out.signals.iter().map(|v| v.value).collect();
    assert_eq!(values.len(), 3);
    assert!((values[0] - 100.09).abs() < 1e-9, "weighted mid {values:?}");
    assert!((values[1] - 100.08).abs() < 1e-9, "micro-price {values:?}");
    assert!(
        (values[2] - 100.08).abs() < 1e-9,
        "flat: reservation = micro-price"
    );
}

#[test]
fn quotes_both_sides_around_the_microprice() {
    let (mut s, _f) = with_table("");
    // r = 1000.8: bid floor(1000.3) = 1000, ask ceil(1001.3) = 1002.
    let out = Host::new().book(&mut s, (1000, 9), (1001, 1));
    assert_eq!(out.news(), [(Side::Buy, 1000), (Side::Sell, 1002)]);
    assert!(
        out.orders
            .iter()
            .all(|o| o.time_in_force == TimeInForce::PostOnly)
    );
    assert!(out.orders.iter().all(|o| o.qty == Quantity::from_lots(1)));
    // I = 0.1: r = 1000.2 → bid 999, ask 1001.
    let (mut s, _f) = with_table("");
    let out = Host::new().book(&mut s, (1000, 1), (1001, 9));
    assert_eq!(out.news(), [(Side::Buy, 999), (Side::Sell, 1001)]);
}

#[test]
fn long_position_skews_both_quotes_down() {
    let (mut s, _f) = with_table("skew_ticks_per_lot = 0.5");
    let mut host = Host::new();
    host.positions[0] = 2;
    // r = 1000.8 − 1.0 = 999.8: bid 999, ask ceil(1000.3) = 1001.
    let out = host.book(&mut s, (1000, 9), (1001, 1));
    assert_eq!(out.news(), [(Side::Buy, 999), (Side::Sell, 1001)]);
    assert!((out.signals[2].value - 99.98).abs() < 1e-9);
}

#[test]
fn quotes_never_cross_the_book() {
    let (mut s, _f) = with_table("skew_ticks_per_lot = 1.0\nhalf_spread_ticks = 0.0");
    let mut host = Host::new();
    host.positions[0] = -4;
    // r = 1004.8: the bid would be 1004, above the best ask: held at 1000.
    let out = host.book(&mut s, (1000, 9), (1001, 1));
    assert_eq!(out.news(), [(Side::Buy, 1000), (Side::Sell, 1005)]);
}

#[test]
fn desired_price_change_cancels_then_replaces() {
    let (mut s, _f) = with_table("");
    let mut host = Host::new();
    let first = host.book(&mut s, (1000, 9), (1001, 1));
    let (bid_id, ask_id) = (first.orders[0].id.get(), first.orders[1].id.get());
    // Same book: nothing to do.
    assert!(host.book(&mut s, (1000, 9), (1001, 1)).orders.is_empty());
    // I = 0.1: bid 999 and ask 1001 now: both cancelled, nothing placed yet.
    let out = host.book(&mut s, (1000, 1), (1001, 9));
    assert_eq!(out.cancels(), [bid_id, ask_id]);
    assert!(out.news().is_empty());
    assert!(
        host.book(&mut s, (1000, 1), (1001, 9)).orders.is_empty(),
        "cancels pending"
    );
    assert_eq!(host.cancelled(&mut s, bid_id).news(), [(Side::Buy, 999)]);
    assert_eq!(host.cancelled(&mut s, ask_id).news(), [(Side::Sell, 1001)]);
}

#[test]
fn position_cap_stops_the_side_that_would_exceed_it() {
    let (mut s, _f) = with_table("max_position = 3\nskew_ticks_per_lot = 0.0");
    let mut host = Host::new();
    host.positions[0] = 3;
    let out = host.book(&mut s, (1000, 9), (1001, 1));
    assert_eq!(out.news(), [(Side::Sell, 1002)]);
    host.positions[0] = -3;
    let out = host.book(&mut s, (1000, 9), (1001, 1));
    // The ask is cancelled (a sell could reach −4); the bid is placed.
    assert_eq!(out.cancels().len(), 1);
    assert_eq!(out.news(), [(Side::Buy, 1000)]);
}

#[test]
fn unsynced_book_pulls_quotes_and_places_none() {
    let (mut s, _f) = with_table("");
    let mut host = Host::new();
    let out = host.book_in(&mut s, BookState::Resyncing, (1000, 9), (1001, 1));
    assert!(out.orders.is_empty() && out.signals.is_empty(), "{out:?}");
    let ids: Vec<u64> = host
        .book(&mut s, (1000, 9), (1001, 1))
        .orders
        .iter()
        .map(|o| o.id.get())
        .collect();
    let status = StatusEvent {
        instrument: BTC,
        state: BookState::Stale,
        reason_code: 4,
        _reserved: [0; 2],
        ts_recv: UnixNanos::from_nanos(3),
    };
    let out = host.call(|ctx| s.on_status(ctx, &status));
    assert_eq!(out.cancels(), ids);
    for id in ids {
        assert!(
            host.cancelled(&mut s, id).orders.is_empty(),
            "no replacement while stale"
        );
    }
    assert_eq!(
        host.book(&mut s, (1000, 9), (1001, 1)).news().len(),
        2,
        "resynced"
    );
}

#[test]
fn spread_wider_than_the_table_follows_the_fallback() {
    let (mut s, _f) = with_table("");
    let out = Host::new().book(&mut s, (1000, 9), (1003, 1));
    assert!(out.orders.is_empty(), "fallback none: {out:?}");
    assert_eq!(out.signals.len(), 1, "only the weighted mid");
    let (mut s, _f) = with_table("fallback = \"mid\"");
    // M = 1001.5: bid 1001, ask 1002.
    let out = Host::new().book(&mut s, (1000, 9), (1003, 1));
    assert_eq!(out.news(), [(Side::Buy, 1001), (Side::Sell, 1002)]);
}

// ---- state handoff ----------------------------------------------------------------------------

#[test]
fn handoff_keeps_the_working_quotes_so_the_new_build_does_not_requote() {
    let (mut old, _f) = with_table("");
    let mut host = Host::new();
    let first = host.book(&mut old, (1000, 10), (1001, 10));
    assert!(!first.news().is_empty(), "the running instance quotes");
    let mut state = Vec::new();
    old.export_state(&mut StateWriter::new(&mut state));
    let (mut new, _g) = with_table("");
    new.import_state(STATE_VERSION, &mut StateReader::new(&state))
        .expect("same build imports its state");
    // The same book again: the handed-over quotes are already where they should be.
    let mut twin = Host(host.0.clone());
    let a = host.book(&mut old, (1000, 10), (1001, 10));
    let b = twin.book(&mut new, (1000, 10), (1001, 10));
    assert!(
        b.orders.is_empty(),
        "re-quoted after the handoff: {:?}",
        b.orders
    );
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    // A fresh instance instead would quote again (the adopted orders would be doubled).
    let (mut fresh, _h) = with_table("");
    assert!(
        !Host::new()
            .book(&mut fresh, (1000, 10), (1001, 10))
            .news()
            .is_empty()
    );
    let e = with_table("")
        .0
        .import_state(STATE_VERSION + 1, &mut StateReader::new(&state))
        .unwrap_err();
    assert!(e.message().contains("version"), "{e}");
}
