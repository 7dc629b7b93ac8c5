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
    /// A log-normal sigma that is negative or not finite.
    #[error("paper {which}_latency: sigma must be finite and not negative, got {sigma}")]
    LatencySigma {
        /// `"entry"` or `"response"`.
        which: &'static str,
        /// The value given.
        sigma: f64,
    },
    /// A fee above 10000 bps (100%) in magnitude.
    #[error("paper {which}_fee_bps must be within -10000..=10000, got {bps}")]
    FeeRange {
        /// `"maker"` or `"taker"`.
        which: &'static str,
        /// The value given.
        bps: Decimal,
    },
    /// `max_orders` of zero or beyond `u32::MAX`.
    #[error("paper max_orders must be within 1..=4294967295, got {got}")]
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
