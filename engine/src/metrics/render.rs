//! One scrape: reads the sources and encodes every metric family in the Prometheus text format.
//! The one place metric names, help texts and labels are defined (the README lists them).

use super::MetricsSources;
use crate::clock::tsc::TscScale;
use crate::hot::stamps::Stage;
use crate::report::writer::WriterTotals;
use crate::session::snapshot::Snapshot;
use hdrhistogram::Histogram as Hdr;
use ladder_sdk::BookState;
use prometheus::proto::{
    Bucket, Counter, Gauge, Histogram, LabelPair, Metric, MetricFamily, MetricType,
};
use prometheus::{Encoder as _, TextEncoder};
use rust_decimal::prelude::ToPrimitive as _;

/// The content type of [`render`]'s output.
pub(super) fn content_type() -> String {
    TextEncoder::new().format_type().to_owned()
}

/// Upper bounds of the latency histogram buckets, in seconds (1 µs to 1 s).
const LATENCY_BUCKETS: [f64; 16] = [
    1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 0.1, 0.5,
    1.0,
];

/// The book states exported as `ladder_book_state{state=...}` (one is 1, the others 0).
const STATES: [BookState; 5] = [
    BookState::Connecting,
    BookState::Syncing,
    BookState::Synced,
    BookState::Stale,
    BookState::Resyncing,
];

/// Metric families being built, in the order they are declared.
struct Families(Vec<MetricFamily>);

impl Families {
    fn family(&mut self, name: &str, help: &str, kind: MetricType) -> &mut MetricFamily {
        let mut f = MetricFamily::default();
        f.set_name(name.to_owned());
        f.set_help(help.to_owned());
        f.set_field_type(kind);
        self.0.push(f);
        self.0.last_mut().unwrap_or_else(|| unreachable!())
    }

    fn counter(&mut self, name: &str, help: &str, samples: Vec<(Vec<(&str, String)>, u64)>) {
        let f = self.family(name, help, MetricType::COUNTER);
        for (labels, v) in samples {
            let mut c = Counter::default();
            c.set_value(v as f64);
            let mut m = metric(labels);
            m.set_counter(c);
            f.mut_metric().push(m);
        }
    }

    fn gauge(&mut self, name: &str, help: &str, samples: Vec<(Vec<(&str, String)>, f64)>) {
        let f = self.family(name, help, MetricType::GAUGE);
        for (labels, v) in samples {
            let mut g = Gauge::default();
            g.set_value(v);
            let mut m = metric(labels);
            m.set_gauge(g);
            f.mut_metric().push(m);
        }
    }
}

fn metric(labels: Vec<(&str, String)>) -> Metric {
    let mut m = Metric::default();
    m.set_label(
        labels
            .into_iter()
            .map(|(k, v)| {
                let mut l = LabelPair::default();
                l.set_name(k.to_owned());
                l.set_value(v);
                l
            })
            .collect(),
    );
    m
}

/// A Prometheus histogram, in seconds, of an HdrHistogram of `scale` units (nanoseconds, or
/// TSC ticks).
fn histogram(labels: Vec<(&str, String)>, h: &Hdr<u64>, scale: TscScale) -> Metric {
    let mut out = Histogram::default();
    out.set_sample_count(h.len());
    out.set_sample_sum(scale.to_ns(1) * h.mean() * h.len() as f64 / 1e9);
    out.set_bucket(
        LATENCY_BUCKETS
            .iter()
            .map(|&le| {
                let mut b = Bucket::default();
                b.set_upper_bound(le);
                // Values at or below the bound (within HdrHistogram's 3 significant digits).
                b.set_cumulative_count(h.count_between(0, scale.ticks((le * 1e9) as u64)));
                b
            })
            .collect(),
    );
    let mut m = metric(labels);
    m.set_histogram(out);
    m
}

/// Everything a scrape shows, encoded.
///
/// # Errors
/// The encoder's message (a metric family it refuses: a bug here).
pub fn render(src: &MetricsSources) -> Result<String, String> {
    let mut f = Families(Vec::new());
    feeds(&mut f, src);
    if let Some(b) = &src.bus {
        bus(&mut f, b);
    }
    if let Some(p) = &src.publisher {
        publisher(&mut f, p);
    }
    if let Some(session) = &src.session {
        // Copies taken quickly, so the hot thread's `try_lock` rarely misses a publication.
        let snap: Snapshot = session
            .snapshot
            .lock()
            .map(|s| s.clone())
            .unwrap_or_else(|p| p.into_inner().clone());
        let writer: WriterTotals = session
            .writer
            .lock()
            .map(|w| w.clone())
            .unwrap_or_else(|p| p.into_inner().clone());
        hot(&mut f, &snap);
        strategies(&mut f, src, &session.strategies, &snap, &writer);
    }
    f.0.retain(|m| !m.get_metric().is_empty());
    let mut out = String::new();
    TextEncoder::new()
        .encode_utf8(&f.0, &mut out)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

fn publisher(f: &mut Families, p: &crate::bus::publish::PublisherStats) {
    let g = |a: &std::sync::atomic::AtomicU64| {
        vec![(Vec::new(), a.load(std::sync::atomic::Ordering::Relaxed))]
    };
    for (name, help, value) in [
        (
            "ladder_bus_publish_events_total",
            "Events the feeds handed to the bus publisher.",
            &p.events,
        ),
        (
            "ladder_bus_published_total",
            "Messages published to the stream.",
            &p.published,
        ),
        (
            "ladder_bus_acked_total",
            "Published messages the server acknowledged.",
            &p.acked,
        ),
        (
            "ladder_bus_publish_failed_total",
            "Publishes that failed or were never acknowledged (consumers see a gap).",
            &p.failed,
        ),
        (
            "ladder_bus_publish_refused_total",
            "Events refused by the publisher's full channel (the book resyncs from the venue).",
            &p.refused,
        ),
        (
            "ladder_bus_images_total",
            "Book images written to the key-value bucket.",
            &p.images,
        ),
        (
            "ladder_bus_publisher_disconnects_total",
            "Connections of the publisher to the bus server lost.",
            &p.disconnects,
        ),
    ] {
        f.counter(name, help, g(value));
    }
    let up = u64::from(p.connected.load(std::sync::atomic::Ordering::Relaxed));
    f.gauge(
        "ladder_bus_publisher_connected",
        "1 while the publisher is connected to the bus server.",
        vec![(Vec::new(), up as f64)],
    );
}

fn bus(f: &mut Families, b: &crate::bus::consume::BusStats) {
    let g = |a: &std::sync::atomic::AtomicU64| {
        vec![(Vec::new(), a.load(std::sync::atomic::Ordering::Relaxed))]
    };
    for (name, help, value) in [
        (
            "ladder_bus_messages_total",
            "Bus messages read from the stream.",
            &b.messages,
        ),
        (
            "ladder_bus_gaps_total",
            "Bus gaps (sequence, publisher restart, disconnect), per instrument.",
            &b.gaps,
        ),
        (
            "ladder_bus_resyncs_total",
            "Books resynced from an image or a snapshot in the stream.",
            &b.resyncs,
        ),
        (
            "ladder_bus_redelivered_total",
            "Bus messages already applied, skipped.",
            &b.redelivered,
        ),
        (
            "ladder_bus_decode_errors_total",
            "Bus messages that could not be decoded.",
            &b.decode_errors,
        ),
        (
            "ladder_bus_disconnects_total",
            "Connections to the bus server lost.",
            &b.disconnects,
        ),
    ] {
        f.counter(name, help, g(value));
    }
}

fn feeds(f: &mut Families, src: &MetricsSources) {
    let per_feed = |pick: &dyn Fn(&crate::feed::live::FeedCounters) -> u64| {
        src.feeds
            .iter()
            .map(|s| {
                (
                    vec![("venue", s.venue().name().to_owned())],
                    pick(&s.counters()),
                )
            })
            .collect::<Vec<_>>()
    };
    f.counter(
        "ladder_feed_messages_total",
        "WebSocket data frames received.",
        per_feed(&|c| c.messages),
    );
    f.counter(
        "ladder_feed_bytes_total",
        "Bytes of the WebSocket data frames received.",
        per_feed(&|c| c.bytes),
    );
    f.counter(
        "ladder_feed_decode_errors_total",
        "Frames that could not be decoded (counted, skipped).",
        per_feed(&|c| c.decode_errors),
    );
    f.counter(
        "ladder_feed_reconnects_total",
        "Connections lost and opened again (any cause).",
        per_feed(&|c| c.reconnects),
    );
    f.counter(
        "ladder_feed_watchdog_timeouts_total",
        "Connections declared dead by the watchdog.",
        per_feed(&|c| c.watchdog_timeouts),
    );
    f.counter(
        "ladder_feed_ring_overflows_total",
        "Times an instrument overflowed the ring to the hot thread.",
        per_feed(&|c| c.overflows),
    );
    f.counter(
        "ladder_feed_snapshot_failures_total",
        "Snapshot requests that failed (HTTP error, network, bad body).",
        per_feed(&|c| c.snapshot_failures),
    );
    f.counter(
        "ladder_feed_errors_total",
        "Errors recorded by the feed.",
        per_feed(&|c| c.errors),
    );
    f.gauge(
        "ladder_feed_connections_open",
        "WebSocket connections open now.",
        src.feeds
            .iter()
            .map(|s| {
                let open = s.connections().iter().filter(|c| c.connected).count();
                (vec![("venue", s.venue().name().to_owned())], open as f64)
            })
            .collect(),
    );
    f.gauge(
        "ladder_feed_last_message_timestamp_seconds",
        "Receive time of the last data frame (Unix seconds; 0 before the first).",
        per_feed(&|c| c.last_message.as_nanos())
            .into_iter()
            .map(|(l, ns)| (l, ns as f64 / 1e9))
            .collect(),
    );

    let books: Vec<_> = src
        .feeds
        .iter()
        .flat_map(|s| {
            let venue = s.venue().name().to_owned();
            s.instruments().into_iter().map(move |i| (venue.clone(), i))
        })
        .collect();
    let name = |i: &crate::feed::live::InstrumentStatus| {
        src.instruments
            .get(i.instrument.index())
            .cloned()
            .unwrap_or_else(|| i.symbol.clone())
    };
    let per_book = |pick: &dyn Fn(&crate::feed::live::InstrumentStatus) -> u64| {
        books
            .iter()
            .map(|(v, i)| (vec![("venue", v.clone()), ("instrument", name(i))], pick(i)))
            .collect::<Vec<_>>()
    };
    f.gauge(
        "ladder_book_state",
        "1 for the book's current state, 0 for the others.",
        books
            .iter()
            .flat_map(|(v, i)| {
                STATES.iter().map(move |s| {
                    (
                        vec![
                            ("venue", v.clone()),
                            ("instrument", name(i)),
                            ("state", s.as_str().to_owned()),
                        ],
                        f64::from(u8::from(i.state == *s)),
                    )
                })
            })
            .collect(),
    );
    f.counter(
        "ladder_book_updates_applied_total",
        "Book updates applied.",
        per_book(&|i| i.applied),
    );
    f.counter(
        "ladder_book_faults_total",
        "Integrity faults by kind (sequence_gap, checksum_mismatch, crossed, ...).",
        books
            .iter()
            .flat_map(|(v, i)| {
                i.faults.by_kind().into_iter().map(move |(kind, n)| {
                    (
                        vec![
                            ("venue", v.clone()),
                            ("instrument", name(i)),
                            ("kind", kind.to_owned()),
                        ],
                        n,
                    )
                })
            })
            .collect(),
    );
    f.counter(
        "ladder_book_gaps_total",
        "Integrity faults of every kind (the sum of ladder_book_faults_total).",
        per_book(&|i| i.gaps),
    );
    f.counter(
        "ladder_book_resyncs_total",
        "Resyncs started.",
        per_book(&|i| i.resyncs),
    );
    f.counter(
        "ladder_book_snapshots_total",
        "Snapshots applied.",
        per_book(&|i| i.snapshots),
    );
}

fn hot(f: &mut Families, snap: &Snapshot) {
    f.counter(
        "ladder_hot_events_total",
        "Events processed by the hot thread.",
        vec![(Vec::new(), snap.events)],
    );
    f.counter(
        "ladder_hot_book_updates_total",
        "Book updates processed by the hot thread.",
        vec![(Vec::new(), snap.book_updates)],
    );
    f.counter(
        "ladder_hot_trades_total",
        "Trades processed by the hot thread.",
        vec![(Vec::new(), snap.trades)],
    );
    let stages = [
        ("tick_to_done", &snap.tick_to_done_histogram),
        ("processing", &snap.processing_histogram),
    ];
    let fam = f.family(
        "ladder_latency_seconds",
        "Latency per stage: tick_to_done = frame received to hot thread done with it; \
         processing = hot-thread time per event; the pipeline stages of the stamps \
         (read_to_enqueued, enqueued_to_dequeued, dequeued_to_applied, ...).",
        MetricType::HISTOGRAM,
    );
    let ns = TscScale::from_ticks_per_ns(1.0);
    for (stage, h) in stages {
        if let Some(h) = h {
            fam.mut_metric()
                .push(histogram(vec![("stage", stage.to_owned())], h, ns));
        }
    }
    if !snap.stages.is_empty() {
        let tsc = TscScale::get();
        for (stage, h) in Stage::ALL.iter().zip(&snap.stages) {
            if let Some(h) = h.as_ref().filter(|h| !h.is_empty()) {
                fam.mut_metric()
                    .push(histogram(vec![("stage", stage.name().to_owned())], h, tsc));
            }
        }
    }
}

fn strategies(
    f: &mut Families,
    src: &MetricsSources,
    names: &[String],
    snap: &Snapshot,
    writer: &WriterTotals,
) {
    let strategy = |s: usize| names.get(s).cloned().unwrap_or_else(|| s.to_string());
    let instrument = |i: usize| {
        src.instruments
            .get(i)
            .cloned()
            .unwrap_or_else(|| i.to_string())
    };
    let counts = || writer.strategies.iter().enumerate();
    f.counter(
        "ladder_strategy_signals_total",
        "Signal values emitted.",
        counts()
            .map(|(s, c)| (vec![("strategy", strategy(s))], c.signals))
            .collect(),
    );
    f.counter(
        "ladder_strategy_swaps_total",
        "Library swaps (hot reload) by outcome: handoff, fresh or refused.",
        counts()
            .flat_map(|(s, c)| {
                ["handoff", "fresh", "refused"]
                    .into_iter()
                    .map(move |mode| {
                        (
                            vec![("strategy", strategy(s)), ("mode", mode.to_owned())],
                            c.swaps.get(mode).copied().unwrap_or(0),
                        )
                    })
            })
            .collect(),
    );
    f.counter(
        "ladder_strategy_cancels_total",
        "Cancel and cancel-all requests.",
        counts()
            .map(|(s, c)| (vec![("strategy", strategy(s))], c.cancels))
            .collect(),
    );
    let per_instrument = |pick: &dyn Fn(&crate::report::writer::InstrumentCounts) -> u64| {
        counts()
            .flat_map(|(s, c)| {
                c.by_instrument.iter().map(move |(i, n)| {
                    (
                        vec![("strategy", strategy(s)), ("instrument", instrument(*i))],
                        pick(n),
                    )
                })
            })
            .collect::<Vec<_>>()
    };
    f.counter(
        "ladder_strategy_orders_total",
        "New-order requests.",
        per_instrument(&|n| n.orders),
    );
    f.counter(
        "ladder_strategy_fills_total",
        "Fills.",
        per_instrument(&|n| n.fills),
    );
    f.counter(
        "ladder_strategy_rejects_total",
        "Refused orders and cancels by reason (a cancel of an unknown order has instrument \"\").",
        counts()
            .flat_map(|(s, c)| {
                let named = c.by_instrument.iter().flat_map(move |(i, n)| {
                    n.rejects.iter().map(move |(reason, k)| {
                        (
                            vec![
                                ("strategy", strategy(s)),
                                ("instrument", instrument(*i)),
                                ("reason", reason.clone()),
                            ],
                            *k,
                        )
                    })
                });
                // What no instrument carries: refused cancels of unknown orders.
                let unnamed = c.rejects.iter().filter_map(move |(reason, total)| {
                    let named: u64 = c
                        .by_instrument
                        .values()
                        .filter_map(|n| n.rejects.get(reason))
                        .sum();
                    (total > &named).then(|| {
                        (
                            vec![
                                ("strategy", strategy(s)),
                                ("instrument", String::new()),
                                ("reason", reason.clone()),
                            ],
                            total - named,
                        )
                    })
                });
                named.chain(unnamed).collect::<Vec<_>>()
            })
            .collect(),
    );
    let per_strategy = |pick: &dyn Fn(&crate::session::snapshot::StrategySnap) -> f64| {
        snap.strategies
            .iter()
            .enumerate()
            .map(|(s, st)| (vec![("strategy", strategy(s))], pick(st)))
            .collect::<Vec<_>>()
    };
    let money = |d: rust_decimal::Decimal| d.to_f64().unwrap_or(f64::NAN);
    f.gauge(
        "ladder_strategy_realized_pnl",
        "Realized PnL, all instruments, in quote currency.",
        per_strategy(&|s| money(s.realized)),
    );
    f.gauge(
        "ladder_strategy_unrealized_pnl",
        "Unrealized PnL at the mids, in quote currency.",
        per_strategy(&|s| money(s.unrealized)),
    );
    f.gauge(
        "ladder_strategy_fees",
        "Fees paid (negative: rebates), in quote currency.",
        per_strategy(&|s| money(s.fees)),
    );
    f.gauge(
        "ladder_strategy_disabled",
        "1 once the strategy is disabled (panic, kill switch).",
        per_strategy(&|s| f64::from(u8::from(s.disabled.is_some()))),
    );
    f.gauge(
        "ladder_strategy_position",
        "Position per instrument, in instrument units (lots times the lot size).",
        snap.strategies
            .iter()
            .enumerate()
            .flat_map(|(s, st)| {
                st.positions.iter().enumerate().map(move |(i, lots)| {
                    let units = src
                        .specs
                        .get(i)
                        .map_or(f64::NAN, |spec| money(spec.lot_grid().to_decimal(*lots)));
                    (
                        vec![("strategy", strategy(s)), ("instrument", instrument(i))],
                        units,
                    )
                })
            })
            .collect(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::SessionSources;
    use crate::report::writer::{InstrumentCounts, StrategyCounts};
    use crate::session::snapshot::StrategySnap;
    use ladder_sdk::InstrumentSpec;
    use rust_decimal::Decimal;
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    fn sources() -> MetricsSources {
        let mut rejects = BTreeMap::new();
        rejects.insert("unknown_order".to_owned(), 3);
        rejects.insert("post_only_would_cross".to_owned(), 2);
        let mut on_btc = InstrumentCounts {
            orders: 7,
            fills: 4,
            ..InstrumentCounts::default()
        };
        on_btc.rejects.insert("post_only_would_cross".to_owned(), 2);
        let writer = WriterTotals {
            strategies: vec![StrategyCounts {
                signals: 9,
                orders: 7,
                cancels: 5,
                fills: 4,
                rejects,
                by_instrument: BTreeMap::from([(0, on_btc)]),
                swaps: BTreeMap::from([("handoff", 2), ("refused", 1)]),
            }],
            records: 30,
        };
        let snapshot = Snapshot {
            events: 100,
            strategies: vec![StrategySnap {
                signals: Vec::new(),
                positions: vec![-1500],
                open_orders: Vec::new(),
                realized: Decimal::new(125, 2),
                unrealized: Decimal::new(-5, 1),
                fees: Decimal::new(1, 2),
                fills: 4,
                disabled: Some("panicked".into()),
            }],
            ..Snapshot::default()
        };
        MetricsSources {
            feeds: Vec::new(),
            instruments: vec!["binance-usdm:BTCUSDT".into()],
            specs: vec![InstrumentSpec::new(Decimal::new(1, 1), Decimal::new(1, 3)).unwrap()],
            session: Some(SessionSources {
                strategies: vec!["imb".into()],
                snapshot: Arc::new(Mutex::new(snapshot)),
                writer: Arc::new(Mutex::new(writer)),
            }),
            bus: None,
            publisher: None,
        }
    }

    #[test]
    fn feed_scrape_shows_the_publisher_and_no_hot_loop_or_strategy() {
        let stats = Arc::new(crate::bus::publish::PublisherStats::default());
        stats
            .published
            .store(41, std::sync::atomic::Ordering::Relaxed);
        stats.acked.store(40, std::sync::atomic::Ordering::Relaxed);
        let src = MetricsSources {
            session: None,
            publisher: Some(stats),
            ..sources()
        };
        let text = render(&src).unwrap();
        assert!(text.contains("ladder_bus_published_total 41"), "{text}");
        assert!(text.contains("ladder_bus_acked_total 40"), "{text}");
        assert!(text.contains("ladder_bus_publisher_connected 0"), "{text}");
        assert!(!text.contains("ladder_hot_"), "{text}");
        assert!(!text.contains("ladder_strategy_"), "{text}");
        let paper = render(&sources()).unwrap();
        assert!(!paper.contains("ladder_bus_published_total"), "{paper}");
    }

    #[test]
    fn bus_counters_are_exported_when_the_session_reads_a_bus() {
        let stats = Arc::new(crate::bus::consume::BusStats::default());
        stats.gaps.store(3, std::sync::atomic::Ordering::Relaxed);
        let mut src = sources();
        assert!(!render(&src).unwrap().contains("ladder_bus_"));
        src.bus = Some(stats);
        let text = render(&src).unwrap();
        assert!(text.contains("ladder_bus_gaps_total 3"), "{text}");
        assert!(text.contains("ladder_bus_resyncs_total 0"), "{text}");
    }

    #[test]
    fn strategies_are_exported_per_instrument_with_unattributed_rejects_apart() {
        let text = render(&sources()).unwrap();
        for line in [
            "ladder_hot_events_total 100",
            "ladder_strategy_signals_total{strategy=\"imb\"} 9",
            "ladder_strategy_orders_total{strategy=\"imb\",instrument=\"binance-usdm:BTCUSDT\"} 7",
            "ladder_strategy_fills_total{strategy=\"imb\",instrument=\"binance-usdm:BTCUSDT\"} 4",
            "ladder_strategy_rejects_total{strategy=\"imb\",instrument=\"binance-usdm:BTCUSDT\",reason=\"post_only_would_cross\"} 2",
            "ladder_strategy_rejects_total{strategy=\"imb\",instrument=\"\",reason=\"unknown_order\"} 3",
            "ladder_strategy_position{strategy=\"imb\",instrument=\"binance-usdm:BTCUSDT\"} -1.5",
            "ladder_strategy_realized_pnl{strategy=\"imb\"} 1.25",
            "ladder_strategy_unrealized_pnl{strategy=\"imb\"} -0.5",
            "ladder_strategy_disabled{strategy=\"imb\"} 1",
            "ladder_strategy_swaps_total{strategy=\"imb\",mode=\"handoff\"} 2",
            "ladder_strategy_swaps_total{strategy=\"imb\",mode=\"fresh\"} 0",
            "ladder_strategy_swaps_total{strategy=\"imb\",mode=\"refused\"} 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from:\n{text}"
            );
        }
        // No latency recorded yet: no histogram family at all (an empty one is not valid).
        assert!(!text.contains("ladder_latency_seconds"), "{text}");
    }

    #[test]
    fn a_latency_histogram_is_cumulative_in_seconds() {
        let src = sources();
        let mut h = Hdr::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap();
        for ns in [800, 3_000, 3_000, 2_000_000] {
            h.record(ns).unwrap();
        }
        src.session
            .as_ref()
            .unwrap()
            .snapshot
            .lock()
            .unwrap()
            .tick_to_done_histogram = Some(h);
        let text = render(&src).unwrap();
        for line in [
            "ladder_latency_seconds_bucket{stage=\"tick_to_done\",le=\"0.000001\"} 1",
            "ladder_latency_seconds_bucket{stage=\"tick_to_done\",le=\"0.000005\"} 3",
            "ladder_latency_seconds_bucket{stage=\"tick_to_done\",le=\"0.001\"} 3",
            "ladder_latency_seconds_bucket{stage=\"tick_to_done\",le=\"0.0025\"} 4",
            "ladder_latency_seconds_bucket{stage=\"tick_to_done\",le=\"+Inf\"} 4",
            "ladder_latency_seconds_count{stage=\"tick_to_done\"} 4",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from:\n{text}"
            );
        }
    }
}
