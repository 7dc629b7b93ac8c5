//! `ladder paper --venue bybit-linear` and `ladder record --venue bybit-linear` through the real
//! binary, with a `[venue]` config pointing at the local Bybit v5 server of [`super::bybit`]
//! (under `/v5/public/linear`; it replays the real spot `orderbook.200` capture, whose frames
//! are Bybit v5 frames whatever the product, on the grids the server's instruments-info gives).
//! Paper trades the example imbalance strategy, built here once with cargo.

use super::bybit_server::{BybitApp, BybitOpts, VECTOR};
use super::common::{
    assert_recorder_books_are_inspects, inspect_json, json_levels, paper_with_imbalance, read_json,
    record_to, run_ok,
};
use super::*;

/// A `[venue]` config for bybit-linear at `server`, `orderbook.200`.
fn config(dir: &Path, server: &Server) -> PathBuf {
    let path = dir.join("ladder.toml");
    std::fs::write(
        &path,
        format!(
            "[venue]\nname = \"bybit-linear\"\nsymbols = [\"BTCUSDT\", \"ETHUSDT\"]\n\
             ws_book = \"{}\"\nrest = \"{}\"\nallow_insecure = true\nbook_depth = 200\n",
            server.ws("/v5/public/linear"),
            server.http()
        ),
    )
    .unwrap();
    path
}

#[test]
fn ladder_paper_bybit_linear_syncs_both_books_to_the_replayed_tops_and_exits_0() {
    let Some(path) = shared(VECTOR) else {
        return;
    };
    let app = BybitApp::new(&path, BybitOpts::default());
    let server = Server::start(Arc::clone(&app));
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report");
    run_ok(
        paper_with_imbalance(&config(dir.path(), &server), &report).args([
            "--venue",
            "bybit-linear",
            "--duration",
            "10s",
        ]),
    );
    let summary = read_json(&report.join("summary.json"));
    assert_eq!(summary["feeds"][0]["gaps"], 0, "{}", summary["feeds"]);
    for (symbol, bid, ask) in [
        ("BTCUSDT", "65140.4", "65140.5"),
        ("ETHUSDT", "1923.28", "1923.29"),
    ] {
        let b = &summary["books"][format!("bybit-linear:{symbol}")];
        assert_eq!(b["state"], "synced", "{symbol}: {b}");
        assert_eq!(json_levels(&b["bids"])[0].0, dec(bid), "{symbol}: {b}");
        assert_eq!(json_levels(&b["asks"])[0].0, dec(ask), "{symbol}: {b}");
    }
    assert_eq!(
        app.requests()[0].1.first().map(String::as_str),
        Some("orderbook.200.BTCUSDT"),
        "book_depth of the config"
    );
}

#[test]
fn ladder_record_bybit_linear_writes_a_capture_inspect_reads_to_the_recorders_books() {
    let Some(path) = shared(VECTOR) else {
        return;
    };
    let app = BybitApp::new(&path, BybitOpts::default());
    let server = Server::start(Arc::clone(&app));
    let dir = tempfile::tempdir().unwrap();
    let (cap, books) = (dir.path().join("cap.txt"), dir.path().join("books.json"));
    run_ok(record_to(&config(dir.path(), &server), &cap, &books).args([
        "--venue",
        "bybit-linear",
        "--duration",
        "8s",
    ]));
    let text = std::fs::read_to_string(&cap).unwrap();
    assert!(
        !text.contains("depthSnapshot"),
        "a stream venue's capture holds no REST body"
    );
    let report = inspect_json(&cap, &["--venue", "bybit-linear"]);
    let names = ["BTCUSDT", "ETHUSDT"].map(|s| format!("bybit-linear:{s}"));
    assert_recorder_books_are_inspects(&read_json(&books), &report, &names);
}

/// Two `[[venue]]` entries, Binance USD-M (the real first-1000-line vector replayed by
/// [`super::replay`]'s server) and Bybit linear: one session, one feed each, both synced.
#[test]
fn ladder_paper_binance_usdm_and_bybit_linear_at_once_syncs_each_venues_books() {
    let (Some(bybit_path), Some(usdm_path)) = (
        shared(VECTOR),
        shared("vectors/binance/hftbacktest_usdm_btcusdt_20240808_first1000.txt"),
    ) else {
        return;
    };
    let bybit = Server::start(BybitApp::new(&bybit_path, BybitOpts::default()));
    let usdm = Server::start(Arc::new(super::replay::ReplayApp {
        venue: Venue::BinanceUsdm,
        v: load_vector(&usdm_path),
        info: exchange_info("BTCUSDT", "0.10", "0.001"),
        served: AtomicBool::new(false),
        depth_queries: Mutex::new(Vec::new()),
        ws_queries: Mutex::new(Vec::new()),
        pong: AtomicBool::new(false),
    }));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ladder.toml");
    std::fs::write(
        &config,
        format!(
            "[[venue]]\nname = \"binance-usdm\"\nsymbols = [\"BTCUSDT\"]\nws_book = \"{}\"\n\
             ws_trades = \"{}\"\nrest = \"{}\"\nallow_insecure = true\n\n\
             [[venue]]\nname = \"bybit-linear\"\nsymbols = [\"BTCUSDT\"]\nws_book = \"{}\"\n\
             rest = \"{}\"\nallow_insecure = true\nbook_depth = 200\n",
            usdm.ws("/public/stream"),
            usdm.ws("/market/stream"),
            usdm.http(),
            bybit.ws("/v5/public/linear"),
            bybit.http()
        ),
    )
    .unwrap();
    let report = dir.path().join("report");
    run_ok(paper_with_imbalance(&config, &report).args(["--duration", "10s"]));
    let summary = read_json(&report.join("summary.json"));
    let feeds = summary["feeds"].as_array().unwrap();
    let venues: Vec<&str> = feeds.iter().map(|f| f["venue"].as_str().unwrap()).collect();
    assert_eq!(venues, ["binance-usdm", "bybit-linear"]);
    for f in feeds {
        assert_eq!(f["gaps"], 0, "{f}");
    }
    for name in ["binance-usdm:BTCUSDT", "bybit-linear:BTCUSDT"] {
        assert_eq!(
            summary["books"][name]["state"], "synced",
            "{name}: {}",
            summary["books"]
        );
    }
    let b = &summary["books"]["bybit-linear:BTCUSDT"];
    assert_eq!(json_levels(&b["bids"])[0].0, dec("65140.4"), "{b}");
}
