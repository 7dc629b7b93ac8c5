//! Bybit v5 live against the local Bybit server of [`super::bybit_server`], which replays the
//! real spot `orderbook.200` capture of 2026-08-09: the feed ends with `ladder inspect`'s books of
//! the same file with 0 gaps and its pings answered; a dropped delta, a refused subscription, a
//! dropped connection and the venue's `u == 1` cases (§12) are detected and handled per
//! instrument.

use super::bybit_server::{BybitApp, BybitOpts, INSTRUMENTS, VECTOR};
use super::*;
use ladder_engine::feed::bybit::LiveOptions;

/// Bybit spot's feed against the Bybit server.
type Run = VenueRun<BybitApp>;

/// The server replaying the capture with `opts`, and a feed of both its instruments (depth 200,
/// a ping every 100 ms); `None` (skipped) without the shared capture.
fn start(opts: BybitOpts) -> Option<(Run, PathBuf)> {
    let path = shared(VECTOR)?;
    let symbols: Vec<String> = INSTRUMENTS
        .iter()
        .map(|(s, _, _)| (*s).to_owned())
        .collect();
    let options = VenueOptions::Bybit(LiveOptions {
        depth: 200,
        ping_every: Duration::from_millis(100),
    });
    let run = venue_run(
        BybitApp::new(&path, opts),
        Venue::BybitSpot,
        "/v5/public/spot",
        symbols,
        &options,
        |_| {},
    );
    Some((run, path))
}

impl Run {
    /// Waits until the replay is done and both books are synced at the server's last `u`.
    fn wait_synced_at_the_end(&self) {
        let st = &self.feed.status;
        self.wait_for(|| {
            self.app.finished.load(Ordering::Acquire)
                && st.instruments().iter().all(|i| {
                    i.state == BookState::Synced
                        && i.last_update_id
                            == self.app.final_u(&format!("orderbook.200.{}", i.symbol))
                })
        });
    }

    /// Every level of both books equals the server's, and the top 10 equal `ladder inspect`'s
    /// of the same capture.
    fn assert_books_are_inspects(&self, path: &Path) {
        let report = inspect_capture(path, Venue::BybitSpot, 10);
        let books = self.app.books.lock().unwrap();
        for (symbol, _, _) in INSTRUMENTS {
            let server = &books[&format!("orderbook.200.{symbol}")];
            self.assert_book_is_servers_and_inspects(
                symbol,
                [&server.bids, &server.asks],
                &report.instruments[&format!("bybit-spot:{symbol}")],
            );
        }
        assert_eq!(
            self.best_prices("BTCUSDT"),
            (dec("65140.4"), dec("65140.5"))
        );
        assert_eq!(
            self.best_prices("ETHUSDT"),
            (dec("1923.28"), dec("1923.29"))
        );
    }
}

#[test]
fn bybit_spot_replay_syncs_both_books_to_inspects_with_no_gap_and_pings_answered() {
    let Some((run, path)) = start(BybitOpts::default()) else {
        return;
    };
    run.wait_synced_at_the_end();
    // Keep-alive: the feed pings every 100 ms; wait for a few.
    assert!(wait_until(Duration::from_secs(3), || run.app.count_pings() >= 3));
    let c = run.feed.status.counters();
    run.assert_books_are_inspects(&path);
    assert!(run.feed.shutdown());
    assert_eq!(
        (
            c.gaps,
            c.decode_errors,
            c.reconnects,
            c.snapshots,
            c.resyncs
        ),
        (0, 0, 0, 2, 0),
        "{c:?}"
    );
    assert_eq!(c.trades, 20, "the capture's 20 trades");
    let subs: Vec<(String, Vec<String>)> = run
        .app
        .requests()
        .into_iter()
        .filter(|(op, _)| op != "ping")
        .collect();
    assert_eq!(
        subs,
        [(
            "subscribe".to_owned(),
            [
                "orderbook.200.BTCUSDT",
                "publicTrade.BTCUSDT",
                "orderbook.200.ETHUSDT",
                "publicTrade.ETHUSDT"
            ]
            .map(String::from)
            .to_vec()
        )],
        "one request on open, no resubscription"
    );
    for (symbol, _, _) in INSTRUMENTS {
        use BookState::{Connecting, Synced, Syncing};
        assert_eq!(
            run.out.states(id_of(&run.registry, run.venue, symbol)),
            [(Connecting, None), (Syncing, None), (Synced, None)],
            "{symbol}"
        );
    }
}

#[test]
fn bybit_dropped_delta_resubscribes_that_one_book_and_resyncs_to_inspects_book() {
    let Some((run, path)) = start(BybitOpts {
        drop_delta: Some(("orderbook.200.BTCUSDT", 100)),
        ..BybitOpts::default()
    }) else {
        return;
    };
    run.wait_synced_at_the_end();
    let c = run.feed.status.counters();
    run.assert_books_are_inspects(&path);
    assert!(run.feed.shutdown());
    assert_eq!(
        (c.gaps, c.resyncs, c.reconnects, c.snapshots),
        (1, 1, 0, 3),
        "{c:?}"
    );
    assert_eq!(
        (
            run.app.count("unsubscribe", "orderbook.200.BTCUSDT"),
            run.app.count("subscribe", "orderbook.200.BTCUSDT")
        ),
        (1, 2),
        "BTCUSDT's book topic resubscribed once"
    );
    assert_eq!(run.app.count("unsubscribe", "publicTrade.BTCUSDT"), 0);
    assert_eq!(
        (
            run.app.count("unsubscribe", "orderbook.200.ETHUSDT"),
            run.app.count("subscribe", "orderbook.200.ETHUSDT")
        ),
        (0, 1),
        "ETHUSDT untouched"
    );
    use BookState::{Connecting, Resyncing, Stale, Synced, Syncing};
    assert_eq!(
        run.out.states(id_of(&run.registry, run.venue, "BTCUSDT")),
        [
            (Connecting, None),
            (Syncing, None),
            (Synced, None),
            (Stale, Some(StaleReason::SequenceGap)),
            (Resyncing, None),
            (Synced, None)
        ]
    );
    assert_eq!(
        run.out.states(id_of(&run.registry, run.venue, "ETHUSDT")),
        [(Connecting, None), (Syncing, None), (Synced, None)]
    );
}

#[test]
fn bybit_refused_subscription_is_one_clear_error_then_the_reconnect_syncs() {
    let Some((run, path)) = start(BybitOpts {
        refuse_first: true,
        ..BybitOpts::default()
    }) else {
        return;
    };
    run.wait_synced_at_the_end();
    let c = run.feed.status.counters();
    let error = last_error(&run.feed.status);
    run.assert_books_are_inspects(&path);
    assert!(run.feed.shutdown());
    assert!(
        error.contains("rejected the subscription")
            && error.contains(
                "subscribe orderbook.200.BTCUSDT, publicTrade.BTCUSDT, orderbook.200.ETHUSDT, \
                 publicTrade.ETHUSDT: Invalid symbol :[orderbook.200.BTCUSDT]"
            ),
        "{error}"
    );
    assert_eq!((c.reconnects, c.gaps, c.decode_errors), (1, 0, 0), "{c:?}");
    assert_eq!(run.app.conns.load(Ordering::Acquire), 2);
}

#[test]
fn bybit_u1_cases_empty_book_is_syncing_and_a_grid_change_stays_stale_without_resubscribing() {
    // After the replay: ETHUSDT delisted (`u == 1`, no levels), BTCUSDT restarted on a finer
    // tick (a price off its 0.1 grid), then a BTCUSDT delta on the new grid.
    let tail = vec![
        r#"{"topic":"orderbook.200.ETHUSDT","ts":2,"type":"snapshot","data":{"s":"ETHUSDT","b":[],"a":[],"u":1,"seq":9},"cts":2}"#.to_owned(),
        r#"{"topic":"orderbook.200.BTCUSDT","ts":2,"type":"snapshot","data":{"s":"BTCUSDT","b":[["65140.45","1"]],"a":[["65140.55","1"]],"u":1,"seq":9},"cts":2}"#.to_owned(),
        r#"{"topic":"orderbook.200.BTCUSDT","ts":3,"type":"delta","data":{"s":"BTCUSDT","b":[["65140.55","2"]],"a":[],"u":2,"seq":10},"cts":3}"#.to_owned(),
    ];
    let Some((run, _)) = start(BybitOpts {
        tail,
        ..BybitOpts::default()
    }) else {
        return;
    };
    let st = Arc::clone(&run.feed.status);
    let (btc, eth) = (run.id("BTCUSDT"), run.id("ETHUSDT"));
    let settled = wait_until(Duration::from_secs(15), || {
        run.app.finished.load(Ordering::Acquire)
            && st.book_state(btc) == Some(BookState::Stale)
            && st.book_state(eth) == Some(BookState::Syncing)
    });
    assert!(settled, "{:?} {:?}", st.instruments(), st.last_error());
    // A resubscription would come at once; give it time to show if it were asked for.
    std::thread::sleep(Duration::from_millis(500));
    let error = last_error(&st);
    let decode_errors = st.counters().decode_errors;
    let eth_levels = (
        run.levels("ETHUSDT", Side::Buy).len(),
        run.levels("ETHUSDT", Side::Sell).len(),
    );
    assert!(run.feed.shutdown());
    assert!(
        error.contains("instrument grid changed on BTCUSDT")
            && error.contains("65140.45")
            && error.contains("stays stale until ladder is restarted with the new spec"),
        "{error}"
    );
    assert_eq!(eth_levels, (0, 0), "ETHUSDT's book is cleared");
    assert_eq!(
        decode_errors, 0,
        "the delta on the new grid is dropped, not an error"
    );
    assert_eq!(
        run.app.count("unsubscribe", "orderbook.200.BTCUSDT")
            + run.app.count("unsubscribe", "orderbook.200.ETHUSDT"),
        0,
        "neither is resubscribed: the venue would send the same book"
    );
    use BookState::{Stale, Synced, Syncing};
    let btc_states = run.out.states(btc);
    assert_eq!(
        btc_states[btc_states.len() - 2..],
        [(Synced, None), (Stale, Some(StaleReason::ChecksumMismatch))]
    );
    let eth_states = run.out.states(eth);
    assert_eq!(
        eth_states[eth_states.len() - 2..],
        [(Synced, None), (Syncing, None)],
        "announced once: {eth_states:?}"
    );
}

#[test]
fn bybit_dropped_connection_reconnects_resubscribes_everything_and_resyncs() {
    let Some((run, path)) = start(BybitOpts {
        drop_first_after: Some(200),
        ..BybitOpts::default()
    }) else {
        return;
    };
    run.wait_synced_at_the_end();
    let c = run.feed.status.counters();
    run.assert_books_are_inspects(&path);
    let btc = run.id("BTCUSDT");
    assert!(run.feed.shutdown());
    assert_eq!((c.reconnects, c.gaps, c.decode_errors), (1, 0, 0), "{c:?}");
    let subscribes: Vec<Vec<String>> = run
        .app
        .requests()
        .into_iter()
        .filter(|(op, _)| op == "subscribe")
        .map(|(_, args)| args)
        .collect();
    assert_eq!(
        subscribes.len(),
        2,
        "the whole subscription again on the new connection"
    );
    assert_eq!(subscribes[0], subscribes[1]);
    use BookState::{Connecting, Resyncing, Stale, Synced, Syncing};
    assert_eq!(
        run.out.states(btc),
        [
            (Connecting, None),
            (Syncing, None),
            (Synced, None),
            (Stale, Some(StaleReason::Disconnected)),
            (Connecting, None),
            (Resyncing, None),
            (Synced, None)
        ]
    );
}
