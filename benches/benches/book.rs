//! L2 book benches: ladder's `L2Book` against a `BTreeMap` book, in the same run.
//!
//! Input: the real Binance Spot BTCUSDT capture in `../shared/captures` (override with
//! `LADDER_BOOK_CAPTURE=path`): the REST snapshot's levels load the book, then every
//! `depthUpdate` after it (`u > lastUpdateId`) is replayed level by level. Prices and quantities
//! become ticks (0.01) and lots through `InstrumentSpec` during setup. The lot is 0.000001, not
//! the exchange's 0.00001 step: three quantities in this capture carry six decimals (e.g.
//! `25.42618900`), and an off-grid quantity is an error, never rounded. If the capture cannot be
//! read the bench says why and uses a synthetic Binance-like stream instead.
//!
//! Groups:
//! - `book/apply_level`: one absolute level update (ns per level), snapshot-loaded book.
//! - `book/top_n`: a change at the best bid and best ask, then a top-10 read of both sides.
//! - `book/replay_top10`: one depth message (all its levels) then a top-10 read, per message.
//! - `book/far_insert_desc`, `book/far_insert_asc`: one diff of [`FAR_LEVELS`] new bid levels
//!   far below the touch (outside the window, so all in the far store), worst-first (each new
//!   level worse than every level before it) and best-first; ns per level. Synthetic: a real
//!   diff never holds 200,000 levels, but a hostile or broken one can.

use criterion::{
    BatchSize, Criterion, SamplingMode, Throughput, black_box, criterion_group, criterion_main,
};
use ladder_engine::book::{BookConfig, L2Book};
use ladder_sdk::{InstrumentSpec, Level, Price, Quantity, Side};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::ops::Range;

const TOP: usize = 10;

/// Levels in the far-insert diffs (issue 9: this many took 5.4 s worst-first).
const FAR_LEVELS: i64 = 200_000;

/// One absolute level update.
#[derive(Debug, Clone, Copy)]
struct Update {
    side: Side,
    price: Price,
    qty: Quantity,
}

/// The replayed input: snapshot levels, diff levels, and the diff levels of each message.
struct Stream {
    source: String,
    snapshot: Vec<Update>,
    diffs: Vec<Update>,
    messages: Vec<Range<usize>>,
}

// --- the capture ------------------------------------------------------------------------------

/// `{"lastUpdateId":..,"bids":[["61837.63000000","3.78826000"],..],"asks":[..]}`
#[derive(Deserialize)]
struct RestSnapshot {
    #[serde(rename = "lastUpdateId")]
    last_update_id: u64,
    bids: Vec<[String; 2]>,
    asks: Vec<[String; 2]>,
}

/// `{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate",..,"u":..,"b":[..],"a":[..]}}`
#[derive(Deserialize)]
struct Combined {
    data: DepthUpdate,
}

#[derive(Deserialize)]
struct DepthUpdate {
    u: u64,
    b: Vec<[String; 2]>,
    a: Vec<[String; 2]>,
}

fn capture_path() -> String {
    std::env::var("LADDER_BOOK_CAPTURE").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/captures/binance-spot_btcusdt_20240808.gz"
        )
        .to_owned()
    })
}

fn load_capture(path: &str) -> Result<Stream, String> {
    // Tick 0.01, lot 0.000001 (see the module docs).
    let spec = InstrumentSpec::new(Decimal::new(1, 2), Decimal::new(1, 6))
        .map_err(|e| format!("bad instrument spec: {e}"))?;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open {path}: {e}"))?;
    let reader = BufReader::new(flate2::read::GzDecoder::new(file));
    let convert =
        |side: Side, levels: &[[String; 2]], out: &mut Vec<Update>| -> Result<(), String> {
            for [px, qty] in levels {
                let price = spec
                    .price_from_str(px)
                    .map_err(|e| format!("price {px:?}: {e}"))?;
                let qty = spec
                    .qty_from_str(qty)
                    .map_err(|e| format!("qty {qty:?}: {e}"))?;
                out.push(Update { side, price, qty });
            }
            Ok(())
        };
    let mut snapshot_id = None;
    let mut snapshot = Vec::new();
    let mut updates: Vec<DepthUpdate> = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| format!("{path}: line {}: {e}", n + 1))?;
        let Some((_ts, json)) = line.split_once(' ') else {
            continue;
        };
        if json.starts_with("{\"lastUpdateId\"") {
            let snap: RestSnapshot =
                serde_json::from_str(json).map_err(|e| format!("{path}: line {}: {e}", n + 1))?;
            convert(Side::Buy, &snap.bids, &mut snapshot)?;
            convert(Side::Sell, &snap.asks, &mut snapshot)?;
            snapshot_id = Some(snap.last_update_id);
        } else if json.contains("\"depthUpdate\"") {
            let msg: Combined =
                serde_json::from_str(json).map_err(|e| format!("{path}: line {}: {e}", n + 1))?;
            updates.push(msg.data);
        }
    }
    let last_id = snapshot_id.ok_or_else(|| format!("{path}: no REST snapshot line"))?;
    let (mut diffs, mut messages) = (Vec::new(), Vec::new());
    for msg in updates.iter().filter(|m| m.u > last_id) {
        let start = diffs.len();
        convert(Side::Buy, &msg.b, &mut diffs)?;
        convert(Side::Sell, &msg.a, &mut diffs)?;
        messages.push(start..diffs.len());
    }
    if diffs.is_empty() {
        return Err(format!("{path}: no depth update after the snapshot"));
    }
    Ok(Stream {
        source: format!("capture {path}"),
        snapshot,
        diffs,
        messages,
    })
}

// --- synthetic fallback -----------------------------------------------------------------------

/// hotpath.md §2.6's workload: distance from the touch 60 % < 10 ticks, 30 % < 100, 10 % deeper;
/// about 45 % of updates delete; the mid random-walks.
fn synthetic() -> Stream {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mid0 = 6_000_000i64;
    let mut snapshot = Vec::new();
    for d in 0..1000 {
        let qty = Quantity::from_lots(1 + (next() % 100_000) as i64);
        snapshot.push(Update {
            side: Side::Buy,
            price: Price::from_ticks(mid0 - 1 - d * 3),
            qty,
        });
        snapshot.push(Update {
            side: Side::Sell,
            price: Price::from_ticks(mid0 + d * 3),
            qty,
        });
    }
    let (mut diffs, mut messages, mut mid) = (Vec::new(), Vec::new(), mid0);
    for _ in 0..4_000 {
        mid += (next() % 5) as i64 - 2;
        let start = diffs.len();
        for _ in 0..30 {
            let r = next();
            let dist = match r % 10 {
                0..=5 => (r >> 8) % 10,
                6..=8 => 10 + (r >> 8) % 90,
                _ => 100 + (r >> 8) % 20_000,
            } as i64;
            let side = if r >> 40 & 1 == 0 {
                Side::Buy
            } else {
                Side::Sell
            };
            let price = match side {
                Side::Buy => mid - 1 - dist,
                Side::Sell => mid + dist,
            };
            let lots = if (r >> 32) % 100 < 45 {
                0
            } else {
                1 + ((r >> 20) % 100_000) as i64
            };
            diffs.push(Update {
                side,
                price: Price::from_ticks(price),
                qty: Quantity::from_lots(lots),
            });
        }
        messages.push(start..diffs.len());
    }
    Stream {
        source: "synthetic stream".to_owned(),
        snapshot,
        diffs,
        messages,
    }
}

fn stream() -> Stream {
    let path = capture_path();
    match load_capture(&path) {
        Ok(s) => s,
        Err(reason) => {
            eprintln!("book bench: {reason}; falling back to a synthetic stream");
            synthetic()
        }
    }
}

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
        "bids differ from the baseline"
    );
    assert!(
        ours.levels(Side::Sell).eq(want_asks.iter().copied()),
        "asks differ from the baseline"
    );
    let (bt_bids, bt_asks) = base.top(TOP);
    let (bt_bids, bt_asks) = (bt_bids.to_vec(), bt_asks.to_vec());
    let top = ours.top();
    assert_eq!(
        (top.bids, top.asks),
        (&bt_bids[..], &bt_asks[..]),
        "top-{TOP} differs"
    );
}

// --- benches ----------------------------------------------------------------------------------

fn bench_book(c: &mut Criterion) {
    let stream = stream();
    check_agreement(&stream);
    eprintln!(
        "book bench: {}: {} snapshot levels, {} diff levels in {} messages",
        stream.source,
        stream.snapshot.len(),
        stream.diffs.len(),
        stream.messages.len()
    );
    let (ours0, base0) = loaded(&stream);

    let mut g = c.benchmark_group("book/apply_level");
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

    let mut g = c.benchmark_group("book/replay_top10");
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

    // The book after the whole replay; each iteration changes the best bid and best ask
    // quantities (so both views are stale) and reads the top-10 of both sides.
    let (mut ours, mut base) = loaded(&stream);
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
        source: String::new(),
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
