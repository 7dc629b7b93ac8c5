//! The live core: one task that owns a venue's books ([`FeedBooks`], through the venue's
//! [`LiveVenue`]) and the [`FeedOutput`], for every venue alike.
//!
//! Around it: one task per WebSocket connection of the venue's plan ([`conn`](super::conn);
//! Binance USD-M has two, `/public` for depth + bookTicker and `/market` for trades) and, for
//! venues whose snapshots are requested, one task that fetches them one at a time
//! ([`snapshot`](super::snapshot); Binance: REST within the weight budget, honouring 429/418).
//! Frames reach the core with the receive time taken when they were read; the core hands them
//! to the books, which decode and sequence them, and delivers the events through
//! [`Deliver`](super::deliver::Deliver).
//!
//! Book state machine, per instrument (each change is a `MarketEvent::Status` and a
//! [`FeedStatus`] update; the transitions are in [`state`]):
//!
//! ```text
//! Connecting --book connection open--> Syncing --snapshot lines up--> Synced
//! Synced --fault--> Stale(SequenceGap | ChecksumMismatch) --snapshot requested--> Resyncing --lines up--> Synced
//! Synced --output full / resync request--> Stale(QueueOverflow) --> Resyncing --> Synced
//! any --book connection lost--> Stale(Disconnected | FeedSilent) --> Connecting --open--> Resyncing --> Synced
//! ```
//!
//! Requested snapshots ([`SnapshotSource::Request`]) are asked for once the instrument's first
//! update is buffered (or after 1 s without one), so the snapshot is taken while updates are
//! buffered (`docs/venues.md` §1.4, §2.3). A snapshot older than the buffered updates (the books
//! report a fault on its replay) is discarded unseen by the output and asked for again. A
//! snapshot's events are staged and only delivered once they line up, so the output never sees
//! a book that is not in sequence. Snapshots in the stream ([`SnapshotSource::Stream`]) come
//! with each subscription; a resync sends the venue's resubscription on the book's connection,
//! again after [`STREAM_SNAPSHOT_WAIT`] if none came. Resubscriptions of one instrument are
//! spaced ([`RESUBSCRIBE_GAP`], doubling while they keep coming), so a book whose every new
//! snapshot faults makes no storm of requests, and a venue's cap on requests per connection
//! ([`LiveVenue::requests_per_hour`], OKX 480; [`LiveVenue::requests_per_second`], Coinbase 8,
//! which a connection-wide gap resubscribing every product would pass) is kept: a
//! resubscription over it waits, its
//! book not synced, until the hour allows. With [`SnapshotSource::StreamOrRequest`] a
//! subscription's snapshot is waited for its `wait`; then, once updates are buffered, one is
//! requested as with [`SnapshotSource::Request`] and joined to them (whichever lines up first
//! is used; a request's reply for a book that synced meanwhile is discarded). A book last
//! joined by a request is resynced by a request (the subscription stays: resubscribing would
//! only lose updates, since the stream brings no snapshot), one last joined in the stream by a
//! resubscription. The books keep their own copy of each book on this (non-hot) thread and
//! fault a crossed one
//! ([`IntegrityFault`](crate::feed::integrity::IntegrityFault)).

mod plan;
mod state;

pub(crate) use plan::Plan;

use super::adapter::{LiveVenue, SnapshotSource};
use super::backoff::Backoff;
use super::conn::{Command, ConnEvent, ConnParams, run_connection};
use super::deliver::{Deliver, Link, Stage, slot_of};
use super::snapshot::{SnapshotReply, SnapshotRequest, SnapshotWorker, snapshot_worker};
use super::status::Counter;
use super::{Control, FeedError, FeedOutput, FeedStatus, FrameTap, LiveFeedConfig};
use crate::clock::Clock;
use crate::feed::books::{FeedBooks, Frame, FrameError, FrameKind};
use crate::feed::integrity::Fault;
use crate::instrument::Registry;
use ladder_sdk::{BookState, MarketEvent, StaleReason, UnixNanos};
use state::{Fetch, Slot};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_rustls::rustls::ClientConfig;

/// How often the core looks at resync requests, owed statuses and snapshot retries when no
/// frame arrives.
const TICK: Duration = Duration::from_millis(100);
/// A book with no update this long after its connection opened asks for a snapshot anyway.
pub(crate) const FIRST_DIFF_WAIT: Duration = Duration::from_secs(1);
/// Wait before asking again after a snapshot body that could not be used.
pub(crate) const BAD_SNAPSHOT_WAIT: Duration = Duration::from_secs(1);
/// A subscription (or resubscription) whose snapshot has not come within this long is sent
/// again ([`SnapshotSource::Stream`]).
pub(crate) const STREAM_SNAPSHOT_WAIT: Duration = Duration::from_secs(10);
/// The shortest time between two resubscriptions of one instrument; doubled for each one that
/// follows within [`RESUBSCRIBE_CALM`] of the last, up to [`RESUBSCRIBE_MAX_GAP`].
pub(crate) const RESUBSCRIBE_GAP: Duration = Duration::from_millis(250);
/// The longest time between two resubscriptions of one instrument.
pub(crate) const RESUBSCRIBE_MAX_GAP: Duration = Duration::from_secs(30);
/// A resubscription this long after the last starts the spacing over.
pub(crate) const RESUBSCRIBE_CALM: Duration = Duration::from_secs(60);
/// Frames buffered between the connection tasks and the core.
const FRAME_QUEUE: usize = 16_384;

/// Everything the feed thread runs with.
pub(crate) struct Launch<O, V: LiveVenue> {
    pub(crate) config: LiveFeedConfig,
    pub(crate) venue: V,
    pub(crate) plan: Plan,
    pub(crate) registry: Arc<Registry>,
    pub(crate) output: O,
    pub(crate) rest: V::Rest,
    pub(crate) tls: Arc<ClientConfig>,
    pub(crate) status: Arc<FeedStatus>,
    pub(crate) control: Arc<Control>,
    pub(crate) stop: watch::Receiver<bool>,
}

/// One connection as the core sees it.
struct Conn {
    /// Its endpoint, named in errors about its frames.
    url: String,
    /// The slots whose books it carries.
    books: Vec<usize>,
    up: bool,
    ever_up: bool,
    /// When it last opened, while open and carrying books.
    up_since: Option<Instant>,
    commands: mpsc::UnboundedSender<Command>,
    /// Subscription frames it sends on each open.
    opening_requests: usize,
    /// When each subscribe or unsubscribe request of the last hour (or second) was sent on it
    /// (kept only for a venue that caps them: [`LiveVenue::requests_per_hour`],
    /// [`LiveVenue::requests_per_second`]).
    requests: std::collections::VecDeque<Instant>,
}

pub(crate) struct Core<O, V: LiveVenue> {
    venue: V,
    registry: Arc<Registry>,
    books: V::Books,
    out: O,
    status: Arc<FeedStatus>,
    control: Arc<Control>,
    clock: Clock,
    source: SnapshotSource,
    slots: Vec<Slot>,
    /// Delivery state of each slot toward the output.
    links: Vec<Link>,
    /// Registry index to slot.
    slot_of: Vec<Option<usize>>,
    conns: Vec<Conn>,
    generations: Arc<[AtomicU64]>,
    snapshots: mpsc::UnboundedSender<SnapshotRequest>,
    /// A snapshot's events until they line up.
    staged: Vec<MarketEvent>,
    tap: Option<Arc<dyn FrameTap>>,
}

/// Runs the feed until asked to stop.
pub(crate) async fn run<O: FeedOutput, V: LiveVenue>(launch: Launch<O, V>) {
    let Launch {
        config,
        venue,
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
        let (command_tx, command_rx) = mpsc::unbounded_channel();
        let params = ConnParams {
            conn: k,
            url: c.url.clone(),
            subscribe: c.subscribe.clone(),
            keep_alive: c.keep_alive.clone(),
            signer: venue.signer(),
            max_message: venue.max_message_bytes(),
            tls: Arc::clone(&tls),
            watchdog: config.watchdog,
            connect_timeout: config.connect_timeout,
            backoff: config.backoff,
            seed: seed ^ (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            clock,
        };
        conns.push(Conn {
            url: c.base.clone(),
            books: c.books.clone(),
            up: false,
            ever_up: false,
            up_since: None,
            commands: command_tx,
            opening_requests: c.subscribe.len(),
            requests: std::collections::VecDeque::new(),
        });
        // Spaced when the venue caps how fast connections may be opened.
        let delay = venue.connection_spacing() * u32::try_from(k).unwrap_or(u32::MAX);
        let connection = run_connection(params, frame_tx.clone(), command_rx, Arc::clone(&status));
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            connection.await;
        });
    }
    drop(frame_tx);
    let generations: Arc<[AtomicU64]> =
        plan.instruments.iter().map(|_| AtomicU64::new(0)).collect();
    let (req_tx, req_rx) = mpsc::unbounded_channel();
    let (reply_tx, mut replies) = mpsc::unbounded_channel();
    let source = venue.snapshots();
    if source.requested() {
        tokio::spawn(snapshot_worker(SnapshotWorker {
            rest,
            requests: req_rx,
            replies: reply_tx,
            generations: Arc::clone(&generations),
            status: Arc::clone(&status),
            backoff: Backoff::new(config.backoff, seed ^ 0x5EED),
            ban_wait: config.ban_wait,
            clock,
        }));
    }
    let mut slot_of = vec![None; registry.len()];
    let slots = plan
        .instruments
        .iter()
        .enumerate()
        .map(|(k, (id, symbol))| {
            if let Some(s) = slot_of.get_mut(id.index()) {
                *s = Some(k);
            }
            Slot::new(
                *id,
                symbol.clone(),
                conns.iter().position(|c| c.books.contains(&k)).unwrap_or(0),
            )
        })
        .collect::<Vec<_>>();
    let mut core = Core {
        books: venue.books(&registry),
        venue,
        registry,
        out: output,
        status,
        control,
        clock,
        source,
        links: slots.iter().map(|_| Link::default()).collect(),
        slots,
        slot_of,
        conns,
        generations,
        snapshots: req_tx,
        staged: Vec::new(),
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

impl<O: FeedOutput, V: LiveVenue> Core<O, V> {
    fn on_conn_event(&mut self, ev: ConnEvent) {
        match ev {
            ConnEvent::Frame {
                conn,
                ts_recv,
                data,
            } => self.on_frame(conn, ts_recv, &data),
            ConnEvent::Connecting { conn } => {
                let now = self.clock.now();
                for i in 0..self.conns[conn].books.len() {
                    let k = self.conns[conn].books[i];
                    self.publish(k, BookState::Connecting, None, now);
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
        tracing::info!(
            venue = %self.venue.venue(),
            url = %c.url,
            books = c.books.len(),
            reconnect = c.ever_up,
            "connected"
        );
        c.up = true;
        c.ever_up = true;
        self.status.set_connected(conn, true);
        if c.books.is_empty() {
            return;
        }
        c.up_since = Some(Instant::now());
        // The venue counts requests per connection: a new one starts with its subscriptions.
        c.requests.clear();
        if self.venue.requests_per_hour().is_some() || self.venue.requests_per_second().is_some() {
            let now = Instant::now();
            c.requests
                .extend(std::iter::repeat_n(now, c.opening_requests));
        }
        for i in 0..self.conns[conn].books.len() {
            let k = self.conns[conn].books[i];
            // Fresh sequencing: updates buffered on the old connection are of no use.
            self.books.restart(self.slots[k].id);
            self.bump_generation(k);
            if self.source.in_stream() {
                // The subscription sent on open brings the snapshot.
                self.slots[k].fetch = Fetch::Subscribed(Instant::now());
            }
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
        tracing::warn!(
            venue = %self.venue.venue(),
            url = %c.url,
            "connection down; reconnecting after the backoff delay"
        );
        if !c.up {
            return;
        }
        c.up = false;
        self.status.set_connected(conn, false);
        if c.books.is_empty() {
            return;
        }
        c.up_since = None;
        let reason = if silent {
            StaleReason::FeedSilent
        } else {
            StaleReason::Disconnected
        };
        for i in 0..self.conns[conn].books.len() {
            let k = self.conns[conn].books[i];
            self.books.invalidate(self.slots[k].id);
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
        let mut sink = Deliver {
            out: &mut self.out,
            links: &mut self.links,
            slot_of: &self.slot_of,
            status: &self.status,
            staged: &mut self.staged,
            stage: Stage::Snapshots,
            staging: None,
        };
        match self
            .books
            .on_frame(&self.registry, ts_recv, data, &mut sink)
        {
            Ok(frame) => self.on_decoded(conn, ts_recv, frame),
            Err(e) => self.on_bad_frame(conn, ts_recv, data, e),
        }
        self.staged.clear();
    }

    /// What a frame did, once its events are out (or staged, for a snapshot).
    fn on_decoded(&mut self, conn: usize, ts_recv: UnixNanos, frame: Frame) {
        let k = frame.instrument.and_then(|id| slot_of(&self.slot_of, id));
        match (frame.kind, k) {
            (FrameKind::Depth, Some(k)) => {
                self.progress(k);
                if let Some(f) = frame.fault {
                    self.on_fault(k, f);
                }
                self.after(k, ts_recv);
                self.maybe_request_snapshot(k);
            }
            (FrameKind::Snapshot, Some(k)) => {
                if frame.fault.is_none() {
                    self.slots[k].joined_by_request = false;
                }
                self.finish_snapshot(k, frame.fault, ts_recv);
            }
            (FrameKind::Trade | FrameKind::Bbo(_), Some(k)) => self.after(k, ts_recv),
            (FrameKind::SpecialTrade, _) => self.status.count(Counter::SpecialTrade),
            (FrameKind::Shutdown, _) => {
                let _ = self.conns[conn].commands.send(Command::RestartNow);
            }
            _ => {
                if let (None, Some(f)) = (frame.instrument, frame.fault) {
                    self.on_connection_fault(conn, f);
                }
            }
        }
    }

    /// A fault that names no instrument (a connection-wide sequence gap): every book the
    /// connection carries is stale and resynced.
    fn on_connection_fault(&mut self, conn: usize, f: Fault) {
        for i in 0..self.conns[conn].books.len() {
            let k = self.conns[conn].books[i];
            self.books.invalidate(self.slots[k].id);
            self.on_fault(k, f);
            self.after(k, f.ts_recv);
            self.maybe_request_snapshot(k);
        }
    }

    fn on_bad_frame(&mut self, conn: usize, now: UnixNanos, data: &[u8], e: FrameError) {
        if let Some(venue) = self.venue.error_frame(data) {
            // The venue's error reply on a market-data connection: the subscription failed.
            let url = self.conns[conn].url.clone();
            self.status
                .record_error(now, &FeedError::Subscribe { url, venue });
            let _ = self.conns[conn].commands.send(Command::RestartAfterBackoff);
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

    fn on_fault(&mut self, k: usize, f: Fault) {
        tracing::warn!(
            venue = %self.venue.venue(),
            symbol = %self.slots[k].symbol,
            kind = f.kind.name(),
            fault = %f.kind,
            "integrity fault; book stale, resyncing"
        );
        self.status.on_fault(k, &f.kind);
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
        if reply.generation != s.generation || !matches!(s.fetch, Fetch::InFlight(_)) {
            return; // taken for a book state that no longer exists
        }
        s.fetch = Fetch::Idle;
        let (body, ts_recv) = (reply.body.body, reply.body.ts_recv);
        if let Some(tap) = &self.tap {
            tap.snapshot(ts_recv, &s.symbol, &body);
        }
        let id = s.id;
        self.staged.clear();
        let mut sink = Deliver {
            out: &mut self.out,
            links: &mut self.links,
            slot_of: &self.slot_of,
            status: &self.status,
            staged: &mut self.staged,
            stage: Stage::Slot(k),
            staging: None,
        };
        match self
            .books
            .on_snapshot_body(&self.registry, id, ts_recv, &body, &mut sink)
        {
            Ok(frame) => {
                if frame.fault.is_none() {
                    self.slots[k].joined_by_request = true;
                }
                self.finish_snapshot(k, frame.fault, ts_recv);
            }
            Err(e) => {
                self.staged.clear();
                self.status.count(Counter::SnapshotFailure);
                self.status.record_error(
                    ts_recv,
                    &FeedError::Decode {
                        url: reply.url,
                        source: Box::new(e),
                    },
                );
                self.slots[k].fetch = Fetch::RetryAt(Instant::now() + BAD_SNAPSHOT_WAIT);
            }
        }
    }
}
