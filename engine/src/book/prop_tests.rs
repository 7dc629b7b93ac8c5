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

/// About a third zeros (deletes, often of absent levels), and some lots at and beyond what a
/// `u32` ladder slot holds (they must stay exact through the wide store).
fn lots() -> impl Strategy<Value = i64> {
    const SLOT: i64 = u32::MAX as i64;
    prop_oneof![
        6 => Just(0i64),
        12 => 1i64..1_000,
        1 => SLOT - 2..SLOT + 2,
        1 => prop_oneof![Just(i64::MAX), Just(SLOT * 7 + 3)],
    ]
}

/// `(min_window_ticks, window_ticks)`: fixed widths, and windows that adapt between the two.
fn window() -> impl Strategy<Value = (usize, usize)> {
    prop_oneof![
        Just((64usize, 64usize)),
        Just((128, 128)),
        Just((256, 256)),
        Just((64, 256)),
        Just((64, 1024)),
    ]
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

fn run(
    ops: &[Op],
    (min_window_ticks, window_ticks): (usize, usize),
    top_n: usize,
    top_every: usize,
) {
    let config = BookConfig {
        window_ticks,
        min_window_ticks,
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

/// The order of a run of far levels.
#[derive(Debug, Clone, Copy)]
enum RunOrder {
    /// Each level better than the one before.
    Ascending,
    /// Each level worse than the one before: the order that made a sorted `Vec` quadratic.
    Descending,
    /// Alternately the lowest and the highest not yet sent: every level lands in the middle.
    ZigZag,
}

/// One run: `len` levels `step` ticks apart from `start` on `side`, in `order`; all deletes when
/// `delete` (mostly of levels an earlier run set).
#[derive(Debug, Clone, Copy)]
struct Run {
    side: Side,
    start: i64,
    step: i64,
    len: i64,
    order: RunOrder,
    delete: bool,
}

fn run_of_levels() -> impl Strategy<Value = Run> {
    let order = prop_oneof![
        Just(RunOrder::Ascending),
        Just(RunOrder::Descending),
        Just(RunOrder::ZigZag),
    ];
    (
        side(),
        -3_000i64..3_000,
        1i64..4,
        1i64..1_200,
        order,
        prop::bool::weighted(0.3),
    )
        .prop_map(|(side, start, step, len, order, delete)| Run {
            side,
            start,
            step,
            len,
            order,
            delete,
        })
}

/// A touch at 0 / 1, then the runs level by level.
fn run_ops(runs: &[Run]) -> Vec<Op> {
    let mut ops = vec![
        Op::Set {
            side: Side::Buy,
            px: 0,
            lots: 5,
        },
        Op::Set {
            side: Side::Sell,
            px: 1,
            lots: 5,
        },
    ];
    for r in runs {
        for i in 0..r.len {
            let k = match r.order {
                RunOrder::Ascending => i,
                RunOrder::Descending => r.len - 1 - i,
                RunOrder::ZigZag if i % 2 == 0 => i / 2,
                RunOrder::ZigZag => r.len - 1 - i / 2,
            };
            let lots = if r.delete { 0 } else { 1 + (i % 9) };
            ops.push(Op::Set {
                side: r.side,
                px: r.start + k * r.step,
                lots,
            });
        }
    }
    ops
}

/// Like [`run`], but compares with the model only every `every` steps (runs are long).
fn run_checked_every(ops: &[Op], (min_window_ticks, window_ticks): (usize, usize), every: usize) {
    let mut book = L2Book::new(BookConfig {
        window_ticks,
        min_window_ticks,
        top_n: 5,
        far_capacity: 8,
    });
    let mut model = Model::default();
    for (i, op) in ops.iter().enumerate() {
        if let Op::Set { side, px, lots } = *op {
            book.apply(side, Price::from_ticks(px), Quantity::from_lots(lots));
            model.apply(side, px, lots);
        }
        if i % every == 0 {
            check_against_model(&mut book, &model, 5);
        }
    }
    check_against_model(&mut book, &model, 5);
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

proptest! {
    // Each case is thousands of steps.
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Long runs of far levels in the orders that hurt a sorted array (descending, zig-zag to
    /// the middle) and ascending, with deleting runs over them, on both sides.
    #[test]
    fn long_far_runs_in_worst_case_orders_match_btreemap_model(
        runs in prop::collection::vec(run_of_levels(), 1..8),
        window in window(),
    ) {
        run_checked_every(&run_ops(&runs), window, 257);
    }
}
