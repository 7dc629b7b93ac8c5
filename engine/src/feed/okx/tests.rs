//! Decoder and books tests: the real recordings of `../shared/vectors/okx/` through the capture
//! pipeline (the 2022 `books` recording: 290/290 checksums; the 2026 `books5` frames), the REST
//! body, and bad input (one clear error each, never a panic).

use super::*;
use crate::capture::grid::build_registry;
use crate::capture::merge::CaptureInput;
use crate::capture::pipeline::Pipeline;
use crate::feed::Venue;
use crate::feed::books::{Discard, FeedBooks, FrameKind};
use crate::instrument::Registry;
use crate::testutil::shared;
use ladder_sdk::{BookState, InstrumentSpec, MarketEvent, Side, UnixNanos};
use rstest::rstest;
use rust_decimal::Decimal;
use std::path::Path;

/// A registry of `okx` instruments with the given `(symbol, tick, lot)`.
pub(super) fn registry(insts: &[(&str, &str, &str)]) -> Registry {
    let mut r = Registry::new();
    for (sym, tick, lot) in insts {
        let spec = InstrumentSpec::new(tick.parse().unwrap(), lot.parse().unwrap()).unwrap();
        r.add(Venue::Okx, sym, spec).unwrap();
    }
    r
}

/// A cryptofeed `*.ws.*` recording as ladder capture text: received lines
/// (`<unix_ts>: <json>`) only, the fractional seconds turned into exact nanoseconds.
pub(super) fn cryptofeed_capture(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        let Some((ts, frame)) = line.split_once(": ") else {
            continue;
        };
        let Some((secs, frac)) = ts.split_once('.') else {
            continue;
        };
        if !secs.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let frac: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
        let ns = secs.parse::<u64>().unwrap() * 1_000_000_000 + frac.parse::<u64>().unwrap();
        out.push_str(&format!("{ns} {frame}\n"));
    }
    out
}

struct Run {
    registry: Registry,
    pipeline: Pipeline,
    events: Vec<MarketEvent>,
}

fn run(capture: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("okx.txt");
    std::fs::write(&path, capture).unwrap();
    let inputs = [CaptureInput {
        path,
        venue: Venue::Okx,
    }];
    let (registry, _) = build_registry(&inputs, &[], None).unwrap();
    let mut pipeline = Pipeline::open(&inputs, &registry).unwrap();
    let mut events = Vec::new();
    pipeline.run(&registry, &mut |e| events.push(e));
    Run {
        registry,
        pipeline,
        events,
    }
}

fn recording_2022() -> Option<String> {
    shared("vectors/okx/cryptofeed_OKX.ws.1.0").map(|p| cryptofeed_capture(&p))
}

#[test]
fn recording_2022_books_all_290_checksums_match_and_every_book_syncs() {
    let Some(capture) = recording_2022() else {
        return;
    };
    let r = run(&capture);
    assert_eq!(r.pipeline.parse_errors(), 0);
    assert_eq!(r.pipeline.gaps(), 0);
    let mut total = SyncStats::default();
    for sym in ["BTC-USDT", "BTC-USD-220527", "UNI-USD-SWAP"] {
        let id = r.registry.lookup(Venue::Okx, sym.as_bytes()).unwrap().id;
        let v = r.pipeline.books().view(id).unwrap();
        assert_eq!(v.state, BookState::Synced, "{sym}");
        assert_eq!(v.stats.snapshots, 1, "{sym}");
        assert_eq!(v.stats.checksums, v.stats.applied + 1, "{sym}");
        assert!(!v.book.is_crossed() && !v.book.is_locked(), "{sym}");
        total.add(&v.stats);
    }
    assert_eq!((total.snapshots, total.applied), (3, 287));
    assert_eq!(total.checksums, 290);
    assert_eq!(total.faults.checksum_mismatch, 0);
    let trades = r
        .events
        .iter()
        .filter(|e| matches!(e, MarketEvent::Trade(_)))
        .count();
    assert_eq!(trades, 74);
}

#[test]
fn recording_2022_with_one_size_changed_is_a_checksum_mismatch_and_stale() {
    let Some(capture) = recording_2022() else {
        return;
    };
    // The 40th update of UNI-USD-SWAP: its first ask's size one lot larger.
    let mut seen = 0;
    let lines: Vec<String> = capture
        .lines()
        .map(|l| {
            if l.contains(r#""channel":"books","instId":"UNI-USD-SWAP"},"action":"update""#) {
                seen += 1;
                if seen == 40 {
                    let at = l.find(r#""asks":[[""#).unwrap() + 10;
                    let px_end = at + l[at..].find('"').unwrap();
                    let sz_start = px_end + 3;
                    let sz_end = sz_start + l[sz_start..].find('"').unwrap();
                    let sz: u64 = l[sz_start..sz_end].parse().unwrap();
                    return format!("{}{}{}", &l[..sz_start], sz + 1, &l[sz_end..]);
                }
            }
            l.to_owned()
        })
        .collect();
    let r = run(&(lines.join("\n") + "\n"));
    let uni = r.registry.lookup(Venue::Okx, b"UNI-USD-SWAP").unwrap().id;
    let v = r.pipeline.books().view(uni).unwrap();
    assert_eq!(v.stats.faults.checksum_mismatch, 1);
    assert_eq!(v.stats.gaps, 1);
    assert_eq!(v.state, BookState::Stale);
    // The stale status is emitted with the checksum reason; the other books are untouched.
    assert!(r.events.iter().any(|e| matches!(e,
        MarketEvent::Status(s) if s.instrument == uni
            && s.reason == Some(ladder_sdk::StaleReason::ChecksumMismatch))));
    assert_eq!(r.pipeline.gaps(), 1);
}

#[test]
fn ccxt_books5_frames_decode_as_full_images_with_rising_seq_ids() {
    let Some(path) = shared("vectors/okx/capture_ccxt_books5_trades_20260812.txt") else {
        return;
    };
    let r = run(&std::fs::read_to_string(path).unwrap());
    assert_eq!(r.pipeline.parse_errors(), 0);
    let swap = r.registry.lookup(Venue::Okx, b"BTC-USDT-SWAP").unwrap();
    let v = r.pipeline.books().view(swap.id).unwrap();
    assert_eq!((v.stats.snapshots, v.stats.gaps), (2, 0));
    assert_eq!(v.state, BookState::Synced);
    assert_eq!(v.last_update_id, Some(333_794_734_996));
    assert_eq!((v.book.len(Side::Buy), v.book.len(Side::Sell)), (5, 5));
    let spec = &swap.spec;
    let best = v.book.best_bid().unwrap();
    assert_eq!(spec.price_to_decimal(best.price), Decimal::new(639_214, 1));
    // The second image replaced the first: 63921.3 left, 63920 came in.
    let bids: Vec<Decimal> = v
        .book
        .levels(Side::Buy)
        .map(|l| spec.price_to_decimal(l.price))
        .collect();
    assert_eq!(bids.last(), Some(&Decimal::new(63_920, 0)));
    assert!(!bids.contains(&Decimal::new(639_213, 1)));
    let snapshots: Vec<u64> = r
        .events
        .iter()
        .filter_map(|e| match e {
            MarketEvent::SnapshotBegin(m) => Some(m.update_id),
            _ => None,
        })
        .collect();
    assert_eq!(snapshots, [333_794_734_980, 333_794_734_996]);
    let trades: Vec<_> = r
        .events
        .iter()
        .filter_map(|e| match e {
            MarketEvent::Trade(t) => Some(t),
            _ => None,
        })
        .collect();
    assert_eq!(trades.len(), 4);
    assert_eq!(trades[1].aggressor, Side::Sell);
    assert_eq!(trades[1].trade_id, 2_832_749_645);
    assert_eq!(
        trades[1].ts_exchange,
        UnixNanos::from_millis(1_786_540_436_090)
    );
}

const SUB_ACK: &str =
    r#"{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"a4d3ae55"}"#;
const SNAP: &str = r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["100.2","1","0","1"]],"bids":[["100.1","2","0","1"]],"ts":"1","checksum":0,"prevSeqId":-1,"seqId":10}]}"#;

#[rstest]
#[case::truncated_json(&SNAP[..80], "truncated JSON")]
#[case::binance_frame(
    r#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}}"#,
    "not an OKX market-data message"
)]
#[case::unknown_channel(
    r#"{"arg":{"channel":"books-fancy","instId":"BTC-USDT"},"data":[{}]}"#,
    "unknown okx channel \"books-fancy\""
)]
#[case::unknown_instrument(
    r#"{"arg":{"channel":"books","instId":"ETH-USDT"},"action":"snapshot","data":[{"asks":[],"bids":[],"ts":"1","prevSeqId":-1,"seqId":1}]}"#,
    "unknown instrument \"ETH-USDT\""
)]
#[case::price_off_grid(
    r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["100.25","1","0","1"]],"bids":[],"ts":"1","prevSeqId":10,"seqId":11}]}"#,
    "\"BTC-USDT\" asks: value 100.25 is off the grid of 0.1"
)]
#[case::negative_size(
    r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],"bids":[["100.1","-1","0","1"]],"ts":"1","prevSeqId":10,"seqId":11}]}"#,
    "\"BTC-USDT\" bids"
)]
#[case::subscribe_error(
    r#"{"event":"error","code":"60012","msg":"Invalid request: {\"op\": \"subscribe\"}"}"#,
    r#"okx replied with error code 60012: "Invalid request: {\"op\": \"subscribe\"}""#
)]
#[case::subscribe_error_plain(
    r#"{"event":"error","code":"60018","msg":"Wrong URL or channel:books, instId:FOO-BAR doesn't exist"}"#,
    "okx replied with error code 60018: \"Wrong URL or channel:books, instId:FOO-BAR doesn't exist\""
)]
#[case::negative_seq_id(
    r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],"bids":[],"ts":"1","prevSeqId":-1,"seqId":11}]}"#,
    "okx prevSeqId -1 is out of range"
)]
#[case::checksum_beyond_32_bits(
    r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],"bids":[],"ts":"1","checksum":4294967296,"prevSeqId":10,"seqId":11}]}"#,
    "okx checksum 4294967296 is out of range"
)]
#[case::update_without_prev_seq_id(
    r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],"bids":[],"ts":"1","seqId":11}]}"#,
    "okx books message without its \"prevSeqId\" field"
)]
#[case::unknown_action(
    r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"partial","data":[{"asks":[],"bids":[],"ts":"1"}]}"#,
    "unknown okx book action \"partial\" (expected snapshot or update)"
)]
#[case::missing_action(
    r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"data":[{"asks":[],"bids":[],"ts":"1"}]}"#,
    "okx books message without its \"action\" field"
)]
#[case::two_data_objects(
    r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],"bids":[]},{"asks":[],"bids":[]}]}"#,
    "okx book message with 2 data objects"
)]
#[case::rest_error(
    r#"{"code":"51001","msg":"Instrument ID does not exist","data":[]}"#,
    "okx replied with error code 51001: \"Instrument ID does not exist\""
)]
#[case::trade_without_side(
    r#"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"1","px":"100.1","sz":"1","ts":"1"}]}"#,
    "okx trades message without its \"side\" field"
)]
fn bad_frames_are_one_clear_error_naming_what_is_wrong(#[case] frame: &str, #[case] want: &str) {
    let reg = registry(&[("BTC-USDT", "0.1", "1")]);
    let mut books = Books::new(&reg);
    let err = books
        .on_frame(&reg, UnixNanos::ZERO, frame.as_bytes(), &mut Discard)
        .unwrap_err()
        .to_string();
    assert!(err.contains(want), "{err}");
}

#[test]
fn controls_pong_and_ignored_channels_are_not_errors() {
    let reg = registry(&[("BTC-USDT", "0.1", "1")]);
    let mut books = Books::new(&reg);
    let kind = |books: &mut Books, f: &str| {
        books
            .on_frame(&reg, UnixNanos::ZERO, f.as_bytes(), &mut Discard)
            .unwrap()
            .kind
    };
    assert_eq!(kind(&mut books, SUB_ACK), FrameKind::Control);
    assert_eq!(kind(&mut books, "pong"), FrameKind::Control);
    let ticker = r#"{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","last":"1"}]}"#;
    assert_eq!(kind(&mut books, ticker), FrameKind::Ignored);
    let notice = r#"{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade."}"#;
    assert_eq!(kind(&mut books, notice), FrameKind::Shutdown);
}

const REST_BODY: &str = r#"{"code":"0","msg":"","data":[{"asks":[["100.3","1","0","1"]],"bids":[["100.0","4","0","2"]],"ts":"1629966436396","seqId":20}]}"#;

fn update(prev: u64, seq: u64, bid: &str) -> String {
    format!(
        r#"{{"arg":{{"channel":"books","instId":"BTC-USDT"}},"action":"update","data":[{{"asks":[],"bids":[["{bid}","1","0","1"]],"ts":"2","checksum":0,"prevSeqId":{prev},"seqId":{seq}}}]}}"#
    )
}

#[test]
fn rest_body_joins_buffered_updates_through_on_snapshot_body() {
    let reg = registry(&[("BTC-USDT", "0.1", "1"), ("ETH-USDT", "0.01", "1")]);
    let btc = reg.lookup(Venue::Okx, b"BTC-USDT").unwrap().id;
    let mut books = Books::new(&reg);
    let mut events = Vec::new();
    // No WebSocket snapshot: updates wait, the first two are covered by the REST snapshot.
    for (prev, seq, bid) in [(15, 18, "99.1"), (18, 20, "99.2"), (20, 26, "99.3")] {
        let f = books
            .on_frame(
                &reg,
                UnixNanos::ZERO,
                update(prev, seq, bid).as_bytes(),
                &mut |e| events.push(e),
            )
            .unwrap();
        assert_eq!((f.kind, f.fault), (FrameKind::Depth, None));
    }
    assert!(books.needs_snapshot(btc) && books.has_pending(btc));
    assert!(events.is_empty(), "nothing is emitted before the join");
    let f = books
        .on_snapshot_body(&reg, btc, UnixNanos::ZERO, REST_BODY.as_bytes(), &mut |e| {
            events.push(e)
        })
        .unwrap();
    assert_eq!(
        (f.kind, f.fault, f.instrument),
        (FrameKind::Snapshot, None, Some(btc))
    );
    let v = books.view(btc).unwrap();
    assert_eq!((v.state, v.last_update_id), (BookState::Synced, Some(26)));
    assert_eq!((v.stats.dropped_stale, v.stats.applied), (2, 1));
    assert_eq!(
        v.book.len(Side::Buy),
        2,
        "100.0 from the body, 99.3 from the update"
    );
    assert!(!books.has_pending(btc));
    assert!(matches!(events[0], MarketEvent::SnapshotBegin(m) if m.update_id == 20));
    // A frame that is not an order-book body is refused, and so is another instrument's body.
    let err = books
        .on_snapshot_body(&reg, btc, UnixNanos::ZERO, SNAP.as_bytes(), &mut Discard)
        .unwrap_err();
    assert!(
        err.to_string().contains("not an OKX market-data message"),
        "{err}"
    );
}

#[test]
fn rest_body_as_a_capture_line_finds_its_one_waiting_instrument() {
    let capture = [
        SUB_ACK.to_owned(),
        update(15, 18, "99.1"),
        update(18, 25, "99.2"),
        REST_BODY.to_owned(),
        update(25, 31, "99.4"),
    ]
    .iter()
    .enumerate()
    .map(|(i, f)| format!("{} {f}\n", 1_000 + i))
    .collect::<String>();
    let r = run(&capture);
    assert_eq!(r.pipeline.parse_errors(), 0);
    let id = r.registry.lookup(Venue::Okx, b"BTC-USDT").unwrap().id;
    let v = r.pipeline.books().view(id).unwrap();
    assert_eq!(
        (v.state, v.last_update_id, v.stats.gaps),
        (BookState::Synced, Some(31), 0)
    );
    // 15..18 is covered by the body at 20; 18..25 brackets it; 25..31 chains.
    assert_eq!((v.stats.dropped_stale, v.stats.applied), (1, 2));
}

#[test]
fn full_image_of_an_incrementally_built_book_is_a_bbo_not_a_new_book() {
    let reg = registry(&[("BTC-USDT", "0.1", "1")]);
    let id = reg.lookup(Venue::Okx, b"BTC-USDT").unwrap().id;
    let mut books = Books::new(&reg);
    books
        .on_frame(&reg, UnixNanos::ZERO, SNAP.as_bytes(), &mut Discard)
        .unwrap();
    let bbo = r#"{"arg":{"channel":"bbo-tbt","instId":"BTC-USDT"},"data":[{"asks":[["100.2","1","0","1"]],"bids":[["100.1","2","0","1"]],"ts":"3","seqId":10}]}"#;
    let mut events = Vec::new();
    let f = books
        .on_frame(&reg, UnixNanos::ZERO, bbo.as_bytes(), &mut |e| {
            events.push(e)
        })
        .unwrap();
    assert!(matches!(f.kind, FrameKind::Bbo(b) if b.update_id == 10 && b.bid_qty.lots() == 2));
    assert!(matches!(events[..], [MarketEvent::Bbo(_)]));
    assert_eq!(books.view(id).unwrap().stats.snapshots, 1);
}

#[test]
fn sniff_tells_okx_book_and_trade_frames_and_nothing_else() {
    assert_eq!(probe::sniff(SNAP.as_bytes()), Some(Venue::Okx));
    assert_eq!(Venue::sniff(SNAP.as_bytes()), Some(Venue::Okx));
    assert_eq!(probe::sniff(SUB_ACK.as_bytes()), None);
    let binance = br#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}"#;
    assert_eq!(probe::sniff(binance), None);
    assert_eq!(Venue::sniff(binance), Some(Venue::BinanceSpot));
}

#[test]
fn probe_reads_instrument_and_values_and_a_rest_body_names_none() {
    let mut p = probe::Probe::default();
    assert_eq!(p.read(SNAP.as_bytes()), Some(Some(&b"BTC-USDT"[..])));
    assert_eq!(p.values().len(), 2);
    assert_eq!(p.read(REST_BODY.as_bytes()), Some(None));
    assert_eq!(p.values().len(), 2);
    assert_eq!(p.read(SUB_ACK.as_bytes()), None);
}
