//! `ladder inspect` on OKX captures end to end: the real 2022 `books` recording (cryptofeed's
//! `<unix_ts>: <json>` lines converted here to ladder's capture format) with its 290 checksums,
//! the 2026 `books5` frames, a `seqId` fixture written from the documented format, dropped
//! updates (a gap, `stale`, `--strict` exits 1), and bad input (one message per line, no
//! panic). The venue is recognized from the content unless `--venue` is given.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ladder, shared};
use serde_json::Value;
use std::path::Path;

/// A cryptofeed `*.ws.*` recording's received lines as ladder capture text.
fn cryptofeed_capture(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|line| {
            let (ts, frame) = line.split_once(": ")?;
            let (secs, frac) = ts.split_once('.')?;
            if !secs.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
                return None;
            }
            let frac: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
            let ns = secs.parse::<u64>().ok()? * 1_000_000_000 + frac.parse::<u64>().ok()?;
            Some(format!("{ns} {frame}"))
        })
        .collect()
}

/// `inspect` on `lines` written to a file: exit status, JSON report, stderr.
fn inspect(lines: &[String], extra: &[&str]) -> (bool, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("okx.txt");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let mut args = vec!["inspect", path.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    let out = ladder().args(&args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.success(), json, stderr)
}

fn strict_fails(lines: &[String]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("okx.txt");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    ladder()
        .args(["inspect", path.to_str().unwrap(), "--strict"])
        .assert()
        .failure()
        .code(1);
}

fn recording_2022() -> Option<Vec<String>> {
    shared("vectors/okx/cryptofeed_OKX.ws.1.0").map(|p| cryptofeed_capture(&p))
}

#[test]
fn inspect_okx_2022_recording_verifies_290_of_290_checksums_on_three_synced_books() {
    let Some(lines) = recording_2022() else {
        return;
    };
    let (ok, r, stderr) = inspect(&lines, &[]);
    assert!(ok, "{stderr}");
    assert_eq!(r["venue"], "okx", "recognized from the content");
    assert_eq!(r["snapshots"], 3);
    assert_eq!(
        (r["depth_updates"].as_u64(), r["applied"].as_u64()),
        (Some(287), Some(287))
    );
    assert_eq!(r["checksums"], 290);
    assert_eq!(r["faults"]["checksum_mismatch"], 0);
    assert_eq!(
        (r["gaps"].as_u64(), r["parse_errors"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(r["trades"], 74);
    for name in ["okx:BTC-USDT", "okx:BTC-USD-220527", "okx:UNI-USD-SWAP"] {
        assert_eq!(r["instruments"][name]["state"], "synced", "{name}");
    }
    // BTC-USDT is a 400-level book; its top is the recording's.
    let btc = &r["instruments"]["okx:BTC-USDT"];
    assert_eq!(btc["levels"], serde_json::json!([400, 400]));
    assert_eq!(btc["tick_size"], "0.1");
}

#[test]
fn inspect_okx_2022_recording_with_one_update_removed_is_a_checksum_gap_and_stale() {
    let Some(lines) = recording_2022() else {
        return;
    };
    // The 30th update of BTC-USDT: only the checksum can tell (2022 data has no seqId).
    let victim = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains(r#""channel":"books","instId":"BTC-USDT"},"action":"update""#))
        .nth(29)
        .unwrap()
        .0;
    let cut: Vec<String> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != victim)
        .map(|(_, l)| l.clone())
        .collect();
    let (ok, r, _) = inspect(&cut, &[]);
    assert!(ok);
    assert_eq!(r["depth_updates"], 286);
    assert!(
        r["faults"]["checksum_mismatch"].as_u64().unwrap() >= 1,
        "{r}"
    );
    assert_eq!(r["instruments"]["okx:BTC-USDT"]["state"], "stale");
    assert_eq!(r["instruments"]["okx:UNI-USD-SWAP"]["state"], "synced");
    strict_fails(&cut);
}

fn frame_update(prev: u64, seq: u64, bid: &str) -> String {
    format!(
        r#"{{"arg":{{"channel":"books","instId":"BTC-USDT-SWAP"}},"action":"update","data":[{{"asks":[],"bids":[["{bid}","3","0","1"]],"ts":"1786541241106","checksum":0,"prevSeqId":{prev},"seqId":{seq}}}]}}"#
    )
}

/// A `seqId` capture written from the documented format: snapshot, then the doc's chain
/// (update, keep-alive, maintenance reset, normal), then steps that are not contiguous.
fn seq_fixture() -> Vec<String> {
    let snapshot = r#"{"arg":{"channel":"books","instId":"BTC-USDT-SWAP"},"action":"snapshot","data":[{"asks":[["63921.5","790.41","0","42"]],"bids":[["63921.4","421.93","0","28"]],"ts":"1786541241006","checksum":0,"prevSeqId":-1,"seqId":10}]}"#;
    let keepalive = r#"{"arg":{"channel":"books","instId":"BTC-USDT-SWAP"},"action":"update","data":[{"asks":[],"bids":[],"ts":"1786541241206","checksum":0,"prevSeqId":15,"seqId":15}]}"#;
    let ack = r#"{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT-SWAP"},"connId":"a4d3ae55"}"#;
    let mut frames = vec![ack.to_owned(), snapshot.to_owned()];
    frames.push(frame_update(10, 15, "63921.3"));
    frames.push(keepalive.to_owned());
    frames.push(frame_update(15, 3, "63921.2"));
    frames.push(frame_update(3, 5, "63921.1"));
    for (p, s) in [(5, 12), (12, 25), (25, 38), (38, 58), (58, 103), (103, 196)] {
        frames.push(frame_update(p, s, "63920.9"));
    }
    frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            format!(
                "{} {f}",
                1_786_541_241_000_000_000u64 + i as u64 * 1_000_000
            )
        })
        .collect()
}

#[test]
fn inspect_okx_seq_id_chain_with_keepalive_and_reset_syncs_and_a_dropped_update_is_a_gap() {
    let lines = seq_fixture();
    let (ok, r, stderr) = inspect(&lines, &["--venue", "okx"]);
    assert!(ok, "{stderr}");
    let swap = &r["instruments"]["okx:BTC-USDT-SWAP"];
    assert_eq!(swap["state"], "synced", "{r}");
    assert_eq!(swap["last_update_id"], 196);
    assert_eq!(
        (r["applied"].as_u64(), r["gaps"].as_u64()),
        (Some(10), Some(0))
    );
    // The update 25 -> 38 is lost: 38 -> 58 does not chain.
    let cut: Vec<String> = lines
        .iter()
        .filter(|l| !l.contains(r#""prevSeqId":25,"#))
        .cloned()
        .collect();
    let (ok, r, _) = inspect(&cut, &["--venue", "okx"]);
    assert!(ok);
    assert_eq!(r["faults"]["sequence_gap"], 1, "{r}");
    assert_eq!(r["instruments"]["okx:BTC-USDT-SWAP"]["state"], "stale");
    strict_fails(&cut);
}

#[test]
fn inspect_okx_ccxt_books5_capture_is_recognized_and_clean() {
    let Some(path) = shared("vectors/okx/capture_ccxt_books5_trades_20260812.txt") else {
        return;
    };
    let out = ladder()
        .args(["inspect", path.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["venue"], "okx");
    assert_eq!(
        (r["snapshots"].as_u64(), r["trades"].as_u64()),
        (Some(2), Some(4))
    );
    assert_eq!(
        (r["parse_errors"].as_u64(), r["gaps"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(
        r["instruments"]["okx:BTC-USDT-SWAP"]["last_update_id"],
        333_794_734_996u64
    );
    assert_eq!(
        r["instruments"]["okx:BTC-USDT-SWAP"]["bids"][0][0],
        "63921.4"
    );
}

#[test]
fn inspect_okx_bad_frames_are_reported_by_line_and_replay_goes_on() {
    let mut lines = seq_fixture();
    let truncated = lines[2][..90].to_owned();
    lines.insert(2, truncated);
    lines.insert(
        3,
        r#"1 {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}}"#.to_owned(),
    );
    lines.insert(
        4,
        r#"2 {"arg":{"channel":"books-fancy","instId":"BTC-USDT-SWAP"},"data":[{}]}"#.to_owned(),
    );
    lines.insert(
        5,
        r#"3 {"event":"error","code":"60012","msg":"Invalid request: {\"op\": \"subscribe\"}"}"#
            .to_owned(),
    );
    lines.insert(
        6,
        r#"4 {"arg":{"channel":"books","instId":"BTC-USDT-SWAP"},"action":"update","data":[{"asks":[],"bids":[["63921.25","1","0","1"]],"ts":"1","prevSeqId":99,"seqId":100}]}"#.to_owned(),
    );
    let grid = ["--venue", "okx", "--tick-size", "0.1", "--lot-size", "0.01"];
    let (ok, r, _) = inspect(&lines, &grid);
    assert!(ok);
    assert_eq!(r["parse_errors"], 5, "{r}");
    let issues: Vec<String> = r["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| format!("{}: {}", i["line"], i["message"]))
        .collect();
    let want = [
        "3: \"malformed frame: truncated JSON",
        "4: \"not an OKX market-data message",
        "5: \"unknown okx channel \\\"books-fancy\\\"",
        "6: \"okx replied with error code 60012",
        "7: \"\\\"BTC-USDT-SWAP\\\" bids: value 63921.25 is off the grid of 0.1",
    ];
    assert_eq!(issues.len(), want.len(), "{issues:?}");
    for (got, want) in issues.iter().zip(want) {
        assert!(got.starts_with(want), "{got} vs {want}");
    }
    // The good lines around them still sync.
    assert_eq!(r["instruments"]["okx:BTC-USDT-SWAP"]["state"], "synced");
}
