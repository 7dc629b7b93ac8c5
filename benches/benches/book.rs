//! L2 book benches: ladder's `L2Book` against a `BTreeMap` book, in the same run, on both shared
//! captures (spot and USD-M; input and grids in `ladder_benches::book_input`). The peer
//! baseline, hftbacktest's `ROIVectorMarketDepth`, has its own crate (`benches/peers`), which CI
//! does not build: its dependency tree (zip, zstd, bzip2, lzma, aes ...) would add a C build
//! and some twenty crates to every CI run.
//!
//! Groups (`<capture>` is `spot` or `usdm`):
//! - `book/apply_level/<capture>`: one absolute level update (ns per level), snapshot-loaded book.
//! - `book/replay_top10/<capture>`: one depth message (all its levels) then a top-10 read, per
//!   message.
//! - `book/top_n`: a change at the best bid and best ask, then a top-10 read of both sides
//!   (spot).
//! - `book/far_insert_desc`, `book/far_insert_asc`: one diff of [`FAR_LEVELS`] new bid levels
//!   far below the touch (outside the window, so all in the far store), worst-first (each new
//!   level worse than every level before it) and best-first; ns per level. Synthetic: a real
//!   diff never holds 200,000 levels, but a hostile or broken one can.
//!
//! Before the groups, the book-only time of every depth message (all its levels, no read) is
//! recorded in an HdrHistogram for both books (20 passes) and printed as
//! `book bench: <capture> per message <book>: p50 .. p99 .. p99.9 .. max`.

use criterion::{
    BatchSize, Criterion, SamplingMode, Throughput, black_box, criterion_group, criterion_main,
};
use ladder_benches::book_input::{Stream, Update, print_percentiles, streams, time_messages};
use ladder_engine::book::{BookConfig, L2Book};
use ladder_sdk::{Level, Price, Quantity, Side};
use std::collections::BTreeMap;

const TOP: usize = 10;

/// Levels in the far-insert diffs (issue 9: this many took 5.4 s worst-first).
const FAR_LEVELS: i64 = 200_000;

// --- the baseline -----------------------------------------------------------------------------

/// The baseline: one `BTreeMap<ticks, lots>` per side, top-N copied into reserved arrays.
#[derive(Clone, Default)]
struct BTreeBook {
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
    top_bids: Vec<Level>,
    top_asks: Vec<Level>,
}

impl BTreeBook {
    #[inline]
    fn apply(&mut self, side: Side, price: Price, qty: Quantity) {
        let map = match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        if qty.is_zero() {
            map.remove(&price.ticks());
        } else {
            map.insert(price.ticks(), qty.lots());
        }
    }

    #[inline]
    fn top(&mut self, n: usize) -> (&[Level], &[Level]) {
        let level =
            |(&p, &q): (&i64, &i64)| Level::new(Price::from_ticks(p), Quantity::from_lots(q));
        self.top_bids.clear();
        self.top_bids
            .extend(self.bids.iter().rev().take(n).map(level));
        self.top_asks.clear();
        self.top_asks.extend(self.asks.iter().take(n).map(level));
        (&self.top_bids, &self.top_asks)
    }
}

fn loaded(stream: &Stream) -> (L2Book, BTreeBook) {
    let mut ours = L2Book::new(BookConfig {
        top_n: TOP,
        ..BookConfig::default()
    });
    let mut base = BTreeBook {
        top_bids: Vec::with_capacity(TOP),
        top_asks: Vec::with_capacity(TOP),
        ..BTreeBook::default()
    };
    for u in &stream.snapshot {
        ours.apply(u.side, u.price, u.qty);
        base.apply(u.side, u.price, u.qty);
    }
    (ours, base)
}

/// Both books must agree after the whole replay, or the comparison means nothing.
fn check_agreement(stream: &Stream) {
    let (mut ours, mut base) = loaded(stream);
    for u in &stream.diffs {
        ours.apply(u.side, u.price, u.qty);
        base.apply(u.side, u.price, u.qty);
    }
    let want_bids: Vec<Level> = base
        .bids
        .iter()
        .rev()
        .map(|(&p, &q)| Level::new(Price::from_ticks(p), Quantity::from_lots(q)))
        .collect();
    let want_asks: Vec<Level> = base
        .asks
        .iter()
        .map(|(&p, &q)| Level::new(Price::from_ticks(p), Quantity::from_lots(q)))
        .collect();
    assert!(
        ours.levels(Side::Buy).eq(want_bids.iter().copied()),
        "{}: bids differ from the baseline",
        stream.name
    );
    assert!(
        ours.levels(Side::Sell).eq(want_asks.iter().copied()),
        "{}: asks differ from the baseline",
        stream.name
    );
    let (bt_bids, bt_asks) = base.top(TOP);
    let (bt_bids, bt_asks) = (bt_bids.to_vec(), bt_asks.to_vec());
    let top = ours.top();
    assert_eq!(
        (top.bids, top.asks),
        (&bt_bids[..], &bt_asks[..]),
        "{}: top-{TOP} differs",
        stream.name
    );
}

// --- benches ----------------------------------------------------------------------------------

fn bench_book(c: &mut Criterion) {
    let streams = streams();
    for stream in &streams {
        check_agreement(stream);
        eprintln!(
            "book bench: {}: {}: {} snapshot levels, {} diff levels in {} messages",
            stream.name,
            stream.source,
            stream.snapshot.len(),
            stream.diffs.len(),
            stream.messages.len()
        );
        let (ours0, base0) = loaded(stream);
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
            || base0.clone(),
            |book, m| {
                for u in black_box(&stream.diffs[m]) {
                    book.apply(u.side, u.price, u.qty);
                }
            },
        );
        print_percentiles(stream, "btreemap", &h);
        bench_capture(c, stream);
    }
    if let Some(stream) = streams.first() {
        bench_top_n(c, stream);
    }
}

fn bench_capture(c: &mut Criterion, stream: &Stream) {
    let (ours0, base0) = loaded(stream);

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
    g.bench_function("btreemap", |b| {
        b.iter_batched(
            || base0.clone(),
            |mut book| {
                for u in black_box(&stream.diffs[..]) {
                    book.apply(u.side, u.price, u.qty);
                }
                book
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();

    let mut g = c.benchmark_group(format!("book/replay_top10/{}", stream.name));
    g.throughput(Throughput::Elements(stream.messages.len() as u64));
    g.bench_function("ladder", |b| {
        b.iter_batched(
            || ours0.clone(),
            |mut book| {
                for m in black_box(&stream.messages[..]) {
                    for u in &stream.diffs[m.clone()] {
                        book.apply(u.side, u.price, u.qty);
                    }
                    let top = book.top();
                    black_box((top.bids, top.asks));
                }
                book
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("btreemap", |b| {
        b.iter_batched(
            || base0.clone(),
            |mut book| {
                for m in black_box(&stream.messages[..]) {
                    for u in &stream.diffs[m.clone()] {
                        book.apply(u.side, u.price, u.qty);
                    }
                    black_box(book.top(TOP));
                }
                book
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}
/// The book after the whole replay; each iteration changes the best bid and best ask
/// quantities (so both views are stale) and reads the top-10 of both sides.
fn bench_top_n(c: &mut Criterion, stream: &Stream) {
    let (mut ours, mut base) = loaded(stream);
    for u in &stream.diffs {
        ours.apply(u.side, u.price, u.qty);
        base.apply(u.side, u.price, u.qty);
    }
    let bid = ours.best_bid().map_or(Price::from_ticks(0), |l| l.price);
    let ask = ours.best_ask().map_or(Price::from_ticks(1), |l| l.price);
    let mut g = c.benchmark_group("book/top_n");
    g.throughput(Throughput::Elements(1));
    let mut lots = 1i64;
    g.bench_function("ladder", |b| {
        b.iter(|| {
            lots = lots % 1_000 + 1;
            ours.apply(Side::Buy, black_box(bid), Quantity::from_lots(lots));
            ours.apply(Side::Sell, black_box(ask), Quantity::from_lots(lots));
            let top = ours.top();
            black_box((top.bids, top.asks));
        })
    });
    g.bench_function("btreemap", |b| {
        b.iter(|| {
            lots = lots % 1_000 + 1;
            base.apply(Side::Buy, black_box(bid), Quantity::from_lots(lots));
            base.apply(Side::Sell, black_box(ask), Quantity::from_lots(lots));
            black_box(base.top(TOP));
        })
    });
    g.finish();
}

/// A book with a touch at 6,000,000 / 6,000,001 and the far-insert diff: `FAR_LEVELS` bids from
/// 20,000 ticks below the touch downwards (`descending`) or upwards to it (`!descending`).
fn far_insert_input(descending: bool) -> (L2Book, BTreeBook, Vec<Update>) {
    let touch = 6_000_000i64;
    let level = |side, px: i64| Update {
        side,
        price: Price::from_ticks(px),
        qty: Quantity::from_lots(1 + px % 977),
    };
    let snapshot: Vec<Update> = (0..20)
        .flat_map(|d| {
            [
                level(Side::Buy, touch - d),
                level(Side::Sell, touch + 1 + d),
            ]
        })
        .collect();
    let stream = Stream {
        name: "far",
        source: String::new(),
        tick: 0.01,
        lot: 0.000_001,
        snapshot,
        diffs: Vec::new(),
        messages: Vec::new(),
    };
    let (ours, base) = loaded(&stream);
    let far = touch - 20_000;
    let diff = (0..FAR_LEVELS)
        .map(|i| {
            let px = if descending {
                far - i
            } else {
                far - (FAR_LEVELS - 1) + i
            };
            level(Side::Buy, px)
        })
        .collect();
    (ours, base, diff)
}

fn bench_far_insert(c: &mut Criterion) {
    for (name, descending) in [
        ("book/far_insert_desc", true),
        ("book/far_insert_asc", false),
    ] {
        let (ours0, base0, diff) = far_insert_input(descending);
        let (mut ours, mut base) = (ours0.clone(), base0.clone());
        for u in &diff {
            ours.apply(u.side, u.price, u.qty);
            base.apply(u.side, u.price, u.qty);
        }
        let want = base.bids.iter().rev().map(|(&p, &q)| (p, q));
        assert!(
            ours.levels(Side::Buy)
                .map(|l| (l.price.ticks(), l.qty.lots()))
                .eq(want),
            "{name}: bids differ from the baseline"
        );
        let mut g = c.benchmark_group(name);
        // One iteration is a whole 200k-level diff: few samples, each one iteration.
        g.sample_size(10);
        g.sampling_mode(SamplingMode::Flat);
        g.throughput(Throughput::Elements(diff.len() as u64));
        g.bench_function("ladder", |b| {
            b.iter_batched(
                || ours0.clone(),
                |mut book| {
                    for u in black_box(&diff[..]) {
                        book.apply(u.side, u.price, u.qty);
                    }
                    book
                },
                BatchSize::LargeInput,
            )
        });
        g.bench_function("btreemap", |b| {
            b.iter_batched(
                || base0.clone(),
                |mut book| {
                    for u in black_box(&diff[..]) {
                        book.apply(u.side, u.price, u.qty);
                    }
                    book
                },
                BatchSize::LargeInput,
            )
        });
        g.finish();
    }
}

criterion_group!(benches, bench_book, bench_far_insert);
criterion_main!(benches);
