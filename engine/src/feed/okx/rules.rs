//! The OKX sequencing rules for one message, against one instrument's state (the book, its
//! wire text, the phase of the chain, the counters): what [`super::sync::Sequencer`] runs
//! every message (live, or replayed from its buffer) through. The rules themselves are
//! described in [`super::sync`].

use super::checksum::{Texts, WireTexts};
use super::decode::BookHeader;
use super::sync::{Outcome, SyncLimits, SyncSink};
use crate::book::L2Book;
use crate::feed::books::SyncStats;
use crate::feed::integrity::{Fault, IntegrityFault};
use ladder_sdk::{InstrumentId, Level, Side, UnixNanos};

/// Which kind of channel builds the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Feed {
    /// No book message yet.
    Unset,
    /// `books`, `books-l2-tbt`, `books50-l2-tbt`.
    Incremental,
    /// `books5`, `bbo-tbt`.
    Full,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// No usable snapshot: buffer updates.
    AwaitingSnapshot,
    /// A REST snapshot at this `seqId` is applied; the next update must bracket it.
    AwaitingFirst(u64),
    /// In sequence: the last applied message's `seqId` and `prevSeqId`.
    Synced { seq: Option<u64>, prev: Option<u64> },
}

/// Updates covered by a REST snapshot that arrived after it.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Covered {
    pub(super) diffs: u32,
    pub(super) since: Option<UnixNanos>,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Verdict {
    Buffer,
    Apply,
    Drop,
    Duplicate,
    Fault(IntegrityFault),
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Step {
    Done(Outcome),
    Buffer,
    /// A fault; `keep`: the update may still be applied after a new snapshot.
    Fault(Fault, bool),
}

/// Everything but the buffers, so buffered updates can be replayed through it in place.
#[derive(Clone)]
pub(super) struct State {
    pub(super) instrument: InstrumentId,
    pub(super) phase: Phase,
    pub(super) stale: bool,
    pub(super) feed: Feed,
    pub(super) book: L2Book,
    pub(super) texts: WireTexts,
    pub(super) stats: SyncStats,
    pub(super) limits: SyncLimits,
    pub(super) covered: Covered,
    pub(super) last_recv: UnixNanos,
}

/// Whether a buffered update is the first one after a REST snapshot at `s`: its
/// `prevSeqId` is `s`, or `prevSeqId <= s < seqId`.
pub(super) fn brackets(h: &BookHeader, s: u64) -> bool {
    match (h.prev_seq_id, h.seq_id) {
        (Some(p), Some(q)) => p == s || (p < s && s < q),
        _ => false,
    }
}

/// How an update relates to the message before it.
pub(super) enum Follow {
    Continues,
    Duplicate,
    Breaks(IntegrityFault),
}

/// Whether `h` continues a message at `seq` (whose own `prevSeqId` was `prev`): its
/// `prevSeqId` is `seq`. The same `prevSeqId` and `seqId` again (not a keep-alive) is a
/// duplicate. Without ids on either side nothing can be said: it continues.
pub(super) fn follow(seq: Option<u64>, prev: Option<u64>, h: &BookHeader) -> Follow {
    let (Some(last), Some(hp), Some(hs)) = (seq, h.prev_seq_id, h.seq_id) else {
        return Follow::Continues;
    };
    if (prev, last) == (Some(hp), hs) && hp != hs {
        return Follow::Duplicate;
    }
    if hp == last {
        Follow::Continues
    } else {
        Follow::Breaks(IntegrityFault::SequenceGap {
            expected: last,
            got: hp,
        })
    }
}

impl State {
    /// Replaces the book with a snapshot or full image, or faults if it is crossed or its
    /// checksum does not match.
    pub(super) fn load(
        &mut self,
        h: &BookHeader,
        bids: &[Level],
        asks: &[Level],
        texts: Texts<'_>,
        sink: &mut impl SyncSink,
    ) -> Result<(), Fault> {
        self.book.clear();
        self.texts.clear();
        self.apply_levels(bids, asks, texts);
        if let Some(kind) = self.check(h) {
            return Err(self.fail(kind, self.last_recv, sink));
        }
        sink.snapshot(h, bids, asks);
        self.stale = false;
        self.covered = Covered::default();
        Ok(())
    }

    /// One update, not awaiting a snapshot. `live`: it arrived now (not replayed from the
    /// buffer), so it counts towards the covered-update bound.
    pub(super) fn sequence(
        &mut self,
        h: &BookHeader,
        bids: &[Level],
        asks: &[Level],
        texts: Texts<'_>,
        sink: &mut impl SyncSink,
        live: bool,
    ) -> Step {
        match self.verdict(h, live) {
            Verdict::Buffer => Step::Buffer,
            Verdict::Apply => self.apply(h, bids, asks, texts, sink),
            Verdict::Drop => {
                self.stats.dropped_stale += 1;
                Step::Done(Outcome::Dropped)
            }
            Verdict::Duplicate => {
                self.stats.duplicates += 1;
                Step::Done(Outcome::Duplicate)
            }
            Verdict::Fault(kind) => Step::Fault(self.fail(kind, h.ts_recv, sink), true),
        }
    }

    pub(super) fn verdict(&mut self, h: &BookHeader, live: bool) -> Verdict {
        match self.phase {
            Phase::AwaitingSnapshot => Verdict::Buffer,
            Phase::AwaitingFirst(s) => match (h.prev_seq_id, h.seq_id) {
                (Some(p), Some(_)) if p == s => Verdict::Apply,
                (Some(_), Some(q)) if q <= s => self.covered(s, q, h.ts_recv, live),
                (Some(p), Some(_)) if p < s => Verdict::Apply,
                (Some(p), _) => Verdict::Fault(IntegrityFault::SequenceGap {
                    expected: s,
                    got: p,
                }),
                // An update without ids cannot be placed against a REST snapshot.
                _ => Verdict::Fault(IntegrityFault::SequenceGap {
                    expected: s,
                    got: 0,
                }),
            },
            Phase::Synced { seq, prev } => match follow(seq, prev, h) {
                Follow::Continues => Verdict::Apply,
                Follow::Duplicate => Verdict::Duplicate,
                Follow::Breaks(kind) => Verdict::Fault(kind),
            },
        }
    }

    /// An update at `seq` covered by the REST snapshot at `s`: dropped, unless too many (or for
    /// too long) have arrived after it.
    pub(super) fn covered(&mut self, s: u64, seq: u64, ts_recv: UnixNanos, live: bool) -> Verdict {
        if !live {
            return Verdict::Drop;
        }
        let c = &mut self.covered;
        c.diffs = c.diffs.saturating_add(1);
        let since = *c.since.get_or_insert(ts_recv);
        if c.diffs > self.limits.max_covered_diffs
            || ts_recv.saturating_since(since) > self.limits.max_covered_wait_ns
        {
            return Verdict::Fault(IntegrityFault::SnapshotAhead {
                snapshot: s,
                got: seq,
            });
        }
        Verdict::Drop
    }

    pub(super) fn apply(
        &mut self,
        h: &BookHeader,
        bids: &[Level],
        asks: &[Level],
        texts: Texts<'_>,
        sink: &mut impl SyncSink,
    ) -> Step {
        self.apply_levels(bids, asks, texts);
        if let Some(kind) = self.check(h) {
            // The update is in the book already: replaying it after a new snapshot would not
            // make this book right.
            return Step::Fault(self.fail(kind, h.ts_recv, sink), false);
        }
        sink.delta(h, bids, asks);
        self.phase = Phase::Synced {
            seq: h.seq_id,
            prev: h.prev_seq_id,
        };
        self.stats.applied += 1;
        Step::Done(Outcome::Applied)
    }

    pub(super) fn apply_levels(&mut self, bids: &[Level], asks: &[Level], texts: Texts<'_>) {
        for l in bids {
            self.book.apply(Side::Buy, l.price, l.qty);
        }
        for l in asks {
            self.book.apply(Side::Sell, l.price, l.qty);
        }
        self.texts.apply(Side::Buy, bids, texts.bids);
        self.texts.apply(Side::Sell, asks, texts.asks);
    }

    /// After a complete message: crossed or locked, or (when one is sent) a checksum that
    /// does not match.
    pub(super) fn check(&mut self, h: &BookHeader) -> Option<IntegrityFault> {
        if let (Some(bid), Some(ask)) = (self.book.best_bid(), self.book.best_ask())
            && bid.price >= ask.price
        {
            return Some(IntegrityFault::Crossed {
                bid: bid.price.ticks(),
                ask: ask.price.ticks(),
            });
        }
        if h.checksum == 0 {
            return None;
        }
        self.stats.checksums += 1;
        let computed = self.texts.checksum(&self.book);
        (computed != h.checksum).then_some(IntegrityFault::ChecksumMismatch {
            expected: i64::from(h.checksum),
            computed: i64::from(computed),
        })
    }

    /// Counts a fault, marks the book stale and tells the sink.
    pub(super) fn fail(
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
