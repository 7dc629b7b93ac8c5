#!/usr/bin/env bash
# Soak check: does `ladder paper` hold its memory over a long, busy, fault-ridden session?
#
#   scripts/soak.sh [DURATION]          (default 3m; e.g. scripts/soak.sh 30m)
#
# What it does:
#   1. builds the release binary and the two example strategies if they are missing or
#      SOAK_BUILD=1 (`cargo build --release`), then copies `ladder` and the strategy libraries into a
#      private temp dir, so a rebuild in the shared target dir cannot swap them mid-run;
#   2. starts `ladder sim --rate 20000 --disconnect-every 30` on two free 127.0.0.1 ports
#      (every connection is closed 30 s after it opened: reconnect + resync every 30 s);
#   3. runs `ladder paper --headless --duration DURATION` against it, with a generated config:
#      `[venue] name = "binance-spot"`, symbols BTCUSDT + ETHUSDT, ws/rest pointing at the sim,
#      and both example strategies given explicitly (microprice with tick_size 0.01);
#   4. samples the paper process's VmRSS from /proc/<pid>/status every 10 s into
#      `$SOAK_DIR/rss.log` (`<seconds> <kB>`), and prints RSS at start, at 30 s, at the end, and
#      the maximum, plus the paper session's final summary (events, gaps, resyncs, reconnects).
#
# Exit status: non-zero if a process fails, or if RSS at the end is more than 1.5x RSS at 30 s
# (the book, rings and histograms are sized up front, so steady state should be flat).
# Not part of the test suite: it runs for minutes. Network: 127.0.0.1 only.
# Environment: SOAK_DIR (work dir; default a fresh mktemp dir), SOAK_RATE (default 20000),
# SOAK_LIMIT (allowed end/30s RSS ratio; default 1.5).
set -euo pipefail

DURATION="${1:-3m}"
RATE="${SOAK_RATE:-20000}"
LIMIT="${SOAK_LIMIT:-1.5}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/release"
SOAK_DIR="${SOAK_DIR:-$(mktemp -d -t ladder-soak.XXXXXX)}"
mkdir -p "$SOAK_DIR"

need_build=0
for f in ladder libladder_strategy_imbalance.so libladder_strategy_microprice.so; do
    [[ -e "$TARGET/$f" ]] || need_build=1
done
if [[ $need_build == 1 || "${SOAK_BUILD:-0}" == 1 ]]; then
    echo "soak: building release binaries"
    (cd "$ROOT" && cargo build --release)
fi
BIN="$SOAK_DIR/bin"
mkdir -p "$BIN"
cp "$TARGET/ladder" "$TARGET/libladder_strategy_imbalance.so" \
    "$TARGET/libladder_strategy_microprice.so" "$BIN/"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
WS_PORT="$(free_port)"
REST_PORT="$(free_port)"
while [[ "$REST_PORT" == "$WS_PORT" ]]; do REST_PORT="$(free_port)"; done

SIM_PID=""
PAPER_PID=""
cleanup() {
    [[ -n "$PAPER_PID" ]] && kill "$PAPER_PID" 2>/dev/null || true
    [[ -n "$SIM_PID" ]] && kill "$SIM_PID" 2>/dev/null || true
}
trap cleanup EXIT

"$BIN/ladder" sim --rate "$RATE" --disconnect-every 30 --ws-port "$WS_PORT" \
    --rest-port "$REST_PORT" --report-every 30 >"$SOAK_DIR/sim.log" 2>&1 &
SIM_PID=$!

# Wait for the sim's REST port to answer.
for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$REST_PORT") 2>/dev/null; then break; fi
    sleep 0.1
done

CONFIG="$SOAK_DIR/soak.toml"
cat >"$CONFIG" <<EOF
[venue]
name = "binance-spot"
symbols = ["BTCUSDT", "ETHUSDT"]
ws_book = "ws://127.0.0.1:$WS_PORT/stream"
ws_trades = "ws://127.0.0.1:$WS_PORT/stream"
rest = "http://127.0.0.1:$REST_PORT"

[[strategy]]
library = "$BIN/libladder_strategy_imbalance.so"

[[strategy]]
library = "$BIN/libladder_strategy_microprice.so"
config = "tick_size = \"0.01\"\nsymbol = \"BTCUSDT\"\nfallback = \"weighted_mid\""
EOF

echo "soak: sim on ws $WS_PORT rest $REST_PORT at $RATE events/s, paper for $DURATION; logs in $SOAK_DIR"
"$BIN/ladder" paper --config "$CONFIG" --headless --duration "$DURATION" \
    --report "$SOAK_DIR/report" >"$SOAK_DIR/paper.log" 2>&1 &
PAPER_PID=$!

RSS_LOG="$SOAK_DIR/rss.log"
: >"$RSS_LOG"
start=$(date +%s)
rss_now() { awk '/^VmRSS:/ {print $2}' "/proc/$PAPER_PID/status" 2>/dev/null || true; }
sample() {
    local r
    r="$(rss_now)"
    [[ -n "$r" ]] && echo "$(($(date +%s) - start)) $r" >>"$RSS_LOG"
    return 0
}
sleep 1
sample
while kill -0 "$PAPER_PID" 2>/dev/null; do
    # Sample every 10 s, but notice the end of the session within a second.
    for _ in $(seq 1 10); do
        sleep 1
        kill -0 "$PAPER_PID" 2>/dev/null || break
    done
    kill -0 "$PAPER_PID" 2>/dev/null && sample
done
set +e
wait "$PAPER_PID"
paper_rc=$?
set -e
PAPER_PID=""
kill "$SIM_PID" 2>/dev/null || true
wait "$SIM_PID" 2>/dev/null || true
SIM_PID=""

echo "--- paper: last status line and final summary ($SOAK_DIR/paper.log)"
grep '^\[' "$SOAK_DIR/paper.log" | tail -n1 || true
sed -n '/ frames, /,$p' "$SOAK_DIR/paper.log"
echo "--- rss samples (s kB): $RSS_LOG"
cat "$RSS_LOG"
if [[ ! -s "$RSS_LOG" ]]; then
    echo "soak: no RSS samples (paper exited early, status $paper_rc)" >&2
    exit 1
fi
rss_start=$(head -n1 "$RSS_LOG" | awk '{print $2}')
rss_end=$(tail -n1 "$RSS_LOG" | awk '{print $2}')
rss_max=$(awk 'BEGIN{m=0} {if ($2>m) m=$2} END{print m}' "$RSS_LOG")
# The first sample at or after 30 s (the warm state).
rss_30=$(awk '$1>=30 {print $2; exit}' "$RSS_LOG")
rss_30="${rss_30:-$rss_end}"
echo "soak: RSS start ${rss_start} kB, at 30 s ${rss_30} kB, end ${rss_end} kB, max ${rss_max} kB"
if [[ $paper_rc != 0 ]]; then
    echo "soak: ladder paper exited with status $paper_rc" >&2
    exit 1
fi
if awk -v e="$rss_end" -v w="$rss_30" -v l="$LIMIT" 'BEGIN{exit !(e > w * l)}'; then
    echo "soak: FAIL: RSS at the end is more than ${LIMIT}x RSS at 30 s" >&2
    exit 1
fi
echo "soak: OK (end/30s ratio within ${LIMIT}x)"
