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

use super::rest::Reply;
use super::server::Session;
use super::stream::{KINDS, StreamKind, Window};
use super::{Shared, SimError, SimSymbol};
use crate::feed::Venue;
use crate::feed::binance::Endpoints;
use ladder_sdk::InstrumentSpec;
use std::fmt::Write as _;
use std::time::Duration;

/// One outgoing WebSocket message, built once and shared by every subscriber: the text a
/// combined-stream subscriber receives, with the raw payload as a slice of it (the same text
/// on venues without an envelope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    text: String,
    raw: std::ops::Range<usize>,
}

impl Frame {
    /// Builds `{"stream":"<stream>","data":<payload>}` with `payload` written by `write`.
    pub(crate) fn enveloped(stream: &str, write: impl FnOnce(&mut String)) -> Self {
        let mut text = String::with_capacity(256);
        text.push_str("{\"stream\":\"");
        text.push_str(stream);
        text.push_str("\",\"data\":");
        let start = text.len();
        write(&mut text);
        let end = text.len();
        text.push('}');
        Self {
            text,
            raw: start..end,
        }
    }

    /// The message as a combined-stream subscriber receives it.
    pub(crate) fn combined(&self) -> &str {
        &self.text
    }

    /// The raw payload, as a single-stream subscriber receives it.
    pub(crate) fn raw(&self) -> &str {
        &self.text[self.raw.clone()]
    }
}

/// Writes an instrument's prices and quantities as decimal strings with a fixed number of
/// decimals (Binance spot: always 8; futures: the tick's and the lot's own decimals).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fmt {
    /// `10^-price_dp` units per tick.
    price_unit: i128,
    /// `10^-qty_dp` units per lot.
    qty_unit: i128,
    price_dp: u32,
    qty_dp: u32,
}

/// Most decimals any simulated venue shows.
const MAX_DP: u32 = 8;

fn units(d: rust_decimal::Decimal, dp: u32, what: &str) -> Result<i128, SimError> {
    let d = d.normalize();
    if d.scale() > dp {
        return Err(SimError::Config(format!(
            "{what} {d} has more than {dp} decimals, which the venue cannot show"
        )));
    }
    Ok(d.mantissa() * 10i128.pow(dp - d.scale()))
}

impl Fmt {
    /// Prices with `price_dp` decimals and quantities with `qty_dp` (at most 8 each); the
    /// grid of `spec` must fit them.
    pub(crate) fn new(spec: &InstrumentSpec, price_dp: u32, qty_dp: u32) -> Result<Self, SimError> {
        if price_dp > MAX_DP || qty_dp > MAX_DP {
            return Err(SimError::Config(format!(
                "tick size {} or lot size {} has more than {MAX_DP} decimals, which the venue \
                 cannot show",
                spec.tick_size(),
                spec.lot_size()
            )));
        }
        Ok(Self {
            price_unit: units(spec.tick_size(), price_dp, "tick size")?,
            qty_unit: units(spec.lot_size(), qty_dp, "lot size")?,
            price_dp,
            qty_dp,
        })
    }

    /// Appends `"<price>"` (quoted).
    pub(crate) fn price(&self, out: &mut String, ticks: i64) {
        write_fixed(out, i128::from(ticks) * self.price_unit, self.price_dp);
    }

    /// Appends `"<qty>"` (quoted).
    pub(crate) fn qty(&self, out: &mut String, lots: i64) {
        write_fixed(out, i128::from(lots) * self.qty_unit, self.qty_dp);
    }

    /// A price as a bare string (no quotes).
    pub(crate) fn price_text(&self, ticks: i64) -> String {
        let mut s = String::new();
        self.price(&mut s, ticks);
        s.trim_matches('"').to_owned()
    }

    /// A quantity as a bare string (no quotes).
    pub(crate) fn qty_text(&self, lots: i64) -> String {
        let mut s = String::new();
        self.qty(&mut s, lots);
        s.trim_matches('"').to_owned()
    }
}

/// Appends `units · 10^-dp` as a quoted decimal with exactly `dp` decimals.
fn write_fixed(out: &mut String, units: i128, dp: u32) {
    let sign = if units < 0 { "-" } else { "" };
    let u = units.unsigned_abs();
    if dp == 0 {
        let _ = write!(out, "\"{sign}{u}\"");
        return;
    }
    let scale = 10u128.pow(dp);
    let width = dp as usize;
    let _ = write!(out, "\"{sign}{}.{:0width$}\"", u / scale, u % scale);
}

/// A symbol as one venue shows it: its name on the wire, the key its stream names use, its
/// number format and the name of each stream it serves.
#[derive(Debug, Clone)]
pub(crate) struct SymbolWire {
    /// The symbol in messages and REST (`BTCUSDT`).
    pub(crate) symbol: String,
    /// The symbol in stream names (`btcusdt`).
    pub(crate) key: String,
    /// Prices and quantities.
    pub(crate) fmt: Fmt,
    /// Stream name per [`StreamKind::index`]; empty for kinds the venue does not serve.
    names: [String; KINDS],
}

impl SymbolWire {
    /// The full name of one of its streams (empty if the venue does not serve the kind).
    pub(crate) fn name(&self, kind: StreamKind) -> &str {
        &self.names[kind.index()]
    }
}

/// The update ids and times one diff-depth message covers, in model ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DiffSpan {
    /// Event time (ms): the window's end, or the event's time.
    pub(crate) event_ms: u64,
    /// Time of the last book event in the message (ms).
    pub(crate) tx_ms: u64,
    /// Model id of the first change.
    pub(crate) first: u64,
    /// Model id of the last change.
    pub(crate) last: u64,
}

/// The state a partial-depth message shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PartialAt {
    /// Event time (ms).
    pub(crate) event_ms: u64,
    /// The model id the book is at.
    pub(crate) update_id: u64,
    /// The changes of the window that just closed, if it had any.
    pub(crate) window: Option<DiffSpan>,
}

/// One trade print (or aggregated trade).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TradePrint {
    /// Event time in ms.
    pub(crate) event_ms: u64,
    /// Trade time in ms.
    pub(crate) trade_ms: u64,
    /// Trade id, or aggregate id.
    pub(crate) id: u64,
    /// Price in ticks.
    pub(crate) price: i64,
    /// Quantity in lots.
    pub(crate) qty: i64,
    /// The buyer is the maker (the taker sold).
    pub(crate) buyer_is_maker: bool,
}

/// The trade ids an aggregated trade covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AggIds {
    /// First trade id.
    pub(crate) first: u64,
    /// Last trade id.
    pub(crate) last: u64,
}

/// Best bid and ask `(price ticks, qty lots)` at a model update id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Top {
    /// The model update id the book is at.
    pub(crate) update_id: u64,
    /// Best bid.
    pub(crate) bid: (i64, i64),
    /// Best ask.
    pub(crate) ask: (i64, i64),
    /// Time of the change (ms).
    pub(crate) time_ms: u64,
}

/// What a WebSocket handshake path asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WsRoute {
    /// Combined-stream envelopes (else raw payloads).
    pub(crate) combined: bool,
    /// Stream names given in the path or query, in order.
    pub(crate) names: Vec<String>,
    /// The stream kinds this path may carry, as [`StreamKind::bit`]s.
    pub(crate) allowed: u32,
    /// The path is accepted but never carries data (a retired endpoint).
    pub(crate) silent: bool,
}

/// A venue's defaults for a simulator of it.
#[derive(Debug, Clone)]
pub(crate) struct VenueDefaults {
    /// The symbols served when none are named.
    pub(crate) symbols: Vec<SimSymbol>,
    /// How often the server pings.
    pub(crate) ping_interval: Duration,
    /// How long a ping may stay unanswered.
    pub(crate) pong_timeout: Duration,
    /// REST weight per window.
    pub(crate) weight_limit: u32,
}

/// Example URLs of a running simulator, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimUrls {
    /// A combined-stream URL carrying the first symbol's depth and book ticker.
    pub book_stream: String,
    /// A combined-stream URL carrying its trades.
    pub trade_stream: String,
    /// Its REST depth snapshot.
    pub depth_snapshot: String,
    /// The instruments endpoint.
    pub exchange_info: String,
}

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

    /// A diff-depth message.
    pub(crate) fn diff(
        &self,
        s: &SymbolWire,
        kind: StreamKind,
        span: DiffSpan,
        bids: &[(i64, i64)],
        asks: &[(i64, i64)],
    ) -> Frame {
        match self {
            Self::Binance(b) => b.diff(s, kind, span, bids, asks),
        }
    }

    /// A partial-depth message (`None`: the venue sends none for this window).
    pub(crate) fn partial(
        &self,
        s: &SymbolWire,
        kind: StreamKind,
        at: PartialAt,
        bids: &[(i64, i64)],
        asks: &[(i64, i64)],
    ) -> Option<Frame> {
        match self {
            Self::Binance(b) => b.partial(s, kind, at, bids, asks),
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

/// Builds every stream name of a symbol from a per-kind suffix (kinds without one stay empty).
pub(crate) fn names(f: impl Fn(StreamKind) -> Option<String>) -> [String; KINDS] {
    let mut names: [String; KINDS] = Default::default();
    for k in StreamKind::all() {
        if let Some(n) = f(k) {
            names[k.index()] = n;
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn spec(tick: &str, lot: &str) -> InstrumentSpec {
        InstrumentSpec::new(
            Decimal::from_str(tick).unwrap(),
            Decimal::from_str(lot).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn fmt_with_8_decimals_writes_real_spot_strings() {
        let f = Fmt::new(&spec("0.01", "0.00001"), 8, 8).unwrap();
        let mut s = String::new();
        f.price(&mut s, 6_183_763);
        f.qty(&mut s, 105);
        f.qty(&mut s, 0);
        assert_eq!(s, "\"61837.63000000\"\"0.00105000\"\"0.00000000\"");
    }

    #[test]
    fn fmt_holds_shib_like_quantities_and_rejects_nine_decimals() {
        let f = Fmt::new(&spec("0.00000001", "1"), 8, 8).unwrap();
        let mut s = String::new();
        f.price(&mut s, 1_234);
        f.qty(&mut s, 100_000_000_000);
        assert_eq!(s, "\"0.00001234\"\"100000000000.00000000\"");
        assert!(Fmt::new(&spec("0.000000001", "1"), 8, 8).is_err());
        assert!(Fmt::new(&spec("0.01", "1"), 9, 0).is_err());
    }

    #[test]
    fn fmt_with_the_grids_own_decimals_writes_real_futures_strings() {
        let f = Fmt::new(&spec("0.10", "0.001"), 2, 3).unwrap();
        assert_eq!(f.price_text(618_002), "61800.20");
        assert_eq!(f.qty_text(6), "0.006");
        assert_eq!(f.qty_text(12_111), "12.111");
        let whole = Fmt::new(&spec("0.0001", "1"), 4, 0).unwrap();
        assert_eq!(whole.qty_text(17), "17");
        assert!(
            Fmt::new(&spec("0.05", "1"), 1, 0).is_err(),
            "tick needs 2 decimals"
        );
    }

    #[test]
    fn frame_raw_is_the_payload_of_the_envelope() {
        let f = Frame::enveloped("btcusdt@trade", |o| o.push_str("{\"x\":1}"));
        assert_eq!(
            f.combined(),
            "{\"stream\":\"btcusdt@trade\",\"data\":{\"x\":1}}"
        );
        assert_eq!(f.raw(), "{\"x\":1}");
    }

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
