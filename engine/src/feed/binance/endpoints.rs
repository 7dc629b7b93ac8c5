//! Binance endpoints: production URLs per venue, REST paths, request weights and depth limits.
//!
//! | venue | depth + bookTicker WS | trades WS | REST |
//! |---|---|---|---|
//! | `binance-spot` | `wss://stream.binance.com:9443/stream` | same connection | `https://api.binance.com` |
//! | `binance-usdm` | `wss://fstream.binance.com/public/stream` | `wss://fstream.binance.com/market/stream` | `https://fapi.binance.com` |
//! | `binance-coinm` | `wss://dstream.binance.com/stream` | same connection | `https://dapi.binance.com` |
//!
//! USD-M's split into `/public` (depth, bookTicker) and `/market` (trades) is mandatory since
//! 2026-04-23 (`docs/venues.md` §2.1); the legacy `/stream` accepts and then sends nothing.
//! WebSocket URLs end at `/stream`: the connection plan ([`super::live`]) appends
//! `?streams=a/b/c` (combined streams). The weight table is the one the simulated venue charges
//! too (`sim/encode/binance/rest.rs`), so the two cannot drift apart.

use crate::feed::Venue;
use crate::feed::live::Endpoints;

/// The production endpoints of `venue` (the table above).
pub(crate) fn production(venue: Venue) -> Endpoints {
    let (book, trades, rest) = match venue {
        Venue::BinanceSpot => (
            "wss://stream.binance.com:9443/stream",
            "wss://stream.binance.com:9443/stream",
            "https://api.binance.com",
        ),
        Venue::BinanceUsdm => (
            "wss://fstream.binance.com/public/stream",
            "wss://fstream.binance.com/market/stream",
            "https://fapi.binance.com",
        ),
        // Only Binance venues reach here (the live dispatch); COIN-M is the third.
        _ => (
            "wss://dstream.binance.com/stream",
            "wss://dstream.binance.com/stream",
            "https://dapi.binance.com",
        ),
    };
    Endpoints {
        ws_book: book.to_owned(),
        ws_trades: trades.to_owned(),
        rest: rest.to_owned(),
    }
}

/// REST paths of a venue.
pub(crate) struct RestPaths {
    pub(crate) depth: &'static str,
    pub(crate) exchange_info: &'static str,
}

pub(crate) const fn rest_paths(venue: Venue) -> RestPaths {
    match venue {
        Venue::BinanceSpot => RestPaths {
            depth: "/api/v3/depth",
            exchange_info: "/api/v3/exchangeInfo",
        },
        Venue::BinanceUsdm => RestPaths {
            depth: "/fapi/v1/depth",
            exchange_info: "/fapi/v1/exchangeInfo",
        },
        Venue::BinanceCoinm => RestPaths {
            depth: "/dapi/v1/depth",
            exchange_info: "/dapi/v1/exchangeInfo",
        },
        Venue::BybitSpot
        | Venue::BybitLinear
        | Venue::BybitInverse
        | Venue::Okx
        | Venue::Coinbase
        | Venue::CoinbaseExchange => RestPaths {
            depth: "/v5/market/orderbook",
            exchange_info: "/v5/market/instruments-info",
        },
    }
}

/// Request weight of a depth snapshot of `limit` levels (`docs/venues.md` §1.3, §2.2).
pub(crate) const fn depth_weight(venue: Venue, limit: u32) -> u32 {
    match venue {
        Venue::BinanceSpot => match limit {
            0..=100 => 5,
            101..=500 => 25,
            501..=1000 => 50,
            _ => 250,
        },
        Venue::BinanceUsdm | Venue::BinanceCoinm => match limit {
            0..=50 => 2,
            51..=100 => 5,
            101..=500 => 10,
            _ => 20,
        },
        // Not Binance venues: never asked (the live dispatch refuses them).
        Venue::BybitSpot
        | Venue::BybitLinear
        | Venue::BybitInverse
        | Venue::Okx
        | Venue::Coinbase
        | Venue::CoinbaseExchange => 1,
    }
}

/// Request weight of exchangeInfo.
pub(crate) const fn exchange_info_weight(venue: Venue) -> u32 {
    match venue {
        Venue::BinanceSpot => 20,
        Venue::BinanceUsdm | Venue::BinanceCoinm => 1,
        Venue::BybitSpot
        | Venue::BybitLinear
        | Venue::BybitInverse
        | Venue::Okx
        | Venue::Coinbase
        | Venue::CoinbaseExchange => 1,
    }
}

/// Depth limits the venue accepts.
pub(crate) fn valid_depth_limit(venue: Venue, limit: u32) -> bool {
    match venue {
        Venue::BinanceSpot => (1..=5000).contains(&limit),
        Venue::BinanceUsdm | Venue::BinanceCoinm => {
            [5, 10, 20, 50, 100, 500, 1000].contains(&limit)
        }
        // Not Binance venues: never asked (the live dispatch refuses them).
        Venue::BybitSpot
        | Venue::BybitLinear
        | Venue::BybitInverse
        | Venue::Okx
        | Venue::Coinbase
        | Venue::CoinbaseExchange => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_endpoints_use_the_usdm_url_split() {
        let e = production(Venue::BinanceUsdm);
        assert_eq!(e.ws_book, "wss://fstream.binance.com/public/stream");
        assert_eq!(e.ws_trades, "wss://fstream.binance.com/market/stream");
        assert!(!e.single_connection());
        assert!(production(Venue::BinanceSpot).single_connection());
        assert_eq!(
            production(Venue::BinanceCoinm).rest,
            "https://dapi.binance.com"
        );
        assert_eq!(
            Endpoints::production(Venue::BinanceUsdm),
            e,
            "the dispatch asks here"
        );
    }

    #[test]
    fn depth_weights_follow_the_documented_tables() {
        assert_eq!(depth_weight(Venue::BinanceSpot, 1000), 50);
        assert_eq!(depth_weight(Venue::BinanceSpot, 5000), 250);
        assert_eq!(depth_weight(Venue::BinanceUsdm, 1000), 20);
        assert!(valid_depth_limit(Venue::BinanceSpot, 5000));
        assert!(!valid_depth_limit(Venue::BinanceUsdm, 5000));
    }
}
