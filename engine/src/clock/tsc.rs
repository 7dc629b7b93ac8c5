//! Cheap stage stamps for latency measurement: the CPU's time-stamp counter.
//!
//! [`now`] is one `rdtsc` on x86-64 (about 12 ns here, `docs/hotpath.md` §3.2), cheap enough to
//! leave on in the hot path. It is not serialising: a stamp can be reordered by a few
//! instructions, which is noise at the nanosecond scale we report. Stamps are raw ticks;
//! turning them into nanoseconds ([`TscScale`]) happens off the hot path, once, when a report
//! is built.
//!
//! Stamps taken on different cores are compared directly (feed thread → hot thread), which is
//! sound only with an invariant TSC (`constant_tsc nonstop_tsc` in `/proc/cpuinfo`; see
//! [`invariant_tsc`]); the cross-vCPU offset measured on the reference machine was 6–13 ns.
//!
//! On other architectures [`now`] falls back to the monotonic clock in nanoseconds since the
//! first call, and the scale is exactly 1 tick per nanosecond.
//!
//! Besides [`super::Clock`] and [`super::Stopwatch`], this is the only place that reads time.

use std::sync::OnceLock;
use std::time::Instant;

/// The current time-stamp counter (raw ticks).
///
/// # Hot path
/// One `rdtsc`: no allocation, lock or syscall.
#[inline(always)]
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
pub fn now() -> u64 {
    // SAFETY: `rdtsc` has no preconditions on x86-64 (every x86-64 CPU has it; it reads a
    // counter and touches no memory).
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// The current stamp: monotonic nanoseconds since the first call (no TSC on this target).
///
/// # Hot path
/// One monotonic clock read (vDSO on Linux).
#[inline]
#[cfg(not(target_arch = "x86_64"))]
pub fn now() -> u64 {
    let anchor = fallback_anchor();
    u64::try_from(anchor.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(not(target_arch = "x86_64"))]
fn fallback_anchor() -> &'static Instant {
    static ANCHOR: OnceLock<Instant> = OnceLock::new();
    ANCHOR.get_or_init(Instant::now)
}

/// Ticks ↔ nanoseconds, calibrated once per process against the monotonic clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TscScale {
    ticks_per_ns: f64,
}

impl TscScale {
    /// The process-wide scale. The first call calibrates (about 20 ms: two paired readings of
    /// the TSC and the monotonic clock, 20 ms apart); call it before a measured run.
    pub fn get() -> TscScale {
        static SCALE: OnceLock<TscScale> = OnceLock::new();
        *SCALE.get_or_init(calibrate)
    }

    /// A fixed scale (tests, and reports rebuilt from stored ticks).
    pub fn from_ticks_per_ns(ticks_per_ns: f64) -> Self {
        Self {
            ticks_per_ns: if ticks_per_ns.is_finite() && ticks_per_ns > 0.0 {
                ticks_per_ns
            } else {
                1.0
            },
        }
    }

    /// TSC ticks per nanosecond (the TSC frequency in GHz).
    pub fn ticks_per_ns(&self) -> f64 {
        self.ticks_per_ns
    }

    /// Nanoseconds in `ticks`.
    #[inline]
    pub fn to_ns(&self, ticks: u64) -> f64 {
        ticks as f64 / self.ticks_per_ns
    }

    /// Ticks in `ns` nanoseconds (rounded to nearest).
    #[inline]
    pub fn ticks(&self, ns: u64) -> u64 {
        (ns as f64 * self.ticks_per_ns).round() as u64
    }
}

/// Pairs a TSC reading with a monotonic reading taken between two TSC reads; keeps the
/// tightest of a few tries.
fn paired() -> (u64, Instant) {
    let mut best: Option<(u64, u64, Instant)> = None;
    for _ in 0..16 {
        let a = now();
        let i = Instant::now();
        let b = now();
        let width = b.wrapping_sub(a);
        if best.is_none_or(|(w, _, _)| width < w) {
            best = Some((width, a + width / 2, i));
        }
    }
    match best {
        Some((_, t, i)) => (t, i),
        None => (now(), Instant::now()),
    }
}

fn calibrate() -> TscScale {
    if !cfg!(target_arch = "x86_64") {
        return TscScale::from_ticks_per_ns(1.0);
    }
    let (t0, i0) = paired();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let (t1, i1) = paired();
    let ns = i1.duration_since(i0).as_nanos() as f64;
    TscScale::from_ticks_per_ns(t1.wrapping_sub(t0) as f64 / ns.max(1.0))
}

/// True when `/proc/cpuinfo` lists `constant_tsc` and `nonstop_tsc` (stamps from different
/// cores are then on one time base). `None` when it cannot be read (not Linux, not x86).
pub fn invariant_tsc() -> Option<bool> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let flags = info.lines().find(|l| l.starts_with("flags"))?;
    let has = |f: &str| flags.split_whitespace().any(|x| x == f);
    Some(has("constant_tsc") && has("nonstop_tsc"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_never_go_backwards_on_one_thread() {
        let a = now();
        let b = now();
        assert!(b >= a);
    }

    #[test]
    fn scale_converts_a_sleep_to_about_its_length() {
        let scale = TscScale::get();
        assert!(scale.ticks_per_ns() > 0.05 && scale.ticks_per_ns() < 20.0);
        let a = now();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let ns = scale.to_ns(now() - a);
        assert!((4.0e6..1.0e9).contains(&ns), "{ns}");
    }

    #[test]
    fn scale_round_trips_ticks_and_nanoseconds() {
        let s = TscScale::from_ticks_per_ns(2.5);
        assert_eq!(s.ticks(1_000), 2_500);
        assert_eq!(s.to_ns(2_500), 1_000.0);
        assert_eq!(TscScale::from_ticks_per_ns(f64::NAN).ticks_per_ns(), 1.0);
    }
}
