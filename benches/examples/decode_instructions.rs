//! Instruction counts of ladder's decoders per frame, for callgrind (this VM exposes no hardware
//! counters, and instruction counts do not move with the machine's load):
//!
//! ```text
//! cargo build --profile bench -p ladder-benches --example decode_instructions
//! valgrind --tool=callgrind --toggle-collect='decode_instructions::decode_*' \
//!     target/release/examples/decode_instructions depth_50 20
//! ```
//!
//! Groups, with the decode bench's frames: `depth_50` (the Binance spot capture's diff-depth
//! frames with 45–55 decoded levels) and `bybit_spot_ob200` (the Bybit spot vector's
//! `orderbook` frames). `decode_*` decodes each frame the given number of times (default 20);
//! callgrind's total divided by the printed decode count is the instructions per frame.

use ladder_benches::{capture_frames, vector_frames};
use ladder_engine::feed::Venue;
use ladder_engine::feed::binance::{Decoded, Decoder};
use ladder_engine::feed::bybit;
use ladder_engine::instrument::Registry;
use ladder_sdk::{InstrumentSpec, UnixNanos};
use rust_decimal::Decimal;
use std::hint::black_box;

#[inline(never)]
fn decode_bybit(
    decoder: &mut bybit::Decoder,
    frames: &[String],
    reps: usize,
    registry: &Registry,
) -> usize {
    let mut levels = 0;
    for _ in 0..reps {
        for f in frames {
            if let Ok(bybit::Decoded::Book(_)) =
                decoder.decode(black_box(f.as_bytes()), UnixNanos::ZERO, registry)
            {
                levels += decoder.bids().len() + decoder.asks().len();
            }
        }
    }
    levels
}

#[inline(never)]
fn decode_binance(
    decoder: &mut Decoder,
    frames: &[String],
    reps: usize,
    registry: &Registry,
) -> usize {
    let mut levels = 0;
    for _ in 0..reps {
        for f in frames {
            if let Ok(Decoded::Depth(_)) =
                decoder.decode(black_box(f.as_bytes()), UnixNanos::ZERO, registry)
            {
                levels += decoder.bids().len() + decoder.asks().len();
            }
        }
    }
    levels
}

fn main() {
    let group = std::env::args().nth(1).unwrap_or_else(|| "depth_50".into());
    let reps: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    if group == "bybit_spot_ob200" {
        let Some(frames) = vector_frames("bybit/capture_bybit-v5-spot_cryptofeed_20260809.txt.gz")
        else {
            eprintln!("decode_instructions: the shared Bybit spot vector is missing");
            std::process::exit(1);
        };
        let frames: Vec<String> = frames
            .into_iter()
            .filter(|f| f.contains("\"topic\":\"orderbook."))
            .collect();
        let mut registry = Registry::new();
        for (symbol, tick, lot) in [("BTCUSDT", 1, 6), ("ETHUSDT", 2, 5)] {
            let spec =
                InstrumentSpec::new(Decimal::new(1, tick), Decimal::new(1, lot)).expect("spec");
            registry
                .add(Venue::BybitSpot, symbol, spec)
                .expect("register");
        }
        let mut decoder = bybit::Decoder::new(Venue::BybitSpot);
        let levels = decode_bybit(&mut decoder, &frames, reps, &registry);
        println!(
            "decode_instructions: {group}: {} frames x {reps} = {} decodes, {levels} levels",
            frames.len(),
            frames.len() * reps
        );
        return;
    }
    let Some(all) = capture_frames("binance-spot_btcusdt_20240808.gz") else {
        eprintln!("decode_instructions: the shared spot capture is missing");
        std::process::exit(1);
    };
    let mut registry = Registry::new();
    let spec = InstrumentSpec::new(Decimal::new(1, 2), Decimal::new(1, 8)).expect("spec");
    registry
        .add(Venue::BinanceSpot, "BTCUSDT", spec)
        .expect("register");
    let mut decoder = Decoder::new(Venue::BinanceSpot);
    let fifty: Vec<String> = all
        .into_iter()
        .filter(|f| f.contains("depthUpdate"))
        .filter(|f| {
            matches!(
                decoder.decode(f.as_bytes(), UnixNanos::ZERO, &registry),
                Ok(Decoded::Depth(_))
            ) && (45..=55).contains(&(decoder.bids().len() + decoder.asks().len()))
        })
        .collect();
    let levels = decode_binance(&mut decoder, &fifty, reps, &registry);
    println!(
        "decode_instructions: {group}: {} frames x {reps} = {} decodes, {levels} levels",
        fifty.len(),
        fifty.len() * reps
    );
}
