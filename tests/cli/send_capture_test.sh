#!/usr/bin/env bash
# CLI test of `framewire send --capture`'s argument checks, run by ctest as:
# bash send_capture_test.sh <framewire> <framewire-gen>.
# How --stream pairs with the folder or --capture after it, capture specs, encodings that do
# not fit the source, the per-capture options and the run-wide limits: each mistake must end the
# command at once with exit code 2 (usage) and a message saying what is wrong, without
# connecting. The target is a port nothing listens on and --retry-for is 600 s, so a sender that
# connected (and retried) before refusing would run into the `timeout` below instead.
set -euo pipefail

framewire=${1:?usage: send_capture_test.sh <framewire binary> <framewire-gen binary>}
work=$(mktemp -d "${TMPDIR:-/tmp}/framewire-send-capture.XXXXXX")
trap 'rm -rf "$work"' EXIT

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
pass() { echo "ok: $*"; }

mkdir -p "$work/frames" "$work/watched"
printf 'frame' >"$work/frames/1.bin"

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

# Pairing: each --stream takes the one folder or --capture after it.
expect_usage_error "--stream without a folder or --capture" "--stream cam has no folder or --capture" \
  --stream cam
expect_usage_error "a second --stream without a source" "--stream b has no folder or --capture" \
  --stream a --capture testsrc:320x240@30 --stream b
expect_usage_error "index pairing is not guessed" "--stream a has no folder or --capture" \
  --stream a --stream b "$work/frames" "$work/frames"
expect_usage_error "a folder before any --stream" "comes before any --stream" \
  "$work/frames" --stream cam
expect_usage_error "a --capture before any --stream" "--capture testsrc:320x240@30 comes before any --stream" \
  --capture testsrc:320x240@30 --stream cam
expect_usage_error "a folder and a --capture for one --stream" "--stream cam has 2 sources" \
  --stream cam "$work/frames" --capture testsrc:320x240@30
expect_usage_error "no --stream at all" "no --stream given" \
  --frames 3
expect_usage_error "a stream name given twice (folder and capture)" 'stream name "cam" is given twice' \
  --stream cam "$work/frames" --stream cam --capture testsrc:320x240@30
expect_usage_error "--source twice for one stream" "--source given twice for --stream cam" \
  --stream cam --source visible --source infrared --capture testsrc:320x240@30
expect_usage_error "--source with a capital on a capture stream" 'source kind "Infrared"' \
  --stream cam --source Infrared --capture irsrc:64x48@30

# Capture specs.
expect_usage_error "an unknown capture kind" "bad capture spec 'webcam:0'" \
  --stream cam --capture webcam:0
expect_usage_error "testsrc without a frame rate" "bad capture spec 'testsrc:320x240'" \
  --stream cam --capture testsrc:320x240
expect_usage_error "a video file that does not exist" "$work/missing.mp4" \
  --stream cam --capture "file:$work/missing.mp4"
expect_usage_error "follow: of a missing folder" "is not a folder that can be followed" \
  --stream cam --capture "follow:$work/missing"

# Encodings that do not fit the source.
expect_usage_error "--encode png16 for testsrc" "png16 is for 16-bit grey images" \
  --stream cam --capture testsrc:320x240@30 --encode png16
expect_usage_error "--encode jpeg for irsrc" "jpeg is 8-bit" \
  --stream ir --capture irsrc:64x48@30 --encode jpeg
expect_usage_error "--encode raw for testsrc" "no compressed packets" \
  --stream cam --capture testsrc:320x240@30 --encode raw
expect_usage_error "--encode jpeg for follow:" "follow: sends the files as they are" \
  --stream cam --capture "follow:$work/watched" --encode jpeg
expect_usage_error "an unknown --encode" "bad --encode 'webp'" \
  --stream cam --capture testsrc:320x240@30 --encode webp
expect_usage_error "a jpeg quality out of range" "quality must be 1..100" \
  --stream cam --capture testsrc:320x240@30 --encode jpeg:0
# The encoding of the second capture is checked too.
expect_usage_error "--encode per capture stream" "png16 is for 16-bit grey images" \
  --stream ir --capture irsrc:64x48@30 --encode png16 --stream cam --capture testsrc:64x48@30 --encode png16

# Per-capture options.
expect_usage_error "--queue 0" "--queue 0: a stream's queue holds 1 to" \
  --stream cam --capture testsrc:320x240@30 --queue 0
expect_usage_error "--queue not a number" "--queue many" \
  --stream cam --capture testsrc:320x240@30 --queue many
expect_usage_error "--live and --archive on one stream" "--live/--archive given twice for --stream cam" \
  --stream cam --capture testsrc:320x240@30 --live --archive
expect_usage_error "--encode for a folder stream" "--encode applies to --capture streams; --stream cam sends the folder" \
  --stream cam "$work/frames" --encode jpeg
expect_usage_error "--archive for a folder stream" "--archive applies to --capture streams" \
  --stream cam "$work/frames" --archive
expect_usage_error "--queue before any stream, with folders only" "--queue applies to --capture streams, and none is given" \
  --queue 8 --stream cam "$work/frames"

# Run-wide capture limits.
expect_usage_error "--frames 0" "--frames 0" \
  --frames 0 --stream cam --capture testsrc:320x240@30
expect_usage_error "--duration -1" "--duration -1" \
  --duration -1 --stream cam --capture testsrc:320x240@30
expect_usage_error "--duration abc" "--duration abc" \
  --duration abc --stream cam --capture testsrc:320x240@30
expect_usage_error "--frames with folders only" "--frames applies to --capture streams" \
  --frames 5 --stream cam "$work/frames"
expect_usage_error "an unknown option" "--bogus" \
  --stream cam --capture testsrc:320x240@30 --bogus

if ((failures)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all framewire send --capture checks passed"
