#!/usr/bin/env bash
# Receiver memory per idle connection: starts `framewire serve` (root in BENCH_DIR, plain TCP on
# 127.0.0.1), warms it up with a few connections, reads its VmRSS from /proc, then opens COUNT
# connections with fw_idle_clients (bench/idle_clients.cpp: each says HELLO, waits for HELLO_OK,
# then sends nothing; sources spread over 127.0.0.1..127.0.0.<ADDRESSES>, so the default
# --max-connections-per-address of 256 holds for 1,000 connections), waits SETTLE seconds and
# reads VmRSS again. Prints the RSS before and after, the delta and the delta per connection, and
# checks in the receiver's log that every connection was still open. Run it against another
# build (FRAMEWIRE_BIN) to compare.
#
# Usage: bench/idle_connections.sh [--count N] [--addresses A] [--settle S] [--runs R]
#   --count      connections to hold (default 1000)
#   --addresses  source addresses 127.0.0.1..127.0.0.A (default 4)
#   --settle     seconds between the last HELLO_OK and the RSS reading (default 2)
#   --runs       repetitions, each with a fresh receiver (default 3); the median is printed
# Environment: FRAMEWIRE_BIN (default build/apps/framewire/framewire), FW_IDLE_CLIENTS_BIN
# (default: fw_idle_clients beside the build's bench/), BENCH_DIR (default
# /dev/shm/framewire-idle.PID). RSS in KiB (VmRSS, /proc/PID/status).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }

count=1000
addresses=4
settle=2
runs=3
while (($#)); do
  case "$1" in
    --count) count=${2:?--count needs a value}; shift ;;
    --addresses) addresses=${2:?--addresses needs a value}; shift ;;
    --settle) settle=${2:?--settle needs a value}; shift ;;
    --runs) runs=${2:?--runs needs a value}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; fw_die "unknown argument '$1'" ;;
  esac
  shift
done
for v in "$count" "$addresses" "$settle" "$runs"; do
  [[ "$v" =~ ^[0-9]+$ && "$v" -gt 0 ]] || fw_die "'$v' is not a positive whole number"
done

fw=${FRAMEWIRE_BIN:-$(fw_build_dir)/apps/framewire/framewire}
clients=${FW_IDLE_CLIENTS_BIN:-$(fw_build_dir)/bench/fw_idle_clients}
[[ -x "$fw" ]] || fw_die "no framewire binary at $fw (run scripts/build --release, or set FRAMEWIRE_BIN)"
[[ -x "$clients" ]] || fw_die "no fw_idle_clients at $clients (set FW_IDLE_CLIENTS_BIN)"

if [[ -n "${BENCH_DIR:-}" ]]; then
  work=$BENCH_DIR
elif [[ -d /dev/shm && -w /dev/shm ]]; then
  work=/dev/shm/framewire-idle.$$
else
  work=${TMPDIR:-/tmp}/framewire-idle.$$
fi
mkdir -p "$work"
live_pids=()
cleanup() {
  local pid
  exec 3>&- 2>/dev/null || true
  for pid in "${live_pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

# The receiver needs a descriptor per connection.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# hold_clients PORT N LOG: starts fw_idle_clients holding N connections, its standard input on
# fd 3 (closing fd 3 lets it go); waits for its `ready` line. Sets CLIENTS_PID.
hold_clients() {
  local port=$1 n=$2 log=$3
  rm -f "$work/fifo"
  mkfifo "$work/fifo"
  "$clients" --port "$port" --count "$n" --addresses "$addresses" <"$work/fifo" >"$log" 2>&1 &
  CLIENTS_PID=$!
  live_pids+=("$CLIENTS_PID")
  exec 3>"$work/fifo"
  fw_wait_for_line "$log" '^ready ' "$CLIENTS_PID" 300 ||
    fw_die "fw_idle_clients did not get its connections through: $(tail -3 "$log")"
}
release_clients() {
  exec 3>&-
  wait "$CLIENTS_PID" || fw_die "fw_idle_clients failed: $(tail -3 "$1")"
}

fw_log "framewire: $fw; $count idle connections from $addresses addresses, $runs runs"
deltas=()
befores=()
afters=()
for ((run = 1; run <= runs; run++)); do
  rm -rf "$work/root"
  fw_start_serve "$work/serve.log" "$fw" serve --root "$work/root" --listen 127.0.0.1:0 ||
    fw_die "receiver did not start"
  serve_pid=$FW_SERVE_PID
  live_pids+=("$serve_pid")
  # Warm-up: the first connections allocate what every later one shares (thread arenas, the
  # logger, the pool's first buffers); they are closed again before the first reading.
  hold_clients "$FW_SERVE_PORT" 16 "$work/warm.log"
  release_clients "$work/warm.log"
  sleep 1
  before=$(rss_kib "$serve_pid")
  hold_clients "$FW_SERVE_PORT" "$count" "$work/clients.log"
  sleep "$settle"
  after=$(rss_kib "$serve_pid")
  closed=$(grep -c ' closed: ' "$work/serve.log" || true)
  ((closed == 16)) || fw_die "run $run: $((closed - 16)) of the idle connections were closed by the receiver"
  release_clients "$work/clients.log"
  fw_stop_serve "$serve_pid" || fw_die "receiver exited non-zero after SIGTERM"
  delta=$((after - before))
  fw_log "run $run/$runs: VmRSS $before KiB -> $after KiB: +$delta KiB, $(awk -v d="$delta" -v n="$count" 'BEGIN { printf "%.1f", d / n }') KiB per connection"
  deltas+=("$delta") befores+=("$before") afters+=("$after")
done

median_delta=$(printf '%s\n' "${deltas[@]}" | fw_median)
echo
echo "| connections | receiver VmRSS before KiB | after KiB | delta KiB | KiB per idle connection |"
echo "|---:|---:|---:|---:|---:|"
echo "| $count | $(printf '%s\n' "${befores[@]}" | fw_median) | $(printf '%s\n' "${afters[@]}" | fw_median) | $median_delta | $(awk -v d="$median_delta" -v n="$count" 'BEGIN { printf "%.1f", d / n }') |"
echo
echo "(medians of $runs runs; $(nproc) CPUs, $(uname -r); $fw)"
