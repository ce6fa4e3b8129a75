#!/usr/bin/env bash
# Does a stalled live viewer slow a sender? Throughput of one folder send (a visible and an
# infrared stream over one connection, archive: as fast as the receiver stores) into
#   none:    framewire serve (no --http)
#   http:    framewire serve --http, no client
#   stalled: framewire serve --http with a /live client that watches both streams and never
#            reads (4 KiB receive buffer), plus 100 idle HTTP keep-alive connections
#            (bench/viewer_clients.py)
# RUNS runs of each, interleaved; MB/s is send's --json mb_per_s; the receiver's peak RSS from
# /proc (VmHWM). Medians printed as a markdown table.
# Usage: bench/viewer_load.sh [--runs N] [--visible N] [--infrared N]
# Environment: FRAMEWIRE_BIN (default build/apps/framewire/framewire), FRAMEWIRE_GEN_BIN,
# BENCH_DIR (default /dev/shm/framewire-viewer.PID), PYTHON (default /usr/bin/python3).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

runs=${RUNS:-5}
visible=${VISIBLE_FRAMES:-200}
infrared=${INFRARED_FRAMES:-400}
while (($#)); do
  case "$1" in
    --runs) runs=${2:?}; shift ;;
    --visible) visible=${2:?}; shift ;;
    --infrared) infrared=${2:?}; shift ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) fw_die "unknown argument '$1'" ;;
  esac
  shift
done

dir=$(fw_build_dir)
fw=${FRAMEWIRE_BIN:-$dir/apps/framewire/framewire}
gen=${FRAMEWIRE_GEN_BIN:-$dir/tools/gen/framewire-gen}
python=${PYTHON:-/usr/bin/python3}
[[ -x "$fw" && -x "$gen" ]] || fw_die "no framewire / framewire-gen binaries (scripts/build --release)"
work=${BENCH_DIR:-/dev/shm/framewire-viewer.$$}
mkdir -p "$work"
FW_SERVE_PID=
VIEWERS_PID=
cleanup() {
  [[ -n "$VIEWERS_PID" ]] && kill "$VIEWERS_PID" 2>/dev/null || true
  [[ -n "$FW_SERVE_PID" ]] && kill "$FW_SERVE_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fw_log "generating $visible visible + $infrared infrared frames in $work"
"$gen" --kind visible --count "$visible" --out "$work/in/visible" >/dev/null
"$gen" --kind infrared --count "$infrared" --out "$work/in/infrared" >/dev/null
in_mb=$(du -sm "$work/in" | cut -f1)

run_one() {  # mode run -> sets RUN_MBPS and RUN_RSS (MiB)
  local mode=$1 run=$2 root=$work/root-$1-$2 log=$work/serve-$1-$2.log http=()
  [[ "$mode" != none ]] && http=(--http 127.0.0.1:0)
  fw_start_serve "$log" "$fw" serve --root "$root" --listen 127.0.0.1:0 "${http[@]}" ||
    fw_die "receiver did not start"
  if [[ "$mode" == stalled ]]; then
    local address
    address=$(grep -oE 'live view on http://[^/]+' "$log" | sed 's|.*http://||')
    "$python" "$(dirname "$0")/viewer_clients.py" "$address" 100 rig1/visible rig1/infrared \
      >"$work/viewers.out" 2>&1 &
    VIEWERS_PID=$!
    fw_wait_for_line "$work/viewers.out" ready "$VIEWERS_PID" 60 || fw_die "viewers did not start"
  fi
  "$fw" send --to "127.0.0.1:$FW_SERVE_PORT" --json \
    --stream rig1/visible --source visible "$work/in/visible" \
    --stream rig1/infrared --source infrared "$work/in/infrared" >"$work/send.json"
  local rss
  rss=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$FW_SERVE_PID/status")
  if [[ -n "$VIEWERS_PID" ]]; then
    kill "$VIEWERS_PID" 2>/dev/null || true
    wait "$VIEWERS_PID" 2>/dev/null || true
    VIEWERS_PID=
  fi
  fw_stop_serve "$FW_SERVE_PID" >/dev/null || true
  FW_SERVE_PID=
  rm -rf "$root"
  RUN_MBPS=$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["mb_per_s"])' \
    "$work/send.json")
  RUN_RSS=$rss
}

declare -A mbps rss
for ((r = 1; r <= runs; r++)); do
  for mode in none http stalled; do
    run_one "$mode" "$r"
    mbps[$mode]+="$RUN_MBPS "
    rss[$mode]+="$RUN_RSS "
    fw_log "run $r $mode: $RUN_MBPS MB/s, receiver peak RSS $RUN_RSS MiB"
  done
done

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | fw_median; }
base=$(median "${mbps[none]}")
echo
echo "$visible visible (RGB PNG) + $infrared infrared (16-bit PNG) frames, ${in_mb} MB, $runs runs," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo
echo "| receiver | MB/s (median) | vs no --http | MB/s min-max | peak RSS MiB |"
echo "| --- | ---: | ---: | ---: | ---: |"
for mode in none http stalled; do
  m=$(median "${mbps[$mode]}")
  label=$mode
  [[ $mode == none ]] && label="no --http"
  [[ $mode == http ]] && label="--http, no client"
  [[ $mode == stalled ]] && label="--http, stalled /live client + 100 idle HTTP clients"
  printf '| %s | %.0f | %s | %s | %s |\n' "$label" "$m" \
    "$(awk -v a="$m" -v b="$base" 'BEGIN { printf "%+.1f%%", (a / b - 1) * 100 }')" \
    "$(tr ' ' '\n' <<<"${mbps[$mode]}" | grep -v '^$' | sort -g |
      awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f-%.0f", lo, hi }')" \
    "$(median "${rss[$mode]}")"
done
