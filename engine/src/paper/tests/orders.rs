//! Paper exchange tests: order types.

use super::*;

#[test]
fn post_only_that_would_cross_is_rejected() {
    let mut sim = Sim::new(config());
    sim.send(0, limit(1, Side::Buy, 101, 1, TimeInForce::PostOnly));
    sim.send(0, limit(2, Side::Sell, 100, 1, TimeInForce::PostOnly));
    sim.send(0, limit(3, Side::Buy, 100, 1, TimeInForce::PostOnly));
    sim.book_at(ENTRY);
    let got = sim.poll(FAR);
    assert_eq!(
        statuses(&got),
        [
            OrderStatus::Rejected,
            OrderStatus::Rejected,
            OrderStatus::Accepted
        ]
    );
    assert_eq!(reject_reason(&got), Some(RejectReason::PostOnlyWouldCross));
    assert!(fills(&got).is_empty());
    assert_eq!(sim.ex.open_orders(S).count(), 1);
}

#[test]
fn market_order_larger_than_book_fills_across_levels_and_rest_expires() {
    let mut sim = Sim::new(config());
    sim.level(Side::Sell, 101, 2).level(Side::Sell, 102, 3);
    sim.send(0, market(1, Side::Buy, 10));
    sim.book_at(ENTRY);
    let got = sim.poll(FAR);
    assert_eq!(
        fills(&got),
        [(101, 2, Liquidity::Taker), (102, 3, Liquidity::Taker)]
    );
    assert_eq!(
        statuses(&got),
        [OrderStatus::Accepted, OrderStatus::Expired]
    );
    assert!(matches!(got[0], Report::Update(u) if u.status == OrderStatus::Accepted));
    assert_eq!(sim.ex.account(S, I).position, 5);
    assert_eq!(sim.ex.open_orders(S).count(), 0);
}

#[test]
fn market_order_on_empty_side_is_rejected_no_liquidity() {
    let mut sim = Sim::new(config());
    sim.level(Side::Sell, 101, 0);
    sim.send(0, market(1, Side::Buy, 1));
    sim.book_at(ENTRY);
    let got = sim.poll(FAR);
    assert_eq!(statuses(&got), [OrderStatus::Rejected]);
    assert_eq!(reject_reason(&got), Some(RejectReason::NoLiquidity));
}

#[test]
fn ioc_takes_what_it_can_and_rest_expires() {
    let mut sim = Sim::new(config());
    sim.level(Side::Sell, 102, 9);
    sim.send(0, limit(1, Side::Buy, 101, 8, TimeInForce::Ioc));
    sim.book_at(ENTRY);
    let got = sim.poll(FAR);
    assert_eq!(fills(&got), [(101, 5, Liquidity::Taker)]); // not 102: above the limit
    assert_eq!(
        statuses(&got),
        [OrderStatus::Accepted, OrderStatus::Expired]
    );
}

#[test]
fn crossing_gtc_takes_then_rests_remainder() {
    let mut sim = Sim::new(config());
    sim.send(0, limit(1, Side::Buy, 101, 8, TimeInForce::Gtc));
    sim.book_at(ENTRY);
    let got = sim.poll(FAR);
    assert_eq!(fills(&got), [(101, 5, Liquidity::Taker)]);
    assert_eq!(statuses(&got), [OrderStatus::Accepted]);
    let open: Vec<_> = sim.ex.open_orders(S).collect();
    assert_eq!((open.len(), open[0].leaves_qty.lots()), (1, 3));
    sim.book_at(2_000); // same book: the 5 at 101 were taken, nothing new
    assert!(fills(&sim.poll(FAR)).is_empty());
}

#[test]
fn cancel_known_order_cancels_unknown_is_rejected() {
    let mut sim = Sim::new(config());
    sim.send(0, limit(1, Side::Buy, 99, 1, TimeInForce::Gtc));
    sim.book_at(ENTRY);
    sim.send(2_000, OrderRequest::cancel(ClientOrderId::new(1)));
    sim.send(2_000, OrderRequest::cancel(ClientOrderId::new(42)));
    sim.book_at(3_000);
    let got = sim.poll(FAR);
    let by_id: Vec<(u64, OrderStatus)> = got
        .iter()
        .filter_map(|r| match r {
            Report::Update(u) => Some((u.id.get(), u.status)),
            Report::Fill(..) => None,
        })
        .collect();
    assert_eq!(by_id.len(), 3);
    assert!(by_id.contains(&(1, OrderStatus::Canceled)), "{by_id:?}");
    assert!(
        by_id.contains(&(42, OrderStatus::CancelRejected)),
        "{by_id:?}"
    );
    assert_eq!(reject_reason(&got), Some(RejectReason::UnknownOrder));
    assert_eq!(sim.ex.open_orders(S).count(), 0);
}

#[test]
fn cancel_all_cancels_resting_orders_of_the_instrument() {
    let mut sim = Sim::new(config());
    sim.send(0, limit(1, Side::Buy, 99, 1, TimeInForce::Gtc));
    sim.send(0, limit(2, Side::Sell, 105, 1, TimeInForce::Gtc));
    sim.book_at(ENTRY);
    sim.send(2_000, OrderRequest::cancel_all(I));
    sim.book_at(2_999);
    assert_eq!(
        sim.ex.open_orders(S).count(),
        2,
        "cancel-all still in flight"
    );
    sim.book_at(3_000);
    assert_eq!(sim.ex.open_orders(S).count(), 0);
    let got = sim.poll(FAR);
    assert_eq!(
        statuses(&got)
            .iter()
            .filter(|s| **s == OrderStatus::Canceled)
            .count(),
        2
    );
}

#[test]
fn cancel_all_for_is_immediate_and_drops_requests_in_flight() {
    let mut sim = Sim::with_strategies(config(), 2);
    sim.send(0, limit(1, Side::Buy, 99, 1, TimeInForce::Gtc));
    sim.ex.submit(
        t(0),
        StrategyIdx(1),
        &limit(1, Side::Buy, 99, 1, TimeInForce::Gtc),
    );
    sim.book_at(ENTRY);
    sim.send(1_500, limit(2, Side::Buy, 101, 1, TimeInForce::Gtc)); // in flight
    sim.ex.cancel_all_for(t(1_600), S);
    assert_eq!(sim.ex.open_orders(S).count(), 0);
    assert_eq!(
        sim.ex.open_orders(StrategyIdx(1)).count(),
        1,
        "other strategy untouched"
    );
    sim.book_at(3_000); // order 2 would have arrived and taken at 101
    sim.poll(FAR);
    let mine: Vec<Report> = sim
        .reports
        .iter()
        .filter(|(s, _)| *s == S)
        .map(|(_, r)| *r)
        .collect();
    assert!(fills(&mine).is_empty());
    assert_eq!(
        statuses(&mine),
        [
            OrderStatus::Accepted,
            OrderStatus::Canceled,
            OrderStatus::Canceled
        ]
    );
}

#[test]
fn requests_refused_at_arrival_with_their_reason() {
    let mut cfg = config();
    cfg.max_orders = 2;
    let mut sim = Sim::new(cfg);
    let mut unknown = limit(1, Side::Buy, 99, 1, TimeInForce::Gtc);
    unknown.instrument = InstrumentId::new(7);
    let cases = [
        (unknown, RejectReason::UnknownInstrument),
        (
            limit(2, Side::Buy, 99, 0, TimeInForce::Gtc),
            RejectReason::InvalidQuantity,
        ),
    ];
    for (req, reason) in cases {
        sim.send(0, req);
        let got = sim.poll(ENTRY + RESPONSE);
        assert_eq!(statuses(&got), [OrderStatus::Rejected], "{reason}");
        assert_eq!(reject_reason(&got), Some(reason));
    }
    sim.send(0, limit(3, Side::Buy, 99, 1, TimeInForce::Gtc));
    sim.send(0, limit(3, Side::Buy, 98, 1, TimeInForce::Gtc));
    assert_eq!(
        reject_reason(&sim.poll(FAR)),
        Some(RejectReason::DuplicateOrderId)
    );
    sim.send(0, limit(4, Side::Buy, 98, 1, TimeInForce::Gtc));
    sim.send(0, limit(5, Side::Buy, 97, 1, TimeInForce::Gtc)); // third live order, capacity 2
    assert_eq!(
        reject_reason(&sim.poll(FAR)),
        Some(RejectReason::MaxOpenOrders)
    );
}
