//! Helpers shared by the engine's CLI tests (and the live tests' CLI runs, `live_feed/*_cli.rs`):
//! the shared test data, captures, the `ladder` binary, the example imbalance strategy built
//! once with cargo, and a run that must succeed.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// `../shared/<rel>` next to the workspace. In CI (`CI=true`) a missing file fails the test
/// loudly; elsewhere it prints why the test is skipped and returns `None`.
pub(crate) fn shared(rel: &str) -> Option<PathBuf> {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")).join(rel);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "missing shared test data {} (CI=true requires ../shared beside the checkout)",
        path.display()
    );
    eprintln!("skipped: shared test data {} not found", path.display());
    None
}

/// The lines of a capture, decompressing gzip.
pub(crate) fn read_capture_lines(path: &Path) -> Vec<String> {
    use std::io::{BufRead, BufReader};
    let file = std::fs::File::open(path).expect("open capture");
    let reader: Box<dyn BufRead> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    reader
        .lines()
        .map(|l| l.expect("read capture line"))
        .collect()
}

/// The `ladder` binary built for these tests.
pub(crate) fn ladder() -> assert_cmd::Command {
    assert_cmd::Command::new(env!("CARGO_BIN_EXE_ladder"))
}

/// The example imbalance strategy library, built once into this test's target directory and
/// profile.
pub(crate) fn imbalance_lib() -> PathBuf {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| {
        let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .unwrap()
            .to_path_buf();
        let mut cmd = std::process::Command::new(env!("CARGO"));
        cmd.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
            .args(["build", "--quiet", "-p", "ladder-strategy-imbalance"])
            .arg("--target-dir")
            .arg(&target);
        let profile = if cfg!(debug_assertions) {
            "debug"
        } else {
            cmd.arg("--release");
            "release"
        };
        assert!(
            cmd.status().unwrap().success(),
            "cargo build of the strategy"
        );
        let name = format!(
            "{}ladder_strategy_imbalance{}",
            std::env::consts::DLL_PREFIX,
            std::env::consts::DLL_SUFFIX
        );
        let out = target.join(profile);
        let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let (top, deps) = (out.join(&name), out.join("deps").join(&name));
        match (modified(&top), modified(&deps)) {
            (Some(t), Some(d)) if d > t => deps,
            (None, Some(_)) => deps,
            _ => top,
        }
    })
    .clone()
}

/// Runs `cmd` and returns its output; fails the test, with stdout and stderr, on a non-zero
/// exit.
pub(crate) fn run_ok(cmd: &mut assert_cmd::Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `ladder paper --config <config> --headless --strategy <the example imbalance strategy>
/// --report <report>`, bounded to 60 s; the caller adds the venue and the duration.
pub(crate) fn paper_with_imbalance(config: &Path, report: &Path) -> assert_cmd::Command {
    let mut cmd = ladder();
    cmd.args(["paper", "--config"])
        .arg(config)
        .args(["--headless", "--strategy"])
        .arg(imbalance_lib())
        .arg("--report")
        .arg(report)
        .timeout(std::time::Duration::from_secs(60));
    cmd
}

/// `ladder record --config <config> --status-every 0 --out <capture> --books <books>`, bounded
/// to 60 s; the caller adds the venue and the duration.
pub(crate) fn record_to(config: &Path, capture: &Path, books: &Path) -> assert_cmd::Command {
    let mut cmd = ladder();
    cmd.args(["record", "--config"])
        .arg(config)
        .args(["--status-every", "0", "--out"])
        .arg(capture)
        .arg("--books")
        .arg(books)
        .timeout(std::time::Duration::from_secs(60));
    cmd
}

/// A JSON file the binary wrote (`summary.json`, `--books`).
pub(crate) fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `[["price","qty"], ..]` of a summary's or a report's book as decimals.
pub(crate) fn json_levels(
    v: &serde_json::Value,
) -> Vec<(rust_decimal::Decimal, rust_decimal::Decimal)> {
    let dec = |s: &serde_json::Value| {
        s.as_str()
            .unwrap()
            .parse::<rust_decimal::Decimal>()
            .unwrap()
            .normalize()
    };
    v.as_array()
        .unwrap()
        .iter()
        .map(|l| (dec(&l[0]), dec(&l[1])))
        .collect()
}

/// `ladder inspect <capture> --json --depth 10 <args>`, bounded to 60 s: its report, which must
/// have met no gap and no line it could not read.
pub(crate) fn inspect_json(capture: &Path, args: &[&str]) -> serde_json::Value {
    let out = run_ok(
        ladder()
            .arg("inspect")
            .arg(capture)
            .args(["--json", "--depth", "10"])
            .args(args)
            .timeout(std::time::Duration::from_secs(60)),
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (&report["gaps"], &report["parse_errors"]),
        (&serde_json::Value::from(0), &serde_json::Value::from(0)),
        "{report}"
    );
    report
}

/// The recorder's book of each of `names` (`venue:symbol`, from its `--books` file) and
/// `ladder inspect`'s of the capture are both synced, at the same last update id, with the same
/// 10 levels a side.
pub(crate) fn assert_recorder_books_are_inspects(
    books: &serde_json::Value,
    report: &serde_json::Value,
    names: &[String],
) {
    for name in names {
        let (live, replayed) = (&books[name], &report["instruments"][name]);
        assert_eq!(live["state"], "synced", "{name}: recorder's book {live}");
        assert_eq!(replayed["state"], "synced", "{name}: replayed {replayed}");
        assert_eq!(live["last_update_id"], replayed["last_update_id"], "{name}");
        for side in ["bids", "asks"] {
            let (a, b) = (json_levels(&live[side]), json_levels(&replayed[side]));
            assert_eq!(a.len(), 10, "{name} {side}");
            assert_eq!(a, b, "{name} {side}: recorder vs inspect");
        }
    }
}
