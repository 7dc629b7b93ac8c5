//! `ladder paper` on two simulated venues at once (a binance-spot and a binance-usdm simulator,
//! two instances over 127.0.0.1): one feed and one ring per venue into the one hot loop, both
//! synced, both instruments traded, both in the report; a fault on one venue (dropped frames,
//! disconnects) leaves the other synced throughout. Bounded in time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ladder_engine::config::Config;
use ladder_engine::feed::Venue;
use ladder_engine::report::summary::Summary;
use ladder_engine::session::{Display, PaperOptions, SessionMarket, run_paper};
use ladder_engine::sim::{FaultConfig, SimConfig};
use ladder_tests::example_strategies_with;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

const SPOT: &str = "binance-spot:BTCUSDT";
const USDM: &str = "binance-usdm:BTCUSDT";

/// One simulator of `venue` serving BTCUSDT only.
fn sim(venue: Venue, seed: u64, faults: FaultConfig) -> SessionMarket {
    let config = SimConfig::for_venue(venue)
        .unwrap()
        .with_symbols(&["BTCUSDT".to_owned()])
        .unwrap();
    SessionMarket {
        watchdog: Duration::from_secs(2),
        ..SessionMarket::sim(SimConfig {
            messages_per_sec: 400.0,
            seed,
            faults,
            ..config
        })
    }
}

/// A session on both simulators: the imbalance strategy trades spot BTCUSDT, the micro-price
/// strategy (USD-M's tick, 0.1) trades USD-M BTCUSDT.
fn session(spot_faults: FaultConfig, seconds: u64, dir: &Path) -> Summary {
    run_paper(PaperOptions {
        markets: vec![
            sim(Venue::BinanceSpot, 7, spot_faults),
            sim(Venue::BinanceUsdm, 8, FaultConfig::default()),
        ],
        strategies: example_strategies_with(
            &format!("threshold = 0.2\nsymbol = \"{SPOT}\""),
            &format!("tick_size = \"0.1\"\nsymbol = \"{USDM}\"\nfallback = \"weighted_mid\""),
        ),
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

/// Rows of a report CSV, split on commas, without the header.
fn rows(dir: &Path, file: &str) -> Vec<Vec<String>> {
    std::fs::read_to_string(dir.join(file))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

/// Rows per instrument (column `col`).
fn per_instrument(rows: &[Vec<String>], col: usize) -> BTreeMap<String, usize> {
    let mut n = BTreeMap::new();
    for r in rows {
        *n.entry(r[col].clone()).or_default() += 1;
    }
    n
}

#[test]
fn paper_on_two_simulated_venues_syncs_and_trades_both_and_reports_each_feed() {
    let dir = tempfile::tempdir().unwrap();
    let s = session(FaultConfig::default(), 8, dir.path());

    // Each venue's feed: synced, no gap, its own messages.
    let venues: Vec<(&str, bool)> = s
        .feeds
        .iter()
        .map(|f| (f.venue.as_str(), f.simulated))
        .collect();
    assert_eq!(venues, [("binance-spot", true), ("binance-usdm", true)]);
    for (f, name) in s.feeds.iter().zip([SPOT, USDM]) {
        assert_eq!(f.states.len(), 1, "{f:?}");
        assert_eq!(f.states[name], "synced", "{f:?}");
        assert_eq!((f.gaps, f.reconnects, f.decode_errors), (0, 0, 0), "{f:?}");
        assert!(f.messages > 50, "{f:?}");
    }
    assert_eq!(s.venue, "binance-spot,binance-usdm");
    assert_eq!(s.frames, s.feeds[0].messages + s.feeds[1].messages);
    assert_eq!(s.books[SPOT].state, "synced");
    assert_eq!(s.books[USDM].state, "synced");
    assert_eq!(s.instruments[SPOT].tick_size, "0.01");
    assert_eq!(s.instruments[USDM].tick_size, "0.1");

    // Both instruments traded: orders and fills on each, each strategy on its own venue.
    let orders = per_instrument(&rows(dir.path(), "orders.csv"), 2);
    let fills = per_instrument(&rows(dir.path(), "fills.csv"), 2);
    for name in [SPOT, USDM] {
        assert!(
            orders.get(name).is_some_and(|n| *n > 0),
            "orders on {name}: {orders:?}"
        );
        assert!(
            fills.get(name).is_some_and(|n| *n > 0),
            "fills on {name}: {fills:?}"
        );
    }
    // Cancel requests name no instrument (``); nothing else traded.
    assert!(
        orders
            .keys()
            .all(|k| [SPOT, USDM, ""].contains(&k.as_str())),
        "{orders:?}"
    );
    let positions: Vec<Vec<&String>> = s
        .strategies
        .iter()
        .map(|st| st.instruments.keys().collect())
        .collect();
    assert_eq!(positions, [[SPOT], [USDM]], "per-instrument positions");

    // summary.json: `feeds`, one per venue, states keyed by instrument name.
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    assert!(json.get("feed").is_none(), "{json}");
    assert_eq!(json["feeds"][0]["venue"], "binance-spot");
    assert_eq!(json["feeds"][1]["venue"], "binance-usdm");
    assert_eq!(json["feeds"][1]["states"][USDM], "synced");
    assert!(
        json["strategies"][1]["instruments"][USDM]["position"].is_string(),
        "{json}"
    );
}

/// Each instrument's `(ts, state)` rows of `status.csv`, in order.
fn states(dir: &Path) -> BTreeMap<String, Vec<(u64, String)>> {
    let mut out: BTreeMap<String, Vec<(u64, String)>> = BTreeMap::new();
    for r in rows(dir, "status.csv") {
        out.entry(r[1].clone())
            .or_default()
            .push((r[0].parse().unwrap(), r[2].clone()));
    }
    out
}

#[test]
fn faults_on_one_venue_leave_the_other_synced_throughout() {
    let dir = tempfile::tempdir().unwrap();
    let faults = FaultConfig {
        drop_every: Some(15),
        disconnect_every: Some(Duration::from_secs(3)),
        ..FaultConfig::default()
    };
    let s = session(faults, 10, dir.path());
    let (spot, usdm) = (&s.feeds[0], &s.feeds[1]);
    assert_eq!(
        (spot.venue.as_str(), usdm.venue.as_str()),
        ("binance-spot", "binance-usdm")
    );

    // The faulty venue saw its faults and recovered from them.
    assert!(spot.gaps >= 1, "dropped frames are gaps: {spot:?}");
    assert!(spot.reconnects >= 1, "disconnects reconnect: {spot:?}");
    assert!(spot.resyncs >= 1, "resynced from new snapshots: {spot:?}");
    assert_eq!(s.gaps, spot.gaps, "every gap is the faulty venue's");

    // The other venue: one snapshot, never a gap, a resync or a reconnect.
    assert_eq!(
        (
            usdm.gaps,
            usdm.resyncs,
            usdm.reconnects,
            usdm.watchdog_timeouts
        ),
        (0, 0, 0, 0),
        "{usdm:?}"
    );
    assert_eq!(usdm.snapshots, 1, "{usdm:?}");
    assert_eq!(usdm.states[USDM], "synced");

    // The hot thread saw it: the spot book went stale; the USD-M book, once synced, never
    // left synced, and kept trading after the spot book first went stale.
    let states = states(dir.path());
    let first_stale = states[SPOT]
        .iter()
        .find(|(_, st)| st == "stale")
        .map(|(ts, _)| *ts)
        .expect("the spot book went stale");
    let usdm_states = &states[USDM];
    let synced_at = usdm_states
        .iter()
        .position(|(_, st)| st == "synced")
        .expect("USD-M synced");
    assert!(
        usdm_states[synced_at..]
            .iter()
            .all(|(_, st)| st == "synced"),
        "USD-M left synced: {usdm_states:?}"
    );
    let usdm_orders_after = rows(dir.path(), "orders.csv")
        .iter()
        .filter(|r| r[2] == USDM && r[0].parse::<u64>().unwrap() > first_stale)
        .count();
    assert!(usdm_orders_after > 0, "USD-M trades on while spot resyncs");
}
