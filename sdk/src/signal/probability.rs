//! Signal to probability: the normal CDF and the logistic function, via `statrs`
//! (`docs/signals.md` §2.3, §6).
//!
//! statrs's `erf` differs from libm's by about 1.4e-11 (`Φ(1)`); compare against scipy or Python
//! with a tolerance of at least 1e-10.

use statrs::distribution::{ContinuousCDF, Normal};

/// The standard normal CDF `Φ(z)`; `None` for NaN.
///
/// # Hot path
/// No allocation, O(1).
#[inline]
pub fn normal_cdf(z: f64) -> Option<f64> {
    (!z.is_nan()).then(|| Normal::standard().cdf(z))
}

/// The standard normal survival function `1 − Φ(z)`; `None` for NaN.
///
/// # Hot path
/// No allocation, O(1).
#[inline]
pub fn normal_sf(z: f64) -> Option<f64> {
    (!z.is_nan()).then(|| Normal::standard().sf(z))
}

/// `Φ((x − mean)/sd)`; `None` if `sd` is not finite and positive (statrs's
/// `StandardDeviationInvalid`: e.g. a constant window) or an input is NaN.
///
/// # Hot path
/// No allocation, O(1).
#[inline]
pub fn normal_cdf_with(x: f64, mean: f64, sd: f64) -> Option<f64> {
    if x.is_nan() || !sd.is_finite() {
        return None;
    }
    Normal::new(mean, sd).ok().map(|n| n.cdf(x))
}

/// The standard normal quantile `Φ⁻¹(p)` for `p` in the open interval (0, 1); otherwise `None`.
///
/// # Hot path
/// No allocation, O(1).
#[inline]
pub fn normal_inverse_cdf(p: f64) -> Option<f64> {
    (p > 0.0 && p < 1.0).then(|| Normal::standard().inverse_cdf(p))
}

/// The logistic function `1/(1 + e^{−x})`; `None` for NaN.
///
/// # Hot path
/// No allocation, O(1).
#[inline]
pub fn logistic(x: f64) -> Option<f64> {
    (!x.is_nan()).then(|| statrs::function::logistic::logistic(x))
}

/// A fitted logistic model `P(up) = 1/(1 + e^{−(x0 + x1·signal)})` (Gould & Bonart 2016, with
/// `signal` the signed imbalance ρ).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogisticModel {
    /// Intercept `x0`.
    pub intercept: f64,
    /// Slope `x1`.
    pub slope: f64,
}

impl LogisticModel {
    /// The probability for `signal`; `None` if the linear predictor is NaN.
    ///
    /// # Hot path
    /// No allocation, O(1).
    #[inline]
    pub fn probability(&self, signal: f64) -> Option<f64> {
        logistic(self.intercept + self.slope * signal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const MSFT: LogisticModel = LogisticModel {
        intercept: 0.01,
        slope: 2.49,
    };
    const GOOG: LogisticModel = LogisticModel {
        intercept: 0.03,
        slope: 0.54,
    };

    #[rstest]
    #[case::msft_minus_one(MSFT, -1.0, 0.07727220213665985)]
    #[case::msft_minus_half(MSFT, -0.5, 0.2253075070850717)]
    #[case::msft_zero(MSFT, 0.0, 0.5024999791668749)]
    #[case::msft_half(MSFT, 0.5, 0.7781641849247005)]
    #[case::msft_one(MSFT, 1.0, 0.9241418199787566)]
    #[case::goog_minus_one(GOOG, -1.0, 0.3751935255315707)]
    #[case::goog_minus_half(GOOG, -0.5, 0.44028635073280703)]
    #[case::goog_zero(GOOG, 0.0, 0.5074994375506203)]
    #[case::goog_half(GOOG, 0.5, 0.574442516811659)]
    #[case::goog_one(GOOG, 1.0, 0.6387631751488418)]
    fn gould_bonart_probabilities(#[case] m: LogisticModel, #[case] rho: f64, #[case] p: f64) {
        let got = m.probability(rho).expect("finite");
        assert!((got - p).abs() < 1e-10, "{got} vs {p}");
    }

    #[rstest]
    #[case::half(0.5, 0.691462461274013)]
    #[case::one_statrs(1.0, 0.841344746054943)]
    #[case::zscore_example(2.0901749134536973, 0.9816989549104347)]
    fn normal_cdf_values(#[case] z: f64, #[case] p: f64) {
        assert!((normal_cdf(z).expect("finite") - p).abs() < 1e-10);
        assert!((normal_sf(z).expect("finite") - (1.0 - p)).abs() < 1e-10);
    }

    #[test]
    fn normal_cdf_one_differs_from_libm_by_about_1e_11() {
        let libm = 0.8413447460685429;
        let d = (normal_cdf(1.0).expect("finite") - libm).abs();
        assert!(d > 1e-12 && d < 1e-10, "{d}");
    }

    #[rstest]
    #[case::p90(0.9, 1.281551565544601)]
    #[case::p975(0.975, 1.959963984540054)]
    fn normal_inverse_cdf_values(#[case] p: f64, #[case] z: f64) {
        assert!((normal_inverse_cdf(p).expect("in (0,1)") - z).abs() < 1e-10);
    }

    #[test]
    fn undefined_inputs_are_none() {
        assert_eq!(normal_cdf(f64::NAN), None);
        assert_eq!(normal_inverse_cdf(0.0), None);
        assert_eq!(normal_inverse_cdf(1.0), None);
        assert_eq!(normal_cdf_with(1.0, 0.0, 0.0), None);
        assert_eq!(logistic(f64::NAN), None);
        assert_eq!(
            logistic(1.255).map(|p| (p - 0.778164184924701).abs() < 1e-14),
            Some(true)
        );
        assert!(
            (normal_cdf_with(0.9, 0.32, 0.27748873851023215).expect("sd") - 0.9816989549104347)
                .abs()
                < 1e-10
        );
    }
}
