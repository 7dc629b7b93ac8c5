//! The whole per-event hot path on pre-decoded real events: book + both example strategies
//! (statically linked) + risk + paper exchange, on one core, against applying the same events
//! to the book alone (the floor) in the same run.
//!
//! Group `hotpath/usdm_capture`, throughput in events; input: the normalized events of
//! `binance-usdm_btcusdt_20240808.gz` (book deltas, snapshot, trades, book tickers).

use criterion::{BatchSize, Criterion, Throughput, black_box, criterion_group, criterion_main};
use ladder_benches::capture_path;
use ladder_engine::book::{BookConfig, L2Book};
use ladder_engine::capture::{CaptureReader, Next};
use ladder_engine::clock::Clock;
use ladder_engine::config::Config;
use ladder_engine::feed::binance::{Decoded, Decoder, Sequencer, SyncRule};
use ladder_engine::hot::HotEngine;
use ladder_engine::hot::output::CountSink;
use ladder_engine::instrument::Registry;
use ladder_engine::plugin::{HostConfig, StrategyInstance};
use ladder_engine::replay::{EventSink, registry_for};
use ladder_sdk::{MarketEvent, UnixNanos};
use ladder_strategy_imbalance::ImbalanceStrategy;
use ladder_strategy_microprice::MicropriceStrategy;

fn events(registry: &Registry, path: &std::path::Path) -> Vec<MarketEvent> {
    let mut out = Vec::new();
    let mut decoder = Decoder::new();
    let Some(first) = registry.iter().next() else {
        return out;
    };
    let mut seq = Sequencer::new(first.id, SyncRule::Futures);
    let Ok(mut reader) = CaptureReader::open(path) else {
        return out;
    };
    while let Ok(Some(Next::Line(line))) = reader.next_line() {
        let mut sink = EventSink {
            ts_recv: line.ts_recv,
            ts_exchange: UnixNanos::ZERO,
            emit: |e: &MarketEvent| out.push(*e),
        };
        match decoder.decode(line.frame, line.ts_recv, registry) {
            Ok(Decoded::Depth(h)) => {
                seq.on_depth(&h, decoder.bids(), decoder.asks(), &mut sink);
            }
            Ok(Decoded::Snapshot(s))
                if decoder.resolve_snapshot(registry.get(first.id)).is_ok() =>
            {
                seq.on_snapshot(s.last_update_id, decoder.bids(), decoder.asks(), &mut sink);
            }
            Ok(Decoded::Trade(t)) => (sink.emit)(&MarketEvent::Trade(t)),
            Ok(Decoded::BookTicker(b)) => (sink.emit)(&MarketEvent::Bbo(b)),
            _ => {}
        }
    }
    out
}

fn bench_hotpath(c: &mut Criterion) {
    let Some(path) = capture_path("binance-usdm_btcusdt_20240808.gz") else {
        eprintln!("hotpath: the USD-M capture is needed; skipped");
        return;
    };
    let config = Config::default();
    let Ok(registry) = registry_for(&path, &config) else {
        return;
    };
    let events = events(&registry, &path);
    let specs: Vec<_> = registry.iter().map(|i| i.spec).collect();
    let host = HostConfig {
        instruments: registry.iter().map(|i| i.symbol.clone()).collect(),
        ..HostConfig::default()
    };
    eprintln!("hotpath: {} pre-decoded events", events.len());

    let mut group = c.benchmark_group("hotpath/usdm_capture");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.sample_size(10);
    group.bench_function("book_only", |b| {
        b.iter_batched_ref(
            || L2Book::new(BookConfig::default()),
            |book| {
                for ev in &events {
                    if let MarketEvent::BookDelta(d) = ev {
                        book.apply(d.side, d.price, d.qty);
                    }
                }
                black_box(book.best_bid())
            },
            BatchSize::LargeInput,
        );
    });
    group.bench_function("book_strategies_risk_paper", |b| {
        b.iter_batched_ref(
            || {
                let strategies = vec![
                    StrategyInstance::new_static::<ImbalanceStrategy>("imbalance", "", &host),
                    StrategyInstance::new_static::<MicropriceStrategy>(
                        "microprice",
                        "tick_size = \"0.1\"",
                        &host,
                    ),
                ]
                .into_iter()
                .filter_map(Result::ok)
                .collect();
                let mut engine = HotEngine::new(
                    Clock::replay(UnixNanos::ZERO),
                    specs.clone(),
                    strategies,
                    config.paper.clone(),
                    config.risk.clone(),
                    config.hot.top_levels,
                    CountSink::default(),
                );
                engine.start();
                engine
            },
            |engine| {
                for ev in &events {
                    engine.on_event(black_box(ev));
                }
                engine.output().0
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

criterion_group!(benches, bench_hotpath);
criterion_main!(benches);
