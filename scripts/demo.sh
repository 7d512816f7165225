#!/usr/bin/env bash
# demo.sh - the main job on the built-in default: set up, build, then run `shrink demo`
# (writes the built-in example model, runs it, benchmarks it, prints latency and outputs).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
"$ROOT/scripts/setup.sh" "$ROOT/build"
exec "$ROOT/build/shrink" demo --out-dir "$ROOT/build/demo" "$@"
