//! The replay's grid check: grids inferred from the first lines, verified over the whole
//! capture as it replays, and a second run when they differ.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::feed::Venue;
use serde_json::Value;

fn trade(i: usize, price: &str) -> String {
    format!(
        r#"{} {{"stream":"btcusdt@trade","data":{{"e":"trade","E":{i},"s":"BTCUSDT","t":{i},"p":"{price}","q":"1.5","T":{i},"m":true}}}}"#,
        1_000_000 + i
    ) + "\n"
}

/// Replays `lines` with no strategy; the summary.
fn replay_lines(lines: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cap.txt");
    std::fs::write(&path, lines).unwrap();
    let report = dir.path().join("report");
    replay(ReplayOptions {
        captures: vec![CaptureInput {
            path,
            venue: Venue::BinanceSpot,
        }],
        strategies: Vec::new(),
        config: Config::default(),
        config_sha256: None,
        report_dir: report.clone(),
        speed: Speed::Max,
        progress: false,
    })
    .unwrap();
    serde_json::from_str(&std::fs::read_to_string(report.join("summary.json")).unwrap()).unwrap()
}

/// Lines of each synthetic capture: 500 more than the grid guess reads.
const LINES: usize = GRID_GUESS_LINES as usize + 500;

/// [`LINES`] trades at two-decimal prices, except where `finer` gives line `i` another price.
fn trades(finer: impl Fn(usize) -> Option<String>) -> String {
    (0..LINES)
        .map(|i| {
            let price = finer(i).unwrap_or_else(|| format!("100.{:02}", i % 100));
            trade(i, &price)
        })
        .collect()
}

#[test]
fn replay_finer_prices_after_the_guess_lines_replays_with_the_whole_capture_grid() {
    let n = LINES;
    // Two-decimal prices in the guess lines; ten three-decimal ones after them: more than the
    // one outlier tolerated, so the whole capture's tick is 0.001.
    let text =
        trades(|i| (i > n - 20 && i % 2 == 0).then(|| format!("100.{:03}", 1 + 2 * (i % 100))));
    let s = replay_lines(&text);
    assert_eq!(
        s["instruments"]["binance-spot:BTCUSDT"]["tick_size"],
        "0.001"
    );
    // Had the first run (tick 0.01) been kept, each finer price would be a parse error.
    assert_eq!(s["parse_errors"], 0);
    assert_eq!(s["frames"], n);
}

#[test]
fn replay_one_finer_price_in_the_guess_lines_is_an_outlier_of_the_whole_capture() {
    // The guess takes 0.001 from the one finer price; the whole capture calls it an outlier.
    let text = trades(|i| (i == 10).then(|| "100.125".to_owned()));
    let s = replay_lines(&text);
    assert_eq!(
        s["instruments"]["binance-spot:BTCUSDT"]["tick_size"],
        "0.01"
    );
    assert_eq!(s["parse_errors"], 1);
}

#[test]
fn replay_one_finer_price_after_the_guess_lines_keeps_the_guess_as_an_outlier() {
    let text = trades(|i| (i == LINES - 10).then(|| "100.125".to_owned()));
    let s = replay_lines(&text);
    assert_eq!(
        s["instruments"]["binance-spot:BTCUSDT"]["tick_size"],
        "0.01"
    );
    // The outlier rule: the one finer price is off the grid, an error of its own line.
    assert_eq!(s["parse_errors"], 1);
}
