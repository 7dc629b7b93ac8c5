//! `ladder replay` end to end on small captures the test writes (no strategy, so nothing but
//! the reading, the clock and the report is exercised): clock anomalies are counted, named in
//! the output and bounded, so a paced replay of a line stamped `u64::MAX` or ten days ahead
//! finishes promptly; a gzip capture cut short replays its complete lines, writes the report
//! and exits with status 1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::ladder;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// Far above any sleep a bounded replay of these captures makes (at most 3.6 s), far below
/// the sleeps an unbounded one would make (days).
const TIMEOUT: Duration = Duration::from_secs(60);

const T0: u64 = 1_723_161_253_937_085_768;

/// A spot capture: a snapshot, then `n` diffs in sequence, one millisecond apart.
fn frames(n: u64) -> Vec<String> {
    let mut out =
        vec![r#"{"lastUpdateId":10,"bids":[["100.00","1"]],"asks":[["100.03","1"]]}"#.to_owned()];
    for k in 0..n {
        let u = 11 + 2 * k;
        out.push(format!(
            r#"{{"stream":"btcusdt@depth@100ms","data":{{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":{u},"u":{},"b":[["100.01","{}"]],"a":[["100.02","2"]]}}}}"#,
            u + 1,
            k + 1
        ));
    }
    out
}

/// Runs `ladder replay` with `args`; returns (exit code, stdout, stderr, summary.json).
fn replay(capture: &Path, report: &Path, args: &[&str]) -> (Option<i32>, String, String, Value) {
    let out = ladder()
        .args([
            "replay",
            capture.to_str().unwrap(),
            "--venue",
            "binance-spot",
        ])
        .arg("--report")
        .arg(report)
        .args(args)
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let summary = std::fs::read_to_string(report.join("summary.json"))
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or(Value::Null);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
        summary,
    )
}

#[test]
fn replay_paced_line_stamped_u64_max_finishes_and_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let text: String = frames(20)
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let ts = if i == 5 {
                u64::MAX
            } else {
                T0 + i as u64 * 1_000_000
            };
            format!("{ts} {f}\n")
        })
        .collect();
    let cap = dir.path().join("max.txt");
    std::fs::write(&cap, text).unwrap();
    let (code, stdout, stderr, s) = replay(&cap, &dir.path().join("r"), &["--speed", "1000"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(s["frames"], 21, "{s}");
    assert_eq!(s["clock"]["implausible"], 1, "{s}");
    assert_eq!(s["clock"]["anomalies"], 1, "{s}");
    assert_eq!(s["clock"]["first_line"], 6, "{s}");
    assert_eq!(s["books"]["binance-spot:BTCUSDT"]["state"], "synced", "{s}");
    assert!(
        stdout.contains("clock: 1 clock anomaly, first at line 6"),
        "{stdout}"
    );
}

#[test]
fn replay_paced_jump_of_ten_days_waits_at_most_an_hour_over_the_speed() {
    const DAY: u64 = 86_400_000_000_000;
    let dir = tempfile::tempdir().unwrap();
    let text: String = frames(10)
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let jump = if i >= 5 { 10 * DAY } else { 0 };
            format!("{} {f}\n", T0 + jump + i as u64 * 1_000_000)
        })
        .collect();
    let cap = dir.path().join("jump.txt");
    std::fs::write(&cap, text).unwrap();
    // Ten days at 1000x is 14 minutes; clamped to an hour it is 3.6 s.
    let (code, stdout, stderr, s) = replay(&cap, &dir.path().join("r"), &["--speed", "1000"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(s["clock"]["jumps"], 1, "{s}");
    assert_eq!(s["clock"]["first_line"], 6, "{s}");
    assert!(stdout.contains("more than an hour after it"), "{stdout}");
    // The charts span the jump without trouble.
    let html = std::fs::read_to_string(dir.path().join("r/report.html")).unwrap();
    assert!(html.contains("<svg id=\"mid-0\""));
}

#[test]
fn replay_clean_capture_reports_no_clock_anomaly_and_no_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let text: String = frames(5)
        .iter()
        .enumerate()
        .map(|(i, f)| format!("{} {f}\n", T0 + i as u64))
        .collect();
    let cap = dir.path().join("clean.txt");
    std::fs::write(&cap, text).unwrap();
    let (code, stdout, stderr, s) = replay(&cap, &dir.path().join("r"), &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(s["clock"]["anomalies"], 0, "{s}");
    assert!(s.get("truncated").is_none(), "{s}");
    assert!(
        !stdout.contains("clock") && !stdout.contains("truncated"),
        "{stdout}"
    );
}

#[test]
fn replay_writes_report_html_beside_summary_json_and_prints_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let text: String = frames(50)
        .iter()
        .enumerate()
        .map(|(i, f)| format!("{} {f}\n", T0 + i as u64 * 30_000_000))
        .collect();
    let cap = dir.path().join("clean.txt");
    std::fs::write(&cap, text).unwrap();
    let report = dir.path().join("r");
    let (code, stdout, stderr, _) = replay(&cap, &report, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let html_path = report.join("report.html");
    assert!(
        stdout.contains(&format!("html: {}", html_path.display())),
        "{stdout}"
    );
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.starts_with("<!doctype html>"), "{}", &html[..100]);
    // No strategy: no PnL chart; the instrument's charts and the feed state are there. The
    // snapshot and 50 diffs 30 ms apart (1.5 s): an interval ends at the first update 100 ms
    // after it began, so every 4th update (120 ms) starts one: 13 market samples.
    assert!(!html.contains("<svg id=\"pnl-0\""));
    for id in ["position-0", "mid-0", "spread-0", "feed-state", "latency"] {
        assert!(html.contains(&format!("<svg id=\"{id}\"")), "chart {id}");
    }
    assert!(
        html.contains("the lowest and highest mid and spread of the interval"),
        "downsampling explained"
    );
    assert!(html.contains("; 13 samples)"), "market samples counted");
}

#[test]
fn replay_gzip_cut_short_replays_its_complete_lines_writes_the_report_and_exits_1() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for (i, f) in frames(3000).iter().enumerate() {
        writeln!(enc, "{} {f}", T0 + i as u64 * 1_000_000).unwrap();
    }
    let bytes = enc.finish().unwrap();
    let cap = dir.path().join("cut.gz");
    std::fs::write(&cap, &bytes[..bytes.len() / 2]).unwrap();
    // What a plain gzip decoder recovers: complete lines before the break.
    let mut text = Vec::new();
    let mut dec = flate2::read::MultiGzDecoder::new(std::fs::File::open(&cap).unwrap());
    let mut chunk = [0u8; 8192];
    while let Ok(n) = dec.read(&mut chunk) {
        if n == 0 {
            break;
        }
        text.extend_from_slice(&chunk[..n]);
    }
    let complete = text.iter().filter(|&&b| b == b'\n').count() as u64;
    assert!(complete > 100 && complete < 3001, "{complete}");

    let (code, stdout, stderr, s) = replay(&cap, &dir.path().join("r"), &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("cut.gz is truncated"), "{stderr}");
    assert!(
        stderr.contains(&format!("reading stopped after line {complete}")),
        "{stderr}"
    );
    assert!(stdout.contains("capture truncated"), "{stdout}");
    assert_eq!(s["frames"], complete, "{s}");
    assert_eq!(s["truncated"]["after_line"], complete, "{s}");
    // Every complete diff was applied: the book holds the last one's bid size.
    let last_diff = complete - 1;
    assert_eq!(
        s["books"]["binance-spot:BTCUSDT"]["bids"][0],
        serde_json::json!(["100.01", last_diff.to_string()]),
        "{s}"
    );
}
