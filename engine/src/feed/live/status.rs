//! [`FeedStatus`]: a live feed's state and counters, shared with the dashboard.
//!
//! Written by the feed thread, read by anyone: per-instrument book state and counters and the
//! feed-wide counters are atomics (readers never block the feed); only the text of the last
//! error sits behind a `Mutex`, written when an error happens, never per message.

use crate::feed::Venue;
use crate::feed::integrity::{FaultCounts, IntegrityFault};
use ladder_sdk::{BookState, InstrumentId, StaleReason, UnixNanos};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};

const RELAXED: Ordering = Ordering::Relaxed;

#[derive(Debug, Default)]
struct BookCell {
    state: AtomicU8,
    reason: AtomicU8,
    since: AtomicU64,
    applied: AtomicU64,
    gaps: AtomicU64,
    faults: [AtomicU64; IntegrityFault::NAMES.len()],
    resyncs: AtomicU64,
    snapshots: AtomicU64,
    last_update_id: AtomicU64,
}

#[derive(Debug)]
struct ConnCell {
    url: String,
    streams: Vec<String>,
    connected: AtomicBool,
    connects: AtomicU64,
    messages: AtomicU64,
    last_message: AtomicU64,
    backoff_ms: AtomicU64,
}

#[derive(Debug, Default)]
struct Counters {
    messages: AtomicU64,
    bytes: AtomicU64,
    decode_errors: AtomicU64,
    gaps: AtomicU64,
    resyncs: AtomicU64,
    reconnects: AtomicU64,
    snapshots: AtomicU64,
    stale_snapshots: AtomicU64,
    snapshot_failures: AtomicU64,
    watchdog_timeouts: AtomicU64,
    overflows: AtomicU64,
    undelivered: AtomicU64,
    resync_requests: AtomicU64,
    trades: AtomicU64,
    special_trades: AtomicU64,
    oversized: AtomicU64,
    errors: AtomicU64,
    last_message: AtomicU64,
}

/// The last error a feed met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastError {
    /// When (feed clock).
    pub at: UnixNanos,
    /// The error's message.
    pub text: String,
}

/// Feed-wide counters, copied out of a [`FeedStatus`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedCounters {
    /// WebSocket data frames received (all connections).
    pub messages: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Frames that could not be decoded (counted, skipped).
    pub decode_errors: u64,
    /// Sequence gaps in the depth stream.
    pub gaps: u64,
    /// Resyncs started after a book had been synced or marked stale (gap, overflow,
    /// reconnect, request).
    pub resyncs: u64,
    /// Reconnects (connections lost and opened again, any cause).
    pub reconnects: u64,
    /// Snapshots applied (fetched, or in the stream).
    pub snapshots: u64,
    /// Snapshots too old for the buffered diffs (fetched again).
    pub stale_snapshots: u64,
    /// Snapshot requests that failed (HTTP error, network, bad body).
    pub snapshot_failures: u64,
    /// Connections declared dead by the watchdog.
    pub watchdog_timeouts: u64,
    /// Times an instrument overflowed its output (ring full).
    pub overflows: u64,
    /// Events not delivered because the output was full or the instrument was resyncing
    /// after an overflow.
    pub undelivered: u64,
    /// Resyncs requested from outside ([`ResyncRequester`](super::ResyncRequester)).
    pub resync_requests: u64,
    /// Regular trades delivered.
    pub trades: u64,
    /// Non-market trades (liquidation, ADL, ...) seen and not delivered.
    pub special_trades: u64,
    /// WebSocket messages and REST bodies refused for their size
    /// ([`MAX_WS_MESSAGE_BYTES`](super::MAX_WS_MESSAGE_BYTES),
    /// [`MAX_SNAPSHOT_BODY_BYTES`](super::MAX_SNAPSHOT_BODY_BYTES)); each ends
    /// its connection or request, which is retried after the backoff delay.
    pub oversized: u64,
    /// Errors recorded (the last one is in [`FeedStatus::last_error`]).
    pub errors: u64,
    /// Receive time of the last frame (zero before the first).
    pub last_message: UnixNanos,
}

/// One instrument's state, copied out of a [`FeedStatus`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentStatus {
    /// The instrument.
    pub instrument: InstrumentId,
    /// Its symbol.
    pub symbol: String,
    /// Book state.
    pub state: BookState,
    /// Why it is stale, when it is.
    pub reason: Option<StaleReason>,
    /// When the state was entered.
    pub since: UnixNanos,
    /// Diffs applied to the book.
    pub applied: u64,
    /// Integrity faults seen (gaps, checksum mismatches, crossed books, ...).
    pub gaps: u64,
    /// The same faults by kind.
    pub faults: FaultCounts,
    /// Resyncs.
    pub resyncs: u64,
    /// Snapshots applied.
    pub snapshots: u64,
    /// The update id the book is valid at (zero before the first snapshot).
    pub last_update_id: u64,
}

/// One WebSocket connection's state, copied out of a [`FeedStatus`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionStatus {
    /// Its URL (without the stream list).
    pub url: String,
    /// The streams it carries.
    pub streams: Vec<String>,
    /// True while open.
    pub connected: bool,
    /// Successful connects so far.
    pub connects: u64,
    /// Data frames received.
    pub messages: u64,
    /// Receive time of its last data frame.
    pub last_message: UnixNanos,
    /// The last reconnect delay drawn, in milliseconds (zero before the first).
    pub backoff_ms: u64,
}

/// A live feed's state and counters, readable from any thread without blocking the feed.
#[derive(Debug)]
pub struct FeedStatus {
    venue: Venue,
    instruments: Vec<(InstrumentId, String)>,
    books: Box<[BookCell]>,
    conns: Box<[ConnCell]>,
    counters: Counters,
    last_error: Mutex<Option<LastError>>,
}

fn state_from_u8(v: u8) -> BookState {
    match v {
        2 => BookState::Syncing,
        3 => BookState::Synced,
        4 => BookState::Stale,
        5 => BookState::Resyncing,
        _ => BookState::Connecting,
    }
}

fn reason_from_u8(v: u8) -> Option<StaleReason> {
    Some(match v {
        1 => StaleReason::SequenceGap,
        2 => StaleReason::ChecksumMismatch,
        3 => StaleReason::QueueOverflow,
        4 => StaleReason::FeedSilent,
        5 => StaleReason::Disconnected,
        _ => return None,
    })
}

impl FeedStatus {
    /// A status for `instruments` (in the feed's slot order) and connections
    /// `(url, streams)`; every book starts `Connecting`.
    pub fn new(
        venue: Venue,
        instruments: Vec<(InstrumentId, String)>,
        connections: Vec<(String, Vec<String>)>,
    ) -> Self {
        let books: Box<[BookCell]> = instruments.iter().map(|_| BookCell::default()).collect();
        for b in books.iter() {
            b.state.store(BookState::Connecting as u8, RELAXED);
        }
        Self {
            venue,
            instruments,
            books,
            conns: connections
                .into_iter()
                .map(|(url, streams)| ConnCell {
                    url,
                    streams,
                    connected: AtomicBool::new(false),
                    connects: AtomicU64::new(0),
                    messages: AtomicU64::new(0),
                    last_message: AtomicU64::new(0),
                    backoff_ms: AtomicU64::new(0),
                })
                .collect(),
            counters: Counters::default(),
            last_error: Mutex::new(None),
        }
    }

    /// The venue.
    pub fn venue(&self) -> Venue {
        self.venue
    }

    fn slot(&self, id: InstrumentId) -> Option<usize> {
        self.instruments.iter().position(|(i, _)| *i == id)
    }

    /// The book state of `id`, if this feed carries it.
    pub fn book_state(&self, id: InstrumentId) -> Option<BookState> {
        self.slot(id)
            .map(|s| state_from_u8(self.books[s].state.load(Ordering::Acquire)))
    }

    /// True when every book of the feed is synced.
    pub fn all_synced(&self) -> bool {
        self.books
            .iter()
            .all(|b| b.state.load(Ordering::Acquire) == BookState::Synced as u8)
    }

    /// One instrument's status.
    pub fn instrument(&self, id: InstrumentId) -> Option<InstrumentStatus> {
        self.slot(id).map(|s| self.instrument_at(s))
    }

    /// Every instrument's status, in the feed's order.
    pub fn instruments(&self) -> Vec<InstrumentStatus> {
        (0..self.books.len())
            .map(|s| self.instrument_at(s))
            .collect()
    }

    fn instrument_at(&self, s: usize) -> InstrumentStatus {
        let b = &self.books[s];
        let (id, symbol) = &self.instruments[s];
        InstrumentStatus {
            instrument: *id,
            symbol: symbol.clone(),
            state: state_from_u8(b.state.load(Ordering::Acquire)),
            reason: reason_from_u8(b.reason.load(RELAXED)),
            since: UnixNanos::from_nanos(b.since.load(RELAXED)),
            applied: b.applied.load(RELAXED),
            gaps: b.gaps.load(RELAXED),
            faults: FaultCounts::from_array(std::array::from_fn(|k| b.faults[k].load(RELAXED))),
            resyncs: b.resyncs.load(RELAXED),
            snapshots: b.snapshots.load(RELAXED),
            last_update_id: b.last_update_id.load(RELAXED),
        }
    }

    /// Every connection's status.
    pub fn connections(&self) -> Vec<ConnectionStatus> {
        self.conns
            .iter()
            .map(|c| ConnectionStatus {
                url: c.url.clone(),
                streams: c.streams.clone(),
                connected: c.connected.load(RELAXED),
                connects: c.connects.load(RELAXED),
                messages: c.messages.load(RELAXED),
                last_message: UnixNanos::from_nanos(c.last_message.load(RELAXED)),
                backoff_ms: c.backoff_ms.load(RELAXED),
            })
            .collect()
    }

    /// The feed-wide counters.
    pub fn counters(&self) -> FeedCounters {
        let c = &self.counters;
        FeedCounters {
            messages: c.messages.load(RELAXED),
            bytes: c.bytes.load(RELAXED),
            decode_errors: c.decode_errors.load(RELAXED),
            gaps: c.gaps.load(RELAXED),
            resyncs: c.resyncs.load(RELAXED),
            reconnects: c.reconnects.load(RELAXED),
            snapshots: c.snapshots.load(RELAXED),
            stale_snapshots: c.stale_snapshots.load(RELAXED),
            snapshot_failures: c.snapshot_failures.load(RELAXED),
            watchdog_timeouts: c.watchdog_timeouts.load(RELAXED),
            overflows: c.overflows.load(RELAXED),
            undelivered: c.undelivered.load(RELAXED),
            resync_requests: c.resync_requests.load(RELAXED),
            trades: c.trades.load(RELAXED),
            special_trades: c.special_trades.load(RELAXED),
            oversized: c.oversized.load(RELAXED),
            errors: c.errors.load(RELAXED),
            last_message: UnixNanos::from_nanos(c.last_message.load(RELAXED)),
        }
    }

    /// The last error, if any.
    pub fn last_error(&self) -> Option<LastError> {
        self.last_error
            .lock()
            .map(|g| g.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    // ---- writers (the feed thread) ----

    pub(crate) fn set_book(
        &self,
        slot: usize,
        state: BookState,
        reason: Option<StaleReason>,
        at: UnixNanos,
    ) {
        let b = &self.books[slot];
        b.reason.store(reason.map_or(0, |r| r as u8), RELAXED);
        b.since.store(at.as_nanos(), RELAXED);
        b.state.store(state as u8, Ordering::Release);
    }

    pub(crate) fn set_book_progress(&self, slot: usize, applied: u64, last_update_id: Option<u64>) {
        let b = &self.books[slot];
        b.applied.store(applied, RELAXED);
        if let Some(id) = last_update_id {
            b.last_update_id.store(id, RELAXED);
        }
    }

    pub(crate) fn on_fault(&self, slot: usize, fault: &IntegrityFault) {
        self.books[slot].gaps.fetch_add(1, RELAXED);
        self.books[slot].faults[fault.index()].fetch_add(1, RELAXED);
        self.counters.gaps.fetch_add(1, RELAXED);
    }

    pub(crate) fn on_resync(&self, slot: usize) {
        self.books[slot].resyncs.fetch_add(1, RELAXED);
        self.counters.resyncs.fetch_add(1, RELAXED);
    }

    pub(crate) fn on_snapshot(&self, slot: usize) {
        self.books[slot].snapshots.fetch_add(1, RELAXED);
        self.counters.snapshots.fetch_add(1, RELAXED);
    }

    pub(crate) fn on_message(&self, conn: usize, bytes: usize, at: UnixNanos) {
        let c = &self.counters;
        c.messages.fetch_add(1, RELAXED);
        c.bytes.fetch_add(bytes as u64, RELAXED);
        c.last_message.store(at.as_nanos(), RELAXED);
        if let Some(k) = self.conns.get(conn) {
            k.messages.fetch_add(1, RELAXED);
            k.last_message.store(at.as_nanos(), RELAXED);
        }
    }

    pub(crate) fn set_connected(&self, conn: usize, up: bool) {
        if let Some(k) = self.conns.get(conn) {
            if up {
                k.connects.fetch_add(1, RELAXED);
            }
            k.connected.store(up, RELAXED);
        }
    }

    pub(crate) fn note_backoff(&self, conn: usize, delay: std::time::Duration) {
        if let Some(k) = self.conns.get(conn) {
            k.backoff_ms.store(
                u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                RELAXED,
            );
        }
    }

    pub(crate) fn count(&self, what: Counter) {
        let c = &self.counters;
        let cell = match what {
            Counter::DecodeError => &c.decode_errors,
            Counter::Reconnect => &c.reconnects,
            Counter::StaleSnapshot => &c.stale_snapshots,
            Counter::SnapshotFailure => &c.snapshot_failures,
            Counter::WatchdogTimeout => &c.watchdog_timeouts,
            Counter::Overflow => &c.overflows,
            Counter::Undelivered => &c.undelivered,
            Counter::ResyncRequest => &c.resync_requests,
            Counter::Trade => &c.trades,
            Counter::SpecialTrade => &c.special_trades,
            Counter::Oversized => &c.oversized,
        };
        cell.fetch_add(1, RELAXED);
    }

    pub(crate) fn record_error(&self, at: UnixNanos, error: &dyn std::fmt::Display) {
        self.counters.errors.fetch_add(1, RELAXED);
        let text = error.to_string();
        tracing::warn!(venue = %self.venue, error = %text, "feed error");
        let mut g = self.last_error.lock().unwrap_or_else(|p| p.into_inner());
        *g = Some(LastError { at, text });
    }
}

/// Counters bumped by name.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Counter {
    DecodeError,
    Reconnect,
    StaleSnapshot,
    SnapshotFailure,
    WatchdogTimeout,
    Overflow,
    Undelivered,
    ResyncRequest,
    Trade,
    SpecialTrade,
    Oversized,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_status_round_trips_states_and_errors() {
        let id = InstrumentId::new(3);
        let s = FeedStatus::new(Venue::BinanceUsdm, vec![(id, "BTCUSDT".into())], vec![]);
        assert_eq!(s.book_state(id), Some(BookState::Connecting));
        s.set_book(
            0,
            BookState::Stale,
            Some(StaleReason::FeedSilent),
            UnixNanos::from_nanos(5),
        );
        let i = s.instrument(id).unwrap();
        assert_eq!(
            (i.state, i.reason, i.since.as_nanos()),
            (BookState::Stale, Some(StaleReason::FeedSilent), 5)
        );
        assert_eq!(s.book_state(InstrumentId::new(0)), None);
        s.record_error(UnixNanos::from_nanos(9), &"boom");
        assert_eq!(s.last_error().unwrap().text, "boom");
        assert_eq!(s.counters().errors, 1);
    }
}
