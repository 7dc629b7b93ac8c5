//! Paper exchange tests: money.

use super::*;

#[test]
fn fees_taker_positive_maker_negative_rebate() {
    let mut cfg = config();
    cfg.maker_fee_bps = dec("-0.5");
    cfg.taker_fee_bps = dec("1");
    let mut sim = Sim::new(cfg);
    sim.send(0, market(1, Side::Buy, 2)); // 2 lots @ 101: notional 0.202
    sim.send(0, limit(2, Side::Sell, 102, 4, TimeInForce::Gtc));
    sim.book_at(ENTRY);
    sim.trade_at(2_000, Side::Buy, 102, 4); // nothing displayed at 102: we are first
    let fees: Vec<(Liquidity, Decimal)> = sim
        .poll(FAR)
        .iter()
        .filter_map(|r| match r {
            Report::Fill(f, fee) => Some((f.liquidity, *fee)),
            Report::Update(_) => None,
        })
        .collect();
    assert_eq!(
        fees,
        [
            (Liquidity::Taker, dec("0.0000202")),  // 0.202 × 1 bps
            (Liquidity::Maker, dec("-0.0000204")), // 0.408 × −0.5 bps
        ]
    );
    let a = sim.ex.account(S, I);
    assert_eq!(a.fees, dec("-0.0000002"));
    assert_eq!(a.notional, dec("0.61"));
    assert_eq!(a.realized_pnl, dec("0.002")); // 2 lots × (102 − 101) × 0.001
    assert_eq!(a.position, -2);
    assert_eq!(a.net_realized(), dec("0.0020002"));
}

#[test]
fn pnl_buy_two_at_100_sell_one_at_110() {
    let mut sim = Sim::new(config());
    sim.level(Side::Sell, 101, 0).level(Side::Sell, 100, 2);
    sim.send(0, market(1, Side::Buy, 2));
    sim.book_at(ENTRY);
    sim.level(Side::Sell, 100, 0)
        .level(Side::Buy, 100, 0)
        .level(Side::Buy, 110, 1);
    sim.level(Side::Sell, 111, 1);
    sim.send(2_000, market(2, Side::Sell, 1));
    sim.book_at(3_000);
    sim.poll(FAR);
    let a = *sim.ex.account(S, I);
    assert_eq!(a.position, 1);
    assert_eq!(a.realized_pnl, dec("0.01")); // +10 × lot value 0.001
    assert_eq!(a.avg_entry, dec("100"));
    assert_eq!(sim.ex.unrealized(S, I, px(105)), dec("0.005"));
    assert_eq!(sim.ex.equity(S, &[Some(px(105))]), dec("0.015"));
    assert_eq!(sim.ex.equity(S, &[None]), dec("0.01"));
    assert_eq!(sim.ex.mid(I), Some(dec("110.5")));
    assert_eq!(sim.ex.equity_at_mid(S), dec("0.0205"));
}

#[test]
fn fill_reports_position_after_each_fill() {
    let mut sim = Sim::new(config());
    sim.level(Side::Sell, 102, 3);
    sim.send(0, market(1, Side::Buy, 7));
    sim.book_at(ENTRY);
    let positions: Vec<i64> = sim
        .poll(FAR)
        .iter()
        .filter_map(|r| match r {
            Report::Fill(f, _) => Some(f.position),
            Report::Update(_) => None,
        })
        .collect();
    assert_eq!(positions, [5, 7]);
}
