//! `ladder inspect`: replay a capture through decoder, sequencer and book, and report its
//! integrity: frames, applied, dropped and duplicate diffs, integrity faults by kind (gaps, ids
//! out of order, snapshots the stream never reaches, crossed books), trades, book-ticker
//! cross-checks, parse errors, and each instrument's final book (the sequencer's own).
//!
//! Two passes over the file (both streaming, constant memory): the first finds the symbols and,
//! unless a grid is configured, infers each one's tick and lot size from the decimal places its
//! prices and quantities use (one outlier cannot set it: [`grid`]); the second replays. A file
//! that cannot be read to its end is reported up to the last complete line, with where and why
//! it stopped; clock anomalies in the receive stamps are counted ([`crate::capture::clock`]).

mod grid;
mod report;

pub use grid::{
    GridSource, Inference, MIN_VALUES, OUTLIER_RATIO, SymbolGrid, infer_grids, tolerated,
};
pub use report::{InspectReport, InstrumentReport, LineIssue};

use crate::capture::clock::Timeline;
use crate::capture::{CaptureError, CaptureReader, Next};
use crate::feed::Venue;
use crate::feed::binance::{
    Decoded, Decoder, NullSink, Sequencer, SnapshotHeader, SyncRule, snapshot_owner,
};
use crate::instrument::Registry;
use ladder_sdk::{Bbo, BookState, InstrumentSpec, Level};
use std::path::Path;

/// How many malformed lines are kept with their messages (all are counted).
pub const MAX_ISSUES: usize = 20;

/// What `inspect` needs besides the capture.
#[derive(Debug, Clone)]
pub struct InspectOptions {
    /// The venue whose wire format and sequencing rules apply.
    pub venue: Venue,
    /// Levels per side in the report.
    pub depth: usize,
    /// A grid for every symbol; `None` infers each symbol's grid from the capture.
    pub grid: Option<InstrumentSpec>,
}

/// Replays `path` and reports.
pub fn inspect(path: &Path, options: &InspectOptions) -> Result<InspectReport, CaptureError> {
    let grids = infer_grids(path, options.grid)?;
    let mut registry = Registry::new();
    let mut sources = Vec::new();
    for g in &grids.symbols {
        // Symbols were validated by the decoder's scan; a duplicate cannot occur.
        if registry.add(&g.symbol, g.spec).is_ok() {
            sources.push((g.source, g.inference));
        }
    }
    let rule = SyncRule::for_venue(options.venue);
    let mut seqs: Vec<Sequencer> = registry
        .iter()
        .map(|i| Sequencer::new(i.id, rule))
        .collect();

    let mut report = InspectReport::new(options.venue);
    let mut decoder = Decoder::new();
    let mut reader = CaptureReader::open(path)?;
    let mut timeline = Timeline::new();
    report.compressed = reader.is_compressed();
    // A read error ends the capture: the lines before it are kept, and `truncation` says where
    // it stopped.
    while let Ok(Some(next)) = reader.next_line() {
        report.frames += 1;
        let line = match next {
            Next::Line(l) => l,
            Next::Malformed { line, error } => {
                report.issue(line, error.to_string());
                continue;
            }
        };
        timeline.step(line.line, line.ts_recv);
        match decoder.decode(line.frame, line.ts_recv, &registry) {
            Ok(Decoded::Depth(h)) => {
                report.depth_updates += 1;
                let (bids, asks) = (decoder.bids(), decoder.asks());
                seqs[h.instrument.index()].on_depth(&h, bids, asks, &mut NullSink);
            }
            Ok(Decoded::Snapshot(s)) => {
                report.snapshots += 1;
                if let Err(msg) = apply_snapshot(&s, &mut decoder, &registry, &mut seqs) {
                    report.issue(line.line, msg);
                }
            }
            Ok(Decoded::Trade(_) | Decoded::SpecialTrade(_)) => report.trades += 1,
            Ok(Decoded::AggTrade(_)) => report.agg_trades += 1,
            Ok(Decoded::BookTicker(bbo)) => check_bbo(&bbo, &seqs, &mut report),
            Ok(Decoded::Control | Decoded::ServerShutdown | Decoded::Ignored) => {
                report.ignored += 1
            }
            Err(e) => report.issue(line.line, e.to_string()),
        }
    }
    if let Some(stop) = reader.truncation() {
        let message = format!("the capture cannot be read from here: {}", stop.error);
        report.issue(stop.after_line + 1, message);
        report.truncated = Some(stop.clone());
    }
    report.clock = timeline.report();
    for (seq, (source, inference)) in seqs.iter().zip(sources) {
        let inst = registry.get(seq.instrument());
        report.add_instrument(inst, source, seq, options.depth);
        if let Some(i) = report.instruments.get_mut(&inst.symbol) {
            i.inference = inference;
        }
    }
    Ok(report)
}

/// Applies a snapshot to its instrument: the one it names, or for a bare REST body, the only
/// instrument of the capture, or the one waiting for a snapshot whose buffered diffs it lines
/// up with.
fn apply_snapshot(
    s: &SnapshotHeader,
    decoder: &mut Decoder,
    registry: &Registry,
    seqs: &mut [Sequencer],
) -> Result<(), String> {
    let id = match s.instrument {
        Some(id) => id,
        None => {
            let id = snapshot_owner(s.last_update_id, seqs.iter()).ok_or_else(|| {
                "depth snapshot names no symbol and matches no single waiting book; \
                 record multi-symbol captures with `<symbol>@depthSnapshot` envelopes"
                    .to_owned()
            })?;
            decoder
                .resolve_snapshot(registry.get(id))
                .map_err(|e| e.to_string())?;
            id
        }
    };
    seqs[id.index()].on_snapshot(
        s.last_update_id,
        decoder.bids(),
        decoder.asks(),
        &mut NullSink,
    );
    Ok(())
}

fn check_bbo(bbo: &Bbo, seqs: &[Sequencer], report: &mut InspectReport) {
    report.book_tickers += 1;
    let seq = &seqs[bbo.instrument.index()];
    if seq.state() != BookState::Synced || seq.last_update_id() != Some(bbo.update_id) {
        return;
    }
    report.bbo_checked += 1;
    let bid = seq.book().best_bid();
    let ask = seq.book().best_ask();
    let matches = bid == Some(Level::new(bbo.bid_price, bbo.bid_qty))
        && ask == Some(Level::new(bbo.ask_price, bbo.ask_qty));
    if !matches {
        report.bbo_mismatches += 1;
    }
}
