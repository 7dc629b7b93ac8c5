//! `ladder feed`'s publisher: the venue connectors' events onto JetStream.
//!
//! Each venue's live core delivers into a [`BusOutput`] (its [`FeedOutput`]): a bounded
//! channel to the publisher thread, so a stalled bus never blocks a feed thread; a full channel
//! refuses the event and the live core does what it does for a full ring (the instrument goes
//! stale, is resynced from the venue, and the `Stale(QueueOverflow)` marker goes out on the
//! bus). The publisher thread (its own tokio runtime) groups each instrument's events into one
//! message per venue update (up to the delta marked `last`, a trade, a status, a snapshot's
//! end), numbers them per instrument under its epoch, publishes them on
//! `ladder.md.<venue>.<token>` with the `Ladder-Schema` header, and keeps each instrument's book
//! (an [`L2Book`]) to write its image into the `ladder-books` bucket every `snapshot_every`
//! (when it changed and is synced) and on request (`ladder.ctl.snapshot`). It creates or
//! updates the stream with its retention limits first. No hot thread is involved.

use super::codec::{self, BookImage, Position, SCHEMA_HEADER};
use super::{BUCKET, BusError, SNAPSHOT_REQUEST, STREAM, SourceConfig, subject};
use crate::book::{BookConfig, L2Book};
use crate::clock::Clock;
use crate::feed::live::FeedOutput;
use crate::instrument::Registry;
use crate::report::summary::BookReport;
use async_nats::jetstream;
use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use ladder_sdk::{BookState, MarketEvent, Side, UnixNanos};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// Events a bus channel holds before it refuses one.
pub const CHANNEL_CAPACITY: usize = 1 << 16;
/// Most events in one bus message (a snapshot of a deep book spans several).
pub const MAX_EVENTS_PER_MESSAGE: usize = 4096;
/// Acks awaited at once before publishing waits for one.
const MAX_IN_FLIGHT: usize = 4096;
/// Levels per side written to the final books of the feed's summary.
pub const FINAL_LEVELS: usize = crate::hot::engine::FINAL_LEVELS;

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

/// One instrument on the bus.
struct Inst {
    name: String,
    venue: String,
    symbol: String,
    subject: String,
    key: String,
    tick_size: String,
    lot_size: String,
    spec: ladder_sdk::InstrumentSpec,
    book: L2Book,
    seq: u64,
    pending: Vec<MarketEvent>,
    state: BookState,
    update_id: u64,
    ts_exchange: UnixNanos,
    ts_recv: UnixNanos,
    changed: bool,
}

impl Inst {
    fn image(&self, epoch: u64, stream_seq: u64) -> BookImage {
        let levels = |side| {
            self.book
                .levels(side)
                .map(|l| (l.price.ticks(), l.qty.lots()))
                .collect()
        };
        BookImage {
            position: Position {
                epoch,
                seq: self.seq,
            },
            stream_seq,
            venue: self.venue.clone(),
            symbol: self.symbol.clone(),
            tick_size: self.tick_size.clone(),
            lot_size: self.lot_size.clone(),
            state: self.state,
            update_id: self.update_id,
            ts_exchange: self.ts_exchange,
            ts_recv: self.ts_recv,
            bids: levels(Side::Buy),
            asks: levels(Side::Sell),
        }
    }

    fn apply(&mut self, ev: &MarketEvent) {
        self.book.apply_event(ev);
        self.changed = true;
        match ev {
            MarketEvent::BookDelta(d) => {
                self.update_id = d.update_id;
                self.ts_exchange = d.ts_exchange;
                self.ts_recv = d.ts_recv;
            }
            MarketEvent::SnapshotBegin(m) | MarketEvent::SnapshotEnd(m) => {
                self.update_id = m.update_id;
                self.ts_exchange = m.ts_exchange;
                self.ts_recv = m.ts_recv;
            }
            MarketEvent::Status(s) => self.state = s.state,
            MarketEvent::Trade(_) | MarketEvent::Bbo(_) => {}
        }
    }
}

/// True when `ev` ends a bus message (a venue update is complete).
fn closes(ev: &MarketEvent) -> bool {
    match ev {
        MarketEvent::BookDelta(d) => d.last,
        MarketEvent::SnapshotBegin(_) => false,
        _ => true,
    }
}

type AckFuture = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<jetstream::publish::PublishAck, String>> + Send>,
>;

struct Pub {
    js: jetstream::Context,
    kv: jetstream::kv::Store,
    url: String,
    epoch: u64,
    insts: Vec<Inst>,
    stats: Arc<PublisherStats>,
    acks: FuturesUnordered<AckFuture>,
    /// Highest stream sequence acked so far.
    acked_seq: u64,
    buf: Vec<u8>,
}

async fn run(
    opts: PublishOptions,
    registry: Arc<Registry>,
    mut rx: mpsc::Receiver<MarketEvent>,
    stats: Arc<PublisherStats>,
    epoch: u64,
    ready: std::sync::mpsc::Sender<Result<(), BusError>>,
) -> Result<PublisherFinal, BusError> {
    let mut p = match setup(&opts, &registry, &stats, epoch).await {
        Ok(p) => p,
        Err(e) => {
            let _ = ready.send(Err(BusError::Thread(e.to_string())));
            return Err(e);
        }
    };
    let requests =
        p.js.client()
            .subscribe(SNAPSHOT_REQUEST)
            .await
            .map_err(|e| p.err("snapshot requests", e));
    let mut requests = match requests {
        Ok(r) => r,
        Err(e) => {
            let _ = ready.send(Err(BusError::Thread(e.to_string())));
            return Err(e);
        }
    };
    let _ = ready.send(Ok(()));
    let mut tick = tokio::time::interval(opts.snapshot_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            ev = rx.recv() => match ev {
                Some(ev) => p.on_event(ev).await,
                None => break,
            },
            Some(ack) = p.acks.next(), if !p.acks.is_empty() => p.on_ack(ack),
            _ = tick.tick() => p.write_images(None, false).await,
            Some(req) = requests.next() => {
                let key = std::str::from_utf8(&req.payload).unwrap_or("").trim().to_owned();
                p.stats.requests.fetch_add(1, Ordering::Relaxed);
                p.write_images((!key.is_empty()).then_some(key.as_str()), true).await;
                if let Some(reply) = req.reply {
                    let _ = p.js.client().publish(reply, "ok".into()).await;
                }
            }
        }
    }
    // The feeds are gone: publish what is left, wait for the acks (bounded), write the images.
    for k in 0..p.insts.len() {
        if !p.insts[k].pending.is_empty() {
            p.flush(k).await;
        }
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !p.acks.is_empty() {
        match tokio::time::timeout_at(deadline, p.acks.next()).await {
            Ok(Some(ack)) => p.on_ack(ack),
            Ok(None) => break,
            Err(_) => {
                let left = p.acks.len() as u64;
                p.stats.failed.fetch_add(left, Ordering::Relaxed);
                break;
            }
        }
    }
    p.write_images(None, false).await;
    let _ = p.js.client().flush().await;
    let books = p
        .insts
        .iter_mut()
        .map(|i| {
            let report = BookReport {
                state: i.state.as_str(),
                bids: crate::report::decimal_levels(
                    &i.spec,
                    i.book.levels(Side::Buy).take(FINAL_LEVELS),
                ),
                asks: crate::report::decimal_levels(
                    &i.spec,
                    i.book.levels(Side::Sell).take(FINAL_LEVELS),
                ),
            };
            (i.name.clone(), report)
        })
        .collect();
    Ok(PublisherFinal { epoch, books })
}

async fn setup(
    opts: &PublishOptions,
    registry: &Registry,
    stats: &Arc<PublisherStats>,
    epoch: u64,
) -> Result<Pub, BusError> {
    let url = opts.source.display_url();
    let ev_stats = Arc::clone(stats);
    let client = opts
        .source
        .connect("ladder feed", move |event| match event {
            async_nats::Event::Connected => ev_stats.connected.store(true, Ordering::Relaxed),
            async_nats::Event::Disconnected => {
                ev_stats.connected.store(false, Ordering::Relaxed);
                ev_stats.disconnects.fetch_add(1, Ordering::Relaxed);
                tracing::warn!("bus disconnected");
            }
            other => tracing::info!(event = %other, "bus event"),
        })
        .await?;
    stats.connected.store(true, Ordering::Relaxed);
    let js = jetstream::ContextBuilder::new()
        .max_ack_inflight(MAX_IN_FLIGHT)
        .ack_timeout(Duration::from_secs(5))
        .build(client);
    let jerr = |what: &'static str, e: &dyn std::fmt::Display| BusError::JetStream {
        what,
        url: url.clone(),
        message: e.to_string(),
    };
    js.create_or_update_stream(jetstream::stream::Config {
        name: STREAM.to_owned(),
        subjects: vec!["ladder.md.>".to_owned()],
        max_age: opts.max_age,
        max_bytes: opts.max_bytes,
        storage: jetstream::stream::StorageType::File,
        ..Default::default()
    })
    .await
    .map_err(|e| jerr("stream create", &e))?;
    // The bucket's stream is made as the client's `create_key_value` makes it, without its
    // account query (whose reply from a 2.9 server the client cannot read).
    js.create_or_update_stream(jetstream::stream::Config {
        name: format!("KV_{BUCKET}"),
        subjects: vec![format!("$KV.{BUCKET}.>")],
        max_messages_per_subject: 1,
        storage: jetstream::stream::StorageType::File,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: jetstream::stream::DiscardPolicy::New,
        num_replicas: 1,
        ..Default::default()
    })
    .await
    .map_err(|e| jerr("bucket create", &e))?;
    let kv = js
        .get_key_value(BUCKET)
        .await
        .map_err(|e| jerr("bucket lookup", &e))?;
    let insts = registry
        .iter()
        .map(|i| Inst {
            name: i.name.clone(),
            venue: i.venue.name().to_owned(),
            symbol: i.symbol.clone(),
            subject: subject::events(i.venue, &i.symbol),
            key: subject::key(i.venue, &i.symbol),
            tick_size: i.spec.tick_size().normalize().to_string(),
            lot_size: i.spec.lot_size().normalize().to_string(),
            spec: i.spec,
            book: L2Book::new(BookConfig::default()),
            seq: 0,
            pending: Vec::new(),
            state: BookState::Connecting,
            update_id: 0,
            ts_exchange: UnixNanos::from_nanos(0),
            ts_recv: UnixNanos::from_nanos(0),
            changed: false,
        })
        .collect();
    Ok(Pub {
        js,
        kv,
        url,
        epoch,
        insts,
        stats: Arc::clone(stats),
        acks: FuturesUnordered::new(),
        acked_seq: 0,
        buf: Vec::with_capacity(1 << 16),
    })
}

impl Pub {
    fn err(&self, what: &'static str, e: impl std::fmt::Display) -> BusError {
        BusError::JetStream {
            what,
            url: self.url.clone(),
            message: e.to_string(),
        }
    }

    async fn on_event(&mut self, ev: MarketEvent) {
        self.stats.events.fetch_add(1, Ordering::Relaxed);
        let k = ev.instrument().index();
        if k >= self.insts.len() {
            return;
        }
        if matches!(ev, MarketEvent::SnapshotBegin(_)) && !self.insts[k].pending.is_empty() {
            self.flush(k).await;
        }
        self.insts[k].pending.push(ev);
        if closes(&ev) || self.insts[k].pending.len() >= MAX_EVENTS_PER_MESSAGE {
            self.flush(k).await;
        }
    }

    /// Publishes instrument `k`'s pending events as its next message, and applies them to its
    /// book.
    async fn flush(&mut self, k: usize) {
        while self.acks.len() >= MAX_IN_FLIGHT {
            match self.acks.next().await {
                Some(ack) => self.on_ack(ack),
                None => break,
            }
        }
        let inst = &mut self.insts[k];
        inst.seq += 1;
        self.buf.clear();
        codec::encode_events(
            &mut self.buf,
            Position {
                epoch: self.epoch,
                seq: inst.seq,
            },
            &inst.pending,
        );
        let events = std::mem::take(&mut inst.pending);
        for ev in &events {
            inst.apply(ev);
        }
        inst.pending = events;
        inst.pending.clear();
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(SCHEMA_HEADER, codec::SCHEMA.to_string().as_str());
        let payload = bytes::Bytes::copy_from_slice(&self.buf);
        let subject = inst.subject.clone();
        match self
            .js
            .publish_with_headers(subject, headers, payload)
            .await
        {
            Ok(ack) => {
                self.stats.published.fetch_add(1, Ordering::Relaxed);
                self.acks.push(Box::pin(
                    async move { ack.await.map_err(|e| e.to_string()) },
                ));
            }
            Err(e) => {
                self.stats.failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, "bus publish failed");
            }
        }
    }

    fn on_ack(&mut self, ack: Result<jetstream::publish::PublishAck, String>) {
        match ack {
            Ok(a) => {
                self.stats.acked.fetch_add(1, Ordering::Relaxed);
                self.acked_seq = self.acked_seq.max(a.sequence);
            }
            Err(e) => {
                self.stats.failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, "bus publish not acknowledged");
            }
        }
    }

    /// Writes the images of the synced books (`only`: one key) that changed since their last
    /// image (`force`: changed or not).
    async fn write_images(&mut self, only: Option<&str>, force: bool) {
        // A consumer joining from an image reads the stream from just after the last
        // acknowledged message: every message published after the image comes later.
        let stream_seq = self.acked_seq + 1;
        for k in 0..self.insts.len() {
            let inst = &self.insts[k];
            if only.is_some_and(|key| key != inst.key)
                || inst.state != BookState::Synced
                || !inst.pending.is_empty()
                || inst.seq == 0
                || !(force || inst.changed)
            {
                continue;
            }
            self.buf.clear();
            codec::encode_image(&mut self.buf, &inst.image(self.epoch, stream_seq));
            let value = bytes::Bytes::copy_from_slice(&self.buf);
            match self.kv.put(&inst.key, value).await {
                Ok(_) => {
                    self.stats.images.fetch_add(1, Ordering::Relaxed);
                    self.insts[k].changed = false;
                }
                Err(e) => tracing::warn!(key = %inst.key, error = %e, "bus image not written"),
            }
        }
    }
}
