#!/usr/bin/env bash
# CLI test of `framewire send`'s checks before connecting, run by ctest as:
# bash send_checks_test.sh <framewire> <framewire-gen>.
# A stream name or source kind that breaks the receiver's name rules, a stream given twice, a
# folder that does not exist or is a file: each must end the command at once with exit code 2
# (usage) and a message naming the rule, without connecting. The target is a port nothing
# listens on and --retry-for is 600 s, so a sender that connected (and retried) before refusing
# would run into the `timeout` below instead of exiting 2.
set -euo pipefail

framewire=${1:?usage: send_checks_test.sh <framewire binary> <framewire-gen binary>}
work=$(mktemp -d "${TMPDIR:-/tmp}/framewire-send-checks.XXXXXX")
trap 'rm -rf "$work"' EXIT

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
pass() { echo "ok: $*"; }

mkdir -p "$work/frames"
printf 'frame' >"$work/frames/1.bin"
printf 'not a folder' >"$work/file.bin"

# A port that was free a moment ago: nothing accepts there.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 9)

# expect_usage_error DESCRIPTION EXPECTED_TEXT ARGS...: exit 2, stderr contains EXPECTED_TEXT
expect_usage_error() {
  local what=$1 expected=$2
  shift 2
  local code=0
  timeout 30 "$framewire" send --to "127.0.0.1:$port" --retry-for 600 --no-progress "$@" \
    >"$work/out" 2>"$work/err" || code=$?
  if ((code != 2)); then
    fail "$what: exit code $code, expected 2; stderr: $(cat "$work/err")"
  elif ! grep -qF -- "$expected" "$work/err"; then
    fail "$what: stderr does not say '$expected': $(cat "$work/err")"
  elif grep -q "retrying" "$work/err"; then
    fail "$what: it connected and retried first: $(cat "$work/err")"
  else
    pass "$what"
  fi
}

expect_usage_error "--stream ../x" 'stream name segment ".." is not allowed' \
  --stream ../x "$work/frames"
expect_usage_error "--stream with a hidden segment" 'stream name "a/.b"' \
  --stream a/.b "$work/frames"
expect_usage_error "--stream with a doubled /" 'stream name "a//b"' \
  --stream a//b "$work/frames"
expect_usage_error "--stream with a space" "[A-Za-z0-9._-]" \
  --stream "rig 1" "$work/frames"
expect_usage_error "--source with a capital" 'source kind "Visible"' \
  --stream rig1/visible --source Visible "$work/frames"
expect_usage_error "the same --stream twice" 'stream name "rig1" is given twice' \
  --stream rig1 "$work/frames" --stream rig1 "$work/frames"
expect_usage_error "a folder that does not exist" "does not exist" \
  --stream rig1 "$work/missing"
expect_usage_error "a file instead of a folder" "is not a folder" \
  --stream rig1 "$work/file.bin"
# The second stream is checked too, not only the first.
expect_usage_error "a bad second --stream" 'stream name segment ".." is not allowed' \
  --stream rig1/a "$work/frames" --stream rig1/.. "$work/frames"

if ((failures)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all framewire send checks passed"
