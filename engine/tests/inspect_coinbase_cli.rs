//! `ladder inspect` on Coinbase captures end to end: the real Advanced Trade recording of
//! 2026-08-09 (`sequence_num` 0..1029, a 5 MB BTC-USD snapshot line), the same recording with
//! one `sequence_num` lost (both books stale, `--strict` exits 1), the legacy Exchange
//! recording (cryptofeed's `<unix_ts>: <json>` lines converted here to ladder's capture format),
//! and bad input (one message per line, no panic). The venue is recognized from the content
//! unless `--venue` is given.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ladder, read_capture_lines, shared};
use serde_json::Value;
use std::path::Path;

const ADVANCED: &str = "vectors/coinbase/capture_coinbase-advanced_cryptofeed_20260809.txt.gz";
const LEGACY: &str = "vectors/coinbase/cryptofeed_COINBASE.ws.28.0_BANDGBP_YFIBTC.txt";

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

fn run(path: &Path, extra: &[&str]) -> (bool, Value, String) {
    let mut args = vec!["inspect", path.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    let out = ladder().args(&args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.success(), json, stderr)
}

/// `inspect` on `lines` written to a file: exit status, JSON report, stderr.
fn inspect(lines: &[String], extra: &[&str]) -> (bool, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coinbase.txt");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    run(&path, extra)
}

#[test]
fn inspect_coinbase_advanced_trade_recording_has_no_gap_and_the_recorded_tops() {
    let Some(path) = shared(ADVANCED) else {
        return;
    };
    let (ok, r, stderr) = run(&path, &[]);
    assert!(ok, "{stderr}");
    assert_eq!(r["venue"], "coinbase", "recognized from the content");
    assert_eq!(r["frames"], 1030);
    assert_eq!(r["snapshots"], 2);
    assert_eq!(
        (r["depth_updates"].as_u64(), r["applied"].as_u64()),
        (Some(773), Some(773))
    );
    assert_eq!(
        (r["gaps"].as_u64(), r["parse_errors"].as_u64()),
        (Some(0), Some(0))
    );
    for (name, bid, ask, last) in [
        ("coinbase:BTC-USD", "65083.66", "65083.67", 1027),
        ("coinbase:ETH-USD", "1919.28", "1919.38", 1029),
    ] {
        let i = &r["instruments"][name];
        assert_eq!(i["state"], "synced", "{name}");
        assert_eq!(i["last_update_id"], last, "{name}");
        assert_eq!(
            (&i["bids"][0][0], &i["asks"][0][0]),
            (&bid.into(), &ask.into())
        );
    }
    // The 46,000-level snapshot is kept whole (updates since moved a few levels).
    let levels = &r["instruments"]["coinbase:BTC-USD"]["levels"];
    assert!(levels[0].as_u64().unwrap() > 18_000 && levels[1].as_u64().unwrap() > 27_000);
}

#[test]
fn inspect_coinbase_recording_with_a_lost_heartbeat_is_a_gap_on_both_books_and_strict_fails() {
    let Some(path) = shared(ADVANCED) else {
        return;
    };
    let lines: Vec<String> = read_capture_lines(&path)
        .into_iter()
        .filter(|l| !l.contains(r#""channel":"heartbeats","timestamp":"2026-08-09T21:06:00"#))
        .collect();
    assert_eq!(lines.len(), 1029);
    let (ok, r, _) = inspect(&lines, &[]);
    assert!(ok);
    assert_eq!(
        r["faults"]["sequence_gap"], 2,
        "one per book: {}",
        r["faults"]
    );
    for name in ["coinbase:BTC-USD", "coinbase:ETH-USD"] {
        assert_eq!(r["instruments"][name]["state"], "stale", "{name}");
    }
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.txt");
    std::fs::write(&cut, lines.join("\n") + "\n").unwrap();
    ladder()
        .args(["inspect", cut.to_str().unwrap(), "--strict"])
        .assert()
        .failure()
        .code(1);
}

#[test]
fn inspect_coinbase_exchange_legacy_recording_rebuilds_both_books_uncrossed() {
    let Some(path) = shared(LEGACY) else {
        return;
    };
    let (ok, r, stderr) = inspect(&cryptofeed_capture(&path), &[]);
    assert!(ok, "{stderr}");
    assert_eq!(
        r["venue"], "coinbase-exchange",
        "recognized from the content"
    );
    assert_eq!(r["snapshots"], 2);
    assert_eq!(
        (r["depth_updates"].as_u64(), r["applied"].as_u64()),
        (Some(958), Some(958))
    );
    assert_eq!(
        (r["gaps"].as_u64(), r["parse_errors"].as_u64()),
        (Some(0), Some(0))
    );
    for name in ["coinbase-exchange:BAND-GBP", "coinbase-exchange:YFI-BTC"] {
        let i = &r["instruments"][name];
        assert_eq!(i["state"], "synced", "{name}");
        let bid: f64 = i["bids"][0][0].as_str().unwrap().parse().unwrap();
        let ask: f64 = i["asks"][0][0].as_str().unwrap().parse().unwrap();
        assert!(bid < ask, "{name}: {bid} / {ask}");
    }
}

fn fixture() -> Vec<String> {
    let snap = r#"{"channel":"l2_data","timestamp":"2026-08-09T21:05:48.483587501Z","sequence_num":0,"events":[{"type":"snapshot","product_id":"BTC-USD","updates":[{"side":"bid","event_time":"2026-08-09T21:05:48.170326Z","price_level":"65083.66","new_quantity":"0.2"},{"side":"offer","event_time":"2026-08-09T21:05:48.170326Z","price_level":"65083.67","new_quantity":"0.3"}]}]}"#;
    let upd = r#"{"channel":"l2_data","timestamp":"2026-08-09T21:05:48.505350477Z","sequence_num":1,"events":[{"type":"update","product_id":"BTC-USD","updates":[{"side":"bid","event_time":"2026-08-09T21:05:48.210883Z","price_level":"65083.5","new_quantity":"1"}]}]}"#;
    vec![
        format!("1786309548848050800 {snap}"),
        format!("1786309548883960000 {upd}"),
    ]
}

#[test]
fn inspect_coinbase_bad_frames_are_reported_by_line_and_the_book_stays_synced() {
    let mut lines = fixture();
    let extra = [
        format!("1786309548883960001 {}", &lines[1][20..90]),
        r#"1786309548883960002 {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}}"#.to_owned(),
        r#"1786309548883960003 {"channel":"level3","sequence_num":2,"events":[]}"#.to_owned(),
        r#"1786309548883960004 {"type":"error","message":"failure to subscribe"}"#.to_owned(),
    ];
    lines.extend(extra);
    let grid = [
        "--venue",
        "coinbase",
        "--tick-size",
        "0.01",
        "--lot-size",
        "0.00000001",
    ];
    let (ok, r, stderr) = inspect(&lines, &grid);
    assert!(ok, "{stderr}");
    assert_eq!(r["parse_errors"], 4, "{r}");
    let issues: Vec<String> = r["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| format!("{}: {}", i["line"], i["message"]))
        .collect();
    let want = [
        "3: \"malformed frame: truncated JSON",
        "4: \"not a coinbase market-data message",
        "5: \"unknown coinbase channel \\\"level3\\\"",
        "6: \"coinbase replied with an error: \\\"failure to subscribe\\\"",
    ];
    assert_eq!(issues.len(), want.len(), "{issues:?}");
    for (got, want) in issues.iter().zip(want) {
        assert!(got.starts_with(want), "{got} vs {want}");
    }
    assert_eq!(r["instruments"]["coinbase:BTC-USD"]["state"], "synced");
    assert_eq!(r["gaps"], 0, "the unknown channel was in sequence");
}

#[test]
fn inspect_coinbase_off_grid_update_is_an_error_and_the_next_frame_stales_the_book() {
    let mut lines = fixture();
    lines[1] = lines[1].replace("65083.5", "65083.555");
    lines.push(r#"1786309548883960009 {"channel":"heartbeats","timestamp":"2026-08-09T21:05:48.856364007Z","sequence_num":2,"events":[{"current_time":"x","heartbeat_counter":1}]}"#.to_owned());
    let grid = [
        "--venue",
        "coinbase",
        "--tick-size",
        "0.01",
        "--lot-size",
        "0.00000001",
    ];
    let (ok, r, _) = inspect(&lines, &grid);
    assert!(ok);
    let issue = r["issues"][0]["message"].as_str().unwrap();
    assert!(
        issue.contains("\"BTC-USD\" price_level: value 65083.555 is off the grid of 0.01"),
        "{issue}"
    );
    assert_eq!(r["faults"]["sequence_gap"], 1, "{r}");
    assert_eq!(r["instruments"]["coinbase:BTC-USD"]["state"], "stale");
}
