#!/usr/bin/env bash
# Live-capture latency benchmark on loopback: framewire against a ZeroMQ PUSH/PULL baseline
# (imagezmq style), then framewire over a bandwidth-limited link.
#
#   framewire: `framewire serve --sync batch` with its root on /dev/shm, and
#              `framewire send --capture testsrc:WxH@FPS --duration S --json` (JPEG, the default for
#              testsrc). Reported: handed_to_stored (push() until the receiver's ACK that the frame
#              is stored) and capture_to_handed (capture + encode, until push()), from send's JSON.
#   ZeroMQ:    bench/zmq_live.py: a sender process PUSHes the same JPEG bytes (frames 0.. of the
#              same pattern, captured once by framewire into a scratch receiver) at FPS with a
#              CLOCK_MONOTONIC send timestamp; a receiver process PULLs, writes each frame to a file
#              on /dev/shm (write, fsync, close) and takes CLOCK_MONOTONIC: send->written.
#   throttled: through tests' fw_fault_proxy --rate B/s (a token bucket; default half the
#              stream's bitrate): once --live (p99 and drops; every stored frame must be the
#              bytes of a scratch-capture frame, in increasing frame order: testsrc frame n is
#              always the same JPEG), once --archive --frames N (nothing dropped, frames 0..N-1
#              stored byte-identical to the scratch capture's).
# Each of RUNS runs does framewire then ZeroMQ; the table shows the median over runs of each
# figure. Installs Debian's python3-zmq when it is missing (apt-get, sudo when not root).
#
# Usage: bench/live.sh [--duration S] [--runs N] [--size WxH] [--fps N] [--rate BYTES_PER_S]
#                      [--queue N] [--archive-frames N] [--no-zmq] [--no-throttle] [--keep]
# Environment: FRAMEWIRE_BIN (default build/apps/framewire/framewire, a release build made by
# scripts/build --release), FW_FAULT_PROXY_BIN (default the build's tests/fw_fault_proxy),
# ZMQ_PYTHON (default /usr/bin/python3, Debian's), BENCH_DIR (default /dev/shm/framewire-live.PID).
# Latencies in ms; MB = 10^6 bytes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

usage() { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; }

duration=30
runs=3
size=1920x1080
fps=30
rate=
queue=
archive_frames=60
do_zmq=1
do_throttle=1
keep=0
while (($#)); do
  case "$1" in
    --duration) duration=${2:?--duration needs a value}; shift ;;
    --runs) runs=${2:?--runs needs a value}; shift ;;
    --size) size=${2:?--size needs a value}; shift ;;
    --fps) fps=${2:?--fps needs a value}; shift ;;
    --rate) rate=${2:?--rate needs a value}; shift ;;
    --queue) queue=${2:?--queue needs a value}; shift ;;
    --archive-frames) archive_frames=${2:?--archive-frames needs a value}; shift ;;
    --no-zmq) do_zmq=0 ;;
    --no-throttle) do_throttle=0 ;;
    --keep) keep=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; fw_die "unknown argument '$1'" ;;
  esac
  shift
done
for v in "$duration" "$runs" "$fps" "$archive_frames" ${rate:+"$rate"} ${queue:+"$queue"}; do
  [[ "$v" =~ ^[0-9]+$ && "$v" -gt 0 ]] || fw_die "'$v' is not a positive whole number"
done
[[ "$size" =~ ^[0-9]+x[0-9]+$ ]] || fw_die "--size WxH, e.g. 1920x1080"
pattern="testsrc:$size@$fps"

# --- binaries and tools
fw=${FRAMEWIRE_BIN:-$(fw_build_dir)/apps/framewire/framewire}
proxy_bin=${FW_FAULT_PROXY_BIN:-$(dirname "$fw")/../../tests/fw_fault_proxy}
py=${ZMQ_PYTHON:-/usr/bin/python3}
zmq_script=$FRAMEWIRE_ROOT/bench/zmq_live.py
[[ -x "$fw" ]] || fw_die "no framewire binary at $fw (run scripts/build --release, or set FRAMEWIRE_BIN)"
if ((do_throttle)); then
  [[ -x "$proxy_bin" ]] || fw_die "no fw_fault_proxy at $proxy_bin (build the tests, or set FW_FAULT_PROXY_BIN)"
fi
[[ -x "$py" ]] || fw_die "no python3 at $py (set ZMQ_PYTHON)"
if ((do_zmq)) && ! "$py" -c 'import zmq' 2>/dev/null; then
  # Like scripts/deps: Debian's package, sudo only when not root.
  sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || fw_die "python3-zmq is missing, not root and no sudo"
    sudo=(sudo)
  fi
  fw_log "installing python3-zmq"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    python3-zmq >&2
  "$py" -c 'import zmq' || fw_die "$py still cannot import zmq (is it Debian's python3?)"
fi

# --- work area
if [[ -n "${BENCH_DIR:-}" ]]; then
  work=$BENCH_DIR
elif [[ -d /dev/shm && -w /dev/shm ]]; then
  work=/dev/shm/framewire-live.$$
else
  work=${TMPDIR:-/tmp}/framewire-live.$$
  fw_log "no writable /dev/shm: using $work"
fi
mkdir -p "$work/log"
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

# json_get FILE EXPR: EXPR evaluated on the JSON object of FILE's last non-empty line, bound to j
# (a stream of framewire's summary is found with s('NAME')).
json_get() {
  "$py" - "$1" "$2" <<'EOF'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
j = json.loads(lines[-1])
def s(name):
    return next(x for x in j["streams"] if x["name"] == name)
print(eval(sys.argv[2]))
EOF
}
median_of() { printf '%s\n' "$@" | fw_median; }
fmt1() { awk -v v="$1" 'BEGIN { printf "%.1f", v }'; }
fmt0() { awk -v v="$1" 'BEGIN { printf "%.0f", v }'; }

# start_serve ROOT TAG: a receiver with its root on ROOT; sets SERVE_PID, SERVE_PORT.
start_serve() {
  local root=$1 tag=$2
  rm -rf "$root"
  mkdir -p "$root"
  fw_start_serve "$work/log/$tag.serve.log" "$fw" serve --root "$root" --listen 127.0.0.1:0 \
    --sync batch || fw_die "$tag: receiver did not start"
  SERVE_PID=$FW_SERVE_PID SERVE_PORT=$FW_SERVE_PORT
  live_pids+=("$SERVE_PID")
}
stop_serve() {
  local status=0
  fw_stop_serve "$SERVE_PID" || status=$?
  ((status == 0)) || fw_die "receiver exited $status after SIGTERM"
}

# start_proxy UPSTREAM_PORT RATE TAG: fw_fault_proxy; sets PROXY_PID, PROXY_PORT.
start_proxy() {
  local out=$work/log/$3.proxy.out waited=0
  "$proxy_bin" --upstream "$1" --rate "$2" >"$out" 2>"$work/log/$3.proxy.err" &
  PROXY_PID=$!
  live_pids+=("$PROXY_PID")
  until [[ -s "$out" ]]; do
    kill -0 "$PROXY_PID" 2>/dev/null || fw_die "$3: fw_fault_proxy ended: $(cat "$work/log/$3.proxy.err")"
    ((waited < 500)) || fw_die "$3: fw_fault_proxy printed no port"
    sleep 0.02
    waited=$((waited + 1))
  done
  PROXY_PORT=$(head -1 "$out")
}
stop_proxy() {
  kill -TERM "$PROXY_PID" 2>/dev/null || true
  wait "$PROXY_PID" 2>/dev/null || true
}

# capture_send TO TAG ARGS...: framewire send --capture; its JSON goes to log/TAG.send.json.
capture_send() {
  local to=$1 tag=$2 status=0
  shift 2
  "$fw" send --to "$to" --json "$@" >"$work/log/$tag.send.json" 2>"$work/log/$tag.send.err" ||
    status=$?
  if ((status != 0)); then
    fw_log "$tag: framewire send exited $status; stderr:"
    tail -20 "$work/log/$tag.send.err" >&2
    exit 1
  fi
}

# same_as_reference DIR N: DIR holds exactly the reference's first N frames (by name), byte for
# byte, plus its manifest.
same_as_reference() {
  local dir=$1 count=$2 f
  frame_names() { find "$1" -maxdepth 1 -type f ! -name manifest.jsonl -printf '%f\n' | sort; }
  diff <(frame_names "$dir") <(frame_names "$ref_dir" | head -n "$count") >/dev/null || return 1
  for f in "$dir"/*; do
    [[ "$(basename "$f")" == manifest.jsonl ]] && continue
    cmp -s "$f" "$ref_dir/$(basename "$f")" || return 1
  done
}

fw_log "framewire: $fw; $pattern for ${duration}s, $runs run(s); work area $work"
fw_log "load before the runs: $(uptime)"

# --- reference frames: the pattern's first frames, captured as fast as they render. The ZeroMQ
# sender sends these bytes; the throttled archive run must store exactly these files.
# One more second than a run captures, so that every frame of a run has its reference (up to
# 1800 frames; a longer run's later frames are checked as whole JPEGs only).
ref_frames=$((fps * (duration + 1)))
((ref_frames <= 1800)) || ref_frames=1800
((ref_frames >= archive_frames)) || ref_frames=$archive_frames
start_serve "$work/ref" ref
capture_send "127.0.0.1:$SERVE_PORT" ref --stream ref/cam --capture "$pattern" --archive --no-pace \
  --frames "$ref_frames"
stop_serve
ref_dir=$work/ref/ref/cam
ref_bytes=$(json_get "$work/log/ref.send.json" "s('ref/cam')['bytes']")
frame_bytes=$(awk -v b="$ref_bytes" -v n="$ref_frames" 'BEGIN { printf "%.0f", b / n }')
bitrate=$((frame_bytes * fps))
fw_log "reference: $ref_frames frames, $frame_bytes bytes per frame, $bitrate B/s at $fps fps"

# --- framewire and ZeroMQ, alternated
declare -a fw_captured fw_frames fw_dropped h2s_p50 h2s_p95 h2s_p99 h2s_max c2h_p50 c2h_p95 c2h_p99 c2h_max
declare -a zmq_frames z_p50 z_p95 z_p99 z_max
for ((run = 1; run <= runs; run++)); do
  tag=fw-$run
  start_serve "$work/$tag" "$tag"
  capture_send "127.0.0.1:$SERVE_PORT" "$tag" --stream live/cam --capture "$pattern" \
    --duration "$duration"
  stop_serve
  out=$work/log/$tag.send.json
  fw_captured+=("$(json_get "$out" "s('live/cam')['frames_captured']")")
  fw_frames+=("$(json_get "$out" "s('live/cam')['frames']")")
  fw_dropped+=("$(json_get "$out" "s('live/cam')['frames_dropped']")")
  for p in p50 p95 p99 max; do
    eval "h2s_$p+=(\"\$(json_get \"\$out\" \"s('live/cam')['latency_ms']['handed_to_stored']['$p']\")\")"
    eval "c2h_$p+=(\"\$(json_get \"\$out\" \"s('live/cam')['latency_ms']['capture_to_handed']['$p']\")\")"
  done
  fw_log "run $run/$runs framewire: ${fw_frames[-1]} of ${fw_captured[-1]} frames stored, ${fw_dropped[-1]} dropped, handed_to_stored p50 ${h2s_p50[-1]} p99 ${h2s_p99[-1]} ms"
  rm -rf "${work:?}/$tag"

  if ((do_zmq)); then
    tag=zmq-$run
    rm -f "$work/zmq.port"
    "$py" "$zmq_script" recv --out "$work/$tag" --port-file "$work/zmq.port" \
      >"$work/log/$tag.recv.json" 2>"$work/log/$tag.recv.err" &
    recv_pid=$!
    live_pids+=("$recv_pid")
    waited=0
    until [[ -s "$work/zmq.port" ]]; do
      kill -0 "$recv_pid" 2>/dev/null || fw_die "$tag: receiver ended: $(cat "$work/log/$tag.recv.err")"
      ((waited < 500)) || fw_die "$tag: receiver printed no port"
      sleep 0.02
      waited=$((waited + 1))
    done
    "$py" "$zmq_script" send --port "$(cat "$work/zmq.port")" --frames "$ref_dir" --fps "$fps" \
      --duration "$duration" >"$work/log/$tag.send.json" 2>"$work/log/$tag.send.err" ||
      fw_die "$tag: sender failed: $(tail -3 "$work/log/$tag.send.err")"
    wait "$recv_pid" || fw_die "$tag: receiver failed: $(tail -3 "$work/log/$tag.recv.err")"
    out=$work/log/$tag.recv.json
    zmq_frames+=("$(json_get "$out" "j['frames']")")
    sent=$(json_get "$work/log/$tag.send.json" "j['sent']")
    [[ "${zmq_frames[-1]}" == "$sent" ]] || fw_die "$tag: $sent frames sent, ${zmq_frames[-1]} written"
    for p in p50 p95 p99 max; do
      eval "z_$p+=(\"\$(json_get \"\$out\" \"j['latency_ms']['send_to_written']['$p']\")\")"
    done
    fw_log "run $run/$runs ZeroMQ: ${zmq_frames[-1]} frames, send->written p50 ${z_p50[-1]} p99 ${z_p99[-1]} ms"
    rm -rf "${work:?}/$tag"
  fi
done

# --- throttled link
if ((do_throttle)); then
  [[ -n "$rate" ]] || rate=$((bitrate / 2))
  queue_args=()
  [[ -n "$queue" ]] && queue_args=(--queue "$queue")

  tag=throttle-live
  start_serve "$work/$tag" "$tag"
  start_proxy "$SERVE_PORT" "$rate" "$tag"
  capture_send "127.0.0.1:$PROXY_PORT" "$tag" --stream live/cam --capture "$pattern" --live \
    "${queue_args[@]}" --duration "$duration"
  stop_proxy
  stop_serve
  out=$work/log/$tag.send.json
  tl_captured=$(json_get "$out" "s('live/cam')['frames_captured']")
  tl_frames=$(json_get "$out" "s('live/cam')['frames']")
  tl_dropped=$(json_get "$out" "s('live/cam')['frames_dropped']")
  tl_p50=$(json_get "$out" "s('live/cam')['latency_ms']['handed_to_stored']['p50']")
  tl_p99=$(json_get "$out" "s('live/cam')['latency_ms']['handed_to_stored']['p99']")
  tl_max=$(json_get "$out" "s('live/cam')['latency_ms']['handed_to_stored']['max']")
  # Every stored frame complete and in capture order: its bytes are those of reference frame n
  # (testsrc frame n is always the same JPEG; stored names follow the wire's sequence, which has
  # no gaps where frames were dropped), and n increases from one stored frame to the next.
  declare -A ref_number=()
  while read -r sum name; do
    ref_number[$sum]=$((10#${name%%.*}))
  done < <(cd "$ref_dir" && find . -maxdepth 1 -type f ! -name manifest.jsonl -printf '%f\0' |
    xargs -0 md5sum)
  tl_bad=0 tl_stored=0 tl_disorder=0 last=-1
  while read -r sum name; do
    tl_stored=$((tl_stored + 1))
    n=${ref_number[$sum]:-}
    if [[ -z "$n" ]]; then
      # Past the reference (a run longer than it): at least a whole JPEG (SOI..EOI).
      if ((ref_frames < fps * (duration + 1))) && "$py" -c 'import sys; d = open(sys.argv[1], "rb").read(); sys.exit(not (d[:2] == b"\xff\xd8" and d[-2:] == b"\xff\xd9"))' "$work/$tag/live/cam/$name"; then
        continue
      fi
      tl_bad=$((tl_bad + 1))
      continue
    fi
    ((n > last)) || tl_disorder=$((tl_disorder + 1))
    last=$n
  done < <(cd "$work/$tag/live/cam" && find . -maxdepth 1 -type f ! -name manifest.jsonl \
    -printf '%f\n' | sort | xargs md5sum)
  fw_log "throttled live: $tl_frames of $tl_captured stored, $tl_dropped dropped, p99 $tl_p99 ms; $tl_bad not whole pattern frames, $tl_disorder out of order"
  rm -rf "${work:?}/$tag"

  tag=throttle-archive
  start_serve "$work/$tag" "$tag"
  start_proxy "$SERVE_PORT" "$rate" "$tag"
  capture_send "127.0.0.1:$PROXY_PORT" "$tag" --stream archive/cam --capture "$pattern" --archive \
    "${queue_args[@]}" --frames "$archive_frames"
  stop_proxy
  stop_serve
  out=$work/log/$tag.send.json
  ta_frames=$(json_get "$out" "s('archive/cam')['frames']")
  ta_dropped=$(json_get "$out" "s('archive/cam')['frames_dropped']")
  ta_p50=$(json_get "$out" "s('archive/cam')['latency_ms']['handed_to_stored']['p50']")
  ta_p99=$(json_get "$out" "s('archive/cam')['latency_ms']['handed_to_stored']['p99']")
  ta_max=$(json_get "$out" "s('archive/cam')['latency_ms']['handed_to_stored']['max']")
  if same_as_reference "$work/$tag/archive/cam" "$archive_frames"; then
    ta_identical=yes
  else
    ta_identical=NO
  fi
  fw_log "throttled archive: $ta_frames of $archive_frames stored, $ta_dropped dropped, byte-identical: $ta_identical"
  rm -rf "${work:?}/$tag"
fi

# --- report
echo
echo "## Live frames: $pattern JPEG over loopback, ${duration} s per run, $runs run(s), medians"
echo
echo "$(nproc) CPUs, $(uname -r); load: $(uptime | sed 's/.*load average/load average/')."
echo "Frames $frame_bytes bytes on average ($(fmt1 "$(awk -v b="$bitrate" 'BEGIN { print b / 1e6 }')") MB/s at $fps fps). Each cell is the median over the runs of that figure."
echo
echo "| what | span | frames captured | stored | dropped | p50 ms | p95 ms | p99 ms | max ms |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
fw_counts="$(median_of "${fw_captured[@]}") | $(median_of "${fw_frames[@]}") | $(median_of "${fw_dropped[@]}")"
echo "| framewire | capture_to_handed (capture + encode) | $fw_counts | $(fmt1 "$(median_of "${c2h_p50[@]}")") | $(fmt1 "$(median_of "${c2h_p95[@]}")") | $(fmt1 "$(median_of "${c2h_p99[@]}")") | $(fmt1 "$(median_of "${c2h_max[@]}")") |"
echo "| framewire | handed_to_stored (push() to stored ACK) | $fw_counts | $(fmt1 "$(median_of "${h2s_p50[@]}")") | $(fmt1 "$(median_of "${h2s_p95[@]}")") | $(fmt1 "$(median_of "${h2s_p99[@]}")") | $(fmt1 "$(median_of "${h2s_max[@]}")") |"
if ((do_zmq)); then
  echo "| ZeroMQ PUSH/PULL | send() to written (write+fsync+close) | $(median_of "${zmq_frames[@]}") | $(median_of "${zmq_frames[@]}") | 0 | $(fmt1 "$(median_of "${z_p50[@]}")") | $(fmt1 "$(median_of "${z_p95[@]}")") | $(fmt1 "$(median_of "${z_p99[@]}")") | $(fmt1 "$(median_of "${z_max[@]}")") |"
fi
echo
echo "Per run (handed_to_stored for framewire, send->written for ZeroMQ):"
echo
echo "| run | framewire captured / stored / dropped | framewire p50 / p99 ms | ZeroMQ p50 / p99 ms |"
echo "|---:|---|---|---|"
for ((i = 0; i < runs; i++)); do
  zmq_cell="-"
  ((do_zmq)) && zmq_cell="$(fmt1 "${z_p50[i]}") / $(fmt1 "${z_p99[i]}")"
  echo "| $((i + 1)) | ${fw_captured[i]} / ${fw_frames[i]} / ${fw_dropped[i]} | $(fmt1 "${h2s_p50[i]}") / $(fmt1 "${h2s_p99[i]}") | $zmq_cell |"
done
if ((do_throttle)); then
  echo
  echo "### Through fw_fault_proxy --rate $rate ($(fmt0 "$(awk -v r="$rate" -v b="$bitrate" 'BEGIN { print 100 * r / b }')")% of the stream's bitrate), one run each${queue:+, --queue $queue}"
  echo
  echo "| mode | frames captured | stored | dropped | handed_to_stored p50 ms | p99 ms | max ms | stored frames |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
  echo "| --live --duration $duration | $tl_captured | $tl_frames | $tl_dropped | $(fmt1 "$tl_p50") | $(fmt1 "$tl_p99") | $(fmt1 "$tl_max") | $((tl_stored - tl_bad)) of $tl_stored whole pattern frames, $tl_disorder out of capture order |"
  echo "| --archive --frames $archive_frames | $archive_frames | $ta_frames | $ta_dropped | $(fmt1 "$ta_p50") | $(fmt1 "$ta_p99") | $(fmt1 "$ta_max") | byte-identical to the reference: $ta_identical |"
fi
