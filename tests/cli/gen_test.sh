#!/usr/bin/env bash
# CLI test of framewire-gen, run by ctest as: bash gen_test.sh <framewire> <framewire-gen>.
# Checks what the demo and the benchmarks rely on: file counts and names, valid PNG/JPEG headers
# with the promised bit depth and colour type, rough sizes, and determinism (same seed -> same
# bytes, frame K the same whatever --start produced it).
set -euo pipefail

gen=${2:?usage: gen_test.sh <framewire binary> <framewire-gen binary>}
work=$(mktemp -d "${TMPDIR:-/tmp}/framewire-gen-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
pass() { echo "ok: $*"; }

# hex BYTES at OFFSET of FILE, no spaces
hex_at() { od -An -v -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'; }
u8_at() { printf '%d' "0x$(hex_at "$1" "$2" 1)"; }
u32be_at() { printf '%d' "0x$(hex_at "$1" "$2" 4)"; }
size_of() { stat -c %s "$1"; }

# expect_names DIR EXT FIRST LAST: exactly FIRST.EXT .. LAST.EXT and nothing else
expect_names() {
  local dir=$1 ext=$2 first=$3 last=$4 expected actual
  expected=$(seq "$first" "$last" | sed "s/\$/.$ext/" | sort)
  actual=$(ls "$dir" | sort)
  if [[ "$expected" == "$actual" ]]; then
    pass "$dir holds $first.$ext..$last.$ext"
  else
    fail "$dir: expected $first.$ext..$last.$ext, got: $(echo "$actual" | tr '\n' ' ')"
  fi
}

# expect_png FILE WIDTH HEIGHT DEPTH COLOR_TYPE
expect_png() {
  local f=$1
  if [[ "$(hex_at "$f" 0 8)" != "89504e470d0a1a0a" ]]; then
    fail "$f: no PNG signature"
    return
  fi
  if [[ "$(hex_at "$f" 12 4)" != "49484452" ]]; then
    fail "$f: first chunk is not IHDR"
    return
  fi
  local got="$(u32be_at "$f" 16)x$(u32be_at "$f" 20) depth $(u8_at "$f" 24) type $(u8_at "$f" 25)"
  local want="$2x$3 depth $4 type $5"
  if [[ "$got" == "$want" ]]; then
    pass "$f: PNG $got"
  else
    fail "$f: PNG $got, expected $want"
  fi
}

# expect_sizes DIR MIN MAX: every file in DIR is MIN..MAX bytes
expect_sizes() {
  local dir=$1 min=$2 max=$3 f s bad=0
  for f in "$dir"/*; do
    s=$(size_of "$f")
    if ((s < min || s > max)); then
      fail "$f: $s bytes, expected $min..$max"
      bad=1
    fi
  done
  ((bad)) || pass "$dir: all files $min..$max bytes"
}

run_gen() {
  local out
  if ! out=$("$gen" "$@" 2>&1); then
    fail "framewire-gen $* exited non-zero: $out"
    return 1
  fi
  if [[ "$out" != *files* ]]; then
    fail "framewire-gen $*: no summary line (got: $out)"
  fi
}

# --- visible: RGB 8-bit, 1280x720, a few hundred KB
run_gen --kind visible --count 3 --out "$work/visible"
expect_names "$work/visible" png 0 2
for f in "$work"/visible/*.png; do expect_png "$f" 1280 720 8 2; done
expect_sizes "$work/visible" 150000 1000000

# --- infrared: 16-bit grayscale, 640x512
run_gen --kind infrared --count 3 --out "$work/infrared"
expect_names "$work/infrared" png 0 2
for f in "$work"/infrared/*.png; do expect_png "$f" 640 512 16 0; done
expect_sizes "$work/infrared" 100000 700000

# --- jpeg: 1920x1080, ~450 KB, starts with SOI
run_gen --kind jpeg --count 2 --out "$work/jpeg"
expect_names "$work/jpeg" jpg 0 1
for f in "$work"/jpeg/*.jpg; do
  if [[ "$(hex_at "$f" 0 3)" == "ffd8ff" ]]; then pass "$f: JPEG SOI"; else fail "$f: no JPEG SOI"; fi
  if [[ "$(hex_at "$f" $(($(size_of "$f") - 2)) 2)" == "ffd9" ]]; then
    pass "$f: JPEG EOI"
  else
    fail "$f: no JPEG EOI"
  fi
done
expect_sizes "$work/jpeg" 300000 700000

# --- tiny: ~3 KB valid PNGs, named from --start
run_gen --kind tiny --count 50 --start 100 --out "$work/tiny"
expect_names "$work/tiny" png 100 149
expect_png "$work/tiny/100.png" 54 54 8 0
expect_png "$work/tiny/149.png" 54 54 8 0
expect_sizes "$work/tiny" 2500 3600

# --- custom size
run_gen --kind visible --count 1 --width 64 --height 48 --out "$work/small"
expect_png "$work/small/0.png" 64 48 8 2

# --- determinism: same seed -> same bytes, other seed -> other bytes
for kind in visible infrared jpeg tiny; do
  run_gen --kind "$kind" --count 2 --seed 7 --width 320 --height 240 --out "$work/det-a-$kind"
  run_gen --kind "$kind" --count 2 --seed 7 --width 320 --height 240 --out "$work/det-b-$kind"
  run_gen --kind "$kind" --count 2 --seed 8 --width 320 --height 240 --out "$work/det-c-$kind"
  if diff -r "$work/det-a-$kind" "$work/det-b-$kind" >/dev/null; then
    pass "$kind: same seed gives the same bytes"
  else
    fail "$kind: same seed gave different bytes"
  fi
  if diff -r "$work/det-a-$kind" "$work/det-c-$kind" >/dev/null; then
    fail "$kind: different seeds gave the same bytes"
  else
    pass "$kind: different seeds give different bytes"
  fi
done
for kind in visible infrared jpeg tiny; do
  a=$(ls "$work/det-a-$kind" | sort -n | head -1)
  b=$(ls "$work/det-a-$kind" | sort -n | tail -1)
  if cmp -s "$work/det-a-$kind/$a" "$work/det-a-$kind/$b"; then
    fail "$kind: consecutive frames are identical"
  else
    pass "$kind: consecutive frames differ"
  fi
done

# --- frame K does not depend on --start/--count
run_gen --kind visible --count 4 --width 160 --height 120 --out "$work/whole"
run_gen --kind visible --count 2 --start 2 --width 160 --height 120 --out "$work/part"
if cmp -s "$work/whole/3.png" "$work/part/3.png"; then
  pass "frame 3 is the same whatever --start produced it"
else
  fail "frame 3 differs between --start 0 and --start 2"
fi

# --- bad arguments are refused
if "$gen" --kind bogus --count 1 --out "$work/bogus" >/dev/null 2>&1; then
  fail "--kind bogus was accepted"
else
  pass "--kind bogus refused"
fi
if "$gen" --kind tiny --count 1 >/dev/null 2>&1; then
  fail "missing --out was accepted"
else
  pass "missing --out refused"
fi

if ((failures)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all framewire-gen checks passed"
