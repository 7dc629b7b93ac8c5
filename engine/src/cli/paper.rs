//! `ladder paper`: paper trade strategies live. With no arguments it starts the built-in
//! simulated venue (Binance spot's wire format) and trades the two example strategies on it;
//! `--sim --venue binance-usdm` simulates that venue instead.

use super::common::{load_config, market, strategy_sources};
use crate::feed::Venue;
use crate::replay::StrategySource;
use crate::session::{Display, Market, PaperOptions, run_paper};
use anyhow::Context as _;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `ladder paper`.
#[derive(Debug, Default, clap::Args)]
pub(super) struct Args {
    /// TOML config: `[venue]`, instruments, strategies, paper exchange, risk, hot loop, outputs.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Trade a live venue (binance-spot, binance-usdm, binance-coinm) instead of the simulator.
    #[arg(long)]
    venue: Option<Venue>,
    /// Symbol to trade (repeat for several).
    #[arg(long = "symbol")]
    symbols: Vec<String>,
    /// A strategy library (repeat). Default: the example strategies built next to `ladder`.
    #[arg(long = "strategy")]
    strategies: Vec<PathBuf>,
    /// A file with the config string of the strategy at the same position (repeatable).
    #[arg(long = "strategy-config")]
    strategy_configs: Vec<PathBuf>,
    /// Stop after this long (e.g. `30s`, `10m`, `1h`).
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// No dashboard: one summary line every few seconds.
    #[arg(long)]
    headless: bool,
    /// Report directory (default: ladder-reports/paper-<venue>; simulated: paper-sim, or
    /// paper-sim-<venue> for another venue than binance-spot).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Trade the built-in simulated venue even when `--venue` or `[venue]` name a live one;
    /// `--venue` then picks the wire format it serves (see `ladder sim --help`).
    #[arg(long)]
    sim: bool,
    /// Simulated venue: book events per second.
    #[arg(long, default_value_t = 200.0)]
    sim_rate: f64,
    /// Simulated venue: seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Parses `500ms`, `30s`, `10m`, `1h` or a number of seconds.
pub(super) fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, unit) = s
        .find(|c: char| c.is_ascii_alphabetic())
        .map_or((s, "s"), |i| s.split_at(i));
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("expected a duration like 30s or 10m, got {s:?}"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => {
            return Err(format!(
                "unknown duration unit {unit:?} in {s:?} (use ms, s, m or h)"
            ));
        }
    };
    if !(secs.is_finite() && secs > 0.0) {
        return Err(format!("duration must be positive, got {s:?}"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The example strategy libraries built next to the `ladder` binary; the micro-price one trades
/// `symbol` with tick `tick`.
fn bundled_strategies(symbol: &str, tick: &str) -> anyhow::Result<Vec<StrategySource>> {
    let exe = std::env::current_exe().context("cannot locate the ladder binary")?;
    let dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    let lib = |name: &str| {
        dir.join(format!(
            "{}{name}{}",
            std::env::consts::DLL_PREFIX,
            std::env::consts::DLL_SUFFIX
        ))
    };
    let (imb, mp) = (
        lib("ladder_strategy_imbalance"),
        lib("ladder_strategy_microprice"),
    );
    for p in [&imb, &mp] {
        if !p.exists() {
            anyhow::bail!(
                "example strategy {} not found; build them with `cargo build --release` (or pass --strategy LIB)",
                p.display()
            );
        }
    }
    Ok(vec![
        StrategySource::Library {
            path: imb,
            config: String::new(),
        },
        StrategySource::Library {
            path: mp,
            config: format!(
                "tick_size = \"{tick}\"\nsymbol = \"{symbol}\"\nfallback = \"weighted_mid\""
            ),
        },
    ])
}

pub(super) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let (config, config_sha256) = load_config(args.config.as_ref())?;
    let market = market(
        args.sim,
        args.venue,
        &args.symbols,
        &config,
        args.sim_rate,
        args.seed,
    )?;
    let mut strategies = strategy_sources(&args.strategies, &args.strategy_configs, &config)?;
    if strategies.is_empty() {
        // The simulator's first symbol (spot: BTCUSDT, tick 0.01; USD-M: tick 0.1); live venues
        // keep spot BTCUSDT's grid.
        let (symbol, tick) = match &market {
            Market::Sim(c) => c.symbols.first().map_or_else(
                || ("BTCUSDT".to_owned(), "0.01".to_owned()),
                |s| (s.symbol.clone(), s.tick_size.normalize().to_string()),
            ),
            Market::Live { .. } => ("BTCUSDT".to_owned(), "0.01".to_owned()),
        };
        strategies = bundled_strategies(&symbol, &tick)?;
    }
    let venue_label = match &market {
        Market::Sim(c) if c.venue == Venue::BinanceSpot => "sim".to_owned(),
        Market::Sim(c) => format!("sim-{}", c.venue),
        Market::Live { venue, .. } => venue.to_string(),
    };
    let report_dir = args
        .report
        .clone()
        .unwrap_or_else(|| PathBuf::from("ladder-reports").join(format!("paper-{venue_label}")));
    let dashboard =
        !args.headless && std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    let watchdog = Duration::from_secs(config.venue.as_ref().map_or(30, |v| v.watchdog_secs));
    let summary = run_paper(PaperOptions {
        market,
        strategies,
        config,
        config_sha256,
        report_dir: report_dir.clone(),
        duration: args.duration,
        display: if dashboard {
            Display::Dashboard
        } else {
            Display::Headless {
                every: Duration::from_secs(5),
            }
        },
        watchdog,
    })?;
    print!("{}", summary.to_human());
    println!("report: {}", report_dir.display());
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("abc").is_err());
    }
}
