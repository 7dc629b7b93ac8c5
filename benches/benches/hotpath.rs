//! The whole per-event hot path on pre-decoded real events: book + both example strategies
//! (statically linked) + risk + paper exchange, on one core, against applying the same events
//! to the book alone (the floor) in the same run.
//!
//! Group `hotpath/usdm_capture`, throughput in events; input: the normalized events of
//! `binance-usdm_btcusdt_20240808.gz` (book deltas, snapshot, trades, book tickers).

use criterion::{BatchSize, Criterion, Throughput, black_box, criterion_group, criterion_main};
use ladder_benches::capture_path;
use ladder_engine::book::{BookConfig, L2Book};

use ladder_engine::capture::merge::CaptureInput;
use ladder_engine::capture::pipeline::read_events;
use ladder_engine::clock::Clock;
use ladder_engine::config::Config;
use ladder_engine::feed::Venue;
use ladder_engine::hot::HotEngine;
use ladder_engine::hot::output::CountSink;

use ladder_engine::plugin::{HostConfig, StrategyInstance};
use ladder_sdk::{MarketEvent, UnixNanos};
use ladder_strategy_imbalance::ImbalanceStrategy;
use ladder_strategy_microprice::MicropriceStrategy;

fn bench_hotpath(c: &mut Criterion) {
    let Some(path) = capture_path("binance-usdm_btcusdt_20240808.gz") else {
        eprintln!("hotpath: the USD-M capture is needed; skipped");
        return;
    };
    let config = Config::default();
    let input = [CaptureInput {
        path,
        venue: Venue::BinanceUsdm,
    }];
    let Ok((registry, events)) = read_events(&input, &config.instruments) else {
        return;
    };
    let specs: Vec<_> = registry.iter().map(|i| i.spec).collect();
    let host = HostConfig {
        instruments: registry.iter().map(|i| i.name.clone()).collect(),
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
