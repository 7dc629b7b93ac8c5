//! Kraken v2 live against the local Kraken server of [`super::kraken_server`], which replays
//! the real v2 BTC/USD recordings (one as `BTC/USD`, the one with a second snapshot as
//! `ETH/USD`): the feed ends with `ladder inspect`'s books of the same files, no checksum
//! failing, its pings answered; one digit changed in one frame is a checksum mismatch on that
//! instrument only, which is resubscribed alone (unsubscribe + subscribe of its book) and
//! synced again by the new snapshot; a refused subscription is one clear error naming the
//! symbol, and the reconnect syncs both.

use super::kraken_server::{KrakenApp, KrakenOpts, VECTORS};
use super::*;
use ladder_engine::feed::VenueOptions;
use ladder_engine::feed::kraken::LiveOptions;

/// Kraken's feed against the Kraken server.
type Run = VenueRun<KrakenApp>;

/// The server replaying both recordings with `opts`, and a feed of both symbols (depth 10, a
/// ping every 100 ms); `None` (skipped) without the shared recordings.
fn start(opts: KrakenOpts) -> Option<Run> {
    let symbols: Vec<String> = VECTORS.iter().map(|(s, _)| (*s).to_owned()).collect();
    let options = VenueOptions::Kraken(LiveOptions {
        depth: 10,
        ping_every: Duration::from_millis(100),
    });
    Some(venue_run(
        KrakenApp::new(opts)?,
        Venue::Kraken,
        "/v2",
        symbols,
        &options,
        |_| {},
    ))
}

impl Run {
    /// Waits until the replay is done and both books are synced and equal to the server's.
    fn wait_synced_at_the_end(&self) {
        let st = &self.feed.status;
        self.wait_for(|| {
            self.app.finished.load(Ordering::Acquire)
                && st
                    .instruments()
                    .iter()
                    .all(|i| i.state == BookState::Synced)
                && VECTORS.iter().all(|(s, _)| {
                    let books = self.app.books.lock().unwrap();
                    books.get(*s).is_some_and(|b| {
                        self.levels(s, Side::Buy) == b.bids()
                            && self.levels(s, Side::Sell) == b.asks()
                    })
                })
        });
    }

    /// Both books equal `ladder inspect`'s of their recordings (every checksum verified there
    /// with `--strict`).
    fn assert_books_are_inspects(&self) {
        for (symbol, rel) in VECTORS {
            let path = shared(rel).unwrap();
            let report = inspect_capture(&path, Venue::Kraken, 10);
            assert_eq!((report.gaps, report.checksums > 0), (0, true), "{rel}");
            let want = &report.instruments["kraken:BTC/USD"];
            assert_eq!(
                self.levels(symbol, Side::Buy),
                report_levels(&want.bids),
                "{symbol} bids"
            );
            assert_eq!(
                self.levels(symbol, Side::Sell),
                report_levels(&want.asks),
                "{symbol} asks"
            );
        }
    }
}

#[test]
fn kraken_replay_syncs_both_books_to_inspects_with_every_checksum_matching_and_pings_sent() {
    let Some(run) = start(KrakenOpts::default()) else {
        return;
    };
    run.wait_synced_at_the_end();
    assert!(wait_until(Duration::from_secs(3), || run.app.count_pings() >= 3));
    let c = run.feed.status.counters();
    let instruments = run.feed.status.instruments();
    run.assert_books_are_inspects();
    let states: Vec<_> = VECTORS.iter().map(|(s, _)| run.states(s)).collect();
    assert!(run.feed.shutdown());
    assert_eq!(
        (
            c.gaps,
            c.decode_errors,
            c.reconnects,
            c.snapshots,
            c.resyncs
        ),
        (0, 0, 0, 3, 0),
        "no checksum failed; 1 + 2 snapshots: {c:?}"
    );
    for i in &instruments {
        assert_eq!(
            i.faults.total(),
            0,
            "{}: {:?}",
            i.symbol,
            i.faults.by_kind()
        );
    }
    let requests: Vec<(String, String, Vec<String>)> = run
        .app
        .requests()
        .into_iter()
        .filter(|(m, _, _)| m != "ping")
        .collect();
    let both = vec!["BTC/USD".to_owned(), "ETH/USD".to_owned()];
    assert_eq!(
        requests,
        [
            ("subscribe".into(), "book".into(), both.clone()),
            ("subscribe".into(), "trade".into(), both)
        ],
        "one book and one trade request on open, no resubscription"
    );
    use BookState::{Connecting, Synced, Syncing};
    for ((symbol, _), states) in VECTORS.iter().zip(states) {
        assert_eq!(
            states,
            [(Connecting, None), (Syncing, None), (Synced, None)],
            "{symbol}"
        );
    }
}

#[test]
fn kraken_one_digit_changed_is_a_checksum_fault_on_that_symbol_resubscribed_alone_then_synced() {
    let Some(run) = start(KrakenOpts {
        corrupt: Some(("ETH/USD", 3)),
        ..KrakenOpts::default()
    }) else {
        return;
    };
    run.wait_synced_at_the_end();
    let c = run.feed.status.counters();
    let instruments = run.feed.status.instruments();
    run.assert_books_are_inspects();
    let (eth, btc) = (run.states("ETH/USD"), run.states("BTC/USD"));
    assert!(run.feed.shutdown());
    assert_eq!(
        (c.gaps, c.resyncs, c.reconnects, c.decode_errors),
        (1, 1, 0, 0),
        "{c:?}"
    );
    let faults = |s: &str| {
        instruments
            .iter()
            .find(|i| i.symbol == s)
            .map(|i| (i.faults.checksum_mismatch, i.faults.total()))
            .unwrap()
    };
    assert_eq!(faults("ETH/USD"), (1, 1), "the corrupted symbol");
    assert_eq!(faults("BTC/USD"), (0, 0), "the other symbol");
    assert_eq!(
        (
            run.app.count_book("unsubscribe", "ETH/USD"),
            run.app.count_book("subscribe", "ETH/USD")
        ),
        (1, 2),
        "ETH/USD's book resubscribed once"
    );
    let resync: Vec<Vec<String>> = run
        .app
        .requests()
        .into_iter()
        .filter(|(m, _, _)| m == "unsubscribe")
        .map(|(_, _, s)| s)
        .collect();
    assert_eq!(resync, [vec!["ETH/USD".to_owned()]], "that one symbol only");
    assert_eq!(
        run.app.count_book("unsubscribe", "BTC/USD"),
        0,
        "BTC/USD untouched"
    );
    use BookState::{Connecting, Resyncing, Stale, Synced, Syncing};
    assert_eq!(
        eth,
        [
            (Connecting, None),
            (Syncing, None),
            (Synced, None),
            (Stale, Some(StaleReason::ChecksumMismatch)),
            (Resyncing, None),
            (Synced, None)
        ]
    );
    assert_eq!(btc, [(Connecting, None), (Syncing, None), (Synced, None)]);
}

#[test]
fn kraken_refused_subscription_is_one_clear_error_naming_the_symbol_then_the_reconnect_syncs() {
    let Some(run) = start(KrakenOpts {
        refuse: Some("ETH/USD"),
        ..KrakenOpts::default()
    }) else {
        return;
    };
    run.wait_synced_at_the_end();
    let c = run.feed.status.counters();
    let error = last_error(&run.feed.status);
    run.assert_books_are_inspects();
    assert!(run.feed.shutdown());
    assert!(
        error.contains("rejected the subscription")
            && error.contains("subscribe book ETH/USD: Currency pair not supported ETH/USD"),
        "{error}"
    );
    assert_eq!((c.reconnects, c.gaps, c.decode_errors), (1, 0, 0), "{c:?}");
    assert_eq!(run.app.conns.load(Ordering::Acquire), 2);
}
