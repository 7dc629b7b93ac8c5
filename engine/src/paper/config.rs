//! The `[paper]` config section: latency models, queue-position cancel model, fees, seed and
//! capacity.
//!
//! ```toml
//! [paper]
//! entry_latency = { constant = { ns = 1000000 } }
//! response_latency = { uniform = { min_ns = 500000, max_ns = 2000000 } }
//! maker_fee_bps = "-0.5"      # negative: a rebate
//! taker_fee_bps = "1"
//! cancel_model = "proportional"
//! seed = 7
//! max_orders = 1024
//! ```
//!
//! Bounds: latencies up to 60 s, a log-normal sigma within `0..=10`, fees within ±10000 bps,
//! `max_orders` within `1..=1048576`.
//!
//! Defaults: 1 ms constant entry and response latency; maker 0 bps, taker 1 bps (a deliberately
//! small, non-zero taker cost — not any venue's schedule: Binance spot VIP 0 is 10/10 bps, set
//! your own); the proportional cancel model; seed `0x1adde2`; 1024 orders.

use super::error::PaperError;
use crate::rng::SeededRng;
use rust_decimal::Decimal;
use serde::Deserialize;

/// How long a message takes, drawn once per order from the exchange's seeded generator.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum LatencyModel {
    /// Always `ns` nanoseconds.
    Constant {
        /// The latency.
        ns: u64,
    },
    /// Uniform over `min_ns..=max_ns`.
    Uniform {
        /// Smallest latency.
        min_ns: u64,
        /// Largest latency (at least `min_ns`).
        max_ns: u64,
    },
    /// `median_ns · exp(sigma · z)` with `z` standard normal, capped at `max_ns`: the long right
    /// tail of real network latency. Computed in `f64`, so bit-identical runs need the same
    /// platform `libm`.
    LogNormal {
        /// The median latency.
        median_ns: u64,
        /// Log-space standard deviation (within `0..=10`).
        sigma: f64,
        /// Cap on a draw (at least `median_ns`).
        max_ns: u64,
    },
}

impl LatencyModel {
    /// One millisecond, always.
    pub const ONE_MS: Self = Self::Constant { ns: 1_000_000 };

    /// One latency draw. `Constant` draws nothing from `rng`.
    pub(super) fn draw(&self, rng: &mut SeededRng) -> u64 {
        match *self {
            Self::Constant { ns } => ns,
            Self::Uniform { min_ns, max_ns } => match (max_ns - min_ns).checked_add(1) {
                Some(span) => min_ns + rng.below(span),
                None => rng.next_u64(),
            },
            Self::LogNormal {
                median_ns,
                sigma,
                max_ns,
            } => {
                let z = rng.standard_normal();
                let v = median_ns as f64 * (sigma * z).exp();
                // `as` saturates (NaN → 0); the cap keeps the tail finite.
                (v as u64).min(max_ns)
            }
        }
    }

    /// Every problem of this model: bounds upside down, a sigma that is not finite or beyond
    /// [`MAX_SIGMA`], a latency beyond [`MAX_LATENCY_NS`].
    fn problems(&self, which: &'static str, out: &mut Vec<PaperError>) {
        let too_long = |ns: u64| ns > MAX_LATENCY_NS;
        match *self {
            Self::Constant { ns } => {
                if too_long(ns) {
                    out.push(PaperError::LatencyTooLong { which, ns });
                }
            }
            Self::Uniform { min_ns, max_ns } => {
                if min_ns > max_ns {
                    out.push(PaperError::LatencyRange {
                        which,
                        min_ns,
                        max_ns,
                    });
                } else if too_long(max_ns) {
                    out.push(PaperError::LatencyTooLong { which, ns: max_ns });
                }
            }
            Self::LogNormal {
                median_ns,
                sigma,
                max_ns,
            } => {
                if !(0.0..=MAX_SIGMA).contains(&sigma) {
                    out.push(PaperError::LatencySigma { which, sigma });
                }
                if median_ns > max_ns {
                    out.push(PaperError::LatencyRange {
                        which,
                        min_ns: median_ns,
                        max_ns,
                    });
                } else if too_long(max_ns) {
                    out.push(PaperError::LatencyTooLong { which, ns: max_ns });
                }
            }
        }
    }
}

impl Default for LatencyModel {
    fn default() -> Self {
        Self::ONE_MS
    }
}

/// How a decrease of the displayed quantity at a resting order's price (a cancel, as far as the
/// exchange can tell) moves the order's queue position.
///
/// Whatever the model, the quantity ahead never exceeds the displayed quantity at the level.
/// (The brief called the first variant `None`; house style forbids `None` variants, so it is
/// `NoAdvance`, and the config also accepts `"none"`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CancelModel {
    /// Risk-averse: cancels are assumed to be behind the order; the queue never advances.
    #[serde(alias = "none")]
    NoAdvance,
    /// A decrease `d` of the displayed `D` advances the queue by `floor(d · ahead / D)`.
    #[default]
    Proportional,
    /// With probability `ahead / D` (seeded draw) the whole decrease was ahead of the order and
    /// advances the queue by `min(d, ahead)`; otherwise it was behind.
    Probabilistic,
}

/// Settings of a [`PaperExchange`](super::PaperExchange).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct PaperConfig {
    /// Strategy → exchange latency of every request.
    pub entry_latency: LatencyModel,
    /// Exchange → strategy latency of every report about an order (drawn once per order, so an
    /// order's reports arrive in exchange order).
    pub response_latency: LatencyModel,
    /// Fee on maker fills in basis points of notional; negative is a rebate.
    pub maker_fee_bps: Decimal,
    /// Fee on taker fills in basis points of notional.
    pub taker_fee_bps: Decimal,
    /// Queue advance on cancels.
    pub cancel_model: CancelModel,
    /// Seed of the latency and cancel-model draws.
    pub seed: u64,
    /// Orders in flight or resting, over all strategies; beyond it new orders are rejected
    /// (`MaxOpenOrders`). All memory is sized from it up front.
    pub max_orders: usize,
}

impl Default for PaperConfig {
    fn default() -> Self {
        Self {
            entry_latency: LatencyModel::ONE_MS,
            response_latency: LatencyModel::ONE_MS,
            maker_fee_bps: Decimal::ZERO,
            taker_fee_bps: Decimal::ONE,
            cancel_model: CancelModel::Proportional,
            seed: 0x1a_dde2,
            max_orders: 1024,
        }
    }
}

/// Fees above 100% of notional are surely a typo.
const MAX_FEE_BPS: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);

/// Longest latency a model may give: a minute (a message slower than that is a lost one).
pub const MAX_LATENCY_NS: u64 = 60_000_000_000;

/// Largest log-normal sigma: at 10 the median's 99th percentile is 10^10 times the median.
pub const MAX_SIGMA: f64 = 10.0;

/// Most orders in flight or resting: all order memory is sized from `max_orders` up front
/// (about 72 bytes each), so a typo like `4294967295` would ask for hundreds of gigabytes.
pub const MAX_ORDERS: usize = 1 << 20;

impl PaperConfig {
    /// Checks ranges: latency bounds, fee magnitudes, the order capacity. The first problem;
    /// [`PaperConfig::problems`] lists them all.
    ///
    /// # Errors
    /// The first [`PaperError`] found.
    pub fn validate(&self) -> Result<(), PaperError> {
        self.problems().into_iter().next().map_or(Ok(()), Err)
    }

    /// Every range problem, in the order of the fields.
    pub fn problems(&self) -> Vec<PaperError> {
        let mut out = Vec::new();
        self.entry_latency.problems("entry", &mut out);
        self.response_latency.problems("response", &mut out);
        for (which, bps) in [("maker", self.maker_fee_bps), ("taker", self.taker_fee_bps)] {
            if bps.abs() > MAX_FEE_BPS {
                out.push(PaperError::FeeRange { which, bps });
            }
        }
        if !(1..=MAX_ORDERS).contains(&self.max_orders) {
            out.push(PaperError::OrderCapacity {
                got: self.max_orders,
            });
        }
        out
    }
}
