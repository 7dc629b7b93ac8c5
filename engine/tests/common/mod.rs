//! Helpers shared by the engine's CLI tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

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
