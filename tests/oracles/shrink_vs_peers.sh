#!/usr/bin/env bash
# shrink_vs_peers.sh - real exported graphs against independent oracles. For each PyTorch-exported
# model (MLP, CNN+BN, ResNet-18, MobileNetV2, TransformerEncoder; opsets 13 and 17):
#   1. `shrink run` output vs PyTorch's output (max abs diff <= 1e-4 + 1e-5 * max|expected|)
#   2. `shrink convert --optimize` output passes the ONNX checker and runs in ONNX Runtime with the
#      same outputs as PyTorch
# Needs scripts/install_peers.sh. Usage: shrink_vs_peers.sh SHRINK_BINARY [OUTDIR]
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SHRINK="${1:?usage: shrink_vs_peers.sh SHRINK_BINARY [OUTDIR]}"
OUT="${2:-$ROOT/build/oracles}"
PY=/usr/bin/python3
CMP=("$PY" "$ROOT/tests/oracles/compare_npy.py" --atol 1e-4 --rtol 1e-5)
pass=0; fail=0
check() {  # name, command...
  local name="$1"; shift
  printf '%-40s ' "$name"
  if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
}
for op in 13 17; do
  if [ ! -f "$OUT/transformer_op$op.onnx" ]; then
    $PY "$ROOT/tests/oracles/export_models.py" "$OUT" --opset "$op" > /dev/null || { echo "export failed"; exit 1; }
  fi
  for m in mlp cnn_bn resnet18 mobilenetv2 transformer; do
    b="$OUT/${m}_op$op"
    rm -rf "$b.shrink" "$b.opt.onnx" "$b.opt.ort"
    check "${m}_op$op shrink run vs PyTorch" \
      bash -c "'$SHRINK' run '$b.onnx' -i '$b.input.npy' -o '$b.shrink' && ${CMP[*]} '$b.shrink/output.npy' '$b.expected.npy'"
    check "${m}_op$op convert+checker+ORT" \
      bash -c "'$SHRINK' convert '$b.onnx' -o '$b.opt.onnx' --optimize 2>/dev/null &&
               $PY -c 'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)' '$b.opt.onnx' &&
               node '$ROOT/tests/oracles/ort_run.js' '$b.opt.onnx' '$b.opt.ort' '$b.input.npy' &&
               ${CMP[*]} '$b.opt.ort/output.npy' '$b.expected.npy'"
  done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
