//! The sdk's signal functions on real 20-level books, against a naive same-run baseline: the
//! same formula over `Vec<(Decimal, Decimal)>` levels (price and size as exact decimals, the
//! way a first version without integer ticks/lots would hold a book), converted to `f64` at the
//! end. Both sides get the same books in the same order.
//!
//! Groups `signal/<name>`, throughput in books (one signal evaluation per book). Input: 256
//! top-20 views taken every 64 depth messages of `binance-spot_btcusdt_20240808.gz` (tick 0.01,
//! lot 0.00001), after its snapshot.

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use ladder_benches::capture_path;
use ladder_engine::book::{BookConfig, L2Book};

use ladder_engine::capture::merge::CaptureInput;
use ladder_engine::capture::pipeline::read_events;
use ladder_engine::feed::Venue;
use ladder_sdk::signal::{
    DepthWeights, Ofi, OfiConvention, depth_imbalance, top_imbalance, vamp, weighted_mid,
};
use ladder_sdk::{Level, MarketEvent};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

const LEVELS: usize = 20;

struct Book {
    bids: Vec<Level>,
    asks: Vec<Level>,
    /// The same levels as exact decimals (price, size).
    dbids: Vec<(Decimal, Decimal)>,
    dasks: Vec<(Decimal, Decimal)>,
}

fn books() -> Vec<Book> {
    let Some(path) = capture_path("binance-spot_btcusdt_20240808.gz") else {
        return Vec::new();
    };
    let input = [CaptureInput {
        path,
        venue: Venue::BinanceSpot,
    }];
    let Ok((registry, events)) = read_events(&input, &[]) else {
        return Vec::new();
    };
    let Some(first) = registry.iter().next() else {
        return Vec::new();
    };
    let spec = first.spec;
    let (tick, lot) = (spec.tick_size(), spec.lot_size());
    let mut book = L2Book::new(BookConfig {
        top_n: LEVELS,
        ..BookConfig::default()
    });
    let mut out = Vec::new();
    let mut depth_msgs = 0u64;
    for e in &events {
        // One book message closed: a diff's last level or a snapshot's end.
        if !book.apply_event(e) {
            continue;
        }
        if matches!(e, MarketEvent::BookDelta(_)) {
            depth_msgs += 1;
        }
        if depth_msgs > 0 && depth_msgs.is_multiple_of(64) && out.len() < 256 {
            let top = book.top();
            if top.bids.len() == LEVELS && top.asks.len() == LEVELS {
                let dec = |l: &Level| {
                    (
                        Decimal::from(l.price.ticks()) * tick,
                        Decimal::from(l.qty.lots()) * lot,
                    )
                };
                out.push(Book {
                    bids: top.bids.to_vec(),
                    asks: top.asks.to_vec(),
                    dbids: top.bids.iter().map(dec).collect(),
                    dasks: top.asks.iter().map(dec).collect(),
                });
            }
            depth_msgs += 1;
        }
    }
    out
}

fn naive_top_imbalance(b: &[(Decimal, Decimal)], a: &[(Decimal, Decimal)]) -> Option<f64> {
    let (qb, qa) = (b.first()?.1, a.first()?.1);
    let total = qb + qa;
    if total.is_zero() {
        return None;
    }
    ((qb - qa) / total).to_f64()
}

fn naive_depth_imbalance(
    b: &[(Decimal, Decimal)],
    a: &[(Decimal, Decimal)],
    lambda: Decimal,
) -> Option<f64> {
    let (mut num, mut den, mut w) = (Decimal::ZERO, Decimal::ZERO, Decimal::ONE);
    for k in 0..LEVELS {
        let qb = b.get(k).map_or(Decimal::ZERO, |l| l.1);
        let qa = a.get(k).map_or(Decimal::ZERO, |l| l.1);
        num += w * (qb - qa);
        den += w * (qb + qa);
        w *= lambda;
    }
    if den.is_zero() {
        return None;
    }
    (num / den).to_f64()
}

fn naive_weighted_mid(b: &[(Decimal, Decimal)], a: &[(Decimal, Decimal)]) -> Option<f64> {
    let ((pb, qb), (pa, qa)) = (*b.first()?, *a.first()?);
    let total = qb + qa;
    if total.is_zero() {
        return None;
    }
    ((pb * qa + pa * qb) / total).to_f64()
}

fn naive_vamp(b: &[(Decimal, Decimal)], a: &[(Decimal, Decimal)]) -> Option<f64> {
    let (mut num, mut den) = (Decimal::ZERO, Decimal::ZERO);
    for k in 0..LEVELS {
        let ((pb, qb), (pa, qa)) = (*b.get(k)?, *a.get(k)?);
        num += pb * qa + pa * qb;
        den += qb + qa;
    }
    if den.is_zero() {
        return None;
    }
    (num / den).to_f64()
}

/// One side of a naive book: (price, size) as exact decimals, best first.
type DecimalSide = Vec<(Decimal, Decimal)>;

/// Naive OFI over the top `LEVELS` levels: the previous book kept as decimals.
struct NaiveOfi {
    prev: Option<(DecimalSide, DecimalSide)>,
    sum: Decimal,
}

impl NaiveOfi {
    fn update(&mut self, b: &[(Decimal, Decimal)], a: &[(Decimal, Decimal)]) -> Decimal {
        if let Some((pb, pa)) = &self.prev {
            for k in 0..LEVELS.min(b.len()).min(a.len()).min(pb.len()).min(pa.len()) {
                let eb = if b[k].0 >= pb[k].0 {
                    b[k].1
                } else {
                    Decimal::ZERO
                } - if b[k].0 <= pb[k].0 {
                    pb[k].1
                } else {
                    Decimal::ZERO
                };
                let ea = if a[k].0 <= pa[k].0 {
                    a[k].1
                } else {
                    Decimal::ZERO
                } - if a[k].0 >= pa[k].0 {
                    pa[k].1
                } else {
                    Decimal::ZERO
                };
                self.sum += eb - ea;
            }
        }
        self.prev = Some((b.to_vec(), a.to_vec()));
        self.sum
    }
}

fn bench_signals(c: &mut Criterion) {
    let books = books();
    if books.is_empty() {
        eprintln!("signals: no books from the spot capture; skipped");
        return;
    }
    eprintln!("signals: {} real {LEVELS}-level books", books.len());
    let n = books.len() as u64;
    let lambda = Decimal::new(5, 1);

    macro_rules! pair {
        ($group:literal, $sdk:expr, $naive:expr) => {{
            let mut g = c.benchmark_group($group);
            g.throughput(Throughput::Elements(n));
            g.bench_function("sdk_ticks_lots", |bch| {
                bch.iter(|| {
                    let mut acc = 0.0;
                    for bk in &books {
                        acc += $sdk(black_box(&bk.bids), black_box(&bk.asks)).unwrap_or(0.0);
                    }
                    acc
                })
            });
            g.bench_function("naive_decimal", |bch| {
                bch.iter(|| {
                    let mut acc = 0.0;
                    for bk in &books {
                        acc += $naive(black_box(&bk.dbids), black_box(&bk.dasks)).unwrap_or(0.0);
                    }
                    acc
                })
            });
            g.finish();
        }};
    }

    pair!(
        "signal/top_imbalance",
        |b: &[Level], a: &[Level]| top_imbalance(b, a).map(|t| t.rho),
        naive_top_imbalance
    );
    pair!(
        "signal/depth_imbalance_20_geometric",
        |b: &[Level], a: &[Level]| depth_imbalance(
            b,
            a,
            LEVELS,
            DepthWeights::Geometric { lambda: 0.5 }
        ),
        |b: &[(Decimal, Decimal)], a: &[(Decimal, Decimal)]| naive_depth_imbalance(b, a, lambda)
    );
    pair!("signal/weighted_mid", weighted_mid, naive_weighted_mid);
    pair!(
        "signal/vamp_20",
        |b: &[Level], a: &[Level]| vamp(b, a, LEVELS),
        naive_vamp
    );

    let mut g = c.benchmark_group("signal/ofi_20");
    g.throughput(Throughput::Elements(n));
    g.bench_function("sdk_ticks_lots", |bch| {
        let mut ofi = Ofi::new(LEVELS, OfiConvention::Cks);
        bch.iter(|| {
            for bk in &books {
                black_box(ofi.update(black_box(&bk.bids), black_box(&bk.asks)));
            }
            ofi.sum(0)
        })
    });
    g.bench_function("naive_decimal", |bch| {
        let mut ofi = NaiveOfi {
            prev: None,
            sum: Decimal::ZERO,
        };
        bch.iter(|| {
            let mut last = Decimal::ZERO;
            for bk in &books {
                last = ofi.update(black_box(&bk.dbids), black_box(&bk.dasks));
            }
            last
        })
    });
    g.finish();
}

criterion_group!(benches, bench_signals);
criterion_main!(benches);
