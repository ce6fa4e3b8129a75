#!/usr/bin/env bash
# Sender memory over a long live capture: `framewire send --capture testsrc:WxH@FPS --duration S`
# into `framewire serve --sync batch` (root on /dev/shm; frames deleted as they pile up, so a long
# run does not fill the memory the benchmark is watching), with the sender's VmRSS read from
# /proc/PID/status every INTERVAL seconds. Prints first/min/max/last and whether the RSS is flat:
# after a warm-up (the first 10% of the samples, at least one), it may not end more than
# max(1 MiB, 2%) above where it stood then, nor rise by more than that between the two halves of
# the remaining samples. Samples go to a CSV (seconds,VmRSS KiB) printed at the end.
#
# Usage: bench/rss_live.sh [--duration S] [--interval S] [--size WxH] [--fps N] [--keep]
#   --duration  capture length in seconds (default 600)
#   --interval  seconds between samples (default 5)
# Environment: FRAMEWIRE_BIN (default build/apps/framewire/framewire, a release build),
# BENCH_DIR (default /dev/shm/framewire-rss.PID). Exit 0 when flat, 1 when not (or on error).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }

duration=600
interval=5
size=1920x1080
fps=30
keep=0
while (($#)); do
  case "$1" in
    --duration) duration=${2:?--duration needs a value}; shift ;;
    --interval) interval=${2:?--interval needs a value}; shift ;;
    --size) size=${2:?--size needs a value}; shift ;;
    --fps) fps=${2:?--fps needs a value}; shift ;;
    --keep) keep=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; fw_die "unknown argument '$1'" ;;
  esac
  shift
done
for v in "$duration" "$interval" "$fps"; do
  [[ "$v" =~ ^[0-9]+$ && "$v" -gt 0 ]] || fw_die "'$v' is not a positive whole number"
done
[[ "$size" =~ ^[0-9]+x[0-9]+$ ]] || fw_die "--size WxH, e.g. 1920x1080"
pattern="testsrc:$size@$fps"

fw=${FRAMEWIRE_BIN:-$(fw_build_dir)/apps/framewire/framewire}
[[ -x "$fw" ]] || fw_die "no framewire binary at $fw (run scripts/build --release, or set FRAMEWIRE_BIN)"

if [[ -n "${BENCH_DIR:-}" ]]; then
  work=$BENCH_DIR
elif [[ -d /dev/shm && -w /dev/shm ]]; then
  work=/dev/shm/framewire-rss.$$
else
  work=${TMPDIR:-/tmp}/framewire-rss.$$
fi
mkdir -p "$work/root" "$work/log"
live_pids=()
cleanup() {
  local pid
  for pid in "${live_pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
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

fw_start_serve "$work/log/serve.log" "$fw" serve --root "$work/root" --listen 127.0.0.1:0 \
  --sync batch || fw_die "receiver did not start"
serve_pid=$FW_SERVE_PID
live_pids+=("$serve_pid")

fw_log "$pattern for ${duration}s, VmRSS every ${interval}s; load: $(uptime)"
"$fw" send --to "127.0.0.1:$FW_SERVE_PORT" --stream rss/cam --capture "$pattern" \
  --duration "$duration" --json >"$work/log/send.json" 2>"$work/log/send.err" &
send_pid=$!
live_pids+=("$send_pid")

csv=$work/rss.csv
echo "seconds,vmrss_kib" >"$csv"
stream_dir=$work/root/rss/cam
t0=$(fw_now_ns)
next=0
while kill -0 "$send_pid" 2>/dev/null; do
  now=$(fw_now_ns)
  elapsed=$(((now - t0) / 1000000000))
  if ((elapsed >= next)); then
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$send_pid/status" 2>/dev/null || true)
    [[ -n "$rss" ]] && echo "$elapsed,$rss" >>"$csv"
    next=$((next + interval))
    # Stored frames are not what is measured: keep the newest few hundred only (the receiver
    # keeps no handle on a stored file).
    if [[ -d "$stream_dir" ]]; then
      find "$stream_dir" -maxdepth 1 -name '*.jpg' -printf '%f\n' | sort | head -n -300 |
        sed "s|^|$stream_dir/|" | xargs -r rm -f
    fi
  fi
  sleep 0.2
done
status=0
wait "$send_pid" || status=$?
fw_stop_serve "$serve_pid" || true
((status == 0)) || fw_die "framewire send exited $status: $(tail -5 "$work/log/send.err")"

samples=$(($(wc -l <"$csv") - 1))
((samples >= 3)) || fw_die "only $samples samples: lengthen --duration or shorten --interval"
report=$(awk -F, -v n="$samples" '
  NR == 1 { next }
  { i = NR - 1; v[i] = $2 }
  END {
    warm = int(n / 10); if (warm < 1) warm = 1
    first = v[1]; last = v[n]; min = v[1]; max = v[1]
    for (i = 1; i <= n; i++) { if (v[i] < min) min = v[i]; if (v[i] > max) max = v[i] }
    base = v[warm + 1]
    half = int((n - warm) / 2)
    m1 = 0; m2 = 0
    for (i = warm + 1; i <= warm + half; i++) if (v[i] > m1) m1 = v[i]
    for (i = warm + half + 1; i <= n; i++) if (v[i] > m2) m2 = v[i]
    if (half == 0) m1 = m2
    allow = base * 0.02; if (allow < 1024) allow = 1024
    flat = (last - base <= allow && m2 - m1 <= allow) ? "yes" : "no"
    printf "%.1f %.1f %.1f %.1f %.1f %.1f %.1f %s\n", first / 1024, min / 1024, max / 1024,
      last / 1024, base / 1024, (last - base) / 1024, allow / 1024, flat
  }' "$csv")
read -r first min max last base growth allow flat <<<"$report"
frames=$(grep -oE '"frames":[0-9]+' "$work/log/send.json" | head -1 | cut -d: -f2 || true)

echo
echo "## Sender RSS over a live capture ($pattern, ${duration} s, a sample every ${interval} s)"
echo
echo "$(nproc) CPUs, $(uname -r); load: $(uptime | sed 's/.*load average/load average/'). Frames stored: ${frames:-?}."
echo
echo "| samples | first MiB | min MiB | max MiB | last MiB | after warm-up MiB | growth since MiB | flat (<= $allow MiB) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---|"
echo "| $samples | $first | $min | $max | $last | $base | $growth | $flat |"
echo
echo "Samples (seconds,VmRSS KiB):"
tr '\n' ' ' <"$csv"
echo
[[ "$flat" == yes ]]
