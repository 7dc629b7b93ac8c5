//! The WebSocket side of the simulated venue: handshake routing, subscriptions, fan-out of the
//! published frames with per-connection faults, pings and shutdown. What the paths and stream
//! names mean, the control-message protocol and the shutdown notice are the venue's
//! ([`Encoder`](super::encode::Encoder)); on Binance:
//!
//! - `/stream?streams=<s1>/<s2>` — combined streams, payloads wrapped as
//!   `{"stream":"<name>","data":<payload>}`; `/stream` alone starts with no stream;
//! - `/ws/<stream>` (or `/ws/<s1>/<s2>`, or `/ws`) — raw payloads; USD-M serves both under
//!   `/public` (depth, bookTicker) and `/market` (trades);
//! - live control messages: `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`,
//!   `SET_PROPERTY ["combined",true]`, `GET_PROPERTY ["combined"]`.
//!
//! On Bybit (`/v5/public/<category>`) and OKX (`/ws/v5/public`) the URL carries no stream: a
//! client subscribes by message, and each new book-topic subscription is answered with the
//! venue's ack, then the topic's snapshot ([`Session::resnapshot`]); the topic's messages the
//! connection had queued from before its snapshot are skipped.
//!
//! Every venue: a ping every `ping_interval`; a connection that leaves one unanswered for
//! `pong_timeout` is closed; client pings are answered with a pong carrying the same payload.
//! An unknown path or stream in the URL is refused in the handshake with HTTP 400.
//! [`SimHandle::disconnect_all`](super::SimHandle::disconnect_all) closes every open
//! connection at once.

use super::encode::Frame;
use super::faults::{self, DepthFaults};
use super::market::SymbolMarket;
use super::numbering::Sequence;
use super::stream::{KINDS, StreamKind};
use super::{Published, Shared};
use futures_util::{SinkExt as _, StreamExt as _};
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
    allowed: u32,
    silent: bool,
}

fn parse_target(shared: &Shared, path: &str, query: Option<&str>) -> Result<Target, String> {
    let route = shared.encoder.ws_route(path, query)?;
    let mut streams = Vec::new();
    for name in &route.names {
        let s = resolve(shared, route.allowed, name)?;
        if !streams.contains(&s) {
            streams.push(s);
        }
    }
    let max = shared.encoder.max_streams();
    if streams.len() > max {
        return Err(format!("at most {max} streams per connection"));
    }
    Ok(Target {
        combined: route.combined,
        streams,
        allowed: route.allowed,
        silent: route.silent,
    })
}

/// Resolves a stream name to `(symbol index, kind)`, or says why not.
fn resolve(shared: &Shared, allowed: u32, name: &str) -> Result<(usize, StreamKind), String> {
    let (key, kind) = shared.encoder.parse_stream(name)?;
    let Some(index) = shared.markets.iter().position(|m| m.wire.key == key) else {
        return Err(format!("unknown symbol in stream {name:?}"));
    };
    if allowed & kind.bit() == 0 {
        return Err(format!(
            "stream {name:?} is not served on this connection's path"
        ));
    }
    Ok((index, kind))
}

/// A connection's subscriptions; releases the shared counts when dropped.
struct Subscriptions<'a> {
    markets: &'a [SymbolMarket],
    /// Per symbol, a bit per [`StreamKind::index`].
    masks: Vec<u32>,
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
        self.masks[symbol] & kind.bit() != 0
    }

    fn add(&mut self, symbol: usize, kind: StreamKind) {
        if !self.has(symbol, kind) {
            self.masks[symbol] |= kind.bit();
            self.order.push((symbol, kind));
            self.markets[symbol].subscribe(kind);
        }
    }

    fn remove(&mut self, symbol: usize, kind: StreamKind) {
        if self.has(symbol, kind) {
            self.masks[symbol] &= !kind.bit();
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

/// One connection's subscriptions and settings, as a venue's control messages see them.
pub(crate) struct Session<'a> {
    shared: &'a Shared,
    subs: Subscriptions<'a>,
    combined: bool,
    /// Stream kinds its path may carry.
    allowed: u32,
    /// The connection's number (1, 2, ...), for the venue's connection ids.
    id: u64,
    /// Snapshots of new book-topic subscriptions, sent after the reply.
    pending: Vec<Arc<Frame>>,
    /// Per symbol and kind, the book topic's publish number at the subscription's snapshot.
    floors: Vec<u64>,
    /// The connection asked for the venue's heartbeats ([`Encoder::heartbeat_every`]).
    heartbeats: bool,
}

impl Session<'_> {
    /// Resolves a stream name to `(symbol index, kind)` on this connection, or says why not.
    pub(crate) fn resolve(&self, name: &str) -> Result<(usize, StreamKind), String> {
        resolve(self.shared, self.allowed, name)
    }

    /// True if the connection carries the stream.
    pub(crate) fn is_subscribed(&self, (symbol, kind): (usize, StreamKind)) -> bool {
        self.subs.has(symbol, kind)
    }

    /// Adds a stream (no-op if present). A book topic starts with its snapshot, sent after
    /// the reply (see [`Session::resnapshot`]).
    pub(crate) fn subscribe(&mut self, (symbol, kind): (usize, StreamKind)) {
        if !self.subs.has(symbol, kind) {
            self.subs.add(symbol, kind);
            self.resnapshot((symbol, kind));
        }
    }

    /// Queues a fresh snapshot of a book topic the connection carries (the venue answers a
    /// subscription with one); the topic's messages up to it are skipped.
    pub(crate) fn resnapshot(&mut self, (symbol, kind): (usize, StreamKind)) {
        let StreamKind::Book(topic) = kind else {
            return;
        };
        let market = &self.shared.markets[symbol];
        let t = market.book_snapshot(topic, &self.shared.encoder);
        self.floors[symbol * KINDS + kind.index()] = t.number;
        let encoder = &self.shared.encoder;
        if self.shared.config.stream_snapshots || !encoder.may_omit_snapshot(topic) {
            self.pending.push(Arc::new(t.frame));
        }
    }

    /// The connection's number (1 for the first one accepted).
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Removes a stream (no-op if absent).
    pub(crate) fn unsubscribe(&mut self, (symbol, kind): (usize, StreamKind)) {
        self.subs.remove(symbol, kind);
    }

    /// Streams carried now.
    pub(crate) fn count(&self) -> usize {
        self.subs.order.len()
    }

    /// Most streams a connection may carry.
    pub(crate) fn max_streams(&self) -> usize {
        self.shared.encoder.max_streams()
    }

    /// The names of the streams carried, in subscription order.
    pub(crate) fn names(&self) -> Vec<&str> {
        self.subs
            .order
            .iter()
            .map(|&(s, k)| self.shared.markets[s].wire.name(k))
            .collect()
    }

    /// Turns the venue's heartbeats on or off for this connection.
    pub(crate) fn set_heartbeats(&mut self, on: bool) {
        self.heartbeats = on;
    }

    /// True if the connection gets the venue's heartbeats.
    pub(crate) fn heartbeats(&self) -> bool {
        self.heartbeats
    }

    /// Combined-stream envelopes (else raw payloads).
    pub(crate) fn combined(&self) -> bool {
        self.combined
    }

    /// Switches envelopes on or off.
    pub(crate) fn set_combined(&mut self, combined: bool) {
        self.combined = combined;
    }
}

async fn connection(shared: Arc<Shared>, tcp: TcpStream, stop: watch::Receiver<bool>) {
    let mut target = Err(String::new());
    // The error type is tungstenite's handshake callback signature, not ours to shrink.
    #[allow(clippy::result_large_err)]
    let callback = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        let uri = req.uri();
        target = parse_target(&shared, uri.path(), uri.query());
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
    let id = shared.counters.connections.fetch_add(1, Ordering::Relaxed) + 1;
    shared.counters.clients.fetch_add(1, Ordering::Relaxed);
    let _gauge = ClientGauge(&shared);
    let mut conn = Conn {
        shared: &shared,
        session: Session {
            shared: &shared,
            subs: Subscriptions::new(&shared.markets),
            combined: target.combined,
            allowed: target.allowed,
            id,
            pending: Vec::new(),
            floors: vec![0; shared.markets.len() * KINDS],
            heartbeats: false,
        },
        silent: target.silent,
        faults: DepthFaults::default(),
        stalled: false,
        out: Vec::new(),
        seq: Sequence::default(),
    };
    for (s, k) in target.streams {
        conn.session.subscribe((s, k));
    }
    let rx = shared.tx.subscribe();
    let kick = shared.kick.subscribe();
    conn.serve(ws, rx, stop, kick).await;
}

struct Conn<'a> {
    shared: &'a Shared,
    session: Session<'a>,
    /// A retired endpoint: accepted, never sends data.
    silent: bool,
    faults: DepthFaults,
    stalled: bool,
    out: Vec<Arc<Frame>>,
    seq: Sequence,
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
        mut kick: watch::Receiver<u64>,
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
        let beat_every = self.shared.encoder.heartbeat_every();
        let mut beat =
            tokio::time::interval(beat_every.unwrap_or(std::time::Duration::from_secs(3600)));
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let next_timer = timers.iter().min_by_key(|t| t.0).copied();
            let far = opened + std::time::Duration::from_secs(86_400 * 365);
            let timer_at = next_timer.map_or(far, |t| t.0);
            tokio::select! {
                biased;
                _ = super::stopped(&mut stop) => {
                    let notice = self
                        .shared
                        .encoder
                        .shutdown_notice(self.session.combined, super::now_ms());
                    if let Some(text) = notice {
                        let _ = ws.send(Message::text(text)).await;
                    }
                    close(&mut ws, CloseCode::Away, "server shutdown").await;
                    return;
                }
                // Every change is one `SimHandle::disconnect_all` (the sender lives as long as
                // `Shared`, which this connection holds).
                _ = kick.changed() => {
                    faults::bump(&self.shared.faults.disconnects);
                    close(&mut ws, CloseCode::Away, "disconnect fault").await;
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
                _ = beat.tick(), if beat_every.is_some() && self.session.heartbeats && !self.stalled => {
                    self.seq.beats += 1;
                    if let Some(text) = self.shared.encoder.heartbeat(self.seq.beats, super::now_ms()) {
                        let text = self.numbered(text);
                        if ws.send(Message::text(text)).await.is_err() {
                            return;
                        }
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
                        let mut replies = Vec::new();
                        self.shared
                            .encoder
                            .control(t.as_str(), &mut self.session, &mut replies);
                        for reply in replies {
                            let reply = self.numbered(reply);
                            if ws.feed(Message::text(reply)).await.is_err() {
                                return;
                            }
                        }
                        for f in std::mem::take(&mut self.session.pending) {
                            let text = self.numbered(f.combined().to_owned());
                            if ws.feed(Message::text(text)).await.is_err() {
                                return;
                            }
                        }
                        if ws.flush().await.is_err() {
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
        if self.silent || !self.session.subs.has(p.symbol, p.kind) {
            return;
        }
        if self.stalled {
            faults::bump(&self.shared.faults.stalled_messages);
            return;
        }
        let key = p.symbol * KINDS + p.kind.index();
        if p.number != 0 && p.number <= self.session.floors[key] {
            // Sent before the snapshot this connection started the topic with.
            return;
        }
        // Numbered before the depth faults: a dropped message leaves a gap in the numbers,
        // as on the venue.
        let frame = if self.shared.encoder.stamps_sequence() {
            let text = self.numbered(p.frame.combined().to_owned());
            Arc::new(Frame::plain(|o| o.push_str(&text)))
        } else {
            Arc::clone(&p.frame)
        };
        if p.faultable {
            if take_one(&self.shared.counters.forced_drops) {
                faults::bump(&self.shared.faults.dropped);
                return;
            }
            let key = u32::try_from(key).unwrap_or(u32::MAX);
            self.faults.on_depth(
                (key, frame),
                &self.shared.config.faults,
                &self.shared.faults,
                &mut self.out,
            );
        } else {
            self.out.push(frame);
        }
    }

    /// `text` with the connection's next number ([`Sequence::number`]).
    fn numbered(&mut self, text: String) -> String {
        let shared = self.shared;
        self.seq.number(
            &shared.encoder,
            shared.config.faults.seq_break_every,
            &shared.faults.seq_breaks,
            text,
        )
    }

    async fn flush(&mut self, ws: &mut Ws) -> Result<(), ()> {
        if self.out.is_empty() {
            return Ok(());
        }
        let n = self.out.len() as u64;
        for f in self.out.drain(..) {
            let text = if self.session.combined {
                f.combined()
            } else {
                f.raw()
            };
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
}

fn take_one(counter: &std::sync::atomic::AtomicU64) -> bool {
    counter
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| v.checked_sub(1))
        .is_ok()
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
    use crate::feed::Venue;
    use crate::sim::SimConfig;
    use crate::sim::stream::Window;

    fn shared(venue: Venue) -> Shared {
        Shared::new(SimConfig::for_venue(venue).unwrap()).unwrap()
    }

    #[test]
    fn parse_target_reads_combined_and_raw_paths() {
        let m = shared(Venue::BinanceSpot);
        let t = parse_target(
            &m,
            "/stream",
            Some("streams=btcusdt@depth@100ms/ethusdt@trade"),
        )
        .unwrap();
        assert!(t.combined && !t.silent);
        assert_eq!(
            t.streams,
            [(0, StreamKind::Diff(Window::Ms100)), (1, StreamKind::Trade)]
        );
        let t = parse_target(&m, "/ws/btcusdt@bookTicker", None).unwrap();
        assert!(!t.combined);
        assert_eq!(t.streams, [(0, StreamKind::BookTicker)]);
        assert!(parse_target(&m, "/ws", None).unwrap().streams.is_empty());
        let t = parse_target(&m, "/ws/btcusdt@depth10@100ms/btcusdt@depth", None).unwrap();
        assert_eq!(
            t.streams,
            [
                (
                    0,
                    StreamKind::Partial {
                        levels: 10,
                        window: Window::Ms100
                    }
                ),
                (0, StreamKind::Diff(Window::Ms1000))
            ]
        );
    }

    #[test]
    fn parse_target_refuses_unknown_path_symbol_and_stream() {
        let m = shared(Venue::BinanceSpot);
        assert!(parse_target(&m, "/foo", None).is_err());
        assert!(parse_target(&m, "/ws/dogeusdt@trade", None).is_err());
        assert!(parse_target(&m, "/ws/btcusdt@kline_1m", None).is_err());
        assert!(parse_target(&m, "/ws/BTCUSDT@trade", None).is_err());
        assert!(parse_target(&m, "/ws/btcusdt@depth@500ms", None).is_err());
        assert!(parse_target(&m, "/public/stream", None).is_err());
    }

    #[test]
    fn parse_target_usdm_serves_depth_on_public_trades_on_market_and_legacy_silently() {
        let m = shared(Venue::BinanceUsdm);
        let t = parse_target(
            &m,
            "/public/stream",
            Some("streams=btcusdt@depth@100ms/btcusdt@bookTicker/ethusdt@depth"),
        )
        .unwrap();
        assert!(t.combined && !t.silent);
        assert_eq!(
            t.streams,
            [
                (0, StreamKind::Diff(Window::Ms100)),
                (0, StreamKind::BookTicker),
                (1, StreamKind::Diff(Window::Ms250))
            ]
        );
        let t = parse_target(&m, "/market/ws/btcusdt@trade/btcusdt@aggTrade", None).unwrap();
        assert!(!t.combined);
        assert_eq!(
            t.streams,
            [(0, StreamKind::Trade), (0, StreamKind::AggTrade)]
        );
        let err = parse_target(&m, "/public/ws/btcusdt@trade", None).unwrap_err();
        assert!(
            err.contains("not served on this connection's path"),
            "{err}"
        );
        assert!(parse_target(&m, "/market/stream", Some("streams=btcusdt@depth")).is_err());
        let legacy = parse_target(&m, "/stream", Some("streams=btcusdt@depth@100ms")).unwrap();
        assert!(
            legacy.silent,
            "the retired endpoint accepts and stays silent"
        );
        assert!(parse_target(&m, "/fapi/stream", None).is_err());
    }
}
