//! OKX frames to normalized values: integer ticks and lots of registered instruments.
//!
//! [`Decoder::decode`] parses one frame ([`wire`](super::wire)), resolves its `instId` in the
//! [`Registry`], and converts every price and size onto the instrument's grid, keeping each
//! level's wire text for the checksum. The exactness rules are Binance's: a price must be
//! above zero, a size at least zero, neither above 10^14 ticks or lots, and a value off the
//! grid is a [`DecodeError`] naming the instrument, the field and the value; nothing is
//! rounded and nothing panics. Ids must make sense too: a negative `seqId`, an update whose
//! `prevSeqId` is negative, or a `checksum` outside 32 bits is an error naming the field.

use super::checksum::{LevelTexts, Texts};
use super::wire::{self, Buffers, Channel, ClassifyError, Fields, Kind, RawLevel, WireError};
use crate::feed::Venue;
use crate::feed::json::JsonError;
use crate::feed::units::{Exact, Layouts, Units};
/// OKX names are longer (instrument ids, error texts): 64 bytes.
pub type Token = crate::feed::token::Token<64>;
use crate::instrument::{Instrument, Registry};
use ladder_sdk::{
    GridError, InstrumentId, InstrumentSpec, Level, Price, Quantity, RawDecimal, Side, Trade,
    UnixNanos,
};
use std::fmt;

/// What a book message does to the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `action: snapshot` of an incremental channel: replaces the book (`prevSeqId` -1).
    Snapshot,
    /// `action: update`: levels to set, chained on `prevSeqId`.
    Update,
    /// A `books5` / `bbo-tbt` push: a full image of the top levels.
    Full,
}

/// Header of a book message; its levels are in [`Decoder::bids`] / [`Decoder::asks`], their
/// wire text in [`Decoder::texts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookHeader {
    /// The instrument.
    pub instrument: InstrumentId,
    /// The channel it came on.
    pub channel: Channel,
    /// Snapshot, update or full image.
    pub action: Action,
    /// `seqId` (absent in recordings before OKX added it).
    pub seq_id: Option<u64>,
    /// `prevSeqId` of an update (a snapshot's `-1` reads as `None`).
    pub prev_seq_id: Option<u64>,
    /// `checksum`; `0` when absent or not sent.
    pub checksum: i32,
    /// Exchange time (`ts`).
    pub ts_exchange: UnixNanos,
    /// Local receive time.
    pub ts_recv: UnixNanos,
}

impl BookHeader {
    /// True for a keep-alive: `seqId == prevSeqId` and no level.
    pub fn is_keepalive(&self, levels: usize) -> bool {
        levels == 0 && self.seq_id.is_some() && self.seq_id == self.prev_seq_id
    }
}

/// Header of a REST `GET /api/v5/market/books` body; its levels are in [`Decoder::bids`] /
/// [`Decoder::asks`] once the instrument is known ([`Decoder::resolve_rest`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestHeader {
    /// The instrument, when the body names it (an `instId` in the data object: OKX's reply
    /// does not, a recorder may add it).
    pub instrument: Option<InstrumentId>,
    /// `seqId` of the snapshot.
    pub seq_id: u64,
    /// `ts`.
    pub ts_exchange: UnixNanos,
    /// Local receive time.
    pub ts_recv: UnixNanos,
}

/// A decoded OKX frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded {
    /// A book message.
    Book(BookHeader),
    /// A REST order-book body.
    Rest(RestHeader),
    /// A `trades` message of this instrument; its trades are in [`Decoder::trades`].
    Trades(InstrumentId),
    /// A control reply (subscribe acknowledgement, `pong`).
    Control,
    /// The venue will close this connection.
    Notice,
    /// A known channel ladder does not use.
    Ignored,
}

/// Why a frame could not be decoded. `Copy` and allocation-free: it is built on the hot path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// Malformed or truncated JSON.
    Json(JsonError),
    /// A price, size or integer string that is not one.
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
    /// An id or checksum out of its range.
    BadValue {
        /// The field.
        field: &'static str,
        /// Its value.
        value: i64,
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
    /// An `event` ladder does not know.
    UnknownEvent(Token),
    /// A book `action` other than `snapshot` and `update`.
    UnknownAction(Token),
    /// An instrument that is not registered.
    UnknownInstrument(Token),
    /// The venue replied with an error.
    VenueError {
        /// Its `code` (`-1` if not a number).
        code: i64,
        /// Its `msg`.
        msg: Token,
    },
    /// A book message whose `data` holds other than one object.
    DataObjects(u32),
    /// A REST order-book body that names no instrument, and the books cannot tell whose it is.
    UnownedRest,
    /// The frame is valid JSON but not an OKX message (another venue's?).
    Unrecognized,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json(e) => write!(f, "malformed frame: {e}"),
            Self::Decimal { field, at } => write!(f, "{field}: not a decimal string at byte {at}"),
            Self::MissingField { message, field } => {
                write!(f, "okx {message} message without its {field:?} field")
            }
            Self::BadValue { field, value } => write!(f, "okx {field} {value} is out of range"),
            Self::Grid {
                field,
                symbol,
                error,
            } => write!(f, "{symbol} {field}: {error}"),
            Self::UnknownChannel(s) => write!(f, "unknown okx channel {s}"),
            Self::UnknownEvent(s) => write!(f, "unknown okx event {s}"),
            Self::UnknownAction(s) => {
                write!(
                    f,
                    "unknown okx book action {s} (expected snapshot or update)"
                )
            }
            Self::UnknownInstrument(s) => write!(f, "unknown instrument {s} (not configured)"),
            Self::VenueError { code, msg } => {
                write!(f, "okx replied with error code {code}: {msg}")
            }
            Self::DataObjects(n) => {
                write!(f, "okx book message with {n} data objects (expected one)")
            }
            Self::UnownedRest => f.write_str(
                "okx order-book body names no instrument and matches no single waiting book",
            ),
            Self::Unrecognized => f.write_str("not an OKX market-data message"),
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

/// Decodes OKX frames with reusable buffers.
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

    /// The wire text of the last book frame's levels.
    pub fn texts(&self) -> Texts<'_> {
        Texts {
            bids: side_texts(&self.raw.bid_text),
            asks: side_texts(&self.raw.ask_text),
        }
    }

    /// Trades of the last `trades` frame.
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
        self.bids.clear();
        self.asks.clear();
        self.trades.clear();
        if frame == b"pong" {
            return Ok(Decoded::Control);
        }
        let mut f = Fields::default();
        wire::parse(frame, &mut f, &mut self.raw)?;
        let kind = wire::classify(&f).map_err(classify_error)?;
        let ts = |v: Option<u64>| v.map_or(UnixNanos::ZERO, UnixNanos::from_millis);
        Ok(match kind {
            Kind::Book(channel) => {
                let inst = lookup(registry, f.arg_inst.or(f.inst), channel.name())?;
                self.convert_levels(inst)?;
                Decoded::Book(book_header(&f, channel, inst, ts_recv)?)
            }
            Kind::Rest => {
                let seq_id = need(f.seq_id, "order-book body", "seqId")?;
                let instrument = match f.inst {
                    Some(sym) => {
                        let inst = lookup(registry, Some(sym), "order-book body")?;
                        self.convert_levels(inst)?;
                        Some(inst.id)
                    }
                    None => None,
                };
                Decoded::Rest(RestHeader {
                    instrument,
                    seq_id: non_negative(seq_id, "seqId")?,
                    ts_exchange: ts(f.ts),
                    ts_recv,
                })
            }
            Kind::Trades => self.decode_trades(frame, &f, ts_recv, registry)?,
            Kind::Control => Decoded::Control,
            Kind::Notice => Decoded::Notice,
            Kind::Ignored => Decoded::Ignored,
        })
    }

    fn decode_trades(
        &mut self,
        frame: &[u8],
        f: &Fields<'_>,
        ts_recv: UnixNanos,
        registry: &Registry,
    ) -> Result<Decoded, DecodeError> {
        const M: &str = "trades";
        let mut first = None;
        for t in &self.raw.trades {
            let sym = t
                .inst
                .and_then(|(at, len)| {
                    frame.get(at as usize..(at as usize).checked_add(len as usize)?)
                })
                .or(f.arg_inst);
            let inst = lookup(registry, sym, M)?;
            first.get_or_insert(inst.id);
            let trade = Trade {
                instrument: inst.id,
                aggressor: if need(t.buy, M, "side")? {
                    Side::Buy
                } else {
                    Side::Sell
                },
                price: price(inst, need(t.price, M, "px")?, "px")?,
                qty: qty(inst, need(t.qty, M, "sz")?, "sz")?,
                trade_id: need(t.trade_id, M, "tradeId")?,
                ts_exchange: t.ts.map_or(UnixNanos::ZERO, UnixNanos::from_millis),
                ts_recv,
            };
            self.trades.push(trade);
        }
        match first {
            Some(id) => Ok(Decoded::Trades(id)),
            None => {
                let inst = lookup(registry, f.arg_inst, M)?;
                Ok(Decoded::Trades(inst.id))
            }
        }
    }

    /// The exact-shape path of a book frame: the keys in the order OKX writes them
    /// (`{"arg":{"channel","instId"},"action","data":[{"asks","bids","ts","checksum"` and,
    /// since OKX added them, `"prevSeqId","seqId"}]}`; `books5` without `action`), no
    /// whitespace, levels `["px","sz","0","n"]` read straight into ticks and lots
    /// ([`units`](crate::feed::units)) with their wire text kept for the checksum. `None` on any
    /// surprise: [`Decoder::decode`] then takes the general walk, which gives the same result
    /// or names the error.
    ///
    /// # Hot path
    /// No allocation once the buffers have grown; one pass over the bytes.
    #[inline]
    pub(crate) fn book_exact(
        &mut self,
        frame: &[u8],
        ts_recv: UnixNanos,
        registry: &Registry,
    ) -> Option<BookHeader> {
        let mut c = Exact::new(frame);
        c.lit(b"{\"arg\":{\"channel\":\"")?;
        let mut f = Fields {
            channel: Some(c.str()?),
            ..Fields::default()
        };
        c.lit(b",\"instId\":\"")?;
        f.arg_inst = Some(c.str()?);
        c.lit(b"}")?;
        if c.eat(b",\"action\":\"") {
            f.action = Some(c.str()?);
        }
        c.lit(b",\"data\":[{\"asks\":")?;
        let inst = lookup(registry, f.arg_inst, "books").ok()?;
        let units = Units::new(&inst.spec, &self.layouts);
        self.raw.clear_levels();
        self.bids.clear();
        self.asks.clear();
        self.trades.clear();
        okx_levels(&mut c, &units, &mut self.asks, &mut self.raw.ask_text)?;
        c.lit(b",\"bids\":")?;
        okx_levels(&mut c, &units, &mut self.bids, &mut self.raw.bid_text)?;
        c.lit(b",\"ts\":\"")?;
        f.ts = Some(c.u64().filter(|&t| i64::try_from(t).is_ok())?);
        c.lit(b"\"")?;
        if c.eat(b",\"checksum\":") {
            f.checksum = Some(c.i64()?);
        }
        if c.eat(b",\"prevSeqId\":") {
            f.prev_seq_id = Some(c.i64()?);
        }
        if c.eat(b",\"seqId\":") {
            f.seq_id = Some(c.i64()?);
        }
        c.lit(b"}]}")?;
        if !c.at_end() {
            return None;
        }
        f.has_data = true;
        f.data_len = 1;
        f.has_asks = true;
        f.has_bids = true;
        let Ok(Kind::Book(channel)) = wire::classify(&f) else {
            return None;
        };
        book_header(&f, channel, inst, ts_recv).ok()
    }

    /// Converts the levels of the last decoded REST body for `instrument`, the instrument it
    /// was requested for.
    pub fn resolve_rest(&mut self, instrument: &Instrument) -> Result<(), DecodeError> {
        self.convert_levels(instrument)
    }

    fn convert_levels(&mut self, inst: &Instrument) -> Result<(), DecodeError> {
        convert(&inst.spec, &self.raw.bids, &mut self.bids, inst, "bids")?;
        convert(&inst.spec, &self.raw.asks, &mut self.asks, inst, "asks")
    }
}

/// The header of a book message of `channel` for `inst`, from its fields.
fn book_header(
    f: &Fields<'_>,
    channel: Channel,
    inst: &Instrument,
    ts_recv: UnixNanos,
) -> Result<BookHeader, DecodeError> {
    let message = channel.name();
    let action = if channel.incremental() {
        match need(f.action, message, "action")? {
            b"snapshot" => Action::Snapshot,
            b"update" => Action::Update,
            other => return Err(DecodeError::UnknownAction(Token::new(other))),
        }
    } else {
        Action::Full
    };
    let prev_seq_id = match (action, f.prev_seq_id) {
        (Action::Update, Some(p)) => Some(non_negative(p, "prevSeqId")?),
        _ => None,
    };
    let seq_id = f.seq_id.map(|s| non_negative(s, "seqId")).transpose()?;
    if action == Action::Update && seq_id.is_some() != prev_seq_id.is_some() {
        let field = if seq_id.is_none() {
            "seqId"
        } else {
            "prevSeqId"
        };
        return Err(DecodeError::MissingField { message, field });
    }
    let checksum = match f.checksum {
        Some(c) => i32::try_from(c).map_err(|_| DecodeError::BadValue {
            field: "checksum",
            value: c,
        })?,
        None => 0,
    };
    Ok(BookHeader {
        instrument: inst.id,
        channel,
        action,
        seq_id,
        prev_seq_id,
        checksum,
        ts_exchange: f.ts.map_or(UnixNanos::ZERO, UnixNanos::from_millis),
        ts_recv,
    })
}

/// `[["px","sz","0","n"],...]` of the exact-shape path: levels into `out`, price and size
/// text into `text` (as the general walk keeps them); `None` on any other shape or value.
#[inline]
fn okx_levels(
    c: &mut Exact<'_>,
    units: &Units<'_>,
    out: &mut Vec<Level>,
    text: &mut wire::TextBuf,
) -> Option<()> {
    c.lit(b"[")?;
    if c.eat(b"]") {
        return Some(());
    }
    let (buf, first) = (c.bytes(), out.len());
    let mut pos = c.position();
    loop {
        if buf.get(pos..pos + 2)? != b"[\"" {
            return None;
        }
        let (price, px_end) = units.price(buf, pos + 1)?;
        if buf.get(px_end..px_end + 2)? != b",\"" {
            return None;
        }
        let (qty, sz_end) = units.qty(buf, px_end + 1)?;
        let (px, sz) = ((pos + 2, px_end - 1), (px_end + 2, sz_end - 1));
        // The deprecated "0" and the order count: two plain strings, not used.
        pos = match unused_tail(buf, sz_end) {
            Some(end) => end,
            None => {
                let mut at = sz_end;
                for _ in 0..2 {
                    if buf.get(at..at + 2)? != b",\"" {
                        return None;
                    }
                    c.seek(at + 2);
                    c.str()?;
                    at = c.position();
                }
                at
            }
        };
        let close = buf.get(pos..pos + 2)?;
        text.push_level(buf, px, sz)?;
        out.push(Level::new(price, qty));
        pos += 2;
        match close {
            b"]," => {}
            b"]]" => {
                c.seek(pos);
                units.count(out.len() - first);
                return Some(());
            }
            _ => return None,
        }
    }
}

/// The end of a level's `,"0","n"` (the deprecated `"0"` and an order count of at most seven
/// bytes with no `"` or `\`) starting at `at`, in one literal check and one eight-byte search;
/// `None` for anything else, which the caller then reads as two plain strings (the same
/// acceptance: this only takes what those two reads take, and ends where they end).
///
/// # Hot path
/// Two eight-byte loads per level instead of two string scans.
#[inline(always)]
pub(super) fn unused_tail(buf: &[u8], at: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const HEAD: u64 = u64::from_le_bytes(*b",\"0\",\"\0\0");
    let head = u64::from_le_bytes(buf.get(at..at + 8)?.try_into().ok()?);
    if head & 0xFFFF_FFFF_FFFF != HEAD {
        return None;
    }
    let w = u64::from_le_bytes(buf.get(at + 6..at + 14)?.try_into().ok()?);
    let quote = w ^ (ONES * u64::from(b'"'));
    let escape = w ^ (ONES * u64::from(b'\\'));
    // The lowest hit of either test is exact (a borrow only runs upward).
    let q = (quote.wrapping_sub(ONES) & !quote) & HIGHS;
    let e = (escape.wrapping_sub(ONES) & !escape) & HIGHS;
    let first = (q | e).trailing_zeros();
    // A quote is the first hit (not an escape, and within the word).
    if first < 64 && q & (1 << first) != 0 {
        Some(at + 6 + (first / 8) as usize + 1)
    } else {
        None
    }
}

fn side_texts(t: &wire::TextBuf) -> LevelTexts<'_> {
    LevelTexts {
        bytes: &t.bytes,
        lens: &t.lens,
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

fn non_negative(v: i64, field: &'static str) -> Result<u64, DecodeError> {
    u64::try_from(v).map_err(|_| DecodeError::BadValue { field, value: v })
}

fn classify_error(e: ClassifyError<'_>) -> DecodeError {
    match e {
        ClassifyError::UnknownChannel(s) => DecodeError::UnknownChannel(Token::new(s)),
        ClassifyError::UnknownEvent(s) => DecodeError::UnknownEvent(Token::new(s)),
        ClassifyError::VenueError(code, msg) => DecodeError::VenueError {
            code: std::str::from_utf8(code)
                .ok()
                .and_then(|c| c.parse().ok())
                .unwrap_or(-1),
            msg: Token::new(msg),
        },
        ClassifyError::DataObjects(n) => DecodeError::DataObjects(n),
        ClassifyError::Unrecognized => DecodeError::Unrecognized,
    }
}

fn need<T>(v: Option<T>, message: &'static str, field: &'static str) -> Result<T, DecodeError> {
    v.ok_or(DecodeError::MissingField { message, field })
}

fn lookup<'r>(
    registry: &'r Registry,
    symbol: Option<&[u8]>,
    message: &'static str,
) -> Result<&'r Instrument, DecodeError> {
    let symbol = need(symbol, message, "instId")?;
    registry
        .lookup(Venue::Okx, symbol)
        .ok_or_else(|| DecodeError::UnknownInstrument(Token::new(symbol)))
}

fn price(inst: &Instrument, raw: RawDecimal, field: &'static str) -> Result<Price, DecodeError> {
    inst.spec
        .market_price_from_raw(raw)
        .map_err(|error| DecodeError::Grid {
            field,
            symbol: Token::new(inst.symbol.as_bytes()),
            error,
        })
}

fn qty(inst: &Instrument, raw: RawDecimal, field: &'static str) -> Result<Quantity, DecodeError> {
    inst.spec
        .market_qty_from_raw(raw)
        .map_err(|error| DecodeError::Grid {
            field,
            symbol: Token::new(inst.symbol.as_bytes()),
            error,
        })
}
