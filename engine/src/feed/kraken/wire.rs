//! Kraken spot wire messages, WebSocket v2 (objects, numbers) and v1 (arrays, strings), parsed
//! straight from bytes into raw decimals, with the number of decimals each value was written
//! with (the checksum renders prices and quantities with the pair's precision, which is the
//! precision the venue writes them with: `docs/venues.md` §5.3 and §12).
//!
//! One pass over the frame fills [`Fields`] (keys in any order, unknown keys skipped) and the
//! level and trade buffers of [`Buffers`]; [`classify`] then names the message. Shapes (docs:
//! <https://docs.kraken.com/api/docs/websocket-v2/book>, `/websocket-v2/trade`,
//! `/websocket-v1/book`, `/websocket-v1/trade`):
//!
//! ```text
//! v2 book (price and qty are JSON numbers, trailing zeros kept: 0.10000000)
//!   {"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD",
//!    "bids":[{"price":45283.5,"qty":0.10000000}],"asks":[{"price":45285.2,"qty":0.00100000}],
//!    "checksum":3310070434,"timestamp":"2023-10-06T17:35:55.440295Z"}]}
//!   (then "type":"update" with the levels that changed; qty 0 removes)
//! v2 trade
//!   {"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy",
//!    "price":45283.5,"qty":0.001,"ord_type":"limit","trade_id":10218208,
//!    "timestamp":"2023-10-06T17:35:55.440295Z"}]}
//! v2 control
//!   {"method":"subscribe","result":{"channel":"book","depth":10,"snapshot":true,
//!    "symbol":"BTC/USD"},"success":true,"time_in":"..","time_out":".."}
//!   {"method":"subscribe","error":"Currency pair not supported XYZ/USD","success":false,..}
//!   {"method":"pong","req_id":101}  {"channel":"heartbeat"}
//!   {"channel":"status","type":"update","data":[{"system":"online","connection_id":..}]}
//! v1 book (arrays; every number a string; level = [price, volume, time(, "r")])
//!   [1664,{"as":[["56218.30000","0.15000000","1618678117.243818"]],"bs":[...]},"book-1000","XBT/CHF"]
//!   [1664,{"a":[["56218.30000","0.00000000","1618678117.3"]]},"book-1000","XBT/CHF"]
//!   [1664,{"a":[...]},{"b":[...],"c":"974947235"},"book-1000","XBT/CHF"]
//! v1 trade  [993,[["354.11000000","0.89594024","1618678142.557535","s","l",""]],"trade","XMR/USD"]
//! v1 control {"event":"heartbeat"} {"event":"systemStatus",..} {"event":"subscriptionStatus",
//!   "channelName":"book-1000","pair":"XBT/CHF","status":"subscribed",..}
//!   {"event":"subscriptionStatus","status":"error","errorMessage":"..",..}
//! ```

use super::time::rfc3339_nanos;
use super::wire_v1::parse_v1_array;
pub use super::wire_v1::v1_depth;
use crate::feed::json::{JsonError, Scanner};
use ladder_sdk::RawDecimal;

/// A price and quantity as read from the wire.
pub type RawLevel = (RawDecimal, RawDecimal);

/// The decimals values were written with (the largest seen in one message).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Decimals {
    /// Of prices.
    pub price: u8,
    /// Of quantities.
    pub qty: u8,
}

impl Decimals {
    /// The larger of each.
    pub fn max(self, other: Self) -> Self {
        Self {
            price: self.price.max(other.price),
            qty: self.qty.max(other.qty),
        }
    }
}

/// One trade, values raw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RawTrade {
    /// `price` (v1: element 0).
    pub price: Option<RawDecimal>,
    /// `qty` (v1: element 1).
    pub qty: Option<RawDecimal>,
    /// The taker's side, `true` for `buy` (v1 `b`).
    pub buy: Option<bool>,
    /// `trade_id` (v2 only).
    pub trade_id: Option<u64>,
    /// Trade time in nanoseconds (v2 `timestamp`, v1 element 2).
    pub ts: Option<u64>,
    /// `symbol` (v2), as `(offset, length)` in the frame.
    pub symbol: Option<(u32, u32)>,
}

/// Reusable buffers one parse fills (cleared first; their capacity is kept).
#[derive(Debug, Default)]
pub struct Buffers {
    /// Bid levels, in wire order.
    pub bids: Vec<RawLevel>,
    /// Ask levels, in wire order.
    pub asks: Vec<RawLevel>,
    /// Trades.
    pub trades: Vec<RawTrade>,
}

impl Buffers {
    fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
        self.trades.clear();
    }
}

/// The wire format of a frame.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Version {
    /// WebSocket v2: objects.
    #[default]
    V2,
    /// WebSocket v1: arrays for data, objects for control.
    V1,
}

/// Every field of every Kraken message ladder reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fields<'a> {
    /// Which format.
    pub version: Version,
    /// v2 `channel` (v1: the channel name element, `book-1000`, `trade`).
    pub channel: Option<&'a [u8]>,
    /// v2 `type`: `snapshot` or `update`.
    pub kind: Option<&'a [u8]>,
    /// v2 `method` of a control reply.
    pub method: Option<&'a [u8]>,
    /// v1 `event` of a control message.
    pub event: Option<&'a [u8]>,
    /// v2 `success`.
    pub success: Option<bool>,
    /// v2 `error`, v1 `errorMessage`.
    pub error: Option<&'a [u8]>,
    /// v1 `status` of a subscription status.
    pub status: Option<&'a [u8]>,
    /// v2 `result.channel` of an acknowledgement.
    pub ack_channel: Option<&'a [u8]>,
    /// v2 `result.depth`, v1 `subscription.depth`.
    pub ack_depth: Option<u64>,
    /// v2 `result.symbol` (or a top-level `symbol`), v1 `pair`.
    pub ack_symbol: Option<&'a [u8]>,
    /// A `data` array was present (v2).
    pub has_data: bool,
    /// A `data` key whose value was not an array (another venue's envelope).
    pub foreign_data: bool,
    /// Objects in `data` (v2).
    pub data_len: u32,
    /// The book's symbol (v2 `symbol` of the first data object, v1 the pair element).
    pub symbol: Option<&'a [u8]>,
    /// `checksum` (v2 number, v1 `c` string).
    pub checksum: Option<u64>,
    /// Exchange time in nanoseconds (v2 `timestamp`; v1 the latest level time).
    pub ts: Option<u64>,
    /// v1: a snapshot (`as`/`bs`) rather than an update (`a`/`b`).
    pub v1_snapshot: bool,
    /// v1: book parts (objects) seen.
    pub v1_parts: u32,
    /// v1: a trade list was seen.
    pub v1_trades: bool,
    /// The decimals the levels were written with.
    pub decimals: Decimals,
}

/// Why a frame did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// Malformed JSON.
    Json(JsonError),
    /// A value that is not the plain decimal (or integer, or time) the field holds.
    Decimal {
        /// The field it was in.
        field: &'static str,
        /// Byte offset of the value.
        at: usize,
    },
}

impl From<JsonError> for WireError {
    fn from(e: JsonError) -> Self {
        Self::Json(e)
    }
}

/// Parses one frame into `fields` and `buf`.
///
/// # Hot path
/// No allocation once the buffers have grown to the largest message; one pass over the bytes.
pub fn parse<'a>(
    frame: &'a [u8],
    fields: &mut Fields<'a>,
    buf: &mut Buffers,
) -> Result<(), WireError> {
    *fields = Fields::default();
    buf.clear();
    let mut s = Scanner::new(frame);
    match s.peek_byte() {
        Some(b'[') => {
            fields.version = Version::V1;
            parse_v1_array(&mut s, fields, buf)?;
        }
        _ => parse_object(&mut s, frame, fields, buf)?,
    }
    s.end()?;
    Ok(())
}

fn peek_is(s: &Scanner<'_>, want: u8) -> bool {
    s.peek_byte() == Some(want)
}

/// A top-level object: any v2 message, or a v1 control message.
fn parse_object<'a>(
    s: &mut Scanner<'a>,
    frame: &'a [u8],
    f: &mut Fields<'a>,
    buf: &mut Buffers,
) -> Result<(), WireError> {
    s.begin_object()?;
    let mut first = true;
    while let Some(key) = s.next_key(&mut first)? {
        match key {
            b"channel" if peek_is(s, b'"') => f.channel = Some(s.str()?),
            b"type" if peek_is(s, b'"') => f.kind = Some(s.str()?),
            b"method" if peek_is(s, b'"') => f.method = Some(s.str()?),
            b"event" if peek_is(s, b'"') => {
                f.version = Version::V1;
                f.event = Some(s.str()?);
            }
            b"success" => f.success = Some(s.bool()?),
            b"error" | b"errorMessage" => f.error = Some(raw_str(s, frame)?),
            b"status" if peek_is(s, b'"') => f.status = Some(s.str()?),
            b"symbol" | b"pair" if peek_is(s, b'"') => f.ack_symbol = Some(s.str()?),
            b"result" | b"subscription" if peek_is(s, b'{') => parse_ack(s, f)?,
            b"data" if peek_is(s, b'[') => {
                f.has_data = true;
                parse_data(s, frame, f, buf)?;
            }
            b"data" => {
                f.foreign_data = true;
                s.skip_value()?;
            }
            _ => s.skip_value()?,
        }
    }
    Ok(())
}

/// `result` (v2 acknowledgement) or `subscription` (v1 status).
fn parse_ack<'a>(s: &mut Scanner<'a>, f: &mut Fields<'a>) -> Result<(), WireError> {
    s.begin_object()?;
    let mut first = true;
    while let Some(key) = s.next_key(&mut first)? {
        match key {
            b"channel" | b"name" if peek_is(s, b'"') => f.ack_channel = Some(s.str()?),
            b"depth" => f.ack_depth = Some(s.u64()?),
            b"symbol" if peek_is(s, b'"') => f.ack_symbol = Some(s.str()?),
            _ => s.skip_value()?,
        }
    }
    Ok(())
}

/// A string as its raw bytes between the quotes, escapes left as they are.
fn raw_str<'a>(s: &mut Scanner<'a>, frame: &'a [u8]) -> Result<&'a [u8], WireError> {
    if !peek_is(s, b'"') {
        s.skip_value()?;
        return Ok(b"");
    }
    let at = s.position();
    s.skip_value()?;
    let raw = frame.get(at..s.position()).unwrap_or_default().trim_ascii();
    Ok(raw.get(1..raw.len().saturating_sub(1)).unwrap_or_default())
}

fn parse_data<'a>(
    s: &mut Scanner<'a>,
    frame: &'a [u8],
    f: &mut Fields<'a>,
    buf: &mut Buffers,
) -> Result<(), WireError> {
    s.begin_array()?;
    let mut first = true;
    while s.next_element(&mut first)? {
        if !peek_is(s, b'{') {
            s.skip_value()?;
            continue;
        }
        let lead = f.data_len == 0;
        f.data_len = f.data_len.saturating_add(1);
        parse_data_object(s, frame, f, buf, lead)?;
    }
    Ok(())
}

/// One object of v2 `data`: a book message (only the first one's book fields are kept:
/// [`classify`] refuses a book message with more than one), a trade, or a status.
fn parse_data_object<'a>(
    s: &mut Scanner<'a>,
    frame: &'a [u8],
    f: &mut Fields<'a>,
    buf: &mut Buffers,
    lead: bool,
) -> Result<(), WireError> {
    s.begin_object()?;
    let mut first = true;
    let mut trade = RawTrade::default();
    let mut is_trade = false;
    while let Some(key) = s.next_key(&mut first)? {
        match key {
            b"bids" if lead && peek_is(s, b'[') => {
                levels_v2(s, frame, &mut buf.bids, &mut f.decimals, "bids")?;
            }
            b"asks" if lead && peek_is(s, b'[') => {
                levels_v2(s, frame, &mut buf.asks, &mut f.decimals, "asks")?;
            }
            b"symbol" if peek_is(s, b'"') => {
                let at = s.position();
                let v = s.str()?;
                if lead {
                    f.symbol = Some(v);
                }
                trade.symbol = span(frame, at, v);
            }
            b"checksum" if lead => f.checksum = Some(s.u64()?),
            b"timestamp" if peek_is(s, b'"') => {
                let at = s.position();
                let ts = rfc3339_nanos(s.str()?).ok_or(WireError::Decimal {
                    field: "timestamp",
                    at,
                })?;
                if lead {
                    f.ts = Some(ts);
                }
                trade.ts = Some(ts);
            }
            b"price" => {
                is_trade = true;
                trade.price = Some(number(s, frame, "price")?.0);
            }
            b"qty" => {
                is_trade = true;
                trade.qty = Some(number(s, frame, "qty")?.0);
            }
            b"side" if peek_is(s, b'"') => {
                is_trade = true;
                trade.buy = match s.str()? {
                    b"buy" => Some(true),
                    b"sell" => Some(false),
                    _ => None,
                };
            }
            b"trade_id" => {
                is_trade = true;
                trade.trade_id = Some(s.u64()?);
            }
            _ => s.skip_value()?,
        }
    }
    if is_trade {
        buf.trades.push(trade);
    }
    Ok(())
}

/// The offset and length of `v`, a string read from `frame` at or after `at`.
fn span(frame: &[u8], at: usize, v: &[u8]) -> Option<(u32, u32)> {
    let start = frame.get(at..)?.iter().position(|&b| b == b'"')? + at + 1;
    Some((u32::try_from(start).ok()?, u32::try_from(v.len()).ok()?))
}

/// `[{"price":p,"qty":q}, ...]` (keys in any order) into `out`.
fn levels_v2(
    s: &mut Scanner<'_>,
    frame: &[u8],
    out: &mut Vec<RawLevel>,
    decimals: &mut Decimals,
    field: &'static str,
) -> Result<(), WireError> {
    s.begin_array()?;
    let mut first = true;
    while s.next_element(&mut first)? {
        let at = s.position();
        s.begin_object()?;
        let mut inner = true;
        let (mut price, mut qty) = (None, None);
        while let Some(key) = s.next_key(&mut inner)? {
            match key {
                b"price" => price = Some(number(s, frame, field)?),
                b"qty" => qty = Some(number(s, frame, field)?),
                _ => s.skip_value()?,
            }
        }
        let ((p, pd), (q, qd)) = price.zip(qty).ok_or(WireError::Decimal { field, at })?;
        decimals.price = decimals.price.max(pd);
        decimals.qty = decimals.qty.max(qd);
        out.push((p, q));
    }
    Ok(())
}

/// A JSON number or a decimal string, exactly, with the decimals it was written with: only
/// an optional `-`, digits and one `.` (no exponent), at most 28 decimals.
fn number(
    s: &mut Scanner<'_>,
    frame: &[u8],
    field: &'static str,
) -> Result<(RawDecimal, u8), WireError> {
    let at = s.position();
    let text = if peek_is(s, b'"') {
        s.str()?
    } else {
        if !matches!(s.peek_byte(), Some(b'-' | b'0'..=b'9')) {
            return Err(WireError::Decimal { field, at });
        }
        s.skip_value()?;
        frame.get(at..s.position()).unwrap_or_default().trim_ascii()
    };
    lexeme(text).ok_or(WireError::Decimal { field, at })
}

/// A decimal's value and its number of decimals, from its text.
pub fn lexeme(text: &[u8]) -> Option<(RawDecimal, u8)> {
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    if digits.first() == Some(&b'.') || digits.last() == Some(&b'.') {
        return None;
    }
    let decimals = match digits.iter().position(|&b| b == b'.') {
        Some(i) => digits.len() - i - 1,
        None => 0,
    };
    let value = RawDecimal::parse(text).ok()?;
    Some((value, u8::try_from(decimals).ok().filter(|&d| d <= 28)?))
}

/// What a parsed frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A book snapshot or update (v2 `book`, v1 `book-N`).
    Book,
    /// Trades.
    Trades,
    /// A successful subscription acknowledgement of a book (depth and symbol in the fields).
    BookAck,
    /// Another acknowledgement, a pong, a heartbeat, a status.
    Control,
    /// A known channel ladder does not use (ticker, ohlc, instrument, ...).
    Ignored,
}

/// Why a frame could not be classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassifyError<'a> {
    /// A channel ladder does not know.
    UnknownChannel(&'a [u8]),
    /// A book `type` other than `snapshot` and `update`.
    UnknownType(&'a [u8]),
    /// An error reply: its text.
    VenueError(&'a [u8]),
    /// A v2 book message whose `data` does not hold exactly one object.
    DataObjects(u32),
    /// Nothing in the frame looks like a Kraken message.
    Unrecognized,
}

/// Names the message held in `f`.
pub fn classify<'a>(f: &Fields<'a>) -> Result<Kind, ClassifyError<'a>> {
    match f.version {
        Version::V2 => classify_v2(f),
        Version::V1 => classify_v1(f),
    }
}

fn classify_v2<'a>(f: &Fields<'a>) -> Result<Kind, ClassifyError<'a>> {
    if f.foreign_data {
        return Err(ClassifyError::Unrecognized);
    }
    if let Some(method) = f.method {
        if f.success == Some(false) || f.error.is_some() {
            return Err(ClassifyError::VenueError(f.error.unwrap_or(method)));
        }
        return Ok(
            if method == b"subscribe" && f.ack_channel == Some(b"book") {
                Kind::BookAck
            } else {
                Kind::Control
            },
        );
    }
    if let Some(e) = f.error {
        return Err(ClassifyError::VenueError(e));
    }
    let Some(channel) = f.channel else {
        return Err(ClassifyError::Unrecognized);
    };
    match channel {
        b"book" => {
            if !f.has_data {
                return Err(ClassifyError::Unrecognized);
            }
            match f.kind {
                Some(b"snapshot" | b"update") => {}
                Some(other) => return Err(ClassifyError::UnknownType(other)),
                None => return Err(ClassifyError::Unrecognized),
            }
            if f.data_len != 1 {
                return Err(ClassifyError::DataObjects(f.data_len));
            }
            Ok(Kind::Book)
        }
        b"trade" if f.has_data => Ok(Kind::Trades),
        b"heartbeat" | b"status" => Ok(Kind::Control),
        b"ticker" | b"ohlc" | b"instrument" | b"level3" | b"executions" | b"balances" => {
            Ok(Kind::Ignored)
        }
        b"trade" => Err(ClassifyError::Unrecognized),
        other => Err(ClassifyError::UnknownChannel(other)),
    }
}

fn classify_v1<'a>(f: &Fields<'a>) -> Result<Kind, ClassifyError<'a>> {
    if let Some(event) = f.event {
        if f.status == Some(b"error") || event == b"error" {
            return Err(ClassifyError::VenueError(f.error.unwrap_or(event)));
        }
        return Ok(match event {
            b"subscriptionStatus"
                if f.status == Some(b"subscribed") && f.ack_channel == Some(b"book") =>
            {
                Kind::BookAck
            }
            b"heartbeat" | b"systemStatus" | b"subscriptionStatus" | b"pong" => Kind::Control,
            _ => return Err(ClassifyError::Unrecognized),
        });
    }
    let (Some(channel), Some(_)) = (f.channel, f.symbol) else {
        return Err(ClassifyError::Unrecognized);
    };
    if channel.starts_with(b"book-") {
        return if f.v1_parts > 0 && !f.v1_trades {
            Ok(Kind::Book)
        } else {
            Err(ClassifyError::Unrecognized)
        };
    }
    match channel {
        b"trade" if f.v1_trades => Ok(Kind::Trades),
        b"spread" | b"ticker" => Ok(Kind::Ignored),
        _ if channel.starts_with(b"ohlc-") => Ok(Kind::Ignored),
        other => Err(ClassifyError::UnknownChannel(other)),
    }
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
