//! Model-based property tests of the sequencer.
//!
//! The model is the venue's true book: a random stream of level updates cut into deltas (each
//! carries the final quantity of the levels it touched), numbered `u = u0, u0 + 1, ...` after a
//! snapshot at `u0`, the way Bybit sends a topic. What is delivered is that stream with
//! injected faults: a delta dropped, duplicated, swapped with the next, or given another `u`;
//! a service restart (a `u == 1` snapshot of the true book, the numbering starting again at 2);
//! a "no book" `u == 1` with no levels followed by the venue's snapshot; a mid-stream
//! snapshot re-sent with the current `u`.
//!
//! After every message:
//! - **exact or stale**: if the sequencer says `Synced`, its book equals the true book after the
//!   last message it applied (each message carries its true position in `ts_exchange`); if it
//!   says `Stale`, a fault was counted; `Syncing` only before the first snapshot or while the
//!   venue said there is no book;
//! - **no false alarm**: a stream delivered without injected faults syncs with no fault (a
//!   restart onto an empty true book counts as a fault here: its image is the venue's "no
//!   book", after which deltas wait for a snapshot);
//! - the counters agree with the outcomes.
//!
//! At the end, a fresh snapshot of the true book brings it back in sync with the truth.

use super::decode::BookHeader;
use super::sync::*;
use ladder_sdk::{BookState, InstrumentId, Level, Price, Quantity, Side, UnixNanos};
use proptest::prelude::*;
use std::collections::BTreeMap;

type Book = BTreeMap<(bool, i64), i64>;

/// What is done to one true delta on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inject {
    None,
    Drop,
    Duplicate,
    SwapWithNext,
    /// Deliver it with `u` moved by this much (not 0, never to 1).
    Jump(i8),
    /// The venue restarts before it: a `u == 1` snapshot of the true book, then `u = 2, ...`.
    Restart,
    /// The venue says there is no book before it (`u == 1`, empty), then sends a snapshot.
    NoBook,
    /// The venue re-sends a snapshot of the true book at the current `u` before it.
    Resnapshot,
}

fn inject() -> impl Strategy<Value = Inject> {
    prop_oneof![
        12 => Just(Inject::None),
        1 => Just(Inject::Drop),
        1 => Just(Inject::Duplicate),
        1 => Just(Inject::SwapWithNext),
        1 => any::<i8>().prop_filter("moves u", |j| *j != 0).prop_map(Inject::Jump),
        1 => Just(Inject::Restart),
        1 => Just(Inject::NoBook),
        1 => Just(Inject::Resnapshot),
    ]
}

/// One delivered message: a snapshot or a delta, its `u`, its levels, and the position of the
/// true book it leads to (`None`: no book).
#[derive(Debug, Clone)]
struct Msg {
    snapshot: bool,
    u: u64,
    bids: Vec<Level>,
    asks: Vec<Level>,
    truth: Option<usize>,
}

fn lvl(p: i64, q: i64) -> Level {
    Level::new(Price::from_ticks(p), Quantity::from_lots(q))
}

fn image(book: &Book, truth: usize, u: u64) -> Msg {
    let side = |bid: bool| -> Vec<Level> {
        book.iter()
            .filter(|((b, _), _)| *b == bid)
            .map(|(&(_, p), &q)| lvl(p, q))
            .collect()
    };
    Msg {
        snapshot: true,
        u,
        bids: side(true),
        asks: side(false),
        truth: Some(truth),
    }
}

/// The true books after each delta (bids at ticks 1..=20, asks at 21..=40: never crossed, at
/// most 20 levels a side) and the deltas themselves.
fn truth(updates: &[(bool, u8, u8)], batches: &[u8]) -> (Vec<Book>, Vec<Msg>) {
    let mut books = vec![Book::new()];
    let mut deltas = Vec::new();
    let mut it = updates.iter();
    for &n in batches {
        let mut book = books.last().cloned().unwrap_or_default();
        let mut touched: BTreeMap<(bool, i64), i64> = BTreeMap::new();
        for &(bid, p, q) in it.by_ref().take(1 + usize::from(n % 4)) {
            let price = 1 + i64::from(p % 20) + if bid { 0 } else { 20 };
            let qty = i64::from(q % 4);
            touched.insert((bid, price), qty);
            if qty == 0 {
                book.remove(&(bid, price));
            } else {
                book.insert((bid, price), qty);
            }
        }
        let side = |bid: bool| -> Vec<Level> {
            touched
                .iter()
                .filter(|((b, _), _)| *b == bid)
                .map(|(&(_, p), &q)| lvl(p, q))
                .collect()
        };
        books.push(book);
        deltas.push(Msg {
            snapshot: false,
            u: 0,
            bids: side(true),
            asks: side(false),
            truth: Some(books.len() - 1),
        });
    }
    (books, deltas)
}

/// The delivered stream: a snapshot at `u0`, then the deltas with the injections.
fn deliver(books: &[Book], deltas: &[Msg], injects: &[Inject], u0: u64) -> (Vec<Msg>, bool) {
    let mut out = vec![image(&books[0], 0, u0)];
    let mut u = u0;
    let mut faulty = false;
    let mut k = 0;
    while k < deltas.len() {
        let inj = injects.get(k).copied().unwrap_or(Inject::None);
        match inj {
            Inject::Restart => {
                out.push(image(&books[k], k, 1));
                u = 1;
                // An empty restart image is the venue's "no book": deltas wait for a snapshot.
                faulty |= books[k].is_empty();
            }
            Inject::NoBook => {
                out.push(Msg {
                    snapshot: true,
                    u: 1,
                    bids: vec![],
                    asks: vec![],
                    truth: None,
                });
                out.push(image(&books[k], k, 1));
                u = 1;
                faulty |= books[k].is_empty();
            }
            Inject::Resnapshot => out.push(image(&books[k], k, u)),
            _ => {}
        }
        u += 1;
        let mut d = deltas[k].clone();
        d.u = u;
        match inj {
            Inject::Drop => faulty = true,
            Inject::Duplicate => {
                out.push(d.clone());
                out.push(d);
                faulty = true;
            }
            Inject::SwapWithNext if k + 1 < deltas.len() => {
                let mut next = deltas[k + 1].clone();
                u += 1;
                next.u = u;
                out.push(next);
                out.push(d);
                faulty = true;
                k += 1;
            }
            Inject::Jump(j) => {
                let moved = u.saturating_add_signed(i64::from(j));
                // Landing right after the last delivered `u` (after a drop, say) would make the
                // stream look clean: no sequence number can tell. Such a stream is not a fault
                // the venue shows, so the jump lands one further.
                let next = out.last().map_or(0, |m| m.u).saturating_add(1);
                d.u = match moved {
                    1 => 0,
                    m if m == next => m.saturating_add(1),
                    m => m,
                };
                out.push(d);
                faulty = true;
            }
            _ => out.push(d),
        }
        k += 1;
    }
    (out, faulty)
}

fn book_of(s: &Sequencer) -> Book {
    let mut b = Book::new();
    for (side, bid) in [(Side::Buy, true), (Side::Sell, false)] {
        for l in s.book().levels(side) {
            b.insert((bid, l.price.ticks()), l.qty.lots());
        }
    }
    b
}

fn header(m: &Msg) -> BookHeader {
    BookHeader {
        instrument: InstrumentId::new(0),
        depth: 50,
        snapshot: m.snapshot,
        update_id: m.u,
        seq: None,
        ts_exchange: UnixNanos::from_nanos(m.truth.map_or(u64::MAX, |t| t as u64)),
        ts_recv: UnixNanos::ZERO,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sequencer_is_exact_or_stale_against_the_true_book(
        updates in prop::collection::vec((any::<bool>(), any::<u8>(), any::<u8>()), 0..120),
        batches in prop::collection::vec(any::<u8>(), 1..40),
        injects in prop::collection::vec(inject(), 0..40),
        u0 in prop_oneof![2u64..1_000_000, Just(u64::MAX - 50)],
    ) {
        let (books, deltas) = truth(&updates, &batches);
        let (stream, faulty) = deliver(&books, &deltas, &injects, u0);
        let mut s = Sequencer::new(InstrumentId::new(0));
        let mut at: Option<usize> = None;
        let (mut applied, mut faults, mut discarded) = (0u64, 0u64, 0u64);
        for m in &stream {
            let o = s.on_message(&header(m), &m.bids, &m.asks, &mut NullSink);
            match o {
                Outcome::Applied => {
                    applied += 1;
                    at = m.truth;
                }
                Outcome::Snapshot | Outcome::Resent => at = m.truth,
                Outcome::Unavailable => at = None,
                Outcome::Discarded => discarded += 1,
                Outcome::Fault(_) => faults += 1,
            }
            match s.state() {
                BookState::Synced => {
                    let t = at.expect("synced on a message that has a true book");
                    prop_assert_eq!(book_of(&s), books[t].clone(), "at {:?}", m.u);
                }
                BookState::Stale => prop_assert!(s.stats().gaps > 0),
                BookState::Syncing => {
                    prop_assert!(s.is_unavailable() || s.stats().snapshots == 0);
                }
                other => prop_assert!(false, "state {:?}", other),
            }
        }
        let st = *s.stats();
        prop_assert_eq!(st.depth_updates + st.snapshots, stream.len() as u64);
        prop_assert_eq!((st.applied, st.gaps, st.discarded), (applied, faults, discarded));
        prop_assert_eq!(st.faults.total(), faults);
        if !faulty {
            prop_assert_eq!(faults, 0, "a clean stream raised a fault");
            prop_assert_eq!(book_of(&s), books[books.len() - 1].clone());
        }
        // A fresh snapshot of the truth always brings the book back.
        let last = books.len() - 1;
        let fresh = image(&books[last], last, 7);
        s.on_message(&header(&fresh), &fresh.bids, &fresh.asks, &mut NullSink);
        prop_assert_eq!(s.state(), BookState::Synced);
        prop_assert_eq!(book_of(&s), books[last].clone());
    }
}
