//! Once warm, Kraken's books allocate nothing per frame while synced: the second half of the
//! real 2021 v1 `book-1000` recording (updates with checksums, heartbeats) through decoder,
//! sequencer, depth truncation, checksum and `L2Book`, counted by a per-thread allocator.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ladder_engine::capture::parse_line;
use ladder_engine::feed::Venue;
use ladder_engine::feed::books::{Discard, FeedBooks};
use ladder_engine::feed::kraken::Books;
use ladder_engine::instrument::Registry;
use ladder_sdk::{BookState, InstrumentSpec};
use ladder_tests::alloc::{Counting, thread_allocations};
use ladder_tests::shared;
use rust_decimal::Decimal;

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The recording's received lines as capture lines.
fn lines() -> Option<Vec<Vec<u8>>> {
    let path = shared("vectors/kraken/cryptofeed_KRAKEN.ws.50.0_XMRUSD_XBTCHF.txt")?;
    let text = std::fs::read_to_string(path).unwrap();
    Some(
        text.lines()
            .filter_map(|l| {
                let (ts, frame) = l.split_once(": ")?;
                let (secs, frac) = ts.split_once('.').unwrap_or((ts, ""));
                if !secs.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let frac: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
                let ns = secs.parse::<u64>().ok()? * 1_000_000_000 + frac.parse::<u64>().ok()?;
                Some(format!("{ns} {frame}").into_bytes())
            })
            .collect(),
    )
}

#[test]
fn kraken_books_allocate_nothing_per_frame_once_warm_and_synced() {
    let Some(lines) = lines() else { return };
    let mut registry = Registry::new();
    for (sym, tick) in [
        ("XMR/USD", Decimal::new(1, 2)),
        ("XBT/CHF", Decimal::new(1, 1)),
    ] {
        registry
            .add(
                Venue::Kraken,
                sym,
                InstrumentSpec::new(tick, Decimal::new(1, 8)).unwrap(),
            )
            .unwrap();
    }
    let mut books = Books::new(&registry);
    let half = lines.len() / 2;
    let feed = |books: &mut Books, line: &[u8]| {
        let (ts, frame) = parse_line(line).unwrap();
        let f = books.on_frame(&registry, ts, frame, &mut Discard).unwrap();
        assert_eq!(f.fault, None);
    };
    let start = thread_allocations();
    for line in &lines[..half] {
        feed(&mut books, line);
    }
    assert!(
        thread_allocations() > start,
        "warming up allocates: the counter counts"
    );
    for inst in registry.iter() {
        assert_eq!(books.view(inst.id).unwrap().state, BookState::Synced);
    }
    let before = thread_allocations();
    for line in &lines[half..] {
        feed(&mut books, line);
    }
    let allocations = thread_allocations() - before;
    let checked: u64 = registry
        .iter()
        .map(|i| books.view(i.id).unwrap().stats.checksums)
        .sum();
    assert_eq!(checked, 1135, "every update was checksummed");
    assert_eq!(
        allocations,
        0,
        "{} frames allocated {allocations} times",
        lines.len() - half
    );
}
