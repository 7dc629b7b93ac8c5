//! Sequencer tests: every rule of `docs/venues.md` §4.3 and §12 (chain on `prevSeqId`,
//! keep-alive, maintenance reset, non-contiguous steps, duplicates, gaps), the REST join, the
//! checksum, crossed books, full images, and the buffer bounds. Frames go through the real
//! decoder; checksums come from an independent model of the book over decimal maps.

use super::checksum::signed_crc32;
use super::tests::registry;
use super::*;
use crate::feed::integrity::{Fault, IntegrityFault};
use crate::instrument::Registry;
use ladder_sdk::{BookState, InstrumentId, Level, UnixNanos};
use rstest::rstest;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;

/// What the sequencer told its sink.
#[derive(Default)]
struct Log {
    snapshots: Vec<Option<u64>>,
    applied: Vec<(Option<u64>, Option<u64>)>,
    faults: Vec<Fault>,
}

impl SyncSink for Log {
    fn snapshot(&mut self, h: &BookHeader, _: &[Level], _: &[Level]) {
        self.snapshots.push(h.seq_id);
    }
    fn delta(&mut self, h: &BookHeader, _: &[Level], _: &[Level]) {
        self.applied.push((h.prev_seq_id, h.seq_id));
    }
    fn fault(&mut self, _: InstrumentId, fault: Fault) {
        self.faults.push(fault);
    }
}

type Levels<'a> = &'a [(&'a str, &'a str)];

fn levels_json(levels: Levels<'_>) -> String {
    let v: Vec<String> = levels
        .iter()
        .map(|(p, s)| format!(r#"["{p}","{s}","0","1"]"#))
        .collect();
    format!("[{}]", v.join(","))
}

fn snap_frame(seq: u64, bids: Levels<'_>, asks: Levels<'_>, checksum: i32) -> String {
    format!(
        r#"{{"arg":{{"channel":"books","instId":"BTC-USDT"}},"action":"snapshot","data":[{{"asks":{},"bids":{},"ts":"1","checksum":{checksum},"prevSeqId":-1,"seqId":{seq}}}]}}"#,
        levels_json(asks),
        levels_json(bids)
    )
}

fn update_frame(prev: u64, seq: u64, bids: Levels<'_>, asks: Levels<'_>, checksum: i32) -> String {
    format!(
        r#"{{"arg":{{"channel":"books","instId":"BTC-USDT"}},"action":"update","data":[{{"asks":{},"bids":{},"ts":"2","checksum":{checksum},"prevSeqId":{prev},"seqId":{seq}}}]}}"#,
        levels_json(asks),
        levels_json(bids)
    )
}

fn full_frame(seq: u64, bids: Levels<'_>, asks: Levels<'_>) -> String {
    format!(
        r#"{{"arg":{{"channel":"books5","instId":"BTC-USDT"}},"data":[{{"asks":{},"bids":{},"instId":"BTC-USDT","ts":"3","seqId":{seq}}}]}}"#,
        levels_json(asks),
        levels_json(bids)
    )
}

fn rest_body(seq: u64, bids: Levels<'_>, asks: Levels<'_>) -> String {
    format!(
        r#"{{"code":"0","msg":"","data":[{{"asks":{},"bids":{},"ts":"4","seqId":{seq}}}]}}"#,
        levels_json(asks),
        levels_json(bids)
    )
}

/// The book by hand over decimal maps, with the wire text, for the expected checksum.
#[derive(Default, Clone)]
struct Model {
    bids: BTreeMap<Decimal, (String, String)>,
    asks: BTreeMap<Decimal, (String, String)>,
}

impl Model {
    fn set(&mut self, bids: Levels<'_>, asks: Levels<'_>) {
        for (map, levels) in [(&mut self.bids, bids), (&mut self.asks, asks)] {
            for (p, s) in levels {
                let key = Decimal::from_str(p).unwrap();
                if Decimal::from_str(s).unwrap().is_zero() {
                    map.remove(&key);
                } else {
                    map.insert(key, ((*p).to_owned(), (*s).to_owned()));
                }
            }
        }
    }

    fn checksum(&self) -> i32 {
        let bids: Vec<_> = self.bids.values().rev().take(25).collect();
        let asks: Vec<_> = self.asks.values().take(25).collect();
        let mut parts = Vec::new();
        for i in 0..25 {
            for side in [&bids, &asks] {
                if let Some((p, s)) = side.get(i) {
                    parts.push(format!("{p}:{s}"));
                }
            }
        }
        signed_crc32(parts.join(":").as_bytes())
    }
}

/// Decoder, one sequencer and its log, for `BTC-USDT` (tick 0.1, lot 0.001).
struct Harness {
    reg: Registry,
    dec: Decoder,
    seq: Sequencer,
    log: Log,
}

impl Harness {
    fn new() -> Self {
        Self::with_limits(SyncLimits::DEFAULT)
    }

    fn with_limits(limits: SyncLimits) -> Self {
        let reg = registry(&[("BTC-USDT", "0.1", "0.001")]);
        Self {
            seq: Sequencer::with_limits(InstrumentId::new(0), limits),
            reg,
            dec: Decoder::new(),
            log: Log::default(),
        }
    }

    fn send(&mut self, frame: &str) -> Outcome {
        match self
            .dec
            .decode(frame.as_bytes(), UnixNanos::ZERO, &self.reg)
        {
            Ok(Decoded::Book(h)) => self.seq.on_book(
                &h,
                self.dec.bids(),
                self.dec.asks(),
                self.dec.texts(),
                &mut self.log,
            ),
            other => panic!("not a book frame: {other:?}"),
        }
    }

    fn rest(&mut self, body: &str) -> Option<Fault> {
        let Ok(Decoded::Rest(r)) = self.dec.decode(body.as_bytes(), UnixNanos::ZERO, &self.reg)
        else {
            panic!("not a REST body");
        };
        self.dec
            .resolve_rest(self.reg.get(InstrumentId::new(0)))
            .unwrap();
        self.seq.on_rest(
            r.seq_id,
            r.ts_exchange,
            r.ts_recv,
            self.dec.bids(),
            self.dec.asks(),
            self.dec.texts(),
            &mut self.log,
        )
    }

    fn update(&mut self, prev: u64, seq: u64) -> Outcome {
        self.send(&update_frame(prev, seq, &[], &[], 0))
    }

    /// Synced at a WebSocket snapshot at `seq` (bid 100.0, ask 100.5).
    fn synced_at(seq: u64) -> Self {
        let mut h = Self::new();
        let out = h.send(&snap_frame(seq, &[("100.0", "1")], &[("100.5", "1")], 0));
        assert_eq!(out, Outcome::Snapshot);
        h
    }
}

fn gap(expected: u64, got: u64) -> IntegrityFault {
    IntegrityFault::SequenceGap { expected, got }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Applied,
    Duplicate,
    Buffered,
    Fault(IntegrityFault),
}

fn outcome(o: Outcome) -> Want {
    match o {
        Outcome::Applied => Want::Applied,
        Outcome::Duplicate => Want::Duplicate,
        Outcome::Buffered => Want::Buffered,
        Outcome::Fault(f) => Want::Fault(f.kind),
        other => panic!("unexpected {other:?}"),
    }
}

use Want::{Applied, Buffered, Duplicate};

#[rstest]
#[case::chains_on_prev_seq_id(&[(10, 15), (15, 19)], &[Applied, Applied], BookState::Synced, Some(19))]
#[case::keepalive_same_seq_no_levels(&[(10, 15), (15, 15), (15, 16)], &[Applied, Applied, Applied], BookState::Synced, Some(16))]
#[case::doc_chain_with_maintenance_reset(&[(10, 15), (15, 15), (15, 3), (3, 5)], &[Applied, Applied, Applied, Applied], BookState::Synced, Some(5))]
#[case::steps_are_not_contiguous(&[(10, 17), (17, 29), (29, 42), (42, 135)], &[Applied, Applied, Applied, Applied], BookState::Synced, Some(135))]
#[case::exact_repeat_is_a_duplicate(&[(10, 15), (10, 15), (15, 16)], &[Applied, Duplicate, Applied], BookState::Synced, Some(16))]
#[case::prev_seq_id_skips_is_a_gap(&[(10, 15), (16, 20)], &[Applied, Want::Fault(gap(15, 16))], BookState::Stale, None)]
#[case::keepalive_off_the_chain_is_a_gap(&[(10, 15), (14, 14)], &[Applied, Want::Fault(gap(15, 14))], BookState::Stale, None)]
#[case::update_older_than_the_snapshot_is_a_gap(&[(8, 9)], &[Want::Fault(gap(10, 8))], BookState::Stale, None)]
#[case::reset_off_the_chain_is_a_gap(&[(10, 15), (20, 3)], &[Applied, Want::Fault(gap(15, 20))], BookState::Stale, None)]
#[case::after_a_gap_the_chain_is_buffered(&[(10, 15), (16, 20), (20, 22)], &[Applied, Want::Fault(gap(15, 16)), Buffered], BookState::Stale, None)]
#[case::a_break_in_the_buffer_is_another_gap(&[(10, 15), (16, 20), (21, 22)], &[Applied, Want::Fault(gap(15, 16)), Want::Fault(gap(20, 21))], BookState::Stale, None)]
fn updates_after_a_websocket_snapshot_follow_the_prev_seq_id_chain(
    #[case] updates: &[(u64, u64)],
    #[case] want: &[Want],
    #[case] state: BookState,
    #[case] last: Option<u64>,
) {
    let mut h = Harness::synced_at(10);
    let got: Vec<Want> = updates
        .iter()
        .map(|&(p, s)| outcome(h.update(p, s)))
        .collect();
    assert_eq!(got, want);
    assert_eq!(h.seq.state(), state);
    assert_eq!(h.seq.last_update_id(), last);
    assert_eq!(h.seq.needs_snapshot(), state == BookState::Stale);
    let faults = want.iter().filter(|w| matches!(w, Want::Fault(_))).count() as u64;
    assert_eq!(
        (h.seq.stats().gaps, h.log.faults.len() as u64),
        (faults, faults)
    );
}

#[test]
fn gap_then_new_websocket_snapshot_drops_the_older_buffer_and_resyncs() {
    let mut h = Harness::synced_at(10);
    assert_eq!(h.update(10, 15), Outcome::Applied);
    assert!(matches!(h.update(16, 20), Outcome::Fault(_)));
    assert_eq!(h.update(20, 22), Outcome::Buffered);
    assert_eq!(h.seq.pending_range(), Some((16, 22)));
    // The resubscription's snapshot is newer than everything buffered.
    let out = h.send(&snap_frame(30, &[("99.0", "2")], &[("101.0", "1")], 0));
    assert_eq!(out, Outcome::Snapshot);
    assert_eq!(h.seq.state(), BookState::Synced);
    assert_eq!(h.seq.stats().dropped_stale, 2);
    assert_eq!(h.seq.pending_len(), 0);
    assert_eq!(h.update(30, 31), Outcome::Applied);
    // The old book is gone, not merged: one bid, the snapshot's.
    assert_eq!(h.seq.book().len(ladder_sdk::Side::Buy), 1);
}

#[test]
fn keepalive_changes_nothing_and_is_counted_applied() {
    let mut h = Harness::synced_at(10);
    let before = h.seq.texts().checksum(h.seq.book());
    assert_eq!(h.update(10, 10), Outcome::Applied);
    assert_eq!(h.seq.texts().checksum(h.seq.book()), before);
    assert_eq!(
        (h.seq.stats().applied, h.seq.last_update_id()),
        (1, Some(10))
    );
}

#[rstest]
#[case::first_update_chains_exactly_on_the_snapshot(&[(20, 26)], 20, None, (0, 1), Some(26))]
#[case::covered_dropped_then_one_brackets_it(&[(15, 18), (18, 25), (25, 31)], 20, None, (1, 2), Some(31))]
#[case::everything_covered_waits_for_the_next(&[(12, 15), (15, 18)], 20, None, (2, 0), Some(20))]
#[case::covered_keepalive_is_dropped(&[(18, 18), (18, 22)], 20, None, (1, 1), Some(22))]
#[case::reset_right_after_the_snapshot(&[(20, 3), (3, 9)], 20, None, (0, 2), Some(9))]
#[case::snapshot_older_than_the_buffer_is_a_gap(&[(25, 30), (30, 31)], 20, Some(gap(20, 25)), (0, 0), None)]
fn rest_join_drops_covered_updates_and_brackets_the_snapshot(
    #[case] buffered: &[(u64, u64)],
    #[case] snapshot: u64,
    #[case] fault: Option<IntegrityFault>,
    #[case] (dropped, applied): (u64, u64),
    #[case] last: Option<u64>,
) {
    let mut h = Harness::new();
    for &(p, s) in buffered {
        assert_eq!(h.update(p, s), Outcome::Buffered);
    }
    assert_eq!(h.seq.state(), BookState::Syncing);
    let got = h.rest(&rest_body(snapshot, &[("100.0", "1")], &[("100.5", "1")]));
    assert_eq!(got.map(|f| f.kind), fault);
    assert_eq!(
        (h.seq.stats().dropped_stale, h.seq.stats().applied),
        (dropped, applied)
    );
    assert_eq!(h.seq.last_update_id(), last);
    assert_eq!(h.log.snapshots, [Some(snapshot)]);
    if fault.is_some() {
        // The buffer is kept for the next snapshot, which lines up with it.
        assert!(h.seq.needs_snapshot());
        assert_eq!(h.rest(&rest_body(27, &[], &[])), None);
        assert_eq!(h.seq.last_update_id(), Some(31));
    }
}

#[test]
fn rest_join_then_live_updates_that_skip_past_the_snapshot_are_a_gap() {
    let mut h = Harness::new();
    assert_eq!(h.rest(&rest_body(20, &[], &[])), None);
    assert_eq!(h.update(18, 19), Outcome::Dropped);
    assert_eq!(outcome(h.update(22, 25)), Want::Fault(gap(20, 22)));
}

#[test]
fn rest_snapshot_ahead_of_the_stream_is_detected_not_frozen() {
    let limits = SyncLimits {
        max_covered_diffs: 3,
        ..SyncLimits::DEFAULT
    };
    let mut h = Harness::with_limits(limits);
    assert_eq!(h.rest(&rest_body(1_000, &[], &[])), None);
    for s in 1..=3 {
        assert_eq!(h.update(s, s + 1), Outcome::Dropped);
    }
    let out = h.update(4, 5);
    assert_eq!(
        outcome(out),
        Want::Fault(IntegrityFault::SnapshotAhead {
            snapshot: 1_000,
            got: 5
        })
    );
    assert_eq!(h.seq.state(), BookState::Stale);
}

#[test]
fn checksums_are_checked_after_every_message_and_zero_is_not_sent() {
    let mut m = Model::default();
    let (bids, asks) = ([("100.0", "1.500"), ("99.9", "2")], [("100.5", "0.25")]);
    m.set(&bids, &asks);
    let mut h = Harness::new();
    assert_eq!(
        h.send(&snap_frame(10, &bids, &asks, m.checksum())),
        Outcome::Snapshot
    );
    let up = [("99.9", "0"), ("99.8", "3.10")];
    m.set(&up, &[]);
    assert_eq!(
        h.send(&update_frame(10, 11, &up, &[], m.checksum())),
        Outcome::Applied
    );
    // `0`: not sent, not checked, not a mismatch.
    assert_eq!(h.send(&update_frame(11, 12, &[], &[], 0)), Outcome::Applied);
    assert_eq!(h.seq.stats().checksums, 2);
    // The right value for another rendering of the same book ("3.1" for "3.10") is wrong.
    let mut other = m.clone();
    other.set(&[("99.8", "3.1")], &[]);
    let wrong = other.checksum();
    let out = h.send(&update_frame(12, 13, &[], &[], wrong));
    assert_eq!(
        outcome(out),
        Want::Fault(IntegrityFault::ChecksumMismatch {
            expected: i64::from(wrong),
            computed: i64::from(m.checksum())
        })
    );
    assert_eq!(h.seq.state(), BookState::Stale);
    assert_eq!(h.seq.stats().faults.checksum_mismatch, 1);
    assert_eq!(
        h.log.applied.len(),
        2,
        "the mismatching update is not passed on"
    );
}

#[test]
fn snapshot_with_a_wrong_checksum_is_a_fault_and_waits_for_another() {
    let mut h = Harness::new();
    let out = h.send(&snap_frame(
        10,
        &[("100.0", "1")],
        &[("100.5", "1")],
        12_345,
    ));
    assert!(matches!(
        outcome(out),
        Want::Fault(IntegrityFault::ChecksumMismatch { .. })
    ));
    assert!(h.log.snapshots.is_empty());
    assert!(h.seq.needs_snapshot());
}

#[test]
fn buffered_updates_keep_their_wire_text_for_the_checksum_after_a_rest_join() {
    let mut m = Model::default();
    let base = ([("100.0", "1")], [("100.5", "1")]);
    m.set(&base.0, &base.1);
    let mut h = Harness::new();
    let mut frames = Vec::new();
    for (k, (bid, size)) in [("99.5", "0.500"), ("99.6", "7"), ("100.1", "2.25")]
        .iter()
        .enumerate()
    {
        let k = k as u64;
        m.set(&[(bid, size)], &[]);
        frames.push(update_frame(
            20 + k,
            21 + k,
            &[(bid, size)],
            &[],
            m.checksum(),
        ));
    }
    for f in &frames {
        assert_eq!(h.send(f), Outcome::Buffered);
    }
    assert_eq!(h.rest(&rest_body(20, &base.0, &base.1)), None);
    assert_eq!((h.seq.stats().applied, h.seq.stats().checksums), (3, 3));
    assert_eq!(h.seq.state(), BookState::Synced);
}

#[test]
fn crossed_update_is_a_fault_and_not_passed_on() {
    let mut h = Harness::synced_at(10);
    let out = h.send(&update_frame(10, 11, &[("100.5", "1")], &[], 0));
    assert!(matches!(
        outcome(out),
        Want::Fault(IntegrityFault::Crossed { .. })
    ));
    assert!(h.log.applied.is_empty());
    assert_eq!(h.seq.stats().faults.crossed, 1);
    // Not kept: a later snapshot does not replay it.
    assert_eq!(h.seq.pending_len(), 0);
}

#[test]
fn full_images_replace_the_book_and_a_crossed_one_is_a_fault_until_the_next() {
    let mut h = Harness::new();
    let a = full_frame(100, &[("100.0", "1"), ("99.9", "1")], &[("100.1", "1")]);
    assert_eq!(h.send(&a), Outcome::Snapshot);
    let b = full_frame(107, &[("99.8", "1")], &[("100.2", "1")]);
    assert_eq!(h.send(&b), Outcome::Snapshot);
    assert_eq!(h.seq.book().len(ladder_sdk::Side::Buy), 1);
    assert_eq!(h.seq.last_update_id(), Some(107));
    let crossed = full_frame(120, &[("100.3", "1")], &[("100.2", "1")]);
    assert!(matches!(
        outcome(h.send(&crossed)),
        Want::Fault(IntegrityFault::Crossed { .. })
    ));
    assert_eq!(h.seq.state(), BookState::Stale);
    // A later image is a new book: `seqId` may go down (maintenance) without a fault.
    assert_eq!(
        h.send(&full_frame(90, &[("99.0", "1")], &[("99.5", "1")])),
        Outcome::Snapshot
    );
    assert_eq!(h.seq.state(), BookState::Synced);
    assert!(!h.seq.is_incremental());
}

#[test]
fn an_incremental_channel_after_full_images_waits_for_its_snapshot() {
    let mut h = Harness::new();
    h.send(&full_frame(100, &[("100.0", "1")], &[("100.1", "1")]));
    assert_eq!(h.update(100, 101), Outcome::Buffered);
    assert_eq!(h.seq.state(), BookState::Syncing);
    assert!(h.seq.is_incremental());
}

#[test]
fn invalidate_marks_stale_and_the_next_snapshot_resyncs() {
    let mut h = Harness::synced_at(10);
    h.seq.invalidate();
    assert_eq!(h.seq.state(), BookState::Stale);
    assert_eq!(h.update(10, 11), Outcome::Buffered);
    assert_eq!(h.send(&snap_frame(11, &[], &[], 0)), Outcome::Snapshot);
    assert_eq!(
        (h.seq.state(), h.seq.stats().dropped_stale),
        (BookState::Synced, 1)
    );
}

#[test]
fn pending_buffer_is_bounded_in_updates_and_in_text_bytes() {
    let limits = SyncLimits {
        max_pending_diffs: 2,
        ..SyncLimits::DEFAULT
    };
    let mut h = Harness::with_limits(limits);
    for s in 0..5 {
        h.update(s, s + 1);
    }
    assert_eq!(
        (h.seq.pending_len(), h.seq.stats().buffer_overflows),
        (2, 3)
    );
    let limits = SyncLimits {
        max_pending_text: 40,
        ..SyncLimits::DEFAULT
    };
    let mut h = Harness::with_limits(limits);
    let wide = [("99.1", "1.001"), ("99.2", "1.002"), ("99.3", "1.003")];
    for s in 0..3 {
        h.send(&update_frame(s, s + 1, &wide, &[], 0));
    }
    // 27 bytes of text each: only the newest fits.
    assert_eq!(
        (h.seq.pending_len(), h.seq.stats().buffer_overflows),
        (1, 2)
    );
}

#[test]
fn updates_of_recordings_without_seq_ids_apply_in_order() {
    let reg = registry(&[("BTC-USDT", "0.1", "0.001")]);
    let mut dec = Decoder::new();
    let mut seq = Sequencer::new(InstrumentId::new(0));
    let mut log = Log::default();
    for f in [
        r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["100.5","1","0","1"]],"bids":[["100.0","1","0","1"]],"ts":"1","checksum":0}]}"#,
        r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],"bids":[["99.0","1","0","1"]],"ts":"2","checksum":0}]}"#,
    ] {
        let Ok(Decoded::Book(h)) = dec.decode(f.as_bytes(), UnixNanos::ZERO, &reg) else {
            panic!("book frame");
        };
        seq.on_book(&h, dec.bids(), dec.asks(), dec.texts(), &mut log);
    }
    assert_eq!((seq.state(), seq.stats().applied), (BookState::Synced, 1));
    assert_eq!(seq.last_update_id(), None);
}

#[test]
fn rest_owner_is_the_only_instrument_or_the_one_whose_buffer_lines_up() {
    let mk = |id: u32| Sequencer::new(InstrumentId::new(id));
    let one = [mk(0)];
    assert_eq!(rest_owner(5, &one), Some(InstrumentId::new(0)));
    let reg = registry(&[("BTC-USDT", "0.1", "0.001")]);
    let mut dec = Decoder::new();
    let mut waiting = [mk(0), mk(1)];
    for (s, (p, q)) in waiting.iter_mut().zip([(10u64, 20u64), (100, 120)]) {
        let f = update_frame(p, q, &[], &[], 0);
        let Ok(Decoded::Book(h)) = dec.decode(f.as_bytes(), UnixNanos::ZERO, &reg) else {
            panic!("book frame");
        };
        s.on_book(&h, &[], &[], dec.texts(), &mut NullSink);
    }
    assert_eq!(rest_owner(15, &waiting), Some(InstrumentId::new(0)));
    assert_eq!(rest_owner(110, &waiting), Some(InstrumentId::new(1)));
    assert_eq!(rest_owner(500, &waiting), None);
}
