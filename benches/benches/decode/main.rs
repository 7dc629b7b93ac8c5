//! Decoding real Binance and Bybit book frames: ladder's scanner straight to ticks/lots vs the
//! usual `serde_json` typed struct with `rust_decimal` fields, in the same run.
//!
//! Groups: `decode/depth_all` (every diff-depth frame of the Binance spot capture, per frame),
//! `decode/depth_50` (the frames with 45–55 levels, i.e. about 25 + 25),
//! `decode/bybit_spot_ob200` (every `orderbook.200` frame of the Bybit spot capture: 2
//! snapshots of 200 + 200 levels and 548 deltas) and `decode/bybit_linear_ob500` (the XRPUSDT
//! `orderbook.500` history: a 500 + 500 snapshot and 49 deltas); `decode/okx_books` (every
//! `books` frame of the 2022 OKX recording: 3 snapshots of up to 400 levels a side and 287
//! updates, levels `[px, sz, "0", numOrders]`; ladder's decoder also keeps each level's wire
//! text for the checksum); `decode/coinbase_l2_update` (every `l2_data` update frame of the
//! 2026 Advanced Trade recording: 773 frames of one to a few level objects) and
//! `decode/coinbase_l2_snapshot` (its BTC-USD snapshot: one 5 MB frame of 46,000 level
//! objects); `decode/kraken_v1_book` (every book frame of the 2021 Kraken v1
//! recording: 2 snapshots of 1000 + 1000 levels and 1135 updates, values as strings) and
//! `decode/kraken_v2_book` (the book frames of the 2026 v2 recordings: values as JSON numbers,
//! which the serde baseline reads through `f64`, as a decoder without `arbitrary_precision`
//! must; ladder reads their text exactly); `checksum/kraken_1000` (the CRC32 of the top 10
//! asks and bids of a 1000 + 1000 level book: ladder's ticks written as integers vs the
//! decimal-string way, `Decimal` formatted at the pair's precision, `.` and leading zeros
//! stripped); `checksum/kraken_verify_1000` (one two-level update on that book at depth 1000
//! through Kraken's sequencer, as the feed thread runs it: apply, truncate, checksum, compare;
//! baseline the same message without a checksum, so the difference is the verification).

use criterion::{BenchmarkId, Criterion, Throughput, black_box, criterion_group, criterion_main};
use ladder_benches::{capture_frames, vector_frames};
use ladder_engine::feed::Venue;
use ladder_engine::feed::binance::{Decoded, Decoder};
use ladder_engine::instrument::Registry;
use ladder_sdk::{InstrumentSpec, Level, UnixNanos};
use rust_decimal::Decimal;
use serde::Deserialize;

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    #[allow(dead_code)]
    stream: &'a str,
    data: DepthUpdate,
}

#[allow(non_snake_case, dead_code)]
#[derive(Deserialize)]
struct DepthUpdate {
    e: String,
    E: u64,
    s: String,
    U: u64,
    u: u64,
    b: Vec<[Decimal; 2]>,
    a: Vec<[Decimal; 2]>,
}

/// The sonic-rs baseline's shape: borrowed `&str` fields (sonic-rs' fast path), each price and
/// quantity then parsed into a `Decimal`, as the measurement did.
#[derive(Deserialize)]
struct SonicEnvelope<'a> {
    #[serde(borrow)]
    #[allow(dead_code)]
    stream: &'a str,
    #[serde(borrow)]
    data: SonicDepth<'a>,
}

#[allow(non_snake_case, dead_code)]
#[derive(Deserialize)]
struct SonicDepth<'a> {
    e: &'a str,
    E: u64,
    s: &'a str,
    U: u64,
    u: u64,
    #[serde(borrow)]
    b: Vec<[&'a str; 2]>,
    #[serde(borrow)]
    a: Vec<[&'a str; 2]>,
}

/// Levels as `(price, qty)` decimals, for the baselines.
type DecLevels = Vec<(Decimal, Decimal)>;

/// The sonic-rs baseline: typed `&str` fields, then `Decimal` for each.
fn sonic_depth(frame: &str) -> Option<(DecLevels, DecLevels)> {
    let m: SonicEnvelope<'_> = sonic_rs::from_str(frame).ok()?;
    let dec = |side: &[[&str; 2]]| -> Option<DecLevels> {
        side.iter()
            .map(|[p, q]| Some((p.parse().ok()?, q.parse().ok()?)))
            .collect()
    };
    Some((dec(&m.data.b)?, dec(&m.data.a)?))
}

/// The sonic-rs baseline as timed: every price and quantity parsed into a `Decimal` (a
/// `black_box`ed sum keeps them), the level count returned.
fn sonic_count(frame: &str) -> usize {
    let Ok(m) = sonic_rs::from_str::<SonicEnvelope<'_>>(frame) else {
        return 0;
    };
    let mut n = 0;
    for [p, q] in m.data.b.iter().chain(&m.data.a) {
        if let (Ok(p), Ok(q)) = (p.parse::<Decimal>(), q.parse::<Decimal>()) {
            black_box((p, q));
            n += 1;
        }
    }
    n
}

/// The serde_json baseline as timed: the level count of the typed struct.
fn serde_count(frame: &str) -> usize {
    serde_json::from_str::<Envelope<'_>>(frame).map_or(0, |m| m.data.b.len() + m.data.a.len())
}

/// The serde_json baseline: a typed struct with `Decimal` fields.
fn serde_depth(frame: &str) -> Option<(DecLevels, DecLevels)> {
    let m: Envelope<'_> = serde_json::from_str(frame).ok()?;
    let dec = |side: &[[Decimal; 2]]| side.iter().map(|[p, q]| (*p, *q)).collect();
    Some((dec(&m.data.b), dec(&m.data.a)))
}

fn synthetic(levels: usize) -> String {
    let side = |base: u64, dir: i64| -> String {
        (0..levels / 2)
            .map(|i| {
                let p = base as i64 + dir * i as i64;
                format!(
                    "[\"{}.{:02}000000\",\"{}.{:08}\"]",
                    p / 100,
                    p % 100,
                    i % 7,
                    12_345 * i
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        "{{\"stream\":\"btcusdt@depth@100ms\",\"data\":{{\"e\":\"depthUpdate\",\"E\":1723161255208,\"s\":\"BTCUSDT\",\"U\":1,\"u\":2,\"b\":[{}],\"a\":[{}]}}}}",
        side(6_183_763, -1),
        side(6_183_764, 1)
    )
}

/// The Binance spot capture's diff-depth frames (or a synthetic 25 + 25 frame).
fn depth_frames() -> Vec<String> {
    match capture_frames("binance-spot_btcusdt_20240808.gz") {
        Some(frames) => frames
            .into_iter()
            .filter(|f| f.contains("depthUpdate"))
            .collect(),
        None => vec![synthetic(50)],
    }
}

fn bench_decode(c: &mut Criterion) {
    let mut registry = Registry::new();
    // Tick 0.01; lot 0.00000001, the eight decimals Binance writes every spot quantity with
    // (the capture holds a 25.426189 that a 0.00001 lot would refuse).
    let spec = InstrumentSpec::new(Decimal::new(1, 2), Decimal::new(1, 8)).expect("spec");
    registry
        .add(Venue::BinanceSpot, "BTCUSDT", spec)
        .expect("register");
    let mut decoder = Decoder::new(Venue::BinanceSpot);
    let all = depth_frames();
    // Every frame: ladder's levels, and both baselines give the same levels (as ticks and
    // lots) before anything is timed; a baseline that read less would measure less.
    let mut counts = Vec::with_capacity(all.len());
    for f in &all {
        let decoded = decoder.decode(f.as_bytes(), UnixNanos::ZERO, &registry);
        assert!(matches!(decoded, Ok(Decoded::Depth(_))), "{decoded:?}: {f}");
        let ours = (decoder.bids().to_vec(), decoder.asks().to_vec());
        let ticks = |side: DecLevels| -> Vec<Level> {
            side.into_iter()
                .map(|(p, q)| {
                    Level::new(
                        spec.price_from_decimal(p).expect("price"),
                        spec.qty_from_decimal(q).expect("qty"),
                    )
                })
                .collect()
        };
        for (name, theirs) in [("sonic-rs", sonic_depth(f)), ("serde_json", serde_depth(f))] {
            let (b, a) = theirs.unwrap_or_else(|| panic!("{name} did not read {f}"));
            assert_eq!((ticks(b), ticks(a)), ours, "{name} levels differ: {f}");
        }
        let n = ours.0.len() + ours.1.len();
        assert_eq!(
            (sonic_count(f), serde_count(f)),
            (n, n),
            "timed level counts: {f}"
        );
        counts.push(n);
    }
    // About 25 + 25: selected by the level count each frame decoded to.
    let fifty: Vec<String> = all
        .iter()
        .zip(&counts)
        .filter(|(_, n)| (45..=55).contains(*n))
        .map(|(f, _)| f.clone())
        .collect();
    let fifty = if fifty.is_empty() {
        vec![synthetic(50)]
    } else {
        fifty
    };
    for (name, frames) in [("depth_all", &all), ("depth_50", &fifty)] {
        let mut group = c.benchmark_group(format!("decode/{name}"));
        group.throughput(Throughput::Elements(frames.len() as u64));
        let bytes: usize = frames.iter().map(String::len).sum();
        let levels: usize = frames
            .iter()
            .map(
                |f| match decoder.decode(f.as_bytes(), UnixNanos::ZERO, &registry) {
                    Ok(_) => decoder.bids().len() + decoder.asks().len(),
                    Err(_) => 0,
                },
            )
            .sum();
        eprintln!(
            "decode/{name}: {} frames, mean {} bytes, mean {:.1} levels",
            frames.len(),
            bytes / frames.len().max(1),
            levels as f64 / frames.len().max(1) as f64
        );
        group.bench_function(
            BenchmarkId::new("ladder_scanner_ticks", frames.len()),
            |b| {
                b.iter(|| {
                    let mut levels = 0usize;
                    for f in frames {
                        if let Ok(Decoded::Depth(_)) =
                            decoder.decode(black_box(f.as_bytes()), UnixNanos::ZERO, &registry)
                        {
                            levels += decoder.bids().len() + decoder.asks().len();
                        }
                    }
                    levels
                });
            },
        );
        group.bench_function(
            BenchmarkId::new("sonic_rs_str_then_decimal", frames.len()),
            |b| {
                b.iter(|| {
                    frames
                        .iter()
                        .map(|f| sonic_count(black_box(f)))
                        .sum::<usize>()
                });
            },
        );
        group.bench_function(
            BenchmarkId::new("serde_json_typed_decimal", frames.len()),
            |b| {
                b.iter(|| {
                    frames
                        .iter()
                        .map(|f| serde_count(black_box(f)))
                        .sum::<usize>()
                });
            },
        );
        group.finish();
    }
}

mod bybit;
mod coinbase;
mod kraken;
mod okx;

criterion_group!(
    benches,
    bench_decode,
    bybit::bench_decode_bybit,
    okx::bench_okx,
    coinbase::bench_coinbase,
    kraken::bench_kraken,
    kraken::bench_kraken_checksum,
    kraken::bench_kraken_verify
);
criterion_main!(benches);
