//! Binance snapshot + diff sequencing, per instrument (`docs/venues.md` §1.4 and §2.3).
//!
//! - **Spot**: drop diffs with `u <= L`; the first applied diff has `U <= L+1 <= u`; then each
//!   diff's `U == prev_u + 1`.
//! - **Futures** (USD-M, COIN-M): drop diffs with `u < L`; the first applied diff has
//!   `U <= L <= u`; then each diff's `pu == prev_u`. (`U` skips ids on futures: checking
//!   `U == prev_u + 1` there reports false gaps.)
//!
//! Diffs that arrive before the snapshot are buffered and replayed through the same rules once
//! it arrives. A break in continuity is a [`Gap`]: it is counted, the book is marked stale and
//! the sink told, later diffs are buffered again, and [`Sequencer::needs_snapshot`] asks the feed
//! for a new snapshot. Nothing is papered over.

use super::decode::DepthHeader;
use crate::feed::Venue;
use ladder_sdk::{BookState, InstrumentId, Level, UnixNanos};
use std::collections::VecDeque;

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
        }
    }
}

/// A break in the update-id sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    /// The id the next diff had to continue from (spot: `U`; futures: `pu`).
    pub expected: u64,
    /// The id it carried instead.
    pub got: u64,
    /// Receive time of the diff that showed the gap.
    pub ts_recv: UnixNanos,
}

/// Counters of one instrument's sequencing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncStats {
    /// Diff messages seen.
    pub depth_updates: u64,
    /// Diffs applied to the book.
    pub applied: u64,
    /// Diffs dropped as already covered by the snapshot or a previous diff.
    pub dropped_stale: u64,
    /// Sequence gaps detected.
    pub gaps: u64,
    /// Snapshots applied.
    pub snapshots: u64,
    /// Buffered diffs discarded because the buffer was full while waiting for a snapshot.
    pub buffer_overflows: u64,
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
    /// The sequence broke: the book is stale until the next snapshot.
    fn gap(&mut self, instrument: InstrumentId, gap: Gap);
}

/// What happened to one diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepthOutcome {
    /// Applied to the book.
    Applied,
    /// Already covered by the snapshot or an earlier diff.
    Dropped,
    /// Held until a snapshot arrives.
    Buffered,
    /// It broke the sequence; the book is stale and the diff is buffered for the next snapshot.
    Gap(Gap),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No usable snapshot: buffer diffs.
    AwaitingSnapshot,
    /// Snapshot at `L` applied; the next diff must bracket it.
    AwaitingFirst(u64),
    /// In sequence; the last applied diff ended at this id.
    Synced(u64),
}

#[derive(Debug)]
struct Pending {
    header: DepthHeader,
    bids: Vec<Level>,
    asks: Vec<Level>,
}

/// Sequencer for one instrument.
#[derive(Debug)]
pub struct Sequencer {
    instrument: InstrumentId,
    rule: SyncRule,
    phase: Phase,
    stale: bool,
    pending: VecDeque<Pending>,
    spare: Vec<Pending>,
    max_pending: usize,
    stats: SyncStats,
}

/// Default bound on diffs buffered while waiting for a snapshot (at `@100ms`, over 16 minutes).
pub const DEFAULT_MAX_PENDING: usize = 10_000;

impl Sequencer {
    /// A sequencer waiting for its first snapshot.
    pub fn new(instrument: InstrumentId, rule: SyncRule) -> Self {
        Self::with_max_pending(instrument, rule, DEFAULT_MAX_PENDING)
    }

    /// Same, with a bound on the number of buffered diffs (the oldest are discarded and counted
    /// in [`SyncStats::buffer_overflows`] past it).
    pub fn with_max_pending(instrument: InstrumentId, rule: SyncRule, max_pending: usize) -> Self {
        Self {
            instrument,
            rule,
            phase: Phase::AwaitingSnapshot,
            stale: false,
            pending: VecDeque::new(),
            spare: Vec::new(),
            max_pending: max_pending.max(1),
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

    /// `Syncing` before the first snapshot, `Synced` while in sequence, `Stale` after a gap
    /// until a new snapshot lines up.
    pub fn state(&self) -> BookState {
        match self.phase {
            _ if self.stale => BookState::Stale,
            Phase::AwaitingSnapshot => BookState::Syncing,
            Phase::AwaitingFirst(_) | Phase::Synced(_) => BookState::Synced,
        }
    }

    /// True while the book needs a (new) snapshot.
    pub fn needs_snapshot(&self) -> bool {
        self.phase == Phase::AwaitingSnapshot
    }

    /// The update id the book is valid at: the last applied diff's `u`, or the snapshot's `L`.
    pub fn last_update_id(&self) -> Option<u64> {
        match self.phase {
            Phase::AwaitingSnapshot => None,
            Phase::AwaitingFirst(l) | Phase::Synced(l) => Some(l),
        }
    }

    /// `(U of the first, u of the last)` buffered diff, if any are buffered. Lets a replay tell
    /// which instrument a bare REST snapshot (which names no symbol) was taken for.
    pub fn pending_range(&self) -> Option<(u64, u64)> {
        Some((
            self.pending.front()?.header.first_id,
            self.pending.back()?.header.last_id,
        ))
    }

    /// Marks the book stale for a reason outside the sequence (ring overflow, silent feed,
    /// disconnect): buffered diffs are kept, a snapshot is needed.
    pub fn invalidate(&mut self) {
        if self.phase != Phase::AwaitingSnapshot {
            self.stale = true;
            self.phase = Phase::AwaitingSnapshot;
        }
    }

    /// Sequences one diff.
    ///
    /// # Hot path
    /// When synced: no allocation, O(levels) in the sink. While waiting for a snapshot the diff
    /// is copied into a recycled buffer.
    pub fn on_depth(
        &mut self,
        header: &DepthHeader,
        bids: &[Level],
        asks: &[Level],
        sink: &mut impl SyncSink,
    ) -> DepthOutcome {
        self.stats.depth_updates += 1;
        self.sequence(header, bids, asks, sink)
    }

    fn sequence(
        &mut self,
        h: &DepthHeader,
        bids: &[Level],
        asks: &[Level],
        sink: &mut impl SyncSink,
    ) -> DepthOutcome {
        let verdict = match (self.phase, self.rule) {
            (Phase::AwaitingSnapshot, _) => {
                self.buffer(h, bids, asks, false);
                return DepthOutcome::Buffered;
            }
            (Phase::AwaitingFirst(l), SyncRule::Spot) => {
                if h.last_id <= l {
                    Verdict::Drop
                } else if h.first_id <= l + 1 {
                    Verdict::Apply
                } else {
                    Verdict::Gap {
                        expected: l + 1,
                        got: h.first_id,
                    }
                }
            }
            (Phase::AwaitingFirst(l), SyncRule::Futures) => {
                if h.last_id < l {
                    Verdict::Drop
                } else if h.first_id <= l {
                    Verdict::Apply
                } else {
                    Verdict::Gap {
                        expected: l,
                        got: h.first_id,
                    }
                }
            }
            (Phase::Synced(prev), rule) => {
                if h.last_id <= prev {
                    Verdict::Drop
                } else {
                    match (rule, h.prev_last_id) {
                        (SyncRule::Futures, Some(pu)) if pu == prev => Verdict::Apply,
                        (SyncRule::Futures, Some(pu)) => Verdict::Gap {
                            expected: prev,
                            got: pu,
                        },
                        // Spot, or a futures frame without `pu`: `U` must continue from `prev`.
                        (_, _) if h.first_id == prev + 1 => Verdict::Apply,
                        (_, _) => Verdict::Gap {
                            expected: prev + 1,
                            got: h.first_id,
                        },
                    }
                }
            }
        };
        match verdict {
            Verdict::Apply => {
                sink.delta(h, bids, asks);
                self.phase = Phase::Synced(h.last_id);
                self.stats.applied += 1;
                DepthOutcome::Applied
            }
            Verdict::Drop => {
                self.stats.dropped_stale += 1;
                DepthOutcome::Dropped
            }
            Verdict::Gap { expected, got } => {
                let gap = Gap {
                    expected,
                    got,
                    ts_recv: h.ts_recv,
                };
                self.stats.gaps += 1;
                self.stale = true;
                self.phase = Phase::AwaitingSnapshot;
                // Front: during a replay the diffs after this one are still buffered behind it.
                self.buffer(h, bids, asks, true);
                sink.gap(self.instrument, gap);
                DepthOutcome::Gap(gap)
            }
        }
    }

    /// Applies a snapshot valid at `last_update_id`, then replays the buffered diffs through
    /// the rules. Returns the outcome of the replay: `None` if it ended in sequence (or nothing
    /// was buffered), `Some(gap)` if the snapshot did not line up with the buffered diffs (it is
    /// too old or diffs are missing), in which case another snapshot is needed.
    pub fn on_snapshot(
        &mut self,
        last_update_id: u64,
        bids: &[Level],
        asks: &[Level],
        sink: &mut impl SyncSink,
    ) -> Option<Gap> {
        sink.snapshot(self.instrument, last_update_id, bids, asks);
        self.stats.snapshots += 1;
        self.stale = false;
        self.phase = Phase::AwaitingFirst(last_update_id);
        let mut result = None;
        while let Some(p) = self.pending.pop_front() {
            let outcome = self.sequence(&p.header, &p.bids, &p.asks, sink);
            self.spare.push(p);
            if let DepthOutcome::Gap(g) = outcome {
                result = Some(g);
                break;
            }
        }
        result
    }

    fn buffer(&mut self, h: &DepthHeader, bids: &[Level], asks: &[Level], front: bool) {
        if self.pending.len() >= self.max_pending {
            if let Some(old) = self.pending.pop_front() {
                self.spare.push(old);
            }
            self.stats.buffer_overflows += 1;
        }
        let mut p = self.spare.pop().unwrap_or_else(|| Pending {
            header: *h,
            bids: Vec::new(),
            asks: Vec::new(),
        });
        p.header = *h;
        p.bids.clear();
        p.bids.extend_from_slice(bids);
        p.asks.clear();
        p.asks.extend_from_slice(asks);
        if front {
            self.pending.push_front(p);
        } else {
            self.pending.push_back(p);
        }
    }
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
        let fits = s
            .pending_range()
            .is_some_and(|(first, end)| first <= last_update_id + 1 && last_update_id <= end);
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

#[derive(Debug, Clone, Copy)]
enum Verdict {
    Apply,
    Drop,
    Gap { expected: u64, got: u64 },
}
