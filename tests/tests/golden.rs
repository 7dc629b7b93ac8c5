//! Golden replays: both shared captures through `ladder replay` with both example strategies,
//! compared byte for byte with the outputs recorded before a refactor.
//!
//! `tests/data/golden/<venue>.json` holds the SHA-256 of `orders.csv`, `fills.csv`,
//! `signals.csv` and `status.csv`, and `summary.json` without what depends on the machine or
//! the build (`timing`, the capture path, strategy library paths — as given and as opened — and hashes). A refactor that
//! must not change behaviour keeps this test green. A change that is meant to alter the
//! outputs regenerates the files in its own commit and says why:
//! `LADDER_BLESS=1 cargo test -p ladder-tests --test golden`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ladder_engine::capture::merge::CaptureInput;
use ladder_engine::config::Config;
use ladder_engine::feed::Venue;
use ladder_engine::replay::{ReplayOptions, Speed, replay};
use ladder_engine::report::sha256_hex;
use ladder_tests::{example_strategies_with, shared};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const FILES: [&str; 4] = ["orders.csv", "fills.csv", "signals.csv", "status.csv"];

/// Replays `capture` and returns what the golden file holds.
fn outputs(capture: &Path, venue: Venue, tick: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::parse(
        "[paper]\nmaker_fee_bps = \"-0.5\"\ntaker_fee_bps = \"4\"\n",
        Path::new("golden.toml"),
    )
    .unwrap();
    replay(ReplayOptions {
        captures: vec![CaptureInput {
            path: capture.to_path_buf(),
            venue,
        }],
        strategies: example_strategies_with("", &format!("tick_size = \"{tick}\"")),
        config,
        config_sha256: None,
        report_dir: dir.path().to_path_buf(),
        speed: Speed::Max,
        progress: false,
    })
    .unwrap();
    let mut files = serde_json::Map::new();
    for f in FILES {
        let bytes = std::fs::read(dir.path().join(f)).unwrap();
        files.insert(f.to_owned(), Value::String(sha256_hex(&bytes)));
    }
    let text = std::fs::read_to_string(dir.path().join("summary.json")).unwrap();
    let mut summary: Value = serde_json::from_str(&text).unwrap();
    normalize(&mut summary);
    json!({ "files": files, "summary": summary })
}

/// Removes what depends on the machine, the paths or the build.
fn normalize(summary: &mut Value) {
    let o = summary.as_object_mut().unwrap();
    o.remove("timing");
    o.remove("source");
    for s in o
        .get_mut("strategies")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(s) = s.as_object_mut() {
            s.remove("library");
            s.remove("library_sha256");
            s.remove("library_path");
        }
    }
}

fn check(capture: &str, venue: Venue, tick: &str) {
    let Some(capture) = shared(capture) else {
        return;
    };
    let got = outputs(&capture, venue, tick);
    let golden = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data/golden"))
        .join(format!("{venue}.json"));
    if std::env::var("LADDER_BLESS").as_deref() == Ok("1") {
        let text = serde_json::to_string_pretty(&got).unwrap() + "\n";
        std::fs::write(&golden, text).unwrap();
        eprintln!("wrote {}", golden.display());
        return;
    }
    let want: Value = serde_json::from_str(
        &std::fs::read_to_string(&golden).unwrap_or_else(|e| panic!("{}: {e}", golden.display())),
    )
    .unwrap();
    assert_eq!(
        got["summary"],
        want["summary"],
        "summary.json differs from {}",
        golden.display()
    );
    for f in FILES {
        assert_eq!(
            got["files"][f],
            want["files"][f],
            "{f} differs from the golden replay in {}",
            golden.display()
        );
    }
}

#[test]
fn spot_capture_replays_to_the_golden_outputs() {
    check(
        "captures/binance-spot_btcusdt_20240808.gz",
        Venue::BinanceSpot,
        "0.01",
    );
}

#[test]
fn usdm_capture_replays_to_the_golden_outputs() {
    check(
        "captures/binance-usdm_btcusdt_20240808.gz",
        Venue::BinanceUsdm,
        "0.1",
    );
}
