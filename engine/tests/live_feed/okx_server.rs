//! The local OKX v5 server of the OKX live tests (`okx.rs`, `okx_cli.rs`) on 127.0.0.1:
//! subscribe and unsubscribe by message with their acknowledgements, the text `ping` answered
//! `pong`, `/api/v5/public/instruments` and `/api/v5/market/books`. It serves either a real
//! recording frame by frame, or a synthetic market written from the documented format
//! (`seqId`/`prevSeqId` chains, checksums) that can skip an update, send a wrong checksum or a
//! faulty snapshot, leave the snapshot out (the REST join) or refuse the first subscription.

use super::*;
use ladder_engine::feed::okx::checksum::signed_crc32;
use std::collections::{HashMap, HashSet};

// ---------------------------------------------------------------- the market a server serves

/// One synthetic instrument: its book in ticks of 0.1 and lots of 0.001, and its chain.
pub(super) struct Book {
    pub(super) inst: &'static str,
    pub(super) bids: BTreeMap<i64, i64>,
    pub(super) asks: BTreeMap<i64, i64>,
    pub(super) seq: u64,
}

impl Book {
    pub(super) fn new(inst: &'static str, mid: i64) -> Self {
        let bids = (1..=30).map(|k| (mid - k, 1000 + 7 * k)).collect();
        let asks = (0..30).map(|k| (mid + k, 1500 + 11 * k)).collect();
        Self {
            inst,
            bids,
            asks,
            seq: 1000,
        }
    }

    pub(super) fn side(levels: &mut dyn Iterator<Item = (&i64, &i64)>) -> String {
        levels
            .map(|(t, q)| format!(r#"["{}","{}","0","1"]"#, px(*t), qx(*q)))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// OKX's checksum over the top 25 levels, interleaved bid, ask.
    pub(super) fn checksum(&self) -> i32 {
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

    pub(super) fn data(&self, prev: i64) -> String {
        format!(
            r#""data":[{{"asks":[{}],"bids":[{}],"ts":"1700000000000","checksum":{},"prevSeqId":{prev},"seqId":{}}}]"#,
            Self::side(&mut self.asks.iter()),
            Self::side(&mut self.bids.iter().rev()),
            self.checksum(),
            self.seq
        )
    }

    pub(super) fn snapshot(&self, bad_checksum: bool) -> String {
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

    pub(super) fn rest(&self) -> String {
        format!(
            r#"{{"code":"0","msg":"","data":[{{"asks":[{}],"bids":[{}],"ts":"1700000000000","seqId":{}}}]}}"#,
            Self::side(&mut self.asks.iter()),
            Self::side(&mut self.bids.iter().rev()),
            self.seq
        )
    }

    /// One update of a few levels near the top; `bad_checksum` sends a wrong one.
    pub(super) fn update(&mut self, rng: &mut u64, bad_checksum: bool) -> String {
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

    pub(super) fn levels(&self, side: Side) -> Vec<(Decimal, Decimal)> {
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
pub(super) type Push = (usize, u64, String);

pub(super) struct OkxApp {
    pub(super) script: Script,
    pub(super) books: Mutex<Vec<Book>>,
    /// The real recording's frames, served in place of the synthetic market.
    pub(super) replay: Option<Vec<String>>,
    /// `(instId, tickSz, lotSz)` the instruments endpoint lists.
    pub(super) specs: Vec<(String, String, String)>,
    pub(super) tx: broadcast::Sender<Push>,
    pub(super) started: AtomicBool,
    pub(super) finished: AtomicBool,
    pub(super) conns: AtomicU64,
    /// When each WebSocket connection was accepted.
    pub(super) conn_times: Mutex<Vec<Instant>>,
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
            conn_times: Mutex::new(Vec::new()),
            received: Mutex::new(Vec::new()),
            book_queries: Mutex::new(Vec::new()),
        })
    }

    pub(super) fn replaying(
        frames: Vec<String>,
        specs: Vec<(String, String, String)>,
    ) -> Arc<Self> {
        let mut app = Arc::into_inner(Self::synthetic(Script::default())).unwrap();
        app.replay = Some(frames);
        app.specs = specs;
        Arc::new(app)
    }

    pub(super) fn inst_index(&self, inst: &str) -> Option<usize> {
        INSTS.iter().position(|i| *i == inst)
    }

    /// The update generator: one update per instrument per round, the script's faults.
    pub(super) fn start(self: &Arc<Self>) {
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

    pub(super) fn unsubscribes(&self, inst: &str) -> usize {
        let needle = format!(r#""instId":"{inst}""#);
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|t| t.contains(r#""op":"unsubscribe""#) && t.contains(&needle))
            .count()
    }

    pub(super) fn book_levels(&self, k: usize, side: Side) -> Vec<(Decimal, Decimal)> {
        self.books.lock().unwrap()[k].levels(side)
    }

    pub(super) fn last_seq(&self, k: usize) -> u64 {
        self.books.lock().unwrap()[k].seq
    }
}

/// The `(channel, instId)` pairs of a subscribe or unsubscribe request.
pub(super) fn args(request: &serde_json::Value) -> Vec<(String, String)> {
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
            self.conn_times.lock().unwrap().push(Instant::now());
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
