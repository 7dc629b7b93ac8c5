//! Socket tests of the simulated venue (127.0.0.1 only, each bounded to a few seconds): its
//! frames go through the real Binance decoder, sequencer and `L2Book`, exactly as a live feed
//! would, its REST answers are read by a minimal HTTP client, and the real live connector runs
//! against simulators of two venues at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::{SinkExt as _, StreamExt as _};
use ladder_engine::book::{BookConfig, L2Book};
use ladder_engine::feed::Venue;
use ladder_engine::feed::binance::{
    Decoded, Decoder, DepthHeader, DepthOutcome, Sequencer, SyncRule, SyncSink,
};
use ladder_engine::feed::integrity::Fault;
use ladder_engine::instrument::Registry;
use ladder_engine::sim::{self, FaultConfig, RestFault, SimConfig, SimSymbol, Stall};
use ladder_sdk::{InstrumentId, Level, Side, UnixNanos};
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::{Bytes, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

type Ws = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

fn config(rate: f64) -> SimConfig {
    SimConfig {
        messages_per_sec: rate,
        seed: 5,
        ..SimConfig::default()
    }
}

async fn ws(sim: &sim::SimHandle, path: &str) -> Ws {
    let url = format!("{}{path}", sim.ws_url);
    connect_async(url).await.expect("websocket connects").0
}

/// Next text frame within `within`, skipping pings; `None` on close or timeout.
async fn next_text(ws: &mut Ws, within: Duration) -> Option<String> {
    let end = Instant::now() + within;
    loop {
        let m = timeout(end.saturating_duration_since(Instant::now()), ws.next())
            .await
            .ok()??;
        match m.ok()? {
            Message::Text(t) => return Some(t.as_str().to_owned()),
            Message::Close(_) => return None,
            _ => {}
        }
    }
}

struct HttpReply {
    status: u16,
    headers: HashMap<String, String>,
    body: String,
}

/// A minimal HTTP/1.1 GET over a fresh connection.
async fn get(base: &str, path: &str) -> HttpReply {
    let addr = base.strip_prefix("http://").unwrap();
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    timeout(Duration::from_secs(5), tcp.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect::<HashMap<_, _>>();
    assert_eq!(
        headers["content-length"].parse::<usize>().unwrap(),
        body.len()
    );
    HttpReply {
        status,
        headers,
        body: body.to_owned(),
    }
}

fn registry(venue: Venue, symbols: &[SimSymbol]) -> Registry {
    let mut r = Registry::new();
    for s in symbols {
        r.add(venue, &s.symbol, s.spec().unwrap()).unwrap();
    }
    r
}

/// Books of every instrument, fed by the sequencers.
struct Books {
    books: Vec<L2Book>,
    gaps: Vec<Fault>,
}

impl Books {
    fn new(n: usize) -> Self {
        Self {
            books: (0..n).map(|_| L2Book::new(BookConfig::default())).collect(),
            gaps: Vec::new(),
        }
    }

    fn apply(&mut self, i: InstrumentId, bids: &[Level], asks: &[Level]) {
        let b = &mut self.books[i.index()];
        for l in bids {
            b.apply(Side::Buy, l.price, l.qty);
        }
        for l in asks {
            b.apply(Side::Sell, l.price, l.qty);
        }
    }

    fn top(&self, i: usize) -> (Level, Level) {
        let b = &self.books[i];
        (b.best_bid().unwrap(), b.best_ask().unwrap())
    }

    fn levels(&self, i: usize, side: Side, n: usize) -> Vec<Level> {
        self.books[i].levels(side).take(n).collect()
    }
}

impl SyncSink for Books {
    fn snapshot(&mut self, i: InstrumentId, _: u64, bids: &[Level], asks: &[Level]) {
        self.books[i.index()].clear();
        self.apply(i, bids, asks);
    }
    fn delta(&mut self, h: &DepthHeader, bids: &[Level], asks: &[Level]) {
        self.apply(h.instrument, bids, asks);
    }
    fn fault(&mut self, _: InstrumentId, fault: Fault) {
        self.gaps.push(fault);
    }
}

/// A local feed: decoder, one spot sequencer per symbol, books, and what it saw.
struct Feed {
    registry: Registry,
    decoder: Decoder,
    seqs: Vec<Sequencer>,
    books: Books,
    /// bookTicker `(bid, ask)` by update id, per instrument.
    tickers: Vec<HashMap<u64, (Level, Level)>>,
    /// Local top after each applied diff, by its `u`, per instrument.
    tops: Vec<HashMap<u64, (Level, Level)>>,
    trades: usize,
    agg_trades: usize,
    frames: usize,
}

impl Feed {
    fn new(symbols: &[SimSymbol]) -> Self {
        Self::with_rule(symbols, SyncRule::Spot)
    }

    fn with_rule(symbols: &[SimSymbol], rule: SyncRule) -> Self {
        let venue = match rule {
            SyncRule::Spot => Venue::BinanceSpot,
            SyncRule::Futures => Venue::BinanceUsdm,
        };
        let registry = registry(venue, symbols);
        let n = symbols.len();
        Self {
            seqs: (0..n)
                .map(|i| Sequencer::new(InstrumentId::new(i as u32), rule))
                .collect(),
            registry,
            decoder: Decoder::new(venue),
            books: Books::new(n),
            tickers: vec![HashMap::new(); n],
            tops: vec![HashMap::new(); n],
            trades: 0,
            agg_trades: 0,
            frames: 0,
        }
    }

    /// Decodes one frame; returns the depth outcome for diffs.
    fn on_frame(&mut self, text: &str) -> Option<DepthOutcome> {
        self.frames += 1;
        let d = self
            .decoder
            .decode(text.as_bytes(), UnixNanos::ZERO, &self.registry)
            .unwrap_or_else(|e| panic!("sim frame does not decode: {e}: {text}"));
        match d {
            Decoded::Depth(h) => {
                let i = h.instrument.index();
                let outcome = self.seqs[i].on_depth(
                    &h,
                    self.decoder.bids(),
                    self.decoder.asks(),
                    &mut self.books,
                );
                if outcome == DepthOutcome::Applied {
                    let top = self.books.top(i);
                    assert!(top.0.price < top.1.price, "local book crossed: {top:?}");
                    self.tops[i].insert(h.last_id, top);
                }
                Some(outcome)
            }
            Decoded::BookTicker(b) => {
                let lv = |p, q| Level::new(p, q);
                self.tickers[b.instrument.index()].insert(
                    b.update_id,
                    (lv(b.bid_price, b.bid_qty), lv(b.ask_price, b.ask_qty)),
                );
                None
            }
            Decoded::Trade(_) => {
                self.trades += 1;
                None
            }
            Decoded::AggTrade(_) => {
                self.agg_trades += 1;
                None
            }
            other => panic!("unexpected frame {other:?}: {text}"),
        }
    }

    /// Applies a REST snapshot body for instrument `i`; returns its `lastUpdateId`.
    fn on_snapshot(&mut self, i: usize, body: &str) -> u64 {
        let Decoded::Snapshot(h) = self
            .decoder
            .decode(body.as_bytes(), UnixNanos::ZERO, &self.registry)
            .unwrap()
        else {
            panic!("not a snapshot: {body}")
        };
        let inst = self.registry.get(InstrumentId::new(i as u32)).clone();
        self.decoder.resolve_snapshot(&inst).unwrap();
        let gap = self.seqs[i].on_snapshot(
            h.last_update_id,
            self.decoder.bids(),
            self.decoder.asks(),
            &mut self.books,
        );
        assert_eq!(
            gap, None,
            "snapshot did not line up with the buffered diffs"
        );
        h.last_update_id
    }

    fn last_id(&self, i: usize) -> Option<u64> {
        self.seqs[i].last_update_id()
    }

    /// Checks every bookTicker of instrument `i` whose `u` ends an applied diff against the
    /// local top after that diff; returns how many were compared.
    fn tickers_match_book(&self, i: usize) -> usize {
        let mut matched = 0;
        for (u, t) in &self.tickers[i] {
            if let Some(top) = self.tops[i].get(u) {
                assert_eq!(t, top, "bookTicker vs local book at u={u}");
                matched += 1;
            }
        }
        matched
    }
}

fn snapshot_levels(body: &str, spec: &ladder_sdk::InstrumentSpec, n: usize) -> [Vec<Level>; 2] {
    let v: Value = serde_json::from_str(body).unwrap();
    let side = |key: &str| {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .take(n)
            .map(|l| {
                Level::new(
                    spec.price_from_str(l[0].as_str().unwrap()).unwrap(),
                    spec.qty_from_str(l[1].as_str().unwrap()).unwrap(),
                )
            })
            .collect()
    };
    [side("bids"), side("asks")]
}

async fn faulted_feed(faults: FaultConfig, run: Duration) -> (Feed, Vec<String>, sim::SimStats) {
    let sim = sim::start(SimConfig {
        faults,
        ..config(1_000.0)
    })
    .await
    .unwrap();
    let mut ws = ws(&sim, "/ws/btcusdt@depth@0ms").await;
    let mut feed = Feed::new(&SimConfig::default().symbols);
    let mut raw = Vec::new();
    let text = next_text(&mut ws, Duration::from_secs(3)).await.unwrap();
    feed.on_frame(&text);
    raw.push(text);
    let snap = get(&sim.rest_url, "/api/v3/depth?symbol=BTCUSDT&limit=1000").await;
    let l = feed.on_snapshot(0, &snap.body);
    let _ = l;
    let end = Instant::now() + run;
    while Instant::now() < end {
        let Some(text) = next_text(&mut ws, Duration::from_millis(500)).await else {
            break;
        };
        feed.on_frame(&text);
        raw.push(text);
    }
    let stats = sim.stats();
    sim.shutdown().await;
    (feed, raw, stats)
}

fn ids(frame: &str) -> (u64, u64) {
    let v: Value = serde_json::from_str(frame).unwrap();
    (v["U"].as_u64().unwrap(), v["u"].as_u64().unwrap())
}

/// A raw depth frame's event time `E`, in ms.
fn event_ms(frame: &str) -> u64 {
    let v: Value = serde_json::from_str(frame).unwrap();
    v["E"].as_u64().unwrap()
}

mod bybit_okx;
mod cli;
mod coinbase;
mod faults;
mod kraken;
mod market;
mod rest;
mod venues;
