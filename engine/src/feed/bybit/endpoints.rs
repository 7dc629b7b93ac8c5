//! Bybit v5 production endpoints (`docs/venues.md` §3.1); a `[venue]` section overrides them
//! (testnet: `wss://stream-testnet.bybit.com/v5/public/...`, `https://api-testnet.bybit.com`).

use crate::feed::Venue;
use crate::feed::live::Endpoints;

/// The production endpoints of a Bybit `venue` (public streams per product, one REST host).
pub(crate) fn production(venue: Venue) -> Endpoints {
    let ws = match venue {
        Venue::BybitLinear => "wss://stream.bybit.com/v5/public/linear",
        Venue::BybitInverse => "wss://stream.bybit.com/v5/public/inverse",
        // Only Bybit venues reach here (the live dispatch); spot is the third.
        _ => "wss://stream.bybit.com/v5/public/spot",
    };
    Endpoints {
        ws_book: ws.to_owned(),
        ws_trades: ws.to_owned(),
        rest: "https://api.bybit.com".to_owned(),
    }
}
