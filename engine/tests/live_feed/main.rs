//! Live feed connectors against local servers on 127.0.0.1 written here: a replay of the real
//! Binance vectors in the combined-stream format (USD-M over `/public` + `/market`, spot over
//! one connection), a synthetic futures venue that serves fresh snapshots (disconnects, gaps,
//! overflows, REST faults), a silent server, a closed port and a plain TCP port behind `wss://`,
//! OKX v5 (`okx.rs`: its real 2022 recording and a synthetic market with its faults), and
//! Kraken v2 (`kraken.rs`: its real 2026 recordings, a corrupted checksum, a refusal).
//! Every test is bounded (well under 15 s) and stops its feed and server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::{SinkExt, StreamExt};
use ladder_engine::book::{BookConfig, L2Book};
use ladder_engine::capture::merge::CaptureInput;
use ladder_engine::feed::live::Endpoints;
use ladder_engine::feed::live::{
    BackoffConfig, FeedError, FeedOutput, FeedStatus, LiveFeedConfig, LiveFeedHandle,
};
use ladder_engine::feed::{
    Venue, VenueOptions, fetch_instruments_blocking, spawn_feed, spawn_feed_with,
};
use ladder_engine::inspect::{InspectOptions, InspectReport, InstrumentReport, inspect};
use ladder_engine::instrument::Registry;
use ladder_sdk::{
    BookState, BookStatus, InstrumentId, InstrumentSpec, Level, MarketEvent, Side, StaleReason,
};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap, VecDeque};
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

use common::shared;

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
    /// Send no `Content-Length`: the body ends when the connection closes.
    no_length: bool,
}

impl Reply {
    fn ok(body: impl Into<String>) -> Self {
        Self {
            status: 200,
            body: body.into(),
            headers: vec![("X-MBX-USED-WEIGHT-1m", "20".into())],
            no_length: false,
        }
    }

    fn status(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: body.into(),
            headers: Vec::new(),
            no_length: false,
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
        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nConnection: close\r\n",
        reply.status
    );
    if !reply.no_length {
        out.push_str(&format!("Content-Length: {}\r\n", reply.body.len()));
    }
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

/// `ladder inspect`'s report of the capture at `path` read as `venue`, books to `depth` levels.
fn inspect_capture(path: &Path, venue: Venue, depth: usize) -> InspectReport {
    inspect(
        &[CaptureInput {
            path: path.to_path_buf(),
            venue,
        }],
        &InspectOptions { depth, grid: None },
    )
    .unwrap()
}

/// A report's levels (`[["price", "qty"], ..]`) as decimals.
fn report_levels(rows: &[[String; 2]]) -> Vec<(Decimal, Decimal)> {
    rows.iter().map(|[p, q]| (dec(p), dec(q))).collect()
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
    for (s, spec) in fetch_instruments_blocking(venue, endpoints, symbols).unwrap() {
        r.add(venue, &s, spec).unwrap();
    }
    Arc::new(r)
}

fn last_error(status: &FeedStatus) -> String {
    status.last_error().map(|e| e.text).unwrap_or_default()
}

// ---------------------------------------------------------------- the feed's output, per instrument

/// Books, states and trades of every instrument of a feed (Bybit, Coinbase, Kraken, OKX, the
/// stream-snapshot venue).
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

// ---------------------------------------------------------------- one venue's feed on a local server

/// A venue's live feed against its local server (`app`), with its output per instrument: what
/// the Bybit, Coinbase, Kraken and OKX tests start.
struct VenueRun<A> {
    app: Arc<A>,
    server: Server,
    feed: LiveFeedHandle,
    out: Out,
    registry: Arc<Registry>,
    venue: Venue,
}

/// Serves `app` on 127.0.0.1 and starts `venue`'s feed of `symbols` on it: books and trades on
/// the WebSocket path `ws_path`, instruments and snapshots on its HTTP root, the fast backoff,
/// then `tune` for anything else.
fn venue_run<A: App>(
    app: Arc<A>,
    venue: Venue,
    ws_path: &str,
    symbols: Vec<String>,
    options: &VenueOptions,
    tune: impl FnOnce(&mut LiveFeedConfig),
) -> VenueRun<A> {
    let server = Server::start(Arc::clone(&app));
    let endpoints = Endpoints {
        ws_book: server.ws(ws_path),
        ws_trades: server.ws(ws_path),
        rest: server.http(),
    };
    let registry = registry_from(venue, &endpoints, &symbols);
    let mut config = LiveFeedConfig::new(venue, symbols);
    config.endpoints = endpoints;
    config.backoff = fast_backoff();
    tune(&mut config);
    let out = Out::default();
    let feed = spawn_feed_with(config, options, Arc::clone(&registry), out.clone()).unwrap();
    VenueRun {
        app,
        server,
        feed,
        out,
        registry,
        venue,
    }
}

/// `symbol`'s id on `venue` (usable once a run's feed is shut down: it borrows the registry
/// alone).
fn id_of(registry: &Registry, venue: Venue, symbol: &str) -> InstrumentId {
    registry.lookup(venue, symbol.as_bytes()).unwrap().id
}

impl<A> VenueRun<A> {
    fn id(&self, symbol: &str) -> InstrumentId {
        id_of(&self.registry, self.venue, symbol)
    }

    fn spec(&self, symbol: &str) -> InstrumentSpec {
        self.registry.get(self.id(symbol)).spec
    }

    /// `symbol`'s book side as the feed built it, best first.
    fn levels(&self, symbol: &str, side: Side) -> Vec<(Decimal, Decimal)> {
        self.out.levels(self.id(symbol), side, &self.spec(symbol))
    }

    /// `symbol`'s best `n` levels of `side`.
    fn top(&self, symbol: &str, side: Side, n: usize) -> Vec<(Decimal, Decimal)> {
        let mut levels = self.levels(symbol, side);
        levels.truncate(n);
        levels
    }

    /// Every state `symbol`'s book went through, with its reason.
    fn states(&self, symbol: &str) -> Vec<(BookState, Option<StaleReason>)> {
        self.out.states(self.id(symbol))
    }

    /// `symbol`'s book holds exactly the server's levels (`server`: bids, asks, best first),
    /// and its top 10 a side are `want`'s (`ladder inspect`'s of the same capture).
    fn assert_book_is_servers_and_inspects(
        &self,
        symbol: &str,
        server: [&[(Decimal, Decimal)]; 2],
        want: &InstrumentReport,
    ) {
        let (bids, asks) = (
            self.levels(symbol, Side::Buy),
            self.levels(symbol, Side::Sell),
        );
        assert_eq!(
            [&bids[..], &asks[..]],
            server,
            "{symbol}: the server's book"
        );
        assert_eq!(
            bids[..10],
            report_levels(&want.bids)[..],
            "{symbol} top 10 bids"
        );
        assert_eq!(
            asks[..10],
            report_levels(&want.asks)[..],
            "{symbol} top 10 asks"
        );
    }

    /// `symbol`'s best bid and best ask prices.
    fn best_prices(&self, symbol: &str) -> (Decimal, Decimal) {
        (
            self.levels(symbol, Side::Buy)[0].0,
            self.levels(symbol, Side::Sell)[0].0,
        )
    }

    /// Waits up to 15 s for `done`; fails the test with the feed's counters, instruments and
    /// last error if it never holds.
    fn wait_for(&self, done: impl FnMut() -> bool) {
        let st = &self.feed.status;
        assert!(
            wait_until(Duration::from_secs(15), done),
            "{:?} {:?} last error {:?}",
            st.counters(),
            st.instruments(),
            st.last_error()
        );
    }

    /// Stops the feed, then the server.
    fn stop(self) {
        self.feed.stop();
        drop(self.server);
    }
}

fn position(
    states: &[(BookState, Option<StaleReason>)],
    want: (BookState, Option<StaleReason>),
) -> Option<usize> {
    states.iter().position(|s| *s == want)
}

mod bybit;
mod bybit_cli;
mod bybit_server;
mod coinbase;
mod coinbase_cli;
mod coinbase_server;
#[path = "../common/mod.rs"]
mod common;
mod errors;
mod kraken;
mod kraken_cli;
mod kraken_server;
mod limits;
mod okx;
mod okx_cli;
mod okx_server;
mod replay;
mod stream_venue;
mod synth;
mod synthetic;

use synth::*;
