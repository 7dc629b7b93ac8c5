//! `ladder paper` with `[metrics]`: a paper session on the built-in simulated venue serves
//! `/metrics` on 127.0.0.1; two scrapes a few seconds apart show the counters growing, every
//! family is documented in the README, and `promtool check metrics` (Debian's `prometheus`
//! package; `.ci/run` installs it) accepts the scrape.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ladder_engine::config::Config;
use ladder_engine::session::{Display, Market, PaperOptions, SessionMarket, run_paper};
use ladder_engine::sim::SimConfig;
use ladder_tests::scrape::{get, promtool, samples};
use ladder_tests::{example_strategies_with, free_port};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

fn scrape_until(port: u16, ready: impl Fn(&BTreeMap<String, f64>) -> bool) -> String {
    let t0 = Instant::now();
    loop {
        if let Some((status, body)) = get(port, "/metrics")
            && status.contains("200")
            && ready(&samples(&body))
        {
            return body;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "no ready scrape in 30 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_paper_session_serves_metrics_that_grow_and_pass_promtool() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.metrics.listen = Some(format!("127.0.0.1:{port}"));
    let report = dir.path().to_path_buf();
    let session = std::thread::spawn(move || {
        run_paper(PaperOptions {
            markets: vec![SessionMarket {
                market: Market::Sim(Box::new(SimConfig {
                    messages_per_sec: 400.0,
                    seed: 11,
                    ..SimConfig::default()
                })),
                watchdog: Duration::from_secs(5),
            }],
            strategies: example_strategies_with(
                "threshold = 0.2",
                "tick_size = \"0.01\"\nsymbol = \"BTCUSDT\"\nfallback = \"weighted_mid\"",
            ),
            config,
            config_sha256: None,
            report_dir: report,
            duration: Some(Duration::from_secs(8)),
            source: None,
            display: Display::Headless {
                every: Duration::from_secs(60),
            },
        })
    });
    let synced = "ladder_book_state{venue=\"binance-spot\",instrument=\"binance-spot:BTCUSDT\",state=\"synced\"}";
    let first = scrape_until(port, |s| {
        s.get(synced) == Some(&1.0) && s.get("ladder_hot_events_total") > Some(&0.0)
    });
    std::thread::sleep(Duration::from_secs(2));
    let second = scrape_until(port, |_| true);
    let (a, b) = (samples(&first), samples(&second));
    for grows in [
        "ladder_feed_messages_total{venue=\"binance-spot\"}",
        "ladder_hot_events_total",
        "ladder_latency_seconds_count{stage=\"processing\"}",
    ] {
        assert!(
            b[grows] > a[grows],
            "{grows}: {} then {}",
            a[grows],
            b[grows]
        );
    }
    assert_eq!(
        b["ladder_book_faults_total{venue=\"binance-spot\",instrument=\"binance-spot:BTCUSDT\",kind=\"checksum_mismatch\"}"],
        0.0
    );
    // Anything but /metrics is refused.
    assert!(get(port, "/").unwrap().0.contains("404"));
    promtool(&second);

    // Every family is documented in the README.
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    for l in second.lines().filter(|l| l.starts_with("# TYPE ")) {
        let name = l.split(' ').nth(2).unwrap();
        assert!(readme.contains(name), "{name} is not in the README");
    }

    // The Grafana dashboard queries only documented metrics (a family with no sample yet, such
    // as rejects before the first one, is not in a scrape).
    let dashboard = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../ops/grafana/ladder.json"),
    )
    .unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&dashboard).unwrap();
    let documented: Vec<&str> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| `ladder_"))
        .filter_map(|l| l.split('`').next())
        .collect();
    let mut queried = 0;
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            for word in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                if let Some(name) = word.strip_prefix("ladder_").map(|_| word) {
                    let family = name.strip_suffix("_bucket").unwrap_or(name);
                    assert!(
                        documented.contains(&&family["ladder_".len()..]),
                        "dashboard queries {name}: {expr}"
                    );
                    queried += 1;
                }
            }
        }
    }
    assert!(queried >= 10, "the dashboard queries the metrics");

    let summary = session.join().unwrap().unwrap();
    assert!(summary.events > 0);
    // The listener is gone with the session.
    assert!(get(port, "/metrics").is_none());
}

#[test]
fn a_busy_metrics_port_fails_the_session_before_it_starts() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut config = Config::default();
    config.metrics.listen = Some(format!("127.0.0.1:{port}"));
    let dir = tempfile::tempdir().unwrap();
    let e = run_paper(PaperOptions {
        markets: vec![SessionMarket::sim(SimConfig::default())],
        strategies: example_strategies_with("", ""),
        config,
        config_sha256: None,
        report_dir: dir.path().to_path_buf(),
        duration: Some(Duration::from_secs(1)),
        source: None,
        display: Display::Headless {
            every: Duration::from_secs(60),
        },
    })
    .unwrap_err()
    .to_string();
    assert!(
        e.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{e}"
    );
    assert!(!dir.path().join("summary.json").exists());
}
