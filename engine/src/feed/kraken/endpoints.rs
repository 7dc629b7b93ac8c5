//! Kraken production endpoints (`docs/venues.md` §5.1). The live connector is not built yet:
//! the live dispatch refuses Kraken with a clear error; `[venue]` configs show these.

use crate::feed::live::Endpoints;

/// The public WebSocket v2 (books and trades on one connection) and the REST host.
pub(crate) fn production() -> Endpoints {
    Endpoints {
        ws_book: "wss://ws.kraken.com/v2".to_owned(),
        ws_trades: "wss://ws.kraken.com/v2".to_owned(),
        rest: "https://api.kraken.com".to_owned(),
    }
}
