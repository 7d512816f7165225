// Helpers shared by the gradient ops: dtype dispatch over the types they compute in (float and
// double; int64 for the ops that only sum or move data), accumulator types, and input checks that
// name the node.
#pragma once
#include <type_traits>

#include "ops/attr_reader.h"
#include "ops/common.h"
#include "ops/grad/grad_attrs.h"

namespace shrink::ops {

// Sums accumulate in double for floats (one rounding at the store) and in wrapping 64-bit
// unsigned arithmetic for int64 (no signed-overflow UB; the result is the two's complement sum).
template <class T>
using grad_acc_t = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;

// Calls f(T{}) with T = float or double; other types fail naming the node and input.
template <class F>
decltype(auto) visit_grad_float(const ir::Node& node, DType t, F&& f) {
  if (t == DType::kFloat32) return f(float{});
  if (t == DType::kFloat64) return f(double{});
  fail_input(node.label(), " computes in float32 or float64, got ", dtype_name(t));
}

// Like visit_grad_float, also accepting int64.
template <class F>
decltype(auto) visit_grad_numeric(const ir::Node& node, DType t, F&& f) {
  if (t == DType::kInt64) return f(int64_t{});
  return visit_grad_float(node, t, std::forward<F>(f));
}

// Fails unless input i is float32/float64 (or, with allow_int64, int64).
void require_grad_type(const ir::Node& node, std::span<const ValueMeta> in, int i, bool allow_int64 = false);
// Fails unless inputs i and j have the same shape.
void require_same_shape(const ir::Node& node, std::span<const ValueMeta> in, int i, int j);
// Fails unless v (input i, described as `what`) holds int64 or int32.
void require_int_tensor(const ir::Node& node, const ValueMeta& v, int i, const char* what);

}  // namespace shrink::ops
