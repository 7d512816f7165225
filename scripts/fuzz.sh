#!/usr/bin/env bash
# fuzz.sh - build the libFuzzer targets with clang (ASan+UBSan, coverage) and fuzz each parser.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET (default 60)]
# New crashers land in build-fuzz/crashes/<target>/; copy minimized ones into fuzz/corpus/<target>/
# so the replay tests (run by scripts/test.sh) keep them fixed.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SECS="${1:-60}"
PKGS=(clang libclang-rt-14-dev)
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || {
    apt-get update -qq && apt-get install -y -qq "${PKGS[@]}" > /dev/null; break; }
done
SHRINK_BUILD_TARGETS="fuzz_onnx_model fuzz_npy fuzz_tensor_proto" "$ROOT/scripts/setup.sh" "$ROOT/build-fuzz" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DSHRINK_FUZZ=ON -DSHRINK_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
for t in onnx_model npy tensor_proto; do
  mkdir -p "$ROOT/build-fuzz/corpus/$t" "$ROOT/build-fuzz/crashes/$t"
  echo "== fuzz_$t for ${SECS}s"
  "$ROOT/build-fuzz/fuzz/fuzz_$t" -max_total_time="$SECS" -rss_limit_mb=4096 -timeout=10 \
    -artifact_prefix="$ROOT/build-fuzz/crashes/$t/" -print_final_stats=1 \
    "$ROOT/build-fuzz/corpus/$t" "$ROOT/fuzz/corpus/$t" 2>&1 | grep -E "stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY" || true
done
