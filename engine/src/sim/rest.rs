//! The REST side of the simulated venue: a small HTTP/1.1 server (keep-alive, `GET` only) that
//! charges every request's weight to a per-window budget and injects REST faults. Which paths
//! exist, their weights and their bodies are the venue's: see [`Encoder`](super::encode::Encoder)
//! (Binance: `encode/binance/rest.rs`).
//!
//! Every answer reports the used weight in the venue's headers. Past the weight limit of the
//! current window the answer is the venue's HTTP 429 with `Retry-After` (seconds to the next
//! window).

use super::faults;
use super::{Shared, now_ms};
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
             Content-Length: {}\r\n",
            reply.status,
            reason(reply.status),
            reply.body.len(),
        );
        for (name, value) in &reply.headers {
            let _ = write!(out, "{name}: {value}\r\n");
        }
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

/// An HTTP answer: status, JSON body and the headers the venue adds.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: String,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) retry_after: Option<u64>,
    pub(crate) close: bool,
}

/// An answer with no extra headers.
pub(crate) fn reply(status: u16, body: String) -> Reply {
    Reply {
        status,
        body,
        headers: Vec::new(),
        retry_after: None,
        close: false,
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
    let enc = &shared.encoder;
    let weight = match enc.rest_weight(&head.method, &head.path, &head.query) {
        Ok(w) => w,
        Err(mut r) => {
            r.headers.extend(enc.weight_headers(0));
            return r;
        }
    };
    let config = &shared.config;
    let (used, retry_after) = charge(shared, weight);
    let faults = &config.faults;
    let every = |e: Option<u64>| e.is_some_and(|k| n.is_multiple_of(k));
    let mut out = if take_one(&shared.counters.forced_418) || every(faults.rest_418_every) {
        faults::bump(&shared.faults.rest_418);
        enc.banned(now_ms() + 120_000)
    } else if take_one(&shared.counters.forced_429) || every(faults.rest_429_every) {
        faults::bump(&shared.faults.rest_429);
        enc.too_many_requests(config.weight_limit, retry_after)
    } else if used > config.weight_limit {
        shared
            .counters
            .rest_rate_limited
            .fetch_add(1, Ordering::Relaxed);
        enc.too_many_requests(config.weight_limit, retry_after)
    } else {
        enc.rest_answer(shared, &head.path, &head.query)
    };
    out.headers.extend(enc.weight_headers(used));
    out
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
}
