//! Kraken spot, WebSocket v2, as the simulator serves it (`docs/venues.md` §5, §12), on `/v2`.
//!
//! | channel | depth | push | messages |
//! |---|---|---|---|
//! | `book` | 10, 25, 100, 500 | 10 ms | `snapshot`, then `update`s, each with `checksum` |
//! | `book` | 1000 | 200 ms | the same |
//! | `trade` | | per fill | `update`s |
//!
//! Symbols are v2 pairs (`BTC/USD`); prices and quantities are JSON numbers written with the
//! pair's precision, trailing zeros kept (`63299.4`, `0.00209987`). Every book message carries
//! the CRC32 of the top 10 asks and bids after it (`checksum.rs`'s rule, §5.3). An update
//! holds the levels that changed within the subscribed depth and, as Kraken does, no `qty` 0
//! for a level that only fell out of the depth (the client truncates). The wrong-checksum fault
//! ([`BookFault::BadChecksum`](super::BookFault)) writes a checksum that does not match.
//!
//! Control messages (`subscribe`, `unsubscribe`, `ping`) are in `control.rs`; REST
//! (`/0/public/AssetPairs`) in `rest.rs`.

mod control;
mod rest;
mod wire;

pub(crate) use rest::{banned, too_many_requests};

use super::preset::{SplitPresets, preset};
use super::{
    BookMsg, Fmt, Frame, SimUrls, SymbolWire, TradePrint, VenueDefaults, WsRoute, one_socket,
};
use crate::feed::live::Endpoints;
use crate::sim::stream::{BOOK_TOPICS, BookTopic, StreamKind};
use crate::sim::{SimError, SimSymbol};
use ladder_sdk::InstrumentSpec;
use std::time::Duration;

/// The depths Kraken serves: 10, 25, 100, 500, 1000.
pub(crate) const TOPICS: [BookTopic; 5] = [
    BOOK_TOPICS[8],
    BOOK_TOPICS[9],
    BOOK_TOPICS[10],
    BOOK_TOPICS[11],
    BOOK_TOPICS[7],
];

/// Channels per connection (Kraken documents no limit; the simulator refuses none below this).
pub(crate) const MAX_STREAMS: usize = 1_000;

/// The v2 WebSocket path.
const WS_PATH: &str = "/v2";

/// Grids as `/0/public/AssetPairs` lists them (`tick_size`, `lot_decimals`).
const PRESETS: SplitPresets = SplitPresets {
    table: &[
        preset("BTC/USD", (1, 1), (1, 8), 60_000),
        preset("ETH/USD", (1, 2), (1, 8), 3_000),
        preset("SOL/USD", (1, 2), (1, 8), 150),
    ],
    sep: '/',
};

/// Kraken spot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Kraken;

impl Kraken {
    pub(crate) fn defaults(self) -> VenueDefaults {
        VenueDefaults {
            symbols: PRESETS.defaults(),
            ping_interval: Duration::from_secs(20),
            pong_timeout: Duration::from_secs(600),
            // Public REST: about 1 request a second.
            weight_limit: 15,
            weight_window: Duration::from_secs(15),
        }
    }

    pub(crate) fn preset_names(self) -> Vec<&'static str> {
        PRESETS.names()
    }

    pub(crate) fn preset(self, name: &str) -> Option<SimSymbol> {
        PRESETS.find(name)
    }

    /// Values written with the grid's decimals, trailing zeros kept (the pair's precision).
    pub(crate) fn symbol_wire(
        self,
        symbol: &SimSymbol,
        spec: &InstrumentSpec,
    ) -> Result<SymbolWire, SimError> {
        let fmt = Fmt::new(spec, symbol.tick_size.scale(), symbol.lot_size.scale())?;
        Ok(SymbolWire::upper_case(symbol, fmt, |k, key| match k {
            StreamKind::Book(t) if TOPICS.contains(&t) => Some(format!("book.{}.{key}", t.depth)),
            StreamKind::Trade => Some(format!("trade.{key}")),
            _ => None,
        }))
    }

    /// `book.{depth}.{SYMBOL}` or `trade.{SYMBOL}`: the symbol and the kind.
    pub(crate) fn parse_stream(self, name: &str) -> Result<(&str, StreamKind), String> {
        if let Some(sym) = name.strip_prefix("trade.") {
            return Ok((sym, StreamKind::Trade));
        }
        let invalid = || format!("invalid subscription {name:?}");
        let rest = name.strip_prefix("book.").ok_or_else(invalid)?;
        let (depth, sym) = rest.split_once('.').ok_or_else(invalid)?;
        let depth: u16 = depth.parse().map_err(|_| invalid())?;
        let topic = TOPICS
            .iter()
            .find(|t| t.depth == depth)
            .ok_or_else(|| format!("Unsupported depth {depth}"))?;
        Ok((sym, StreamKind::Book(*topic)))
    }

    pub(crate) fn ws_route(self, path: &str, _query: Option<&str>) -> Result<WsRoute, String> {
        WsRoute::single_path(path, WS_PATH)
    }

    pub(crate) fn endpoints(self, ws_base: &str, rest_base: &str) -> Endpoints {
        one_socket(format!("{ws_base}{WS_PATH}"), rest_base)
    }

    pub(crate) fn urls(self, ws_base: &str, rest_base: &str, first: &SymbolWire) -> SimUrls {
        let e = self.endpoints(ws_base, rest_base);
        let sub = |params: &str| {
            format!(
                "{} then {{\"method\":\"subscribe\",\"params\":{{{params},\"symbol\":[\"{}\"]}}}}",
                e.ws_book, first.symbol
            )
        };
        SimUrls {
            book_stream: sub("\"channel\":\"book\",\"depth\":25"),
            trade_stream: sub("\"channel\":\"trade\""),
            depth_snapshot: format!("{} (the first message of a book subscription)", e.ws_book),
            exchange_info: format!("{}/0/public/AssetPairs", e.rest.trim_end_matches('/')),
        }
    }

    pub(crate) fn book(self, s: &SymbolWire, msg: &BookMsg<'_>) -> Frame {
        Frame::plain(|o| wire::book(o, s, msg))
    }

    pub(crate) fn trade(self, s: &SymbolWire, t: &TradePrint) -> Frame {
        Frame::plain(|o| wire::trade(o, s, t))
    }
}

#[cfg(test)]
mod tests;
