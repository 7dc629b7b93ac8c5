//! `report.html` of a replay of the shared USD-M capture: self-contained (no network
//! reference), every chart present, the summary numbers equal to `summary.json`, and the page
//! renders in headless Chromium (`/usr/bin/chromium`; skipped with a reason when it is missing
//! outside CI, a failure with `CI=true`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ladder_engine::capture::merge::CaptureInput;
use ladder_engine::config::Config;
use ladder_engine::feed::Venue;
use ladder_engine::replay::{ReplayOptions, Speed, replay};
use ladder_tests::{example_strategies_with, shared};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CAPTURE: &str = "captures/binance-usdm_btcusdt_20240808.gz";

/// Replays the USD-M capture with both example strategies (the golden test's config) into
/// `dir`.
fn replay_usdm(capture: &Path, dir: &Path) {
    let config = Config::parse(
        "[paper]\nmaker_fee_bps = \"-0.5\"\ntaker_fee_bps = \"4\"\n",
        Path::new("report.toml"),
    )
    .unwrap();
    replay(ReplayOptions {
        captures: vec![CaptureInput {
            path: capture.to_path_buf(),
            venue: Venue::BinanceUsdm,
        }],
        strategies: example_strategies_with("", "tick_size = \"0.1\""),
        config,
        config_sha256: None,
        report_dir: dir.to_path_buf(),
        speed: Speed::Max,
        progress: false,
    })
    .unwrap();
}

/// The text of the cell whose `data-key` is `key`.
fn cell<'a>(html: &'a str, key: &str) -> &'a str {
    let marker = format!("data-key=\"{key}\">");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no cell {key} in report.html"));
    let rest = &html[at + marker.len()..];
    &rest[..rest.find('<').unwrap()]
}

fn json_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

#[test]
fn usdm_replay_report_html_is_self_contained_has_every_chart_and_the_summary_numbers() {
    let Some(capture) = shared(CAPTURE) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    replay_usdm(&capture, dir.path());
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    eprintln!("report.html of the USD-M replay: {} bytes", html.len());
    assert!(html.len() < 3_000_000, "{} bytes", html.len());

    // Self-contained: the SVG namespace is the only URL; nothing is loaded.
    let without_ns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for needle in [
        "http://", "https://", "<script", " src=", "<link", "@import", "url(",
    ] {
        assert!(!without_ns.contains(needle), "report.html holds {needle:?}");
    }

    // Every chart, one <svg> each with its id.
    for id in [
        "pnl-0",
        "pnl-1",
        "position-0",
        "mid-0",
        "spread-0",
        "feed-state",
        "latency",
    ] {
        assert_eq!(
            html.matches(&format!("<svg id=\"{id}\"")).count(),
            1,
            "chart {id}"
        );
    }
    let chart = |id: &str| {
        let start = html.find(&format!("<svg id=\"{id}\"")).unwrap();
        &html[start..start + html[start..].find("</svg>").unwrap()]
    };
    // The mid is drawn from many samples, the micro-price over it, and the fills are marked.
    let mid = chart("mid-0");
    assert!(mid.matches("<polyline").count() >= 2, "mid and micro-price");
    assert!(mid.contains("micro-price"));
    let fills = summary["fills"].as_u64().unwrap();
    assert!(fills > 0, "the golden replay fills");
    assert!(mid.matches("<path d=\"M").count() > 0, "fill markers");
    let points = mid.split("points=\"").nth(1).unwrap();
    assert!(points.split(' ').count() > 100, "mid points");
    assert!(chart("pnl-0").contains("<polyline"), "net PnL line");
    assert!(chart("latency").contains("<polyline"), "latency curve");

    // Each strategy's net PnL line ends at the summary's net PnL (both at the final mid); its
    // drawdown, taken at the samples and fills, is within 2% of the summary's (taken at every
    // book update).
    let attr = |from: usize, name: &str| -> f64 {
        let at = from + html[from..].find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        html[at..at + html[at..].find('"').unwrap()]
            .parse()
            .unwrap()
    };
    for s in 0..2 {
        let from = html.find(&format!("<svg id=\"pnl-{s}\"")).unwrap();
        let last = attr(from, "data-last-net-pnl");
        let max_dd = attr(from, "data-max-drawdown");
        let strategy = &summary["strategies"][s];
        let net: f64 = strategy["net_pnl"].as_str().unwrap().parse().unwrap();
        let summary_dd: f64 = strategy["max_drawdown"].as_str().unwrap().parse().unwrap();
        assert!(
            (last - net).abs() < 1e-9,
            "strategy {s}: chart {last}, summary {net}"
        );
        assert!(
            max_dd > 0.0 && (max_dd - summary_dd).abs() <= 0.02 * summary_dd,
            "strategy {s}: chart drawdown {max_dd}, summary {summary_dd}"
        );
    }

    // The summary's numbers, as summary.json has them.
    for key in [
        "frames",
        "events",
        "book_updates",
        "trades",
        "gaps",
        "signals",
        "orders",
        "cancels",
        "fills",
        "net_pnl",
        "fees",
        "strategies.0.name",
        "strategies.0.net_pnl",
        "strategies.0.max_drawdown",
        "strategies.1.fills",
        "strategies.1.realized_pnl",
        "timing.frame_latency_ns.p50",
        "timing.output_waits",
    ] {
        let want = key
            .split('.')
            .fold(&summary, |v, k| match k.parse::<usize>() {
                Ok(i) => &v[i],
                Err(_) => &v[k],
            });
        assert!(!want.is_null(), "{key} in summary.json");
        assert_eq!(cell(&html, key), json_text(want), "{key}");
    }
}

/// Pixels of `png` that are not (near) white, and the distinct colours seen.
fn ink(png: &Path) -> (u32, u32, f64, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let bytes = &buf[..info.buffer_size()];
    let mut colors = std::collections::HashSet::new();
    let mut inked = 0u64;
    let pixels = bytes.chunks(channels);
    let n = pixels.len();
    for px in pixels {
        let rgb = [px[0], px[1 % channels], px[2 % channels]];
        if rgb.iter().any(|&c| c < 235) {
            inked += 1;
        }
        if colors.len() < 10_000 {
            colors.insert(rgb);
        }
    }
    (
        info.width,
        info.height,
        inked as f64 / n as f64,
        colors.len(),
    )
}

#[test]
fn usdm_report_html_renders_in_headless_chromium() {
    let chromium = Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "/usr/bin/chromium is missing (CI=true requires it: apt-get install chromium)"
        );
        eprintln!("skipped: /usr/bin/chromium not found (apt-get install chromium)");
        return;
    }
    let Some(capture) = shared(CAPTURE) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    replay_usdm(&capture, dir.path());
    let page = dir.path().join("report.html");
    let shot = dir.path().join("report.png");
    let profile = dir.path().join("chromium-profile");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1400,4000")
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            child.kill().unwrap();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(status.success(), "chromium failed ({status}): {stderr}");
    assert!(shot.exists(), "no screenshot; chromium said: {stderr}");
    if let Ok(keep) = std::env::var("LADDER_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, &keep).unwrap();
        std::fs::copy(&page, Path::new(&keep).with_extension("html")).unwrap();
    }
    let (w, h, inked, colors) = ink(&shot);
    eprintln!(
        "screenshot {w}x{h}: {:.1}% inked, {colors} colours",
        inked * 100.0
    );
    assert_eq!((w, h), (1400, 4000));
    // Tables, axes, lines and shaded windows: a blank or error page has little ink and few
    // colours.
    assert!(inked > 0.03, "{:.2}% of the page inked", inked * 100.0);
    assert!(colors > 50, "{colors} colours");
}
