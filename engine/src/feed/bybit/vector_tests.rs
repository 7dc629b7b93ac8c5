//! The real Bybit recordings of `shared/vectors/bybit` end to end through the capture pipeline
//! (grid inference, decoder, sequencer, events), with the results `SOURCES.md` lists: the spot
//! `orderbook.200` capture of 2026-08-09, the `orderbook.1` captures of 2025-06-13 and the
//! XRPUSDT `orderbook.500` history file (bare JSON lines, given synthetic receive stamps here).

use crate::capture::grid::build_registry;
use crate::capture::merge::CaptureInput;
use crate::capture::pipeline::{Pipeline, Step};
use crate::feed::Venue;
use crate::instrument::Registry;
use crate::testutil::shared;
use ladder_sdk::{BookState, InstrumentId, MarketEvent, Side};
use std::io::Write;
use std::path::{Path, PathBuf};

struct Run {
    registry: Registry,
    pipeline: Pipeline,
    events: Vec<MarketEvent>,
}

fn run(path: &Path, venue: Venue) -> Run {
    let inputs = [CaptureInput {
        path: path.to_path_buf(),
        venue,
    }];
    let (registry, _) = build_registry(&inputs, &[], None).unwrap();
    let mut pipeline = Pipeline::open(&inputs, &registry).unwrap();
    let mut events = Vec::new();
    while let Some(step) = pipeline.step(&registry, &mut |e| events.push(e)) {
        assert!(
            matches!(step, Step::Frame { .. }),
            "every line of a real recording is used: {step:?}"
        );
    }
    Run {
        registry,
        pipeline,
        events,
    }
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

    fn count(&self, id: InstrumentId, what: fn(&MarketEvent) -> bool) -> usize {
        self.events
            .iter()
            .filter(|e| e.instrument() == id && what(e))
            .count()
    }
}

#[test]
fn spot_orderbook_200_capture_syncs_with_no_gap_and_the_recorded_tops() {
    let Some(path) = shared("vectors/bybit/capture_bybit-v5-spot_cryptofeed_20260809.txt.gz")
    else {
        return;
    };
    let r = run(&path, Venue::BybitSpot);
    assert_eq!(r.pipeline.gaps(), 0);
    assert_eq!(r.pipeline.parse_errors(), 0);
    for (symbol, deltas, bid, ask) in [
        ("BTCUSDT", 299, "65140.4", "65140.5"),
        ("ETHUSDT", 249, "1923.28", "1923.29"),
    ] {
        let id = r.id(Venue::BybitSpot, symbol);
        let v = r.pipeline.books().view(id).unwrap();
        assert_eq!(v.state, BookState::Synced, "{symbol}");
        let s = v.stats;
        assert_eq!(
            (s.snapshots, s.depth_updates, s.applied, s.gaps, s.discarded),
            (1, deltas, deltas, 0, 0),
            "{symbol}"
        );
        assert_eq!(r.top(id), (bid.to_owned(), ask.to_owned()), "{symbol}");
        // The venue keeps the 200-level window (a deeper side would have been a fault).
        assert!(v.book.len(Side::Buy) <= 200 && v.book.len(Side::Sell) <= 200);
    }
    // 20 trades in 18 messages, over both symbols.
    let trades = r
        .events
        .iter()
        .filter(|e| matches!(e, MarketEvent::Trade(_)))
        .count();
    assert_eq!(trades, 20);
}

#[test]
fn level1_captures_apply_every_snapshot_resends_included() {
    for (file, venue, snapshots) in [
        (
            "capture_bybit-v5-linear-ob1_cryptofeed_20250613.txt",
            Venue::BybitLinear,
            198,
        ),
        (
            "capture_bybit-v5-spot-ob1_cryptofeed_20250613.txt",
            Venue::BybitSpot,
            139,
        ),
    ] {
        let Some(path) = shared(&format!("vectors/bybit/{file}")) else {
            return;
        };
        // The recording holds re-sends with the same `u`, the case under test.
        let resends = resends(&path);
        assert!(resends >= 16, "{file}: {resends}");
        let r = run(&path, venue);
        assert_eq!(r.pipeline.gaps(), 0, "{file}");
        let ends = r
            .events
            .iter()
            .filter(|e| matches!(e, MarketEvent::SnapshotEnd(_)))
            .count();
        assert_eq!(ends, snapshots, "{file}: every snapshot applied");
        for inst in r.registry.iter() {
            let v = r.pipeline.books().view(inst.id).unwrap();
            assert_eq!(v.state, BookState::Synced, "{}", inst.name);
            assert_eq!(v.stats.depth_updates, 0);
            assert!(v.book.len(Side::Buy) <= 1 && v.book.len(Side::Sell) <= 1);
        }
    }
}

/// Snapshots whose `u` equals the previous one of their topic, counted by hand.
fn resends(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    let mut last: Vec<(String, u64)> = Vec::new();
    let mut n = 0;
    for line in text.lines() {
        let (_, frame) = line.split_once(' ').unwrap();
        let v: serde_json::Value = serde_json::from_str(frame).unwrap();
        let (Some(topic), Some(u)) = (v["topic"].as_str(), v["data"]["u"].as_u64()) else {
            continue;
        };
        match last.iter_mut().find(|(t, _)| t == topic) {
            Some((_, prev)) => {
                n += usize::from(*prev == u);
                *prev = u;
            }
            None => last.push((topic.to_owned(), u)),
        }
    }
    n
}

/// The history file's bare JSON lines as capture lines with synthetic stamps, `skip` left out.
fn xrp_capture(dir: &Path, skip: Option<usize>) -> Option<PathBuf> {
    let src = shared("vectors/bybit/nautilus_2024-12-01_XRPUSDT_ob500.data")?;
    let text = std::fs::read_to_string(src).unwrap();
    let path = dir.join("xrp.txt");
    let mut out = std::fs::File::create(&path).unwrap();
    for (i, line) in text.lines().enumerate() {
        if Some(i) != skip {
            writeln!(
                out,
                "{} {line}",
                1_733_011_200_000_000_000u64 + i as u64 * 1_000_000
            )
            .unwrap();
        }
    }
    Some(path)
}

#[test]
fn xrp_orderbook_500_history_stays_500_by_500_with_no_gap() {
    let dir = tempfile::tempdir().unwrap();
    let Some(path) = xrp_capture(dir.path(), None) else {
        return;
    };
    let inputs = [CaptureInput {
        path,
        venue: Venue::BybitLinear,
    }];
    let (registry, _) = build_registry(&inputs, &[], None).unwrap();
    let id = registry.lookup(Venue::BybitLinear, b"XRPUSDT").unwrap().id;
    let mut p = Pipeline::open(&inputs, &registry).unwrap();
    let mut steps = 0;
    while p.step(&registry, &mut |_| {}).is_some() {
        steps += 1;
        let v = p.books().view(id).unwrap();
        assert_eq!(v.state, BookState::Synced, "after line {steps}");
        assert_eq!((v.book.len(Side::Buy), v.book.len(Side::Sell)), (500, 500));
    }
    let v = p.books().view(id).unwrap();
    assert_eq!(steps, 50);
    assert_eq!(
        (v.stats.snapshots, v.stats.applied, v.stats.gaps),
        (1, 49, 0)
    );
    assert_eq!(v.last_update_id, Some(20_254_869 + 49));
}

#[test]
fn dropping_one_delta_gives_a_gap_and_a_stale_book() {
    let dir = tempfile::tempdir().unwrap();
    let Some(path) = xrp_capture(dir.path(), Some(20)) else {
        return;
    };
    let r = run(&path, Venue::BybitLinear);
    let id = r.id(Venue::BybitLinear, "XRPUSDT");
    let v = r.pipeline.books().view(id).unwrap();
    assert_eq!(v.state, BookState::Stale);
    assert_eq!((v.stats.gaps, v.stats.faults.sequence_gap), (1, 1));
    // 19 deltas before the hole; of the 29 after it, the first shows the gap and the other 28
    // are dropped waiting for a snapshot that never comes.
    assert_eq!((v.stats.applied, v.stats.discarded), (19, 28));
    let stale = r.count(
        id,
        |e| matches!(e, MarketEvent::Status(s) if s.state == BookState::Stale),
    );
    assert_eq!(stale, 1, "the consumer is told once");
}
