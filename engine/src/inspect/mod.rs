//! `ladder inspect`: replay captures through decoder, sequencer and book, and report their
//! integrity: frames, applied, dropped and duplicate diffs, integrity faults by kind (gaps, ids
//! out of order, snapshots the stream never reaches, crossed books), trades, book-ticker
//! cross-checks, parse errors, and each instrument's final book (the sequencer's own).
//!
//! Two passes over the files (both streaming, constant memory): the first finds the symbols and,
//! unless a grid is configured, infers each one's tick and lot size from the decimal places its
//! prices and quantities use (one outlier cannot set it: [`crate::capture::grid`]); the second
//! runs the [capture pipeline](crate::capture::pipeline). Several captures are read as one
//! stream ([`crate::capture::merge`]). A file that cannot be read to its end is reported up to
//! the last complete line, with where and why it stopped; clock anomalies in the receive stamps
//! are counted ([`crate::capture::clock`]).

mod report;

pub use crate::capture::grid::{
    GridSource, Inference, MIN_VALUES, OUTLIER_RATIO, SymbolGrid, infer_grids, tolerated,
};
pub use report::{InspectReport, InstrumentReport, LineIssue};

use crate::capture::Truncation;
use crate::capture::grid::{RegistryBuildError, build_registry};
use crate::capture::merge::CaptureInput;
use crate::capture::pipeline::{Books, Pipeline, Step};
use crate::feed::books::{Discard, FrameError, FrameKind};
use ladder_sdk::{Bbo, BookState, InstrumentSpec, Level};

/// How many malformed lines are kept with their messages (all are counted).
pub const MAX_ISSUES: usize = 20;

/// What `inspect` needs besides the captures.
#[derive(Debug, Clone)]
pub struct InspectOptions {
    /// Levels per side in the report.
    pub depth: usize,
    /// A grid for every symbol; `None` infers each symbol's grid from the capture.
    pub grid: Option<InstrumentSpec>,
}

/// Replays `inputs` (one stream, merged by receive time) and reports.
pub fn inspect(
    inputs: &[CaptureInput],
    options: &InspectOptions,
) -> Result<InspectReport, RegistryBuildError> {
    let (registry, grids) = build_registry(inputs, &[], options.grid)?;
    let mut report = InspectReport::new(inputs);
    let mut pipeline = Pipeline::open(inputs, &registry)?;
    report.compressed = pipeline.is_compressed();
    while let Some(step) = pipeline.step(&registry, &mut Discard) {
        report.frames += 1;
        match step {
            Step::Malformed { line, error } => report.issue(line, error.to_string()),
            Step::Rejected { line, error } => {
                if matches!(error, FrameError::UnownedSnapshot) {
                    report.snapshots += 1;
                }
                report.issue(line, error.to_string());
            }
            Step::Frame { frame, .. } => match frame.kind {
                FrameKind::Depth => report.depth_updates += 1,
                FrameKind::Snapshot => report.snapshots += 1,
                FrameKind::Trade | FrameKind::SpecialTrade => report.trades += 1,
                FrameKind::AggTrade => report.agg_trades += 1,
                FrameKind::Bbo(bbo) => check_bbo(&bbo, pipeline.books(), &mut report),
                FrameKind::Control | FrameKind::Shutdown | FrameKind::Ignored => {
                    report.ignored += 1
                }
            },
        }
    }
    if let Some(stop) = pipeline.truncation() {
        let Truncation { after_line, error } = stop;
        let message = format!("the capture cannot be read from here: {error}");
        report.issue(after_line + 1, message);
        report.truncated = Some(stop.clone());
    }
    report.clock = pipeline.clock();
    for g in &grids {
        let Some(inst) = registry.lookup(g.venue, g.symbol.as_bytes()) else {
            continue;
        };
        if let Some(view) = pipeline.books().view(inst.id) {
            report.add_instrument(inst, g.source, &view, options.depth);
        }
        if let Some(i) = report.instruments.get_mut(&inst.name) {
            i.inference = g.inference;
        }
    }
    Ok(report)
}

fn check_bbo(bbo: &Bbo, books: &Books, report: &mut InspectReport) {
    report.book_tickers += 1;
    let Some(view) = books.view(bbo.instrument) else {
        return;
    };
    if view.state != BookState::Synced || view.last_update_id != Some(bbo.update_id) {
        return;
    }
    report.bbo_checked += 1;
    let bid = view.book.best_bid();
    let ask = view.book.best_ask();
    let matches = bid == Some(Level::new(bbo.bid_price, bbo.bid_qty))
        && ask == Some(Level::new(bbo.ask_price, bbo.ask_qty));
    if !matches {
        report.bbo_mismatches += 1;
    }
}
