// Activation parameters from a calibrated range and symmetric int8 weights (per tensor or per
// channel, 7-bit with reduce_range).
#include "compress/quant/quant_params.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace shrink::compress {

QuantParams activation_params(Range r, DType type, bool symmetric) {
  SHRINK_ASSERT(type == DType::kUInt8 || type == DType::kInt8, "activation type ", dtype_name(type));
  double lo = std::min(0.0, double(r.lo)), hi = std::max(0.0, double(r.hi));
  if (symmetric) hi = std::max(-lo, hi), lo = -hi;
  const double qmin = type == DType::kUInt8 ? 0 : -128, qmax = type == DType::kUInt8 ? 255 : 127;
  QuantParams p;
  // Below this the scale would underflow the int8 kernels' float math; treat as constant.
  if (!(hi - lo > 1e-30)) {
    return p;
  }
  p.scale = float((hi - lo) / (qmax - qmin));
  // Symmetric: the type's middle, exactly (ONNX Runtime: round((qmax + qmin) / 2), half to even).
  p.zero_point = symmetric ? int32_t(std::nearbyint((qmin + qmax) / 2))
                           : int32_t(std::clamp(std::nearbyint(qmin - lo / double(p.scale)), qmin, qmax));
  return p;
}

Tensor scale_tensor(float scale) { return Tensor::scalar<float>(scale); }

Tensor zero_point_tensor(int32_t zp, DType type) {
  return type == DType::kUInt8 ? Tensor::scalar<uint8_t>(uint8_t(zp)) : Tensor::scalar<int8_t>(int8_t(zp));
}

QuantizedWeight quantize_weight(const Tensor& w, int64_t axis, bool reduce_range) {
  SHRINK_ASSERT(w.dtype() == DType::kFloat32, "weight is ", dtype_name(w.dtype()));
  const float qmax = reduce_range ? 64.f : 127.f;
  int64_t outer = 1, channels = 1, inner = 1;
  if (axis >= 0) {
    for (int64_t d = 0; d < axis; ++d) outer *= w.dim(d);
    channels = w.dim(axis);
    for (int64_t d = axis + 1; d < w.rank(); ++d) inner *= w.dim(d);
  } else {
    inner = w.numel();
  }
  QuantizedWeight r;
  r.q = Tensor(DType::kInt8, w.shape());
  r.scale = axis >= 0 ? Tensor(DType::kFloat32, {channels}) : Tensor(DType::kFloat32, {});
  r.zp = Tensor(DType::kInt8, r.scale.shape());
  const float* x = w.data<float>();
  float* s = r.scale.data<float>();
  std::vector<float> amax(size_t(channels), 0.f);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t i = 0; i < inner; ++i)
        amax[size_t(c)] = std::max(amax[size_t(c)], std::fabs(x[(o * channels + c) * inner + i]));
  for (int64_t c = 0; c < channels; ++c) s[c] = amax[size_t(c)] > 0 ? amax[size_t(c)] / qmax : 1.f;
  int8_t* q = r.q.data<int8_t>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t k = (o * channels + c) * inner + i;
        q[k] = int8_t(std::clamp(std::nearbyint(x[k] / s[c]), -qmax, qmax));
      }
  return r;
}

}  // namespace shrink::compress
