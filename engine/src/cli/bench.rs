//! `ladder bench --capture FILE... [--venue V] [--strategy LIB]... [--strategy-config FILE]...
//! [--rate N] [--passes N] [--core C] [--json FILE] [--plot FILE.svg|png]` and
//! `ladder bench --sim --rate N --duration D [...]`: per-stage latency of the two-thread
//! pipeline with a hiccup meter (`bench` module).

use super::args::{ConfigArg, StrategyArgs, venue_parser};
use super::paper::parse_duration;
use crate::bench::{BenchOptions, BenchSource, plot, run as run_bench};
use crate::capture::merge::CaptureInput;
use crate::feed::Venue;
use crate::replay::StrategySource;
use anyhow::Context as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `ladder bench`.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Capture to replay (`<ts_recv_unix_ns> <frame>` lines, plain or gzip; repeat for several,
    /// read as one stream; `VENUE:PATH` names a file's venue).
    #[arg(long, conflicts_with = "sim", required_unless_present = "sim")]
    capture: Vec<String>,
    /// Venue of the captures that do not name one (default: recognized from their content).
    #[arg(long, requires = "capture", value_parser = venue_parser())]
    venue: Option<Venue>,
    /// Measure over the built-in simulated venue's WebSocket on 127.0.0.1 instead.
    #[arg(long)]
    sim: bool,
    /// Strategies (default: the config's `[[strategy]]`, else the imbalance example built next
    /// to `ladder`).
    #[command(flatten)]
    strategies: StrategyArgs,
    #[command(flatten)]
    config: ConfigArg,
    /// Messages per second: capture frames on a fixed schedule (coordinated-omission
    /// corrected); sim book events. Capture default: full speed. Sim default: 10000.
    #[arg(long)]
    rate: Option<f64>,
    /// Passes over the capture (the engine restarts per pass), 1 to 100000.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    passes: u32,
    /// At full speed, frames in flight at most: 1 (default) reads the next frame as soon as
    /// the hot thread finished the previous one (latency without queueing); 0 is unbounded
    /// (the feed runs ahead, the ring fills: throughput, and latency as queueing).
    #[arg(long, default_value_t = 1)]
    in_flight: u32,
    /// How long to measure the simulated venue (e.g. 20s, 2m).
    #[arg(long, value_parser = parse_duration, default_value = "20s")]
    duration: Duration,
    /// Core of the hot thread (default: the last core); the feed and the hiccup meter run on
    /// another.
    #[arg(long)]
    core: Option<usize>,
    /// Gaps of the hiccup meter above this many nanoseconds are counted.
    #[arg(long, default_value_t = 1_000)]
    hiccup_threshold_ns: u64,
    /// Write the full report (with the machine description) as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Draw the latency percentile curves (`.svg` or `.png`).
    #[arg(long)]
    plot: Option<PathBuf>,
}

/// The imbalance example library next to the `ladder` binary.
fn default_strategy() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot locate the ladder binary")?;
    let dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    let lib = dir.join(format!(
        "{}ladder_strategy_imbalance{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    if !lib.exists() {
        anyhow::bail!(
            "example strategy {} not found; build it with `cargo build --release` (or pass --strategy LIB)",
            lib.display()
        );
    }
    Ok(lib)
}

pub(super) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let (config, _) = args.config.load()?;
    if let Some(r) = args.rate
        && !(r.is_finite() && r > 0.0)
    {
        anyhow::bail!("--rate must be a positive number of messages per second, got {r}");
    }
    let mut strategies = args.strategies.sources(&config)?;
    if strategies.is_empty() {
        strategies.push(StrategySource::Library {
            path: default_strategy()?,
            config: String::new(),
        });
    }
    let source = match (args.capture.is_empty(), args.sim) {
        (false, false) => BenchSource::Capture {
            captures: args
                .capture
                .iter()
                .map(|c| CaptureInput::parse(c, args.venue))
                .collect::<Result<_, _>>()?,
            rate: args.rate,
            passes: args.passes,
            in_flight: args.in_flight,
        },
        _ => BenchSource::Sim {
            rate: args.rate.unwrap_or(10_000.0),
            duration: args.duration,
        },
    };
    let report = run_bench(BenchOptions {
        source,
        strategies,
        config,
        hot_core: args.core,
        hiccup_threshold_ns: args.hiccup_threshold_ns,
    })?;
    print!("{}", report.to_human());
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report.to_json())? + "\n";
        std::fs::write(path, text)
            .with_context(|| format!("cannot write the JSON report {}", path.display()))?;
        println!("json: {}", path.display());
    }
    if let Some(path) = &args.plot {
        plot(&report, path)?;
        println!("plot: {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
