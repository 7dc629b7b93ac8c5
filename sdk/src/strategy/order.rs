//! Orders across the plugin boundary: what a strategy requests ([`OrderRequest`]), what the
//! engine reports back ([`OrderUpdate`], [`Fill`]), and what is resting ([`OpenOrder`]).
//!
//! Every type here is `#[repr(C)]` (structs) or `#[repr(u8)]` with explicit discriminants
//! (enums): they are written and read on both sides of the C ABI. Add variants, never renumber.

use crate::ids::{InstrumentId, Side};
use crate::num::{Price, Quantity};
use crate::time::UnixNanos;
use std::fmt;

/// An order id assigned by the strategy's [`Context`](crate::Context) when it places an order.
/// Ids are unique per strategy instance and start at 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct ClientOrderId(u64);

impl ClientOrderId {
    /// The id with raw value `raw`.
    #[inline]
    pub const fn new(raw: u64) -> Self {
        Self(raw)
    }

    /// The raw value.
    #[inline]
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}", self.0)
    }
}

/// Limit or market order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OrderType {
    /// Rests at its price (subject to the time in force).
    Limit = 1,
    /// Takes whatever liquidity there is, never rests.
    Market = 2,
}

/// How long an order may rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TimeInForce {
    /// Good till cancelled.
    Gtc = 1,
    /// Immediate or cancel: the unfilled rest is cancelled at once.
    Ioc = 2,
    /// Post only (maker only, "GTX"): rejected if it would take liquidity on arrival.
    PostOnly = 3,
}

/// What an [`OrderRequest`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RequestKind {
    /// Place a new order.
    New = 1,
    /// Cancel one order by its client id.
    Cancel = 2,
    /// Cancel every open order of one instrument.
    CancelAll = 3,
}

/// One request from a strategy, written into the host's order buffer by
/// [`Context`](crate::Context). 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct OrderRequest {
    /// `New`: the id assigned to the new order. `Cancel`: the order to cancel.
    /// `CancelAll`: zero (not an order id).
    pub id: ClientOrderId,
    /// The instrument (for `Cancel`, the host finds the order by id and ignores this).
    pub instrument: InstrumentId,
    /// New, cancel, or cancel-all.
    pub kind: RequestKind,
    /// Order side (`New` only; `Buy` otherwise).
    pub side: Side,
    /// Limit or market (`New` only; `Limit` otherwise).
    pub order_type: OrderType,
    /// Time in force (`New` only; `Gtc` otherwise).
    pub time_in_force: TimeInForce,
    /// Limit price in ticks (zero for market orders and cancels).
    pub price: Price,
    /// Quantity in lots (zero for cancels).
    pub qty: Quantity,
}

impl OrderRequest {
    /// A new order request.
    #[inline]
    pub const fn new_order(
        id: ClientOrderId,
        instrument: InstrumentId,
        side: Side,
        order_type: OrderType,
        time_in_force: TimeInForce,
        price: Price,
        qty: Quantity,
    ) -> Self {
        Self {
            id,
            instrument,
            kind: RequestKind::New,
            side,
            order_type,
            time_in_force,
            price,
            qty,
        }
    }

    /// A request to cancel order `id`.
    #[inline]
    pub const fn cancel(id: ClientOrderId) -> Self {
        Self::control(RequestKind::Cancel, id, InstrumentId::new(0))
    }

    /// A request to cancel every open order of `instrument`.
    #[inline]
    pub const fn cancel_all(instrument: InstrumentId) -> Self {
        Self::control(RequestKind::CancelAll, ClientOrderId::new(0), instrument)
    }

    const fn control(kind: RequestKind, id: ClientOrderId, instrument: InstrumentId) -> Self {
        Self {
            id,
            instrument,
            kind,
            side: Side::Buy,
            order_type: OrderType::Limit,
            time_in_force: TimeInForce::Gtc,
            price: Price::from_ticks(0),
            qty: Quantity::ZERO,
        }
    }
}

/// What happened to an order, as reported by an [`OrderUpdate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OrderStatus {
    /// Accepted by the exchange (acknowledged); resting unless it filled at once.
    Accepted = 1,
    /// Refused before reaching the book; see [`OrderUpdate::reject_reason`].
    Rejected = 2,
    /// Cancelled at the strategy's request (or by cancel-all / the kill switch).
    Canceled = 3,
    /// The unfilled rest of an IOC or market order was removed.
    Expired = 4,
    /// Completely filled; the order is done.
    Filled = 5,
    /// A cancel request was refused (e.g. unknown or already finished order).
    CancelRejected = 6,
}

/// Why an order or a cancel was refused. Numbering is part of the ABI: add, never renumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RejectReason {
    /// Zero or otherwise invalid quantity.
    InvalidQuantity = 1,
    /// Invalid limit price (e.g. not positive where the venue requires it).
    InvalidPrice = 2,
    /// The instrument is not known to the engine.
    UnknownInstrument = 3,
    /// Risk: order quantity above the maximum order size.
    MaxOrderQty = 4,
    /// Risk: the order could take the position beyond the maximum position.
    MaxPosition = 5,
    /// Risk: order notional above the maximum notional.
    MaxNotional = 6,
    /// Risk: too many open orders.
    MaxOpenOrders = 7,
    /// Risk: order rate limit exceeded.
    RateLimit = 8,
    /// Risk: limit price too far from the reference price.
    PriceBand = 9,
    /// Risk: the kill switch is engaged.
    KillSwitch = 10,
    /// A post-only order would have taken liquidity.
    PostOnlyWouldCross = 11,
    /// The order id is not known (cancel of an unknown or finished order).
    UnknownOrder = 12,
    /// The strategy is disabled (faulted or stopped); nothing it sends is accepted.
    StrategyDisabled = 13,
    /// The instrument's book is stale; orders wait for a resync.
    BookStale = 14,
    /// The client order id was already used.
    DuplicateOrderId = 15,
    /// A market or IOC order found no liquidity to take.
    NoLiquidity = 16,
}

impl RejectReason {
    /// Every reason, in discriminant order.
    pub const ALL: [Self; 16] = [
        Self::InvalidQuantity,
        Self::InvalidPrice,
        Self::UnknownInstrument,
        Self::MaxOrderQty,
        Self::MaxPosition,
        Self::MaxNotional,
        Self::MaxOpenOrders,
        Self::RateLimit,
        Self::PriceBand,
        Self::KillSwitch,
        Self::PostOnlyWouldCross,
        Self::UnknownOrder,
        Self::StrategyDisabled,
        Self::BookStale,
        Self::DuplicateOrderId,
        Self::NoLiquidity,
    ];

    /// From the ABI discriminant.
    #[inline]
    pub const fn from_u8(code: u8) -> Option<Self> {
        if code == 0 || code as usize > Self::ALL.len() {
            None
        } else {
            Some(Self::ALL[code as usize - 1])
        }
    }

    /// Lowercase name for logs and reports (`"max_position"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidQuantity => "invalid_quantity",
            Self::InvalidPrice => "invalid_price",
            Self::UnknownInstrument => "unknown_instrument",
            Self::MaxOrderQty => "max_order_qty",
            Self::MaxPosition => "max_position",
            Self::MaxNotional => "max_notional",
            Self::MaxOpenOrders => "max_open_orders",
            Self::RateLimit => "rate_limit",
            Self::PriceBand => "price_band",
            Self::KillSwitch => "kill_switch",
            Self::PostOnlyWouldCross => "post_only_would_cross",
            Self::UnknownOrder => "unknown_order",
            Self::StrategyDisabled => "strategy_disabled",
            Self::BookStale => "book_stale",
            Self::DuplicateOrderId => "duplicate_order_id",
            Self::NoLiquidity => "no_liquidity",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A change in an order's life: ack, reject (with a reason), cancel, expiry, done. 48 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct OrderUpdate {
    /// The order.
    pub id: ClientOrderId,
    /// Its instrument.
    pub instrument: InstrumentId,
    /// What happened.
    pub status: OrderStatus,
    /// The order's side.
    pub side: Side,
    /// [`RejectReason`] discriminant for `Rejected` / `CancelRejected`, zero otherwise; read it
    /// with [`OrderUpdate::reject_reason`].
    pub reject_code: u8,
    /// Reserved, zero.
    pub _reserved: u8,
    /// The order's limit price in ticks (zero for market orders).
    pub price: Price,
    /// The order's original quantity.
    pub qty: Quantity,
    /// Quantity still open after this update (zero once the order is done).
    pub leaves_qty: Quantity,
    /// Exchange time of the update.
    pub ts: UnixNanos,
}

impl OrderUpdate {
    /// Why the order (or cancel) was refused, for `Rejected` and `CancelRejected` updates.
    #[inline]
    pub const fn reject_reason(&self) -> Option<RejectReason> {
        RejectReason::from_u8(self.reject_code)
    }

    /// True when the order can no longer fill (rejected, cancelled, expired, filled).
    #[inline]
    pub const fn is_final(&self) -> bool {
        !matches!(
            self.status,
            OrderStatus::Accepted | OrderStatus::CancelRejected
        )
    }
}

/// Whether a fill added (maker) or took (taker) liquidity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Liquidity {
    /// The order rested and was hit.
    Maker = 1,
    /// The order crossed the spread.
    Taker = 2,
}

/// An execution of (part of) an order. 64 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct Fill {
    /// The order that filled.
    pub id: ClientOrderId,
    /// Its instrument.
    pub instrument: InstrumentId,
    /// The order's side.
    pub side: Side,
    /// Maker or taker.
    pub liquidity: Liquidity,
    /// Reserved, zero.
    pub _reserved: [u8; 2],
    /// Fill price in ticks.
    pub price: Price,
    /// Filled quantity.
    pub qty: Quantity,
    /// Quantity of the order still open after this fill.
    pub leaves_qty: Quantity,
    /// The strategy's signed position in the instrument after this fill, in lots.
    pub position: i64,
    /// The engine's fill id (unique per run).
    pub fill_id: u64,
    /// Exchange time of the fill.
    pub ts: UnixNanos,
}

/// An order resting for the strategy, as listed by
/// [`Context::open_orders`](crate::Context::open_orders). 40 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct OpenOrder {
    /// The order.
    pub id: ClientOrderId,
    /// Its instrument.
    pub instrument: InstrumentId,
    /// Its side.
    pub side: Side,
    /// Limit or market.
    pub order_type: OrderType,
    /// Time in force.
    pub time_in_force: TimeInForce,
    /// Reserved, zero.
    pub _reserved: u8,
    /// Limit price in ticks.
    pub price: Price,
    /// Original quantity.
    pub qty: Quantity,
    /// Quantity still open.
    pub leaves_qty: Quantity,
}

const _: () = assert!(std::mem::size_of::<OrderRequest>() == 32);
const _: () = assert!(std::mem::size_of::<OrderUpdate>() == 48);
const _: () = assert!(std::mem::size_of::<Fill>() == 64);
const _: () = assert!(std::mem::size_of::<OpenOrder>() == 40);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reject_reason_from_u8_round_trips_every_variant() {
        for reason in RejectReason::ALL {
            assert_eq!(RejectReason::from_u8(reason as u8), Some(reason));
        }
        assert_eq!(RejectReason::from_u8(0), None);
        assert_eq!(
            RejectReason::from_u8(RejectReason::ALL.len() as u8 + 1),
            None
        );
    }

    #[test]
    fn reject_reason_discriminants_are_dense_from_one() {
        for (i, reason) in RejectReason::ALL.iter().enumerate() {
            assert_eq!(*reason as usize, i + 1, "{reason}");
        }
    }
}
