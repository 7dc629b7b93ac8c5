//! Bybit v5 book sequencing, per instrument (`docs/venues.md` §3.2 and §12), with the book it
//! builds checked after every message.
//!
//! Bybit sends the snapshot in the stream (the first message after subscribing, and again
//! whenever the venue needs to): there is no REST join and nothing to buffer.
//!
//! - A **snapshot** (`type: snapshot`), and any message with **`u == 1`** (a service restart),
//!   replaces the book.
//! - A **delta** must continue the book: `u == prev_u + 1`. Anything else is a fault: a
//!   [`SequenceGap`](IntegrityFault::SequenceGap) when ids were skipped,
//!   [`IdsBackward`](IntegrityFault::IdsBackward) when `u <= prev_u`. The book is stale and
//!   every delta is dropped (counted in [`SyncStats::discarded`]) until the next snapshot
//!   (the live side resubscribes the instrument to get one: [`Sequencer::needs_snapshot`]).
//! - **Level 1** (`orderbook.1`) sends only snapshots; `u` rises by exactly 1 when the top
//!   changed and an unchanged top is re-sent with the same `u`. So at depth 1 a snapshot must
//!   have `u == prev_u` (a re-send, applied: not a gap) or `u == prev_u + 1` (or `u == 1`); any
//!   other is a fault like a delta's (the snapshot is not applied; the next one resyncs).
//! - The **depth window** is the venue's: it sends the levels that leave it. A side holding
//!   more levels than the topic's depth after a complete message is
//!   [`DepthExceeded`](IntegrityFault::DepthExceeded); a crossed or locked book is
//!   [`Crossed`](IntegrityFault::Crossed). Either way the message is not passed on.
//! - **`u == 1` with empty `b` and `a`**: the symbol was delisted, is before a pre-market
//!   auction, or is leaving the auction for continuous trading (a snapshot follows). The book
//!   is cleared and the instrument has no book ([`BookState::Syncing`], not a fault) until the
//!   venue sends a snapshot by itself; deltas are dropped meanwhile, and no resubscribe is
//!   asked for ([`Sequencer::needs_snapshot`] is false): it would bring the same empty book.
//! - **`u == 1` off the grid** (the tick or lot size changed): the book is cleared and stale
//!   with [`GridChanged`](IntegrityFault::GridChanged) until the instrument spec is reloaded
//!   and a snapshot on the new grid arrives.
//!
//! `seq` (the cross sequence) and `cts` (matching-engine time) are kept with the book
//! ([`Sequencer::last_seq`], the events' `ts_exchange`); `seq` orders messages of several depths
//! and is not a gap detector.

use super::decode::BookHeader;
use crate::book::{BookConfig, L2Book};
pub use crate::feed::books::SyncStats;
use crate::feed::integrity::{Fault, IntegrityFault};
use ladder_sdk::{BookState, InstrumentId, Level, RawDecimal, Side, UnixNanos};

/// Where the sequencer sends what it decided, in order.
pub trait SyncSink {
    /// Replace the book with this image.
    fn snapshot(&mut self, header: &BookHeader, bids: &[Level], asks: &[Level]);
    /// Apply this delta's levels.
    fn delta(&mut self, header: &BookHeader, bids: &[Level], asks: &[Level]);
    /// The venue says the instrument has no book now (`u == 1`, empty): clear it and wait for
    /// the venue's snapshot.
    fn unavailable(&mut self, header: &BookHeader);
    /// An integrity fault: the book is stale until the next snapshot.
    fn fault(&mut self, instrument: InstrumentId, fault: Fault);
}

/// A sink for callers that only read the sequencer's own book ([`Sequencer::book`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct NullSink;

impl SyncSink for NullSink {
    fn snapshot(&mut self, _: &BookHeader, _: &[Level], _: &[Level]) {}
    fn delta(&mut self, _: &BookHeader, _: &[Level], _: &[Level]) {}
    fn unavailable(&mut self, _: &BookHeader) {}
    fn fault(&mut self, _: InstrumentId, _: Fault) {}
}

/// What happened to one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A delta applied to the book.
    Applied,
    /// A snapshot (or `u == 1` restart) replaced the book.
    Snapshot,
    /// A level-1 snapshot re-sent with the same `u`, applied.
    Resent,
    /// The venue says there is no book (`u == 1`, empty).
    Unavailable,
    /// A delta dropped while the book waits for a snapshot.
    Discarded,
    /// An integrity fault; the book is stale until the next snapshot.
    Fault(Fault),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No usable snapshot (at the start, after a fault): drop deltas.
    AwaitingSnapshot,
    /// The venue sent `u == 1` with no levels: no book until its snapshot.
    Unavailable,
    /// In sequence at update id `last`.
    Synced { last: u64 },
}

/// Sequencer for one instrument.
#[derive(Debug, Clone)]
pub struct Sequencer {
    instrument: InstrumentId,
    phase: Phase,
    stale: bool,
    book: L2Book,
    stats: SyncStats,
    last_seq: Option<u64>,
    restarts: u64,
    unavailable: u64,
}

impl Sequencer {
    /// A sequencer waiting for its first snapshot.
    pub fn new(instrument: InstrumentId) -> Self {
        Self {
            instrument,
            phase: Phase::AwaitingSnapshot,
            stale: false,
            book: L2Book::new(BookConfig::default()),
            stats: SyncStats::default(),
            last_seq: None,
            restarts: 0,
            unavailable: 0,
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

    /// The book built from the accepted snapshots and deltas. Exact while
    /// [`Sequencer::state`] is `Synced`.
    pub fn book(&self) -> &L2Book {
        &self.book
    }

    /// `Syncing` before the first snapshot and while the venue says there is no book, `Synced`
    /// while in sequence, `Stale` after a fault until a snapshot.
    pub fn state(&self) -> BookState {
        match self.phase {
            _ if self.stale => BookState::Stale,
            Phase::AwaitingSnapshot | Phase::Unavailable => BookState::Syncing,
            Phase::Synced { .. } => BookState::Synced,
        }
    }

    /// True while the book needs a snapshot the live side must ask for (by resubscribing):
    /// at the start and after a fault, not while the venue says there is no book.
    pub fn needs_snapshot(&self) -> bool {
        self.phase == Phase::AwaitingSnapshot
    }

    /// True while the venue says the instrument has no book (`u == 1` with no levels).
    pub fn is_unavailable(&self) -> bool {
        self.phase == Phase::Unavailable
    }

    /// The update id `u` the book is at, while synced.
    pub fn last_update_id(&self) -> Option<u64> {
        match self.phase {
            Phase::Synced { last } => Some(last),
            Phase::AwaitingSnapshot | Phase::Unavailable => None,
        }
    }

    /// The cross sequence `seq` of the last message applied.
    pub fn last_seq(&self) -> Option<u64> {
        self.last_seq
    }

    /// Restarts (`u == 1` snapshots with levels) applied.
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    /// Times the venue said there is no book (`u == 1`, empty).
    pub fn unavailable_count(&self) -> u64 {
        self.unavailable
    }

    /// Marks the book stale for a reason outside the sequence (ring overflow, silent feed,
    /// disconnect): a snapshot is needed.
    pub fn invalidate(&mut self) {
        if self.phase != Phase::AwaitingSnapshot {
            self.stale = true;
            self.phase = Phase::AwaitingSnapshot;
        }
    }

    /// Sequences one `orderbook` message; its levels are `bids` and `asks`.
    ///
    /// # Hot path
    /// No allocation; O(levels) into the book and the sink.
    pub fn on_message(
        &mut self,
        h: &BookHeader,
        bids: &[Level],
        asks: &[Level],
        sink: &mut impl SyncSink,
    ) -> Outcome {
        if h.replaces() {
            self.on_image(h, bids, asks, sink)
        } else {
            self.on_delta(h, bids, asks, sink)
        }
    }

    /// A book restart (`u == 1`) holding a value off the instrument's grid: the book is
    /// cleared and stale until the spec is reloaded and a snapshot on the new grid arrives.
    pub fn on_grid_changed(
        &mut self,
        h: &BookHeader,
        price: bool,
        value: RawDecimal,
        sink: &mut impl SyncSink,
    ) -> Fault {
        self.stats.snapshots += 1;
        self.book.clear();
        self.fail(
            IntegrityFault::GridChanged { price, value },
            h.ts_recv,
            sink,
        )
    }

    fn on_image(
        &mut self,
        h: &BookHeader,
        bids: &[Level],
        asks: &[Level],
        sink: &mut impl SyncSink,
    ) -> Outcome {
        self.stats.snapshots += 1;
        let u = h.update_id;
        if u == 1 && bids.is_empty() && asks.is_empty() {
            self.book.clear();
            self.phase = Phase::Unavailable;
            self.stale = false;
            self.unavailable += 1;
            self.last_seq = h.seq;
            sink.unavailable(h);
            return Outcome::Unavailable;
        }
        let mut resent = false;
        if let (1, Phase::Synced { last }) = (h.depth, self.phase)
            && u != 1
        {
            resent = u == last;
            if let Some(kind) = (!resent).then(|| breaks(last, u)).flatten() {
                return Outcome::Fault(self.fail(kind, h.ts_recv, sink));
            }
        }
        self.book.clear();
        self.apply_levels(bids, asks);
        if let Some(kind) = self.impossible(h.depth) {
            return Outcome::Fault(self.fail(kind, h.ts_recv, sink));
        }
        sink.snapshot(h, bids, asks);
        self.phase = Phase::Synced { last: u };
        self.stale = false;
        self.last_seq = h.seq;
        self.restarts += u64::from(u == 1);
        if resent {
            Outcome::Resent
        } else {
            Outcome::Snapshot
        }
    }

    fn on_delta(
        &mut self,
        h: &BookHeader,
        bids: &[Level],
        asks: &[Level],
        sink: &mut impl SyncSink,
    ) -> Outcome {
        self.stats.depth_updates += 1;
        let Phase::Synced { last } = self.phase else {
            self.stats.discarded += 1;
            return Outcome::Discarded;
        };
        if let Some(kind) = breaks(last, h.update_id) {
            return Outcome::Fault(self.fail(kind, h.ts_recv, sink));
        }
        self.apply_levels(bids, asks);
        if let Some(kind) = self.impossible(h.depth) {
            return Outcome::Fault(self.fail(kind, h.ts_recv, sink));
        }
        sink.delta(h, bids, asks);
        self.phase = Phase::Synced { last: h.update_id };
        self.last_seq = h.seq.or(self.last_seq);
        self.stats.applied += 1;
        Outcome::Applied
    }

    fn apply_levels(&mut self, bids: &[Level], asks: &[Level]) {
        for l in bids {
            self.book.apply(Side::Buy, l.price, l.qty);
        }
        for l in asks {
            self.book.apply(Side::Sell, l.price, l.qty);
        }
    }

    /// A book no venue holds: crossed or locked, or deeper than the subscribed depth.
    fn impossible(&self, depth: u32) -> Option<IntegrityFault> {
        if let (Some(bid), Some(ask)) = (self.book.best_bid(), self.book.best_ask())
            && bid.price >= ask.price
        {
            return Some(IntegrityFault::Crossed {
                bid: bid.price.ticks(),
                ask: ask.price.ticks(),
            });
        }
        let levels = self.book.len(Side::Buy).max(self.book.len(Side::Sell));
        (levels > depth as usize).then(|| IntegrityFault::DepthExceeded {
            levels: u32::try_from(levels).unwrap_or(u32::MAX),
            depth,
        })
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
        self.stale = true;
        self.phase = Phase::AwaitingSnapshot;
        sink.fault(self.instrument, fault);
        fault
    }
}

/// The fault of an update id `u` that does not continue a book at `last` (`u == last + 1`).
fn breaks(last: u64, u: u64) -> Option<IntegrityFault> {
    match last.checked_add(1) {
        Some(next) if u == next => None,
        _ if u <= last => Some(IntegrityFault::IdsBackward { last, got: u }),
        // `u > last`, so `last < u64::MAX` and `last + 1` does not overflow.
        _ => Some(IntegrityFault::SequenceGap {
            expected: last + 1,
            got: u,
        }),
    }
}
