#!/usr/bin/env bash
# Runs learner_dist_tests on 2 ranks: under mpirun (Mpi engine), as two processes with
# torchrun's variables (Tcp engine), then the fault drills: one rank exits, throws, is killed
# or stalls mid-collective, and the job must end non-zero within a time limit (no hang).
# Usage: tests/dist/run_dist_tests.sh [build dir]   (make test calls it)
set -uo pipefail

build=${1:-build}
bin=$build/learner_dist_tests
# Root in CI containers: OpenMPI refuses to run as root without both of these.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun=(mpirun -np 2 --oversubscribe)
limit=60        # seconds a drill may take before we call it a hang
export LEARNER_DIST_TIMEOUT=5  # the collective timeout of the stall drills
failures=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

say() { printf '%-58s %s\n' "$1" "$2"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

have_mpi=1
if ! command -v mpirun >/dev/null; then
  have_mpi=0
  echo "run_dist_tests: no mpirun here: only the torchrun-style runs (install openmpi-bin for the rest)"
fi

# 1. The scenarios under mpirun.
if ((have_mpi == 0)); then
  :
elif timeout $limit "${mpirun[@]}" "$bin" >"$log" 2>&1; then
  say "mpirun -np 2 learner_dist_tests" "ok"
else
  say "mpirun -np 2 learner_dist_tests" "FAILED"; cat "$log"; failures=$((failures + 1))
fi

# 2. The scenarios on two torchrun-style processes.
port=$(free_port)
pids=()
for rank in 0 1; do
  RANK=$rank WORLD_SIZE=2 LOCAL_RANK=$rank MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
    timeout $limit "$bin" >"$log.$rank" 2>&1 &
  pids+=($!)
done
rc=0
for pid in "${pids[@]}"; do wait "$pid" || rc=$?; done
if ((rc == 0)); then
  say "RANK=0,1 WORLD_SIZE=2 learner_dist_tests (tcp)" "ok"
else
  say "RANK=0,1 WORLD_SIZE=2 learner_dist_tests (tcp)" "FAILED (status $rc)"
  cat "$log.0" "$log.1"; failures=$((failures + 1))
fi
rm -f "$log.0" "$log.1"

# Judges a drill: non-zero, not killed by our time limit (124), and within it.
judge() {  # name status seconds
  if (($2 == 0)); then
    say "$1" "FAILED: exited 0"; cat "$log"; failures=$((failures + 1))
  elif (($2 == 124)); then
    say "$1" "FAILED: hung (killed after ${limit} s)"; cat "$log"; failures=$((failures + 1))
  else
    say "$1" "ok: status $2 after $3 s"
  fi
}

# 3. Fault drills under mpirun.
for mode in exit throw kill stall; do
  ((have_mpi)) || break
  start=$SECONDS
  LEARNER_DIST_FAULT=$mode timeout $limit "${mpirun[@]}" -x LEARNER_DIST_FAULT -x LEARNER_DIST_TIMEOUT \
    "$bin" >"$log" 2>&1
  judge "mpirun fault drill: last rank $mode" $? $((SECONDS - start))
done

# 4. Fault drills on torchrun-style processes: rank 0 must end non-zero by itself (a stalled
# peer is then ended by the launcher; here by us).
for mode in exit stall; do
  port=$(free_port)
  start=$SECONDS
  RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port LEARNER_DIST_FAULT=$mode \
    timeout $limit "$bin" >/dev/null 2>&1 &
  victim=$!
  RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port LEARNER_DIST_FAULT=$mode \
    timeout $limit "$bin" >"$log" 2>&1
  status=$?
  judge "tcp fault drill: last rank $mode (rank 0's status)" $status $((SECONDS - start))
  kill "$victim" 2>/dev/null
  wait "$victim" 2>/dev/null
done

if ((failures > 0)); then
  echo "run_dist_tests: $failures failure(s)"
  exit 1
fi
echo "run_dist_tests: all passed"
