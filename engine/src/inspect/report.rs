//! The integrity report of `ladder inspect`: counters, malformed lines, final books; printed
//! for a person or as one JSON object.

use super::{GridSource, Inference, MAX_ISSUES};
use crate::capture::Truncation;
use crate::capture::clock::ClockReport;
use crate::capture::merge::CaptureInput;
use crate::feed::books::BookView;
use crate::feed::integrity::FaultCounts;
use crate::instrument::Instrument;
use crate::report::decimal_levels;
use ladder_sdk::Side;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A line that could not be used, with what was wrong.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LineIssue {
    /// 1-based line number.
    pub line: u64,
    /// What was wrong.
    pub message: String,
}

/// One instrument's final state.
#[derive(Debug, Clone, Serialize)]
pub struct InstrumentReport {
    /// The venue.
    pub venue: &'static str,
    /// The venue's symbol.
    pub symbol: String,
    /// `synced`, `stale` or `syncing` (no snapshot seen).
    pub state: &'static str,
    /// The update id the book is valid at.
    pub last_update_id: Option<u64>,
    /// Top bids, best first, as `[price, size]` decimal strings.
    pub bids: Vec<[String; 2]>,
    /// Top asks, best first.
    pub asks: Vec<[String; 2]>,
    /// Tick size.
    pub tick_size: String,
    /// Lot size.
    pub lot_size: String,
    /// `configured` or `inferred`.
    pub grid: &'static str,
    /// Diffs applied for this instrument.
    pub applied: u64,
    /// Integrity faults of every kind for this instrument.
    pub gaps: u64,
    /// Levels held per side.
    pub levels: [usize; 2],
    /// For an inferred grid: from how many values, and how many were finer than it.
    pub inference: Option<Inference>,
    /// Exact repeats of the last applied diff, dropped.
    pub duplicates: u64,
    /// Integrity faults by kind.
    pub faults: FaultCounts,
}

/// Everything `ladder inspect` reports. Serialized field order is the documented one.
#[derive(Debug, Clone, Serialize)]
pub struct InspectReport {
    /// Venue names of the captures, comma-separated.
    pub venue: String,
    /// Non-empty lines, snapshot lines included.
    pub frames: u64,
    /// Diff-depth messages.
    pub depth_updates: u64,
    /// Diffs applied to a book.
    pub applied: u64,
    /// Diffs dropped as covered by the snapshot or an earlier diff.
    pub dropped_stale: u64,
    /// Integrity faults of every kind (sequence gaps, ids out of order, a snapshot the stream
    /// never reaches, crossed books); `faults` has them by kind.
    pub gaps: u64,
    /// `@trade` messages.
    pub trades: u64,
    /// bookTicker messages whose `u` equals the book's last applied update id.
    pub bbo_checked: u64,
    /// Of those, the ones whose best bid/ask price or size differ from the book.
    pub bbo_mismatches: u64,
    /// Lines that could not be used (malformed line, frame, or value off the grid).
    pub parse_errors: u64,
    /// Final books by instrument name (`venue:SYMBOL`).
    pub instruments: BTreeMap<String, InstrumentReport>,
    /// REST snapshots seen.
    pub snapshots: u64,
    /// `@aggTrade` messages.
    pub agg_trades: u64,
    /// bookTicker messages.
    pub book_tickers: u64,
    /// Control replies and streams ladder does not use.
    pub ignored: u64,
    /// Diffs discarded because too many were buffered while waiting for a snapshot.
    pub buffer_overflows: u64,
    /// Buffered diffs discarded because a later diff broke their chain (after a fault).
    pub discarded: u64,
    /// Diffs dropped as exact repeats (same `U` and `u`) of the last applied one. Not a fault:
    /// the book is unchanged and exact.
    pub duplicates: u64,
    /// Integrity faults by kind (their total is `gaps`).
    pub faults: FaultCounts,
    /// Book messages whose checksum was checked against the book (OKX recordings from before
    /// 2026-06-23; a mismatch is also a `checksum_mismatch` fault).
    pub checksums: u64,
    /// The first malformed lines with their messages.
    pub issues: Vec<LineIssue>,
    /// Where and why reading stopped before the end of the file (also an issue).
    pub truncated: Option<Truncation>,
    /// Receive-time anomalies (lines stamped backwards, an hour ahead, or after 2100).
    pub clock: ClockReport,
    /// True if the file was gzip.
    #[serde(skip)]
    pub compressed: bool,
}

impl InspectReport {
    pub(super) fn new(inputs: &[CaptureInput]) -> Self {
        let mut venues: Vec<&str> = Vec::new();
        for i in inputs {
            if !venues.contains(&i.venue.name()) {
                venues.push(i.venue.name());
            }
        }
        Self {
            venue: venues.join(","),
            frames: 0,
            depth_updates: 0,
            applied: 0,
            dropped_stale: 0,
            gaps: 0,
            trades: 0,
            bbo_checked: 0,
            bbo_mismatches: 0,
            parse_errors: 0,
            instruments: BTreeMap::new(),
            snapshots: 0,
            agg_trades: 0,
            book_tickers: 0,
            ignored: 0,
            buffer_overflows: 0,
            discarded: 0,
            duplicates: 0,
            faults: FaultCounts::default(),
            checksums: 0,
            issues: Vec::new(),
            truncated: None,
            clock: ClockReport::default(),
            compressed: false,
        }
    }

    pub(super) fn issue(&mut self, line: u64, message: String) {
        self.parse_errors += 1;
        if self.issues.len() < MAX_ISSUES {
            self.issues.push(LineIssue { line, message });
        }
    }

    pub(super) fn add_instrument(
        &mut self,
        inst: &Instrument,
        source: GridSource,
        view: &BookView<'_>,
        depth: usize,
    ) {
        let stats = &view.stats;
        let book = view.book;
        self.applied += stats.applied;
        self.dropped_stale += stats.dropped_stale;
        self.gaps += stats.gaps;
        self.buffer_overflows += stats.buffer_overflows;
        self.discarded += stats.discarded;
        self.duplicates += stats.duplicates;
        self.faults.add(&stats.faults);
        self.checksums += stats.checksums;
        let spec = &inst.spec;
        let side = |s: Side| decimal_levels(spec, book.levels(s).take(depth));
        let report = InstrumentReport {
            venue: inst.venue.name(),
            symbol: inst.symbol.clone(),
            state: view.state.as_str(),
            last_update_id: view.last_update_id,
            bids: side(Side::Buy),
            asks: side(Side::Sell),
            tick_size: spec.tick_size().normalize().to_string(),
            lot_size: spec.lot_size().normalize().to_string(),
            grid: source.as_str(),
            applied: stats.applied,
            gaps: stats.gaps,
            levels: [book.len(Side::Buy), book.len(Side::Sell)],
            inference: None,
            duplicates: stats.duplicates,
            faults: stats.faults,
        };
        self.instruments.insert(inst.name.clone(), report);
    }

    /// True when nothing is wrong: no integrity fault, mismatch, malformed line, stale book or
    /// early end.
    pub fn is_clean(&self) -> bool {
        self.truncated.is_none()
            && self.gaps == 0
            && self.bbo_mismatches == 0
            && self.parse_errors == 0
            && self.instruments.values().all(|i| i.state == "synced")
    }

    /// The report as one JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The report for a person.
    pub fn to_human(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "venue           {}", self.venue);
        let _ = writeln!(
            o,
            "frames          {} (snapshots {})",
            self.frames, self.snapshots
        );
        let _ = writeln!(
            o,
            "depth updates   {} applied, {} dropped before sync, {} gaps (of {})",
            self.applied, self.dropped_stale, self.gaps, self.depth_updates
        );
        let _ = writeln!(
            o,
            "trades          {} (aggTrades {})",
            self.trades, self.agg_trades
        );
        let _ = writeln!(
            o,
            "book ticker     {} checked against the book at the same update id, {} mismatches (of {})",
            self.bbo_checked, self.bbo_mismatches, self.book_tickers
        );
        if self.faults.total() > 0 {
            let kinds: Vec<String> = self
                .faults
                .by_kind()
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(name, n)| format!("{name} {n}"))
                .collect();
            let _ = writeln!(o, "faults          {}", kinds.join(", "));
        }
        if self.checksums > 0 {
            let _ = writeln!(
                o,
                "checksums       {} checked, {} mismatches",
                self.checksums, self.faults.checksum_mismatch
            );
        }
        if self.duplicates > 0 {
            let _ = writeln!(
                o,
                "duplicates      {} diffs repeated the last applied one (dropped; the book is exact)",
                self.duplicates
            );
        }
        let _ = writeln!(o, "parse errors    {}", self.parse_errors);
        if self.buffer_overflows > 0 {
            let _ = writeln!(
                o,
                "buffer overflow {} diffs discarded waiting for a snapshot",
                self.buffer_overflows
            );
        }
        if let Some(stop) = &self.truncated {
            let _ = writeln!(o, "truncated       {stop}");
        }
        if let Some(clock) = self.clock.describe() {
            let _ = writeln!(o, "clock           {clock}");
        }
        for issue in &self.issues {
            let _ = writeln!(o, "  line {}: {}", issue.line, issue.message);
        }
        if self.parse_errors > self.issues.len() as u64 {
            let _ = writeln!(
                o,
                "  ... and {} more",
                self.parse_errors - self.issues.len() as u64
            );
        }
        for (symbol, i) in &self.instruments {
            let _ = writeln!(o);
            let _ = writeln!(
                o,
                "{symbol}: {} at update id {}; tick {} lot {} ({} from the capture); {} bid / {} ask levels",
                i.state,
                i.last_update_id
                    .map_or_else(|| "-".to_owned(), |u| u.to_string()),
                i.tick_size,
                i.lot_size,
                if i.grid == "inferred" {
                    "inferred"
                } else {
                    "configured, not"
                },
                i.levels[0],
                i.levels[1],
            );
            if let Some(inf) = &i.inference {
                let _ = writeln!(
                    o,
                    "  grid inferred from {} prices ({} finer than the tick) and {} quantities ({} finer than the lot)",
                    inf.prices, inf.finer_prices, inf.quantities, inf.finer_quantities
                );
            }
            let _ = writeln!(
                o,
                "  {:>16} {:>14} | {:<16} {:<14}",
                "bid size", "bid", "ask", "ask size"
            );
            for row in 0..i.bids.len().max(i.asks.len()) {
                let (bp, bq) = i
                    .bids
                    .get(row)
                    .map_or(("", ""), |l| (l[0].as_str(), l[1].as_str()));
                let (ap, aq) = i
                    .asks
                    .get(row)
                    .map_or(("", ""), |l| (l[0].as_str(), l[1].as_str()));
                let _ = writeln!(o, "  {bq:>16} {bp:>14} | {ap:<16} {aq:<14}");
            }
        }
        o
    }
}
