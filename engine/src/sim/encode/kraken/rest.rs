//! Kraken REST as the simulator serves it: `GET /0/public/AssetPairs[?pair=A,B]` in the venue's
//! envelope (`{"error":[],"result":{..}}`), each request weight 1.
//!
//! Each pair is keyed by its altname (`BTCUSD`) with `wsname` the v2 symbol (`BTC/USD`),
//! `pair_decimals` and `tick_size` from the tick, `lot_decimals` from the lot, `ordermin` one
//! lot. `pair` filters by altname or wsname; one that is not listed gets
//! `{"error":["EQuery:Unknown asset pair"],"result":{}}`, as the venue answers.

use super::Kraken;
use crate::sim::rest::{Reply, reply};
use crate::sim::{Shared, SimSymbol};
use serde_json::{Map, Value, json};

const ASSET_PAIRS: &str = "/0/public/AssetPairs";

fn error(status: u16, msg: &str) -> Reply {
    reply(status, json!({"error": [msg], "result": {}}).to_string())
}

/// HTTP 429 past the rate limit.
pub(crate) fn too_many_requests(retry_after: u64) -> Reply {
    let mut r = error(429, "EGeneral:Too many requests");
    r.retry_after = Some(retry_after);
    r
}

/// HTTP 403 for a locked-out client.
pub(crate) fn banned(_until_ms: u64) -> Reply {
    let mut r = error(403, "EGeneral:Temporary lockout");
    r.retry_after = Some(120);
    r
}

/// A pair's altname: the symbol without its slash.
fn altname(s: &SimSymbol) -> String {
    s.symbol.replace('/', "")
}

impl Kraken {
    pub(crate) fn rest_weight(
        self,
        method: &str,
        path: &str,
        _query: &[(String, String)],
    ) -> Result<u32, Reply> {
        if method != "GET" {
            return Err(error(405, "EGeneral:Invalid arguments: only GET is served"));
        }
        if path.trim_end_matches('/') != ASSET_PAIRS {
            return Err(error(404, "EGeneral:Unknown method"));
        }
        Ok(1)
    }

    pub(crate) fn rest_answer(
        self,
        shared: &Shared,
        _path: &str,
        query: &[(String, String)],
    ) -> Reply {
        let wanted: Option<Vec<String>> = query.iter().find(|q| q.0 == "pair").map(|q| {
            q.1.split(',')
                .map(|p| p.trim().to_ascii_uppercase())
                .collect()
        });
        let symbols: Vec<&SimSymbol> = shared.markets.iter().map(|m| &m.symbol).collect();
        let listed = |w: &String| symbols.iter().any(|s| s.symbol == *w || altname(s) == *w);
        if let Some(w) = &wanted
            && !w.iter().all(listed)
        {
            return error(200, "EQuery:Unknown asset pair");
        }
        let mut result = Map::new();
        for s in symbols {
            let asked = wanted
                .as_ref()
                .is_none_or(|w| w.iter().any(|w| *w == s.symbol || *w == altname(s)));
            if asked {
                result.insert(altname(s), pair(s));
            }
        }
        reply(200, json!({"error": [], "result": result}).to_string())
    }
}

/// One pair as `AssetPairs` lists it (abridged to the fields a client reads).
fn pair(s: &SimSymbol) -> Value {
    json!({
        "altname": altname(s),
        "wsname": s.symbol,
        "aclass_base": "currency",
        "base": s.base_asset,
        "aclass_quote": "currency",
        "quote": s.quote_asset,
        "lot": "unit",
        "cost_decimals": 5,
        "pair_decimals": s.tick_size.scale(),
        "lot_decimals": s.lot_size.scale(),
        "lot_multiplier": 1,
        "ordermin": s.lot_size.to_string(),
        "tick_size": s.tick_size.to_string(),
        "status": "online"
    })
}
