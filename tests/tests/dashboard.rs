//! The dashboard's snapshot, filled by the hot thread from the engine, carries what the
//! dashboard shows: books, trades, each strategy's last signal values, orders and PnL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ladder_engine::capture::merge::CaptureInput;
use ladder_engine::capture::pipeline::read_events;
use ladder_engine::clock::Clock;
use ladder_engine::config::Config;
use ladder_engine::feed::Venue;
use ladder_engine::hot::HotEngine;
use ladder_engine::hot::output::CountSink;
use ladder_engine::plugin::HostConfig;
use ladder_engine::replay::StrategySource;
use ladder_engine::session::snapshot::Snapshot;
use ladder_sdk::{BookState, UnixNanos};
use ladder_tests::{example_strategies, shared};

#[test]
fn snapshot_shows_books_trades_signals_and_orders() {
    let Some(capture) = shared("vectors/binance/hftbacktest_usdm_btcusdt_20240808_first1000.txt")
    else {
        return;
    };
    let config = Config::default();
    let input = [CaptureInput {
        path: capture,
        venue: Venue::BinanceUsdm,
    }];
    let (registry, events) = read_events(&input, &config.instruments).unwrap();
    let host = HostConfig {
        instruments: registry.iter().map(|i| i.name.clone()).collect(),
        ..HostConfig::default()
    };
    let strategies = example_strategies()
        .into_iter()
        .map(|s| match s {
            StrategySource::Static { factory, .. } => factory(&host).unwrap(),
            StrategySource::Library { .. } => unreachable!(),
        })
        .collect();
    let mut engine = HotEngine::new(
        Clock::replay(UnixNanos::ZERO),
        registry.iter().map(|i| i.spec).collect(),
        strategies,
        config.paper.clone(),
        config.risk.clone(),
        config.hot.top_levels,
        CountSink::default(),
    );
    engine.start();
    for e in &events {
        engine.on_event(e);
    }
    let mut snap = Snapshot::default();
    snap.publish(&mut engine, UnixNanos::from_nanos(1));
    assert_eq!(snap.books.len(), 1);
    let book = &snap.books[0];
    assert_eq!(book.state, BookState::Synced);
    assert_eq!((book.bids.len(), book.asks.len()), (10, 10));
    assert!(book.bids[0].price < book.asks[0].price);
    assert!(!book.trades.is_empty());
    assert_eq!(snap.strategies.len(), 2);
    for s in &snap.strategies {
        assert!(
            s.signals.iter().any(|v| v.is_finite()),
            "last signal values are shown: {:?}",
            s.signals
        );
    }
    let quoting = &snap.strategies[1];
    assert!(
        !quoting.open_orders.is_empty() || quoting.fills > 0,
        "the microprice strategy quotes"
    );
    assert!(snap.events > 0 && snap.book_updates > 0);
}
