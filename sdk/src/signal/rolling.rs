//! Rolling mean and standard deviation over a fixed window (Welford with removal).

use super::error::WindowError;

/// Which variance normalisation to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Deviation {
    /// Divide by `n − 1` (statrs `variance`/`std_dev`, pandas default).
    Sample,
    /// Divide by `n` (statrs `population_variance`, numpy default, hftbacktest).
    Population,
}

/// Mean and variance of the last `capacity` samples, in a ring allocated once.
///
/// Updates are O(1) (Welford's recurrence with removal); the moments are recomputed from the ring
/// once every `capacity` pushes so rounding cannot drift. A window whose values are all equal has
/// variance exactly 0 (tracked by the run of equal values), never a rounding residue.
#[derive(Debug, Clone)]
pub struct RollingStats {
    ring: Box<[f64]>,
    head: usize,
    len: usize,
    mean: f64,
    m2: f64,
    equal_run: usize,
    since_recompute: usize,
}

impl RollingStats {
    /// A window of `capacity` samples.
    ///
    /// # Panics
    /// If `capacity` is 0; see [`RollingStats::new_checked`].
    pub fn new(capacity: usize) -> Self {
        match Self::new_checked(capacity) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    /// A window of `capacity` samples, or an error if `capacity` is 0.
    ///
    /// # Errors
    /// [`WindowError::ZeroCapacity`].
    pub fn new_checked(capacity: usize) -> Result<Self, WindowError> {
        if capacity == 0 {
            return Err(WindowError::ZeroCapacity {
                what: "rolling window",
            });
        }
        Ok(Self {
            ring: vec![0.0; capacity].into_boxed_slice(),
            head: 0,
            len: 0,
            mean: 0.0,
            m2: 0.0,
            equal_run: 0,
            since_recompute: 0,
        })
    }

    /// Adds a sample, evicting the oldest when full. A NaN or infinite sample is ignored and
    /// `false` returned.
    ///
    /// # Hot path
    /// No allocation; amortised O(1).
    pub fn push(&mut self, x: f64) -> bool {
        if !x.is_finite() {
            return false;
        }
        let cap = self.ring.len();
        let newest = (self.len > 0).then(|| self.ring[(self.head + self.len - 1) % cap]);
        if self.len == cap {
            let old = self.ring[self.head];
            self.head = (self.head + 1) % cap;
            self.len -= 1;
            self.remove_moment(old);
        }
        self.ring[(self.head + self.len) % cap] = x;
        self.len += 1;
        let n = self.len as f64;
        let delta = x - self.mean;
        self.mean += delta / n;
        self.m2 += delta * (x - self.mean);
        self.equal_run = if newest == Some(x) {
            (self.equal_run + 1).min(self.len)
        } else {
            1
        };
        self.since_recompute += 1;
        if self.since_recompute >= cap {
            self.recompute();
        }
        true
    }

    fn remove_moment(&mut self, x: f64) {
        // `self.len` is already the count after removal.
        if self.len == 0 {
            self.mean = 0.0;
            self.m2 = 0.0;
            return;
        }
        let old_mean = self.mean;
        self.mean = old_mean + (old_mean - x) / self.len as f64;
        self.m2 = (self.m2 - (x - old_mean) * (x - self.mean)).max(0.0);
        self.equal_run = self.equal_run.min(self.len);
    }

    fn recompute(&mut self) {
        self.since_recompute = 0;
        if self.len == 0 {
            return;
        }
        let mean = self.iter().sum::<f64>() / self.len as f64;
        self.m2 = self.iter().map(|x| (x - mean) * (x - mean)).sum();
        self.mean = mean;
    }

    /// The samples, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        let cap = self.ring.len();
        (0..self.len).map(move |i| self.ring[(self.head + i) % cap])
    }

    /// Samples held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no sample is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The window length.
    pub fn capacity(&self) -> usize {
        self.ring.len()
    }

    /// True when the window holds `capacity` samples.
    pub fn is_full(&self) -> bool {
        self.len == self.ring.len()
    }

    /// The mean; `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        if self.len == 0 {
            None
        } else if self.equal_run >= self.len {
            Some(self.ring[(self.head + self.len - 1) % self.ring.len()])
        } else {
            Some(self.mean)
        }
    }

    /// The variance; `None` when empty, or with [`Deviation::Sample`] and a single sample.
    pub fn variance(&self, deviation: Deviation) -> Option<f64> {
        let n = self.len;
        let denom = match deviation {
            Deviation::Sample if n >= 2 => n - 1,
            Deviation::Population if n >= 1 => n,
            _ => return None,
        };
        if self.equal_run >= n {
            return Some(0.0);
        }
        Some((self.m2 / denom as f64).max(0.0))
    }

    /// The standard deviation; `None` as for [`variance`](Self::variance).
    pub fn std_dev(&self, deviation: Deviation) -> Option<f64> {
        self.variance(deviation).map(f64::sqrt)
    }

    /// Empties the window.
    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
        self.mean = 0.0;
        self.m2 = 0.0;
        self.equal_run = 0;
        self.since_recompute = 0;
    }
}

impl crate::state::Save for RollingStats {
    fn save(&self, w: &mut crate::state::StateWriter<'_>) {
        w.usize(self.ring.len());
        for &x in &self.ring {
            w.f64(x);
        }
        w.usize(self.head);
        w.usize(self.len);
        w.f64(self.mean);
        w.f64(self.m2);
        w.usize(self.equal_run);
        w.usize(self.since_recompute);
    }

    fn restore(
        &mut self,
        r: &mut crate::state::StateReader<'_>,
    ) -> Result<(), crate::state::StateError> {
        let cap = self.ring.len();
        r.expect_size("rolling window", cap)?;
        for x in self.ring.iter_mut() {
            *x = r.f64()?;
        }
        self.head = r.index("rolling head", cap)?;
        self.len = r.usize("rolling len")?;
        if self.len > cap {
            return Err(crate::state::StateError::Invalid {
                what: "rolling len",
            });
        }
        self.mean = r.f64()?;
        self.m2 = r.f64()?;
        self.equal_run = r.usize("rolling equal run")?;
        self.since_recompute = r.usize("rolling recompute count")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(cap: usize, xs: &[f64]) -> RollingStats {
        let mut s = RollingStats::new(cap);
        for &x in xs {
            assert!(s.push(x));
        }
        s
    }

    #[test]
    fn statrs_example_sample_and_population_sd() {
        let s = filled(3, &[0.0, 3.0, -2.0]);
        assert!((s.std_dev(Deviation::Sample).expect("n=3") - 2.516611478423583).abs() < 1e-14);
        assert!((s.std_dev(Deviation::Population).expect("n=3") - 2.054804667656326).abs() < 1e-14);
    }

    #[test]
    fn window_evicts_oldest() {
        let s = filled(5, &[9.0, 0.2, 0.5, -0.1, 0.4, 0.6]);
        assert!((s.mean().expect("full") - 0.32).abs() < 1e-15);
        assert!((s.std_dev(Deviation::Sample).expect("full") - 0.27748873851023215).abs() < 1e-14);
        assert_eq!(s.iter().collect::<Vec<_>>(), [0.2, 0.5, -0.1, 0.4, 0.6]);
    }

    #[test]
    fn single_sample_sample_variance_is_none_population_zero() {
        let s = filled(4, &[1.5]);
        assert_eq!(s.variance(Deviation::Sample), None);
        assert_eq!(s.variance(Deviation::Population), Some(0.0));
        assert_eq!(RollingStats::new(2).mean(), None);
    }

    #[test]
    fn constant_window_has_exact_zero_variance_after_eviction() {
        let s = filled(3, &[1e9 + 0.1, 0.3, 0.1, 0.1, 0.1]);
        assert_eq!(s.variance(Deviation::Sample), Some(0.0));
        assert_eq!(s.mean(), Some(0.1));
    }

    #[test]
    fn long_stream_matches_two_pass() {
        let mut s = RollingStats::new(7);
        let mut xs = Vec::new();
        for i in 0..1000 {
            let x = ((i * 7919) % 1013) as f64 * 1e3 + 1e8;
            s.push(x);
            xs.push(x);
        }
        let w = &xs[xs.len() - 7..];
        let mean = w.iter().sum::<f64>() / 7.0;
        let var = w.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 6.0;
        assert!((s.mean().expect("full") - mean).abs() < 1e-6);
        assert!((s.variance(Deviation::Sample).expect("full") - var).abs() / var < 1e-9);
    }

    #[test]
    fn non_finite_samples_are_ignored() {
        let mut s = filled(3, &[1.0, 2.0]);
        assert!(!s.push(f64::NAN));
        assert!(!s.push(f64::INFINITY));
        assert_eq!(s.len(), 2);
        s.clear();
        assert!(s.is_empty());
        assert!(RollingStats::new_checked(0).is_err());
    }
}
