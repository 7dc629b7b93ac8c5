//! The simulator's wire encodings: the one place a venue's format plugs into the simulator.
//!
//! The order-flow model and the market tasks speak in venue-neutral terms (integer ticks and
//! lots, model update ids, [`StreamKind`]s); an [`Encoder`] turns that into one venue's bytes:
//! stream names and which connection path serves which stream, subscribe messages, WebSocket
//! frames, REST paths, weights and bodies, and the URLs a client of the venue is configured
//! with. One enum, one folder per venue family:
//!
//! - [`binance`]: Binance spot and USD-M futures.
//!
//! A new venue adds a variant here, a folder beside `binance/`, and an arm in
//! [`Encoder::for_venue`]; nothing else in the simulator changes.

pub(crate) mod binance;
mod frame;

pub use frame::SimUrls;
pub(crate) use frame::{
    AggIds, DiffSpan, Fmt, Frame, PartialAt, Sides, SymbolWire, Top, TradePrint, VenueDefaults,
    WsRoute,
};

use super::rest::Reply;
use super::server::Session;
use super::stream::{StreamKind, Window};
use super::{Shared, SimError, SimSymbol};
use crate::feed::Venue;
use crate::feed::live::Endpoints;

/// One venue's wire format. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Encoder {
    /// Binance spot or USD-M futures.
    Binance(binance::Binance),
}

impl Encoder {
    /// The encoder of `venue`, or why the simulator cannot serve it.
    pub(crate) fn for_venue(venue: Venue) -> Result<Self, SimError> {
        Self::of(venue).ok_or_else(|| {
            SimError::Config(format!(
                "the simulator does not serve {venue}; it serves {}",
                served_names()
            ))
        })
    }

    /// The one place a venue is mapped to its encoder.
    fn of(venue: Venue) -> Option<Self> {
        match venue {
            Venue::BinanceSpot | Venue::BinanceUsdm => {
                Some(Self::Binance(binance::Binance::new(venue)))
            }
            // COIN-M quotes contracts on `BTCUSD_PERP`-style symbols with a `ps` pair field:
            // not encoded yet.
            Venue::BinanceCoinm => None,
            // Bybit's encoder comes with its live connector.
            Venue::BybitSpot | Venue::BybitLinear | Venue::BybitInverse => None,
            // OKX's wire format has no encoder yet.
            Venue::Okx => None,
            // Coinbase's encoder comes with its live connector.
            Venue::Coinbase | Venue::CoinbaseExchange => None,
            // Kraken's encoder (checksums, a corrupting fault) comes with its live connector.
            Venue::Kraken => None,
        }
    }

    /// The venue's defaults.
    pub(crate) fn defaults(&self) -> VenueDefaults {
        match self {
            Self::Binance(b) => b.defaults(),
        }
    }

    /// A preset symbol of this venue by name (case-insensitive).
    pub(crate) fn preset(&self, name: &str) -> Option<SimSymbol> {
        match self {
            Self::Binance(b) => b.preset(name),
        }
    }

    /// The names of the presets, for messages.
    pub(crate) fn preset_names(&self) -> Vec<&'static str> {
        match self {
            Self::Binance(b) => b.preset_names(),
        }
    }

    /// How `symbol` looks on this venue, or why it cannot be shown.
    pub(crate) fn symbol_wire(&self, symbol: &SimSymbol) -> Result<SymbolWire, SimError> {
        let spec = symbol.spec()?;
        let wire = match self {
            Self::Binance(b) => b.symbol_wire(symbol, &spec),
        };
        wire.map_err(|e| match e {
            SimError::Config(m) => SimError::Config(format!("symbol {}: {m}", symbol.symbol)),
            other => other,
        })
    }

    /// The batch windows of the diff and partial streams the venue serves, shortest first.
    pub(crate) fn windows(&self) -> &'static [Window] {
        match self {
            Self::Binance(b) => b.windows(),
        }
    }

    /// A model update id as the venue's messages show it.
    pub(crate) fn wire_id(&self, model_id: u64) -> u64 {
        match self {
            Self::Binance(b) => b.wire_id(model_id),
        }
    }

    /// Splits a stream name into the symbol key and the kind, or says why it is not one.
    pub(crate) fn parse_stream<'n>(&self, name: &'n str) -> Result<(&'n str, StreamKind), String> {
        match self {
            Self::Binance(b) => b.parse_stream(name),
        }
    }

    /// At most this many streams per connection.
    pub(crate) fn max_streams(&self) -> usize {
        match self {
            Self::Binance(_) => binance::MAX_STREAMS,
        }
    }

    /// What a handshake path and query ask for, or why they are refused (HTTP 400).
    pub(crate) fn ws_route(&self, path: &str, query: Option<&str>) -> Result<WsRoute, String> {
        match self {
            Self::Binance(b) => b.ws_route(path, query),
        }
    }

    /// Answers one text message from a client (subscribe, unsubscribe, ...).
    pub(crate) fn control(&self, text: &str, session: &mut Session<'_>) -> String {
        match self {
            Self::Binance(_) => binance::control(text, session),
        }
    }

    /// What the venue sends before it closes a connection at shutdown, if anything.
    pub(crate) fn shutdown_notice(&self, combined: bool, now_ms: u64) -> Option<String> {
        match self {
            Self::Binance(b) => b.shutdown_notice(combined, now_ms),
        }
    }

    /// A diff-depth message: the levels that changed over `span`.
    pub(crate) fn diff(
        &self,
        s: &SymbolWire,
        kind: StreamKind,
        span: DiffSpan,
        changed: Sides<'_>,
    ) -> Frame {
        match self {
            Self::Binance(b) => b.diff(s, kind, span, changed),
        }
    }

    /// A partial-depth message of the `top` levels (`None`: the venue sends none for this
    /// window).
    pub(crate) fn partial(
        &self,
        s: &SymbolWire,
        kind: StreamKind,
        at: PartialAt,
        top: Sides<'_>,
    ) -> Option<Frame> {
        match self {
            Self::Binance(b) => b.partial(s, kind, at, top),
        }
    }

    /// A trade message.
    pub(crate) fn trade(&self, s: &SymbolWire, t: &TradePrint) -> Frame {
        match self {
            Self::Binance(b) => b.trade(s, t),
        }
    }

    /// An aggregated-trade message.
    pub(crate) fn agg_trade(&self, s: &SymbolWire, t: &TradePrint, ids: AggIds) -> Frame {
        match self {
            Self::Binance(b) => b.agg_trade(s, t, ids),
        }
    }

    /// A best bid/ask message.
    pub(crate) fn book_ticker(&self, s: &SymbolWire, top: &Top) -> Frame {
        match self {
            Self::Binance(b) => b.book_ticker(s, top),
        }
    }

    /// The weight of a REST request, or the answer when it is refused before any weight is
    /// charged (unknown path, method).
    pub(crate) fn rest_weight(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
    ) -> Result<u32, Reply> {
        match self {
            Self::Binance(b) => b.rest_weight(method, path, query),
        }
    }

    /// Answers a REST request whose weight was charged.
    pub(crate) fn rest_answer(
        &self,
        shared: &Shared,
        path: &str,
        query: &[(String, String)],
    ) -> Reply {
        match self {
            Self::Binance(b) => b.rest_answer(shared, path, query),
        }
    }

    /// The answer past the weight limit (or a forced 429).
    pub(crate) fn too_many_requests(&self, limit: u32, retry_after: u64) -> Reply {
        match self {
            Self::Binance(_) => binance::too_many_requests(limit, retry_after),
        }
    }

    /// The answer of a banned client (a forced 418).
    pub(crate) fn banned(&self, until_ms: u64) -> Reply {
        match self {
            Self::Binance(_) => binance::banned(until_ms),
        }
    }

    /// Headers that report the used weight.
    pub(crate) fn weight_headers(&self, used: u32) -> Vec<(&'static str, String)> {
        match self {
            Self::Binance(b) => b.weight_headers(used),
        }
    }

    /// The venue's endpoints with the simulator's sockets in place of the venue's hosts.
    pub(crate) fn endpoints(&self, ws_base: &str, rest_base: &str) -> Endpoints {
        match self {
            Self::Binance(b) => b.endpoints(ws_base, rest_base),
        }
    }

    /// The REST depth body of `m` at the model's current id, answered at `now_ms` (for the
    /// golden test).
    #[cfg(test)]
    pub(crate) fn depth_text(&self, m: &super::SymbolMarket, limit: usize, now_ms: u64) -> String {
        match self {
            Self::Binance(b) => b.depth_text(m, limit, now_ms),
        }
    }

    /// Example URLs for people, for the first symbol.
    pub(crate) fn urls(&self, ws_base: &str, rest_base: &str, first: &SymbolWire) -> SimUrls {
        match self {
            Self::Binance(b) => b.urls(ws_base, rest_base, first),
        }
    }
}

/// The venues the simulator serves, comma-separated, from [`Venue::ALL`].
pub(crate) fn served_names() -> String {
    Venue::ALL
        .into_iter()
        .filter(|v| serves(*v))
        .map(Venue::name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// True if the simulator has an encoder for `venue`.
pub fn serves(venue: Venue) -> bool {
    Encoder::of(venue).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoders_exist_for_the_served_venues_only() {
        for v in Venue::ALL {
            assert_eq!(Encoder::for_venue(v).is_ok(), serves(v), "{v}");
        }
        assert_eq!(served_names(), "binance-spot, binance-usdm");
        let err = Encoder::for_venue(Venue::BinanceCoinm)
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not serve binance-coinm"), "{err}");
    }
}
