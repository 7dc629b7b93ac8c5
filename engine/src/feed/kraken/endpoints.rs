//! Kraken production endpoints (`docs/venues.md` §5.1); a `[venue]` section overrides them
//! (the beta WebSocket is `wss://beta-ws.kraken.com/v2`).

use crate::feed::live::Endpoints;

/// The public WebSocket v2 (books and trades on one connection) and the REST host.
pub(crate) fn production() -> Endpoints {
    Endpoints {
        ws_book: "wss://ws.kraken.com/v2".to_owned(),
        ws_trades: "wss://ws.kraken.com/v2".to_owned(),
        rest: "https://api.kraken.com".to_owned(),
    }
}
