//! ladder's `L2Book` against hftbacktest's `ROIVectorMarketDepth`, the fastest peer book, in
//! the same criterion run, on both shared captures (input and grids in
//! `ladder_benches::book_input`).
//!
//! The peer book takes `f64` prices and quantities: they are converted from the same ticks and
//! lots in setup, outside the timed loops. It keeps only the levels inside its range of interest
//! ([`ROI_BAND`] around the snapshot's mid, fixed at construction) and drops the rest; ladder
//! keeps every level, exact. Before anything is timed the two are checked against each other
//! (asserts): at the end every tick of the band on both sides, in lots; and after every message
//! the touch, whenever ladder's book is neither crossed nor locked and its touch lies in the
//! band (at least 90 % of messages must be comparable, and the touch equal after 99 % of them:
//! a crossing inside a message makes the ROI book skip levels when it re-derives the other
//! side's best).
//!
//! Groups (`<capture>` is `spot` or `usdm`):
//! - `book/apply_level/<capture>`: `ladder` and `hftbacktest_roi_vector`, ns per level update
//!   from a snapshot-loaded book (the peer's update also returns its previous best and
//!   quantity, which ladder's does not).
//!
//! Before the groups, the book-only time of every depth message (20 passes) is printed for both
//! books: `book bench: <capture> per message <book>: p50 .. p99 .. p99.9 .. max`.

use criterion::{BatchSize, Criterion, Throughput, black_box, criterion_group, criterion_main};
use hftbacktest::depth::{L2MarketDepth, MarketDepth, ROIVectorMarketDepth};
use ladder_benches::book_input::{Stream, Update, print_percentiles, streams, time_messages};
use ladder_engine::book::{BookConfig, L2Book};
use ladder_sdk::{Price, Side};

/// The ROI book's range of interest: this fraction of the snapshot's mid either side of it
/// (±5 %: about 58,700-64,900 USDT on both captures; 98 % of the spot capture's updates).
const ROI_BAND: f64 = 0.05;

fn ladder_loaded(stream: &Stream) -> L2Book {
    let mut book = L2Book::new(BookConfig::default());
    for u in &stream.snapshot {
        book.apply(u.side, u.price, u.qty);
    }
    book
}

/// One level update as the peer book takes it: `f64` price and quantity, converted in setup.
#[derive(Debug, Clone, Copy)]
struct FUpdate {
    bid: bool,
    price: f64,
    qty: f64,
}

fn to_f64(stream: &Stream, u: &[Update]) -> Vec<FUpdate> {
    u.iter()
        .map(|u| FUpdate {
            bid: u.side == Side::Buy,
            price: u.price.ticks() as f64 * stream.tick,
            qty: u.qty.lots() as f64 * stream.lot,
        })
        .collect()
}

#[inline]
fn roi_apply(book: &mut ROIVectorMarketDepth, u: &FUpdate) {
    if u.bid {
        black_box(book.update_bid_depth(u.price, u.qty, 0));
    } else {
        black_box(book.update_ask_depth(u.price, u.qty, 0));
    }
}

/// The peer input: the snapshot and diffs in `f64`, and the band around the snapshot's mid.
struct Peer {
    snapshot: Vec<FUpdate>,
    diffs: Vec<FUpdate>,
    band: (f64, f64),
}

impl Peer {
    fn new(stream: &Stream) -> Self {
        let ours = ladder_loaded(stream);
        let mid = match (ours.best_bid(), ours.best_ask()) {
            (Some(b), Some(a)) => (b.price.ticks() + a.price.ticks()) as f64 / 2.0 * stream.tick,
            _ => 60_000.0,
        };
        Self {
            snapshot: to_f64(stream, &stream.snapshot),
            diffs: to_f64(stream, &stream.diffs),
            band: (mid * (1.0 - ROI_BAND), mid * (1.0 + ROI_BAND)),
        }
    }

    /// A snapshot-loaded ROI book.
    fn loaded(&self, stream: &Stream) -> ROIVectorMarketDepth {
        let mut book = ROIVectorMarketDepth::new(stream.tick, stream.lot, self.band.0, self.band.1);
        for u in &self.snapshot {
            roi_apply(&mut book, u);
        }
        book
    }
}

/// The ROI book must agree with ladder (every tick of its band at the end; the touch after at
/// least 99 % of the messages where it is comparable), or the comparison means nothing.
fn check_agreement(stream: &Stream, peer: &Peer) {
    let mut ours = ladder_loaded(stream);
    let mut roi = peer.loaded(stream);
    let (mut touch_checks, mut touch_equal) = (0u64, 0u64);
    for m in &stream.messages {
        for (u, f) in stream.diffs[m.clone()].iter().zip(&peer.diffs[m.clone()]) {
            ours.apply(u.side, u.price, u.qty);
            roi_apply(&mut roi, f);
        }
        // The ROI book re-derives one side's best when the other crosses it; compare the touch
        // only while ladder's book is neither crossed nor locked and its touch is in the band.
        let (lo, hi) = roi.roi_tick();
        if let (Some(b), Some(a)) = (ours.best_bid(), ours.best_ask())
            && b.price < a.price
            && b.price.ticks() >= lo
            && a.price.ticks() <= hi
        {
            touch_checks += 1;
            touch_equal += u64::from(
                (roi.best_bid_tick(), roi.best_ask_tick()) == (b.price.ticks(), a.price.ticks()),
            );
        }
    }
    assert!(
        touch_checks * 10 >= stream.messages.len() as u64 * 9,
        "{}: the touch was comparable after only {touch_checks} of {} messages",
        stream.name,
        stream.messages.len()
    );
    // A crossing inside a message makes the ROI book skip levels when it re-derives the other
    // side's best, until that side's best changes again: allow that, but not more than 1 %.
    assert!(
        touch_equal * 100 >= touch_checks * 99,
        "{}: the ROI touch equals ladder's after only {touch_equal} of {touch_checks} messages",
        stream.name
    );
    // Every tick of the ROI band: the same quantity as ladder's, in lots.
    let (lo, hi) = roi.roi_tick();
    let mut in_band = 0usize;
    for (side, depth) in [(Side::Buy, roi.bid_depth()), (Side::Sell, roi.ask_depth())] {
        for (i, &q) in depth.iter().enumerate() {
            let tick = lo + i as i64;
            let ladder_lots = ours.qty_at(side, Price::from_ticks(tick)).lots();
            let roi_lots = (q / stream.lot).round() as i64;
            assert_eq!(
                roi_lots, ladder_lots,
                "{}: {side:?} level at tick {tick} differs",
                stream.name
            );
            in_band += usize::from(ladder_lots != 0);
        }
    }
    let total = ours.len(Side::Buy) + ours.len(Side::Sell);
    eprintln!(
        "book bench: {}: ROI band ticks {lo}..={hi} holds {in_band} of ladder's {total} levels; \
         touch equal after {touch_equal} of the {touch_checks} comparable of {} messages",
        stream.name,
        stream.messages.len()
    );
}

fn bench_book(c: &mut Criterion) {
    for stream in &streams() {
        let peer = Peer::new(stream);
        check_agreement(stream, &peer);
        eprintln!(
            "book bench: {}: {}: {} snapshot levels, {} diff levels in {} messages",
            stream.name,
            stream.source,
            stream.snapshot.len(),
            stream.diffs.len(),
            stream.messages.len()
        );
        let ours0 = ladder_loaded(stream);
        let h = time_messages(
            stream,
            20,
            || ours0.clone(),
            |book, m| {
                for u in black_box(&stream.diffs[m]) {
                    book.apply(u.side, u.price, u.qty);
                }
            },
        );
        print_percentiles(stream, "ladder", &h);
        let h = time_messages(
            stream,
            20,
            || peer.loaded(stream),
            |book, m| {
                for f in black_box(&peer.diffs[m]) {
                    roi_apply(book, f);
                }
            },
        );
        print_percentiles(stream, "hftbacktest_roi_vector", &h);

        let mut g = c.benchmark_group(format!("book/apply_level/{}", stream.name));
        g.throughput(Throughput::Elements(stream.diffs.len() as u64));
        g.bench_function("ladder", |b| {
            b.iter_batched(
                || ours0.clone(),
                |mut book| {
                    for u in black_box(&stream.diffs[..]) {
                        book.apply(u.side, u.price, u.qty);
                    }
                    book
                },
                BatchSize::LargeInput,
            )
        });
        g.bench_function("hftbacktest_roi_vector", |b| {
            b.iter_batched(
                || peer.loaded(stream),
                |mut book| {
                    for f in black_box(&peer.diffs[..]) {
                        roi_apply(&mut book, f);
                    }
                    book
                },
                BatchSize::LargeInput,
            )
        });
        g.finish();
    }
}

criterion_group!(benches, bench_book);
criterion_main!(benches);
