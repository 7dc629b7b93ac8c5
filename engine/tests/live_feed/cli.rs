//! What the venues' CLI tests share (`bybit_cli.rs`, `okx_cli.rs`, `kraken_cli.rs`,
//! `coinbase_cli.rs`): the `ladder` binary, the example imbalance strategy built once with cargo,
//! and a run that must succeed.

use super::*;
use std::process::Command;
use std::sync::OnceLock;

pub(super) fn ladder() -> assert_cmd::Command {
    assert_cmd::Command::new(env!("CARGO_BIN_EXE_ladder"))
}

/// The example imbalance strategy library, built once into this test's target directory and
/// profile.
pub(super) fn imbalance_lib() -> PathBuf {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| {
        let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .unwrap()
            .to_path_buf();
        let mut cmd = Command::new(env!("CARGO"));
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
pub(super) fn run_ok(cmd: &mut assert_cmd::Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
