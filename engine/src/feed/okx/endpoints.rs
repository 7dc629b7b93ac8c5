//! OKX v5 production endpoints (`docs/venues.md` §4.1); a `[venue]` section overrides them
//! (the demo trading WebSocket is `wss://wspap.okx.com:8443/ws/v5/public`).

use crate::feed::live::Endpoints;

/// The public WebSocket (books and trades on one connection) and the REST host.
pub(crate) fn production() -> Endpoints {
    Endpoints {
        ws_book: "wss://ws.okx.com:8443/ws/v5/public".to_owned(),
        ws_trades: "wss://ws.okx.com:8443/ws/v5/public".to_owned(),
        rest: "https://www.okx.com".to_owned(),
    }
}
