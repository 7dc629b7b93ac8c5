//! Kraken frames to normalized values: integer ticks and lots of registered instruments.
//!
//! [`Decoder::decode`] parses one frame ([`wire`](super::wire), v2 or v1), resolves its symbol
//! in the [`Registry`], and converts every price and quantity onto the instrument's grid. The
//! exactness rules are every venue's: a price must be above zero, a quantity at least zero,
//! neither above 10^14 ticks or lots, and a value off the grid is a [`DecodeError`] naming the
//! symbol, the field and the value; nothing is rounded and nothing panics. Values are read from
//! their text (v2 sends JSON numbers, never read through `f64`), and the decimals they were
//! written with are kept in the [`BookHeader`] for the checksum.
//!
//! Symbols: v2 spells them `BTC/USD`, v1 `XBT/USD` (`docs/venues.md` §5.1). A v1 symbol is
//! looked up as sent, then in its v2 spelling (`XBT` → `BTC`, `XDG` → `DOGE`), so a v1
//! capture replays into instruments registered either way.

use super::time::rfc3339_nanos;
use super::wire::{
    self, Buffers, ClassifyError, Decimals, Fields, Kind, RawLevel, Version, WireError,
};
use crate::feed::Venue;
use crate::feed::json::JsonError;
use crate::feed::units::{Exact, Layouts, Units};
use crate::instrument::{Instrument, Registry};
use ladder_sdk::{
    GridError, InstrumentId, Level, Price, Quantity, RawDecimal, Side, Trade, UnixNanos,
};
use std::fmt;

/// Kraken names (symbols, error texts): 64 bytes.
pub type Token = crate::feed::token::Token<64>;

/// The book depths Kraken serves (v2 and v1).
pub const DEPTHS: [u32; 5] = [10, 25, 100, 500, 1000];

/// Header of a book message; its levels are in [`Decoder::bids`] / [`Decoder::asks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookHeader {
    /// The instrument.
    pub instrument: InstrumentId,
    /// A snapshot (replaces the book) rather than an update.
    pub snapshot: bool,
    /// The venue's CRC32 of its top 10 levels per side after this message, when sent (v2:
    /// snapshots and updates, possibly not on a snapshot; v1: updates only).
    pub checksum: Option<u32>,
    /// The subscribed depth, when the message says (v1 `book-1000`; v2 messages do not).
    pub depth: Option<u32>,
    /// The decimals the message's values were written with (the pair's precision).
    pub decimals: Decimals,
    /// The wire format.
    pub version: Version,
    /// Exchange time (v2 `timestamp`; v1 the latest level time; zero if none).
    pub ts_exchange: UnixNanos,
    /// Local receive time.
    pub ts_recv: UnixNanos,
}

/// A decoded Kraken frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded {
    /// A book message.
    Book(BookHeader),
    /// Trades of this instrument; they are in [`Decoder::trades`].
    Trades(InstrumentId),
    /// A book subscription of a registered instrument was acknowledged at `depth`.
    Subscribed {
        /// The instrument.
        instrument: InstrumentId,
        /// The subscribed depth.
        depth: u32,
    },
    /// A control message (acknowledgement, pong, heartbeat, status).
    Control,
    /// A known channel ladder does not use.
    Ignored,
}

/// Why a frame could not be decoded. `Copy` and allocation-free: it is built on the hot path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// Malformed or truncated JSON.
    Json(JsonError),
    /// A price, quantity, checksum or time that is not one.
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
    /// A value out of its range (a checksum above 32 bits, a depth Kraken does not serve).
    BadValue {
        /// The field.
        field: &'static str,
        /// Its value.
        value: u64,
    },
    /// A value is off its instrument's tick or lot grid, or out of range.
    Grid {
        /// The field.
        field: &'static str,
        /// The instrument.
        symbol: Token,
        /// Details.
        error: GridError,
    },
    /// A channel ladder does not know.
    UnknownChannel(Token),
    /// A book `type` other than `snapshot` and `update`.
    UnknownType(Token),
    /// An instrument that is not registered.
    UnknownInstrument(Token),
    /// The venue replied with an error.
    VenueError(Token),
    /// A book message whose `data` holds other than one object.
    DataObjects(u32),
    /// Kraken serves snapshots in the stream, never as a separate body.
    NoRestSnapshot,
    /// The frame is valid JSON but not a Kraken message (another venue's?).
    Unrecognized,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json(e) => write!(f, "malformed frame: {e}"),
            Self::Decimal { field, at } => {
                write!(f, "{field}: not a plain decimal number at byte {at}")
            }
            Self::MissingField { message, field } => {
                write!(f, "kraken {message} message without its {field:?} field")
            }
            Self::BadValue { field, value } => write!(f, "kraken {field} {value} is out of range"),
            Self::Grid {
                field,
                symbol,
                error,
            } => write!(f, "{symbol} {field}: {error}"),
            Self::UnknownChannel(s) => write!(f, "unknown kraken channel {s}"),
            Self::UnknownType(s) => {
                write!(
                    f,
                    "unknown kraken book type {s} (expected snapshot or update)"
                )
            }
            Self::UnknownInstrument(s) => write!(f, "unknown instrument {s} (not configured)"),
            Self::VenueError(msg) => write!(f, "kraken replied with an error: {msg}"),
            Self::DataObjects(n) => {
                write!(
                    f,
                    "kraken book message with {n} data objects (expected one)"
                )
            }
            Self::NoRestSnapshot => f.write_str(
                "kraken sends its book snapshots in the stream; there is no snapshot body to apply",
            ),
            Self::Unrecognized => f.write_str("not a Kraken market-data message"),
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

/// Decodes Kraken frames with reusable buffers.
#[derive(Debug, Default)]
pub struct Decoder {
    raw: Buffers,
    /// The layouts of the last price and quantity read (see [`Layouts`]).
    layouts: Layouts,
    bids: Vec<Level>,
    asks: Vec<Level>,
    trades: Vec<Trade>,
}

impl Decoder {
    /// A decoder with empty buffers (they grow to the largest message once).
    pub fn new() -> Self {
        Self::default()
    }

    /// Bid levels of the last book frame, in wire order.
    pub fn bids(&self) -> &[Level] {
        &self.bids
    }

    /// Ask levels of the last book frame, in wire order.
    pub fn asks(&self) -> &[Level] {
        &self.asks
    }

    /// Trades of the last trade frame.
    pub fn trades(&self) -> &[Trade] {
        &self.trades
    }

    /// Decodes one frame received at `ts_recv`.
    ///
    /// # Hot path
    /// No allocation once the buffers have grown; one pass over the bytes plus one over the
    /// levels.
    pub fn decode(
        &mut self,
        frame: &[u8],
        ts_recv: UnixNanos,
        registry: &Registry,
    ) -> Result<Decoded, DecodeError> {
        if let Some(header) = self.book_v2_exact(frame, ts_recv, registry) {
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
        self.bids.clear();
        self.asks.clear();
        self.trades.clear();
        let mut f = Fields::default();
        wire::parse(frame, &mut f, &mut self.raw)?;
        let kind = wire::classify(&f).map_err(classify_error)?;
        Ok(match kind {
            Kind::Book => {
                let inst = lookup(registry, f.symbol, "book")?;
                convert(&self.raw.bids, &mut self.bids, inst, "bids")?;
                convert(&self.raw.asks, &mut self.asks, inst, "asks")?;
                let (snapshot, depth) = match f.version {
                    Version::V2 => (f.kind == Some(b"snapshot"), None),
                    Version::V1 => {
                        let d = f.channel.and_then(wire::v1_depth).unwrap_or(0);
                        (f.v1_snapshot, Some(depth(d)?))
                    }
                };
                let checksum = f
                    .checksum
                    .map(|c| {
                        u32::try_from(c).map_err(|_| DecodeError::BadValue {
                            field: "checksum",
                            value: c,
                        })
                    })
                    .transpose()?;
                Decoded::Book(BookHeader {
                    instrument: inst.id,
                    snapshot,
                    checksum,
                    depth,
                    decimals: f.decimals,
                    version: f.version,
                    ts_exchange: f.ts.map_or(UnixNanos::ZERO, UnixNanos::from_nanos),
                    ts_recv,
                })
            }
            Kind::Trades => self.decode_trades(frame, &f, ts_recv, registry)?,
            Kind::BookAck => {
                let Some(inst) = f.ack_symbol.and_then(|s| find(registry, s)) else {
                    // A book of a symbol this session does not carry: nothing to set up.
                    return Ok(Decoded::Control);
                };
                let d = f.ack_depth.unwrap_or(u64::from(DEPTHS[0]));
                Decoded::Subscribed {
                    instrument: inst.id,
                    depth: depth(d)?,
                }
            }
            Kind::Control => Decoded::Control,
            Kind::Ignored => Decoded::Ignored,
        })
    }

    /// The exact-shape path of a v2 book frame: the keys in the order Kraken writes them
    /// (`channel type data:[{symbol bids asks checksum timestamp}]`, each level
    /// `{"price":p,"qty":q}`), no whitespace, every number read straight into ticks and lots
    /// with the decimals it was written with ([`units`](crate::feed::units)). `None` on any
    /// surprise: [`Decoder::decode`] then takes the general walk, which gives the same result
    /// or names the error.
    ///
    /// # Hot path
    /// No allocation once the buffers have grown; one pass over the bytes.
    #[inline]
    pub(crate) fn book_v2_exact(
        &mut self,
        frame: &[u8],
        ts_recv: UnixNanos,
        registry: &Registry,
    ) -> Option<BookHeader> {
        let mut c = Exact::new(frame);
        c.lit(br#"{"channel":"book","type":""#)?;
        let mut f = Fields {
            channel: Some(b"book"),
            kind: Some(c.str()?),
            has_data: true,
            data_len: 1,
            ..Fields::default()
        };
        if wire::classify(&f) != Ok(Kind::Book) {
            return None;
        }
        c.lit(br#","data":[{"symbol":""#)?;
        let inst = lookup(registry, Some(c.str()?), "book").ok()?;
        let units = Units::new(&inst.spec, &self.layouts);
        self.bids.clear();
        self.asks.clear();
        self.trades.clear();
        c.lit(br#","bids":"#)?;
        v2_levels(&mut c, &units, &mut self.bids, &mut f.decimals)?;
        c.lit(br#","asks":"#)?;
        v2_levels(&mut c, &units, &mut self.asks, &mut f.decimals)?;
        c.lit(br#","checksum":"#)?;
        let checksum = u32::try_from(c.u64()?).ok()?;
        c.lit(br#","timestamp":""#)?;
        let ts = rfc3339_nanos(c.str()?)?;
        c.lit(b"}]}")?;
        if !c.at_end() {
            return None;
        }
        Some(BookHeader {
            instrument: inst.id,
            snapshot: f.kind == Some(b"snapshot"),
            checksum: Some(checksum),
            depth: None,
            decimals: f.decimals,
            version: Version::V2,
            ts_exchange: UnixNanos::from_nanos(ts),
            ts_recv,
        })
    }

    fn decode_trades(
        &mut self,
        frame: &[u8],
        f: &Fields<'_>,
        ts_recv: UnixNanos,
        registry: &Registry,
    ) -> Result<Decoded, DecodeError> {
        const M: &str = "trade";
        let mut first = None;
        for t in &self.raw.trades {
            let sym = t
                .symbol
                .and_then(|(at, len)| {
                    frame.get(at as usize..(at as usize).checked_add(len as usize)?)
                })
                .or(f.symbol);
            let inst = lookup(registry, sym, M)?;
            first.get_or_insert(inst.id);
            let trade = Trade {
                instrument: inst.id,
                aggressor: if need(t.buy, M, "side")? {
                    Side::Buy
                } else {
                    Side::Sell
                },
                price: price(inst, need(t.price, M, "price")?, "price")?,
                qty: qty(inst, need(t.qty, M, "qty")?, "qty")?,
                // v1 trades carry no id.
                trade_id: match f.version {
                    Version::V2 => need(t.trade_id, M, "trade_id")?,
                    Version::V1 => 0,
                },
                ts_exchange: t.ts.map_or(UnixNanos::ZERO, UnixNanos::from_nanos),
                ts_recv,
            };
            self.trades.push(trade);
        }
        match first {
            Some(id) => Ok(Decoded::Trades(id)),
            None => Ok(Decoded::Trades(lookup(registry, f.symbol, M)?.id)),
        }
    }
}

/// `[{"price":p,"qty":q},...]` of the exact-shape path into `out`, the decimals written kept
/// in `decimals`; `None` on any other shape or value.
#[inline]
fn v2_levels(
    c: &mut Exact<'_>,
    units: &Units<'_>,
    out: &mut Vec<Level>,
    decimals: &mut Decimals,
) -> Option<()> {
    c.lit(b"[")?;
    if c.eat(b"]") {
        return Some(());
    }
    loop {
        c.lit(br#"{"price":"#)?;
        let (price, pd, end) = units.price_number(c.bytes(), c.position())?;
        c.seek(end);
        c.lit(br#","qty":"#)?;
        let (qty, qd, end) = units.qty_number(c.bytes(), c.position())?;
        c.seek(end);
        c.lit(b"}")?;
        decimals.price = decimals.price.max(pd);
        decimals.qty = decimals.qty.max(qd);
        out.push(Level::new(price, qty));
        if !c.eat(b",") {
            return c.lit(b"]");
        }
    }
}

/// A depth Kraken serves.
fn depth(d: u64) -> Result<u32, DecodeError> {
    u32::try_from(d)
        .ok()
        .filter(|d| DEPTHS.contains(d))
        .ok_or(DecodeError::BadValue {
            field: "depth",
            value: d,
        })
}

fn convert(
    raw: &[RawLevel],
    out: &mut Vec<Level>,
    inst: &Instrument,
    field: &'static str,
) -> Result<(), DecodeError> {
    out.clear();
    for &(p, q) in raw {
        out.push(Level::new(price(inst, p, field)?, qty(inst, q, field)?));
    }
    Ok(())
}

fn classify_error(e: ClassifyError<'_>) -> DecodeError {
    match e {
        ClassifyError::UnknownChannel(s) => DecodeError::UnknownChannel(Token::new(s)),
        ClassifyError::UnknownType(s) => DecodeError::UnknownType(Token::new(s)),
        ClassifyError::VenueError(msg) => DecodeError::VenueError(Token::new(msg)),
        ClassifyError::DataObjects(n) => DecodeError::DataObjects(n),
        ClassifyError::Unrecognized => DecodeError::Unrecognized,
    }
}

fn need<T>(v: Option<T>, message: &'static str, field: &'static str) -> Result<T, DecodeError> {
    v.ok_or(DecodeError::MissingField { message, field })
}

/// The registered instrument of `symbol`: as sent, else in its v2 spelling.
fn find<'r>(registry: &'r Registry, symbol: &[u8]) -> Option<&'r Instrument> {
    registry
        .lookup(Venue::Kraken, symbol)
        .or_else(|| registry.lookup(Venue::Kraken, v2_spelling(symbol, &mut [0u8; 64])?))
}

fn lookup<'r>(
    registry: &'r Registry,
    symbol: Option<&[u8]>,
    message: &'static str,
) -> Result<&'r Instrument, DecodeError> {
    let symbol = need(symbol, message, "symbol")?;
    find(registry, symbol).ok_or_else(|| DecodeError::UnknownInstrument(Token::new(symbol)))
}

/// A v1 symbol in its v2 spelling (`XBT/USD` → `BTC/USD`, `XDG/USD` → `DOGE/USD`), written into
/// `buf`; `None` when it is spelled the same.
pub fn v2_spelling<'b>(symbol: &[u8], buf: &'b mut [u8; 64]) -> Option<&'b [u8]> {
    let mut n = 0usize;
    let mut changed = false;
    for (k, part) in symbol.split(|&b| b == b'/').enumerate() {
        let part: &[u8] = match part {
            b"XBT" => {
                changed = true;
                b"BTC"
            }
            b"XDG" => {
                changed = true;
                b"DOGE"
            }
            other => other,
        };
        if k > 0 {
            *buf.get_mut(n)? = b'/';
            n += 1;
        }
        buf.get_mut(n..n + part.len())?.copy_from_slice(part);
        n += part.len();
    }
    changed.then_some(&buf[..n])
}

fn grid_error<'i>(
    inst: &'i Instrument,
    field: &'static str,
) -> impl Fn(GridError) -> DecodeError + 'i {
    move |error| DecodeError::Grid {
        field,
        symbol: Token::new(inst.symbol.as_bytes()),
        error,
    }
}

fn price(inst: &Instrument, raw: RawDecimal, field: &'static str) -> Result<Price, DecodeError> {
    inst.spec
        .market_price_from_raw(raw)
        .map_err(grid_error(inst, field))
}

fn qty(inst: &Instrument, raw: RawDecimal, field: &'static str) -> Result<Quantity, DecodeError> {
    inst.spec
        .market_qty_from_raw(raw)
        .map_err(grid_error(inst, field))
}
