//! Bybit v5 live, against a local server that speaks it: subscribe and unsubscribe requests
//! honoured per topic, `{"op":"ping"}` answered with the spot pong, `/v5/market/instruments-info`
//! served, and the real spot `orderbook.200` capture of 2026-08-09 replayed frame by frame to
//! the topics subscribed. The server keeps each book as it replays, so a resubscription gets a
//! snapshot of the book as it stands. The feed ends with `ladder inspect`'s books of the same
//! file; a dropped delta, a refused subscription and the venue's `u == 1` cases (§12) are
//! detected and handled per instrument.

use super::*;
use ladder_engine::capture::merge::CaptureInput;
use ladder_engine::feed::VenueOptions;
use ladder_engine::feed::bybit::LiveOptions;
use ladder_engine::feed::spawn_feed_with;
use ladder_sdk::InstrumentId;
use std::collections::{HashMap, HashSet};
use std::io::Read as _;

pub(super) const VECTOR: &str = "vectors/bybit/capture_bybit-v5-spot_cryptofeed_20260809.txt.gz";
/// Symbol, tick and lot of the capture's instruments (the grids `inspect` infers).
const INSTRUMENTS: [(&str, &str, &str); 2] = [
    ("BTCUSDT", "0.1", "0.000001"),
    ("ETHUSDT", "0.01", "0.00001"),
];

/// The capture's frames with their topics (the frames without one are left out: acks).
fn topic_frames(path: &Path) -> Vec<(String, String)> {
    let file = std::fs::File::open(path).unwrap();
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap();
    text.lines()
        .filter_map(|l| l.split_once(' '))
        .filter_map(|(_, f)| {
            let v: serde_json::Value = serde_json::from_str(f).ok()?;
            Some((v["topic"].as_str()?.to_owned(), f.to_owned()))
        })
        .collect()
}

/// What the server does besides replaying.
#[derive(Default, Clone)]
pub(super) struct BybitOpts {
    /// The nth delta (1-based) of this book topic is applied to the server's book but not sent.
    drop_delta: Option<(&'static str, u64)>,
    /// The first connection's first subscribe request is refused.
    refuse_first: bool,
    /// The first connection is dropped (no close frame) after this many replayed frames.
    drop_first_after: Option<usize>,
    /// Frames sent once the replay is done.
    tail: Vec<String>,
}

/// One side of a book as the server holds it: price (as a number) to the wire strings.
type Side2 = BTreeMap<Decimal, (String, String)>;

#[derive(Default)]
struct ServerBook {
    bids: Side2,
    asks: Side2,
    u: u64,
    seq: u64,
}

impl ServerBook {
    fn apply(&mut self, data: &serde_json::Value, snapshot: bool) {
        if snapshot {
            self.bids.clear();
            self.asks.clear();
        }
        for (key, side) in [("b", &mut self.bids), ("a", &mut self.asks)] {
            for l in data[key].as_array().unwrap() {
                let (p, q) = (l[0].as_str().unwrap(), l[1].as_str().unwrap());
                if dec(q).is_zero() {
                    side.remove(&dec(p));
                } else {
                    side.insert(dec(p), (p.to_owned(), q.to_owned()));
                }
            }
        }
        self.u = data["u"].as_u64().unwrap();
        self.seq = data["seq"].as_u64().unwrap_or(self.seq);
    }

    fn snapshot(&self, topic: &str, symbol: &str) -> String {
        let levels = |it: &mut dyn Iterator<Item = &(String, String)>| {
            it.map(|(p, q)| format!("[\"{p}\",\"{q}\"]"))
                .collect::<Vec<_>>()
                .join(",")
        };
        format!(
            r#"{{"topic":"{topic}","ts":1,"type":"snapshot","data":{{"s":"{symbol}","b":[{}],"a":[{}],"u":{},"seq":{}}},"cts":1}}"#,
            levels(&mut self.bids.values().rev()),
            levels(&mut self.asks.values()),
            self.u,
            self.seq
        )
    }
}

/// A book topic's final state on the server: `u`, bids best first, asks best first.
struct FinalBook {
    u: u64,
    bids: Vec<(Decimal, Decimal)>,
    asks: Vec<(Decimal, Decimal)>,
}

pub(super) struct BybitApp {
    frames: Vec<(String, String)>,
    opts: BybitOpts,
    conns: AtomicU64,
    /// Every text frame the client sent, in order.
    received: Mutex<Vec<String>>,
    /// The replay of some connection is done.
    finished: AtomicBool,
    /// The final book of each topic, by the server's replay.
    books: Mutex<HashMap<String, FinalBook>>,
}

impl BybitApp {
    pub(super) fn new(path: &Path, opts: BybitOpts) -> Arc<Self> {
        Arc::new(Self {
            frames: topic_frames(path),
            opts,
            conns: AtomicU64::new(0),
            received: Mutex::new(Vec::new()),
            finished: AtomicBool::new(false),
            books: Mutex::new(HashMap::new()),
        })
    }

    /// `(op, args)` of every request the client sent.
    pub(super) fn requests(&self) -> Vec<(String, Vec<String>)> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter_map(|t| serde_json::from_str::<serde_json::Value>(t).ok())
            .map(|v| {
                let args = v["args"].as_array().map_or_else(Vec::new, |a| {
                    a.iter().map(|x| x.as_str().unwrap().to_owned()).collect()
                });
                (v["op"].as_str().unwrap_or("").to_owned(), args)
            })
            .collect()
    }

    fn count(&self, op: &str, topic: &str) -> usize {
        self.requests()
            .iter()
            .filter(|(o, args)| o == op && args.iter().any(|a| a == topic))
            .count()
    }

    fn final_u(&self, topic: &str) -> u64 {
        self.books.lock().unwrap().get(topic).map_or(0, |b| b.u)
    }
}

fn reply(op: &str, req_id: &str, success: bool, msg: &str) -> String {
    format!(
        r#"{{"success":{success},"ret_msg":"{msg}","conn_id":"c","req_id":"{req_id}","op":"{op}"}}"#
    )
}

impl App for BybitApp {
    fn http(&self, path: &str, query: &str) -> Reply {
        if path != "/v5/market/instruments-info" {
            return Reply::status(404, r#"{"retCode":10001,"retMsg":"no such path"}"#);
        }
        let symbol = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("symbol="))
            .unwrap_or("");
        let list = INSTRUMENTS
            .iter()
            .filter(|(s, _, _)| *s == symbol)
            .map(|(s, tick, lot)| {
                format!(
                    r#"{{"symbol":"{s}","status":"Trading","lotSizeFilter":{{"basePrecision":"{lot}","qtyStep":"{lot}"}},"priceFilter":{{"tickSize":"{tick}"}}}}"#
                )
            })
            .collect::<Vec<_>>()
            .join(",");
        Reply::ok(format!(
            r#"{{"retCode":0,"retMsg":"OK","result":{{"category":"spot","list":[{list}]}},"time":1}}"#
        ))
    }

    fn ws(self: Arc<Self>, _path: String, _query: String, ws: Ws) -> BoxFut {
        Box::pin(async move {
            let k = self.conns.fetch_add(1, Ordering::AcqRel);
            let (mut out, mut input) = ws.split();
            let mut subscribed: HashSet<String> = HashSet::new();
            let mut books: HashMap<String, ServerBook> = HashMap::new();
            let mut deltas: HashMap<String, u64> = HashMap::new();
            let mut next = 0usize;
            let mut refused = false;
            let mut tick = tokio::time::interval(Duration::from_millis(2));
            let t0 = Instant::now();
            while t0.elapsed() < Duration::from_secs(20) {
                let mut send: Vec<String> = Vec::new();
                tokio::select! {
                    m = input.next() => {
                        let Some(Ok(Message::Text(t))) = m else { return };
                        let t = t.to_string();
                        self.received.lock().unwrap().push(t.clone());
                        let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                        let op = v["op"].as_str().unwrap_or("");
                        let req_id = v["req_id"].as_str().unwrap_or("");
                        let args: Vec<String> = v["args"].as_array().map_or_else(Vec::new, |a| {
                            a.iter().map(|x| x.as_str().unwrap().to_owned()).collect()
                        });
                        match op {
                            "ping" => send.push(
                                r#"{"success":true,"ret_msg":"pong","conn_id":"c","op":"ping"}"#.into(),
                            ),
                            "subscribe" if k == 0 && self.opts.refuse_first && !refused => {
                                refused = true;
                                let msg = format!("Invalid symbol :[{}]", args[0]);
                                send.push(reply("subscribe", req_id, false, &msg));
                            }
                            "subscribe" => {
                                send.push(reply("subscribe", req_id, true, ""));
                                for a in args {
                                    // A resubscription: a snapshot of the book as it stands.
                                    if let Some(b) = books.get(&a) {
                                        let symbol = a.rsplit('.').next().unwrap();
                                        send.push(b.snapshot(&a, symbol));
                                    }
                                    subscribed.insert(a);
                                }
                            }
                            "unsubscribe" => {
                                send.push(reply("unsubscribe", req_id, true, ""));
                                for a in &args {
                                    subscribed.remove(a);
                                }
                            }
                            _ => send.push(reply(op, req_id, false, "unknown op")),
                        }
                    }
                    _ = tick.tick(), if !subscribed.is_empty() && next <= self.frames.len() => {
                        if next == self.frames.len() {
                            send.extend(self.opts.tail.iter().cloned());
                            let mut done = self.books.lock().unwrap();
                            for (topic, b) in &books {
                                let side = |s: &Side2, rev: bool| {
                                    let mut v: Vec<(Decimal, Decimal)> = s
                                        .values()
                                        .map(|(p, q)| (dec(p), dec(q)))
                                        .collect();
                                    if rev {
                                        v.reverse();
                                    }
                                    v
                                };
                                done.insert(
                                    topic.clone(),
                                    FinalBook {
                                        u: b.u,
                                        bids: side(&b.bids, true),
                                        asks: side(&b.asks, false),
                                    },
                                );
                            }
                            self.finished.store(true, Ordering::Release);
                        } else {
                            let (topic, frame) = &self.frames[next];
                            let mut skip = false;
                            if topic.starts_with("orderbook.") {
                                let v: serde_json::Value = serde_json::from_str(frame).unwrap();
                                let snapshot = v["type"] == "snapshot";
                                books.entry(topic.clone()).or_default().apply(&v["data"], snapshot);
                                if !snapshot {
                                    let n = deltas.entry(topic.clone()).or_default();
                                    *n += 1;
                                    skip = self.opts.drop_delta.is_some_and(|(t, d)| t == topic && d == *n);
                                }
                            }
                            if subscribed.contains(topic) && !skip {
                                send.push(frame.clone());
                            }
                        }
                        next += 1;
                        if k == 0 && self.opts.drop_first_after == Some(next) {
                            return;
                        }
                    }
                    () = tokio::time::sleep(Duration::from_millis(50)) => {}
                }
                for f in send {
                    if out.send(Message::Text(f.into())).await.is_err() {
                        return;
                    }
                }
            }
        })
    }
}

// ---------------------------------------------------------------- the feed's output

#[derive(Default)]
struct PerBook {
    books: HashMap<InstrumentId, L2Book>,
    states: HashMap<InstrumentId, Vec<(BookState, Option<StaleReason>)>>,
    trades: u64,
}

#[derive(Clone, Default)]
struct Out(Arc<Mutex<PerBook>>);

impl FeedOutput for Out {
    fn push(&mut self, event: MarketEvent) -> bool {
        let mut c = self.0.lock().unwrap();
        let id = event.instrument();
        let book = c
            .books
            .entry(id)
            .or_insert_with(|| L2Book::new(BookConfig::default()));
        match event {
            MarketEvent::SnapshotBegin(_) => book.clear(),
            MarketEvent::BookDelta(d) => book.apply(d.side, d.price, d.qty),
            MarketEvent::Status(s) => c.states.entry(id).or_default().push((s.state, s.reason)),
            MarketEvent::Trade(_) => c.trades += 1,
            _ => {}
        }
        true
    }
}

impl Out {
    fn levels(
        &self,
        id: InstrumentId,
        side: Side,
        spec: &InstrumentSpec,
    ) -> Vec<(Decimal, Decimal)> {
        self.0
            .lock()
            .unwrap()
            .books
            .get(&id)
            .map_or_else(Vec::new, |b| {
                b.levels(side).map(|l| dec_level(spec, l)).collect()
            })
    }

    fn states(&self, id: InstrumentId) -> Vec<(BookState, Option<StaleReason>)> {
        self.0
            .lock()
            .unwrap()
            .states
            .get(&id)
            .cloned()
            .unwrap_or_default()
    }
}

fn id_of(registry: &Registry, symbol: &str) -> InstrumentId {
    registry
        .lookup(Venue::BybitSpot, symbol.as_bytes())
        .unwrap()
        .id
}

struct Run {
    app: Arc<BybitApp>,
    _server: Server,
    feed: LiveFeedHandle,
    out: Out,
    registry: Arc<Registry>,
    path: PathBuf,
}

fn start(opts: BybitOpts) -> Option<Run> {
    let path = shared(VECTOR)?;
    let app = BybitApp::new(&path, opts);
    let server = Server::start(Arc::clone(&app));
    let endpoints = Endpoints {
        ws_book: server.ws("/v5/public/spot"),
        ws_trades: server.ws("/v5/public/spot"),
        rest: server.http(),
    };
    let symbols: Vec<String> = INSTRUMENTS
        .iter()
        .map(|(s, _, _)| (*s).to_owned())
        .collect();
    let registry = registry_from(Venue::BybitSpot, &endpoints, &symbols);
    let mut config = LiveFeedConfig::new(Venue::BybitSpot, symbols);
    config.endpoints = endpoints;
    config.backoff = fast_backoff();
    let options = VenueOptions::Bybit(LiveOptions {
        depth: 200,
        ping_every: Duration::from_millis(100),
    });
    let out = Out::default();
    let feed = spawn_feed_with(config, &options, Arc::clone(&registry), out.clone()).unwrap();
    Some(Run {
        app,
        _server: server,
        feed,
        out,
        registry,
        path,
    })
}

impl Run {
    fn id(&self, symbol: &str) -> InstrumentId {
        self.registry
            .lookup(Venue::BybitSpot, symbol.as_bytes())
            .unwrap()
            .id
    }

    fn spec(&self, symbol: &str) -> InstrumentSpec {
        self.registry.get(self.id(symbol)).spec
    }

    /// Waits until the replay is done and both books are synced at the server's last `u`.
    fn wait_synced_at_the_end(&self) {
        let st = &self.feed.status;
        let synced = wait_until(Duration::from_secs(15), || {
            self.app.finished.load(Ordering::Acquire)
                && st.instruments().iter().all(|i| {
                    i.state == BookState::Synced
                        && i.last_update_id
                            == self.app.final_u(&format!("orderbook.200.{}", i.symbol))
                })
        });
        assert!(
            synced,
            "{:?} {:?} last error {:?}",
            st.counters(),
            st.instruments(),
            st.last_error()
        );
    }

    /// Every level of both books equals the server's, and the top 10 equal `ladder inspect`'s
    /// of the same capture.
    fn assert_books_are_inspects(&self) {
        let report = inspect(
            &[CaptureInput {
                path: self.path.clone(),
                venue: Venue::BybitSpot,
            }],
            &InspectOptions {
                depth: 10,
                grid: None,
            },
        )
        .unwrap();
        let books = self.app.books.lock().unwrap();
        for (symbol, _, _) in INSTRUMENTS {
            let (id, spec) = (self.id(symbol), self.spec(symbol));
            let (bids, asks) = (
                self.out.levels(id, Side::Buy, &spec),
                self.out.levels(id, Side::Sell, &spec),
            );
            let server = &books[&format!("orderbook.200.{symbol}")];
            assert_eq!(
                (&bids, &asks),
                (&server.bids, &server.asks),
                "{symbol}: the server's book"
            );
            let want = &report.instruments[&format!("bybit-spot:{symbol}")];
            let top = |v: &[[String; 2]]| -> Vec<(Decimal, Decimal)> {
                v.iter().map(|[p, q]| (dec(p), dec(q))).collect()
            };
            assert_eq!(bids[..10], top(&want.bids)[..], "{symbol} top 10 bids");
            assert_eq!(asks[..10], top(&want.asks)[..], "{symbol} top 10 asks");
        }
        let top = |symbol| {
            let (id, spec) = (self.id(symbol), self.spec(symbol));
            (
                self.out.levels(id, Side::Buy, &spec)[0].0,
                self.out.levels(id, Side::Sell, &spec)[0].0,
            )
        };
        assert_eq!(top("BTCUSDT"), (dec("65140.4"), dec("65140.5")));
        assert_eq!(top("ETHUSDT"), (dec("1923.28"), dec("1923.29")));
    }
}

#[test]
fn bybit_spot_replay_syncs_both_books_to_inspects_with_no_gap_and_pings_answered() {
    let Some(run) = start(BybitOpts::default()) else {
        return;
    };
    run.wait_synced_at_the_end();
    // Keep-alive: the feed pings every 100 ms; wait for a few.
    assert!(wait_until(Duration::from_secs(3), || run.app.count_pings() >= 3));
    let c = run.feed.status.counters();
    run.assert_books_are_inspects();
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
            run.out.states(id_of(&run.registry, symbol)),
            [(Connecting, None), (Syncing, None), (Synced, None)],
            "{symbol}"
        );
    }
}

impl BybitApp {
    fn count_pings(&self) -> usize {
        self.requests()
            .iter()
            .filter(|(op, _)| op == "ping")
            .count()
    }
}

#[test]
fn bybit_dropped_delta_resubscribes_that_one_book_and_resyncs_to_inspects_book() {
    let Some(run) = start(BybitOpts {
        drop_delta: Some(("orderbook.200.BTCUSDT", 100)),
        ..BybitOpts::default()
    }) else {
        return;
    };
    run.wait_synced_at_the_end();
    let c = run.feed.status.counters();
    run.assert_books_are_inspects();
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
        run.out.states(id_of(&run.registry, "BTCUSDT")),
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
        run.out.states(id_of(&run.registry, "ETHUSDT")),
        [(Connecting, None), (Syncing, None), (Synced, None)]
    );
}

#[test]
fn bybit_refused_subscription_is_one_clear_error_then_the_reconnect_syncs() {
    let Some(run) = start(BybitOpts {
        refuse_first: true,
        ..BybitOpts::default()
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
    ];
    let Some(run) = start(BybitOpts {
        tail,
        ..BybitOpts::default()
    }) else {
        return;
    };
    let st = Arc::clone(&run.feed.status);
    let (btc, eth) = (
        id_of(&run.registry, "BTCUSDT"),
        id_of(&run.registry, "ETHUSDT"),
    );
    let settled = wait_until(Duration::from_secs(15), || {
        run.app.finished.load(Ordering::Acquire)
            && st.book_state(btc) == Some(BookState::Stale)
            && st.book_state(eth) == Some(BookState::Syncing)
    });
    assert!(settled, "{:?} {:?}", st.instruments(), st.last_error());
    // A resubscription would come at once; give it time to show if it were asked for.
    std::thread::sleep(Duration::from_millis(500));
    let error = last_error(&st);
    let eth_levels = (
        run.out.levels(eth, Side::Buy, &run.spec("ETHUSDT")).len(),
        run.out.levels(eth, Side::Sell, &run.spec("ETHUSDT")).len(),
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
    let Some(run) = start(BybitOpts {
        drop_first_after: Some(200),
        ..BybitOpts::default()
    }) else {
        return;
    };
    run.wait_synced_at_the_end();
    let c = run.feed.status.counters();
    run.assert_books_are_inspects();
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
