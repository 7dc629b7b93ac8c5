//! Scale-out on NATS JetStream end to end, through the real binary and a real `nats-server`:
//! `ladder feed --sim` publishes, `ladder paper --source nats://...` consumers with different
//! strategies run, and every consumer ends with the publisher's books (top 10, from the feed's
//! `feed.json` and each consumer's `summary.json`). Faults: a consumer started late, a slow
//! consumer (a ring of two events), the server killed and restarted mid-run (its store kept),
//! the publisher restarted (a new epoch): each consumer ends synced with equal books, the
//! interruptions counted as bus gaps and resyncs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ladder_tests::build::ladder_and_examples;
use ladder_tests::nats::NatsServer;
use ladder_tests::scrape::{get, promtool, samples};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

/// The `ladder` binary and the two example strategy libraries, built once.
fn built() -> &'static (PathBuf, PathBuf, PathBuf) {
    ladder_and_examples(env!("CARGO_TARGET_TMPDIR"))
}

/// `ladder feed --sim` for `secs` seconds, serving `/metrics` on `metrics` if given.
fn feed(url: &str, secs: u32, report: &Path, metrics: Option<u16>) -> Child {
    let mut cmd = Command::new(&built().0);
    cmd.args([
        "feed",
        "--sim",
        "--sim-rate",
        "300",
        "--nats",
        url,
        "--status-every",
        "0",
    ])
    .args(["--duration", &format!("{secs}s"), "--report"])
    .arg(report);
    if let Some(port) = metrics {
        cmd.args(["--metrics", &port.to_string()]);
    }
    cmd.spawn().expect("ladder feed starts")
}

/// A consumer: `imbalance` or `microprice`, `ring` events of ring capacity.
fn consumer(url: &str, secs: u32, dir: &Path, strategy: &str, ring: usize) -> Child {
    let (_, imb, mp) = built();
    std::fs::create_dir_all(dir).unwrap();
    let config = dir.join("ladder.toml");
    std::fs::write(&config, format!("[hot]\nring_capacity = {ring}\n")).unwrap();
    let mut cmd = Command::new(&built().0);
    cmd.args(["paper", "--headless", "--source", url, "--config"])
        .arg(&config)
        .args(["--duration", &format!("{secs}s"), "--report"])
        .arg(dir.join("report"));
    if strategy == "microprice" {
        let sc = dir.join("strategy.toml");
        std::fs::write(
            &sc,
            "tick_size = \"0.01\"\nsymbol = \"binance-spot:BTCUSDT\"\nfallback = \"weighted_mid\"\n",
        )
        .unwrap();
        cmd.arg("--strategy")
            .arg(mp)
            .arg("--strategy-config")
            .arg(sc);
    } else {
        cmd.arg("--strategy").arg(imb);
    }
    let stderr = std::fs::File::create(dir.join("stderr.txt")).unwrap();
    cmd.stdout(std::process::Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("ladder paper starts")
}

fn wait(mut child: Child, what: &str) -> bool {
    for _ in 0..1200 {
        if let Some(status) = child.try_wait().unwrap() {
            return status.success();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("{what} did not end in 120 s");
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The consumer's summary: its books equal the feed's, every book synced; returns its bus
/// counters.
fn assert_same_books(feed_json: &Path, dir: &Path) -> Value {
    let feed = json(feed_json);
    let summary = json(&dir.join("report/summary.json"));
    assert_eq!(
        summary["books"],
        feed["books"],
        "{}: books differ from the publisher's",
        dir.display()
    );
    for (name, book) in summary["books"].as_object().unwrap() {
        assert_eq!(book["state"], "synced", "{name} in {}", dir.display());
        assert!(
            !book["bids"].as_array().unwrap().is_empty(),
            "{name} has bids"
        );
    }
    summary["bus"].clone()
}

#[test]
fn feed_and_consumers_late_and_slow_end_with_the_publishers_books() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(server) = NatsServer::start(&tmp.path().join("store")) else {
        return;
    };
    let url = server.url();
    let _ = built();
    let feed_dir = tmp.path().join("feed");
    let port = ladder_tests::free_port();
    let f = feed(&url, 8, &feed_dir, Some(port));
    std::thread::sleep(Duration::from_secs(2));
    let a = consumer(&url, 12, &tmp.path().join("a"), "imbalance", 1 << 16);
    let b = consumer(&url, 12, &tmp.path().join("b"), "microprice", 2);
    std::thread::sleep(Duration::from_secs(3));
    let late = consumer(&url, 9, &tmp.path().join("late"), "imbalance", 1 << 16);
    // The feed's own metrics: the venue feed and the publisher, no hot loop.
    let (status, scrape) = get(port, "/metrics").expect("ladder feed serves /metrics");
    assert!(status.contains("200"), "{status}");
    let s = samples(&scrape);
    assert!(s["ladder_bus_published_total"] > 0.0, "{scrape}");
    assert!(s["ladder_bus_acked_total"] > 0.0, "{scrape}");
    assert_eq!(s["ladder_bus_publisher_connected"], 1.0, "{scrape}");
    assert!(
        s["ladder_feed_messages_total{venue=\"binance-spot\"}"] > 0.0,
        "{scrape}"
    );
    assert!(!scrape.contains("ladder_hot_"), "{scrape}");
    promtool(&scrape);
    assert!(wait(f, "ladder feed"), "ladder feed failed");
    for (c, name) in [(a, "a"), (b, "b"), (late, "late")] {
        let dir = tmp.path().join(name);
        assert!(
            wait(c, name),
            "consumer {name} failed: {}",
            std::fs::read_to_string(dir.join("stderr.txt")).unwrap_or_default()
        );
        let bus = assert_same_books(&feed_dir.join("feed.json"), &tmp.path().join(name));
        assert_eq!(bus["gaps"], 0, "{name}: {bus}");
        assert!(bus["messages"].as_u64().unwrap() > 50, "{name}: {bus}");
    }
    let feed = json(&feed_dir.join("feed.json"));
    assert_eq!(feed["published"], feed["acked"]);
    assert_eq!(feed["failed"], 0);
}

#[test]
fn server_and_publisher_restarts_are_bus_gaps_resynced_to_the_publishers_books() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(mut server) = NatsServer::start(&tmp.path().join("store")) else {
        return;
    };
    let url = server.url();
    let _ = built();
    let first = feed(&url, 4, &tmp.path().join("feed1"), None);
    std::thread::sleep(Duration::from_secs(2));
    let c = consumer(&url, 16, &tmp.path().join("c"), "imbalance", 1 << 16);
    assert!(wait(first, "the first ladder feed"));
    // The server goes away under the consumer and comes back with its store.
    std::thread::sleep(Duration::from_millis(500));
    server.restart();
    std::thread::sleep(Duration::from_secs(2));
    // A new publisher: a new epoch on the same subjects.
    let second = feed(&url, 5, &tmp.path().join("feed2"), None);
    assert!(wait(second, "the second ladder feed"));
    assert!(
        wait(c, "the consumer"),
        "{}",
        std::fs::read_to_string(tmp.path().join("c/stderr.txt")).unwrap_or_default()
    );
    let bus = assert_same_books(&tmp.path().join("feed2/feed.json"), &tmp.path().join("c"));
    assert!(bus["disconnects"].as_u64().unwrap() >= 1, "{bus}");
    assert!(bus["gaps"].as_u64().unwrap() >= 2, "{bus}");
    assert!(bus["resyncs"].as_u64().unwrap() >= 2, "{bus}");
}

/// Every file under `dir`, read as text where it is.
fn all_text(dir: &Path, out: &mut String) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            all_text(&p, out);
        } else if let Ok(bytes) = std::fs::read(&p) {
            out.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
}

#[test]
fn credentials_from_env_and_url_log_in_and_appear_in_no_report_or_log() {
    const SECRET: &str = "Sekr3t-pw-77";
    let tmp = tempfile::tempdir().unwrap();
    let Some(server) = NatsServer::start_with(
        &tmp.path().join("store"),
        &["--user", "ladder", "--pass", SECRET],
    ) else {
        return;
    };
    let _ = built();
    let url = server.url();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let feed = Command::new(&built().0)
        .env("LADDER_NATS_USER", "ladder")
        .env("LADDER_NATS_PASSWORD", SECRET)
        .arg("--log")
        .arg(out.join("feed.log"))
        .args([
            "--log-level",
            "debug",
            "feed",
            "--sim",
            "--nats",
            &url,
            "--duration",
            "4s",
        ])
        .args(["--status-every", "1", "--report"])
        .arg(out.join("feed"))
        .output()
        .unwrap();
    assert!(
        feed.status.success(),
        "{}",
        String::from_utf8_lossy(&feed.stderr)
    );
    let with_login = url.replace("nats://", &format!("nats://ladder:{SECRET}@"));
    let (_, imb, _) = built();
    let paper = Command::new(&built().0)
        .arg("--log")
        .arg(out.join("paper.log"))
        .args([
            "--log-level",
            "debug",
            "paper",
            "--headless",
            "--source",
            &with_login,
        ])
        .arg("--strategy")
        .arg(imb)
        .args(["--duration", "3s", "--report"])
        .arg(out.join("paper"))
        .output()
        .unwrap();
    assert!(
        paper.status.success(),
        "{}",
        String::from_utf8_lossy(&paper.stderr)
    );
    let wrong = Command::new(&built().0)
        .env("LADDER_NATS_USER", "ladder")
        .env("LADDER_NATS_PASSWORD", "not-the-password")
        .args(["paper", "--headless", "--source", &url, "--strategy"])
        .arg(imb)
        .args(["--duration", "2s", "--report"])
        .arg(out.join("wrong"))
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        err.contains(&format!("cannot connect to the bus at {url}")),
        "{err}"
    );
    let mut text = String::new();
    all_text(&out, &mut text);
    for o in [&feed, &paper, &wrong] {
        text.push_str(&String::from_utf8_lossy(&o.stdout));
        text.push_str(&String::from_utf8_lossy(&o.stderr));
    }
    assert!(
        text.contains("\"bus\""),
        "the paper summary has its bus counters"
    );
    assert!(
        !text.contains(SECRET),
        "the password leaked into a report, log or output"
    );
    assert!(!text.contains("not-the-password"));
}
