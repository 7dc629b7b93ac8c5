//! Bybit's book and trade messages, byte for byte as the venue writes them (the recorded shapes
//! under `../shared/vectors/bybit/`):
//!
//! ```text
//! book (linear)  {"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1672304484978,
//!                 "data":{"s":"BTCUSDT","b":[["16493.50","0.006"]],"a":[["16611.00","0.029"]],
//!                 "u":18521288,"seq":7961638724},"cts":1672304484976}
//! book (spot)    {"topic":"orderbook.200.BTCUSDT","ts":1786310816618,"type":"delta",
//!                 "data":{"s":"BTCUSDT","b":[["65140.4","0.875077"]],"a":[],"u":62505425,
//!                 "seq":112488545865},"cts":1786310816585}
//! trade (linear) {"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,
//!                 "data":[{"T":1672304486865,"s":"BTCUSDT","S":"Buy","v":"0.001",
//!                 "p":"16578.50","L":"PlusTick","i":"20f43950-d8dd-5b31-9112-a178eb6023af",
//!                 "BT":false,"RPI":false,"seq":1783284617}]}
//! trade (spot)   {"topic":"publicTrade.ETHUSDT","ts":1786310821917,"type":"snapshot",
//!                 "data":[{"i":"2280000001739247417","T":1786310821917,"p":"1923.28",
//!                 "v":"0.04537","S":"Sell","seq":178477362706,"s":"ETHUSDT","BT":false,
//!                 "RPI":false}]}
//! ```

use super::super::{BookMsg, Fmt, SymbolWire, Tick, TradePrint};
use std::fmt::Write as _;

/// `"topic":"..","type":"..","ts":..` in the product's order.
fn head(o: &mut String, spot: bool, topic: &str, kind: &str, ts: u64) {
    let _ = if spot {
        write!(o, "{{\"topic\":\"{topic}\",\"ts\":{ts},\"type\":\"{kind}\"")
    } else {
        write!(o, "{{\"topic\":\"{topic}\",\"type\":\"{kind}\",\"ts\":{ts}")
    };
}

/// `[["price","qty"],...]`.
fn levels(o: &mut String, fmt: &Fmt, levels: &[(i64, i64)]) {
    o.push('[');
    for (i, &(p, q)) in levels.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        o.push('[');
        fmt.price(o, p);
        o.push(',');
        fmt.qty(o, q);
        o.push(']');
    }
    o.push(']');
}

/// One `orderbook` message.
pub(super) fn book(o: &mut String, spot: bool, s: &SymbolWire, m: &BookMsg<'_>) {
    // Level 1 sends only snapshots.
    let kind = if m.snapshot || m.topic.full {
        "snapshot"
    } else {
        "delta"
    };
    let topic = s.name(crate::sim::stream::StreamKind::Book(m.topic));
    head(o, spot, topic, kind, m.event_ms);
    let _ = write!(o, ",\"data\":{{\"s\":\"{}\",\"b\":", s.symbol);
    levels(o, &s.fmt, m.levels.bids);
    o.push_str(",\"a\":");
    levels(o, &s.fmt, m.levels.asks);
    let _ = write!(
        o,
        ",\"u\":{},\"seq\":{}}},\"cts\":{}}}",
        m.seq, m.model_id, m.engine_ms
    );
}

/// A UUID-shaped trade id derived from the trade id (linear and inverse).
fn uuid(id: u64) -> String {
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let (a, b) = (mix(id), mix(id ^ 0x9e37_79b9_7f4a_7c15));
    format!(
        "{:08x}-{:04x}-5{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0xffff,
        b & 0xffff_ffff_ffff
    )
}

/// A 19-digit decimal trade id (spot).
fn spot_id(id: u64) -> u64 {
    2_290_000_000_000_000_000 + id
}

fn taker(t: &TradePrint) -> &'static str {
    if t.buyer_is_maker { "Sell" } else { "Buy" }
}

fn tick(t: Tick) -> &'static str {
    match t {
        Tick::Plus => "PlusTick",
        Tick::ZeroPlus => "ZeroPlusTick",
        Tick::Minus => "MinusTick",
        Tick::ZeroMinus => "ZeroMinusTick",
    }
}

/// One `publicTrade` message holding one fill.
pub(super) fn trade(o: &mut String, spot: bool, s: &SymbolWire, t: &TradePrint) {
    let topic = s.name(crate::sim::stream::StreamKind::Trade);
    head(o, spot, topic, "snapshot", t.event_ms);
    let f = &s.fmt;
    if spot {
        let _ = write!(
            o,
            ",\"data\":[{{\"i\":\"{}\",\"T\":{},\"p\":",
            spot_id(t.id),
            t.trade_ms
        );
        f.price(o, t.price);
        o.push_str(",\"v\":");
        f.qty(o, t.qty);
        let _ = write!(
            o,
            ",\"S\":\"{}\",\"seq\":{},\"s\":\"{}\",\"BT\":false,\"RPI\":false}}]}}",
            taker(t),
            t.seq,
            s.symbol
        );
    } else {
        let _ = write!(
            o,
            ",\"data\":[{{\"T\":{},\"s\":\"{}\",\"S\":\"{}\",\"v\":",
            t.trade_ms,
            s.symbol,
            taker(t)
        );
        f.qty(o, t.qty);
        o.push_str(",\"p\":");
        f.price(o, t.price);
        let _ = write!(
            o,
            ",\"L\":\"{}\",\"i\":\"{}\",\"BT\":false,\"RPI\":false,\"seq\":{}}}]}}",
            tick(t.tick),
            uuid(t.id),
            t.seq
        );
    }
}
