//! `ladder paper --venue okx` and `ladder record --venue okx` through the real binary, pointed
//! by a `[venue]` config at the local OKX v5 server of `okx.rs`: the paper session syncs both
//! instruments and exits 0; the recorder, on a market that sends no snapshot (the REST join),
//! writes a capture holding the REST bodies that `ladder inspect` reads back to the recorder's
//! own books. The strategy library the session trades is built here (once per test binary),
//! so no test depends on another having built it.

use super::common::{
    assert_recorder_books_are_inspects, imbalance_lib, inspect_json, json_levels, ladder,
    read_json, run_ok,
};
use super::okx_server::{INSTS, OkxApp, Script};
use super::*;

/// A config whose `[venue]` is OKX at `server`, both instruments.
fn config(dir: &Path, server: &Server) -> PathBuf {
    let path = dir.join("okx.toml");
    std::fs::write(
        &path,
        format!(
            "[venue]\nname = \"okx\"\nsymbols = [\"BTC-USDT\", \"ETH-USDT\"]\n\
             ws_book = \"{}\"\nrest = \"{}\"\nallow_insecure = true\nwatchdog_secs = 5\n",
            server.ws("/ws/v5/public"),
            server.http()
        ),
    )
    .unwrap();
    path
}

#[test]
fn okx_paper_headless_against_a_local_server_exits_0_with_both_books_synced() {
    let lib = imbalance_lib();
    let app = OkxApp::synthetic(Script {
        rounds: 2500,
        ..Script::default()
    });
    let server = Server::start(Arc::clone(&app));
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report");
    let out = run_ok(
        ladder()
            .args(["paper", "--venue", "okx", "--headless", "--duration", "4s"])
            .arg("--config")
            .arg(config(dir.path(), &server))
            .arg("--report")
            .arg(&report)
            .arg("--strategy")
            .arg(lib),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = read_json(&report.join("summary.json"));
    for inst in INSTS {
        let book = &summary["books"][format!("okx:{inst}")];
        assert_eq!(book["state"], "synced", "{inst}: {book}\n{stdout}");
        assert!(!json_levels(&book["bids"]).is_empty(), "{inst}: {book}");
    }
    assert_eq!(summary["gaps"], 0, "{summary}");
    assert!(
        summary["trades"].as_u64().unwrap() > 0,
        "trades reached the session: {summary}"
    );
    assert!(
        app.received.lock().unwrap()[0].contains(r#""op":"subscribe""#),
        "subscribed by message"
    );
}

#[test]
fn okx_record_with_the_rest_join_writes_a_capture_inspect_reads_to_the_recorders_books() {
    let app = OkxApp::synthetic(Script {
        rounds: 2500,
        no_snapshot: true,
        ..Script::default()
    });
    let server = Server::start(Arc::clone(&app));
    let dir = tempfile::tempdir().unwrap();
    let (cap, books) = (dir.path().join("okx.txt"), dir.path().join("books.json"));
    run_ok(
        ladder()
            .args([
                "record",
                "--venue",
                "okx",
                "--duration",
                "4s",
                "--status-every",
                "0",
            ])
            .arg("--config")
            .arg(config(dir.path(), &server))
            .arg("--out")
            .arg(&cap)
            .arg("--books")
            .arg(&books),
    );
    let queries = app.book_queries.lock().unwrap().len();
    assert_eq!(queries, 2, "one REST join per instrument");
    let text = std::fs::read_to_string(&cap).unwrap();
    let rest_lines = text
        .lines()
        .filter(|l| l.contains(r#"{"code":"0""#))
        .count();
    assert_eq!(rest_lines, 2, "the REST bodies are in the capture");
    let report = inspect_json(&cap, &["--venue", "okx"]);
    let names = INSTS.map(|i| format!("okx:{i}"));
    assert_recorder_books_are_inspects(&read_json(&books), &report, &names);
}
