#!/usr/bin/env bash
# zoo_twins.sh - `shrink init` models against their PyTorch twins (torch_twins.py): for each
# architecture (defaults and a small student), init a model, make a seeded batch of 3, `shrink run` it,
# and compare the twin's eval-mode output (max abs diff <= 1e-4). Needs python3-torch/onnx/numpy.
# Usage: zoo_twins.sh SHRINK_BINARY [OUTDIR]
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SHRINK="${1:?usage: zoo_twins.sh SHRINK_BINARY [OUTDIR]}"
OUT="${2:-$ROOT/build/zoo_twins}"
PY=/usr/bin/python3
TWINS="$ROOT/tests/oracles/torch_twins.py"
mkdir -p "$OUT"
pass=0; fail=0
CASES=(
  "mlp|mlp"
  "mlp_bench|mlp --input 1x28x28 --width 1024 --depth 2 --seed 4"
  "cnn_small|cnn-small"
  "cnn_small_student|cnn-small --input 1x13x11 --width 8 --depth 3 --classes 5"
  "resnet20|resnet --seed 1"
  "resnet8_w8|resnet --depth 8 --width 8"
  "mobilenet|mobilenet --seed 2"
  "mobilenet_half|mobilenet --width 16 --depth 5 --classes 100"
  "transformer|transformer --seed 3"
  "transformer_post|transformer --post-norm --input 9 --width 48 --heads 3 --depth 3 --vocab 100"
)
for c in "${CASES[@]}"; do
  name="${c%%|*}"; args="${c#*|}"
  b="$OUT/$name"
  rm -rf "$b.onnx" "$b.out"
  printf '%-22s ' "$name"
  # shellcheck disable=SC2086
  if "$SHRINK" init $args -o "$b.onnx" > /dev/null &&
     "$PY" "$TWINS" input "$b.onnx" "$b.input.npy" --batch 3 &&
     "$SHRINK" run "$b.onnx" -i "$b.input.npy" -o "$b.out" > /dev/null &&
     "$PY" "$TWINS" check "$b.onnx" "$b.input.npy" "$b.out/logits.npy"; then
    pass=$((pass + 1))
  else
    echo "FAIL ($args)"; fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
