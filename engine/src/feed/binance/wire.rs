//! Binance wire messages, parsed straight from bytes into borrowed fields and raw decimals.
//!
//! One pass over the frame fills a [`Fields`] union (keys in any order, unknown keys skipped);
//! [`classify`] then names the message by its combined-stream name, its `e` event type, or its
//! shape. Shapes (docs: <https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams>,
//! <https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams>):
//!
//! ```text
//! combined envelope  {"stream":"btcusdt@depth@100ms","data":{...}}
//! diff depth (spot)  {"e":"depthUpdate","E":1672515782136,"s":"BNBBTC","U":157,"u":160,
//!                     "b":[["0.0024","10"]],"a":[["0.0026","100"]]}
//! diff depth (fut.)  {"e":"depthUpdate","E":123456789,"T":123456788,"s":"BNBUSDT","U":157,"u":160,
//!                     "pu":149,"b":[["0.0024","10"]],"a":[["0.0026","100"]]}
//! REST snapshot      {"lastUpdateId":1027024,"E":..,"T":..,"bids":[["4.00000000","431.00000000"]],
//!                     "asks":[["4.00000200","12.00000000"]]}
//! trade              {"e":"trade","E":..,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":..,
//!                     "m":true,"M":true}          (futures adds "X":"MARKET")
//! aggTrade           {"e":"aggTrade","E":..,"s":..,"a":26129,"p":..,"q":..,"f":100,"l":105,
//!                     "T":..,"m":true,"M":true}
//! bookTicker (spot)  {"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000",
//!                     "a":"25.36520000","A":"40.66000000"}   (futures adds "e","E","T")
//! control reply      {"result":null,"id":1}
//! venue error        {"code":2,"msg":"Invalid request: ..."}
//! ```
//! `b`/`a` are level arrays in depth messages, decimal strings in bookTicker and (`a`) an id in
//! aggTrade: the parser looks at the value's first byte.

use crate::feed::json::{JsonError, Scanner};
use ladder_sdk::RawDecimal;

/// A price and quantity as read from the wire.
pub type RawLevel = (RawDecimal, RawDecimal);

/// Every field of every Binance market-data message ladder reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fields<'a> {
    /// `stream` of a combined-stream envelope.
    pub stream: Option<&'a [u8]>,
    /// `e` event type.
    pub event: Option<&'a [u8]>,
    /// `E` event time (ms).
    pub event_time: Option<u64>,
    /// `T` transaction / trade time (ms).
    pub tx_time: Option<u64>,
    /// `s` symbol.
    pub symbol: Option<&'a [u8]>,
    /// `U` first update id.
    pub first_id: Option<u64>,
    /// `u` last update id.
    pub last_id: Option<u64>,
    /// `pu` previous message's last update id (futures).
    pub prev_last_id: Option<u64>,
    /// `lastUpdateId` of a REST snapshot or partial depth.
    pub last_update_id: Option<u64>,
    /// `t` trade id.
    pub trade_id: Option<u64>,
    /// `a` aggregate trade id.
    pub agg_id: Option<u64>,
    /// `p` price.
    pub price: Option<&'a [u8]>,
    /// `q` quantity.
    pub qty: Option<&'a [u8]>,
    /// `m`: is the buyer the maker?
    pub buyer_is_maker: Option<bool>,
    /// `X` futures trade type (`MARKET`, `LIQUIDATION`, ...).
    pub trade_type: Option<&'a [u8]>,
    /// `b` best bid price (bookTicker).
    pub bid_price: Option<&'a [u8]>,
    /// `B` best bid quantity.
    pub bid_qty: Option<&'a [u8]>,
    /// `a` best ask price (bookTicker).
    pub ask_price: Option<&'a [u8]>,
    /// `A` best ask quantity.
    pub ask_qty: Option<&'a [u8]>,
    /// A `b`/`bids` level array was present.
    pub has_bids: bool,
    /// An `a`/`asks` level array was present.
    pub has_asks: bool,
    /// `result` key of a control reply.
    pub has_result: bool,
    /// `code` of a venue error.
    pub error_code: Option<i64>,
    /// A `data` key whose value was not an object (another venue's envelope).
    pub foreign_data: bool,
}

/// Why a level array did not parse.
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

/// Parses one frame into `fields`; depth and snapshot levels go into `bids` and `asks`
/// (cleared first; capacity is kept, so a warm parser does not allocate).
///
/// # Hot path
/// No allocation once `bids`/`asks` have grown to the largest message; one pass over the bytes.
pub fn parse<'a>(
    frame: &'a [u8],
    fields: &mut Fields<'a>,
    bids: &mut Vec<RawLevel>,
    asks: &mut Vec<RawLevel>,
) -> Result<(), WireError> {
    *fields = Fields::default();
    bids.clear();
    asks.clear();
    let mut s = Scanner::new(frame);
    parse_object(&mut s, fields, bids, asks, true)?;
    s.end()?;
    Ok(())
}

fn parse_object<'a>(
    s: &mut Scanner<'a>,
    f: &mut Fields<'a>,
    bids: &mut Vec<RawLevel>,
    asks: &mut Vec<RawLevel>,
    top: bool,
) -> Result<(), WireError> {
    s.begin_object()?;
    let mut first = true;
    while let Some(key) = s.next_key(&mut first)? {
        match key {
            b"stream" if top => f.stream = Some(s.str()?),
            b"data" if top => {
                if peek_is(s, b'{') {
                    parse_object(s, f, bids, asks, false)?;
                } else {
                    f.foreign_data = true;
                    s.skip_value()?;
                }
            }
            b"e" => f.event = Some(s.str()?),
            b"E" => f.event_time = Some(s.u64()?),
            b"T" => f.tx_time = Some(s.u64()?),
            b"s" => f.symbol = Some(s.str()?),
            b"U" => f.first_id = Some(s.u64()?),
            b"u" => f.last_id = Some(s.u64()?),
            b"pu" => f.prev_last_id = Some(s.u64()?),
            b"lastUpdateId" => f.last_update_id = Some(s.u64()?),
            b"t" => f.trade_id = Some(s.u64()?),
            b"p" => f.price = Some(s.str()?),
            b"q" => f.qty = Some(s.str()?),
            b"m" => f.buyer_is_maker = Some(s.bool()?),
            b"X" => f.trade_type = Some(s.str()?),
            b"B" => f.bid_qty = Some(s.str()?),
            b"A" => f.ask_qty = Some(s.str()?),
            b"b" | b"bids" if peek_is(s, b'[') => {
                f.has_bids = true;
                levels(s, bids, "bids")?;
            }
            b"a" | b"asks" if peek_is(s, b'[') => {
                f.has_asks = true;
                levels(s, asks, "asks")?;
            }
            b"b" => f.bid_price = Some(s.str()?),
            b"a" if peek_is(s, b'"') => f.ask_price = Some(s.str()?),
            b"a" => f.agg_id = Some(s.u64()?),
            b"result" => {
                f.has_result = true;
                s.skip_value()?;
            }
            b"code" => f.error_code = Some(s.i64()?),
            // `{"error":{"code":2,"msg":"..."},"id":1}`: a control request was refused.
            b"error" if peek_is(s, b'{') => {
                s.begin_object()?;
                let mut inner_first = true;
                while let Some(k) = s.next_key(&mut inner_first)? {
                    match k {
                        b"code" => f.error_code = Some(s.i64()?),
                        _ => s.skip_value()?,
                    }
                }
            }
            _ => s.skip_value()?,
        }
    }
    Ok(())
}

fn peek_is(s: &Scanner<'_>, want: u8) -> bool {
    s.peek_byte() == Some(want)
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
        let mut inner_first = true;
        let price = decimal_element(s, &mut inner_first, field)?;
        let qty = decimal_element(s, &mut inner_first, field)?;
        // Binance sends exactly two elements; tolerate extra ones (other venues' shapes).
        while s.next_element(&mut inner_first)? {
            s.skip_value()?;
        }
        out.push((price, qty));
    }
    Ok(())
}

fn decimal_error(e: JsonError, field: &'static str, at: usize) -> WireError {
    match e {
        JsonError::BadNumber { at } => WireError::Decimal { field, at },
        JsonError::Unexpected { .. } => WireError::Decimal { field, at },
        other => WireError::Json(other),
    }
}

fn decimal_element(
    s: &mut Scanner<'_>,
    first: &mut bool,
    field: &'static str,
) -> Result<RawDecimal, WireError> {
    let at = s.position();
    if !s.next_element(first)? {
        return Err(WireError::Decimal { field, at });
    }
    let at = s.position();
    s.decimal_str().map_err(|e| decimal_error(e, field, at))
}

/// What a parsed frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Diff depth (`depthUpdate`).
    Depth,
    /// REST depth snapshot body (or ladder's `<symbol>@depthSnapshot` envelope of one).
    Snapshot,
    /// `@trade`.
    Trade,
    /// `@aggTrade`.
    AggTrade,
    /// `@bookTicker`.
    BookTicker,
    /// A reply to a control message (`{"result":null,"id":1}`).
    Control,
    /// `serverShutdown`: the venue will close the connection; reconnect now.
    ServerShutdown,
    /// A known stream ladder does not use (kline, markPrice, tickers, partial depth, ...).
    Ignored,
}

/// Why a frame could not be classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassifyError<'a> {
    /// A combined-stream name ladder does not know.
    UnknownStream(&'a [u8]),
    /// An `e` event type ladder does not know.
    UnknownEvent(&'a [u8]),
    /// A venue error reply (`{"code":..,"msg":..}`).
    VenueError(i64),
    /// Nothing in the frame looks like a Binance message.
    Unrecognized,
}

/// Names the message held in `f`.
pub fn classify<'a>(f: &Fields<'a>) -> Result<Kind, ClassifyError<'a>> {
    if let Some(stream) = f.stream {
        return classify_stream(stream);
    }
    if let Some(event) = f.event {
        return match event {
            b"depthUpdate" => Ok(Kind::Depth),
            b"trade" => Ok(Kind::Trade),
            b"aggTrade" => Ok(Kind::AggTrade),
            b"bookTicker" => Ok(Kind::BookTicker),
            b"serverShutdown" => Ok(Kind::ServerShutdown),
            b"kline" | b"24hrTicker" | b"24hrMiniTicker" | b"markPriceUpdate" | b"forceOrder"
            | b"continuous_kline" | b"indexPriceUpdate" | b"contractInfo" | b"assetIndexUpdate" => {
                Ok(Kind::Ignored)
            }
            other => Err(ClassifyError::UnknownEvent(other)),
        };
    }
    if f.foreign_data {
        return Err(ClassifyError::Unrecognized);
    }
    if f.last_update_id.is_some() && f.has_bids && f.has_asks {
        return Ok(Kind::Snapshot);
    }
    if f.last_id.is_some() && f.bid_price.is_some() && f.ask_price.is_some() {
        return Ok(Kind::BookTicker);
    }
    if let Some(code) = f.error_code {
        return Err(ClassifyError::VenueError(code));
    }
    if f.has_result {
        return Ok(Kind::Control);
    }
    Err(ClassifyError::Unrecognized)
}

/// Names a combined-stream message by its stream name.
pub(super) fn classify_stream(stream: &[u8]) -> Result<Kind, ClassifyError<'_>> {
    if stream == b"!serverShutdown" {
        return Ok(Kind::ServerShutdown);
    }
    let Some(at) = stream.iter().position(|&b| b == b'@') else {
        return Err(ClassifyError::UnknownStream(stream));
    };
    let name = &stream[at + 1..];
    let kind = match name {
        b"depth" | b"depth@100ms" | b"depth@0ms" | b"depth@250ms" | b"depth@500ms" => Kind::Depth,
        b"depthSnapshot" => Kind::Snapshot,
        b"trade" => Kind::Trade,
        b"aggTrade" => Kind::AggTrade,
        b"bookTicker" => Kind::BookTicker,
        b"markPrice" | b"markPrice@1s" | b"ticker" | b"miniTicker" | b"forceOrder"
        | b"indexPrice" | b"indexPrice@1s" => Kind::Ignored,
        _ if name.starts_with(b"kline_")
            || name.starts_with(b"continuousKline_")
            || name.starts_with(b"depth5")
            || name.starts_with(b"depth10")
            || name.starts_with(b"depth20")
            || name.starts_with(b"ticker_") =>
        {
            Kind::Ignored
        }
        _ => return Err(ClassifyError::UnknownStream(stream)),
    };
    Ok(kind)
}

/// The symbol part of a combined-stream name (`btcusdt` of `btcusdt@depth@100ms`).
pub fn stream_symbol(stream: &[u8]) -> Option<&[u8]> {
    let at = stream.iter().position(|&b| b == b'@')?;
    (at > 0).then(|| &stream[..at])
}
