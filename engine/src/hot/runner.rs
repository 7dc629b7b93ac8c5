//! The pinned hot thread: pin to a core, then busy-poll the feed rings round-robin with the
//! configured wait strategy.

use super::ring::FeedConsumer;
use super::stamps::StampedEvent;
use crate::clock::tsc;
use crate::config::WaitStrategy;
use ladder_sdk::MarketEvent;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Pins the calling thread to `core`. Query the core list before pinning anything: once a
/// thread is pinned, the list it sees shrinks to its own core (`docs/hotpath.md` §2.1).
///
/// Returns false (and leaves the thread unpinned) if the core does not exist here.
pub fn pin_current_thread(core: usize) -> bool {
    let Some(ids) = core_affinity::get_core_ids() else {
        return false;
    };
    match ids.into_iter().find(|c| c.id == core) {
        Some(id) => core_affinity::set_for_current(id),
        None => false,
    }
}

/// Polls `feeds` round-robin until `stop` is set and every ring is empty, handing each event
/// to `on_event` and calling `on_idle` after an empty round.
///
/// # Hot path
/// No allocation, no lock, no syscall per event; with `SpinThenYield`, a `sched_yield` per
/// empty poll once the spin budget is spent (only while idle).
pub fn poll_loop(
    feeds: &[FeedConsumer],
    wait: WaitStrategy,
    spin_iterations: u32,
    stop: &Arc<AtomicBool>,
    mut on_event: impl FnMut(&MarketEvent),
    on_idle: impl FnMut(),
) {
    poll_loop_stamped(
        feeds,
        wait,
        spin_iterations,
        stop,
        |ev, _| on_event(&ev.event),
        on_idle,
    );
}

/// [`poll_loop`] with the stamps: each event comes with its feed-side stamps and `t3`, the
/// TSC reading taken right after it was popped (`hot::stamps`).
///
/// # Hot path
/// As [`poll_loop`], plus one TSC read per event.
pub fn poll_loop_stamped(
    feeds: &[FeedConsumer],
    wait: WaitStrategy,
    spin_iterations: u32,
    stop: &Arc<AtomicBool>,
    mut on_event: impl FnMut(&StampedEvent, u64),
    mut on_idle: impl FnMut(),
) {
    let mut idle_rounds: u32 = 0;
    loop {
        let mut any = false;
        for feed in feeds {
            if let Some(ev) = feed.pop_stamped() {
                let t3 = tsc::now();
                any = true;
                on_event(&ev, t3);
            }
        }
        if any {
            idle_rounds = 0;
            continue;
        }
        on_idle();
        if stop.load(Ordering::Acquire) && feeds.iter().all(FeedConsumer::is_empty) {
            return;
        }
        idle_rounds = idle_rounds.saturating_add(1);
        match wait {
            WaitStrategy::Spin => std::hint::spin_loop(),
            WaitStrategy::SpinThenYield if idle_rounds < spin_iterations => std::hint::spin_loop(),
            WaitStrategy::SpinThenYield => std::thread::yield_now(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hot::ring::feed_ring;
    use ladder_sdk::{InstrumentId, Price, Quantity, Side, Trade, UnixNanos};

    #[test]
    fn poll_loop_drains_every_ring_then_stops() {
        let (mut p1, c1) = feed_ring(16);
        let (mut p2, c2) = feed_ring(16);
        let trade = |id| {
            MarketEvent::Trade(Trade {
                instrument: InstrumentId::new(0),
                aggressor: Side::Sell,
                price: Price::from_ticks(1),
                qty: Quantity::from_lots(1),
                trade_id: id,
                ts_exchange: UnixNanos::ZERO,
                ts_recv: UnixNanos::ZERO,
            })
        };
        for i in 0..5 {
            assert!(p1.try_push(trade(i)));
            assert!(p2.try_push(trade(100 + i)));
        }
        let stop = Arc::new(AtomicBool::new(true));
        let mut seen = Vec::new();
        poll_loop(
            &[c1, c2],
            WaitStrategy::SpinThenYield,
            10,
            &stop,
            |ev| {
                if let MarketEvent::Trade(t) = ev {
                    seen.push(t.trade_id);
                }
            },
            || {},
        );
        assert_eq!(seen.len(), 10);
        // Per-ring order is kept.
        let first: Vec<u64> = seen.iter().copied().filter(|&i| i < 100).collect();
        assert_eq!(first, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn pin_to_a_missing_core_is_refused() {
        assert!(!pin_current_thread(usize::MAX));
    }
}
