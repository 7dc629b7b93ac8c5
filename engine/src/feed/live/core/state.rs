//! The per-instrument book state machine of the live core: states and their announcement
//! ([`Core::publish`]), snapshot requests and their scheduling, resync requests from outside,
//! overflow handling, and a snapshot's completion.

use super::{
    Conn, Core, FIRST_DIFF_WAIT, RESUBSCRIBE_CALM, RESUBSCRIBE_GAP, RESUBSCRIBE_MAX_GAP,
    STREAM_SNAPSHOT_WAIT,
};
use crate::feed::books::FeedBooks;
use crate::feed::integrity::Fault;
use crate::feed::live::adapter::{LiveVenue, SnapshotSource};
use crate::feed::live::conn::Command;
use crate::feed::live::deliver::{flush_owed, offer};
use crate::feed::live::snapshot::SnapshotRequest;
use crate::feed::live::status::Counter;
use crate::feed::live::{FeedError, FeedOutput};
use ladder_sdk::{BookState, BookStatus, InstrumentId, MarketEvent, StaleReason, UnixNanos};
use std::sync::atomic::Ordering;
use tokio::time::Instant;

/// The window of [`LiveVenue::requests_per_hour`].
const REQUEST_WINDOW: std::time::Duration = std::time::Duration::from_secs(3600);
/// The window of [`LiveVenue::requests_per_second`].
const SECOND: std::time::Duration = std::time::Duration::from_secs(1);

/// True, and the `n` requests counted on `conn`, when sending them now keeps the venue's caps
/// on requests per connection ([`LiveVenue::requests_per_hour`],
/// [`LiveVenue::requests_per_second`]); always true for a venue without caps.
fn within_caps(venue: &impl LiveVenue, conn: &mut Conn, now: Instant, n: usize) -> bool {
    let (hour, second) = (venue.requests_per_hour(), venue.requests_per_second());
    if hour.is_none() && second.is_none() {
        return true;
    }
    let keep = if hour.is_some() {
        REQUEST_WINDOW
    } else {
        SECOND
    };
    while conn
        .requests
        .front()
        .is_some_and(|t| now.duration_since(*t) >= keep)
    {
        conn.requests.pop_front();
    }
    if hour.is_some_and(|cap| conn.requests.len() + n > cap as usize) {
        return false;
    }
    if let Some(cap) = second {
        let recent = conn
            .requests
            .iter()
            .rev()
            .take_while(|t| now.duration_since(**t) < SECOND)
            .count();
        if recent + n > cap as usize {
            return false;
        }
    }
    conn.requests.extend(std::iter::repeat_n(now, n));
    true
}

/// Where an instrument's next snapshot stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Fetch {
    /// None asked for.
    Idle,
    /// Requested from the snapshot worker at this time.
    InFlight(Instant),
    /// Subscribed (or resubscribed) at this time: the snapshot comes in the stream.
    Subscribed(Instant),
    /// The last one could not be used; ask again from this time.
    RetryAt(Instant),
}

/// One instrument of the feed.
#[derive(Debug)]
pub(super) struct Slot {
    pub(super) id: InstrumentId,
    pub(super) symbol: String,
    /// The connection that carries its book.
    pub(super) conn: usize,
    pub(super) state: BookState,
    pub(super) reason: Option<StaleReason>,
    /// Bumped whenever the book state a snapshot was asked for ends.
    pub(super) generation: u64,
    pub(super) fetch: Fetch,
    pub(super) ever_synced: bool,
    /// When it was last resubscribed, and the gap the next resubscription keeps after it.
    pub(super) resubscribed: Option<(Instant, std::time::Duration)>,
    /// Its last snapshot was a requested one ([`SnapshotSource::StreamOrRequest`]): it is
    /// resynced by a request, not a resubscription.
    pub(super) joined_by_request: bool,
}

impl Slot {
    pub(super) fn new(id: InstrumentId, symbol: String, conn: usize) -> Self {
        Self {
            id,
            symbol,
            conn,
            state: BookState::Connecting,
            reason: None,
            generation: 0,
            fetch: Fetch::Idle,
            ever_synced: false,
            resubscribed: None,
            joined_by_request: false,
        }
    }
}

impl<O: FeedOutput, V: LiveVenue> Core<O, V> {
    pub(super) fn announce_initial(&mut self) {
        let now = self.clock.now();
        for k in 0..self.slots.len() {
            let ev = MarketEvent::Status(BookStatus {
                instrument: self.slots[k].id,
                state: BookState::Connecting,
                reason: None,
                ts_recv: now,
            });
            offer(&mut self.out, &mut self.links[k], &self.status, ev);
            self.status.set_book(k, BookState::Connecting, None, now);
            self.after(k, now);
        }
    }

    /// A snapshot the books took (fetched, or in the stream), its events staged: delivered and
    /// the book synced if it lined up; otherwise (older than the buffered updates) never shown
    /// to the output and asked for again.
    ///
    /// A snapshot in the stream that faults (Bybit: crossed, deeper than its window, a level-1
    /// re-send out of sequence, a restart on another grid) is not a late snapshot but the
    /// book's fault: stale with its reason, and resynced if the books ask for it. A snapshot
    /// that leaves the book without one (Bybit's `u == 1` with no levels: delisted, or before
    /// an auction) is announced as the books' state (`Syncing`), not `Synced`.
    pub(super) fn finish_snapshot(&mut self, k: usize, fault: Option<Fault>, ts_recv: UnixNanos) {
        self.slots[k].fetch = Fetch::Idle;
        if let Some(f) = fault {
            tracing::warn!(
                venue = %self.venue.venue(),
                symbol = %self.slots[k].symbol,
                fault = %f.kind,
                "snapshot refused"
            );
            self.staged.clear();
            if self.source == SnapshotSource::Stream {
                self.on_fault(k, f);
                self.after(k, ts_recv);
            } else {
                self.status.count(Counter::StaleSnapshot);
            }
            self.maybe_request_snapshot(k);
            return;
        }
        let link = &mut self.links[k];
        link.suppress_book = false;
        for ev in self.staged.drain(..) {
            if !offer(&mut self.out, link, &self.status, ev) {
                break;
            }
        }
        let state = self.books.view(self.slots[k].id).map(|v| v.state);
        if state == Some(BookState::Syncing) {
            // The books announced it among the snapshot's events (Bybit: `Status(Syncing)`
            // before the `SnapshotBegin` that empties the book): recorded, not sent twice.
            let s = &mut self.slots[k];
            s.state = BookState::Syncing;
            s.reason = None;
            self.status.set_book(k, BookState::Syncing, None, ts_recv);
            self.after(k, ts_recv);
            return;
        }
        self.status.on_snapshot(k);
        self.progress(k);
        tracing::info!(
            venue = %self.venue.venue(),
            symbol = %self.slots[k].symbol,
            update_id = self.books.view(self.slots[k].id).map(|v| v.last_update_id),
            "snapshot applied"
        );
        self.slots[k].ever_synced = true;
        self.publish(k, BookState::Synced, None, ts_recv);
        self.after(k, ts_recv);
    }

    /// Copies the book's applied count and update id into the status.
    pub(super) fn progress(&self, k: usize) {
        if let Some(v) = self.books.view(self.slots[k].id) {
            self.status
                .set_book_progress(k, v.stats.applied, v.last_update_id);
        }
    }

    pub(super) fn housekeeping(&mut self) {
        let now = self.clock.now();
        if self.control.resync_any.load(Ordering::Acquire) {
            self.take_resync_requests(now);
        }
        for k in 0..self.slots.len() {
            flush_owed(&mut self.out, &mut self.links[k]);
            self.maybe_request_snapshot(k);
        }
    }

    pub(super) fn take_resync_requests(&mut self, now: UnixNanos) {
        self.control.resync_any.store(false, Ordering::Release);
        for k in 0..self.slots.len() {
            if !self.control.resync[k].swap(false, Ordering::AcqRel) {
                continue;
            }
            self.status.count(Counter::ResyncRequest);
            if self.conns[self.slots[k].conn].up_since.is_none() {
                continue; // the reconnect resyncs it anyway
            }
            self.books.invalidate(self.slots[k].id);
            self.bump_generation(k);
            self.publish(k, BookState::Stale, Some(StaleReason::QueueOverflow), now);
            self.maybe_request_snapshot(k);
        }
    }

    /// Asks for a snapshot when the book needs one and none is under way: a request once
    /// updates are buffered (or the first update is long in coming), or a resubscription
    /// (spaced per instrument); with [`SnapshotSource::StreamOrRequest`], a request once the
    /// subscription's own snapshot is `wait` late and updates are buffered.
    pub(super) fn maybe_request_snapshot(&mut self, k: usize) {
        let s = &self.slots[k];
        let Some(up_since) = self.conns[s.conn].up_since else {
            return;
        };
        if !self.books.needs_snapshot(s.id) {
            return;
        }
        let now = Instant::now();
        let pending = self.books.has_pending(s.id);
        let request = match (s.fetch, self.source) {
            (Fetch::InFlight(_), _) => return,
            (Fetch::RetryAt(t), _) if now < t => return,
            (Fetch::Subscribed(at), SnapshotSource::Stream)
                if now.duration_since(at) < STREAM_SNAPSHOT_WAIT =>
            {
                return;
            }
            (Fetch::Subscribed(at), SnapshotSource::StreamOrRequest { wait }) => {
                let waited = now.duration_since(at);
                if waited >= wait && pending {
                    true
                } else if waited < STREAM_SNAPSHOT_WAIT {
                    return;
                } else {
                    false
                }
            }
            // A book the stream brings no snapshot for, or a request that could not be used:
            // asked (again) once updates are buffered.
            (_, SnapshotSource::StreamOrRequest { .. }) if s.joined_by_request => {
                if !pending {
                    return;
                }
                true
            }
            (Fetch::RetryAt(_), SnapshotSource::StreamOrRequest { .. }) => pending,
            (_, SnapshotSource::Request) => {
                if !pending && now.duration_since(up_since) < FIRST_DIFF_WAIT {
                    return;
                }
                true
            }
            (_, SnapshotSource::Stream | SnapshotSource::StreamOrRequest { .. }) => false,
        };
        if request {
            let request = SnapshotRequest {
                slot: k,
                generation: s.generation,
                symbol: s.symbol.clone(),
            };
            if self.snapshots.send(request).is_err() {
                return;
            }
            self.slots[k].fetch = Fetch::InFlight(now);
        } else {
            if let Some((last, gap)) = s.resubscribed
                && now < last + gap
            {
                return; // asked again at a later tick
            }
            let texts = self.venue.resubscribe(&s.symbol);
            let conn = &mut self.conns[s.conn];
            if !within_caps(&self.venue, conn, now, texts.len()) {
                return; // asked again at a later tick, once the hour (or second) allows
            }
            for text in texts {
                if conn.commands.send(Command::Send(text)).is_err() {
                    return;
                }
            }
            let gap = match s.resubscribed {
                Some((last, gap)) if now.duration_since(last) < RESUBSCRIBE_CALM => {
                    (gap * 2).min(RESUBSCRIBE_MAX_GAP)
                }
                _ => RESUBSCRIBE_GAP,
            };
            let s = &mut self.slots[k];
            s.resubscribed = Some((now, gap));
            s.fetch = Fetch::Subscribed(now);
        }
        if self.slots[k].state == BookState::Stale {
            self.status.on_resync(k);
            self.publish(k, BookState::Resyncing, None, self.clock.now());
        }
    }

    pub(super) fn bump_generation(&mut self, k: usize) {
        let s = &mut self.slots[k];
        s.generation += 1;
        s.fetch = Fetch::Idle;
        self.generations[k].store(s.generation, Ordering::Release);
    }

    /// Sets and announces a book state (no-op if unchanged).
    pub(super) fn publish(
        &mut self,
        k: usize,
        state: BookState,
        reason: Option<StaleReason>,
        at: UnixNanos,
    ) {
        let s = &mut self.slots[k];
        if s.state == state && s.reason == reason {
            return;
        }
        tracing::info!(
            venue = %self.venue.venue(),
            symbol = %s.symbol,
            from = s.state.as_str(),
            to = state.as_str(),
            reason = reason.map(StaleReason::as_str),
            "book state"
        );
        s.state = state;
        s.reason = reason;
        self.status.set_book(k, state, reason, at);
        let ev = MarketEvent::Status(BookStatus {
            instrument: s.id,
            state,
            reason,
            ts_recv: at,
        });
        offer(&mut self.out, &mut self.links[k], &self.status, ev);
        self.after(k, at);
    }

    /// Handles an overflow noted during the last delivery: the book is stale (the output gets
    /// the owed marker when it has room) and is resynced.
    pub(super) fn after(&mut self, k: usize, at: UnixNanos) {
        let link = &mut self.links[k];
        if !link.overflow_pending {
            return;
        }
        link.overflow_pending = false;
        self.status.count(Counter::Overflow);
        let s = &mut self.slots[k];
        self.status.record_error(
            at,
            &FeedError::Overflow {
                symbol: s.symbol.clone(),
            },
        );
        self.books.invalidate(s.id);
        s.state = BookState::Stale;
        s.reason = Some(StaleReason::QueueOverflow);
        self.status.set_book(k, BookState::Stale, s.reason, at);
        self.bump_generation(k);
        self.maybe_request_snapshot(k);
    }
}
