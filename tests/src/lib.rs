//! Shared helpers for ladder's cross-crate integration tests.

use std::path::PathBuf;

/// `../shared/<rel>` next to the workspace. In CI (`CI=true`) a missing file fails the test
/// loudly; elsewhere it prints why the test is skipped and returns `None`.
pub fn shared(rel: &str) -> Option<PathBuf> {
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
