//! The simulator's wire encodings: the one place a venue's format plugs into the simulator.
//!
//! The order-flow model and the market tasks speak in venue-neutral terms (integer ticks and
//! lots, model update ids, [`StreamKind`]s); an [`Encoder`] turns that into one venue's bytes:
//! stream names and which connection path serves which stream, subscribe messages, WebSocket
//! frames, REST paths, weights and bodies, and the URLs a client of the venue is configured
//! with. One enum, one folder per venue family:
//!
//! - [`binance`]: Binance spot and USD-M futures;
//! - [`bybit`]: Bybit v5 spot, linear and inverse;
//! - [`okx`]: OKX v5 (spot, swaps);
//! - [`coinbase`]: Coinbase Advanced Trade (its `sequence_num` set per connection as it is
//!   sent: [`Encoder::stamps_sequence`]; heartbeats per connection: [`Encoder::heartbeat`]).
//! - [`kraken`]: Kraken spot, WebSocket v2.
//!
//! A new venue adds a variant here, a folder beside `binance/`, and an arm in
//! [`Encoder::for_venue`]; nothing else in the simulator changes.

pub(crate) mod binance;
mod bybit;
mod coinbase;
mod frame;
mod kraken;
mod okx;
mod preset;

pub use frame::SimUrls;
pub(crate) use frame::{
    AggIds, BookFault, BookMsg, DiffSpan, Fmt, Frame, PartialAt, Sides, SymbolWire, Tick, Top,
    TradePrint, VenueDefaults, WsRoute, one_socket, write_rfc3339_ms,
};

use super::rest::Reply;
use super::server::Session;
use super::stream::{BookTopic, StreamKind, Window};
use super::{Shared, SimError, SimSymbol};
use crate::feed::Venue;
use crate::feed::live::Endpoints;

/// One venue's wire format. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Encoder {
    /// Binance spot or USD-M futures.
    Binance(binance::Binance),
    /// Bybit spot, linear or inverse.
    Bybit(bybit::Bybit),
    /// OKX.
    Okx(okx::Okx),
    /// Coinbase Advanced Trade.
    Coinbase(coinbase::Coinbase),
    /// Kraken.
    Kraken(kraken::Kraken),
}

/// One arm per encoder, the same expression on each.
macro_rules! each {
    ($self:expr, $e:ident => $body:expr) => {
        match $self {
            Encoder::Binance($e) => $body,
            Encoder::Bybit($e) => $body,
            Encoder::Okx($e) => $body,
            Encoder::Coinbase($e) => $body,
            Encoder::Kraken($e) => $body,
        }
    };
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
            Venue::BybitSpot | Venue::BybitLinear | Venue::BybitInverse => {
                Some(Self::Bybit(bybit::Bybit::new(venue)))
            }
            Venue::Okx => Some(Self::Okx(okx::Okx)),
            Venue::Coinbase => Some(Self::Coinbase(coinbase::Coinbase)),
            // The legacy Exchange feed is replay-only.
            Venue::CoinbaseExchange => None,
            Venue::Kraken => Some(Self::Kraken(kraken::Kraken)),
        }
    }

    /// The venue's defaults.
    pub(crate) fn defaults(&self) -> VenueDefaults {
        each!(self, e => e.defaults())
    }

    /// A preset symbol of this venue by name (case-insensitive).
    pub(crate) fn preset(&self, name: &str) -> Option<SimSymbol> {
        each!(self, e => e.preset(name))
    }

    /// The names of the presets, for messages.
    pub(crate) fn preset_names(&self) -> Vec<&'static str> {
        each!(self, e => e.preset_names())
    }

    /// How `symbol` looks on this venue, or why it cannot be shown.
    pub(crate) fn symbol_wire(&self, symbol: &SimSymbol) -> Result<SymbolWire, SimError> {
        let spec = symbol.spec()?;
        let wire = each!(self, e => e.symbol_wire(symbol, &spec));
        wire.map_err(|e| match e {
            SimError::Config(m) => SimError::Config(format!("symbol {}: {m}", symbol.symbol)),
            other => other,
        })
    }

    /// The batch windows of the diff and partial streams the venue serves, shortest first.
    pub(crate) fn windows(&self) -> &'static [Window] {
        match self {
            Self::Binance(b) => b.windows(),
            Self::Bybit(_) | Self::Okx(_) | Self::Coinbase(_) | Self::Kraken(_) => &[],
        }
    }

    /// A model update id as the venue's messages show it.
    pub(crate) fn wire_id(&self, model_id: u64) -> u64 {
        match self {
            Self::Binance(b) => b.wire_id(model_id),
            Self::Bybit(_) | Self::Okx(_) | Self::Coinbase(_) | Self::Kraken(_) => model_id,
        }
    }

    /// Splits a stream name into the symbol key and the kind, or says why it is not one.
    pub(crate) fn parse_stream<'n>(&self, name: &'n str) -> Result<(&'n str, StreamKind), String> {
        each!(self, e => e.parse_stream(name))
    }

    /// At most this many streams per connection.
    pub(crate) fn max_streams(&self) -> usize {
        match self {
            Self::Binance(_) => binance::MAX_STREAMS,
            Self::Bybit(_) => bybit::MAX_TOPICS,
            Self::Okx(_) => okx::MAX_CHANNELS,
            Self::Coinbase(_) => coinbase::MAX_STREAMS,
            Self::Kraken(_) => kraken::MAX_STREAMS,
        }
    }

    /// What a handshake path and query ask for, or why they are refused (HTTP 400).
    pub(crate) fn ws_route(&self, path: &str, query: Option<&str>) -> Result<WsRoute, String> {
        each!(self, e => e.ws_route(path, query))
    }

    /// Answers one text message from a client (subscribe, unsubscribe, ping, ...): pushes the
    /// replies onto `out` (the snapshots of new subscriptions wait in the session).
    pub(crate) fn control(&self, text: &str, session: &mut Session<'_>, out: &mut Vec<String>) {
        match self {
            Self::Binance(_) => out.push(binance::control(text, session)),
            Self::Bybit(b) => b.control(text, session, out),
            Self::Okx(o) => o.control(text, session, out),
            Self::Coinbase(c) => c.control(text, session, out),
            Self::Kraken(k) => k.control(text, session, out),
        }
    }

    /// What the venue sends before it closes a connection at shutdown, if anything.
    pub(crate) fn shutdown_notice(&self, combined: bool, now_ms: u64) -> Option<String> {
        match self {
            Self::Binance(b) => b.shutdown_notice(combined, now_ms),
            Self::Bybit(_) | Self::Okx(_) | Self::Coinbase(_) | Self::Kraken(_) => None,
        }
    }

    /// True if the venue's messages carry a per-connection sequence number, set as each
    /// connection sends them ([`Encoder::stamp`]; Coinbase's `sequence_num`).
    pub(crate) fn stamps_sequence(&self) -> bool {
        matches!(self, Self::Coinbase(_))
    }

    /// `text` with the connection's sequence number `seq` in it, or `None` when the message
    /// carries none (an error reply) or the venue numbers nothing.
    pub(crate) fn stamp(&self, text: &str, seq: u64) -> Option<String> {
        match self {
            Self::Coinbase(_) => coinbase::stamp(text, seq),
            _ => None,
        }
    }

    /// How often a connection that asked for heartbeats gets one (`None`: the venue sends
    /// none; Coinbase: every second).
    pub(crate) fn heartbeat_every(&self) -> Option<std::time::Duration> {
        match self {
            Self::Coinbase(_) => Some(coinbase::HEARTBEAT_EVERY),
            _ => None,
        }
    }

    /// A connection's `counter`th heartbeat, sent at `now_ms`.
    pub(crate) fn heartbeat(&self, counter: u64, now_ms: u64) -> Option<String> {
        match self {
            Self::Coinbase(c) => Some(c.heartbeat(counter, now_ms)),
            _ => None,
        }
    }

    /// A diff-depth message: the levels that changed over `span` (`None`: the venue has no
    /// diff streams).
    pub(crate) fn diff(
        &self,
        s: &SymbolWire,
        kind: StreamKind,
        span: DiffSpan,
        changed: Sides<'_>,
    ) -> Option<Frame> {
        match self {
            Self::Binance(b) => Some(b.diff(s, kind, span, changed)),
            Self::Bybit(_) | Self::Okx(_) | Self::Coinbase(_) | Self::Kraken(_) => None,
        }
    }

    /// The book topics the venue serves (none: its books are diff streams and REST).
    pub(crate) fn book_topics(&self) -> &'static [BookTopic] {
        match self {
            Self::Binance(_) => &[],
            Self::Bybit(_) => &bybit::TOPICS,
            Self::Okx(_) => &okx::TOPICS,
            Self::Coinbase(_) => &coinbase::TOPICS,
            Self::Kraken(_) => &kraken::TOPICS,
        }
    }

    /// The sequence id of a book topic's next message after one at `prev` (0: none yet),
    /// with the model at `model_id`: Bybit's `u` rises by one; OKX's `seqId` is the model's
    /// update id (rising, not by one).
    pub(crate) fn next_book_seq(&self, prev: u64, model_id: u64) -> u64 {
        match self {
            Self::Bybit(_) if prev != 0 => prev + 1,
            _ => model_id.max(prev + 1),
        }
    }

    /// How long an unchanged image of `topic` stays unsent before the venue sends it again
    /// with the same sequence id (`None`: never). Bybit re-sends `orderbook.1` after ~3 s.
    pub(crate) fn resend_after_ms(&self, topic: BookTopic) -> Option<u64> {
        match self {
            Self::Bybit(_) if topic.depth == 1 => Some(bybit::RESEND_AFTER_MS),
            _ => None,
        }
    }

    /// True if the venue may leave the snapshot out of a subscription of `topic` (OKX's
    /// incremental channels, [`SimConfig::stream_snapshots`](super::SimConfig)).
    pub(crate) fn may_omit_snapshot(&self, topic: BookTopic) -> bool {
        matches!(self, Self::Okx(_)) && !topic.full
    }

    /// A message of a book topic.
    pub(crate) fn book(&self, s: &SymbolWire, msg: &BookMsg<'_>) -> Frame {
        match self {
            Self::Bybit(b) => b.book(s, msg),
            Self::Okx(o) => o.book(s, msg),
            Self::Coinbase(c) => c.book(s, msg),
            Self::Kraken(k) => k.book(s, msg),
            // Binance serves no book topic (`book_topics` is empty): nothing asks.
            Self::Binance(_) => Frame::plain(|_| {}),
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
            Self::Bybit(_) | Self::Okx(_) | Self::Coinbase(_) | Self::Kraken(_) => None,
        }
    }

    /// A trade message (one per maker order filled), if the venue has such a stream.
    pub(crate) fn trade(&self, s: &SymbolWire, t: &TradePrint) -> Option<Frame> {
        match self {
            Self::Binance(b) => Some(b.trade(s, t)),
            Self::Bybit(b) => Some(b.trade(s, t)),
            Self::Coinbase(c) => Some(c.trade(s, t)),
            Self::Kraken(k) => Some(k.trade(s, t)),
            Self::Okx(_) => None,
        }
    }

    /// An aggregated-trade message (per taker order and price), if the venue has such a
    /// stream.
    pub(crate) fn agg_trade(&self, s: &SymbolWire, t: &TradePrint, ids: AggIds) -> Option<Frame> {
        match self {
            Self::Binance(b) => Some(b.agg_trade(s, t, ids)),
            Self::Okx(o) => Some(o.trades(s, t, ids)),
            Self::Bybit(_) | Self::Coinbase(_) | Self::Kraken(_) => None,
        }
    }

    /// A best bid/ask message, if the venue has such a stream.
    pub(crate) fn book_ticker(&self, s: &SymbolWire, top: &Top) -> Option<Frame> {
        match self {
            Self::Binance(b) => Some(b.book_ticker(s, top)),
            Self::Bybit(_) | Self::Okx(_) | Self::Coinbase(_) | Self::Kraken(_) => None,
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
        each!(self, e => e.rest_weight(method, path, query))
    }

    /// Answers a REST request whose weight was charged.
    pub(crate) fn rest_answer(
        &self,
        shared: &Shared,
        path: &str,
        query: &[(String, String)],
    ) -> Reply {
        each!(self, e => e.rest_answer(shared, path, query))
    }

    /// The answer past the weight limit (or a forced 429).
    pub(crate) fn too_many_requests(&self, limit: u32, retry_after: u64) -> Reply {
        match self {
            Self::Binance(_) => binance::too_many_requests(limit, retry_after),
            Self::Bybit(_) => bybit::too_many_requests(retry_after),
            Self::Okx(_) => okx::too_many_requests(retry_after),
            Self::Coinbase(_) => coinbase::too_many_requests(retry_after),
            Self::Kraken(_) => kraken::too_many_requests(retry_after),
        }
    }

    /// The answer of a banned client (a forced 418).
    pub(crate) fn banned(&self, until_ms: u64) -> Reply {
        match self {
            Self::Binance(_) => binance::banned(until_ms),
            Self::Bybit(_) => bybit::banned(until_ms),
            Self::Okx(_) => okx::banned(until_ms),
            Self::Coinbase(_) => coinbase::banned(until_ms),
            Self::Kraken(_) => kraken::banned(until_ms),
        }
    }

    /// Headers that report the used weight.
    pub(crate) fn weight_headers(&self, used: u32) -> Vec<(&'static str, String)> {
        match self {
            Self::Binance(b) => b.weight_headers(used),
            Self::Bybit(_) | Self::Okx(_) | Self::Coinbase(_) | Self::Kraken(_) => Vec::new(),
        }
    }

    /// The venue's endpoints with the simulator's sockets in place of the venue's hosts.
    pub(crate) fn endpoints(&self, ws_base: &str, rest_base: &str) -> Endpoints {
        each!(self, e => e.endpoints(ws_base, rest_base))
    }

    /// The REST depth body of `m` at the model's current id, answered at `now_ms` (for the
    /// golden test).
    #[cfg(test)]
    pub(crate) fn depth_text(&self, m: &super::SymbolMarket, limit: usize, now_ms: u64) -> String {
        match self {
            Self::Binance(b) => b.depth_text(m, limit, now_ms),
            Self::Bybit(_) | Self::Okx(_) | Self::Coinbase(_) | Self::Kraken(_) => {
                let _ = (m, limit, now_ms);
                String::new()
            }
        }
    }

    /// Example URLs for people, for the first symbol.
    pub(crate) fn urls(&self, ws_base: &str, rest_base: &str, first: &SymbolWire) -> SimUrls {
        each!(self, e => e.urls(ws_base, rest_base, first))
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
        assert_eq!(
            served_names(),
            "binance-spot, binance-usdm, bybit-spot, bybit-linear, bybit-inverse, okx, coinbase, \
             kraken"
        );
        let err = Encoder::for_venue(Venue::BinanceCoinm)
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not serve binance-coinm"), "{err}");
    }
}
