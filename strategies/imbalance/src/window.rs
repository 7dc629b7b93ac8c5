//! The strategy's stateful signal pieces: the smoother of the driving imbalance and the rolling
//! best-level OFI. Both allocate once, in `new`.

use crate::config::{Config, Smoothing};
use ladder_sdk::Level;
use ladder_sdk::signal::{Ofi, OfiStep, RollingStats};
use ladder_sdk::state::{Save, StateError, StateReader, StateWriter};

/// EMA or rolling mean of the driving imbalance.
#[derive(Debug, Clone)]
pub(crate) enum Smoother {
    Ema { alpha: f64, value: Option<f64> },
    Mean(RollingStats),
}

impl Smoother {
    pub(crate) fn new(config: &Config) -> Self {
        match config.smoothing {
            Smoothing::Ema => Self::Ema {
                alpha: config.ema_alpha,
                value: None,
            },
            // `window` was validated non-zero.
            Smoothing::Mean => Self::Mean(RollingStats::new(config.window)),
        }
    }

    /// Adds a value and returns the smoothed one.
    ///
    /// # Hot path
    /// No allocation, O(1) amortised.
    pub(crate) fn push(&mut self, x: f64) -> Option<f64> {
        match self {
            Self::Ema { alpha, value } => {
                let next = match *value {
                    Some(v) => v + *alpha * (x - v),
                    None => x,
                };
                *value = Some(next);
                Some(next)
            }
            Self::Mean(stats) => {
                stats.push(x);
                stats.mean()
            }
        }
    }

    pub(crate) fn reset(&mut self) {
        match self {
            Self::Ema { value, .. } => *value = None,
            Self::Mean(stats) => stats.clear(),
        }
    }
}

/// Best-level OFI (`e_n` per book update, lots) summed over the last `n` updates.
#[derive(Debug, Clone)]
pub(crate) struct OfiWindow {
    ofi: Ofi,
    ring: Box<[i64]>,
    head: usize,
    len: usize,
    sum: i64,
}

impl OfiWindow {
    pub(crate) fn new(config: &Config) -> Self {
        Self {
            ofi: Ofi::new(1, config.ofi_convention()),
            ring: vec![0; config.ofi_window].into_boxed_slice(),
            head: 0,
            len: 0,
            sum: 0,
        }
    }

    /// Feeds one book observation; the windowed sum once there is at least one contribution.
    ///
    /// # Hot path
    /// No allocation, O(1).
    pub(crate) fn update(&mut self, bids: &[Level], asks: &[Level]) -> Option<i64> {
        self.ofi.start_interval();
        let OfiStep::Added { best, .. } = self.ofi.update(bids, asks) else {
            return (self.len > 0).then_some(self.sum);
        };
        let cap = self.ring.len();
        if self.len == cap {
            self.sum = self.sum.saturating_sub(self.ring[self.head]);
            self.head = (self.head + 1) % cap;
            self.len -= 1;
        }
        self.ring[(self.head + self.len) % cap] = best;
        self.len += 1;
        self.sum = self.sum.saturating_add(best);
        Some(self.sum)
    }

    pub(crate) fn reset(&mut self) {
        self.ofi.reset();
        self.head = 0;
        self.len = 0;
        self.sum = 0;
    }
}

impl Save for Smoother {
    /// The kind (0: EMA, 1: rolling mean), then its state; the EMA weight comes from the new
    /// config. A state of the other kind is refused.
    fn save(&self, w: &mut StateWriter<'_>) {
        match self {
            Self::Ema { value, .. } => {
                w.u8(0);
                w.opt_f64(*value);
            }
            Self::Mean(stats) => {
                w.u8(1);
                w.save(stats);
            }
        }
    }

    fn restore(&mut self, r: &mut StateReader<'_>) -> Result<(), StateError> {
        match (r.u8()?, self) {
            (0, Self::Ema { value, .. }) => *value = r.opt_f64("ema value")?,
            (1, Self::Mean(stats)) => r.restore(stats)?,
            _ => return Err(StateError::Invalid { what: "smoothing" }),
        }
        Ok(())
    }
}

impl Save for OfiWindow {
    fn save(&self, w: &mut StateWriter<'_>) {
        w.save(&self.ofi);
        w.usize(self.ring.len());
        for &x in &self.ring {
            w.i64(x);
        }
        w.usize(self.head);
        w.usize(self.len);
        w.i64(self.sum);
    }

    fn restore(&mut self, r: &mut StateReader<'_>) -> Result<(), StateError> {
        r.restore(&mut self.ofi)?;
        let cap = self.ring.len();
        r.expect_size("ofi_window", cap)?;
        for x in self.ring.iter_mut() {
            *x = r.i64()?;
        }
        self.head = r.index("ofi window head", cap)?;
        self.len = r.usize("ofi window len")?;
        if self.len > cap {
            return Err(StateError::Invalid {
                what: "ofi window len",
            });
        }
        self.sum = r.i64()?;
        Ok(())
    }
}
