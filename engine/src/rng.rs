//! Seeded random streams: the one generator of the engine (xoshiro256++ from `rand_xoshiro`,
//! distributions from `rand_distr`), used by the paper exchange's latency and cancel-model
//! draws, the simulated venue's order flow and the reconnect backoff's jitter.
//!
//! The same seed and the same sequence of calls give the same values on every platform (the
//! generator and the integer/uniform samplers are value-stable; `Cargo.lock` pins the
//! versions). Floating-point draws that go through `ln`/`exp` (exponential, normal, log-uniform)
//! also need the same platform `libm` to be bit-identical.

use rand::{Rng as _, SeedableRng as _};
use rand_distr::{Distribution as _, Exp1, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A seeded generator.
#[derive(Debug, Clone)]
pub(crate) struct SeededRng(Xoshiro256PlusPlus);

impl SeededRng {
    /// The generator for `(seed, stream)`: stream `k` starts `k` long jumps (2^192 steps each)
    /// into the sequence of `seed`, so the streams of one seed never overlap.
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        for _ in 0..stream {
            rng.long_jump();
        }
        Self(rng)
    }

    /// 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0.random()
    }

    /// Uniform in `0..n`; `0` when `n` is zero (or negative).
    pub(crate) fn below<T>(&mut self, n: T) -> T
    where
        T: rand::distr::uniform::SampleUniform + PartialOrd + Default,
    {
        if n <= T::default() {
            return T::default();
        }
        self.0.random_range(T::default()..n)
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn f64(&mut self) -> f64 {
        self.0.random()
    }

    /// A standard normal draw.
    pub(crate) fn standard_normal(&mut self) -> f64 {
        StandardNormal.sample(&mut self.0)
    }

    /// Exponential with the given rate (mean `1 / rate`).
    pub(crate) fn exp(&mut self, rate: f64) -> f64 {
        let e: f64 = Exp1.sample(&mut self.0);
        e / rate
    }

    /// Log-uniform integer in `[lo, hi]` (`1 <= lo <= hi`).
    pub(crate) fn log_uniform(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let (a, b) = ((lo as f64).ln(), ((hi + 1) as f64).ln());
        let v = (a + (b - a) * self.f64()).exp() as i64;
        v.clamp(lo, hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_and_stream_repeat_other_seed_or_stream_differs() {
        let draw = |seed, stream| {
            let mut r = SeededRng::new(seed, stream);
            (0..8).map(|_| r.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draw(7, 0), draw(7, 0));
        assert_ne!(draw(7, 0), draw(7, 1));
        assert_ne!(draw(7, 0), draw(8, 0));
    }

    #[test]
    fn first_values_are_pinned_so_a_crate_change_that_moves_them_is_seen() {
        // If this fails after a dependency update, every seeded replay and simulation changes:
        // regenerate the golden files in their own commit and say why.
        let mut r = SeededRng::new(1, 0);
        let got = [r.next_u64(), r.next_u64(), r.below(1_000u64)];
        assert_eq!(
            got,
            [14_971_601_782_005_023_387, 13_781_649_495_232_077_965, 100]
        );
        assert_eq!(SeededRng::new(1, 1).next_u64(), 14_330_722_100_524_715_756);
    }

    #[test]
    fn below_stays_in_range_covers_it_and_zero_gives_zero() {
        let mut r = SeededRng::new(1, 0);
        let mut seen = [false; 5];
        for _ in 0..1000 {
            let v = r.below(5usize);
            seen[v] = true;
        }
        assert!(seen.iter().all(|s| *s));
        assert_eq!(r.below(0u64), 0);
    }

    #[test]
    fn exp_mean_is_the_inverse_rate_and_normal_is_standard() {
        let mut r = SeededRng::new(3, 0);
        let n = 100_000;
        let mean = (0..n).map(|_| r.exp(4.0)).sum::<f64>() / f64::from(n);
        assert!((mean - 0.25).abs() < 0.01, "mean {mean}");
        let xs: Vec<f64> = (0..n).map(|_| r.standard_normal()).collect();
        let m = xs.iter().sum::<f64>() / f64::from(n);
        let var = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / f64::from(n);
        assert!(
            m.abs() < 0.02 && (var - 1.0).abs() < 0.03,
            "mean {m} variance {var}"
        );
    }

    #[test]
    fn log_uniform_stays_in_bounds() {
        let mut r = SeededRng::new(3, 0);
        for _ in 0..10_000 {
            assert!((5..=500).contains(&r.log_uniform(5, 500)));
        }
        assert_eq!(r.log_uniform(9, 9), 9);
    }
}
