//! Coinbase Advanced Trade live against the local server of [`super::coinbase_server`], which
//! replays the real recording of 2026-08-09 (BTC-USD, ETH-USD): the feed ends with `ladder
//! inspect`'s books of the same file with 0 gaps; one skipped `sequence_num` is a gap of both
//! books, which resubscribe `level2` and resync (ten products: spaced within 8 messages a
//! second); a new connection counts from 0 again with no gap; a snapshot of 46,000 levels in
//! one 5+ MB frame, and one over 8 MiB, is taken with its far levels exact; heartbeats keep the
//! watchdog quiet; API credentials put a JWT in every subscription.

use super::coinbase_server::{CoinbaseApp, CoinbaseOpts, PRODUCTS, VECTOR, synthetic_book};
use super::*;
use ladder_engine::feed::VenueOptions;
use ladder_engine::feed::coinbase::LiveOptions;
use ladder_engine::feed::coinbase::auth::Credentials;

/// Coinbase's feed against the Coinbase server.
type Run = VenueRun<CoinbaseApp>;

fn start(
    path: Option<&Path>,
    opts: CoinbaseOpts,
    options: LiveOptions,
    tune: impl FnOnce(&mut LiveFeedConfig),
) -> Run {
    let symbols: Vec<String> = PRODUCTS.iter().map(|(s, _, _)| (*s).to_owned()).collect();
    start_with(path, opts, options, symbols, tune)
}

fn start_with(
    path: Option<&Path>,
    opts: CoinbaseOpts,
    options: LiveOptions,
    symbols: Vec<String>,
    tune: impl FnOnce(&mut LiveFeedConfig),
) -> Run {
    venue_run(
        CoinbaseApp::new(path, opts),
        Venue::Coinbase,
        "/",
        symbols,
        &VenueOptions::Coinbase(options),
        tune,
    )
}

fn replay(opts: CoinbaseOpts) -> Option<(Run, PathBuf)> {
    let path = shared(VECTOR)?;
    let run = start(Some(&path), opts, LiveOptions::default(), |_| {});
    Some((run, path))
}

impl Run {
    /// Waits until the replay is done and both books are synced and equal to the server's.
    fn wait_synced_at_the_end(&self) {
        let st = &self.feed.status;
        self.wait_for(|| {
            self.app.finished.load(Ordering::Acquire)
                && st.all_synced()
                && PRODUCTS.iter().all(|(p, _, _)| {
                    let books = self.app.books.lock().unwrap();
                    let (bids, asks) = &books[*p];
                    self.levels(p, Side::Buy).first() == bids.first()
                        && self.levels(p, Side::Sell).first() == asks.first()
                })
        });
    }

    /// Every level of both books equals the server's, the top 10 equal `ladder inspect`'s of
    /// the same recording, and the tops are the recording's last.
    fn assert_books_are_inspects(&self, path: &Path) {
        let report = inspect_capture(path, Venue::Coinbase, 10);
        let books = self.app.books.lock().unwrap();
        for (p, _, _) in PRODUCTS {
            let (bids, asks) = &books[p];
            self.assert_book_is_servers_and_inspects(
                p,
                [bids, asks],
                &report.instruments[&format!("coinbase:{p}")],
            );
        }
        assert_eq!(
            self.best_prices("BTC-USD"),
            (dec("65083.66"), dec("65083.67"))
        );
        assert_eq!(
            self.best_prices("ETH-USD"),
            (dec("1919.28"), dec("1919.38"))
        );
    }
}

#[test]
fn coinbase_replay_syncs_both_books_to_inspects_with_no_gap_one_subscribe_per_channel() {
    let Some((run, path)) = replay(CoinbaseOpts::default()) else {
        return;
    };
    run.wait_synced_at_the_end();
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
    assert!(c.trades > 0, "{c:?}");
    assert!(
        run.app.largest_frame.load(Ordering::Acquire) > 5_000_000,
        "the recorded BTC-USD snapshot is one 5 MB frame"
    );
    let both = vec!["BTC-USD".to_owned(), "ETH-USD".to_owned()];
    assert_eq!(
        run.app.requests(),
        ["level2", "market_trades", "heartbeats"]
            .map(|c| ("subscribe".to_owned(), c.to_owned(), both.clone()))
            .to_vec(),
        "one subscribe per channel on open, no resubscription"
    );
    for (p, _, _) in PRODUCTS {
        use BookState::{Connecting, Synced, Syncing};
        assert_eq!(
            run.out.states(id_of(&run.registry, run.venue, p)),
            [(Connecting, None), (Syncing, None), (Synced, None)],
            "{p}"
        );
    }
}

#[test]
fn coinbase_skipped_sequence_num_is_a_gap_of_both_books_which_resubscribe_level2_and_resync() {
    // 500: well after both snapshots (13 and ~40), mid-stream.
    let Some((run, path)) = replay(CoinbaseOpts {
        skip_seq: Some(500),
        ..CoinbaseOpts::default()
    }) else {
        return;
    };
    run.wait_synced_at_the_end();
    let c = run.feed.status.counters();
    run.assert_books_are_inspects(&path);
    assert!(run.feed.shutdown());
    assert_eq!(
        (c.gaps, c.resyncs, c.reconnects, c.snapshots),
        (2, 2, 0, 4),
        "one gap per book, each resynced once on the same connection: {c:?}"
    );
    for (p, _, _) in PRODUCTS {
        assert_eq!(
            (
                run.app.count("unsubscribe", "level2", p),
                run.app.count("subscribe", "level2", p)
            ),
            (1, 2),
            "{p}: level2 resubscribed once"
        );
        assert_eq!(run.app.count("unsubscribe", "market_trades", p), 0, "{p}");
        use BookState::{Connecting, Resyncing, Stale, Synced, Syncing};
        assert_eq!(
            run.out.states(id_of(&run.registry, run.venue, p)),
            [
                (Connecting, None),
                (Syncing, None),
                (Synced, None),
                (Stale, Some(StaleReason::SequenceGap)),
                (Resyncing, None),
                (Synced, None)
            ],
            "{p}"
        );
    }
}

#[test]
fn coinbase_reconnect_counts_sequence_num_from_0_again_with_no_gap_and_resyncs_both_books() {
    let Some((run, path)) = replay(CoinbaseOpts {
        drop_first_after: Some(300),
        ..CoinbaseOpts::default()
    }) else {
        return;
    };
    run.wait_synced_at_the_end();
    let c = run.feed.status.counters();
    run.assert_books_are_inspects(&path);
    assert!(run.feed.shutdown());
    assert_eq!(run.app.conns.load(Ordering::Acquire), 2);
    assert_eq!(
        (c.gaps, c.reconnects, c.snapshots, c.decode_errors),
        (0, 1, 4, 0),
        "the new connection's 0, 1, 2, ... is no break of the old count: {c:?}"
    );
    for (p, _, _) in PRODUCTS {
        let states = run.out.states(id_of(&run.registry, run.venue, p));
        assert!(
            states.contains(&(BookState::Stale, Some(StaleReason::Disconnected))),
            "{p}: {states:?}"
        );
        assert_eq!(states.last(), Some(&(BookState::Synced, None)), "{p}");
        assert!(
            !states.iter().any(|s| s.1 == Some(StaleReason::SequenceGap)),
            "{p}: {states:?}"
        );
    }
}

/// BTC-USD's real size (46,000 levels, 5 MB), and one over the 8 MiB other venues take.
#[rstest::rstest]
#[case::real_btc_usd_5mb(23_000, 5_000_000)]
#[case::over_8_mib(40_000, 8 << 20)]
fn coinbase_snapshot_in_one_large_frame_is_taken_with_its_far_levels_exact(
    #[case] per_side: usize,
    #[case] at_least: u64,
) {
    let run = start(
        None,
        CoinbaseOpts {
            synthetic_levels: Some(per_side),
            heartbeats_after: true,
            ..CoinbaseOpts::default()
        },
        LiveOptions::default(),
        |_| {},
    );
    let btc = run.id("BTC-USD");
    let synced = wait_until(Duration::from_secs(15), || {
        run.feed.status.book_state(btc) == Some(BookState::Synced)
            && run.levels("BTC-USD", Side::Sell).len() == per_side
    });
    assert!(
        synced,
        "{:?} {:?}",
        run.feed.status.counters(),
        run.feed.status.last_error()
    );
    let frame = run.app.largest_frame.load(Ordering::Acquire);
    assert!(frame > at_least, "one frame of {frame} bytes");
    let want = synthetic_book(per_side);
    let as_dec = |v: &[(i64, i64)]| -> Vec<(Decimal, Decimal)> {
        v.iter()
            .map(|&(p, q)| {
                (
                    Decimal::new(p, 2).normalize(),
                    Decimal::new(q, 8).normalize(),
                )
            })
            .collect()
    };
    let (bids, asks) = (
        run.levels("BTC-USD", Side::Buy),
        run.levels("BTC-USD", Side::Sell),
    );
    assert_eq!(bids.len(), per_side);
    assert_eq!(bids, as_dec(&want.bids), "every bid, the farthest included");
    assert_eq!(asks, as_dec(&want.asks), "every ask, the farthest included");
    let far = 6_508_366 - per_side as i64 + 1;
    assert_eq!(
        bids.last(),
        Some(&(
            Decimal::new(far, 2).normalize(),
            Decimal::new(per_side as i64, 8).normalize()
        )),
        "the farthest bid"
    );
    let c = run.feed.status.counters();
    assert!(run.feed.shutdown());
    assert_eq!((c.oversized, c.decode_errors, c.gaps), (0, 0, 0), "{c:?}");
}

#[test]
fn coinbase_gap_on_ten_products_resubscribes_them_all_within_8_messages_a_second() {
    let symbols: Vec<String> = [
        "BTC", "ETH", "SOL", "ADA", "XRP", "DOGE", "LTC", "DOT", "AVAX", "LINK",
    ]
    .iter()
    .map(|b| format!("{b}-USD"))
    .collect();
    let run = start_with(
        None,
        CoinbaseOpts {
            synthetic_levels: Some(5),
            heartbeats_after: true,
            // After the 3 acks and 10 snapshots: one number left out.
            skip_seq: Some(20),
            ..CoinbaseOpts::default()
        },
        LiveOptions::default(),
        symbols.clone(),
        |_| {},
    );
    let st = &run.feed.status;
    let resynced = wait_until(Duration::from_secs(15), || {
        st.counters().resyncs == 10 && st.all_synced()
    });
    let c = st.counters();
    assert!(resynced, "{c:?} {:?}", st.instruments());
    let at = run.app.received_at();
    assert!(run.feed.shutdown());
    assert_eq!((c.gaps, c.reconnects, c.errors), (10, 0, 10), "{c:?}");
    let requests = run.app.requests();
    assert_eq!(
        requests.len(),
        3 + 2 * 10,
        "the plan's 3, then 2 per product"
    );
    for s in &symbols {
        assert_eq!(run.app.count("subscribe", "level2", s), 2, "{s}");
    }
    for (k, t) in at.iter().enumerate() {
        let in_second = at[k..]
            .iter()
            .take_while(|u| u.duration_since(*t) < Duration::from_millis(950))
            .count();
        assert!(
            in_second <= 8,
            "{in_second} messages within a second from message {k}"
        );
    }
}

#[rstest::rstest]
#[case::heartbeats(true, 0)]
#[case::silence(false, 1)]
fn coinbase_heartbeats_keep_the_watchdog_quiet_on_an_idle_book(
    #[case] heartbeats: bool,
    #[case] at_least_timeouts: u64,
) {
    let run = start(
        None,
        CoinbaseOpts {
            synthetic_levels: Some(10),
            heartbeats_after: heartbeats,
            ..CoinbaseOpts::default()
        },
        LiveOptions::default(),
        |c| c.watchdog = Duration::from_millis(800),
    );
    let btc = run.id("BTC-USD");
    assert!(wait_until(Duration::from_secs(10), || {
        run.feed.status.book_state(btc) == Some(BookState::Synced)
    }));
    // Four watchdog periods with no book data at all.
    std::thread::sleep(Duration::from_millis(3200));
    let c = run.feed.status.counters();
    assert!(run.feed.shutdown());
    if at_least_timeouts == 0 {
        assert_eq!((c.watchdog_timeouts, c.reconnects), (0, 0), "{c:?}");
        assert_eq!(run.app.conns.load(Ordering::Acquire), 1);
    } else {
        assert!(c.watchdog_timeouts >= at_least_timeouts, "{c:?}");
    }
}

#[test]
fn coinbase_credentials_put_a_fresh_es256_jwt_in_every_subscription() {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let doc = ring::signature::EcdsaKeyPair::generate_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &ring::rand::SystemRandom::new(),
    )
    .unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        STANDARD.encode(doc.as_ref())
    );
    let credentials = Credentials::new("organizations/o/apiKeys/k", &pem, "test").unwrap();
    let run = start(
        None,
        CoinbaseOpts {
            synthetic_levels: Some(10),
            heartbeats_after: true,
            ..CoinbaseOpts::default()
        },
        LiveOptions::authenticated(credentials),
        |_| {},
    );
    assert!(wait_until(Duration::from_secs(10), || run
        .feed
        .status
        .all_synced()));
    assert!(run.feed.shutdown());
    let received = run.app.received();
    assert_eq!(received.len(), 3, "{received:?}");
    let mut tokens = Vec::new();
    for text in &received {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        let jwt = v["jwt"].as_str().expect("a jwt in every subscription");
        let header: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(jwt.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            (header["alg"].as_str(), header["kid"].as_str()),
            (Some("ES256"), Some("organizations/o/apiKeys/k"))
        );
        tokens.push(jwt.to_owned());
    }
    tokens.dedup();
    assert_eq!(tokens.len(), 3, "each frame signed anew (its own nonce)");
}
