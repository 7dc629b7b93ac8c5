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

use super::codec::{self, BookImage, Position, SCHEMA_HEADER};
use super::{BUCKET, BusError, SNAPSHOT_REQUEST, STREAM, SourceConfig, subject};
use crate::clock::Clock;
use crate::feed::Venue;
use crate::feed::integrity::IntegrityFault;
use crate::feed::live::{FeedOutput, FeedStatus};
use crate::instrument::Registry;
use async_nats::jetstream;
use futures_util::StreamExt as _;
use ladder_sdk::{
    BookDelta, BookMarker, BookState, BookStatus, InstrumentId, InstrumentSpec, MarketEvent, Price,
    Quantity, Side, StaleReason,
};
use rust_decimal::Decimal;
use std::collections::{HashMap, VecDeque};
use std::str::FromStr as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// How long a consumer waits for the first images in the bucket.
pub const JOIN_WAIT: Duration = Duration::from_secs(10);
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

/// What the consumer loop does after a housekeeping tick.
enum Tick {
    Go,
    Stop,
    /// Make the stream consumer again (after a lost connection).
    Reopen,
}

/// Where an instrument stands.
enum Mode {
    /// Following the stream: the next message must be `next`.
    Live,
    /// Stale: buffering its messages until an image (or a snapshot in the stream) lines up.
    Resync {
        buf: VecDeque<(Position, Vec<MarketEvent>)>,
        events: usize,
        next_image: Instant,
        next_request: Instant,
    },
}

struct Track {
    id: InstrumentId,
    key: String,
    status: usize,
    slot: usize,
    next: Position,
    mode: Mode,
    applied: u64,
}

struct Consumer {
    client: async_nats::Client,
    js: jetstream::Context,
    kv: Option<jetstream::kv::Store>,
    tracks: Vec<Track>,
    by_key: HashMap<String, usize>,
    images: Vec<BookImage>,
    statuses: Vec<Arc<FeedStatus>>,
    out: Box<dyn FeedOutput>,
    stats: Arc<BusStats>,
    stop: Arc<AtomicBool>,
    url: String,
    disconnected: Arc<AtomicBool>,
    clock: Clock,
    scratch: Vec<MarketEvent>,
    last_stream_seq: u64,
    /// When the last message came.
    last_message: Instant,
}

impl Consumer {
    #[allow(clippy::too_many_arguments)]
    fn new(
        client: async_nats::Client,
        joined: Joined,
        statuses: Vec<Arc<FeedStatus>>,
        out: Box<dyn FeedOutput>,
        stats: Arc<BusStats>,
        stop: Arc<AtomicBool>,
        url: String,
        disconnected: Arc<AtomicBool>,
    ) -> Self {
        let venues = joined.registry.venues();
        let mut slots = vec![0usize; venues.len()];
        let tracks: Vec<Track> = joined
            .registry
            .iter()
            .map(|i| {
                let status = venues.iter().position(|v| *v == i.venue).unwrap_or(0);
                let slot = slots[status];
                slots[status] += 1;
                Track {
                    id: i.id,
                    key: subject::key(i.venue, &i.symbol),
                    status,
                    slot,
                    next: Position { epoch: 0, seq: 0 },
                    mode: Mode::Live,
                    applied: 0,
                }
            })
            .collect();
        let by_key = tracks
            .iter()
            .enumerate()
            .map(|(k, t)| (t.key.clone(), k))
            .collect();
        Self {
            js: jetstream::new(client.clone()),
            client,
            kv: None,
            tracks,
            by_key,
            images: joined.images,
            statuses,
            out,
            stats,
            stop,
            url,
            disconnected,
            clock: Clock::live(),
            scratch: Vec::new(),
            last_stream_seq: 0,
            last_message: Instant::now(),
        }
    }

    fn err(&self, what: &'static str, e: impl std::fmt::Display) -> BusError {
        BusError::JetStream {
            what,
            url: self.url.clone(),
            message: e.to_string(),
        }
    }

    async fn run(&mut self) -> Result<(), BusError> {
        self.kv = Some(
            self.js
                .get_key_value(BUCKET)
                .await
                .map_err(|e| self.err("bucket lookup", e))?,
        );
        // Join: each book from its image, then the stream from the oldest image's position.
        let images = std::mem::take(&mut self.images);
        let start = images
            .iter()
            .map(|i| i.stream_seq)
            .min()
            .unwrap_or(1)
            .max(1);
        for (k, img) in images.iter().enumerate() {
            if !self.apply_image(k, img).await {
                return Ok(());
            }
        }
        self.last_stream_seq = start - 1;
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        // The server loses an ephemeral consumer when it restarts: after a lost connection the
        // consumer is made again from the last stream sequence read (retried until the server
        // is back).
        loop {
            let mut messages = loop {
                if self.stop.load(Ordering::Acquire) {
                    return Ok(());
                }
                match self.open().await {
                    Ok(m) => break m,
                    Err(e) => {
                        tracing::warn!(error = %e, "bus consumer not opened; retrying");
                        tokio::time::sleep(Duration::from_millis(250)).await;
                    }
                }
            };
            loop {
                tokio::select! {
                    m = messages.next() => match m {
                        Some(Ok(msg)) => {
                            if !self.on_message(&msg).await {
                                return Ok(());
                            }
                        }
                        Some(Err(e)) => tracing::warn!(error = %e, "bus consumer"),
                        None => break,
                    },
                    _ = tick.tick() => {
                        if self.stop.load(Ordering::Acquire) {
                            return Ok(());
                        }
                        match self.housekeeping().await {
                            Tick::Go => {}
                            Tick::Stop => return Ok(()),
                            Tick::Reopen => break,
                        }
                    }
                }
            }
        }
    }

    /// An ordered consumer of the stream from the message after the last one read.
    async fn open(&self) -> Result<jetstream::consumer::pull::Ordered, BusError> {
        let stream = self
            .js
            .get_stream(STREAM)
            .await
            .map_err(|e| self.err("stream lookup", e))?;
        let consumer = stream
            .create_consumer(jetstream::consumer::pull::OrderedConfig {
                filter_subject: "ladder.md.>".to_owned(),
                deliver_policy: jetstream::consumer::DeliverPolicy::ByStartSequence {
                    start_sequence: self.last_stream_seq + 1,
                },
                ..Default::default()
            })
            .await
            .map_err(|e| self.err("consumer create", e))?;
        consumer
            .messages()
            .await
            .map_err(|e| self.err("consumer read", e))
    }

    /// Pushes one event into the ring, waiting while it is full; false once stopped.
    async fn deliver(&mut self, ev: MarketEvent) -> bool {
        let mut waited = false;
        loop {
            if self.out.push(ev) {
                self.stats.events.fetch_add(1, Ordering::Relaxed);
                return true;
            }
            if !waited {
                waited = true;
                self.stats.ring_waits.fetch_add(1, Ordering::Relaxed);
            }
            if self.stop.load(Ordering::Acquire) {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Announces a state of track `k` into the ring and its status.
    async fn announce(&mut self, k: usize, state: BookState, reason: Option<StaleReason>) -> bool {
        let now = self.clock.now();
        let t = &self.tracks[k];
        self.statuses[t.status].set_book(t.slot, state, reason, now);
        self.deliver(MarketEvent::Status(BookStatus {
            instrument: t.id,
            state,
            reason,
            ts_recv: now,
        }))
        .await
    }

    /// Delivers events of track `k` (statuses also set its status).
    async fn deliver_events(&mut self, k: usize, events: &[MarketEvent]) -> bool {
        for ev in events {
            if let MarketEvent::Status(s) = ev {
                let t = &self.tracks[k];
                self.statuses[t.status].set_book(t.slot, s.state, s.reason, s.ts_recv);
            }
            if let MarketEvent::BookDelta(_) = ev {
                self.tracks[k].applied += 1;
            }
            if !self.deliver(*ev).await {
                return false;
            }
        }
        let t = &self.tracks[k];
        self.statuses[t.status].set_book_progress(t.slot, t.applied, None);
        true
    }

    /// Replaces track `k`'s book with `img`: `SnapshotBegin`, the levels, `SnapshotEnd`, then
    /// the image's state.
    async fn apply_image(&mut self, k: usize, img: &BookImage) -> bool {
        let id = self.tracks[k].id;
        let marker = BookMarker {
            instrument: id,
            update_id: img.update_id,
            ts_exchange: img.ts_exchange,
            ts_recv: img.ts_recv,
        };
        if !self.deliver(MarketEvent::SnapshotBegin(marker)).await {
            return false;
        }
        for (side, levels) in [(Side::Buy, &img.bids), (Side::Sell, &img.asks)] {
            for &(p, q) in levels {
                let d = BookDelta {
                    instrument: id,
                    side,
                    last: false,
                    price: Price::from_ticks(p),
                    qty: Quantity::from_lots(q),
                    update_id: img.update_id,
                    ts_exchange: img.ts_exchange,
                    ts_recv: img.ts_recv,
                };
                if !self.deliver(MarketEvent::BookDelta(d)).await {
                    return false;
                }
            }
        }
        if !self.deliver(MarketEvent::SnapshotEnd(marker)).await {
            return false;
        }
        let t = &mut self.tracks[k];
        t.next = Position {
            epoch: img.position.epoch,
            seq: img.position.seq + 1,
        };
        t.mode = Mode::Live;
        let (status, slot) = (t.status, t.slot);
        self.statuses[status].on_snapshot(slot);
        self.statuses[status].set_book_progress(slot, self.tracks[k].applied, Some(img.update_id));
        self.announce(k, img.state, None).await
    }

    /// One message of the stream; false once stopped.
    async fn on_message(&mut self, msg: &jetstream::Message) -> bool {
        self.stats.messages.fetch_add(1, Ordering::Relaxed);
        self.last_message = Instant::now();
        if let Ok(info) = msg.info() {
            self.last_stream_seq = self.last_stream_seq.max(info.stream_sequence);
            if info.delivered > 1 {
                self.stats.redelivered.fetch_add(1, Ordering::Relaxed);
            }
        }
        let Some(&k) =
            subject::key_of_subject(msg.subject.as_str()).and_then(|key| self.by_key.get(key))
        else {
            return true; // an instrument this consumer did not join
        };
        let t = &self.tracks[k];
        self.statuses[t.status].on_message(0, msg.payload.len(), self.clock.now());
        let schema_ok = msg
            .headers
            .as_ref()
            .and_then(|h| h.get(SCHEMA_HEADER))
            .is_some_and(|v| v.as_str() == codec::SCHEMA.to_string());
        let mut events = std::mem::take(&mut self.scratch);
        let decoded = if schema_ok {
            codec::decode_events(&msg.payload, t.id, &mut events).map_err(|e| e.to_string())
        } else {
            Err(format!("missing or unknown {SCHEMA_HEADER} header"))
        };
        let pos = match decoded {
            Ok(p) => p,
            Err(e) => {
                self.stats.decode_errors.fetch_add(1, Ordering::Relaxed);
                self.statuses[t.status].record_error(
                    self.clock.now(),
                    &format!("bus message on {}: {e}", msg.subject),
                );
                self.scratch = events;
                // Its events are lost to this consumer: a gap unless already resyncing.
                return match self.tracks[k].mode {
                    Mode::Live => self.gap(k, StaleReason::SequenceGap, None).await,
                    Mode::Resync { .. } => true,
                };
            }
        };
        let ok = match &mut self.tracks[k].mode {
            Mode::Live => {
                let next = self.tracks[k].next;
                if pos == next {
                    self.tracks[k].next.seq += 1;
                    self.deliver_events(k, &events).await
                } else if pos.epoch == next.epoch && pos.seq < next.seq {
                    self.stats.redelivered.fetch_add(1, Ordering::Relaxed);
                    true
                } else {
                    self.gap(k, StaleReason::SequenceGap, Some((pos, events.clone())))
                        .await
                }
            }
            Mode::Resync { buf, events: n, .. } => {
                *n += events.len();
                if *n > MAX_BUFFERED_EVENTS {
                    buf.clear();
                    *n = events.len();
                }
                buf.push_back((pos, events.clone()));
                self.try_stream_snapshot(k).await
            }
        };
        events.clear();
        self.scratch = events;
        ok
    }

    /// A bus gap on track `k`: stale, resyncing, a fresh image asked for; `first` is the
    /// message that showed it (buffered).
    async fn gap(
        &mut self,
        k: usize,
        reason: StaleReason,
        first: Option<(Position, Vec<MarketEvent>)>,
    ) -> bool {
        self.stats.gaps.fetch_add(1, Ordering::Relaxed);
        let t = &self.tracks[k];
        let fault = IntegrityFault::SequenceGap {
            expected: t.next.seq,
            got: first.as_ref().map_or(0, |(p, _)| p.seq),
        };
        self.statuses[t.status].on_fault(t.slot, &fault);
        tracing::warn!(key = %t.key, reason = reason.as_str(), "bus gap");
        let now = Instant::now();
        let mut buf = VecDeque::new();
        let mut n = 0;
        if let Some(m) = first {
            n = m.1.len();
            buf.push_back(m);
        }
        self.tracks[k].mode = Mode::Resync {
            buf,
            events: n,
            next_image: now,
            next_request: now,
        };
        if !self.announce(k, BookState::Stale, Some(reason)).await {
            return false;
        }
        let t = &self.tracks[k];
        self.statuses[t.status].on_resync(t.slot);
        if !self.announce(k, BookState::Resyncing, None).await {
            return false;
        }
        self.try_stream_snapshot(k).await
    }

    /// Ends track `k`'s resync from a snapshot of the venue in its buffered messages, if one
    /// is there.
    async fn try_stream_snapshot(&mut self, k: usize) -> bool {
        let Mode::Resync { buf, .. } = &mut self.tracks[k].mode else {
            return true;
        };
        let Some(at) = buf
            .iter()
            .rposition(|(_, evs)| matches!(evs.first(), Some(MarketEvent::SnapshotBegin(_))))
        else {
            return true;
        };
        let mut rest: VecDeque<_> = buf.split_off(at);
        let first = rest
            .front()
            .map(|(p, _)| *p)
            .unwrap_or(Position { epoch: 0, seq: 0 });
        self.tracks[k].next = first;
        self.tracks[k].mode = Mode::Live;
        self.stats.resyncs.fetch_add(1, Ordering::Relaxed);
        self.replay_buffer(k, &mut rest).await
    }

    /// Delivers buffered messages that continue track `k`; a break in them is a new gap.
    async fn replay_buffer(
        &mut self,
        k: usize,
        buf: &mut VecDeque<(Position, Vec<MarketEvent>)>,
    ) -> bool {
        while let Some((pos, evs)) = buf.pop_front() {
            let next = self.tracks[k].next;
            if pos.epoch == next.epoch && pos.seq < next.seq {
                self.stats.redelivered.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if pos != next {
                // Boxed: a gap may end in a snapshot in the stream, which replays again.
                let ok = Box::pin(self.gap(k, StaleReason::SequenceGap, Some((pos, evs)))).await;
                if let Mode::Resync { buf: b, events, .. } = &mut self.tracks[k].mode {
                    *events += buf.iter().map(|(_, e)| e.len()).sum::<usize>();
                    b.extend(buf.drain(..));
                }
                return ok;
            }
            self.tracks[k].next.seq += 1;
            if !self.deliver_events(k, &evs).await {
                return false;
            }
        }
        true
    }

    /// Track `k`'s resync from `img`, if it lines up with the buffer: true when applied.
    async fn try_image(&mut self, k: usize, img: &BookImage) -> Option<bool> {
        let had = self.tracks[k].next;
        let Mode::Resync { buf, .. } = &mut self.tracks[k].mode else {
            return Some(true);
        };
        if img.state != BookState::Synced {
            return None;
        }
        // An image of an older publisher than the buffered messages is of no use.
        if buf
            .back()
            .is_some_and(|(p, _)| p.epoch != img.position.epoch)
        {
            return None;
        }
        while buf
            .front()
            .is_some_and(|(p, _)| p.epoch != img.position.epoch || p.seq <= img.position.seq)
        {
            buf.pop_front();
        }
        // With nothing buffered, only an image past what the book had proves the bus moves
        // again (a dead publisher's last image would resync the book to where it was).
        if buf.is_empty() && img.position.epoch == had.epoch && img.position.seq < had.seq {
            return None;
        }
        if buf
            .front()
            .is_some_and(|(p, _)| p.seq != img.position.seq + 1)
        {
            self.stats.stale_images.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let mut rest = std::mem::take(buf);
        self.stats.resyncs.fetch_add(1, Ordering::Relaxed);
        tracing::info!(key = %self.tracks[k].key, seq = img.position.seq, "bus resync from image");
        if !self.apply_image(k, img).await {
            return Some(false);
        }
        Some(self.replay_buffer(k, &mut rest).await)
    }

    /// Every 50 ms: a lost connection makes every book stale and the consumer is made again;
    /// resyncing books read the bucket and ask for fresh images.
    async fn housekeeping(&mut self) -> Tick {
        if self.disconnected.swap(false, Ordering::AcqRel) {
            for k in 0..self.tracks.len() {
                if matches!(self.tracks[k].mode, Mode::Live)
                    && !self.gap(k, StaleReason::Disconnected, None).await
                {
                    return Tick::Stop;
                }
            }
            return Tick::Reopen;
        }
        let now = Instant::now();
        if now.duration_since(self.last_message) >= WATCHDOG {
            // A publisher gone (or a stream consumer stuck): loudly stale, not silently old.
            self.last_message = now;
            tracing::warn!(secs = WATCHDOG.as_secs(), "no bus message; books stale");
            for k in 0..self.tracks.len() {
                if matches!(self.tracks[k].mode, Mode::Live)
                    && !self.gap(k, StaleReason::FeedSilent, None).await
                {
                    return Tick::Stop;
                }
            }
            return Tick::Reopen;
        }
        for k in 0..self.tracks.len() {
            let (due_image, due_request) = match &self.tracks[k].mode {
                Mode::Resync {
                    next_image,
                    next_request,
                    ..
                } => (*next_image <= now, *next_request <= now),
                Mode::Live => continue,
            };
            let key = self.tracks[k].key.clone();
            if due_request {
                let _ = self
                    .client
                    .publish(SNAPSHOT_REQUEST, key.clone().into())
                    .await;
                if let Mode::Resync { next_request, .. } = &mut self.tracks[k].mode {
                    *next_request = now + RETRY_REQUEST;
                }
            }
            if !due_image {
                continue;
            }
            if let Mode::Resync { next_image, .. } = &mut self.tracks[k].mode {
                *next_image = now + RETRY_IMAGE;
            }
            let value = match &self.kv {
                Some(kv) => kv.get(&key).await.ok().flatten(),
                None => None,
            };
            let Some(value) = value else { continue };
            match codec::decode_image(&value) {
                Ok(img) => {
                    if self.try_image(k, &img).await == Some(false) {
                        return Tick::Stop;
                    }
                }
                Err(e) => {
                    self.stats.decode_errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(key = %key, error = %e, "bus image unreadable");
                }
            }
        }
        Tick::Go
    }
}
