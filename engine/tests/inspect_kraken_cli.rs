//! `ladder inspect` on Kraken captures end to end: the real 2021 v1 `book-1000` recording
//! (cryptofeed's `<unix_ts>: <json>` lines converted here to ladder's capture format) with its
//! 1135 checksums, the 2026 v2 BTC/USD recordings (one with a second snapshot), one digit
//! changed (a checksum mismatch on that instrument only, `stale`, `--strict` exits 1), and bad
//! input (one message per line, no panic). The venue is recognized from the content unless
//! `--venue` is given; symbols keep their slash (`kraken:BTC/USD`).

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
            let (secs, frac) = ts.split_once('.').unwrap_or((ts, ""));
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
    let path = dir.path().join("kraken.txt");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let mut args = vec!["inspect", path.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    let out = ladder().args(&args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.success(), json, stderr)
}

fn v1_recording() -> Option<Vec<String>> {
    shared("vectors/kraken/cryptofeed_KRAKEN.ws.50.0_XMRUSD_XBTCHF.txt")
        .map(|p| cryptofeed_capture(&p))
}

#[test]
fn inspect_kraken_v1_recording_verifies_1135_of_1135_checksums() {
    let Some(lines) = v1_recording() else {
        return;
    };
    let (ok, r, stderr) = inspect(&lines, &[]);
    assert!(ok, "{stderr}");
    assert_eq!(r["venue"], "kraken", "recognized from the content");
    assert_eq!(r["checksums"], 1135);
    assert_eq!(r["faults"]["checksum_mismatch"], 0);
    assert_eq!(
        (
            r["snapshots"].as_u64(),
            r["applied"].as_u64(),
            r["gaps"].as_u64()
        ),
        (Some(2), Some(1135), Some(0))
    );
    assert_eq!(r["parse_errors"], 0);
    for name in ["kraken:XMR/USD", "kraken:XBT/CHF"] {
        assert_eq!(r["instruments"][name]["state"], "synced", "{name}: {r}");
    }
    // Grids inferred from the digits: 5 price decimals on the wire, a 0.1 tick in value; the
    // checksum still writes the wire's 5.
    assert_eq!(r["instruments"]["kraken:XBT/CHF"]["tick_size"], "0.1");
}

#[test]
fn inspect_kraken_v1_recording_with_one_digit_changed_is_stale_on_that_instrument_only() {
    let Some(mut lines) = v1_recording() else {
        return;
    };
    // The 100th XMR/USD update (its first level is in the top 10): the first digit of its
    // volume.
    let k = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.ends_with("\"XMR/USD\"]") && l.contains("\"c\":"))
        .nth(99)
        .unwrap()
        .0;
    let at = lines[k].find("\",\"").unwrap() + 3;
    let d = lines[k].as_bytes()[at];
    let other = if d == b'9' { "8" } else { "9" };
    lines[k].replace_range(at..=at, other);
    let (ok, r, _) = inspect(&lines, &[]);
    assert!(ok);
    assert_eq!(r["faults"]["checksum_mismatch"], 1, "{r}");
    assert_eq!(r["instruments"]["kraken:XMR/USD"]["state"], "stale");
    assert_eq!(r["instruments"]["kraken:XBT/CHF"]["state"], "synced");
    assert_eq!(r["instruments"]["kraken:XBT/CHF"]["applied"], 289);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kraken.txt");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    ladder()
        .args(["inspect", path.to_str().unwrap(), "--strict"])
        .assert()
        .failure()
        .code(1);
}

#[test]
fn inspect_kraken_v2_recordings_verify_every_checksum_including_after_a_second_snapshot() {
    for (file, checksums, snapshots) in [
        ("capture_ccxt_v2_book_BTCUSD_20260812.txt", 2, 1),
        ("capture_ccxt_v2_book_BTCUSD_20261006_resnapshot.txt", 9, 2),
    ] {
        let Some(path) = shared(&format!("vectors/kraken/{file}")) else {
            return;
        };
        let out = ladder()
            .args(["inspect", path.to_str().unwrap(), "--json", "--strict"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{file}");
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["venue"], "kraken");
        assert_eq!(
            (r["checksums"].as_u64(), r["snapshots"].as_u64()),
            (Some(checksums), Some(snapshots)),
            "{file}"
        );
        assert_eq!(
            (r["gaps"].as_u64(), r["parse_errors"].as_u64()),
            (Some(0), Some(0))
        );
        let btc = &r["instruments"]["kraken:BTC/USD"];
        assert_eq!(btc["state"], "synced", "{file}");
        assert_eq!(btc["levels"], serde_json::json!([10, 10]));
    }
}

#[test]
fn inspect_kraken_bad_lines_are_one_clear_error_each_and_the_book_stays_synced() {
    let Some(path) = shared("vectors/kraken/capture_ccxt_v2_book_BTCUSD_20260812.txt") else {
        return;
    };
    let mut lines: Vec<String> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let ts = 1_786_562_889_140_449_000u64;
    for (i, frame) in [
        r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":63296.75,"qty":1}],"asks":[]}]}"#,
        r#"{"stream":"btcusdt@depth","data":{"e":"depthUpdate","s":"BTCUSDT"}}"#,
        r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":1"#,
        r#"{"method":"subscribe","error":"Currency pair not supported XYZ/USD","success":false}"#,
        r#"{"channel":"bookz","data":[]}"#,
    ]
    .iter()
    .enumerate()
    {
        lines.push(format!("{} {frame}", ts + i as u64));
    }
    let (ok, r, stderr) = inspect(&lines, &["--venue", "kraken"]);
    assert!(ok, "{stderr}");
    assert_eq!(r["parse_errors"], 5, "{r}");
    let messages: Vec<&str> = r["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["message"].as_str().unwrap())
        .collect();
    for want in [
        "\"BTC/USD\" bids: value 63296.75 is off the grid of 0.1",
        "not a Kraken market-data message",
        "truncated JSON",
        "kraken replied with an error: \"Currency pair not supported XYZ/USD\"",
        "unknown kraken channel \"bookz\"",
    ] {
        assert!(
            messages.iter().any(|m| m.contains(want)),
            "{want} not in {messages:?}"
        );
    }
    assert_eq!(r["instruments"]["kraken:BTC/USD"]["state"], "synced");
}
