//! Signal functions: order-book imbalance, weighted mids, Stoikov's micro-price, order-flow
//! imbalance, trade flow, VPIN, rolling z-scores and signal-to-probability maps.
//!
//! Formulas, edge cases and worked values: `docs/signals.md` (the section is named on each item).
//!
//! # Conventions
//!
//! - **Book sides** are `&[Level]` best-first: bids in descending price, asks in ascending price,
//!   prices in ticks and sizes in lots of the instrument (the engine's top-N view).
//! - **Prices come out in ticks, as `f64`.** No function here takes a tick size except
//!   [`MicropriceTable`], whose fitted G* values are in price units and which carries its own
//!   tick. Multiply by the instrument's tick to get a price: with tick 0.01, a weighted mid of
//!   `10000.75` ticks is `100.0075`.
//! - **No value rather than a wrong one.** An empty side, a zero total size, a crossed book
//!   (best bid above best ask) or a non-finite parameter gives `None`; no function returns NaN or
//!   an infinity. A locked book (best bid == best ask) is a valid state for imbalances and mids
//!   (nautilus_trader treats only strictly crossed books as invalid) but lies outside the
//!   micro-price state space.
//! - **No allocation per call.** The stateful windows ([`Ofi`], [`TradeImbalance`], [`Vpin`],
//!   [`RollingStats`], [`RollingZScore`]) allocate their buffers once, at construction.
//!
//! ```
//! use ladder_sdk::{Level, Price, Quantity};
//! use ladder_sdk::signal::{depth_imbalance, top_imbalance, weighted_mid, DepthWeights};
//!
//! let lvl = |p, q| Level::new(Price::from_ticks(p), Quantity::from_lots(q));
//! let bids = [lvl(10_000, 300), lvl(9_999, 200), lvl(9_998, 500)];
//! let asks = [lvl(10_001, 100), lvl(10_002, 400), lvl(10_003, 300)];
//!
//! let top = top_imbalance(&bids, &asks).expect("two-sided book");
//! assert_eq!((top.rho, top.i), (0.5, 0.75));
//! assert_eq!(weighted_mid(&bids, &asks), Some(10_000.75)); // ticks: 100.0075 at tick 0.01
//! let rho3 = depth_imbalance(&bids, &asks, 3, DepthWeights::Geometric { lambda: 0.5 });
//! assert!((rho3.expect("sizes") - 1.0 / 6.0).abs() < 1e-15);
//! ```

mod depth_imbalance;
mod error;
mod imbalance;
mod microprice;
mod ofi;
mod probability;
mod rolling;
mod top;
mod trade_imbalance;
mod vamp;
mod vpin;
mod weighted_mid;
mod zscore;

#[cfg(test)]
mod proptests;

pub use depth_imbalance::{DepthWeights, depth_imbalance, depth_imbalance_with_weights};
pub use error::WindowError;
pub use imbalance::{TopImbalance, top_imbalance};
pub use microprice::{MicropriceTable, MicropriceTableError};
pub use ofi::{Ofi, OfiConvention, OfiFlags, OfiStep, integrated_ofi, ofi_contribution};
pub use probability::{
    LogisticModel, logistic, normal_cdf, normal_cdf_with, normal_inverse_cdf, normal_sf,
};
pub use rolling::{Deviation, RollingStats};
pub use top::{mid, spread};
pub use trade_imbalance::{TradeFlow, TradeImbalance, TradeWindow, trade_flow};
pub use vamp::{EffectiveQuote, effective_quote, vamp, vamp_effective, weighted_depth_price};
pub use vpin::{Vpin, bvc_buy_volume};
pub use weighted_mid::weighted_mid;
pub use zscore::{CurrentSample, RollingZScore, ZScoreConfig, zscore};
