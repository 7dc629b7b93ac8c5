//! The built-in simulated venue: a local WebSocket + REST server speaking a real venue's exact
//! wire format (Binance spot by default, Binance USD-M, Bybit spot, linear and inverse, OKX, or
//! Kraken) over a stochastic order book, so the whole live path runs without internet.
//!
//! The order flow and the wire are separate:
//!
//! - [`model`]: the order-flow model (Cont–Stoikov–Talreja style), one per symbol, seeded; it
//!   knows integer ticks, lots and update ids, no venue;
//! - `market`: one task per symbol steps its model in real time, batches the level changes per
//!   window and publishes what happened;
//! - `topics`: the book topics of venues whose snapshot comes in the stream (Bybit, OKX,
//!   Kraken): the
//!   image last sent per topic, its deltas, and the snapshot a subscription starts with;
//! - `encode`: the one place a venue's format lives (`encode::Encoder`, one folder per venue):
//!   stream names, connection paths, subscribe messages, frames, REST paths, weights, bodies;
//! - `server`: the WebSocket server (handshake routing, subscriptions, pings, fan-out);
//! - `rest`: the REST server (weight budget, 429/418);
//! - [`faults`]: dropped, duplicated, reordered frames, disconnects, stalls, REST 429/418, the
//!   venues' own (a Bybit `u = 1` restart, an OKX or Kraken wrong checksum, an OKX broken
//!   `prevSeqId`), also
//!   on demand ([`SimHandle::disconnect_all`], [`SimHandle::drop_next_depth`]);
//! - `connect`: [`SimConnection`], an in-process simulator resolved to the endpoints and
//!   instruments a live feed connects with (used by `ladder paper`, `record` and `bench`).
//!
//! Every subscriber sees the same market: one simulation per symbol, broadcast. Several
//! simulators (of the same or different venues) run side by side in one process.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ladder_engine::sim::SimError> {
//! use ladder_engine::{feed::Venue, sim};
//! let sim = sim::start(sim::SimConfig::for_venue(Venue::BinanceUsdm)?).await?;
//! let urls = sim.urls();
//! println!("{}  {}", urls.book_stream, urls.depth_snapshot);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod connect;
mod encode;
pub mod faults;
#[cfg(test)]
mod golden;
mod market;
pub mod model;
mod numbering;
mod rest;
mod server;
mod stream;
mod symbol;
mod topics;
#[cfg(test)]
mod venue_sync;

pub use connect::{SimConnection, SimRunning};
pub use encode::{SimUrls, serves};
pub use faults::{FaultConfig, FaultStats, Stall};
pub use model::ModelParams;
pub use symbol::SimSymbol;

use crate::feed::Venue;
use crate::feed::live::Endpoints;
use encode::Encoder;
use faults::FaultCounters;
use market::SymbolMarket;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

/// Configuration of the simulated venue. [`SimConfig::default`]: Binance spot, BTCUSDT and
/// ETHUSDT, about 200 book events per second in total, seed 1, no faults, ports chosen by the
/// OS, pings every 20 s. [`SimConfig::for_venue`]: the same with another venue's presets,
/// pings and weight limit.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// The venue whose wire format is served (one of [`Venue::ALL`] for which [`serves`]).
    pub venue: Venue,
    /// The symbols, each with its own model and seed stream (its index).
    pub symbols: Vec<SimSymbol>,
    /// Book events per second over all symbols (split evenly). Each event changes at least one
    /// level and has its own update ids; `@depth@0ms` carries one message per event.
    pub messages_per_sec: f64,
    /// Seed of every model.
    pub seed: u64,
    /// The order-flow model's parameters (shared by all symbols).
    pub model: ModelParams,
    /// Faults to inject.
    pub faults: FaultConfig,
    /// WebSocket port on 127.0.0.1 (0: any free port).
    pub ws_port: u16,
    /// REST port on 127.0.0.1 (0: any free port).
    pub rest_port: u16,
    /// How often the server pings each connection (Binance spot: 20 s; USD-M: 3 min).
    pub ping_interval: Duration,
    /// A connection that leaves a ping unanswered this long is closed (spot: 1 minute; USD-M:
    /// 10 minutes).
    pub pong_timeout: Duration,
    /// REST request weight allowed per window before HTTP 429 (spot: 6000, USD-M: 2400 per
    /// minute).
    pub weight_limit: u32,
    /// The REST weight window (Binance: 1 minute); windows start at the sim's start.
    pub weight_window: Duration,
    /// Frames buffered for slow subscribers; a subscriber further behind is disconnected.
    pub channel_capacity: usize,
    /// A subscription of an OKX incremental channel (`books`, `books-l2-tbt`,
    /// `books50-l2-tbt`) starts with the snapshot in the stream (true, the default); false
    /// serves what OKX announced for 2026 (`docs/venues.md` §12): updates only, a client joins
    /// them to `GET /api/v5/market/books`. Other venues and channels always send it.
    pub stream_snapshots: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            venue: Venue::BinanceSpot,
            symbols: vec![SimSymbol::btcusdt(), SimSymbol::ethusdt()],
            messages_per_sec: 200.0,
            seed: 1,
            model: ModelParams::default(),
            faults: FaultConfig::default(),
            ws_port: 0,
            rest_port: 0,
            ping_interval: Duration::from_secs(20),
            pong_timeout: Duration::from_secs(60),
            weight_limit: 6_000,
            weight_window: Duration::from_secs(60),
            channel_capacity: 1 << 16,
            stream_snapshots: true,
        }
    }
}

impl SimConfig {
    /// The defaults for `venue`: its BTCUSDT and ETHUSDT presets, its ping interval and pong
    /// timeout, its REST weight limit. An error names the venues the simulator serves.
    pub fn for_venue(venue: Venue) -> Result<Self, SimError> {
        let d = Encoder::for_venue(venue)?.defaults();
        Ok(Self {
            venue,
            symbols: d.symbols,
            ping_interval: d.ping_interval,
            pong_timeout: d.pong_timeout,
            weight_limit: d.weight_limit,
            weight_window: d.weight_window,
            ..Self::default()
        })
    }

    /// Replaces the symbols with `names`: presets of the venue or `SYMBOL:TICK:LOT:PRICE`
    /// ([`SimSymbol::parse_for`]); an empty list keeps the venue's defaults.
    pub fn with_symbols(mut self, names: &[String]) -> Result<Self, SimError> {
        if !names.is_empty() {
            self.symbols = names
                .iter()
                .map(|s| SimSymbol::parse_for(self.venue, s))
                .collect::<Result<_, _>>()?;
        }
        Ok(self)
    }
}

/// What can go wrong starting the simulated venue.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A configuration value is unusable.
    #[error("invalid sim configuration: {0}")]
    Config(String),
    /// A listening socket could not be opened.
    #[error("cannot listen for {what} on {addr}")]
    Bind {
        /// `WebSocket` or `REST`.
        what: &'static str,
        /// The address.
        addr: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The background runtime could not start.
    #[error("cannot start the sim's runtime")]
    Runtime(#[source] std::io::Error),
}

/// One symbol's state in [`SimStats`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolStats {
    /// The symbol.
    pub symbol: String,
    /// Last update id handed out, as the venue's messages show it.
    pub update_id: u64,
    /// Book events so far.
    pub events: u64,
    /// Best bid price, as the venue writes it.
    pub best_bid: String,
    /// Best ask price, as the venue writes it.
    pub best_ask: String,
}

/// Counters of a running sim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimStats {
    /// Book events over all symbols.
    pub events: u64,
    /// Frames built and published to subscribers (before per-connection faults).
    pub frames_published: u64,
    /// WebSocket data messages sent, over all connections.
    pub messages_sent: u64,
    /// WebSocket connections open now.
    pub clients: u64,
    /// WebSocket connections accepted so far.
    pub connections: u64,
    /// Connections closed because they fell too far behind.
    pub slow_disconnects: u64,
    /// REST requests served.
    pub rest_requests: u64,
    /// REST requests refused by the weight limit (429).
    pub rest_rate_limited: u64,
    /// Faults injected.
    pub faults: FaultStats,
    /// Per symbol.
    pub symbols: Vec<SymbolStats>,
}

/// A REST failure to force on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestFault {
    /// HTTP 429, as when the weight limit is exceeded.
    TooManyRequests,
    /// HTTP 418, as when the IP is banned.
    Banned,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) events: AtomicU64,
    pub(crate) frames_published: AtomicU64,
    pub(crate) messages_sent: AtomicU64,
    pub(crate) clients: AtomicU64,
    pub(crate) connections: AtomicU64,
    pub(crate) slow_disconnects: AtomicU64,
    pub(crate) rest_requests: AtomicU64,
    pub(crate) rest_rate_limited: AtomicU64,
    pub(crate) forced_429: AtomicU64,
    pub(crate) forced_418: AtomicU64,
    /// Diff-depth messages still to drop on demand.
    pub(crate) forced_drops: AtomicU64,
}

/// A published frame and the stream it belongs to.
#[derive(Debug)]
pub(crate) struct Published {
    pub(crate) symbol: usize,
    pub(crate) kind: stream::StreamKind,
    pub(crate) frame: Arc<encode::Frame>,
    /// A book topic's publish number (0 elsewhere): a connection that took the topic's
    /// snapshot at number `n` skips the messages up to `n`.
    pub(crate) number: u64,
    /// The depth faults (drop, duplicate, reorder) act on it.
    pub(crate) faultable: bool,
}

/// State shared by every task of one sim.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: SimConfig,
    pub(crate) encoder: Encoder,
    pub(crate) markets: Vec<SymbolMarket>,
    pub(crate) counters: Counters,
    pub(crate) faults: FaultCounters,
    pub(crate) tx: broadcast::Sender<Arc<Published>>,
    pub(crate) started: std::time::Instant,
    pub(crate) rest_weight: Mutex<(u64, u32)>,
    /// Bumped by [`SimHandle::disconnect_all`]; every connection watches it.
    pub(crate) kick: watch::Sender<u64>,
}

impl Shared {
    /// Checks `config` and builds the markets (no sockets, no tasks).
    pub(crate) fn new(config: SimConfig) -> Result<Self, SimError> {
        if config.symbols.is_empty() {
            return Err(SimError::Config("at least one symbol is needed".into()));
        }
        if !(config.messages_per_sec.is_finite() && config.messages_per_sec > 0.0) {
            return Err(SimError::Config(format!(
                "messages_per_sec must be positive, got {}",
                config.messages_per_sec
            )));
        }
        if config.ping_interval.is_zero() || config.weight_window.is_zero() {
            return Err(SimError::Config(
                "ping_interval and weight_window must be longer than zero".into(),
            ));
        }
        config.faults.validate()?;
        config.faults.validate_for(config.venue)?;
        config.model.validate()?;
        let encoder = Encoder::for_venue(config.venue)?;
        let mut seen = std::collections::HashSet::new();
        for s in &config.symbols {
            if !seen.insert(s.symbol.to_ascii_uppercase()) {
                return Err(SimError::Config(format!(
                    "symbol {} is listed twice",
                    s.symbol
                )));
            }
        }
        let per_symbol = config.messages_per_sec / config.symbols.len() as f64;
        let markets = config
            .symbols
            .iter()
            .enumerate()
            .map(|(i, s)| SymbolMarket::new(i, s, &config, &encoder, per_symbol))
            .collect::<Result<Vec<_>, _>>()?;
        let (tx, _) = broadcast::channel(config.channel_capacity.max(16));
        Ok(Self {
            markets,
            encoder,
            counters: Counters::default(),
            faults: FaultCounters::default(),
            tx,
            started: std::time::Instant::now(),
            rest_weight: Mutex::new((0, 0)),
            kick: watch::channel(0).0,
            config,
        })
    }
}

/// Resolves once `stop` turns true (or its sender is gone).
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Milliseconds since the Unix epoch, as the venue stamps its messages.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A running simulated venue. Dropping it stops the venue (without waiting).
#[derive(Debug)]
pub struct SimHandle {
    /// `ws://127.0.0.1:PORT`: append the venue's paths (Binance spot `/stream?streams=..` or
    /// `/ws/<stream>`; USD-M `/public/stream?..`, `/market/stream?..`; Bybit
    /// `/v5/public/<category>`; OKX `/ws/v5/public`; Kraken `/v2`), see
    /// [`SimHandle::endpoints`].
    pub ws_url: String,
    /// `http://127.0.0.1:PORT`: append the venue's REST paths (`/api/v3/...`, `/fapi/v1/...`,
    /// `/v5/market/...`, `/api/v5/...`).
    pub rest_url: String,
    shared: Arc<Shared>,
    stop: Arc<watch::Sender<bool>>,
    tasks: Vec<JoinHandle<()>>,
}

impl SimHandle {
    /// Counters and per-symbol state right now.
    pub fn stats(&self) -> SimStats {
        let s = &self.shared;
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let c = &s.counters;
        SimStats {
            events: g(&c.events),
            frames_published: g(&c.frames_published),
            messages_sent: g(&c.messages_sent),
            clients: g(&c.clients),
            connections: g(&c.connections),
            slow_disconnects: g(&c.slow_disconnects),
            rest_requests: g(&c.rest_requests),
            rest_rate_limited: g(&c.rest_rate_limited),
            faults: s.faults.snapshot(),
            symbols: s.markets.iter().map(|m| m.stats(&s.encoder)).collect(),
        }
    }

    /// The venue whose wire format it serves.
    pub fn venue(&self) -> Venue {
        self.shared.config.venue
    }

    /// The venue's endpoints on this simulator: its production paths on 127.0.0.1 (spot:
    /// `ws://127.0.0.1:P/stream` for everything; USD-M: `/public/stream` for depth and
    /// bookTicker, `/market/stream` for trades), ready for a live feed.
    pub fn endpoints(&self) -> Endpoints {
        self.shared.encoder.endpoints(&self.ws_url, &self.rest_url)
    }

    /// Example URLs for the first symbol, for people.
    pub fn urls(&self) -> SimUrls {
        let first = &self.shared.markets[0].wire;
        self.shared
            .encoder
            .urls(&self.ws_url, &self.rest_url, first)
    }

    /// Closes every open WebSocket connection now (a Close frame, then the socket), counted in
    /// [`FaultStats::disconnects`]. Clients may reconnect at once.
    pub fn disconnect_all(&self) {
        self.shared.kick.send_modify(|n| *n += 1);
    }

    /// Drops the next `count` diff-depth messages (Bybit, OKX: book-topic deltas) routed to
    /// any connection (counted in [`FaultStats::dropped`]): the connection's sequencer sees a
    /// gap.
    pub fn drop_next_depth(&self, count: u64) {
        self.shared
            .counters
            .forced_drops
            .fetch_add(count, Ordering::Relaxed);
    }

    /// Answers the next `count` REST requests with `fault` (counted in [`FaultStats`]).
    pub fn fail_next_rest(&self, fault: RestFault, count: u64) {
        let c = &self.shared.counters;
        match fault {
            RestFault::TooManyRequests => c.forced_429.fetch_add(count, Ordering::Relaxed),
            RestFault::Banned => c.forced_418.fetch_add(count, Ordering::Relaxed),
        };
    }

    /// Asks every task to stop, without waiting (for synchronous callers; join the thread of
    /// [`spawn_in_background`] afterwards).
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// Stops the venue: closes every connection and waits for every task to end.
    pub async fn shutdown(mut self) {
        self.stop();
        for t in std::mem::take(&mut self.tasks) {
            let _ = t.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts the simulated venue on the current tokio runtime (which needs the time and I/O
/// drivers, e.g. `#[tokio::test]` or a runtime built with `enable_all`).
pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
    let shared = Shared::new(config)?;
    let ws = bind("WebSocket", shared.config.ws_port).await?;
    let rest = bind("REST", shared.config.rest_port).await?;
    let ws_url = format!("ws://{}", local(&ws)?);
    let rest_url = format!("http://{}", local(&rest)?);
    let shared = Arc::new(shared);
    let (stop, _) = watch::channel(false);
    let mut tasks = Vec::new();
    let epoch_ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    let t0 = tokio::time::Instant::now();
    for i in 0..shared.markets.len() {
        let clock = market::Clock { t0, epoch_ns };
        tasks.push(tokio::spawn(market::run(
            Arc::clone(&shared),
            i,
            clock,
            stop.subscribe(),
        )));
    }
    tasks.push(tokio::spawn(server::run(
        Arc::clone(&shared),
        ws,
        stop.subscribe(),
    )));
    tasks.push(tokio::spawn(rest::run(
        Arc::clone(&shared),
        rest,
        stop.subscribe(),
    )));
    Ok(SimHandle {
        ws_url,
        rest_url,
        shared,
        stop: Arc::new(stop),
        tasks,
    })
}

async fn bind(what: &'static str, port: u16) -> Result<tokio::net::TcpListener, SimError> {
    let addr = format!("127.0.0.1:{port}");
    tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|source| SimError::Bind { what, addr, source })
}

fn local(l: &tokio::net::TcpListener) -> Result<std::net::SocketAddr, SimError> {
    l.local_addr().map_err(|source| SimError::Bind {
        what: "a listener",
        addr: "127.0.0.1".into(),
        source,
    })
}

/// Starts the venue on its own multi-threaded runtime on a new thread, for synchronous
/// callers. Stop it with [`SimHandle::stop`] (or by dropping the handle), then join the thread.
pub fn spawn_in_background(
    config: SimConfig,
) -> Result<(SimHandle, std::thread::JoinHandle<()>), SimError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("ladder-sim")
        .enable_all()
        .build()
        .map_err(SimError::Runtime)?;
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("ladder-sim".into())
        .spawn(move || {
            runtime.block_on(async move {
                match start(config).await {
                    Ok(mut inner) => {
                        let outer = SimHandle {
                            ws_url: inner.ws_url.clone(),
                            rest_url: inner.rest_url.clone(),
                            shared: Arc::clone(&inner.shared),
                            stop: Arc::clone(&inner.stop),
                            tasks: Vec::new(),
                        };
                        let mut stopped = inner.stop.subscribe();
                        let tasks = std::mem::take(&mut inner.tasks);
                        let _ = tx.send(Ok(outer));
                        let _ = stopped.wait_for(|s| *s).await;
                        for t in tasks {
                            let _ = t.await;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            });
        })
        .map_err(SimError::Runtime)?;
    match rx.recv() {
        Ok(Ok(handle)) => Ok((handle, thread)),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(_) => {
            let _ = thread.join();
            Err(SimError::Runtime(std::io::Error::other(
                "the sim thread ended before it started",
            )))
        }
    }
}
