//! The watchdog and bad input: silence, unreachable endpoints, 429/418, subscribe errors,
//! TLS failures, garbage frames, unknown symbols.

use super::*;

// ---------------------------------------------------------------- watchdog

struct Silent {
    conns: AtomicU64,
}

impl App for Silent {
    fn http(&self, path: &str, _query: &str) -> Reply {
        match path {
            "/fapi/v1/depth" => Reply::ok(r#"{"lastUpdateId":1,"E":1,"T":1,"bids":[],"asks":[]}"#),
            _ => Reply::status(404, "{}"),
        }
    }

    fn ws(self: Arc<Self>, _path: String, _query: String, mut ws: Ws) -> BoxFut {
        Box::pin(async move {
            self.conns.fetch_add(1, Ordering::AcqRel);
            hold(&mut ws, Duration::from_secs(20)).await;
        })
    }
}

#[test]
fn watchdog_declares_a_silent_connection_dead_and_reconnects() {
    let app = Arc::new(Silent {
        conns: AtomicU64::new(0),
    });
    let server = Server::start(Arc::clone(&app));
    let mut registry = Registry::new();
    registry
        .add(
            Venue::BinanceUsdm,
            "BTCUSDT",
            InstrumentSpec::new(dec("0.1"), dec("0.001")).unwrap(),
        )
        .unwrap();
    let mut config = LiveFeedConfig::new(Venue::BinanceUsdm, vec!["BTCUSDT".into()]);
    config.endpoints = Endpoints {
        ws_book: server.ws("/public/stream"),
        ws_trades: server.ws("/market/stream"),
        rest: server.http(),
    };
    config.watchdog = Duration::from_millis(800);
    config.backoff = fast_backoff();
    let out = Collect::new();
    let t0 = Instant::now();
    let feed = spawn_feed(config, Arc::new(registry), out.clone()).unwrap();
    let st = Arc::clone(&feed.status);
    assert!(wait_until(Duration::from_secs(5), || st
        .counters()
        .watchdog_timeouts
        >= 1));
    let first = t0.elapsed();
    assert!(
        first >= Duration::from_millis(750) && first < Duration::from_millis(3000),
        "{first:?}"
    );
    let text = last_error(&st);
    assert!(
        text.contains("no data from ws://127.0.0.1") && text.contains("treated as dead"),
        "{text}"
    );
    assert!(
        wait_until(Duration::from_secs(5), || st.counters().reconnects >= 2),
        "{:?}",
        st.counters()
    );
    assert!(
        app.conns.load(Ordering::Acquire) >= 4,
        "both connections reopened"
    );
    assert!(feed.shutdown());
    let states = out.states();
    assert!(
        position(&states, (BookState::Stale, Some(StaleReason::FeedSilent))).is_some(),
        "{states:?}"
    );
    let stale = position(&states, (BookState::Stale, Some(StaleReason::FeedSilent))).unwrap();
    assert!(
        states[stale + 1..].contains(&(BookState::Connecting, None)),
        "{states:?}"
    );
}

// ---------------------------------------------------------------- bad input

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    port
}

#[test]
fn unreachable_endpoint_is_a_clear_error_and_retried_with_backoff() {
    let port = closed_port();
    let endpoints = Endpoints {
        ws_book: format!("ws://127.0.0.1:{port}/stream"),
        ws_trades: format!("ws://127.0.0.1:{port}/stream"),
        rest: format!("http://127.0.0.1:{port}"),
    };
    let err = fetch_instruments_blocking(Venue::BinanceUsdm, &endpoints, &["BTCUSDT".into()])
        .unwrap_err();
    assert!(matches!(err, FeedError::Unreachable { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(&format!(
            "cannot reach http://127.0.0.1:{port}/fapi/v1/exchangeInfo"
        )),
        "{err}"
    );

    let mut registry = Registry::new();
    registry
        .add(
            Venue::BinanceUsdm,
            "BTCUSDT",
            InstrumentSpec::new(dec("0.1"), dec("0.001")).unwrap(),
        )
        .unwrap();
    let mut config = LiveFeedConfig::new(Venue::BinanceUsdm, vec!["BTCUSDT".into()]);
    config.endpoints = endpoints;
    config.backoff = fast_backoff();
    let feed = spawn_feed(config, Arc::new(registry), Collect::new()).unwrap();
    let st = Arc::clone(&feed.status);
    assert!(
        wait_until(Duration::from_secs(3), || st.counters().errors >= 3),
        "retries: {:?}",
        st.counters()
    );
    let text = last_error(&st);
    assert!(
        text.starts_with(&format!(
            "cannot reach ws://127.0.0.1:{port}/stream?streams="
        )),
        "{text}"
    );
    assert!(st.connections()[0].backoff_ms > 0);
    assert!(!feed.is_finished(), "still retrying");
    assert_eq!(st.instruments()[0].state, BookState::Connecting);
    assert!(feed.shutdown());
}

#[test]
fn rest_429_honours_retry_after_then_syncs() {
    let opts = SynthOpts {
        diffs: 300,
        rest_faults: vec![(
            429,
            r#"{"code":-1003,"msg":"Too many requests; current limit is 2400."}"#,
            Some("1"),
        )],
        ..SynthOpts::default()
    };
    let (run, c) = synth_feed(opts, Collect::new(), |_| {}).finish_in_sync();
    assert_eq!((c.snapshot_failures, c.snapshots), (1, 1), "{c:?}");
    let times = run.synth.depth_times.lock().unwrap().clone();
    assert_eq!(times.len(), 2);
    assert!(
        times[1] - times[0] >= Duration::from_millis(950),
        "waited {:?}",
        times[1] - times[0]
    );
    let text = last_error(&run.feed.status);
    assert!(
        text.contains("http 429")
            && text.contains("-1003")
            && text.contains("/fapi/v1/depth?symbol=BTCUSDT&limit=1000"),
        "{text}"
    );
    assert!(run.feed.shutdown());
}

#[test]
fn malformed_snapshot_body_is_counted_named_by_its_url_and_fetched_again_after_a_second() {
    let opts = SynthOpts {
        diffs: 300,
        rest_faults: vec![(200, r#"{"lastUpdateId":"soon","bids":[]}"#, None)],
        ..SynthOpts::default()
    };
    let (run, c) = synth_feed(opts, Collect::new(), |_| {}).finish_in_sync();
    assert_eq!(
        (c.snapshot_failures, c.snapshots, c.decode_errors),
        (1, 1, 0),
        "{c:?}"
    );
    let times = run.synth.depth_times.lock().unwrap().clone();
    assert_eq!(times.len(), 2);
    assert!(
        times[1] - times[0] >= Duration::from_millis(950),
        "waited {:?}",
        times[1] - times[0]
    );
    let text = last_error(&run.feed.status);
    let url = format!(
        "{}/fapi/v1/depth?symbol=BTCUSDT&limit=1000",
        run.feed_rest()
    );
    assert!(
        text.starts_with(&format!("cannot decode a frame from {url}: ")),
        "{text}"
    );
    assert!(run.feed.shutdown());
}

#[test]
fn rest_418_backs_off_long_then_syncs() {
    let opts = SynthOpts {
        diffs: 350,
        rest_faults: vec![(
            418,
            r#"{"code":-1003,"msg":"Way too many requests; IP banned until 1723161256000."}"#,
            None,
        )],
        ..SynthOpts::default()
    };
    let run = synth_feed(opts, Collect::new(), |c| {
        c.ban_wait = Duration::from_millis(1500)
    });
    let st = Arc::clone(&run.feed.status);
    assert!(wait_until(Duration::from_secs(3), || st
        .counters()
        .snapshot_failures
        == 1));
    let text = last_error(&st);
    assert!(
        text.contains("banned") && text.contains("418") && text.contains("IP banned until"),
        "{text}"
    );
    let (run, c) = run.finish_in_sync();
    assert_eq!((c.snapshot_failures, c.snapshots), (1, 1), "{c:?}");
    let times = run.synth.depth_times.lock().unwrap().clone();
    assert!(
        times[1] - times[0] >= Duration::from_millis(1450),
        "waited {:?}",
        times[1] - times[0]
    );
    assert!(run.feed.shutdown());
}

#[test]
fn subscribe_error_reply_is_reported_and_the_connection_retried() {
    let opts = SynthOpts {
        diffs: 200,
        subscribe_error_first: true,
        ..SynthOpts::default()
    };
    let (run, c) = synth_feed(opts, Collect::new(), |_| {}).finish_in_sync();
    let text = last_error(&run.feed.status);
    assert!(
        text.contains("rejected the subscription")
            && text.contains("code 2")
            && text.contains("unknown stream"),
        "{text}"
    );
    assert_eq!(c.reconnects, 1, "{c:?}");
    assert!(run.feed.shutdown());
}

#[test]
fn garbage_frames_are_counted_not_fatal() {
    let opts = SynthOpts {
        diffs: 100,
        garbage_first: true,
        ..SynthOpts::default()
    };
    let (run, c) = synth_feed(opts, Collect::new(), |_| {}).finish_in_sync();
    assert_eq!(c.decode_errors, 3, "{c:?}");
    assert_eq!(c.reconnects, 0);
    let text = last_error(&run.feed.status);
    assert!(
        text.starts_with("cannot decode a frame from ws://127.0.0.1"),
        "{text}"
    );
    assert!(run.feed.shutdown());
}

struct InfoOnly;

impl App for InfoOnly {
    fn http(&self, path: &str, query: &str) -> Reply {
        match path {
            "/fapi/v1/exchangeInfo" => Reply::ok(exchange_info("BTCUSDT", "0.1", "0.001")),
            "/api/v3/exchangeInfo" if query.contains("NOPE") => {
                Reply::status(400, r#"{"code":-1121,"msg":"Invalid symbol."}"#)
            }
            "/api/v3/exchangeInfo" => Reply::ok(exchange_info("BTCUSDT", "0.01", "0.00001")),
            _ => Reply::status(404, "{}"),
        }
    }

    fn ws(self: Arc<Self>, _path: String, _query: String, _ws: Ws) -> BoxFut {
        Box::pin(async {})
    }
}

#[test]
fn unknown_symbol_in_exchange_info_names_it() {
    let server = Server::start(Arc::new(InfoOnly));
    let endpoints = Endpoints {
        ws_book: server.ws("/stream"),
        ws_trades: server.ws("/stream"),
        rest: server.http(),
    };
    let symbols = vec!["BTCUSDT".to_owned(), "NOPEUSDT".to_owned()];
    for venue in [Venue::BinanceUsdm, Venue::BinanceSpot] {
        let err = fetch_instruments_blocking(venue, &endpoints, &symbols).unwrap_err();
        assert!(
            matches!(&err, FeedError::UnknownSymbol { symbol, .. } if symbol == "NOPEUSDT"),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("unknown symbol NOPEUSDT on {venue}")),
            "{text}"
        );
    }
    let ok = fetch_instruments_blocking(Venue::BinanceSpot, &endpoints, &symbols[..1]).unwrap();
    assert_eq!(ok[0].0, "BTCUSDT");
    assert_eq!(ok[0].1.lot_size(), dec("0.00001"));

    // A symbol missing from the registry is refused before anything starts.
    let err = spawn_feed(
        LiveFeedConfig::new(Venue::BinanceUsdm, symbols),
        Arc::new(Registry::new()),
        Collect::new(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("symbol BTCUSDT is not in the instrument registry"),
        "{err}"
    );
}

// ---------------------------------------------------------------- TLS

#[test]
fn wss_to_a_plain_tcp_port_is_a_tls_error() {
    // A plain TCP server that answers any bytes with an HTTP error, as a non-TLS port does.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = Arc::clone(&stop);
    listener.set_nonblocking(true).unwrap();
    let plain = std::thread::spawn(move || {
        use std::io::{Read, Write};
        while !stop2.load(Ordering::Acquire) {
            match listener.accept() {
                Ok((mut s, _)) => {
                    s.set_nonblocking(false).unwrap();
                    s.set_read_timeout(Some(Duration::from_millis(500)))
                        .unwrap();
                    let mut buf = [0u8; 1024];
                    let _ = s.read(&mut buf);
                    let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    });
    let endpoints = Endpoints {
        ws_book: format!("wss://127.0.0.1:{port}/stream"),
        ws_trades: format!("wss://127.0.0.1:{port}/stream"),
        rest: format!("https://127.0.0.1:{port}"),
    };
    let err = fetch_instruments_blocking(Venue::BinanceSpot, &endpoints, &["BTCUSDT".into()])
        .unwrap_err();
    assert!(matches!(err, FeedError::Tls { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("tls handshake with https://127.0.0.1:{port}")),
        "{err}"
    );

    let mut registry = Registry::new();
    registry
        .add(
            Venue::BinanceSpot,
            "BTCUSDT",
            InstrumentSpec::new(dec("0.01"), dec("0.00001")).unwrap(),
        )
        .unwrap();
    let mut config = LiveFeedConfig::new(Venue::BinanceSpot, vec!["BTCUSDT".into()]);
    config.endpoints = endpoints;
    config.backoff = fast_backoff();
    let feed = spawn_feed(config, Arc::new(registry), Collect::new()).unwrap();
    let st = Arc::clone(&feed.status);
    assert!(wait_until(Duration::from_secs(3), || st.counters().errors >= 2));
    let text = last_error(&st);
    assert!(
        text.starts_with(&format!(
            "tls handshake with wss://127.0.0.1:{port}/stream?streams="
        )),
        "{text}"
    );
    assert!(!feed.is_finished());
    assert!(feed.shutdown());
    stop.store(true, Ordering::Release);
    plain.join().unwrap();
}
