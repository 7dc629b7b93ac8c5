//! The harness of every venue's exact-shape test (`feed/<venue>/exact_tests.rs`): the frames of
//! a shared vector, mutations of them, and a run that checks the exact-shape path against the
//! general walk on both (the same result, levels and wire text, or the same error) and that the
//! path was taken for the book frames it is written for.

use crate::feed::Venue;
use crate::instrument::Registry;
use crate::testutil::shared;
use ladder_sdk::{InstrumentSpec, UnixNanos};
use rust_decimal::Decimal;
use std::io::BufRead;

/// The frames of a shared vector (`<ts> <frame>` or `<ts>: <frame>` lines, gzip or not).
pub(crate) fn frames(rel: &str) -> Option<Vec<Vec<u8>>> {
    let path = shared(rel)?;
    let file = std::fs::File::open(&path).unwrap();
    let reader: Box<dyn BufRead> = if rel.ends_with(".gz") {
        Box::new(std::io::BufReader::new(flate2::read::MultiGzDecoder::new(
            file,
        )))
    } else {
        Box::new(std::io::BufReader::new(file))
    };
    Some(
        reader
            .lines()
            .map(Result::unwrap)
            .filter_map(|l| {
                let at = l.find(['{', '['])?;
                Some(l.as_bytes()[at..].to_vec())
            })
            .collect(),
    )
}

pub(crate) fn registry(venue: Venue, specs: &[(&str, i64, u32, i64, u32)]) -> Registry {
    let mut r = Registry::new();
    for &(sym, tm, ts, lm, ls) in specs {
        let spec = InstrumentSpec::new(Decimal::new(tm, ts), Decimal::new(lm, ls)).unwrap();
        r.add(venue, sym, spec).unwrap();
    }
    r
}

/// Mutations of `frame`: a byte replaced with one of a few that change a number's or the
/// frame's shape, and cuts, at positions spread over the frame.
pub(crate) fn mutations(frame: &[u8], seed: usize) -> Vec<Vec<u8>> {
    const BYTES: &[u8] = b"\".09-,]}e 5";
    let mut out = Vec::new();
    if frame.is_empty() {
        return out;
    }
    for k in 0..12 {
        let at = (seed * 7919 + k * 104_729) % frame.len();
        let mut m = frame.to_vec();
        m[at] = BYTES[(seed + k) % BYTES.len()];
        out.push(m);
    }
    out.push(frame[..frame.len() * 2 / 3].to_vec());
    out.push(frame[..frame.len().saturating_sub(1)].to_vec());
    out
}

/// Runs `check(frame)` on every frame and on mutations of the first `mutated` ones; `check`
/// answers whether the exact-shape path took the frame. At least `min_fast` of the frames
/// (unmutated) must have taken it.
pub(crate) fn run(
    rel: &str,
    mutated: usize,
    min_fast: usize,
    mut check: impl FnMut(&[u8]) -> bool,
) {
    let Some(frames) = frames(rel) else {
        return;
    };
    let fast = frames.iter().filter(|f| check(f)).count();
    eprintln!(
        "{rel}: {fast} of {} frames took the exact-shape path",
        frames.len()
    );
    assert!(
        fast >= min_fast,
        "{rel}: the exact-shape path took {fast} frames, expected at least {min_fast}"
    );
    for (i, f) in frames.iter().take(mutated).enumerate() {
        for m in mutations(f, i) {
            check(&m);
        }
    }
}

pub(crate) const T: UnixNanos = UnixNanos::ZERO;
