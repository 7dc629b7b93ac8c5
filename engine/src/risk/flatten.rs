//! The order that closes a position when the kill switch trips with `flatten_on_kill`.

use ladder_sdk::{
    ClientOrderId, InstrumentId, OrderRequest, OrderType, Price, Quantity, Side, TimeInForce,
};

/// A market order for `|position|` lots on the side that brings `position` to zero, or `None`
/// when flat. The caller sends it after cancelling the strategy's orders
/// ([`PaperExchange::cancel_all_for`](crate::paper::PaperExchange::cancel_all_for)), bypassing
/// risk checks (a killed strategy's orders are otherwise refused).
pub fn flatten_request(
    position: i64,
    instrument: InstrumentId,
    id: ClientOrderId,
) -> Option<OrderRequest> {
    let side = match position.signum() {
        1 => Side::Sell,
        -1 => Side::Buy,
        _ => return None,
    };
    let lots = i64::try_from(position.unsigned_abs()).unwrap_or(i64::MAX);
    Some(OrderRequest::new_order(
        id,
        instrument,
        side,
        OrderType::Market,
        TimeInForce::Ioc,
        Price::from_ticks(0),
        Quantity::from_lots(lots),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case::long(5, Some((Side::Sell, 5)))]
    #[case::short(-3, Some((Side::Buy, 3)))]
    #[case::flat(0, None)]
    #[case::most_negative(i64::MIN, Some((Side::Buy, i64::MAX)))]
    fn flatten_request_closes_position(#[case] position: i64, #[case] want: Option<(Side, i64)>) {
        let req = flatten_request(position, InstrumentId::new(2), ClientOrderId::new(9));
        assert_eq!(req.map(|r| (r.side, r.qty.lots())), want);
        if let Some(r) = req {
            assert_eq!(r.order_type, OrderType::Market);
            assert_eq!(r.instrument, InstrumentId::new(2));
            assert_eq!(r.id, ClientOrderId::new(9));
        }
    }
}
