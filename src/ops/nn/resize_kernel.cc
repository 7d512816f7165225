// Resize reference kernel. Interpolation is separable: for every axis and output position a table of
// (input index, weight) taps is built with the ONNX reference's coordinate transforms, neighbour
// choice (edge-clamped) and coefficient rules (nearest, linear, cubic, antialias, exclude_outside);
// each output element is the sum over the product of its axes' taps, computed in double.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/common.h"
#include "ops/nn/resize.h"

namespace shrink::ops {
namespace {

struct AxisTaps {
  std::vector<int64_t> start;  // taps of output j: [start[j], start[j+1])
  std::vector<int64_t> index;  // input index along the axis
  std::vector<double> weight;
  std::vector<char> outside;   // tf_crop_and_resize: output j takes extrapolation_value
};

double cubic_kernel(double x, double A) {
  x = std::fabs(x);
  if (x <= 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
  if (x < 2) return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  return 0;
}

double source_coord(const ResizeAttrs& a, int64_t j, int64_t in, int64_t out_int, double scale, double r0,
                    double r1, bool& outside) {
  const double out_w = scale * double(in), x = double(j);
  switch (a.coord) {
    case ResizeCoord::kAlignCorners: return out_w == 1 ? 0.0 : x * double(in - 1) / (out_w - 1);
    case ResizeCoord::kAsymmetric: return x / scale;
    case ResizeCoord::kPytorchHalfPixel: return out_w == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
    case ResizeCoord::kHalfPixel: return (x + 0.5) / scale - 0.5;
    case ResizeCoord::kHalfPixelSymmetric: {
      const double adjustment = double(out_int) / out_w, center = double(in) / 2;
      return center * (1 - adjustment) + (x + 0.5) / scale - 0.5;
    }
    case ResizeCoord::kTfCropAndResize: {
      double v = out_w == 1 ? (r1 - r0) * double(in - 1) / 2 : x * (r1 - r0) * double(in - 1) / (out_w - 1);
      v += r0 * double(in - 1);
      outside = v < 0 || v > double(in - 1);
      return v;
    }
  }
  return x;
}

AxisTaps axis_taps(const ResizeAttrs& a, int64_t in, int64_t out, double scale, double r0, double r1) {
  AxisTaps t;
  std::vector<double> coeffs;
  for (int64_t j = 0; j < out; ++j) {
    t.start.push_back(int64_t(t.index.size()));
    bool outside = false;
    const double x = source_coord(a, j, in, out, scale, r0, r1, outside);
    t.outside.push_back(outside);
    if (outside) continue;
    // The ONNX reference takes the neighbour left of x with ratio in (0, 1]: an integral x is
    // the right neighbour of x - 1 at ratio 1.
    double fl = std::floor(x);
    double ratio = x - fl;
    if (ratio == 0) fl -= 1, ratio = 1;
    const int64_t base = int64_t(fl);
    int64_t first;  // offset of coeffs[0] from base
    coeffs.clear();
    if (a.mode == ResizeMode::kNearest) {
      bool up = false;
      switch (a.nearest) {
        case NearestMode::kRoundPreferFloor: up = ratio > 0.5; break;
        case NearestMode::kRoundPreferCeil: up = ratio >= 0.5; break;
        case NearestMode::kFloor: up = false; break;
        case NearestMode::kCeil: up = true; break;
      }
      if (ratio == 1) up = true;
      first = up ? 1 : 0;
      coeffs.push_back(1.0);
    } else if (a.mode == ResizeMode::kLinear) {
      const double s = a.antialias ? std::min(scale, 1.0) : 1.0;
      first = int64_t(std::floor(-1 / s)) + 1;
      for (int64_t i = first; i < 2 - first; ++i) coeffs.push_back(std::clamp(1 - std::fabs((double(i) - ratio) * s), 0.0, 1.0));
    } else {
      const double s = a.antialias ? std::min(scale, 1.0) : 1.0, A = a.cubic_coeff_a;
      first = int64_t(std::floor(-2 / s)) + 1;
      for (int64_t i = first; i < 2 - first; ++i) coeffs.push_back(cubic_kernel((double(i) - ratio) * s, A));
    }
    if (a.mode != ResizeMode::kNearest && (a.antialias || a.exclude_outside)) {
      double sum = 0;
      for (size_t i = 0; i < coeffs.size(); ++i) {
        const int64_t idx = base + first + int64_t(i);
        if (a.exclude_outside && (idx < 0 || idx >= in)) coeffs[i] = 0;
        sum += coeffs[i];
      }
      if (sum != 0)
        for (double& c : coeffs) c /= sum;
    }
    for (size_t i = 0; i < coeffs.size(); ++i) {
      if (coeffs[i] == 0) continue;
      t.index.push_back(std::clamp<int64_t>(base + first + int64_t(i), 0, in - 1));
      t.weight.push_back(coeffs[i]);
    }
  }
  t.start.push_back(int64_t(t.index.size()));
  return t;
}

template <class T>
T store_value(double v) {
  if constexpr (std::is_floating_point_v<compute_t<T>>) {
    return T(compute_t<T>(v));
  } else {
    const double r = std::nearbyint(v);
    const double lo = double(std::numeric_limits<T>::lowest()), hi = double(std::numeric_limits<T>::max());
    return T(std::isnan(r) ? 0 : std::clamp(r, lo, hi));
  }
}

template <class T>
void run(const ResizeAttrs& a, const ResizePlan& p, const Tensor& xt, Tensor& yt) {
  const size_t rank = xt.shape().size();
  std::vector<AxisTaps> axes;
  for (size_t d = 0; d < rank; ++d)
    axes.push_back(axis_taps(a, xt.dim(int64_t(d)), p.out_shape[d], p.scales[d], p.roi_start[d], p.roi_end[d]));
  const std::vector<int64_t> in_stride = strides_of(xt.shape());
  const T* x = static_cast<const T*>(xt.raw());
  T* y = static_cast<T*>(yt.raw());
  const int64_t total = yt.numel();
  if (total == 0) return;
  if (rank == 0) {
    y[0] = x[0];
    return;
  }
  const T extrapolated = store_value<T>(double(a.extrapolation_value));
  parallel_for(total, 4096, [&](int64_t b, int64_t e) {
    std::vector<int64_t> o(rank);
    for (int64_t r = b, d = int64_t(rank) - 1; d >= 0; --d) {
      o[size_t(d)] = r % p.out_shape[size_t(d)];
      r /= p.out_shape[size_t(d)];
    }
    for (int64_t i = b; i < e; ++i) {
      bool outside = false;
      for (size_t d = 0; d < rank; ++d) outside = outside || axes[d].outside[size_t(o[d])];
      if (outside) {
        y[i] = extrapolated;
      } else {
        auto sum = [&](auto&& self, size_t d, int64_t off) -> double {
          const AxisTaps& t = axes[d];
          double acc = 0;
          for (int64_t k = t.start[size_t(o[d])]; k < t.start[size_t(o[d]) + 1]; ++k) {
            const int64_t at = off + t.index[size_t(k)] * in_stride[d];
            acc += t.weight[size_t(k)] * (d + 1 == rank ? double(x[at]) : self(self, d + 1, at));
          }
          return acc;
        };
        y[i] = store_value<T>(sum(sum, 0, 0));
      }
      for (int64_t d = int64_t(rank) - 1; d >= 0; --d) {
        if (++o[size_t(d)] < p.out_shape[size_t(d)]) break;
        o[size_t(d)] = 0;
      }
    }
  });
}

}  // namespace

void resize_compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto& a = node.attrs_as<ResizeAttrs>();
  auto at = [&](int i) -> const Tensor* {
    return i >= 0 && size_t(i) < in.size() && in[size_t(i)].defined() ? &in[size_t(i)] : nullptr;
  };
  const Tensor* scales = at(a.scales_input);
  if (scales && scales->numel() == 0) scales = nullptr;
  const ResizePlan p = resolve_resize(node, a, in[0].shape(), at(a.roi_input), scales, at(a.sizes_input));
  visit_numeric(in[0].dtype(), [&](auto tag) { run<decltype(tag)>(a, p, in[0], out[0]); }, node.label());
}

}  // namespace shrink::ops
