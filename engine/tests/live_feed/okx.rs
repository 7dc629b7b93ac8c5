//! OKX v5 live against the local OKX server of `okx_server.rs` on 127.0.0.1: the real 2022
//! `books` recording (`../shared/vectors/okx/cryptofeed_OKX.ws.1.0`) and the 2026 `books5`
//! frames replayed frame by frame end with `ladder inspect`'s books; on the synthetic market a
//! `prevSeqId` break and a wrong checksum resubscribe that one instrument, a snapshot that
//! always faults is resubscribed spaced and within the connection's request cap, the REST join
//! syncs when no snapshot comes, an error event is one clear error and a reconnect; and the
//! instruments endpoint. Every test is bounded and stops its feed and server.

use super::okx_server::{INSTS, OkxApp, Script};
use super::*;
use ladder_engine::capture::grid::build_registry;
use ladder_engine::feed::VenueOptions;
use ladder_engine::feed::live::InstrumentStatus;
use ladder_engine::feed::okx::LiveOptions;
use std::collections::HashMap;

// ---------------------------------------------------------------- running a feed

/// OKX's feed against the OKX server.
type Run = VenueRun<OkxApp>;

fn okx_feed(app: Arc<OkxApp>, symbols: &[&str], options: LiveOptions) -> Run {
    let symbols: Vec<String> = symbols.iter().map(|s| (*s).to_owned()).collect();
    venue_run(
        app,
        Venue::Okx,
        "/ws/v5/public",
        symbols,
        &VenueOptions::Okx(options),
        |_| {},
    )
}

impl Run {
    /// Waits until the generator is done and every book is synced at the server's last
    /// `seqId`, then checks each whole book against the server's.
    fn finish_in_sync(&self) {
        let st = Arc::clone(&self.feed.status);
        self.wait_for(|| {
            self.app.finished.load(Ordering::Acquire)
                && st.instruments().iter().enumerate().all(|(k, i)| {
                    i.state == BookState::Synced && i.last_update_id == self.app.last_seq(k)
                })
        });
        for (k, inst) in INSTS.iter().enumerate() {
            for side in [Side::Buy, Side::Sell] {
                assert_eq!(
                    self.top(inst, side, 1000),
                    self.app.book_levels(k, side),
                    "{inst} {side:?}"
                );
            }
        }
    }
}

fn options() -> LiveOptions {
    LiveOptions {
        ping_every: Duration::from_millis(150),
        ..LiveOptions::default()
    }
}

// ---------------------------------------------------------------- the tests

/// The 2022 recording: its frames (received lines of the cryptofeed file), its instruments'
/// grids as `ladder inspect` infers them, and the frames as a ladder capture.
struct Recording {
    frames: Vec<String>,
    /// `(instId, tickSz, lotSz)`.
    specs: Vec<(String, String, String)>,
    path: PathBuf,
    _dir: tempfile::TempDir,
}

fn recording_2022() -> Option<Recording> {
    let src = shared("vectors/okx/cryptofeed_OKX.ws.1.0")?;
    let text = std::fs::read_to_string(src).unwrap();
    let (mut frames, mut capture) = (Vec::new(), String::new());
    for (n, line) in text.lines().enumerate() {
        let Some((ts, frame)) = line.split_once(": ") else {
            continue;
        };
        if ts.contains(' ') {
            continue; // a line the client sent
        }
        frames.push(frame.to_owned());
        capture.push_str(&format!(
            "{} {frame}\n",
            1_652_459_225_000_000_000u64 + n as u64
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("okx-2022.txt");
    std::fs::write(&path, capture).unwrap();
    let inputs = [CaptureInput {
        path: path.clone(),
        venue: Venue::Okx,
    }];
    let (registry, _) = build_registry(&inputs, &[], None).unwrap();
    let specs = registry
        .iter()
        .map(|i| {
            (
                i.symbol.clone(),
                i.spec.tick_size().normalize().to_string(),
                i.spec.lot_size().normalize().to_string(),
            )
        })
        .collect();
    Some(Recording {
        frames,
        specs,
        path,
        _dir: dir,
    })
}

#[test]
fn okx_replay_of_2022_books_ends_with_inspects_books_and_pings_are_answered() {
    let Some(Recording {
        frames,
        specs,
        path,
        _dir,
    }) = recording_2022()
    else {
        return;
    };
    let symbols: Vec<&str> = specs.iter().map(|(s, _, _)| s.as_str()).collect();
    assert_eq!(symbols.len(), 3, "{symbols:?}");
    let run = okx_feed(
        OkxApp::replaying(frames, specs.clone()),
        &symbols,
        options(),
    );
    let report = inspect_capture(&path, Venue::Okx, 25);
    let st = Arc::clone(&run.feed.status);
    let done = wait_until(Duration::from_secs(10), || {
        let applied: u64 = st.instruments().iter().map(|i| i.applied).sum();
        applied == report.applied && st.all_synced()
    });
    let c = st.counters();
    assert!(done, "{c:?} {:?} {:?}", st.instruments(), st.last_error());
    assert!(
        wait_until(Duration::from_secs(3), || run
            .app
            .received
            .lock()
            .unwrap()
            .iter()
            .any(|t| t == "ping")),
        "the text ping is sent"
    );
    std::thread::sleep(Duration::from_millis(400));
    let c = st.counters();
    assert_eq!(
        (c.gaps, c.decode_errors, c.reconnects, c.snapshots),
        (0, 0, 0, 3),
        "{c:?}"
    );
    assert_eq!(report.gaps, 0);
    assert_eq!(c.trades, report.trades, "every trade of the recording");
    let subscribe = run.app.received.lock().unwrap()[0].clone();
    for s in &symbols {
        assert!(
            subscribe.contains(&format!(r#"{{"channel":"books","instId":"{s}"}}"#)),
            "{subscribe}"
        );
        assert!(
            subscribe.contains(&format!(r#"{{"channel":"trades","instId":"{s}"}}"#)),
            "{subscribe}"
        );
    }
    assert!(
        run.app.book_queries.lock().unwrap().is_empty(),
        "the stream brought every snapshot"
    );
    for s in &symbols {
        let expected = &report.instruments[&format!("okx:{s}")];
        assert!(!expected.bids.is_empty());
        assert_eq!(
            run.top(s, Side::Buy, 25),
            report_levels(&expected.bids),
            "{s} bids"
        );
        assert_eq!(
            run.top(s, Side::Sell, 25),
            report_levels(&expected.asks),
            "{s} asks"
        );
        assert_eq!(
            run.states(s),
            [
                (BookState::Connecting, None),
                (BookState::Syncing, None),
                (BookState::Synced, None)
            ],
            "{s}"
        );
    }
    run.stop();
}

#[test]
fn okx_books5_replay_of_2026_frames_ends_with_inspects_book_and_its_trades() {
    let Some(src) = shared("vectors/okx/capture_ccxt_books5_trades_20260812.txt") else {
        return;
    };
    let inputs = [CaptureInput {
        path: src.clone(),
        venue: Venue::Okx,
    }];
    let (registry, _) = build_registry(&inputs, &[], None).unwrap();
    let specs: Vec<(String, String, String)> = registry
        .iter()
        .map(|i| {
            (
                i.symbol.clone(),
                i.spec.tick_size().normalize().to_string(),
                i.spec.lot_size().normalize().to_string(),
            )
        })
        .collect();
    let frames: Vec<String> = std::fs::read_to_string(&src)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(_, f)| f.to_owned()))
        .collect();
    let symbols: Vec<&str> = specs.iter().map(|(s, _, _)| s.as_str()).collect();
    let options = LiveOptions {
        book_channel: ladder_engine::feed::okx::BookChannel::Books5,
        ..options()
    };
    let run = okx_feed(OkxApp::replaying(frames, specs.clone()), &symbols, options);
    let report = inspect(
        &inputs,
        &InspectOptions {
            depth: 5,
            grid: None,
        },
    )
    .unwrap();
    let st = Arc::clone(&run.feed.status);
    let swap = run.id("BTC-USDT-SWAP");
    let done = wait_until(Duration::from_secs(5), || {
        st.counters().trades == report.trades
            && st.instrument(swap).is_some_and(|i| i.snapshots == 2)
    });
    let c = st.counters();
    assert!(done, "{c:?} {:?} {:?}", st.instruments(), st.last_error());
    assert_eq!((c.gaps, c.decode_errors), (0, 0), "{c:?}");
    assert!(
        run.app.received.lock().unwrap()[0]
            .contains(r#"{"channel":"books5","instId":"BTC-USDT-SWAP"}"#)
    );
    let expected = &report.instruments["okx:BTC-USDT-SWAP"];
    assert_eq!(expected.bids.len(), 5);
    assert_eq!(
        run.top("BTC-USDT-SWAP", Side::Buy, 5),
        report_levels(&expected.bids)
    );
    assert_eq!(
        run.top("BTC-USDT-SWAP", Side::Sell, 5),
        report_levels(&expected.asks)
    );
    assert_eq!(st.book_state(swap), Some(BookState::Synced));
    run.stop();
}

#[test]
fn okx_prev_seq_id_break_and_wrong_checksum_resubscribe_that_one_instrument_and_resync() {
    let app = OkxApp::synthetic(Script {
        rounds: 300,
        skip: Some((60, 0)),
        bad_checksum: Some((160, 0)),
        ..Script::default()
    });
    let run = okx_feed(app, &INSTS, options());
    run.finish_in_sync();
    let st = &run.feed.status;
    let by: HashMap<String, InstrumentStatus> = st
        .instruments()
        .into_iter()
        .map(|i| (i.symbol.clone(), i))
        .collect();
    assert_eq!(by["BTC-USDT"].gaps, 2, "{:?}", by["BTC-USDT"]);
    assert_eq!(by["ETH-USDT"].gaps, 0, "{:?}", by["ETH-USDT"]);
    assert_eq!(
        run.app.unsubscribes("BTC-USDT"),
        2,
        "{:?}",
        run.app.received.lock().unwrap()
    );
    assert_eq!(run.app.unsubscribes("ETH-USDT"), 0);
    let resubscribe = run
        .app
        .received
        .lock()
        .unwrap()
        .iter()
        .find(|t| t.contains("unsubscribe"))
        .cloned()
        .unwrap();
    assert_eq!(
        resubscribe, r#"{"op":"unsubscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}"#,
        "the book channel of that one instrument"
    );
    let c = st.counters();
    assert_eq!((c.gaps, c.reconnects, c.decode_errors), (2, 0, 0), "{c:?}");
    assert!(c.trades > 0, "{c:?}");
    assert!(
        run.app.book_queries.lock().unwrap().is_empty(),
        "snapshots came in the stream"
    );
    let btc = run.id("BTC-USDT");
    let states = run.out.states(btc);
    let stale: Vec<_> = states.iter().filter(|s| s.0 == BookState::Stale).collect();
    assert_eq!(
        stale,
        [
            &(BookState::Stale, Some(StaleReason::SequenceGap)),
            &(BookState::Stale, Some(StaleReason::ChecksumMismatch))
        ],
        "{states:?}"
    );
    let eth = run.id("ETH-USDT");
    assert!(!run.out.states(eth).iter().any(|s| s.0 == BookState::Stale));
    assert!(
        st.last_error().is_some_and(|e| e.text.contains("BTC-USDT")),
        "{:?}",
        st.last_error()
    );
    run.stop();
}

#[test]
fn okx_snapshot_that_always_faults_is_resubscribed_with_growing_spacing_not_in_a_storm() {
    let app = OkxApp::synthetic(Script {
        rounds: 900,
        bad_snapshots: Some(0),
        ..Script::default()
    });
    let run = okx_feed(app, &INSTS, options());
    let st = Arc::clone(&run.feed.status);
    let eth = run.id("ETH-USDT");
    assert!(wait_until(Duration::from_secs(5), || st.book_state(eth)
        == Some(BookState::Synced)));
    std::thread::sleep(Duration::from_secs(3));
    // Spacing 0, 250 ms, 500 ms, 1 s, 2 s: four or five in about three seconds (a storm would
    // resubscribe once per round trip, hundreds of times).
    let n = run.app.unsubscribes("BTC-USDT");
    assert!((3..=5).contains(&n), "{n} resubscriptions");
    assert_eq!(run.app.unsubscribes("ETH-USDT"), 0);
    let btc = run.id("BTC-USDT");
    assert_ne!(
        st.book_state(btc),
        Some(BookState::Synced),
        "never synced on a bad snapshot"
    );
    assert_eq!(st.book_state(eth), Some(BookState::Synced));
    let c = st.counters();
    assert!(c.stale_snapshots >= n as u64, "{c:?}");
    run.stop();
}

#[test]
fn okx_resubscriptions_stay_within_the_connections_requests_per_hour() {
    let app = OkxApp::synthetic(Script {
        rounds: 900,
        bad_snapshots: Some(0),
        ..Script::default()
    });
    // The opening subscription and two resubscriptions (two requests each) fit in 5.
    let run = okx_feed(
        app,
        &INSTS,
        LiveOptions {
            requests_per_hour: 5,
            ..options()
        },
    );
    let eth = run.id("ETH-USDT");
    let st = Arc::clone(&run.feed.status);
    assert!(wait_until(Duration::from_secs(5), || st.book_state(eth)
        == Some(BookState::Synced)));
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        run.app.unsubscribes("BTC-USDT"),
        2,
        "then the hour is used up"
    );
    let btc = run.id("BTC-USDT");
    assert_ne!(
        st.book_state(btc),
        Some(BookState::Synced),
        "never synced: it waits, not usable"
    );
    assert_eq!(st.book_state(eth), Some(BookState::Synced));
    run.stop();
}

#[test]
fn okx_rest_join_syncs_when_no_snapshot_comes_and_after_a_gap() {
    let app = OkxApp::synthetic(Script {
        rounds: 1200,
        no_snapshot: true,
        skip: Some((700, 1)),
        ..Script::default()
    });
    let run = okx_feed(app, &INSTS, options());
    run.finish_in_sync();
    let queries = run.app.book_queries.lock().unwrap().clone();
    let count = |inst: &str| {
        queries
            .iter()
            .filter(|q| q.contains(&format!("instId={inst}&")))
            .count()
    };
    assert_eq!(count("BTC-USDT"), 1, "{queries:?}");
    assert_eq!(
        count("ETH-USDT"),
        2,
        "the first join and the resync: {queries:?}"
    );
    assert!(
        queries.iter().all(|q| q.ends_with("&sz=400")),
        "{queries:?}"
    );
    assert_eq!(
        run.app.unsubscribes("ETH-USDT"),
        0,
        "a book joined by REST is resynced by REST: the subscription stays"
    );
    assert_eq!(run.app.unsubscribes("BTC-USDT"), 0);
    let st = &run.feed.status;
    let c = st.counters();
    assert_eq!(
        (c.gaps, c.reconnects, c.stale_snapshots),
        (1, 0, 0),
        "{c:?}"
    );
    run.stop();
}

#[test]
fn okx_join_rest_option_fetches_at_once_and_resyncs_by_fetching() {
    let app = OkxApp::synthetic(Script {
        rounds: 400,
        skip: Some((200, 0)),
        ..Script::default()
    });
    let run = okx_feed(
        app,
        &INSTS,
        LiveOptions {
            join: ladder_engine::feed::okx::Join::Rest,
            ..options()
        },
    );
    run.finish_in_sync();
    assert_eq!(run.app.unsubscribes("BTC-USDT"), 0, "no resubscription");
    let c = run.feed.status.counters();
    assert_eq!(c.gaps, 1, "{c:?}");
    run.stop();
}

#[test]
fn okx_error_event_is_one_clear_error_and_the_feed_reconnects_and_syncs() {
    let app = OkxApp::synthetic(Script {
        rounds: 400,
        error_first: true,
        ..Script::default()
    });
    let run = okx_feed(app, &INSTS, options());
    run.finish_in_sync();
    let st = &run.feed.status;
    let c = st.counters();
    assert!(c.reconnects >= 1, "{c:?}");
    assert_eq!(
        c.decode_errors, 0,
        "an error event is not a decode error: {c:?}"
    );
    assert!(run.app.conns.load(Ordering::Acquire) >= 2);
    run.stop();
}

#[test]
fn okx_error_event_text_names_the_endpoint_code_and_message() {
    let app = OkxApp::synthetic(Script {
        rounds: 0,
        error_first: true,
        ..Script::default()
    });
    let run = okx_feed(app, &INSTS[..1], options());
    let st = Arc::clone(&run.feed.status);
    let url = run.server.ws("/ws/v5/public");
    assert!(wait_until(Duration::from_secs(5), || last_error(&st)
        .contains("rejected")));
    assert_eq!(
        last_error(&st),
        format!(
            "{url} rejected the subscription: code 60012: \"Invalid request: {{\\\"op\\\": \\\"subscribe\\\"}}\""
        )
    );
    run.stop();
}

#[test]
fn okx_instruments_come_from_the_endpoint_and_an_unlisted_id_is_unknown() {
    let app = OkxApp::synthetic(Script::default());
    let server = Server::start(app);
    let endpoints = Endpoints {
        ws_book: server.ws("/ws/v5/public"),
        ws_trades: server.ws("/ws/v5/public"),
        rest: server.http(),
    };
    let got = fetch_instruments_blocking(Venue::Okx, &endpoints, &["btc-usdt".into()]).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, "BTC-USDT");
    assert_eq!(got[0].1.tick_size(), dec("0.1"));
    assert_eq!(got[0].1.lot_size(), dec("0.001"));
    let e =
        fetch_instruments_blocking(Venue::Okx, &endpoints, &["NOPE-USDT-SWAP".into()]).unwrap_err();
    assert!(matches!(e, FeedError::UnknownSymbol { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "unknown symbol NOPE-USDT-SWAP on okx: {}/api/v5/public/instruments?instType=SWAP&instId=NOPE-USDT-SWAP does not list it",
            server.http()
        )
    );
    let e = fetch_instruments_blocking(Venue::Okx, &endpoints, &["BTCUSDT".into()]).unwrap_err();
    assert!(
        e.to_string().starts_with("unknown symbol BTCUSDT on okx: "),
        "{e}"
    );
    assert!(e.is_permanent());
}

#[test]
fn okx_books_snapshot_refused_in_a_200_body_is_an_error_naming_url_and_code() {
    use ladder_engine::feed::VenueLive;
    use ladder_engine::feed::live::{LiveRest, LiveVenue};
    let server = Server::start(OkxApp::synthetic(Script::default()));
    let endpoints = Endpoints {
        ws_book: server.ws("/ws/v5/public"),
        ws_trades: server.ws("/ws/v5/public"),
        rest: server.http(),
    };
    let live = VenueLive::new(Venue::Okx, &VenueOptions::defaults(Venue::Okx)).unwrap();
    let mut rest = live.rest(&endpoints).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body = runtime.block_on(rest.snapshot("BTC-USDT")).unwrap();
    assert!(body.body.starts_with(br#"{"code":"0""#));
    let e = runtime.block_on(rest.snapshot("DOGE-USDT")).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}/api/v5/market/books?instId=DOGE-USDT&sz=400 answered http 200, code 51001: \
             \"Instrument ID does not exist\"",
            server.http()
        )
    );
}

#[test]
fn okx_connections_of_one_feed_open_spaced_under_three_per_second() {
    // 15 instruments with trades: 30 channels, over the 28 of one connection.
    let specs: Vec<(String, String, String)> = (0..15)
        .map(|k| (format!("C{k}-USDT"), "0.1".to_owned(), "0.001".to_owned()))
        .collect();
    let symbols: Vec<&str> = specs.iter().map(|(s, _, _)| s.as_str()).collect();
    let run = okx_feed(
        OkxApp::replaying(Vec::new(), specs.clone()),
        &symbols,
        options(),
    );
    assert!(wait_until(Duration::from_secs(5), || {
        run.app.conn_times.lock().unwrap().len() == 2
    }));
    let times = run.app.conn_times.lock().unwrap().clone();
    let apart = times[1].duration_since(times[0]);
    assert!(
        apart >= Duration::from_millis(300),
        "second connection {apart:?} after the first"
    );
    assert_eq!(run.feed.status.connections().len(), 2);
    run.stop();
}
