#!/usr/bin/env bash
# Installs the Debian packages learner builds and tests with, only those that are missing.
# Called by `make deps` (and so by `make build` and `make test`); a no-op when all are present.
set -euo pipefail

packages=(
  cmake g++ make pkg-config
  doctest-dev          # unit tests
  libdnnl-dev          # CPU convolutions: oneDNN 2.6, OpenMP build (docs/performance.md)
  libopenblas-openmp-dev  # CPU GEMM, OpenMP build (measured against BLIS and the pthread build: docs/performance.md)
  libhdf5-dev zlib1g-dev  # clip store (zlib: frames compressed on the decode threads)
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libopencv-videoio-dev  # pack: images, video (FFmpeg), resize
  libgdcm-dev          # pack: DICOM (also pulled in by OpenCV's imgcodecs)
  libnifti2-dev        # pack: NIfTI-1/2 volumes (.nii, .nii.gz)
  libcli11-dev         # command-line parsing
  nlohmann-json3-dev   # JSON configs, metrics and safetensors headers
  openmpi-bin libopenmpi-dev  # process launch and CPU collectives (multi-rank training)
  python3-torch python3-torchvision python3-numpy python3-h5py  # independent reference for parity tests
)

# `deps.sh --fuzz`: the clang toolchain of the fuzzing and sanitizer builds instead
# (`make asan-build`, `make fuzz`; docs/reliability.md).
if [[ ${1:-} == --fuzz ]]; then
  packages=(clang-14 libclang-rt-14-dev)
fi
# `deps.sh --ci`: the compiler cache .ci/run builds with (the GPU bundle's build takes the full
# build's objects from it).
if [[ ${1:-} == --ci ]]; then
  packages=(ccache)
fi

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
