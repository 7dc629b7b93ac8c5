//! Binance frames to normalized values: integer ticks and lots of registered instruments.
//!
//! [`Decoder::decode`] parses one frame ([`wire`](super::wire)), resolves its symbol in the
//! [`Registry`], and converts every price and quantity onto the instrument's grid. A value off
//! the grid, an unknown symbol or stream, or malformed JSON is a [`DecodeError`] that says what
//! and where; nothing is rounded and nothing panics. Prices and quantities must also be in the
//! sane range of [`InstrumentSpec::market_price_from_raw`] / `market_qty_from_raw`: a zero or
//! negative price, a negative quantity, or one above 10^14 ticks or lots is an error naming the
//! value (an impossible book never gets built from it).

use super::wire::{self, ClassifyError, Fields, Kind, RawLevel, WireError};
use crate::feed::Venue;
use crate::feed::json::JsonError;
pub use crate::feed::token::Token;
use crate::feed::units::{Exact, Layouts, Units};
use crate::instrument::{Instrument, Registry};
use ladder_sdk::{
    Bbo, GridError, InstrumentId, InstrumentSpec, Level, Price, Quantity, RawDecimal, Side, Trade,
    UnixNanos,
};
use std::fmt;

/// Header of a diff-depth message; its levels are in [`Decoder::bids`] / [`Decoder::asks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepthHeader {
    /// The instrument.
    pub instrument: InstrumentId,
    /// `U`: first update id in the message.
    pub first_id: u64,
    /// `u`: last update id in the message.
    pub last_id: u64,
    /// `pu`: last update id of the previous message (futures only).
    pub prev_last_id: Option<u64>,
    /// Exchange time (`T` when present, else `E`).
    pub ts_exchange: UnixNanos,
    /// Local receive time.
    pub ts_recv: UnixNanos,
}

/// Header of a REST depth snapshot; its levels are in [`Decoder::bids`] / [`Decoder::asks`]
/// once the instrument is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotHeader {
    /// The instrument, when the frame names it (ladder's `<symbol>@depthSnapshot` envelope).
    /// A bare REST body does not: call [`Decoder::resolve_snapshot`] with the instrument the
    /// snapshot was requested for.
    pub instrument: Option<InstrumentId>,
    /// `lastUpdateId`.
    pub last_update_id: u64,
    /// Exchange time when the body has one (futures), else zero.
    pub ts_exchange: UnixNanos,
    /// Local receive time.
    pub ts_recv: UnixNanos,
}

/// A decoded Binance frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded {
    /// Diff depth.
    Depth(DepthHeader),
    /// REST depth snapshot.
    Snapshot(SnapshotHeader),
    /// `@trade` print of a regular market trade.
    Trade(Trade),
    /// `@trade` print that is not a regular market trade (futures `X` other than `MARKET`:
    /// liquidation, ADL, insurance fund). Counted, not traded on.
    SpecialTrade(Trade),
    /// `@aggTrade`.
    AggTrade(Trade),
    /// `@bookTicker`.
    BookTicker(Bbo),
    /// A reply to a control message.
    Control,
    /// The venue announced a shutdown of this connection.
    ServerShutdown,
    /// A known stream ladder does not use.
    Ignored,
}

/// Why a frame could not be decoded. `Copy` and allocation-free: it is built on the hot path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// Malformed or truncated JSON.
    Json(JsonError),
    /// A price or quantity string that is not a plain decimal.
    Decimal {
        /// The field.
        field: &'static str,
        /// Byte offset.
        at: usize,
    },
    /// A field the message needs is missing.
    MissingField {
        /// What kind of message.
        message: &'static str,
        /// The missing field.
        field: &'static str,
    },
    /// A value is off its instrument's tick or lot grid, or out of range.
    Grid {
        /// The field.
        field: &'static str,
        /// The symbol.
        symbol: Token,
        /// Details.
        error: GridError,
    },
    /// A combined-stream name ladder does not know.
    UnknownStream(Token),
    /// An `e` event type ladder does not know.
    UnknownEvent(Token),
    /// A symbol that is not registered.
    UnknownSymbol(Token),
    /// The venue replied with an error code.
    VenueError(i64),
    /// The frame is valid JSON but not a Binance market-data message (another venue's?).
    Unrecognized,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json(e) => write!(f, "malformed frame: {e}"),
            Self::Decimal { field, at } => write!(f, "{field}: not a decimal string at byte {at}"),
            Self::MissingField { message, field } => {
                write!(f, "{message} message without its {field:?} field")
            }
            Self::Grid {
                field,
                symbol,
                error,
            } => write!(f, "{symbol} {field}: {error}"),
            Self::UnknownStream(s) => write!(f, "unknown stream {s}"),
            Self::UnknownEvent(s) => write!(f, "unknown event type {s}"),
            Self::UnknownSymbol(s) => write!(f, "unknown symbol {s} (not configured)"),
            Self::VenueError(code) => write!(f, "the venue replied with error code {code}"),
            Self::Unrecognized => f.write_str("not a Binance market-data message"),
        }
    }
}

impl std::error::Error for DecodeError {}

impl From<WireError> for DecodeError {
    fn from(e: WireError) -> Self {
        match e {
            WireError::Json(j) => Self::Json(j),
            WireError::Decimal { field, at } => Self::Decimal { field, at },
        }
    }
}

impl From<JsonError> for DecodeError {
    fn from(e: JsonError) -> Self {
        Self::Json(e)
    }
}

/// Decodes Binance frames (spot, USD-M and COIN-M share the wire format) with reusable buffers.
#[derive(Debug)]
pub struct Decoder {
    venue: Venue,
    raw_bids: Vec<RawLevel>,
    raw_asks: Vec<RawLevel>,
    /// The layouts of the last price and quantity read (see [`Layouts`]).
    layouts: Layouts,
    bids: Vec<Level>,
    asks: Vec<Level>,
}

impl Decoder {
    /// A decoder of `venue`'s frames (symbols are looked up among its instruments), with
    /// empty buffers (they grow to the largest message once).
    pub fn new(venue: Venue) -> Self {
        Self {
            layouts: Layouts::default(),
            venue,
            raw_bids: Vec::new(),
            raw_asks: Vec::new(),
            bids: Vec::new(),
            asks: Vec::new(),
        }
    }

    /// Bid levels of the last depth or snapshot frame, in wire order.
    pub fn bids(&self) -> &[Level] {
        &self.bids
    }

    /// Ask levels of the last depth or snapshot frame, in wire order.
    pub fn asks(&self) -> &[Level] {
        &self.asks
    }

    /// Decodes one frame received at `ts_recv`.
    ///
    /// # Hot path
    /// No allocation once the level buffers have grown; one pass over the bytes plus one over
    /// the levels.
    pub fn decode(
        &mut self,
        frame: &[u8],
        ts_recv: UnixNanos,
        registry: &Registry,
    ) -> Result<Decoded, DecodeError> {
        if let Some(header) = self.depth_exact(frame, ts_recv, registry) {
            return Ok(Decoded::Depth(header));
        }
        self.decode_general(frame, ts_recv, registry)
    }

    /// The general walk of [`Decoder::decode`]: keys in any order, every shape the venue
    /// sends, and every error named. [`Decoder::decode`] tries the exact-shape path first and
    /// falls back to this one; both give the same result (tests check it on the shared
    /// vectors).
    pub(crate) fn decode_general(
        &mut self,
        frame: &[u8],
        ts_recv: UnixNanos,
        registry: &Registry,
    ) -> Result<Decoded, DecodeError> {
        let mut f = Fields::default();
        wire::parse(frame, &mut f, &mut self.raw_bids, &mut self.raw_asks)?;
        self.bids.clear();
        self.asks.clear();
        let kind = wire::classify(&f).map_err(classify_error)?;
        let ms = |v: Option<u64>| v.map_or(UnixNanos::ZERO, UnixNanos::from_millis);
        Ok(match kind {
            Kind::Depth => {
                let inst = lookup(registry, self.venue, f.symbol, "depthUpdate")?;
                self.convert_levels(inst)?;
                Decoded::Depth(DepthHeader {
                    instrument: inst.id,
                    first_id: need(f.first_id, "depthUpdate", "U")?,
                    last_id: need(f.last_id, "depthUpdate", "u")?,
                    prev_last_id: f.prev_last_id,
                    ts_exchange: ms(f.tx_time.or(f.event_time)),
                    ts_recv,
                })
            }
            Kind::Snapshot => {
                let last_update_id = need(f.last_update_id, "depth snapshot", "lastUpdateId")?;
                let instrument = match f.stream.and_then(wire::stream_symbol) {
                    Some(sym) => {
                        let inst = lookup(registry, self.venue, Some(sym), "depth snapshot")?;
                        self.convert_levels(inst)?;
                        Some(inst.id)
                    }
                    None => None,
                };
                Decoded::Snapshot(SnapshotHeader {
                    instrument,
                    last_update_id,
                    ts_exchange: ms(f.tx_time.or(f.event_time)),
                    ts_recv,
                })
            }
            Kind::Trade | Kind::AggTrade => {
                let name = if kind == Kind::Trade {
                    "trade"
                } else {
                    "aggTrade"
                };
                let inst = lookup(registry, self.venue, f.symbol, name)?;
                let trade = Trade {
                    instrument: inst.id,
                    // `m`: the buyer is the maker, so the taker sold.
                    aggressor: if need(f.buyer_is_maker, name, "m")? {
                        Side::Sell
                    } else {
                        Side::Buy
                    },
                    price: price(inst, f.price, name, "p")?,
                    qty: qty(inst, f.qty, name, "q")?,
                    trade_id: need(
                        if kind == Kind::Trade {
                            f.trade_id
                        } else {
                            f.agg_id
                        },
                        name,
                        "t",
                    )?,
                    ts_exchange: ms(f.tx_time.or(f.event_time)),
                    ts_recv,
                };
                match (kind, f.trade_type) {
                    (Kind::AggTrade, _) => Decoded::AggTrade(trade),
                    (_, Some(t)) if t != b"MARKET" => Decoded::SpecialTrade(trade),
                    _ => Decoded::Trade(trade),
                }
            }
            Kind::BookTicker => {
                let inst = lookup(registry, self.venue, f.symbol, "bookTicker")?;
                Decoded::BookTicker(Bbo {
                    instrument: inst.id,
                    bid_price: price(inst, f.bid_price, "bookTicker", "b")?,
                    bid_qty: qty(inst, f.bid_qty, "bookTicker", "B")?,
                    ask_price: price(inst, f.ask_price, "bookTicker", "a")?,
                    ask_qty: qty(inst, f.ask_qty, "bookTicker", "A")?,
                    update_id: need(f.last_id, "bookTicker", "u")?,
                    ts_recv,
                })
            }
            Kind::Control => Decoded::Control,
            Kind::ServerShutdown => Decoded::ServerShutdown,
            Kind::Ignored => Decoded::Ignored,
        })
    }

    /// The exact-shape path of a diff-depth frame: the keys in the order Binance writes them
    /// (spot `e E s U u b a`, futures `e E T s U u pu b a`, with or without the combined-stream
    /// envelope), no whitespace, every value read straight into ticks and lots
    /// ([`units`](crate::feed::units)). `None` on any surprise (another message, another key
    /// order, a value the fast path does not take, an error of any kind): [`Decoder::decode`]
    /// then takes the general walk, which gives the same result or names the error.
    ///
    /// # Hot path
    /// No allocation once the level buffers have grown; one pass over the bytes, no per-level
    /// branch on key order.
    #[inline]
    pub(crate) fn depth_exact(
        &mut self,
        frame: &[u8],
        ts_recv: UnixNanos,
        registry: &Registry,
    ) -> Option<DepthHeader> {
        let mut c = Exact::new(frame);
        let enveloped = c.eat(b"{\"stream\":\"");
        if enveloped {
            if wire::classify_stream(c.str()?) != Ok(Kind::Depth) {
                return None;
            }
            c.lit(b",\"data\":{\"e\":\"depthUpdate\",\"E\":")?;
        } else {
            c.lit(b"{\"e\":\"depthUpdate\",\"E\":")?;
        }
        let event_time = c.u64()?;
        let tx_time = if c.eat(b",\"T\":") {
            Some(c.u64()?)
        } else {
            None
        };
        c.lit(b",\"s\":\"")?;
        let symbol = c.str()?;
        c.lit(b",\"U\":")?;
        let first_id = c.u64()?;
        c.lit(b",\"u\":")?;
        let last_id = c.u64()?;
        let prev_last_id = if c.eat(b",\"pu\":") {
            Some(c.u64()?)
        } else {
            None
        };
        c.lit(b",\"b\":")?;
        let inst = registry.lookup(self.venue, symbol)?;
        let units = Units::new(&inst.spec, &self.layouts);
        self.bids.clear();
        self.asks.clear();
        c.levels(&units, &mut self.bids)?;
        c.lit(b",\"a\":")?;
        c.levels(&units, &mut self.asks)?;
        c.lit(if enveloped { b"}}" } else { b"}" })?;
        if !c.at_end() {
            return None;
        }
        Some(DepthHeader {
            instrument: inst.id,
            first_id,
            last_id,
            prev_last_id,
            ts_exchange: UnixNanos::from_millis(tx_time.unwrap_or(event_time)),
            ts_recv,
        })
    }

    /// Converts the levels of the last decoded bare snapshot for `instrument`, the instrument
    /// it was requested for.
    pub fn resolve_snapshot(&mut self, instrument: &Instrument) -> Result<(), DecodeError> {
        self.convert_levels(instrument)
    }

    fn convert_levels(&mut self, inst: &Instrument) -> Result<(), DecodeError> {
        let spec = &inst.spec;
        convert(spec, &self.raw_bids, &mut self.bids, inst, "bids")?;
        convert(spec, &self.raw_asks, &mut self.asks, inst, "asks")
    }
}

fn convert(
    spec: &InstrumentSpec,
    raw: &[RawLevel],
    out: &mut Vec<Level>,
    inst: &Instrument,
    field: &'static str,
) -> Result<(), DecodeError> {
    out.clear();
    for &(p, q) in raw {
        let grid_err = |error| DecodeError::Grid {
            field,
            symbol: Token::new(inst.symbol.as_bytes()),
            error,
        };
        let price = spec.market_price_from_raw(p).map_err(grid_err)?;
        let qty = spec.market_qty_from_raw(q).map_err(grid_err)?;
        out.push(Level::new(price, qty));
    }
    Ok(())
}

fn classify_error(e: ClassifyError<'_>) -> DecodeError {
    match e {
        ClassifyError::UnknownStream(s) => DecodeError::UnknownStream(Token::new(s)),
        ClassifyError::UnknownEvent(s) => DecodeError::UnknownEvent(Token::new(s)),
        ClassifyError::VenueError(code) => DecodeError::VenueError(code),
        ClassifyError::Unrecognized => DecodeError::Unrecognized,
    }
}

fn need<T>(v: Option<T>, message: &'static str, field: &'static str) -> Result<T, DecodeError> {
    v.ok_or(DecodeError::MissingField { message, field })
}

fn lookup<'r>(
    registry: &'r Registry,
    venue: Venue,
    symbol: Option<&[u8]>,
    message: &'static str,
) -> Result<&'r Instrument, DecodeError> {
    let symbol = need(symbol, message, "s")?;
    registry
        .lookup(venue, symbol)
        .ok_or_else(|| DecodeError::UnknownSymbol(Token::new(symbol)))
}

fn raw(
    text: Option<&[u8]>,
    message: &'static str,
    field: &'static str,
) -> Result<RawDecimal, DecodeError> {
    let text = need(text, message, field)?;
    RawDecimal::parse(text).map_err(|_| DecodeError::Decimal { field, at: 0 })
}

fn price(
    inst: &Instrument,
    text: Option<&[u8]>,
    message: &'static str,
    field: &'static str,
) -> Result<Price, DecodeError> {
    inst.spec
        .market_price_from_raw(raw(text, message, field)?)
        .map_err(|error| DecodeError::Grid {
            field,
            symbol: Token::new(inst.symbol.as_bytes()),
            error,
        })
}

fn qty(
    inst: &Instrument,
    text: Option<&[u8]>,
    message: &'static str,
    field: &'static str,
) -> Result<Quantity, DecodeError> {
    inst.spec
        .market_qty_from_raw(raw(text, message, field)?)
        .map_err(|error| DecodeError::Grid {
            field,
            symbol: Token::new(inst.symbol.as_bytes()),
            error,
        })
}
