//! Top-of-book imbalance `ρ` and `I` (`docs/signals.md` §2.1).

use super::top::best;
use crate::Level;

/// Top-of-book imbalance in both common scalings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TopImbalance {
    /// Signed imbalance `ρ = (Qb − Qa)/(Qb + Qa)` ∈ [−1, 1] (Gould–Bonart's `I`).
    pub rho: f64,
    /// Stoikov's imbalance `I = Qb/(Qb + Qa) = (ρ + 1)/2` ∈ [0, 1].
    pub i: f64,
}

/// Imbalance of the best bid and ask sizes.
///
/// `None` if a side is empty (a one-sided book is usually a stale feed; no `ρ = ±1` is made up),
/// if `Qb + Qa = 0`, or if the book is crossed. A locked book is computed as usual.
///
/// # Hot path
/// No allocation, O(1).
#[inline]
pub fn top_imbalance(bids: &[Level], asks: &[Level]) -> Option<TopImbalance> {
    let (bid, ask) = best(bids, asks)?;
    let (qb, qa) = (bid.qty.lots() as f64, ask.qty.lots() as f64);
    let total = qb + qa;
    if total <= 0.0 {
        return None;
    }
    Some(TopImbalance {
        rho: ((qb - qa) / total).clamp(-1.0, 1.0),
        i: (qb / total).clamp(0.0, 1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::super::top::test_book::{asks, bids, lvl};
    use super::*;
    use rstest::rstest;

    #[test]
    fn top_imbalance_running_example_is_half_and_three_quarters() {
        assert_eq!(
            top_imbalance(&bids(), &asks()),
            Some(TopImbalance { rho: 0.5, i: 0.75 })
        );
    }

    #[rstest]
    #[case::zero_sizes(&[lvl(100, 0)], &[lvl(101, 0)], None)]
    #[case::empty_bid_side(&[], &[lvl(101, 5)], None)]
    #[case::empty_ask_side(&[lvl(100, 5)], &[], None)]
    #[case::crossed(&[lvl(102, 5)], &[lvl(101, 5)], None)]
    #[case::locked_counts(&[lvl(101, 3)], &[lvl(101, 1)], Some(0.5))]
    #[case::bid_empty_queue(&[lvl(100, 0)], &[lvl(101, 7)], Some(-1.0))]
    fn top_imbalance_edge_cases(
        #[case] b: &[Level],
        #[case] a: &[Level],
        #[case] rho: Option<f64>,
    ) {
        assert_eq!(top_imbalance(b, a).map(|t| t.rho), rho);
    }
}
