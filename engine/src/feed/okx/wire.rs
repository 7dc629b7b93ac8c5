//! OKX v5 wire messages, parsed straight from bytes into raw decimals, with each level's
//! original price and size text kept for the book checksum.
//!
//! One pass over the frame fills [`Fields`] (keys in any order, unknown keys skipped) and the
//! level, text and trade buffers of [`Buffers`]; [`classify`] then names the message by its
//! `event`, its `arg.channel`, or its shape. Shapes (docs:
//! <https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-order-book-channel>,
//! `#order-book-trading-market-data-ws-trades-channel`,
//! `#order-book-trading-market-data-get-order-book`):
//!
//! ```text
//! books, books-l2-tbt, books50-l2-tbt (incremental; level = [px, sz, "0", numOrders])
//!   {"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{
//!    "asks":[["8476.98","415","0","13"]],"bids":[["8476.97","256","0","12"]],
//!    "ts":"1597026383085","checksum":-855196043,"prevSeqId":-1,"seqId":123456}]}
//!   (then "action":"update" with "prevSeqId" = the previous message's "seqId")
//! books5, bbo-tbt (a full image every push; no action, prevSeqId or checksum)
//!   {"arg":{"channel":"books5","instId":"BTC-USDT-SWAP"},"data":[{"asks":[...],"bids":[...],
//!    "instId":"BTC-USDT-SWAP","ts":"1786541241006","seqId":333794734980}]}
//! trades
//!   {"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT",
//!    "tradeId":"130639474","px":"42219.9","sz":"0.12060306","side":"buy","ts":"1630048897897",
//!    "count":"3","source":"0","seqId":1234}]}
//! REST GET /api/v5/market/books
//!   {"code":"0","msg":"","data":[{"asks":[["41006.8","0.60038921","0","1"]],
//!    "bids":[["41006.3","0.30178218","0","2"]],"ts":"1629966436396","seqId":3487}]}
//! subscribe ack  {"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"a4d3ae55"}
//! error          {"event":"error","code":"60012","msg":"Invalid request: ..."}
//! notice         {"event":"notice","code":"64008","msg":"The connection will soon be closed ..."}
//! keep-alive     the text frame `pong` (answer to the text `ping`)
//! ```

use crate::feed::json::{JsonError, Scanner};
use ladder_sdk::RawDecimal;

/// A price and size as read from the wire.
pub type RawLevel = (RawDecimal, RawDecimal);

/// The original text of one side's levels: every level's price and size strings back to
/// back, with their lengths. Kept for the checksum, which is computed over the wire strings
/// (`"0.5000"` is not `"0.5"`).
#[derive(Debug, Clone, Default)]
pub struct TextBuf {
    /// Price then size text of each level, in wire order.
    pub bytes: Vec<u8>,
    /// `(price length, size length)` of each level.
    pub lens: Vec<(u16, u16)>,
}

impl TextBuf {
    fn clear(&mut self) {
        self.bytes.clear();
        self.lens.clear();
    }

    /// Appends one level's texts: the price `frame[px.0..px.1]` and the size
    /// `frame[sz.0..sz.1]`; `None` if either is longer than a `u16` or not in `frame`.
    ///
    /// # Hot path
    /// No allocation once grown. A text of up to 16 bytes with 16 bytes of frame from its start
    /// is copied as one fixed 16-byte window and the buffer cut back to its length (no
    /// `memcpy` call for a few bytes).
    #[inline(always)]
    pub(super) fn push_level(
        &mut self,
        frame: &[u8],
        px: (usize, usize),
        sz: (usize, usize),
    ) -> Option<()> {
        let len = |(a, b): (usize, usize)| u16::try_from(b.checked_sub(a)?).ok();
        self.lens.push((len(px)?, len(sz)?));
        for (a, b) in [px, sz] {
            let old = self.bytes.len();
            match frame.get(a..a + 16) {
                Some(window) if b - a <= 16 => {
                    let window: &[u8; 16] = window.try_into().ok()?;
                    self.bytes.extend_from_slice(window);
                    self.bytes.truncate(old + (b - a));
                }
                _ => self.bytes.extend_from_slice(frame.get(a..b)?),
            }
        }
        Some(())
    }
}

/// One trade of a `trades` message, values raw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RawTrade {
    /// `instId`, as `(offset, length)` in the frame.
    pub inst: Option<(u32, u32)>,
    /// `tradeId` (the last id of an aggregated message).
    pub trade_id: Option<u64>,
    /// `px`.
    pub price: Option<RawDecimal>,
    /// `sz`.
    pub qty: Option<RawDecimal>,
    /// `side`: the taker's side, `true` for `buy`.
    pub buy: Option<bool>,
    /// `ts` (ms).
    pub ts: Option<u64>,
}

/// Reusable buffers one parse fills (cleared first; their capacity is kept, so a warm parser
/// does not allocate).
#[derive(Debug, Default)]
pub struct Buffers {
    /// Bid levels of the (first) data object.
    pub bids: Vec<RawLevel>,
    /// Ask levels of the (first) data object.
    pub asks: Vec<RawLevel>,
    /// The bid levels' wire text.
    pub bid_text: TextBuf,
    /// The ask levels' wire text.
    pub ask_text: TextBuf,
    /// Trades of a `trades` message.
    pub trades: Vec<RawTrade>,
}

impl Buffers {
    /// Empties the level and text buffers and the trades (what the exact-shape book path of
    /// the decoder fills, or leaves empty).
    pub(super) fn clear_levels(&mut self) {
        self.clear();
    }

    fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
        self.bid_text.clear();
        self.ask_text.clear();
        self.trades.clear();
    }
}

/// Every field of every OKX message ladder reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fields<'a> {
    /// `arg.channel`.
    pub channel: Option<&'a [u8]>,
    /// `arg.instId`.
    pub arg_inst: Option<&'a [u8]>,
    /// `action`: `snapshot` or `update`.
    pub action: Option<&'a [u8]>,
    /// `event` of a control message.
    pub event: Option<&'a [u8]>,
    /// `code` (a string on OKX: `"0"`, `"60012"`).
    pub code: Option<&'a [u8]>,
    /// `msg`.
    pub msg: Option<&'a [u8]>,
    /// A `data` array was present.
    pub has_data: bool,
    /// A `data` key whose value was not an array (another venue's envelope).
    pub foreign_data: bool,
    /// Objects in `data`.
    pub data_len: u32,
    /// `instId` of the first data object.
    pub inst: Option<&'a [u8]>,
    /// `ts` of the first data object (ms).
    pub ts: Option<u64>,
    /// `checksum` of the first data object.
    pub checksum: Option<i64>,
    /// `seqId` of the first data object.
    pub seq_id: Option<i64>,
    /// `prevSeqId` of the first data object.
    pub prev_seq_id: Option<i64>,
    /// A `bids` array was present.
    pub has_bids: bool,
    /// An `asks` array was present.
    pub has_asks: bool,
}

/// Why a frame did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// Malformed JSON.
    Json(JsonError),
    /// A string that is not the plain decimal (or integer) the field holds.
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
    s.begin_object()?;
    let mut first = true;
    while let Some(key) = s.next_key(&mut first)? {
        match key {
            b"arg" if peek_is(&s, b'{') => parse_arg(&mut s, fields)?,
            b"action" => fields.action = Some(s.str()?),
            b"event" => fields.event = Some(s.str()?),
            b"code" => fields.code = Some(token(&mut s)?),
            b"msg" => fields.msg = Some(raw_str(&mut s, frame)?),
            b"data" if peek_is(&s, b'[') => {
                fields.has_data = true;
                parse_data(&mut s, frame, fields, buf)?;
            }
            b"data" => {
                fields.foreign_data = true;
                s.skip_value()?;
            }
            _ => s.skip_value()?,
        }
    }
    s.end()?;
    Ok(())
}

fn peek_is(s: &Scanner<'_>, want: u8) -> bool {
    s.peek_byte() == Some(want)
}

/// A string as its raw bytes between the quotes, escapes left as they are (error messages
/// quote the request: `"msg":"Invalid request: {\"op\": ...}"`).
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

/// A string, or the bytes of a bare number (OKX sends `code` as a string; be lenient).
fn token<'a>(s: &mut Scanner<'a>) -> Result<&'a [u8], WireError> {
    if peek_is(s, b'"') {
        return Ok(s.str()?);
    }
    let v = s.i64()?;
    Ok(if v == 0 { b"0" } else { b"?" })
}

fn parse_arg<'a>(s: &mut Scanner<'a>, f: &mut Fields<'a>) -> Result<(), WireError> {
    s.begin_object()?;
    let mut first = true;
    while let Some(key) = s.next_key(&mut first)? {
        match key {
            b"channel" => f.channel = Some(s.str()?),
            b"instId" => f.arg_inst = Some(s.str()?),
            _ => s.skip_value()?,
        }
    }
    Ok(())
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

/// One object of `data`: a book image or update (only the first one's book fields are kept:
/// [`classify`] refuses a book message with more than one), or a trade.
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
            b"asks" if lead && peek_is(s, b'[') => {
                f.has_asks = true;
                levels(s, frame, &mut buf.asks, &mut buf.ask_text, "asks")?;
            }
            b"bids" if lead && peek_is(s, b'[') => {
                f.has_bids = true;
                levels(s, frame, &mut buf.bids, &mut buf.bid_text, "bids")?;
            }
            b"instId" => {
                let at = s.position();
                let v = s.str()?;
                if lead {
                    f.inst = Some(v);
                }
                trade.inst = span(frame, at, v);
            }
            b"ts" => {
                let v = integer(s, "ts")?;
                let v = u64::try_from(v).ok();
                if lead {
                    f.ts = v;
                }
                trade.ts = v;
            }
            b"checksum" if lead => f.checksum = Some(s.i64()?),
            b"seqId" if lead => f.seq_id = Some(integer(s, "seqId")?),
            b"prevSeqId" if lead => f.prev_seq_id = Some(integer(s, "prevSeqId")?),
            b"tradeId" => {
                is_trade = true;
                let v = integer(s, "tradeId")?;
                trade.trade_id = u64::try_from(v).ok();
            }
            b"px" => {
                is_trade = true;
                trade.price = Some(decimal(s, "px")?);
            }
            b"sz" => {
                is_trade = true;
                trade.qty = Some(decimal(s, "sz")?);
            }
            b"side" => {
                is_trade = true;
                trade.buy = match s.str()? {
                    b"buy" => Some(true),
                    b"sell" => Some(false),
                    _ => None,
                };
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

/// An integer, bare or quoted (`"ts":"1597026383085"`, `"seqId":123456`).
fn integer(s: &mut Scanner<'_>, field: &'static str) -> Result<i64, WireError> {
    let at = s.position();
    if !peek_is(s, b'"') {
        return Ok(s.i64()?);
    }
    let text = s.str()?;
    let (neg, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(WireError::Decimal { field, at });
    }
    let mut v: i64 = 0;
    for &d in digits {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(d - b'0')))
            .ok_or(WireError::Decimal { field, at })?;
    }
    Ok(if neg { -v } else { v })
}

fn decimal(s: &mut Scanner<'_>, field: &'static str) -> Result<RawDecimal, WireError> {
    let at = s.position();
    s.decimal_str().map_err(|e| decimal_error(e, field, at))
}

fn decimal_error(e: JsonError, field: &'static str, at: usize) -> WireError {
    match e {
        JsonError::BadNumber { .. } | JsonError::Unexpected { .. } => {
            WireError::Decimal { field, at }
        }
        other => WireError::Json(other),
    }
}

/// Parses `[[px, sz, "0", numOrders], ...]` into `out`, and the price and size text into
/// `text`.
fn levels(
    s: &mut Scanner<'_>,
    frame: &[u8],
    out: &mut Vec<RawLevel>,
    text: &mut TextBuf,
    field: &'static str,
) -> Result<(), WireError> {
    s.begin_array()?;
    let mut first = true;
    while s.next_element(&mut first)? {
        s.begin_array()?;
        let mut inner = true;
        let (price, px) = level_value(s, frame, &mut inner, field)?;
        let (qty, sz) = level_value(s, frame, &mut inner, field)?;
        // The deprecated "0" and the order count: not used.
        while s.next_element(&mut inner)? {
            s.skip_value()?;
        }
        let len =
            |t: &[u8]| u16::try_from(t.len()).map_err(|_| WireError::Decimal { field, at: 0 });
        text.lens.push((len(px)?, len(sz)?));
        text.bytes.extend_from_slice(px);
        text.bytes.extend_from_slice(sz);
        out.push((price, qty));
    }
    Ok(())
}

/// One decimal string element of a level, with its text.
fn level_value<'a>(
    s: &mut Scanner<'_>,
    frame: &'a [u8],
    first: &mut bool,
    field: &'static str,
) -> Result<(RawDecimal, &'a [u8]), WireError> {
    let at = s.position();
    if !s.next_element(first)? {
        return Err(WireError::Decimal { field, at });
    }
    let at = s.position();
    let value = s.decimal_str().map_err(|e| decimal_error(e, field, at))?;
    let end = s.position().saturating_sub(1);
    let start = frame
        .get(at..end)
        .and_then(|b| b.iter().position(|&c| c == b'"'))
        .map_or(end, |i| at + i + 1);
    Ok((value, frame.get(start..end).unwrap_or_default()))
}

/// The book channels ladder sequences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// `books`: 400 levels, snapshot then increments every 100 ms.
    Books,
    /// `books-l2-tbt`: 400 levels, increments every 10 ms (login, VIP tiers).
    BooksL2Tbt,
    /// `books50-l2-tbt`: 50 levels, increments every 10 ms (login, VIP tiers).
    Books50L2Tbt,
    /// `books5`: the top 5 levels, a full image every push.
    Books5,
    /// `bbo-tbt`: the top level, a full image every push.
    BboTbt,
}

impl Channel {
    /// True for the channels whose pushes are increments on a snapshot.
    pub const fn incremental(self) -> bool {
        matches!(self, Self::Books | Self::BooksL2Tbt | Self::Books50L2Tbt)
    }

    /// The channel's name on the wire.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Books => "books",
            Self::BooksL2Tbt => "books-l2-tbt",
            Self::Books50L2Tbt => "books50-l2-tbt",
            Self::Books5 => "books5",
            Self::BboTbt => "bbo-tbt",
        }
    }
}

/// What a parsed frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A book message of a channel.
    Book(Channel),
    /// `trades`.
    Trades,
    /// A REST `GET /api/v5/market/books` body.
    Rest,
    /// A subscribe / unsubscribe acknowledgement, a connection count, `pong`.
    Control,
    /// `event: notice`: the venue will close this connection (service upgrade).
    Notice,
    /// A known channel ladder does not use (tickers, candles, ...).
    Ignored,
}

/// Why a frame could not be classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassifyError<'a> {
    /// An `arg.channel` ladder does not know.
    UnknownChannel(&'a [u8]),
    /// An `event` ladder does not know.
    UnknownEvent(&'a [u8]),
    /// An error reply: `code` and `msg`.
    VenueError(&'a [u8], &'a [u8]),
    /// A book message whose `data` does not hold exactly one object.
    DataObjects(u32),
    /// Nothing in the frame looks like an OKX message.
    Unrecognized,
}

/// Names the message held in `f`.
pub fn classify<'a>(f: &Fields<'a>) -> Result<Kind, ClassifyError<'a>> {
    if let Some(event) = f.event {
        return match event {
            b"subscribe" | b"unsubscribe" | b"login" | b"channel-conn-count" => Ok(Kind::Control),
            b"notice" => Ok(Kind::Notice),
            b"error" | b"channel-conn-count-error" => Err(ClassifyError::VenueError(
                f.code.unwrap_or(b"?"),
                f.msg.unwrap_or_default(),
            )),
            other => Err(ClassifyError::UnknownEvent(other)),
        };
    }
    if f.foreign_data {
        return Err(ClassifyError::Unrecognized);
    }
    if let Some(channel) = f.channel {
        if !f.has_data {
            return Err(ClassifyError::Unrecognized);
        }
        let kind = classify_channel(channel)?;
        if matches!(kind, Kind::Book(_)) && f.data_len != 1 {
            return Err(ClassifyError::DataObjects(f.data_len));
        }
        return Ok(kind);
    }
    if let Some(code) = f.code {
        if code != b"0" {
            return Err(ClassifyError::VenueError(code, f.msg.unwrap_or_default()));
        }
        if f.has_data && f.has_bids && f.has_asks {
            return if f.data_len == 1 {
                Ok(Kind::Rest)
            } else {
                Err(ClassifyError::DataObjects(f.data_len))
            };
        }
    }
    Err(ClassifyError::Unrecognized)
}

fn classify_channel(channel: &[u8]) -> Result<Kind, ClassifyError<'_>> {
    Ok(match channel {
        b"books" => Kind::Book(Channel::Books),
        b"books-l2-tbt" => Kind::Book(Channel::BooksL2Tbt),
        b"books50-l2-tbt" => Kind::Book(Channel::Books50L2Tbt),
        b"books5" => Kind::Book(Channel::Books5),
        b"bbo-tbt" => Kind::Book(Channel::BboTbt),
        b"trades" => Kind::Trades,
        // `trades-all` is one message per fill of what `trades` aggregates: not read, so a
        // session subscribed to both does not count trades twice.
        b"tickers"
        | b"trades-all"
        | b"books-elp"
        | b"mark-price"
        | b"index-tickers"
        | b"funding-rate"
        | b"open-interest"
        | b"price-limit"
        | b"opt-summary"
        | b"estimated-price"
        | b"liquidation-orders"
        | b"instruments"
        | b"status" => Kind::Ignored,
        _ if channel.starts_with(b"candle")
            || channel.starts_with(b"mark-price-candle")
            || channel.starts_with(b"index-candle") =>
        {
            Kind::Ignored
        }
        _ => return Err(ClassifyError::UnknownChannel(channel)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(frame: &str) -> (Fields<'_>, Buffers) {
        let mut f = Fields::default();
        let mut b = Buffers::default();
        parse(frame.as_bytes(), &mut f, &mut b).expect("parses");
        (f, b)
    }

    #[test]
    fn parse_book_update_in_any_key_order_keeps_wire_text() {
        let frame = r#"{"data":[{"seqId":12,"bids":[["8476.970","256","0","12"]],"checksum":-5,"asks":[["8476.98","0","0","0"],[ "8477" , "1.50" ]],"prevSeqId":10,"ts":"1597026383085"}],"action":"update","arg":{"instId":"BTC-USDT","channel":"books"}}"#;
        let (f, b) = parsed(frame);
        assert_eq!(classify(&f), Ok(Kind::Book(Channel::Books)));
        assert_eq!(
            (f.seq_id, f.prev_seq_id, f.checksum),
            (Some(12), Some(10), Some(-5))
        );
        assert_eq!(f.ts, Some(1_597_026_383_085));
        assert_eq!(f.arg_inst, Some(&b"BTC-USDT"[..]));
        assert_eq!((b.bids.len(), b.asks.len()), (1, 2));
        assert_eq!(b.bid_text.bytes, b"8476.970256");
        assert_eq!(b.bid_text.lens, [(8, 3)]);
        assert_eq!(b.ask_text.bytes, b"8476.98084771.50");
        assert_eq!(b.ask_text.lens, [(7, 1), (4, 4)]);
    }

    #[test]
    fn parse_trades_reads_every_object() {
        let frame = r#"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"1","px":"1.5","sz":"2","side":"buy","ts":"7"},{"instId":"BTC-USDT","tradeId":"2","px":"1.6","sz":"3","side":"sell","ts":"8","count":"3","source":"0","seqId":5}]}"#;
        let (f, b) = parsed(frame);
        assert_eq!(classify(&f), Ok(Kind::Trades));
        assert_eq!(b.trades.len(), 2);
        assert_eq!(b.trades[1].buy, Some(false));
        assert_eq!(b.trades[1].trade_id, Some(2));
        let (at, len) = b.trades[0].inst.expect("instId span");
        assert_eq!(
            &frame.as_bytes()[at as usize..][..len as usize],
            b"BTC-USDT"
        );
    }

    #[test]
    fn classify_controls_errors_and_rest_bodies() {
        let cases: [(&str, Result<Kind, ClassifyError<'_>>); 6] = [
            (
                r#"{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"a"}"#,
                Ok(Kind::Control),
            ),
            (
                r#"{"event":"error","code":"60012","msg":"Invalid request"}"#,
                Err(ClassifyError::VenueError(b"60012", b"Invalid request")),
            ),
            (
                r#"{"code":"0","msg":"","data":[{"asks":[],"bids":[],"ts":"1","seqId":3}]}"#,
                Ok(Kind::Rest),
            ),
            (
                r#"{"code":"51001","msg":"Instrument ID does not exist","data":[]}"#,
                Err(ClassifyError::VenueError(
                    b"51001",
                    b"Instrument ID does not exist",
                )),
            ),
            (
                r#"{"arg":{"channel":"books","instId":"X"},"data":[{"asks":[],"bids":[]},{"asks":[],"bids":[]}]}"#,
                Err(ClassifyError::DataObjects(2)),
            ),
            (
                r#"{"stream":"btcusdt@depth","data":{"e":"depthUpdate"}}"#,
                Err(ClassifyError::Unrecognized),
            ),
        ];
        for (frame, want) in cases {
            let (f, _) = parsed(frame);
            assert_eq!(classify(&f), want, "{frame}");
        }
    }

    #[test]
    fn quoted_integer_fields_reject_non_digits() {
        let mut f = Fields::default();
        let mut b = Buffers::default();
        let frame = br#"{"arg":{"channel":"trades","instId":"X"},"data":[{"tradeId":"12a"}]}"#;
        assert!(matches!(
            parse(frame, &mut f, &mut b),
            Err(WireError::Decimal {
                field: "tradeId",
                ..
            })
        ));
    }
}
