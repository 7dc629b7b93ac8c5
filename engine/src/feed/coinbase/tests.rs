//! Decoder and books tests: frames written from the documented formats (the peer traps of
//! `docs/venues.md` §12 among them), the connection-wide `sequence_num`, the `-USDC` mapping,
//! and bad input (one clear error each, never a panic). The real recordings are in
//! `vector_tests.rs`.

use super::*;
use crate::feed::Venue;
use crate::feed::books::{FeedBooks, Frame, FrameKind};
use crate::feed::integrity::IntegrityFault;
use crate::instrument::Registry;
use ladder_sdk::{BookState, InstrumentId, InstrumentSpec, MarketEvent, Side, UnixNanos};
use rstest::rstest;

/// A registry of `venue` instruments with the given `(product, tick, lot)`.
pub(super) fn registry(venue: Venue, insts: &[(&str, &str, &str)]) -> Registry {
    let mut r = Registry::new();
    for (sym, tick, lot) in insts {
        let spec = InstrumentSpec::new(tick.parse().unwrap(), lot.parse().unwrap()).unwrap();
        r.add(venue, sym, spec).unwrap();
    }
    r
}

/// A cryptofeed `*.ws.*` recording as ladder capture lines: received lines (`<unix_ts>: <json>`)
/// only, the fractional seconds turned into exact nanoseconds.
pub(super) fn legacy_capture(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter_map(|line| {
            let (ts, frame) = line.split_once(": ")?;
            let (secs, frac) = ts.split_once('.')?;
            if !secs.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
                return None;
            }
            let frac: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
            let ns = secs.parse::<u64>().ok()? * 1_000_000_000 + frac.parse::<u64>().ok()?;
            Some(format!("{ns} {frame}"))
        })
        .collect()
}

/// BTC-USD and ETH-USD on Advanced Trade (tick 0.01, lot 0.00000001).
pub(super) fn two() -> Registry {
    registry(
        Venue::Coinbase,
        &[
            ("BTC-USD", "0.01", "0.00000001"),
            ("ETH-USD", "0.01", "0.00000001"),
        ],
    )
}

/// An `l2_data` frame: `levels` are `(side, price, quantity)` as sent.
pub(super) fn l2(seq: u64, kind: &str, product: &str, levels: &[(&str, &str, &str)]) -> String {
    let updates: Vec<String> = levels
        .iter()
        .map(|(side, px, q)| {
            format!(
                r#"{{"side":"{side}","event_time":"2026-08-09T21:05:48.170326Z","price_level":"{px}","new_quantity":"{q}"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"channel":"l2_data","timestamp":"2026-08-09T21:05:48.483587501Z","sequence_num":{seq},"events":[{{"type":"{kind}","product_id":"{product}","updates":[{}]}}]}}"#,
        updates.join(",")
    )
}

/// A `heartbeats` frame.
pub(super) fn heartbeat(seq: u64) -> String {
    format!(
        r#"{{"channel":"heartbeats","timestamp":"2026-08-09T21:05:48.856364007Z","sequence_num":{seq},"events":[{{"current_time":"2026-08-09 21:05:48.854840045 +0000 UTC m=+41691.260485341","heartbeat_counter":41691}}]}}"#
    )
}

fn on(books: &mut Books, r: &Registry, frame: &str, events: &mut Vec<MarketEvent>) -> Frame {
    books
        .on_frame(r, UnixNanos::from_nanos(7), frame.as_bytes(), &mut |e| {
            events.push(e)
        })
        .unwrap_or_else(|e| panic!("{e}: {frame}"))
}

fn id(r: &Registry, venue: Venue, product: &str) -> InstrumentId {
    r.lookup(venue, product.as_bytes()).unwrap().id
}

fn top(books: &Books, r: &Registry, i: InstrumentId) -> (String, String) {
    let v = books.view(i).unwrap();
    let spec = &r.get(i).spec;
    (
        v.book
            .best_bid()
            .map_or("-".into(), |l| spec.format_price(l.price)),
        v.book
            .best_ask()
            .map_or("-".into(), |l| spec.format_price(l.price)),
    )
}

#[test]
fn snapshot_offer_levels_land_in_the_asks() {
    let r = two();
    let mut books = Books::new(Venue::Coinbase, &r);
    let mut ev = Vec::new();
    let snap = l2(
        0,
        "snapshot",
        "BTC-USD",
        &[
            ("bid", "65083.66", "0.2"),
            ("offer", "65083.67", "0.3"),
            ("offer", "65090", "1"),
            ("bid", "65000", "2"),
        ],
    );
    let f = on(&mut books, &r, &snap, &mut ev);
    assert_eq!(f.kind, FrameKind::Snapshot);
    let btc = id(&r, Venue::Coinbase, "BTC-USD");
    let v = books.view(btc).unwrap();
    assert_eq!(v.state, BookState::Synced);
    assert_eq!((v.book.len(Side::Buy), v.book.len(Side::Sell)), (2, 2));
    assert_eq!(top(&books, &r, btc), ("65083.66".into(), "65083.67".into()));
    let asks = ev
        .iter()
        .filter(|e| matches!(e, MarketEvent::BookDelta(d) if d.side == Side::Sell))
        .count();
    assert_eq!(asks, 2, "both offer levels are emitted as asks");
}

#[test]
fn update_sets_absolute_sizes_and_zero_removes() {
    let r = two();
    let mut books = Books::new(Venue::Coinbase, &r);
    let mut ev = Vec::new();
    let btc = id(&r, Venue::Coinbase, "BTC-USD");
    on(
        &mut books,
        &r,
        &l2(
            0,
            "snapshot",
            "BTC-USD",
            &[("bid", "100", "1"), ("offer", "101", "1")],
        ),
        &mut ev,
    );
    let f = on(
        &mut books,
        &r,
        &l2(
            1,
            "update",
            "BTC-USD",
            &[
                ("bid", "100", "0"),
                ("bid", "99.5", "3"),
                ("offer", "101", "0.5"),
            ],
        ),
        &mut ev,
    );
    assert_eq!((f.kind, f.fault), (FrameKind::Depth, None));
    let v = books.view(btc).unwrap();
    assert_eq!(v.last_update_id, Some(1));
    assert_eq!(top(&books, &r, btc), ("99.5".into(), "101".into()));
    let spec = &r.get(btc).spec;
    let ask = v.book.best_ask().unwrap();
    assert_eq!(spec.format_qty(ask.qty), "0.5");
    assert_eq!(v.stats.applied, 1);
}

#[test]
fn skipped_sequence_num_makes_every_book_stale_until_its_own_snapshot() {
    let r = two();
    let (btc, eth) = (
        id(&r, Venue::Coinbase, "BTC-USD"),
        id(&r, Venue::Coinbase, "ETH-USD"),
    );
    let mut books = Books::new(Venue::Coinbase, &r);
    let mut ev = Vec::new();
    let snap = |seq, p: &str| {
        l2(
            seq,
            "snapshot",
            p,
            &[("bid", "10", "1"), ("offer", "11", "1")],
        )
    };
    on(&mut books, &r, &snap(0, "BTC-USD"), &mut ev);
    on(&mut books, &r, &snap(1, "ETH-USD"), &mut ev);
    on(&mut books, &r, &heartbeat(2), &mut ev);
    // 3 is lost: a heartbeat (4) shows it.
    let f = on(&mut books, &r, &heartbeat(4), &mut ev);
    assert_eq!(
        f.instrument, None,
        "a fault of the connection, not of one book"
    );
    assert_eq!(
        f.fault.map(|x| x.kind),
        Some(IntegrityFault::SequenceGap {
            expected: 3,
            got: 4
        })
    );
    for i in [btc, eth] {
        let v = books.view(i).unwrap();
        assert_eq!(v.state, BookState::Stale);
        assert_eq!((v.stats.gaps, v.stats.faults.sequence_gap), (1, 1));
        assert!(books.needs_snapshot(i));
    }
    // Updates are dropped until the snapshot; BTC's snapshot syncs BTC only.
    let f = on(
        &mut books,
        &r,
        &l2(5, "update", "BTC-USD", &[("bid", "10", "2")]),
        &mut ev,
    );
    assert_eq!(f.fault, None);
    assert_eq!(books.view(btc).unwrap().stats.discarded, 1);
    on(&mut books, &r, &snap(6, "BTC-USD"), &mut ev);
    assert_eq!(books.view(btc).unwrap().state, BookState::Synced);
    assert_eq!(books.view(eth).unwrap().state, BookState::Stale);
}

#[test]
fn sequence_num_going_back_is_a_connection_fault_and_restart_starts_the_count_afresh() {
    let r = two();
    let mut books = Books::new(Venue::Coinbase, &r);
    let mut ev = Vec::new();
    on(&mut books, &r, &heartbeat(7), &mut ev);
    let f = on(&mut books, &r, &heartbeat(0), &mut ev);
    assert_eq!(
        f.fault.map(|x| x.kind),
        Some(IntegrityFault::IdsBackward { last: 7, got: 0 })
    );
    for &i in books.instruments().to_vec().iter() {
        books.restart(i);
    }
    let f = on(&mut books, &r, &heartbeat(0), &mut ev);
    assert_eq!(
        f.fault, None,
        "a new connection counts from its first frame"
    );
    assert_eq!(books.last_sequence(), Some(0));
}

#[test]
fn gap_frame_holding_a_snapshot_resyncs_that_book_and_leaves_the_others_stale() {
    let r = two();
    let (btc, eth) = (
        id(&r, Venue::Coinbase, "BTC-USD"),
        id(&r, Venue::Coinbase, "ETH-USD"),
    );
    let mut books = Books::new(Venue::Coinbase, &r);
    let mut ev = Vec::new();
    let snap = |seq, p: &str| {
        l2(
            seq,
            "snapshot",
            p,
            &[("bid", "10", "1"), ("offer", "11", "1")],
        )
    };
    on(&mut books, &r, &snap(0, "BTC-USD"), &mut ev);
    on(&mut books, &r, &snap(1, "ETH-USD"), &mut ev);
    let f = on(&mut books, &r, &snap(9, "BTC-USD"), &mut ev);
    assert_eq!((f.kind, f.instrument), (FrameKind::Snapshot, None));
    assert!(f.fault.is_some());
    assert_eq!(books.view(btc).unwrap().state, BookState::Synced);
    assert_eq!(books.view(eth).unwrap().state, BookState::Stale);
}

#[test]
fn unknown_channel_in_sequence_moves_the_count_but_a_bad_book_frame_does_not() {
    let r = two();
    let mut books = Books::new(Venue::Coinbase, &r);
    let mut ev = Vec::new();
    on(
        &mut books,
        &r,
        &l2(
            0,
            "snapshot",
            "BTC-USD",
            &[("bid", "10", "1"), ("offer", "11", "1")],
        ),
        &mut ev,
    );
    let unknown = r#"{"channel":"level3","sequence_num":1,"events":[]}"#;
    assert!(
        books
            .on_frame(&r, UnixNanos::ZERO, unknown.as_bytes(), &mut |_| {})
            .is_err()
    );
    assert_eq!(on(&mut books, &r, &heartbeat(2), &mut ev).fault, None);
    // An update BTC cannot take (off the grid): BTC lost it, so the next frame is a gap.
    let bad = l2(3, "update", "BTC-USD", &[("bid", "10.001", "1")]);
    let e = books
        .on_frame(&r, UnixNanos::ZERO, bad.as_bytes(), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"BTC-USD\" price_level"), "{e}");
    let f = on(&mut books, &r, &heartbeat(4), &mut ev);
    assert!(f.fault.is_some());
    let btc = id(&r, Venue::Coinbase, "BTC-USD");
    assert_eq!(books.view(btc).unwrap().state, BookState::Stale);
}

#[test]
fn crossed_book_after_an_update_is_a_fault_of_that_book_only() {
    let r = two();
    let mut books = Books::new(Venue::Coinbase, &r);
    let mut ev = Vec::new();
    for (seq, p) in [(0, "BTC-USD"), (1, "ETH-USD")] {
        on(
            &mut books,
            &r,
            &l2(
                seq,
                "snapshot",
                p,
                &[("bid", "10", "1"), ("offer", "11", "1")],
            ),
            &mut ev,
        );
    }
    let f = on(
        &mut books,
        &r,
        &l2(2, "update", "BTC-USD", &[("bid", "11.5", "1")]),
        &mut ev,
    );
    let btc = id(&r, Venue::Coinbase, "BTC-USD");
    assert_eq!(f.instrument, Some(btc));
    assert_eq!(
        f.fault.map(|x| x.kind),
        Some(IntegrityFault::Crossed {
            bid: 1150,
            ask: 1100
        })
    );
    assert_eq!(books.view(btc).unwrap().state, BookState::Stale);
    let eth = id(&r, Venue::Coinbase, "ETH-USD");
    assert_eq!(books.view(eth).unwrap().state, BookState::Synced);
}

#[test]
fn usdc_product_is_built_from_the_usd_book_the_venue_serves_it_as() {
    let r = registry(Venue::Coinbase, &[("BTC-USDC", "0.01", "0.00000001")]);
    let usdc = id(&r, Venue::Coinbase, "BTC-USDC");
    let mut books = Books::new(Venue::Coinbase, &r);
    let mut ev = Vec::new();
    let f = on(
        &mut books,
        &r,
        &l2(
            0,
            "snapshot",
            "BTC-USD",
            &[("bid", "10", "1"), ("offer", "11", "1")],
        ),
        &mut ev,
    );
    assert_eq!(f.instrument, Some(usdc));
    assert_eq!(books.view(usdc).unwrap().state, BookState::Synced);
    // Without a `-USDC` twin a `-USD` product is unknown.
    let e = books
        .on_frame(
            &r,
            UnixNanos::ZERO,
            l2(1, "update", "ETH-USD", &[]).as_bytes(),
            &mut |_| {},
        )
        .unwrap_err();
    assert!(e.to_string().contains("unknown product \"ETH-USD\""), "{e}");
}

#[test]
fn market_trades_updates_are_emitted_with_the_taker_side_and_snapshots_are_not() {
    let r = two();
    let mut books = Books::new(Venue::Coinbase, &r);
    let mut ev = Vec::new();
    let trades = |seq, kind: &str| {
        format!(
            r#"{{"channel":"market_trades","timestamp":"2026-08-09T21:05:48.251397169Z","sequence_num":{seq},"events":[{{"type":"{kind}","trades":[{{"product_id":"BTC-USD","trade_id":"1068572091","price":"65083.67","size":"0.01034361","time":"2026-08-09T21:05:48.167634Z","side":"SELL"}},{{"side":"BUY","product_id":"ETH-USD","trade_id":"9","price":"1919.28","size":"1","time":"2026-08-09T21:05:48.1Z"}}]}}]}}"#
        )
    };
    let f = on(&mut books, &r, &trades(0, "snapshot"), &mut ev);
    assert_eq!(f.kind, FrameKind::Ignored);
    assert!(ev.is_empty(), "trades from before the subscription");
    let f = on(&mut books, &r, &trades(1, "update"), &mut ev);
    assert_eq!(f.kind, FrameKind::Trade);
    let t: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            MarketEvent::Trade(t) => Some(*t),
            _ => None,
        })
        .collect();
    assert_eq!(t.len(), 2);
    // `side` is the maker's: a SELL maker means a buying taker.
    assert_eq!((t[0].aggressor, t[1].aggressor), (Side::Buy, Side::Sell));
    assert_eq!(t[0].trade_id, 1_068_572_091);
    assert_eq!(t[0].ts_exchange.as_nanos(), 1_786_309_548_167_634_000);
    assert_eq!(t[1].instrument, id(&r, Venue::Coinbase, "ETH-USD"));
}

#[rstest]
#[case::truncated_json(
    r#"{"channel":"l2_data","sequence_num":1,"events":[{"type":"upd"#,
    "malformed frame"
)]
#[case::another_venues_frame(
    r#"{"stream":"btcusdt@depth","data":{"e":"depthUpdate","U":1}}"#,
    "not a coinbase market-data message"
)]
#[case::unknown_channel(
    r#"{"channel":"level3","sequence_num":1,"events":[]}"#,
    "unknown coinbase channel \"level3\""
)]
#[case::unknown_product(&l2(1, "update", "DOGE-USD", &[("bid", "1", "1")]), "unknown product \"DOGE-USD\"")]
#[case::off_grid_price(&l2(1, "update", "BTC-USD", &[("bid", "65083.661", "1")]), "\"BTC-USD\" price_level: value 65083.661 is off the grid of 0.01")]
#[case::off_grid_quantity(&l2(1, "update", "BTC-USD", &[("offer", "65083.66", "0.000000001")]), "\"BTC-USD\" new_quantity: value 0.000000001 is off the grid")]
#[case::zero_price(&l2(1, "update", "BTC-USD", &[("bid", "0", "1")]), "\"BTC-USD\" price_level")]
#[case::negative_quantity(&l2(1, "update", "BTC-USD", &[("bid", "1", "-1")]), "\"BTC-USD\" new_quantity")]
#[case::price_above_limit(&l2(1, "update", "BTC-USD", &[("bid", "10000000000000", "1")]), "\"BTC-USD\" price_level")]
#[case::ask_is_not_a_side(&l2(1, "snapshot", "BTC-USD", &[("ask", "1", "1")]), "side other than bid or offer")]
#[case::unknown_event_type(&l2(1, "delta", "BTC-USD", &[]), "coinbase type \"delta\" is not valid")]
#[case::two_products(r#"{"channel":"l2_data","sequence_num":1,"events":[{"type":"update","product_id":"BTC-USD","updates":[]},{"type":"update","product_id":"ETH-USD","updates":[]}]}"#, "events of two products (\"BTC-USD\" and \"ETH-USD\")")]
#[case::bad_timestamp(
    r#"{"channel":"l2_data","timestamp":"yesterday","sequence_num":1,"events":[]}"#,
    "coinbase timestamp \"yesterday\" is not valid"
)]
#[case::error_reply(
    r#"{"type":"error","message":"failure to subscribe"}"#,
    "coinbase replied with an error: \"failure to subscribe\""
)]
#[case::no_events(
    r#"{"channel":"l2_data","sequence_num":1}"#,
    "without its \"events\" field"
)]
#[case::trade_without_price(r#"{"channel":"market_trades","events":[{"type":"update","trades":[{"product_id":"BTC-USD","trade_id":"1","size":"1","side":"BUY"}]}]}"#, "market_trades message without its \"price\" field")]
fn bad_frame_is_one_clear_error(#[case] frame: &str, #[case] message: &str) {
    let r = two();
    let mut books = Books::new(Venue::Coinbase, &r);
    let e = books
        .on_frame(&r, UnixNanos::ZERO, frame.as_bytes(), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains(message), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
}

#[rstest]
#[case::unknown_type(
    r#"{"type":"l3update","product_id":"BAND-GBP"}"#,
    "unknown coinbase channel \"l3update\""
)]
#[case::error_reply(
    r#"{"type":"error","message":"Failed to subscribe","reason":"level2 requires authentication"}"#,
    "coinbase replied with an error: \"level2 requires authentication\""
)]
#[case::advanced_trade_frame(
    r#"{"channel":"l2_data","sequence_num":1,"events":[]}"#,
    "not a coinbase-exchange market-data message"
)]
#[case::off_grid(r#"{"type":"l2update","product_id":"BAND-GBP","changes":[["buy","14.73105","1"]],"time":"2021-04-17T16:43:37.161Z"}"#, "\"BAND-GBP\" price_level: value 14.73105 is off the grid")]
fn bad_legacy_frame_is_one_clear_error(#[case] frame: &str, #[case] message: &str) {
    let r = registry(Venue::CoinbaseExchange, &[("BAND-GBP", "0.0001", "0.01")]);
    let mut books = Books::new(Venue::CoinbaseExchange, &r);
    let e = books
        .on_frame(&r, UnixNanos::ZERO, frame.as_bytes(), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains(message), "{e}");
}

#[test]
fn legacy_snapshot_and_l2update_build_the_book_and_match_is_a_trade() {
    let r = registry(Venue::CoinbaseExchange, &[("BAND-GBP", "0.0001", "0.01")]);
    let band = id(&r, Venue::CoinbaseExchange, "BAND-GBP");
    let mut books = Books::new(Venue::CoinbaseExchange, &r);
    let mut ev = Vec::new();
    let f = on(
        &mut books,
        &r,
        r#"{"type":"snapshot","product_id":"BAND-GBP","asks":[["14.8024","12.77"],["14.8069","12.49"]],"bids":[["14.7366","27.57"]]}"#,
        &mut ev,
    );
    assert_eq!((f.kind, f.instrument), (FrameKind::Snapshot, Some(band)));
    on(
        &mut books,
        &r,
        r#"{"type":"l2update","product_id":"BAND-GBP","changes":[["sell","14.8024","0.00"],["buy","14.7400","1.5"]],"time":"2021-04-17T16:43:37.161Z"}"#,
        &mut ev,
    );
    assert_eq!(top(&books, &r, band), ("14.74".into(), "14.8069".into()));
    let v = books.view(band).unwrap();
    assert_eq!((v.state, v.last_update_id), (BookState::Synced, None));
    ev.clear();
    let f = on(
        &mut books,
        &r,
        r#"{"type":"match","trade_id":1517,"maker_order_id":"a","taker_order_id":"b","side":"sell","size":"0.10","price":"14.7900","product_id":"BAND-GBP","sequence":5,"time":"2021-04-17T16:43:37.1Z"}"#,
        &mut ev,
    );
    assert_eq!(f.kind, FrameKind::Trade);
    assert!(
        matches!(ev[..], [MarketEvent::Trade(t)] if t.aggressor == Side::Buy && t.trade_id == 1517)
    );
    let f = on(
        &mut books,
        &r,
        r#"{"type":"last_match","trade_id":1516,"side":"buy","size":"1","price":"14.79","product_id":"BAND-GBP","time":"2021-04-17T16:43:36Z"}"#,
        &mut ev,
    );
    assert_eq!(f.kind, FrameKind::Ignored);
}

#[rstest]
#[case::advanced_trade_book(l2(0, "update", "BTC-USD", &[]), Some(Venue::Coinbase))]
#[case::advanced_trade_heartbeat(heartbeat(3), Some(Venue::Coinbase))]
#[case::legacy_l2update(r#"{"type":"l2update","product_id":"BTC-USD","changes":[],"time":"2019-08-14T20:42:27.265Z"}"#.to_owned(), Some(Venue::CoinbaseExchange))]
#[case::legacy_match(r#"{"type":"match","trade_id":1,"side":"buy","size":"1","price":"1","product_id":"BTC-USD"}"#.to_owned(), Some(Venue::CoinbaseExchange))]
#[case::legacy_subscriptions(r#"{"type":"subscriptions","channels":[]}"#.to_owned(), None)]
#[case::bybit_snapshot(r#"{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1,"data":{"s":"BTCUSDT","b":[],"a":[],"u":1}}"#.to_owned(), Some(Venue::BybitLinear))]
#[case::kraken_book(r#"{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[],"asks":[]}]}"#.to_owned(), Some(Venue::Kraken))]
fn sniff_tells_advanced_trade_from_the_legacy_feed(
    #[case] frame: String,
    #[case] venue: Option<Venue>,
) {
    assert_eq!(Venue::sniff(frame.as_bytes()), venue);
}

#[test]
fn probe_reads_book_and_first_product_trade_values() {
    let mut p = probe::Probe::new(Venue::Coinbase);
    let f = l2(
        0,
        "snapshot",
        "BTC-USD",
        &[("bid", "1.5", "2"), ("offer", "1.6", "3")],
    );
    assert_eq!(p.read(f.as_bytes()), Some(Some(&b"BTC-USD"[..])));
    assert_eq!(p.values().len(), 2);
    let t = r#"{"channel":"market_trades","events":[{"type":"update","trades":[{"product_id":"ETH-USD","price":"1.5","size":"2"},{"product_id":"BTC-USD","price":"9","size":"1"}]}]}"#;
    assert_eq!(p.read(t.as_bytes()), Some(Some(&b"ETH-USD"[..])));
    assert_eq!(p.values().len(), 1, "only the first product's trades");
    assert_eq!(p.read(heartbeat(1).as_bytes()), None);
}
