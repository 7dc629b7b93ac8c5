//! Sequencer rules as tables: the connection's `sequence_num` count, snapshots replacing the
//! book (no ghost levels), updates before a snapshot or after a fault dropped, crossed books.

use super::*;
use crate::feed::integrity::{Fault, IntegrityFault};
use ladder_sdk::{BookState, InstrumentId, Level, Price, Quantity, Side, UnixNanos};
use rstest::rstest;

#[rstest]
#[case::first_number_starts_the_count(&[5], None)]
#[case::consecutive(&[0, 1, 2, 3], None)]
#[case::skipped(&[0, 1, 3], Some(IntegrityFault::SequenceGap { expected: 2, got: 3 }))]
#[case::repeated(&[0, 1, 1], Some(IntegrityFault::IdsBackward { last: 1, got: 1 }))]
#[case::reset_to_zero(&[0, 1, 2, 0], Some(IntegrityFault::IdsBackward { last: 2, got: 0 }))]
#[case::after_u64_max(&[u64::MAX, 0], Some(IntegrityFault::IdsBackward { last: u64::MAX, got: 0 }))]
fn conn_sequence_reports_the_first_break(
    #[case] numbers: &[u64],
    #[case] want: Option<IntegrityFault>,
) {
    let mut c = ConnSequence::default();
    let got = numbers.iter().find_map(|&n| c.next(n));
    assert_eq!(got, want);
    assert_eq!(c.last(), numbers.last().copied());
}

#[test]
fn conn_sequence_goes_on_from_the_number_after_a_break_and_reset_forgets() {
    let mut c = ConnSequence::default();
    assert_eq!(c.next(0), None);
    assert!(c.next(5).is_some());
    assert_eq!(c.next(6), None);
    assert!(c.continues(7) && !c.continues(8));
    c.reset();
    assert!(c.continues(100));
    assert_eq!(c.next(100), None);
}

const ID: InstrumentId = InstrumentId::new(0);

fn h(snapshot: bool, seq: u64) -> BookHeader {
    BookHeader {
        instrument: ID,
        snapshot,
        sequence: Some(seq),
        ts_exchange: UnixNanos::ZERO,
        ts_recv: UnixNanos::from_nanos(seq),
    }
}

fn lv(ticks: i64, lots: i64) -> Level {
    Level::new(Price::from_ticks(ticks), Quantity::from_lots(lots))
}

/// A step: `(snapshot, bids, asks)` as `(ticks, lots)`.
type Step = (bool, &'static [(i64, i64)], &'static [(i64, i64)]);

fn s(snapshot: bool, bids: &'static [(i64, i64)], asks: &'static [(i64, i64)]) -> Step {
    (snapshot, bids, asks)
}

fn levels(v: &[(i64, i64)]) -> Vec<Level> {
    v.iter().map(|&(p, q)| lv(p, q)).collect()
}

#[rstest]
#[case::update_before_snapshot_dropped(
    vec![s(false, &[(10, 1)], &[])],
    Outcome::Discarded, BookState::Syncing, &[], &[]
)]
#[case::snapshot_replaces_no_ghost_levels(
    vec![s(true, &[(10, 1), (9, 1)], &[(11, 1)]), s(true, &[(8, 2)], &[(12, 2)])],
    Outcome::Snapshot, BookState::Synced, &[(8, 2)], &[(12, 2)]
)]
#[case::update_sets_and_removes(
    vec![s(true, &[(10, 1)], &[(11, 1)]), s(false, &[(10, 0), (9, 4)], &[(11, 7)])],
    Outcome::Applied, BookState::Synced, &[(9, 4)], &[(11, 7)]
)]
#[case::removing_an_unknown_level_is_normal(
    vec![s(true, &[(10, 1)], &[(11, 1)]), s(false, &[(3, 0)], &[(99, 0)])],
    Outcome::Applied, BookState::Synced, &[(10, 1)], &[(11, 1)]
)]
#[case::locked_after_update_is_a_fault(
    vec![s(true, &[(10, 1)], &[(11, 1)]), s(false, &[(11, 1)], &[])],
    Outcome::Fault(Fault { kind: IntegrityFault::Crossed { bid: 11, ask: 11 }, ts_recv: UnixNanos::from_nanos(1) }),
    BookState::Stale, &[(11, 1), (10, 1)], &[(11, 1)]
)]
#[case::crossed_snapshot_is_a_fault(
    vec![s(true, &[(12, 1)], &[(11, 1)])],
    Outcome::Fault(Fault { kind: IntegrityFault::Crossed { bid: 12, ask: 11 }, ts_recv: UnixNanos::from_nanos(0) }),
    BookState::Stale, &[(12, 1)], &[(11, 1)]
)]
#[case::update_after_fault_dropped(
    vec![s(true, &[(12, 1)], &[(11, 1)]), s(false, &[(12, 0)], &[])],
    Outcome::Discarded, BookState::Stale, &[(12, 1)], &[(11, 1)]
)]
#[case::snapshot_after_fault_resyncs(
    vec![s(true, &[(12, 1)], &[(11, 1)]), s(true, &[(5, 1)], &[(6, 1)])],
    Outcome::Snapshot, BookState::Synced, &[(5, 1)], &[(6, 1)]
)]
fn sequencer_rules(
    #[case] steps: Vec<Step>,
    #[case] last: Outcome,
    #[case] state: BookState,
    #[case] bids: &[(i64, i64)],
    #[case] asks: &[(i64, i64)],
) {
    let mut seq = Sequencer::new(ID);
    let mut out = None;
    for (k, (snap, b, a)) in steps.into_iter().enumerate() {
        out = Some(seq.on_event(&h(snap, k as u64), &levels(b), &levels(a), &mut NullSink));
    }
    assert_eq!(out, Some(last));
    assert_eq!(seq.state(), state);
    let side = |side| -> Vec<(i64, i64)> {
        seq.book()
            .levels(side)
            .map(|l| (l.price.ticks(), l.qty.lots()))
            .collect()
    };
    assert_eq!(side(Side::Buy), bids);
    assert_eq!(side(Side::Sell), asks);
}

#[test]
fn connection_fault_stales_a_synced_book_and_counts_once() {
    let mut s = Sequencer::new(ID);
    s.on_event(&h(true, 0), &[lv(10, 1)], &[lv(11, 1)], &mut NullSink);
    assert_eq!(s.last_update_id(), Some(0));
    let kind = IntegrityFault::SequenceGap {
        expected: 1,
        got: 2,
    };
    let f = s.on_connection_fault(kind, UnixNanos::from_nanos(2), &mut NullSink);
    assert_eq!(f.kind, kind);
    assert_eq!(s.state(), BookState::Stale);
    assert!(s.needs_snapshot());
    assert_eq!(s.last_update_id(), None);
    assert_eq!((s.stats().gaps, s.stats().faults.sequence_gap), (1, 1));
}

#[test]
fn invalidate_stales_only_a_synced_book() {
    let mut s = Sequencer::new(ID);
    s.invalidate();
    assert_eq!(s.state(), BookState::Syncing);
    s.on_event(&h(true, 0), &[lv(10, 1)], &[], &mut NullSink);
    s.invalidate();
    assert_eq!(s.state(), BookState::Stale);
    assert_eq!(s.stats().gaps, 0, "not a fault of the feed");
}
