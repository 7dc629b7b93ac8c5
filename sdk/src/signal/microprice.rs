//! Stoikov's micro-price applied from a fitted G* table (`docs/signals.md` §3).
//!
//! `ladder fit-microprice` fits the table offline; a strategy loads it (the engine's
//! `microprice::table` module reads the JSON) and looks it up per book update:
//! `P_micro = M + G*(bucket(I), S)`.

use super::top::{best, mid_ticks};
use crate::Level;
use thiserror::Error;

/// A fitted micro-price adjustment table: imbalance bucket edges and `G*[spread][bucket]`.
///
/// - `tick`: the price of one tick the table was fitted with; spreads are counted in it.
/// - `imbalance_edges`: `n + 1` strictly increasing values in `[0, 1]`, the bucket edges of
///   `I = Qb/(Qb + Qa)`. Bins are right-closed with the lowest edge included, as in fitting
///   (`pandas.qcut` / `pandas.cut(include_lowest=True)`): bucket 0 is `[e0, e1]`, bucket `k` is
///   `(e_k, e_{k+1}]`. An `I` below `e0` or above `e_n` (the fit never saw it) falls in the
///   outer bucket.
/// - `g_star[s − 1][k]`: the adjustment in price units for a spread of `s` ticks
///   (`s = 1..=n_spreads`) and bucket `k`.
///
/// **Spreads wider than the table** (`S > n_spreads`) give `None`, as do locked, crossed and
/// one-sided books and `Qb + Qa = 0`: those states are outside what was fitted, so the caller
/// falls back to the mid or the weighted mid explicitly rather than getting a clamped guess.
#[derive(Debug, Clone, PartialEq)]
pub struct MicropriceTable {
    tick: f64,
    edges: Box<[f64]>,
    /// Row-major `[spread − 1][bucket]`, price units.
    g_star: Box<[f64]>,
    n_buckets: usize,
    n_spreads: usize,
}

/// A micro-price table failed validation.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum MicropriceTableError {
    /// The tick is not finite and positive.
    #[error("micro-price table: tick must be finite and positive, got {0}")]
    InvalidTick(f64),
    /// Fewer than two imbalance edges.
    #[error("micro-price table: need at least 2 imbalance edges (1 bucket), got {0}")]
    TooFewEdges(usize),
    /// An edge is not finite, outside `[0, 1]`, or not above the previous one.
    #[error(
        "micro-price table: imbalance edges must be finite, within [0, 1] and strictly \
         increasing; edge {index} is {value}"
    )]
    InvalidEdge {
        /// Index of the offending edge.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// No spread rows.
    #[error("micro-price table: g_star has no spread rows")]
    NoSpreads,
    /// A spread row does not have one value per bucket.
    #[error(
        "micro-price table: g_star row for spread {spread} ticks has {got} values, expected {expected}"
    )]
    RowLength {
        /// The spread in ticks (1-based).
        spread: usize,
        /// Values in the row.
        got: usize,
        /// Number of buckets.
        expected: usize,
    },
    /// A G* value is NaN or infinite.
    #[error("micro-price table: g_star[{spread}][{bucket}] is not finite ({value})")]
    NonFiniteValue {
        /// The spread in ticks (1-based).
        spread: usize,
        /// The bucket.
        bucket: usize,
        /// The value.
        value: f64,
    },
}

impl MicropriceTable {
    /// A validated table; see the type docs for the meaning of each argument.
    ///
    /// # Errors
    /// A [`MicropriceTableError`] naming the first invalid field.
    pub fn new(
        tick: f64,
        imbalance_edges: Vec<f64>,
        g_star: Vec<Vec<f64>>,
    ) -> Result<Self, MicropriceTableError> {
        if !(tick.is_finite() && tick > 0.0) {
            return Err(MicropriceTableError::InvalidTick(tick));
        }
        if imbalance_edges.len() < 2 {
            return Err(MicropriceTableError::TooFewEdges(imbalance_edges.len()));
        }
        for (index, &value) in imbalance_edges.iter().enumerate() {
            let increasing = index == 0 || value > imbalance_edges[index - 1];
            if !((0.0..=1.0).contains(&value) && increasing) {
                return Err(MicropriceTableError::InvalidEdge { index, value });
            }
        }
        let n_buckets = imbalance_edges.len() - 1;
        if g_star.is_empty() {
            return Err(MicropriceTableError::NoSpreads);
        }
        let mut flat = Vec::with_capacity(g_star.len() * n_buckets);
        for (s, row) in g_star.iter().enumerate() {
            if row.len() != n_buckets {
                return Err(MicropriceTableError::RowLength {
                    spread: s + 1,
                    got: row.len(),
                    expected: n_buckets,
                });
            }
            for (bucket, &value) in row.iter().enumerate() {
                if !value.is_finite() {
                    return Err(MicropriceTableError::NonFiniteValue {
                        spread: s + 1,
                        bucket,
                        value,
                    });
                }
                flat.push(value);
            }
        }
        Ok(Self {
            tick,
            edges: imbalance_edges.into_boxed_slice(),
            g_star: flat.into_boxed_slice(),
            n_buckets,
            n_spreads: g_star.len(),
        })
    }

    /// The tick (price units per tick) the table was fitted with.
    pub fn tick(&self) -> f64 {
        self.tick
    }

    /// The `n + 1` imbalance bucket edges.
    pub fn imbalance_edges(&self) -> &[f64] {
        &self.edges
    }

    /// Number of imbalance buckets `n`.
    pub fn n_buckets(&self) -> usize {
        self.n_buckets
    }

    /// Number of spreads `M`: the table covers spreads of `1..=M` ticks.
    pub fn n_spreads(&self) -> usize {
        self.n_spreads
    }

    /// The G* row (price units, one value per bucket) for a spread of `spread_ticks` ticks, or
    /// `None` outside `1..=n_spreads`.
    pub fn g_star_row(&self, spread_ticks: i64) -> Option<&[f64]> {
        let s = usize::try_from(spread_ticks).ok()?;
        if s == 0 || s > self.n_spreads {
            return None;
        }
        let start = (s - 1) * self.n_buckets;
        self.g_star.get(start..start + self.n_buckets)
    }

    /// The bucket of imbalance `I` with the fitting rule (right-closed, lowest edge included;
    /// values beyond the outer edges go to the outer buckets). `None` if `I` is NaN or outside
    /// `[0, 1]`.
    ///
    /// # Hot path
    /// No allocation, O(log n).
    #[inline]
    pub fn bucket(&self, imbalance: f64) -> Option<usize> {
        if !(0.0..=1.0).contains(&imbalance) {
            return None;
        }
        let interior = &self.edges[1..self.n_buckets];
        Some(interior.partition_point(|&e| e < imbalance))
    }

    /// `G*(I, S)` in price units for a spread of `spread_ticks` ticks; `None` outside the table.
    ///
    /// # Hot path
    /// No allocation, O(log n).
    #[inline]
    pub fn adjustment(&self, spread_ticks: i64, imbalance: f64) -> Option<f64> {
        let bucket = self.bucket(imbalance)?;
        self.g_star_row(spread_ticks)?.get(bucket).copied()
    }

    /// `G*` for the book's top of book, in ticks (`G*/tick`). Book prices must be in ticks of
    /// [`tick`](Self::tick).
    ///
    /// `None` if a side is empty, `Qb + Qa = 0`, the book is locked or crossed, or the spread is
    /// wider than the table.
    ///
    /// # Hot path
    /// No allocation, O(log n).
    #[inline]
    pub fn adjustment_ticks(&self, bids: &[Level], asks: &[Level]) -> Option<f64> {
        let (bid, ask) = best(bids, asks)?;
        let s = ask.price.ticks().checked_sub(bid.price.ticks())?;
        let (qb, qa) = (bid.qty.lots() as f64, ask.qty.lots() as f64);
        if qb + qa <= 0.0 {
            return None;
        }
        let g = self.adjustment(s, qb / (qb + qa))? / self.tick;
        g.is_finite().then_some(g)
    }

    /// Stoikov's micro-price `M + G*(I, S)` in ticks (multiply by the tick for a price). Book
    /// prices must be in ticks of [`tick`](Self::tick). `None` as for
    /// [`adjustment_ticks`](Self::adjustment_ticks).
    ///
    /// # Hot path
    /// No allocation, O(log n).
    #[inline]
    pub fn microprice(&self, bids: &[Level], asks: &[Level]) -> Option<f64> {
        let g = self.adjustment_ticks(bids, asks)?;
        let (bid, ask) = best(bids, asks)?;
        Some(mid_ticks(bid, ask) + g)
    }
}

#[cfg(test)]
mod tests {
    use super::super::top::test_book::{asks, bids, lvl, px};
    use super::*;
    use rstest::rstest;

    /// The hand-check fit of `docs/signals.md` §3.6: edges `[0.2, 1/3, 0.8]`, G* = ∓1/600 $.
    fn handcheck() -> MicropriceTable {
        MicropriceTable::new(
            0.01,
            vec![0.2, 1.0 / 3.0, 0.8],
            vec![vec![-1.0 / 600.0, 1.0 / 600.0]],
        )
        .expect("valid table")
    }

    /// Two spreads, two buckets, symmetric edges.
    fn two_spreads() -> MicropriceTable {
        MicropriceTable::new(
            0.01,
            vec![0.2, 0.5, 0.8],
            vec![vec![-0.002, 0.002], vec![-0.001, 0.001]],
        )
        .expect("valid table")
    }

    #[test]
    fn microprice_running_example_is_15001_over_150() {
        let t = handcheck();
        let g = t.adjustment_ticks(&bids(), &asks()).expect("in table");
        assert!((g - 1.0 / 6.0).abs() < 1e-12);
        let m = t.microprice(&bids(), &asks()).expect("in table");
        assert!((px(m) - 15_001.0 / 150.0).abs() < 1e-9);
    }

    #[rstest]
    #[case::lowest_edge_included(0.2, 0)]
    #[case::below_lowest_edge_clamps(0.0, 0)]
    #[case::median_edge_is_right_closed(1.0 / 3.0, 0)]
    #[case::just_above_median_edge(1.0 / 3.0 + 1e-12, 1)]
    #[case::top_edge(0.8, 1)]
    #[case::above_top_edge_clamps(1.0, 1)]
    fn bucket_uses_right_closed_bins(#[case] i: f64, #[case] bucket: usize) {
        assert_eq!(handcheck().bucket(i), Some(bucket));
    }

    #[rstest]
    #[case::nan(f64::NAN)]
    #[case::negative(-0.1)]
    #[case::above_one(1.5)]
    fn bucket_outside_unit_interval_is_none(#[case] i: f64) {
        assert_eq!(handcheck().bucket(i), None);
    }

    #[rstest]
    #[case::one_tick_bid_heavy(&[lvl(100, 3)], &[lvl(101, 1)], Some(0.2))]
    #[case::two_ticks_ask_heavy(&[lvl(100, 1)], &[lvl(102, 3)], Some(-0.1))]
    #[case::wider_than_table_is_none(&[lvl(100, 3)], &[lvl(103, 1)], None)]
    #[case::locked_is_none(&[lvl(100, 3)], &[lvl(100, 1)], None)]
    #[case::crossed_is_none(&[lvl(101, 3)], &[lvl(100, 1)], None)]
    #[case::one_sided_is_none(&[], &[lvl(100, 1)], None)]
    #[case::zero_sizes_is_none(&[lvl(100, 0)], &[lvl(101, 0)], None)]
    fn adjustment_ticks_cases(#[case] b: &[Level], #[case] a: &[Level], #[case] g: Option<f64>) {
        let got = two_spreads().adjustment_ticks(b, a);
        match (got, g) {
            (Some(x), Some(y)) => assert!((x - y).abs() < 1e-12, "{x} vs {y}"),
            _ => assert_eq!(got, g),
        }
    }

    #[test]
    fn g_star_row_bounds() {
        let t = two_spreads();
        assert_eq!(t.g_star_row(2), Some(&[-0.001, 0.001][..]));
        assert_eq!(t.g_star_row(0), None);
        assert_eq!(t.g_star_row(3), None);
        assert_eq!(t.g_star_row(-1), None);
        assert_eq!((t.n_buckets(), t.n_spreads(), t.tick()), (2, 2, 0.01));
    }

    #[rstest]
    #[case::bad_tick(0.0, vec![0.0, 1.0], vec![vec![0.0]], MicropriceTableError::InvalidTick(0.0))]
    #[case::one_edge(0.01, vec![0.5], vec![vec![0.0]], MicropriceTableError::TooFewEdges(1))]
    #[case::duplicate_edge(
        0.01,
        vec![0.2, 0.5, 0.5],
        vec![vec![0.0, 0.0]],
        MicropriceTableError::InvalidEdge { index: 2, value: 0.5 }
    )]
    #[case::edge_above_one(
        0.01,
        vec![0.0, 1.5],
        vec![vec![0.0]],
        MicropriceTableError::InvalidEdge { index: 1, value: 1.5 }
    )]
    #[case::no_rows(0.01, vec![0.0, 1.0], vec![], MicropriceTableError::NoSpreads)]
    #[case::short_row(
        0.01,
        vec![0.0, 0.5, 1.0],
        vec![vec![0.0]],
        MicropriceTableError::RowLength { spread: 1, got: 1, expected: 2 }
    )]
    fn new_rejects_invalid_tables(
        #[case] tick: f64,
        #[case] edges: Vec<f64>,
        #[case] g: Vec<Vec<f64>>,
        #[case] err: MicropriceTableError,
    ) {
        assert_eq!(MicropriceTable::new(tick, edges, g), Err(err));
    }

    #[test]
    fn new_rejects_nan_value() {
        let r = MicropriceTable::new(0.01, vec![0.0, 1.0], vec![vec![f64::NAN]]);
        assert!(matches!(
            r,
            Err(MicropriceTableError::NonFiniteValue {
                spread: 1,
                bucket: 0,
                ..
            })
        ));
    }
}
