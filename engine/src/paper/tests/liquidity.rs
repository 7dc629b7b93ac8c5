//! Paper exchange tests: liquidity.

use super::*;

#[test]
fn taken_liquidity_not_reused_until_level_quantity_changes() {
    let mut sim = Sim::new(config());
    sim.level(Side::Sell, 101, 3);
    sim.send(0, limit(1, Side::Buy, 101, 2, TimeInForce::Ioc));
    sim.send(1, limit(2, Side::Buy, 101, 2, TimeInForce::Ioc));
    sim.book_at(ENTRY + 1);
    assert_eq!(
        fills(&sim.poll(FAR)),
        [(101, 2, Liquidity::Taker), (101, 1, Liquidity::Taker)]
    );
    sim.send(2_000, limit(3, Side::Buy, 101, 2, TimeInForce::Ioc));
    sim.level(Side::Buy, 99, 4).book_at(3_000); // another level changed, not 101
    assert!(fills(&sim.poll(FAR)).is_empty());
    sim.send(4_000, limit(4, Side::Buy, 101, 2, TimeInForce::Ioc));
    sim.level(Side::Sell, 101, 4).book_at(5_000); // 101 shows a new quantity
    assert_eq!(fills(&sim.poll(FAR)), [(101, 2, Liquidity::Taker)]);
}

#[test]
fn strategies_do_not_share_taken_liquidity() {
    let mut sim = Sim::with_strategies(config(), 2);
    sim.send(0, market(1, Side::Buy, 5));
    sim.ex
        .submit(t(0), StrategyIdx(1), &market(1, Side::Buy, 5));
    sim.book_at(ENTRY);
    sim.poll(FAR);
    assert_eq!(sim.ex.account(S, I).position, 5);
    assert_eq!(sim.ex.account(StrategyIdx(1), I).position, 5);
}
