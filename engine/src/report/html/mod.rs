//! `report.html`: one self-contained page written next to `summary.json` at the end of every
//! `ladder replay` and `ladder paper` run. No script, no network: the summary tables
//! ([`table`], rendered from the same [`Summary`] as `summary.json`) and inline SVG charts
//! ([`svg`]): net PnL and drawdown per strategy, position per instrument, mid (with the
//! micro-price signal where a strategy emits one) and the strategies' fills, spread, feed state
//! with non-synced windows shaded, and per-stage latency percentile curves.
//!
//! The chart data is gathered on the writer thread ([`collect`]) from the hot thread's output
//! records; every series is downsampled into at most [`collect::BUCKETS`] time buckets
//! ([`series`]) keeping each bucket's first, lowest, highest and last point, so a day-long
//! session stays a few hundred kilobytes and no spike disappears.

pub mod collect;
pub mod series;
pub mod svg;
pub mod table;

use crate::hot::output::MARKET_SAMPLE_NS;
use crate::report::summary::Summary;
use collect::{BUCKETS, ChartData};
use series::Point;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use svg::{Curve, Marker, PALETTE, TimeAxis, TimeChart, esc};

/// The file name.
pub const FILE_NAME: &str = "report.html";

/// Points per latency curve (percentile steps of 0.05 "nines").
const NINES_STEP: f64 = 0.05;

/// A percentile curve of `h`, values multiplied by `ns_per_unit` (1 for a histogram in ns).
pub fn curve(name: &str, h: &hdrhistogram::Histogram<u64>, ns_per_unit: f64) -> Option<Curve> {
    if h.is_empty() {
        return None;
    }
    // As far into the tail as the samples reach: n samples show about log10(n) nines.
    let max_nines = (h.len() as f64).log10().clamp(1.0, 6.0);
    let mut points = Vec::new();
    let mut n = 0.0;
    while n <= max_nines + 1e-9 {
        let q = 1.0 - 10f64.powf(-n);
        points.push((n, h.value_at_quantile(q) as f64 * ns_per_unit));
        n += NINES_STEP;
    }
    points.push((max_nines, h.max() as f64 * ns_per_unit));
    Some(Curve {
        name: name.to_owned(),
        count: h.len(),
        points,
    })
}

const STYLE: &str = "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#222;max-width:1320px}\
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}h3{font-size:15px;margin:16px 0 6px}\
.meta{color:#555}table{border-collapse:collapse;margin:4px 0}th,td{border:1px solid #ddd;padding:2px 8px;text-align:left;vertical-align:top}\
th{background:#f5f5f5;font-weight:600}td{font-variant-numeric:tabular-nums}table.kv table.kv{margin:0}\
.row{display:flex;flex-wrap:wrap;gap:8px 20px;align-items:flex-start}svg{display:block;margin:8px 0 16px;max-width:100%;height:auto;background:#fff}\
.title{font-size:14px;font-weight:600}.tick{font-size:11px;fill:#555}.legend{font-size:12px;fill:#333}\
.grid{stroke:#eee;stroke-width:1}.zero{stroke:#999;stroke-width:1;stroke-dasharray:4 3}.frame{fill:none;stroke:#bbb}\
.note{color:#555;font-size:13px}";

/// Everything besides the summary that the page shows.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    /// Per-stage latency curves (empty: no latency was recorded).
    pub latency: Vec<Curve>,
    /// What the latency curves measure.
    pub latency_note: String,
}

/// The whole page.
pub fn render(summary: &Summary, charts: &ChartData, extras: &Extras) -> String {
    let (t0, t1) = charts.span.unwrap_or((0, 0));
    let axis = TimeAxis::new(t0, t1);
    let mut o = String::with_capacity(256 * 1024);
    let _ = write!(
        o,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ladder report: {src}</title><style>{STYLE}</style></head><body><h1>ladder report</h1><p class="meta">{src} · {venue} · {from} to {to} UTC · ladder {ver}</p>"#,
        src = esc(&summary.source),
        venue = esc(&summary.venue),
        from = format_args!("{} {}", svg::date(t0), svg::clock(t0, true)),
        to = format_args!("{} {}", svg::date(t1), svg::clock(t1, true)),
        ver = esc(&summary.ladder_version),
    );
    // Each instrument's non-synced windows: shaded in the feed chart, gaps in its price lines.
    let windows: Vec<Vec<series::Window>> = charts
        .instruments
        .iter()
        .map(|inst| {
            // The first window (syncing since the start) opened at time 0: it starts with the
            // session.
            inst.feed
                .finish(t1)
                .into_iter()
                .map(|w| series::Window {
                    start: w.start.max(t0),
                    ..w
                })
                .collect()
        })
        .collect();
    o.push_str("<h2>Summary</h2>");
    o.push_str(&table::summary_tables(summary));

    o.push_str("<h2>Net PnL and drawdown</h2><p class=\"note\">Net PnL = realized + unrealized at the mid − fees, at every fill and at the end of every market sample; drawdown = running peak − net PnL, drawn below zero.</p>");
    for (s, name) in charts.strategies.iter().enumerate() {
        let st = &charts.strategy[s];
        let equity = st.equity.points();
        let dd: Vec<Point> = st
            .drawdown
            .points()
            .iter()
            .map(|p| Point { t: p.t, v: -p.v })
            .collect();
        let range = merge_ranges([
            st.equity.range(),
            neg(st.drawdown.range()),
            Some((0.0, 0.0)),
        ]);
        let mut c = TimeChart::new(
            &format!("pnl-{s}"),
            &format!("{name}: net PnL and drawdown (quote currency)"),
            axis,
            range,
        );
        c.area(&dd, "#d62728", "drawdown");
        c.line(&equity, PALETTE[0], "net PnL", false);
        c.zero_line();
        o.push_str(&c.render());
        match (st.equity.last(), st.drawdown.range()) {
            (Some(last), Some((_, max_dd))) => {
                let _ = write!(
                    o,
                    r#"<p class="note" data-last-net-pnl="{}" data-max-drawdown="{}">On the chart: last net PnL {:.6}, largest drawdown {:.6} (the summary's max_drawdown is marked at every book update, the chart at the samples and fills, so the two can differ slightly).</p>"#,
                    last.v, max_dd, last.v, max_dd
                );
            }
            _ => o.push_str("<p class=\"note\">No fills: net PnL stayed 0.</p>"),
        }
    }

    o.push_str("<h2>Position</h2>");
    for (i, sym) in charts.symbols.iter().enumerate() {
        let inst = &charts.instruments[i];
        let mut ranges = vec![Some((0.0, 0.0))];
        ranges.extend(inst.position.iter().map(|p| p.range()));
        let mut c = TimeChart::new(
            &format!("position-{i}"),
            &format!("{sym}: position per strategy (base units)"),
            axis,
            merge_ranges(ranges),
        );
        for (s, series) in inst.position.iter().enumerate() {
            if series.is_empty() {
                continue;
            }
            // Flat from the start, held after the last fill.
            let mut pts = vec![Point { t: t0, v: 0.0 }];
            pts.extend(series.points());
            if let Some(last) = pts.last().copied() {
                pts.push(Point { t: t1, v: last.v });
            }
            c.line(
                &pts,
                PALETTE[s % PALETTE.len()],
                &charts.strategies[s],
                true,
            );
        }
        c.zero_line();
        o.push_str(&c.render());
    }

    o.push_str("<h2>Mid and fills</h2>");
    for (i, sym) in charts.symbols.iter().enumerate() {
        let inst = &charts.instruments[i];
        let micro: Vec<usize> = (0..charts.strategies.len())
            .filter(|&s| {
                !charts.strategy[s].microprice.is_empty()
                    && charts.microprice_instrument(s) == Some(i)
            })
            .collect();
        let mut ranges = vec![inst.mid.range()];
        ranges.extend(micro.iter().map(|&s| charts.strategy[s].microprice.range()));
        ranges.extend(inst.buys.iter().chain(&inst.sells).map(|x| x.range()));
        let mut c = TimeChart::new(
            &format!("mid-{i}"),
            &format!("{sym}: mid, micro-price and fills (price)"),
            axis,
            merge_ranges(ranges),
        );
        // Micro-price under the mid: it stays within the spread, so the mid on top keeps both
        // readable.
        for (k, &s) in micro.iter().enumerate() {
            let color = PALETTE[(k + 1) % PALETTE.len()];
            let name = format!("micro-price ({})", charts.strategies[s]);
            let pieces = split_at_windows(&charts.strategy[s].microprice.points(), &windows[i]);
            c.pieces(&pieces, color, &name, true);
        }
        let mid = split_at_windows(&inst.mid.points(), &windows[i]);
        c.pieces(&mid, "#333333", "mid", true);
        for (s, name) in charts.strategies.iter().enumerate() {
            let stroke = PALETTE[s % PALETTE.len()];
            let buys = inst.buys[s].points();
            let sells = inst.sells[s].points();
            c.markers(&buys, Marker::Up, "#2ca02c", stroke, &format!("{name} buy"));
            c.markers(
                &sells,
                Marker::Down,
                "#d62728",
                stroke,
                &format!("{name} sell"),
            );
        }
        o.push_str(&c.render());
    }

    o.push_str("<h2>Spread</h2>");
    for (i, sym) in charts.symbols.iter().enumerate() {
        let inst = &charts.instruments[i];
        let mut c = TimeChart::new(
            &format!("spread-{i}"),
            &format!("{sym}: spread (price)"),
            axis,
            merge_ranges([inst.spread.range(), Some((0.0, 0.0))]),
        );
        let spread = split_at_windows(&inst.spread.points(), &windows[i]);
        c.pieces(&spread, PALETTE[1], "spread", true);
        o.push_str(&c.render());
    }

    o.push_str("<h2>Feed state</h2><p class=\"note\">Each instrument's book state as the hot thread saw it: green while synced, shaded while syncing, resyncing or stale.</p>");
    let lanes: Vec<(String, Vec<series::Window>)> = charts
        .symbols
        .iter()
        .cloned()
        .zip(windows.iter().cloned())
        .collect();
    o.push_str(&svg::lanes(
        "feed-state",
        "feed state per instrument",
        axis,
        &lanes,
    ));

    o.push_str("<h2>Latency</h2>");
    if extras.latency.is_empty() {
        o.push_str("<p class=\"note\">No latency was recorded in this run.</p>");
    } else {
        let _ = write!(o, "<p class=\"note\">{}</p>", esc(&extras.latency_note));
        o.push_str(&svg::percentiles(
            "latency",
            "latency percentiles per stage",
            &extras.latency,
        ));
    }

    let merged: u64 = charts.instruments.iter().map(|i| i.feed.merged()).sum();
    let _ = writeln!(
        o,
        "<h2>How this file was made</h2><p class=\"note\">Mid and spread come from one sample per instrument per {} ms of engine time, taken by the hot thread from its synced books (the lowest and highest mid and spread of the interval and its last bid and ask; {} samples). Every series is then downsampled into at most {BUCKETS} equal time buckets per chart, keeping each bucket's first, lowest, highest and last point, so extremes survive at any length. Fill markers are downsampled the same way per strategy and side. Feed-state windows are exact{}. Times are engine time in UTC. Numbers in the tables are those of summary.json.</p></body></html>",
        MARKET_SAMPLE_NS / 1_000_000,
        charts.market_samples,
        if merged > 0 {
            format!(
                " up to {} per instrument; {merged} were merged into a close neighbour",
                collect::WINDOWS
            )
        } else {
            String::new()
        }
    );
    o
}

/// Splits a price line where a non-synced window starts between two of its points (no price
/// is known there); each piece holds its last value up to the window's start.
fn split_at_windows(points: &[Point], windows: &[series::Window]) -> Vec<Vec<Point>> {
    let mut pieces = vec![Vec::new()];
    for (k, &p) in points.iter().enumerate() {
        if let Some(prev) = k.checked_sub(1).map(|j| points[j]) {
            let next = windows.partition_point(|w| w.start <= prev.t);
            if let Some(w) = windows.get(next)
                && w.start <= p.t
                && let Some(piece) = pieces.last_mut()
            {
                piece.push(Point {
                    t: w.start,
                    v: prev.v,
                });
                pieces.push(Vec::new());
            }
        }
        if let Some(piece) = pieces.last_mut() {
            piece.push(p);
        }
    }
    pieces
}

fn neg(r: Option<(f64, f64)>) -> Option<(f64, f64)> {
    r.map(|(lo, hi)| (-hi, -lo))
}

fn merge_ranges(ranges: impl IntoIterator<Item = Option<(f64, f64)>>) -> Option<(f64, f64)> {
    ranges
        .into_iter()
        .flatten()
        .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)))
}

/// Writes `report.html` into `dir`; returns its path.
pub fn write(
    dir: &Path,
    summary: &Summary,
    charts: &ChartData,
    extras: &Extras,
) -> std::io::Result<PathBuf> {
    let path = dir.join(FILE_NAME);
    std::fs::write(&path, render(summary, charts, extras))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hot::output::{MarketSample, OutputRecord};
    use crate::hot::{EngineFinal, HotStats};
    use crate::report::summary::{Percentiles, SummaryInput, Timing};
    use crate::report::writer::{ReportContext, WriterTotals};
    use ladder_sdk::{
        BookState, BookStatus, ClientOrderId, Fill, InstrumentId, InstrumentSpec, Liquidity, Price,
        Quantity, Side, SignalId, UnixNanos,
    };
    use rust_decimal::Decimal;

    fn empty_summary() -> Summary {
        let engine = EngineFinal {
            stats: HotStats::default(),
            strategies: Vec::new(),
            accounts: Vec::new(),
            marks: Vec::new(),
            books: Vec::new(),
            swaps: Vec::new(),
        };
        let zero = Percentiles {
            count: 0,
            min: 0,
            p50: 0,
            p90: 0,
            p99: 0,
            p999: 0,
            max: 0,
        };
        crate::report::summary::build(SummaryInput {
            source: "day".into(),
            venue: "binance-usdm".into(),
            frames: 0,
            parse_errors: 0,
            gaps: 0,
            engine: &engine,
            totals: &WriterTotals::default(),
            meta: &[],
            symbols: &[],
            specs: &[],
            config_sha256: None,
            feeds: Vec::new(),
            timing: Timing {
                wall_seconds: 0.0,
                events_per_second: 0.0,
                frames_per_second: 0.0,
                frame_latency_ns: zero,
                output_waits: 0,
                swap_cost_ns: Vec::new(),
            },
        })
    }

    #[test]
    fn a_day_of_samples_fills_signals_and_stale_windows_renders_in_a_few_megabytes() {
        let ctx = ReportContext {
            symbols: vec!["binance-usdm:BTCUSDT".into()],
            specs: vec![InstrumentSpec::new(Decimal::new(1, 1), Decimal::new(1, 3)).unwrap()],
            strategies: vec!["a".into(), "b".into()],
            signal_names: vec![vec!["microprice".into()], vec!["microprice".into()]],
            signals_every: 0,
        };
        let mut charts = ChartData::new(&ctx);
        let t0 = 1_723_161_600_000_000_000u64;
        let day = 86_400u64;
        let id = InstrumentId::new(0);
        let status = |t: u64, state| OutputRecord::Status {
            ts: UnixNanos::from_nanos(t),
            status: BookStatus {
                instrument: id,
                state,
                reason: None,
                ts_recv: UnixNanos::from_nanos(t),
            },
        };
        charts.on_record(&status(t0, BookState::Synced));
        // One market sample every 100 ms for a day, a fill of each strategy every 10 s, a
        // micro-price every sample, a minute stale every hour.
        for k in 0..day * 10 {
            let t = t0 + k * MARKET_SAMPLE_NS;
            let bid = 600_000 + ((k as f64 / 3_000.0).sin() * 5_000.0) as i64;
            let sample = MarketSample::first(
                UnixNanos::from_nanos(t),
                Price::from_ticks(bid),
                Price::from_ticks(bid + 1 + (k % 7) as i64),
            );
            charts.on_record(&OutputRecord::Market {
                ts: UnixNanos::from_nanos(t + 90_000_000),
                instrument: id,
                sample,
            });
            for s in 0..2u16 {
                charts.on_record(&OutputRecord::Signal {
                    ts: UnixNanos::from_nanos(t),
                    strategy: s,
                    signal: SignalId::new(0),
                    value: bid as f64 / 10.0 + 0.05,
                });
            }
            if k % 100 == 0 {
                let side = if k % 200 == 0 { Side::Buy } else { Side::Sell };
                for s in 0..2u16 {
                    charts.on_record(&OutputRecord::Fill {
                        ts: UnixNanos::from_nanos(t),
                        strategy: s,
                        fill: Fill {
                            id: ClientOrderId::new(k),
                            instrument: id,
                            side,
                            liquidity: Liquidity::Maker,
                            _reserved: [0; 2],
                            price: Price::from_ticks(bid),
                            qty: Quantity::from_lots(10),
                            leaves_qty: Quantity::from_lots(0),
                            position: if side == Side::Buy { 10 } else { 0 },
                            fill_id: k,
                            ts: UnixNanos::from_nanos(t),
                        },
                        fee: Decimal::new(-1, 4),
                    });
                }
            }
            if k % 36_000 == 18_000 {
                charts.on_record(&status(t, BookState::Stale));
            }
            if k % 36_000 == 18_600 {
                charts.on_record(&status(t, BookState::Synced));
            }
        }
        let html = render(&empty_summary(), &charts, &Extras::default());
        eprintln!("a day-long report.html: {} bytes", html.len());
        assert!(html.len() < 3_000_000, "{} bytes", html.len());
        assert_eq!(html.matches("class=\"window stale\"").count(), 24);
        for id in [
            "pnl-0",
            "pnl-1",
            "position-0",
            "mid-0",
            "spread-0",
            "feed-state",
        ] {
            assert!(html.contains(&format!("<svg id=\"{id}\"")), "{id}");
        }
        assert!(html.contains("864000 samples"));
        assert!(html.contains("No latency was recorded"));
    }

    #[test]
    fn price_lines_break_where_a_stale_window_starts_and_hold_until_it() {
        let p = |t, v| Point { t, v };
        let windows = [
            series::Window {
                start: 0,
                end: 5,
                state: "syncing",
            },
            series::Window {
                start: 25,
                end: 40,
                state: "stale",
            },
        ];
        let pieces = split_at_windows(&[p(10, 1.0), p(20, 2.0), p(45, 3.0), p(50, 4.0)], &windows);
        assert_eq!(
            pieces,
            [
                vec![p(10, 1.0), p(20, 2.0), p(25, 2.0)],
                vec![p(45, 3.0), p(50, 4.0)]
            ]
        );
    }

    #[test]
    fn curve_reaches_the_tail_the_samples_support_and_ends_at_the_max() {
        let mut h = hdrhistogram::Histogram::<u64>::new(3).unwrap();
        for v in 1..=10_000u64 {
            h.record(v).unwrap();
        }
        let c = curve("stage", &h, 2.0).unwrap();
        assert_eq!(c.count, 10_000);
        let last = c.points.last().copied().unwrap();
        assert!((last.0 - 4.0).abs() < 1e-9, "{last:?}");
        assert!((last.1 - 20_000.0).abs() / 20_000.0 < 1e-3, "{last:?}");
        // p50 (0.3 nines) about 5,000 units, doubled.
        let p50 = c.points.iter().find(|p| (p.0 - 0.3).abs() < 1e-6).unwrap();
        assert!((p50.1 - 9_980.0).abs() < 100.0, "{p50:?}");
        assert!(c.points.windows(2).all(|w| w[0].1 <= w[1].1));
        assert!(
            curve(
                "empty",
                &hdrhistogram::Histogram::<u64>::new(3).unwrap(),
                1.0
            )
            .is_none()
        );
    }
}
