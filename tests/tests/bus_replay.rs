//! Replay and record from the bus end to end, through the real binary and a real `nats-server`:
//! `ladder feed --sim --raw` publishes the venue's raw frames; `ladder record --source
//! nats://...` writes a capture from what JetStream retained; `ladder replay` of that capture and
//! `ladder replay nats://... --subject ladder.raw.>` give the same books, orders and fills with
//! strategies, and the books equal the feed's own (`feed.json`). A `--from/--to` window replays
//! only its frames; an unreachable server, a subject with nothing retained and the normalized
//! subject are each one clear error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use ladder_tests::build::ladder_and_examples;
use ladder_tests::nats::NatsServer;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The `ladder` binary and the two example strategy libraries, built once.
fn built() -> &'static (PathBuf, PathBuf, PathBuf) {
    ladder_and_examples(env!("CARGO_TARGET_TMPDIR"))
}

fn ladder() -> Command {
    let mut c = Command::new(&built().0);
    c.timeout(std::time::Duration::from_secs(120));
    c
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// `ladder replay SOURCE [extra...]` with the microprice and imbalance strategies; its
/// summary and stdout.
fn replay(source: &str, extra: &[&str], report: &Path) -> (Value, String) {
    let (_, imb, mp) = built();
    let sc = report.with_extension("microprice.toml");
    std::fs::write(
        &sc,
        "tick_size = \"0.01\"\nsymbol = \"binance-spot:BTCUSDT\"\nfallback = \"weighted_mid\"\n",
    )
    .unwrap();
    let out = ladder()
        .arg("replay")
        .arg(source)
        .args(extra)
        .arg("--strategy")
        .arg(mp)
        .arg("--strategy-config")
        .arg(&sc)
        .arg("--strategy")
        .arg(imb)
        .arg("--report")
        .arg(report)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "replay {source} {extra:?} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (json(&report.join("summary.json")), stdout)
}

/// The receive stamps of a plain capture's lines.
fn stamps(capture: &Path) -> Vec<u64> {
    std::fs::read_to_string(capture)
        .unwrap()
        .lines()
        .map(|l| l.split_once(' ').unwrap().0.parse().unwrap())
        .collect()
}

/// Unix nanoseconds as RFC 3339 UTC with nanoseconds (days to a civil date: H. Hinnant).
fn rfc3339(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:09}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        ns % 1_000_000_000
    )
}

#[test]
fn rfc3339_helper_formats_a_known_instant() {
    assert_eq!(
        rfc3339(1_723_161_253_937_085_768),
        "2024-08-08T23:54:13.937085768Z"
    );
}

/// The command's stderr when it fails.
fn fails(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "{cmd:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn feed_raw_recorded_and_replayed_from_the_bus_give_the_feeds_books_and_the_same_fills() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(server) = NatsServer::start(&tmp.path().join("store")) else {
        return;
    };
    let url = server.url();
    let dir = tmp.path();

    // The feed publishes events and raw frames for a few seconds.
    let feed_dir = dir.join("feed");
    ladder()
        .args([
            "feed",
            "--sim",
            "--sim-rate",
            "300",
            "--raw",
            "--nats",
            &url,
        ])
        .args(["--status-every", "0", "--duration", "5s", "--report"])
        .arg(&feed_dir)
        .assert()
        .success();
    let feed = json(&feed_dir.join("feed.json"));
    let raw = &feed["raw"];
    let frames = raw["frames"].as_u64().unwrap();
    assert!(frames > 200, "{feed}");
    assert_eq!(raw["published"], frames, "{feed}");
    assert_eq!(raw["acked"], frames, "{feed}");
    assert_eq!(
        (raw["failed"].as_u64(), raw["refused"].as_u64()),
        (Some(0), Some(0))
    );

    // record --source: a gzip capture (replayed below) and a plain one (compared byte for byte
    // with what `replay nats://` replays).
    let gz = dir.join("cap.txt.gz");
    let plain = dir.join("cap.txt");
    for out in [&gz, &plain] {
        let o = ladder()
            .args(["record", "--source", &url, "--out"])
            .arg(out)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            stdout.contains(&format!("recorded {frames} frames")) && stdout.contains("0 gaps"),
            "{stdout}"
        );
    }
    assert_eq!(stamps(&plain).len() as u64, frames);

    // The capture file and the bus: same books, orders, fills; the books are the feed's.
    let (file, _) = replay(gz.to_str().unwrap(), &[], &dir.join("r-file"));
    let (bus, stdout) = replay(&url, &["--subject", "ladder.raw.>"], &dir.join("r-bus"));
    assert!(
        stdout.contains(&format!("read {frames} frames")),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read(dir.join("r-bus/bus-capture.binance-spot.txt")).unwrap(),
        std::fs::read(&plain).unwrap(),
        "replay nats:// replays the lines record --source writes"
    );
    assert_eq!(file["frames"], frames);
    assert_eq!(file["gaps"], 0, "{file}");
    for key in [
        "frames", "events", "books", "orders", "fills", "signals", "net_pnl",
    ] {
        assert_eq!(file[key], bus[key], "{key}");
    }
    assert_eq!(file["strategies"], bus["strategies"]);
    assert!(file["orders"].as_u64().unwrap() > 0, "{file}");
    assert_eq!(file["books"], feed["books"], "the feed's own final books");
    for (name, book) in file["books"].as_object().unwrap() {
        assert_eq!(book["state"], "synced", "{name}");
        assert!(!book["bids"].as_array().unwrap().is_empty(), "{name}");
    }

    // A window: only the frames received in [from, to) are replayed. --from in Unix ns, --to
    // in RFC 3339.
    let ts = stamps(&plain);
    let (from, to) = (ts[ts.len() / 3], ts[2 * ts.len() / 3]);
    let expected = ts.iter().filter(|&&t| t >= from && t < to).count() as u64;
    assert!(expected > 10 && expected < frames, "{expected} of {frames}");
    let (win, stdout) = replay(
        &url,
        &["--from", &from.to_string(), "--to", &rfc3339(to)],
        &dir.join("r-window"),
    );
    assert_eq!(win["frames"], expected, "{stdout}");
    assert!(
        stdout.contains(&format!("read {expected} frames"))
            && stdout.contains(&format!("{} outside the window", frames - expected)),
        "{stdout}"
    );

    // Nothing retained on a subject, the normalized subject: one clear error each.
    let e = fails(ladder().args(["replay", &url, "--subject", "ladder.raw.okx.>"]));
    assert!(
        e.contains("nothing is retained on ladder.raw.okx.>") && e.contains(&url),
        "{e}"
    );
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    let e = fails(
        ladder()
            .args([
                "record",
                "--source",
                &url,
                "--subject",
                "ladder.raw.okx.>",
                "--out",
            ])
            .arg(dir.join("none.txt")),
    );
    assert!(e.contains("nothing is retained on ladder.raw.okx.>"), "{e}");
    assert!(!dir.join("none.txt").exists());
    let e = fails(ladder().args(["replay", &url, "--subject", "ladder.md.>"]));
    assert!(
        e.contains("ladder.md.>") && e.contains("--subject ladder.raw.>"),
        "{e}"
    );

    // --follow: what was retained, then on, live, until --duration; a second feed run is a new
    // epoch on the subject (a restart, counted).
    let mut second = std::process::Command::new(&built().0)
        .args([
            "feed",
            "--sim",
            "--sim-rate",
            "300",
            "--raw",
            "--nats",
            &url,
        ])
        .args(["--status-every", "0", "--duration", "7s", "--report"])
        .arg(dir.join("feed2"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(2));
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let follow = dir.join("follow.txt");
    let o = ladder()
        .args([
            "record",
            "--source",
            &url,
            "--follow",
            "--duration",
            "3s",
            "--out",
        ])
        .arg(&follow)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout.contains("1 publisher restarts"), "{stdout}");
    let ts = stamps(&follow);
    assert_eq!(
        &stamps(&plain)[..],
        &ts[..frames as usize],
        "the first run, as retained"
    );
    let live = ts.iter().filter(|&&t| t > started + 1_000_000_000).count();
    assert!(
        live > 20,
        "{live} frames received after the recording started"
    );
    assert!(second.wait().unwrap().success());
}

#[test]
fn replay_and_record_from_an_unreachable_server_are_one_error_naming_the_url() {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("nats://127.0.0.1:{}", ladder_tests::free_port());
    let e = fails(
        ladder()
            .args(["replay", &url, "--report"])
            .arg(tmp.path().join("r")),
    );
    assert!(
        e.starts_with(&format!("error: cannot connect to the bus at {url}")),
        "{e}"
    );
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    let out = tmp.path().join("cap.txt");
    let e = fails(
        ladder()
            .args(["record", "--source", &url, "--out"])
            .arg(&out),
    );
    assert!(
        e.starts_with(&format!("error: cannot connect to the bus at {url}")),
        "{e}"
    );
    assert!(!out.exists(), "no capture file for an unreachable server");
}
