//! Measures the bus hop (not a test): the latency a NATS JetStream hop adds between `ladder
//! feed`'s publisher and a `--source nats://` consumer, p50/p99, and the throughput at a paced
//! event rate with one or several consumers.
//!
//! ```text
//! cargo run --release -p ladder-engine --example bus_hop -- [SECONDS] [RATE...]
//! ```
//! Starts its own `nats-server -js` on 127.0.0.1 (a free port, a temporary store) for each run.
//! Each event is one book delta marked `last` (one venue update), paced every half millisecond,
//! so the publisher batches what each read of its channel finds (`bus/publish.rs`); it is
//! stamped with the live clock just before it enters the publisher's channel; each consumer's
//! bus thread takes the time again when it pushes the event into its ring. The latency is the
//! difference: publisher channel, encoding, publish, the server's store, the consumer's pull,
//! decoding and the continuity checks.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use ladder_engine::bus::SourceConfig;
use ladder_engine::bus::consume::BusConsumer;
use ladder_engine::bus::publish::{PublishOptions, Publisher};
use ladder_engine::clock::Clock;
use ladder_engine::feed::Venue;
use ladder_engine::feed::live::FeedOutput;
use ladder_engine::instrument::Registry;
use ladder_sdk::{
    BookDelta, BookMarker, BookState, BookStatus, InstrumentId, InstrumentSpec, MarketEvent, Price,
    Quantity, Side, UnixNanos,
};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Histo = hdrhistogram::Histogram<u64>;

/// A consumer's ring: records the hop's latency of every delta.
struct Measure {
    clock: Clock,
    histo: Arc<Mutex<Histo>>,
    deltas: Arc<AtomicU64>,
}

impl FeedOutput for Measure {
    fn push(&mut self, event: MarketEvent) -> bool {
        if let MarketEvent::BookDelta(d) = event
            && d.update_id > 0
        {
            let ns = self.clock.now().saturating_since(d.ts_recv).max(1);
            if let Ok(mut h) = self.histo.lock() {
                let _ = h.record(ns);
            }
            self.deltas.fetch_add(1, Ordering::Relaxed);
        }
        true
    }
}

fn server(port: u16, store: &std::path::Path) -> Child {
    let bin = ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
        .into_iter()
        .find(|p| std::path::Path::new(p).is_file())
        .unwrap_or("nats-server");
    let child = Command::new(bin)
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(store)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server");
    let until = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < until, "nats-server did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn delta(id: InstrumentId, n: u64, ts: UnixNanos) -> MarketEvent {
    MarketEvent::BookDelta(BookDelta {
        instrument: id,
        side: if n.is_multiple_of(2) {
            Side::Buy
        } else {
            Side::Sell
        },
        last: true,
        price: Price::from_ticks(
            if n.is_multiple_of(2) {
                6_000_000
            } else {
                6_000_010
            } - (n % 20) as i64,
        ),
        qty: Quantity::from_lots((n % 7 + 1) as i64),
        update_id: n,
        ts_exchange: ts,
        ts_recv: ts,
    })
}

fn run(rate: u64, consumers: usize, secs: u64) {
    let store = std::env::temp_dir().join(format!(
        "ladder-bus-hop-{}-{rate}-{consumers}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&store);
    let port = free_port();
    let mut srv = server(port, &store);
    let url = format!("nats://127.0.0.1:{port}");
    let mut registry = Registry::new();
    let spec = InstrumentSpec::new(
        "0.01".parse().expect("tick"),
        "0.00001".parse().expect("lot"),
    )
    .expect("spec");
    let id = registry
        .add(Venue::BinanceSpot, "BTCUSDT", spec)
        .expect("registry");
    let publisher = Publisher::start(
        PublishOptions {
            source: SourceConfig::at(&url),
            snapshot_every: Duration::from_millis(200),
            ..PublishOptions::default()
        },
        Arc::new(registry),
    );
    let publisher = match publisher {
        Ok(p) => p,
        Err(e) => {
            println!("rate {rate:>6}/s consumers {consumers}: the publisher did not start: {e}");
            let _ = srv.kill();
            let _ = srv.wait();
            return;
        }
    };
    let mut out = publisher.output();
    let clock = Clock::live();
    let now = clock.now();
    let marker = BookMarker {
        instrument: id,
        update_id: 0,
        ts_exchange: now,
        ts_recv: now,
    };
    for ev in [
        MarketEvent::SnapshotBegin(marker),
        MarketEvent::SnapshotEnd(marker),
        MarketEvent::Status(BookStatus {
            instrument: id,
            state: BookState::Synced,
            reason: None,
            ts_recv: now,
        }),
    ] {
        assert!(out.push(ev));
    }
    std::thread::sleep(Duration::from_millis(600));
    let mut joined = Vec::new();
    for n in 0..consumers {
        // A failed run says so on stdout and the next run goes on (a panic here once ended
        // the whole bench with its message on stderr only).
        let mut c = match BusConsumer::join(SourceConfig::at(&url), None) {
            Ok(c) => c,
            Err(e) => {
                println!("rate {rate:>6}/s consumers {consumers}: consumer #{n} did not join: {e}");
                let _ = srv.kill();
                let _ = srv.wait();
                return;
            }
        };
        let histo = Arc::new(Mutex::new(
            Histo::new_with_bounds(1, 60_000_000_000, 3).expect("histogram"),
        ));
        let deltas = Arc::new(AtomicU64::new(0));
        c.start(Measure {
            clock,
            histo: Arc::clone(&histo),
            deltas: Arc::clone(&deltas),
        });
        joined.push((c, histo, deltas));
    }
    std::thread::sleep(Duration::from_millis(300));
    // Paced: every millisecond the events due by then.
    let start = Instant::now();
    let (mut sent, mut refused) = (0u64, 0u64);
    while start.elapsed() < Duration::from_secs(secs) {
        let due = (start.elapsed().as_secs_f64() * rate as f64) as u64;
        while sent < due {
            sent += 1;
            if !out.push(delta(id, sent, clock.now())) {
                refused += 1;
            }
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    let elapsed = start.elapsed().as_secs_f64();
    // Drain: until every consumer has everything, at most 30 s.
    let until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < until
        && joined
            .iter()
            .any(|(_, _, d)| d.load(Ordering::Relaxed) < sent - refused)
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    let drained = start.elapsed().as_secs_f64();
    drop(out);
    for (i, (c, histo, deltas)) in joined.into_iter().enumerate() {
        let gaps = c.stats.gaps.load(Ordering::Relaxed);
        let got = deltas.load(Ordering::Relaxed);
        let _ = c.shutdown();
        let h = histo.lock().expect("histogram");
        println!(
            "rate {rate:>6}/s consumers {consumers} #{i}: sent {sent} refused {refused} received {got} \
             ({:.0}/s over {drained:.1}s; offered {:.0}/s) gaps {gaps} | hop p50 {:.0} µs p99 {:.0} µs max {:.0} µs",
            got as f64 / drained,
            sent as f64 / elapsed,
            h.value_at_quantile(0.5) as f64 / 1e3,
            h.value_at_quantile(0.99) as f64 / 1e3,
            h.max() as f64 / 1e3,
        );
    }
    let stats = Arc::clone(&publisher.stats);
    let _ = publisher.finish();
    println!("  publisher: {}", stats.line());
    let _ = srv.kill();
    let _ = srv.wait();
    let _ = std::fs::remove_dir_all(&store);
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let secs = args.first().copied().unwrap_or(5);
    let rates: Vec<u64> = if args.len() > 1 {
        args[1..].to_vec()
    } else {
        vec![20_000, 100_000]
    };
    for rate in rates {
        for consumers in [1, 4] {
            run(rate, consumers, secs);
        }
    }
}
