#!/usr/bin/env bash
# Installs the pinned pure-Python packages the parity tests import next to Debian's
# python3-torch: timm (the ViT/Swin reference), into .pydeps/ in the source tree (ignored by
# git), without dependencies so that no second torch is ever pulled in. A no-op when present.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$root/.pydeps"
timm_version="0.9.16"   # the last timm line that imports under torch 1.13 (Debian bookworm)

if [[ -f "$target/timm-$timm_version.dist-info/METADATA" ]]; then
  exit 0
fi
echo "python-deps: installing timm==$timm_version into $target"
/usr/bin/python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$target" \
  "timm==$timm_version"
