//! `ladder fit-microprice`: fit Stoikov's G* table.

use std::process::ExitCode;

/// Arguments of `ladder fit-microprice`.
#[derive(Debug, clap::Args)]
pub(super) struct Args {}

pub(super) fn run(_args: &Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`ladder fit-microprice` is not built yet")
}
