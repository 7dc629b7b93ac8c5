//! Coinbase Advanced Trade's control messages (`docs/venues.md` §6.1):
//!
//! - `{"type":"subscribe","product_ids":["BTC-USD"],"channel":"level2"}` (one channel a message;
//!   a `jwt` is accepted and not checked) -> a `subscriptions` message listing everything the
//!   connection carries, then each new `level2` product's snapshot; subscribing `level2` again
//!   to a product the connection has sends a new snapshot;
//! - `unsubscribe` the same way;
//! - `heartbeats` (its `product_ids` ignored): one heartbeat a second on the connection;
//! - errors `{"type":"error","message":"failure to subscribe","reason":".."}` for an unknown
//!   channel or product, or a message that is not one of these; a message with one bad
//!   product subscribes none.

use super::{Coinbase, wire};
use crate::sim::now_ms;
use crate::sim::server::Session;
use serde_json::Value;

impl Coinbase {
    pub(crate) fn control(self, text: &str, session: &mut Session<'_>, out: &mut Vec<String>) {
        let fail = |reason: &str| wire::error("failure to subscribe", reason);
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            out.push(fail("malformed json"));
            return;
        };
        let kind = v.get("type").and_then(Value::as_str).unwrap_or("");
        let subscribe = match kind {
            "subscribe" => true,
            "unsubscribe" => false,
            other => {
                out.push(fail(&format!("unknown type {other:?}")));
                return;
            }
        };
        let channel = v.get("channel").and_then(Value::as_str).unwrap_or("");
        if channel == "heartbeats" {
            session.set_heartbeats(subscribe);
            out.push(self.listing(session));
            return;
        }
        let products: Vec<&str> = v
            .get("product_ids")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if products.is_empty() {
            out.push(fail("product_ids is required"));
            return;
        }
        let mut parsed = Vec::with_capacity(products.len());
        for p in &products {
            let name = format!("{channel}:{p}");
            if let Err(e) = self.parse_stream(&name) {
                out.push(fail(&e));
                return;
            }
            let Ok(stream) = session.resolve(&name) else {
                out.push(fail(&format!("unknown product {p:?}")));
                return;
            };
            parsed.push(stream);
        }
        if subscribe {
            let new = parsed
                .iter()
                .filter(|s| !session.is_subscribed(**s))
                .count();
            if session.count() + new > session.max_streams() {
                out.push(fail("too many subscriptions on this connection"));
                return;
            }
        }
        for stream in parsed {
            match (subscribe, session.is_subscribed(stream)) {
                (true, true) => session.resnapshot(stream),
                (true, false) => session.subscribe(stream),
                (false, _) => session.unsubscribe(stream),
            }
        }
        out.push(self.listing(session));
    }

    /// The `subscriptions` message of what `session` carries.
    fn listing(self, session: &Session<'_>) -> String {
        let mut channels: Vec<(&str, Vec<&str>)> = Vec::new();
        for name in session.names() {
            let Some((channel, product)) = name.split_once(':') else {
                continue;
            };
            match channels.iter_mut().find(|c| c.0 == channel) {
                Some(c) => c.1.push(product),
                None => channels.push((channel, vec![product])),
            }
        }
        if session.heartbeats() {
            channels.push(("heartbeats", vec!["heartbeats"]));
        }
        wire::subscriptions(&channels, now_ms())
    }
}
