#!/usr/bin/env bash
# Runs every libFuzzer harness of an ASan+UBSan build (`make asan-build`) for SECONDS each,
# from the seed corpus (learner_fuzz_seeds), the corpus kept in BUILD/fuzz/corpus and the
# inputs that once failed (fuzz/regressions/<target>/).
# Prints executions per harness; exits 1 when any harness crashed, leaked or timed out,
# leaving the input in BUILD/fuzz/artifacts/<target>/ (copy it to fuzz/regressions/<target>/).
# Usage: fuzz/run.sh BUILD SECONDS [TARGET...]
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: fuzz/run.sh BUILD SECONDS [TARGET...]}
seconds=${2:?usage: fuzz/run.sh BUILD SECONDS [TARGET...]}
shift 2
targets=("$@")
if ((${#targets[@]} == 0)); then targets=(manifest_csv json_config safetensors clip_store dicom nifti); fi

seeds=$build/fuzz/seeds
rm -rf "$seeds"
"$build/fuzz/learner_fuzz_seeds" "$seeds" || { echo "fuzz: writing the seed corpora failed"; exit 1; }
# One harness; its summary line goes to BUILD/fuzz/<target>.result, its log to <target>.log.
fuzz_one() {
  local t=$1
  local corpus=$build/fuzz/corpus/$t artifacts=$build/fuzz/artifacts/$t log=$build/fuzz/$t.log
  mkdir -p "$corpus" "$artifacts"
  local artifacts_before
  artifacts_before=$(ls "$artifacts" | wc -l)
  # The inputs that once failed run first, under the same limits (new finds go to $corpus only).
  local regressions=()
  if [[ -d fuzz/regressions/$t ]]; then regressions=("fuzz/regressions/$t"); fi
  local start
  start=$(date +%s)
  # -timeout: one input over 10 s is a hang; -rss_limit_mb: memory use is a bug too.
  # HDF5 is built without frame pointers: the clip store's leak reports need the slow
  # unwinder to show the HDF5 frames that fuzz/lsan.supp names.
  local unwind=1
  if [[ $t == clip_store ]]; then unwind=0; fi
  ASAN_OPTIONS="${ASAN_OPTIONS:-}:fast_unwind_on_malloc=$unwind" "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus" "$seeds/$t" "${regressions[@]}" >"$log" 2>&1
  local rc=$?
  # A forked child of a harness (none today: the DICOM reader is exec'd, without libFuzzer)
  # that met a crash or an over-limit allocation would write its artifact and die alone while
  # the parent went on; its artifact is a finding, so it fails the run too.
  if ((rc == 0 && $(ls "$artifacts" | wc -l) > artifacts_before)); then rc=1; fi
  local execs
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  printf 'fuzz: %-13s %9s executions in %3d s, corpus %5d inputs, exit %d\n' "$t" "$execs" \
    $(( $(date +%s) - start )) "$(ls "$corpus" | wc -l)" "$rc" >"$build/fuzz/$t.result"
  return $rc
}

# A libFuzzer run is one thread: FUZZ_JOBS harnesses (default: one per core) run side by side,
# each for its full SECONDS, so the stage takes SECONDS x targets / jobs.
jobs=${FUZZ_JOBS:-$(nproc)}
running=0
for t in "${targets[@]}"; do
  rm -f "$build/fuzz/$t.result"
  if ((running >= jobs)); then
    wait -n
    running=$((running - 1))
  fi
  fuzz_one "$t" &
  running=$((running + 1))
done
wait
failed=()
for t in "${targets[@]}"; do
  if [[ -f $build/fuzz/$t.result ]]; then
    cat "$build/fuzz/$t.result"
  else
    echo "fuzz: $t left no result (see $build/fuzz/$t.log)"
  fi
  if ! grep -q 'exit 0$' "$build/fuzz/$t.result" 2>/dev/null; then
    failed+=("$t")
    grep -A30 -m1 -E '==ERROR|runtime error|SUMMARY|Timeout|out-of-memory' "$build/fuzz/$t.log" | head -60
    ls "$build/fuzz/artifacts/$t"
  fi
done
if ((${#failed[@]} > 0)); then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $build/fuzz/artifacts/; logs in $build/fuzz/*.log)"
  exit 1
fi
echo "fuzz: every harness ran ${seconds} s without a crash, leak or timeout"
