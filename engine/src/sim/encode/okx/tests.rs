//! OKX frames against the recorded lines and the docs' checksum examples.

use super::super::{AggIds, BookFault, BookMsg, Sides, SymbolWire, Tick, TradePrint};
use super::*;
use crate::feed::Venue;

fn wire(name: &str, tick: &str, lot: &str) -> SymbolWire {
    let s = SimSymbol::new(name, tick.parse().unwrap(), lot.parse().unwrap(), 1.into()).unwrap();
    Okx.symbol_wire(&s, &s.spec().unwrap()).unwrap()
}

#[test]
fn trades_is_the_recorded_line() {
    // capture_ccxt_books5_trades_20260812: the first BTC-USDT trade.
    let w = wire("BTC-USDT", "0.1", "0.00000001");
    let t = TradePrint {
        event_ms: 1_786_538_760_218,
        trade_ms: 1_786_538_760_218,
        id: 9,
        price: 640_402,
        qty: 240_857,
        buyer_is_maker: false,
        seq: 79_706_765_242,
        tick: Tick::Plus,
    };
    let ids = AggIds {
        first: 1_040_968_612,
        last: 1_040_968_613,
    };
    let f = Okx.trades(&w, &t, ids);
    assert_eq!(
        f.raw(),
        r#"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"1040968613","px":"64040.2","sz":"0.00240857","side":"buy","ts":"1786538760218","count":"2","source":"0","seqId":79706765242}]}"#
    );
    assert_eq!(Venue::sniff(f.raw().as_bytes()), Some(Venue::Okx));
}

#[test]
fn checksum_matches_the_docs_examples() {
    let w = wire("BTC-USDT", "0.1", "1");
    let book = Sides {
        bids: &[(33_661, 7), (33_660, 6)],
        asks: &[(33_668, 9), (33_680, 8)],
    };
    assert_eq!(wire::checksum(&w.fmt, book), -1_881_014_294);
    let one_bid = Sides {
        bids: &[(33_661, 7)],
        asks: &[(33_668, 9), (33_680, 8), (33_720, 8)],
    };
    assert_eq!(wire::checksum(&w.fmt, one_bid), 831_078_360);
}

fn msg<'a>(topic: BookTopic, levels: Sides<'a>, prev: Option<u64>) -> BookMsg<'a> {
    BookMsg {
        topic,
        snapshot: prev.is_none(),
        levels,
        image: levels,
        seq: 123_456,
        prev,
        model_id: 123_456,
        event_ms: 1_597_026_383_085,
        engine_ms: 1_597_026_383_085,
        fault: None,
    }
}

#[test]
fn books_snapshot_and_update_have_the_docs_shape_and_chain() {
    let w = wire("BTC-USDT", "0.01", "1");
    let levels = Sides {
        bids: &[(847_697, 256)],
        asks: &[(847_698, 415)],
    };
    let sum = wire::checksum(&w.fmt, levels);
    assert_ne!(sum, 0);
    let books = CHANNELS[3].1;
    let f = Okx.book(&w, &msg(books, levels, None));
    assert_eq!(
        f.raw(),
        format!(
            r#"{{"arg":{{"channel":"books","instId":"BTC-USDT"}},"action":"snapshot","data":[{{"asks":[["8476.98","415","0","1"]],"bids":[["8476.97","256","0","1"]],"ts":"1597026383085","checksum":{sum},"prevSeqId":-1,"seqId":123456}}]}}"#
        )
    );
    let gone = Sides {
        bids: &[(847_697, 0)],
        asks: &[],
    };
    let update = BookMsg {
        image: Sides {
            bids: &[],
            asks: levels.asks,
        },
        ..msg(books, gone, Some(123_400))
    };
    let raw = Okx.book(&w, &update).raw().to_owned();
    assert!(
        raw.starts_with(
            r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],"bids":[["8476.97","0","0","0"]],"ts":"1597026383085","checksum":"#
        ),
        "{raw}"
    );
    assert!(
        raw.ends_with(r#","prevSeqId":123400,"seqId":123456}]}"#),
        "{raw}"
    );
}

#[test]
fn venue_faults_write_a_wrong_checksum_or_a_broken_prev_seq_id() {
    let w = wire("BTC-USDT", "0.01", "1");
    let levels = Sides {
        bids: &[(847_697, 256)],
        asks: &[(847_698, 415)],
    };
    let sum = wire::checksum(&w.fmt, levels);
    let books = CHANNELS[3].1;
    let bad = BookMsg {
        fault: Some(BookFault::BadChecksum),
        ..msg(books, levels, Some(123_400))
    };
    let raw = Okx.book(&w, &bad).raw().to_owned();
    assert!(
        raw.contains(&format!(r#""checksum":{},"#, sum ^ 1)),
        "{raw}"
    );
    assert!(raw.contains(r#""prevSeqId":123400,"#), "{raw}");
    let broken = BookMsg {
        fault: Some(BookFault::SeqBreak),
        ..msg(books, levels, Some(123_400))
    };
    let raw = Okx.book(&w, &broken).raw().to_owned();
    assert!(
        raw.contains(&format!(r#""checksum":{sum},"prevSeqId":123399,"#)),
        "{raw}"
    );
}

#[test]
fn books5_and_bbo_tbt_are_full_images_without_action_or_checksum() {
    // capture_ccxt_books5_trades_20260812: the books5 shape (numOrders aside).
    let w = wire("BTC-USDT-SWAP", "0.1", "0.01");
    let levels = Sides {
        bids: &[(639_214, 42_193)],
        asks: &[(639_215, 79_041)],
    };
    let m = BookMsg {
        seq: 333_794_734_980,
        event_ms: 1_786_541_241_006,
        ..msg(CHANNELS[1].1, levels, Some(1))
    };
    assert_eq!(
        Okx.book(&w, &m).raw(),
        r#"{"arg":{"channel":"books5","instId":"BTC-USDT-SWAP"},"data":[{"asks":[["63921.5","790.41","0","1"]],"bids":[["63921.4","421.93","0","1"]],"instId":"BTC-USDT-SWAP","ts":"1786541241006","seqId":333794734980}]}"#
    );
    let bbo = BookMsg {
        topic: CHANNELS[0].1,
        ..m
    };
    assert_eq!(
        Okx.book(&w, &bbo).raw(),
        r#"{"arg":{"channel":"bbo-tbt","instId":"BTC-USDT-SWAP"},"data":[{"asks":[["63921.5","790.41","0","1"]],"bids":[["63921.4","421.93","0","1"]],"ts":"1786541241006","seqId":333794734980}]}"#
    );
}

#[test]
fn channels_parse_and_paths_are_the_public_one() {
    assert_eq!(
        Okx.parse_stream("books:BTC-USDT"),
        Ok(("BTC-USDT", StreamKind::Book(CHANNELS[3].1)))
    );
    assert_eq!(
        Okx.parse_stream("trades:BTC-USDT-SWAP"),
        Ok(("BTC-USDT-SWAP", StreamKind::AggTrade))
    );
    assert!(Okx.parse_stream("tickers:BTC-USDT").is_err());
    assert!(Okx.ws_route("/ws/v5/public", None).is_ok());
    assert!(Okx.ws_route("/ws/v5/business", None).is_err());
    let swap = Okx.preset("btc-usdt-swap").unwrap();
    assert_eq!(
        (swap.base_asset.as_str(), swap.quote_asset.as_str()),
        ("BTC", "USDT")
    );
}
