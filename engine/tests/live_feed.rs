//! Live feed connectors against local servers on 127.0.0.1 written here: a replay of the real
//! Binance vectors in the combined-stream format (USD-M over `/public` + `/market`, spot over
//! one connection), a synthetic futures venue that serves fresh snapshots (disconnects, gaps,
//! overflows, REST faults), a silent server, a closed port and a plain TCP port behind `wss://`.
//! Every test is bounded (well under 15 s) and stops its feed and server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::{SinkExt, StreamExt};
use ladder_engine::book::{BookConfig, L2Book};
use ladder_engine::feed::Venue;
use ladder_engine::feed::binance::Endpoints;
use ladder_engine::feed::live::{
    BackoffConfig, FeedError, FeedOutput, FeedStatus, LiveFeedConfig, LiveFeedHandle,
    fetch_exchange_info_blocking, spawn_feed,
};
use ladder_engine::inspect::{InspectOptions, inspect};
use ladder_engine::instrument::Registry;
use ladder_sdk::{BookState, BookStatus, InstrumentSpec, Level, MarketEvent, Side, StaleReason};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

// ---------------------------------------------------------------- shared data

fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared")
        .join(rel);
    if p.exists() {
        return Some(p);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{} is missing; CI needs the shared vectors", p.display());
    }
    eprintln!("skipping: {} is not present", p.display());
    None
}

/// Frames of a capture (timestamp stripped), the snapshot body and the index of the first
/// frame recorded after it.
struct Vector {
    frames: Vec<String>,
    snapshot: String,
    snapshot_at: usize,
}

fn load_vector(path: &Path) -> Vector {
    let text = std::fs::read_to_string(path).unwrap();
    let (mut frames, mut snapshot, mut snapshot_at) = (Vec::new(), String::new(), 0);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (_, frame) = line.split_once(' ').expect("<ts> <frame>");
        if frame.starts_with("{\"lastUpdateId\"") {
            snapshot = frame.to_owned();
            snapshot_at = frames.len();
        } else {
            frames.push(frame.to_owned());
        }
    }
    assert!(!snapshot.is_empty(), "{} holds no snapshot", path.display());
    Vector {
        frames,
        snapshot,
        snapshot_at,
    }
}

// ---------------------------------------------------------------- a small HTTP + WS server

type BoxFut = Pin<Box<dyn Future<Output = ()> + Send>>;
type Ws = WebSocketStream<TcpStream>;

struct Reply {
    status: u16,
    body: String,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn ok(body: impl Into<String>) -> Self {
        Self {
            status: 200,
            body: body.into(),
            headers: vec![("X-MBX-USED-WEIGHT-1m", "20".into())],
        }
    }

    fn status(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: body.into(),
            headers: Vec::new(),
        }
    }

    fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }
}

trait App: Send + Sync + 'static {
    fn http(&self, path: &str, query: &str) -> Reply;
    fn ws(self: Arc<Self>, path: String, query: String, ws: Ws) -> BoxFut;
}

struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start<A: App>(app: Arc<A>) -> Self {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).unwrap();
                let accept = async {
                    while let Ok((s, _)) = listener.accept().await {
                        tokio::spawn(handle(Arc::clone(&app), s));
                    }
                };
                tokio::select! {
                    _ = stopped => {}
                    () = accept => {}
                }
            });
            rt.shutdown_timeout(Duration::from_millis(200));
        });
        Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn ws(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    fn http(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn handle<A: App>(app: Arc<A>, mut stream: TcpStream) {
    let mut buf = vec![0u8; 16 * 1024];
    let head_len = loop {
        let n = match stream.peek(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if let Some(p) = buf[..n].windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        if n == buf.len() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let head = String::from_utf8_lossy(&buf[..head_len]).into_owned();
    let target = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let (path, query) = (path.to_owned(), query.to_owned());
    if head.to_ascii_lowercase().contains("upgrade: websocket") {
        if let Ok(ws) = tokio_tungstenite::accept_async(stream).await {
            app.ws(path, query, ws).await;
        }
        return;
    }
    let mut discard = vec![0u8; head_len];
    if stream.read_exact(&mut discard).await.is_err() {
        return;
    }
    let reply = app.http(&path, &query);
    let mut out = format!(
        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (k, v) in &reply.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&reply.body);
    let _ = stream.write_all(out.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Reads (answering nothing) until the client goes away or `limit` passes.
async fn hold(ws: &mut Ws, limit: Duration) {
    let _ = tokio::time::timeout(limit, async { while let Some(Ok(_)) = ws.next().await {} }).await;
}

fn exchange_info(symbol: &str, tick: &str, lot: &str) -> String {
    format!(
        r#"{{"timezone":"UTC","symbols":[{{"symbol":"{symbol}","status":"TRADING","filters":[{{"filterType":"PRICE_FILTER","minPrice":"0.1","maxPrice":"1000000","tickSize":"{tick}"}},{{"filterType":"LOT_SIZE","minQty":"0.001","maxQty":"1000","stepSize":"{lot}"}}]}}]}}"#
    )
}

// ---------------------------------------------------------------- the feed's output

#[derive(Default)]
struct Collected {
    book: Option<L2Book>,
    statuses: Vec<BookStatus>,
    trades: u64,
    bbos: u64,
    snapshots: u64,
    pushes: u64,
}

/// Applies events to an `L2Book`; refuses pushes number `refuse.0..refuse.1` (a full ring).
#[derive(Clone)]
struct Collect {
    inner: Arc<Mutex<Collected>>,
    refuse: (u64, u64),
}

impl Collect {
    fn new() -> Self {
        Self::refusing(0, 0)
    }

    fn refusing(from: u64, to: u64) -> Self {
        let c = Collected {
            book: Some(L2Book::new(BookConfig::default())),
            ..Collected::default()
        };
        Self {
            inner: Arc::new(Mutex::new(c)),
            refuse: (from, to),
        }
    }

    fn states(&self) -> Vec<(BookState, Option<StaleReason>)> {
        self.inner
            .lock()
            .unwrap()
            .statuses
            .iter()
            .map(|s| (s.state, s.reason))
            .collect()
    }

    fn levels(&self, side: Side, spec: &InstrumentSpec, n: usize) -> Vec<(Decimal, Decimal)> {
        let c = self.inner.lock().unwrap();
        c.book
            .as_ref()
            .unwrap()
            .levels(side)
            .take(n)
            .map(|l| dec_level(spec, l))
            .collect()
    }
}

impl FeedOutput for Collect {
    fn push(&mut self, event: MarketEvent) -> bool {
        let mut c = self.inner.lock().unwrap();
        c.pushes += 1;
        if (self.refuse.0..self.refuse.1).contains(&c.pushes) {
            return false;
        }
        let book = c.book.as_mut().unwrap();
        match event {
            MarketEvent::SnapshotBegin(_) => {
                book.clear();
                c.snapshots += 1;
            }
            MarketEvent::BookDelta(d) => book.apply(d.side, d.price, d.qty),
            MarketEvent::SnapshotEnd(_) => {}
            MarketEvent::Trade(_) => c.trades += 1,
            MarketEvent::Bbo(_) => c.bbos += 1,
            MarketEvent::Status(s) => c.statuses.push(s),
        }
        true
    }
}

fn dec_level(spec: &InstrumentSpec, l: Level) -> (Decimal, Decimal) {
    (
        spec.price_to_decimal(l.price).normalize(),
        spec.qty_to_decimal(l.qty).normalize(),
    )
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap().normalize()
}

fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    done()
}

fn fast_backoff() -> BackoffConfig {
    BackoffConfig {
        initial_ms: 50,
        max_ms: 400,
        multiplier: 2.0,
        jitter: 0.5,
        seed: Some(7),
    }
}

fn registry_from(venue: Venue, endpoints: &Endpoints, symbols: &[String]) -> Arc<Registry> {
    let mut r = Registry::new();
    for (s, spec) in fetch_exchange_info_blocking(venue, endpoints, symbols).unwrap() {
        r.add(&s, spec).unwrap();
    }
    Arc::new(r)
}

fn last_error(status: &FeedStatus) -> String {
    status.last_error().map(|e| e.text).unwrap_or_default()
}

// ---------------------------------------------------------------- replay of the real vectors

struct ReplayApp {
    venue: Venue,
    v: Vector,
    info: String,
    served: AtomicBool,
    depth_queries: Mutex<Vec<String>>,
    ws_queries: Mutex<Vec<(String, String)>>,
    pong: AtomicBool,
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
    let spec = registry.get(registry.lookup(b"BTCUSDT").unwrap().id).spec;
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

    let report = inspect(
        &path,
        &InspectOptions {
            venue: case.venue,
            depth: 10,
            grid: None,
        },
    )
    .unwrap();
    let expected = &report.instruments["BTCUSDT"];
    assert_eq!(report.applied, case.applied);
    let want = |rows: &[[String; 2]]| {
        rows.iter()
            .map(|[p, q]| (dec(p), dec(q)))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        out.levels(Side::Buy, &spec, 10),
        want(&expected.bids),
        "top 10 bids"
    );
    assert_eq!(
        out.levels(Side::Sell, &spec, 10),
        want(&expected.asks),
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
        market: ladder_engine::session::Market::Live {
            venue: Venue::BinanceUsdm,
            symbols: vec!["BTCUSDT".to_owned()],
            endpoints,
        },
        strategies: Vec::new(),
        config: ladder_engine::config::Config::default(),
        config_sha256: None,
        report_dir: dir.path().to_path_buf(),
        duration: Some(Duration::from_secs(4)),
        display: ladder_engine::session::Display::Headless {
            every: Duration::from_secs(60),
        },
        watchdog: Duration::from_secs(30),
    })
    .unwrap();
    let feed = summary.feed.as_ref().unwrap();
    assert_eq!((feed.gaps, feed.snapshots), (0, 1), "{feed:?}");
    let report = inspect(
        &path,
        &InspectOptions {
            venue: Venue::BinanceUsdm,
            depth: 10,
            grid: None,
        },
    )
    .unwrap();
    let expected = &report.instruments["BTCUSDT"];
    let got = &summary.books["BTCUSDT"];
    assert_eq!(got.state, "synced");
    assert_eq!(got.bids, expected.bids, "top 10 bids");
    assert_eq!(got.asks, expected.asks, "top 10 asks");
    assert!(dir.path().join("summary.json").exists());
}

// ---------------------------------------------------------------- a synthetic futures venue

#[derive(Default, Clone)]
struct SynthOpts {
    diffs: u64,
    drop_diff: Option<u64>,
    close_first_after: Option<u64>,
    garbage_first: bool,
    subscribe_error_first: bool,
    /// The first depth request gets the initial book at id 1000, older than any diff.
    old_snapshot_first: bool,
    rest_faults: Vec<(u16, &'static str, Option<&'static str>)>,
}

struct SynthBook {
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
    last_u: u64,
    rng: u64,
}

impl SynthBook {
    fn next(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }
}

fn px(ticks: i64) -> String {
    format!("{}.{}", ticks / 10, ticks % 10)
}

fn qx(lots: i64) -> String {
    format!("{}.{:03}", lots / 1000, lots % 1000)
}

struct Synth {
    opts: SynthOpts,
    book: Mutex<SynthBook>,
    tx: broadcast::Sender<String>,
    started: AtomicBool,
    finished: AtomicBool,
    conns: AtomicU64,
    faults: Mutex<VecDeque<(u16, &'static str, Option<&'static str>)>>,
    depth_times: Mutex<Vec<Instant>>,
}

impl Synth {
    fn new(opts: SynthOpts) -> Arc<Self> {
        let mut b = SynthBook {
            bids: BTreeMap::new(),
            asks: BTreeMap::new(),
            last_u: 1000,
            rng: 0x9E37_79B9,
        };
        for t in 0..10 {
            let q = (b.next() % 5000 + 1) as i64;
            b.bids.insert(990 + t, q);
            let q = (b.next() % 5000 + 1) as i64;
            b.asks.insert(1000 + t, q);
        }
        let faults = opts.rest_faults.iter().copied().collect();
        Arc::new(Self {
            opts,
            book: Mutex::new(b),
            tx: broadcast::channel(100_000).0,
            started: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            conns: AtomicU64::new(0),
            faults: Mutex::new(faults),
            depth_times: Mutex::new(Vec::new()),
        })
    }

    /// One diff: 1-3 level changes, ids `[last_u+1, last_u+k]`, `pu = last_u`.
    fn make_diff(&self, n: u64) {
        let mut b = self.book.lock().unwrap();
        let (mut bids, mut asks) = (Vec::new(), Vec::new());
        for _ in 0..(b.next() % 3 + 1) {
            let r = b.next();
            let qty = if r.is_multiple_of(4) {
                0
            } else {
                (r >> 8) as i64 % 5000 + 1
            };
            let off = ((r >> 20) % 20) as i64;
            if r & 0x100_0000 == 0 {
                let t = 999 - off;
                if qty == 0 {
                    b.bids.remove(&t)
                } else {
                    b.bids.insert(t, qty)
                };
                bids.push(format!("[\"{}\",\"{}\"]", px(t), qx(qty)));
            } else {
                let t = 1000 + off;
                if qty == 0 {
                    b.asks.remove(&t)
                } else {
                    b.asks.insert(t, qty)
                };
                asks.push(format!("[\"{}\",\"{}\"]", px(t), qx(qty)));
            }
        }
        let pu = b.last_u;
        let u = pu + 1 + b.next() % 3;
        b.last_u = u;
        let depth = format!(
            r#"{{"stream":"btcusdt@depth@100ms","data":{{"e":"depthUpdate","E":{n},"T":{n},"s":"BTCUSDT","U":{},"u":{u},"pu":{pu},"b":[{}],"a":[{}]}}}}"#,
            pu + 1,
            bids.join(","),
            asks.join(",")
        );
        let trade = format!(
            r#"{{"stream":"btcusdt@trade","data":{{"e":"trade","E":{n},"T":{n},"s":"BTCUSDT","t":{n},"p":"100.0","q":"0.001","X":"MARKET","m":true}}}}"#
        );
        if self.opts.drop_diff != Some(n) {
            let _ = self.tx.send(depth);
        }
        let _ = self.tx.send(trade);
    }

    fn snapshot(&self) -> String {
        let b = self.book.lock().unwrap();
        let side = |it: &mut dyn Iterator<Item = (&i64, &i64)>| {
            it.map(|(t, q)| format!("[\"{}\",\"{}\"]", px(*t), qx(*q)))
                .collect::<Vec<_>>()
                .join(",")
        };
        format!(
            r#"{{"lastUpdateId":{},"E":1,"T":1,"bids":[{}],"asks":[{}]}}"#,
            b.last_u,
            side(&mut b.bids.iter().rev()),
            side(&mut b.asks.iter())
        )
    }

    fn levels(&self, side: Side) -> Vec<(Decimal, Decimal)> {
        let b = self.book.lock().unwrap();
        let f = |(t, q): (&i64, &i64)| (dec(&px(*t)), dec(&qx(*q)));
        match side {
            Side::Buy => b.bids.iter().rev().map(f).collect(),
            Side::Sell => b.asks.iter().map(f).collect(),
        }
    }

    fn last_u(&self) -> u64 {
        self.book.lock().unwrap().last_u
    }
}

impl App for Synth {
    fn http(&self, path: &str, _query: &str) -> Reply {
        match path {
            "/fapi/v1/depth" => {
                self.depth_times.lock().unwrap().push(Instant::now());
                if let Some((status, body, retry)) = self.faults.lock().unwrap().pop_front() {
                    let r = Reply::status(status, body);
                    return match retry {
                        Some(s) => r.header("Retry-After", s),
                        None => r,
                    };
                }
                if self.opts.old_snapshot_first && self.depth_times.lock().unwrap().len() == 1 {
                    return Reply::ok(
                        r#"{"lastUpdateId":1000,"E":1,"T":1,"bids":[["99.0","1.000"]],"asks":[["100.0","1.000"]]}"#,
                    );
                }
                Reply::ok(self.snapshot())
            }
            "/fapi/v1/exchangeInfo" => Reply::ok(exchange_info("BTCUSDT", "0.1", "0.001")),
            _ => Reply::status(404, "{}"),
        }
    }

    fn ws(self: Arc<Self>, _path: String, _query: String, mut ws: Ws) -> BoxFut {
        Box::pin(async move {
            let k = self.conns.fetch_add(1, Ordering::AcqRel);
            let mut rx = self.tx.subscribe();
            if !self.started.swap(true, Ordering::AcqRel) {
                let me = Arc::clone(&self);
                tokio::spawn(async move {
                    for n in 1..=me.opts.diffs {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        me.make_diff(n);
                    }
                    me.finished.store(true, Ordering::Release);
                });
            }
            if k == 0 && self.opts.subscribe_error_first {
                let reply = r#"{"code":2,"msg":"Invalid request: unknown stream btcusdt@nope"}"#;
                let _ = ws.send(Message::Text(reply.into())).await;
                hold(&mut ws, Duration::from_secs(20)).await;
                return;
            }
            if self.opts.garbage_first {
                for g in [
                    "not json at all",
                    r#"{"stream":"btcusdt@nonsense","data":{}}"#,
                    r#"{"e":"depthUpdate","s":"BTCUSDT","U":"x"}"#,
                ] {
                    let _ = ws.send(Message::Text(g.into())).await;
                }
            }
            let mut sent = 0u64;
            loop {
                let msg = tokio::select! {
                    m = rx.recv() => m,
                    () = tokio::time::sleep(Duration::from_secs(20)) => return,
                };
                let Ok(msg) = msg else { return };
                if msg.contains("depthUpdate") {
                    sent += 1;
                }
                if ws.send(Message::Text(msg.into())).await.is_err() {
                    return;
                }
                if k == 0 && self.opts.close_first_after == Some(sent) {
                    return; // drop the TCP connection mid-stream, no close frame
                }
            }
        })
    }
}

struct SynthRun {
    synth: Arc<Synth>,
    _server: Server,
    out: Collect,
    feed: LiveFeedHandle,
    spec: InstrumentSpec,
}

fn synth_feed(opts: SynthOpts, out: Collect, tune: impl FnOnce(&mut LiveFeedConfig)) -> SynthRun {
    let synth = Synth::new(opts);
    let server = Server::start(Arc::clone(&synth));
    let endpoints = Endpoints {
        ws_book: server.ws("/stream"),
        ws_trades: server.ws("/stream"),
        rest: server.http(),
    };
    let symbols = vec!["BTCUSDT".to_owned()];
    let registry = registry_from(Venue::BinanceUsdm, &endpoints, &symbols);
    let spec = registry.get(registry.lookup(b"BTCUSDT").unwrap().id).spec;
    let mut config = LiveFeedConfig::new(Venue::BinanceUsdm, symbols);
    config.endpoints = endpoints;
    config.backoff = fast_backoff();
    tune(&mut config);
    let feed = spawn_feed(config, registry, out.clone()).unwrap();
    SynthRun {
        synth,
        _server: server,
        out,
        feed,
        spec,
    }
}

impl SynthRun {
    /// Waits until the generator is done and the book is synced at its last id, then checks
    /// the whole book against the server's.
    fn finish_in_sync(self) -> (SynthRun, ladder_engine::feed::live::FeedCounters) {
        let st = Arc::clone(&self.feed.status);
        let synced = wait_until(Duration::from_secs(10), || {
            let i = &st.instruments()[0];
            self.synth.finished.load(Ordering::Acquire)
                && i.state == BookState::Synced
                && i.last_update_id == self.synth.last_u()
        });
        let c = st.counters();
        assert!(
            synced,
            "not synced at the end: {c:?} {:?} server u {} last error {:?}",
            st.instruments()[0],
            self.synth.last_u(),
            st.last_error()
        );
        assert_eq!(
            self.out.levels(Side::Buy, &self.spec, 1000),
            self.synth.levels(Side::Buy),
            "bids"
        );
        assert_eq!(
            self.out.levels(Side::Sell, &self.spec, 1000),
            self.synth.levels(Side::Sell),
            "asks"
        );
        (self, c)
    }
}

fn position(
    states: &[(BookState, Option<StaleReason>)],
    want: (BookState, Option<StaleReason>),
) -> Option<usize> {
    states.iter().position(|s| *s == want)
}

#[test]
fn synthetic_feed_syncs_and_matches_server_book() {
    let run = synth_feed(
        SynthOpts {
            diffs: 120,
            ..SynthOpts::default()
        },
        Collect::new(),
        |_| {},
    );
    let (run, c) = run.finish_in_sync();
    assert_eq!((c.gaps, c.reconnects, c.snapshots, c.resyncs), (0, 0, 1, 0));
    assert_eq!(run.out.inner.lock().unwrap().trades, 120);
    assert!(run.feed.shutdown());
}

#[test]
fn disconnect_mid_stream_goes_stale_then_resyncs_from_new_snapshot() {
    let opts = SynthOpts {
        diffs: 200,
        close_first_after: Some(60),
        ..SynthOpts::default()
    };
    let (run, c) = synth_feed(opts, Collect::new(), |_| {}).finish_in_sync();
    assert_eq!(c.reconnects, 1, "{c:?}");
    assert_eq!(c.snapshots, 2, "{c:?}");
    assert_eq!(c.resyncs, 1, "{c:?}");
    assert_eq!(c.gaps, 0);
    let states = run.out.states();
    let stale = position(&states, (BookState::Stale, Some(StaleReason::Disconnected)))
        .expect("stale on disconnect");
    let first_sync = position(&states, (BookState::Synced, None)).unwrap();
    assert!(first_sync < stale);
    assert_eq!(
        states[stale..],
        [
            (BookState::Stale, Some(StaleReason::Disconnected)),
            (BookState::Connecting, None),
            (BookState::Resyncing, None),
            (BookState::Synced, None),
        ]
    );
    assert_eq!(run.out.inner.lock().unwrap().snapshots, 2);
    let conns = run.feed.status.connections();
    assert_eq!(conns[0].connects, 2);
    assert!(run.feed.shutdown());
}

#[test]
fn dropped_diff_is_a_gap_then_new_snapshot_and_synced_again() {
    let opts = SynthOpts {
        diffs: 150,
        drop_diff: Some(50),
        ..SynthOpts::default()
    };
    let (run, c) = synth_feed(opts, Collect::new(), |_| {}).finish_in_sync();
    assert_eq!(
        (c.gaps, c.snapshots, c.resyncs, c.reconnects),
        (1, 2, 1, 0),
        "{c:?}"
    );
    let states = run.out.states();
    let stale = position(&states, (BookState::Stale, Some(StaleReason::SequenceGap)))
        .expect("stale on gap");
    assert_eq!(
        states[stale + 1..],
        [(BookState::Resyncing, None), (BookState::Synced, None)]
    );
    assert!(
        last_error(&run.feed.status).contains("sequence gap on BTCUSDT"),
        "{:?}",
        run.feed.status.last_error()
    );
    assert_eq!(run.feed.status.instruments()[0].gaps, 1);
    assert!(run.feed.shutdown());
}

#[test]
fn snapshot_older_than_buffered_diffs_is_fetched_again_unseen() {
    let opts = SynthOpts {
        diffs: 150,
        old_snapshot_first: true,
        ..SynthOpts::default()
    };
    let (run, c) = synth_feed(opts, Collect::new(), |_| {}).finish_in_sync();
    assert_eq!(
        (c.stale_snapshots, c.snapshots, c.gaps, c.resyncs),
        (1, 1, 0, 0),
        "{c:?}"
    );
    assert_eq!(run.synth.depth_times.lock().unwrap().len(), 2);
    assert_eq!(
        run.out.inner.lock().unwrap().snapshots,
        1,
        "the old snapshot never reached the output"
    );
    assert_eq!(
        run.out.states(),
        [
            (BookState::Connecting, None),
            (BookState::Syncing, None),
            (BookState::Synced, None)
        ]
    );
    assert!(run.feed.shutdown());
}

#[test]
fn full_output_marks_stale_and_resyncs() {
    // Pushes 40..45 are refused: a ring that was full for a moment.
    let opts = SynthOpts {
        diffs: 150,
        ..SynthOpts::default()
    };
    let (run, c) = synth_feed(opts, Collect::refusing(40, 45), |_| {}).finish_in_sync();
    assert_eq!(c.overflows, 1, "{c:?}");
    assert!(c.undelivered >= 1);
    assert_eq!((c.snapshots, c.resyncs, c.gaps), (2, 1, 0), "{c:?}");
    let states = run.out.states();
    let stale = position(
        &states,
        (BookState::Stale, Some(StaleReason::QueueOverflow)),
    )
    .expect("stale marker delivered");
    assert_eq!(
        states[stale + 1..],
        [(BookState::Resyncing, None), (BookState::Synced, None)]
    );
    assert!(run.feed.shutdown());
}

#[test]
fn resync_request_from_outside_takes_a_new_snapshot() {
    let opts = SynthOpts {
        diffs: 250,
        ..SynthOpts::default()
    };
    let run = synth_feed(opts, Collect::new(), |_| {});
    let st = Arc::clone(&run.feed.status);
    assert!(wait_until(Duration::from_secs(5), || st.all_synced()));
    let id = st.instruments()[0].instrument;
    assert!(run.feed.resync_requester().request(id));
    assert!(
        !run.feed.request_resync(ladder_sdk::InstrumentId::new(42)),
        "not carried"
    );
    let (run, c) = run.finish_in_sync();
    assert_eq!(
        (c.resync_requests, c.snapshots, c.resyncs),
        (1, 2, 1),
        "{c:?}"
    );
    assert!(
        position(
            &run.out.states(),
            (BookState::Stale, Some(StaleReason::QueueOverflow))
        )
        .is_some()
    );
    assert!(run.feed.shutdown());
}

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
    let err = fetch_exchange_info_blocking(Venue::BinanceUsdm, &endpoints, &["BTCUSDT".into()])
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
        let err = fetch_exchange_info_blocking(venue, &endpoints, &symbols).unwrap_err();
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
    let ok = fetch_exchange_info_blocking(Venue::BinanceSpot, &endpoints, &symbols[..1]).unwrap();
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
    let err = fetch_exchange_info_blocking(Venue::BinanceSpot, &endpoints, &["BTCUSDT".into()])
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
