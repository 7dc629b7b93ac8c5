//! The Binance live connection loop (spot, USD-M, COIN-M).
//!
//! One core task owns the decoder, one [`Sequencer`] per instrument and the [`FeedOutput`].
//! Around it: one task per WebSocket connection ([`conn`](crate::feed::live::conn); USD-M has
//! two, `/public` for depth + bookTicker and `/market` for trades) and one REST task that
//! fetches depth snapshots one at a time within the weight budget, honouring 429/418. Frames
//! reach the core with the receive time taken when they were read.
//!
//! Book state machine (each change is a `MarketEvent::Status` and a [`FeedStatus`] update):
//!
//! ```text
//! Connecting --depth ws open--> Syncing --snapshot lines up--> Synced
//! Synced --fault--> Stale(SequenceGap | ChecksumMismatch) --snapshot requested--> Resyncing --lines up--> Synced
//! Synced --output full / resync request--> Stale(QueueOverflow) --> Resyncing --> Synced
//! any --depth ws lost--> Stale(Disconnected | FeedSilent) --> Connecting --open--> Resyncing --> Synced
//! ```
//!
//! Snapshots are requested once the instrument's first diff is buffered (or after 1 s without
//! one), so the snapshot is taken while diffs are buffered (`docs/venues.md` §1.4, §2.3). A
//! snapshot older than the buffered diffs (the sequencer reports a gap on its replay) is
//! discarded unseen by the output and fetched again. A snapshot's events are staged and only
//! delivered once they line up, so the output never sees a book that is not in sequence. Each
//! sequencer keeps its own book on this (non-hot) thread and faults a crossed one
//! ([`IntegrityFault`](crate::feed::integrity::IntegrityFault)).

use super::decode::{DecodeError, Decoded, Decoder, DepthHeader};
use super::endpoints::Plan;
use super::rest::{
    RestBody, RestClient, SnapshotReply, SnapshotRequest, SnapshotWorker, snapshot_worker,
};
use super::sync::{DepthOutcome, Sequencer, SyncRule, SyncSink};
use crate::clock::Clock;
use crate::feed::integrity::Fault;
use crate::feed::live::conn::{ConnEvent, ConnParams, Restart, run_connection};
use crate::feed::live::deliver::{Link, flush_owed, offer};
use crate::feed::live::status::Counter;
use crate::feed::live::{
    Backoff, Control, FeedError, FeedOutput, FeedStatus, FrameTap, LiveFeedConfig, VenueMessage,
};
use crate::instrument::Registry;
use ladder_sdk::{
    BookMarker, BookState, BookStatus, InstrumentId, Level, MarketEvent, StaleReason, UnixNanos,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_rustls::rustls::ClientConfig;

/// How often the core looks at resync requests, owed statuses and snapshot retries when no
/// frame arrives.
const TICK: Duration = Duration::from_millis(100);
/// A book with no diff this long after the depth connection opened asks for a snapshot anyway.
const FIRST_DIFF_WAIT: Duration = Duration::from_secs(1);
/// Wait before asking again after a snapshot body that could not be used.
const BAD_SNAPSHOT_WAIT: Duration = Duration::from_secs(1);
/// Frames buffered between the connection tasks and the core.
const FRAME_QUEUE: usize = 16_384;

/// Everything the feed thread runs with.
pub(crate) struct Launch<O> {
    pub(crate) config: LiveFeedConfig,
    pub(crate) plan: Plan,
    pub(crate) registry: Arc<Registry>,
    pub(crate) output: O,
    pub(crate) rest: RestClient,
    pub(crate) tls: Arc<ClientConfig>,
    pub(crate) status: Arc<FeedStatus>,
    pub(crate) control: Arc<Control>,
    pub(crate) stop: watch::Receiver<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fetch {
    Idle,
    InFlight,
    RetryAt(Instant),
}

struct Slot {
    id: InstrumentId,
    symbol: String,
    seq: Sequencer,
    /// Diffs applied by sequencers replaced on reconnects.
    applied_before: u64,
    state: BookState,
    reason: Option<StaleReason>,
    generation: u64,
    fetch: Fetch,
    link: Link,
    ever_synced: bool,
}

struct Conn {
    url: String,
    carries_book: bool,
    up: bool,
    ever_up: bool,
    restart: mpsc::UnboundedSender<Restart>,
}

struct Core<O> {
    registry: Arc<Registry>,
    out: O,
    status: Arc<FeedStatus>,
    control: Arc<Control>,
    rule: SyncRule,
    clock: Clock,
    decoder: Decoder,
    slots: Vec<Slot>,
    /// Registry index to slot.
    slot_of: Vec<Option<usize>>,
    conns: Vec<Conn>,
    generations: Arc<[AtomicU64]>,
    snapshots: mpsc::UnboundedSender<SnapshotRequest>,
    book_up_since: Option<Instant>,
    staged: Vec<MarketEvent>,
    depth_url: String,
    tap: Option<Arc<dyn FrameTap>>,
}

/// Runs the feed until asked to stop.
pub(crate) async fn run<O: FeedOutput>(launch: Launch<O>) {
    let Launch {
        config,
        plan,
        registry,
        output,
        rest,
        tls,
        status,
        control,
        mut stop,
    } = launch;
    let clock = Clock::live();
    let seed = config
        .backoff
        .seed
        .unwrap_or_else(|| clock.now().as_nanos());
    let (frame_tx, mut frames) = mpsc::channel::<ConnEvent>(FRAME_QUEUE);
    let mut conns = Vec::new();
    for (k, c) in plan.conns.iter().enumerate() {
        let (restart_tx, restart_rx) = mpsc::unbounded_channel();
        let params = ConnParams {
            conn: k,
            url: c.url(),
            tls: Arc::clone(&tls),
            watchdog: config.watchdog,
            connect_timeout: config.connect_timeout,
            backoff: config.backoff,
            seed: seed ^ (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            clock,
        };
        conns.push(Conn {
            url: c.base.clone(),
            carries_book: c.carries_book,
            up: false,
            ever_up: false,
            restart: restart_tx,
        });
        tokio::spawn(run_connection(
            params,
            frame_tx.clone(),
            restart_rx,
            Arc::clone(&status),
        ));
    }
    drop(frame_tx);
    let generations: Arc<[AtomicU64]> = plan.slots.iter().map(|_| AtomicU64::new(0)).collect();
    let (req_tx, req_rx) = mpsc::unbounded_channel();
    let (reply_tx, mut replies) = mpsc::unbounded_channel();
    let depth_url = rest.depth_url("<symbol>", config.snapshot_limit);
    tokio::spawn(snapshot_worker(SnapshotWorker {
        rest,
        requests: req_rx,
        replies: reply_tx,
        generations: Arc::clone(&generations),
        status: Arc::clone(&status),
        backoff: Backoff::new(config.backoff, seed ^ 0x5EED),
        limit: config.snapshot_limit,
        ban_wait: config.ban_wait,
        clock,
    }));
    let rule = SyncRule::for_venue(config.venue);
    let mut slot_of = vec![None; registry.len()];
    let slots = plan
        .slots
        .iter()
        .enumerate()
        .map(|(k, (id, symbol))| {
            if let Some(s) = slot_of.get_mut(id.index()) {
                *s = Some(k);
            }
            Slot {
                id: *id,
                symbol: symbol.clone(),
                seq: Sequencer::new(*id, rule),
                applied_before: 0,
                state: BookState::Connecting,
                reason: None,
                generation: 0,
                fetch: Fetch::Idle,
                link: Link::default(),
                ever_synced: false,
            }
        })
        .collect();
    let mut core = Core {
        registry,
        out: output,
        status,
        control,
        rule,
        clock,
        decoder: Decoder::new(config.venue),
        slots,
        slot_of,
        conns,
        generations,
        snapshots: req_tx,
        book_up_since: None,
        staged: Vec::new(),
        depth_url,
        tap: config.tap.clone(),
    };
    core.announce_initial();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    if *stop.borrow() {
        return;
    }
    loop {
        tokio::select! {
            biased;
            r = stop.changed() => if r.is_err() || *stop.borrow() { break },
            Some(reply) = replies.recv() => core.on_snapshot_reply(reply),
            _ = tick.tick() => core.housekeeping(),
            ev = frames.recv() => match ev {
                Some(ev) => core.on_conn_event(ev),
                None => break,
            },
        }
    }
}

impl<O: FeedOutput> Core<O> {
    fn announce_initial(&mut self) {
        let now = self.clock.now();
        for k in 0..self.slots.len() {
            let s = &mut self.slots[k];
            let ev = MarketEvent::Status(BookStatus {
                instrument: s.id,
                state: BookState::Connecting,
                reason: None,
                ts_recv: now,
            });
            offer(&mut self.out, &mut s.link, &self.status, ev);
            self.status.set_book(k, BookState::Connecting, None, now);
            self.after(k, now);
        }
    }

    fn on_conn_event(&mut self, ev: ConnEvent) {
        match ev {
            ConnEvent::Frame {
                conn,
                ts_recv,
                data,
            } => self.on_frame(conn, ts_recv, &data),
            ConnEvent::Connecting { conn } => {
                if self.conns[conn].carries_book {
                    let now = self.clock.now();
                    for k in 0..self.slots.len() {
                        self.publish(k, BookState::Connecting, None, now);
                    }
                }
            }
            ConnEvent::Connected { conn } => self.on_connected(conn),
            ConnEvent::Down { conn, error } => self.on_down(conn, error),
        }
    }

    fn on_connected(&mut self, conn: usize) {
        let now = self.clock.now();
        let c = &mut self.conns[conn];
        if c.ever_up {
            self.status.count(Counter::Reconnect);
        }
        c.up = true;
        c.ever_up = true;
        self.status.set_connected(conn, true);
        if !c.carries_book {
            return;
        }
        self.book_up_since = Some(Instant::now());
        for k in 0..self.slots.len() {
            // A fresh sequencer: diffs buffered on the old connection are of no use.
            let s = &mut self.slots[k];
            s.applied_before += s.seq.stats().applied;
            s.seq = Sequencer::new(s.id, self.rule);
            self.bump_generation(k);
            if self.slots[k].ever_synced {
                self.status.on_resync(k);
                self.publish(k, BookState::Resyncing, None, now);
            } else {
                self.publish(k, BookState::Syncing, None, now);
            }
        }
    }

    fn on_down(&mut self, conn: usize, error: Option<FeedError>) {
        let now = self.clock.now();
        let silent = matches!(error, Some(FeedError::Silent { .. }));
        if silent {
            self.status.count(Counter::WatchdogTimeout);
        }
        if let Some(e) = &error {
            self.status.record_error(now, e);
        }
        let c = &mut self.conns[conn];
        if !c.up {
            return;
        }
        c.up = false;
        self.status.set_connected(conn, false);
        if !c.carries_book {
            return;
        }
        self.book_up_since = None;
        let reason = if silent {
            StaleReason::FeedSilent
        } else {
            StaleReason::Disconnected
        };
        for k in 0..self.slots.len() {
            self.slots[k].seq.invalidate();
            self.bump_generation(k);
            self.publish(k, BookState::Stale, Some(reason), now);
        }
    }

    fn on_frame(&mut self, conn: usize, ts_recv: UnixNanos, data: &[u8]) {
        if let Some(tap) = &self.tap {
            tap.frame(ts_recv, data);
        }
        self.status.on_message(conn, data.len(), ts_recv);
        if self.control.resync_any.load(Ordering::Acquire) {
            self.take_resync_requests(ts_recv);
        }
        match self.decoder.decode(data, ts_recv, &self.registry) {
            Ok(Decoded::Depth(h)) => {
                if let Some(k) = self.slot(h.instrument) {
                    self.on_depth(k, &h);
                }
            }
            Ok(Decoded::Trade(t)) => {
                if let Some(k) = self.slot(t.instrument) {
                    if self.deliver(k, MarketEvent::Trade(t)) {
                        self.status.count(Counter::Trade);
                    }
                    self.after(k, ts_recv);
                }
            }
            Ok(Decoded::BookTicker(b)) => {
                if let Some(k) = self.slot(b.instrument) {
                    self.deliver(k, MarketEvent::Bbo(b));
                    self.after(k, ts_recv);
                }
            }
            Ok(Decoded::SpecialTrade(_)) => self.status.count(Counter::SpecialTrade),
            Ok(Decoded::ServerShutdown) => {
                let _ = self.conns[conn].restart.send(Restart::Now);
            }
            Ok(
                Decoded::AggTrade(_) | Decoded::Snapshot(_) | Decoded::Control | Decoded::Ignored,
            ) => {}
            Err(e) => self.on_bad_frame(conn, ts_recv, data, e),
        }
    }

    fn on_bad_frame(&mut self, conn: usize, now: UnixNanos, data: &[u8], e: DecodeError) {
        if let Some(venue) = VenueMessage::parse(data) {
            // `{"code":..,"msg":..}` on a market-data connection: the subscription failed.
            let url = self.conns[conn].url.clone();
            self.status
                .record_error(now, &FeedError::Subscribe { url, venue });
            let _ = self.conns[conn].restart.send(Restart::AfterBackoff);
            return;
        }
        self.status.count(Counter::DecodeError);
        let url = self.conns[conn].url.clone();
        self.status.record_error(
            now,
            &FeedError::Decode {
                url,
                source: Box::new(e),
            },
        );
    }

    fn on_depth(&mut self, k: usize, h: &DepthHeader) {
        let s = &mut self.slots[k];
        let mut sink = OutSink {
            out: &mut self.out,
            link: &mut s.link,
            status: &self.status,
            staged: None,
            ts_recv: h.ts_recv,
            ts_exchange: h.ts_exchange,
        };
        let outcome = s
            .seq
            .on_depth(h, self.decoder.bids(), self.decoder.asks(), &mut sink);
        self.status.set_book_progress(
            k,
            s.applied_before + s.seq.stats().applied,
            s.seq.last_update_id(),
        );
        if let DepthOutcome::Fault(f) = outcome {
            self.on_fault(k, f);
        }
        self.after(k, h.ts_recv);
        self.maybe_request_snapshot(k);
    }

    fn on_fault(&mut self, k: usize, f: Fault) {
        self.status.on_gap(k);
        let e = FeedError::Integrity {
            symbol: self.slots[k].symbol.clone(),
            fault: f.kind,
        };
        self.status.record_error(f.ts_recv, &e);
        self.publish(k, BookState::Stale, Some(f.kind.stale_reason()), f.ts_recv);
    }

    fn on_snapshot_reply(&mut self, reply: SnapshotReply) {
        let k = reply.slot;
        let Some(s) = self.slots.get_mut(k) else {
            return;
        };
        if reply.generation != s.generation || s.fetch != Fetch::InFlight {
            return; // taken for a book state that no longer exists
        }
        s.fetch = Fetch::Idle;
        let RestBody { body, ts_recv } = reply.body;
        if let Some(tap) = &self.tap {
            tap.snapshot(ts_recv, &s.symbol, &body);
        }
        let header = match self.decoder.decode(&body, ts_recv, &self.registry) {
            Ok(Decoded::Snapshot(h)) => self
                .decoder
                .resolve_snapshot(self.registry.get(s.id))
                .map(|()| h),
            Ok(_) => Err(DecodeError::Unrecognized),
            Err(e) => Err(e),
        };
        let h = match header {
            Ok(h) => h,
            Err(e) => {
                self.status.count(Counter::SnapshotFailure);
                let url = self.depth_url.replace("<symbol>", &s.symbol);
                self.status.record_error(
                    ts_recv,
                    &FeedError::Decode {
                        url,
                        source: Box::new(e),
                    },
                );
                s.fetch = Fetch::RetryAt(Instant::now() + BAD_SNAPSHOT_WAIT);
                return;
            }
        };
        self.staged.clear();
        let mut sink = OutSink {
            out: &mut self.out,
            link: &mut s.link,
            status: &self.status,
            staged: Some(&mut self.staged),
            ts_recv,
            ts_exchange: h.ts_exchange,
        };
        let replay_gap = s.seq.on_snapshot(
            h.last_update_id,
            self.decoder.bids(),
            self.decoder.asks(),
            &mut sink,
        );
        if replay_gap.is_some() {
            // Older than the buffered diffs: never shown to the output; ask again.
            self.status.count(Counter::StaleSnapshot);
            self.staged.clear();
            self.maybe_request_snapshot(k);
            return;
        }
        s.link.suppress_book = false;
        for ev in self.staged.drain(..) {
            if !offer(&mut self.out, &mut s.link, &self.status, ev) {
                break;
            }
        }
        self.status.on_snapshot(k);
        self.status.set_book_progress(
            k,
            s.applied_before + s.seq.stats().applied,
            s.seq.last_update_id(),
        );
        s.ever_synced = true;
        self.publish(k, BookState::Synced, None, ts_recv);
        self.after(k, ts_recv);
    }

    fn housekeeping(&mut self) {
        let now = self.clock.now();
        if self.control.resync_any.load(Ordering::Acquire) {
            self.take_resync_requests(now);
        }
        for k in 0..self.slots.len() {
            flush_owed(&mut self.out, &mut self.slots[k].link);
            self.maybe_request_snapshot(k);
        }
    }

    fn take_resync_requests(&mut self, now: UnixNanos) {
        self.control.resync_any.store(false, Ordering::Release);
        for k in 0..self.slots.len() {
            if !self.control.resync[k].swap(false, Ordering::AcqRel) {
                continue;
            }
            self.status.count(Counter::ResyncRequest);
            if self.book_up_since.is_none() {
                continue; // the reconnect resyncs it anyway
            }
            self.slots[k].seq.invalidate();
            self.bump_generation(k);
            self.publish(k, BookState::Stale, Some(StaleReason::QueueOverflow), now);
            self.maybe_request_snapshot(k);
        }
    }

    /// Asks for a snapshot when the book needs one, none is under way, and diffs are buffered
    /// (or the first diff is long in coming).
    fn maybe_request_snapshot(&mut self, k: usize) {
        let Some(up_since) = self.book_up_since else {
            return;
        };
        let s = &mut self.slots[k];
        if !s.seq.needs_snapshot() {
            return;
        }
        let now = Instant::now();
        match s.fetch {
            Fetch::InFlight => return,
            Fetch::RetryAt(t) if now < t => return,
            Fetch::Idle | Fetch::RetryAt(_) => {}
        }
        if s.seq.pending_range().is_none() && now.duration_since(up_since) < FIRST_DIFF_WAIT {
            return;
        }
        let request = SnapshotRequest {
            slot: k,
            generation: s.generation,
            symbol: s.symbol.clone(),
        };
        if self.snapshots.send(request).is_err() {
            return;
        }
        s.fetch = Fetch::InFlight;
        if s.state == BookState::Stale {
            self.status.on_resync(k);
            self.publish(k, BookState::Resyncing, None, self.clock.now());
        }
    }

    fn bump_generation(&mut self, k: usize) {
        let s = &mut self.slots[k];
        s.generation += 1;
        s.fetch = Fetch::Idle;
        self.generations[k].store(s.generation, Ordering::Release);
    }

    /// Sets and announces a book state (no-op if unchanged).
    fn publish(&mut self, k: usize, state: BookState, reason: Option<StaleReason>, at: UnixNanos) {
        let s = &mut self.slots[k];
        if s.state == state && s.reason == reason {
            return;
        }
        s.state = state;
        s.reason = reason;
        self.status.set_book(k, state, reason, at);
        let ev = MarketEvent::Status(BookStatus {
            instrument: s.id,
            state,
            reason,
            ts_recv: at,
        });
        offer(&mut self.out, &mut s.link, &self.status, ev);
        self.after(k, at);
    }

    fn deliver(&mut self, k: usize, ev: MarketEvent) -> bool {
        let s = &mut self.slots[k];
        offer(&mut self.out, &mut s.link, &self.status, ev)
    }

    /// Handles an overflow noted during the last delivery: the book is stale (the output gets
    /// the owed marker when it has room) and is resynced.
    fn after(&mut self, k: usize, at: UnixNanos) {
        let s = &mut self.slots[k];
        if !s.link.overflow_pending {
            return;
        }
        s.link.overflow_pending = false;
        self.status.count(Counter::Overflow);
        self.status.record_error(
            at,
            &FeedError::Overflow {
                symbol: s.symbol.clone(),
            },
        );
        s.seq.invalidate();
        s.state = BookState::Stale;
        s.reason = Some(StaleReason::QueueOverflow);
        self.status.set_book(k, BookState::Stale, s.reason, at);
        self.bump_generation(k);
        self.maybe_request_snapshot(k);
    }

    fn slot(&self, id: InstrumentId) -> Option<usize> {
        self.slot_of.get(id.index()).copied().flatten()
    }
}

/// The sequencer's decisions as [`MarketEvent`]s (the same events as the replay's sink),
/// delivered at once or, for a snapshot and its buffered diffs, staged until they line up.
struct OutSink<'a, O> {
    out: &'a mut O,
    link: &'a mut Link,
    status: &'a FeedStatus,
    staged: Option<&'a mut Vec<MarketEvent>>,
    ts_recv: UnixNanos,
    ts_exchange: UnixNanos,
}

impl<O: FeedOutput> OutSink<'_, O> {
    fn emit(&mut self, ev: MarketEvent) {
        match &mut self.staged {
            Some(staged) => staged.push(ev),
            None => {
                offer(self.out, self.link, self.status, ev);
            }
        }
    }
}

impl<O: FeedOutput> SyncSink for OutSink<'_, O> {
    fn snapshot(
        &mut self,
        instrument: InstrumentId,
        last_update_id: u64,
        bids: &[Level],
        asks: &[Level],
    ) {
        let m = BookMarker {
            instrument,
            update_id: last_update_id,
            ts_exchange: self.ts_exchange,
            ts_recv: self.ts_recv,
        };
        crate::feed::events::snapshot(&m, bids, asks, &mut |e| self.emit(e));
    }

    fn delta(&mut self, h: &DepthHeader, bids: &[Level], asks: &[Level]) {
        let m = BookMarker {
            instrument: h.instrument,
            update_id: h.last_id,
            ts_exchange: h.ts_exchange,
            ts_recv: h.ts_recv,
        };
        crate::feed::events::levels(&m, bids, asks, true, &mut |e| self.emit(e));
    }

    /// Faults reach the core through the sequencer's return value ([`Core::on_fault`]).
    fn fault(&mut self, _instrument: InstrumentId, _fault: Fault) {}
}
