//! A local server that speaks Kraken WebSocket v2 public market data, for the live tests: the
//! `status` frame on open (its `connection_id` above `i64::MAX`), `book` and `trade`
//! subscriptions acknowledged per symbol (a refusal of one symbol's book on the first
//! connection on request), `unsubscribe` honoured, `{"method":"ping"}` answered with a pong,
//! `/0/public/AssetPairs` served for both symbols, and the real v2 recordings replayed frame by
//! frame (one every [`PACE`]) to the symbols subscribed, on each connection from the start:
//! `capture_ccxt_v2_book_BTCUSD_20260812.txt` as `BTC/USD` and
//! `capture_ccxt_v2_book_BTCUSD_20261006_resnapshot.txt` (its second snapshot included) as
//! `ETH/USD` (the same BTC/USD frames under a second name: two symbols, one of which can go
//! wrong while the other stays synced). The server keeps each book as it replays, so a
//! resubscription gets a snapshot of the book as it stands, with its checksum; it can change
//! one digit of one frame as sent.

use super::*;
use std::collections::{HashMap, HashSet};

/// The recordings and the symbol each is served as.
pub(super) const VECTORS: [(&str, &str); 2] = [
    (
        "BTC/USD",
        "vectors/kraken/capture_ccxt_v2_book_BTCUSD_20260812.txt",
    ),
    (
        "ETH/USD",
        "vectors/kraken/capture_ccxt_v2_book_BTCUSD_20261006_resnapshot.txt",
    ),
];

/// Time between two replayed frames.
pub(super) const PACE: Duration = Duration::from_millis(30);

/// The book frames of every recording as `(symbol, frame)`, interleaved recording by
/// recording, the recorded symbol replaced by the one served; `None` when a recording is
/// missing.
fn book_frames() -> Option<Vec<(String, String)>> {
    let mut per: Vec<Vec<(String, String)>> = Vec::new();
    for (symbol, rel) in VECTORS {
        let text = std::fs::read_to_string(shared(rel)?).unwrap();
        per.push(
            text.lines()
                .filter_map(|l| l.split_once(' ').map(|(_, f)| f))
                .filter(|f| f.starts_with(r#"{"channel":"book""#))
                .map(|f| (symbol.to_owned(), f.replace("BTC/USD", symbol)))
                .collect(),
        );
    }
    let longest = per.iter().map(Vec::len).max().unwrap_or(0);
    Some(
        (0..longest)
            .flat_map(|k| per.iter().filter_map(move |p| p.get(k).cloned()))
            .collect(),
    )
}

/// The `(price, qty)` texts of one side (`"bids"` or `"asks"`) of a v2 book frame, as written.
pub(super) fn side_texts(frame: &str, side: &str) -> Vec<(String, String)> {
    let start = frame.find(&format!("\"{side}\":[")).unwrap() + side.len() + 4;
    let end = start + frame[start..].find(']').unwrap();
    frame[start..end]
        .split('}')
        .filter(|l| l.contains("\"price\""))
        .map(|l| {
            let value = |key: &str| {
                let at = l.find(&format!("\"{key}\":")).unwrap() + key.len() + 3;
                l[at..].split([',', '}']).next().unwrap().trim().to_owned()
            };
            (value("price"), value("qty"))
        })
        .collect()
}

/// One side as the server holds it: price to the wire texts.
type Side2 = BTreeMap<Decimal, (String, String)>;

/// One book as the server replays it, truncated at the recording's depth (10).
#[derive(Default, Clone)]
pub(super) struct ServerBook {
    pub(super) bids: Side2,
    pub(super) asks: Side2,
}

impl ServerBook {
    const DEPTH: usize = 10;

    fn apply(&mut self, frame: &str) {
        if frame.contains(r#""type":"snapshot""#) {
            self.bids.clear();
            self.asks.clear();
        }
        for (key, side) in [("bids", &mut self.bids), ("asks", &mut self.asks)] {
            for (p, q) in side_texts(frame, key) {
                if dec(&q).is_zero() {
                    side.remove(&dec(&p));
                } else {
                    side.insert(dec(&p), (p, q));
                }
            }
        }
        while self.bids.len() > Self::DEPTH {
            self.bids.pop_first();
        }
        while self.asks.len() > Self::DEPTH {
            self.asks.pop_last();
        }
    }

    /// Bids best first.
    pub(super) fn bids(&self) -> Vec<(Decimal, Decimal)> {
        self.bids
            .values()
            .rev()
            .map(|(p, q)| (dec(p), dec(q)))
            .collect()
    }

    /// Asks best first.
    pub(super) fn asks(&self) -> Vec<(Decimal, Decimal)> {
        self.asks.values().map(|(p, q)| (dec(p), dec(q))).collect()
    }

    /// Kraken's CRC32 of the top 10 asks then bids (`docs/venues.md` §5.3).
    fn checksum(&self) -> u32 {
        let mut text = String::new();
        let digits = |t: &str| t.replace('.', "").trim_start_matches('0').to_owned();
        for (p, q) in self
            .asks
            .values()
            .take(10)
            .chain(self.bids.values().rev().take(10))
        {
            text.push_str(&digits(p));
            text.push_str(&digits(q));
        }
        crc32fast::hash(text.as_bytes())
    }

    fn snapshot(&self, symbol: &str) -> String {
        let levels = |it: &mut dyn Iterator<Item = &(String, String)>| {
            it.map(|(p, q)| format!(r#"{{"price":{p},"qty":{q}}}"#))
                .collect::<Vec<_>>()
                .join(",")
        };
        format!(
            r#"{{"channel":"book","type":"snapshot","data":[{{"symbol":"{symbol}","bids":[{}],"asks":[{}],"checksum":{},"timestamp":"2026-10-06T08:05:00.000000Z"}}]}}"#,
            levels(&mut self.bids.values().rev()),
            levels(&mut self.asks.values()),
            self.checksum()
        )
    }
}

/// What the server does besides replaying.
#[derive(Default, Clone)]
pub(super) struct KrakenOpts {
    /// The nth frame (1-based) of this symbol is sent with the last digit of its first level's
    /// quantity changed (the server's own book keeps the recorded value).
    pub(super) corrupt: Option<(&'static str, usize)>,
    /// The first connection's book subscription of this symbol is refused.
    pub(super) refuse: Option<&'static str>,
}

pub(super) struct KrakenApp {
    frames: Vec<(String, String)>,
    opts: KrakenOpts,
    pub(super) conns: AtomicU64,
    /// Every text frame the client sent, in order.
    received: Mutex<Vec<String>>,
    /// The replay of some connection is done.
    pub(super) finished: AtomicBool,
    /// The final book of each symbol, by the server's replay.
    pub(super) books: Mutex<HashMap<String, ServerBook>>,
}

impl KrakenApp {
    /// `None` when the recordings are not present.
    pub(super) fn new(opts: KrakenOpts) -> Option<Arc<Self>> {
        Some(Arc::new(Self {
            frames: book_frames()?,
            opts,
            conns: AtomicU64::new(0),
            received: Mutex::new(Vec::new()),
            finished: AtomicBool::new(false),
            books: Mutex::new(HashMap::new()),
        }))
    }

    /// `(method, channel, symbols)` of every request the client sent.
    pub(super) fn requests(&self) -> Vec<(String, String, Vec<String>)> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter_map(|t| serde_json::from_str::<serde_json::Value>(t).ok())
            .map(|v| {
                let p = &v["params"];
                let symbols = p["symbol"].as_array().map_or_else(Vec::new, |a| {
                    a.iter().map(|x| x.as_str().unwrap().to_owned()).collect()
                });
                (
                    v["method"].as_str().unwrap_or("").to_owned(),
                    p["channel"].as_str().unwrap_or("").to_owned(),
                    symbols,
                )
            })
            .collect()
    }

    /// Requests of `method` on the book channel naming `symbol`.
    pub(super) fn count_book(&self, method: &str, symbol: &str) -> usize {
        self.requests()
            .iter()
            .filter(|(m, c, s)| m == method && c == "book" && s.iter().any(|x| x == symbol))
            .count()
    }

    pub(super) fn count_pings(&self) -> usize {
        self.requests()
            .iter()
            .filter(|(m, _, _)| m == "ping")
            .count()
    }
}

fn reply(method: &str, req_id: &serde_json::Value, body: serde_json::Value) -> String {
    let mut v = body;
    v["method"] = method.into();
    v["time_in"] = "2026-10-06T08:04:55.791872Z".into();
    v["time_out"] = "2026-10-06T08:04:55.791930Z".into();
    if !req_id.is_null() {
        v["req_id"] = req_id.clone();
    }
    v.to_string()
}

/// `frame` with the last digit of its first level's quantity changed.
fn corrupted(frame: &str) -> String {
    let at = frame.find(r#""qty":"#).unwrap() + 6;
    let end = at + frame[at..].find(['}', ',']).unwrap();
    let last = frame.as_bytes()[end - 1];
    let digit = if last == b'9' {
        '8'
    } else {
        (last + 1) as char
    };
    format!("{}{digit}{}", &frame[..end - 1], &frame[end..])
}

impl App for KrakenApp {
    fn http(&self, path: &str, _query: &str) -> Reply {
        if path != "/0/public/AssetPairs" {
            return Reply::status(404, r#"{"error":["EGeneral:Unknown method"]}"#);
        }
        Reply::ok(
            r#"{"error":[],"result":{"XXBTZUSD":{"altname":"XBTUSD","wsname":"XBT/USD","pair_decimals":1,"lot_decimals":8,"ordermin":"0.0001","tick_size":"0.1","status":"online"},"XETHZUSD":{"altname":"ETHUSD","wsname":"ETH/USD","pair_decimals":1,"lot_decimals":8,"tick_size":"0.1","status":"online"}}}"#,
        )
    }

    fn ws(self: Arc<Self>, _path: String, _query: String, ws: Ws) -> BoxFut {
        Box::pin(async move {
            let k = self.conns.fetch_add(1, Ordering::AcqRel);
            let (mut out, mut input) = ws.split();
            let status = r#"{"channel":"status","type":"update","data":[{"version":"2.0.10","system":"online","api_version":"v2","connection_id":18239578009413566319}]}"#;
            if out.send(Message::Text(status.into())).await.is_err() {
                return;
            }
            let mut subscribed: HashSet<String> = HashSet::new();
            let mut books: HashMap<String, ServerBook> = HashMap::new();
            let mut sent_of: HashMap<String, usize> = HashMap::new();
            let mut next = 0usize;
            let mut tick = tokio::time::interval(PACE);
            let t0 = Instant::now();
            while t0.elapsed() < Duration::from_secs(20) {
                let mut send: Vec<String> = Vec::new();
                tokio::select! {
                    m = input.next() => {
                        let Some(Ok(Message::Text(t))) = m else { return };
                        let t = t.to_string();
                        self.received.lock().unwrap().push(t.clone());
                        let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                        let method = v["method"].as_str().unwrap_or("");
                        let req_id = &v["req_id"];
                        let channel = v["params"]["channel"].as_str().unwrap_or("");
                        let symbols: Vec<String> = v["params"]["symbol"]
                            .as_array()
                            .map_or_else(Vec::new, |a| {
                                a.iter().map(|x| x.as_str().unwrap().to_owned()).collect()
                            });
                        match method {
                            "ping" => send.push(reply("pong", req_id, serde_json::json!({}))),
                            "subscribe" | "unsubscribe" => {
                                for s in symbols {
                                    if method == "subscribe"
                                        && channel == "book"
                                        && k == 0
                                        && self.opts.refuse == Some(s.as_str())
                                    {
                                        send.push(reply(method, req_id, serde_json::json!({
                                            "error": format!("Currency pair not supported {s}"),
                                            "success": false,
                                            "symbol": s,
                                        })));
                                        continue;
                                    }
                                    let mut result = serde_json::json!({"channel": channel, "symbol": s});
                                    if channel == "book" {
                                        result["depth"] = v["params"]["depth"].clone();
                                    }
                                    send.push(reply(method, req_id, serde_json::json!({
                                        "result": result, "success": true,
                                    })));
                                    if channel != "book" {
                                        continue;
                                    }
                                    if method == "unsubscribe" {
                                        subscribed.remove(&s);
                                        continue;
                                    }
                                    // A resubscription: a snapshot of the book as it stands.
                                    if let Some(b) = books.get(&s) {
                                        send.push(b.snapshot(&s));
                                    }
                                    subscribed.insert(s);
                                }
                            }
                            _ => send.push(reply(method, req_id, serde_json::json!({
                                "error": "Method not found", "success": false,
                            }))),
                        }
                    }
                    _ = tick.tick(), if !subscribed.is_empty() && next <= self.frames.len() => {
                        if next == self.frames.len() {
                            *self.books.lock().unwrap() = books.clone();
                            self.finished.store(true, Ordering::Release);
                        } else {
                            let (symbol, frame) = &self.frames[next];
                            books.entry(symbol.clone()).or_default().apply(frame);
                            let n = sent_of.entry(symbol.clone()).or_default();
                            *n += 1;
                            if subscribed.contains(symbol) {
                                let bad = self.opts.corrupt == Some((symbol.as_str(), *n));
                                send.push(if bad { corrupted(frame) } else { frame.clone() });
                            }
                        }
                        next += 1;
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
