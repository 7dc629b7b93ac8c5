//! Binance snapshot + diff sequencing, per instrument (`docs/venues.md` §1.4 and §2.3), with
//! the book it builds checked after every message.
//!
//! - **Spot**: drop diffs with `u <= L`; the first applied diff has `U <= L+1 <= u`; then each
//!   diff's `U == prev_u + 1`.
//! - **Futures** (USD-M, COIN-M): drop diffs with `u < L`; the first applied diff has
//!   `U <= L <= u`; then each diff's `pu == prev_u`. (`U` skips ids on futures: checking
//!   `U == prev_u + 1` there reports false gaps.)
//!
//! Once in sequence, a diff either continues it (the rule above, with `u > prev_u`), or
//! repeats the last applied diff exactly (same `U` and `u`: a **duplicate**, counted in
//! [`SyncStats::duplicates`] and dropped, the book is unchanged and still exact), or it is an
//! [`IntegrityFault`]: a [`SequenceGap`](IntegrityFault::SequenceGap) when ids were skipped or
//! do not chain, [`IdsBackward`](IntegrityFault::IdsBackward) when `u <= prev_u` (an id reset, a
//! replayed or reordered diff, anything after `u = 2^64-1`: nothing can follow that id). A diff
//! with `U > u` is [`IdsReversed`](IntegrityFault::IdsReversed) whatever the state. Id
//! arithmetic is checked: nothing wraps.
//!
//! A snapshot must be reached by the stream. Diffs that arrive after it and are already covered
//! by it are dropped (the diffs buffered before it are how the shared captures get their 2 / 4
//! `dropped_stale`), but only up to [`SyncLimits::max_covered_diffs`] of them or for
//! [`SyncLimits::max_covered_wait_ns`] of receive time after the first: past that the snapshot
//! is [`SnapshotAhead`](IntegrityFault::SnapshotAhead) of the stream (`lastUpdateId = 2^64-1`,
//! or ids reset below it) and the book is not left "synced" and frozen.
//!
//! The sequencer keeps the instrument's [`L2Book`]: every accepted snapshot and diff is applied
//! to it, and a book whose best bid is at or above its best ask after a complete message is a
//! [`Crossed`](IntegrityFault::Crossed) fault (the message is not passed on). Readers that only
//! need the book (`inspect`) read [`Sequencer::book`].
//!
//! Diffs that arrive before the snapshot are buffered ([`PendingDiffs`], bounded in count and in
//! levels) and replayed through the same rules once it arrives. The buffer holds one unbroken
//! chain: a diff that does not continue the newest buffered one is a fault that discards the
//! older ones (no snapshot could line up with both). Every fault is counted by kind,
//! the book is marked stale and the sink told, later diffs are buffered again, and
//! [`Sequencer::needs_snapshot`] asks the feed for a new snapshot. Nothing is papered over.

use super::decode::DepthHeader;
use crate::book::{BookConfig, L2Book};
use crate::feed::Venue;
pub use crate::feed::books::SyncStats;
use crate::feed::integrity::{Fault, IntegrityFault};
use crate::feed::pending::PendingDiffs;
use ladder_sdk::{BookState, InstrumentId, Level, Side, UnixNanos};

/// Which of Binance's two sequencing rules applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncRule {
    /// `U == prev_u + 1`, first diff `U <= L+1 <= u`.
    Spot,
    /// `pu == prev_u`, first diff `U <= L <= u`.
    Futures,
}

impl SyncRule {
    /// The rule a venue follows.
    pub const fn for_venue(venue: Venue) -> Self {
        match venue {
            Venue::BinanceSpot => Self::Spot,
            Venue::BinanceUsdm | Venue::BinanceCoinm => Self::Futures,
            // Not reached: Bybit's and OKX's books are their folders'; the live side refuses them.
            // Bybit's `u` chain is the spot rule's `U == prev_u + 1` with `U == u`.
            Venue::BybitSpot
            | Venue::BybitLinear
            | Venue::BybitInverse
            | Venue::Okx
            | Venue::Coinbase
            | Venue::CoinbaseExchange => Self::Spot,
        }
    }
}

/// Where the sequencer sends what it decided, in order.
pub trait SyncSink {
    /// Replace the book with this image, valid at `last_update_id`.
    fn snapshot(
        &mut self,
        instrument: InstrumentId,
        last_update_id: u64,
        bids: &[Level],
        asks: &[Level],
    );
    /// Apply this diff's levels.
    fn delta(&mut self, header: &DepthHeader, bids: &[Level], asks: &[Level]);
    /// An integrity fault: the book is stale until the next snapshot lines up.
    fn fault(&mut self, instrument: InstrumentId, fault: Fault);
}

/// A sink for callers that only read the sequencer's own book ([`Sequencer::book`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct NullSink;

impl SyncSink for NullSink {
    fn snapshot(&mut self, _: InstrumentId, _: u64, _: &[Level], _: &[Level]) {}
    fn delta(&mut self, _: &DepthHeader, _: &[Level], _: &[Level]) {}
    fn fault(&mut self, _: InstrumentId, _: Fault) {}
}

/// What happened to one diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepthOutcome {
    /// Applied to the book.
    Applied,
    /// Already covered by the snapshot.
    Dropped,
    /// An exact repeat of the last applied diff.
    Duplicate,
    /// Held until a snapshot arrives.
    Buffered,
    /// An integrity fault; the book is stale. The diff is buffered for the next snapshot unless
    /// it can never be applied (`U > u`, or it crossed the book).
    Fault(Fault),
}

/// Bounds of one sequencer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncLimits {
    /// Diffs buffered while waiting for a snapshot.
    pub max_pending_diffs: usize,
    /// Levels buffered while waiting for a snapshot, over all buffered diffs (16 bytes each).
    pub max_pending_levels: usize,
    /// Diffs covered by a snapshot that may still arrive after it.
    pub max_covered_diffs: u32,
    /// Receive time, from the first of them, over which such diffs may keep arriving.
    pub max_covered_wait_ns: u64,
}

impl SyncLimits {
    /// The defaults.
    ///
    /// - 10,000 diffs and 262,144 levels (4 MiB) buffered: at the `@100ms` stream over 16
    ///   minutes of diffs; in levels, 12 minutes of BTCUSDT spot (36 levels a diff, 10 diffs a
    ///   second on the shared capture) or 3 minutes of USD-M `@0ms` (68 levels, 19 diffs a
    ///   second): more than a snapshot takes, even behind a 2-minute rate-limit ban. Past either
    ///   bound the oldest diffs go (a later snapshot covers them), so memory stays flat however
    ///   long the wait (`inspect` holds 13 MB on a 1 or 2 GB capture whose snapshot comes last).
    /// - 1,000 covered diffs or 10 s after the snapshot. A snapshot is fetched while diffs are
    ///   buffered, so the diffs it covers are nearly all buffered ones, which are not counted;
    ///   only diffs delivered after it that it still covers count, and those exist only while
    ///   the WebSocket lags the REST reply (well under a second on a healthy connection; none on
    ///   the shared captures). 10 s of such lag, or 1,000 such diffs (100 s at `@100ms`), means
    ///   the stream is not heading for the snapshot's id. A false alarm costs one more snapshot.
    pub const DEFAULT: Self = Self {
        max_pending_diffs: 10_000,
        max_pending_levels: 1 << 18,
        max_covered_diffs: 1_000,
        max_covered_wait_ns: 10_000_000_000,
    };
}

impl Default for SyncLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No usable snapshot: buffer diffs.
    AwaitingSnapshot,
    /// Snapshot at `L` applied; the next diff must bracket it.
    AwaitingFirst(u64),
    /// In sequence; the last applied diff spanned `first..=last`.
    Synced { first: u64, last: u64 },
}

/// Diffs covered by the snapshot that arrived after it.
#[derive(Debug, Clone, Copy, Default)]
struct Covered {
    diffs: u32,
    since: Option<UnixNanos>,
}

#[derive(Debug, Clone, Copy)]
enum Verdict {
    Buffer,
    Apply,
    Drop,
    Duplicate,
    Fault(IntegrityFault),
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Done(DepthOutcome),
    /// Waiting for a snapshot: the caller buffers the diff.
    Buffer,
    /// A fault; `keep`: the diff may still be applied after a new snapshot.
    Fault(Fault, bool),
}

/// Everything but the buffer, so that buffered diffs can be replayed through it in place.
#[derive(Clone)]
struct State {
    instrument: InstrumentId,
    rule: SyncRule,
    phase: Phase,
    stale: bool,
    book: L2Book,
    stats: SyncStats,
    limits: SyncLimits,
    covered: Covered,
    /// Receive time of the latest diff: a snapshot reaches the sequencer without its own, so a
    /// fault it shows is stamped with this.
    last_recv: UnixNanos,
}

/// Sequencer for one instrument.
pub struct Sequencer {
    st: State,
    pending: PendingDiffs<DepthHeader>,
}

impl std::fmt::Debug for Sequencer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sequencer")
            .field("instrument", &self.st.instrument)
            .field("rule", &self.st.rule)
            .field("phase", &self.st.phase)
            .field("stale", &self.st.stale)
            .field("stats", &self.st.stats)
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl Sequencer {
    /// A sequencer waiting for its first snapshot, with [`SyncLimits::DEFAULT`].
    pub fn new(instrument: InstrumentId, rule: SyncRule) -> Self {
        Self::with_limits(instrument, rule, SyncLimits::DEFAULT)
    }

    /// Same, with other bounds.
    pub fn with_limits(instrument: InstrumentId, rule: SyncRule, limits: SyncLimits) -> Self {
        Self {
            st: State {
                instrument,
                rule,
                phase: Phase::AwaitingSnapshot,
                stale: false,
                book: L2Book::new(BookConfig::default()),
                stats: SyncStats::default(),
                limits,
                covered: Covered::default(),
                last_recv: UnixNanos::ZERO,
            },
            pending: PendingDiffs::new(limits.max_pending_diffs, limits.max_pending_levels),
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

    /// The book built from the accepted snapshot and diffs. Exact while [`Sequencer::state`] is
    /// `Synced`; after a fault it holds whatever the faulty message left, until a snapshot.
    pub fn book(&self) -> &L2Book {
        &self.st.book
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

    /// The update id the book is valid at: the last applied diff's `u`, or the snapshot's `L`.
    pub fn last_update_id(&self) -> Option<u64> {
        match self.st.phase {
            Phase::AwaitingSnapshot => None,
            Phase::AwaitingFirst(l) => Some(l),
            Phase::Synced { last, .. } => Some(last),
        }
    }

    /// `(U of the first, u of the last)` buffered diff, if any are buffered. Lets a replay tell
    /// which instrument a bare REST snapshot (which names no symbol) was taken for.
    pub fn pending_range(&self) -> Option<(u64, u64)> {
        Some((self.pending.front()?.first_id, self.pending.back()?.last_id))
    }

    /// Bytes the buffer of pending diffs holds reserved now.
    pub fn pending_bytes(&self) -> usize {
        self.pending.reserved_bytes()
    }

    /// Marks the book stale for a reason outside the sequence (ring overflow, silent feed,
    /// disconnect): buffered diffs are kept, a snapshot is needed.
    pub fn invalidate(&mut self) {
        if self.st.phase != Phase::AwaitingSnapshot {
            self.st.stale = true;
            self.st.phase = Phase::AwaitingSnapshot;
        }
    }

    /// Sequences one diff.
    ///
    /// # Hot path
    /// When synced: no allocation; O(levels) into the book and the sink. While waiting for a
    /// snapshot the levels are copied into the bounded buffer (which may grow up to its bound).
    pub fn on_depth(
        &mut self,
        header: &DepthHeader,
        bids: &[Level],
        asks: &[Level],
        sink: &mut impl SyncSink,
    ) -> DepthOutcome {
        self.st.stats.depth_updates += 1;
        self.st.last_recv = header.ts_recv;
        match self.st.sequence(header, bids, asks, sink, true) {
            Step::Done(outcome) => outcome,
            Step::Buffer => self.buffer_chained(header, bids, asks, sink),
            Step::Fault(fault, keep) => {
                if keep {
                    self.buffer(header, bids, asks);
                }
                DepthOutcome::Fault(fault)
            }
        }
    }

    /// Applies a snapshot valid at `last_update_id`, then replays the buffered diffs through
    /// the rules. Returns `None` if the book is in sequence (or nothing was buffered), or the
    /// fault that stopped it: a crossed snapshot, or a snapshot that does not line up with the
    /// buffered diffs (too old, diffs missing); another snapshot is then needed.
    pub fn on_snapshot(
        &mut self,
        last_update_id: u64,
        bids: &[Level],
        asks: &[Level],
        sink: &mut impl SyncSink,
    ) -> Option<Fault> {
        self.st.stats.snapshots += 1;
        if let Err(fault) = self.st.load_snapshot(last_update_id, bids, asks, sink) {
            return Some(fault);
        }
        let (mut used, mut result) = (0, None);
        for (h, b, a) in self.pending.iter() {
            match self.st.sequence(&h, b, a, sink, false) {
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
        self.pending.discard_front(used);
        result
    }

    fn buffer(&mut self, h: &DepthHeader, bids: &[Level], asks: &[Level]) {
        self.st.stats.buffer_overflows += self.pending.push(*h, bids, asks);
    }

    /// Buffers a diff while waiting for a snapshot. The buffer holds one unbroken chain: a
    /// repeat of the newest buffered diff is a duplicate, and a diff that does not continue it
    /// is a fault (counted like any other) that discards the older diffs, which no snapshot
    /// could line up with together with the new ones (after an id reset, say, they would stop
    /// every replay forever).
    fn buffer_chained(
        &mut self,
        h: &DepthHeader,
        bids: &[Level],
        asks: &[Level],
        sink: &mut impl SyncSink,
    ) -> DepthOutcome {
        let follow = self
            .pending
            .back()
            .map(|b| follow(self.st.rule, b.first_id, b.last_id, h));
        let outcome = match follow {
            None | Some(Follow::Continues) => DepthOutcome::Buffered,
            Some(Follow::Duplicate) => {
                self.st.stats.duplicates += 1;
                return DepthOutcome::Duplicate;
            }
            Some(Follow::Breaks(kind)) => {
                let fault = self.st.fail(kind, h.ts_recv, sink);
                self.st.stats.discarded += self.pending.len() as u64;
                self.pending.discard_front(usize::MAX);
                DepthOutcome::Fault(fault)
            }
        };
        self.buffer(h, bids, asks);
        outcome
    }
}

/// How a diff relates to the one before it (applied, or buffered).
enum Follow {
    Continues,
    Duplicate,
    Breaks(IntegrityFault),
}

/// Whether `h` continues a diff that spanned `first..=last`: spot `U == last + 1`, futures
/// `pu == last` (a futures frame without `pu` is held to the spot rule), and `u > last` always.
/// The same `U` and `u` again is a duplicate.
fn follow(rule: SyncRule, first: u64, last: u64, h: &DepthHeader) -> Follow {
    if (h.first_id, h.last_id) == (first, last) {
        return Follow::Duplicate;
    }
    if h.last_id <= last {
        return Follow::Breaks(IntegrityFault::IdsBackward {
            last,
            got: h.last_id,
        });
    }
    // From here `last < h.last_id <= u64::MAX`: `last + 1` cannot overflow.
    match (rule, h.prev_last_id) {
        (SyncRule::Futures, Some(pu)) if pu == last => Follow::Continues,
        (SyncRule::Futures, Some(pu)) => Follow::Breaks(IntegrityFault::SequenceGap {
            expected: last,
            got: pu,
        }),
        _ if h.first_id == last + 1 => Follow::Continues,
        _ => Follow::Breaks(IntegrityFault::SequenceGap {
            expected: last + 1,
            got: h.first_id,
        }),
    }
}

/// `U > u`: the diff's ids are reversed.
fn reversed(h: &DepthHeader) -> Option<IntegrityFault> {
    (h.first_id > h.last_id).then_some(IntegrityFault::IdsReversed {
        first: h.first_id,
        last: h.last_id,
    })
}

impl State {
    /// Replaces the book with the snapshot, or faults if it is crossed.
    fn load_snapshot(
        &mut self,
        l: u64,
        bids: &[Level],
        asks: &[Level],
        sink: &mut impl SyncSink,
    ) -> Result<(), Fault> {
        self.book.clear();
        self.apply_levels(bids, asks);
        if let Some(kind) = self.crossed() {
            return Err(self.fail(kind, self.last_recv, sink));
        }
        sink.snapshot(self.instrument, l, bids, asks);
        self.stale = false;
        self.phase = Phase::AwaitingFirst(l);
        self.covered = Covered::default();
        Ok(())
    }

    /// One diff, not awaiting a snapshot. `live`: it arrived now (not replayed from the
    /// buffer), so it counts towards the covered-diff bound.
    fn sequence(
        &mut self,
        h: &DepthHeader,
        bids: &[Level],
        asks: &[Level],
        sink: &mut impl SyncSink,
        live: bool,
    ) -> Step {
        match self.verdict(h, live) {
            Verdict::Buffer => Step::Buffer,
            Verdict::Apply => self.apply(h, bids, asks, sink),
            Verdict::Drop => {
                self.stats.dropped_stale += 1;
                Step::Done(DepthOutcome::Dropped)
            }
            Verdict::Duplicate => {
                self.stats.duplicates += 1;
                Step::Done(DepthOutcome::Duplicate)
            }
            Verdict::Fault(kind) => Step::Fault(self.fail(kind, h.ts_recv, sink), keeps(kind)),
        }
    }

    fn verdict(&mut self, h: &DepthHeader, live: bool) -> Verdict {
        if let Some(kind) = reversed(h) {
            return Verdict::Fault(kind);
        }
        let (first, last) = (h.first_id, h.last_id);
        match (self.phase, self.rule) {
            (Phase::AwaitingSnapshot, _) => Verdict::Buffer,
            // `l < last <= u64::MAX` below, so `l + 1` cannot overflow.
            (Phase::AwaitingFirst(l), SyncRule::Spot) if last <= l => self.covered(l, h, live),
            (Phase::AwaitingFirst(l), SyncRule::Spot) if first <= l + 1 => Verdict::Apply,
            (Phase::AwaitingFirst(l), SyncRule::Spot) => {
                Verdict::Fault(IntegrityFault::SequenceGap {
                    expected: l + 1,
                    got: first,
                })
            }
            (Phase::AwaitingFirst(l), SyncRule::Futures) if last < l => self.covered(l, h, live),
            (Phase::AwaitingFirst(l), SyncRule::Futures) if first <= l => Verdict::Apply,
            (Phase::AwaitingFirst(l), SyncRule::Futures) => {
                Verdict::Fault(IntegrityFault::SequenceGap {
                    expected: l,
                    got: first,
                })
            }
            (Phase::Synced { first, last }, rule) => match follow(rule, first, last, h) {
                Follow::Continues => Verdict::Apply,
                Follow::Duplicate => Verdict::Duplicate,
                Follow::Breaks(kind) => Verdict::Fault(kind),
            },
        }
    }

    /// A diff covered by the snapshot at `l`: dropped, unless too many (or for too long) have
    /// arrived after it.
    fn covered(&mut self, l: u64, h: &DepthHeader, live: bool) -> Verdict {
        if !live {
            return Verdict::Drop;
        }
        let c = &mut self.covered;
        c.diffs = c.diffs.saturating_add(1);
        let since = *c.since.get_or_insert(h.ts_recv);
        if c.diffs > self.limits.max_covered_diffs
            || h.ts_recv.saturating_since(since) > self.limits.max_covered_wait_ns
        {
            return Verdict::Fault(IntegrityFault::SnapshotAhead {
                snapshot: l,
                got: h.last_id,
            });
        }
        Verdict::Drop
    }

    fn apply(
        &mut self,
        h: &DepthHeader,
        bids: &[Level],
        asks: &[Level],
        sink: &mut impl SyncSink,
    ) -> Step {
        self.apply_levels(bids, asks);
        if let Some(kind) = self.crossed() {
            return Step::Fault(self.fail(kind, h.ts_recv, sink), keeps(kind));
        }
        sink.delta(h, bids, asks);
        self.phase = Phase::Synced {
            first: h.first_id,
            last: h.last_id,
        };
        self.stats.applied += 1;
        Step::Done(DepthOutcome::Applied)
    }

    fn apply_levels(&mut self, bids: &[Level], asks: &[Level]) {
        for l in bids {
            self.book.apply(Side::Buy, l.price, l.qty);
        }
        for l in asks {
            self.book.apply(Side::Sell, l.price, l.qty);
        }
    }

    /// Best bid at or above best ask (crossed or locked).
    fn crossed(&self) -> Option<IntegrityFault> {
        let (bid, ask) = (self.book.best_bid()?, self.book.best_ask()?);
        (bid.price >= ask.price).then_some(IntegrityFault::Crossed {
            bid: bid.price.ticks(),
            ask: ask.price.ticks(),
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

/// Whether the diff that showed `kind` is kept for the next snapshot. A diff with `U > u`, or
/// one that crossed the book, would fault again on any snapshot it is replayed after: dropped.
fn keeps(kind: IntegrityFault) -> bool {
    !matches!(
        kind,
        IntegrityFault::IdsReversed { .. } | IntegrityFault::Crossed { .. }
    )
}

/// The instrument a bare REST snapshot (a body that names no symbol) was taken for: the only
/// instrument there is, or else the one instrument waiting for a snapshot whose buffered diffs
/// it lines up with (`U <= L+1` and `L <= u`). `None` when that is ambiguous.
pub fn snapshot_owner<'a>(
    last_update_id: u64,
    sequencers: impl IntoIterator<Item = &'a Sequencer>,
) -> Option<InstrumentId> {
    let (mut total, mut last, mut lined_up, mut owner) = (0usize, None, 0usize, None);
    for s in sequencers {
        total += 1;
        last = Some(s.instrument());
        let fits = s.pending_range().is_some_and(|(first, end)| {
            first <= last_update_id.saturating_add(1) && last_update_id <= end
        });
        if s.needs_snapshot() && fits {
            lined_up += 1;
            owner = Some(s.instrument());
        }
    }
    match (total, lined_up) {
        (1, _) => last,
        (_, 1) => owner,
        _ => None,
    }
}
