#!/usr/bin/env bash
# train_oracles.sh - shrink's training engine against PyTorch 1.13 on `shrink init` models and their
# PyTorch twins (tests/oracles/torch_twins.py), same weights, same batches:
#   1. whole-model gradients (mlp, cnn-small with BatchNorm, resnet-8, mobilenet, transformer) on one
#      batch: relative error <= 1e-4 per parameter (train_vs_torch.py grads)
#   2. cnn-small on the 1x28x28 synthetic images trained 600 steps with SGD momentum and a cosine
#      schedule in both: the same loss curve and test accuracies within 0.5 points (train_vs_torch.py
#      curve)
#   3. models exported by PyTorch (CNN with BatchNorm at opset 13, TransformerEncoder with Dropout at
#      opset 17) train in shrink, and ONNX Runtime runs the trained model with shrink's outputs
# Usage: train_oracles.sh SHRINK_BINARY [OUTDIR]
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SHRINK="${1:?usage: train_oracles.sh SHRINK_BINARY [OUTDIR]}"
OUT="${2:-$ROOT/build/train-oracles}"
PY=/usr/bin/python3
TV="$ROOT/tests/oracles/train_vs_torch.py"
rm -rf "$OUT" && mkdir -p "$OUT"
pass=0; fail=0
check() {  # name, command...
  local name="$1"; shift
  printf '%-36s ' "$name"
  if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
}
q() { "$@" > /dev/null 2>&1; }
q "$SHRINK" data synth --train 2000 --test 2000 --seed 0 -o "$OUT/img32" || { echo "synth failed"; exit 1; }
q "$SHRINK" data synth --train 2000 --test 2000 --size 28 --channels 1 -o "$OUT/img28" || exit 1
q "$SHRINK" data synth --task sequences --train 256 --test 16 -o "$OUT/seq" || exit 1
grads() {  # name, data, init args...
  local name="$1" data="$2"; shift 2
  q "$SHRINK" init "$@" -o "$OUT/$name.onnx" &&
    q "$SHRINK" train "$OUT/$name.onnx" --data "$data" --batch 16 --max-steps 1 --no-shuffle --no-dropout \
      --no-checkpoint --save-gradients "$OUT/$name.grads" -o "$OUT/$name.step1.onnx" &&
    "$PY" "$TV" grads "$OUT/$name.onnx" "$data" "$OUT/$name.grads" --batch 16
}
check "gradients mlp" grads mlp "$OUT/img28/train.npz" mlp --input 1x28x28 --width 64
check "gradients cnn-small (BatchNorm)" grads cnn "$OUT/img32/train.npz" cnn-small --width 16
check "gradients resnet-8" grads resnet "$OUT/img32/train.npz" resnet --depth 8 --width 8
check "gradients mobilenet" grads mobilenet "$OUT/img32/train.npz" mobilenet --depth 3
check "gradients transformer" grads transformer "$OUT/seq/train.npz" transformer --width 32 --depth 2
curve() {
  q "$SHRINK" init cnn-small --input 1x28x28 --width 16 -o "$OUT/curve.onnx" &&
    q "$SHRINK" train "$OUT/curve.onnx" --data "$OUT/img28/train.npz" --batch 32 --max-steps 600 --epochs 20 \
      --no-shuffle --lr 0.02 --momentum 0.9 --schedule cosine --no-checkpoint --loss-log "$OUT/curve.csv" \
      --threads 2 -o "$OUT/curve.trained.onnx" &&
    "$PY" "$TV" curve "$OUT/curve.onnx" "$OUT/img28/train.npz" "$OUT/curve.csv" "$OUT/img28/test.npz" \
      "$OUT/curve.trained.onnx" --batch 32 --lr 0.02 --momentum 0.9 --steps 600 --schedule cosine
}
check "600 SGD steps cnn-small" curve
exported() {  # name, opset, data
  local m="$1" op="$2" data="$3" b="$OUT/${1}_op$2"
  [ -f "$b.onnx" ] || "$PY" "$ROOT/tests/oracles/export_models.py" "$OUT" --opset "$op" --models "$m" > /dev/null 2>&1
  q "$SHRINK" train "$b.onnx" --data "$data" --batch 8 --max-steps 3 --no-checkpoint -o "$b.trained.onnx" &&
    q "$SHRINK" run "$b.trained.onnx" -i "$b.input.npy" -o "$b.shrink" &&
    q node "$ROOT/tests/oracles/ort_run.js" "$b.trained.onnx" "$b.ort" "$b.input.npy" &&
    "$PY" "$ROOT/tests/oracles/compare_npy.py" --atol 1e-4 --rtol 1e-4 "$b.ort/output.npy" "$b.shrink/output.npy"
}
q "$SHRINK" data synth --task sequences --train 64 --test 8 --length 128 --vocab 1000 -o "$OUT/seq128" || exit 1
check "train PyTorch-exported cnn_bn op13" exported cnn_bn 13 "$OUT/img32/train.npz"
check "train PyTorch-exported transformer" exported transformer 17 "$OUT/seq128/train.npz"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
