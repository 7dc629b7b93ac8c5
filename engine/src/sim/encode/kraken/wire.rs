//! Kraken v2's book and trade messages, byte for byte as the venue writes them (the recorded
//! shapes under `../shared/vectors/kraken/`):
//!
//! ```text
//! book   {"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD",
//!         "bids":[{"price":63299.4,"qty":0.00209987}],"asks":[{"price":63299.5,"qty":1.50000000}],
//!         "checksum":1153589921,"timestamp":"2026-08-12T19:28:09.140448Z"}]}
//!        (then "type":"update" with the levels that changed; qty 0.00000000 removes)
//! trade  {"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy",
//!         "price":63299.5,"qty":0.00050000,"ord_type":"limit","trade_id":10218208,
//!         "timestamp":"2026-08-12T19:28:09.140448Z"}]}
//! ```

use super::super::{BookFault, BookMsg, Fmt, Sides, SymbolWire, TradePrint, write_rfc3339_ms};
use std::fmt::Write as _;

/// Levels per side on the checksum.
const CHECKSUM_LEVELS: usize = 10;

/// A price as a JSON number with the pair's precision.
fn price(o: &mut String, fmt: &Fmt, ticks: i64) {
    o.push_str(&fmt.price_text(ticks));
}

/// A quantity as a JSON number with the pair's precision.
fn qty(o: &mut String, fmt: &Fmt, lots: i64) {
    o.push_str(&fmt.qty_text(lots));
}

/// `[{"price":p,"qty":q},...]`.
fn levels(o: &mut String, fmt: &Fmt, levels: impl Iterator<Item = (i64, i64)>) {
    o.push('[');
    for (i, (p, q)) in levels.enumerate() {
        if i > 0 {
            o.push(',');
        }
        o.push_str("{\"price\":");
        price(o, fmt, p);
        o.push_str(",\"qty\":");
        qty(o, fmt, q);
        o.push('}');
    }
    o.push(']');
}

/// Appends a value's checksum text: its digits without the point, leading zeros stripped.
fn digits(text: &mut String, value: &str) {
    let start = text.len();
    for c in value.chars().filter(|&c| c != '.') {
        if c == '0' && text.len() == start {
            continue;
        }
        text.push(c);
    }
}

/// The CRC32 of the top 10 asks (low to high) then the top 10 bids (high to low), each level
/// its price then its quantity written with the pair's precision, point removed and leading
/// zeros stripped (`docs/venues.md` §5.3).
pub(crate) fn checksum(fmt: &Fmt, book: Sides<'_>) -> u32 {
    let mut text = String::with_capacity(20 * 24);
    let asks = book.asks.iter().take(CHECKSUM_LEVELS);
    for &(p, q) in asks.chain(book.bids.iter().take(CHECKSUM_LEVELS)) {
        digits(&mut text, &fmt.price_text(p));
        digits(&mut text, &fmt.qty_text(q));
    }
    crc32fast::hash(text.as_bytes())
}

/// The levels of one side a message carries. An update leaves out the removals of levels that
/// only fell out of the subscribed depth (`image` is full and they are below its last level):
/// Kraken sends none, the client truncates.
fn sent<'a>(
    levels: &'a [(i64, i64)],
    image: &'a [(i64, i64)],
    depth: usize,
    worse: impl Fn(i64, i64) -> bool + 'a,
) -> impl Iterator<Item = (i64, i64)> + 'a {
    let floor = (image.len() >= depth)
        .then(|| image.last().map(|l| l.0))
        .flatten();
    levels
        .iter()
        .copied()
        .filter(move |&(p, q)| !(q == 0 && floor.is_some_and(|f| worse(p, f))))
}

/// One `book` message.
pub(super) fn book(o: &mut String, s: &SymbolWire, m: &BookMsg<'_>) {
    let kind = if m.snapshot { "snapshot" } else { "update" };
    let _ = write!(
        o,
        "{{\"channel\":\"book\",\"type\":\"{kind}\",\"data\":[{{\"symbol\":\"{}\",\"bids\":",
        s.symbol
    );
    let depth = usize::from(m.topic.depth);
    levels(
        o,
        &s.fmt,
        sent(m.levels.bids, m.image.bids, depth, |p, f| p < f),
    );
    o.push_str(",\"asks\":");
    levels(
        o,
        &s.fmt,
        sent(m.levels.asks, m.image.asks, depth, |p, f| p > f),
    );
    let mut sum = checksum(&s.fmt, m.image);
    if m.fault == Some(BookFault::BadChecksum) {
        sum = if sum ^ 1 == 0 { 2 } else { sum ^ 1 };
    }
    let _ = write!(o, ",\"checksum\":{sum},\"timestamp\":\"");
    write_rfc3339_ms(o, m.event_ms);
    o.push_str("\"}]}");
}

/// One `trade` message: one fill.
pub(super) fn trade(o: &mut String, s: &SymbolWire, t: &TradePrint) {
    let side = if t.buyer_is_maker { "sell" } else { "buy" };
    let _ = write!(
        o,
        "{{\"channel\":\"trade\",\"type\":\"update\",\"data\":[{{\"symbol\":\"{}\",\"side\":\"{side}\",\"price\":",
        s.symbol
    );
    price(o, &s.fmt, t.price);
    o.push_str(",\"qty\":");
    qty(o, &s.fmt, t.qty);
    let _ = write!(
        o,
        ",\"ord_type\":\"limit\",\"trade_id\":{},\"timestamp\":\"",
        t.id
    );
    write_rfc3339_ms(o, t.trade_ms);
    o.push_str("\"}]}");
}
