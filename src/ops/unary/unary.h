// Elementwise one-input float ops share this: dtype check, same-shape inference, and a
// parallel loop that computes in float (double for float64) and stores once.
#pragma once
#include "ops/common.h"

namespace shrink::ops {

bool infer_float_unary(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out);

// y[i] = f(x[i]) with f called on compute_t<T> (float for 16-bit floats).
template <class F>
void map_float(const Tensor& x, Tensor& y, F f) {
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<compute_t<T>>) {
      const T* src = static_cast<const T*>(x.raw());
      T* dst = static_cast<T*>(y.raw());
      parallel_for(x.numel(), 1 << 14, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) dst[i] = T(f(compute_t<T>(src[i])));
      });
    } else {
      fail_input("float op applied to ", dtype_name(x.dtype()));
    }
  });
}

}  // namespace shrink::ops
