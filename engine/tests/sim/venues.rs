//! Venues other than spot, and several simulators at once: the USD-M simulator through the real
//! decoder and futures sequencer, the real live connector against it (unchanged: `/public` and
//! `/market` connections, `/fapi/v1` REST), and a spot and a USD-M simulator side by side, each
//! in its own format, where a fault on one leaves the other synced.

use super::*;
use ladder_engine::feed::live::{
    BackoffConfig, FeedOutput, FeedStatus, FrameTap, LiveFeedConfig, LiveFeedHandle,
};
use ladder_engine::feed::{Venue, spawn_feed};
use ladder_engine::sim::SimConnection;
use ladder_sdk::MarketEvent;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

fn usdm(rate: f64) -> SimConfig {
    SimConfig {
        messages_per_sec: rate,
        seed: 5,
        ..SimConfig::for_venue(Venue::BinanceUsdm).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_usdm_frames_sync_by_pu_with_skipping_ids_and_ticker_matches_book() {
    let sim = sim::start(usdm(1_000.0)).await.unwrap();
    assert_eq!(sim.venue(), Venue::BinanceUsdm);
    let e = sim.endpoints();
    assert!(e.ws_book.ends_with("/public/stream") && e.ws_trades.ends_with("/market/stream"));
    let symbols = usdm(1.0).symbols;
    let url = format!("{}?streams=btcusdt@depth@0ms/btcusdt@bookTicker", e.ws_book);
    let mut book_ws = connect_async(url).await.unwrap().0;
    let url = format!("{}?streams=btcusdt@trade/btcusdt@aggTrade", e.ws_trades);
    let mut trade_ws = connect_async(url).await.unwrap().0;
    let mut feed = Feed::with_rule(&symbols, SyncRule::Futures);
    let mut diffs: Vec<Value> = Vec::new();
    let on = |feed: &mut Feed, text: &str, diffs: &mut Vec<Value>| {
        let v: Value = serde_json::from_str(text).unwrap();
        if v["data"]["e"] == "depthUpdate" {
            diffs.push(v["data"].clone());
        }
        feed.on_frame(text)
    };
    loop {
        let text = next_text(&mut book_ws, Duration::from_secs(3))
            .await
            .unwrap();
        if on(&mut feed, &text, &mut diffs) == Some(DepthOutcome::Buffered) {
            break;
        }
    }
    let snap = get(&sim.rest_url, "/fapi/v1/depth?symbol=BTCUSDT&limit=1000").await;
    assert_eq!(snap.status, 200, "{}", snap.body);
    assert_eq!(
        snap.headers["x-mbx-used-weight-1m"], "20",
        "the feed's futures weight"
    );
    assert!(snap.body.starts_with("{\"lastUpdateId\":") && snap.body.contains(",\"E\":"));
    feed.on_snapshot(0, &snap.body);
    let end = Instant::now() + Duration::from_millis(1_200);
    while Instant::now() < end {
        let text = next_text(&mut book_ws, Duration::from_secs(2))
            .await
            .unwrap();
        on(&mut feed, &text, &mut diffs);
    }
    let end = Instant::now() + Duration::from_millis(300);
    while Instant::now() < end {
        let text = next_text(&mut trade_ws, Duration::from_secs(2))
            .await
            .unwrap();
        assert!(
            text.contains("\"X\":\"MARKET\"") || text.contains("aggTrade"),
            "{text}"
        );
        feed.on_frame(&text);
    }
    let st = feed.seqs[0].stats();
    assert_eq!(st.gaps, 0, "{st:?}");
    assert!(st.applied > 100, "{st:?}");
    assert!(
        feed.trades > 0 && feed.agg_trades > 0,
        "no trades on /market"
    );
    // Continuity is carried by `pu`; `U` skips ids, so a spot-style check would see gaps.
    for w in diffs.windows(2) {
        let prev_u = w[0]["u"].as_u64().unwrap();
        assert_eq!(w[1]["pu"].as_u64(), Some(prev_u));
        assert_ne!(w[1]["U"].as_u64(), Some(prev_u + 1));
        assert!(w[1]["T"].as_u64().is_some(), "no T: {}", w[1]);
    }
    let matched = feed.tickers_match_book(0);
    assert!(matched >= 10, "only {matched} bookTicker matches");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_usdm_rest_serves_fapi_paths_limits_and_exchange_info_the_feed_reads() {
    let sim = sim::start(usdm(100.0)).await.unwrap();
    let base = sim.rest_url.clone();
    let r = get(&base, "/fapi/v1/exchangeInfo?symbol=ETHUSDT").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["x-mbx-used-weight-1m"], "1");
    let v: Value = serde_json::from_str(&r.body).unwrap();
    let syms = v["symbols"].as_array().unwrap();
    assert_eq!(syms.len(), 2, "futures list every symbol");
    assert_eq!(syms[0]["contractType"], "PERPETUAL");
    assert_eq!(syms[0]["pricePrecision"], 2);
    assert_eq!(syms[0]["filters"][0]["tickSize"], "0.10");
    assert_eq!(syms[0]["filters"][1]["stepSize"], "0.001");
    // Weights from the feed's futures table: limit 7 -> 2 (then refused), default 500 -> 10.
    let r = get(&base, "/fapi/v1/depth?symbol=BTCUSDT&limit=7").await;
    assert_eq!(
        (r.status, r.body.contains("-1130")),
        (400, true),
        "{}",
        r.body
    );
    assert_eq!(r.headers["x-mbx-used-weight-1m"], "3");
    let r = get(&base, "/fapi/v1/depth?symbol=BTCUSDT").await;
    assert_eq!(
        (r.status, &r.headers["x-mbx-used-weight-1m"][..]),
        (200, "13")
    );
    let r = get(&base, "/fapi/v1/ticker/bookTicker?symbol=BTCUSDT").await;
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert!(v["time"].as_u64().is_some() && v["bidPrice"].as_str().unwrap().contains('.'));
    assert_eq!(get(&base, "/api/v3/depth?symbol=BTCUSDT").await.status, 404);
    // The retired single endpoint accepts the handshake and never sends data.
    let url = format!("{}/stream?streams=btcusdt@depth@0ms", sim.ws_url);
    let mut legacy = connect_async(url).await.unwrap().0;
    assert_eq!(
        next_text(&mut legacy, Duration::from_millis(600)).await,
        None
    );
    sim.shutdown().await;
}

/// Counts what a live feed delivers.
#[derive(Clone, Default)]
struct Tally {
    trades: Arc<AtomicU64>,
}

impl FeedOutput for Tally {
    fn push(&mut self, event: MarketEvent) -> bool {
        if let MarketEvent::Trade(_) = event {
            self.trades.fetch_add(1, Ordering::Relaxed);
        }
        true
    }
}

/// Keeps the first depth frames a feed receives.
#[derive(Default)]
struct Tap {
    depth: Mutex<Vec<String>>,
}

impl FrameTap for Tap {
    fn frame(&self, _: UnixNanos, frame: &[u8]) {
        let text = String::from_utf8_lossy(frame);
        let mut d = self.depth.lock().unwrap();
        if d.len() < 20 && text.contains("depthUpdate") {
            d.push(text.into_owned());
        }
    }
    fn snapshot(&self, _: UnixNanos, _: &str, _: &[u8]) {}
}

struct Live {
    sim: SimConnection,
    feed: LiveFeedHandle,
    tally: Tally,
    tap: Arc<Tap>,
}

/// The real connector against `sim`, as `ladder paper` wires it.
fn live(config: SimConfig) -> Live {
    let sim = SimConnection::start(config).unwrap();
    let symbols: Vec<String> = sim.registry.iter().map(|i| i.symbol.clone()).collect();
    let tap = Arc::new(Tap::default());
    let mut fc = LiveFeedConfig::new(sim.venue, symbols);
    fc.endpoints = sim.endpoints.clone();
    fc.watchdog = Duration::from_secs(5);
    fc.backoff = BackoffConfig {
        initial_ms: 50,
        max_ms: 400,
        multiplier: 2.0,
        jitter: 0.5,
        seed: Some(7),
    };
    fc.tap = Some(Arc::clone(&tap) as Arc<dyn FrameTap>);
    let tally = Tally::default();
    let feed = spawn_feed(fc, Arc::new(sim.registry.clone()), tally.clone()).unwrap();
    Live {
        sim,
        feed,
        tally,
        tap,
    }
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

fn synced(s: &FeedStatus) -> bool {
    s.all_synced()
}

/// Per instrument `(gaps, resyncs)` and the feed's reconnects.
fn marks(s: &FeedStatus) -> (Vec<(u64, u64)>, u64) {
    let per = s
        .instruments()
        .iter()
        .map(|i| (i.gaps, i.resyncs))
        .collect();
    (per, s.counters().reconnects)
}

#[test]
fn sim_spot_and_usdm_at_once_each_in_its_format_and_a_fault_on_one_leaves_the_other_synced() {
    let spot = live(SimConfig {
        messages_per_sec: 400.0,
        ..SimConfig::default()
    });
    let usdm = live(usdm(400.0));
    let (s, u) = (&spot.feed.status, &usdm.feed.status);
    assert!(
        wait_until(Duration::from_secs(8), || synced(s) && synced(u)),
        "not both synced: spot {:?} / usdm {:?}",
        s.instruments(),
        u.instruments()
    );
    let conns: Vec<String> = u.connections().iter().map(|c| c.url.clone()).collect();
    assert!(
        conns.len() == 2
            && conns[0].ends_with("/public/stream")
            && conns[1].ends_with("/market/stream"),
        "{conns:?}"
    );
    assert_eq!(s.connections().len(), 1);
    // Each serves its venue's format.
    let first = |t: &Tap| t.depth.lock().unwrap().first().cloned().unwrap();
    let (sf, uf) = (first(&spot.tap), first(&usdm.tap));
    assert!(
        !sf.contains("\"pu\":") && sf.contains("000000\""),
        "spot: {sf}"
    );
    assert!(
        uf.contains("\"pu\":") && uf.contains("\"T\":"),
        "usdm: {uf}"
    );
    assert!(
        wait_until(Duration::from_secs(5), || {
            spot.tally.trades.load(Ordering::Relaxed) > 0
                && usdm.tally.trades.load(Ordering::Relaxed) > 0
        }),
        "no trades delivered on both"
    );

    // A disconnect on the USD-M simulator: it reconnects and resyncs; spot never notices.
    let spot_before = marks(s);
    usdm.sim.running.handle().disconnect_all();
    assert!(
        wait_until(Duration::from_secs(8), || u.counters().reconnects >= 1
            && synced(u)),
        "usdm did not resync: {:?} {:?}",
        u.counters(),
        u.instruments()
    );
    assert_eq!(usdm.sim.running.handle().stats().faults.disconnects, 2);
    assert!(synced(s), "spot lost sync: {:?}", s.instruments());
    assert_eq!(
        marks(s),
        spot_before,
        "spot was disturbed by the usdm fault"
    );

    // A dropped depth frame on spot: a gap there, then a resync; USD-M stays as it was.
    let usdm_before = marks(u);
    spot.sim.running.handle().drop_next_depth(1);
    assert!(
        wait_until(Duration::from_secs(8), || s.counters().gaps >= 1
            && synced(s)),
        "spot did not see and heal the gap: {:?}",
        s.counters()
    );
    assert_eq!(spot.sim.running.handle().stats().faults.dropped, 1);
    assert!(synced(u), "usdm lost sync: {:?}", u.instruments());
    assert_eq!(
        marks(u),
        usdm_before,
        "usdm was disturbed by the spot fault"
    );
    assert_eq!(u.counters().decode_errors + s.counters().decode_errors, 0);

    for l in [spot, usdm] {
        assert!(l.feed.shutdown());
        l.sim.running.stop();
    }
}
