#!/usr/bin/env bash
# Builds the libFuzzer targets (if needed) into build-fuzz/ and runs each for SECONDS (default 60)
# on a COPY of its seed corpus (fuzz/corpus/<target>/ never grows). Prints the executions run per
# target; exits non-zero if any target crashed, with the reproducer in fuzz/crashes/.
#   fuzz/run.sh [SECONDS] [TARGET...]
# Installs its Debian packages when missing (clang-14, libFuzzer, compiler-rt) after scripts/deps.
# Targets run side by side, as many at once as there are cores (FRAMEWIRE_FUZZ_JOBS).
# FRAMEWIRE_FUZZ_BUILD_DIR overrides build-fuzz/, FRAMEWIRE_JOBS the build parallelism (default 2).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

seconds=60
if (($# > 0)); then
  case "$1" in
    -h | --help)
      sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *[!0-9]* | "") fw_die "SECONDS must be a positive number, not '$1'" ;;
  esac
  seconds=$1
  shift
fi
((seconds > 0)) || fw_die "SECONDS must be positive"
targets=("$@")
((${#targets[@]} > 0)) ||
  targets=(message_decoder_fuzz receiver_session_fuzz sender_session_fuzz safe_name_fuzz preview_fuzz)

# --- packages -----------------------------------------------------------------------------------
"$FRAMEWIRE_ROOT/scripts/deps"
packages=(clang-14 libfuzzer-14-dev libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == *" installed" ]] || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || fw_die "missing ${missing[*]}, not root and no sudo"
    sudo=(sudo)
  fi
  fw_log "installing: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
fi

# --- build --------------------------------------------------------------------------------------
build=${FRAMEWIRE_FUZZ_BUILD_DIR:-$FRAMEWIRE_ROOT/build-fuzz}
if [[ ! -f "$build/build.ninja" ]] || ! grep -q '^FRAMEWIRE_BUILD_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
  fw_log "configuring $build"
  CC=clang-14 CXX=clang++-14 cmake -S "$FRAMEWIRE_ROOT" -B "$build" -G Ninja \
    -DFRAMEWIRE_BUILD_FUZZ=ON -DFRAMEWIRE_BUILD_TESTS=OFF -DFRAMEWIRE_BUILD_BENCH=OFF -DFRAMEWIRE_BUILD_PYTHON=OFF \
    -DFRAMEWIRE_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C "$build" -j "${FRAMEWIRE_JOBS:-2}" "${targets[@]}"

# --- run ----------------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/framewire-fuzz-run.XXXXXX")
# The session target keeps its storage roots here; tmpfs keeps the file I/O cheap.
shm_base=/dev/shm
[[ -d "$shm_base" && -w "$shm_base" ]] || shm_base=$work
shm=$(mktemp -d "$shm_base/framewire-fuzz-run.XXXXXX")
trap 'rm -rf "$work" "$shm"' EXIT
crashes_dir="$FRAMEWIRE_ROOT/fuzz/crashes"

# run_target TARGET: one libFuzzer run; writes its one-line result to $work/result-TARGET and exits
# non-zero when it crashed. Targets run side by side, as many at once as there are cores.
run_target() {
  local target=$1 corpus="$work/corpus-$1" log="$work/$1.log" rc=0 execs artifact
  mkdir -p "$corpus" "$work/artifacts-$target"
  if [[ -d "$FRAMEWIRE_ROOT/fuzz/corpus/$target" ]]; then
    cp -r "$FRAMEWIRE_ROOT/fuzz/corpus/$target/." "$corpus/"
  fi
  fw_log "running $target for ${seconds}s"
  # The outer timeout only guards against a hung process; -max_total_time ends a healthy run.
  (cd "$work" && FRAMEWIRE_FUZZ_SHM=$shm/$target timeout --signal=KILL $((seconds + 120)) \
    "$build/fuzz/$target" -max_total_time="$seconds" -print_final_stats=1 -timeout=30 \
    -rss_limit_mb=4096 -artifact_prefix="$work/artifacts-$target/" "$corpus" >"$log" 2>&1) ||
    rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  execs=${execs:-unknown}
  if ((rc != 0)); then
    mkdir -p "$crashes_dir"
    for artifact in "$work/artifacts-$target"/*; do
      [[ -e "$artifact" ]] || continue
      cp "$artifact" "$crashes_dir/$target-$(basename "$artifact")"
      fw_log "reproducer: fuzz/crashes/$target-$(basename "$artifact")"
    done
    cp "$log" "$crashes_dir/$target.log"
    fw_log "$target FAILED (exit $rc); last lines of its log (all of it: fuzz/crashes/$target.log):"
    grep -E 'invariant violated|ERROR: |SUMMARY: |^    #[0-9]+ ' "$log" | head -25 | sed 's/^/    /' >&2 ||
      true
    echo "$target: CRASH after $execs executions in <= ${seconds}s" >"$work/result-$target"
    return 1
  fi
  echo "$target: $execs executions in ${seconds}s, no crash" >"$work/result-$target"
}

parallel=${FRAMEWIRE_FUZZ_JOBS:-$(nproc)}
pids=()
for target in "${targets[@]}"; do
  mkdir -p "$shm/$target"
  while (($(jobs -rp | wc -l) >= parallel)); do wait -n || true; done
  run_target "$target" &
  pids+=($!)
done
failed=()
summary=()
for i in "${!targets[@]}"; do
  wait "${pids[i]}" || failed+=("${targets[i]}")
  summary+=("$(cat "$work/result-${targets[i]}" 2>/dev/null || echo "${targets[i]}: no result")")
done

echo "fuzz summary ($(date -u +%Y-%m-%dT%H:%MZ), ${seconds}s per target):"
for line in "${summary[@]}"; do echo "  $line"; done
if ((${#failed[@]} > 0)); then
  fw_log "crashed: ${failed[*]}"
  exit 1
fi
