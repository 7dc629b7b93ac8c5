//! Rolling z-score with explicit conventions (`docs/signals.md` §6.1).

use super::error::WindowError;
use super::rolling::{Deviation, RollingStats};

/// Whether the window a z-score is measured against includes the current sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CurrentSample {
    /// `z = (x − mean(previous n))/sd(previous n)`; `x` joins the window afterwards.
    Excluded,
    /// `x` joins the window first (hftbacktest's OBI strategy).
    Included,
}

/// The conventions of a [`RollingZScore`]; state them in the strategy config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ZScoreConfig {
    /// Window length `n`; also the warm-up: no z-score until the window is full.
    pub window: usize,
    /// Sample (`n − 1`) or population (`n`) standard deviation.
    pub deviation: Deviation,
    /// Whether the current sample is in the window.
    pub current: CurrentSample,
}

/// `(x − mean)/sd`; `None` if `sd` is not finite and positive (zero σ) or the result is not
/// finite.
///
/// # Hot path
/// No allocation, O(1).
#[inline]
pub fn zscore(x: f64, mean: f64, sd: f64) -> Option<f64> {
    if !(sd.is_finite() && sd > 0.0) {
        return None;
    }
    let z = (x - mean) / sd;
    z.is_finite().then_some(z)
}

/// A rolling z-score over a fixed window.
#[derive(Debug, Clone)]
pub struct RollingZScore {
    config: ZScoreConfig,
    stats: RollingStats,
}

impl RollingZScore {
    /// A z-score with the given conventions.
    ///
    /// # Panics
    /// If `config.window` is 0; see [`RollingZScore::new_checked`].
    pub fn new(config: ZScoreConfig) -> Self {
        match Self::new_checked(config) {
            Ok(z) => z,
            Err(e) => panic!("{e}"),
        }
    }

    /// A z-score with the given conventions, or an error if the window is 0.
    ///
    /// # Errors
    /// [`WindowError::ZeroCapacity`].
    pub fn new_checked(config: ZScoreConfig) -> Result<Self, WindowError> {
        Ok(Self {
            config,
            stats: RollingStats::new_checked(config.window)?,
        })
    }

    /// The conventions.
    pub fn config(&self) -> ZScoreConfig {
        self.config
    }

    /// The window's statistics.
    pub fn stats(&self) -> &RollingStats {
        &self.stats
    }

    /// Feeds `x` and returns its z-score: `None` during warm-up (window not full), when σ = 0,
    /// with a sample σ of one value, or for a non-finite `x` (which is not added).
    ///
    /// # Hot path
    /// No allocation; amortised O(1).
    pub fn update(&mut self, x: f64) -> Option<f64> {
        if !x.is_finite() {
            return None;
        }
        match self.config.current {
            CurrentSample::Excluded => {
                let z = self.current_z(x);
                self.stats.push(x);
                z
            }
            CurrentSample::Included => {
                self.stats.push(x);
                self.current_z(x)
            }
        }
    }

    fn current_z(&self, x: f64) -> Option<f64> {
        if !self.stats.is_full() {
            return None;
        }
        zscore(
            x,
            self.stats.mean()?,
            self.stats.std_dev(self.config.deviation)?,
        )
    }

    /// Empties the window (warm-up starts again).
    pub fn clear(&mut self) {
        self.stats.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const WINDOW: [f64; 5] = [0.2, 0.5, -0.1, 0.4, 0.6];

    #[rstest]
    #[case::sample_excluded(Deviation::Sample, CurrentSample::Excluded, 2.0901749134536973)]
    #[case::population_excluded(Deviation::Population, CurrentSample::Excluded, 2.336886595673603)]
    #[case::population_included(Deviation::Population, CurrentSample::Included, 1.3489065468669248)]
    fn zscore_reference_values(
        #[case] deviation: Deviation,
        #[case] current: CurrentSample,
        #[case] expected: f64,
    ) {
        let mut z = RollingZScore::new(ZScoreConfig {
            window: 5,
            deviation,
            current,
        });
        for x in WINDOW {
            let warm = z.update(x);
            if current == CurrentSample::Excluded || z.stats().len() < 5 {
                assert_eq!(warm, None, "warm-up gives no value");
            }
        }
        let got = z.update(0.9).expect("window full");
        assert!((got - expected).abs() < 1e-12, "{got} vs {expected}");
    }

    #[test]
    fn zero_sigma_window_gives_none() {
        let cfg = ZScoreConfig {
            window: 3,
            deviation: Deviation::Sample,
            current: CurrentSample::Excluded,
        };
        let mut z = RollingZScore::new(cfg);
        for _ in 0..3 {
            z.update(0.7);
        }
        assert_eq!(z.update(1.0), None);
        assert_eq!(zscore(1.0, 0.0, 0.0), None);
    }

    #[test]
    fn non_finite_input_is_none_and_not_added() {
        let cfg = ZScoreConfig {
            window: 2,
            deviation: Deviation::Population,
            current: CurrentSample::Included,
        };
        let mut z = RollingZScore::new(cfg);
        assert_eq!(z.update(f64::NAN), None);
        assert_eq!(z.stats().len(), 0);
        assert!(RollingZScore::new_checked(ZScoreConfig { window: 0, ..cfg }).is_err());
    }
}
