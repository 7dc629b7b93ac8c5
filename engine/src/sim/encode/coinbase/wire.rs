//! Coinbase Advanced Trade's messages, in the venue's shapes (the recording of 2026-08-09 under
//! `../shared/vectors/coinbase/`; `docs/venues.md` §6.1, §12):
//!
//! ```text
//! level2   {"channel":"l2_data","client_id":"","timestamp":"2026-08-09T21:05:48.483587501Z",
//!           "sequence_num":13,"events":[{"type":"snapshot","product_id":"BTC-USD","updates":[
//!           {"side":"bid","event_time":"2026-08-09T21:05:48.170326Z","price_level":"65083.66",
//!            "new_quantity":"0.20371215"},{"side":"offer",...}]}]}
//! trades   {"channel":"market_trades","client_id":"","timestamp":"..","sequence_num":9,
//!           "events":[{"type":"update","trades":[{"product_id":"BTC-USD","trade_id":"1068572091",
//!           "price":"65083.67","size":"0.01034361","time":"2026-08-09T21:05:48.167634Z",
//!           "side":"SELL"}]}]}
//! heartbeat {"channel":"heartbeats","client_id":"","timestamp":"..","sequence_num":40,
//!           "events":[{"current_time":"2026-08-09 21:05:49.1 +0000 UTC","heartbeat_counter":41}]}
//! ```
//!
//! Every message is written with `"sequence_num":0`: the number is the connection's, set as
//! each connection sends it ([`stamp`]). `side` of a trade is the maker's (a `SELL` is a buy
//! that lifted an ask, as the recording shows).

use super::super::{BookMsg, SymbolWire, TradePrint};
use std::fmt::Write as _;

/// The placeholder every message carries until [`stamp`] sets the connection's number.
pub(crate) const PLACEHOLDER: &str = "\"sequence_num\":0,";

/// `text` with its placeholder `sequence_num` set to `seq`, or `None` when it has none (an
/// error reply: not counted).
pub(crate) fn stamp(text: &str, seq: u64) -> Option<String> {
    let at = text.find(PLACEHOLDER)?;
    let mut out = String::with_capacity(text.len() + 20);
    out.push_str(&text[..at]);
    let _ = write!(out, "\"sequence_num\":{seq},");
    out.push_str(&text[at + PLACEHOLDER.len()..]);
    Some(out)
}

/// Days since 1970-01-01 to (year, month, day) (proleptic Gregorian; H. Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `2026-08-09T21:05:48.483000000Z` (`sep` `T`, `Z`) or `2026-08-09 21:05:48.483 +0000 UTC`.
pub(crate) fn time(o: &mut String, ms: u64, heartbeat: bool) {
    let secs = (ms / 1000) as i64;
    let (y, mo, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    let (h, mi, se) = (s / 3600, s / 60 % 60, s % 60);
    if heartbeat {
        let _ = write!(
            o,
            "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{se:02}.{:03} +0000 UTC",
            ms % 1000
        );
    } else {
        let _ = write!(
            o,
            "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{se:02}.{:03}000000Z",
            ms % 1000
        );
    }
}

/// `{"channel":"<channel>","client_id":"","timestamp":"..","sequence_num":0,"events":[`.
fn head(o: &mut String, channel: &str, ms: u64) {
    let _ = write!(
        o,
        "{{\"channel\":\"{channel}\",\"client_id\":\"\",\"timestamp\":\""
    );
    time(o, ms, false);
    o.push_str("\",");
    o.push_str(PLACEHOLDER);
    o.push_str("\"events\":[");
}

/// One side's levels as `updates` entries.
fn updates(
    o: &mut String,
    s: &SymbolWire,
    side: &str,
    levels: &[(i64, i64)],
    ms: u64,
    first: &mut bool,
) {
    for &(p, q) in levels {
        if !std::mem::take(first) {
            o.push(',');
        }
        let _ = write!(o, "{{\"side\":\"{side}\",\"event_time\":\"");
        time(o, ms, false);
        o.push_str("\",\"price_level\":");
        s.fmt.price(o, p);
        o.push_str(",\"new_quantity\":");
        s.fmt.qty(o, q);
        o.push('}');
    }
}

/// One `l2_data` message: a snapshot of the window, or the levels that changed (size 0:
/// removed).
pub(super) fn book(o: &mut String, s: &SymbolWire, m: &BookMsg<'_>) {
    head(o, "l2_data", m.event_ms);
    let kind = if m.snapshot { "snapshot" } else { "update" };
    let _ = write!(
        o,
        "{{\"type\":\"{kind}\",\"product_id\":\"{}\",\"updates\":[",
        s.symbol
    );
    let mut first = true;
    updates(o, s, "bid", m.levels.bids, m.engine_ms, &mut first);
    updates(o, s, "offer", m.levels.asks, m.engine_ms, &mut first);
    o.push_str("]}]}");
}

/// One `market_trades` message holding one fill; `side` is the maker's.
pub(super) fn trade(o: &mut String, s: &SymbolWire, t: &TradePrint) {
    head(o, "market_trades", t.event_ms);
    let _ = write!(
        o,
        "{{\"type\":\"update\",\"trades\":[{{\"product_id\":\"{}\",\"trade_id\":\"{}\",\"price\":",
        s.symbol, t.id
    );
    s.fmt.price(o, t.price);
    o.push_str(",\"size\":");
    s.fmt.qty(o, t.qty);
    o.push_str(",\"time\":\"");
    time(o, t.trade_ms, false);
    let maker = if t.buyer_is_maker { "BUY" } else { "SELL" };
    let _ = write!(o, "\",\"side\":\"{maker}\"}}]}}]}}");
}

/// One `heartbeats` message.
pub(super) fn heartbeat(counter: u64, ms: u64) -> String {
    let mut o = String::with_capacity(200);
    head(&mut o, "heartbeats", ms);
    o.push_str("{\"current_time\":\"");
    time(&mut o, ms, true);
    let _ = write!(o, "\",\"heartbeat_counter\":{counter}}}]}}");
    o
}

/// A `subscriptions` message listing what the connection carries: `{"level2":["BTC-USD"],..}`.
pub(super) fn subscriptions(channels: &[(&str, Vec<&str>)], ms: u64) -> String {
    let mut o = String::with_capacity(200);
    head(&mut o, "subscriptions", ms);
    o.push_str("{\"subscriptions\":{");
    for (k, (channel, products)) in channels.iter().enumerate() {
        if k > 0 {
            o.push(',');
        }
        let list = serde_json::Value::from(products.clone()).to_string();
        let _ = write!(o, "\"{channel}\":{list}");
    }
    o.push_str("}}]}");
    o
}

/// The venue's error reply (no `sequence_num`).
pub(super) fn error(message: &str, reason: &str) -> String {
    serde_json::json!({ "type": "error", "message": message, "reason": reason }).to_string()
}
