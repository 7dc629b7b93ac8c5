//! Faults inside the hot engine: a strategy that panics is disabled and its orders cancelled
//! while the others go on, and the report names it; a kill switch cancels everything,
//! flattens, and stops the strategy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ladder_engine::capture::merge::CaptureInput;
use ladder_engine::config::Config;
use ladder_engine::feed::Venue;
use ladder_engine::plugin::{HostConfig, StrategyInstance};
use ladder_engine::replay::{ReplayOptions, Speed, StrategySource, replay};
use ladder_fixture_strategy::FixtureStrategy;
use ladder_strategy_microprice::MicropriceStrategy;
use ladder_tests::shared;
use serde_json::Value;
use std::path::Path;

fn fixture(config: &'static str) -> StrategySource {
    StrategySource::Static {
        label: "fixture".into(),
        config: config.into(),
        factory: Box::new(move |h: &HostConfig| {
            StrategyInstance::new_static::<FixtureStrategy>("fixture", config, h)
        }),
    }
}

fn microprice() -> StrategySource {
    StrategySource::Static {
        label: "microprice".into(),
        config: String::new(),
        factory: Box::new(|h: &HostConfig| {
            StrategyInstance::new_static::<MicropriceStrategy>(
                "microprice",
                "tick_size = \"0.1\"",
                h,
            )
        }),
    }
}

fn run(strategies: Vec<StrategySource>, config: &str, dir: &Path) -> Value {
    let Some(capture) = shared("captures/binance-usdm_btcusdt_20240808.gz") else {
        return Value::Null;
    };
    replay(ReplayOptions {
        captures: vec![CaptureInput {
            path: capture,
            venue: Venue::BinanceUsdm,
        }],
        strategies,
        config: Config::parse(config, Path::new("test.toml")).unwrap(),
        config_sha256: None,
        report_dir: dir.to_path_buf(),
        speed: Speed::Max,
        progress: false,
    })
    .unwrap();
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// Rows of orders.csv for one strategy: (ts, id, status).
fn order_rows(dir: &Path, strategy: &str) -> Vec<(u64, u64, String)> {
    std::fs::read_to_string(dir.join("orders.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect::<Vec<_>>())
        .filter(|f| f[1] == strategy)
        .map(|f| (f[0].parse().unwrap(), f[3].parse().unwrap(), f[8].clone()))
        .collect()
}

#[test]
fn panicking_strategy_is_disabled_orders_cancelled_engine_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let s = run(
        vec![fixture("panic_on_book=3000"), microprice()],
        "",
        dir.path(),
    );
    if s.is_null() {
        return;
    }
    let fixture = &s["strategies"][0];
    let disabled = fixture["disabled"]
        .as_str()
        .expect("the fixture is disabled");
    assert!(
        disabled.contains("fixture panics on book update 3000"),
        "{disabled}"
    );
    // It traded before the panic, and every order it had working ended cancelled or done.
    let rows = order_rows(dir.path(), "fixture");
    assert!(
        rows.iter().any(|r| r.2 == "accepted"),
        "the fixture had working orders"
    );
    let mut last: std::collections::BTreeMap<u64, &str> = Default::default();
    for (_, id, status) in &rows {
        last.insert(*id, status.as_str());
    }
    let working: Vec<_> = last
        .iter()
        .filter(|(_, st)| **st == "accepted" || **st == "requested")
        .collect();
    assert!(
        working.is_empty(),
        "orders left working after the fault: {working:?}"
    );
    // The other strategy went on to the end of the capture.
    let other = &s["strategies"][1];
    assert!(other["disabled"].is_null());
    let last_fixture = rows.iter().map(|r| r.0).max().unwrap();
    let last_other = order_rows(dir.path(), "microprice")
        .iter()
        .map(|r| r.0)
        .max()
        .unwrap();
    assert!(
        last_other > last_fixture,
        "microprice kept trading after the fixture was disabled"
    );
}

#[test]
fn kill_switch_cancels_flattens_and_stops_the_strategy() {
    let dir = tempfile::tempdir().unwrap();
    let s = run(
        vec![microprice()],
        "[paper]\ntaker_fee_bps = \"5\"\n[risk]\nmax_loss = \"0.5\"\nflatten_on_kill = true\n",
        dir.path(),
    );
    if s.is_null() {
        return;
    }
    let m = &s["strategies"][0];
    let disabled = m["disabled"]
        .as_str()
        .expect("the kill switch disabled the strategy");
    assert!(disabled.starts_with("kill switch"), "{disabled}");
    // Flattened: no position left.
    let position = m["instruments"]["binance-usdm:BTCUSDT"]["position"]
        .as_str()
        .unwrap();
    assert_eq!(position, "0", "flatten_on_kill closes the position");
    // Nothing left working, and no new order after the kill.
    let rows = order_rows(dir.path(), "microprice");
    let mut last: std::collections::BTreeMap<u64, &str> = Default::default();
    for (_, id, status) in &rows {
        last.insert(*id, status.as_str());
    }
    assert!(
        last.values()
            .all(|st| *st != "accepted" && *st != "requested"),
        "{last:?}"
    );
    // The loss is bounded near the limit (fills after the trip are the flattening order).
    let net: f64 = m["net_pnl"].as_str().unwrap().parse().unwrap();
    assert!(net < -0.5, "the kill switch tripped below max_loss: {net}");
}
