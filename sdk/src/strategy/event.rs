//! Market events as a strategy receives them (`#[repr(C)]` forms of the sdk's events), and the
//! signals it emits.

use crate::event::{BookState, BookStatus, StaleReason, Trade};
use crate::ids::{InstrumentId, Side};
use crate::num::{Price, Quantity};
use crate::time::UnixNanos;

/// A trade print, as passed to [`Strategy::on_trade`](crate::Strategy::on_trade). 48 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct TradeEvent {
    /// The instrument.
    pub instrument: InstrumentId,
    /// The taker's side.
    pub aggressor: Side,
    /// Reserved, zero.
    pub _reserved: [u8; 3],
    /// Trade price.
    pub price: Price,
    /// Trade quantity.
    pub qty: Quantity,
    /// The venue's trade id.
    pub trade_id: u64,
    /// Exchange trade time.
    pub ts_exchange: UnixNanos,
    /// Local receive time.
    pub ts_recv: UnixNanos,
}

impl From<&Trade> for TradeEvent {
    #[inline]
    fn from(t: &Trade) -> Self {
        Self {
            instrument: t.instrument,
            aggressor: t.aggressor,
            _reserved: [0; 3],
            price: t.price,
            qty: t.qty,
            trade_id: t.trade_id,
            ts_exchange: t.ts_exchange,
            ts_recv: t.ts_recv,
        }
    }
}

/// A book state change (stale / resyncing / synced), as passed to
/// [`Strategy::on_status`](crate::Strategy::on_status). 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct StatusEvent {
    /// The instrument.
    pub instrument: InstrumentId,
    /// The new state.
    pub state: BookState,
    /// [`StaleReason`] discriminant when `state` is `Stale`, zero otherwise; read it with
    /// [`StatusEvent::reason`].
    pub reason_code: u8,
    /// Reserved, zero.
    pub _reserved: [u8; 2],
    /// Local time of the change.
    pub ts_recv: UnixNanos,
}

impl StatusEvent {
    /// Why the book went stale, when it did.
    #[inline]
    pub const fn reason(&self) -> Option<StaleReason> {
        match self.reason_code {
            1 => Some(StaleReason::SequenceGap),
            2 => Some(StaleReason::ChecksumMismatch),
            3 => Some(StaleReason::QueueOverflow),
            4 => Some(StaleReason::FeedSilent),
            5 => Some(StaleReason::Disconnected),
            _ => None,
        }
    }

    /// True when the book can be trusted again.
    #[inline]
    pub const fn is_synced(&self) -> bool {
        matches!(self.state, BookState::Synced)
    }
}

impl From<&BookStatus> for StatusEvent {
    #[inline]
    fn from(s: &BookStatus) -> Self {
        Self {
            instrument: s.instrument,
            state: s.state,
            reason_code: s.reason.map_or(0, |r| r as u8),
            _reserved: [0; 2],
            ts_recv: s.ts_recv,
        }
    }
}

/// A named signal of one strategy, registered once in
/// [`InitContext::register_signal`](crate::InitContext::register_signal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct SignalId(u32);

impl SignalId {
    /// The id with index `index` (the host numbers a strategy's signals from zero).
    #[inline]
    pub const fn new(index: u32) -> Self {
        Self(index)
    }

    /// The index, for table lookups.
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// One emitted signal value, written into the host's signal buffer by
/// [`Context::emit`](crate::Context::emit). 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct SignalValue {
    /// Which signal.
    pub id: SignalId,
    /// Reserved, zero.
    pub _reserved: u32,
    /// Its value.
    pub value: f64,
}

impl SignalValue {
    /// A value of signal `id`.
    #[inline]
    pub const fn new(id: SignalId, value: f64) -> Self {
        Self {
            id,
            _reserved: 0,
            value,
        }
    }
}

impl Default for SignalValue {
    fn default() -> Self {
        Self::new(SignalId::new(0), 0.0)
    }
}

const _: () = assert!(std::mem::size_of::<TradeEvent>() == 48);
const _: () = assert!(std::mem::size_of::<StatusEvent>() == 16);
const _: () = assert!(std::mem::size_of::<SignalValue>() == 16);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_event_keeps_every_stale_reason() {
        for reason in [
            StaleReason::SequenceGap,
            StaleReason::ChecksumMismatch,
            StaleReason::QueueOverflow,
            StaleReason::FeedSilent,
            StaleReason::Disconnected,
        ] {
            let status = BookStatus {
                instrument: InstrumentId::new(3),
                state: BookState::Stale,
                reason: Some(reason),
                ts_recv: UnixNanos::from_nanos(9),
            };
            assert_eq!(StatusEvent::from(&status).reason(), Some(reason));
        }
    }

    #[test]
    fn status_event_without_reason_has_none() {
        let status = BookStatus {
            instrument: InstrumentId::new(0),
            state: BookState::Synced,
            reason: None,
            ts_recv: UnixNanos::ZERO,
        };
        let ev = StatusEvent::from(&status);
        assert_eq!(ev.reason(), None);
        assert!(ev.is_synced());
    }
}
