//! Hand-written inline SVG charts: a time chart (lines, steps, areas, fill markers), a lane
//! chart of shaded windows (feed state) and a percentile chart (latency). No script, no
//! external reference: every chart is one `<svg id=...>` element sized by its `viewBox`.

use super::series::{Point, Window};
use std::fmt::Write as _;

/// Chart width in SVG units (pixels at 100%).
pub const WIDTH: f64 = 1200.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 30.0;

/// Line colours, one per series in order.
pub const PALETTE: [&str; 12] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f",
    "#bcbd22", "#000000", "#aec7e8", "#ff9896",
];

/// Escapes text for HTML/SVG content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A 1-2-5 step giving at most `max` intervals over `span`.
fn nice_step(span: f64, max: f64) -> f64 {
    if !(span.is_finite() && span > 0.0) {
        return 1.0;
    }
    let raw = span / max;
    let mag = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * mag >= raw {
            return m * mag;
        }
    }
    10.0 * mag
}

/// A value label with as many decimals as `step` needs.
fn label(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    let s = format!("{v:.decimals$}");
    if s.starts_with("-0") && s.trim_start_matches(['-', '0', '.']).is_empty() {
        s[1..].to_owned()
    } else {
        s
    }
}

/// `HH:MM:SS` (UTC) of `t` ns since the epoch, with milliseconds when `ms`.
pub fn clock(t: u64, ms: bool) -> String {
    let secs = t / 1_000_000_000;
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    if ms {
        format!("{h:02}:{m:02}:{s:02}.{:03}", (t / 1_000_000) % 1000)
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// `YYYY-MM-DD` (UTC) of `t` ns since the epoch.
pub fn date(t: u64) -> String {
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = (t / 86_400_000_000_000) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

const TIME_STEPS_NS: [u64; 22] = [
    1_000_000,
    2_000_000,
    5_000_000,
    10_000_000,
    20_000_000,
    50_000_000,
    100_000_000,
    200_000_000,
    500_000_000,
    1_000_000_000,
    2_000_000_000,
    5_000_000_000,
    10_000_000_000,
    15_000_000_000,
    30_000_000_000,
    60_000_000_000,
    120_000_000_000,
    300_000_000_000,
    600_000_000_000,
    1_800_000_000_000,
    3_600_000_000_000,
    21_600_000_000_000,
];

/// The time axis every time chart of a report shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeAxis {
    /// Start, ns since the epoch.
    pub t0: u64,
    /// End (> `t0`).
    pub t1: u64,
}

impl TimeAxis {
    /// An axis over `[t0, t1]` (widened to 1 ms if empty).
    pub fn new(t0: u64, t1: u64) -> Self {
        let t0 = t0.min(u64::MAX - 1_000_000);
        Self {
            t0,
            t1: t1.max(t0 + 1_000_000),
        }
    }

    fn x(&self, t: u64) -> f64 {
        let frac = t.saturating_sub(self.t0) as f64 / (self.t1 - self.t0) as f64;
        LEFT + frac.clamp(0.0, 1.0) * (WIDTH - LEFT - RIGHT)
    }

    fn ticks(&self, o: &mut String, height: f64) {
        let span = self.t1 - self.t0;
        let step = TIME_STEPS_NS
            .iter()
            .copied()
            .find(|s| span / s <= 8)
            .unwrap_or(86_400_000_000_000);
        let mut t = self.t0.div_ceil(step) * step;
        while t <= self.t1 {
            let x = self.x(t);
            let _ = write!(
                o,
                r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" class="grid"/><text x="{x:.1}" y="{:.1}" class="tick" text-anchor="middle">{}</text>"##,
                height - BOTTOM,
                height - BOTTOM + 16.0,
                clock(t, step < 1_000_000_000)
            );
            t += step;
        }
    }
}

/// How a fill marker points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// A buy: a triangle pointing up.
    Up,
    /// A sell: a triangle pointing down.
    Down,
}

/// A chart of values over the session's time.
#[derive(Debug)]
pub struct TimeChart {
    id: String,
    title: String,
    axis: TimeAxis,
    height: f64,
    lo: f64,
    hi: f64,
    body: String,
    legend: Vec<Legend>,
}

/// A legend entry: fill colour, outline colour, name.
type Legend = (String, String, String);

fn entry(fill: &str, name: &str) -> Legend {
    (fill.to_owned(), "none".to_owned(), name.to_owned())
}

impl TimeChart {
    /// A chart `id` titled `title` over `axis`, its value axis covering `range` (padded).
    pub fn new(id: &str, title: &str, axis: TimeAxis, range: Option<(f64, f64)>) -> Self {
        let (mut lo, mut hi) = range.unwrap_or((0.0, 1.0));
        if !(lo.is_finite() && hi.is_finite()) {
            (lo, hi) = (0.0, 1.0);
        }
        if hi - lo < 1e-12 {
            let pad = if lo.abs() > 1e-9 {
                lo.abs() * 1e-3
            } else {
                1.0
            };
            lo -= pad;
            hi += pad;
        } else {
            let pad = (hi - lo) * 0.05;
            lo -= pad;
            hi += pad;
        }
        Self {
            id: id.to_owned(),
            title: title.to_owned(),
            axis,
            height: 230.0,
            lo,
            hi,
            body: String::new(),
            legend: Vec::new(),
        }
    }

    fn y(&self, v: f64) -> f64 {
        let frac = (v - self.lo) / (self.hi - self.lo);
        self.height - BOTTOM - frac.clamp(0.0, 1.0) * (self.height - TOP - BOTTOM)
    }

    fn coords(&self, points: &[Point], step: bool) -> String {
        let mut o = String::with_capacity(points.len() * 14);
        let mut prev_y: Option<f64> = None;
        for p in points {
            let (x, y) = (self.axis.x(p.t), self.y(p.v));
            if step && let Some(py) = prev_y {
                let _ = write!(o, "{x:.1},{py:.1} ");
            }
            let _ = write!(o, "{x:.1},{y:.1} ");
            prev_y = Some(y);
        }
        o
    }

    /// A line through `points` (`step`: held until the next point, as a position is).
    pub fn line(&mut self, points: &[Point], color: &str, name: &str, step: bool) {
        if points.is_empty() {
            return;
        }
        let c = self.coords(points, step);
        let _ = write!(
            self.body,
            r#"<polyline fill="none" stroke="{color}" stroke-width="1.3" points="{}"/>"#,
            c.trim_end()
        );
        self.legend.push(entry(color, name));
    }

    /// Several pieces of one line (a line broken where there is no data), one legend entry.
    pub fn pieces(&mut self, pieces: &[Vec<Point>], color: &str, name: &str, step: bool) {
        for piece in pieces.iter().filter(|p| !p.is_empty()) {
            let c = self.coords(piece, step);
            let _ = write!(
                self.body,
                r#"<polyline fill="none" stroke="{color}" stroke-width="1.3" points="{}"/>"#,
                c.trim_end()
            );
        }
        if pieces.iter().any(|p| !p.is_empty()) {
            self.legend.push(entry(color, name));
        }
    }

    /// An area between `points` and zero.
    pub fn area(&mut self, points: &[Point], color: &str, name: &str) {
        if points.is_empty() {
            return;
        }
        let zero = self.y(0.0);
        let (first, last) = (
            self.axis.x(points[0].t),
            self.axis.x(points[points.len() - 1].t),
        );
        let c = self.coords(points, false);
        let _ = write!(
            self.body,
            r#"<polygon fill="{color}" fill-opacity="0.25" stroke="none" points="{first:.1},{zero:.1} {}{last:.1},{zero:.1}"/>"#,
            c
        );
        self.legend.push(entry(color, name));
    }

    /// Fill markers at `points`.
    pub fn markers(
        &mut self,
        points: &[Point],
        marker: Marker,
        fill: &str,
        stroke: &str,
        name: &str,
    ) {
        if points.is_empty() {
            return;
        }
        let _ = write!(
            self.body,
            r#"<g fill="{fill}" fill-opacity="0.8" stroke="{stroke}" stroke-width="0.6">"#
        );
        for p in points {
            let (x, y) = (self.axis.x(p.t), self.y(p.v));
            let d = match marker {
                Marker::Up => format!("M{x:.1},{:.1}l-3,5.5h6z", y - 2.5),
                Marker::Down => format!("M{x:.1},{:.1}l-3,-5.5h6z", y + 2.5),
            };
            let _ = write!(self.body, r#"<path d="{d}"/>"#);
        }
        self.body.push_str("</g>");
        self.legend
            .push((fill.to_owned(), stroke.to_owned(), name.to_owned()));
    }

    /// A horizontal line at zero, if zero is in range.
    pub fn zero_line(&mut self) {
        if self.lo < 0.0 && self.hi > 0.0 {
            let y = self.y(0.0);
            let _ = write!(
                self.body,
                r#"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" class="zero"/>"#,
                WIDTH - RIGHT
            );
        }
    }

    /// The finished `<svg>`.
    pub fn render(&self) -> String {
        let h = self.height;
        let (legend, legend_h) = legend(&self.legend, h);
        let mut o = open_svg(&self.id, &self.title, h + legend_h);
        self.axis.ticks(&mut o, h);
        let step = nice_step(self.hi - self.lo, 5.0);
        let mut v = (self.lo / step).ceil() * step;
        while v <= self.hi {
            let y = self.y(v);
            let _ = write!(
                o,
                r#"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" class="grid"/><text x="{:.1}" y="{:.1}" class="tick" text-anchor="end">{}</text>"#,
                WIDTH - RIGHT,
                LEFT - 6.0,
                y + 4.0,
                label(v, step)
            );
            v += step;
        }
        o.push_str(&self.body);
        frame(&mut o, h);
        o.push_str(&legend);
        o.push_str("</svg>");
        o
    }
}

fn open_svg(id: &str, title: &str, height: f64) -> String {
    format!(
        r#"<svg id="{}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img"><title>{}</title><text x="{LEFT}" y="18" class="title">{}</text>"#,
        esc(id),
        esc(title),
        esc(title)
    )
}

fn frame(o: &mut String, height: f64) {
    let _ = write!(
        o,
        r#"<rect x="{LEFT}" y="{TOP}" width="{:.1}" height="{:.1}" class="frame"/>"#,
        WIDTH - LEFT - RIGHT,
        height - TOP - BOTTOM
    );
}

/// Height of one legend row.
const LEGEND_ROW: f64 = 18.0;

/// The legend under the chart at `top`, left to right, wrapping into rows; returns it and its
/// height.
fn legend(items: &[Legend], top: f64) -> (String, f64) {
    let mut o = String::new();
    let (mut x, mut y) = (LEFT, top + 8.0);
    for (color, stroke, name) in items {
        let w = 30.0 + 6.6 * name.chars().count() as f64;
        if x > LEFT && x + w > WIDTH - RIGHT {
            x = LEFT;
            y += LEGEND_ROW;
        }
        let _ = write!(
            o,
            r#"<rect x="{x:.1}" y="{y:.1}" width="12" height="10" fill="{color}" stroke="{stroke}" stroke-width="2"/><text x="{:.1}" y="{:.1}" class="legend">{}</text>"#,
            x + 16.0,
            y + 9.0,
            esc(name)
        );
        x += w;
    }
    let height = if items.is_empty() {
        0.0
    } else {
        y - top + LEGEND_ROW
    };
    (o, height)
}

/// The colour of a non-synced state.
pub fn state_color(state: &str) -> &'static str {
    match state {
        "stale" => "#d62728",
        "resyncing" => "#ff9f1c",
        _ => "#bbbbbb",
    }
}

/// One lane per instrument: synced time plain green, every non-synced window a shaded rect
/// coloured by its state.
pub fn lanes(id: &str, title: &str, axis: TimeAxis, lanes: &[(String, Vec<Window>)]) -> String {
    let lane_h = 26.0;
    let h = TOP + BOTTOM + lane_h * lanes.len().max(1) as f64 + 8.0;
    let items: Vec<Legend> = [
        ("#2ca02c", "synced"),
        ("#bbbbbb", "syncing"),
        ("#ff9f1c", "resyncing"),
        ("#d62728", "stale"),
    ]
    .iter()
    .map(|(c, n)| entry(c, n))
    .collect();
    let (legend, legend_h) = legend(&items, h);
    let mut o = open_svg(id, title, h + legend_h);
    axis.ticks(&mut o, h);
    for (k, (name, windows)) in lanes.iter().enumerate() {
        let y = TOP + 4.0 + lane_h * k as f64;
        let _ = write!(
            o,
            r##"<rect x="{LEFT}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="#2ca02c" fill-opacity="0.18"/><text x="{:.1}" y="{:.1}" class="tick" text-anchor="end">{}</text>"##,
            WIDTH - LEFT - RIGHT,
            lane_h - 6.0,
            LEFT - 6.0,
            y + 14.0,
            esc(short(name))
        );
        for w in windows {
            let (x0, x1) = (axis.x(w.start), axis.x(w.end));
            let _ = write!(
                o,
                r#"<rect class="window {}" x="{x0:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}" fill-opacity="0.75"><title>{} {}–{}</title></rect>"#,
                w.state,
                (x1 - x0).max(1.0),
                lane_h - 6.0,
                state_color(w.state),
                w.state,
                clock(w.start, true),
                clock(w.end, true)
            );
        }
    }
    frame(&mut o, h);
    o.push_str(&legend);
    o.push_str("</svg>");
    o
}

/// The part of `venue:SYMBOL` after the colon (lanes are narrow).
fn short(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, s)| s)
}

/// One latency curve: `(nines, ns)` points, nines = −log10(1 − quantile).
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// Stage name.
    pub name: String,
    /// Samples.
    pub count: u64,
    /// `(nines, nanoseconds)`, nines ascending.
    pub points: Vec<(f64, f64)>,
}

/// Percentile curves: x = percentile on a "nines" scale (50, 90, 99, 99.9, ...), y =
/// nanoseconds on a log scale.
pub fn percentiles(id: &str, title: &str, curves: &[Curve]) -> String {
    let h = 300.0;
    let max_nines = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.0))
        .fold(2.0f64, f64::max)
        .ceil();
    let (lo, hi) = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.1.max(1.0).log10()))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    let (lo, hi) = if lo.is_finite() {
        (lo.floor(), hi.ceil().max(lo.floor() + 1.0))
    } else {
        (0.0, 1.0)
    };
    let x = |n: f64| LEFT + (n / max_nines).clamp(0.0, 1.0) * (WIDTH - LEFT - RIGHT);
    let y = |ns: f64| {
        let frac = (ns.max(1.0).log10() - lo) / (hi - lo);
        h - BOTTOM - frac.clamp(0.0, 1.0) * (h - TOP - BOTTOM)
    };
    let items: Vec<Legend> = curves
        .iter()
        .enumerate()
        .map(|(k, c)| {
            entry(
                PALETTE[k % PALETTE.len()],
                &format!("{} (n={})", c.name, c.count),
            )
        })
        .collect();
    let (legend, legend_h) = legend(&items, h);
    let mut o = open_svg(id, title, h + legend_h);
    for k in 0..=max_nines as u32 {
        let xx = x(f64::from(k));
        let pct = 100.0 * (1.0 - 10f64.powi(-(k as i32)));
        let decimals = k.saturating_sub(2) as usize;
        let text = if k == 0 {
            "min".to_owned()
        } else {
            format!("p{pct:.decimals$}")
        };
        let _ = write!(
            o,
            r#"<line x1="{xx:.1}" y1="{TOP}" x2="{xx:.1}" y2="{:.1}" class="grid"/><text x="{xx:.1}" y="{:.1}" class="tick" text-anchor="middle">{text}</text>"#,
            h - BOTTOM,
            h - BOTTOM + 16.0
        );
    }
    for d in lo as i32..=hi as i32 {
        let ns = 10f64.powi(d);
        let yy = y(ns);
        let text = match d {
            d if d >= 9 => format!("{} s", 10u64.pow((d - 9) as u32)),
            d if d >= 6 => format!("{} ms", 10u64.pow((d - 6) as u32)),
            d if d >= 3 => format!("{} µs", 10u64.pow((d - 3) as u32)),
            d => format!("{} ns", 10u64.pow(d.max(0) as u32)),
        };
        let _ = write!(
            o,
            r#"<line x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" class="grid"/><text x="{:.1}" y="{:.1}" class="tick" text-anchor="end">{text}</text>"#,
            WIDTH - RIGHT,
            LEFT - 6.0,
            yy + 4.0
        );
    }
    for (k, c) in curves.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let mut pts = String::new();
        for &(n, ns) in &c.points {
            let _ = write!(pts, "{:.1},{:.1} ", x(n), y(ns));
        }
        let _ = write!(
            o,
            r#"<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{}"/>"#,
            pts.trim_end()
        );
    }
    frame(&mut o, h);
    o.push_str(&legend);
    o.push_str("</svg>");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_windows_become_shaded_rects_in_their_lane() {
        let axis = TimeAxis::new(0, 10_000_000_000);
        let windows = vec![
            Window {
                start: 1_000_000_000,
                end: 2_000_000_000,
                state: "stale",
            },
            Window {
                start: 5_000_000_000,
                end: 5_500_000_000,
                state: "resyncing",
            },
        ];
        let svg = lanes(
            "feed-state",
            "feed",
            axis,
            &[("binance-usdm:BTCUSDT".into(), windows)],
        );
        assert_eq!(svg.matches(r#"class="window stale""#).count(), 1);
        assert_eq!(svg.matches(r#"class="window resyncing""#).count(), 1);
        // 1 s of 10 s over the 1,090-unit plot: x = 90 + 109, width 109.
        assert!(svg.contains(r#"x="199.0" y="34.0" width="109.0""#), "{svg}");
        assert!(svg.starts_with(r#"<svg id="feed-state""#));
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn time_chart_maps_points_inside_the_plot_and_escapes_names() {
        let axis = TimeAxis::new(0, 1_000_000_000);
        let pts = [
            Point { t: 0, v: 1.0 },
            Point {
                t: 1_000_000_000,
                v: 3.0,
            },
        ];
        let mut c = TimeChart::new("mid-0", "mid <BTC>", axis, Some((1.0, 3.0)));
        c.line(&pts, "#000", "a&b", true);
        let svg = c.render();
        assert!(svg.contains("mid &lt;BTC&gt;"));
        assert!(svg.contains("a&amp;b"));
        // A step line holds the first value until the second point: 3 coordinates.
        let poly = svg.split("<polyline").nth(1).unwrap();
        let points = poly
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(points.split(' ').count(), 3, "{points}");
        for xy in points.split(' ') {
            let (x, y) = xy.split_once(',').unwrap();
            let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
            assert!((LEFT..=WIDTH - RIGHT).contains(&x) && (TOP..=230.0 - BOTTOM).contains(&y));
        }
    }

    #[test]
    fn clock_and_date_read_utc() {
        // 2024-08-09 00:34:15.030 UTC.
        let t = 1_723_163_655_030_314_667;
        assert_eq!(date(t), "2024-08-09");
        assert_eq!(clock(t, false), "00:34:15");
        assert_eq!(clock(t, true), "00:34:15.030");
        assert_eq!(date(0), "1970-01-01");
    }

    #[test]
    fn nice_steps_are_one_two_five() {
        assert_eq!(nice_step(10.0, 5.0), 2.0);
        assert_eq!(nice_step(0.3, 5.0), 0.1);
        assert_eq!(label(0.30000000000000004, 0.1), "0.3");
        assert_eq!(label(-0.0, 0.1), "0.0");
    }
}
