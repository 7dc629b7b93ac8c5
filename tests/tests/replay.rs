//! `ladder replay` through the hot engine with both example strategies on the real USD-M
//! capture: orders and fills happen, two replays are byte-identical, and positions and PnL
//! recomputed from `fills.csv` alone equal `summary.json` exactly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ladder_engine::capture::merge::CaptureInput;
use ladder_engine::config::Config;
use ladder_engine::feed::Venue;
use ladder_engine::replay::{ReplayOptions, Speed, replay};
use ladder_tests::{example_strategies, shared};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

const CAPTURE: &str = "captures/binance-usdm_btcusdt_20240808.gz";

fn run(capture: &Path, dir: &Path) -> Value {
    let config = Config::parse(
        "[paper]\nmaker_fee_bps = \"-0.5\"\ntaker_fee_bps = \"4\"\n[output]\nsignals_every = 50\n",
        Path::new("test.toml"),
    )
    .unwrap();
    replay(ReplayOptions {
        captures: vec![CaptureInput {
            path: capture.to_path_buf(),
            venue: Venue::BinanceUsdm,
        }],
        strategies: example_strategies(),
        config,
        config_sha256: None,
        report_dir: dir.to_path_buf(),
        speed: Speed::Max,
        progress: false,
    })
    .unwrap();
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

fn without_timing(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("timing");
    v
}

#[test]
fn replay_both_strategies_is_deterministic_and_accounts_exactly() {
    let Some(capture) = shared(CAPTURE) else {
        return;
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let sa = run(&capture, a.path());
    let sb = run(&capture, b.path());

    // Both strategies trade.
    for s in sa["strategies"].as_array().unwrap() {
        assert!(s["orders"].as_u64().unwrap() > 0, "{s}");
        assert!(s["fills"].as_u64().unwrap() > 0, "{s}");
        assert!(s["disabled"].is_null(), "{s}");
    }
    assert_eq!(sa["gaps"], 0);
    assert_eq!(sa["frames"], 93_954);

    // Determinism: identical files, identical summary once `timing` is set aside.
    for f in ["orders.csv", "fills.csv", "signals.csv"] {
        let (x, y) = (
            std::fs::read(a.path().join(f)).unwrap(),
            std::fs::read(b.path().join(f)).unwrap(),
        );
        assert!(x == y, "{f} differs between two replays");
    }
    assert_eq!(without_timing(sa.clone()), without_timing(sb));

    // Accounting from fills.csv alone: average cost in lots; the basis released by a partial
    // close rounded to 12 places, half to even (engine/src/paper/account.rs); exact otherwise.
    #[derive(Default)]
    struct Book {
        lots: i64,
        basis: Decimal,
        realized: Decimal,
        fees: Decimal,
    }
    let mut books: BTreeMap<(String, String), Book> = BTreeMap::new();
    let fills = std::fs::read_to_string(a.path().join("fills.csv")).unwrap();
    let mut lines = fills.lines();
    assert_eq!(
        lines.next().unwrap(),
        "ts,strategy,instrument,order_id,side,price,qty,liquidity,fee,position_after"
    );
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let lot = Decimal::from_str(sa["instruments"][f[2]]["lot_size"].as_str().unwrap()).unwrap();
        let d = |s: &str| Decimal::from_str(s).unwrap();
        let (price, qty, fee) = (d(f[5]), d(f[6]), d(f[8]));
        let n: i64 = (qty / lot).try_into().unwrap();
        let signed = if f[4] == "buy" { n } else { -n };
        let b = books.entry((f[1].to_owned(), f[2].to_owned())).or_default();
        b.fees += fee;
        if b.lots == 0 || b.lots.signum() == signed.signum() {
            b.basis += Decimal::from(signed) * lot * price;
        } else {
            let closing = b.lots.abs().min(n);
            let portion = if closing == b.lots.abs() {
                b.basis
            } else {
                (b.basis * Decimal::from(closing) / Decimal::from(b.lots.abs()))
                    .round_dp_with_strategy(12, rust_decimal::RoundingStrategy::MidpointNearestEven)
            };
            b.realized += Decimal::from(b.lots.signum() * closing) * lot * price - portion;
            b.basis -= portion;
            if n > closing {
                b.basis = Decimal::from(signed.signum() * (n - closing)) * lot * price;
            }
        }
        b.lots += signed;
        if b.lots == 0 {
            b.basis = Decimal::ZERO;
        }
        assert_eq!(
            Decimal::from(b.lots) * lot,
            d(f[9]),
            "position_after column: {line}"
        );
    }
    assert!(!books.is_empty());
    for s in sa["strategies"].as_array().unwrap() {
        let name = s["name"].as_str().unwrap();
        let (mut realized, mut fees) = (Decimal::ZERO, Decimal::ZERO);
        for ((strategy, symbol), b) in &books {
            if strategy != name {
                continue;
            }
            let inst = &s["instruments"][symbol];
            let dec = |k: &str| Decimal::from_str(inst[k].as_str().unwrap()).unwrap();
            let lot = Decimal::from_str(
                sa["instruments"][symbol.as_str()]["lot_size"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
            assert_eq!(
                dec("position"),
                Decimal::from(b.lots) * lot,
                "{name} {symbol} position"
            );
            assert_eq!(dec("realized_pnl"), b.realized, "{name} {symbol} realized");
            assert_eq!(dec("fees"), b.fees, "{name} {symbol} fees");
            realized += b.realized;
            fees += b.fees;
        }
        let total = |k: &str| Decimal::from_str(s[k].as_str().unwrap()).unwrap();
        assert_eq!(total("realized_pnl"), realized, "{name} realized");
        assert_eq!(total("fees"), fees, "{name} fees");
        assert_eq!(
            total("net_pnl"),
            total("realized_pnl") + total("unrealized_pnl") - total("fees")
        );
    }
}

/// The capture's lines as `(receive stamp, frame)`.
fn capture_lines(path: &Path) -> Vec<(u64, String)> {
    use ladder_engine::capture::{CaptureReader, Next};
    let mut out = Vec::new();
    let mut r = CaptureReader::open(path).unwrap();
    while let Some(next) = r.next_line().unwrap() {
        let Next::Line(l) = next else {
            panic!("malformed line in {}", path.display())
        };
        let frame = std::str::from_utf8(l.frame).unwrap().to_owned();
        out.push((l.ts_recv.as_nanos(), frame));
    }
    out
}

/// `lines` written to `dir/name` with each stamp replaced by `stamp(index, stamp)`.
fn restamped(
    dir: &Path,
    name: &str,
    lines: &[(u64, String)],
    stamp: impl Fn(usize, u64) -> u64,
) -> std::path::PathBuf {
    let text: String = lines
        .iter()
        .enumerate()
        .map(|(i, (ts, frame))| format!("{} {frame}\n", stamp(i, *ts)))
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn replay_clock_stepped_back_or_stamped_u64_max_keeps_the_fills_and_counts_the_anomaly() {
    let Some(capture) = shared(CAPTURE) else {
        return;
    };
    let lines = capture_lines(&capture);
    let mid = lines.len() / 2;
    const HOUR: u64 = 3_600_000_000_000;
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        // A clock stepped back an hour mid-capture (an NTP correction): before the engine's
        // time was made to follow it, the second half ran at one frozen instant, no order
        // reached the exchange, and half the fills silently went missing.
        (
            restamped(dir.path(), "back.txt", &lines, |i, t| {
                if i >= mid { t - HOUR } else { t }
            }),
            "backwards",
        ),
        // One line stamped u64::MAX: before, engine time stayed there and every later order
        // arrived with no latency; a paced replay slept for months.
        (
            restamped(dir.path(), "max.txt", &lines, |i, t| {
                if i == mid { u64::MAX } else { t }
            }),
            "implausible",
        ),
    ];
    let out = tempfile::tempdir().unwrap();
    let base = run(&capture, &out.path().join("base"));
    assert_eq!(base["clock"]["anomalies"], 0, "{}", base["clock"]);
    assert!(base["clock"]["first_line"].is_null());
    assert!(base.get("truncated").is_none());
    assert!(base["fills"].as_u64().unwrap() > 0);
    for (k, (path, kind)) in cases.iter().enumerate() {
        let s = run(path, &out.path().join(k.to_string()));
        assert_eq!(s["clock"][kind], 1, "{kind}: {}", s["clock"]);
        assert_eq!(s["clock"]["anomalies"], 1, "{kind}: {}", s["clock"]);
        assert_eq!(s["clock"]["first_line"], mid as u64 + 1, "{kind}");
        for key in [
            "frames", "gaps", "orders", "cancels", "fills", "net_pnl", "fees",
        ] {
            assert_eq!(s[key], base[key], "{kind}: {key}");
        }
        for (a, b) in s["strategies"]
            .as_array()
            .unwrap()
            .iter()
            .zip(base["strategies"].as_array().unwrap())
        {
            assert_eq!(a["fills"], b["fills"], "{kind}: {}", a["name"]);
            assert_eq!(a["net_pnl"], b["net_pnl"], "{kind}: {}", a["name"]);
        }
    }
}
