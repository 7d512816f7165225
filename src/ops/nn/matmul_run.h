// Dtype dispatch for the reference matrix-product kernels (MatMul, Gemm): picks the type the
// blocked kernel runs in and converts 16-bit floats to float32 and back around it.
#pragma once
#include <type_traits>
#include <vector>

#include "ops/nn/matmul.h"

namespace shrink::ops {

inline bool matmul_dtype_ok(DType t) {
  switch (t) {
    case DType::kFloat32: case DType::kFloat64: case DType::kFloat16: case DType::kBFloat16:
    case DType::kInt32: case DType::kInt64: case DType::kUInt32: case DType::kUInt64:
      return true;
    default:
      return false;
  }
}

// The kernel's type for T: float for 16-bit floats, the same-width unsigned type for integers
// (two's complement wrap-around without signed-overflow UB), T otherwise.
template <class T> struct MatMulKernelType { using type = compute_t<T>; };
template <> struct MatMulKernelType<int32_t> { using type = uint32_t; };
template <> struct MatMulKernelType<int64_t> { using type = uint64_t; };

// Calls f(const K* a, const K* b, K* c) on the data of a, b and c (c zero-filled on entry),
// with K the kernel type; c's values are stored back (rounded once) afterwards.
template <class F>
void run_matmul(const Tensor& a, const Tensor& b, Tensor& c, F f) {
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using K = typename MatMulKernelType<T>::type;
    if constexpr (!(std::is_same_v<K, float> || std::is_same_v<K, double> || std::is_same_v<K, uint32_t> ||
                    std::is_same_v<K, uint64_t>)) {
      fail_input("MatMul: unsupported element type ", dtype_name(a.dtype()));
    } else if constexpr (sizeof(K) == sizeof(T)) {
      f(reinterpret_cast<const K*>(a.raw()), reinterpret_cast<const K*>(b.raw()), reinterpret_cast<K*>(c.raw()));
    } else {
      auto widen = [](const Tensor& t) {
        std::vector<K> v(size_t(t.numel()));
        const T* p = static_cast<const T*>(t.raw());
        for (size_t i = 0; i < v.size(); ++i) v[i] = K(p[i]);
        return v;
      };
      const std::vector<K> wa = widen(a), wb = widen(b);
      std::vector<K> wc(size_t(c.numel()), K(0));
      f(wa.data(), wb.data(), wc.data());
      T* pc = static_cast<T*>(c.raw());
      for (size_t i = 0; i < wc.size(); ++i) pc[i] = T(wc[i]);
    }
  });
}

}  // namespace shrink::ops
