//! `ladder new-strategy` end to end: a crate scaffolded in a temporary folder outside the
//! checkout (under an unrelated workspace, as in a strategy author's own repository) builds with
//! `cargo build --release --offline`, passes `ladder plugins check`, loads and emits its signal;
//! the SDK it depends on (this engine's, `--sdk`, `--sdk-git`, the enclosing checkout's); and
//! bad input.
//!
//! The scaffold builds into the workspace's target directory (with the workspace's lockfile),
//! so its dependencies are compiled once and reused by later runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::ladder;
use ladder_engine::plugin::{CallOutcome, HostConfig, StrategyInstance};
use ladder_sdk::{BookView, InstrumentId, Level, Price, Quantity, UnixNanos};
use predicates::prelude::*;
use std::path::{Path, PathBuf};

/// The workspace root (the checkout).
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .canonicalize()
        .expect("canonical workspace")
}

/// `ladder-sdk = { path = "<this checkout's sdk>" }`, as the scaffold writes it.
fn absolute_sdk_dep() -> String {
    let sdk = workspace().join("sdk");
    format!("ladder-sdk = {{ path = \"{}\" }}", sdk.display())
}

fn cargo_toml(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("Cargo.toml")).expect("Cargo.toml")
}

/// `cargo build --release --offline` in `dir` with the workspace's lockfile, into the
/// workspace's target directory; returns the release output directory.
fn build_release(dir: &Path) -> PathBuf {
    std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy lockfile");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .to_owned();
    let out = std::process::Command::new(env!("CARGO"))
        .current_dir(dir)
        .args(["build", "--release", "--offline", "--quiet"])
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("run cargo build for the scaffold");
    assert!(
        out.status.success(),
        "the scaffolded strategy does not build:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    target.join("release")
}

fn lib_name(stem: &str) -> String {
    use std::env::consts::{DLL_PREFIX, DLL_SUFFIX};
    format!("{DLL_PREFIX}{stem}{DLL_SUFFIX}")
}

fn lv(px: i64, qty: i64) -> Level {
    Level::new(Price::from_ticks(px), Quantity::from_lots(qty))
}

#[test]
fn new_strategy_outside_the_checkout_builds_passes_check_and_emits() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().canonicalize().expect("canonical");
    assert!(
        !root.starts_with(workspace()),
        "the temporary folder is outside the checkout"
    );
    // The author's own repository: a workspace that does not list the new crate.
    std::fs::write(root.join("Cargo.toml"), "[workspace]\nmembers = []\n").expect("write");
    let parent = root.join("strategies");
    std::fs::create_dir(&parent).expect("mkdir");
    ladder()
        .args(["new-strategy", "my-strat"])
        .current_dir(&parent)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "created strategy crate `my-strat`",
        ));
    let dir = parent.join("my-strat");
    for f in ["Cargo.toml", "src/lib.rs", "README.md", ".gitignore"] {
        assert!(dir.join(f).exists(), "{f} missing");
    }
    let toml = cargo_toml(&dir);
    assert!(toml.contains(&absolute_sdk_dep()), "{toml}");
    assert!(
        toml.contains("\n[workspace]\n"),
        "its own workspace:\n{toml}"
    );

    let lib = build_release(&dir).join(lib_name("my_strat"));
    ladder()
        .args(["plugins", "check"])
        .arg(&lib)
        .assert()
        .success()
        .stdout(predicate::str::contains("name:         my-strat"))
        .stdout(predicate::str::contains("ok: my-strat 0.1.0 can be loaded"));
    // And it runs: registers its signal and emits the top-of-book imbalance.
    let mut inst = StrategyInstance::load(&lib, "", &HostConfig::default()).expect("loads");
    assert_eq!(inst.signal_names(), ["imbalance"]);
    let (bids, asks) = ([lv(10, 3)], [lv(11, 1)]);
    let book = BookView::new(InstrumentId::new(0), &bids, &asks);
    assert_eq!(inst.on_book(UnixNanos::ZERO, &book), CallOutcome::Ok);
    let values: Vec<f64> = inst.output().signals.iter().map(|s| s.value).collect();
    assert_eq!(values, [0.5]);
}

#[test]
fn new_strategy_sdk_flag_writes_that_sdk_by_absolute_path() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // `--sdk-path` is the older spelling of `--sdk`.
    for (flag, name) in [("--sdk", "with-sdk"), ("--sdk-path", "with-sdk-path")] {
        ladder()
            .args(["new-strategy", name, "--path"])
            .arg(tmp.path())
            .arg(flag)
            .arg(workspace().join("engine/../sdk"))
            .assert()
            .success();
        let toml = cargo_toml(&tmp.path().join(name));
        assert!(toml.contains(&absolute_sdk_dep()), "{flag}:\n{toml}");
    }
}

#[test]
fn new_strategy_sdk_git_writes_a_git_dependency() {
    let tmp = tempfile::tempdir().expect("tempdir");
    ladder()
        .args(["new-strategy", "from-git", "--path"])
        .arg(tmp.path())
        .args(["--sdk-git", "https://github.com/ladder-rs/ladder"])
        .assert()
        .success();
    let toml = cargo_toml(&tmp.path().join("from-git"));
    assert!(
        toml.contains("ladder-sdk = { git = \"https://github.com/ladder-rs/ladder\" }"),
        "{toml}"
    );
}

#[test]
fn new_strategy_refuses_bad_sdk_flags() {
    let tmp = tempfile::tempdir().expect("tempdir");
    ladder()
        .args(["new-strategy", "both", "--path"])
        .arg(tmp.path())
        .arg("--sdk")
        .arg(workspace().join("sdk"))
        .args(["--sdk-git", "https://github.com/ladder-rs/ladder"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot be used with"));
    ladder()
        .args(["new-strategy", "not-sdk", "--path"])
        .arg(tmp.path())
        .arg("--sdk")
        .arg(tmp.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "no Cargo.toml of package `ladder-sdk` there",
        ));
    ladder()
        .args(["new-strategy", "bad-url", "--path"])
        .arg(tmp.path())
        .args(["--sdk-git", "github.com/ladder-rs/ladder"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "--sdk-git `github.com/ladder-rs/ladder` is not a git URL",
        ));
    for name in ["both", "not-sdk", "bad-url"] {
        assert!(!tmp.path().join(name).exists(), "{name} left behind");
    }
}

#[test]
fn new_strategy_inside_the_checkout_uses_a_relative_sdk_path() {
    let parent = Path::new(env!("CARGO_TARGET_TMPDIR")).join("new-strategy-inside");
    let _ = std::fs::remove_dir_all(&parent);
    std::fs::create_dir_all(&parent).expect("mkdir");
    let parent = parent.canonicalize().expect("canonical");
    if !parent.starts_with(workspace()) {
        eprintln!("skipped: the target directory is outside the workspace");
        return;
    }
    ladder()
        .args(["new-strategy", "inside"])
        .current_dir(&parent)
        .assert()
        .success();
    let dir = parent.join("inside");
    let depth = dir
        .strip_prefix(workspace())
        .expect("inside")
        .components()
        .count();
    let want = format!("ladder-sdk = {{ path = \"{}sdk\" }}", "../".repeat(depth));
    let toml = cargo_toml(&dir);
    assert!(toml.contains(&want), "want `{want}` in:\n{toml}");
    let sdk = dir.join("../".repeat(depth)).join("sdk/Cargo.toml");
    assert!(sdk.exists(), "the relative path resolves to the sdk");
}

#[test]
fn new_strategy_refuses_bad_names_and_existing_dirs() {
    let tmp = tempfile::tempdir().expect("tempdir");
    ladder()
        .args(["new-strategy", "2bad", "--path"])
        .arg(tmp.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains("invalid strategy name `2bad`"));
    std::fs::create_dir(tmp.path().join("taken")).expect("mkdir");
    ladder()
        .args(["new-strategy", "taken", "--path"])
        .arg(tmp.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains("already exists"));
}
