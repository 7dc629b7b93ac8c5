//! OKX book sequencing, per instrument (`docs/venues.md` §4.3, §4.4 and §12), with the book it
//! builds and the wire text of its levels checked after every message.
//!
//! **Incremental channels** (`books`, `books-l2-tbt`, `books50-l2-tbt`):
//! - a **snapshot** (`action: snapshot`, `prevSeqId: -1`) replaces the book and starts the
//!   chain at its `seqId`;
//! - each **update** must have `prevSeqId ==` the last applied `seqId`; anything else is a
//!   [`SequenceGap`](IntegrityFault::SequenceGap). `seqId` steps are not contiguous: it is never
//!   checked against `prev + 1`. A **keep-alive** (`seqId == prevSeqId`, no levels) chains like
//!   any update and changes nothing; an update with `seqId < prevSeqId` (the reset after
//!   maintenance) is valid when its `prevSeqId` chains. An exact repeat of the last applied
//!   update (same `prevSeqId` and `seqId`) is a **duplicate**: counted and dropped.
//! - **REST join** (OKX announced removing the initial WebSocket snapshot): updates are
//!   buffered while the book waits; a `GET /api/v5/market/books` body at `seqId` S replaces
//!   the book; buffered updates with `seqId <= S` are dropped; the first applied one must have
//!   `prevSeqId <= S < seqId` (or chain exactly on S); then each chains as above. (In the
//!   buffer, one unbroken chain, "covered" is decided by position: the join starts at the
//!   newest update that brackets S, since `seqId` is not ordered across a maintenance reset.)
//!   After a snapshot that came in the stream, every buffered update predates it: dropped. Updates that
//!   keep arriving covered by S past [`SyncLimits::max_covered_diffs`] or
//!   [`SyncLimits::max_covered_wait_ns`] make the snapshot
//!   [`SnapshotAhead`](IntegrityFault::SnapshotAhead) of the stream.
//! - Recordings from before `seqId` existed (2022) carry only the checksum: their updates are
//!   applied in order and the checksum is what guards them.
//!
//! **Checksum**: when a message's `checksum` is non-zero, the signed CRC32 of the top 25
//! levels' wire text ([`super::checksum`]) must equal it after the message is applied, or the
//! book is a [`ChecksumMismatch`](IntegrityFault::ChecksumMismatch). `0` means "not sent".
//!
//! **Full-image channels** (`books5`, `bbo-tbt`): every push replaces the book (no chain, no
//! checksum). An instrument whose book comes from an incremental channel does not take them
//! (the books turn them into a best bid/offer instead).
//!
//! A book whose best bid is at or above its best ask after a complete message is
//! [`Crossed`](IntegrityFault::Crossed). Every fault is counted by kind, marks the book stale,
//! and asks for a new snapshot ([`Sequencer::needs_snapshot`]: the live side resubscribes that
//! one instrument); updates are buffered until then ([`PendingDiffs`], bounded in count and
//! levels, and their text in bytes), as one unbroken chain.

use super::checksum::{PendingTexts, Texts, WireTexts, split_texts};
use super::decode::{Action, BookHeader};
use super::rules::{Covered, Feed, Follow, Phase, State, Step, brackets, follow};
use super::wire::Channel;
use crate::book::{BookConfig, L2Book};
pub use crate::feed::books::SyncStats;
use crate::feed::integrity::{Fault, IntegrityFault};
use crate::feed::pending::PendingDiffs;
use ladder_sdk::{BookState, InstrumentId, Level, UnixNanos};

/// Where the sequencer sends what it decided, in order.
pub trait SyncSink {
    /// Replace the book with this image (`header`: the message, or the REST reply as a
    /// snapshot header).
    fn snapshot(&mut self, header: &BookHeader, bids: &[Level], asks: &[Level]);
    /// Apply this update's levels.
    fn delta(&mut self, header: &BookHeader, bids: &[Level], asks: &[Level]);
    /// An integrity fault: the book is stale until the next snapshot lines up.
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

/// What happened to one book message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// An update applied to the book.
    Applied,
    /// An update already covered by the snapshot.
    Dropped,
    /// An exact repeat of the last applied update.
    Duplicate,
    /// An update held until a snapshot arrives.
    Buffered,
    /// A snapshot or full image applied (and, for a snapshot, the buffered updates after it).
    Snapshot,
    /// An integrity fault; the book is stale.
    Fault(Fault),
}

/// Bounds of one sequencer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncLimits {
    /// Updates buffered while waiting for a snapshot.
    pub max_pending_diffs: usize,
    /// Levels buffered, over all buffered updates (16 bytes each).
    pub max_pending_levels: usize,
    /// Bytes of level text buffered, over all buffered updates.
    pub max_pending_text: usize,
    /// Updates covered by a REST snapshot that may still arrive after it.
    pub max_covered_diffs: u32,
    /// Receive time, from the first of them, over which such updates may keep arriving.
    pub max_covered_wait_ns: u64,
}

impl SyncLimits {
    /// The defaults: the same bounds as Binance's sequencer (10,000 updates, 262,144
    /// levels, 1,000 covered updates or 10 s), and 8 MiB of level text (32 bytes a level).
    pub const DEFAULT: Self = Self {
        max_pending_diffs: 10_000,
        max_pending_levels: 1 << 18,
        max_pending_text: 1 << 23,
        max_covered_diffs: 1_000,
        max_covered_wait_ns: 10_000_000_000,
    };
}

impl Default for SyncLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Sequencer for one instrument.
pub struct Sequencer {
    st: State,
    pending: PendingDiffs<BookHeader>,
    pending_text: PendingTexts,
}

impl std::fmt::Debug for Sequencer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sequencer")
            .field("instrument", &self.st.instrument)
            .field("phase", &self.st.phase)
            .field("stale", &self.st.stale)
            .field("stats", &self.st.stats)
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl Sequencer {
    /// A sequencer waiting for its first snapshot, with [`SyncLimits::DEFAULT`].
    pub fn new(instrument: InstrumentId) -> Self {
        Self::with_limits(instrument, SyncLimits::DEFAULT)
    }

    /// Same, with other bounds.
    pub fn with_limits(instrument: InstrumentId, limits: SyncLimits) -> Self {
        Self {
            st: State {
                instrument,
                phase: Phase::AwaitingSnapshot,
                stale: false,
                feed: Feed::Unset,
                book: L2Book::new(BookConfig::default()),
                texts: WireTexts::new(),
                stats: SyncStats::default(),
                limits,
                covered: Covered::default(),
                last_recv: UnixNanos::ZERO,
            },
            pending: PendingDiffs::new(limits.max_pending_diffs, limits.max_pending_levels),
            pending_text: PendingTexts::default(),
        }
    }

    /// The instrument.
    pub fn instrument(&self) -> InstrumentId {
        self.st.instrument
    }

    /// Counters so far.
    pub fn stats(&self) -> &SyncStats {
        &self.st.stats
    }

    /// The book built from the accepted snapshots and updates. Exact while
    /// [`Sequencer::state`] is `Synced`; after a fault it holds what the faulty message left.
    pub fn book(&self) -> &L2Book {
        &self.st.book
    }

    /// The wire text of the book's levels.
    pub fn texts(&self) -> &WireTexts {
        &self.st.texts
    }

    /// `Syncing` before the first snapshot, `Synced` while in sequence, `Stale` after a fault
    /// until a new snapshot lines up.
    pub fn state(&self) -> BookState {
        match self.st.phase {
            _ if self.st.stale => BookState::Stale,
            Phase::AwaitingSnapshot => BookState::Syncing,
            Phase::AwaitingFirst(_) | Phase::Synced { .. } => BookState::Synced,
        }
    }

    /// True while the book needs a (new) snapshot.
    pub fn needs_snapshot(&self) -> bool {
        self.st.phase == Phase::AwaitingSnapshot
    }

    /// True when the book is built from an incremental channel (so a `books5` / `bbo-tbt`
    /// push is not an image of it).
    pub fn is_incremental(&self) -> bool {
        self.st.feed == Feed::Incremental
    }

    /// The `seqId` the book is at, once synced and when the venue sends one.
    pub fn last_update_id(&self) -> Option<u64> {
        match self.st.phase {
            Phase::AwaitingSnapshot => None,
            Phase::AwaitingFirst(s) => Some(s),
            Phase::Synced { seq, .. } => seq,
        }
    }

    /// `(prevSeqId of the first, seqId of the last)` buffered update, when both have ids.
    pub fn pending_range(&self) -> Option<(u64, u64)> {
        let first = self.pending.front()?;
        Some((first.prev_seq_id?, self.pending.back()?.seq_id?))
    }

    /// Updates buffered.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Marks the book stale for a reason outside the sequence (ring overflow, silent feed,
    /// disconnect): buffered updates are kept, a snapshot is needed.
    pub fn invalidate(&mut self) {
        if self.st.phase != Phase::AwaitingSnapshot {
            self.st.stale = true;
            self.st.phase = Phase::AwaitingSnapshot;
        }
    }

    /// Sequences one book message of the stream (snapshot, update or full image).
    ///
    /// # Hot path
    /// When synced: no allocation; O(levels) into the book, its text and the sink, plus the
    /// checksum (50 levels) when one is sent. While waiting for a snapshot the levels and
    /// their text are copied into the bounded buffers.
    pub fn on_book(
        &mut self,
        h: &BookHeader,
        bids: &[Level],
        asks: &[Level],
        texts: Texts<'_>,
        sink: &mut impl SyncSink,
    ) -> Outcome {
        match h.action {
            Action::Full => self.on_full(h, bids, asks, texts, sink),
            Action::Snapshot => {
                self.incremental();
                match self.snapshot(h, bids, asks, texts, true, sink) {
                    Some(f) => Outcome::Fault(f),
                    None => Outcome::Snapshot,
                }
            }
            Action::Update => {
                self.incremental();
                self.on_update(h, bids, asks, texts, sink)
            }
        }
    }

    /// Applies a REST order-book snapshot at `seq_id` (the REST join), then replays the
    /// buffered updates through the rules. Returns the fault that stopped it, if any: a
    /// crossed snapshot, or one that does not line up with the buffered updates.
    #[allow(clippy::too_many_arguments)]
    pub fn on_rest(
        &mut self,
        seq_id: u64,
        ts_exchange: UnixNanos,
        ts_recv: UnixNanos,
        bids: &[Level],
        asks: &[Level],
        texts: Texts<'_>,
        sink: &mut impl SyncSink,
    ) -> Option<Fault> {
        self.incremental();
        let h = BookHeader {
            instrument: self.st.instrument,
            channel: Channel::Books,
            action: Action::Snapshot,
            seq_id: Some(seq_id),
            prev_seq_id: None,
            checksum: 0,
            ts_exchange,
            ts_recv,
        };
        self.snapshot(&h, bids, asks, texts, false, sink)
    }

    /// The book is built from an incremental channel from now on; a book built from full
    /// images so far needs a snapshot of it.
    fn incremental(&mut self) {
        if self.st.feed == Feed::Full {
            self.st.phase = Phase::AwaitingSnapshot;
        }
        self.st.feed = Feed::Incremental;
    }

    fn on_full(
        &mut self,
        h: &BookHeader,
        bids: &[Level],
        asks: &[Level],
        texts: Texts<'_>,
        sink: &mut impl SyncSink,
    ) -> Outcome {
        self.st.stats.snapshots += 1;
        self.st.last_recv = h.ts_recv;
        self.st.feed = Feed::Full;
        self.st.stats.discarded += self.pending.len() as u64;
        self.discard_pending(usize::MAX);
        if let Err(fault) = self.st.load(h, bids, asks, texts, sink) {
            return Outcome::Fault(fault);
        }
        self.st.phase = Phase::Synced {
            seq: h.seq_id,
            prev: None,
        };
        Outcome::Snapshot
    }

    fn snapshot(
        &mut self,
        h: &BookHeader,
        bids: &[Level],
        asks: &[Level],
        texts: Texts<'_>,
        in_stream: bool,
        sink: &mut impl SyncSink,
    ) -> Option<Fault> {
        self.st.stats.snapshots += 1;
        if in_stream {
            self.st.last_recv = h.ts_recv;
        }
        if let Err(fault) = self.st.load(h, bids, asks, texts, sink) {
            return Some(fault);
        }
        self.st.phase = match (in_stream, h.seq_id) {
            (false, Some(s)) => Phase::AwaitingFirst(s),
            _ => Phase::Synced {
                seq: h.seq_id,
                prev: None,
            },
        };
        self.replay(h.seq_id, in_stream, sink)
    }

    /// Replays the buffered updates after a snapshot at `snap`. After a snapshot of the
    /// stream every one of them came before it on the wire: all are dropped. After a REST
    /// snapshot at S the join starts at the newest buffered update that brackets S
    /// (`prevSeqId <= S < seqId`, or `prevSeqId == S`: after a maintenance reset `seqId` is
    /// not ordered, so "covered" is decided by position in the chain, not by `seqId <= S`);
    /// the ones before it are dropped, the rest go through the rules. When none brackets S,
    /// a buffer that ends at or before S is all covered; otherwise the snapshot is older than
    /// the buffer: a gap, the buffer kept for a newer snapshot.
    fn replay(
        &mut self,
        snap: Option<u64>,
        in_stream: bool,
        sink: &mut impl SyncSink,
    ) -> Option<Fault> {
        let n = self.pending.len();
        let Some(s) = snap.filter(|_| !in_stream) else {
            self.st.stats.dropped_stale += n as u64;
            self.discard_pending(n);
            return None;
        };
        let (mut start, mut newest) = (None, None);
        for (k, (h, _, _)) in self.pending.iter().enumerate() {
            if brackets(&h, s) {
                start = Some(k);
            }
            newest = Some(h.seq_id);
        }
        let start = match start {
            Some(k) => k,
            None if newest.flatten().is_none_or(|q| q <= s) => {
                self.st.stats.dropped_stale += n as u64;
                self.discard_pending(n);
                return None;
            }
            None => {
                let got = self
                    .pending
                    .front()
                    .and_then(|h| h.prev_seq_id)
                    .unwrap_or(0);
                let kind = IntegrityFault::SequenceGap { expected: s, got };
                return Some(self.st.fail(kind, self.st.last_recv, sink));
            }
        };
        self.st.stats.dropped_stale += start as u64;
        let (mut used, mut result) = (start, None);
        let super::checksum::Contiguous {
            bytes,
            lens,
            entries,
        } = self.pending_text.contiguous();
        let (mut at_byte, mut at_len) = (0usize, 0usize);
        for (k, ((h, b, a), &(nb, nl))) in self.pending.iter().zip(entries.iter()).enumerate() {
            let (nb, nl) = (nb as usize, nl as usize);
            let texts = split_texts(
                bytes.get(at_byte..at_byte + nb).unwrap_or_default(),
                lens.get(at_len..at_len + nl).unwrap_or_default(),
                b.len(),
            );
            at_byte += nb;
            at_len += nl;
            if k < start {
                continue;
            }
            match self.st.sequence(&h, b, a, texts, sink, false) {
                Step::Done(_) => used += 1,
                // Not reached: the phase leaves the snapshot's only through a fault.
                Step::Buffer => break,
                Step::Fault(fault, keep) => {
                    used += usize::from(!keep);
                    result = Some(fault);
                    break;
                }
            }
        }
        self.discard_pending(used);
        result
    }

    fn on_update(
        &mut self,
        h: &BookHeader,
        bids: &[Level],
        asks: &[Level],
        texts: Texts<'_>,
        sink: &mut impl SyncSink,
    ) -> Outcome {
        self.st.stats.depth_updates += 1;
        self.st.last_recv = h.ts_recv;
        match self.st.sequence(h, bids, asks, texts, sink, true) {
            Step::Done(outcome) => outcome,
            Step::Buffer => self.buffer_chained(h, bids, asks, texts, sink),
            Step::Fault(fault, keep) => {
                if keep {
                    self.buffer(h, bids, asks, texts);
                }
                Outcome::Fault(fault)
            }
        }
    }

    fn buffer(&mut self, h: &BookHeader, bids: &[Level], asks: &[Level], texts: Texts<'_>) {
        let dropped = self.pending.push(*h, bids, asks);
        self.pending_text.discard_front(dropped as usize);
        self.pending_text.push(texts);
        let mut over = dropped;
        while self.pending_text.bytes_held() > self.st.limits.max_pending_text
            && self.pending.len() > 1
        {
            self.discard_pending(1);
            over += 1;
        }
        self.st.stats.buffer_overflows += over;
    }

    fn discard_pending(&mut self, n: usize) {
        self.pending.discard_front(n);
        self.pending_text.discard_front(n);
    }

    /// Buffers an update while waiting for a snapshot, as one unbroken chain: a repeat of the
    /// newest buffered update is a duplicate; one that does not chain on it is a fault (counted
    /// like any other) that discards the older ones, which no snapshot could line up with
    /// together with the new ones.
    fn buffer_chained(
        &mut self,
        h: &BookHeader,
        bids: &[Level],
        asks: &[Level],
        texts: Texts<'_>,
        sink: &mut impl SyncSink,
    ) -> Outcome {
        let follow = self
            .pending
            .back()
            .map(|b| follow(b.seq_id, b.prev_seq_id, h));
        let outcome = match follow {
            None | Some(Follow::Continues) => Outcome::Buffered,
            Some(Follow::Duplicate) => {
                self.st.stats.duplicates += 1;
                return Outcome::Duplicate;
            }
            Some(Follow::Breaks(kind)) => {
                let fault = self.st.fail(kind, h.ts_recv, sink);
                self.st.stats.discarded += self.pending.len() as u64;
                self.discard_pending(usize::MAX);
                Outcome::Fault(fault)
            }
        };
        self.buffer(h, bids, asks, texts);
        outcome
    }
}

/// The instrument a REST order-book body that names none was fetched for: the only
/// instrument there is, or else the one instrument waiting for a snapshot whose buffered
/// updates it lines up with (first `prevSeqId <= seqId <` last `seqId`), or else the one
/// instrument waiting at all. `None` when that is ambiguous.
pub fn rest_owner<'a>(
    seq_id: u64,
    sequencers: impl IntoIterator<Item = &'a Sequencer>,
) -> Option<InstrumentId> {
    let (mut total, mut only) = (0usize, None);
    let (mut waiting, mut waiter) = (0usize, None);
    let (mut lined_up, mut owner) = (0usize, None);
    for s in sequencers {
        total += 1;
        only = Some(s.instrument());
        if !s.needs_snapshot() {
            continue;
        }
        waiting += 1;
        waiter = Some(s.instrument());
        if s.pending_range()
            .is_some_and(|(first, last)| first <= seq_id && seq_id < last)
        {
            lined_up += 1;
            owner = Some(s.instrument());
        }
    }
    match (total, lined_up, waiting) {
        (1, _, _) => only,
        (_, 1, _) => owner,
        (_, 0, 1) => waiter,
        _ => None,
    }
}
