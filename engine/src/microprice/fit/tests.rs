//! Estimator tests: the §3.6 hand check (hard-coded and against the shared vectors), both
//! conventions, unvisited states and singular systems.

use super::*;
use crate::microprice::input::read_csv;
use rstest::rstest;
use std::io::Write;
use std::path::PathBuf;
use std::str::FromStr;

/// `tiny_handcheck.csv` of `docs/signals.md` §3.6 as (bid, bs, ask, as).
const HANDCHECK: [(&str, f64, &str, f64); 21] = [
    ("10.00", 10.0, "10.01", 40.0),
    ("10.00", 11.0, "10.01", 40.0),
    ("10.00", 12.0, "10.01", 40.0),
    ("10.00", 13.0, "10.01", 40.0),
    ("10.00", 14.0, "10.01", 40.0),
    ("10.00", 15.0, "10.01", 40.0),
    ("9.99", 16.0, "10.00", 40.0),
    ("10.00", 17.0, "10.01", 40.0),
    ("10.00", 40.0, "10.01", 10.0),
    ("10.00", 40.0, "10.01", 11.0),
    ("10.00", 40.0, "10.01", 12.0),
    ("10.00", 40.0, "10.01", 13.0),
    ("10.00", 40.0, "10.01", 14.0),
    ("10.00", 40.0, "10.01", 15.0),
    ("10.01", 40.0, "10.02", 16.0),
    ("10.00", 40.0, "10.01", 17.0),
    ("10.00", 18.0, "10.01", 40.0),
    ("10.00", 40.0, "10.01", 18.0),
    ("10.01", 19.0, "10.02", 40.0),
    ("10.00", 40.0, "10.01", 19.0),
    ("10.00", 20.0, "10.01", 40.0),
];

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal literal")
}

fn handcheck_quotes() -> Vec<Quote> {
    HANDCHECK
        .iter()
        .map(|&(b, bs, a, as_)| Quote {
            bid: dec(b),
            bid_size: bs,
            ask: dec(a),
            ask_size: as_,
        })
        .collect()
}

fn config(n_imb: usize, n_spread: usize, bucketing: Bucketing) -> FitConfig {
    FitConfig {
        tick: dec("0.01"),
        imbalance_buckets: n_imb,
        spread_ticks: n_spread,
        bucketing,
    }
}

fn close(got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= tol, "{got:?} vs {want:?}");
    }
}

#[rstest]
#[case::symmetric(Bucketing::Symmetric)]
#[case::quantile(Bucketing::Quantile)]
fn handcheck_matches_exact_rationals(#[case] bucketing: Bucketing) {
    let f = fit(&handcheck_quotes(), config(2, 1, bucketing)).expect("fit");
    assert_eq!(f.rows_used, 21);
    assert_eq!(f.transitions, 20);
    assert_eq!(f.counts, vec![20, 20]);
    close(&f.k, &[-0.01, 0.01], 1e-15);
    close(&f.q.to_rows().concat(), &[0.5, 0.2, 0.2, 0.5], 1e-15);
    close(&f.r1.to_rows().concat(), &[0.2, 0.1, 0.1, 0.2], 1e-15);
    close(&f.r2.to_rows().concat(), &[0.2, 0.1, 0.1, 0.2], 1e-15);
    close(
        &f.b.to_rows().concat(),
        &[4.0 / 7.0, 3.0 / 7.0, 3.0 / 7.0, 4.0 / 7.0],
        1e-14,
    );
    close(&f.g1, &[-1.0 / 700.0, 1.0 / 700.0], 1e-15);
    let g6 = (1.0 / 600.0) * (1.0 - 7_f64.powi(-6));
    close(&f.g6, &[-g6, g6], 1e-15);
    close(&f.g_star, &[-1.0 / 600.0, 1.0 / 600.0], 1e-15);
    assert_eq!(f.g_star_terms, 16);
    assert!(f.unvisited.is_empty());
}

#[test]
fn handcheck_edges_per_convention() {
    let a = fit(&handcheck_quotes(), config(2, 1, Bucketing::Quantile)).expect("fit");
    close(&a.edges, &[0.2, 1.0 / 3.0, 0.8], 0.0);
    let b = fit(&handcheck_quotes(), config(2, 1, Bucketing::Symmetric)).expect("fit");
    close(&b.edges, &[0.2, 0.5, 0.8], 1e-15);
}

#[test]
fn no_move_spread_change_is_booked_at_true_state_only_under_b() {
    // Tick 0.005 so the spread can change between 4 and 2 ticks while the mid stays.
    let q = |b: &str, bs: f64, a: &str, as_: f64| Quote {
        bid: dec(b),
        bid_size: bs,
        ask: dec(a),
        ask_size: as_,
    };
    let quotes = vec![
        q("10.000", 30.0, "10.020", 10.0), // S=4, I=.75, mid2 4004
        q("10.005", 21.0, "10.015", 9.0),  // S=2, I=.70, no move: spread 4 -> 2
        q("10.005", 10.0, "10.015", 30.0), // S=2, I=.25, no move
        q("10.010", 9.0, "10.020", 21.0),  // S=2, I=.30, +1 tick
        q("10.005", 30.0, "10.025", 10.0), // S=4, I=.75, no move: spread 2 -> 4
        q("10.010", 10.0, "10.030", 30.0), // S=4, I=.25, +1 tick
        q("10.015", 40.0, "10.035", 10.0), // S=4, I=.8, +1 tick
        q("10.015", 10.0, "10.035", 40.0), // S=4, I=.2, no move
    ];
    let cfg = |bucketing| FitConfig {
        tick: dec("0.005"),
        imbalance_buckets: 2,
        spread_ticks: 4,
        bucketing,
    };
    let a = fit(&quotes, cfg(Bucketing::Quantile)).expect("fit A");
    let b = fit(&quotes, cfg(Bucketing::Symmetric)).expect("fit B");
    close(&a.edges, &[0.2, 0.5, 0.8], 1e-15);
    close(&b.edges, &[0.2, 0.5, 0.8], 1e-15);
    // From (S=4, bucket 1) = state 7, the no-move step lands in (S=2, bucket 1) = state 3. B books
    // it there; A keeps it in the current spread's block, at (S=4, bucket 1).
    assert_eq!((b.q[(7, 3)], b.q[(7, 6)], b.q[(7, 7)]), (0.25, 0.25, 0.0));
    assert_eq!((a.q[(7, 3)], a.q[(7, 6)], a.q[(7, 7)]), (0.0, 0.25, 0.25));
    assert_ne!(a.g_star, b.g_star);
    // Spreads 1 and 3 never occur: unvisited, G = 0 there, and no NaN anywhere.
    let unvisited: Vec<usize> = b.unvisited.iter().map(|s| s.spread_ticks).collect();
    assert_eq!(unvisited, vec![1, 1, 3, 3]);
    for g in [&a.g_star, &b.g_star, &a.g6, &b.g1] {
        assert!(g.iter().all(|v| v.is_finite()));
    }
    assert_eq!((b.g_star[0], b.g_star[4]), (0.0, 0.0));
    // Symmetrised data give an antisymmetric G within each spread.
    for f in [&a, &b] {
        for s in [1, 3] {
            assert!(
                (f.g_star[2 * s] + f.g_star[2 * s + 1]).abs() < 1e-15,
                "{:?}",
                f.g_star
            );
        }
    }
}

#[test]
fn closed_no_move_class_is_singular() {
    // The spread-2 states only ever go to each other without a move: rows of Q sum to 1.
    let q = |b: &str, bs: f64, a: &str, as_: f64| Quote {
        bid: dec(b),
        bid_size: bs,
        ask: dec(a),
        ask_size: as_,
    };
    let quotes = vec![
        q("10.00", 30.0, "10.02", 10.0),
        q("10.00", 10.0, "10.02", 30.0),
        q("10.00", 30.0, "10.02", 10.0),
    ];
    let err = fit(&quotes, config(2, 2, Bucketing::Symmetric)).expect_err("singular");
    assert!(matches!(err, FitError::Singular { .. }), "{err}");
    assert!(err.to_string().contains("singular"), "{err}");
}

#[rstest]
#[case::zero_buckets(config(0, 1, Bucketing::Symmetric))]
#[case::zero_spreads(config(2, 0, Bucketing::Symmetric))]
#[case::bad_tick(FitConfig { tick: Decimal::ZERO, ..config(2, 1, Bucketing::Symmetric) })]
fn invalid_settings_are_errors(#[case] cfg: FitConfig) {
    assert!(matches!(
        fit(&handcheck_quotes(), cfg),
        Err(FitError::InvalidArgument(_))
    ));
}

#[test]
fn too_few_rows_is_an_error() {
    let quotes = &handcheck_quotes()[..1];
    assert!(matches!(
        fit(quotes, config(2, 1, Bucketing::Symmetric)),
        Err(FitError::NotEnoughRows { kept: 1, .. })
    ));
}

// --- Shared vectors (`../shared/vectors/microprice`) ----------------------------------------

fn shared(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/microprice"
    ))
    .join(rel);
    if p.exists() {
        return Some(p);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "shared vector {} is missing (CI=true requires ../shared)",
            p.display()
        );
    }
    eprintln!("skipping: shared vector {} not found", p.display());
    None
}

fn json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("read shared vector");
    serde_json::from_str(&text).expect("shared vector is JSON")
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

#[test]
fn shared_handcheck_csv_reads_as_hardcoded_quotes() {
    let Some(csv) = shared("tiny_handcheck.csv") else {
        return;
    };
    assert_eq!(read_csv(&csv).expect("valid csv"), handcheck_quotes());
}

#[rstest]
#[case::symmetric(Bucketing::Symmetric)]
#[case::quantile(Bucketing::Quantile)]
fn shared_handcheck_expected_json(#[case] bucketing: Bucketing) {
    let (Some(csv), Some(exp)) = (
        shared("tiny_handcheck.csv"),
        shared("tiny_handcheck.expected.json"),
    ) else {
        return;
    };
    let f = fit(&read_csv(&csv).expect("csv"), config(2, 1, bucketing)).expect("fit");
    let e = json(&exp);
    close(&f.k, &floats(&e["K"]), 1e-12);
    close(&f.g1, &floats(&e["float_G1"]), 1e-12);
    close(&f.g6, &floats(&e["float_G6"]), 1e-12);
    close(&f.g_star, &floats(&e["float_G_star"]), 1e-12);
}

#[test]
fn shared_qcut_author_reference_output() {
    let (Some(csv), Some(exp)) = (
        shared("tiny_handcheck.csv"),
        shared("tiny_handcheck.n2s1.qcut_author.json"),
    ) else {
        return;
    };
    let e = json(&exp);
    assert_eq!(e["params"]["bucketing"], "qcut");
    let f = fit(
        &read_csv(&csv).expect("csv"),
        config(2, 1, Bucketing::Quantile),
    )
    .expect("fit");
    assert_eq!(f.rows_used as u64, e["n_rows_kept"].as_u64().expect("int"));
    assert_eq!(
        f.transitions as u64,
        e["n_transitions_before_symmetrisation"]
            .as_u64()
            .expect("int")
    );
    close(&f.edges, &floats(&e["imbalance_edges"]), 1e-12);
    close(&f.k, &floats(&e["K"]), 1e-12);
    let counts: Vec<f64> = f.counts.iter().map(|&c| c as f64).collect();
    close(&counts, &floats(&e["counts_per_state"]), 0.0);
    for (name, m) in [("Q", &f.q), ("R1", &f.r1), ("R2", &f.r2), ("B", &f.b)] {
        let want: Vec<f64> = e[name]
            .as_array()
            .expect("rows")
            .iter()
            .flat_map(floats)
            .collect();
        close(&m.to_rows().concat(), &want, 1e-12);
    }
    close(&f.g1, &floats(&e["G1"]), 1e-12);
    close(&f.g6, &floats(&e["G6"]), 1e-12);
    close(&f.g_star, &floats(&e["G_star"]), 1e-12);
    assert_eq!(
        f.g_star_terms as u64,
        e["G_star_terms_used"].as_u64().expect("int")
    );
}

#[test]
fn csv_roundtrip_through_tempfile() {
    let mut tmp = tempfile::NamedTempFile::new().expect("temp");
    for (b, bs, a, as_) in HANDCHECK {
        writeln!(tmp, "40603, 34200, {b}, {bs}, {a}, {as_}").expect("write");
    }
    let f = fit(
        &read_csv(tmp.path()).expect("csv"),
        config(2, 1, Bucketing::Quantile),
    )
    .expect("fit");
    close(&f.g_star, &[-1.0 / 600.0, 1.0 / 600.0], 1e-15);
}
