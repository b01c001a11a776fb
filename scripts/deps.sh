#!/usr/bin/env bash
# Installs the Debian packages learner builds and tests with, only those that are missing.
# Called by `make deps` (and so by `make build` and `make test`); a no-op when all are present.
set -euo pipefail

packages=(
  cmake g++ make pkg-config
  doctest-dev          # unit tests
  libopenblas-openmp-dev  # CPU GEMM, OpenMP build (measured against BLIS and the pthread build: docs/performance.md)
  libhdf5-dev          # clip store
  libcli11-dev         # command-line parsing
  nlohmann-json3-dev   # JSON configs, metrics and safetensors headers
  openmpi-bin libopenmpi-dev  # process launch and CPU collectives (multi-rank training)
  python3-torch python3-torchvision python3-numpy python3-h5py  # independent reference for parity tests
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "deps: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
