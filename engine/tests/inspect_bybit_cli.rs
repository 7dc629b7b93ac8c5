//! `ladder inspect` on the real Bybit recordings (`shared/vectors/bybit`): the venue recognized
//! from the content, the counts and final tops of `SOURCES.md`, a dropped delta shown as a gap
//! and a stale book (`--strict` exits 1), and bad input reported by line without a panic; and
//! `paper` / `record` refusing a Bybit book depth the venue does not serve, at its config key.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ladder, shared};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// `ladder inspect --json` with `args`: success, the report.
fn inspect(path: &Path, args: &[&str]) -> (bool, Value) {
    let out = ladder()
        .arg("inspect")
        .arg(path)
        .args(["--json", "--depth", "3"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let text = String::from_utf8(out.stdout).unwrap();
    let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text} {stderr}"));
    (out.status.success(), json)
}

#[test]
fn inspect_bybit_spot_orderbook_200_capture_counts_and_tops() {
    let Some(path) = shared("vectors/bybit/capture_bybit-v5-spot_cryptofeed_20260809.txt.gz")
    else {
        return;
    };
    // No --venue: the content says bybit-spot.
    let (ok, r) = inspect(&path, &["--strict"]);
    assert!(ok, "{r}");
    assert_eq!(r["venue"], "bybit-spot");
    assert_eq!(
        (
            &r["snapshots"],
            &r["depth_updates"],
            &r["applied"],
            &r["gaps"],
            &r["parse_errors"]
        ),
        (
            &Value::from(2),
            &Value::from(548),
            &Value::from(548),
            &Value::from(0),
            &Value::from(0)
        ),
        "{r}"
    );
    assert_eq!(r["trades"], 18, "trade messages (20 trades)");
    for (name, applied, bid, ask) in [
        ("bybit-spot:BTCUSDT", 299, "65140.4", "65140.5"),
        ("bybit-spot:ETHUSDT", 249, "1923.28", "1923.29"),
    ] {
        let i = &r["instruments"][name];
        assert_eq!(i["state"], "synced", "{name}");
        assert_eq!(i["applied"], applied, "{name}");
        assert_eq!(i["bids"][0][0], bid, "{name}");
        assert_eq!(i["asks"][0][0], ask, "{name}");
        assert!(i["levels"][0].as_u64().unwrap() <= 200);
    }
}

#[test]
fn inspect_bybit_level1_captures_apply_every_snapshot_with_no_gap() {
    for (file, venue, snapshots, symbols) in [
        (
            "capture_bybit-v5-linear-ob1_cryptofeed_20250613.txt",
            "bybit-linear",
            198,
            4,
        ),
        (
            "capture_bybit-v5-spot-ob1_cryptofeed_20250613.txt",
            "bybit-spot",
            139,
            6,
        ),
    ] {
        let Some(path) = shared(&format!("vectors/bybit/{file}")) else {
            return;
        };
        let (ok, r) = inspect(&path, &["--strict"]);
        assert!(ok, "{file}: {r}");
        assert_eq!(r["venue"], venue, "{file}");
        assert_eq!(
            (&r["snapshots"], &r["gaps"]),
            (&Value::from(snapshots), &Value::from(0))
        );
        let instruments = r["instruments"].as_object().unwrap();
        assert_eq!(instruments.len(), symbols, "{file}");
        assert!(instruments.values().all(|i| i["state"] == "synced"), "{r}");
    }
}

/// The XRPUSDT history file (bare JSON lines) as a capture with synthetic stamps, without the
/// line `skip`.
fn xrp_capture(dir: &Path, skip: Option<usize>) -> Option<PathBuf> {
    let src = shared("vectors/bybit/nautilus_2024-12-01_XRPUSDT_ob500.data")?;
    let text = std::fs::read_to_string(src).unwrap();
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .filter(|(i, _)| Some(*i) != skip)
        .map(|(i, l)| {
            format!(
                "{} {l}\n",
                1_733_011_200_000_000_000u64 + i as u64 * 1_000_000
            )
        })
        .collect();
    let path = dir.join("xrp.txt");
    std::fs::write(&path, lines.concat()).unwrap();
    Some(path)
}

#[test]
fn inspect_bybit_xrp_orderbook_500_stays_500_by_500() {
    let dir = tempfile::tempdir().unwrap();
    let Some(path) = xrp_capture(dir.path(), None) else {
        return;
    };
    let (ok, r) = inspect(&path, &["--strict"]);
    assert!(ok, "{r}");
    assert_eq!(r["venue"], "bybit-linear");
    let x = &r["instruments"]["bybit-linear:XRPUSDT"];
    assert_eq!(
        (&x["applied"], &x["gaps"]),
        (&Value::from(49), &Value::from(0))
    );
    assert_eq!(x["levels"], serde_json::json!([500, 500]));
    assert_eq!(x["last_update_id"], 20_254_869 + 49);
}

#[test]
fn inspect_bybit_dropped_delta_is_a_gap_and_strict_fails() {
    let dir = tempfile::tempdir().unwrap();
    let Some(path) = xrp_capture(dir.path(), Some(20)) else {
        return;
    };
    let (ok, r) = inspect(&path, &["--strict", "--venue", "bybit-linear"]);
    assert!(!ok, "--strict must fail: {r}");
    assert_eq!(
        (&r["gaps"], &r["faults"]["sequence_gap"]),
        (&Value::from(1), &Value::from(1))
    );
    let x = &r["instruments"]["bybit-linear:XRPUSDT"];
    assert_eq!(x["state"], "stale");
    assert_eq!(
        (&x["applied"], &r["discarded"]),
        (&Value::from(19), &Value::from(28))
    );
}

#[test]
fn inspect_bybit_bad_lines_are_reported_by_line_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.txt");
    let lines = [
        r#"{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1,"data":{"s":"BTCUSDT","b":[["100.5","1"]],"a":[["100.6","2"]],"u":5,"seq":1},"cts":1}"#,
        r#"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":2,"data":{"s":"BTCUSDT","b":[["100.5","0"]],"a":[],"u":6,"seq":2},"cts":2}"#,
        r#"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":3,"data":{"s":"BTCUSDT","b":[["100.4"#,
        r#"{"success":false,"ret_msg":"Invalid symbol :[orderbook.50.XXXUSDT]","conn_id":"c","req_id":"","op":"subscribe"}"#,
        r#"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":4,"data":{"s":"BTCUSDT","b":[["100.45","1"]],"a":[],"u":7,"seq":3},"cts":4}"#,
        r#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1","q":"1","T":1,"m":true}}"#,
        r#"{"topic":"news.BTCUSDT","ts":5,"data":{}}"#,
    ];
    let text: String = lines
        .iter()
        .enumerate()
        .map(|(i, l)| format!("{} {l}\n", 1_000 + i))
        .collect();
    std::fs::write(&path, text).unwrap();
    let (ok, r) = inspect(
        &path,
        &[
            "--venue",
            "bybit-linear",
            "--tick-size",
            "0.1",
            "--lot-size",
            "1",
            "--strict",
        ],
    );
    assert!(!ok);
    let issues: Vec<(u64, String)> = r["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["line"].as_u64().unwrap(),
                i["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want = [
        (3, "malformed frame: truncated JSON"),
        (
            4,
            "the venue refused the \"subscribe\" request: \"Invalid symbol :[orderbook.50.XXXUSDT]\"",
        ),
        (
            5,
            "\"BTCUSDT\" b price: value 100.45 is off the grid of 0.1",
        ),
        (6, "not a Bybit public message"),
        (7, "unknown topic \"news.BTCUSDT\""),
    ];
    assert_eq!(issues.len(), want.len(), "{issues:?}");
    for ((line, msg), (wl, wm)) in issues.iter().zip(want) {
        assert_eq!(*line, wl);
        assert!(msg.contains(wm), "line {line}: {msg}");
    }
    // The delta rejected on line 5 is missing from the chain: the next one would be a gap. The
    // book is still exact at u = 6 (nothing after it was applied).
    let b = &r["instruments"]["bybit-linear:BTCUSDT"];
    assert_eq!(
        (&b["state"], &b["last_update_id"]),
        (&Value::from("synced"), &Value::from(6))
    );
}

/// Bybit is live (`tests/live_feed/bybit*.rs`); what `paper` and `record` still refuse is a
/// book depth Bybit does not serve, at the config's key, before any strategy is loaded or any
/// connection is made (the endpoints are a closed local port anyway).
#[test]
fn live_paper_and_record_refuse_a_bybit_book_depth_the_venue_does_not_serve() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ladder.toml");
    std::fs::write(
        &config,
        "[venue]\nname = \"bybit-linear\"\nbook_depth = 500\nsymbols = [\"BTCUSDT\"]\n\
         ws_book = \"ws://127.0.0.1:9/v5/public/linear\"\nrest = \"http://127.0.0.1:9\"\n\
         allow_insecure = true\n",
    )
    .unwrap();
    let (config, out) = (config.to_str().unwrap(), dir.path().join("never.txt"));
    let out = out.to_str().unwrap();
    let want = "ladder.toml:3:1: venue.book_depth 500 is not a depth bybit-linear serves (one of \
                1, 50, 200, 1000)";
    let cases: [&[&str]; 2] = [
        &[
            "paper",
            "--config",
            config,
            "--headless",
            "--duration",
            "1s",
        ],
        &[
            "record",
            "--config",
            config,
            "--out",
            out,
            "--duration",
            "1s",
        ],
    ];
    for args in cases {
        let o = ladder().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?}");
        assert!(
            stderr.contains(want) && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
    }
    assert!(!dir.path().join("never.txt").exists());
}
