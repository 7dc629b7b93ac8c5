//! Strategy hot reload with state handoff (issue 14 part 4), on the real USD-M capture:
//!
//! - `ladder replay --swap` of the imbalance library for a second copy of it (different bytes,
//!   so a different SHA-256 and a second `dlopen`) several times mid-run, with open orders
//!   adopted: not one event lost and every signal, order and fill equal to a run without swaps;
//! - a swap to a build without handoff starts fresh and cancels the old open orders;
//! - a swap to a broken library (missing file, not a library, old ABI) is refused, and the
//!   running strategy keeps trading;
//! - `ladder paper --watch` and SIGHUP (bounded, headless) swap a replaced library, and refuse a
//!   broken one with the reason in the log.
//!
//! The shared capture is skipped with a printed reason outside CI (`ladder_tests::shared`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ladder_engine::capture::merge::CaptureInput;
use ladder_engine::capture::pipeline::read_events;
use ladder_engine::clock::Clock;
use ladder_engine::config::Config;
use ladder_engine::feed::Venue;
use ladder_engine::hot::output::{OutputRecord, VecSink};
use ladder_engine::hot::{HotEngine, Replacement, SwapMode};
use ladder_engine::plugin::{HostConfig, StrategyInstance};
use ladder_engine::replay::{ReplayOptions, Speed, StrategySource, SwapAt, replay_with_swaps};
use ladder_sdk::{
    BookView, Context, Fill, InitContext, MarketEvent, OrderStatus, OrderUpdate, RequestKind,
    StatusEvent, Strategy, StrategyError, TradeEvent, UnixNanos,
};
use ladder_strategy_imbalance::ImbalanceStrategy;
use ladder_tests::build::{ladder_and_libraries, ladder_bin, newest_lib};
use ladder_tests::shared;
use rstest::rstest;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

const CAPTURE: &str = "captures/binance-usdm_btcusdt_20240808.gz";

/// The artifacts: the `ladder` binary, the imbalance library, the old-ABI fixture.
struct Built {
    ladder: PathBuf,
    imbalance: PathBuf,
    old_abi: PathBuf,
}

fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = ladder_and_libraries(
            env!("CARGO_TARGET_TMPDIR"),
            &["ladder-strategy-imbalance", "ladder-fixture-old-abi"],
        );
        Built {
            ladder: ladder_bin(&out),
            imbalance: newest_lib(&out, "ladder_strategy_imbalance"),
            old_abi: newest_lib(&out, "ladder_fixture_old_abi"),
        }
    })
}

/// Two copies of the imbalance library in `dir`: `a` as built, `b` with bytes appended past
/// the end of the ELF image (same code, another SHA-256: the loader maps it as a second
/// library from its own sealed memfd).
fn two_builds(dir: &Path) -> (PathBuf, PathBuf) {
    let a = dir.join("libimb_a.so");
    let b = dir.join("libimb_b.so");
    std::fs::copy(&built().imbalance, &a).unwrap();
    let mut bytes = std::fs::read(&a).unwrap();
    bytes.extend_from_slice(b"ladder hot reload test: second build");
    std::fs::write(&b, bytes).unwrap();
    (a, b)
}

fn sha256(path: &Path) -> String {
    ladder_engine::report::sha256_hex(&std::fs::read(path).unwrap())
}

fn replay_lib(capture: &Path, lib: &Path, dir: &Path, swaps: &[SwapAt]) -> Value {
    replay_with_swaps(
        ReplayOptions {
            captures: vec![CaptureInput {
                path: capture.to_path_buf(),
                venue: Venue::BinanceUsdm,
            }],
            strategies: vec![StrategySource::Library {
                path: lib.to_path_buf(),
                config: String::new(),
            }],
            config: Config::default(),
            config_sha256: None,
            report_dir: dir.to_path_buf(),
            speed: Speed::Max,
            progress: false,
        },
        swaps,
    )
    .unwrap();
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

fn swap(lib: &Path, after_events: u64) -> SwapAt {
    SwapAt {
        strategy: "0".into(),
        library: lib.to_path_buf(),
        after_events,
    }
}

#[test]
fn replay_swap_with_handoff_loses_no_event_and_equals_a_run_without_swap() {
    let Some(capture) = shared(CAPTURE) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = two_builds(tmp.path());
    assert_ne!(sha256(&a), sha256(&b));
    let plain = replay_lib(&capture, &a, &tmp.path().join("plain"), &[]);
    let swaps = [swap(&b, 20_000), swap(&a, 100_000), swap(&b, 200_000)];
    let swapped = replay_lib(&capture, &a, &tmp.path().join("swapped"), &swaps);

    let done = swapped["swaps"].as_array().unwrap();
    assert_eq!(done.len(), 3, "{done:?}");
    for (w, (old, new)) in done.iter().zip([(&a, &b), (&b, &a), (&a, &b)]) {
        assert_eq!(w["mode"], "handoff", "{w}");
        assert_eq!(w["old_sha256"], sha256(old));
        assert_eq!(w["new_sha256"], sha256(new));
        assert_eq!(w["orders_cancelled"], 0, "{w}");
        assert!(w["state_bytes"].as_u64().unwrap() > 0, "{w}");
    }
    assert!(
        done.iter().any(|w| w["orders_adopted"].as_u64() > Some(0)),
        "no swap had an open order to adopt: {done:?}"
    );
    assert_eq!(swapped["events"], plain["events"], "an event was lost");
    let costs = swapped["timing"]["swap_cost_ns"].as_array().unwrap();
    assert_eq!(costs.len(), 3);
    // Every signal, order and fill as without the swaps.
    let strip = |mut v: Value| {
        let o = v.as_object_mut().unwrap();
        o.remove("timing");
        o.remove("swaps");
        v
    };
    assert_eq!(strip(swapped.clone()), strip(plain.clone()));
    assert!(plain["orders"].as_u64() > Some(0) && plain["signals"].as_u64() > Some(0));
    for file in ["orders.csv", "fills.csv", "signals.csv"] {
        let read = |run: &str| std::fs::read(tmp.path().join(run).join(file)).unwrap();
        assert!(read("plain") == read("swapped"), "{file} differs");
    }
    let html = std::fs::read_to_string(tmp.path().join("swapped/report.html")).unwrap();
    assert!(html.contains("Strategy swaps") && html.contains(&sha256(&b)));
}

/// The imbalance strategy without the handoff (a build of it that predates ABI 1.1 would do the
/// same): every event passed through, `handoff` left at its default.
struct NoHandoff(ImbalanceStrategy);

impl Strategy for NoHandoff {
    fn new(config: &str, ctx: &mut InitContext<'_>) -> Result<Self, StrategyError> {
        ImbalanceStrategy::new(config, ctx).map(Self)
    }
    fn on_book(&mut self, ctx: &mut Context<'_>, book: &BookView<'_>) {
        self.0.on_book(ctx, book);
    }
    fn on_trade(&mut self, ctx: &mut Context<'_>, trade: &TradeEvent) {
        self.0.on_trade(ctx, trade);
    }
    fn on_order_update(&mut self, ctx: &mut Context<'_>, update: &OrderUpdate) {
        self.0.on_order_update(ctx, update);
    }
    fn on_fill(&mut self, ctx: &mut Context<'_>, fill: &Fill) {
        self.0.on_fill(ctx, fill);
    }
    fn on_status(&mut self, ctx: &mut Context<'_>, status: &StatusEvent) {
        self.0.on_status(ctx, status);
    }
    fn on_stop(&mut self, ctx: &mut Context<'_>) {
        self.0.on_stop(ctx);
    }
}

/// Real events and an engine running the (static) imbalance strategy.
fn engine_on_capture() -> Option<(Vec<MarketEvent>, HotEngine<VecSink>, HostConfig)> {
    let capture = shared(CAPTURE)?;
    let config = Config::default();
    let input = [CaptureInput {
        path: capture,
        venue: Venue::BinanceUsdm,
    }];
    let (registry, mut events) = read_events(&input, &config.instruments).unwrap();
    events.truncate(200_000);
    let host = HostConfig {
        instruments: registry.iter().map(|i| i.name.clone()).collect(),
        ..HostConfig::default()
    };
    let imbalance = StrategyInstance::new_static::<ImbalanceStrategy>("imbalance", "", &host);
    let engine = HotEngine::new(
        Clock::replay(UnixNanos::ZERO),
        registry.iter().map(|i| i.spec).collect(),
        vec![imbalance.unwrap()],
        config.paper.clone(),
        config.risk.clone(),
        config.hot.top_levels,
        VecSink::default(),
    );
    Some((events, engine, host))
}

/// Runs events until strategy 0 has an open order, returns how many were run.
fn run_until_an_order_is_open(engine: &mut HotEngine<VecSink>, events: &[MarketEvent]) -> usize {
    engine.start();
    for (k, ev) in events.iter().enumerate() {
        engine.on_event(ev);
        if k > 10_000 && !engine.open_orders(0).is_empty() {
            return k + 1;
        }
    }
    panic!("the imbalance strategy never had an open order");
}

#[test]
fn swap_without_handoff_starts_fresh_and_cancels_the_old_open_orders() {
    let Some((events, mut engine, host)) = engine_on_capture() else {
        return;
    };
    let n = run_until_an_order_is_open(&mut engine, &events);
    let open: Vec<_> = engine.open_orders(0).iter().map(|o| o.id).collect();
    let h = host.clone();
    let replacement = Replacement {
        library: "static:no-handoff".into(),
        sha256: None,
        create: Box::new(move || StrategyInstance::new_static::<NoHandoff>("imbalance", "", &h)),
    };
    let before = engine.output().0.len();
    let report = engine.swap_strategy(0, &replacement).clone();
    assert_eq!(report.mode, SwapMode::Fresh);
    assert_eq!(
        report.reason.as_deref(),
        Some("the new build takes no state")
    );
    assert_eq!(report.orders_cancelled, open.len());
    assert_eq!(report.orders_adopted, 0);
    for ev in &events[n..n + 5_000] {
        engine.on_event(ev);
    }
    let cancelled: Vec<_> = engine.output().0[before..]
        .iter()
        .filter_map(|r| match r {
            OutputRecord::Update { update, .. } if update.status == OrderStatus::Canceled => {
                Some(update.id)
            }
            _ => None,
        })
        .collect();
    for id in &open {
        assert!(
            cancelled.contains(id),
            "{id:?} was not cancelled: {cancelled:?}"
        );
    }
    // Fresh: its warm-up starts again, and it trades once warm.
    assert!(engine.output().0[before..].iter().any(|r| matches!(
        r,
        OutputRecord::Request { request, .. } if request.kind == RequestKind::New
    )));
}

#[derive(Debug, Clone, Copy)]
enum Broken {
    MissingFile,
    NotALibrary,
    OldAbi,
}

#[rstest]
#[case::missing_file(Broken::MissingFile, "cannot read strategy library")]
#[case::not_a_library(Broken::NotALibrary, "is not a valid shared library")]
#[case::old_abi(Broken::OldAbi, "abi major 0 vs 1")]
fn swap_to_a_broken_library_is_refused_and_the_old_strategy_keeps_trading(
    #[case] broken: Broken,
    #[case] says: &str,
) {
    let Some((events, mut engine, host)) = engine_on_capture() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let path = match broken {
        Broken::MissingFile => tmp.path().join("libgone.so"),
        Broken::NotALibrary => {
            let p = tmp.path().join("libjunk.so");
            std::fs::write(&p, b"\x7fELF but not really a library").unwrap();
            p
        }
        Broken::OldAbi => built().old_abi.clone(),
    };
    let n = run_until_an_order_is_open(&mut engine, &events);
    let (p, h) = (path.clone(), host.clone());
    let replacement = Replacement {
        library: path.display().to_string(),
        sha256: None,
        create: Box::new(move || StrategyInstance::load(&p, "", &h)),
    };
    let report = engine.swap_strategy(0, &replacement).clone();
    assert_eq!(report.mode, SwapMode::Refused);
    let reason = report.reason.unwrap_or_default();
    assert!(reason.contains(says), "{reason}");
    let before = engine.output().0.len();
    for ev in &events[n..] {
        engine.on_event(ev);
    }
    assert!(engine.disabled_reason(0).is_none());
    assert!(
        engine.output().0[before..].iter().any(|r| matches!(
            r,
            OutputRecord::Request { request, .. } if request.kind == RequestKind::New
        )),
        "the old strategy stopped trading after the refused swap"
    );
}

/// `ladder paper --sim --headless` on `lib` with `args`, for `secs`; `during` runs while it
/// does, with the child's pid. Returns the summary and the JSON log lines.
fn paper(
    dir: &Path,
    lib: &Path,
    args: &[&str],
    secs: u64,
    during: impl FnOnce(u32),
) -> (Value, String) {
    let log = dir.join("log.jsonl");
    let report = dir.join("report");
    let mut child = std::process::Command::new(&built().ladder)
        .args(["paper", "--sim", "--headless", "--duration"])
        .arg(format!("{secs}s"))
        .arg("--strategy")
        .arg(lib)
        .arg("--report")
        .arg(&report)
        .arg("--log")
        .arg(&log)
        .args(["--log-format", "json"])
        .args(args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The session is up and its reload thread ready before anything is replaced.
    let ready = std::time::Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("hot reload ready")
    {
        assert!(
            ready.elapsed() < Duration::from_secs(60),
            "the session never got ready"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    during(child.id());
    let status = child.wait().unwrap();
    assert!(status.success(), "ladder paper failed: {status}");
    let summary = std::fs::read_to_string(report.join("summary.json")).unwrap();
    (
        serde_json::from_str(&summary).unwrap(),
        std::fs::read_to_string(&log).unwrap_or_default(),
    )
}

/// Replaces the file at `dst` by `src`'s bytes in one rename (as an install does).
fn install(src: &Path, dst: &Path) {
    let tmp = dst.with_extension("new");
    std::fs::copy(src, &tmp).unwrap();
    std::fs::rename(&tmp, dst).unwrap();
}

#[test]
fn paper_watch_swaps_a_replaced_library_and_refuses_a_broken_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = two_builds(tmp.path());
    let lib = tmp.path().join("libladder_strategy_imbalance.so");
    std::fs::copy(&a, &lib).unwrap();
    let junk = tmp.path().join("junk.so");
    std::fs::write(&junk, b"not a library at all").unwrap();
    let (summary, log) = paper(tmp.path(), &lib, &["--watch"], 12, |_| {
        std::thread::sleep(Duration::from_secs(1));
        install(&junk, &lib);
        std::thread::sleep(Duration::from_secs(3));
        install(&b, &lib);
    });
    assert!(
        log.contains("strategy reload refused; the running build goes on"),
        "{log}"
    );
    assert!(log.contains("strategy swapped"), "{log}");
    let swaps = summary["swaps"].as_array().unwrap();
    assert_eq!(swaps.len(), 1, "{swaps:?}");
    assert_eq!(swaps[0]["mode"], "handoff");
    assert_eq!(swaps[0]["old_sha256"], sha256(&a));
    assert_eq!(swaps[0]["new_sha256"], sha256(&b));
    let s = &summary["strategies"][0];
    assert!(s["disabled"].is_null(), "{s}");
    assert!(summary["events"].as_u64() > swaps[0]["event"].as_u64());
}

#[cfg(unix)]
#[test]
fn paper_sighup_reloads_the_library_with_handoff() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = two_builds(tmp.path());
    let lib = tmp.path().join("libladder_strategy_imbalance.so");
    std::fs::copy(&a, &lib).unwrap();
    let (summary, log) = paper(tmp.path(), &lib, &[], 10, |pid| {
        std::thread::sleep(Duration::from_secs(1));
        install(&b, &lib);
        let hup = std::process::Command::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status()
            .unwrap();
        assert!(hup.success());
    });
    let swaps = summary["swaps"].as_array().unwrap();
    assert_eq!(swaps.len(), 1, "{swaps:?}\n{log}");
    assert_eq!(swaps[0]["mode"], "handoff");
    assert_eq!(swaps[0]["new_sha256"], sha256(&b));
}
