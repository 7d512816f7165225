#!/usr/bin/env bash
# quant_interop.sh - every quantized form `shrink quantize` exports, on cnn-small and the transformer:
# the model passes onnx.checker (full check), ONNX Runtime runs it, and ORT's output matches shrink's
# int8 output within one quantization step on >= 99.9% of the elements (the step: quant_interop.py).
# Untrained `shrink init` models, calibrated on 64 synthetic samples and run on 64 others.
# Usage: quant_interop.sh SHRINK_BINARY [OUTDIR]
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SHRINK="${1:?usage: quant_interop.sh SHRINK_BINARY [OUTDIR]}"
OUT="${2:-$ROOT/build/quant-interop}"
PY=/usr/bin/python3
QI="$ROOT/tests/oracles/quant_interop.py"
rm -rf "$OUT" && mkdir -p "$OUT"
# The forms: one line each, "name|shrink quantize arguments" (static forms get --calib added).
# Not here: --no-reduce-range (8-bit weights), which ONNX Runtime's AVX2 kernels without VNNI compute
# with int16 saturation, off by many steps (docs/quantization.md): a difference of ORT's, not of form.
FORMS=(
  "dynamic|--mode dynamic"
  "dynamic_per_channel|--mode dynamic --per-channel"
  "static_u8|--mode static"
  "static_s8|--mode static --activation-type int8"
  "static_u8_entropy|--mode static --calib-method entropy"
  "static_qop|--mode static --format qop"
  "dynamic_conv|--mode dynamic --op-types Conv,MatMul,Gemm"
)
q() { "$@" > /dev/null 2>&1; }
q "$SHRINK" data synth --train 64 --test 64 -o "$OUT/img" || { echo "synth failed"; exit 1; }
q "$SHRINK" data synth --task sequences --train 64 --test 64 -o "$OUT/seq" || exit 1
q "$SHRINK" init cnn-small -o "$OUT/cnn.onnx" || exit 1
q "$SHRINK" init transformer --seed 3 -o "$OUT/transformer.onnx" || exit 1
"$PY" "$QI" npz-x "$OUT/img/test.npz" "$OUT/cnn.input.npy" || exit 1
"$PY" "$QI" npz-x "$OUT/seq/test.npz" "$OUT/transformer.input.npy" || exit 1
pass=0; fail=0
one() {  # model, calib data, form name, quantize args...
  local model="$1" calib="$2" form="$3"; shift 3
  local b="$OUT/$model.$form" args=("$@")
  [[ " ${args[*]} " == *" static "* ]] && args+=(--calib "$calib" --calib-samples 64)
  "$SHRINK" quantize "$OUT/$model.onnx" -o "$b.onnx" "${args[@]}" > "$b.log" 2>&1 || { echo "shrink quantize failed"; cat "$b.log"; return 1; }
  "$PY" "$QI" check "$b.onnx" "$b.probe.onnx" > "$b.check.log" 2>&1 || { echo "onnx.checker failed"; tail -3 "$b.check.log"; return 1; }
  q "$SHRINK" run "$b.onnx" -i "$OUT/$model.input.npy" -o "$b.shrink" || { echo "shrink run failed"; return 1; }
  node "$ROOT/tests/oracles/ort_run.js" "$b.onnx" "$b.ort" "$OUT/$model.input.npy" || { echo "ORT failed"; return 1; }
  q "$SHRINK" run "$b.probe.onnx" -i "$OUT/$model.input.npy" -o "$b.shrink.probe" || { echo "shrink run (probe) failed"; return 1; }
  node "$ROOT/tests/oracles/ort_run.js" "$b.probe.onnx" "$b.ort.probe" "$OUT/$model.input.npy" || return 1
  "$PY" "$QI" compare "$b.onnx" "$b.shrink" "$b.ort" "$b.shrink.probe" "$b.ort.probe"
}
for model in cnn transformer; do
  calib="$OUT/img/train.npz"; [ "$model" = transformer ] && calib="$OUT/seq/train.npz"
  for f in "${FORMS[@]}"; do
    name="${f%%|*}"
    printf '%-34s ' "$model $name"
    # shellcheck disable=SC2086
    if one "$model" "$calib" "$name" ${f#*|}; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
  done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
