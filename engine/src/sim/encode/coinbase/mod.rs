//! Coinbase Advanced Trade as the simulator serves it (`docs/venues.md` §6.1, §12), on the
//! WebSocket's root path.
//!
//! | channel | what | messages |
//! |---|---|---|
//! | `level2` | the top 400 levels, pushed every 100 ms when they changed | `l2_data`: a `snapshot`, then `update`s of the levels that changed (`"0"` removes) |
//! | `market_trades` | one message per fill | `market_trades` `update` |
//! | `heartbeats` | one a second per connection | `heartbeats` with a rising `heartbeat_counter` |
//!
//! One channel per subscribe message (`{"type":"subscribe","product_ids":[..],"channel":..}`,
//! an optional `jwt` accepted and not checked), answered with a `subscriptions` message; a
//! `level2` subscription starts with its snapshot. Every message carries the connection's own
//! `sequence_num` (0, 1, 2, ... over every channel), set as the connection sends it
//! ([`Coinbase::stamps_sequence`], `wire::stamp`); the `seq_break_every` fault skips one number
//! every Nth message of a connection, a gap of every book on it. Numbers are written without
//! trailing zeros (`"65062.5"`, `"0.00583"`), as the recording shows. REST:
//! `GET /api/v3/brokerage/market/products/{product_id}` (`rest.rs`). Control messages are in
//! `control.rs`.

mod control;
mod rest;
mod wire;

pub(crate) use rest::{banned, too_many_requests};
pub(crate) use wire::stamp;

use super::preset::{SplitPresets, preset};
use super::{
    BookMsg, Fmt, Frame, SimUrls, SymbolWire, TradePrint, VenueDefaults, WsRoute, one_socket,
};
use crate::feed::live::Endpoints;
use crate::sim::stream::{BOOK_TOPICS, BookTopic, StreamKind};
use crate::sim::{SimError, SimSymbol};
use ladder_sdk::InstrumentSpec;
use std::time::Duration;

/// `level2` as the simulator serves it: 400 levels, every 100 ms.
pub(crate) const TOPIC: BookTopic = BOOK_TOPICS[5];

/// The book topics Coinbase serves.
pub(crate) const TOPICS: [BookTopic; 1] = [TOPIC];

/// Streams per connection.
pub(crate) const MAX_STREAMS: usize = 1_000;

/// How often a connection subscribed to `heartbeats` gets one.
pub(crate) const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);

/// Grids as the products endpoint lists them (`price_increment`, `base_increment`).
const PRESETS: SplitPresets = SplitPresets {
    table: &[
        preset("BTC-USD", (1, 2), (1, 8), 60_000),
        preset("ETH-USD", (1, 2), (1, 8), 3_000),
        preset("SOL-USD", (1, 2), (1, 8), 150),
    ],
    sep: '-',
};

/// Coinbase Advanced Trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Coinbase;

impl Coinbase {
    pub(crate) fn defaults(self) -> VenueDefaults {
        VenueDefaults {
            symbols: PRESETS.defaults(),
            ping_interval: Duration::from_secs(30),
            pong_timeout: Duration::from_secs(600),
            // Public REST: 10 requests per second per IP.
            weight_limit: 10,
            weight_window: Duration::from_secs(1),
        }
    }

    pub(crate) fn preset_names(self) -> Vec<&'static str> {
        PRESETS.names()
    }

    pub(crate) fn preset(self, name: &str) -> Option<SimSymbol> {
        PRESETS.find(name)
    }

    pub(crate) fn symbol_wire(
        self,
        symbol: &SimSymbol,
        spec: &InstrumentSpec,
    ) -> Result<SymbolWire, SimError> {
        let fmt = Fmt::new(spec, symbol.tick_size.scale(), symbol.lot_size.scale())?.trimmed();
        Ok(SymbolWire::upper_case(symbol, fmt, |k, key| match k {
            StreamKind::Book(t) if t == TOPIC => Some(format!("level2:{key}")),
            StreamKind::Trade => Some(format!("market_trades:{key}")),
            _ => None,
        }))
    }

    /// `channel:PRODUCT` (how the control messages name a stream): the product and the kind.
    pub(crate) fn parse_stream(self, name: &str) -> Result<(&str, StreamKind), String> {
        let (channel, product) = name
            .split_once(':')
            .ok_or_else(|| format!("invalid channel {name:?}"))?;
        match channel {
            "level2" => Ok((product, StreamKind::Book(TOPIC))),
            "market_trades" => Ok((product, StreamKind::Trade)),
            _ => Err(format!("unknown channel {channel:?}")),
        }
    }

    pub(crate) fn ws_route(self, path: &str, _query: Option<&str>) -> Result<WsRoute, String> {
        WsRoute::single_path(path, "")
    }

    pub(crate) fn endpoints(self, ws_base: &str, rest_base: &str) -> Endpoints {
        one_socket(ws_base.to_owned(), rest_base)
    }

    pub(crate) fn urls(self, ws_base: &str, rest_base: &str, first: &SymbolWire) -> SimUrls {
        let sub = |channel: &str| {
            format!(
                "{ws_base} then {{\"type\":\"subscribe\",\"product_ids\":[\"{}\"],\"channel\":\"{channel}\"}}",
                first.symbol
            )
        };
        let rest = rest_base.trim_end_matches('/');
        SimUrls {
            book_stream: sub("level2"),
            trade_stream: sub("market_trades"),
            depth_snapshot: format!("{ws_base} (the first message of a level2 subscription)"),
            exchange_info: format!("{rest}/api/v3/brokerage/market/products/{}", first.symbol),
        }
    }

    pub(crate) fn book(self, s: &SymbolWire, msg: &BookMsg<'_>) -> Frame {
        Frame::plain(|o| wire::book(o, s, msg))
    }

    pub(crate) fn trade(self, s: &SymbolWire, t: &TradePrint) -> Frame {
        Frame::plain(|o| wire::trade(o, s, t))
    }

    /// A heartbeat of a connection, its `counter`th.
    pub(crate) fn heartbeat(self, counter: u64, now_ms: u64) -> String {
        wire::heartbeat(counter, now_ms)
    }
}

#[cfg(test)]
mod tests;
