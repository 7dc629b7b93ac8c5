//! The strategy's config: TOML, or JSON when the text starts with `{`; every key optional,
//! unknown keys refused by name.

use ladder_sdk::StrategyError;
use ladder_sdk::config::{Tif, parse_text};
use ladder_sdk::signal::{DepthWeights, OfiConvention};
use serde::Deserialize;

/// Which imbalance drives the trading rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Driver {
    /// Top-of-book `ρ`.
    Top,
    /// Depth-weighted `ρ_N(w)`.
    Depth,
}

/// How the depth levels are weighted (see `ladder_sdk::signal::DepthWeights`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Weighting {
    Uniform,
    Geometric,
    Harmonic,
    PriceDistance,
}

/// The OFI convention for a worsened price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Convention {
    Cks,
    Ccz,
}

/// How the driving imbalance is smoothed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Smoothing {
    /// Exponential moving average with `ema_alpha`.
    Ema,
    /// Mean of the last `window` values.
    Mean,
}

/// The config keys; see the crate docs for their meaning.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Config {
    pub(crate) symbol: Option<String>,
    pub(crate) signal: Driver,
    pub(crate) levels: usize,
    pub(crate) weighting: Weighting,
    pub(crate) decay: f64,
    pub(crate) ofi_convention: Convention,
    pub(crate) ofi_window: usize,
    pub(crate) trade_window: usize,
    pub(crate) smoothing: Smoothing,
    pub(crate) ema_alpha: f64,
    pub(crate) window: usize,
    pub(crate) warmup: usize,
    pub(crate) threshold: f64,
    pub(crate) exit_band: f64,
    pub(crate) order_qty: i64,
    pub(crate) max_position: i64,
    pub(crate) time_in_force: Tif,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            symbol: None,
            signal: Driver::Depth,
            levels: 5,
            weighting: Weighting::Geometric,
            decay: 0.5,
            ofi_convention: Convention::Cks,
            ofi_window: 50,
            trade_window: 100,
            smoothing: Smoothing::Ema,
            ema_alpha: 0.1,
            window: 20,
            warmup: 20,
            threshold: 0.3,
            exit_band: 0.1,
            order_qty: 1,
            max_position: 5,
            time_in_force: Tif::PostOnly,
        }
    }
}

/// Largest window or level count accepted (windows are allocated up front).
const MAX_WINDOW: usize = 1_000_000;
const MAX_LEVELS: usize = 1_000;

impl Config {
    /// Parses and validates `text`.
    ///
    /// # Errors
    /// One sentence naming the key (or the line and column of a syntax error).
    pub(crate) fn parse(text: &str) -> Result<Self, StrategyError> {
        let config: Self = parse_text("imbalance", text)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), StrategyError> {
        let err = |msg: String| Err(StrategyError::new(format!("imbalance config: {msg}")));
        if !(1..=MAX_LEVELS).contains(&self.levels) {
            return err(format!(
                "`levels` must be 1 to {MAX_LEVELS}, got {}",
                self.levels
            ));
        }
        let decay_ok = match self.weighting {
            Weighting::Geometric => self.decay.is_finite() && self.decay > 0.0,
            Weighting::PriceDistance => self.decay.is_finite() && self.decay >= 0.0,
            Weighting::Uniform | Weighting::Harmonic => true,
        };
        if !decay_ok {
            return err(format!(
                "`decay` must be finite and positive (geometric) or non-negative \
                 (price_distance), got {}",
                self.decay
            ));
        }
        for (key, value) in [
            ("ofi_window", self.ofi_window),
            ("trade_window", self.trade_window),
            ("window", self.window),
        ] {
            if !(1..=MAX_WINDOW).contains(&value) {
                return err(format!("`{key}` must be 1 to {MAX_WINDOW}, got {value}"));
            }
        }
        if !(self.ema_alpha.is_finite() && self.ema_alpha > 0.0 && self.ema_alpha <= 1.0) {
            return err(format!(
                "`ema_alpha` must be in (0, 1], got {}",
                self.ema_alpha
            ));
        }
        if !(self.threshold.is_finite() && self.threshold > 0.0 && self.threshold <= 1.0) {
            return err(format!(
                "`threshold` must be in (0, 1], got {}",
                self.threshold
            ));
        }
        if !(self.exit_band.is_finite() && self.exit_band >= 0.0 && self.exit_band < self.threshold)
        {
            return err(format!(
                "`exit_band` must be at least 0 and below `threshold` ({}), got {}",
                self.threshold, self.exit_band
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

    /// The sdk weights of the depth imbalance.
    pub(crate) fn depth_weights(&self) -> DepthWeights {
        match self.weighting {
            Weighting::Uniform => DepthWeights::Uniform,
            Weighting::Geometric => DepthWeights::Geometric { lambda: self.decay },
            Weighting::Harmonic => DepthWeights::Harmonic,
            Weighting::PriceDistance => DepthWeights::PriceDistance { kappa: self.decay },
        }
    }

    /// The sdk OFI convention.
    pub(crate) fn ofi_convention(&self) -> OfiConvention {
        match self.ofi_convention {
            Convention::Cks => OfiConvention::Cks,
            Convention::Ccz => OfiConvention::Ccz,
        }
    }
}
