//! The bounded Coinbase fuzz run `cargo test` includes: a fixed number of execs (the same
//! inputs on every run) on scenarios cut from the shared Coinbase vectors (Advanced Trade and
//! the legacy Exchange feed), through the engine's Coinbase books.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ladder_tests::fuzz::coinbase::{self, CoinbasePipeline, CoinbaseTarget};
use ladder_tests::fuzz::corpus::CorpusOptions;
use ladder_tests::fuzz::{self, Budget};
use std::sync::OnceLock;

const SEED: u64 = 20_260_809;
const EXECS: u64 = 1_000;

fn target() -> Option<&'static CoinbaseTarget> {
    static BUILT: OnceLock<Option<CoinbaseTarget>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let options = CorpusOptions {
                stride: 16,
                ..CorpusOptions::default()
            };
            coinbase::coinbase_target(options).expect("coinbase target")
        })
        .as_ref()
}

#[test]
fn fuzz_coinbase_corpus_scenarios_unmutated_sync_with_no_fault() {
    let Some(t) = target() else { return };
    assert!(t.scenarios.len() >= 20, "{} scenarios", t.scenarios.len());
    let mut pipeline = CoinbasePipeline::new(&t.registry);
    for (i, (venue, s)) in t.scenarios.iter().enumerate() {
        let before = pipeline.counts;
        assert_eq!(
            coinbase::check(t, &mut pipeline, *venue, s),
            Ok(()),
            "scenario {i}"
        );
        let c = pipeline.counts;
        assert_eq!(
            (c.decode_errors, c.faults, c.connection_faults),
            (
                before.decode_errors,
                before.faults,
                before.connection_faults
            ),
            "scenario {i} ({venue}):\n{}",
            fuzz::lines_text(s, 300)
        );
    }
    let c = pipeline.counts;
    assert_eq!((c.line_errors, c.decode_errors), (0, 0), "{c:?}");
    assert!(
        c.snapshots >= t.scenarios.len() as u64 && c.updates > 0,
        "{c:?}"
    );
    assert!(c.synced_checks > 0, "{c:?}");
}

#[test]
fn fuzz_coinbase_bounded_run_breaks_no_invariant() {
    let Some(t) = target() else { return };
    let (stats, c) = coinbase::run(t, SEED, Budget::execs(EXECS));
    println!(
        "coinbase: {} execs, {:.0} execs/s (debug build), {} findings, {c:?}",
        stats.execs,
        stats.execs_per_sec(),
        stats.findings.len()
    );
    assert_eq!(stats.execs, EXECS);
    assert!(stats.unmutated > 0 && stats.mutations.iter().all(|n| *n > 0));
    // The mutations reach every stage: frames rejected, connection faults, books synced.
    assert!(c.line_errors > 0 && c.decode_errors > 0, "{c:?}");
    assert!(c.connection_faults > 0, "{c:?}");
    assert!(
        c.snapshots > 0 && c.updates > 0 && c.synced_checks > 0,
        "{c:?}"
    );
    let found: Vec<String> = stats.findings.iter().map(ToString::to_string).collect();
    assert!(found.is_empty(), "{}", found.join("\n\n"));
}

#[test]
fn fuzz_coinbase_same_seed_and_exec_give_the_same_input() {
    let Some(t) = target() else { return };
    for exec in [0, 1, 999, 123_456_789] {
        assert_eq!(
            coinbase::input(t, SEED, exec),
            coinbase::input(t, SEED, exec)
        );
    }
}
