#!/usr/bin/env bash
# fp32_vs_ort.sh - shrink vs ONNX Runtime (CPU, fp32) latency on the same ONNX files, alternating
# the two in one run (ROUNDS rounds; each round runs both with ITERS timed iterations), reporting
# the median over rounds of each one's median latency and the ratio shrink/ORT.
# Models: MLP 784-1024-1024-10 (batch 1 and 64), ResNet-18, MobileNetV2 (1x3x224x224),
# TransformerEncoder (batch 1, seq 128); 1 and 2 threads.
# Usage: bench/fp32_vs_ort.sh [ROUNDS (default 5)] [ITERS (default 20)]  -> markdown table on stdout
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ROUNDS="${1:-5}"; ITERS="${2:-20}"
SHRINK="$ROOT/build/shrink"
OUT="$ROOT/build/bench-models"
[ -x "$SHRINK" ] || "$ROOT/scripts/setup.sh" > /dev/null
"$ROOT/scripts/install_peers.sh" > /dev/null
[ -f "$OUT/transformer_op17.onnx" ] || /usr/bin/python3 "$ROOT/tests/oracles/export_models.py" "$OUT" --opset 17 --bench > /dev/null
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['median_ms'])"; }
echo "| model | batch | threads | shrink median ms | ORT median ms | shrink/ORT |"
echo "| --- | --- | --- | --- | --- | --- |"
rows=("mlp 1" "mlp 64" "resnet18 1" "mobilenetv2 1" "transformer 1")
for row in "${rows[@]}"; do
  set -- $row; m=$1; b=$2
  for t in 1 2; do
    s_list=(); o_list=()
    for ((r = 0; r < ROUNDS; r++)); do
      s_list+=("$("$SHRINK" bench "$OUT/${m}_op17.onnx" --threads "$t" --batch "$b" --warmup 3 --iters "$ITERS" --json | field)")
      o_list+=("$(node "$ROOT/bench/ort_bench.js" "$OUT/${m}_op17.onnx" --threads "$t" --batch "$b" --warmup 3 --iters "$ITERS" --json | field)")
    done
    s=$(printf '%s\n' "${s_list[@]}" | median); o=$(printf '%s\n' "${o_list[@]}" | median)
    printf '| %s | %s | %s | %.3f | %.3f | %.2f |\n' "$m" "$b" "$t" "$s" "$o" "$(awk -v a="$s" -v b="$o" 'BEGIN{print a/b}')"
  done
done
