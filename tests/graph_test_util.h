// Helpers shared by the pass, session and kernel tests: seeded random tensors (float and int8), the
// largest difference relative to the reference's scale, op counts, the kernel a session chose.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/rng.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "runtime/session.h"

namespace shrink::test_util {

// Uniform in [-scale, scale], reproducible from the seed.
inline Tensor random_tensor(Shape s, uint64_t seed, float scale = 1.f) {
  Rng rng(seed);
  Tensor t(DType::kFloat32, std::move(s));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = scale * rng.uniform(-1.f, 1.f);
  return t;
}

// max |a - b| / max |b| (shapes must agree).
inline double max_rel_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  if (a.shape() != b.shape()) return INFINITY;
  double d = 0, s = 1e-30;
  for (int64_t i = 0; i < b.numel(); ++i) {
    d = std::max(d, std::fabs(a.as_double(i) - b.as_double(i)));
    s = std::max(s, std::fabs(b.as_double(i)));
  }
  return d / s;
}

// How close logits y [N, C] are to the reference's: the share of rows with the same argmax, and
// ||y - ref|| / ||ref|| over all elements.
struct Closeness {
  double top1 = 0;
  double rel_err = 0;
};
inline Closeness closeness(const Tensor& ref, const Tensor& y) {
  const int64_t n = ref.dim(0), c = ref.dim(1);
  double num = 0, den = 0;
  int64_t same = 0;
  for (int64_t i = 0; i < n; ++i) {
    int64_t ia = 0, ib = 0;
    for (int64_t k = 0; k < c; ++k) {
      const float va = ref.data<float>()[i * c + k], vb = y.data<float>()[i * c + k];
      num += double(va - vb) * (va - vb);
      den += double(va) * va;
      if (va > ref.data<float>()[i * c + ia]) ia = k;
      if (vb > y.data<float>()[i * c + ib]) ib = k;
    }
    same += ia == ib;
  }
  return {double(same) / double(n), std::sqrt(num / std::max(den, 1e-30))};
}

inline int count_op(const ir::Graph& g, const std::string& op) {
  int n = 0;
  for (const auto& node : g.nodes) n += node.op_type == op;
  return n;
}

// The kernel the session chose for the first node of type op ("" when there is none).
inline std::string kernel_of(const runtime::Session& s, const std::string& op) {
  const auto names = s.kernel_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (s.graph().nodes[i].op_type == op) return names[i].second;
  return "";
}

// A graph input of fixed shape s.
inline ir::ValueInfo value_info(const std::string& name, DType t, const Shape& s) {
  std::vector<ir::Dim> dims;
  for (int64_t d : s) dims.push_back({d, ""});
  return {name, t, dims, ""};
}

// Uniform integers in [lo, hi] as a uint8 or int8 tensor.
inline Tensor random_int8(Rng& rng, DType t, const Shape& s, int lo, int hi) {
  Tensor x(t, s);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int v = lo + int(rng.below(uint64_t(hi - lo + 1)));
    if (t == DType::kUInt8) x.data<uint8_t>()[i] = uint8_t(v);
    else x.data<int8_t>()[i] = int8_t(v);
  }
  return x;
}

inline Tensor int8_scalar(DType t, int v) {
  return t == DType::kUInt8 ? Tensor::scalar<uint8_t>(uint8_t(v)) : Tensor::scalar<int8_t>(int8_t(v));
}

}  // namespace shrink::test_util
