//! Replays of several captures through the hot engine with strategies (issue 10, "how we will
//! know"): the shared spot capture cut in two after its snapshot replays, with both example
//! strategies, to exactly the one file's outputs; the spot and the USD-M capture in one replay
//! feed a strategy that reads both instruments every book update of each, and a strategy told
//! `symbol = "binance-usdm:BTCUSDT"` trades only that instrument.
//!
//! The CLI side (inspect of several captures, venue recognition) is in
//! `engine/tests/multi_capture.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ladder_engine::capture::merge::CaptureInput;
use ladder_engine::capture::{CaptureReader, Next};
use ladder_engine::config::Config;
use ladder_engine::feed::Venue;
use ladder_engine::plugin::{HostConfig, StrategyInstance};
use ladder_engine::replay::{ReplayOptions, Speed, StrategySource, replay};
use ladder_sdk::{BookView, Context, InitContext, InstrumentId, Strategy, StrategyError};
use ladder_strategy_imbalance::ImbalanceStrategy;
use ladder_tests::{example_strategies_with, shared};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

const SPOT: &str = "captures/binance-spot_btcusdt_20240808.gz";
const USDM: &str = "captures/binance-usdm_btcusdt_20240808.gz";
const SPOT_NAME: &str = "binance-spot:BTCUSDT";
const USDM_NAME: &str = "binance-usdm:BTCUSDT";
const CSVS: [&str; 4] = ["orders.csv", "fills.csv", "signals.csv", "status.csv"];

fn input(path: &Path, venue: Venue) -> CaptureInput {
    CaptureInput {
        path: path.to_path_buf(),
        venue,
    }
}

/// Replays `captures` with `strategies` into `dir`; returns `summary.json`.
fn run(captures: Vec<CaptureInput>, strategies: Vec<StrategySource>, dir: &Path) -> Value {
    let config = Config::parse(
        "[paper]\nmaker_fee_bps = \"-0.5\"\ntaker_fee_bps = \"4\"\n",
        Path::new("multi.toml"),
    )
    .unwrap();
    replay(ReplayOptions {
        captures,
        strategies,
        config,
        config_sha256: None,
        report_dir: dir.to_path_buf(),
        speed: Speed::Max,
        progress: false,
    })
    .unwrap();
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// The summary without what depends on the machine (`timing`) or names the files (`source`).
fn comparable(mut summary: Value) -> Value {
    let o = summary.as_object_mut().unwrap();
    o.remove("timing");
    o.remove("source");
    summary
}

/// The spot capture cut right after its REST snapshot line, as two files in `dir`.
fn split_spot(spot: &Path, dir: &Path) -> (PathBuf, PathBuf) {
    let mut lines = Vec::new();
    let mut r = CaptureReader::open(spot).unwrap();
    while let Some(next) = r.next_line().unwrap() {
        let Next::Line(l) = next else {
            panic!("malformed line in {}", spot.display())
        };
        let frame = std::str::from_utf8(l.frame).unwrap();
        lines.push(format!("{} {frame}", l.ts_recv.as_nanos()));
    }
    let is_snapshot = |l: &String| l.contains(" {\"lastUpdateId\"");
    let at = lines.iter().position(is_snapshot).unwrap();
    let (a, b) = lines.split_at(at + 1);
    assert!(
        !b.iter().any(is_snapshot),
        "the second file has no snapshot"
    );
    let write = |name: &str, lines: &[String]| {
        let path = dir.join(name);
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        path
    };
    (write("day1.txt", a), write("day2.txt", b))
}

#[test]
fn replay_spot_capture_split_after_its_snapshot_equals_the_one_file_with_both_strategies() {
    let Some(spot) = shared(SPOT) else {
        return;
    };
    let files = tempfile::tempdir().unwrap();
    let (day1, day2) = split_spot(&spot, files.path());
    let strategies = || example_strategies_with("", "tick_size = \"0.01\"");
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let whole = run(
        vec![input(&spot, Venue::BinanceSpot)],
        strategies(),
        one.path(),
    );
    let split = run(
        vec![
            input(&day1, Venue::BinanceSpot),
            input(&day2, Venue::BinanceSpot),
        ],
        strategies(),
        two.path(),
    );
    // Something to compare: both strategies traded, the book stayed synced.
    for s in whole["strategies"].as_array().unwrap() {
        assert!(s["orders"].as_u64().unwrap() > 0, "{s}");
        assert!(s["fills"].as_u64().unwrap() > 0, "{s}");
    }
    assert_eq!(whole["gaps"], 0);
    assert_eq!(whole["books"][SPOT_NAME]["state"], "synced");
    assert_eq!(comparable(split), comparable(whole));
    for f in CSVS {
        let (a, b) = (
            std::fs::read(one.path().join(f)).unwrap(),
            std::fs::read(two.path().join(f)).unwrap(),
        );
        assert!(a == b, "{f} differs between the one file and the two");
    }
}

// ---- a strategy that reads both instruments -------------------------------------------------

/// Book updates `BothBooks` saw: spot, USD-M, any other instrument.
static SEEN: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

/// Asks for both BTCUSDT instruments by venue-qualified name at init (and checks the bare,
/// ambiguous name resolves to neither), then counts each one's book updates in [`SEEN`].
struct BothBooks {
    spot: InstrumentId,
    usdm: InstrumentId,
}

impl Strategy for BothBooks {
    fn new(_config: &str, ctx: &mut InitContext<'_>) -> Result<Self, StrategyError> {
        let get = |name: &str| {
            ctx.instrument(name)
                .ok_or_else(|| StrategyError::new(format!("no instrument {name}")))
        };
        let (spot, usdm) = (get(SPOT_NAME)?, get(USDM_NAME)?);
        if spot == usdm {
            return Err(StrategyError::new("one id for two instruments"));
        }
        if let Some(id) = ctx.instrument("BTCUSDT") {
            return Err(StrategyError::new(format!(
                "the bare symbol is on two venues, yet it resolved to {id:?}"
            )));
        }
        Ok(Self { spot, usdm })
    }

    fn on_book(&mut self, _ctx: &mut Context<'_>, book: &BookView<'_>) {
        let k = if book.instrument() == self.spot {
            0
        } else if book.instrument() == self.usdm {
            1
        } else {
            2
        };
        SEEN[k].fetch_add(1, Ordering::Relaxed);
    }
}

fn imbalance(name: &'static str, config: &str) -> StrategySource {
    let config = config.to_owned();
    let c = config.clone();
    StrategySource::Static {
        label: name.into(),
        config,
        factory: Box::new(move |h: &HostConfig| {
            StrategyInstance::new_static::<ImbalanceStrategy>(name, &c, h)
        }),
    }
}

/// `(instrument, rows)` of the `orders.csv` rows of `strategy`, in order of first appearance.
///
/// Left out: cancel requests and cancels refused for an order the exchange no longer knows
/// (a cancel names an order id, no instrument: both rows leave the instrument empty).
fn orders_by_instrument(dir: &Path, strategy: &str) -> Vec<(String, usize)> {
    let text = std::fs::read_to_string(dir.join("orders.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("ts,strategy,instrument,id,side,type,price,qty,status,reason")
    );
    let mut out: Vec<(String, usize)> = Vec::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        let unknown_cancel = f[8] == "cancel_rejected" && f[9] == "unknown_order";
        if unknown_cancel {
            assert_eq!((f[2], f[4], f[6]), ("", "", ""), "{l}");
        }
        if f[1] != strategy || f[5] == "cancel" || unknown_cancel {
            continue;
        }
        match out.iter_mut().find(|(i, _)| i == f[2]) {
            Some((_, n)) => *n += 1,
            None => out.push((f[2].to_owned(), 1)),
        }
    }
    out
}

#[test]
fn replay_spot_and_usdm_together_feeds_both_instruments_and_a_symbol_config_picks_one() {
    let (Some(spot), Some(usdm)) = (shared(SPOT), shared(USDM)) else {
        return;
    };
    // Each capture alone: its instrument's book updates.
    let alone = |path: &Path, venue| {
        let dir = tempfile::tempdir().unwrap();
        let s = run(vec![input(path, venue)], Vec::new(), dir.path());
        s["book_updates"].as_u64().unwrap()
    };
    let spot_updates = alone(&spot, Venue::BinanceSpot);
    let usdm_updates = alone(&usdm, Venue::BinanceUsdm);
    assert!(spot_updates > 3_000 && usdm_updates > 6_000);

    let dir = tempfile::tempdir().unwrap();
    let both = StrategySource::Static {
        label: "both-books".into(),
        config: String::new(),
        factory: Box::new(|h: &HostConfig| {
            StrategyInstance::new_static::<BothBooks>("both-books", "", h)
        }),
    };
    let strategies = vec![
        both,
        imbalance("imbalance-usdm", &format!("symbol = \"{USDM_NAME}\"")),
        // Without `symbol` it trades the first instrument it sees: spot comes first here.
        imbalance("imbalance-first", ""),
    ];
    let s = run(
        vec![
            input(&spot, Venue::BinanceSpot),
            input(&usdm, Venue::BinanceUsdm),
        ],
        strategies,
        dir.path(),
    );
    assert_eq!(s["gaps"], 0, "{s}");
    assert_eq!(s["book_updates"], spot_updates + usdm_updates, "{s}");
    let seen = SEEN.each_ref().map(|n| n.load(Ordering::Relaxed));
    assert_eq!(seen, [spot_updates, usdm_updates, 0]);
    for st in s["strategies"].as_array().unwrap() {
        assert!(st["disabled"].is_null(), "{st}");
    }

    let usdm_only = orders_by_instrument(dir.path(), "imbalance-usdm");
    assert_eq!(usdm_only.len(), 1, "{usdm_only:?}");
    assert_eq!(usdm_only[0].0, USDM_NAME);
    assert!(usdm_only[0].1 > 0);
    let first = orders_by_instrument(dir.path(), "imbalance-first");
    assert_eq!(
        first.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
        [SPOT_NAME]
    );
    // Fills: in `fills.csv` and in each strategy's per-instrument results.
    let fills = std::fs::read_to_string(dir.path().join("fills.csv")).unwrap();
    for l in fills.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let want = if f[1] == "imbalance-usdm" {
            USDM_NAME
        } else {
            SPOT_NAME
        };
        assert_eq!(f[2], want, "{l}");
    }
    for (k, name, traded) in [
        (1, "imbalance-usdm", USDM_NAME),
        (2, "imbalance-first", SPOT_NAME),
    ] {
        let st = &s["strategies"][k];
        assert_eq!(st["name"], name, "{st}");
        assert!(st["fills"].as_u64().unwrap() > 0, "{st}");
        let with_fills: Vec<&String> = st["instruments"].as_object().unwrap().keys().collect();
        assert_eq!(with_fills, [traded], "{st}");
    }
}
