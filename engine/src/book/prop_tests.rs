//! Property tests: [`L2Book`] against a `BTreeMap<i64, i64>` per side, step by step.
//!
//! Windows are 64 to 256 ticks while prices range over thousands of ticks (and occasionally the
//! whole `i64` range), so most steps touch the far store and the window re-centres constantly.

use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

/// The model: price ticks → lots, per side.
#[derive(Default)]
struct Model {
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
}

impl Model {
    fn apply(&mut self, side: Side, px: i64, lots: i64) {
        let map = match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        if lots == 0 {
            map.remove(&px);
        } else {
            map.insert(px, lots);
        }
    }

    fn levels(&self, side: Side) -> Vec<(i64, i64)> {
        match side {
            Side::Buy => self.bids.iter().rev().map(|(&p, &q)| (p, q)).collect(),
            Side::Sell => self.asks.iter().map(|(&p, &q)| (p, q)).collect(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Set { side: Side, px: i64, lots: i64 },
    Clear,
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Buy), Just(Side::Sell)]
}

/// Prices clustered around a drifting centre with a heavy tail, plus rare extremes.
fn price() -> impl Strategy<Value = i64> {
    prop_oneof![
        6 => -40i64..40,
        4 => -400i64..400,
        3 => -5_000i64..5_000,
        1 => prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(i64::MIN + 1), Just(i64::MAX - 1)],
    ]
}

/// About a third zeros (deletes, often of absent levels).
fn lots() -> impl Strategy<Value = i64> {
    prop_oneof![1 => Just(0i64), 2 => 1i64..1_000]
}

fn window() -> impl Strategy<Value = usize> {
    prop_oneof![Just(64usize), Just(128), Just(256)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        200 => (side(), price(), lots()).prop_map(|(side, px, lots)| Op::Set { side, px, lots }),
        1 => Just(Op::Clear),
    ]
}

fn pairs<'a>(levels: impl IntoIterator<Item = &'a Level>) -> Vec<(i64, i64)> {
    levels
        .into_iter()
        .map(|l| (l.price.ticks(), l.qty.lots()))
        .collect()
}

fn check_against_model(book: &mut L2Book, model: &Model, top_n: usize) {
    book.check_invariants();
    for side in [Side::Buy, Side::Sell] {
        let got: Vec<(i64, i64)> = book
            .levels(side)
            .map(|l| (l.price.ticks(), l.qty.lots()))
            .collect();
        let want = model.levels(side);
        assert_eq!(got, want, "{side} levels");
        assert!(got.iter().all(|&(_, q)| q > 0), "zero-qty level on {side}");
        let strictly_better = |w: &[(i64, i64)]| match side {
            Side::Buy => w[0].0 > w[1].0,
            Side::Sell => w[0].0 < w[1].0,
        };
        assert!(
            got.windows(2).all(strictly_better),
            "{side} levels out of order"
        );
        assert_eq!(book.len(side), want.len(), "{side} len");
        let best = match side {
            Side::Buy => book.best_bid(),
            Side::Sell => book.best_ask(),
        };
        assert_eq!(
            best.map(|l| (l.price.ticks(), l.qty.lots())),
            want.first().copied()
        );
    }
    assert_eq!(
        book.is_empty(),
        model.bids.is_empty() && model.asks.is_empty()
    );
    let top = book.top();
    let (bids, asks) = (model.levels(Side::Buy), model.levels(Side::Sell));
    assert_eq!(pairs(top.bids), bids[..bids.len().min(top_n)], "top bids");
    assert_eq!(pairs(top.asks), asks[..asks.len().min(top_n)], "top asks");
}

fn run(ops: &[Op], window_ticks: usize, top_n: usize, top_every: usize) {
    let config = BookConfig {
        window_ticks,
        top_n,
        far_capacity: 8,
    };
    let mut book = L2Book::new(config);
    let mut model = Model::default();
    for (i, op) in ops.iter().enumerate() {
        match *op {
            Op::Set { side, px, lots } => {
                book.apply(side, Price::from_ticks(px), Quantity::from_lots(lots));
                model.apply(side, px, lots);
                let probe = Price::from_ticks(px);
                assert_eq!(book.qty_at(side, probe).lots(), lots, "qty_at after set");
            }
            Op::Clear => {
                book.clear();
                model = Model::default();
            }
        }
        if i % top_every == 0 {
            check_against_model(&mut book, &model, top_n);
        } else {
            book.check_invariants();
        }
    }
    check_against_model(&mut book, &model, top_n);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Checks every observable after every step, so the top-N view is refreshed each time.
    #[test]
    fn apply_random_sequence_matches_btreemap_model_every_step(
        ops in prop::collection::vec(op(), 1..300),
        window in window(),
        top_n in 0usize..6,
    ) {
        run(&ops, window, top_n, 1);
    }

    /// Refreshes the top-N view only now and then, so its dirty tracking must catch every
    /// relevant update that happened in between.
    #[test]
    fn top_after_many_unobserved_updates_matches_btreemap_model(
        ops in prop::collection::vec(op(), 1..300),
        window in window(),
        top_n in 1usize..6,
        every in 2usize..20,
    ) {
        run(&ops, window, top_n, every);
    }

    /// A random walk of the touch: updates near a moving mid, as a real feed does, so the
    /// window follows the best up and down through many re-centres.
    #[test]
    fn apply_random_walk_near_moving_mid_matches_btreemap_model(
        steps in prop::collection::vec((side(), -3i64..=3, -20i64..20, lots()), 1..400),
        window in window(),
    ) {
        let mut mid = 0i64;
        let ops: Vec<Op> = steps
            .into_iter()
            .map(|(side, drift, dist, lots)| {
                mid += drift * 8;
                let px = match side {
                    Side::Buy => mid - dist.abs(),
                    Side::Sell => mid + dist.abs(),
                };
                Op::Set { side, px, lots }
            })
            .collect();
        run(&ops, window, 4, 1);
    }
}
