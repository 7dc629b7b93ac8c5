//! The bus thread's state machine: each instrument's continuity (epoch and sequence), a bus
//! gap's resync from the bucket or from a snapshot in the stream, the ring's back-pressure,
//! and the consumer's reopening after a lost connection or a silent bus.

use super::{BusStats, Joined, MAX_BUFFERED_EVENTS, RETRY_IMAGE, RETRY_REQUEST, WATCHDOG};
use crate::bus::codec::{self, BookImage, Position, SCHEMA_HEADER};
use crate::bus::{BUCKET, BusError, SNAPSHOT_REQUEST, STREAM, subject};
use crate::clock::Clock;
use crate::feed::integrity::IntegrityFault;
use crate::feed::live::{FeedOutput, FeedStatus};
use async_nats::jetstream;
use futures_util::StreamExt as _;
use ladder_sdk::{
    BookDelta, BookMarker, BookState, BookStatus, InstrumentId, MarketEvent, Price, Quantity, Side,
    StaleReason,
};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::time::Instant;

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

pub(super) struct Consumer {
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
    pub(super) fn new(
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

    pub(super) async fn run(&mut self) -> Result<(), BusError> {
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
