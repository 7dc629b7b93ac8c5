//! Imbalance buckets: the two edge conventions of `docs/signals.md` §3.4 and the shared bin rule
//! (right-closed bins, lowest edge included), which the sdk's
//! [`MicropriceTable::bucket`](ladder_sdk::MicropriceTable::bucket) applies at run time.

use super::FitError;

/// How imbalance bucket edges are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Bucketing {
    /// Convention B (PR #2): `n` equal-width bins on `[lo, 1 − lo]`,
    /// `lo = min(min I, 1 − max I)`, symmetric about 0.5; no-move transitions booked at the true
    /// next state. The default, for live use.
    Symmetric,
    /// Convention A (the original notebook): `pandas.qcut` edges, i.e. type-7 quantiles of I at
    /// `0, 1/n, …, 1`; no-move transitions booked in the block of the current spread.
    Quantile,
}

impl Bucketing {
    /// The command-line name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Symmetric => "symmetric",
            Self::Quantile => "quantile",
        }
    }
}

/// The `n + 1` bucket edges of `imbalances` (the kept rows' I values, not symmetrised).
///
/// # Errors
/// [`FitError::DuplicateEdges`] when quantile edges coincide, [`FitError::DegenerateImbalance`]
/// when the symmetric range is empty, [`FitError::InvalidArgument`] for `n == 0` or no data.
pub fn edges(imbalances: &[f64], n: usize, bucketing: Bucketing) -> Result<Vec<f64>, FitError> {
    if n == 0 || imbalances.is_empty() {
        return Err(FitError::InvalidArgument(
            "need at least one imbalance bucket and one imbalance value".into(),
        ));
    }
    match bucketing {
        Bucketing::Quantile => {
            let mut sorted = imbalances.to_vec();
            sorted.sort_by(f64::total_cmp);
            let e: Vec<f64> = (0..=n)
                .map(|k| quantile_type7(&sorted, k as f64 / n as f64))
                .collect();
            if e.windows(2).any(|w| w[1] <= w[0]) {
                return Err(FitError::DuplicateEdges { edges: e });
            }
            Ok(e)
        }
        Bucketing::Symmetric => {
            let (min, max) = imbalances
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                    (lo.min(x), hi.max(x))
                });
            let lo = min.min(1.0 - max);
            let hi = 1.0 - lo;
            if hi <= lo {
                return Err(FitError::DegenerateImbalance);
            }
            // numpy.linspace: start + k·step, the last edge set to stop exactly.
            let step = (hi - lo) / n as f64;
            let mut e: Vec<f64> = (0..=n).map(|k| lo + k as f64 * step).collect();
            e[n] = hi;
            Ok(e)
        }
    }
}

/// Hyndman–Fan type 7 (numpy's default `linear`, used by `pandas.qcut`) quantile of sorted data:
/// `h = (N − 1)·p`, interpolated with numpy's `_lerp`.
pub fn quantile_type7(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 1 {
        return sorted[0];
    }
    let h = (n - 1) as f64 * p;
    let lo = (h.floor() as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let t = h - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    let d = b - a;
    if t >= 0.5 {
        b - d * (1.0 - t)
    } else {
        a + d * t
    }
}

/// The bucket of `i` given `edges`: bucket 0 is `[e0, e1]`, bucket `k` is `(e_k, e_{k+1}]`;
/// values outside `[e0, e_n]` go to the outer buckets.
pub fn bucket_of(edges: &[f64], i: f64) -> usize {
    let interior = &edges[1..edges.len() - 1];
    interior.partition_point(|&e| e < i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[test]
    fn quantile_type7_matches_numpy() {
        let data: Vec<f64> = (1..=10).map(f64::from).collect();
        assert!((quantile_type7(&data, 0.1) - 1.9).abs() < 1e-15);
        assert_eq!(quantile_type7(&data, 0.0), 1.0);
        assert_eq!(quantile_type7(&data, 1.0), 10.0);
        assert_eq!(quantile_type7(&data, 0.5), 5.5);
    }

    #[test]
    fn quantile_edges_of_handcheck_are_0_2_third_0_8() {
        let mut i = vec![0.2, 0.8, 1.0 / 3.0];
        i.extend([0.25; 9]);
        i.extend([0.75; 9]);
        let e = edges(&i, 2, Bucketing::Quantile).expect("distinct");
        assert_eq!(e, vec![0.2, 1.0 / 3.0, 0.8]);
    }

    #[test]
    fn quantile_duplicate_edges_are_an_error() {
        let i = [0.5, 0.5, 0.5, 0.7];
        assert!(matches!(
            edges(&i, 4, Bucketing::Quantile),
            Err(FitError::DuplicateEdges { .. })
        ));
    }

    #[test]
    fn symmetric_edges_are_symmetric_about_half() {
        let e = edges(&[0.3, 0.6], 4, Bucketing::Symmetric).expect("range");
        assert_eq!(e.len(), 5);
        assert_eq!(e[0], 0.3);
        assert!((e[2] - 0.5).abs() < 1e-15);
        assert!((e[4] - 0.7).abs() < 1e-15);
    }

    #[test]
    fn symmetric_all_half_is_degenerate() {
        assert!(matches!(
            edges(&[0.5, 0.5], 2, Bucketing::Symmetric),
            Err(FitError::DegenerateImbalance)
        ));
    }

    #[rstest]
    #[case::lowest_edge_included(0.2, 0)]
    #[case::on_median_edge_right_closed(1.0 / 3.0, 0)]
    #[case::above_median(0.34, 1)]
    #[case::top_edge(0.8, 1)]
    fn bucket_of_is_right_closed(#[case] i: f64, #[case] b: usize) {
        assert_eq!(bucket_of(&[0.2, 1.0 / 3.0, 0.8], i), b);
    }

    #[test]
    fn bucket_of_agrees_with_sdk_table() {
        let edges = vec![0.1, 0.25, 0.5, 0.75, 0.9];
        let t = ladder_sdk::MicropriceTable::new(0.01, edges.clone(), vec![vec![0.0; 4]])
            .expect("valid");
        for k in 0..=1000 {
            let i = f64::from(k) / 1000.0;
            assert_eq!(t.bucket(i), Some(bucket_of(&edges, i)), "I = {i}");
        }
    }
}
