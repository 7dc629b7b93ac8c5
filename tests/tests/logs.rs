//! Structured logs of a real session: `ladder sim` with a dropped diff every 10 messages and a
//! disconnect every 4 s, `ladder paper` against it with `--log FILE --log-format json`. The file
//! holds, as JSON lines, the gap with its update ids, the resync, and the reconnect.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ladder_tests::build::{ladder_and_libraries, ladder_bin, newest_lib};
use ladder_tests::free_port;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

struct Built {
    ladder: PathBuf,
    imbalance: PathBuf,
}

fn built() -> Built {
    let out = ladder_and_libraries(env!("CARGO_TARGET_TMPDIR"), &["ladder-strategy-imbalance"]);
    Built {
        ladder: ladder_bin(&out),
        imbalance: newest_lib(&out, "ladder_strategy_imbalance"),
    }
}

/// Kills the child when the test ends, however it ends.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_faulty_session_logs_gap_resync_and_reconnect_as_json_lines() {
    let b = built();
    let (ws, rest) = (free_port(), free_port());
    let sim = Reaped(
        Command::new(&b.ladder)
            .args(["sim", "--rate", "400", "--seed", "5", "--drop-every", "10"])
            .args(["--disconnect-every", "4", "--duration", "30s"])
            .args([
                "--ws-port",
                &ws.to_string(),
                "--rest-port",
                &rest.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ladder.toml");
    std::fs::write(
        &config,
        format!(
            "[venue]\nname = \"binance-spot\"\nsymbols = [\"BTCUSDT\"]\n\
             ws_book = \"ws://127.0.0.1:{ws}/stream\"\nrest = \"http://127.0.0.1:{rest}\"\n\
             allow_insecure = true\n"
        ),
    )
    .unwrap();
    let log = dir.path().join("session.log");
    // The simulator needs a moment to listen; the feed retries until it does.
    std::thread::sleep(Duration::from_millis(300));
    let out = Command::new(&b.ladder)
        .current_dir(dir.path())
        .args(["paper", "--config", config.to_str().unwrap()])
        .args(["--strategy", b.imbalance.to_str().unwrap()])
        .args(["--headless", "--duration", "8s", "--report", "report"])
        .args(["--log", log.to_str().unwrap(), "--log-format", "json"])
        .output()
        .unwrap();
    drop(sim);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let message = |v: &Value| v["fields"]["message"].as_str().unwrap_or("").to_owned();
    let gap = lines
        .iter()
        .find(|v| {
            message(v).starts_with("integrity fault") && v["fields"]["kind"] == "sequence_gap"
        })
        .unwrap_or_else(|| panic!("no gap logged:\n{text}"));
    assert_eq!(gap["level"], "WARN");
    assert_eq!(gap["fields"]["symbol"], "BTCUSDT");
    let detail = gap["fields"]["fault"].as_str().unwrap();
    assert!(
        detail.chars().filter(char::is_ascii_digit).count() >= 2,
        "the gap names its update ids: {detail}"
    );
    assert!(
        lines
            .iter()
            .any(|v| message(v) == "book state" && v["fields"]["to"] == "resyncing"),
        "no resync logged:\n{text}"
    );
    assert!(
        lines
            .iter()
            .any(|v| message(v) == "connected" && v["fields"]["reconnect"] == true),
        "no reconnect logged:\n{text}"
    );
    assert!(
        lines
            .iter()
            .any(|v| message(v) == "strategy library loaded")
    );
    // Nothing from the hot thread's per-event path: the hot thread logs only the library load
    // (the strategies are created there, before the first event).
    for v in &lines {
        if v["threadName"] == "ladder-hot" {
            assert_eq!(message(v), "strategy library loaded", "{v}");
        }
    }
}
