//! The venue interface of the book side: what every venue folder's books provide.
//!
//! A venue's books take its raw input (WebSocket frames, and REST snapshot bodies where the
//! venue serves snapshots that way), decode it straight into ticks and lots, sequence it by the
//! venue's rules (and checksum, where it has one) with one book per instrument, and hand the
//! normalized [`MarketEvent`]s that result to an [`EventOut`]. The capture pipeline
//! ([`crate::capture::pipeline`]), the live connector ([`crate::feed::live`]) and the benches
//! all drive books through this one trait, so they sequence identically. The concrete
//! dispatch is [`VenueBooks`](super::dispatch::VenueBooks).

use super::integrity::{Fault, FaultCounts};
use super::venue::Venue;
use crate::book::L2Book;
use crate::instrument::Registry;
use ladder_sdk::{Bbo, BookState, InstrumentId, MarketEvent, UnixNanos};
use std::error::Error;
use thiserror::Error;

/// Where sequenced events go, in order.
pub trait EventOut {
    /// One event.
    fn event(&mut self, event: MarketEvent);

    /// The frame is decoded and about to be sequenced (the bench stamps its decode stage here).
    #[inline]
    fn decoded(&mut self) {}
}

impl<F: FnMut(MarketEvent)> EventOut for F {
    #[inline]
    fn event(&mut self, event: MarketEvent) {
        self(event)
    }
}

/// An [`EventOut`] that drops everything, for callers that only read the books.
#[derive(Debug, Clone, Copy, Default)]
pub struct Discard;

impl EventOut for Discard {
    #[inline]
    fn event(&mut self, _: MarketEvent) {}
}

/// What one frame (or snapshot body) was.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FrameKind {
    /// A book update (diff) of `instrument`.
    Depth,
    /// A full book image.
    Snapshot,
    /// A regular trade (emitted as [`MarketEvent::Trade`]).
    Trade,
    /// A trade that is not a regular match (liquidation, ADL, insurance fund): counted, not
    /// emitted.
    SpecialTrade,
    /// An aggregated trade (the stream of individual trades is what is emitted).
    AggTrade,
    /// A best bid/offer (emitted as [`MarketEvent::Bbo`]).
    Bbo(Bbo),
    /// A subscription reply, pong, or other control message.
    Control,
    /// The venue says this connection is about to close.
    Shutdown,
    /// Valid, and of no interest.
    Ignored,
}

/// What one frame did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// What it was.
    pub kind: FrameKind,
    /// The instrument it belonged to, if any.
    pub instrument: Option<InstrumentId>,
    /// The integrity fault it showed, if any: that instrument's book is stale until a new
    /// snapshot lines up. No event says so; the caller decides how a fault is shown.
    pub fault: Option<Fault>,
}

impl Frame {
    /// A frame of `kind` that touched no book.
    pub const fn of(kind: FrameKind, instrument: Option<InstrumentId>) -> Self {
        Self {
            kind,
            instrument,
            fault: None,
        }
    }
}

/// Why a frame could not be used.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The venue's decoder refused it (its message names the field and the value).
    #[error(transparent)]
    Decode(Box<dyn Error + Send + Sync + 'static>),
    /// A snapshot that names no instrument, and the books cannot tell whose it is.
    #[error(
        "depth snapshot names no symbol and matches no single waiting book; \
         record multi-symbol captures with `<symbol>@depthSnapshot` envelopes"
    )]
    UnownedSnapshot,
}

impl FrameError {
    /// Wraps a venue decoder's error.
    pub fn decode(e: impl Error + Send + Sync + 'static) -> Self {
        Self::Decode(Box::new(e))
    }
}

/// Counters of one instrument's sequencing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncStats {
    /// Diff messages seen.
    pub depth_updates: u64,
    /// Diffs applied to the book.
    pub applied: u64,
    /// Diffs dropped as already covered by the snapshot.
    pub dropped_stale: u64,
    /// Diffs dropped as exact repeats of the last applied diff.
    pub duplicates: u64,
    /// Integrity faults of every kind (the total of [`SyncStats::faults`]).
    pub gaps: u64,
    /// Integrity faults by kind.
    pub faults: FaultCounts,
    /// Snapshots received (applied or rejected).
    pub snapshots: u64,
    /// Buffered diffs discarded because the buffer was full while waiting for a snapshot.
    pub buffer_overflows: u64,
    /// Buffered diffs discarded because a later diff broke their chain (after a fault no
    /// snapshot can line up with them and the new diffs together).
    pub discarded: u64,
    /// Messages whose checksum was checked against the book (venues that send one: OKX's
    /// older recordings, Kraken); a mismatch is also a `checksum_mismatch` fault.
    pub checksums: u64,
}

impl SyncStats {
    /// Adds `other`'s counts (a sequencer replaced on a reconnect).
    pub fn add(&mut self, other: &Self) {
        self.depth_updates += other.depth_updates;
        self.applied += other.applied;
        self.dropped_stale += other.dropped_stale;
        self.duplicates += other.duplicates;
        self.gaps += other.gaps;
        self.faults.add(&other.faults);
        self.snapshots += other.snapshots;
        self.buffer_overflows += other.buffer_overflows;
        self.discarded += other.discarded;
        self.checksums += other.checksums;
    }
}

/// One instrument's book as its sequencer keeps it.
#[derive(Debug, Clone, Copy)]
pub struct BookView<'a> {
    /// The instrument.
    pub instrument: InstrumentId,
    /// Its book (exact when `state` is synced).
    pub book: &'a L2Book,
    /// Synced, or why not.
    pub state: BookState,
    /// Sequencing counters (over restarts too).
    pub stats: SyncStats,
    /// The venue's update id the book is at, once synced.
    pub last_update_id: Option<u64>,
}

/// The book side of a venue: decoding and sequencing of every instrument of one feed.
pub trait FeedBooks {
    /// The venue.
    fn venue(&self) -> Venue;

    /// Decodes one frame received at `ts_recv`, sequences it, and emits the events it
    /// produced. A snapshot that arrives in the stream (or as a capture line) is taken here.
    ///
    /// # Hot path
    /// No allocation once buffers have grown, while books are synced.
    fn on_frame(
        &mut self,
        registry: &Registry,
        ts_recv: UnixNanos,
        frame: &[u8],
        out: &mut impl EventOut,
    ) -> Result<Frame, FrameError>;

    /// A snapshot body fetched for `instrument` (a REST reply, live). A returned fault means
    /// the snapshot did not line up with the buffered updates: another one is needed.
    fn on_snapshot_body(
        &mut self,
        registry: &Registry,
        instrument: InstrumentId,
        ts_recv: UnixNanos,
        body: &[u8],
        out: &mut impl EventOut,
    ) -> Result<Frame, FrameError>;

    /// The instruments these books carry, in registry order.
    fn instruments(&self) -> &[InstrumentId];

    /// One instrument's book, state and counters; `None` if not carried.
    fn view(&self, instrument: InstrumentId) -> Option<BookView<'_>>;

    /// True while the instrument waits for a snapshot.
    fn needs_snapshot(&self, instrument: InstrumentId) -> bool;

    /// True when updates are buffered for the next snapshot.
    fn has_pending(&self, instrument: InstrumentId) -> bool;

    /// Marks the book stale and waiting for a new snapshot (a consumer lost events); later
    /// updates are buffered again.
    fn invalidate(&mut self, instrument: InstrumentId);

    /// Starts the instrument's sequencing afresh (a new connection): buffered updates are of
    /// no use. Its counters carry on.
    fn restart(&mut self, instrument: InstrumentId);
}
