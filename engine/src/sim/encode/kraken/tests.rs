//! Kraken frames against the docs' checksum example, the recorded shapes, and Kraken's own
//! books (`feed/kraken`), which verify every checksum the encoder writes.

use super::super::{BookFault, BookMsg, Sides, SymbolWire, Tick, TradePrint};
use super::*;
use crate::feed::books::{Discard, FeedBooks};
use crate::feed::integrity::IntegrityFault;
use crate::feed::{Venue, kraken as feed};
use crate::instrument::Registry;
use ladder_sdk::{InstrumentId, Side, UnixNanos};

fn wire(name: &str, tick: &str, lot: &str) -> SymbolWire {
    let s = SimSymbol::new(name, tick.parse().unwrap(), lot.parse().unwrap(), 1.into()).unwrap();
    Kraken.symbol_wire(&s, &s.spec().unwrap()).unwrap()
}

/// The v2 doc example (`docs/venues.md` §5.3): BTC/USD, price precision 1, qty 8.
const DOC_ASKS: [(i64, i64); 10] = [
    (452_852, 100_000),
    (452_864, 154_571_953),
    (452_866, 154_571_109),
    (452_896, 154_560_911),
    (452_902, 15_890_660),
    (452_918, 154_553_491),
    (452_947, 4_454_749),
    (452_961, 35_380_000),
    (452_975, 9_945_542),
    (452_995, 18_772_827),
];
const DOC_BIDS: [(i64, i64); 10] = [
    (452_835, 10_000_000),
    (452_834, 154_582_015),
    (452_821, 10_000_000),
    (452_810, 10_000_000),
    (452_803, 154_592_586),
    (452_790, 7_990_000),
    (452_776, 3_310_103),
    (452_775, 30_000_000),
    (452_773, 154_602_737),
    (452_766, 15_445_238),
];

#[test]
fn checksum_reproduces_the_docs_v2_example() {
    let w = wire("BTC/USD", "0.1", "0.00000001");
    let book = Sides {
        bids: &DOC_BIDS,
        asks: &DOC_ASKS,
    };
    assert_eq!(wire::checksum(&w.fmt, book), 3_310_070_434);
}

fn msg<'a>(depth: u16, snapshot: bool, levels: Sides<'a>, image: Sides<'a>) -> BookMsg<'a> {
    BookMsg {
        topic: *TOPICS.iter().find(|t| t.depth == depth).unwrap(),
        snapshot,
        levels,
        image,
        seq: 1,
        prev: (!snapshot).then_some(0),
        model_id: 1,
        event_ms: 1_696_613_755_440,
        engine_ms: 1_696_613_755_440,
        fault: None,
    }
}

#[test]
fn book_snapshot_has_the_docs_shape_with_the_pairs_precision() {
    let w = wire("BTC/USD", "0.1", "0.00000001");
    let image = Sides {
        bids: &DOC_BIDS[..1],
        asks: &DOC_ASKS[..1],
    };
    let f = Kraken.book(&w, &msg(10, true, image, image));
    let sum = wire::checksum(&w.fmt, image);
    assert_eq!(
        f.raw(),
        format!(
            r#"{{"channel":"book","type":"snapshot","data":[{{"symbol":"BTC/USD","bids":[{{"price":45283.5,"qty":0.10000000}}],"asks":[{{"price":45285.2,"qty":0.00100000}}],"checksum":{sum},"timestamp":"2023-10-06T17:35:55.440000Z"}}]}}"#
        )
    );
    assert_eq!(Venue::sniff(f.raw().as_bytes()), Some(Venue::Kraken));
}

#[test]
fn trade_has_the_docs_shape_and_the_takers_side() {
    let w = wire("BTC/USD", "0.1", "0.00000001");
    let t = TradePrint {
        event_ms: 1_696_613_755_440,
        trade_ms: 1_696_613_755_440,
        id: 10_218_208,
        price: 452_835,
        qty: 100_000,
        buyer_is_maker: true,
        seq: 1,
        tick: Tick::Minus,
    };
    assert_eq!(
        Kraken.trade(&w, &t).raw(),
        r#"{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"sell","price":45283.5,"qty":0.00100000,"ord_type":"limit","trade_id":10218208,"timestamp":"2023-10-06T17:35:55.440000Z"}]}"#
    );
}

/// Kraken's books of one BTC/USD instrument truncated at `depth`.
fn books(depth: u32) -> (Registry, feed::Books, InstrumentId) {
    let mut r = Registry::new();
    let s = Kraken.preset("BTC/USD").unwrap();
    let id = r.add(Venue::Kraken, "BTC/USD", s.spec().unwrap()).unwrap();
    let mut b = feed::Books::new(&r);
    b.set_depth(id, depth);
    (r, b, id)
}

#[test]
fn update_leaves_out_levels_that_fell_out_of_the_depth_and_the_books_verify_it() {
    let w = wire("BTC/USD", "0.1", "0.00000001");
    let (registry, mut b, id) = books(10);
    let old = Sides {
        bids: &DOC_BIDS,
        asks: &DOC_ASKS,
    };
    let snap = Kraken.book(&w, &msg(10, true, old, old));
    let f = b
        .on_frame(
            &registry,
            UnixNanos::from_nanos(1),
            snap.raw().as_bytes(),
            &mut Discard,
        )
        .unwrap();
    assert_eq!(f.fault, None);
    // A better bid enters (the 10th bid falls out of depth 10); the 3rd ask is deleted and
    // the 11th ask comes in.
    let mut bids = vec![(452_840, 5)];
    bids.extend_from_slice(&DOC_BIDS[..9]);
    let mut asks: Vec<(i64, i64)> = DOC_ASKS.to_vec();
    asks.remove(2);
    asks.push((453_000, 7));
    let image = Sides {
        bids: &bids,
        asks: &asks,
    };
    let changed = Sides {
        bids: &[(452_840, 5), (452_766, 0)],
        asks: &[(452_866, 0), (453_000, 7)],
    };
    let update = Kraken.book(&w, &msg(10, false, changed, image));
    let text = update.raw();
    assert!(
        !text.contains("45276.6"),
        "fell out of depth, not sent: {text}"
    );
    assert!(
        text.contains(r#"{"price":45286.6,"qty":0.00000000}"#),
        "{text}"
    );
    let f = b
        .on_frame(
            &registry,
            UnixNanos::from_nanos(2),
            text.as_bytes(),
            &mut Discard,
        )
        .unwrap();
    assert_eq!(f.fault, None, "{text}");
    let seq = b.sequencer(id).unwrap();
    assert_eq!(seq.verified(), 2);
    let got: Vec<(i64, i64)> = seq
        .book()
        .levels(Side::Buy)
        .map(|l| (l.price.ticks(), l.qty.lots()))
        .collect();
    assert_eq!(got, bids);
}

#[test]
fn bad_checksum_fault_is_a_mismatch_in_kraken_books() {
    let w = wire("BTC/USD", "0.1", "0.00000001");
    let (registry, mut b, _) = books(25);
    let image = Sides {
        bids: &DOC_BIDS,
        asks: &DOC_ASKS,
    };
    let snap = Kraken.book(&w, &msg(25, true, image, image));
    b.on_frame(
        &registry,
        UnixNanos::from_nanos(1),
        snap.raw().as_bytes(),
        &mut Discard,
    )
    .unwrap();
    let changed = Sides {
        bids: &[],
        asks: &[],
    };
    let bad = BookMsg {
        fault: Some(BookFault::BadChecksum),
        ..msg(25, false, changed, image)
    };
    let frame = Kraken.book(&w, &bad);
    let f = b
        .on_frame(
            &registry,
            UnixNanos::from_nanos(2),
            frame.raw().as_bytes(),
            &mut Discard,
        )
        .unwrap();
    assert!(
        matches!(
            f.fault.map(|f| f.kind),
            Some(IntegrityFault::ChecksumMismatch { computed, .. }) if computed == i64::from(3_310_070_434_u32)
        ),
        "{f:?}"
    );
}

#[rstest::rstest]
#[case::book_25("book.25.BTC/USD", Ok(("BTC/USD", 25)))]
#[case::book_1000("book.1000.ETH/USD", Ok(("ETH/USD", 1000)))]
#[case::depth_50("book.50.BTC/USD", Err("Unsupported depth 50"))]
#[case::not_a_channel("ticker.BTC/USD", Err("invalid subscription \"ticker.BTC/USD\""))]
fn parse_stream_reads_book_depths_kraken_serves(
    #[case] name: &str,
    #[case] want: Result<(&str, u16), &str>,
) {
    let got = Kraken.parse_stream(name).map(|(s, k)| match k {
        StreamKind::Book(t) => (s, t.depth),
        other => panic!("{other:?}"),
    });
    assert_eq!(got, want.map_err(str::to_owned));
}

#[test]
fn custom_pairs_split_at_the_slash_and_write_their_own_precision() {
    let s = SimSymbol::parse_for(Venue::Kraken, "PEPE/USD:0.00000001:1:1").unwrap();
    assert_eq!(
        (s.base_asset.as_str(), s.quote_asset.as_str()),
        ("PEPE", "USD")
    );
    let w = Kraken.symbol_wire(&s, &s.spec().unwrap()).unwrap();
    assert_eq!(w.fmt.price_text(1_234), "0.00001234");
    assert!(SimSymbol::parse_for(Venue::Kraken, "A/B/C:0.1:1:1").is_err());
}
