#!/usr/bin/env bash
# Fuzz the feed pipeline (capture line split, Binance decoder, sequencer, L2Book) on the stable
# toolchain for as long as asked, and print execs/s, mutation counts and findings.
#
#   scripts/fuzz.sh [DURATION|EXECS] [ladder-fuzz options]
#
#   scripts/fuzz.sh 10m                                  every target for up to 10 minutes each
#   scripts/fuzz.sh 10000000 --target binance-usdm       ten million execs of one target
#   scripts/fuzz.sh --target binance-spot --seed 1 --repro 143   replay one exec and print it
#
# DURATION is `90s`, `10m` or `1h` (per target); EXECS a plain number (default 1000000 per
# target). Options: --target NAME (binance-spot, binance-usdm, binance-spot-multi, okx, kraken; repeatable;
# default all), --seed N (default 1), --vectors (corpus from the first-1000-line vectors
# instead of the full captures), --out DIR (finding inputs; default target/fuzz-findings).
#
# Builds `ladder-fuzz` (crate ladder-tests) in the `fuzz` profile: optimised, with overflow
# checks and debug assertions on. Reads ../shared/captures and ../shared/vectors/binance.
# Each finding's input is written as a capture file (`ladder inspect FILE --venue ...` reads
# it) and printed with the command that replays it. Exit status 1 when something was found.
# Not part of the test suite (a bounded run is: tests/tests/fuzz.rs). No network.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ARGS=()
if [[ $# -gt 0 && "$1" != --* ]]; then
    case "$1" in
        *[smh]) ARGS+=(--duration "$1" --execs 18446744073709551615) ;;
        *[!0-9]* | "")
            echo "error: \`$1\` is neither a duration (90s, 10m, 1h) nor a number of execs" >&2
            exit 2
            ;;
        *) ARGS+=(--execs "$1") ;;
    esac
    shift
fi

cargo build --quiet --profile fuzz -p ladder-tests --bin ladder-fuzz
exec "${CARGO_TARGET_DIR:-$ROOT/target}/fuzz/ladder-fuzz" "${ARGS[@]}" "$@"
