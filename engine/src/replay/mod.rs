//! `ladder replay`: captures through the capture pipeline (decoder, sequencer), the hot engine
//! (book, strategies, risk, paper exchange) and the report writer. Several captures are one
//! stream ([`crate::capture::merge`]: merged by receive time across venues, consecutive files of
//! one venue continuing the same books).
//!
//! In replay the decoder runs on the hot thread itself and the clock is the event time, so the
//! same capture, strategies and config give the same signals, orders, fills and PnL, bit for
//! bit (`docs/DESIGN.md`, "Data flow").
//!
//! Event time is the capture's receive stamps made monotonic and bounded
//! ([`Timeline`](crate::capture::clock::Timeline)): on a clean capture it is the stamps
//! themselves; a line stamped backwards, more than an hour ahead, or after 2100 is a clock
//! anomaly, counted with its first line in the summary, and time still moves on (a frozen clock
//! would leave every order in flight forever). `--speed X` paces on that time, so one line never
//! sleeps more than an hour divided by `X`, and no single sleep exceeds an hour.
//!
//! Instrument grids (tick and lot, [`crate::capture::grid`]) are not found by a second reading
//! pass before the run: they are guessed from the first [`GRID_GUESS_LINES`] lines of each
//! capture (the finest value seen, [`guess_grids_of`]), and each capture's read-ahead thread counts the whole file as the replay reads it
//! ([`GridTap`], once per batch, off the replay thread). When the whole captures' grids differ
//! from the first lines' (a finer value late in a large capture), a note on stderr says so and
//! the replay runs again with them: the report is always the one of the whole captures' grids,
//! outlier rule included.
//!
//! A capture that cannot be read to its end (a killed recording) replays up to its last
//! complete line; the summary's `truncated` says where and why reading stopped.
//!
//! The report directory ends with `summary.json` and `report.html` (`report::html`).
//!
//! [`SwapAt`] (`ladder replay --swap STRATEGY=LIB@EVENT`) swaps a strategy's library after a
//! given number of events, on the replay thread between two events, exactly as a hot reload
//! does in `ladder paper` (`hot::engine::swap`): deterministic, so a swap with state handoff can
//! be checked against a run without one.

use crate::capture::clock::{ClockReport, MAX_CLOCK_STEP_NS};
use crate::capture::grid::{
    GridScan, GridTap, RegistryBuildError, build_registry, grids_of, guess_grids_of, registry_of,
};
use crate::capture::merge::{CaptureInput, Captures, describe};
use crate::capture::pipeline::Pipeline;
use crate::capture::{CaptureError, Truncation};
use crate::clock::{Clock, Stopwatch};
use crate::config::Config;
use crate::hot::output::{RingSink, output_ring};
use crate::hot::{HotEngine, Replacement};
use crate::instrument::Registry;
use crate::plugin::{HostConfig, PluginError};
use crate::report::html;
use crate::report::summary::{self, Percentiles, Summary, SummaryInput, Timing};
use crate::report::writer::{ReportContext, write_records};
use ladder_sdk::{InstrumentSpec, UnixNanos};
use std::path::PathBuf;
use std::sync::PoisonError;
use std::sync::atomic::Ordering;
use thiserror::Error;

pub use crate::plugin::{StrategyFactory, StrategySource};

/// Lines of each capture the grids are first inferred from; the whole capture's grids are
/// counted as it replays, and a run whose grids differ is run again with them.
pub const GRID_GUESS_LINES: u64 = 4096;

/// Replay pacing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// As fast as possible.
    Max,
    /// `x` times the recorded pace.
    Factor(f64),
}

/// Everything a replay needs.
#[derive(Debug)]
pub struct ReplayOptions {
    /// The captures, each with its venue.
    pub captures: Vec<CaptureInput>,
    /// Strategies, in order.
    pub strategies: Vec<StrategySource>,
    /// The config (defaults if none was given).
    pub config: Config,
    /// SHA-256 of the config file, if one was given.
    pub config_sha256: Option<String>,
    /// Report directory.
    pub report_dir: PathBuf,
    /// Pacing.
    pub speed: Speed,
    /// Show a progress bar on stderr.
    pub progress: bool,
}

/// A strategy library swap at a given event (`--swap STRATEGY=LIB@EVENT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwapAt {
    /// The strategy: its 0-based index, or its name.
    pub strategy: String,
    /// The new library.
    pub library: PathBuf,
    /// Swap once this many events were processed (0: before the first).
    pub after_events: u64,
}

/// Why a replay could not run.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The capture could not be read.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// A strategy could not be loaded or created.
    #[error("strategy {which}")]
    Strategy {
        /// Which strategy (path or label).
        which: String,
        /// Why.
        #[source]
        source: PluginError,
    },
    /// An instrument in the config is invalid.
    #[error("instrument {symbol}: {message}")]
    Instrument {
        /// The symbol.
        symbol: String,
        /// Why.
        message: String,
    },
    /// The report directory could not be written.
    #[error("cannot write the report in {dir}: {source}")]
    Report {
        /// The directory.
        dir: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The captures hold no symbol ladder could decode.
    #[error("capture {0} holds no market data of its venue")]
    NoInstruments(String),
    /// A `--swap` names no strategy of the run, or its library cannot be loaded.
    #[error("--swap {which}: {message}")]
    Swap {
        /// The strategy as given.
        which: String,
        /// Why.
        message: String,
    },
}

impl From<RegistryBuildError> for ReplayError {
    fn from(e: RegistryBuildError) -> Self {
        match e {
            RegistryBuildError::Capture(e) => Self::Capture(e),
            RegistryBuildError::Instrument { symbol, message } => {
                Self::Instrument { symbol, message }
            }
        }
    }
}

/// Runs a replay and writes its report directory. Returns the summary (also written as
/// `summary.json`).
pub fn replay(opts: ReplayOptions) -> Result<Summary, ReplayError> {
    replay_with_swaps(opts, &[])
}

/// [`replay`] with strategy library swaps at given events (`--swap`). A swap after the last
/// event does not happen; a warning says so.
///
/// # Errors
/// As [`replay`], and [`ReplayError::Swap`] when a swap names no strategy of the run or its
/// library cannot be loaded (checked before the run starts).
pub fn replay_with_swaps(opts: ReplayOptions, swaps: &[SwapAt]) -> Result<Summary, ReplayError> {
    let configured = &opts.config.instruments;
    let prefix = opts
        .captures
        .iter()
        .map(|c| GridScan::read(c, Some(GRID_GUESS_LINES)))
        .collect::<Result<Vec<_>, _>>()?;
    let (guess, _) = registry_of(&opts.captures, configured, guess_grids_of(&prefix))?;
    if guess.is_empty() {
        // Nothing usable in the first lines: the whole-capture pass, before the run.
        let (registry, _) = build_registry(&opts.captures, configured, None)?;
        return replay_once(&opts, swaps, &registry, None);
    }
    let taps: Vec<GridTap> = opts
        .captures
        .iter()
        .map(|c| GridScan::tap(c.venue))
        .collect();
    let summary = replay_once(&opts, swaps, &guess, Some(&taps))?;
    // Each read-ahead thread counted its last batch before handing it over, so every tap
    // holds its whole file now (a thread that has not exited yet never locks it again).
    let scans: Vec<GridScan> = taps
        .iter()
        .map(|t| {
            let mut scan = t.lock().unwrap_or_else(PoisonError::into_inner);
            let venue = scan.venue();
            std::mem::replace(&mut *scan, GridScan::new(venue))
        })
        .collect();
    let (whole, _) = registry_of(&opts.captures, configured, grids_of(&scans, None))?;
    if whole.iter().eq(guess.iter()) {
        return Ok(summary);
    }
    eprintln!(
        "note: the instrument grids inferred from the first {GRID_GUESS_LINES} lines of {} ({}) \
         differ from those of the whole capture ({}); replaying again with the whole capture's",
        describe(&opts.captures),
        grid_list(&guess),
        grid_list(&whole),
    );
    if whole.is_empty() {
        return Err(ReplayError::NoInstruments(describe(&opts.captures)));
    }
    replay_once(&opts, swaps, &whole, None)
}

/// `venue:SYMBOL tick/lot` of each instrument, for the grid-check note.
fn grid_list(registry: &Registry) -> String {
    registry
        .iter()
        .map(|i| {
            format!(
                "{} tick {} lot {}",
                i.name,
                i.spec.tick_size(),
                i.spec.lot_size()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One run over the captures with `registry`; with `taps`, each capture's read-ahead thread
/// counts its values into the tap of the same index (the grid check).
fn replay_once(
    opts: &ReplayOptions,
    swaps: &[SwapAt],
    registry: &Registry,
    taps: Option<&[GridTap]>,
) -> Result<Summary, ReplayError> {
    let symbols: Vec<String> = registry.iter().map(|i| i.name.clone()).collect();
    let specs: Vec<InstrumentSpec> = registry.iter().map(|i| i.spec).collect();
    let host = HostConfig {
        instruments: symbols.clone(),
        ..HostConfig::default()
    };

    // Strategies are created on this thread, which runs the hot loop.
    let mut instances = Vec::new();
    let mut meta = Vec::new();
    let configs: Vec<String> = opts
        .strategies
        .iter()
        .map(|s| match s {
            StrategySource::Library { config, .. } | StrategySource::Static { config, .. } => {
                config.clone()
            }
        })
        .collect();
    for source in &opts.strategies {
        let (instance, m) = source.create(&host).map_err(|e| ReplayError::Strategy {
            which: source.label(),
            source: e,
        })?;
        meta.push(m);
        instances.push(instance);
    }
    let names: Vec<String> = instances.iter().map(|i| i.name().to_owned()).collect();
    let mut scheduled = Vec::new();
    for swap in swaps {
        scheduled.push(schedule(swap, &names, &configs, &host)?);
    }
    scheduled.sort_by_key(|s| s.after_events);
    let ctx = ReportContext {
        symbols: symbols.clone(),
        specs: specs.clone(),
        strategies: instances.iter().map(|i| i.name().to_owned()).collect(),
        signal_names: instances
            .iter()
            .map(|i| i.signal_names().to_vec())
            .collect(),
        signals_every: opts.config.output.signals_every,
    };

    let (sink, source, done) = output_ring(opts.config.hot.output_capacity);
    let dir = opts.report_dir.clone();
    let writer = std::thread::Builder::new()
        .name("ladder-writer".into())
        .spawn(move || write_records(&dir, &ctx, &source, None))
        .map_err(|source| ReplayError::Report {
            dir: opts.report_dir.clone(),
            source,
        })?;
    if let Some(core) = opts.config.hot.core
        && !crate::hot::pin_current_thread(core)
    {
        eprintln!("note: core {core} is not available here; the replay thread is not pinned");
    }

    let mut engine: HotEngine<RingSink> = HotEngine::new(
        Clock::replay(UnixNanos::ZERO),
        specs.clone(),
        instances,
        opts.config.paper.clone(),
        opts.config.risk.clone(),
        opts.config.hot.top_levels,
        sink,
    );
    let run = run_captures(
        &opts.captures,
        taps,
        registry,
        &mut engine,
        &scheduled,
        opts.speed,
        opts.progress,
    );
    engine.stop();
    let output_waits = engine.output().waits();
    done.store(true, Ordering::Release);
    let written = writer
        .join()
        .unwrap_or_else(|_| Err(std::io::Error::other("the report writer panicked")))
        .map_err(|source| ReplayError::Report {
            dir: opts.report_dir.clone(),
            source,
        })?;
    let run = run?;

    let events = engine.stats().events;
    for s in scheduled.iter().filter(|s| s.after_events > events) {
        eprintln!(
            "warning: --swap of {} after event {} did not happen: the replay had {events} events",
            s.replacement.library, s.after_events
        );
    }
    let wall_s = run.wall_ns.max(1) as f64 / 1e9;
    let mut summary = summary::build(SummaryInput {
        source: describe(&opts.captures),
        venue: registry
            .venues()
            .iter()
            .map(|v| v.name())
            .collect::<Vec<_>>()
            .join(","),
        frames: run.frames,
        parse_errors: run.parse_errors,
        gaps: run.gaps,
        engine: &engine.final_state(),
        totals: &written.totals,
        meta: &meta,
        symbols: &symbols,
        specs: &specs,
        config_sha256: opts.config_sha256.clone(),
        feeds: Vec::new(),
        timing: Timing {
            wall_seconds: run.wall_ns as f64 / 1e9,
            events_per_second: events as f64 / wall_s,
            frames_per_second: run.frames as f64 / wall_s,
            frame_latency_ns: Percentiles::of(&run.latency),
            output_waits,
            swap_cost_ns: Vec::new(),
        },
    });
    summary.clock = Some(run.clock);
    summary.truncated = run.truncated;
    std::fs::write(
        opts.report_dir.join("summary.json"),
        summary.to_json() + "\n",
    )
    .map_err(|source| ReplayError::Report {
        dir: opts.report_dir.clone(),
        source,
    })?;
    let extras = html::Extras {
        latency: html::curve("frame", &run.latency, 1.0)
            .into_iter()
            .collect(),
        latency_note: "Per frame read from the capture: decode, sequencing and the hot engine \
                       (book, strategies, risk, paper exchange), on the replay thread."
            .to_owned(),
    };
    html::write(&opts.report_dir, &summary, &written.charts, &extras).map_err(|source| {
        ReplayError::Report {
            dir: opts.report_dir.clone(),
            source,
        }
    })?;
    Ok(summary)
}

/// A `--swap` resolved: which strategy, when, and its replacement (library loaded and checked
/// now, before the run; the instance is created at the swap).
struct Scheduled {
    strategy: usize,
    after_events: u64,
    replacement: Replacement,
}

/// Resolves `swap` against the run's strategies and loads its library.
fn schedule(
    swap: &SwapAt,
    names: &[String],
    configs: &[String],
    host: &HostConfig,
) -> Result<Scheduled, ReplayError> {
    let err = |message: String| ReplayError::Swap {
        which: swap.strategy.clone(),
        message,
    };
    let strategy = match swap.strategy.parse::<usize>() {
        Ok(i) if i < names.len() => i,
        _ => names
            .iter()
            .position(|n| *n == swap.strategy)
            .ok_or_else(|| {
                err(format!(
                    "no such strategy; the run has {} (by index from 0, or by name)",
                    names.join(", ")
                ))
            })?,
    };
    let plugin = crate::plugin::load(&swap.library).map_err(|e| err(e.to_string()))?;
    let config = configs.get(strategy).cloned().unwrap_or_default();
    let host = host.clone();
    Ok(Scheduled {
        strategy,
        after_events: swap.after_events,
        replacement: Replacement {
            library: swap.library.display().to_string(),
            sha256: Some(plugin.origin().sha256.clone()),
            create: Box::new(move || {
                crate::plugin::StrategyInstance::from_plugin(plugin, &config, &host)
            }),
        },
    })
}

struct RunStats {
    frames: u64,
    parse_errors: u64,
    gaps: u64,
    wall_ns: u64,
    latency: hdrhistogram::Histogram<u64>,
    clock: ClockReport,
    truncated: Option<Truncation>,
}

/// Paces a replay at `x` times the recorded pace of event time.
struct Pacer {
    x: f64,
    start: Option<(UnixNanos, Stopwatch)>,
    /// Wall time not slept because a sleep was capped.
    skipped_ns: u64,
}

impl Pacer {
    fn new(x: f64) -> Self {
        Self {
            x,
            start: None,
            skipped_ns: 0,
        }
    }

    /// Sleeps until event time `t` is due; one sleep is at most [`MAX_CLOCK_STEP_NS`] (an
    /// hour), and whatever a cap cut off is not slept later either.
    fn wait(&mut self, t: UnixNanos) {
        let (t0, wall) = *self.start.get_or_insert_with(|| (t, Stopwatch::start()));
        let due = ((t.saturating_since(t0) as f64 / self.x) as u64).saturating_sub(self.skipped_ns);
        let ahead = due.saturating_sub(wall.elapsed_ns());
        let sleep = ahead.min(MAX_CLOCK_STEP_NS);
        self.skipped_ns += ahead - sleep;
        if sleep > 0 {
            std::thread::sleep(std::time::Duration::from_nanos(sleep));
        }
    }
}

fn run_captures(
    captures: &[CaptureInput],
    taps: Option<&[GridTap]>,
    registry: &Registry,
    engine: &mut HotEngine<RingSink>,
    swaps: &[Scheduled],
    speed: Speed,
    progress: bool,
) -> Result<RunStats, ReplayError> {
    let mut pipeline = Pipeline::new(Captures::open_tapped(captures, taps)?, registry);
    let mut latency = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3)
        .unwrap_or_else(|_| hdrhistogram::Histogram::new(3).unwrap_or_else(|_| unreachable!()));
    let bar = progress.then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar
    });
    let wall = Stopwatch::start();
    let mut pacer = match speed {
        Speed::Factor(x) => Some(Pacer::new(x)),
        Speed::Max => None,
    };
    engine.start();
    let mut swaps = swaps.iter().peekable();
    let mut out = |ev: ladder_sdk::MarketEvent| {
        while let Some(s) = swaps.next_if(|s| engine.stats().events >= s.after_events) {
            engine.swap_strategy(s.strategy, &s.replacement);
        }
        engine.on_event(&ev);
    };
    // A read error ends that capture: the lines before it are replayed, and the summary says
    // where it stopped (`truncation`).
    loop {
        let mut started = None;
        let before = |ts_recv: UnixNanos| {
            if let Some(pacer) = &mut pacer
                && ts_recv != UnixNanos::ZERO
            {
                pacer.wait(ts_recv);
            }
            started = Some(Stopwatch::start());
        };
        if pipeline.step_with(registry, &mut out, before).is_none() {
            break;
        }
        if let Some(t) = started {
            let _ = latency.record(t.elapsed_ns().max(1));
        }
        if let Some(bar) = &bar
            && pipeline.frames().is_multiple_of(4096)
        {
            bar.set_message(format!("{} frames", pipeline.frames()));
            bar.tick();
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(RunStats {
        frames: pipeline.frames(),
        parse_errors: pipeline.parse_errors(),
        gaps: pipeline.gaps(),
        wall_ns: wall.elapsed_ns(),
        latency,
        clock: pipeline.clock(),
        truncated: pipeline.truncation().cloned(),
    })
}

#[cfg(test)]
mod tests;
