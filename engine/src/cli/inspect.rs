//! `ladder inspect`: replay a capture through decoder, sequencer and book, report integrity.

use std::process::ExitCode;

/// Arguments of `ladder inspect`.
#[derive(Debug, clap::Args)]
pub(super) struct Args {}

pub(super) fn run(_args: &Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`ladder inspect` is not built yet")
}
