//! `ladder replay CAPTURE... [--venue V] --strategy LIB... [--strategy-config FILE]... [--config
//! FILE] [--report DIR] [--speed max|X] [--swap STRATEGY=LIB@EVENT]...`: a deterministic replay
//! through the hot engine, with a report. Several captures are one stream (`capture::merge`).
//! `--swap` replaces a strategy's library after EVENT events, as a hot reload does in `paper`.
//!
//! `ladder replay nats://HOST:PORT [--subject ladder.raw.>] [--from T] [--to T] ...` replays the
//! raw frames JetStream retained (`ladder feed --raw`) through the same pipeline, from the
//! capture files it first writes into the report directory (`bus::replay::pipeline`).
//!
//! A capture that cannot be read to its end (a killed recording) is replayed up to its last
//! complete line and the report is written; the command then says where reading stopped and
//! exits with status 1, so a script does not take a partial replay for a whole one.

use super::args::{CaptureArgs, ConfigArg, StrategyArgs};
use super::bus_args::{BusReadArgs, is_bus_url};
use crate::capture::merge::{CaptureInput, describe};
use crate::replay::{ReplayOptions, Speed, SwapAt, replay_with_swaps};
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `ladder replay`.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    captures: CaptureArgs,
    #[command(flatten)]
    strategies: StrategyArgs,
    #[command(flatten)]
    config: ConfigArg,
    #[command(flatten)]
    bus: BusReadArgs,
    /// Report directory (default: ladder-reports/replay-<first capture's name>, or
    /// ladder-reports/replay-nats for a bus).
    #[arg(long)]
    report: Option<PathBuf>,
    /// `max` (default) or a multiple of the recorded pace, e.g. `10`. Pacing follows engine
    /// time, which moves at most an hour per line: one line never waits more than an hour
    /// divided by this.
    #[arg(long, default_value = "max", value_parser = parse_speed)]
    speed: Speed,
    /// Swap a strategy's library after EVENT events, as a hot reload does in `ladder paper`:
    /// STRATEGY is its index from 0 or its name, LIB the new library (same config). With state
    /// handoff the run goes on as without the swap. Repeatable.
    #[arg(long = "swap", value_name = "STRATEGY=LIB@EVENT", value_parser = parse_swap)]
    swaps: Vec<SwapAt>,
}

fn parse_swap(s: &str) -> Result<SwapAt, String> {
    let form = "expected STRATEGY=LIB@EVENT, e.g. 0=target/release/libmy.so@5000";
    let (left, event) = s
        .rsplit_once('@')
        .ok_or_else(|| format!("{form}, got {s:?}"))?;
    let (strategy, library) = left
        .split_once('=')
        .ok_or_else(|| format!("{form}, got {s:?}"))?;
    let after_events = event
        .parse::<u64>()
        .map_err(|_| format!("event {event:?} of {s:?} is not a count of events"))?;
    if strategy.is_empty() || library.is_empty() {
        return Err(format!("{form}, got {s:?}"));
    }
    Ok(SwapAt {
        strategy: strategy.to_owned(),
        library: PathBuf::from(library),
        after_events,
    })
}

fn parse_speed(s: &str) -> Result<Speed, String> {
    if s == "max" {
        return Ok(Speed::Max);
    }
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(Speed::Factor(x)),
        _ => Err(format!("expected `max` or a positive number, got {s:?}")),
    }
}

/// The bus URL among the CAPTURE arguments, if one is given (then it must be the only one).
fn bus_source(args: &Args) -> anyhow::Result<Option<&str>> {
    let given = &args.captures.captures;
    match given.iter().find(|c| is_bus_url(c)) {
        Some(url) if given.len() > 1 => anyhow::bail!(
            "{url} is a bus: replay it alone, without capture files (give nats://HOST:PORT as the only CAPTURE)"
        ),
        Some(_) if args.captures.venue.is_some() => anyhow::bail!(
            "--venue names a capture file's venue; a bus's frames name theirs (use --subject ladder.raw.<venue>.>)"
        ),
        Some(url) => Ok(Some(url.as_str())),
        None if args.bus.given() => anyhow::bail!(
            "--subject, --from and --to read from the bus: give nats://HOST:PORT instead of capture files"
        ),
        None => Ok(None),
    }
}

/// The replay of `captures` the arguments ask for: config, strategies, speed, report directory.
fn options(
    args: &Args,
    captures: Vec<CaptureInput>,
    report_dir: PathBuf,
) -> anyhow::Result<ReplayOptions> {
    let (config, config_sha256) = args.config.load()?;
    let strategies = args.strategies.sources(&config)?;
    Ok(ReplayOptions {
        captures,
        strategies,
        config,
        config_sha256,
        report_dir,
        speed: args.speed,
        progress: std::io::stderr().is_terminal(),
    })
}

fn print_report_paths(report_dir: &Path) {
    println!("report: {}", report_dir.display());
    println!(
        "html: {}",
        report_dir.join(crate::report::html::FILE_NAME).display()
    );
}

/// `ladder replay nats://...`.
fn run_bus(args: &Args, url: &str) -> anyhow::Result<ExitCode> {
    let report_dir = args
        .report
        .clone()
        .unwrap_or_else(|| PathBuf::from("ladder-reports").join("replay-nats"));
    let options = options(args, Vec::new(), report_dir.clone())?;
    let read = args.bus.read_options(url, &options.config, false, None)?;
    let done = crate::bus::replay::pipeline::replay_from_bus(&read, options, &args.swaps)?;
    let c = &done.counts;
    println!(
        "read {} frames ({} snapshots) of {} at {}{}: {} outside the window, {} gaps, {} publisher restarts, {} undecodable",
        c.frames,
        c.snapshots,
        read.subject,
        read.source.display_url(),
        read.window.describe(),
        c.outside,
        c.gaps,
        c.restarts,
        c.decode_errors
    );
    print!("{}", done.summary.to_human());
    println!("captures: {}", describe(&done.captures));
    print_report_paths(&report_dir);
    if c.gaps > 0 || c.decode_errors > 0 {
        eprintln!(
            "warning: the bus lacked {} frame run(s) and held {} undecodable message(s); the replay counted the venue's gaps",
            c.gaps, c.decode_errors
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if let Some(url) = bus_source(args)? {
        return run_bus(args, url);
    }
    let captures = args.captures.inputs()?;
    let report_dir = args.report.clone().unwrap_or_else(|| {
        let stem = captures[0]
            .path
            .file_name()
            .map_or("capture".into(), |n| n.to_string_lossy().into_owned());
        PathBuf::from("ladder-reports").join(format!("replay-{}", stem.trim_end_matches(".gz")))
    });
    let summary = replay_with_swaps(
        options(args, captures.clone(), report_dir.clone())?,
        &args.swaps,
    )?;
    print!("{}", summary.to_human());
    print_report_paths(&report_dir);
    if let Some(stop) = &summary.truncated {
        eprintln!(
            "error: capture {} is truncated: {stop}; the report covers those lines",
            describe(&captures)
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_swap_splits_strategy_library_and_event() {
        let s = parse_swap("imbalance=/tmp/a@b/lib.so@1200").unwrap();
        assert_eq!(s.strategy, "imbalance");
        assert_eq!(s.library, PathBuf::from("/tmp/a@b/lib.so"));
        assert_eq!(s.after_events, 1200);
    }

    #[test]
    fn parse_swap_without_event_or_strategy_names_the_form() {
        for bad in ["lib.so@5", "0=lib.so", "0=lib.so@x", "=lib.so@1", "0=@1"] {
            let e = parse_swap(bad).unwrap_err();
            assert!(
                e.contains("STRATEGY=LIB@EVENT") || e.contains("count"),
                "{bad}: {e}"
            );
        }
    }
}
