//! Size-weighted mid `W = (Pb·Qa + Pa·Qb)/(Qa + Qb)` (`docs/signals.md` §1.1).

use super::top::best;
use crate::Level;

/// The size-weighted mid in ticks: `W = Pb + S·Qb/(Qb + Qa) = M + (S/2)·ρ`.
///
/// Often called "microprice" in practitioner docs; it is not Stoikov's micro-price (see
/// [`MicropriceTable`](super::MicropriceTable)). `None` if a side is empty, `Qb + Qa = 0` or
/// the book is crossed; a locked book gives `W = Pb`. `W` always lies in `[Pb, Pa]`.
///
/// # Hot path
/// No allocation, O(1).
#[inline]
pub fn weighted_mid(bids: &[Level], asks: &[Level]) -> Option<f64> {
    let (bid, ask) = best(bids, asks)?;
    let (qb, qa) = (bid.qty.lots() as f64, ask.qty.lots() as f64);
    let total = qb + qa;
    if total <= 0.0 {
        return None;
    }
    let s = (i128::from(ask.price.ticks()) - i128::from(bid.price.ticks())) as f64;
    let frac = (qb / total).clamp(0.0, 1.0);
    Some(bid.price.ticks() as f64 + s * frac)
}

#[cfg(test)]
mod tests {
    use super::super::top::test_book::{asks, bids, lvl, px};
    use super::*;
    use rstest::rstest;

    #[test]
    fn weighted_mid_running_example_is_100_0075() {
        let w = weighted_mid(&bids(), &asks()).expect("two-sided");
        assert_eq!(w, 40_003.0 / 4.0);
        assert!((px(w) - 100.0075).abs() < 1e-9);
    }

    #[test]
    fn weighted_mid_stoikov_slide_buy_lowers_it() {
        // 32.17×9 / 32.18×1 → 32.179; after the ask is lifted, 32.19×27 → 32.175.
        let before = weighted_mid(&[lvl(3217, 9)], &[lvl(3218, 1)]).expect("book");
        let after = weighted_mid(&[lvl(3217, 9)], &[lvl(3219, 27)]).expect("book");
        assert!((px(before) - 32.179).abs() < 1e-9);
        assert!((px(after) - 32.175).abs() < 1e-9);
    }

    #[rstest]
    #[case::zero_sizes(&[lvl(100, 0)], &[lvl(101, 0)], None)]
    #[case::one_sided(&[], &[lvl(101, 1)], None)]
    #[case::crossed(&[lvl(102, 1)], &[lvl(101, 1)], None)]
    #[case::locked_is_bid(&[lvl(101, 2)], &[lvl(101, 9)], Some(101.0))]
    fn weighted_mid_edge_cases(#[case] b: &[Level], #[case] a: &[Level], #[case] w: Option<f64>) {
        assert_eq!(weighted_mid(b, a), w);
    }
}
