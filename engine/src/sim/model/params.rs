//! The order-flow model's parameters ([`ModelParams`]): the rates and sizes of the model in
//! `super`, their defaults (CST 2010's fit) and their checks.

use crate::sim::SimError;

/// Parameters of the order-flow model; [`ModelParams::default`] is a liquid large-cap book.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelParams {
    /// `k` of the limit-order arrival rate `λ(i) = k / i^α` (per side, per distance).
    pub arrival_k: f64,
    /// `α` of `λ(i) = k / i^α`.
    pub arrival_alpha: f64,
    /// `K`: limit orders arrive at distances `1..=K` ticks from the opposite best.
    pub max_distance: u32,
    /// `θ(i)`: cancellation rate per resting order at distance `i` (index 0 is `i = 1`); the last
    /// value applies to every larger distance. Must not be empty.
    pub cancel_rates: Vec<f64>,
    /// `μ`: market-order rate per side.
    pub market_rate: f64,
    /// Limit-order size: log-uniform notional in quote currency, `(min, max)`, converted to lots
    /// at the start price (at least one lot).
    pub limit_notional: (f64, f64),
    /// Market-order size, same convention.
    pub market_notional: (f64, f64),
    /// A side with fewer price levels than this after an event is refilled.
    pub min_levels: usize,
    /// Events run (unpublished) before the first one is published, to reach a steady book.
    pub warmup_events: u32,
}

impl Default for ModelParams {
    /// `k = 1.92`, `α = 0.52` and the first `θ(i)` are the values CST (2010, Table 2) fit on
    /// Tokyo Stock Exchange data; `μ = 2.0` per side gives a trade every ~40 book events.
    fn default() -> Self {
        Self {
            arrival_k: 1.92,
            arrival_alpha: 0.52,
            max_distance: 100,
            cancel_rates: vec![0.71, 0.81, 0.68, 0.56, 0.47, 0.37, 0.30, 0.27, 0.23, 0.21],
            market_rate: 2.0,
            limit_notional: (10.0, 20_000.0),
            market_notional: (10.0, 5_000.0),
            min_levels: 5,
            warmup_events: 5_000,
        }
    }
}

impl ModelParams {
    /// Checks the parameters; the message names the bad field.
    pub fn validate(&self) -> Result<(), SimError> {
        self.check().map_err(SimError::Config)
    }

    fn check(&self) -> Result<(), String> {
        let pos = |v: f64| v.is_finite() && v > 0.0;
        if !pos(self.arrival_k) || !self.arrival_alpha.is_finite() || self.arrival_alpha < 0.0 {
            return Err("arrival_k must be positive and arrival_alpha non-negative".into());
        }
        if self.max_distance == 0 {
            return Err("max_distance must be at least 1 tick".into());
        }
        if self.cancel_rates.is_empty() || !self.cancel_rates.iter().all(|&t| pos(t)) {
            return Err("cancel_rates must be a non-empty list of positive rates".into());
        }
        if !self.market_rate.is_finite() || self.market_rate < 0.0 {
            return Err("market_rate must be non-negative".into());
        }
        for (name, (lo, hi)) in [
            ("limit_notional", self.limit_notional),
            ("market_notional", self.market_notional),
        ] {
            if !pos(lo) || !pos(hi) || hi < lo {
                return Err(format!("{name} must be (min, max) with 0 < min <= max"));
            }
        }
        if self.min_levels == 0 {
            return Err("min_levels must be at least 1".into());
        }
        Ok(())
    }

    pub(super) fn theta(&self, distance: i64) -> f64 {
        let idx = usize::try_from(distance.max(1) - 1).unwrap_or(usize::MAX);
        let last = self.cancel_rates.len() - 1;
        self.cancel_rates[idx.min(last)]
    }
}
