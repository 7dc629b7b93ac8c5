//! A platform hiccup meter (jHiccup-style): a loop that reads the TSC as fast as it can and
//! histograms its own gaps above a threshold. Any gap is time the loop did not run: the
//! hypervisor, an interrupt, the scheduler giving the core to someone else.
//!
//! [`HiccupRecorder`] is the loop's bookkeeping; [`HiccupMeter`] runs it on its own thread,
//! pinned to a core. The bench also feeds a recorder from the hot thread's idle polls, which
//! measures the hot core itself without a second thread on it.

use crate::clock::tsc::{self, TscScale};
use crate::hot::stamps::Summary;
use hdrhistogram::Histogram;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

/// Gaps of a TSC-reading loop.
#[derive(Debug, Clone)]
pub struct HiccupRecorder {
    gaps: Histogram<u64>,
    threshold: u64,
    one_ms: u64,
    last: u64,
    observed: u64,
    lost: u64,
    over_1ms: u64,
}

impl HiccupRecorder {
    /// Gaps above `threshold_ns` are recorded.
    pub fn new(threshold_ns: u64, scale: TscScale) -> Self {
        Self {
            gaps: Histogram::new_with_bounds(1, 1 << 42, 3)
                .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!())),
            threshold: scale.ticks(threshold_ns).max(1),
            one_ms: scale.ticks(1_000_000),
            last: 0,
            observed: 0,
            lost: 0,
            over_1ms: 0,
        }
    }

    /// One loop iteration at TSC time `t`.
    ///
    /// # Hot path
    /// No allocation; a histogram record only on a gap.
    #[inline]
    pub fn observe(&mut self, t: u64) {
        if self.last != 0 {
            let d = t.saturating_sub(self.last);
            self.observed += d;
            if d > self.threshold {
                self.gaps.saturating_record(d);
                self.lost += d;
                if d > self.one_ms {
                    self.over_1ms += 1;
                }
            }
        }
        self.last = t;
    }

    /// The loop was busy on purpose (the hot thread processed an event): the time until the
    /// next [`HiccupRecorder::observe`] is not observed.
    #[inline]
    pub fn pause(&mut self) {
        self.last = 0;
    }

    /// What was seen, in nanoseconds.
    pub fn report(&self, scale: TscScale) -> HiccupReport {
        let observed_ns = scale.to_ns(self.observed);
        let lost_ns = scale.to_ns(self.lost);
        HiccupReport {
            threshold_ns: scale.to_ns(self.threshold),
            observed_s: observed_ns / 1e9,
            gaps: Summary::of(&self.gaps, scale),
            gaps_over_1ms: self.over_1ms,
            max_gap_ns: scale.to_ns(self.gaps.max()),
            lost_ns,
            lost_pct: if observed_ns > 0.0 {
                100.0 * lost_ns / observed_ns
            } else {
                0.0
            },
            curve: curve(&self.gaps, scale),
        }
    }
}

/// Percentile curve of a tick histogram: `(quantile, ns)` points.
pub(crate) fn curve(h: &Histogram<u64>, scale: TscScale) -> Vec<(f64, f64)> {
    if h.is_empty() {
        return Vec::new();
    }
    h.iter_quantiles(2)
        .map(|v| (v.quantile_iterated_to(), scale.to_ns(v.value_iterated_to())))
        .collect()
}

/// A hiccup meter's findings.
#[derive(Debug, Clone, Default)]
pub struct HiccupReport {
    /// Gaps above this were counted.
    pub threshold_ns: f64,
    /// Time the loop observed.
    pub observed_s: f64,
    /// The gaps above the threshold.
    pub gaps: Summary,
    /// Gaps longer than 1 ms.
    pub gaps_over_1ms: u64,
    /// Longest gap.
    pub max_gap_ns: f64,
    /// Time lost in gaps above the threshold.
    pub lost_ns: f64,
    /// Lost share of the observed time.
    pub lost_pct: f64,
    /// Percentile curve of the gaps.
    pub curve: Vec<(f64, f64)>,
}

/// A hiccup meter on its own thread.
#[derive(Debug)]
pub struct HiccupMeter {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<HiccupRecorder>>,
    /// The core it runs on, if pinned.
    pub core: Option<usize>,
    /// Whether it runs at idle scheduling priority.
    pub idle_priority: bool,
}

impl HiccupMeter {
    /// Starts a meter pinned to `core` (if given and available). With `idle_priority`
    /// (Linux `SCHED_IDLE`), it only gets the core when nothing else wants it, so it never
    /// delays a thread that shares the core; its gaps then include that thread's work.
    pub fn spawn(core: Option<usize>, threshold_ns: u64, idle_priority: bool) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let scale = TscScale::get();
        let pinned = core;
        let thread = std::thread::Builder::new()
            .name("ladder-hiccup".into())
            .spawn(move || {
                if let Some(c) = pinned {
                    super::pin_to(c);
                }
                if idle_priority {
                    set_idle_priority();
                }
                let mut rec = HiccupRecorder::new(threshold_ns, scale);
                loop {
                    for _ in 0..256 {
                        rec.observe(tsc::now());
                    }
                    if flag.load(Ordering::Relaxed) {
                        return rec;
                    }
                }
            })
            .ok();
        Self {
            stop,
            thread,
            core,
            idle_priority,
        }
    }

    /// Stops the meter and returns what it saw (`None` if its thread could not start).
    pub fn finish(mut self) -> Option<HiccupReport> {
        self.stop.store(true, Ordering::Relaxed);
        let rec = self.thread.take()?.join().ok()?;
        Some(rec.report(TscScale::get()))
    }
}

impl Drop for HiccupMeter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Puts the calling thread in `SCHED_IDLE` (Linux); false elsewhere or on failure.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn set_idle_priority() -> bool {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: `sched_setscheduler(0, ..)` changes the calling thread's policy; `param` is a
    // valid, initialised `sched_param` that outlives the call (SCHED_IDLE needs priority 0).
    unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn set_idle_priority() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_above_the_threshold_are_counted_as_lost_time() {
        let scale = TscScale::from_ticks_per_ns(1.0);
        let mut r = HiccupRecorder::new(1_000, scale);
        r.observe(100);
        r.observe(150);
        r.observe(2_150);
        r.observe(2_200_000);
        let rep = r.report(scale);
        assert_eq!(rep.gaps.count, 2);
        assert_eq!(rep.gaps_over_1ms, 1);
        assert!((rep.lost_ns - (2_000.0 + 2_197_850.0)).abs() < 3_000.0);
        assert!(rep.lost_pct > 99.0);
    }

    #[test]
    fn a_pause_is_not_observed() {
        let scale = TscScale::from_ticks_per_ns(1.0);
        let mut r = HiccupRecorder::new(1_000, scale);
        r.observe(100);
        r.pause();
        r.observe(1_000_000);
        r.observe(1_000_050);
        let rep = r.report(scale);
        assert_eq!(rep.gaps.count, 0);
        assert!((rep.observed_s - 50e-9).abs() < 1e-12);
    }

    #[test]
    fn a_meter_thread_runs_and_reports() {
        let m = HiccupMeter::spawn(None, 1_000, false);
        std::thread::sleep(std::time::Duration::from_millis(30));
        let rep = m.finish().unwrap();
        assert!(rep.observed_s > 0.005, "{rep:?}");
    }
}
