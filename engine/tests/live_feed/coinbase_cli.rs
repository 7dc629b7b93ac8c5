//! `ladder paper --venue coinbase` and `ladder record --venue coinbase` through the real binary,
//! pointed by a `[venue]` config at the local Advanced Trade server of [`super::coinbase_server`]
//! (the real recording of 2026-08-09 replayed): the paper session syncs both products and exits
//! 0; the recorder, run with API credentials in the environment, writes a capture that `ladder
//! inspect` reads back to the recorder's own books, and neither the capture nor the debug log
//! holds the JWT the server received or the secret.

use super::coinbase_server::{CoinbaseApp, CoinbaseOpts, VECTOR};
use super::common::{
    assert_recorder_books_are_inspects, imbalance_lib, inspect_json, json_levels, ladder,
    paper_with_imbalance, read_json, run_ok,
};
use super::*;
use serde_json::Value;

/// A `[venue]` config for coinbase at `server`.
fn config(dir: &Path, server: &Server) -> PathBuf {
    let path = dir.join("ladder.toml");
    std::fs::write(
        &path,
        format!(
            "[venue]\nname = \"coinbase\"\nsymbols = [\"BTC-USD\", \"ETH-USD\"]\n\
             ws_book = \"{}\"\nrest = \"{}\"\nallow_insecure = true\n",
            server.ws("/"),
            server.http()
        ),
    )
    .unwrap();
    path
}

#[test]
fn ladder_paper_coinbase_syncs_both_books_to_the_replayed_tops_and_exits_0() {
    let Some(path) = shared(VECTOR) else {
        return;
    };
    let app = CoinbaseApp::new(Some(&path), CoinbaseOpts::default());
    let server = Server::start(Arc::clone(&app));
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report");
    run_ok(
        paper_with_imbalance(&config(dir.path(), &server), &report)
            .env_remove("COINBASE_API_KEY")
            .env_remove("COINBASE_API_SECRET")
            .args(["--venue", "coinbase", "--duration", "8s"]),
    );
    assert!(
        app.finished.load(Ordering::Acquire),
        "the replay ran to its end"
    );
    let summary = read_json(&report.join("summary.json"));
    assert_eq!(summary["feeds"][0]["gaps"], 0, "{}", summary["feeds"]);
    for (p, bid, ask) in [
        ("BTC-USD", "65083.66", "65083.67"),
        ("ETH-USD", "1919.28", "1919.38"),
    ] {
        let b = &summary["books"][format!("coinbase:{p}")];
        assert_eq!(b["state"], "synced", "{p}: {b}");
        assert_eq!(json_levels(&b["bids"])[0].0, dec(bid), "{p}: {b}");
        assert_eq!(json_levels(&b["asks"])[0].0, dec(ask), "{p}: {b}");
    }
}

#[test]
fn ladder_record_coinbase_with_credentials_writes_a_capture_inspect_reads_to_the_recorders_books_and_no_jwt()
 {
    use base64::Engine as _;
    let Some(path) = shared(VECTOR) else {
        return;
    };
    let app = CoinbaseApp::new(Some(&path), CoinbaseOpts::default());
    let server = Server::start(Arc::clone(&app));
    let dir = tempfile::tempdir().unwrap();
    let (cap, books, log) = (
        dir.path().join("cap.txt"),
        dir.path().join("books.json"),
        dir.path().join("ladder.log"),
    );
    let doc = ring::signature::EcdsaKeyPair::generate_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &ring::rand::SystemRandom::new(),
    )
    .unwrap();
    let body = base64::engine::general_purpose::STANDARD.encode(doc.as_ref());
    // As a `.env` file holds it: one line, `\n` escapes.
    let secret = format!("-----BEGIN PRIVATE KEY-----\\n{body}\\n-----END PRIVATE KEY-----\\n");
    let out = ladder()
        .arg("--log")
        .arg(&log)
        .args(["--log-level", "debug", "record", "--config"])
        .arg(config(dir.path(), &server))
        .args([
            "--venue",
            "coinbase",
            "--duration",
            "8s",
            "--status-every",
            "0",
        ])
        .arg("--out")
        .arg(&cap)
        .arg("--books")
        .arg(&books)
        .env("COINBASE_API_KEY", "organizations/o/apiKeys/k")
        .env("COINBASE_API_SECRET", &secret)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {stderr}",
        String::from_utf8_lossy(&out.stdout),
    );
    let jwts: Vec<String> = app
        .received()
        .iter()
        .map(|t| {
            let v: Value = serde_json::from_str(t).unwrap();
            v["jwt"].as_str().expect("a signed subscription").to_owned()
        })
        .collect();
    assert_eq!(jwts.len(), 3, "three subscriptions, each signed");
    let (capture, logged) = (
        std::fs::read_to_string(&cap).unwrap(),
        std::fs::read_to_string(&log).unwrap(),
    );
    assert!(logged.contains("subscribe"), "the debug log was written");
    for (name, text) in [
        ("capture", &capture),
        ("log", &logged),
        ("stderr", &stderr.to_string()),
    ] {
        for jwt in &jwts {
            let signature = jwt.rsplit('.').next().unwrap();
            assert!(!text.contains(signature), "the {name} holds a jwt");
        }
        assert!(!text.contains(&body[..40]), "the {name} holds the secret");
        assert!(!text.contains("\"jwt\""), "the {name} holds a jwt key");
    }
    let report = inspect_json(&cap, &["--venue", "coinbase"]);
    let names = ["BTC-USD", "ETH-USD"].map(|p| format!("coinbase:{p}"));
    assert_recorder_books_are_inspects(&read_json(&books), &report, &names);
}

#[test]
fn ladder_paper_coinbase_with_half_the_credentials_fails_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let app = CoinbaseApp::new(None, CoinbaseOpts::default());
    let server = Server::start(app);
    let out = ladder()
        .args(["paper", "--config"])
        .arg(config(dir.path(), &server))
        .args(["--venue", "coinbase", "--headless", "--duration", "2s"])
        .arg("--strategy")
        .arg(imbalance_lib())
        .env("COINBASE_API_KEY", "organizations/o/apiKeys/k")
        .env_remove("COINBASE_API_SECRET")
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("COINBASE_API_KEY is set but COINBASE_API_SECRET is not"),
        "{stderr}"
    );
}
