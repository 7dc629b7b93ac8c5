//! Top of book: the best levels, the mid and the spread (`docs/signals.md`, notation).

use crate::Level;

/// The best bid and best ask, if both sides exist and the book is not crossed (a locked book,
/// best bid == best ask, is returned).
#[inline]
pub(crate) fn best(bids: &[Level], asks: &[Level]) -> Option<(Level, Level)> {
    let (bid, ask) = (*bids.first()?, *asks.first()?);
    (bid.price <= ask.price).then_some((bid, ask))
}

/// The mid `M = (Pb + Pa)/2` in ticks.
///
/// `None` if a side is empty or the book is crossed; a locked book gives `Pb`.
///
/// # Hot path
/// No allocation, O(1).
#[inline]
pub fn mid(bids: &[Level], asks: &[Level]) -> Option<f64> {
    let (bid, ask) = best(bids, asks)?;
    Some(mid_ticks(bid, ask))
}

/// The spread `S = Pa − Pb` in whole ticks (`0` when locked).
///
/// `None` if a side is empty or the book is crossed.
///
/// # Hot path
/// No allocation, O(1).
#[inline]
pub fn spread(bids: &[Level], asks: &[Level]) -> Option<i64> {
    let (bid, ask) = best(bids, asks)?;
    ask.price.ticks().checked_sub(bid.price.ticks())
}

/// `(Pb + Pa)/2` without overflow: `Pb + S/2`.
#[inline]
pub(crate) fn mid_ticks(bid: Level, ask: Level) -> f64 {
    let s = i128::from(ask.price.ticks()) - i128::from(bid.price.ticks());
    bid.price.ticks() as f64 + s as f64 / 2.0
}

#[cfg(test)]
pub(crate) mod test_book {
    //! The running example book of `docs/signals.md` in ticks (tick 0.01) and lots.
    use crate::{Level, Price, Quantity};

    /// A level from ticks and lots.
    pub(crate) fn lvl(ticks: i64, lots: i64) -> Level {
        Level::new(Price::from_ticks(ticks), Quantity::from_lots(lots))
    }

    /// Bids 100.00×300, 99.99×200, 99.98×500.
    pub(crate) fn bids() -> [Level; 3] {
        [lvl(10_000, 300), lvl(9_999, 200), lvl(9_998, 500)]
    }

    /// Asks 100.01×100, 100.02×400, 100.03×300.
    pub(crate) fn asks() -> [Level; 3] {
        [lvl(10_001, 100), lvl(10_002, 400), lvl(10_003, 300)]
    }

    /// Ticks to price at tick 0.01.
    pub(crate) fn px(ticks: f64) -> f64 {
        ticks * 0.01
    }
}

#[cfg(test)]
mod tests {
    use super::test_book::{asks, bids, lvl, px};
    use super::*;
    use rstest::rstest;

    #[test]
    fn mid_and_spread_of_running_example() {
        let m = mid(&bids(), &asks()).expect("two-sided");
        assert!((px(m) - 100.005).abs() < 1e-9);
        assert_eq!(spread(&bids(), &asks()), Some(1));
    }

    #[rstest]
    #[case::empty_bids(&[], &[lvl(101, 1)], None, None)]
    #[case::empty_asks(&[lvl(100, 1)], &[], None, None)]
    #[case::crossed(&[lvl(102, 1)], &[lvl(101, 1)], None, None)]
    #[case::locked(&[lvl(101, 1)], &[lvl(101, 1)], Some(101.0), Some(0))]
    #[case::wide(&[lvl(100, 1)], &[lvl(105, 1)], Some(102.5), Some(5))]
    fn mid_spread_edge_cases(
        #[case] b: &[Level],
        #[case] a: &[Level],
        #[case] m: Option<f64>,
        #[case] s: Option<i64>,
    ) {
        assert_eq!(mid(b, a), m);
        assert_eq!(spread(b, a), s);
    }
}
