//! Kraken book sequencing, per instrument (`docs/venues.md` §5.2, §5.3 and §12), with the book
//! it builds checked against the venue's checksum after every message.
//!
//! Kraken sends the snapshot in the stream (after subscribing, and again whenever it wants:
//! a second snapshot on the same subscription replaces the book). There are no update ids:
//! the checksum is the integrity check.
//!
//! - A **snapshot** clears the book and applies its levels. One without a `checksum` is
//!   accepted unverified (v1 never sends one; v2 may omit it).
//! - An **update** applies all its levels in order (quantity 0 removes; removing a level not
//!   held is normal). Before the first snapshot, and after a fault until the next one, updates
//!   are dropped (counted in [`SyncStats::discarded`]): one resync at a time, no storm.
//! - After **every** message the book is **truncated to the subscribed depth** (Kraken sends
//!   no removal for a level pushed out of scope) and then, when the message carries one, the
//!   **checksum** is verified: CRC32 of the top 10 asks and bids written with the pair's
//!   precision ([`checksum`](super::checksum)). A mismatch is
//!   [`ChecksumMismatch`](IntegrityFault::ChecksumMismatch): that one instrument's book is
//!   stale until a new snapshot (the live side resubscribes that instrument, never the
//!   connection: [`Sequencer::needs_snapshot`]).
//! - A **crossed or locked** book after a complete message is
//!   [`Crossed`](IntegrityFault::Crossed), handled the same way.
//!
//! The levels truncation removes are passed on with the message's own (as zero quantities
//! after them), so a consumer's book follows the sequencer's exactly.

use super::checksum::{self, Render};
use super::decode::BookHeader;
use super::wire::Decimals;
use crate::book::{BookConfig, L2Book};
pub use crate::feed::books::SyncStats;
use crate::feed::integrity::{Fault, IntegrityFault};
use ladder_sdk::{BookState, InstrumentId, Level, Quantity, Side, UnixNanos};

/// Where the sequencer sends what it decided, in order.
pub trait SyncSink {
    /// Replace the book with this image: `bids` and `asks` are the message's levels followed
    /// by the ones truncation removed (zero quantities).
    fn snapshot(&mut self, header: &BookHeader, update_id: u64, bids: &[Level], asks: &[Level]);
    /// Apply these levels (the message's, then the ones truncation removed).
    fn delta(&mut self, header: &BookHeader, update_id: u64, bids: &[Level], asks: &[Level]);
    /// An integrity fault: the book is stale until the next snapshot.
    fn fault(&mut self, instrument: InstrumentId, fault: Fault);
}

/// A sink for callers that only read the sequencer's own book ([`Sequencer::book`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct NullSink;

impl SyncSink for NullSink {
    fn snapshot(&mut self, _: &BookHeader, _: u64, _: &[Level], _: &[Level]) {}
    fn delta(&mut self, _: &BookHeader, _: u64, _: &[Level], _: &[Level]) {}
    fn fault(&mut self, _: InstrumentId, _: Fault) {}
}

/// What happened to one message.
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

/// Sequencer for one instrument.
#[derive(Debug, Clone)]
pub struct Sequencer {
    instrument: InstrumentId,
    synced: bool,
    stale: bool,
    book: L2Book,
    render: Render,
    /// The decimals the venue wrote since the last snapshot.
    decimals: Decimals,
    stats: SyncStats,
    /// Messages applied (the events' update ids: Kraken has none of its own).
    messages: u64,
    /// Checksums verified and found equal.
    verified: u64,
    /// The message's levels and the truncated ones (reused).
    out_bids: Vec<Level>,
    out_asks: Vec<Level>,
}

impl Sequencer {
    /// A sequencer waiting for its first snapshot; `render` writes the instrument's values for
    /// the checksum.
    pub fn new(instrument: InstrumentId, render: Render) -> Self {
        Self {
            instrument,
            synced: false,
            stale: false,
            book: L2Book::new(BookConfig::default()),
            render,
            decimals: Decimals::default(),
            stats: SyncStats::default(),
            messages: 0,
            verified: 0,
            out_bids: Vec::with_capacity(64),
            out_asks: Vec::with_capacity(64),
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

    /// Checksums that matched.
    pub fn verified(&self) -> u64 {
        self.verified
    }

    /// The book built from the accepted messages. Exact while [`Sequencer::state`] is
    /// `Synced`.
    pub fn book(&self) -> &L2Book {
        &self.book
    }

    /// How the checksum writes this instrument's values now.
    pub fn render(&self) -> &Render {
        &self.render
    }

    /// `Syncing` before the first snapshot, `Synced` while verified, `Stale` after a fault
    /// until a snapshot.
    pub fn state(&self) -> BookState {
        if self.stale {
            BookState::Stale
        } else if self.synced {
            BookState::Synced
        } else {
            BookState::Syncing
        }
    }

    /// True while the book needs a snapshot the live side must ask for (by resubscribing the
    /// instrument): at the start and after a fault.
    pub fn needs_snapshot(&self) -> bool {
        !self.synced
    }

    /// Messages applied so far (the update id of the last one's events).
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// Marks the book stale for a reason outside the sequence (ring overflow, silent feed,
    /// disconnect): a snapshot is needed.
    pub fn invalidate(&mut self) {
        if self.synced {
            self.stale = true;
            self.synced = false;
        }
    }

    /// Sequences one book message of the book subscribed at `depth`; its levels are `bids`
    /// and `asks`.
    ///
    /// # Hot path
    /// No allocation once the level buffers have grown; O(levels) into the book, plus
    /// O(depth) when the book outgrew the depth, plus the checksum (O(20 levels)).
    pub fn on_message(
        &mut self,
        h: &BookHeader,
        depth: u32,
        bids: &[Level],
        asks: &[Level],
        sink: &mut impl SyncSink,
    ) -> Outcome {
        if h.snapshot {
            self.stats.snapshots += 1;
            self.book.clear();
            self.decimals = h.decimals;
        } else {
            self.stats.depth_updates += 1;
            if !self.synced {
                self.stats.discarded += 1;
                return Outcome::Discarded;
            }
            self.decimals = self.decimals.max(h.decimals);
        }
        self.out_bids.clear();
        self.out_asks.clear();
        self.out_bids.extend_from_slice(bids);
        self.out_asks.extend_from_slice(asks);
        for l in bids {
            self.book.apply(Side::Buy, l.price, l.qty);
        }
        for l in asks {
            self.book.apply(Side::Sell, l.price, l.qty);
        }
        self.truncate(depth as usize);
        if let Some(want) = h.checksum {
            self.stats.checksums += 1;
            self.render.set(self.decimals);
            let got = checksum::checksum(&self.book, &self.render);
            if got != want {
                let kind = IntegrityFault::ChecksumMismatch {
                    expected: i64::from(want),
                    computed: i64::from(got),
                };
                return Outcome::Fault(self.fail(kind, h.ts_recv, sink));
            }
            self.verified += 1;
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
        self.messages += 1;
        if h.snapshot {
            sink.snapshot(h, self.messages, &self.out_bids, &self.out_asks);
            self.synced = true;
            self.stale = false;
            Outcome::Snapshot
        } else {
            sink.delta(h, self.messages, &self.out_bids, &self.out_asks);
            self.stats.applied += 1;
            Outcome::Applied
        }
    }

    /// Removes the levels beyond `depth` on each side, noting them (zero quantity) in the
    /// outgoing levels.
    fn truncate(&mut self, depth: usize) {
        for side in [Side::Buy, Side::Sell] {
            let extra = self.book.len(side).saturating_sub(depth);
            if extra == 0 {
                continue;
            }
            let out = match side {
                Side::Buy => &mut self.out_bids,
                Side::Sell => &mut self.out_asks,
            };
            let from = out.len();
            out.extend(
                self.book
                    .levels(side)
                    .skip(depth)
                    .map(|l| Level::new(l.price, Quantity::from_lots(0))),
            );
            for l in &out[from..] {
                self.book.apply(side, l.price, l.qty);
            }
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
        self.stale = true;
        self.synced = false;
        sink.fault(self.instrument, fault);
        fault
    }
}

/// The depth a snapshot of `bids` × `asks` levels was most likely subscribed at, when no
/// acknowledgement said: the smallest depth Kraken serves that holds both sides (Kraken fills
/// a snapshot to the depth when the book is that deep).
pub fn depth_of_snapshot(bids: usize, asks: usize) -> u32 {
    let n = bids.max(asks);
    super::decode::DEPTHS
        .into_iter()
        .find(|&d| d as usize >= n)
        .unwrap_or(super::decode::DEPTHS[4])
}
