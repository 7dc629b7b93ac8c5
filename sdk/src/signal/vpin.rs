//! VPIN on a volume clock and bulk volume classification (`docs/signals.md` §5.2).

use super::error::WindowError;
use super::probability::normal_cdf;

/// Bulk volume classification: the buy part `V·Φ(ΔP/σ_ΔP)` of a time bar's volume `V` with price
/// change `ΔP` (sell part: `V` minus it).
///
/// `None` if `σ_ΔP` is not finite and positive (BVC is undefined for σ = 0), or an input is not
/// finite.
///
/// # Hot path
/// No allocation, O(1).
pub fn bvc_buy_volume(volume: f64, price_change: f64, sigma: f64) -> Option<f64> {
    if !(sigma.is_finite() && sigma > 0.0 && volume.is_finite() && price_change.is_finite()) {
        return None;
    }
    let v = volume * normal_cdf(price_change / sigma)?;
    v.is_finite().then_some(v)
}

/// `VPIN = Σ_{last n buckets} |V^S_τ − V^B_τ| / (n·V)` ∈ [0, 1] over equal-volume buckets.
///
/// Volume is pushed as it comes (a trade, or a BVC-classified bar) and split across bucket
/// boundaries in proportion; the bucket still filling does not count. The ring of the last `n`
/// bucket imbalances is allocated once.
#[derive(Debug, Clone)]
pub struct Vpin {
    bucket_volume: f64,
    ring: Box<[f64]>,
    head: usize,
    len: usize,
    cur_buy: f64,
    cur_sell: f64,
}

impl Vpin {
    /// VPIN over the last `buckets` buckets of `bucket_volume` each.
    ///
    /// # Panics
    /// On invalid parameters; see [`Vpin::new_checked`].
    pub fn new(bucket_volume: f64, buckets: usize) -> Self {
        match Self::new_checked(bucket_volume, buckets) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        }
    }

    /// VPIN over the last `buckets` buckets of `bucket_volume` each.
    ///
    /// # Errors
    /// If `buckets` is 0 or `bucket_volume` is not finite and positive.
    pub fn new_checked(bucket_volume: f64, buckets: usize) -> Result<Self, WindowError> {
        if buckets == 0 {
            return Err(WindowError::ZeroCapacity {
                what: "VPIN buckets",
            });
        }
        if !(bucket_volume.is_finite() && bucket_volume > 0.0) {
            return Err(WindowError::InvalidParameter {
                what: "VPIN bucket volume",
                value: bucket_volume,
            });
        }
        Ok(Self {
            bucket_volume,
            ring: vec![0.0; buckets].into_boxed_slice(),
            head: 0,
            len: 0,
            cur_buy: 0.0,
            cur_sell: 0.0,
        })
    }

    /// Adds classified volume. Negative or non-finite volumes are ignored (returns `false`).
    ///
    /// # Hot path
    /// No allocation; O(buckets) per completed bucket.
    pub fn push(&mut self, mut buy: f64, mut sell: f64) -> bool {
        if !(buy.is_finite() && sell.is_finite() && buy >= 0.0 && sell >= 0.0) {
            return false;
        }
        loop {
            let total = buy + sell;
            if total <= 0.0 {
                break;
            }
            let room = self.bucket_volume - (self.cur_buy + self.cur_sell);
            if total < room {
                self.cur_buy += buy;
                self.cur_sell += sell;
                break;
            }
            let f = room / total;
            let (fb, fs) = (buy * f, sell * f);
            self.complete((self.cur_sell + fs - self.cur_buy - fb).abs());
            buy -= fb;
            sell -= fs;
        }
        true
    }

    fn complete(&mut self, abs_imbalance: f64) {
        let n = self.ring.len();
        if self.len == n {
            self.ring[self.head] = abs_imbalance;
            self.head = (self.head + 1) % n;
        } else {
            self.ring[(self.head + self.len) % n] = abs_imbalance;
            self.len += 1;
        }
        self.cur_buy = 0.0;
        self.cur_sell = 0.0;
    }

    /// Completed buckets held (at most the window length).
    pub fn completed(&self) -> usize {
        self.len
    }

    /// VPIN, or `None` until `n` buckets are complete.
    ///
    /// # Hot path
    /// No allocation, O(buckets).
    pub fn value(&self) -> Option<f64> {
        let n = self.ring.len();
        if self.len < n {
            return None;
        }
        let sum: f64 = self.ring.iter().sum();
        let v = (sum / (n as f64 * self.bucket_volume)).clamp(0.0, 1.0);
        v.is_finite().then_some(v)
    }

    /// Drops all buckets.
    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
        self.cur_buy = 0.0;
        self.cur_sell = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vpin_three_buckets_example_is_0_366667() {
        let mut v = Vpin::new(100.0, 3);
        v.push(70.0, 30.0);
        v.push(20.0, 80.0);
        assert_eq!(v.value(), None);
        v.push(55.0, 45.0);
        assert!((v.value().expect("3 buckets") - 110.0 / 300.0).abs() < 1e-15);
    }

    #[test]
    fn vpin_splits_volume_across_bucket_boundaries() {
        let mut v = Vpin::new(100.0, 2);
        v.push(150.0, 50.0); // two buckets of 75/25 each
        assert_eq!(v.completed(), 2);
        assert!((v.value().expect("2 buckets") - 0.5).abs() < 1e-15);
        v.push(0.0, 50.0); // half a bucket: not counted yet
        assert!((v.value().expect("2 buckets") - 0.5).abs() < 1e-15);
        v.push(0.0, 50.0); // completes 0/100: |imbalance| = 100
        assert!((v.value().expect("2 buckets") - 0.75).abs() < 1e-15);
    }

    #[test]
    fn vpin_ignores_invalid_volume() {
        let mut v = Vpin::new(10.0, 1);
        assert!(!v.push(f64::NAN, 1.0));
        assert!(!v.push(-1.0, 1.0));
        assert!(Vpin::new_checked(0.0, 1).is_err());
        assert!(Vpin::new_checked(1.0, 0).is_err());
    }

    #[test]
    fn bvc_example_splits_100_into_57_5395() {
        let vb = bvc_buy_volume(60.0, 0.02, 0.04).expect("sigma")
            + bvc_buy_volume(40.0, -0.01, 0.04).expect("sigma");
        assert!((vb - 57.53949464912384).abs() < 1e-8);
        assert!((100.0 - vb - 42.46050535087616).abs() < 1e-8);
    }

    #[test]
    fn bvc_zero_sigma_is_none() {
        assert_eq!(bvc_buy_volume(60.0, 0.02, 0.0), None);
        assert_eq!(bvc_buy_volume(60.0, f64::NAN, 0.04), None);
    }
}
