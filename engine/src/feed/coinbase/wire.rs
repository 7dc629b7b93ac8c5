//! Coinbase Advanced Trade wire messages, parsed straight from bytes into raw decimals.
//!
//! One pass over the frame fills [`Fields`] (the envelope, keys in any order, unknown keys
//! skipped) and the event, level and trade buffers of [`Buffers`]; every event is read the
//! same way whatever its channel (the `events` key may come before `channel`), and
//! [`classify`] then names the message by its `channel` or `type`. Shapes (docs:
//! <https://docs.cdp.coinbase.com/api-reference/advanced-trade-api/websocket/level2>,
//! `.../websocket/market-trades`, `.../websocket/heartbeats`; `docs/venues.md` §6.1 and §12):
//!
//! ```text
//! level2 (messages on channel l2_data; new_quantity is the absolute size, "0" removes)
//!   {"channel":"l2_data","timestamp":"2026-08-09T21:05:48.483587501Z","sequence_num":13,
//!    "events":[{"type":"snapshot","product_id":"BTC-USD","updates":[
//!      {"side":"bid","event_time":"2026-08-09T21:05:48.170326Z","price_level":"65083.66",
//!       "new_quantity":"0.20371215"},
//!      {"side":"offer","event_time":"...","price_level":"65083.67","new_quantity":"0.5"}]}]}
//!   (then "type":"update" events)
//! market_trades ("side" is the maker's: BUY prints at the best bid)
//!   {"channel":"market_trades","timestamp":"...","sequence_num":9,"events":[{"type":"update",
//!    "trades":[{"product_id":"BTC-USD","trade_id":"1068572091","price":"65083.67",
//!    "size":"0.01034361","time":"2026-08-09T21:05:48.167634Z","side":"SELL"}]}]}
//! heartbeats     {"channel":"heartbeats",...,"events":[{"current_time":"...","heartbeat_counter":41691}]}
//! subscriptions  {"channel":"subscriptions",...,"events":[{"subscriptions":{"level2":["BTC-USD"]}}]}
//! error          {"type":"error","message":"failure to subscribe"}
//! ```
//!
//! `sequence_num` is one counter per connection over every channel (§12).

use crate::feed::json::{JsonError, Scanner};
use ladder_sdk::RawDecimal;

/// A price and size as read from the wire.
pub type RawLevel = (RawDecimal, RawDecimal);

/// A string of the frame as `(offset, length)`.
pub type Span = (u32, u32);

/// The bytes of `span` in `frame` (empty if out of range).
pub fn slice(frame: &[u8], span: Span) -> &[u8] {
    let (at, len) = (span.0 as usize, span.1 as usize);
    frame.get(at..at.saturating_add(len)).unwrap_or_default()
}

/// One object of `events`, its levels and trades as ranges of [`Buffers`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RawEvent {
    /// `type`: `snapshot` or `update`.
    pub kind: Option<Span>,
    /// `product_id` (book events).
    pub product: Option<Span>,
    /// A `updates` array was present.
    pub has_updates: bool,
    /// Its bid levels: `Buffers::bids[bids.0..bids.1]`.
    pub bids: (u32, u32),
    /// Its offer levels: `Buffers::asks[asks.0..asks.1]`.
    pub asks: (u32, u32),
    /// Its trades: `Buffers::trades[trades.0..trades.1]`.
    pub trades: (u32, u32),
}

/// One trade of a `market_trades` event, values raw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RawTrade {
    /// `product_id`.
    pub product: Option<Span>,
    /// `trade_id` (a decimal string).
    pub trade_id: Option<u64>,
    /// `price`.
    pub price: Option<RawDecimal>,
    /// `size`.
    pub qty: Option<RawDecimal>,
    /// `side`, as sent (`BUY` / `SELL`, the maker's side).
    pub side: Option<Span>,
    /// `time` (RFC 3339).
    pub time: Option<Span>,
}

/// Reusable buffers one parse fills (cleared first; their capacity is kept, so a warm parser
/// does not allocate).
#[derive(Debug, Default)]
pub struct Buffers {
    /// The events, in wire order.
    pub events: Vec<RawEvent>,
    /// Bid levels of every event.
    pub bids: Vec<RawLevel>,
    /// Offer levels of every event.
    pub asks: Vec<RawLevel>,
    /// Trades of every event.
    pub trades: Vec<RawTrade>,
}

impl Buffers {
    fn clear(&mut self) {
        self.events.clear();
        self.bids.clear();
        self.asks.clear();
        self.trades.clear();
    }
}

/// The envelope of a message.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fields<'a> {
    /// `channel`.
    pub channel: Option<&'a [u8]>,
    /// `timestamp` (RFC 3339, nanoseconds).
    pub timestamp: Option<&'a [u8]>,
    /// `sequence_num`.
    pub sequence_num: Option<u64>,
    /// `type` (error replies).
    pub kind: Option<&'a [u8]>,
    /// `message` of an error reply, raw (escapes left as they are).
    pub message: Option<&'a [u8]>,
    /// An `events` array was present.
    pub has_events: bool,
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
    /// A level whose `side` is neither `bid` nor `offer`.
    Side {
        /// Byte offset of the level.
        at: usize,
    },
    /// A level without one of its fields.
    Level {
        /// The missing field.
        field: &'static str,
        /// Byte offset of the level.
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
            b"channel" => fields.channel = Some(s.str()?),
            b"timestamp" => fields.timestamp = Some(s.str()?),
            b"sequence_num" => fields.sequence_num = Some(s.u64()?),
            b"type" => fields.kind = Some(s.str()?),
            b"message" => fields.message = Some(raw_str(&mut s, frame)?),
            b"events" if s.peek_byte() == Some(b'[') => {
                fields.has_events = true;
                events(&mut s, frame, buf)?;
            }
            _ => s.skip_value()?,
        }
    }
    s.end()?;
    Ok(())
}

/// A string as its raw bytes between the quotes, escapes left as they are.
pub(super) fn raw_str<'a>(s: &mut Scanner<'a>, frame: &'a [u8]) -> Result<&'a [u8], JsonError> {
    if s.peek_byte() != Some(b'"') {
        s.skip_value()?;
        return Ok(b"");
    }
    let at = s.position();
    s.skip_value()?;
    let raw = frame.get(at..s.position()).unwrap_or_default().trim_ascii();
    Ok(raw.get(1..raw.len().saturating_sub(1)).unwrap_or_default())
}

/// The offset and length of `v`, a string just read from `frame` at or after `at`.
pub(super) fn span(frame: &[u8], at: usize, v: &[u8]) -> Span {
    let start = frame
        .get(at..)
        .and_then(|b| b.iter().position(|&c| c == b'"'))
        .map_or(at, |i| at + i + 1);
    (
        u32::try_from(start).unwrap_or(u32::MAX),
        u32::try_from(v.len()).unwrap_or(0),
    )
}

fn len32(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn events(s: &mut Scanner<'_>, frame: &[u8], buf: &mut Buffers) -> Result<(), WireError> {
    s.begin_array()?;
    let mut first = true;
    while s.next_element(&mut first)? {
        if s.peek_byte() != Some(b'{') {
            s.skip_value()?;
            continue;
        }
        let mut ev = RawEvent {
            bids: (len32(buf.bids.len()), 0),
            asks: (len32(buf.asks.len()), 0),
            trades: (len32(buf.trades.len()), 0),
            ..RawEvent::default()
        };
        s.begin_object()?;
        let mut inner = true;
        while let Some(key) = s.next_key(&mut inner)? {
            match key {
                b"type" => {
                    let at = s.position();
                    ev.kind = Some(span(frame, at, s.str()?));
                }
                b"product_id" => {
                    let at = s.position();
                    ev.product = Some(span(frame, at, s.str()?));
                }
                b"updates" if s.peek_byte() == Some(b'[') => {
                    ev.has_updates = true;
                    updates(s, frame, buf)?;
                }
                b"trades" if s.peek_byte() == Some(b'[') => trades(s, frame, buf)?,
                _ => s.skip_value()?,
            }
        }
        ev.bids.1 = len32(buf.bids.len());
        ev.asks.1 = len32(buf.asks.len());
        ev.trades.1 = len32(buf.trades.len());
        buf.events.push(ev);
    }
    Ok(())
}

/// `[{"side":"bid","event_time":"..","price_level":"1.5","new_quantity":"2"}, ...]`.
fn updates(s: &mut Scanner<'_>, frame: &[u8], buf: &mut Buffers) -> Result<(), WireError> {
    s.begin_array()?;
    let mut first = true;
    while s.next_element(&mut first)? {
        if let Some(level) = compact_level(s, frame) {
            match level? {
                (true, l) => buf.bids.push(l),
                (false, l) => buf.asks.push(l),
            }
            continue;
        }
        let at = s.position();
        s.begin_object()?;
        let (mut bid, mut price, mut qty) = (None, None, None);
        let mut inner = true;
        while let Some(key) = s.next_key(&mut inner)? {
            match key {
                b"side" => {
                    bid = Some(match s.str()? {
                        b"bid" => true,
                        b"offer" => false,
                        _ => return Err(WireError::Side { at }),
                    });
                }
                b"price_level" => price = Some(decimal(s, "price_level")?),
                b"new_quantity" => qty = Some(decimal(s, "new_quantity")?),
                _ => s.skip_value()?,
            }
        }
        let missing = |field| WireError::Level { field, at };
        let level = (
            price.ok_or(missing("price_level"))?,
            qty.ok_or(missing("new_quantity"))?,
        );
        if bid.ok_or(missing("side"))? {
            buf.bids.push(level);
        } else {
            buf.asks.push(level);
        }
    }
    Ok(())
}

/// One level written as the venue writes it, keys in its order and no whitespace
/// (`{"side":"bid","event_time":"<no escape>","price_level":"1.5","new_quantity":"2"}`):
/// `(is_bid, level)`; `None` with the cursor unmoved for any other shape, which the general
/// walk then reads (and refuses, if it must).
///
/// # Hot path
/// No allocation; reads each byte once.
#[inline]
fn compact_level(s: &mut Scanner<'_>, frame: &[u8]) -> Option<Result<(bool, RawLevel), WireError>> {
    let start = s.position();
    let mut p = start;
    let take = |p: &mut usize, lit: &[u8]| {
        let ok = frame.get(*p..*p + lit.len()) == Some(lit);
        *p += if ok { lit.len() } else { 0 };
        ok
    };
    if !take(&mut p, br#"{"side":""#) {
        return None;
    }
    let bid = if take(&mut p, br#"bid""#) {
        true
    } else if take(&mut p, br#"offer""#) {
        false
    } else {
        return None;
    };
    if !take(&mut p, br#","event_time":""#) {
        return None;
    }
    let end = crate::feed::json::string_end(frame.get(p..)?)?;
    if frame.get(p + end) != Some(&b'"') {
        return None;
    }
    p += end + 1;
    if !take(&mut p, br#","price_level":"#) {
        return None;
    }
    s.seek(p);
    let price = match decimal(s, "price_level") {
        Ok(v) => v,
        Err(e) => return Some(Err(e)),
    };
    let mut p = s.position();
    if !take(&mut p, br#","new_quantity":"#) {
        s.seek(start);
        return None;
    }
    s.seek(p);
    let qty = match decimal(s, "new_quantity") {
        Ok(v) => v,
        Err(e) => return Some(Err(e)),
    };
    let mut p = s.position();
    if !take(&mut p, b"}") {
        s.seek(start);
        return None;
    }
    s.seek(p);
    Some(Ok((bid, (price, qty))))
}

fn trades(s: &mut Scanner<'_>, frame: &[u8], buf: &mut Buffers) -> Result<(), WireError> {
    s.begin_array()?;
    let mut first = true;
    while s.next_element(&mut first)? {
        s.begin_object()?;
        let mut t = RawTrade::default();
        let mut inner = true;
        while let Some(key) = s.next_key(&mut inner)? {
            let at = s.position();
            match key {
                b"product_id" => t.product = Some(span(frame, at, s.str()?)),
                b"trade_id" => t.trade_id = Some(integer(s, "trade_id")?),
                b"price" => t.price = Some(decimal(s, "price")?),
                b"size" => t.qty = Some(decimal(s, "size")?),
                b"side" => t.side = Some(span(frame, at, s.str()?)),
                b"time" => t.time = Some(span(frame, at, s.str()?)),
                _ => s.skip_value()?,
            }
        }
        buf.trades.push(t);
    }
    Ok(())
}

/// An unsigned integer, bare or quoted (`"trade_id":"1068572091"`, `"trade_id":1`).
pub(super) fn integer(s: &mut Scanner<'_>, field: &'static str) -> Result<u64, WireError> {
    let at = s.position();
    if s.peek_byte() != Some(b'"') {
        return s.u64().map_err(|e| decimal_error(e, field, at));
    }
    let text = s.str()?;
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return Err(WireError::Decimal { field, at });
    }
    text.iter().try_fold(0u64, |v, &d| {
        v.checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .ok_or(WireError::Decimal { field, at })
    })
}

pub(super) fn decimal(s: &mut Scanner<'_>, field: &'static str) -> Result<RawDecimal, WireError> {
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

/// What a parsed frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `l2_data`: book snapshots and updates.
    Book,
    /// `market_trades`.
    Trades,
    /// `subscriptions` or `heartbeats`.
    Control,
    /// A known channel ladder does not use (`ticker`, `candles`, `status`, ...).
    Ignored,
}

/// Why a frame could not be classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassifyError<'a> {
    /// A `channel` ladder does not know.
    UnknownChannel(&'a [u8]),
    /// An error reply: its `message`.
    VenueError(&'a [u8]),
    /// A channel message without its `events` array.
    NoEvents,
    /// Nothing in the frame looks like an Advanced Trade message.
    Unrecognized,
}

/// Names the message held in `f`.
pub fn classify<'a>(f: &Fields<'a>) -> Result<Kind, ClassifyError<'a>> {
    if f.kind == Some(b"error") {
        return Err(ClassifyError::VenueError(f.message.unwrap_or_default()));
    }
    let Some(channel) = f.channel else {
        return Err(ClassifyError::Unrecognized);
    };
    let kind = match channel {
        b"l2_data" => Kind::Book,
        b"market_trades" => Kind::Trades,
        b"subscriptions" | b"heartbeats" => Kind::Control,
        b"ticker"
        | b"ticker_batch"
        | b"candles"
        | b"status"
        | b"user"
        | b"futures_balance_summary" => Kind::Ignored,
        other => return Err(ClassifyError::UnknownChannel(other)),
    };
    if !f.has_events {
        return Err(ClassifyError::NoEvents);
    }
    Ok(kind)
}

/// An RFC 3339 UTC time (`2026-08-09T21:05:48.483587501Z`, fraction optional, at most 9
/// digits) as nanoseconds since the Unix epoch; `None` if it is not one (or before 1970).
///
/// # Hot path
/// No allocation; a fixed number of steps.
pub fn rfc3339_nanos(text: &[u8]) -> Option<u64> {
    let num = |r: std::ops::Range<usize>| -> Option<u64> {
        let b = text.get(r)?;
        b.iter().try_fold(0u64, |v, &d| {
            d.is_ascii_digit().then(|| v * 10 + u64::from(d - b'0'))
        })
    };
    let sep = |i: usize, c: u8| text.get(i) == Some(&c);
    if !(sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut i = 19;
    let mut frac = 0u64;
    if sep(i, b'.') {
        i += 1;
        let start = i;
        while let Some(&c) = text.get(i).filter(|c| c.is_ascii_digit()) {
            if i - start >= 9 {
                return None;
            }
            frac = frac * 10 + u64::from(c - b'0');
            i += 1;
        }
        if i == start {
            return None;
        }
        frac *= 10u64.pow(9 - u32::try_from(i - start).ok()?);
    }
    if text.get(i..) != Some(b"Z") {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + s;
    secs.checked_mul(1_000_000_000)?.checked_add(frac)
}

/// Days from 1970-01-01 to a date on or after it (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).saturating_sub(719_468)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn parsed(frame: &str) -> (Fields<'_>, Buffers) {
        let mut f = Fields::default();
        let mut b = Buffers::default();
        parse(frame.as_bytes(), &mut f, &mut b).expect("parses");
        (f, b)
    }

    #[test]
    fn parse_l2_data_events_before_channel_splits_bid_and_offer_levels() {
        let frame = r#"{"events":[{"updates":[{"new_quantity":"0.5","price_level":"10.01","side":"offer","event_time":"x"},{"side":"bid","price_level":"10","new_quantity":"0"}],"product_id":"BTC-USD","type":"snapshot"}],"sequence_num":7,"timestamp":"2026-08-09T21:05:48.5Z","channel":"l2_data"}"#;
        let (f, b) = parsed(frame);
        assert_eq!(classify(&f), Ok(Kind::Book));
        assert_eq!(f.sequence_num, Some(7));
        assert_eq!(b.events.len(), 1);
        let ev = b.events[0];
        assert_eq!(slice(frame.as_bytes(), ev.product.unwrap()), b"BTC-USD");
        assert_eq!(slice(frame.as_bytes(), ev.kind.unwrap()), b"snapshot");
        assert_eq!((ev.bids, ev.asks), ((0, 1), (0, 1)));
        assert_eq!(b.asks[0].0.mantissa, 1001);
        assert_eq!(b.bids[0].1.mantissa, 0);
    }

    #[rstest]
    #[case::venue_shape(r#"{"side":"offer","event_time":"2026-08-09T21:05:48.170326Z","price_level":"65083.67","new_quantity":"0.5"}"#)]
    #[case::spaced(r#"{ "side": "offer", "event_time": "x", "price_level": "65083.67", "new_quantity": "0.5" }"#)]
    #[case::reordered(r#"{"new_quantity":"0.5","side":"offer","price_level":"65083.67"}"#)]
    #[case::extra_key_after(
        r#"{"side":"offer","event_time":"x","price_level":"65083.67","new_quantity":"0.5","n":1}"#
    )]
    #[case::escaped_time(
        r#"{"side":"offer","event_time":"a\"b","price_level":"65083.67","new_quantity":"0.5"}"#
    )]
    fn parse_level_fast_and_general_paths_agree(#[case] level: &str) {
        let frame = format!(
            r#"{{"channel":"l2_data","events":[{{"type":"update","product_id":"X","updates":[{level},{{"side":"bid","event_time":"t","price_level":"1","new_quantity":"0"}}]}}]}}"#
        );
        let (_, b) = parsed(&frame);
        assert_eq!(b.asks.len(), 1, "{level}");
        assert_eq!((b.asks[0].0.mantissa, b.asks[0].0.scale), (6_508_367, 2));
        assert_eq!((b.asks[0].1.mantissa, b.asks[0].1.scale), (5, 1));
        assert_eq!((b.bids[0].0.mantissa, b.bids[0].1.mantissa), (1, 0));
    }

    #[rstest]
    #[case::ask_is_not_a_side(r#"{"side":"ask","price_level":"1","new_quantity":"1"}"#, WireError::Side { at: 0 })]
    #[case::no_price(r#"{"side":"bid","new_quantity":"1"}"#, WireError::Level { field: "price_level", at: 0 })]
    #[case::no_side(r#"{"price_level":"1","new_quantity":"1"}"#, WireError::Level { field: "side", at: 0 })]
    fn parse_bad_level_is_an_error_naming_it(#[case] level: &str, #[case] want: WireError) {
        let frame = format!(
            r#"{{"channel":"l2_data","events":[{{"type":"update","product_id":"X","updates":[{level}]}}]}}"#
        );
        let mut f = Fields::default();
        let mut b = Buffers::default();
        let got = parse(frame.as_bytes(), &mut f, &mut b).unwrap_err();
        let at = frame.find(level).unwrap();
        let want = match want {
            WireError::Side { .. } => WireError::Side { at },
            WireError::Level { field, .. } => WireError::Level { field, at },
            other => other,
        };
        assert_eq!(got, want);
    }

    #[test]
    fn classify_error_reply_unknown_channel_and_foreign_frames() {
        let cases: [(&str, Result<Kind, ClassifyError<'_>>); 5] = [
            (
                r#"{"type":"error","message":"failure to subscribe"}"#,
                Err(ClassifyError::VenueError(b"failure to subscribe")),
            ),
            (
                r#"{"channel":"level3","events":[]}"#,
                Err(ClassifyError::UnknownChannel(b"level3")),
            ),
            (
                r#"{"channel":"heartbeats","sequence_num":1,"events":[{"heartbeat_counter":3}]}"#,
                Ok(Kind::Control),
            ),
            (r#"{"channel":"l2_data"}"#, Err(ClassifyError::NoEvents)),
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

    #[rstest]
    #[case::nanos("2026-08-09T21:05:48.483587501Z", Some(1_786_309_548_483_587_501))]
    #[case::micros("2026-08-09T21:05:48.170326Z", Some(1_786_309_548_170_326_000))]
    #[case::no_fraction("1970-01-01T00:00:00Z", Some(0))]
    #[case::leap_day("2024-02-29T00:00:00Z", Some(1_709_164_800_000_000_000))]
    #[case::ten_digits("2026-08-09T21:05:48.1234567890Z", None)]
    #[case::no_zone("2026-08-09T21:05:48", None)]
    #[case::offset("2026-08-09T21:05:48+01:00", None)]
    #[case::month_13("2026-13-09T21:05:48Z", None)]
    #[case::empty_fraction("2026-08-09T21:05:48.Z", None)]
    fn rfc3339_nanos_reads_utc_times_exactly(#[case] text: &str, #[case] want: Option<u64>) {
        assert_eq!(rfc3339_nanos(text.as_bytes()), want);
    }
}
