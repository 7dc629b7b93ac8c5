//! Bybit's control messages (`docs/venues.md` §3.1, §12):
//!
//! - `{"req_id":"1","op":"subscribe","args":["orderbook.50.BTCUSDT","publicTrade.BTCUSDT"]}` ->
//!   linear/inverse `{"success":true,"ret_msg":"","conn_id":"..","req_id":"1","op":"subscribe"}`,
//!   spot `{"success":true,"ret_msg":"subscribe","conn_id":"..","op":"subscribe"}` (its
//!   `req_id` only when one was sent); then each new book topic's snapshot;
//! - `unsubscribe` the same way;
//! - `{"req_id":"100001","op":"ping"}` -> `{"success":true,"ret_msg":"pong","conn_id":"..",
//!   "req_id":"100001","op":"ping"}` (spot without `req_id`);
//! - refusals `{"success":false,"ret_msg":"Invalid symbol :[orderbook.50.XXX]",..}`,
//!   `"Invalid topic :[..]"`, `"error:already subscribed,topic:.."`, `"args size >10"` (spot);
//!   a request with one bad arg subscribes none of them.

use super::{Bybit, SPOT_MAX_ARGS};
use crate::sim::server::Session;
use serde_json::Value;

/// What a reply echoes of the request.
struct Echo<'a> {
    spot: bool,
    conn_id: String,
    req_id: Option<&'a str>,
    op: &'a str,
}

impl Echo<'_> {
    fn reply(&self, success: bool, ret_msg: &str) -> String {
        let msg = Value::from(ret_msg);
        let mut o = format!(
            "{{\"success\":{success},\"ret_msg\":{msg},\"conn_id\":\"{}\"",
            self.conn_id
        );
        match (self.spot, self.req_id) {
            (true, None) => {}
            (_, id) => {
                o.push_str(",\"req_id\":");
                o.push_str(&Value::from(id.unwrap_or("")).to_string());
            }
        }
        o.push_str(",\"op\":");
        o.push_str(&Value::from(self.op).to_string());
        o.push('}');
        o
    }
}

impl Bybit {
    /// The connection id the venue reports (a UUID on linear and inverse, a 26-character token
    /// on spot).
    fn conn_id(self, id: u64) -> String {
        if self.spot() {
            format!("d9sim{id:015x}-{:05x}", id & 0xfffff)
        } else {
            format!("a38867ec-70b5-4044-a765-{id:012x}")
        }
    }

    pub(crate) fn control(self, text: &str, session: &mut Session<'_>, out: &mut Vec<String>) {
        let conn_id = self.conn_id(session.id());
        let v: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                let echo = Echo {
                    spot: self.spot(),
                    conn_id,
                    req_id: None,
                    op: "",
                };
                out.push(echo.reply(false, &format!("Invalid request: {e}")));
                return;
            }
        };
        let echo = Echo {
            spot: self.spot(),
            conn_id,
            req_id: v.get("req_id").and_then(Value::as_str),
            op: v.get("op").and_then(Value::as_str).unwrap_or(""),
        };
        let reply = match echo.op {
            "ping" => echo.reply(true, "pong"),
            "subscribe" | "unsubscribe" => self.topics(&v, &echo, session),
            other => echo.reply(false, &format!("Invalid op :[{other}]")),
        };
        out.push(reply);
    }

    fn topics(self, v: &Value, echo: &Echo<'_>, session: &mut Session<'_>) -> String {
        let args = v.get("args").and_then(Value::as_array);
        let Some(args) = args.filter(|a| !a.is_empty()) else {
            return echo.reply(false, "args cannot be empty");
        };
        if self.spot() && args.len() > SPOT_MAX_ARGS {
            return echo.reply(false, &format!("args size >{SPOT_MAX_ARGS}"));
        }
        let subscribe = echo.op == "subscribe";
        let mut parsed = Vec::with_capacity(args.len());
        for a in args {
            let Some(name) = a.as_str() else {
                return echo.reply(false, &format!("Invalid topic :[{a}]"));
            };
            if let Err(e) = self.parse_stream(name) {
                return echo.reply(false, &e);
            }
            let Ok(stream) = session.resolve(name) else {
                return echo.reply(false, &format!("Invalid symbol :[{name}]"));
            };
            if subscribe && session.is_subscribed(stream) {
                return echo.reply(false, &format!("error:already subscribed,topic:{name}"));
            }
            parsed.push(stream);
        }
        if subscribe {
            if session.count() + parsed.len() > session.max_streams() {
                return echo.reply(false, "error:too many topics on this connection");
            }
            parsed.into_iter().for_each(|s| session.subscribe(s));
        } else {
            parsed.into_iter().for_each(|s| session.unsubscribe(s));
        }
        let ok = if self.spot() { echo.op } else { "" };
        echo.reply(true, ok)
    }
}
