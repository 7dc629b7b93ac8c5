//! Coinbase Advanced Trade REST as the simulator serves it, each request weight 1:
//!
//! | path | body |
//! |---|---|
//! | `/api/v3/brokerage/market/products/{product_id}` | `product_id`, `base_increment`, `quote_increment`, `price_increment`, `status`, ... |
//!
//! Errors in the venue's shape `{"error":"NOT_FOUND","error_details":"..","message":".."}`: 404
//! for an unknown product or path, 405 for a method other than GET.

use super::Coinbase;
use crate::sim::rest::{Reply, reply};
use crate::sim::{Shared, SimSymbol};
use serde_json::json;

const PRODUCTS: &str = "/api/v3/brokerage/market/products/";

fn error(status: u16, code: &str, message: &str) -> Reply {
    reply(
        status,
        json!({"error": code, "error_details": message, "message": message}).to_string(),
    )
}

/// HTTP 429 past the rate limit.
pub(crate) fn too_many_requests(retry_after: u64) -> Reply {
    let mut r = error(429, "RATE_LIMIT_EXCEEDED", "Too many requests");
    r.retry_after = Some(retry_after);
    r
}

/// HTTP 403 for a blocked client.
pub(crate) fn banned(until_ms: u64) -> Reply {
    let mut r = error(
        403,
        "PERMISSION_DENIED",
        &format!("Your IP is blocked until {until_ms}."),
    );
    r.retry_after = Some(120);
    r
}

impl Coinbase {
    pub(crate) fn rest_weight(
        self,
        method: &str,
        path: &str,
        _query: &[(String, String)],
    ) -> Result<u32, Reply> {
        if method != "GET" {
            return Err(error(405, "UNIMPLEMENTED", "only GET is served"));
        }
        if !path.starts_with(PRODUCTS) {
            return Err(error(404, "NOT_FOUND", &format!("unknown endpoint {path}")));
        }
        Ok(1)
    }

    pub(crate) fn rest_answer(
        self,
        shared: &Shared,
        path: &str,
        _query: &[(String, String)],
    ) -> Reply {
        let id = path.strip_prefix(PRODUCTS).unwrap_or_default();
        match shared.markets.iter().find(|m| m.symbol.symbol == id) {
            Some(m) => reply(200, product(&m.symbol).to_string()),
            None => error(404, "NOT_FOUND", "product not found"),
        }
    }
}

/// One product as the public products endpoint shows it (abridged).
fn product(s: &SimSymbol) -> serde_json::Value {
    let (tick, lot) = (
        s.tick_size.normalize().to_string(),
        s.lot_size.normalize().to_string(),
    );
    json!({
        "product_id": s.symbol,
        "price": s.start_price.to_string(),
        "base_increment": lot,
        "quote_increment": tick,
        "price_increment": tick,
        "quote_min_size": "1",
        "base_min_size": lot,
        "base_currency_id": s.base_asset,
        "quote_currency_id": s.quote_asset,
        "status": "online",
        "product_type": "SPOT",
        "trading_disabled": false
    })
}
