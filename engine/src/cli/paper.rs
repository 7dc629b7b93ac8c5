//! `ladder paper`: paper trade strategies live. With no arguments it starts the built-in
//! simulated venue (Binance spot's wire format) and trades the two example strategies on it;
//! `--sim --venue binance-usdm` simulates that venue instead. Several `--venue V --symbol S...`
//! groups (or `[[venue]]` entries) trade several venues in one session, one feed each.

use super::args::{ConfigArg, MarketArgs, StrategyArgs};
use super::common::markets;
use crate::feed::Venue;
use crate::replay::StrategySource;
use crate::session::{
    BusSource, Display, Market, PaperOptions, ReloadOptions, SessionMarket, run_paper_with,
};
use anyhow::Context as _;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `ladder paper`.
#[derive(Debug, Default, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    config: ConfigArg,
    #[command(flatten)]
    market: MarketArgs,
    #[command(flatten)]
    strategies: StrategyArgs,
    /// Stop after this long (e.g. `30s`, `10m`, `1h`).
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// No dashboard: one summary line every few seconds.
    #[arg(long)]
    headless: bool,
    /// Report directory (default: ladder-reports/paper-<venue>; simulated: paper-sim, or
    /// paper-sim-<venue> for another venue than binance-spot; several venues: their names
    /// joined by `+`, e.g. paper-sim-binance-spot+sim-binance-usdm).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Serve Prometheus metrics on `/metrics` at this address (`HOST:PORT`, or `PORT` for
    /// 127.0.0.1); overrides `[metrics] listen`.
    #[arg(long, value_name = "ADDR", value_parser = parse_metrics)]
    metrics: Option<String>,
    /// Hot-reload a strategy library when its file changes (checked every 250 ms off the hot
    /// thread). Without it: `r` in the dashboard or SIGHUP (`kill -HUP PID`) reloads them all.
    #[arg(long)]
    watch: bool,
    /// Consume the normalized feed of `ladder feed` from this NATS server (`nats://HOST:PORT`,
    /// `tls://HOST:PORT`) instead of connecting to venues; default: `[source] url` of
    /// --config, if any. Credentials: `[source]` or `LADDER_NATS_*`.
    #[arg(long, value_name = "URL", conflicts_with_all = ["venues", "sim"])]
    source: Option<String>,
    /// With --source: only the instruments whose bus key (`<venue>.<symbol>`) starts with this
    /// (e.g. `binance-spot.` or `binance-usdm.BTCUSDT`).
    #[arg(long, value_name = "PREFIX", requires = "source")]
    subject: Option<String>,
}

/// Checks a `--metrics` address when the command line is parsed.
pub(super) fn parse_metrics(s: &str) -> Result<String, String> {
    crate::metrics::parse_listen(s).map(|_| s.to_owned())
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

/// The example strategy libraries built next to the `ladder` binary: with one venue the
/// imbalance strategy (on the first instrument it sees) and the micro-price one on `symbol` with
/// tick `tick`; with several venues both on each venue's first instrument (`venue:SYMBOL`).
fn bundled_strategies(markets: &[SessionMarket]) -> anyhow::Result<Vec<StrategySource>> {
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
    let several = markets.len() > 1;
    let mut out = Vec::new();
    for m in markets {
        // The simulator's first symbol (spot: BTCUSDT, tick 0.01; USD-M: tick 0.1); a live
        // venue's first symbol, with spot BTCUSDT's grid.
        let (symbol, tick) = match &m.market {
            Market::Sim(c) => c.symbols.first().map_or_else(
                || ("BTCUSDT".to_owned(), "0.01".to_owned()),
                |s| (s.symbol.clone(), s.tick_size.normalize().to_string()),
            ),
            Market::Live { symbols, .. } => (
                symbols
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "BTCUSDT".to_owned()),
                "0.01".to_owned(),
            ),
        };
        let symbol = if several {
            format!("{}:{symbol}", m.market.venue())
        } else {
            symbol
        };
        out.push(StrategySource::Library {
            path: imb.clone(),
            config: if several {
                format!("symbol = \"{symbol}\"")
            } else {
                String::new()
            },
        });
        out.push(StrategySource::Library {
            path: mp.clone(),
            config: format!(
                "tick_size = \"{tick}\"\nsymbol = \"{symbol}\"\nfallback = \"weighted_mid\""
            ),
        });
    }
    Ok(out)
}

/// The default report directory: `ladder-reports/paper-<label>`, the label naming each venue
/// (`sim` for simulated binance-spot alone, else `sim-<venue>`, or the live venue's name),
/// joined by `+`.
fn default_report_dir(markets: &[SessionMarket]) -> PathBuf {
    let several = markets.len() > 1;
    let label = markets
        .iter()
        .map(|m| match &m.market {
            Market::Sim(c) if c.venue == Venue::BinanceSpot && !several => "sim".to_owned(),
            Market::Sim(c) => format!("sim-{}", c.venue),
            Market::Live { venue, .. } => venue.to_string(),
        })
        .collect::<Vec<_>>()
        .join("+");
    PathBuf::from("ladder-reports").join(format!("paper-{label}"))
}

pub(super) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let (mut config, config_sha256) = args.config.load()?;
    if let Some(listen) = &args.metrics {
        config.metrics.listen = Some(listen.clone());
    }
    let source = match (&args.source, &config.source) {
        (Some(url), config_source) => {
            let mut s = config_source.clone().unwrap_or_default();
            s.url = Some(url.clone());
            Some(s)
        }
        (None, Some(s)) if s.url.is_some() => Some(s.clone()),
        _ => None,
    }
    .map(|config| BusSource {
        config,
        filter: args.subject.clone(),
    });
    let markets = if source.is_some() {
        Vec::new()
    } else {
        markets(&args.market, &config)?
    };
    let mut strategies = args.strategies.sources(&config)?;
    if strategies.is_empty() {
        if source.is_some() {
            anyhow::bail!(
                "--source needs --strategy LIB (or [[strategy]] in --config): the bus's \
                 instruments are known only once joined"
            );
        }
        strategies = bundled_strategies(&markets)?;
    }
    let report_dir = args.report.clone().unwrap_or_else(|| {
        if source.is_some() {
            PathBuf::from("ladder-reports/paper-bus")
        } else {
            default_report_dir(&markets)
        }
    });
    let dashboard =
        !args.headless && std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    if dashboard && crate::logging::writes_to_stderr() {
        anyhow::bail!(
            "logs on stderr would be drawn over by the dashboard: give --log FILE, or --headless"
        );
    }
    let summary = run_paper_with(
        PaperOptions {
            markets,
            strategies,
            config,
            config_sha256,
            report_dir: report_dir.clone(),
            duration: args.duration,
            source,
            display: if dashboard {
                Display::Dashboard
            } else {
                Display::Headless {
                    every: Duration::from_secs(5),
                }
            },
        },
        ReloadOptions { watch: args.watch },
    )?;
    print!("{}", summary.to_human());
    println!("report: {}", report_dir.display());
    println!(
        "html: {}",
        report_dir.join(crate::report::html::FILE_NAME).display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::sim::SimConfig;

    #[test]
    fn no_arguments_trade_the_simulated_spot_venue_at_the_default_rate() {
        let m = markets(&Args::default().market, &Config::default()).unwrap();
        let [
            SessionMarket {
                market: Market::Sim(sim),
                ..
            },
        ] = m.as_slice()
        else {
            panic!("{m:?}");
        };
        assert_eq!(sim.venue, Venue::BinanceSpot);
        assert_eq!((sim.messages_per_sec, sim.seed), (200.0, 1));
        assert_eq!(
            default_report_dir(&m),
            Path::new("ladder-reports/paper-sim")
        );
    }

    #[test]
    fn default_report_dir_names_every_venue() {
        let sim = |v| SessionMarket::sim(SimConfig::for_venue(v).unwrap());
        let dir = |m: &[SessionMarket]| default_report_dir(m).display().to_string();
        assert_eq!(
            dir(&[sim(Venue::BinanceUsdm)]),
            "ladder-reports/paper-sim-binance-usdm"
        );
        assert_eq!(
            dir(&[sim(Venue::BinanceSpot), sim(Venue::BinanceUsdm)]),
            "ladder-reports/paper-sim-binance-spot+sim-binance-usdm"
        );
    }

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
