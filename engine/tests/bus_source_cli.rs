//! `ladder replay nats://...` and `ladder record --source nats://...`: the flags that only go
//! with a bus, and the ones that do not, are refused with one clear error before anything
//! connects (no server is needed). The reading itself runs against a real `nats-server` in
//! `tests/tests/bus_replay.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::ladder;
use rstest::rstest;

/// `ladder ARGS` in `dir` fails; its stderr.
fn refused(dir: &std::path::Path, args: &[&str]) -> String {
    let out = ladder().current_dir(dir).args(args).output().unwrap();
    assert!(!out.status.success(), "{args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[rstest]
#[case::bus_with_a_file(&["replay", "nats://127.0.0.1:1", "cap.txt"], "replay it alone")]
#[case::bus_with_venue(&["replay", "nats://127.0.0.1:1", "--venue", "okx"], "--subject ladder.raw.<venue>.>")]
#[case::subject_on_a_file(&["replay", "cap.txt", "--subject", "ladder.raw.>"], "give nats://HOST:PORT instead")]
#[case::normalized_subject(&["replay", "nats://127.0.0.1:1", "--subject", "ladder.md.>"], "holds the normalized events")]
#[case::bad_time(&["replay", "nats://127.0.0.1:1", "--from", "yesterday"], "neither an RFC 3339 time")]
#[case::from_after_to(&["replay", "nats://127.0.0.1:1", "--from", "2024-08-08T13:00:00Z", "--to", "1"], "must be before --to")]
#[case::record_source_with_sim(&["record", "--source", "nats://127.0.0.1:1", "--sim", "--out", "x.txt"], "--venue, --symbol and --sim do not go with it")]
#[case::record_subject_without_source(&["record", "--subject", "ladder.raw.>", "--out", "x.txt"], "need --source")]
#[case::record_follow_without_source(&["record", "--follow", "--out", "x.txt"], "--source")]
#[case::record_duration_without_follow(&["record", "--source", "nats://127.0.0.1:1", "--duration", "5s", "--out", "x.txt"], "needs --follow")]
#[case::record_source_not_a_url(&["record", "--source", "127.0.0.1:4222", "--out", "x.txt"], "expected nats://HOST:PORT")]
fn bus_source_flags_out_of_place_are_one_clear_error(#[case] args: &[&str], #[case] says: &str) {
    let dir = tempfile::tempdir().unwrap();
    let e = refused(dir.path(), args);
    assert!(e.contains(says), "{args:?}: {e}");
    assert!(
        !dir.path().join("x.txt").exists(),
        "{args:?} wrote a capture"
    );
}
