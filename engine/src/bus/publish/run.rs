//! The publisher thread of [`super::Publisher`]: batching the channel's events into one message
//! per instrument's complete updates, publishing with a bounded window of outstanding acks,
//! status changes on `ladder.status.<venue>`, and the book images in the bucket (see the
//! module docs of [`super`]).

use super::{
    BATCH_READ, FINAL_LEVELS, MAX_EVENTS_PER_MESSAGE, MAX_IN_FLIGHT, PublishOptions,
    PublisherFinal, PublisherStats, status_json,
};
use crate::book::{BookConfig, L2Book};
use crate::bus::codec::{self, BookImage, Position, SCHEMA_HEADER};
use crate::bus::{BUCKET, BusError, SNAPSHOT_REQUEST, STREAM, subject};
use crate::instrument::Registry;
use crate::report::summary::BookReport;
use async_nats::jetstream;
use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use ladder_sdk::{BookState, MarketEvent, Side, UnixNanos};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc;

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
    /// How many of `pending` form complete venue updates (published at the batch's end).
    ready: usize,
    status_subject: String,
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

/// True when `ev` ends a venue update (a message may end there).
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

pub(super) async fn run(
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
                Some(ev) => {
                    // One batch: what the channel holds now (bounded), then each instrument's
                    // complete updates as one message.
                    p.on_event(ev).await;
                    for _ in 1..BATCH_READ {
                        match rx.try_recv() {
                            Ok(ev) => p.on_event(ev).await,
                            Err(_) => break,
                        }
                    }
                    p.flush_ready().await;
                }
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
        let n = p.insts[k].pending.len();
        if n > 0 {
            p.flush(k, n).await;
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
    let link = Arc::clone(stats);
    let js = super::jetstream_publisher(&opts.source, "ladder feed", move |up| {
        link.connected.store(up, Ordering::Relaxed);
        if !up {
            link.disconnects.fetch_add(1, Ordering::Relaxed);
        }
    })
    .await?;
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
            ready: 0,
            status_subject: format!("ladder.status.{}", i.venue.name()),
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
        let n = self.insts[k].pending.len();
        if matches!(ev, MarketEvent::SnapshotBegin(_)) && n > 0 {
            self.flush(k, n).await;
        }
        if let MarketEvent::Status(s) = &ev {
            self.publish_status(k, s).await;
        }
        let inst = &mut self.insts[k];
        inst.pending.push(ev);
        let n = inst.pending.len();
        if matches!(ev, MarketEvent::Status(_) | MarketEvent::SnapshotEnd(_))
            || n >= MAX_EVENTS_PER_MESSAGE
        {
            self.flush(k, n).await;
        } else if closes(&ev) {
            inst.ready = n;
        }
    }

    /// Publishes every instrument's complete updates (the end of a batch).
    async fn flush_ready(&mut self) {
        for k in 0..self.insts.len() {
            let n = self.insts[k].ready;
            if n > 0 {
                self.flush(k, n).await;
            }
        }
    }

    /// Publishes a status change on `ladder.status.<venue>` (core NATS: not kept).
    async fn publish_status(&mut self, k: usize, s: &ladder_sdk::BookStatus) {
        let inst = &self.insts[k];
        let payload = status_json(&inst.name, s);
        if let Err(e) = self
            .js
            .client()
            .publish(inst.status_subject.clone(), payload.into())
            .await
        {
            tracing::warn!(error = %e, "bus status not published");
        }
    }

    /// Publishes the first `upto` of instrument `k`'s pending events as its next message, and
    /// applies them to its book.
    async fn flush(&mut self, k: usize, upto: usize) {
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
            &inst.pending[..upto],
        );
        let events = std::mem::take(&mut inst.pending);
        for ev in &events[..upto] {
            inst.apply(ev);
        }
        inst.pending = events;
        inst.pending.drain(..upto);
        inst.ready = 0;
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
