//! `ladder inspect`: replay a capture through decoder, sequencer and book, and report its
//! integrity: frames, applied and dropped diffs, gaps, trades, book-ticker cross-checks, parse
//! errors, and each instrument's final book.
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

use crate::book::{BookConfig, L2Book};
use crate::capture::clock::Timeline;
use crate::capture::{CaptureError, CaptureReader, Next};
use crate::feed::Venue;
use crate::feed::binance::{
    Decoded, Decoder, DepthHeader, Gap, Sequencer, SnapshotHeader, SyncRule, SyncSink,
    snapshot_owner,
};
use crate::instrument::Registry;
use ladder_sdk::{Bbo, BookState, InstrumentId, InstrumentSpec, Level, Side};
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

/// Applies the sequencer's decisions to a book.
struct BookSink<'a> {
    book: &'a mut L2Book,
}

impl SyncSink for BookSink<'_> {
    fn snapshot(&mut self, _: InstrumentId, _: u64, bids: &[Level], asks: &[Level]) {
        self.book.clear();
        self.apply(bids, asks);
    }

    fn delta(&mut self, _: &DepthHeader, bids: &[Level], asks: &[Level]) {
        self.apply(bids, asks);
    }

    fn gap(&mut self, _: InstrumentId, _: Gap) {}
}

impl BookSink<'_> {
    fn apply(&mut self, bids: &[Level], asks: &[Level]) {
        for l in bids {
            self.book.apply(Side::Buy, l.price, l.qty);
        }
        for l in asks {
            self.book.apply(Side::Sell, l.price, l.qty);
        }
    }
}

struct Tracked {
    seq: Sequencer,
    book: L2Book,
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
    let mut tracked: Vec<Tracked> = registry
        .iter()
        .map(|i| Tracked {
            seq: Sequencer::new(i.id, rule),
            book: L2Book::new(BookConfig::default()),
        })
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
                let t = &mut tracked[h.instrument.index()];
                let (bids, asks) = (decoder.bids(), decoder.asks());
                t.seq
                    .on_depth(&h, bids, asks, &mut BookSink { book: &mut t.book });
            }
            Ok(Decoded::Snapshot(s)) => {
                report.snapshots += 1;
                if let Err(msg) = apply_snapshot(&s, &mut decoder, &registry, &mut tracked) {
                    report.issue(line.line, msg);
                }
            }
            Ok(Decoded::Trade(_) | Decoded::SpecialTrade(_)) => report.trades += 1,
            Ok(Decoded::AggTrade(_)) => report.agg_trades += 1,
            Ok(Decoded::BookTicker(bbo)) => check_bbo(&bbo, &tracked, &mut report),
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
    for (t, (source, inference)) in tracked.iter_mut().zip(sources) {
        let inst = registry.get(t.seq.instrument());
        report.add_instrument(inst, source, &t.seq, &mut t.book, options.depth);
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
    tracked: &mut [Tracked],
) -> Result<(), String> {
    let id = match s.instrument {
        Some(id) => id,
        None => {
            let id = snapshot_owner(s.last_update_id, tracked.iter().map(|t| &t.seq)).ok_or_else(
                || {
                    "depth snapshot names no symbol and matches no single waiting book; \
                 record multi-symbol captures with `<symbol>@depthSnapshot` envelopes"
                        .to_owned()
                },
            )?;
            decoder
                .resolve_snapshot(registry.get(id))
                .map_err(|e| e.to_string())?;
            id
        }
    };
    let t = &mut tracked[id.index()];
    t.seq.on_snapshot(
        s.last_update_id,
        decoder.bids(),
        decoder.asks(),
        &mut BookSink { book: &mut t.book },
    );
    Ok(())
}

fn check_bbo(bbo: &Bbo, tracked: &[Tracked], report: &mut InspectReport) {
    report.book_tickers += 1;
    let t = &tracked[bbo.instrument.index()];
    if t.seq.state() != BookState::Synced || t.seq.last_update_id() != Some(bbo.update_id) {
        return;
    }
    report.bbo_checked += 1;
    let bid = t.book.best_bid();
    let ask = t.book.best_ask();
    let matches = bid == Some(Level::new(bbo.bid_price, bbo.bid_qty))
        && ask == Some(Level::new(bbo.ask_price, bbo.ask_qty));
    if !matches {
        report.bbo_mismatches += 1;
    }
}
