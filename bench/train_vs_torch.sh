#!/usr/bin/env bash
# train_vs_torch.sh - training throughput, shrink vs PyTorch 1.13 CPU eager, on the same models
# (`shrink init` and its PyTorch twin), batch, threads and optimizer (SGD momentum 0.9), alternating
# the two in one run (ROUNDS rounds of STEPS timed steps each) and reporting the median over rounds
# of each one's median samples/s and the ratio shrink/PyTorch.
# Rows: MLP 784-1024-1024-10, cnn-small on 3x32x32, ResNet-20 (CIFAR); batch 64; 1 and 2 threads.
# Usage: bench/train_vs_torch.sh [ROUNDS (default 3)] [STEPS (default 20)]  -> markdown table on stdout
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ROUNDS="${1:-3}"; STEPS="${2:-20}"
SHRINK="$ROOT/build/shrink"
OUT="$ROOT/build/bench-train"
[ -x "$SHRINK" ] || "$ROOT/scripts/setup.sh" > /dev/null
mkdir -p "$OUT"
"$SHRINK" init mlp --input 1x28x28 --width 1024 --depth 2 -o "$OUT/mlp.onnx" > /dev/null
"$SHRINK" init cnn-small --input 3x32x32 -o "$OUT/cnn-small.onnx" > /dev/null
"$SHRINK" init resnet --depth 20 -o "$OUT/resnet.onnx" > /dev/null
"$SHRINK" data synth --train 640 --test 10 --size 32 -o "$OUT/img32" > /dev/null
"$SHRINK" data synth --train 640 --test 10 --size 28 --channels 1 -o "$OUT/img28" > /dev/null
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
echo "| model | batch | threads | shrink samples/s | PyTorch samples/s | shrink/PyTorch |"
echo "| --- | --- | --- | --- | --- | --- |"
for row in "mlp img28" "cnn-small img32" "resnet img32"; do
  set -- $row; m=$1; d=$2
  for t in 1 2; do
    s_list=(); p_list=()
    for ((r = 0; r < ROUNDS; r++)); do
      s_list+=("$("$SHRINK" train "$OUT/$m.onnx" --data "$OUT/$d/train.npz" --batch 64 --threads "$t" \
                 --max-steps $((STEPS + 3)) --schedule constant --no-checkpoint -o "$OUT/$m.trained.onnx" --json 2>/dev/null |
                 field samples_per_s_median)")
      p_list+=("$(/usr/bin/python3 "$ROOT/bench/torch_train.py" "$OUT/$m.onnx" --batch 64 --threads "$t" --steps "$STEPS" |
                 field samples_per_s_median)")
    done
    s=$(printf '%s\n' "${s_list[@]}" | median); p=$(printf '%s\n' "${p_list[@]}" | median)
    printf '| %s | 64 | %s | %.1f | %.1f | %.2f |\n' "$m" "$t" "$s" "$p" "$(awk -v a="$s" -v b="$p" 'BEGIN{print a/b}')"
  done
done
