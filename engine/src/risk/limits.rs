//! The `[risk]` config section: limits checked before an order reaches the exchange.
//!
//! ```toml
//! [risk]
//! max_order_qty = 10          # lots
//! max_position = 100          # lots, either side
//! max_notional = "50000"      # quote currency, per order
//! max_open_orders = 20
//! max_orders_per_sec = 50
//! price_band_bps = 200        # limit price within 2% of the mid
//! max_loss = "500"            # quote currency, equity (PnL since start) below −500 kills
//! max_drawdown = "300"        # equity more than 300 below its peak kills
//! flatten_on_kill = true
//! ```
//!
//! Every limit is optional and off by default; `flatten_on_kill` defaults to `true` (a kill
//! cancels everything and closes positions with market orders). Limits are magnitudes (not
//! negative); `max_orders_per_sec` is at most 100000 (a ring of that many times is kept per
//! strategy).

use ladder_sdk::Quantity;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use thiserror::Error;

/// Pre-trade limits, the same for every strategy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct RiskLimits {
    /// Largest quantity of one order, in lots.
    #[serde(deserialize_with = "lots")]
    pub max_order_qty: Option<Quantity>,
    /// Largest absolute position in lots, counting the worst case: the position plus every open
    /// order on the new order's side plus the new order.
    pub max_position: Option<i64>,
    /// Largest notional of one order (limit price, or the mid for market orders) in quote
    /// currency.
    pub max_notional: Option<Decimal>,
    /// Most open orders (those the caller lists in [`RiskView::open_orders`](super::RiskView)).
    pub max_open_orders: Option<usize>,
    /// Most new orders in any one-second window.
    pub max_orders_per_sec: Option<u32>,
    /// Largest distance of a limit price from the mid, in basis points of the mid.
    pub price_band_bps: Option<u32>,
    /// Kill switch: equity (PnL since start, after fees) below `−max_loss`.
    pub max_loss: Option<Decimal>,
    /// Kill switch: equity more than `max_drawdown` below its running peak.
    pub max_drawdown: Option<Decimal>,
    /// When the kill switch trips, also close every position with a market order.
    pub flatten_on_kill: bool,
}

impl Default for RiskLimits {
    fn default() -> Self {
        Self {
            max_order_qty: None,
            max_position: None,
            max_notional: None,
            max_open_orders: None,
            max_orders_per_sec: None,
            price_band_bps: None,
            max_loss: None,
            max_drawdown: None,
            flatten_on_kill: true,
        }
    }
}

/// A [`RiskLimits`] value that makes no sense.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RiskError {
    /// A lot limit below zero.
    #[error("risk {field} must not be negative, got {value} lots")]
    NegativeLots {
        /// The config key.
        field: &'static str,
        /// The value given.
        value: i64,
    },
    /// A count beyond what the engine sizes memory for.
    #[error("risk {field} must be at most {max}, got {value}")]
    TooLarge {
        /// The config key.
        field: &'static str,
        /// The value given.
        value: u64,
        /// The largest accepted.
        max: u64,
    },
    /// A money limit below zero.
    #[error("risk {field} must not be negative, got {value}")]
    NegativeAmount {
        /// The config key.
        field: &'static str,
        /// The value given.
        value: Decimal,
    },
}

/// Most orders per second a strategy may be allowed: the rate check keeps a ring of the times
/// of that many orders per strategy, allocated up front.
pub const MAX_ORDERS_PER_SEC: u32 = 100_000;

impl RiskLimits {
    /// Checks signs (every limit is a magnitude) and sizes. The first problem;
    /// [`RiskLimits::problems`] lists them all.
    ///
    /// # Errors
    /// The first [`RiskError`] found.
    pub fn validate(&self) -> Result<(), RiskError> {
        self.problems().into_iter().next().map_or(Ok(()), Err)
    }

    /// Every problem, in the order of the fields.
    pub fn problems(&self) -> Vec<RiskError> {
        let mut out = Vec::new();
        if let Some(value) = self.max_position.filter(|v| *v < 0) {
            out.push(RiskError::NegativeLots {
                field: "max_position",
                value,
            });
        }
        if let Some(value) = self.max_orders_per_sec.filter(|n| *n > MAX_ORDERS_PER_SEC) {
            out.push(RiskError::TooLarge {
                field: "max_orders_per_sec",
                value: u64::from(value),
                max: u64::from(MAX_ORDERS_PER_SEC),
            });
        }
        for (field, v) in [
            ("max_notional", self.max_notional),
            ("max_loss", self.max_loss),
            ("max_drawdown", self.max_drawdown),
        ] {
            if let Some(value) = v.filter(|d| d.is_sign_negative() && !d.is_zero()) {
                out.push(RiskError::NegativeAmount { field, value });
            }
        }
        out
    }
}

impl RiskError {
    /// The `[risk]` key the error is about.
    pub fn config_key(&self) -> &'static str {
        match self {
            Self::NegativeLots { field, .. }
            | Self::TooLarge { field, .. }
            | Self::NegativeAmount { field, .. } => field,
        }
    }
}

/// A lot count from the config as a [`Quantity`].
fn lots<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Quantity>, D::Error> {
    match Option::<i64>::deserialize(d)? {
        None => Ok(None),
        Some(v) => Quantity::new_checked(v)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_lists_every_bad_limit_with_its_key() {
        let limits = RiskLimits {
            max_position: Some(-1),
            max_orders_per_sec: Some(u32::MAX),
            max_loss: Some(Decimal::NEGATIVE_ONE),
            ..RiskLimits::default()
        };
        let keys: Vec<&str> = limits
            .problems()
            .iter()
            .map(RiskError::config_key)
            .collect();
        assert_eq!(keys, ["max_position", "max_orders_per_sec", "max_loss"]);
        assert_eq!(
            limits.validate().unwrap_err().to_string(),
            "risk max_position must not be negative, got -1 lots"
        );
    }

    #[test]
    fn max_orders_per_sec_is_accepted_up_to_its_bound() {
        let at = |n| RiskLimits {
            max_orders_per_sec: Some(n),
            ..RiskLimits::default()
        };
        assert_eq!(at(MAX_ORDERS_PER_SEC).validate(), Ok(()));
        assert_eq!(at(0).validate(), Ok(()));
        assert!(
            at(MAX_ORDERS_PER_SEC + 1)
                .validate()
                .unwrap_err()
                .to_string()
                .contains("must be at most 100000")
        );
    }
}
