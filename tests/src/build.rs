//! Building the `ladder` binary and plugin libraries from inside a test, once per test binary,
//! into the test's own target directory and profile.

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_owned)
        .unwrap_or_default()
}

/// The target directory, from a test's `env!("CARGO_TARGET_TMPDIR")`.
pub fn target_dir(target_tmpdir: &str) -> PathBuf {
    Path::new(target_tmpdir)
        .parent()
        .map(Path::to_owned)
        .unwrap_or_default()
}

/// `lib<stem>.so` (or the platform's name for a shared library).
pub fn lib_name(stem: &str) -> String {
    use std::env::consts::{DLL_PREFIX, DLL_SUFFIX};
    format!("{DLL_PREFIX}{stem}{DLL_SUFFIX}")
}

/// The newer of `<out>/lib<stem>.so` and `<out>/deps/lib<stem>.so`. A crate that is also a
/// dependency of the test may already be compiled (both crate types) into `deps/`; a later
/// `cargo build` then finds it fresh and does not always copy the `cdylib` up to `<out>/`,
/// which can leave an older library there.
pub fn newest_lib(out: &Path, stem: &str) -> PathBuf {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let (top, deps) = (
        out.join(lib_name(stem)),
        out.join("deps").join(lib_name(stem)),
    );
    match (modified(&top), modified(&deps)) {
        (Some(t), Some(d)) if d > t => deps,
        (None, Some(_)) => deps,
        _ => top,
    }
}

/// This build's profile directory and the cargo flags that select it.
pub fn profile() -> (&'static str, &'static [&'static str]) {
    if cfg!(debug_assertions) {
        ("debug", &[])
    } else {
        ("release", &["--release"])
    }
}

/// Runs `cargo build <args>` in the workspace, in this build's profile, into the test's target
/// directory; returns the profile's output directory.
///
/// # Panics
/// If cargo cannot be run or the build fails.
pub fn cargo_build(target_tmpdir: &str, args: &[&str]) -> PathBuf {
    let (dir, flags) = profile();
    let target = target_dir(target_tmpdir);
    let status = std::process::Command::new(env!("CARGO"))
        .current_dir(workspace())
        .args(["build", "--quiet"])
        .args(args)
        .args(flags)
        .arg("--target-dir")
        .arg(&target)
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo build {args:?}: {e}"));
    assert!(status.success(), "cargo build {args:?} failed");
    target.join(dir)
}

/// Builds the `ladder` binary, then the libraries of `packages`, into the test's target
/// directory and profile (two builds: `--bin` would restrict the target selection of every
/// `-p` package); returns the profile's output directory, where [`ladder_bin`] and
/// [`newest_lib`] find them.
///
/// # Panics
/// If cargo cannot be run or a build fails.
pub fn ladder_and_libraries(target_tmpdir: &str, packages: &[&str]) -> PathBuf {
    let out = cargo_build(target_tmpdir, &["-p", "ladder-engine", "--bin", "ladder"]);
    let args: Vec<&str> = packages.iter().flat_map(|p| ["-p", *p]).collect();
    cargo_build(target_tmpdir, &args);
    out
}

/// The `ladder` binary in the output directory `out`.
pub fn ladder_bin(out: &Path) -> PathBuf {
    out.join(format!("ladder{}", std::env::consts::EXE_SUFFIX))
}

/// The `ladder` binary and the two example strategy libraries, `(ladder, imbalance,
/// microprice)`: built once per test binary (the first caller builds, into `target_tmpdir`).
pub fn ladder_and_examples(target_tmpdir: &str) -> &'static (PathBuf, PathBuf, PathBuf) {
    static BUILT: std::sync::OnceLock<(PathBuf, PathBuf, PathBuf)> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let out = cargo_build(
            target_tmpdir,
            &[
                "-p",
                "ladder-engine",
                "-p",
                "ladder-strategy-imbalance",
                "-p",
                "ladder-strategy-microprice",
            ],
        );
        (
            ladder_bin(&out),
            newest_lib(&out, "ladder_strategy_imbalance"),
            newest_lib(&out, "ladder_strategy_microprice"),
        )
    })
}
