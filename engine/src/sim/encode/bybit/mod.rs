//! Bybit v5 spot, linear and inverse as the simulator serves them (`docs/venues.md` §3, §12).
//!
//! | | spot | linear, inverse |
//! |---|---|---|
//! | connection | `/v5/public/spot` | `/v5/public/linear`, `/v5/public/inverse` |
//! | key order | `topic,ts,type,data,cts` | `topic,type,ts,data,cts` |
//! | numbers | no trailing zeros (`"65140"`, `"0.014"`) | the grid's decimals (`"65114.20"`) |
//! | trades | `i` a 19-digit decimal, no `L` | `i` a UUID, `L` the tick direction |
//! | acks | `ret_msg:"subscribe"`, `req_id` only when sent | `ret_msg:""`, `req_id` always |
//! | args per request | at most 10 | no limit |
//!
//! Topics: `orderbook.{1,50,200,1000}.{SYMBOL}` (pushed every 10, 20, 100 and 200 ms when the
//! book changed) and `publicTrade.{SYMBOL}` (one message per fill). A subscription's first book
//! message is a `snapshot` of the top `depth` levels, then `delta`s with `u` rising by one per
//! message of the topic (levels leaving the window as size `"0"`); `orderbook.1` sends only
//! snapshots, and sends an unchanged top again after 3 s with the same `u`. `seq` is the
//! model's update id (the cross sequence), `cts` the time of the last
//! book event, `ts` the push time. The restart fault sends a `snapshot` with `u = 1`.
//!
//! Control messages (`{"req_id":..,"op":"subscribe"|"unsubscribe"|"ping","args":[..]}`) are in
//! `control.rs`; REST (`/v5/market/instruments-info`) in `rest.rs`.

mod control;
mod rest;
mod wire;

pub(crate) use rest::{banned, too_many_requests};

use super::preset::{self, Preset, preset};
use super::{
    BookMsg, Fmt, Frame, SimUrls, SymbolWire, TradePrint, VenueDefaults, WsRoute, one_socket,
};
use crate::feed::Venue;
use crate::feed::live::Endpoints;
use crate::sim::stream::{BOOK_TOPICS, BookTopic, StreamKind};
use crate::sim::{SimError, SimSymbol};
use ladder_sdk::InstrumentSpec;
use std::time::Duration;

/// The depths Bybit serves on spot, linear and inverse: 1 (10 ms), 50 (20 ms), 200 (100 ms),
/// 1000 (200 ms).
pub(crate) const TOPICS: [BookTopic; 4] = [
    BOOK_TOPICS[0],
    BOOK_TOPICS[2],
    BOOK_TOPICS[4],
    BOOK_TOPICS[7],
];

/// An unchanged `orderbook.1` is sent again (same `u`) after this long.
pub(crate) const RESEND_AFTER_MS: u64 = 3_000;

/// Topics per connection (the venue's 21 000 characters of args hold about this many).
pub(crate) const MAX_TOPICS: usize = 1_000;

/// Spot takes at most this many args per subscribe request.
const SPOT_MAX_ARGS: usize = 10;

/// A preset: its grid as the venue lists it (mantissa, scale) and a start price.
/// Spot grids as `instruments-info?category=spot` lists them (`tickSize`, `basePrecision`).
const SPOT_PRESETS: [Preset; 3] = [
    preset("BTCUSDT", (1, 2), (1, 6), 60_000),
    preset("ETHUSDT", (1, 2), (1, 5), 3_000),
    preset("SOLUSDT", (1, 2), (1, 3), 150),
];

/// Linear grids (`tickSize`, `qtyStep`), written with the venue's decimals.
const LINEAR_PRESETS: [Preset; 3] = [
    preset("BTCUSDT", (10, 2), (1, 3), 60_000),
    preset("ETHUSDT", (1, 2), (1, 2), 3_000),
    preset("XRPUSDT", (1, 4), (1, 0), 2),
];

/// Inverse grids (quantities in USD contracts).
const INVERSE_PRESETS: [Preset; 2] = [
    preset("BTCUSD", (50, 2), (1, 0), 60_000),
    preset("ETHUSD", (5, 2), (1, 0), 3_000),
];

/// Bybit spot, linear or inverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bybit {
    venue: Venue,
}

impl Bybit {
    pub(crate) fn new(venue: Venue) -> Self {
        Self { venue }
    }

    fn spot(self) -> bool {
        self.venue == Venue::BybitSpot
    }

    /// `spot`, `linear` or `inverse`: the connection path's last part and REST's `category`.
    fn category(self) -> &'static str {
        match self.venue {
            Venue::BybitLinear => "linear",
            Venue::BybitInverse => "inverse",
            _ => "spot",
        }
    }

    fn presets(self) -> &'static [Preset] {
        match self.venue {
            Venue::BybitLinear => &LINEAR_PRESETS,
            Venue::BybitInverse => &INVERSE_PRESETS,
            _ => &SPOT_PRESETS,
        }
    }

    pub(crate) fn defaults(self) -> VenueDefaults {
        VenueDefaults {
            symbols: self.presets()[..2].iter().map(|p| self.symbol(p)).collect(),
            ping_interval: Duration::from_secs(20),
            // Without pings or data the venue drops a connection after about 10 minutes.
            pong_timeout: Duration::from_secs(600),
            // 600 requests per 5 s per IP.
            weight_limit: 600,
            weight_window: Duration::from_secs(5),
        }
    }

    fn symbol(self, p: &Preset) -> SimSymbol {
        let quote = if self.venue == Venue::BybitInverse {
            "USD"
        } else {
            "USDT"
        };
        p.symbol(&p.name[..p.name.len() - quote.len()], quote)
    }

    pub(crate) fn preset_names(self) -> Vec<&'static str> {
        preset::names(self.presets())
    }

    pub(crate) fn preset(self, name: &str) -> Option<SimSymbol> {
        preset::find(self.presets(), name).map(|p| self.symbol(p))
    }

    pub(crate) fn symbol_wire(
        self,
        symbol: &SimSymbol,
        spec: &InstrumentSpec,
    ) -> Result<SymbolWire, SimError> {
        let fmt = Fmt::new(spec, symbol.tick_size.scale(), symbol.lot_size.scale())?;
        let fmt = if self.spot() { fmt.trimmed() } else { fmt };
        Ok(SymbolWire::upper_case(symbol, fmt, |k, key| match k {
            StreamKind::Book(t) if TOPICS.contains(&t) => {
                Some(format!("orderbook.{}.{key}", t.depth))
            }
            StreamKind::Trade => Some(format!("publicTrade.{key}")),
            _ => None,
        }))
    }

    /// `orderbook.{depth}.{SYMBOL}` or `publicTrade.{SYMBOL}`: the symbol and the kind.
    pub(crate) fn parse_stream(self, name: &str) -> Result<(&str, StreamKind), String> {
        if let Some(sym) = name.strip_prefix("publicTrade.") {
            return Ok((sym, StreamKind::Trade));
        }
        let invalid = || format!("Invalid topic :[{name}]");
        let rest = name.strip_prefix("orderbook.").ok_or_else(invalid)?;
        let (depth, sym) = rest.split_once('.').ok_or_else(invalid)?;
        let depth: u16 = depth.parse().map_err(|_| invalid())?;
        let topic = TOPICS
            .iter()
            .find(|t| t.depth == depth)
            .ok_or_else(invalid)?;
        Ok((sym, StreamKind::Book(*topic)))
    }

    pub(crate) fn ws_route(self, path: &str, _query: Option<&str>) -> Result<WsRoute, String> {
        WsRoute::single_path(path, &format!("/v5/public/{}", self.category()))
    }

    pub(crate) fn endpoints(self, ws_base: &str, rest_base: &str) -> Endpoints {
        one_socket(
            format!("{ws_base}/v5/public/{}", self.category()),
            rest_base,
        )
    }

    pub(crate) fn urls(self, ws_base: &str, rest_base: &str, first: &SymbolWire) -> SimUrls {
        let e = self.endpoints(ws_base, rest_base);
        let c = self.category();
        SimUrls {
            book_stream: format!(
                "{} then {{\"op\":\"subscribe\",\"args\":[\"orderbook.50.{}\"]}}",
                e.ws_book, first.symbol
            ),
            trade_stream: format!(
                "{} then {{\"op\":\"subscribe\",\"args\":[\"publicTrade.{}\"]}}",
                e.ws_trades, first.symbol
            ),
            depth_snapshot: format!("{} (the first message of a subscription)", e.ws_book),
            exchange_info: format!(
                "{}/v5/market/instruments-info?category={c}",
                e.rest.trim_end_matches('/')
            ),
        }
    }

    pub(crate) fn book(self, s: &SymbolWire, msg: &BookMsg<'_>) -> Frame {
        Frame::plain(|o| wire::book(o, self.spot(), s, msg))
    }

    pub(crate) fn trade(self, s: &SymbolWire, t: &TradePrint) -> Frame {
        Frame::plain(|o| wire::trade(o, self.spot(), s, t))
    }
}

#[cfg(test)]
mod tests;
