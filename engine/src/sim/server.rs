//! The WebSocket side of the simulated venue, as Binance spot serves it
//! (<https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams>):
//!
//! - `/stream?streams=<s1>/<s2>` — combined streams, payloads wrapped as
//!   `{"stream":"<name>","data":<payload>}`; `/stream` alone starts with no stream;
//! - `/ws/<stream>` (or `/ws/<s1>/<s2>`, or `/ws`) — raw payloads;
//! - live control messages: `{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}` →
//!   `{"result":null,"id":1}`; also `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`,
//!   `SET_PROPERTY ["combined",true]`, `GET_PROPERTY ["combined"]`. Errors:
//!   `{"error":{"code":2,"msg":"Invalid request: ..."},"id":1}`, `code 3` for invalid JSON;
//! - on shutdown, `{"e":"serverShutdown","E":..}` (combined: stream `!serverShutdown`),
//!   then a Close frame;
//! - a ping every `ping_interval`; a connection that leaves one unanswered for `pong_timeout`
//!   is closed; client pings are answered with a pong carrying the same payload.
//!
//! An unknown path or stream in the URL is refused in the handshake with HTTP 400.

use super::faults::{self, DepthFaults};
use super::market::{KINDS, StreamKind, SymbolMarket, parse_stream};
use super::wire::Frame;
use super::{Published, Shared};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Bytes, Message};

/// At most this many streams per connection, as on Binance.
const MAX_STREAMS: usize = 1024;

/// Accepts WebSocket connections until `stop`, then waits for every connection to close.
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
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            },
            _ = super::stopped(&mut stop) => break,
        }
        while conns.try_join_next().is_some() {}
    }
    while conns.join_next().await.is_some() {}
}

/// What the handshake URL asked for.
#[derive(Debug, Default)]
struct Target {
    combined: bool,
    streams: Vec<(usize, StreamKind)>,
}

fn parse_target(
    markets: &[SymbolMarket],
    path: &str,
    query: Option<&str>,
) -> Result<Target, String> {
    let (combined, list) = if path == "/stream" || path == "/stream/" {
        let list = query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .find_map(|kv| kv.strip_prefix("streams="))
            .unwrap_or("");
        (true, list)
    } else if path == "/ws" || path == "/ws/" {
        (false, "")
    } else if let Some(rest) = path.strip_prefix("/ws/") {
        (false, rest)
    } else {
        return Err(format!(
            "unknown path {path:?}: use /stream?streams=.. or /ws/<stream>"
        ));
    };
    let mut streams = Vec::new();
    for name in list.split('/').filter(|s| !s.is_empty()) {
        let s = parse_stream(markets, name)?;
        if !streams.contains(&s) {
            streams.push(s);
        }
    }
    if streams.len() > MAX_STREAMS {
        return Err(format!("at most {MAX_STREAMS} streams per connection"));
    }
    Ok(Target { combined, streams })
}

/// A connection's subscriptions; releases the shared counts when dropped.
struct Subscriptions<'a> {
    markets: &'a [SymbolMarket],
    /// Per symbol, a bit per [`StreamKind::index`].
    masks: Vec<u16>,
    /// In subscription order, for `LIST_SUBSCRIPTIONS`.
    order: Vec<(usize, StreamKind)>,
}

impl<'a> Subscriptions<'a> {
    fn new(markets: &'a [SymbolMarket]) -> Self {
        Self {
            markets,
            masks: vec![0; markets.len()],
            order: Vec::new(),
        }
    }

    fn has(&self, symbol: usize, kind: StreamKind) -> bool {
        self.masks[symbol] & (1 << kind.index()) != 0
    }

    fn add(&mut self, symbol: usize, kind: StreamKind) {
        if !self.has(symbol, kind) {
            self.masks[symbol] |= 1 << kind.index();
            self.order.push((symbol, kind));
            self.markets[symbol].subscribe(kind);
        }
    }

    fn remove(&mut self, symbol: usize, kind: StreamKind) {
        if self.has(symbol, kind) {
            self.masks[symbol] &= !(1 << kind.index());
            self.order.retain(|&s| s != (symbol, kind));
            self.markets[symbol].unsubscribe(kind);
        }
    }
}

impl Drop for Subscriptions<'_> {
    fn drop(&mut self) {
        for (symbol, kind) in std::mem::take(&mut self.order) {
            self.markets[symbol].unsubscribe(kind);
        }
    }
}

struct ClientGauge<'a>(&'a Shared);

impl Drop for ClientGauge<'_> {
    fn drop(&mut self) {
        self.0.counters.clients.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn connection(shared: Arc<Shared>, tcp: TcpStream, stop: watch::Receiver<bool>) {
    let mut target = Err(String::new());
    // The error type is tungstenite's handshake callback signature, not ours to shrink.
    #[allow(clippy::result_large_err)]
    let callback = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        let uri = req.uri();
        target = parse_target(&shared.markets, uri.path(), uri.query());
        match &target {
            Ok(_) => Ok(resp),
            Err(msg) => {
                let mut r = ErrorResponse::new(Some(format!("Invalid request: {msg}")));
                *r.status_mut() = StatusCode::BAD_REQUEST;
                Err(r)
            }
        }
    };
    let Ok(ws) = tokio_tungstenite::accept_hdr_async(tcp, callback).await else {
        return;
    };
    let Ok(target) = target else { return };
    shared.counters.connections.fetch_add(1, Ordering::Relaxed);
    shared.counters.clients.fetch_add(1, Ordering::Relaxed);
    let _gauge = ClientGauge(&shared);
    let mut conn = Conn {
        shared: &shared,
        subs: Subscriptions::new(&shared.markets),
        combined: target.combined,
        faults: DepthFaults::default(),
        stalled: false,
        out: Vec::new(),
    };
    for (s, k) in target.streams {
        conn.subs.add(s, k);
    }
    let rx = shared.tx.subscribe();
    conn.serve(ws, rx, stop).await;
}

struct Conn<'a> {
    shared: &'a Shared,
    subs: Subscriptions<'a>,
    combined: bool,
    faults: DepthFaults,
    stalled: bool,
    out: Vec<Arc<Frame>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    Disconnect,
    StallStart,
    StallEnd,
}

type Ws = WebSocketStream<TcpStream>;

impl Conn<'_> {
    async fn serve(
        &mut self,
        mut ws: Ws,
        mut rx: broadcast::Receiver<Arc<Published>>,
        mut stop: watch::Receiver<bool>,
    ) {
        let config = &self.shared.config;
        let opened = Instant::now();
        let mut timers: Vec<(Instant, Timer)> = Vec::new();
        if let Some(d) = config.faults.disconnect_every {
            timers.push((opened + d, Timer::Disconnect));
        }
        if let Some(s) = config.faults.stall {
            timers.push((opened + s.after, Timer::StallStart));
            timers.push((opened + s.after + s.duration, Timer::StallEnd));
        }
        let mut ping =
            tokio::time::interval_at(opened + config.ping_interval, config.ping_interval);
        let mut unanswered: Option<Instant> = None;
        let mut ping_seq: u64 = 0;
        loop {
            let next_timer = timers.iter().min_by_key(|t| t.0).copied();
            let far = opened + std::time::Duration::from_secs(86_400 * 365);
            let timer_at = next_timer.map_or(far, |t| t.0);
            tokio::select! {
                biased;
                _ = super::stopped(&mut stop) => {
                    // Binance announces a shutdown before it closes the connection.
                    let event = format!("{{\"e\":\"serverShutdown\",\"E\":{}}}", super::now_ms());
                    let text = if self.combined {
                        format!("{{\"stream\":\"!serverShutdown\",\"data\":{event}}}")
                    } else {
                        event
                    };
                    let _ = ws.send(Message::text(text)).await;
                    close(&mut ws, CloseCode::Away, "server shutdown").await;
                    return;
                }
                _ = tokio::time::sleep_until(timer_at), if next_timer.is_some() => {
                    timers.retain(|t| t.0 != timer_at);
                    match next_timer.map(|t| t.1) {
                        Some(Timer::Disconnect) => {
                            faults::bump(&self.shared.faults.disconnects);
                            close(&mut ws, CloseCode::Away, "disconnect fault").await;
                            return;
                        }
                        Some(Timer::StallStart) => {
                            faults::bump(&self.shared.faults.stalls);
                            self.stalled = true;
                        }
                        Some(Timer::StallEnd) | None => self.stalled = false,
                    }
                }
                _ = ping.tick() => {
                    if unanswered.is_some_and(|t| t.elapsed() >= config.pong_timeout) {
                        close(&mut ws, CloseCode::Policy, "pong timeout").await;
                        return;
                    }
                    ping_seq += 1;
                    unanswered.get_or_insert_with(Instant::now);
                    let payload = Bytes::from(ping_seq.to_string().into_bytes());
                    if ws.send(Message::Ping(payload)).await.is_err() {
                        return;
                    }
                }
                m = ws.next() => match m {
                    Some(Ok(Message::Text(t))) => {
                        let reply = self.control(t.as_str());
                        if ws.send(Message::text(reply)).await.is_err() {
                            return;
                        }
                    }
                    // tungstenite queued the pong; push it out now.
                    Some(Ok(Message::Ping(_))) => {
                        if ws.flush().await.is_err() {
                            return;
                        }
                    }
                    Some(Ok(Message::Pong(_))) => unanswered = None,
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                    Some(Ok(_)) => {}
                },
                r = rx.recv() => match r {
                    Ok(p) => {
                        self.route(&p);
                        // Drain what is already queued, then send it in one flush.
                        for _ in 0..1024 {
                            match rx.try_recv() {
                                Ok(p) => self.route(&p),
                                Err(broadcast::error::TryRecvError::Lagged(_)) => {
                                    self.slow(&mut ws).await;
                                    return;
                                }
                                Err(_) => break,
                            }
                        }
                        if self.flush(&mut ws).await.is_err() {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        self.slow(&mut ws).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    }

    async fn slow(&self, ws: &mut Ws) {
        self.shared
            .counters
            .slow_disconnects
            .fetch_add(1, Ordering::Relaxed);
        close(ws, CloseCode::Policy, "client too slow").await;
    }

    fn route(&mut self, p: &Published) {
        if !self.subs.has(p.symbol, p.kind) {
            return;
        }
        if self.stalled {
            faults::bump(&self.shared.faults.stalled_messages);
            return;
        }
        if p.kind.is_diff() {
            let key = u32::try_from(p.symbol * KINDS + p.kind.index()).unwrap_or(u32::MAX);
            self.faults.on_depth(
                (key, Arc::clone(&p.frame)),
                &self.shared.config.faults,
                &self.shared.faults,
                &mut self.out,
            );
        } else {
            self.out.push(Arc::clone(&p.frame));
        }
    }

    async fn flush(&mut self, ws: &mut Ws) -> Result<(), ()> {
        if self.out.is_empty() {
            return Ok(());
        }
        let n = self.out.len() as u64;
        for f in self.out.drain(..) {
            let text = if self.combined { f.combined() } else { f.raw() };
            ws.feed(Message::text(text.to_owned()))
                .await
                .map_err(|_| ())?;
        }
        ws.flush().await.map_err(|_| ())?;
        self.shared
            .counters
            .messages_sent
            .fetch_add(n, Ordering::Relaxed);
        Ok(())
    }

    /// Answers one control message.
    fn control(&mut self, text: &str) -> String {
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
                    match parse_stream(&self.shared.markets, name) {
                        Ok(s) => parsed.push(s),
                        Err(msg) => return error(2, &format!("Invalid request: {msg}"), &id),
                    }
                }
                if method == "SUBSCRIBE" {
                    let new = parsed.iter().filter(|s| !self.subs.has(s.0, s.1)).count();
                    if self.subs.order.len() + new > MAX_STREAMS {
                        return error(2, "Invalid request: too many streams", &id);
                    }
                    parsed.into_iter().for_each(|(s, k)| self.subs.add(s, k));
                } else {
                    parsed.into_iter().for_each(|(s, k)| self.subs.remove(s, k));
                }
                ok(&Value::Null, &id)
            }
            "LIST_SUBSCRIPTIONS" => {
                let names: Vec<&str> = self
                    .subs
                    .order
                    .iter()
                    .map(|&(s, k)| self.shared.markets[s].stream_name(k))
                    .collect();
                ok(&json!(names), &id)
            }
            "SET_PROPERTY" => match (params.first().and_then(Value::as_str), params.get(1)) {
                (Some("combined"), Some(Value::Bool(b))) => {
                    self.combined = *b;
                    ok(&Value::Null, &id)
                }
                (Some("combined"), _) => error(1, "Invalid value type: expected Boolean", &id),
                _ => error(0, "Unknown property", &id),
            },
            "GET_PROPERTY" => match params.first().and_then(Value::as_str) {
                Some("combined") => ok(&Value::Bool(self.combined), &id),
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

async fn close(ws: &mut Ws, code: CloseCode, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.to_owned().into(),
    };
    let _ = ws.send(Message::Close(Some(frame))).await;
    let _ = ws.flush().await;
    // Give the client a moment to answer the close, then drop the socket either way.
    let _ = tokio::time::timeout(std::time::Duration::from_millis(200), async {
        while let Some(Ok(m)) = ws.next().await {
            if m.is_close() {
                break;
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{SimConfig, SymbolMarket};

    fn markets() -> Vec<SymbolMarket> {
        let c = SimConfig::default();
        c.symbols
            .iter()
            .enumerate()
            .map(|(i, s)| SymbolMarket::new(i, s, &c, 100.0).unwrap())
            .collect()
    }

    #[test]
    fn parse_target_reads_combined_and_raw_paths() {
        let m = markets();
        let t = parse_target(
            &m,
            "/stream",
            Some("streams=btcusdt@depth@100ms/ethusdt@trade"),
        )
        .unwrap();
        assert!(t.combined);
        assert_eq!(
            t.streams,
            [(0, StreamKind::Depth100), (1, StreamKind::Trade)]
        );
        let t = parse_target(&m, "/ws/btcusdt@bookTicker", None).unwrap();
        assert!(!t.combined);
        assert_eq!(t.streams, [(0, StreamKind::BookTicker)]);
        assert!(parse_target(&m, "/ws", None).unwrap().streams.is_empty());
        let t = parse_target(&m, "/ws/btcusdt@depth10@100ms", None).unwrap();
        assert_eq!(
            t.streams,
            [(
                0,
                StreamKind::Partial {
                    levels: 10,
                    fast: true
                }
            )]
        );
    }

    #[test]
    fn parse_target_refuses_unknown_path_symbol_and_stream() {
        let m = markets();
        assert!(parse_target(&m, "/foo", None).is_err());
        assert!(parse_target(&m, "/ws/dogeusdt@trade", None).is_err());
        assert!(parse_target(&m, "/ws/btcusdt@kline_1m", None).is_err());
        assert!(parse_target(&m, "/ws/BTCUSDT@trade", None).is_err());
    }
}
