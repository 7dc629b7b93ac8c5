//! [`LiveFeedConfig`]: what every live feed is configured with, whatever its venue. The venue's
//! own settings (Binance: snapshot depth, REST weight budget, depth stream) are its
//! [`VenueOptions`](crate::feed::VenueOptions), given to [`spawn_feed_with`](crate::feed::spawn_feed_with)
//! and checked by the venue; [`LiveFeedConfig::new`] (defaults with the venue's production
//! endpoints) lives with the dispatch that knows them.

use super::backoff::BackoffConfig;
use super::{Endpoints, FeedError, FrameTap, net};
use crate::feed::Venue;
use crate::instrument::Registry;
use std::sync::Arc;
use std::time::Duration;

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
    /// Reconnect and REST retry backoff.
    pub backoff: BackoffConfig,
    /// Bound on each connection step (TCP, TLS, WebSocket upgrade). Default 10 s.
    pub connect_timeout: Duration,
    /// Wait after an HTTP 418 (IP ban) that gave no `Retry-After`. Default 120 s.
    pub ban_wait: Duration,
    /// Sees every raw frame and snapshot body (`ladder record`). Default none: then the
    /// connector pays one branch per frame.
    pub tap: Option<Arc<dyn FrameTap>>,
}

impl LiveFeedConfig {
    /// Checks the config against `registry`: every symbol registered, options the venue
    /// accepts (Binance: a depth limit it serves, a budget that fits one snapshot, the streams
    /// within one connection's cap), usable URLs.
    ///
    /// # Errors
    /// The first problem found, as [`FeedError::Config`], [`FeedError::NotRegistered`] or
    /// [`FeedError::InvalidUrl`].
    pub fn validate(&self, registry: &Registry) -> Result<(), FeedError> {
        if self.symbols.is_empty() {
            return Err(FeedError::Config("no symbols to subscribe".into()));
        }
        for s in &self.symbols {
            if registry.lookup(self.venue, s.as_bytes()).is_none() {
                return Err(FeedError::NotRegistered { symbol: s.clone() });
            }
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
        Ok(())
    }
}
