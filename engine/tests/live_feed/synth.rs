//! A synthetic futures venue on a local server (Binance USD-M's wire format): a random book that
//! serves fresh snapshots, with the faults [`SynthOpts`] turns on (dropped diffs, disconnects,
//! garbage, refusals, old snapshots, REST faults, oversized messages and bodies), and
//! [`synth_feed`], the live feed run against it.

use super::*;

#[derive(Default, Clone)]
pub(super) struct SynthOpts {
    pub(super) diffs: u64,
    pub(super) drop_diff: Option<u64>,
    pub(super) close_first_after: Option<u64>,
    pub(super) garbage_first: bool,
    pub(super) subscribe_error_first: bool,
    /// The first depth request gets the initial book at id 1000, older than any diff.
    pub(super) old_snapshot_first: bool,
    pub(super) rest_faults: Vec<(u16, &'static str, Option<&'static str>)>,
    /// The first depth connection starts with one text message of this many bytes.
    pub(super) oversized_message: Option<usize>,
    /// The first depth requests get a 200 body of this many bytes, with a `Content-Length`
    /// or not (before any `rest_faults`).
    pub(super) oversized_bodies: Vec<(usize, bool)>,
}

pub(super) struct SynthBook {
    pub(super) bids: BTreeMap<i64, i64>,
    pub(super) asks: BTreeMap<i64, i64>,
    pub(super) last_u: u64,
    pub(super) rng: u64,
}

impl SynthBook {
    pub(super) fn next(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }
}

pub(super) fn px(ticks: i64) -> String {
    format!("{}.{}", ticks / 10, ticks % 10)
}

pub(super) fn qx(lots: i64) -> String {
    format!("{}.{:03}", lots / 1000, lots % 1000)
}

pub(super) struct Synth {
    pub(super) opts: SynthOpts,
    pub(super) book: Mutex<SynthBook>,
    pub(super) tx: broadcast::Sender<String>,
    pub(super) started: AtomicBool,
    pub(super) finished: AtomicBool,
    pub(super) conns: AtomicU64,
    pub(super) faults: Mutex<VecDeque<(u16, &'static str, Option<&'static str>)>>,
    pub(super) oversized_bodies: Mutex<VecDeque<(usize, bool)>>,
    pub(super) oversized_sent: AtomicBool,
    pub(super) depth_times: Mutex<Vec<Instant>>,
}

impl Synth {
    pub(super) fn new(opts: SynthOpts) -> Arc<Self> {
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
        let oversized_bodies = opts.oversized_bodies.iter().copied().collect();
        Arc::new(Self {
            opts,
            book: Mutex::new(b),
            tx: broadcast::channel(100_000).0,
            started: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            conns: AtomicU64::new(0),
            faults: Mutex::new(faults),
            oversized_bodies: Mutex::new(oversized_bodies),
            oversized_sent: AtomicBool::new(false),
            depth_times: Mutex::new(Vec::new()),
        })
    }

    /// One diff: 1-3 level changes, ids `[last_u+1, last_u+k]`, `pu = last_u`.
    pub(super) fn make_diff(&self, n: u64) {
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

    pub(super) fn snapshot(&self) -> String {
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

    pub(super) fn levels(&self, side: Side) -> Vec<(Decimal, Decimal)> {
        let b = self.book.lock().unwrap();
        let f = |(t, q): (&i64, &i64)| (dec(&px(*t)), dec(&qx(*q)));
        match side {
            Side::Buy => b.bids.iter().rev().map(f).collect(),
            Side::Sell => b.asks.iter().map(f).collect(),
        }
    }

    pub(super) fn last_u(&self) -> u64 {
        self.book.lock().unwrap().last_u
    }
}

impl App for Synth {
    fn http(&self, path: &str, _query: &str) -> Reply {
        match path {
            "/fapi/v1/depth" => {
                self.depth_times.lock().unwrap().push(Instant::now());
                if let Some((bytes, length)) = self.oversized_bodies.lock().unwrap().pop_front() {
                    let mut r = Reply::ok(" ".repeat(bytes));
                    r.no_length = !length;
                    return r;
                }
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

    fn ws(self: Arc<Self>, _path: String, query: String, mut ws: Ws) -> BoxFut {
        Box::pin(async move {
            let k = self.conns.fetch_add(1, Ordering::AcqRel);
            if let Some(bytes) = self.opts.oversized_message
                && query.contains("depth")
                && !self.oversized_sent.swap(true, Ordering::AcqRel)
            {
                let _ = ws.send(Message::Text("x".repeat(bytes).into())).await;
            }
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

pub(super) struct SynthRun {
    pub(super) synth: Arc<Synth>,
    pub(super) server: Server,
    pub(super) out: Collect,
    pub(super) feed: LiveFeedHandle,
    pub(super) spec: InstrumentSpec,
}

pub(super) fn synth_feed(
    opts: SynthOpts,
    out: Collect,
    tune: impl FnOnce(&mut LiveFeedConfig),
) -> SynthRun {
    let synth = Synth::new(opts);
    let server = Server::start(Arc::clone(&synth));
    let endpoints = Endpoints {
        ws_book: server.ws("/stream"),
        ws_trades: server.ws("/stream"),
        rest: server.http(),
    };
    let symbols = vec!["BTCUSDT".to_owned()];
    let registry = registry_from(Venue::BinanceUsdm, &endpoints, &symbols);
    let spec = registry
        .get(registry.lookup(Venue::BinanceUsdm, b"BTCUSDT").unwrap().id)
        .spec;
    let mut config = LiveFeedConfig::new(Venue::BinanceUsdm, symbols);
    config.endpoints = endpoints;
    config.backoff = fast_backoff();
    tune(&mut config);
    let feed = spawn_feed(config, registry, out.clone()).unwrap();
    SynthRun {
        synth,
        server,
        out,
        feed,
        spec,
    }
}

impl SynthRun {
    /// The REST base the feed asks.
    pub(super) fn feed_rest(&self) -> String {
        self.server.http()
    }

    /// Waits until the generator is done and the book is synced at its last id, then checks
    /// the whole book against the server's.
    pub(super) fn finish_in_sync(self) -> (SynthRun, ladder_engine::feed::live::FeedCounters) {
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
