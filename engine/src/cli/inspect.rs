//! `ladder inspect CAPTURE --venue V [--depth N] [--json]`: replay a capture through decoder,
//! sequencer and book, and report its integrity.

use crate::feed::Venue;
use crate::inspect::{InspectOptions, inspect};
use anyhow::Context as _;
use ladder_sdk::InstrumentSpec;
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `ladder inspect`.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Capture file: `<ts_recv_unix_ns> <frame>` lines, plain or gzip.
    capture: PathBuf,
    /// Venue whose wire format and sync rules apply (binance-spot, binance-usdm, binance-coinm).
    #[arg(long)]
    venue: Venue,
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
    let options = InspectOptions {
        venue: args.venue,
        depth: args.depth,
        grid,
    };
    let report = inspect(&args.capture, &options)?;
    if report.frames == 0 && report.truncated.is_none() {
        anyhow::bail!(
            "capture {} is empty: no frames to inspect",
            args.capture.display()
        );
    }
    let named_gz = args.capture.extension().is_some_and(|e| e == "gz");
    if named_gz && !report.compressed {
        eprintln!(
            "note: {} is named .gz but is not gzip-compressed; read it as plain text",
            args.capture.display()
        );
    }
    if let Some(stop) = &report.truncated {
        eprintln!(
            "warning: capture {} is truncated: {stop}",
            args.capture.display()
        );
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
