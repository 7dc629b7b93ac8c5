//! The built-in simulated venue: a local WebSocket + REST server speaking Binance spot's exact
//! wire format over a stochastic order book, so the whole live path runs without internet.
//!
//! - [`model`]: the order-flow model (Cont–Stoikov–Talreja style), one per symbol, seeded;
//! - [`wire`]: Binance spot JSON from integer ticks and lots (8-decimal strings);
//! - `market`: one task per symbol steps its model in real time and publishes frames;
//! - `server`: WebSocket `/stream?streams=..` and `/ws/<stream>`, live `SUBSCRIBE`, pings;
//! - `rest`: `GET /api/v3/{depth,exchangeInfo,ping,time,ticker/bookTicker}` with weights;
//! - [`faults`]: dropped, duplicated, reordered frames, disconnects, stalls, REST 429/418.
//!
//! Streams per symbol (lowercase, e.g. `btcusdt@depth@100ms`): `@depth` (1000 ms batches),
//! `@depth@100ms`, `@depth@0ms` (one message per book event; not on the real venue),
//! `@trade`, `@aggTrade`, `@bookTicker`, `@depth5|10|20` and `@depth5|10|20@100ms` (partial
//! book). Every subscriber sees the same market: one simulation per symbol, broadcast.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ladder_engine::sim::SimError> {
//! let sim = ladder_engine::sim::start(ladder_engine::sim::SimConfig::default()).await?;
//! println!("{}/stream?streams=btcusdt@depth@100ms  {}/api/v3/depth?symbol=BTCUSDT", sim.ws_url, sim.rest_url);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

pub mod faults;
#[cfg(test)]
mod golden;
mod market;
pub mod model;
mod rest;
mod rng;
mod server;
pub mod wire;

pub use faults::{FaultConfig, FaultStats, Stall};
pub use model::ModelParams;

use faults::FaultCounters;
use ladder_sdk::InstrumentSpec;
use market::SymbolMarket;
use rust_decimal::Decimal;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

/// One simulated symbol: its name, assets, grid and start price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimSymbol {
    /// Upper-case symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// Base asset, e.g. `BTC`.
    pub base_asset: String,
    /// Quote asset, e.g. `USDT`.
    pub quote_asset: String,
    /// Price grid (`PRICE_FILTER.tickSize`); at most 8 decimals.
    pub tick_size: Decimal,
    /// Quantity grid (`LOT_SIZE.stepSize`); at most 8 decimals.
    pub lot_size: Decimal,
    /// Start mid-price (rounded to the tick grid).
    pub start_price: Decimal,
}

const QUOTES: [&str; 9] = [
    "USDT", "USDC", "FDUSD", "TUSD", "BUSD", "EUR", "TRY", "BTC", "ETH",
];

impl SimSymbol {
    /// A symbol; base and quote assets are split off a known quote suffix (`USDT`, `USDC`,
    /// `FDUSD`, `TUSD`, `BUSD`, `EUR`, `TRY`, `BTC`, `ETH`), else the last 4 letters are the quote.
    pub fn new(
        symbol: &str,
        tick_size: Decimal,
        lot_size: Decimal,
        start_price: Decimal,
    ) -> Result<Self, SimError> {
        let symbol = symbol.to_ascii_uppercase();
        if symbol.len() < 5 || !symbol.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(SimError::Config(format!(
                "symbol {symbol:?} must be at least 5 letters or digits, like BTCUSDT"
            )));
        }
        let quote = QUOTES
            .iter()
            .find(|q| symbol.len() > q.len() && symbol.ends_with(*q))
            .map_or(&symbol[symbol.len() - 4..], |q| q);
        let s = Self {
            base_asset: symbol[..symbol.len() - quote.len()].to_owned(),
            quote_asset: quote.to_owned(),
            symbol,
            tick_size,
            lot_size,
            start_price,
        };
        s.spec()?;
        Ok(s)
    }

    /// BTCUSDT: tick 0.01, lot 0.00001, start 60000.
    pub fn btcusdt() -> Self {
        Self::preset("BTCUSDT", 1, 2, 1, 5, 60_000)
    }

    /// ETHUSDT: tick 0.01, lot 0.0001, start 3000.
    pub fn ethusdt() -> Self {
        Self::preset("ETHUSDT", 1, 2, 1, 4, 3_000)
    }

    fn preset(symbol: &str, tick: i64, tick_scale: u32, lot: i64, lot_scale: u32, px: i64) -> Self {
        let (base, quote) = symbol.split_at(symbol.len() - 4);
        Self {
            symbol: symbol.to_owned(),
            base_asset: base.to_owned(),
            quote_asset: quote.to_owned(),
            tick_size: Decimal::new(tick, tick_scale),
            lot_size: Decimal::new(lot, lot_scale),
            start_price: Decimal::from(px),
        }
    }

    /// A preset by name (`BTCUSDT`, `ETHUSDT`, `SOLUSDT`, `BNBUSDT`, `XRPUSDT`, case-insensitive)
    /// or a full definition `SYMBOL:TICK:LOT:PRICE` (`DOGEUSDT:0.00001:1:0.12`).
    pub fn parse(text: &str) -> Result<Self, SimError> {
        let parts: Vec<&str> = text.split(':').collect();
        let dec = |s: &str, what: &str| {
            Decimal::from_str(s.trim()).map_err(|_| {
                SimError::Config(format!("{what} {s:?} in symbol {text:?} is not a decimal"))
            })
        };
        match parts.as_slice() {
            [name] => match name.trim().to_ascii_uppercase().as_str() {
                "BTCUSDT" => Ok(Self::btcusdt()),
                "ETHUSDT" => Ok(Self::ethusdt()),
                "SOLUSDT" => Ok(Self::preset("SOLUSDT", 1, 2, 1, 3, 150)),
                "BNBUSDT" => Ok(Self::preset("BNBUSDT", 1, 2, 1, 3, 550)),
                "XRPUSDT" => Ok(Self::preset("XRPUSDT", 1, 4, 1, 0, 1)),
                other => Err(SimError::Config(format!(
                    "no preset for symbol {other:?}; use BTCUSDT, ETHUSDT, SOLUSDT, BNBUSDT, \
                     XRPUSDT or SYMBOL:TICK:LOT:PRICE"
                ))),
            },
            [name, tick, lot, price] => Self::new(
                name.trim(),
                dec(tick, "tick size")?,
                dec(lot, "lot size")?,
                dec(price, "start price")?,
            ),
            _ => Err(SimError::Config(format!(
                "symbol {text:?} is neither a preset name nor SYMBOL:TICK:LOT:PRICE"
            ))),
        }
    }

    /// The instrument spec (tick and lot grid).
    pub fn spec(&self) -> Result<InstrumentSpec, SimError> {
        let spec = InstrumentSpec::new(self.tick_size, self.lot_size)
            .map_err(|e| SimError::Config(format!("symbol {}: {e}", self.symbol)))?;
        wire::Fmt8::new(&spec).map_err(|e| match e {
            SimError::Config(m) => SimError::Config(format!("symbol {}: {m}", self.symbol)),
            other => other,
        })?;
        Ok(spec)
    }
}

/// Configuration of the simulated venue. [`SimConfig::default`]: BTCUSDT and ETHUSDT, about 200
/// book events per second in total, seed 1, no faults, ports chosen by the OS, pings every 20 s.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
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
    /// How often the server pings each connection (Binance: 20 s).
    pub ping_interval: Duration,
    /// A connection that leaves a ping unanswered this long is closed (Binance: 1 minute).
    pub pong_timeout: Duration,
    /// REST request weight allowed per window before HTTP 429 (Binance: 6000 per minute).
    pub weight_limit: u32,
    /// The REST weight window (Binance: 1 minute); windows start at the sim's start.
    pub weight_window: Duration,
    /// Frames buffered for slow subscribers; a subscriber further behind is disconnected.
    pub channel_capacity: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
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
        }
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
    /// Last update id handed out.
    pub update_id: u64,
    /// Book events so far.
    pub events: u64,
    /// Best bid price, 8-decimal string.
    pub best_bid: String,
    /// Best ask price, 8-decimal string.
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
}

/// A published frame and the stream it belongs to.
#[derive(Debug)]
pub(crate) struct Published {
    pub(crate) symbol: usize,
    pub(crate) kind: market::StreamKind,
    pub(crate) frame: Arc<wire::Frame>,
}

/// State shared by every task of one sim.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: SimConfig,
    pub(crate) markets: Vec<SymbolMarket>,
    pub(crate) counters: Counters,
    pub(crate) faults: FaultCounters,
    pub(crate) tx: broadcast::Sender<Arc<Published>>,
    pub(crate) started: std::time::Instant,
    pub(crate) rest_weight: Mutex<(u64, u32)>,
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
    /// `ws://127.0.0.1:PORT`: append `/stream?streams=..` or `/ws/<stream>`.
    pub ws_url: String,
    /// `http://127.0.0.1:PORT`: append `/api/v3/...`.
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
            symbols: s.markets.iter().map(SymbolMarket::stats).collect(),
        }
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
    config.model.validate()?;
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
        .map(|(i, s)| SymbolMarket::new(i, s, &config, per_symbol))
        .collect::<Result<Vec<_>, _>>()?;
    let ws = bind("WebSocket", config.ws_port).await?;
    let rest = bind("REST", config.rest_port).await?;
    let ws_url = format!("ws://{}", local(&ws)?);
    let rest_url = format!("http://{}", local(&rest)?);
    let (tx, _) = broadcast::channel(config.channel_capacity.max(16));
    let shared = Arc::new(Shared {
        markets,
        counters: Counters::default(),
        faults: FaultCounters::default(),
        tx,
        started: std::time::Instant::now(),
        rest_weight: Mutex::new((0, 0)),
        config,
    });
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
