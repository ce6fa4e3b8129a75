# Shared helpers for scripts/* and bench/*.sh. Sourced, never run: it only defines variables and
# functions. Callers use `set -euo pipefail` themselves.
#
#   FRAMEWIRE_ROOT          the repository (derived from this file's location)
#   fw_build_dir [--sanitize|--tsan]
#                           build folder: $FRAMEWIRE_BUILD_DIR or build/; with --sanitize
#                           $FRAMEWIRE_ASAN_BUILD_DIR or build-asan/; with --tsan
#                           $FRAMEWIRE_TSAN_BUILD_DIR or build-tsan/
#   fw_log MSG...           progress line on stderr, prefixed with the calling script's name
#   fw_die MSG...           fw_log and exit 1
#   fw_now_ns               monotonic-enough wall clock in nanoseconds (date +%s%N)
#   fw_wait_for_line FILE PATTERN PID TIMEOUT_S
#                           waits until FILE has a line matching PATTERN (grep -E) while PID lives
#   fw_start_serve LOG CMD... runs CMD (a `framewire serve ... --listen HOST:0` command line, maybe
#                           behind /usr/bin/time) in the background with stdout+stderr to LOG, waits
#                           for its `listening on HOST:PORT` line; sets FW_SERVE_PID, FW_SERVE_PORT
#   fw_stop_serve PID [TIMEOUT_S]
#                           SIGTERM to the framewire process (the child when PID is a
#                           /usr/bin/time wrapper), waits; returns its exit status
#   fw_wait_tcp_listen PORT PID TIMEOUT_S
#                           waits until something listens on TCP PORT (from /proc/net/tcp*)
#   fw_median               median of the numbers on stdin

FRAMEWIRE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

fw_log() { echo "[$(basename "$0")] $*" >&2; }
fw_die() {
  fw_log "error: $*"
  exit 1
}

fw_build_dir() {
  case "${1:-}" in
    --sanitize) echo "${FRAMEWIRE_ASAN_BUILD_DIR:-$FRAMEWIRE_ROOT/build-asan}" ;;
    --tsan) echo "${FRAMEWIRE_TSAN_BUILD_DIR:-$FRAMEWIRE_ROOT/build-tsan}" ;;
    *) echo "${FRAMEWIRE_BUILD_DIR:-$FRAMEWIRE_ROOT/build}" ;;
  esac
}

fw_now_ns() { date +%s%N; }

fw_wait_for_line() {
  local file=$1 pattern=$2 pid=$3 timeout_s=$4 waited=0
  while ! grep -qE "$pattern" "$file" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || return 1
    ((waited < timeout_s * 50)) || return 1
    sleep 0.02
    waited=$((waited + 1))
  done
}

fw_start_serve() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  FW_SERVE_PID=$!
  if ! fw_wait_for_line "$log" 'listening on [^ ]+:[0-9]+' "$FW_SERVE_PID" 20; then
    fw_log "receiver did not report 'listening on HOST:PORT'; its output:"
    sed 's/^/    /' "$log" >&2 || true
    kill "$FW_SERVE_PID" 2>/dev/null || true
    return 1
  fi
  FW_SERVE_PORT=$(grep -oE 'listening on [^ ]+:[0-9]+' "$log" | head -1 | sed -E 's/.*:([0-9]+)$/\1/')
}

# The process to signal: the wrapped command when PID is /usr/bin/time (which would die of SIGTERM
# itself without reporting), else PID.
fw_signal_target() {
  local pid=$1 comm child
  comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
  if [[ "$comm" == time ]]; then
    child=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null || pgrep -P "$pid" || true)
    child=${child%% *}
    [[ -n "$child" ]] && pid=$child
  fi
  echo "$pid"
}

fw_stop_serve() {
  local pid=$1 timeout_s=${2:-30} target waited=0 status=0
  kill -0 "$pid" 2>/dev/null || {
    wait "$pid" 2>/dev/null || status=$?
    return "$status"
  }
  target=$(fw_signal_target "$pid")
  kill -TERM "$target" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= timeout_s * 50)); then
      fw_log "receiver $target did not exit within ${timeout_s}s of SIGTERM; killing it"
      kill -KILL "$target" "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.02
    waited=$((waited + 1))
  done
  wait "$pid" 2>/dev/null || status=$?
  return "$status"
}

fw_wait_tcp_listen() {
  local port=$1 pid=$2 timeout_s=$3 waited=0 hex
  hex=$(printf ':%04X ' "$port")
  # state 0A is LISTEN in /proc/net/tcp
  while ! cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v p="$hex" '
      index($2 " ", p) && $4 == "0A" { found = 1 } END { exit !found }'; do
    kill -0 "$pid" 2>/dev/null || return 1
    ((waited < timeout_s * 50)) || return 1
    sleep 0.02
    waited=$((waited + 1))
  done
}

fw_median() {
  sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "nan"; exit }
    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
