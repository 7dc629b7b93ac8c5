//! Unit tests of the boundary types: context buffers, book view, manifest.

use super::*;
use crate::ids::{InstrumentId, Side};
use crate::num::{Level, Price, Quantity};
use crate::strategy::{
    BufferFull, ClientOrderId, OpenOrder, OrderError, OrderRequest, OrderType, RequestKind,
    SignalId, SignalValue, TimeInForce,
};
use crate::time::UnixNanos;
use crate::{BookState, SDK_VERSION};

const BTC: InstrumentId = InstrumentId::new(0);
const ETH: InstrumentId = InstrumentId::new(1);

fn px(t: i64) -> Price {
    Price::from_ticks(t)
}

fn qty(l: i64) -> Quantity {
    Quantity::from_lots(l)
}

fn open(id: u64, instrument: InstrumentId) -> OpenOrder {
    OpenOrder {
        id: ClientOrderId::new(id),
        instrument,
        side: Side::Buy,
        order_type: OrderType::Limit,
        time_in_force: TimeInForce::Gtc,
        _reserved: 0,
        price: px(100),
        qty: qty(1),
        leaves_qty: qty(1),
    }
}

struct Buffers {
    signals: Vec<SignalValue>,
    orders: Vec<OrderRequest>,
    positions: Vec<i64>,
    open_orders: Vec<OpenOrder>,
    ranges: Vec<OrderRange>,
}

impl Buffers {
    fn new(signal_cap: usize, order_cap: usize) -> Self {
        Self {
            signals: vec![SignalValue::default(); signal_cap],
            orders: vec![OrderRequest::cancel(ClientOrderId::new(0)); order_cap],
            positions: vec![5, -3],
            open_orders: vec![open(1, BTC), open(2, BTC), open(3, ETH)],
            ranges: vec![
                OrderRange { start: 0, len: 2 },
                OrderRange { start: 2, len: 1 },
            ],
        }
    }

    fn context(&mut self) -> Context<'_> {
        Context::new(ContextParts {
            now: UnixNanos::from_nanos(42),
            timer: None,
            next_order_id: 7,
            signals: &mut self.signals,
            orders: &mut self.orders,
            positions: &self.positions,
            open_orders: &self.open_orders,
            open_order_ranges: &self.ranges,
        })
    }
}

#[test]
fn emit_writes_into_host_buffer_until_full_then_errors() {
    let mut bufs = Buffers::new(2, 0);
    let mut ctx = bufs.context();
    assert_eq!(ctx.emit(SignalId::new(0), 1.5), Ok(()));
    assert_eq!(ctx.emit(SignalId::new(1), -2.0), Ok(()));
    assert_eq!(
        ctx.emit(SignalId::new(0), 9.0),
        Err(BufferFull { capacity: 2 })
    );
    assert_eq!(
        ctx.signals(),
        [
            SignalValue::new(SignalId::new(0), 1.5),
            SignalValue::new(SignalId::new(1), -2.0)
        ]
    );
    let _ = ctx;
    assert_eq!(
        bufs.signals[1].value, -2.0,
        "written into the host's memory"
    );
}

#[test]
fn orders_get_consecutive_ids_and_full_buffer_assigns_none() {
    let mut bufs = Buffers::new(0, 3);
    let mut ctx = bufs.context();
    assert_eq!(
        ctx.limit(BTC, Side::Buy, px(100), qty(2)),
        Ok(ClientOrderId::new(7))
    );
    assert_eq!(
        ctx.post_only(BTC, Side::Sell, px(101), qty(1)),
        Ok(ClientOrderId::new(8))
    );
    assert_eq!(ctx.cancel(ClientOrderId::new(7)), Ok(()));
    assert_eq!(
        ctx.market(BTC, Side::Buy, qty(1)),
        Err(OrderError::BufferFull(BufferFull { capacity: 3 }))
    );
    assert_eq!(ctx.next_order_id(), 9, "a refused order does not use an id");
    let o = ctx.orders();
    assert_eq!(o.len(), 3);
    assert_eq!(
        (o[0].kind, o[0].time_in_force, o[0].price),
        (RequestKind::New, TimeInForce::Gtc, px(100))
    );
    assert_eq!(o[1].time_in_force, TimeInForce::PostOnly);
    assert_eq!(
        (o[2].kind, o[2].id),
        (RequestKind::Cancel, ClientOrderId::new(7))
    );
}

#[test]
fn market_ioc_and_cancel_all_requests_are_shaped() {
    let mut bufs = Buffers::new(0, 4);
    let mut ctx = bufs.context();
    ctx.market(ETH, Side::Sell, qty(3)).unwrap();
    ctx.ioc(ETH, Side::Buy, px(5), qty(1)).unwrap();
    ctx.cancel_all(ETH).unwrap();
    assert_eq!(
        ctx.limit(ETH, Side::Buy, px(5), Quantity::ZERO),
        Err(OrderError::ZeroQuantity)
    );
    let o = ctx.orders();
    assert_eq!(
        (o[0].order_type, o[0].time_in_force, o[0].side),
        (OrderType::Market, TimeInForce::Ioc, Side::Sell)
    );
    assert_eq!(
        (o[1].order_type, o[1].time_in_force),
        (OrderType::Limit, TimeInForce::Ioc)
    );
    assert_eq!(
        (o[2].kind, o[2].instrument, o[2].id),
        (RequestKind::CancelAll, ETH, ClientOrderId::new(0))
    );
}

#[test]
fn positions_and_open_orders_are_per_instrument() {
    let mut bufs = Buffers::new(0, 0);
    let ctx = bufs.context();
    assert_eq!(ctx.position(BTC), 5);
    assert_eq!(ctx.position(ETH), -3);
    assert_eq!(ctx.position(InstrumentId::new(9)), 0);
    let ids = |i| {
        ctx.open_orders(i)
            .iter()
            .map(|o| o.id.get())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(BTC), [1, 2]);
    assert_eq!(ids(ETH), [3]);
    assert!(ids(InstrumentId::new(9)).is_empty());
    assert_eq!(ctx.all_open_orders().len(), 3);
}

#[test]
fn open_orders_with_out_of_range_group_is_empty_not_a_panic() {
    let mut bufs = Buffers::new(0, 0);
    bufs.ranges[1] = OrderRange { start: 2, len: 99 };
    let ctx = bufs.context();
    assert!(ctx.open_orders(ETH).is_empty());
}

#[test]
fn timer_set_replace_cancel() {
    let mut bufs = Buffers::new(0, 0);
    let mut ctx = bufs.context();
    assert_eq!(ctx.now(), UnixNanos::from_nanos(42));
    assert_eq!(ctx.timer(), None);
    ctx.set_timer(UnixNanos::from_nanos(100));
    ctx.set_timer(UnixNanos::from_nanos(50));
    assert_eq!(ctx.timer(), Some(UnixNanos::from_nanos(50)));
    ctx.set_timer(UnixNanos::ZERO);
    assert_eq!(
        ctx.timer(),
        Some(UnixNanos::from_nanos(1)),
        "epoch is kept as 'fire now'"
    );
    ctx.cancel_timer();
    assert_eq!(ctx.timer(), None);
}

#[test]
fn discard_output_empties_this_calls_output() {
    let mut bufs = Buffers::new(1, 1);
    let mut ctx = bufs.context();
    ctx.emit(SignalId::new(0), 1.0).unwrap();
    ctx.limit(BTC, Side::Buy, px(1), qty(1)).unwrap();
    ctx.discard_output();
    assert!(ctx.signals().is_empty() && ctx.orders().is_empty());
}

#[test]
fn book_view_borrows_levels_best_first() {
    let bids = [Level::new(px(100), qty(2)), Level::new(px(99), qty(5))];
    let asks = [Level::new(px(101), qty(1))];
    let view = BookView::new(BTC, &bids, &asks)
        .with_times(77, UnixNanos::from_nanos(10), UnixNanos::from_nanos(11))
        .with_state(BookState::Stale);
    assert_eq!(view.bids(), bids);
    assert_eq!(view.asks(), asks);
    assert_eq!(view.best_bid(), Some(bids[0]));
    assert_eq!(view.best_ask(), Some(asks[0]));
    assert_eq!(
        (
            view.update_id(),
            view.ts_exchange().as_nanos(),
            view.ts_recv().as_nanos()
        ),
        (77, 10, 11)
    );
    assert!(!view.is_synced());
    let empty = BookView::new(ETH, &[], &[]);
    assert_eq!((empty.best_bid(), empty.best_ask()), (None, None));
    assert!(empty.is_synced());
}

#[test]
fn manifest_new_fills_versions_and_sizes() {
    static VT: VTable = VTable::of::<Dummy>();
    let m = Manifest::new("demo", "1.2.3", true, &VT);
    assert_eq!(m.magic, MAGIC);
    assert_eq!((m.abi_major, m.abi_minor), (ABI_MAJOR, ABI_MINOR));
    assert_eq!(m.header_size as usize, std::mem::size_of::<Manifest>());
    assert_eq!(m.vtable_size as usize, std::mem::size_of::<VTable>());
    assert_eq!(m.layout_hash, LAYOUT_HASH);
    assert_eq!(m.panic_unwind, 1);
    assert_eq!(m.sdk_version.len, SDK_VERSION.len());
    assert!(RUSTC_VERSION.starts_with("rustc "), "{RUSTC_VERSION}");
    assert_eq!(m.prefix().magic, MAGIC);
}

struct Dummy;

impl crate::Strategy for Dummy {
    fn new(_: &str, _: &mut InitContext<'_>) -> Result<Self, crate::StrategyError> {
        Ok(Self)
    }
    fn on_book(&mut self, _: &mut Context<'_>, _: &BookView<'_>) {}
}
