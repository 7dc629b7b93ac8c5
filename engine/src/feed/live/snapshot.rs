//! The snapshot worker of venues whose snapshots are requested ([`SnapshotSource::Request`],
//! and [`SnapshotSource::StreamOrRequest`] when the stream brings none):
//! one task that fetches the core's snapshot requests one at a time through the venue's
//! [`LiveRest`] (Binance's stays within its request-weight budget) and retries each until it
//! succeeds or the book state it was asked for no longer exists.
//!
//! Retries honour the venue: HTTP 429 waits its `Retry-After`, 418 its `Retry-After` or
//! `ban_wait`, each capped by [`FeedError::retry_wait`]; other failures wait the backoff delay.
//! Every failure is counted (`snapshot_failures`, and `oversized` for a body over its limit) and
//! recorded as the feed's last error.
//!
//! [`SnapshotSource::Request`]: super::SnapshotSource::Request
//! [`SnapshotSource::StreamOrRequest`]: super::SnapshotSource::StreamOrRequest

use super::FeedError;
use super::adapter::LiveRest;
use super::backoff::Backoff;
use super::http::RestBody;
use super::status::{Counter, FeedStatus};
use crate::clock::Clock;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// A snapshot the core wants for the book state `generation` of slot `slot`.
#[derive(Debug)]
pub(crate) struct SnapshotRequest {
    pub(crate) slot: usize,
    pub(crate) generation: u64,
    pub(crate) symbol: String,
}

/// The body fetched for a [`SnapshotRequest`], and the URL it came from.
#[derive(Debug)]
pub(crate) struct SnapshotReply {
    pub(crate) slot: usize,
    pub(crate) generation: u64,
    pub(crate) url: String,
    pub(crate) body: RestBody,
}

/// The worker's client, request and reply queues.
pub(crate) struct SnapshotWorker<R> {
    pub(crate) rest: R,
    pub(crate) requests: mpsc::UnboundedReceiver<SnapshotRequest>,
    pub(crate) replies: mpsc::UnboundedSender<SnapshotReply>,
    /// The current book state of each slot; a request for an older one is dropped.
    pub(crate) generations: Arc<[AtomicU64]>,
    pub(crate) status: Arc<FeedStatus>,
    pub(crate) backoff: Backoff,
    pub(crate) ban_wait: Duration,
    pub(crate) clock: Clock,
}

/// Fetches snapshots one at a time; retries failures until the request is obsolete.
pub(crate) async fn snapshot_worker<R: LiveRest>(mut w: SnapshotWorker<R>) {
    while let Some(req) = w.requests.recv().await {
        w.backoff.reset();
        loop {
            if w.generations[req.slot].load(Ordering::Acquire) != req.generation {
                break;
            }
            match w.rest.snapshot(&req.symbol).await {
                Ok(body) => {
                    let reply = SnapshotReply {
                        slot: req.slot,
                        generation: req.generation,
                        url: w.rest.snapshot_url(&req.symbol),
                        body,
                    };
                    if w.replies.send(reply).is_err() {
                        return;
                    }
                    break;
                }
                Err(e) => {
                    w.status.count(Counter::SnapshotFailure);
                    if let FeedError::BodyTooLarge { .. } = e {
                        w.status.count(Counter::Oversized);
                    }
                    w.status.record_error(w.clock.now(), &e);
                    let wait = match (&e, e.retry_wait()) {
                        (_, Some(wait)) => wait,
                        (FeedError::Banned { .. }, None) => w.ban_wait,
                        _ => w.backoff.next_delay(),
                    };
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}
