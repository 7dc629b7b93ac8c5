//! Coinbase book sequencing (`docs/venues.md` §6 and §12): one [`Sequencer`] per instrument
//! and one [`ConnSequence`] per connection, with the book checked after every message.
//!
//! Coinbase sends the snapshot in the stream (the first `l2_data` event of a subscription) and
//! has no per-book sequence number, so:
//!
//! - A **snapshot** replaces the book (never merged into the old one: no ghost levels).
//! - An **update** applies to a synced book; before the first snapshot and after a fault it is
//!   dropped (counted in [`SyncStats::discarded`]) until the next snapshot.
//! - **Advanced Trade `sequence_num`** is one counter per connection over every channel
//!   (`0, 1, 2, ...`): each frame must carry the last one plus one. A break
//!   ([`SequenceGap`](IntegrityFault::SequenceGap) when numbers were skipped,
//!   [`IdsBackward`](IntegrityFault::IdsBackward) when one repeats or goes back, as after a
//!   reconnect inside a capture) means a message of *any* channel was lost, so it is a fault of
//!   **every book of the connection**: each one is stale (and counted once, per instrument,
//!   in its own [`SyncStats`]) until its own new snapshot. [`ConnSequence`] finds the break;
//!   [`Sequencer::on_connection_fault`] applies it to each book. The first number seen (or the
//!   first after [`ConnSequence::reset`]) starts the count: a capture may begin mid-stream.
//! - The legacy Exchange feed has no sequence number and no checksum: only the book's own
//!   consistency is checked.
//! - After every complete message a **crossed or locked** book is a
//!   [`Crossed`](IntegrityFault::Crossed) fault: the book is stale until the next snapshot.
//!
//! Snapshots are large (BTC-USD: 46,000 levels in one 5 MB frame): the book keeps every level
//! exactly (far levels in its far store, `O(log n)` each), so a snapshot costs `O(n log n)`.

use super::decode::BookHeader;
use crate::book::{BookConfig, L2Book};
pub use crate::feed::books::SyncStats;
use crate::feed::integrity::{Fault, IntegrityFault};
use ladder_sdk::{BookState, InstrumentId, Level, Side, UnixNanos};

/// Where the sequencer sends what it decided, in order.
pub trait SyncSink {
    /// Replace the book with this image.
    fn snapshot(&mut self, header: &BookHeader, bids: &[Level], asks: &[Level]);
    /// Apply this update's levels.
    fn delta(&mut self, header: &BookHeader, bids: &[Level], asks: &[Level]);
    /// An integrity fault: the book is stale until the next snapshot.
    fn fault(&mut self, instrument: InstrumentId, fault: Fault);
}

/// A sink for callers that only read the sequencer's own book ([`Sequencer::book`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct NullSink;

impl SyncSink for NullSink {
    fn snapshot(&mut self, _: &BookHeader, _: &[Level], _: &[Level]) {}
    fn delta(&mut self, _: &BookHeader, _: &[Level], _: &[Level]) {}
    fn fault(&mut self, _: InstrumentId, _: Fault) {}
}

/// What happened to one book event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// An update applied to the book.
    Applied,
    /// A snapshot replaced the book.
    Snapshot,
    /// An update dropped while the book waits for a snapshot.
    Discarded,
    /// An integrity fault; the book is stale until the next snapshot.
    Fault(Fault),
}

/// The connection's `sequence_num` counter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnSequence {
    last: Option<u64>,
}

impl ConnSequence {
    /// Takes the next frame's number: the fault if it does not continue the count. The count
    /// goes on from `got` either way.
    ///
    /// # Hot path
    /// No allocation; O(1).
    pub fn next(&mut self, got: u64) -> Option<IntegrityFault> {
        let fault = self.last.and_then(|last| breaks(last, got));
        self.last = Some(got);
        fault
    }

    /// True if `got` continues the count (or starts it).
    pub fn continues(&self, got: u64) -> bool {
        self.last
            .is_none_or(|last| last.checked_add(1) == Some(got))
    }

    /// The last number taken.
    pub fn last(&self) -> Option<u64> {
        self.last
    }

    /// Forgets the count (a new connection starts its own).
    pub fn reset(&mut self) {
        self.last = None;
    }
}

/// The fault of a number `got` that does not continue `last` (`got == last + 1`).
fn breaks(last: u64, got: u64) -> Option<IntegrityFault> {
    match last.checked_add(1) {
        Some(next) if got == next => None,
        _ if got <= last => Some(IntegrityFault::IdsBackward { last, got }),
        // `got > last`, so `last + 1` does not overflow.
        _ => Some(IntegrityFault::SequenceGap {
            expected: last + 1,
            got,
        }),
    }
}

/// Sequencer for one instrument.
#[derive(Debug, Clone)]
pub struct Sequencer {
    instrument: InstrumentId,
    synced: bool,
    stale: bool,
    last: Option<u64>,
    book: L2Book,
    stats: SyncStats,
}

impl Sequencer {
    /// A sequencer waiting for its first snapshot.
    pub fn new(instrument: InstrumentId) -> Self {
        Self {
            instrument,
            synced: false,
            stale: false,
            last: None,
            book: L2Book::new(BookConfig::default()),
            stats: SyncStats::default(),
        }
    }

    /// The instrument.
    pub fn instrument(&self) -> InstrumentId {
        self.instrument
    }

    /// Counters so far.
    pub fn stats(&self) -> &SyncStats {
        &self.stats
    }

    /// The book built from the accepted snapshots and updates. Exact while
    /// [`Sequencer::state`] is `Synced`.
    pub fn book(&self) -> &L2Book {
        &self.book
    }

    /// `Syncing` before the first snapshot, `Synced` while in sequence, `Stale` after a fault
    /// until a snapshot.
    pub fn state(&self) -> BookState {
        match (self.synced, self.stale) {
            (true, _) => BookState::Synced,
            (false, true) => BookState::Stale,
            (false, false) => BookState::Syncing,
        }
    }

    /// True while the book waits for a snapshot (the live side resubscribes to get one).
    pub fn needs_snapshot(&self) -> bool {
        !self.synced
    }

    /// The `sequence_num` of the last message applied, while synced (legacy: none).
    pub fn last_update_id(&self) -> Option<u64> {
        self.last.filter(|_| self.synced)
    }

    /// Marks the book stale for a reason outside the sequence (ring overflow, silent feed,
    /// disconnect): a snapshot is needed.
    pub fn invalidate(&mut self) {
        if self.synced {
            self.synced = false;
            self.stale = true;
        }
    }

    /// A message of the connection was lost (`sequence_num` broke): this book is stale until
    /// its new snapshot. Counted here, once for this instrument.
    pub fn on_connection_fault(
        &mut self,
        kind: IntegrityFault,
        ts_recv: UnixNanos,
        sink: &mut impl SyncSink,
    ) -> Fault {
        self.fail(kind, ts_recv, sink)
    }

    /// Sequences one book event; its levels are `bids` and `asks`.
    ///
    /// # Hot path
    /// No allocation once the book's far store has grown; O(levels) into the book and the
    /// sink (`O(log n)` per level outside the book's window).
    pub fn on_event(
        &mut self,
        h: &BookHeader,
        bids: &[Level],
        asks: &[Level],
        sink: &mut impl SyncSink,
    ) -> Outcome {
        if h.snapshot {
            self.stats.snapshots += 1;
            self.book.clear();
        } else {
            self.stats.depth_updates += 1;
            if !self.synced {
                self.stats.discarded += 1;
                return Outcome::Discarded;
            }
        }
        for l in bids {
            self.book.apply(Side::Buy, l.price, l.qty);
        }
        for l in asks {
            self.book.apply(Side::Sell, l.price, l.qty);
        }
        if let (Some(bid), Some(ask)) = (self.book.best_bid(), self.book.best_ask())
            && bid.price >= ask.price
        {
            let kind = IntegrityFault::Crossed {
                bid: bid.price.ticks(),
                ask: ask.price.ticks(),
            };
            return Outcome::Fault(self.fail(kind, h.ts_recv, sink));
        }
        self.synced = true;
        self.stale = false;
        self.last = h.sequence;
        if h.snapshot {
            sink.snapshot(h, bids, asks);
            Outcome::Snapshot
        } else {
            sink.delta(h, bids, asks);
            self.stats.applied += 1;
            Outcome::Applied
        }
    }

    /// Counts a fault, marks the book stale and tells the sink.
    fn fail(
        &mut self,
        kind: IntegrityFault,
        ts_recv: UnixNanos,
        sink: &mut impl SyncSink,
    ) -> Fault {
        let fault = Fault { kind, ts_recv };
        self.stats.faults.record(&kind);
        self.stats.gaps += 1;
        self.synced = false;
        self.stale = true;
        sink.fault(self.instrument, fault);
        fault
    }
}
