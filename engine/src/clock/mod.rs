//! The engine's one clock. Nothing else in the engine reads the wall clock.
//!
//! - [`Clock::replay`]: event time. The replay driver moves it to each event's receive time, so
//!   a replay is deterministic to the bit whatever the machine is doing.
//! - [`Clock::live`]: a calibrated monotonic source. The wall clock is read once, at start, and
//!   paired with a monotonic `Instant`; every later reading is that anchor plus monotonic
//!   elapsed time, so it never jumps with NTP adjustments and costs one vDSO call.
//! - [`tsc`]: raw time-stamp-counter stamps for latency measurement (stage stamps of the hot
//!   path), scaled to nanoseconds off the hot path.

pub mod tsc;

use ladder_sdk::UnixNanos;
use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Where time comes from.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    source: Source,
}

#[derive(Debug, Clone, Copy)]
enum Source {
    Event(UnixNanos),
    Live {
        anchor: Instant,
        anchor_unix: UnixNanos,
    },
}

impl Clock {
    /// Event time, starting at `start`; moved by [`Clock::advance_to`].
    pub const fn replay(start: UnixNanos) -> Self {
        Self {
            source: Source::Event(start),
        }
    }

    /// Calibrated monotonic time: the wall clock read once per process, then monotonic
    /// offsets. Every live clock shares that one anchor, so a receive stamp taken on a feed
    /// thread and "now" on the hot thread are on the same scale.
    pub fn live() -> Self {
        static ANCHOR: OnceLock<(Instant, UnixNanos)> = OnceLock::new();
        let &(anchor, anchor_unix) = ANCHOR.get_or_init(|| {
            let anchor = Instant::now();
            let since_epoch = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            let ns = u64::try_from(since_epoch.as_nanos()).unwrap_or(u64::MAX);
            (anchor, UnixNanos::from_nanos(ns))
        });
        Self {
            source: Source::Live {
                anchor,
                anchor_unix,
            },
        }
    }

    /// True for event time.
    pub const fn is_replay(&self) -> bool {
        matches!(self.source, Source::Event(_))
    }

    /// The current time.
    ///
    /// # Hot path
    /// Replay: a load. Live: one monotonic clock read (vDSO, no syscall).
    #[inline]
    pub fn now(&self) -> UnixNanos {
        match self.source {
            Source::Event(t) => t,
            Source::Live {
                anchor,
                anchor_unix,
            } => {
                let elapsed = u64::try_from(anchor.elapsed().as_nanos()).unwrap_or(u64::MAX);
                anchor_unix.saturating_add_nanos(elapsed)
            }
        }
    }

    /// Moves event time forward to `t` (never backwards: out-of-order receive times in a
    /// capture keep the clock where it is). No effect on a live clock.
    #[inline]
    pub fn advance_to(&mut self, t: UnixNanos) {
        if let Source::Event(now) = &mut self.source
            && t > *now
        {
            *now = t;
        }
    }
}

/// Elapsed monotonic time, for measuring the engine itself (latency histograms, pacing a
/// replay); never used for engine decisions.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch(Instant);

impl Stopwatch {
    /// Starts now.
    #[inline]
    pub fn start() -> Self {
        Self(Instant::now())
    }

    /// Nanoseconds since the start.
    #[inline]
    pub fn elapsed_ns(&self) -> u64 {
        u64::try_from(self.0.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_clock_moves_only_forward() {
        let mut c = Clock::replay(UnixNanos::from_nanos(10));
        c.advance_to(UnixNanos::from_nanos(20));
        c.advance_to(UnixNanos::from_nanos(15));
        assert_eq!(c.now().as_nanos(), 20);
        assert!(c.is_replay());
    }

    #[test]
    fn live_clock_is_monotonic_and_near_wall_time() {
        let c = Clock::live();
        let a = c.now();
        let b = c.now();
        assert!(b >= a);
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        assert!(wall.abs_diff(a.as_nanos()) < 5_000_000_000);
    }
}
