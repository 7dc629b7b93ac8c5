//! The Binance encoder against the venues' recorded lines (`../shared/vectors/binance`, copied
//! here), its stream names, paths and update ids.

use super::wire::{self, DepthIds, FuturesIds, SnapshotTimes};
use super::*;
use crate::sim::encode::Encoder;
use rstest::rstest;
use std::str::FromStr;

fn fmt(tick: &str, lot: &str, price_dp: u32, qty_dp: u32) -> Fmt {
    let spec = InstrumentSpec::new(
        Decimal::from_str(tick).unwrap(),
        Decimal::from_str(lot).unwrap(),
    )
    .unwrap();
    Fmt::new(&spec, price_dp, qty_dp).unwrap()
}

fn spot() -> Fmt {
    fmt("0.01", "0.00001", 8, 8)
}

fn usdm() -> Fmt {
    fmt("0.10", "0.001", 2, 3)
}

#[test]
fn spot_depth_update_matches_the_recorded_shape() {
    let frame = Frame::enveloped("btcusdt@depth@100ms", |o| {
        let ids = DepthIds {
            event_ms: 1_723_161_255_308,
            first: 50_093_239_203,
            last: 50_093_239_207,
        };
        let book = Sides {
            bids: &[(5_565_387, 0)],
            asks: &[(6_183_804, 32_332)],
        };
        wire::depth_update(o, "BTCUSDT", &spot(), ids, book);
    });
    assert_eq!(
        frame.combined(),
        r#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255308,"s":"BTCUSDT","U":50093239203,"u":50093239207,"b":[["55653.87000000","0.00000000"]],"a":[["61838.04000000","0.32332000"]]}}"#
    );
}

#[test]
fn spot_trade_and_book_ticker_match_the_recorded_lines() {
    let mut s = String::new();
    let t = TradePrint {
        event_ms: 1_723_161_255_343,
        trade_ms: 1_723_161_255_342,
        id: 3_735_683_259,
        price: 6_183_763,
        qty: 2_000,
        buyer_is_maker: true,
        seq: 0,
        tick: crate::sim::encode::Tick::Plus,
    };
    wire::trade(&mut s, "BTCUSDT", &spot(), &t);
    assert_eq!(
        s,
        r#"{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":3735683259,"p":"61837.63000000","q":"0.02000000","T":1723161255342,"m":true,"M":true}"#
    );
    s.clear();
    let top = Top {
        update_id: 50_093_239_212,
        bid: (6_183_763, 378_826),
        ask: (6_183_764, 154_698),
        time_ms: 0,
    };
    wire::book_ticker(&mut s, "BTCUSDT", &spot(), &top);
    assert_eq!(
        s,
        r#"{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}"#
    );
}

#[test]
fn usdm_depth_update_matches_the_recorded_line() {
    let frame = Frame::enveloped("btcusdt@depth@0ms", |o| {
        let ids = FuturesIds {
            event_ms: 1_723_161_256_299,
            tx_ms: 1_723_161_256_298,
            first: 5_123_107_832_006,
            last: 5_123_107_837_557,
            prev_last: 5_123_107_831_937,
        };
        let book = Sides {
            bids: &[(587_102, 14), (614_965, 10), (615_109, 0)],
            asks: &[(618_003, 3_330), (658_807, 15_918)],
        };
        wire::futures_depth_update(o, "BTCUSDT", &usdm(), ids, book);
    });
    assert_eq!(
        frame.combined(),
        r#"{"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1723161256299,"T":1723161256298,"s":"BTCUSDT","U":5123107832006,"u":5123107837557,"pu":5123107831937,"b":[["58710.20","0.014"],["61496.50","0.010"],["61510.90","0.000"]],"a":[["61800.30","3.330"],["65880.70","15.918"]]}}"#
    );
}

#[test]
fn usdm_trade_book_ticker_and_snapshot_match_the_recorded_lines() {
    let mut s = String::new();
    let t = TradePrint {
        event_ms: 1_723_161_256_322,
        trade_ms: 1_723_161_256_322,
        id: 5_266_583_935,
        price: 618_003,
        qty: 6,
        buyer_is_maker: false,
        seq: 0,
        tick: crate::sim::encode::Tick::Plus,
    };
    wire::futures_trade(&mut s, "BTCUSDT", &usdm(), &t);
    assert_eq!(
        s,
        r#"{"e":"trade","E":1723161256322,"T":1723161256322,"s":"BTCUSDT","t":5266583935,"p":"61800.30","q":"0.006","X":"MARKET","m":false}"#
    );
    s.clear();
    let top = Top {
        update_id: 5_123_107_839_020,
        bid: (618_002, 2_507),
        ask: (618_003, 2_510),
        time_ms: 1_723_161_256_313,
    };
    wire::futures_book_ticker(&mut s, "BTCUSDT", &usdm(), &top);
    assert_eq!(
        s,
        r#"{"e":"bookTicker","u":5123107839020,"s":"BTCUSDT","b":"61800.20","B":"2.507","a":"61800.30","A":"2.510","T":1723161256313,"E":1723161256313}"#
    );
    s.clear();
    let times = SnapshotTimes {
        event_ms: 1_723_161_256_501,
        tx_ms: 1_723_161_256_493,
    };
    let book = Sides {
        bids: &[(618_002, 2_909), (618_001, 696)],
        asks: &[],
    };
    wire::futures_depth_snapshot(&mut s, &usdm(), 5_123_107_852_948, times, book);
    assert_eq!(
        s,
        r#"{"lastUpdateId":5123107852948,"E":1723161256501,"T":1723161256493,"bids":[["61800.20","2.909"],["61800.10","0.696"]],"asks":[]}"#
    );
}

#[test]
fn usdm_agg_trade_has_no_m_flag_and_spot_has_it() {
    let t = TradePrint {
        event_ms: 2,
        trade_ms: 1,
        id: 7,
        price: 618_003,
        qty: 6,
        buyer_is_maker: true,
        seq: 0,
        tick: crate::sim::encode::Tick::Plus,
    };
    let ids = AggIds {
        first: 10,
        last: 12,
    };
    let mut s = String::new();
    wire::futures_agg_trade(&mut s, "BTCUSDT", &usdm(), &t, ids);
    assert_eq!(
        s,
        r#"{"e":"aggTrade","E":2,"s":"BTCUSDT","a":7,"p":"61800.30","q":"0.006","f":10,"l":12,"T":1,"m":true}"#
    );
    s.clear();
    wire::agg_trade(&mut s, "BTCUSDT", &spot(), &t, ids);
    assert!(
        s.ends_with(r#""f":10,"l":12,"T":1,"m":true,"M":true}"#),
        "{s}"
    );
}

fn encoder(venue: Venue) -> Binance {
    Binance::new(venue)
}

#[rstest]
#[case::spot_default_is_1000ms(
    Venue::BinanceSpot,
    "btcusdt@depth",
    StreamKind::Diff(Window::Ms1000)
)]
#[case::spot_explicit_1000ms(
    Venue::BinanceSpot,
    "btcusdt@depth@1000ms",
    StreamKind::Diff(Window::Ms1000)
)]
#[case::spot_per_event(
    Venue::BinanceSpot,
    "btcusdt@depth@0ms",
    StreamKind::Diff(Window::Event)
)]
#[case::spot_partial_fast(Venue::BinanceSpot, "btcusdt@depth20@100ms", StreamKind::Partial { levels: 20, window: Window::Ms100 })]
#[case::usdm_default_is_250ms(Venue::BinanceUsdm, "btcusdt@depth", StreamKind::Diff(Window::Ms250))]
#[case::usdm_explicit_250ms(
    Venue::BinanceUsdm,
    "btcusdt@depth@250ms",
    StreamKind::Diff(Window::Ms250)
)]
#[case::usdm_500ms(
    Venue::BinanceUsdm,
    "btcusdt@depth@500ms",
    StreamKind::Diff(Window::Ms500)
)]
#[case::usdm_partial_default(Venue::BinanceUsdm, "btcusdt@depth5", StreamKind::Partial { levels: 5, window: Window::Ms250 })]
#[case::usdm_book_ticker(Venue::BinanceUsdm, "btcusdt@bookTicker", StreamKind::BookTicker)]
fn parse_stream_reads_each_venues_names(
    #[case] venue: Venue,
    #[case] name: &str,
    #[case] kind: StreamKind,
) {
    assert_eq!(encoder(venue).parse_stream(name), Ok(("btcusdt", kind)));
}

#[rstest]
#[case::spot_has_no_500ms(Venue::BinanceSpot, "btcusdt@depth@500ms")]
#[case::usdm_has_no_1000ms(Venue::BinanceUsdm, "btcusdt@depth@1000ms")]
#[case::usdm_has_no_partial_1000ms(Venue::BinanceUsdm, "btcusdt@depth5@1000ms")]
#[case::uppercase(Venue::BinanceSpot, "BTCUSDT@trade")]
#[case::no_at(Venue::BinanceSpot, "btcusdt")]
#[case::kline(Venue::BinanceUsdm, "btcusdt@kline_1m")]
fn parse_stream_refuses_names_the_venue_does_not_serve(#[case] venue: Venue, #[case] name: &str) {
    assert!(encoder(venue).parse_stream(name).is_err(), "{name}");
}

#[test]
fn every_served_name_parses_back_to_its_kind() {
    for venue in [Venue::BinanceSpot, Venue::BinanceUsdm] {
        let b = encoder(venue);
        let served: Vec<StreamKind> = StreamKind::all()
            .filter(|&k| b.suffix(k).is_some())
            .collect();
        assert_eq!(served.len(), if b.futures { 16 } else { 12 }, "{venue}");
        for k in served {
            let name = format!("ethusdt@{}", b.suffix(k).unwrap());
            assert_eq!(b.parse_stream(&name), Ok(("ethusdt", k)), "{venue} {name}");
        }
    }
}

#[test]
fn endpoints_follow_the_feeds_production_paths() {
    let spot = encoder(Venue::BinanceSpot).endpoints("ws://127.0.0.1:1", "http://127.0.0.1:2");
    assert_eq!(spot.ws_book, "ws://127.0.0.1:1/stream");
    assert!(spot.single_connection());
    assert_eq!(spot.rest, "http://127.0.0.1:2");
    let usdm = encoder(Venue::BinanceUsdm).endpoints("ws://127.0.0.1:1", "http://127.0.0.1:2");
    assert_eq!(usdm.ws_book, "ws://127.0.0.1:1/public/stream");
    assert_eq!(usdm.ws_trades, "ws://127.0.0.1:1/market/stream");
    assert_eq!(usdm.rest, "http://127.0.0.1:2");
}

#[test]
fn usdm_ids_skip_so_u_is_not_pu_plus_one_and_spot_ids_do_not() {
    let sym = SimSymbol::parse_for(Venue::BinanceUsdm, "BTCUSDT").unwrap();
    let enc = Encoder::for_venue(Venue::BinanceUsdm).unwrap();
    let w = enc.symbol_wire(&sym).unwrap();
    let span = DiffSpan {
        event_ms: 5,
        tx_ms: 4,
        first: 100,
        last: 102,
    };
    let changed = Sides {
        bids: &[(600_000, 1)],
        asks: &[],
    };
    let f = enc
        .diff(&w, StreamKind::Diff(Window::Ms100), span, changed)
        .unwrap();
    assert_eq!(
        f.raw(),
        r#"{"e":"depthUpdate","E":5,"T":4,"s":"BTCUSDT","U":300,"u":306,"pu":297,"b":[["60000.00","0.001"]],"a":[]}"#
    );
    assert!(
        f.combined()
            .starts_with(r#"{"stream":"btcusdt@depth@100ms","#)
    );
    let spot = Encoder::for_venue(Venue::BinanceSpot).unwrap();
    assert_eq!(spot.wire_id(100), 100);
}

#[test]
fn usdm_partial_depth_is_a_depth_update_only_for_windows_with_changes() {
    let sym = SimSymbol::parse_for(Venue::BinanceUsdm, "BTCUSDT").unwrap();
    let b = encoder(Venue::BinanceUsdm);
    let w = b.symbol_wire(&sym, &sym.spec().unwrap()).unwrap();
    let kind = StreamKind::Partial {
        levels: 5,
        window: Window::Ms250,
    };
    let quiet = PartialAt {
        event_ms: 9,
        update_id: 50,
        window: None,
    };
    let empty = Sides {
        bids: &[],
        asks: &[],
    };
    assert_eq!(b.partial(&w, kind, quiet, empty), None);
    let busy = PartialAt {
        window: Some(DiffSpan {
            event_ms: 9,
            tx_ms: 8,
            first: 48,
            last: 50,
        }),
        ..quiet
    };
    let top = Sides {
        bids: &[(600_000, 2)],
        asks: &[(600_001, 3)],
    };
    let f = b.partial(&w, kind, busy, top).unwrap();
    assert_eq!(
        f.combined(),
        r#"{"stream":"btcusdt@depth5","data":{"e":"depthUpdate","E":9,"T":8,"s":"BTCUSDT","U":144,"u":150,"pu":141,"b":[["60000.00","0.002"]],"a":[["60000.10","0.003"]]}}"#
    );
    let s = encoder(Venue::BinanceSpot);
    let spot_sym = SimSymbol::btcusdt();
    let sw = s.symbol_wire(&spot_sym, &spot_sym.spec().unwrap()).unwrap();
    let spot_kind = StreamKind::Partial {
        levels: 5,
        window: Window::Ms1000,
    };
    let f = s.partial(&sw, spot_kind, quiet, empty).unwrap();
    assert_eq!(f.raw(), r#"{"lastUpdateId":50,"bids":[],"asks":[]}"#);
}
