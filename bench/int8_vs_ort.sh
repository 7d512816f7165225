#!/usr/bin/env bash
# int8_vs_ort.sh - int8 inference speed: shrink int8 vs shrink fp32 vs ONNX Runtime int8 vs ONNX Runtime
# fp32, on the same ONNX files, the four alternating in one run (ROUNDS rounds; each round runs each with
# ITERS timed iterations after 3 warm-up runs), reporting the median over rounds of each one's median.
# The int8 models are made by `shrink quantize` from the fp32 benchmark models
# (tests/oracles/export_models.py --bench): ResNet-18 and MobileNetV2 static (QDQ, 32 synthetic
# calibration images), the MLP 784-1024-1024-10 dynamic and static (64 synthetic samples), the
# TransformerEncoder dynamic. ONNX Runtime runs the exported int8 files as they are.
# Usage: bench/int8_vs_ort.sh [ROUNDS (default 3)] [ITERS (default 20)]  -> markdown table on stdout
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ROUNDS="${1:-3}"; ITERS="${2:-20}"
SHRINK="$ROOT/build/shrink"
OUT="$ROOT/build/bench-models"
PY=/usr/bin/python3
[ -x "$SHRINK" ] || "$ROOT/scripts/setup.sh" > /dev/null
"$ROOT/scripts/install_peers.sh" > /dev/null
[ -f "$OUT/transformer_op17.onnx" ] || "$PY" "$ROOT/tests/oracles/export_models.py" "$OUT" --opset 17 --bench > /dev/null
[ -f "$OUT/calib_224.npy" ] || "$PY" -c "
import numpy as np, sys
rng = np.random.default_rng(0)
np.save(sys.argv[1], rng.standard_normal((32, 3, 224, 224), dtype=np.float32))
np.save(sys.argv[2], rng.standard_normal((64, 784), dtype=np.float32))" "$OUT/calib_224.npy" "$OUT/calib_784.npy"
quant() {  # fp32 model, int8 model, quantize arguments...
  local in="$OUT/$1_op17.onnx" out="$OUT/$2.onnx"; shift 2
  [ -f "$out" ] || "$SHRINK" quantize "$in" -o "$out" "$@" > /dev/null 2>&1
}
quant resnet18 resnet18_static --mode static --calib "$OUT/calib_224.npy" --calib-samples 32
quant mobilenetv2 mobilenetv2_static --mode static --calib "$OUT/calib_224.npy" --calib-samples 32
quant mlp mlp_dynamic --mode dynamic
quant mlp mlp_static --mode static --calib "$OUT/calib_784.npy" --calib-samples 64
quant transformer transformer_dynamic --mode dynamic
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { "$PY" -c "import json,sys; print(json.load(sys.stdin)['median_ms'])"; }
# A run that fails shows as nan in the table (and its error on stderr) instead of ending the benchmark.
sh_ms() { "$SHRINK" bench "$1" --threads "$2" --batch "$3" --warmup 3 --iters "$ITERS" --json | field || echo nan; }
ort_ms() { node "$ROOT/bench/ort_bench.js" "$1" --threads "$2" --batch "$3" --warmup 3 --iters "$ITERS" --json | field || echo nan; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
echo "| model | int8 form | batch | threads | shrink fp32 ms | shrink int8 ms | ORT fp32 ms | ORT int8 ms | shrink int8/fp32 | shrink int8/ORT int8 |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
rows=("resnet18 resnet18_static 1" "mobilenetv2 mobilenetv2_static 1" "mlp mlp_dynamic 1" "mlp mlp_dynamic 64"
      "mlp mlp_static 1" "mlp mlp_static 64" "transformer transformer_dynamic 1")
for row in "${rows[@]}"; do
  set -- $row; fp="$OUT/$1_op17.onnx"; q8="$OUT/$2.onnx"; b=$3
  for t in 1 2; do
    sf=(); si=(); of=(); oi=()
    for ((r = 0; r < ROUNDS; r++)); do
      sf+=("$(sh_ms "$fp" "$t" "$b")"); si+=("$(sh_ms "$q8" "$t" "$b")")
      oi+=("$(ort_ms "$q8" "$t" "$b")"); of+=("$(ort_ms "$fp" "$t" "$b")")
    done
    a=$(printf '%s\n' "${sf[@]}" | median); c=$(printf '%s\n' "${si[@]}" | median)
    d=$(printf '%s\n' "${of[@]}" | median); e=$(printf '%s\n' "${oi[@]}" | median)
    printf '| %s | %s | %s | %s | %.3f | %.3f | %.3f | %.3f | %s | %s |\n' "$1" "${2#*_}" "$b" "$t" "$a" "$c" "$d" "$e" \
      "$(ratio "$c" "$a")" "$(ratio "$c" "$e")"
  done
done
