//! Bybit frames to normalized values: integer ticks and lots of registered instruments.
//!
//! [`Decoder::decode`] parses one frame ([`wire`](super::wire)), resolves the topic's symbol in
//! the [`Registry`] among the venue's instruments, and converts every price and quantity onto
//! the instrument's grid. A value off the grid, an unknown symbol or topic, a refused request or
//! malformed JSON is a [`DecodeError`] that says what and where; nothing is rounded and nothing
//! panics. Prices must be positive and quantities non-negative, each at most 10^14 ticks or lots
//! ([`InstrumentSpec::market_price_from_raw`] / `market_qty_from_raw`).
//!
//! One exception: a book restart (`u == 1`) holding a value off the grid is not an error of the
//! frame but news about the instrument: the venue changed its tick or lot size (venues.md §12).
//! It decodes as [`Decoded::GridChanged`], which the sequencer turns into a fault.

use super::wire::{self, ClassifyError, Fields, Kind, Parsed, RawLevel, TakerSide, WireError};
use crate::feed::Venue;
use crate::feed::json::JsonError;
pub use crate::feed::token::Token;
use crate::feed::units::{Exact, Layouts, Units};
use crate::instrument::{Instrument, Registry};
use ladder_sdk::{
    GridError, InstrumentId, InstrumentSpec, Level, RawDecimal, Side, Trade, UnixNanos,
};
use std::fmt;

/// Header of an `orderbook` message; its levels are in [`Decoder::bids`] / [`Decoder::asks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookHeader {
    /// The instrument.
    pub instrument: InstrumentId,
    /// The subscribed depth (from the topic).
    pub depth: u32,
    /// `type: snapshot`.
    pub snapshot: bool,
    /// `u`: the book's update id after this message.
    pub update_id: u64,
    /// `seq`: the cross sequence (orders messages of several depths; not a gap detector).
    pub seq: Option<u64>,
    /// Matching-engine time (`cts`; `ts` when a message has none).
    pub ts_exchange: UnixNanos,
    /// Local receive time.
    pub ts_recv: UnixNanos,
}

impl BookHeader {
    /// The message replaces the book: a `snapshot`, or any message with `u == 1` (a restart).
    pub const fn replaces(&self) -> bool {
        self.snapshot || self.update_id == 1
    }
}

/// A decoded Bybit frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded {
    /// An `orderbook` snapshot or delta.
    Book(BookHeader),
    /// A book restart (`u == 1`) holding a value off the instrument's grid: the venue's tick
    /// (`price`) or lot size changed. Its levels are not converted.
    GridChanged {
        /// The message.
        header: BookHeader,
        /// True for a price, false for a quantity.
        price: bool,
        /// The first value off the grid.
        value: RawDecimal,
    },
    /// A `publicTrade` message: its regular trades in [`Decoder::trades`], `block` block
    /// trades (off the book: counted, not traded on).
    Trades {
        /// The instrument.
        instrument: InstrumentId,
        /// Block trades in the message.
        block: u32,
    },
    /// A reply to a request, or a pong.
    Control,
    /// A topic ladder does not use.
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
        /// The field (`b price`, `a size`, `p`, `v`).
        field: &'static str,
        /// The symbol.
        symbol: Token,
        /// Details.
        error: GridError,
    },
    /// A topic ladder does not know.
    UnknownTopic(Token),
    /// A book message whose `type` is neither `snapshot` nor `delta`.
    BadType(Token),
    /// A trade whose taker side `S` is neither `Buy` nor `Sell`.
    BadSide(Token),
    /// A symbol that is not registered for this venue.
    UnknownSymbol {
        /// The venue.
        venue: Venue,
        /// The symbol.
        symbol: Token,
    },
    /// The message's `data.s` is not the topic's symbol.
    SymbolMismatch {
        /// The topic.
        topic: Token,
        /// The symbol the data names.
        symbol: Token,
    },
    /// The venue refused a request.
    Refused {
        /// The request.
        op: Token,
        /// The venue's text.
        message: Token,
    },
    /// An `orderbook` message of another depth than the one the instrument's book follows.
    OtherDepth {
        /// The symbol.
        symbol: Token,
        /// The depth the book follows.
        follows: u32,
        /// The depth of the message.
        got: u32,
    },
    /// A REST snapshot body was offered: Bybit books take their snapshots from the stream.
    NoRestSnapshot,
    /// The frame is valid JSON but not a Bybit public message (another venue's?).
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
            Self::UnknownTopic(t) => write!(f, "unknown topic {t}"),
            Self::BadType(t) => write!(
                f,
                "orderbook message of type {t}; expected \"snapshot\" or \"delta\""
            ),
            Self::BadSide(t) => write!(f, "trade side {t}; expected \"Buy\" or \"Sell\""),
            Self::UnknownSymbol { venue, symbol } => {
                write!(f, "unknown symbol {symbol} (not configured for {venue})")
            }
            Self::SymbolMismatch { topic, symbol } => {
                write!(f, "topic {topic} carries data of symbol {symbol}")
            }
            Self::Refused { op, message } => {
                write!(f, "the venue refused the {op} request: {message}")
            }
            Self::OtherDepth {
                symbol,
                follows,
                got,
            } => write!(
                f,
                "orderbook.{got} of {symbol}: its book follows orderbook.{follows} \
                 (subscribe one depth per instrument)"
            ),
            Self::NoRestSnapshot => f.write_str(
                "bybit books take their snapshots from the stream (the first message after \
                 subscribing); there is no REST snapshot to apply",
            ),
            Self::Unrecognized => f.write_str("not a Bybit public message"),
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

/// Decodes Bybit frames of one venue (spot, linear or inverse) with reusable buffers.
#[derive(Debug)]
pub struct Decoder {
    venue: Venue,
    raw: Parsed,
    /// The layouts of the last price and quantity read (see [`Layouts`]).
    layouts: Layouts,
    bids: Vec<Level>,
    asks: Vec<Level>,
    trades: Vec<Trade>,
}

impl Decoder {
    /// A decoder of `venue`'s frames (symbols are looked up among its instruments), with
    /// empty buffers (they grow to the largest message once).
    pub fn new(venue: Venue) -> Self {
        Self {
            layouts: Layouts::default(),
            venue,
            raw: Parsed::default(),
            bids: Vec::new(),
            asks: Vec::new(),
            trades: Vec::new(),
        }
    }

    /// Bid levels of the last book message, in wire order.
    pub fn bids(&self) -> &[Level] {
        &self.bids
    }

    /// Ask levels of the last book message, in wire order.
    pub fn asks(&self) -> &[Level] {
        &self.asks
    }

    /// Regular trades of the last trade message, in wire order.
    pub fn trades(&self) -> &[Trade] {
        &self.trades
    }

    /// Decodes one frame received at `ts_recv`.
    ///
    /// # Hot path
    /// No allocation once the buffers have grown; one pass over the bytes plus one over the
    /// levels or trades.
    pub fn decode(
        &mut self,
        frame: &[u8],
        ts_recv: UnixNanos,
        registry: &Registry,
    ) -> Result<Decoded, DecodeError> {
        if let Some(header) = self.book_exact(frame, ts_recv, registry) {
            return Ok(Decoded::Book(header));
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
        wire::parse(frame, &mut f, &mut self.raw)?;
        self.bids.clear();
        self.asks.clear();
        self.trades.clear();
        let kind = wire::classify(&f).map_err(classify_error)?;
        let ms = |v: Option<u64>| v.map_or(UnixNanos::ZERO, UnixNanos::from_millis);
        Ok(match kind {
            Kind::Book { depth, snapshot } => {
                let inst = self.lookup(registry, f.topic)?;
                if let Some(s) = f.symbol
                    && s != inst.symbol.as_bytes()
                {
                    return Err(mismatch(f.topic, s));
                }
                let header = BookHeader {
                    instrument: inst.id,
                    depth,
                    snapshot,
                    update_id: need(f.update_id, "orderbook", "u")?,
                    seq: f.seq,
                    ts_exchange: ms(f.cts.or(f.ts)),
                    ts_recv,
                };
                match self.convert_levels(inst) {
                    Ok(()) => Decoded::Book(header),
                    Err(Converted {
                        price,
                        error: GridError::OffGrid { value, .. },
                        ..
                    }) if header.update_id == 1 => Decoded::GridChanged {
                        header,
                        price,
                        value: value.0,
                    },
                    Err(c) => return Err(c.into_error(inst)),
                }
            }
            Kind::Trade => {
                let inst = self.lookup(registry, f.topic)?;
                let mut block = 0u32;
                for t in &self.raw.trades {
                    if let Some((a, b)) = t.symbol
                        && &frame[a..b] != inst.symbol.as_bytes()
                    {
                        return Err(mismatch(f.topic, &frame[a..b]));
                    }
                    let grid = |field, error| DecodeError::Grid {
                        field,
                        symbol: Token::new(inst.symbol.as_bytes()),
                        error,
                    };
                    let price = need(t.price, "publicTrade", "p")?;
                    let qty = need(t.qty, "publicTrade", "v")?;
                    let trade = Trade {
                        instrument: inst.id,
                        aggressor: match t.side {
                            TakerSide::Buy => Side::Buy,
                            TakerSide::Sell => Side::Sell,
                            TakerSide::Missing => {
                                return Err(DecodeError::MissingField {
                                    message: "publicTrade",
                                    field: "S",
                                });
                            }
                            TakerSide::Other => return Err(DecodeError::BadSide(side_text(frame))),
                        },
                        price: inst
                            .spec
                            .market_price_from_raw(price)
                            .map_err(|e| grid("p", e))?,
                        qty: inst
                            .spec
                            .market_qty_from_raw(qty)
                            .map_err(|e| grid("v", e))?,
                        trade_id: need(t.id, "publicTrade", "i")?,
                        ts_exchange: UnixNanos::from_millis(need(t.time, "publicTrade", "T")?),
                        ts_recv,
                    };
                    if t.block {
                        block += 1;
                    } else {
                        self.trades.push(trade);
                    }
                }
                Decoded::Trades {
                    instrument: inst.id,
                    block,
                }
            }
            Kind::Control => Decoded::Control,
            Kind::Ignored => Decoded::Ignored,
        })
    }

    /// The exact-shape path of an `orderbook` frame: the keys in the order Bybit writes them
    /// (`topic type ts data cts` on linear and inverse, `topic ts type data cts` on spot; `data`
    /// as `s b a u seq`), no whitespace, every value read straight into ticks and lots
    /// ([`units`](crate::feed::units)). `None` on any surprise (another message or key order,
    /// a value the fast path does not take, any error, a grid change): [`Decoder::decode`] then
    /// takes the general walk, which gives the same result or names the error.
    ///
    /// # Hot path
    /// No allocation once the level buffers have grown; one pass over the bytes.
    #[inline]
    pub(crate) fn book_exact(
        &mut self,
        frame: &[u8],
        ts_recv: UnixNanos,
        registry: &Registry,
    ) -> Option<BookHeader> {
        let mut c = Exact::new(frame);
        c.lit(b"{\"topic\":\"")?;
        let mut f = Fields {
            topic: Some(c.str()?),
            ..Fields::default()
        };
        if c.eat(b",\"type\":\"") {
            f.kind = Some(c.str()?);
            c.lit(b",\"ts\":")?;
            f.ts = Some(c.u64()?);
        } else {
            c.lit(b",\"ts\":")?;
            f.ts = Some(c.u64()?);
            c.lit(b",\"type\":\"")?;
            f.kind = Some(c.str()?);
        }
        // The topic parsed once (what `wire::classify` and `Decoder::lookup` each read).
        let wire::Topic::Book {
            depth,
            symbol: topic_symbol,
        } = wire::topic(f.topic?)
        else {
            return None;
        };
        let snapshot = match f.kind? {
            b"snapshot" => true,
            b"delta" => false,
            _ => return None,
        };
        c.lit(b",\"data\":{\"s\":\"")?;
        let symbol = c.str()?;
        let inst = registry.lookup(self.venue, topic_symbol)?;
        if symbol != inst.symbol.as_bytes() {
            return None;
        }
        let units = Units::new(&inst.spec, &self.layouts);
        self.bids.clear();
        self.asks.clear();
        self.trades.clear();
        c.lit(b",\"b\":")?;
        c.levels(&units, &mut self.bids)?;
        c.lit(b",\"a\":")?;
        c.levels(&units, &mut self.asks)?;
        c.lit(b",\"u\":")?;
        let update_id = c.u64()?;
        let seq = if c.eat(b",\"seq\":") {
            Some(c.u64()?)
        } else {
            None
        };
        c.lit(b"}")?;
        let cts = if c.eat(b",\"cts\":") {
            Some(c.u64()?)
        } else {
            None
        };
        c.lit(b"}")?;
        if !c.at_end() {
            return None;
        }
        Some(BookHeader {
            instrument: inst.id,
            depth,
            snapshot,
            update_id,
            seq,
            ts_exchange: UnixNanos::from_millis(cts.or(f.ts).unwrap_or(0)),
            ts_recv,
        })
    }

    /// The instrument of a book or trade topic (`orderbook.200.BTCUSDT` → `BTCUSDT`).
    fn lookup<'r>(
        &self,
        registry: &'r Registry,
        topic: Option<&[u8]>,
    ) -> Result<&'r Instrument, DecodeError> {
        let t = need(topic, "bybit", "topic")?;
        let symbol = match wire::topic(t) {
            wire::Topic::Book { symbol, .. } | wire::Topic::Trade { symbol } => symbol,
            wire::Topic::Ignored | wire::Topic::Unknown => {
                return Err(DecodeError::UnknownTopic(Token::new(t)));
            }
        };
        registry
            .lookup(self.venue, symbol)
            .ok_or_else(|| DecodeError::UnknownSymbol {
                venue: self.venue,
                symbol: Token::new(symbol),
            })
    }

    fn convert_levels(&mut self, inst: &Instrument) -> Result<(), Converted> {
        let spec = &inst.spec;
        convert(spec, &self.raw.bids, &mut self.bids, ["b price", "b size"])?;
        convert(spec, &self.raw.asks, &mut self.asks, ["a price", "a size"])
    }
}

/// A level that did not convert.
struct Converted {
    field: &'static str,
    price: bool,
    error: GridError,
}

impl Converted {
    fn into_error(self, inst: &Instrument) -> DecodeError {
        DecodeError::Grid {
            field: self.field,
            symbol: Token::new(inst.symbol.as_bytes()),
            error: self.error,
        }
    }
}

fn convert(
    spec: &InstrumentSpec,
    raw: &[RawLevel],
    out: &mut Vec<Level>,
    fields: [&'static str; 2],
) -> Result<(), Converted> {
    out.clear();
    for &(p, q) in raw {
        let price = spec.market_price_from_raw(p).map_err(|error| Converted {
            field: fields[0],
            price: true,
            error,
        })?;
        let qty = spec.market_qty_from_raw(q).map_err(|error| Converted {
            field: fields[1],
            price: false,
            error,
        })?;
        out.push(Level::new(price, qty));
    }
    Ok(())
}

fn mismatch(topic: Option<&[u8]>, symbol: &[u8]) -> DecodeError {
    DecodeError::SymbolMismatch {
        topic: Token::new(topic.unwrap_or_default()),
        symbol: Token::new(symbol),
    }
}

/// The first `"S":"..."` value of a frame, for the error message of a bad side.
fn side_text(frame: &[u8]) -> Token {
    let key = b"\"S\":\"";
    let Some(at) = frame.windows(key.len()).position(|w| w == key) else {
        return Token::new(b"");
    };
    let rest = &frame[at + key.len()..];
    let end = rest.iter().position(|&b| b == b'"').unwrap_or(rest.len());
    Token::new(&rest[..end])
}

fn classify_error(e: ClassifyError<'_>) -> DecodeError {
    match e {
        ClassifyError::UnknownTopic(t) => DecodeError::UnknownTopic(Token::new(t)),
        ClassifyError::BadType(None) => DecodeError::MissingField {
            message: "orderbook",
            field: "type",
        },
        ClassifyError::BadType(Some(t)) => DecodeError::BadType(Token::new(t)),
        ClassifyError::Refused { op, message } => DecodeError::Refused {
            op: Token::new(op),
            message: Token::new(message.unwrap_or(b"(no readable message)")),
        },
        ClassifyError::Unrecognized => DecodeError::Unrecognized,
    }
}

fn need<T>(v: Option<T>, message: &'static str, field: &'static str) -> Result<T, DecodeError> {
    v.ok_or(DecodeError::MissingField { message, field })
}
