//! `ladder record` end to end against the built-in simulated venue (in-process with `--sim`, or
//! `ladder sim` in its own process through a `[venue]` config): the capture inspects cleanly,
//! replays to the book the recorder's own feed held, names every snapshot's symbol, rotates
//! into self-contained files, is decodable on disk while recording, and keeps a gap and its
//! resync. Every run is bounded by `--duration` and talks to 127.0.0.1 only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ladder, read_capture_lines};
use rust_decimal::Decimal;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(60);
/// Instruments as reports, `inspect --json` and `--books` name them.
const BTC: &str = "binance-spot:BTCUSDT";
const ETH: &str = "binance-spot:ETHUSDT";

/// Runs `ladder record ARGS`; returns stdout. Fails the test on a non-zero exit.
fn record(args: &[&str]) -> String {
    let out = ladder()
        .arg("record")
        .args(args)
        .args(["--status-every", "0"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "ladder record failed\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn inspect(path: &Path) -> Value {
    inspect_as(path, "binance-spot")
}

fn inspect_as(path: &Path, venue: &str) -> Value {
    let out = ladder()
        .args(["inspect", path.to_str().unwrap(), "--venue", venue])
        .args(["--json", "--depth", "10"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "inspect {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn levels(v: &Value) -> Vec<(Decimal, Decimal)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let d = |k: usize| Decimal::from_str(l[k].as_str().unwrap()).unwrap();
            (d(0), d(1))
        })
        .collect()
}

/// The recorder's final books (`--books`) equal `inspect`'s final books of the capture, for
/// each instrument named (`venue:SYMBOL`).
fn assert_same_books(books: &Path, report: &Value, symbols: &[&str]) {
    let books: Value = serde_json::from_str(&std::fs::read_to_string(books).unwrap()).unwrap();
    for s in symbols {
        let (live, replayed) = (&books[s], &report["instruments"][s]);
        assert_eq!(live["state"], "synced", "{s}: recorder's book {live}");
        assert_eq!(replayed["state"], "synced", "{s}: replayed book {replayed}");
        assert_eq!(
            live["last_update_id"], replayed["last_update_id"],
            "{s}: update ids"
        );
        for side in ["bids", "asks"] {
            let (a, b) = (levels(&live[side]), levels(&replayed[side]));
            assert_eq!(a.len(), 10, "{s} {side}: ten levels");
            assert_eq!(a, b, "{s} {side}: recorder vs replay");
        }
    }
}

fn assert_clean(report: &Value, symbols: &[&str]) {
    assert_eq!(report["gaps"], 0, "{report}");
    assert_eq!(report["parse_errors"], 0, "{report}");
    assert!(report["applied"].as_u64().unwrap() > 0, "{report}");
    for s in symbols {
        assert_eq!(report["instruments"][s]["state"], "synced", "{s}: {report}");
        assert!(report["instruments"][s]["applied"].as_u64().unwrap() > 0);
    }
}

fn snapshot_streams(path: &Path) -> Vec<String> {
    read_capture_lines(path)
        .iter()
        .filter_map(|l| {
            let frame: Value = serde_json::from_str(l.split_once(' ').unwrap().1).unwrap();
            let stream = frame["stream"].as_str().unwrap().to_owned();
            stream.ends_with("@depthSnapshot").then_some(stream)
        })
        .collect()
}

#[test]
fn record_sim_gzip_inspects_clean_and_replays_to_the_recorders_books() {
    let dir = tempfile::tempdir().unwrap();
    let (cap, books) = (dir.path().join("x.gz"), dir.path().join("books.json"));
    let stdout = record(&[
        "--sim",
        "--symbol",
        "BTCUSDT",
        "--out",
        cap.to_str().unwrap(),
        "--duration",
        "5s",
        "--books",
        books.to_str().unwrap(),
    ]);
    assert!(stdout.contains("dropped 0"), "{stdout}");
    let raw = std::fs::read(&cap).unwrap();
    assert_eq!(&raw[..2], &[0x1f, 0x8b], "gzip by the .gz name");
    let report = inspect(&cap);
    assert_clean(&report, &[BTC]);
    assert!(report["snapshots"].as_u64().unwrap() >= 1);
    assert!(report["trades"].as_u64().unwrap() > 0, "trade frames kept");
    assert_eq!(snapshot_streams(&cap)[0], "btcusdt@depthSnapshot");
    assert_same_books(&books, &report, &[BTC]);
}

#[test]
fn record_two_symbols_in_one_file_both_sync_without_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let (cap, books) = (dir.path().join("two.txt"), dir.path().join("books.json"));
    record(&[
        "--sim",
        "--symbol",
        "BTCUSDT",
        "--symbol",
        "ETHUSDT",
        "--out",
        cap.to_str().unwrap(),
        "--duration",
        "4s",
        "--books",
        books.to_str().unwrap(),
    ]);
    let report = inspect(&cap);
    assert_clean(&report, &[BTC, ETH]);
    let mut streams = snapshot_streams(&cap);
    streams.sort();
    streams.dedup();
    assert_eq!(streams, ["btcusdt@depthSnapshot", "ethusdt@depthSnapshot"]);
    assert_same_books(&books, &report, &[BTC, ETH]);
}

#[test]
fn record_rotation_by_size_writes_numbered_self_contained_files() {
    let dir = tempfile::tempdir().unwrap();
    let (cap, books) = (dir.path().join("cap.txt.gz"), dir.path().join("books.json"));
    let stdout = record(&[
        "--sim",
        "--symbol",
        "BTCUSDT,ETHUSDT",
        "--sim-rate",
        "2000",
        "--out",
        cap.to_str().unwrap(),
        "--duration",
        "8s",
        "--rotate-size",
        "24k",
        "--books",
        books.to_str().unwrap(),
    ]);
    assert!(!cap.exists(), "rotated captures are numbered");
    let files: Vec<PathBuf> = (1..)
        .map(|n| dir.path().join(format!("cap.{n:04}.txt.gz")))
        .take_while(|p| p.exists())
        .collect();
    assert!(files.len() >= 3, "{stdout}");
    assert_eq!(
        stdout.matches("cap.0").count(),
        files.len(),
        "every file listed: {stdout}"
    );
    let last = files.len() - 1;
    for (k, f) in files.iter().enumerate() {
        let report = inspect(f);
        assert_eq!(report["gaps"], 0, "{}: {report}", f.display());
        assert_eq!(report["parse_errors"], 0, "{}: {report}", f.display());
        if k < last {
            // Each file gets a fresh snapshot of every symbol: it syncs on its own.
            assert_clean(&report, &[BTC, ETH]);
            let mut streams = snapshot_streams(f);
            streams.sort();
            streams.dedup();
            assert_eq!(streams.len(), 2, "{}: {streams:?}", f.display());
        }
    }
    // The last file, on its own, replays to the book the recorder held at the end (if it
    // lasted long enough to get its snapshots).
    let report = inspect(&files[last]);
    if report["instruments"][BTC]["state"] == "synced"
        && report["instruments"][ETH]["state"] == "synced"
    {
        assert_same_books(&books, &report, &[BTC, ETH]);
    }
}

#[test]
fn record_flushes_so_the_gzip_on_disk_decodes_while_recording() {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("live.gz");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ladder"))
        .args(["record", "--sim", "--symbol", "BTCUSDT", "--out"])
        .arg(&cap)
        .args(["--duration", "8s", "--status-every", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(3500));
    assert!(child.try_wait().unwrap().is_none(), "still recording");
    // The file has no gzip trailer yet: read the lines until the stream ends early.
    let mut reader = ladder_engine::capture::CaptureReader::open(&cap).unwrap();
    let mut frames = Vec::new();
    while let Ok(Some(next)) = reader.next_line() {
        match next {
            ladder_engine::capture::Next::Line(l) => frames.push(l.frame.to_vec()),
            ladder_engine::capture::Next::Malformed { line, error } => {
                panic!("line {line}: {error}")
            }
        }
    }
    assert!(child.try_wait().unwrap().is_none(), "still recording");
    assert!(frames.len() >= 10, "{} lines decoded", frames.len());
    let snapshot = frames
        .iter()
        .any(|f| f.starts_with(b"{\"stream\":\"btcusdt@depthSnapshot\""));
    assert!(snapshot, "the first snapshot is on disk");
    for f in &frames {
        let v: Value = serde_json::from_slice(f).unwrap();
        assert!(v["stream"].is_string());
    }
    let status = wait(&mut child, TIMEOUT);
    assert!(status.success());
    let report = inspect(&cap);
    assert_clean(&report, &[BTC]);
    assert!(report["frames"].as_u64().unwrap() > frames.len() as u64);
}

fn wait(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("process did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `ladder sim` in its own process; killed on drop.
struct SimProcess {
    child: Child,
    /// The book stream URL up to `/stream`.
    ws: String,
    /// `http://127.0.0.1:PORT`.
    rest: String,
    /// The book and trade stream endpoints, as `[venue]` takes them.
    ws_book: String,
    ws_trades: String,
}

impl SimProcess {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ladder"))
            .args([
                "sim",
                "--ws-port",
                "0",
                "--rest-port",
                "0",
                "--duration",
                "60s",
            ])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (mut streams, mut rest) = (Vec::new(), None);
        while streams.len() < 2 || rest.is_none() {
            let line = lines.next().expect("sim printed its urls").unwrap();
            let url = line.split_whitespace().find(|w| w.contains("://"));
            match url {
                Some(u) if u.starts_with("ws://") => {
                    streams.push(u.split_once('?').map_or(u, |(b, _)| b).to_owned());
                }
                Some(u) if u.starts_with("http://") && rest.is_none() => {
                    let host = u["http://".len()..].split('/').next().unwrap();
                    rest = Some(format!("http://{host}"));
                }
                _ => {}
            }
        }
        // Keep draining stdout so status lines never block the sim.
        std::thread::spawn(move || for _ in lines {});
        Self {
            child,
            ws: streams[0].split_once("/stream").unwrap().0.to_owned(),
            rest: rest.unwrap(),
            ws_book: streams[0].clone(),
            ws_trades: streams[1].clone(),
        }
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn record_via_config_keeps_a_dropped_diff_gap_and_the_resync_snapshot() {
    let sim = SimProcess::start(&["--symbols", "BTCUSDT", "--drop-every", "25"]);
    assert!(sim.ws.starts_with("ws://127.0.0.1:") && sim.rest.starts_with("http://127.0.0.1:"));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("record.toml");
    std::fs::write(
        &config,
        format!(
            "[venue]\nname = \"binance-spot\"\nsymbols = [\"BTCUSDT\"]\n\
             ws_book = \"{ws}/stream\"\nws_trades = \"{ws}/stream\"\nrest = \"{rest}\"\n",
            ws = sim.ws,
            rest = sim.rest
        ),
    )
    .unwrap();
    let cap = dir.path().join("faults.txt");
    let stdout = record(&[
        "--config",
        config.to_str().unwrap(),
        "--out",
        cap.to_str().unwrap(),
        "--duration",
        "4s",
    ]);
    assert!(
        stdout.contains("from binance-spot in"),
        "not the sim: {stdout}"
    );
    let report = inspect(&cap);
    assert!(report["gaps"].as_u64().unwrap() >= 1, "{report}");
    let snapshots = report["snapshots"].as_u64().unwrap();
    assert!(
        snapshots >= 2,
        "the resync snapshot is in the file: {report}"
    );
    assert_eq!(report["parse_errors"], 0, "{report}");
    assert_eq!(
        report["instruments"][BTC]["state"], "synced",
        "a later snapshot resynced the replay: {report}"
    );
    // The recorder's feed saw the same gaps the replay does.
    let feed = stdout.lines().find(|l| l.starts_with("feed:")).unwrap();
    let gaps = report["gaps"].as_u64().unwrap();
    assert!(feed.contains(&format!(" {gaps} gaps")), "{feed} vs {gaps}");
}

/// Complete lines a plain gzip decoder gets out of `path` before its stream breaks off (what
/// `zcat` recovers), independently of ladder's reader.
fn complete_lines_decodable(path: &Path) -> Vec<String> {
    use std::io::Read;
    let mut text = Vec::new();
    let mut dec = flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap());
    let mut chunk = [0u8; 8192];
    loop {
        match dec.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => text.extend_from_slice(&chunk[..n]),
        }
    }
    let text = String::from_utf8_lossy(&text).into_owned();
    text.split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .map(|l| l.trim_end().to_owned())
        .collect()
}

#[test]
fn record_killed_with_sigkill_inspects_and_replays_up_to_its_last_complete_line() {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("k.txt.gz");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ladder"))
        .args(["record", "--sim", "--symbol", "BTCUSDT", "--out"])
        .arg(&cap)
        .args(["--duration", "60s", "--status-every", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(3500));
    assert!(child.try_wait().unwrap().is_none(), "still recording");
    child.kill().unwrap(); // SIGKILL: no gzip trailer, no last flush
    child.wait().unwrap();

    let lines = complete_lines_decodable(&cap);
    let n = lines.len() as u64;
    assert!(n >= 10, "{n} complete lines on disk");

    // inspect: every complete line, then where it stopped; the report is still written.
    let out = ladder()
        .args([
            "inspect",
            cap.to_str().unwrap(),
            "--venue",
            "binance-spot",
            "--json",
        ])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("k.txt.gz is truncated"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["frames"], n, "{report}");
    assert_eq!(report["truncated"]["after_line"], n, "{report}");
    assert_eq!(report["gaps"], 0, "{report}");
    assert!(report["applied"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(report["parse_errors"], 1, "only the cut: {report}");
    let issue = &report["issues"][0];
    assert_eq!(issue["line"], n + 1, "{report}");
    assert!(
        issue["message"]
            .as_str()
            .unwrap()
            .contains("cannot be read from here"),
        "{report}"
    );
    ladder()
        .args([
            "inspect",
            cap.to_str().unwrap(),
            "--venue",
            "binance-spot",
            "--strict",
        ])
        .timeout(TIMEOUT)
        .assert()
        .failure();

    // replay (no strategy): the same lines, a summary, and exit status 1 saying why.
    let report_dir = dir.path().join("report");
    let out = ladder()
        .args([
            "replay",
            cap.to_str().unwrap(),
            "--venue",
            "binance-spot",
            "--report",
        ])
        .arg(&report_dir)
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("k.txt.gz is truncated"), "{stderr}");
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(report_dir.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["frames"], n, "{summary}");
    assert_eq!(summary["truncated"]["after_line"], n, "{summary}");
    assert_eq!(summary["parse_errors"], 0, "{summary}");
    assert_eq!(summary["books"][BTC]["state"], "synced", "{summary}");
}

#[test]
fn record_refuses_an_existing_out_unless_force() {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("taken.txt");
    std::fs::write(&cap, "keep me\n").unwrap();
    let args = [
        "record",
        "--sim",
        "--symbol",
        "BTCUSDT",
        "--out",
        cap.to_str().unwrap(),
        "--duration",
        "1s",
        "--status-every",
        "0",
    ];
    let out = ladder().args(args).timeout(TIMEOUT).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("capture file {} already exists", cap.display()))
            && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("already exists").count(),
        1,
        "one message: {stderr}"
    );
    assert_eq!(std::fs::read_to_string(&cap).unwrap(), "keep me\n");

    // `record` adds its own `--status-every`.
    record(&[&args[1..8], &["--force", "--sync-every", "200ms"]].concat());
    let report = inspect(&cap);
    assert_clean(&report, &[BTC]);
}

#[test]
fn record_refuses_an_existing_first_rotation_file() {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("rot.txt");
    let first = dir.path().join("rot.0001.txt");
    std::fs::write(&first, "keep me\n").unwrap();
    let out = ladder()
        .args(["record", "--sim", "--symbol", "BTCUSDT", "--out"])
        .arg(&cap)
        .args([
            "--duration",
            "1s",
            "--rotate-size",
            "10k",
            "--status-every",
            "0",
        ])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(&first.display().to_string()), "{stderr}");
    assert_eq!(std::fs::read_to_string(&first).unwrap(), "keep me\n");
}

#[test]
fn record_sync_every_must_be_a_positive_duration() {
    let dir = tempfile::tempdir().unwrap();
    let out = ladder()
        .args(["record", "--sim", "--out"])
        .arg(dir.path().join("x.txt"))
        .args(["--sync-every", "0s"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--sync-every") && stderr.contains("positive"),
        "{stderr}"
    );
}

#[test]
fn record_sim_of_another_venue_writes_its_format_and_inspects_clean_as_that_venue() {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("usdm.txt");
    record(&[
        "--sim",
        "--venue",
        "binance-usdm",
        "--symbol",
        "BTCUSDT",
        "--out",
        cap.to_str().unwrap(),
        "--duration",
        "4s",
    ]);
    let text = std::fs::read_to_string(&cap).unwrap();
    assert!(text.contains("\"pu\":"), "futures diffs carry pu");
    let report = inspect_as(&cap, "binance-usdm");
    assert_clean(&report, &["binance-usdm:BTCUSDT"]);
}

/// `ladder inspect --json` of a capture whose venue it recognizes from the content.
fn inspect_detected(path: &Path) -> Value {
    let out = ladder()
        .args(["inspect", path.to_str().unwrap(), "--json", "--depth", "10"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "inspect {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Each capture of a recording of several venues: inspected with its venue recognized from its
/// content, clean, holding only its venue's instrument, and replaying to the recorder's book.
fn assert_one_capture_per_venue(stdout: &str, books: &Path, captures: &[(PathBuf, &str)]) {
    for (path, name) in captures {
        assert!(
            stdout.contains(&path.display().to_string()),
            "{} listed: {stdout}",
            path.display()
        );
        let report = inspect_detected(path);
        assert_clean(&report, &[name]);
        let names: Vec<&String> = report["instruments"].as_object().unwrap().keys().collect();
        assert_eq!(names, [name], "{}: only its venue", path.display());
        assert_same_books(books, &report, &[name]);
    }
}

#[test]
fn record_two_simulated_venues_writes_one_capture_per_venue_each_inspecting_clean() {
    let dir = tempfile::tempdir().unwrap();
    let (cap, books) = (dir.path().join("cap.txt.gz"), dir.path().join("books.json"));
    let stdout = record(&[
        "--sim",
        "--venue",
        "binance-spot",
        "--symbol",
        "BTCUSDT",
        "--venue",
        "binance-usdm",
        "--symbol",
        "BTCUSDT",
        "--out",
        cap.to_str().unwrap(),
        "--duration",
        "4s",
        "--books",
        books.to_str().unwrap(),
    ]);
    assert!(
        !cap.exists(),
        "several venues: the venue is named in each file"
    );
    assert!(stdout.contains("recorded 2 venues"), "{stdout}");
    assert!(stdout.contains("dropped 0"), "{stdout}");
    let (spot, usdm) = (
        dir.path().join("cap.binance-spot.txt.gz"),
        dir.path().join("cap.binance-usdm.txt.gz"),
    );
    assert_one_capture_per_venue(
        &stdout,
        &books,
        &[(spot.clone(), BTC), (usdm.clone(), "binance-usdm:BTCUSDT")],
    );
    // Each file holds its venue's wire format only: futures diffs carry `pu`, spot ones not.
    let pu = |p: &Path| read_capture_lines(p).iter().any(|l| l.contains("\"pu\":"));
    assert!(pu(&usdm) && !pu(&spot));
}

#[test]
fn record_venue_entries_of_the_config_write_one_capture_each_from_their_own_endpoints() {
    let spot = SimProcess::start(&["--symbols", "BTCUSDT"]);
    let usdm = SimProcess::start(&["--venue", "binance-usdm", "--symbols", "ETHUSDT"]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("two.toml");
    let entry = |venue: &str, symbol: &str, sim: &SimProcess| {
        format!(
            "[[venue]]\nname = \"{venue}\"\nsymbols = [\"{symbol}\"]\nws_book = \"{}\"\n\
             ws_trades = \"{}\"\nrest = \"{}\"\nallow_insecure = true\n",
            sim.ws_book, sim.ws_trades, sim.rest
        )
    };
    std::fs::write(
        &config,
        entry("binance-spot", "BTCUSDT", &spot) + &entry("binance-usdm", "ETHUSDT", &usdm),
    )
    .unwrap();
    let (cap, books) = (dir.path().join("cap.txt"), dir.path().join("books.json"));
    let stdout = record(&[
        "--config",
        config.to_str().unwrap(),
        "--out",
        cap.to_str().unwrap(),
        "--duration",
        "4s",
        "--books",
        books.to_str().unwrap(),
    ]);
    assert!(
        !stdout.contains("simulated"),
        "recorded through the entries' endpoints: {stdout}"
    );
    assert_one_capture_per_venue(
        &stdout,
        &books,
        &[
            (dir.path().join("cap.binance-spot.txt"), BTC),
            (
                dir.path().join("cap.binance-usdm.txt"),
                "binance-usdm:ETHUSDT",
            ),
        ],
    );
}

#[test]
fn record_symbol_before_any_of_several_venues_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = ladder()
        .args(["record", "--sim", "--symbol", "BTCUSDT"])
        .args([
            "--venue",
            "binance-spot",
            "--venue",
            "binance-usdm",
            "--out",
        ])
        .arg(dir.path().join("x.txt"))
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim(),
        "error: --symbol BTCUSDT comes before any --venue, and there are 2 venues \
         (binance-spot, binance-usdm); give each venue's symbols after its --venue"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn record_sim_kraken_inspects_clean_with_every_checksum_verified_and_replays_to_the_recorders_books()
 {
    let dir = tempfile::tempdir().unwrap();
    let (cap, books) = (dir.path().join("kraken.txt"), dir.path().join("books.json"));
    record(&[
        "--sim",
        "--venue",
        "kraken",
        "--symbol",
        "BTC/USD",
        "--out",
        cap.to_str().unwrap(),
        "--duration",
        "4s",
        "--books",
        books.to_str().unwrap(),
    ]);
    let report = inspect_as(&cap, "kraken");
    let btc = "kraken:BTC/USD";
    assert_clean(&report, &[btc]);
    let messages = report["applied"].as_u64().unwrap() + report["snapshots"].as_u64().unwrap();
    assert_eq!(
        report["checksums"].as_u64(),
        Some(messages),
        "every book message carries a checksum, and each matched: {report}"
    );
    assert!(report["trades"].as_u64().unwrap() > 0, "trade frames kept");
    assert_same_books(&books, &report, &[btc]);
}
