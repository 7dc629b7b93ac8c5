//! The `ladder` command line: one file per subcommand.

mod args;
mod bench;
mod bus_args;
mod common;
mod feed;
mod fit_microprice;
mod inspect;
mod new_strategy;
mod paper;
mod plugins;
mod record;
mod replay;
mod sim;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// ladder: a low-latency L2 market-data signal engine with plugin strategies.
#[derive(Debug, Parser)]
#[command(name = "ladder", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Write structured logs to this file (appended); without it, logs asked for by
    /// `--log-level` or `RUST_LOG` go to stderr.
    #[arg(long, global = true, value_name = "FILE")]
    log: Option<std::path::PathBuf>,
    /// Log level or filter (`info`, `debug`, `ladder=debug`); default `info` with `--log`,
    /// else `RUST_LOG`, else no logs.
    #[arg(long, global = true, value_name = "LEVEL")]
    log_level: Option<String>,
    /// Log line format.
    #[arg(long, global = true, value_enum, default_value_t)]
    log_format: crate::logging::LogFormat,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Paper trade strategies live (default: the built-in simulated venue and the example
    /// strategies).
    Paper(paper::Args),
    /// Replay captures through decoder, sequencer and book, and report their integrity.
    Inspect(inspect::Args),
    /// Replay captures through the hot engine: strategies, risk, paper exchange; write a report.
    Replay(replay::Args),
    /// Validate strategy libraries.
    #[command(subcommand)]
    Plugins(plugins::Command),
    /// Fit Stoikov's micro-price G* table from quotes.
    FitMicroprice(fit_microprice::Args),
    /// Scaffold a new strategy crate.
    NewStrategy(new_strategy::Args),
    /// Run the built-in simulated venue (a venue's wire format, default Binance spot) on
    /// 127.0.0.1.
    Sim(sim::Args),
    /// Record a live feed (or the simulated venue) as a capture file.
    Record(record::Args),
    /// Run the venue connectors headless and publish to NATS JetStream (scale-out).
    Feed(feed::Args),
    /// Per-stage latency of the two-thread pipeline over a capture or the simulated venue,
    /// with a hiccup meter; table, JSON and plot.
    Bench(bench::Args),
}

/// Parses the command line, runs the subcommand, and turns errors into one clear message on
/// stderr and a non-zero exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let logs = crate::logging::LogOptions {
        level: cli.log_level.clone(),
        file: cli.log.clone(),
        format: cli.log_format,
    };
    if let Err(e) = crate::logging::init(&logs) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let result = match cli
        .command
        .unwrap_or_else(|| Command::Paper(paper::Args::default()))
    {
        Command::Paper(args) => paper::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::Plugins(cmd) => plugins::run(&cmd),
        Command::FitMicroprice(args) => fit_microprice::run(&args),
        Command::NewStrategy(args) => new_strategy::run(&args),
        Command::Sim(args) => sim::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Record(args) => record::run(&args),
        Command::Feed(args) => feed::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
