//! Bybit v5 public WebSocket messages, parsed straight from bytes into borrowed fields and raw
//! decimals.
//!
//! One pass over the frame fills a [`Fields`] union (keys in any order, unknown keys skipped);
//! [`classify`] then names the message by its `topic` (or, for a reply, its `op`). The `data`
//! value is read by what the topic says it holds; in the rare frame whose `data` comes before
//! its `topic` the value is skipped, remembered, and read once the topic is known. Shapes (docs:
//! <https://bybit-exchange.github.io/docs/v5/websocket/public/orderbook>,
//! <https://bybit-exchange.github.io/docs/v5/websocket/public/trade>; `../shared/docs/venues.md`
//! §3 and §12):
//!
//! ```text
//! book (linear)   {"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1672304484978,
//!                  "data":{"s":"BTCUSDT","b":[["16493.50","0.006"]],"a":[["16611.00","0.029"]],
//!                  "u":18521288,"seq":7961638724},"cts":1672304484976}
//! book (spot)     {"topic":"orderbook.200.BTCUSDT","ts":1786310816618,"type":"delta",
//!                  "data":{"s":"BTCUSDT","b":[["65140.4","0.875077"]],"a":[],"u":62505425,
//!                  "seq":112488545865},"cts":1786310816585}
//! trade (linear)  {"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,
//!                  "data":[{"T":1672304486865,"s":"BTCUSDT","S":"Buy","v":"0.001",
//!                  "p":"16578.50","L":"PlusTick","i":"20f43950-d8dd-5b31-9112-a178eb6023af",
//!                  "BT":false,"RPI":false,"seq":1783284617}]}
//! trade (spot)    {"topic":"publicTrade.ETHUSDT","ts":1786310821917,"type":"snapshot",
//!                  "data":[{"i":"2280000001739247417","T":1786310821917,"p":"1923.28",
//!                  "v":"0.04537","S":"Sell","seq":178477362706,"s":"ETHUSDT","BT":false,
//!                  "RPI":false}]}
//! reply (spot)    {"success":true,"ret_msg":"subscribe","conn_id":"d9avt8...","op":"subscribe"}
//! reply (linear)  {"success":true,"ret_msg":"","conn_id":"a38867ec-...","req_id":"","op":"subscribe"}
//! refusal         {"success":false,"ret_msg":"Invalid symbol :[orderbook.50.XXX]",
//!                  "conn_id":"...","op":"subscribe"}
//! pong (option)   {"args":["1672916271846"],"op":"pong"}
//! ```
//! Linear and inverse put `type` before `ts`, spot `ts` before `type` ([`Fields::type_first`]);
//! linear trades carry a UUID `i` and a tick direction `L`, spot trades a decimal `i` and no `L`.

use crate::feed::json::{JsonError, Scanner};
use ladder_sdk::RawDecimal;

/// A price and quantity as read from the wire.
pub type RawLevel = (RawDecimal, RawDecimal);

/// The taker side of a trade as the wire spells it (`S`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TakerSide {
    /// No `S`.
    #[default]
    Missing,
    /// `"Buy"`.
    Buy,
    /// `"Sell"`.
    Sell,
    /// Anything else.
    Other,
}

/// One element of a `publicTrade` message's `data` array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RawTrade {
    /// `T`: trade time (ms).
    pub time: Option<u64>,
    /// `s`: byte range of the symbol in the frame.
    pub symbol: Option<(usize, usize)>,
    /// `S`: the taker's side.
    pub side: TakerSide,
    /// `p`: price.
    pub price: Option<RawDecimal>,
    /// `v`: quantity.
    pub qty: Option<RawDecimal>,
    /// `i`: the trade id as a number ([`trade_id`]).
    pub id: Option<u64>,
    /// `BT`: a block trade (off the book).
    pub block: bool,
    /// `seq`: cross sequence.
    pub seq: Option<u64>,
    /// An `L` tick direction was present (linear and inverse trades have one, spot trades not).
    pub tick_direction: bool,
}

/// What the `data` of a topic holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic<'a> {
    /// `orderbook.{depth}.{symbol}`.
    Book {
        /// The subscribed depth.
        depth: u32,
        /// The symbol.
        symbol: &'a [u8],
    },
    /// `publicTrade.{symbol}`.
    Trade {
        /// The symbol.
        symbol: &'a [u8],
    },
    /// A known topic ladder does not use (tickers, klines, liquidations, ...).
    Ignored,
    /// Not a topic ladder knows.
    Unknown,
}

/// The book depths Bybit serves (spot, linear and inverse 1, 50, 200, 1000; options 25 and
/// 100; futures 500 until 2025-09-11, kept for recordings).
pub const DEPTHS: [u32; 7] = [1, 25, 50, 100, 200, 500, 1000];

/// Topic prefixes of streams ladder does not use.
const IGNORED: [&[u8]; 9] = [
    b"tickers.",
    b"kline.",
    b"liquidation.",
    b"allLiquidation.",
    b"kline_lt.",
    b"tickers_lt.",
    b"lt.",
    b"insurance.",
    b"priceLimit.",
];

/// Names a topic.
pub fn topic(t: &[u8]) -> Topic<'_> {
    if let Some(rest) = t.strip_prefix(b"orderbook.") {
        let Some(dot) = rest.iter().position(|&b| b == b'.') else {
            return Topic::Unknown;
        };
        let (digits, symbol) = (&rest[..dot], &rest[dot + 1..]);
        let depth = std::str::from_utf8(digits)
            .ok()
            .and_then(|d| d.parse::<u32>().ok())
            .filter(|d| DEPTHS.contains(d) && !digits.starts_with(b"0"));
        return match depth {
            Some(depth) if !symbol.is_empty() => Topic::Book { depth, symbol },
            _ => Topic::Unknown,
        };
    }
    if let Some(symbol) = t.strip_prefix(b"publicTrade.") {
        return if symbol.is_empty() {
            Topic::Unknown
        } else {
            Topic::Trade { symbol }
        };
    }
    if IGNORED.iter().any(|p| t.starts_with(p)) {
        return Topic::Ignored;
    }
    Topic::Unknown
}

/// Every field of every Bybit public message ladder reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fields<'a> {
    /// `topic`.
    pub topic: Option<&'a [u8]>,
    /// `type`: `snapshot` or `delta`.
    pub kind: Option<&'a [u8]>,
    /// `ts`: when the venue sent the message (ms).
    pub ts: Option<u64>,
    /// `cts`: matching-engine time of the book (ms).
    pub cts: Option<u64>,
    /// True when `type` came before `ts` (linear, inverse), false when after (spot).
    pub type_first: Option<bool>,
    /// `data.s`.
    pub symbol: Option<&'a [u8]>,
    /// `data.u`: the book's update id.
    pub update_id: Option<u64>,
    /// `data.seq`: cross sequence.
    pub seq: Option<u64>,
    /// A `data.b` level array was present.
    pub has_bids: bool,
    /// A `data.a` level array was present.
    pub has_asks: bool,
    /// `success` of a reply.
    pub success: Option<bool>,
    /// `ret_msg` of a reply (`None` too when it holds escapes).
    pub ret_msg: Option<&'a [u8]>,
    /// `op` of a reply.
    pub op: Option<&'a [u8]>,
    /// A `req_id` key was present.
    pub has_req_id: bool,
}

/// Why a frame did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// Malformed JSON.
    Json(JsonError),
    /// A decimal string that is not a plain decimal.
    Decimal {
        /// The field it was in.
        field: &'static str,
        /// Byte offset of the string.
        at: usize,
    },
}

impl From<JsonError> for WireError {
    fn from(e: JsonError) -> Self {
        Self::Json(e)
    }
}

/// Reusable output of [`parse`]: the levels of a book message and the trades of a trade
/// message (cleared first; capacity is kept, so a warm parser does not allocate).
#[derive(Debug, Default)]
pub struct Parsed {
    /// `data.b`.
    pub bids: Vec<RawLevel>,
    /// `data.a`.
    pub asks: Vec<RawLevel>,
    /// `data[]` of a trade message.
    pub trades: Vec<RawTrade>,
}

/// Parses one frame into `fields` and `out`.
///
/// # Hot path
/// No allocation once `out`'s buffers have grown to the largest message; one pass over the
/// bytes (two over `data` when it comes before `topic`).
pub fn parse<'a>(
    frame: &'a [u8],
    fields: &mut Fields<'a>,
    out: &mut Parsed,
) -> Result<(), WireError> {
    *fields = Fields::default();
    out.bids.clear();
    out.asks.clear();
    out.trades.clear();
    let mut s = Scanner::new(frame);
    s.begin_object()?;
    let mut first = true;
    let mut deferred: Option<usize> = None;
    while let Some(key) = s.next_key(&mut first)? {
        match key {
            b"topic" => fields.topic = Some(s.str()?),
            b"type" => {
                fields.kind = Some(s.str()?);
                fields.type_first.get_or_insert(true);
            }
            b"ts" => {
                fields.ts = Some(s.u64()?);
                fields.type_first.get_or_insert(false);
            }
            b"cts" => fields.cts = Some(s.u64()?),
            b"data" => match fields.topic {
                Some(t) => data(&mut s, topic(t), fields, out)?,
                None => {
                    deferred = Some(s.position());
                    s.skip_value()?;
                }
            },
            b"success" => fields.success = Some(s.bool()?),
            b"ret_msg" => fields.ret_msg = lenient_str(&mut s)?,
            b"op" => fields.op = Some(s.str()?),
            b"req_id" => {
                fields.has_req_id = true;
                s.skip_value()?;
            }
            _ => s.skip_value()?,
        }
    }
    s.end()?;
    if let (Some(at), Some(t)) = (deferred, fields.topic) {
        let mut d = Scanner::new(&frame[at..]);
        data(&mut d, topic(t), fields, out).map_err(|e| shift(e, at))?;
        // Trade symbol ranges are relative to the slice.
        for tr in &mut out.trades {
            tr.symbol = tr.symbol.map(|(a, b)| (a + at, b + at));
        }
    }
    Ok(())
}

/// A string that may hold escapes (a venue's error text): `None` for those, skipped whole.
fn lenient_str<'a>(s: &mut Scanner<'a>) -> Result<Option<&'a [u8]>, JsonError> {
    let save = s.clone();
    match s.str() {
        Ok(v) => Ok(Some(v)),
        Err(JsonError::Escaped { .. }) => {
            *s = save;
            s.skip_value()?;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Moves the byte offsets of an error found in `frame[at..]` to offsets into `frame`.
fn shift(e: WireError, at: usize) -> WireError {
    let j = |e: JsonError| match e {
        JsonError::Truncated { at: p } => JsonError::Truncated { at: p + at },
        JsonError::Unexpected {
            at: p,
            found,
            expected,
        } => JsonError::Unexpected {
            at: p + at,
            found,
            expected,
        },
        JsonError::BadNumber { at: p } => JsonError::BadNumber { at: p + at },
        JsonError::Escaped { at: p } => JsonError::Escaped { at: p + at },
    };
    match e {
        WireError::Json(e) => WireError::Json(j(e)),
        WireError::Decimal { field, at: p } => WireError::Decimal { field, at: p + at },
    }
}

/// Reads `data` as the topic says: a book object, an array of trades, or skipped.
fn data<'a>(
    s: &mut Scanner<'a>,
    topic: Topic<'a>,
    f: &mut Fields<'a>,
    out: &mut Parsed,
) -> Result<(), WireError> {
    match topic {
        Topic::Book { .. } => book(s, f, out),
        Topic::Trade { .. } => trades(s, out),
        Topic::Ignored | Topic::Unknown => Ok(s.skip_value()?),
    }
}

fn book<'a>(s: &mut Scanner<'a>, f: &mut Fields<'a>, out: &mut Parsed) -> Result<(), WireError> {
    s.begin_object()?;
    let mut first = true;
    while let Some(key) = s.next_key(&mut first)? {
        match key {
            b"s" => f.symbol = Some(s.str()?),
            b"u" => f.update_id = Some(s.u64()?),
            b"seq" => f.seq = Some(s.u64()?),
            b"b" => {
                f.has_bids = true;
                levels(s, &mut out.bids, "b")?;
            }
            b"a" => {
                f.has_asks = true;
                levels(s, &mut out.asks, "a")?;
            }
            _ => s.skip_value()?,
        }
    }
    Ok(())
}

fn trades(s: &mut Scanner<'_>, out: &mut Parsed) -> Result<(), WireError> {
    s.begin_array()?;
    let mut first = true;
    while s.next_element(&mut first)? {
        let mut t = RawTrade::default();
        s.begin_object()?;
        let mut inner = true;
        while let Some(key) = s.next_key(&mut inner)? {
            match key {
                b"T" => t.time = Some(s.u64()?),
                b"s" => {
                    let v = s.str()?;
                    // The cursor is just past the closing quote.
                    let end = s.position() - 1;
                    t.symbol = Some((end - v.len(), end));
                }
                b"S" => {
                    t.side = match s.str()? {
                        b"Buy" => TakerSide::Buy,
                        b"Sell" => TakerSide::Sell,
                        _ => TakerSide::Other,
                    }
                }
                b"p" => t.price = Some(decimal(s, "p")?),
                b"v" => t.qty = Some(decimal(s, "v")?),
                b"i" => t.id = Some(trade_id(s.str()?)),
                b"BT" => t.block = s.bool()?,
                b"seq" => t.seq = Some(s.u64()?),
                b"L" => {
                    t.tick_direction = true;
                    s.skip_value()?;
                }
                _ => s.skip_value()?,
            }
        }
        out.trades.push(t);
    }
    Ok(())
}

/// A trade id as a number: a decimal id (spot) is its value; anything else (the UUIDs of
/// linear and inverse, a decimal too long for a `u64`) is its 64-bit FNV-1a hash, stable
/// across runs.
pub fn trade_id(text: &[u8]) -> u64 {
    let decimal = !text.is_empty() && text.len() <= 20 && text.iter().all(u8::is_ascii_digit);
    if decimal && let Ok(v) = std::str::from_utf8(text).unwrap_or("").parse::<u64>() {
        return v;
    }
    text.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn decimal(s: &mut Scanner<'_>, field: &'static str) -> Result<RawDecimal, WireError> {
    let at = s.position();
    s.decimal_str().map_err(|e| decimal_error(e, field, at))
}

/// Parses `[["price","qty"], ...]` into `out`.
fn levels(
    s: &mut Scanner<'_>,
    out: &mut Vec<RawLevel>,
    field: &'static str,
) -> Result<(), WireError> {
    s.begin_array()?;
    let mut first = true;
    while s.next_element(&mut first)? {
        let at = s.position();
        if let Some(pair) = s.compact_decimal_pair() {
            out.push(pair.map_err(|e| decimal_error(e, field, at))?);
            continue;
        }
        s.begin_array()?;
        let mut inner = true;
        let mut element = |s: &mut Scanner<'_>| -> Result<RawDecimal, WireError> {
            let at = s.position();
            if !s.next_element(&mut inner)? {
                return Err(WireError::Decimal { field, at });
            }
            decimal(s, field)
        };
        let price = element(s)?;
        let qty = element(s)?;
        if s.next_element(&mut inner)? {
            // A level is exactly `[price, size]`.
            return Err(WireError::Decimal {
                field,
                at: s.position(),
            });
        }
        out.push((price, qty));
    }
    Ok(())
}

fn decimal_error(e: JsonError, field: &'static str, at: usize) -> WireError {
    match e {
        JsonError::BadNumber { .. } | JsonError::Unexpected { .. } => {
            WireError::Decimal { field, at }
        }
        other => WireError::Json(other),
    }
}

/// What a parsed frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An `orderbook` message: `snapshot` (`true`) or `delta`.
    Book {
        /// The subscribed depth, from the topic.
        depth: u32,
        /// True for `type: snapshot`.
        snapshot: bool,
    },
    /// A `publicTrade` message.
    Trade,
    /// A reply to a request (subscribe, ping) that succeeded, or a pong.
    Control,
    /// A topic ladder does not use.
    Ignored,
}

/// Why a frame could not be classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassifyError<'a> {
    /// A topic ladder does not know.
    UnknownTopic(&'a [u8]),
    /// A book message whose `type` is neither `snapshot` nor `delta`, or has none.
    BadType(Option<&'a [u8]>),
    /// The venue refused a request (`success: false`), with its `op` and message.
    Refused {
        /// The request (`subscribe`, ...).
        op: &'a [u8],
        /// The venue's text, unless it holds escapes.
        message: Option<&'a [u8]>,
    },
    /// Nothing in the frame looks like a Bybit message.
    Unrecognized,
}

/// Names the message held in `f`.
pub fn classify<'a>(f: &Fields<'a>) -> Result<Kind, ClassifyError<'a>> {
    if let Some(t) = f.topic {
        return match topic(t) {
            Topic::Book { depth, .. } => match f.kind {
                Some(b"snapshot") => Ok(Kind::Book {
                    depth,
                    snapshot: true,
                }),
                Some(b"delta") => Ok(Kind::Book {
                    depth,
                    snapshot: false,
                }),
                other => Err(ClassifyError::BadType(other)),
            },
            Topic::Trade { .. } => Ok(Kind::Trade),
            Topic::Ignored => Ok(Kind::Ignored),
            Topic::Unknown => Err(ClassifyError::UnknownTopic(t)),
        };
    }
    if let Some(op) = f.op {
        if f.success == Some(false) {
            return Err(ClassifyError::Refused {
                op,
                message: f.ret_msg,
            });
        }
        return Ok(Kind::Control);
    }
    Err(ClassifyError::Unrecognized)
}
