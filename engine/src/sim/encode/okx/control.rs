//! OKX's control messages (`docs/venues.md` §4.1):
//!
//! - the text `ping` -> the text `pong`;
//! - `{"id":"1512","op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}` -> one
//!   ack per arg, `{"id":"1512","event":"subscribe","arg":{"channel":"books",
//!   "instId":"BTC-USDT"},"connId":"a4d3ae55"}` (`id` only when sent), then each book
//!   channel's snapshot; subscribing again to a channel the connection has sends a new
//!   snapshot;
//! - `unsubscribe` the same way, acks with `"event":"unsubscribe"`;
//! - errors `{"event":"error","code":"60018","msg":"Wrong URL or channel:books,instId:X
//!   doesn't exist. ...","connId":".."}` for an unknown channel or instrument, `60012`
//!   (`Invalid request: ..`) for anything else; a request with one bad arg subscribes none.

use super::Okx;
use crate::sim::server::Session;
use serde_json::Value;

/// What a reply echoes of the request.
struct Echo {
    id: Option<String>,
    conn_id: String,
}

impl Echo {
    fn head(&self) -> String {
        match &self.id {
            Some(id) => format!("{{\"id\":{},", Value::from(id.as_str())),
            None => "{".to_owned(),
        }
    }

    fn error(&self, code: &str, msg: &str) -> String {
        format!(
            "{}\"event\":\"error\",\"code\":\"{code}\",\"msg\":{},\"connId\":\"{}\"}}",
            self.head(),
            Value::from(msg),
            self.conn_id
        )
    }

    fn ack(&self, op: &str, channel: &str, inst: &str) -> String {
        format!(
            "{}\"event\":\"{op}\",\"arg\":{{\"channel\":{},\"instId\":{}}},\"connId\":\"{}\"}}",
            self.head(),
            Value::from(channel),
            Value::from(inst),
            self.conn_id
        )
    }
}

impl Okx {
    pub(crate) fn control(self, text: &str, session: &mut Session<'_>, out: &mut Vec<String>) {
        if text == "ping" {
            out.push("pong".to_owned());
            return;
        }
        let mut echo = Echo {
            id: None,
            conn_id: format!("{:08x}", 0xa4d3_0000_u64 + session.id()),
        };
        let invalid = |echo: &Echo| echo.error("60012", &format!("Invalid request: {text}"));
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            out.push(invalid(&echo));
            return;
        };
        echo.id = v.get("id").and_then(Value::as_str).map(str::to_owned);
        let op = v.get("op").and_then(Value::as_str).unwrap_or("");
        let args = v.get("args").and_then(Value::as_array);
        let (Some(args), "subscribe" | "unsubscribe") = (args.filter(|a| !a.is_empty()), op) else {
            out.push(invalid(&echo));
            return;
        };
        let mut parsed = Vec::with_capacity(args.len());
        for a in args {
            let field = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or("");
            let (channel, inst) = (field("channel"), field("instId"));
            if channel.is_empty() {
                out.push(invalid(&echo));
                return;
            }
            let resolved = session.resolve(&format!("{channel}:{inst}"));
            let Ok(stream) = resolved else {
                out.push(echo.error(
                    "60018",
                    &format!(
                        "Wrong URL or channel:{channel},instId:{inst} doesn't exist. Please use \
                         the correct URL, channel and parameters referring to API document."
                    ),
                ));
                return;
            };
            parsed.push((stream, channel, inst));
        }
        let subscribe = op == "subscribe";
        if subscribe {
            let new = parsed
                .iter()
                .filter(|p| !session.is_subscribed(p.0))
                .count();
            if session.count() + new > session.max_streams() {
                out.push(echo.error("60012", "Invalid request: too many channels"));
                return;
            }
        }
        for (stream, channel, inst) in parsed {
            out.push(echo.ack(op, channel, inst));
            match (subscribe, session.is_subscribed(stream)) {
                (true, true) => session.resnapshot(stream),
                (true, false) => session.subscribe(stream),
                (false, _) => session.unsubscribe(stream),
            }
        }
    }
}
