//! `ladder inspect CAPTURE... [--venue V] [--depth N] [--json]`: replay captures through
//! decoder, sequencer and book, and report their integrity.

use super::args::CaptureArgs;
use crate::capture::merge::describe;
use crate::inspect::{InspectOptions, inspect};
use anyhow::Context as _;
use ladder_sdk::InstrumentSpec;
use rust_decimal::Decimal;
use std::process::ExitCode;

/// Arguments of `ladder inspect`.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    captures: CaptureArgs,
    /// Levels per side to show.
    #[arg(long, default_value_t = 10)]
    depth: usize,
    /// Print exactly one JSON object on stdout.
    #[arg(long)]
    json: bool,
    /// Tick size for every symbol (default: inferred from the capture).
    #[arg(long, requires = "lot_size")]
    tick_size: Option<Decimal>,
    /// Lot size for every symbol (default: inferred from the capture).
    #[arg(long, requires = "tick_size")]
    lot_size: Option<Decimal>,
    /// Exit with status 1 if any gap, book-ticker mismatch, parse error or stale book is found,
    /// or the capture cannot be read to its end.
    #[arg(long)]
    strict: bool,
}

pub(super) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let grid = match (args.tick_size, args.lot_size) {
        (Some(tick), Some(lot)) => {
            Some(InstrumentSpec::new(tick, lot).context("invalid --tick-size/--lot-size")?)
        }
        _ => None,
    };
    let inputs = args.captures.inputs()?;
    let options = InspectOptions {
        depth: args.depth,
        grid,
    };
    let report = inspect(&inputs, &options)?;
    let name = describe(&inputs);
    if report.frames == 0 && report.truncated.is_none() {
        anyhow::bail!("capture {name} is empty: no frames to inspect");
    }
    let named_gz = inputs.len() == 1 && inputs[0].path.extension().is_some_and(|e| e == "gz");
    if named_gz && !report.compressed {
        eprintln!("note: {name} is named .gz but is not gzip-compressed; read it as plain text");
    }
    if let Some(stop) = &report.truncated {
        eprintln!("warning: capture {name} is truncated: {stop}");
    }
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_human());
    }
    if args.strict && !report.is_clean() {
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
