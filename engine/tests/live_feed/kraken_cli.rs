//! `ladder paper --venue kraken` and `ladder record --venue kraken` through the real binary,
//! with a `[venue]` config pointing at the local Kraken v2 server of [`super::kraken_server`]
//! (it replays the real v2 BTC/USD recordings as `BTC/USD` and `ETH/USD`): the paper session
//! syncs both books and exits 0; the recorder writes a capture that `ladder inspect` reads back
//! to the recorder's own books, every checksum verified.

use super::common::{
    assert_recorder_books_are_inspects, inspect_json, json_levels, paper_with_imbalance, read_json,
    record_to, run_ok,
};
use super::kraken_server::{KrakenApp, KrakenOpts};
use super::*;

/// A `[venue]` config for kraken at `server`, book depth 10 (the recordings').
fn config(dir: &Path, server: &Server) -> PathBuf {
    let path = dir.join("kraken.toml");
    std::fs::write(
        &path,
        format!(
            "[venue]\nname = \"kraken\"\nsymbols = [\"BTC/USD\", \"ETH/USD\"]\n\
             ws_book = \"{}\"\nrest = \"{}\"\nallow_insecure = true\nbook_depth = 10\n",
            server.ws("/v2"),
            server.http()
        ),
    )
    .unwrap();
    path
}

#[test]
fn ladder_paper_kraken_syncs_both_books_to_the_replayed_books_and_exits_0() {
    let Some(app) = KrakenApp::new(KrakenOpts::default()) else {
        return;
    };
    let server = Server::start(Arc::clone(&app));
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report");
    run_ok(
        paper_with_imbalance(&config(dir.path(), &server), &report).args([
            "--venue",
            "kraken",
            "--duration",
            "6s",
        ]),
    );
    let summary = read_json(&report.join("summary.json"));
    assert_eq!(summary["feeds"][0]["gaps"], 0, "{}", summary["feeds"]);
    assert!(
        app.finished.load(Ordering::Acquire),
        "the replay ran to its end"
    );
    let server_books = app.books.lock().unwrap();
    for symbol in ["BTC/USD", "ETH/USD"] {
        let b = &summary["books"][format!("kraken:{symbol}")];
        assert_eq!(b["state"], "synced", "{symbol}: {b}");
        let want = &server_books[symbol];
        assert_eq!(json_levels(&b["bids"])[0], want.bids()[0], "{symbol}: {b}");
        assert_eq!(json_levels(&b["asks"])[0], want.asks()[0], "{symbol}: {b}");
    }
    let book_requests: Vec<(String, String, Vec<String>)> = app
        .requests()
        .into_iter()
        .filter(|(m, c, _)| m == "subscribe" && c == "book")
        .collect();
    assert_eq!(book_requests.len(), 1, "{book_requests:?}");
}

#[test]
fn ladder_record_kraken_writes_a_capture_inspect_reads_to_the_recorders_books() {
    let Some(app) = KrakenApp::new(KrakenOpts::default()) else {
        return;
    };
    let server = Server::start(Arc::clone(&app));
    let dir = tempfile::tempdir().unwrap();
    let (cap, books) = (dir.path().join("cap.txt"), dir.path().join("books.json"));
    run_ok(record_to(&config(dir.path(), &server), &cap, &books).args([
        "--venue",
        "kraken",
        "--duration",
        "5s",
    ]));
    let report = inspect_json(&cap, &["--strict"]);
    assert_eq!(report["venue"], "kraken", "recognized from the content");
    assert_eq!(
        report["checksums"], 11,
        "2 checksums in one recording, 9 in the other, every one verified: {report}"
    );
    let names = ["BTC/USD", "ETH/USD"].map(|s| format!("kraken:{s}"));
    assert_recorder_books_are_inspects(&read_json(&books), &report, &names);
}
