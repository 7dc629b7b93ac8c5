//! Paper exchange tests: queue position.

use super::*;

#[test]
fn resting_bid_behind_five_not_filled_by_three_lot_trade_then_two_of_four() {
    let mut cfg = config();
    cfg.cancel_model = CancelModel::Proportional;
    let mut sim = Sim::new(cfg);
    sim.send(0, limit(1, Side::Buy, 100, 4, TimeInForce::Gtc));
    sim.book_at(ENTRY); // arrives: joins behind the 5 lots displayed at 100
    assert_eq!(
        statuses(&sim.poll(ENTRY + RESPONSE)),
        [OrderStatus::Accepted]
    );

    sim.trade_at(2_000, Side::Sell, 100, 3);
    sim.level(Side::Buy, 100, 2).book_at(2_100); // the depth update after the trade: not a cancel
    assert!(fills(&sim.poll(FAR)).is_empty());

    sim.trade_at(3_000, Side::Sell, 100, 4); // 2 left ahead, 2 for us
    let got = sim.poll(FAR);
    assert_eq!(fills(&got), [(100, 2, Liquidity::Maker)]);
    match got[0] {
        Report::Fill(f, _) => {
            assert_eq!(f.leaves_qty.lots(), 2);
            assert_eq!(f.position, 2);
            assert_eq!(f.ts, t(3_000));
        }
        Report::Update(_) => panic!("expected a fill, got {got:?}"),
    }
    assert_eq!(
        sim.ex
            .open_orders(S)
            .map(|o| o.leaves_qty.lots())
            .collect::<Vec<_>>(),
        [2]
    );
}

#[test]
fn trade_on_own_side_does_not_advance_queue() {
    let mut sim = Sim::new(config());
    sim.send(0, limit(1, Side::Buy, 100, 1, TimeInForce::Gtc));
    sim.book_at(ENTRY);
    sim.trade_at(2_000, Side::Buy, 100, 50); // a buyer lifting 100: not our queue
    sim.trade_at(3_000, Side::Sell, 100, 5); // exactly the 5 ahead
    assert!(fills(&sim.poll(FAR)).is_empty());
    sim.trade_at(4_000, Side::Sell, 100, 1);
    assert_eq!(fills(&sim.poll(FAR)), [(100, 1, Liquidity::Maker)]);
}

#[test]
fn buy_never_fills_at_a_price_no_trade_or_level_reached() {
    let mut sim = Sim::new(config());
    sim.send(0, limit(1, Side::Buy, 99, 3, TimeInForce::Gtc));
    sim.send(0, limit(2, Side::Buy, 100, 3, TimeInForce::Ioc)); // ask is 101: nothing to take
    sim.book_at(ENTRY);
    sim.trade_at(2_000, Side::Sell, 100, 50); // trades above 99
    sim.level(Side::Sell, 101, 0)
        .level(Side::Sell, 100, 7)
        .book_at(3_000); // ask down to 100
    let got = sim.poll(FAR);
    assert!(fills(&got).is_empty(), "{got:?}");
    assert!(statuses(&got).contains(&OrderStatus::Expired));

    // Control: a print at 99 does fill the bid (nothing was displayed ahead at 99).
    sim.trade_at(4_000, Side::Sell, 99, 2);
    assert_eq!(fills(&sim.poll(FAR)), [(99, 2, Liquidity::Maker)]);
}

#[test]
fn trade_through_price_fills_without_queue() {
    let mut sim = Sim::new(config());
    sim.send(0, limit(1, Side::Buy, 100, 4, TimeInForce::Gtc));
    sim.book_at(ENTRY); // 5 ahead
    sim.trade_at(2_000, Side::Sell, 99, 3); // a seller went through 100
    assert_eq!(fills(&sim.poll(FAR)), [(100, 3, Liquidity::Maker)]);
}

#[test]
fn opposite_book_reaching_resting_order_fills_it_at_its_price() {
    let mut sim = Sim::new(config());
    sim.send(0, limit(1, Side::Buy, 100, 6, TimeInForce::Gtc));
    sim.book_at(ENTRY);
    sim.level(Side::Buy, 100, 0).level(Side::Sell, 101, 0);
    sim.level(Side::Sell, 100, 2).book_at(2_000); // ask comes down to our bid with 2 lots
    assert_eq!(fills(&sim.poll(FAR)), [(100, 2, Liquidity::Maker)]);
    sim.book_at(2_500); // same book: those 2 lots were ours already
    assert!(fills(&sim.poll(FAR)).is_empty());
    sim.level(Side::Sell, 100, 0)
        .level(Side::Sell, 98, 10)
        .book_at(3_000); // through us
    let got = sim.poll(FAR);
    assert_eq!(fills(&got), [(100, 4, Liquidity::Maker)]);
    assert_eq!(statuses(&got), [OrderStatus::Filled]);
}

#[rstest::rstest]
#[case::no_advance(CancelModel::NoAdvance, 6)]
#[case::proportional(CancelModel::Proportional, 5)] // 6 − floor(3 × 6 / 10)
fn cancels_at_level_advance_queue_per_model(#[case] model: CancelModel, #[case] ahead: i64) {
    let mut cfg = config();
    cfg.cancel_model = model;
    let mut sim = Sim::new(cfg);
    sim.level(Side::Buy, 100, 6);
    sim.send(0, limit(1, Side::Buy, 100, 1, TimeInForce::Gtc));
    sim.book_at(ENTRY); // 6 ahead
    sim.level(Side::Buy, 100, 10).book_at(2_000); // 4 join behind us
    sim.level(Side::Buy, 100, 7).book_at(3_000); // 3 cancelled somewhere
    sim.trade_at(4_000, Side::Sell, 100, ahead); // exactly the queue left: no fill yet
    assert!(fills(&sim.poll(FAR)).is_empty());
    sim.trade_at(5_000, Side::Sell, 100, 1);
    assert_eq!(fills(&sim.poll(FAR)), [(100, 1, Liquidity::Maker)]);
}

#[test]
fn probabilistic_cancel_model_advances_with_probability_ahead_over_displayed() {
    let mut advanced = 0;
    for seed in 0..400 {
        let mut cfg = config();
        cfg.cancel_model = CancelModel::Probabilistic;
        cfg.seed = seed;
        let mut sim = Sim::new(cfg);
        sim.send(0, limit(1, Side::Buy, 100, 1, TimeInForce::Gtc));
        sim.book_at(ENTRY); // 5 ahead
        sim.level(Side::Buy, 100, 10).book_at(2_000); // 5 behind
        sim.level(Side::Buy, 100, 8).book_at(3_000); // 2 cancelled: ahead with p = 5 / 10
        sim.trade_at(4_000, Side::Sell, 100, 4); // fills 1 only if the queue advanced to 3
        match fills(&sim.poll(FAR)).as_slice() {
            [] => {}
            [(100, 1, Liquidity::Maker)] => advanced += 1,
            other => panic!("seed {seed}: {other:?}"),
        }
    }
    assert!(
        (160..=240).contains(&advanced),
        "advanced in {advanced} of 400 runs"
    );
}

#[test]
fn queue_ahead_never_exceeds_displayed_quantity() {
    let mut sim = Sim::new(config()); // NoAdvance
    sim.send(0, limit(1, Side::Buy, 100, 1, TimeInForce::Gtc));
    sim.book_at(ENTRY); // 5 ahead
    sim.level(Side::Buy, 100, 1).book_at(2_000); // only 1 lot left displayed: at most 1 ahead
    sim.trade_at(3_000, Side::Sell, 100, 2);
    assert_eq!(fills(&sim.poll(FAR)), [(100, 1, Liquidity::Maker)]);
}
