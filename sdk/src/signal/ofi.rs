//! Order-flow imbalance: Cont–Kukanov–Stoikov best-level OFI, rank-indexed multi-level OFI,
//! Cont–Cucuringu–Zhang depth scaling and integrated OFI (`docs/signals.md` §4).

use super::error::WindowError;
use crate::Level;

/// Which queue a *worsened* price (bid down, ask up) contributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OfiConvention {
    /// Cont, Kukanov & Stoikov (2014), eq. 10: the **previous** queue (`−q^b_{n−1}`,
    /// `+q^a_{n−1}`): the queue that was removed.
    Cks,
    /// Cont, Cucuringu & Zhang (2023), eq. 2 as printed: the **current** queue (`−q^b_n`,
    /// `+q^a_n`).
    Ccz,
}

/// The contribution `e_n` of one level between two observations, in lots.
///
/// `prev_*`/`cur_*` are the level at observation `n − 1` and `n` (for multi-level OFI, the level
/// of the same rank). A side missing at either observation contributes nothing (its price
/// comparison is undefined; a missing bid is never price 0). Unchanged prices give
/// `Δq^b − Δq^a` under both conventions; an improved price adds the new queue (bid) or removes
/// it (ask); a worsened price follows `convention`.
///
/// # Hot path
/// No allocation, O(1).
#[inline]
pub fn ofi_contribution(
    prev_bid: Option<Level>,
    cur_bid: Option<Level>,
    prev_ask: Option<Level>,
    cur_ask: Option<Level>,
    convention: OfiConvention,
) -> i64 {
    let bid = match (prev_bid, cur_bid) {
        (Some(p), Some(c)) => {
            let (qp, qc) = (p.qty.lots(), c.qty.lots());
            match c.price.cmp(&p.price) {
                std::cmp::Ordering::Greater => qc,
                std::cmp::Ordering::Equal => qc.saturating_sub(qp),
                std::cmp::Ordering::Less => match convention {
                    OfiConvention::Cks => -qp,
                    OfiConvention::Ccz => -qc,
                },
            }
        }
        _ => 0,
    };
    let ask = match (prev_ask, cur_ask) {
        (Some(p), Some(c)) => {
            let (qp, qc) = (p.qty.lots(), c.qty.lots());
            match c.price.cmp(&p.price) {
                std::cmp::Ordering::Less => -qc,
                std::cmp::Ordering::Equal => qp.saturating_sub(qc),
                std::cmp::Ordering::Greater => match convention {
                    OfiConvention::Cks => qp,
                    OfiConvention::Ccz => qc,
                },
            }
        }
        _ => 0,
    };
    bid.saturating_add(ask)
}

/// What one [`Ofi::update`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfiStep {
    /// No previous observation (the first one, or the first after [`Ofi::reset`]): stored, no
    /// contribution.
    First,
    /// The book was crossed: the observation was dropped and the previous one kept.
    Crossed,
    /// A contribution was added to every level's sum.
    Added {
        /// `e_n` at the best level, lots.
        best: i64,
        /// Conditions worth a look.
        flags: OfiFlags,
    },
}

/// Conditions seen by one [`Ofi::update`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OfiFlags {
    /// A best level was missing now or before, so its side's term was skipped.
    pub one_sided: bool,
    /// The book is locked (best bid == best ask); the formula was applied mechanically.
    pub locked: bool,
}

/// Accumulates best-level and rank-indexed multi-level OFI over consecutive book observations,
/// and the average depth per level for CCZ scaling.
///
/// Levels are ranks: when level 1 empties every deeper level shifts, which creates large
/// level-m flows (§4.4); empty price levels inside a band are not levels here (the input is the
/// engine's top-N view of non-empty levels). Call [`reset`](Self::reset) after a gap or a book
/// reset: the next observation then starts afresh. Call
/// [`start_interval`](Self::start_interval) to begin a new aggregation interval `OFI_k` while
/// keeping the previous observation.
#[derive(Debug, Clone)]
pub struct Ofi {
    convention: OfiConvention,
    prev_bids: Box<[Option<Level>]>,
    prev_asks: Box<[Option<Level>]>,
    has_prev: bool,
    sums: Box<[i64]>,
    depth: Box<[i128]>,
    steps: u64,
}

impl Ofi {
    /// An accumulator over the first `levels` levels.
    ///
    /// # Panics
    /// If `levels` is 0; see [`Ofi::new_checked`].
    pub fn new(levels: usize, convention: OfiConvention) -> Self {
        match Self::new_checked(levels, convention) {
            Ok(ofi) => ofi,
            Err(e) => panic!("{e}"),
        }
    }

    /// An accumulator over the first `levels` levels, or an error if `levels` is 0.
    ///
    /// # Errors
    /// [`WindowError::ZeroCapacity`] for `levels == 0`.
    pub fn new_checked(levels: usize, convention: OfiConvention) -> Result<Self, WindowError> {
        if levels == 0 {
            return Err(WindowError::ZeroCapacity { what: "OFI levels" });
        }
        Ok(Self {
            convention,
            prev_bids: vec![None; levels].into_boxed_slice(),
            prev_asks: vec![None; levels].into_boxed_slice(),
            has_prev: false,
            sums: vec![0; levels].into_boxed_slice(),
            depth: vec![0; levels].into_boxed_slice(),
            steps: 0,
        })
    }

    /// The convention in use.
    pub fn convention(&self) -> OfiConvention {
        self.convention
    }

    /// Number of levels tracked.
    pub fn levels(&self) -> usize {
        self.sums.len()
    }

    /// Feeds observation `n`: adds `e_n` of every level to its sum (and its depth to the CCZ
    /// depth average) and stores the observation as the new `n − 1`.
    ///
    /// # Hot path
    /// No allocation, O(levels).
    pub fn update(&mut self, bids: &[Level], asks: &[Level]) -> OfiStep {
        if let (Some(b), Some(a)) = (bids.first(), asks.first())
            && b.price > a.price
        {
            return OfiStep::Crossed;
        }
        let step = if self.has_prev {
            let flags = OfiFlags {
                one_sided: bids.is_empty()
                    || asks.is_empty()
                    || self.prev_bids[0].is_none()
                    || self.prev_asks[0].is_none(),
                locked: matches!((bids.first(), asks.first()), (Some(b), Some(a)) if b.price == a.price),
            };
            for m in 0..self.sums.len() {
                let (cb, ca) = (bids.get(m).copied(), asks.get(m).copied());
                let e = ofi_contribution(
                    self.prev_bids[m],
                    cb,
                    self.prev_asks[m],
                    ca,
                    self.convention,
                );
                self.sums[m] = self.sums[m].saturating_add(e);
                let d =
                    cb.map_or(0, |l| l.qty.lots()) as i128 + ca.map_or(0, |l| l.qty.lots()) as i128;
                self.depth[m] = self.depth[m].saturating_add(d);
            }
            self.steps += 1;
            let best = ofi_contribution(
                self.prev_bids[0],
                bids.first().copied(),
                self.prev_asks[0],
                asks.first().copied(),
                self.convention,
            );
            OfiStep::Added { best, flags }
        } else {
            OfiStep::First
        };
        for m in 0..self.prev_bids.len() {
            self.prev_bids[m] = bids.get(m).copied();
            self.prev_asks[m] = asks.get(m).copied();
        }
        self.has_prev = true;
        step
    }

    /// `OFI^m` summed since the last reset or interval start, lots; `level` is 0-based (0 = best).
    /// `None` past the tracked levels.
    pub fn sum(&self, level: usize) -> Option<i64> {
        self.sums.get(level).copied()
    }

    /// All per-level sums, best level first.
    pub fn sums(&self) -> &[i64] {
        &self.sums
    }

    /// Number of contributions `ΔN` in the current interval.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Average depth of one level over the interval, `(1/(2ΔN)) Σ_n (q^b_n + q^a_n)` (CCZ), lots.
    /// `None` before the first contribution or past the tracked levels.
    pub fn average_depth(&self, level: usize) -> Option<f64> {
        let d = *self.depth.get(level)?;
        (self.steps > 0).then(|| d as f64 / (2.0 * self.steps as f64))
    }

    /// The CCZ depth scale `Q = (1/M) Σ_m average_depth(m)` over all tracked levels. `None` before
    /// the first contribution or if the book had no size.
    pub fn depth_scale(&self) -> Option<f64> {
        let m = self.depth.len() as f64;
        let total: f64 = (0..self.depth.len())
            .map(|l| self.average_depth(l))
            .sum::<Option<f64>>()?;
        let q = total / m;
        (q > 0.0 && q.is_finite()).then_some(q)
    }

    /// The depth-scaled `ofi^m = OFI^m / Q` (CCZ). `None` as for [`depth_scale`](Self::depth_scale).
    pub fn scaled(&self, level: usize) -> Option<f64> {
        Some(*self.sums.get(level)? as f64 / self.depth_scale()?)
    }

    /// Forgets the previous observation and clears the sums (after a gap or a book reset).
    pub fn reset(&mut self) {
        self.has_prev = false;
        self.prev_bids.fill(None);
        self.prev_asks.fill(None);
        self.start_interval();
    }

    /// Clears the sums and depths for a new interval, keeping the previous observation.
    pub fn start_interval(&mut self) {
        self.sums.fill(0);
        self.depth.fill(0);
        self.steps = 0;
    }
}

/// Integrated OFI `w·ofi / ‖w‖₁` (CCZ §4.3), with `w` the first principal vector fitted on a
/// training window. `None` if the lengths differ, the slices are empty, a value is not finite, or
/// `‖w‖₁ = 0`.
///
/// # Hot path
/// No allocation, O(levels).
pub fn integrated_ofi(scaled_ofi: &[f64], weights: &[f64]) -> Option<f64> {
    if scaled_ofi.len() != weights.len() || weights.is_empty() {
        return None;
    }
    let norm: f64 = weights.iter().map(|w| w.abs()).sum();
    let dot: f64 = scaled_ofi.iter().zip(weights).map(|(x, w)| x * w).sum();
    let v = dot / norm;
    (norm > 0.0 && v.is_finite()).then_some(v)
}

impl crate::state::Save for Ofi {
    /// The previous observation, the interval's sums and depths and its step count (the
    /// convention and the number of levels come from the new instance's config).
    fn save(&self, w: &mut crate::state::StateWriter<'_>) {
        w.usize(self.prev_bids.len());
        for &l in self.prev_bids.iter().chain(self.prev_asks.iter()) {
            w.opt_level(l);
        }
        w.bool(self.has_prev);
        for &s in &self.sums {
            w.i64(s);
        }
        for &d in &self.depth {
            w.i128(d);
        }
        w.u64(self.steps);
    }

    fn restore(
        &mut self,
        r: &mut crate::state::StateReader<'_>,
    ) -> Result<(), crate::state::StateError> {
        r.expect_size("ofi levels", self.prev_bids.len())?;
        for l in self.prev_bids.iter_mut().chain(self.prev_asks.iter_mut()) {
            *l = r.opt_level("ofi previous level")?;
        }
        self.has_prev = r.bool("ofi has previous")?;
        for s in self.sums.iter_mut() {
            *s = r.i64()?;
        }
        for d in self.depth.iter_mut() {
            *d = r.i128()?;
        }
        self.steps = r.u64()?;
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod ofi_example {
    //! The §4.4 sequence n0..n5 (bids L1, L2 | asks L1, L2) in ticks and lots.
    use super::super::top::test_book::lvl;
    use crate::Level;

    /// `(bids, asks)` of observations n0..n5.
    pub(crate) fn states() -> [([Level; 2], [Level; 2]); 6] {
        [
            (
                [lvl(10_000, 300), lvl(9_999, 200)],
                [lvl(10_001, 100), lvl(10_002, 400)],
            ),
            (
                [lvl(10_000, 350), lvl(9_999, 200)],
                [lvl(10_001, 100), lvl(10_002, 400)],
            ),
            (
                [lvl(10_000, 350), lvl(9_999, 200)],
                [lvl(10_001, 40), lvl(10_002, 400)],
            ),
            (
                [lvl(10_000, 350), lvl(9_999, 200)],
                [lvl(10_002, 400), lvl(10_003, 300)],
            ),
            (
                [lvl(10_001, 50), lvl(10_000, 350)],
                [lvl(10_002, 400), lvl(10_003, 300)],
            ),
            (
                [lvl(10_000, 350), lvl(9_999, 200)],
                [lvl(10_002, 400), lvl(10_003, 300)],
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::super::top::test_book::lvl;
    use super::ofi_example::states;
    use super::*;
    use rstest::rstest;

    fn per_level(convention: OfiConvention, m: usize) -> Vec<i64> {
        let s = states();
        s.windows(2)
            .map(|w| {
                ofi_contribution(
                    Some(w[0].0[m]),
                    Some(w[1].0[m]),
                    Some(w[0].1[m]),
                    Some(w[1].1[m]),
                    convention,
                )
            })
            .collect()
    }

    #[rstest]
    #[case::cks_level1(OfiConvention::Cks, 0, [50, 60, 40, 50, -50])]
    #[case::cks_level2(OfiConvention::Cks, 1, [0, 0, 400, 350, -350])]
    #[case::ccz_level1(OfiConvention::Ccz, 0, [50, 60, 400, 50, -350])]
    #[case::ccz_level2(OfiConvention::Ccz, 1, [0, 0, 300, 350, -200])]
    fn ofi_contributions_match_worked_example(
        #[case] convention: OfiConvention,
        #[case] level: usize,
        #[case] expected: [i64; 5],
    ) {
        assert_eq!(per_level(convention, level), expected);
    }

    #[rstest]
    #[case::cks(OfiConvention::Cks, [150, 400])]
    #[case::ccz(OfiConvention::Ccz, [210, 450])]
    fn ofi_accumulator_sums_match_worked_example(
        #[case] convention: OfiConvention,
        #[case] sums: [i64; 2],
    ) {
        let mut ofi = Ofi::new(2, convention);
        let mut best = Vec::new();
        for (b, a) in states() {
            match ofi.update(&b, &a) {
                OfiStep::Added { best: e, flags } => {
                    assert_eq!(flags, OfiFlags::default());
                    best.push(e);
                }
                OfiStep::First => assert!(best.is_empty()),
                OfiStep::Crossed => panic!("example is never crossed"),
            }
        }
        assert_eq!(ofi.sums(), sums);
        assert_eq!(best.iter().sum::<i64>(), sums[0]);
        assert_eq!(ofi.steps(), 5);
    }

    #[test]
    fn ccz_scaling_and_integrated_ofi_match_worked_example() {
        let mut ofi = Ofi::new(2, OfiConvention::Ccz);
        for (b, a) in states() {
            ofi.update(&b, &a);
        }
        assert_eq!(ofi.average_depth(0), Some(279.0));
        assert_eq!(ofi.average_depth(1), Some(285.0));
        assert_eq!(ofi.depth_scale(), Some(282.0));
        let scaled = [
            ofi.scaled(0).expect("scaled"),
            ofi.scaled(1).expect("scaled"),
        ];
        assert!((scaled[0] - 210.0 / 282.0).abs() < 1e-15);
        assert!((scaled[1] - 450.0 / 282.0).abs() < 1e-15);
        let integrated = integrated_ofi(&scaled, &[0.4, 0.6]).expect("weights");
        assert!((integrated - 1.2553191489361701).abs() < 1e-12);
    }

    #[test]
    fn first_observation_and_reset_give_no_contribution() {
        let mut ofi = Ofi::new(1, OfiConvention::Cks);
        let s = states();
        assert_eq!(ofi.update(&s[0].0, &s[0].1), OfiStep::First);
        assert!(matches!(
            ofi.update(&s[1].0, &s[1].1),
            OfiStep::Added { best: 50, .. }
        ));
        ofi.reset();
        assert_eq!(ofi.sums(), [0]);
        assert_eq!(ofi.update(&s[2].0, &s[2].1), OfiStep::First);
        assert_eq!(ofi.depth_scale(), None);
    }

    #[test]
    fn crossed_observation_is_dropped_and_previous_kept() {
        let mut ofi = Ofi::new(1, OfiConvention::Cks);
        ofi.update(&[lvl(100, 10)], &[lvl(101, 10)]);
        assert_eq!(
            ofi.update(&[lvl(102, 10)], &[lvl(101, 10)]),
            OfiStep::Crossed
        );
        assert!(matches!(
            ofi.update(&[lvl(100, 15)], &[lvl(101, 10)]),
            OfiStep::Added { best: 5, .. }
        ));
    }

    #[test]
    fn one_sided_skips_the_missing_side_and_flags_it() {
        let mut ofi = Ofi::new(1, OfiConvention::Cks);
        ofi.update(&[lvl(100, 10)], &[lvl(101, 10)]);
        let step = ofi.update(&[lvl(100, 25)], &[]);
        assert_eq!(
            step,
            OfiStep::Added {
                best: 15,
                flags: OfiFlags {
                    one_sided: true,
                    locked: false
                }
            }
        );
    }

    #[test]
    fn locked_book_is_kept_and_flagged() {
        let mut ofi = Ofi::new(1, OfiConvention::Cks);
        ofi.update(&[lvl(100, 10)], &[lvl(101, 10)]);
        let step = ofi.update(&[lvl(101, 5)], &[lvl(101, 10)]);
        assert_eq!(
            step,
            OfiStep::Added {
                best: 5,
                flags: OfiFlags {
                    one_sided: false,
                    locked: true
                }
            }
        );
    }

    #[test]
    fn start_interval_keeps_previous_observation() {
        let mut ofi = Ofi::new(1, OfiConvention::Cks);
        let s = states();
        ofi.update(&s[0].0, &s[0].1);
        ofi.update(&s[1].0, &s[1].1);
        ofi.start_interval();
        assert_eq!(ofi.sums(), [0]);
        assert!(matches!(
            ofi.update(&s[2].0, &s[2].1),
            OfiStep::Added { best: 60, .. }
        ));
    }

    #[rstest]
    #[case::length_mismatch(&[1.0], &[0.5, 0.5])]
    #[case::empty(&[], &[])]
    #[case::zero_weights(&[1.0, 2.0], &[0.0, 0.0])]
    fn integrated_ofi_undefined_is_none(#[case] x: &[f64], #[case] w: &[f64]) {
        assert_eq!(integrated_ofi(x, w), None);
    }

    #[test]
    fn zero_levels_is_an_error() {
        assert!(Ofi::new_checked(0, OfiConvention::Cks).is_err());
    }
}
