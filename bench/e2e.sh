#!/usr/bin/env bash
# End-to-end benchmark of framewire against a raw TCP baseline (tar | socat -> socat | tar -x) on
# loopback, with socat's default 8 KiB buffer and with `-b 1048576` (1 MiB; the faster one for
# large frames), both in the same run; the ratio is against the faster of the two.
# For each dataset (generated into /dev/shm by framewire-gen) and each of RUNS runs:
#   framewire: `serve --root <fresh dir> --sync batch --listen 127.0.0.1:0`, then `send`; the wall
#              time is send's, from start to exit (send exits only when every frame is stored);
#   baseline:  `socat -u TCP-LISTEN:P - | tar -x -C <fresh dir>` receiving,
#              `tar -c -C <src> . | socat -u - TCP:127.0.0.1:P` sending; the wall time runs from
#              the sender's start until the receiving pipeline has exited.
# After every run the destination must be byte-identical to the source (diff -r, manifest.jsonl
# excluded). CPU seconds (user+sys) and peak RSS of each side come from GNU /usr/bin/time; for
# pipelines (run under bash -c) the RSS is that of the largest process in it. Medians are
# printed as a markdown table, followed by a memory-flatness check (tiny frames, two set sizes).
#
# Usage: bench/e2e.sh [--quick] [--runs N] [--datasets visible,infrared,jpeg,tiny] [--keep]
#                     [--visible N] [--infrared N] [--jpeg N] [--tiny N] [--flat SMALL,LARGE]
# Environment: FRAMEWIRE_BIN (default build/apps/framewire/framewire, a release build made by
# scripts/build --release), FRAMEWIRE_GEN_BIN, RUNS, DATASETS, VISIBLE_FRAMES, INFRARED_FRAMES,
# JPEG_FRAMES, TINY_FRAMES, FLAT_SMALL, FLAT_LARGE, BENCH_DIR (default /dev/shm/framewire-bench.PID).
# MB = 10^6 bytes; RSS in MiB.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }

quick=0
keep=0
opt_runs=${RUNS:-}
opt_datasets=${DATASETS:-visible,infrared,jpeg,tiny}
opt_visible=${VISIBLE_FRAMES:-}
opt_infrared=${INFRARED_FRAMES:-}
opt_jpeg=${JPEG_FRAMES:-}
opt_tiny=${TINY_FRAMES:-}
opt_flat_small=${FLAT_SMALL:-}
opt_flat_large=${FLAT_LARGE:-}
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --keep) keep=1 ;;
    --runs) opt_runs=${2:?--runs needs a value}; shift ;;
    --datasets) opt_datasets=${2:?--datasets needs a value}; shift ;;
    --visible) opt_visible=${2:?}; shift ;;
    --infrared) opt_infrared=${2:?}; shift ;;
    --jpeg) opt_jpeg=${2:?}; shift ;;
    --tiny) opt_tiny=${2:?}; shift ;;
    --flat)
      opt_flat_small=${2%,*}
      opt_flat_large=${2#*,}
      shift
      ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; fw_die "unknown argument '$1'" ;;
  esac
  shift
done

if ((quick)); then
  runs=${opt_runs:-3}
  frames_visible=${opt_visible:-30} frames_infrared=${opt_infrared:-60}
  frames_jpeg=${opt_jpeg:-30} frames_tiny=${opt_tiny:-1000}
  flat_small=${opt_flat_small:-500} flat_large=${opt_flat_large:-2500}
else
  runs=${opt_runs:-5}
  frames_visible=${opt_visible:-150} frames_infrared=${opt_infrared:-300}
  frames_jpeg=${opt_jpeg:-150} frames_tiny=${opt_tiny:-5000}
  flat_small=${opt_flat_small:-2000} flat_large=${opt_flat_large:-10000}
fi
for v in "$runs" "$frames_visible" "$frames_infrared" "$frames_jpeg" "$frames_tiny" \
  "$flat_small" "$flat_large"; do
  [[ "$v" =~ ^[0-9]+$ && "$v" -gt 0 ]] || fw_die "'$v' is not a positive count"
done
((runs >= 3)) || fw_die "--runs must be at least 3 (medians of fewer runs mean little)"
IFS=, read -r -a datasets <<<"$opt_datasets"

# --- binaries and tools
fw=${FRAMEWIRE_BIN:-$(fw_build_dir)/apps/framewire/framewire}
if [[ -z "${FRAMEWIRE_GEN_BIN:-}" ]]; then
  fw_dir=$(dirname "$fw")
  for candidate in "$fw_dir/../../tools/gen/framewire-gen" "$fw_dir/framewire-gen" \
    "$(command -v framewire-gen || true)" "$(fw_build_dir)/tools/gen/framewire-gen"; do
    if [[ -n "$candidate" && -x "$candidate" ]]; then
      FRAMEWIRE_GEN_BIN=$candidate
      break
    fi
  done
fi
gen=${FRAMEWIRE_GEN_BIN:-}
[[ -x "$fw" ]] || fw_die "no framewire binary at $fw (run scripts/build --release, or set FRAMEWIRE_BIN)"
[[ -n "$gen" && -x "$gen" ]] || fw_die "no framewire-gen found (set FRAMEWIRE_GEN_BIN)"
for tool in socat tar diff /usr/bin/time; do
  command -v "$tool" >/dev/null || fw_die "$tool not found (scripts/deps installs it)"
done
/usr/bin/time -f %e true 2>/dev/null || fw_die "/usr/bin/time is not GNU time (scripts/deps)"

# --- work area
if [[ -n "${BENCH_DIR:-}" ]]; then
  work=$BENCH_DIR
elif [[ -d /dev/shm && -w /dev/shm ]]; then
  work=/dev/shm/framewire-bench.$$
else
  work=${TMPDIR:-/tmp}/framewire-bench.$$
fi
mkdir -p "$work/data" "$work/dst" "$work/log"
live_pids=()
cleanup() {
  local pid
  for pid in "${live_pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$(fw_signal_target "$pid")" "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  if ((keep)); then
    fw_log "kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

time_format='%e %U %S %M'
# cpu_seconds FILE / rss_mib FILE: from a /usr/bin/time -o file (its last line is the format;
# a "Command exited with non-zero status" line may precede it).
cpu_seconds() { tail -1 "$1" | awk '{ printf "%.3f", $2 + $3 }'; }
rss_mib() { tail -1 "$1" | awk '{ printf "%.1f", $4 / 1024 }'; }
seconds_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", (b - a) / 1e9 }'; }
dir_bytes() { find "$1" -type f ! -name manifest.jsonl -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }

verify_copy() {  # verify_copy SRC DST WHAT
  if ! diff -r -x manifest.jsonl "$1" "$2" >/dev/null 2>&1; then
    fw_log "$3: destination differs from source:"
    diff -rq -x manifest.jsonl "$1" "$2" 2>&1 | head -5 >&2 || true
    exit 1
  fi
}

# run_framewire NAME KIND SRC TAG: one framewire run; sets R_WALL R_SEND_CPU R_RECV_CPU
# R_SEND_RSS R_RECV_RSS.
run_framewire() {
  local name=$1 kind=$2 src=$3 tag=$4
  local root=$work/dst/fw-$tag log=$work/log/fw-$tag
  rm -rf "$root"
  mkdir -p "$root"
  fw_start_serve "$log.serve.out" /usr/bin/time -f "$time_format" -o "$log.serve.time" \
    "$fw" serve --root "$root" --listen 127.0.0.1:0 --sync batch ||
    fw_die "$tag: receiver did not start"
  local serve_pid=$FW_SERVE_PID port=$FW_SERVE_PORT t0 t1 status=0
  live_pids+=("$serve_pid")
  t0=$(fw_now_ns)
  /usr/bin/time -f "$time_format" -o "$log.send.time" \
    "$fw" send --to "127.0.0.1:$port" --stream "bench/$name" --source "$kind" "$src" --json \
    >"$log.send.out" 2>"$log.send.err" || status=$?
  t1=$(fw_now_ns)
  if ((status != 0)); then
    fw_log "$tag: framewire send exited $status; stderr:"
    tail -20 "$log.send.err" >&2
    exit 1
  fi
  status=0
  fw_stop_serve "$serve_pid" || status=$?
  ((status == 0)) || fw_die "$tag: receiver exited $status after SIGTERM (log $log.serve.out)"
  verify_copy "$src" "$root/bench/$name" "$tag"
  R_WALL=$(seconds_between "$t0" "$t1")
  R_SEND_CPU=$(cpu_seconds "$log.send.time")
  R_SEND_RSS=$(rss_mib "$log.send.time")
  R_RECV_CPU=$(cpu_seconds "$log.serve.time")
  R_RECV_RSS=$(rss_mib "$log.serve.time")
  rm -rf "$root"
}

# run_baseline SRC TAG [BUFFER_BYTES]: one tar|socat run (socat -b BUFFER_BYTES on both sides
# when given); sets the same R_* variables.
run_baseline() {
  local src=$1 tag=$2 buffer=${3:-}
  local dst=$work/dst/raw-$tag log=$work/log/raw-$tag port recv_pid attempt t0 t1 status=0
  local socat_opts=()
  [[ -n "$buffer" ]] && socat_opts=(-b "$buffer")
  rm -rf "$dst"
  mkdir -p "$dst"
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    /usr/bin/time -f "$time_format" -o "$log.recv.time" bash -c \
      'set -o pipefail; socat "${@:3}" -u "TCP-LISTEN:$1,reuseaddr,bind=127.0.0.1" - | tar -x -C "$2"' \
      _ "$port" "$dst" "${socat_opts[@]}" 2>"$log.recv.err" &
    recv_pid=$!
    if fw_wait_tcp_listen "$port" "$recv_pid" 10; then
      break
    fi
    kill "$(fw_signal_target "$recv_pid")" 2>/dev/null || true
    wait "$recv_pid" 2>/dev/null || true
    recv_pid=
    ((attempt < 8)) || fw_die "$tag: baseline receiver could not listen (log $log.recv.err)"
  done
  live_pids+=("$recv_pid")
  t0=$(fw_now_ns)
  /usr/bin/time -f "$time_format" -o "$log.send.time" bash -c \
    'set -o pipefail; tar -c -C "$1" . | socat "${@:3}" -u - "TCP:127.0.0.1:$2"' _ "$src" "$port" \
    "${socat_opts[@]}" 2>"$log.send.err" || status=$?
  ((status == 0)) || fw_die "$tag: baseline sender exited $status ($(tail -3 "$log.send.err"))"
  wait "$recv_pid" || status=$?
  t1=$(fw_now_ns)
  ((status == 0)) || fw_die "$tag: baseline receiver exited $status ($(tail -3 "$log.recv.err"))"
  verify_copy "$src" "$dst" "$tag"
  R_WALL=$(seconds_between "$t0" "$t1")
  R_SEND_CPU=$(cpu_seconds "$log.send.time")
  R_SEND_RSS=$(rss_mib "$log.send.time")
  R_RECV_CPU=$(cpu_seconds "$log.recv.time")
  R_RECV_RSS=$(rss_mib "$log.recv.time")
  rm -rf "$dst"
}

median_of() { printf '%s\n' "$@" | fw_median; }
fmt2() { awk -v v="$1" 'BEGIN { printf "%.2f", v }'; }
fmt1() { awk -v v="$1" 'BEGIN { printf "%.1f", v }'; }
fmt0() { awk -v v="$1" 'BEGIN { printf "%.0f", v }'; }

generate() {  # generate NAME KIND COUNT [gen args...]
  local name=$1 kind=$2 count=$3
  shift 3
  "$gen" --kind "$kind" --count "$count" --out "$work/data/$name" "$@" >"$work/log/gen-$name.out" ||
    fw_die "framewire-gen failed for $name"
}

fw_log "framewire: $fw"
fw_log "work area: $work; $runs runs per dataset"

rows=()
for name in "${datasets[@]}"; do
  case "$name" in
    visible) kind=visible count=$frames_visible ;;
    infrared) kind=infrared count=$frames_infrared ;;
    jpeg) kind=jpeg count=$frames_jpeg ;;
    tiny) kind=tiny count=$frames_tiny ;;
    *) fw_die "unknown dataset '$name' (visible, infrared, jpeg, tiny)" ;;
  esac
  fw_log "$name: generating $count frames"
  generate "$name" "$kind" "$count"
  src=$work/data/$name
  bytes=$(dir_bytes "$src")
  fw_wall=() fw_scpu=() fw_rcpu=() fw_srss=() fw_rrss=()
  raw_wall=() raw_scpu=() raw_rcpu=() raw_srss=() raw_rrss=()
  big_wall=() big_scpu=() big_rcpu=() big_srss=() big_rrss=()
  for ((run = 1; run <= runs; run++)); do
    # Alternate the two so that drift in machine load affects both alike.
    run_framewire "$name" "$kind" "$src" "$name-$run"
    fw_wall+=("$R_WALL") fw_scpu+=("$R_SEND_CPU") fw_rcpu+=("$R_RECV_CPU")
    fw_srss+=("$R_SEND_RSS") fw_rrss+=("$R_RECV_RSS")
    fw_log "$name run $run/$runs: framewire ${R_WALL}s"
    run_baseline "$src" "$name-$run"
    raw_wall+=("$R_WALL") raw_scpu+=("$R_SEND_CPU") raw_rcpu+=("$R_RECV_CPU")
    raw_srss+=("$R_SEND_RSS") raw_rrss+=("$R_RECV_RSS")
    fw_log "$name run $run/$runs: baseline  ${R_WALL}s"
    run_baseline "$src" "$name-$run-1m" 1048576
    big_wall+=("$R_WALL") big_scpu+=("$R_SEND_CPU") big_rcpu+=("$R_RECV_CPU")
    big_srss+=("$R_SEND_RSS") big_rrss+=("$R_RECV_RSS")
    fw_log "$name run $run/$runs: baseline -b 1 MiB ${R_WALL}s"
  done
  fw_s=$(median_of "${fw_wall[@]}")
  raw_s=$(median_of "${raw_wall[@]}")
  big_s=$(median_of "${big_wall[@]}")
  mb=$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')
  fw_mbps=$(awk -v m="$mb" -v s="$fw_s" 'BEGIN { print m / s }')
  raw_mbps=$(awk -v m="$mb" -v s="$raw_s" 'BEGIN { print m / s }')
  big_mbps=$(awk -v m="$mb" -v s="$big_s" 'BEGIN { print m / s }')
  # The faster baseline is the one framewire is compared with, CPU and memory included.
  if awk -v a="$big_s" -v b="$raw_s" 'BEGIN { exit !(a < b) }'; then
    best=big best_label="1 MiB" best_s=$big_s best_mbps=$big_mbps
  else
    best=raw best_label="8 KiB" best_s=$raw_s best_mbps=$raw_mbps
  fi
  best_scpu=${best}_scpu[@] best_rcpu=${best}_rcpu[@] best_srss=${best}_srss[@] best_rrss=${best}_rrss[@]
  rows+=("| $name | $count | $(fmt1 "$mb") | $(fmt1 "$fw_mbps") | $(fmt0 "$(awk -v n="$count" -v s="$fw_s" 'BEGIN { print n / s }')") | $(fmt1 "$raw_mbps") | $(fmt1 "$big_mbps") | $(fmt0 "$(awk -v n="$count" -v s="$best_s" 'BEGIN { print n / s }')") ($best_label) | $(fmt2 "$(awk -v a="$fw_mbps" -v b="$best_mbps" 'BEGIN { print a / b }')") | $(fmt2 "$(median_of "${fw_scpu[@]}")") / $(fmt2 "$(median_of "${!best_scpu}")") | $(fmt2 "$(median_of "${fw_rcpu[@]}")") / $(fmt2 "$(median_of "${!best_rcpu}")") | $(fmt1 "$(median_of "${fw_srss[@]}")") / $(fmt1 "$(median_of "${!best_srss}")") | $(fmt1 "$(median_of "${fw_rrss[@]}")") / $(fmt1 "$(median_of "${!best_rrss}")") |")
  rm -rf "$src"
done

# --- memory flatness: peak RSS must not grow with the number of frames sent
flat_rows=()
for count in "$flat_small" "$flat_large"; do
  name=flat-$count
  fw_log "$name: generating $count tiny frames"
  generate "$name" tiny "$count"
  src=$work/data/$name
  run_framewire "$name" tiny "$src" "$name"
  flat_rows+=("| $count | $(fmt1 "$(awk -v b="$(dir_bytes "$src")" 'BEGIN { print b / 1e6 }')") | $(fmt2 "$R_WALL") | $R_SEND_RSS | $R_RECV_RSS |")
  eval "flat_send_$count=$R_SEND_RSS flat_recv_$count=$R_RECV_RSS"
  rm -rf "$src"
done

echo
echo "## framewire vs tar|socat over loopback ($runs runs each, medians; $(nproc) CPUs, $(uname -r))"
echo
echo "Throughput is data bytes (MB = 10^6 B) over wall time. The baseline is tar|socat with socat's"
echo "default 8 KiB buffer and with -b 1048576; the ratio, CPU (user+sys seconds) and peak RSS (MiB)"
echo "cells compare framewire with the faster of the two (named in the frames/s column)."
echo
echo "| dataset | frames | MB | framewire MB/s | framewire frames/s | tar\\|socat MB/s | tar\\|socat -b 1 MiB MB/s | faster baseline frames/s | ratio vs faster | send CPU s | recv CPU s | send peak RSS MiB | recv peak RSS MiB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "## memory flatness (framewire, tiny frames, one run each)"
echo
echo "| frames | MB | send s | send peak RSS MiB | recv peak RSS MiB |"
echo "|---:|---:|---:|---:|---:|"
printf '%s\n' "${flat_rows[@]}"
small_send=flat_send_$flat_small large_send=flat_send_$flat_large
small_recv=flat_recv_$flat_small large_recv=flat_recv_$flat_large
echo
echo "RSS growth from $flat_small to $flat_large frames: sender $(fmt1 "$(awk -v a="${!small_send}" -v b="${!large_send}" 'BEGIN { print b - a }')") MiB, receiver $(fmt1 "$(awk -v a="${!small_recv}" -v b="${!large_recv}" 'BEGIN { print b - a }')") MiB"
