//! Bounded SPSC rings from a feed thread to the hot thread.
//!
//! A full ring never blocks the producer and never drops silently: the event that did not fit
//! marks its instrument overflowed; the producer then stops forwarding that instrument's book
//! events, and as soon as the ring has room it delivers a `Stale(QueueOverflow)` status so the
//! hot thread and the strategies know, while the feed (told by [`Push::Overflowed`]) resyncs
//! the book from a new snapshot. Trades keep flowing.
//!
//! The ring is `crossbeam_queue::ArrayQueue` used by one producer and one consumer: measured
//! within noise of dedicated SPSC rings here (`docs/hotpath.md` §2.3), with padded indices.

use crossbeam::queue::ArrayQueue;
use ladder_sdk::{BookState, BookStatus, InstrumentId, MarketEvent, StaleReason};
use std::sync::Arc;

/// The result of [`FeedProducer::push`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Push {
    /// Delivered.
    Sent,
    /// The ring was full: the instrument's book is stale from here on and the feed must resync
    /// it (new snapshot); this event and later book events of the instrument are not delivered
    /// until the feed calls [`FeedProducer::resynced`].
    Overflowed(InstrumentId),
    /// Not delivered because the instrument is waiting for a resync after an overflow.
    Suppressed,
}

/// The feed side of a ring.
#[derive(Debug)]
pub struct FeedProducer {
    ring: Arc<ArrayQueue<MarketEvent>>,
    /// Per instrument: `true` while overflowed and waiting for a resync.
    overflowed: Vec<bool>,
    /// Stale markers not yet delivered because the ring was full.
    owed: Vec<BookStatus>,
    dropped: u64,
}

/// The hot-thread side of a ring.
#[derive(Debug, Clone)]
pub struct FeedConsumer {
    ring: Arc<ArrayQueue<MarketEvent>>,
}

/// A ring of `capacity` events for `instruments` instruments.
pub fn feed_ring(capacity: usize, instruments: usize) -> (FeedProducer, FeedConsumer) {
    let ring = Arc::new(ArrayQueue::new(capacity.max(2)));
    (
        FeedProducer {
            ring: Arc::clone(&ring),
            overflowed: vec![false; instruments],
            owed: Vec::with_capacity(instruments),
            dropped: 0,
        },
        FeedConsumer { ring },
    )
}

fn is_book_event(ev: &MarketEvent) -> bool {
    matches!(
        ev,
        MarketEvent::BookDelta(_) | MarketEvent::SnapshotBegin(_) | MarketEvent::SnapshotEnd(_)
    )
}

impl FeedProducer {
    /// Offers one event without blocking.
    ///
    /// # Hot path
    /// No allocation, no lock: one CAS-free push on the SPSC ring.
    pub fn push(&mut self, ev: MarketEvent) -> Push {
        self.flush_owed();
        let i = ev.instrument().index();
        if is_book_event(&ev) && self.overflowed.get(i).copied().unwrap_or(false) {
            self.dropped += 1;
            return Push::Suppressed;
        }
        match self.ring.push(ev) {
            Ok(()) => Push::Sent,
            Err(ev) => {
                self.dropped += 1;
                let id = ev.instrument();
                if let Some(flag) = self.overflowed.get_mut(id.index()) {
                    *flag = true;
                }
                self.owed.push(BookStatus {
                    instrument: id,
                    state: BookState::Stale,
                    reason: Some(StaleReason::QueueOverflow),
                    ts_recv: ev.ts_recv(),
                });
                Push::Overflowed(id)
            }
        }
    }

    /// The feed has taken a new snapshot for `instrument`: book events flow again (the feed
    /// sends the snapshot next).
    pub fn resynced(&mut self, instrument: InstrumentId) {
        if let Some(flag) = self.overflowed.get_mut(instrument.index()) {
            *flag = false;
        }
    }

    /// True while `instrument` waits for a resync after an overflow.
    pub fn is_overflowed(&self, instrument: InstrumentId) -> bool {
        self.overflowed
            .get(instrument.index())
            .copied()
            .unwrap_or(false)
    }

    /// Events not delivered because of overflows (each counted once).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    fn flush_owed(&mut self) {
        while let Some(status) = self.owed.first().copied() {
            if self.ring.push(MarketEvent::Status(status)).is_err() {
                return;
            }
            self.owed.remove(0);
        }
    }

    /// Delivers owed stale markers if there is room now (call when idle).
    pub fn flush(&mut self) -> bool {
        self.flush_owed();
        self.owed.is_empty()
    }

    /// Stale markers waiting for room in the ring.
    pub fn owed(&self) -> usize {
        self.owed.len()
    }
}

impl FeedConsumer {
    /// The next event, if any.
    ///
    /// # Hot path
    /// No allocation, no lock.
    #[inline]
    pub fn pop(&self) -> Option<MarketEvent> {
        self.ring.pop()
    }

    /// Events waiting.
    pub fn len(&self) -> usize {
        self.ring.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ladder_sdk::{BookDelta, Price, Quantity, Side, Trade, UnixNanos};

    fn delta(i: u32) -> MarketEvent {
        MarketEvent::BookDelta(BookDelta {
            instrument: InstrumentId::new(i),
            side: Side::Buy,
            last: true,
            price: Price::from_ticks(1),
            qty: Quantity::from_lots(1),
            update_id: 1,
            ts_exchange: UnixNanos::ZERO,
            ts_recv: UnixNanos::from_nanos(7),
        })
    }

    fn trade(i: u32) -> MarketEvent {
        MarketEvent::Trade(Trade {
            instrument: InstrumentId::new(i),
            aggressor: Side::Buy,
            price: Price::from_ticks(1),
            qty: Quantity::from_lots(1),
            trade_id: 1,
            ts_exchange: UnixNanos::ZERO,
            ts_recv: UnixNanos::ZERO,
        })
    }

    #[test]
    fn full_ring_marks_stale_suppresses_book_events_and_delivers_marker_later() {
        let (mut p, c) = feed_ring(2, 2);
        assert_eq!(p.push(delta(0)), Push::Sent);
        assert_eq!(p.push(delta(1)), Push::Sent);
        assert_eq!(p.push(delta(0)), Push::Overflowed(InstrumentId::new(0)));
        assert!(p.is_overflowed(InstrumentId::new(0)));
        // Ring still full: the next book event of instrument 0 is suppressed, counted.
        assert_eq!(p.push(delta(0)), Push::Suppressed);
        assert_eq!(p.dropped(), 2);
        // Consumer drains; the owed stale marker goes first on the next push.
        assert!(c.pop().is_some() && c.pop().is_some());
        assert_eq!(p.push(trade(0)), Push::Sent);
        let Some(MarketEvent::Status(s)) = c.pop() else {
            panic!("stale marker first")
        };
        assert_eq!(
            (s.state, s.reason),
            (BookState::Stale, Some(StaleReason::QueueOverflow))
        );
        assert!(matches!(c.pop(), Some(MarketEvent::Trade(_))));
        // Instrument 1 was never affected; instrument 0 flows again after a resync.
        assert_eq!(p.push(delta(1)), Push::Sent);
        assert_eq!(p.push(delta(0)), Push::Suppressed);
        p.resynced(InstrumentId::new(0));
        assert_eq!(p.push(delta(0)), Push::Sent);
    }
}
