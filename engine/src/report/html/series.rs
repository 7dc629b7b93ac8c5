//! Bounded downsampling of a time series whose length is not known in advance.
//!
//! A [`Series`] keeps at most `cap` buckets of equal width in time. Each bucket keeps its
//! first, lowest, highest and last point, so a chart drawn from it shows every extreme (a
//! spike one event long survives) and steps stay where they were. When a point falls past the
//! last bucket, neighbouring buckets are merged pairwise and the width doubles, so memory stays
//! `cap` buckets whatever the session's length and a series of any length comes out as at most
//! `4 × cap` points.
//!
//! [`Windows`] does the same for intervals (stale windows): at most `cap` of them, the closest
//! neighbours merged when there are more.

/// Width of a bucket before the first merge, in nanoseconds.
const FIRST_WIDTH_NS: u64 = 1_000;

/// One point: time (ns since the epoch) and value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Time, nanoseconds since the Unix epoch.
    pub t: u64,
    /// Value.
    pub v: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Bucket {
    first: Point,
    min: Point,
    max: Point,
    last: Point,
}

impl Bucket {
    fn of(p: Point) -> Self {
        Self {
            first: p,
            min: p,
            max: p,
            last: p,
        }
    }

    fn add(&mut self, p: Point) {
        if p.v < self.min.v {
            self.min = p;
        }
        if p.v > self.max.v {
            self.max = p;
        }
        if p.t < self.first.t {
            self.first = p;
        }
        if p.t >= self.last.t {
            self.last = p;
        }
    }

    fn merge(a: Option<Bucket>, b: Option<Bucket>) -> Option<Bucket> {
        match (a, b) {
            (Some(mut a), Some(b)) => {
                a.add(b.first);
                a.add(b.min);
                a.add(b.max);
                a.add(b.last);
                Some(a)
            }
            (a, None) => a,
            (None, b) => b,
        }
    }
}

/// A time series downsampled into at most `cap` equal-width buckets (see the module docs).
#[derive(Debug, Clone)]
pub struct Series {
    origin: Option<u64>,
    width: u64,
    buckets: Vec<Option<Bucket>>,
    count: u64,
}

impl Series {
    /// An empty series of at most `cap` buckets (at least 2).
    pub fn new(cap: usize) -> Self {
        Self {
            origin: None,
            width: FIRST_WIDTH_NS,
            buckets: vec![None; cap.max(2)],
            count: 0,
        }
    }

    /// Adds a point. Non-finite values are ignored; a point before the first one counts in the
    /// first bucket.
    pub fn push(&mut self, t: u64, v: f64) {
        if !v.is_finite() {
            return;
        }
        let origin = *self.origin.get_or_insert(t);
        let p = Point { t, v };
        let mut k = t.saturating_sub(origin) / self.width;
        while k >= self.buckets.len() as u64 {
            self.halve();
            k = t.saturating_sub(origin) / self.width;
        }
        let slot = &mut self.buckets[k as usize];
        match slot {
            Some(b) => b.add(p),
            None => *slot = Some(Bucket::of(p)),
        }
        self.count += 1;
    }

    /// Merges buckets pairwise and doubles the width.
    fn halve(&mut self) {
        let n = self.buckets.len();
        for k in 0..n {
            self.buckets[k] = if 2 * k < n {
                Bucket::merge(
                    self.buckets[2 * k],
                    self.buckets.get(2 * k + 1).copied().flatten(),
                )
            } else {
                None
            };
        }
        self.width = self.width.saturating_mul(2);
    }

    /// Points pushed.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// True when nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Current bucket width in nanoseconds.
    pub fn bucket_ns(&self) -> u64 {
        self.width
    }

    /// The kept points in time order: each bucket's first, lowest, highest and last point,
    /// without repeats.
    pub fn points(&self) -> Vec<Point> {
        let mut out = Vec::new();
        for b in self.buckets.iter().flatten() {
            let mut four = [b.first, b.min, b.max, b.last];
            four.sort_by_key(|p| p.t);
            for p in four {
                if out.last() != Some(&p) {
                    out.push(p);
                }
            }
        }
        out
    }

    /// Lowest and highest value, if any.
    pub fn range(&self) -> Option<(f64, f64)> {
        self.buckets.iter().flatten().fold(None, |acc, b| {
            Some(acc.map_or((b.min.v, b.max.v), |(lo, hi): (f64, f64)| {
                (lo.min(b.min.v), hi.max(b.max.v))
            }))
        })
    }

    /// The last point (latest time).
    pub fn last(&self) -> Option<Point> {
        self.buckets.iter().flatten().map(|b| b.last).next_back()
    }
}

/// One interval of a state that is not `synced`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Start, ns since the epoch.
    pub start: u64,
    /// End (the session's end if it never closed).
    pub end: u64,
    /// The state (`stale`, `resyncing`, ...); merged windows keep the worst.
    pub state: &'static str,
}

/// How bad a state is, for merging windows: stale beats resyncing beats the rest.
fn severity(state: &str) -> u8 {
    match state {
        "stale" => 3,
        "resyncing" => 2,
        _ => 1,
    }
}

/// At most `cap` windows; past that the two closest neighbours are merged.
#[derive(Debug, Clone)]
pub struct Windows {
    cap: usize,
    windows: Vec<Window>,
    open: Option<(u64, &'static str)>,
    merged: u64,
}

impl Windows {
    /// At most `cap` windows (at least 1).
    pub fn new(cap: usize) -> Self {
        Self {
            cap: cap.max(1),
            windows: Vec::new(),
            open: None,
            merged: 0,
        }
    }

    /// The state changed at `t`: closes the open window, and opens one unless `state` is
    /// `synced`.
    pub fn change(&mut self, t: u64, state: &'static str) {
        if let Some((start, s)) = self.open.take() {
            if s == state {
                self.open = Some((start, s));
                return;
            }
            self.close(start, t, s);
        }
        if state != "synced" {
            self.open = Some((t, state));
        }
    }

    fn close(&mut self, start: u64, end: u64, state: &'static str) {
        self.windows.push(Window {
            start,
            end: end.max(start),
            state,
        });
        if self.windows.len() > self.cap {
            // Merge the pair with the smallest gap between them.
            let k = (1..self.windows.len())
                .min_by_key(|&k| {
                    self.windows[k]
                        .start
                        .saturating_sub(self.windows[k - 1].end)
                })
                .unwrap_or(1);
            let b = self.windows.remove(k);
            let a = &mut self.windows[k - 1];
            a.end = a.end.max(b.end);
            if severity(b.state) > severity(a.state) {
                a.state = b.state;
            }
            self.merged += 1;
        }
    }

    /// The windows, the open one ending at `end`.
    pub fn finish(&self, end: u64) -> Vec<Window> {
        let mut out = self.windows.clone();
        if let Some((start, state)) = self.open {
            out.push(Window {
                start,
                end: end.max(start),
                state,
            });
        }
        out
    }

    /// Windows merged into a neighbour to stay within the cap.
    pub fn merged(&self) -> u64 {
        self.merged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_of_a_million_points_keeps_at_most_four_per_bucket_and_every_extreme() {
        let mut s = Series::new(500);
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for k in 0..1_000_000u64 {
            // A wave with one spike up and one spike down, each one point long.
            let v = match k {
                123_457 => 1_000.0,
                876_543 => -1_000.0,
                _ => ((k as f64) / 5_000.0).sin(),
            };
            lo = lo.min(v);
            hi = hi.max(v);
            s.push(1_700_000_000_000_000_000 + k * 1_000_000, v);
        }
        let points = s.points();
        assert!(points.len() <= 4 * 500, "{} points", points.len());
        assert!(points.len() >= 500, "{} points", points.len());
        assert_eq!(s.count(), 1_000_000);
        assert_eq!(s.range(), Some((lo, hi)));
        assert!(points.iter().any(|p| p.v == 1_000.0));
        assert!(points.iter().any(|p| p.v == -1_000.0));
        assert!(points.windows(2).all(|w| w[0].t <= w[1].t), "time order");
        assert_eq!(
            s.last().map(|p| p.t),
            Some(1_700_000_000_000_000_000 + 999_999 * 1_000_000)
        );
    }

    #[test]
    fn series_shorter_than_its_cap_keeps_every_point() {
        let mut s = Series::new(1_000);
        for k in 0..50u64 {
            s.push(k * 10_000, k as f64);
        }
        let v: Vec<f64> = s.points().iter().map(|p| p.v).collect();
        assert_eq!(v, (0..50).map(|k| k as f64).collect::<Vec<_>>());
    }

    #[test]
    fn series_ignores_non_finite_values() {
        let mut s = Series::new(10);
        s.push(1, f64::NAN);
        s.push(2, f64::INFINITY);
        assert!(s.is_empty());
        assert_eq!(s.points(), []);
    }

    #[test]
    fn windows_close_on_synced_and_the_open_one_ends_at_the_end() {
        let mut w = Windows::new(10);
        w.change(10, "synced");
        w.change(20, "stale");
        w.change(25, "resyncing");
        w.change(30, "synced");
        w.change(40, "stale");
        let got = w.finish(100);
        assert_eq!(
            got,
            [
                Window {
                    start: 20,
                    end: 25,
                    state: "stale"
                },
                Window {
                    start: 25,
                    end: 30,
                    state: "resyncing"
                },
                Window {
                    start: 40,
                    end: 100,
                    state: "stale"
                },
            ]
        );
    }

    #[test]
    fn windows_past_the_cap_merge_closest_neighbours_keeping_the_worst_state() {
        let mut w = Windows::new(3);
        for k in 0..100u64 {
            w.change(k * 100, if k == 50 { "stale" } else { "resyncing" });
            w.change(k * 100 + 10, "synced");
        }
        let got = w.finish(10_000);
        assert_eq!(got.len(), 3);
        assert_eq!(w.merged(), 97);
        assert_eq!(got[0].start, 0);
        assert_eq!(got.last().map(|x| x.end), Some(9_910));
        assert!(got.iter().any(|x| x.state == "stale"));
    }
}
