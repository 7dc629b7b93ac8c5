//! OKX v5 live, against a local server speaking its protocol on 127.0.0.1: subscribe and
//! unsubscribe by message with their acknowledgements, the text `ping` answered `pong`,
//! `/api/v5/public/instruments` and `/api/v5/market/books`. It serves either the real 2022
//! `books` recording (`../shared/vectors/okx/cryptofeed_OKX.ws.1.0`) frame by frame, or a
//! synthetic market written from the documented format (`seqId`/`prevSeqId` chains, checksums)
//! that can skip an update, send a wrong checksum, leave the snapshot out (the REST join) or
//! refuse the first subscription. Every test is bounded and stops its feed and server.

use super::*;
use ladder_engine::capture::grid::build_registry;
use ladder_engine::capture::merge::CaptureInput;
use ladder_engine::feed::VenueOptions;
use ladder_engine::feed::live::InstrumentStatus;
use ladder_engine::feed::okx::LiveOptions;
use ladder_engine::feed::okx::checksum::signed_crc32;
use ladder_engine::feed::spawn_feed_with;
use ladder_sdk::InstrumentId;
use std::collections::{HashMap, HashSet};

// ---------------------------------------------------------------- the market a server serves

/// One synthetic instrument: its book in ticks of 0.1 and lots of 0.001, and its chain.
struct Book {
    inst: &'static str,
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
    seq: u64,
}

impl Book {
    fn new(inst: &'static str, mid: i64) -> Self {
        let bids = (1..=30).map(|k| (mid - k, 1000 + 7 * k)).collect();
        let asks = (0..30).map(|k| (mid + k, 1500 + 11 * k)).collect();
        Self {
            inst,
            bids,
            asks,
            seq: 1000,
        }
    }

    fn side(levels: &mut dyn Iterator<Item = (&i64, &i64)>) -> String {
        levels
            .map(|(t, q)| format!(r#"["{}","{}","0","1"]"#, px(*t), qx(*q)))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// OKX's checksum over the top 25 levels, interleaved bid, ask.
    fn checksum(&self) -> i32 {
        let bids: Vec<String> = self
            .bids
            .iter()
            .rev()
            .take(25)
            .map(|(t, q)| format!("{}:{}", px(*t), qx(*q)))
            .collect();
        let asks: Vec<String> = self
            .asks
            .iter()
            .take(25)
            .map(|(t, q)| format!("{}:{}", px(*t), qx(*q)))
            .collect();
        let mut parts = Vec::new();
        for k in 0..bids.len().max(asks.len()) {
            parts.extend(bids.get(k).cloned());
            parts.extend(asks.get(k).cloned());
        }
        signed_crc32(parts.join(":").as_bytes())
    }

    fn data(&self, prev: i64) -> String {
        format!(
            r#""data":[{{"asks":[{}],"bids":[{}],"ts":"1700000000000","checksum":{},"prevSeqId":{prev},"seqId":{}}}]"#,
            Self::side(&mut self.asks.iter()),
            Self::side(&mut self.bids.iter().rev()),
            self.checksum(),
            self.seq
        )
    }

    fn snapshot(&self, bad_checksum: bool) -> String {
        let mut data = self.data(-1);
        if bad_checksum {
            let good = format!(r#""checksum":{}"#, self.checksum());
            data = data.replace(&good, &format!(r#""checksum":{}"#, self.checksum() ^ 1));
        }
        format!(
            r#"{{"arg":{{"channel":"books","instId":"{}"}},"action":"snapshot",{data}}}"#,
            self.inst
        )
    }

    fn rest(&self) -> String {
        format!(
            r#"{{"code":"0","msg":"","data":[{{"asks":[{}],"bids":[{}],"ts":"1700000000000","seqId":{}}}]}}"#,
            Self::side(&mut self.asks.iter()),
            Self::side(&mut self.bids.iter().rev()),
            self.seq
        )
    }

    /// One update of a few levels near the top; `bad_checksum` sends a wrong one.
    fn update(&mut self, rng: &mut u64, bad_checksum: bool) -> String {
        let mut next = || {
            *rng ^= *rng << 13;
            *rng ^= *rng >> 7;
            *rng ^= *rng << 17;
            *rng
        };
        let (mut bids, mut asks) = (Vec::new(), Vec::new());
        let best_ask = *self.asks.keys().next().unwrap();
        for _ in 0..(next() % 3 + 1) {
            let r = next();
            let off = ((r >> 20) % 20) as i64;
            let qty = if r % 5 == 0 {
                0
            } else {
                (r >> 8) as i64 % 4000 + 1
            };
            let (book, list, t) = if r & 0x100_0000 == 0 {
                (&mut self.bids, &mut bids, best_ask - 1 - off)
            } else {
                (&mut self.asks, &mut asks, best_ask + off)
            };
            if qty == 0 {
                if book.len() <= 5 || book.remove(&t).is_none() {
                    continue;
                }
            } else {
                book.insert(t, qty);
            }
            list.push(format!(r#"["{}","{}","0","1"]"#, px(t), qx(qty)));
        }
        let prev = self.seq;
        self.seq += 1 + next() % 7;
        let checksum = self.checksum() ^ i32::from(bad_checksum);
        format!(
            r#"{{"arg":{{"channel":"books","instId":"{}"}},"action":"update","data":[{{"asks":[{}],"bids":[{}],"ts":"1700000000000","checksum":{checksum},"prevSeqId":{prev},"seqId":{}}}]}}"#,
            self.inst,
            asks.join(","),
            bids.join(","),
            self.seq
        )
    }

    fn levels(&self, side: Side) -> Vec<(Decimal, Decimal)> {
        let f = |(t, q): (&i64, &i64)| (dec(&px(*t)), dec(&qx(*q)));
        match side {
            Side::Buy => self.bids.iter().rev().map(f).collect(),
            Side::Sell => self.asks.iter().map(f).collect(),
        }
    }
}

/// What the synthetic server does.
#[derive(Clone, Default)]
pub(super) struct Script {
    /// Update rounds (each: one update per instrument, 4 ms apart).
    pub(super) rounds: u64,
    /// Leave the snapshot out of every subscription (OKX's REST join).
    pub(super) no_snapshot: bool,
    /// `(round, instrument)` whose update is never sent: a `prevSeqId` break.
    pub(super) skip: Option<(u64, usize)>,
    /// `(round, instrument)` whose update carries a wrong checksum.
    pub(super) bad_checksum: Option<(u64, usize)>,
    /// Answer the first connection's subscription with an error event.
    pub(super) error_first: bool,
    /// This instrument's every snapshot carries a wrong checksum.
    pub(super) bad_snapshots: Option<usize>,
}

/// A message of the market for the connections: `(instrument, seqId, frame)`; trades carry
/// `u64::MAX`.
type Push = (usize, u64, String);

pub(super) struct OkxApp {
    script: Script,
    books: Mutex<Vec<Book>>,
    /// The real recording's frames, served in place of the synthetic market.
    replay: Option<Vec<String>>,
    /// `(instId, tickSz, lotSz)` the instruments endpoint lists.
    specs: Vec<(String, String, String)>,
    tx: broadcast::Sender<Push>,
    started: AtomicBool,
    finished: AtomicBool,
    conns: AtomicU64,
    /// Every text frame a client sent, in order.
    pub(super) received: Mutex<Vec<String>>,
    /// Query strings of `/api/v5/market/books`.
    pub(super) book_queries: Mutex<Vec<String>>,
}

pub(super) const INSTS: [&str; 2] = ["BTC-USDT", "ETH-USDT"];

impl OkxApp {
    pub(super) fn synthetic(script: Script) -> Arc<Self> {
        Arc::new(Self {
            script,
            books: Mutex::new(vec![
                Book::new(INSTS[0], 300_000),
                Book::new(INSTS[1], 20_000),
            ]),
            replay: None,
            specs: INSTS
                .iter()
                .map(|i| ((*i).to_owned(), "0.1".to_owned(), "0.001".to_owned()))
                .collect(),
            tx: broadcast::channel(100_000).0,
            started: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            conns: AtomicU64::new(0),
            received: Mutex::new(Vec::new()),
            book_queries: Mutex::new(Vec::new()),
        })
    }

    fn replaying(frames: Vec<String>, specs: Vec<(String, String, String)>) -> Arc<Self> {
        let mut app = Arc::into_inner(Self::synthetic(Script::default())).unwrap();
        app.replay = Some(frames);
        app.specs = specs;
        Arc::new(app)
    }

    fn inst_index(&self, inst: &str) -> Option<usize> {
        INSTS.iter().position(|i| *i == inst)
    }

    /// The update generator: one update per instrument per round, the script's faults.
    fn start(self: &Arc<Self>) {
        if self.started.swap(true, Ordering::AcqRel) || self.replay.is_some() {
            return;
        }
        let me = Arc::clone(self);
        tokio::spawn(async move {
            let mut rng = 0x9E37_79B9_u64;
            for round in 1..=me.script.rounds {
                tokio::time::sleep(Duration::from_millis(4)).await;
                let mut books = me.books.lock().unwrap();
                for (k, book) in books.iter_mut().enumerate() {
                    let bad = me.script.bad_checksum == Some((round, k));
                    let frame = book.update(&mut rng, bad);
                    if me.script.skip != Some((round, k)) {
                        let _ = me.tx.send((k, book.seq, frame));
                    }
                }
                if round % 10 == 0 {
                    let trade = format!(
                        r#"{{"arg":{{"channel":"trades","instId":"BTC-USDT"}},"data":[{{"instId":"BTC-USDT","tradeId":"{round}","px":"30000.1","sz":"0.001","side":"buy","ts":"1700000000000","count":"1","source":"0","seqId":{round}}}]}}"#
                    );
                    let _ = me.tx.send((0, u64::MAX, trade));
                }
            }
            me.finished.store(true, Ordering::Release);
        });
    }

    fn unsubscribes(&self, inst: &str) -> usize {
        let needle = format!(r#""instId":"{inst}""#);
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|t| t.contains(r#""op":"unsubscribe""#) && t.contains(&needle))
            .count()
    }

    fn book_levels(&self, k: usize, side: Side) -> Vec<(Decimal, Decimal)> {
        self.books.lock().unwrap()[k].levels(side)
    }

    fn last_seq(&self, k: usize) -> u64 {
        self.books.lock().unwrap()[k].seq
    }
}

/// The `(channel, instId)` pairs of a subscribe or unsubscribe request.
fn args(request: &serde_json::Value) -> Vec<(String, String)> {
    request["args"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    let s = |k: &str| x[k].as_str().unwrap_or("").to_owned();
                    (s("channel"), s("instId"))
                })
                .collect()
        })
        .unwrap_or_default()
}

impl App for OkxApp {
    fn http(&self, path: &str, query: &str) -> Reply {
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .unwrap_or("")
                .to_owned()
        };
        match path {
            "/api/v5/public/instruments" => {
                let inst = param("instId");
                match self.specs.iter().find(|(i, _, _)| *i == inst) {
                    Some((i, tick, lot)) => Reply::ok(format!(
                        r#"{{"code":"0","msg":"","data":[{{"instType":"{}","instId":"{i}","tickSz":"{tick}","lotSz":"{lot}","state":"live"}}]}}"#,
                        param("instType")
                    )),
                    None => Reply::ok(
                        r#"{"code":"51001","msg":"Instrument ID does not exist","data":[]}"#,
                    ),
                }
            }
            "/api/v5/market/books" => {
                self.book_queries.lock().unwrap().push(query.to_owned());
                let books = self.books.lock().unwrap();
                match self.inst_index(&param("instId")) {
                    Some(k) => Reply::ok(books[k].rest()),
                    None => Reply::ok(
                        r#"{"code":"51001","msg":"Instrument ID does not exist","data":[]}"#,
                    ),
                }
            }
            _ => Reply::status(404, r#"{"code":"404","msg":"not found"}"#),
        }
    }

    fn ws(self: Arc<Self>, _path: String, _query: String, mut ws: Ws) -> BoxFut {
        Box::pin(async move {
            let conn = self.conns.fetch_add(1, Ordering::AcqRel);
            let mut rx = self.tx.subscribe();
            // Per instrument: the seqId its subscription started after (books), and trades.
            let mut books_from: HashMap<usize, u64> = HashMap::new();
            let mut trades: HashSet<usize> = HashSet::new();
            let deadline = tokio::time::sleep(Duration::from_secs(30));
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    () = &mut deadline => return,
                    msg = ws.next() => {
                        let Some(Ok(msg)) = msg else { return };
                        let Message::Text(text) = msg else { continue };
                        let text = text.to_string();
                        self.received.lock().unwrap().push(text.clone());
                        if text == "ping" {
                            if ws.send(Message::Text("pong".into())).await.is_err() {
                                return;
                            }
                            continue;
                        }
                        let Ok(request) = serde_json::from_str::<serde_json::Value>(&text) else {
                            continue;
                        };
                        let op = request["op"].as_str().unwrap_or("").to_owned();
                        if conn == 0 && self.script.error_first && op == "subscribe" {
                            let e = r#"{"event":"error","code":"60012","msg":"Invalid request: {\"op\": \"subscribe\"}","connId":"c0"}"#;
                            let _ = ws.send(Message::Text(e.into())).await;
                            continue;
                        }
                        let mut out = Vec::new();
                        for (channel, inst) in args(&request) {
                            out.push(format!(
                                r#"{{"event":"{op}","arg":{{"channel":"{channel}","instId":"{inst}"}},"connId":"c{conn}"}}"#
                            ));
                            if let Some(frames) = &self.replay {
                                let book = channel.starts_with("books") || channel == "bbo-tbt";
                                if op == "subscribe" && book && books_from.is_empty() {
                                    books_from.insert(0, 0);
                                    out.extend(frames.iter().cloned());
                                }
                                continue;
                            }
                            let Some(k) = self.inst_index(&inst) else { continue };
                            match (op.as_str(), channel.as_str()) {
                                ("subscribe", "books") => {
                                    let books = self.books.lock().unwrap();
                                    books_from.insert(k, books[k].seq);
                                    if !self.script.no_snapshot {
                                        let bad = self.script.bad_snapshots == Some(k);
                                        out.push(books[k].snapshot(bad));
                                    }
                                }
                                ("unsubscribe", "books") => {
                                    books_from.remove(&k);
                                }
                                ("subscribe", "trades") => {
                                    trades.insert(k);
                                }
                                _ => {}
                            }
                        }
                        for frame in out {
                            if ws.send(Message::Text(frame.into())).await.is_err() {
                                return;
                            }
                        }
                        if op == "subscribe" {
                            self.start();
                        }
                    }
                    push = rx.recv() => {
                        let Ok((k, seq, frame)) = push else { return };
                        let wanted = if seq == u64::MAX {
                            trades.contains(&k)
                        } else {
                            books_from.get(&k).is_some_and(|from| seq > *from)
                        };
                        if wanted && ws.send(Message::Text(frame.into())).await.is_err() {
                            return;
                        }
                    }
                }
            }
        })
    }
}

// ---------------------------------------------------------------- the feed's output

/// Every instrument's book as the output saw it, its states and the trades.
#[derive(Clone, Default)]
struct Books {
    inner: Arc<Mutex<BooksInner>>,
}

#[derive(Default)]
struct BooksInner {
    books: HashMap<InstrumentId, L2Book>,
    states: HashMap<InstrumentId, Vec<(BookState, Option<StaleReason>)>>,
    trades: u64,
}

impl FeedOutput for Books {
    fn push(&mut self, event: MarketEvent) -> bool {
        let mut c = self.inner.lock().unwrap();
        let c = &mut *c;
        match event {
            MarketEvent::SnapshotBegin(m) => c
                .books
                .entry(m.instrument)
                .or_insert_with(|| L2Book::new(BookConfig::default()))
                .clear(),
            MarketEvent::BookDelta(d) => c
                .books
                .entry(d.instrument)
                .or_insert_with(|| L2Book::new(BookConfig::default()))
                .apply(d.side, d.price, d.qty),
            MarketEvent::Trade(_) => c.trades += 1,
            MarketEvent::Status(s) => c
                .states
                .entry(s.instrument)
                .or_default()
                .push((s.state, s.reason)),
            MarketEvent::SnapshotEnd(_) | MarketEvent::Bbo(_) => {}
        }
        true
    }
}

impl Books {
    fn levels(
        &self,
        id: InstrumentId,
        spec: &InstrumentSpec,
        side: Side,
        n: usize,
    ) -> Vec<(Decimal, Decimal)> {
        let c = self.inner.lock().unwrap();
        c.books
            .get(&id)
            .map(|b| b.levels(side).take(n).map(|l| dec_level(spec, l)).collect())
            .unwrap_or_default()
    }

    fn states(&self, id: InstrumentId) -> Vec<(BookState, Option<StaleReason>)> {
        self.inner
            .lock()
            .unwrap()
            .states
            .get(&id)
            .cloned()
            .unwrap_or_default()
    }
}

// ---------------------------------------------------------------- running a feed

struct Run {
    app: Arc<OkxApp>,
    server: Server,
    out: Books,
    feed: LiveFeedHandle,
    registry: Arc<Registry>,
}

fn okx_feed(app: Arc<OkxApp>, symbols: &[&str], options: LiveOptions) -> Run {
    let server = Server::start(Arc::clone(&app));
    let endpoints = Endpoints {
        ws_book: server.ws("/ws/v5/public"),
        ws_trades: server.ws("/ws/v5/public"),
        rest: server.http(),
    };
    let symbols: Vec<String> = symbols.iter().map(|s| (*s).to_owned()).collect();
    let registry = registry_from(Venue::Okx, &endpoints, &symbols);
    let mut config = LiveFeedConfig::new(Venue::Okx, symbols);
    config.endpoints = endpoints;
    config.backoff = fast_backoff();
    let out = Books::default();
    let feed = spawn_feed_with(
        config,
        &VenueOptions::Okx(options),
        Arc::clone(&registry),
        out.clone(),
    )
    .unwrap();
    Run {
        app,
        server,
        out,
        feed,
        registry,
    }
}

impl Run {
    fn id(&self, inst: &str) -> (InstrumentId, InstrumentSpec) {
        let i = self.registry.lookup(Venue::Okx, inst.as_bytes()).unwrap();
        (i.id, i.spec)
    }

    /// Waits until the generator is done and every book is synced at the server's last
    /// `seqId`, then checks each whole book against the server's.
    fn finish_in_sync(&self) {
        let st = Arc::clone(&self.feed.status);
        let synced = wait_until(Duration::from_secs(15), || {
            self.app.finished.load(Ordering::Acquire)
                && st.instruments().iter().enumerate().all(|(k, i)| {
                    i.state == BookState::Synced && i.last_update_id == self.app.last_seq(k)
                })
        });
        assert!(
            synced,
            "not synced at the end: {:?} {:?} last error {:?}",
            st.counters(),
            st.instruments(),
            st.last_error()
        );
        for (k, inst) in INSTS.iter().enumerate() {
            let (id, spec) = self.id(inst);
            for side in [Side::Buy, Side::Sell] {
                assert_eq!(
                    self.out.levels(id, &spec, side, 1000),
                    self.app.book_levels(k, side),
                    "{inst} {side:?}"
                );
            }
        }
    }

    fn stop(self) {
        self.feed.stop();
        drop(self.server);
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
    let report = inspect(
        &[CaptureInput {
            path,
            venue: Venue::Okx,
        }],
        &InspectOptions {
            depth: 25,
            grid: None,
        },
    )
    .unwrap();
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
        let (id, spec) = run.id(s);
        let expected = &report.instruments[&format!("okx:{s}")];
        let want = |rows: &[[String; 2]]| {
            rows.iter()
                .map(|[p, q]| (dec(p), dec(q)))
                .collect::<Vec<_>>()
        };
        assert!(!expected.bids.is_empty());
        assert_eq!(
            run.out.levels(id, &spec, Side::Buy, 25),
            want(&expected.bids),
            "{s} bids"
        );
        assert_eq!(
            run.out.levels(id, &spec, Side::Sell, 25),
            want(&expected.asks),
            "{s} asks"
        );
        assert_eq!(
            run.out.states(id),
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
    let (swap, spec) = run.id("BTC-USDT-SWAP");
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
    let want = |rows: &[[String; 2]]| {
        rows.iter()
            .map(|[p, q]| (dec(p), dec(q)))
            .collect::<Vec<_>>()
    };
    assert_eq!(expected.bids.len(), 5);
    assert_eq!(
        run.out.levels(swap, &spec, Side::Buy, 5),
        want(&expected.bids)
    );
    assert_eq!(
        run.out.levels(swap, &spec, Side::Sell, 5),
        want(&expected.asks)
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
    let (btc, _) = run.id("BTC-USDT");
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
    let (eth, _) = run.id("ETH-USDT");
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
    let (eth, _) = run.id("ETH-USDT");
    assert!(wait_until(Duration::from_secs(5), || st.book_state(eth)
        == Some(BookState::Synced)));
    std::thread::sleep(Duration::from_secs(3));
    // Spacing 0, 250 ms, 500 ms, 1 s, 2 s: four or five in about three seconds (a storm would
    // resubscribe once per round trip, hundreds of times).
    let n = run.app.unsubscribes("BTC-USDT");
    assert!((3..=5).contains(&n), "{n} resubscriptions");
    assert_eq!(run.app.unsubscribes("ETH-USDT"), 0);
    let (btc, _) = run.id("BTC-USDT");
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
    let (eth, _) = run.id("ETH-USDT");
    let st = Arc::clone(&run.feed.status);
    assert!(wait_until(Duration::from_secs(5), || st.book_state(eth)
        == Some(BookState::Synced)));
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        run.app.unsubscribes("BTC-USDT"),
        2,
        "then the hour is used up"
    );
    let (btc, _) = run.id("BTC-USDT");
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
