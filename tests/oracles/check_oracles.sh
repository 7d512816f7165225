#!/usr/bin/env bash
# check_oracles.sh - self-check of the oracle side: export every model at opsets 13 and 17 with PyTorch,
# run each in onnxruntime-node and compare with PyTorch's expected output. Needs scripts/install_peers.sh.
# Usage: tests/oracles/check_oracles.sh [OUTDIR (default build/oracles)]
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="${1:-$ROOT/build/oracles}"
PY=/usr/bin/python3
pass=0; fail=0
for op in 13 17; do
  $PY "$ROOT/tests/oracles/export_models.py" "$OUT" --opset "$op" || { echo "export opset $op failed"; exit 1; }
  for m in mlp cnn_bn resnet18 mobilenetv2 transformer; do
    b="$OUT/${m}_op$op"
    printf '%-18s ' "${m}_op$op"
    if node "$ROOT/tests/oracles/ort_run.js" "$b.onnx" "$b.ort" "$b.input.npy" &&
       $PY "$ROOT/tests/oracles/compare_npy.py" "$b.ort/output.npy" "$b.expected.npy"; then
      pass=$((pass + 1))
    else
      fail=$((fail + 1))
    fi
  done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
