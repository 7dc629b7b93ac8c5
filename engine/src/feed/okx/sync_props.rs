//! Model-based property test of the sequencer.
//!
//! The model is the venue's true book: a random stream of messages (levels set, keep-alives),
//! each with a `seqId` that rises by a random step and now and then resets to a fresh range
//! below (maintenance), chained on `prevSeqId`, and carrying the true checksum of the book
//! after it or `0`. What is delivered is that stream with drops, duplicates, reorders,
//! corrupted sizes (only on messages that carry a checksum: without one a changed size cannot
//! be seen by anyone), snapshots of the stream, REST snapshots a little before or after the
//! delivery point, and invalidations. Each message's true position rides in its `ts`.
//!
//! After every delivery:
//! - **exact or stale**: while the sequencer says `Synced`, its book equals the true book at
//!   the position of the last message it emitted; `Stale` only after a counted fault;
//! - the faults counted equal the faults the sink was told.
//!
//! At the end a snapshot of the stream brings the book back, equal to the true final book.

use super::checksum::signed_crc32;
use super::tests::registry;
use super::*;
use crate::feed::integrity::Fault;
use crate::instrument::Registry;
use ladder_sdk::{BookState, InstrumentId, Level, Side, UnixNanos};
use proptest::prelude::*;
use std::collections::BTreeMap;

type Book = BTreeMap<(bool, i64), i64>;

/// A raw message: `(is_bid, price, qty)` levels, a `seqId` step, a maintenance reset.
type RawMsg = (Vec<(bool, u8, u8)>, u8, bool);

struct Msg {
    prev: u64,
    seq: u64,
    levels: Vec<(bool, i64, i64)>,
}

struct Truth {
    /// `books[k]`: the book after `k` messages.
    books: Vec<Book>,
    /// `seqs[k]`: the `seqId` the book is at after `k` messages.
    seqs: Vec<u64>,
    msgs: Vec<Msg>,
}

impl Truth {
    fn new(raw: &[RawMsg]) -> Self {
        let mut seq = 1u64 << 40;
        let mut floor = seq;
        let (mut books, mut seqs, mut msgs) = (vec![Book::new()], vec![seq], Vec::new());
        for (levels, step, reset) in raw {
            let prev = seq;
            seq = if *reset {
                floor -= 1 << 20;
                floor
            } else if levels.is_empty() {
                seq
            } else {
                seq + 1 + u64::from(*step % 50)
            };
            let levels: Vec<(bool, i64, i64)> = levels
                .iter()
                .map(|&(bid, p, q)| {
                    (
                        bid,
                        1 + i64::from(p % 20) + if bid { 0 } else { 20 },
                        i64::from(q % 4),
                    )
                })
                .collect();
            let mut b = books.last().cloned().unwrap_or_default();
            for &(bid, p, q) in &levels {
                if q == 0 {
                    b.remove(&(bid, p));
                } else {
                    b.insert((bid, p), q);
                }
            }
            books.push(b);
            seqs.push(seq);
            msgs.push(Msg { prev, seq, levels });
        }
        Self { books, seqs, msgs }
    }
}

fn levels_json(book_levels: impl Iterator<Item = (i64, i64)>) -> String {
    let v: Vec<String> = book_levels
        .map(|(p, q)| format!(r#"["{p}","{q}","0","1"]"#))
        .collect();
    format!("[{}]", v.join(","))
}

fn checksum(book: &Book) -> i32 {
    let bids: Vec<_> = book
        .iter()
        .rev()
        .filter(|((b, _), _)| *b)
        .take(25)
        .collect();
    let asks: Vec<_> = book.iter().filter(|((b, _), _)| !*b).take(25).collect();
    let mut parts = Vec::new();
    for i in 0..25 {
        for side in [&bids, &asks] {
            if let Some(((_, p), q)) = side.get(i) {
                parts.push(format!("{p}:{q}"));
            }
        }
    }
    signed_crc32(parts.join(":").as_bytes())
}

fn update_frame(m: &Msg, pos: usize, checksum: i32, bump: bool) -> String {
    let side = |bid: bool| {
        levels_json(
            m.levels
                .iter()
                .enumerate()
                .filter(|(_, l)| l.0 == bid)
                .map(|(k, &(_, p, q))| (p, if bump && k == 0 { q + 1 } else { q })),
        )
    };
    format!(
        r#"{{"arg":{{"channel":"books","instId":"X-Y"}},"action":"update","data":[{{"asks":{},"bids":{},"ts":"{pos}","checksum":{checksum},"prevSeqId":{},"seqId":{}}}]}}"#,
        side(false),
        side(true),
        m.prev,
        m.seq
    )
}

fn image(book: &Book, bid: bool) -> String {
    let it: Vec<(i64, i64)> = book
        .iter()
        .filter(|((b, _), _)| *b == bid)
        .map(|(&(_, p), &q)| (p, q))
        .collect();
    levels_json(it.into_iter())
}

fn snapshot_frame(t: &Truth, pos: usize) -> String {
    let b = &t.books[pos];
    format!(
        r#"{{"arg":{{"channel":"books","instId":"X-Y"}},"action":"snapshot","data":[{{"asks":{},"bids":{},"ts":"{pos}","checksum":{},"prevSeqId":-1,"seqId":{}}}]}}"#,
        image(b, false),
        image(b, true),
        checksum(b),
        t.seqs[pos]
    )
}

fn rest_body(t: &Truth, pos: usize) -> String {
    let b = &t.books[pos];
    format!(
        r#"{{"code":"0","msg":"","data":[{{"asks":{},"bids":{},"ts":"{pos}","seqId":{}}}]}}"#,
        image(b, false),
        image(b, true),
        t.seqs[pos]
    )
}

/// Follows what the sink was told: the position the emitted book is at, and faults.
#[derive(Default)]
struct Follow {
    pos: Option<usize>,
    faults: u64,
}

impl SyncSink for Follow {
    fn snapshot(&mut self, h: &BookHeader, _: &[Level], _: &[Level]) {
        self.pos = Some((h.ts_exchange.as_nanos() / 1_000_000) as usize);
    }
    fn delta(&mut self, h: &BookHeader, _: &[Level], _: &[Level]) {
        self.pos = Some((h.ts_exchange.as_nanos() / 1_000_000) as usize);
    }
    fn fault(&mut self, _: InstrumentId, _: Fault) {
        self.faults += 1;
    }
}

struct Run {
    reg: Registry,
    dec: Decoder,
    seq: Sequencer,
    sink: Follow,
}

impl Run {
    fn send(&mut self, frame: &str) {
        match self
            .dec
            .decode(frame.as_bytes(), UnixNanos::ZERO, &self.reg)
        {
            Ok(Decoded::Book(h)) => {
                self.seq.on_book(
                    &h,
                    self.dec.bids(),
                    self.dec.asks(),
                    self.dec.texts(),
                    &mut self.sink,
                );
            }
            Ok(Decoded::Rest(r)) => {
                self.dec
                    .resolve_rest(self.reg.get(InstrumentId::new(0)))
                    .expect("on the grid");
                self.seq.on_rest(
                    r.seq_id,
                    r.ts_exchange,
                    r.ts_recv,
                    self.dec.bids(),
                    self.dec.asks(),
                    self.dec.texts(),
                    &mut self.sink,
                );
            }
            other => panic!("{other:?}: {frame}"),
        }
    }

    fn check(&self, t: &Truth) -> Result<(), TestCaseError> {
        let s = self.seq.stats();
        prop_assert_eq!(s.gaps, self.sink.faults);
        prop_assert_eq!(s.gaps, s.faults.total());
        match self.seq.state() {
            BookState::Synced => {
                let pos = self.sink.pos.expect("synced after something was emitted");
                let mut got = Book::new();
                for side in [Side::Buy, Side::Sell] {
                    for l in self.seq.book().levels(side) {
                        got.insert((side == Side::Buy, l.price.ticks()), l.qty.lots());
                    }
                }
                prop_assert_eq!(&got, &t.books[pos], "synced book differs at {}", pos);
            }
            BookState::Stale => prop_assert!(s.gaps > 0 || self.sink.pos.is_some()),
            _ => {}
        }
        Ok(())
    }
}

fn messages() -> impl Strategy<Value = Vec<RawMsg>> {
    let levels = prop::collection::vec((any::<bool>(), any::<u8>(), any::<u8>()), 0..4);
    prop::collection::vec((levels, any::<u8>(), prop::bool::weighted(0.04)), 1..60)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sequencer_book_is_exact_or_stale_and_a_snapshot_always_recovers(
        raw in messages(),
        ops in prop::collection::vec((0u8..16, any::<u8>()), 1..120),
        checksummed in any::<bool>(),
    ) {
        let t = Truth::new(&raw);
        let n = t.msgs.len();
        let mut r = Run {
            reg: registry(&[("X-Y", "1", "1")]),
            dec: Decoder::new(),
            seq: Sequencer::new(InstrumentId::new(0)),
            sink: Follow::default(),
        };
        let cs = |pos: usize, arg: u8| if checksummed || arg.is_multiple_of(3) { checksum(&t.books[pos]) } else { 0 };
        let mut i = 0usize;
        for &(op, arg) in &ops {
            match op {
                // Deliver (most of the time).
                0..=8 if i < n => {
                    r.send(&update_frame(&t.msgs[i], i + 1, cs(i + 1, arg), false));
                    i += 1;
                }
                9 if i < n => i += 1,
                10 if i > 0 => r.send(&update_frame(&t.msgs[i - 1], i, cs(i, arg), false)),
                11 if i + 1 < n => {
                    r.send(&update_frame(&t.msgs[i + 1], i + 2, cs(i + 2, arg), false));
                    r.send(&update_frame(&t.msgs[i], i + 1, cs(i + 1, arg), false));
                    i += 2;
                }
                12 => r.send(&snapshot_frame(&t, i)),
                13 => {
                    let pos = (i as i64 + i64::from(arg % 7) - 3).clamp(0, n as i64) as usize;
                    r.send(&rest_body(&t, pos));
                }
                // A changed size is only visible through a checksum, and the checksum of an
                // empty book is CRC32("") = 0, which reads as "not sent".
                14 if i < n && !t.msgs[i].levels.is_empty() && checksum(&t.books[i + 1]) != 0 => {
                    let sum = checksum(&t.books[i + 1]);
                    r.send(&update_frame(&t.msgs[i], i + 1, sum, true));
                    i += 1;
                }
                15 => r.seq.invalidate(),
                _ => {}
            }
            r.check(&t)?;
        }
        r.send(&snapshot_frame(&t, n));
        prop_assert_eq!(r.seq.state(), BookState::Synced);
        r.check(&t)?;
        prop_assert_eq!(r.sink.pos, Some(n));
    }
}
