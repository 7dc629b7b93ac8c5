//! Kraken v2's control messages (`docs/venues.md` §5.1):
//!
//! - `{"method":"ping","req_id":101}` -> `{"method":"pong","req_id":101,"time_in":..,
//!   "time_out":..}`;
//! - `{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":25,
//!   "snapshot":true},"req_id":1}` -> one reply per symbol, `{"method":"subscribe","result":
//!   {"channel":"book","depth":25,"snapshot":true,"symbol":"BTC/USD"},"success":true,
//!   "time_in":..,"time_out":..,"req_id":1}`, then each new book's snapshot; `trade` the same
//!   (no recent trades are replayed); `depth` defaults to 10;
//! - `unsubscribe` the same way, without `snapshot`;
//! - refusals per symbol, `{"error":"Currency pair not supported XYZ/USD","method":"subscribe",
//!   "req_id":1,"success":false,"symbol":"XYZ/USD","time_in":..,"time_out":..}`, and
//!   `"Already subscribed"`, `"Subscription Not Found"`, `"Unsupported depth 50"`; a request
//!   that does not parse gets one refusal without a symbol.

use super::Kraken;
use crate::sim::encode::write_rfc3339_ms;
use crate::sim::now_ms;
use crate::sim::server::Session;
use serde_json::{Value, json};

/// What a reply echoes of the request.
struct Echo {
    method: String,
    req_id: Option<Value>,
    time_in: String,
}

impl Echo {
    /// The reply `body` with the method, times and `req_id` (when sent) added.
    fn finish(&self, mut body: Value) -> String {
        body["method"] = Value::from(self.method.as_str());
        body["time_in"] = Value::from(self.time_in.as_str());
        body["time_out"] = Value::from(now_text());
        if let Some(id) = &self.req_id {
            body["req_id"] = id.clone();
        }
        body.to_string()
    }

    fn error(&self, error: &str, symbol: Option<&str>) -> String {
        let mut body = json!({"error": error, "success": false});
        if let Some(s) = symbol {
            body["symbol"] = Value::from(s);
        }
        self.finish(body)
    }

    fn ok(&self, result: Value) -> String {
        self.finish(json!({"result": result, "success": true}))
    }
}

fn now_text() -> String {
    let mut s = String::new();
    write_rfc3339_ms(&mut s, now_ms());
    s
}

impl Kraken {
    pub(crate) fn control(self, text: &str, session: &mut Session<'_>, out: &mut Vec<String>) {
        let mut echo = Echo {
            method: String::new(),
            req_id: None,
            time_in: now_text(),
        };
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            out.push(echo.error("Malformed request", None));
            return;
        };
        echo.req_id = v.get("req_id").filter(|r| r.is_u64()).cloned();
        echo.method = v
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        match echo.method.as_str() {
            "ping" => {
                echo.method = "pong".to_owned();
                out.push(echo.finish(json!({})));
            }
            "subscribe" | "unsubscribe" => self.channel(&v, &echo, session, out),
            "" => out.push(echo.error("Malformed request: no method", None)),
            other => out.push(echo.error(&format!("Method not found: {other}"), None)),
        }
    }

    fn channel(self, v: &Value, echo: &Echo, session: &mut Session<'_>, out: &mut Vec<String>) {
        let params = v.get("params").unwrap_or(&Value::Null);
        let channel = params.get("channel").and_then(Value::as_str).unwrap_or("");
        let symbols: Vec<&str> = params
            .get("symbol")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if symbols.is_empty() {
            out.push(echo.error("Missing or empty symbol list", None));
            return;
        }
        let subscribe = echo.method == "subscribe";
        let depth = params.get("depth").and_then(Value::as_u64).unwrap_or(10);
        let snapshot = params
            .get("snapshot")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        for symbol in symbols {
            let name = match channel {
                "book" => format!("book.{depth}.{symbol}"),
                "trade" => format!("trade.{symbol}"),
                other => {
                    out.push(echo.error(&format!("Channel {other:?} not supported"), Some(symbol)));
                    continue;
                }
            };
            if let Err(e) = self.parse_stream(&name) {
                out.push(echo.error(&e, Some(symbol)));
                continue;
            }
            let Ok(stream) = session.resolve(&name) else {
                let e = format!("Currency pair not supported {symbol}");
                out.push(echo.error(&e, Some(symbol)));
                continue;
            };
            let has = session.is_subscribed(stream);
            if subscribe && has {
                out.push(echo.error("Already subscribed", Some(symbol)));
                continue;
            }
            if !subscribe && !has {
                out.push(echo.error("Subscription Not Found", Some(symbol)));
                continue;
            }
            if subscribe && session.count() >= session.max_streams() {
                out.push(echo.error("Too many subscriptions", Some(symbol)));
                continue;
            }
            let mut result = json!({"channel": channel, "symbol": symbol});
            if channel == "book" {
                result["depth"] = Value::from(depth);
            }
            if subscribe {
                result["snapshot"] = Value::from(snapshot);
                out.push(echo.ok(result));
                session.subscribe(stream);
            } else {
                out.push(echo.ok(result));
                session.unsubscribe(stream);
            }
        }
    }
}
