//! Live feeds: a venue's connections on their own thread and tokio runtime, delivering
//! normalized [`MarketEvent`]s to a [`FeedOutput`] (the engine's SPSC ring to the hot thread).
//!
//! Everything here is venue-neutral and exists once: the core (`core/`: supervision of the
//! connection tasks, the per-instrument book state machine, watchdog and disconnect handling,
//! snapshot scheduling, resync requests, the record tap), the WebSocket connection task and its
//! TLS/TCP setup, [`backoff`], [`watchdog`], [`status`], delivery with overflow handling,
//! [`Endpoints`] and [`FeedError`]. A venue plugs in through [`LiveVenue`] and [`LiveRest`]
//! (its connection plan, how it gets snapshots and resyncs, its error frames, its REST API),
//! picked by the one dispatch [`VenueLive`](crate::feed::VenueLive); its books decode and sequence behind
//! [`FeedBooks`](crate::feed::books::FeedBooks). Nothing here names a venue's folder.
//!
//! ```no_run
//! use ladder_engine::feed::Venue;
//! use ladder_engine::feed::live::{FeedOutput, LiveFeedConfig};
//! use ladder_engine::feed::{fetch_instruments_blocking, spawn_feed};
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

pub use adapter::{FrameSigner, KeepAlive, LiveRest, LiveVenue, PlannedConn, SnapshotSource};
#[cfg(test)]
pub(crate) use adapter::{numbered, planned_one};
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

use crate::instrument::Registry;
use ladder_sdk::{MarketEvent, UnixNanos};
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

/// Runs a feed with the venue's live side given: what [`spawn_feed`](crate::feed::spawn_feed)
/// does with the venue's arm of the dispatch, and how a venue is run before it has one (tests of the core with a venue of their own).
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
