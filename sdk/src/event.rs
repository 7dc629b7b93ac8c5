//! Normalized market events: what every venue decoder produces and the hot loop consumes.
//!
//! Small `Copy` values with integer prices (ticks) and quantities (lots); the size of
//! [`MarketEvent`] is asserted so that it stays cheap to pass through a ring by value.

use crate::ids::{InstrumentId, Side};
use crate::num::{Price, Quantity};
use crate::time::UnixNanos;

/// One price level changed to an absolute quantity (zero removes the level).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookDelta {
    /// The instrument.
    pub instrument: InstrumentId,
    /// Bid (`Buy`) or ask (`Sell`) side.
    pub side: Side,
    /// True on the last level of one venue message: the book is consistent after it.
    pub last: bool,
    /// Level price.
    pub price: Price,
    /// New absolute quantity at the level; zero removes it.
    pub qty: Quantity,
    /// The venue's update id of the message this level came from.
    pub update_id: u64,
    /// Exchange event time.
    pub ts_exchange: UnixNanos,
    /// Local receive time of the frame.
    pub ts_recv: UnixNanos,
}

/// Start or end of a full book image: between the two markers the levels come as
/// [`BookDelta`]s into an empty book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookMarker {
    /// The instrument.
    pub instrument: InstrumentId,
    /// The update id the image is valid at.
    pub update_id: u64,
    /// Exchange time of the image, if the venue sends one.
    pub ts_exchange: UnixNanos,
    /// Local receive time.
    pub ts_recv: UnixNanos,
}

/// A trade print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trade {
    /// The instrument.
    pub instrument: InstrumentId,
    /// The taker's side.
    pub aggressor: Side,
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

/// Best bid and offer as published by the venue's ticker stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bbo {
    /// The instrument.
    pub instrument: InstrumentId,
    /// Best bid price.
    pub bid_price: Price,
    /// Quantity at the best bid.
    pub bid_qty: Quantity,
    /// Best ask price.
    pub ask_price: Price,
    /// Quantity at the best ask.
    pub ask_qty: Quantity,
    /// The book update id the ticker reflects.
    pub update_id: u64,
    /// Local receive time.
    pub ts_recv: UnixNanos,
}

/// Synchronization state of one instrument's book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum BookState {
    /// Connecting to the venue.
    Connecting = 1,
    /// Waiting for a snapshot to line up with the buffered diffs.
    Syncing = 2,
    /// The book matches the venue.
    Synced = 3,
    /// The book can no longer be trusted (gap, overflow, stale feed); signals must stop.
    Stale = 4,
    /// A resync from a new snapshot is under way.
    Resyncing = 5,
}

impl BookState {
    /// Lowercase name, as printed in reports (`"synced"`, `"stale"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Syncing => "syncing",
            Self::Synced => "synced",
            Self::Stale => "stale",
            Self::Resyncing => "resyncing",
        }
    }
}

/// Why a book went stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum StaleReason {
    /// A sequence gap between venue messages.
    SequenceGap = 1,
    /// A checksum did not match.
    ChecksumMismatch = 2,
    /// The ring to the hot thread was full and an event was not delivered.
    QueueOverflow = 3,
    /// No data for longer than the watchdog allows.
    FeedSilent = 4,
    /// The connection dropped.
    Disconnected = 5,
}

impl StaleReason {
    /// From the ABI discriminant (`None` for 0 or an unknown code).
    pub const fn from_u8(code: u8) -> Option<Self> {
        match code {
            1 => Some(Self::SequenceGap),
            2 => Some(Self::ChecksumMismatch),
            3 => Some(Self::QueueOverflow),
            4 => Some(Self::FeedSilent),
            5 => Some(Self::Disconnected),
            _ => None,
        }
    }

    /// Lowercase name for reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SequenceGap => "sequence_gap",
            Self::ChecksumMismatch => "checksum_mismatch",
            Self::QueueOverflow => "queue_overflow",
            Self::FeedSilent => "feed_silent",
            Self::Disconnected => "disconnected",
        }
    }
}

/// A change of an instrument's book state: strategies must stop trusting a stale book and may
/// trust it again once it is synced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookStatus {
    /// The instrument.
    pub instrument: InstrumentId,
    /// The new state.
    pub state: BookState,
    /// Why the book went stale, when `state` is `Stale`.
    pub reason: Option<StaleReason>,
    /// Local time of the change.
    pub ts_recv: UnixNanos,
}

/// Every normalized market event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketEvent {
    /// One level changed.
    BookDelta(BookDelta),
    /// A full book image begins: clear the book.
    SnapshotBegin(BookMarker),
    /// The full book image is complete.
    SnapshotEnd(BookMarker),
    /// A trade print.
    Trade(Trade),
    /// A best bid/offer from the venue's ticker.
    Bbo(Bbo),
    /// The book's synchronization state changed (stale, resyncing, synced, reset).
    Status(BookStatus),
}

impl MarketEvent {
    /// The instrument the event is about.
    pub const fn instrument(&self) -> InstrumentId {
        match self {
            Self::BookDelta(e) => e.instrument,
            Self::SnapshotBegin(e) | Self::SnapshotEnd(e) => e.instrument,
            Self::Trade(e) => e.instrument,
            Self::Bbo(e) => e.instrument,
            Self::Status(e) => e.instrument,
        }
    }

    /// Local receive time.
    pub const fn ts_recv(&self) -> UnixNanos {
        match self {
            Self::BookDelta(e) => e.ts_recv,
            Self::SnapshotBegin(e) | Self::SnapshotEnd(e) => e.ts_recv,
            Self::Trade(e) => e.ts_recv,
            Self::Bbo(e) => e.ts_recv,
            Self::Status(e) => e.ts_recv,
        }
    }
}

const _: () = assert!(std::mem::size_of::<BookDelta>() == 48);
const _: () = assert!(std::mem::size_of::<MarketEvent>() <= 64);
