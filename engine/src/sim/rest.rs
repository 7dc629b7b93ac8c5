//! The REST side of the simulated venue: a small HTTP/1.1 server (GET only, keep-alive) with
//! Binance spot's endpoints, request weights and rate-limit answers
//! (<https://developers.binance.com/docs/binance-spot-api-docs/rest-api>):
//!
//! | endpoint | weight | body |
//! |---|---|---|
//! | `GET /api/v3/ping` | 1 | `{}` |
//! | `GET /api/v3/time` | 1 | `{"serverTime":..}` |
//! | `GET /api/v3/depth?symbol=S&limit=N` | 5 / 25 / 50 / 250 by limit | `{"lastUpdateId":..,"bids":..,"asks":..}` |
//! | `GET /api/v3/exchangeInfo[?symbol=S \| symbols=["A","B"]]` | 20 | real shape |
//! | `GET /api/v3/ticker/bookTicker?symbol=S` | 2 | `{"symbol":..,"bidPrice":..,..}` |
//!
//! Every answer carries `X-MBX-USED-WEIGHT-1m`. Past the weight limit of the current window the
//! answer is HTTP 429 with `Retry-After` (seconds to the next window). An unknown symbol is
//! HTTP 400 `{"code":-1121,"msg":"Invalid symbol."}`.

use super::faults;
use super::wire;
use super::{Shared, now_ms};
use ladder_sdk::Side;
use serde_json::json;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Accepts REST connections until `stop`, then waits for them to end.
pub(crate) async fn run(
    shared: Arc<Shared>,
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        let child = stop.clone();
        tokio::select! {
            r = listener.accept() => match r {
                Ok((tcp, _)) => {
                    let _ = tcp.set_nodelay(true);
                    conns.spawn(connection(Arc::clone(&shared), tcp, child));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            _ = super::stopped(&mut stop) => break,
        }
        while conns.try_join_next().is_some() {}
    }
    while conns.join_next().await.is_some() {}
}

const MAX_HEAD: usize = 16 * 1024;

async fn connection(shared: Arc<Shared>, tcp: TcpStream, mut stop: watch::Receiver<bool>) {
    let mut stream = BufReader::new(tcp);
    loop {
        let head = tokio::select! {
            h = read_head(&mut stream) => h,
            _ = super::stopped(&mut stop) => return,
            _ = tokio::time::sleep(Duration::from_secs(60)) => return,
        };
        let Ok(Some(head)) = head else { return };
        let reply = handle(&shared, &head);
        let keep_alive = head.keep_alive && !reply.close;
        let mut out = String::with_capacity(reply.body.len() + 256);
        let _ = write!(
            out,
            "HTTP/1.1 {} {}\r\nContent-Type: application/json;charset=UTF-8\r\n\
             Content-Length: {}\r\nX-MBX-USED-WEIGHT-1m: {}\r\nX-MBX-USED-WEIGHT: {}\r\n",
            reply.status,
            reason(reply.status),
            reply.body.len(),
            reply.used_weight,
            reply.used_weight,
        );
        if let Some(secs) = reply.retry_after {
            let _ = write!(out, "Retry-After: {secs}\r\n");
        }
        out.push_str(if keep_alive {
            "Connection: keep-alive\r\n\r\n"
        } else {
            "Connection: close\r\n\r\n"
        });
        out.push_str(&reply.body);
        if stream.get_mut().write_all(out.as_bytes()).await.is_err() || !keep_alive {
            let _ = stream.get_mut().shutdown().await;
            return;
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        418 => "I'm a teapot",
        429 => "Too Many Requests",
        _ => "Error",
    }
}

/// A parsed request head.
#[derive(Debug)]
struct Head {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    keep_alive: bool,
}

/// Reads one request head; `Ok(None)` on a clean end of stream.
async fn read_head(stream: &mut BufReader<TcpStream>) -> std::io::Result<Option<Head>> {
    let mut line = String::new();
    let mut total = 0;
    // Skip blank lines between requests.
    loop {
        line.clear();
        let n = stream.read_line(&mut line).await?;
        if n == 0 {
            return Ok(None);
        }
        total += n;
        if !line.trim().is_empty() {
            break;
        }
        if total > MAX_HEAD {
            return Ok(None);
        }
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("/").to_owned();
    let version = parts.next().unwrap_or("HTTP/1.0").to_owned();
    let mut keep_alive = version == "HTTP/1.1";
    loop {
        line.clear();
        let n = stream.read_line(&mut line).await?;
        total += n;
        if n == 0 || total > MAX_HEAD {
            return Ok(None);
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((name, value)) = l.split_once(':')
            && name.trim().eq_ignore_ascii_case("connection")
        {
            let v = value.trim().to_ascii_lowercase();
            keep_alive = match v.as_str() {
                "close" => false,
                "keep-alive" => true,
                _ => keep_alive,
            };
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect();
    Ok(Some(Head {
        method,
        path: path.to_owned(),
        query,
        keep_alive,
    }))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

struct Reply {
    status: u16,
    body: String,
    used_weight: u32,
    retry_after: Option<u64>,
    close: bool,
}

fn reply(status: u16, body: String) -> Reply {
    Reply {
        status,
        body,
        used_weight: 0,
        retry_after: None,
        close: false,
    }
}

fn api_error(status: u16, code: i64, msg: &str) -> Reply {
    reply(status, json!({"code": code, "msg": msg}).to_string())
}

fn depth_weight(limit: usize) -> u32 {
    match limit {
        0..=100 => 5,
        101..=500 => 25,
        501..=1000 => 50,
        _ => 250,
    }
}

fn take_one(counter: &AtomicU64) -> bool {
    counter
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| v.checked_sub(1))
        .is_ok()
}

fn handle(shared: &Shared, head: &Head) -> Reply {
    let n = shared
        .counters
        .rest_requests
        .fetch_add(1, Ordering::Relaxed)
        + 1;
    let param = |k: &str| head.query.iter().find(|q| q.0 == k).map(|q| q.1.as_str());
    if head.method != "GET" {
        return api_error(405, -1000, "Only GET is supported by the simulated venue.");
    }
    let weight = match head.path.as_str() {
        "/api/v3/ping" | "/api/v3/time" => 1,
        "/api/v3/ticker/bookTicker" => 2,
        "/api/v3/exchangeInfo" => 20,
        "/api/v3/depth" => depth_weight(param("limit").and_then(|l| l.parse().ok()).unwrap_or(100)),
        _ => return api_error(404, -1000, &format!("Unknown endpoint {}.", head.path)),
    };
    let config = &shared.config;
    let (used, retry_after) = charge(shared, weight);
    let faults = &config.faults;
    let every = |e: Option<u64>| e.is_some_and(|k| n.is_multiple_of(k));
    let mut out = if take_one(&shared.counters.forced_418) || every(faults.rest_418_every) {
        faults::bump(&shared.faults.rest_418);
        let until = now_ms() + 120_000;
        let mut r = api_error(
            418,
            -1003,
            &format!(
                "Way too much request weight used; IP banned until {until}. Please use WebSocket \
                 Streams for live updates to avoid bans."
            ),
        );
        r.retry_after = Some(120);
        r
    } else if take_one(&shared.counters.forced_429) || every(faults.rest_429_every) {
        faults::bump(&shared.faults.rest_429);
        too_many(config.weight_limit, retry_after)
    } else if used > config.weight_limit {
        shared
            .counters
            .rest_rate_limited
            .fetch_add(1, Ordering::Relaxed);
        too_many(config.weight_limit, retry_after)
    } else {
        route(shared, head)
    };
    out.used_weight = used;
    out
}

fn too_many(limit: u32, retry_after: u64) -> Reply {
    let mut r = api_error(
        429,
        -1003,
        &format!(
            "Too much request weight used; current limit is {limit} request weight per 1 MINUTE. \
             Please use WebSocket Streams for live updates to avoid polling the API."
        ),
    );
    r.retry_after = Some(retry_after);
    r
}

/// Adds `weight` to the current window; returns the weight used and the seconds to the next
/// window.
fn charge(shared: &Shared, weight: u32) -> (u32, u64) {
    let window = shared.config.weight_window;
    let elapsed = shared.started.elapsed();
    let index = (elapsed.as_nanos() / window.as_nanos().max(1)) as u64;
    let mut w = shared.rest_weight.lock().unwrap_or_else(|e| e.into_inner());
    if w.0 != index {
        *w = (index, 0);
    }
    w.1 = w.1.saturating_add(weight);
    let next = window.saturating_mul(u32::try_from(index + 1).unwrap_or(u32::MAX));
    let retry = next.saturating_sub(elapsed).as_secs_f64().ceil().max(1.0) as u64;
    (w.1, retry)
}

fn route(shared: &Shared, head: &Head) -> Reply {
    let param = |k: &str| head.query.iter().find(|q| q.0 == k).map(|q| q.1.as_str());
    let market = |symbol: Option<&str>| -> Result<&super::SymbolMarket, Reply> {
        let Some(s) = symbol.filter(|s| !s.is_empty()) else {
            return Err(api_error(
                400,
                -1102,
                "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
            ));
        };
        shared
            .markets
            .iter()
            .find(|m| m.symbol.symbol == s)
            .ok_or_else(|| api_error(400, -1121, "Invalid symbol."))
    };
    match head.path.as_str() {
        "/api/v3/ping" => reply(200, "{}".into()),
        "/api/v3/time" => reply(200, json!({"serverTime": now_ms()}).to_string()),
        "/api/v3/depth" => {
            let m = match market(param("symbol")) {
                Ok(m) => m,
                Err(r) => return r,
            };
            let limit = match param("limit").map(str::parse::<usize>) {
                None => 100,
                Some(Ok(l)) if (1..=5000).contains(&l) => l,
                Some(_) => {
                    return api_error(
                        400,
                        -1100,
                        "Illegal characters found in parameter 'limit'; legal range is '1'-'5000'.",
                    );
                }
            };
            let (id, bids, asks) = {
                let model = m.model();
                (
                    model.update_id(),
                    model.levels(Side::Buy, limit),
                    model.levels(Side::Sell, limit),
                )
            };
            let mut body = String::with_capacity(64 + 48 * (bids.len() + asks.len()));
            wire::depth_snapshot(&mut body, &m.fmt, id, &bids, &asks);
            reply(200, body)
        }
        "/api/v3/ticker/bookTicker" => {
            let m = match market(param("symbol")) {
                Ok(m) => m,
                Err(r) => return r,
            };
            let (bid, ask) = {
                let model = m.model();
                (model.best_bid(), model.best_ask())
            };
            let s = |f: &dyn Fn(&mut String)| {
                let mut o = String::new();
                f(&mut o);
                o.trim_matches('"').to_owned()
            };
            let (bp, bq) = bid.unwrap_or((0, 0));
            let (ap, aq) = ask.unwrap_or((0, 0));
            let body = json!({
                "symbol": m.symbol.symbol,
                "bidPrice": s(&|o| m.fmt.price(o, bp)),
                "bidQty": s(&|o| m.fmt.qty(o, bq)),
                "askPrice": s(&|o| m.fmt.price(o, ap)),
                "askQty": s(&|o| m.fmt.qty(o, aq)),
            });
            reply(200, body.to_string())
        }
        "/api/v3/exchangeInfo" => {
            let wanted: Vec<String> = match (param("symbol"), param("symbols")) {
                (Some(s), _) => vec![s.to_owned()],
                (None, Some(list)) => match serde_json::from_str::<Vec<String>>(list) {
                    Ok(v) => v,
                    Err(_) => {
                        return api_error(
                            400,
                            -1100,
                            "Illegal characters found in parameter 'symbols'; legal range is \
                             '^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'.",
                        );
                    }
                },
                (None, None) => shared
                    .markets
                    .iter()
                    .map(|m| m.symbol.symbol.clone())
                    .collect(),
            };
            let mut symbols = Vec::new();
            for w in &wanted {
                match market(Some(w)) {
                    Ok(m) => symbols.push(&m.symbol),
                    Err(r) => return r,
                }
            }
            let body = wire::exchange_info(&symbols, now_ms(), shared.config.weight_limit);
            reply(200, body.to_string())
        }
        _ => api_error(404, -1000, "Unknown endpoint."),
    }
}

#[cfg(test)]
pub(crate) fn depth_body_for_test(m: &super::SymbolMarket, limit: usize) -> String {
    let model = m.model();
    let mut body = String::new();
    wire::depth_snapshot(
        &mut body,
        &m.fmt,
        model.update_id(),
        &model.levels(Side::Buy, limit),
        &model.levels(Side::Sell, limit),
    );
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decode_reads_symbols_list() {
        assert_eq!(
            percent_decode("%5B%22BTCUSDT%22,%22ETHUSDT%22%5D"),
            "[\"BTCUSDT\",\"ETHUSDT\"]"
        );
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn depth_weight_follows_binance_table() {
        assert_eq!(
            [1, 100, 101, 500, 501, 1000, 1001, 5000].map(depth_weight),
            [5, 5, 25, 25, 50, 50, 250, 250]
        );
    }
}
