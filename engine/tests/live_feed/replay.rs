//! Replays of the real vectors over a local server: the feed (and a whole `ladder paper`
//! session) ends with the same book as `ladder inspect`.

use super::*;

pub(super) struct ReplayApp {
    pub(super) venue: Venue,
    pub(super) v: Vector,
    pub(super) info: String,
    pub(super) served: AtomicBool,
    pub(super) depth_queries: Mutex<Vec<String>>,
    pub(super) ws_queries: Mutex<Vec<(String, String)>>,
    pub(super) pong: AtomicBool,
}

impl App for ReplayApp {
    fn http(&self, path: &str, query: &str) -> Reply {
        match path {
            "/fapi/v1/depth" | "/api/v3/depth" => {
                self.depth_queries.lock().unwrap().push(query.to_owned());
                self.served.store(true, Ordering::Release);
                Reply::ok(self.v.snapshot.clone())
            }
            "/fapi/v1/exchangeInfo" | "/api/v3/exchangeInfo" => Reply::ok(self.info.clone()),
            _ => Reply::status(404, r#"{"code":-1,"msg":"no such path"}"#),
        }
    }

    fn ws(self: Arc<Self>, path: String, query: String, mut ws: Ws) -> BoxFut {
        Box::pin(async move {
            self.ws_queries.lock().unwrap().push((path.clone(), query));
            let market = path.starts_with("/market");
            let public = path.starts_with("/public");
            let _ = ws.send(Message::Ping("ladder-ping".into())).await;
            for (i, f) in self.v.frames.iter().enumerate() {
                if i == self.v.snapshot_at && !market {
                    // Hold the rest until the snapshot is taken, as on the recording day.
                    let t0 = Instant::now();
                    while !self.served.load(Ordering::Acquire)
                        && t0.elapsed() < Duration::from_secs(5)
                    {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
                let trade = f.contains("@trade\"");
                let mine = if market {
                    trade
                } else if public {
                    !trade
                } else {
                    true
                };
                if mine && ws.send(Message::Text(f.clone().into())).await.is_err() {
                    return;
                }
            }
            let _ = tokio::time::timeout(Duration::from_secs(20), async {
                while let Some(Ok(m)) = ws.next().await {
                    if let Message::Pong(p) = m
                        && p.as_ref() == b"ladder-ping"
                    {
                        self.pong.store(true, Ordering::Release);
                    }
                }
            })
            .await;
        })
    }
}

struct ReplayCase {
    venue: Venue,
    file: &'static str,
    tick: &'static str,
    lot: &'static str,
    applied: u64,
    trades: u64,
}

fn replay_vector_matches_inspect(case: ReplayCase) {
    let Some(path) = shared(case.file) else {
        return;
    };
    let v = load_vector(&path);
    let frames = v.frames.len() as u64;
    let app = Arc::new(ReplayApp {
        venue: case.venue,
        v,
        info: exchange_info("BTCUSDT", case.tick, case.lot),
        served: AtomicBool::new(false),
        depth_queries: Mutex::new(Vec::new()),
        ws_queries: Mutex::new(Vec::new()),
        pong: AtomicBool::new(false),
    });
    let server = Server::start(Arc::clone(&app));
    let symbols = vec!["BTCUSDT".to_owned()];
    let endpoints = match case.venue {
        Venue::BinanceUsdm => Endpoints {
            ws_book: server.ws("/public/stream"),
            ws_trades: server.ws("/market/stream"),
            rest: server.http(),
        },
        _ => Endpoints {
            ws_book: server.ws("/stream"),
            ws_trades: server.ws("/stream"),
            rest: server.http(),
        },
    };
    let registry = registry_from(case.venue, &endpoints, &symbols);
    let spec = registry
        .get(registry.lookup(case.venue, b"BTCUSDT").unwrap().id)
        .spec;
    assert_eq!(spec.tick_size(), dec(case.tick), "tick from exchangeInfo");
    let mut config = LiveFeedConfig::new(case.venue, symbols);
    config.endpoints = endpoints;
    config.backoff = fast_backoff();
    let out = Collect::new();
    let feed = spawn_feed(config, Arc::clone(&registry), out.clone()).unwrap();
    let st = Arc::clone(&feed.status);
    let done = wait_until(Duration::from_secs(10), || {
        let i = &st.instruments()[0];
        st.counters().messages == frames
            && i.state == BookState::Synced
            && i.applied == case.applied
    });
    let (counters, inst) = (st.counters(), st.instruments()[0].clone());
    let pong = wait_until(Duration::from_secs(2), || app.pong.load(Ordering::Acquire));
    assert!(feed.shutdown(), "feed thread ended cleanly");
    assert!(
        done,
        "not synced through the vector: {counters:?} {inst:?}, last error {:?}",
        st.last_error()
    );

    // Subscriptions: USD-M splits depth + bookTicker (/public) from trades (/market).
    let mut queries = app.ws_queries.lock().unwrap().clone();
    queries.sort();
    match app.venue {
        Venue::BinanceUsdm => assert_eq!(
            queries,
            [
                (
                    "/market/stream".to_owned(),
                    "streams=btcusdt@trade".to_owned()
                ),
                (
                    "/public/stream".to_owned(),
                    "streams=btcusdt@depth@100ms/btcusdt@bookTicker".to_owned()
                ),
            ]
        ),
        _ => assert_eq!(
            queries,
            [(
                "/stream".to_owned(),
                "streams=btcusdt@depth@100ms/btcusdt@bookTicker/btcusdt@trade".to_owned()
            )]
        ),
    }
    assert_eq!(
        *app.depth_queries.lock().unwrap(),
        ["symbol=BTCUSDT&limit=1000"]
    );
    assert!(pong, "the ping was answered with the same payload");
    assert_eq!(
        (
            counters.gaps,
            counters.snapshots,
            counters.reconnects,
            counters.decode_errors
        ),
        (0, 1, 0, 0)
    );
    assert_eq!(inst.applied, case.applied);
    assert_eq!(counters.trades + counters.special_trades, case.trades);
    assert_eq!(out.inner.lock().unwrap().trades, counters.trades);
    assert_eq!(
        out.states(),
        [
            (BookState::Connecting, None),
            (BookState::Syncing, None),
            (BookState::Synced, None)
        ]
    );

    let report = inspect_capture(&path, case.venue, 10);
    let expected = &report.instruments[&format!("{}:BTCUSDT", case.venue)];
    assert_eq!(report.applied, case.applied);
    assert_eq!(
        out.levels(Side::Buy, &spec, 10),
        report_levels(&expected.bids),
        "top 10 bids"
    );
    assert_eq!(
        out.levels(Side::Sell, &spec, 10),
        report_levels(&expected.asks),
        "top 10 asks"
    );
    assert_eq!(expected.bids.len(), 10);
}

#[test]
fn usdm_replay_over_public_and_market_ends_with_inspect_book() {
    replay_vector_matches_inspect(ReplayCase {
        venue: Venue::BinanceUsdm,
        file: "vectors/binance/hftbacktest_usdm_btcusdt_20240808_first1000.txt",
        tick: "0.10",
        lot: "0.001",
        applied: 91,
        trades: 153,
    });
}

#[test]
fn spot_replay_over_one_connection_ends_with_inspect_book() {
    replay_vector_matches_inspect(ReplayCase {
        venue: Venue::BinanceSpot,
        file: "vectors/binance/hftbacktest_spot_btcusdt_20240808_first1000.txt",
        tick: "0.01000000",
        lot: "0.00001000",
        applied: 86,
        trades: 152,
    });
}

/// `ladder paper --venue binance-usdm` (the whole session: feed thread, ring, hot thread,
/// writer) pointed at the replaying server ends with the same final book as `ladder inspect`.
#[test]
fn paper_session_on_usdm_replay_ends_with_inspect_book() {
    let file = "vectors/binance/hftbacktest_usdm_btcusdt_20240808_first1000.txt";
    let Some(path) = shared(file) else {
        return;
    };
    let app = Arc::new(ReplayApp {
        venue: Venue::BinanceUsdm,
        v: load_vector(&path),
        info: exchange_info("BTCUSDT", "0.10", "0.001"),
        served: AtomicBool::new(false),
        depth_queries: Mutex::new(Vec::new()),
        ws_queries: Mutex::new(Vec::new()),
        pong: AtomicBool::new(false),
    });
    let server = Server::start(Arc::clone(&app));
    let endpoints = Endpoints {
        ws_book: server.ws("/public/stream"),
        ws_trades: server.ws("/market/stream"),
        rest: server.http(),
    };
    let dir = tempfile::tempdir().unwrap();
    let summary = ladder_engine::session::run_paper(ladder_engine::session::PaperOptions {
        markets: vec![ladder_engine::session::SessionMarket {
            market: ladder_engine::session::Market::Live {
                venue: Venue::BinanceUsdm,
                symbols: vec!["BTCUSDT".to_owned()],
                endpoints,
                options: ladder_engine::feed::VenueOptions::defaults(Venue::BinanceUsdm),
            },
            watchdog: Duration::from_secs(30),
        }],
        strategies: Vec::new(),
        config: ladder_engine::config::Config::default(),
        config_sha256: None,
        report_dir: dir.path().to_path_buf(),
        duration: Some(Duration::from_secs(4)),
        source: None,
        display: ladder_engine::session::Display::Headless {
            every: Duration::from_secs(60),
        },
    })
    .unwrap();
    let [feed] = summary.feeds.as_slice() else {
        panic!("one venue, one feed: {:?}", summary.feeds);
    };
    assert_eq!((feed.gaps, feed.snapshots), (0, 1), "{feed:?}");
    let report = inspect_capture(&path, Venue::BinanceUsdm, 10);
    let expected = &report.instruments["binance-usdm:BTCUSDT"];
    let got = &summary.books["binance-usdm:BTCUSDT"];
    assert_eq!(got.state, "synced");
    assert_eq!(got.bids, expected.bids, "top 10 bids");
    assert_eq!(got.asks, expected.asks, "top 10 asks");
    assert!(dir.path().join("summary.json").exists());
}
