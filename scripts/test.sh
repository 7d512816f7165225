#!/usr/bin/env bash
# test.sh - set up everything and run the whole test suite:
#   1. build deps + Release build, unit/conformance/oracle tests (ctest)
#   2. peers (PyTorch, ONNX Runtime) for the oracle tests
#   3. an AddressSanitizer + UndefinedBehaviorSanitizer build running the same unit tests
# Exits non-zero if anything fails. .ci/run calls exactly this.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
start=$(date +%s)
"$ROOT/scripts/setup.sh" "$ROOT/build"
"$ROOT/scripts/install_peers.sh"
echo "== tests (Release)"
ctest --test-dir "$ROOT/build" --output-on-failure -j2 --timeout 900
if [ "${SHRINK_SKIP_SANITIZE:-0}" != 1 ]; then
  echo "== tests (ASan + UBSan)"
  "$ROOT/scripts/setup.sh" "$ROOT/build-asan" -DSHRINK_SANITIZE=ON -DCMAKE_BUILD_TYPE=Sanitize
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$ROOT/build-asan" --output-on-failure -j2 --timeout 1800 -L sanitize
fi
echo "test.sh: all tests passed in $(( $(date +%s) - start )) s"
