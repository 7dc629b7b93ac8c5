//! A local server that speaks Bybit v5 public market data, for the live tests: subscribe and
//! unsubscribe requests honoured per topic (a refusal of the first one on request), `{"op":"ping"}`
//! answered with the spot pong, `/v5/market/instruments-info` served for the capture's
//! instruments, and the real spot `orderbook.200` capture of 2026-08-09 replayed frame by frame
//! (one every 2 ms) to the topics subscribed, on each connection from the start. The server keeps
//! each book as it replays, so a resubscription gets a snapshot of the book as it stands, and it
//! can leave out one delta, drop the first connection, or send more frames after the replay.

use super::common::read_capture_lines;
use super::*;
use std::collections::{HashMap, HashSet};

pub(super) const VECTOR: &str = "vectors/bybit/capture_bybit-v5-spot_cryptofeed_20260809.txt.gz";
/// Symbol, tick and lot of the capture's instruments (the grids `inspect` infers).
pub(super) const INSTRUMENTS: [(&str, &str, &str); 2] = [
    ("BTCUSDT", "0.1", "0.000001"),
    ("ETHUSDT", "0.01", "0.00001"),
];

/// The capture's frames with their topics (the frames without one are left out: acks).
fn topic_frames(path: &Path) -> Vec<(String, String)> {
    read_capture_lines(path)
        .iter()
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
    pub(super) drop_delta: Option<(&'static str, u64)>,
    /// The first connection's first subscribe request is refused.
    pub(super) refuse_first: bool,
    /// The first connection is dropped (no close frame) after this many replayed frames.
    pub(super) drop_first_after: Option<usize>,
    /// Frames sent once the replay is done.
    pub(super) tail: Vec<String>,
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
pub(super) struct FinalBook {
    pub(super) u: u64,
    pub(super) bids: Vec<(Decimal, Decimal)>,
    pub(super) asks: Vec<(Decimal, Decimal)>,
}

pub(super) struct BybitApp {
    frames: Vec<(String, String)>,
    opts: BybitOpts,
    pub(super) conns: AtomicU64,
    /// Every text frame the client sent, in order.
    received: Mutex<Vec<String>>,
    /// The replay of some connection is done.
    pub(super) finished: AtomicBool,
    /// The final book of each topic, by the server's replay.
    pub(super) books: Mutex<HashMap<String, FinalBook>>,
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

    pub(super) fn count(&self, op: &str, topic: &str) -> usize {
        self.requests()
            .iter()
            .filter(|(o, args)| o == op && args.iter().any(|a| a == topic))
            .count()
    }

    pub(super) fn final_u(&self, topic: &str) -> u64 {
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

impl BybitApp {
    pub(super) fn count_pings(&self) -> usize {
        self.requests()
            .iter()
            .filter(|(op, _)| op == "ping")
            .count()
    }
}
