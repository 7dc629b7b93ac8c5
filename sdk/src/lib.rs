//! # ladder-sdk
//!
//! What every ladder strategy links: exact market-data types (prices and quantities as integer
//! ticks and lots of an [`InstrumentSpec`]), the normalized [`MarketEvent`]s the engine streams,
//! and the building blocks strategies are written with.
//!
//! Prices and quantities never pass through `f64`: decimal strings from the venue or a config
//! convert to ticks and lots exactly, and a value off the instrument's grid is an error.
//!
//! ```
//! use ladder_sdk::{InstrumentSpec, Price};
//! use rust_decimal::Decimal;
//! use std::str::FromStr;
//!
//! let spec = InstrumentSpec::new(Decimal::from_str("0.01")?, Decimal::from_str("0.00001")?)?;
//! let px = spec.price_from_str("61837.63000000")?;
//! assert_eq!(px, Price::from_ticks(6_183_763));
//! assert_eq!(spec.format_price(px), "61837.63");
//! assert!(spec.price_from_str("61837.635").is_err()); // off the tick grid: never rounded
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod decimal;
mod event;
mod ids;
mod num;
mod spec;
mod time;

pub mod signal;

pub use decimal::{DecimalParseError, RawDecimal};
pub use event::{Bbo, BookDelta, BookMarker, BookState, BookStatus, MarketEvent, StaleReason, Trade};
pub use ids::{InstrumentId, Side};
pub use num::{Level, NegativeQuantity, Price, Quantity};
pub use spec::{Grid, GridError, InstrumentSpec, SpecError};
pub use time::UnixNanos;

pub use signal::MicropriceTable;

/// The version of this SDK, as built into every strategy's manifest.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");
