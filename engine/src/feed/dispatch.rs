//! The one dispatch from a venue to its folder: the concrete enums (no `dyn` on the hot path)
//! with an arm per venue folder — [`VenueBooks`] (decoding and sequencing), [`VenueLive`] and
//! [`VenueRest`] (the live side: connection plan, snapshots and resyncs, error replies, REST),
//! [`VenueOptions`] (its live settings), [`VenueProbe`] (registry-free reading) and
//! [`Venue::sniff`] — and the entry points that pick a venue's live side: [`spawn_feed`],
//! [`fetch_instruments`], production [`Endpoints`]. The capture pipeline, the live core and the
//! simulator reach a venue through these; together with the list in
//! [`venue`](crate::feed::venue) this is the one place a venue is registered.
//!
//! Arrows point one way: this module uses `feed/live` and the venue folders; `feed/live` uses
//! only the list, never this dispatch or a venue folder.

use super::books::{BookView, EventOut, FeedBooks, Frame, FrameError};
use super::live::{
    BackoffConfig, Endpoints, EndpointsConfig, FeedError, FeedOutput, FrameSigner, LiveFeedConfig,
    LiveFeedHandle, LiveRest, LiveVenue, PlannedConn, RestBody, SnapshotSource, VenueMessage,
    spawn_venue,
};
use super::venue::Venue;
use super::{binance, bybit, coinbase, kraken, okx};
use crate::instrument::Registry;
use ladder_sdk::{InstrumentId, InstrumentSpec, UnixNanos};
use std::sync::Arc;
use std::time::Duration;

impl Venue {
    /// The venue a frame says it comes from, if it says (most frames do not: a capture is
    /// recognized by its first frame that does).
    pub fn sniff(frame: &[u8]) -> Option<Self> {
        binance::probe::sniff(frame)
            .or_else(|| bybit::probe::sniff(frame))
            .or_else(|| okx::probe::sniff(frame))
            .or_else(|| coinbase::probe::sniff(frame))
            .or_else(|| kraken::probe::sniff(frame))
    }
}

/// The books of one venue's instruments: its decoder and one sequencer per instrument, behind
/// one concrete dispatch. Each arm is that venue folder's [`FeedBooks`].
#[derive(Debug)]
pub enum VenueBooks {
    /// Binance spot, USD-M and COIN-M.
    Binance(binance::Books),
    /// Bybit spot, linear and inverse.
    Bybit(bybit::Books),
    /// OKX.
    Okx(okx::Books),
    /// Coinbase Advanced Trade and the legacy Exchange feed.
    Coinbase(coinbase::Books),
    /// Kraken.
    Kraken(kraken::Books),
}

impl VenueBooks {
    /// Empty books (awaiting their snapshots) for every instrument of `venue` in `registry`.
    pub fn new(venue: Venue, registry: &Registry) -> Self {
        match venue {
            Venue::BinanceSpot | Venue::BinanceUsdm | Venue::BinanceCoinm => {
                Self::Binance(binance::Books::new(venue, registry))
            }
            Venue::BybitSpot | Venue::BybitLinear | Venue::BybitInverse => {
                Self::Bybit(bybit::Books::new(venue, registry))
            }
            Venue::Okx => Self::Okx(okx::Books::new(registry)),
            Venue::Coinbase | Venue::CoinbaseExchange => {
                Self::Coinbase(coinbase::Books::new(venue, registry))
            }
            Venue::Kraken => Self::Kraken(kraken::Books::new(registry)),
        }
    }
}

/// Forwards every call to the venue's own books.
macro_rules! dispatch {
    ($self:ident, $b:ident => $e:expr) => {
        match $self {
            VenueBooks::Binance($b) => $e,
            VenueBooks::Bybit($b) => $e,
            VenueBooks::Okx($b) => $e,
            VenueBooks::Coinbase($b) => $e,
            VenueBooks::Kraken($b) => $e,
        }
    };
}

impl FeedBooks for VenueBooks {
    fn venue(&self) -> Venue {
        dispatch!(self, b => b.venue())
    }

    #[inline]
    fn on_frame(
        &mut self,
        registry: &Registry,
        ts_recv: UnixNanos,
        frame: &[u8],
        out: &mut impl EventOut,
    ) -> Result<Frame, FrameError> {
        dispatch!(self, b => b.on_frame(registry, ts_recv, frame, out))
    }

    fn on_snapshot_body(
        &mut self,
        registry: &Registry,
        instrument: InstrumentId,
        ts_recv: UnixNanos,
        body: &[u8],
        out: &mut impl EventOut,
    ) -> Result<Frame, FrameError> {
        dispatch!(self, b => b.on_snapshot_body(registry, instrument, ts_recv, body, out))
    }

    fn instruments(&self) -> &[InstrumentId] {
        dispatch!(self, b => b.instruments())
    }

    fn view(&self, instrument: InstrumentId) -> Option<BookView<'_>> {
        dispatch!(self, b => b.view(instrument))
    }

    fn needs_snapshot(&self, instrument: InstrumentId) -> bool {
        dispatch!(self, b => b.needs_snapshot(instrument))
    }

    fn has_pending(&self, instrument: InstrumentId) -> bool {
        dispatch!(self, b => b.has_pending(instrument))
    }

    fn invalidate(&mut self, instrument: InstrumentId) {
        dispatch!(self, b => b.invalidate(instrument))
    }

    fn restart(&mut self, instrument: InstrumentId) {
        dispatch!(self, b => b.restart(instrument))
    }
}

/// A venue's live settings, checked by the venue.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VenueOptions {
    /// Binance spot, USD-M and COIN-M.
    Binance(binance::LiveOptions),
    /// Bybit spot, linear and inverse.
    Bybit(bybit::LiveOptions),
    /// OKX.
    Okx(okx::LiveOptions),
    /// Coinbase Advanced Trade.
    Coinbase(coinbase::LiveOptions),
    /// Kraken.
    Kraken(kraken::LiveOptions),
    /// A venue ladder reads captures of but has no live connector for yet.
    NotLive,
}

/// The error for a venue without a live connector.
fn not_live(venue: Venue) -> FeedError {
    if venue == Venue::CoinbaseExchange {
        return FeedError::Config(
            "coinbase-exchange (the legacy feed) is replay-only: ladder reads its captures \
             (inspect, replay, bench); live coinbase is --venue coinbase (Advanced Trade)"
                .to_owned(),
        );
    }
    FeedError::Config(format!(
        "live {venue} is not available yet (ladder reads its captures: inspect, replay, bench)"
    ))
}

impl VenueOptions {
    /// The defaults of `venue`.
    pub fn defaults(venue: Venue) -> Self {
        match venue {
            Venue::BinanceSpot | Venue::BinanceUsdm | Venue::BinanceCoinm => {
                Self::Binance(binance::LiveOptions::default())
            }
            Venue::BybitSpot | Venue::BybitLinear | Venue::BybitInverse => {
                Self::Bybit(bybit::LiveOptions::default())
            }
            Venue::Okx => Self::Okx(okx::LiveOptions::default()),
            Venue::Coinbase => Self::Coinbase(coinbase::LiveOptions::from_env_checked()),
            Venue::Kraken => Self::Kraken(kraken::LiveOptions::default()),
            Venue::CoinbaseExchange => Self::NotLive,
        }
    }

    /// The defaults of `venue` with its book stream of one message per book change, where it
    /// has one (Binance `depth@0ms`: USD-M, COIN-M and the simulated venue; OKX's public
    /// `bbo-tbt` is per event but only a best bid/offer, so OKX keeps `books`; for a venue
    /// without one, its defaults). For measuring per-event latency (`ladder bench --sim`).
    pub fn per_event(venue: Venue) -> Self {
        match venue {
            Venue::BinanceSpot | Venue::BinanceUsdm | Venue::BinanceCoinm => {
                Self::Binance(binance::LiveOptions::per_event())
            }
            Venue::BybitSpot | Venue::BybitLinear | Venue::BybitInverse => {
                Self::Bybit(bybit::LiveOptions::default())
            }
            Venue::Okx => Self::Okx(okx::LiveOptions::default()),
            Venue::Coinbase => Self::Coinbase(coinbase::LiveOptions::from_env_checked()),
            Venue::Kraken => Self::Kraken(kraken::LiveOptions::default()),
            Venue::CoinbaseExchange => Self::NotLive,
        }
    }

    /// Checks the options for a feed of `symbols` symbols on `venue`.
    ///
    /// # Errors
    /// [`FeedError::Config`] naming the setting, or options of another venue.
    pub fn validate(&self, venue: Venue, symbols: usize) -> Result<(), FeedError> {
        match (venue, self) {
            (Venue::BinanceSpot | Venue::BinanceUsdm | Venue::BinanceCoinm, Self::Binance(o)) => {
                o.validate(venue, symbols)
            }
            (Venue::BybitSpot | Venue::BybitLinear | Venue::BybitInverse, Self::Bybit(o)) => {
                o.validate(venue, symbols)
            }
            (Venue::Okx, Self::Okx(o)) => o.validate(),
            (Venue::Coinbase, Self::Coinbase(o)) => o.validate(),
            (Venue::Kraken, Self::Kraken(o)) => o.validate(),
            (_, Self::NotLive) => Err(not_live(venue)),
            _ => Err(FeedError::Config(format!(
                "the options given are not {venue}'s"
            ))),
        }
    }
}

/// The live side of a venue (its folder's [`LiveVenue`]), one arm per venue folder.
#[derive(Debug, Clone)]
pub enum VenueLive {
    /// Binance spot, USD-M and COIN-M.
    Binance(binance::Live),
    /// Bybit spot, linear and inverse.
    Bybit(bybit::Live),
    /// OKX.
    Okx(okx::Live),
    /// Coinbase Advanced Trade.
    Coinbase(coinbase::Live),
    /// Kraken.
    Kraken(kraken::Live),
}

impl VenueLive {
    /// The live side of `venue` with `options`.
    ///
    /// # Errors
    /// [`FeedError::Config`] for options of another venue.
    pub fn new(venue: Venue, options: &VenueOptions) -> Result<Self, FeedError> {
        match (venue, options) {
            (
                Venue::BinanceSpot | Venue::BinanceUsdm | Venue::BinanceCoinm,
                VenueOptions::Binance(o),
            ) => Ok(Self::Binance(binance::Live::new(venue, o.clone()))),
            (Venue::Okx, VenueOptions::Okx(o)) => Ok(Self::Okx(okx::Live::new(o.clone()))),
            (
                Venue::BybitSpot | Venue::BybitLinear | Venue::BybitInverse,
                VenueOptions::Bybit(o),
            ) => Ok(Self::Bybit(bybit::Live::new(venue, o.clone()))),
            (Venue::Coinbase, VenueOptions::Coinbase(o)) => {
                Ok(Self::Coinbase(coinbase::Live::new(o.clone())))
            }
            (Venue::Kraken, VenueOptions::Kraken(o)) => {
                Ok(Self::Kraken(kraken::Live::new(o.clone())))
            }
            (_, VenueOptions::NotLive) => Err(not_live(venue)),
            _ => Err(FeedError::Config(format!(
                "the options given are not {venue}'s"
            ))),
        }
    }

    /// The production endpoints of `venue`.
    pub fn production_endpoints(venue: Venue) -> Endpoints {
        match venue {
            Venue::BinanceSpot | Venue::BinanceUsdm | Venue::BinanceCoinm => {
                binance::endpoints::production(venue)
            }
            Venue::BybitSpot | Venue::BybitLinear | Venue::BybitInverse => {
                bybit::endpoints::production(venue)
            }
            Venue::Okx => okx::endpoints::production(),
            Venue::Coinbase | Venue::CoinbaseExchange => coinbase::endpoints::production(venue),
            Venue::Kraken => kraken::endpoints::production(),
        }
    }
}

impl LiveVenue for VenueLive {
    type Books = VenueBooks;
    type Rest = VenueRest;

    fn venue(&self) -> Venue {
        match self {
            Self::Binance(l) => l.venue(),
            Self::Bybit(l) => l.venue(),
            Self::Okx(l) => l.venue(),
            Self::Coinbase(l) => l.venue(),
            Self::Kraken(l) => l.venue(),
        }
    }

    fn books(&self, registry: &Registry) -> VenueBooks {
        VenueBooks::new(self.venue(), registry)
    }

    fn connections(
        &self,
        instruments: &[(InstrumentId, String)],
        endpoints: &Endpoints,
    ) -> Vec<PlannedConn> {
        match self {
            Self::Binance(l) => l.connections(instruments, endpoints),
            Self::Bybit(l) => l.connections(instruments, endpoints),
            Self::Okx(l) => l.connections(instruments, endpoints),
            Self::Coinbase(l) => l.connections(instruments, endpoints),
            Self::Kraken(l) => l.connections(instruments, endpoints),
        }
    }

    fn snapshots(&self) -> SnapshotSource {
        match self {
            Self::Binance(l) => l.snapshots(),
            Self::Bybit(l) => l.snapshots(),
            Self::Okx(l) => l.snapshots(),
            Self::Coinbase(l) => l.snapshots(),
            Self::Kraken(l) => l.snapshots(),
        }
    }

    fn resubscribe(&self, symbol: &str) -> Vec<String> {
        match self {
            Self::Binance(l) => l.resubscribe(symbol),
            Self::Bybit(l) => l.resubscribe(symbol),
            Self::Okx(l) => l.resubscribe(symbol),
            Self::Coinbase(l) => l.resubscribe(symbol),
            Self::Kraken(l) => l.resubscribe(symbol),
        }
    }

    fn connection_spacing(&self) -> Duration {
        match self {
            Self::Binance(l) => l.connection_spacing(),
            Self::Bybit(l) => l.connection_spacing(),
            Self::Okx(l) => l.connection_spacing(),
            Self::Coinbase(l) => l.connection_spacing(),
            Self::Kraken(l) => l.connection_spacing(),
        }
    }

    fn requests_per_hour(&self) -> Option<u32> {
        match self {
            Self::Binance(l) => l.requests_per_hour(),
            Self::Bybit(l) => l.requests_per_hour(),
            Self::Okx(l) => l.requests_per_hour(),
            Self::Coinbase(l) => l.requests_per_hour(),
            Self::Kraken(l) => l.requests_per_hour(),
        }
    }

    fn error_frame(&self, frame: &[u8]) -> Option<VenueMessage> {
        match self {
            Self::Binance(l) => l.error_frame(frame),
            Self::Bybit(l) => l.error_frame(frame),
            Self::Okx(l) => l.error_frame(frame),
            Self::Coinbase(l) => l.error_frame(frame),
            Self::Kraken(l) => l.error_frame(frame),
        }
    }

    fn rest(&self, endpoints: &Endpoints) -> Result<VenueRest, FeedError> {
        match self {
            Self::Binance(l) => l.rest(endpoints).map(VenueRest::Binance),
            Self::Bybit(l) => l.rest(endpoints).map(VenueRest::Bybit),
            Self::Okx(l) => l.rest(endpoints).map(VenueRest::Okx),
            Self::Coinbase(l) => l.rest(endpoints).map(VenueRest::Coinbase),
            Self::Kraken(l) => l.rest(endpoints).map(VenueRest::Kraken),
        }
    }

    fn max_message_bytes(&self) -> usize {
        match self {
            Self::Binance(l) => l.max_message_bytes(),
            Self::Bybit(l) => l.max_message_bytes(),
            Self::Okx(l) => l.max_message_bytes(),
            Self::Coinbase(l) => l.max_message_bytes(),
            Self::Kraken(l) => l.max_message_bytes(),
        }
    }

    fn requests_per_second(&self) -> Option<u32> {
        match self {
            Self::Coinbase(l) => l.requests_per_second(),
            Self::Binance(_) | Self::Bybit(_) | Self::Okx(_) | Self::Kraken(_) => None,
        }
    }

    fn signer(&self) -> Option<Arc<dyn FrameSigner>> {
        match self {
            Self::Coinbase(l) => l.signer(),
            Self::Binance(_) | Self::Bybit(_) | Self::Okx(_) | Self::Kraken(_) => None,
        }
    }
}

/// A venue's REST client (its folder's [`LiveRest`]), one arm per venue folder.
#[derive(Debug)]
pub enum VenueRest {
    /// Binance spot, USD-M and COIN-M.
    Binance(binance::rest::RestClient),
    /// Bybit spot, linear and inverse.
    Bybit(bybit::rest::RestClient),
    /// OKX.
    Okx(okx::rest::RestClient),
    /// Coinbase Advanced Trade.
    Coinbase(coinbase::rest::RestClient),
    /// Kraken.
    Kraken(kraken::rest::RestClient),
}

impl LiveRest for VenueRest {
    fn snapshot_url(&self, symbol: &str) -> String {
        match self {
            Self::Binance(r) => r.snapshot_url(symbol),
            Self::Bybit(r) => r.snapshot_url(symbol),
            Self::Okx(r) => r.snapshot_url(symbol),
            Self::Coinbase(r) => r.snapshot_url(symbol),
            Self::Kraken(r) => r.snapshot_url(symbol),
        }
    }

    async fn snapshot(&mut self, symbol: &str) -> Result<RestBody, FeedError> {
        match self {
            Self::Binance(r) => r.snapshot(symbol).await,
            Self::Bybit(r) => r.snapshot(symbol).await,
            Self::Okx(r) => r.snapshot(symbol).await,
            Self::Coinbase(r) => r.snapshot(symbol).await,
            Self::Kraken(r) => r.snapshot(symbol).await,
        }
    }

    async fn instruments(
        &mut self,
        symbols: &[String],
    ) -> Result<Vec<(String, InstrumentSpec)>, FeedError> {
        match self {
            Self::Binance(r) => r.instruments(symbols).await,
            Self::Bybit(r) => r.instruments(symbols).await,
            Self::Okx(r) => r.instruments(symbols).await,
            Self::Coinbase(r) => r.instruments(symbols).await,
            Self::Kraken(r) => r.instruments(symbols).await,
        }
    }
}

mod probe;

pub use probe::{PairScales, VenueProbe};

impl Endpoints {
    /// The production endpoints of `venue`.
    pub fn production(venue: Venue) -> Self {
        VenueLive::production_endpoints(venue)
    }
}

impl EndpointsConfig {
    /// The venue's production endpoints with this section's overrides.
    pub fn resolve(&self, venue: Venue) -> Endpoints {
        let mut e = Endpoints::production(venue);
        if let Some(book) = &self.ws_book {
            e.ws_book = book.clone();
            e.ws_trades = book.clone();
        }
        if let Some(trades) = &self.ws_trades {
            e.ws_trades = trades.clone();
        }
        if let Some(rest) = &self.rest {
            e.rest = rest.clone();
        }
        e
    }
}

impl LiveFeedConfig {
    /// Defaults for `venue` with its production endpoints.
    pub fn new(venue: Venue, symbols: Vec<String>) -> Self {
        Self {
            venue,
            symbols,
            endpoints: Endpoints::production(venue),
            watchdog: Duration::from_secs(30),
            backoff: BackoffConfig::default(),
            connect_timeout: Duration::from_secs(10),
            ban_wait: Duration::from_secs(120),
            tap: None,
        }
    }
}

/// Starts a live feed on its own thread with its own (single-threaded) tokio runtime. It
/// connects, syncs every book and keeps them synced (reconnecting, resyncing) until
/// [`LiveFeedHandle::stop`]. Errors on the way are retried, counted and shown in
/// [`FeedStatus`](super::live::FeedStatus); only an invalid config or a failure to start the thread is returned here.
///
/// # Errors
/// What [`LiveFeedConfig::validate`] finds, or [`FeedError::Spawn`].
pub fn spawn_feed(
    config: LiveFeedConfig,
    registry: Arc<Registry>,
    output: impl FeedOutput,
) -> Result<LiveFeedHandle, FeedError> {
    let options = VenueOptions::defaults(config.venue);
    spawn_feed_with(config, &options, registry, output)
}

/// [`spawn_feed`] with the venue's own settings (`ladder bench --sim` runs Binance's per-event
/// depth stream).
///
/// # Errors
/// Options the venue refuses, a venue without a live connector, what
/// [`LiveFeedConfig::validate`] finds, or [`FeedError::Spawn`].
pub fn spawn_feed_with(
    config: LiveFeedConfig,
    options: &VenueOptions,
    registry: Arc<Registry>,
    output: impl FeedOutput,
) -> Result<LiveFeedHandle, FeedError> {
    options.validate(config.venue, config.symbols.len())?;
    if config.venue == Venue::Coinbase {
        coinbase::live::check_symbols(&config.symbols)?;
    }
    let venue = VenueLive::new(config.venue, options)?;
    spawn_venue(config, venue, registry, output)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::live::{EndpointScheme, check_endpoint};

    #[test]
    fn coinbase_is_live_and_the_legacy_exchange_feed_is_refused_as_replay_only() {
        assert!(VenueLive::new(Venue::Coinbase, &VenueOptions::defaults(Venue::Coinbase)).is_ok());
        let options = VenueOptions::defaults(Venue::CoinbaseExchange);
        let e = options.validate(Venue::CoinbaseExchange, 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid live feed config: coinbase-exchange (the legacy feed) is replay-only: ladder \
             reads its captures (inspect, replay, bench); live coinbase is --venue coinbase \
             (Advanced Trade)"
        );
    }

    #[test]
    fn production_endpoints_come_from_every_venue() {
        for venue in Venue::ALL {
            let e = Endpoints::production(venue);
            assert_eq!(check_endpoint(&e.ws_book, true), Ok(EndpointScheme::Tls));
            assert_eq!(check_endpoint(&e.ws_trades, true), Ok(EndpointScheme::Tls));
            assert_eq!(check_endpoint(&e.rest, false), Ok(EndpointScheme::Tls));
        }
    }

    #[test]
    fn bybit_venues_are_listed_and_recognized_from_their_frames() {
        for (name, venue) in [
            ("bybit-spot", Venue::BybitSpot),
            ("bybit-linear", Venue::BybitLinear),
            ("bybit-inverse", Venue::BybitInverse),
        ] {
            assert_eq!(name.parse::<Venue>(), Ok(venue));
            assert!(Venue::names().contains(name));
        }
        let linear = br#"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[],"a":[],"u":2}}"#;
        let spot = br#"{"topic":"orderbook.50.BTCUSDT","ts":1,"type":"delta","data":{"s":"BTCUSDT","b":[],"a":[],"u":2}}"#;
        assert_eq!(Venue::sniff(linear), Some(Venue::BybitLinear));
        assert_eq!(Venue::sniff(spot), Some(Venue::BybitSpot));
    }
}
