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
use ladder_engine::feed::bybit;
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
/// quantity then parsed into a `Decimal`, as the issue's measurement did.
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

/// A Bybit `orderbook` message, typed.
#[allow(dead_code)]
#[derive(Deserialize)]
struct BybitBook<'a> {
    #[serde(borrow)]
    topic: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    ts: u64,
    data: BybitData,
    cts: Option<u64>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct BybitData {
    s: String,
    b: Vec<[Decimal; 2]>,
    a: Vec<[Decimal; 2]>,
    u: u64,
    seq: Option<u64>,
}

/// A Bybit delta of `levels` levels, when the vectors are missing.
fn bybit_synthetic(levels: usize) -> String {
    let side = |base: u64, dir: i64| -> String {
        (0..levels / 2)
            .map(|i| {
                format!(
                    "[\"{}.{}\",\"0.{:06}\"]",
                    base as i64 + dir * i as i64,
                    i % 10,
                    1 + i
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        "{{\"topic\":\"orderbook.200.BTCUSDT\",\"ts\":1,\"type\":\"delta\",\"data\":{{\"s\":\"BTCUSDT\",\"b\":[{}],\"a\":[{}],\"u\":2,\"seq\":3}},\"cts\":1}}",
        side(65_000, -1),
        side(65_100, 1)
    )
}

fn bench_decode_bybit(c: &mut Criterion) {
    let cases = [
        (
            "bybit_spot_ob200",
            Venue::BybitSpot,
            "bybit/capture_bybit-v5-spot_cryptofeed_20260809.txt.gz",
            [("BTCUSDT", 1, 6), ("ETHUSDT", 2, 5)],
        ),
        (
            "bybit_linear_ob500",
            Venue::BybitLinear,
            "bybit/nautilus_2024-12-01_XRPUSDT_ob500.data",
            [("XRPUSDT", 4, 0), ("BTCUSDT", 1, 6)],
        ),
    ];
    for (name, venue, rel, symbols) in cases {
        let mut registry = Registry::new();
        for (symbol, tick, lot) in symbols {
            let spec =
                InstrumentSpec::new(Decimal::new(1, tick), Decimal::new(1, lot)).expect("spec");
            registry.add(venue, symbol, spec).expect("register");
        }
        let frames: Vec<String> = vector_frames(rel)
            .map(|f| {
                f.into_iter()
                    .filter(|f| f.contains("\"topic\":\"orderbook."))
                    .collect()
            })
            .unwrap_or_else(|| vec![bybit_synthetic(50)]);
        let mut group = c.benchmark_group(format!("decode/{name}"));
        group.throughput(Throughput::Elements(frames.len() as u64));
        let bytes: usize = frames.iter().map(String::len).sum();
        eprintln!(
            "decode/{name}: {} frames, mean {} bytes",
            frames.len(),
            bytes / frames.len().max(1)
        );
        let mut decoder = bybit::Decoder::new(venue);
        // Every frame decodes (a bench of errors would measure nothing).
        for f in &frames {
            assert!(
                decoder
                    .decode(f.as_bytes(), UnixNanos::ZERO, &registry)
                    .is_ok(),
                "{name}"
            );
        }
        group.bench_function(
            BenchmarkId::new("ladder_scanner_ticks", frames.len()),
            |b| {
                b.iter(|| {
                    let mut levels = 0usize;
                    for f in &frames {
                        if let Ok(bybit::Decoded::Book(_)) =
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
            BenchmarkId::new("serde_json_typed_decimal", frames.len()),
            |b| {
                b.iter(|| {
                    let mut levels = 0usize;
                    for f in &frames {
                        if let Ok(m) = serde_json::from_str::<BybitBook<'_>>(black_box(f)) {
                            levels += m.data.b.len() + m.data.a.len();
                        }
                    }
                    levels
                });
            },
        );
        group.finish();
    }
}

/// OKX `books` message, the usual typed way.
#[derive(Deserialize)]
struct OkxBooks<'a> {
    #[serde(borrow)]
    arg: OkxArg<'a>,
    #[allow(dead_code)]
    action: Option<&'a str>,
    data: Vec<OkxBook>,
}

#[derive(Deserialize)]
struct OkxArg<'a> {
    #[allow(dead_code)]
    channel: &'a str,
    #[serde(rename = "instId")]
    inst_id: &'a str,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct OkxBook {
    asks: Vec<(
        Decimal,
        Decimal,
        serde::de::IgnoredAny,
        serde::de::IgnoredAny,
    )>,
    bids: Vec<(
        Decimal,
        Decimal,
        serde::de::IgnoredAny,
        serde::de::IgnoredAny,
    )>,
    ts: String,
    checksum: Option<i64>,
    #[serde(rename = "seqId")]
    seq_id: Option<i64>,
    #[serde(rename = "prevSeqId")]
    prev_seq_id: Option<i64>,
}

/// The `books` frames of the 2022 OKX recording (or a synthetic one without `../shared`).
fn okx_inputs() -> Vec<String> {
    let path = std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/okx/cryptofeed_OKX.ws.1.0"
    ));
    let frames: Vec<String> = std::fs::read_to_string(&path)
        .map(|t| {
            t.lines()
                .filter(|l| !l.starts_with("wss://"))
                .filter_map(|l| l.split_once(": ").map(|(_, f)| f.to_owned()))
                .filter(|f| f.contains(r#""channel":"books""#) && f.contains(r#""data""#))
                .collect()
        })
        .unwrap_or_default();
    if !frames.is_empty() {
        return frames;
    }
    eprintln!(
        "note: {} not found; using a synthetic input",
        path.display()
    );
    let side = |base: i64, dir: i64| {
        (0..25)
            .map(|i| {
                format!(
                    r#"["{}.{}","0.{:08}","0","{}"]"#,
                    base + dir * i,
                    i % 10,
                    12_345 * i,
                    1 + i % 4
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    vec![format!(
        r#"{{"arg":{{"channel":"books","instId":"BTC-USDT"}},"action":"update","data":[{{"asks":[{}],"bids":[{}],"ts":"1652459227127","checksum":-1724950524}}]}}"#,
        side(30_300, 1),
        side(30_200, -1)
    )]
}

fn bench_okx(c: &mut Criterion) {
    use ladder_engine::feed::okx::{Decoded as OkxDecoded, Decoder as OkxDecoder};
    let mut registry = Registry::new();
    for (sym, tick, lot) in [
        ("BTC-USDT", Decimal::new(1, 1), Decimal::new(1, 8)),
        ("BTC-USD-220527", Decimal::new(1, 1), Decimal::new(1, 0)),
        ("UNI-USD-SWAP", Decimal::new(1, 3), Decimal::new(1, 0)),
    ] {
        let spec = InstrumentSpec::new(tick, lot).expect("spec");
        registry
            .add(ladder_engine::feed::Venue::Okx, sym, spec)
            .expect("register");
    }
    let frames = okx_inputs();
    let mut group = c.benchmark_group("decode/okx_books");
    group.throughput(Throughput::Elements(frames.len() as u64));
    let bytes: usize = frames.iter().map(String::len).sum();
    eprintln!(
        "decode/okx_books: {} frames, mean {} bytes",
        frames.len(),
        bytes / frames.len().max(1)
    );
    let mut decoder = OkxDecoder::new();
    // Both sides must read every level of every frame, or the ratio means nothing.
    let ours: usize = frames
        .iter()
        .map(
            |f| match decoder.decode(f.as_bytes(), UnixNanos::ZERO, &registry) {
                Ok(OkxDecoded::Book(_)) => decoder.bids().len() + decoder.asks().len(),
                _ => 0,
            },
        )
        .sum();
    let theirs: usize = frames
        .iter()
        .filter_map(|f| serde_json::from_str::<OkxBooks<'_>>(f).ok())
        .map(|m| {
            m.data
                .iter()
                .map(|d| d.bids.len() + d.asks.len())
                .sum::<usize>()
        })
        .sum();
    assert_eq!(ours, theirs, "levels read: ladder vs serde_json");
    eprintln!("decode/okx_books: {ours} levels");
    group.bench_function(
        BenchmarkId::new("ladder_scanner_ticks", frames.len()),
        |b| {
            b.iter(|| {
                let mut levels = 0usize;
                for f in &frames {
                    if let Ok(OkxDecoded::Book(_)) =
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
        BenchmarkId::new("serde_json_typed_decimal", frames.len()),
        |b| {
            b.iter(|| {
                let mut levels = 0usize;
                for f in &frames {
                    if let Ok(m) = serde_json::from_str::<OkxBooks<'_>>(black_box(f)) {
                        levels += m.arg.inst_id.len().min(1)
                            * m.data
                                .iter()
                                .map(|d| d.bids.len() + d.asks.len())
                                .sum::<usize>();
                    }
                }
                levels
            });
        },
    );
    group.finish();
}

/// Coinbase Advanced Trade `l2_data` message, the usual typed way.
#[derive(Deserialize)]
struct CoinbaseL2<'a> {
    #[allow(dead_code)]
    #[serde(borrow)]
    channel: &'a str,
    #[allow(dead_code)]
    sequence_num: u64,
    #[serde(borrow)]
    events: Vec<CoinbaseEvent<'a>>,
}

#[derive(Deserialize)]
struct CoinbaseEvent<'a> {
    #[allow(dead_code)]
    #[serde(rename = "type")]
    kind: &'a str,
    product_id: &'a str,
    #[serde(borrow)]
    updates: Vec<CoinbaseLevel<'a>>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct CoinbaseLevel<'a> {
    side: &'a str,
    price_level: Decimal,
    new_quantity: Decimal,
}

/// The `l2_data` update frames and the BTC-USD snapshot of the Advanced Trade recording (or
/// synthetic ones without `../shared`).
fn coinbase_inputs() -> (Vec<String>, String) {
    let frames = vector_frames("coinbase/capture_coinbase-advanced_cryptofeed_20260809.txt.gz")
        .unwrap_or_default();
    let l2 = |f: &&String| f.contains(r#""channel":"l2_data""#);
    let updates: Vec<String> = frames
        .iter()
        .filter(l2)
        .filter(|f| f.contains(r#""type":"update""#))
        .cloned()
        .collect();
    let snapshot = frames
        .iter()
        .filter(l2)
        .find(|f| f.contains(r#""type":"snapshot","product_id":"BTC-USD""#))
        .cloned();
    if let (false, Some(snapshot)) = (updates.is_empty(), snapshot) {
        return (updates, snapshot);
    }
    let level = |i: usize, bid: bool| {
        format!(
            r#"{{"side":"{}","event_time":"2026-08-09T21:05:48.170326Z","price_level":"{}.{:02}","new_quantity":"0.{:08}"}}"#,
            if bid { "bid" } else { "offer" },
            if bid { 65_000 - i } else { 65_001 + i },
            i % 100,
            12_345 * (i + 1)
        )
    };
    let frame = |kind: &str, n: usize| {
        let levels: Vec<String> = (0..n).map(|i| level(i, i % 2 == 0)).collect();
        format!(
            r#"{{"channel":"l2_data","timestamp":"2026-08-09T21:05:48.483587501Z","sequence_num":13,"events":[{{"type":"{kind}","product_id":"BTC-USD","updates":[{}]}}]}}"#,
            levels.join(",")
        )
    };
    (vec![frame("update", 2)], frame("snapshot", 46_000))
}

fn bench_coinbase(c: &mut Criterion) {
    use ladder_engine::feed::coinbase::{Decoded as CbDecoded, Decoder as CbDecoder};
    let mut registry = Registry::new();
    let spec = InstrumentSpec::new(Decimal::new(1, 2), Decimal::new(1, 8)).expect("spec");
    for sym in ["BTC-USD", "ETH-USD"] {
        registry.add(Venue::Coinbase, sym, spec).expect("register");
    }
    let (updates, snapshot) = coinbase_inputs();
    let mut decoder = CbDecoder::new(Venue::Coinbase);
    let count = |d: &mut CbDecoder, f: &str| -> usize {
        match d.decode(black_box(f.as_bytes()), UnixNanos::ZERO, &registry) {
            Ok(CbDecoded::Book(_)) => d
                .events()
                .iter()
                .map(|e| {
                    let (b, a) = d.levels(e);
                    b.len() + a.len()
                })
                .sum(),
            _ => 0,
        }
    };
    let theirs = |f: &str| -> usize {
        serde_json::from_str::<CoinbaseL2<'_>>(black_box(f)).map_or(0, |m| {
            m.events
                .iter()
                .map(|e| e.product_id.len().min(1) * e.updates.len())
                .sum()
        })
    };
    for (name, frames) in [
        ("coinbase_l2_update", updates),
        ("coinbase_l2_snapshot", vec![snapshot]),
    ] {
        // Both sides must read every level of every frame, or the ratio means nothing.
        let ours: usize = frames.iter().map(|f| count(&mut decoder, f)).sum();
        let base: usize = frames.iter().map(|f| theirs(f)).sum();
        assert_eq!(ours, base, "levels read: ladder vs serde_json");
        let bytes: usize = frames.iter().map(String::len).sum();
        eprintln!(
            "decode/{name}: {} frames, mean {} bytes, {ours} levels",
            frames.len(),
            bytes / frames.len().max(1)
        );
        let mut group = c.benchmark_group(format!("decode/{name}"));
        group.throughput(Throughput::Elements(frames.len() as u64));
        if name == "coinbase_l2_snapshot" {
            group.sample_size(10);
        }
        group.bench_function(
            BenchmarkId::new("ladder_scanner_ticks", frames.len()),
            |b| b.iter(|| frames.iter().map(|f| count(&mut decoder, f)).sum::<usize>()),
        );
        group.bench_function(
            BenchmarkId::new("serde_json_typed_decimal", frames.len()),
            |b| b.iter(|| frames.iter().map(|f| theirs(f)).sum::<usize>()),
        );
        group.finish();
    }
}

/// A Kraken v2 `book` message, typed; numbers through `f64` into `Decimal`.
#[derive(Deserialize)]
struct KrakenV2<'a> {
    #[serde(borrow)]
    #[allow(dead_code)]
    channel: &'a str,
    #[serde(rename = "type")]
    #[allow(dead_code)]
    kind: &'a str,
    data: Vec<KrakenV2Book>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct KrakenV2Book {
    symbol: String,
    bids: Vec<KrakenV2Level>,
    asks: Vec<KrakenV2Level>,
    checksum: Option<u32>,
    timestamp: Option<String>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct KrakenV2Level {
    #[serde(deserialize_with = "f64_decimal")]
    price: Decimal,
    #[serde(deserialize_with = "f64_decimal")]
    qty: Decimal,
}

fn f64_decimal<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let v = f64::deserialize(d)?;
    Decimal::try_from(v).map_err(serde::de::Error::custom)
}

/// One element of a Kraken v1 array message, typed.
#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(untagged)]
enum KrakenV1Elem {
    Id(u64),
    Part(KrakenV1Part),
    Name(String),
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct KrakenV1Part {
    #[serde(default, rename = "as")]
    snap_asks: Vec<(Decimal, Decimal, String)>,
    #[serde(default, rename = "bs")]
    snap_bids: Vec<(Decimal, Decimal, String)>,
    #[serde(default)]
    a: Vec<(Decimal, Decimal, String)>,
    #[serde(default)]
    b: Vec<(Decimal, Decimal, String)>,
    c: Option<String>,
}

impl KrakenV1Part {
    fn levels(&self) -> usize {
        self.snap_asks.len() + self.snap_bids.len() + self.a.len() + self.b.len()
    }
}

/// The book frames of a Kraken vector (`v1`: the cryptofeed recording; else the two v2
/// captures), or nothing without `../shared`.
fn kraken_inputs(v1: bool) -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors/kraken/");
    let files: &[&str] = if v1 {
        &["cryptofeed_KRAKEN.ws.50.0_XMRUSD_XBTCHF.txt"]
    } else {
        &[
            "capture_ccxt_v2_book_BTCUSD_20260812.txt",
            "capture_ccxt_v2_book_BTCUSD_20261006_resnapshot.txt",
        ]
    };
    let mut frames = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(format!("{dir}{f}")) else {
            eprintln!("note: {dir}{f} not found; decode/kraken skipped");
            return Vec::new();
        };
        let sep = if v1 { ": " } else { " " };
        frames.extend(
            text.lines()
                .filter(|l| !l.starts_with("wss://"))
                .filter_map(|l| l.split_once(sep).map(|(_, f)| f.to_owned()))
                .filter(|f| f.contains("book")),
        );
    }
    frames.retain(|f| f.starts_with('[') || f.contains(r#""channel":"book""#));
    frames
}

fn kraken_registry() -> Registry {
    let mut registry = Registry::new();
    for (sym, tick) in [("XMR/USD", "0.01"), ("XBT/CHF", "0.1"), ("BTC/USD", "0.1")] {
        let spec = InstrumentSpec::new(tick.parse().expect("tick"), Decimal::new(1, 8));
        registry
            .add(Venue::Kraken, sym, spec.expect("spec"))
            .expect("register");
    }
    registry
}

fn bench_kraken(c: &mut Criterion) {
    use ladder_engine::feed::kraken::{Decoded as KDecoded, Decoder as KDecoder};
    let registry = kraken_registry();
    for v1 in [true, false] {
        let frames = kraken_inputs(v1);
        if frames.is_empty() {
            continue;
        }
        let name = if v1 {
            "kraken_v1_book"
        } else {
            "kraken_v2_book"
        };
        let mut decoder = KDecoder::new();
        let ours_of =
            |f: &str, d: &mut KDecoder| match d.decode(f.as_bytes(), UnixNanos::ZERO, &registry) {
                Ok(KDecoded::Book(_)) => d.bids().len() + d.asks().len(),
                Ok(_) => 0,
                Err(e) => panic!("{e}: {f}"),
            };
        let theirs_of = |f: &str| -> usize {
            if v1 {
                serde_json::from_str::<Vec<KrakenV1Elem>>(f)
                    .map(|m| {
                        m.iter()
                            .map(|e| match e {
                                KrakenV1Elem::Part(p) => p.levels(),
                                _ => 0,
                            })
                            .sum()
                    })
                    .unwrap_or(0)
            } else {
                serde_json::from_str::<KrakenV2<'_>>(f)
                    .map(|m| m.data.iter().map(|d| d.bids.len() + d.asks.len()).sum())
                    .unwrap_or(0)
            }
        };
        // Both sides must read every level of every frame, or the ratio means nothing.
        let ours: usize = frames.iter().map(|f| ours_of(f, &mut decoder)).sum();
        let theirs: usize = frames.iter().map(|f| theirs_of(f)).sum();
        assert_eq!(ours, theirs, "{name}: levels read, ladder vs serde_json");
        let bytes: usize = frames.iter().map(String::len).sum();
        eprintln!(
            "decode/{name}: {} frames, {ours} levels, mean {} bytes",
            frames.len(),
            bytes / frames.len()
        );
        let mut group = c.benchmark_group(format!("decode/{name}"));
        group.throughput(Throughput::Elements(frames.len() as u64));
        group.bench_function(
            BenchmarkId::new("ladder_scanner_ticks", frames.len()),
            |b| {
                b.iter(|| {
                    frames
                        .iter()
                        .map(|f| ours_of(black_box(f), &mut decoder))
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
                        .map(|f| theirs_of(black_box(f)))
                        .sum::<usize>()
                })
            },
        );
        group.finish();
    }
}

/// The top-20 checksum on a book of 1000 levels a side (BTC/USD-like: 0.1 tick, 8-decimal
/// lots), per message; baseline: the decimal-string way.
fn bench_kraken_checksum(c: &mut Criterion) {
    use ladder_engine::book::{BookConfig, L2Book};
    use ladder_engine::feed::kraken::checksum::{Render, checksum, checksum_text};
    use ladder_engine::feed::kraken::wire::Decimals;
    use ladder_sdk::{Price, Quantity, Side};
    let spec = InstrumentSpec::new(Decimal::new(1, 1), Decimal::new(1, 8)).expect("spec");
    let mut book = L2Book::new(BookConfig::default());
    for i in 0..1000i64 {
        let lots = Quantity::from_lots(1 + (i * 7_919_123) % 300_000_000);
        book.apply(Side::Buy, Price::from_ticks(632_994 - 3 * i), lots);
        book.apply(Side::Sell, Price::from_ticks(632_995 + 3 * i), lots);
    }
    let mut render = Render::new(&spec);
    render.set(Decimals { price: 1, qty: 8 });
    let by_strings = |book: &L2Book| -> u32 {
        let mut text = String::new();
        for side in [Side::Sell, Side::Buy] {
            for l in book.levels(side).take(10) {
                let p = format!("{:.1}", spec.price_to_decimal(l.price));
                let q = format!("{:.8}", spec.qty_to_decimal(l.qty));
                for v in [p, q] {
                    let digits: String = v.chars().filter(|&c| c != '.').collect();
                    text.push_str(digits.trim_start_matches('0'));
                }
            }
        }
        crc_of(text.as_bytes())
    };
    assert_eq!(checksum(&book, &render), by_strings(&book), "same checksum");
    assert_eq!(
        crc_of(checksum_text(&book, &render).as_bytes()),
        by_strings(&book)
    );
    let mut group = c.benchmark_group("checksum/kraken_1000");
    group.throughput(Throughput::Elements(1));
    group.bench_function("ladder_ticks_as_integers", |b| {
        b.iter(|| checksum(black_box(&book), &render));
    });
    group.bench_function("decimal_strings", |b| {
        b.iter(|| by_strings(black_box(&book)))
    });
    // The part of the checksum that only walks the top 10 levels of each side (no text, no
    // CRC): where the time goes.
    group.bench_function("top_10_walk_only", |b| {
        b.iter(|| {
            let book = black_box(&book);
            [Side::Sell, Side::Buy]
                .into_iter()
                .flat_map(|s| book.levels(s).take(10))
                .fold(0i64, |a, l| a ^ l.price.ticks() ^ l.qty.lots())
        })
    });
    group.finish();
}

/// One update of a 1000 + 1000 level book through Kraken's sequencer, with its checksum
/// verified, per message; baseline: the same update without a checksum (apply and truncate
/// only). The update sets two levels inside the top 10 to the values they hold after it, so
/// every iteration leaves the same book and the same checksum.
fn bench_kraken_verify(c: &mut Criterion) {
    use ladder_engine::book::{BookConfig, L2Book};
    use ladder_engine::feed::kraken::checksum::{Render, checksum};
    use ladder_engine::feed::kraken::wire::{Decimals, Version};
    use ladder_engine::feed::kraken::{BookHeader, NullSink, Outcome, Sequencer};
    use ladder_sdk::{InstrumentId, Level, Price, Quantity, Side};
    let spec = InstrumentSpec::new(Decimal::new(1, 1), Decimal::new(1, 8)).expect("spec");
    let level =
        |ticks: i64, lots: i64| Level::new(Price::from_ticks(ticks), Quantity::from_lots(lots));
    let lots = |i: i64| 1 + (i * 7_919_123) % 300_000_000;
    let bids: Vec<Level> = (0..1000).map(|i| level(632_994 - 3 * i, lots(i))).collect();
    let asks: Vec<Level> = (0..1000).map(|i| level(632_995 + 3 * i, lots(i))).collect();
    let update_bids = [level(632_994 - 3 * 4, 12_345_678)];
    let update_asks = [level(632_995 + 3 * 7, 87_654_321)];
    let mut after = L2Book::new(BookConfig::default());
    for l in &bids {
        after.apply(Side::Buy, l.price, l.qty);
    }
    for l in &asks {
        after.apply(Side::Sell, l.price, l.qty);
    }
    after.apply(Side::Buy, update_bids[0].price, update_bids[0].qty);
    after.apply(Side::Sell, update_asks[0].price, update_asks[0].qty);
    let decimals = Decimals { price: 1, qty: 8 };
    let mut render = Render::new(&spec);
    render.set(decimals);
    let header = |snapshot: bool, checksum: Option<u32>| BookHeader {
        instrument: InstrumentId::new(0),
        snapshot,
        checksum,
        depth: Some(1000),
        decimals,
        version: Version::V2,
        ts_exchange: UnixNanos::from_nanos(1),
        ts_recv: UnixNanos::from_nanos(1),
    };
    let want = checksum(&after, &render);
    let mut seq = Sequencer::new(InstrumentId::new(0), Render::new(&spec));
    let snap = seq.on_message(&header(true, None), 1000, &bids, &asks, &mut NullSink);
    assert!(matches!(snap, Outcome::Snapshot), "{snap:?}");
    let (verified, plain) = (header(false, Some(want)), header(false, None));
    let outcome = seq.on_message(&verified, 1000, &update_bids, &update_asks, &mut NullSink);
    assert!(matches!(outcome, Outcome::Applied), "{outcome:?}");
    assert_eq!(seq.verified(), 1, "the update's checksum matched");
    let mut group = c.benchmark_group("checksum/kraken_verify_1000");
    group.throughput(Throughput::Elements(1));
    group.bench_function("update_with_checksum_verified", |b| {
        b.iter(|| {
            seq.on_message(
                black_box(&verified),
                1000,
                black_box(&update_bids),
                black_box(&update_asks),
                &mut NullSink,
            )
        });
    });
    group.bench_function("update_without_checksum", |b| {
        b.iter(|| {
            seq.on_message(
                black_box(&plain),
                1000,
                black_box(&update_bids),
                black_box(&update_asks),
                &mut NullSink,
            )
        });
    });
    group.finish();
    assert!(
        seq.stats().faults.total() == 0,
        "no mismatch while measured"
    );
}

/// CRC32 (IEEE) through flate2 (zlib's CRC, as peers use it): the same hash on both sides,
/// so the ratio is the cost of writing the text.
fn crc_of(bytes: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(bytes);
    crc.sum()
}

criterion_group!(
    benches,
    bench_decode,
    bench_decode_bybit,
    bench_okx,
    bench_coinbase,
    bench_kraken,
    bench_kraken_checksum,
    bench_kraken_verify
);
criterion_main!(benches);
