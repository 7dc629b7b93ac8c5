//! Model-based property test of the books and their connection-wide sequencing.
//!
//! The model is the venue's true books of two products on one connection: a random stream of
//! frames (updates of either product, heartbeats, and snapshots as a resubscribe brings them),
//! numbered `0, 1, 2, ...` by `sequence_num` across all of them. What is delivered is that
//! stream with frames lost at random. After every delivered frame:
//! - **exact or stale**: a book the sequencer calls `Synced` equals the true book as of that
//!   frame (a lost frame shows on the next one delivered);
//! - a book is `Stale` only after a counted fault, and each book counts exactly one fault per
//!   break in the delivered numbers (a lost heartbeat counts as much as a lost update).
//!
//! At the end a snapshot of each product brings both books back, equal to the true books.

use super::tests::{heartbeat, l2, two};
use super::*;
use crate::feed::Venue;
use crate::feed::books::FeedBooks;
use crate::instrument::Registry;
use ladder_sdk::{BookState, InstrumentId, Side, UnixNanos};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// `(is_bid, ticks) -> lots`.
type Book = BTreeMap<(bool, i64), i64>;

/// A raw frame: kind (0..=5: update, 6: heartbeat, 7: snapshot), product, levels
/// `(is_bid, price step, lots)`, lost in delivery.
type RawFrame = (u8, bool, Vec<(bool, u8, u8)>, bool);

const PRODUCTS: [&str; 2] = ["BTC-USD", "ETH-USD"];

fn px(ticks: i64) -> String {
    format!("{}.{:02}", ticks / 100, ticks % 100)
}

fn qty(lots: i64) -> String {
    format!("0.{lots:08}")
}

/// Bids on ticks 100..150, asks on 151..201: the true book never crosses.
fn ticks(bid: bool, step: u8) -> i64 {
    let step = i64::from(step % 50);
    if bid { 100 + step } else { 151 + step }
}

fn snapshot_frame(seq: u64, product: &str, book: &Book) -> String {
    let levels: Vec<(&str, String, String)> = book
        .iter()
        .map(|(&(bid, t), &q)| (if bid { "bid" } else { "offer" }, px(t), qty(q)))
        .collect();
    let refs: Vec<(&str, &str, &str)> = levels
        .iter()
        .map(|(s, p, q)| (*s, p.as_str(), q.as_str()))
        .collect();
    l2(seq, "snapshot", product, &refs)
}

fn local(books: &Books, id: InstrumentId) -> Book {
    let v = books.view(id).unwrap();
    let mut out = Book::new();
    for (side, bid) in [(Side::Buy, true), (Side::Sell, false)] {
        for l in v.book.levels(side) {
            out.insert((bid, l.price.ticks()), l.qty.lots());
        }
    }
    out
}

fn check(books: &Books, ids: &[InstrumentId], truth: &[Book], breaks: u64) {
    for (k, &id) in ids.iter().enumerate() {
        let v = books.view(id).unwrap();
        if v.state == BookState::Synced {
            assert_eq!(
                local(books, id),
                truth[k],
                "{} synced but not exact",
                PRODUCTS[k]
            );
        }
        if v.state == BookState::Stale {
            assert!(v.stats.gaps > 0, "stale without a counted fault");
        }
        assert_eq!(
            v.stats.faults.sequence_gap + v.stats.faults.ids_backward,
            breaks
        );
        assert_eq!(
            v.stats.gaps, breaks,
            "only sequence faults: the truth never crosses"
        );
    }
}

fn run(raw: &[RawFrame]) {
    let registry: Registry = two();
    let ids: Vec<InstrumentId> = PRODUCTS
        .iter()
        .map(|p| registry.lookup(Venue::Coinbase, p.as_bytes()).unwrap().id)
        .collect();
    let mut books = Books::new(Venue::Coinbase, &registry);
    let mut truth = [Book::new(), Book::new()];
    // The true books as of the last frame delivered: a loss shows on the next one.
    let mut seen = truth.clone();
    let (mut seq, mut breaks) = (0u64, 0u64);
    let (mut delivered_any, mut lost_since) = (false, false);
    let mut deliver = |books: &mut Books, frame: &str, lost: bool, breaks: &mut u64| {
        if lost {
            lost_since = true;
            return;
        }
        if delivered_any && lost_since {
            *breaks += 1;
        }
        lost_since = false;
        delivered_any = true;
        books
            .on_frame(&registry, UnixNanos::ZERO, frame.as_bytes(), &mut |_| {})
            .unwrap();
    };
    for (kind, second, levels, lost) in raw {
        let k = usize::from(*second);
        let frame = match kind {
            0..=5 => {
                let mut set: Vec<(&str, String, String)> = Vec::new();
                for &(bid, step, lots) in levels {
                    let (t, q) = (ticks(bid, step), i64::from(lots % 4));
                    if q == 0 {
                        truth[k].remove(&(bid, t));
                    } else {
                        truth[k].insert((bid, t), q);
                    }
                    set.push((if bid { "bid" } else { "offer" }, px(t), qty(q)));
                }
                let refs: Vec<(&str, &str, &str)> = set
                    .iter()
                    .map(|(s, p, q)| (*s, p.as_str(), q.as_str()))
                    .collect();
                l2(seq, "update", PRODUCTS[k], &refs)
            }
            6 => heartbeat(seq),
            _ => snapshot_frame(seq, PRODUCTS[k], &truth[k]),
        };
        deliver(&mut books, &frame, *lost, &mut breaks);
        if !lost {
            seen = truth.clone();
        }
        seq += 1;
        check(&books, &ids, &seen, breaks);
    }
    for k in 0..2 {
        let frame = snapshot_frame(seq, PRODUCTS[k], &truth[k]);
        deliver(&mut books, &frame, false, &mut breaks);
        seq += 1;
    }
    check(&books, &ids, &truth, breaks);
    for &id in &ids {
        assert_eq!(books.view(id).unwrap().state, BookState::Synced);
    }
}

fn frames() -> impl Strategy<Value = Vec<RawFrame>> {
    let level = (any::<bool>(), any::<u8>(), any::<u8>());
    let frame = (
        0u8..8,
        any::<bool>(),
        prop::collection::vec(level, 0..6),
        prop::bool::weighted(0.1),
    );
    prop::collection::vec(frame, 1..120)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn books_are_exact_or_stale_and_every_break_stales_both(raw in frames()) {
        run(&raw);
    }
}

#[test]
fn lost_heartbeat_between_updates_stales_both_books() {
    // Snapshot A, snapshot B, heartbeat (lost), update A: both stale, one fault each.
    run(&[
        (7, false, vec![(true, 1, 1), (false, 1, 1)], false),
        (7, true, vec![], false),
        (6, false, vec![], true),
        (0, false, vec![(true, 2, 3)], false),
    ]);
}
