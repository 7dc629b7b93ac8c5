//! Argument groups several subcommands share (`#[command(flatten)]`): the config file, the
//! strategies, the captures to read, and the venue choice (its values and help come from the
//! one venue list, [`Venue::ALL`]).

use super::common::{load_config, strategy_sources};
use crate::capture::merge::CaptureInput;
use crate::config::Config;
use crate::feed::Venue;
use crate::replay::StrategySource;
use clap::builder::{PossibleValuesParser, TypedValueParser as _};
use std::path::PathBuf;

/// `--venue` values: the names of [`Venue::ALL`].
pub(super) fn venue_parser() -> impl clap::builder::TypedValueParser<Value = Venue> {
    PossibleValuesParser::new(Venue::ALL.map(Venue::name))
        .map(|s| s.parse::<Venue>().unwrap_or(Venue::BinanceSpot))
}

/// `--config FILE`.
#[derive(Debug, Default, Clone, clap::Args)]
pub(super) struct ConfigArg {
    /// TOML config: instruments, strategies, paper exchange, risk, hot loop, outputs (and for
    /// live commands the venues).
    #[arg(long)]
    pub(super) config: Option<PathBuf>,
}

impl ConfigArg {
    /// The config (every value checked) and the SHA-256 of its text, or the defaults.
    pub(super) fn load(&self) -> anyhow::Result<(Config, Option<String>)> {
        load_config(self.config.as_ref())
    }
}

/// `--strategy LIB` and `--strategy-config FILE`, repeated.
#[derive(Debug, Default, Clone, clap::Args)]
pub(super) struct StrategyArgs {
    /// A strategy library (repeat for several). Default: the `[[strategy]]` entries of --config.
    #[arg(long = "strategy")]
    pub(super) strategies: Vec<PathBuf>,
    /// A file with the config string of the strategy at the same position (repeatable).
    #[arg(long = "strategy-config")]
    pub(super) strategy_configs: Vec<PathBuf>,
}

impl StrategyArgs {
    /// The strategies given, else the config's.
    pub(super) fn sources(&self, config: &Config) -> anyhow::Result<Vec<StrategySource>> {
        strategy_sources(&self.strategies, &self.strategy_configs, config)
    }
}

/// `CAPTURE...` and `--venue`.
#[derive(Debug, Clone, clap::Args)]
pub(super) struct CaptureArgs {
    /// Capture files (`<ts_recv_unix_ns> <frame>` lines, plain or gzip), read as one stream:
    /// different venues merged by receive time, files of one venue in the order given (daily
    /// files continue each other's books). `VENUE:PATH` names a file's venue. `ladder replay`
    /// also takes `nats://HOST:PORT` alone: the raw frames the bus retained (--subject, --from,
    /// --to).
    #[arg(required = true, value_name = "CAPTURE")]
    pub(super) captures: Vec<String>,
    /// Venue of the captures that do not name one (default: recognized from their content).
    #[arg(long, value_parser = venue_parser())]
    pub(super) venue: Option<Venue>,
}

impl CaptureArgs {
    /// Each capture with its venue.
    pub(super) fn inputs(&self) -> anyhow::Result<Vec<CaptureInput>> {
        self.captures
            .iter()
            .map(|c| CaptureInput::parse(c, self.venue).map_err(anyhow::Error::from))
            .collect()
    }
}

/// Default of `--sim-rate`: book events per second of each simulated venue.
pub(super) const DEFAULT_SIM_RATE: f64 = 200.0;
/// Default of `--seed`.
pub(super) const DEFAULT_SEED: u64 = 1;

/// The flags of [`MarketArgs`] as clap declares them.
#[derive(Debug, Clone, clap::Args)]
struct MarketFlags {
    /// A venue to connect to; repeat for several venues in one session (each `--symbol` after a
    /// `--venue` belongs to it: `--venue binance-spot --symbol BTCUSDT --venue binance-usdm
    /// --symbol BTCUSDT`). Default: the config's `[venue]` or `[[venue]]` entries, else the
    /// built-in simulated venue. With `--sim`: the wire format of a simulated venue, one
    /// simulator per `--venue`.
    #[arg(long = "venue", value_name = "VENUE", value_parser = venue_parser())]
    venues: Vec<Venue>,
    /// Symbol of the `--venue` before it (repeat, or comma-separated). Before any `--venue` it
    /// belongs to the only venue, if there is one. Default: the venue's `symbols` in the config
    /// (simulated: its BTCUSDT and ETHUSDT, or `SYMBOL:TICK:LOT:PRICE`).
    #[arg(long = "symbol", value_name = "SYMBOL", value_delimiter = ',')]
    symbols: Vec<String>,
    /// Use the built-in simulated venue (started in-process on 127.0.0.1) even when `--venue`
    /// or the config name a live one; `--venue` then picks the wire format it serves (see
    /// `ladder sim --help`), one simulator per `--venue`.
    #[arg(long)]
    sim: bool,
    /// Simulated venues: book events per second, each.
    #[arg(long, default_value_t = DEFAULT_SIM_RATE)]
    sim_rate: f64,
    /// Simulated venues: seed of the first; the next ones take seed+1, seed+2, ...
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
}

/// One `--venue` and the `--symbol`s after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct VenueGroup {
    /// The venue.
    pub(super) venue: Venue,
    /// The symbols after it, up to the next `--venue`.
    pub(super) symbols: Vec<String>,
}

/// The market of a live command (`ladder paper`, `ladder record`): `--venue V --symbol S...`
/// groups, `--sim`, `--sim-rate`, `--seed`. Resolved with the config by
/// [`super::common::markets`].
#[derive(Debug, Clone)]
pub(super) struct MarketArgs {
    /// `--symbol`s before any `--venue`.
    pub(super) leading: Vec<String>,
    /// Each `--venue` with its symbols, in command-line order.
    pub(super) groups: Vec<VenueGroup>,
    /// `--sim`.
    pub(super) sim: bool,
    /// `--sim-rate`.
    pub(super) sim_rate: f64,
    /// `--seed`.
    pub(super) seed: u64,
}

impl Default for MarketArgs {
    fn default() -> Self {
        Self {
            leading: Vec::new(),
            groups: Vec::new(),
            sim: false,
            sim_rate: DEFAULT_SIM_RATE,
            seed: DEFAULT_SEED,
        }
    }
}

impl MarketArgs {
    /// Groups each `--symbol` value with the `--venue` before it on the command line (by the
    /// values' positions: a comma-separated `--symbol A,B` is two values in place).
    fn from_flags(flags: MarketFlags, venue_at: &[usize], symbol_at: &[usize]) -> Self {
        let mut groups: Vec<VenueGroup> = flags
            .venues
            .iter()
            .map(|&venue| VenueGroup {
                venue,
                symbols: Vec::new(),
            })
            .collect();
        let mut leading = Vec::new();
        for (symbol, at) in flags.symbols.into_iter().zip(symbol_at) {
            match venue_at.iter().rposition(|v| v < at) {
                Some(g) => groups[g].symbols.push(symbol),
                None => leading.push(symbol),
            }
        }
        Self {
            leading,
            groups,
            sim: flags.sim,
            sim_rate: flags.sim_rate,
            seed: flags.seed,
        }
    }
}

impl clap::FromArgMatches for MarketArgs {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let flags = MarketFlags::from_arg_matches(m)?;
        let at = |id: &str| -> Vec<usize> {
            m.indices_of(id).map(Iterator::collect).unwrap_or_default()
        };
        Ok(Self::from_flags(flags, &at("venues"), &at("symbols")))
    }

    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl clap::Args for MarketArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        MarketFlags::augment_args(cmd)
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        MarketFlags::augment_args_for_update(cmd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;
    use rstest::rstest;

    #[derive(Debug, clap::Parser)]
    struct Cmd {
        #[command(flatten)]
        market: MarketArgs,
    }

    fn parse(args: &str) -> MarketArgs {
        Cmd::try_parse_from(std::iter::once("ladder").chain(args.split_whitespace()))
            .unwrap()
            .market
    }

    fn group(venue: Venue, symbols: &[&str]) -> VenueGroup {
        VenueGroup {
            venue,
            symbols: symbols.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[rstest]
    #[case::two_venues(
        "--venue binance-spot --symbol BTCUSDT --venue binance-usdm --symbol BTCUSDT --symbol ETHUSDT",
        &[],
        vec![group(Venue::BinanceSpot, &["BTCUSDT"]), group(Venue::BinanceUsdm, &["BTCUSDT", "ETHUSDT"])]
    )]
    #[case::comma_separated(
        "--venue binance-usdm --symbol BTCUSDT,ETHUSDT --venue binance-spot --symbol A",
        &[],
        vec![group(Venue::BinanceUsdm, &["BTCUSDT", "ETHUSDT"]), group(Venue::BinanceSpot, &["A"])]
    )]
    #[case::symbol_before_any_venue(
        "--symbol BTCUSDT --venue binance-usdm --symbol ETHUSDT",
        &["BTCUSDT"],
        vec![group(Venue::BinanceUsdm, &["ETHUSDT"])]
    )]
    #[case::other_flags_between(
        "--venue binance-spot --sim --symbol X --seed 3 --venue binance-usdm",
        &[],
        vec![group(Venue::BinanceSpot, &["X"]), group(Venue::BinanceUsdm, &[])]
    )]
    #[case::no_venue("--symbol BTCUSDT,ETHUSDT", &["BTCUSDT", "ETHUSDT"], vec![])]
    fn each_symbol_belongs_to_the_venue_before_it(
        #[case] args: &str,
        #[case] leading: &[&str],
        #[case] groups: Vec<VenueGroup>,
    ) {
        let m = parse(args);
        assert_eq!(m.leading, leading);
        assert_eq!(m.groups, groups);
    }

    #[test]
    fn market_defaults_match_the_flags_defaults() {
        let parsed = parse("");
        let default = MarketArgs::default();
        assert_eq!(
            (parsed.sim, parsed.sim_rate, parsed.seed),
            (default.sim, default.sim_rate, default.seed)
        );
        assert!(parsed.groups.is_empty() && parsed.leading.is_empty());
    }
}
