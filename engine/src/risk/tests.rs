//! Each limit, the kill switch, and the `[risk]` config section. Ticks of 1, lots of 0.001.

use super::*;
use ladder_sdk::{ClientOrderId, InstrumentId, Quantity, Side, TimeInForce};
use rstest::rstest;
use std::str::FromStr;

const S: StrategyIdx = StrategyIdx(0);
const I: InstrumentId = InstrumentId::new(0);

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn spec() -> InstrumentSpec {
    InstrumentSpec::new(dec("1"), dec("0.001")).unwrap()
}

fn order(side: Side, order_type: OrderType, price: i64, lots: i64) -> OrderRequest {
    OrderRequest::new_order(
        ClientOrderId::new(1),
        I,
        side,
        order_type,
        TimeInForce::Gtc,
        Price::from_ticks(price),
        Quantity::from_lots(lots),
    )
}

fn buy(price: i64, lots: i64) -> OrderRequest {
    order(Side::Buy, OrderType::Limit, price, lots)
}

fn open(instrument: u32, side: Side, lots: i64) -> OpenOrder {
    OpenOrder {
        id: ClientOrderId::new(99),
        instrument: InstrumentId::new(instrument),
        side,
        order_type: OrderType::Limit,
        time_in_force: TimeInForce::Gtc,
        _reserved: 0,
        price: Price::from_ticks(100),
        qty: Quantity::from_lots(lots),
        leaves_qty: Quantity::from_lots(lots),
    }
}

/// Checks `req` with one limit set by `set`, position `position`, open orders `open`, mid 100.
fn check_with(
    set: impl FnOnce(&mut RiskLimits),
    position: i64,
    open_orders: &[OpenOrder],
    mid: Option<i64>,
    req: &OrderRequest,
) -> Result<(), RejectReason> {
    let mut limits = RiskLimits::default();
    set(&mut limits);
    let spec = spec();
    let view = RiskView {
        position,
        open_orders,
        mid: mid.map(Price::from_ticks),
        spec: &spec,
    };
    RiskEngine::new(limits, 1).check(S, UnixNanos::from_nanos(1), req, view)
}

fn check(set: impl FnOnce(&mut RiskLimits), req: &OrderRequest) -> Result<(), RejectReason> {
    check_with(set, 0, &[], Some(100), req)
}

#[rstest]
#[case::at_limit(10, Ok(()))]
#[case::above(11, Err(RejectReason::MaxOrderQty))]
fn max_order_qty(#[case] lots: i64, #[case] want: Result<(), RejectReason>) {
    let set = |l: &mut RiskLimits| l.max_order_qty = Some(Quantity::from_lots(10));
    assert_eq!(check(set, &buy(100, lots)), want);
}

#[rstest]
#[case::within(5, 0, &[], Side::Buy, Ok(()))]
#[case::position_plus_order(5, 6, &[], Side::Buy, Err(RejectReason::MaxPosition))]
#[case::open_same_side_counts(3, 0, &[open(0, Side::Buy, 8)], Side::Buy, Err(RejectReason::MaxPosition))]
#[case::open_other_side_ignored(3, 0, &[open(0, Side::Sell, 8)], Side::Buy, Ok(()))]
#[case::open_other_instrument_ignored(3, 0, &[open(1, Side::Buy, 8)], Side::Buy, Ok(()))]
#[case::reducing_from_the_limit(5, 10, &[], Side::Sell, Ok(()))]
#[case::flipping_within_the_limit(15, 10, &[], Side::Sell, Ok(()))]
#[case::flipping_past_the_limit(21, 10, &[], Side::Sell, Err(RejectReason::MaxPosition))]
#[case::short_side(5, -6, &[], Side::Sell, Err(RejectReason::MaxPosition))]
fn max_position_counts_worst_case(
    #[case] lots: i64,
    #[case] position: i64,
    #[case] open_orders: &[OpenOrder],
    #[case] side: Side,
    #[case] want: Result<(), RejectReason>,
) {
    let set = |l: &mut RiskLimits| l.max_position = Some(10);
    let req = order(side, OrderType::Limit, 100, lots);
    assert_eq!(
        check_with(set, position, open_orders, Some(100), &req),
        want
    );
}

#[rstest]
#[case::limit_within(buy(100, 10), Some(100), Ok(()))] // 100 × 0.010 = 1
#[case::limit_above(buy(101, 10), Some(100), Err(RejectReason::MaxNotional))]
#[case::market_at_mid(order(Side::Sell, OrderType::Market, 0, 10), Some(100), Ok(()))]
#[case::market_above(
    order(Side::Sell, OrderType::Market, 0, 11),
    Some(100),
    Err(RejectReason::MaxNotional)
)]
#[case::market_no_mid(
    order(Side::Sell, OrderType::Market, 0, 1),
    None,
    Err(RejectReason::MaxNotional)
)]
fn max_notional(
    #[case] req: OrderRequest,
    #[case] mid: Option<i64>,
    #[case] want: Result<(), RejectReason>,
) {
    let set = |l: &mut RiskLimits| l.max_notional = Some(dec("1"));
    assert_eq!(check_with(set, 0, &[], mid, &req), want);
}

#[test]
fn max_open_orders_counts_listed_orders() {
    let set = |l: &mut RiskLimits| l.max_open_orders = Some(2);
    let one = [open(0, Side::Buy, 1)];
    let two = [open(0, Side::Buy, 1), open(1, Side::Sell, 1)];
    assert_eq!(check_with(set, 0, &one, Some(100), &buy(100, 1)), Ok(()));
    assert_eq!(
        check_with(set, 0, &two, Some(100), &buy(100, 1)),
        Err(RejectReason::MaxOpenOrders)
    );
}

#[rstest]
#[case::inside(10_200, Ok(()))] // 2% of 10000 exactly
#[case::outside(10_201, Err(RejectReason::PriceBand))]
#[case::outside_below(9_799, Err(RejectReason::PriceBand))]
fn price_band_around_mid(#[case] price: i64, #[case] want: Result<(), RejectReason>) {
    let set = |l: &mut RiskLimits| l.price_band_bps = Some(200);
    assert_eq!(check_with(set, 0, &[], Some(10_000), &buy(price, 1)), want);
}

#[test]
fn price_band_without_mid_rejects_limits_not_markets() {
    let set = |l: &mut RiskLimits| l.price_band_bps = Some(200);
    assert_eq!(
        check_with(set, 0, &[], None, &buy(100, 1)),
        Err(RejectReason::PriceBand)
    );
    let market = order(Side::Buy, OrderType::Market, 0, 1);
    assert_eq!(check_with(set, 0, &[], None, &market), Ok(()));
}

#[test]
fn rate_limit_per_strategy_sliding_second() {
    let limits = RiskLimits {
        max_orders_per_sec: Some(2),
        ..RiskLimits::default()
    };
    let mut risk = RiskEngine::new(limits, 2);
    let spec = spec();
    let view = RiskView {
        position: 0,
        open_orders: &[],
        mid: Some(Price::from_ticks(100)),
        spec: &spec,
    };
    let at = UnixNanos::from_millis;
    let req = buy(100, 1);
    assert_eq!(risk.check(S, at(0), &req, view), Ok(()));
    assert_eq!(risk.check(S, at(10), &req, view), Ok(()));
    assert_eq!(
        risk.check(S, at(20), &req, view),
        Err(RejectReason::RateLimit)
    );
    assert_eq!(risk.check(StrategyIdx(1), at(20), &req, view), Ok(()));
    let cancel = OrderRequest::cancel(ClientOrderId::new(1));
    assert_eq!(
        risk.check(S, at(30), &cancel, view),
        Ok(()),
        "cancels always pass"
    );
    assert_eq!(risk.check(S, at(1_000), &req, view), Ok(()));
    assert_eq!(
        risk.check(S, at(1_009), &req, view),
        Err(RejectReason::RateLimit)
    );
}

#[test]
fn cancels_pass_every_limit_and_the_kill_switch() {
    let limits = RiskLimits {
        max_order_qty: Some(Quantity::ZERO),
        max_position: Some(0),
        max_open_orders: Some(0),
        max_orders_per_sec: Some(0),
        ..RiskLimits::default()
    };
    let mut risk = RiskEngine::new(limits, 1);
    risk.kill(S, UnixNanos::ZERO, KillReason::Manual);
    risk.disable(S);
    let spec = spec();
    let view = RiskView {
        position: 5,
        open_orders: &[],
        mid: None,
        spec: &spec,
    };
    for req in [
        OrderRequest::cancel(ClientOrderId::new(3)),
        OrderRequest::cancel_all(I),
    ] {
        assert_eq!(risk.check(S, UnixNanos::ZERO, &req, view), Ok(()));
    }
    assert_eq!(
        risk.check(S, UnixNanos::ZERO, &buy(100, 1), view),
        Err(RejectReason::StrategyDisabled)
    );
}

#[test]
fn kill_switch_on_max_loss_trips_once_then_rejects_orders() {
    let limits = RiskLimits {
        max_loss: Some(dec("10")),
        ..RiskLimits::default()
    };
    let mut risk = RiskEngine::new(limits, 2);
    let now = UnixNanos::from_nanos(5);
    assert_eq!(
        risk.on_equity(S, now, dec("-10")),
        None,
        "at the limit is allowed"
    );
    let tripped = risk.on_equity(S, now, dec("-10.01"));
    assert_eq!(
        tripped,
        Some(KillReason::MaxLoss {
            equity: dec("-10.01"),
            limit: dec("10")
        })
    );
    assert_eq!(
        tripped.map(|r| r.to_string()).as_deref(),
        Some("max loss: equity -10.01 is below -10")
    );
    assert_eq!(risk.on_equity(S, now, dec("-50")), None, "trips once");
    assert!(risk.is_killed(S));
    assert!(!risk.is_killed(StrategyIdx(1)));
    assert_eq!(risk.kill_reason(S).map(|(t, _)| t), Some(now));
    let spec = spec();
    let view = RiskView {
        position: 0,
        open_orders: &[],
        mid: Some(Price::from_ticks(100)),
        spec: &spec,
    };
    assert_eq!(
        risk.check(S, now, &buy(100, 1), view),
        Err(RejectReason::KillSwitch)
    );
    assert_eq!(risk.check(StrategyIdx(1), now, &buy(100, 1), view), Ok(()));
}

#[test]
fn kill_switch_on_drawdown_from_running_peak() {
    let limits = RiskLimits {
        max_drawdown: Some(dec("5")),
        ..RiskLimits::default()
    };
    let mut risk = RiskEngine::new(limits, 1);
    let now = UnixNanos::ZERO;
    assert_eq!(risk.on_equity(S, now, dec("-4")), None);
    assert_eq!(risk.on_equity(S, now, dec("20")), None);
    assert_eq!(risk.on_equity(S, now, dec("15")), None);
    assert_eq!(risk.peak_equity(S), dec("20"));
    let tripped = risk.on_equity(S, now, dec("14.5"));
    assert!(
        matches!(tripped, Some(KillReason::MaxDrawdown { peak, equity, .. }) if peak == dec("20") && equity == dec("14.5")),
        "{tripped:?}"
    );
    assert!(!risk.kill(S, now, KillReason::Manual), "already tripped");
}

#[test]
fn limits_deserialize_from_toml_with_defaults() {
    let text = r#"
        max_order_qty = 10
        max_position = 100
        max_notional = "50000.5"
        max_loss = 500
        price_band_bps = 200
    "#;
    let limits: RiskLimits = toml::from_str(text).unwrap();
    assert_eq!(limits.max_order_qty, Some(Quantity::from_lots(10)));
    assert_eq!(limits.max_position, Some(100));
    assert_eq!(limits.max_notional, Some(dec("50000.5")));
    assert_eq!(limits.max_loss, Some(dec("500")));
    assert_eq!(limits.price_band_bps, Some(200));
    assert_eq!(limits.max_drawdown, None);
    assert!(limits.flatten_on_kill);
    assert_eq!(
        toml::from_str::<RiskLimits>("").unwrap(),
        RiskLimits::default()
    );
}

#[rstest]
#[case::unknown_key("max_postion = 3", "unknown field")]
#[case::negative_lots("max_order_qty = -1", "must not be negative")]
fn limits_reject_bad_config(#[case] text: &str, #[case] expected: &str) {
    let err = toml::from_str::<RiskLimits>(text).unwrap_err().to_string();
    assert!(err.contains(expected), "{err}");
}

#[test]
fn negative_limits_are_refused_naming_the_key() {
    let limits = RiskLimits {
        max_loss: Some(dec("-1")),
        ..RiskLimits::default()
    };
    let err = RiskEngine::try_new(limits, 1).unwrap_err().to_string();
    assert_eq!(err, "risk max_loss must not be negative, got -1");
}
