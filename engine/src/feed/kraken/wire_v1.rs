//! Kraken WebSocket v1 data messages (`docs/venues.md` §5.4): arrays whose every number is a
//! string. Book: `[channelID, {"as":[..],"bs":[..]}, "book-1000", "XBT/CHF"]` (snapshot) or
//! `[channelID, {"a":[..]}, ({"b":[..],"c":"<crc>"},) "book-1000", pair]` (update, the
//! checksum in the last part); a level is `[price, volume, time(, "r")]`, `"r"` marking a
//! republished level. Trade: `[channelID, [[price, volume, time, side, type, misc], ..],
//! "trade", pair]`. Parsed into the same [`Fields`] and [`Buffers`] as v2.

use super::time::epoch_nanos;
use super::wire::{Buffers, Fields, RawLevel, RawTrade, WireError, lexeme};
use crate::feed::json::Scanner;

/// A v1 data array: `[channelID, part, (part,) channelName, pair]`.
pub(super) fn parse_v1_array<'a>(
    s: &mut Scanner<'a>,
    f: &mut Fields<'a>,
    buf: &mut Buffers,
) -> Result<(), WireError> {
    s.begin_array()?;
    let mut first = true;
    let mut strings: [Option<&'a [u8]>; 2] = [None, None];
    while s.next_element(&mut first)? {
        match s.peek_byte() {
            Some(b'{') => {
                f.v1_parts += 1;
                parse_v1_book(s, f, buf)?;
            }
            Some(b'[') => {
                f.v1_trades = true;
                parse_v1_trades(s, buf)?;
            }
            Some(b'"') => strings = [strings[1], Some(s.str()?)],
            _ => s.skip_value()?,
        }
    }
    f.channel = strings[0];
    f.symbol = strings[1];
    Ok(())
}

/// One v1 book part: `{"as":[..],"bs":[..]}`, `{"a":[..]}`, `{"b":[..],"c":"123"}`.
fn parse_v1_book<'a>(
    s: &mut Scanner<'a>,
    f: &mut Fields<'a>,
    buf: &mut Buffers,
) -> Result<(), WireError> {
    s.begin_object()?;
    let mut first = true;
    while let Some(key) = s.next_key(&mut first)? {
        match key {
            b"as" | b"bs" | b"a" | b"b" => {
                let snapshot = key.len() == 2;
                f.v1_snapshot |= snapshot;
                let (out, field) = match key[0] {
                    b'a' => (&mut buf.asks, if snapshot { "as" } else { "a" }),
                    _ => (&mut buf.bids, if snapshot { "bs" } else { "b" }),
                };
                levels_v1(s, out, f, field)?;
            }
            b"c" => {
                let at = s.position();
                let text = s.str()?;
                let v = (!text.is_empty() && text.iter().all(u8::is_ascii_digit))
                    .then(|| std::str::from_utf8(text).ok()?.parse::<u64>().ok())
                    .flatten()
                    .ok_or(WireError::Decimal { field: "c", at })?;
                f.checksum = Some(v);
            }
            _ => s.skip_value()?,
        }
    }
    Ok(())
}

/// `[[price, volume, time(, "r")], ...]`.
fn levels_v1(
    s: &mut Scanner<'_>,
    out: &mut Vec<RawLevel>,
    f: &mut Fields<'_>,
    field: &'static str,
) -> Result<(), WireError> {
    s.begin_array()?;
    let mut first = true;
    while s.next_element(&mut first)? {
        let at = s.position();
        s.begin_array()?;
        let mut inner = true;
        let mut values = [None; 2];
        let mut k = 0usize;
        while s.next_element(&mut inner)? {
            match k {
                0 | 1 => {
                    let v = s.str()?;
                    values[k] = Some(lexeme(v).ok_or(WireError::Decimal { field, at })?);
                }
                2 => {
                    let v = s.str()?;
                    let ts = epoch_nanos(v).ok_or(WireError::Decimal { field, at })?;
                    f.ts = Some(f.ts.map_or(ts, |t| t.max(ts)));
                }
                // The republish flag "r" (and anything later): applied like any level.
                _ => s.skip_value()?,
            }
            k += 1;
        }
        let [Some((p, pd)), Some((q, qd))] = values else {
            return Err(WireError::Decimal { field, at });
        };
        f.decimals.price = f.decimals.price.max(pd);
        f.decimals.qty = f.decimals.qty.max(qd);
        out.push((p, q));
    }
    Ok(())
}

/// `[[price, volume, time, side, orderType, misc], ...]`.
fn parse_v1_trades(s: &mut Scanner<'_>, buf: &mut Buffers) -> Result<(), WireError> {
    s.begin_array()?;
    let mut first = true;
    while s.next_element(&mut first)? {
        let at = s.position();
        s.begin_array()?;
        let mut inner = true;
        let mut t = RawTrade::default();
        let mut k = 0usize;
        while s.next_element(&mut inner)? {
            let bad = WireError::Decimal { field: "trade", at };
            match k {
                0 => t.price = Some(lexeme(s.str()?).ok_or(bad)?.0),
                1 => t.qty = Some(lexeme(s.str()?).ok_or(bad)?.0),
                2 => t.ts = Some(epoch_nanos(s.str()?).ok_or(bad)?),
                3 => {
                    t.buy = match s.str()? {
                        b"b" => Some(true),
                        b"s" => Some(false),
                        _ => None,
                    }
                }
                _ => s.skip_value()?,
            }
            k += 1;
        }
        buf.trades.push(t);
    }
    Ok(())
}

/// The depth of a v1 channel name (`book-1000` → 1000).
pub fn v1_depth(channel: &[u8]) -> Option<u64> {
    let digits = channel.strip_prefix(b"book-")?;
    if digits.is_empty() || digits.len() > 6 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}
