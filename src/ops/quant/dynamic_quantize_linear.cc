// DynamicQuantizeLinear: uint8 quantization with scale and zero point computed from the data, as
// the spec's function body: the range [min(x, 0), max(x, 0)] always holds 0, scale = range / 255,
// zero point = round(saturate(0 - min / scale)), y = saturate(round(x / scale) + zero point).
#include <algorithm>

#include "ops/quant/quant_util.h"

namespace shrink::ops {
namespace {

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  SHRINK_CHECK(in[0].dtype == DType::kFloat32, node.label(), " x must be float32, got ",
               onnx_type_name(int(in[0].dtype)));
  out[0] = ValueMeta{DType::kUInt8, in[0].shape};
  out[1] = ValueMeta{DType::kFloat32, {}};
  out[2] = ValueMeta{DType::kUInt8, {}};
  return true;
}

void compute(const ir::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  const float* x = in[0].data<float>();
  const int64_t n = in[0].numel();
  // NaN elements are skipped so that the parameters stay finite; they quantize to the zero point.
  float lo = 0.f, hi = 0.f;
  for (int64_t i = 0; i < n; ++i) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
  }
  const QuantRange range{0, 255};
  // An all-zero input has no range; scale 1/255 (as ONNX's reference) keeps the scale valid for a
  // following DequantizeLinear, and every element maps to the zero point 0.
  const float scale = (hi == lo ? 1.f : hi - lo) / 255.f;
  const float zp_fp = std::clamp(0.f - lo / scale, 0.f, 255.f);
  const double zp = std::isnan(zp_fp) ? 0.0 : std::nearbyint(double(zp_fp));  // infinite x: scale is inf
  uint8_t* y = out[0].data<uint8_t>();
  parallel_for(n, 1 << 14, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = uint8_t(round_saturate(double(x[i] / scale), zp, range));
  });
  out[1].data<float>()[0] = scale;
  out[2].data<uint8_t>()[0] = uint8_t(zp);
}

}  // namespace

extern const OpSchema kDynamicQuantizeLinear{.op_type = "DynamicQuantizeLinear", .min_inputs = 1, .max_inputs = 1,
                                             .min_outputs = 3, .max_outputs = 3, .since_opset = 11,
                                             .infer = infer, .compute = compute};

}  // namespace shrink::ops
