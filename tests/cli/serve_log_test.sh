#!/usr/bin/env bash
# CLI test of `framewire serve --log-interval`, run by ctest as:
# bash serve_log_test.sh <framewire> <framewire-gen>.
# While a capture streams, the receiver logs one summary line per open stream every interval
# (source kind, peer, fps, MB/s, frames, latency, age of the last frame), and the closing line
# of the connection keeps its frames, bytes, seconds and reason. --log-interval 0: no summaries.
set -euo pipefail

framewire=${1:?usage: serve_log_test.sh <framewire binary> <framewire-gen binary>}
work=$(mktemp -d "${TMPDIR:-/tmp}/framewire-serve-log.XXXXXX")
server=""
cleanup() {
  [[ -n "$server" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
pass() { echo "ok: $*"; }

# run_once INTERVAL: serves, streams 2 s of test pattern, stops; the receiver's log in $work/log
run_once() {
  rm -rf "$work/root" "$work/log" "$work/out"
  "$framewire" serve --root "$work/root" --listen 127.0.0.1:0 --log-interval "$1" \
    >"$work/out" 2>"$work/log" &
  server=$!
  local address=""
  for _ in $(seq 1 200); do
    address=$(sed -n 's/^framewire receiver listening on \([^,]*\),.*/\1/p' "$work/out")
    [[ -n "$address" ]] && break
    sleep 0.05
  done
  [[ -n "$address" ]] || {
    fail "the receiver did not say where it listens: $(cat "$work/log")"
    return
  }
  timeout 60 "$framewire" send --to "$address" --no-progress --duration 2 \
    --stream rig1/infrared --source infrared --capture irsrc:160x128@20 >/dev/null 2>&1 ||
    fail "send failed"
  kill -INT "$server"
  wait "$server" || fail "serve exited non-zero"
  server=""
}

run_once 0.3
summary='stream rig1/infrared \(infrared\) from 127\.0\.0\.1:[0-9]+: [0-9.]+ fps, [0-9.]+ MB/s, [0-9]+ frames stored, 0 rejected, [0-9]+ dropped, capture->stored p50 [0-9.]+ ms p99 [0-9.]+ ms, last frame [0-9.]+ s ago'
count=$(grep -cE "$summary" "$work/log" || true)
if ((count >= 2)); then
  pass "$count summary lines at --log-interval 0.3"
else
  fail "expected summary lines every 0.3 s, got $count: $(cat "$work/log")"
fi
if grep -qE 'stream rig1/infrared .* [1-9][0-9]*\.[0-9] fps' "$work/log"; then
  pass "a summary shows a non-zero rate"
else
  fail "no summary with a non-zero fps: $(grep 'stream rig1' "$work/log")"
fi
if grep -qE 'connection 127\.0\.0\.1:[0-9]+ closed: [1-9][0-9]* frames, [0-9.]+ MB in [0-9.]+ s \(goodbye\)' "$work/log"; then
  pass "the closing line has frames, bytes, seconds and reason"
else
  fail "no closing line: $(cat "$work/log")"
fi

run_once 0
if grep -q 'stream rig1/infrared (' "$work/log"; then
  fail "--log-interval 0 still logs summaries"
else
  pass "--log-interval 0 logs none"
fi

if ((failures)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all framewire serve log checks passed"
