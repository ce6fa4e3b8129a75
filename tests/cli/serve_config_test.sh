#!/usr/bin/env bash
# CLI test of `framewire serve --config FILE`, run by ctest as:
# bash serve_config_test.sh <framewire> <framewire-gen>.
# A receiver configured by a file (root, listen, sync, a size with a suffix, a flag: the format
# of the service's /etc/framewire/serve.conf) stores a folder sent to it byte for byte; an
# option on the command line wins over the file's; an unknown key and a missing file are usage
# errors (exit code 2), reported before anything listens.
set -euo pipefail

framewire=${1:?usage: serve_config_test.sh <framewire binary> <framewire-gen binary>}
gen=${2:?usage: serve_config_test.sh <framewire binary> <framewire-gen binary>}
work=$(mktemp -d "${TMPDIR:-/tmp}/framewire-serve-config.XXXXXX")
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

cat >"$work/serve.conf" <<CONF
# the receiver of serve_config_test.sh
root = "$work/root"
listen = "127.0.0.1:0"
sync = "each"
max-frame-bytes = "16MB"
log-interval = 0
insecure = false
CONF

# start_serve ARGS...: serves in the background; sets $server and $address (empty on failure)
start_serve() {
  address=""
  "$framewire" serve "$@" >"$work/out" 2>"$work/log" &
  server=$!
  for _ in $(seq 1 200); do
    address=$(sed -n 's/^framewire receiver listening on \([^,]*\),.*/\1/p' "$work/out")
    [[ -n "$address" ]] && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.05
  done
}

stop_serve() {
  kill -TERM "$server"
  wait "$server" || fail "serve exited non-zero: $(cat "$work/log")"
  server=""
}

"$gen" --kind tiny --count 6 --out "$work/frames" >/dev/null
start_serve --config "$work/serve.conf"
if [[ -z "$address" ]]; then
  fail "the receiver did not say where it listens: $(cat "$work/out" "$work/log")"
else
  if grep -q "storing under $work/root (sync each, plain TCP)" "$work/out"; then
    pass "root and sync come from the file"
  else
    fail "listening line does not show the file's root and sync: $(cat "$work/out")"
  fi
  if timeout 60 "$framewire" send --to "$address" --no-progress --stream cfg/frames \
    "$work/frames" >"$work/send.out" 2>&1; then
    pass "send to the configured receiver"
  else
    fail "send failed: $(cat "$work/send.out")"
  fi
  stop_serve
  if diff -r --exclude=manifest.jsonl "$work/frames" "$work/root/cfg/frames" >/dev/null; then
    pass "frames stored byte for byte under the file's root"
  else
    fail "stored frames differ from the ones sent"
  fi
fi

start_serve --config "$work/serve.conf" --root "$work/other" --sync none
if [[ -n "$address" ]] && grep -q "storing under $work/other (sync none," "$work/out"; then
  pass "the command line wins over the file"
else
  fail "command-line --root/--sync did not win: $(cat "$work/out" "$work/log")"
fi
[[ -n "$server" ]] && stop_serve

cp "$work/serve.conf" "$work/bad.conf"
echo 'no-such-option = 1' >>"$work/bad.conf"
status=0
"$framewire" serve --config "$work/bad.conf" >"$work/out" 2>"$work/log" || status=$?
if ((status == 2)) && grep -q 'no-such-option' "$work/log"; then
  pass "an unknown key is a usage error naming it"
else
  fail "unknown key: exit $status, $(cat "$work/out" "$work/log")"
fi

status=0
"$framewire" serve --config "$work/missing.conf" >"$work/out" 2>"$work/log" || status=$?
if ((status == 2)); then
  pass "a missing file is a usage error"
else
  fail "missing file: exit $status, $(cat "$work/out" "$work/log")"
fi

if ((failures)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all framewire serve --config checks passed"
