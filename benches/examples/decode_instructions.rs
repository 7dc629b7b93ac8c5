//! Instruction counts of the Binance decoder per `decode/depth_50` frame, for callgrind (this VM
//! exposes no hardware counters, and instruction counts do not move with the machine's load):
//!
//! ```text
//! cargo build --release -p ladder-benches --example decode_instructions
//! valgrind --tool=callgrind --toggle-collect='decode_instructions::decode_all' \
//!     target/release/examples/decode_instructions 20
//! ```
//!
//! The frames are the bench's: the spot capture's diff-depth frames with 45–55 decoded levels.
//! `decode_all` decodes each of them the given number of times (default 20); callgrind's total
//! divided by the printed frame count is the instructions per frame.

use ladder_benches::capture_frames;
use ladder_engine::feed::Venue;
use ladder_engine::feed::binance::{Decoded, Decoder};
use ladder_engine::instrument::Registry;
use ladder_sdk::{InstrumentSpec, UnixNanos};
use rust_decimal::Decimal;
use std::hint::black_box;

#[inline(never)]
fn decode_all(decoder: &mut Decoder, frames: &[String], reps: usize, registry: &Registry) -> usize {
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
    let reps: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
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
    let levels = decode_all(&mut decoder, &fifty, reps, &registry);
    println!(
        "decode_instructions: {} frames x {reps} = {} decodes, {levels} levels",
        fifty.len(),
        fifty.len() * reps
    );
}
