//! Venue feeds: wire decoders and sequencers, one folder per venue.
//!
//! Every venue folder has the same files: `wire.rs` (the raw JSON shapes, parsed straight from
//! bytes), `decode.rs` (wire values to integer ticks and lots of registered instruments),
//! `sync.rs` (the venue's snapshot + diff sequencing rules). What every venue shares lives here:
//! [`integrity`] (the faults a sequencer reports, counted by kind) and [`pending`] (diffs held
//! while a book waits for its snapshot, bounded in bytes).

pub mod binance;
pub mod events;
pub mod integrity;
pub mod json;
pub mod live;
pub mod pending;

use std::fmt;
use std::str::FromStr;

/// A venue ladder can decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Venue {
    /// Binance spot (`stream.binance.com`).
    BinanceSpot,
    /// Binance USD-M futures (`fstream.binance.com`).
    BinanceUsdm,
    /// Binance COIN-M futures (`dstream.binance.com`).
    BinanceCoinm,
}

impl Venue {
    /// Every venue, in the order the command line lists them.
    pub const ALL: [Self; 3] = [Self::BinanceSpot, Self::BinanceUsdm, Self::BinanceCoinm];

    /// The name used on the command line and in reports.
    pub const fn name(self) -> &'static str {
        match self {
            Self::BinanceSpot => "binance-spot",
            Self::BinanceUsdm => "binance-usdm",
            Self::BinanceCoinm => "binance-coinm",
        }
    }
}

impl fmt::Display for Venue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A venue name that is not one of [`Venue::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown venue {0:?}; expected one of binance-spot, binance-usdm, binance-coinm")]
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
