//! OKX's book and trade messages, byte for byte as the venue writes them (the recorded shapes
//! under `../shared/vectors/okx/`):
//!
//! ```text
//! books   {"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{
//!          "asks":[["8476.98","415","0","13"]],"bids":[["8476.97","256","0","12"]],
//!          "ts":"1597026383085","checksum":-855196043,"prevSeqId":-1,"seqId":123456}]}
//! books5  {"arg":{"channel":"books5","instId":"BTC-USDT-SWAP"},"data":[{"asks":[...],
//!          "bids":[...],"instId":"BTC-USDT-SWAP","ts":"1786541241006","seqId":333794734980}]}
//! bbo-tbt {"arg":{"channel":"bbo-tbt","instId":"BTC-USDT"},"data":[{"asks":[...],
//!          "bids":[...],"ts":"1786541241006","seqId":333794734980}]}
//! trades  {"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT",
//!          "tradeId":"1040968613","px":"64040.2","sz":"0.00240857","side":"buy",
//!          "ts":"1786538760218","count":"2","source":"0","seqId":79706765242}]}
//! ```

use super::super::{AggIds, BookFault, BookMsg, Fmt, Sides, SymbolWire, TradePrint};
use std::fmt::Write as _;

/// Levels on the checksum (per side).
const CHECKSUM_LEVELS: usize = 25;

/// `[["px","sz","0","n"],...]`.
pub(super) fn levels(o: &mut String, fmt: &Fmt, levels: &[(i64, i64)]) {
    o.push('[');
    for (i, &(p, q)) in levels.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        o.push('[');
        fmt.price(o, p);
        o.push(',');
        fmt.qty(o, q);
        o.push_str(if q == 0 {
            ",\"0\",\"0\"]"
        } else {
            ",\"0\",\"1\"]"
        });
    }
    o.push(']');
}

/// The signed CRC32 of the book's top 25 levels per side, interleaved
/// `bid1px:bid1sz:ask1px:ask1sz:...` over the wire text (`docs/venues.md` §4.4).
pub(crate) fn checksum(fmt: &Fmt, book: Sides<'_>) -> i32 {
    let mut text = String::with_capacity(50 * 24);
    let mut level = |(p, q): (i64, i64)| {
        if !text.is_empty() {
            text.push(':');
        }
        text.push_str(&fmt.price_text(p));
        text.push(':');
        text.push_str(&fmt.qty_text(q));
    };
    for i in 0..CHECKSUM_LEVELS {
        if let Some(&b) = book.bids.get(i) {
            level(b);
        }
        if let Some(&a) = book.asks.get(i) {
            level(a);
        }
    }
    i32::from_ne_bytes(crc32fast::hash(text.as_bytes()).to_ne_bytes())
}

/// One book message of `channel`.
pub(super) fn book(o: &mut String, channel: &str, s: &SymbolWire, m: &BookMsg<'_>) {
    let inst = &s.symbol;
    let _ = write!(
        o,
        "{{\"arg\":{{\"channel\":\"{channel}\",\"instId\":\"{inst}\"}}"
    );
    if !m.topic.full {
        o.push_str(if m.snapshot {
            ",\"action\":\"snapshot\""
        } else {
            ",\"action\":\"update\""
        });
    }
    o.push_str(",\"data\":[{\"asks\":");
    levels(o, &s.fmt, m.levels.asks);
    o.push_str(",\"bids\":");
    levels(o, &s.fmt, m.levels.bids);
    if m.topic.full {
        if m.topic.depth > 1 {
            let _ = write!(o, ",\"instId\":\"{inst}\"");
        }
        let _ = write!(o, ",\"ts\":\"{}\",\"seqId\":{}}}]}}", m.event_ms, m.seq);
        return;
    }
    let mut sum = checksum(&s.fmt, m.image);
    if m.fault == Some(BookFault::BadChecksum) {
        sum = if sum ^ 1 == 0 { 2 } else { sum ^ 1 };
    }
    let prev = match (m.prev, m.fault) {
        (None, _) => -1,
        (Some(p), Some(BookFault::SeqBreak)) => i128::from(p) - 1,
        (Some(p), _) => i128::from(p),
    };
    let _ = write!(
        o,
        ",\"ts\":\"{}\",\"checksum\":{sum},\"prevSeqId\":{prev},\"seqId\":{}}}]}}",
        m.event_ms, m.seq
    );
}

/// One `trades` message: the fills of one taker order at one price.
pub(super) fn trades(o: &mut String, s: &SymbolWire, t: &TradePrint, ids: AggIds) {
    let inst = &s.symbol;
    let _ = write!(
        o,
        "{{\"arg\":{{\"channel\":\"trades\",\"instId\":\"{inst}\"}},\"data\":[{{\"instId\":\"{inst}\",\"tradeId\":\"{}\",\"px\":",
        ids.last
    );
    s.fmt.price(o, t.price);
    o.push_str(",\"sz\":");
    s.fmt.qty(o, t.qty);
    let side = if t.buyer_is_maker { "sell" } else { "buy" };
    let _ = write!(
        o,
        ",\"side\":\"{side}\",\"ts\":\"{}\",\"count\":\"{}\",\"source\":\"0\",\"seqId\":{}}}]}}",
        t.trade_ms,
        ids.last.saturating_sub(ids.first) + 1,
        t.seq
    );
}
