//! `ladder inspect` and `ladder replay` on several captures, driven through the real binary:
//! the shared spot capture cut in two after its snapshot (daily files: the second has no
//! snapshot and continues the first's update ids) inspects exactly as the one file; the spot and
//! the USD-M capture in one run keep each instrument's single-file book and counters; the venue
//! of each file is recognized from its content, and a file that does not say is a clear error
//! that `VENUE:PATH` resolves.
//!
//! Replays of several captures with strategies are in `tests/tests/multi_capture.rs`.
//! Tests that need `../shared` print a skip reason and pass when it is absent, unless `CI=true`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ladder, read_capture_lines, shared};
use serde_json::Value;
use std::path::{Path, PathBuf};

const SPOT: &str = "captures/binance-spot_btcusdt_20240808.gz";
const USDM: &str = "captures/binance-usdm_btcusdt_20240808.gz";

/// `ladder inspect ARGS --json --depth 10`: the one JSON object on stdout.
fn inspect(args: &[&str]) -> Value {
    let out = ladder()
        .arg("inspect")
        .args(args)
        .args(["--json", "--depth", "10"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "inspect {args:?}: {stderr}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.trim().lines().count(), 1, "one JSON object: {text}");
    serde_json::from_str(&text).unwrap()
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `lines` as a gzip file `dir/name` (one stream, like a recorder's daily file).
fn gzip(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for l in lines {
        writeln!(enc, "{l}").unwrap();
    }
    let path = dir.join(name);
    std::fs::write(&path, enc.finish().unwrap()).unwrap();
    path
}

/// The spot capture cut right after its REST snapshot line: `(day1, day2)`, gzip files in `dir`.
fn split_spot(spot: &Path, dir: &Path) -> (PathBuf, PathBuf) {
    let lines = read_capture_lines(spot);
    let is_snapshot = |l: &String| l.contains(" {\"lastUpdateId\"");
    let at = lines.iter().position(is_snapshot).expect("a snapshot line");
    let (a, b) = lines.split_at(at + 1);
    assert!(
        !b.iter().any(is_snapshot),
        "the second file has no snapshot"
    );
    assert!(b.len() > 40_000, "{}", b.len());
    (gzip(dir, "day1.gz", a), gzip(dir, "day2.gz", b))
}

#[test]
fn inspect_spot_capture_split_after_its_snapshot_equals_the_one_file() {
    let Some(spot) = shared(SPOT) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (day1, day2) = split_spot(&spot, dir.path());
    let whole = inspect(&[arg(&spot)]);
    let split = inspect(&[arg(&day1), arg(&day2)]);
    // The whole report: counters, grid inference, clock, issues and the final book.
    assert_eq!(split, whole);
    let btc = &whole["instruments"]["binance-spot:BTCUSDT"];
    assert_eq!(btc["state"], "synced", "{whole}");
    assert_eq!(
        (&whole["applied"], &whole["gaps"]),
        (&3_449.into(), &0.into())
    );
}

/// The counters of an inspect report that add up over captures of different venues.
const SUMMED: [&str; 16] = [
    "frames",
    "depth_updates",
    "applied",
    "dropped_stale",
    "gaps",
    "trades",
    "bbo_checked",
    "bbo_mismatches",
    "parse_errors",
    "snapshots",
    "agg_trades",
    "book_tickers",
    "ignored",
    "buffer_overflows",
    "discarded",
    "duplicates",
];

#[test]
fn inspect_spot_and_usdm_together_keep_each_single_file_book_and_counters() {
    let (Some(spot), Some(usdm)) = (shared(SPOT), shared(USDM)) else {
        return;
    };
    let s = inspect(&[arg(&spot)]);
    let u = inspect(&[arg(&usdm)]);
    let both = inspect(&[arg(&spot), arg(&usdm)]);
    assert_eq!(both["venue"], "binance-spot,binance-usdm");
    for key in SUMMED {
        let sum = s[key].as_u64().unwrap() + u[key].as_u64().unwrap();
        assert_eq!(both[key], sum, "{key}");
    }
    assert_eq!(both["frames"], 41_249 + 93_954);
    assert_eq!(both["gaps"], 0);
    for (kind, n) in both["faults"].as_object().unwrap() {
        assert_eq!(n, 0, "{kind}");
    }
    assert_eq!(both["clock"]["anomalies"], 0, "{}", both["clock"]);
    let names: Vec<&String> = both["instruments"].as_object().unwrap().keys().collect();
    assert_eq!(names, ["binance-spot:BTCUSDT", "binance-usdm:BTCUSDT"]);
    // Each instrument exactly as in its own file: state, counters, update id, grid, top levels.
    for (single, name) in [(&s, "binance-spot:BTCUSDT"), (&u, "binance-usdm:BTCUSDT")] {
        let one = &single["instruments"][name];
        assert_eq!(one["state"], "synced", "{name}");
        assert_eq!(both["instruments"][name], *one, "{name}");
    }
}

#[test]
fn replay_spot_and_usdm_together_ends_with_each_single_file_inspect_book() {
    let (Some(spot), Some(usdm)) = (shared(SPOT), shared(USDM)) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r");
    let out = ladder()
        .args(["replay", arg(&spot), arg(&usdm), "--report", arg(&report)])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(report.join("summary.json")).unwrap();
    let summary: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(summary["frames"], 41_249 + 93_954, "{summary}");
    assert_eq!(summary["gaps"], 0, "{summary}");
    assert_eq!(summary["parse_errors"], 0, "{summary}");
    assert_eq!(summary["venue"], "binance-spot,binance-usdm");
    let books = summary["books"].as_object().unwrap();
    assert_eq!(books.len(), 2, "{summary}");
    for (path, name, tick) in [
        (&spot, "binance-spot:BTCUSDT", "0.01"),
        (&usdm, "binance-usdm:BTCUSDT", "0.1"),
    ] {
        let single = inspect(&[arg(path)]);
        let want = &single["instruments"][name];
        let got = &books[name];
        assert_eq!(got["state"], "synced", "{name}");
        assert_eq!(got["bids"].as_array().unwrap().len(), 10, "{name}");
        assert_eq!(got["bids"], want["bids"], "{name} bids");
        assert_eq!(got["asks"], want["asks"], "{name} asks");
        assert_eq!(summary["instruments"][name]["tick_size"], tick, "{name}");
    }
}

#[rstest::rstest]
#[case::spot(SPOT, "binance-spot")]
#[case::usdm(USDM, "binance-usdm")]
fn inspect_without_venue_recognizes_the_shared_capture(#[case] rel: &str, #[case] venue: &str) {
    let Some(path) = shared(rel) else {
        return;
    };
    let recognized = inspect(&[arg(&path)]);
    assert_eq!(recognized["venue"], venue);
    assert_eq!(recognized, inspect(&[arg(&path), "--venue", venue]));
}

#[test]
fn inspect_capture_without_a_frame_naming_its_venue_is_one_error_and_venue_path_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nodepth.txt");
    let text = concat!(
        "1000 {\"lastUpdateId\":10,\"bids\":[[\"100.00\",\"1\"]],\"asks\":[[\"100.03\",\"1\"]]}\n",
        "1001 {\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",",
        "\"t\":1,\"p\":\"100.02\",\"q\":\"0.5\",\"T\":1,\"m\":true}}\n",
    );
    std::fs::write(&path, text).unwrap();
    let out = ladder()
        .args(["inspect", arg(&path), "--json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot tell the venue of {}", path.display())),
        "{stderr}"
    );
    assert!(stderr.contains("--venue"), "{stderr}");
    assert!(
        stderr.contains(&format!("V:{}", path.display())),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one message: {stderr}");

    let named = format!("binance-usdm:{}", path.display());
    let r = inspect(&[&named]);
    assert_eq!(r["venue"], "binance-usdm");
    assert_eq!(r["trades"], 1, "{r}");
    assert_eq!(r["snapshots"], 1, "{r}");
    // `--venue` names the venue of the bare paths.
    let r = inspect(&[arg(&path), "--venue", "binance-coinm"]);
    assert_eq!(r["venue"], "binance-coinm");
}
