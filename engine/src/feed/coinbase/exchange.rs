//! Coinbase Exchange legacy feed (`coinbase-exchange`) wire messages, for replaying the years
//! of recordings in that format (`docs/venues.md` §6.2; docs:
//! <https://docs.cdp.coinbase.com/exchange/websocket-feed/channels>). Parsed into the same
//! [`Buffers`] as Advanced Trade (one event per message), so one decoder converts both.
//!
//! ```text
//! snapshot   {"type":"snapshot","product_id":"BTC-USD","bids":[["10101.10","0.45054140"]],
//!             "asks":[["10102.55","0.57753524"]]}
//! l2update   {"type":"l2update","product_id":"BTC-USD","changes":[["buy","10101.80","0.162567"]],
//!             "time":"2019-08-14T20:42:27.265Z"}        (absolute sizes; "0" removes)
//! match      {"type":"match","trade_id":10,"maker_order_id":"..","taker_order_id":"..",
//!             "side":"buy","size":"5","price":"14.7646","product_id":"BTC-USD",
//!             "sequence":50,"time":".."}                ("side" is the maker's)
//! last_match the same shape: the last trade before the subscription (history)
//! subscriptions, heartbeat   control;  ticker and the `full` channel's messages: not used
//! error      {"type":"error","message":"Failed to subscribe","reason":"..."}
//! ```
//!
//! The feed has no sequence number and no checksum on `level2`: the book relies on the
//! venue's delivery guarantee, and is checked for crossing after every message.

use super::wire::{
    Buffers, RawEvent, RawLevel, RawTrade, Span, WireError, decimal, integer, raw_str, span,
};
use crate::feed::json::Scanner;

/// The envelope of a legacy message.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fields<'a> {
    /// `type`.
    pub kind: Option<&'a [u8]>,
    /// `type`, as a span of the frame.
    pub kind_span: Option<Span>,
    /// `product_id`.
    pub product: Option<Span>,
    /// `time` (RFC 3339).
    pub time: Option<&'a [u8]>,
    /// `message` of an error.
    pub message: Option<&'a [u8]>,
    /// `reason` of an error.
    pub reason: Option<&'a [u8]>,
    /// A `bids`, `asks` or `changes` array was present.
    pub has_levels: bool,
}

/// What a legacy message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `snapshot` or `l2update`.
    Book,
    /// `match`.
    Trade,
    /// `last_match`: a trade from before the subscription.
    History,
    /// `subscriptions`, `heartbeat`.
    Control,
    /// A message type ladder does not use.
    Ignored,
}

/// Why a legacy frame could not be classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassifyError<'a> {
    /// A `type` ladder does not know.
    UnknownType(&'a [u8]),
    /// An error reply: `message` and `reason`.
    VenueError(&'a [u8], &'a [u8]),
    /// No `type`.
    Unrecognized,
}

/// Parses one legacy frame into `f` and `buf` (one event).
///
/// # Hot path
/// No allocation once the buffers have grown; one pass over the bytes.
pub fn parse<'a>(frame: &'a [u8], f: &mut Fields<'a>, buf: &mut Buffers) -> Result<(), WireError> {
    *f = Fields::default();
    buf.events.clear();
    buf.bids.clear();
    buf.asks.clear();
    buf.trades.clear();
    let mut trade = RawTrade::default();
    let mut s = Scanner::new(frame);
    s.begin_object()?;
    let mut first = true;
    while let Some(key) = s.next_key(&mut first)? {
        let at = s.position();
        match key {
            b"type" => {
                let v = s.str()?;
                f.kind = Some(v);
                f.kind_span = Some(span(frame, at, v));
            }
            b"product_id" => {
                let v = span(frame, at, s.str()?);
                f.product = Some(v);
                trade.product = Some(v);
            }
            b"time" => {
                let v = s.str()?;
                f.time = Some(v);
                trade.time = Some(span(frame, at, v));
            }
            b"message" => f.message = Some(raw_str(&mut s, frame)?),
            b"reason" => f.reason = Some(raw_str(&mut s, frame)?),
            b"bids" if s.peek_byte() == Some(b'[') => {
                f.has_levels = true;
                pairs(&mut s, &mut buf.bids, "bids")?;
            }
            b"asks" if s.peek_byte() == Some(b'[') => {
                f.has_levels = true;
                pairs(&mut s, &mut buf.asks, "asks")?;
            }
            b"changes" if s.peek_byte() == Some(b'[') => {
                f.has_levels = true;
                changes(&mut s, buf)?;
            }
            b"trade_id" => trade.trade_id = Some(integer(&mut s, "trade_id")?),
            b"price" if s.peek_byte() == Some(b'"') => {
                trade.price = Some(decimal(&mut s, "price")?)
            }
            b"size" if s.peek_byte() == Some(b'"') => trade.qty = Some(decimal(&mut s, "size")?),
            b"side" if s.peek_byte() == Some(b'"') => trade.side = Some(span(frame, at, s.str()?)),
            _ => s.skip_value()?,
        }
    }
    s.end()?;
    let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    if matches!(f.kind, Some(b"match" | b"last_match")) {
        buf.trades.push(trade);
    }
    buf.events.push(RawEvent {
        kind: f.kind_span,
        product: f.product,
        has_updates: f.has_levels,
        bids: (0, n(buf.bids.len())),
        asks: (0, n(buf.asks.len())),
        trades: (0, n(buf.trades.len())),
    });
    Ok(())
}

/// `[["price","size"], ...]` (a third element, the order count, is skipped).
fn pairs(
    s: &mut Scanner<'_>,
    out: &mut Vec<RawLevel>,
    field: &'static str,
) -> Result<(), WireError> {
    s.begin_array()?;
    let mut first = true;
    while s.next_element(&mut first)? {
        let at = s.position();
        s.begin_array()?;
        let mut inner = true;
        let missing = WireError::Level { field, at };
        if !s.next_element(&mut inner)? {
            return Err(missing);
        }
        let price = decimal(s, field)?;
        if !s.next_element(&mut inner)? {
            return Err(missing);
        }
        let qty = decimal(s, field)?;
        while s.next_element(&mut inner)? {
            s.skip_value()?;
        }
        out.push((price, qty));
    }
    Ok(())
}

/// `[["buy","price","size"], ...]`: `buy` levels are bids, `sell` levels asks.
fn changes(s: &mut Scanner<'_>, buf: &mut Buffers) -> Result<(), WireError> {
    s.begin_array()?;
    let mut first = true;
    while s.next_element(&mut first)? {
        let at = s.position();
        s.begin_array()?;
        let mut inner = true;
        let missing = WireError::Level {
            field: "changes",
            at,
        };
        if !s.next_element(&mut inner)? {
            return Err(missing);
        }
        let bid = match s.str()? {
            b"buy" => true,
            b"sell" => false,
            _ => return Err(WireError::Side { at }),
        };
        if !s.next_element(&mut inner)? {
            return Err(missing);
        }
        let price = decimal(s, "changes")?;
        if !s.next_element(&mut inner)? {
            return Err(missing);
        }
        let qty = decimal(s, "changes")?;
        while s.next_element(&mut inner)? {
            s.skip_value()?;
        }
        if bid {
            buf.bids.push((price, qty));
        } else {
            buf.asks.push((price, qty));
        }
    }
    Ok(())
}

/// Names the legacy message held in `f`.
pub fn classify<'a>(f: &Fields<'a>) -> Result<Kind, ClassifyError<'a>> {
    let Some(kind) = f.kind else {
        return Err(ClassifyError::Unrecognized);
    };
    Ok(match kind {
        b"snapshot" | b"l2update" if f.product.is_some() && f.has_levels => Kind::Book,
        b"snapshot" | b"l2update" => return Err(ClassifyError::Unrecognized),
        b"match" => Kind::Trade,
        b"last_match" => Kind::History,
        b"subscriptions" | b"heartbeat" => Kind::Control,
        b"ticker" | b"received" | b"open" | b"done" | b"change" | b"activate" | b"status" => {
            Kind::Ignored
        }
        b"error" => {
            return Err(ClassifyError::VenueError(
                f.message.unwrap_or_default(),
                f.reason.unwrap_or_default(),
            ));
        }
        other => return Err(ClassifyError::UnknownType(other)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::coinbase::wire::slice;

    fn parsed(frame: &str) -> (Fields<'_>, Buffers) {
        let mut f = Fields::default();
        let mut b = Buffers::default();
        parse(frame.as_bytes(), &mut f, &mut b).expect("parses");
        (f, b)
    }

    #[test]
    fn parse_l2update_changes_split_buy_and_sell() {
        let frame = r#"{"changes":[["sell","14.8024","0.00"],["buy","14.7","3"]],"time":"2021-04-17T16:43:37.161Z","product_id":"BAND-GBP","type":"l2update"}"#;
        let (f, b) = parsed(frame);
        assert_eq!(classify(&f), Ok(Kind::Book));
        assert_eq!((b.bids.len(), b.asks.len()), (1, 1));
        let ev = b.events[0];
        assert_eq!(slice(frame.as_bytes(), ev.kind.unwrap()), b"l2update");
        assert_eq!(slice(frame.as_bytes(), ev.product.unwrap()), b"BAND-GBP");
        assert!(b.asks[0].1.mantissa == 0);
    }

    #[test]
    fn parse_match_is_one_trade_and_errors_carry_message_and_reason() {
        let frame = r#"{"type":"match","trade_id":1517,"side":"sell","size":"0.1","price":"14.79","product_id":"BAND-GBP","sequence":5,"time":"2021-04-17T16:43:37.1Z"}"#;
        let (f, b) = parsed(frame);
        assert_eq!(classify(&f), Ok(Kind::Trade));
        assert_eq!(b.trades.len(), 1);
        assert_eq!(b.trades[0].trade_id, Some(1517));
        let (f, _) = parsed(
            r#"{"type":"error","message":"Failed to subscribe","reason":"X is not a valid product"}"#,
        );
        assert_eq!(
            classify(&f),
            Err(ClassifyError::VenueError(
                b"Failed to subscribe",
                b"X is not a valid product"
            ))
        );
        let (f, _) = parsed(r#"{"type":"l3update"}"#);
        assert_eq!(classify(&f), Err(ClassifyError::UnknownType(b"l3update")));
    }

    #[test]
    fn parse_change_with_another_side_is_an_error() {
        let mut f = Fields::default();
        let mut b = Buffers::default();
        let frame = br#"{"type":"l2update","product_id":"X","changes":[["bid","1","1"]]}"#;
        assert!(matches!(
            parse(frame, &mut f, &mut b),
            Err(WireError::Side { .. })
        ));
    }
}
