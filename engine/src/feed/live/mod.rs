//! Live feeds: a venue's connections on their own thread and tokio runtime, delivering
//! normalized [`MarketEvent`]s to a [`FeedOutput`] (the engine's SPSC ring to the hot thread).
//!
//! Everything here is venue-neutral and exists once: the core (`core/`: supervision of the
//! connection tasks, the per-instrument book state machine, watchdog and disconnect handling,
//! snapshot scheduling, resync requests, the record tap), the WebSocket connection task and its
//! TLS/TCP setup, [`backoff`], [`watchdog`], [`status`], delivery with overflow handling,
//! [`Endpoints`] and [`FeedError`]. A venue plugs in through [`LiveVenue`] and [`LiveRest`]
//! (its connection plan, how it gets snapshots and resyncs, its error frames, its REST API),
//! picked by the one dispatch [`VenueLive`]; its books decode and sequence behind
//! [`FeedBooks`](crate::feed::books::FeedBooks). Nothing here names a venue's folder.
//!
//! ```no_run
//! use ladder_engine::feed::Venue;
//! use ladder_engine::feed::live::{FeedOutput, LiveFeedConfig, fetch_instruments_blocking, spawn_feed};
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
//! for (symbol, spec) in fetch_instruments_blocking(config.venue, &config.endpoints, &config.symbols)? {
//!     registry.add(config.venue, &symbol, spec).expect("fresh registry");
//! }
//! let feed = spawn_feed(config, Arc::new(registry), Print)?;
//! std::thread::sleep(std::time::Duration::from_secs(10));
//! println!("{:?}", feed.status.counters());
//! feed.stop();
//! # Ok::<(), ladder_engine::feed::live::FeedError>(())
//! ```

mod adapter;
pub mod backoff;
mod config;
pub(crate) mod conn;
pub(crate) mod core;
pub(crate) mod deliver;
mod endpoints;
mod error;
mod handle;
pub(crate) mod http;
pub(crate) mod net;
pub(crate) mod snapshot;
pub mod status;
pub mod watchdog;

pub use adapter::{KeepAlive, LiveRest, LiveVenue, PlannedConn, SnapshotSource};
pub use backoff::{Backoff, BackoffConfig};
pub use config::LiveFeedConfig;
pub use endpoints::{EndpointScheme, Endpoints, EndpointsConfig, check_endpoint};
pub(crate) use error::is_tls_error;
pub use error::{FeedError, MAX_BAN_WAIT, MAX_RATE_LIMIT_WAIT, VenueMessage};
pub(crate) use handle::Control;
pub use handle::{LiveFeedHandle, ResyncRequester};
pub use http::{MAX_SNAPSHOT_BODY_BYTES, RestBody};
pub use net::MAX_WS_MESSAGE_BYTES;
pub use status::{ConnectionStatus, FeedCounters, FeedStatus, InstrumentStatus, LastError};
pub use watchdog::Watchdog;

use crate::feed::{Venue, VenueLive, VenueOptions};
use crate::instrument::Registry;
use ladder_sdk::{InstrumentSpec, MarketEvent, UnixNanos};
use std::sync::Arc;
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

/// Starts a live feed on its own thread with its own (single-threaded) tokio runtime. It
/// connects, syncs every book and keeps them synced (reconnecting, resyncing) until
/// [`LiveFeedHandle::stop`]. Errors on the way are retried, counted and shown in
/// [`FeedStatus`]; only an invalid config or a failure to start the thread is returned here.
///
/// # Errors
/// What [`LiveFeedConfig::validate`] finds, or [`FeedError::Spawn`].
pub fn spawn_feed(
    config: LiveFeedConfig,
    registry: Arc<Registry>,
    output: impl FeedOutput,
) -> Result<LiveFeedHandle, FeedError> {
    let venue = VenueLive::new(config.venue, &config.options)?;
    spawn_venue(config, venue, registry, output)
}

/// [`spawn_feed`] with the venue's live side given: how a venue is run before it has its arm
/// in [`VenueLive`] (tests of the core with a venue of their own).
///
/// # Errors
/// What [`LiveFeedConfig::validate`] finds, a `venue` that is not `config.venue`, a plan that
/// does not carry every book on one connection, or [`FeedError::Spawn`].
pub fn spawn_venue<V: LiveVenue>(
    config: LiveFeedConfig,
    venue: V,
    registry: Arc<Registry>,
    output: impl FeedOutput,
) -> Result<LiveFeedHandle, FeedError> {
    config.validate(&registry)?;
    if venue.venue() != config.venue {
        return Err(FeedError::Config(format!(
            "the live side of {} was given for a {} feed",
            venue.venue(),
            config.venue
        )));
    }
    let plan = core::Plan::new(&config, &registry, &venue)?;
    let status = Arc::new(FeedStatus::new(
        config.venue,
        plan.instruments.clone(),
        plan.connections(),
    ));
    let (stop, stop_rx) = watch::channel(false);
    let control = Arc::new(Control::new(stop, plan.instrument_ids()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(FeedError::Spawn)?;
    let tls = net::tls_config()?;
    let rest = venue.rest(&config.endpoints)?;
    let (st, ctl) = (Arc::clone(&status), Arc::clone(&control));
    let thread = std::thread::Builder::new()
        .name(format!("ladder-feed-{}", config.venue))
        .spawn(move || {
            runtime.block_on(core::run(core::Launch {
                config,
                venue,
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
    Ok(LiveFeedHandle::new(status, control, thread))
}

/// Tick and lot sizes of `symbols` from `venue`'s instruments endpoint (Binance:
/// exchangeInfo), in the order given, each symbol as the venue spells it; a symbol the venue
/// does not list is [`FeedError::UnknownSymbol`] naming it.
///
/// # Errors
/// [`FeedError::UnknownSymbol`], or why the venue could not be asked.
pub async fn fetch_instruments(
    venue: Venue,
    endpoints: &Endpoints,
    symbols: &[String],
) -> Result<Vec<(String, InstrumentSpec)>, FeedError> {
    VenueLive::new(venue, &VenueOptions::defaults(venue))?
        .rest(endpoints)?
        .instruments(symbols)
        .await
}

/// [`fetch_instruments`] for callers outside a tokio runtime (builds a small one).
///
/// # Errors
/// As [`fetch_instruments`], or [`FeedError::Spawn`].
pub fn fetch_instruments_blocking(
    venue: Venue,
    endpoints: &Endpoints,
    symbols: &[String],
) -> Result<Vec<(String, InstrumentSpec)>, FeedError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(FeedError::Spawn)?;
    runtime.block_on(fetch_instruments(venue, endpoints, symbols))
}
