//! Turns the hot thread's output records into `orders.csv`, `fills.csv` and `signals.csv`, and
//! counts them for the summary. Runs on its own thread.

use crate::hot::output::{OutputRecord, RingSource};
use ladder_sdk::{InstrumentSpec, OrderRequest, OrderType, RequestKind, TimeInForce};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

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
}

/// Everything the writer counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriterTotals {
    /// Per strategy.
    pub strategies: Vec<StrategyCounts>,
    /// Records seen.
    pub records: u64,
}

struct Files {
    orders: BufWriter<File>,
    fills: BufWriter<File>,
    signals: BufWriter<File>,
    status: BufWriter<File>,
}

/// Writes every record from `source` until the producer is done, then flushes.
pub fn write_records(
    dir: &Path,
    ctx: &ReportContext,
    source: &RingSource,
) -> io::Result<WriterTotals> {
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
    loop {
        match source.pop() {
            Some(record) => {
                totals.records += 1;
                write_record(&mut files, ctx, &mut totals, &record)?;
            }
            None if source.finished() => break,
            None => std::thread::sleep(std::time::Duration::from_micros(200)),
        }
    }
    files.orders.flush()?;
    files.fills.flush()?;
    files.signals.flush()?;
    files.status.flush()?;
    Ok(totals)
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
            if !reason.is_empty()
                && let Some(c) = totals.strategies.get_mut(usize::from(strategy))
            {
                *c.rejects.entry(reason.to_owned()).or_default() += 1;
            }
            let i = u.instrument.index();
            let (price, qty) = ctx
                .specs
                .get(i)
                .map_or((String::new(), String::new()), |s| {
                    (s.format_price(u.price), s.format_qty(u.leaves_qty))
                });
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
                symbol(i),
                u.id.get(),
                u.side.as_str(),
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
            if let Some(c) = totals.strategies.get_mut(usize::from(strategy)) {
                c.fills += 1;
            }
            let i = x.instrument.index();
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
        OutputRecord::Disabled { .. } => {}
    }
    Ok(())
}
