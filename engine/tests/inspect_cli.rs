//! `ladder inspect` end to end on the real captures: counts, an independent by-hand application
//! of the venue's sequencing (serde_json + `Decimal` maps), gap injection, and bad input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ladder, read_capture_lines, shared};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;
use std::str::FromStr;

fn inspect_json(path: &std::path::Path, venue: &str) -> Value {
    let out = ladder()
        .args([
            "inspect",
            path.to_str().unwrap(),
            "--venue",
            venue,
            "--json",
            "--depth",
            "10",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.trim().lines().count(),
        1,
        "exactly one JSON object on stdout"
    );
    serde_json::from_str(&text).unwrap()
}

/// The venue's rules applied by hand over decimal maps (docs/venues.md §1.4 / §2.3).
struct HandBook {
    futures: bool,
    bids: BTreeMap<Decimal, Decimal>,
    asks: BTreeMap<Decimal, Decimal>,
    last: Option<u64>,
    pending: Vec<Value>,
    applied: u64,
    dropped: u64,
}

impl HandBook {
    fn new(futures: bool) -> Self {
        Self {
            futures,
            bids: BTreeMap::new(),
            asks: BTreeMap::new(),
            last: None,
            pending: Vec::new(),
            applied: 0,
            dropped: 0,
        }
    }

    fn set(map: &mut BTreeMap<Decimal, Decimal>, levels: &Value) {
        for l in levels.as_array().unwrap() {
            let p = Decimal::from_str(l[0].as_str().unwrap()).unwrap();
            let q = Decimal::from_str(l[1].as_str().unwrap()).unwrap();
            if q.is_zero() {
                map.remove(&p);
            } else {
                map.insert(p, q);
            }
        }
    }

    fn snapshot(&mut self, s: &Value) {
        self.bids.clear();
        self.asks.clear();
        Self::set(&mut self.bids, &s["bids"]);
        Self::set(&mut self.asks, &s["asks"]);
        let l = s["lastUpdateId"].as_u64().unwrap();
        self.last = Some(l);
        let pending = std::mem::take(&mut self.pending);
        let mut first = true;
        for d in pending {
            let (u0, u1) = (d["U"].as_u64().unwrap(), d["u"].as_u64().unwrap());
            let covered = if self.futures { u1 < l } else { u1 <= l };
            if first && covered {
                self.dropped += 1;
                continue;
            }
            if first {
                let ok = if self.futures {
                    u0 <= l && l <= u1
                } else {
                    u0 <= l + 1 && l < u1
                };
                assert!(ok, "first diff after the snapshot must bracket it");
                first = false;
            }
            self.apply(&d);
        }
    }

    fn diff(&mut self, d: &Value) {
        match self.last {
            None => self.pending.push(d.clone()),
            Some(prev) => {
                let ok = if self.futures {
                    d["pu"].as_u64() == Some(prev)
                } else {
                    d["U"].as_u64() == Some(prev + 1)
                };
                assert!(ok, "a gap in the real capture");
                self.apply(d);
            }
        }
    }

    fn apply(&mut self, d: &Value) {
        Self::set(&mut self.bids, &d["b"]);
        Self::set(&mut self.asks, &d["a"]);
        self.last = d["u"].as_u64();
        self.applied += 1;
    }

    fn top(&self, n: usize) -> (Vec<[String; 2]>, Vec<[String; 2]>) {
        let fmt =
            |(p, q): (&Decimal, &Decimal)| [p.normalize().to_string(), q.normalize().to_string()];
        (
            self.bids.iter().rev().take(n).map(fmt).collect(),
            self.asks.iter().take(n).map(fmt).collect(),
        )
    }
}

fn by_hand(path: &std::path::Path, futures: bool) -> HandBook {
    let mut book = HandBook::new(futures);
    for line in read_capture_lines(path) {
        let (_, frame) = line.split_once(' ').unwrap();
        let v: Value = serde_json::from_str(frame).unwrap();
        if v.get("lastUpdateId").is_some() {
            book.snapshot(&v);
        } else if v["data"]["e"] == "depthUpdate" {
            book.diff(&v["data"]);
        }
    }
    book
}

fn levels(v: &Value) -> Vec<[String; 2]> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|l| {
            [
                l[0].as_str().unwrap().to_owned(),
                l[1].as_str().unwrap().to_owned(),
            ]
        })
        .collect()
}

#[test]
fn inspect_spot_capture_matches_counts_and_hand_sequenced_book() {
    let Some(path) = shared("captures/binance-spot_btcusdt_20240808.gz") else {
        return;
    };
    let r = inspect_json(&path, "binance-spot");
    assert_eq!(r["venue"], "binance-spot");
    assert_eq!(r["frames"], 41_249);
    assert_eq!(r["depth_updates"], 3_451);
    assert_eq!(r["applied"], 3_449);
    assert_eq!(r["dropped_stale"], 2);
    assert_eq!(r["gaps"], 0);
    assert_eq!(r["trades"], 9_757);
    assert_eq!(r["parse_errors"], 0);
    let btc = &r["instruments"]["binance-spot:BTCUSDT"];
    assert_eq!(btc["venue"], "binance-spot");
    assert_eq!(btc["symbol"], "BTCUSDT");
    assert_eq!(btc["state"], "synced");
    let hand = by_hand(&path, false);
    assert_eq!((hand.applied, hand.dropped), (3_449, 2));
    assert_eq!(btc["last_update_id"].as_u64(), hand.last);
    let (bids, asks) = hand.top(10);
    assert_eq!(levels(&btc["bids"]), bids);
    assert_eq!(levels(&btc["asks"]), asks);
    assert_eq!(bids[0], ["61685.99".to_owned(), "1.0087".to_owned()]);
}

#[test]
fn inspect_usdm_capture_matches_counts_bbo_and_hand_sequenced_book() {
    let Some(path) = shared("captures/binance-usdm_btcusdt_20240808.gz") else {
        return;
    };
    let r = inspect_json(&path, "binance-usdm");
    assert_eq!(r["frames"], 93_954);
    assert_eq!(r["depth_updates"], 6_551);
    assert_eq!(r["applied"], 6_547);
    assert_eq!(r["dropped_stale"], 4);
    assert_eq!(r["gaps"], 0);
    assert_eq!(r["trades"], 21_313);
    assert_eq!(r["bbo_checked"], 126);
    assert_eq!(r["bbo_mismatches"], 0);
    assert_eq!(r["venue"], "binance-usdm");
    let btc = &r["instruments"]["binance-usdm:BTCUSDT"];
    assert_eq!(btc["state"], "synced");
    let hand = by_hand(&path, true);
    assert_eq!((hand.applied, hand.dropped), (6_547, 4));
    let (bids, asks) = hand.top(10);
    assert_eq!(levels(&btc["bids"]), bids);
    assert_eq!(levels(&btc["asks"]), asks);
}

#[test]
fn inspect_spot_capture_with_a_depth_line_removed_reports_gap_and_stale() {
    let Some(path) = shared("captures/binance-spot_btcusdt_20240808.gz") else {
        return;
    };
    let lines = read_capture_lines(&path);
    // Drop the 1000th diff (well after the sync).
    let victim = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("depthUpdate"))
        .nth(1000)
        .unwrap()
        .0;
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.txt");
    let text: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != victim)
        .map(|(_, l)| l.as_str())
        .collect();
    std::fs::write(&cut, text.join("\n")).unwrap();
    let r = inspect_json(&cut, "binance-spot");
    assert!(r["gaps"].as_u64().unwrap() >= 1, "{r}");
    assert_eq!(r["instruments"]["binance-spot:BTCUSDT"]["state"], "stale");
    assert_eq!(r["depth_updates"], 3_450);
    // Strict mode turns the finding into a failing exit status.
    ladder()
        .args([
            "inspect",
            cut.to_str().unwrap(),
            "--venue",
            "binance-spot",
            "--strict",
        ])
        .assert()
        .failure();
}

#[test]
fn inspect_vector_first1000_human_output_names_inferred_grid() {
    let Some(path) = shared("vectors/binance/hftbacktest_spot_btcusdt_20240808_first1000.txt")
    else {
        return;
    };
    let out = ladder()
        .args(["inspect", path.to_str().unwrap(), "--venue", "binance-spot"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    assert!(
        text.contains("86 applied, 2 dropped before sync, 0 gaps"),
        "{text}"
    );
    assert!(
        text.contains("tick 0.01 lot 0.00001 (inferred from the capture)"),
        "{text}"
    );
}

const DEPTH: &str = r#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":11,"u":12,"b":[["100.01","1.5"]],"a":[["100.02","2"]]}}"#;
const SNAP: &str = r#"{"lastUpdateId":10,"bids":[["100.00","1"]],"asks":[["100.03","1"]]}"#;

fn run_inspect(content: &[u8], name: &str, extra: &[&str]) -> (bool, Value, String) {
    run_inspect_on(content, name, "binance-spot", extra)
}

/// `inspect FILE --venue V --json EXTRA...` on `content` written as `name`: exit status, JSON
/// report (null if none), stderr; never a panic.
fn run_inspect_on(
    content: &[u8],
    name: &str,
    venue: &str,
    extra: &[&str],
) -> (bool, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    let mut args = vec![
        "inspect",
        path.to_str().unwrap(),
        "--venue",
        venue,
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = ladder().args(&args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.success(), json, stderr)
}

/// Capture text of `(ts_recv_ns, frame)` lines.
fn stamped(lines: &[(u64, &str)]) -> Vec<u8> {
    lines
        .iter()
        .map(|(ts, f)| format!("{ts} {f}\n"))
        .collect::<String>()
        .into_bytes()
}

fn capture(frames: &[&str]) -> Vec<u8> {
    frames
        .iter()
        .enumerate()
        .map(|(i, f)| format!("{} {f}\n", 1_000 + i))
        .collect::<String>()
        .into_bytes()
}

#[test]
fn inspect_bad_frames_are_reported_with_line_numbers_and_replay_goes_on() {
    let truncated = &DEPTH[..60];
    let okx = r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],"bids":[]}]}"#;
    let unknown_stream = r#"{"stream":"btcusdt@fooBar","data":{}}"#;
    let mut content = capture(&[SNAP, truncated, okx, unknown_stream, "garbage", DEPTH]);
    content.extend_from_slice(b"a line without a timestamp\n");
    let (ok, r, _) = run_inspect(&content, "bad.txt", &[]);
    assert!(ok);
    assert_eq!(r["parse_errors"], 5);
    assert_eq!(r["applied"], 1);
    let issues: Vec<String> = r["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| format!("{}: {}", i["line"], i["message"]))
        .collect();
    assert!(
        issues[0].starts_with("2: ") && issues[0].contains("truncated JSON"),
        "{issues:?}"
    );
    assert!(
        issues[1].starts_with("3: ") && issues[1].contains("not a Binance market-data message"),
        "{issues:?}"
    );
    assert!(
        issues[2].starts_with("4: ") && issues[2].contains("unknown stream"),
        "{issues:?}"
    );
    assert!(
        issues[3].starts_with("5: ") && issues[3].contains("unexpected 'g' at byte 0"),
        "{issues:?}"
    );
    assert!(
        issues[4].starts_with("7: ") && issues[4].contains("expected `<ts_recv_unix_ns> <frame>`"),
        "{issues:?}"
    );
}

#[test]
fn inspect_price_off_configured_tick_grid_is_a_parse_error() {
    let (ok, r, _) = run_inspect(
        &capture(&[SNAP, DEPTH]),
        "grid.txt",
        &["--tick-size", "0.02", "--lot-size", "0.1"],
    );
    assert!(ok);
    assert_eq!(r["parse_errors"], 2, "{r}");
    let msg = r["issues"][0]["message"].as_str().unwrap();
    assert!(msg.contains("off the grid of 0.02"), "{msg}");
}

#[test]
fn inspect_empty_file_is_a_clear_error() {
    let (ok, _, stderr) = run_inspect(b"", "empty.txt", &[]);
    assert!(!ok);
    assert!(stderr.contains("is empty"), "{stderr}");
}

#[test]
fn inspect_non_gzip_file_named_gz_is_read_as_text_with_a_note() {
    let (ok, r, stderr) = run_inspect(&capture(&[SNAP, DEPTH]), "plain.gz", &[]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("is not gzip-compressed"), "{stderr}");
    assert_eq!(r["applied"], 1);
}

#[test]
fn inspect_binary_garbage_named_gz_reports_lines_not_panic() {
    let (ok, r, stderr) = run_inspect(
        &[0x00, 0x01, 0xfe, 0xff, b'\n', 0x80, b' ', 0x81],
        "junk.gz",
        &[],
    );
    assert!(ok, "{stderr}");
    assert_eq!(r["parse_errors"], 2);
}

#[test]
fn inspect_missing_file_names_it() {
    let out = ladder()
        .args(["inspect", "/no/such/file.gz", "--venue", "binance-spot"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/file.gz"));
}

/// `lines` gzip-compressed in one stream (no flushes), as a file in `dir`.
fn gzip_file(dir: &std::path::Path, name: &str, lines: &[String]) -> std::path::PathBuf {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for l in lines {
        writeln!(enc, "{l}").unwrap();
    }
    let path = dir.join(name);
    std::fs::write(&path, enc.finish().unwrap()).unwrap();
    path
}

/// The complete lines a plain gzip decoder gets out of `path` before its stream breaks off.
fn complete_lines(path: &std::path::Path) -> u64 {
    use std::io::Read;
    let mut text = Vec::new();
    let mut dec = flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap());
    let mut chunk = [0u8; 8192];
    while let Ok(n) = dec.read(&mut chunk) {
        if n == 0 {
            break;
        }
        text.extend_from_slice(&chunk[..n]);
    }
    text.iter().filter(|&&b| b == b'\n').count() as u64
}

#[test]
fn inspect_gzip_cut_at_a_fixed_offset_reports_its_complete_lines_like_the_same_lines_uncut() {
    let Some(vector) = shared("vectors/binance/hftbacktest_spot_btcusdt_20240808_first1000.txt")
    else {
        return;
    };
    let lines = read_capture_lines(&vector);
    let dir = tempfile::tempdir().unwrap();
    let whole = gzip_file(dir.path(), "whole.gz", &lines);
    let bytes = std::fs::read(&whole).unwrap();
    let cut = dir.path().join("cut.gz");
    std::fs::write(&cut, &bytes[..bytes.len() * 6 / 10]).unwrap();
    let n = complete_lines(&cut);
    assert!(n > 100 && n < 1000, "{n} complete lines before the cut");

    let out = ladder()
        .args([
            "inspect",
            cut.to_str().unwrap(),
            "--venue",
            "binance-spot",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["frames"], n, "{r}");
    assert_eq!(r["truncated"]["after_line"], n, "{r}");
    assert_eq!(r["parse_errors"], 1, "{r}");

    // The same first n lines, whole: every figure and the final book are the same.
    let prefix = dir.path().join("prefix.txt");
    std::fs::write(&prefix, lines[..n as usize].join("\n") + "\n").unwrap();
    let p = inspect_json(&prefix, "binance-spot");
    for key in [
        "frames",
        "depth_updates",
        "applied",
        "dropped_stale",
        "gaps",
        "trades",
        "book_tickers",
        "instruments",
    ] {
        assert_eq!(r[key], p[key], "{key}");
    }
    assert!(p["truncated"].is_null());
    assert!(
        r["instruments"]["binance-spot:BTCUSDT"]["applied"]
            .as_u64()
            .unwrap()
            > 0
    );

    ladder()
        .args([
            "inspect",
            cut.to_str().unwrap(),
            "--venue",
            "binance-spot",
            "--strict",
        ])
        .assert()
        .failure();
}

/// A spot capture: a snapshot, `n` diffs in sequence (bids below 100, asks above 101: never
/// crossed), then `extra` frames.
fn synced_capture(n: u64, extra: &[String]) -> Vec<String> {
    let mut frames = vec![SNAP.to_owned()];
    for k in 0..n {
        let u = 11 + 2 * k;
        frames.push(format!(
            r#"{{"stream":"btcusdt@depth@100ms","data":{{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":{u},"u":{},"b":[["99.{:02}","1.5"]],"a":[["101.{:02}","2"]]}}}}"#,
            u + 1,
            k % 100,
            k % 100
        ));
    }
    frames.extend_from_slice(extra);
    frames
}

fn trade(price: &str, qty: &str) -> String {
    format!(
        r#"{{"stream":"btcusdt@trade","data":{{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"{price}","q":"{qty}","T":1,"m":true}}}}"#
    )
}

#[test]
fn inspect_one_28_decimal_price_is_one_error_not_the_tick() {
    let frames = synced_capture(40, &[trade("0.0000000000000000000000000001", "1.5")]);
    let refs: Vec<&str> = frames.iter().map(String::as_str).collect();
    let (ok, r, stderr) = run_inspect(&capture(&refs), "outlier.txt", &[]);
    assert!(ok, "{stderr}");
    let btc = &r["instruments"]["binance-spot:BTCUSDT"];
    assert_eq!(btc["tick_size"], "0.01", "{r}");
    assert_eq!(btc["lot_size"], "0.1", "{r}");
    assert_eq!(r["applied"], 40, "{r}");
    assert_eq!(r["gaps"], 0, "{r}");
    assert_eq!(r["parse_errors"], 1, "{r}");
    assert_eq!(r["issues"][0]["line"], 42, "{r}");
    assert!(
        r["issues"][0]["message"]
            .as_str()
            .unwrap()
            .contains("off the grid of 0.01"),
        "{r}"
    );
    // 2 snapshot prices + 2 per diff + the trade's.
    assert_eq!(btc["inference"]["prices"], 83, "{r}");
    assert_eq!(btc["inference"]["finer_prices"], 1, "{r}");
    assert_eq!(btc["inference"]["finer_quantities"], 0, "{r}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outlier.txt");
    std::fs::write(&path, capture(&refs)).unwrap();
    let out = ladder()
        .args(["inspect", path.to_str().unwrap(), "--venue", "binance-spot"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("grid inferred from 83 prices (1 finer than the tick) and 83 quantities (0 finer than the lot)"),
        "{text}"
    );
}

#[test]
fn inspect_rejected_negative_qty_does_not_change_the_lot() {
    let frames = synced_capture(5, &[trade("100.5", "-1.505"), trade("100.5", "2.5")]);
    let refs: Vec<&str> = frames.iter().map(String::as_str).collect();
    let (ok, r, stderr) = run_inspect(&capture(&refs), "negative.txt", &[]);
    assert!(ok, "{stderr}");
    let btc = &r["instruments"]["binance-spot:BTCUSDT"];
    assert_eq!(btc["lot_size"], "0.1", "{r}");
    assert_eq!(btc["tick_size"], "0.01", "{r}");
    assert_eq!(r["parse_errors"], 1, "{r}");
    assert!(
        r["issues"][0]["message"]
            .as_str()
            .unwrap()
            .contains("negative"),
        "{r}"
    );
    assert_eq!(r["trades"], 1, "{r}");
}

#[test]
fn inspect_counts_clock_anomalies_with_their_first_line() {
    let frames = synced_capture(4, &[]);
    let stamps = ["1000", "1001", "999", "1002", "18446744073709551615"];
    let text: String = frames
        .iter()
        .zip(stamps)
        .map(|(f, ts)| format!("{ts} {f}\n"))
        .collect();
    let (ok, r, stderr) = run_inspect(text.as_bytes(), "clock.txt", &[]);
    assert!(ok, "{stderr}");
    assert_eq!(r["clock"]["backwards"], 1, "{r}");
    assert_eq!(r["clock"]["implausible"], 1, "{r}");
    assert_eq!(r["clock"]["anomalies"], 2, "{r}");
    assert_eq!(r["clock"]["first_line"], 3, "{r}");
    assert_eq!(r["applied"], 4, "the lines are used: {r}");
}

#[test]
fn inspect_line_longer_than_64_mib_is_one_malformed_line_and_the_rest_is_used() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    writeln!(enc, "1000 {SNAP}").unwrap();
    enc.write_all(b"1001 {\"stream\":\"btcusdt@trade\",\"data\":\"")
        .unwrap();
    let block = vec![b'x'; 1 << 20];
    for _ in 0..65 {
        enc.write_all(&block).unwrap();
    }
    writeln!(enc, "\"}}").unwrap();
    writeln!(enc, "1002 {DEPTH}").unwrap();
    enc.finish().unwrap();
    let out = ladder()
        .args([
            "inspect",
            path.to_str().unwrap(),
            "--venue",
            "binance-spot",
            "--json",
        ])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["frames"], 3, "{r}");
    assert_eq!(r["parse_errors"], 1, "{r}");
    assert_eq!(r["issues"][0]["line"], 2, "{r}");
    assert!(
        r["issues"][0]["message"]
            .as_str()
            .unwrap()
            .contains("longer than 67108864 bytes"),
        "{r}"
    );
    assert_eq!(r["applied"], 1, "{r}");
}

/// `inspect --strict` on a capture of `(ts_recv_ns, frame)` lines: exit status, JSON report.
fn strict_inspect(lines: &[(u64, &str)], venue: &str) -> (bool, Value) {
    let (ok, json, _) = run_inspect_on(&stamped(lines), "capture.txt", venue, &["--strict"]);
    (ok, json)
}

const X_SNAP: &str = r#"{"lastUpdateId":100,"bids":[["10.00","1.0"]],"asks":[["11.00","1.0"]]}"#;
const X_NEXT: &str =
    r#"{"e":"depthUpdate","E":1,"s":"XUSDT","U":101,"u":110,"b":[["10.10","1.0"]],"a":[]}"#;
const SEC: u64 = 1_000_000_000;

/// Issue 9: every way the ids can misbehave, and every impossible book, ends in a counted fault
/// and a stale book, so `--strict` fails; none leaves a "synced" book that no longer moves.
#[rstest::rstest]
#[case::oversized_u(
    "binance-spot",
    vec![
        (SEC, X_SNAP),
        (2 * SEC, r#"{"e":"depthUpdate","E":1,"s":"XUSDT","U":101,"u":18446744073709551615,"b":[],"a":[]}"#),
        (3 * SEC, r#"{"e":"depthUpdate","E":1,"s":"XUSDT","U":102,"u":102,"b":[["10.50","2.0"]],"a":[]}"#),
    ],
    "ids_backward"
)]
#[case::snapshot_at_u64_max(
    "binance-spot",
    vec![
        (SEC, r#"{"lastUpdateId":18446744073709551615,"bids":[["10.00","1.0"]],"asks":[["11.00","1.0"]]}"#),
        (2 * SEC, X_NEXT),
        (13 * SEC, r#"{"e":"depthUpdate","E":1,"s":"XUSDT","U":111,"u":120,"b":[],"a":[]}"#),
    ],
    "snapshot_ahead"
)]
#[case::ids_reset_mid_stream(
    "binance-spot",
    vec![
        (SEC, X_SNAP),
        (2 * SEC, X_NEXT),
        (3 * SEC, r#"{"e":"depthUpdate","E":1,"s":"XUSDT","U":1,"u":5,"b":[],"a":[]}"#),
    ],
    "ids_backward"
)]
#[case::crossed_book(
    "binance-spot",
    vec![
        (SEC, X_SNAP),
        (2 * SEC, r#"{"e":"depthUpdate","E":1,"s":"XUSDT","U":101,"u":101,"b":[["11.50","1.0"]],"a":[]}"#),
    ],
    "crossed"
)]
#[case::locked_book(
    "binance-spot",
    vec![
        (SEC, X_SNAP),
        (2 * SEC, r#"{"e":"depthUpdate","E":1,"s":"XUSDT","U":101,"u":101,"b":[],"a":[["10.00","3.0"]]}"#),
    ],
    "crossed"
)]
#[case::futures_first_id_above_last(
    "binance-usdm",
    vec![
        (SEC, X_SNAP),
        (2 * SEC, r#"{"e":"depthUpdate","E":1,"T":1,"s":"XUSDT","U":100,"u":110,"pu":99,"b":[],"a":[]}"#),
        (3 * SEC, r#"{"e":"depthUpdate","E":1,"T":1,"s":"XUSDT","U":120,"u":115,"pu":110,"b":[],"a":[]}"#),
    ],
    "ids_reversed"
)]
fn inspect_strict_fails_and_reports_stale_on_every_integrity_fault(
    #[case] venue: &str,
    #[case] lines: Vec<(u64, &str)>,
    #[case] kind: &str,
) {
    let (ok, r) = strict_inspect(&lines, venue);
    assert!(!ok, "--strict must fail: {r}");
    let x = &r["instruments"][format!("{venue}:XUSDT")];
    assert_eq!(x["state"], "stale", "{r}");
    assert!(r["gaps"].as_u64().unwrap() >= 1, "{r}");
    assert_eq!(r["faults"][kind], 1, "{r}");
    assert_eq!(x["faults"][kind], 1, "{r}");
    assert_eq!(r["parse_errors"], 0, "{r}");
}

/// Issue 9, defect 2: impossible prices never reach a book; each is a parse error naming the
/// value and the line.
#[rstest::rstest]
#[case::zero_price(r#"[["0.00","1.0"]]"#, "bids: price 0 is not positive")]
#[case::negative_price(r#"[["-10.00","1.0"]]"#, "bids: price -10 is not positive")]
#[case::i64_max_bid(
    r#"[["92233720368547758.07","100000"]]"#,
    "bids: price 92233720368547758.07 is above the limit of 100000000000000 ticks of 0.01"
)]
fn inspect_impossible_price_is_a_parse_error_naming_value_and_line(
    #[case] bids: &str,
    #[case] message: &str,
) {
    let diff =
        format!(r#"{{"e":"depthUpdate","E":1,"s":"XUSDT","U":101,"u":101,"b":{bids},"a":[]}}"#);
    let lines = [(SEC, X_SNAP), (2 * SEC, diff.as_str())];
    let grid = ["--strict", "--tick-size", "0.01", "--lot-size", "0.1"];
    let (ok, r, _) = run_inspect_on(&stamped(&lines), "capture.txt", "binance-spot", &grid);
    assert!(!ok);
    assert_eq!(r["parse_errors"], 1, "{r}");
    assert_eq!(r["issues"][0]["line"], 2, "{r}");
    let got = r["issues"][0]["message"].as_str().unwrap();
    assert!(got.contains(message), "{got}");
    // The book was never touched by it.
    assert_eq!(
        r["instruments"]["binance-spot:XUSDT"]["bids"][0][0], "10",
        "{r}"
    );
    assert_eq!(
        r["instruments"]["binance-spot:XUSDT"]["state"], "synced",
        "{r}"
    );
}

/// Issue 9: the real spot capture with 10^6 subtracted from every update id after line 20,000
/// used to drop 142 diffs as "stale" with 0 gaps and a "synced" book. Now the first shifted diff
/// is a fault and the book ends stale.
#[test]
fn inspect_spot_capture_with_ids_shifted_down_after_line_20000_ends_stale_with_a_fault() {
    let Some(path) = shared("captures/binance-spot_btcusdt_20240808.gz") else {
        return;
    };
    let ids = shift_ids(&read_capture_lines(&path), 20_000, 1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let shifted = dir.path().join("shifted.txt");
    std::fs::write(&shifted, ids.join("\n")).unwrap();
    let out = ladder()
        .args([
            "inspect",
            shifted.to_str().unwrap(),
            "--venue",
            "binance-spot",
            "--json",
            "--strict",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success(), "--strict must fail");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["instruments"]["binance-spot:BTCUSDT"]["state"], "stale");
    assert_eq!(r["gaps"], 1, "{r}");
    assert_eq!(r["faults"]["ids_backward"], 1, "{r}");
    assert_eq!(
        r["dropped_stale"], 2,
        "only the diffs the snapshot covers: {r}"
    );
    assert_eq!(r["depth_updates"], 3_451);
    assert_eq!(r["parse_errors"], 0);
}

/// Subtracts `by` from the `U`, `u` and `pu` ids of every line after line `after` (1-based).
fn shift_ids(lines: &[String], after: usize, by: u64) -> Vec<String> {
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            if i < after {
                return line.clone();
            }
            let mut out = String::with_capacity(line.len());
            let mut rest = line.as_str();
            while let Some(at) = ["\"U\":", "\"u\":", "\"pu\":"]
                .iter()
                .filter_map(|k| rest.find(k).map(|p| (p, k.len())))
                .min()
            {
                let (pos, klen) = at;
                out.push_str(&rest[..pos + klen]);
                rest = &rest[pos + klen..];
                let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                let id: u64 = rest[..digits].parse().unwrap();
                out.push_str(&(id - by).to_string());
                rest = &rest[digits..];
            }
            out.push_str(rest);
            out
        })
        .collect()
}
