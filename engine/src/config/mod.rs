//! The TOML config file: venues, instruments, strategies, paper exchange, risk, hot loop and
//! outputs. Unknown keys and bad values are errors naming the key and the file line.
//!
//! ```toml
//! [hot]
//! core = 1                  # pin the hot thread to this core (omit: no pinning)
//! wait = "spin"             # or "spin_then_yield"
//!
//! [paper]
//! maker_fee_bps = "0"
//! taker_fee_bps = "1"
//! entry_latency = { constant = { ns = 1000000 } }
//!
//! [risk]
//! max_position = 100        # lots
//!
//! [output]
//! signals_every = 10        # keep every 10th signal value in signals.csv
//!
//! [[instrument]]
//! symbol = "BTCUSDT"
//! tick_size = "0.1"
//! lot_size = "0.001"
//!
//! [[strategy]]
//! library = "target/release/libladder_strategy_imbalance.so"
//! config = "threshold = 0.3"
//! ```

use crate::feed::Venue;
use crate::feed::binance::endpoints::{Endpoints, EndpointsConfig};
use crate::paper::PaperConfig;
use crate::risk::RiskLimits;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why a config could not be used.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The TOML is malformed, a key is unknown, or a value is bad.
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong, naming the key.
        message: String,
    },
}

/// How the hot thread waits for input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitStrategy {
    /// Busy-spin (lowest latency; owns a core: use it with a core of its own).
    Spin,
    /// Spin for `spin_iterations` empty polls, then yield the core each poll (the default: on
    /// a small machine the feed, the simulated venue and the dashboard share the cores).
    #[default]
    SpinThenYield,
}

/// `[hot]`: the pinned hot loop.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HotConfig {
    /// Core to pin the hot thread to; `None` leaves it to the scheduler.
    pub core: Option<usize>,
    /// Wait strategy.
    pub wait: WaitStrategy,
    /// Empty polls before yielding, with `spin_then_yield`.
    pub spin_iterations: u32,
    /// Capacity of each feed's ring to the hot thread (events).
    pub ring_capacity: usize,
    /// Capacity of the output ring to the writer thread (records).
    pub output_capacity: usize,
    /// Levels per side lent to strategies.
    pub top_levels: usize,
}

impl Default for HotConfig {
    fn default() -> Self {
        Self {
            core: None,
            wait: WaitStrategy::SpinThenYield,
            spin_iterations: 10_000,
            ring_capacity: 1 << 16,
            output_capacity: 1 << 16,
            top_levels: 20,
        }
    }
}

/// `[output]`: what the report directory keeps.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputConfig {
    /// Keep every Nth signal value per strategy in `signals.csv` (0 keeps none).
    pub signals_every: u64,
}

impl Default for OutputConfig {
    fn default() -> Self {
        Self { signals_every: 1 }
    }
}

/// `[[instrument]]`: a symbol's tick and lot size.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstrumentConfig {
    /// Venue symbol.
    pub symbol: String,
    /// Tick size, e.g. `"0.1"`.
    #[serde(with = "rust_decimal::serde::str")]
    pub tick_size: Decimal,
    /// Lot size, e.g. `"0.001"`.
    #[serde(with = "rust_decimal::serde::str")]
    pub lot_size: Decimal,
}

/// `[[strategy]]`: a strategy library and its config.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategyConfig {
    /// Path to the strategy's shared library.
    pub library: PathBuf,
    /// The strategy's config string (TOML or JSON, as the strategy reads it).
    #[serde(default)]
    pub config: Option<String>,
    /// A file holding the strategy's config string (relative to the config file).
    #[serde(default)]
    pub config_file: Option<PathBuf>,
}

/// `[venue]`: the live venue `ladder paper` trades; endpoints left out keep the production
/// defaults (set them to point at a testnet).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VenueConfig {
    /// `binance-spot`, `binance-usdm` or `binance-coinm`.
    #[serde(deserialize_with = "venue_name")]
    pub name: Venue,
    /// Symbols to trade.
    #[serde(default)]
    pub symbols: Vec<String>,
    /// WebSocket base for depth and book ticker streams.
    #[serde(default)]
    pub ws_book: Option<String>,
    /// WebSocket base for trade streams.
    #[serde(default)]
    pub ws_trades: Option<String>,
    /// REST base.
    #[serde(default)]
    pub rest: Option<String>,
    /// Seconds without data before a connection counts as dead.
    #[serde(default = "default_watchdog")]
    pub watchdog_secs: u64,
}

fn default_watchdog() -> u64 {
    30
}

fn venue_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Venue, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(serde::de::Error::custom)
}

impl VenueConfig {
    /// The endpoints: production defaults with this section's overrides.
    pub fn endpoints(&self) -> Endpoints {
        EndpointsConfig {
            ws_book: self.ws_book.clone(),
            ws_trades: self.ws_trades.clone(),
            rest: self.rest.clone(),
        }
        .resolve(self.name)
    }
}

/// The whole config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[hot]`.
    #[serde(default)]
    pub hot: HotConfig,
    /// `[paper]`.
    #[serde(default)]
    pub paper: PaperConfig,
    /// `[risk]`.
    #[serde(default)]
    pub risk: RiskLimits,
    /// `[output]`.
    #[serde(default)]
    pub output: OutputConfig,
    /// `[[instrument]]` entries.
    #[serde(default, rename = "instrument")]
    pub instruments: Vec<InstrumentConfig>,
    /// `[[strategy]]` entries.
    #[serde(default, rename = "strategy")]
    pub strategies: Vec<StrategyConfig>,
    /// `[venue]`: the live venue for `ladder paper` (default: the built-in simulated venue).
    #[serde(default)]
    pub venue: Option<VenueConfig>,
}

impl Config {
    /// Reads and checks a config file; relative paths in it resolve against its folder.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config = Self::parse(&text, path)?;
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        for s in &mut config.strategies {
            if s.library.is_relative() && !s.library.exists() {
                s.library = base.join(&s.library);
            }
            if let Some(f) = &mut s.config_file
                && f.is_relative()
            {
                *f = base.join(&*f);
            }
        }
        Ok(config)
    }

    /// Parses config text; `path` only names the source in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e: toml::de::Error| {
            let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
            ConfigError::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                message: e.message().trim().to_owned(),
            }
        })
    }

    /// A stable hash of the config text, for reports.
    pub fn hash_text(text: &str) -> String {
        crate::report::sha256_hex(text.as_bytes())
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("ladder.toml"))
    }

    #[test]
    fn empty_config_is_all_defaults() {
        let c = parse("").unwrap();
        assert_eq!(c.hot, HotConfig::default());
        assert!(c.strategies.is_empty());
    }

    #[test]
    fn full_config_parses() {
        let c = parse(
            "[hot]\ncore = 1\nwait = \"spin_then_yield\"\n\n[output]\nsignals_every = 5\n\n\
             [[instrument]]\nsymbol = \"BTCUSDT\"\ntick_size = \"0.1\"\nlot_size = \"0.001\"\n\n\
             [[strategy]]\nlibrary = \"lib.so\"\nconfig = \"threshold = 0.3\"\n",
        )
        .unwrap();
        assert_eq!(c.hot.core, Some(1));
        assert_eq!(c.hot.wait, WaitStrategy::SpinThenYield);
        assert_eq!(c.output.signals_every, 5);
        assert_eq!(c.instruments[0].tick_size, Decimal::new(1, 1));
        assert_eq!(c.strategies[0].config.as_deref(), Some("threshold = 0.3"));
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let err = parse("[hot]\ncore = 1\ncorez = 2\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("ladder.toml:3:"), "{err}");
        assert!(err.contains("corez"), "{err}");
    }

    #[test]
    fn bad_value_names_line() {
        let err = parse("[[instrument]]\nsymbol = \"X\"\ntick_size = \"abc\"\nlot_size = \"1\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("ladder.toml:3:"), "{err}");
    }

    #[test]
    fn venue_section_overrides_endpoints() {
        let c = parse("[venue]\nname = \"binance-usdm\"\nsymbols = [\"BTCUSDT\"]\nrest = \"http://127.0.0.1:1\"\n").unwrap();
        let v = c.venue.unwrap();
        assert_eq!(v.name, Venue::BinanceUsdm);
        let e = v.endpoints();
        assert_eq!(e.rest, "http://127.0.0.1:1");
        assert!(e.ws_book.starts_with("wss://fstream.binance.com/public"));
        let err = parse("[venue]\nname = \"kraken\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown venue"), "{err}");
    }

    #[test]
    fn readme_config_example_parses() {
        let readme = include_str!("../../../README.md");
        let start = readme.find("```toml\n").expect("README has a TOML example") + 8;
        let end = start + readme[start..].find("```").expect("closed");
        let c = parse(&readme[start..end]).unwrap();
        assert_eq!(c.venue.unwrap().name, Venue::BinanceUsdm);
        assert_eq!(c.hot.core, Some(1));
        assert_eq!(c.risk.max_position, Some(5));
        assert_eq!(c.strategies.len(), 1);
    }

    #[test]
    fn unknown_section_is_an_error() {
        let err = parse("[hott]\n").unwrap_err().to_string();
        assert!(err.contains("hott"), "{err}");
    }
}
