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
//!
//! Elements are [`StampedEvent`]s: the event plus its feed-side stage stamps (`t0` read, `t1`
//! decoded, `t2` enqueued; `hot::stamps`). The ring stamps `t2` itself, just before the push.
//! Pushed through [`FeedOutput`] (the live connector), `t0` is the connector's receive time
//! converted to the TSC scale and `t1` is not measured.

use super::stamps::{StampedEvent, closes_frame};
use crate::clock::Clock;
use crate::clock::tsc::{self, TscScale};
use crate::feed::live::FeedOutput;
use crossbeam::queue::ArrayQueue;
use ladder_sdk::MarketEvent;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The feed side of a ring.
#[derive(Debug)]
pub struct RingProducer {
    ring: Arc<ArrayQueue<StampedEvent>>,
    full: Arc<AtomicU64>,
    /// The live clock the connector stamps `ts_recv` with, and the TSC scale, to place `t0`.
    clock: Clock,
    scale: TscScale,
}

/// The hot-thread side of a ring.
#[derive(Debug, Clone)]
pub struct FeedConsumer {
    ring: Arc<ArrayQueue<StampedEvent>>,
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
            clock: Clock::live(),
            scale: TscScale::get(),
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
        self.try_push_stamped(StampedEvent::unstamped(ev))
    }

    /// Offers one event with its feed-side stamps; stamps `t2` (enqueued) just before the
    /// push. `false` (and counted) if the ring is full.
    ///
    /// # Hot path
    /// No allocation, no lock; one TSC read.
    #[inline]
    pub fn try_push_stamped(&mut self, mut ev: StampedEvent) -> bool {
        ev.t2 = tsc::now();
        let ok = self.ring.push(ev).is_ok();
        if !ok {
            self.full.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }

    /// True when the ring is full (a bench's back-pressure check).
    pub fn is_full(&self) -> bool {
        self.ring.is_full()
    }
}

impl FeedOutput for RingProducer {
    /// The live connector's push: for the event that completes a message, `t0` is its
    /// `ts_recv` (taken by the connector when the WebSocket message was read, on the live
    /// clock) placed on the TSC scale by the live clock's distance to now; `t1` is not known.
    ///
    /// # Hot path
    /// No allocation; a TSC read per event and a monotonic clock read per message.
    fn push(&mut self, event: MarketEvent) -> bool {
        let mut ev = StampedEvent::unstamped(event);
        if closes_frame(&event) {
            let t = tsc::now();
            let age_ns = self.clock.now().saturating_since(event.ts_recv());
            ev.t0 = t.saturating_sub(self.scale.ticks(age_ns)).max(1);
        }
        self.try_push_stamped(ev)
    }
}

impl FeedConsumer {
    /// The next event, if any.
    ///
    /// # Hot path
    /// No allocation, no lock.
    #[inline]
    pub fn pop(&self) -> Option<MarketEvent> {
        self.ring.pop().map(|e| e.event)
    }

    /// The next event with its feed-side stamps, if any.
    ///
    /// # Hot path
    /// No allocation, no lock.
    #[inline]
    pub fn pop_stamped(&self) -> Option<StampedEvent> {
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

    #[test]
    fn ring_stamps_enqueue_time_and_the_live_read_time() {
        let (mut p, c) = feed_ring(4);
        let mut ev = StampedEvent::unstamped(trade(7));
        ev.t0 = 5;
        ev.t1 = 6;
        let before = tsc::now();
        assert!(p.try_push_stamped(ev));
        let got = c.pop_stamped().unwrap();
        assert_eq!((got.t0, got.t1), (5, 6));
        assert!(got.t2 >= before);
        // Through the live connector's trait: t0 from ts_recv on the live clock.
        let mut t = trade(8);
        if let MarketEvent::Trade(tr) = &mut t {
            tr.ts_recv = Clock::live().now();
        }
        assert!(FeedOutput::push(&mut p, t));
        let got = c.pop_stamped().unwrap();
        assert!(got.t0 > 0 && got.t0 <= got.t2, "{got:?}");
        assert_eq!(got.t1, 0);
    }
}
