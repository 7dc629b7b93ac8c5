//! OKX v5 as the simulator serves it (`docs/venues.md` §4, §12), on `/ws/v5/public`.
//!
//! | channel | depth | push | messages |
//! |---|---|---|---|
//! | `books` | 400 | 100 ms | `snapshot`, then `update`s |
//! | `books-l2-tbt` | 400 | 10 ms | `snapshot`, then `update`s |
//! | `books50-l2-tbt` | 50 | 10 ms | `snapshot`, then `update`s |
//! | `books5` | 5 | 100 ms | a full image each push (no `action`, `prevSeqId`, `checksum`) |
//! | `bbo-tbt` | 1 | 10 ms | a full image each push |
//! | `trades` | | per taker order and price | `tradeId` the last fill's, `count` the fills |
//!
//! Instruments are OKX ids (`BTC-USDT`, `BTC-USDT-SWAP`); numbers are written without trailing
//! zeros (`"63921.5"`, `"0.00240857"`); a level is `[px, sz, "0", numOrders]` (`numOrders` is
//! `"1"` for a level held, `"0"` for a removed one: the model does not count orders). `seqId`
//! is the model's update id (per instrument, rising but not by one), `prevSeqId` the previous
//! message's `seqId` (`-1` on a snapshot), `checksum` the signed CRC32 of the top 25 levels'
//! wire text after the message (sent non-zero, as before OKX retired it; the decoder checks it
//! when non-zero). The tick-by-tick channels need no login here.
//!
//! Control messages are in `control.rs` (`subscribe`, `unsubscribe`, the text `ping`); REST
//! (`/api/v5/public/instruments`, `/api/v5/market/books`) in `rest.rs`.

mod control;
mod rest;
mod wire;

pub(crate) use rest::{banned, too_many_requests};

use super::preset::{SplitPresets, preset};
use super::{
    AggIds, BookMsg, Fmt, Frame, SimUrls, SymbolWire, TradePrint, VenueDefaults, WsRoute,
    one_socket,
};
use crate::feed::live::Endpoints;
use crate::sim::stream::{BOOK_TOPICS, BookTopic, StreamKind};
use crate::sim::{SimError, SimSymbol};
use ladder_sdk::InstrumentSpec;
use std::time::Duration;

/// The book channels and their topics.
const CHANNELS: [(&str, BookTopic); 5] = [
    ("bbo-tbt", BOOK_TOPICS[0]),
    ("books5", BOOK_TOPICS[1]),
    ("books50-l2-tbt", BOOK_TOPICS[3]),
    ("books", BOOK_TOPICS[5]),
    ("books-l2-tbt", BOOK_TOPICS[6]),
];

/// The book topics OKX serves.
pub(crate) const TOPICS: [BookTopic; 5] = [
    CHANNELS[0].1,
    CHANNELS[1].1,
    CHANNELS[2].1,
    CHANNELS[3].1,
    CHANNELS[4].1,
];

/// The incremental channels a REST book joins, in the order they are looked for.
pub(crate) const JOINABLE: [BookTopic; 3] = [CHANNELS[3].1, CHANNELS[4].1, CHANNELS[2].1];

/// Channels per connection (the venue advises fewer than 30 busy ones; it refuses none).
pub(crate) const MAX_CHANNELS: usize = 1_000;

/// The `public` WebSocket path.
const WS_PATH: &str = "/ws/v5/public";

/// Grids as `/api/v5/public/instruments` lists them (`tickSz`, `lotSz`; swaps in contracts).
const PRESETS: SplitPresets = SplitPresets {
    table: &[
        preset("BTC-USDT", (1, 1), (1, 8), 60_000),
        preset("BTC-USDT-SWAP", (1, 1), (1, 2), 60_000),
        preset("ETH-USDT", (1, 2), (1, 6), 3_000),
        preset("ETH-USDT-SWAP", (1, 2), (1, 2), 3_000),
    ],
    sep: '-',
};

/// The channel name of a book topic.
fn channel(topic: BookTopic) -> &'static str {
    CHANNELS
        .iter()
        .find(|c| c.1 == topic)
        .map_or("books", |c| c.0)
}

/// OKX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Okx;

impl Okx {
    pub(crate) fn defaults(self) -> VenueDefaults {
        VenueDefaults {
            symbols: PRESETS.defaults(),
            ping_interval: Duration::from_secs(20),
            pong_timeout: Duration::from_secs(600),
            // Order book requests: 40 per 2 s.
            weight_limit: 40,
            weight_window: Duration::from_secs(2),
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
            StreamKind::Book(t) if TOPICS.contains(&t) => Some(format!("{}:{key}", channel(t))),
            StreamKind::AggTrade => Some(format!("trades:{key}")),
            _ => None,
        }))
    }

    /// `channel:instId` (how the control messages name an `arg`): the instrument and the kind.
    pub(crate) fn parse_stream(self, name: &str) -> Result<(&str, StreamKind), String> {
        let (ch, inst) = name
            .split_once(':')
            .ok_or_else(|| format!("invalid channel {name:?}"))?;
        if ch == "trades" {
            return Ok((inst, StreamKind::AggTrade));
        }
        CHANNELS
            .iter()
            .find(|c| c.0 == ch)
            .map(|c| (inst, StreamKind::Book(c.1)))
            .ok_or_else(|| format!("unknown channel {ch:?}"))
    }

    pub(crate) fn ws_route(self, path: &str, _query: Option<&str>) -> Result<WsRoute, String> {
        WsRoute::single_path(path, WS_PATH)
    }

    pub(crate) fn endpoints(self, ws_base: &str, rest_base: &str) -> Endpoints {
        one_socket(format!("{ws_base}{WS_PATH}"), rest_base)
    }

    pub(crate) fn urls(self, ws_base: &str, rest_base: &str, first: &SymbolWire) -> SimUrls {
        let e = self.endpoints(ws_base, rest_base);
        let arg = |ch: &str| {
            format!(
                "{} then {{\"op\":\"subscribe\",\"args\":[{{\"channel\":\"{ch}\",\"instId\":\"{}\"}}]}}",
                e.ws_book, first.symbol
            )
        };
        let rest = e.rest.trim_end_matches('/');
        SimUrls {
            book_stream: arg("books"),
            trade_stream: arg("trades"),
            depth_snapshot: format!("{rest}/api/v5/market/books?instId={}&sz=400", first.symbol),
            exchange_info: format!("{rest}/api/v5/public/instruments?instType=SPOT"),
        }
    }

    pub(crate) fn book(self, s: &SymbolWire, msg: &BookMsg<'_>) -> Frame {
        Frame::plain(|o| wire::book(o, channel(msg.topic), s, msg))
    }

    pub(crate) fn trades(self, s: &SymbolWire, t: &TradePrint, ids: AggIds) -> Frame {
        Frame::plain(|o| wire::trades(o, s, t, ids))
    }
}

#[cfg(test)]
mod tests;
