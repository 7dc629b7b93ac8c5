//! The one list of venues, and the one dispatch from a venue to its folder.
//!
//! A venue is registered here and nowhere else: its [`Venue`] variant with its name and help
//! line in [`Venue::ALL`] / [`Venue::info`], and its arms in the concrete dispatches (enums: no
//! `dyn` on the hot path): [`VenueBooks`] (decoding and sequencing), [`VenueLive`] and
//! [`VenueRest`] (the live side: connection plan, snapshots and resyncs, error replies, REST,
//! production endpoints), [`VenueOptions`] (its live settings) and [`VenueProbe`]. Everything
//! else reaches a venue through these: the command line's `--venue` choices and the
//! unknown-venue error are built from the list, the capture pipeline, the live core and the
//! simulator ask [`VenueBooks`] to decode and sequence, and the live core
//! ([`crate::feed::live`]) runs a venue through [`VenueLive`].

use super::books::{BookView, EventOut, FeedBooks, Frame, FrameError};
use super::live::{
    Endpoints, FeedError, LiveRest, LiveVenue, PlannedConn, RestBody, SnapshotSource, VenueMessage,
};
use super::{binance, bybit};
use crate::instrument::Registry;
use ladder_sdk::{InstrumentId, InstrumentSpec, RawDecimal, UnixNanos};
use std::fmt;
use std::str::FromStr;

/// A venue ladder can decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Venue {
    /// Binance spot (`stream.binance.com`).
    BinanceSpot,
    /// Binance USD-M futures (`fstream.binance.com`).
    BinanceUsdm,
    /// Binance COIN-M futures (`dstream.binance.com`).
    BinanceCoinm,
    /// Bybit v5 spot (`stream.bybit.com/v5/public/spot`).
    BybitSpot,
    /// Bybit v5 linear (USDT and USDC) contracts (`stream.bybit.com/v5/public/linear`).
    BybitLinear,
    /// Bybit v5 inverse contracts (`stream.bybit.com/v5/public/inverse`).
    BybitInverse,
}

/// What the command line and the reports say about a venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VenueInfo {
    /// The name on the command line, in configs, reports and qualified instrument names.
    pub name: &'static str,
    /// One line for `--help`.
    pub help: &'static str,
    /// An example symbol, as the venue spells it.
    pub example_symbol: &'static str,
}

impl Venue {
    /// Every venue, in the order the command line lists them.
    pub const ALL: [Self; 6] = [
        Self::BinanceSpot,
        Self::BinanceUsdm,
        Self::BinanceCoinm,
        Self::BybitSpot,
        Self::BybitLinear,
        Self::BybitInverse,
    ];

    /// Name, help line and example symbol.
    pub const fn info(self) -> VenueInfo {
        match self {
            Self::BinanceSpot => VenueInfo {
                name: "binance-spot",
                help: "Binance spot (stream.binance.com, api.binance.com)",
                example_symbol: "BTCUSDT",
            },
            Self::BinanceUsdm => VenueInfo {
                name: "binance-usdm",
                help: "Binance USD-M futures (fstream.binance.com, fapi.binance.com)",
                example_symbol: "BTCUSDT",
            },
            Self::BinanceCoinm => VenueInfo {
                name: "binance-coinm",
                help: "Binance COIN-M futures (dstream.binance.com, dapi.binance.com)",
                example_symbol: "BTCUSD_PERP",
            },
            Self::BybitSpot => VenueInfo {
                name: "bybit-spot",
                help: "Bybit v5 spot (stream.bybit.com/v5/public/spot)",
                example_symbol: "BTCUSDT",
            },
            Self::BybitLinear => VenueInfo {
                name: "bybit-linear",
                help: "Bybit v5 USDT/USDC contracts (stream.bybit.com/v5/public/linear)",
                example_symbol: "BTCUSDT",
            },
            Self::BybitInverse => VenueInfo {
                name: "bybit-inverse",
                help: "Bybit v5 inverse contracts (stream.bybit.com/v5/public/inverse)",
                example_symbol: "BTCUSD",
            },
        }
    }

    /// The name used on the command line and in reports.
    pub const fn name(self) -> &'static str {
        self.info().name
    }

    /// The venue a frame says it comes from, if it says (most frames do not: a capture is
    /// recognized by its first frame that does).
    pub fn sniff(frame: &[u8]) -> Option<Self> {
        binance::probe::sniff(frame).or_else(|| bybit::probe::sniff(frame))
    }

    /// Every venue's name, comma-separated (for help and errors).
    pub fn names() -> String {
        Self::ALL.map(Self::name).join(", ")
    }
}

impl fmt::Display for Venue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A venue name that is not one of [`Venue::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown venue {0:?}; expected one of {names}", names = Venue::names())]
pub struct UnknownVenue(pub String);

impl FromStr for Venue {
    type Err = UnknownVenue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.name() == s)
            .ok_or_else(|| UnknownVenue(s.to_owned()))
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
        }
    }
}

/// Forwards every call to the venue's own books.
macro_rules! dispatch {
    ($self:ident, $b:ident => $e:expr) => {
        match $self {
            VenueBooks::Binance($b) => $e,
            VenueBooks::Bybit($b) => $e,
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
    /// A venue ladder reads captures of but has no live connector for yet.
    NotLive,
}

/// The error for a venue without a live connector.
fn not_live(venue: Venue) -> FeedError {
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
            Venue::BybitSpot | Venue::BybitLinear | Venue::BybitInverse => Self::NotLive,
        }
    }

    /// The defaults of `venue` with its book stream of one message per book change, where it
    /// has one (Binance `depth@0ms`: USD-M, COIN-M and the simulated venue; for a venue
    /// without one, its defaults). For measuring per-event latency (`ladder bench --sim`).
    pub fn per_event(venue: Venue) -> Self {
        match venue {
            Venue::BinanceSpot | Venue::BinanceUsdm | Venue::BinanceCoinm => {
                Self::Binance(binance::LiveOptions::per_event())
            }
            Venue::BybitSpot | Venue::BybitLinear | Venue::BybitInverse => Self::NotLive,
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
            (Venue::BinanceSpot | Venue::BinanceUsdm | Venue::BinanceCoinm, Self::NotLive) => Err(
                FeedError::Config(format!("the options given are not {venue}'s")),
            ),
            (Venue::BybitSpot | Venue::BybitLinear | Venue::BybitInverse, _) => {
                Err(not_live(venue))
            }
        }
    }
}

/// The live side of a venue (its folder's [`LiveVenue`]), one arm per venue folder.
#[derive(Debug, Clone)]
pub enum VenueLive {
    /// Binance spot, USD-M and COIN-M.
    Binance(binance::Live),
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
            (
                Venue::BinanceSpot | Venue::BinanceUsdm | Venue::BinanceCoinm,
                VenueOptions::NotLive,
            ) => Err(FeedError::Config(format!(
                "the options given are not {venue}'s"
            ))),
            (Venue::BybitSpot | Venue::BybitLinear | Venue::BybitInverse, _) => {
                Err(not_live(venue))
            }
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
        }
    }
}

impl LiveVenue for VenueLive {
    type Books = VenueBooks;
    type Rest = VenueRest;

    fn venue(&self) -> Venue {
        match self {
            Self::Binance(l) => l.venue(),
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
        }
    }

    fn snapshots(&self) -> SnapshotSource {
        match self {
            Self::Binance(l) => l.snapshots(),
        }
    }

    fn resubscribe(&self, symbol: &str) -> Vec<String> {
        match self {
            Self::Binance(l) => l.resubscribe(symbol),
        }
    }

    fn error_frame(&self, frame: &[u8]) -> Option<VenueMessage> {
        match self {
            Self::Binance(l) => l.error_frame(frame),
        }
    }

    fn rest(&self, endpoints: &Endpoints) -> Result<VenueRest, FeedError> {
        match self {
            Self::Binance(l) => l.rest(endpoints).map(VenueRest::Binance),
        }
    }
}

/// A venue's REST client (its folder's [`LiveRest`]), one arm per venue folder.
#[derive(Debug)]
pub enum VenueRest {
    /// Binance spot, USD-M and COIN-M.
    Binance(binance::rest::RestClient),
}

impl LiveRest for VenueRest {
    fn snapshot_url(&self, symbol: &str) -> String {
        match self {
            Self::Binance(r) => r.snapshot_url(symbol),
        }
    }

    async fn snapshot(&mut self, symbol: &str) -> Result<RestBody, FeedError> {
        match self {
            Self::Binance(r) => r.snapshot(symbol).await,
        }
    }

    async fn instruments(
        &mut self,
        symbols: &[String],
    ) -> Result<Vec<(String, InstrumentSpec)>, FeedError> {
        match self {
            Self::Binance(r) => r.instruments(symbols).await,
        }
    }
}

/// Reads the values of a venue's frames without a registry (grid inference).
#[derive(Debug)]
pub enum VenueProbe {
    /// Binance spot, USD-M and COIN-M.
    Binance(binance::probe::Probe),
    /// Bybit spot, linear and inverse.
    Bybit(bybit::probe::Probe),
}

impl VenueProbe {
    /// A probe for `venue`'s wire format.
    pub fn new(venue: Venue) -> Self {
        match venue {
            Venue::BinanceSpot | Venue::BinanceUsdm | Venue::BinanceCoinm => {
                Self::Binance(binance::probe::Probe::default())
            }
            Venue::BybitSpot | Venue::BybitLinear | Venue::BybitInverse => {
                Self::Bybit(bybit::probe::Probe::default())
            }
        }
    }

    /// The symbol of a frame the venue's decoder uses (`Some(None)`: a frame that names none,
    /// a bare REST snapshot), with its `(price, quantity)` pairs in [`VenueProbe::values`];
    /// `None` for a frame that does not decode or is not used.
    pub fn read<'a>(&mut self, frame: &'a [u8]) -> Option<Option<&'a [u8]>> {
        match self {
            Self::Binance(p) => p.read(frame),
            Self::Bybit(p) => p.read(frame),
        }
    }

    /// The `(price, quantity)` pairs of the last frame read; empty if one of them is a value
    /// the decoder or a book rejects.
    pub fn values(&self) -> &[(RawDecimal, RawDecimal)] {
        match self {
            Self::Binance(p) => p.values(),
            Self::Bybit(p) => p.values(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_the_error_lists_every_venue() {
        for v in Venue::ALL {
            assert_eq!(v.name().parse::<Venue>(), Ok(v));
        }
        let e = "binance".parse::<Venue>().unwrap_err().to_string();
        for v in Venue::ALL {
            assert!(e.contains(v.name()), "{e}");
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
