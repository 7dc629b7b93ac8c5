//! The one list of venues, and the one dispatch from a venue to its folder.
//!
//! A venue is registered here and nowhere else: its [`Venue`] variant with its name and help
//! line in [`Venue::ALL`] / [`Venue::info`], and its arm in [`VenueBooks`] (the one concrete
//! dispatch, an enum: no `dyn` on the hot path). Everything else reaches a venue through these
//! two: the command line's `--venue` choices and the unknown-venue error are built from the list,
//! and the capture pipeline, the live connector and the simulator ask [`VenueBooks`] to decode
//! and sequence.

use super::binance;
use super::books::{BookView, EventOut, FeedBooks, Frame, FrameError};
use super::okx;
use crate::instrument::Registry;
use ladder_sdk::{InstrumentId, RawDecimal, UnixNanos};
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
    /// OKX v5: spot, swaps, futures and options (`ws.okx.com`).
    Okx,
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
    pub const ALL: [Self; 4] = [
        Self::BinanceSpot,
        Self::BinanceUsdm,
        Self::BinanceCoinm,
        Self::Okx,
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
            Self::Okx => VenueInfo {
                name: "okx",
                help: "OKX v5 spot, swaps, futures and options (ws.okx.com, www.okx.com)",
                example_symbol: "BTC-USDT",
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
        binance::probe::sniff(frame).or_else(|| okx::probe::sniff(frame))
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
    /// OKX.
    Okx(okx::Books),
}

impl VenueBooks {
    /// Empty books (awaiting their snapshots) for every instrument of `venue` in `registry`.
    pub fn new(venue: Venue, registry: &Registry) -> Self {
        match venue {
            Venue::BinanceSpot | Venue::BinanceUsdm | Venue::BinanceCoinm => {
                Self::Binance(binance::Books::new(venue, registry))
            }
            Venue::Okx => Self::Okx(okx::Books::new(registry)),
        }
    }
}

/// Forwards every call to the venue's own books.
macro_rules! dispatch {
    ($self:ident, $b:ident => $e:expr) => {
        match $self {
            VenueBooks::Binance($b) => $e,
            VenueBooks::Okx($b) => $e,
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

/// Reads the values of a venue's frames without a registry (grid inference).
#[derive(Debug)]
pub enum VenueProbe {
    /// Binance spot, USD-M and COIN-M.
    Binance(binance::probe::Probe),
    /// OKX.
    Okx(okx::probe::Probe),
}

impl VenueProbe {
    /// A probe for `venue`'s wire format.
    pub fn new(venue: Venue) -> Self {
        match venue {
            Venue::BinanceSpot | Venue::BinanceUsdm | Venue::BinanceCoinm => {
                Self::Binance(binance::probe::Probe::default())
            }
            Venue::Okx => Self::Okx(okx::probe::Probe::default()),
        }
    }

    /// The symbol of a frame the venue's decoder uses (`Some(None)`: a frame that names none,
    /// a bare REST snapshot), with its `(price, quantity)` pairs in [`VenueProbe::values`];
    /// `None` for a frame that does not decode or is not used.
    pub fn read<'a>(&mut self, frame: &'a [u8]) -> Option<Option<&'a [u8]>> {
        match self {
            Self::Binance(p) => p.read(frame),
            Self::Okx(p) => p.read(frame),
        }
    }

    /// The `(price, quantity)` pairs of the last frame read; empty if one of them is a value
    /// the decoder or a book rejects.
    pub fn values(&self) -> &[(RawDecimal, RawDecimal)] {
        match self {
            Self::Binance(p) => p.values(),
            Self::Okx(p) => p.values(),
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
}
