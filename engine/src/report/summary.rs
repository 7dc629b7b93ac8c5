//! `summary.json`: one object; machine-dependent figures only under `timing`.

use super::writer::WriterTotals;
use crate::capture::Truncation;
use crate::capture::clock::ClockReport;
use crate::hot::EngineFinal;
use ladder_sdk::InstrumentSpec;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// PnL of one strategy on one instrument.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InstrumentPnl {
    /// Final position (base units).
    pub position: String,
    /// Average entry price of the open position ("0" when flat).
    pub avg_entry: String,
    /// Realized PnL (quote currency), before fees.
    pub realized_pnl: String,
    /// Unrealized PnL at `mark`.
    pub unrealized_pnl: String,
    /// Fees paid (negative: rebates received).
    pub fees: String,
    /// Traded notional.
    pub volume: String,
    /// Mark price (final mid), if the book had both sides.
    pub mark: Option<String>,
}

/// An instrument's grid.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InstrumentInfo {
    /// Tick size.
    pub tick_size: String,
    /// Lot size.
    pub lot_size: String,
}

/// What one venue's live feed went through (paper sessions: one per venue, under `feeds`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FeedReport {
    /// The venue (`binance-spot`).
    pub venue: String,
    /// True for the built-in simulated venue.
    pub simulated: bool,
    /// Data frames received.
    pub messages: u64,
    /// Sequence gaps detected.
    pub gaps: u64,
    /// Books resynced from a new snapshot.
    pub resyncs: u64,
    /// Reconnections.
    pub reconnects: u64,
    /// REST snapshots taken.
    pub snapshots: u64,
    /// Connections declared dead for silence.
    pub watchdog_timeouts: u64,
    /// Events refused by a full ring (each followed by a resync).
    pub overflows: u64,
    /// Frames that did not decode.
    pub decode_errors: u64,
    /// Final book state per instrument (`venue:SYMBOL`), as the feed held it.
    pub states: BTreeMap<String, String>,
    /// The last error the feed met, if any.
    pub last_error: Option<String>,
}

/// An instrument's book at the end of the run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BookReport {
    /// `synced`, `stale`, ...
    pub state: &'static str,
    /// Top bids, best first, as `[price, size]` decimal strings.
    pub bids: Vec<[String; 2]>,
    /// Top asks, best first.
    pub asks: Vec<[String; 2]>,
}

/// One strategy's results.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StrategyReport {
    /// Name and version from its manifest.
    pub name: String,
    /// Library path as given (or `static:<label>`).
    pub library: String,
    /// Absolute path of the library file opened.
    pub library_path: Option<String>,
    /// SHA-256 of the library bytes loaded.
    pub library_sha256: Option<String>,
    /// SHA-256 of its config string.
    pub config_sha256: String,
    /// Why it was disabled (panic message, kill switch), if it was.
    pub disabled: Option<String>,
    /// Signal values emitted.
    pub signals: u64,
    /// New-order requests.
    pub orders: u64,
    /// Cancel requests.
    pub cancels: u64,
    /// Fills.
    pub fills: u64,
    /// Rejections by reason.
    pub rejects: BTreeMap<String, u64>,
    /// Realized PnL over all instruments, before fees.
    pub realized_pnl: String,
    /// Unrealized PnL at the final marks.
    pub unrealized_pnl: String,
    /// Fees.
    pub fees: String,
    /// realized + unrealized − fees.
    pub net_pnl: String,
    /// Largest fall of equity from a running peak.
    pub max_drawdown: String,
    /// Per instrument, by symbol.
    pub instruments: BTreeMap<String, InstrumentPnl>,
}

/// Latency percentiles in nanoseconds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Percentiles {
    /// Samples.
    pub count: u64,
    /// Minimum.
    pub min: u64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Maximum.
    pub max: u64,
}

impl Percentiles {
    /// From a histogram.
    pub fn of(h: &hdrhistogram::Histogram<u64>) -> Self {
        Self {
            count: h.len(),
            min: h.min(),
            p50: h.value_at_quantile(0.5),
            p90: h.value_at_quantile(0.9),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
        }
    }
}

/// Everything that depends on the machine and the moment.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Timing {
    /// Wall-clock seconds of the run.
    pub wall_seconds: f64,
    /// Events processed per wall-clock second.
    pub events_per_second: f64,
    /// Frames processed per wall-clock second.
    pub frames_per_second: f64,
    /// Per frame: decode + sequence + hot engine (book, strategies, risk, paper).
    pub frame_latency_ns: Percentiles,
    /// Times the hot thread waited for the report writer.
    pub output_waits: u64,
    /// What each strategy swap cost the hot thread, in the order of `swaps` (the builder fills
    /// it from the engine's swaps).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub swap_cost_ns: Vec<crate::hot::SwapCost>,
}

/// The whole summary.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    /// ladder's version.
    pub ladder_version: String,
    /// The capture replayed (or the venue traded live).
    pub source: String,
    /// Venue.
    pub venue: String,
    /// Frames read.
    pub frames: u64,
    /// Normalized events processed by the hot loop.
    pub events: u64,
    /// Completed book updates.
    pub book_updates: u64,
    /// Trades.
    pub trades: u64,
    /// Lines or frames that could not be used.
    pub parse_errors: u64,
    /// Sequence gaps.
    pub gaps: u64,
    /// Signal values.
    pub signals: u64,
    /// New-order requests.
    pub orders: u64,
    /// Cancel requests.
    pub cancels: u64,
    /// Fills.
    pub fills: u64,
    /// Rejections by reason, all strategies.
    pub rejects: BTreeMap<String, u64>,
    /// Instruments traded and their grids, by symbol.
    pub instruments: BTreeMap<String, InstrumentInfo>,
    /// Final books (top 10 levels), by symbol.
    pub books: BTreeMap<String, BookReport>,
    /// Net PnL of all strategies.
    pub net_pnl: String,
    /// Fees of all strategies.
    pub fees: String,
    /// Per strategy.
    pub strategies: Vec<StrategyReport>,
    /// SHA-256 of the config file, if one was given.
    pub config_sha256: Option<String>,
    /// Each venue's live feed, in the order of the venues (paper sessions; absent for
    /// replays).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub feeds: Vec<FeedReport>,
    /// Receive-time anomalies of the capture and how they were bounded (replays only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock: Option<ClockReport>,
    /// Where and why reading the capture stopped before its end (replays of a truncated
    /// capture only): everything before it was replayed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<Truncation>,
    /// Every strategy library swap (hot reload, `replay --swap`), refused ones included: time,
    /// old and new SHA-256, handoff or fresh and why, orders cancelled or adopted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub swaps: Vec<crate::hot::SwapReport>,
    /// The bus a paper session consumed from (`--source nats://...`): its counters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bus: Option<crate::bus::consume::BusReport>,
    /// Machine-dependent figures.
    pub timing: Timing,
}

/// A decimal as a plain string without trailing zeros.
pub fn dec(d: Decimal) -> String {
    d.normalize().to_string()
}

impl Summary {
    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// A few lines for a person.
    pub fn to_human(&self) -> String {
        use std::fmt::Write as _;
        let mut o = String::new();
        let _ = writeln!(
            o,
            "{} frames, {} events ({} book updates, {} trades), {} gaps, {} parse errors",
            self.frames, self.events, self.book_updates, self.trades, self.gaps, self.parse_errors
        );
        let _ = writeln!(
            o,
            "{} signals, {} orders, {} cancels, {} fills; net PnL {} after fees {}",
            self.signals, self.orders, self.cancels, self.fills, self.net_pnl, self.fees
        );
        for s in &self.strategies {
            let _ = writeln!(
                o,
                "  {}: {} orders, {} fills, net {} (realized {}, unrealized {}, fees {}), max drawdown {}{}",
                s.name,
                s.orders,
                s.fills,
                s.net_pnl,
                s.realized_pnl,
                s.unrealized_pnl,
                s.fees,
                s.max_drawdown,
                s.disabled
                    .as_ref()
                    .map_or(String::new(), |d| format!("; DISABLED: {d}"))
            );
            if let (Some(path), Some(sha)) = (&s.library_path, &s.library_sha256) {
                let _ = writeln!(o, "    library {path} sha256 {sha}");
            }
            for (sym, p) in &s.instruments {
                let _ = writeln!(o, "    {sym}: position {} @ {}", p.position, p.avg_entry);
            }
        }
        for (reason, n) in &self.rejects {
            let _ = writeln!(o, "  rejected {n}x: {reason}");
        }
        for f in &self.feeds {
            let states: Vec<String> = f.states.iter().map(|(k, v)| format!("{k} {v}")).collect();
            // One venue: `feed: ...` as before several venues; several: `feed <venue>: ...`.
            let which = if self.feeds.len() == 1 {
                String::new()
            } else {
                format!(" {}", f.venue)
            };
            let _ = writeln!(
                o,
                "feed{which}: {} messages, {} gaps, {} resyncs, {} reconnects, {} watchdog timeouts; {}",
                f.messages,
                f.gaps,
                f.resyncs,
                f.reconnects,
                f.watchdog_timeouts,
                states.join(", ")
            );
            if let Some(e) = &f.last_error {
                let _ = writeln!(o, "feed{which} last error: {e}");
            }
        }
        if let Some(clock) = self.clock.as_ref().and_then(ClockReport::describe) {
            let _ = writeln!(o, "clock: {clock}");
        }
        if let Some(stop) = &self.truncated {
            let _ = writeln!(o, "capture truncated: {stop}");
        }
        for w in &self.swaps {
            let short = |s: &Option<String>| {
                s.as_deref()
                    .map_or_else(|| "static".to_owned(), |h| h.chars().take(12).collect())
            };
            let _ = writeln!(
                o,
                "swap {} at event {}: {} {} -> {}{}; {} orders cancelled, {} adopted",
                w.strategy,
                w.event,
                w.mode.as_str(),
                short(&w.old_sha256),
                short(&w.new_sha256),
                w.reason
                    .as_ref()
                    .map_or(String::new(), |r| format!(" ({r})")),
                w.orders_cancelled,
                w.orders_adopted
            );
        }
        let t = &self.timing;
        let _ = writeln!(
            o,
            "{:.2} s, {:.0} events/s; per frame p50 {} ns, p99 {} ns, max {} ns",
            t.wall_seconds,
            t.events_per_second,
            t.frame_latency_ns.p50,
            t.frame_latency_ns.p99,
            t.frame_latency_ns.max
        );
        o
    }
}

/// Where a strategy came from, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrategyMeta {
    /// Library path as given, or `static:<label>`.
    pub library: String,
    /// Absolute path of the library file opened.
    pub library_path: Option<String>,
    /// SHA-256 of the library bytes loaded.
    pub library_sha256: Option<String>,
    /// SHA-256 of its config string.
    pub config_sha256: String,
}

/// What the summary is built from.
#[derive(Debug)]
pub struct SummaryInput<'a> {
    /// The capture replayed, or the venue traded live.
    pub source: String,
    /// Venue name.
    pub venue: String,
    /// Frames read.
    pub frames: u64,
    /// Unusable lines or frames.
    pub parse_errors: u64,
    /// Sequence gaps.
    pub gaps: u64,
    /// The engine's final state.
    pub engine: &'a EngineFinal,
    /// The report writer's counts.
    pub totals: &'a WriterTotals,
    /// Per strategy, in engine order.
    pub meta: &'a [StrategyMeta],
    /// Symbols by instrument index.
    pub symbols: &'a [String],
    /// Specs by instrument index.
    pub specs: &'a [InstrumentSpec],
    /// SHA-256 of the config file.
    pub config_sha256: Option<String>,
    /// Each venue's live feed, for paper sessions (empty for replays).
    pub feeds: Vec<FeedReport>,
    /// Machine-dependent figures.
    pub timing: Timing,
}

/// Assembles the summary.
pub fn build(input: SummaryInput<'_>) -> Summary {
    let e = input.engine;
    let mut summary = Summary {
        ladder_version: env!("CARGO_PKG_VERSION").to_owned(),
        source: input.source,
        venue: input.venue,
        frames: input.frames,
        events: e.stats.events,
        book_updates: e.stats.book_updates,
        trades: e.stats.trades,
        parse_errors: input.parse_errors,
        gaps: input.gaps,
        signals: 0,
        orders: 0,
        cancels: 0,
        fills: 0,
        rejects: BTreeMap::new(),
        instruments: input
            .symbols
            .iter()
            .zip(input.specs)
            .map(|(sym, spec)| {
                let info = InstrumentInfo {
                    tick_size: dec(spec.tick_size()),
                    lot_size: dec(spec.lot_size()),
                };
                (sym.clone(), info)
            })
            .collect(),
        books: input
            .symbols
            .iter()
            .zip(input.specs)
            .zip(&e.books)
            .map(|((sym, spec), b)| {
                let report = BookReport {
                    state: b.state.as_str(),
                    bids: super::decimal_levels(spec, b.bids.iter().copied()),
                    asks: super::decimal_levels(spec, b.asks.iter().copied()),
                };
                (sym.clone(), report)
            })
            .collect(),
        net_pnl: String::new(),
        fees: String::new(),
        strategies: Vec::new(),
        config_sha256: input.config_sha256,
        feeds: input.feeds,
        clock: None,
        truncated: None,
        bus: None,
        swaps: e.swaps.clone(),
        timing: crate::report::summary::Timing {
            swap_cost_ns: e.swaps.iter().map(|s| s.cost).collect(),
            ..input.timing
        },
    };
    let (mut net_total, mut fees_total) = (Decimal::ZERO, Decimal::ZERO);
    for (s, (strategy, meta)) in e.strategies.iter().zip(input.meta).enumerate() {
        let counts = input.totals.strategies.get(s).cloned().unwrap_or_default();
        let (mut realized, mut unrealized, mut fees) =
            (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        let mut instruments = BTreeMap::new();
        for (i, spec) in input.specs.iter().enumerate() {
            let Some(&(acc, u)) = e.accounts.get(s).and_then(|a| a.get(i)) else {
                continue;
            };
            realized += acc.realized_pnl;
            unrealized += u;
            fees += acc.fees;
            if acc.fills == 0 {
                continue;
            }
            instruments.insert(
                input.symbols[i].clone(),
                InstrumentPnl {
                    position: dec(spec.lot_grid().to_decimal(acc.position)),
                    avg_entry: dec(acc.avg_entry),
                    realized_pnl: dec(acc.realized_pnl),
                    unrealized_pnl: dec(u),
                    fees: dec(acc.fees),
                    volume: dec(acc.notional),
                    mark: e
                        .marks
                        .get(i)
                        .copied()
                        .flatten()
                        .map(|m| spec.format_price(m)),
                },
            );
        }
        let net = realized + unrealized - fees;
        net_total += net;
        fees_total += fees;
        summary.signals += counts.signals;
        summary.orders += counts.orders;
        summary.cancels += counts.cancels;
        summary.fills += counts.fills;
        for (k, v) in &counts.rejects {
            *summary.rejects.entry(k.clone()).or_default() += v;
        }
        summary.strategies.push(StrategyReport {
            name: strategy.name.clone(),
            library: meta.library.clone(),
            library_path: meta.library_path.clone(),
            library_sha256: meta.library_sha256.clone(),
            config_sha256: meta.config_sha256.clone(),
            disabled: strategy.disabled.clone(),
            signals: counts.signals,
            orders: counts.orders,
            cancels: counts.cancels,
            fills: counts.fills,
            rejects: counts.rejects,
            realized_pnl: dec(realized),
            unrealized_pnl: dec(unrealized),
            fees: dec(fees),
            net_pnl: dec(net),
            max_drawdown: dec(strategy.max_drawdown),
            instruments,
        });
    }
    summary.net_pnl = dec(net_total);
    summary.fees = dec(fees_total);
    summary
}
