//! `ladder bench --capture FILE --venue V [--strategy LIB]... [--strategy-config FILE]...
//! [--rate N] [--passes N] [--core C] [--json FILE] [--plot FILE.svg|png]` and
//! `ladder bench --sim --rate N --duration D [...]`: per-stage latency of the two-thread
//! pipeline with a hiccup meter (`bench` module).

use super::paper::parse_duration;
use crate::bench::{BenchOptions, BenchSource, plot, run as run_bench};
use crate::config::Config;
use crate::feed::Venue;
use crate::replay::StrategySource;
use anyhow::Context as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `ladder bench`.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Capture to replay (`<ts_recv_unix_ns> <frame>` lines, plain or gzip).
    #[arg(long, conflicts_with = "sim", required_unless_present = "sim")]
    capture: Option<PathBuf>,
    /// Venue of the capture (binance-spot, binance-usdm, binance-coinm).
    #[arg(long, requires = "capture")]
    venue: Option<Venue>,
    /// Measure over the built-in simulated venue's WebSocket on 127.0.0.1 instead.
    #[arg(long)]
    sim: bool,
    /// A strategy library (repeat). Default: the imbalance example built next to `ladder`.
    #[arg(long = "strategy")]
    strategies: Vec<PathBuf>,
    /// A file with the config string of the strategy at the same position (repeatable).
    #[arg(long = "strategy-config")]
    strategy_configs: Vec<PathBuf>,
    /// TOML config: paper exchange, risk, ring capacity, top levels.
    #[arg(long)]
    config: Option<PathBuf>,
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
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    if args.strategy_configs.len() > args.strategies.len() {
        anyhow::bail!(
            "{} --strategy-config given for {} --strategy; give one per strategy, in the same order",
            args.strategy_configs.len(),
            args.strategies.len()
        );
    }
    if let Some(r) = args.rate
        && !(r.is_finite() && r > 0.0)
    {
        anyhow::bail!("--rate must be a positive number of messages per second, got {r}");
    }
    let libraries = if args.strategies.is_empty() {
        vec![default_strategy()?]
    } else {
        args.strategies.clone()
    };
    let mut strategies = Vec::new();
    for (k, path) in libraries.iter().enumerate() {
        let text = match args.strategy_configs.get(k) {
            Some(p) => std::fs::read_to_string(p)
                .with_context(|| format!("cannot read strategy config {}", p.display()))?,
            None => String::new(),
        };
        strategies.push(StrategySource::Library {
            path: path.clone(),
            config: text,
        });
    }
    let source = match (&args.capture, args.sim) {
        (Some(path), false) => BenchSource::Capture {
            path: path.clone(),
            venue: args.venue.ok_or_else(|| {
                anyhow::anyhow!("--venue is needed with --capture (e.g. --venue binance-spot)")
            })?,
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
