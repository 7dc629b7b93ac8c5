//! The sequencing rules on hand-written v2 and v1 frames through [`Books`], with checksums from
//! a reference written here from the documented algorithm (strings, not ticks): snapshots with
//! and without a checksum, a second snapshot, truncation to the depth, a mismatch on one
//! instrument only, a crossed book, updates before a snapshot; and bad input, one clear error
//! each (rstest tables).

#![allow(clippy::unwrap_used)]

use super::Books;
use crate::feed::Venue;
use crate::feed::books::{FeedBooks, Frame, FrameError, FrameKind};
use crate::feed::integrity::IntegrityFault;
use crate::instrument::Registry;
use ladder_sdk::{BookState, InstrumentId, InstrumentSpec, MarketEvent, Side, UnixNanos};
use rstest::rstest;

/// The documented checksum of a book given as `(price, qty)` texts, asks low to high and bids
/// high to low: the top 10 of each, `.` removed, leading zeros stripped, CRC32.
pub(super) fn reference_crc(asks: &[(&str, &str)], bids: &[(&str, &str)]) -> u32 {
    let mut text = String::new();
    for (p, q) in asks.iter().take(10).chain(bids.iter().take(10)) {
        for v in [p, q] {
            let digits: String = v.chars().filter(|&c| c != '.').collect();
            let stripped = digits.trim_start_matches('0');
            text.push_str(if stripped.is_empty() { "0" } else { stripped });
        }
    }
    crc32fast::hash(text.as_bytes())
}

fn levels(l: &[(&str, &str)]) -> String {
    let v: Vec<String> = l
        .iter()
        .map(|(p, q)| format!(r#"{{"price":{p},"qty":{q}}}"#))
        .collect();
    v.join(",")
}

/// A v2 book frame of `symbol`.
pub(super) fn v2(
    kind: &str,
    symbol: &str,
    bids: &[(&str, &str)],
    asks: &[(&str, &str)],
    checksum: Option<u32>,
) -> String {
    let crc = checksum.map_or(String::new(), |c| format!(r#","checksum":{c}"#));
    format!(
        r#"{{"channel":"book","type":"{kind}","data":[{{"symbol":"{symbol}","bids":[{}],"asks":[{}]{crc},"timestamp":"2026-10-06T08:04:56.153890Z"}}]}}"#,
        levels(bids),
        levels(asks)
    )
}

fn ack(symbol: &str, depth: u32) -> String {
    format!(
        r#"{{"method":"subscribe","req_id":1,"result":{{"channel":"book","depth":{depth},"snapshot":true,"symbol":"{symbol}"}},"success":true}}"#
    )
}

struct Harness {
    registry: Registry,
    books: Books,
    events: Vec<MarketEvent>,
    at: u64,
}

impl Harness {
    fn new() -> Self {
        let mut registry = Registry::new();
        for s in ["BTC/USD", "ETH/USD"] {
            let spec = InstrumentSpec::new("0.1".parse().unwrap(), "0.0001".parse().unwrap());
            registry.add(Venue::Kraken, s, spec.unwrap()).unwrap();
        }
        let books = Books::new(&registry);
        Self {
            registry,
            books,
            events: Vec::new(),
            at: 0,
        }
    }

    fn id(&self, symbol: &str) -> InstrumentId {
        self.registry
            .lookup(Venue::Kraken, symbol.as_bytes())
            .unwrap()
            .id
    }

    fn send(&mut self, frame: &str) -> Result<Frame, FrameError> {
        self.at += 1;
        let events = &mut self.events;
        self.books.on_frame(
            &self.registry,
            UnixNanos::from_nanos(self.at),
            frame.as_bytes(),
            &mut |e| events.push(e),
        )
    }

    fn ok(&mut self, frame: &str) -> Frame {
        self.send(frame).unwrap_or_else(|e| panic!("{e}: {frame}"))
    }

    fn state(&self, symbol: &str) -> BookState {
        self.books.view(self.id(symbol)).unwrap().state
    }

    fn sides(&self, symbol: &str) -> (Vec<i64>, Vec<i64>) {
        let v = self.books.view(self.id(symbol)).unwrap();
        let ticks = |s| v.book.levels(s).map(|l| l.price.ticks()).collect();
        (ticks(Side::Buy), ticks(Side::Sell))
    }
}

const BIDS: [(&str, &str); 2] = [("100.0", "1.0000"), ("99.9", "2.5000")];
const ASKS: [(&str, &str); 2] = [("100.1", "0.5000"), ("100.2", "3.0000")];

fn synced(h: &mut Harness, symbol: &str) {
    let crc = reference_crc(&ASKS, &BIDS);
    let f = h.ok(&v2("snapshot", symbol, &BIDS, &ASKS, Some(crc)));
    assert_eq!((f.kind, f.fault), (FrameKind::Snapshot, None));
}

#[test]
fn snapshot_without_checksum_is_accepted_unverified() {
    let mut h = Harness::new();
    h.ok(&v2("snapshot", "BTC/USD", &BIDS, &ASKS, None));
    assert_eq!(h.state("BTC/USD"), BookState::Synced);
    let v = h.books.view(h.id("BTC/USD")).unwrap();
    assert_eq!((v.stats.snapshots, v.stats.checksums), (1, 0));
}

#[test]
fn update_with_the_right_checksum_applies_and_emits_its_levels() {
    let mut h = Harness::new();
    synced(&mut h, "BTC/USD");
    h.events.clear();
    let bids = [("100.0", "1.0000"), ("99.9", "2.5000"), ("99.8", "4.0000")];
    let crc = reference_crc(&ASKS, &bids);
    let f = h.ok(&v2(
        "update",
        "BTC/USD",
        &[("99.8", "4.0000")],
        &[],
        Some(crc),
    ));
    assert_eq!((f.kind, f.fault), (FrameKind::Depth, None));
    assert_eq!(h.sides("BTC/USD").0, [1000, 999, 998]);
    assert!(matches!(
        h.events[..],
        [MarketEvent::BookDelta(d)] if d.last && d.price.ticks() == 998 && d.qty.lots() == 40_000
    ));
}

#[test]
fn second_snapshot_replaces_the_book_without_ghost_levels() {
    let mut h = Harness::new();
    synced(&mut h, "BTC/USD");
    let bids = [("98.0", "1.0000")];
    let asks = [("98.5", "1.0000")];
    let f = h.ok(&v2(
        "snapshot",
        "BTC/USD",
        &bids,
        &asks,
        Some(reference_crc(&asks, &bids)),
    ));
    assert_eq!(f.fault, None);
    assert_eq!(h.sides("BTC/USD"), (vec![980], vec![985]));
    assert_eq!(h.books.view(h.id("BTC/USD")).unwrap().stats.snapshots, 2);
}

#[test]
fn levels_pushed_beyond_the_depth_are_removed_and_passed_on_as_zero() {
    let mut h = Harness::new();
    h.ok(&ack("BTC/USD", 10));
    let bids: Vec<(String, String)> = (0..10)
        .map(|i| (format!("{}.0", 100 - i), "1.0000".to_owned()))
        .collect();
    let b: Vec<(&str, &str)> = bids.iter().map(|(p, q)| (p.as_str(), q.as_str())).collect();
    h.ok(&v2(
        "snapshot",
        "BTC/USD",
        &b,
        &ASKS[..1],
        Some(reference_crc(&ASKS[..1], &b)),
    ));
    // A new bid inside the top 10 pushes 91.0 out; Kraken sends no removal for it.
    h.events.clear();
    let mut model = b.clone();
    model.insert(5, ("95.5", "1.0000"));
    model.truncate(10);
    let f = h.ok(&v2(
        "update",
        "BTC/USD",
        &[("95.5", "1.0000")],
        &[],
        Some(reference_crc(&ASKS[..1], &model)),
    ));
    assert_eq!(f.fault, None, "{:?}", h.sides("BTC/USD"));
    let (bids_now, _) = h.sides("BTC/USD");
    assert_eq!(bids_now.len(), 10);
    assert_eq!(bids_now.last(), Some(&920), "91.0 left the book");
    let removed: Vec<(i64, i64)> = h
        .events
        .iter()
        .filter_map(|e| match e {
            MarketEvent::BookDelta(d) => Some((d.price.ticks(), d.qty.lots())),
            _ => None,
        })
        .collect();
    assert_eq!(removed, [(955, 10_000), (910, 0)]);
}

#[test]
fn checksum_mismatch_is_stale_on_that_instrument_only_and_updates_wait_for_a_snapshot() {
    let mut h = Harness::new();
    synced(&mut h, "BTC/USD");
    synced(&mut h, "ETH/USD");
    let crc = reference_crc(&ASKS, &BIDS);
    let f = h.ok(&v2(
        "update",
        "BTC/USD",
        &[("99.9", "2.5001")],
        &[],
        Some(crc),
    ));
    let Some(IntegrityFault::ChecksumMismatch { expected, .. }) = f.fault.map(|f| f.kind) else {
        panic!("{f:?}");
    };
    assert_eq!(expected, i64::from(crc));
    assert_eq!(h.state("BTC/USD"), BookState::Stale);
    assert!(h.books.needs_snapshot(h.id("BTC/USD")));
    assert_eq!(h.state("ETH/USD"), BookState::Synced);
    // Updates are dropped (not another fault each) until the snapshot.
    let f = h.ok(&v2(
        "update",
        "BTC/USD",
        &[("99.9", "2.5000")],
        &[],
        Some(crc),
    ));
    assert_eq!(f.fault, None);
    let v = h.books.view(h.id("BTC/USD")).unwrap();
    assert_eq!((v.stats.discarded, v.stats.gaps), (1, 1));
    synced(&mut h, "BTC/USD");
    assert_eq!(h.state("BTC/USD"), BookState::Synced);
}

#[test]
fn crossed_book_after_a_complete_message_is_a_fault() {
    let mut h = Harness::new();
    synced(&mut h, "BTC/USD");
    let f = h.ok(&v2("update", "BTC/USD", &[("100.1", "1.0000")], &[], None));
    assert!(matches!(
        f.fault.map(|f| f.kind),
        Some(IntegrityFault::Crossed {
            bid: 1001,
            ask: 1001
        })
    ));
    assert_eq!(h.state("BTC/USD"), BookState::Stale);
}

#[test]
fn update_before_any_snapshot_is_discarded() {
    let mut h = Harness::new();
    let f = h.ok(&v2("update", "BTC/USD", &BIDS, &[], Some(1)));
    assert_eq!(f.fault, None);
    let v = h.books.view(h.id("BTC/USD")).unwrap();
    assert_eq!((v.state, v.stats.discarded), (BookState::Syncing, 1));
    assert!(h.events.is_empty());
}

#[test]
fn v1_update_with_both_sides_and_republish_flag_verifies() {
    let mut h = Harness::new();
    let snap = r#"[1,{"as":[["100.10000","0.50000000","1618678117.1"]],"bs":[["100.00000","1.00000000","1618678117.2"]]},"book-10","XBT/USD"]"#;
    let f = h.send(snap);
    // v1 spells bitcoin XBT: looked up as BTC/USD.
    assert_eq!(f.unwrap().instrument, Some(h.id("BTC/USD")));
    let crc = reference_crc(
        &[("100.10000", "0.75000000")],
        &[("100.00000", "1.00000000"), ("99.90000", "2.00000000")],
    );
    let upd = format!(
        r#"[1,{{"a":[["100.10000","0.75000000","1618678118.1","r"]]}},{{"b":[["99.90000","2.00000000","1618678118.2"]],"c":"{crc}"}},"book-10","XBT/USD"]"#
    );
    let f = h.ok(&upd);
    assert_eq!(f.fault, None);
    assert_eq!(h.books.sequencer(h.id("BTC/USD")).unwrap().verified(), 1);
    assert_eq!(h.books.depth(h.id("BTC/USD")), Some(10));
}

#[rstest]
#[case::truncated_json(
    r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":1"#,
    "truncated JSON"
)]
#[case::another_venues_frame(
    r#"{"stream":"btcusdt@depth","data":{"e":"depthUpdate"}}"#,
    "not a Kraken market-data message"
)]
#[case::unknown_channel(
    r#"{"channel":"bookz","type":"update","data":[]}"#,
    "unknown kraken channel \"bookz\""
)]
#[case::unknown_symbol(
    r#"{"channel":"book","type":"update","data":[{"symbol":"DOGE/USD","bids":[],"asks":[]}]}"#,
    "unknown instrument \"DOGE/USD\""
)]
#[case::off_grid_price(r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":100.05,"qty":1}],"asks":[]}]}"#, "\"BTC/USD\" bids: ")]
#[case::exponent(r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":1e5,"qty":1}],"asks":[]}]}"#, "bids: not a plain decimal number")]
#[case::negative_qty(r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[],"asks":[{"price":100.1,"qty":-1}]}]}"#, "\"BTC/USD\" asks: ")]
#[case::zero_price(r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":0.0,"qty":1}],"asks":[]}]}"#, "\"BTC/USD\" bids: ")]
#[case::checksum_beyond_32_bits(r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[],"asks":[],"checksum":4294967296}]}"#, "kraken checksum 4294967296 is out of range")]
#[case::two_books_in_one_message(
    r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD"},{"symbol":"ETH/USD"}]}"#,
    "2 data objects"
)]
#[case::unknown_type(
    r#"{"channel":"book","type":"delta","data":[{"symbol":"BTC/USD"}]}"#,
    "unknown kraken book type \"delta\""
)]
#[case::error_reply_v2(r#"{"method":"subscribe","error":"Currency pair not supported XYZ/USD","success":false,"symbol":"XYZ/USD"}"#, "kraken replied with an error: \"Currency pair not supported XYZ/USD\"")]
#[case::error_reply_v1(r#"{"errorMessage":"Subscription depth not supported","event":"subscriptionStatus","status":"error"}"#, "kraken replied with an error: \"Subscription depth not supported\"")]
#[case::v1_depth_kraken_does_not_serve(
    r#"[1,{"a":[]},"book-37","XBT/USD"]"#,
    "kraken depth 37 is out of range"
)]
#[case::v1_level_without_volume(
    r#"[1,{"a":[["100.1"]]},"book-10","XBT/USD"]"#,
    "a: not a plain decimal number"
)]
#[case::trade_without_side(r#"{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","price":100.1,"qty":1,"trade_id":5}]}"#, "kraken trade message without its \"side\" field")]
fn bad_input_is_one_clear_error(#[case] frame: &str, #[case] want: &str) {
    let mut h = Harness::new();
    synced(&mut h, "BTC/USD");
    let e = h.send(frame).unwrap_err().to_string();
    assert!(e.contains(want), "{e}");
    assert_eq!(
        h.state("BTC/USD"),
        BookState::Synced,
        "bad input touches no book"
    );
}

#[rstest]
#[case::heartbeat_v2(r#"{"channel":"heartbeat"}"#, FrameKind::Control)]
#[case::status_v2(r#"{"channel":"status","type":"update","data":[{"version":"2.0.10","system":"online","api_version":"v2","connection_id":18239578009413566319}]}"#, FrameKind::Control)]
#[case::pong_v2(
    r#"{"method":"pong","req_id":101,"time_in":"x","time_out":"y"}"#,
    FrameKind::Control
)]
#[case::ticker_v2(
    r#"{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":1}]}"#,
    FrameKind::Ignored
)]
#[case::heartbeat_v1(r#"{"event":"heartbeat"}"#, FrameKind::Control)]
#[case::system_status_v1(r#"{"connectionID":17843232920108168701,"event":"systemStatus","status":"online","version":"1.8.3"}"#, FrameKind::Control)]
#[case::ack_of_another_symbol(r#"{"method":"subscribe","result":{"channel":"book","depth":10,"symbol":"SOL/USD"},"success":true}"#, FrameKind::Control)]
fn control_frames_touch_no_book(#[case] frame: &str, #[case] want: FrameKind) {
    let mut h = Harness::new();
    assert_eq!(h.ok(frame).kind, want);
    assert!(h.events.is_empty());
}

#[test]
fn trades_v2_decode_exactly_with_side_id_and_time() {
    let mut h = Harness::new();
    let f = h.ok(r#"{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"sell","price":45283.5,"qty":0.0010,"ord_type":"limit","trade_id":10218208,"timestamp":"2023-10-06T17:35:55.440295Z"}]}"#);
    assert_eq!(f.kind, FrameKind::Trade);
    let [MarketEvent::Trade(t)] = h.events[..] else {
        panic!("{:?}", h.events);
    };
    assert_eq!((t.price.ticks(), t.qty.lots()), (452_835, 10));
    assert_eq!((t.aggressor, t.trade_id), (Side::Sell, 10_218_208));
    assert_eq!(t.ts_exchange.as_nanos(), 1_696_613_755_440_295_000);
}
