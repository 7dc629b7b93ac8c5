//! `ladder new-strategy`: scaffold a strategy crate.

use std::process::ExitCode;

/// Arguments of `ladder new-strategy`.
#[derive(Debug, clap::Args)]
pub(super) struct Args {}

pub(super) fn run(_args: &Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`ladder new-strategy` is not built yet")
}
