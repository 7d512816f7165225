// The parts QConv and QMatMul share: activation attributes, parameter checks, the reference
// epilogue (dequantize, bias, activation, requantize) and load-time scale validation.
#include "ops/internal/quantized.h"

#include <cmath>
#include <type_traits>

#include "ops/quant/integer_arith.h"

namespace shrink::ops {

QActivation parse_q_activation(const ir::Node& node, AttrReader& r) {
  QActivation a;
  parse_activation(node, r, a.activation, a.alpha, a.beta);
  SHRINK_CHECK(a.activation == Activation::kNone || a.activation == Activation::kRelu ||
                   a.activation == Activation::kClip,
               node.label(), " activation must be none, Relu or Clip");
  return a;
}

ValueMeta check_q_params(const ir::Node& node, std::span<const ValueMeta> in, int64_t channels, const Shape& out) {
  auto has = [&](int i) { return size_t(i) < in.size() && in[size_t(i)].present(); };
  for (int i : {kQXScale, kQWScale, kQYScale})
    if (has(i)) SHRINK_CHECK(in[size_t(i)].dtype == DType::kFloat32, node.label(), " scales must be float32");
  require_single(node, in[kQXScale].shape, "x_scale");
  check_per_channel(node, in[kQWScale].shape, channels, "w_scale");
  check_scales(node, in[kQXScale], "x_scale");
  check_scales(node, in[kQWScale], "w_scale");
  if (has(kQBias))
    SHRINK_CHECK(in[kQBias].dtype == DType::kFloat32 && in[kQBias].shape == Shape{channels}, node.label(),
                 " bias must be float32 of shape {", channels, "}, got ", dtype_name(in[kQBias].dtype), " ",
                 shape_str(in[kQBias].shape));
  if (!has(kQYScale)) {
    SHRINK_CHECK(!has(kQYZp), node.label(), " y_zero_point needs y_scale");
    return ValueMeta{DType::kFloat32, out};
  }
  require_single(node, in[kQYScale].shape, "y_scale");
  check_scales(node, in[kQYScale], "y_scale");
  SHRINK_CHECK(has(kQYZp), node.label(), " y_scale needs y_zero_point");
  check_int8(node, in[kQYZp], "y_zero_point");
  require_single(node, in[kQYZp].shape, "y_zero_point");
  return ValueMeta{in[kQYZp].dtype, out};
}

void finish_quantized(const ir::Node& node, std::span<const Tensor> in, const QActivation& act, const Tensor& acc,
                      int64_t channels, int64_t inner, Tensor& out) {
  const double xs = read_scales(node, in[kQXScale], "x_scale")[0];
  const std::vector<float> ws = read_scales(node, in[kQWScale], "w_scale");
  const bool has_bias = size_t(kQBias) < in.size() && in[kQBias].defined();
  const bool requant = size_t(kQYScale) < in.size() && in[kQYScale].defined();
  std::vector<float> mult(static_cast<size_t>(channels)), bias(static_cast<size_t>(channels), 0.f);
  for (int64_t c = 0; c < channels; ++c) {
    mult[size_t(c)] = float(xs * ws[ws.size() == 1 ? 0 : size_t(c)]);
    if (has_bias) bias[size_t(c)] = in[kQBias].data<float>()[c];
  }
  const int32_t* pa = acc.data<int32_t>();
  const int64_t n = acc.numel();
  auto value = [&](int64_t i) {
    const size_t c = size_t((i / inner) % channels);
    // One fused multiply-add, written out so that the fast kernels can match it bit for bit
    // whatever the compiler's contraction setting.
    float v = std::fma(float(pa[i]), mult[c], bias[c]);
    apply_activation(act.activation, act.alpha, act.beta, &v, 1);
    return v;
  };
  if (!requant) {
    float* py = out.data<float>();
    parallel_for(n, 1 << 14, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) py[i] = value(i);
    });
    return;
  }
  const double ys = read_scales(node, in[kQYScale], "y_scale")[0];
  const double zp = double(in[kQYZp].as_int64(0));
  const QuantRange range = quant_range(in[kQYZp].dtype());
  visit_dtype(in[kQYZp].dtype(), [&](auto tag) {
    using Q = decltype(tag);
    if constexpr (std::is_same_v<Q, uint8_t> || std::is_same_v<Q, int8_t>) {
      Q* py = out.data<Q>();
      parallel_for(n, 1 << 14, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) py[i] = Q(round_saturate(double(value(i)) / ys, zp, range));
      });
    }
  });
}

QActivation effective_activation(const QActivation& act, float y_scale, int64_t y_zero_point, DType y_type) {
  if (act.activation != Activation::kRelu && act.activation != Activation::kClip) return act;
  const QuantRange range = quant_range(y_type);
  // As finish_quantized quantizes a bound b (round_saturate before saturation).
  auto level = [&](float b) { return std::nearbyint(double(b) / double(y_scale)) + double(y_zero_point); };
  const bool relu = act.activation == Activation::kRelu;
  const bool low_done = level(relu ? 0.f : act.alpha) <= double(range.lo);
  const bool high_done = relu || level(act.beta) >= double(range.hi);
  return low_done && high_done ? QActivation{} : act;
}

void validate_quantized(const ir::Node& node, std::span<const Tensor* const> c) {
  validate_scales(node, c, {{kQXScale, "x_scale"}, {kQWScale, "w_scale"}, {kQYScale, "y_scale"}});
}

}  // namespace shrink::ops
