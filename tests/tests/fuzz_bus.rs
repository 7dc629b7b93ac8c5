//! The bounded bus-codec fuzz run `cargo test` includes: a fixed number of execs (the same
//! inputs on every run) of mutated bus messages through both decoders.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ladder_tests::fuzz::{Budget, bus};

#[test]
fn fuzz_bus_corpus_unmutated_decodes_and_survives_a_re_encode() {
    let lines = bus::corpus();
    assert_eq!(bus::check(&lines).map_err(|v| v.detail), Ok(()));
    let mut events = Vec::new();
    let decoded = lines
        .iter()
        .filter(|l| {
            ladder_engine::bus::codec::decode_events(
                l,
                ladder_sdk::InstrumentId::new(0),
                &mut events,
            )
            .is_ok()
                || ladder_engine::bus::codec::decode_image(l).is_ok()
        })
        .count();
    assert_eq!(decoded, lines.len());
}

#[test]
fn fuzz_bus_mutated_messages_never_panic_nor_change_on_re_encode() {
    let stats = bus::run(20_240_808, Budget::execs(3000));
    assert_eq!(stats.execs, 3000);
    assert!(
        stats.unmutated < stats.execs / 4,
        "{} unmutated",
        stats.unmutated
    );
    let found: Vec<String> = stats
        .findings
        .iter()
        .map(|f| format!("{}: {}", f.invariant, f.detail))
        .collect();
    assert!(found.is_empty(), "{found:#?}");
}
