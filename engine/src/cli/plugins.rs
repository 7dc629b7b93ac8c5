//! `ladder plugins check LIB`: validate a strategy library's manifest.

use std::process::ExitCode;

/// `ladder plugins` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(super) enum Command {
    /// Print a strategy library's manifest, or every reason it cannot be loaded.
    Check {
        /// Path to the shared library.
        lib: std::path::PathBuf,
    },
}

pub(super) fn run(_cmd: &Command) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`ladder plugins check` is not built yet")
}
