//! Decoder tests on real recorded Binance messages (`shared/vectors/binance`) and hand-made edge
//! cases. The sequencer's are in `sync_tests.rs` and `sync_props.rs`.

use super::*;
use crate::instrument::Registry;
use ladder_sdk::{InstrumentSpec, Level, Price, Quantity, Side, UnixNanos};
use rstest::rstest;
use rust_decimal::Decimal;
use std::str::FromStr;

pub(super) fn registry(symbol: &str, tick: &str, lot: &str) -> Registry {
    let mut r = Registry::new();
    let spec = InstrumentSpec::new(
        Decimal::from_str(tick).unwrap(),
        Decimal::from_str(lot).unwrap(),
    )
    .unwrap();
    r.add(crate::feed::Venue::BinanceSpot, symbol, spec)
        .unwrap();
    r
}

pub(super) fn lvl(p: i64, q: i64) -> Level {
    Level::new(Price::from_ticks(p), Quantity::from_lots(q))
}

const SPOT_DEPTH: &str = r#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":50093239189,"u":50093239202,"b":[["61737.63000000","0.00000000"],["61730.17000000","0.10000000"]],"a":[["61837.64000000","1.54698000"]]}}"#;

#[test]
fn decode_spot_depth_envelope_to_ticks_and_lots() {
    let reg = registry("BTCUSDT", "0.01", "0.00001");
    let mut d = Decoder::new(crate::feed::Venue::BinanceSpot);
    let got = d
        .decode(SPOT_DEPTH.as_bytes(), UnixNanos::from_nanos(7), &reg)
        .unwrap();
    let Decoded::Depth(h) = got else {
        panic!("{got:?}")
    };
    assert_eq!(
        (h.first_id, h.last_id, h.prev_last_id),
        (50_093_239_189, 50_093_239_202, None)
    );
    assert_eq!(h.ts_exchange, UnixNanos::from_millis(1_723_161_255_208));
    assert_eq!(h.ts_recv.as_nanos(), 7);
    assert_eq!(d.bids(), &[lvl(6_173_763, 0), lvl(6_173_017, 10_000)]);
    assert_eq!(d.asks(), &[lvl(6_183_764, 154_698)]);
}

#[test]
fn decode_futures_depth_reads_pu_and_transaction_time() {
    let frame = r#"{"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1723161256299,"T":1723161256298,"s":"BTCUSDT","U":5123107832006,"u":5123107837557,"pu":5123107831937,"b":[["58710.20","0.014"]],"a":[]}}"#;
    let reg = registry("BTCUSDT", "0.1", "0.001");
    let Decoded::Depth(h) = Decoder::new(crate::feed::Venue::BinanceSpot)
        .decode(frame.as_bytes(), UnixNanos::ZERO, &reg)
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(h.prev_last_id, Some(5_123_107_831_937));
    assert_eq!(h.ts_exchange, UnixNanos::from_millis(1_723_161_256_298));
}

#[test]
fn decode_keys_in_any_order_and_raw_stream() {
    // Same message, keys shuffled, no envelope.
    let frame = r#"{"a":[["61837.64","1.54698"]],"u":50093239202,"s":"BTCUSDT","b":[],"U":50093239189,"E":1,"e":"depthUpdate"}"#;
    let reg = registry("BTCUSDT", "0.01", "0.00001");
    let mut d = Decoder::new(crate::feed::Venue::BinanceSpot);
    assert!(matches!(
        d.decode(frame.as_bytes(), UnixNanos::ZERO, &reg),
        Ok(Decoded::Depth(_))
    ));
    assert_eq!(d.asks(), &[lvl(6_183_764, 154_698)]);
}

#[rstest]
#[case::spot_trade_taker_sold(r#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":3735683259,"p":"61837.63000000","q":"0.02000000","T":1723161255342,"m":true,"M":true}}"#, Side::Sell, 3_735_683_259)]
#[case::futures_trade_taker_bought(r#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256322,"s":"BTCUSDT","t":5266583935,"p":"61837.63","q":"0.02","X":"MARKET","m":false}}"#, Side::Buy, 5_266_583_935)]
fn decode_trade(#[case] frame: &str, #[case] aggressor: Side, #[case] id: u64) {
    let reg = registry("BTCUSDT", "0.01", "0.00001");
    let got = Decoder::new(crate::feed::Venue::BinanceSpot)
        .decode(frame.as_bytes(), UnixNanos::ZERO, &reg)
        .unwrap();
    let Decoded::Trade(t) = got else {
        panic!("{got:?}")
    };
    assert_eq!((t.aggressor, t.trade_id), (aggressor, id));
    assert_eq!((t.price.ticks(), t.qty.lots()), (6_183_763, 2_000));
}

#[test]
fn decode_futures_liquidation_trade_is_special() {
    let frame = r#"{"e":"trade","E":1,"T":1,"s":"BTCUSDT","t":1,"p":"1.00","q":"1","X":"LIQUIDATION","m":false}"#;
    let reg = registry("BTCUSDT", "0.01", "1");
    let got = Decoder::new(crate::feed::Venue::BinanceSpot)
        .decode(frame.as_bytes(), UnixNanos::ZERO, &reg)
        .unwrap();
    assert!(matches!(got, Decoded::SpecialTrade(_)), "{got:?}");
}

#[test]
fn decode_agg_trade_reads_numeric_a_as_id() {
    let frame = r#"{"e":"aggTrade","E":1,"s":"NKNUSDT","a":26129,"p":"0.35170000","q":"100.0","f":100,"l":105,"T":1,"m":false,"M":true}"#;
    let reg = registry("NKNUSDT", "0.0001", "1");
    let Decoded::AggTrade(t) = Decoder::new(crate::feed::Venue::BinanceSpot)
        .decode(frame.as_bytes(), UnixNanos::ZERO, &reg)
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (t.trade_id, t.price.ticks(), t.qty.lots()),
        (26_129, 3_517, 100)
    );
}

#[rstest]
#[case::spot(r#"{"stream":"btcusdt@bookTicker","data":{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}}"#)]
#[case::spot_raw(r#"{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}"#)]
#[case::futures(r#"{"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":50093239212,"s":"BTCUSDT","b":"61837.63","B":"3.78826","a":"61837.64","A":"1.54698","T":1,"E":1}}"#)]
fn decode_book_ticker(#[case] frame: &str) {
    let reg = registry("BTCUSDT", "0.01", "0.00001");
    let Decoded::BookTicker(b) = Decoder::new(crate::feed::Venue::BinanceSpot)
        .decode(frame.as_bytes(), UnixNanos::ZERO, &reg)
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(b.update_id, 50_093_239_212);
    assert_eq!(
        (b.bid_price.ticks(), b.bid_qty.lots()),
        (6_183_763, 378_826)
    );
    assert_eq!(
        (b.ask_price.ticks(), b.ask_qty.lots()),
        (6_183_764, 154_698)
    );
}

#[rstest]
#[case::kline(r#"{"stream":"nknusdt@kline_1m","data":{"e":"kline","E":1,"s":"NKNUSDT","k":{"t":1,"o":"0.1"}}}"#, Decoded::Ignored)]
#[case::control(r#"{"result":null,"id":1}"#, Decoded::Control)]
#[case::shutdown(
    r#"{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1}}"#,
    Decoded::ServerShutdown
)]
fn decode_non_market_frames(#[case] frame: &str, #[case] want: Decoded) {
    let reg = registry("NKNUSDT", "0.0001", "1");
    assert_eq!(
        Decoder::new(crate::feed::Venue::BinanceSpot)
            .decode(frame.as_bytes(), UnixNanos::ZERO, &reg)
            .unwrap(),
        want
    );
}

#[rstest]
#[case::truncated(&SPOT_DEPTH[..120], "malformed frame: truncated JSON")]
#[case::not_json("hello", "malformed frame: unexpected 'h' at byte 0")]
#[case::okx_frame(r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["8476.98","415","0","13"]],"bids":[],"ts":"1597026383085","checksum":-855196043}]}"#, "not a Binance market-data message")]
#[case::unknown_stream(
    r#"{"stream":"btcusdt@fooBar","data":{"x":1}}"#,
    "unknown stream \"btcusdt@fooBar\""
)]
#[case::unknown_event(r#"{"e":"fooEvent","E":1}"#, "unknown event type \"fooEvent\"")]
#[case::unknown_symbol(
    r#"{"e":"trade","E":1,"s":"ETHUSDT","t":1,"p":"1","q":"1","T":1,"m":true}"#,
    "unknown symbol \"ETHUSDT\""
)]
#[case::off_tick(
    r#"{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"61837.635","q":"1","T":1,"m":true}"#,
    "\"BTCUSDT\" p: value 61837.635 is off the grid of 0.01"
)]
#[case::off_lot_in_depth(
    r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1.00","0.000001"]],"a":[]}"#,
    "\"BTCUSDT\" bids: value 0.000001 is off the grid of 0.00001"
)]
#[case::bad_decimal(
    r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1e5","1"]],"a":[]}"#,
    "bids: not a decimal string"
)]
#[case::missing_u(
    r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"b":[],"a":[]}"#,
    "depthUpdate message without its \"u\" field"
)]
#[case::venue_error(
    r#"{"code":2,"msg":"Invalid request"}"#,
    "the venue replied with error code 2"
)]
#[case::zero_price_in_depth(
    r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["0.00000000","1"]],"a":[]}"#,
    "\"BTCUSDT\" bids: price 0 is not positive"
)]
#[case::negative_price_in_depth(
    r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[["-61837.64","1"]]}"#,
    "\"BTCUSDT\" asks: price -61837.64 is not positive"
)]
#[case::i64_max_bid_in_depth(
    r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["92233720368547758.07","100000"]],"a":[]}"#,
    "\"BTCUSDT\" bids: price 92233720368547758.07 is above the limit of 100000000000000 ticks of 0.01"
)]
#[case::negative_qty_in_depth(
    r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1.00","-1"]],"a":[]}"#,
    "\"BTCUSDT\" bids: quantity -1 is negative"
)]
#[case::huge_qty_in_depth(
    r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1.00","1000000001"]],"a":[]}"#,
    "\"BTCUSDT\" bids: quantity 1000000001 is above the limit of 100000000000000 lots of 0.00001"
)]
#[case::zero_price_in_snapshot_envelope(
    r#"{"stream":"btcusdt@depthSnapshot","data":{"lastUpdateId":5,"bids":[["0","1"]],"asks":[]}}"#,
    "\"BTCUSDT\" bids: price 0 is not positive"
)]
#[case::zero_price_trade(
    r#"{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"0.00","q":"1","T":1,"m":true}"#,
    "\"BTCUSDT\" p: price 0 is not positive"
)]
#[case::zero_ask_book_ticker(
    r#"{"u":7,"s":"BTCUSDT","b":"61837.63","B":"1","a":"0.00000000","A":"0"}"#,
    "\"BTCUSDT\" a: price 0 is not positive"
)]
fn decode_bad_input_is_a_clear_error(#[case] frame: &str, #[case] message: &str) {
    let reg = registry("BTCUSDT", "0.01", "0.00001");
    let err = Decoder::new(crate::feed::Venue::BinanceSpot)
        .decode(frame.as_bytes(), UnixNanos::ZERO, &reg)
        .unwrap_err();
    assert!(err.to_string().contains(message), "got {err:?}: {err}");
}

#[test]
fn decode_every_truncation_of_a_real_frame_errors_without_panic() {
    let reg = registry("BTCUSDT", "0.01", "0.00001");
    let mut d = Decoder::new(crate::feed::Venue::BinanceSpot);
    for end in 0..SPOT_DEPTH.len() {
        assert!(
            d.decode(&SPOT_DEPTH.as_bytes()[..end], UnixNanos::ZERO, &reg)
                .is_err(),
            "prefix {end}"
        );
    }
}
