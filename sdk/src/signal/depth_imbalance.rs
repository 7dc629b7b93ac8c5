//! Depth-weighted multi-level imbalance `ρ_N(w)` (`docs/signals.md` §2.2).

use super::top::{best, mid_ticks};
use crate::Level;

/// How the levels of [`depth_imbalance`] are weighted. No paper fixes the weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DepthWeights {
    /// `w_i = 1` (Databento's `Imb_N`).
    Uniform,
    /// `w_i = λ^{i−1}`, `λ > 0` (level 1 has weight 1).
    Geometric {
        /// The decay per level; must be finite and positive.
        lambda: f64,
    },
    /// `w_i = 1/i`.
    Harmonic,
    /// `w = exp(−κ·|P − M|/δ)`: decays with the level's distance from the mid in ticks, so a gap
    /// in the book weighs less than an adjacent level. `κ ≥ 0`.
    PriceDistance {
        /// The decay per tick of distance; must be finite and non-negative.
        kappa: f64,
    },
}

/// `ρ_N(w) = Σ w_i (Qb_i − Qa_i) / Σ w_i (Qb_i + Qa_i)` over the first `levels` levels, ∈ [−1, 1].
///
/// A side with fewer than `levels` levels is padded with size 0. `None` if a side is empty, the
/// book is crossed, `levels == 0`, a weight parameter is invalid, or the weighted total size is
/// zero. Running example: `1/9` uniform, `1/6` with `λ = 0.5`.
///
/// # Hot path
/// No allocation, O(levels).
pub fn depth_imbalance(
    bids: &[Level],
    asks: &[Level],
    levels: usize,
    weights: DepthWeights,
) -> Option<f64> {
    let (bid, ask) = best(bids, asks)?;
    match weights {
        DepthWeights::Geometric { lambda } if !(lambda.is_finite() && lambda > 0.0) => return None,
        DepthWeights::PriceDistance { kappa } if !(kappa.is_finite() && kappa >= 0.0) => {
            return None;
        }
        _ => {}
    }
    let m = mid_ticks(bid, ask);
    let weight = |i: usize, level: &Level| -> f64 {
        match weights {
            DepthWeights::Uniform => 1.0,
            DepthWeights::Geometric { lambda } => lambda.powi(i as i32),
            DepthWeights::Harmonic => 1.0 / (i as f64 + 1.0),
            DepthWeights::PriceDistance { kappa } => {
                (-kappa * (level.price.ticks() as f64 - m).abs()).exp()
            }
        }
    };
    let (mut num, mut den) = (0.0_f64, 0.0_f64);
    for (i, level) in bids.iter().take(levels).enumerate() {
        let q = weight(i, level) * level.qty.lots() as f64;
        num += q;
        den += q;
    }
    for (i, level) in asks.iter().take(levels).enumerate() {
        let q = weight(i, level) * level.qty.lots() as f64;
        num -= q;
        den += q;
    }
    ratio(num, den)
}

/// `ρ_N(w)` with caller-given weights: `weights[i]` weighs level `i + 1` of both sides and
/// `N = weights.len()`. `None` on an empty side, a crossed book, a negative or non-finite weight,
/// or a zero weighted total.
///
/// # Hot path
/// No allocation, O(N).
pub fn depth_imbalance_with_weights(
    bids: &[Level],
    asks: &[Level],
    weights: &[f64],
) -> Option<f64> {
    best(bids, asks)?;
    if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) {
        return None;
    }
    let (mut num, mut den) = (0.0_f64, 0.0_f64);
    for (w, level) in weights.iter().zip(bids) {
        let q = w * level.qty.lots() as f64;
        num += q;
        den += q;
    }
    for (w, level) in weights.iter().zip(asks) {
        let q = w * level.qty.lots() as f64;
        num -= q;
        den += q;
    }
    ratio(num, den)
}

#[inline]
fn ratio(num: f64, den: f64) -> Option<f64> {
    let r = num / den;
    (den > 0.0 && r.is_finite()).then(|| r.clamp(-1.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::super::top::test_book::{asks, bids, lvl};
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::uniform_is_one_ninth(DepthWeights::Uniform, 1.0 / 9.0)]
    #[case::geometric_half_is_one_sixth(DepthWeights::Geometric { lambda: 0.5 }, 1.0 / 6.0)]
    #[case::harmonic(
        DepthWeights::Harmonic,
        (200.0 - 100.0 + 200.0 / 3.0) / (400.0 + 300.0 + 800.0 / 3.0)
    )]
    fn depth_imbalance_running_example(#[case] w: DepthWeights, #[case] expected: f64) {
        let got = depth_imbalance(&bids(), &asks(), 3, w).expect("defined");
        assert!((got - expected).abs() < 1e-15, "{got} vs {expected}");
    }

    #[test]
    fn depth_imbalance_custom_weights_match_geometric() {
        let got = depth_imbalance_with_weights(&bids(), &asks(), &[1.0, 0.5, 0.25]);
        assert!((got.expect("defined") - 1.0 / 6.0).abs() < 1e-15);
    }

    #[test]
    fn depth_imbalance_price_distance_zero_kappa_is_uniform() {
        let got = depth_imbalance(
            &bids(),
            &asks(),
            3,
            DepthWeights::PriceDistance { kappa: 0.0 },
        );
        assert!((got.expect("defined") - 1.0 / 9.0).abs() < 1e-15);
    }

    #[test]
    fn depth_imbalance_short_side_is_padded_with_zero() {
        let got = depth_imbalance(&[lvl(100, 30)], &asks(), 2, DepthWeights::Uniform);
        assert_eq!(got, Some((30.0 - 500.0) / 530.0));
    }

    #[rstest]
    #[case::one_sided(&[], &[lvl(101, 1)], DepthWeights::Uniform)]
    #[case::crossed(&[lvl(102, 1)], &[lvl(101, 1)], DepthWeights::Uniform)]
    #[case::zero_total(&[lvl(100, 0)], &[lvl(101, 0)], DepthWeights::Uniform)]
    #[case::negative_lambda(&[lvl(100, 1)], &[lvl(101, 1)], DepthWeights::Geometric { lambda: -1.0 })]
    #[case::nan_lambda(&[lvl(100, 1)], &[lvl(101, 1)], DepthWeights::Geometric { lambda: f64::NAN })]
    #[case::negative_kappa(&[lvl(100, 1)], &[lvl(101, 1)], DepthWeights::PriceDistance { kappa: -1.0 })]
    fn depth_imbalance_undefined_is_none(
        #[case] b: &[Level],
        #[case] a: &[Level],
        #[case] w: DepthWeights,
    ) {
        assert_eq!(depth_imbalance(b, a, 3, w), None);
    }

    #[test]
    fn depth_imbalance_zero_levels_is_none() {
        assert_eq!(
            depth_imbalance(&bids(), &asks(), 0, DepthWeights::Uniform),
            None
        );
    }
}
