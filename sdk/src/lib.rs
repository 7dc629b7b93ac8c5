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
//!
//! ## Quick start: a strategy
//!
//! A strategy is a type implementing [`Strategy`]. It registers its named signals once when it
//! is created, then answers book updates (and trades, fills, order updates, timers) through the
//! [`Context`] lent for each call: signal values and order requests go into buffers the engine
//! owns, so nothing allocates per event. [`export_strategy!`] turns the crate into a plugin the
//! engine loads at run time (`crate-type = ["cdylib", "rlib"]`).
//!
//! ```
//! use ladder_sdk::prelude::*;
//!
//! /// Emits top-of-book imbalance and leans a small bid when it is strongly positive.
//! pub struct Imbalance {
//!     signal: SignalId,
//!     threshold: f64,
//! }
//!
//! impl Strategy for Imbalance {
//!     fn new(config: &str, ctx: &mut InitContext<'_>) -> Result<Self, StrategyError> {
//!         let threshold = match config.trim() {
//!             "" => 0.6,
//!             text => text
//!                 .parse()
//!                 .map_err(|_| StrategyError::new(format!("threshold `{text}` is not a number")))?,
//!         };
//!         Ok(Self { signal: ctx.register_signal("imbalance")?, threshold })
//!     }
//!
//!     fn on_book(&mut self, ctx: &mut Context<'_>, book: &BookView<'_>) {
//!         let (Some(bid), Some(ask)) = (book.best_bid(), book.best_ask()) else { return };
//!         let (b, a) = (bid.qty.lots() as f64, ask.qty.lots() as f64);
//!         let imbalance = (b - a) / (b + a);
//!         // A full buffer is an error, never an allocation: this strategy just skips the value.
//!         let _ = ctx.emit(self.signal, imbalance);
//!         let flat = ctx.open_orders(book.instrument()).is_empty();
//!         if imbalance > self.threshold && flat && ctx.position(book.instrument()) == 0 {
//!             let _ = ctx.post_only(book.instrument(), Side::Buy, bid.price, Quantity::from_lots(1));
//!         }
//!     }
//! }
//!
//! export_strategy!(Imbalance);
//!
//! // The same type runs statically linked, e.g. in a test, with buffers you lend it:
//! # use ladder_sdk::abi::{ContextParts, InitHost, RegisterError};
//! # struct Host;
//! # impl InitHost for Host {
//! #     fn register_signal(&mut self, _: &str) -> Result<SignalId, RegisterError> { Ok(SignalId::new(0)) }
//! #     fn instrument(&self, _: &str) -> Option<InstrumentId> { None }
//! # }
//! let mut strategy = Imbalance::new("0.5", &mut InitContext::new(&mut Host))?;
//! let (mut signals, mut orders) = ([SignalValue::default(); 4], [OrderRequest::cancel(ClientOrderId::new(0)); 4]);
//! let mut ctx = Context::new(ContextParts {
//!     now: UnixNanos::from_nanos(1),
//!     timer: None,
//!     next_order_id: 1,
//!     signals: &mut signals,
//!     orders: &mut orders,
//!     positions: &[],
//!     open_orders: &[],
//!     open_order_ranges: &[],
//! });
//! let bids = [Level::new(Price::from_ticks(100), Quantity::from_lots(9))];
//! let asks = [Level::new(Price::from_ticks(101), Quantity::from_lots(1))];
//! strategy.on_book(&mut ctx, &BookView::new(InstrumentId::new(0), &bids, &asks));
//! assert_eq!(ctx.signals()[0].value, 0.8);
//! assert_eq!(ctx.orders()[0].time_in_force, TimeInForce::PostOnly);
//! # Ok::<(), StrategyError>(())
//! ```
#![deny(missing_docs)]
#![deny(unsafe_code)]

mod decimal;
mod event;
mod ids;
mod num;
mod spec;
mod time;

#[allow(unsafe_code)]
pub mod abi;
#[cfg(feature = "config")]
pub mod config;
pub mod strategy;
#[cfg(feature = "testing")]
pub mod testing;

pub mod signal;
pub mod state;

pub use decimal::{DecimalParseError, RawDecimal};
pub use event::{
    Bbo, BookDelta, BookMarker, BookState, BookStatus, MarketEvent, StaleReason, Trade,
};
pub use ids::{InstrumentId, Side};
pub use num::{Level, NegativeQuantity, Price, Quantity};
pub use spec::{Grid, GridError, InstrumentSpec, SpecError};
pub use time::UnixNanos;

pub use abi::{BookView, Context, InitContext};
pub use strategy::{
    BufferFull, ClientOrderId, Fill, Freed, Liquidity, OpenOrder, OrderError, OrderRequest,
    OrderSlot, OrderStatus, OrderType, OrderUpdate, Quoter, RejectReason, RequestKind, SignalId,
    SignalValue, StatusEvent, Strategy, StrategyError, TimeInForce, TradeEvent, Working,
};

/// Everything a strategy usually needs: `use ladder_sdk::prelude::*;`.
pub mod prelude {
    pub use crate::abi::{BookView, Context, InitContext};
    pub use crate::export_strategy;
    pub use crate::state::{Handoff, Save, StateError, StateReader, StateWriter};
    pub use crate::strategy::{
        ClientOrderId, Fill, Freed, OpenOrder, OrderRequest, OrderSlot, OrderStatus, OrderUpdate,
        Quoter, RejectReason, SignalId, SignalValue, StatusEvent, Strategy, StrategyError,
        TimeInForce, TradeEvent,
    };
    pub use crate::{BookState, InstrumentId, Level, Price, Quantity, Side, UnixNanos};
}

pub use signal::MicropriceTable;

/// The version of this SDK, as built into every strategy's manifest.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");
