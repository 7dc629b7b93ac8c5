//! The bus in operation, through the real binary and a real `nats-server`: `ladder feed`
//! publishes every book status change on `ladder.status.<venue>` (one JSON message per change),
//! read here by a plain NATS subscriber.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::StreamExt as _;
use ladder_tests::build::cargo_build;
use ladder_tests::nats::NatsServer;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

/// The `ladder` binary, built once.
fn ladder() -> &'static PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        cargo_build(env!("CARGO_TARGET_TMPDIR"), &["-p", "ladder-engine"]).join("ladder")
    })
}

#[test]
fn feed_status_changes_are_published_on_the_status_subject_as_json() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(server) = NatsServer::start(&tmp.path().join("store")) else {
        return;
    };
    let _ = ladder();
    let url = server.url();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = rt.block_on(async_nats::connect(url.as_str())).unwrap();
    let mut sub = rt.block_on(client.subscribe("ladder.status.>")).unwrap();
    rt.block_on(client.flush()).unwrap();
    let mut feed = Command::new(ladder())
        .args(["feed", "--sim", "--nats", &url, "--duration", "3s"])
        .args(["--status-every", "0", "--report"])
        .arg(tmp.path().join("feed"))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut got: Vec<(String, Value)> = Vec::new();
    let mut ended = None;
    for _ in 0..300 {
        let next = rt
            .block_on(async { tokio::time::timeout(Duration::from_millis(100), sub.next()).await });
        if let Ok(Some(m)) = next {
            let v: Value = serde_json::from_slice(&m.payload)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", m.payload));
            got.push((m.subject.to_string(), v));
        }
        if ended.is_none() {
            ended = feed.try_wait().unwrap();
        } else if got.len() > 1 {
            break;
        }
    }
    let out = feed.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!got.is_empty(), "no status message");
    for (subject, v) in &got {
        assert_eq!(subject, "ladder.status.binance-spot", "{v}");
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["instrument", "reason", "state", "ts_recv"], "{v}");
        assert!(
            v["instrument"]
                .as_str()
                .unwrap()
                .starts_with("binance-spot:"),
            "{v}"
        );
        assert!(
            ["connecting", "syncing", "synced", "stale", "resyncing"]
                .contains(&v["state"].as_str().unwrap()),
            "{v}"
        );
        assert!(
            v["ts_recv"].as_u64().unwrap() > 1_700_000_000_000_000_000,
            "{v}"
        );
    }
    // The simulator's BTCUSDT went from connecting (or syncing) to synced.
    let btc: Vec<&str> = got
        .iter()
        .filter(|(_, v)| v["instrument"] == "binance-spot:BTCUSDT")
        .map(|(_, v)| v["state"].as_str().unwrap())
        .collect();
    assert!(btc.len() >= 2, "{btc:?}");
    assert_ne!(btc[0], "synced", "{btc:?}");
    assert!(btc.contains(&"synced"), "{btc:?}");
    let synced = got.iter().find(|(_, v)| v["state"] == "synced").unwrap();
    assert!(synced.1["reason"].is_null(), "{}", synced.1);
}

/// The rows of a report CSV (header dropped), split on commas.
fn csv_rows(path: &std::path::Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

#[test]
fn bus_gap_under_a_trading_strategy_records_no_fill_while_the_book_is_stale() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(mut server) = NatsServer::start(&tmp.path().join("store")) else {
        return;
    };
    let url = server.url();
    let imbalance = cargo_build(
        env!("CARGO_TARGET_TMPDIR"),
        &["-p", "ladder-strategy-imbalance"],
    );
    let imbalance = ladder_tests::build::newest_lib(&imbalance, "ladder_strategy_imbalance");
    let _ = ladder();
    let mut feed = Command::new(ladder())
        .args(["feed", "--sim", "--sim-rate", "400", "--nats", &url])
        .args(["--duration", "11s", "--status-every", "0", "--report"])
        .arg(tmp.path().join("feed"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let report = tmp.path().join("paper");
    let stderr = std::fs::File::create(tmp.path().join("paper-stderr.txt")).unwrap();
    let mut paper = Command::new(ladder())
        .args(["paper", "--headless", "--source", &url, "--strategy"])
        .arg(&imbalance)
        .args(["--duration", "12s", "--report"])
        .arg(&report)
        .stdout(std::process::Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    // The server goes away while the strategy trades, and comes back: a bus gap.
    std::thread::sleep(Duration::from_secs(4));
    server.kill();
    std::thread::sleep(Duration::from_millis(1500));
    server.restart();
    let ok = |c: &mut std::process::Child| {
        for _ in 0..600 {
            if let Some(s) = c.try_wait().unwrap() {
                return s.success();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = c.kill();
        false
    };
    assert!(ok(&mut feed), "ladder feed failed");
    assert!(
        ok(&mut paper),
        "the consumer failed: {}",
        std::fs::read_to_string(tmp.path().join("paper-stderr.txt")).unwrap_or_default()
    );
    // Each instrument's stale windows: from leaving `synced` to the next `synced`.
    let mut windows: Vec<(String, u64, u64, String)> = Vec::new();
    let mut open: std::collections::HashMap<String, (u64, String)> = Default::default();
    let mut synced_once = std::collections::HashSet::new();
    for row in csv_rows(&report.join("status.csv")) {
        let (ts, inst, state) = (row[0].parse::<u64>().unwrap(), &row[1], row[2].as_str());
        if state == "synced" {
            synced_once.insert(inst.clone());
            if let Some((from, reason)) = open.remove(inst) {
                windows.push((inst.clone(), from, ts, reason));
            }
        } else if synced_once.contains(inst) && !open.contains_key(inst) {
            open.insert(inst.clone(), (ts, row.get(3).cloned().unwrap_or_default()));
        }
    }
    for (inst, (from, reason)) in open {
        windows.push((inst, from, u64::MAX, reason));
    }
    assert!(
        windows
            .iter()
            .any(|w| w.3 == "disconnected" || w.3 == "sequence_gap"),
        "no bus gap in status.csv: {windows:?}"
    );
    let fills = csv_rows(&report.join("fills.csv"));
    assert!(
        !fills.is_empty(),
        "the strategy made no fill: the check below would prove nothing"
    );
    for f in &fills {
        let ts: u64 = f[0].parse().unwrap();
        for (inst, from, to, reason) in &windows {
            assert!(
                !(&f[2] == inst && *from <= ts && ts < *to),
                "fill {f:?} while {inst} was stale ({reason}) from {from} to {to}"
            );
        }
    }
}
