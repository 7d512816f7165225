#!/usr/bin/env bash
# setup.sh - install shrink's build dependencies (Debian 12 packages) and build it.
# Usage: scripts/setup.sh [BUILD_DIR] [extra cmake args...]   (default build dir: build)
# SHRINK_BUILD_TARGETS="a b" builds only those targets (default: all).
# Idempotent: installs only what is missing, re-runs an incremental build.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build}"; shift || true
PKGS=(g++ cmake ninja-build pkg-config libdnnl-dev libonnx-dev libprotobuf-dev protobuf-compiler
      libopenblas-openmp-dev libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev zlib1g-dev
      libzip-dev ccache)
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" > /tmp/shrink_setup_apt.log 2>&1 \
    || { tail -20 /tmp/shrink_setup_apt.log; echo "setup: apt-get install failed" >&2; exit 1; }
fi
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" > /dev/null
targets=()
for t in ${SHRINK_BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$BUILD" -j"$(nproc)" "${targets[@]}"
echo "setup: built $BUILD/shrink"
