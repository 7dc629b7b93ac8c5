//! A local server that speaks Coinbase Advanced Trade market data, for the live tests: one
//! channel per subscribe message (`level2`, `market_trades`, `heartbeats`) honoured per
//! product, `subscriptions` acks, `/api/v3/brokerage/market/products/{id}` served for the
//! capture's products, and the real recording of 2026-08-09 (BTC-USD, ETH-USD) replayed frame
//! by frame (one every 2 ms) to the channels subscribed, on each connection from the start.
//!
//! Every frame sent carries the connection's own `sequence_num` (0, 1, 2, ... across every
//! channel), as the venue does; the server can skip one number. It keeps each book as it
//! replays, so a `level2` resubscription gets a snapshot of the book as it stands. It can
//! instead send one synthetic snapshot of many levels, keep sending heartbeats (or nothing)
//! once the replay is done, and drop the first connection.

use super::common::read_capture_lines;
use super::*;
use std::collections::{HashMap, HashSet};

pub(super) const VECTOR: &str =
    "vectors/coinbase/capture_coinbase-advanced_cryptofeed_20260809.txt.gz";
/// Product, tick and lot of the capture's products.
pub(super) const PRODUCTS: [(&str, &str, &str); 2] = [
    ("BTC-USD", "0.01", "0.00000001"),
    ("ETH-USD", "0.01", "0.00000001"),
];

/// One recorded frame: its channel and its `l2_data` product.
struct Recorded {
    channel: String,
    product: Option<String>,
    text: String,
}

fn recorded(path: &Path) -> Vec<Recorded> {
    read_capture_lines(path)
        .iter()
        .filter_map(|l| l.split_once(' '))
        .map(|(_, f)| {
            let v: serde_json::Value = serde_json::from_str(f).unwrap();
            let e = &v["events"][0];
            Recorded {
                channel: v["channel"].as_str().unwrap().to_owned(),
                product: e["product_id"].as_str().map(str::to_owned),
                text: f.to_owned(),
            }
        })
        .collect()
}

/// What the server does besides replaying.
#[derive(Default, Clone)]
pub(super) struct CoinbaseOpts {
    /// This `sequence_num` of each connection is never sent: the next frame carries the one
    /// after it (one number skipped, no data lost).
    pub(super) skip_seq: Option<u64>,
    /// Instead of the recording: one BTC-USD snapshot of this many levels a side (3 levels for
    /// the other products), answering each `level2` subscription.
    pub(super) synthetic_levels: Option<usize>,
    /// Once the replay is done, a heartbeat every 100 ms (else silence).
    pub(super) heartbeats_after: bool,
    /// The first connection is dropped (no close frame) after this many recorded frames.
    pub(super) drop_first_after: Option<usize>,
}

/// One side of a book as the server holds it: price (as a number) to the wire strings.
type Side2 = BTreeMap<Decimal, (String, String)>;

/// Levels of one side, best first.
pub(super) type Levels = Vec<(Decimal, Decimal)>;

#[derive(Default)]
struct ServerBook {
    bids: Side2,
    asks: Side2,
}

impl ServerBook {
    fn apply(&mut self, event: &serde_json::Value) {
        if event["type"] == "snapshot" {
            self.bids.clear();
            self.asks.clear();
        }
        for u in event["updates"].as_array().unwrap() {
            let side = match u["side"].as_str().unwrap() {
                "bid" => &mut self.bids,
                _ => &mut self.asks,
            };
            let (p, q) = (
                u["price_level"].as_str().unwrap(),
                u["new_quantity"].as_str().unwrap(),
            );
            if dec(q).is_zero() {
                side.remove(&dec(p));
            } else {
                side.insert(dec(p), (p.to_owned(), q.to_owned()));
            }
        }
    }

    fn snapshot(&self, product: &str) -> String {
        let level = |side: &str, (p, q): &(String, String)| {
            format!(
                r#"{{"side":"{side}","event_time":"2026-08-09T21:05:48.170326Z","price_level":"{p}","new_quantity":"{q}"}}"#
            )
        };
        let updates: Vec<String> = self
            .bids
            .values()
            .rev()
            .map(|l| level("bid", l))
            .chain(self.asks.values().map(|l| level("offer", l)))
            .collect();
        format!(
            r#"{{"channel":"l2_data","timestamp":"2026-08-09T21:05:48.483587501Z","sequence_num":0,"events":[{{"type":"snapshot","product_id":"{product}","updates":[{}]}}]}}"#,
            updates.join(",")
        )
    }

    fn levels(&self) -> (Levels, Levels) {
        let side = |s: &Side2| -> Levels { s.values().map(|(p, q)| (dec(p), dec(q))).collect() };
        let mut bids = side(&self.bids);
        bids.reverse();
        (bids, side(&self.asks))
    }
}

/// A synthetic BTC-USD snapshot of `n` levels a side around 65083.66 / 65083.67.
pub(super) fn synthetic_book(n: usize) -> ServerBookLevels {
    let bids = (0..n)
        .map(|k| (6_508_366 - k as i64, k as i64 + 1))
        .collect();
    let asks = (0..n)
        .map(|k| (6_508_367 + k as i64, 2 * k as i64 + 1))
        .collect();
    ServerBookLevels { bids, asks }
}

/// Levels in cents and satoshis, best first.
pub(super) struct ServerBookLevels {
    pub(super) bids: Vec<(i64, i64)>,
    pub(super) asks: Vec<(i64, i64)>,
}

impl ServerBookLevels {
    fn book(&self) -> ServerBook {
        let text = |cents: i64, sats: i64| {
            (
                format!("{}.{:02}", cents / 100, cents % 100),
                format!("{}.{:08}", sats / 100_000_000, sats % 100_000_000),
            )
        };
        let mut b = ServerBook::default();
        for &(p, q) in &self.bids {
            let l = text(p, q);
            b.bids.insert(dec(&l.0), l);
        }
        for &(p, q) in &self.asks {
            let l = text(p, q);
            b.asks.insert(dec(&l.0), l);
        }
        b
    }
}

/// `frame` with its `sequence_num` set to `seq`.
fn stamp(frame: &str, seq: u64) -> String {
    const KEY: &str = "\"sequence_num\":";
    let Some(at) = frame.find(KEY) else {
        return frame.to_owned();
    };
    let start = at + KEY.len();
    let end = start
        + frame[start..]
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(frame.len() - start);
    format!("{}{seq}{}", &frame[..start], &frame[end..])
}

pub(super) struct CoinbaseApp {
    frames: Vec<Recorded>,
    opts: CoinbaseOpts,
    pub(super) conns: AtomicU64,
    /// Every text frame the client sent, in order, with when it came.
    received: Mutex<Vec<(Instant, String)>>,
    /// The replay of some connection is done.
    pub(super) finished: AtomicBool,
    /// The final book of each product, by the server's replay: bids and asks, best first.
    pub(super) books: Mutex<HashMap<String, (Levels, Levels)>>,
    /// Bytes of the largest frame sent.
    pub(super) largest_frame: AtomicU64,
}

impl CoinbaseApp {
    pub(super) fn new(path: Option<&Path>, opts: CoinbaseOpts) -> Arc<Self> {
        Arc::new(Self {
            frames: path.map(recorded).unwrap_or_default(),
            opts,
            conns: AtomicU64::new(0),
            received: Mutex::new(Vec::new()),
            finished: AtomicBool::new(false),
            books: Mutex::new(HashMap::new()),
            largest_frame: AtomicU64::new(0),
        })
    }

    /// Every text frame the client sent.
    pub(super) fn received(&self) -> Vec<String> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|(_, t)| t.clone())
            .collect()
    }

    /// When each text frame the client sent came.
    pub(super) fn received_at(&self) -> Vec<Instant> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|(at, _)| *at)
            .collect()
    }

    /// `(type, channel, product_ids)` of every request the client sent.
    pub(super) fn requests(&self) -> Vec<(String, String, Vec<String>)> {
        self.received()
            .iter()
            .filter_map(|t| serde_json::from_str::<serde_json::Value>(t).ok())
            .map(|v| {
                let products = v["product_ids"].as_array().map_or_else(Vec::new, |a| {
                    a.iter().map(|x| x.as_str().unwrap().to_owned()).collect()
                });
                (
                    v["type"].as_str().unwrap_or("").to_owned(),
                    v["channel"].as_str().unwrap_or("").to_owned(),
                    products,
                )
            })
            .collect()
    }

    pub(super) fn count(&self, kind: &str, channel: &str, product: &str) -> usize {
        self.requests()
            .iter()
            .filter(|(k, c, p)| k == kind && c == channel && p.iter().any(|x| x == product))
            .count()
    }
}

/// A `subscriptions` ack listing what is subscribed.
fn ack(subscribed: &HashSet<(String, String)>) -> String {
    let mut by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (c, p) in subscribed {
        by.entry(c).or_default().push(p);
    }
    let subs = serde_json::to_string(&by).unwrap();
    format!(
        r#"{{"channel":"subscriptions","timestamp":"2026-08-09T21:05:48.228846629Z","sequence_num":0,"events":[{{"subscriptions":{subs}}}]}}"#
    )
}

fn heartbeat(counter: u64) -> String {
    format!(
        r#"{{"channel":"heartbeats","timestamp":"2026-08-09T21:05:49.000000000Z","sequence_num":0,"events":[{{"current_time":"2026-08-09 21:05:49 +0000 UTC","heartbeat_counter":{counter}}}]}}"#
    )
}

impl App for CoinbaseApp {
    fn http(&self, path: &str, _query: &str) -> Reply {
        let Some(id) = path.strip_prefix("/api/v3/brokerage/market/products/") else {
            return Reply::status(404, r#"{"error":"NOT_FOUND","message":"no such path"}"#);
        };
        // The capture's products, and any other `-USD` product on the same grid.
        let known = PRODUCTS
            .iter()
            .find(|(p, _, _)| *p == id)
            .copied()
            .or_else(|| id.ends_with("-USD").then_some((id, "0.01", "0.00000001")));
        match known {
            Some((p, tick, lot)) => Reply::ok(format!(
                r#"{{"product_id":"{p}","price":"1","base_increment":"{lot}","quote_increment":"{tick}","price_increment":"{tick}","status":"online","product_type":"SPOT"}}"#
            )),
            None => Reply::status(
                404,
                r#"{"error":"NOT_FOUND","error_details":"product not found","message":"product not found"}"#,
            ),
        }
    }

    fn ws(self: Arc<Self>, _path: String, _query: String, ws: Ws) -> BoxFut {
        Box::pin(async move {
            let k = self.conns.fetch_add(1, Ordering::AcqRel);
            let (mut out, mut input) = ws.split();
            let mut subscribed: HashSet<(String, String)> = HashSet::new();
            let mut books: HashMap<String, ServerBook> = HashMap::new();
            let mut seq = 0u64;
            let mut next = 0usize;
            let mut beats = 0u64;
            let mut tick = tokio::time::interval(Duration::from_millis(2));
            let mut beat = tokio::time::interval(Duration::from_millis(100));
            let replaying = self.opts.synthetic_levels.is_none();
            let t0 = Instant::now();
            while t0.elapsed() < Duration::from_secs(20) {
                let mut send: Vec<String> = Vec::new();
                let has = |s: &HashSet<(String, String)>, c: &str| s.iter().any(|(x, _)| x == c);
                tokio::select! {
                    m = input.next() => {
                        let Some(Ok(Message::Text(t))) = m else { return };
                        let t = t.to_string();
                        self.received.lock().unwrap().push((Instant::now(), t.clone()));
                        let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                        let channel = v["channel"].as_str().unwrap_or("").to_owned();
                        let products: Vec<String> = v["product_ids"].as_array().map_or_else(Vec::new, |a| {
                            a.iter().map(|x| x.as_str().unwrap().to_owned()).collect()
                        });
                        match v["type"].as_str().unwrap_or("") {
                            "subscribe" => {
                                for p in products {
                                    if channel == "level2" {
                                        if let Some(n) = self.opts.synthetic_levels {
                                            // BTC-USD with `n` levels, the others with 3.
                                            let n = if p == "BTC-USD" { n } else { 3 };
                                            let b = synthetic_book(n).book();
                                            send.push(b.snapshot(&p));
                                            books.insert(p.clone(), b);
                                        } else if let Some(b) = books.get(&p) {
                                            // A resubscription: the book as it stands.
                                            send.push(b.snapshot(&p));
                                        }
                                    }
                                    subscribed.insert((channel.clone(), p));
                                }
                                send.insert(0, ack(&subscribed));
                            }
                            "unsubscribe" => {
                                for p in products {
                                    subscribed.remove(&(channel.clone(), p));
                                }
                                send.push(ack(&subscribed));
                            }
                            _ => send.push(r#"{"type":"error","message":"failure to subscribe"}"#.into()),
                        }
                    }
                    _ = tick.tick(), if replaying && has(&subscribed, "level2") && next <= self.frames.len() => {
                        if next == self.frames.len() {
                            let mut done = self.books.lock().unwrap();
                            for (p, b) in &books {
                                done.insert(p.clone(), b.levels());
                            }
                            self.finished.store(true, Ordering::Release);
                        } else {
                            let f = &self.frames[next];
                            let v: serde_json::Value = serde_json::from_str(&f.text).unwrap();
                            let wanted = match f.channel.as_str() {
                                "l2_data" => {
                                    let p = f.product.clone().unwrap();
                                    books.entry(p.clone()).or_default().apply(&v["events"][0]);
                                    subscribed.contains(&("level2".into(), p))
                                }
                                "market_trades" => has(&subscribed, "market_trades"),
                                "heartbeats" => has(&subscribed, "heartbeats"),
                                _ => false,
                            };
                            if wanted {
                                send.push(f.text.clone());
                            }
                        }
                        next += 1;
                        if k == 0 && self.opts.drop_first_after == Some(next) {
                            return;
                        }
                    }
                    _ = beat.tick(), if self.opts.heartbeats_after && has(&subscribed, "heartbeats")
                        && (!replaying || next > self.frames.len()) => {
                        beats += 1;
                        send.push(heartbeat(beats));
                    }
                    () = tokio::time::sleep(Duration::from_millis(50)) => {}
                }
                for f in send {
                    let f = if f.contains("\"sequence_num\"") {
                        if self.opts.skip_seq == Some(seq) {
                            seq += 1;
                        }
                        let s = stamp(&f, seq);
                        seq += 1;
                        s
                    } else {
                        f
                    };
                    self.largest_frame
                        .fetch_max(f.len() as u64, Ordering::AcqRel);
                    if out.send(Message::Text(f.into())).await.is_err() {
                        return;
                    }
                }
            }
        })
    }
}

#[test]
fn stamp_replaces_the_sequence_number_only() {
    assert_eq!(
        stamp(r#"{"channel":"x","sequence_num":13,"events":[]}"#, 7),
        r#"{"channel":"x","sequence_num":7,"events":[]}"#
    );
    assert_eq!(stamp(r#"{"type":"error"}"#, 7), r#"{"type":"error"}"#);
}
