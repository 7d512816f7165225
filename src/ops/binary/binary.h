// Broadcasting two-input elementwise ops (Add, Sub, Mul, Div, Pow, comparisons) share this:
// numpy broadcasting, per-dtype loops with contiguous fast paths.
#pragma once
#include "ops/common.h"

namespace shrink::ops {

// Output: broadcast shape; dtype = input 0's (or bool when `to_bool`). Inputs must share a dtype.
bool infer_broadcast_binary(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out);
bool infer_broadcast_compare(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out);

// out[i] = f(a[ia], b[ib]) over the broadcast, f on compute_t<T> values, result of type R.
template <class T, class R, class F>
void broadcast_apply(const Tensor& a, const Tensor& b, Tensor& out, F f) {
  const T* pa = static_cast<const T*>(a.raw());
  const T* pb = static_cast<const T*>(b.raw());
  R* po = static_cast<R*>(out.raw());
  Shape shapes[2] = {a.shape(), b.shape()};
  for_each_broadcast_row(out.shape(), shapes, [&](int64_t o, const int64_t* off, int64_t len, const int64_t* step) {
    const T* x = pa + off[0];
    const T* y = pb + off[1];
    R* z = po + o;
    if (step[0] && step[1]) {
      for (int64_t i = 0; i < len; ++i) z[i] = R(f(compute_t<T>(x[i]), compute_t<T>(y[i])));
    } else if (step[0]) {
      const compute_t<T> yv = compute_t<T>(y[0]);
      for (int64_t i = 0; i < len; ++i) z[i] = R(f(compute_t<T>(x[i]), yv));
    } else if (step[1]) {
      const compute_t<T> xv = compute_t<T>(x[0]);
      for (int64_t i = 0; i < len; ++i) z[i] = R(f(xv, compute_t<T>(y[i])));
    } else {
      const R v = R(f(compute_t<T>(x[0]), compute_t<T>(y[0])));
      for (int64_t i = 0; i < len; ++i) z[i] = v;
    }
  });
}

}  // namespace shrink::ops
