//! One supervised WebSocket connection: connect, read, answer pings, watch for silence,
//! reconnect with backoff. Venue-agnostic: frames go to the feed's core task with the time they
//! were read; the core decodes them.
//!
//! The receive timestamp is taken right after the frame is read from the socket, before
//! anything else touches it. Pings are answered with the same payload by tungstenite, which
//! queues the pong and writes it on the next read or flush: this task reads continuously and
//! flushes after every ping.
//!
//! A message over [`MAX_WS_MESSAGE_BYTES`](super::MAX_WS_MESSAGE_BYTES) ends the connection like
//! any read error ([`FeedError::MessageTooLarge`], counted as `oversized`), and it is reopened
//! after the backoff delay.

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

/// A restart the core asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Restart {
    /// Reconnect at once (the venue announced a shutdown).
    Now,
    /// Reconnect after the backoff delay (the venue rejected the subscription).
    AfterBackoff,
}

/// Settings of one connection.
#[derive(Debug, Clone)]
pub(crate) struct ConnParams {
    pub(crate) conn: usize,
    /// Full URL, stream list included.
    pub(crate) url: String,
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
    mut restart: mpsc::UnboundedReceiver<Restart>,
    status: Arc<FeedStatus>,
) {
    let conn = p.conn;
    let mut backoff = Backoff::new(p.backoff, p.seed);
    loop {
        if events.send(ConnEvent::Connecting { conn }).await.is_err() {
            return;
        }
        let next = match connect_ws(&p.url, &p.tls, p.connect_timeout).await {
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
                // Restart requests meant for the previous connection.
                while restart.try_recv().is_ok() {}
                if events.send(ConnEvent::Connected { conn }).await.is_err() {
                    return;
                }
                let (error, next) = pump(&p, &mut ws, &events, &mut restart, &mut backoff).await;
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

/// Reads until the connection ends; returns why and how to go on.
async fn pump(
    p: &ConnParams,
    ws: &mut super::net::WsStream,
    events: &mpsc::Sender<ConnEvent>,
    restart: &mut mpsc::UnboundedReceiver<Restart>,
    backoff: &mut Backoff,
) -> (Option<FeedError>, Next) {
    let conn = p.conn;
    let url = || p.url.clone();
    let mut dog = Watchdog::new(p.watchdog, Instant::now());
    let mut fed = false;
    loop {
        let msg = tokio::select! {
            biased;
            r = restart.recv() => return match r {
                Some(Restart::AfterBackoff) => (None, Next::AfterBackoff),
                Some(Restart::Now) | None => (None, Next::Immediately),
            },
            msg = ws.next() => msg,
            () = tokio::time::sleep_until(dog.deadline()) => {
                return (Some(FeedError::Silent { url: url(), after: dog.limit() }), Next::AfterBackoff);
            }
        };
        let data = match msg {
            Some(Ok(Message::Text(t))) => Bytes::from(t),
            Some(Ok(Message::Binary(b))) => b,
            Some(Ok(Message::Ping(_))) => {
                // tungstenite queued the pong (same payload); write it now.
                if let Err(e) = ws.flush().await {
                    return (
                        Some(FeedError::WebSocket {
                            url: url(),
                            source: Box::new(e),
                        }),
                        Next::AfterBackoff,
                    );
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
