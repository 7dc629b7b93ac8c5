//! `ladder plugins check LIB`: validate a strategy library's manifest; say which file was read
//! and the SHA-256 of its bytes (the bytes that were loaded).

use crate::plugin::{self, PluginError};
use std::path::PathBuf;
use std::process::ExitCode;

/// `ladder plugins` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(super) enum Command {
    /// Print a strategy library's manifest, or every reason it cannot be loaded.
    ///
    /// Loading a library runs its initialisers: check only libraries you would run.
    Check {
        /// Path to the shared library.
        lib: PathBuf,
    },
}

pub(super) fn run(cmd: &Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Check { lib } => check(lib),
    }
}

/// Prints the manifest; fails with every mismatch at once.
fn check(lib: &std::path::Path) -> anyhow::Result<ExitCode> {
    let inspection = plugin::inspect(lib)?;
    println!("{}", lib.display());
    println!("file:         {}", inspection.origin.resolved.display());
    println!("sha256:       {}", inspection.origin.sha256);
    println!("{}", inspection.info);
    if !inspection.mismatches.0.is_empty() {
        return Err(PluginError::Incompatible {
            path: lib.to_owned(),
            name: inspection.info.display_name(),
            mismatches: inspection.mismatches,
        }
        .into());
    }
    println!(
        "ok: {} can be loaded by this engine",
        inspection.info.display_name()
    );
    Ok(ExitCode::SUCCESS)
}
