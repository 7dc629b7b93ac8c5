//! Model invariants: determinism, consistent update ids, never crossed or empty, rates.

use super::*;
use std::collections::BTreeMap;

fn start() -> ModelStart {
    ModelStart {
        mid_ticks: 6_000_000,
        price: 60_000.0,
        lot_size: 0.00001,
        first_update_id: 1_000,
        first_trade_id: 1,
    }
}

fn model(seed: u64, rate: f64) -> Model {
    Model::new(ModelParams::default(), start(), seed, 0, rate).unwrap()
}

fn run(m: &mut Model, n: usize) -> Vec<Event> {
    (0..n)
        .map(|_| {
            let mut ev = Event::default();
            m.step(&mut ev);
            ev
        })
        .collect()
}

#[test]
fn model_same_seed_same_events_other_seed_differs() {
    let a = run(&mut model(42, 1_000.0), 5_000);
    let b = run(&mut model(42, 1_000.0), 5_000);
    let c = run(&mut model(43, 1_000.0), 5_000);
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn model_streams_of_one_seed_differ() {
    let mut x = Model::new(ModelParams::default(), start(), 1, 0, 100.0).unwrap();
    let mut y = Model::new(ModelParams::default(), start(), 1, 1, 100.0).unwrap();
    assert_ne!(run(&mut x, 100), run(&mut y, 100));
}

#[test]
fn model_changes_replay_to_its_book_with_consecutive_ids_never_crossed() {
    let mut m = model(7, 1_000.0);
    // Shadow book rebuilt only from the published changes.
    let mut shadow: [BTreeMap<i64, i64>; 2] = Default::default();
    for side in [Side::Buy, Side::Sell] {
        for (p, q) in m.levels(side, usize::MAX) {
            shadow[usize::from(side == Side::Sell)].insert(p, q);
        }
    }
    let mut prev_last = m.update_id();
    let mut trades = 0usize;
    let mut prev_trade = None;
    for ev in run(&mut m, 30_000) {
        assert_eq!(ev.first_update_id, prev_last + 1, "{ev:?}");
        assert_eq!(
            ev.last_update_id + 1 - ev.first_update_id,
            ev.changes.len() as u64
        );
        prev_last = ev.last_update_id;
        for c in &ev.changes {
            assert!(c.price > 0 && c.qty >= 0, "{c:?}");
            let book = &mut shadow[usize::from(c.side == Side::Sell)];
            if c.qty == 0 {
                book.remove(&c.price);
            } else {
                book.insert(c.price, c.qty);
            }
        }
        for t in &ev.trades {
            assert!(t.qty > 0);
            assert_eq!(ev.kind, EventKind::Market(t.taker));
            if let Some(p) = prev_trade {
                assert_eq!(t.id, p + 1);
            }
            prev_trade = Some(t.id);
            trades += 1;
        }
        let (bid, ask) = (m.best_bid().unwrap(), m.best_ask().unwrap());
        assert!(bid.0 < ask.0, "crossed: {bid:?} {ask:?}");
        assert!(m.depth(Side::Buy) >= 5 && m.depth(Side::Sell) >= 5);
    }
    assert_eq!(m.update_id(), prev_last);
    for side in [Side::Buy, Side::Sell] {
        let got: BTreeMap<i64, i64> = m.levels(side, usize::MAX).into_iter().collect();
        assert_eq!(got, shadow[usize::from(side == Side::Sell)], "{side}");
    }
    assert!(trades > 300, "only {trades} trades in 30k events");
}

#[test]
fn model_clock_matches_configured_rate() {
    for rate in [5.0, 200.0, 100_000.0] {
        let mut m = model(3, rate);
        let n = 20_000;
        let evs = run(&mut m, n);
        let secs = evs.last().unwrap().time_ns as f64 / 1e9;
        let measured = n as f64 / secs;
        assert!(
            (measured / rate - 1.0).abs() < 0.03,
            "rate {rate}: measured {measured}"
        );
        assert!(evs.windows(2).all(|w| w[0].time_ns <= w[1].time_ns));
    }
}

#[test]
fn model_mid_drifts_from_the_flow() {
    let mut m = model(11, 1_000.0);
    let mids: Vec<i64> = (0..50)
        .map(|_| {
            run(&mut m, 2_000);
            (m.best_bid().unwrap().0 + m.best_ask().unwrap().0) / 2
        })
        .collect();
    let (lo, hi) = (mids.iter().min().unwrap(), mids.iter().max().unwrap());
    assert!(hi - lo >= 3, "mid stuck in [{lo}, {hi}]");
    // ... but it stays a plausible market, not a runaway.
    assert!(hi - lo < 100_000, "mid ran away: [{lo}, {hi}]");
}

#[test]
fn model_rejects_bad_parameters() {
    let bad = ModelParams {
        cancel_rates: vec![],
        ..ModelParams::default()
    };
    assert!(Model::new(bad, start(), 1, 0, 10.0).is_err());
    assert!(Model::new(ModelParams::default(), start(), 1, 0, 0.0).is_err());
}
