//! Property tests of the Kraken sequencer against a model written from the documented rules:
//! any run of snapshots and updates, each carrying the checksum the reference computes from
//! the model (apply all levels, truncate to the depth, top 10 asks then bids), keeps the book
//! synced and equal to the model, bids strictly descending, never deeper than the depth, never
//! crossed; one corrupted checksum is a fault on exactly that message and that instrument.

#![allow(clippy::unwrap_used)]

use super::Books;
use super::sync_tests::{reference_crc, v2};
use crate::feed::Venue;
use crate::feed::books::FeedBooks;
use crate::feed::integrity::IntegrityFault;
use crate::instrument::Registry;
use ladder_sdk::{BookState, InstrumentSpec, Side, UnixNanos};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// One message: a snapshot or update of `(side is bid, ticks, lots)` levels.
#[derive(Debug, Clone)]
struct Msg {
    snapshot: bool,
    levels: Vec<(bool, i64, i64)>,
}

fn msg() -> impl Strategy<Value = Msg> {
    let level = (
        any::<bool>(),
        0i64..60,
        prop_oneof![Just(0i64), 1i64..50_000],
    );
    (
        prop::bool::weighted(0.1),
        prop::collection::vec(level, 0..12),
    )
        .prop_map(|(snapshot, levels)| Msg { snapshot, levels })
}

/// Bids at 95.0..=100.9, asks at 101.0..=106.9 (never crossed).
fn ticks(bid: bool, k: i64) -> i64 {
    if bid { 1009 - k } else { 1010 + k }
}

fn price_text(t: i64) -> String {
    format!("{}.{}", t / 10, t % 10)
}

fn qty_text(l: i64) -> String {
    format!("{}.{:04}", l / 10_000, l % 10_000)
}

/// `(price, qty)` texts of one side.
type Texts = Vec<(String, String)>;

#[derive(Default)]
struct Model {
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
}

impl Model {
    fn apply(&mut self, m: &Msg, depth: usize) {
        if m.snapshot {
            self.bids.clear();
            self.asks.clear();
        }
        for &(bid, k, lots) in &m.levels {
            let side = if bid { &mut self.bids } else { &mut self.asks };
            if lots == 0 {
                side.remove(&ticks(bid, k));
            } else {
                side.insert(ticks(bid, k), lots);
            }
        }
        while self.bids.len() > depth {
            let worst = *self.bids.keys().next().unwrap();
            self.bids.remove(&worst);
        }
        while self.asks.len() > depth {
            let worst = *self.asks.keys().next_back().unwrap();
            self.asks.remove(&worst);
        }
    }

    /// Asks low to high, bids high to low, as `(price, qty)` texts.
    fn texts(&self) -> (Texts, Texts) {
        let t = |(&p, &q): (&i64, &i64)| (price_text(p), qty_text(q));
        (
            self.asks.iter().map(t).collect(),
            self.bids.iter().rev().map(t).collect(),
        )
    }

    fn crc(&self) -> u32 {
        let (asks, bids) = self.texts();
        let a: Vec<(&str, &str)> = asks.iter().map(|(p, q)| (p.as_str(), q.as_str())).collect();
        let b: Vec<(&str, &str)> = bids.iter().map(|(p, q)| (p.as_str(), q.as_str())).collect();
        reference_crc(&a, &b)
    }
}

fn frame(symbol: &str, m: &Msg, crc: u32) -> String {
    let texts: Vec<(bool, String, String)> = m
        .levels
        .iter()
        .map(|&(bid, k, lots)| (bid, price_text(ticks(bid, k)), qty_text(lots)))
        .collect();
    let side = |want: bool| -> Vec<(&str, &str)> {
        texts
            .iter()
            .filter(|t| t.0 == want)
            .map(|t| (t.1.as_str(), t.2.as_str()))
            .collect()
    };
    let kind = if m.snapshot { "snapshot" } else { "update" };
    v2(kind, symbol, &side(true), &side(false), Some(crc))
}

fn registry() -> Registry {
    let mut r = Registry::new();
    for s in ["BTC/USD", "ETH/USD"] {
        let spec = InstrumentSpec::new("0.1".parse().unwrap(), "0.0001".parse().unwrap());
        r.add(Venue::Kraken, s, spec.unwrap()).unwrap();
    }
    r
}

proptest! {
    #[test]
    fn any_run_with_the_models_checksums_stays_synced_and_equal_to_the_model(
        msgs in prop::collection::vec(msg(), 1..60),
        depth in prop::sample::select(vec![10u32, 25]),
    ) {
        let r = registry();
        let id = r.find("kraken:BTC/USD").unwrap().id;
        let mut books = Books::new(&r);
        books.set_depth(id, depth);
        let mut model = Model::default();
        let mut synced = false;
        for (i, m) in msgs.iter().enumerate() {
            let mut m = m.clone();
            m.snapshot |= i == 0;
            model.apply(&m, depth as usize);
            let f = books
                .on_frame(&r, UnixNanos::from_nanos(i as u64), frame("BTC/USD", &m, model.crc()).as_bytes(), &mut |_| {})
                .unwrap();
            prop_assert_eq!(f.fault, None);
            synced = true;
            let v = books.view(id).unwrap();
            let bids: Vec<(i64, i64)> = v.book.levels(Side::Buy).map(|l| (l.price.ticks(), l.qty.lots())).collect();
            let asks: Vec<(i64, i64)> = v.book.levels(Side::Sell).map(|l| (l.price.ticks(), l.qty.lots())).collect();
            let want_bids: Vec<(i64, i64)> = model.bids.iter().rev().map(|(&p, &q)| (p, q)).collect();
            let want_asks: Vec<(i64, i64)> = model.asks.iter().map(|(&p, &q)| (p, q)).collect();
            prop_assert_eq!(&bids, &want_bids);
            prop_assert_eq!(&asks, &want_asks);
            prop_assert!(bids.windows(2).all(|w| w[0].0 > w[1].0));
            prop_assert!(bids.len() <= depth as usize && asks.len() <= depth as usize);
            prop_assert!(!v.book.is_crossed());
        }
        let v = books.view(id).unwrap();
        prop_assert!(synced && v.state == BookState::Synced);
        prop_assert_eq!(v.stats.checksums, msgs.len() as u64);
    }

    #[test]
    fn one_corrupted_checksum_faults_that_message_and_instrument_only(
        msgs in prop::collection::vec(msg(), 2..40),
        victim in any::<prop::sample::Index>(),
    ) {
        let r = registry();
        let (btc, eth) = (r.find("kraken:BTC/USD").unwrap().id, r.find("kraken:ETH/USD").unwrap().id);
        let mut books = Books::new(&r);
        books.set_depth(btc, 10);
        books.set_depth(eth, 10);
        let k = 1 + victim.index(msgs.len() - 1);
        let (mut mb, mut me) = (Model::default(), Model::default());
        let mut fault_at = None;
        for (i, m) in msgs.iter().enumerate() {
            let mut m = m.clone();
            m.snapshot = i == 0;
            mb.apply(&m, 10);
            me.apply(&m, 10);
            let crc = if i == k { mb.crc() ^ 1 } else { mb.crc() };
            let f = books.on_frame(&r, UnixNanos::from_nanos(i as u64), frame("BTC/USD", &m, crc).as_bytes(), &mut |_| {}).unwrap();
            if let Some(f) = f.fault {
                let mismatch = matches!(f.kind, IntegrityFault::ChecksumMismatch { .. });
                prop_assert!(mismatch, "{:?}", f.kind);
                prop_assert!(fault_at.is_none());
                fault_at = Some(i);
            }
            let f = books.on_frame(&r, UnixNanos::from_nanos(i as u64), frame("ETH/USD", &m, me.crc()).as_bytes(), &mut |_| {}).unwrap();
            prop_assert_eq!(f.fault, None);
        }
        prop_assert_eq!(fault_at, Some(k));
        prop_assert_eq!(books.view(btc).unwrap().state, BookState::Stale);
        prop_assert_eq!(books.view(eth).unwrap().state, BookState::Synced);
    }
}
