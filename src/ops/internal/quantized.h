// com.shrink QConv and QMatMul: int8 convolution / matmul with the dequantization, float bias,
// activation and (optionally) requantization fused, made by the runtime's QDQ fusion
// (passes/fuse_qdq.cc) and run by oneDNN's int8 primitives. Never exported. Both take
//   x, x_scale, x_zero_point, w, w_scale, w_zero_point, bias, y_scale, y_zero_point
// and compute v = act((x - x_zp) * (w - w_zp) * x_scale * w_scale[c] + bias[c]) per output channel c,
// then y = saturate(round_half_even(v / y_scale) + y_zp) when y_scale is given (y_zp's type), else v
// as float32. QConv's w is Conv's [M, C/group, k...]; QMatMul's is [K, N] (x is [..., K]).
#pragma once
#include <algorithm>

#include "ops/internal/fused_conv.h"

namespace shrink::ops {

enum QInput : int { kQX = 0, kQXScale, kQXZp, kQW, kQWScale, kQWZp, kQBias, kQYScale, kQYZp, kQInputs };

struct QActivation {
  Activation activation = Activation::kNone;  // kNone, kRelu or kClip (bounds in the float domain)
  float alpha = 0.f, beta = 0.f;
};
struct QConvAttrs : ConvAttrs {
  QActivation act;
};
struct QMatMulAttrs : ir::OpAttrs {
  QActivation act;
};

// Shared by both ops: the activation attributes, the scale / zero point / bias checks and the
// output meta (channels = M), and the float epilogue of the reference kernels. acc holds int32
// accumulators whose channel is (i / inner) % channels.
QActivation parse_q_activation(const ir::Node& node, AttrReader& r);
ValueMeta check_q_params(const ir::Node& node, std::span<const ValueMeta> in, int64_t channels, const Shape& out);
void finish_quantized(const ir::Node& node, std::span<const Tensor> in, const QActivation& act, const Tensor& acc,
                      int64_t channels, int64_t inner, Tensor& out);
void validate_quantized(const ir::Node& node, std::span<const Tensor* const> constants);
// The activation with nothing left that the output's saturation does not already do: a Relu or
// Clip whose bounds quantize to (or beyond) the ends of y's range (ReLU6 into uint8 with y_scale
// <= 6 / 255, Relu into uint8 with zero point 0) becomes kNone. Exact: rounding is monotone, so
// every v beyond such a bound saturates as the bound itself does. Float outputs keep it.
QActivation effective_activation(const QActivation& act, float y_scale, int64_t y_zero_point, DType y_type);

// com.shrink QAdd(a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point)
// {activation none | Relu | Clip, alpha, beta}: the residual DequantizeLinear(a) + DequantizeLinear(b)
// -> Add [-> Relu | Clip] -> QuantizeLinear chain on int8 values (ops/internal/qadd.cc), all
// parameters per tensor; a and b broadcast as Add's operands. Computed exactly as the float chain:
// qadd_value below (its users compile without floating-point contraction).
enum QAddInput : int { kQAddA = 0, kQAddAScale, kQAddAZp, kQAddB, kQAddBScale, kQAddBZp, kQAddYScale, kQAddYZp, kQAddInputs };
struct QAddAttrs : ir::OpAttrs {
  QActivation act;
};
// The float chain's value before rounding: each operand dequantized to float32, the float32 sum,
// the activation (as the reference Relu / Clip), divided by y_scale in float32.
inline float qadd_value(float a, float a_zp, float a_s, float b, float b_zp, float b_s, const QActivation& act,
                        float y_s) {
  const float da = (a - a_zp) * a_s, db = (b - b_zp) * b_s;
  float v = da + db;
  if (act.activation == Activation::kRelu) v = v > 0 ? v : 0.f;
  else if (act.activation == Activation::kClip) v = std::min(std::max(v, act.alpha), act.beta);
  return v / y_s;
}

}  // namespace shrink::ops
