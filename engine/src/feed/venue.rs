//! The one list of venues: every [`Venue`] with its name, help line and example symbol
//! ([`Venue::ALL`], [`Venue::info`]); the command line's `--venue` choices and the
//! unknown-venue error are built from it. A venue is registered here and in the one dispatch
//! from a venue to its folder, [`crate::feed::dispatch`]. This module depends on nothing else of
//! the feed, so every other module (the live core included) may use it.

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
    /// OKX v5: spot, swaps, futures and options (`ws.okx.com`).
    Okx,
    /// Coinbase Advanced Trade (`advanced-trade-ws.coinbase.com`).
    Coinbase,
    /// Coinbase Exchange, the legacy feed (`ws-feed.exchange.coinbase.com`): captures only.
    CoinbaseExchange,
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
    pub const ALL: [Self; 9] = [
        Self::BinanceSpot,
        Self::BinanceUsdm,
        Self::BinanceCoinm,
        Self::BybitSpot,
        Self::BybitLinear,
        Self::BybitInverse,
        Self::Okx,
        Self::Coinbase,
        Self::CoinbaseExchange,
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
            Self::Okx => VenueInfo {
                name: "okx",
                help: "OKX v5 spot, swaps, futures and options (ws.okx.com, www.okx.com)",
                example_symbol: "BTC-USDT",
            },
            Self::Coinbase => VenueInfo {
                name: "coinbase",
                help: "Coinbase Advanced Trade (advanced-trade-ws.coinbase.com)",
                example_symbol: "BTC-USD",
            },
            Self::CoinbaseExchange => VenueInfo {
                name: "coinbase-exchange",
                help: "Coinbase Exchange legacy feed captures (ws-feed.exchange.coinbase.com)",
                example_symbol: "BTC-USD",
            },
        }
    }

    /// The name used on the command line and in reports.
    pub const fn name(self) -> &'static str {
        self.info().name
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
