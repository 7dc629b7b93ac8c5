//! OKX REST as the simulator serves it, in the venue's envelope `{"code":"0","msg":"",
//! "data":[..]}`, each request weight 1:
//!
//! | path | body |
//! |---|---|
//! | `/api/v5/public/instruments?instType=T[&instId=I]` | the instruments of type `T` (`SPOT`, or `SWAP` for `-SWAP` ids): `instId`, `baseCcy`, `quoteCcy`, `tickSz`, `lotSz`, `minSz`, `ctVal`, `state`, ... |
//! | `/api/v5/market/books?instId=I[&sz=N]` | `[{"asks":[[px,sz,"0",n]],"bids":[..],"ts":"..","seqId":..}]`, `sz` 1-400 (default 1) |
//!
//! The REST book is the image last sent on the instrument's incremental channel (`books`,
//! `books-l2-tbt`, `books50-l2-tbt`, the first subscribed), at that message's `seqId`, so the
//! channel's next update joins it (`prevSeqId == seqId`); with no such subscription, the
//! model's book now at its update id. Errors: `50014` for a missing parameter, `51001` for an
//! unknown instrument, `51000` for a bad `sz`.

use super::{JOINABLE, Okx};
use crate::sim::rest::{Reply, reply};
use crate::sim::{Shared, SimSymbol, now_ms};
use serde_json::{Value, json};

const INSTRUMENTS: &str = "/api/v5/public/instruments";
const BOOKS: &str = "/api/v5/market/books";

fn envelope(code: &str, msg: &str, data: Value) -> String {
    json!({"code": code, "msg": msg, "data": data}).to_string()
}

fn error(status: u16, code: &str, msg: &str) -> Reply {
    reply(status, envelope(code, msg, json!([])))
}

/// HTTP 429 past the rate limit (`50011`).
pub(crate) fn too_many_requests(retry_after: u64) -> Reply {
    let mut r = error(429, "50011", "Too Many Requests");
    r.retry_after = Some(retry_after);
    r
}

/// HTTP 403 for a blocked client.
pub(crate) fn banned(until_ms: u64) -> Reply {
    let mut r = error(
        403,
        "50061",
        &format!("Your IP is blocked until {until_ms}."),
    );
    r.retry_after = Some(120);
    r
}

fn param<'q>(query: &'q [(String, String)], key: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|q| q.0 == key)
        .map(|q| q.1.as_str())
        .filter(|v| !v.is_empty())
}

/// `SWAP` for a perpetual swap id (`BTC-USDT-SWAP`), `SPOT` otherwise.
fn inst_type(inst: &str) -> &'static str {
    if inst.ends_with("-SWAP") {
        "SWAP"
    } else {
        "SPOT"
    }
}

impl Okx {
    pub(crate) fn rest_weight(
        self,
        method: &str,
        path: &str,
        _query: &[(String, String)],
    ) -> Result<u32, Reply> {
        if method != "GET" {
            return Err(error(
                405,
                "50000",
                "Only GET is supported by the simulated venue.",
            ));
        }
        if path != INSTRUMENTS && path != BOOKS {
            return Err(error(404, "50000", &format!("Unknown endpoint {path}.")));
        }
        Ok(1)
    }

    pub(crate) fn rest_answer(
        self,
        shared: &Shared,
        path: &str,
        query: &[(String, String)],
    ) -> Reply {
        if path == INSTRUMENTS {
            return self.instruments(shared, query);
        }
        let Some(inst) = param(query, "instId") else {
            return error(400, "50014", "Parameter instId can not be empty.");
        };
        let Some(m) = shared.markets.iter().find(|m| m.wire.symbol == inst) else {
            return error(400, "51001", "Instrument ID does not exist.");
        };
        let sz = match param(query, "sz").map(str::parse::<usize>) {
            None => 1,
            Some(Ok(n)) if (1..=400).contains(&n) => n,
            Some(_) => return error(400, "51000", "Parameter sz error"),
        };
        let (image, seq) = m.rest_book(&JOINABLE, sz, &shared.encoder);
        let mut body = String::with_capacity(96 + 48 * (image.bids.len() + image.asks.len()));
        body.push_str("{\"code\":\"0\",\"msg\":\"\",\"data\":[{\"asks\":");
        super::wire::levels(&mut body, &m.wire.fmt, &image.asks);
        body.push_str(",\"bids\":");
        super::wire::levels(&mut body, &m.wire.fmt, &image.bids);
        body.push_str(&format!(",\"ts\":\"{}\",\"seqId\":{seq}}}]}}", now_ms()));
        reply(200, body)
    }

    fn instruments(self, shared: &Shared, query: &[(String, String)]) -> Reply {
        let Some(kind) = param(query, "instType") else {
            return error(400, "50014", "Parameter instType can not be empty.");
        };
        if !["SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION"].contains(&kind) {
            return error(400, "51000", "Parameter instType error");
        }
        let inst = param(query, "instId");
        let data: Vec<Value> = shared
            .markets
            .iter()
            .map(|m| &m.symbol)
            .filter(|s| inst_type(&s.symbol) == kind && inst.is_none_or(|i| i == s.symbol))
            .map(instrument)
            .collect();
        reply(200, envelope("0", "", Value::Array(data)))
    }
}

/// One instrument as `/api/v5/public/instruments` lists it (abridged).
fn instrument(s: &SimSymbol) -> Value {
    let swap = inst_type(&s.symbol) == "SWAP";
    let (tick, lot) = (s.tick_size.to_string(), s.lot_size.to_string());
    let family = format!("{}-{}", s.base_asset, s.quote_asset);
    json!({
        "instType": inst_type(&s.symbol),
        "instId": s.symbol,
        "uly": if swap { family.as_str() } else { "" },
        "instFamily": if swap { family.as_str() } else { "" },
        "baseCcy": if swap { "" } else { s.base_asset.as_str() },
        "quoteCcy": if swap { "" } else { s.quote_asset.as_str() },
        "settleCcy": if swap { s.quote_asset.as_str() } else { "" },
        "ctVal": if swap { "0.01" } else { "" },
        "ctMult": if swap { "1" } else { "" },
        "ctValCcy": if swap { s.base_asset.as_str() } else { "" },
        "ctType": if swap { "linear" } else { "" },
        "tickSz": tick,
        "lotSz": lot,
        "minSz": lot,
        "state": "live",
        "listTime": "1606468572000",
        "expTime": "",
        "maxLmtSz": "9999999999",
        "maxMktSz": "1000000"
    })
}
