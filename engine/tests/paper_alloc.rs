//! The paper exchange and the risk checks allocate nothing per event once built: a counting
//! global allocator watches `submit`, `on_book`, `on_trade`, `poll_reports`, `RiskEngine::check`
//! and `on_equity` while orders of every kind trade, rest, queue and cancel.
#![allow(unsafe_code)] // the counting global allocator below

use ladder_engine::book::{BookConfig, L2Book};
use ladder_engine::paper::{
    CancelModel, LatencyModel, PaperConfig, PaperExchange, Report, StrategyIdx,
};
use ladder_engine::risk::{RiskEngine, RiskLimits, RiskView};
use ladder_sdk::{
    ClientOrderId, InstrumentId, InstrumentSpec, OrderRequest, OrderType, Price, Quantity, Side,
    TimeInForce, Trade, UnixNanos,
};
use rust_decimal::Decimal;

mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    }

    /// Forwards to the system allocator and counts allocations made by the current thread.
    pub(crate) struct Counting;

    // SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
    // thread-local counter is a const-initialised `Cell` that never allocates.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            ALLOCATIONS.with(|c| c.set(c.get() + 1));
            // SAFETY: forwarded contract of `GlobalAlloc::alloc`.
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: forwarded contract of `GlobalAlloc::dealloc`.
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            ALLOCATIONS.with(|c| c.set(c.get() + 1));
            // SAFETY: forwarded contract of `GlobalAlloc::realloc`.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    /// Allocations made by this thread so far.
    pub(crate) fn count() -> u64 {
        ALLOCATIONS.with(Cell::get)
    }
}

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

const I: InstrumentId = InstrumentId::new(0);

/// Everything one simulated session needs, built before counting starts.
struct Session {
    ex: PaperExchange,
    risk: RiskEngine,
    spec: InstrumentSpec,
    book: L2Book,
    next_id: u64,
    fills: u64,
    updates: u64,
}

impl Session {
    fn new() -> Self {
        let spec = InstrumentSpec::new(Decimal::new(1, 2), Decimal::new(1, 3)).expect("spec");
        let mut config = PaperConfig::default();
        config.entry_latency = LatencyModel::Uniform {
            min_ns: 100,
            max_ns: 3_000,
        };
        config.response_latency = LatencyModel::LogNormal {
            median_ns: 500,
            sigma: 0.4,
            max_ns: 5_000,
        };
        config.cancel_model = CancelModel::Probabilistic;
        config.maker_fee_bps = Decimal::new(-5, 1);
        config.max_orders = 256;
        let mut limits = RiskLimits::default();
        limits.max_orders_per_sec = Some(100_000);
        limits.max_position = Some(1_000_000);
        limits.max_notional = Some(Decimal::new(1_000_000, 0));
        limits.price_band_bps = Some(5_000);
        limits.max_loss = Some(Decimal::new(1_000_000, 0));
        Self {
            ex: PaperExchange::new(config, &[spec], 2),
            risk: RiskEngine::new(limits, 2),
            spec,
            book: L2Book::new(BookConfig::default()),
            next_id: 0,
            fills: 0,
            updates: 0,
        }
    }

    /// One step of a busy market at `step`: book moves, a trade prints, both strategies send a
    /// few orders of every kind, reports are drained.
    fn step(&mut self, step: u64) {
        let now = UnixNanos::from_nanos(1_000_000 + step * 700);
        let drift = (step % 40) as i64 - 20;
        let mid = 1_000_000 + drift;
        for k in 0..5 {
            let q = Quantity::from_lots(1 + ((step + k as u64) * 7 % 13) as i64);
            self.book
                .apply(Side::Buy, Price::from_ticks(mid - 1 - k), q);
            self.book
                .apply(Side::Sell, Price::from_ticks(mid + 1 + k), q);
        }
        // Levels the drift left behind go away.
        self.book
            .apply(Side::Buy, Price::from_ticks(mid + 19), Quantity::ZERO);
        self.book
            .apply(Side::Sell, Price::from_ticks(mid - 19), Quantity::ZERO);
        self.ex.on_book(now, I, &self.book);

        let trade = Trade {
            instrument: I,
            aggressor: if step.is_multiple_of(2) {
                Side::Sell
            } else {
                Side::Buy
            },
            price: Price::from_ticks(if step.is_multiple_of(2) {
                mid - 1
            } else {
                mid + 1
            }),
            qty: Quantity::from_lots(1 + (step % 6) as i64),
            trade_id: step,
            ts_exchange: now,
            ts_recv: now,
        };
        self.ex.on_trade(now, &trade, &self.book);

        for s in 0..2u16 {
            let strategy = StrategyIdx(s);
            self.next_id += 1;
            let id = ClientOrderId::new(self.next_id);
            let side = if (step + u64::from(s)).is_multiple_of(2) {
                Side::Buy
            } else {
                Side::Sell
            };
            let (order_type, tif, price) = match step % 5 {
                0 => (OrderType::Market, TimeInForce::Ioc, 0),
                1 => (OrderType::Limit, TimeInForce::Ioc, mid + side.sign() * 2),
                2 => (
                    OrderType::Limit,
                    TimeInForce::PostOnly,
                    mid - side.sign() * 3,
                ),
                _ => (OrderType::Limit, TimeInForce::Gtc, mid - side.sign()),
            };
            let req = OrderRequest::new_order(
                id,
                I,
                side,
                order_type,
                tif,
                Price::from_ticks(price),
                Quantity::from_lots(1 + (step % 3) as i64),
            );
            let open = [];
            let view = RiskView {
                position: self.ex.account(strategy, I).position,
                open_orders: &open,
                mid: Some(Price::from_ticks(mid)),
                spec: &self.spec,
            };
            if self.risk.check(strategy, now, &req, view).is_ok() {
                self.ex.submit(now, strategy, &req);
            }
            if step % 7 == 3 {
                let cancel = OrderRequest::cancel(ClientOrderId::new(self.next_id - 4));
                self.ex.submit(now, strategy, &cancel);
            }
            if step.is_multiple_of(53) {
                self.ex.submit(now, strategy, &OrderRequest::cancel_all(I));
            }
            let equity = self.ex.equity_at_mid(strategy);
            let _ = self.risk.on_equity(strategy, now, equity);
        }

        let (fills, updates) = (&mut self.fills, &mut self.updates);
        self.ex.poll_reports(now, &mut |_, r| match r {
            Report::Fill(..) => *fills += 1,
            Report::Update(_) => *updates += 1,
        });
    }
}

#[test]
fn paper_exchange_and_risk_do_not_allocate_per_event_once_warm() {
    let mut session = Session::new();
    for step in 0..200 {
        session.step(step);
    }
    let before = counting::count();
    for step in 200..3_200 {
        session.step(step);
    }
    let allocations = counting::count() - before;
    assert!(
        session.fills > 500,
        "the session must trade: {} fills",
        session.fills
    );
    assert!(session.updates > 1_000, "{} updates", session.updates);
    assert_eq!(
        allocations, 0,
        "paper exchange allocated {allocations} times in 3000 steps"
    );
}
