//! Latency percentile curves (HdrHistogram style: x = percentile on a "nines" scale, y = ns on a
//! log scale), drawn with `plotters` to SVG or PNG by the file's extension. Labels need a
//! TrueType font; the usual system locations are searched (DejaVu, Liberation, Noto).

use super::report::{BenchReport, Line};
use plotters::prelude::*;
use std::path::Path;
use std::sync::OnceLock;
use thiserror::Error;

/// Why a plot could not be drawn.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PlotError {
    /// The extension is neither `.svg` nor `.png`.
    #[error("plot file {0} must end in .svg or .png")]
    Format(String),
    /// No font for the labels.
    #[error("no TrueType font found for the plot labels (looked in /usr/share/fonts)")]
    NoFont,
    /// Drawing or writing failed.
    #[error("cannot draw {file}: {message}")]
    Draw {
        /// The file.
        file: String,
        /// Why.
        message: String,
    },
}

const FONT_CANDIDATES: [&str; 4] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
];

fn register_font() -> bool {
    static DONE: OnceLock<bool> = OnceLock::new();
    *DONE.get_or_init(|| {
        for p in FONT_CANDIDATES {
            if let Ok(bytes) = std::fs::read(p) {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                    return true;
                }
            }
        }
        false
    })
}

/// Percentile → "nines" (0.9 → 1, 0.99 → 2, ...), capped at 6 nines.
fn nines(q: f64) -> f64 {
    (-(1.0 - q).max(1e-6).log10()).max(0.0)
}

/// Draws the end-to-end and stage percentile curves of `report`, and the hot core's hiccup
/// gaps, to `file` (`.svg` or `.png`).
pub fn plot(report: &BenchReport, file: &Path) -> Result<(), PlotError> {
    let name = file.display().to_string();
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if !matches!(ext.as_deref(), Some("svg" | "png")) {
        return Err(PlotError::Format(name));
    }
    if !register_font() {
        return Err(PlotError::NoFont);
    }
    let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for l in report.strategy_stages() {
        if l.name.starts_with("read_to") {
            series.push((label(&l), l.curve.clone()));
        }
    }
    for l in report.stages() {
        series.push((label(&l), l.curve.clone()));
    }
    let (_, hot) = report.hiccups();
    if !hot.curve.is_empty() {
        series.push(("hiccups: hot core gaps".into(), hot.curve.clone()));
    }
    let err = |e: &dyn std::fmt::Display| PlotError::Draw {
        file: name.clone(),
        message: e.to_string(),
    };
    let title = format!(
        "ladder bench ({}) — {}",
        report.to_json()["mode"].as_str().unwrap_or("?"),
        report.machine.cpu_model
    );
    if ext.as_deref() == Some("svg") {
        let root = SVGBackend::new(file, (1200, 720)).into_drawing_area();
        draw(root, &title, &series).map_err(|e| err(&e))
    } else {
        let root = BitMapBackend::new(file, (1200, 720)).into_drawing_area();
        draw(root, &title, &series).map_err(|e| err(&e))
    }
}

fn label(l: &Line) -> String {
    match &l.strategy {
        Some(s) => format!("{s}: {} ({})", l.name, l.span),
        None => format!("{} ({})", l.name, l.span),
    }
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    series: &[(String, Vec<(f64, f64)>)],
) -> Result<(), Box<dyn std::error::Error + 'static>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let max_y = series
        .iter()
        .flat_map(|(_, c)| c.iter().map(|p| p.1))
        .fold(10.0_f64, f64::max)
        * 2.0;
    let min_y = series
        .iter()
        .flat_map(|(_, c)| c.iter().map(|p| p.1))
        .fold(max_y, f64::min)
        .max(1.0)
        / 2.0;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..6.0_f64, (min_y..max_y).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("percentile")
        .y_desc("latency (ns)")
        .x_label_formatter(&|x| match x.round() as i64 {
            0 => "0".into(),
            1 => "90".into(),
            2 => "99".into(),
            3 => "99.9".into(),
            4 => "99.99".into(),
            5 => "99.999".into(),
            _ => "99.9999".into(),
        })
        .y_label_formatter(&|y| {
            if *y >= 1e6 {
                format!("{:.0} ms", y / 1e6)
            } else if *y >= 1e3 {
                format!("{:.0} µs", y / 1e3)
            } else {
                format!("{y:.0} ns")
            }
        })
        .draw()?;
    for (k, (name, curve)) in series.iter().enumerate() {
        let color = Palette99::pick(k).to_rgba();
        let points: Vec<(f64, f64)> = curve
            .iter()
            .map(|&(q, v)| (nines(q), v.max(min_y)))
            .collect();
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::nines;

    #[test]
    fn percentiles_map_to_nines() {
        assert!((nines(0.9) - 1.0).abs() < 1e-9);
        assert!((nines(0.999) - 3.0).abs() < 1e-9);
        assert_eq!(nines(1.0), 6.0);
        assert_eq!(nines(0.0), 0.0);
    }
}
