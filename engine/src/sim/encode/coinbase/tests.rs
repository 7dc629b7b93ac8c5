//! Coinbase frames against the recorded lines: each one decodes with the venue's own decoder
//! to the values written, and the connection's numbers are set in place of the placeholder.

use super::super::{BookMsg, Sides, SymbolWire, Tick, TradePrint};
use super::*;
use crate::feed::Venue;

fn wire_of(name: &str, tick: &str, lot: &str) -> SymbolWire {
    let s = SimSymbol::new(name, tick.parse().unwrap(), lot.parse().unwrap(), 1.into()).unwrap();
    Coinbase.symbol_wire(&s, &s.spec().unwrap()).unwrap()
}

#[test]
fn trade_is_the_recorded_shape_with_the_makers_side() {
    // capture_coinbase-advanced_cryptofeed_20260809: sequence_num 9, a taker buy (maker SELL).
    let w = wire_of("BTC-USD", "0.01", "0.00000001");
    let t = TradePrint {
        event_ms: 1_786_309_548_251,
        trade_ms: 1_786_309_548_167,
        id: 1_068_572_091,
        price: 6_508_367,
        qty: 1_034_361,
        buyer_is_maker: false,
        seq: 1,
        tick: Tick::Plus,
    };
    let f = Coinbase.trade(&w, &t);
    assert_eq!(
        f.raw(),
        r#"{"channel":"market_trades","client_id":"","timestamp":"2026-08-09T21:05:48.251000000Z","sequence_num":0,"events":[{"type":"update","trades":[{"product_id":"BTC-USD","trade_id":"1068572091","price":"65083.67","size":"0.01034361","time":"2026-08-09T21:05:48.167000000Z","side":"SELL"}]}]}"#
    );
    assert_eq!(Venue::sniff(f.raw().as_bytes()), Some(Venue::Coinbase));
}

#[test]
fn l2_snapshot_and_update_write_bid_and_offer_levels_trimmed() {
    let w = wire_of("BTC-USD", "0.01", "0.00000001");
    let levels = Sides {
        bids: &[(6_508_366, 20_371_215), (6_506_250, 583_000)],
        asks: &[(6_508_367, 50_000_000)],
    };
    let msg = |snapshot| BookMsg {
        topic: TOPIC,
        snapshot,
        levels,
        image: levels,
        seq: 2,
        prev: None,
        model_id: 2,
        event_ms: 1_786_309_548_483,
        engine_ms: 1_786_309_548_170,
        fault: None,
    };
    let snap = Coinbase.book(&w, &msg(true));
    assert_eq!(
        snap.raw(),
        r#"{"channel":"l2_data","client_id":"","timestamp":"2026-08-09T21:05:48.483000000Z","sequence_num":0,"events":[{"type":"snapshot","product_id":"BTC-USD","updates":[{"side":"bid","event_time":"2026-08-09T21:05:48.170000000Z","price_level":"65083.66","new_quantity":"0.20371215"},{"side":"bid","event_time":"2026-08-09T21:05:48.170000000Z","price_level":"65062.5","new_quantity":"0.00583"},{"side":"offer","event_time":"2026-08-09T21:05:48.170000000Z","price_level":"65083.67","new_quantity":"0.5"}]}]}"#
    );
    let update = Coinbase.book(&w, &msg(false));
    assert!(
        update
            .raw()
            .contains(r#"{"type":"update","product_id":"BTC-USD""#)
    );
}

#[test]
fn stamp_sets_the_connections_number_in_place_of_the_placeholder_only() {
    let hb = Coinbase.heartbeat(41, 1_786_309_549_100);
    assert_eq!(
        hb,
        r#"{"channel":"heartbeats","client_id":"","timestamp":"2026-08-09T21:05:49.100000000Z","sequence_num":0,"events":[{"current_time":"2026-08-09 21:05:49.100 +0000 UTC","heartbeat_counter":41}]}"#
    );
    let stamped = stamp(&hb, 1029).unwrap();
    assert!(
        stamped.contains(r#""sequence_num":1029,"events""#),
        "{stamped}"
    );
    assert_eq!(stamped.len(), hb.len() + 3);
    assert_eq!(stamp(r#"{"type":"error","message":"x"}"#, 3), None);
}

#[test]
fn civil_dates_cross_leap_days_and_year_ends() {
    let text = |ms| {
        let mut o = String::new();
        wire::time(&mut o, ms, false);
        o
    };
    assert_eq!(text(0), "1970-01-01T00:00:00.000000000Z");
    // 2024-02-29T23:59:59.999Z and the next millisecond.
    assert_eq!(text(1_709_251_199_999), "2024-02-29T23:59:59.999000000Z");
    assert_eq!(text(1_709_251_200_000), "2024-03-01T00:00:00.000000000Z");
    assert_eq!(text(1_798_761_599_000), "2026-12-31T23:59:59.000000000Z");
}

#[rstest::rstest]
#[case::book("level2:BTC-USD", Ok(("BTC-USD", StreamKind::Book(TOPIC))))]
#[case::trades("market_trades:ETH-USD", Ok(("ETH-USD", StreamKind::Trade)))]
#[case::ticker("ticker:BTC-USD", Err("unknown channel \"ticker\"".to_owned()))]
#[case::bare("level2", Err("invalid channel \"level2\"".to_owned()))]
fn parse_stream_names_level2_and_market_trades(
    #[case] name: &str,
    #[case] want: Result<(&str, StreamKind), String>,
) {
    assert_eq!(Coinbase.parse_stream(name), want);
}
