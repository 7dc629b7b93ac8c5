//! The consumer side of the bus (`ladder paper --source nats://...`): a bus thread, off the
//! hot thread, that joins from the book images in the `ladder-books` bucket, reads the stream
//! from the images' position on, checks each instrument's continuity, and pushes the events
//! into the one SPSC ring to the hot thread, like a live feed.
//!
//! # Continuity and resync
//! Every message carries its publisher's epoch and its sequence among that instrument's
//! messages. A message that does not continue its instrument (a missing sequence, another
//! epoch: a publisher restart), a message that cannot be decoded, or a lost connection to the
//! server is a **bus gap**: the instrument goes `Stale` (`SequenceGap`, or `Disconnected`) and
//! `Resyncing` in the ring, its messages are buffered, a fresh image is asked for
//! (`ladder.ctl.snapshot`) and read from the bucket until one lines up with the buffer (the
//! buffer continues the image's sequence); the image goes into the ring as
//! `SnapshotBegin`, levels, `SnapshotEnd`, `Status(Synced)`, then the buffered messages. A
//! snapshot of the venue inside the stream (a message that starts with `SnapshotBegin`) ends a
//! resync as well. Messages already in the book (a sequence below the next one) are skipped
//! and counted as redelivered.
//!
//! # Back-pressure
//! A full ring makes the bus thread wait (JetStream holds the data; the consumer reads by pull,
//! so nothing is dropped while it waits). A consumer that falls behind the stream's retention
//! finds a sequence gap and resyncs.

use super::codec::{self, BookImage};
use super::{BUCKET, BusError, STREAM, SourceConfig};
use crate::feed::Venue;
use crate::feed::live::{FeedOutput, FeedStatus};
use crate::instrument::Registry;
use async_nats::jetstream;
use futures_util::StreamExt as _;
use ladder_sdk::InstrumentSpec;
use rust_decimal::Decimal;
use std::str::FromStr as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// How long a consumer waits for the first images in the bucket.
pub const JOIN_WAIT: Duration = Duration::from_secs(30);
/// How often an instrument being resynced reads the bucket again.
const RETRY_IMAGE: Duration = Duration::from_millis(200);
/// How often it asks the publisher for a fresh image again.
const RETRY_REQUEST: Duration = Duration::from_secs(1);
/// No message on the bus for this long: every book is stale (`FeedSilent`) and the consumer
/// is made again (the live feeds' default watchdog).
pub const WATCHDOG: Duration = Duration::from_secs(30);
/// Events buffered per instrument during a resync before the buffer is dropped.
const MAX_BUFFERED_EVENTS: usize = 1 << 20;

/// The bus consumer's counters, readable from any thread.
#[derive(Debug, Default)]
pub struct BusStats {
    /// Messages read from the stream.
    pub messages: AtomicU64,
    /// Events pushed into the ring.
    pub events: AtomicU64,
    /// Bus gaps: a sequence discontinuity, a publisher restart, an undecodable message, or a
    /// lost connection, per instrument.
    pub gaps: AtomicU64,
    /// Resyncs completed (from an image, or a snapshot in the stream).
    pub resyncs: AtomicU64,
    /// Images read that were too old for the buffered messages (read again).
    pub stale_images: AtomicU64,
    /// Messages already applied, skipped (redelivered, or older than the image joined from).
    pub redelivered: AtomicU64,
    /// Messages that could not be decoded (wrong schema, garbled).
    pub decode_errors: AtomicU64,
    /// Connection losses.
    pub disconnects: AtomicU64,
    /// Waits on a full ring.
    pub ring_waits: AtomicU64,
    /// True while connected.
    pub connected: AtomicBool,
}

/// The bus counters as the report summary keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BusReport {
    /// The server (without credentials).
    pub url: String,
    /// Messages read.
    pub messages: u64,
    /// Events delivered to the hot thread.
    pub events: u64,
    /// Bus gaps.
    pub gaps: u64,
    /// Resyncs.
    pub resyncs: u64,
    /// Images too old, read again.
    pub stale_images: u64,
    /// Redelivered or already applied messages skipped.
    pub redelivered: u64,
    /// Undecodable messages.
    pub decode_errors: u64,
    /// Connection losses.
    pub disconnects: u64,
}

impl BusStats {
    /// A copy for the report.
    pub fn report(&self, url: &str) -> BusReport {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        BusReport {
            url: url.to_owned(),
            messages: g(&self.messages),
            events: g(&self.events),
            gaps: g(&self.gaps),
            resyncs: g(&self.resyncs),
            stale_images: g(&self.stale_images),
            redelivered: g(&self.redelivered),
            decode_errors: g(&self.decode_errors),
            disconnects: g(&self.disconnects),
        }
    }

    /// The counters as one headless line.
    pub fn line(&self) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "bus {}: messages {} events {} gaps {} resyncs {} redelivered {} decode errors {} disconnects {}",
            if self.connected.load(Ordering::Relaxed) {
                "up"
            } else {
                "down"
            },
            g(&self.messages),
            g(&self.events),
            g(&self.gaps),
            g(&self.resyncs),
            g(&self.redelivered),
            g(&self.decode_errors),
            g(&self.disconnects),
        )
    }
}

/// A consumer joined to the bus: the instruments it found, ready to start into a ring.
pub struct BusConsumer {
    /// The instruments on the bus, ids dense in key order.
    pub registry: Registry,
    /// One status per venue on the bus (book states, gaps, resyncs).
    pub statuses: Vec<Arc<FeedStatus>>,
    /// The bus counters.
    pub stats: Arc<BusStats>,
    /// The server (without credentials).
    pub url: String,
    stop: Arc<AtomicBool>,
    start: Option<std::sync::mpsc::Sender<Box<dyn FeedOutput>>>,
    thread: Option<std::thread::JoinHandle<Result<(), BusError>>>,
}

impl std::fmt::Debug for BusConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BusConsumer")
            .field("url", &self.url)
            .field("instruments", &self.registry.len())
            .finish_non_exhaustive()
    }
}

/// What the bus thread is given once joined.
struct Joined {
    registry: Registry,
    images: Vec<BookImage>,
}

impl BusConsumer {
    /// Connects to `source` and reads the book images (waiting up to [`JOIN_WAIT`] for the
    /// first); `filter` keeps the keys (`<venue>.<token>`) that start with it.
    ///
    /// # Errors
    /// [`BusError`] when the server cannot be reached, the bucket or stream is missing, or no
    /// image is there in time.
    pub fn join(source: SourceConfig, filter: Option<String>) -> Result<Self, BusError> {
        let stats = Arc::new(BusStats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let url = source.display_url();
        let (joined_tx, joined_rx) = std::sync::mpsc::channel();
        let (start_tx, start_rx) = std::sync::mpsc::channel::<Box<dyn FeedOutput>>();
        let (t_stats, t_stop, t_url) = (Arc::clone(&stats), Arc::clone(&stop), url.clone());
        let (status_tx, status_rx) = std::sync::mpsc::channel::<Vec<Arc<FeedStatus>>>();
        let thread = std::thread::Builder::new()
            .name("ladder-bus".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| BusError::Thread(format!("cannot start the bus runtime: {e}")))?;
                rt.block_on(async move {
                    let disconnected = Arc::new(AtomicBool::new(false));
                    let joined =
                        join_bus(&source, filter.as_deref(), &t_stats, &disconnected).await;
                    let (client, joined) = match joined {
                        Ok(j) => j,
                        Err(e) => {
                            let _ = joined_tx.send(Err(BusError::Thread(e.to_string())));
                            return Err(e);
                        }
                    };
                    let registry = joined.registry.clone();
                    if joined_tx.send(Ok(registry)).is_err() {
                        return Ok(());
                    }
                    let (Ok(statuses), Ok(out)) = (status_rx.recv(), start_rx.recv()) else {
                        return Ok(()); // not started: the session ended first
                    };
                    let mut c = Consumer::new(
                        client,
                        joined,
                        statuses,
                        out,
                        t_stats,
                        t_stop,
                        t_url,
                        disconnected,
                    );
                    c.run().await
                })
            })
            .map_err(|e| BusError::Thread(format!("cannot start the bus thread: {e}")))?;
        let registry = match joined_rx.recv() {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                let _ = thread.join();
                return Err(e);
            }
            Err(_) => {
                return Err(match thread.join() {
                    Ok(Err(e)) => e,
                    _ => BusError::Thread("the bus thread ended while joining".into()),
                });
            }
        };
        let statuses: Vec<Arc<FeedStatus>> = registry
            .venues()
            .into_iter()
            .map(|venue| {
                let instruments = registry
                    .iter()
                    .filter(|i| i.venue == venue)
                    .map(|i| (i.id, i.symbol.clone()))
                    .collect();
                Arc::new(FeedStatus::new(
                    venue,
                    instruments,
                    vec![(url.clone(), vec![format!("ladder.md.{}.>", venue.name())])],
                ))
            })
            .collect();
        let _ = status_tx.send(statuses.clone());
        Ok(Self {
            registry,
            statuses,
            stats,
            url,
            stop,
            start: Some(start_tx),
            thread: Some(thread),
        })
    }

    /// Starts delivering into `out` (the ring to the hot thread).
    pub fn start(&mut self, out: impl FeedOutput) {
        if let Some(tx) = self.start.take() {
            let _ = tx.send(Box::new(out));
        }
    }

    /// Stops the bus thread and waits for it.
    ///
    /// # Errors
    /// What the bus thread ended with.
    pub fn shutdown(mut self) -> Result<(), BusError> {
        self.stop.store(true, Ordering::Release);
        self.start = None;
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(BusError::Thread("the bus thread panicked".into())),
            None => Ok(()),
        }
    }
}

impl Drop for BusConsumer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.start = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn join_bus(
    source: &SourceConfig,
    filter: Option<&str>,
    stats: &Arc<BusStats>,
    disconnected: &Arc<AtomicBool>,
) -> Result<(async_nats::Client, Joined), BusError> {
    let url = source.display_url();
    let (ev_stats, ev_flag) = (Arc::clone(stats), Arc::clone(disconnected));
    let client = source
        .connect("ladder paper", move |event| match event {
            async_nats::Event::Connected => ev_stats.connected.store(true, Ordering::Relaxed),
            async_nats::Event::Disconnected => {
                ev_stats.connected.store(false, Ordering::Relaxed);
                ev_stats.disconnects.fetch_add(1, Ordering::Relaxed);
                ev_flag.store(true, Ordering::Release);
                tracing::warn!("bus disconnected");
            }
            other => tracing::info!(event = %other, "bus event"),
        })
        .await?;
    stats.connected.store(true, Ordering::Relaxed);
    let js = jetstream::new(client.clone());
    let jerr = |what: &'static str, e: &dyn std::fmt::Display| BusError::JetStream {
        what,
        url: url.clone(),
        message: e.to_string(),
    };
    let deadline = Instant::now() + JOIN_WAIT;
    let mut images = Vec::new();
    loop {
        if let Ok(kv) = js.get_key_value(BUCKET).await {
            let keys: Vec<String> = match kv.keys().await {
                Ok(k) => k.filter_map(|k| async move { k.ok() }).collect().await,
                Err(_) => Vec::new(),
            };
            let mut keys: Vec<String> = keys
                .into_iter()
                .filter(|k| filter.is_none_or(|f| k.starts_with(f)))
                .collect();
            keys.sort();
            images.clear();
            for k in keys {
                if let Ok(Some(v)) = kv.get(&k).await {
                    match codec::decode_image(&v) {
                        Ok(img) => images.push(img),
                        Err(e) => {
                            stats.decode_errors.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!(key = %k, error = %e, "bus image skipped");
                        }
                    }
                }
            }
            if !images.is_empty() {
                break;
            }
        }
        if Instant::now() >= deadline {
            return Err(BusError::Config(format!(
                "no book images in bucket {BUCKET} at {url}{} after {}s: is `ladder feed` \
                 publishing there?",
                filter.map(|f| format!(" for {f}")).unwrap_or_default(),
                JOIN_WAIT.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    js.get_stream(STREAM)
        .await
        .map_err(|e| jerr("stream lookup", &e))?;
    let mut registry = Registry::new();
    for img in &images {
        let venue = Venue::from_str(&img.venue)
            .map_err(|e| BusError::Config(format!("bus image of {}: {e}", img.symbol)))?;
        let dec = |s: &str, what: &str| {
            Decimal::from_str(s).map_err(|e| {
                BusError::Config(format!("bus image of {}: {what} {s}: {e}", img.symbol))
            })
        };
        let spec = InstrumentSpec::new(
            dec(&img.tick_size, "tick size")?,
            dec(&img.lot_size, "lot size")?,
        )
        .map_err(|e| BusError::Config(format!("bus image of {}: {e}", img.symbol)))?;
        registry
            .add(venue, &img.symbol, spec)
            .map_err(|e| BusError::Config(format!("bus image of {}: {e}", img.symbol)))?;
    }
    Ok((client, Joined { registry, images }))
}

mod resync;
use resync::Consumer;
