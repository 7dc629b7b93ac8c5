//! Jittered exponential backoff for reconnects and REST retries.
//!
//! The delay before attempt `n` (0-based) is `initial * multiplier^n`, capped at `max`, then
//! shrunk by a random fraction of at most `jitter` ("equal jitter": with `jitter = 0.5` the delay
//! is uniform in `[d/2, d]`), so many clients dropped at once do not reconnect in step. The
//! random numbers come from the engine's seeded generator (`crate::rng`): with a configured seed the delays are the same
//! on every run (tests), otherwise the feed seeds it from the clock.

use crate::rng::SeededRng;
use serde::Deserialize;
use std::time::Duration;

/// Backoff settings (`[venue.backoff]` in the config; all optional).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackoffConfig {
    /// First delay, in milliseconds. Default 250.
    pub initial_ms: u64,
    /// Largest delay, in milliseconds. Default 30,000.
    pub max_ms: u64,
    /// Growth per attempt. Default 2.
    pub multiplier: f64,
    /// Largest fraction taken off a delay at random, in `[0, 1]`. Default 0.5.
    pub jitter: f64,
    /// RNG seed; `None` seeds from the clock.
    pub seed: Option<u64>,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            initial_ms: 250,
            max_ms: 30_000,
            multiplier: 2.0,
            jitter: 0.5,
            seed: None,
        }
    }
}

/// A backoff sequence: call [`Backoff::next_delay`] before each retry and [`Backoff::reset`]
/// once things work again.
#[derive(Debug, Clone)]
pub struct Backoff {
    config: BackoffConfig,
    attempt: u32,
    rng: SeededRng,
}

impl Backoff {
    /// A fresh sequence with RNG seed `seed` (used when the config has none).
    pub fn new(config: BackoffConfig, seed: u64) -> Self {
        Self {
            config,
            attempt: 0,
            rng: SeededRng::new(config.seed.unwrap_or(seed), 0),
        }
    }

    /// The delay to wait before the next attempt; advances the sequence.
    pub fn next_delay(&mut self) -> Duration {
        let c = &self.config;
        let max = c.max_ms.max(1) as f64;
        let base =
            (c.initial_ms.max(1) as f64 * c.multiplier.max(1.0).powi(self.attempt as i32)).min(max);
        self.attempt = self.attempt.saturating_add(1);
        let jitter = c.jitter.clamp(0.0, 1.0);
        let ms = base * (1.0 - jitter * self.rng.f64());
        Duration::from_micros((ms * 1000.0) as u64)
    }

    /// Back to the first delay.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// Attempts since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(jitter: f64) -> BackoffConfig {
        BackoffConfig {
            initial_ms: 100,
            max_ms: 1_000,
            multiplier: 2.0,
            jitter,
            seed: None,
        }
    }

    #[test]
    fn backoff_without_jitter_doubles_up_to_max() {
        let mut b = Backoff::new(config(0.0), 1);
        let ms: Vec<u128> = (0..6).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(ms, [100, 200, 400, 800, 1000, 1000]);
        b.reset();
        assert_eq!(b.next_delay().as_millis(), 100);
    }

    #[test]
    fn backoff_jitter_stays_in_band_and_is_seeded() {
        let mut a = Backoff::new(config(0.5), 42);
        let mut b = Backoff::new(config(0.5), 42);
        let mut c = Backoff::new(config(0.5), 43);
        let (mut same, mut differs) = (true, false);
        for n in 0..10u32 {
            let full = (100u64 << n.min(10)).min(1000) as f64;
            let (da, db, dc) = (a.next_delay(), b.next_delay(), c.next_delay());
            let ms = da.as_secs_f64() * 1000.0;
            assert!(
                ms >= full * 0.5 - 1e-6 && ms <= full + 1e-6,
                "{ms} outside [{}, {full}]",
                full * 0.5
            );
            same &= da == db;
            differs |= da != dc;
        }
        assert!(same, "same seed, same delays");
        assert!(differs, "another seed, other delays");
    }

    #[test]
    fn backoff_config_seed_overrides_the_given_seed() {
        let mut cfg = config(1.0);
        cfg.seed = Some(7);
        let mut a = Backoff::new(cfg, 1);
        let mut b = Backoff::new(cfg, 2);
        assert_eq!(a.next_delay(), b.next_delay());
    }
}
