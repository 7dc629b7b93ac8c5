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
//! cancels everything and closes positions with market orders).

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
    /// A money limit below zero.
    #[error("risk {field} must not be negative, got {value}")]
    NegativeAmount {
        /// The config key.
        field: &'static str,
        /// The value given.
        value: Decimal,
    },
}

impl RiskLimits {
    /// Checks signs: every limit is a magnitude.
    pub fn validate(&self) -> Result<(), RiskError> {
        if let Some(value) = self.max_position.filter(|v| *v < 0) {
            return Err(RiskError::NegativeLots {
                field: "max_position",
                value,
            });
        }
        for (field, v) in [
            ("max_notional", self.max_notional),
            ("max_loss", self.max_loss),
            ("max_drawdown", self.max_drawdown),
        ] {
            if let Some(value) = v.filter(|d| d.is_sign_negative() && !d.is_zero()) {
                return Err(RiskError::NegativeAmount { field, value });
            }
        }
        Ok(())
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
