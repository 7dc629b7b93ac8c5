//! Turns the hot thread's output records into `orders.csv`, `fills.csv` and `signals.csv`, and
//! counts them for the summary; gathers the chart data of `report.html` from the same records
//! ([`ChartData`]). Runs on its own thread.

use super::html::collect::ChartData;
use crate::hot::output::{OutputRecord, RingSource};
use ladder_sdk::{InstrumentSpec, OrderRequest, OrderType, RequestKind, TimeInForce};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

/// What the writer needs to name things.
#[derive(Debug, Clone)]
pub struct ReportContext {
    /// Symbols by instrument index.
    pub symbols: Vec<String>,
    /// Specs by instrument index.
    pub specs: Vec<InstrumentSpec>,
    /// Strategy names by strategy index.
    pub strategies: Vec<String>,
    /// Each strategy's signal names by signal id.
    pub signal_names: Vec<Vec<String>>,
    /// Keep every Nth signal value per strategy (0: none).
    pub signals_every: u64,
}

/// Counts per strategy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StrategyCounts {
    /// Signal values emitted.
    pub signals: u64,
    /// New-order requests.
    pub orders: u64,
    /// Cancel and cancel-all requests.
    pub cancels: u64,
    /// Fills.
    pub fills: u64,
    /// Rejections by reason.
    pub rejects: BTreeMap<String, u64>,
    /// New orders, fills and rejections per instrument index (a refused cancel of an unknown
    /// order names no instrument and counts only in [`StrategyCounts::rejects`]).
    pub by_instrument: BTreeMap<usize, InstrumentCounts>,
    /// Library swaps by how they went (`handoff`, `fresh`, `refused`).
    pub swaps: BTreeMap<&'static str, u64>,
}

/// One strategy's counts on one instrument.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstrumentCounts {
    /// New-order requests.
    pub orders: u64,
    /// Fills.
    pub fills: u64,
    /// Rejections by reason.
    pub rejects: BTreeMap<String, u64>,
}

/// Everything the writer counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriterTotals {
    /// Per strategy.
    pub strategies: Vec<StrategyCounts>,
    /// Records seen.
    pub records: u64,
}

/// What the writer thread hands back: its counts and the chart data.
#[derive(Debug, Clone)]
pub struct WriterOutput {
    /// Counts for the summary.
    pub totals: WriterTotals,
    /// Series for `report.html`.
    pub charts: ChartData,
}

struct Files {
    orders: BufWriter<File>,
    fills: BufWriter<File>,
    signals: BufWriter<File>,
    status: BufWriter<File>,
}

/// Writes every record from `source` until the producer is done, then flushes. With `live`,
/// the counts so far are copied there whenever the ring runs empty after new records (read by
/// the metrics exporter; never per record).
pub fn write_records(
    dir: &Path,
    ctx: &ReportContext,
    source: &RingSource,
    live: Option<&Mutex<WriterTotals>>,
) -> io::Result<WriterOutput> {
    std::fs::create_dir_all(dir)?;
    let create =
        |name: &str| File::create(dir.join(name)).map(|f| BufWriter::with_capacity(1 << 16, f));
    let mut files = Files {
        orders: create("orders.csv")?,
        fills: create("fills.csv")?,
        signals: create("signals.csv")?,
        status: create("status.csv")?,
    };
    writeln!(files.status, "ts,instrument,state,reason")?;
    writeln!(
        files.orders,
        "ts,strategy,instrument,id,side,type,price,qty,status,reason"
    )?;
    writeln!(
        files.fills,
        "ts,strategy,instrument,order_id,side,price,qty,liquidity,fee,position_after"
    )?;
    writeln!(files.signals, "ts,strategy,signal,value")?;
    let mut totals = WriterTotals {
        strategies: vec![StrategyCounts::default(); ctx.strategies.len()],
        records: 0,
    };
    let mut shared_at = u64::MAX;
    let mut charts = ChartData::new(ctx);
    loop {
        match source.pop() {
            Some(record) => {
                totals.records += 1;
                charts.on_record(&record);
                write_record(&mut files, ctx, &mut totals, &record)?;
            }
            None if source.finished() => break,
            None => {
                if let Some(live) = live
                    && shared_at != totals.records
                    && let Ok(mut l) = live.lock()
                {
                    l.clone_from(&totals);
                    shared_at = totals.records;
                }
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        }
    }
    if let Some(live) = live
        && let Ok(mut l) = live.lock()
    {
        l.clone_from(&totals);
    }
    files.orders.flush()?;
    files.fills.flush()?;
    files.signals.flush()?;
    files.status.flush()?;
    Ok(WriterOutput { totals, charts })
}

fn order_type(r: &OrderRequest) -> &'static str {
    match (r.kind, r.order_type, r.time_in_force) {
        (RequestKind::Cancel, _, _) => "cancel",
        (RequestKind::CancelAll, _, _) => "cancel_all",
        (RequestKind::New, OrderType::Market, _) => "market",
        (RequestKind::New, OrderType::Limit, TimeInForce::Gtc) => "limit",
        (RequestKind::New, OrderType::Limit, TimeInForce::Ioc) => "ioc",
        (RequestKind::New, OrderType::Limit, TimeInForce::PostOnly) => "post_only",
    }
}

fn write_record(
    f: &mut Files,
    ctx: &ReportContext,
    totals: &mut WriterTotals,
    record: &OutputRecord,
) -> io::Result<()> {
    let name = |s: u16| {
        ctx.strategies
            .get(usize::from(s))
            .map_or("?", String::as_str)
    };
    let symbol = |i: usize| ctx.symbols.get(i).map_or("?", String::as_str);
    match *record {
        OutputRecord::Signal {
            ts,
            strategy,
            signal,
            value,
        } => {
            let Some(counts) = totals.strategies.get_mut(usize::from(strategy)) else {
                return Ok(());
            };
            counts.signals += 1;
            if ctx.signals_every > 0 && (counts.signals - 1) % ctx.signals_every == 0 {
                let sig = ctx
                    .signal_names
                    .get(usize::from(strategy))
                    .and_then(|n| n.get(signal.index()))
                    .map_or("?", String::as_str);
                writeln!(
                    f.signals,
                    "{},{},{},{}",
                    ts.as_nanos(),
                    name(strategy),
                    sig,
                    value
                )?;
            }
        }
        OutputRecord::Request {
            ts,
            strategy,
            request: r,
        } => {
            let kind = order_type(&r);
            if let Some(c) = totals.strategies.get_mut(usize::from(strategy)) {
                if r.kind == RequestKind::New {
                    c.orders += 1;
                    c.by_instrument
                        .entry(r.instrument.index())
                        .or_default()
                        .orders += 1;
                } else {
                    c.cancels += 1;
                }
            }
            let i = r.instrument.index();
            let (price, qty) = match (r.kind, ctx.specs.get(i)) {
                (RequestKind::New, Some(spec)) => {
                    let price = if r.order_type == OrderType::Market {
                        String::new()
                    } else {
                        spec.format_price(r.price)
                    };
                    (price, spec.format_qty(r.qty))
                }
                _ => (String::new(), String::new()),
            };
            let side = if r.kind == RequestKind::New {
                r.side.as_str()
            } else {
                ""
            };
            writeln!(
                f.orders,
                "{},{},{},{},{},{},{},{},requested,",
                ts.as_nanos(),
                name(strategy),
                if r.kind == RequestKind::Cancel {
                    ""
                } else {
                    symbol(i)
                },
                r.id.get(),
                side,
                kind,
                price,
                qty
            )?;
        }
        OutputRecord::Update {
            ts,
            strategy,
            update: u,
        } => {
            let reason = u.reject_reason().map_or("", |r| r.as_str());
            // A cancel of an order the exchange does not know names no instrument (a cancel
            // request carries only the order id), so the row leaves it and the price empty.
            let unknown_order = u.status == ladder_sdk::OrderStatus::CancelRejected
                && u.reject_reason() == Some(ladder_sdk::RejectReason::UnknownOrder);
            let i = u.instrument.index();
            if !reason.is_empty()
                && let Some(c) = totals.strategies.get_mut(usize::from(strategy))
            {
                *c.rejects.entry(reason.to_owned()).or_default() += 1;
                if !unknown_order {
                    let per = c.by_instrument.entry(i).or_default();
                    *per.rejects.entry(reason.to_owned()).or_default() += 1;
                }
            }
            let (price, qty) = match ctx.specs.get(i) {
                Some(s) if !unknown_order => (s.format_price(u.price), s.format_qty(u.leaves_qty)),
                _ => (String::new(), String::new()),
            };
            let status = match u.status {
                ladder_sdk::OrderStatus::Accepted => "accepted",
                ladder_sdk::OrderStatus::Rejected => "rejected",
                ladder_sdk::OrderStatus::Canceled => "canceled",
                ladder_sdk::OrderStatus::Expired => "expired",
                ladder_sdk::OrderStatus::Filled => "filled",
                ladder_sdk::OrderStatus::CancelRejected => "cancel_rejected",
            };
            writeln!(
                f.orders,
                "{},{},{},{},{},,{},{},{},{}",
                ts.as_nanos(),
                name(strategy),
                if unknown_order { "" } else { symbol(i) },
                u.id.get(),
                if unknown_order { "" } else { u.side.as_str() },
                price,
                qty,
                status,
                reason
            )?;
        }
        OutputRecord::Fill {
            ts: _,
            strategy,
            fill: x,
            fee,
        } => {
            let i = x.instrument.index();
            if let Some(c) = totals.strategies.get_mut(usize::from(strategy)) {
                c.fills += 1;
                c.by_instrument.entry(i).or_default().fills += 1;
            }
            let Some(spec) = ctx.specs.get(i) else {
                return Ok(());
            };
            let liquidity = match x.liquidity {
                ladder_sdk::Liquidity::Maker => "maker",
                ladder_sdk::Liquidity::Taker => "taker",
            };
            let position = spec.lot_grid().to_decimal(x.position);
            writeln!(
                f.fills,
                "{},{},{},{},{},{},{},{},{},{}",
                x.ts.as_nanos(),
                name(strategy),
                symbol(i),
                x.id.get(),
                x.side.as_str(),
                spec.format_price(x.price),
                spec.format_qty(x.qty),
                liquidity,
                fee.normalize(),
                position
            )?;
        }
        OutputRecord::Status { ts, status } => {
            writeln!(
                f.status,
                "{},{},{},{}",
                ts.as_nanos(),
                symbol(status.instrument.index()),
                status.state.as_str(),
                status.reason.map_or("", |r| r.as_str())
            )?;
        }
        OutputRecord::Disabled {
            ts,
            strategy,
            kill_switch,
        } => {
            // Logged here, on the writer thread: the hot thread only recorded it.
            if kill_switch {
                tracing::warn!(
                    strategy = name(strategy),
                    ts = ts.as_nanos(),
                    "kill switch tripped; strategy disabled"
                );
            } else {
                tracing::warn!(
                    strategy = name(strategy),
                    ts = ts.as_nanos(),
                    "strategy failed; disabled"
                );
            }
        }
        OutputRecord::Swap { strategy, mode, .. } => {
            // The hot thread logged the details (a swap is not the per-event path).
            if let Some(counts) = totals.strategies.get_mut(usize::from(strategy)) {
                *counts.swaps.entry(mode.as_str()).or_default() += 1;
            }
        }
        OutputRecord::Market { .. } => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ladder_sdk::{
        ClientOrderId, InstrumentId, OrderStatus, OrderUpdate, Price, Quantity, RejectReason, Side,
        UnixNanos,
    };
    use rust_decimal::Decimal;

    fn orders_csv(updates: &[OrderUpdate]) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let create = |name: &str| BufWriter::new(File::create(dir.path().join(name)).unwrap());
        let mut files = Files {
            orders: create("orders.csv"),
            fills: create("fills.csv"),
            signals: create("signals.csv"),
            status: create("status.csv"),
        };
        let ctx = ReportContext {
            symbols: vec!["binance-usdm:BTCUSDT".into()],
            specs: vec![InstrumentSpec::new(Decimal::new(1, 1), Decimal::new(1, 3)).unwrap()],
            strategies: vec!["s".into()],
            signal_names: vec![Vec::new()],
            signals_every: 0,
        };
        let mut totals = WriterTotals {
            strategies: vec![StrategyCounts::default()],
            records: 0,
        };
        for &update in updates {
            let record = OutputRecord::Update {
                ts: UnixNanos::from_nanos(5),
                strategy: 0,
                update,
            };
            write_record(&mut files, &ctx, &mut totals, &record).unwrap();
        }
        files.orders.flush().unwrap();
        let text = std::fs::read_to_string(dir.path().join("orders.csv")).unwrap();
        text.lines().map(str::to_owned).collect()
    }

    fn update(status: OrderStatus, reason: Option<RejectReason>) -> OrderUpdate {
        OrderUpdate {
            id: ClientOrderId::new(7),
            instrument: InstrumentId::new(0),
            status,
            side: Side::Buy,
            reject_code: reason.map_or(0, |r| r as u8),
            _reserved: 0,
            price: Price::from_ticks(650_000),
            qty: Quantity::from_lots(2_000),
            leaves_qty: Quantity::from_lots(2_000),
            ts: UnixNanos::from_nanos(5),
        }
    }

    #[test]
    fn a_refused_cancel_of_an_unknown_order_names_no_instrument_side_or_price() {
        let rows = orders_csv(&[
            update(
                OrderStatus::CancelRejected,
                Some(RejectReason::UnknownOrder),
            ),
            update(OrderStatus::Accepted, None),
        ]);
        assert_eq!(
            rows,
            [
                "5,s,,7,,,,,cancel_rejected,unknown_order",
                "5,s,binance-usdm:BTCUSDT,7,buy,,65000,2,accepted,",
            ]
        );
    }
}
