#!/usr/bin/env bash
# demo.sh - the main job on the built-in default: set up, build, then run `shrink demo`
# (synthetic data -> train cnn-small and the transformer -> int8 quantization, dynamic and static ->
# evaluate -> the comparison table: size, accuracy change, latency ratio, retraining needed).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
"$ROOT/scripts/setup.sh" "$ROOT/build"
exec "$ROOT/build/shrink" demo --out-dir "$ROOT/build/demo" "$@"
