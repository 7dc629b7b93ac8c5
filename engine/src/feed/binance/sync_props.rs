//! Model-based property tests of the sequencer, both rules.
//!
//! The model is the venue's true book: a random stream of level updates, each with an update
//! id, cut into diffs the way Binance batches them (a diff carries the final quantity of every
//! level its updates touched; spot ids are contiguous, futures ids skip and chain on `pu`).
//! Snapshots are the true book after some update. What is delivered to the sequencer is that
//! stream with injected drops, duplicates, reorders, id jumps (forward, down by 10^6, resets),
//! an oversized `u`, reversed ids, crossing levels, snapshots older or newer than the stream, and
//! forged snapshots at `lastUpdateId = 2^64-1`.
//!
//! After every message:
//! - **exact or stale**: if the sequencer says `Synced`, its book equals the true book after the
//!   last message it applied (each diff carries its true position in `ts_exchange`); if it says
//!   `Stale`, a fault was counted; `Syncing` only before any snapshot and fault. One exception,
//!   which no sequencer can see through: a diff whose `u` was inflated claims updates it does not
//!   hold, so a book built from it may differ from the truth until the next diff, which must
//!   then fault (no diff is ever applied after it);
//! - **never frozen**: a synced book is not behind any diff delivered since its snapshot, except
//!   for the bounded number of covered diffs a snapshot may still see;
//! - the counters agree with what the sink was told.
//!
//! At the end, one more diff and a snapshot of the true book must bring it back in sync; a
//! second snapshot is allowed when the first one faulted on what was still buffered (a
//! corrupted diff with the same ids as the true one was kept and the true one dropped as its
//! duplicate: it crosses the book when replayed).

use super::*;
use crate::feed::integrity::Fault;
use ladder_sdk::{BookState, InstrumentId, Level, Price, Quantity, Side, UnixNanos};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Covered diffs a snapshot may still see (small, so that forged snapshots hit it).
const MAX_COVERED: u32 = 3;
/// First id of the stream, high enough to shift down many times.
const BASE: i128 = 1 << 60;
/// Marks a diff whose `u` was inflated, in `ts_exchange` beside its position.
const TAMPERED: u64 = 1 << 62;

type Book = BTreeMap<(bool, i64), i64>;

/// The true stream: updates, the book after each, ids and the diffs.
struct Truth {
    books: Vec<Book>,
    ids: Vec<u64>,
    /// `(a, b)`: update indices (1-based, inclusive) of each diff.
    diffs: Vec<(usize, usize)>,
    updates: Vec<(bool, i64, i64)>,
}

impl Truth {
    /// `updates`: `(is_bid, price index, qty)`; bids at ticks 1..=20, asks at 21..=40, so the
    /// true book never crosses.
    fn new(updates: &[(bool, u8, u8)], batches: &[u8], steps: &[u8], futures: bool) -> Self {
        let updates: Vec<(bool, i64, i64)> = updates
            .iter()
            .map(|&(bid, p, q)| {
                let price = 1 + i64::from(p % 20) + if bid { 0 } else { 20 };
                (bid, price, i64::from(q % 4))
            })
            .collect();
        let mut books = vec![Book::new()];
        for &(bid, price, qty) in &updates {
            let mut b = books.last().cloned().unwrap_or_default();
            if qty == 0 {
                b.remove(&(bid, price));
            } else {
                b.insert((bid, price), qty);
            }
            books.push(b);
        }
        let mut ids = vec![0u64];
        for i in 0..updates.len() {
            let step = if futures {
                1 + u64::from(steps.get(i).copied().unwrap_or(0) % 3)
            } else {
                1
            };
            ids.push(ids[i] + step);
        }
        let mut diffs = Vec::new();
        let (mut a, mut k) = (1, 0);
        while a <= updates.len() {
            let width = 1 + usize::from(batches.get(k).copied().unwrap_or(0) % 4);
            let b = (a + width - 1).min(updates.len());
            diffs.push((a, b));
            a = b + 1;
            k += 1;
        }
        Self {
            books,
            ids,
            diffs,
            updates,
        }
    }

    fn end(&self) -> usize {
        self.updates.len()
    }

    /// The diff's levels: the final quantity of each level its updates touched.
    fn levels(&self, (a, b): (usize, usize)) -> (Vec<Level>, Vec<Level>) {
        let mut touched = BTreeMap::new();
        for &(bid, price, qty) in &self.updates[a - 1..b] {
            touched.insert((bid, price), qty);
        }
        split(&touched)
    }
}

fn split(levels: &BTreeMap<(bool, i64), i64>) -> (Vec<Level>, Vec<Level>) {
    let lv = |(&(_, p), &q): (&(bool, i64), &i64)| {
        Level::new(Price::from_ticks(p), Quantity::from_lots(q))
    };
    (
        levels.iter().filter(|((bid, _), _)| *bid).map(lv).collect(),
        levels
            .iter()
            .filter(|((bid, _), _)| !*bid)
            .map(lv)
            .collect(),
    )
}

/// What the test delivers next.
#[derive(Debug, Clone, Copy)]
enum Op {
    Deliver,
    Drop,
    Duplicate,
    Reorder,
    /// A snapshot of the true book this many updates after (or before) the last delivered diff.
    Snapshot(i8),
    ForgedSnapshot,
    JumpForward,
    ShiftDown,
    Reset,
    Oversized(bool),
    Reversed,
    Crossing,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        24 => Just(Op::Deliver),
        2 => Just(Op::Drop),
        2 => Just(Op::Duplicate),
        2 => Just(Op::Reorder),
        5 => (-4i8..8).prop_map(Op::Snapshot),
        1 => Just(Op::ForgedSnapshot),
        1 => Just(Op::JumpForward),
        1 => Just(Op::ShiftDown),
        1 => Just(Op::Reset),
        1 => any::<bool>().prop_map(Op::Oversized),
        1 => Just(Op::Reversed),
        1 => Just(Op::Crossing),
    ]
}

/// Records what the sink was told: the true position of the book it holds.
#[derive(Default)]
struct Probe {
    /// Position of the snapshot being delivered.
    snap_pos: usize,
    /// Position of the book: the last applied diff's `b`, or the snapshot's.
    pos: usize,
    snapshots: u64,
    applied_since_snapshot: u64,
    faults: u64,
    /// The book holds a diff with an inflated `u`.
    tainted: bool,
}

impl SyncSink for Probe {
    fn snapshot(&mut self, _: InstrumentId, _: u64, _: &[Level], _: &[Level]) {
        self.pos = self.snap_pos;
        self.snapshots += 1;
        self.applied_since_snapshot = 0;
        self.tainted = false;
    }
    fn delta(&mut self, h: &DepthHeader, _: &[Level], _: &[Level]) {
        let tag = h.ts_exchange.as_nanos();
        assert!(
            !self.tainted,
            "a diff was applied after one with an inflated `u`"
        );
        self.tainted = tag & TAMPERED != 0;
        self.pos = usize::try_from(tag & !TAMPERED).unwrap_or(usize::MAX);
        self.applied_since_snapshot += 1;
    }
    fn fault(&mut self, _: InstrumentId, _: Fault) {
        self.faults += 1;
    }
}

struct Run<'t> {
    truth: &'t Truth,
    futures: bool,
    seq: Sequencer,
    probe: Probe,
    offset: i128,
    resets: i128,
    /// Positions of the diffs delivered since the last accepted snapshot.
    since_snapshot: Vec<usize>,
    snapshots_seen: u64,
    clock: u64,
    last_b: usize,
}

impl<'t> Run<'t> {
    fn new(truth: &'t Truth, futures: bool) -> Self {
        let rule = if futures {
            SyncRule::Futures
        } else {
            SyncRule::Spot
        };
        let limits = SyncLimits {
            max_covered_diffs: MAX_COVERED,
            ..SyncLimits::DEFAULT
        };
        Self {
            truth,
            futures,
            seq: Sequencer::with_limits(InstrumentId::new(0), rule, limits),
            probe: Probe::default(),
            offset: BASE,
            resets: 0,
            since_snapshot: Vec::new(),
            snapshots_seen: 0,
            clock: 0,
            last_b: 0,
        }
    }

    fn id(&self, i: usize) -> u64 {
        u64::try_from(i128::from(self.truth.ids[i]) + self.offset).unwrap_or(0)
    }

    fn header(&mut self, (a, b): (usize, usize)) -> DepthHeader {
        self.clock += 1;
        DepthHeader {
            instrument: InstrumentId::new(0),
            first_id: self.id(a),
            last_id: self.id(b),
            prev_last_id: self.futures.then(|| self.id(a - 1)),
            ts_exchange: UnixNanos::from_nanos(b as u64),
            ts_recv: UnixNanos::from_nanos(self.clock),
        }
    }

    fn deliver(
        &mut self,
        diff: (usize, usize),
        tamper: impl FnOnce(&mut DepthHeader, &mut Vec<Level>, &mut Vec<Level>),
    ) {
        let mut h = self.header(diff);
        let (mut bids, mut asks) = self.truth.levels(diff);
        tamper(&mut h, &mut bids, &mut asks);
        self.seq.on_depth(&h, &bids, &asks, &mut self.probe);
        if self.probe.snapshots > 0 {
            self.since_snapshot.push(diff.1);
        }
        self.last_b = self.last_b.max(diff.1);
        self.check();
    }

    fn snapshot(&mut self, q: usize, forged: bool) {
        let l = if forged { u64::MAX } else { self.id(q) };
        let (bids, asks) = split(&self.truth.books[q]);
        self.probe.snap_pos = q;
        self.seq.on_snapshot(l, &bids, &asks, &mut self.probe);
        if self.probe.snapshots > self.snapshots_seen {
            self.snapshots_seen = self.probe.snapshots;
            self.since_snapshot.clear();
        }
        self.check();
    }

    fn play(&mut self, ops: &[Op]) {
        let diffs = self.truth.diffs.clone();
        let mut k = 0;
        for &op in ops {
            let Some(&d) = diffs.get(k) else { break };
            match op {
                Op::Deliver => {
                    self.deliver(d, |_, _, _| {});
                    k += 1;
                }
                Op::Drop => k += 1,
                Op::Duplicate => {
                    self.deliver(d, |_, _, _| {});
                    self.deliver(d, |_, _, _| {});
                    k += 1;
                }
                Op::Reorder => {
                    if let Some(&next) = diffs.get(k + 1) {
                        self.deliver(next, |_, _, _| {});
                        self.deliver(d, |_, _, _| {});
                        k += 2;
                    }
                }
                Op::Snapshot(dq) => {
                    let q = (self.last_b as i64 + i64::from(dq)).clamp(0, self.truth.end() as i64);
                    self.snapshot(q as usize, false);
                }
                Op::ForgedSnapshot => self.snapshot(self.last_b, true),
                Op::JumpForward => self.offset += 1_000_000_000_000,
                Op::ShiftDown => self.offset -= 1_000_000,
                Op::Reset => {
                    self.resets += 1;
                    self.offset = 1_000_000_000 * self.resets - i128::from(self.truth.ids[d.0]);
                }
                Op::Oversized(to_max) => {
                    self.deliver(d, |h, _, _| {
                        h.last_id = if to_max {
                            u64::MAX
                        } else {
                            h.last_id + 1_000_000
                        };
                        h.ts_exchange = UnixNanos::from_nanos(h.ts_exchange.as_nanos() | TAMPERED);
                    });
                    k += 1;
                }
                Op::Reversed => {
                    self.deliver(d, |h, _, _| h.first_id = h.last_id + 1);
                    k += 1;
                }
                Op::Crossing => {
                    self.deliver(d, |_, bids, asks| {
                        bids.push(Level::new(Price::from_ticks(41), Quantity::from_lots(1)));
                        asks.push(Level::new(Price::from_ticks(1), Quantity::from_lots(1)));
                    });
                    k += 1;
                }
            }
        }
    }

    /// The properties that hold after every message.
    fn check(&self) {
        let stats = self.seq.stats();
        assert_eq!(
            stats.gaps, self.probe.faults,
            "every fault reaches the sink"
        );
        assert_eq!(stats.faults.total(), stats.gaps);
        match self.seq.state() {
            BookState::Synced if self.probe.tainted => {}
            BookState::Synced => {
                let pos = self.probe.pos;
                assert_eq!(
                    book_of(&self.seq),
                    self.truth.books[pos],
                    "synced but not the true book at position {pos}"
                );
                let behind = self.since_snapshot.iter().filter(|&&p| p > pos).count();
                assert!(
                    behind == 0
                        || (self.probe.applied_since_snapshot == 0
                            && behind <= MAX_COVERED as usize),
                    "synced at position {pos} but {behind} later diffs were dropped"
                );
            }
            BookState::Stale => assert!(stats.gaps >= 1, "stale without a counted fault"),
            BookState::Syncing => {
                assert_eq!((stats.gaps, self.probe.snapshots), (0, 0));
            }
            other => panic!("a sequencer is never {other:?}"),
        }
    }

    /// One more diff and a snapshot of the true end of the stream resync the book.
    fn recover(&mut self) {
        let last = *self.truth.diffs.last().unwrap_or(&(1, 1));
        if !self.truth.diffs.is_empty() {
            self.deliver(last, |_, _, _| {});
        }
        let end = self.truth.end();
        let faults = self.seq.stats().gaps;
        self.snapshot(end, false);
        if self.seq.state() != BookState::Synced {
            assert!(
                self.seq.stats().gaps > faults,
                "a refused snapshot is a counted fault"
            );
            self.snapshot(end, false);
        }
        assert_eq!(self.seq.state(), BookState::Synced, "{:?}", self.seq);
        assert_eq!(book_of(&self.seq), self.truth.books[end]);
        assert_eq!(self.seq.last_update_id(), Some(self.id(end)));
    }
}

fn book_of(seq: &Sequencer) -> Book {
    let mut b = Book::new();
    for (side, bid) in [(Side::Buy, true), (Side::Sell, false)] {
        for l in seq.book().levels(side) {
            b.insert((bid, l.price.ticks()), l.qty.lots());
        }
    }
    b
}

/// A drawn true stream: updates `(is_bid, price index, qty)`, batch widths, futures id steps.
type Drawn = (Vec<(bool, u8, u8)>, Vec<u8>, Vec<u8>);

fn stream() -> impl Strategy<Value = Drawn> {
    (
        prop::collection::vec((any::<bool>(), any::<u8>(), any::<u8>()), 1..160),
        prop::collection::vec(any::<u8>(), 0..160),
        prop::collection::vec(any::<u8>(), 0..160),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn sequencer_book_is_exact_or_stale_with_a_fault_spot(
        (updates, batches, steps) in stream(),
        ops in prop::collection::vec(op(), 0..120),
    ) {
        let truth = Truth::new(&updates, &batches, &steps, false);
        let mut run = Run::new(&truth, false);
        run.play(&ops);
        run.recover();
    }

    #[test]
    fn sequencer_book_is_exact_or_stale_with_a_fault_futures(
        (updates, batches, steps) in stream(),
        ops in prop::collection::vec(op(), 0..120),
    ) {
        let truth = Truth::new(&updates, &batches, &steps, true);
        let mut run = Run::new(&truth, true);
        run.play(&ops);
        run.recover();
    }

    /// No false alarm: diffs buffered, a snapshot taken while they are (Binance's procedure),
    /// then the rest: no fault, synced, the true book.
    #[test]
    fn sequencer_clean_stream_syncs_without_a_fault(
        (updates, batches, steps) in stream(),
        futures in any::<bool>(),
        buffered in 1usize..20,
        ahead in 0usize..4,
    ) {
        let truth = Truth::new(&updates, &batches, &steps, futures);
        let mut run = Run::new(&truth, futures);
        let diffs = truth.diffs.clone();
        let buffered = buffered.min(diffs.len());
        for &d in &diffs[..buffered] {
            run.deliver(d, |_, _, _| {});
        }
        // Taken after the first buffered diff began and at most a few updates past the last.
        let q = (run.last_b + ahead).min(truth.end()).max(diffs[0].0);
        run.snapshot(q, false);
        for &d in &diffs[buffered..] {
            run.deliver(d, |_, _, _| {});
        }
        prop_assert_eq!(run.seq.stats().gaps, 0);
        prop_assert_eq!(run.seq.state(), BookState::Synced);
        prop_assert_eq!(book_of(&run.seq), truth.books[truth.end()].clone());
    }
}
