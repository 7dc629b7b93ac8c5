//! The bounded fuzz run `cargo test` includes: a fixed number of execs per target (seconds of
//! work in a debug build, the same inputs on every run), on scenarios cut from the shared
//! Binance and Bybit vectors. `scripts/fuzz.sh` runs the same harness for as long as asked.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ladder_tests::fuzz::corpus::{CorpusOptions, Recordings, TARGETS, Target, standard_target};
use ladder_tests::fuzz::pipeline::{Counts, Pipeline};
use ladder_tests::fuzz::{self, Budget};
use std::sync::OnceLock;

const SEED: u64 = 20_240_808;
const EXECS: u64 = 1_000;

/// Invariants the engine is known to break, each `(invariant, parts of the detail)`: a finding
/// listed here does not fail the bounded run. Empty: the crossed/locked and non-positive-price
/// synced books and the `snapshot_owner` overflow the fuzzer found are fixed (integrity faults
/// in `feed/binance/sync.rs`, price checks at decode).
const OPEN: &[(&str, &[&str])] = &[];

fn is_open(f: &fuzz::Finding) -> bool {
    OPEN.iter()
        .any(|(inv, parts)| f.invariant == *inv && parts.iter().all(|p| f.detail.contains(p)))
}

/// The three standard targets from the vectors, built once (`None` without `../shared`).
fn targets() -> Option<&'static [Target]> {
    static TARGETS_BUILT: OnceLock<Option<Vec<Target>>> = OnceLock::new();
    TARGETS_BUILT
        .get_or_init(|| {
            let options = CorpusOptions {
                stride: 4,
                ..CorpusOptions::default()
            };
            TARGETS
                .iter()
                .map(|name| standard_target(name, Recordings::Vectors, options).expect(name))
                .collect()
        })
        .as_deref()
}

#[test]
fn fuzz_corpus_scenarios_unmutated_break_no_invariant() {
    let Some(targets) = targets() else { return };
    for t in targets {
        assert!(
            t.scenarios.len() >= 10,
            "{}: {} scenarios",
            t.name,
            t.scenarios.len()
        );
        let mut pipeline = Pipeline::new(&t.registry, t.venue);
        let mut counts = Counts::default();
        for (i, s) in t.scenarios.iter().enumerate() {
            let result = fuzz::check(t, &mut pipeline, s, &mut counts);
            assert_eq!(result, Ok(()), "{} scenario {i}", t.name);
        }
        // Real data: every scenario syncs, nothing is malformed, no gap.
        // (The multi-symbol recording has real snapshots of other symbols among its lines.)
        assert!(counts.snapshots >= t.scenarios.len() as u64, "{}", t.name);
        assert_eq!(
            (counts.line_errors, counts.decode_errors, counts.gaps),
            (0, 0, 0),
            "{}",
            t.name
        );
        assert!(counts.applied > 0 && counts.synced_checks > 0, "{}", t.name);
    }
}

#[test]
fn fuzz_bounded_run_breaks_no_invariant_beyond_the_open_ones() {
    let Some(targets) = targets() else { return };
    for t in targets {
        let stats = fuzz::run(t, SEED, Budget::execs(EXECS));
        println!(
            "{}: {} execs, {:.0} execs/s (debug build), {} findings",
            t.name,
            stats.execs,
            stats.execs_per_sec(),
            stats.findings.len()
        );
        for f in &stats.findings {
            println!(
                "  [{}] x{} first exec {}: {}",
                f.invariant, f.count, f.exec, f.detail
            );
        }
        assert_eq!(stats.execs, EXECS);
        assert!(stats.unmutated > 0 && stats.mutations.iter().all(|n| *n > 0));
        // The mutations reach every stage: frames rejected, diffs applied and gapped,
        // snapshots applied, books checked while synced.
        let c = stats.counts;
        assert!(
            c.line_errors > 0 && c.decode_errors > 0 && c.applied > 0 && c.gaps > 0,
            "{}: {c:?}",
            t.name
        );
        assert!(c.snapshots > 0 && c.synced_checks > 0, "{}: {c:?}", t.name);
        let new: Vec<String> = stats
            .findings
            .iter()
            .filter(|f| !is_open(f))
            .map(ToString::to_string)
            .collect();
        assert!(new.is_empty(), "{}:\n{}", t.name, new.join("\n\n"));
    }
}

#[test]
fn fuzz_same_seed_and_exec_give_the_same_input() {
    let Some(targets) = targets() else { return };
    let t = &targets[0];
    for exec in [0, 1, 999, 123_456_789] {
        assert_eq!(fuzz::input(t, SEED, exec), fuzz::input(t, SEED, exec));
    }
    let inputs: Vec<_> = (0..50).map(|e| fuzz::input(t, SEED, e).0).collect();
    let distinct = inputs
        .iter()
        .enumerate()
        .filter(|(i, x)| !inputs[..*i].contains(x))
        .count();
    assert!(distinct > 40, "{distinct} distinct inputs of 50");
}
