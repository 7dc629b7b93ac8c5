//! Decoder, books and venue-recognition tests on real Bybit messages (`shared/vectors/bybit`,
//! copied here line for line) and hand-made edge cases. The sequencer's are in `sync_tests.rs`
//! and `sync_props.rs`, the recordings end to end in `vector_tests.rs`.

use super::probe::{Probe, sniff};
use super::sync_tests::lvl;
use super::*;
use crate::feed::Venue;
use crate::feed::books::{FeedBooks, Frame, FrameError, FrameKind};
use crate::feed::integrity::IntegrityFault;
use crate::instrument::Registry;
use ladder_sdk::{BookState, InstrumentSpec, MarketEvent, Side, UnixNanos};
use rstest::rstest;
use rust_decimal::Decimal;
use std::str::FromStr;

pub(super) fn registry(venue: Venue, symbols: &[(&str, &str, &str)]) -> Registry {
    let mut r = Registry::new();
    for (symbol, tick, lot) in symbols {
        let spec = InstrumentSpec::new(
            Decimal::from_str(tick).unwrap(),
            Decimal::from_str(lot).unwrap(),
        )
        .unwrap();
        r.add(venue, symbol, spec).unwrap();
    }
    r
}

fn spot() -> Registry {
    registry(
        Venue::BybitSpot,
        &[
            ("BTCUSDT", "0.1", "0.000001"),
            ("ETHUSDT", "0.01", "0.00001"),
        ],
    )
}

// Real frames: the spot orderbook.200 capture of 2026-08-09 (line 6), the linear orderbook.1
// capture of 2025-06-13 (line 11), a spot trade of the 2026 capture, the docs' linear trade.
const SPOT_DELTA: &str = r#"{"topic":"orderbook.200.BTCUSDT","ts":1786310816618,"type":"delta","data":{"s":"BTCUSDT","b":[["65140.4","0.875077"]],"a":[["65154.6","0.09948"],["65154.7","0.123013"],["65239","0.155135"],["65239.1","0"]],"u":62505425,"seq":112488545865},"cts":1786310816585}"#;
const LINEAR_OB1: &str = r#"{"topic":"orderbook.1.SNTUSDT","type":"snapshot","ts":1749833478143,"data":{"s":"SNTUSDT","b":[["0.02868","1730"]],"a":[["0.02870","3420"]],"u":12509456,"seq":205781292396},"cts":1749833478140}"#;
const SPOT_TRADE: &str = r#"{"topic":"publicTrade.ETHUSDT","ts":1786310821917,"type":"snapshot","data":[{"i":"2280000001739247417","T":1786310821917,"p":"1923.28","v":"0.04537","S":"Sell","seq":178477362706,"s":"ETHUSDT","BT":false,"RPI":false}]}"#;
const LINEAR_TRADE: &str = r#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,"data":[{"T":1672304486865,"s":"BTCUSDT","S":"Buy","v":"0.001","p":"16578.50","L":"PlusTick","i":"20f43950-d8dd-5b31-9112-a178eb6023af","BT":false,"RPI":false,"seq":1783284617},{"T":1672304486866,"s":"BTCUSDT","S":"Sell","v":"2.5","p":"16578.00","L":"ZeroMinusTick","i":"1b0a4d7e-0000-5b31-9112-a178eb6023af","BT":true,"RPI":false,"seq":1783284617}]}"#;
const SPOT_ACK: &str = r#"{"success":true,"ret_msg":"subscribe","conn_id":"d9avt8shteepr00gfc1g-4zd1x","op":"subscribe"}"#;
const LINEAR_ACK: &str = r#"{"success":true,"ret_msg":"","conn_id":"a38867ec-70b5-4044-a765-54b36bdd6fd9","req_id":"","op":"subscribe"}"#;

#[test]
fn decode_spot_delta_to_ticks_and_lots_with_seq_and_cts() {
    let mut d = Decoder::new(Venue::BybitSpot);
    let got = d
        .decode(SPOT_DELTA.as_bytes(), UnixNanos::from_nanos(7), &spot())
        .unwrap();
    let Decoded::Book(h) = got else {
        panic!("{got:?}")
    };
    assert_eq!(
        (h.depth, h.snapshot, h.update_id, h.seq),
        (200, false, 62_505_425, Some(112_488_545_865))
    );
    // `cts`, the matching-engine time, not `ts`.
    assert_eq!(h.ts_exchange, UnixNanos::from_millis(1_786_310_816_585));
    assert_eq!(h.ts_recv.as_nanos(), 7);
    assert_eq!(d.bids(), &[lvl(651_404, 875_077)]);
    assert_eq!(
        d.asks(),
        &[
            lvl(651_546, 99_480),
            lvl(651_547, 123_013),
            lvl(652_390, 155_135),
            lvl(652_391, 0)
        ]
    );
}

#[test]
fn decode_linear_level1_snapshot_in_linear_key_order() {
    let reg = registry(Venue::BybitLinear, &[("SNTUSDT", "0.00001", "1")]);
    let mut d = Decoder::new(Venue::BybitLinear);
    let Decoded::Book(h) = d
        .decode(LINEAR_OB1.as_bytes(), UnixNanos::ZERO, &reg)
        .unwrap()
    else {
        panic!()
    };
    assert_eq!((h.depth, h.snapshot, h.update_id), (1, true, 12_509_456));
    assert!(h.replaces());
    assert_eq!(d.bids(), &[lvl(2_868, 1_730)]);
    assert_eq!(d.asks(), &[lvl(2_870, 3_420)]);
}

#[test]
fn decode_reads_keys_in_any_order_data_before_topic_included() {
    let reordered = r#"{"cts":1786310816585,"data":{"seq":112488545865,"u":62505425,"a":[["65154.6","0.09948"],["65154.7","0.123013"],["65239","0.155135"],["65239.1","0"]],"b":[["65140.4","0.875077"]],"s":"BTCUSDT"},"type":"delta","ts":1786310816618,"topic":"orderbook.200.BTCUSDT"}"#;
    let reg = spot();
    let (mut a, mut b) = (
        Decoder::new(Venue::BybitSpot),
        Decoder::new(Venue::BybitSpot),
    );
    let x = a
        .decode(SPOT_DELTA.as_bytes(), UnixNanos::ZERO, &reg)
        .unwrap();
    let y = b
        .decode(reordered.as_bytes(), UnixNanos::ZERO, &reg)
        .unwrap();
    assert_eq!(x, y);
    assert_eq!((a.bids(), a.asks()), (b.bids(), b.asks()));
    // Trades too.
    let trade = r#"{"data":[{"s":"ETHUSDT","S":"Sell","v":"0.04537","p":"1923.28","T":1786310821917,"i":"2280000001739247417"}],"type":"snapshot","topic":"publicTrade.ETHUSDT","ts":1}"#;
    let (mut a, mut b) = (
        Decoder::new(Venue::BybitSpot),
        Decoder::new(Venue::BybitSpot),
    );
    a.decode(SPOT_TRADE.as_bytes(), UnixNanos::ZERO, &reg)
        .unwrap();
    b.decode(trade.as_bytes(), UnixNanos::ZERO, &reg).unwrap();
    assert_eq!(a.trades(), b.trades());
}

#[test]
fn decode_spot_trade_keeps_the_numeric_id_and_the_taker_side() {
    let mut d = Decoder::new(Venue::BybitSpot);
    let got = d.decode(SPOT_TRADE.as_bytes(), UnixNanos::from_nanos(3), &spot());
    assert!(
        matches!(got, Ok(Decoded::Trades { block: 0, .. })),
        "{got:?}"
    );
    let t = d.trades()[0];
    assert_eq!(t.trade_id, 2_280_000_001_739_247_417);
    assert_eq!(t.aggressor, Side::Sell);
    assert_eq!((t.price.ticks(), t.qty.lots()), (192_328, 4_537));
    assert_eq!(t.ts_exchange, UnixNanos::from_millis(1_786_310_821_917));
}

#[test]
fn decode_linear_trades_hash_uuid_ids_and_hold_back_block_trades() {
    let reg = registry(Venue::BybitLinear, &[("BTCUSDT", "0.1", "0.001")]);
    let mut d = Decoder::new(Venue::BybitLinear);
    let got = d
        .decode(LINEAR_TRADE.as_bytes(), UnixNanos::ZERO, &reg)
        .unwrap();
    assert!(matches!(got, Decoded::Trades { block: 1, .. }), "{got:?}");
    assert_eq!(d.trades().len(), 1);
    let t = d.trades()[0];
    assert_eq!(
        t.trade_id,
        wire::trade_id(b"20f43950-d8dd-5b31-9112-a178eb6023af")
    );
    assert_eq!(
        (t.aggressor, t.price.ticks(), t.qty.lots()),
        (Side::Buy, 165_785, 1)
    );
}

#[rstest]
#[case::decimal_id(b"2280000001739247417", 2_280_000_001_739_247_417)]
#[case::largest_decimal(b"18446744073709551615", u64::MAX)]
#[case::fnv1a_of_anything_else(b"a", 0xaf63_dc4c_8601_ec8c)]
#[case::empty_is_the_fnv_basis(b"", 0xcbf2_9ce4_8422_2325)]
fn trade_id_is_the_decimal_value_or_a_stable_hash(#[case] text: &[u8], #[case] want: u64) {
    assert_eq!(wire::trade_id(text), want);
}

#[test]
fn trade_id_past_u64_is_hashed_not_wrapped() {
    // 2^64 would wrap to 0.
    assert_ne!(wire::trade_id(b"18446744073709551616"), 0);
    assert_ne!(
        wire::trade_id(b"18446744073709551616"),
        wire::trade_id(b"18446744073709551617")
    );
}

#[rstest]
#[case::truncated(&SPOT_DELTA[..120], "malformed frame: truncated JSON")]
#[case::binance_frame(r#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}}"#, "not a Bybit public message")]
#[case::okx_frame(r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["1","2","0","1"]],"bids":[],"ts":"1","checksum":0}]}"#, "not a Bybit public message")]
#[case::unknown_topic(r#"{"topic":"orderbook.7.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[],"a":[],"u":2}}"#, "unknown topic \"orderbook.7.BTCUSDT\"")]
#[case::full_orderbook_topic(
    r#"{"topic":"orderbook.full.BTCUSDT","type":"delta","ts":1,"data":{}}"#,
    "unknown topic \"orderbook.full.BTCUSDT\""
)]
#[case::unknown_symbol(r#"{"topic":"orderbook.50.SOLUSDT","ts":1,"type":"delta","data":{"s":"SOLUSDT","b":[],"a":[],"u":2}}"#, "unknown symbol \"SOLUSDT\" (not configured for bybit-spot)")]
#[case::price_off_the_grid(r#"{"topic":"orderbook.50.BTCUSDT","ts":1,"type":"delta","data":{"s":"BTCUSDT","b":[["65140.45","1"]],"a":[],"u":2}}"#, "\"BTCUSDT\" b price: value 65140.45 is off the grid of 0.1")]
#[case::quantity_off_the_grid(r#"{"topic":"orderbook.50.BTCUSDT","ts":1,"type":"delta","data":{"s":"BTCUSDT","b":[],"a":[["65140.5","0.0000001"]],"u":2}}"#, "\"BTCUSDT\" a size: value 0.0000001 is off the grid of 0.000001")]
#[case::zero_price(r#"{"topic":"orderbook.50.BTCUSDT","ts":1,"type":"delta","data":{"s":"BTCUSDT","b":[["0","1"]],"a":[],"u":2}}"#, "b price: price 0 is not positive")]
#[case::negative_size(r#"{"topic":"orderbook.50.BTCUSDT","ts":1,"type":"delta","data":{"s":"BTCUSDT","b":[["1","-1"]],"a":[],"u":2}}"#, "b size: quantity -1 is negative")]
#[case::level_with_three_elements(r#"{"topic":"orderbook.50.BTCUSDT","ts":1,"type":"delta","data":{"s":"BTCUSDT","b":[["1","1","0"]],"a":[],"u":2}}"#, "b: not a decimal string")]
#[case::price_not_a_decimal(r#"{"topic":"orderbook.50.BTCUSDT","ts":1,"type":"delta","data":{"s":"BTCUSDT","b":[["1e3","1"]],"a":[],"u":2}}"#, "b: not a decimal string")]
#[case::missing_u(r#"{"topic":"orderbook.50.BTCUSDT","ts":1,"type":"delta","data":{"s":"BTCUSDT","b":[],"a":[]}}"#, "orderbook message without its \"u\" field")]
#[case::bad_type(r#"{"topic":"orderbook.50.BTCUSDT","ts":1,"type":"update","data":{"s":"BTCUSDT","b":[],"a":[],"u":2}}"#, "orderbook message of type \"update\"")]
#[case::data_of_another_symbol(r#"{"topic":"orderbook.50.BTCUSDT","ts":1,"type":"delta","data":{"s":"ETHUSDT","b":[],"a":[],"u":2}}"#, "topic \"orderbook.50.BTCUSDT\" carries data of symbol \"ETHUSDT\"")]
#[case::trade_side(r#"{"topic":"publicTrade.BTCUSDT","ts":1,"type":"snapshot","data":[{"T":1,"s":"BTCUSDT","S":"Hold","v":"1","p":"1","i":"1"}]}"#, "trade side \"Hold\"")]
#[case::trade_without_price(r#"{"topic":"publicTrade.BTCUSDT","ts":1,"type":"snapshot","data":[{"T":1,"s":"BTCUSDT","S":"Buy","v":"1","i":"1"}]}"#, "publicTrade message without its \"p\" field")]
#[case::subscribe_refused(r#"{"success":false,"ret_msg":"Invalid symbol :[orderbook.50.XXXUSDT]","conn_id":"d9avt8shteepr00gfc1g-4zd1x","op":"subscribe"}"#, "the venue refused the \"subscribe\" request: \"Invalid symbol :[orderbook.50.XXXUSDT]\"")]
#[case::not_json("hello", "malformed frame: unexpected 'h' at byte 0")]
fn bad_input_is_one_clear_error(#[case] frame: &str, #[case] want: &str) {
    let mut d = Decoder::new(Venue::BybitSpot);
    let err = d
        .decode(frame.as_bytes(), UnixNanos::ZERO, &spot())
        .unwrap_err()
        .to_string();
    assert!(err.contains(want), "{err}");
}

#[test]
fn truncated_frames_at_every_length_are_errors_not_panics() {
    let reg = spot();
    let mut d = Decoder::new(Venue::BybitSpot);
    for frame in [SPOT_DELTA, SPOT_TRADE, SPOT_ACK] {
        for end in 0..frame.len() - 1 {
            assert!(
                d.decode(&frame.as_bytes()[..end], UnixNanos::ZERO, &reg)
                    .is_err(),
                "{end}"
            );
        }
    }
}

#[rstest]
#[case::spot_ack(SPOT_ACK, Decoded::Control)]
#[case::linear_ack(LINEAR_ACK, Decoded::Control)]
#[case::spot_pong(
    r#"{"success":true,"ret_msg":"pong","conn_id":"x","op":"ping"}"#,
    Decoded::Control
)]
#[case::linear_pong(
    r#"{"success":true,"ret_msg":"pong","conn_id":"x","req_id":"","op":"ping"}"#,
    Decoded::Control
)]
#[case::unsubscribe_ack(
    r#"{"success":true,"ret_msg":"","conn_id":"x","req_id":"unsub:BTCUSDT","op":"unsubscribe"}"#,
    Decoded::Control
)]
#[case::option_pong(r#"{"args":["1672916271846"],"op":"pong"}"#, Decoded::Control)]
#[case::ticker(r#"{"topic":"tickers.BTCUSDT","ts":1,"type":"snapshot","cs":1,"data":{"symbol":"BTCUSDT","lastPrice":"65140.5"}}"#, Decoded::Ignored)]
#[case::kline(
    r#"{"type":"snapshot","topic":"kline.1.BTCUSDT","data":[{"start":1,"open":"1"}],"ts":1}"#,
    Decoded::Ignored
)]
fn control_and_unused_topics_decode_quietly(#[case] frame: &str, #[case] want: Decoded) {
    let got = Decoder::new(Venue::BybitSpot)
        .decode(frame.as_bytes(), UnixNanos::ZERO, &spot())
        .unwrap();
    assert_eq!(got, want);
}

#[test]
fn u1_restart_off_the_grid_decodes_as_a_grid_change() {
    let frame = r#"{"topic":"orderbook.50.BTCUSDT","ts":1,"type":"snapshot","data":{"s":"BTCUSDT","b":[["65140.45","1"]],"a":[["65141","1"]],"u":1,"seq":5}}"#;
    let got = Decoder::new(Venue::BybitSpot)
        .decode(frame.as_bytes(), UnixNanos::ZERO, &spot())
        .unwrap();
    let Decoded::GridChanged {
        header,
        price,
        value,
    } = got
    else {
        panic!("{got:?}")
    };
    assert_eq!((header.update_id, price), (1, true));
    assert_eq!((value.mantissa, value.scale), (6_514_045, 2));
}

#[rstest]
#[case::spot_book(SPOT_DELTA, Some(Venue::BybitSpot))]
#[case::spot_trade(SPOT_TRADE, Some(Venue::BybitSpot))]
#[case::spot_ack(SPOT_ACK, Some(Venue::BybitSpot))]
#[case::linear_book(LINEAR_OB1, Some(Venue::BybitLinear))]
#[case::linear_trade(LINEAR_TRADE, Some(Venue::BybitLinear))]
#[case::usdc_perp(r#"{"topic":"orderbook.50.BTCPERP","type":"delta","ts":1,"data":{"s":"BTCPERP","b":[],"a":[],"u":2}}"#, Some(Venue::BybitLinear))]
#[case::usdc_future(r#"{"topic":"orderbook.50.BTC-26DEC25","type":"delta","ts":1,"data":{"s":"BTC-26DEC25","b":[],"a":[],"u":2}}"#, Some(Venue::BybitLinear))]
#[case::inverse_perpetual(r#"{"topic":"orderbook.50.BTCUSD","type":"delta","ts":1,"data":{"s":"BTCUSD","b":[],"a":[],"u":2}}"#, Some(Venue::BybitInverse))]
#[case::inverse_future(r#"{"topic":"orderbook.50.BTCUSDH26","type":"delta","ts":1,"data":{"s":"BTCUSDH26","b":[],"a":[],"u":2}}"#, Some(Venue::BybitInverse))]
#[case::derivative_symbol_that_does_not_tell(r#"{"topic":"orderbook.50.BTCEUR","type":"delta","ts":1,"data":{"s":"BTCEUR","b":[],"a":[],"u":2}}"#, None)]
#[case::linear_ack_does_not_tell(LINEAR_ACK, None)]
#[case::ticker_does_not_tell(
    r#"{"topic":"tickers.BTCUSDT","ts":1,"type":"snapshot","data":{}}"#,
    None
)]
#[case::binance_depth(
    r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}"#,
    None
)]
fn sniff_tells_spot_linear_and_inverse_apart(#[case] frame: &str, #[case] want: Option<Venue>) {
    assert_eq!(sniff(frame.as_bytes()), want);
}

#[test]
fn venue_sniff_keeps_binance_frames_binance() {
    let binance = r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}"#;
    assert_eq!(Venue::sniff(binance.as_bytes()), Some(Venue::BinanceSpot));
    assert_eq!(
        Venue::sniff(LINEAR_OB1.as_bytes()),
        Some(Venue::BybitLinear)
    );
}

#[test]
fn probe_reads_book_and_trade_values_with_their_symbol() {
    let mut p = Probe::default();
    assert_eq!(p.read(SPOT_DELTA.as_bytes()), Some(Some(&b"BTCUSDT"[..])));
    assert_eq!(p.values().len(), 5);
    assert_eq!(p.read(LINEAR_TRADE.as_bytes()), Some(Some(&b"BTCUSDT"[..])));
    assert_eq!(p.values().len(), 2);
    assert_eq!(p.read(SPOT_ACK.as_bytes()), None);
    // A rejected value names the symbol but gives no values.
    let bad = r#"{"topic":"orderbook.50.XUSDT","ts":1,"type":"delta","data":{"s":"XUSDT","b":[["0","1"]],"a":[],"u":2}}"#;
    assert_eq!(p.read(bad.as_bytes()), Some(Some(&b"XUSDT"[..])));
    assert!(p.values().is_empty());
}

fn events(books: &mut Books, reg: &Registry, frame: &str) -> (Frame, Vec<MarketEvent>) {
    let mut out = Vec::new();
    let f = books
        .on_frame(reg, UnixNanos::from_nanos(9), frame.as_bytes(), &mut |e| {
            out.push(e)
        })
        .unwrap();
    (f, out)
}

#[test]
fn books_emit_snapshot_and_delta_events_at_u_and_cts() {
    let reg = spot();
    let mut books = Books::new(Venue::BybitSpot, &reg);
    let snap = r#"{"topic":"orderbook.200.BTCUSDT","ts":1786310816516,"type":"snapshot","data":{"s":"BTCUSDT","b":[["65140.4","0.885797"]],"a":[["65140.5","0.5"],["65154.6","1"]],"u":62505424,"seq":1},"cts":1786310816500}"#;
    let (f, ev) = events(&mut books, &reg, snap);
    assert_eq!((f.kind, f.fault), (FrameKind::Snapshot, None));
    assert!(
        matches!(ev[0], MarketEvent::SnapshotBegin(m) if m.update_id == 62_505_424 && m.ts_exchange == UnixNanos::from_millis(1_786_310_816_500))
    );
    assert!(matches!(ev.last(), Some(MarketEvent::SnapshotEnd(_))));
    assert_eq!(ev.len(), 5);
    let (f, ev) = events(&mut books, &reg, SPOT_DELTA);
    assert_eq!((f.kind, f.fault), (FrameKind::Depth, None));
    assert_eq!(ev.len(), 5);
    assert!(matches!(ev[4], MarketEvent::BookDelta(d) if d.last && d.update_id == 62_505_425));
    let id = reg.lookup(Venue::BybitSpot, b"BTCUSDT").unwrap().id;
    let v = books.view(id).unwrap();
    assert_eq!(
        (v.state, v.last_update_id),
        (BookState::Synced, Some(62_505_425))
    );
    assert_eq!(v.book.best_ask(), Some(lvl(651_405, 500_000)));
    assert_eq!(books.depth(id), Some(200));
}

#[test]
fn books_refuse_a_second_depth_of_the_same_symbol_until_restart() {
    let reg = spot();
    let mut books = Books::new(Venue::BybitSpot, &reg);
    events(&mut books, &reg, SPOT_DELTA);
    let other = SPOT_DELTA.replace("orderbook.200", "orderbook.50");
    let err = books
        .on_frame(&reg, UnixNanos::ZERO, other.as_bytes(), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "orderbook.50 of \"BTCUSDT\": its book follows orderbook.200 (subscribe one depth per instrument)"
    );
    let id = reg.lookup(Venue::BybitSpot, b"BTCUSDT").unwrap().id;
    books.restart(id);
    assert!(
        books
            .on_frame(&reg, UnixNanos::ZERO, other.as_bytes(), &mut |_| {})
            .is_ok()
    );
    // Counters carry over the restart.
    assert_eq!(books.view(id).unwrap().stats.depth_updates, 2);
}

#[test]
fn books_show_no_book_as_syncing_and_clear_the_consumers_book() {
    let reg = spot();
    let mut books = Books::new(Venue::BybitSpot, &reg);
    let top = r#"{"topic":"orderbook.1.BTCUSDT","ts":1,"type":"snapshot","data":{"s":"BTCUSDT","b":[["65140.4","1"]],"a":[["65140.5","1"]],"u":7,"seq":1}}"#;
    events(&mut books, &reg, top);
    let empty = r#"{"topic":"orderbook.1.BTCUSDT","ts":1,"type":"snapshot","data":{"s":"BTCUSDT","b":[],"a":[],"u":1,"seq":2}}"#;
    let (f, ev) = events(&mut books, &reg, empty);
    assert_eq!((f.kind, f.fault), (FrameKind::Snapshot, None));
    assert!(
        matches!(ev[0], MarketEvent::Status(s) if s.state == BookState::Syncing && s.reason.is_none())
    );
    assert!(matches!(ev[1], MarketEvent::SnapshotBegin(_)));
    assert_eq!(ev.len(), 2, "no SnapshotEnd: the book is not synced");
    let id = f.instrument.unwrap();
    assert!(!books.needs_snapshot(id) && !books.has_pending(id));
}

#[test]
fn books_return_a_grid_change_as_the_frames_fault() {
    let reg = spot();
    let mut books = Books::new(Venue::BybitSpot, &reg);
    events(&mut books, &reg, SPOT_DELTA);
    let frame = r#"{"topic":"orderbook.200.BTCUSDT","ts":1,"type":"snapshot","data":{"s":"BTCUSDT","b":[["65140.45","1"]],"a":[],"u":1}}"#;
    let (f, ev) = events(&mut books, &reg, frame);
    assert!(ev.is_empty());
    assert!(
        matches!(f.fault, Some(x) if matches!(x.kind, IntegrityFault::GridChanged { price: true, .. }))
    );
    let id = f.instrument.unwrap();
    assert!(
        !books.needs_snapshot(id),
        "a resubscription brings the same grid back: none is asked for"
    );
    // Later messages on the new grid: dropped, not a decode error each.
    let off_grid_delta = r#"{"topic":"orderbook.200.BTCUSDT","ts":2,"type":"delta","data":{"s":"BTCUSDT","b":[["65140.55","2"]],"a":[],"u":2}}"#;
    let discarded = books.view(id).unwrap().stats.discarded;
    let (f, _) = events(&mut books, &reg, off_grid_delta);
    assert_eq!((f.kind, f.fault), (FrameKind::Depth, None));
    assert_eq!(books.view(id).unwrap().stats.discarded, discarded + 1);
    let other_symbol = off_grid_delta
        .replace("BTCUSDT", "ETHUSDT")
        .replace("65140.55", "1.005");
    assert!(
        books
            .on_frame(&reg, UnixNanos::ZERO, other_symbol.as_bytes(), &mut |_| {})
            .is_err(),
        "another instrument's value off its grid is still an error"
    );
    books.restart(id);
    assert!(!books.needs_snapshot(id), "kept across a reconnect");
    // After a reconnect the subscription's snapshot is on the new grid (u is not 1): the grid
    // change again, once; the book stale.
    let resubscribed = frame.replace("\"u\":1", "\"u\":7");
    let (f, _) = events(&mut books, &reg, &resubscribed);
    assert!(
        matches!(f.fault, Some(x) if matches!(x.kind, IntegrityFault::GridChanged { price: true, .. })),
        "{f:?}"
    );
    assert_eq!(books.view(id).unwrap().state, BookState::Stale);
    let (f, _) = events(&mut books, &reg, off_grid_delta);
    assert_eq!(f.fault, None, "once per restart");
    let on_grid = frame.replace("65140.45", "65140.4");
    let (f, _) = events(&mut books, &reg, &on_grid);
    assert_eq!((f.kind, f.fault), (FrameKind::Snapshot, None));
    books.invalidate(id);
    assert!(books.needs_snapshot(id), "a snapshot on the grid clears it");
}

#[test]
fn books_have_no_rest_snapshot_to_apply() {
    let reg = spot();
    let mut books = Books::new(Venue::BybitSpot, &reg);
    let id = reg.lookup(Venue::BybitSpot, b"BTCUSDT").unwrap().id;
    let err = books
        .on_snapshot_body(&reg, id, UnixNanos::ZERO, b"{}", &mut |_| {})
        .unwrap_err();
    assert!(matches!(err, FrameError::Decode(_)));
    assert!(
        err.to_string().contains("snapshots from the stream"),
        "{err}"
    );
}

#[test]
fn books_emit_every_regular_trade_of_a_message() {
    let reg = registry(Venue::BybitLinear, &[("BTCUSDT", "0.1", "0.001")]);
    let mut books = Books::new(Venue::BybitLinear, &reg);
    let (f, ev) = events(&mut books, &reg, LINEAR_TRADE);
    assert_eq!(f.kind, FrameKind::Trade);
    assert_eq!(ev.len(), 1, "the block trade is held back");
    let only_block = LINEAR_TRADE.replace("\"BT\":false", "\"BT\":true");
    let (f, ev) = events(&mut books, &reg, &only_block);
    assert_eq!((f.kind, ev.len()), (FrameKind::SpecialTrade, 0));
}
