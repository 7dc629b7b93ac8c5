//! One supervised WebSocket connection: connect, send the venue's subscriptions, read, answer
//! pings (and send the venue's own keep-alive where it wants one), watch for silence, reconnect
//! with backoff. Venue-agnostic: what to send comes from the venue's connection plan
//! ([`PlannedConn`](super::PlannedConn)); frames go to the feed's core task with the time they
//! were read; the core decodes them.
//!
//! The receive timestamp is taken right after the frame is read from the socket, before
//! anything else touches it. Pings are answered with the same payload by tungstenite, which
//! queues the pong and writes it on the next read or flush: this task reads continuously and
//! flushes after every ping.
//!
//! A message over the venue's limit ([`MAX_WS_MESSAGE_BYTES`](super::MAX_WS_MESSAGE_BYTES) unless
//! it says otherwise: `LiveVenue::max_message_bytes`) ends the connection like
//! any read error ([`FeedError::MessageTooLarge`], counted as `oversized`), and it is reopened
//! after the backoff delay.

use super::adapter::{FrameSigner, KeepAlive};
use super::backoff::{Backoff, BackoffConfig};
use super::net::{connect_ws, read_error};
use super::status::Counter;
use super::watchdog::Watchdog;
use super::{FeedError, FeedStatus};
use crate::clock::Clock;
use futures_util::{SinkExt, StreamExt};
use ladder_sdk::UnixNanos;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_rustls::rustls::ClientConfig;
use tokio_tungstenite::tungstenite::{Bytes, Message};

/// What a connection reports to the core.
#[derive(Debug)]
pub(crate) enum ConnEvent {
    /// A connection attempt starts.
    Connecting { conn: usize },
    /// The WebSocket is open.
    Connected { conn: usize },
    /// A data frame, read at `ts_recv`.
    Frame {
        conn: usize,
        ts_recv: UnixNanos,
        data: Bytes,
    },
    /// The attempt failed or the connection ended; `error` says why unless the core asked
    /// for the restart.
    Down {
        conn: usize,
        error: Option<FeedError>,
    },
}

/// What the core asks of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// Reconnect at once (the venue announced a shutdown).
    RestartNow,
    /// Reconnect after the backoff delay (the venue rejected the subscription).
    RestartAfterBackoff,
    /// Send a text frame on the open connection (a venue's resubscription of one instrument);
    /// dropped when the connection is not open (its reopening subscribes everything anew).
    Send(String),
}

/// Settings of one connection.
#[derive(Debug, Clone)]
pub(crate) struct ConnParams {
    pub(crate) conn: usize,
    /// Full URL, stream list included.
    pub(crate) url: String,
    /// Text frames sent right after each open.
    pub(crate) subscribe: Vec<String>,
    pub(crate) keep_alive: KeepAlive,
    /// Signs subscriptions and resubscriptions as they are sent (never logged signed).
    pub(crate) signer: Option<Arc<dyn FrameSigner>>,
    /// The largest message (and frame) read ([`LiveVenue::max_message_bytes`]).
    ///
    /// [`LiveVenue::max_message_bytes`]: super::LiveVenue::max_message_bytes
    pub(crate) max_message: usize,
    pub(crate) tls: Arc<ClientConfig>,
    pub(crate) watchdog: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) backoff: BackoffConfig,
    pub(crate) seed: u64,
    pub(crate) clock: Clock,
}

enum Next {
    Immediately,
    AfterBackoff,
}

/// Runs the connection until the core goes away.
pub(crate) async fn run_connection(
    p: ConnParams,
    events: mpsc::Sender<ConnEvent>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    status: Arc<FeedStatus>,
) {
    let conn = p.conn;
    let mut backoff = Backoff::new(p.backoff, p.seed);
    loop {
        if events.send(ConnEvent::Connecting { conn }).await.is_err() {
            return;
        }
        let next = match connect_ws(&p.url, &p.tls, p.connect_timeout, p.max_message).await {
            Err(error) => {
                if events
                    .send(ConnEvent::Down {
                        conn,
                        error: Some(error),
                    })
                    .await
                    .is_err()
                {
                    return;
                }
                Next::AfterBackoff
            }
            Ok(mut ws) => {
                // Commands meant for the previous connection.
                while commands.try_recv().is_ok() {}
                if events.send(ConnEvent::Connected { conn }).await.is_err() {
                    return;
                }
                let (error, next) = pump(&p, &mut ws, &events, &mut commands, &mut backoff).await;
                if let Some(FeedError::MessageTooLarge { .. }) = error {
                    status.count(Counter::Oversized);
                }
                let _ = tokio::time::timeout(Duration::from_millis(200), ws.close(None)).await;
                if events.send(ConnEvent::Down { conn, error }).await.is_err() {
                    return;
                }
                next
            }
        };
        if let Next::AfterBackoff = next {
            let delay = backoff.next_delay();
            status.note_backoff(conn, delay);
            tokio::time::sleep(delay).await;
        }
    }
}

/// Sends the subscriptions, then reads until the connection ends; returns why and how to go
/// on.
async fn pump(
    p: &ConnParams,
    ws: &mut super::net::WsStream,
    events: &mpsc::Sender<ConnEvent>,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    backoff: &mut Backoff,
) -> (Option<FeedError>, Next) {
    let conn = p.conn;
    let url = || p.url.clone();
    let ws_error = |e| {
        Some(FeedError::WebSocket {
            url: url(),
            source: Box::new(e),
        })
    };
    for text in &p.subscribe {
        tracing::info!(url = %p.url, message = %text, "subscribe");
        let signed = match signed(p, text) {
            Ok(t) => t,
            Err(e) => return (Some(e), Next::AfterBackoff),
        };
        if let Err(e) = ws.send(Message::text(signed)).await {
            return (ws_error(e), Next::AfterBackoff);
        }
    }
    let mut dog = Watchdog::new(p.watchdog, Instant::now());
    let mut keep_alive = match &p.keep_alive {
        KeepAlive::AnswerPings => None,
        KeepAlive::Send { every, message } => {
            let every = (*every).max(Duration::from_millis(1));
            Some((
                tokio::time::interval_at(Instant::now() + every, every),
                message,
            ))
        }
    };
    let mut fed = false;
    loop {
        let msg = tokio::select! {
            biased;
            c = commands.recv() => match c {
                Some(Command::RestartAfterBackoff) => return (None, Next::AfterBackoff),
                Some(Command::RestartNow) | None => return (None, Next::Immediately),
                Some(Command::Send(text)) => {
                    tracing::info!(url = %p.url, message = %text, "resubscribe");
                    let signed = match signed(p, &text) {
                        Ok(t) => t,
                        Err(e) => return (Some(e), Next::AfterBackoff),
                    };
                    if let Err(e) = ws.send(Message::text(signed)).await {
                        return (ws_error(e), Next::AfterBackoff);
                    }
                    continue;
                }
            },
            msg = ws.next() => msg,
            () = tokio::time::sleep_until(dog.deadline()) => {
                return (Some(FeedError::Silent { url: url(), after: dog.limit() }), Next::AfterBackoff);
            }
            text = next_keep_alive(&mut keep_alive), if keep_alive.is_some() => {
                if let Err(e) = ws.send(Message::text(text)).await {
                    return (ws_error(e), Next::AfterBackoff);
                }
                continue;
            }
        };
        let data = match msg {
            Some(Ok(Message::Text(t))) => Bytes::from(t),
            Some(Ok(Message::Binary(b))) => b,
            Some(Ok(Message::Ping(_))) => {
                // tungstenite queued the pong (same payload); write it now.
                if let Err(e) = ws.flush().await {
                    return (ws_error(e), Next::AfterBackoff);
                }
                continue;
            }
            Some(Ok(Message::Pong(_) | Message::Frame(_))) => continue,
            Some(Ok(Message::Close(frame))) => {
                let detail = frame.map_or_else(
                    || "close frame without a reason".to_owned(),
                    |f| format!("close code {} {:?}", u16::from(f.code), f.reason.as_str()),
                );
                return (
                    Some(FeedError::Closed { url: url(), detail }),
                    Next::AfterBackoff,
                );
            }
            Some(Err(e)) => return (Some(read_error(&p.url, e)), Next::AfterBackoff),
            None => {
                let detail = "the stream ended".to_owned();
                return (
                    Some(FeedError::Closed { url: url(), detail }),
                    Next::AfterBackoff,
                );
            }
        };
        let ts_recv = p.clock.now();
        dog.feed(Instant::now());
        if !fed {
            // Data flows: the next outage starts from the shortest delay.
            fed = true;
            backoff.reset();
        }
        if events
            .send(ConnEvent::Frame {
                conn,
                ts_recv,
                data,
            })
            .await
            .is_err()
        {
            return (None, Next::Immediately);
        }
    }
}

/// `text` as it goes on the wire: signed when the venue signs its requests.
fn signed(p: &ConnParams, text: &str) -> Result<String, FeedError> {
    match &p.signer {
        Some(s) => s.sign(text),
        None => Ok(text.to_owned()),
    }
}

/// The next keep-alive message to send; never ready when the venue pings instead.
async fn next_keep_alive(keep_alive: &mut Option<(tokio::time::Interval, &String)>) -> String {
    match keep_alive {
        Some((every, message)) => {
            every.tick().await;
            (*message).clone()
        }
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::Venue;
    use crate::feed::live::net::tls_config;
    use tokio::time::timeout;

    /// A WebSocket server on 127.0.0.1 that reports every text frame it receives.
    async fn text_server() -> (String, mpsc::UnboundedReceiver<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/ws", listener.local_addr().unwrap());
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let (s, _) = listener.accept().await.unwrap();
            let mut ws = tokio_tungstenite::accept_async(s).await.unwrap();
            while let Some(Ok(m)) = ws.next().await {
                if let Message::Text(t) = m
                    && tx.send(t.to_string()).is_err()
                {
                    return;
                }
            }
        });
        (url, rx)
    }

    async fn next(received: &mut mpsc::UnboundedReceiver<String>) -> String {
        timeout(Duration::from_secs(5), received.recv())
            .await
            .expect("a frame within 5 s")
            .expect("server up")
    }

    #[tokio::test]
    async fn connection_sends_subscriptions_on_open_then_keep_alive_and_commanded_frames() {
        let (url, mut received) = text_server().await;
        let (events_tx, mut events) = mpsc::channel(64);
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let status = Arc::new(FeedStatus::new(
            Venue::BinanceSpot,
            Vec::new(),
            vec![(url.clone(), Vec::new())],
        ));
        let params = ConnParams {
            conn: 0,
            url,
            subscribe: vec!["sub a".into(), "sub b".into()],
            keep_alive: KeepAlive::Send {
                every: Duration::from_millis(20),
                message: "ping".into(),
            },
            signer: None,
            max_message: super::super::MAX_WS_MESSAGE_BYTES,
            tls: tls_config().unwrap(),
            watchdog: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            backoff: BackoffConfig::default(),
            seed: 1,
            clock: Clock::live(),
        };
        let task = tokio::spawn(run_connection(params, events_tx, commands_rx, status));
        let r = &mut received;
        assert_eq!(next(r).await, "sub a");
        assert_eq!(next(r).await, "sub b");
        assert_eq!(next(r).await, "ping");
        assert_eq!(next(r).await, "ping");
        commands.send(Command::Send("resub a".into())).unwrap();
        let mut after = Vec::new();
        while after.last().is_none_or(|t| t != "resub a") {
            after.push(next(r).await);
        }
        assert!(
            after[..after.len() - 1].iter().all(|t| t == "ping"),
            "{after:?}"
        );
        let mut opened = false;
        while let Ok(ev) = events.try_recv() {
            opened |= matches!(ev, ConnEvent::Connected { conn: 0 });
        }
        assert!(opened, "the core was told the connection opened");
        task.abort();
    }

    #[tokio::test]
    async fn connection_that_answers_pings_sends_nothing_of_its_own() {
        let (url, mut received) = text_server().await;
        let (events_tx, _events) = mpsc::channel(64);
        let (_commands, commands_rx) = mpsc::unbounded_channel();
        let status = Arc::new(FeedStatus::new(Venue::BinanceSpot, Vec::new(), Vec::new()));
        let params = ConnParams {
            conn: 0,
            url,
            subscribe: Vec::new(),
            keep_alive: KeepAlive::AnswerPings,
            signer: None,
            max_message: super::super::MAX_WS_MESSAGE_BYTES,
            tls: tls_config().unwrap(),
            watchdog: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            backoff: BackoffConfig::default(),
            seed: 1,
            clock: Clock::live(),
        };
        let task = tokio::spawn(run_connection(params, events_tx, commands_rx, status));
        let got = timeout(Duration::from_millis(300), received.recv()).await;
        assert!(got.is_err(), "sent {got:?}");
        task.abort();
    }
}
