//! Bybit REST as the simulator serves it: `GET /v5/market/instruments-info?category=C
//! [&symbol=S]` in the venue's envelope (`{"retCode":0,"retMsg":"OK","result":{"category":..,
//! "list":[..],"nextPageCursor":""},"retExtInfo":{},"time":..}`), each request weight 1.
//!
//! The list holds the simulator's symbols when `category` is the venue's own, nothing for
//! another category or an unknown symbol (as the venue answers), and `retCode` 10001 without a
//! valid category. Spot instruments carry the lot as `lotSizeFilter.basePrecision`, linear and
//! inverse as `lotSizeFilter.qtyStep`; both carry `priceFilter.tickSize`.

use super::Bybit;
use crate::sim::rest::{Reply, reply};
use crate::sim::{Shared, SimSymbol, now_ms};
use serde_json::{Value, json};

const INSTRUMENTS: &str = "/v5/market/instruments-info";

fn envelope(code: i64, msg: &str, result: Value) -> String {
    json!({
        "retCode": code,
        "retMsg": msg,
        "result": result,
        "retExtInfo": {},
        "time": now_ms(),
    })
    .to_string()
}

/// HTTP 429 past the request limit, with Bybit's `retCode` 10006.
pub(crate) fn too_many_requests(retry_after: u64) -> Reply {
    let mut r = reply(429, envelope(10006, "Too many visits!", json!({})));
    r.retry_after = Some(retry_after);
    r
}

/// HTTP 403, as Bybit answers an IP it blocks.
pub(crate) fn banned(until_ms: u64) -> Reply {
    let mut r = reply(
        403,
        envelope(
            10009,
            &format!("IP has been banned until {until_ms}."),
            json!({}),
        ),
    );
    r.retry_after = Some(120);
    r
}

fn param<'q>(query: &'q [(String, String)], key: &str) -> Option<&'q str> {
    query.iter().find(|q| q.0 == key).map(|q| q.1.as_str())
}

impl Bybit {
    pub(crate) fn rest_weight(
        self,
        method: &str,
        path: &str,
        _query: &[(String, String)],
    ) -> Result<u32, Reply> {
        if method != "GET" {
            return Err(reply(
                405,
                envelope(
                    10004,
                    "Only GET is supported by the simulated venue.",
                    json!({}),
                ),
            ));
        }
        if path != INSTRUMENTS {
            return Err(reply(
                404,
                envelope(10001, &format!("Unknown endpoint {path}."), json!({})),
            ));
        }
        Ok(1)
    }

    pub(crate) fn rest_answer(
        self,
        shared: &Shared,
        _path: &str,
        query: &[(String, String)],
    ) -> Reply {
        let category = param(query, "category").unwrap_or("");
        if !["spot", "linear", "inverse", "option"].contains(&category) {
            return reply(200, envelope(10001, "Illegal category", json!({})));
        }
        let symbol = param(query, "symbol").map(str::to_ascii_uppercase);
        let list: Vec<Value> = if category == self.category() {
            shared
                .markets
                .iter()
                .map(|m| &m.symbol)
                .filter(|s| symbol.as_ref().is_none_or(|w| *w == s.symbol))
                .map(|s| self.instrument(s))
                .collect()
        } else {
            Vec::new()
        };
        let result = json!({"category": category, "list": list, "nextPageCursor": ""});
        reply(200, envelope(0, "OK", result))
    }

    /// One instrument as `instruments-info` lists it (abridged to the fields a client reads).
    fn instrument(self, s: &SimSymbol) -> Value {
        let tick = s.tick_size.to_string();
        let lot = s.lot_size.to_string();
        if self.spot() {
            return json!({
                "symbol": s.symbol,
                "baseCoin": s.base_asset,
                "quoteCoin": s.quote_asset,
                "innovation": "0",
                "status": "Trading",
                "marginTrading": "none",
                "lotSizeFilter": {
                    "basePrecision": lot,
                    "quotePrecision": "0.00000001",
                    "minOrderQty": lot,
                    "maxOrderQty": "10000",
                    "minOrderAmt": "1",
                    "maxOrderAmt": "2000000"
                },
                "priceFilter": {"tickSize": tick}
            });
        }
        let (contract, settle) = if self.venue == crate::feed::Venue::BybitInverse {
            ("InversePerpetual", s.base_asset.as_str())
        } else {
            ("LinearPerpetual", s.quote_asset.as_str())
        };
        json!({
            "symbol": s.symbol,
            "contractType": contract,
            "status": "Trading",
            "baseCoin": s.base_asset,
            "quoteCoin": s.quote_asset,
            "settleCoin": settle,
            "priceScale": s.tick_size.scale().to_string(),
            "priceFilter": {"minPrice": tick, "maxPrice": "1999999.00", "tickSize": tick},
            "lotSizeFilter": {
                "maxOrderQty": "1000000",
                "minOrderQty": lot,
                "qtyStep": lot
            }
        })
    }
}
