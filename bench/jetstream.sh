#!/usr/bin/env bash
# Throughput through NATS JetStream (docs/SCALE.md) beside the folder store and the raw tar|socat
# stream, all on loopback in the same run. For each dataset (framewire-gen into /dev/shm) and each
# of RUNS runs:
#   folder      serve --root <fresh dir on /dev/shm> --sync batch, then send
#   js-r1       one nats-server (JetStream file store on /dev/shm), serve --store, send
#   js-r3       a 3-node nats-server cluster (stores on /dev/shm), --nats-replicas 3
#   js-r3-2rx   the same cluster behind TWO receivers, two senders at once (the set split in two
#               streams): aggregate throughput
#   tar|socat   the faster of socat's default buffer and -b 1048576 (bench/e2e.sh's baseline)
# Each JetStream run uses a fresh JetStream stream, so nothing resumes. Wall time is from the
# sender's start to its exit (it exits only when every frame is acknowledged, so after the
# PubAcks). CPU seconds (user+sys) of the receiver(s) and of the nats-server processes over the
# run come from /proc, to say where the time goes.
#
# Usage: bench/jetstream.sh [--runs N] [--large N] [--tiny N]
# Environment: FRAMEWIRE_BIN, FRAMEWIRE_GEN_BIN (default: the release build, scripts/build --release).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

runs=${RUNS:-3}
large=${LARGE_FRAMES:-150}
tiny=${TINY_FRAMES:-5000}
while (($#)); do
  case "$1" in
    --runs) runs=${2:?}; shift ;;
    --large) large=${2:?}; shift ;;
    --tiny) tiny=${2:?}; shift ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) fw_die "unknown argument '$1'" ;;
  esac
  shift
done
((runs >= 3)) || fw_die "--runs must be at least 3"

fw=${FRAMEWIRE_BIN:-$(fw_build_dir --release)/apps/framewire/framewire}
gen=${FRAMEWIRE_GEN_BIN:-$(dirname "$fw")/../../tools/gen/framewire-gen}
[[ -x "$fw" && -x "$gen" ]] || fw_die "build first: scripts/build --release (or set FRAMEWIRE_BIN)"
command -v nats-server >/dev/null || fw_die "nats-server missing: scripts/deps"

work=$(mktemp -d /dev/shm/framewire-jsbench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_of() {  # CPU seconds (user+sys) of PIDs so far
  local total=0 p
  for p in "$@"; do
    [[ -r /proc/$p/stat ]] || continue
    total=$(awk -v t="$total" -v hz="$(getconf CLK_TCK)" '{ print t + ($14 + $15) / hz }' "/proc/$p/stat")
  done
  echo "$total"
}

# NATS: one node, or three in a cluster; sets NATS_URL and NATS_PIDS.
start_nats() {
  local nodes=$1 i ports=() routes=() args
  NATS_PIDS=()
  for ((i = 0; i < nodes; i++)); do ports+=("$(free_port)"); routes+=("$(free_port)"); done
  NATS_URL=
  for ((i = 0; i < nodes; i++)); do
    args=(-a 127.0.0.1 -p "${ports[i]}" -js -sd "$work/nats-$nodes-$i")
    if ((nodes > 1)); then
      local r=() j
      for ((j = 0; j < nodes; j++)); do ((j == i)) || r+=("nats://127.0.0.1:${routes[j]}"); done
      args+=(-n "n$i" --cluster_name bench --cluster "nats://127.0.0.1:${routes[i]}"
        --routes "$(IFS=,; echo "${r[*]}")")
    fi
    nats-server "${args[@]}" >"$work/nats-$nodes-$i.log" 2>&1 &
    NATS_PIDS+=($!)
    pids+=($!)
    NATS_URL+="${NATS_URL:+,}nats://127.0.0.1:${ports[i]}"
  done
  for ((i = 0; i < nodes; i++)); do fw_wait_tcp_listen "${ports[i]}" "${NATS_PIDS[i]}" 20; done
}

# serve ARGS...: starts a receiver; sets SERVE_PID, SERVE_PORT.
serve() {
  local log=$work/serve-$RANDOM.log attempt
  for attempt in $(seq 1 60); do
    fw_start_serve "$log" "$fw" serve --listen 127.0.0.1:0 --log-interval 0 "$@" && break
    # A fresh cluster needs a few seconds to elect its JetStream leader.
    ((attempt < 60)) || fw_die "receiver did not start: $(cat "$log")"
    sleep 0.5
  done
  SERVE_PID=$FW_SERVE_PID
  SERVE_PORT=$FW_SERVE_PORT
  pids+=("$SERVE_PID")
}

# One run: prints "wall_s recv_cpu_s nats_cpu_s".
run_framewire() {  # MODE DATASET_DIR RUN
  local mode=$1 src=$2 run=$3 t0 t1 cpu0 cpu1 ncpu0 ncpu1 stream
  stream="B${run}x$RANDOM"
  local receivers=() ports=()
  case "$mode" in
    folder) serve --root "$work/root-$stream" --sync batch; receivers=("$SERVE_PID"); ports=("$SERVE_PORT") ;;
    js-r1) serve --store "$NATS1" --nats-stream "$stream"; receivers=("$SERVE_PID"); ports=("$SERVE_PORT") ;;
    js-r3 | js-r3-2rx)
      serve --store "$NATS3" --nats-stream "$stream" --nats-replicas 3
      receivers=("$SERVE_PID"); ports=("$SERVE_PORT")
      if [[ "$mode" == js-r3-2rx ]]; then
        serve --store "$NATS3" --nats-stream "$stream" --nats-replicas 3
        receivers+=("$SERVE_PID"); ports+=("$SERVE_PORT")
      fi
      ;;
  esac
  local nats_pids=()
  [[ "$mode" == js-r1 ]] && nats_pids=("${NATS1_PIDS[@]}")
  [[ "$mode" == js-r3* ]] && nats_pids=("${NATS3_PIDS[@]}")
  cpu0=$(cpu_of "${receivers[@]}")
  ncpu0=$(cpu_of "${nats_pids[@]}")
  t0=$(fw_now_ns)
  if [[ "$mode" == js-r3-2rx ]]; then
    "$fw" send --no-progress --to "127.0.0.1:${ports[0]}" --stream bench/a "$src-a" >/dev/null &
    local a=$!
    "$fw" send --no-progress --to "127.0.0.1:${ports[1]}" --stream bench/b "$src-b" >/dev/null
    wait "$a"
  else
    "$fw" send --no-progress --to "127.0.0.1:${ports[0]}" --stream bench/a "$src" >/dev/null
  fi
  t1=$(fw_now_ns)
  cpu1=$(cpu_of "${receivers[@]}")
  ncpu1=$(cpu_of "${nats_pids[@]}")
  for p in "${receivers[@]}"; do fw_stop_serve "$p" >/dev/null 2>&1 || true; done
  rm -rf "$work/root-$stream"
  awk -v t0="$t0" -v t1="$t1" -v c0="$cpu0" -v c1="$cpu1" -v n0="$ncpu0" -v n1="$ncpu1" \
    'BEGIN { printf "%.4f %.2f %.2f\n", (t1 - t0) / 1e9, c1 - c0, n1 - n0 }'
}

run_baseline() {  # DATASET_DIR BUFFER(optional): prints wall seconds
  local src=$1 buffer=${2:-} port dst=$work/raw t0 t1 recv opts=()
  [[ -n "$buffer" ]] && opts=(-b "$buffer")
  rm -rf "$dst"; mkdir -p "$dst"
  port=$(free_port)
  bash -c 'set -o pipefail; socat "${@:3}" -u "TCP-LISTEN:$1,reuseaddr,bind=127.0.0.1" - | tar -x -C "$2"' \
    _ "$port" "$dst" "${opts[@]}" &
  recv=$!
  fw_wait_tcp_listen "$port" "$recv" 10
  t0=$(fw_now_ns)
  bash -c 'set -o pipefail; tar -c -C "$1" . | socat "${@:3}" -u - "TCP:127.0.0.1:$2"' _ "$src" "$port" "${opts[@]}"
  wait "$recv"
  t1=$(fw_now_ns)
  rm -rf "$dst"
  awk -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.4f\n", (t1 - t0) / 1e9 }'
}

split_in_two() {  # DIR: DIR-a gets the even files, DIR-b the odd ones (hard links)
  local i=0 f
  mkdir -p "$1-a" "$1-b"
  for f in $(ls "$1" | sort -V); do
    if ((i % 2)); then ln "$1/$f" "$1-b/$f"; else ln "$1/$f" "$1-a/$f"; fi
    i=$((i + 1))
  done
}

fw_log "generating $large large (visible 1280x720 PNG) and $tiny tiny frames in $work"
"$gen" --kind visible --count "$large" --out "$work/large" >/dev/null
"$gen" --kind tiny --count "$tiny" --out "$work/tiny" >/dev/null
split_in_two "$work/large"
split_in_two "$work/tiny"

start_nats 1; NATS1=$NATS_URL; NATS1_PIDS=("${NATS_PIDS[@]}")
start_nats 3; NATS3=$NATS_URL; NATS3_PIDS=("${NATS_PIDS[@]}")

echo "## JetStream store vs folder store vs tar|socat ($runs runs each, medians; $(nproc) CPUs)"
echo
echo "| dataset | frames | MB | mode | MB/s | frames/s | vs tar\\|socat | receiver CPU s | nats-server CPU s |"
echo "|---|---|---|---|---|---|---|---|---|"
for set in large tiny; do
  src=$work/$set
  frames=$(ls "$src" | wc -l)
  bytes=$(du -sb --apparent-size "$src" | cut -f1)
  mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
  base=()
  for ((r = 0; r < runs; r++)); do
    d=$(run_baseline "$src")
    m=$(run_baseline "$src" 1048576)
    base+=("$(awk -v a="$d" -v b="$m" 'BEGIN { print (a < b ? a : b) }')")
  done
  base_s=$(printf '%s\n' "${base[@]}" | fw_median)
  printf '| %s | %s | %s | tar\\|socat (faster buffer) | %.1f | %.0f | 1.00 | | |\n' "$set" "$frames" "$mb" \
    "$(awk -v b="$bytes" -v s="$base_s" 'BEGIN { print b / 1e6 / s }')" \
    "$(awk -v f="$frames" -v s="$base_s" 'BEGIN { print f / s }')"
  for mode in folder js-r1 js-r3 js-r3-2rx; do
    walls=() rcpu=() ncpu=()
    for ((r = 0; r < runs; r++)); do
      read -r w c n < <(run_framewire "$mode" "$src" "$r")
      walls+=("$w"); rcpu+=("$c"); ncpu+=("$n")
    done
    w=$(printf '%s\n' "${walls[@]}" | fw_median)
    printf '| %s | %s | %s | %s | %.1f | %.0f | %.2f | %s | %s |\n' "$set" "$frames" "$mb" "$mode" \
      "$(awk -v b="$bytes" -v s="$w" 'BEGIN { print b / 1e6 / s }')" \
      "$(awk -v f="$frames" -v s="$w" 'BEGIN { print f / s }')" \
      "$(awk -v b="$base_s" -v s="$w" 'BEGIN { print b / s }')" \
      "$(printf '%s\n' "${rcpu[@]}" | fw_median)" "$(printf '%s\n' "${ncpu[@]}" | fw_median)"
  done
done
