//! Receive-time anomalies in a capture, and the monotonic, bounded time a replay runs on.
//!
//! A capture's receive stamps normally never decrease (all the shared Binance captures) and
//! move by at most a few seconds between lines. Three things break that, and each is a *clock
//! anomaly*, counted with the first line it happens on ([`ClockReport`]):
//!
//! - **backwards**: a line stamped earlier than the line before it (a clock stepped back by
//!   NTP, files concatenated out of order, a corrupt stamp);
//! - **jump**: a line stamped more than [`MAX_CLOCK_STEP`] (one hour) after the line before it;
//! - **implausible**: a line stamped after [`LATEST_PLAUSIBLE`] (2100-01-01), such as
//!   `18446744073709551615`.
//!
//! [`Timeline`] turns receive stamps into engine time that never goes backwards and never
//! moves by more than [`MAX_CLOCK_STEP`] per line, so a paced replay never sleeps longer than
//! that (divided by the speed) on one line, and time keeps moving after a clock stepped back
//! (order latencies elapse, timers fire: a frozen clock would leave every order in flight):
//!
//! - on a clean capture engine time is exactly the receive stamp;
//! - an implausible line runs at the current engine time and is otherwise ignored;
//! - a line stamped earlier than the latest stamp so far runs at the current engine time; from
//!   there engine time moves by the differences between consecutive stamps, until the stamps
//!   pass the latest stamp again. One early line costs nothing; a clock stepped back by an hour
//!   shifts the rest of the replay by that hour instead of freezing it;
//! - a jump moves engine time by [`MAX_CLOCK_STEP`].

use ladder_sdk::UnixNanos;
use serde::Serialize;

/// The largest step of engine time from one line to the next (one hour); a larger forward
/// step in receive time is a clock anomaly and is clamped to this.
pub const MAX_CLOCK_STEP_NS: u64 = 3_600_000_000_000;

/// [`MAX_CLOCK_STEP_NS`] as a duration.
pub const MAX_CLOCK_STEP: std::time::Duration = std::time::Duration::from_nanos(MAX_CLOCK_STEP_NS);

/// The latest receive stamp taken at face value: 2100-01-01T00:00:00Z.
pub const LATEST_PLAUSIBLE: UnixNanos = UnixNanos::from_nanos(4_102_444_800_000_000_000);

/// Clock anomalies of a capture (module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ClockReport {
    /// All anomalies: `backwards + jumps + implausible`.
    pub anomalies: u64,
    /// Lines stamped earlier than the line before.
    pub backwards: u64,
    /// Lines stamped more than an hour after the line before.
    pub jumps: u64,
    /// Lines stamped after 2100-01-01.
    pub implausible: u64,
    /// The first line with an anomaly.
    pub first_line: Option<u64>,
}

impl ClockReport {
    fn note(&mut self, line: u64, kind: fn(&mut Self) -> &mut u64) {
        *kind(self) += 1;
        self.anomalies += 1;
        self.first_line.get_or_insert(line);
    }

    /// One line for a person, or `None` when there is no anomaly.
    pub fn describe(&self) -> Option<String> {
        let first = self.first_line?;
        let noun = if self.anomalies == 1 {
            "anomaly"
        } else {
            "anomalies"
        };
        Some(format!(
            "{} clock {noun}, first at line {first}: {} stamped earlier than the line before, \
             {} more than an hour after it, {} after 2100; engine time stays monotonic and moves \
             at most an hour per line",
            self.anomalies, self.backwards, self.jumps, self.implausible
        ))
    }
}

/// Maps receive stamps, line by line, to monotonic bounded engine time (module docs).
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    /// Engine time of the last line, once a plausible stamp has been seen.
    now: Option<UnixNanos>,
    /// Receive stamp of the last plausible line.
    prev: UnixNanos,
    /// The latest plausible receive stamp so far.
    high: UnixNanos,
    report: ClockReport,
}

impl Timeline {
    /// A timeline before the first line.
    pub fn new() -> Self {
        Self::default()
    }

    /// Engine time for line `line` stamped `ts`; counts anomalies. Before the first plausible
    /// stamp there is no engine time yet: `None`.
    ///
    /// # Hot path
    /// No allocation; a few comparisons.
    #[inline]
    pub fn step(&mut self, line: u64, ts: UnixNanos) -> Option<UnixNanos> {
        if ts > LATEST_PLAUSIBLE {
            self.report.note(line, |r| &mut r.implausible);
            return self.now;
        }
        let Some(now) = self.now else {
            (self.now, self.prev, self.high) = (Some(ts), ts, ts);
            return self.now;
        };
        let advance = if ts >= self.high {
            // Caught up (or never behind): measured from the latest stamp.
            ts.as_nanos() - self.high.as_nanos()
        } else if ts >= self.prev && self.prev < self.high {
            // Behind the latest stamp after a step back: follow the stamps' differences.
            ts.as_nanos() - self.prev.as_nanos()
        } else {
            self.report.note(line, |r| &mut r.backwards);
            0
        };
        let advance = if advance > MAX_CLOCK_STEP_NS {
            self.report.note(line, |r| &mut r.jumps);
            MAX_CLOCK_STEP_NS
        } else {
            advance
        };
        self.prev = ts;
        self.high = self.high.max(ts);
        let next = now.saturating_add_nanos(advance);
        self.now = Some(next);
        self.now
    }

    /// The anomalies so far.
    pub fn report(&self) -> ClockReport {
        self.report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const H: u64 = MAX_CLOCK_STEP_NS;
    const T: u64 = 1_723_161_253_937_085_768;

    fn run(stamps: &[u64]) -> (Vec<Option<u64>>, ClockReport) {
        let mut t = Timeline::new();
        let times = stamps
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                t.step(i as u64 + 1, UnixNanos::from_nanos(s))
                    .map(UnixNanos::as_nanos)
            })
            .collect();
        (times, t.report())
    }

    fn at(v: &[u64]) -> Vec<Option<u64>> {
        v.iter().map(|&x| Some(x)).collect()
    }

    #[test]
    fn timeline_clean_stamps_are_engine_time_with_no_anomaly() {
        let stamps = [T, T, T + 5, T + 1_000_000, T + H];
        let (times, report) = run(&stamps);
        assert_eq!(times, at(&stamps));
        assert_eq!(report, ClockReport::default());
        assert_eq!(report.describe(), None);
    }

    #[rstest]
    #[case::one_early_line_costs_nothing(
        &[T, T + 100, T - 5_000, T + 110, T + 120],
        &[T, T + 100, T + 100, T + 110, T + 120],
        (1, 0, 0), Some(3)
    )]
    #[case::stepped_back_clock_keeps_moving(
        &[T, T + 100, T + 100 - H, T + 110 - H, T + 130 - H],
        &[T, T + 100, T + 100, T + 110, T + 130],
        (1, 0, 0), Some(3)
    )]
    #[case::behind_then_caught_up_measures_from_the_latest(
        &[T, T + 100, T + 50, T + 90, T + 150],
        &[T, T + 100, T + 100, T + 140, T + 190],
        (1, 0, 0), Some(3)
    )]
    #[case::decreasing_stamps_hold_the_time(
        &[T + 30, T + 20, T + 10],
        &[T + 30, T + 30, T + 30],
        (2, 0, 0), Some(2)
    )]
    #[case::jump_is_clamped_to_an_hour(
        &[T, T + 3 * H, T + 3 * H + 7],
        &[T, T + H, T + H + 7],
        (0, 1, 0), Some(2)
    )]
    #[case::max_stamp_runs_at_the_last_time(
        &[T, T + 10, u64::MAX, T + 20],
        &[T, T + 10, T + 10, T + 20],
        (0, 0, 1), Some(3)
    )]
    fn timeline_anomalies_are_counted_and_bounded(
        #[case] stamps: &[u64],
        #[case] want: &[u64],
        #[case] counts: (u64, u64, u64),
        #[case] first: Option<u64>,
    ) {
        let (times, report) = run(stamps);
        assert_eq!(times, at(want));
        assert_eq!((report.backwards, report.jumps, report.implausible), counts);
        assert_eq!(report.anomalies, counts.0 + counts.1 + counts.2);
        assert_eq!(report.first_line, first);
        assert!(report.describe().is_some());
    }

    #[test]
    fn timeline_implausible_first_line_has_no_time_until_a_plausible_one() {
        let (times, report) = run(&[u64::MAX, T, T + 1]);
        assert_eq!(times, vec![None, Some(T), Some(T + 1)]);
        assert_eq!((report.implausible, report.first_line), (1, Some(1)));
    }
}
