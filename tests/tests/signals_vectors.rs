//! Golden tests: every worked value of `../shared/vectors/signals/signals_examples.json`
//! (`docs/signals.md` §§1–6 and the §3.6 micro-price hand check), recomputed with the sdk's
//! signal functions. Prices are computed in ticks and converted with the file's tick (0.01).
//!
//! Without `../shared` the tests print a skip reason and pass, unless `CI=true`, where a missing
//! file is a failure.
//!
//! The binary also installs a counting allocator to check that the signal functions and the
//! warm stateful windows do not allocate per call.

use ladder_engine::microprice::{Bucketing, FitConfig, TableFile, fit, read_csv};
use ladder_sdk::signal::{
    CurrentSample, DepthWeights, Deviation, LogisticModel, Ofi, OfiConvention, OfiStep,
    RollingZScore, TradeImbalance, TradeWindow, Vpin, ZScoreConfig, bvc_buy_volume,
    effective_quote, integrated_ofi, mid, normal_cdf, spread, top_imbalance, trade_flow, vamp,
    vamp_effective, weighted_depth_price, weighted_mid,
};
use ladder_sdk::{Level, Price, Quantity, Side, UnixNanos};
use ladder_tests::shared;
use serde_json::Value;

const PRICE_TOL: f64 = 1e-9;
const PROB_TOL: f64 = 1e-10;

fn examples() -> Option<Value> {
    let path = shared("vectors/signals/signals_examples.json")?;
    let text = std::fs::read_to_string(&path).expect("read signals_examples.json");
    Some(serde_json::from_str(&text).expect("signals_examples.json is JSON"))
}

fn f(v: &Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("expected a number, got {v}"))
}

fn i(v: &Value) -> i64 {
    v.as_i64()
        .unwrap_or_else(|| panic!("expected an integer, got {v}"))
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(f).collect()
}

fn ints(v: &Value) -> Vec<i64> {
    v.as_array().expect("array").iter().map(i).collect()
}

fn near(got: f64, want: f64, tol: f64, what: &str) {
    assert!((got - want).abs() <= tol, "{what}: got {got}, want {want}");
}

fn lvl(ticks: i64, lots: i64) -> Level {
    Level::new(Price::from_ticks(ticks), Quantity::from_lots(lots))
}

/// The running example book from the file, prices converted to ticks.
fn book(e: &Value) -> (Vec<Level>, Vec<Level>, f64) {
    let tick = f(&e["book"]["tick"]);
    let side = |k: &str| -> Vec<Level> {
        e["book"][k]
            .as_array()
            .expect("levels")
            .iter()
            .map(|pq| lvl((f(&pq[0]) / tick).round() as i64, i(&pq[1])))
            .collect()
    };
    (side("bids"), side("asks"), tick)
}

#[test]
fn l1_values() {
    let Some(e) = examples() else { return };
    let (bids, asks, tick) = book(&e);
    let l1 = &e["l1"];
    near(
        mid(&bids, &asks).expect("mid") * tick,
        f(&l1["mid"]),
        PRICE_TOL,
        "mid",
    );
    near(
        spread(&bids, &asks).expect("spread") as f64 * tick,
        f(&l1["spread"]),
        PRICE_TOL,
        "spread",
    );
    let top = top_imbalance(&bids, &asks).expect("imbalance");
    near(top.i, f(&l1["I"]), 1e-15, "I");
    near(top.rho, f(&l1["rho"]), 1e-15, "rho");
    let w = weighted_mid(&bids, &asks).expect("weighted mid");
    near(w * tick, f(&l1["weighted_mid"]), PRICE_TOL, "weighted mid");
    assert_eq!(l1["weighted_mid_exact"], "40003/400");
    near(w, 40_003.0 / 4.0, 1e-12, "weighted mid exact in ticks");
}

#[test]
fn multilevel_prices() {
    let Some(e) = examples() else { return };
    let (bids, asks, tick) = book(&e);
    let m = &e["multilevel_prices"];
    near(
        vamp(&bids, &asks, 3).expect("vamp3") * tick,
        f(&m["vamp3"]),
        PRICE_TOL,
        "vamp3",
    );
    near(
        weighted_depth_price(&bids, &asks, 3).expect("wdp3") * tick,
        f(&m["weighted_depth_price3"]),
        PRICE_TOL,
        "weighted depth price",
    );
    let q = effective_quote(&bids, &asks, 3).expect("effective quote");
    near(q.bid_price * tick, f(&m["pb_eff"]), PRICE_TOL, "pb_eff");
    near(q.ask_price * tick, f(&m["pa_eff"]), PRICE_TOL, "pa_eff");
    near(
        vamp_effective(&bids, &asks, 3).expect("vamp eff") * tick,
        f(&m["vamp_effective3"]),
        PRICE_TOL,
        "vamp effective",
    );
}

#[test]
fn multilevel_imbalance() {
    let Some(e) = examples() else { return };
    let (bids, asks, _) = book(&e);
    let m = &e["multilevel_imbalance"];
    let uniform = ladder_sdk::signal::depth_imbalance(&bids, &asks, 3, DepthWeights::Uniform);
    near(uniform.expect("imb3"), f(&m["imb3"]), 1e-15, "imb3");
    let half = ladder_sdk::signal::depth_imbalance(
        &bids,
        &asks,
        3,
        DepthWeights::Geometric { lambda: 0.5 },
    );
    near(
        half.expect("imb3 decay"),
        f(&m["imb3_decay_half"]),
        1e-15,
        "imb3 decay half",
    );
}

/// The §4.4 sequence n0..n5 (inputs; the file holds only the results).
fn ofi_states() -> [([Level; 2], [Level; 2]); 6] {
    [
        (
            [lvl(10_000, 300), lvl(9_999, 200)],
            [lvl(10_001, 100), lvl(10_002, 400)],
        ),
        (
            [lvl(10_000, 350), lvl(9_999, 200)],
            [lvl(10_001, 100), lvl(10_002, 400)],
        ),
        (
            [lvl(10_000, 350), lvl(9_999, 200)],
            [lvl(10_001, 40), lvl(10_002, 400)],
        ),
        (
            [lvl(10_000, 350), lvl(9_999, 200)],
            [lvl(10_002, 400), lvl(10_003, 300)],
        ),
        (
            [lvl(10_001, 50), lvl(10_000, 350)],
            [lvl(10_002, 400), lvl(10_003, 300)],
        ),
        (
            [lvl(10_000, 350), lvl(9_999, 200)],
            [lvl(10_002, 400), lvl(10_003, 300)],
        ),
    ]
}

/// Per-step per-level contributions and the accumulator, for one convention.
fn run_ofi(convention: OfiConvention) -> (Vec<[i64; 2]>, Ofi) {
    let mut ofi = Ofi::new(2, convention);
    let mut steps = Vec::new();
    for (b, a) in ofi_states() {
        let before = [ofi.sum(0).expect("level 1"), ofi.sum(1).expect("level 2")];
        if let OfiStep::Added { best, .. } = ofi.update(&b, &a) {
            let after = [ofi.sum(0).expect("level 1"), ofi.sum(1).expect("level 2")];
            assert_eq!(best, after[0] - before[0]);
            steps.push([after[0] - before[0], after[1] - before[1]]);
        }
    }
    (steps, ofi)
}

#[test]
fn ofi_sequence() {
    let Some(e) = examples() else { return };
    let o = &e["ofi"];
    for (name, convention) in [("cks", OfiConvention::Cks), ("ccz", OfiConvention::Ccz)] {
        let (steps, ofi) = run_ofi(convention);
        for level in [1, 2] {
            let got: Vec<i64> = steps.iter().map(|s| s[level - 1]).collect();
            assert_eq!(
                got,
                ints(&o[format!("{name}_level{level}_e")]),
                "{name} level {level}"
            );
            assert_eq!(
                ofi.sum(level - 1),
                Some(i(&o[format!("{name}_level{level}_sum")]))
            );
        }
        if convention == OfiConvention::Ccz {
            let depth = [
                ofi.average_depth(0).expect("d1"),
                ofi.average_depth(1).expect("d2"),
            ];
            assert_eq!(depth.to_vec(), floats(&o["ccz_avg_depth_per_level"]));
            assert_eq!(ofi.depth_scale(), Some(f(&o["ccz_Q_M2"])));
            let scaled = [ofi.scaled(0).expect("s1"), ofi.scaled(1).expect("s2")];
            for (g, w) in scaled.iter().zip(floats(&o["ccz_ofi_scaled"])) {
                near(*g, w, 1e-12, "ccz scaled ofi");
            }
            let integrated = integrated_ofi(&scaled, &[0.4, 0.6]).expect("integrated");
            near(
                integrated,
                f(&o["ccz_integrated_with_w=(0.4,0.6)"]),
                1e-12,
                "integrated ofi",
            );
        }
    }
    let states = ofi_states();
    let (m0, m5) = (
        mid(&states[0].0, &states[0].1),
        mid(&states[5].0, &states[5].1),
    );
    let (m0, m5) = (m0.expect("mid n0"), m5.expect("mid n5"));
    near(m0 * 0.01, f(&o["mid_n0"]), PRICE_TOL, "mid n0");
    near(m5 * 0.01, f(&o["mid_n5"]), PRICE_TOL, "mid n5");
    near(m5 - m0, f(&o["dmid_ticks"]), 1e-12, "mid change in ticks");
}

#[test]
fn trade_imbalance_of_ofi_sequence_and_five_trades() {
    let Some(e) = examples() else { return };
    // n1..n5 trades: market buys of 60 and 40.
    let mut window = TradeImbalance::new(TradeWindow::Count(16));
    window.push(UnixNanos::from_nanos(2), Side::Buy, Quantity::from_lots(60));
    window.push(UnixNanos::from_nanos(3), Side::Buy, Quantity::from_lots(40));
    let t = &e["trade_imbalance"];
    assert_eq!(
        (window.flow().buy, window.flow().sell),
        (i(&t["V_B"]), i(&t["V_S"]))
    );
    assert_eq!(window.imbalance(), i(&t["TI"]));
    assert_eq!(window.normalized(), Some(f(&t["TI_norm"])));

    let t2 = &e["trade_imbalance_2"];
    let trades: Vec<(Side, Quantity)> = t2["trades"]
        .as_array()
        .expect("trades")
        .iter()
        .map(|tr| {
            let side = match tr[0].as_str() {
                Some("B") => Side::Buy,
                Some("S") => Side::Sell,
                other => panic!("unknown side {other:?}"),
            };
            (side, Quantity::from_lots(i(&tr[1])))
        })
        .collect();
    let flow = trade_flow(trades.iter().copied());
    assert_eq!(
        (flow.buy, flow.sell, flow.imbalance()),
        (i(&t2["V_B"]), i(&t2["V_S"]), i(&t2["TI"]))
    );
    near(
        flow.normalized().expect("volume"),
        f(&t2["TI_norm"]),
        1e-15,
        "TI/VOL",
    );
    let mut window = TradeImbalance::new(TradeWindow::Count(trades.len()));
    for (n, (side, qty)) in trades.into_iter().enumerate() {
        window.push(UnixNanos::from_nanos(n as u64), side, qty);
    }
    assert_eq!(window.flow(), flow);
}

#[test]
fn vpin_and_bvc() {
    let Some(e) = examples() else { return };
    let v = &e["vpin"];
    let buckets = v["buckets"].as_array().expect("buckets");
    let n = v["n"].as_u64().expect("n") as usize;
    let mut vpin = Vpin::new(f(&v["V"]), n);
    for b in buckets {
        vpin.push(f(&b[0]), f(&b[1]));
    }
    near(
        vpin.value().expect("n buckets"),
        f(&v["vpin"]),
        1e-15,
        "vpin",
    );

    let sigma = f(&v["bvc_sigma"]);
    let (mut vb, mut total) = (0.0, 0.0);
    for bar in v["bvc_bars"].as_array().expect("bars") {
        vb += bvc_buy_volume(f(&bar[0]), f(&bar[1]), sigma).expect("sigma > 0");
        total += f(&bar[0]);
    }
    // Python's erf-based Φ vs statrs: ~1e-11 per Φ, times volumes ≤ 60.
    near(vb, f(&v["bvc_VB"]), 1e-8, "bvc V_B");
    near(total - vb, f(&v["bvc_VS"]), 1e-8, "bvc V_S");
    near(
        (total - 2.0 * vb).abs(),
        f(&v["bvc_abs_imbalance"]),
        2e-8,
        "bvc |imbalance|",
    );
}

#[test]
fn gould_bonart_probabilities() {
    let Some(e) = examples() else { return };
    let probs = e["gould_bonart_p_up"].as_object().expect("object");
    assert_eq!(probs.len(), 10);
    for (key, p) in probs {
        let (stock, rho) = key.split_once("_I=").expect("key STOCK_I=rho");
        // Table 2 of Gould & Bonart (2016): the file's only external inputs.
        let model = match stock {
            "MSFT" => LogisticModel {
                intercept: 0.01,
                slope: 2.49,
            },
            "GOOG" => LogisticModel {
                intercept: 0.03,
                slope: 0.54,
            },
            other => panic!("unknown stock {other}"),
        };
        let rho: f64 = rho.parse().expect("rho");
        near(model.probability(rho).expect("finite"), f(p), PROB_TOL, key);
    }
}

#[test]
fn rolling_zscores() {
    let Some(e) = examples() else { return };
    let z = &e["zscore"];
    let window = floats(&z["window"]);
    let x = f(&z["x"]);
    let run = |deviation, current| {
        let mut zs = RollingZScore::new(ZScoreConfig {
            window: window.len(),
            deviation,
            current,
        });
        for &w in &window {
            zs.update(w);
        }
        let out = zs.update(x).expect("window full");
        (out, zs)
    };
    let (z_sample, _) = run(Deviation::Sample, CurrentSample::Excluded);
    near(z_sample, f(&z["z_sample"]), 1e-12, "z sample");
    near(
        normal_cdf(z_sample).expect("finite"),
        f(&z["p_from_z_sample"]),
        PROB_TOL,
        "Φ(z)",
    );
    let (z_pop, _) = run(Deviation::Population, CurrentSample::Excluded);
    near(z_pop, f(&z["z_population"]), 1e-12, "z population");
    let (z_incl, zs) = run(Deviation::Population, CurrentSample::Included);
    near(
        z_incl,
        f(&z["z_population_incl_current"]),
        1e-12,
        "z incl current",
    );
    assert_eq!(
        zs.stats().iter().collect::<Vec<_>>(),
        floats(&z["incl_current_window"])
    );

    let mut stats = ladder_sdk::signal::RollingStats::new(window.len());
    for &w in &window {
        stats.push(w);
    }
    near(stats.mean().expect("mean"), f(&z["mean"]), 1e-15, "mean");
    near(
        stats.std_dev(Deviation::Sample).expect("sd"),
        f(&z["sd_sample"]),
        1e-15,
        "sd sample",
    );
    near(
        stats.std_dev(Deviation::Population).expect("sd"),
        f(&z["sd_population"]),
        1e-15,
        "sd pop",
    );
}

#[test]
fn microprice_handcheck_summary() {
    let Some(e) = examples() else { return };
    let Some(csv) = shared("vectors/microprice/tiny_handcheck.csv") else {
        return;
    };
    let (bids, asks, tick) = book(&e);
    let m = &e["microprice_handcheck"];
    let quotes = read_csv(&csv).expect("handcheck csv");
    for bucketing in [Bucketing::Symmetric, Bucketing::Quantile] {
        let cfg = FitConfig {
            tick: "0.01".parse().expect("tick"),
            imbalance_buckets: 2,
            spread_ticks: 1,
            bucketing,
        };
        let fitted = fit(&quotes, cfg).expect("fit");
        let g1: Vec<f64> = fitted.g1.iter().map(|g| g / tick).collect();
        for (g, w) in g1.iter().zip(floats(&m["G1_ticks"])) {
            near(*g, w, 1e-12, "G1 ticks");
        }
        let b: Vec<f64> = m["B"]
            .as_array()
            .expect("B")
            .iter()
            .flat_map(floats)
            .collect();
        for (g, w) in fitted.b.to_rows().concat().iter().zip(b) {
            near(*g, w, 1e-12, "B");
        }
        near(fitted.g6[1] / tick, f(&m["G6_ticks"]), 1e-12, "G6 ticks");
        near(
            -fitted.g6[0] / tick,
            f(&m["G6_ticks"]),
            1e-12,
            "G6 ticks, L",
        );
        near(
            fitted.g_star[1] / tick,
            f(&m["G_star_ticks"]),
            1e-12,
            "G* ticks",
        );
        let table = TableFile::from_fit(&fitted)
            .to_table()
            .expect("valid table");
        let p = table.microprice(&bids, &asks).expect("state H") * tick;
        near(
            p,
            f(&m["microprice_for_book_in_state_H"]),
            PRICE_TOL,
            "micro-price",
        );
    }
}

// --- No allocation per call --------------------------------------------------------------------

#[global_allocator]
static GLOBAL: ladder_tests::alloc::Counting = ladder_tests::alloc::Counting;

#[test]
fn signal_calls_do_not_allocate_once_windows_are_built() {
    let states = ofi_states();
    let (bids, asks) = (&states[0].0, &states[0].1);
    let table =
        ladder_sdk::MicropriceTable::new(0.01, vec![0.2, 0.5, 0.8], vec![vec![-0.001, 0.001]])
            .expect("valid table");
    let mut ofi = Ofi::new(2, OfiConvention::Cks);
    let mut trades = TradeImbalance::new(TradeWindow::Time {
        span_ns: 10,
        capacity: 4,
    });
    let mut vpin = Vpin::new(100.0, 3);
    let mut z = RollingZScore::new(ZScoreConfig {
        window: 5,
        deviation: Deviation::Sample,
        current: CurrentSample::Excluded,
    });
    let before = ladder_tests::alloc::thread_allocations();
    let mut sink = 0.0;
    for n in 0..200_u64 {
        let (b, a) = (&states[n as usize % 6].0, &states[n as usize % 6].1);
        sink += mid(b, a).unwrap_or(0.0) + weighted_mid(b, a).unwrap_or(0.0);
        sink += top_imbalance(bids, asks).map_or(0.0, |t| t.rho);
        sink +=
            ladder_sdk::signal::depth_imbalance(b, a, 2, DepthWeights::Geometric { lambda: 0.5 })
                .unwrap_or(0.0);
        sink += vamp(b, a, 2).unwrap_or(0.0) + vamp_effective(b, a, 2).unwrap_or(0.0);
        sink += weighted_depth_price(b, a, 2).unwrap_or(0.0);
        sink += table.microprice(b, a).unwrap_or(0.0);
        if let OfiStep::Added { best, .. } = ofi.update(b, a) {
            sink += best as f64;
        }
        sink += ofi.scaled(1).unwrap_or(0.0);
        trades.push(
            UnixNanos::from_nanos(n),
            if n % 3 == 0 { Side::Sell } else { Side::Buy },
            Quantity::from_lots(7),
        );
        sink += trades.normalized().unwrap_or(0.0);
        vpin.push(30.0, 20.0);
        sink += vpin.value().unwrap_or(0.0);
        sink += z.update((n % 7) as f64).unwrap_or(0.0);
        sink += normal_cdf(0.3).unwrap_or(0.0) + bvc_buy_volume(10.0, 0.01, 0.02).unwrap_or(0.0);
    }
    let allocations = ladder_tests::alloc::thread_allocations() - before;
    assert!(sink.is_finite());
    assert_eq!(allocations, 0, "signal calls allocated {allocations} times");
}
