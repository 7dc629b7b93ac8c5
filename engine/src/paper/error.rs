//! Errors of the paper exchange: a `[paper]` config that cannot build one.

use rust_decimal::Decimal;
use thiserror::Error;

/// A [`PaperConfig`](super::PaperConfig) or exchange size that cannot work.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum PaperError {
    /// A latency range is upside down.
    #[error("paper {which}_latency: lower bound {min_ns} ns is above upper bound {max_ns} ns")]
    LatencyRange {
        /// `"entry"` or `"response"`.
        which: &'static str,
        /// Lower bound (uniform `min_ns`, log-normal `median_ns`).
        min_ns: u64,
        /// Upper bound.
        max_ns: u64,
    },
    /// A log-normal sigma that is negative, not finite, or above 10.
    #[error("paper {which}_latency: sigma must be finite and within 0..=10, got {sigma}")]
    LatencySigma {
        /// `"entry"` or `"response"`.
        which: &'static str,
        /// The value given.
        sigma: f64,
    },
    /// A latency above a minute.
    #[error("paper {which}_latency: {ns} ns is above the 60 s (60000000000 ns) limit")]
    LatencyTooLong {
        /// `"entry"` or `"response"`.
        which: &'static str,
        /// The value given.
        ns: u64,
    },
    /// A fee above 10000 bps (100%) in magnitude.
    #[error("paper {which}_fee_bps must be within -10000..=10000, got {bps}")]
    FeeRange {
        /// `"maker"` or `"taker"`.
        which: &'static str,
        /// The value given.
        bps: Decimal,
    },
    /// `max_orders` of zero or beyond [`MAX_ORDERS`](super::MAX_ORDERS).
    #[error("paper max_orders must be within 1..=1048576, got {got}")]
    OrderCapacity {
        /// The value given.
        got: usize,
    },
    /// More strategies than a [`StrategyIdx`](super::StrategyIdx) can name.
    #[error("paper exchange: {got} strategies, at most 65536 are supported")]
    TooManyStrategies {
        /// The number given.
        got: usize,
    },
}

impl PaperError {
    /// The `[paper]` key the error is about, if it is about one.
    pub fn config_key(&self) -> Option<String> {
        match self {
            Self::LatencyRange { which, .. }
            | Self::LatencySigma { which, .. }
            | Self::LatencyTooLong { which, .. } => Some(format!("{which}_latency")),
            Self::FeeRange { which, .. } => Some(format!("{which}_fee_bps")),
            Self::OrderCapacity { .. } => Some("max_orders".to_owned()),
            Self::TooManyStrategies { .. } => None,
        }
    }
}
