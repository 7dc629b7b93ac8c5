//! A venue whose snapshots come in the stream runs on the same live core as Binance: the shape
//! of Bybit and OKX (subscribe by message, the snapshot first on each subscription, a resync by
//! unsubscribe + subscribe of the one instrument, the client's own ping) and a connection-wide
//! sequence fault (Coinbase's `sequence_num`). The test venue plugs in through `LiveVenue` and
//! `spawn_venue`, with Binance spot books and wire format underneath (spot's rule is Bybit's:
//! the first update after a snapshot at `u` starts at `u + 1`) and `<symbol>@depthSnapshot`
//! frames as its in-stream snapshots.

use super::*;
use ladder_engine::feed::binance::Books;
use ladder_engine::feed::books::{BookView, EventOut, FeedBooks, Frame, FrameError, FrameKind};
use ladder_engine::feed::integrity::{Fault, IntegrityFault};
use ladder_engine::feed::live::{
    KeepAlive, LiveRest, LiveVenue, PlannedConn, RestBody, SnapshotSource, VenueMessage,
    spawn_venue,
};
use ladder_sdk::{InstrumentId, UnixNanos};
use std::collections::HashMap;

/// The frame the test venue's books read as a connection-wide sequence gap.
const CONNECTION_GAP: &str = "connection gap";

struct StreamVenue;

struct StreamBooks(Books);

impl FeedBooks for StreamBooks {
    fn venue(&self) -> Venue {
        self.0.venue()
    }

    fn on_frame(
        &mut self,
        registry: &Registry,
        ts_recv: UnixNanos,
        frame: &[u8],
        out: &mut impl EventOut,
    ) -> Result<Frame, FrameError> {
        if frame == CONNECTION_GAP.as_bytes() {
            return Ok(Frame {
                kind: FrameKind::Control,
                instrument: None,
                fault: Some(Fault {
                    kind: IntegrityFault::SequenceGap {
                        expected: 1,
                        got: 3,
                    },
                    ts_recv,
                }),
            });
        }
        self.0.on_frame(registry, ts_recv, frame, out)
    }

    fn on_snapshot_body(
        &mut self,
        registry: &Registry,
        instrument: InstrumentId,
        ts_recv: UnixNanos,
        body: &[u8],
        out: &mut impl EventOut,
    ) -> Result<Frame, FrameError> {
        self.0
            .on_snapshot_body(registry, instrument, ts_recv, body, out)
    }

    fn instruments(&self) -> &[InstrumentId] {
        self.0.instruments()
    }

    fn view(&self, instrument: InstrumentId) -> Option<BookView<'_>> {
        self.0.view(instrument)
    }

    fn needs_snapshot(&self, instrument: InstrumentId) -> bool {
        self.0.needs_snapshot(instrument)
    }

    fn has_pending(&self, instrument: InstrumentId) -> bool {
        self.0.has_pending(instrument)
    }

    fn invalidate(&mut self, instrument: InstrumentId) {
        self.0.invalidate(instrument);
    }

    fn restart(&mut self, instrument: InstrumentId) {
        self.0.restart(instrument);
    }
}

/// No REST: snapshots come in the stream, instruments are registered by the test.
struct NoRest;

impl LiveRest for NoRest {
    fn snapshot_url(&self, symbol: &str) -> String {
        format!("stream:{symbol}")
    }

    async fn snapshot(&mut self, symbol: &str) -> Result<RestBody, FeedError> {
        panic!("asked to fetch a snapshot of {symbol} from a venue that sends them in the stream")
    }

    async fn instruments(
        &mut self,
        _: &[String],
    ) -> Result<Vec<(String, InstrumentSpec)>, FeedError> {
        Err(FeedError::Config("the test venue has no REST".into()))
    }
}

impl LiveVenue for StreamVenue {
    type Books = StreamBooks;
    type Rest = NoRest;

    fn venue(&self) -> Venue {
        Venue::BinanceSpot
    }

    fn books(&self, registry: &Registry) -> StreamBooks {
        StreamBooks(Books::new(Venue::BinanceSpot, registry))
    }

    fn connections(
        &self,
        instruments: &[(InstrumentId, String)],
        endpoints: &Endpoints,
    ) -> Vec<PlannedConn> {
        let lower: Vec<String> = instruments
            .iter()
            .map(|(_, s)| s.to_ascii_lowercase())
            .collect();
        vec![PlannedConn {
            base: endpoints.ws_book.clone(),
            url: endpoints.ws_book.clone(),
            streams: lower.iter().map(|s| format!("book.{s}")).collect(),
            books: (0..instruments.len()).collect(),
            subscribe: lower.iter().map(|s| format!("sub {s}")).collect(),
            keep_alive: KeepAlive::Send {
                every: Duration::from_millis(100),
                message: "ping".into(),
            },
        }]
    }

    fn snapshots(&self) -> SnapshotSource {
        SnapshotSource::Stream
    }

    fn resubscribe(&self, symbol: &str) -> Vec<String> {
        let s = symbol.to_ascii_lowercase();
        vec![format!("unsub {s}"), format!("sub {s}")]
    }

    fn error_frame(&self, frame: &[u8]) -> Option<VenueMessage> {
        let text = std::str::from_utf8(frame).ok()?;
        text.strip_prefix("error ").map(|msg| VenueMessage {
            code: 1,
            msg: msg.to_owned(),
        })
    }

    fn rest(&self, _: &Endpoints) -> Result<NoRest, FeedError> {
        Ok(NoRest)
    }
}

// ---------------------------------------------------------------- the venue's server

const SYMBOLS: [&str; 2] = ["btcusdt", "ethusdt"];
const DIFFS: u64 = 240;
/// BTCUSDT's diff of this round is never sent: a gap on that book only.
const DROPPED_BTC_DIFF: u64 = 80;
/// After this round, every connection gets [`CONNECTION_GAP`].
const CONNECTION_GAP_AFTER: u64 = 160;

struct Market {
    bids: BTreeMap<i64, i64>,
    last_u: u64,
}

struct StreamApp {
    markets: Mutex<HashMap<&'static str, Market>>,
    tx: broadcast::Sender<(Option<&'static str>, String)>,
    started: AtomicBool,
    finished: AtomicBool,
    /// Every text frame the client sent, in order.
    received: Mutex<Vec<String>>,
}

impl StreamApp {
    fn new() -> Arc<Self> {
        let markets = SYMBOLS
            .iter()
            .map(|s| {
                let bids = (0..5).map(|k| (990 - k, 1000 + k)).collect();
                (*s, Market { bids, last_u: 1000 })
            })
            .collect();
        Arc::new(Self {
            markets: Mutex::new(markets),
            tx: broadcast::channel(100_000).0,
            started: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            received: Mutex::new(Vec::new()),
        })
    }

    fn round(&self, n: u64) {
        for s in SYMBOLS {
            let frame = {
                let mut markets = self.markets.lock().unwrap();
                let m = markets.get_mut(s).unwrap();
                let (tick, qty) = (990 - (n % 5) as i64, 1 + (n % 7) as i64 * 100);
                m.bids.insert(tick, qty);
                m.last_u += 1;
                format!(
                    r#"{{"stream":"{s}@depth@100ms","data":{{"e":"depthUpdate","E":{n},"s":"{}","U":{},"u":{},"b":[["{}","{}"]],"a":[]}}}}"#,
                    s.to_ascii_uppercase(),
                    m.last_u,
                    m.last_u,
                    px(tick),
                    qx(qty)
                )
            };
            if !(s == "btcusdt" && n == DROPPED_BTC_DIFF) {
                let _ = self.tx.send((Some(s), frame));
            }
        }
        if n == CONNECTION_GAP_AFTER {
            let _ = self.tx.send((None, CONNECTION_GAP.to_owned()));
        }
    }

    fn snapshot(&self, s: &str) -> String {
        let markets = self.markets.lock().unwrap();
        let m = &markets[s];
        let bids: Vec<String> = m
            .bids
            .iter()
            .rev()
            .map(|(t, q)| format!("[\"{}\",\"{}\"]", px(*t), qx(*q)))
            .collect();
        format!(
            r#"{{"stream":"{s}@depthSnapshot","data":{{"lastUpdateId":{},"bids":[{}],"asks":[["100.0","1.000"]]}}}}"#,
            m.last_u,
            bids.join(",")
        )
    }

    fn book(&self, s: &str) -> Vec<(Decimal, Decimal)> {
        let markets = self.markets.lock().unwrap();
        markets[s]
            .bids
            .iter()
            .rev()
            .map(|(t, q)| (dec(&px(*t)), dec(&qx(*q))))
            .collect()
    }

    fn last_u(&self, s: &str) -> u64 {
        self.markets.lock().unwrap()[s].last_u
    }

    fn count(&self, text: &str) -> usize {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|t| *t == text)
            .count()
    }
}

impl App for StreamApp {
    fn http(&self, _path: &str, _query: &str) -> Reply {
        Reply::status(404, "{}")
    }

    fn ws(self: Arc<Self>, _path: String, _query: String, ws: Ws) -> BoxFut {
        Box::pin(async move {
            let (mut out, mut input) = ws.split();
            let mut rx = self.tx.subscribe();
            if !self.started.swap(true, Ordering::AcqRel) {
                let me = Arc::clone(&self);
                tokio::spawn(async move {
                    for n in 1..=DIFFS {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        me.round(n);
                    }
                    me.finished.store(true, Ordering::Release);
                });
            }
            let mut subscribed: Vec<&'static str> = Vec::new();
            loop {
                tokio::select! {
                    m = input.next() => {
                        let Some(Ok(Message::Text(t))) = m else { return };
                        let t = t.to_string();
                        self.received.lock().unwrap().push(t.clone());
                        let reply = match t.split_once(' ') {
                            Some(("sub", s)) => SYMBOLS.iter().find(|x| **x == s).map(|s| {
                                subscribed.push(s);
                                self.snapshot(s)
                            }),
                            Some(("unsub", s)) => {
                                subscribed.retain(|x| *x != s);
                                None
                            }
                            _ if t == "ping" => Some(r#"{"result":null,"id":1}"#.to_owned()),
                            _ => None,
                        };
                        if let Some(r) = reply
                            && out.send(Message::Text(r.into())).await.is_err()
                        {
                            return;
                        }
                    }
                    m = rx.recv() => {
                        let Ok((symbol, frame)) = m else { return };
                        if symbol.is_none_or(|s| subscribed.contains(&s))
                            && out.send(Message::Text(frame.into())).await.is_err()
                        {
                            return;
                        }
                    }
                    () = tokio::time::sleep(Duration::from_secs(20)) => return,
                }
            }
        })
    }
}

#[test]
fn stream_snapshot_venue_resubscribes_one_instrument_on_its_gap_and_every_one_on_a_connection_gap()
{
    let app = StreamApp::new();
    let server = Server::start(Arc::clone(&app));
    let spec = InstrumentSpec::new(dec("0.1"), dec("0.001")).unwrap();
    let mut registry = Registry::new();
    let ids: Vec<InstrumentId> = SYMBOLS
        .iter()
        .map(|s| {
            registry
                .add(Venue::BinanceSpot, &s.to_ascii_uppercase(), spec)
                .unwrap()
        })
        .collect();
    let mut config = LiveFeedConfig::new(
        Venue::BinanceSpot,
        SYMBOLS.iter().map(|s| s.to_ascii_uppercase()).collect(),
    );
    config.endpoints = Endpoints {
        ws_book: server.ws("/ws"),
        ws_trades: server.ws("/ws"),
        rest: server.http(),
    };
    config.backoff = fast_backoff();
    let out = Out::default();
    let feed = spawn_venue(config, StreamVenue, Arc::new(registry), out.clone()).unwrap();
    let st = Arc::clone(&feed.status);
    let synced = wait_until(Duration::from_secs(10), || {
        app.finished.load(Ordering::Acquire)
            && st
                .instruments()
                .iter()
                .zip(SYMBOLS)
                .all(|(i, s)| i.state == BookState::Synced && i.last_update_id == app.last_u(s))
    });
    let c = st.counters();
    assert!(
        synced,
        "{c:?} {:?} last error {:?}",
        st.instruments(),
        st.last_error()
    );
    assert!(feed.shutdown());

    use BookState::{Connecting, Resyncing, Stale, Synced, Syncing};
    let gap = (Stale, Some(StaleReason::SequenceGap));
    assert_eq!(
        out.states(ids[0]),
        [
            (Connecting, None),
            (Syncing, None),
            (Synced, None),
            gap,
            (Resyncing, None),
            (Synced, None),
            gap,
            (Resyncing, None),
            (Synced, None),
        ],
        "btcusdt: its own gap, then the connection's"
    );
    assert_eq!(
        out.states(ids[1]),
        [
            (Connecting, None),
            (Syncing, None),
            (Synced, None),
            gap,
            (Resyncing, None),
            (Synced, None),
        ],
        "ethusdt: only the connection's gap"
    );
    assert_eq!(
        (app.count("sub btcusdt"), app.count("unsub btcusdt")),
        (3, 2),
        "btcusdt subscribed, then resubscribed twice"
    );
    assert_eq!(
        (app.count("sub ethusdt"), app.count("unsub ethusdt")),
        (2, 1)
    );
    let received = app.received.lock().unwrap().clone();
    assert_eq!(
        received[..2],
        ["sub btcusdt", "sub ethusdt"],
        "{received:?}"
    );
    assert!(app.count("ping") >= 3, "{received:?}");
    assert_eq!(
        (
            c.gaps,
            c.snapshots,
            c.stale_snapshots,
            c.decode_errors,
            c.reconnects
        ),
        (3, 5, 0, 0, 0),
        "{c:?}"
    );
    for (id, s) in ids.iter().zip(SYMBOLS) {
        assert_eq!(out.levels(*id, Side::Buy, &spec), app.book(s), "{s} bids");
    }
    drop(server);
}
