// Activation parameters from a calibrated range and symmetric int8 weights (per tensor or per
// channel, 7-bit with reduce_range, max-abs or MSE-optimal scales).
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

namespace {

constexpr int kClipSteps = 50;  // candidate thresholds r * max|w|, r = 1, 0.99, ..., 0.50

// The values of one weight slice: w viewed as [outer, channels, inner], channel c.
struct Slices {
  int64_t outer = 1, channels = 1, inner = 1;
  Slices(const Tensor& w, int64_t axis) {
    if (axis < 0) {
      inner = w.numel();
      return;
    }
    for (int64_t d = 0; d < axis; ++d) outer *= w.dim(d);
    channels = w.dim(axis);
    for (int64_t d = axis + 1; d < w.rank(); ++d) inner *= w.dim(d);
  }
  template <class F>
  void for_each(int64_t c, F f) const {
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) f((o * channels + c) * inner + i);
  }
};

float round_to_grid(float x, float scale, float qmax) { return std::clamp(std::nearbyint(x / scale), -qmax, qmax); }

// The scale of channel c: max|w| / qmax, or the MSE-optimal clipped one.
float channel_scale(const float* x, const Slices& s, int64_t c, float qmax, WeightScale method) {
  float amax = 0;
  s.for_each(c, [&](int64_t k) { amax = std::max(amax, std::fabs(x[k])); });
  if (!(amax > 0)) return 1.f;
  float best = amax / qmax;
  if (method == WeightScale::kMaxAbs) return best;
  double best_err = INFINITY;
  for (int step = 0; step <= kClipSteps; ++step) {
    const float scale = amax * (1.f - 0.01f * float(step)) / qmax;
    double err = 0;
    s.for_each(c, [&](int64_t k) {
      const double d = double(x[k]) - double(round_to_grid(x[k], scale, qmax)) * scale;
      err += d * d;
    });
    if (err < best_err) best_err = err, best = scale;  // ties keep the wider range
  }
  return best;
}

}  // namespace

WeightScale parse_weight_scale(const std::string& name) {
  if (name == "max") return WeightScale::kMaxAbs;
  SHRINK_CHECK(name == "mse", "weight scale must be max or mse (got '", name, "')");
  return WeightScale::kMse;
}

const char* weight_scale_name(WeightScale s) { return s == WeightScale::kMse ? "mse" : "max"; }

QuantizedWeight quantize_weight(const Tensor& w, int64_t axis, bool reduce_range, WeightScale method) {
  SHRINK_ASSERT(w.dtype() == DType::kFloat32, "weight is ", dtype_name(w.dtype()));
  const float qmax = reduce_range ? 64.f : 127.f;
  const Slices sl(w, axis);
  QuantizedWeight r;
  r.q = Tensor(DType::kInt8, w.shape());
  r.scale = axis >= 0 ? Tensor(DType::kFloat32, {sl.channels}) : Tensor(DType::kFloat32, {});
  r.zp = Tensor(DType::kInt8, r.scale.shape());
  const float* x = w.data<float>();
  float* s = r.scale.data<float>();
  int8_t* q = r.q.data<int8_t>();
  for (int64_t c = 0; c < sl.channels; ++c) {
    s[c] = channel_scale(x, sl, c, qmax, method);
    sl.for_each(c, [&](int64_t k) { q[k] = int8_t(round_to_grid(x[k], s[c], qmax)); });
  }
  return r;
}

double weight_error(const Tensor& w, const QuantizedWeight& q, int64_t axis) {
  const Slices sl(w, axis);
  double err = 0;
  for (int64_t c = 0; c < sl.channels; ++c) {
    const float s = q.scale.data<float>()[q.scale.numel() == 1 ? 0 : c];
    sl.for_each(c, [&](int64_t k) {
      const double d = double(w.data<float>()[k]) - double(q.q.data<int8_t>()[k]) * s;
      err += d * d;
    });
  }
  return err;
}

}  // namespace shrink::compress
