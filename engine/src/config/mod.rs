//! The TOML config file: venues (one `[venue]` table or several `[[venue]]` entries:
//! [`venues`]), instruments, strategies, paper exchange, risk, hot loop and
//! outputs. Unknown keys and malformed values are errors naming the key and the file line; then
//! every value is range-checked ([`validate`]) and every bad one is reported at once, each with
//! its `file:line:col`, before anything starts. Relative paths in the file (`library`,
//! `config_file`) are relative to the file's own folder, never to the working directory.
//!
//! ```toml
//! [hot]
//! core = 1                  # pin the hot thread to this core (omit: no pinning)
//! wait = "spin"             # or "spin_then_yield"
//! ring_capacity = 65536     # events, 2..=1048576
//! output_capacity = 65536   # records, 2..=1048576
//! top_levels = 20           # levels per side lent to strategies, 1..=5000
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
//! [metrics]
//! listen = "127.0.0.1:9464" # serve Prometheus /metrics during `ladder paper`
//!
//! [[instrument]]
//! symbol = "BTCUSDT"
//! tick_size = "0.1"
//! lot_size = "0.001"
//!
//! [[strategy]]
//! library = "target/release/libladder_strategy_imbalance.so"   # relative to this file
//! config = "threshold = 0.3"
//! ```

mod validate;
mod venues;

pub use validate::{BadValue, BadValues, MAX_RING_CAPACITY, MAX_TOP_LEVELS, MAX_WATCHDOG_SECS};
pub use venues::Venues;

use crate::feed::live::{Endpoints, EndpointsConfig, FeedError};
use crate::feed::{Venue, VenueOptions, okx};
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
    #[error("cannot read config {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The TOML is malformed, a key is unknown, or a value has the wrong type.
    #[error("{}:{line}:{column}: {message}", path.display())]
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
    /// Values out of range: every one, each at its key's line.
    #[error("{0}")]
    BadValues(BadValues),
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

/// `[metrics]`: Prometheus metrics of `ladder paper` ([`crate::metrics`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Serve `/metrics` on this address (`HOST:PORT`, or `PORT` for 127.0.0.1); `None`: off.
    /// `ladder paper --metrics ADDR` overrides it.
    pub listen: Option<String>,
}

/// `[[instrument]]`: a symbol's tick and lot size.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstrumentConfig {
    /// Venue symbol (`BTCUSDT`: on every venue), or `venue:SYMBOL` (`binance-usdm:BTCUSDT`: on
    /// that venue only).
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
    /// Path to the strategy's shared library; a relative one is relative to the config file's
    /// folder (never the working directory), and [`Config::load`] joins it to that folder.
    pub library: PathBuf,
    /// The strategy's config string (TOML or JSON, as the strategy reads it).
    #[serde(default)]
    pub config: Option<String>,
    /// A file holding the strategy's config string (relative to the config file).
    #[serde(default)]
    pub config_file: Option<PathBuf>,
}

/// `[venue]`, or one `[[venue]]` entry: a live venue `ladder paper` trades and `ladder record`
/// records; endpoints left out keep the production defaults (set them to point at a testnet).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VenueConfig {
    /// The venue: `binance-spot`, `binance-usdm`, `binance-coinm`, `bybit-spot`, `bybit-linear`,
    /// `bybit-inverse` or `okx`.
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
    /// Seconds without data before a connection counts as dead (`1..=3600`).
    #[serde(default = "default_watchdog")]
    pub watchdog_secs: u64,
    /// Accept `ws://` and `http://` endpoints without a warning (local testing only).
    #[serde(default)]
    pub allow_insecure: bool,
    /// Bybit and Kraken: the book depth subscribed. Bybit (`orderbook.{depth}.{symbol}`): one
    /// of 1, 50, 200, 1000, default 50; Kraken: one of 10, 25, 100, 500, 1000, default 25.
    #[serde(default)]
    pub book_depth: Option<u32>,
    /// OKX: the book channel, `books` (default), `books5` or `bbo-tbt` (`books50-l2-tbt` and
    /// `books-l2-tbt` need an OKX login and are refused).
    #[serde(default)]
    pub book_channel: Option<String>,
    /// OKX: subscribe to `trades` too (default true).
    #[serde(default)]
    pub trades: Option<bool>,
    /// OKX: how a book gets its snapshot: `auto` (default: the stream's, else the REST join) or
    /// `rest` (always the REST join).
    #[serde(default)]
    pub join: Option<String>,
    /// Located warnings about unencrypted endpoints, filled when the file is parsed.
    #[serde(skip)]
    warnings: Vec<String>,
}

fn default_watchdog() -> u64 {
    30
}

fn venue_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Venue, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(serde::de::Error::custom)
}

impl VenueConfig {
    /// Warnings about unencrypted endpoints (`file:line:col: ...`), empty with
    /// `allow_insecure = true`. Printed by the commands that connect with this section.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The venue's live settings: its defaults with this section's keys (checked when the
    /// file was parsed).
    ///
    /// # Errors
    /// A key the venue does not take or a value it refuses, as `key: reason` (the checks
    /// [`Config::parse`] already made).
    pub fn options(&self) -> Result<VenueOptions, String> {
        let okx_keys = [
            ("book_channel", self.book_channel.is_some()),
            ("trades", self.trades.is_some()),
            ("join", self.join.is_some()),
        ];
        if self.name != Venue::Okx {
            if let Some((key, _)) = okx_keys.iter().find(|(_, set)| *set) {
                return Err(format!(
                    "{key}: is an okx setting; {} does not take it",
                    self.name
                ));
            }
            let mut options = VenueOptions::defaults(self.name);
            // `book_depth` on a venue that takes none, and a depth the venue does not serve,
            // are refused by the config check.
            match (&mut options, self.book_depth) {
                (VenueOptions::Bybit(o), Some(depth)) => o.depth = depth,
                (VenueOptions::Kraken(o), Some(depth)) => o.depth = depth,
                _ => {}
            }
            return Ok(options);
        }
        let mut o = okx::LiveOptions::default();
        if let Some(c) = &self.book_channel {
            o.book_channel = c.parse().map_err(|e| format!("book_channel: {e}"))?;
        }
        if let Some(t) = self.trades {
            o.trades = t;
        }
        if let Some(j) = &self.join {
            o.join = j.parse().map_err(|e| format!("join: {e}"))?;
        }
        o.validate().map_err(|e| match e {
            FeedError::Config(m) => match m.strip_prefix("join ") {
                Some(rest) => format!("join: {rest}"),
                None => format!("book_channel: {}", m.trim_start_matches("book_channel ")),
            },
            other => other.to_string(),
        })?;
        Ok(VenueOptions::Okx(o))
    }

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
    /// `[metrics]`.
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// `[[instrument]]` entries.
    #[serde(default, rename = "instrument")]
    pub instruments: Vec<InstrumentConfig>,
    /// `[[strategy]]` entries.
    #[serde(default, rename = "strategy")]
    pub strategies: Vec<StrategyConfig>,
    /// `[venue]` or `[[venue]]` entries: the live venues of `ladder paper` and `ladder record`
    /// (none: the built-in simulated venue).
    #[serde(default, rename = "venue")]
    pub venues: Venues,
    /// `[source]`: the NATS server of `ladder feed` and of `ladder paper --source`.
    #[serde(default)]
    pub source: Option<crate::bus::SourceConfig>,
}

impl Config {
    /// Reads and checks a config file; relative paths in it resolve against its folder.
    ///
    /// # Errors
    /// [`ConfigError::Read`], or any error of [`Config::parse`].
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        Self::load_with_text(path).map(|(config, _)| config)
    }

    /// As [`Config::load`], also returning the text that was parsed (for its hash).
    ///
    /// # Errors
    /// As [`Config::load`].
    pub fn load_with_text(path: &Path) -> Result<(Self, String), ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config = Self::parse(&text, path)?;
        let base = path.parent().unwrap_or_else(|| Path::new(""));
        for s in &mut config.strategies {
            // Relative to the config's folder only: a file of the same name in the working
            // directory must not shadow it.
            if s.library.is_relative() {
                s.library = base.join(&s.library);
            }
            if let Some(f) = &mut s.config_file
                && f.is_relative()
            {
                *f = base.join(&*f);
            }
        }
        Ok((config, text))
    }

    /// Parses config text and checks every value; `path` only names the source in errors.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for malformed TOML, an unknown key or a value of the wrong
    /// type (the first one); [`ConfigError::BadValues`] listing every value out of range.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let mut config: Self = toml::from_str(text).map_err(|e: toml::de::Error| {
            let offset = e.span().map(|s| s.start);
            let (line, column) = offset.map_or((1, 1), |o| line_col(text, o));
            let mut message = e.message().trim().to_owned();
            // serde names a key only when it is unknown; name it for bad values too.
            if let Some(key) = offset.and_then(|o| validate::key_at(text, o))
                && !message.contains(key.rsplit(['.', ']']).next().unwrap_or(&key))
            {
                message = format!("{key}: {message}");
            }
            ConfigError::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        })?;
        let problems = validate::problems(&config);
        if !problems.is_empty() {
            return Err(ConfigError::BadValues(validate::locate(
                text, path, problems,
            )));
        }
        let insecure = validate::insecure(&config.venues);
        for (v, problems) in config.venues.iter_mut().zip(insecure) {
            v.warnings = validate::locate(text, path, problems)
                .0
                .iter()
                .map(ToString::to_string)
                .collect();
        }
        Ok(config)
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
mod tests;
