//! The real Coinbase recordings of `shared/vectors/coinbase` end to end through the capture
//! pipeline (grid inference, decoder, sequencer, events), with the results `SOURCES.md` lists:
//! the Advanced Trade recording of 2026-08-09 (`sequence_num` 0..1029, a 46,000-level BTC-USD
//! snapshot in one 5 MB frame) and the legacy Exchange recording of 2021 (cryptofeed's
//! `<unix_ts>: <json>` lines converted here to ladder's capture format).

use crate::capture::grid::build_registry;
use crate::capture::merge::CaptureInput;
use crate::capture::pipeline::{Pipeline, Step};
use crate::feed::Venue;
use crate::feed::books::FeedBooks;
use crate::instrument::Registry;
use crate::testutil::shared;
use ladder_sdk::{BookState, InstrumentId, MarketEvent, Side, StaleReason, UnixNanos};
use std::io::{BufRead, Write};
use std::path::Path;

const ADVANCED: &str = "vectors/coinbase/capture_coinbase-advanced_cryptofeed_20260809.txt.gz";
const LEGACY: &str = "vectors/coinbase/cryptofeed_COINBASE.ws.28.0_BANDGBP_YFIBTC.txt";

struct Run {
    registry: Registry,
    pipeline: Pipeline,
    events: Vec<MarketEvent>,
    rejected: u64,
}

fn run(path: &Path, venue: Venue) -> Run {
    let inputs = [CaptureInput {
        path: path.to_path_buf(),
        venue,
    }];
    let (registry, _) = build_registry(&inputs, &[], None).unwrap();
    let mut pipeline = Pipeline::open(&inputs, &registry).unwrap();
    let mut events = Vec::new();
    let mut rejected = 0;
    while let Some(step) = pipeline.step(&registry, &mut |e| events.push(e)) {
        if !matches!(step, Step::Frame { .. }) {
            rejected += 1;
        }
    }
    Run {
        registry,
        pipeline,
        events,
        rejected,
    }
}

/// The lines of a capture, gzip or not.
fn lines(path: &Path) -> Vec<String> {
    let file = std::fs::File::open(path).unwrap();
    let reader: Box<dyn BufRead> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(std::io::BufReader::new(flate2::read::MultiGzDecoder::new(
            file,
        )))
    } else {
        Box::new(std::io::BufReader::new(file))
    };
    reader.lines().map(Result::unwrap).collect()
}

fn write(dir: &Path, lines: &[String]) -> std::path::PathBuf {
    let path = dir.join("capture.txt");
    let mut f = std::fs::File::create(&path).unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
    path
}

impl Run {
    fn id(&self, venue: Venue, symbol: &str) -> InstrumentId {
        self.registry.lookup(venue, symbol.as_bytes()).unwrap().id
    }

    fn top(&self, id: InstrumentId) -> (String, String) {
        let v = self.pipeline.books().view(id).unwrap();
        let spec = &self.registry.get(id).spec;
        (
            spec.format_price(v.book.best_bid().unwrap().price),
            spec.format_price(v.book.best_ask().unwrap().price),
        )
    }

    fn stale_events(&self, id: InstrumentId) -> usize {
        self.events
            .iter()
            .filter(|e| {
                matches!(e, MarketEvent::Status(s) if s.instrument == id
                    && s.state == BookState::Stale
                    && s.reason == Some(StaleReason::SequenceGap))
            })
            .count()
    }
}

#[test]
fn advanced_trade_recording_syncs_both_books_with_no_gap_and_the_recorded_tops() {
    let Some(path) = shared(ADVANCED) else {
        return;
    };
    let r = run(&path, Venue::Coinbase);
    assert_eq!((r.rejected, r.pipeline.parse_errors()), (0, 0));
    assert_eq!(r.pipeline.frames(), 1030);
    assert_eq!(r.pipeline.gaps(), 0);
    for (product, updates, bid, ask, last) in [
        ("BTC-USD", 399, "65083.66", "65083.67", 1027),
        ("ETH-USD", 374, "1919.28", "1919.38", 1029),
    ] {
        let id = r.id(Venue::Coinbase, product);
        let v = r.pipeline.books().view(id).unwrap();
        assert_eq!(v.state, BookState::Synced, "{product}");
        assert_eq!(v.stats.snapshots, 1, "{product}");
        assert_eq!(
            (v.stats.depth_updates, v.stats.applied, v.stats.discarded),
            (updates, updates, 0),
            "{product}"
        );
        assert_eq!(v.last_update_id, Some(last), "{product}");
        assert_eq!(r.top(id), (bid.to_owned(), ask.to_owned()), "{product}");
        assert!(!v.book.is_crossed() && !v.book.is_locked());
    }
    let trades = r
        .events
        .iter()
        .filter(|e| matches!(e, MarketEvent::Trade(_)))
        .count();
    assert_eq!(
        trades, 79,
        "the 279 recorded trades less the 200 from before it started"
    );
}

#[test]
fn advanced_trade_btc_snapshot_keeps_all_46000_levels_exactly() {
    let Some(path) = shared(ADVANCED) else {
        return;
    };
    let all = lines(&path);
    let snapshot = all
        .iter()
        .find(|l| l.contains(r#""type":"snapshot","product_id":"BTC-USD""#))
        .unwrap();
    assert!(snapshot.len() > 5_000_000);
    let frame = snapshot.split_once(' ').unwrap().1;
    // The expected book, read independently with serde_json and exact decimals.
    let v: serde_json::Value = serde_json::from_str(frame).unwrap();
    let updates = v["events"][0]["updates"].as_array().unwrap();
    let (mut bids, mut asks) = (Vec::new(), Vec::new());
    for u in updates {
        let px: rust_decimal::Decimal = u["price_level"].as_str().unwrap().parse().unwrap();
        let q: rust_decimal::Decimal = u["new_quantity"].as_str().unwrap().parse().unwrap();
        match u["side"].as_str().unwrap() {
            "bid" => bids.push((px, q)),
            _ => asks.push((px, q)),
        }
    }
    assert_eq!((bids.len(), asks.len()), (18_764, 27_236));
    let registry = super::tests::two();
    let mut books = super::Books::new(Venue::Coinbase, &registry);
    let f = books
        .on_frame(&registry, UnixNanos::ZERO, frame.as_bytes(), &mut |_| {})
        .unwrap();
    assert_eq!(f.fault, None);
    let id = registry.lookup(Venue::Coinbase, b"BTC-USD").unwrap().id;
    let view = books.view(id).unwrap();
    let spec = &registry.get(id).spec;
    let as_dec = |side| -> Vec<(rust_decimal::Decimal, rust_decimal::Decimal)> {
        view.book
            .levels(side)
            .map(|l| {
                (
                    spec.format_price(l.price).parse().unwrap(),
                    spec.format_qty(l.qty).parse().unwrap(),
                )
            })
            .collect()
    };
    bids.sort_by_key(|a| std::cmp::Reverse(a.0));
    asks.sort_by_key(|a| a.0);
    assert_eq!(as_dec(Side::Buy), bids, "every bid, far ones included");
    assert_eq!(as_dec(Side::Sell), asks, "every offer, far ones included");
}

#[test]
fn advanced_trade_recording_with_one_sequence_num_skipped_makes_both_books_stale() {
    let Some(path) = shared(ADVANCED) else {
        return;
    };
    let all = lines(&path);
    // Drop a heartbeat well after both snapshots: no book lost a level, yet the connection
    // lost a message, so neither book can be trusted.
    let victim = all
        .iter()
        .position(|l| l.contains(r#""channel":"heartbeats","timestamp":"2026-08-09T21:06:00"#))
        .unwrap();
    assert!(!all[victim].contains("l2_data"), "{}", &all[victim][..80]);
    let cut: Vec<String> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != victim)
        .map(|(_, l)| l.clone())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let r = run(&write(dir.path(), &cut), Venue::Coinbase);
    assert_eq!(r.pipeline.gaps(), 2, "one per book of the connection");
    for product in ["BTC-USD", "ETH-USD"] {
        let id = r.id(Venue::Coinbase, product);
        let v = r.pipeline.books().view(id).unwrap();
        assert_eq!(v.state, BookState::Stale, "{product}");
        assert_eq!(v.stats.faults.sequence_gap, 1, "{product}");
        assert!(v.stats.discarded > 0, "{product}: later updates dropped");
        assert_eq!(r.stale_events(id), 1, "{product}");
    }
}

#[test]
fn legacy_exchange_recording_rebuilds_both_books_uncrossed() {
    let Some(path) = shared(LEGACY) else {
        return;
    };
    let text = super::tests::legacy_capture(&path);
    let dir = tempfile::tempdir().unwrap();
    let r = run(&write(dir.path(), &text), Venue::CoinbaseExchange);
    assert_eq!((r.rejected, r.pipeline.gaps()), (0, 0));
    let mut updates = 0;
    for product in ["BAND-GBP", "YFI-BTC"] {
        let id = r.id(Venue::CoinbaseExchange, product);
        let v = r.pipeline.books().view(id).unwrap();
        assert_eq!(v.state, BookState::Synced, "{product}");
        assert_eq!(v.stats.snapshots, 1, "{product}");
        assert_eq!(v.stats.applied, v.stats.depth_updates, "{product}");
        assert!(!v.book.is_crossed() && !v.book.is_locked(), "{product}");
        updates += v.stats.depth_updates;
    }
    assert_eq!(updates, 958);
    let trades = r
        .events
        .iter()
        .filter(|e| matches!(e, MarketEvent::Trade(_)))
        .count();
    assert_eq!(trades, 4, "the `match` messages; `last_match` is history");
}
