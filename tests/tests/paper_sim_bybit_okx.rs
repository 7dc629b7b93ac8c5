//! `ladder paper` sessions on the simulated Bybit, OKX, Coinbase and Kraken venues (`Market::Sim`,
//! what `ladder paper --sim --venue bybit-linear|okx|coinbase|kraken` builds): each venue's
//! simulator encoder serves that venue's live connector over 127.0.0.1, through the whole live
//! path (feed thread, ring, hot thread, writer). Without faults the books sync and the strategies
//! trade; with the venue's faults (Bybit dropped deltas and `u = 1` restarts, OKX wrong checksums
//! and `prevSeqId` breaks, Coinbase skipped `sequence_num`s: a gap of every book on the
//! connection; Kraken wrong checksums) every fault is detected, the book resyncs, and no fill
//! happens on a book that is not synced.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ladder_engine::config::Config;
use ladder_engine::feed::Venue;
use ladder_engine::report::summary::Summary;
use ladder_engine::session::{Display, Market, PaperOptions, SessionMarket, run_paper};
use ladder_engine::sim::{FaultConfig, SimConfig};
use ladder_tests::example_strategies_with;
use rstest::rstest;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// A session of `seconds` on `sim`, the example strategies on `symbol` (tick 0.1).
fn session(sim: SimConfig, symbol: &str, seconds: u64, dir: &Path) -> Summary {
    let microprice =
        format!("tick_size = \"0.1\"\nsymbol = \"{symbol}\"\nfallback = \"weighted_mid\"");
    run_paper(PaperOptions {
        markets: vec![SessionMarket {
            market: Market::Sim(Box::new(sim)),
            watchdog: Duration::from_secs(5),
        }],
        strategies: example_strategies_with("threshold = 0.2", &microprice),
        config: Config::default(),
        config_sha256: None,
        report_dir: dir.to_path_buf(),
        duration: Some(Duration::from_secs(seconds)),
        source: None,
        display: Display::Headless {
            every: Duration::from_secs(2),
        },
    })
    .unwrap()
}

fn sim(venue: Venue, symbol: &str, faults: FaultConfig) -> SimConfig {
    SimConfig {
        messages_per_sec: 600.0,
        seed: 13,
        faults,
        ..SimConfig::for_venue(venue)
            .unwrap()
            .with_symbols(&[symbol.to_owned()])
            .unwrap()
    }
}

/// Intervals `[from, to)` during which each instrument's book was not synced.
fn unsynced(status_csv: &str) -> BTreeMap<String, Vec<(u64, u64)>> {
    let mut out: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
    let mut open: BTreeMap<String, u64> = BTreeMap::new();
    for line in status_csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (ts, sym, state) = (f[0].parse::<u64>().unwrap(), f[1].to_owned(), f[2]);
        if state == "synced" {
            if let Some(from) = open.remove(&sym) {
                out.entry(sym).or_default().push((from, ts));
            }
        } else {
            open.entry(sym).or_insert(ts);
        }
    }
    for (sym, from) in open {
        out.entry(sym).or_default().push((from, u64::MAX));
    }
    out
}

/// The stale reasons of `status.csv`, and no fill inside a window where the book was not
/// synced.
fn stale_reasons_and_no_stale_fill(dir: &Path) -> Vec<String> {
    let status = std::fs::read_to_string(dir.join("status.csv")).unwrap();
    let windows = unsynced(&status);
    let fills = std::fs::read_to_string(dir.join("fills.csv")).unwrap();
    for line in fills.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let ts: u64 = f[0].parse().unwrap();
        if let Some(w) = windows.get(f[2]) {
            assert!(
                !w.iter().any(|(a, b)| ts > *a && ts < *b),
                "fill at {ts} while {} was not synced: {line}",
                f[2]
            );
        }
    }
    status
        .lines()
        .filter(|l| l.contains(",stale,"))
        .map(|l| l.rsplit(',').next().unwrap_or("").to_owned())
        .collect()
}

#[rstest]
#[case::bybit_linear(Venue::BybitLinear, "BTCUSDT")]
#[case::okx_swap(Venue::Okx, "BTC-USDT-SWAP")]
#[case::kraken(Venue::Kraken, "BTC/USD")]
fn paper_on_simulated_venue_syncs_and_trades_with_no_gap(
    #[case] venue: Venue,
    #[case] symbol: &str,
) {
    let dir = tempfile::tempdir().unwrap();
    let s = session(
        sim(venue, symbol, FaultConfig::default()),
        symbol,
        6,
        dir.path(),
    );
    let [feed] = s.feeds.as_slice() else {
        panic!("one feed: {:?}", s.feeds)
    };
    assert_eq!(
        feed.states.values().collect::<Vec<_>>(),
        ["synced"],
        "{feed:?}"
    );
    assert_eq!((feed.gaps, feed.resyncs), (0, 0), "{feed:?}");
    assert!(feed.messages > 50, "{feed:?}");
    assert!(s.trades > 0 && s.orders > 0, "{s:?}");
    assert!(stale_reasons_and_no_stale_fill(dir.path()).is_empty());
}

/// Bybit: a dropped delta is a sequence gap; a restart snapshot (`u = 1`) is no fault at all.
fn bybit_drops_and_restarts() -> FaultConfig {
    FaultConfig {
        drop_every: Some(50),
        restart_every: Some(35),
        ..FaultConfig::default()
    }
}

fn okx_bad_checksums_and_seq_breaks() -> FaultConfig {
    FaultConfig {
        bad_checksum_every: Some(20),
        seq_break_every: Some(30),
        ..FaultConfig::default()
    }
}

fn kraken_bad_checksums() -> FaultConfig {
    FaultConfig {
        bad_checksum_every: Some(20),
        ..FaultConfig::default()
    }
}

/// A venue's faults: at least `min_gaps` gaps and as many resyncs, each a resubscription on the
/// same socket, the stale reasons exactly the set `reasons` (each seen), no fill while stale.
#[rstest]
#[case::bybit_drops_and_restarts(
    Venue::BybitLinear,
    "BTCUSDT",
    bybit_drops_and_restarts(),
    1,
    &["sequence_gap"]
)]
#[case::okx_bad_checksums_and_seq_breaks(
    Venue::Okx,
    "BTC-USDT",
    okx_bad_checksums_and_seq_breaks(),
    2,
    &["checksum_mismatch", "sequence_gap"]
)]
#[case::kraken_bad_checksums(
    Venue::Kraken,
    "BTC/USD",
    kraken_bad_checksums(),
    2,
    &["checksum_mismatch"]
)]
fn paper_on_simulated_venue_detects_its_faults_resyncs_and_never_fills_stale(
    #[case] venue: Venue,
    #[case] symbol: &str,
    #[case] faults: FaultConfig,
    #[case] min_gaps: u64,
    #[case] reasons: &[&str],
) {
    let dir = tempfile::tempdir().unwrap();
    let s = session(sim(venue, symbol, faults), symbol, 10, dir.path());
    let feed = &s.feeds[0];
    assert!(
        feed.gaps >= min_gaps && feed.resyncs >= min_gaps,
        "{feed:?}"
    );
    assert_eq!(
        feed.reconnects, 0,
        "a resubscription, never the socket: {feed:?}"
    );
    let seen = stale_reasons_and_no_stale_fill(dir.path());
    for reason in reasons {
        assert!(seen.iter().any(|r| r == reason), "{reason}: {seen:?}");
    }
    assert!(
        seen.iter().all(|r| reasons.contains(&r.as_str())),
        "{seen:?}"
    );
}

#[test]
fn paper_on_simulated_coinbase_counts_a_skipped_sequence_num_on_every_book_and_never_fills_stale() {
    let dir = tempfile::tempdir().unwrap();
    let config = SimConfig {
        messages_per_sec: 600.0,
        seed: 13,
        faults: FaultConfig {
            seq_break_every: Some(100),
            ..FaultConfig::default()
        },
        ..SimConfig::for_venue(Venue::Coinbase)
            .unwrap()
            .with_symbols(&["BTC-USD".to_owned(), "ETH-USD".to_owned()])
            .unwrap()
    };
    let s = session(config, "BTC-USD", 10, dir.path());
    let feed = &s.feeds[0];
    assert!(feed.gaps >= 4 && feed.resyncs >= 4, "{feed:?}");
    assert_eq!(
        feed.gaps % 2,
        0,
        "each skip is a gap of both books: {feed:?}"
    );
    let reasons = stale_reasons_and_no_stale_fill(dir.path());
    assert!(reasons.iter().all(|r| r == "sequence_gap"), "{reasons:?}");
    let status = std::fs::read_to_string(dir.path().join("status.csv")).unwrap();
    for product in ["BTC-USD", "ETH-USD"] {
        let gaps = status
            .lines()
            .filter(|l| l.contains(&format!(",coinbase:{product},stale,sequence_gap")))
            .count();
        assert!(gaps >= 2, "{product} went stale on the skips: {status}");
    }
    assert!(
        feed.states.values().all(|st| st == "synced"),
        "both books resynced by the end: {feed:?}"
    );
    assert!(s.trades > 0, "{s:?}");
}
