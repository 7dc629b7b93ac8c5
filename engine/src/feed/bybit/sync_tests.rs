//! Sequencer tests: every rule of `sync.rs` on hand-made ids (a table of message sequences and
//! what each message must do), the `u == 1` cases of venues.md §12, impossible books (crossed,
//! locked, deeper than the subscribed depth), a changed grid, and an outside invalidation.

use super::decode::BookHeader;
use super::sync::*;
use crate::feed::integrity::{Fault, IntegrityFault};
use ladder_sdk::{BookState, InstrumentId, Level, Price, Quantity, RawDecimal, Side, UnixNanos};
use rstest::rstest;

pub(super) fn lvl(p: i64, q: i64) -> Level {
    Level::new(Price::from_ticks(p), Quantity::from_lots(q))
}

/// Records what the sequencer told its sink.
#[derive(Default)]
struct Log {
    snapshots: Vec<u64>,
    deltas: Vec<u64>,
    unavailable: Vec<u64>,
    faults: Vec<Fault>,
}

impl SyncSink for Log {
    fn snapshot(&mut self, h: &BookHeader, _: &[Level], _: &[Level]) {
        self.snapshots.push(h.update_id);
    }
    fn delta(&mut self, h: &BookHeader, _: &[Level], _: &[Level]) {
        self.deltas.push(h.update_id);
    }
    fn unavailable(&mut self, h: &BookHeader) {
        self.unavailable.push(h.update_id);
    }
    fn fault(&mut self, _: InstrumentId, f: Fault) {
        self.faults.push(f);
    }
}

pub(super) fn header(depth: u32, snapshot: bool, u: u64) -> BookHeader {
    BookHeader {
        instrument: InstrumentId::new(0),
        depth,
        snapshot,
        update_id: u,
        seq: Some(u.wrapping_mul(10)),
        ts_exchange: UnixNanos::from_nanos(u),
        ts_recv: UnixNanos::from_nanos(u),
    }
}

/// One message of a table case: a snapshot (bid 10, ask 20) or a delta with its `u` (empty,
/// but for a `u == 1` restart, which carries the image).
#[derive(Debug, Clone, Copy)]
enum M {
    S(u64),
    D(u64),
}

/// What a message must do, by name.
fn name(o: Outcome) -> &'static str {
    match o {
        Outcome::Applied => "applied",
        Outcome::Snapshot => "snapshot",
        Outcome::Resent => "resent",
        Outcome::Unavailable => "unavailable",
        Outcome::Discarded => "discarded",
        Outcome::Fault(f) => f.kind.name(),
    }
}

fn run(depth: u32, msgs: &[M], seq: &mut Sequencer, log: &mut Log) -> Vec<&'static str> {
    msgs.iter()
        .map(|m| {
            let o = match *m {
                M::S(u) => {
                    seq.on_message(&header(depth, true, u), &[lvl(10, 1)], &[lvl(20, 1)], log)
                }
                M::D(1) => {
                    seq.on_message(&header(depth, false, 1), &[lvl(10, 1)], &[lvl(20, 1)], log)
                }
                M::D(u) => seq.on_message(&header(depth, false, u), &[], &[], log),
            };
            name(o)
        })
        .collect()
}

const MAX: u64 = u64::MAX;

#[rstest]
#[case::delta_continues_u_plus_one(50, &[M::S(100), M::D(101), M::D(102)], &["snapshot", "applied", "applied"], BookState::Synced, 0)]
#[case::delta_skipping_an_id_is_a_gap(50, &[M::S(100), M::D(102)], &["snapshot", "sequence_gap"], BookState::Stale, 1)]
#[case::delta_repeating_u_is_a_fault(50, &[M::S(100), M::D(101), M::D(101)], &["snapshot", "applied", "ids_backward"], BookState::Stale, 1)]
#[case::delta_going_back_is_a_fault(50, &[M::S(100), M::D(99)], &["snapshot", "ids_backward"], BookState::Stale, 1)]
#[case::deltas_after_a_gap_dropped_until_the_next_snapshot(50, &[M::S(100), M::D(102), M::D(103), M::D(104), M::S(200), M::D(201)], &["snapshot", "sequence_gap", "discarded", "discarded", "snapshot", "applied"], BookState::Synced, 1)]
#[case::delta_before_any_snapshot_is_dropped(50, &[M::D(5), M::S(10), M::D(11)], &["discarded", "snapshot", "applied"], BookState::Synced, 0)]
#[case::mid_stream_snapshot_replaces_whatever_its_u(50, &[M::S(100), M::D(101), M::S(500), M::D(501), M::S(7)], &["snapshot", "applied", "snapshot", "applied", "snapshot"], BookState::Synced, 0)]
#[case::restart_snapshot_u_1_replaces(200, &[M::S(100), M::D(101), M::S(1), M::D(2)], &["snapshot", "applied", "snapshot", "applied"], BookState::Synced, 0)]
#[case::delta_with_u_1_is_a_restart_image(200, &[M::S(100), M::D(1), M::D(2)], &["snapshot", "snapshot", "applied"], BookState::Synced, 0)]
#[case::restart_after_a_gap_resyncs(200, &[M::S(100), M::D(105), M::D(1), M::D(2)], &["snapshot", "sequence_gap", "snapshot", "applied"], BookState::Synced, 1)]
#[case::u_max_then_anything_but_1_is_a_fault(50, &[M::S(MAX - 1), M::D(MAX), M::D(0)], &["snapshot", "applied", "ids_backward"], BookState::Stale, 1)]
#[case::u_max_then_restart(50, &[M::S(MAX), M::D(1), M::D(2)], &["snapshot", "snapshot", "applied"], BookState::Synced, 0)]
#[case::level1_resend_with_the_same_u_is_not_a_gap(1, &[M::S(7), M::S(7), M::S(8), M::S(8), M::S(9)], &["snapshot", "resent", "snapshot", "resent", "snapshot"], BookState::Synced, 0)]
#[case::level1_skipped_u_is_a_gap(1, &[M::S(7), M::S(9)], &["snapshot", "sequence_gap"], BookState::Stale, 1)]
#[case::level1_u_going_back_is_a_fault(1, &[M::S(7), M::S(6)], &["snapshot", "ids_backward"], BookState::Stale, 1)]
#[case::level1_next_snapshot_after_a_gap_resyncs(1, &[M::S(7), M::S(9), M::S(12), M::S(13)], &["snapshot", "sequence_gap", "snapshot", "snapshot"], BookState::Synced, 1)]
#[case::level1_restart_u_1(1, &[M::S(7), M::S(1), M::S(2)], &["snapshot", "snapshot", "snapshot"], BookState::Synced, 0)]
#[case::deeper_snapshots_are_not_chained(50, &[M::S(7), M::S(9), M::S(3)], &["snapshot", "snapshot", "snapshot"], BookState::Synced, 0)]
fn sequencer_rules_table(
    #[case] depth: u32,
    #[case] msgs: &[M],
    #[case] want: &[&str],
    #[case] state: BookState,
    #[case] gaps: u64,
) {
    let mut s = Sequencer::new(InstrumentId::new(0));
    let mut log = Log::default();
    assert_eq!(run(depth, msgs, &mut s, &mut log), want, "{msgs:?}");
    assert_eq!(s.state(), state);
    assert_eq!(s.stats().gaps, gaps);
    assert_eq!(log.faults.len() as u64, gaps);
    assert_eq!(s.needs_snapshot(), state != BookState::Synced);
    // Every message is counted once: snapshots, or deltas applied / dropped / faulted.
    let st = s.stats();
    let deltas = msgs
        .iter()
        .filter(|m| matches!(m, M::D(u) if *u != 1))
        .count() as u64;
    assert_eq!(st.depth_updates, deltas);
    assert_eq!(st.snapshots, msgs.len() as u64 - deltas);
    assert_eq!(st.applied, log.deltas.len() as u64);
    if state == BookState::Synced {
        let last = msgs.last().map(|m| match m {
            M::S(u) | M::D(u) => *u,
        });
        assert_eq!(s.last_update_id(), last);
    } else {
        assert_eq!(s.last_update_id(), None);
    }
}

#[test]
fn gap_keeps_the_book_as_it_was_and_counts_the_dropped_deltas() {
    let mut s = Sequencer::new(InstrumentId::new(0));
    let mut log = Log::default();
    s.on_message(
        &header(50, true, 100),
        &[lvl(10, 1)],
        &[lvl(20, 1)],
        &mut log,
    );
    let o = s.on_message(&header(50, false, 103), &[lvl(11, 5)], &[], &mut log);
    assert_eq!(
        o,
        Outcome::Fault(Fault {
            kind: IntegrityFault::SequenceGap {
                expected: 101,
                got: 103
            },
            ts_recv: UnixNanos::from_nanos(103),
        })
    );
    // The faulty delta was not applied; later ones are dropped and counted.
    assert_eq!(s.book().best_bid(), Some(lvl(10, 1)));
    s.on_message(&header(50, false, 104), &[lvl(12, 5)], &[], &mut log);
    assert_eq!(s.book().best_bid(), Some(lvl(10, 1)));
    assert_eq!((s.stats().discarded, s.stats().applied), (1, 0));
    assert_eq!(s.stats().faults.sequence_gap, 1);
}

#[rstest]
// Delisted, or before a pre-market auction: `u = 1` with no levels, then nothing.
#[case::delisted_or_before_an_auction(&[], false)]
// Auction to continuous trading: `u = 1` empty, then the venue's snapshot.
#[case::auction_ends_then_snapshot(&[M::S(1)], true)]
// Deltas while there is no book are dropped, not applied to the empty book.
#[case::deltas_before_the_snapshot_dropped(&[M::D(2), M::D(3), M::S(9)], true)]
fn u1_empty_clears_the_book_and_waits_for_the_venue(
    #[case] after: &[M],
    #[case] synced_at_end: bool,
) {
    let mut s = Sequencer::new(InstrumentId::new(0));
    let mut log = Log::default();
    s.on_message(
        &header(50, true, 100),
        &[lvl(10, 1)],
        &[lvl(20, 1)],
        &mut log,
    );
    assert_eq!(
        s.on_message(&header(50, true, 1), &[], &[], &mut log),
        Outcome::Unavailable
    );
    assert!(s.book().is_empty());
    assert_eq!(s.state(), BookState::Syncing);
    assert!(s.is_unavailable());
    // The venue sends the snapshot by itself: resubscribing would bring the same empty book.
    assert!(!s.needs_snapshot());
    assert_eq!(log.unavailable, [1]);
    for m in after {
        match *m {
            M::S(u) => s.on_message(&header(50, true, u), &[lvl(10, 1)], &[lvl(20, 1)], &mut log),
            M::D(u) => s.on_message(&header(50, false, u), &[lvl(15, 1)], &[], &mut log),
        };
    }
    assert_eq!(s.state() == BookState::Synced, synced_at_end);
    assert_eq!(s.stats().gaps, 0, "no fault: the venue said so");
    if synced_at_end {
        assert_eq!(s.book().best_bid(), Some(lvl(10, 1)));
    } else {
        assert!(s.book().is_empty());
    }
    let deltas = after.iter().filter(|m| matches!(m, M::D(_))).count() as u64;
    assert_eq!(s.stats().discarded, deltas);
}

#[test]
fn u1_with_levels_is_a_restart_that_overwrites_without_ghost_levels() {
    let mut s = Sequencer::new(InstrumentId::new(0));
    let mut log = Log::default();
    s.on_message(
        &header(200, true, 100),
        &[lvl(10, 1), lvl(9, 1)],
        &[lvl(20, 1), lvl(21, 1)],
        &mut log,
    );
    s.on_message(
        &header(200, true, 1),
        &[lvl(12, 3)],
        &[lvl(13, 4)],
        &mut log,
    );
    // The restart image replaces the book: no level of the old one is merged in.
    assert_eq!((s.book().len(Side::Buy), s.book().len(Side::Sell)), (1, 1));
    assert_eq!(s.book().best_bid(), Some(lvl(12, 3)));
    assert_eq!((s.restarts(), s.last_update_id()), (1, Some(1)));
    assert_eq!(log.snapshots, [100, 1]);
}

#[rstest]
#[case::crossed_snapshot(true, &[lvl(21, 1)], &[lvl(20, 1)], IntegrityFault::Crossed { bid: 21, ask: 20 })]
#[case::locked_snapshot(true, &[lvl(20, 1)], &[lvl(20, 1)], IntegrityFault::Crossed { bid: 20, ask: 20 })]
#[case::crossing_delta(false, &[lvl(25, 1)], &[], IntegrityFault::Crossed { bid: 25, ask: 20 })]
#[case::snapshot_deeper_than_depth(true, &[lvl(10, 1), lvl(9, 1), lvl(8, 1)], &[lvl(20, 1)], IntegrityFault::DepthExceeded { levels: 3, depth: 2 })]
#[case::delta_leaving_a_level_beyond_the_window(false, &[lvl(11, 1)], &[], IntegrityFault::DepthExceeded { levels: 3, depth: 2 })]
fn impossible_book_after_a_message_is_a_fault(
    #[case] snapshot: bool,
    #[case] bids: &[Level],
    #[case] asks: &[Level],
    #[case] want: IntegrityFault,
) {
    let mut s = Sequencer::new(InstrumentId::new(0));
    let mut log = Log::default();
    let first = s.on_message(
        &header(2, true, 100),
        &[lvl(10, 1), lvl(9, 1)],
        &[lvl(20, 1)],
        &mut log,
    );
    assert_eq!(first, Outcome::Snapshot);
    let o = s.on_message(&header(2, snapshot, 101), bids, asks, &mut log);
    assert!(matches!(o, Outcome::Fault(f) if f.kind == want), "{o:?}");
    assert_eq!(s.state(), BookState::Stale);
    // Not passed on: the sink saw only the first snapshot.
    assert_eq!((log.snapshots.len(), log.deltas.len()), (1, 0));
    assert_eq!(s.stats().faults.total(), 1);
}

#[test]
fn delta_that_moves_the_window_keeps_the_depth() {
    let mut s = Sequencer::new(InstrumentId::new(0));
    let mut log = Log::default();
    s.on_message(
        &header(2, true, 100),
        &[lvl(10, 1), lvl(9, 1)],
        &[lvl(20, 1)],
        &mut log,
    );
    // A new best bid enters, the deepest leaves, in one message: still two levels.
    let o = s.on_message(
        &header(2, false, 101),
        &[lvl(11, 1), lvl(9, 0)],
        &[],
        &mut log,
    );
    assert_eq!(o, Outcome::Applied);
    assert_eq!(s.book().len(Side::Buy), 2);
    // Removing a level the book does not hold is normal (it was outside the window).
    let o = s.on_message(&header(2, false, 102), &[lvl(5, 0)], &[], &mut log);
    assert_eq!(o, Outcome::Applied);
}

#[test]
fn grid_change_clears_the_book_and_stays_stale_until_a_snapshot() {
    let mut s = Sequencer::new(InstrumentId::new(0));
    let mut log = Log::default();
    s.on_message(
        &header(50, true, 100),
        &[lvl(10, 1)],
        &[lvl(20, 1)],
        &mut log,
    );
    let value = RawDecimal {
        mantissa: 1_005,
        scale: 2,
        negative: false,
    };
    let f = s.on_grid_changed(&header(50, true, 1), true, value, &mut log);
    assert_eq!(f.kind, IntegrityFault::GridChanged { price: true, value });
    assert!(s.book().is_empty());
    assert_eq!(s.state(), BookState::Stale);
    assert!(s.needs_snapshot());
    assert_eq!(
        s.on_message(&header(50, false, 2), &[], &[], &mut log),
        Outcome::Discarded
    );
    // The spec is reloaded and the venue's snapshot on the new grid arrives.
    assert_eq!(
        s.on_message(
            &header(50, true, 3),
            &[lvl(100, 1)],
            &[lvl(200, 1)],
            &mut log
        ),
        Outcome::Snapshot
    );
    assert_eq!(s.state(), BookState::Synced);
    assert_eq!(s.stats().faults.grid_changed, 1);
}

#[test]
fn invalidate_marks_stale_and_drops_deltas_until_a_snapshot() {
    let mut s = Sequencer::new(InstrumentId::new(0));
    let mut log = Log::default();
    s.invalidate();
    assert_eq!(s.state(), BookState::Syncing, "nothing to invalidate yet");
    s.on_message(
        &header(50, true, 100),
        &[lvl(10, 1)],
        &[lvl(20, 1)],
        &mut log,
    );
    s.invalidate();
    assert_eq!(s.state(), BookState::Stale);
    assert!(s.needs_snapshot());
    assert_eq!(
        s.on_message(&header(50, false, 101), &[], &[], &mut log),
        Outcome::Discarded
    );
    s.on_message(
        &header(50, true, 300),
        &[lvl(10, 1)],
        &[lvl(20, 1)],
        &mut log,
    );
    assert_eq!(s.state(), BookState::Synced);
    assert_eq!(
        s.stats().gaps,
        0,
        "an outside invalidation is not a feed fault"
    );
}

#[test]
fn seq_is_kept_with_the_book() {
    let mut s = Sequencer::new(InstrumentId::new(0));
    let mut log = Log::default();
    assert_eq!(s.last_seq(), None);
    s.on_message(
        &header(50, true, 100),
        &[lvl(10, 1)],
        &[lvl(20, 1)],
        &mut log,
    );
    s.on_message(&header(50, false, 101), &[], &[], &mut log);
    assert_eq!(s.last_seq(), Some(1010));
}
