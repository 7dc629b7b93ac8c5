//! Binance's live control messages (spot and futures alike, `docs/venues.md` §1.1, §2.1):
//!
//! - `{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}` -> `{"result":null,"id":1}`;
//! - `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY ["combined",true]`,
//!   `GET_PROPERTY ["combined"]`;
//! - errors `{"error":{"code":2,"msg":"Invalid request: ..."},"id":1}`, `code 3` for invalid JSON.

use crate::sim::server::Session;
use serde_json::{Value, json};

/// Answers one control message, changing the session's subscriptions.
pub(crate) fn control(text: &str, session: &mut Session<'_>) -> String {
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return error(3, &format!("Invalid JSON: {e}"), &Value::Null),
    };
    let id = v.get("id").cloned().unwrap_or(Value::Null);
    let id_ok = match &id {
        Value::Null => true,
        Value::Number(n) => n.is_i64() || n.is_u64(),
        Value::String(s) => s.len() <= 36 && s.bytes().all(|b| b.is_ascii_alphanumeric()),
        _ => false,
    };
    if !id_ok {
        return error(
            2,
            "Invalid request: request ID must be an unsigned integer",
            &Value::Null,
        );
    }
    let Some(method) = v.get("method").and_then(Value::as_str) else {
        return error(2, "Invalid request: missing field `method`", &id);
    };
    let params = v
        .get("params")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    match method {
        "SUBSCRIBE" | "UNSUBSCRIBE" => {
            let mut parsed = Vec::new();
            for p in &params {
                let Some(name) = p.as_str() else {
                    return error(2, "Invalid request: stream names must be strings", &id);
                };
                match session.resolve(name) {
                    Ok(s) => parsed.push(s),
                    Err(msg) => return error(2, &format!("Invalid request: {msg}"), &id),
                }
            }
            if method == "SUBSCRIBE" {
                let new = parsed
                    .iter()
                    .filter(|&&s| !session.is_subscribed(s))
                    .count();
                if session.count() + new > session.max_streams() {
                    return error(2, "Invalid request: too many streams", &id);
                }
                parsed.into_iter().for_each(|s| session.subscribe(s));
            } else {
                parsed.into_iter().for_each(|s| session.unsubscribe(s));
            }
            ok(&Value::Null, &id)
        }
        "LIST_SUBSCRIPTIONS" => ok(&json!(session.names()), &id),
        "SET_PROPERTY" => match (params.first().and_then(Value::as_str), params.get(1)) {
            (Some("combined"), Some(Value::Bool(b))) => {
                session.set_combined(*b);
                ok(&Value::Null, &id)
            }
            (Some("combined"), _) => error(1, "Invalid value type: expected Boolean", &id),
            _ => error(0, "Unknown property", &id),
        },
        "GET_PROPERTY" => match params.first().and_then(Value::as_str) {
            Some("combined") => ok(&Value::Bool(session.combined()), &id),
            _ => error(0, "Unknown property", &id),
        },
        other => error(
            2,
            &format!(
                "Invalid request: unknown variant `{other}`, expected one of `SUBSCRIBE`, \
                 `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`"
            ),
            &id,
        ),
    }
}

/// `{"result":..,"id":..}`, keys in Binance's order.
fn ok(result: &Value, id: &Value) -> String {
    format!("{{\"result\":{result},\"id\":{id}}}")
}

/// `{"error":{"code":..,"msg":..},"id":..}`, keys in Binance's order.
fn error(code: i64, msg: &str, id: &Value) -> String {
    format!(
        "{{\"error\":{},\"id\":{id}}}",
        json!({"code": code, "msg": msg})
    )
}
