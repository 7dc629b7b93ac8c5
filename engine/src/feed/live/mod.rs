//! Live feeds: a venue connector on its own thread and tokio runtime, delivering normalized
//! [`MarketEvent`]s to a [`FeedOutput`] (the engine's SPSC ring to the hot thread).
//!
//! Venue-agnostic pieces live here ([`backoff`], [`watchdog`], [`status`], the WebSocket
//! connection task and the TLS/TCP setup); the Binance connection loop is
//! [`feed::binance::connector`](crate::feed::binance::connector).
//!
//! ```no_run
//! use ladder_engine::feed::Venue;
//! use ladder_engine::feed::live::{FeedOutput, LiveFeedConfig, fetch_exchange_info_blocking, spawn_feed};
//! use ladder_engine::instrument::Registry;
//! use ladder_sdk::MarketEvent;
//! use std::sync::Arc;
//!
//! struct Print;
//! impl FeedOutput for Print {
//!     fn push(&mut self, event: MarketEvent) -> bool {
//!         println!("{event:?}");
//!         true
//!     }
//! }
//!
//! let config = LiveFeedConfig::new(Venue::BinanceUsdm, vec!["BTCUSDT".into()]);
//! let mut registry = Registry::new();
//! for (symbol, spec) in fetch_exchange_info_blocking(config.venue, &config.endpoints, &config.symbols)? {
//!     registry.add(&symbol, spec).expect("fresh registry");
//! }
//! let feed = spawn_feed(config, Arc::new(registry), Print)?;
//! std::thread::sleep(std::time::Duration::from_secs(10));
//! println!("{:?}", feed.status.counters());
//! feed.stop();
//! # Ok::<(), ladder_engine::feed::live::FeedError>(())
//! ```

pub mod backoff;
pub(crate) mod conn;
pub(crate) mod deliver;
mod error;
pub(crate) mod net;
pub mod status;
pub mod watchdog;

pub use backoff::{Backoff, BackoffConfig};
pub(crate) use error::is_tls_error;
pub use error::{FeedError, MAX_BAN_WAIT, MAX_RATE_LIMIT_WAIT, VenueMessage};
pub use net::MAX_WS_MESSAGE_BYTES;
pub use status::{ConnectionStatus, FeedCounters, FeedStatus, InstrumentStatus, LastError};
pub use watchdog::Watchdog;

use crate::feed::Venue;
use crate::feed::binance::connector::Launch;
use crate::feed::binance::endpoints::{Endpoints, depth_weight, valid_depth_limit};
use crate::feed::binance::rest::RestClient;
use crate::instrument::Registry;
use ladder_sdk::{InstrumentId, InstrumentSpec, MarketEvent, UnixNanos};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::watch;

/// Where a live feed delivers normalized events (the engine implements it over its SPSC ring).
pub trait FeedOutput: Send + 'static {
    /// Offers one event; `false` if it could not be delivered (ring full): the connector then
    /// marks that instrument stale and resyncs it.
    ///
    /// After a `false` for an instrument, the connector delivers (retrying until it fits) a
    /// `Status(Stale, QueueOverflow)` for it, sends none of its book events until a new
    /// snapshot, and restarts them with that snapshot's `SnapshotBegin`.
    fn push(&mut self, event: MarketEvent) -> bool;
}

/// Sees the raw input of a live feed, for `ladder record`: every WebSocket data frame exactly as
/// received, and every REST depth snapshot body the connector takes up.
///
/// Called on the feed thread, in the order the connector processes its input (a frame before
/// it is decoded, a snapshot body before it is sequenced), so replaying what a tap saw in order
/// repeats what the connector did. Keep it quick: hand the bytes to another thread. Snapshot
/// bodies fetched for a book state that no longer exists (a reconnect or resync overtook them)
/// are discarded unseen by the connector and not passed.
pub trait FrameTap: Send + Sync + 'static {
    /// A WebSocket text (or binary) data frame, read at `ts_recv`.
    fn frame(&self, ts_recv: UnixNanos, frame: &[u8]);
    /// A REST depth snapshot body of `symbol` (as configured, e.g. `BTCUSDT`), fully read at
    /// `ts_recv`.
    fn snapshot(&self, ts_recv: UnixNanos, symbol: &str, body: &[u8]);
}

impl std::fmt::Debug for dyn FrameTap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FrameTap")
    }
}

/// Everything a live feed needs besides the instrument registry.
#[derive(Debug, Clone)]
pub struct LiveFeedConfig {
    /// The venue.
    pub venue: Venue,
    /// Symbols to subscribe (each must be in the registry).
    pub symbols: Vec<String>,
    /// WebSocket and REST endpoints.
    pub endpoints: Endpoints,
    /// A connection with no data frame for this long is dead. Default 30 s (set it above the
    /// longest quiet spell of the least active symbol's streams).
    pub watchdog: Duration,
    /// Depth snapshot levels (`limit=`). Default 1000.
    pub snapshot_limit: u32,
    /// Reconnect and REST retry backoff.
    pub backoff: BackoffConfig,
    /// REST request weight per minute the feed stays under (`X-MBX-USED-WEIGHT-1m`).
    /// Default 1000 (spot allows 6000, futures 2400 per IP).
    pub rest_weight_budget: u32,
    /// Depth stream name after `<symbol>@`. Default `depth@100ms` (futures also take
    /// `depth@0ms`, `depth@250ms`, `depth@500ms`, `depth`).
    pub depth_stream: String,
    /// Bound on each connection step (TCP, TLS, WebSocket upgrade). Default 10 s.
    pub connect_timeout: Duration,
    /// Wait after an HTTP 418 (IP ban) that gave no `Retry-After`. Default 120 s.
    pub ban_wait: Duration,
    /// Sees every raw frame and snapshot body (`ladder record`). Default none: then the
    /// connector pays one branch per frame.
    pub tap: Option<Arc<dyn FrameTap>>,
}

impl LiveFeedConfig {
    /// Defaults for `venue` with its production endpoints.
    pub fn new(venue: Venue, symbols: Vec<String>) -> Self {
        Self {
            venue,
            symbols,
            endpoints: Endpoints::production(venue),
            watchdog: Duration::from_secs(30),
            snapshot_limit: 1000,
            backoff: BackoffConfig::default(),
            rest_weight_budget: 1000,
            depth_stream: "depth@100ms".to_owned(),
            connect_timeout: Duration::from_secs(10),
            ban_wait: Duration::from_secs(120),
            tap: None,
        }
    }

    /// Checks the config against `registry`: every symbol registered, a limit the venue
    /// accepts, a budget that fits one snapshot, usable URLs.
    pub fn validate(&self, registry: &Registry) -> Result<(), FeedError> {
        if self.symbols.is_empty() {
            return Err(FeedError::Config("no symbols to subscribe".into()));
        }
        for s in &self.symbols {
            if registry.lookup(self.venue, s.as_bytes()).is_none() {
                return Err(FeedError::NotRegistered { symbol: s.clone() });
            }
        }
        if !valid_depth_limit(self.venue, self.snapshot_limit) {
            return Err(FeedError::Config(format!(
                "snapshot_limit {} is not a depth limit {} accepts",
                self.snapshot_limit, self.venue
            )));
        }
        let weight = depth_weight(self.venue, self.snapshot_limit);
        if self.rest_weight_budget < weight {
            return Err(FeedError::Config(format!(
                "rest_weight_budget {} is below the weight of one depth snapshot ({weight})",
                self.rest_weight_budget
            )));
        }
        if self.watchdog.is_zero() {
            return Err(FeedError::Config(
                "watchdog must be longer than zero".into(),
            ));
        }
        net::parse_ws_url(&self.endpoints.ws_book)?;
        net::parse_ws_url(&self.endpoints.ws_trades)?;
        let rest = &self.endpoints.rest;
        if !(rest.starts_with("http://") || rest.starts_with("https://")) {
            return Err(FeedError::InvalidUrl {
                url: rest.clone(),
                reason: "expected an http:// or https:// url".into(),
            });
        }
        // 3 streams per symbol at most on one connection; Binance allows 1024.
        if self.symbols.len() * 3 > 1024 {
            return Err(FeedError::Config(format!(
                "{} symbols need more than the 1024 streams one connection may carry",
                self.symbols.len()
            )));
        }
        Ok(())
    }
}

/// Shared between the handle and the feed thread.
#[derive(Debug)]
pub(crate) struct Control {
    pub(crate) stop: watch::Sender<bool>,
    /// The feed's instruments, in slot order.
    pub(crate) instruments: Vec<InstrumentId>,
    pub(crate) resync: Box<[AtomicBool]>,
    pub(crate) resync_any: AtomicBool,
}

impl Control {
    fn request_resync(&self, id: InstrumentId) -> bool {
        let Some(slot) = self.instruments.iter().position(|i| *i == id) else {
            return false;
        };
        self.resync[slot].store(true, Ordering::Release);
        self.resync_any.store(true, Ordering::Release);
        true
    }
}

/// Tells a running feed that an instrument must be resynced (the consumer lost events, e.g.
/// a ring further down overflowed). Cheap and lock-free: two atomic stores; the feed acts on
/// it within its next frame or 100 ms.
#[derive(Debug, Clone)]
pub struct ResyncRequester {
    control: Arc<Control>,
}

impl ResyncRequester {
    /// Asks for a resync of `instrument`; `false` if the feed does not carry it.
    pub fn request(&self, instrument: InstrumentId) -> bool {
        self.control.request_resync(instrument)
    }
}

/// A running live feed. Dropping it stops the feed and waits for its thread.
#[derive(Debug)]
pub struct LiveFeedHandle {
    /// State and counters, for the dashboard.
    pub status: Arc<FeedStatus>,
    control: Arc<Control>,
    thread: Option<JoinHandle<()>>,
}

impl LiveFeedHandle {
    /// Asks the feed to stop (returns at once).
    pub fn stop(&self) {
        self.control.stop.send_replace(true);
    }

    /// Waits for the feed thread to end (after [`LiveFeedHandle::stop`]); `false` if it
    /// panicked.
    pub fn join(mut self) -> bool {
        self.thread.take().is_none_or(|t| t.join().is_ok())
    }

    /// Stops the feed and waits for it.
    pub fn shutdown(self) -> bool {
        self.stop();
        self.join()
    }

    /// True once the feed thread has ended.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Asks for a resync of `instrument`; `false` if the feed does not carry it.
    pub fn request_resync(&self, instrument: InstrumentId) -> bool {
        self.control.request_resync(instrument)
    }

    /// A cloneable handle for asking resyncs from another thread.
    pub fn resync_requester(&self) -> ResyncRequester {
        ResyncRequester {
            control: Arc::clone(&self.control),
        }
    }
}

impl Drop for LiveFeedHandle {
    fn drop(&mut self) {
        self.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts a live feed on its own thread with its own (single-threaded) tokio runtime. It
/// connects, syncs every book and keeps them synced (reconnecting, resyncing) until
/// [`LiveFeedHandle::stop`]. Errors on the way are retried, counted and shown in
/// [`FeedStatus`]; only an invalid config or a failure to start the thread is returned here.
pub fn spawn_feed(
    config: LiveFeedConfig,
    registry: Arc<Registry>,
    output: impl FeedOutput,
) -> Result<LiveFeedHandle, FeedError> {
    config.validate(&registry)?;
    let plan = crate::feed::binance::endpoints::plan(&config, &registry);
    let status = Arc::new(FeedStatus::new(
        config.venue,
        plan.instruments(),
        plan.connections(),
    ));
    let (stop, stop_rx) = watch::channel(false);
    let control = Arc::new(Control {
        stop,
        instruments: plan.instrument_ids(),
        resync: plan
            .instrument_ids()
            .iter()
            .map(|_| AtomicBool::new(false))
            .collect(),
        resync_any: AtomicBool::new(false),
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(FeedError::Spawn)?;
    let tls = net::tls_config()?;
    let rest = RestClient::new(config.venue, &config.endpoints, config.rest_weight_budget)?;
    let (st, ctl) = (Arc::clone(&status), Arc::clone(&control));
    let thread = std::thread::Builder::new()
        .name(format!("ladder-feed-{}", config.venue))
        .spawn(move || {
            runtime.block_on(crate::feed::binance::connector::run(Launch {
                config,
                plan,
                registry,
                output,
                rest,
                tls,
                status: st,
                control: ctl,
                stop: stop_rx,
            }));
        })
        .map_err(FeedError::Spawn)?;
    Ok(LiveFeedHandle {
        status,
        control,
        thread: Some(thread),
    })
}

/// Tick and lot sizes of `symbols` from `venue`'s exchangeInfo endpoint, in the order given;
/// a symbol the venue does not list is [`FeedError::UnknownSymbol`] naming it.
pub async fn fetch_exchange_info(
    venue: Venue,
    endpoints: &Endpoints,
    symbols: &[String],
) -> Result<Vec<(String, InstrumentSpec)>, FeedError> {
    RestClient::new(venue, endpoints, 1000)?
        .exchange_info(symbols)
        .await
}

/// [`fetch_exchange_info`] for callers outside a tokio runtime (builds a small one).
pub fn fetch_exchange_info_blocking(
    venue: Venue,
    endpoints: &Endpoints,
    symbols: &[String],
) -> Result<Vec<(String, InstrumentSpec)>, FeedError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(FeedError::Spawn)?;
    runtime.block_on(fetch_exchange_info(venue, endpoints, symbols))
}
