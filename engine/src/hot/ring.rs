//! Bounded SPSC rings from a feed thread to the hot thread.
//!
//! A full ring never blocks the producer and never drops silently: [`RingProducer::push`]
//! returns `false`, and the live connector (which owns the instrument's sequencer) then marks
//! the book stale, delivers a `Stale(QueueOverflow)` marker once there is room, holds back that
//! instrument's book events, and resyncs it from a new snapshot (`feed::live::FeedOutput`).
//!
//! The ring is `crossbeam_queue::ArrayQueue` used by one producer and one consumer: measured
//! within noise of dedicated SPSC rings on this machine class (`docs/hotpath.md` §2.3), with
//! cache-padded head and tail.

use crate::feed::live::FeedOutput;
use crossbeam::queue::ArrayQueue;
use ladder_sdk::MarketEvent;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The feed side of a ring.
#[derive(Debug)]
pub struct RingProducer {
    ring: Arc<ArrayQueue<MarketEvent>>,
    full: Arc<AtomicU64>,
}

/// The hot-thread side of a ring.
#[derive(Debug, Clone)]
pub struct FeedConsumer {
    ring: Arc<ArrayQueue<MarketEvent>>,
    full: Arc<AtomicU64>,
}

/// A ring of `capacity` events.
pub fn feed_ring(capacity: usize) -> (RingProducer, FeedConsumer) {
    let ring = Arc::new(ArrayQueue::new(capacity.max(2)));
    let full = Arc::new(AtomicU64::new(0));
    (
        RingProducer {
            ring: Arc::clone(&ring),
            full: Arc::clone(&full),
        },
        FeedConsumer { ring, full },
    )
}

impl RingProducer {
    /// Offers one event without blocking; `false` (and counted) if the ring is full.
    ///
    /// # Hot path
    /// No allocation, no lock.
    #[inline]
    pub fn try_push(&mut self, ev: MarketEvent) -> bool {
        let ok = self.ring.push(ev).is_ok();
        if !ok {
            self.full.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }
}

impl FeedOutput for RingProducer {
    fn push(&mut self, event: MarketEvent) -> bool {
        self.try_push(event)
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

    /// Pushes refused because the ring was full.
    pub fn overflows(&self) -> u64 {
        self.full.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ladder_sdk::{InstrumentId, Price, Quantity, Side, Trade, UnixNanos};

    fn trade(id: u64) -> MarketEvent {
        MarketEvent::Trade(Trade {
            instrument: InstrumentId::new(0),
            aggressor: Side::Buy,
            price: Price::from_ticks(1),
            qty: Quantity::from_lots(1),
            trade_id: id,
            ts_exchange: UnixNanos::ZERO,
            ts_recv: UnixNanos::ZERO,
        })
    }

    #[test]
    fn full_ring_refuses_without_blocking_and_counts() {
        let (mut p, c) = feed_ring(2);
        assert!(p.push(trade(1)) && p.push(trade(2)));
        assert!(!p.push(trade(3)));
        assert_eq!(c.overflows(), 1);
        assert!(matches!(c.pop(), Some(MarketEvent::Trade(t)) if t.trade_id == 1));
        assert!(p.push(trade(4)));
    }
}
