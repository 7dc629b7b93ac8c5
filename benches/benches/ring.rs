//! The feed → hot hand-off between two pinned threads: our SPSC feed ring
//! (`hot::ring`, a `crossbeam_queue::ArrayQueue` used single-producer single-consumer,
//! carrying `StampedEvent`s) against `crossbeam::channel::bounded` (try-recv spin) of the same
//! element and capacity, in the same run.
//!
//! - `ring/throughput`: one thread pushes N events as fast as it can, the other pops them;
//!   elements per second from the first push to the last pop.
//! - `ring/round_trip`: ping-pong over two queues of the same kind; time per round trip
//!   (one-way hand-off ≈ half).
//!
//! The producer runs on the bench thread, pinned to core 0; the consumer on a thread pinned to
//! core 1 (both spin). With one core, both run unpinned and the figures mean little.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crossbeam::channel::{Receiver, Sender, bounded};
use ladder_engine::hot::ring::{FeedConsumer, RingProducer, feed_ring};
use ladder_engine::hot::stamps::StampedEvent;
use ladder_sdk::{InstrumentId, MarketEvent, Price, Quantity, Side, Trade, UnixNanos};
use std::time::{Duration, Instant};

const CAPACITY: usize = 4096;

fn event(id: u64) -> StampedEvent {
    StampedEvent::unstamped(MarketEvent::Trade(Trade {
        instrument: InstrumentId::new(0),
        aggressor: Side::Buy,
        price: Price::from_ticks(1),
        qty: Quantity::from_lots(1),
        trade_id: id,
        ts_exchange: UnixNanos::ZERO,
        ts_recv: UnixNanos::ZERO,
    }))
}

fn pin(core: usize) {
    let _ = core_affinity::set_for_current(core_affinity::CoreId { id: core });
}

/// One side of a queue, whatever its kind.
trait Tx: Send + 'static {
    fn send(&mut self, e: StampedEvent);
}
trait Rx: Send + 'static {
    fn recv(&mut self) -> StampedEvent;
}

impl Tx for RingProducer {
    #[inline]
    fn send(&mut self, e: StampedEvent) {
        while !self.try_push_stamped(e) {
            std::hint::spin_loop();
        }
    }
}
impl Rx for FeedConsumer {
    #[inline]
    fn recv(&mut self) -> StampedEvent {
        loop {
            if let Some(e) = self.pop_stamped() {
                return e;
            }
            std::hint::spin_loop();
        }
    }
}
impl Tx for Sender<StampedEvent> {
    #[inline]
    fn send(&mut self, mut e: StampedEvent) {
        loop {
            match self.try_send(e) {
                Ok(()) => return,
                Err(err) => e = err.into_inner(),
            }
            std::hint::spin_loop();
        }
    }
}
impl Rx for Receiver<StampedEvent> {
    #[inline]
    fn recv(&mut self) -> StampedEvent {
        loop {
            if let Ok(e) = self.try_recv() {
                return e;
            }
            std::hint::spin_loop();
        }
    }
}

fn ours() -> (RingProducer, FeedConsumer) {
    feed_ring(CAPACITY)
}

fn channel() -> (Sender<StampedEvent>, Receiver<StampedEvent>) {
    bounded(CAPACITY)
}

/// Pushes `n` events to a pinned consumer; the time from the first push to the last pop.
fn throughput<T: Tx, R: Rx>((mut tx, mut rx): (T, R), n: u64) -> Duration {
    let consumer = std::thread::spawn(move || {
        pin(1);
        let mut last = 0;
        for _ in 0..n {
            if let MarketEvent::Trade(t) = rx.recv().event {
                last = t.trade_id;
            }
        }
        (Instant::now(), last)
    });
    std::thread::sleep(Duration::from_millis(1));
    let start = Instant::now();
    for i in 0..n {
        tx.send(event(i));
    }
    let (end, last) = consumer.join().unwrap_or((Instant::now(), 0));
    assert_eq!(last, n.saturating_sub(1));
    end.duration_since(start)
}

/// `n` round trips through two queues of one kind.
fn round_trip<T: Tx, R: Rx>(make: fn() -> (T, R), n: u64) -> Duration {
    let (mut ping_tx, mut ping_rx) = make();
    let (mut pong_tx, mut pong_rx) = make();
    let echo = std::thread::spawn(move || {
        pin(1);
        for _ in 0..n {
            let e = ping_rx.recv();
            pong_tx.send(e);
        }
    });
    std::thread::sleep(Duration::from_millis(1));
    let start = Instant::now();
    for i in 0..n {
        ping_tx.send(event(i));
        let _ = pong_rx.recv();
    }
    let elapsed = start.elapsed();
    let _ = echo.join();
    elapsed
}

fn bench_ring(c: &mut Criterion) {
    pin(0);
    let mut g = c.benchmark_group("ring/throughput");
    const N: u64 = 200_000;
    g.throughput(Throughput::Elements(N));
    g.sample_size(20);
    g.bench_function("ladder_spsc_ring", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| throughput(ours(), N)).sum())
    });
    g.bench_function("crossbeam_channel_bounded", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| throughput(channel(), N)).sum())
    });
    g.finish();

    let mut g = c.benchmark_group("ring/round_trip");
    g.throughput(Throughput::Elements(1));
    g.sample_size(20);
    g.bench_function("ladder_spsc_ring", |b| {
        b.iter_custom(|iters| round_trip(ours, iters))
    });
    g.bench_function("crossbeam_channel_bounded", |b| {
        b.iter_custom(|iters| round_trip(channel, iters))
    });
    g.finish();
}

criterion_group!(benches, bench_ring);
criterion_main!(benches);
