#!/usr/bin/env bash
# Pushing 1080p NumPy frames from Python: framewire (`import framewire`, Sender + stream.send) into
# `framewire serve`, against imagezmq-style ZeroMQ from Python (REQ/REP and PUSH/PULL, a receiver
# process writing every frame to a file), in the same run. bench/python_push.py does the work and
# explains every figure (python_push.py --help); this wrapper finds the build, installs the Debian
# packages the benchmark needs when they are missing and picks the work area.
#
#   cases:  jpeg   1080p BGR uint8 arrays, JPEG-encoded by the sender (framewire: C++ workers;
#                  ZeroMQ: PIL, or OpenCV when python3-opencv is installed)
#           bytes  the same frames pre-encoded: transport and storage only
#           ir     1080p uint16 arrays -> lossless PNG16 (zlib level 1) on both sides, plus ZeroMQ
#                  sending the raw array
#   durability: framewire --sync none and no fsync on the ZeroMQ side (default), or --durable:
#                  framewire --sync batch and an fsync per file on the ZeroMQ side
# Reported: frames/s, handed->stored latency p50/p99/max, CPU per frame of sender and receiver;
# a markdown table, then the whole report as one JSON line (and in --json FILE).
#
# Usage: bench/python_push.sh [--runs N] [--duration S] [--rates 0,30] [--ir-rates 0,10]
#                             [--cases jpeg,bytes,ir] [--durable]
#                             [--transports framewire,reqrep,pushpull,pushpull-2t,pushpull-pil]
#                             [--json FILE] [--keep] [any other python_push.py option]
# Environment: FRAMEWIRE_BIN (default build/apps/framewire/framewire; a release build made by
# scripts/build --release), FRAMEWIRE_PYTHONPATH (default the build's python/ folder, where
# `import framewire` is found without installing), PYTHON (default /usr/bin/python3, Debian's:
# it has python3-numpy, python3-zmq, python3-pil), BENCH_DIR (default /dev/shm/framewire-pypush.PID;
# a folder on a disk measures the disk too).
# Debian packages installed when missing (apt-get, sudo when not root): python3-numpy,
# python3-zmq, python3-pil. python3-opencv is used when present, never installed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

usage() { sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; }

args=()
keep=0
while (($#)); do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --keep) keep=1 ;;
    --work) fw_die "set BENCH_DIR instead of --work" ;;
    *) args+=("$1") ;;
  esac
  shift
done

fw=${FRAMEWIRE_BIN:-$(fw_build_dir)/apps/framewire/framewire}
pythonpath=${FRAMEWIRE_PYTHONPATH:-$(dirname "$(dirname "$(dirname "$fw")")")/python}
py=${PYTHON:-/usr/bin/python3}
[[ -x "$fw" ]] || fw_die "no framewire binary at $fw (run scripts/build --release, or set FRAMEWIRE_BIN)"
[[ -x "$py" ]] || fw_die "no python3 at $py (set PYTHON)"

# Debian's packages, like scripts/deps: sudo only when not root.
missing=()
for pair in numpy:python3-numpy zmq:python3-zmq PIL:python3-pil; do
  "$py" -c "import ${pair%%:*}" 2>/dev/null || missing+=("${pair#*:}")
done
if ((${#missing[@]})); then
  sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || fw_die "${missing[*]} missing, not root and no sudo"
    sudo=(sudo)
  fi
  fw_log "installing ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" >&2
fi
if ! why=$(PYTHONPATH=$pythonpath${PYTHONPATH:+:$PYTHONPATH} "$py" -c 'import framewire' 2>&1); then
  fw_die "$py cannot import framewire from $pythonpath: $(tail -1 <<<"$why") (build the Python module, or set FRAMEWIRE_PYTHONPATH)"
fi

if [[ -n "${BENCH_DIR:-}" ]]; then
  work=$BENCH_DIR
elif [[ -d /dev/shm && -w /dev/shm ]]; then
  work=/dev/shm/framewire-pypush.$$
else
  work=${TMPDIR:-/tmp}/framewire-pypush.$$
  fw_log "no writable /dev/shm: using $work"
fi
keep_args=()
((keep)) && keep_args=(--keep)

fw_log "framewire: $fw; module from $pythonpath; work area $work"
fw_log "load before the runs: $(uptime)"
PYTHONPATH=$pythonpath${PYTHONPATH:+:$PYTHONPATH} "$py" "$FRAMEWIRE_ROOT/bench/python_push.py" \
  --framewire "$fw" --work "$work" "${keep_args[@]}" "${args[@]}"
