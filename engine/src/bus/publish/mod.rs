//! `ladder feed`'s publisher: the venue connectors' events onto JetStream.
//!
//! Each venue's live core delivers into a [`BusOutput`] (its [`FeedOutput`]): a bounded
//! channel to the publisher thread, so a stalled bus never blocks a feed thread; a full channel
//! refuses the event and the live core does what it does for a full ring (the instrument goes
//! stale, is resynced from the venue, and the `Stale(QueueOverflow)` marker goes out on the
//! bus). The publisher thread (its own tokio runtime) batches: it reads what the channel holds
//! (up to [`BATCH_READ`] events at a time), then publishes each instrument's complete venue
//! updates of that read (up to a delta marked `last`, a trade, a BBO) as one message, so a
//! busy instrument sends few large messages and a quiet one is never held back (no timer: the
//! batch ends when the channel is empty). A status change and a snapshot's end go out at once
//! with what precedes them; a `SnapshotBegin` always starts a message; a message holds at most
//! [`MAX_EVENTS_PER_MESSAGE`] events. Messages are numbered per instrument under the
//! publisher's epoch and published on `ladder.md.<venue>.<token>` with the `Ladder-Schema`
//! header, without waiting for each ack: up to [`MAX_IN_FLIGHT`] acks are outstanding before a
//! publish waits for one. Each status change is also published on core NATS as one JSON
//! message on `ladder.status.<venue>` ([`status_json`]). The publisher keeps each instrument's book
//! (an [`L2Book`]) to write its image into the `ladder-books` bucket every `snapshot_every`
//! (when it changed and is synced) and on request (`ladder.ctl.snapshot`). It creates or
//! updates the stream with its retention limits first. No hot thread is involved.

use super::{BusError, SourceConfig, subject};
use crate::clock::Clock;
use crate::feed::live::FeedOutput;
use crate::instrument::Registry;
use crate::report::summary::BookReport;
use ladder_sdk::{MarketEvent, StaleReason};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

mod run;
use run::run;

/// Events a bus channel holds before it refuses one.
pub const CHANNEL_CAPACITY: usize = 1 << 16;
/// Most events in one bus message (a snapshot of a deep book spans several).
pub const MAX_EVENTS_PER_MESSAGE: usize = 4096;
/// Acks awaited at once before publishing waits for one.
pub const MAX_IN_FLIGHT: usize = 4096;
/// Most events read from the channel before the complete updates read are published.
pub const BATCH_READ: usize = 4096;
/// Levels per side written to the final books of the feed's summary.
pub const FINAL_LEVELS: usize = crate::hot::engine::FINAL_LEVELS;

/// Connects a publisher named `name` and gives its JetStream context: acks windowed at
/// [`MAX_IN_FLIGHT`], 5 s ack timeout. `connected` and `disconnects` follow the connection (the
/// event publisher's and the raw publisher's counters alike).
pub(crate) async fn jetstream_publisher(
    source: &SourceConfig,
    name: &'static str,
    connected: impl Fn(bool) + Send + Sync + 'static,
) -> Result<async_nats::jetstream::Context, BusError> {
    let link = Arc::new(connected);
    let on_event = Arc::clone(&link);
    let client = source
        .connect(name, move |event| match event {
            async_nats::Event::Connected => on_event(true),
            async_nats::Event::Disconnected => {
                on_event(false);
                tracing::warn!(publisher = name, "bus disconnected");
            }
            other => tracing::info!(publisher = name, event = %other, "bus event"),
        })
        .await?;
    link(true);
    Ok(async_nats::jetstream::ContextBuilder::new()
        .max_ack_inflight(MAX_IN_FLIGHT)
        .ack_timeout(Duration::from_secs(5))
        .build(client))
}

/// How `ladder feed` publishes.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// The server and login.
    pub source: SourceConfig,
    /// Stream retention by age.
    pub max_age: Duration,
    /// Stream retention by size (bytes).
    pub max_bytes: i64,
    /// How often each changed, synced book's image is written to the bucket.
    pub snapshot_every: Duration,
}

impl Default for PublishOptions {
    fn default() -> Self {
        Self {
            source: SourceConfig::default(),
            max_age: Duration::from_secs(3600),
            max_bytes: 1 << 30,
            snapshot_every: Duration::from_secs(1),
        }
    }
}

/// The publisher's counters, readable from any thread.
#[derive(Debug, Default)]
pub struct PublisherStats {
    /// Events received from the feeds.
    pub events: AtomicU64,
    /// Messages published.
    pub published: AtomicU64,
    /// Messages the server acknowledged.
    pub acked: AtomicU64,
    /// Publishes that failed or whose ack never came (the consumers see a gap).
    pub failed: AtomicU64,
    /// Events a full channel refused (the feed resyncs the instrument).
    pub refused: AtomicU64,
    /// Book images written to the bucket.
    pub images: AtomicU64,
    /// Image requests answered.
    pub requests: AtomicU64,
    /// True while connected to the server.
    pub connected: AtomicBool,
    /// Disconnects seen.
    pub disconnects: AtomicU64,
}

impl PublisherStats {
    /// The counters as one headless line.
    pub fn line(&self) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "bus {}: events {} published {} acked {} failed {} refused {} images {} disconnects {}",
            if self.connected.load(Ordering::Relaxed) {
                "up"
            } else {
                "down"
            },
            g(&self.events),
            g(&self.published),
            g(&self.acked),
            g(&self.failed),
            g(&self.refused),
            g(&self.images),
            g(&self.disconnects),
        )
    }
}

/// A feed's output onto the bus (one per venue; all into one publisher).
#[derive(Debug, Clone)]
pub struct BusOutput {
    tx: mpsc::Sender<MarketEvent>,
    stats: Arc<PublisherStats>,
}

impl FeedOutput for BusOutput {
    fn push(&mut self, event: MarketEvent) -> bool {
        let ok = self.tx.try_send(event).is_ok();
        if !ok {
            self.stats.refused.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }
}

/// What the publisher ends with.
#[derive(Debug, Clone, Default)]
pub struct PublisherFinal {
    /// Its epoch.
    pub epoch: u64,
    /// Each instrument's final book (top [`FINAL_LEVELS`]), by `venue:SYMBOL`.
    pub books: BTreeMap<String, BookReport>,
}

/// A running publisher: its outputs, counters, and the thread.
#[derive(Debug)]
pub struct Publisher {
    tx: Option<mpsc::Sender<MarketEvent>>,
    /// Its counters.
    pub stats: Arc<PublisherStats>,
    /// Its epoch (in every message header).
    pub epoch: u64,
    thread: std::thread::JoinHandle<Result<PublisherFinal, BusError>>,
}

impl Publisher {
    /// Connects, creates or updates the stream and the bucket, and starts the publisher
    /// thread for the instruments of `registry`.
    ///
    /// # Errors
    /// [`BusError`] when the server cannot be reached or refuses the stream or bucket, or a
    /// venue has two symbols with one subject token.
    pub fn start(opts: PublishOptions, registry: Arc<Registry>) -> Result<Self, BusError> {
        let mut seen = BTreeMap::new();
        for i in registry.iter() {
            let k = subject::key(i.venue, &i.symbol);
            if let Some(other) = seen.insert(k.clone(), i.symbol.clone()) {
                return Err(BusError::Config(format!(
                    "symbols {other} and {} of {} share the bus key {k}; publish them from \
                     two feeds",
                    i.symbol, i.venue
                )));
            }
        }
        let stats = Arc::new(PublisherStats::default());
        let epoch = Clock::live().now().as_nanos().max(1);
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread_stats = Arc::clone(&stats);
        let thread = std::thread::Builder::new()
            .name("ladder-bus-pub".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| BusError::Thread(format!("cannot start the bus runtime: {e}")))?;
                rt.block_on(run(opts, registry, rx, thread_stats, epoch, ready_tx))
            })
            .map_err(|e| BusError::Thread(format!("cannot start the bus publisher: {e}")))?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Self {
                tx: Some(tx),
                stats,
                epoch,
                thread,
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => match thread.join() {
                Ok(Err(e)) => Err(e),
                _ => Err(BusError::Thread(
                    "the bus publisher ended while starting".into(),
                )),
            },
        }
    }

    /// A feed output into this publisher.
    pub fn output(&self) -> BusOutput {
        BusOutput {
            tx: self.tx.clone().unwrap_or_else(|| mpsc::channel(1).0),
            stats: Arc::clone(&self.stats),
        }
    }

    /// Waits until every output is dropped (the feeds stopped), the last events are published
    /// and acked (at most `ack_wait`), and the final images are written.
    ///
    /// # Errors
    /// What the publisher thread ended with.
    pub fn finish(mut self) -> Result<PublisherFinal, BusError> {
        self.tx = None;
        self.thread
            .join()
            .map_err(|_| BusError::Thread("the bus publisher panicked".into()))?
    }
}

/// A status change as `ladder.status.<venue>` carries it: one JSON object, e.g.
/// `{"instrument":"binance-spot:BTCUSDT","state":"stale","reason":"sequence_gap","ts_recv":1723075200000000000}`
/// (`reason` is `null` when there is none; `ts_recv` in Unix nanoseconds).
pub fn status_json(instrument: &str, s: &ladder_sdk::BookStatus) -> String {
    serde_json::json!({
        "instrument": instrument,
        "state": s.state.as_str(),
        "reason": s.reason.map(StaleReason::as_str),
        "ts_recv": s.ts_recv.as_nanos(),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ladder_sdk::{BookState, BookStatus, InstrumentId, UnixNanos};

    #[test]
    fn status_json_names_instrument_state_reason_and_time() {
        let s = BookStatus {
            instrument: InstrumentId::new(0),
            state: BookState::Stale,
            reason: Some(StaleReason::SequenceGap),
            ts_recv: UnixNanos::from_nanos(1_723_075_200_000_000_000),
        };
        let v: serde_json::Value =
            serde_json::from_str(&status_json("binance-spot:BTCUSDT", &s)).expect("json");
        assert_eq!(
            v,
            serde_json::json!({
                "instrument": "binance-spot:BTCUSDT",
                "state": "stale",
                "reason": "sequence_gap",
                "ts_recv": 1_723_075_200_000_000_000u64,
            })
        );
        let synced = BookStatus {
            state: BookState::Synced,
            reason: None,
            ..s
        };
        let v: serde_json::Value =
            serde_json::from_str(&status_json("okx:BTC-USDT", &synced)).expect("json");
        assert!(v["reason"].is_null(), "{v}");
        assert_eq!(v["state"], "synced");
    }
}
