//! The Kraken vectors through [`Books`]: the v1 depth-1000 recording (XMR/USD, XBT/CHF) verifies
//! 1135/1135 checksums, the v2 BTC/USD recordings verify every checksum (one with a second
//! snapshot), one digit changed is a mismatch on that instrument only, and the v1 trades parse.

#![allow(clippy::unwrap_used)]

use super::Books;
use crate::feed::Venue;
use crate::feed::books::{FeedBooks, Frame, FrameKind};
use crate::feed::integrity::IntegrityFault;
use crate::instrument::Registry;
use crate::testutil::shared;
use ladder_sdk::{BookState, InstrumentSpec, MarketEvent, Side, UnixNanos};
use std::path::Path;

fn registry(pairs: &[(&str, &str, &str)]) -> Registry {
    let mut r = Registry::new();
    for (symbol, tick, lot) in pairs {
        let spec = InstrumentSpec::new(tick.parse().unwrap(), lot.parse().unwrap()).unwrap();
        r.add(Venue::Kraken, symbol, spec).unwrap();
    }
    r
}

/// The received frames of a cryptofeed `*.ws.*` recording.
fn cryptofeed_frames(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("wss://"))
        .filter_map(|l| l.split_once(": ").map(|(_, f)| f.to_owned()))
        .collect()
}

/// The frames of a ladder capture (`<ts_ns> <frame>`).
fn capture_frames(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(_, f)| f.to_owned()))
        .collect()
}

/// Feeds every frame; returns each frame's outcome (errors fail the test).
fn run(books: &mut Books, registry: &Registry, frames: &[String]) -> Vec<Frame> {
    frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let ts = UnixNanos::from_nanos(i as u64);
            books
                .on_frame(registry, ts, f.as_bytes(), &mut |_: MarketEvent| {})
                .unwrap_or_else(|e| panic!("frame {i}: {e}\n{f}"))
        })
        .collect()
}

fn v1_book() -> Option<(Registry, Vec<String>)> {
    let path = shared("vectors/kraken/cryptofeed_KRAKEN.ws.50.0_XMRUSD_XBTCHF.txt")?;
    // Kraken's pair precisions in 2021: XMR/USD 2 price decimals, XBT/CHF 1; 8 for volumes.
    // The v1 wire writes them with 8 and 5 price decimals: the checksum uses the wire's.
    let r = registry(&[
        ("XMR/USD", "0.01", "0.00000001"),
        ("XBT/CHF", "0.1", "0.00000001"),
    ]);
    Some((r, cryptofeed_frames(&path)))
}

#[test]
fn v1_recording_verifies_1135_of_1135_checksums_at_depth_1000() {
    let Some((r, frames)) = v1_book() else {
        return;
    };
    let mut books = Books::new(&r);
    let out = run(&mut books, &r, &frames);
    assert!(out.iter().all(|f| f.fault.is_none()));
    let mut total = 0;
    for (symbol, want) in [("XMR/USD", 846), ("XBT/CHF", 289)] {
        let id = r.find(&format!("kraken:{symbol}")).unwrap().id;
        let v = books.view(id).unwrap();
        assert_eq!(v.state, BookState::Synced, "{symbol}");
        assert_eq!(v.stats.checksums, want, "{symbol}");
        assert_eq!(books.sequencer(id).unwrap().verified(), want, "{symbol}");
        assert_eq!((v.stats.snapshots, v.stats.gaps), (1, 0), "{symbol}");
        assert_eq!(books.depth(id), Some(1000));
        assert!(v.book.len(Side::Buy) <= 1000 && v.book.len(Side::Sell) <= 1000);
        total += v.stats.checksums;
    }
    assert_eq!(total, 1135);
}

#[test]
fn v1_recording_with_one_digit_changed_is_a_mismatch_on_that_instrument_only() {
    let Some((r, mut frames)) = v1_book() else {
        return;
    };
    // The 100th XMR/USD update: its first level's volume gets one digit changed.
    let (k, _) = frames
        .iter()
        .enumerate()
        .filter(|(_, f)| f.ends_with("\"XMR/USD\"]") && f.contains("\"c\":"))
        .nth(99)
        .unwrap();
    let f = &frames[k];
    let at = f.find("\",\"").unwrap() + 3;
    let digit = f.as_bytes()[at];
    let other = if digit == b'9' {
        '8'
    } else {
        char::from(digit + 1)
    };
    frames[k].replace_range(at..=at, &other.to_string());
    let mut books = Books::new(&r);
    let out = run(&mut books, &r, &frames);
    let xmr = r.find("kraken:XMR/USD").unwrap().id;
    let xbt = r.find("kraken:XBT/CHF").unwrap().id;
    assert!(matches!(
        out[k].fault.map(|f| f.kind),
        Some(IntegrityFault::ChecksumMismatch { .. })
    ));
    assert_eq!(out.iter().filter(|f| f.fault.is_some()).count(), 1);
    let v = books.view(xmr).unwrap();
    assert_eq!(v.state, BookState::Stale);
    assert_eq!(v.stats.faults.checksum_mismatch, 1);
    // No snapshot follows in the recording: every later update is dropped, none verified.
    assert_eq!(books.sequencer(xmr).unwrap().verified(), 99);
    assert_eq!(v.stats.discarded, 846 - 100);
    let v = books.view(xbt).unwrap();
    assert_eq!(
        (v.state, v.stats.checksums, v.stats.gaps),
        (BookState::Synced, 289, 0)
    );
}

#[test]
fn v2_recordings_verify_every_checksum_including_after_a_second_snapshot() {
    for (file, checksums, snapshots) in [
        ("capture_ccxt_v2_book_BTCUSD_20260812.txt", 2, 1),
        ("capture_ccxt_v2_book_BTCUSD_20261006_resnapshot.txt", 9, 2),
    ] {
        let Some(path) = shared(&format!("vectors/kraken/{file}")) else {
            return;
        };
        let r = registry(&[("BTC/USD", "0.1", "0.00000001")]);
        let mut books = Books::new(&r);
        let out = run(&mut books, &r, &capture_frames(&path));
        let id = r.find("kraken:BTC/USD").unwrap().id;
        let v = books.view(id).unwrap();
        assert_eq!(v.state, BookState::Synced, "{file}");
        assert_eq!(
            (v.stats.checksums, v.stats.snapshots, v.stats.gaps),
            (checksums, snapshots, 0),
            "{file}"
        );
        assert_eq!(books.sequencer(id).unwrap().verified(), checksums);
        assert_eq!(
            books.depth(id),
            Some(10),
            "{file}: from the acknowledgement"
        );
        assert!(out.iter().any(|f| f.kind == FrameKind::Control));
        assert_eq!((v.book.len(Side::Buy), v.book.len(Side::Sell)), (10, 10));
    }
}

#[test]
fn v2_second_snapshot_resyncs_a_book_whose_checksum_failed() {
    let Some(path) = shared("vectors/kraken/capture_ccxt_v2_book_BTCUSD_20261006_resnapshot.txt")
    else {
        return;
    };
    let mut frames = capture_frames(&path);
    // The second update: one digit of its quantity changed.
    let k = frames
        .iter()
        .position(|f| f.contains("\"qty\":1.12287714"))
        .unwrap();
    frames[k] = frames[k].replacen("1.12287714", "1.12287715", 1);
    let r = registry(&[("BTC/USD", "0.1", "0.00000001")]);
    let mut books = Books::new(&r);
    let out = run(&mut books, &r, &frames);
    assert!(out[k].fault.is_some());
    let id = r.find("kraken:BTC/USD").unwrap().id;
    let v = books.view(id).unwrap();
    assert_eq!(v.stats.faults.checksum_mismatch, 1);
    assert_eq!(
        v.state,
        BookState::Synced,
        "the second snapshot replaced the book"
    );
    assert_eq!(v.stats.discarded, 2);
}

#[test]
fn v1_trades_recording_decodes_every_trade() {
    let Some(path) = shared("vectors/kraken/cryptofeed_KRAKEN.ws.48.0_trades.txt") else {
        return;
    };
    let pairs = [
        "WAVES/EUR",
        "XMR/USD",
        "KSM/XBT",
        "GRT/ETH",
        "SC/EUR",
        "ETH/CHF",
        "OCEAN/XBT",
        "OMG/USD",
        "XBT/CHF",
        "ADA/XBT",
    ];
    let specs: Vec<(&str, &str, &str)> = pairs
        .iter()
        .map(|p| (*p, "0.00000001", "0.00000001"))
        .collect();
    let r = registry(&specs);
    let mut books = Books::new(&r);
    let mut trades = Vec::new();
    for (i, f) in cryptofeed_frames(&path).iter().enumerate() {
        books
            .on_frame(
                &r,
                UnixNanos::from_nanos(i as u64),
                f.as_bytes(),
                &mut |e| {
                    if let MarketEvent::Trade(t) = e {
                        trades.push(t);
                    }
                },
            )
            .unwrap_or_else(|e| panic!("{e}: {f}"));
    }
    assert!(!trades.is_empty());
    assert!(
        trades
            .iter()
            .all(|t| t.price.ticks() > 0 && t.qty.lots() > 0)
    );
    assert!(
        trades
            .iter()
            .all(|t| t.ts_exchange.as_nanos() > 1_618_678_000_000_000_000)
    );
}

/// The v1 recording as ladder capture lines (`<ts_ns> <frame>`).
fn v1_capture_lines(path: &Path) -> String {
    let mut out = String::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let Some((ts, frame)) = line.split_once(": ") else {
            continue;
        };
        if line.starts_with("wss://") {
            continue;
        }
        let (secs, frac) = ts.split_once('.').unwrap_or((ts, ""));
        let frac: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
        let ns = secs.parse::<u64>().unwrap() * 1_000_000_000 + frac.parse::<u64>().unwrap();
        out.push_str(&format!("{ns} {frame}\n"));
    }
    out
}

#[test]
fn pipeline_v1_recording_infers_grids_and_its_events_rebuild_the_sequencers_books() {
    use crate::book::{BookConfig, L2Book};
    use crate::capture::grid::build_registry;
    use crate::capture::merge::CaptureInput;
    use crate::capture::pipeline::{Pipeline, Step};

    let Some(path) = shared("vectors/kraken/cryptofeed_KRAKEN.ws.50.0_XMRUSD_XBTCHF.txt") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("kraken-v1.txt");
    std::fs::write(&capture, v1_capture_lines(&path)).unwrap();
    let inputs = [CaptureInput {
        path: capture,
        venue: Venue::Kraken,
    }];
    let (registry, _) = build_registry(&inputs, &[], None).unwrap();
    let mut pipeline = Pipeline::open(&inputs, &registry).unwrap();
    let mut consumer: Vec<L2Book> = (0..registry.len())
        .map(|_| L2Book::new(BookConfig::default()))
        .collect();
    while let Some(step) = pipeline.step(&registry, &mut |e: MarketEvent| {
        consumer[e.instrument().index()].apply_event(&e);
    }) {
        assert!(matches!(step, Step::Frame { .. }), "{step:?}");
    }
    assert_eq!((pipeline.gaps(), pipeline.parse_errors()), (0, 0));
    for inst in registry.iter() {
        let v = pipeline.books().view(inst.id).unwrap();
        assert_eq!(v.state, BookState::Synced, "{}", inst.name);
        let mine = &consumer[inst.id.index()];
        for side in [Side::Buy, Side::Sell] {
            assert!(
                v.book.levels(side).eq(mine.levels(side)),
                "{} {side:?}: the events (with truncation's removals) rebuild the book",
                inst.name
            );
        }
    }
    let names: Vec<&str> = registry.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["kraken:XBT/CHF", "kraken:XMR/USD"]);
    assert_eq!(
        registry
            .find("kraken:XBT/CHF")
            .unwrap()
            .spec
            .tick_size()
            .to_string(),
        "0.1"
    );
}
