//! What the charts of `report.html` are drawn from, gathered on the writer thread from the
//! hot thread's output records (never on the hot thread): mid and spread from the
//! [`OutputRecord::Market`] samples, fills and positions from the fills, mark-to-market PnL
//! from both, micro-price from the `microprice` signal, feed state from the status records.
//! Every series is a bounded [`Series`], so memory does not grow with the session.

use super::series::{Series, Windows};
use crate::hot::output::OutputRecord;
use crate::report::writer::ReportContext;
use ladder_sdk::{InstrumentSpec, RequestKind, Side};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Buckets per series: about two per pixel column of a chart.
pub const BUCKETS: usize = 600;

/// Non-synced windows kept per instrument before neighbours merge.
pub const WINDOWS: usize = 2_000;

/// The name of the signal drawn over the mid.
pub const MICROPRICE_SIGNAL: &str = "microprice";

/// One instrument's series.
#[derive(Debug, Clone)]
pub struct InstrumentSeries {
    /// Mid price (lowest and highest of each sample, then the last).
    pub mid: Series,
    /// Spread in price units.
    pub spread: Series,
    /// Non-synced windows (stale, resyncing, ...).
    pub feed: Windows,
    /// State changes seen.
    pub state_changes: u64,
    /// Per strategy: its buy fills (price).
    pub buys: Vec<Series>,
    /// Per strategy: its sell fills (price).
    pub sells: Vec<Series>,
    /// Per strategy: its position after each fill (base units).
    pub position: Vec<Series>,
    /// Exact last mid.
    mid_now: Option<Decimal>,
}

/// One strategy's series.
#[derive(Debug, Clone)]
pub struct StrategySeries {
    /// Net PnL (realized + unrealized at the mid − fees) over time.
    pub equity: Series,
    /// Drawdown (running peak of net PnL − net PnL), as a positive number.
    pub drawdown: Series,
    /// Its `microprice` signal values, if it emits one.
    pub microprice: Series,
    /// The instrument it traded first (its micro-price is drawn over that mid).
    pub instrument: Option<usize>,
    /// Per instrument: position and cash flow (quote units).
    accounts: Vec<(Decimal, Decimal)>,
    fees: Decimal,
    peak: f64,
    traded: bool,
    microprice_id: Option<usize>,
}

/// Everything the charts need.
#[derive(Debug, Clone)]
pub struct ChartData {
    /// Instrument names by index.
    pub symbols: Vec<String>,
    /// Strategy names by index.
    pub strategies: Vec<String>,
    /// Per instrument.
    pub instruments: Vec<InstrumentSeries>,
    /// Per strategy.
    pub strategy: Vec<StrategySeries>,
    /// First and last engine time seen in any record.
    pub span: Option<(u64, u64)>,
    /// Market samples received.
    pub market_samples: u64,
    specs: Vec<InstrumentSpec>,
}

/// Every book starts syncing: a window open since time 0 (the report clamps it to the
/// session's start).
fn syncing_since_start() -> Windows {
    let mut w = Windows::new(WINDOWS);
    w.change(0, "syncing");
    w
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(f64::NAN)
}

impl ChartData {
    /// Empty series for the instruments and strategies of `ctx`.
    pub fn new(ctx: &ReportContext) -> Self {
        let n_strategies = ctx.strategies.len();
        let n_instruments = ctx.specs.len();
        let per_strategy = || vec![Series::new(BUCKETS); n_strategies];
        Self {
            symbols: ctx.symbols.clone(),
            strategies: ctx.strategies.clone(),
            instruments: (0..n_instruments)
                .map(|_| InstrumentSeries {
                    mid: Series::new(BUCKETS),
                    spread: Series::new(BUCKETS),
                    feed: syncing_since_start(),
                    state_changes: 0,
                    buys: per_strategy(),
                    sells: per_strategy(),
                    position: per_strategy(),
                    mid_now: None,
                })
                .collect(),
            strategy: (0..n_strategies)
                .map(|s| StrategySeries {
                    equity: Series::new(BUCKETS),
                    drawdown: Series::new(BUCKETS),
                    microprice: Series::new(BUCKETS),
                    instrument: None,
                    accounts: vec![(Decimal::ZERO, Decimal::ZERO); n_instruments],
                    fees: Decimal::ZERO,
                    peak: 0.0,
                    traded: false,
                    microprice_id: ctx
                        .signal_names
                        .get(s)
                        .and_then(|names| names.iter().position(|n| n == MICROPRICE_SIGNAL)),
                })
                .collect(),
            span: None,
            market_samples: 0,
            specs: ctx.specs.clone(),
        }
    }

    fn seen(&mut self, t: u64) {
        self.span = Some(self.span.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
    }

    /// Takes one record into account.
    pub fn on_record(&mut self, record: &OutputRecord) {
        match *record {
            OutputRecord::Market {
                ts,
                instrument,
                sample,
            } => {
                let i = instrument.index();
                let (Some(spec), Some(inst)) = (self.specs.get(i), self.instruments.get_mut(i))
                else {
                    return;
                };
                let t = ts.as_nanos();
                let tick = spec.tick_size();
                let half = tick / Decimal::TWO;
                let start = sample.start.as_nanos();
                inst.mid
                    .push(start, f(Decimal::from(sample.mid2_min) * half));
                inst.mid
                    .push(start, f(Decimal::from(sample.mid2_max) * half));
                inst.spread
                    .push(start, f(Decimal::from(sample.spread_min) * tick));
                inst.spread
                    .push(start, f(Decimal::from(sample.spread_max) * tick));
                let mid2 = sample.bid.ticks() + sample.ask.ticks();
                let mid = Decimal::from(mid2) * half;
                inst.mid.push(t, f(mid));
                inst.spread.push(
                    t,
                    f(Decimal::from(sample.ask.ticks() - sample.bid.ticks()) * tick),
                );
                inst.mid_now = Some(mid);
                self.market_samples += 1;
                self.seen(start);
                self.seen(t);
                self.mark_equity(t);
            }
            OutputRecord::Fill {
                strategy,
                fill,
                fee,
                ..
            } => {
                let (s, i) = (usize::from(strategy), fill.instrument.index());
                let Some(spec) = self.specs.get(i).copied() else {
                    return;
                };
                let t = fill.ts.as_nanos();
                let price = spec.tick_grid().to_decimal(fill.price.ticks());
                let qty = spec.lot_grid().to_decimal(fill.qty.lots());
                let position = spec.lot_grid().to_decimal(fill.position);
                if let Some(inst) = self.instruments.get_mut(i) {
                    let marks = match fill.side {
                        Side::Buy => &mut inst.buys,
                        Side::Sell => &mut inst.sells,
                    };
                    if let Some(m) = marks.get_mut(s) {
                        m.push(t, f(price));
                    }
                    if let Some(p) = inst.position.get_mut(s) {
                        p.push(t, f(position));
                    }
                    // Before the instrument's first sample closes, the fill price is the mark.
                    inst.mid_now.get_or_insert(price);
                }
                if let Some(st) = self.strategy.get_mut(s)
                    && let Some(acc) = st.accounts.get_mut(i)
                {
                    let flow = price * qty;
                    acc.1 += if fill.side == Side::Buy { -flow } else { flow };
                    acc.0 = position;
                    st.fees += fee;
                    st.traded = true;
                    st.instrument.get_or_insert(i);
                }
                self.seen(t);
                self.mark_equity(t);
            }
            OutputRecord::Request {
                ts,
                strategy,
                request,
            } => {
                if request.kind == RequestKind::New
                    && let Some(st) = self.strategy.get_mut(usize::from(strategy))
                    && request.instrument.index() < self.specs.len()
                {
                    st.instrument.get_or_insert(request.instrument.index());
                }
                self.seen(ts.as_nanos());
            }
            OutputRecord::Signal {
                ts,
                strategy,
                signal,
                value,
            } => {
                if let Some(st) = self.strategy.get_mut(usize::from(strategy))
                    && st.microprice_id == Some(signal.index())
                {
                    st.microprice.push(ts.as_nanos(), value);
                }
                self.seen(ts.as_nanos());
            }
            OutputRecord::Status { ts, status } => {
                if let Some(inst) = self.instruments.get_mut(status.instrument.index()) {
                    inst.feed.change(ts.as_nanos(), status.state.as_str());
                    inst.state_changes += 1;
                }
                self.seen(ts.as_nanos());
            }
            // Not charted; and the reports delivered when a session stops carry the end of
            // time, which is no part of the session's span.
            OutputRecord::Update { .. }
            | OutputRecord::Disabled { .. }
            | OutputRecord::Swap { .. } => {}
        }
    }

    /// Net PnL of every strategy that traded, at the last sampled mids (or, before an
    /// instrument's first sample, its first fill price), at time `t`.
    fn mark_equity(&mut self, t: u64) {
        for st in &mut self.strategy {
            if !st.traded {
                continue;
            }
            let mut equity = -st.fees;
            for (acc, inst) in st.accounts.iter().zip(&self.instruments) {
                equity += acc.1;
                if let Some(mid) = inst.mid_now {
                    equity += acc.0 * mid;
                }
            }
            let e = f(equity);
            st.peak = st.peak.max(e);
            st.equity.push(t, e);
            st.drawdown.push(t, st.peak - e);
        }
    }

    /// The instrument strategy `s`'s micro-price belongs to: the one it traded, or the only
    /// one.
    pub fn microprice_instrument(&self, s: usize) -> Option<usize> {
        let st = self.strategy.get(s)?;
        st.instrument
            .or_else(|| (self.instruments.len() == 1).then_some(0))
    }

    /// The session's end as the charts know it.
    pub fn end(&self) -> u64 {
        self.span.map_or(0, |(_, b)| b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hot::output::MarketSample;
    use ladder_sdk::{
        BookState, BookStatus, ClientOrderId, Fill, InstrumentId, Liquidity, Price, Quantity,
        SignalId, UnixNanos,
    };

    fn ctx() -> ReportContext {
        ReportContext {
            symbols: vec!["binance-usdm:BTCUSDT".into()],
            specs: vec![InstrumentSpec::new(Decimal::new(1, 1), Decimal::new(1, 3)).unwrap()],
            strategies: vec!["mp".into()],
            signal_names: vec![vec!["weighted_mid".into(), "microprice".into()]],
            signals_every: 0,
        }
    }

    fn market(ts: u64, bid: i64, ask: i64) -> OutputRecord {
        OutputRecord::Market {
            ts: UnixNanos::from_nanos(ts),
            instrument: InstrumentId::new(0),
            sample: MarketSample::first(
                UnixNanos::from_nanos(ts),
                Price::from_ticks(bid),
                Price::from_ticks(ask),
            ),
        }
    }

    fn fill(ts: u64, side: Side, price: i64, lots: i64, position: i64) -> OutputRecord {
        OutputRecord::Fill {
            ts: UnixNanos::from_nanos(ts),
            strategy: 0,
            fill: Fill {
                id: ClientOrderId::new(1),
                instrument: InstrumentId::new(0),
                side,
                liquidity: Liquidity::Maker,
                _reserved: [0; 2],
                price: Price::from_ticks(price),
                qty: Quantity::from_lots(lots),
                leaves_qty: Quantity::from_lots(0),
                position,
                fill_id: 1,
                ts: UnixNanos::from_nanos(ts),
            },
            fee: Decimal::new(1, 2),
        }
    }

    #[test]
    fn equity_marks_an_open_position_at_the_mid_and_drawdown_follows_the_peak() {
        let mut c = ChartData::new(&ctx());
        c.on_record(&market(10, 1_000, 1_002)); // mid 100.1
        // Buy 1 (1,000 lots of 0.001) at 100.0, fee 0.01.
        c.on_record(&fill(20, Side::Buy, 1_000, 1_000, 1_000));
        c.on_record(&market(30, 1_010, 1_012)); // mid 101.1: +1.1 − 0.01
        c.on_record(&market(40, 990, 992)); // mid 99.1: −0.9 − 0.01
        let eq: Vec<f64> = c.strategy[0].equity.points().iter().map(|p| p.v).collect();
        let want = [0.09, 1.09, -0.91];
        assert_eq!(eq.len(), 3, "{eq:?}");
        for (got, want) in eq.iter().zip(want) {
            assert!((got - want).abs() < 1e-9, "{eq:?}");
        }
        let dd = c.strategy[0].drawdown.last().map(|p| p.v).unwrap();
        assert!((dd - 2.0).abs() < 1e-9, "{dd}");
        let pos = c.instruments[0].position[0].last().map(|p| p.v);
        assert_eq!(pos, Some(1.0));
        assert_eq!(c.instruments[0].buys[0].count(), 1);
        assert_eq!(c.instruments[0].sells[0].count(), 0);
        assert_eq!(c.span, Some((10, 40)));
    }

    #[test]
    fn microprice_signal_and_status_windows_are_collected() {
        let mut c = ChartData::new(&ctx());
        for (k, name_id) in [(1u64, 0usize), (2, 1), (3, 1)] {
            c.on_record(&OutputRecord::Signal {
                ts: UnixNanos::from_nanos(k),
                strategy: 0,
                signal: SignalId::new(name_id as u32),
                value: 100.0 + k as f64,
            });
        }
        assert_eq!(c.strategy[0].microprice.count(), 2);
        assert_eq!(c.microprice_instrument(0), Some(0));
        let status = |t: u64, state| OutputRecord::Status {
            ts: UnixNanos::from_nanos(t),
            status: BookStatus {
                instrument: InstrumentId::new(0),
                state,
                reason: None,
                ts_recv: UnixNanos::from_nanos(t),
            },
        };
        c.on_record(&status(5, BookState::Synced));
        c.on_record(&status(7, BookState::Stale));
        c.on_record(&status(9, BookState::Synced));
        let w = c.instruments[0].feed.finish(c.end());
        assert_eq!(w.len(), 2, "{w:?}");
        assert_eq!((w[0].start, w[0].end, w[0].state), (0, 5, "syncing"));
        assert_eq!((w[1].start, w[1].end, w[1].state), (7, 9, "stale"));
    }
}
