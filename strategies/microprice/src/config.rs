//! The strategy's config: TOML, or JSON when the text starts with `{`; every key optional,
//! unknown keys refused by name.

use ladder_sdk::StrategyError;
use ladder_sdk::config::{Tif, parse_text};
use serde::Deserialize;

/// What to quote around when the table has no value for the book (spread wider than the table,
/// locked book).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Fallback {
    /// Pull the quotes.
    None,
    /// The mid price.
    Mid,
    /// The size-weighted mid.
    WeightedMid,
}

/// The config keys; see the crate docs for their meaning.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Config {
    pub(crate) symbol: Option<String>,
    pub(crate) table: Option<String>,
    pub(crate) tick_size: String,
    pub(crate) half_spread_ticks: f64,
    pub(crate) skew_ticks_per_lot: f64,
    pub(crate) order_qty: i64,
    pub(crate) max_position: i64,
    pub(crate) fallback: Fallback,
    pub(crate) time_in_force: Tif,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            symbol: None,
            table: None,
            tick_size: "0.1".to_owned(),
            half_spread_ticks: 0.5,
            skew_ticks_per_lot: 0.2,
            order_qty: 1,
            max_position: 5,
            fallback: Fallback::None,
            time_in_force: Tif::PostOnly,
        }
    }
}

/// Largest half-spread or skew accepted, ticks.
const MAX_TICKS: f64 = 1e6;

impl Config {
    /// Parses and validates `text`.
    ///
    /// # Errors
    /// One sentence naming the key (or the line and column of a syntax error).
    pub(crate) fn parse(text: &str) -> Result<Self, StrategyError> {
        let config: Self = parse_text("microprice", text)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), StrategyError> {
        let err = |msg: String| Err(StrategyError::new(format!("microprice config: {msg}")));
        self.tick()?;
        if !(self.half_spread_ticks.is_finite()
            && (0.0..=MAX_TICKS).contains(&self.half_spread_ticks))
        {
            return err(format!(
                "`half_spread_ticks` must be 0 to {MAX_TICKS}, got {}",
                self.half_spread_ticks
            ));
        }
        if !(self.skew_ticks_per_lot.is_finite()
            && (0.0..=MAX_TICKS).contains(&self.skew_ticks_per_lot))
        {
            return err(format!(
                "`skew_ticks_per_lot` must be 0 to {MAX_TICKS}, got {}",
                self.skew_ticks_per_lot
            ));
        }
        if self.order_qty < 1 {
            return err(format!(
                "`order_qty` must be at least 1 lot, got {}",
                self.order_qty
            ));
        }
        if self.max_position < self.order_qty {
            return err(format!(
                "`max_position` ({}) must be at least `order_qty` ({}) lots",
                self.max_position, self.order_qty
            ));
        }
        Ok(())
    }

    /// `tick_size` as a number.
    ///
    /// # Errors
    /// When it is not a finite positive decimal.
    pub(crate) fn tick(&self) -> Result<f64, StrategyError> {
        match self.tick_size.trim().parse::<f64>() {
            Ok(t) if t.is_finite() && t > 0.0 => Ok(t),
            _ => Err(StrategyError::new(format!(
                "microprice config: `tick_size` must be a positive decimal such as \"0.1\", got {:?}",
                self.tick_size
            ))),
        }
    }
}
