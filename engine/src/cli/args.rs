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
    /// files continue each other's books). `VENUE:PATH` names a file's venue.
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
