// Broadcasting elementwise ops (Add, Sub, Mul, Div, Pow, comparisons, Where, variadic) share this:
// numpy broadcasting, per-dtype loops with contiguous fast paths, and integer arithmetic that
// wraps (two's complement) instead of overflowing into undefined behaviour.
#pragma once
#include <cmath>
#include <type_traits>

#include "ops/common.h"

namespace shrink::ops {

// Output: broadcast shape; dtype = input 0's (or bool when `to_bool`). Inputs must share a dtype.
bool infer_broadcast_binary(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out);
bool infer_broadcast_compare(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out);

// Unsigned type at least as wide as int, so that arithmetic on it never promotes to signed int.
// bool (instantiated but never run by visit_numeric) maps to unsigned too.
template <class T> struct WideUnsigned { using type = unsigned; };
template <class T> requires(std::is_integral_v<T> && sizeof(T) >= sizeof(unsigned))
struct WideUnsigned<T> { using type = std::make_unsigned_t<T>; };
template <class T> using wide_unsigned_t = typename WideUnsigned<T>::type;

template <class T> T wrap_add(T a, T b) {
  if constexpr (std::is_integral_v<T>) return T(wide_unsigned_t<T>(a) + wide_unsigned_t<T>(b));
  else return a + b;
}
template <class T> T wrap_sub(T a, T b) {
  if constexpr (std::is_integral_v<T>) return T(wide_unsigned_t<T>(a) - wide_unsigned_t<T>(b));
  else return a - b;
}
template <class T> T wrap_mul(T a, T b) {
  if constexpr (std::is_integral_v<T>) return T(wide_unsigned_t<T>(a) * wide_unsigned_t<T>(b));
  else return a * b;
}
// numpy's minimum/maximum: a NaN in either operand gives NaN.
template <class T> T nan_min(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return a;
    if (std::isnan(b)) return b;
  }
  return b < a ? b : a;
}
template <class T> T nan_max(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return a;
    if (std::isnan(b)) return b;
  }
  return a < b ? b : a;
}

// out[i] = f(a[ia], b[ib]) over the broadcast, f on compute_t values of A and B, result stored as R.
template <class A, class B, class R, class F>
void broadcast_apply2(const Tensor& a, const Tensor& b, Tensor& out, F f) {
  using CA = compute_t<A>;
  using CB = compute_t<B>;
  const A* pa = static_cast<const A*>(a.raw());
  const B* pb = static_cast<const B*>(b.raw());
  R* po = static_cast<R*>(out.raw());
  Shape shapes[2] = {a.shape(), b.shape()};
  for_each_broadcast_row(out.shape(), shapes, [&](int64_t o, const int64_t* off, int64_t len, const int64_t* step) {
    const A* x = pa + off[0];
    const B* y = pb + off[1];
    R* z = po + o;
    if (step[0] && step[1]) {
      for (int64_t i = 0; i < len; ++i) z[i] = R(f(CA(x[i]), CB(y[i])));
    } else if (step[0]) {
      const CB yv = CB(y[0]);
      for (int64_t i = 0; i < len; ++i) z[i] = R(f(CA(x[i]), yv));
    } else if (step[1]) {
      const CA xv = CA(x[0]);
      for (int64_t i = 0; i < len; ++i) z[i] = R(f(xv, CB(y[i])));
    } else {
      const R v = R(f(CA(x[0]), CB(y[0])));
      for (int64_t i = 0; i < len; ++i) z[i] = v;
    }
  });
}

// Same-type inputs: out[i] = f(a[ia], b[ib]).
template <class T, class R, class F>
void broadcast_apply(const Tensor& a, const Tensor& b, Tensor& out, F f) {
  broadcast_apply2<T, T, R>(a, b, out, f);
}

}  // namespace shrink::ops
