#!/usr/bin/env bash
# Runs the test cases of a doctest binary in SHARDS processes side by side (`make test` and
# `make asan`, one per core by default). Much of the suite waits on child processes (the CLI
# tests start `learner`, mpirun and PyTorch) or runs one thread, so one process leaves a
# core idle; the shards fill it. Each test case still runs whole in one process, in the
# binary's own order. Test cases use folders named by their process id (tests/util), so
# shards never share a file.
#
#   tests/run_shards.sh BINARY SHARDS [FILTER...]
#
# FILTER: doctest's selection options (-tc, -tce, -sf, ...), applied once to list the cases.
# Shard k of n takes every n-th case from the k-th. Each shard's output is printed whole when
# all have finished; the exit status is non-zero when any shard failed. SHARDS = 1 runs the
# binary as it is, output as it comes.
set -uo pipefail
binary=${1:?usage: tests/run_shards.sh BINARY SHARDS [FILTER...]}
shards=${2:?usage: tests/run_shards.sh BINARY SHARDS [FILTER...]}
shift 2
if ! [[ $shards =~ ^[1-9][0-9]*$ ]]; then
  echo "run_shards: SHARDS must be a positive integer, not '$shards'" >&2
  exit 2
fi
if ((shards == 1)); then exec "$binary" "$@"; fi

# The names between the two rules of doctest's listing.
listing=$("$binary" -ltc "$@") || { echo "run_shards: $binary -ltc failed:"; echo "$listing"; exit 1; } >&2
mapfile -t names < <(awk '/^==========+$/ { rule++; next } rule == 1' <<<"$listing")
if ((${#names[@]} == 0)); then
  echo "run_shards: no test case of $binary passes the filters $*" >&2
  exit 1
fi
((shards > ${#names[@]})) && shards=${#names[@]}

# One -tc filter per shard: the names, commas and backslashes escaped as doctest reads them.
filters=()
counts=()
for ((k = 0; k < shards; ++k)); do filters+=(""); counts+=(0); done
for i in "${!names[@]}"; do
  k=$((i % shards))
  name=${names[i]//\\/\\\\}
  name=${name//,/\\,}
  filters[k]+="${filters[k]:+,}$name"
  counts[k]=$((counts[k] + 1))
done

# Each case in exactly one shard: a name that matched another case as a pattern (doctest's
# filters are case-insensitive wildcards) would run twice.
for ((k = 0; k < shards; ++k)); do
  selected=$("$binary" --count -tc="${filters[k]}" | grep -o '[0-9]*$')
  if [[ $selected != "${counts[k]}" ]]; then
    echo "run_shards: shard $((k + 1))'s filter selects $selected test cases, not ${counts[k]}: a test name matches" \
         "another's as a doctest pattern (case-insensitive, * and ?); rename one" >&2
    exit 1
  fi
done

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
pids=()
for ((k = 0; k < shards; ++k)); do
  "$binary" -tc="${filters[k]}" >"$logs/$k" 2>&1 &
  pids+=($!)
done
failed=0
for ((k = 0; k < shards; ++k)); do
  wait "${pids[k]}"
  status=$?
  echo "---- shard $((k + 1)) of $shards: ${counts[k]} test cases, exit $status ----"
  cat "$logs/$k"
  ((status != 0)) && failed=$((failed + 1))
done
if ((failed > 0)); then
  echo "run_shards: $failed of $shards shards failed (their output is above)"
  exit 1
fi
echo "run_shards: all ${#names[@]} test cases passed in $shards shards"
