//! The summary tables of `report.html`, rendered from the [`Summary`] itself (through its
//! JSON form), so every number in the page is the one in `summary.json` by construction. Each
//! value cell carries its JSON path in `data-key` (`strategies.0.net_pnl`).

use super::svg::esc;
use crate::report::summary::Summary;
use serde_json::Value;
use std::fmt::Write as _;

/// Book levels shown per side in the final-book table.
const LEVELS_SHOWN: usize = 3;

/// The run's figures in reading order (the JSON form sorts keys); others follow.
const RUN_ORDER: [&str; 16] = [
    "source",
    "venue",
    "ladder_version",
    "frames",
    "events",
    "book_updates",
    "trades",
    "parse_errors",
    "gaps",
    "signals",
    "orders",
    "cancels",
    "fills",
    "net_pnl",
    "fees",
    "config_sha256",
];

/// A strategy's figures in reading order; others follow.
const STRATEGY_ORDER: [&str; 17] = [
    "name",
    "disabled",
    "net_pnl",
    "realized_pnl",
    "unrealized_pnl",
    "fees",
    "max_drawdown",
    "signals",
    "orders",
    "cancels",
    "fills",
    "rejects",
    "instruments",
    "library",
    "library_path",
    "library_sha256",
    "config_sha256",
];

/// A swap's figures in reading order; others follow.
const SWAP_ORDER: [&str; 8] = [
    "mode",
    "reason",
    "ts_ns",
    "event",
    "old_sha256",
    "new_sha256",
    "orders_cancelled",
    "orders_adopted",
];

/// The keys of `map` with `order` first (those present), then the rest as they come.
fn ordered<'a>(map: &'a serde_json::Map<String, Value>, order: &[&'a str]) -> Vec<&'a str> {
    let mut keys: Vec<&str> = order
        .iter()
        .copied()
        .filter(|k| map.contains_key(*k))
        .collect();
    keys.extend(
        map.keys()
            .map(String::as_str)
            .filter(|k| !order.contains(k)),
    );
    keys
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some("—".to_owned()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

fn cell(o: &mut String, path: &str, v: &Value) {
    match scalar(v) {
        Some(text) => {
            let _ = write!(o, r#"<td data-key="{}">{}</td>"#, esc(path), esc(&text));
        }
        None => {
            o.push_str("<td>");
            nested(o, path, v);
            o.push_str("</td>");
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Any JSON value as nested key/value tables; `[price, size]` pairs as `price × size` lines.
fn nested(o: &mut String, path: &str, v: &Value) {
    match v {
        Value::Object(map) if map.is_empty() => o.push_str("none"),
        Value::Object(map) => {
            o.push_str(r#"<table class="kv">"#);
            for (k, child) in map {
                let _ = write!(o, "<tr><th>{}</th>", esc(k));
                cell(o, &join(path, k), child);
                o.push_str("</tr>");
            }
            o.push_str("</table>");
        }
        Value::Array(items)
            if items
                .iter()
                .all(|x| x.as_array().is_some_and(|a| a.len() == 2)) =>
        {
            for (k, pair) in items.iter().take(LEVELS_SHOWN).enumerate() {
                let p = |j: usize| pair.get(j).and_then(scalar).unwrap_or_default();
                let _ = write!(
                    o,
                    r#"<div data-key="{}">{} × {}</div>"#,
                    esc(&join(path, &k.to_string())),
                    esc(&p(0)),
                    esc(&p(1))
                );
            }
            if items.len() > LEVELS_SHOWN {
                let _ = write!(o, "<div>… {} more</div>", items.len() - LEVELS_SHOWN);
            }
            if items.is_empty() {
                o.push_str("empty");
            }
        }
        Value::Array(items) => {
            for (k, item) in items.iter().enumerate() {
                let p = join(path, &k.to_string());
                match scalar(item) {
                    Some(t) => {
                        let _ = write!(o, r#"<div data-key="{}">{}</div>"#, esc(&p), esc(&t));
                    }
                    None => nested(o, &p, item),
                }
            }
        }
        v => {
            let _ = write!(
                o,
                r#"<span data-key="{}">{}</span>"#,
                esc(path),
                esc(&scalar(v).unwrap_or_default())
            );
        }
    }
}

/// Rows = the scalar fields of the objects in `items`, one column each (`label(item)` heads
/// it); nested fields are rendered inside their cell.
fn columns(
    o: &mut String,
    path: &str,
    items: &[Value],
    order: &[&str],
    label: impl Fn(&Value) -> String,
) {
    let Some(first) = items.first().and_then(Value::as_object) else {
        o.push_str("<p>none</p>");
        return;
    };
    o.push_str(r#"<table class="cols"><tr><th></th>"#);
    for item in items {
        let _ = write!(o, "<th>{}</th>", esc(&label(item)));
    }
    o.push_str("</tr>");
    for key in ordered(first, order) {
        let _ = write!(o, "<tr><th>{}</th>", esc(key));
        for (k, item) in items.iter().enumerate() {
            let p = join(path, &format!("{k}.{key}"));
            cell(o, &p, item.get(key).unwrap_or(&Value::Null));
        }
        o.push_str("</tr>");
    }
    o.push_str("</table>");
}

/// The summary section: the run's counts, each strategy, each feed, then everything else.
pub fn summary_tables(summary: &Summary) -> String {
    let value = serde_json::to_value(summary).unwrap_or(Value::Null);
    let Some(map) = value.as_object() else {
        return "<p>the summary could not be rendered</p>".to_owned();
    };
    let mut o = String::new();
    // The run's figures in three side-by-side tables.
    let run: Vec<&str> = ordered(map, &RUN_ORDER)
        .into_iter()
        .filter(|k| map.get(*k).and_then(scalar).is_some())
        .collect();
    o.push_str(r#"<h3>Run</h3><div class="row">"#);
    for part in run.chunks(run.len().div_ceil(3).max(1)) {
        o.push_str(r#"<table class="kv">"#);
        for &k in part {
            let _ = write!(o, "<tr><th>{}</th>", esc(k));
            cell(&mut o, k, &map[k]);
            o.push_str("</tr>");
        }
        o.push_str("</table>");
    }
    o.push_str("</div>");
    if let Some(strategies) = map.get("strategies").and_then(Value::as_array) {
        o.push_str("<h3>Strategies</h3>");
        columns(&mut o, "strategies", strategies, &STRATEGY_ORDER, |s| {
            s.get("name").and_then(scalar).unwrap_or_default()
        });
    }
    if let Some(swaps) = map.get("swaps").and_then(Value::as_array) {
        o.push_str("<h3>Strategy swaps</h3>");
        columns(&mut o, "swaps", swaps, &SWAP_ORDER, |s| {
            let name = s.get("strategy").and_then(scalar).unwrap_or_default();
            let event = s.get("event").and_then(scalar).unwrap_or_default();
            format!("{name} @ event {event}")
        });
    }
    if let Some(feeds) = map.get("feeds").and_then(Value::as_array) {
        o.push_str("<h3>Feeds</h3>");
        columns(&mut o, "feeds", feeds, &["venue"], |f| {
            f.get("venue").and_then(scalar).unwrap_or_default()
        });
    }
    // Everything else side by side.
    o.push_str(r#"<div class="row">"#);
    for (k, v) in map {
        if scalar(v).is_none() && !["strategies", "feeds", "swaps"].contains(&k.as_str()) {
            let _ = write!(o, "<div><h3>{}</h3>", esc(k));
            nested(&mut o, k, v);
            o.push_str("</div>");
        }
    }
    o.push_str("</div>");
    o
}
