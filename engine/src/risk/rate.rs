//! Order-rate windows: per strategy, a fixed ring of the times of its last `limit` accepted
//! orders. An order is allowed when fewer than `limit` orders were accepted in the second before
//! it (a sliding window, not calendar seconds).

use ladder_sdk::UnixNanos;

const SECOND_NS: u64 = 1_000_000_000;

/// One ring of `limit` slots per strategy, in one buffer.
#[derive(Debug, Clone)]
pub(super) struct RateWindows {
    limit: usize,
    times: Vec<UnixNanos>,
    /// Per strategy: index of the oldest entry, and how many entries are filled.
    head: Vec<usize>,
    len: Vec<usize>,
}

impl RateWindows {
    pub(super) fn new(limit: u32, n_strategies: usize) -> Self {
        let limit = limit as usize;
        Self {
            limit,
            times: vec![UnixNanos::ZERO; limit * n_strategies],
            head: vec![0; n_strategies],
            len: vec![0; n_strategies],
        }
    }

    /// Would an order of strategy `s` at `now` stay within the limit?
    pub(super) fn allows(&self, s: usize, now: UnixNanos) -> bool {
        if self.len[s] < self.limit {
            return true;
        }
        if self.limit == 0 {
            return false;
        }
        let oldest = self.times[s * self.limit + self.head[s]];
        now.saturating_since(oldest) >= SECOND_NS
    }

    /// Records an accepted order of strategy `s` at `now`.
    pub(super) fn record(&mut self, s: usize, now: UnixNanos) {
        if self.limit == 0 {
            return;
        }
        let base = s * self.limit;
        if self.len[s] < self.limit {
            self.times[base + (self.head[s] + self.len[s]) % self.limit] = now;
            self.len[s] += 1;
        } else {
            self.times[base + self.head[s]] = now;
            self.head[s] = (self.head[s] + 1) % self.limit;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> UnixNanos {
        UnixNanos::from_millis(v)
    }

    #[test]
    fn allows_limit_per_sliding_second() {
        let mut w = RateWindows::new(3, 2);
        for t in [0, 100, 200] {
            assert!(w.allows(0, ms(t)));
            w.record(0, ms(t));
        }
        assert!(!w.allows(0, ms(999)));
        assert!(w.allows(1, ms(999)), "strategies have their own window");
        assert!(w.allows(0, ms(1_000)));
        w.record(0, ms(1_000));
        assert!(!w.allows(0, ms(1_099)));
        assert!(w.allows(0, ms(1_100)));
    }

    #[test]
    fn zero_limit_allows_nothing() {
        assert!(!RateWindows::new(0, 1).allows(0, ms(5)));
    }
}
