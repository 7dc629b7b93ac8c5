//! The "no data for N seconds" watchdog.
//!
//! A venue can accept a WebSocket and then send nothing (Binance USD-M's legacy URLs after the
//! 2026 split do exactly this, `docs/venues.md` §0.3). Pings do not count as data: only frames
//! that carry market data feed the watchdog. When it expires the connection is treated as dead.

use std::time::Duration;
use tokio::time::Instant;

/// Tracks the time of the last data frame on one connection.
#[derive(Debug, Clone, Copy)]
pub struct Watchdog {
    limit: Duration,
    last: Instant,
}

impl Watchdog {
    /// A watchdog that expires `limit` after `now` unless fed.
    pub fn new(limit: Duration, now: Instant) -> Self {
        Self { limit, last: now }
    }

    /// Data arrived at `now`.
    #[inline]
    pub fn feed(&mut self, now: Instant) {
        self.last = now;
    }

    /// When it expires if not fed again.
    pub fn deadline(&self) -> Instant {
        self.last + self.limit
    }

    /// True once `limit` has passed since the last data.
    pub fn is_expired(&self, now: Instant) -> bool {
        now >= self.deadline()
    }

    /// The configured limit.
    pub fn limit(&self) -> Duration {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watchdog_expires_only_after_limit_without_data() {
        let t0 = Instant::now();
        let mut w = Watchdog::new(Duration::from_secs(5), t0);
        assert!(!w.is_expired(t0 + Duration::from_secs(4)));
        w.feed(t0 + Duration::from_secs(4));
        assert!(!w.is_expired(t0 + Duration::from_secs(8)));
        assert!(w.is_expired(t0 + Duration::from_secs(9)));
        assert_eq!(w.deadline(), t0 + Duration::from_secs(9));
    }
}
