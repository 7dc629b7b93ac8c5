//! `ladder paper` sessions on the built-in simulated venue over 127.0.0.1: the whole live path
//! (sim → WebSocket + REST → feed thread → ring → hot thread → writer), bounded in time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ladder_engine::config::Config;
use ladder_engine::feed::Venue;
use ladder_engine::session::{Display, Market, PaperOptions, SessionMarket, run_paper};
use ladder_engine::sim::{FaultConfig, SimConfig, Stall};
use ladder_tests::example_strategies_with;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

const MICROPRICE: &str = "tick_size = \"0.01\"\nsymbol = \"BTCUSDT\"\nfallback = \"weighted_mid\"";
/// The USD-M simulator's BTCUSDT has the venue's tick, 0.1.
const MICROPRICE_USDM: &str =
    "tick_size = \"0.1\"\nsymbol = \"BTCUSDT\"\nfallback = \"weighted_mid\"";

fn session(
    sim: SimConfig,
    seconds: u64,
    watchdog: Duration,
    dir: &Path,
) -> ladder_engine::report::summary::Summary {
    let microprice = match sim.venue {
        Venue::BinanceUsdm => MICROPRICE_USDM,
        _ => MICROPRICE,
    };
    run_paper(PaperOptions {
        markets: vec![SessionMarket {
            market: Market::Sim(Box::new(sim)),
            watchdog,
        }],
        strategies: example_strategies_with("threshold = 0.2", microprice),
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

#[test]
fn paper_on_the_simulated_venue_syncs_trades_and_writes_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimConfig {
        messages_per_sec: 400.0,
        seed: 7,
        ..SimConfig::default()
    };
    let s = session(sim, 8, Duration::from_secs(5), dir.path());
    let [feed] = s.feeds.as_slice() else {
        panic!(
            "a live session on one venue reports its one feed: {:?}",
            s.feeds
        );
    };
    assert_eq!(
        feed.states.values().collect::<Vec<_>>(),
        ["synced", "synced"],
        "{feed:?}"
    );
    assert_eq!(feed.gaps, 0);
    assert!(feed.messages > 100, "{feed:?}");
    assert!(s.events > 0 && s.book_updates > 0);
    assert!(s.orders > 0, "the strategies traded: {s:?}");
    for f in [
        "summary.json",
        "orders.csv",
        "fills.csv",
        "signals.csv",
        "status.csv",
        "report.html",
    ] {
        assert!(dir.path().join(f).exists(), "{f} written");
    }
    // The page's latency chart holds the live stages, not just the frame figure.
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let latency = &html[html.find("<svg id=\"latency\"").expect("latency chart")..];
    for stage in ["tick_to_done", "dequeued_to_applied", "read_to_signal"] {
        assert!(latency.contains(stage), "latency curve {stage}");
    }
    // On exit every open paper order was cancelled.
    let orders = std::fs::read_to_string(dir.path().join("orders.csv")).unwrap();
    let mut last: BTreeMap<(String, String), String> = BTreeMap::new();
    for line in orders.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[8] != "requested" {
            last.insert((f[1].to_owned(), f[3].to_owned()), f[8].to_owned());
        }
    }
    assert!(
        last.values().all(|st| st != "accepted"),
        "orders left working: {last:?}"
    );
}

#[test]
fn paper_on_the_simulated_usdm_venue_syncs_and_trades_in_its_format() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimConfig {
        messages_per_sec: 400.0,
        seed: 7,
        ..SimConfig::for_venue(Venue::BinanceUsdm).unwrap()
    };
    let s = session(sim, 6, Duration::from_secs(5), dir.path());
    let [feed] = s.feeds.as_slice() else {
        panic!(
            "a live session on one venue reports its one feed: {:?}",
            s.feeds
        );
    };
    assert_eq!(
        feed.states.values().collect::<Vec<_>>(),
        ["synced", "synced"],
        "{feed:?}"
    );
    assert_eq!(feed.gaps, 0, "{feed:?}");
    assert!(feed.messages > 50, "{feed:?}");
    assert!(s.orders > 0, "the strategies traded: {s:?}");
    let summary = std::fs::read_to_string(dir.path().join("summary.json")).unwrap();
    assert!(
        summary.contains("binance-usdm"),
        "the report names the venue"
    );
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

#[test]
fn paper_with_faults_detects_gap_disconnect_and_stall_then_resyncs_without_stale_fills() {
    let dir = tempfile::tempdir().unwrap();
    let faults = FaultConfig {
        drop_every: Some(10),
        disconnect_every: Some(Duration::from_secs(5)),
        stall: Some(Stall {
            after: Duration::from_secs(2),
            duration: Duration::from_secs(3),
        }),
        ..FaultConfig::default()
    };
    let sim = SimConfig {
        messages_per_sec: 600.0,
        seed: 11,
        faults,
        ..SimConfig::default()
    };
    let s = session(sim, 14, Duration::from_secs(1), dir.path());
    let feed = &s.feeds[0];
    assert!(
        feed.gaps >= 1,
        "dropped frames are detected as gaps: {feed:?}"
    );
    assert!(feed.reconnects >= 1, "disconnects reconnect: {feed:?}");
    assert!(
        feed.watchdog_timeouts >= 1,
        "the stall trips the watchdog: {feed:?}"
    );
    assert!(
        feed.resyncs >= 1,
        "books resync from a new snapshot: {feed:?}"
    );
    assert_eq!(s.gaps, feed.gaps);

    // The hot thread saw the books go stale and come back.
    let status = std::fs::read_to_string(dir.path().join("status.csv")).unwrap();
    assert!(status.lines().any(|l| l.contains(",stale,")), "{status}");
    // ... and report.html shades those windows in the feed-state chart.
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    if let Ok(keep) = std::env::var("LADDER_KEEP_REPORT") {
        std::fs::write(keep, &html).unwrap();
    }
    let feed_chart = &html[html
        .find("<svg id=\"feed-state\"")
        .expect("feed-state chart")..];
    let feed_chart = &feed_chart[..feed_chart.find("</svg>").unwrap()];
    assert!(
        feed_chart.contains("class=\"window stale\""),
        "stale windows shaded"
    );
    let windows = unsynced(&status);
    assert!(!windows.is_empty());

    // No fill happened while its instrument's book was not synced.
    let fills = std::fs::read_to_string(dir.path().join("fills.csv")).unwrap();
    for line in fills.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let ts: u64 = f[0].parse().unwrap();
        if let Some(w) = windows.get(f[2]) {
            assert!(
                !w.iter().any(|(a, b)| ts > *a && ts < *b),
                "fill at {ts} while {} was stale: {line}",
                f[2]
            );
        }
    }
}
