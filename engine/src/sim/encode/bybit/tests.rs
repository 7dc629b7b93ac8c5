//! Bybit frames against the recorded lines and the venue's doc examples, byte for byte.

use super::super::{BookMsg, Sides, SymbolWire, Tick, TradePrint};
use super::*;
use crate::sim::stream::StreamKind;

fn wire(venue: Venue, name: &str, tick: &str, lot: &str) -> SymbolWire {
    let s = SimSymbol::new(name, tick.parse().unwrap(), lot.parse().unwrap(), 1.into()).unwrap();
    Bybit::new(venue)
        .symbol_wire(&s, &s.spec().unwrap())
        .unwrap()
}

fn msg<'a>(topic: BookTopic, snapshot: bool, levels: Sides<'a>, ids: (u64, u64)) -> BookMsg<'a> {
    BookMsg {
        topic,
        snapshot,
        levels,
        image: levels,
        seq: ids.0,
        prev: None,
        model_id: ids.1,
        event_ms: 0,
        engine_ms: 0,
        fault: None,
    }
}

#[test]
fn linear_snapshot_is_the_docs_example() {
    let w = wire(Venue::BybitLinear, "BTCUSDT", "0.10", "0.001");
    let levels = Sides {
        bids: &[(164_935, 6)],
        asks: &[(166_110, 29)],
    };
    let m = BookMsg {
        event_ms: 1_672_304_484_978,
        engine_ms: 1_672_304_484_976,
        ..msg(TOPICS[1], true, levels, (18_521_288, 7_961_638_724))
    };
    let f = Bybit::new(Venue::BybitLinear).book(&w, &m);
    assert_eq!(
        f.raw(),
        r#"{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1672304484978,"data":{"s":"BTCUSDT","b":[["16493.50","0.006"]],"a":[["16611.00","0.029"]],"u":18521288,"seq":7961638724},"cts":1672304484976}"#
    );
    assert_eq!(f.raw(), f.combined(), "no envelope");
    assert_eq!(Venue::sniff(f.raw().as_bytes()), Some(Venue::BybitLinear));
}

#[test]
fn spot_delta_is_the_recorded_line() {
    // capture_bybit-v5-spot_cryptofeed_20260809: the first BTCUSDT delta.
    let w = wire(Venue::BybitSpot, "BTCUSDT", "0.01", "0.000001");
    let levels = Sides {
        bids: &[(6_514_040, 875_077)],
        asks: &[
            (6_515_460, 99_480),
            (6_515_470, 123_013),
            (6_523_900, 155_135),
            (6_523_910, 0),
        ],
    };
    let m = BookMsg {
        event_ms: 1_786_310_816_618,
        engine_ms: 1_786_310_816_585,
        ..msg(TOPICS[2], false, levels, (62_505_425, 112_488_545_865))
    };
    let f = Bybit::new(Venue::BybitSpot).book(&w, &m);
    assert_eq!(
        f.raw(),
        r#"{"topic":"orderbook.200.BTCUSDT","ts":1786310816618,"type":"delta","data":{"s":"BTCUSDT","b":[["65140.4","0.875077"]],"a":[["65154.6","0.09948"],["65154.7","0.123013"],["65239","0.155135"],["65239.1","0"]],"u":62505425,"seq":112488545865},"cts":1786310816585}"#
    );
    assert_eq!(Venue::sniff(f.raw().as_bytes()), Some(Venue::BybitSpot));
}

#[test]
fn level_1_pushes_are_always_snapshots() {
    let w = wire(Venue::BybitLinear, "BTCUSDT", "0.10", "0.001");
    let levels = Sides {
        bids: &[(10, 1)],
        asks: &[(11, 1)],
    };
    let f = Bybit::new(Venue::BybitLinear).book(&w, &msg(TOPICS[0], false, levels, (7, 9)));
    assert!(
        f.raw()
            .starts_with(r#"{"topic":"orderbook.1.BTCUSDT","type":"snapshot","#),
        "{}",
        f.raw()
    );
}

fn print(id: u64, price: i64, qty: i64, buyer_is_maker: bool) -> TradePrint {
    TradePrint {
        event_ms: 1_786_310_822_606,
        trade_ms: 1_786_310_822_605,
        id,
        price,
        qty,
        buyer_is_maker,
        seq: 112_488_547_164,
        tick: Tick::Plus,
    }
}

#[test]
fn spot_trade_is_the_recorded_line() {
    let w = wire(Venue::BybitSpot, "BTCUSDT", "0.01", "0.000001");
    let f = Bybit::new(Venue::BybitSpot).trade(&w, &print(1_189_048_101, 6_514_050, 2_705, false));
    assert_eq!(
        f.raw(),
        r#"{"topic":"publicTrade.BTCUSDT","ts":1786310822606,"type":"snapshot","data":[{"i":"2290000001189048101","T":1786310822605,"p":"65140.5","v":"0.002705","S":"Buy","seq":112488547164,"s":"BTCUSDT","BT":false,"RPI":false}]}"#
    );
}

#[test]
fn linear_trade_has_a_uuid_and_the_tick_direction() {
    let w = wire(Venue::BybitLinear, "BTCUSDT", "0.10", "0.001");
    let t = TradePrint {
        tick: Tick::ZeroMinus,
        ..print(42, 165_785, 1, true)
    };
    let f = Bybit::new(Venue::BybitLinear).trade(&w, &t);
    let raw = f.raw();
    let head = r#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1786310822606,"data":[{"T":1786310822605,"s":"BTCUSDT","S":"Sell","v":"0.001","p":"16578.50","L":"ZeroMinusTick","i":""#;
    assert!(raw.starts_with(head), "{raw}");
    let uuid = &raw[head.len()..head.len() + 36];
    let groups: Vec<usize> = uuid.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12], "{uuid}");
    assert!(uuid.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()));
    assert!(
        raw.ends_with(r#"","BT":false,"RPI":false,"seq":112488547164}]}"#),
        "{raw}"
    );
    let other = Bybit::new(Venue::BybitLinear).trade(&w, &print(43, 165_785, 1, true));
    assert_ne!(
        &other.raw()[head.len()..head.len() + 36],
        uuid,
        "ids differ per trade"
    );
}

#[test]
fn topics_parse_and_unknown_ones_are_the_venues_invalid_topic() {
    let b = Bybit::new(Venue::BybitLinear);
    assert_eq!(
        b.parse_stream("orderbook.200.BTCUSDT"),
        Ok(("BTCUSDT", StreamKind::Book(TOPICS[2])))
    );
    assert_eq!(
        b.parse_stream("publicTrade.ETHUSDT"),
        Ok(("ETHUSDT", StreamKind::Trade))
    );
    for bad in [
        "orderbook.500.BTCUSDT",
        "orderbook.x.BTCUSDT",
        "tickers.BTCUSDT",
        "kline",
    ] {
        assert_eq!(b.parse_stream(bad), Err(format!("Invalid topic :[{bad}]")));
    }
}

#[test]
fn each_category_has_its_own_path_and_presets() {
    let linear = Bybit::new(Venue::BybitLinear);
    assert!(linear.ws_route("/v5/public/linear", None).is_ok());
    let err = linear.ws_route("/v5/public/spot", None).unwrap_err();
    assert!(err.contains("use /v5/public/linear"), "{err}");
    let e = Bybit::new(Venue::BybitInverse).endpoints("ws://127.0.0.1:1", "http://127.0.0.1:2");
    assert_eq!(e.ws_book, "ws://127.0.0.1:1/v5/public/inverse");
    assert_eq!(e.rest, "http://127.0.0.1:2");
    let btcusd = Bybit::new(Venue::BybitInverse).preset("btcusd").unwrap();
    assert_eq!(
        (btcusd.base_asset.as_str(), btcusd.quote_asset.as_str()),
        ("BTC", "USD")
    );
    let spot = Bybit::new(Venue::BybitSpot).defaults();
    assert_eq!(spot.symbols[0].lot_size.to_string(), "0.000001");
}
