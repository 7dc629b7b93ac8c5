//! Coinbase production endpoints (`docs/venues.md` §6); a `[venue]` section overrides them.
//! Advanced Trade (`coinbase`) is live; the legacy Exchange feed (`coinbase-exchange`) is
//! replay-only and its live side is refused with a clear error.

use crate::feed::Venue;
use crate::feed::live::Endpoints;

/// Advanced Trade's market-data WebSocket and REST host; for `coinbase-exchange`, the legacy
/// feed's.
pub(crate) fn production(venue: Venue) -> Endpoints {
    let (ws, rest) = match venue {
        Venue::CoinbaseExchange => (
            "wss://ws-feed.exchange.coinbase.com",
            "https://api.exchange.coinbase.com",
        ),
        // Only Coinbase venues reach here (the dispatch); Advanced Trade is the other.
        _ => (
            "wss://advanced-trade-ws.coinbase.com",
            "https://api.coinbase.com",
        ),
    };
    Endpoints {
        ws_book: ws.to_owned(),
        ws_trades: ws.to_owned(),
        rest: rest.to_owned(),
    }
}
