//! Binance's exact message bytes, written from integer ticks and lots (docs:
//! <https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams>,
//! <https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams>,
//! `docs/venues.md` §1.2, §1.6, §2.2, §2.4). Key order as the venues send it:
//!
//! ```text
//! spot diff       {"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":157,"u":160,
//!                  "b":[["61837.63000000","0.00105000"]],"a":[["61837.64000000","0.00000000"]]}
//! spot trade      {"e":"trade","E":..,"s":"BTCUSDT","t":12345,"p":"61837.63000000",
//!                  "q":"0.02000000","T":..,"m":true,"M":true}
//! spot aggTrade   {"e":"aggTrade","E":..,"s":..,"a":26129,"p":..,"q":..,"f":100,"l":105,
//!                  "T":..,"m":true,"M":true}
//! spot bookTicker {"u":400900217,"s":"BTCUSDT","b":"25.35190000","B":"31.21000000",
//!                  "a":"25.36520000","A":"40.66000000"}          (no "e", no "E")
//! spot REST depth {"lastUpdateId":1027024,"bids":[["4.00000000","431.00000000"]],"asks":[..]}
//! USD-M diff      {"e":"depthUpdate","E":1723161256299,"T":1723161256298,"s":"BTCUSDT",
//!                  "U":5123107832006,"u":5123107837557,"pu":5123107831937,
//!                  "b":[["58710.20","0.014"]],"a":[]}
//! USD-M trade     {"e":"trade","E":1723161256322,"T":1723161256322,"s":"BTCUSDT",
//!                  "t":5266583935,"p":"61800.30","q":"0.006","X":"MARKET","m":false}
//! USD-M aggTrade  {"e":"aggTrade","E":..,"s":"BTCUSDT","a":5933014,"p":..,"q":..,"f":100,
//!                  "l":105,"T":..,"m":true}
//! USD-M bookTicker {"e":"bookTicker","u":5123107839020,"s":"BTCUSDT","b":"61800.20",
//!                  "B":"2.507","a":"61800.30","A":"2.510","T":1723161256313,"E":1723161256313}
//! USD-M REST depth {"lastUpdateId":5123107852948,"E":1723161256501,"T":1723161256493,
//!                  "bids":[["61800.20","2.909"]],"asks":[..]}
//! ```

use super::super::{AggIds, Fmt, Sides, Top, TradePrint};
use std::fmt::Write as _;

/// `<bids>,"<ask_key>":<asks>}` after the bid key: both sides' level arrays, closing the object.
fn sides(out: &mut String, fmt: &Fmt, ask_key: &str, book: Sides<'_>) {
    levels(out, fmt, book.bids);
    let _ = write!(out, ",\"{ask_key}\":");
    levels(out, fmt, book.asks);
    out.push('}');
}

/// `<price>,"q":<qty>` after `"p":`.
fn price_qty(out: &mut String, fmt: &Fmt, t: &TradePrint) {
    fmt.price(out, t.price);
    out.push_str(",\"q\":");
    fmt.qty(out, t.qty);
}

fn levels(out: &mut String, fmt: &Fmt, levels: &[(i64, i64)]) {
    out.push('[');
    for (i, &(p, q)) in levels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        fmt.price(out, p);
        out.push(',');
        fmt.qty(out, q);
        out.push(']');
    }
    out.push(']');
}

/// The ids and time of one spot diff-depth message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DepthIds {
    /// `E`, event time in ms.
    pub(super) event_ms: u64,
    /// `U`.
    pub(super) first: u64,
    /// `u`.
    pub(super) last: u64,
}

/// Appends a spot `depthUpdate` payload. `bids` best (highest) first, `asks` best first.
pub(super) fn depth_update(
    out: &mut String,
    symbol: &str,
    fmt: &Fmt,
    ids: DepthIds,
    book: Sides<'_>,
) {
    let _ = write!(
        out,
        "{{\"e\":\"depthUpdate\",\"E\":{},\"s\":\"{symbol}\",\"U\":{},\"u\":{},\"b\":",
        ids.event_ms, ids.first, ids.last
    );
    sides(out, fmt, "a", book);
}

/// The ids and times of one futures `depthUpdate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FuturesIds {
    /// `E`, event time in ms.
    pub(super) event_ms: u64,
    /// `T`, transaction time in ms.
    pub(super) tx_ms: u64,
    /// `U`.
    pub(super) first: u64,
    /// `u`.
    pub(super) last: u64,
    /// `pu`: `u` of the previous message of the stream.
    pub(super) prev_last: u64,
}

/// Appends a USD-M `depthUpdate` payload (diff or partial depth).
pub(super) fn futures_depth_update(
    out: &mut String,
    symbol: &str,
    fmt: &Fmt,
    ids: FuturesIds,
    book: Sides<'_>,
) {
    let _ = write!(
        out,
        "{{\"e\":\"depthUpdate\",\"E\":{},\"T\":{},\"s\":\"{symbol}\",\"U\":{},\"u\":{},\
         \"pu\":{},\"b\":",
        ids.event_ms, ids.tx_ms, ids.first, ids.last, ids.prev_last
    );
    sides(out, fmt, "a", book);
}

/// Appends a spot `trade` payload.
pub(super) fn trade(out: &mut String, symbol: &str, fmt: &Fmt, t: &TradePrint) {
    let _ = write!(
        out,
        "{{\"e\":\"trade\",\"E\":{},\"s\":\"{symbol}\",\"t\":{},\"p\":",
        t.event_ms, t.id
    );
    price_qty(out, fmt, t);
    let _ = write!(
        out,
        ",\"T\":{},\"m\":{},\"M\":true}}",
        t.trade_ms, t.buyer_is_maker
    );
}

/// Appends a USD-M `trade` payload (every simulated trade is a `MARKET` trade).
pub(super) fn futures_trade(out: &mut String, symbol: &str, fmt: &Fmt, t: &TradePrint) {
    let _ = write!(
        out,
        "{{\"e\":\"trade\",\"E\":{},\"T\":{},\"s\":\"{symbol}\",\"t\":{},\"p\":",
        t.event_ms, t.trade_ms, t.id
    );
    price_qty(out, fmt, t);
    let _ = write!(out, ",\"X\":\"MARKET\",\"m\":{}}}", t.buyer_is_maker);
}

/// Appends a spot `aggTrade` payload covering trade ids `ids`.
pub(super) fn agg_trade(out: &mut String, symbol: &str, fmt: &Fmt, t: &TradePrint, ids: AggIds) {
    let _ = write!(
        out,
        "{{\"e\":\"aggTrade\",\"E\":{},\"s\":\"{symbol}\",\"a\":{},\"p\":",
        t.event_ms, t.id
    );
    price_qty(out, fmt, t);
    let _ = write!(
        out,
        ",\"f\":{},\"l\":{},\"T\":{},\"m\":{},\"M\":true}}",
        ids.first, ids.last, t.trade_ms, t.buyer_is_maker
    );
}

/// Appends a USD-M `aggTrade` payload (no `M`).
pub(super) fn futures_agg_trade(
    out: &mut String,
    symbol: &str,
    fmt: &Fmt,
    t: &TradePrint,
    ids: AggIds,
) {
    let _ = write!(
        out,
        "{{\"e\":\"aggTrade\",\"E\":{},\"s\":\"{symbol}\",\"a\":{},\"p\":",
        t.event_ms, t.id
    );
    price_qty(out, fmt, t);
    let _ = write!(
        out,
        ",\"f\":{},\"l\":{},\"T\":{},\"m\":{}}}",
        ids.first, ids.last, t.trade_ms, t.buyer_is_maker
    );
}

/// Appends a spot `bookTicker` payload (no `e`, no `E`); `top.update_id` is the wire id.
pub(super) fn book_ticker(out: &mut String, symbol: &str, fmt: &Fmt, top: &Top) {
    let _ = write!(out, "{{\"u\":{},\"s\":\"{symbol}\",\"b\":", top.update_id);
    quotes(out, fmt, top);
    out.push('}');
}

/// Appends a USD-M `bookTicker` payload; `top.update_id` is the wire id.
pub(super) fn futures_book_ticker(out: &mut String, symbol: &str, fmt: &Fmt, top: &Top) {
    let _ = write!(
        out,
        "{{\"e\":\"bookTicker\",\"u\":{},\"s\":\"{symbol}\",\"b\":",
        top.update_id
    );
    quotes(out, fmt, top);
    let _ = write!(out, ",\"T\":{},\"E\":{}}}", top.time_ms, top.time_ms);
}

/// `<bid>,"B":<qty>,"a":<ask>,"A":<qty>` after `"b":`.
fn quotes(out: &mut String, fmt: &Fmt, top: &Top) {
    fmt.price(out, top.bid.0);
    out.push_str(",\"B\":");
    fmt.qty(out, top.bid.1);
    out.push_str(",\"a\":");
    fmt.price(out, top.ask.0);
    out.push_str(",\"A\":");
    fmt.qty(out, top.ask.1);
}

/// Appends a spot REST depth body (also the spot partial-depth `@depth<N>` payload).
pub(super) fn depth_snapshot(out: &mut String, fmt: &Fmt, last_update_id: u64, book: Sides<'_>) {
    let _ = write!(out, "{{\"lastUpdateId\":{last_update_id},\"bids\":");
    sides(out, fmt, "asks", book);
}

/// The times of a USD-M REST depth body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SnapshotTimes {
    /// `E`: message time (ms).
    pub(super) event_ms: u64,
    /// `T`: transaction time (ms).
    pub(super) tx_ms: u64,
}

/// Appends a USD-M REST depth body.
pub(super) fn futures_depth_snapshot(
    out: &mut String,
    fmt: &Fmt,
    last_update_id: u64,
    times: SnapshotTimes,
    book: Sides<'_>,
) {
    let _ = write!(
        out,
        "{{\"lastUpdateId\":{last_update_id},\"E\":{},\"T\":{},\"bids\":",
        times.event_ms, times.tx_ms
    );
    sides(out, fmt, "asks", book);
}
