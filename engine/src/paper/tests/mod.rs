//! Hand-made scenarios for the paper exchange. Prices in whole ticks of 1, lots of 0.001: a
//! price of 100 ticks is 100, a lot is worth 0.001 × price.

use super::*;
use crate::book::{BookConfig, L2Book};
use ladder_sdk::{
    ClientOrderId, InstrumentId, InstrumentSpec, Liquidity, OrderRequest, OrderStatus, OrderType,
    Price, Quantity, RejectReason, Side, TimeInForce, Trade, UnixNanos,
};
use rust_decimal::Decimal;
use std::str::FromStr;

const I: InstrumentId = InstrumentId::new(0);
const S: StrategyIdx = StrategyIdx(0);
const ENTRY: u64 = 1_000;
const RESPONSE: u64 = 500;

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn spec() -> InstrumentSpec {
    InstrumentSpec::new(dec("1"), dec("0.001")).unwrap()
}

fn config() -> PaperConfig {
    PaperConfig {
        entry_latency: LatencyModel::Constant { ns: ENTRY },
        response_latency: LatencyModel::Constant { ns: RESPONSE },
        maker_fee_bps: Decimal::ZERO,
        taker_fee_bps: Decimal::ZERO,
        cancel_model: CancelModel::NoAdvance,
        seed: 1,
        max_orders: 16,
    }
}

fn t(ns: u64) -> UnixNanos {
    UnixNanos::from_nanos(ns)
}

fn px(ticks: i64) -> Price {
    Price::from_ticks(ticks)
}

fn limit(id: u64, side: Side, price: i64, lots: i64, tif: TimeInForce) -> OrderRequest {
    OrderRequest::new_order(
        ClientOrderId::new(id),
        I,
        side,
        OrderType::Limit,
        tif,
        px(price),
        Quantity::from_lots(lots),
    )
}

fn market(id: u64, side: Side, lots: i64) -> OrderRequest {
    OrderRequest::new_order(
        ClientOrderId::new(id),
        I,
        side,
        OrderType::Market,
        TimeInForce::Ioc,
        px(0),
        Quantity::from_lots(lots),
    )
}

/// An exchange, the real book it sees, and everything it reported.
struct Sim {
    ex: PaperExchange,
    book: L2Book,
    reports: Vec<(StrategyIdx, Report)>,
}

impl Sim {
    fn new(config: PaperConfig) -> Self {
        Self::with_strategies(config, 1)
    }

    fn with_strategies(config: PaperConfig, n: usize) -> Self {
        let mut book = L2Book::new(BookConfig::default());
        book.apply(Side::Buy, px(100), Quantity::from_lots(5));
        book.apply(Side::Sell, px(101), Quantity::from_lots(5));
        Self {
            ex: PaperExchange::new(config, &[spec()], n),
            book,
            reports: Vec::new(),
        }
    }

    fn level(&mut self, side: Side, price: i64, lots: i64) -> &mut Self {
        self.book.apply(side, px(price), Quantity::from_lots(lots));
        self
    }

    fn book_at(&mut self, ns: u64) {
        self.ex.on_book(t(ns), I, &self.book);
    }

    fn trade_at(&mut self, ns: u64, aggressor: Side, price: i64, lots: i64) {
        let trade = Trade {
            instrument: I,
            aggressor,
            price: px(price),
            qty: Quantity::from_lots(lots),
            trade_id: ns,
            ts_exchange: t(ns),
            ts_recv: t(ns),
        };
        self.ex.on_trade(t(ns), &trade, &self.book);
    }

    fn send(&mut self, ns: u64, req: OrderRequest) {
        self.ex.submit(t(ns), S, &req);
    }

    /// Reports due by `ns`, also kept in `self.reports`.
    fn poll(&mut self, ns: u64) -> Vec<Report> {
        let mut got = Vec::new();
        self.ex.poll_reports(t(ns), &mut |s, r| got.push((s, r)));
        assert!(
            self.ex.next_report_at().is_none_or(|at| at > t(ns)),
            "a due report was left behind"
        );
        self.reports.extend(got.iter().copied());
        got.into_iter().map(|(_, r)| r).collect()
    }
}

fn statuses(reports: &[Report]) -> Vec<OrderStatus> {
    reports
        .iter()
        .filter_map(|r| match r {
            Report::Update(u) => Some(u.status),
            Report::Fill(..) => None,
        })
        .collect()
}

/// (price ticks, lots, liquidity) of every fill.
fn fills(reports: &[Report]) -> Vec<(i64, i64, Liquidity)> {
    reports
        .iter()
        .filter_map(|r| match r {
            Report::Fill(f, _) => Some((f.price.ticks(), f.qty.lots(), f.liquidity)),
            Report::Update(_) => None,
        })
        .collect()
}

fn reject_reason(reports: &[Report]) -> Option<RejectReason> {
    reports.iter().find_map(|r| match r {
        Report::Update(u) => u.reject_reason(),
        Report::Fill(..) => None,
    })
}

const FAR: u64 = 1_000_000;

mod config;
mod determinism;
mod latency;
mod liquidity;
mod money;
mod orders;
mod queue;
