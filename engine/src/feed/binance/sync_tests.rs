//! Sequencer tests: the venue rules on hand-made ids, every way ids can misbehave (each ends in
//! a counted fault and a stale book, or a counted duplicate), crossed books, the pending-buffer
//! bounds, and the real recorded vectors.

use super::tests::{lvl, registry};
use super::*;
use crate::capture::{CaptureReader, Next};
use crate::feed::integrity::{Fault, IntegrityFault};
use crate::instrument::Registry;
use crate::testutil::shared;
use ladder_sdk::{BookState, InstrumentId, InstrumentSpec, Level, Side, UnixNanos};
use rstest::rstest;
use rust_decimal::Decimal;

/// Records what the sequencer decided.
#[derive(Default)]
struct Log {
    snapshots: Vec<u64>,
    applied: Vec<(u64, u64)>,
    faults: Vec<Fault>,
}

impl SyncSink for Log {
    fn snapshot(&mut self, _: InstrumentId, last: u64, _: &[Level], _: &[Level]) {
        self.snapshots.push(last);
    }
    fn delta(&mut self, h: &DepthHeader, _: &[Level], _: &[Level]) {
        self.applied.push((h.first_id, h.last_id));
    }
    fn fault(&mut self, _: InstrumentId, fault: Fault) {
        self.faults.push(fault);
    }
}

fn hdr(first: u64, last: u64, pu: Option<u64>) -> DepthHeader {
    DepthHeader {
        instrument: InstrumentId::new(0),
        first_id: first,
        last_id: last,
        prev_last_id: pu,
        ts_exchange: UnixNanos::ZERO,
        ts_recv: UnixNanos::ZERO,
    }
}

fn at(mut h: DepthHeader, ts_ns: u64) -> DepthHeader {
    h.ts_recv = UnixNanos::from_nanos(ts_ns);
    h
}

fn seq(rule: SyncRule) -> Sequencer {
    Sequencer::new(InstrumentId::new(0), rule)
}

fn fault_kind(o: DepthOutcome) -> IntegrityFault {
    match o {
        DepthOutcome::Fault(f) => f.kind,
        other => panic!("expected a fault, got {other:?}"),
    }
}

/// A synced sequencer: snapshot at 100 (bid 10, ask 20), nothing applied yet.
fn synced_at_100(rule: SyncRule, log: &mut Log) -> Sequencer {
    let mut s = seq(rule);
    assert_eq!(s.on_snapshot(100, &[lvl(10, 1)], &[lvl(20, 1)], log), None);
    s
}

#[test]
fn spot_sync_accepts_first_diff_starting_at_l_plus_one() {
    // NKNUSDT case: L = 752; the diff 750..752 is dropped, 753..754 starts at L+1.
    let mut s = seq(SyncRule::Spot);
    let mut log = Log::default();
    assert_eq!(
        s.on_depth(&hdr(750, 752, None), &[], &[], &mut log),
        DepthOutcome::Buffered
    );
    assert_eq!(s.on_snapshot(752, &[], &[], &mut log), None);
    assert_eq!(
        s.on_depth(&hdr(753, 754, None), &[], &[], &mut log),
        DepthOutcome::Applied
    );
    assert_eq!(
        s.on_depth(&hdr(755, 760, None), &[], &[], &mut log),
        DepthOutcome::Applied
    );
    assert_eq!(
        (s.stats().dropped_stale, s.stats().applied, s.stats().gaps),
        (1, 2, 0)
    );
    assert_eq!(s.state(), BookState::Synced);
}

#[test]
fn spot_sync_gap_marks_stale_and_resyncs_from_next_snapshot() {
    let mut s = seq(SyncRule::Spot);
    let mut log = Log::default();
    s.on_snapshot(100, &[], &[], &mut log);
    assert_eq!(
        s.on_depth(&hdr(95, 105, None), &[], &[], &mut log),
        DepthOutcome::Applied
    );
    let out = s.on_depth(&at(hdr(107, 110, None), 9), &[], &[], &mut log);
    assert_eq!(
        out,
        DepthOutcome::Fault(Fault {
            kind: IntegrityFault::SequenceGap {
                expected: 106,
                got: 107
            },
            ts_recv: UnixNanos::from_nanos(9),
        })
    );
    assert_eq!(s.state(), BookState::Stale);
    assert!(s.needs_snapshot());
    assert_eq!(
        s.on_depth(&hdr(111, 115, None), &[], &[], &mut log),
        DepthOutcome::Buffered
    );
    // A new snapshot at 112: 107..110 is dropped, 111..115 brackets 113.
    assert_eq!(s.on_snapshot(112, &[], &[], &mut log), None);
    assert_eq!(s.state(), BookState::Synced);
    assert_eq!(log.applied, vec![(95, 105), (111, 115)]);
    assert_eq!((s.stats().gaps, s.stats().faults.sequence_gap), (1, 1));
}

#[test]
fn spot_sync_snapshot_too_old_is_a_gap_and_keeps_buffer() {
    let mut s = seq(SyncRule::Spot);
    let mut log = Log::default();
    s.on_depth(&hdr(200, 210, None), &[], &[], &mut log);
    s.on_depth(&hdr(211, 220, None), &[], &[], &mut log);
    let fault = s
        .on_snapshot(150, &[], &[], &mut log)
        .expect("snapshot older than the buffer");
    assert_eq!(
        fault.kind,
        IntegrityFault::SequenceGap {
            expected: 151,
            got: 200
        }
    );
    assert!(s.needs_snapshot());
    assert_eq!(s.pending_range(), Some((200, 220)));
    assert_eq!(s.on_snapshot(205, &[], &[], &mut log), None);
    assert_eq!(log.applied, vec![(200, 210), (211, 220)]);
}

#[test]
fn futures_sync_uses_pu_not_u_plus_one() {
    let mut s = seq(SyncRule::Futures);
    let mut log = Log::default();
    for (u0, u1, pu) in [(90, 99, 80), (100, 120, 99)] {
        s.on_depth(&hdr(u0, u1, Some(pu)), &[], &[], &mut log);
    }
    // L = 99: the first diff brackets it (U <= L <= u) and is applied, not dropped.
    assert_eq!(s.on_snapshot(99, &[], &[], &mut log), None);
    assert_eq!(log.applied, vec![(90, 99), (100, 120)]);
    // U skips ids on futures: 130 != 121 is fine while pu == 120.
    assert_eq!(
        s.on_depth(&hdr(130, 140, Some(120)), &[], &[], &mut log),
        DepthOutcome::Applied
    );
    assert_eq!(
        fault_kind(s.on_depth(&hdr(150, 160, Some(145)), &[], &[], &mut log)),
        IntegrityFault::SequenceGap {
            expected: 140,
            got: 145
        }
    );
}

#[test]
fn futures_sync_drops_u_below_l_only() {
    let mut s = seq(SyncRule::Futures);
    let mut log = Log::default();
    s.on_snapshot(100, &[], &[], &mut log);
    assert_eq!(
        s.on_depth(&hdr(80, 99, Some(70)), &[], &[], &mut log),
        DepthOutcome::Dropped
    );
    assert_eq!(
        s.on_depth(&hdr(100, 110, Some(99)), &[], &[], &mut log),
        DepthOutcome::Applied
    );
}

/// Issue 9, reproducer 1, through the decoder: an oversized `u` is applied (it continues the
/// snapshot), and the next diff, which cannot follow it, ends in a fault and a stale book, not
/// in a synced book that drops everything as "stale".
#[test]
fn oversized_u_then_next_diff_is_ids_backward_and_stale() {
    let reg = registry("XUSDT", "0.01", "0.1");
    let mut d = Decoder::new(crate::feed::Venue::BinanceSpot);
    let mut s = seq(SyncRule::Spot);
    let mut log = Log::default();
    let frames = [
        r#"{"lastUpdateId":100,"bids":[["10.00","1.0"]],"asks":[["11.00","1.0"]]}"#,
        r#"{"e":"depthUpdate","E":1,"s":"XUSDT","U":101,"u":18446744073709551615,"b":[],"a":[]}"#,
        r#"{"e":"depthUpdate","E":1,"s":"XUSDT","U":102,"u":102,"b":[["10.50","2.0"]],"a":[]}"#,
    ];
    let mut outcomes = Vec::new();
    for f in frames {
        match d.decode(f.as_bytes(), UnixNanos::ZERO, &reg).unwrap() {
            Decoded::Snapshot(_) => {
                d.resolve_snapshot(reg.get(InstrumentId::new(0))).unwrap();
                assert_eq!(s.on_snapshot(100, d.bids(), d.asks(), &mut log), None);
            }
            Decoded::Depth(h) => outcomes.push(s.on_depth(&h, d.bids(), d.asks(), &mut log)),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(outcomes[0], DepthOutcome::Applied);
    assert_eq!(
        fault_kind(outcomes[1]),
        IntegrityFault::IdsBackward {
            last: u64::MAX,
            got: 102
        }
    );
    assert_eq!(s.state(), BookState::Stale);
    assert!(s.needs_snapshot());
    assert_eq!((s.stats().gaps, s.stats().faults.ids_backward), (1, 1));
    assert_eq!(log.faults.len(), 1, "the sink is told");
}

/// Issue 9: a snapshot with `lastUpdateId = 2^64-1` covers every diff. Past the bound (in
/// diffs, or in receive time after the first covered one) it is a fault, not a frozen book.
#[rstest]
#[case::by_count(1_001, 0)]
#[case::by_receive_time(2, 10_000_000_001)]
fn snapshot_at_u64_max_is_snapshot_ahead_after_the_bound(
    #[case] diffs: u64,
    #[case] last_ts_ns: u64,
) {
    let mut s = seq(SyncRule::Spot);
    let mut log = Log::default();
    assert_eq!(s.on_snapshot(u64::MAX, &[], &[], &mut log), None);
    let mut outcomes = Vec::new();
    for i in 0..diffs {
        let ts = if i + 1 == diffs { last_ts_ns } else { 0 };
        let h = at(hdr(101 + i, 101 + i, None), ts);
        outcomes.push(s.on_depth(&h, &[], &[], &mut log));
    }
    let (last, before) = outcomes.split_last().unwrap();
    assert!(before.iter().all(|o| *o == DepthOutcome::Dropped));
    assert_eq!(
        fault_kind(*last),
        IntegrityFault::SnapshotAhead {
            snapshot: u64::MAX,
            got: 100 + diffs
        }
    );
    assert_eq!(s.state(), BookState::Stale);
    assert_eq!(s.stats().faults.snapshot_ahead, 1);
    // The diff that showed it is kept: a snapshot that the stream does reach syncs at once.
    assert_eq!(s.on_snapshot(100 + diffs - 1, &[], &[], &mut log), None);
    assert_eq!(s.state(), BookState::Synced);
}

#[rstest]
#[case::spot(SyncRule::Spot)]
#[case::futures(SyncRule::Futures)]
fn snapshot_ahead_does_not_count_the_buffered_diffs_it_covers(#[case] rule: SyncRule) {
    let limits = SyncLimits {
        max_covered_diffs: 3,
        ..SyncLimits::DEFAULT
    };
    let mut s = Sequencer::with_limits(InstrumentId::new(0), rule, limits);
    let mut log = Log::default();
    for i in 0..10 {
        s.on_depth(
            &hdr(i * 10 + 1, i * 10 + 10, Some(i * 10)),
            &[],
            &[],
            &mut log,
        );
    }
    // Ten buffered diffs all covered by the snapshot: dropped, no fault.
    assert_eq!(s.on_snapshot(500, &[], &[], &mut log), None);
    assert_eq!(s.stats().dropped_stale, 10);
    // Three more arrive after it, still covered: allowed; the fourth is one too many.
    for i in 10..13 {
        let h = hdr(i * 10 + 1, i * 10 + 10, Some(i * 10));
        assert_eq!(s.on_depth(&h, &[], &[], &mut log), DepthOutcome::Dropped);
    }
    let h = hdr(131, 140, Some(130));
    assert!(matches!(
        fault_kind(s.on_depth(&h, &[], &[], &mut log)),
        IntegrityFault::SnapshotAhead { snapshot: 500, .. }
    ));
}

/// Issue 9: update ids reset mid-stream (below the book's id) is a fault, never a silent drop.
#[rstest]
#[case::spot_reset_to_one(SyncRule::Spot, hdr(1, 5, None), IntegrityFault::IdsBackward { last: 210, got: 5 })]
#[case::spot_shift_down(SyncRule::Spot, hdr(211 - 100, 220 - 100, None), IntegrityFault::IdsBackward { last: 210, got: 120 })]
#[case::spot_replay_of_an_older_diff(SyncRule::Spot, hdr(101, 200, None), IntegrityFault::IdsBackward { last: 210, got: 200 })]
#[case::spot_overlap(SyncRule::Spot, hdr(205, 230, None), IntegrityFault::SequenceGap { expected: 211, got: 205 })]
#[case::spot_skip(SyncRule::Spot, hdr(212, 230, None), IntegrityFault::SequenceGap { expected: 211, got: 212 })]
#[case::futures_reset(SyncRule::Futures, hdr(1, 5, Some(0)), IntegrityFault::IdsBackward { last: 210, got: 5 })]
#[case::futures_pu_matches_but_u_goes_back(SyncRule::Futures, hdr(150, 209, Some(210)), IntegrityFault::IdsBackward { last: 210, got: 209 })]
#[case::futures_pu_break(SyncRule::Futures, hdr(300, 400, Some(250)), IntegrityFault::SequenceGap { expected: 210, got: 250 })]
fn synced_diff_that_does_not_continue_is_a_fault_and_stale(
    #[case] rule: SyncRule,
    #[case] bad: DepthHeader,
    #[case] want: IntegrityFault,
) {
    let mut log = Log::default();
    let mut s = synced_at_100(rule, &mut log);
    assert_eq!(
        s.on_depth(&hdr(100, 200, Some(99)), &[], &[], &mut log),
        DepthOutcome::Applied
    );
    assert_eq!(
        s.on_depth(&hdr(201, 210, Some(200)), &[], &[], &mut log),
        DepthOutcome::Applied
    );
    assert_eq!(fault_kind(s.on_depth(&bad, &[], &[], &mut log)), want);
    assert_eq!(s.state(), BookState::Stale);
    assert_eq!(s.stats().gaps, 1);
    assert_eq!(s.stats().faults.total(), 1);
}

/// Issue 9: futures diffs with `U > u` used to be applied; both rules fault on them now, and
/// the diff is not kept for the next snapshot (it could never be applied).
#[rstest]
#[case::spot_first_after_snapshot(SyncRule::Spot, false)]
#[case::futures_first_after_snapshot(SyncRule::Futures, false)]
#[case::spot_synced(SyncRule::Spot, true)]
#[case::futures_synced(SyncRule::Futures, true)]
fn diff_with_first_id_above_last_is_ids_reversed(#[case] rule: SyncRule, #[case] synced: bool) {
    let mut log = Log::default();
    let mut s = synced_at_100(rule, &mut log);
    let mut prev = 100;
    if synced {
        let first = hdr(100, 110, Some(99));
        assert_eq!(
            s.on_depth(&first, &[], &[], &mut log),
            DepthOutcome::Applied
        );
        prev = 110;
    }
    let bad = hdr(prev + 5, prev + 1, Some(prev));
    assert_eq!(
        fault_kind(s.on_depth(&bad, &[], &[], &mut log)),
        IntegrityFault::IdsReversed {
            first: prev + 5,
            last: prev + 1
        }
    );
    assert_eq!(s.state(), BookState::Stale);
    assert_eq!(s.pending_range(), None, "not kept");
}

#[test]
fn reversed_diff_while_waiting_for_a_snapshot_is_counted_not_buffered() {
    let mut s = seq(SyncRule::Futures);
    let mut log = Log::default();
    s.on_depth(&hdr(10, 20, Some(9)), &[], &[], &mut log);
    assert!(matches!(
        fault_kind(s.on_depth(&hdr(30, 21, Some(20)), &[], &[], &mut log)),
        IntegrityFault::IdsReversed { .. }
    ));
    assert_eq!(s.pending_range(), Some((10, 20)));
    assert_eq!(s.stats().faults.ids_reversed, 1);
}

/// A diff identical in (`U`, `u`) to the last applied one is a counted duplicate: dropped, the
/// book is unchanged and still synced. A repeat of an earlier diff is not a duplicate.
#[rstest]
#[case::spot(SyncRule::Spot)]
#[case::futures(SyncRule::Futures)]
fn repeat_of_the_last_applied_diff_is_a_counted_duplicate(#[case] rule: SyncRule) {
    let mut log = Log::default();
    let mut s = synced_at_100(rule, &mut log);
    let a = hdr(100, 110, Some(99));
    let b = hdr(111, 120, Some(110));
    assert_eq!(
        s.on_depth(&a, &[lvl(11, 5)], &[], &mut log),
        DepthOutcome::Applied
    );
    // The repeat carries other levels: they must not be applied.
    assert_eq!(
        s.on_depth(&a, &[lvl(12, 5)], &[], &mut log),
        DepthOutcome::Duplicate
    );
    assert_eq!(s.book().best_bid(), Some(lvl(11, 5)));
    assert_eq!((s.state(), s.stats().duplicates), (BookState::Synced, 1));
    assert_eq!(s.on_depth(&b, &[], &[], &mut log), DepthOutcome::Applied);
    assert!(matches!(
        fault_kind(s.on_depth(&a, &[], &[], &mut log)),
        IntegrityFault::IdsBackward {
            last: 120,
            got: 110
        }
    ));
    assert_eq!(s.stats().gaps, 1);
}

#[test]
fn book_at_u64_max_repeats_are_duplicates_and_anything_else_is_a_fault() {
    let mut log = Log::default();
    let mut s = synced_at_100(SyncRule::Spot, &mut log);
    let top = hdr(101, u64::MAX, None);
    assert_eq!(s.on_depth(&top, &[], &[], &mut log), DepthOutcome::Applied);
    assert_eq!(
        s.on_depth(&top, &[], &[], &mut log),
        DepthOutcome::Duplicate
    );
    assert!(matches!(
        fault_kind(s.on_depth(&hdr(u64::MAX, u64::MAX, None), &[], &[], &mut log)),
        IntegrityFault::IdsBackward { .. }
    ));
}

/// Issue 9, defect 2: a crossed or locked book after a complete message is a fault; the diff is
/// not passed on and the book is stale until a snapshot.
#[rstest]
#[case::crossed_by_bid(vec![lvl(25, 1)], vec![], 25, 20)]
#[case::locked(vec![lvl(20, 1)], vec![], 20, 20)]
#[case::crossed_by_ask(vec![], vec![lvl(5, 1)], 10, 5)]
#[case::best_ask_removed_above_bid(vec![lvl(15, 1)], vec![lvl(20, 0), lvl(12, 3)], 15, 12)]
fn diff_leaving_a_crossed_book_is_a_crossed_fault(
    #[case] bids: Vec<Level>,
    #[case] asks: Vec<Level>,
    #[case] bid: i64,
    #[case] ask: i64,
) {
    let mut log = Log::default();
    let mut s = synced_at_100(SyncRule::Spot, &mut log);
    let out = s.on_depth(&hdr(101, 102, None), &bids, &asks, &mut log);
    assert_eq!(fault_kind(out), IntegrityFault::Crossed { bid, ask });
    assert_eq!(s.state(), BookState::Stale);
    assert!(
        log.applied.is_empty(),
        "a crossing diff never reaches the sink"
    );
    assert_eq!((s.stats().faults.crossed, s.stats().gaps), (1, 1));
    // A fresh snapshot replaces the bad book.
    assert_eq!(
        s.on_snapshot(200, &[lvl(10, 1)], &[lvl(11, 1)], &mut log),
        None
    );
    assert_eq!(s.state(), BookState::Synced);
    assert_eq!(s.book().best_ask(), Some(lvl(11, 1)));
    assert_eq!(s.book().len(Side::Buy), 1);
}

#[test]
fn diff_that_only_crosses_midway_is_fine_after_the_complete_message() {
    let mut log = Log::default();
    let mut s = synced_at_100(SyncRule::Spot, &mut log);
    // The new bid at 22 crosses the old ask at 20 until the asks of the same message move.
    let out = s.on_depth(
        &hdr(101, 102, None),
        &[lvl(22, 1)],
        &[lvl(20, 0), lvl(23, 1)],
        &mut log,
    );
    assert_eq!(out, DepthOutcome::Applied);
    assert_eq!(s.state(), BookState::Synced);
}

#[test]
fn crossed_snapshot_is_refused_and_another_is_needed() {
    let mut log = Log::default();
    let mut s = seq(SyncRule::Futures);
    s.on_depth(&hdr(95, 105, Some(90)), &[], &[], &mut log);
    let fault = s
        .on_snapshot(100, &[lvl(30, 1)], &[lvl(20, 1)], &mut log)
        .expect("crossed snapshot");
    assert_eq!(fault.kind, IntegrityFault::Crossed { bid: 30, ask: 20 });
    assert!(log.snapshots.is_empty(), "the sink never sees it");
    assert!(s.needs_snapshot());
    assert_eq!(s.pending_range(), Some((95, 105)), "buffered diffs kept");
    assert_eq!(
        s.on_snapshot(100, &[lvl(10, 1)], &[lvl(20, 1)], &mut log),
        None
    );
    assert_eq!(log.applied, vec![(95, 105)]);
}

/// While waiting for a snapshot the buffer holds one chain: after an id reset no snapshot
/// could line up with the diffs before it and the ones after, so the older ones go (and the
/// break is counted); a repeat of the newest buffered diff is a duplicate.
#[test]
fn buffered_diff_that_breaks_the_chain_is_a_fault_and_drops_the_older_ones() {
    let mut s = seq(SyncRule::Spot);
    let mut log = Log::default();
    s.on_depth(&hdr(10, 20, None), &[], &[], &mut log);
    s.on_depth(&hdr(21, 30, None), &[], &[], &mut log);
    assert_eq!(
        s.on_depth(&hdr(21, 30, None), &[], &[], &mut log),
        DepthOutcome::Duplicate
    );
    assert_eq!(
        fault_kind(s.on_depth(&hdr(1, 5, None), &[], &[], &mut log)),
        IntegrityFault::IdsBackward { last: 30, got: 5 }
    );
    assert_eq!(s.pending_range(), Some((1, 5)));
    assert_eq!(
        s.on_depth(&hdr(6, 9, None), &[], &[], &mut log),
        DepthOutcome::Buffered
    );
    assert_eq!(s.on_snapshot(3, &[], &[], &mut log), None);
    assert_eq!(log.applied, vec![(1, 5), (6, 9)]);
    assert_eq!(s.state(), BookState::Synced);
    assert_eq!((s.stats().duplicates, s.stats().gaps), (1, 1));
}

#[test]
fn pending_buffer_is_bounded_in_levels_and_counts_what_it_discards() {
    let limits = SyncLimits {
        max_pending_levels: 100,
        ..SyncLimits::DEFAULT
    };
    let mut s = Sequencer::with_limits(InstrumentId::new(0), SyncRule::Spot, limits);
    let mut log = Log::default();
    let levels: Vec<Level> = (1..=30).map(|p| lvl(p, 1)).collect();
    for i in 0..10 {
        s.on_depth(&hdr(i * 10, i * 10 + 9, None), &levels, &[], &mut log);
    }
    // 30 levels each, at most 100 held: the newest three diffs.
    assert_eq!(s.stats().buffer_overflows, 7);
    assert_eq!(s.pending_range(), Some((70, 99)));
    assert!(s.pending_bytes() < 1_000 * 16, "{}", s.pending_bytes());
}

#[test]
fn pending_buffer_is_bounded_in_count() {
    let limits = SyncLimits {
        max_pending_diffs: 2,
        ..SyncLimits::DEFAULT
    };
    let mut s = Sequencer::with_limits(InstrumentId::new(0), SyncRule::Spot, limits);
    let mut log = Log::default();
    for i in 0..5 {
        s.on_depth(&hdr(i * 10, i * 10 + 9, None), &[], &[], &mut log);
    }
    assert_eq!(s.stats().buffer_overflows, 3);
    assert_eq!(s.pending_range(), Some((30, 49)));
}

#[test]
fn pending_buffer_gives_its_memory_back_after_the_snapshot() {
    let mut s = seq(SyncRule::Spot);
    let mut log = Log::default();
    let levels: Vec<Level> = (1..=200).map(|p| lvl(p, 1)).collect();
    for i in 0..1_000 {
        s.on_depth(&hdr(i * 10 + 1, i * 10 + 10, None), &levels, &[], &mut log);
    }
    assert!(s.pending_bytes() >= 1_000 * 200 * 16);
    assert_eq!(s.on_snapshot(9_995, &[], &[lvl(1_000, 1)], &mut log), None);
    assert_eq!(s.state(), BookState::Synced);
    assert!(s.pending_bytes() <= 128 * 1024, "{}", s.pending_bytes());
}

/// Runs a capture vector through decoder and sequencer, returning the stats.
fn replay_vector(rel: &str, rule: SyncRule, tick: &str, lot: &str) -> Option<(SyncStats, u64)> {
    let path = shared(rel)?;
    let reg = registry("BTCUSDT", tick, lot);
    let mut d = Decoder::new(crate::feed::Venue::BinanceSpot);
    let mut s = seq(rule);
    let mut log = Log::default();
    let mut trades = 0;
    let mut r = CaptureReader::open(path).unwrap();
    while let Some(Next::Line(l)) = r.next_line().unwrap() {
        match d.decode(l.frame, l.ts_recv, &reg).unwrap() {
            Decoded::Depth(h) => {
                s.on_depth(&h, d.bids(), d.asks(), &mut log);
            }
            Decoded::Snapshot(sh) => {
                d.resolve_snapshot(reg.get(InstrumentId::new(0))).unwrap();
                assert_eq!(
                    s.on_snapshot(sh.last_update_id, d.bids(), d.asks(), &mut log),
                    None
                );
            }
            Decoded::Trade(_) => trades += 1,
            _ => {}
        }
    }
    assert_eq!(s.state(), BookState::Synced);
    Some((*s.stats(), trades))
}

#[test]
fn spot_vector_syncs_with_zero_gaps() {
    let Some((stats, trades)) = replay_vector(
        "vectors/binance/hftbacktest_spot_btcusdt_20240808_first1000.txt",
        SyncRule::Spot,
        "0.01",
        "0.00001",
    ) else {
        return;
    };
    assert_eq!(
        (stats.dropped_stale, stats.applied, stats.gaps, trades),
        (2, 86, 0, 152)
    );
    assert_eq!(stats.duplicates, 0);
}

#[test]
fn usdm_vector_syncs_with_zero_pu_gaps() {
    let Some((stats, trades)) = replay_vector(
        "vectors/binance/hftbacktest_usdm_btcusdt_20240808_first1000.txt",
        SyncRule::Futures,
        "0.1",
        "0.001",
    ) else {
        return;
    };
    assert_eq!(
        (stats.dropped_stale, stats.applied, stats.gaps, trades),
        (4, 91, 0, 153)
    );
}
/// The cryptofeed recording: `<ts>: <frame>` lines, four symbols, REST snapshots in a second
/// file. All four must sync with zero gaps; NKNUSDT's first applied diff starts at `L + 1`.
#[test]
fn cryptofeed_spot_vector_four_symbols_sync_including_l_plus_one_edge() {
    let (Some(ws), Some(http)) = (
        shared("vectors/binance/cryptofeed_BINANCE.ws.1.0"),
        shared("vectors/binance/cryptofeed_BINANCE.http.0.0"),
    ) else {
        return;
    };
    let ws = std::fs::read_to_string(ws).unwrap();
    let http = std::fs::read_to_string(http).unwrap();
    // Frames with fractional-second timestamps; REST bodies keyed by symbol.
    let mut frames: Vec<(f64, String, Option<String>)> = Vec::new();
    for line in ws.lines().skip(1) {
        if let Some((ts, frame)) = line.split_once(": ")
            && let Ok(ts) = ts.parse::<f64>()
        {
            frames.push((ts, frame.to_owned(), None));
        }
    }
    for line in http.lines().filter(|l| !l.trim().is_empty()) {
        let (head, body) = line.split_once(": ").unwrap();
        let sym = head
            .split("symbol=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .to_owned();
        let ts: f64 = head.rsplit(' ').next().unwrap().parse().unwrap();
        frames.push((ts, body.to_owned(), Some(sym)));
    }
    frames.sort_by(|a, b| a.0.total_cmp(&b.0));
    let symbols = ["NKNUSDT", "BLZETH", "LRCBTC", "RUNEEUR"];
    let mut reg = Registry::new();
    for s in symbols {
        // Finest grids these symbols use in the recording.
        reg.add(
            crate::feed::Venue::BinanceSpot,
            s,
            InstrumentSpec::new(Decimal::new(1, 8), Decimal::new(1, 8)).unwrap(),
        )
        .unwrap();
    }
    let mut seqs: Vec<Sequencer> = reg
        .iter()
        .map(|i| Sequencer::new(i.id, SyncRule::Spot))
        .collect();
    let mut d = Decoder::new(crate::feed::Venue::BinanceSpot);
    let mut logs: Vec<Log> = symbols.iter().map(|_| Log::default()).collect();
    for (_, frame, rest_symbol) in &frames {
        match d.decode(frame.as_bytes(), UnixNanos::ZERO, &reg).unwrap() {
            Decoded::Depth(h) => {
                let i = h.instrument.index();
                seqs[i].on_depth(&h, d.bids(), d.asks(), &mut logs[i]);
            }
            Decoded::Snapshot(sh) => {
                let inst = reg
                    .lookup(
                        crate::feed::Venue::BinanceSpot,
                        rest_symbol.as_deref().unwrap().as_bytes(),
                    )
                    .unwrap()
                    .clone();
                d.resolve_snapshot(&inst).unwrap();
                let i = inst.id.index();
                assert_eq!(
                    seqs[i].on_snapshot(sh.last_update_id, d.bids(), d.asks(), &mut logs[i]),
                    None
                );
            }
            _ => {}
        }
    }
    for (s, log) in seqs.iter().zip(&logs) {
        assert_eq!(s.stats().gaps, 0, "{:?}", s.instrument());
        assert_eq!(s.state(), BookState::Synced);
        assert!(s.stats().applied > 0);
        assert_eq!(log.snapshots.len(), 1);
    }
    let nkn = &logs[0];
    assert_eq!(nkn.snapshots[0], 499_869_752);
    assert_eq!(
        nkn.applied[0].0, 499_869_753,
        "first applied NKNUSDT diff starts at L + 1"
    );
}

#[test]
fn snapshot_owner_picks_the_only_instrument_or_the_one_whose_buffer_lines_up() {
    let mut log = Log::default();
    let seq = |i: u32| Sequencer::new(InstrumentId::new(i), SyncRule::Spot);
    let only = [seq(0)];
    assert_eq!(sync::snapshot_owner(5, &only), Some(InstrumentId::new(0)));
    let (mut a, mut b) = (seq(0), seq(1));
    a.on_depth(&hdr(100, 110, None), &[], &[], &mut log);
    let mut h = hdr(5_000, 5_010, None);
    h.instrument = InstrumentId::new(1);
    b.on_depth(&h, &[], &[], &mut log);
    assert_eq!(
        sync::snapshot_owner(105, [&a, &b]),
        Some(InstrumentId::new(0))
    );
    assert_eq!(
        sync::snapshot_owner(5_004, [&a, &b]),
        Some(InstrumentId::new(1))
    );
    assert_eq!(
        sync::snapshot_owner(50, [&a, &b]),
        None,
        "lines up with neither"
    );
    let mut c = seq(2);
    let mut h = hdr(100, 110, None);
    h.instrument = InstrumentId::new(2);
    c.on_depth(&h, &[], &[], &mut log);
    assert_eq!(sync::snapshot_owner(105, [&a, &b, &c]), None, "ambiguous");
}
