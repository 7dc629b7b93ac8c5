//! Instruction counts of ladder's decoders per frame, for callgrind (this VM exposes no hardware
//! counters, and instruction counts do not move with the machine's load):
//!
//! ```text
//! cargo build --profile bench -p ladder-benches --example decode_instructions
//! valgrind --tool=callgrind --toggle-collect='decode_instructions::decode_*' \
//!     target/release/examples/decode_instructions depth_50 20
//! ```
//!
//! Groups, with the decode bench's frames and registries: `depth_50` (the Binance spot capture's
//! diff-depth frames with 45–55 decoded levels), `bybit_spot_ob200`, `bybit_linear_ob500`,
//! `okx_books`, `coinbase_l2_update`, `coinbase_l2_snapshot` and `kraken_v1_book`; with a third
//! argument `serde`, `okx_books` and the Bybit groups decode with the bench's serde_json typed +
//! `Decimal` baseline instead (the same structs), for a load-independent ratio.
//! `decode_frames` decodes each frame the given number of times (default 20); callgrind's total
//! divided by the printed decode count is the instructions per frame.

use ladder_benches::{capture_frames, vector_frames};
use ladder_engine::feed::{Venue, binance, bybit, coinbase, kraken, okx};
use ladder_engine::instrument::Registry;
use ladder_sdk::{InstrumentSpec, UnixNanos};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::hint::black_box;

/// `benches/benches/decode/okx.rs`' baseline: an OKX `books` message, the usual typed way.
#[derive(Deserialize)]
struct OkxBooks<'a> {
    #[serde(borrow, rename = "arg")]
    _arg: OkxArg<'a>,
    #[serde(rename = "action")]
    _action: Option<&'a str>,
    data: Vec<OkxBook>,
}

#[derive(Deserialize)]
struct OkxArg<'a> {
    #[serde(rename = "channel")]
    _channel: &'a str,
    #[serde(rename = "instId")]
    _inst_id: &'a str,
}

type OkxLevel = (
    Decimal,
    Decimal,
    serde::de::IgnoredAny,
    serde::de::IgnoredAny,
);

#[derive(Deserialize)]
struct OkxBook {
    asks: Vec<OkxLevel>,
    bids: Vec<OkxLevel>,
    #[serde(rename = "ts")]
    _ts: String,
    #[serde(rename = "checksum")]
    _checksum: Option<i64>,
    #[serde(rename = "seqId")]
    _seq_id: Option<i64>,
    #[serde(rename = "prevSeqId")]
    _prev_seq_id: Option<i64>,
}

/// `benches/benches/decode/bybit.rs`' baseline: a Bybit `orderbook` message, typed.
#[derive(Deserialize)]
struct BybitBook<'a> {
    #[serde(borrow, rename = "topic")]
    _topic: &'a str,
    #[serde(rename = "type")]
    _kind: &'a str,
    #[serde(rename = "ts")]
    _ts: u64,
    data: BybitData,
    #[serde(rename = "cts")]
    _cts: Option<u64>,
}

#[derive(Deserialize)]
struct BybitData {
    #[serde(rename = "s")]
    _s: String,
    b: Vec<[Decimal; 2]>,
    a: Vec<[Decimal; 2]>,
    #[serde(rename = "u")]
    _u: u64,
    #[serde(rename = "seq")]
    _seq: Option<u64>,
}

/// Decodes every frame `reps` times with `decode` (which answers the levels it read).
#[inline(never)]
fn decode_frames(frames: &[String], reps: usize, mut decode: impl FnMut(&str) -> usize) -> usize {
    let mut levels = 0;
    for _ in 0..reps {
        for f in frames {
            levels += decode(black_box(f));
        }
    }
    levels
}

/// A registry of `venue` with `(symbol, tick, lot)` grids.
fn registry(venue: Venue, symbols: &[(&str, Decimal, Decimal)]) -> Registry {
    let mut registry = Registry::new();
    for &(symbol, tick, lot) in symbols {
        let spec = InstrumentSpec::new(tick, lot).expect("spec");
        registry.add(venue, symbol, spec).expect("register");
    }
    registry
}

/// The lines of a plain-text vector after `sep`, without the `wss://` header lines.
fn text_frames(rel: &str, sep: &str) -> Vec<String> {
    let path = format!("{}/../../shared/vectors/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with("wss://"))
        .filter_map(|l| l.split_once(sep).map(|(_, f)| f.to_owned()))
        .collect()
}

fn missing(what: &str) -> ! {
    eprintln!("decode_instructions: {what} is missing");
    std::process::exit(1);
}

fn main() {
    let group = std::env::args().nth(1).unwrap_or_else(|| "depth_50".into());
    let reps: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    let serde = std::env::args().nth(3).as_deref() == Some("serde");
    let d = |m: u32, e: u32| Decimal::new(i64::from(m), e);
    let (frames, levels) = match group.as_str() {
        "bybit_spot_ob200" | "bybit_linear_ob500" => {
            let (venue, rel, symbols) = if group == "bybit_spot_ob200" {
                (
                    Venue::BybitSpot,
                    "bybit/capture_bybit-v5-spot_cryptofeed_20260809.txt.gz",
                    [("BTCUSDT", d(1, 1), d(1, 6)), ("ETHUSDT", d(1, 2), d(1, 5))],
                )
            } else {
                (
                    Venue::BybitLinear,
                    "bybit/nautilus_2024-12-01_XRPUSDT_ob500.data",
                    [("XRPUSDT", d(1, 4), d(1, 0)), ("BTCUSDT", d(1, 1), d(1, 6))],
                )
            };
            let frames: Vec<String> = vector_frames(rel)
                .unwrap_or_else(|| missing("the Bybit vector"))
                .into_iter()
                .filter(|f| f.contains("\"topic\":\"orderbook."))
                .collect();
            let registry = registry(venue, &symbols);
            let mut decoder = bybit::Decoder::new(venue);
            if serde {
                let levels = decode_frames(&frames, reps, |f| {
                    serde_json::from_str::<BybitBook<'_>>(f)
                        .map_or(0, |m| m.data.b.len() + m.data.a.len())
                });
                return report(&group, frames.len(), reps, levels);
            }
            let levels = decode_frames(&frames, reps, |f| {
                match decoder.decode(f.as_bytes(), UnixNanos::ZERO, &registry) {
                    Ok(bybit::Decoded::Book(_)) => decoder.bids().len() + decoder.asks().len(),
                    _ => 0,
                }
            });
            (frames, levels)
        }
        "okx_books" => {
            let frames: Vec<String> = text_frames("okx/cryptofeed_OKX.ws.1.0", ": ")
                .into_iter()
                .filter(|f| f.contains(r#""channel":"books""#) && f.contains(r#""data""#))
                .collect();
            if frames.is_empty() {
                missing("the OKX vector");
            }
            let registry = registry(
                Venue::Okx,
                &[
                    ("BTC-USDT", d(1, 1), d(1, 8)),
                    ("BTC-USD-220527", d(1, 1), d(1, 0)),
                    ("UNI-USD-SWAP", d(1, 3), d(1, 0)),
                ],
            );
            let mut decoder = okx::Decoder::new();
            if serde {
                let levels = decode_frames(&frames, reps, |f| {
                    serde_json::from_str::<OkxBooks<'_>>(f).map_or(0, |m| {
                        m.data.iter().map(|d| d.bids.len() + d.asks.len()).sum()
                    })
                });
                return report(&group, frames.len(), reps, levels);
            }
            let levels = decode_frames(&frames, reps, |f| {
                match decoder.decode(f.as_bytes(), UnixNanos::ZERO, &registry) {
                    Ok(okx::Decoded::Book(_)) => decoder.bids().len() + decoder.asks().len(),
                    _ => 0,
                }
            });
            (frames, levels)
        }
        "coinbase_l2_update" | "coinbase_l2_snapshot" => {
            let all =
                vector_frames("coinbase/capture_coinbase-advanced_cryptofeed_20260809.txt.gz")
                    .unwrap_or_else(|| missing("the Coinbase vector"));
            let l2 = all
                .into_iter()
                .filter(|f| f.contains(r#""channel":"l2_data""#));
            let frames: Vec<String> = if group == "coinbase_l2_update" {
                l2.filter(|f| f.contains(r#""type":"update""#)).collect()
            } else {
                l2.filter(|f| f.contains(r#""type":"snapshot","product_id":"BTC-USD""#))
                    .take(1)
                    .collect()
            };
            let registry = registry(
                Venue::Coinbase,
                &[("BTC-USD", d(1, 2), d(1, 8)), ("ETH-USD", d(1, 2), d(1, 8))],
            );
            let mut decoder = coinbase::Decoder::new(Venue::Coinbase);
            let levels = decode_frames(&frames, reps, |f| {
                match decoder.decode(f.as_bytes(), UnixNanos::ZERO, &registry) {
                    Ok(coinbase::Decoded::Book(_)) => (0..decoder.events().len())
                        .map(|i| {
                            let (b, a) = decoder.levels(&decoder.events()[i]);
                            b.len() + a.len()
                        })
                        .sum(),
                    _ => 0,
                }
            });
            (frames, levels)
        }
        "kraken_v1_book" => {
            let frames: Vec<String> =
                text_frames("kraken/cryptofeed_KRAKEN.ws.50.0_XMRUSD_XBTCHF.txt", ": ")
                    .into_iter()
                    .filter(|f| f.contains("book") && f.starts_with('['))
                    .collect();
            if frames.is_empty() {
                missing("the Kraken v1 vector");
            }
            let registry = registry(
                Venue::Kraken,
                &[
                    ("XMR/USD", d(1, 2), d(1, 8)),
                    ("XBT/CHF", d(1, 1), d(1, 8)),
                    ("BTC/USD", d(1, 1), d(1, 8)),
                ],
            );
            let mut decoder = kraken::Decoder::new();
            let levels = decode_frames(&frames, reps, |f| {
                match decoder.decode(f.as_bytes(), UnixNanos::ZERO, &registry) {
                    Ok(kraken::Decoded::Book(_)) => decoder.bids().len() + decoder.asks().len(),
                    _ => 0,
                }
            });
            (frames, levels)
        }
        _ => {
            let all = capture_frames("binance-spot_btcusdt_20240808.gz")
                .unwrap_or_else(|| missing("the shared spot capture"));
            let registry = registry(Venue::BinanceSpot, &[("BTCUSDT", d(1, 2), d(1, 8))]);
            let mut decoder = binance::Decoder::new(Venue::BinanceSpot);
            let fifty: Vec<String> = all
                .into_iter()
                .filter(|f| f.contains("depthUpdate"))
                .filter(|f| {
                    matches!(
                        decoder.decode(f.as_bytes(), UnixNanos::ZERO, &registry),
                        Ok(binance::Decoded::Depth(_))
                    ) && (45..=55).contains(&(decoder.bids().len() + decoder.asks().len()))
                })
                .collect();
            let levels = decode_frames(&fifty, reps, |f| {
                match decoder.decode(f.as_bytes(), UnixNanos::ZERO, &registry) {
                    Ok(binance::Decoded::Depth(_)) => decoder.bids().len() + decoder.asks().len(),
                    _ => 0,
                }
            });
            (fifty, levels)
        }
    };
    report(&group, frames.len(), reps, levels);
}

fn report(group: &str, frames: usize, reps: usize, levels: usize) {
    println!(
        "decode_instructions: {group}: {frames} frames x {reps} = {} decodes, {levels} levels",
        frames * reps
    );
}
