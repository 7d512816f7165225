// Elementwise one-input ops share this: dtype checks, same-shape inference, and parallel loops
// that compute in compute_t (float for 16-bit floats, double for float64) and store once.
#pragma once
#include "ops/common.h"

namespace shrink::ops {

bool infer_float_unary(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out);
// Any numeric type (no bool).
bool infer_numeric_unary(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out);

// y[i] = f(x[i]) for any T of the input (f is called on compute_t<T>).
template <class T, class F>
void map_typed(const Tensor& x, Tensor& y, F f) {
  const T* src = static_cast<const T*>(x.raw());
  T* dst = static_cast<T*>(y.raw());
  parallel_for(x.numel(), 1 << 14, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) dst[i] = T(f(compute_t<T>(src[i])));
  });
}

// y[i] = f(x[i]) with f called on compute_t<T> (float for 16-bit floats).
template <class F>
void map_float(const Tensor& x, Tensor& y, F f) {
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<compute_t<T>>) {
      map_typed<T>(x, y, f);
    } else {
      fail_input("float op applied to ", dtype_name(x.dtype()));
    }
  });
}

// Like map_float, but f computes in double even for float32 and 16-bit floats: transcendental
// functions near 0 must match numpy within atol 1e-7, which float-precision libm does not promise.
template <class F>
void map_float_precise(const Tensor& x, Tensor& y, F f) {
  map_float(x, y, [&](auto v) { return decltype(v)(f(double(v))); });
}

}  // namespace shrink::ops
