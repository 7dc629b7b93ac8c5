//! The dashboard's snapshot, filled by the hot thread from the engine, carries what the
//! dashboard shows: books, trades, each strategy's last signal values, orders and PnL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ladder_engine::capture::{CaptureReader, Next};
use ladder_engine::clock::Clock;
use ladder_engine::config::Config;
use ladder_engine::feed::binance::{Decoded, Decoder, Sequencer, SyncRule};
use ladder_engine::hot::HotEngine;
use ladder_engine::hot::output::CountSink;
use ladder_engine::plugin::HostConfig;
use ladder_engine::replay::{EventSink, StrategySource, registry_for};
use ladder_engine::session::snapshot::Snapshot;
use ladder_sdk::{BookState, MarketEvent, UnixNanos};
use ladder_tests::{example_strategies, shared};

#[test]
fn snapshot_shows_books_trades_signals_and_orders() {
    let Some(capture) = shared("vectors/binance/hftbacktest_usdm_btcusdt_20240808_first1000.txt")
    else {
        return;
    };
    let config = Config::default();
    let registry = registry_for(&capture, &config).unwrap();
    let host = HostConfig {
        instruments: registry.iter().map(|i| i.symbol.clone()).collect(),
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
    let (mut decoder, mut seq) = (
        Decoder::new(),
        Sequencer::new(registry.iter().next().unwrap().id, SyncRule::Futures),
    );
    let mut reader = CaptureReader::open(&capture).unwrap();
    while let Some(Next::Line(line)) = reader.next_line().unwrap() {
        let mut sink = EventSink {
            ts_recv: line.ts_recv,
            ts_exchange: UnixNanos::ZERO,
            emit: |e: &MarketEvent| engine.on_event(e),
        };
        match decoder.decode(line.frame, line.ts_recv, &registry) {
            Ok(Decoded::Depth(h)) => {
                seq.on_depth(&h, decoder.bids(), decoder.asks(), &mut sink);
            }
            Ok(Decoded::Snapshot(s)) => {
                decoder
                    .resolve_snapshot(registry.get(seq.instrument()))
                    .unwrap();
                seq.on_snapshot(s.last_update_id, decoder.bids(), decoder.asks(), &mut sink);
            }
            Ok(Decoded::Trade(t)) => (sink.emit)(&MarketEvent::Trade(t)),
            _ => {}
        }
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
