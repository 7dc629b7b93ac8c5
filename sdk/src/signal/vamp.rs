//! Multi-level weighted prices: `VAMP_N`, the weighted-depth price and `VAMP_effective`
//! (hftbacktest's definitions, `docs/signals.md` §1.2).
//!
//! Sums are exact (`i128` products of tick offsets from the best bid and lots); only the final
//! division is in `f64`.

use super::top::best;
use crate::Level;

/// `VAMP_N = (Σ Pb_i·Qa_i + Σ Pa_i·Qb_i)/(Σ Qb_i + Σ Qa_i)` in ticks: the i-th bid is paired with
/// the i-th ask, so both sides need at least `levels` levels.
///
/// `None` if a side has fewer than `levels` levels, `levels == 0`, the book is crossed, or the
/// total size is zero. Running example, 3 levels: `100.0066667`.
///
/// # Hot path
/// No allocation, O(levels).
pub fn vamp(bids: &[Level], asks: &[Level], levels: usize) -> Option<f64> {
    let (bid, _) = best(bids, asks)?;
    if levels == 0 || bids.len() < levels || asks.len() < levels {
        return None;
    }
    let r = i128::from(bid.price.ticks());
    let (mut num, mut den) = (0_i128, 0_i128);
    for (b, a) in bids[..levels].iter().zip(&asks[..levels]) {
        let (qb, qa) = (i128::from(b.qty.lots()), i128::from(a.qty.lots()));
        num += (i128::from(b.price.ticks()) - r) * qa + (i128::from(a.price.ticks()) - r) * qb;
        den += qb + qa;
    }
    offset_price(r, num, den)
}

/// The weighted-depth price `(Σ Pb_i·Qb_i + Σ Pa_i·Qa_i)/(Σ Qb_i + Σ Qa_i)` in ticks over up to
/// `levels` levels per side: a depth centroid, not an imbalance signal.
///
/// `None` if a side is empty, `levels == 0`, the book is crossed or the total size is zero.
/// Running example, 3 levels: `100.0033333`.
///
/// # Hot path
/// No allocation, O(levels).
pub fn weighted_depth_price(bids: &[Level], asks: &[Level], levels: usize) -> Option<f64> {
    let (bid, _) = best(bids, asks)?;
    let r = i128::from(bid.price.ticks());
    let (mut num, mut den) = (0_i128, 0_i128);
    for l in bids.iter().take(levels).chain(asks.iter().take(levels)) {
        let q = i128::from(l.qty.lots());
        num += (i128::from(l.price.ticks()) - r) * q;
        den += q;
    }
    offset_price(r, num, den)
}

/// Size-weighted average prices and total sizes of each side over its first levels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EffectiveQuote {
    /// `Pb_eff = Σ Pb_i·Qb_i / Σ Qb_i`, ticks.
    pub bid_price: f64,
    /// `Qb_eff = Σ Qb_i`, lots.
    pub bid_qty: i64,
    /// `Pa_eff = Σ Pa_i·Qa_i / Σ Qa_i`, ticks.
    pub ask_price: f64,
    /// `Qa_eff = Σ Qa_i`, lots.
    pub ask_qty: i64,
}

/// The effective quote over up to `levels` levels per side.
///
/// `None` if a side is empty, the book is crossed, `levels == 0`, or a side's total size is zero.
/// Running example, 3 levels: `Pb_eff = 99.988`, `Pa_eff = 100.0225`.
///
/// # Hot path
/// No allocation, O(levels).
pub fn effective_quote(bids: &[Level], asks: &[Level], levels: usize) -> Option<EffectiveQuote> {
    let (bid, _) = best(bids, asks)?;
    let r = i128::from(bid.price.ticks());
    let side = |levels_of: &[Level]| -> Option<(f64, i64)> {
        let (mut num, mut den) = (0_i128, 0_i128);
        for l in levels_of.iter().take(levels) {
            let q = i128::from(l.qty.lots());
            num += (i128::from(l.price.ticks()) - r) * q;
            den += q;
        }
        Some((offset_price(r, num, den)?, i64::try_from(den).ok()?))
    };
    let (bid_price, bid_qty) = side(bids)?;
    let (ask_price, ask_qty) = side(asks)?;
    Some(EffectiveQuote {
        bid_price,
        bid_qty,
        ask_price,
        ask_qty,
    })
}

/// `VAMP_effective`: the size-weighted mid of the [`EffectiveQuote`],
/// `(Pb_eff·Qa_eff + Pa_eff·Qb_eff)/(Qb_eff + Qa_eff)`, in ticks.
///
/// `None` as for [`effective_quote`]. Running example, 3 levels: `100.0071667`.
///
/// # Hot path
/// No allocation, O(levels).
pub fn vamp_effective(bids: &[Level], asks: &[Level], levels: usize) -> Option<f64> {
    let e = effective_quote(bids, asks, levels)?;
    let (qb, qa) = (e.bid_qty as f64, e.ask_qty as f64);
    let w = e.bid_price + (e.ask_price - e.bid_price) * (qb / (qb + qa));
    w.is_finite().then_some(w)
}

/// `r + num/den` with `den > 0`, else `None`.
#[inline]
fn offset_price(r: i128, num: i128, den: i128) -> Option<f64> {
    if den <= 0 {
        return None;
    }
    let p = r as f64 + num as f64 / den as f64;
    p.is_finite().then_some(p)
}

#[cfg(test)]
mod tests {
    use super::super::top::test_book::{asks, bids, lvl, px};
    use super::*;
    use rstest::rstest;

    #[test]
    fn vamp3_running_example_is_15001_over_150() {
        let v = vamp(&bids(), &asks(), 3).expect("3 levels");
        assert!((px(v) - 15_001.0 / 150.0).abs() < 1e-9);
    }

    #[test]
    fn weighted_depth_price3_running_example_is_30001_over_300() {
        let v = weighted_depth_price(&bids(), &asks(), 3).expect("3 levels");
        assert!((px(v) - 30_001.0 / 300.0).abs() < 1e-9);
    }

    #[test]
    fn effective_quote_and_vamp_effective_running_example() {
        let e = effective_quote(&bids(), &asks(), 3).expect("3 levels");
        assert!((px(e.bid_price) - 99.988).abs() < 1e-9);
        assert!((px(e.ask_price) - 100.0225).abs() < 1e-9);
        assert_eq!((e.bid_qty, e.ask_qty), (1000, 800));
        let v = vamp_effective(&bids(), &asks(), 3).expect("3 levels");
        assert!((px(v) - 600_043.0 / 6000.0).abs() < 1e-9);
    }

    #[test]
    fn vamp1_equals_weighted_mid() {
        let v = vamp(&bids(), &asks(), 1).expect("1 level");
        assert_eq!(Some(v), super::super::weighted_mid(&bids(), &asks()));
    }

    #[rstest]
    #[case::too_few_levels(&[lvl(100, 1)], &[lvl(101, 1), lvl(102, 1)], 2)]
    #[case::zero_levels(&[lvl(100, 1)], &[lvl(101, 1)], 0)]
    #[case::crossed(&[lvl(102, 1)], &[lvl(101, 1)], 1)]
    #[case::zero_sizes(&[lvl(100, 0)], &[lvl(101, 0)], 1)]
    #[case::one_sided(&[], &[lvl(101, 1)], 1)]
    fn multilevel_prices_undefined_are_none(
        #[case] b: &[Level],
        #[case] a: &[Level],
        #[case] n: usize,
    ) {
        assert_eq!(vamp(b, a, n), None);
        if n != 2 {
            assert_eq!(weighted_depth_price(b, a, n), None);
            assert_eq!(vamp_effective(b, a, n), None);
        }
    }

    #[test]
    fn effective_quote_one_side_without_size_is_none() {
        assert_eq!(effective_quote(&[lvl(100, 0)], &[lvl(101, 5)], 3), None);
    }
}
