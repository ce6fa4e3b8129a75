#!/usr/bin/env bash
# CLI test of `framewire send` with several receivers, run by ctest as:
# bash send_failover_test.sh <framewire> <framewire-gen>.
# `--to DEAD --to LIVE`: the refused first receiver hands over to the second at once (the notice
# names both and no pause), every frame is stored byte-identical, and --json says so (frames,
# already_stored_frames 0, reconnects 1). The same send again finds every frame already stored.
# A second --to that is not HOST:PORT ends the send before any connection, and --help says --to
# may be repeated.
set -euo pipefail

framewire=${1:?usage: send_failover_test.sh <framewire binary> <framewire-gen binary>}
gen=${2:?usage: send_failover_test.sh <framewire binary> <framewire-gen binary>}
work=$(mktemp -d "${TMPDIR:-/tmp}/framewire-send-failover.XXXXXX")
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

frames=40
"$gen" --kind tiny --count "$frames" --out "$work/frames" >/dev/null

"$framewire" serve --root "$work/root" --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
server=$!
live=""
for _ in $(seq 1 200); do
  live=$(sed -n 's/^framewire receiver listening on \([^,]*\),.*/\1/p' "$work/serve.out")
  [[ -n "$live" ]] && break
  sleep 0.05
done
[[ -n "$live" ]] || {
  echo "FAIL: the receiver did not say where it listens: $(cat "$work/serve.err")" >&2
  exit 1
}
# A port that was free a moment ago: nothing accepts there.
dead=127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# send ARGS...: framewire send to DEAD then LIVE; stdout in $work/out, stderr in $work/err,
# the exit code in $code.
send() {
  code=0
  timeout 60 "$framewire" send --to "$dead" --to "$live" --no-progress --json "$@" \
    >"$work/out" 2>"$work/err" || code=$?
}

# json KEY: the value of KEY in the summary (the last line of $work/out)
json() {
  tail -n 1 "$work/out" | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

send --stream cams/a "$work/frames"
if ((code != 0)); then
  fail "send to $dead then $live: exit code $code: $(cat "$work/err")"
else
  if [[ "$(json frames)" == "$frames" && "$(json already_stored_frames)" == 0 &&
    "$(json reconnects)" == 1 && "$(json rejected)" == 0 ]]; then
    pass "--json: $frames frames stored, 0 already stored, 1 reconnect"
  else
    fail "unexpected summary: $(cat "$work/out")"
  fi
  # "...; trying LIVE" at the end of the line: no "in 0.1 s", so no pause.
  if grep -qF "cannot connect to $dead" "$work/err" && grep -qE "; trying $live\$" "$work/err"; then
    pass "the notice names the refused receiver and the next one, with no pause"
  else
    fail "no notice 'cannot connect to $dead ...; trying $live': $(cat "$work/err")"
  fi
  same=1
  for file in "$work/frames"/*; do
    cmp -s "$file" "$work/root/cams/a/$(basename "$file")" || same=0
  done
  if ((same)) && (($(wc -l <"$work/root/cams/a/manifest.jsonl") == frames)); then
    pass "every frame stored byte-identical, one manifest line each"
  else
    fail "the stored stream differs from the source"
  fi
fi

send --stream cams/a "$work/frames"
if ((code == 0)) && [[ "$(json frames)" == 0 && "$(json already_stored_frames)" == "$frames" ]]; then
  pass "the same send again: $frames frames already stored, none sent"
else
  fail "resend: exit code $code, summary $(cat "$work/out"), stderr $(cat "$work/err")"
fi

code=0
timeout 30 "$framewire" send --to "$live" --to backup-gateway --no-progress \
  --stream cams/b "$work/frames" >"$work/out" 2>"$work/err" || code=$?
if ((code == 1)) && grep -qF 'address "backup-gateway"' "$work/err" && [[ ! -e "$work/root/cams/b" ]]; then
  pass "a second --to that is not HOST:PORT ends the send before any connection"
else
  fail "--to backup-gateway: exit code $code, stderr $(cat "$work/err")"
fi

if "$framewire" send --help | grep -A3 -- '--to' | grep -q 'repeat'; then
  pass "--help says --to may be repeated"
else
  fail "--help: $("$framewire" send --help | grep -A3 -- '--to')"
fi

if ((failures)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all framewire send failover checks passed"
