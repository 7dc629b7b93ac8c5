//! Golden stream of the simulated venue: every frame a subscriber of every stream of every
//! symbol receives over three seconds of simulated time (fixed seed, fixed epoch), plus REST
//! bodies (Binance's depth), hashed per venue and compared with
//! `engine/tests/data/sim/golden.txt`.
//!
//! The digest pins the model, the batching and the wire bytes together. It changes only when
//! one of them changes on purpose (e.g. a new random generator): then regenerate it with
//! `LADDER_BLESS=1 cargo test -p ladder-engine --lib sim::golden` and say so in the commit.

use super::market::{self, Clock};
use super::stream::StreamKind;
use super::{Published, Shared, SimConfig};
use crate::feed::Venue;
use sha2::{Digest as _, Sha256};
use std::sync::Arc;

const EPOCH_NS: u64 = 1_723_161_255_000_000_000;
const RUN_NS: u64 = 3_000_000_000;

/// Every frame of every stream over [`RUN_NS`], symbol by symbol, then each symbol's REST
/// depth (limit 1000), one per line.
fn stream_text(config: SimConfig) -> String {
    let shared = Arc::new(Shared::new(config).unwrap());
    let mut rx = shared.tx.subscribe();
    for m in &shared.markets {
        for k in StreamKind::all() {
            m.subscribe(k);
        }
        // Book topics start with a subscription's snapshot (stamped with the wall clock, so
        // left out of the digest); their deltas follow.
        for &t in shared.encoder.book_topics() {
            let _ = m.book_snapshot(t, &shared.encoder);
        }
    }
    let mut out = String::new();
    let clock = Clock {
        t0: tokio::time::Instant::now(),
        epoch_ns: EPOCH_NS,
    };
    for i in 0..shared.markets.len() {
        let mut state = market::State::new(i, &shared.encoder);
        let mut now = 0;
        while now <= RUN_NS {
            state.advance_to(&shared, i, now, &clock);
            while let Ok(p) = rx.try_recv() {
                let p: Arc<Published> = p;
                out.push_str(p.frame.combined());
                out.push('\n');
            }
            now += 1_000_000;
        }
    }
    for m in &shared.markets {
        out.push_str(&shared.encoder.depth_text(m, 1000, EPOCH_NS / 1_000_000));
        out.push('\n');
    }
    out
}

fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn golden_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sim/golden.txt")
}

fn check(name: &str, config: SimConfig) {
    let text = stream_text(config);
    let got = digest(&text);
    let path = golden_path();
    let file = std::fs::read_to_string(&path).unwrap_or_default();
    let want = file
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .map(str::to_owned);
    if std::env::var("LADDER_BLESS").as_deref() == Ok("1") {
        let mut lines: Vec<String> = file
            .lines()
            .filter(|l| !l.starts_with(&format!("{name} ")))
            .map(str::to_owned)
            .collect();
        lines.push(format!("{name} {got}"));
        lines.sort();
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        return;
    }
    let lines = text.lines().count();
    assert!(lines > 400, "only {lines} frames");
    assert_eq!(
        want.as_deref(),
        Some(got.as_str()),
        "{name}: the simulated stream changed ({lines} lines); see the module docs to bless"
    );
}

#[test]
fn golden_binance_spot_stream_is_unchanged_for_seed_5() {
    check(
        "binance-spot",
        SimConfig {
            seed: 5,
            messages_per_sec: 400.0,
            ..SimConfig::default()
        },
    );
}

#[test]
fn golden_binance_usdm_stream_is_unchanged_for_seed_5() {
    check(
        "binance-usdm",
        SimConfig {
            seed: 5,
            messages_per_sec: 400.0,
            ..SimConfig::for_venue(Venue::BinanceUsdm).unwrap()
        },
    );
}

#[test]
fn golden_bybit_linear_stream_is_unchanged_for_seed_5() {
    check(
        "bybit-linear",
        SimConfig {
            seed: 5,
            messages_per_sec: 400.0,
            ..SimConfig::for_venue(Venue::BybitLinear).unwrap()
        },
    );
}

#[test]
fn golden_bybit_spot_stream_is_unchanged_for_seed_5() {
    check(
        "bybit-spot",
        SimConfig {
            seed: 5,
            messages_per_sec: 400.0,
            ..SimConfig::for_venue(Venue::BybitSpot).unwrap()
        },
    );
}

#[test]
fn golden_okx_stream_is_unchanged_for_seed_5() {
    check(
        "okx",
        SimConfig {
            seed: 5,
            messages_per_sec: 400.0,
            ..SimConfig::for_venue(Venue::Okx).unwrap()
        },
    );
}
