//! `ladder paper --sim --venue bybit-linear|okx|coinbase|kraken` through the real binary: the simulator serves
//! the venue's wire format to its live connector; the book syncs with no gap, trades arrive and
//! the example imbalance strategy (built here once with cargo) reads its signals. And `ladder
//! paper --config` against an in-process simulator with the venue's faults: detected, resynced.
//!
//! A test binary of its own: it builds a strategy and runs the binary, which must not starve the
//! timing-bound socket tests of `tests/sim/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{imbalance_lib, ladder};
use ladder_engine::feed::Venue;
use ladder_engine::sim::{FaultConfig, SimConfig};
use serde_json::Value;
use std::time::Duration;

/// Runs `ladder paper --sim --venue VENUE --symbol SYMBOL` for 6 s; returns the summary.
fn paper_sim(venue: &str, symbol: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report");
    let out = ladder()
        .args(["paper", "--sim", "--venue", venue, "--symbol", symbol])
        .args(["--sim-rate", "600", "--headless", "--duration", "6s"])
        .arg("--strategy")
        .arg(imbalance_lib())
        .arg("--report")
        .arg(&report)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("{venue}:{symbol} synced")),
        "{stdout}"
    );
    serde_json::from_str(&std::fs::read_to_string(report.join("summary.json")).unwrap()).unwrap()
}

fn assert_synced_and_traded(summary: &Value, name: &str) {
    assert_eq!(summary["feeds"][0]["gaps"], 0, "{}", summary["feeds"]);
    assert_eq!(
        summary["books"][name]["state"], "synced",
        "{}",
        summary["books"]
    );
    assert!(summary["book_updates"].as_u64().unwrap() > 30, "{summary}");
    assert!(summary["trades"].as_u64().unwrap() > 0, "{summary}");
    assert!(summary["signals"].as_u64().unwrap() > 30, "{summary}");
}

#[test]
fn ladder_paper_sim_venue_bybit_linear_syncs_trades_and_exits_0() {
    let s = paper_sim("bybit-linear", "BTCUSDT");
    assert_synced_and_traded(&s, "bybit-linear:BTCUSDT");
}

/// `ladder paper --config` whose `[venue]` points at an in-process simulator of `venue` with
/// `faults`, for 8 s; returns the summary and `status.csv`.
fn paper_on_faulty_sim(venue: Venue, symbol: &str, faults: FaultConfig) -> (Value, String) {
    let config = SimConfig {
        messages_per_sec: 600.0,
        seed: 17,
        faults,
        ..SimConfig::for_venue(venue)
            .unwrap()
            .with_symbols(&[symbol.to_owned()])
            .unwrap()
    };
    let (sim, thread) = ladder_engine::sim::spawn_in_background(config).unwrap();
    let e = sim.endpoints();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ladder.toml");
    std::fs::write(
        &cfg,
        format!(
            "[venue]\nname = \"{venue}\"\nsymbols = [\"{symbol}\"]\nws_book = \"{}\"\n\
             rest = \"{}\"\nallow_insecure = true\n",
            e.ws_book, e.rest
        ),
    )
    .unwrap();
    let report = dir.path().join("report");
    let out = ladder()
        .args(["paper", "--config"])
        .arg(&cfg)
        .args(["--headless", "--duration", "8s"])
        .arg("--strategy")
        .arg(imbalance_lib())
        .arg("--report")
        .arg(&report)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    sim.stop();
    thread.join().unwrap();
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let summary =
        serde_json::from_str(&std::fs::read_to_string(report.join("summary.json")).unwrap())
            .unwrap();
    let status = std::fs::read_to_string(report.join("status.csv")).unwrap();
    (summary, status)
}

/// The reasons of the `stale` rows of `status.csv`.
fn stale_reasons(status: &str) -> Vec<&str> {
    status
        .lines()
        .filter(|l| l.contains(",stale,"))
        .map(|l| l.rsplit(',').next().unwrap_or(""))
        .collect()
}

#[test]
fn ladder_paper_on_a_bybit_sim_with_drops_and_restarts_detects_gaps_and_resyncs() {
    let faults = FaultConfig {
        drop_every: Some(50),
        restart_every: Some(35),
        ..FaultConfig::default()
    };
    let (s, status) = paper_on_faulty_sim(Venue::BybitLinear, "BTCUSDT", faults);
    let feed = &s["feeds"][0];
    assert!(feed["gaps"].as_u64().unwrap() >= 1, "{feed}");
    assert!(feed["resyncs"].as_u64().unwrap() >= 1, "{feed}");
    let reasons = stale_reasons(&status);
    assert!(!reasons.is_empty(), "{status}");
    // A dropped delta is a sequence gap; a `u = 1` restart snapshot is no fault.
    assert!(reasons.iter().all(|r| *r == "sequence_gap"), "{status}");
}

#[test]
fn ladder_paper_sim_venue_okx_syncs_trades_and_exits_0() {
    let s = paper_sim("okx", "BTC-USDT");
    assert_synced_and_traded(&s, "okx:BTC-USDT");
}

#[test]
fn ladder_paper_on_an_okx_sim_with_bad_checksums_and_seq_breaks_detects_both_and_resyncs() {
    let faults = FaultConfig {
        bad_checksum_every: Some(15),
        seq_break_every: Some(25),
        ..FaultConfig::default()
    };
    let (s, status) = paper_on_faulty_sim(Venue::Okx, "BTC-USDT", faults);
    let feed = &s["feeds"][0];
    assert!(feed["gaps"].as_u64().unwrap() >= 2, "{feed}");
    assert!(feed["resyncs"].as_u64().unwrap() >= 2, "{feed}");
    let reasons = stale_reasons(&status);
    assert!(reasons.contains(&"checksum_mismatch"), "{status}");
    assert!(reasons.contains(&"sequence_gap"), "{status}");
    assert!(
        reasons
            .iter()
            .all(|r| *r == "checksum_mismatch" || *r == "sequence_gap"),
        "{status}"
    );
}

#[test]
fn ladder_paper_sim_venue_coinbase_syncs_trades_and_exits_0() {
    let s = paper_sim("coinbase", "BTC-USD");
    assert_synced_and_traded(&s, "coinbase:BTC-USD");
}

#[test]
fn ladder_paper_sim_venue_kraken_syncs_trades_and_exits_0() {
    let s = paper_sim("kraken", "BTC/USD");
    assert_synced_and_traded(&s, "kraken:BTC/USD");
}

#[test]
fn ladder_paper_on_a_kraken_sim_with_bad_checksums_detects_each_and_resubscribes() {
    let faults = FaultConfig {
        bad_checksum_every: Some(15),
        ..FaultConfig::default()
    };
    let (s, status) = paper_on_faulty_sim(Venue::Kraken, "BTC/USD", faults);
    let feed = &s["feeds"][0];
    assert!(feed["gaps"].as_u64().unwrap() >= 2, "{feed}");
    assert!(feed["resyncs"].as_u64().unwrap() >= 2, "{feed}");
    assert_eq!(feed["reconnects"], 0, "never the socket: {feed}");
    let reasons = stale_reasons(&status);
    assert!(!reasons.is_empty(), "{status}");
    assert!(
        reasons.iter().all(|r| *r == "checksum_mismatch"),
        "{status}"
    );
}
