//! `ladder fit-microprice --input FILE --tick T --imbalance-buckets N --spread-ticks M
//! [--bucketing symmetric|quantile] [--venue V] [--symbol S] [--out TABLE.json]`: fit Stoikov's
//! G* table (`docs/signals.md` §3.3–3.4) and write it as JSON.

use super::args::venue_parser;
use crate::feed::Venue;
use crate::microprice::{Bucketing, FitConfig, TableFile, fit, is_capture, read_capture, read_csv};
use anyhow::Context as _;
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `ladder fit-microprice`.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Quotes: a headerless CSV `date,time,bid,bid_size,ask,ask_size` (Stoikov's layout), or a
    /// capture (`<ts_ns> <frame>` lines, plain or gzip; told apart by its first line) whose
    /// best bid/offer (bookTicker) messages are sampled once per second.
    #[arg(long)]
    input: PathBuf,
    /// The instrument tick, e.g. 0.01.
    #[arg(long)]
    tick: Decimal,
    /// Number of imbalance buckets N.
    #[arg(long)]
    imbalance_buckets: usize,
    /// Largest spread in ticks M: rows with spreads of 1..=M ticks are used.
    #[arg(long)]
    spread_ticks: usize,
    /// Bucket edges and no-move booking: symmetric = equal-width buckets symmetric about 0.5 with
    /// strict Q booking (PR #2); quantile = pandas.qcut edges with the author's Q booking.
    #[arg(long, value_enum, default_value_t = Bucketing::Symmetric)]
    bucketing: Bucketing,
    /// Read `--input` as a capture of this venue (default: a capture's venue is recognized from
    /// its content).
    #[arg(long, value_parser = venue_parser())]
    venue: Option<Venue>,
    /// The instrument of a capture to fit, `venue:SYMBOL` or a symbol (needed when the capture
    /// quotes several).
    #[arg(long)]
    symbol: Option<String>,
    /// Write the table here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub(super) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let capture = args.venue.is_some() || args.symbol.is_some() || is_capture(&args.input)?;
    let quotes = if capture {
        let q = read_capture(&args.input, args.venue, args.symbol.as_deref())?;
        if let Some((line, why)) = &q.first_rejected {
            eprintln!(
                "note: {} frames of {} could not be decoded and were skipped (the first at line \
                 {line}: {why})",
                q.rejected,
                args.input.display()
            );
        }
        eprintln!("note: quotes of {}", q.instrument);
        q.quotes
    } else {
        read_csv(&args.input)?
    };
    let config = FitConfig {
        tick: args.tick,
        imbalance_buckets: args.imbalance_buckets,
        spread_ticks: args.spread_ticks,
        bucketing: args.bucketing,
    };
    let fitted = fit(&quotes, config)?;
    eprintln!(
        "note: {} of {} quote rows used ({} outside 1..={} ticks, {} without size); {} transitions \
         ({} dropped for a mid move above one tick), symmetrised; G* summed over {} terms",
        fitted.rows_used,
        quotes.len(),
        fitted.rows_dropped_spread,
        args.spread_ticks,
        fitted.rows_dropped_size,
        fitted.transitions,
        fitted.transitions_dropped_jump,
        fitted.g_star_terms,
    );
    if !fitted.unvisited.is_empty() {
        let names: Vec<String> = fitted
            .unvisited
            .iter()
            .map(|s| format!("(spread {} ticks, bucket {})", s.spread_ticks, s.bucket))
            .collect();
        eprintln!(
            "note: {} unvisited states have no transitions; their G1, G6 and G* are set to 0: {}",
            names.len(),
            names.join(", ")
        );
    }
    if fitted.k.is_empty() {
        eprintln!("note: no mid move was observed; every G is 0");
    }
    let json = serde_json::to_string_pretty(&TableFile::from_fit(&fitted))?;
    match &args.out {
        Some(path) => std::fs::write(path, json + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => println!("{json}"),
    }
    Ok(ExitCode::SUCCESS)
}
