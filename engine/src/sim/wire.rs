//! Binance spot's exact wire format, written from integer ticks and lots.
//!
//! Shapes (docs: <https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams>,
//! `docs/venues.md` §1), with every price and quantity a string with 8 decimals like real spot:
//!
//! ```text
//! combined envelope  {"stream":"btcusdt@depth@100ms","data":{...}}
//! diff depth         {"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":157,"u":160,
//!                     "b":[["61837.63000000","0.00105000"]],"a":[["61837.64000000","0.00000000"]]}
//! trade              {"e":"trade","E":..,"s":"BTCUSDT","t":12345,"p":"61837.63000000",
//!                     "q":"0.02000000","T":..,"m":true,"M":true}
//! aggTrade           {"e":"aggTrade","E":..,"s":..,"a":26129,"p":..,"q":..,"f":100,"l":105,
//!                     "T":..,"m":true,"M":true}
//! bookTicker         {"u":400900217,"s":"BTCUSDT","b":"25.35190000","B":"31.21000000",
//!                     "a":"25.36520000","A":"40.66000000"}          (no "e", no "E" on spot)
//! REST depth         {"lastUpdateId":1027024,"bids":[["4.00000000","431.00000000"]],"asks":[..]}
//! ```

use super::{SimError, SimSymbol};
use ladder_sdk::InstrumentSpec;
use std::fmt::Write as _;

/// Writes an instrument's prices and quantities as 8-decimal strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fmt8 {
    /// 1e-8 units per tick.
    price_unit: i128,
    /// 1e-8 units per lot.
    qty_unit: i128,
}

fn units_e8(d: rust_decimal::Decimal, what: &str) -> Result<i128, SimError> {
    let d = d.normalize();
    let scale = d.scale();
    if scale > 8 {
        return Err(SimError::Config(format!(
            "{what} {d} has more than 8 decimals, which Binance spot cannot show"
        )));
    }
    Ok(d.mantissa() * 10i128.pow(8 - scale))
}

impl Fmt8 {
    /// A formatter for `spec`; tick and lot sizes must have at most 8 decimals.
    pub fn new(spec: &InstrumentSpec) -> Result<Self, SimError> {
        Ok(Self {
            price_unit: units_e8(spec.tick_size(), "tick size")?,
            qty_unit: units_e8(spec.lot_size(), "lot size")?,
        })
    }

    /// Appends `"<price>"` (quoted).
    pub fn price(&self, out: &mut String, ticks: i64) {
        write_e8(out, i128::from(ticks) * self.price_unit);
    }

    /// Appends `"<qty>"` (quoted).
    pub fn qty(&self, out: &mut String, lots: i64) {
        write_e8(out, i128::from(lots) * self.qty_unit);
    }
}

/// Appends `units · 1e-8` as a quoted decimal with exactly 8 decimals.
fn write_e8(out: &mut String, units: i128) {
    let neg = units < 0;
    let u = units.unsigned_abs();
    let _ = write!(
        out,
        "\"{}{}.{:08}\"",
        if neg { "-" } else { "" },
        u / 100_000_000,
        u % 100_000_000
    );
}

/// One outgoing WebSocket message, built once and shared by every subscriber: the combined
/// envelope, with the raw payload as a slice of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    text: String,
    raw_start: usize,
}

impl Frame {
    /// Builds `{"stream":"<stream>","data":<payload>}` with `payload` written by `write`.
    pub fn build(stream: &str, write: impl FnOnce(&mut String)) -> Self {
        let mut text = String::with_capacity(256);
        text.push_str("{\"stream\":\"");
        text.push_str(stream);
        text.push_str("\",\"data\":");
        let raw_start = text.len();
        write(&mut text);
        text.push('}');
        Self { text, raw_start }
    }

    /// The combined-stream envelope (`/stream?streams=...`).
    pub fn combined(&self) -> &str {
        &self.text
    }

    /// The raw payload (`/ws/<stream>`).
    pub fn raw(&self) -> &str {
        &self.text[self.raw_start..self.text.len() - 1]
    }
}

fn levels(out: &mut String, fmt: &Fmt8, levels: &[(i64, i64)]) {
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

/// The ids and time of one diff-depth message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepthIds {
    /// `E`, event time in ms.
    pub event_ms: u64,
    /// `U`.
    pub first: u64,
    /// `u`.
    pub last: u64,
}

/// Appends a `depthUpdate` payload. `bids` best (highest) first, `asks` best (lowest) first.
pub fn depth_update(
    out: &mut String,
    symbol: &str,
    fmt: &Fmt8,
    ids: DepthIds,
    bids: &[(i64, i64)],
    asks: &[(i64, i64)],
) {
    let _ = write!(
        out,
        "{{\"e\":\"depthUpdate\",\"E\":{},\"s\":\"{symbol}\",\"U\":{},\"u\":{},\"b\":",
        ids.event_ms, ids.first, ids.last
    );
    levels(out, fmt, bids);
    out.push_str(",\"a\":");
    levels(out, fmt, asks);
    out.push('}');
}

/// One trade print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TradePrint {
    /// `E`, event time in ms.
    pub event_ms: u64,
    /// `T`, trade time in ms.
    pub trade_ms: u64,
    /// `t` (trade) or `a` (aggTrade) id.
    pub id: u64,
    /// Price in ticks.
    pub price: i64,
    /// Quantity in lots.
    pub qty: i64,
    /// `m`: the buyer is the maker (the taker sold).
    pub buyer_is_maker: bool,
}

/// Appends a `trade` payload.
pub fn trade(out: &mut String, symbol: &str, fmt: &Fmt8, t: &TradePrint) {
    let _ = write!(
        out,
        "{{\"e\":\"trade\",\"E\":{},\"s\":\"{symbol}\",\"t\":{},\"p\":",
        t.event_ms, t.id
    );
    fmt.price(out, t.price);
    out.push_str(",\"q\":");
    fmt.qty(out, t.qty);
    let _ = write!(
        out,
        ",\"T\":{},\"m\":{},\"M\":true}}",
        t.trade_ms, t.buyer_is_maker
    );
}

/// Appends an `aggTrade` payload covering trade ids `first..=last`.
pub fn agg_trade(
    out: &mut String,
    symbol: &str,
    fmt: &Fmt8,
    t: &TradePrint,
    first: u64,
    last: u64,
) {
    let _ = write!(
        out,
        "{{\"e\":\"aggTrade\",\"E\":{},\"s\":\"{symbol}\",\"a\":{},\"p\":",
        t.event_ms, t.id
    );
    fmt.price(out, t.price);
    out.push_str(",\"q\":");
    fmt.qty(out, t.qty);
    let _ = write!(
        out,
        ",\"f\":{first},\"l\":{last},\"T\":{},\"m\":{},\"M\":true}}",
        t.trade_ms, t.buyer_is_maker
    );
}

/// Best bid and ask `(price ticks, qty lots)` at update id `u`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Top {
    /// The book update id the ticker reflects.
    pub update_id: u64,
    /// Best bid.
    pub bid: (i64, i64),
    /// Best ask.
    pub ask: (i64, i64),
}

/// Appends a spot `bookTicker` payload (no `e`, no `E`).
pub fn book_ticker(out: &mut String, symbol: &str, fmt: &Fmt8, top: &Top) {
    let _ = write!(out, "{{\"u\":{},\"s\":\"{symbol}\",\"b\":", top.update_id);
    fmt.price(out, top.bid.0);
    out.push_str(",\"B\":");
    fmt.qty(out, top.bid.1);
    out.push_str(",\"a\":");
    fmt.price(out, top.ask.0);
    out.push_str(",\"A\":");
    fmt.qty(out, top.ask.1);
    out.push('}');
}

/// Appends a REST depth body (also the partial-depth `@depth<N>` payload).
pub fn depth_snapshot(
    out: &mut String,
    fmt: &Fmt8,
    last_update_id: u64,
    bids: &[(i64, i64)],
    asks: &[(i64, i64)],
) {
    let _ = write!(out, "{{\"lastUpdateId\":{last_update_id},\"bids\":");
    levels(out, fmt, bids);
    out.push_str(",\"asks\":");
    levels(out, fmt, asks);
    out.push('}');
}

fn e8_string(d: rust_decimal::Decimal) -> String {
    let mut s = String::new();
    match units_e8(d, "value") {
        Ok(u) => write_e8(&mut s, u),
        Err(_) => s.push_str("\"0.00000000\""),
    }
    // Strip the quotes: serde_json adds its own.
    s.trim_matches('"').to_owned()
}

/// The `GET /api/v3/exchangeInfo` body for `symbols`, in the real shape (abridged to the fields
/// a market-data client reads, plus the common static ones).
pub fn exchange_info(
    symbols: &[&SimSymbol],
    server_time_ms: u64,
    weight_limit: u32,
) -> serde_json::Value {
    use serde_json::json;
    let list: Vec<serde_json::Value> = symbols
        .iter()
        .map(|s| {
            let tick = e8_string(s.tick_size);
            let step = e8_string(s.lot_size);
            json!({
                "symbol": s.symbol,
                "status": "TRADING",
                "baseAsset": s.base_asset,
                "baseAssetPrecision": 8,
                "quoteAsset": s.quote_asset,
                "quotePrecision": 8,
                "quoteAssetPrecision": 8,
                "baseCommissionPrecision": 8,
                "quoteCommissionPrecision": 8,
                "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT",
                               "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"],
                "icebergAllowed": true,
                "ocoAllowed": true,
                "otoAllowed": true,
                "quoteOrderQtyMarketAllowed": true,
                "allowTrailingStop": true,
                "cancelReplaceAllowed": true,
                "isSpotTradingAllowed": true,
                "isMarginTradingAllowed": false,
                "filters": [
                    {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000.00000000",
                     "tickSize": tick},
                    {"filterType": "LOT_SIZE", "minQty": step, "maxQty": "9000.00000000",
                     "stepSize": step},
                    {"filterType": "MIN_NOTIONAL", "minNotional": "5.00000000",
                     "applyMinToMarket": true, "avgPriceMins": 5},
                    {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
                ],
                "permissions": [],
                "permissionSets": [["SPOT"]],
                "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
                "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
            })
        })
        .collect();
    json!({
        "timezone": "UTC",
        "serverTime": server_time_ms,
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
             "limit": weight_limit},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5,
             "limit": 61000},
        ],
        "exchangeFilters": [],
        "symbols": list,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn spec(tick: &str, lot: &str) -> InstrumentSpec {
        InstrumentSpec::new(
            Decimal::from_str(tick).unwrap(),
            Decimal::from_str(lot).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn fmt8_writes_real_spot_strings() {
        let f = Fmt8::new(&spec("0.01", "0.00001")).unwrap();
        let mut s = String::new();
        f.price(&mut s, 6_183_763);
        f.qty(&mut s, 105);
        f.qty(&mut s, 0);
        assert_eq!(s, "\"61837.63000000\"\"0.00105000\"\"0.00000000\"");
    }

    #[test]
    fn fmt8_holds_shib_like_quantities_and_rejects_nine_decimals() {
        let f = Fmt8::new(&spec("0.00000001", "1")).unwrap();
        let mut s = String::new();
        f.price(&mut s, 1_234);
        f.qty(&mut s, 100_000_000_000);
        assert_eq!(s, "\"0.00001234\"\"100000000000.00000000\"");
        assert!(Fmt8::new(&spec("0.000000001", "1")).is_err());
    }

    #[test]
    fn frame_raw_is_the_payload_of_the_envelope() {
        let f = Frame::build("btcusdt@trade", |o| o.push_str("{\"x\":1}"));
        assert_eq!(
            f.combined(),
            "{\"stream\":\"btcusdt@trade\",\"data\":{\"x\":1}}"
        );
        assert_eq!(f.raw(), "{\"x\":1}");
    }

    #[test]
    fn depth_update_matches_the_recorded_shape() {
        let f = Fmt8::new(&spec("0.01", "0.00001")).unwrap();
        let frame = Frame::build("btcusdt@depth@100ms", |o| {
            depth_update(
                o,
                "BTCUSDT",
                &f,
                DepthIds {
                    event_ms: 1_723_161_255_308,
                    first: 50_093_239_203,
                    last: 50_093_239_207,
                },
                &[(5_565_387, 0)],
                &[(6_183_804, 32_332)],
            );
        });
        assert_eq!(
            frame.combined(),
            r#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255308,"s":"BTCUSDT","U":50093239203,"u":50093239207,"b":[["55653.87000000","0.00000000"]],"a":[["61838.04000000","0.32332000"]]}}"#
        );
    }

    #[test]
    fn trade_and_book_ticker_match_the_recorded_lines() {
        let f = Fmt8::new(&spec("0.01", "0.00001")).unwrap();
        let mut s = String::new();
        let t = TradePrint {
            event_ms: 1_723_161_255_343,
            trade_ms: 1_723_161_255_342,
            id: 3_735_683_259,
            price: 6_183_763,
            qty: 2_000,
            buyer_is_maker: true,
        };
        trade(&mut s, "BTCUSDT", &f, &t);
        assert_eq!(
            s,
            r#"{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":3735683259,"p":"61837.63000000","q":"0.02000000","T":1723161255342,"m":true,"M":true}"#
        );
        s.clear();
        let top = Top {
            update_id: 50_093_239_212,
            bid: (6_183_763, 378_826),
            ask: (6_183_764, 154_698),
        };
        book_ticker(&mut s, "BTCUSDT", &f, &top);
        assert_eq!(
            s,
            r#"{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}"#
        );
    }
}
