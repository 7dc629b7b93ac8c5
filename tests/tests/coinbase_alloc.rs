//! Once warm, Coinbase's books allocate nothing per frame while synced: the second half of the
//! real Advanced Trade recording of 2026-08-09 (`l2_data` updates, trades, tickers, candles,
//! heartbeats, all under one `sequence_num`) through decoder, connection count, sequencer and
//! `L2Book`, counted by a per-thread allocator. The first half holds both snapshots (BTC-USD:
//! 46,000 levels in one 5 MB frame), which size the buffers and the books' far stores.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ladder_engine::capture::parse_line;
use ladder_engine::feed::Venue;
use ladder_engine::feed::books::{Discard, FeedBooks};
use ladder_engine::feed::coinbase::Books;
use ladder_engine::instrument::Registry;
use ladder_sdk::{BookState, InstrumentSpec};
use ladder_tests::alloc::{Counting, thread_allocations};
use ladder_tests::fuzz::corpus::read_capture;
use ladder_tests::shared;
use rust_decimal::Decimal;

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn coinbase_books_allocate_nothing_per_frame_once_warm_and_synced() {
    let Some(path) =
        shared("vectors/coinbase/capture_coinbase-advanced_cryptofeed_20260809.txt.gz")
    else {
        return;
    };
    let lines = read_capture(&path).unwrap();
    let mut registry = Registry::new();
    let spec = InstrumentSpec::new(Decimal::new(1, 2), Decimal::new(1, 8)).unwrap();
    for sym in ["BTC-USD", "ETH-USD"] {
        registry.add(Venue::Coinbase, sym, spec).unwrap();
    }
    let mut books = Books::new(Venue::Coinbase, &registry);
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
    let applied_before: u64 = registry
        .iter()
        .map(|i| books.view(i.id).unwrap().stats.applied)
        .sum();
    let before = thread_allocations();
    for line in &lines[half..] {
        feed(&mut books, line);
    }
    let allocations = thread_allocations() - before;
    let applied: u64 = registry
        .iter()
        .map(|i| books.view(i.id).unwrap().stats.applied)
        .sum();
    assert!(
        applied - applied_before > 300,
        "the second half updates books"
    );
    assert_eq!(
        allocations,
        0,
        "{} frames allocated {allocations} times",
        lines.len() - half
    );
}
